//! The `qga` example: a short session with the QEMU guest agent.
//!
//! ```text
//! cargo run -p qapi-examples --example qga
//! cargo run -p qapi-examples --example qga -- /path/to/qga.sock
//! ```
//!
//! Without a socket it starts `qemu-ga -m unix-listen -p SOCKET -t
//! STATEDIR` in a scratch directory (the binary from `QAPI_QEMU_GA`, else
//! `PATH` or `/usr/sbin`); the agent then describes the machine it runs on.
//! A socket is, for instance, the host end of a VM's virtio-serial channel
//! (`-chardev socket,path=/tmp/qga.sock,server=on,wait=off,id=qga0 -device
//! virtio-serial -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0`).

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use qapi_types::qga::Client;
use tokio::net::UnixStream;

use crate::process::{Process, TempDir};
use crate::qga::{Commands, GuestAgentInfo, GuestOSInfo, GuestSync};
use crate::{Error, Peer};

/// The timeout of every call, of resynchronisation, and of waiting for the
/// agent's socket.
const TIMEOUT: Duration = Duration::from_secs(20);

/// What the agent answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The id sent with `guest-sync` and the one echoed back.
    pub sync: (i64, i64),
    /// The reply to `guest-info`.
    pub info: GuestAgentInfo,
    /// The reply to `guest-get-host-name`.
    pub host_name: String,
    /// The reply to `guest-get-osinfo`.
    pub os: GuestOSInfo,
    /// The reply to `guest-get-time`: nanoseconds since the epoch.
    pub time_ns: i64,
}

/// Runs the session with the agent `peer`, printing to `out`.  An agent
/// started here is killed at the end (qemu-ga has no command to stop it
/// that answers).
pub async fn run(peer: &Peer, out: &mut (dyn Write + Send)) -> Result<Report, Error> {
    // Declared in this order so that the agent is killed before its
    // directory is removed.
    let dir;
    let mut agent = None;
    let stream = match peer {
        Peer::Spawn(bin) => {
            dir = TempDir::new("qga")?;
            let socket = dir.join("qga.sock");
            let state = dir.join("state");
            std::fs::create_dir(&state)?;
            let mut process = Process::spawn(
                bin,
                [
                    "-m".as_ref(),
                    "unix-listen".as_ref(),
                    "-p".as_ref(),
                    socket.as_os_str(),
                    "-t".as_ref(),
                    state.as_os_str(),
                ] as [&std::ffi::OsStr; 6],
            )?;
            let stream = process.connect(&socket, TIMEOUT).await?;
            writeln!(out, "Started {} on {}", bin.display(), socket.display())?;
            agent = Some(process);
            stream
        }
        Peer::Socket(path) => UnixStream::connect(path)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", path.display()))?,
    };

    // Connecting resynchronises once (0xFF, then guest-sync-delimited with
    // a random id); resync() does it again, as after a timeout.
    let client = Client::builder()
        .timeout(TIMEOUT)
        .handshake_timeout(TIMEOUT)
        .connect_stream(stream)
        .await?;
    client.resync().await?;
    writeln!(out, "resync: guest-sync-delimited answered")?;

    let id = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(4242, |d| i64::from(d.subsec_nanos()));
    let echoed = client.guest_sync(GuestSync { id }).await?;
    writeln!(out, "guest-sync {id}: {echoed}")?;

    client.guest_ping().await?;
    writeln!(out, "guest-ping: ok")?;

    let info = client.guest_info().await?;
    let disabled: Vec<&str> = info
        .supported_commands
        .iter()
        .filter(|c| !c.enabled)
        .map(|c| c.name.as_str())
        .collect();
    writeln!(
        out,
        "guest-info: qemu-ga {}, {} commands, disabled: [{}]",
        info.version,
        info.supported_commands.len(),
        disabled.join(", ")
    )?;

    let host_name = client.guest_get_host_name().await?.host_name;
    writeln!(out, "guest-get-host-name: {host_name}")?;

    let os = client.guest_get_osinfo().await?;
    let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    writeln!(
        out,
        "guest-get-osinfo: {} ({}), kernel {} {} on {}",
        field(&os.pretty_name),
        field(&os.id),
        field(&os.kernel_release),
        field(&os.kernel_version),
        field(&os.machine)
    )?;

    let time_ns = client.guest_get_time().await?;
    let secs = time_ns.div_euclid(1_000_000_000);
    let nanos = time_ns.rem_euclid(1_000_000_000);
    writeln!(
        out,
        "guest-get-time: {time_ns} ns = {} UTC",
        utc(secs, nanos)
    )?;

    client.close();
    if let Some(mut process) = agent {
        process.kill().await?;
    }
    Ok(Report {
        sync: (id, echoed),
        info,
        host_name,
        os,
        time_ns,
    })
}

/// Seconds since the epoch as `YYYY-MM-DD hh:mm:ss.nnnnnnnnn` (UTC), from
/// the civil-from-days algorithm, to avoid a date crate.
fn utc(secs: i64, nanos: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{nanos:09}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc() {
        assert_eq!(super::utc(0, 0), "1970-01-01 00:00:00.000000000");
        assert_eq!(
            super::utc(1_795_307_647, 957_579_000),
            "2026-11-22 00:34:07.957579000"
        );
        assert_eq!(super::utc(951_782_400, 1), "2000-02-29 00:00:00.000000001");
    }
}
