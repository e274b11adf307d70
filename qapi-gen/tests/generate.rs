//! Snapshots of generated code: one fixture per construct, and the
//! project's own schema.  The same fixtures are compiled by the `qapi-tests`
//! crate, so what is snapshotted here is known to build.

use std::path::PathBuf;

use qapi_gen::Mode;
use qapi_gen::generate::{Options, generate};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/generate")
        .join(format!("{name}.json"))
}

fn generated(path: &PathBuf, opts: &Options) -> String {
    let schema = qapi_gen::load(path, Mode::Default).unwrap_or_else(|e| panic!("{e}"));
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    generate(&schema, opts, &name)
        .map(|g| g.to_source())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn snapshot(name: &str) {
    let code = generated(&fixture(name), &Options::default());
    insta::assert_snapshot!(name, code);
}

#[test]
fn enums() {
    snapshot("enum");
}

#[test]
fn structs() {
    snapshot("struct");
}

#[test]
fn flat_union() {
    snapshot("flat-union");
}

#[test]
fn simple_union() {
    snapshot("simple-union");
}

#[test]
fn alternates() {
    snapshot("alternate");
}

#[test]
fn commands() {
    snapshot("commands");
}

#[test]
fn events() {
    snapshot("events");
}

#[test]
fn conditional() {
    snapshot("conditional");
}

#[test]
fn deprecated() {
    snapshot("deprecated");
}

#[test]
fn docs() {
    snapshot("docs");
}

#[test]
fn names() {
    snapshot("names");
}

#[test]
fn recursive() {
    snapshot("recursive");
}

#[test]
fn since() {
    snapshot("since");
}

/// With an oldest QEMU, members that came later are optional in what the
/// server sends (`MachineInfo`, the `RESET` event), and only there.
#[test]
fn since_oldest() {
    let opts = Options {
        oldest: Some("4.2".parse().unwrap()),
        ..Options::default()
    };
    let code = generated(&fixture("since"), &opts);
    for optional in [
        "pub acpi: ::std::option::Option<bool>",
        "pub reason: ::std::option::Option<::std::string::String>",
    ] {
        assert!(code.contains(optional), "{optional}");
    }
    for required in [
        "pub cpu_max: i64",
        "pub size: i64",
        "pub mode: Mode",
        "pub guest: bool",
    ] {
        assert!(code.contains(required), "{required}");
    }
    insta::assert_snapshot!("since-oldest-4.2", code);
}

/// Documentation in any language: a letter outside ASCII before `since`
/// (which once panicked the checker) is no member's name, and `NAME since`
/// after one still is.
#[test]
fn since_after_letters_outside_ascii() {
    let text = "##\n# @Mode:\n#\n# Modes: über since 5.0, «fast» since 6.1, slow since 7.0\n\
                #\n# @fast: fast\n#\n# @slow: slow\n#\n# Since: 2.0\n##\n\
                { 'enum': 'Mode', 'data': [ 'fast', 'slow' ] }\n";
    let schema =
        qapi_gen::load_str("t.json", text, Mode::Default).unwrap_or_else(|e| panic!("{e}"));
    let code = generate(&schema, &Options::default(), "t.json")
        .map(|g| g.to_source())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        code.contains(r#"("slow", ::qapi_types::VersionTriple::new(7, 0, 0))"#),
        "{code}"
    );
    assert!(!code.contains(r#"("fast", "#), "{code}");
}

#[test]
fn conditions_evaluated() {
    let opts = Options {
        cfg: Some(["CONFIG_SPICE".to_string()].into()),
        ..Options::default()
    };
    let code = generated(&fixture("conditional"), &opts);
    // SPICE's member and command stay; VNC-or-SPICE holds; the 5.2
    // expression does not (CONFIG_FOO undefined).
    assert!(code.contains("pub spice:"));
    assert!(code.contains("pub vnc_or_spice:"));
    assert!(!code.contains("old_style"));
    assert!(code.contains("pub struct QuerySpice"));
    // A required member whose condition does not hold is left out...
    assert!(!code.contains("deprecated_props"));
    // ... and where it holds, it is required, as the schema says.
    let opts = Options {
        cfg: Some(["TARGET_S390X".to_string()].into()),
        ..Options::default()
    };
    let code = generated(&fixture("conditional"), &opts);
    assert!(
        code.contains("pub deprecated_props: ::std::vec::Vec<::std::string::String>,"),
        "{code}"
    );
    // Without evaluation it may be absent on the wire: an `Option`.
    let code = generated(&fixture("conditional"), &Options::default());
    assert!(code.contains(
        "pub deprecated_props: ::std::option::Option<::std::vec::Vec<::std::string::String>>,"
    ));
    let opts = Options {
        cfg: Some(Default::default()),
        ..Options::default()
    };
    let code = generated(&fixture("conditional"), &opts);
    assert!(!code.contains("pub spice:"));
    assert!(!code.contains("QuerySpice"));
    insta::assert_snapshot!("conditional-none-defined", code);
}

#[test]
fn unstable_excluded() {
    let opts = Options {
        exclude_unstable: true,
        ..Options::default()
    };
    let code = generated(&fixture("deprecated"), &opts);
    assert!(!code.contains("OldCommand"));
    assert!(code.contains("pub struct NewCommand"));
}

#[test]
fn only_what_is_needed() {
    let opts = Options {
        only: Some(vec!["query-infos".into()]),
        ..Options::default()
    };
    let code = generated(&fixture("commands"), &opts);
    assert!(code.contains("pub struct QueryInfos"));
    assert!(code.contains("pub struct Info "));
    assert!(!code.contains("pub struct QueryInfo "));
    assert!(!code.contains("Choice"));
    let bad = Options {
        only: Some(vec!["no-such-command".into()]),
        ..Options::default()
    };
    let schema = qapi_gen::load(fixture("commands"), Mode::Default).unwrap();
    let err = generate(&schema, &bad, "commands.json")
        .err()
        .expect("an unknown name fails");
    assert_eq!(
        err.to_string(),
        "the schema has no command or event 'no-such-command'"
    );
}

#[test]
fn tokens_hold_the_same_code() {
    let schema = qapi_gen::load(fixture("flat-union"), Mode::Default).unwrap();
    let g = generate(&schema, &Options::default(), "flat-union.json").unwrap();
    // Formatting both the same way shows they hold the same code.
    let normal = |src: &str| prettyplease::unparse(&syn::parse_file(src).unwrap());
    let text = g.to_source();
    assert_eq!(normal(&text), normal(&g.tokens().unwrap().to_string()));
}

#[test]
fn output_is_deterministic() {
    let a = generated(&fixture("names"), &Options::default());
    let b = generated(&fixture("names"), &Options::default());
    assert_eq!(a, b);
}

#[test]
fn project_schema() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema/qapi-schema.json");
    let code = generated(&path, &Options::default());
    insta::assert_snapshot!("project-schema", code);
}

/// Text that Markdown would read otherwise than rST: found by compiling
/// the fuzz corpus's output with `cargo doc -D warnings`.
#[test]
fn docs_keep_markdown_from_misreading_text() {
    let text = "##\n\
                # @Thing:\n\
                #\n\
                # See https://example.org/a\u{7}b for more.\n\
                #\n\
                # -     a bullet written with wide spacing\n\
                # 2)      a numbered one\n\
                ##\n\
                { 'struct': 'Thing', 'data': {} }\n";
    let schema =
        qapi_gen::load_str("odd.json", text, Mode::Default).unwrap_or_else(|e| panic!("{e}"));
    let code = generate(&schema, &Options::default(), "odd.json")
        .map(|g| g.to_source())
        .unwrap();
    // A URL ends where an autolink must (at the control character).
    assert!(code.contains("<https://example.org/a>"), "{code}");
    // Five spaces after a marker would start a code block in Markdown.
    assert!(
        code.contains("/// - a bullet written with wide spacing\n"),
        "{code}"
    );
    assert!(code.contains("/// 2) a numbered one\n"), "{code}");
}
