//! Finding QEMU's schemas in the shared directory, and skipping plainly when
//! it is absent.
//!
//! The directory is `$QAPI_SHARED_DIR`, by default `../shared` beside the
//! workspace.  When it is absent a test prints why it skipped on stderr and
//! passes, unless `QAPI_REQUIRE_SHARED=1`, which makes it fail instead (for
//! CI, where the directory must be there).

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Names the shared directory.
pub const DIR_VAR: &str = "QAPI_SHARED_DIR";
/// Set to `1` to fail instead of skipping when the shared directory is absent.
pub const REQUIRE_VAR: &str = "QAPI_REQUIRE_SHARED";

/// The shared directory: `$QAPI_SHARED_DIR`, or `../shared` beside the
/// workspace root.
pub fn dir() -> PathBuf {
    match std::env::var_os(DIR_VAR) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// Whether `QAPI_REQUIRE_SHARED=1`.
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1")
}

/// `relative` inside the shared directory, if it exists.  Otherwise the
/// test is skipped: this says so on stderr and returns `None`; or, with
/// `QAPI_REQUIRE_SHARED=1`, it panics.
pub fn path(test: &str, relative: &str) -> Option<PathBuf> {
    let p = dir().join(relative);
    if p.exists() {
        return Some(p);
    }
    skip(test, &p);
    None
}

/// Reports a test that cannot run because `missing` is absent: a skip on
/// stderr, or a panic with `QAPI_REQUIRE_SHARED=1`.
pub fn skip(test: &str, missing: &Path) {
    let why = format!(
        "{test}: {} does not exist; QEMU's schemas are read from the shared directory \
         (${DIR_VAR}, default ../shared beside the workspace)",
        missing.display()
    );
    if required() {
        panic!("{why}, and {REQUIRE_VAR}=1 requires them");
    }
    // Straight to the process's stderr, past the test harness's capture, so
    // that the skip shows in a normal `cargo test` run.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {why}; set {DIR_VAR} to run this test, {REQUIRE_VAR}=1 to fail instead"
    );
}

/// `text` with `dir/` removed wherever it occurs, the way QEMU's
/// test-qapi.py strips its test directory from messages.
pub fn strip_dir(text: &str, dir: &Path) -> String {
    let prefix = format!("{}/", dir.display());
    text.replace(&prefix, "")
}

/// A copy of a directory tree in a fresh temporary directory, removed again
/// when dropped.
pub struct TempCopy {
    /// The temporary directory.
    pub root: PathBuf,
}

impl TempCopy {
    /// Copies `from` to `<temp>/<unique>/<name>`; `root` is `<temp>/<unique>`.
    pub fn new(from: &Path, name: &str) -> std::io::Result<TempCopy> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let root = std::env::temp_dir().join(format!(
            "qapi-tests-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&root)?;
        let copy = TempCopy { root };
        copy_tree(from, &copy.root.join(name))?;
        Ok(copy)
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            // Written anew rather than copied, so that the copy is writable
            // even when the shared files are read-only.
            std::fs::write(&target, std::fs::read(entry.path())?)?;
        }
    }
    Ok(())
}
