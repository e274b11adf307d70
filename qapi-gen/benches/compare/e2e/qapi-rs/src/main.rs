//! Exports a raw disk over NBD and creates a qcow2 image on a running
//! qemu-storage-daemon, using arcnmx's `qapi` crate.
//!
//! Usage: e2e-qapi-rs SOCKET DIR

use std::error::Error;
use std::fs::File;
use std::path::Path;
use std::time::Duration;

use futures::StreamExt;
use qapi::futures::QmpStreamTokio;
use qapi::qmp::{
    self, BlockExportOptions, BlockExportOptionsBase, BlockExportOptionsNbd, BlockdevCreateOptions,
    BlockdevCreateOptionsQcow2, BlockdevOptions, BlockdevOptionsBase, BlockdevOptionsFile,
    BlockdevOptionsGenericCOWFormat, BlockdevOptionsGenericFormat, BlockdevOptionsQcow2,
    BlockdevOptionsRaw, BlockdevRef, Event, JobStatus, SocketAddressLegacy, UnixSocketAddress,
};
use qapi::{Enum, ExecuteError};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::timeout;

const EVENT_TIMEOUT: Duration = Duration::from_secs(30);

type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

#[tokio::main]
async fn main() -> Result {
    let args: Vec<String> = std::env::args().collect();
    let [_, socket, scratch] = &args[..] else {
        return Err("usage: e2e-qapi-rs SOCKET DIR".into());
    };
    let path = |name: &str| Path::new(scratch).join(name).to_string_lossy().into_owned();

    let stream = QmpStreamTokio::open_uds(socket).await?.negotiate().await?;
    let (qmp, mut incoming) = stream.into_parts();
    // Replies arrive through the event stream, so it must be polled all the
    // time: a task drives it and hands the events on to subscribers.
    let (events, _) = broadcast::channel(64);
    let sender = events.clone();
    tokio::spawn(async move {
        while let Some(event) = incoming.next().await {
            match event {
                // Fails only when nobody listens, and then nobody waits for it.
                Ok(event) => {
                    let _ = sender.send(event);
                }
                Err(err) => {
                    eprintln!("QMP connection: {err}");
                    break;
                }
            }
        }
    });

    let disk = path("disk.raw");
    File::create(&disk)?.set_len(64 * 1024 * 1024)?;
    qmp.execute(qmp::blockdev_add(file_node("disk-file", disk)))
        .await?;
    qmp.execute(qmp::blockdev_add(BlockdevOptions::raw {
        base: node("disk"),
        raw: BlockdevOptionsRaw {
            base: BlockdevOptionsGenericFormat {
                file: BlockdevRef::reference("disk-file".into()),
            },
            offset: None,
            size: None,
        },
    }))
    .await?;

    qmp.execute(qmp::nbd_server_start {
        addr: SocketAddressLegacy::unix(
            UnixSocketAddress {
                path: path("nbd.sock"),
                abstract_: None,
                tight: None,
            }
            .into(),
        ),
        max_connections: None,
        tls_authz: None,
        tls_creds: None,
    })
    .await?;
    qmp.execute(qmp::block_export_add(BlockExportOptions::nbd {
        base: BlockExportOptionsBase {
            id: "export0".into(),
            node_name: "disk".into(),
            writable: Some(true),
            fixed_iothread: None,
            iothread: None,
            writethrough: None,
        },
        nbd: BlockExportOptionsNbd {
            base: Default::default(),
            allocation_depth: None,
            bitmaps: None,
        },
    }))
    .await?;
    for export in qmp.execute(qmp::query_block_exports {}).await? {
        let kind = export.type_.name();
        println!("export {}: {kind} on {}", export.id, export.node_name);
    }

    let image = path("new.qcow2");
    File::create(&image)?;
    qmp.execute(qmp::blockdev_add(file_node("new-file", image)))
        .await?;
    let mut listener = events.subscribe();
    qmp.execute(qmp::blockdev_create {
        job_id: "create0".into(),
        options: BlockdevCreateOptions::qcow2(BlockdevCreateOptionsQcow2 {
            file: BlockdevRef::reference("new-file".into()),
            size: 128 * 1024 * 1024,
            backing_file: None,
            backing_fmt: None,
            cluster_size: None,
            compression_type: None,
            data_file: None,
            data_file_raw: None,
            encrypt: None,
            extended_l2: None,
            lazy_refcounts: None,
            preallocation: None,
            refcount_bits: None,
            version: None,
        }),
    })
    .await?;
    wait_for(&mut listener, |event| {
        matches!(event, Event::JOB_STATUS_CHANGE { data, .. }
            if data.id == "create0" && data.status == JobStatus::concluded)
    })
    .await?;
    println!("job create0: concluded");
    qmp.execute(qmp::job_dismiss {
        id: "create0".into(),
    })
    .await?;

    qmp.execute(qmp::blockdev_add(BlockdevOptions::qcow2 {
        base: node("new"),
        qcow2: BlockdevOptionsQcow2 {
            base: BlockdevOptionsGenericCOWFormat {
                base: BlockdevOptionsGenericFormat {
                    file: BlockdevRef::reference("new-file".into()),
                },
                backing: None,
            },
            cache_clean_interval: None,
            cache_size: None,
            data_file: None,
            discard_no_unref: None,
            encrypt: None,
            l2_cache_entry_size: None,
            l2_cache_size: None,
            lazy_refcounts: None,
            overlap_check: None,
            pass_discard_other: None,
            pass_discard_request: None,
            pass_discard_snapshot: None,
            refcount_cache_size: None,
        },
    }))
    .await?;
    println!("added new: qcow2 on new-file");

    let missing = qmp::blockdev_del {
        node_name: "missing".into(),
    };
    match qmp.execute(missing).await {
        Err(ExecuteError::Qapi(err)) => println!("blockdev-del missing: {}", err.desc),
        Err(err) => return Err(err.into()),
        Ok(_) => return Err("blockdev-del of a missing node succeeded".into()),
    }

    let mut listener = events.subscribe();
    qmp.execute(qmp::block_export_del {
        id: "export0".into(),
        mode: None,
    })
    .await?;
    wait_for(
        &mut listener,
        |event| matches!(event, Event::BLOCK_EXPORT_DELETED { data, .. } if data.id == "export0"),
    )
    .await?;
    qmp.execute(qmp::nbd_server_stop {}).await?;
    for node in ["new", "new-file", "disk", "disk-file"] {
        qmp.execute(qmp::blockdev_del {
            node_name: node.into(),
        })
        .await?;
    }
    println!("done");
    Ok(())
}

/// Waits up to `EVENT_TIMEOUT` for an event that `wanted` accepts.
async fn wait_for(
    listener: &mut broadcast::Receiver<Event>,
    wanted: impl Fn(&Event) -> bool,
) -> Result {
    let wait = async {
        while !wanted(&listener.recv().await?) {}
        Ok::<_, RecvError>(())
    };
    Ok(timeout(EVENT_TIMEOUT, wait).await??)
}

fn node(node_name: &str) -> BlockdevOptionsBase {
    BlockdevOptionsBase {
        node_name: Some(node_name.into()),
        auto_read_only: None,
        cache: None,
        detect_zeroes: None,
        discard: None,
        force_share: None,
        read_only: None,
    }
}

fn file_node(node_name: &str, filename: String) -> BlockdevOptions {
    BlockdevOptions::file {
        base: node(node_name),
        file: BlockdevOptionsFile {
            filename,
            aio: None,
            aio_max_batch: None,
            drop_cache: None,
            locking: None,
            pr_manager: None,
            x_check_cache_dropped: None,
        },
    }
}
