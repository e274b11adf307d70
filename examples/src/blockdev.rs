//! The `blockdev` example: block nodes, an NBD export and an image created
//! in a job, on a qemu-storage-daemon that is already running.
//!
//! ```text
//! cargo run -p qapi-examples --example blockdev
//! cargo run -p qapi-examples --example blockdev -- /path/to/qmp.sock DIR
//! ```
//!
//! The same task, written with Python's qemu.qmp and with arcnmx's qapi-rs,
//! is in `qapi-gen/benches/compare/e2e/`, with a script that runs all three
//! and counts their lines.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use qapi_types::client::{ClientBuilder, Error as ClientError};

use crate::Error;
use crate::qmp::*;

/// The timeout of every command, and of waiting for an event.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the task against the daemon listening on `socket`, with its files
/// in `dir`, printing to `out`.
pub async fn run(socket: &Path, dir: &Path, out: &mut (dyn Write + Send)) -> Result<(), Error> {
    let qmp = ClientBuilder::new().timeout(TIMEOUT);
    let client: Client = qmp.connect_unix(socket).await?;

    // A raw node over a file node, exported over NBD.
    let disk = dir.join("disk.raw");
    std::fs::File::create(&disk)?.set_len(64 << 20)?;
    // File options serve several drivers (QEMU's full schema has
    // host_device too): the variant says which.
    let file = BlockdevOptionsDriver::File(BlockdevOptionsFile::new(disk.display().to_string()));
    client.blockdev_add(node("disk-file", file)).await?;
    let raw = BlockdevOptionsRaw::new("disk-file");
    client.blockdev_add(node("disk", raw)).await?;
    let sock = UnixSocketAddress::new(dir.join("nbd.sock").display().to_string());
    let nbd = NbdServerOptionsLegacy::new(UnixSocketAddressWrapper::new(sock));
    client.nbd_server_start(nbd).await?;
    let export = BlockExportOptions::new("export0", "disk", BlockExportOptionsNbd::default());
    let export = BlockExportOptions {
        writable: Some(true),
        ..export
    };
    client.block_export_add(export).await?;
    for e in client.query_block_exports().await? {
        writeln!(out, "export {}: {} on {}", e.id, e.r#type, e.node_name)?;
    }

    // A qcow2 image, created by a job: wait until it has concluded.
    let image = dir.join("new.qcow2");
    std::fs::File::create(&image)?;
    let file = BlockdevOptionsDriver::File(BlockdevOptionsFile::new(image.display().to_string()));
    client.blockdev_add(node("new-file", file)).await?;
    let qcow2 = BlockdevCreateOptionsQcow2::new("new-file", 128 << 20);
    let create = BlockdevCreate::new("create0", qcow2);
    let concluded = |e: &Event| {
        matches!(e, Event::JobStatusChange(job)
            if job.id == "create0" && job.status == JobStatus::Concluded)
    };
    client.execute_and_wait(create, TIMEOUT, concluded).await?;
    writeln!(out, "job create0: concluded")?;
    client.job_dismiss(JobDismiss::new("create0")).await?;
    let qcow2 = BlockdevOptionsQcow2::new("new-file");
    client.blockdev_add(node("new", qcow2)).await?;
    writeln!(out, "added new: qcow2 on new-file")?;

    // QEMU refuses to delete a node that does not exist.
    match client.blockdev_del(BlockdevDel::new("missing")).await {
        Err(ClientError::Qmp(e)) => writeln!(out, "blockdev-del missing: {}", e.desc)?,
        other => return Err(format!("blockdev-del missing: {other:?}").into()),
    }

    // Clean up: an export goes away once its event says so.
    let del = BlockExportDel::new("export0");
    let deleted = |e: &Event| matches!(e, Event::BlockExportDeleted(d) if d.id == "export0");
    client.execute_and_wait(del, TIMEOUT, deleted).await?;
    client.nbd_server_stop().await?;
    for name in ["new", "new-file", "disk", "disk-file"] {
        client.blockdev_del(BlockdevDel::new(name)).await?;
    }
    writeln!(out, "done")?;
    Ok(())
}

/// A node named `name`, with its driver's options.
fn node(name: &str, driver: impl Into<BlockdevOptionsDriver>) -> BlockdevOptions {
    BlockdevOptions {
        node_name: Some(name.into()),
        ..BlockdevOptions::new(driver)
    }
}
