//! The `colo-monitor` example: a mock of the COLO fork's checkpoint
//! recorder, served with [`qapi_types::server`] and the generated
//! [`Handler`] trait, and queried with the typed client.  No QEMU needed.
//!
//! ```text
//! cargo run -p qapi-examples --example colo-monitor
//! ```
//!
//! # How the fork computes its figures
//!
//! The fork adds up, per phase of a checkpoint, the clock differences of
//! every checkpoint into a global `checkpoint_recorder`, and counts the
//! checkpoints in `tot_num`.  Its `info_checkpoint` builds the reply in
//! `fill_checkpoint_recorder()`:
//!
//! - copied as they are: `tot_time` (the sum of all checkpoint durations),
//!   `tot_num`, `init_time` (measured once, when COLO starts);
//! - divided by `tot_num`: `wait_time`, `dev_time`, `ram_time`, `stat_time`
//!   (`vmstate_time` in the published function), `dev_size`, `ram_size`;
//!   and `avg_time` is `tot_time / tot_num`;
//! - `put_time`, `recv_time`, `load_time` and `resume_time` are not in the
//!   published function, but the recorded replies show that they are
//!   means too: the means of all phases add up to `avg_time` within a few
//!   microseconds (31.397 + 0.596 + 86.319 + 0.027 + 0.002 + 597.324 +
//!   0.252 = 715.916 ms against 715.918 ms), which sums could not.
//!
//! The division is C's `int64_t` division, which truncates; Rust's `i64`
//! division does the same.  The fork does not check `tot_num` for zero (a
//! SIGFPE after a reset); this mock answers with an error instead.
//!
//! The mock replays the run recorded on a primary with one vCPU and 2 GiB
//! compiling a kernel ([`SEED_RUN`]): six checkpoints whose figures add up
//! to totals consistent with that reply, so that its `info_checkpoint`
//! answers exactly what the fork answered.

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use qapi_types::client::{Client, ClientBuilder};
use qapi_types::server::Server;
use qapi_types::{Empty, QmpError, VersionInfo, VersionTriple};

use crate::Error;
use crate::process::TempDir;
use crate::qmp::{
    self, CheckpointRecorder, Commands, Handler, MigrationInfo, MigrationStats, MigrationStatus,
};
use crate::table::{self, Table};

/// The timeout of every QMP call.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The raw sums behind an `info_checkpoint` reply, as the fork accumulates
/// them: times in nanoseconds, sizes in bytes, each summed over all
/// checkpoints (except `init_time`, measured once).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Number of checkpoints.
    pub tot_num: i64,
    /// Sum of the checkpoint transactions' durations.
    pub tot_time: i64,
    /// Time to set COLO up, measured once.
    pub init_time: i64,
    /// Sum of the waits between checkpoints.
    pub wait_time: i64,
    /// Sum of the handshake times.
    pub stat_time: i64,
    /// Sum of the device-state saving times.
    pub dev_time: i64,
    /// Sum of the RAM transfer times.
    pub ram_time: i64,
    /// Sum of the device-state transfer times.
    pub put_time: i64,
    /// Sum of the "received" acknowledgement times.
    pub recv_time: i64,
    /// Sum of the device-state loading times.
    pub load_time: i64,
    /// Sum of the guest restart times.
    pub resume_time: i64,
    /// Sum of the device-state sizes.
    pub dev_size: i64,
    /// Sum of the RAM sizes (never filled in by the fork).
    pub ram_size: i64,
}

/// The figures of one checkpoint, as the fork measures them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checkpoint {
    /// The wait before this checkpoint.
    pub wait_time: i64,
    /// The duration of the checkpoint transaction (all phases below, and a
    /// little unmeasured work between them).
    pub time: i64,
    /// The handshake.
    pub stat_time: i64,
    /// Saving the device state.
    pub dev_time: i64,
    /// Sending the RAM.
    pub ram_time: i64,
    /// Sending the device state.
    pub put_time: i64,
    /// Waiting for "received".
    pub recv_time: i64,
    /// Waiting for "loaded".
    pub load_time: i64,
    /// Restarting the guest.
    pub resume_time: i64,
    /// Bytes of device state.
    pub dev_size: i64,
    /// Bytes of RAM.
    pub ram_size: i64,
}

impl Totals {
    /// Adds one checkpoint, as the fork's `colo.c` does.
    pub fn add(&mut self, c: &Checkpoint) {
        self.tot_num += 1;
        self.tot_time += c.time;
        self.wait_time += c.wait_time;
        self.stat_time += c.stat_time;
        self.dev_time += c.dev_time;
        self.ram_time += c.ram_time;
        self.put_time += c.put_time;
        self.recv_time += c.recv_time;
        self.load_time += c.load_time;
        self.resume_time += c.resume_time;
        self.dev_size += c.dev_size;
        self.ram_size += c.ram_size;
    }

    /// The reply the fork builds from these sums (`fill_checkpoint_recorder`),
    /// with `info` as its migration figures.  `None` when no checkpoint was
    /// taken, where the fork would divide by zero.
    pub fn reply(&self, info: MigrationInfo) -> Option<CheckpointRecorder> {
        let n = self.tot_num;
        if n == 0 {
            return None;
        }
        Some(CheckpointRecorder {
            tot_time: self.tot_time,
            tot_num: n,
            init_time: self.init_time,
            wait_time: self.wait_time / n,
            avg_time: self.tot_time / n,
            stat_time: self.stat_time / n,
            dev_time: self.dev_time / n,
            ram_time: self.ram_time / n,
            put_time: self.put_time / n,
            recv_time: self.recv_time / n,
            load_time: self.load_time / n,
            resume_time: self.resume_time / n,
            dev_size: self.dev_size / n,
            ram_size: self.ram_size / n,
            info,
        })
    }

    /// Splits the sums into `tot_num` checkpoints of unequal size that add
    /// up to them exactly (the last one takes the rounding remainders).
    pub fn checkpoints(&self) -> Vec<Checkpoint> {
        let n = usize::try_from(self.tot_num).unwrap_or(0);
        // Weights between 10 and 20: checkpoints differ, but not wildly.
        let weights: Vec<i64> = (0..n as i64).map(|i| 10 + (i * 7) % 11).collect();
        let sum: i64 = weights.iter().sum();
        let share = |total: i64, i: usize| -> i64 {
            if i + 1 == n {
                total - weights[..i].iter().map(|w| total * w / sum).sum::<i64>()
            } else {
                total * weights[i] / sum
            }
        };
        (0..n)
            .map(|i| Checkpoint {
                wait_time: share(self.wait_time, i),
                time: share(self.tot_time, i),
                stat_time: share(self.stat_time, i),
                dev_time: share(self.dev_time, i),
                ram_time: share(self.ram_time, i),
                put_time: share(self.put_time, i),
                recv_time: share(self.recv_time, i),
                load_time: share(self.load_time, i),
                resume_time: share(self.resume_time, i),
                dev_size: share(self.dev_size, i),
                ram_size: share(self.ram_size, i),
            })
            .collect()
    }
}

/// Sums consistent with the reply recorded on a primary with one vCPU and
/// 2 GiB compiling a kernel (the `info_checkpoint` example of
/// `schema/colo.json`).
///
/// A reply fixes each averaged figure's sum only to within `tot_num - 1`
/// (the division truncates), so the sums here are the recorded mean times
/// six plus a remainder below six, chosen so that the truncation shows.
/// `tot_time`, `tot_num` and `init_time` are the recorded values.
pub const SEED_RUN: Totals = Totals {
    tot_num: 6,
    tot_time: 4_295_509_854,
    init_time: 140_781_582,
    wait_time: 105_910_459_457, // 6 * 17_651_743_242 + 5
    stat_time: 188_381_361,     // 6 * 31_396_893 + 3
    dev_time: 3_573_310,        // 6 * 595_551 + 4
    ram_time: 517_913_065,      // 6 * 86_318_844 + 1
    put_time: 160_826,          // 6 * 26_804 + 2
    recv_time: 11_687,          // 6 * 1_947 + 5
    load_time: 3_583_946_154,   // 6 * 597_324_359
    resume_time: 1_509_849,     // 6 * 251_641 + 3
    dev_size: 101_516,          // 6 * 16_919 + 2
    ram_size: 0,
};

/// The migration figures of the same recorded reply: COLO running, with
/// the ram figures of QEMU 5.2 (no `precopy-bytes` and later members).
pub fn seed_migration_info() -> MigrationInfo {
    MigrationInfo {
        status: Some(MigrationStatus::Colo),
        setup_time: Some(42),
        total_time: Some(334_026),
        expected_downtime: Some(1277),
        ram: Some(MigrationStats {
            total: 2_165_121_024,
            remaining: 0,
            transferred: 1_677_952_185,
            mbps: 53.822902,
            duplicate: 553_349,
            skipped: Some(0),
            normal: 407_644,
            normal_bytes: 1_669_709_824,
            dirty_pages_rate: 208,
            dirty_sync_count: 36,
            postcopy_requests: 0,
            page_size: 4096,
            multifd_bytes: 0,
            pages_per_second: 1760,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The mock QEMU: the checkpoint recorder and the migration state.
#[derive(Debug)]
pub struct ColoQemu {
    totals: Mutex<Totals>,
    info: MigrationInfo,
}

impl ColoQemu {
    /// A recorder that took no checkpoint yet, COLO having been set up in
    /// `init_time` nanoseconds; `info` is what `query-migrate` reports.
    pub fn new(init_time: i64, info: MigrationInfo) -> Self {
        ColoQemu {
            totals: Mutex::new(Totals {
                init_time,
                ..Totals::default()
            }),
            info,
        }
    }

    /// Records one checkpoint.
    pub fn record(&self, checkpoint: &Checkpoint) {
        self.lock().add(checkpoint);
    }

    /// The sums so far.
    pub fn totals(&self) -> Totals {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Totals> {
        // The data stays consistent even if a holder panicked.
        self.totals.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The commands the mock serves; every other command of the schema gets
/// QEMU's CommandNotFound from the trait's default methods.
impl Handler for ColoQemu {
    async fn info_checkpoint(&self) -> Result<CheckpointRecorder, QmpError> {
        self.totals().reply(self.info.clone()).ok_or_else(|| {
            QmpError::generic("No COLO checkpoint has been taken since the recorder was reset")
        })
    }

    async fn reset_checkpoint(&self) -> Result<Empty, QmpError> {
        // The fork's reset zeroes its first eight figures, tot_time to
        // ram_time, which includes init_time; the others are meant to be
        // cleared too (the published memset is too short), so all are.
        *self.lock() = Totals::default();
        Ok(Empty {})
    }

    async fn query_migrate(&self) -> Result<MigrationInfo, QmpError> {
        Ok(self.info.clone())
    }

    async fn query_status(&self) -> Result<qmp::StatusInfo, QmpError> {
        Ok(qmp::StatusInfo {
            running: true,
            singlestep: None,
            status: qmp::RunState::Running,
        })
    }
}

/// What the client saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// `info_checkpoint` after the recorded run.
    pub before: CheckpointRecorder,
    /// `info_checkpoint` right after `reset_checkpoint`: the mock's error.
    pub after_reset: QmpError,
    /// `info_checkpoint` after one more checkpoint.
    pub after_one: CheckpointRecorder,
    /// The checkpoint taken after the reset.
    pub one: Checkpoint,
}

/// Runs the example with the recorded run [`SEED_RUN`], printing to `out`.
pub async fn run(out: &mut (dyn Write + Send)) -> Result<Report, Error> {
    run_with(&SEED_RUN, seed_migration_info(), out).await
}

/// Runs the example: replays `totals` as `tot_num` checkpoints into the
/// mock, serves it on a Unix socket in a scratch directory, and talks to it
/// with the typed client.
pub async fn run_with(
    totals: &Totals,
    info: MigrationInfo,
    out: &mut (dyn Write + Send),
) -> Result<Report, Error> {
    let dir = TempDir::new("colo")?;
    let socket = dir.join("qmp.sock");

    // The server side: the generated Dispatcher over our Handler.
    let mock = ColoQemu::new(totals.init_time, info);
    let server = Server::builder(qmp::Dispatcher(mock))
        .version(VersionInfo {
            qemu: VersionTriple {
                major: 5,
                minor: 2,
                micro: 0,
            },
            package: "COLO checkpoint recorder mock".into(),
        })
        .build();
    let checkpoints = totals.checkpoints();
    for c in &checkpoints {
        server.dispatcher().0.record(c);
    }
    let listener = tokio::net::UnixListener::bind(&socket)?;
    let serving = {
        let server = server.clone();
        tokio::spawn(async move { server.serve_unix(listener).await })
    };
    // Stop accepting when done, whatever happens.
    struct Abort(tokio::task::JoinHandle<std::io::Result<()>>);
    impl Drop for Abort {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let _serving = Abort(serving);

    // The client side.
    let client: Client<qmp::Event> = ClientBuilder::new()
        .timeout(TIMEOUT)
        .connect_unix(&socket)
        .await?;
    let v = &client.greeting().version;
    writeln!(
        out,
        "Connected to {} (QEMU {}.{}.{}) on {}",
        v.package,
        v.qemu.major,
        v.qemu.minor,
        v.qemu.micro,
        socket.display()
    )?;
    writeln!(
        out,
        "The mock recorded {} checkpoints; their sums:",
        checkpoints.len()
    )?;
    write!(out, "{}", totals_table(totals))?;

    let before = client.info_checkpoint().await?;
    writeln!(out)?;
    writeln!(out, "info_checkpoint:")?;
    write!(out, "{}", checkpoint_table(&before))?;

    client.reset_checkpoint().await?;
    writeln!(out)?;
    writeln!(out, "reset_checkpoint: {{}}")?;
    let after_reset = match client.info_checkpoint().await {
        Ok(r) => return Err(format!("info_checkpoint after a reset answered {r:?}").into()),
        Err(e) => e
            .qmp()
            .cloned()
            .ok_or_else(|| format!("info_checkpoint after a reset: {e}"))?,
    };
    writeln!(out, "info_checkpoint right after the reset: {after_reset}")?;

    // One more checkpoint, like the first of the run.
    let one = checkpoints.first().copied().unwrap_or_default();
    server.dispatcher().0.record(&one);
    let after_one = client.info_checkpoint().await?;
    writeln!(
        out,
        "info_checkpoint after one more checkpoint: tot_num {}, avg_time {}, wait_time {}, \
         init_time {}",
        after_one.tot_num,
        table::ns_as_ms(after_one.avg_time),
        table::ns_as_ms(after_one.wait_time),
        after_one.init_time
    )?;

    client.close();
    Ok(Report {
        before,
        after_reset,
        after_one,
        one,
    })
}

/// The raw sums as a table.
pub fn totals_table(t: &Totals) -> Table {
    let mut table = Table::new().left("sum").right("value");
    let rows: [(&str, String); 13] = [
        ("tot_num", t.tot_num.to_string()),
        ("tot_time", table::ns_as_ms(t.tot_time)),
        ("init_time", table::ns_as_ms(t.init_time)),
        ("wait_time", table::ns_as_ms(t.wait_time)),
        ("stat_time", table::ns_as_ms(t.stat_time)),
        ("dev_time", table::ns_as_ms(t.dev_time)),
        ("ram_time", table::ns_as_ms(t.ram_time)),
        ("put_time", table::ns_as_ms(t.put_time)),
        ("recv_time", table::ns_as_ms(t.recv_time)),
        ("load_time", table::ns_as_ms(t.load_time)),
        ("resume_time", table::ns_as_ms(t.resume_time)),
        ("dev_size", table::bytes(t.dev_size.into())),
        ("ram_size", table::bytes(t.ram_size.into())),
    ];
    for (name, value) in rows {
        table.row([name.to_owned(), value]);
    }
    table
}

/// An `info_checkpoint` reply as a table: each figure with its unit, whether
/// it is a mean per checkpoint, and what it measures.
pub fn checkpoint_table(r: &CheckpointRecorder) -> Table {
    let mut t = Table::new()
        .left("figure")
        .right("value")
        .left("kind")
        .left("what");
    let mean = "mean";
    let rows: [(&str, String, &str, &str); 14] = [
        (
            "tot_num",
            r.tot_num.to_string(),
            "count",
            "checkpoints taken",
        ),
        (
            "tot_time",
            table::ns_as_ms(r.tot_time),
            "total",
            "all checkpoint transactions",
        ),
        (
            "init_time",
            table::ns_as_ms(r.init_time),
            "once",
            "COLO setup",
        ),
        (
            "avg_time",
            table::ns_as_ms(r.avg_time),
            mean,
            "one checkpoint transaction",
        ),
        (
            "wait_time",
            table::ns_as_ms(r.wait_time),
            mean,
            "wait between checkpoints",
        ),
        (
            "stat_time",
            table::ns_as_ms(r.stat_time),
            mean,
            "handshake, guest stop",
        ),
        (
            "dev_time",
            table::ns_as_ms(r.dev_time),
            mean,
            "saving device state",
        ),
        (
            "ram_time",
            table::ns_as_ms(r.ram_time),
            mean,
            "sending dirty RAM",
        ),
        (
            "put_time",
            table::ns_as_ms(r.put_time),
            mean,
            "sending device state",
        ),
        (
            "recv_time",
            table::ns_as_ms(r.recv_time),
            mean,
            "waiting for \"received\"",
        ),
        (
            "load_time",
            table::ns_as_ms(r.load_time),
            mean,
            "waiting for \"loaded\"",
        ),
        (
            "resume_time",
            table::ns_as_ms(r.resume_time),
            mean,
            "restarting the guest",
        ),
        (
            "dev_size",
            table::bytes(r.dev_size.into()),
            mean,
            "device state sent",
        ),
        (
            "ram_size",
            table::bytes(r.ram_size.into()),
            mean,
            "RAM sent (not filled in)",
        ),
    ];
    for (name, value, kind, what) in rows {
        t.row([name.to_owned(), value, kind.to_owned(), what.to_owned()]);
    }
    let info = &r.info;
    if let Some(status) = &info.status {
        t.row(["info.status", status.as_str(), "", "migration state"]);
    }
    if let Some(ram) = &info.ram {
        t.row([
            "info.ram.transferred".to_owned(),
            table::bytes(ram.transferred.into()),
            "total".to_owned(),
            "RAM sent since COLO started".to_owned(),
        ]);
    }
    t
}
