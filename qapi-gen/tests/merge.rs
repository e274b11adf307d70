//! Merging schemas: what the merged model holds, how conflicts are
//! resolved and reported, and that a schema merged with itself generates
//! exactly what it generates alone.  The generated code of the fixtures'
//! merge is snapshotted here and compiled by the `qapi-tests` crate.

mod common;

use std::path::{Path, PathBuf};

use qapi_gen::generate::{Options, generate};
use qapi_gen::schema::{DefKind, Member, Presence, Schema, merge};
use qapi_gen::{Diagnostic, Mode};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/merge")
        .join(name)
}

/// `new.json` merged with `old.json`, and the warnings.
fn merged_fixtures() -> (Schema, Vec<Diagnostic>) {
    let schemas = qapi_gen::load_all(&[fixture("new.json"), fixture("old.json")], Mode::Default)
        .unwrap_or_else(|e| panic!("{e}"));
    merge(schemas).unwrap()
}

fn members<'s>(schema: &'s Schema, name: &str) -> &'s [Member] {
    match &schema.get(name).unwrap().kind {
        DefKind::Object(o) => &o.members,
        k => panic!("{name} is {k:?}"),
    }
}

fn member<'s>(schema: &'s Schema, ty: &str, name: &str) -> &'s Member {
    members(schema, ty)
        .iter()
        .find(|m| &*m.name == name)
        .unwrap_or_else(|| panic!("{ty} has no member {name}"))
}

const NEW: Presence = Presence::FIRST;

#[test]
fn what_any_schema_has_is_there() {
    let (m, _) = merged_fixtures();
    let old = Presence::only(1);
    let both = Presence::all(2);
    assert_eq!(
        m.origins
            .iter()
            .map(|o| o.label.as_str())
            .collect::<Vec<_>>(),
        ["new.json", "old.json"]
    );
    // Commands and events of either; which schemas have them.
    assert_eq!(m.get("query-status").unwrap().presence, both);
    assert_eq!(m.get("legacy-reset").unwrap().presence, old);
    assert_eq!(m.get("STOPPED").unwrap().presence, NEW);
    // Members of either: required only where both require them.
    let running = member(&m, "Status", "running");
    assert!(!running.optional);
    assert_eq!(running.presence, both);
    for (name, presence) in [("uptime", NEW), ("extra", NEW), ("legacy", old)] {
        let mb = member(&m, "Status", name);
        assert!(mb.optional, "{name}");
        assert_eq!(mb.presence, presence, "{name}");
    }
    // A branch only the old (simple) union had joins the flat union, with
    // a wrapper named the way QEMU 10.2 names them, and its tag value.
    let DefKind::Object(addr) = &m.get("Addr").unwrap().kind else {
        panic!()
    };
    let v = addr.variants.as_ref().unwrap();
    let unix = v.variants.iter().find(|b| &*b.name == "unix").unwrap();
    assert_eq!(&*m.def(unix.ty).name, "UnixWrapper");
    assert_eq!(unix.presence, old);
    let DefKind::Enum(tag) = &m.def(v.tag_type).kind else {
        panic!()
    };
    assert!(
        tag.values
            .iter()
            .any(|x| &*x.name == "unix" && x.presence == old)
    );
    let inet = v.variants.iter().find(|b| &*b.name == "inet").unwrap();
    assert_eq!(inet.presence, both, "the same wire form in both");
}

#[test]
fn conflicts_are_resolved_and_said() {
    let (m, warnings) = merged_fixtures();
    let text: Vec<String> = warnings.iter().map(|w| w.render(&m.sources)).collect();
    let all = text.join("\n");
    // Each names both places: here, and as the other schema has it.
    for w in &warnings {
        assert_eq!(w.notes.len(), 1, "{}", w.render(&m.sources));
        assert!(w.notes[0].message.contains("old.json"));
    }
    // A string and an enumeration: the enumeration.
    assert_eq!(&*m.def(member(&m, "Status", "state").ty).name, "RunState");
    assert!(all.contains(
        "member 'state' of struct 'Status' is 'RunState' here and 'str' in old.json; \
         the bindings use 'RunState' (its catch-all holds any string)"
    ));
    // Values of other JSON types: an alternate of both.
    let timeout = member(&m, "q_obj_connect-arg", "timeout");
    let DefKind::Alternate(alt) = &m.def(timeout.ty).kind else {
        panic!("{:?}", m.def(timeout.ty))
    };
    let branches: Vec<&str> = alt.variants.iter().map(|b| &*b.name).collect();
    assert_eq!(branches, ["int", "str"]);
    assert!(
        all.contains("argument 'timeout' of command 'connect' is 'int' here and 'str' in old.json")
    );
    // Objects of other names: one with the members of both, optional
    // where not in both.
    let info = members(&m, "Info");
    let req: Vec<(&str, bool)> = info.iter().map(|x| (&*x.name, x.optional)).collect();
    assert_eq!(req, [("name", false), ("size", true), ("id", true)]);
    assert!(
        all.contains("returns of command 'query-info' is 'Info' here and 'OldInfo' in old.json")
    );
    assert_eq!(warnings.len(), 4, "{all}");
    // Rendered as QEMU renders diagnostics, both places with their lines.
    assert!(
        text[0].contains("new.json:19: warning: member 'state'"),
        "{}",
        text[0]
    );
    assert!(
        text[0].contains("old.json:16: as old.json has it"),
        "{}",
        text[0]
    );
}

#[test]
fn too_many_or_none() {
    assert!(merge(Vec::new()).is_err());
    let one = || common::ok(Mode::Default, "{ 'command': 'c' }");
    let many: Vec<Schema> = (0..=Presence::MAX).map(|_| one()).collect();
    assert_eq!(
        merge(many).unwrap_err().to_string(),
        "65 schemas to merge; at most 64 can be"
    );
}

fn code(schema: &Schema, opts: &Options) -> String {
    generate(schema, opts, "schema.json")
        .map(|g| g.to_source())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Merged with itself, a schema generates exactly what it generates
/// alone, whatever the options.
fn same_alone_and_with_itself(path: &Path) {
    let alone = qapi_gen::load(path, Mode::Default).unwrap_or_else(|e| panic!("{e}"));
    let twice = qapi_gen::load_all(&[path, path], Mode::Default).unwrap();
    let (merged, warnings) = merge(twice).unwrap();
    assert!(warnings.is_empty());
    for opts in [
        Options::default(),
        Options {
            oldest: Some("4.2".parse().unwrap()),
            cfg: Some(Default::default()),
            ..Options::default()
        },
    ] {
        assert!(
            code(&alone, &opts) == code(&merged, &opts),
            "{}",
            path.display()
        );
    }
}

#[test]
fn a_schema_merged_with_itself() {
    for f in [
        "since",
        "flat-union",
        "simple-union",
        "alternate",
        "conditional",
        "docs",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/generate")
            .join(format!("{f}.json"));
        same_alone_and_with_itself(&path);
    }
    same_alone_and_with_itself(&fixture("old.json"));
}

#[test]
fn qemus_schemas_merged_with_themselves() {
    for schema in ["10.2/qapi/qapi-schema.json", "5.2/qga/qapi-schema.json"] {
        let Some(path) = common::shared(
            "qemus_schemas_merged_with_themselves",
            &format!("qemu/{schema}"),
        ) else {
            return;
        };
        same_alone_and_with_itself(&path);
    }
}

#[test]
fn merged_fixtures_generate() {
    let (m, _) = merged_fixtures();
    insta::assert_snapshot!("merged-fixtures", code(&m, &Options::default()));
}

/// QEMU 10.2 with 5.2 and 7.2: every command, event and type of each is
/// there, the conflicts are few and each is reported.
#[test]
fn qemu_10_2_with_5_2_and_7_2() {
    let test = "qemu_10_2_with_5_2_and_7_2";
    let paths: Vec<PathBuf> = ["10.2", "5.2", "7.2"]
        .iter()
        .filter_map(|v| common::shared(test, &format!("qemu/{v}/qapi/qapi-schema.json")))
        .collect();
    if paths.len() < 3 {
        return;
    }
    let schemas = qapi_gen::load_all(&paths, Mode::Default).unwrap();
    let names: Vec<Vec<String>> = schemas
        .iter()
        .map(|s| s.defs.iter().map(|d| d.name.to_string()).collect())
        .collect();
    let labels: Vec<String> = schemas.iter().map(|s| s.origins[0].label.clone()).collect();
    assert_eq!(labels, ["10.2", "5.2", "7.2"]);
    let (m, warnings) = merge(schemas).unwrap();
    for (i, list) in names.iter().enumerate() {
        for name in list {
            let def = m
                .get(name)
                .unwrap_or_else(|| panic!("{name} of {}", labels[i]));
            assert!(def.presence.contains(i), "{name} of {}", labels[i]);
        }
    }
    // Members 10.2 added since are optional; those it dropped are there.
    let acpi = member(&m, "MachineInfo", "acpi");
    assert!(acpi.optional);
    assert_eq!(acpi.presence, Presence::only(0));
    assert!(
        members(&m, "BlockDeviceInfo")
            .iter()
            .any(|x| &*x.name == "encryption_key_missing")
    );
    // Every conflict is reported, none twice.
    let rendered: Vec<String> = warnings.iter().map(|w| w.render(&m.sources)).collect();
    let mut unique = rendered.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), rendered.len());
    assert!(
        rendered
            .iter()
            .any(|w| w.contains("union 'SevInfo' is a struct in 5.2")),
        "{rendered:#?}"
    );
    // And it generates.
    let src = code(&m, &Options::default());
    assert!(src.contains("pub struct MachineInfo"));
}
