//! The COLO checkpoint-recorder extension of the seeds (the
//! `checkpoint_recorder` struct and the `info_checkpoint` and
//! `reset_checkpoint` commands, `fixtures/colo-extension.json`) appended to
//! QEMU's `qapi/migration.json`: valid QEMU 5.2, accepted with warnings
//! against QEMU 10.2, and rejected by `--strict` the way QEMU 10.2 rejects
//! it: first for its old `Example:` sections, then, with those written as
//! `.. qmp-example::`, for the struct's name.

use std::path::{Path, PathBuf};

use qapi_gen::doc::SectionKind;
use qapi_gen::schema::DefKind;
use qapi_gen::{Lint, Mode, Schema};
use qapi_tests::shared::{self, TempCopy};

const FIXTURE: &str = include_str!("../fixtures/colo-extension.json");

/// The members of seed 001's `checkpoint_recorder`, in its order.
const MEMBERS: [&str; 15] = [
    "tot_time",
    "tot_num",
    "init_time",
    "wait_time",
    "avg_time",
    "stat_time",
    "dev_time",
    "ram_time",
    "put_time",
    "recv_time",
    "load_time",
    "resume_time",
    "dev_size",
    "ram_size",
    "info",
];

const EXAMPLE_ERROR: &str = "The 'Example' section is no longer supported. Please use the \
     '.. qmp-example::' directive, or other suitable markup instead.";

/// QEMU `version`'s `qapi/` directory in a temporary directory, `extension`
/// appended to its `migration.json`.
struct Patched {
    copy: TempCopy,
    /// Lines of `migration.json` before the extension.
    migration_lines: usize,
}

impl Patched {
    fn new(test: &str, version: &str, extension: &str) -> Option<Patched> {
        let qapi = shared::path(test, &format!("qemu/{version}/qapi"))?;
        let copy = TempCopy::new(&qapi, "qapi").expect("copy the qapi directory");
        let migration = copy.root.join("qapi/migration.json");
        let mut text = std::fs::read_to_string(&migration).expect("read migration.json");
        assert!(text.ends_with('\n'));
        let migration_lines = text.lines().count();
        text.push_str(extension);
        std::fs::write(&migration, text).expect("write migration.json");
        Some(Patched {
            copy,
            migration_lines,
        })
    }

    fn dir(&self) -> PathBuf {
        self.copy.root.join("qapi")
    }

    fn check(&self, mode: Mode) -> Result<Schema, qapi_gen::Error> {
        qapi_gen::load(self.dir().join("qapi-schema.json"), mode)
    }

    /// The line in `migration.json` of line `n` (1-based) of the extension.
    fn line(&self, n: usize) -> usize {
        self.migration_lines + n
    }

    /// The line of the root file's include directive for `migration.json`.
    fn include_line(&self) -> usize {
        let root = std::fs::read_to_string(self.dir().join("qapi-schema.json")).unwrap();
        1 + root
            .lines()
            .position(|l| l.trim() == "{ 'include': 'migration.json' }")
            .expect("qapi-schema.json includes migration.json")
    }
}

/// The 1-based line of the first line of `text` satisfying `pred`.
fn line_of(text: &str, pred: impl Fn(&str) -> bool) -> usize {
    1 + text.lines().position(pred).expect("the line is there")
}

/// The `# Example:` sections rewritten as QEMU 10.2 wants them: a
/// `.. qmp-example::` directive, the example lines indented below it.
fn to_qmp_example(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    let mut in_example = false;
    for line in text.lines() {
        if line == "# Example:" {
            out.push_str("# .. qmp-example::\n");
            in_example = true;
            continue;
        }
        if line.starts_with("##") {
            in_example = false;
        } else if in_example && let Some(rest) = line.strip_prefix("# ") {
            out.push_str("#    ");
            out.push_str(rest);
            out.push('\n');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// What both dialects must make of the extension.
fn assert_extension_model(schema: &Schema) {
    let recorder = schema.get("checkpoint_recorder").expect("the struct");
    let DefKind::Object(obj) = &recorder.kind else {
        panic!("checkpoint_recorder is a {}", recorder.meta());
    };
    let names: Vec<&str> = obj.members.iter().map(|m| &*m.name).collect();
    assert_eq!(names, MEMBERS);
    for m in &obj.members {
        let ty = &schema.def(m.ty).name;
        let expected = if &*m.name == "info" {
            "MigrationInfo"
        } else {
            "int64"
        };
        assert_eq!(&**ty, expected, "type of member {}", m.name);
        assert!(!m.optional);
    }
    let doc = schema.doc(recorder).expect("documented");
    for name in MEMBERS {
        let arg = doc
            .arg(name)
            .unwrap_or_else(|| panic!("@{name} documented"));
        assert!(
            !arg.undocumented && !arg.text.is_empty(),
            "@{name} has text"
        );
    }
    assert_eq!(doc.section(SectionKind::Since).unwrap().text, "5.0.0");

    let info = schema.get("info_checkpoint").expect("the command");
    let DefKind::Command(cmd) = &info.kind else {
        panic!("info_checkpoint is a {}", info.meta());
    };
    assert_eq!(cmd.arg_type, None);
    assert_eq!(cmd.ret_type, schema.lookup("checkpoint_recorder"));
    let doc = schema.doc(info).expect("documented");
    assert_eq!(
        doc.section(SectionKind::Returns).unwrap().text,
        "@checkpoint_recorder"
    );
    let example = doc
        .section(SectionKind::Example)
        .expect("its Example section");
    assert!(
        example
            .text
            .starts_with("-> { \"execute\": \"info_checkpoint\" }\n<- { \"return\": {")
    );

    let reset = schema.get("reset_checkpoint").expect("the command");
    let DefKind::Command(cmd) = &reset.kind else {
        panic!("reset_checkpoint is a {}", reset.meta());
    };
    assert_eq!((cmd.arg_type, cmd.ret_type), (None, None));
    assert!(
        schema
            .doc(reset)
            .unwrap()
            .section(SectionKind::Example)
            .is_some()
    );

    let dump = qapi_gen::dump::dump(schema);
    assert!(dump.contains("\ncommand info_checkpoint None -> checkpoint_recorder\n"));
    assert!(dump.contains("\ncommand reset_checkpoint None -> None\n"));
}

fn rendered(e: &qapi_gen::Error, dir: &Path) -> String {
    shared::strip_dir(&e.to_string(), dir)
}

#[test]
fn fixture_is_the_seeds_extension() {
    // Each member once, the struct and the two commands.
    for name in MEMBERS {
        assert_eq!(FIXTURE.matches(&format!("'{name}': ")).count(), 1, "{name}");
        assert_eq!(
            FIXTURE.matches(&format!("# @{name}: ")).count(),
            1,
            "{name}"
        );
    }
    assert!(FIXTURE.contains("{ 'struct': 'checkpoint_recorder',"));
    assert!(FIXTURE.contains("{ 'command': 'info_checkpoint', 'returns': 'checkpoint_recorder' }"));
    assert!(FIXTURE.contains("{ 'command': 'reset_checkpoint' }"));
    assert_eq!(FIXTURE.matches("\n# Example:\n").count(), 2);
    // The rewriting leaves no old-style section behind.
    let rewritten = to_qmp_example(FIXTURE);
    assert!(!rewritten.contains("Example:"));
    assert!(
        rewritten.contains("# .. qmp-example::\n#\n#    -> { \"execute\": \"info_checkpoint\" }\n")
    );
}

#[test]
fn qemu_5_2_accepts_it() {
    let Some(p) = Patched::new("colo::qemu_5_2_accepts_it", "5.2", FIXTURE) else {
        return;
    };
    let schema = p.check(Mode::Default).unwrap_or_else(|e| panic!("{e}"));
    assert_extension_model(&schema);
}

#[test]
fn qemu_10_2_accepts_it_with_warnings() {
    let Some(p) = Patched::new("colo::qemu_10_2_accepts_it_with_warnings", "10.2", FIXTURE) else {
        return;
    };
    let schema = p.check(Mode::Default).unwrap_or_else(|e| panic!("{e}"));
    assert_extension_model(&schema);
    // QEMU 10.2's schema on its own has no warning: every one is about the
    // extension, and says which house-style rule it breaks.
    let dir = p.dir();
    let warnings: Vec<String> = schema
        .warnings
        .iter()
        .map(|w| shared::strip_dir(&w.render(&schema.sources), &dir))
        .collect();
    let include = format!(
        "In file included from qapi-schema.json:{}:\n",
        p.include_line()
    );
    let struct_line = p.line(line_of(FIXTURE, |l| l.starts_with("{ 'struct'")));
    let mut expected = vec![];
    for (n, line) in FIXTURE.lines().enumerate() {
        if line == "# Example:" {
            expected.push(format!(
                "{include}migration.json:{}:1: warning: {EXAMPLE_ERROR}",
                p.line(n + 1)
            ));
        }
    }
    expected.push(format!(
        "{include}migration.json: In struct 'checkpoint_recorder':\n\
         migration.json:{struct_line}: warning: name of struct must use CamelCase"
    ));
    for m in MEMBERS.iter().filter(|m| m.contains('_')) {
        expected.push(format!(
            "{include}migration.json: In struct 'checkpoint_recorder':\n\
             migration.json:{struct_line}: warning: name of 'data' member '{m}' must not use uppercase or '_'"
        ));
    }
    for cmd in ["info_checkpoint", "reset_checkpoint"] {
        let line = p.line(line_of(FIXTURE, |l| {
            l.starts_with(&format!("{{ 'command': '{cmd}'"))
        }));
        expected.push(format!(
            "{include}migration.json: In command '{cmd}':\n\
             migration.json:{line}: warning: name of command must not use uppercase or '_'"
        ));
    }
    assert_eq!(warnings, expected);
    let lints: Vec<Option<Lint>> = schema.warnings.iter().map(|w| w.lint).collect();
    assert_eq!(lints[..2], [Some(Lint::DocFormat); 2]);
    assert!(lints[2..].iter().all(|l| *l == Some(Lint::NameCase)));
}

#[test]
fn qemu_10_2_strict_rejects_the_example_sections() {
    let Some(p) = Patched::new(
        "colo::qemu_10_2_strict_rejects_the_example_sections",
        "10.2",
        FIXTURE,
    ) else {
        return;
    };
    let e = p.check(Mode::Strict).expect_err("QEMU 10.2 rejects it");
    let line = p.line(line_of(FIXTURE, |l| l == "# Example:"));
    let error = e.error();
    let loc = error.loc.expect("a location");
    assert!(e.sources.path(loc.file).ends_with("qapi/migration.json"));
    assert_eq!((loc.line as usize, error.col), (line, Some(1)));
    assert_eq!(error.message, EXAMPLE_ERROR);
    assert_eq!(
        rendered(&e, &p.dir()),
        format!(
            "In file included from qapi-schema.json:{}:\nmigration.json:{line}:1: {EXAMPLE_ERROR}",
            p.include_line()
        )
    );
    assert_eq!(
        e.diagnostics.len(),
        1,
        "strict mode stops at the first error"
    );
}

#[test]
fn qemu_10_2_strict_rejects_the_struct_name() {
    let fixed = to_qmp_example(FIXTURE);
    let Some(p) = Patched::new(
        "colo::qemu_10_2_strict_rejects_the_struct_name",
        "10.2",
        &fixed,
    ) else {
        return;
    };
    let e = p.check(Mode::Strict).expect_err("QEMU 10.2 rejects it");
    let line = p.line(line_of(&fixed, |l| {
        l == "{ 'struct': 'checkpoint_recorder',"
    }));
    assert_eq!(
        rendered(&e, &p.dir()),
        format!(
            "In file included from qapi-schema.json:{}:\n\
             migration.json: In struct 'checkpoint_recorder':\n\
             migration.json:{line}: name of struct must use CamelCase",
            p.include_line()
        )
    );
    // With the documentation fixed, the default mode has only the naming
    // warnings left.
    let schema = p.check(Mode::Default).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        schema
            .warnings
            .iter()
            .all(|w| w.lint == Some(Lint::NameCase))
    );
    assert_eq!(schema.warnings.len(), 1 + 14 + 2);
}
