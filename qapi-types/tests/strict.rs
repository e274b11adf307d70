//! Strict decoding (`qapi_types::strict`), with types shaped as qapi-gen
//! emits them (`object!`, `enumeration!`, a union's `Variants`, an
//! alternate's visitor): what a server must refuse, in QEMU's words with
//! the member's path, and what a client keeps decoding leniently.

use qapi_types::object::{self, Object, UnknownMembers, Variants};
use qapi_types::serde::de::{self, MapAccess};
use qapi_types::serde::ser::SerializeMap;
use qapi_types::serde_json::{self, Value, json};
use qapi_types::{QmpError, strict};

#[path = "support/addr.rs"]
mod addr;
use addr::{Addr, AddrBranch, InetAddr, Kind, KindOrAddr, UnixAddr};

/// Arguments of a command using all of the above.
#[derive(Clone, Debug, PartialEq)]
pub struct Start {
    pub addr: Addr,
    pub max: Option<u32>,
    pub small: Option<Vec<i8>>,
    pub kinds: Option<Vec<Kind>>,
    pub size: Option<u64>,
    pub count: Option<i64>,
    pub ratio: Option<f64>,
    pub peer: Option<KindOrAddr>,
    pub extra: Option<Value>,
}
qapi_types::object! {
    Start = "start" {
        addr: Req<Addr> = "addr",
        max: Opt<u32> = "max",
        small: Opt<Vec<i8>> = "small",
        kinds: Opt<Vec<Kind>> = "kinds",
        size: Opt<u64> = "size",
        count: Opt<i64> = "count",
        ratio: Opt<f64> = "ratio",
        peer: Opt<KindOrAddr> = "peer",
        extra: Opt<Value> = "extra",
    }
}

fn unix() -> Value {
    json!({"id": "a0", "type": "unix", "path": "/s"})
}

/// `args` with `addr` set to [`unix`] unless it has one.
fn with_addr(mut args: Value) -> Value {
    if let Some(m) = args.as_object_mut() {
        m.entry("addr").or_insert_with(unix);
    }
    args
}

fn strict_error(args: Value) -> String {
    match strict::from_value::<Start>(&args) {
        Ok(v) => panic!("{args} decoded strictly: {v:?}"),
        Err(QmpError { desc, .. }) => desc,
    }
}

#[test]
fn lenient_decoding_keeps_catch_alls_and_ignores_unknown_members() {
    let args = json!({
        "addr": {"id": "a", "type": "warp", "speed": 9},
        "kinds": ["unix", "tachyon"],
        "peer": "ansible",
        "bogus": 1,
    });
    let start: Start = serde_json::from_value(args).unwrap();
    assert_eq!(start.addr.r#type.tag(), Kind::Unknown("warp".into()));
    assert_eq!(
        start.kinds,
        Some(vec![Kind::Unix, Kind::Unknown("tachyon".into())])
    );
    assert_eq!(
        start.peer,
        Some(KindOrAddr::Kind(Kind::Unknown("ansible".into())))
    );
    // A strict decoding before or after does not change that.
    let _ = strict::from_value::<Start>(&json!({}));
    let again: Kind = serde_json::from_value(json!("warp")).unwrap();
    assert_eq!(again, Kind::Unknown("warp".into()));
    assert!(!strict::is_active());
}

#[test]
fn strict_decoding_of_good_arguments() {
    let args = json!({
        "addr": {"type": "inet", "id": "x", "host": "h", "port": "1", "to": 65535},
        "max": 4294967295u32,
        "small": [-128, 127],
        "kinds": ["inet"],
        "size": -1,
        "count": -9223372036854775808i64,
        "ratio": 2,
        "peer": {"host": "p", "port": "2"},
        "extra": {"anything": [null, 1.5]},
    });
    let start: Start = strict::from_value(&args).unwrap();
    assert_eq!(
        start,
        Start {
            addr: Addr {
                id: "x".into(),
                r#type: AddrBranch::Inet(InetAddr {
                    host: "h".into(),
                    port: "1".into(),
                    to: Some(65535),
                    nested: None,
                }),
            },
            max: Some(u32::MAX),
            small: Some(vec![-128, 127]),
            kinds: Some(vec![Kind::Inet]),
            // QEMU wraps negative numbers for uint64.
            size: Some(u64::MAX),
            count: Some(i64::MIN),
            ratio: Some(2.0),
            peer: Some(KindOrAddr::Addr(InetAddr {
                host: "p".into(),
                port: "2".into(),
                to: None,
                nested: None,
            })),
            extra: Some(json!({"anything": [null, 1.5]})),
        }
    );
    let s: Start = strict::from_value(&json!({"addr": unix(), "peer": "unix"})).unwrap();
    assert_eq!(s.peer, Some(KindOrAddr::Kind(Kind::Unix)));
}

#[test]
fn strict_decoding_refuses_what_qemu_refuses_in_its_words() {
    let cases: Vec<(Value, &str)> = vec![
        // Types, with the full path.
        (
            json!({"addr": {"id": "a", "type": "unix", "path": 5}}),
            "Invalid parameter type for 'addr.path', expected: string",
        ),
        (
            json!({"addr": {"id": "a", "type": "unix", "path": "/s", "abstract": "yes"}}),
            "Invalid parameter type for 'addr.abstract', expected: boolean",
        ),
        (
            json!({"addr": 5}),
            "Invalid parameter type for 'addr', expected: object",
        ),
        (
            json!({"addr": {"id": "a", "type": 1}}),
            "Invalid parameter type for 'addr.type', expected: string",
        ),
        (
            with_addr(json!({"small": {}})),
            "Invalid parameter type for 'small', expected: array",
        ),
        (
            with_addr(json!({"small": [1, "x"]})),
            "Invalid parameter type for 'small[1]', expected: integer",
        ),
        (
            with_addr(json!({"count": 1.0})),
            "Invalid parameter type for 'count', expected: integer",
        ),
        (
            with_addr(json!({"count": 9223372036854775808u64})),
            "Invalid parameter type for 'count', expected: integer",
        ),
        (
            with_addr(json!({"ratio": "x"})),
            "Invalid parameter type for 'ratio', expected: number",
        ),
        (
            with_addr(json!({"max": null})),
            "Parameter 'max' expects uint64",
        ),
        (
            with_addr(json!({"size": 1.5})),
            "Parameter 'size' expects uint64",
        ),
        // Ranges: the member's own name, `null` in a list, C's type.
        (
            with_addr(json!({"max": 4294967296u64})),
            "Parameter 'max' expects uint32_t",
        ),
        (
            with_addr(json!({"max": -1})),
            "Parameter 'max' expects uint32_t",
        ),
        (
            json!({"addr": {"id": "a", "type": "inet", "host": "h", "port": "1", "to": 65536}}),
            "Parameter 'to' expects uint16_t",
        ),
        (
            with_addr(json!({"small": [0, 128]})),
            "Parameter 'null' expects int8_t",
        ),
        // Missing members, at their place in schema order.
        (json!({}), "Parameter 'addr' is missing"),
        (json!({"addr": {}}), "Parameter 'addr.type' is missing"),
        (
            json!({"addr": {"type": "unix", "path": 5}}),
            "Parameter 'addr.id' is missing",
        ),
        (
            json!({"addr": {"id": "a", "type": "inet", "host": "h"}}),
            "Parameter 'addr.port' is missing",
        ),
        // Unknown values and tags: refused, never a catch-all.
        (
            json!({"addr": {"id": "a", "type": "warp"}}),
            "Parameter 'type' does not accept value 'warp'",
        ),
        (
            with_addr(json!({"kinds": ["unix", "tachyon"]})),
            "Parameter 'null' does not accept value 'tachyon'",
        ),
        // Alternates.
        (
            with_addr(json!({"peer": "ansible"})),
            "Parameter 'peer' does not accept value 'ansible'",
        ),
        (
            with_addr(json!({"peer": 5})),
            "Invalid parameter type for 'peer', expected: KindOrAddr",
        ),
        (
            with_addr(json!({"peer": {"host": "h"}})),
            "Parameter 'peer.port' is missing",
        ),
        (
            with_addr(json!({"peer": {"host": "h", "port": "1", "x": 0}})),
            "Parameter 'peer.x' is unexpected",
        ),
        // Unexpected members, after everything else.
        (
            json!({"addr": {"id": "a", "type": "unix", "path": "/s", "speed": 9}}),
            "Parameter 'addr.speed' is unexpected",
        ),
        (
            with_addr(json!({"bogus": 1})),
            "Parameter 'bogus' is unexpected",
        ),
        (
            json!({"bogus": 1, "addr": {"id": "a", "type": "unix"}}),
            "Parameter 'addr.path' is missing",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(strict_error(args.clone()), want, "{args}");
    }
}

#[test]
fn strict_text_input() {
    let e = strict::from_str::<Start>("{\"addr\": ").unwrap_err();
    assert!(e.desc.starts_with("JSON parse error, "), "{e}");
    let ok: Start = strict::from_str(r#"{"addr": {"id": "i", "type": "unix", "path": "/p"}}"#)
        .expect("good arguments");
    assert_eq!(
        ok.addr.r#type,
        AddrBranch::Unix(UnixAddr {
            path: "/p".into(),
            r#abstract: None
        })
    );
}

#[derive(Clone, Debug, PartialEq)]
pub enum Transport {
    Socket,
    Exec,
    Unknown(String),
}
qapi_types::enumeration! { Transport { Socket = "socket", Exec = "exec" } Unknown }

#[derive(Clone, Debug, PartialEq)]
pub struct Exec {
    pub args: Vec<String>,
}
qapi_types::object! { Exec = "Exec" { args: Req<Vec<String>> = "args" } }

/// A union whose `socket` branch is itself a union ([`Addr`]), flattened,
/// as `MigrationAddress` is.
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    pub transport: ChannelBranch,
}
qapi_types::object! {
    Channel = "Channel" {}
    transport: ChannelBranch = "transport"
}

#[derive(Clone, Debug, PartialEq)]
pub enum ChannelBranch {
    Socket(Addr),
    Exec(Exec),
    Unknown {
        tag: String,
        members: UnknownMembers,
    },
}

pub enum ChannelSlots {
    Socket(<Addr as Object>::Slots),
    Exec(<Exec as Object>::Slots),
    Unknown(String, UnknownMembers),
}

impl Variants for ChannelBranch {
    type Tag = Transport;
    type Slots = ChannelSlots;
    fn slots(tag: Transport) -> ChannelSlots {
        match tag {
            Transport::Socket => ChannelSlots::Socket(Addr::slots()),
            Transport::Exec => ChannelSlots::Exec(Exec::slots()),
            Transport::Unknown(t) => ChannelSlots::Unknown(t, UnknownMembers::new()),
        }
    }
    fn member<'de, A: MapAccess<'de>>(
        slots: &mut ChannelSlots,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match slots {
            ChannelSlots::Socket(s) => Addr::member(s, key, map),
            ChannelSlots::Exec(s) => Exec::member(s, key, map),
            ChannelSlots::Unknown(_, m) => object::unknown_member(m, key, map),
        }
    }
    fn finish<E: de::Error>(slots: ChannelSlots) -> Result<Self, E> {
        Ok(match slots {
            ChannelSlots::Socket(s) => Self::Socket(Addr::finish(s)?),
            ChannelSlots::Exec(s) => Self::Exec(Exec::finish(s)?),
            ChannelSlots::Unknown(tag, members) => Self::Unknown { tag, members },
        })
    }
    fn tag(&self) -> Transport {
        match self {
            Self::Socket(_) => Transport::Socket,
            Self::Exec(_) => Transport::Exec,
            Self::Unknown { tag, .. } => Transport::from_wire(tag),
        }
    }
    fn serialize_members<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        match self {
            Self::Socket(v) => v.serialize_members(map),
            Self::Exec(v) => v.serialize_members(map),
            Self::Unknown { members, .. } => object::serialize_unknown(members, map),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Migrate {
    pub channels: Vec<Channel>,
}
qapi_types::object! { Migrate = "migrate" { channels: Req<Vec<Channel>> = "channels" } }

fn migrate_error(text: &str) -> String {
    match strict::from_str::<Migrate>(text) {
        Ok(v) => panic!("{text} decoded strictly: {v:?}"),
        Err(e) => e.desc,
    }
}

#[test]
fn a_union_within_a_union_branch() {
    // The inner union's members may come before its tag, in any order.
    let m: Migrate = strict::from_str(
        r#"{"channels": [{"path": "/m", "transport": "socket", "id": "c", "type": "unix"}]}"#,
    )
    .unwrap();
    assert_eq!(
        m.channels[0].transport,
        ChannelBranch::Socket(Addr {
            id: "c".into(),
            r#type: AddrBranch::Unix(UnixAddr {
                path: "/m".into(),
                r#abstract: None
            })
        })
    );
    let cases = [
        (
            r#"{"channels": [{"path": 5, "transport": "socket", "id": "c", "type": "unix"}]}"#,
            "Invalid parameter type for 'channels[0].path', expected: string",
        ),
        (
            r#"{"channels": [{"transport": "socket", "id": "c", "type": "unix"}]}"#,
            "Parameter 'channels[0].path' is missing",
        ),
        (
            r#"{"channels": [{"transport": "socket", "id": "c"}]}"#,
            "Parameter 'channels[0].type' is missing",
        ),
        (
            r#"{"channels": [{"transport": "socket", "id": "c", "type": "warp"}]}"#,
            "Parameter 'type' does not accept value 'warp'",
        ),
        (
            r#"{"channels": [{"speed": 1, "transport": "socket", "id": "c", "type": "unix", "path": "/m"}]}"#,
            "Parameter 'channels[0].speed' is unexpected",
        ),
        (
            r#"{"channels": [{"transport": "warp"}]}"#,
            "Parameter 'transport' does not accept value 'warp'",
        ),
        (
            r#"{"channels": [{"transport": "exec", "args": ["a", 1]}]}"#,
            "Invalid parameter type for 'channels[0].args[1]', expected: string",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(migrate_error(text), want, "{text}");
    }
}

#[test]
fn text_keeps_the_order_qemu_depends_on() {
    // QEMU names "b" of these three (its hash table's first); the order
    // the members came in matters for it, so `from_str` keeps it.
    let e = strict::from_str::<UnixAddr>(r#"{"path": "/p", "a": 1, "b": 2, "c": 3}"#).unwrap_err();
    assert_eq!(e.desc, "Parameter 'b' is unexpected");
    // A repeated key, at any depth, is a parse error.
    let e = strict::from_str::<Start>(r#"{"addr": {"id": "a", "id": "b"}}"#).unwrap_err();
    assert_eq!(e.desc, "JSON parse error, duplicate key");
}
