//! Compile tests of the `qapi!` macro: a schema that builds, and schema
//! errors that become compile errors with QEMU's messages.

#[test]
fn ui() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    // SAFETY: set before any other thread of this test binary reads the
    // environment; trybuild's cargo runs inherit it.
    unsafe { std::env::set_var("QAPI_MACROS_UI", &dir) };
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/ok.rs");
    t.pass("tests/ui/merged.rs");
    t.compile_fail("tests/ui/syntax-error.rs");
    t.compile_fail("tests/ui/semantic-error.rs");
    t.compile_fail("tests/ui/strict.rs");
    t.compile_fail("tests/ui/missing.rs");
    t.compile_fail("tests/ui/bad-option.rs");
    t.compile_fail("tests/ui/bad-oldest.rs");
}
