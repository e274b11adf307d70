//! The connection machinery behind the clients: shared state, request
//! submission, and the reader and writer tasks.
//!
//! Every connection runs two tasks.  The writer owns the write half and
//! writes requests in the order they were submitted.  The reader owns the
//! read half, parses each line once into a borrowed [`Incoming`] envelope,
//! hands replies (the whole line plus the span of `return`) to the waiting
//! caller, who decodes them in its own task, and broadcasts events.  Callers
//! register a pending entry and queue their request under one lock, so ids
//! are written in the order they were allocated.  Whatever ends the
//! connection first (end of stream, I/O error, protocol error, the last
//! client handle dropped, [`Conn::close`]) records its reason once and fails
//! every pending call with it.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast, mpsc, oneshot, watch};
use tracing::{Instrument, debug, trace, warn};

use super::error::Error;
use super::events::{EventItem, UndecodedEvent};
use super::resync::Resync;
use super::transport::{Fds, LineReader, ReadLine, WriteHalf};
use crate::wire::{self, Incoming};
use crate::{EventMessage, EventSet, Greeting};

/// Settings of a connection.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// Default timeout of a call.
    pub timeout: Option<Duration>,
    /// Timeout of the greeting, negotiation and QGA resynchronisation.
    pub handshake_timeout: Option<Duration>,
    /// Events buffered per subscriber before it lags.
    pub event_capacity: usize,
    /// In-band commands sent and not yet answered, at most.
    pub max_in_flight: usize,
    /// The longest message accepted from the peer, in bytes.
    pub max_message_size: usize,
    /// Whether to enable `oob` when the server offers it.
    pub oob: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timeout: None,
            handshake_timeout: Some(Duration::from_secs(10)),
            event_capacity: 1024,
            max_in_flight: 8,
            max_message_size: 256 * 1024 * 1024,
            oob: true,
        }
    }
}

/// The protocol spoken on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// QMP: greeting, negotiation, events.
    Qmp,
    /// QGA: none of those; replies to `guest-sync-delimited` start with 0xFF.
    Qga,
}

/// Why a connection ended.
#[derive(Clone, Debug)]
pub(super) enum CloseReason {
    /// The peer closed the stream.
    Eof,
    /// The client closed it.
    Closed,
    /// Reading or writing failed.
    Io(Arc<io::Error>),
    /// The peer broke the protocol.
    Protocol(String),
}

impl CloseReason {
    /// Why an I/O error ends the connection: the peer hanging up (a broken
    /// pipe, a reset connection) is its closing, whether the reader or the
    /// writer notices first.
    pub(super) fn from_io(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof => CloseReason::Eof,
            _ => CloseReason::Io(Arc::new(e)),
        }
    }

    pub(super) fn error(&self) -> Error {
        match self {
            CloseReason::Eof | CloseReason::Closed => Error::Disconnected,
            CloseReason::Io(e) => Error::Io(e.clone()),
            CloseReason::Protocol(m) => Error::Protocol(m.clone()),
        }
    }
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseReason::Eof => f.write_str("closed by the peer"),
            CloseReason::Closed => f.write_str("closed by the client"),
            CloseReason::Io(e) => write!(f, "I/O error: {e}"),
            CloseReason::Protocol(m) => write!(f, "protocol error: {m}"),
        }
    }
}

/// A successful reply: the line it came in and where its `return` is.
pub(crate) struct ReplyBody {
    text: String,
    start: usize,
    end: usize,
}

impl ReplyBody {
    /// A body holding a copy of `value`.
    pub(super) fn copy(value: &str) -> Self {
        ReplyBody {
            text: value.to_owned(),
            start: 0,
            end: value.len(),
        }
    }

    /// The JSON text of `return`.
    pub(crate) fn json(&self) -> &str {
        self.text.get(self.start..self.end).unwrap_or("null")
    }
}

/// A call waiting for its reply.
pub(super) struct Pending {
    pub(super) tx: oneshot::Sender<Result<ReplyBody, Error>>,
    /// The in-band slot, released with the reply.
    pub(super) _permit: Option<OwnedSemaphorePermit>,
}

/// What the lock protects.
pub(super) struct State {
    next_id: u64,
    pub(super) pending: HashMap<u64, Pending>,
    closed: Option<CloseReason>,
    /// A guest-agent resynchronisation under way.
    pub(super) resync: Option<Resync>,
}

impl State {
    /// The error for a call on a connection that is (or turned out to be)
    /// closed.
    fn closed_error(&self) -> Error {
        self.closed
            .as_ref()
            .map_or(Error::Disconnected, CloseReason::error)
    }
}

/// State shared by the client handles and the two tasks.
pub(super) struct Shared<E: EventSet> {
    pub(super) state: Mutex<State>,
    /// For subscribing; taken when the connection closes.
    events: Mutex<Option<broadcast::Sender<EventItem<E>>>>,
    permits: Arc<Semaphore>,
    closing: watch::Sender<bool>,
    pub(super) mode: Mode,
    max_message_size: usize,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<E: EventSet> Shared<E> {
    /// Ends the connection (the first reason wins) and fails every pending
    /// call.
    fn close(&self, reason: CloseReason) {
        let pending = {
            let mut st = lock(&self.state);
            if st.closed.is_some() {
                return;
            }
            st.closed = Some(reason.clone());
            st.resync = None;
            std::mem::take(&mut st.pending)
        };
        match &reason {
            CloseReason::Eof | CloseReason::Closed => debug!(%reason, "connection closed"),
            _ => warn!(%reason, "connection closed"),
        }
        for (_, p) in pending {
            let _ = p.tx.send(Err(reason.error()));
        }
        self.permits.close();
        lock(&self.events).take();
        self.closing.send_replace(true);
    }

    pub(super) fn closed_error(&self) -> Error {
        lock(&self.state).closed_error()
    }
}

/// One request for the writer.
struct Frame {
    bytes: Vec<u8>,
    fds: Fds,
    then: Then,
}

/// What the writer does around writing a frame.
enum Then {
    /// Nothing more: the caller waits for the reply.
    Nothing,
    /// Tells the caller once the request is written (the server sends no
    /// reply).
    Tell(oneshot::Sender<Result<(), Error>>),
    /// Starts a guest-agent resynchronisation first: replies to what was
    /// sent before it are abandoned.
    Resync(Resync),
}

/// What a caller waits for once its request is queued.
pub(super) enum Awaits {
    /// The reply.
    Reply(Pending),
    /// Only the write: the server sends no reply.
    Written(oneshot::Sender<Result<(), Error>>),
    /// The reply to `guest-sync-delimited` carrying this number (only the
    /// guest-agent client asks for it).
    #[cfg_attr(not(feature = "qga"), allow(dead_code))]
    Resync(Pending, i64),
}

/// A command to send.
pub(crate) struct Call<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its `arguments` object, already serialized.
    pub args: Option<String>,
    /// Send it with `exec-oob`.
    pub oob: bool,
    /// Whether the server replies (`success-response`).
    pub reply: bool,
    /// File descriptors to pass with it.
    pub fds: Fds,
}

/// One connection: what every client handle shares.
pub(crate) struct Conn<E: EventSet> {
    pub(super) shared: Arc<Shared<E>>,
    frames: mpsc::UnboundedSender<Frame>,
    pub(crate) config: Config,
    pub(crate) greeting: Greeting,
    oob: AtomicBool,
    /// Set by the QGA client after a call timed out.
    #[cfg(feature = "qga")]
    pub(crate) needs_resync: AtomicBool,
    fd_lock: tokio::sync::Mutex<()>,
    can_pass_fds: bool,
    pub(super) span: tracing::Span,
}

impl<E: EventSet> Conn<E> {
    /// Starts the reader and writer tasks of a connection.
    pub(crate) fn start(
        config: Config,
        mode: Mode,
        reader: LineReader,
        writer: WriteHalf,
        greeting: Greeting,
    ) -> Self {
        let (events, _) = broadcast::channel(config.event_capacity.max(1));
        let (closing, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                next_id: 1,
                pending: HashMap::new(),
                closed: None,
                resync: None,
            }),
            events: Mutex::new(Some(events.clone())),
            permits: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            closing,
            mode,
            max_message_size: config.max_message_size,
        });
        let (frames, frames_rx) = mpsc::unbounded_channel();
        let can_pass_fds = writer.can_pass_fds();
        static NEXT_CONN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
        let span = match mode {
            Mode::Qmp => tracing::debug_span!("qmp_client", conn),
            Mode::Qga => tracing::debug_span!("qga_client", conn),
        };
        tokio::spawn(read_task(shared.clone(), reader, events).instrument(span.clone()));
        tokio::spawn(write_task(shared.clone(), writer, frames_rx).instrument(span.clone()));
        Conn {
            shared,
            frames,
            config,
            greeting,
            oob: AtomicBool::new(false),
            #[cfg(feature = "qga")]
            needs_resync: AtomicBool::new(false),
            fd_lock: tokio::sync::Mutex::new(()),
            can_pass_fds,
            span,
        }
    }

    pub(crate) fn oob_enabled(&self) -> bool {
        self.oob.load(Ordering::Acquire)
    }

    pub(crate) fn set_oob(&self, on: bool) {
        self.oob.store(on, Ordering::Release);
    }

    /// Closes the connection; pending calls fail with
    /// [`Error::Disconnected`].
    pub(crate) fn close(&self) {
        self.shared.close(CloseReason::Closed);
    }

    pub(crate) fn is_closed(&self) -> bool {
        *self.shared.closing.borrow()
    }

    /// Waits until the connection is closed.
    pub(crate) async fn closed(&self) {
        let mut rx = self.shared.closing.subscribe();
        let _ = rx.wait_for(|closed| *closed).await;
    }

    /// A new subscription to the connection's events.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<EventItem<E>> {
        match &*lock(&self.shared.events) {
            Some(tx) => tx.subscribe(),
            None => broadcast::channel(1).1,
        }
    }

    /// Sends a command and waits for its reply (`None` for commands without
    /// one), within `timeout`.
    pub(crate) async fn call(
        &self,
        call: Call<'_>,
        timeout: Option<Duration>,
    ) -> Result<Option<ReplyBody>, Error> {
        with_timeout(timeout, self.call_inner(call))
            .instrument(self.span.clone())
            .await
    }

    async fn call_inner(&self, call: Call<'_>) -> Result<Option<ReplyBody>, Error> {
        let _fd_guard = if call.fds.is_empty() {
            None
        } else if !self.can_pass_fds {
            return Err(Error::Unsupported(
                "file descriptors can only be passed over a Unix socket on Linux",
            ));
        } else {
            // One fd-carrying command at a time: QEMU hands the received
            // descriptors to whichever `getfd`/`add-fd` runs next.
            Some(self.fd_lock.lock().await)
        };
        let permit = if call.oob {
            None
        } else {
            Some(self.acquire().await?)
        };
        let bytes = request_prefix(call.name, call.oob, call.args.as_deref());
        if call.reply {
            let (tx, rx) = oneshot::channel();
            let pending = Pending {
                tx,
                _permit: permit,
            };
            let id = self.submit(bytes, call.fds, Awaits::Reply(pending))?;
            debug!(command = call.name, id, oob = call.oob, "command queued");
            self.outcome(rx).await.map(Some)
        } else {
            let (tx, rx) = oneshot::channel();
            let id = self.submit(bytes, call.fds, Awaits::Written(tx))?;
            debug!(command = call.name, id, "command without reply queued");
            let r = self.outcome(rx).await.map(|()| None);
            drop(permit);
            r
        }
    }

    /// What the reader or writer says of a request; the connection's end
    /// if neither will.
    pub(super) async fn outcome<T>(
        &self,
        rx: oneshot::Receiver<Result<T, Error>>,
    ) -> Result<T, Error> {
        match rx.await {
            Ok(r) => r,
            Err(_) => Err(self.shared.closed_error()),
        }
    }

    pub(super) async fn acquire(&self) -> Result<OwnedSemaphorePermit, Error> {
        self.shared
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| self.shared.closed_error())
    }

    /// Allocates an id, completes the request with it, registers what the
    /// caller awaits and queues the request, all under the lock so that
    /// requests are written in id order.
    pub(super) fn submit(
        &self,
        mut bytes: Vec<u8>,
        fds: Fds,
        awaits: Awaits,
    ) -> Result<u64, Error> {
        let mut st = lock(&self.shared.state);
        if let Some(reason) = &st.closed {
            return Err(reason.error());
        }
        let id = st.next_id;
        st.next_id += 1;
        bytes.extend_from_slice(id.to_string().as_bytes());
        bytes.extend_from_slice(b"}\n");
        let then = match awaits {
            Awaits::Reply(pending) => {
                st.pending.insert(id, pending);
                Then::Nothing
            }
            Awaits::Written(tx) => Then::Tell(tx),
            Awaits::Resync(pending, value) => {
                st.pending.insert(id, pending);
                Then::Resync(Resync { value, id })
            }
        };
        if self.frames.send(Frame { bytes, fds, then }).is_err() {
            st.pending.remove(&id);
            return Err(st.closed_error());
        }
        Ok(id)
    }
}

/// Runs `fut` within `timeout`.
pub(crate) async fn with_timeout<T>(
    timeout: Option<Duration>,
    fut: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match timeout {
        Some(d) => tokio::time::timeout(d, fut)
            .await
            .unwrap_or(Err(Error::Timeout(d))),
        None => fut.await,
    }
}

/// `{"execute":NAME,"arguments":ARGS,"id":` (the id and `}` follow).
pub(super) fn request_prefix(name: &str, oob: bool, args: Option<&str>) -> Vec<u8> {
    let mut v = Vec::with_capacity(name.len() + args.map_or(0, str::len) + 64);
    v.extend_from_slice(if oob {
        b"{\"exec-oob\":"
    } else {
        b"{\"execute\":"
    });
    wire::push_json_str(&mut v, name);
    if let Some(args) = args {
        v.extend_from_slice(b",\"arguments\":");
        v.extend_from_slice(args.as_bytes());
    }
    v.extend_from_slice(b",\"id\":");
    v
}

async fn read_task<E: EventSet>(
    shared: Arc<Shared<E>>,
    mut reader: LineReader,
    events: broadcast::Sender<EventItem<E>>,
) {
    let mut closing = shared.closing.subscribe();
    let reason = tokio::select! {
        biased;
        _ = closing.wait_for(|closed| *closed) => None,
        reason = read_loop(&shared, &mut reader, &events) => Some(reason),
    };
    if let Some(reason) = reason {
        shared.close(reason);
    }
}

async fn read_loop<E: EventSet>(
    shared: &Shared<E>,
    reader: &mut LineReader,
    events: &broadcast::Sender<EventItem<E>>,
) -> CloseReason {
    loop {
        let mut after_delimiter = false;
        if shared.resync_state().is_some() {
            match reader.skip_past(0xFF).await {
                Ok(true) => after_delimiter = true,
                Ok(false) => return CloseReason::Eof,
                Err(e) => return CloseReason::from_io(e),
            }
        }
        match reader.read_line().await {
            Ok(ReadLine::Line) => {}
            Ok(ReadLine::Eof) => return CloseReason::Eof,
            Ok(ReadLine::TooLong) => {
                if shared.resync_state().is_some() {
                    continue;
                }
                return CloseReason::Protocol(format!(
                    "a message exceeds the limit of {} bytes",
                    shared.max_message_size
                ));
            }
            Err(e) => return CloseReason::from_io(e),
        }
        if let Some(rs) = shared.resync_state() {
            let line = &reader.buf;
            let start = match line.iter().rposition(|&b| b == 0xFF) {
                Some(i) => i + 1,
                None if after_delimiter => 0,
                None => {
                    trace!(
                        len = line.len(),
                        "discarding data before the sync delimiter"
                    );
                    continue;
                }
            };
            shared.try_finish_resync(rs, &line[start..]);
            continue;
        }
        if let Err(reason) = handle_line(shared, reader, events) {
            return reason;
        }
    }
}

/// Handles one line read in normal mode.
fn handle_line<E: EventSet>(
    shared: &Shared<E>,
    reader: &mut LineReader,
    events: &broadcast::Sender<EventItem<E>>,
) -> Result<(), CloseReason> {
    let mut bytes = std::mem::take(&mut reader.buf);
    if shared.mode == Mode::Qga {
        // A reply to a guest-sync-delimited sent with execute_raw.
        let skip = bytes.iter().take_while(|&&b| b == 0xFF).count();
        bytes.drain(..skip);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        reader.buf = bytes;
        return Ok(());
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return Err(CloseReason::Protocol(format!(
                "a message is not UTF-8: {}",
                wire::preview(e.as_bytes())
            )));
        }
    };
    let malformed =
        |what: &str| CloseReason::Protocol(format!("{what}: {}", wire::preview(text.as_bytes())));
    let msg: Incoming<'_> = match serde_json::from_str(&text) {
        Ok(m) => m,
        Err(e) => {
            return Err(malformed(&format!(
                "malformed message ({})",
                wire::error_text(&e)
            )));
        }
    };
    if msg.greeting.is_some() {
        // QEMU 7.2 sometimes greets twice a client that connects while it
        // is still starting.  A greeting asks for nothing: ignored.
        warn!("second greeting, ignored");
        return Ok(());
    }
    if let Some(name) = &msg.event {
        let timestamp = msg.timestamp.unwrap_or_default();
        debug!(event = %name, len = text.len(), "event received");
        if events.receiver_count() > 0 {
            let item = match E::decode(name, msg.data) {
                Ok(event) => Ok(Arc::new(EventMessage { event, timestamp })),
                Err(e) => {
                    warn!(event = %name, error = %e, "cannot decode an event");
                    Err(Arc::new(UndecodedEvent {
                        name: name.to_string(),
                        data: msg.data.map(ToOwned::to_owned),
                        timestamp,
                        error: wire::error_text(&e),
                    }))
                }
            };
            let _ = events.send(item);
        }
        drop(msg);
        reader.buf = text.into_bytes();
        return Ok(());
    }
    let result = match (msg.error, msg.ret) {
        (Some(error), _) => Err(error),
        (None, Some(ret)) => Ok(ret),
        (None, None) => return Err(malformed("a message is neither a reply nor an event")),
    };
    let Some(raw_id) = msg.id else {
        return Err(match result {
            Err(e) => malformed(&format!("an error reply without id ({e})")),
            Ok(_) => malformed("a reply without id"),
        });
    };
    let id = raw_id.get().parse::<u64>().ok();
    let pending = id.and_then(|id| lock(&shared.state).pending.remove(&id));
    let Some(pending) = pending else {
        return Err(malformed(&format!(
            "a reply with an id the client never sent ({})",
            raw_id.get()
        )));
    };
    let id = id.unwrap_or_default();
    let reply = match result {
        Err(e) => {
            debug!(id, class = %e.class, "error reply received");
            Err(Error::Qmp(e))
        }
        Ok(ret) => {
            debug!(id, len = text.len(), "reply received");
            let value = ret.get();
            // Hand over the whole line rather than copying `return` out.
            Ok(
                match (value.as_ptr() as usize).checked_sub(text.as_ptr() as usize) {
                    Some(start)
                        if start
                            .checked_add(value.len())
                            .is_some_and(|end| end <= text.len()) =>
                    {
                        let end = start + value.len();
                        ReplyBody { text, start, end }
                    }
                    _ => ReplyBody::copy(value),
                },
            )
        }
    };
    if pending.tx.send(reply).is_err() {
        debug!(id, "discarding the reply to an abandoned call");
    }
    Ok(())
}

async fn write_task<E: EventSet>(
    shared: Arc<Shared<E>>,
    mut writer: WriteHalf,
    mut frames: mpsc::UnboundedReceiver<Frame>,
) {
    let mut closing = shared.closing.subscribe();
    let reason = loop {
        let frame = tokio::select! {
            biased;
            _ = closing.wait_for(|closed| *closed) => break None,
            frame = frames.recv() => frame,
        };
        // All client handles are gone.
        let Some(frame) = frame else {
            break Some(CloseReason::Closed);
        };
        let tell = match frame.then {
            Then::Nothing => None,
            Then::Tell(tx) => Some(tx),
            Then::Resync(rs) => {
                shared.begin_resync(rs);
                None
            }
        };
        trace!(len = frame.bytes.len(), fds = frame.fds.len(), "writing");
        let written = tokio::select! {
            biased;
            _ = closing.wait_for(|closed| *closed) => break None,
            r = writer.write_frame(&frame.bytes, &frame.fds) => r,
        };
        match written {
            Ok(()) => {
                if let Some(tx) = tell {
                    let _ = tx.send(Ok(()));
                }
            }
            Err(e) => {
                let reason = CloseReason::from_io(e);
                if let Some(tx) = tell {
                    let _ = tx.send(Err(reason.error()));
                }
                break Some(reason);
            }
        }
    };
    if let Some(reason) = reason {
        shared.close(reason);
    }
    writer.shutdown().await;
}
