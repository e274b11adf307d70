//! Fuzzes the whole front end: `load_str` in both modes, then `dump` of a
//! valid schema and the rendering (plain and with a snippet) of every
//! diagnostic.  Besides "no panic", it checks invariants that hold for every
//! input:
//!
//! - strict mode stops at its first error, so an error there carries exactly
//!   one diagnostic;
//! - whatever strict mode accepts, the default mode accepts with the same
//!   model, unless it warned that it read something the QEMU 5.2 way;
//! - default-mode warnings are warnings and name their house-style rule;
//! - every error renders in QEMU's format: `In file included from` lines, an
//!   optional `F: In <meta> 'name':` line, then `F:L[:C]: message`.
//!
//! Include directives are resolved relative to QEMU's test-suite directory
//! (so the suite's helper files can be included), or a temporary directory
//! when the shared directory is absent.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use qapi_gen::{Mode, Schema, Severity};
use qemu_format::qemu_format;

#[path = "../../tests/common/qemu_format.rs"]
mod qemu_format;

/// The path the input is checked under.
fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let shared = std::env::var_os("QAPI_SHARED_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
        let suite = shared.join("qemu/10.2/tests/qapi-schema");
        let dir = if suite.is_dir() {
            suite
        } else {
            let tmp = std::env::temp_dir().join("qapi-gen-fuzz");
            let _ = std::fs::create_dir_all(&tmp);
            let _ = std::fs::write(tmp.join("sub.json"), "{ 'enum': 'Sub', 'data': [ 'a' ] }\n");
            tmp
        };
        dir.join("fuzz-input.json")
    })
}

/// Whether to render snippets too: unless `QAPI_FUZZ_NO_SNIPPETS` is set,
/// which lets a run go on past a known crash in snippet rendering.
fn snippets() -> bool {
    static SNIPPETS: OnceLock<bool> = OnceLock::new();
    *SNIPPETS.get_or_init(|| std::env::var_os("QAPI_FUZZ_NO_SNIPPETS").is_none())
}

/// Inputs that could make an include directive read a device or a pseudo
/// file (`/dev/zero`, `/proc/self/fd/0`), which never ends.  Schemas are
/// trusted input; this only keeps the fuzzer from hanging.
fn reads_special_files(text: &str) -> bool {
    text.contains("include") && ["dev/", "proc/", "sys/"].iter().any(|p| text.contains(p))
}

struct Outcome {
    dump: Option<String>,
    warnings: usize,
}

fn check(text: &str, mode: Mode) -> Outcome {
    match qapi_gen::load_str(root(), text, mode) {
        Ok(schema) => {
            render_warnings(&schema);
            Outcome {
                dump: Some(qapi_gen::dump::dump(&schema)),
                warnings: schema.warnings.len(),
            }
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(qemu_format(&shown), "not in QEMU's format: {shown:?}");
            assert_eq!(shown, e.error().render(&e.sources));
            if snippets() {
                for d in &e.diagnostics {
                    let _ = d.render_with_snippet(&e.sources);
                }
            }
            if mode == Mode::Strict {
                assert_eq!(
                    e.diagnostics.len(),
                    1,
                    "strict mode stops at the first error"
                );
            }
            Outcome {
                dump: None,
                warnings: e.diagnostics.len() - 1,
            }
        }
    }
}

fn render_warnings(schema: &Schema) {
    for w in &schema.warnings {
        assert_eq!(w.severity, Severity::Warning);
        assert!(w.lint.is_some(), "a warning without its rule: {w:?}");
        let _ = w.render(&schema.sources);
        if snippets() {
            let _ = w.render_with_snippet(&schema.sources);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if reads_special_files(&text) {
        return;
    }
    let strict = check(&text, Mode::Strict);
    let default = check(&text, Mode::Default);
    // The default mode reads some things the QEMU 5.2 way (an unindented
    // line after a member description continues it, for one), and warns
    // when it does; only then may it disagree with strict mode.
    if let Some(strict_dump) = &strict.dump
        && default.warnings == 0
    {
        let Some(default_dump) = &default.dump else {
            panic!("strict mode accepts what the default mode rejects without a warning");
        };
        assert_eq!(
            strict_dump, default_dump,
            "the modes build different models"
        );
    }
});
