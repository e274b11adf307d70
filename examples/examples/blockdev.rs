//! Block nodes, an NBD export and an image created in a job, on
//! qemu-storage-daemon: started here, or one that already runs.
//!
//! ```text
//! cargo run -p qapi-examples --example blockdev
//! cargo run -p qapi-examples --example blockdev -- /path/to/qmp.sock DIR
//! ```

use std::process::ExitCode;
use std::time::Duration;

use qapi_examples::process::{self, StorageDaemon, TempDir};
use qapi_examples::{Error, blockdev};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let result = match &args[..] {
        [socket, dir] => blockdev::run(socket.as_ref(), dir.as_ref(), &mut std::io::stdout()).await,
        [] => start_and_run().await,
        _ => {
            eprintln!("usage: blockdev [QMP-SOCKET DIR]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("blockdev: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Starts qemu-storage-daemon in a scratch directory and runs the task
/// against it.
async fn start_and_run() -> Result<(), Error> {
    let bin = process::qemu_storage_daemon().ok_or_else(|| {
        process::not_found(
            process::QEMU_STORAGE_DAEMON_VAR,
            process::QEMU_STORAGE_DAEMON,
        )
    })?;
    let dir = TempDir::new("blockdev")?;
    let qsd = StorageDaemon::start(&bin, &dir, Duration::from_secs(20)).await?;
    let result = blockdev::run(qsd.qmp(), dir.path(), &mut std::io::stdout()).await;
    qsd.stop().await?;
    result
}
