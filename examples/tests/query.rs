//! The `query` example against a real QEMU: one it starts itself, and one
//! already running that it reaches through its socket.

mod common;

use std::time::Duration;

use common::{deadline, qemu_system, text};
use qapi_examples::process::{Qemu, TempDir};
use qapi_examples::qmp::{Event, RunState};
use qapi_examples::{Peer, query};

/// The checks every run must pass: the version `query-version` reports is
/// the greeting's, and the command list is QEMU's.
fn check(report: &query::Report, out: &str) {
    let greeting = &report.greeting.version;
    assert_eq!(report.version.qemu.major, greeting.qemu.major);
    assert_eq!(report.version.qemu.minor, greeting.qemu.minor);
    assert_eq!(report.version.qemu.micro, greeting.qemu.micro);
    assert_eq!(report.version.package, greeting.package);
    assert!(report.version.qemu.major >= 5, "{:?}", report.version);

    for name in ["qmp_capabilities", "query-version", "query-status", "quit"] {
        assert!(
            report.commands.iter().any(|c| c == name),
            "{name} missing from {:?}",
            report.commands
        );
    }
    assert!(report.commands.is_sorted());
    assert_eq!(
        report.status.running,
        report.status.status == RunState::Running
    );

    let v = &report.version.qemu;
    assert!(out.starts_with(&format!(
        "Greeting: QEMU {}.{}.{} ",
        v.major, v.minor, v.micro
    )));
    assert!(out.contains(&format!(
        "query-commands: {} commands",
        report.commands.len()
    )));
    assert!(out.contains("\nquery-status: "), "{out}");
}

#[tokio::test]
async fn query_starts_and_quits_qemu() {
    let Some(bin) = qemu_system() else { return };
    deadline(async {
        let mut out = Vec::new();
        let report = query::run(&Peer::Spawn(bin), false, &mut out)
            .await
            .unwrap();
        let out = text(out);
        check(&report, &out);
        // -M none without -S: nothing to run, but running.
        assert_eq!(report.status.status, RunState::Running);
        // Started here, so quit even though quit was not asked for.
        assert!(report.quit);
        assert!(
            out.ends_with("quit: QEMU exited (exit status: 0)\n"),
            "{out}"
        );
    })
    .await;
}

#[tokio::test]
async fn query_existing_qemu() {
    let Some(bin) = qemu_system() else { return };
    deadline(async {
        let dir = TempDir::new("query-test").unwrap();
        let args = ["-M", "none", "-nodefaults", "-display", "none", "-S"];
        let (mut qemu, client) =
            Qemu::start::<Event, _>(&bin, &dir, "vm", &args, Duration::from_secs(20))
                .await
                .unwrap();
        // Only one client at a time: hang up before the example connects.
        client.close();
        let peer = Peer::Socket(qemu.qmp_socket().to_owned());

        // Without --quit, QEMU keeps running.
        let mut out = Vec::new();
        let report = query::run(&peer, false, &mut out).await.unwrap();
        let out = text(out);
        check(&report, &out);
        assert_eq!(report.status.status, RunState::Prelaunch);
        assert!(!report.status.running);
        assert!(!report.quit);
        assert!(!out.contains("quit:"), "{out}");
        assert!(qemu.process().try_wait().unwrap().is_none());

        // With it, QEMU exits.
        let mut out = Vec::new();
        let again = query::run(&peer, true, &mut out).await.unwrap();
        assert_eq!(again.version, report.version);
        assert!(again.quit);
        assert!(text(out).ends_with("quit: sent\n"));
        let status = qemu
            .process()
            .wait_or_kill(Duration::from_secs(20))
            .await
            .unwrap();
        assert!(status.is_some_and(|s| s.success()), "{status:?}");
    })
    .await;
}
