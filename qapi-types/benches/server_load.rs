//! Load on the QMP server: many clients at once, each sending a burst of
//! pipelined `query-status` commands, and the server process's memory
//! before, during and after.
//!
//! ```sh
//! cargo bench -p qapi-types --bench server_load
//! cargo bench -p qapi-types --bench server_load -- --clients 1000 --commands 100 --rounds 3
//! cargo bench -p qapi-types --bench server_load -- --keep-memory   # MemoryRelease::Never
//! ```
//!
//! The bench runs the server in a child process (this same binary with
//! `--serve SOCKET`, a two-worker tokio runtime) so that its memory is the
//! server's alone, read from `/proc/PID/status`: `VmRSS` when idle, after
//! each round once every client has gone, and `VmHWM` (the peak).  The
//! clients run in this process; both share the machine's cores.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use qapi_types::QmpError;
use qapi_types::serde_json::{json, value::RawValue};
use qapi_types::server::{CommandInfo, Dispatch, DispatchFuture, MemoryRelease, Server};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// Answers `query-status`, as a minimal server would.
struct Status;

impl Dispatch for Status {
    fn command_info(&self, name: &str) -> Option<CommandInfo> {
        (name == "query-status").then(CommandInfo::new)
    }

    fn dispatch<'a>(&'a self, name: &'a str, _: Option<&'a RawValue>) -> DispatchFuture<'a> {
        Box::pin(async move {
            match name {
                "query-status" => Ok(json!({"running": true, "status": "running"})),
                _ => Err(QmpError::command_not_found(name)),
            }
        })
    }
}

/// The child: serves `socket` until its standard input closes.
fn serve(socket: &Path, release: MemoryRelease) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let listener = tokio::net::UnixListener::bind(socket).expect("bind");
        let server = Server::builder(Status).memory_release(release).build();
        tokio::spawn(async move { server.serve_unix(listener).await });
        println!("ready");
        let _ = std::io::stdout().flush();
        // Until the parent closes our stdin.
        let mut line = String::new();
        let mut stdin = tokio::io::BufReader::new(tokio::io::stdin());
        let _ = stdin.read_line(&mut line).await;
    });
}

/// `VmRSS` and `VmHWM` of process `pid`, in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// One client: greeting, negotiation, `commands` pipelined requests in one
/// write, then their replies.
async fn client(socket: &Path, commands: usize) -> usize {
    let stream = loop {
        match UnixStream::connect(socket).await {
            Ok(s) => break s,
            // The listen backlog is full: try again.
            Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    };
    let (r, mut w) = stream.into_split();
    let mut r = tokio::io::BufReader::new(r);
    let mut line = String::new();
    r.read_line(&mut line).await.expect("greeting");
    w.write_all(b"{\"execute\":\"qmp_capabilities\"}\n")
        .await
        .expect("write");
    line.clear();
    r.read_line(&mut line).await.expect("negotiation");
    let burst = "{\"execute\":\"query-status\"}\n".repeat(commands);
    w.write_all(burst.as_bytes()).await.expect("write");
    let mut answered = 0;
    for _ in 0..commands {
        line.clear();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            break;
        }
        if line.starts_with("{\"return\"") {
            answered += 1;
        }
    }
    answered
}

struct Args {
    clients: usize,
    commands: usize,
    rounds: usize,
}

fn args() -> Args {
    let mut a = Args {
        clients: 1000,
        commands: 100,
        rounds: 3,
    };
    let argv: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        argv.iter()
            .position(|x| x == name)
            .and_then(|i| argv.get(i + 1))
            .and_then(|v| v.parse().ok())
    };
    if let Some(n) = value("--clients") {
        a.clients = n;
    }
    if let Some(n) = value("--commands") {
        a.commands = n;
    }
    if let Some(n) = value("--rounds") {
        a.rounds = n;
    }
    a
}

struct ChildServer {
    child: Child,
    dir: PathBuf,
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if let Some(i) = argv.iter().position(|a| a == "--serve") {
        let socket = argv.get(i + 1).expect("--serve SOCKET");
        let release = if argv.iter().any(|a| a == "--keep-memory") {
            MemoryRelease::Never
        } else {
            MemoryRelease::AfterCrowds
        };
        serve(Path::new(socket), release);
        return;
    }
    let Args {
        clients,
        commands,
        rounds,
    } = args();
    let dir = std::env::temp_dir().join(format!("qapi-load-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let socket = dir.join("qmp.sock");
    let exe = std::env::current_exe().expect("this binary");
    let keep = argv.iter().any(|a| a == "--keep-memory");
    let mut child = Command::new(exe)
        .arg("--serve")
        .arg(&socket)
        .args(keep.then_some("--keep-memory"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server process");
    let mut ready = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut ready);
    }
    assert_eq!(ready.trim(), "ready", "the server did not start");
    let server = ChildServer { child, dir };
    let pid = server.child.id();
    std::thread::sleep(Duration::from_millis(200));
    let (idle, _) = memory(pid);
    println!(
        "server_load: {clients} clients x {commands} pipelined query-status, {rounds} rounds{}",
        if keep { ", MemoryRelease::Never" } else { "" }
    );
    println!("idle RSS: {idle:.1} MiB");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    for round in 1..=rounds {
        let start = Instant::now();
        let answered: usize = rt.block_on(async {
            let tasks: Vec<_> = (0..clients)
                .map(|_| {
                    let socket = socket.clone();
                    tokio::spawn(async move { client(&socket, commands).await })
                })
                .collect();
            let mut total = 0;
            for t in tasks {
                total += t.await.unwrap_or(0);
            }
            total
        });
        let elapsed = start.elapsed();
        assert_eq!(answered, clients * commands, "replies missing");
        // Every client has hung up; let the server finish closing.
        std::thread::sleep(Duration::from_millis(500));
        let (after, peak) = memory(pid);
        println!(
            "round {round}: {answered} commands in {:.3} s = {:.0} commands/s; \
             peak RSS {peak:.1} MiB, after close {after:.1} MiB",
            elapsed.as_secs_f64(),
            answered as f64 / elapsed.as_secs_f64(),
        );
    }
    drop(server);
}
