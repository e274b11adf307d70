//! Hand-written bindings shaped like qapi-gen's output, a scripted fake QMP
//! peer, and helpers shared by the runtime's integration tests.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use qapi_types::serde_json::{self, Value, value::RawValue};
use qapi_types::{ArgInfo, Command, Empty, EventSet, JsonKind, QmpError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

/// Runs a test body with a deadline, so that no test can hang.
pub async fn deadline<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("test did not finish within 30 s")
}

// ---------------------------------------------------------------- types

/// `RunState`, with a catch-all for values newer than the schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunState {
    Debug,
    Inmigrate,
    Paused,
    Prelaunch,
    Running,
    Shutdown,
    /// A value this schema does not know.
    Unknown(String),
}

impl RunState {
    fn as_str(&self) -> &str {
        match self {
            RunState::Debug => "debug",
            RunState::Inmigrate => "inmigrate",
            RunState::Paused => "paused",
            RunState::Prelaunch => "prelaunch",
            RunState::Running => "running",
            RunState::Shutdown => "shutdown",
            RunState::Unknown(s) => s,
        }
    }
}

impl Serialize for RunState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RunState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(match &*s {
            "debug" => RunState::Debug,
            "inmigrate" => RunState::Inmigrate,
            "paused" => RunState::Paused,
            "prelaunch" => RunState::Prelaunch,
            "running" => RunState::Running,
            "shutdown" => RunState::Shutdown,
            other => RunState::Unknown(other.to_owned()),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusInfo {
    pub running: bool,
    pub status: RunState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub singlestep: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddfdInfo {
    #[serde(rename = "fdset-id")]
    pub fdset_id: i64,
    pub fd: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FdsetFdInfo {
    pub fd: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opaque: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FdsetInfo {
    #[serde(rename = "fdset-id")]
    pub fdset_id: i64,
    pub fds: Vec<FdsetFdInfo>,
}

/// `SchemaInfo`, only the members the tests look at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchemaInfo {
    pub name: String,
    #[serde(rename = "meta-type")]
    pub meta_type: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GuestAgentInfo {
    pub version: String,
}

// ------------------------------------------------------------- commands

macro_rules! command {
    ($ty:ident, $name:literal, $ret:ty $(, $c:ident : $t:ty = $v:expr)*) => {
        impl Command for $ty {
            const NAME: &'static str = $name;
            type Returns = $ret;
            $(const $c: $t = $v;)*
        }
    };
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct QueryStatus {}
command!(QueryStatus, "query-status", StatusInfo);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct QueryVersion {}
command!(QueryVersion, "query-version", qapi_types::VersionInfo);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Stop {}
command!(Stop, "stop", Empty);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Cont {}
command!(Cont, "cont", Empty);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct QueryQmpSchema {}
command!(QueryQmpSchema, "query-qmp-schema", Vec<SchemaInfo>);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetLink {
    pub name: String,
    pub up: bool,
}
command!(
    SetLink,
    "set_link",
    Empty,
    ARGUMENTS: Option<&'static [ArgInfo]> = Some(&[
        ArgInfo { name: "name", optional: false, kind: JsonKind::String },
        ArgInfo { name: "up", optional: false, kind: JsonKind::Boolean },
    ])
);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HumanMonitorCommand {
    #[serde(rename = "command-line")]
    pub command_line: String,
    #[serde(rename = "cpu-index", default, skip_serializing_if = "Option::is_none")]
    pub cpu_index: Option<i64>,
}
command!(
    HumanMonitorCommand,
    "human-monitor-command",
    String,
    ARGUMENTS: Option<&'static [ArgInfo]> = Some(&[
        ArgInfo { name: "command-line", optional: false, kind: JsonKind::String },
        ArgInfo { name: "cpu-index", optional: true, kind: JsonKind::Integer },
    ])
);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Getfd {
    pub fdname: String,
}
command!(
    Getfd,
    "getfd",
    Empty,
    ARGUMENTS: Option<&'static [ArgInfo]> = Some(&[
        ArgInfo { name: "fdname", optional: false, kind: JsonKind::String },
    ])
);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Closefd {
    pub fdname: String,
}
command!(Closefd, "closefd", Empty);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AddFd {
    #[serde(rename = "fdset-id", default, skip_serializing_if = "Option::is_none")]
    pub fdset_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opaque: Option<String>,
}
command!(AddFd, "add-fd", AddfdInfo);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct QueryFdsets {}
command!(QueryFdsets, "query-fdsets", Vec<FdsetInfo>);

/// `migrate-pause`: allows out-of-band execution.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MigratePause {}
command!(MigratePause, "migrate-pause", Empty, ALLOW_OOB: bool = true);

/// `migrate-set-parameters`, a few of its members (an unsigned integer, a
/// `uint8`, an enumeration, a boolean).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MigrateSetParameters {
    #[serde(
        rename = "max-bandwidth",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_bandwidth: Option<u64>,
    #[serde(
        rename = "multifd-channels",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub multifd_channels: Option<u8>,
    #[serde(
        rename = "multifd-compression",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub multifd_compression: Option<String>,
    #[serde(
        rename = "block-incremental",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub block_incremental: Option<bool>,
}
command!(
    MigrateSetParameters,
    "migrate-set-parameters",
    Empty,
    ARGUMENTS: Option<&'static [ArgInfo]> = Some(&[
        ArgInfo { name: "max-bandwidth", optional: true, kind: JsonKind::Unsigned },
        ArgInfo { name: "multifd-channels", optional: true, kind: JsonKind::Unsigned },
        ArgInfo { name: "multifd-compression", optional: true,
                  kind: JsonKind::Enum(&["none", "zlib", "zstd"]) },
        ArgInfo { name: "block-incremental", optional: true, kind: JsonKind::Boolean },
    ])
);

/// A test command covering the other argument kinds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct XArgs {
    pub count: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opts: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nothing: Option<qapi_types::Null>,
}
command!(
    XArgs,
    "x-args",
    Empty,
    ARGUMENTS: Option<&'static [ArgInfo]> = Some(&[
        ArgInfo { name: "count", optional: false, kind: JsonKind::Integer },
        ArgInfo { name: "ratio", optional: true, kind: JsonKind::Number },
        ArgInfo { name: "tags", optional: true, kind: JsonKind::Array },
        ArgInfo { name: "opts", optional: true, kind: JsonKind::Object },
        ArgInfo { name: "nothing", optional: true, kind: JsonKind::Null },
    ])
);

/// A test command returning its argument.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct XEcho {
    pub value: i64,
}
command!(
    XEcho,
    "x-echo",
    i64,
    ARGUMENTS: Option<&'static [ArgInfo]> = Some(&[
        ArgInfo { name: "value", optional: false, kind: JsonKind::Integer },
    ])
);

/// A test command that blocks until the test releases it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct XBlock {}
command!(XBlock, "x-block", Empty);

/// A test command allowed out of band.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct XOobPing {}
command!(XOobPing, "x-oob-ping", String, ALLOW_OOB: bool = true);

/// A test command without `success-response`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct XNoReply {}
command!(XNoReply, "x-no-reply", Empty, SUCCESS_RESPONSE: bool = false);

/// A command whose reply is a long string.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct XBig {}
command!(XBig, "x-big", Vec<String>);

// QGA commands.

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GuestPing {}
command!(GuestPing, "guest-ping", Empty);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GuestInfo {}
command!(GuestInfo, "guest-info", GuestAgentInfo);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GuestGetTime {}
command!(GuestGetTime, "guest-get-time", i64);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GuestShutdown {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}
command!(GuestShutdown, "guest-shutdown", Empty, SUCCESS_RESPONSE: bool = false);

// --------------------------------------------------------------- events

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StopEvent {}
impl qapi_types::Event for StopEvent {
    const NAME: &'static str = "STOP";
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResumeEvent {}
impl qapi_types::Event for ResumeEvent {
    const NAME: &'static str = "RESUME";
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShutdownEvent {
    pub guest: bool,
    pub reason: String,
}
impl qapi_types::Event for ShutdownEvent {
    const NAME: &'static str = "SHUTDOWN";
}

/// All events of the test schema, with a catch-all.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Stop(StopEvent),
    Resume(ResumeEvent),
    Shutdown(ShutdownEvent),
    /// An event the schema does not know.
    Unknown {
        name: String,
        data: Option<Value>,
    },
}

fn data<T: DeserializeOwned>(data: Option<&RawValue>) -> Result<T, serde_json::Error> {
    serde_json::from_str(data.map_or("{}", RawValue::get))
}

impl EventSet for Event {
    fn decode(name: &str, d: Option<&RawValue>) -> Result<Self, serde_json::Error> {
        Ok(match name {
            "STOP" => Event::Stop(data(d)?),
            "RESUME" => Event::Resume(data(d)?),
            "SHUTDOWN" => Event::Shutdown(data(d)?),
            _ => Event::Unknown {
                name: name.to_owned(),
                data: d.map(|d| serde_json::from_str(d.get())).transpose()?,
            },
        })
    }

    fn name(&self) -> &str {
        match self {
            Event::Stop(_) => "STOP",
            Event::Resume(_) => "RESUME",
            Event::Shutdown(_) => "SHUTDOWN",
            Event::Unknown { name, .. } => name,
        }
    }

    fn data(&self) -> Result<Option<Value>, serde_json::Error> {
        match self {
            Event::Stop(_) | Event::Resume(_) => Ok(None),
            Event::Shutdown(d) => serde_json::to_value(d).map(Some),
            Event::Unknown { data, .. } => Ok(data.clone()),
        }
    }
}

// ------------------------------------------- a generated-style dispatcher

#[cfg(feature = "server")]
pub mod server {
    use super::*;
    use qapi_types::server::{CommandInfo, Dispatch, DispatchFuture, call};

    /// The handler trait, as the generator emits it.
    pub trait Handler: Send + Sync + 'static {
        fn query_status(&self) -> impl Future<Output = Result<StatusInfo, QmpError>> + Send {
            async { Err(QmpError::command_not_found("query-status")) }
        }
        fn set_link(&self, args: SetLink) -> impl Future<Output = Result<Empty, QmpError>> + Send {
            let _ = args;
            async { Err(QmpError::command_not_found("set_link")) }
        }
        fn human_monitor_command(
            &self,
            args: HumanMonitorCommand,
        ) -> impl Future<Output = Result<String, QmpError>> + Send {
            let _ = args;
            async { Err(QmpError::command_not_found("human-monitor-command")) }
        }
        fn migrate_set_parameters(
            &self,
            args: MigrateSetParameters,
        ) -> impl Future<Output = Result<Empty, QmpError>> + Send {
            let _ = args;
            async { Err(QmpError::command_not_found("migrate-set-parameters")) }
        }
        fn x_args(&self, args: XArgs) -> impl Future<Output = Result<Empty, QmpError>> + Send {
            let _ = args;
            async { Err(QmpError::command_not_found("x-args")) }
        }
        fn x_echo(&self, args: XEcho) -> impl Future<Output = Result<i64, QmpError>> + Send {
            let _ = args;
            async { Err(QmpError::command_not_found("x-echo")) }
        }
        fn x_block(&self) -> impl Future<Output = Result<Empty, QmpError>> + Send {
            async { Err(QmpError::command_not_found("x-block")) }
        }
        fn x_oob_ping(&self) -> impl Future<Output = Result<String, QmpError>> + Send {
            async { Err(QmpError::command_not_found("x-oob-ping")) }
        }
        fn x_no_reply(&self) -> impl Future<Output = Result<Empty, QmpError>> + Send {
            async { Err(QmpError::command_not_found("x-no-reply")) }
        }
    }

    /// The dispatcher, as the generator emits it.
    pub struct Dispatcher<H>(pub H);

    impl<H: Handler> Dispatch for Dispatcher<H> {
        fn command_info(&self, name: &str) -> Option<CommandInfo> {
            Some(match name {
                "query-status" => CommandInfo::of::<QueryStatus>(),
                "set_link" => CommandInfo::of::<SetLink>(),
                "human-monitor-command" => CommandInfo::of::<HumanMonitorCommand>(),
                "migrate-set-parameters" => CommandInfo::of::<MigrateSetParameters>(),
                "x-args" => CommandInfo::of::<XArgs>(),
                "x-echo" => CommandInfo::of::<XEcho>(),
                "x-block" => CommandInfo::of::<XBlock>(),
                "x-oob-ping" => CommandInfo::of::<XOobPing>(),
                "x-no-reply" => CommandInfo::of::<XNoReply>(),
                _ => return None,
            })
        }

        fn dispatch<'a>(
            &'a self,
            name: &'a str,
            arguments: Option<&'a RawValue>,
        ) -> DispatchFuture<'a> {
            Box::pin(async move {
                match name {
                    "query-status" => call(arguments, |_: QueryStatus| self.0.query_status()).await,
                    "set_link" => call(arguments, |a: SetLink| self.0.set_link(a)).await,
                    "human-monitor-command" => {
                        call(arguments, |a: HumanMonitorCommand| {
                            self.0.human_monitor_command(a)
                        })
                        .await
                    }
                    "migrate-set-parameters" => {
                        call(arguments, |a: MigrateSetParameters| {
                            self.0.migrate_set_parameters(a)
                        })
                        .await
                    }
                    "x-args" => call(arguments, |a: XArgs| self.0.x_args(a)).await,
                    "x-echo" => call(arguments, |a: XEcho| self.0.x_echo(a)).await,
                    "x-block" => call(arguments, |_: XBlock| self.0.x_block()).await,
                    "x-oob-ping" => call(arguments, |_: XOobPing| self.0.x_oob_ping()).await,
                    "x-no-reply" => call(arguments, |_: XNoReply| self.0.x_no_reply()).await,
                    _ => Err(QmpError::command_not_found(name)),
                }
            })
        }
    }
}

// ------------------------------------------------------- a fake QMP peer

/// The peer end of a socket pair, scripted by a test.
pub struct Peer {
    reader: BufReader<OwnedReadHalf>,
    pub writer: OwnedWriteHalf,
}

impl Peer {
    pub fn new(stream: UnixStream) -> Self {
        let (r, w) = stream.into_split();
        Peer {
            reader: BufReader::new(r),
            writer: w,
        }
    }

    /// The next line the client sent, parsed (bytes 0xFF before it skipped);
    /// `None` at end of stream.
    pub async fn try_read(&mut self) -> Option<Value> {
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = self.reader.read_until(b'\n', &mut line).await.ok()?;
            if n == 0 {
                return None;
            }
            let start = line.iter().take_while(|&&b| b == 0xFF).count();
            if line[start..].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(serde_json::from_slice(&line[start..]).expect("client sent bad JSON"));
        }
    }

    /// The next line exactly as the client sent it (empty at end of stream).
    pub async fn read_raw(&mut self) -> Vec<u8> {
        let mut line = Vec::new();
        self.reader
            .read_until(b'\n', &mut line)
            .await
            .expect("read");
        line
    }

    /// The next request; panics at end of stream.
    pub async fn read(&mut self) -> Value {
        self.try_read().await.expect("client closed the connection")
    }

    /// Whether the client sends something within `wait` (used to check that
    /// it does *not*).
    pub async fn sends_within(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, self.reader.fill_buf())
            .await
            .is_ok_and(|r| r.is_ok_and(|b| !b.is_empty()))
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write to client");
    }

    pub async fn send_json(&mut self, v: &Value) {
        let mut line = serde_json::to_vec(v).expect("encode");
        line.extend_from_slice(b"\r\n");
        self.send(&line).await;
    }

    pub async fn reply(&mut self, id: &Value, ret: Value) {
        self.send_json(&serde_json::json!({"return": ret, "id": id}))
            .await;
    }

    pub async fn event(&mut self, name: &str, data: Option<Value>) {
        let mut v = serde_json::json!({"event": name, "timestamp": {"seconds": 1700000000, "microseconds": 42}});
        if let Some(d) = data {
            v["data"] = d;
        }
        self.send_json(&v).await;
    }

    /// Plays QEMU's side of the handshake; returns the negotiation request.
    pub async fn handshake(&mut self, capabilities: &[&str]) -> Value {
        self.send_json(&serde_json::json!({"QMP": {
            "version": {"qemu": {"major": 7, "minor": 2, "micro": 22}, "package": "fake"},
            "capabilities": capabilities,
        }}))
        .await;
        let req = self.read().await;
        assert_eq!(req["execute"], "qmp_capabilities");
        self.reply(&req["id"], serde_json::json!({})).await;
        req
    }
}

/// A client connected to a scripted peer that has done the handshake.
pub async fn connected(
    builder: qapi_types::client::ClientBuilder,
    capabilities: &'static [&'static str],
) -> (qapi_types::client::Client<Event>, Peer) {
    let (a, b) = UnixStream::pair().expect("socketpair");
    let peer = tokio::spawn(async move {
        let mut peer = Peer::new(b);
        peer.handshake(capabilities).await;
        peer
    });
    let client = builder.connect_unix_stream(a).await.expect("connect");
    (client, peer.await.expect("peer task"))
}
