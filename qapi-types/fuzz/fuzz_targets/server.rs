//! The QMP server's input path: bytes in, replies out.
//!
//! The first byte picks how the rest is used:
//!
//! - even: sent as they are, after negotiation, to a server with a few
//!   commands (arguments with a union, an alternate, lists, enumerations
//!   and integers of every width; an out-of-band command; one without
//!   success response);
//! - odd: read as JSON values, each sent as the `arguments` of a `start`
//!   request with a numbered id.
//!
//! Checked besides "no panic" (a panic in any task aborts, through the
//! fuzzer's panic hook): every line out is a JSON object, the greeting
//! first, then replies with `return` or a well-formed `error`; in the
//! second mode each request gets exactly one reply, in order, with its
//! id; the handler never sees a catch-all variant.  Memory is bounded by
//! libFuzzer's `-rss_limit_mb` and `-malloc_limit_mb`.

#![no_main]

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use qapi_types::object::{self, Object, UnknownMembers, Variants};
use qapi_types::serde::de::{self, MapAccess, Visitor};
use qapi_types::serde::ser::SerializeMap;
use qapi_types::serde_json::{self, Value, value::RawValue};
use qapi_types::server::{CommandInfo, Dispatch, DispatchFuture, Server, call};
use qapi_types::{Command, Empty, QmpError};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Unix,
    Inet,
    Unknown(String),
}
qapi_types::enumeration! { Kind { Unix = "unix", Inet = "inet" } Unknown }

#[derive(Clone, Debug, PartialEq)]
pub struct UnixAddr {
    pub path: String,
    pub r#abstract: Option<bool>,
}
qapi_types::object! {
    UnixAddr = "UnixAddr" {
        path: Req<String> = "path",
        r#abstract: Opt<bool> = "abstract",
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct InetAddr {
    pub host: String,
    pub port: String,
    pub to: Option<u16>,
    pub nested: Option<Vec<Box<Addr>>>,
}
qapi_types::object! {
    InetAddr = "InetAddr" {
        host: Req<String> = "host",
        port: Req<String> = "port",
        to: Opt<u16> = "to",
        nested: Opt<Vec<Box<Addr>>> = "nested",
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Addr {
    pub id: String,
    pub r#type: AddrBranch,
}
qapi_types::object! {
    Addr = "Addr" { id: Req<String> = "id" }
    r#type: AddrBranch = "type"
}

#[derive(Clone, Debug, PartialEq)]
pub enum AddrBranch {
    Unix(UnixAddr),
    Inet(InetAddr),
    Unknown { tag: String, members: UnknownMembers },
}

pub enum AddrSlots {
    Unix(<UnixAddr as Object>::Slots),
    Inet(<InetAddr as Object>::Slots),
    Unknown(String, UnknownMembers),
}

impl Variants for AddrBranch {
    type Tag = Kind;
    type Slots = AddrSlots;
    fn slots(tag: Kind) -> AddrSlots {
        match tag {
            Kind::Unix => AddrSlots::Unix(UnixAddr::slots()),
            Kind::Inet => AddrSlots::Inet(InetAddr::slots()),
            Kind::Unknown(t) => AddrSlots::Unknown(t, UnknownMembers::new()),
        }
    }
    fn member<'de, A: MapAccess<'de>>(
        slots: &mut AddrSlots,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match slots {
            AddrSlots::Unix(s) => UnixAddr::member(s, key, map),
            AddrSlots::Inet(s) => InetAddr::member(s, key, map),
            AddrSlots::Unknown(_, m) => object::unknown_member(m, key, map),
        }
    }
    fn finish<E: de::Error>(slots: AddrSlots) -> Result<Self, E> {
        Ok(match slots {
            AddrSlots::Unix(s) => Self::Unix(UnixAddr::finish(s)?),
            AddrSlots::Inet(s) => Self::Inet(InetAddr::finish(s)?),
            AddrSlots::Unknown(tag, members) => Self::Unknown { tag, members },
        })
    }
    fn tag(&self) -> Kind {
        match self {
            Self::Unix(_) => Kind::Unix,
            Self::Inet(_) => Kind::Inet,
            Self::Unknown { tag, .. } => Kind::from_wire(tag),
        }
    }
    fn serialize_members<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        match self {
            Self::Unix(v) => v.serialize_members(map),
            Self::Inet(v) => v.serialize_members(map),
            Self::Unknown { members, .. } => object::serialize_unknown(members, map),
        }
    }
}

/// An alternate, as generated: an enumeration or an object.
#[derive(Clone, Debug, PartialEq)]
pub enum KindOrAddr {
    Kind(Kind),
    Addr(InetAddr),
}

impl Serialize for KindOrAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Kind(v) => v.serialize(s),
            Self::Addr(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for KindOrAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KindOrAddr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an object for KindOrAddr")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KindOrAddr, E> {
                Ok(KindOrAddr::Kind(Kind::from_wire(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KindOrAddr, A::Error> {
                InetAddr::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(KindOrAddr::Addr)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Start {
    pub addr: Addr,
    pub max: Option<u32>,
    pub small: Option<Vec<i8>>,
    pub mid: Option<i16>,
    pub wide: Option<i32>,
    pub byte: Option<u8>,
    pub kinds: Option<Vec<Kind>>,
    pub size: Option<u64>,
    pub count: Option<i64>,
    pub ratio: Option<f64>,
    pub peer: Option<KindOrAddr>,
    pub extra: Option<Value>,
    pub none: Option<qapi_types::Null>,
}
qapi_types::object! {
    Start = "start" {
        addr: Req<Addr> = "addr",
        max: Opt<u32> = "max",
        small: Opt<Vec<i8>> = "small",
        mid: Opt<i16> = "mid",
        wide: Opt<i32> = "wide",
        byte: Opt<u8> = "byte",
        kinds: Opt<Vec<Kind>> = "kinds",
        size: Opt<u64> = "size",
        count: Opt<i64> = "count",
        ratio: Opt<f64> = "ratio",
        peer: Opt<KindOrAddr> = "peer",
        extra: Opt<Value> = "extra",
        none: Opt<qapi_types::Null> = "none",
    }
}
impl Command for Start {
    const NAME: &'static str = "start";
    type Returns = Empty;
    const ARGUMENTS: Option<&'static [qapi_types::ArgInfo]> = None;
}

#[derive(Clone, Debug, PartialEq)]
pub struct NoArgs {}
qapi_types::object! { NoArgs = "query-status" {} }
impl Command for NoArgs {
    const NAME: &'static str = "query-status";
    type Returns = String;
}

/// Panics on a value no schema defines: the server must refuse it first.
fn check_addr(addr: &Addr) {
    match &addr.r#type {
        AddrBranch::Unknown { tag, .. } => panic!("the handler got tag {tag:?}"),
        AddrBranch::Inet(inet) => {
            for a in inet.nested.iter().flatten() {
                check_addr(a);
            }
        }
        AddrBranch::Unix(_) => {}
    }
}

fn check_kind(k: &Kind) {
    if let Kind::Unknown(v) = k {
        panic!("the handler got value {v:?}");
    }
}

struct Fuzzed;

impl Dispatch for Fuzzed {
    fn command_info(&self, name: &str) -> Option<CommandInfo> {
        match name {
            "start" | "query-status" => Some(CommandInfo::new()),
            "x-ping" => Some(CommandInfo::new().allow_oob(true)),
            "x-quiet" => Some(CommandInfo::new().success_response(false)),
            _ => None,
        }
    }

    fn dispatch<'a>(&'a self, name: &'a str, args: Option<&'a RawValue>) -> DispatchFuture<'a> {
        Box::pin(async move {
            match name {
                "start" => {
                    call(args, |s: Start| async move {
                        check_addr(&s.addr);
                        s.kinds.iter().flatten().for_each(check_kind);
                        if let Some(KindOrAddr::Kind(k)) = &s.peer {
                            check_kind(k);
                        }
                        Ok(Empty {})
                    })
                    .await
                }
                "query-status" | "x-ping" | "x-quiet" => {
                    call(args, |_: NoArgs| async { Ok("ok".to_owned()) }).await
                }
                _ => Err(QmpError::command_not_found(name)),
            }
        })
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a runtime")
    })
}

/// Sends `input` after negotiation and returns every line the server
/// wrote, once it has nothing left to do.
async fn exchange(input: &[u8]) -> Vec<Value> {
    let server = Server::builder(Fuzzed)
        .max_queued_messages(16)
        .max_queued_bytes(64 * 1024)
        .max_message_size(64 * 1024)
        .build();
    let (ours, theirs) = tokio::io::duplex(16 * 1024);
    let serving = tokio::spawn(async move { server.serve_stream(theirs).await });
    let (mut r, mut w) = tokio::io::split(ours);
    let reading = tokio::spawn(async move {
        let mut out = Vec::new();
        let _ = r.read_to_end(&mut out).await;
        out
    });
    let mut all = br#"{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}"#.to_vec();
    all.extend_from_slice(input);
    let writing = tokio::spawn(async move {
        let _ = w.write_all(&all).await;
        w
    });
    // With the clock paused, this ends once every task waits.
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let mut w = writing.await.expect("the writer");
    // End of input: the server closes the connection.
    let _ = w.shutdown().await;
    let _ = serving.await;
    let out = reading.await.expect("the reader");
    let text = std::str::from_utf8(&out).expect("the server writes UTF-8");
    assert!(text.is_empty() || text.ends_with("\r\n"), "{text:?}");
    text.split_terminator("\r\n")
        .map(|line| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not JSON: {e}: {line:?}"));
            assert!(v.is_object(), "{line}");
            v
        })
        .collect()
}

/// A reply: `return`, or an `error` with a class and a description.
fn check_reply(v: &Value) {
    if v.get("return").is_some() {
        assert!(v.get("error").is_none(), "{v}");
        return;
    }
    let e = v.get("error").unwrap_or_else(|| panic!("not a reply: {v}"));
    assert!(e["class"].is_string() && e["desc"].is_string(), "{v}");
    assert!(!e["desc"].as_str().unwrap_or("").is_empty(), "{v}");
}

fn raw(input: &[u8]) {
    let lines = runtime().block_on(exchange(input));
    let Some((greeting, rest)) = lines.split_first() else {
        panic!("no greeting");
    };
    assert!(greeting.get("QMP").is_some(), "{greeting}");
    for v in rest {
        check_reply(v);
    }
}

fn arguments(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let values: Vec<Value> = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .map_while(Result::ok)
        .take(64)
        .collect();
    let mut requests = Vec::new();
    for (i, args) in values.iter().enumerate() {
        let req = serde_json::json!({"execute": "start", "arguments": args, "id": i});
        requests.extend_from_slice(req.to_string().as_bytes());
    }
    let lines = runtime().block_on(exchange(&requests));
    assert_eq!(lines.len(), 2 + values.len(), "{lines:?}");
    assert_eq!(lines[1], serde_json::json!({"return": {}}));
    for (i, (args, reply)) in values.iter().zip(&lines[2..]).enumerate() {
        check_reply(reply);
        assert_eq!(reply["id"], i, "{reply}");
        if !args.is_object() {
            assert_eq!(
                reply["error"]["desc"], "QMP input member 'arguments' must be an object",
                "{args}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        raw(rest);
    } else {
        arguments(rest);
    }
});
