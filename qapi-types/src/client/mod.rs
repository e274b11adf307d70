//! A tokio QMP client: connects, negotiates capabilities, runs commands from
//! many tasks at once and fans events out to subscribers.
//!
//! ```no_run
//! # use qapi_types::client::{Client, Error};
//! # async fn demo<E: qapi_types::EventSet, C: qapi_types::Command>(cmd: C) -> Result<(), Error> {
//! let client = Client::<E>::connect_unix("/run/qemu/qmp.sock").await?;
//! let mut events = client.events();
//! let reply = client.execute(cmd).await?;
//! while let Some(event) = events.recv().await {
//!     // ...
//! #   let _ = event;
//! }
//! # let _ = reply;
//! # Ok(())
//! # }
//! ```
//!
//! # How it works
//!
//! A connection runs a reader task and a writer task.  [`Client::execute`]
//! serializes the arguments, takes one of QEMU's 8 in-band slots (callers
//! beyond that wait), allocates an id and queues the request; the reader
//! matches the reply by id and hands its line to the caller, who decodes
//! `return` straight into the command's return type in its own task.
//! Commands that allow out-of-band execution go with `exec-oob` once `oob`
//! is negotiated and take no slot.  Events are decoded once by the reader
//! and broadcast to every [`Events`] subscriber.
//!
//! The connection ends at the first of: the server hanging up, an I/O
//! error, a protocol violation (a malformed message, a reply to an id the
//! client never sent...), [`Client::close`], or the last
//! handle being dropped.  Every pending call then fails with the reason
//! ([`Error::Disconnected`], [`Error::Io`], [`Error::Protocol`]), later calls
//! fail the same way, and event streams end.  A server that stops answering
//! is covered by timeouts ([`ClientBuilder::timeout`],
//! [`Client::execute_with_timeout`]).
//!
//! # Probing
//!
//! [`Client::probe`] (or [`ClientBuilder::probe`]) reads the server's own
//! schema once per connection, for asking what it has
//! ([`Capabilities`]): bindings generated from one QEMU's schema then work
//! with older and smaller servers (another version, another target, the
//! storage daemon), and commands the server lacks fail with
//! [`Error::NotSupported`] before anything is sent.

mod builder;
mod conn;
mod error;
mod events;
mod probe;
mod resync;
#[cfg(unix)]
mod scm;
pub(crate) mod transport;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

#[cfg(feature = "qga")]
pub(crate) use builder::Start;
pub use builder::{ClientBuilder, Qga, Qmp};
pub(crate) use conn::{Call, Conn, Mode, ReplyBody};
pub use error::Error;
pub use events::{EventError, Events, UndecodedEvent};
pub use probe::Capabilities;
use transport::{Fds, LineReader, ReadLine, WriteHalf};

use crate::{Command, EventSet, Greeting};

/// Reads the greeting and negotiates capabilities: what connecting a QMP
/// [`Client`] does.
async fn handshake<E: EventSet>(
    builder: ClientBuilder<Qmp>,
    mut reader: LineReader,
    writer: WriteHalf,
) -> Result<Client<E>, Error> {
    let (config, probe) = (builder.config, builder.probe);
    let greeting = conn::with_timeout(config.handshake_timeout, read_greeting(&mut reader)).await?;
    tracing::debug!(
        version = ?greeting.version.qemu,
        capabilities = ?greeting.capabilities,
        "QMP greeting received"
    );
    let want_oob = config.oob && greeting.capabilities.iter().any(|c| c == "oob");
    let timeout = config.handshake_timeout;
    let conn = Arc::new(Conn::start(config, Mode::Qmp, reader, writer, greeting));
    let call = Call {
        name: "qmp_capabilities",
        args: want_oob.then(|| r#"{"enable":["oob"]}"#.to_owned()),
        oob: false,
        reply: true,
        fds: Fds::new(),
    };
    if let Err(e) = conn.call(call, timeout).await {
        conn.close();
        return Err(e);
    }
    conn.set_oob(want_oob);
    let client = Client {
        conn,
        probed: Arc::default(),
    };
    if probe && let Err(e) = conn::with_timeout(timeout, client.probe()).await {
        client.close();
        return Err(e);
    }
    Ok(client)
}

/// Reads the greeting, the server's first message.  Events that come
/// before it are skipped: QEMU 7.2 sometimes sends one first to a client
/// that connects while it is still starting.
async fn read_greeting(reader: &mut LineReader) -> Result<Greeting, Error> {
    #[derive(serde::Deserialize)]
    struct Message {
        #[serde(rename = "QMP")]
        qmp: Greeting,
    }
    #[derive(serde::Deserialize)]
    struct AnEvent {
        event: String,
    }
    loop {
        match reader.read_line().await? {
            ReadLine::Line => {}
            ReadLine::Eof => return Err(Error::Disconnected),
            ReadLine::TooLong => {
                return Err(Error::Protocol(
                    "the greeting exceeds the message size limit".into(),
                ));
            }
        }
        if reader.buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Ok(AnEvent { event }) = serde_json::from_slice::<AnEvent>(&reader.buf) {
            tracing::warn!(event = %event, "event before the greeting, skipped");
            continue;
        }
        return serde_json::from_slice::<Message>(&reader.buf)
            .map(|m| m.qmp)
            .map_err(|e| {
                Error::Protocol(format!(
                    "expected the QMP greeting ({}): {}",
                    crate::wire::error_text(&e),
                    crate::wire::preview(&reader.buf)
                ))
            });
    }
}

/// A QMP client for a schema whose events are `E` (the generated `Event`
/// enum).
///
/// Cheap to clone: clones share the connection, and any number of tasks
/// may run commands at once.  The connection closes when the last clone is
/// dropped or [`Client::close`] is called.
pub struct Client<E: EventSet> {
    conn: Arc<Conn<E>>,
    /// The answer of [`Client::probe`], once there is one.
    probed: Arc<tokio::sync::OnceCell<Arc<Capabilities>>>,
}

impl<E: EventSet> Clone for Client<E> {
    fn clone(&self) -> Self {
        Client {
            conn: self.conn.clone(),
            probed: self.probed.clone(),
        }
    }
}

impl<E: EventSet> fmt::Debug for Client<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("greeting", &self.conn.greeting)
            .field("oob", &self.conn.oob_enabled())
            .field("closed", &self.conn.is_closed())
            .field("probed", &self.probed.initialized())
            .finish()
    }
}

impl<E: EventSet> Client<E> {
    /// The server's greeting.
    pub fn greeting(&self) -> &Greeting {
        &self.conn.greeting
    }

    /// Whether the `oob` capability was negotiated.
    pub fn oob_enabled(&self) -> bool {
        self.conn.oob_enabled()
    }

    /// Runs a command and decodes its reply, within the default timeout.
    ///
    /// The future does not borrow the client.  A command without
    /// `success-response` completes once it is written.  Once the
    /// connection is [probed](Client::probe), a command the server lacks
    /// fails with [`Error::NotSupported`] without being sent.
    pub fn execute<C: Command>(
        &self,
        cmd: C,
    ) -> impl Future<Output = Result<C::Returns, Error>> + Send + 'static {
        self.checked::<C>(run(
            self.conn.clone(),
            cmd,
            self.conn.config.timeout,
            Ok(Fds::new()),
        ))
    }

    /// Runs a command within `timeout` (`None`: no timeout) instead of the
    /// default one.
    pub fn execute_with_timeout<C: Command>(
        &self,
        cmd: C,
        timeout: impl Into<Option<Duration>>,
    ) -> impl Future<Output = Result<C::Returns, Error>> + Send + 'static {
        self.checked::<C>(run(self.conn.clone(), cmd, timeout.into(), Ok(Fds::new())))
    }

    /// Runs a command with file descriptors attached as SCM_RIGHTS, for
    /// `getfd` and `add-fd`.  The descriptors are duplicated right away;
    /// the originals stay the caller's.  Needs a Unix-socket connection
    /// (on Linux), else fails with [`Error::Unsupported`].  Such commands
    /// run one at a time, since QEMU hands received descriptors to the next
    /// command that takes one.
    #[cfg(unix)]
    pub fn execute_with_fds<C: Command>(
        &self,
        cmd: C,
        fds: &[std::os::fd::BorrowedFd<'_>],
    ) -> impl Future<Output = Result<C::Returns, Error>> + Send + 'static {
        let fds = fds
            .iter()
            .map(|fd| fd.try_clone_to_owned())
            .collect::<Result<Fds, _>>()
            .map_err(Error::from);
        self.checked::<C>(run(self.conn.clone(), cmd, self.conn.config.timeout, fds))
    }

    /// `call`, unless the connection was probed and the server lacks `C`.
    fn checked<C: Command>(
        &self,
        call: impl Future<Output = Result<C::Returns, Error>> + Send + 'static,
    ) -> impl Future<Output = Result<C::Returns, Error>> + Send + 'static {
        let probed = self.probed.clone();
        async move {
            if let Some(caps) = probed.get() {
                caps.check(C::NAME)?;
            }
            call.await
        }
    }

    /// Runs a command given by name with JSON arguments, in band, and
    /// returns its `return` member unparsed.  It sends the command even
    /// when a [probe](Client::probe) says the server lacks it: this is the
    /// way to ask the server itself.
    pub fn execute_raw(
        &self,
        name: &str,
        arguments: Option<serde_json::Value>,
    ) -> impl Future<Output = Result<Box<RawValue>, Error>> + Send + 'static {
        run_raw(self.conn.clone(), name, arguments, self.conn.config.timeout)
    }

    /// [`Client::execute_raw`] within `timeout`.
    pub fn execute_raw_with_timeout(
        &self,
        name: &str,
        arguments: Option<serde_json::Value>,
        timeout: impl Into<Option<Duration>>,
    ) -> impl Future<Output = Result<Box<RawValue>, Error>> + Send + 'static {
        run_raw(self.conn.clone(), name, arguments, timeout.into())
    }

    /// Runs a command and waits for the first event that `accept` takes,
    /// all within `timeout`: the reply, and the event.  The subscription
    /// starts before the command is sent, so an event the command causes
    /// at once is not missed.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use qapi_types::client::{Client, Error};
    /// # async fn demo<E: qapi_types::EventSet, C: qapi_types::Command>(client: Client<E>, stop: C) -> Result<(), Error> {
    /// let (_, event) = client
    ///     .execute_and_wait(stop, Duration::from_secs(5), |e| e.name() == "STOP")
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn execute_and_wait<C: Command>(
        &self,
        cmd: C,
        timeout: Duration,
        accept: impl FnMut(&E) -> bool,
    ) -> Result<(C::Returns, Arc<crate::EventMessage<E>>), Error> {
        let start = tokio::time::Instant::now();
        let mut events = self.events();
        let reply = self.execute_with_timeout(cmd, timeout).await?;
        let left = timeout.saturating_sub(start.elapsed());
        let event = events.wait_for(left, accept).await.map_err(|e| match e {
            Error::Timeout(_) => Error::Timeout(timeout),
            e => e,
        })?;
        Ok((reply, event))
    }

    /// Subscribes to the events that arrive from now on.
    pub fn events(&self) -> Events<E> {
        Events::new(self.conn.subscribe())
    }

    /// Closes the connection: pending and later calls fail with
    /// [`Error::Disconnected`], event streams end.
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

/// Serializes a command's arguments; `None` when there are none to send.
pub(crate) fn encode_args<C: Command>(cmd: &C) -> Result<Option<String>, Error> {
    let text = serde_json::to_string(cmd).map_err(|source| Error::Encode {
        command: C::NAME.to_owned(),
        source,
    })?;
    Ok(match text.as_str() {
        "null" | "{}" => None,
        _ => Some(text),
    })
}

/// Decodes the `return` of `command` (`None`: the command sends no reply,
/// so its return type must decode from `{}` or `null`).
pub(crate) fn decode_reply<T: DeserializeOwned>(
    command: &str,
    body: Option<ReplyBody>,
) -> Result<T, Error> {
    let decoded = match &body {
        Some(body) => serde_json::from_str(body.json()),
        None => serde_json::from_str("{}").or_else(|_| serde_json::from_str("null")),
    };
    decoded.map_err(|source| Error::Decode {
        command: command.to_owned(),
        source,
    })
}

/// The future behind the typed `execute` methods.
pub(crate) async fn run<E: EventSet, C: Command>(
    conn: Arc<Conn<E>>,
    cmd: C,
    timeout: Option<Duration>,
    fds: Result<Fds, Error>,
) -> Result<C::Returns, Error> {
    let fds = fds?;
    let args = encode_args(&cmd)?;
    drop(cmd);
    let call = Call {
        name: C::NAME,
        args,
        oob: C::ALLOW_OOB && conn.oob_enabled(),
        reply: C::SUCCESS_RESPONSE,
        fds,
    };
    let body = conn.call(call, timeout).await?;
    decode_reply(C::NAME, body)
}

/// The future behind the raw `execute` methods.
pub(crate) fn run_raw<E: EventSet>(
    conn: Arc<Conn<E>>,
    name: &str,
    arguments: Option<serde_json::Value>,
    timeout: Option<Duration>,
) -> impl Future<Output = Result<Box<RawValue>, Error>> + Send + 'static {
    let name = name.to_owned();
    async move {
        let args = match arguments {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(serde_json::to_string(&v).map_err(|source| Error::Encode {
                command: name.clone(),
                source,
            })?),
        };
        let call = Call {
            name: &name,
            args,
            oob: false,
            reply: true,
            fds: Fds::new(),
        };
        let body = conn.call(call, timeout).await?;
        let json = body.as_ref().map_or("{}", ReplyBody::json);
        RawValue::from_string(json.to_owned()).map_err(|source| Error::Decode {
            command: name.clone(),
            source,
        })
    }
}
