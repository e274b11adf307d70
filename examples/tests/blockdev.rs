//! The `blockdev` example against a real `qemu-storage-daemon`.

mod common;

use std::time::Duration;

use common::{deadline, qemu_storage_daemon, text};
use qapi_examples::blockdev;
use qapi_examples::process::{StorageDaemon, TempDir};

#[tokio::test]
async fn blockdev_with_qemu_storage_daemon() {
    let Some(bin) = qemu_storage_daemon() else {
        return;
    };
    deadline(async {
        let dir = TempDir::new("blockdev-test").unwrap();
        let qsd = StorageDaemon::start(&bin, &dir, Duration::from_secs(20))
            .await
            .unwrap();
        let mut out = Vec::new();
        blockdev::run(qsd.qmp(), dir.path(), &mut out)
            .await
            .unwrap();
        assert_eq!(
            text(out),
            "export export0: nbd on disk\n\
             job create0: concluded\n\
             added new: qcow2 on new-file\n\
             blockdev-del missing: Failed to find node with node-name='missing'\n\
             done\n"
        );

        // The job wrote a qcow2 header: the magic, then the virtual size
        // (big-endian, at byte 24) the example asked for.
        let image = std::fs::read(dir.join("new.qcow2")).unwrap();
        assert_eq!(&image[..4], b"QFI\xfb");
        assert_eq!(
            u64::from_be_bytes(image[24..32].try_into().unwrap()),
            128 << 20
        );
        assert_eq!(
            std::fs::metadata(dir.join("disk.raw")).unwrap().len(),
            64 << 20
        );

        // Every node, the export and the NBD server are gone: the same
        // task runs again on the same daemon.
        std::fs::remove_file(dir.join("new.qcow2")).unwrap();
        let mut again = Vec::new();
        blockdev::run(qsd.qmp(), dir.path(), &mut again)
            .await
            .unwrap();
        assert!(text(again).ends_with("done\n"));
        qsd.stop().await.unwrap();
    })
    .await;
}
