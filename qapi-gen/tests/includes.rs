//! Include directives (relative paths, repetition, loops, missing files) and
//! pragmas (both vocabularies).

mod common;

use common::{TempDir, both_err, clean, default_err, dump_tail, ok, strict_err, strip, warnings};
use qapi_gen::Mode;

/// Checks `root` of `dir` and returns the error with `dir/` stripped.
fn err_in(dir: &TempDir, root: &str, mode: Mode) -> String {
    let e = qapi_gen::load(dir.path().join(root), mode).expect_err("rejected");
    strip(&e.to_string(), dir.path())
}

// --- include -------------------------------------------------------------------

#[test]
fn includes_are_relative_to_the_including_file() {
    let d = TempDir::new("incl-rel");
    let root = d.write("a.json", "{ 'include': 'sub/b.json' }\n{ 'struct': 'Alpha', 'data': { 'b': 'Beta', 'c': 'Gamma' } }\n");
    d.write(
        "sub/b.json",
        "# b\n{ 'include': '../c.json' }\n{ 'enum': 'Beta', 'data': [ 'x' ] }\n",
    );
    d.write("c.json", "{ 'enum': 'Gamma', 'data': [ 'y' ] }\n");
    let s = qapi_gen::load(&root, Mode::Strict).unwrap_or_else(|e| panic!("{e}"));
    let dump = qapi_gen::dump::dump(&s);
    let tail = &dump[dump.find("module a.json").unwrap()..];
    assert_eq!(
        tail,
        "module a.json\ninclude sub/b.json\nobject Alpha\n    member b: Beta optional=False\n    member c: Gamma optional=False\n\
         module sub/b.json\ninclude c.json\nenum Beta\n    member x\n\
         module c.json\nenum Gamma\n    member y\n"
    );
    // Files are named as QEMU names them: the including file's directory
    // joined with the include's value, not normalized.
    let paths: Vec<String> = s
        .sources
        .files()
        .map(|f| strip(&f.path.display().to_string(), d.path()))
        .collect();
    assert_eq!(paths, ["a.json", "sub/b.json", "sub/../c.json"]);
}

#[test]
fn errors_in_included_files_show_the_chain() {
    let d = TempDir::new("incl-chain");
    d.write("a.json", "# a\n{ 'include': 'sub/b.json' }\n");
    d.write("sub/b.json", "\n\n{ 'include': '../c.json' }\n");
    d.write("c.json", "{ 'struct': 'Gamma', 'data': { 'x': 'Nope' } }\n");
    assert_eq!(
        err_in(&d, "a.json", Mode::Strict),
        "In file included from a.json:2:\nIn file included from sub/b.json:3:\n\
         sub/../c.json: In struct 'Gamma':\nsub/../c.json:1: member 'x' uses unknown type 'Nope'"
    );
    d.write("c.json", "{ 'a': 1 }\n");
    assert_eq!(
        err_in(&d, "a.json", Mode::Default),
        "In file included from a.json:2:\nIn file included from sub/b.json:3:\nsub/../c.json:1:8: stray '1'"
    );
}

#[test]
fn a_file_included_again_is_skipped() {
    let d = TempDir::new("incl-rep");
    d.write(
        "a.json",
        "{ 'include': 'b.json' }\n{ 'include': 'sub/../b.json' }\n{ 'include': './b.json' }\n",
    );
    d.write("b.json", "{ 'enum': 'Beta', 'data': [ 'x' ] }\n");
    let s = qapi_gen::load(d.path().join("a.json"), Mode::Strict).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.sources.len(), 2);
    let dump = qapi_gen::dump::dump(&s);
    assert!(dump.ends_with(
        "module a.json\ninclude b.json\ninclude b.json\ninclude b.json\nmodule b.json\nenum Beta\n    member x\n"
    ));
}

#[test]
fn inclusion_loops() {
    let d = TempDir::new("incl-loop");
    d.write("a.json", "{ 'include': 'b.json' }\n");
    d.write("b.json", "\n{ 'include': 'sub/c.json' }\n");
    d.write("sub/c.json", "{ 'include': '../a.json' }\n");
    assert_eq!(
        err_in(&d, "a.json", Mode::Strict),
        "In file included from a.json:1:\nIn file included from b.json:2:\n\
         sub/c.json:1: inclusion loop for ../a.json"
    );
    d.write("self.json", "# me\n{ 'include': 'self.json' }\n");
    assert_eq!(
        err_in(&d, "self.json", Mode::Default),
        "self.json:2: inclusion loop for self.json"
    );
}

#[test]
fn a_missing_include_file() {
    let d = TempDir::new("incl-missing");
    d.write(
        "a.json",
        "{ 'enum': 'Alpha', 'data': [] }\n{ 'include': 'nope.json' }\n",
    );
    assert_eq!(
        err_in(&d, "a.json", Mode::Strict),
        "a.json:2: can't read include file 'nope.json': No such file or directory"
    );
    d.write("b.json", "{ 'include': 'sub' }\n");
    std::fs::create_dir_all(d.path().join("sub")).unwrap();
    assert_eq!(
        err_in(&d, "b.json", Mode::Strict),
        "b.json:1: can't read include file 'sub': Is a directory"
    );
}

#[test]
fn an_include_file_that_is_not_utf8() {
    let d = TempDir::new("incl-utf8");
    d.write("a.json", "{ 'include': 'bin.json' }\n");
    std::fs::write(d.path().join("bin.json"), b"{ 'enum': '\xff' }\n").unwrap();
    assert_eq!(
        err_in(&d, "a.json", Mode::Strict),
        "a.json:1: can't read include file 'bin.json': not valid UTF-8"
    );
}

#[test]
fn includes_of_a_schema_held_in_memory() {
    let d = TempDir::new("incl-mem");
    d.write("b.json", "{ 'enum': 'Beta', 'data': [ 'x' ] }\n");
    let s = qapi_gen::load_str(
        d.path().join("root.json"),
        "{ 'include': 'b.json' }\n{ 'struct': 'Alpha', 'data': { 'b': 'Beta' } }\n",
        Mode::Strict,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(s.get("Beta").is_some());
    assert_eq!(s.modules[1].name, "root.json");
    assert_eq!(s.modules[2].name, "b.json");
}

#[test]
fn include_directive_syntax() {
    assert_eq!(
        both_err("{ 'include': 'a.json', 'b': 'c' }"),
        "t.json:1: invalid 'include' directive"
    );
    assert_eq!(
        both_err("\n{ 'include': [ 'a.json' ] }"),
        "t.json:2: value of 'include' must be a string"
    );
    assert_eq!(
        both_err("##\n# @Foo:\n##\n{ 'include': 'a.json' }"),
        "t.json:1: documentation for 'Foo' is not followed by the definition"
    );
}

// --- pragma ----------------------------------------------------------------------

#[test]
fn pragma_directive_syntax() {
    assert_eq!(
        both_err("{ 'pragma': { 'doc-required': true }, 'x': 'y' }"),
        "t.json:1: invalid 'pragma' directive"
    );
    assert_eq!(
        both_err("{ 'pragma': 'doc-required' }"),
        "t.json:1: value of 'pragma' must be an object"
    );
    assert_eq!(
        both_err("{ 'pragma': { 'frobnicate': true } }"),
        "t.json:1: unknown pragma 'frobnicate'"
    );
    assert_eq!(
        both_err("{ 'pragma': { 'doc-required': 'yes' } }"),
        "t.json:1: pragma 'doc-required' must be boolean"
    );
    for name in [
        "command-name-exceptions",
        "command-returns-exceptions",
        "documentation-exceptions",
        "member-name-exceptions",
    ] {
        for value in ["'foo'", "[ 'a', true ]", "{}"] {
            assert_eq!(
                both_err(&format!("\n{{ 'pragma': {{ '{name}': {value} }} }}")),
                format!("t.json:2: pragma {name} must be a list of strings")
            );
        }
    }
    assert_eq!(
        both_err("##\n# @Foo:\n##\n{ 'pragma': { 'doc-required': true } }"),
        "t.json:1: documentation for 'Foo' is not followed by the definition"
    );
}

#[test]
fn doc_required() {
    let text = "{ 'pragma': { 'doc-required': true } }\n{ 'enum': 'Foo', 'data': [] }\n";
    assert_eq!(
        both_err(text),
        "t.json: In enum 'Foo':\nt.json:2: documentation comment required"
    );
    clean(
        "{ 'pragma': { 'doc-required': true } }\n##\n# @Foo:\n##\n{ 'enum': 'Foo', 'data': [] }\n",
    );
    clean("{ 'pragma': { 'doc-required': false } }\n{ 'enum': 'Foo', 'data': [] }\n");
}

#[test]
fn command_name_exceptions() {
    let text = "{ 'command': 'foo_bar' }\n";
    assert_eq!(
        strict_err(text),
        "t.json: In command 'foo_bar':\nt.json:1: name of command must not use uppercase or '_'"
    );
    // A pragma applies to the whole schema, also to what comes before it.
    clean("{ 'command': 'foo_bar' }\n{ 'pragma': { 'command-name-exceptions': [ 'foo_bar' ] } }\n");
    // Upper case is still not allowed.
    assert_eq!(
        strict_err(
            "{ 'pragma': { 'command-name-exceptions': [ 'Foo_bar' ] } }\n{ 'command': 'Foo_bar' }\n"
        ),
        "t.json: In command 'Foo_bar':\nt.json:2: name of command must not use uppercase or '_'"
    );
}

#[test]
fn a_later_pragma_replaces_the_list() {
    assert_eq!(
        strict_err(
            "{ 'pragma': { 'command-name-exceptions': [ 'a_b' ] } }\n\
             { 'pragma': { 'command-name-exceptions': [ 'c_d' ] } }\n\
             { 'command': 'a_b' }\n{ 'command': 'c_d' }\n"
        ),
        "t.json: In command 'a_b':\nt.json:3: name of command must not use uppercase or '_'"
    );
}

#[test]
fn command_returns_exceptions() {
    let text = "{ 'command': 'foo', 'returns': 'int' }\n";
    assert_eq!(
        both_err(text),
        "t.json: In command 'foo':\nt.json:1: command's 'returns' cannot take built-in type 'int'"
    );
    clean(&format!(
        "{{ 'pragma': {{ 'command-returns-exceptions': [ 'foo' ] }} }}\n{text}"
    ));
    // 5.2's name for it, in default mode only.
    let old = format!("{{ 'pragma': {{ 'returns-whitelist': [ 'foo' ] }} }}\n{text}");
    assert!(warnings(&old).is_empty());
    assert_eq!(
        strict_err(&old),
        "t.json:1: unknown pragma 'returns-whitelist'"
    );
}

#[test]
fn member_name_exceptions() {
    let text =
        "{ 'struct': 'Foo', 'data': { 'Bar_baz': 'int' } }\n{ 'enum': 'Enu', 'data': [ 'A_b' ] }\n";
    assert_eq!(
        strict_err(text),
        "t.json: In struct 'Foo':\nt.json:1: name of 'data' member 'Bar_baz' must not use uppercase or '_'"
    );
    clean(&format!(
        "{{ 'pragma': {{ 'member-name-exceptions': [ 'Foo', 'Enu' ] }} }}\n{text}"
    ));
    // 5.2's name for it, in default mode only.
    let old = format!("{{ 'pragma': {{ 'name-case-whitelist': [ 'Foo', 'Enu' ] }} }}\n{text}");
    ok(Mode::Default, &old);
    assert!(warnings(&old).is_empty());
    assert_eq!(
        strict_err(&old),
        "t.json:1: unknown pragma 'name-case-whitelist'"
    );
    // Without it, the default mode warns.
    assert_eq!(
        warnings(text),
        [
            "t.json: In struct 'Foo':\nt.json:1: warning: name of 'data' member 'Bar_baz' must not use uppercase or '_'",
            "t.json: In enum 'Enu':\nt.json:2: warning: name of 'data' member 'A_b' must not use uppercase or '_'",
        ]
    );
}

#[test]
fn documentation_exceptions() {
    let text = "##\n# @Foo:\n##\n{ 'struct': 'Foo', 'data': { 'a': 'int' } }\n";
    assert_eq!(
        strict_err(text),
        "t.json: In struct 'Foo':\nt.json:4: member 'a' lacks documentation"
    );
    let s = clean(&format!(
        "{{ 'pragma': {{ 'documentation-exceptions': [ 'Foo' ] }} }}\n{text}"
    ));
    // The undocumented member gets an empty description.
    let doc = s.doc(s.get("Foo").unwrap()).unwrap();
    let a = doc.arg("a").unwrap();
    assert!(a.undocumented && a.text.is_empty());
    assert!(dump_tail(&s).contains("doc symbol=Foo\n    body=\n\n    arg=a\n\n"));
}

#[test]
fn pragmas_from_an_included_file_apply_everywhere() {
    let d = TempDir::new("pragma-incl");
    d.write(
        "a.json",
        "{ 'command': 'x_y' }\n{ 'include': 'pragma.json' }\n",
    );
    d.write(
        "pragma.json",
        "{ 'pragma': { 'command-name-exceptions': [ 'x_y' ] } }\n",
    );
    let s = qapi_gen::load(d.path().join("a.json"), Mode::Strict).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.pragma.command_name_exceptions, ["x_y"]);
}

#[test]
fn the_old_pragma_names_are_rejected_in_strict_mode_only() {
    assert_eq!(
        default_err("{ 'pragma': { 'returns-whitelist': 'foo' } }"),
        "t.json:1: pragma returns-whitelist must be a list of strings"
    );
}

#[test]
fn a_long_chain_of_includes_does_not_exhaust_the_stack() {
    // Each file includes the next: 5,000 deep (QEMU's own checker gives
    // up with Python's recursion limit long before).
    let d = TempDir::new("incl-chain");
    let n = 5_000;
    for i in 0..n {
        let include = if i + 1 < n {
            format!("{{ 'include': 'f{}.json' }}\n", i + 1)
        } else {
            String::new()
        };
        d.write(
            &format!("f{i}.json"),
            &format!("{{ 'struct': 'Item{i}', 'data': {{ 'a': 'int' }} }}\n{include}"),
        );
    }
    let s =
        qapi_gen::load(d.path().join("f0.json"), Mode::Strict).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.sources.len(), n);
    // A loop at its end is found, with every including file named.
    d.write(&format!("f{}.json", n - 1), "{ 'include': 'f0.json' }\n");
    let e = err_in(&d, "f0.json", Mode::Strict);
    assert!(
        e.ends_with(&format!("f{}.json:1: inclusion loop for f0.json", n - 1)),
        "{}",
        &e[e.len().saturating_sub(200)..]
    );
    assert_eq!(e.matches("In file included from").count(), n - 1);
}
