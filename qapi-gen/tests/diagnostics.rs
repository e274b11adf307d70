//! Diagnostics as values and their rendering: QEMU's format, warnings,
//! notes, include chains, and source snippets.

mod common;

use common::{load, ok};
use qapi_gen::{Lint, Mode, Severity};

#[test]
fn an_error_value() {
    let e = load(
        Mode::Strict,
        "{ 'enum': 'Foo', 'data': [ 'a' ] }\n{ 'struct': 'Foo', 'data': {} }\n",
    )
    .unwrap_err();
    let d = e.error();
    assert_eq!(d.severity, Severity::Error);
    assert!(d.is_error());
    assert_eq!(d.lint, None);
    assert_eq!(d.loc.unwrap().line, 2);
    assert_eq!(d.col, None);
    assert_eq!(
        d.context.as_ref().map(|c| (c.meta, &*c.name)),
        Some(("struct", "Foo"))
    );
    assert_eq!(d.message, "'Foo' is already defined");
    // The previous definition is a note, with its own context.
    assert_eq!(d.notes.len(), 1);
    assert_eq!(d.notes[0].loc.line, 1);
    assert_eq!(d.notes[0].message, "previous definition");
    let rendered = "t.json: In struct 'Foo':\nt.json:2: 'Foo' is already defined\n\
                    t.json: In enum 'Foo':\nt.json:1: previous definition";
    assert_eq!(d.render(&e.sources), rendered);
    assert_eq!(e.to_string(), rendered);
    assert_eq!(e.sources.len(), 1);
    assert_eq!(
        e.sources.path(d.loc.unwrap().file),
        std::path::Path::new("t.json")
    );
}

#[test]
fn warnings_say_so_after_the_location() {
    let s = ok(Mode::Default, "{ 'struct': 'foo', 'data': {} }\n");
    assert_eq!(s.warnings.len(), 1);
    let w = &s.warnings[0];
    assert_eq!(w.severity, Severity::Warning);
    assert!(!w.is_error());
    assert_eq!(w.lint, Some(Lint::NameCase));
    assert_eq!(
        w.render(&s.sources),
        "t.json: In struct 'foo':\nt.json:1: warning: name of struct must use CamelCase"
    );
}

#[test]
fn warnings_before_an_error_are_kept() {
    let e = load(
        Mode::Default,
        "{ 'struct': 'foo', 'data': {} }\n{ 'struct': 'Bar', 'data': { 'a': 'Nope' } }\n",
    )
    .unwrap_err();
    assert_eq!(e.diagnostics.len(), 2);
    assert!(!e.diagnostics[0].is_error());
    assert_eq!(e.error().message, "member 'a' uses unknown type 'Nope'");
    assert_eq!(
        e.to_string(),
        "t.json: In struct 'Bar':\nt.json:2: member 'a' uses unknown type 'Nope'"
    );
}

#[test]
fn the_lints_have_names() {
    let names: Vec<&str> = [
        Lint::NameCase,
        Lint::DocLineLength,
        Lint::DocSentenceSpacing,
        Lint::DocFormat,
        Lint::Undocumented,
    ]
    .iter()
    .map(|l| l.name())
    .collect();
    assert_eq!(
        names,
        [
            "name-case",
            "doc-line-length",
            "doc-sentence-spacing",
            "doc-format",
            "undocumented"
        ]
    );
}

#[test]
fn snippets_show_the_spot() {
    let e = load(Mode::Strict, "{ 'enum': 'Foo',\n  'data': [ 'a' ] 'x' }\n").unwrap_err();
    let plain = e.error().render(&e.sources);
    assert_eq!(plain, "t.json:2:19: expected ',' or '}'");
    let with = e.error().render_with_snippet(&e.sources);
    assert!(with.starts_with(&format!("{plain}\n")), "{with}");
    assert!(with.contains("  'data': [ 'a' ] 'x' }"), "{with}");
    assert!(with.contains('^'), "{with}");
}

#[test]
fn snippets_of_semantic_errors() {
    let e = load(
        Mode::Strict,
        "{ 'struct': 'Foo',\n  'data': { 'a': 'Nope' } }\n",
    )
    .unwrap_err();
    let with = e.error().render_with_snippet(&e.sources);
    assert!(
        with.starts_with(
            "t.json: In struct 'Foo':\nt.json:1: member 'a' uses unknown type 'Nope'\n"
        )
    );
    assert!(with.contains("{ 'struct': 'Foo',"), "{with}");
}

#[test]
fn a_snippet_at_the_end_of_input() {
    let e = load(Mode::Strict, "{ 'a': 'b'").unwrap_err();
    let with = e.error().render_with_snippet(&e.sources);
    assert!(
        with.starts_with("t.json:1:11: expected ',' or '}'\n"),
        "{with}"
    );
    assert!(with.contains("{ 'a': 'b'"), "{with}");
}

#[test]
fn snippets_with_tabs() {
    let e = load(Mode::Strict, "{ 'a':\t\t1 }").unwrap_err();
    let with = e.error().render_with_snippet(&e.sources);
    assert!(with.starts_with("t.json:1:7: stray '1'\n"), "{with}");
}

#[test]
fn a_snippet_at_a_non_ascii_character() {
    // The span of a syntax error is one byte long; at `é` (two bytes) the
    // snippet renderer is handed a range that ends inside the character.
    for text in [
        "é\n",
        "{ 'a': é }\n",
        "{ 'enum': 'Foo', 'data': [ '☃' ] }\n",
        "\u{fffd}",
    ] {
        let e = load(Mode::Default, text).unwrap_err();
        let with = e.error().render_with_snippet(&e.sources);
        assert!(with.starts_with(&e.to_string()), "{with}");
    }
}

#[test]
fn a_global_error_has_no_location() {
    let e = qapi_gen::load("/nonexistent/dir/schema.json", Mode::Default).unwrap_err();
    let d = e.error();
    assert_eq!(d.loc, None);
    assert_eq!(
        e.to_string(),
        "can't read schema file '/nonexistent/dir/schema.json': No such file or directory"
    );
    assert_eq!(d.render_with_snippet(&e.sources), e.to_string());
}
