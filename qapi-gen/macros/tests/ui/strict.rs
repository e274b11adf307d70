mod qmp {
    qapi_gen_macros::qapi!("${QAPI_MACROS_UI}/strict.json", strict = true);
}

fn main() {}
