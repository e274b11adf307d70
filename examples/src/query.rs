//! The `query` example: connect to QEMU, print what it says about itself,
//! quit it.
//!
//! ```text
//! cargo run -p qapi-examples --example query
//! cargo run -p qapi-examples --example query -- /path/to/qmp.sock [--quit]
//! ```
//!
//! Without a socket it starts `qemu-system-x86_64 -M none -nodefaults
//! -display none -qmp unix:SOCK,server=on,wait=off` in a scratch directory
//! (the binary from `QAPI_QEMU_SYSTEM`, else `PATH`).

use std::io::Write;
use std::time::Duration;

use qapi_types::Greeting;
use qapi_types::client::{Client, ClientBuilder, Error as ClientError};
use tokio::net::UnixStream;

use crate::process::{Qemu, TempDir};
use crate::qmp::{self, Commands};
use crate::{Error, Peer, table};

/// The timeout of every QMP call, and of waiting for QEMU's socket.
const TIMEOUT: Duration = Duration::from_secs(20);

/// What QEMU said.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The greeting, sent by QEMU when the client connected.
    pub greeting: Greeting,
    /// The reply to `query-version`.
    pub version: qmp::VersionInfo,
    /// The reply to `query-status`.
    pub status: qmp::StatusInfo,
    /// The names from `query-commands`, sorted.
    pub commands: Vec<String>,
    /// Whether QEMU was told to quit.
    pub quit: bool,
}

/// Runs the example against `peer`, printing to `out`.
///
/// A QEMU started here ([`Peer::Spawn`]) is always told to quit at the
/// end (and killed if it does not exit); one reached through
/// [`Peer::Socket`] only when `quit` is true.
pub async fn run(peer: &Peer, quit: bool, out: &mut (dyn Write + Send)) -> Result<Report, Error> {
    // Declared in this order so that QEMU is killed before its directory
    // is removed.
    let dir;
    let mut qemu = None;
    // Connecting reads the greeting and negotiates capabilities.
    let client: Client<qmp::Event> = match peer {
        Peer::Spawn(bin) => {
            dir = TempDir::new("query")?;
            let args = ["-M", "none", "-nodefaults", "-display", "none"];
            let (q, client) = Qemu::start(bin, &dir, "qemu", &args, TIMEOUT).await?;
            qemu = Some(q);
            client
        }
        Peer::Socket(path) => {
            let stream = UnixStream::connect(path)
                .await
                .map_err(|e| format!("cannot connect to {}: {e}", path.display()))?;
            ClientBuilder::new()
                .timeout(TIMEOUT)
                .connect_unix_stream(stream)
                .await?
        }
    };
    let quit = quit || qemu.is_some();

    let greeting = client.greeting().clone();
    let v = &greeting.version;
    writeln!(
        out,
        "Greeting: QEMU {}.{}.{} (package {:?}), capabilities [{}]",
        v.qemu.major,
        v.qemu.minor,
        v.qemu.micro,
        v.package,
        greeting.capabilities.join(", ")
    )?;

    let version = client.query_version().await?;
    writeln!(
        out,
        "query-version: {}.{}.{} (package {:?})",
        version.qemu.major, version.qemu.minor, version.qemu.micro, version.package
    )?;

    let status = client.query_status().await?;
    writeln!(
        out,
        "query-status: {} (running: {})",
        status.status.as_str(),
        status.running
    )?;

    let mut commands: Vec<String> = client
        .query_commands()
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    commands.sort();
    writeln!(out, "query-commands: {} commands", commands.len())?;
    write!(out, "{}", table::columns(&commands, 78))?;

    if quit {
        // QEMU answers and exits at once; the connection may close before
        // the reply is read.
        match client.quit().await {
            Ok(_) | Err(ClientError::Disconnected) => {}
            Err(e) => return Err(e.into()),
        }
        let _ = tokio::time::timeout(TIMEOUT, client.closed()).await;
        match &mut qemu {
            Some(q) => match q.process().wait_or_kill(TIMEOUT).await? {
                Some(status) => writeln!(out, "quit: QEMU exited ({status})")?,
                None => writeln!(out, "quit: QEMU did not exit; killed")?,
            },
            None => writeln!(out, "quit: sent")?,
        }
    }

    Ok(Report {
        greeting,
        version,
        status,
        commands,
        quit,
    })
}
