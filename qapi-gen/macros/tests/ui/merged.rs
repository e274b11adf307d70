#![deny(warnings)]

// One binding for two versions of a schema: the newer's additions are
// there, optional where the older lacks them.
mod merged {
    qapi_gen_macros::qapi!(
        "${QAPI_MACROS_UI}/newer.json",
        merge = ["${QAPI_MACROS_UI}/ok.json"],
        server = false,
    );
}

// The newer schema alone, for every version from 4.2 on: what came in 5.0
// is optional in what the server sends.
mod oldest {
    qapi_gen_macros::qapi!("${QAPI_MACROS_UI}/newer.json", oldest = "4.2", server = false);
}

fn main() {
    let old_reply = r#"{"status": "up"}"#;
    let info: merged::StatusInfo = qapi_types::serde_json::from_str(old_reply).unwrap();
    assert_eq!(info.running, None::<bool>);
    let info: oldest::StatusInfo = qapi_types::serde_json::from_str(old_reply).unwrap();
    assert_eq!(info.running, None::<bool>);

    let new_reply = r#"{"status": "paused", "running": false}"#;
    let info: merged::StatusInfo = qapi_types::serde_json::from_str(new_reply).unwrap();
    assert_eq!((info.status, info.running), (merged::Status::Paused, Some(false)));
    let _ = <merged::QueryRunning as qapi_types::Command>::NAME;
}
