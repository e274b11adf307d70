//! The checks of the schema as a whole (QEMU's `schema.py`): type
//! references, redefinitions, bases, recursion, unions, alternates,
//! commands, events, name clashes and features.  And the model they build.

mod common;

use common::{both_err, clean, default_err, dump_tail, ok, strict_err};
use qapi_gen::Mode;
use qapi_gen::schema::{DefKind, JsonType};

fn ctx(meta: &str, name: &str, line: u32, message: &str) -> String {
    format!("t.json: In {meta} '{name}':\nt.json:{line}: {message}")
}

// --- type references ----------------------------------------------------------------

#[test]
fn unknown_types() {
    let cases = [
        (
            "{ 'struct': 'Foo', 'data': { 'a': 'Nope' } }",
            "struct",
            "Foo",
            "member 'a' uses unknown type 'Nope'",
        ),
        (
            "{ 'struct': 'Foo', 'data': { 'a': [ 'Nope' ] } }",
            "struct",
            "Foo",
            "struct uses unknown type 'Nope'",
        ),
        (
            "{ 'struct': 'Foo', 'base': 'Nope', 'data': {} }",
            "struct",
            "Foo",
            "'base' uses unknown type 'Nope'",
        ),
        (
            "{ 'command': 'foo', 'data': 'Nope' }",
            "command",
            "foo",
            "command's 'data' uses unknown type 'Nope'",
        ),
        (
            "{ 'command': 'foo', 'data': { 'a': 'Nope' } }",
            "command",
            "foo",
            "parameter 'a' uses unknown type 'Nope'",
        ),
        (
            "{ 'command': 'foo', 'returns': 'Nope' }",
            "command",
            "foo",
            "command's 'returns' uses unknown type 'Nope'",
        ),
        (
            "{ 'command': 'foo', 'returns': [ 'Nope' ] }",
            "command",
            "foo",
            "command uses unknown type 'Nope'",
        ),
        (
            "{ 'event': 'EV', 'data': 'Nope' }",
            "event",
            "EV",
            "event's 'data' uses unknown type 'Nope'",
        ),
        (
            "{ 'alternate': 'Alt', 'data': { 'a': 'Nope' } }",
            "alternate",
            "Alt",
            "branch 'a' uses unknown type 'Nope'",
        ),
    ];
    for (text, meta, name, message) in cases {
        assert_eq!(both_err(text), ctx(meta, name, 1, message), "{text}");
    }
    // Commands and events are no types.
    assert_eq!(
        both_err("{ 'command': 'foo' }\n{ 'struct': 'Foo', 'data': { 'a': 'foo' } }"),
        ctx("struct", "Foo", 2, "member 'a' uses unknown type 'foo'")
    );
}

#[test]
fn types_may_be_used_before_they_are_defined() {
    let s = clean(
        "{ 'struct': 'Foo', 'base': 'Base', 'data': { 'e': 'Enu', 'l': [ 'Later' ] } }\n\
         { 'struct': 'Base', 'data': {} }\n{ 'enum': 'Enu', 'data': [ 'a' ] }\n\
         { 'struct': 'Later', 'data': {} }\n",
    );
    // An array type is defined where first used, but belongs to its
    // element's module; its position is where it was first used.
    assert_eq!(
        dump_tail(&s),
        "module t.json\narray LaterList Later\nobject Foo\n    base Base\n    member e: Enu optional=False\n    \
         member l: LaterList optional=False\nobject Base\nenum Enu\n    member a\nobject Later\n"
    );
}

#[test]
fn redefinitions() {
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': [] }\n\n{ 'struct': 'Foo', 'data': {} }"),
        "t.json: In struct 'Foo':\nt.json:3: 'Foo' is already defined\n\
         t.json: In enum 'Foo':\nt.json:1: previous definition"
    );
    // Types, commands and events share one namespace.
    assert_eq!(
        default_err("{ 'command': 'Foo' }\n{ 'struct': 'Foo', 'data': {} }"),
        "t.json: In struct 'Foo':\nt.json:2: 'Foo' is already defined\n\
         t.json: In command 'Foo':\nt.json:1: previous definition"
    );
    assert_eq!(
        default_err("{ 'enum': 'int', 'data': [] }"),
        ctx("enum", "int", 1, "built-in type 'int' is already defined")
    );
    assert_eq!(
        both_err("{ 'enum': 'QType', 'data': [] }"),
        ctx("enum", "QType", 1, "enum type 'QType' is already defined")
    );
    // An implicit type: a command's arguments.
    assert_eq!(
        default_err(
            "{ 'command': 'foo', 'data': { 'a': 'int' } }\n{ 'struct': 'q_obj_foo-arg', 'data': {} }"
        ),
        ctx("struct", "q_obj_foo-arg", 2, "struct has an invalid name")
    );
}

// --- bases and recursion ----------------------------------------------------------------

#[test]
fn a_base_is_a_struct() {
    let types = "{ 'enum': 'Enu', 'data': [ 'a' ] }\n{ 'struct': 'Base', 'data': { 'e': 'Enu' } }\n\
                 { 'union': 'Uni', 'base': 'Base', 'discriminator': 'e', 'data': {} }\n\
                 { 'alternate': 'Alt', 'data': { 'a': 'int' } }\n";
    for (base, what) in [
        ("Enu", "enum type 'Enu'"),
        ("Uni", "union type 'Uni'"),
        ("Alt", "alternate type 'Alt'"),
        ("int", "built-in type 'int'"),
    ] {
        let text = format!("{types}{{ 'struct': 'Foo', 'base': '{base}', 'data': {{}} }}");
        assert_eq!(
            both_err(&text),
            ctx(
                "struct",
                "Foo",
                5,
                &format!("'base' requires a struct type, {what} isn't")
            )
        );
    }
}

#[test]
fn an_object_may_not_contain_itself() {
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'base': 'Foo', 'data': {} }"),
        ctx("struct", "Foo", 1, "object Foo contains itself")
    );
    assert_eq!(
        both_err(
            "{ 'struct': 'Aa', 'base': 'Bb', 'data': {} }\n{ 'struct': 'Bb', 'base': 'Aa', 'data': {} }"
        ),
        ctx("struct", "Aa", 1, "object Aa contains itself")
    );
    // A union whose branch has the union as its base.
    assert_eq!(
        both_err(
            "{ 'enum': 'Enu', 'data': [ 'a' ] }\n{ 'struct': 'Base', 'data': { 'e': 'Enu' } }\n\
             { 'union': 'Uni', 'base': 'Base', 'discriminator': 'e', 'data': { 'a': 'Br' } }\n\
             { 'struct': 'Br', 'base': 'Sub', 'data': {} }\n{ 'struct': 'Sub', 'base': 'Br', 'data': {} }"
        ),
        ctx("struct", "Br", 4, "object Br contains itself")
    );
}

#[test]
fn members_may_refer_to_their_own_type() {
    // A member is a pointer in C: recursion through members is fine.
    let s = clean(
        "{ 'struct': 'Node', 'data': { 'value': 'int', '*next': 'Node', 'children': [ 'Node' ] } }",
    );
    let node = s.get("Node").unwrap();
    let DefKind::Object(o) = &node.kind else {
        panic!()
    };
    assert_eq!(&*s.def(o.members[1].ty).name, "Node");
    assert_eq!(&*s.def(o.members[2].ty).name, "NodeList");
}

// --- unions -------------------------------------------------------------------------

const TYPES: &str = "{ 'enum': 'Enu', 'data': [ 'a', 'b' ] }\n\
                     { 'struct': 'Base', 'data': { 'kind': 'Enu', '*opt': 'Enu', 'x': 'int',\n  \
                     'c': { 'type': 'Enu', 'if': 'C' } } }\n\
                     { 'struct': 'Br', 'data': { 'y': 'str' } }\n";

fn union(rest: &str) -> String {
    format!("{TYPES}{{ 'union': 'Uni', 'base': 'Base', {rest} }}\n")
}

#[test]
fn discriminators() {
    let cases = [
        (
            "'discriminator': 'nope', 'data': {}",
            "discriminator 'nope' is not a member of 'base'",
        ),
        (
            "'discriminator': 'x', 'data': {}",
            "discriminator member 'x' of base type 'Base' must be of enum type",
        ),
        (
            "'discriminator': 'opt', 'data': {}",
            "discriminator member 'opt' of base type 'Base' must not be optional",
        ),
        (
            "'discriminator': 'c', 'data': {}",
            "discriminator member 'c' of base type 'Base' must not be conditional",
        ),
        (
            "'discriminator': 'kind', 'data': { 'z': 'Br' }",
            "branch 'z' is not a value of enum type 'Enu'",
        ),
        (
            "'discriminator': 'kind', 'data': { 'a': 'int' }",
            "branch 'a' cannot use built-in type 'int'",
        ),
        (
            "'discriminator': 'kind', 'data': { 'a': 'Enu' }",
            "branch 'a' cannot use enum type 'Enu'",
        ),
        (
            "'discriminator': 'kind', 'data': { 'a': 'Nope' }",
            "branch 'a' uses unknown type 'Nope'",
        ),
    ];
    for (rest, message) in cases {
        assert_eq!(
            both_err(&union(rest)),
            ctx("union", "Uni", 5, message),
            "{rest}"
        );
    }
    // With an inline base, the base is named 'base'.
    assert_eq!(
        both_err("{ 'union': 'Uni', 'base': { 'x': 'int' }, 'discriminator': 'x', 'data': {} }"),
        ctx(
            "union",
            "Uni",
            1,
            "discriminator member 'x' of 'base' must be of enum type"
        )
    );
    // The discriminator is found by its exact name.
    assert_eq!(
        both_err(&union("'discriminator': 'Kind', 'data': {}")),
        ctx(
            "union",
            "Uni",
            5,
            "discriminator 'Kind' is not a member of 'base'"
        )
    );
}

#[test]
fn a_union_has_branches() {
    assert_eq!(
        both_err(
            "{ 'enum': 'Empty', 'data': [] }\n\
                  { 'union': 'Uni', 'base': { 'kind': 'Empty' }, 'discriminator': 'kind', 'data': {} }"
        ),
        ctx("union", "Uni", 2, "union has no branches")
    );
}

#[test]
fn union_member_clashes() {
    // A branch's members sit next to the base's.
    assert_eq!(
        both_err(&format!(
            "{TYPES}{{ 'struct': 'Clash', 'data': {{ 'x': 'str' }} }}\n\
             {{ 'union': 'Uni', 'base': 'Base', 'discriminator': 'kind', 'data': {{ 'a': 'Clash' }} }}\n"
        )),
        ctx(
            "union",
            "Uni",
            6,
            "member 'x' of type 'Clash' collides with member 'x' of type 'Base'"
        )
    );
    // Members of different branches may share names.
    clean(&format!(
        "{TYPES}{{ 'struct': 'Br2', 'data': {{ 'y': 'int' }} }}\n\
         {{ 'union': 'Uni', 'base': 'Base', 'discriminator': 'kind', 'data': {{ 'a': 'Br', 'b': 'Br2' }} }}\n"
    ));
}

// --- alternates ----------------------------------------------------------------------

#[test]
fn alternate_branches_are_distinguishable() {
    let types = "{ 'struct': 'Sa', 'data': {} }\n{ 'struct': 'Sb', 'data': {} }\n\
                 { 'enum': 'Plain', 'data': [ 'x' ] }\n{ 'enum': 'OnOff', 'data': [ 'on', 'off' ] }\n\
                 { 'enum': 'Num', 'data': [ '1x' ] }\n\
                 { 'alternate': 'Inner', 'data': { 'a': 'int' } }\n";
    let cases = [
        (
            "'a': 'Sa', 'b': 'Sb'",
            "branch 'b' can't be distinguished from 'a'",
        ),
        (
            "'a': 'int', 'b': 'number'",
            "branch 'b' can't be distinguished from 'a'",
        ),
        (
            "'a': 'str', 'b': 'int'",
            "branch 'b' can't be distinguished from 'a'",
        ),
        (
            "'a': 'bool', 'b': 'str'",
            "branch 'b' can't be distinguished from 'a'",
        ),
        (
            "'a': 'str', 'b': 'Plain'",
            "branch 'b' can't be distinguished from 'a'",
        ),
        (
            "'a': 'bool', 'b': 'OnOff'",
            "branch 'b' can't be distinguished from 'a'",
        ),
        (
            "'a': 'int', 'b': 'Num'",
            "branch 'b' can't be distinguished from 'a'",
        ),
        (
            "'a': [ 'int' ], 'b': [ 'str' ]",
            "branch 'b' can't be distinguished from 'a'",
        ),
        ("'a': 'any'", "branch 'a' cannot use built-in type 'any'"),
        (
            "'a': 'Inner'",
            "branch 'a' cannot use alternate type 'Inner'",
        ),
    ];
    for (data, message) in cases {
        let text = format!("{types}{{ 'alternate': 'Alt', 'data': {{ {data} }} }}\n");
        assert_eq!(
            both_err(&text),
            ctx("alternate", "Alt", 7, message),
            "{data}"
        );
    }
    for data in [
        "'a': 'Sa', 'b': 'int', 'c': 'bool', 'd': 'null', 'e': [ 'str' ]",
        "'a': 'Plain', 'b': 'int', 'c': 'bool'",
        "'a': 'OnOff', 'b': 'int'",
        "'a': 'Num', 'b': 'bool'",
        "'a': 'str', 'b': 'null', 'c': 'Sa'",
    ] {
        clean(&format!(
            "{types}{{ 'alternate': 'Alt', 'data': {{ {data} }} }}\n"
        ));
    }
}

#[test]
fn alternate_branch_clashes() {
    assert_eq!(
        default_err("{ 'alternate': 'Alt', 'data': { 'a-b': 'int', 'a_b': 'str' } }"),
        ctx(
            "alternate",
            "Alt",
            1,
            "branch 'a_b' collides with branch 'a-b'"
        )
    );
}

// --- commands and events --------------------------------------------------------------

#[test]
fn command_arguments_and_returns() {
    let types = "{ 'enum': 'Enu', 'data': [ 'a' ] }\n{ 'struct': 'Base', 'data': { 'e': 'Enu' } }\n\
                 { 'union': 'Uni', 'base': 'Base', 'discriminator': 'e', 'data': {} }\n\
                 { 'alternate': 'Alt', 'data': { 'a': 'int', 'b': 'Base' } }\n";
    let cases = [
        (
            "'data': 'Enu'",
            "command's 'data' cannot take enum type 'Enu'",
        ),
        (
            "'data': 'Alt'",
            "command's 'data' cannot take alternate type 'Alt'",
        ),
        (
            "'data': 'int'",
            "command's 'data' cannot take built-in type 'int'",
        ),
        (
            "'data': 'Uni'",
            "command's 'data' can take union type 'Uni' only with 'boxed': true",
        ),
        (
            "'returns': 'Enu'",
            "command's 'returns' cannot take enum type 'Enu'",
        ),
        (
            "'returns': 'Alt'",
            "command's 'returns' cannot take alternate type 'Alt'",
        ),
        (
            "'returns': [ 'int' ]",
            "command's 'returns' cannot take array type ['int']",
        ),
        (
            "'returns': 'str'",
            "command's 'returns' cannot take built-in type 'str'",
        ),
    ];
    for (rest, message) in cases {
        let text = format!("{types}{{ 'command': 'foo', {rest} }}\n");
        assert_eq!(both_err(&text), ctx("command", "foo", 5, message), "{rest}");
    }
    clean(&format!(
        "{types}{{ 'command': 'c1', 'data': 'Uni', 'boxed': true, 'returns': 'Uni' }}\n\
         {{ 'command': 'c2', 'returns': [ 'Base' ] }}\n{{ 'command': 'c3', 'data': 'Base', 'boxed': true }}\n"
    ));
}

#[test]
fn event_data() {
    let types = "{ 'enum': 'Enu', 'data': [ 'a' ] }\n{ 'struct': 'Base', 'data': { 'e': 'Enu' } }\n\
                 { 'union': 'Uni', 'base': 'Base', 'discriminator': 'e', 'data': {} }\n";
    assert_eq!(
        both_err(&format!("{types}{{ 'event': 'EV', 'data': 'Enu' }}")),
        ctx(
            "event",
            "EV",
            4,
            "event's 'data' cannot take enum type 'Enu'"
        )
    );
    assert_eq!(
        both_err(&format!("{types}{{ 'event': 'EV', 'data': 'Uni' }}")),
        ctx(
            "event",
            "EV",
            4,
            "event's 'data' can take union type 'Uni' only with 'boxed': true"
        )
    );
    clean(&format!(
        "{types}{{ 'event': 'EV', 'data': 'Uni', 'boxed': true }}"
    ));
}

#[test]
fn conditional_arguments_need_boxed_in_qemu_10_2() {
    let text = "{ 'command': 'foo', 'data': { 'a': { 'type': 'int', 'if': 'CONFIG_A' } } }";
    assert_eq!(
        strict_err(text),
        ctx(
            "command",
            "foo",
            1,
            "conditional command arguments require 'boxed': true"
        )
    );
    // QEMU 5.2 schemas have them.
    ok(Mode::Default, text);
    assert_eq!(
        strict_err("{ 'event': 'EV', 'data': { 'a': { 'type': 'int', 'if': 'CONFIG_A' } } }"),
        ctx(
            "event",
            "EV",
            1,
            "conditional event arguments require 'boxed': true"
        )
    );
    clean(
        "{ 'struct': 'Args', 'data': { 'a': { 'type': 'int', 'if': 'CONFIG_A' } } }\n\
         { 'command': 'foo', 'data': 'Args', 'boxed': true }",
    );
}

#[test]
fn implicit_argument_types() {
    let s = clean(
        "{ 'command': 'foo', 'data': { 'a': 'int' }, 'if': 'CONFIG_F' }\n\
         { 'event': 'EV', 'data': { 'b': 'str' } }\n{ 'command': 'bar', 'data': {} }\n",
    );
    let arg = s.get("q_obj_foo-arg").unwrap();
    assert!(arg.is_implicit());
    // It has its command's condition.
    assert_eq!(arg.ifcond.as_ref().unwrap().dump(), "CONFIG_F");
    assert!(s.get("q_obj_EV-arg").is_some());
    // Empty arguments make no type.
    let bar = s.get("bar").unwrap();
    let DefKind::Command(c) = &bar.kind else {
        panic!()
    };
    assert_eq!(c.arg_type, None);
}

// --- clashes --------------------------------------------------------------------------

#[test]
fn member_clashes() {
    let exceptions = "{ 'pragma': { 'member-name-exceptions': [ 'Foo', 'Enu' ] } }\n";
    assert_eq!(
        strict_err(&format!(
            "{exceptions}{{ 'struct': 'Foo', 'data': {{ 'a-b': 'int', 'a_b': 'int' }} }}"
        )),
        ctx(
            "struct",
            "Foo",
            2,
            "member 'a_b' collides with member 'a-b'"
        )
    );
    assert_eq!(
        strict_err(&format!(
            "{exceptions}{{ 'enum': 'Enu', 'data': [ 'a-b', 'a_b' ] }}"
        )),
        ctx("enum", "Enu", 2, "value 'a_b' collides with value 'a-b'")
    );
    // Optional or not, the name is the same.
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'data': { 'a': 'int', '*a': 'int' } }"),
        ctx("struct", "Foo", 1, "member 'a' collides with member 'a'")
    );
    assert_eq!(
        both_err(
            "{ 'struct': 'Base', 'data': { 'a': 'int' } }\n\
                  { 'struct': 'Foo', 'base': 'Base', 'data': { 'a': 'str' } }"
        ),
        ctx(
            "struct",
            "Foo",
            2,
            "member 'a' collides with member 'a' of type 'Base'"
        )
    );
    assert_eq!(
        default_err("{ 'command': 'foo', 'data': { 'a-b': 'str', 'a_b': 'str' } }"),
        ctx(
            "command",
            "foo",
            1,
            "parameter 'a_b' collides with parameter 'a-b'"
        )
    );
    assert_eq!(
        both_err(
            "{ 'struct': 'Base', 'data': { 'a': 'int' } }\n\
                  { 'union': 'Uni', 'base': { 'kind': 'Enu', 'a': 'str' }, 'discriminator': 'kind', 'data': {} }\n\
                  { 'enum': 'Enu', 'data': [ 'x' ] }\n\
                  { 'struct': 'Br', 'base': 'Base', 'data': {} }\n\
                  { 'union': 'Uni2', 'base': { 'kind': 'Enu', 'a': 'str' }, 'discriminator': 'kind',\n  \
                  'data': { 'x': 'Br' } }"
        ),
        ctx(
            "union",
            "Uni2",
            5,
            "member 'a' of type 'Base' collides with base member 'a'"
        )
    );
}

#[test]
fn feature_clashes() {
    assert_eq!(
        default_err("{ 'command': 'foo', 'features': [ 'a-b', 'a_b' ] }"),
        ctx(
            "command",
            "foo",
            1,
            "feature 'a_b' collides with feature 'a-b'"
        )
    );
    assert_eq!(
        both_err(
            "{ 'struct': 'Foo', 'data': { 'm': { 'type': 'int', 'features': [ 'f', 'f' ] } } }"
        ),
        // (QEMU says a member's features are defined in "type" NAME-OF-MEMBER.)
        ctx(
            "struct",
            "Foo",
            1,
            "feature 'f' of type 'm' collides with feature 'f' of type 'm'"
        )
    );
}

#[test]
fn special_features_are_not_for_types() {
    for (meta, body) in [
        ("struct", "'data': {}"),
        ("enum", "'data': []"),
        ("alternate", "'data': { 'a': 'int' }"),
    ] {
        for f in ["deprecated", "unstable"] {
            assert_eq!(
                both_err(&format!(
                    "{{ '{meta}': 'Foo', {body}, 'features': [ '{f}' ] }}"
                )),
                ctx(
                    meta,
                    "Foo",
                    1,
                    &format!("feature '{f}' is not supported for types")
                )
            );
        }
    }
    clean("{ 'struct': 'Foo', 'data': {}, 'features': [ 'custom' ] }");
}

#[test]
fn at_most_64_features() {
    let ok_features: Vec<String> = (0..62).map(|i| format!("'f{i}'")).collect();
    clean(&format!(
        "{{ 'command': 'foo', 'features': [ {} ] }}",
        ok_features.join(", ")
    ));
    let too_many: Vec<String> = (0..63).map(|i| format!("'f{i}'")).collect();
    assert_eq!(
        both_err(&format!(
            "\n{{ 'command': 'foo', 'features': [ {} ] }}",
            too_many.join(", ")
        )),
        ctx(
            "command",
            "foo",
            2,
            "Maximum of 64 schema features is permitted"
        )
    );
}

// --- the model -------------------------------------------------------------------------

#[test]
fn builtins_and_predefined_types() {
    let s = clean("");
    let dump = qapi_gen::dump::dump(&s);
    assert_eq!(
        dump,
        "module ./builtin\nobject q_empty\nenum QType\n    member none\n    member qnull\n    member qnum\n    \
         member qstring\n    member qdict\n    member qlist\n    member qbool\nmodule t.json\n"
    );
    for (name, json) in [
        ("str", JsonType::String),
        ("number", JsonType::Number),
        ("int", JsonType::Int),
        ("uint8", JsonType::Int),
        ("size", JsonType::Int),
        ("bool", JsonType::Boolean),
        ("null", JsonType::Null),
        ("any", JsonType::Value),
        ("anyList", JsonType::Array),
        ("QType", JsonType::String),
        ("q_empty", JsonType::Object),
    ] {
        let def = s.get(name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(def.json_type(), Some(json), "{name}");
        assert!(def.is_implicit(), "{name}");
    }
}

#[test]
fn model_lookups() {
    let s = clean(
        "{ 'struct': 'Foo', 'data': { 'a': 'int' } }\n{ 'command': 'foo', 'returns': 'Foo' }\n\
         { 'event': 'EV' }\n{ 'command': 'bar', 'features': [ 'deprecated' ] }\n",
    );
    assert_eq!(
        s.commands().map(|c| &*c.name).collect::<Vec<_>>(),
        ["foo", "bar"]
    );
    assert_eq!(s.events().map(|c| &*c.name).collect::<Vec<_>>(), ["EV"]);
    let foo = s.get("Foo").unwrap();
    assert_eq!(foo.meta(), "struct");
    assert!(!foo.is_implicit());
    assert_eq!(s.module(foo).name, "t.json");
    assert_eq!(foo.loc.unwrap().line, 1);
    assert_eq!(s.lookup("nope"), None);
    assert!(s.get("bar").unwrap().is_deprecated());
    assert_eq!(s.ids().count(), s.defs.len());
}
