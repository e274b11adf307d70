//! Documentation comments: their syntax and sections, QEMU 10.2's rules as
//! errors in strict mode, and in default mode the house-style rules as
//! warnings naming their lint, with older schemas' documentation read the way
//! QEMU 5.2 read it.

mod common;

use common::{both_err, clean, dump_tail, ok, strict_err, style, warnings};
use qapi_gen::doc::SectionKind;
use qapi_gen::{Lint, Mode};

const ENUM: &str = "{ 'enum': 'Foo', 'data': [] }\n";

fn with_doc(lines: &str) -> String {
    format!("##\n{lines}##\n{ENUM}")
}

// --- syntax -----------------------------------------------------------------------

#[test]
fn doc_syntax_errors() {
    let cases = [
        (
            "## x\n# @Foo:\n##\n",
            "t.json:1:1: junk after '##' at start of documentation comment",
        ),
        (
            "##\n# @Foo:\n## x\n",
            "t.json:3:1: junk after '##' at end of documentation comment",
        ),
        ("##\n# @Foo\n##\n", "t.json:2:1: line should end with ':'"),
        ("##\n# @:\n##\n", "t.json:2:1: name required after '@'"),
        (
            "##\n# @Foo:\n#text\n##\n",
            "t.json:3:1: missing space after #",
        ),
        (
            "##\n# @Foo:\n#\n# Features:\n# @f: x\n#\n# Features:\n# @g: y\n##\n",
            "t.json:7:1: duplicated 'Features:' line",
        ),
        (
            "##\n# @Foo:\n#\n# Features:\n#\n# text\n##\n",
            "t.json:6:1: feature descriptions expected",
        ),
        (
            "##\n# @Foo:\n#\n# Since: 1.0\n#\n# @a: x\n##\n",
            "t.json:6:1: description of '@a:' follows a section",
        ),
        // Descriptions after `Features:` are all feature descriptions.
        (
            "##\n# @Foo:\n#\n# Features:\n# @f: x\n#\n# @a: x\n##\n",
            "t.json:5: documented features 'f', 'a' do not exist",
        ),
        (
            "##\n# Free text\n# @a: x\n##\n",
            "t.json:3:1: '@a:' not allowed in free-form documentation",
        ),
    ];
    for (block, message) in cases {
        assert_eq!(both_err(&format!("{block}{ENUM}")), message, "{block}");
    }
}

#[test]
fn doc_semantic_errors_have_no_column() {
    let cases = [
        ("# @Foo:\n# @: text\n", "t.json:3: invalid parameter name"),
        (
            "# @Foo:\n# @a: x\n# @a: y\n",
            "t.json:4: 'a' parameter name duplicated",
        ),
        (
            "# @Foo:\n#\n# Features:\n# @f: x\n# @f: y\n",
            "t.json:6: 'f' parameter name duplicated",
        ),
        (
            "# @Foo:\n#\n# Since: 1\n#\n# Since: 2\n",
            "t.json:6: duplicated 'Since' section",
        ),
        (
            "# @Foo:\n#\n# Since:\n",
            "t.json:4: text required after 'Since:'",
        ),
        (
            "# @Foo:\n#\n# TODO:\n#\n",
            "t.json:4: text required after 'Todo:'",
        ),
    ];
    for (lines, message) in cases {
        assert_eq!(both_err(&with_doc(lines)), message, "{lines}");
    }
}

#[test]
fn unclosed_doc_comments() {
    // At end of input, reported at the final newline.
    assert_eq!(
        both_err("##\n# foo\n"),
        "t.json:2:6: documentation comment must end with '##'"
    );
    // A line that is no comment ends the block.
    assert_eq!(
        both_err("##\n# @Foo:\n{ 'enum': 'Foo', 'data': [] }\n"),
        "t.json:3:1: documentation comment must end with '##'"
    );
}

#[test]
fn indented_doc_comments() {
    let s = clean("  ##\n  # @Foo:\n  #\n  # Text.\n  ##\n{ 'enum': 'Foo', 'data': [] }\n");
    assert_eq!(s.doc(s.get("Foo").unwrap()).unwrap().body.text, "Text.");
    assert_eq!(
        both_err("  ##\n  #x\n  ##\n"),
        "t.json:2:3: missing space after #"
    );
}

#[test]
fn docs_and_definitions() {
    assert_eq!(
        both_err("##\n# Free text.\n##\n{ 'enum': 'Foo', 'data': [] }\n"),
        "t.json:1: definition documentation required"
    );
    assert_eq!(
        both_err("##\n# @Bar:\n##\n{ 'enum': 'Foo', 'data': [] }\n"),
        "t.json: In enum 'Foo':\nt.json:4: documentation comment is for 'Bar'"
    );
    assert_eq!(
        both_err("##\n# @Foo:\n##\n\n##\n# @Bar:\n##\n{ 'enum': 'Bar', 'data': [] }\n"),
        "t.json:1: documentation for 'Foo' is not followed by the definition"
    );
    assert_eq!(
        both_err("##\n# @Foo:\n#\n# Returns: x\n##\n{ 'struct': 'Foo', 'data': {} }\n"),
        "t.json:4: 'Returns' section is only valid for commands"
    );
    assert_eq!(
        both_err("##\n# @EV:\n#\n# Errors: x\n##\n{ 'event': 'EV' }\n"),
        "t.json:4: 'Errors' section is only valid for commands"
    );
    // Free-form documentation between definitions is fine.
    clean(
        "##\n# = Section\n#\n# Text.\n##\n\n##\n# @Foo:\n##\n{ 'enum': 'Foo', 'data': [] }\n##\n# More.\n##\n",
    );
}

// --- sections ----------------------------------------------------------------------

#[test]
fn sections() {
    let s = clean(
        "##\n# @foo:\n#\n# Does foo.\n#\n# @a: the a\n#     continued\n#\n# @b: the b\n#\n\
         # Features:\n#\n# @deprecated: do not\n#\n# Returns: a Foo\n#\n# Errors:\n#     - if bad\n#\n\
         # Since: 1.0\n#\n# TODO: more\n#\n# Final words.\n##\n\
         { 'command': 'foo', 'data': { 'a': 'int', 'b': 'str' }, 'returns': 'Foo',\n  \
         'features': [ 'deprecated' ] }\n\
         ##\n# @Foo:\n##\n{ 'struct': 'Foo', 'data': {} }\n",
    );
    let doc = s.doc(s.get("foo").unwrap()).unwrap();
    assert_eq!(doc.symbol.as_deref(), Some("foo"));
    assert_eq!(doc.loc.line, 1);
    assert_eq!(doc.body.text, "Does foo.");
    assert_eq!(doc.arg("a").unwrap().text, "the a\n    continued");
    assert_eq!(doc.arg("b").unwrap().text, "the b");
    assert_eq!(doc.feature("deprecated").unwrap().text, "do not");
    let sections: Vec<(SectionKind, &str)> = doc
        .sections
        .iter()
        .map(|s| (s.kind, s.text.as_str()))
        .collect();
    assert_eq!(
        sections,
        [
            (SectionKind::Returns, "a Foo"),
            (SectionKind::Errors, "    - if bad"),
            (SectionKind::Since, "1.0"),
            (SectionKind::Todo, "more"),
            (SectionKind::Plain, "Final words."),
        ]
    );
    assert!(dump_tail(&s).contains(
        "doc symbol=foo\n    body=\nDoes foo.\n    arg=a\nthe a\n    continued\n    arg=b\nthe b\n    \
         feature=deprecated\ndo not\n    section=Returns\na Foo\n    section=Errors\n    - if bad\n    \
         section=Since\n1.0\n    section=Todo\nmore\n    section=Plain\nFinal words.\n"
    ));
}

#[test]
fn rst_markup_is_not_a_section() {
    let s = clean(
        "##\n# @Foo:\n#\n# Examples::\n#\n#  literal text longer than seventy columns, which is fine inside it\n#\n\
         # Note::\n#     Text\n#\n# .. note:: A note.\n##\n{ 'enum': 'Foo', 'data': [] }\n",
    );
    let doc = s.doc(s.get("Foo").unwrap()).unwrap();
    assert!(doc.sections.iter().all(|s| s.kind == SectionKind::Plain));
}

#[test]
fn undocumented_members_and_features() {
    let cases = [
        (
            "{ 'struct': 'Foo', 'data': { 'a': 'int' } }",
            "struct",
            "member 'a' lacks documentation",
        ),
        (
            "{ 'enum': 'Foo', 'data': [ 'x' ] }",
            "enum",
            "value 'x' lacks documentation",
        ),
        (
            "{ 'alternate': 'Foo', 'data': { 'b': 'int' } }",
            "alternate",
            "branch 'b' lacks documentation",
        ),
        (
            "{ 'struct': 'Foo', 'data': {}, 'features': [ 'f' ] }",
            "struct",
            "feature 'f' lacks documentation",
        ),
    ];
    for (def, meta, message) in cases {
        let text = format!("##\n# @Foo:\n##\n{def}\n");
        assert_eq!(
            style(&text, Lint::Undocumented),
            format!("t.json: In {meta} 'Foo':\nt.json:4: {message}")
        );
    }
    // A command's arguments are its implicit argument type's members.
    assert_eq!(
        style(
            "##\n# @foo:\n##\n{ 'command': 'foo', 'data': { 'arg': 'int' } }\n",
            Lint::Undocumented
        ),
        "t.json: In command 'foo':\nt.json:4: member 'arg' lacks documentation"
    );
    // Undocumented is not the same as without documentation at all.
    clean("{ 'struct': 'Foo', 'data': { 'a': 'int' } }");
}

#[test]
fn documented_things_must_exist() {
    assert_eq!(
        both_err(
            "##\n# @Foo:\n# @a: x\n# @b: y\n# @c: z\n##\n{ 'struct': 'Foo', 'data': { 'a': 'int' } }\n"
        ),
        "t.json:4: documented members 'b', 'c' do not exist"
    );
    assert_eq!(
        both_err("##\n# @Foo:\n# @b: y\n##\n{ 'struct': 'Foo', 'data': {} }\n"),
        "t.json:3: documented member 'b' does not exist"
    );
    assert_eq!(
        both_err("##\n# @Foo:\n#\n# Features:\n# @f: y\n##\n{ 'struct': 'Foo', 'data': {} }\n"),
        "t.json:5: documented feature 'f' does not exist"
    );
}

// --- house style: errors in strict mode, warnings otherwise ------------------------------

#[test]
fn line_length() {
    let long = format!("# {}\n", "x".repeat(69));
    assert_eq!(
        style(
            &with_doc(&format!("# @Foo:\n#\n{long}")),
            Lint::DocLineLength
        ),
        "t.json:4:1: documentation line longer than 70 characters"
    );
    // 70 columns are fine, and so are URLs and literal blocks.
    clean(&with_doc(&format!("# @Foo:\n#\n# {}\n", "x".repeat(68))));
    clean(&with_doc(&format!(
        "# @Foo:\n#\n#   https://example.com/{}\n",
        "x".repeat(80)
    )));
    clean(&with_doc(&format!(
        "# @Foo:\n#\n# ::\n#\n#   {}\n#\n# After.\n",
        "x".repeat(80)
    )));
    clean(&with_doc(&format!(
        "# @Foo:\n#\n# .. qmp-example::\n#\n#    -> {}\n",
        "x".repeat(80)
    )));
}

#[test]
fn sentence_spacing() {
    let message =
        "Use two spaces between sentences\nIf this not the end of a sentence, please report a bug.";
    assert_eq!(
        style(
            &with_doc("# @Foo:\n#\n# One. Two.\n"),
            Lint::DocSentenceSpacing
        ),
        format!("t.json:4:7: {message}")
    );
    assert_eq!(
        style(
            &with_doc("# @Foo:\n#\n# Really? Yes!  And (so) on! (Yes)\n"),
            Lint::DocSentenceSpacing
        ),
        format!("t.json:4:10: {message}")
    );
    clean(&with_doc(
        "# @Foo:\n#\n# One.  Two, e.g. This.  Version 1.2 works.\n# 1. First\n#   2. Second\n",
    ));
}

#[test]
fn indentation() {
    assert_eq!(
        style(
            "##\n# @Foo:\n#\n# @a: first\n#     second\n#   third\n##\n\
             { 'struct': 'Foo', 'data': { 'a': 'int' } }\n",
            Lint::DocFormat
        ),
        "t.json:6:1: unexpected de-indent (expected at least 4 spaces)"
    );
    // After a blank line, less indentation starts a new paragraph.
    clean(
        "##\n# @Foo:\n#\n# @a: first\n#     second\n#\n# New paragraph.\n##\n\
         { 'struct': 'Foo', 'data': { 'a': 'int' } }\n",
    );
}

#[test]
fn old_note_and_example_sections() {
    let text = with_doc(
        "# @Foo:\n#\n# Note: old style\n#       note\n#\n# Example:\n#\n# -> { \"execute\": \"foo\" }\n# <- { \"return\": {} }\n",
    );
    assert_eq!(
        style(&text, Lint::DocFormat),
        "t.json:4:1: The 'Note' section is no longer supported. Please use rST's '.. note::' or \
         '.. admonition:: notes' directives, or another suitable admonition instead."
    );
    let s = ok(Mode::Default, &text);
    assert_eq!(
        warnings(&text)[1],
        "t.json:7:1: warning: The 'Example' section is no longer supported. Please use the \
         '.. qmp-example::' directive, or other suitable markup instead."
    );
    let doc = s.doc(s.get("Foo").unwrap()).unwrap();
    let sections: Vec<(SectionKind, &str)> = doc
        .sections
        .iter()
        .map(|s| (s.kind, s.text.as_str()))
        .collect();
    assert_eq!(
        sections,
        [
            (SectionKind::Note, "old style\n      note"),
            (
                SectionKind::Example,
                "-> { \"execute\": \"foo\" }\n<- { \"return\": {} }"
            ),
        ]
    );
    for tag in ["Notes", "Examples"] {
        let e = strict_err(&with_doc(&format!("# @Foo:\n#\n# {tag}: x\n")));
        assert!(
            e.starts_with(&format!(
                "t.json:4:1: The '{tag}' section is no longer supported."
            )),
            "{e}"
        );
    }
}

#[test]
fn returns_without_return_value() {
    assert_eq!(
        style(
            "##\n# @foo:\n#\n# Returns: nothing\n##\n{ 'command': 'foo' }\n",
            Lint::DocFormat
        ),
        "t.json:4: 'Returns' section, but command doesn't return anything"
    );
}

#[test]
fn empty_descriptions() {
    assert_eq!(
        style(
            "##\n# @Foo:\n#\n# Features:\n# @f:\n##\n{ 'struct': 'Foo', 'data': {}, 'features': [ 'f' ] }\n",
            Lint::DocFormat
        ),
        "t.json:5: text required after 'Feature:'"
    );
    assert_eq!(
        style(
            "##\n# @Foo:\n# @a:\n##\n{ 'struct': 'Foo', 'data': { 'a': 'int' } }\n",
            Lint::DocFormat
        ),
        "t.json:3: text required after 'Member:'"
    );
}

// --- QEMU 5.2's reading, default mode only ----------------------------------------------

#[test]
fn unindented_continuation_lines() {
    // QEMU 5.2 read the lines right after an empty description as its
    // text; QEMU 10.2 reads a new paragraph and fails on the empty
    // description.
    let text = "##\n# @Foo:\n#\n# @a:\n# first line\n# second line\n# @b: other\n##\n\
                { 'struct': 'Foo', 'data': { 'a': 'int', 'b': 'int' } }\n";
    let s = ok(Mode::Default, text);
    assert_eq!(
        s.warnings
            .iter()
            .map(|w| (w.lint, w.render(&s.sources)))
            .collect::<Vec<_>>(),
        [(
            Some(Lint::DocFormat),
            "t.json:5:1: warning: continuation line of a description should be indented"
                .to_string()
        )]
    );
    let doc = s.doc(s.get("Foo").unwrap()).unwrap();
    assert_eq!(doc.arg("a").unwrap().text, "first line\nsecond line");
    assert_eq!(doc.arg("b").unwrap().text, "other");
    // Strict mode reads a paragraph (with @b: in it as text) and rejects
    // the empty description.
    assert_eq!(strict_err(text), "t.json:4: text required after 'Member:'");
}

#[test]
fn space_before_colon() {
    let text = "##\n# @Foo:\n# @a : the a\n##\n{ 'struct': 'Foo', 'data': { 'a': 'int' } }\n";
    let s = ok(Mode::Default, text);
    assert_eq!(
        warnings(text),
        ["t.json:3:1: warning: space before ':' in '@a :'"]
    );
    assert_eq!(
        s.doc(s.get("Foo").unwrap()).unwrap().arg("a").unwrap().text,
        "the a"
    );
    // QEMU 10.2 reads a member named "a ".
    assert_eq!(
        strict_err(text),
        "t.json: In struct 'Foo':\nt.json:5: member 'a' lacks documentation"
    );
}

#[test]
fn default_mode_accepts_what_qemu_10_2_accepts() {
    // Found by the fuzzer.  After an unindented continuation line (read the
    // QEMU 5.2 way), the default mode reads `@b:` as a description of a
    // member that does not exist, while QEMU 10.2 reads it as paragraph text.
    let text = "##\n# @Foo:\n# @a: text\n# more text\n# @b: text\n##\n\
                { 'struct': 'Foo', 'data': { 'a': 'int' } }\n";
    ok(Mode::Strict, text);
    ok(Mode::Default, text);
}
