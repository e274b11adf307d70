//! Real QEMU processes for the end-to-end tests and benchmarks: finding the
//! binaries, starting them in temporary directories, connecting to their
//! sockets, and killing them when dropped (also when a test panics).
//!
//! The binaries come from `QAPI_QEMU_SYSTEM`, `QAPI_QEMU_STORAGE_DAEMON` and
//! `QAPI_QEMU_GA`, else from `PATH` (and `/usr/sbin`, where Debian puts
//! `qemu-ga`).  When one is missing a test prints a plain "skipped: ..." on
//! stderr and passes, unless `QAPI_REQUIRE_QEMU=1`, which makes it fail.

use std::ffi::OsString;
use std::fmt;
use std::future::Future;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tokio::net::UnixStream;

/// Set to `1` to fail instead of skipping when a QEMU binary is absent.
pub const REQUIRE_VAR: &str = "QAPI_REQUIRE_QEMU";

/// The QEMU programs the tests talk to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// `qemu-system-x86_64`, from `QAPI_QEMU_SYSTEM`.
    System,
    /// `qemu-storage-daemon`, from `QAPI_QEMU_STORAGE_DAEMON`.
    StorageDaemon,
    /// `qemu-ga`, from `QAPI_QEMU_GA`.
    GuestAgent,
}

impl Program {
    /// The environment variable naming the binary.
    pub fn var(self) -> &'static str {
        match self {
            Program::System => "QAPI_QEMU_SYSTEM",
            Program::StorageDaemon => "QAPI_QEMU_STORAGE_DAEMON",
            Program::GuestAgent => "QAPI_QEMU_GA",
        }
    }

    /// The binary's name on `PATH`.
    pub fn name(self) -> &'static str {
        match self {
            Program::System => "qemu-system-x86_64",
            Program::StorageDaemon => "qemu-storage-daemon",
            Program::GuestAgent => "qemu-ga",
        }
    }

    /// The binary: `$var` when set (it must be a file), else the name on
    /// `PATH`, `/usr/sbin` or `/usr/local/sbin`.
    pub fn find(self) -> Result<PathBuf, String> {
        if let Some(p) = std::env::var_os(self.var()).filter(|p| !p.is_empty()) {
            let p = PathBuf::from(p);
            return if p.is_file() {
                Ok(p)
            } else {
                Err(format!("{}={} is not a file", self.var(), p.display()))
            };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
            .map(|dir| dir.join(self.name()))
            .find(|p| p.is_file())
            .ok_or_else(|| format!("{} not found on PATH", self.name()))
    }
}

/// Whether `QAPI_REQUIRE_QEMU=1`.
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1")
}

/// The binary of `program`, or `None` after printing that `test` is skipped
/// (or a panic when `QAPI_REQUIRE_QEMU=1`).
pub fn binary(test: &str, program: Program) -> Option<PathBuf> {
    match program.find() {
        Ok(p) => Some(p),
        Err(why) => {
            let hint = "set QAPI_QEMU_SYSTEM / QAPI_QEMU_GA / QAPI_QEMU_STORAGE_DAEMON";
            if required() {
                panic!("{test}: {why} ({hint}), and {REQUIRE_VAR}=1 requires it");
            }
            // Past the test harness's capture, so that the skip shows.
            let _ = writeln!(io::stderr(), "skipped: {test}: {why} ({hint})");
            None
        }
    }
}

/// Runs `body` within `limit`: a test that would hang fails instead.  When
/// the limit passes, `body` is dropped first, and with it the processes it
/// started.
pub async fn within<F: Future>(test: &str, limit: Duration, body: F) -> F::Output {
    match tokio::time::timeout(limit, body).await {
        Ok(out) => out,
        Err(_) => panic!("{test} did not finish within {limit:?}"),
    }
}

/// A fresh temporary directory, removed when dropped.  Its path is short:
/// Unix socket paths are limited to about 100 bytes.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `$TMPDIR/qapi-e2e-<pid>-<n>`.
    pub fn new() -> io::Result<TempDir> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "qapi-e2e-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `name` inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A QEMU process started in its own temporary directory, with its stderr
/// in a file there.  Dropping it kills the process (SIGKILL), reaps it and
/// removes the directory.
pub struct Peer {
    program: Program,
    child: Child,
    /// Its Unix socket: QMP, or the guest agent's channel.
    socket: PathBuf,
    /// Removed after the child is killed and reaped (fields drop after
    /// `Drop::drop`).
    dir: TempDir,
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("program", &self.program)
            .field("pid", &self.child.id())
            .field("socket", &self.socket)
            .finish()
    }
}

impl Peer {
    /// Starts `bin` with `args` (built from the peer's directory) in a new
    /// temporary directory; `socket` names the peer's socket in it.
    pub fn start(
        program: Program,
        bin: &Path,
        socket: &str,
        args: impl FnOnce(&TempDir, &Path) -> Vec<OsString>,
    ) -> io::Result<Peer> {
        let dir = TempDir::new()?;
        let socket = dir.join(socket);
        let stderr = std::fs::File::create(dir.join("stderr"))?;
        let child = Command::new(bin)
            .args(args(&dir, &socket))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("starting {}: {e}", bin.display())))?;
        Ok(Peer {
            program,
            child,
            socket,
            dir,
        })
    }

    /// `qemu-system-x86_64 -nodefaults -display none -qmp
    /// unix:SOCK,server=on,wait=off` and then `args`.
    pub fn qemu_system(bin: &Path, args: &[&str]) -> io::Result<Peer> {
        Peer::start(Program::System, bin, "qmp.sock", |_, socket| {
            let mut v: Vec<OsString> = ["-nodefaults", "-display", "none", "-qmp"]
                .iter()
                .map(OsString::from)
                .collect();
            v.push(format!("unix:{},server=on,wait=off", socket.display()).into());
            v.extend(args.iter().map(OsString::from));
            v
        })
    }

    /// `qemu-storage-daemon` with a QMP monitor on `SOCK` and `args`.
    pub fn storage_daemon(bin: &Path, args: &[&str]) -> io::Result<Peer> {
        Peer::start(Program::StorageDaemon, bin, "qmp.sock", |_, socket| {
            let mut v: Vec<OsString> = vec![
                "--chardev".into(),
                format!("socket,id=m,path={},server=on,wait=off", socket.display()).into(),
                "--monitor".into(),
                "chardev=m".into(),
            ];
            v.extend(args.iter().map(OsString::from));
            v
        })
    }

    /// `qemu-ga -m unix-listen -p SOCK -t STATEDIR`.
    pub fn guest_agent(bin: &Path) -> io::Result<Peer> {
        Peer::start(Program::GuestAgent, bin, "qga.sock", |dir, socket| {
            let state = dir.join("state");
            // qemu-ga fails writing its state file without it.
            let _ = std::fs::create_dir_all(&state);
            vec![
                "-m".into(),
                "unix-listen".into(),
                "-p".into(),
                socket.into(),
                "-t".into(),
                state.into(),
            ]
        })
    }

    /// The peer's socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The peer's temporary directory.
    pub fn dir(&self) -> &TempDir {
        &self.dir
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the process wrote on stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr")).unwrap_or_default()
    }

    /// The exit status, if the process has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Connects to the peer's socket, retrying while it does not exist yet
    /// or refuses connections (`qemu-ga` serves one client at a time and
    /// may still be closing the previous one), for up to `limit`.  Fails
    /// at once when the process has exited, with what it said on stderr.
    pub async fn connect(&mut self, limit: Duration) -> io::Result<UnixStream> {
        let socket = self.socket.clone();
        self.connect_to(&socket, limit).await
    }

    /// [`Peer::connect`] to another socket the process listens on (a
    /// second monitor, say).
    pub async fn connect_to(&mut self, socket: &Path, limit: Duration) -> io::Result<UnixStream> {
        let start = std::time::Instant::now();
        loop {
            match UnixStream::connect(socket).await {
                Ok(s) => return Ok(s),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound
                            | io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::WouldBlock
                    ) =>
                {
                    if let Some(status) = self.exited() {
                        return Err(io::Error::other(format!(
                            "{} exited ({status}) before accepting connections: {}",
                            self.program.name(),
                            self.stderr().trim()
                        )));
                    }
                    if start.elapsed() > limit {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!(
                                "{} did not accept connections on {} within {limit:?}: {e}",
                                self.program.name(),
                                socket.display()
                            ),
                        ));
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("connecting to {}: {e}", socket.display()),
                    ));
                }
            }
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
