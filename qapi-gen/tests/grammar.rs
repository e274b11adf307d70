//! The lexical syntax and the grammar: strings, escapes, booleans, nesting,
//! comments, documentation blocks as tokens, every syntax error with its
//! column (QEMU's tab arithmetic included), line ends, non-ASCII text, and
//! nesting too deep for a recursive parser.

mod common;

use common::{both_err, clean, dump_tail, load, ok, strict_err};
use qapi_gen::Mode;

// --- strings ---------------------------------------------------------------

#[test]
fn backslash_escapes_itself() {
    let s = clean(r"{ 'enum': 'Foo', 'prefix': 'A\\B', 'data': [ 'a' ] }");
    assert_eq!(
        dump_tail(&s),
        "module t.json\nenum Foo\n    prefix A\\B\n    member a\n"
    );
}

#[test]
fn any_other_escape_is_unknown() {
    // Reported at the string's opening quote.
    assert_eq!(
        both_err(r"{ 'enum': 'Foo', 'prefix': 'A\nB', 'data': [] }"),
        r"t.json:1:28: unknown escape \n"
    );
    assert_eq!(
        both_err(r"{ 'enum': 'Foo', 'prefix': 'it\'s', 'data': [] }"),
        r"t.json:1:28: unknown escape \'"
    );
}

#[test]
fn strings_hold_printable_ascii_only() {
    for funny in ["A\tB", "A\u{7f}B", "Aé", "A\u{1}"] {
        let text = format!("{{ 'enum': 'Foo', 'prefix': '{funny}', 'data': [] }}");
        assert_eq!(
            both_err(&text),
            "t.json:1:28: funny character in string",
            "{funny:?}"
        );
    }
}

#[test]
fn a_string_ends_on_its_line() {
    assert_eq!(
        both_err("{ 'enum': 'Foo',\n  'prefix': 'AB\n}\n"),
        "t.json:2:13: missing terminating \"'\""
    );
    // Also when the line ends in a backslash.
    assert_eq!(
        both_err("{ 'enum': 'Foo',\n  'prefix': 'AB\\\n}\n"),
        "t.json:2:13: missing terminating \"'\""
    );
}

#[test]
fn quoted_punctuation_is_a_string() {
    let s = clean("{ 'enum': 'Foo', 'prefix': '{[:,]}', 'data': [ 'a' ] }");
    assert!(dump_tail(&s).contains("    prefix {[:,]}\n"));
}

// --- booleans ----------------------------------------------------------------

#[test]
fn booleans() {
    let s = clean(
        "{ 'command': 'foo', 'gen': false, 'success-response': false,\n  'allow-preconfig': true }",
    );
    assert!(dump_tail(&s).contains(
        "command foo None -> None\n    gen=False success_response=False boxed=False oob=False preconfig=True\n"
    ));
}

#[test]
fn a_boolean_is_a_keyword_not_a_prefix() {
    // `true` is read, then what follows it is a stray token.
    assert_eq!(
        both_err("{ 'command': 'foo', 'boxed': truex }"),
        "t.json:1:34: stray 'x'"
    );
    assert_eq!(
        both_err("{ 'command': 'foo', 'boxed': True }"),
        "t.json:1:30: stray 'True'"
    );
    assert_eq!(
        both_err("{ 'command': 'foo', 'boxed': tru }"),
        "t.json:1:30: stray 'tru'"
    );
}

#[test]
fn strings_are_not_booleans() {
    assert_eq!(
        both_err("{ 'command': 'foo', 'gen': 'false' }"),
        "t.json: In command 'foo':\nt.json:1: flag 'gen' may only use false value"
    );
}

#[test]
fn no_numbers_no_null_no_double_quotes() {
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': 1 }"),
        "t.json:1:26: stray '1'"
    );
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': null }"),
        "t.json:1:26: stray 'null'"
    );
    assert_eq!(
        both_err("{ 'enum': \"Foo\", 'data': [] }"),
        "t.json:1:11: stray '\"Foo\"'"
    );
}

// --- nesting -------------------------------------------------------------------

#[test]
fn nested_values() {
    let s = clean(
        "{ 'struct': 'Foo',\n  'data': { 'a': { 'type': ['int'],\n                  \
         'if': { 'all': [ 'A', { 'not': { 'any': [ 'B', 'C' ] } } ] } } } }",
    );
    assert_eq!(
        dump_tail(&s),
        "module t.json\nobject Foo\n    member a: intList optional=False\n        \
         if {'all': ['A', {'not': {'any': ['B', 'C']}}]}\n"
    );
}

#[test]
fn an_array_type_holds_one_name() {
    for ty in ["[ [ 'int' ] ]", "[]", "[ 'int', 'str' ]"] {
        let text = format!("{{ 'struct': 'Foo', 'data': {{ 'a': {ty} }} }}");
        assert_eq!(
            both_err(&text),
            "t.json: In struct 'Foo':\nt.json:1: 'data' member 'a': array type must contain single type name",
            "{ty}"
        );
    }
}

#[test]
fn deep_nesting_is_a_clean_error() {
    // A recursive parser would overflow its stack; QEMU's dies with a Python
    // RecursionError.  Here: an error at the spot, and the test thread's
    // small stack suffices.
    for text in [
        format!("{{ 'enum': 'Foo', 'data': {} }}\n", "[".repeat(100_000)),
        format!(
            "{{ 'enum': 'Foo', 'data': {}{} }}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        format!("{}\n", "{ 'a': ".repeat(50_000)),
    ] {
        let e = load(Mode::Strict, &text).expect_err("rejected");
        let d = e.error();
        assert_eq!(d.loc.map(|l| l.line), Some(1));
        assert!(d.col.is_some_and(|c| c > 20));
        assert_eq!(d.message, "nesting too deep");
    }
}

#[test]
fn deep_nesting_up_to_the_limit() {
    // Just below and above the depth the grammar accepts, with an error at
    // the innermost spot, which is then diagnosed token by token.
    for depth in [1000, 3000, 4000, 4090, 4100, 4110, 5000] {
        for inner in ["x", "", "'a' 'b'"] {
            let text = format!("{{ 'enum': 'Foo', 'data': {}{inner}\n", "[ ".repeat(depth));
            let e = load(Mode::Strict, &text).expect_err("rejected");
            assert_eq!(e.error().loc.map(|l| l.line), Some(1), "{depth}");
            let text = format!("{{ 'a': {}{inner}\n", "{ 'a': ".repeat(depth));
            let e = load(Mode::Default, &text).expect_err("rejected");
            assert_eq!(e.error().loc.map(|l| l.line), Some(1), "{depth}");
        }
    }
}

/// (Nesting the grammar accepts but deeper than this overflows the stack:
/// see `deep_nesting_the_grammar_accepts` in `cli.rs`.)
#[test]
fn nesting_deep_enough_for_real_use_is_fine() {
    let depth = 200;
    let text = format!(
        "{{ 'struct': 'Foo', 'data': {{ 'a': {{ 'type': 'int', 'if': {}'A'{} }} }} }}\n",
        "{ 'not': ".repeat(depth),
        " }".repeat(depth)
    );
    ok(Mode::Strict, &text);
}

// --- comments --------------------------------------------------------------------

#[test]
fn comments_inside_expressions() {
    let s = clean(
        "# leading comment\n\
         { 'enum': 'Foo', # the name\n  \
           # a line of its own\n  \
           'data': [ 'a', # first\n            'b' ] } # trailing\n\
         # the end",
    );
    assert_eq!(
        dump_tail(&s),
        "module t.json\nenum Foo\n    member a\n    member b\n"
    );
}

#[test]
fn a_doc_comment_inside_an_expression_is_a_token() {
    // `##` starts a documentation comment, which QEMU's lexer returns as a
    // token even inside an expression.
    assert_eq!(
        both_err("{ 'enum': 'Foo', ## not here\n  'data': [] }"),
        "t.json:1:18: expected string"
    );
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': [ ## nor here\n ] }"),
        "t.json:1:28: expected '{', '[', ']', string, or boolean"
    );
}

// --- syntax errors, each with its column --------------------------------------------

#[test]
fn every_syntax_error() {
    let cases = [
        (
            "{ 'a': }",
            "t.json:1:8: expected '{', '[', string, or boolean",
        ),
        ("{ true: 'a' }", "t.json:1:3: expected string or '}'"),
        ("{ 'a' 'b' }", "t.json:1:7: expected ':'"),
        ("{ 'a': 'b' 'c' }", "t.json:1:12: expected ',' or '}'"),
        ("{ 'a': 'b', }", "t.json:1:13: expected string"),
        (
            "{ 'a': [ : ] }",
            "t.json:1:10: expected '{', '[', ']', string, or boolean",
        ),
        ("{ 'a': [ 'b' 'c' ] }", "t.json:1:14: expected ',' or ']'"),
        (
            "{ 'a': [ 'b', ] }",
            "t.json:1:15: expected '{', '[', string, or boolean",
        ),
        (
            "{ 'a': [ , 'b' ] }",
            "t.json:1:10: expected '{', '[', ']', string, or boolean",
        ),
        ("{ 'a': 'b', 'a': 'c' }", "t.json:1:18: duplicate key 'a'"),
        ("{ 'a': @ }", "t.json:1:8: stray '@'"),
        ("{ 'a': abc[ }", "t.json:1:8: stray 'abc'"),
        ("}", "t.json:1:1: expected '{', '[', string, or boolean"),
        (
            "{ 'a': 'b' }}",
            "t.json:1:13: expected '{', '[', string, or boolean",
        ),
        // End of input is at the final newline.
        ("{ 'a': 'b'", "t.json:1:11: expected ',' or '}'"),
        ("{ 'a': [ 'b'\n", "t.json:1:13: expected ',' or ']'"),
        (
            "{ 'a':\n\n",
            "t.json:2:1: expected '{', '[', string, or boolean",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(both_err(text), expected, "{text:?}");
    }
}

#[test]
fn a_duplicate_key_is_reported_at_its_value() {
    assert_eq!(
        both_err("{ 'enum': 'Foo',\n  'data': [],\n  'data':\n    [ 'a' ] }"),
        "t.json:4:5: duplicate key 'data'"
    );
}

#[test]
fn the_first_error_in_source_order() {
    // A lexical error inside a value that is itself misplaced: QEMU reads
    // tokens in order and reports the first that does not fit.
    assert_eq!(
        both_err("{ 'a': 'b' 'c\\x' }"),
        "t.json:1:12: unknown escape \\x"
    );
    assert_eq!(both_err("{ 'a' 'b\\x' }"), "t.json:1:7: unknown escape \\x");
    assert_eq!(
        both_err("{ 'a': 'b',\n 'c\\x': 'd' }"),
        "t.json:2:2: unknown escape \\x"
    );
}

#[test]
fn top_level_expressions_are_objects() {
    // A semantic error: a line, no column.
    assert_eq!(
        both_err("[ 'a' ]"),
        "t.json:1: top-level expression must be an object"
    );
    assert_eq!(
        both_err("\n\n'a'\n"),
        "t.json:3: top-level expression must be an object"
    );
    assert_eq!(
        both_err("true"),
        "t.json:1: top-level expression must be an object"
    );
}

// --- tabs, line ends, non-ASCII ---------------------------------------------------

#[test]
fn tabs_in_columns_follow_qemus_arithmetic() {
    // QEMU computes a tab's column as `(col + 7) % 8 + 1`: a tab after
    // column c (1-based) lands on ((c - 1) mod 8) + 1, which is not the next
    // tab stop.
    assert_eq!(both_err("{ 'a':\t1 }"), "t.json:1:7: stray '1'");
    assert_eq!(both_err("{ 'a': 1 }"), "t.json:1:8: stray '1'");
    assert_eq!(both_err("\t1"), "t.json:1:1: stray '1'");
    assert_eq!(both_err("\t\t\t1"), "t.json:1:1: stray '1'");
    assert_eq!(both_err("{ 'abcdefg':\t1 }"), "t.json:1:5: stray '1'");
    assert_eq!(both_err("{ 'abcdefg': \t\t 1 }"), "t.json:1:7: stray '1'");
}

#[test]
fn a_missing_final_newline_is_fine() {
    let s = clean("{ 'enum': 'Foo', 'data': [ 'a' ] }");
    assert_eq!(dump_tail(&s), "module t.json\nenum Foo\n    member a\n");
    clean("# just a comment");
    clean("");
}

#[test]
fn crlf_line_ends_between_tokens() {
    // A carriage return is white space.
    let s = clean(
        "{ 'enum': 'Foo',\r\n  'data': [ 'a' ] }\r\n# comment\r\n{ 'enum': 'Bar', 'data': [] }\r\n",
    );
    assert_eq!(
        dump_tail(&s),
        "module t.json\nenum Foo\n    member a\nenum Bar\n"
    );
    // Lines are counted by line feeds.
    assert_eq!(
        both_err("{ 'enum': 'Foo',\r\n  'data': 1 }\r\n"),
        "t.json:2:11: stray '1'"
    );
}

#[test]
fn crlf_line_ends_in_doc_comments() {
    // QEMU's lexer keeps the carriage return in a comment token, so `##\r`
    // is not `##`.
    assert_eq!(
        both_err("##\r\n# @Foo:\r\n##\r\n{ 'enum': 'Foo', 'data': [] }\r\n"),
        "t.json:1:1: junk after '##' at start of documentation comment"
    );
    // Inside the block a trailing carriage return is white space at the end
    // of the line, which is dropped.
    assert_eq!(
        both_err("##\n# @Foo:\r\n##\r\n{ 'enum': 'Foo', 'data': [] }\r\n"),
        "t.json:3:1: junk after '##' at end of documentation comment"
    );
}

#[test]
fn non_ascii_text_in_comments_and_docs() {
    let s = clean(
        "# Größe — ☃ 日本語\n\
         ##\n# = Überschrift\n##\n\
         ##\n# @Foo:\n#\n# Schnee: ☃, naïve café.\n#\n# @a: ü\n##\n\
         { 'enum': 'Foo', 'data': [ 'a' ] } # ✓\n",
    );
    let doc = s.doc(s.get("Foo").unwrap()).unwrap();
    assert_eq!(doc.body.text, "Schnee: ☃, naïve café.");
    assert_eq!(doc.arg("a").unwrap().text, "ü");
}

#[test]
fn non_ascii_characters_count_as_one_column() {
    assert_eq!(both_err("{ 'a': é }"), "t.json:1:8: stray 'é'");
    // (A stray token runs to the next structural character or space.)
    assert_eq!(both_err("{ 'a': 日本 }"), "t.json:1:8: stray '日本'");
    assert_eq!(
        strict_err("##\n# Ünïcödé text. Next sentence\n##\n"),
        "t.json:2:16: Use two spaces between sentences\nIf this not the end of a sentence, please report a bug."
    );
}

#[test]
fn unicode_white_space_is_white_space() {
    // Python's str.isspace(): QEMU skips these between tokens.
    clean("{\u{a0}'enum':\u{2003}'Foo',\u{1c}'data': [ 'a' ]\u{3000}}\u{85}");
}
