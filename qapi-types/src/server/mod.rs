//! A QMP server runtime: speaks the protocol (greeting, capabilities
//! negotiation, in-band queue, out-of-band execution, events) and runs
//! commands through a generated [`Dispatch`] implementation, answering bad
//! requests with QEMU's own error texts.
//!
//! ```no_run
//! # use qapi_types::server::{Dispatch, Server};
//! # async fn demo<D: Dispatch>(dispatcher: D) -> std::io::Result<()> {
//! use qapi_types::{VersionInfo, VersionTriple};
//!
//! let server = Server::builder(dispatcher)
//!     .version(VersionInfo {
//!         qemu: VersionTriple { major: 7, minor: 2, micro: 0 },
//!         package: String::new(),
//!     })
//!     .build();
//! let events = server.event_sender();
//! // events.send(&my_event) from anywhere
//! # let _ = events;
//! let listener = tokio::net::UnixListener::bind("/tmp/qmp.sock")?;
//! server.serve_unix(listener).await
//! # }
//! ```
//!
//! # Behaviour (that of QEMU 7.2)
//!
//! - The greeting offers the configured capabilities (`oob` by default).
//! - Until `qmp_capabilities` succeeds, every other command gets
//!   `CommandNotFound` "Expecting capabilities negotiation with
//!   'qmp_capabilities'" and no events are sent.  A second
//!   `qmp_capabilities` gets `CommandNotFound` "Capabilities negotiation is
//!   already complete, command ignored".
//! - Replies carry the request's `id` as sent.  Input that is not JSON gets
//!   an error without id ("JSON parse error, ..."), and the connection
//!   stays up.
//! - In-band requests run one at a time, in order; at most 8 wait, then the
//!   server stops reading.  `exec-oob` requests run at once, but only once
//!   `oob` is enabled ("QMP input member 'exec-oob' is unexpected") and
//!   only for commands that allow it ("The command X does not support
//!   OOB").  Like QEMU 7.2, the runtime does not insist on an `id` there.
//! - Arguments are decoded in [strict mode](crate::strict) (see [`call`]
//!   and [`decode_arguments`]): an enumeration value, union tag or member
//!   the schema lacks is refused, so a handler never sees a catch-all
//!   variant, and every error is QEMU's, word for word, naming the member
//!   by its path (`Invalid parameter type for 'addr.data.path', expected:
//!   string`).
//! - Events from [`EventSender`] go to every negotiated connection.
//!
//! # Bounded memory
//!
//! What one connection may hold is bounded: at most 8 in-band requests
//! wait, at most 8 out-of-band commands run, and replies and events wait
//! for the client in one queue bounded in messages and in bytes
//! ([`ServerBuilder::max_queued_messages`],
//! [`ServerBuilder::max_queued_bytes`], [`ServerBuilder::event_capacity`]).
//! A client that does not read its replies fills that queue; then its
//! commands wait for room, its in-band queue fills, and the server stops
//! reading its input until it reads again, as QEMU does.  Other clients
//! are not affected.  An event that does not fit in a client's queue is
//! dropped for that client (and counted in a warning, as the client
//! runtime counts the events a slow subscriber lost); the client stays
//! connected.  Once a crowd of clients has left, the server asks the
//! allocator to give the memory they used back to the system
//! ([`ServerBuilder::memory_release`]).

mod args;
mod conn;
mod dispatch;
mod framing;
mod memory;
mod outbox;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::{Instrument, warn};

pub use args::check_arguments;
pub use dispatch::{
    CommandInfo, Dispatch, DispatchFuture, Runner, call, decode_arguments, not_found,
    not_implemented,
};

pub use memory::MemoryRelease;

use crate::wire::OutgoingEvent;
use crate::{Event, EventSet, Greeting, Timestamp, VersionInfo};
use memory::Census;
use outbox::{Limits, Subscribers};

/// What every connection of a server shares.
struct ServerInner<D> {
    dispatch: D,
    greeting: Greeting,
    subscribers: Arc<Subscribers>,
    limits: Limits,
    max_message_size: usize,
    next_conn: AtomicU64,
    census: Census,
}

impl<D> ServerInner<D> {
    fn offers(&self, capability: &str) -> bool {
        self.greeting.capabilities.iter().any(|c| c == capability)
    }
}

/// Settings of a [`Server`].
pub struct ServerBuilder<D> {
    dispatch: D,
    version: VersionInfo,
    capabilities: Vec<String>,
    limits: Limits,
    max_message_size: usize,
    memory_release: MemoryRelease,
}

/// The default of [`ServerBuilder::max_queued_messages`].
pub const DEFAULT_MAX_QUEUED_MESSAGES: usize = 1024;
/// The default of [`ServerBuilder::max_queued_bytes`].
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 1024 * 1024;
/// The default of [`ServerBuilder::event_capacity`].
pub const DEFAULT_EVENT_CAPACITY: usize = 256;

impl<D: Dispatch> ServerBuilder<D> {
    /// The version the greeting announces (default: 0.0.0).
    pub fn version(mut self, version: VersionInfo) -> Self {
        self.version = version;
        self
    }

    /// The capabilities the greeting offers (default: `["oob"]`).  Without
    /// `oob`, clients cannot enable out-of-band execution.
    pub fn capabilities<I, S>(mut self, capabilities: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.capabilities = capabilities.into_iter().map(Into::into).collect();
        self
    }

    /// How many events may wait for one client among its queued messages
    /// (default [`DEFAULT_EVENT_CAPACITY`], 256); further events are
    /// dropped for that client until it reads.
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.limits.events = capacity.max(1);
        self
    }

    /// How many messages (replies and events) may wait for one client
    /// that does not read (default [`DEFAULT_MAX_QUEUED_MESSAGES`], 1024).
    /// When they are there, its next reply waits for room, and soon the
    /// server stops reading its input.
    pub fn max_queued_messages(mut self, messages: usize) -> Self {
        self.limits.messages = messages.max(1);
        self
    }

    /// How many bytes of replies and events may wait for one client that
    /// does not read (default [`DEFAULT_MAX_QUEUED_BYTES`], 1 MiB).  A
    /// single reply larger than that still goes out, once the queue is
    /// empty.
    pub fn max_queued_bytes(mut self, bytes: usize) -> Self {
        self.limits.bytes = bytes.max(1);
        self
    }

    /// The largest request accepted, in bytes (default 64 MiB, QEMU's
    /// limit); a larger one gets "JSON token size limit exceeded".
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes.max(2);
        self
    }

    /// What to do with the memory freed when many clients leave (default
    /// [`MemoryRelease::AfterCrowds`]).
    pub fn memory_release(mut self, policy: MemoryRelease) -> Self {
        self.memory_release = policy;
        self
    }

    /// The server.
    pub fn build(self) -> Server<D> {
        Server {
            inner: Arc::new(ServerInner {
                dispatch: self.dispatch,
                greeting: Greeting {
                    version: self.version,
                    capabilities: self.capabilities,
                },
                subscribers: Arc::default(),
                limits: self.limits,
                max_message_size: self.max_message_size,
                next_conn: AtomicU64::new(1),
                census: Census::new(self.memory_release),
            }),
        }
    }
}

/// A QMP server over a dispatcher `D`; cheap to clone.
pub struct Server<D> {
    inner: Arc<ServerInner<D>>,
}

impl<D> Clone for Server<D> {
    fn clone(&self) -> Self {
        Server {
            inner: self.inner.clone(),
        }
    }
}

impl<D> std::fmt::Debug for Server<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("greeting", &self.inner.greeting)
            .finish_non_exhaustive()
    }
}

impl<D: Dispatch> Server<D> {
    /// A server with default settings.
    pub fn new(dispatch: D) -> Self {
        Self::builder(dispatch).build()
    }

    /// Settings for a server.
    pub fn builder(dispatch: D) -> ServerBuilder<D> {
        ServerBuilder {
            dispatch,
            version: VersionInfo::default(),
            capabilities: vec!["oob".to_owned()],
            limits: Limits {
                messages: DEFAULT_MAX_QUEUED_MESSAGES,
                bytes: DEFAULT_MAX_QUEUED_BYTES,
                events: DEFAULT_EVENT_CAPACITY,
            },
            max_message_size: 64 * 1024 * 1024,
            memory_release: MemoryRelease::default(),
        }
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &D {
        &self.inner.dispatch
    }

    /// The greeting the server sends.
    pub fn greeting(&self) -> &Greeting {
        &self.inner.greeting
    }

    /// A handle for sending events to every negotiated client, usable from
    /// any task or thread.
    pub fn event_sender(&self) -> EventSender {
        EventSender {
            subscribers: self.inner.subscribers.clone(),
        }
    }

    /// Serves one connection until the client hangs up.
    pub async fn serve_stream<S>(&self, stream: S) -> io::Result<()>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let id = self.inner.next_conn.fetch_add(1, Ordering::Relaxed);
        self.inner.census.opened();
        let result = conn::serve(self.inner.clone(), stream, id).await;
        self.inner.census.closed();
        result
    }

    /// Accepts clients on a Unix socket, each served in its own task.
    /// Runs until accepting fails for a reason other than a client's; drop
    /// the future to stop accepting (served clients stay connected).
    #[cfg(unix)]
    pub async fn serve_unix(&self, listener: tokio::net::UnixListener) -> io::Result<()> {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => self.spawn(stream),
                Err(e) => accept_failed(e).await?,
            }
        }
    }

    /// Accepts clients over TCP, each served in its own task.  Runs until
    /// accepting fails for a reason other than a client's; drop the future
    /// to stop accepting.
    pub async fn serve_tcp(&self, listener: tokio::net::TcpListener) -> io::Result<()> {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    tracing::debug!(%peer, "client connected");
                    self.spawn(stream);
                }
                Err(e) => accept_failed(e).await?,
            }
        }
    }

    fn spawn<S>(&self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let server = self.clone();
        tokio::spawn(
            async move {
                if let Err(e) = server.serve_stream(stream).await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
            .in_current_span(),
        );
    }
}

/// Decides whether an accept error ends the accept loop.
async fn accept_failed(e: io::Error) -> io::Result<()> {
    use io::ErrorKind::*;
    // ENFILE, EMFILE, ENOBUFS, ENOMEM: wait for resources.
    let transient = matches!(e.raw_os_error(), Some(23 | 24 | 105 | 12))
        || matches!(
            e.kind(),
            ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
        );
    if !transient {
        return Err(e);
    }
    warn!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(())
}

/// Sends events to every client of a [`Server`] that has negotiated
/// capabilities.  Cheap to clone.
#[derive(Clone)]
pub struct EventSender {
    subscribers: Arc<Subscribers>,
}

impl std::fmt::Debug for EventSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSender")
            .field("clients", &self.subscribers.len())
            .finish()
    }
}

impl EventSender {
    /// Sends a value of the schema's event enum; returns how many clients
    /// it was queued for (not those whose queue was full: they lose it).
    pub fn send<E: EventSet>(&self, event: &E) -> Result<usize, serde_json::Error> {
        let data = event.data()?;
        self.send_raw(event.name(), data.as_ref())
    }

    /// Sends one event given by its data struct.  Data that serializes to
    /// `null` or `{}` is left out of the message, as QEMU does for events
    /// without data.
    pub fn send_event<V: Event>(&self, data: &V) -> Result<usize, serde_json::Error> {
        let value = serde_json::to_value(data)?;
        let empty = match &value {
            serde_json::Value::Null => true,
            serde_json::Value::Object(m) => m.is_empty(),
            _ => false,
        };
        self.send_raw(V::NAME, (!empty).then_some(&value))
    }

    /// Sends an event by name, with optional data.
    pub fn send_raw(
        &self,
        name: &str,
        data: Option<&serde_json::Value>,
    ) -> Result<usize, serde_json::Error> {
        let line = event_line(name, data)?;
        tracing::debug!(event = name, "sending an event");
        Ok(self.subscribers.send(&line))
    }

    /// How many clients currently receive events (those that negotiated
    /// capabilities and are still connected).
    pub fn receiver_count(&self) -> usize {
        self.subscribers.len()
    }
}

fn event_line<T: Serialize>(name: &str, data: Option<T>) -> Result<Arc<str>, serde_json::Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let timestamp = Timestamp {
        seconds: now.as_secs() as i64,
        microseconds: i64::from(now.subsec_micros()),
    };
    let mut line = serde_json::to_string(&OutgoingEvent {
        event: name,
        data,
        timestamp,
    })?;
    line.push_str("\r\n");
    Ok(line.into())
}
