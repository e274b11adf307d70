mod qmp {
    qapi_gen_macros::qapi!("${QAPI_MACROS_UI}/ok.json", oldest = "four");
}

fn main() {}
