mod qmp {
    qapi_gen_macros::qapi!("${QAPI_MACROS_UI}/semantic-error.json");
}

fn main() {}
