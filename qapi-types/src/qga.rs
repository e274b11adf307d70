//! A client for the QEMU guest agent (`qemu-ga`): QMP's message framing
//! without greeting, negotiation or events, kept in sync with
//! `guest-sync-delimited`.
//!
//! A guest agent's channel may still hold data from a previous client (a
//! half-written request on the agent's side, unread replies on ours).  On
//! connect, and after any call timed out, the client resynchronises: it
//! sends a 0xFF byte (the agent then drops partial input) and
//! `guest-sync-delimited` with a random id, discards everything it
//! receives up to the 0xFF that precedes the reply, and accepts only the
//! reply carrying its id.  Calls still waiting when a resynchronisation
//! starts fail with [`Error::Resync`].  [`Client::resync`] does it on
//! demand.
//!
//! Commands without `success-response` (`guest-shutdown`,
//! `guest-suspend-*`) complete once written: the agent never answers them.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::value::RawValue;

use crate::client::transport::{LineReader, WriteHalf};
use crate::client::{self as qmp, ClientBuilder, Conn, Error, Mode, Qga, Start};
use crate::{Command, EventSet, Greeting};

/// The guest agent has no events.
enum NoEvents {}

impl EventSet for NoEvents {
    fn decode(name: &str, _: Option<&RawValue>) -> Result<Self, serde_json::Error> {
        Err(serde::de::Error::custom(format_args!(
            "the guest agent has no events, got {name}"
        )))
    }

    fn name(&self) -> &str {
        match *self {}
    }

    fn data(&self) -> Result<Option<serde_json::Value>, serde_json::Error> {
        match *self {}
    }
}

/// Settings for connecting a guest-agent [`Client`]: the clients' one
/// builder, for the guest agent's protocol ([`Client::builder`]).
pub type Builder = ClientBuilder<Qga>;

impl Start<Qga> for Client {
    fn start(
        builder: ClientBuilder<Qga>,
        reader: LineReader,
        writer: WriteHalf,
    ) -> impl Future<Output = Result<Self, Error>> + Send {
        start(builder, reader, writer)
    }
}

/// Resynchronises a new connection: what connecting does.
async fn start(
    builder: ClientBuilder<Qga>,
    reader: LineReader,
    writer: WriteHalf,
) -> Result<Client, Error> {
    let timeout = builder.config.handshake_timeout;
    let conn = Arc::new(Conn::start(
        builder.config,
        Mode::Qga,
        reader,
        writer,
        Greeting::default(),
    ));
    if let Err(e) = conn.resync(timeout).await {
        conn.close();
        return Err(e);
    }
    Ok(Client { conn })
}

/// A guest-agent client.
///
/// Cheap to clone; clones share the connection, which closes when the last
/// one is dropped or [`Client::close`] is called.
#[derive(Clone)]
pub struct Client {
    conn: Arc<Conn<NoEvents>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("qga::Client")
            .field("closed", &self.conn.is_closed())
            .finish()
    }
}

impl Client {
    /// Settings for connecting: the defaults are no call timeout, 10 s for
    /// a resynchronisation, 8 commands in flight, messages up to 256 MiB.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Runs a command and decodes its reply, within the default timeout.
    /// A command without `success-response` completes once written.
    pub fn execute<C: Command>(
        &self,
        cmd: C,
    ) -> impl Future<Output = Result<C::Returns, Error>> + Send + 'static {
        self.execute_with_timeout(cmd, self.conn.config.timeout)
    }

    /// Runs a command within `timeout` (`None`: no timeout).
    pub fn execute_with_timeout<C: Command>(
        &self,
        cmd: C,
        timeout: impl Into<Option<Duration>>,
    ) -> impl Future<Output = Result<C::Returns, Error>> + Send + 'static {
        let conn = self.conn.clone();
        let call = qmp::run(conn.clone(), cmd, timeout.into(), Ok(Vec::new()));
        guarded(conn, call)
    }

    /// Runs a command given by name with JSON arguments and returns its
    /// `return` member unparsed.
    pub fn execute_raw(
        &self,
        name: &str,
        arguments: Option<serde_json::Value>,
    ) -> impl Future<Output = Result<Box<RawValue>, Error>> + Send + 'static {
        self.execute_raw_with_timeout(name, arguments, self.conn.config.timeout)
    }

    /// [`Client::execute_raw`] within `timeout`.
    pub fn execute_raw_with_timeout(
        &self,
        name: &str,
        arguments: Option<serde_json::Value>,
        timeout: impl Into<Option<Duration>>,
    ) -> impl Future<Output = Result<Box<RawValue>, Error>> + Send + 'static {
        let conn = self.conn.clone();
        let call = qmp::run_raw(conn.clone(), name, arguments, timeout.into());
        guarded(conn, call)
    }

    /// Resynchronises now, within the handshake timeout.
    pub async fn resync(&self) -> Result<(), Error> {
        self.resync_with_timeout(self.conn.config.handshake_timeout)
            .await
    }

    /// Resynchronises now, within `timeout`.
    pub async fn resync_with_timeout(
        &self,
        timeout: impl Into<Option<Duration>>,
    ) -> Result<(), Error> {
        self.conn.needs_resync.store(false, Ordering::Release);
        let r = self.conn.resync(timeout.into()).await;
        if r.is_err() {
            self.conn.needs_resync.store(true, Ordering::Release);
        }
        r
    }

    /// Closes the connection: pending and later calls fail with
    /// [`Error::Disconnected`].
    pub fn close(&self) {
        self.conn.close();
    }

    /// Whether the connection is closed.
    pub fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }

    /// Waits until the connection is closed, for whatever reason.
    pub async fn closed(&self) {
        self.conn.closed().await;
    }
}

/// Resynchronises first if an earlier call timed out, and asks for a
/// resynchronisation when this one times out.
async fn guarded<T>(
    conn: Arc<Conn<NoEvents>>,
    call: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    if conn.needs_resync.swap(false, Ordering::AcqRel)
        && let Err(e) = conn.resync(conn.config.handshake_timeout).await
    {
        conn.needs_resync.store(true, Ordering::Release);
        return Err(e);
    }
    let r = call.await;
    if matches!(r, Err(Error::Timeout(_))) {
        conn.needs_resync.store(true, Ordering::Release);
    }
    r
}
