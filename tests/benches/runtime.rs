//! The runtime's speed against one real QEMU 7.2 (`qemu-system-x86_64 -M
//! none`, from `QAPI_QEMU_SYSTEM` or `PATH`), with the 7.2 bindings:
//!
//! a) sequential `query-status` round trips through the typed client
//!    (`client.query_status()`) against a bare Rust loop on a socket of the
//!    same QEMU (write the request line, read the reply line), on a
//!    current-thread and on a multi-thread tokio runtime.  The target: the
//!    client within 1.15x of the bare tokio loop.  A blocking `std` loop is
//!    measured too, for reference;
//! b) decoding the ~200 KB `query-qmp-schema` reply (captured once at the
//!    start) into `Vec<SchemaInfo>` against `serde_json::from_slice::<Value>`
//!    of the same bytes.  The target: at least as fast as `Value`.
//!
//! Each comparison runs twice: as criterion benchmarks (one after the
//! other, criterion's statistics and reports), and interleaved, one
//! operation of each kind in turn (alternating which goes first) over the
//! same number of iterations, so that both see the same machine.  The
//! interleaved medians and their ratio make the summary lines at the end,
//! with the load average measured before and after.
//!
//! `cargo bench -p qapi-tests --bench runtime`; without `--bench` (as under
//! `cargo test --benches`) everything runs briefly, as a smoke test.  With
//! no QEMU, it prints that it skipped.  For a profiler,
//! `QAPI_BENCH_ONLY=multi:client` (or `current:`, and `tokio` or `std`)
//! runs 20000 round trips of one kind and nothing else.

#[cfg(not(qapi_shared))]
fn main() {
    assert!(
        !qapi_tests::peers::required(),
        "QAPI_REQUIRE_QEMU=1, but the runtime benchmarks were not built: the shared \
         directory was absent when the crate was built"
    );
    qapi_tests::shared::skip(
        "runtime benchmarks",
        &qapi_tests::shared::dir().join("qemu/7.2/qapi/qapi-schema.json"),
    );
}

#[cfg(qapi_shared)]
fn main() {
    bench::main();
}

#[cfg(qapi_shared)]
mod bench {
    use std::fmt::Write as _;
    use std::hint::black_box;
    use std::io::{BufRead as _, Write as _};
    use std::path::Path;
    use std::time::{Duration, Instant};

    use criterion::Criterion;
    use qapi_tests::bindings::qemu::v7_2::qmp::{Commands as _, Event, SchemaInfo};
    use qapi_tests::peers::{self, Peer, Program};
    use qapi_types::client::{Client, ClientBuilder};
    use qapi_types::serde_json::{self, Value};
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
    use tokio::runtime::Runtime;

    /// For profiling: `current:KIND` or `multi:KIND` (KIND: `client`,
    /// `tokio`, `std`) runs 20000 round trips of that kind on that runtime
    /// and nothing else, e.g. under `perf record` or `perf stat`.
    const ONLY_VAR: &str = "QAPI_BENCH_ONLY";

    /// What [`ONLY_VAR`] selects.
    struct Only {
        runtime: String,
        kind: String,
    }

    /// How much to measure.
    struct Plan {
        /// Interleaved `query-status` round trips, of each kind.
        round_trips: usize,
        /// Interleaved decodes, of each kind.
        decodes: usize,
        /// Whether criterion measures too (not in smoke-test mode).
        criterion: bool,
    }

    pub fn main() {
        let full = std::env::args().any(|a| a == "--bench");
        let only = std::env::var(ONLY_VAR).ok().map(|v| {
            let (runtime, kind) = v
                .split_once(':')
                .unwrap_or_else(|| panic!("{ONLY_VAR}=RUNTIME:KIND, not {v}"));
            Only {
                runtime: runtime.to_owned(),
                kind: kind.to_owned(),
            }
        });
        let plan = if full {
            Plan {
                round_trips: 5000,
                decodes: 300,
                criterion: true,
            }
        } else {
            Plan {
                round_trips: 50,
                decodes: 3,
                criterion: false,
            }
        };
        let bin = match Program::System.find() {
            Ok(bin) => bin,
            Err(why) => {
                if peers::required() {
                    panic!("runtime benchmarks: {why}, and QAPI_REQUIRE_QEMU=1 requires it");
                }
                eprintln!(
                    "skipped: runtime benchmarks: {why} (set QAPI_QEMU_SYSTEM / QAPI_QEMU_GA / \
                     QAPI_QEMU_STORAGE_DAEMON)"
                );
                return;
            }
        };
        let mut criterion = Criterion::default()
            .warm_up_time(Duration::from_secs(2))
            .measurement_time(Duration::from_secs(4))
            .configure_from_args();
        let load_before = load();

        // One QEMU, with a QMP monitor per connection: one for the client,
        // one for the bare tokio loop and one for the bare std loop, used by
        // each runtime flavour in turn.  (No more monitors than that: each
        // one, even idle, adds to every round trip's latency.)
        const MONITORS: usize = 3;
        let mut qemu = Peer::start(Program::System, &bin, "qmp0.sock", |dir, _| {
            let mut args: Vec<std::ffi::OsString> =
                ["-M", "none", "-nodefaults", "-display", "none"]
                    .iter()
                    .map(Into::into)
                    .collect();
            for i in 0..MONITORS {
                args.push("-qmp".into());
                args.push(
                    format!(
                        "unix:{},server=on,wait=off",
                        dir.join(&format!("qmp{i}.sock")).display()
                    )
                    .into(),
                );
            }
            args
        })
        .expect("start qemu-system-x86_64");
        let sockets: Vec<_> = (0..MONITORS)
            .map(|i| qemu.dir().join(&format!("qmp{i}.sock")))
            .collect();

        let mut summary = Vec::new();
        let mut schema_bytes = None;
        for (flavour, rt, socks) in [
            ("current-thread", current_thread(), &sockets),
            ("multi-thread (2 workers)", multi_thread(), &sockets),
        ] {
            let (client, mut bare, mut bare_std) = rt.block_on(async {
                for s in socks {
                    qemu.connect_to(s, Duration::from_secs(30))
                        .await
                        .expect("QMP socket");
                }
                let client: Client<Event> = ClientBuilder::new()
                    .timeout(Duration::from_secs(30))
                    .connect_unix(&socks[0])
                    .await
                    .expect("QMP client");
                let bare = BareTokio::connect(&socks[1]).await;
                (client, bare, BareStd::connect(&socks[2]))
            });
            assert!(client.oob_enabled());
            if schema_bytes.is_none() {
                let raw = rt
                    .block_on(client.execute_raw("query-qmp-schema", None))
                    .expect("query-qmp-schema");
                schema_bytes = Some(raw.get().as_bytes().to_vec());
            }

            if let Some(only) = &only {
                // One kind of round trip only, for a profiler.
                if !flavour.starts_with(&only.runtime) {
                    continue;
                }
                let n = 20_000;
                let start = Instant::now();
                rt.block_on(async {
                    for _ in 0..n {
                        match only.kind.as_str() {
                            "client" => {
                                black_box(client.query_status().await.expect("query-status"));
                            }
                            "tokio" => {
                                black_box(bare.round_trip().await);
                            }
                            "std" => {
                                black_box(bare_std.round_trip());
                            }
                            other => panic!("{ONLY_VAR}: unknown kind {other}"),
                        }
                    }
                });
                println!(
                    "{ONLY_VAR}: {n} {} round trips on the {flavour} runtime: {} each",
                    only.kind,
                    us(start.elapsed().as_secs_f64() / n as f64)
                );
                return;
            }

            if plan.criterion {
                let mut group = criterion.benchmark_group(format!("query-status, {flavour}"));
                group.bench_function("typed client", |b| {
                    b.iter_custom(|iters| {
                        rt.block_on(async {
                            let start = Instant::now();
                            for _ in 0..iters {
                                black_box(client.query_status().await.expect("query-status"));
                            }
                            start.elapsed()
                        })
                    })
                });
                group.bench_function("bare tokio loop", |b| {
                    b.iter_custom(|iters| {
                        rt.block_on(async {
                            let start = Instant::now();
                            for _ in 0..iters {
                                black_box(bare.round_trip().await);
                            }
                            start.elapsed()
                        })
                    })
                });
                group.bench_function("bare std loop", |b| {
                    b.iter_custom(|iters| {
                        let start = Instant::now();
                        for _ in 0..iters {
                            black_box(bare_std.round_trip());
                        }
                        start.elapsed()
                    })
                });
                group.finish();
            }

            // Interleaved: one of each in turn, the order rotating.
            let cpu = Cpu::now(qemu.pid());
            let (ours, tokio_loop, std_loop) = rt.block_on(async {
                let mut ours = Vec::with_capacity(plan.round_trips);
                let mut tokio_loop = Vec::with_capacity(plan.round_trips);
                let mut std_loop = Vec::with_capacity(plan.round_trips);
                let warm_up = plan.round_trips / 10;
                for i in 0..warm_up + plan.round_trips {
                    let mut times = [Duration::ZERO; 3];
                    for k in 0..3 {
                        let which = (i + k) % 3;
                        let start = Instant::now();
                        match which {
                            0 => {
                                black_box(client.query_status().await.expect("query-status"));
                            }
                            1 => {
                                black_box(bare.round_trip().await);
                            }
                            _ => {
                                black_box(bare_std.round_trip());
                            }
                        }
                        times[which] = start.elapsed();
                    }
                    if i >= warm_up {
                        ours.push(times[0]);
                        tokio_loop.push(times[1]);
                        std_loop.push(times[2]);
                    }
                }
                (ours, tokio_loop, std_loop)
            });
            let paired = paired_ratio(&ours, &tokio_loop);
            let (ours, tokio_loop, std_loop) =
                (Stats::of(ours), Stats::of(tokio_loop), Stats::of(std_loop));
            let ratio = ours.median / tokio_loop.median;
            summary.push(format!(
                "query-status round trip, {flavour} runtime, {n} interleaved each: typed client \
                 median {} (p10 {}, p90 {}), bare tokio loop median {} (p10 {}, p90 {}): ratio \
                 {ratio:.3} (target <= 1.15: {}), median of the paired ratios {paired:.3}; bare std \
                 loop median {} (client/std {:.3}); {}",
                us(ours.median),
                us(ours.p10),
                us(ours.p90),
                us(tokio_loop.median),
                us(tokio_loop.p10),
                us(tokio_loop.p90),
                verdict(ratio <= 1.15),
                us(std_loop.median),
                ours.median / std_loop.median,
                cpu.map_or_else(|| "CPU use unknown".into(), |c| c.others_since(qemu.pid())),
                n = plan.round_trips,
            ));
            client.close();
        }

        // b) Decoding the schema.
        let bytes = schema_bytes.expect("captured");
        let typed: Vec<SchemaInfo> = serde_json::from_slice(&bytes).expect("decodes");
        let value: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(Some(typed.len()), value.as_array().map(Vec::len));
        if plan.criterion {
            let mut group = criterion.benchmark_group("query-qmp-schema decode");
            group.throughput(criterion::Throughput::Bytes(bytes.len() as u64));
            group.bench_function("Vec<SchemaInfo>", |b| {
                b.iter(|| {
                    black_box(serde_json::from_slice::<Vec<SchemaInfo>>(black_box(&bytes)).unwrap())
                })
            });
            group.bench_function("serde_json::Value", |b| {
                b.iter(|| black_box(serde_json::from_slice::<Value>(black_box(&bytes)).unwrap()))
            });
            group.finish();
        }
        let cpu = Cpu::now(qemu.pid());
        let mut ours = Vec::with_capacity(plan.decodes);
        let mut values = Vec::with_capacity(plan.decodes);
        let warm_up = (plan.decodes / 10).max(1);
        for i in 0..warm_up + plan.decodes {
            let mut times = [Duration::ZERO; 2];
            for k in 0..2 {
                let which = (i + k) % 2;
                let start = Instant::now();
                if which == 0 {
                    black_box(
                        serde_json::from_slice::<Vec<SchemaInfo>>(black_box(&bytes)).unwrap(),
                    );
                } else {
                    black_box(serde_json::from_slice::<Value>(black_box(&bytes)).unwrap());
                }
                times[which] = start.elapsed();
            }
            if i >= warm_up {
                ours.push(times[0]);
                values.push(times[1]);
            }
        }
        let paired = paired_ratio(&ours, &values);
        let (ours, values) = (Stats::of(ours), Stats::of(values));
        let ratio = ours.median / values.median;
        summary.push(format!(
            "query-qmp-schema decode, {} bytes, {} entities, {n} interleaved each: \
             Vec<SchemaInfo> median {} (p10 {}, p90 {}), serde_json::Value median {} (p10 {}, \
             p90 {}): ratio {ratio:.3} (target <= 1.00: {}), median of the paired ratios \
             {paired:.3}; {}",
            bytes.len(),
            typed.len(),
            us(ours.median),
            us(ours.p10),
            us(ours.p90),
            us(values.median),
            us(values.p10),
            us(values.p90),
            verdict(ratio <= 1.0),
            cpu.map_or_else(|| "CPU use unknown".into(), |c| c.others_since(qemu.pid())),
            n = plan.decodes,
        ));
        drop(qemu);

        if plan.criterion {
            criterion.final_summary();
        }
        let load_after = load();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nruntime benchmarks ({} mode), load average before: {load_before}, after: {load_after}",
            if full { "full" } else { "smoke-test" }
        );
        for line in summary {
            let _ = writeln!(out, "summary: {line}");
        }
        print!("{out}");
        let _ = std::io::stdout().flush();
    }

    fn current_thread() -> Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    fn multi_thread() -> Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    }

    /// CPU time counters from `/proc`, in clock ticks: the whole machine's,
    /// this process's and QEMU's, to tell how much of the machine other
    /// processes used while something was measured.
    #[derive(Clone, Copy)]
    struct Cpu {
        total: u64,
        busy: u64,
        ours: u64,
        qemu: u64,
    }

    impl Cpu {
        fn now(qemu: u32) -> Option<Cpu> {
            let stat = std::fs::read_to_string("/proc/stat").ok()?;
            let fields: Vec<u64> = stat
                .lines()
                .next()?
                .split_whitespace()
                .skip(1)
                .filter_map(|f| f.parse().ok())
                .collect();
            let total: u64 = fields.iter().take(8).sum();
            let idle = fields.get(3)? + fields.get(4)?;
            let process = |path: &str| -> Option<u64> {
                let s = std::fs::read_to_string(path).ok()?;
                // The fields after the command name, which is in parentheses.
                let rest = &s[s.rfind(')')? + 2..];
                let f: Vec<&str> = rest.split_whitespace().collect();
                Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
            };
            Some(Cpu {
                total,
                busy: total - idle,
                ours: process("/proc/self/stat")?,
                qemu: process(&format!("/proc/{qemu}/stat"))?,
            })
        }

        /// The share of the machine's CPU time that processes other than
        /// this one and QEMU used since `self`, as a text.
        fn others_since(self, qemu: u32) -> String {
            match Cpu::now(qemu) {
                Some(now) if now.total > self.total => {
                    let busy = now.busy - self.busy;
                    let mine = (now.ours - self.ours) + (now.qemu - self.qemu);
                    let others = busy.saturating_sub(mine) as f64 / (now.total - self.total) as f64;
                    format!("other processes used {:.0}% of the CPUs", others * 100.0)
                }
                _ => "other processes' CPU use unknown".into(),
            }
        }
    }

    /// `/proc/loadavg`'s three load averages.
    fn load() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    }

    fn us(seconds: f64) -> String {
        if seconds >= 1e-3 {
            format!("{:.3} ms", seconds * 1e3)
        } else {
            format!("{:.1} µs", seconds * 1e6)
        }
    }

    fn verdict(met: bool) -> &'static str {
        if met { "met" } else { "MISSED" }
    }

    /// The median of `a[i] / b[i]`: each pair was measured back to back,
    /// so this ratio is less sensitive to the machine's drift than the
    /// ratio of the medians.
    fn paired_ratio(a: &[Duration], b: &[Duration]) -> f64 {
        let mut r: Vec<f64> = a
            .iter()
            .zip(b)
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64().max(1e-9))
            .collect();
        r.sort_by(f64::total_cmp);
        r[r.len() / 2]
    }

    /// Percentiles of a sample, in seconds.
    struct Stats {
        median: f64,
        p10: f64,
        p90: f64,
    }

    impl Stats {
        fn of(mut d: Vec<Duration>) -> Stats {
            d.sort();
            let at = |q: f64| d[((d.len() - 1) as f64 * q).round() as usize].as_secs_f64();
            Stats {
                median: at(0.5),
                p10: at(0.1),
                p90: at(0.9),
            }
        }
    }

    /// The request: what the client sends for `query-status`, with an id.
    fn request(buf: &mut Vec<u8>, id: u64) {
        buf.clear();
        let _ = writeln!(buf, "{{\"execute\":\"query-status\",\"id\":{id}}}");
    }

    /// The greeting and capabilities negotiation, as the client does them
    /// (with `oob`), on a raw connection.
    const NEGOTIATE: &[u8] =
        b"{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}\n";

    /// A bare tokio loop: write the request line, read the reply line.
    struct BareTokio {
        reader: BufReader<tokio::net::unix::OwnedReadHalf>,
        writer: tokio::net::unix::OwnedWriteHalf,
        request: Vec<u8>,
        line: Vec<u8>,
        id: u64,
    }

    impl BareTokio {
        async fn connect(path: &Path) -> BareTokio {
            let stream = tokio::net::UnixStream::connect(path)
                .await
                .expect("connect");
            let (r, writer) = stream.into_split();
            let mut bare = BareTokio {
                reader: BufReader::with_capacity(64 * 1024, r),
                writer,
                request: Vec::new(),
                line: Vec::new(),
                id: 0,
            };
            bare.read_line().await; // the greeting
            bare.writer.write_all(NEGOTIATE).await.expect("write");
            bare.read_line().await;
            assert_eq!(bare.line, b"{\"return\": {}}\r\n");
            bare
        }

        async fn read_line(&mut self) {
            self.line.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.line)
                .await
                .expect("read");
            assert!(n > 0, "QEMU closed the connection");
        }

        async fn round_trip(&mut self) -> usize {
            self.id += 1;
            request(&mut self.request, self.id);
            self.writer.write_all(&self.request).await.expect("write");
            self.read_line().await;
            self.line.len()
        }
    }

    /// A bare blocking loop over `std`'s `UnixStream`.
    struct BareStd {
        reader: std::io::BufReader<std::os::unix::net::UnixStream>,
        writer: std::os::unix::net::UnixStream,
        request: Vec<u8>,
        line: Vec<u8>,
        id: u64,
    }

    impl BareStd {
        fn connect(path: &Path) -> BareStd {
            let stream = std::os::unix::net::UnixStream::connect(path).expect("connect");
            let writer = stream.try_clone().expect("clone");
            let mut bare = BareStd {
                reader: std::io::BufReader::with_capacity(64 * 1024, stream),
                writer,
                request: Vec::new(),
                line: Vec::new(),
                id: 0,
            };
            bare.read_line();
            bare.writer.write_all(NEGOTIATE).expect("write");
            bare.read_line();
            assert_eq!(bare.line, b"{\"return\": {}}\r\n");
            bare
        }

        fn read_line(&mut self) {
            self.line.clear();
            let n = self.reader.read_until(b'\n', &mut self.line).expect("read");
            assert!(n > 0, "QEMU closed the connection");
        }

        fn round_trip(&mut self) -> usize {
            self.id += 1;
            request(&mut self.request, self.id);
            self.writer.write_all(&self.request).expect("write");
            self.read_line();
            self.line.len()
        }
    }
}
