//! Decoding real and crafted messages with generated types, and encoding
//! them back: the seed's `info_checkpoint` replies with QEMU 5.2 plus the
//! COLO extension, and values a schema does not know (newer QEMU) landing
//! in catch-all variants.

use qapi_tests::bindings::fixtures;
use qapi_types::EventSet;
use qapi_types::serde_json::{self, Value, json};

/// Decodes `value` as `T` and encodes it back: the result must equal the
/// input.
fn round_trip<T>(value: &Value) -> T
where
    T: qapi_types::serde::Serialize + qapi_types::serde::de::DeserializeOwned,
{
    let typed: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value}"));
    let back = serde_json::to_value(&typed).expect("encodes");
    assert_eq!(&back, value, "re-encoded value differs");
    typed
}

#[test]
fn unknown_enum_values_are_kept() {
    use fixtures::flat_union::Driver;
    let d: Driver = serde_json::from_value(json!("file")).unwrap();
    assert_eq!(d, Driver::File);
    let d: Driver = serde_json::from_value(json!("quantum-disk")).unwrap();
    assert_eq!(d, Driver::Unknown("quantum-disk".into()));
    assert_eq!(serde_json::to_value(&d).unwrap(), json!("quantum-disk"));
    assert!(serde_json::from_value::<Driver>(json!(3)).is_err());
}

#[test]
fn a_value_named_like_the_catch_all_keeps_its_name() {
    use fixtures::enums::Colour;
    let c: Colour = serde_json::from_value(json!("unknown")).unwrap();
    assert_eq!(c, Colour::Unknown);
    let c: Colour = serde_json::from_value(json!("purple")).unwrap();
    assert_eq!(c, Colour::UnknownValue("purple".into()));
    assert_eq!(
        Colour::VALUES,
        ["red", "dark-blue", "x-green", "1", "unknown", "type"]
    );
}

#[test]
fn flat_unions_decode_whatever_the_member_order() {
    use fixtures::flat_union::{FileOptions, Options, OptionsDriver};
    let want = Options {
        node_name: Some("disk0".into()),
        driver: OptionsDriver::File(FileOptions {
            filename: "/img".into(),
            locking: Some(true),
        }),
    };
    for text in [
        r#"{"driver": "file", "node-name": "disk0", "filename": "/img", "locking": true}"#,
        r#"{"filename": "/img", "locking": true, "node-name": "disk0", "driver": "file"}"#,
        r#"{"locking": true, "driver": "file", "filename": "/img", "node-name": "disk0"}"#,
    ] {
        let got: Options = serde_json::from_str(text).unwrap();
        assert_eq!(got, want, "{text}");
    }
    round_trip::<Options>(&json!({"driver": "null"}));
    round_trip::<Options>(&json!({"driver": "file", "filename": "/x"}));
    // A branch whose struct has no members.
    let host: Options = round_trip(&json!({"driver": "host", "node-name": "h"}));
    assert_eq!(host.driver, OptionsDriver::Host(Default::default()));
    // A member missing.
    let err = serde_json::from_str::<Options>(r#"{"driver": "file"}"#).unwrap_err();
    assert!(
        err.to_string().contains("missing field `filename`"),
        "{err}"
    );
    let err = serde_json::from_str::<Options>(r#"{"filename": "/x"}"#).unwrap_err();
    assert!(err.to_string().contains("missing field `driver`"), "{err}");
}

#[test]
fn unknown_union_branches_are_kept() {
    use fixtures::flat_union::{Options, OptionsDriver};
    let value = json!({"driver": "quantum-disk", "node-name": "q", "qubits": 64});
    let o: Options = round_trip(&value);
    assert_eq!(o.node_name.as_deref(), Some("q"));
    match &o.driver {
        OptionsDriver::Unknown { tag, members } => {
            assert_eq!(tag, "quantum-disk");
            assert_eq!(members.get("qubits"), Some(&json!(64)));
        }
        other => panic!("not the catch-all: {other:?}"),
    }
    assert_eq!(o.driver().as_str(), "quantum-disk");
}

#[test]
fn unknown_members_are_ignored() {
    use fixtures::structs::Base;
    let b: Base = serde_json::from_str(r#"{"id": "x", "added-in-qemu-99": [1, 2]}"#).unwrap();
    assert_eq!(b.id, "x");
}

#[test]
fn simple_unions_use_type_and_data() {
    use fixtures::simple_union::{Address, Inet};
    let a: Address = round_trip(&json!({"type": "inet", "data": {"host": "h", "port": "1"}}));
    assert_eq!(
        a,
        Address::Inet(Inet {
            host: "h".into(),
            port: "1".into()
        })
    );
    let a: Address = round_trip(&json!({"data": [3, 4], "type": "fds"}));
    assert_eq!(a, Address::Fds(vec![3, 4]));
    let a: Address = round_trip(&json!({"type": "vsock", "data": {"cid": "3"}}));
    assert!(matches!(a, Address::Unknown { ref tag, .. } if tag == "vsock"));
}

#[test]
fn alternates_choose_by_json_type() {
    use fixtures::alternates::{Level, Obj, Scalar, StrOrObj};
    assert_eq!(round_trip::<StrOrObj>(&json!("s")), StrOrObj::S("s".into()));
    assert_eq!(
        round_trip::<StrOrObj>(&json!({"x": 1})),
        StrOrObj::O(Obj { x: 1 })
    );
    assert_eq!(
        round_trip::<StrOrObj>(&json!([1, 2])),
        StrOrObj::A(vec![1, 2])
    );
    assert!(serde_json::from_value::<StrOrObj>(json!(true)).is_err());
    assert_eq!(round_trip::<Scalar>(&json!(-5)), Scalar::I(-5));
    assert_eq!(round_trip::<Scalar>(&json!(false)), Scalar::B(false));
    assert_eq!(
        round_trip::<Scalar>(&json!(null)),
        Scalar::N(qapi_types::Null)
    );
    assert_eq!(round_trip::<Scalar>(&json!("high")), Scalar::L(Level::High));
    // An int8 branch takes no value out of its range.
    assert!(serde_json::from_value::<Scalar>(json!(300)).is_err());
}

#[test]
fn recursive_types_nest() {
    use fixtures::recursive::{Image, Node, Tree};
    let img: Image =
        round_trip(&json!({"name": "a", "backing": {"name": "b", "backing": {"name": "c"}}}));
    assert_eq!(
        img.backing
            .as_ref()
            .and_then(|b| b.backing.as_ref())
            .map(|c| c.name.as_str()),
        Some("c")
    );
    let t: Tree = round_trip(&json!({"node": {"node": "leaf"}}));
    assert!(matches!(t.node, Node::Tree(ref inner) if matches!(inner.node, Node::Leaf(_))));
    // Only the alternate's branch that leads back is boxed, and `From`
    // hides the box: the tree built by hand is the tree decoded.
    let built = Tree {
        node: Node::from(Tree {
            node: Node::from("leaf"),
        }),
    };
    assert_eq!(built, t);
}

#[test]
fn events_decode_into_their_variants_or_the_catch_all() {
    use fixtures::events::{Event, MigrationPass};
    let raw = |s: &str| serde_json::value::RawValue::from_string(s.to_string()).unwrap();
    let e = Event::decode("MIGRATION_PASS", Some(&raw(r#"{"pass": 3}"#))).unwrap();
    assert_eq!(e, Event::MigrationPass(MigrationPass { pass: 3 }));
    assert_eq!(e.name(), "MIGRATION_PASS");
    assert_eq!(e.data().unwrap(), Some(json!({"pass": 3})));
    let e = Event::decode("STOP", None).unwrap();
    assert!(matches!(e, Event::Stop(_)));
    assert_eq!(e.data().unwrap(), None);
    let e = Event::decode("NEW_IN_QEMU_99", Some(&raw(r#"{"x": [1]}"#))).unwrap();
    assert_eq!(
        e,
        Event::Unknown {
            name: "NEW_IN_QEMU_99".into(),
            data: Some(json!({"x": [1]}))
        }
    );
    assert_eq!(e.name(), "NEW_IN_QEMU_99");
}

#[test]
fn commands_carry_their_properties() {
    use fixtures::commands::{Ping, QueryInfos, Shutdown};
    use qapi_types::{Command, JsonKind};
    assert_eq!(QueryInfos::NAME, "query-infos");
    const { assert!(Ping::ALLOW_OOB) };
    const { assert!(!Shutdown::SUCCESS_RESPONSE) };
    let args = QueryInfos::ARGUMENTS.expect("a plain struct");
    assert_eq!(args.len(), 2);
    assert_eq!(
        (args[0].name, args[0].optional, args[0].kind),
        ("filter", true, JsonKind::Array)
    );
    assert_eq!(
        (args[1].name, args[1].optional, args[1].kind),
        ("limit", false, JsonKind::Unsigned)
    );
    let q = QueryInfos {
        filter: None,
        limit: 3,
    };
    assert_eq!(serde_json::to_value(&q).unwrap(), json!({"limit": 3}));
}

#[test]
fn project_schema_decodes_a_colo_reply() {
    use qapi_tests::bindings::project::CheckpointRecorder;
    // One of seed 001's recorded replies (1 vCPU, 2 GiB).
    let reply = json!({"tot_time": 4295509854u64, "wait_time": 17651743242u64, "init_time": 140781582,
        "put_time": 26804, "stat_time": 31396893, "resume_time": 251641, "load_time": 597324359,
        "dev_size": 16919, "dev_time": 595551, "ram_size": 0, "avg_time": 715918309,
        "recv_time": 1947, "tot_num": 6, "ram_time": 86318844, "info": {"expected-downtime": 1277,
        "status": "colo", "setup-time": 42, "total-time": 334026, "ram": {"total": 2165121024u64,
        "postcopy-requests": 0, "dirty-sync-count": 36, "multifd-bytes": 0, "pages-per-second": 1760,
        "page-size": 4096, "remaining": 0, "mbps": 53.822902, "transferred": 1677952185u64,
        "duplicate": 553349, "dirty-pages-rate": 208, "skipped": 0, "normal-bytes": 1669709824u64,
        "normal": 407644}}});
    let r: CheckpointRecorder = round_trip(&reply);
    assert_eq!(r.tot_num, 6);
    assert_eq!(r.avg_time, r.tot_time / r.tot_num);
}

#[cfg(qapi_shared)]
mod seeds {
    use super::*;
    use qapi_tests::bindings::qemu::colo_5_2::{CheckpointRecorder, InfoCheckpoint};
    use qapi_tests::shared;

    /// The JSON replies recorded in seed 001: each line starting with
    /// `{"return":`, up to its matching brace (a trailing `{"timestamp"}`
    /// is no JSON and is dropped).
    fn seed_replies(text: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for line in text.lines().filter(|l| l.starts_with(r#"{"return":"#)) {
            let mut depth = 0i32;
            let mut end = line.len();
            for (i, c) in line.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            out.push(serde_json::from_str(&line[..end]).unwrap_or_else(|e| panic!("{e}: {line}")));
        }
        out
    }

    #[test]
    fn seed_001_replies_decode_into_checkpoint_recorder() {
        let Some(seeds) = shared::path("seed_001_replies", "seeds") else {
            return;
        };
        let file = std::fs::read_dir(&seeds)
            .expect("readable")
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().starts_with("001_"))
            .expect("seed 001 is in the shared directory");
        let text = std::fs::read_to_string(file.path()).expect("readable");
        let replies = seed_replies(&text);
        assert_eq!(replies.len(), 9, "seed 001 records nine replies");
        for reply in &replies {
            let ret = &reply["return"];
            let r: CheckpointRecorder = round_trip(ret);
            // The seed's data: fill_checkpoint_recorder averages over
            // tot_num.
            assert_eq!(r.avg_time, r.tot_time / r.tot_num, "{ret}");
            assert!(r.info.ram.is_some());
        }
        // And they are what `info_checkpoint` returns.
        let _: Option<<InfoCheckpoint as qapi_types::Command>::Returns> =
            None::<CheckpointRecorder>;
    }

    /// One binding for the fork and upstream 10.2 reads the fork's replies:
    /// the members 10.2 added to `MigrationInfo` since 5.2 are optional.
    #[test]
    fn seed_001_replies_decode_with_the_fork_merged_into_10_2() {
        use qapi_tests::bindings::qemu::colo_merged as m;
        use qapi_types::Provenance;
        let Some(seeds) = shared::path("seed_001_replies_merged", "seeds") else {
            return;
        };
        let file = std::fs::read_dir(&seeds)
            .expect("readable")
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().starts_with("001_"))
            .expect("seed 001 is in the shared directory");
        let replies = seed_replies(&std::fs::read_to_string(file.path()).expect("readable"));
        assert_eq!(replies.len(), 9);
        for reply in &replies {
            let r: m::CheckpointRecorder = round_trip(&reply["return"]);
            let ram = r.info.ram.expect("the seed's replies have ram statistics");
            // Required in 10.2 (since 7.0), absent from the fork's QEMU.
            assert_eq!(ram.precopy_bytes, None);
        }
        // What only the fork has, the bindings say so.
        assert_eq!(m::InfoCheckpoint::SCHEMAS, Some(&["5.2+COLO"][..]));
        assert_eq!(m::CheckpointRecorder::SCHEMAS, Some(&["5.2+COLO"][..]));
        assert_eq!(m::QueryMigrate::SCHEMAS, None);
        assert_eq!(
            m::MigrationStats::schemas_of("precopy-bytes"),
            Some(&["10.2"][..])
        );
    }
}

#[test]
fn oldest_makes_newer_members_optional_in_what_servers_send() {
    use qapi_tests::bindings::since_oldest as old;
    use qapi_types::{Provenance, VersionTriple};
    // QEMU 4.2's machine had no `acpi` (8.0): the 4.2-and-later bindings
    // decode it, the plain ones do not.
    let reply = json!({"name": "pc", "cpu-max": 255});
    let m: old::MachineInfo = round_trip(&reply);
    assert_eq!(m.acpi, None);
    let err = serde_json::from_value::<fixtures::since::MachineInfo>(reply).unwrap_err();
    assert!(err.to_string().contains("missing field `acpi`"), "{err}");
    // Events too.
    let e = <old::Event as EventSet>::decode("RESET", Some(&raw(r#"{"guest": true}"#))).unwrap();
    assert_eq!(
        e,
        old::Event::Reset(old::Reset {
            guest: true,
            reason: None
        })
    );
    // What only a client sends keeps its required members.
    let err = serde_json::from_value::<old::Options>(json!({"id": "a"})).unwrap_err();
    assert!(err.to_string().contains("missing field `size`"), "{err}");
    let _: old::Configure = round_trip(&json!({"options": {"id": "a", "size": 1}, "mode": "safe"}));
    // Versions of introduction, as data.
    let v = |major, minor| Some(VersionTriple::new(major, minor, 0));
    assert_eq!(old::MachineInfo::SINCE, v(1, 2));
    assert_eq!(old::MachineInfo::since_of("acpi"), v(8, 0));
    assert_eq!(old::MachineInfo::since_of("name"), v(1, 2));
    assert_eq!(old::QueryMachines::SINCE, v(1, 2));
    assert_eq!(old::QueryMachines::since_of("compat"), v(9, 1));
    assert_eq!(old::Mode::since_of("slow"), v(2, 4));
    assert_eq!(old::Mode::since_of("safe"), v(3, 0));
    assert_eq!(old::Reset::since_of("reason"), v(5, 0));
    // One schema: every item is in it.
    assert_eq!(old::MachineInfo::SCHEMAS, None);
    assert_eq!(old::MachineInfo::schemas_of("acpi"), None);
}

fn raw(json: &str) -> Box<qapi_types::serde_json::value::RawValue> {
    qapi_types::serde_json::value::RawValue::from_string(json.to_string()).unwrap()
}

/// Bindings merged from two schemas read what servers of either send, and
/// build what clients of either send.
#[test]
fn merged_bindings_take_both_schemas() {
    use qapi_tests::bindings::merged as m;
    use qapi_types::Provenance;
    // The old server's status: a string state, `legacy`, no `uptime`.
    let old: m::Status = round_trip(&json!({"running": true, "state": "paused", "legacy": 1}));
    assert_eq!(old.state, m::RunState::Paused);
    assert_eq!((old.uptime, old.legacy), (None, Some(1)));
    let new: m::Status =
        round_trip(&json!({"running": false, "state": "suspended", "uptime": 5, "extra": "x"}));
    assert_eq!(new.state, m::RunState::Suspended);
    // The old simple union's branch the new flat union lacks.
    let a: m::Addr = round_trip(&json!({"type": "unix", "data": {"path": "/s"}}));
    assert_eq!(
        a.r#type,
        m::AddrTypeBranch::Unix(m::UnixWrapper {
            data: m::Unix { path: "/s".into() }
        })
    );
    let _: m::Addr = round_trip(&json!({"type": "inet", "data": {"host": "h", "port": "1"}}));
    // An argument that was a string and is an integer: either.
    let c: m::Connect = round_trip(
        &json!({"addr": {"type": "inet", "data": {"host": "h", "port": "1"}}, "timeout": "soon"}),
    );
    assert_eq!(c.timeout, Some(m::IntOrStr::Str("soon".into())));
    let c: m::Connect =
        round_trip(&json!({"addr": {"type": "unix", "data": {"path": "/s"}}, "timeout": 3}));
    assert_eq!(c.timeout, Some(m::IntOrStr::Int(3)));
    // Returns of either shape.
    let i: m::Info = round_trip(&json!({"name": "a", "id": 3}));
    assert_eq!((i.size, i.id), (None, Some(3)));
    let _: m::Info = round_trip(&json!({"name": "a", "size": 3}));
    assert!(serde_json::from_value::<m::Info>(json!({"size": 3})).is_err());
    // Which schemas have what.
    assert_eq!(m::LegacyReset::SCHEMAS, Some(&["old.json"][..]));
    assert_eq!(m::Stopped::SCHEMAS, Some(&["new.json"][..]));
    assert_eq!(m::QueryStatus::SCHEMAS, None);
    assert_eq!(m::Status::schemas_of("legacy"), Some(&["old.json"][..]));
    assert_eq!(m::Status::schemas_of("running"), None);
}

/// What users write: constructors of the required members, `From` into
/// unions and alternates, the boxed command's method taking its type.
#[test]
fn constructors_and_conversions() {
    use fixtures::flat_union::{FileOptions, NbdOptions, Options, OptionsDriver};
    // `new` takes the required members; the optional ones are `None`, and
    // struct update syntax sets those wanted.
    let file = FileOptions::new("/img");
    assert_eq!(
        file,
        FileOptions {
            filename: "/img".into(),
            locking: None
        }
    );
    let locked = FileOptions {
        locking: Some(true),
        ..FileOptions::new("/img")
    };
    // A branch's value converts into its union, the union's optional base
    // members left `None`.
    let opts: Options = locked.clone().into();
    assert_eq!(opts.driver, OptionsDriver::File(locked.clone()));
    assert_eq!(opts.node_name, None);
    let named = Options {
        node_name: Some("n".into()),
        ..Options::new(NbdOptions::new("exp"))
    };
    let _: Options = round_trip(&json!({"driver": "nbd", "node-name": "n", "export": "exp"}));
    assert_eq!(
        serde_json::to_value(&named).unwrap(),
        json!({"node-name": "n", "driver": "nbd", "export": "exp"})
    );
}

/// The schema's `VersionInfo` is `qapi_types::VersionInfo`: what the
/// greeting holds and what `query-version` returns are one type.
#[cfg(qapi_shared)]
#[test]
fn version_types_are_shared() {
    use qapi_tests::bindings::qemu::v7_2::qmp;
    let greeting: qapi_types::VersionInfo = qapi_types::VersionInfo {
        qemu: qapi_types::VersionTriple::new(7, 2, 0),
        package: String::new(),
    };
    let reply: <qmp::QueryVersion as qapi_types::Command>::Returns = greeting.clone();
    let same: qmp::VersionInfo = reply;
    assert_eq!(same, greeting);
    assert_eq!(
        <qmp::VersionTriple as qapi_types::Provenance>::SINCE,
        Some(qapi_types::VersionTriple::new(2, 4, 0))
    );
}
