//! One server connection: the reader (framing and request routing), the
//! in-band executor, out-of-band tasks and the writer.
//!
//! The reader splits the input into JSON values and parses each once.
//! Requests with `exec-oob` (and no `execute`) run at once in their own
//! task, as in QEMU, at most 8 at a time; everything else, parse errors
//! included, goes to the in-band queue, whose executor runs one request at
//! a time in order.  The queue holds 8 requests; when it is full the reader
//! stops reading, like QEMU's monitor.  Replies and, once capabilities are
//! negotiated, the server's events go through the connection's
//! [`Outbox`], bounded in messages and bytes: a reply waits for room, so a
//! client that does not read its replies soon stops being read, and an
//! event that does not fit is dropped for that client.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{Semaphore, mpsc};
use tracing::{Instrument, debug, trace, warn};

use super::ServerInner;
use super::args::{bad_enum_value, check_arguments, invalid_type};
use super::dispatch::Dispatch;
use super::framing::{self, Item, Splitter};
use super::outbox::Outbox;
use crate::wire::Members;
use crate::{ArgInfo, ErrorClass, JsonKind, QmpError};

/// QEMU's `QMP_REQ_QUEUE_LEN_MAX`; also how many out-of-band commands may
/// run at once on one connection.
const QUEUE_LEN: usize = 8;

/// How much input the reader asks for at a time.
const READ_CHUNK: usize = 16 * 1024;

/// How much output the writer gathers into one write.
const WRITE_CHUNK: usize = 64 * 1024;

/// Negotiation state of one connection.
#[derive(Default)]
struct ConnState {
    negotiated: AtomicBool,
    oob: AtomicBool,
}

/// A request as received: its top-level members, values kept raw.
struct Request {
    members: Vec<(String, Box<RawValue>)>,
}

impl Request {
    fn get(&self, key: &str) -> Option<&RawValue> {
        self.members
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| &**v)
    }

    fn has(&self, key: &str) -> bool {
        self.members.iter().any(|(k, _)| k == key)
    }

    /// QEMU's `qmp_is_oob()`.
    fn is_oob(&self) -> bool {
        self.has("exec-oob") && !self.has("execute")
    }
}

/// What the in-band executor runs.
enum InBand {
    Request(Request),
    /// A request that could not be parsed: answered without id.
    Error(QmpError),
}

/// What the tasks of one connection share.
struct Conn<D> {
    inner: Arc<ServerInner<D>>,
    state: ConnState,
    outbox: Arc<Outbox>,
    id: u64,
}

/// Serves one connection until the client hangs up.
pub(crate) async fn serve<D, S>(
    inner: Arc<ServerInner<D>>,
    stream: S,
    conn_id: u64,
) -> io::Result<()>
where
    D: Dispatch,
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let span = tracing::debug_span!("qmp_server", conn = conn_id);
    let (mut read, write) = tokio::io::split(stream);
    let outbox = Arc::new(Outbox::new(inner.limits));
    // The queue is empty: the greeting fits.
    outbox.reply(greeting_line(&inner)?).await;
    let conn = Arc::new(Conn {
        inner,
        state: ConnState::default(),
        outbox: outbox.clone(),
        id: conn_id,
    });
    let writer = tokio::spawn(write_loop(write, outbox.clone()).instrument(span.clone()));
    let (queue, queue_rx) = mpsc::channel(QUEUE_LEN);
    tokio::spawn(in_band_loop(conn.clone(), queue_rx).instrument(span.clone()));
    let result = read_loop(&conn, &mut read, queue)
        .instrument(span.clone())
        .await;
    // QEMU drops what is queued when the client goes away.  Closed first,
    // then removed: see `Subscribers::insert`.
    outbox.close();
    conn.inner.subscribers.remove(conn_id);
    let _ = writer.await;
    span.in_scope(|| debug!("connection closed"));
    result
}

async fn read_loop<D: Dispatch, R: AsyncRead + Unpin>(
    conn: &Arc<Conn<D>>,
    read: &mut R,
    queue: mpsc::Sender<InBand>,
) -> io::Result<()> {
    let mut splitter = Splitter::new(conn.inner.max_message_size);
    let oob_slots = Arc::new(Semaphore::new(QUEUE_LEN));
    let mut buf = vec![0u8; READ_CHUNK];
    let mut items = Vec::new();
    loop {
        let n = match read.read(&mut buf).await {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(()),
            Err(e) => return Err(e),
        };
        splitter.feed(&buf[..n], &mut items);
        for item in items.drain(..) {
            let job = match item {
                Item::Error(desc) => InBand::Error(QmpError::generic(desc)),
                Item::Value(bytes) => parse_request(&bytes),
            };
            match job {
                InBand::Request(req) if req.is_oob() => {
                    // At most QUEUE_LEN at once: then the reader waits.
                    let Ok(slot) = oob_slots.clone().acquire_owned().await else {
                        return Ok(());
                    };
                    let conn = conn.clone();
                    tokio::spawn(
                        async move {
                            let (reply, _) = execute(&conn, &req).await;
                            if let Some(line) = reply {
                                conn.outbox.reply(line).await;
                            }
                            drop(slot);
                        }
                        .in_current_span(),
                    );
                }
                job => {
                    if queue.send(job).await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }
}

/// Parses one complete JSON value from the client.
fn parse_request(bytes: &[u8]) -> InBand {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            return InBand::Error(QmpError::generic(
                "JSON parse error, invalid UTF-8 sequence in string",
            ));
        }
    };
    if let Err(e) = crate::wire::check_duplicates(text) {
        return InBand::Error(QmpError::generic(framing::parse_error(&e, text)));
    }
    match Members::parse(text) {
        Ok(Members::Object(members)) => InBand::Request(Request {
            members: members
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.to_owned()))
                .collect(),
        }),
        Ok(Members::NotObject) => {
            InBand::Error(QmpError::generic("QMP input must be a JSON object"))
        }
        Err(e) => InBand::Error(QmpError::generic(framing::parse_error(&e, text))),
    }
}

async fn in_band_loop<D: Dispatch>(conn: Arc<Conn<D>>, mut queue: mpsc::Receiver<InBand>) {
    while let Some(job) = queue.recv().await {
        if conn.outbox.is_closed() {
            // QEMU drops queued requests when the client goes away.
            break;
        }
        match job {
            InBand::Error(e) => {
                debug!(desc = %e.desc, "bad request");
                conn.outbox.reply(reply_line(Err(e), None)).await;
            }
            InBand::Request(req) => {
                let (reply, negotiated) = execute(&conn, &req).await;
                if let Some(line) = reply {
                    conn.outbox.reply(line).await;
                }
                if negotiated {
                    // After the reply: events follow it.
                    conn.inner.subscribers.insert(conn.id, conn.outbox.clone());
                }
            }
        }
    }
}

/// The members in the order QEMU iterates a QDict; QEMU reports the
/// first problem it meets in that order.
fn qdict_order(members: &[(String, Box<RawValue>)]) -> Vec<&(String, Box<RawValue>)> {
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    crate::qemu_order::qdict_order(&keys)
        .into_iter()
        .map(|i| &members[i])
        .collect()
}

/// QEMU's `qmp_dispatch_check_obj()`: the command's name, or why the
/// request is malformed.
fn check_request(req: &Request, oob_enabled: bool) -> Result<String, QmpError> {
    let mut exec_key: Option<&str> = None;
    let mut name = String::new();
    for (key, value) in qdict_order(&req.members) {
        let key = key.as_str();
        if key == "execute" || (key == "exec-oob" && oob_enabled) {
            let Ok(s) = serde_json::from_str::<String>(value.get()) else {
                return Err(QmpError::generic(format!(
                    "QMP input member '{key}' must be a string"
                )));
            };
            if let Some(first) = exec_key {
                return Err(QmpError::generic(format!(
                    "QMP input member '{key}' clashes with '{first}'"
                )));
            }
            exec_key = Some(key);
            name = s;
        } else if key == "arguments" {
            if super::args::shape(value) != super::args::Shape::Object {
                return Err(QmpError::generic(
                    "QMP input member 'arguments' must be an object",
                ));
            }
        } else if key != "id" {
            return Err(QmpError::generic(format!(
                "QMP input member '{key}' is unexpected"
            )));
        }
    }
    if exec_key.is_none() {
        return Err(QmpError::generic("QMP input lacks member 'execute'"));
    }
    Ok(name)
}

/// Runs one request; returns the reply line (none for a successful command
/// without `success-response`) and whether it completed negotiation.
async fn execute<D: Dispatch>(conn: &Conn<D>, req: &Request) -> (Option<String>, bool) {
    let (inner, state) = (&*conn.inner, &conn.state);
    let id = req.get("id");
    let oob = req.is_oob();
    let name = match check_request(req, state.oob.load(Ordering::Acquire)) {
        Ok(name) => name,
        Err(e) => {
            debug!(desc = %e.desc, "bad request");
            return (Some(reply_line(Err(e), id)), false);
        }
    };
    debug!(command = %name, id = id.map(RawValue::get), oob, "request");
    let arguments = req.get("arguments");
    let negotiating = !state.negotiated.load(Ordering::Acquire);
    if name == "qmp_capabilities" {
        if oob {
            return (Some(reply_line(Err(no_oob(&name)), id)), false);
        }
        let r = negotiate(inner, state, arguments);
        let done = r.is_ok();
        return (Some(reply_line(r, id)), done);
    }
    if negotiating {
        let e = QmpError {
            class: ErrorClass::CommandNotFound,
            desc: "Expecting capabilities negotiation with 'qmp_capabilities'".into(),
        };
        return (Some(reply_line(Err(e), id)), false);
    }
    let Some(info) = inner.dispatch.command_info(&name) else {
        let e = QmpError::command_not_found(&name);
        return (Some(reply_line(Err(e), id)), false);
    };
    if oob && !info.allow_oob {
        return (Some(reply_line(Err(no_oob(&name)), id)), false);
    }
    let r = inner.dispatch.dispatch(&name, arguments).await;
    if r.is_ok() && !info.success_response {
        trace!(command = %name, "no reply: success-response is false");
        return (None, false);
    }
    (Some(reply_line(r, id)), false)
}

fn no_oob(name: &str) -> QmpError {
    QmpError::generic(format!("The command {name} does not support OOB"))
}

/// `qmp_capabilities`, as QEMU 7.2 answers it.
fn negotiate<D: Dispatch>(
    inner: &ServerInner<D>,
    state: &ConnState,
    arguments: Option<&RawValue>,
) -> Result<serde_json::Value, QmpError> {
    const SPEC: &[ArgInfo] = &[ArgInfo::optional("enable", JsonKind::Array)];
    check_arguments(SPEC, arguments)?;
    let mut enable: Vec<String> = Vec::new();
    let list = super::args::members(arguments)?
        .into_iter()
        .find(|(k, _)| k == "enable")
        .map(|(_, v)| v);
    if let Some(list) = list {
        let items: Vec<&RawValue> =
            serde_json::from_str(list.get()).map_err(|_| invalid_type("enable", "array"))?;
        for (i, item) in items.into_iter().enumerate() {
            let cap: String = serde_json::from_str(item.get())
                .map_err(|_| invalid_type(&format!("enable[{i}]"), "string"))?;
            // QMPCapability has `oob` only; a server may offer more.
            if cap != "oob" && !inner.offers(&cap) {
                // QEMU 7.2 names list elements "null" here.
                return Err(bad_enum_value("null", &cap));
            }
            enable.push(cap);
        }
    }
    if state.negotiated.load(Ordering::Acquire) {
        return Err(QmpError {
            class: ErrorClass::CommandNotFound,
            desc: "Capabilities negotiation is already complete, command ignored".into(),
        });
    }
    let unavailable: Vec<&str> = enable
        .iter()
        .map(String::as_str)
        .filter(|c| !inner.offers(c))
        .collect();
    if !unavailable.is_empty() {
        return Err(QmpError::generic(format!(
            "Capability {} not available",
            unavailable.join(", ")
        )));
    }
    state
        .oob
        .store(enable.iter().any(|c| c == "oob"), Ordering::Release);
    state.negotiated.store(true, Ordering::Release);
    debug!(capabilities = ?enable, "capabilities negotiated");
    Ok(serde_json::Value::Object(serde_json::Map::new()))
}

/// `{"return": ..., "id": ...}` or `{"error": ..., "id": ...}` plus CRLF.
fn reply_line(result: Result<serde_json::Value, QmpError>, id: Option<&RawValue>) -> String {
    #[derive(Serialize)]
    struct Reply<'a> {
        #[serde(rename = "return", skip_serializing_if = "Option::is_none")]
        ret: Option<&'a serde_json::Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a QmpError>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a RawValue>,
    }
    let reply = match &result {
        Ok(v) => Reply {
            ret: Some(v),
            error: None,
            id,
        },
        Err(e) => Reply {
            ret: None,
            error: Some(e),
            id,
        },
    };
    let mut line = serde_json::to_string(&reply).unwrap_or_else(|e| {
        warn!(error = %e, "cannot encode a reply");
        r#"{"error":{"class":"GenericError","desc":"cannot encode the reply"}}"#.to_owned()
    });
    line.push_str("\r\n");
    line
}

fn greeting_line<D>(inner: &ServerInner<D>) -> io::Result<String> {
    #[derive(Serialize)]
    struct Greeting<'a> {
        #[serde(rename = "QMP")]
        qmp: &'a crate::Greeting,
    }
    let mut line = serde_json::to_string(&Greeting {
        qmp: &inner.greeting,
    })
    .map_err(io::Error::other)?;
    line.push_str("\r\n");
    Ok(line)
}

/// Writes what the outbox holds, several messages per write, until the
/// connection closes or a write fails.
async fn write_loop<W: AsyncWrite>(write: W, outbox: Arc<Outbox>) {
    let mut write = std::pin::pin!(write);
    let mut buf = Vec::new();
    while outbox.take(&mut buf, WRITE_CHUNK).await {
        trace!(len = buf.len(), "writing");
        let r = match write.write_all(&buf).await {
            Ok(()) => write.flush().await,
            Err(e) => Err(e),
        };
        if let Err(e) = r {
            debug!(error = %e, "write failed");
            break;
        }
        buf.clear();
        if buf.capacity() > WRITE_CHUNK {
            // A large reply went out: do not keep its buffer.
            buf = Vec::new();
        }
    }
    // Releases producers waiting for room.
    outbox.close();
    let _ = write.shutdown().await;
}
