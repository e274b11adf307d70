//! Helpers shared by the integration tests: checking a schema held in a
//! string, and rendering what comes out.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use qapi_gen::{Error, Mode, Schema};

/// The name schemas in strings are checked under.
pub const FILE: &str = "t.json";

pub fn load(mode: Mode, text: &str) -> Result<Schema, Error> {
    qapi_gen::load_str(FILE, text, mode)
}

/// The schema, which must be valid in `mode`.
pub fn ok(mode: Mode, text: &str) -> Schema {
    load(mode, text)
        .unwrap_or_else(|e| panic!("rejected in {mode:?} mode:\n{e}\n--- schema:\n{text}"))
}

/// Valid in both modes, without any warning.
pub fn clean(text: &str) -> Schema {
    let strict = ok(Mode::Strict, text);
    let default = ok(Mode::Default, text);
    assert_eq!(
        warnings_of(&default),
        Vec::<String>::new(),
        "warnings for:\n{text}"
    );
    assert_eq!(
        qapi_gen::dump::dump(&strict),
        qapi_gen::dump::dump(&default)
    );
    default
}

/// The error, rendered in QEMU's format without snippet.
pub fn err(mode: Mode, text: &str) -> String {
    match load(mode, text) {
        Ok(_) => panic!("accepted in {mode:?} mode:\n{text}"),
        Err(e) => e.to_string(),
    }
}

pub fn strict_err(text: &str) -> String {
    err(Mode::Strict, text)
}

pub fn default_err(text: &str) -> String {
    err(Mode::Default, text)
}

/// Rejected the same way in both modes.
pub fn both_err(text: &str) -> String {
    let strict = strict_err(text);
    assert_eq!(default_err(text), strict, "the modes disagree on:\n{text}");
    strict
}

pub fn warnings_of(schema: &Schema) -> Vec<String> {
    schema
        .warnings
        .iter()
        .map(|w| w.render(&schema.sources))
        .collect()
}

/// The warnings of the default mode, which must accept the schema.
pub fn warnings(text: &str) -> Vec<String> {
    warnings_of(&ok(Mode::Default, text))
}

/// A house-style rule: an error in strict mode, and in default mode the
/// same diagnostic as a warning naming `lint`, the first one.  Returns the
/// strict error, rendered.
pub fn style(text: &str, lint: qapi_gen::Lint) -> String {
    let e = load(Mode::Strict, text).expect_err("strict mode rejects it");
    let schema = ok(Mode::Default, text);
    let w = schema
        .warnings
        .first()
        .unwrap_or_else(|| panic!("no warning for:\n{text}"));
    let d = e.error();
    assert_eq!(w.lint, Some(lint), "{w:?}");
    assert_eq!(w.severity, qapi_gen::Severity::Warning);
    assert_eq!(
        (w.loc, w.col, &w.context, &w.message),
        (d.loc, d.col, &d.context, &d.message),
        "the warning says what strict mode says"
    );
    e.to_string()
}

/// The dump without the built-in module, which is the same every time.
pub fn dump_tail(schema: &Schema) -> String {
    let dump = qapi_gen::dump::dump(schema);
    let start = dump.find("module t.json\n").expect("the root module");
    dump[start..].to_string()
}

/// A fresh directory under the system's temporary directory, removed when
/// dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "qapi-gen-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes `text` to `name` (directories created as needed).
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `text` with `dir/` removed, as QEMU's test-qapi.py does.
pub fn strip(text: &str, dir: &Path) -> String {
    text.replace(&format!("{}/", dir.display()), "")
}

/// The shared directory: `$QAPI_SHARED_DIR`, by default `../shared` beside
/// the workspace; `None` (with a note on stderr, or a panic when
/// `QAPI_REQUIRE_SHARED=1`) when `relative` is not in it.
pub fn shared(test: &str, relative: &str) -> Option<PathBuf> {
    use std::io::Write as _;
    let dir = match std::env::var_os("QAPI_SHARED_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    };
    let p = dir.join(relative);
    if p.exists() {
        return Some(p);
    }
    let why = format!(
        "{test}: {} does not exist; QEMU's schemas are read from the shared directory \
         ($QAPI_SHARED_DIR, default ../shared beside the workspace)",
        p.display()
    );
    if std::env::var("QAPI_REQUIRE_SHARED").is_ok_and(|v| v == "1") {
        panic!("{why}, and QAPI_REQUIRE_SHARED=1 requires them");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED {why}");
    None
}
