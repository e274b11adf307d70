//! Fuzzes the generator: every input the front end accepts (default mode)
//! is generated with three sets of options, formatted and not.  Besides "no
//! panic", it checks that for every accepted schema:
//!
//! - generation succeeds with the default options (an error there is a
//!   generator bug: the checked model is all it reads); with conditions
//!   evaluated or unstable items left out, it may only fail for the reasons
//!   the options give (a condition it cannot evaluate, a kept item using one
//!   left out);
//! - the output parses as a Rust file (`syn`), formatted and unformatted;
//! - both hold the same code (equal after formatting both with prettyplease);
//! - generating twice gives the same text.
//!
//! Compiling the output is beyond a fuzzer's budget; the test suite compiles
//! the bindings of every real schema and of focused fixtures.
#![no_main]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use qapi_gen::Mode;
use qapi_gen::generate::{GenerateError, Options, generate};

/// The path the input is checked under: a temporary directory with one
/// file to include.
fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join("qapi-gen-fuzz-generate");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(
            dir.join("sub.json"),
            "{ 'enum': 'Sub', 'data': [ 'a', 'b' ] }\n{ 'struct': 'SubS', 'data': { 'x': 'Sub' } }\n",
        );
        dir.join("fuzz-input.json")
    })
}

/// A schema to merge inputs with: a little of everything, under names
/// inputs are likely to use too.
const OTHER: &str = "{ 'enum': 'E', 'data': [ 'a', 'b' ] }
{ 'struct': 'S', 'data': { 'a': 'str', '*b': 'int' } }
{ 'union': 'U', 'base': { 'e': 'E' }, 'discriminator': 'e', 'data': { 'a': 'S' } }
{ 'alternate': 'A', 'data': { 's': 'S', 'n': 'int' } }
{ 'command': 'c', 'data': { 'x': 'str' }, 'returns': 'S' }
{ 'event': 'EV', 'data': { 'u': 'U' } }
";

/// See the `load` target: keeps include directives from reading files that
/// never end.
fn reads_special_files(text: &str) -> bool {
    text.contains("include") && ["dev/", "proc/", "sys/"].iter().any(|p| text.contains(p))
}

/// The code of a Rust file, in one canonical layout.
fn normal(src: &str, what: &str) -> String {
    match syn::parse_file(src) {
        Ok(file) => prettyplease::unparse(&file),
        Err(e) => panic!("{what} output does not parse: {e}\n{src}"),
    }
}

fn check(schema: &qapi_gen::Schema, opts: Options, may_fail: fn(&GenerateError) -> bool) {
    let g = match generate(schema, &opts, "fuzz-input.json") {
        Ok(g) => g,
        Err(e) if may_fail(&e) => return,
        Err(e) => panic!("generation failed on an accepted schema: {e}"),
    };
    let text = g.to_source();
    let tokens = g
        .tokens()
        .unwrap_or_else(|e| panic!("the output is no Rust tokens: {e}"));
    assert_eq!(
        normal(&text, "text"),
        normal(&tokens.to_string(), "tokens"),
        "the text and the tokens differ"
    );
    let again = generate(schema, &opts, "fuzz-input.json")
        .map(|g| g.to_source())
        .expect("it worked once");
    assert_eq!(text, again, "generation is not deterministic");
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if reads_special_files(&text) {
        return;
    }
    let Ok(schema) = qapi_gen::load_str(root(), &text, Mode::Default) else {
        return;
    };
    check(&schema, Options::default(), |_| false);
    // Conditions evaluated against a symbol set (both dialects), unstable
    // items left out, no client or server side.
    check(
        &schema,
        Options {
            cfg: Some(BTreeSet::from(["CONFIG_A".to_string()])),
            exclude_unstable: true,
            client: false,
            server: false,
            ..Options::default()
        },
        |e| {
            matches!(
                e,
                GenerateError::Condition(_) | GenerateError::Dangling { .. }
            )
        },
    );
    // For every QEMU from 4.2 on.
    check(
        &schema,
        Options {
            oldest: Some(qapi_gen::schema::Version::new(4, 2)),
            ..Options::default()
        },
        |_| false,
    );
    // Merged with itself: what it generates alone.  Merged with another
    // schema: it generates, whatever the conflicts.
    if let (Ok(a), Ok(b), Ok(other)) = (
        qapi_gen::load_str(root(), &text, Mode::Default),
        qapi_gen::load_str(root(), &text, Mode::Default),
        qapi_gen::load_str(root(), OTHER, Mode::Default),
    ) {
        let (twice, warnings) = qapi_gen::schema::merge(vec![a, b]).expect("two schemas merge");
        assert!(warnings.is_empty(), "a schema conflicts with itself");
        let alone = generate(&schema, &Options::default(), "fuzz-input.json")
            .map(|g| g.to_source())
            .expect("it worked once");
        let merged = generate(&twice, &Options::default(), "fuzz-input.json")
            .map(|g| g.to_source())
            .unwrap_or_else(|e| panic!("a schema merged with itself fails: {e}"));
        assert_eq!(alone, merged, "a schema merged with itself generates other code");
        let (both, _) = qapi_gen::schema::merge(vec![twice, other]).expect("schemas merge");
        check(&both, Options::default(), |_| false);
    }
    // Only what the first command or event needs.
    if let Some(name) = schema
        .commands()
        .map(|c| c.name.to_string())
        .next()
        .or_else(|| schema.events().map(|e| e.name.to_string()).next())
    {
        check(
            &schema,
            Options {
                only: Some(vec![name]),
                ..Options::default()
            },
            |_| false,
        );
    }
});
