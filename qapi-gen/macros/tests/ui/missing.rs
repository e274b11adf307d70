mod qmp {
    qapi_gen_macros::qapi!("${QAPI_MACROS_UI}/no-such-schema.json");
}

fn main() {}
