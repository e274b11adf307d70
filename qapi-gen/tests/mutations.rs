//! Property test: real schemas from the shared directory, mutated (bytes
//! inserted, deleted and replaced, tokens swapped, lines duplicated, text
//! truncated; always valid UTF-8), through `load_str` in both modes.  No
//! input may panic; an error renders in QEMU's format; a valid schema dumps,
//! and generates Rust that parses (formatted and not, the same code).
//!
//! A few hundred cases by default, from a fixed seed; `PROPTEST_CASES` raises
//! the number, `PROPTEST_RNG_SEED` picks other inputs.  The fuzz
//! target in `../fuzz` does the same at a much larger scale.

mod common;
#[path = "common/qemu_format.rs"]
mod qemu_format;

use std::cell::Cell;
use std::path::PathBuf;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use qapi_gen::{Mode, Severity};
use qemu_format::qemu_format;

/// Schema files to mutate: QEMU's test schemas and real schema files of each
/// version, small enough to check fast in a debug build.
const FILES: [&str; 8] = [
    "qemu/10.2/tests/qapi-schema/qapi-schema-test.json",
    "qemu/10.2/tests/qapi-schema/doc-good.json",
    "qemu/10.2/tests/qapi-schema/include-repetition.json",
    "qemu/10.2/qapi/job.json",
    "qemu/10.2/qapi/sockets.json",
    "qemu/7.2/qapi/run-state.json",
    "qemu/5.2/qapi/sockets.json",
    "qemu/5.2/qapi/char.json",
];

/// Text inserted or put in place of other text.
const SNIPPETS: [&str; 38] = [
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "'",
    "\\",
    "#",
    "##",
    "\n",
    "\t",
    " ",
    "\r\n",
    "@",
    "x",
    "1",
    "true",
    "false",
    "'enum'",
    "'struct'",
    "'union'",
    "'data'",
    "'base'",
    "'if'",
    "'features'",
    "'include'",
    "'*a'",
    "# @",
    "Features:",
    "Returns:",
    "Example:",
    "é",
    "☃",
    "\u{a0}",
    "\u{0}",
    "'deprecated'",
    ".. qmp-example::",
];

#[derive(Clone, Debug)]
enum Mutation {
    Insert(Index, usize),
    Delete(Index, usize),
    Replace(Index, usize),
    SwapTokens(Index, Index),
    DuplicateLine(Index),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippet = 0..SNIPPETS.len();
    prop_oneof![
        3 => (any::<Index>(), snippet.clone()).prop_map(|(i, s)| Mutation::Insert(i, s)),
        3 => (any::<Index>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        3 => (any::<Index>(), snippet).prop_map(|(i, s)| Mutation::Replace(i, s)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapTokens(a, b)),
        1 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

/// The char boundary at or before `i`.
fn boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte ranges of tokens: quoted strings (to the line's end), single
/// punctuation characters, and runs of anything else but white space.
fn tokens(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let mut end = start + c.len_utf8();
        if c == '\'' {
            while let Some(&(i, d)) = chars.peek() {
                if d == '\n' {
                    break;
                }
                chars.next();
                end = i + d.len_utf8();
                if d == '\'' {
                    break;
                }
            }
        } else if !"{}[]:,".contains(c) {
            while let Some(&(i, d)) = chars.peek() {
                if d.is_whitespace() || "{}[]:,'".contains(d) {
                    break;
                }
                chars.next();
                end = i + d.len_utf8();
            }
        }
        out.push((start, end));
    }
    out
}

fn apply(text: &mut String, m: &Mutation) {
    let at = |i: &Index, text: &str| boundary(text, i.index(text.len() + 1));
    match m {
        Mutation::Insert(i, s) => {
            let p = at(i, text);
            text.insert_str(p, SNIPPETS[*s]);
        }
        Mutation::Delete(i, n) => {
            let p = at(i, text);
            let end = text[p..]
                .char_indices()
                .nth(*n)
                .map_or(text.len(), |(j, _)| p + j);
            text.replace_range(p..end, "");
        }
        Mutation::Replace(i, s) => {
            let p = at(i, text);
            let end = text[p..].chars().next().map_or(p, |c| p + c.len_utf8());
            text.replace_range(p..end, SNIPPETS[*s]);
        }
        Mutation::SwapTokens(a, b) => {
            let toks = tokens(text);
            if toks.len() < 2 {
                return;
            }
            let (x, y) = (a.index(toks.len()), b.index(toks.len()));
            let (first, second) = (toks[x.min(y)], toks[x.max(y)]);
            if first == second {
                return;
            }
            let (s1, s2) = (
                text[first.0..first.1].to_string(),
                text[second.0..second.1].to_string(),
            );
            text.replace_range(second.0..second.1, &s1);
            text.replace_range(first.0..first.1, &s2);
        }
        Mutation::DuplicateLine(i) => {
            let p = at(i, text);
            let start = text[..p].rfind('\n').map_or(0, |j| j + 1);
            let end = text[p..].find('\n').map_or(text.len(), |j| p + j + 1);
            let line = text[start..end].to_string();
            text.insert_str(start, &line);
        }
        Mutation::Truncate(i) => {
            let p = at(i, text);
            text.truncate(p);
        }
    }
}

#[test]
fn the_format_check_itself() {
    assert!(qemu_format("t.json:1: message"));
    assert!(qemu_format("t.json:1:7: message\nsecond line"));
    assert!(qemu_format("t.json: In struct 'Foo':\nt.json:1: message"));
    assert!(qemu_format(
        "In file included from a.json:2:\nIn file included from b/c.json:3:\nd.json:1:1: m"
    ));
    assert!(qemu_format(
        "can't read schema file 'x.json': No such file or directory"
    ));
    assert!(!qemu_format("t.json: message"));
    assert!(!qemu_format("t.json:1:"));
    assert!(!qemu_format("t.json:x: message"));
    assert!(!qemu_format("message"));
}

#[test]
fn mutations_keep_text_valid() {
    let text = "{ 'enum': 'Foo', # é ☃\n  'data': [ 'a' ] }\n";
    let toks = tokens(text);
    assert_eq!(&text[toks[1].0..toks[1].1], "'enum'");
    assert_eq!(&text[toks[3].0..toks[3].1], "'Foo'");
    assert_eq!(&text[toks[5].0..toks[5].1], "#");
    // Any mutation of any text: no panic (a String stays UTF-8).
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(mutation(), 1..60), |muts| {
            let mut t = text.to_string();
            for m in &muts {
                apply(&mut t, m);
            }
            Ok(())
        })
        .unwrap();
}

struct Corpus {
    files: Vec<(PathBuf, String)>,
}

fn corpus(test: &str) -> Option<Corpus> {
    let mut files = Vec::new();
    for f in FILES {
        let path = common::shared(test, f)?;
        let text = std::fs::read_to_string(&path).unwrap();
        files.push((path, text));
    }
    Some(Corpus { files })
}

/// 256 cases (`PROPTEST_CASES` sets another number) from a fixed seed, so
/// that the normal suite checks the same inputs every time;
/// `PROPTEST_RNG_SEED` picks another seed.
fn config() -> Config {
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0x2020_1022);
    }
    config
}

/// Checks one mutated file; returns whether the default mode accepted it.
fn check_one(corpus: &Corpus, file: usize, muts: &[Mutation], snippets: bool) -> bool {
    let (path, original) = &corpus.files[file];
    let mut text = original.clone();
    for m in muts {
        apply(&mut text, m);
    }
    let mut accepted = [None, None];
    for (k, mode) in [Mode::Strict, Mode::Default].into_iter().enumerate() {
        match qapi_gen::load_str(path, &text, mode) {
            Ok(schema) => {
                for w in &schema.warnings {
                    assert_eq!(w.severity, Severity::Warning);
                    assert!(w.lint.is_some());
                    let _ = w.render(&schema.sources);
                    if snippets {
                        let _ = w.render_with_snippet(&schema.sources);
                    }
                }
                accepted[k] = Some((qapi_gen::dump::dump(&schema), schema.warnings.len()));
                if mode == Mode::Default && !snippets {
                    generates(&schema);
                }
            }
            Err(e) => {
                let rendered = e.error().render(&e.sources);
                assert!(qemu_format(&rendered), "not QEMU's format: {rendered:?}");
                assert_eq!(e.to_string(), rendered);
                assert!(e.diagnostics.last().is_some_and(|d| d.is_error()));
                if mode == Mode::Strict {
                    assert_eq!(e.diagnostics.len(), 1);
                }
                if snippets {
                    for d in &e.diagnostics {
                        let _ = d.render_with_snippet(&e.sources);
                    }
                }
            }
        }
    }
    // What strict mode accepts the default mode accepts, with the same
    // model, unless it read something the QEMU 5.2 way and warned.
    if let [Some((strict, _)), default] = &accepted {
        match default {
            Some((default, 0)) => assert_eq!(strict, default),
            Some(_) => {}
            None => {
                let e = qapi_gen::load_str(path, &text, Mode::Default).unwrap_err();
                assert!(e.diagnostics.len() > 1, "rejected without a warning: {e}");
            }
        }
    }
    accepted[1].is_some()
}

/// What the front end accepts, the generator turns into Rust that parses,
/// as text and as the tokens the macro gets.
fn generates(schema: &qapi_gen::Schema) {
    let g = qapi_gen::generate::generate(schema, &Default::default(), "mutated.json")
        .unwrap_or_else(|e| panic!("generation failed on an accepted schema: {e}"));
    let parse = |src: String| {
        let file = syn::parse_file(&src).unwrap_or_else(|e| panic!("output does not parse: {e}"));
        prettyplease::unparse(&file)
    };
    let text = parse(g.to_source());
    assert_eq!(text, parse(g.tokens().expect("tokens").to_string()));
}

fn run(test: &str, snippets: bool) {
    let Some(corpus) = corpus(test) else {
        return;
    };
    let n = corpus.files.len();
    let strategy = (0..n, prop::collection::vec(mutation(), 1..6));
    let mut runner = TestRunner::new(config());
    let (accepted, rejected) = (Cell::new(0), Cell::new(0));
    let result = runner.run(&strategy, |(file, muts)| {
        let counter = if check_one(&corpus, file, &muts, snippets) {
            &accepted
        } else {
            &rejected
        };
        counter.set(counter.get() + 1);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Both paths ran (with the fixed seed; another seed could in principle
    // miss one, and is only told so).
    let (accepted, rejected) = (accepted.get(), rejected.get());
    eprintln!("{test}: {accepted} mutated files accepted, {rejected} rejected");
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        assert!(accepted > 0 && rejected > 0, "one path never ran");
    }
}

#[test]
fn mutated_real_schemas() {
    run("mutations::mutated_real_schemas", false);
}

#[test]
fn mutated_real_schemas_with_snippets() {
    run("mutations::mutated_real_schemas_with_snippets", true);
}
