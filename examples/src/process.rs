//! Starting QEMU and qemu-ga for the examples: finding the binaries,
//! scratch directories, and child processes that are killed when dropped.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use qapi_types::EventSet;
use qapi_types::client::{Client, ClientBuilder, Error as ClientError};
use tokio::net::UnixStream;
use tokio::process::{Child, Command};

use crate::Error;

/// The environment variable naming the `qemu-system-x86_64` binary.
pub const QEMU_SYSTEM_VAR: &str = "QAPI_QEMU_SYSTEM";
/// The name looked up on `PATH` when [`QEMU_SYSTEM_VAR`] is not set.
pub const QEMU_SYSTEM: &str = "qemu-system-x86_64";
/// The environment variable naming the `qemu-storage-daemon` binary.
pub const QEMU_STORAGE_DAEMON_VAR: &str = "QAPI_QEMU_STORAGE_DAEMON";
/// The name looked up on `PATH` when [`QEMU_STORAGE_DAEMON_VAR`] is not
/// set.
pub const QEMU_STORAGE_DAEMON: &str = "qemu-storage-daemon";
/// The environment variable naming the `qemu-ga` binary.
pub const QEMU_GA_VAR: &str = "QAPI_QEMU_GA";
/// The name looked up on `PATH` (and in `/usr/sbin`) when [`QEMU_GA_VAR`]
/// is not set.
pub const QEMU_GA: &str = "qemu-ga";

/// Finds a binary: the file named by the environment variable `var` when it
/// is set (`None` if that file does not exist), else `name` on `PATH`, in
/// `/usr/sbin` or in `/usr/local/sbin` (Debian installs `qemu-ga` in
/// `/usr/sbin`, which is not on every user's `PATH`).
pub fn find_binary(var: &str, name: &str) -> Option<PathBuf> {
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

/// `qemu-system-x86_64`, from `QAPI_QEMU_SYSTEM` or `PATH`.
pub fn qemu_system() -> Option<PathBuf> {
    find_binary(QEMU_SYSTEM_VAR, QEMU_SYSTEM)
}

/// `qemu-storage-daemon`, from `QAPI_QEMU_STORAGE_DAEMON` or `PATH`.
pub fn qemu_storage_daemon() -> Option<PathBuf> {
    find_binary(QEMU_STORAGE_DAEMON_VAR, QEMU_STORAGE_DAEMON)
}

/// `qemu-ga`, from `QAPI_QEMU_GA`, `PATH` or `/usr/sbin`.
pub fn qemu_ga() -> Option<PathBuf> {
    find_binary(QEMU_GA_VAR, QEMU_GA)
}

/// The error for a binary that [`find_binary`] did not find.
pub fn not_found(var: &str, name: &str) -> Error {
    format!("{name} not found (set {var} or install it)").into()
}

/// A fresh directory under the system's temporary directory, removed with
/// everything in it when dropped.
///
/// Unix socket paths are limited to about 100 bytes, so keep `TMPDIR`
/// short.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `$TMPDIR/qapi-<prefix>-<pid>-<n>`.
    pub fn new(prefix: &str) -> io::Result<TempDir> {
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "qapi-{prefix}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::remove_dir_all(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        std::fs::create_dir_all(&path)?;
        Ok(TempDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A child process that is killed (SIGKILL) when dropped, unless it has
/// already exited.
#[derive(Debug)]
pub struct Process {
    name: String,
    child: Child,
}

impl Process {
    /// Starts `bin` with `args`, stdin and stdout closed, stderr inherited
    /// (so that QEMU's own error messages show).
    pub fn spawn<I, S>(bin: &Path, args: I) -> Result<Process, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let name = bin
            .file_name()
            .map_or_else(|| bin.display().to_string(), |n| n.to_string_lossy().into());
        let child = Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        Ok(Process { name, child })
    }

    /// The exit status if the process has exited.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, Error> {
        Ok(self.child.try_wait()?)
    }

    /// Waits up to `timeout` for the process to exit by itself, then kills
    /// it.  Returns its exit status, `None` when it had to be killed.
    pub async fn wait_or_kill(&mut self, timeout: Duration) -> Result<Option<ExitStatus>, Error> {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => Ok(Some(status?)),
            Err(_) => {
                self.child.kill().await?;
                Ok(None)
            }
        }
    }

    /// Kills the process and waits for it.
    pub async fn kill(&mut self) -> Result<(), Error> {
        Ok(self.child.kill().await?)
    }

    /// Waits until the Unix socket at `path` accepts a connection, and
    /// returns that connection.  Fails when the process exits first or
    /// `timeout` passes.
    pub async fn connect(&mut self, path: &Path, timeout: Duration) -> Result<UnixStream, Error> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match UnixStream::connect(path).await {
                Ok(s) => return Ok(s),
                // Not created yet, or the listener's backlog is full
                // (qemu-ga serves one client at a time).
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound
                            | io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::WouldBlock
                    ) => {}
                Err(e) => return Err(format!("cannot connect to {}: {e}", path.display()).into()),
            }
            if let Some(status) = self.try_wait()? {
                return Err(format!("{} exited early: {status}", self.name).into());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "{} did not listen on {} within {timeout:?}",
                    self.name,
                    path.display()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.start_kill();
        }
    }
}

/// A `qemu-system-x86_64` process with a QMP socket.  Dropping it kills
/// QEMU.
#[derive(Debug)]
pub struct Qemu {
    process: Process,
    qmp: PathBuf,
}

impl Qemu {
    /// Starts `bin` with `args` followed by `-qmp
    /// unix:DIR/NAME.qmp,server=on,wait=off`, DIR being `dir`'s path.
    /// Keep `dir` alive as long as QEMU runs (declare it first, so that it
    /// is dropped last).
    pub fn spawn<S: AsRef<OsStr>>(
        bin: &Path,
        dir: &TempDir,
        name: &str,
        args: &[S],
    ) -> Result<Qemu, Error> {
        let qmp = dir.join(format!("{name}.qmp"));
        let mut all: Vec<std::ffi::OsString> = args.iter().map(|a| a.as_ref().to_owned()).collect();
        all.push("-qmp".into());
        all.push(format!("unix:{},server=on,wait=off", qmp.display()).into());
        let process = Process::spawn(bin, all)?;
        Ok(Qemu { process, qmp })
    }

    /// Starts QEMU as [`Qemu::spawn`] does and connects a QMP client to it,
    /// whose calls time out after `timeout`.
    ///
    /// QEMU 7.2 sometimes mishandles a QMP connection made while it is
    /// still starting: it sends an event before the greeting, or the
    /// greeting twice (both of which the client tolerates), or never
    /// answers `qmp_capabilities` (and then no later connection either).
    /// So the greeting and negotiation get a short timeout of their own,
    /// and when they fail, QEMU is killed and started again (up to five
    /// times).
    pub async fn start<E: EventSet, S: AsRef<OsStr>>(
        bin: &Path,
        dir: &TempDir,
        name: &str,
        args: &[S],
        timeout: Duration,
    ) -> Result<(Qemu, Client<E>), Error> {
        const ATTEMPTS: u32 = 5;
        let mut attempt = 1;
        loop {
            let mut qemu = Qemu::spawn(bin, dir, name, args)?;
            let stream = qemu.connect_qmp(timeout).await?;
            let result = ClientBuilder::new()
                .timeout(timeout)
                .handshake_timeout(HANDSHAKE_TIMEOUT.min(timeout))
                .connect_unix_stream(stream)
                .await;
            match result {
                Ok(client) => return Ok((qemu, client)),
                Err(
                    ClientError::Protocol(_)
                    | ClientError::Timeout(_)
                    | ClientError::Disconnected
                    | ClientError::Io(_),
                ) if attempt < ATTEMPTS => {
                    qemu.process.kill().await?;
                    let _ = std::fs::remove_file(&qemu.qmp);
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The QMP socket.
    pub fn qmp_socket(&self) -> &Path {
        &self.qmp
    }

    /// The process.
    pub fn process(&mut self) -> &mut Process {
        &mut self.process
    }

    /// Waits for the QMP socket and connects to it.
    pub async fn connect_qmp(&mut self, timeout: Duration) -> Result<UnixStream, Error> {
        let path = self.qmp.clone();
        self.process.connect(&path, timeout).await
    }
}

/// How long QEMU may take to greet and negotiate on a fresh connection
/// before [`Qemu::start`] tries again; it takes about a millisecond.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);

/// A `qemu-storage-daemon` process with a QMP monitor on a Unix socket.
/// Dropping it kills the daemon.
#[derive(Debug)]
pub struct StorageDaemon {
    process: Process,
    qmp: PathBuf,
}

impl StorageDaemon {
    /// Starts `bin` with a QMP monitor on `DIR/qsd.qmp`, DIR being `dir`'s
    /// path, and waits up to `timeout` until it listens there.  Keep `dir`
    /// alive as long as the daemon runs.
    pub async fn start(
        bin: &Path,
        dir: &TempDir,
        timeout: Duration,
    ) -> Result<StorageDaemon, Error> {
        let qmp = dir.join("qsd.qmp");
        let chardev = format!("socket,path={},server=on,wait=off,id=qmp", qmp.display());
        let mut process = Process::spawn(bin, ["--chardev", &chardev, "--monitor", "chardev=qmp"])?;
        // A first connection, closed at once, tells that it listens.
        process.connect(&qmp, timeout).await?;
        Ok(StorageDaemon { process, qmp })
    }

    /// The QMP socket.
    pub fn qmp(&self) -> &Path {
        &self.qmp
    }

    /// Stops the daemon and waits for it.
    pub async fn stop(mut self) -> Result<(), Error> {
        self.process.kill().await
    }
}
