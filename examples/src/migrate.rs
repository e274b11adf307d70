//! The `migrate` example: a live migration between two QEMU processes,
//! driven by the typed client and followed through its events.
//!
//! ```text
//! cargo run -p qapi-examples --example migrate
//! ```
//!
//! Both sides run `qemu-system-x86_64 -M pc -accel tcg -m 64 -nodefaults
//! -display none` (the binary from `QAPI_QEMU_SYSTEM`, else `PATH`): the
//! source with `-S`, the destination with `-incoming unix:MIGSOCK`.  The
//! example switches the `events` migration capability on with
//! `migrate-set-capabilities`, runs `migrate` with `uri unix:MIGSOCK`,
//! prints the `MIGRATION` and `MIGRATION_PASS` events of both sides as they
//! arrive until both report "completed", then prints the source's final
//! `query-migrate` figures as a table.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use qapi_types::client::{Client, Error as ClientError, Events};
use qapi_types::{EventMessage, Timestamp};

use crate::Error;
use crate::process::{Qemu, TempDir};
use crate::qmp::{self, Commands, Event, MigrationStatus};
use crate::table::{self, Table};

/// The timeout of every QMP call, and of waiting for QEMU's socket.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Settings of the example.
#[derive(Clone, Debug)]
pub struct Options {
    /// The `qemu-system-x86_64` binary.
    pub qemu: PathBuf,
    /// The guest's memory in MiB (`-m`).
    pub memory_mib: u32,
    /// How long the migration may take, from `migrate` to both sides
    /// reporting "completed".
    pub timeout: Duration,
}

impl Options {
    /// 64 MiB of guest memory, 60 s for the migration.
    pub fn new(qemu: impl Into<PathBuf>) -> Self {
        Options {
            qemu: qemu.into(),
            memory_mib: 64,
            timeout: Duration::from_secs(60),
        }
    }
}

/// Which side an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The QEMU that sends its state.
    Source,
    /// The QEMU that receives it.
    Destination,
}

impl Side {
    fn as_str(self) -> &'static str {
        match self {
            Side::Source => "source",
            Side::Destination => "destination",
        }
    }
}

/// What happened.
#[derive(Clone, Debug)]
pub struct Report {
    /// The `MIGRATION` and `MIGRATION_PASS` events of both sides, in the
    /// order they were received.
    pub events: Vec<(Side, EventMessage<Event>)>,
    /// The source's `query-migrate` reply after the migration.
    pub info: qmp::MigrationInfo,
    /// The source's `query-status` reply after the migration.
    pub source_status: qmp::StatusInfo,
    /// The destination's `query-status` reply after the migration.
    pub destination_status: qmp::StatusInfo,
}

impl Report {
    /// The `MIGRATION` events of one side, in order.
    pub fn statuses(&self, side: Side) -> Vec<MigrationStatus> {
        self.events
            .iter()
            .filter(|(s, _)| *s == side)
            .filter_map(|(_, m)| match &m.event {
                Event::Migration(e) => Some(e.status.clone()),
                _ => None,
            })
            .collect()
    }

    /// The numbers of the `MIGRATION_PASS` events of the source.
    pub fn passes(&self) -> Vec<i64> {
        self.events
            .iter()
            .filter_map(|(s, m)| match &m.event {
                Event::MigrationPass(p) if *s == Side::Source => Some(p.pass),
                _ => None,
            })
            .collect()
    }
}

/// A QMP connection to one side.
struct Vm {
    side: Side,
    qemu: Qemu,
    client: Client<Event>,
}

impl Vm {
    async fn start(
        options: &Options,
        dir: &TempDir,
        side: Side,
        extra: &[String],
    ) -> Result<Vm, Error> {
        let mut args: Vec<String> = [
            "-M",
            "pc",
            "-accel",
            "tcg",
            "-m",
            &options.memory_mib.to_string(),
            "-nodefaults",
            "-display",
            "none",
        ]
        .map(String::from)
        .to_vec();
        args.extend_from_slice(extra);
        let (qemu, client) =
            Qemu::start(&options.qemu, dir, side.as_str(), &args, CALL_TIMEOUT).await?;
        Ok(Vm { side, qemu, client })
    }

    /// Sends `quit` and waits for QEMU to exit (killing it if it does not).
    async fn quit(mut self) -> Result<(), Error> {
        match self.client.quit().await {
            Ok(_) | Err(ClientError::Disconnected) => {}
            Err(e) => return Err(e.into()),
        }
        self.qemu.process().wait_or_kill(CALL_TIMEOUT).await?;
        Ok(())
    }
}

/// Runs the example, printing to `out`.
pub async fn run(options: &Options, out: &mut (dyn Write + Send)) -> Result<Report, Error> {
    // The directory is declared first so that it is removed last, after
    // both QEMU processes are gone.
    let dir = TempDir::new("migrate")?;
    let migration_socket = dir.join("migration.sock");
    let uri = format!("unix:{}", migration_socket.display());

    let destination = Vm::start(
        options,
        &dir,
        Side::Destination,
        &["-incoming".into(), uri.clone()],
    )
    .await?;
    let source = Vm::start(options, &dir, Side::Source, &["-S".into()]).await?;
    let v = &source.client.greeting().version.qemu;
    writeln!(
        out,
        "Started two QEMU {}.{}.{} processes with {} MiB of memory each",
        v.major, v.minor, v.micro, options.memory_mib
    )?;
    for vm in [&source, &destination] {
        let status = vm.client.query_status().await?;
        writeln!(
            out,
            "  {:<11} {} ({})",
            vm.side.as_str(),
            status.status.as_str(),
            vm.qemu.qmp_socket().display()
        )?;
    }

    // Events are sent only with the "events" capability, and a
    // subscription sees only the events that arrive after it is made.
    for vm in [&source, &destination] {
        vm.client
            .migrate_set_capabilities(qmp::MigrateSetCapabilities {
                capabilities: vec![qmp::MigrationCapabilityStatus {
                    capability: qmp::MigrationCapability::Events,
                    state: true,
                }],
            })
            .await?;
    }
    let mut source_events = source.client.events();
    let mut destination_events = destination.client.events();
    writeln!(out, "Capability \"events\" on; migrate to {uri}")?;

    source
        .client
        .migrate(qmp::Migrate {
            uri: Some(uri.clone()),
            ..Default::default()
        })
        .await?;

    let events = tokio::time::timeout(options.timeout, async {
        let events = follow(&mut source_events, &mut destination_events, out).await?;
        settle(&source.client).await?;
        Ok::<_, Error>(events)
    })
    .await
    .map_err(|_| {
        format!(
            "the migration did not complete within {:?}",
            options.timeout
        )
    })?;
    let events = match events {
        Ok(events) => events,
        Err(e) => {
            // Say why, as the source sees it.
            if let Ok(info) = source.client.query_migrate().await
                && let Some(desc) = info.error_desc
            {
                return Err(format!("{e}: {desc}").into());
            }
            return Err(e);
        }
    };

    let info = source.client.query_migrate().await?;
    let source_status = source.client.query_status().await?;
    let destination_status = destination.client.query_status().await?;
    writeln!(out)?;
    writeln!(out, "query-migrate on the source:")?;
    write!(out, "{}", stats_table(&info))?;
    writeln!(out)?;
    writeln!(
        out,
        "Afterwards: source {}, destination {}",
        source_status.status.as_str(),
        destination_status.status.as_str()
    )?;

    source.quit().await?;
    destination.quit().await?;
    Ok(Report {
        events,
        info,
        source_status,
        destination_status,
    })
}

/// Prints the migration events of both sides until both have reported
/// "completed"; fails when a side reports "failed" or "cancelled" or its
/// connection ends.
async fn follow(
    source: &mut Events<Event>,
    destination: &mut Events<Event>,
    out: &mut (dyn Write + Send),
) -> Result<Vec<(Side, EventMessage<Event>)>, Error> {
    let mut seen = Vec::new();
    let mut start: Option<Timestamp> = None;
    let (mut source_done, mut destination_done) = (false, false);
    while !(source_done && destination_done) {
        let (side, next) = tokio::select! {
            e = source.recv(), if !source_done => (Side::Source, e),
            e = destination.recv(), if !destination_done => (Side::Destination, e),
        };
        let message: Arc<EventMessage<Event>> = match next {
            Some(Ok(m)) => m,
            // Lost or undecodable events: say so and go on.
            Some(Err(e)) => {
                writeln!(out, "  ({} events: {e})", side.as_str())?;
                continue;
            }
            None => return Err(format!("the {} closed the connection", side.as_str()).into()),
        };
        let t = message.timestamp;
        let t0 = *start.get_or_insert(t);
        let offset_ms =
            (t.seconds - t0.seconds) as f64 * 1e3 + (t.microseconds - t0.microseconds) as f64 / 1e3;
        let what = match &message.event {
            Event::Migration(m) => {
                match m.status {
                    MigrationStatus::Completed => match side {
                        Side::Source => source_done = true,
                        Side::Destination => destination_done = true,
                    },
                    MigrationStatus::Failed | MigrationStatus::Cancelled => {
                        return Err(format!(
                            "the migration {} on the {}",
                            m.status.as_str(),
                            side.as_str()
                        )
                        .into());
                    }
                    _ => {}
                }
                format!("MIGRATION       status {}", m.status.as_str())
            }
            Event::MigrationPass(p) => format!("MIGRATION_PASS  pass {}", p.pass),
            // Events the example does not follow (RESUME, STOP...).
            _ => continue,
        };
        writeln!(out, "  {offset_ms:>+9.3} ms  {:<11}  {what}", side.as_str())?;
        seen.push((side, EventMessage::clone(&message)));
    }
    Ok(seen)
}

/// Waits until the source has left the "finish-migrate" run state.
///
/// The source's migration thread sends the "completed" event as soon as the
/// last byte is out; only afterwards does QEMU's main loop compute the
/// final figures (total time, downtime, throughput) and switch the run
/// state to "postmigrate".  A `query-migrate` right after the event can
/// still show the figures of the running migration.  QMP commands run in
/// the main loop too, so once `query-status` shows another state, the
/// figures are final.
async fn settle(source: &Client<Event>) -> Result<(), Error> {
    while source.query_status().await?.status == qmp::RunState::FinishMigrate {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// The figures of a `query-migrate` reply as a table.
pub fn stats_table(info: &qmp::MigrationInfo) -> Table {
    let mut t = Table::new().left("figure").right("value");
    let status = info
        .status
        .as_ref()
        .map_or("(none)", MigrationStatus::as_str);
    t.row(["status", status]);
    let times = [
        ("setup time", info.setup_time),
        ("total time", info.total_time),
        ("downtime", info.downtime),
        ("expected downtime", info.expected_downtime),
    ];
    for (name, value) in times {
        if let Some(v) = value {
            t.row([name.to_owned(), table::ms(v)]);
        }
    }
    if let Some(ram) = &info.ram {
        let pages = |n: i64| format!("{} pages", table::grouped(n.into()));
        t.row(["ram total".to_owned(), table::bytes(ram.total.into())]);
        t.row([
            "ram transferred".to_owned(),
            table::bytes(ram.transferred.into()),
        ]);
        t.row([
            "ram remaining".to_owned(),
            table::bytes(ram.remaining.into()),
        ]);
        t.row(["zero pages (duplicate)".to_owned(), pages(ram.duplicate)]);
        if let Some(skipped) = ram.skipped {
            t.row(["skipped pages".to_owned(), pages(skipped)]);
        }
        t.row(["normal pages".to_owned(), pages(ram.normal)]);
        t.row([
            "normal bytes".to_owned(),
            table::bytes(ram.normal_bytes.into()),
        ]);
        t.row(["page size".to_owned(), table::bytes(ram.page_size.into())]);
        t.row(["throughput".to_owned(), format!("{:.1} Mbit/s", ram.mbps)]);
        t.row([
            "pages per second".to_owned(),
            table::grouped(ram.pages_per_second.into()),
        ]);
        t.row([
            "dirty pages rate".to_owned(),
            format!("{} pages/s", table::grouped(ram.dirty_pages_rate.into())),
        ]);
        t.row([
            "dirty syncs (passes)".to_owned(),
            table::grouped(ram.dirty_sync_count.into()),
        ]);
        let split = [
            ("precopy bytes", ram.precopy_bytes),
            ("downtime bytes", ram.downtime_bytes),
            ("postcopy bytes", ram.postcopy_bytes),
        ];
        for (name, value) in split {
            if let Some(v) = value {
                t.row([name.to_owned(), table::bytes(v.into())]);
            }
        }
        t.row([
            "multifd bytes".to_owned(),
            table::bytes(ram.multifd_bytes.into()),
        ]);
    }
    t
}
