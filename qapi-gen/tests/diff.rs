//! `qapi-gen diff`: each kind of change and whom it breaks, on small
//! schemas; snapshots of the real ones (5.2 to 7.2, 7.2 to 10.2, QEMU 5.2
//! with the COLO extension to 10.2, and the fork's own report).

mod common;

use std::path::Path;

use common::TempDir;
use qapi_gen::diff::{Change, Direction, Effect, Role, What, diff, fork_report};
use qapi_gen::{Mode, Schema};

fn schema(label: &str, text: &str) -> Schema {
    let mut s = common::ok(Mode::Default, text);
    s.origins[0].label = label.to_string();
    s
}

/// The changes from `old` to `new`.
fn changes(old: &str, new: &str) -> Vec<Change> {
    diff(&schema("old", old), &schema("new", new)).changes
}

/// The one change, with its effects as `(old client, new client)` of
/// "-" (unaffected), "tolerated" or "breaks".
fn only(old: &str, new: &str) -> (Change, (&'static str, &'static str)) {
    let mut c = changes(old, new);
    assert_eq!(c.len(), 1, "{c:#?}");
    let c = c.remove(0);
    let word = |e: Effect| match e {
        Effect::Unaffected => "-",
        Effect::Tolerated(_) => "tolerated",
        Effect::Breaks(_) => "breaks",
    };
    let effects = (word(c.old_client), word(c.new_client));
    (c, effects)
}

const RETURNS: &str = "{ 'command': 'q', 'returns': 'S' }";
const TAKES: &str = "{ 'command': 'q', 'data': { 's': 'S' } }";

#[test]
fn commands_come_and_go() {
    let (c, e) = only("", "{ 'command': 'q' }");
    assert_eq!((c.meta, c.name.as_str(), c.part), ("command", "q", None));
    assert_eq!(e, ("-", "breaks"));
    let (_, e) = only("{ 'command': 'q' }", "");
    assert_eq!(e, ("breaks", "-"));
    let (_, e) = only("", "{ 'event': 'E' }");
    assert_eq!(e, ("tolerated", "-"));
    let (_, e) = only("{ 'event': 'E' }", "");
    assert_eq!(e, ("-", "tolerated"));
}

#[test]
fn members_of_what_servers_send() {
    let old = format!("{{ 'struct': 'S', 'data': {{ 'a': 'int' }} }} {RETURNS}");
    let required = format!("{{ 'struct': 'S', 'data': {{ 'a': 'int', 'b': 'str' }} }} {RETURNS}");
    let optional = format!("{{ 'struct': 'S', 'data': {{ 'a': 'int', '*b': 'str' }} }} {RETURNS}");
    let (c, e) = only(&old, &required);
    assert_eq!(c.direction, Direction::Output);
    assert_eq!(
        c.part.as_ref().map(|p| (p.role, p.name.as_str())),
        Some((Role::Member, "b"))
    );
    assert_eq!(
        c.what,
        What::Added {
            ty: Some("str".into()),
            optional: false
        }
    );
    // An old server leaves it out; an old client ignores it.
    assert_eq!(e, ("tolerated", "breaks"));
    assert_eq!(only(&old, &optional).1, ("tolerated", "-"));
    assert_eq!(only(&required, &old).1, ("breaks", "tolerated"));
    assert_eq!(only(&optional, &old).1, ("-", "tolerated"));
    let (c, e) = only(&required, &optional);
    assert_eq!(c.what, What::MadeOptional);
    assert_eq!(e, ("breaks", "-"));
    assert_eq!(only(&optional, &required).1, ("-", "breaks"));
}

#[test]
fn members_of_what_clients_send() {
    let old = format!("{{ 'struct': 'S', 'data': {{ 'a': 'int' }} }} {TAKES}");
    let required = format!("{{ 'struct': 'S', 'data': {{ 'a': 'int', 'b': 'str' }} }} {TAKES}");
    let optional = format!("{{ 'struct': 'S', 'data': {{ 'a': 'int', '*b': 'str' }} }} {TAKES}");
    let (c, e) = only(&old, &optional);
    assert_eq!(c.direction, Direction::Input);
    // An old server rejects it, if a new client sends it.
    assert_eq!(e, ("-", "breaks"));
    assert_eq!(only(&old, &required).1, ("breaks", "breaks"));
    assert_eq!(only(&optional, &old).1, ("breaks", "-"));
    assert_eq!(only(&required, &optional).1, ("-", "breaks"));
    assert_eq!(only(&optional, &required).1, ("breaks", "-"));
    // Arguments written inline are the command's own.
    let (c, e) = only(
        "{ 'command': 'q', 'data': { 'a': 'int' } }",
        "{ 'command': 'q', 'data': { 'a': 'int', '*b': 'bool' } }",
    );
    assert_eq!(
        (c.meta, c.part.map(|p| (p.role, p.name))),
        ("command", Some((Role::Argument, "b".to_string())))
    );
    assert_eq!(e, ("-", "breaks"));
    // Both ways: the worst of each.
    let both = "{ 'command': 'r', 'returns': 'S' }";
    assert_eq!(
        only(&format!("{old} {both}"), &format!("{optional} {both}")).1,
        ("tolerated", "breaks")
    );
}

#[test]
fn values_and_branches() {
    let e = |values: &str, usage: &str| format!("{{ 'enum': 'E', 'data': {values} }} {usage}");
    let out = "{ 'command': 'q', 'returns': 'T' } { 'struct': 'T', 'data': { 'e': 'E' } }";
    let inp = "{ 'command': 'q', 'data': { 'e': 'E' } }";
    let (c, fx) = only(&e("['a']", out), &e("['a', 'b']", out));
    assert_eq!(c.part.map(|p| p.role), Some(Role::Value));
    assert_eq!(fx, ("tolerated", "-"));
    assert_eq!(
        only(&e("['a']", inp), &e("['a', 'b']", inp)).1,
        ("-", "breaks")
    );
    assert_eq!(
        only(&e("['a', 'b']", inp), &e("['a']", inp)).1,
        ("breaks", "-")
    );
    assert_eq!(
        only(&e("['a', 'b']", out), &e("['a']", out)).1,
        ("-", "tolerated")
    );
    let u = |branches: &str| {
        format!(
            "{{ 'enum': 'K', 'data': ['x', 'y'] }} {{ 'struct': 'X', 'data': {{}} }}
             {{ 'union': 'U', 'base': {{ 'k': 'K' }}, 'discriminator': 'k', 'data': {branches} }}
             {{ 'command': 'q', 'data': 'U', 'boxed': true }}"
        )
    };
    let (c, fx) = only(&u("{ 'x': 'X' }"), &u("{ 'x': 'X', 'y': 'X' }"));
    assert_eq!(
        c.part.map(|p| (p.role, p.name)),
        Some((Role::Branch, "y".into()))
    );
    assert_eq!(fx, ("-", "breaks"));
}

#[test]
fn types_by_shape() {
    // A 5.2 simple union and 10.2's flat union of the same wire form.
    let old = "{ 'struct': 'I', 'data': { 'host': 'str' } }
               { 'union': 'A', 'data': { 'inet': 'I' } }
               { 'command': 'q', 'data': { 'a': 'A' } }";
    let new = "{ 'struct': 'I', 'data': { 'host': 'str' } }
               { 'struct': 'IWrapper', 'data': { 'data': 'I' } }
               { 'enum': 'AType', 'data': [ 'inet' ] }
               { 'union': 'A', 'base': { 'type': 'AType' }, 'discriminator': 'type',
                 'data': { 'inet': 'IWrapper' } }
               { 'command': 'q', 'data': { 'a': 'A' } }";
    let c = changes(old, new);
    let whats: Vec<&What> = c
        .iter()
        .filter(|c| c.part.is_some())
        .map(|c| &c.what)
        .collect();
    assert_eq!(
        whats,
        [
            &What::TypeRenamed {
                old: "AKind".into(),
                new: "AType".into()
            },
            &What::TypeRenamed {
                old: "{data: I}".into(),
                new: "IWrapper".into()
            },
        ]
    );
    assert!(
        c.iter()
            .all(|c| !c.old_client.breaks() && !c.new_client.breaks())
    );

    // A type of another name that changed: what changed inside, with
    // its path.
    let old = "{ 'struct': 'P', 'data': { 'a': 'int' } }
               { 'struct': 'S', 'data': { 'p': 'P' } } { 'command': 'q', 'returns': 'S' }";
    let new = "{ 'struct': 'Q', 'data': { 'a': 'int', 'b': 'int' } }
               { 'struct': 'S', 'data': { 'p': 'Q' } } { 'command': 'q', 'returns': 'S' }";
    let c = changes(old, new);
    let summaries: Vec<String> = c.iter().map(Change::summary).collect();
    assert!(summaries.contains(&"~ member 'p': P -> Q, changed as follows".to_string()));
    assert!(
        summaries.contains(&"+ member 'b' in 'p': int".to_string()),
        "{summaries:?}"
    );

    // Strings stay strings; integers change range; the rest breaks.
    let t = |ty: &str| {
        format!(
            "{{ 'enum': 'E', 'data': ['a'] }} {{ 'command': 'q', 'returns': 'S' }} {{ 'struct': 'S', 'data': {{ 'm': '{ty}' }} }}"
        )
    };
    let (c, e) = only(&t("str"), &t("E"));
    assert!(matches!(c.what, What::StringsChanged { to_enum: true, .. }));
    assert_eq!(e, ("-", "tolerated"));
    let (c, e) = only(&t("int"), &t("uint8"));
    assert!(matches!(c.what, What::RangeChanged { .. }));
    assert_eq!(e, ("breaks", "breaks"));
    assert_eq!(only(&t("int"), &t("int64")).1, ("-", "-"), "int is int64");
    let (c, e) = only(&t("int"), &t("str"));
    assert!(matches!(c.what, What::TypeChanged { .. }));
    assert_eq!(e, ("breaks", "breaks"));
}

#[test]
fn command_flags() {
    let (c, e) = only(
        "{ 'command': 'q', 'allow-oob': true }",
        "{ 'command': 'q' }",
    );
    assert_eq!(c.what, What::OobDropped);
    assert_eq!(e, ("breaks", "-"));
    let (c, _) = only(
        "{ 'command': 'q', 'features': [ 'deprecated' ] }",
        "{ 'command': 'q' }",
    );
    assert_eq!(c.what, What::NoLongerDeprecated);
    let uses = "{ 'command': 'q', 'returns': 'T' } { 'struct': 'T', 'data': { 's': 'S' } }";
    let (c, e) = only(
        &format!("{uses} {{ 'struct': 'S', 'data': {{}} }}"),
        &format!("{uses} {{ 'enum': 'S', 'data': [] }}"),
    );
    assert!(matches!(
        c.what,
        What::KindChanged {
            old: "struct",
            new: "enum"
        }
    ));
    assert_eq!(e, ("breaks", "breaks"));
}

#[test]
fn json_output_is_json() {
    let old = "{ 'struct': 'S', 'data': { 'a': 'int' } } { 'command': 'q', 'returns': 'S' }";
    let new = "{ 'struct': 'S', 'data': { 'a': 'int', 'b': 'str' } }
               { 'command': 'q', 'returns': 'S' } { 'command': 'r' }";
    let d = diff(&schema("o\"ld", old), &schema("new", new));
    let v: serde_json::Value = serde_json::from_str(&d.to_json()).expect("valid JSON");
    assert_eq!(v["old"], "o\"ld");
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0]["part"]["name"], "b");
    assert_eq!(changes[0]["change"], "added");
    assert_eq!(changes[0]["new-client"]["effect"], "breaks");
    assert_eq!(changes[0]["old-client"]["effect"], "tolerated");
    assert_eq!(changes[1]["name"], "r");
    let empty = diff(&schema("a", old), &schema("b", old));
    assert!(empty.changes.is_empty());
    let v: serde_json::Value = serde_json::from_str(&empty.to_json()).unwrap();
    assert_eq!(v["changes"], serde_json::json!([]));
}

/// QEMU's schema `version` from the shared directory, labelled with it.
fn qemu(test: &str, version: &str) -> Option<Schema> {
    let path = common::shared(test, &format!("qemu/{version}/qapi/qapi-schema.json"))?;
    let mut s = qapi_gen::load(&path, Mode::Default).unwrap_or_else(|e| panic!("{e}"));
    s.origins[0].label = version.to_string();
    Some(s)
}

/// QEMU 5.2 with the seeds' COLO extension appended to `migration.json`,
/// as the fork has it, in `dir`.
fn colo_fork(dir: &TempDir, base: &Path) -> Schema {
    let qapi = base.parent().unwrap();
    for entry in std::fs::read_dir(qapi).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if name == "migration.json" {
            let ext =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/colo-extension.json");
            text.push('\n');
            text.push_str(&std::fs::read_to_string(ext).unwrap());
        }
        dir.write(&format!("qapi/{name}"), &text);
    }
    let mut s = qapi_gen::load(dir.path().join("qapi/qapi-schema.json"), Mode::Default)
        .unwrap_or_else(|e| panic!("{e}"));
    s.origins[0].label = "5.2+COLO".to_string();
    s
}

#[test]
fn qemu_5_2_to_7_2() {
    let (Some(old), Some(new)) = (
        qemu("qemu_5_2_to_7_2", "5.2"),
        qemu("qemu_5_2_to_7_2", "7.2"),
    ) else {
        return;
    };
    let d = diff(&old, &new);
    // Members 7.2 requires in replies and 5.2 did not have: what makes a
    // 7.2 client fail on a 5.2 server without --oldest.
    assert!(d.changes.iter().any(|c| c.name == "CpuDefinitionInfo"
        && c.part.as_ref().is_some_and(|p| p.name == "deprecated")
        || c.name == "SchemaInfoEnum"
            && c.part.as_ref().is_some_and(|p| p.name == "members")
            && c.new_client.breaks()));
    insta::assert_snapshot!("diff-5.2-7.2", d.to_text());
}

#[test]
fn qemu_7_2_to_10_2() {
    let (Some(old), Some(new)) = (
        qemu("qemu_7_2_to_10_2", "7.2"),
        qemu("qemu_7_2_to_10_2", "10.2"),
    ) else {
        return;
    };
    let d = diff(&old, &new);
    let acpi = d
        .changes
        .iter()
        .find(|c| c.name == "MachineInfo" && c.part.as_ref().is_some_and(|p| p.name == "acpi"))
        .expect("MachineInfo.acpi came in 8.0");
    assert_eq!(acpi.since.map(|v| v.to_string()), Some("8.0".to_string()));
    assert!(acpi.new_client.breaks() && !acpi.old_client.breaks());
    insta::assert_snapshot!("diff-7.2-10.2", d.to_text());
}

#[test]
fn qemu_5_2_with_colo_to_10_2() {
    let test = "qemu_5_2_with_colo_to_10_2";
    let (Some(base), Some(upstream)) = (qemu(test, "5.2"), qemu(test, "10.2")) else {
        return;
    };
    let dir = TempDir::new("colo");
    let base_path = common::shared(test, "qemu/5.2/qapi/qapi-schema.json").unwrap();
    let fork = colo_fork(&dir, &base_path);

    // What the fork adds to 5.2: the recorder and its two commands.
    let own = diff(&base, &fork);
    let added: Vec<String> = own.changes.iter().map(Change::summary).collect();
    assert_eq!(
        added,
        [
            "+ struct checkpoint_recorder (since 5.0)",
            "+ command info_checkpoint (since 5.0)",
            "+ command reset_checkpoint (since 5.0)",
        ]
    );

    // The fork against 10.2: all of 5.2 to 10.2, and the COLO commands
    // gone (a fork client calling them on 10.2 fails).
    let d = diff(&fork, &upstream);
    let info = d
        .of("info_checkpoint")
        .next()
        .expect("info_checkpoint is not in 10.2");
    assert!(info.old_client.breaks());
    insta::assert_snapshot!("diff-5.2-colo-10.2", d.to_text());

    // The fork's own report: what it adds, and how that stands against
    // 10.2.
    let report = fork_report(&base, &fork, &upstream);
    let names: Vec<&str> = report.items.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        ["checkpoint_recorder", "info_checkpoint", "reset_checkpoint"]
    );
    let recorder = &report.items[0];
    assert!(!recorder.in_upstream);
    assert!(
        recorder
            .dependencies
            .iter()
            .any(|d| d.name == "MigrationInfo")
    );
    assert!(
        recorder
            .rules
            .iter()
            .any(|r| r.ends_with("name of struct must use CamelCase")),
        "{:?}",
        recorder.rules
    );
    let text = report.to_text();
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("valid JSON");
    assert_eq!(json["items"][1]["name"], "info_checkpoint");
    insta::assert_snapshot!("fork-5.2-colo-against-10.2", text);
}
