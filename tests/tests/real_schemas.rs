//! QEMU's real schemas (QMP, QGA and the storage daemon's, of QEMU 5.2, 7.2
//! and 10.2) through the whole front end.

use std::path::PathBuf;

use qapi_gen::schema::{DefKind, UnionKind};
use qapi_gen::{Mode, Schema, Severity};
use qapi_tests::shared;

const SCHEMAS: [&str; 3] = [
    "qapi/qapi-schema.json",
    "qga/qapi-schema.json",
    "storage-daemon/qapi/qapi-schema.json",
];

/// The path of `schema` of QEMU `version`, or `None` (skipped).
fn schema_path(test: &str, version: &str, schema: &str) -> Option<PathBuf> {
    shared::path(test, &format!("qemu/{version}/{schema}"))
}

fn load(test: &str, version: &str, schema: &str, mode: Mode) -> Option<Schema> {
    let path = schema_path(test, version, schema)?;
    Some(
        qapi_gen::load(&path, mode)
            .unwrap_or_else(|e| panic!("QEMU {version}'s {schema} in {mode:?} mode: {e}")),
    )
}

/// Every warning is one, and names the house-style rule it is about.
fn assert_warnings_have_lints(schema: &Schema, what: &str) {
    for w in &schema.warnings {
        assert_eq!(w.severity, Severity::Warning, "{what}");
        assert!(
            w.lint.is_some(),
            "{what}: a warning without its rule: {w:?}"
        );
    }
}

macro_rules! default_mode {
    ($($test:ident: $version:literal $schema:expr;)*) => {$(
        #[test]
        fn $test() {
            let name = concat!("real_schemas::", stringify!($test));
            let Some(schema) = load(name, $version, $schema, Mode::Default) else {
                return;
            };
            assert_warnings_have_lints(&schema, name);
            assert!(schema.commands().count() > 10, "{name}: commands found");
            // The dump of the model works on every real schema.
            let dump = qapi_gen::dump::dump(&schema);
            assert!(dump.starts_with("module ./builtin\n"));
        }
    )*};
}

default_mode! {
    default_mode_accepts_5_2_qmp: "5.2" SCHEMAS[0];
    default_mode_accepts_5_2_qga: "5.2" SCHEMAS[1];
    default_mode_accepts_5_2_storage_daemon: "5.2" SCHEMAS[2];
    default_mode_accepts_7_2_qmp: "7.2" SCHEMAS[0];
    default_mode_accepts_7_2_qga: "7.2" SCHEMAS[1];
    default_mode_accepts_7_2_storage_daemon: "7.2" SCHEMAS[2];
    default_mode_accepts_10_2_qmp: "10.2" SCHEMAS[0];
    default_mode_accepts_10_2_qga: "10.2" SCHEMAS[1];
    default_mode_accepts_10_2_storage_daemon: "10.2" SCHEMAS[2];
}

macro_rules! qemu_10_2_clean {
    ($($test:ident: $schema:expr;)*) => {$(
        #[test]
        fn $test() {
            let name = concat!("real_schemas::", stringify!($test));
            let Some(strict) = load(name, "10.2", $schema, Mode::Strict) else {
                return;
            };
            assert!(strict.warnings.is_empty());
            let default = load(name, "10.2", $schema, Mode::Default).unwrap();
            let warnings: Vec<String> =
                default.warnings.iter().map(|w| w.render(&default.sources)).collect();
            assert!(warnings.is_empty(), "{name}: warnings in default mode:\n{}", warnings.join("\n"));
            // Both modes build the same model.
            assert_eq!(qapi_gen::dump::dump(&strict), qapi_gen::dump::dump(&default));
        }
    )*};
}

qemu_10_2_clean! {
    strict_accepts_10_2_qmp: SCHEMAS[0];
    strict_accepts_10_2_qga: SCHEMAS[1];
    strict_accepts_10_2_storage_daemon: SCHEMAS[2];
}

/// QEMU 10.2's parser rejects QEMU 5.2's QMP schema at the first
/// documentation line longer than 70 columns: line 8 of the root file, in its
/// first documentation block, before any include is read.
#[test]
fn strict_rejects_5_2_qmp_like_qemu_10_2() {
    let test = "real_schemas::strict_rejects_5_2_qmp_like_qemu_10_2";
    let Some(path) = schema_path(test, "5.2", SCHEMAS[0]) else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().nth(7).unwrap().len() > 70);
    let e = qapi_gen::load(&path, Mode::Strict).expect_err("QEMU 10.2 rejects it");
    let dir = path.parent().unwrap();
    assert_eq!(
        shared::strip_dir(&e.to_string(), dir),
        "qapi-schema.json:8:1: documentation line longer than 70 characters"
    );
    assert_eq!(e.diagnostics.len(), 1);
    assert_eq!(e.sources.len(), 1, "no include was read");
}

#[test]
fn old_schemas_warn_about_house_style() {
    for version in ["5.2", "7.2"] {
        for schema in SCHEMAS {
            let Some(s) = load(
                "real_schemas::old_schemas_warn_about_house_style",
                version,
                schema,
                Mode::Default,
            ) else {
                return;
            };
            assert!(
                !s.warnings.is_empty(),
                "QEMU {version}'s {schema} has warnings"
            );
            assert_warnings_have_lints(&s, schema);
        }
    }
}

#[test]
fn qemu_5_2_simple_union() {
    let Some(schema) = load(
        "real_schemas::qemu_5_2_simple_union",
        "5.2",
        SCHEMAS[0],
        Mode::Default,
    ) else {
        return;
    };
    let union = schema.get("SocketAddressLegacy").expect("defined");
    let DefKind::Object(obj) = &union.kind else {
        panic!("SocketAddressLegacy is a {}", union.meta());
    };
    assert_eq!(union.meta(), "union");
    let variants = obj.variants.as_ref().expect("a union");
    assert_eq!(variants.kind, UnionKind::Simple);
    assert_eq!(&*variants.tag, "type");
    assert_eq!(
        &*schema.def(variants.tag_type).name,
        "SocketAddressLegacyKind"
    );
    let branches: Vec<(&str, &str)> = variants
        .variants
        .iter()
        .map(|v| (&*v.name, &*schema.def(v.ty).name))
        .collect();
    assert_eq!(
        branches,
        [
            ("inet", "q_obj_InetSocketAddress-wrapper"),
            ("unix", "q_obj_UnixSocketAddress-wrapper"),
            ("vsock", "q_obj_VsockSocketAddress-wrapper"),
            ("fd", "q_obj_String-wrapper"),
        ]
    );
    // A wrapper holds the branch's value as its member `data`.
    let wrapper = schema.get("q_obj_InetSocketAddress-wrapper").unwrap();
    assert!(wrapper.is_implicit());
    let DefKind::Object(w) = &wrapper.kind else {
        panic!("a wrapper is an object")
    };
    assert_eq!(w.members.len(), 1);
    assert_eq!(&*w.members[0].name, "data");
    assert_eq!(&*schema.def(w.members[0].ty).name, "InetSocketAddress");

    let dump = qapi_gen::dump::dump(&schema);
    assert!(dump.contains(
        "\nobject SocketAddressLegacy\n\
         \x20   member type: SocketAddressLegacyKind optional=False\n\
         \x20   tag type\n\
         \x20   case inet: q_obj_InetSocketAddress-wrapper\n\
         \x20   case unix: q_obj_UnixSocketAddress-wrapper\n\
         \x20   case vsock: q_obj_VsockSocketAddress-wrapper\n\
         \x20   case fd: q_obj_String-wrapper\n"
    ));
    assert!(dump.contains(
        "\nenum SocketAddressLegacyKind\n    member inet\n    member unix\n    member vsock\n    member fd\n"
    ));
}

#[test]
fn qemu_10_2_commands() {
    let test = "real_schemas::qemu_10_2_commands";
    let Some(qmp) = load(test, "10.2", SCHEMAS[0], Mode::Strict) else {
        return;
    };
    let query_migrate = qmp.get("query-migrate").expect("defined");
    let DefKind::Command(cmd) = &query_migrate.kind else {
        panic!("query-migrate is a {}", query_migrate.meta());
    };
    assert_eq!(cmd.arg_type, None);
    assert_eq!(cmd.ret_type, qmp.lookup("MigrationInfo"));
    let dump = qapi_gen::dump::dump(&qmp);
    assert!(dump.contains("\ncommand query-migrate None -> MigrationInfo\n"));
    assert!(qmp.lookup("SocketAddressLegacy").is_some());
    // No simple unions any more: every union is flat.
    for def in &qmp.defs {
        if let DefKind::Object(o) = &def.kind
            && let Some(v) = &o.variants
        {
            assert_eq!(v.kind, UnionKind::Flat, "{}", def.name);
        }
    }

    // QGA's guest-shutdown sends no reply.
    let Some(qga) = load(test, "10.2", SCHEMAS[1], Mode::Strict) else {
        return;
    };
    let shutdown = qga.get("guest-shutdown").expect("defined");
    let DefKind::Command(cmd) = &shutdown.kind else {
        panic!("guest-shutdown is a {}", shutdown.meta());
    };
    assert!(!cmd.success_response);
    assert!(qapi_gen::dump::dump(&qga).contains(
        "\ncommand guest-shutdown q_obj_guest-shutdown-arg -> None\n    \
             gen=True success_response=False boxed=False oob=False preconfig=False\n"
    ));
}

#[test]
fn modules_follow_the_include_directives() {
    let Some(schema) = load(
        "real_schemas::modules_follow_the_include_directives",
        "10.2",
        SCHEMAS[2],
        Mode::Default,
    ) else {
        return;
    };
    let names: Vec<&str> = schema.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names[..2], ["./builtin", "qapi-schema.json"]);
    // The storage daemon includes QMP's files by `../../qapi/...`.
    assert!(names.contains(&"../../qapi/block-core.json"), "{names:?}");
}
