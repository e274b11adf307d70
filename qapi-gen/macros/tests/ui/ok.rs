#![deny(warnings)]

mod qmp {
    qapi_gen_macros::qapi!("${QAPI_MACROS_UI}/ok.json", server = false);
}

fn main() {
    let info: qmp::StatusInfo = qapi_types::serde_json::from_str(r#"{"status": "up"}"#).unwrap();
    assert_eq!(info.status, qmp::Status::Up);
    let _ = <qmp::QueryStatus as qapi_types::Command>::NAME;
}
