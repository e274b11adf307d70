//! The client, the server's error texts and the guest-agent client checked
//! against real QEMU 7.2 processes (`qemu-system-x86_64`, `qemu-ga`).
//!
//! The binaries come from `QAPI_QEMU_SYSTEM` / `QAPI_QEMU_GA`, else from
//! `PATH` (and `/usr/sbin`, where Debian puts `qemu-ga`).  When one is
//! missing its tests print "skipped: ... not found" and pass, unless
//! `QAPI_REQUIRE_QEMU=1`, which makes them fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::server::{Dispatcher, Handler};
use common::*;
use qapi_types::client::{Client, Error};
use qapi_types::serde_json::{Value, json};
use qapi_types::server::Server;
use qapi_types::{Empty, ErrorClass, QmpError, qga};
use tokio::net::UnixStream;
use tokio::process::{Child, Command};

/// Finds a binary: `$var`, else `name` on `PATH` or in `/usr/sbin`.
fn find(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The binary, or `None` after saying the test is skipped (or failing when
/// QEMU is required).
fn binary(var: &str, name: &str) -> Option<PathBuf> {
    let found = find(var, name);
    if found.is_none() {
        if std::env::var("QAPI_REQUIRE_QEMU").as_deref() == Ok("1") {
            panic!("{name} not found (set {var} or PATH) and QAPI_REQUIRE_QEMU=1");
        }
        eprintln!("skipped: {name} not found (set {var} or install it)");
    }
    found
}

/// A fresh scratch directory.
fn scratch() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "qapi-types-real-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits until a socket accepts connections.
async fn wait_for_socket(path: &Path, child: &mut Child) -> UnixStream {
    for _ in 0..1000 {
        if let Ok(s) = UnixStream::connect(path).await {
            return s;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{} exited early: {status}", path.display());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} never accepted a connection", path.display());
}

/// Connects, retrying while the listener's backlog is full (qemu-ga
/// accepts one client at a time and may still be closing the previous one).
async fn connect_retry(path: &Path) -> UnixStream {
    for _ in 0..1000 {
        match UnixStream::connect(path).await {
            Ok(s) => return s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                tokio::time::sleep(Duration::from_millis(10)).await
            }
            Err(e) => panic!("connect {}: {e}", path.display()),
        }
    }
    panic!("{} kept refusing connections", path.display());
}

struct Qemu {
    child: Child,
    socket: PathBuf,
    _dir: PathBuf,
}

impl Qemu {
    /// `qemu-system-x86_64 -M none -S` with a QMP socket.
    async fn start(bin: &Path) -> (Qemu, UnixStream) {
        let dir = scratch();
        let socket = dir.join("qmp.sock");
        let mut child = Command::new(bin)
            .args([
                "-M",
                "none",
                "-nodefaults",
                "-display",
                "none",
                "-S",
                "-qmp",
            ])
            .arg(format!("unix:{},server=on,wait=off", socket.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start qemu-system-x86_64");
        let stream = wait_for_socket(&socket, &mut child).await;
        (
            Qemu {
                child,
                socket,
                _dir: dir,
            },
            stream,
        )
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

#[tokio::test]
async fn client_against_qemu() {
    let Some(bin) = binary("QAPI_QEMU_SYSTEM", "qemu-system-x86_64") else {
        return;
    };
    deadline(async {
        let (qemu, stream) = Qemu::start(&bin).await;
        let client: Client<Event> = qapi_types::client::ClientBuilder::new()
            .timeout(Duration::from_secs(20))
            .connect_unix_stream(stream)
            .await
            .unwrap();
        let greeting = client.greeting().clone();
        assert!(greeting.capabilities.iter().any(|c| c == "oob"));
        assert!(client.oob_enabled());
        eprintln!(
            "QEMU {:?} ({})",
            greeting.version.qemu, greeting.version.package
        );

        let version = client.execute(QueryVersion {}).await.unwrap();
        assert_eq!(version, greeting.version);

        let status = client.execute(QueryStatus {}).await.unwrap();
        assert_eq!(status.status, RunState::Prelaunch);
        assert!(!status.running);

        // Events, typed.
        let mut events = client.events();
        client.execute(Cont {}).await.unwrap();
        client.execute(Stop {}).await.unwrap();
        let mut seen = Vec::new();
        while seen.len() < 2 {
            seen.push(events.recv().await.unwrap().unwrap().event.clone());
        }
        assert_eq!(
            seen,
            vec![Event::Resume(ResumeEvent {}), Event::Stop(StopEvent {})]
        );

        // About 200 KB, decoded straight into the typed list.
        let schema = client.execute(QueryQmpSchema {}).await.unwrap();
        assert!(schema.len() > 1000);
        assert!(
            schema
                .iter()
                .any(|s| s.name == "query-status" && s.meta_type == "command")
        );

        // Error replies.
        let err = client.execute_raw("x-nonexistent", None).await.unwrap_err();
        assert_eq!(
            err.qmp(),
            Some(&QmpError {
                class: ErrorClass::CommandNotFound,
                desc: "The command x-nonexistent has not been found".into()
            })
        );
        let err = client
            .execute(SetLink {
                name: "nonexistent".into(),
                up: true,
            })
            .await
            .unwrap_err();
        assert_eq!(
            err.qmp().map(|e| &e.class),
            Some(&ErrorClass::DeviceNotFound)
        );

        // An allow-oob command goes with exec-oob and is accepted as such.
        let err = client.execute(MigratePause {}).await.unwrap_err();
        assert_eq!(
            err.qmp(),
            Some(&QmpError::generic(
                "migrate-pause is currently only supported during postcopy-active state"
            ))
        );

        // Many callers at once: the client keeps QEMU's queue within 8.
        let calls: Vec<_> = (0..64)
            .map(|_| tokio::spawn(client.execute(QueryStatus {})))
            .collect();
        for c in calls {
            assert_eq!(c.await.unwrap().unwrap().status, RunState::Paused);
        }

        let hmp = client
            .execute(HumanMonitorCommand {
                command_line: "info version".into(),
                cpu_index: None,
            })
            .await
            .unwrap();
        assert!(hmp.contains(&format!(
            "{}.{}.{}",
            greeting.version.qemu.major, greeting.version.qemu.minor, greeting.version.qemu.micro
        )));

        // File descriptors with getfd / add-fd.
        let err = client
            .execute(Getfd {
                fdname: "nofd".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            err.qmp(),
            Some(&QmpError::generic(
                "No file descriptor supplied via SCM_RIGHTS"
            ))
        );
        let file = std::fs::File::open("/dev/null").unwrap();
        use std::os::fd::AsFd;
        client
            .execute_with_fds(
                Getfd {
                    fdname: "myfd".into(),
                },
                &[file.as_fd()],
            )
            .await
            .unwrap();
        client
            .execute(Closefd {
                fdname: "myfd".into(),
            })
            .await
            .unwrap();
        let err = client
            .execute(Closefd {
                fdname: "myfd".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            err.qmp(),
            Some(&QmpError::generic("File descriptor named 'myfd' not found"))
        );
        let added = client
            .execute_with_fds(
                AddFd {
                    fdset_id: None,
                    opaque: Some("null device".into()),
                },
                &[file.as_fd()],
            )
            .await
            .unwrap();
        let sets = client.execute(QueryFdsets {}).await.unwrap();
        let set = sets.iter().find(|s| s.fdset_id == added.fdset_id).unwrap();
        assert_eq!(set.fds[0].fd, added.fd);
        assert_eq!(set.fds[0].opaque.as_deref(), Some("null device"));

        // `quit` is answered (or the connection drops first); after QEMU
        // has gone, calls fail as disconnected.
        let quit = tokio::spawn(client.execute_raw("quit", None));
        let r = quit.await.unwrap();
        assert!(matches!(r, Ok(_) | Err(Error::Disconnected)), "{r:?}");
        client.closed().await;
        assert!(matches!(
            client.execute(QueryStatus {}).await,
            Err(Error::Disconnected)
        ));
        drop(qemu);
    })
    .await;
}

#[tokio::test]
async fn client_over_tcp() {
    let Some(bin) = binary("QAPI_QEMU_SYSTEM", "qemu-system-x86_64") else {
        return;
    };
    deadline(async {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(&bin)
            .args(["-M", "none", "-nodefaults", "-display", "none", "-qmp"])
            .arg(format!("tcp:127.0.0.1:{port},server=on,wait=off"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut client = None;
        for _ in 0..1000 {
            match Client::<Event>::connect_tcp(("127.0.0.1", port)).await {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
        let client = client.expect("QEMU's TCP QMP socket");
        assert_eq!(
            client.execute(QueryStatus {}).await.unwrap().status,
            RunState::Running
        );
        let _ = child.start_kill();
    })
    .await;
}

/// A handler that is never reached by the error cases.
struct Unreachable;
impl Handler for Unreachable {}

/// Sends each request over a raw connection and collects the replies.
async fn replies(stream: UnixStream, negotiate: bool, requests: &[&[u8]]) -> Vec<Value> {
    let mut peer = Peer::new(stream);
    let greeting = peer.read().await;
    assert!(greeting.get("QMP").is_some());
    if negotiate {
        peer.send(b"{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}\n")
            .await;
        assert_eq!(peer.read().await, json!({"return": {}}));
    }
    let mut out = Vec::new();
    for req in requests {
        peer.send(req).await;
        peer.send(b"\n").await;
        out.push(peer.read().await);
    }
    out
}

#[tokio::test]
async fn server_error_texts_match_qemu() {
    let Some(bin) = binary("QAPI_QEMU_SYSTEM", "qemu-system-x86_64") else {
        return;
    };
    deadline(async {
        let before: &[&[u8]] = &[
            br#"{"execute": "query-status", "id": 1}"#,
            br#"{"execute": "x-nonexistent"}"#,
            br#"{"exec-oob": "migrate-pause", "id": 2}"#,
            br#"{"execute": "qmp_capabilities", "arguments": {"enable": ["x-foo"]}}"#,
            br#"{"execute": "qmp_capabilities", "arguments": {"enable": [1]}}"#,
            br#"{"execute": "qmp_capabilities", "arguments": {"enable": "oob"}, "id": "c"}"#,
            br#"{"execute": "qmp_capabilities", "arguments": {"enable": [], "x": 1}}"#,
        ];
        let after: &[&[u8]] = &[
            br#"{"execute": "x-nonexistent", "id": {"a": [1, null]}}"#,
            br#"{"execute": "qmp_capabilities", "id": 3}"#,
            br#"{"execute": "set_link", "arguments": {"bogus": 1}, "id": 4}"#,
            br#"{"execute": "set_link", "arguments": {"up": true}}"#,
            br#"{"execute": "set_link", "arguments": {"name": "x"}}"#,
            br#"{"execute": "set_link", "arguments": {"name": 1, "up": true}}"#,
            br#"{"execute": "set_link", "arguments": {"name": null, "up": true}}"#,
            br#"{"execute": "set_link", "arguments": {"name": "x", "up": 1}}"#,
            br#"{"execute": "set_link", "arguments": {"name": "x", "up": true, "bogus": 1}}"#,
            br#"{"execute": "query-status", "arguments": {"a": 1}}"#,
            br#"{"execute": "human-monitor-command", "arguments": {"command-line": "x", "cpu-index": "1"}}"#,
            br#"{"execute": "human-monitor-command", "arguments": {"command-line": "x", "cpu-index": 1.5}}"#,
            br#"{"execute": "human-monitor-command", "arguments": {"command-line": "x", "cpu-index": 1e3}}"#,
            br#"{"execute": "human-monitor-command", "arguments": {"command-line": "x", "cpu-index": 100000000000000000000}}"#,
            br#"{"execute": "human-monitor-command", "arguments": {"cpu-index": 0}}"#,
            br#"{"execute": "migrate-set-parameters", "arguments": {"max-bandwidth": "x"}}"#,
            br#"{"execute": "migrate-set-parameters", "arguments": {"max-bandwidth": 1.5}}"#,
            br#"{"execute": "migrate-set-parameters", "arguments": {"multifd-compression": "bogus"}}"#,
            br#"{"execute": "migrate-set-parameters", "arguments": {"multifd-compression": 3}}"#,
            br#"{"execute": "migrate-set-parameters", "arguments": {"block-incremental": "yes"}}"#,
            br#"{"exec-oob": "query-status", "id": 5}"#,
            br#"{"exec-oob": "x-nonexistent", "id": 6}"#,
            br#"{"execute": "query-status", "exec-oob": "query-name", "id": 7}"#,
            br#"{"execute": "query-status", "bogus": 1}"#,
            br#"{"arguments": {}}"#,
            br#"{"execute": 1}"#,
            br#"{"execute": "query-status", "arguments": []}"#,
            br#"{"execute": "query-status", "execute": "query-name"}"#,
            br#"[1, 2]"#,
            br#"3"#,
            br#""str""#,
            br#"garbage"#,
            br#"{"execute":}"#,
            br#"{"execute" "x"}"#,
            br#"{"execute": "query-status",}"#,
            br#"}"#,
            br#"@"#,
            br#"{"execute": "query-status", "id": tru}"#,
            br#"{"execute": "query-status", "id": "a\qb"}"#,
        ];
        let (_qemu, stream) = Qemu::start(&bin).await;
        let qemu_before = replies(stream, false, before).await;
        // QEMU serves one QMP client at a time; the first one is gone.
        let stream = UnixStream::connect(&_qemu.socket).await.unwrap();
        let qemu_after = replies(stream, true, after).await;

        let server = Server::new(Dispatcher(Unreachable));
        let ours = |negotiate: bool, reqs: &'static [&'static [u8]]| {
            let server = server.clone();
            async move {
                let (a, b) = UnixStream::pair().unwrap();
                tokio::spawn(async move { server.serve_stream(a).await });
                replies(b, negotiate, reqs).await
            }
        };
        let ours_before = ours(false, before).await;
        let ours_after = ours(true, after).await;
        for (req, (q, o)) in before
            .iter()
            .chain(after.iter())
            .zip(qemu_before.iter().chain(&qemu_after).zip(ours_before.iter().chain(&ours_after)))
        {
            assert_eq!(o, q, "request {}", String::from_utf8_lossy(req));
        }
        eprintln!("{} error replies identical to QEMU's", before.len() + after.len());
    })
    .await;
}

/// `qemu-ga` on a Unix socket.
struct Agent {
    child: Child,
    socket: PathBuf,
    dir: PathBuf,
}

impl Agent {
    async fn start(bin: &Path) -> Agent {
        let dir = scratch();
        let socket = dir.join("qga.sock");
        let state = dir.join("state");
        std::fs::create_dir_all(&state).unwrap();
        let mut child = Command::new(bin)
            .args(["-m", "unix-listen", "-p"])
            .arg(&socket)
            .arg("-t")
            .arg(&state)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start qemu-ga");
        for _ in 0..1000 {
            if socket.exists() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("qemu-ga exited early: {status}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Agent { child, socket, dir }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn qga_client_against_qemu_ga() {
    let Some(bin) = binary("QAPI_QEMU_GA", "qemu-ga") else {
        return;
    };
    deadline(async {
        let agent = Agent::start(&bin).await;

        // A previous client that left half a request behind.
        {
            use tokio::io::AsyncWriteExt;
            let mut s = connect_retry(&agent.socket).await;
            s.write_all(b"{\"execute\": \"guest-ping\", \"argum")
                .await
                .unwrap();
        }

        let client = qga::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_stream(connect_retry(&agent.socket).await)
            .await
            .unwrap();
        let _: Empty = client.execute(GuestPing {}).await.unwrap();
        let info = client.execute(GuestInfo {}).await.unwrap();
        assert!(
            info.version.starts_with(char::is_numeric),
            "{}",
            info.version
        );
        eprintln!("qemu-ga {}", info.version);
        assert!(client.execute(GuestGetTime {}).await.unwrap() > 0);

        let raw = client
            .execute_raw("guest-sync-delimited", Some(json!({"id": 424242})))
            .await
            .unwrap();
        assert_eq!(raw.get(), "424242");
        client.resync().await.unwrap();

        let err = client
            .execute_raw("guest-nonexistent", None)
            .await
            .unwrap_err();
        assert_eq!(
            err.qmp(),
            Some(&QmpError {
                class: ErrorClass::CommandNotFound,
                desc: "The command guest-nonexistent has not been found".into()
            })
        );
        let err = client
            .execute_raw("guest-ping", Some(json!({"x": 1})))
            .await
            .unwrap_err();
        assert_eq!(
            err.qmp(),
            Some(&QmpError::generic("Parameter 'x' is unexpected"))
        );

        let calls: Vec<_> = (0..20)
            .map(|_| tokio::spawn(client.execute(GuestPing {})))
            .collect();
        for c in calls {
            c.await.unwrap().unwrap();
        }
        client.close();

        // A second client after the first.
        let client = qga::Client::connect(connect_retry(&agent.socket).await)
            .await
            .unwrap();
        client.execute(GuestPing {}).await.unwrap();
    })
    .await;
}
