//! The `qga` example against a real `qemu-ga` it starts itself.

mod common;

use common::{deadline, qemu_ga, text};
use qapi_examples::{Peer, qga_session};

#[tokio::test]
async fn qga_session_with_qemu_ga() {
    let Some(bin) = qemu_ga() else { return };
    deadline(async {
        let mut out = Vec::new();
        let report = qga_session::run(&Peer::Spawn(bin), &mut out).await.unwrap();
        let out = text(out);

        // guest-sync echoes the id.
        assert_eq!(report.sync.0, report.sync.1);
        // guest-info: a version string and the commands the example used.
        let version = &report.info.version;
        assert!(
            version.split('.').count() >= 2 && version.starts_with(|c: char| c.is_ascii_digit()),
            "{version:?}"
        );
        for name in [
            "guest-sync-delimited",
            "guest-sync",
            "guest-ping",
            "guest-info",
            "guest-get-host-name",
            "guest-get-osinfo",
            "guest-get-time",
        ] {
            let cmd = report
                .info
                .supported_commands
                .iter()
                .find(|c| c.name == name)
                .unwrap_or_else(|| panic!("{name} not supported"));
            assert!(cmd.enabled && cmd.success_response, "{cmd:?}");
        }
        // The agent runs on this machine, so it describes this machine.
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert_eq!(report.host_name, host.trim());
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        assert_eq!(report.os.kernel_release.as_deref(), Some(release.trim()));
        assert_eq!(report.os.machine.as_deref(), Some(std::env::consts::ARCH));
        assert!(report.time_ns > 0);

        assert!(
            out.contains(&format!(
                "guest-info: qemu-ga {version}, {} commands",
                report.info.supported_commands.len()
            )),
            "{out}"
        );
        assert!(out.contains("guest-ping: ok"), "{out}");
    })
    .await;
}
