//! Helpers shared by the examples' tests: a deadline for every test, and
//! finding the QEMU binaries or skipping.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use qapi_examples::process;

/// Runs a test body with a deadline, so that no test can hang.
pub async fn deadline<F: Future>(f: F) -> F::Output {
    const LIMIT: Duration = Duration::from_secs(120);
    tokio::time::timeout(LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("the test did not finish within {LIMIT:?}"))
}

/// The binary from `var` or `PATH`, or `None` after printing that the test
/// is skipped.  With `QAPI_REQUIRE_QEMU=1` a missing binary fails the test
/// instead (the convention of qapi-types/tests/real_qemu.rs).
pub fn binary(var: &str, name: &str) -> Option<PathBuf> {
    let found = process::find_binary(var, name);
    if found.is_none() {
        if std::env::var("QAPI_REQUIRE_QEMU").as_deref() == Ok("1") {
            panic!("{name} not found (set {var} or PATH) and QAPI_REQUIRE_QEMU=1");
        }
        eprintln!("skipped: {name} not found (set {var})");
    }
    found
}

/// `qemu-system-x86_64`, or `None` (skipped).
pub fn qemu_system() -> Option<PathBuf> {
    binary(process::QEMU_SYSTEM_VAR, process::QEMU_SYSTEM)
}

/// `qemu-ga`, or `None` (skipped).
pub fn qemu_ga() -> Option<PathBuf> {
    binary(process::QEMU_GA_VAR, process::QEMU_GA)
}

/// What an example printed.
pub fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).expect("the examples print UTF-8")
}

/// `qemu-storage-daemon`, or `None` (skipped).
pub fn qemu_storage_daemon() -> Option<PathBuf> {
    binary(
        process::QEMU_STORAGE_DAEMON_VAR,
        process::QEMU_STORAGE_DAEMON,
    )
}
