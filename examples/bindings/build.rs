//! Generates the bindings, exactly as a user's build script would:
//! `qapi-gen` is a build-dependency and `Builder` writes one Rust file per
//! schema into `OUT_DIR`, which `src/lib.rs` includes.

fn main() {
    // The project's QMP schema: the part of QEMU's protocol the examples
    // use, and the COLO checkpoint recorder.  Written as
    // `$OUT_DIR/qapi-schema.rs` (the schema file's name with `.rs`).
    qapi_gen::Builder::new()
        .schema("../../schema/qapi-schema.json")
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));

    // The guest agent subset.  Its root file is also called
    // `qapi-schema.json`, so it needs a file name of its own.
    qapi_gen::Builder::new()
        .schema("../../schema/qga/qapi-schema.json")
        .file_name("qga-schema.rs")
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));
}
