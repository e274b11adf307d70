//! The `qapi-gen` command line: exit codes, the format of what it prints,
//! the warnings summary, and `dump`.

mod common;

use std::process::{Command, Output};

use common::TempDir;

fn run(dir: &TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qapi-gen"))
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("run qapi-gen")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

const VALID: &str =
    "##\n# @Foo:\n#\n# @a: the a\n##\n{ 'struct': 'Foo', 'data': { 'a': 'int' } }\n";

#[test]
fn a_valid_schema() {
    let d = TempDir::new("cli-valid");
    d.write("s.json", VALID);
    for args in [&["check", "s.json"][..], &["check", "--strict", "s.json"]] {
        let o = run(&d, args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "");
        assert_eq!(stdout(&o), "");
    }
}

#[test]
fn an_invalid_schema() {
    let d = TempDir::new("cli-invalid");
    d.write(
        "s.json",
        "{ 'struct': 'Foo',\n  'data': { 'a': 'Nope' } }\n",
    );
    let o = run(&d, &["check", "--no-snippets", "s.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "s.json: In struct 'Foo':\ns.json:1: member 'a' uses unknown type 'Nope'\n"
    );
    assert_eq!(stdout(&o), "");
    // With a snippet (the default), the same lines come first.
    let o = run(&d, &["check", "s.json"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "s.json: In struct 'Foo':\ns.json:1: member 'a' uses unknown type 'Nope'\n"
        ),
        "{err}"
    );
    assert!(err.contains("{ 'struct': 'Foo',"), "{err}");
}

#[test]
fn a_syntax_error_with_its_column() {
    let d = TempDir::new("cli-syntax");
    d.write("s.json", "{ 'enum': 'Foo', 'data': [ 'a' 'b' ] }\n");
    let o = run(&d, &["check", "--strict", "--no-snippets", "s.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "s.json:1:32: expected ',' or ']'\n");
}

#[test]
fn a_missing_schema() {
    let d = TempDir::new("cli-missing");
    let o = run(&d, &["check", "nope.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "can't read schema file 'nope.json': No such file or directory\n"
    );
}

#[test]
fn usage_errors() {
    let d = TempDir::new("cli-usage");
    let o = run(&d, &["check"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&d, &["check", "--warnings", "some", "s.json"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&d, &["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A schema with 12 warnings: 11 of name-case, then 1 undocumented.
fn noisy() -> String {
    let mut s = String::from("##\n# @Foo:\n##\n{ 'struct': 'Foo', 'data': { 'a': 'int' } }\n");
    for i in 0..11 {
        s.push_str(&format!("{{ 'command': 'cmd_{i}' }}\n"));
    }
    s
}

#[test]
fn warnings_in_default_mode() {
    let d = TempDir::new("cli-warn");
    d.write("s.json", &noisy());
    // Summary (the default): ten, then a count per rule.
    let o = run(&d, &["check", "--no-snippets", "s.json"]);
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    // (Naming is checked before documentation.)
    assert_eq!(lines[0], "s.json: In command 'cmd_0':");
    assert_eq!(
        lines[1],
        "s.json:5: warning: name of command must not use uppercase or '_'"
    );
    assert_eq!(
        lines[19],
        "s.json:14: warning: name of command must not use uppercase or '_'"
    );
    assert_eq!(lines.len(), 21);
    assert_eq!(
        lines[20],
        "qapi-gen: 2 more warnings (name-case: 1, undocumented: 1); --warnings=all shows them, --strict makes them errors"
    );
    // All of them.
    let o = run(
        &d,
        &["check", "--no-snippets", "--warnings", "all", "s.json"],
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stderr(&o).lines().count(), 24);
    assert!(!stderr(&o).contains("more warnings"));
    // None.
    let o = run(&d, &["check", "--warnings", "none", "s.json"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    // Strict mode: the first is an error.
    let o = run(&d, &["check", "--strict", "--no-snippets", "s.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "s.json: In command 'cmd_0':\ns.json:5: name of command must not use uppercase or '_'\n"
    );
}

#[test]
fn warnings_then_an_error() {
    let d = TempDir::new("cli-warn-err");
    d.write(
        "s.json",
        "{ 'command': 'a_b' }\n{ 'command': 'c', 'data': 'Nope' }\n",
    );
    let o = run(&d, &["check", "--no-snippets", "s.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "s.json: In command 'a_b':\ns.json:1: warning: name of command must not use uppercase or '_'\n\
         s.json: In command 'c':\ns.json:2: command's 'data' uses unknown type 'Nope'\n"
    );
}

#[test]
fn dump() {
    let d = TempDir::new("cli-dump");
    d.write("s.json", VALID);
    let o = run(&d, &["dump", "--strict", "s.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("module ./builtin\nobject q_empty\nenum QType\n"));
    assert!(out.ends_with(
        "module s.json\nobject Foo\n    member a: int optional=False\ndoc symbol=Foo\n    body=\n\n    arg=a\nthe a\n"
    ), "{out}");
    assert_eq!(stderr(&o), "");
    // The same as the library's dump.
    let schema = qapi_gen::load(d.path().join("s.json"), qapi_gen::Mode::Strict).unwrap();
    assert_eq!(out, qapi_gen::dump::dump(&schema));
    // An invalid schema: no dump, exit status 1.
    d.write("bad.json", "{ 'enum': 'Foo' }\n");
    let o = run(&d, &["dump", "--no-snippets", "bad.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "bad.json: In enum 'Foo':\nbad.json:1: enum misses key 'data'\n"
    );
}

#[test]
fn dump_of_qemus_test_schema() {
    let Some(dir) = common::shared(
        "cli::dump_of_qemus_test_schema",
        "qemu/10.2/tests/qapi-schema",
    ) else {
        return;
    };
    let o = Command::new(env!("CARGO_BIN_EXE_qapi-gen"))
        .args(["dump", "--strict", "qapi-schema-test.json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        std::fs::read_to_string(dir.join("qapi-schema-test.out")).unwrap()
    );
}

#[test]
fn a_stray_non_ascii_character() {
    let d = TempDir::new("cli-nonascii");
    d.write("s.json", "{ 'enum': 'Foo', 'data': [ é ] }\n");
    let o = run(&d, &["check", "s.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("s.json:1:28: stray 'é'\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn deep_nesting_the_grammar_accepts() {
    // Nesting the grammar accepts but deeper than `MAX_NESTING` (256): the
    // conversion of what it parsed (syntax/mod.rs, `FileParser::value`)
    // stops with "nesting too deep" instead of recursing on.  Run in a
    // child process, so that a stack overflow, were one to come back, fails
    // this test instead of aborting the test binary.
    let d = TempDir::new("cli-deep");
    let cases = [
        (
            format!(
                "{{ 'enum': 'Foo', 'data': {}{} }}\n",
                "[".repeat(2000),
                "]".repeat(2000)
            ),
            "s.json: In enum 'Foo':\ns.json:1: 'data' member requires a string name\n",
        ),
        (
            format!(
                "{{ 'struct': 'Foo', 'data': {{}}, 'if': {}'A'{} }}\n",
                "{ 'not': ".repeat(2000),
                " }".repeat(2000)
            ),
            "",
        ),
    ];
    for (text, expected) in cases {
        d.write("s.json", &text);
        let o = run(&d, &["check", "--strict", "--no-snippets", "s.json"]);
        let err = stderr(&o);
        assert!(o.status.code().is_some(), "{}: {err}", o.status);
        assert!(
            err == expected || err.ends_with(": nesting too deep\n"),
            "{err}"
        );
    }
}

const OLD: &str = "##\n# @Foo:\n#\n# @a: the a\n#\n# Since: 1.0\n##\n\
{ 'struct': 'Foo', 'data': { 'a': 'str' } }\n\
##\n# @q:\n#\n# Since: 1.0\n##\n{ 'command': 'q', 'returns': 'Foo' }\n";
const NEW: &str = "##\n# @Foo:\n#\n# @a: the a\n#\n# @b: the b (since 2.0)\n#\n# Since: 1.0\n##\n\
{ 'struct': 'Foo', 'data': { 'a': 'int', 'b': 'bool' } }\n\
##\n# @q:\n#\n# Since: 1.0\n##\n{ 'command': 'q', 'returns': 'Foo' }\n";

#[test]
fn generate_oldest() {
    let d = TempDir::new("cli-oldest");
    d.write("new.json", NEW);
    let o = run(&d, &["generate", "new.json", "-o", "-", "--oldest", "1.5"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // `b` came in 2.0, after 1.5: optional in what the server returns.
    assert!(stdout(&o).contains("pub b: ::std::option::Option<bool>,"));
    let o = run(&d, &["generate", "new.json", "-o", "-", "--oldest", "2.0"]);
    assert!(stdout(&o).contains("pub b: bool,"));
    let o = run(&d, &["generate", "new.json", "-o", "-", "--oldest", "two"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("'two' is not a QEMU version (MAJOR.MINOR or MAJOR.MINOR.MICRO)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn generate_merge() {
    let d = TempDir::new("cli-merge");
    d.write("old/s.json", OLD);
    d.write("new/s.json", NEW);
    let o = run(
        &d,
        &[
            "generate",
            "new/s.json",
            "--merge",
            "old/s.json",
            "--no-snippets",
            "-o",
            "-",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    // `a` is a string in one and an integer in the other: either.
    assert!(out.contains("pub a: IntOrStr,"), "{out}");
    // `b` only the new one has.
    assert!(out.contains("pub b: ::std::option::Option<bool>,"));
    assert!(out.contains("Only in `new`."));
    assert_eq!(
        stderr(&o),
        "new/s.json: In struct 'Foo':\n\
         new/s.json:10: warning: member 'a' of struct 'Foo' is 'int' here and 'str' in old; \
         the bindings use 'int-or-str', an alternate of both\n\
         old/s.json: In struct 'Foo':\n\
         old/s.json:8: as old has it\n"
    );
    // Conflicts are shown even with --warnings none, as a count.
    let o = run(
        &d,
        &[
            "generate",
            "new/s.json",
            "--merge",
            "old/s.json",
            "--warnings",
            "none",
            "-o",
            "x.rs",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stderr(&o),
        "qapi-gen: 1 more conflicts between the merged schemas; --warnings=all shows them\n"
    );
    // A schema merged with itself: what it generates alone.
    let alone = run(&d, &["generate", "new/s.json", "-o", "-"]);
    let twice = run(
        &d,
        &["generate", "new/s.json", "--merge", "new/s.json", "-o", "-"],
    );
    assert_eq!(stdout(&alone), stdout(&twice));
    assert_eq!(stderr(&twice), "");
    // An invalid schema to merge fails as any schema does.
    d.write("bad.json", "{ 'command': 'q', 'data': 'Nope' }\n");
    let o = run(
        &d,
        &[
            "generate",
            "new/s.json",
            "--merge",
            "bad.json",
            "--no-snippets",
            "-o",
            "-",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("bad.json:1: command's 'data' uses unknown type 'Nope'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn diff() {
    let d = TempDir::new("cli-diff");
    d.write("old.json", OLD);
    d.write("new.json", NEW);
    let o = run(&d, &["diff", "old.json", "new.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "old.json -> new.json: 2 changes in 1 definition\n\
         \x20 1 break an old client of a new server, 2 a new client of an old server\n\
         \n\
         struct Foo (output)\n\
         \x20 ~ member 'a': str -> int\n\
         \x20     breaks an old client of a new server: the values received are of another type\n\
         \x20     breaks a new client of an old server: the values received are of another type\n\
         \x20 + member 'b': bool (since 2.0)\n\
         \x20     breaks a new client of an old server: an old server leaves out the required member\n"
    );
    let o = run(&d, &["diff", "--json", "old.json", "new.json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["changes"][0]["change"], "type-changed");
    assert_eq!(v["changes"][1]["part"]["name"], "b");
    assert_eq!(v["changes"][1]["since"], "2.0");
    // A fork's report: what new.json adds to old.json, against old.json.
    let o = run(
        &d,
        &["diff", "old.json", "new.json", "--against", "old.json"],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).starts_with(
            "new.json against old.json: 0 definitions added, 1 changed; checked against old.json\n"
        ),
        "{}",
        stdout(&o)
    );
    let o = run(&d, &["diff", "old.json", "missing.json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing.json"));
}
