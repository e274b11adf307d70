//! Generates one test per case of QEMU's schema test suite, from the listing
//! of `$QAPI_SHARED_DIR/qemu/10.2/tests/qapi-schema/` (default: `../shared`
//! beside the workspace).  A case is a name with a `.err` file; its `.json`
//! may be missing (`missing-schema`).  The tests, in
//! `$OUT_DIR/qemu_suite_cases.rs`, are included by `tests/qemu_suite.rs`,
//! which holds the code that runs a case.
//!
//! When the directory is absent, a single test reports it (skipped, or failed
//! with `QAPI_REQUIRE_SHARED=1`).
//!
//! It also generates bindings with `qapi_gen::Builder`, the way a user's
//! build script does, for the crate to compile (with `#![deny(warnings)]`):
//! the generator's fixtures and the project's schema always; every schema of
//! QEMU 5.2, 7.2 and 10.2 (QMP, guest agent, storage daemon) and QEMU 5.2
//! with the seeds' COLO extension when the shared directory is there, which
//! the crate learns from `cfg(qapi_shared)`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const SUITE: &str = "qemu/10.2/tests/qapi-schema";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=QAPI_SHARED_DIR");
    println!("cargo:rerun-if-env-changed=QAPI_REQUIRE_SHARED");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let shared = match std::env::var_os("QAPI_SHARED_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => manifest.join("../../shared"),
    };
    let suite = shared.join(SUITE);
    // A directory: cargo reruns this script when anything in it changes.  A
    // path that does not exist: cargo reruns it every build, so that the
    // tests appear as soon as the directory does.
    println!("cargo:rerun-if-changed={}", suite.display());

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let code = match cases(&suite) {
        Some(cases) => generate(&cases),
        None => {
            println!(
                "cargo:warning=QEMU's schema test suite not found at {} (QAPI_SHARED_DIR); \
                 its tests are skipped",
                suite.display()
            );
            format!(
                "/// The suite's directory was absent when the tests were built.\n\
                 #[test]\n\
                 fn qemu_suite_unavailable() {{\n    \
                 let _ = run_case as fn(&str);\n    \
                 qapi_tests::shared::skip(\"qemu_suite\", std::path::Path::new({:?}));\n\
                 }}\n",
                suite.display().to_string()
            )
        }
    };
    std::fs::write(out.join("qemu_suite_cases.rs"), code).expect("OUT_DIR is writable");

    bindings(&manifest, &shared, &out);
}

/// Bindings, generated the way a user's build script generates them.
fn bindings(manifest: &Path, shared: &Path, out: &Path) {
    println!("cargo::rustc-check-cfg=cfg(qapi_shared)");
    let fixtures = manifest.join("../qapi-gen/tests/generate");
    println!("cargo:rerun-if-changed={}", fixtures.display());
    for entry in
        std::fs::read_dir(&fixtures).expect("the generator's fixtures are in the repository")
    {
        let path = entry.expect("readable directory").path();
        if path.extension().is_some_and(|e| e == "json") {
            let stem = path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .replace('-', "_");
            write_bindings(
                qapi_gen::Builder::new().schema(&path),
                &format!("fixture_{stem}.rs"),
            );
        }
    }
    // The fixture of versions of introduction, for every QEMU from 4.2 on.
    write_bindings(
        qapi_gen::Builder::new()
            .schema(fixtures.join("since.json"))
            .oldest("4.2"),
        "fixture_since_oldest.rs",
    );
    // The two schemas of the generator's merge tests, merged.
    let merge = manifest.join("../qapi-gen/tests/merge");
    println!("cargo:rerun-if-changed={}", merge.display());
    write_bindings(
        qapi_gen::Builder::new()
            .schema(merge.join("new.json"))
            .merge(merge.join("old.json")),
        "fixture_merged.rs",
    );
    write_bindings(
        qapi_gen::Builder::new().schema(manifest.join("../schema/qapi-schema.json")),
        "project.rs",
    );

    let qemu = shared.join("qemu");
    if !qemu.join("10.2/qapi/qapi-schema.json").exists() {
        return;
    }
    println!("cargo:rustc-cfg=qapi_shared");
    for version in ["5.2", "7.2", "10.2"] {
        let v = version.replace('.', "_");
        for (kind, schema) in [
            ("qmp", "qapi/qapi-schema.json"),
            ("qga", "qga/qapi-schema.json"),
            ("storage_daemon", "storage-daemon/qapi/qapi-schema.json"),
        ] {
            write_bindings(
                qapi_gen::Builder::new().schema(qemu.join(version).join(schema)),
                &format!("qemu_v{v}_{kind}.rs"),
            );
        }
    }

    // For the transcripts libvirt recorded from QEMU 4.2 to 7.2: the
    // commands in them, with bindings for every QEMU from 4.2 on.
    for version in ["5.2", "7.2", "10.2"] {
        let v = version.replace('.', "_");
        let commands = LIBVIRT_COMMANDS
            .iter()
            .copied()
            .filter(|c| version != "5.2" || *c != "query-sgx-capabilities");
        write_bindings(
            qapi_gen::Builder::new()
                .schema(qemu.join(version).join("qapi/qapi-schema.json"))
                .only(commands)
                .oldest("4.2"),
            &format!("libvirt_v{v}_oldest.rs"),
        );
    }

    // One binding for QEMU 5.2, 7.2 and 10.2: the whole merged schema
    // (compiled, to prove it builds), and what libvirt's commands need for
    // every QEMU from 4.2 on.
    let merged = || {
        qapi_gen::Builder::new()
            .schema(qemu.join("10.2/qapi/qapi-schema.json"))
            .merge(qemu.join("5.2/qapi/qapi-schema.json"))
            .merge(qemu.join("7.2/qapi/qapi-schema.json"))
    };
    write_bindings(merged(), "qemu_merged_qmp.rs");
    write_bindings(
        merged().only(LIBVIRT_COMMANDS).oldest("4.2"),
        "libvirt_merged_oldest.rs",
    );

    // QEMU 5.2 as the fork has it: the COLO extension appended to
    // migration.json, in a copy under OUT_DIR.  Only what the COLO commands
    // need is generated.
    let colo = out.join("colo-5.2");
    copy_dir(&qemu.join("5.2/qapi"), &colo.join("qapi"));
    let extension = manifest.join("fixtures/colo-extension.json");
    println!("cargo:rerun-if-changed={}", extension.display());
    let migration = colo.join("qapi/migration.json");
    let mut text = std::fs::read_to_string(&migration).expect("5.2's migration.json");
    text.push('\n');
    text.push_str(&std::fs::read_to_string(&extension).expect("the COLO fixture"));
    std::fs::write(&migration, text).expect("OUT_DIR is writable");
    write_bindings(
        qapi_gen::Builder::new()
            .schema(colo.join("qapi/qapi-schema.json"))
            .only(["info_checkpoint", "reset_checkpoint"]),
        "colo_5_2.rs",
    );
    // One binding for the fork and upstream QEMU 10.2.
    write_bindings(
        qapi_gen::Builder::new()
            .schema(qemu.join("10.2/qapi/qapi-schema.json"))
            .label("10.2")
            .merge_as("5.2+COLO", colo.join("qapi/qapi-schema.json"))
            .only([
                "info_checkpoint",
                "reset_checkpoint",
                "query-migrate",
                "query-status",
            ]),
        "colo_merged.rs",
    );
}

/// The commands libvirt sent in the recorded transcripts.  (QEMU 5.2 has
/// all but `query-sgx-capabilities`, which came in 6.2.)
const LIBVIRT_COMMANDS: [&str; 19] = [
    "qmp_capabilities",
    "query-qmp-schema",
    "query-machines",
    "query-cpu-definitions",
    "query-cpu-model-expansion",
    "device-list-properties",
    "qom-list-properties",
    "query-version",
    "query-target",
    "query-kvm",
    "qom-list-types",
    "query-tpm-models",
    "query-tpm-types",
    "query-command-line-options",
    "query-migrate-capabilities",
    "query-commands",
    "query-gic-capabilities",
    "query-sev-capabilities",
    "query-sgx-capabilities",
];

fn write_bindings(builder: qapi_gen::Builder, file: &str) {
    if let Err(e) = builder.file_name(file).generate() {
        panic!("{e}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("OUT_DIR is writable");
    for entry in std::fs::read_dir(from).expect("a readable directory") {
        let entry = entry.expect("a readable directory");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("OUT_DIR is writable");
        }
    }
}

/// The names of the cases: the files named `*.err`.
fn cases(dir: &Path) -> Option<Vec<String>> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut names = BTreeSet::new();
    for entry in entries {
        let name = entry
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .file_name();
        if let Some(case) = name.to_str().and_then(|n| n.strip_suffix(".err")) {
            names.insert(case.to_string());
        }
    }
    Some(names.into_iter().collect())
}

fn generate(cases: &[String]) -> String {
    let mut code = String::from("// Generated by build.rs from the suite's directory listing.\n");
    if cases.is_empty() {
        // A directory without cases is a broken checkout, not a pass.
        code.push_str(
            "\n#[test]\nfn qemu_suite_has_cases() {\n    \
             let _ = run_case as fn(&str);\n    \
             panic!(\"the suite's directory holds no *.err case\");\n}\n",
        );
    }
    let mut used = BTreeSet::new();
    for case in cases {
        let mut ident: String = case
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        if !ident.starts_with(|c: char| c.is_ascii_lowercase()) || is_keyword(&ident) {
            ident.insert_str(0, "case_");
        }
        while !used.insert(ident.clone()) {
            ident.push('_');
        }
        let _ = writeln!(
            code,
            "\n#[test]\nfn {ident}() {{\n    run_case({case:?});\n}}"
        );
    }
    code
}

fn is_keyword(s: &str) -> bool {
    const KEYWORDS: [&str; 51] = [
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
        "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final",
        "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    KEYWORDS.contains(&s)
}
