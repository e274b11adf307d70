//! `qapi_types::introspect` over real introspection: the `query-qmp-schema`
//! replies libvirt recorded from QEMU 4.2 ... 7.2 on six targets
//! (`$QAPI_SHARED_DIR/libvirt-replies/`).
//!
//! Every reply must decode completely and consistently with the raw JSON,
//! and path queries must give the answers the data hold, fact by fact,
//! for every transcript: what appeared in which version, what only some
//! targets have, optional and required members, union branches,
//! enumeration values and features.

use std::collections::BTreeSet;

use qapi_tests::replies::{self, Reply, Transcript, Version};
use qapi_types::introspect::{Definition, Schema};
use qapi_types::serde_json::{self, Value};

/// Every transcript with its decoded schema and the raw reply, or `None`
/// (reported) when the shared directory is absent.
fn schemas(test: &str) -> Option<Vec<(Transcript, Schema, Vec<Value>)>> {
    let dir = qapi_tests::shared::path(test, replies::DIR)?;
    let all = replies::read_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 28, "transcripts in {}", dir.display());
    let schemas = all
        .into_iter()
        .map(|t| {
            let raw = t
                .exchanges
                .iter()
                .find(|x| x.command == "query-qmp-schema")
                .and_then(|x| match &x.reply {
                    Reply::Return(Value::Array(raw)) => Some(raw.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("{}: no query-qmp-schema reply", t.file));
            let schema: Schema = serde_json::from_value(Value::Array(raw.clone()))
                .unwrap_or_else(|e| panic!("{}: {e}", t.file));
            (t, schema, raw)
        })
        .collect();
    Some(schemas)
}

const fn ver(major: u32, minor: u32) -> Version {
    Version { major, minor }
}

/// The names of the raw entities of `meta_type`.
fn raw_names<'a>(raw: &'a [Value], meta_type: &str) -> BTreeSet<&'a str> {
    raw.iter()
        .filter(|e| e["meta-type"] == meta_type)
        .filter_map(|e| e["name"].as_str())
        .collect()
}

#[test]
fn every_reply_decodes_completely() {
    let Some(schemas) = schemas("every_reply_decodes_completely") else {
        return;
    };
    for (t, schema, raw) in &schemas {
        let file = &t.file;
        assert_eq!(schema.entities().len(), raw.len(), "{file}");
        assert_eq!(
            schema.commands().collect::<BTreeSet<_>>(),
            raw_names(raw, "command"),
            "{file}"
        );
        assert_eq!(
            schema.events().collect::<BTreeSet<_>>(),
            raw_names(raw, "event"),
            "{file}"
        );
        // Optional members are exactly those sent with `default`, and the
        // features are all kept.
        let raw_members: Vec<&Value> = raw
            .iter()
            .filter(|e| e["meta-type"] == "object")
            .filter_map(|e| e["members"].as_array())
            .flatten()
            .collect();
        let members: Vec<_> = schema
            .entities()
            .iter()
            .filter_map(|e| match &e.definition {
                Definition::Object(o) => Some(&o.members),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(members.len(), raw_members.len(), "{file}");
        assert_eq!(
            members.iter().filter(|m| m.optional).count(),
            raw_members
                .iter()
                .filter(|m| m.get("default").is_some())
                .count(),
            "{file}"
        );
        assert_eq!(
            members.iter().map(|m| m.features.len()).sum::<usize>(),
            raw_members
                .iter()
                .filter_map(|m| m["features"].as_array())
                .map(Vec::len)
                .sum::<usize>(),
            "{file}"
        );
        for e in schema.entities() {
            assert!(
                !matches!(e.definition, Definition::Other { .. }),
                "{file}: {e:?}"
            );
            for name in references(&e.definition) {
                assert!(
                    schema.entity(name).is_some(),
                    "{file}: {} refers to {name}, which is missing",
                    e.name
                );
            }
        }
    }
}

/// The entity names `d` refers to.
fn references(d: &Definition) -> Vec<&str> {
    match d {
        Definition::Array(a) => vec![&a.element_type],
        Definition::Object(o) => o
            .members
            .iter()
            .map(|m| m.ty.as_str())
            .chain(o.variants.iter().map(|v| v.ty.as_str()))
            .collect(),
        Definition::Alternate(a) => a.members.iter().map(|m| m.ty.as_str()).collect(),
        Definition::Command(c) => vec![&c.arg_type, &c.ret_type],
        Definition::Event(e) => vec![&e.arg_type],
        _ => vec![],
    }
}

#[test]
fn the_schema_lists_the_commands_query_commands_does() {
    let Some(schemas) = schemas("the_schema_lists_the_commands_query_commands_does") else {
        return;
    };
    for (t, schema, _) in &schemas {
        let Some(Reply::Return(Value::Array(commands))) = t
            .exchanges
            .iter()
            .find(|x| x.command == "query-commands")
            .map(|x| &x.reply)
        else {
            panic!("{}: no query-commands reply", t.file);
        };
        let listed: BTreeSet<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
        assert!(listed.len() > 150, "{}", t.file);
        assert_eq!(
            schema.commands().collect::<BTreeSet<_>>(),
            listed,
            "{}",
            t.file
        );
    }
}

/// A path and where it holds.
struct Fact {
    path: &'static str,
    holds: fn(Version, &str) -> bool,
}

/// Facts checked against every transcript, each verified in the data.
const FACTS: &[Fact] = &[
    // Commands by version and target.
    Fact {
        path: "query-sgx-capabilities",
        holds: |v, t| v >= ver(6, 2) && t == "x86_64",
    },
    Fact {
        path: "query-gic-capabilities",
        holds: |_, t| t == "aarch64",
    },
    Fact {
        path: "query-cpu-model-expansion",
        holds: |_, t| matches!(t, "aarch64" | "s390x" | "x86_64"),
    },
    Fact {
        path: "blockdev-reopen",
        holds: |v, _| v >= ver(6, 1),
    },
    Fact {
        path: "query-status",
        holds: |_, _| true,
    },
    Fact {
        path: "no-such-command",
        holds: |_, _| false,
    },
    // Members that appeared later, union branches.
    Fact {
        path: "blockdev-add/arg-type/+preallocate/prealloc-align",
        holds: |v, _| v >= ver(6, 0),
    },
    Fact {
        path: "blockdev-add/arg-type/+nbd/open-timeout",
        holds: |v, _| v >= ver(7, 0),
    },
    Fact {
        path: "query-named-block-nodes/arg-type/*flat",
        holds: |v, _| v >= ver(5, 0),
    },
    Fact {
        path: "blockdev-add/arg-type/+file/drop-cache",
        holds: |_, _| true,
    },
    Fact {
        path: "blockdev-add/arg-type/+file/no-such-member",
        holds: |_, _| false,
    },
    Fact {
        path: "blockdev-add/arg-type/+no-such-driver",
        holds: |_, _| false,
    },
    // Optional and required members.
    Fact {
        path: "blockdev-add/arg-type/*node-name",
        holds: |_, _| true,
    },
    Fact {
        path: "blockdev-add/arg-type/driver",
        holds: |_, _| true,
    },
    Fact {
        path: "blockdev-add/arg-type/*driver",
        holds: |_, _| false,
    },
    Fact {
        path: "blockdev-add/arg-type/+file/filename",
        holds: |_, _| true,
    },
    Fact {
        path: "blockdev-add/arg-type/+file/*filename",
        holds: |_, _| false,
    },
    // Through an alternate (BlockdevRef) into another branch.
    Fact {
        path: "blockdev-add/arg-type/+qcow2/file/+file/filename",
        holds: |_, _| true,
    },
    // Enumeration values, through an array return type too.
    Fact {
        path: "blockdev-add/arg-type/driver/^copy-before-write",
        holds: |v, _| v >= ver(6, 2),
    },
    Fact {
        path: "query-migrate-capabilities/ret-type/capability/^zero-copy-send",
        holds: |v, _| v >= ver(7, 1),
    },
    Fact {
        path: "query-status/ret-type/status/^running",
        holds: |_, _| true,
    },
    Fact {
        path: "query-status/ret-type/status/^no-such-state",
        holds: |_, _| false,
    },
    Fact {
        path: "query-status/ret-type/running/^true",
        holds: |_, _| false,
    },
    // Features: of commands and events, of members, of types.
    Fact {
        path: "MEM_UNPLUG_ERROR",
        holds: |_, _| true,
    },
    Fact {
        path: "MEM_UNPLUG_ERROR/$deprecated",
        holds: |v, _| v >= ver(6, 2),
    },
    Fact {
        path: "device_add/$json-cli",
        holds: |v, _| v >= ver(6, 2),
    },
    Fact {
        path: "query-status/$deprecated",
        holds: |_, _| false,
    },
    Fact {
        path: "block-commit/arg-type/*base/$deprecated",
        holds: |v, _| v >= ver(5, 0),
    },
    Fact {
        path: "block-commit/arg-type/*base-node/$deprecated",
        holds: |_, _| false,
    },
    Fact {
        path: "blockdev-add/arg-type/+file/$dynamic-auto-read-only",
        holds: |_, _| true,
    },
];

#[test]
fn path_queries_give_the_facts_of_every_transcript() {
    let Some(schemas) = schemas("path_queries_give_the_facts_of_every_transcript") else {
        return;
    };
    let mut wrong = Vec::new();
    for (t, schema, _) in &schemas {
        for fact in FACTS {
            let expected = (fact.holds)(t.version, &t.target);
            match schema.has(fact.path) {
                Ok(got) if got == expected => {}
                got => wrong.push(format!("{}: {} gave {got:?}", t.file, fact.path)),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn enum_values_differ_between_targets_of_one_version() {
    let Some(schemas) = schemas("enum_values_differ_between_targets_of_one_version") else {
        return;
    };
    let has = |version: Version, target: &str, path: &str| {
        let (_, schema, _) = schemas
            .iter()
            .find(|(t, _, _)| t.version == version && t.target == target)
            .unwrap_or_else(|| panic!("no {version} {target} transcript"));
        schema.has(path).unwrap()
    };
    let gtk = "query-display-options/ret-type/type/^gtk";
    let dbus = "query-display-options/ret-type/type/^dbus";
    assert!(has(ver(7, 0), "aarch64", gtk) && has(ver(7, 0), "ppc64", gtk));
    assert!(!has(ver(7, 0), "x86_64", gtk));
    assert!(has(ver(7, 0), "x86_64", dbus));
    assert!(!has(ver(7, 0), "aarch64", dbus) && !has(ver(7, 0), "ppc64", dbus));
    let io_uring = "blockdev-add/arg-type/+file/aio/^io_uring";
    assert!(has(ver(6, 2), "x86_64", io_uring));
    assert!(!has(ver(6, 2), "aarch64", io_uring) && !has(ver(6, 2), "ppc64", io_uring));
}

#[test]
fn the_alternate_is_one_in_the_data() {
    // The alternate fact above must really go through an alternate.
    let Some(schemas) = schemas("the_alternate_is_one_in_the_data") else {
        return;
    };
    for (t, schema, _) in &schemas {
        let file = &t.file;
        let args = schema.command("blockdev-add").map(|c| c.arg_type.as_str());
        let object = |name: Option<&str>| match name.and_then(|n| schema.entity(n)) {
            Some(e) => match &e.definition {
                Definition::Object(o) => o,
                other => panic!("{file}: {name:?} is {other:?}"),
            },
            None => panic!("{file}: {name:?} is missing"),
        };
        let qcow2 = object(object(args).variant("qcow2").map(|v| v.ty.as_str()));
        let file_type = qcow2.member("file").map(|m| m.ty.as_str());
        assert!(
            matches!(
                file_type
                    .and_then(|n| schema.entity(n))
                    .map(|e| &e.definition),
                Some(Definition::Alternate(_))
            ),
            "{file}"
        );
    }
}

#[test]
fn malformed_paths_are_errors_not_answers() {
    let Some(schemas) = schemas("malformed_paths_are_errors_not_answers") else {
        return;
    };
    let (_, schema, _) = schemas.last().expect("28 transcripts");
    for path in [
        "",
        "blockdev-add//drop-cache",
        "blockdev-add/arg-type/",
        "blockdev-add/arg-type/+",
        "*blockdev-add",
        "query-status/ret-type/status/^running/x",
        "query-status/$deprecated/$unstable",
    ] {
        assert!(schema.has(path).is_err(), "{path:?}");
    }
}
