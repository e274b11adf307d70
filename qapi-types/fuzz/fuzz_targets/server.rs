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

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;

use qapi_types::serde_json::{self, Value, value::RawValue};
use qapi_types::server::{CommandInfo, Dispatch, DispatchFuture, Server, call};
use qapi_types::{Command, Empty, QmpError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "../../tests/support/addr.rs"]
mod addr;
use addr::{Addr, AddrBranch, Kind, KindOrAddr};

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
