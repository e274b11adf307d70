mod qmp {
    qapi_gen_macros::qapi!("${QAPI_MACROS_UI}/syntax-error.json");
}

fn main() {}
