//! The checks of single definitions (QEMU's `expr.py`): meta keys, names,
//! keys, flags, conditions in both dialects, features, and the shape of
//! enums, structs, unions (flat, and QEMU 5.2's simple ones), alternates,
//! commands and events.  Each with its exact message and context line.

mod common;

use common::{both_err, clean, default_err, dump_tail, ok, strict_err, style, warnings};
use qapi_gen::{Lint, Mode};

/// `t.json: In META 'NAME':\nt.json:LINE: MESSAGE`
fn ctx(meta: &str, name: &str, line: u32, message: &str) -> String {
    format!("t.json: In {meta} '{name}':\nt.json:{line}: {message}")
}

// --- the meta key ----------------------------------------------------------------

#[test]
fn exactly_one_meta_key() {
    let message = "t.json:1: expression must have exactly one key 'enum', 'struct', 'union', \
                   'alternate', 'command', 'event'";
    assert_eq!(both_err("{ 'data': [] }"), message);
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'struct': 'Foo', 'data': [] }"),
        message
    );
    assert_eq!(both_err("{}"), message);
}

#[test]
fn the_name_is_a_string() {
    // No context line yet: the definition has no name.
    assert_eq!(
        both_err("{ 'enum': [ 'Foo' ], 'data': [] }"),
        "t.json:1: 'enum' requires a string name"
    );
    assert_eq!(
        both_err("{ 'command': true }"),
        "t.json:1: 'command' requires a string name"
    );
}

// --- names -------------------------------------------------------------------------

#[test]
fn invalid_names() {
    for (meta, name) in [
        ("struct", "1Foo"),
        ("struct", "Foo Bar"),
        ("struct", "_Foo"),
        ("enum", "Foo.Bar"),
        ("command", "foo!"),
        ("event", "__EV"),
        ("command", "__org.qemu"),
        ("command", "q_foo"),
        ("command", "q-foo"),
        ("struct", "q_Foo"),
        ("command", ""),
    ] {
        let body = match meta {
            "struct" => ", 'data': {}",
            "enum" => ", 'data': []",
            _ => "",
        };
        assert_eq!(
            both_err(&format!("{{ '{meta}': '{name}'{body} }}")),
            ctx(meta, name, 1, &format!("{meta} has an invalid name")),
            "{name:?}"
        );
    }
}

#[test]
fn prefixed_names() {
    clean(
        "{ 'struct': '__org.qemu_Foo', 'data': { '__org.qemu_a': 'int', 'x-b': 'int', \
         '__org.qemu_x-c': 'int' } }\n\
         { 'command': 'x-foo' }\n{ 'command': '__com.redhat_foo-bar' }\n\
         { 'event': 'X-EV' }\n{ 'event': '__com.redhat_EV' }\n\
         { 'enum': 'x-Enu', 'data': [ 'x-a', '__org.qemu_b', '1a', '2' ] }\n",
    );
}

#[test]
fn type_names_are_camel_case() {
    for (meta, body) in [
        ("struct", ", 'data': {}"),
        ("enum", ", 'data': []"),
        ("alternate", ", 'data': { 'a': 'int' }"),
    ] {
        for name in ["foo", "FOO", "Foo_bar", "Foo-bar", "F"] {
            let text = format!("{{ '{meta}': '{name}'{body} }}");
            assert_eq!(
                style(&text, Lint::NameCase),
                ctx(meta, name, 1, &format!("name of {meta} must use CamelCase")),
                "{text}"
            );
        }
    }
    clean("{ 'struct': 'FooBar2', 'data': {} }\n{ 'struct': 'IOThread', 'data': {} }");
}

#[test]
fn type_names_do_not_end_in_list() {
    assert_eq!(
        both_err("{ 'struct': 'FooList', 'data': {} }"),
        ctx(
            "struct",
            "FooList",
            1,
            "struct name should not end in 'List'"
        )
    );
    assert_eq!(
        both_err("{ 'enum': 'BarList', 'data': [] }"),
        ctx("enum", "BarList", 1, "enum name should not end in 'List'")
    );
    // QEMU 5.2 also forbade `Kind`; QEMU 10.2 does not.
    clean("{ 'enum': 'FooKind', 'data': [] }");
}

#[test]
fn command_names_are_lower_case() {
    for name in ["Foo", "foo_bar", "fooBar"] {
        assert_eq!(
            style(&format!("{{ 'command': '{name}' }}"), Lint::NameCase),
            ctx(
                "command",
                name,
                1,
                "name of command must not use uppercase or '_'"
            )
        );
    }
}

#[test]
fn event_names_are_upper_case() {
    for name in ["foo", "FOO-BAR", "Foo"] {
        assert_eq!(
            style(&format!("{{ 'event': '{name}' }}"), Lint::NameCase),
            ctx(
                "event",
                name,
                1,
                "name of event must not use lowercase or '-'"
            )
        );
    }
    clean("{ 'event': 'FOO_BAR2' }");
}

#[test]
fn member_names() {
    assert_eq!(
        style(
            "{ 'struct': 'Foo', 'data': { '*Bar': 'int' } }",
            Lint::NameCase
        ),
        ctx(
            "struct",
            "Foo",
            1,
            "name of 'data' member '*Bar' must not use uppercase or '_'"
        )
    );
    assert_eq!(
        style(
            "{ 'command': 'foo', 'data': { 'a_b': 'int' } }",
            Lint::NameCase
        ),
        ctx(
            "command",
            "foo",
            1,
            "name of 'data' member 'a_b' must not use uppercase or '_'"
        )
    );
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'data': { 'a b': 'int' } }"),
        ctx(
            "struct",
            "Foo",
            1,
            "'data' member 'a b' has an invalid name"
        )
    );
    assert_eq!(
        both_err("{ 'event': 'EV', 'data': { '*': 'int' } }"),
        ctx("event", "EV", 1, "'data' member '*' has an invalid name")
    );
}

#[test]
fn reserved_member_names() {
    for name in ["u", "has-a", "has_a", "*has-a", "*u"] {
        let text = format!("{{ 'struct': 'Foo', 'data': {{ '{name}': 'int' }} }}");
        let expected = ctx(
            "struct",
            "Foo",
            1,
            &format!("'data' member '{name}' uses reserved name"),
        );
        if name.contains('_') {
            // The case rule comes first, and is a warning in default mode.
            assert_eq!(default_err(&text), expected);
        } else {
            assert_eq!(both_err(&text), expected);
        }
    }
    clean("{ 'struct': 'Foo', 'data': { 'hasx': 'int', 'uu': 'int', 'has': 'int' } }");
}

#[test]
fn enum_value_names() {
    assert_eq!(
        style("{ 'enum': 'Foo', 'data': [ 'a', 'B' ] }", Lint::NameCase),
        ctx(
            "enum",
            "Foo",
            1,
            "name of 'data' member 'B' must not use uppercase or '_'"
        )
    );
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': [ 'a', '-b' ] }"),
        ctx("enum", "Foo", 1, "'data' member '-b' has an invalid name")
    );
    // A value may start with a digit.
    let s = clean("{ 'enum': 'Foo', 'data': [ '1', '2x' ] }");
    assert_eq!(
        dump_tail(&s),
        "module t.json\nenum Foo\n    member 1\n    member 2x\n"
    );
}

// --- keys --------------------------------------------------------------------------

#[test]
fn missing_and_unknown_keys() {
    assert_eq!(
        both_err("{ 'enum': 'Foo' }"),
        ctx("enum", "Foo", 1, "enum misses key 'data'")
    );
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'date': {} }"),
        ctx("struct", "Foo", 1, "struct misses key 'data'")
    );
    assert_eq!(
        strict_err("{ 'union': 'Foo', 'data': {} }"),
        ctx(
            "union",
            "Foo",
            1,
            "union misses keys 'base', 'discriminator'"
        )
    );
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': [], 'values': [], 'base': 'x' }"),
        ctx(
            "enum",
            "Foo",
            1,
            "enum has unknown keys 'base', 'values'\nValid keys are 'data', 'enum', 'features', 'if', 'prefix'."
        )
    );
    assert_eq!(
        both_err("{ 'command': 'foo', 'return': 'Foo' }"),
        ctx(
            "command",
            "foo",
            1,
            "command has unknown key 'return'\nValid keys are 'allow-oob', 'allow-preconfig', \
             'boxed', 'command', 'coroutine', 'data', 'features', 'gen', 'if', 'returns', \
             'success-response'."
        )
    );
    assert_eq!(
        both_err("{ 'event': 'EV', 'returns': 'Foo' }"),
        ctx(
            "event",
            "EV",
            1,
            "event has unknown key 'returns'\nValid keys are 'boxed', 'data', 'event', 'features', 'if'."
        )
    );
    assert_eq!(
        both_err("{ 'alternate': 'Alt', 'data': { 'a': 'int' }, 'base': 'Foo' }"),
        ctx(
            "alternate",
            "Alt",
            1,
            "alternate has unknown key 'base'\nValid keys are 'alternate', 'data', 'features', 'if'."
        )
    );
}

#[test]
fn member_keys() {
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'data': { 'a': { 'typ': 'int' } } }"),
        ctx("struct", "Foo", 1, "'data' member 'a' misses key 'type'")
    );
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'data': { 'a': { 'type': 'int', 'default': 'x' } } }"),
        ctx(
            "struct",
            "Foo",
            1,
            "'data' member 'a' has unknown key 'default'\nValid keys are 'features', 'if', 'type'."
        )
    );
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': [ { 'name': 'a', 'value': 1 } ] }"),
        "t.json:1:52: stray '1'"
    );
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': [ { 'name': 'a', 'value': 'x' } ] }"),
        ctx(
            "enum",
            "Foo",
            1,
            "'data' member has unknown key 'value'\nValid keys are 'features', 'if', 'name'."
        )
    );
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': [ { 'if': 'A' } ] }"),
        ctx("enum", "Foo", 1, "'data' member misses key 'name'")
    );
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': [ [ 'a' ] ] }"),
        ctx("enum", "Foo", 1, "'data' member requires a string name")
    );
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': [ { 'name': true } ] }"),
        ctx("enum", "Foo", 1, "'data' member requires a string name")
    );
}

#[test]
fn the_context_is_the_definitions_first_line() {
    assert_eq!(
        both_err("\n{ 'struct': 'Foo',\n  'data': {\n    'a': 'Nope' } }\n"),
        ctx("struct", "Foo", 2, "member 'a' uses unknown type 'Nope'")
    );
}

// --- flags ---------------------------------------------------------------------------

#[test]
fn flags() {
    for key in ["gen", "success-response"] {
        for value in ["true", "'no'", "[]"] {
            assert_eq!(
                both_err(&format!("{{ 'command': 'foo', '{key}': {value} }}")),
                ctx(
                    "command",
                    "foo",
                    1,
                    &format!("flag '{key}' may only use false value")
                )
            );
        }
    }
    for key in ["boxed", "allow-oob", "allow-preconfig", "coroutine"] {
        let data = if key == "boxed" {
            ", 'data': 'Foo'"
        } else {
            ""
        };
        for value in ["false", "'yes'"] {
            assert_eq!(
                both_err(&format!(
                    "{{ 'struct': 'Foo', 'data': {{}} }}\n{{ 'command': 'foo', '{key}': {value}{data} }}"
                )),
                ctx(
                    "command",
                    "foo",
                    2,
                    &format!("flag '{key}' may only use true value")
                )
            );
        }
    }
    assert_eq!(
        both_err("{ 'command': 'foo', 'allow-oob': true, 'coroutine': true }"),
        ctx(
            "command",
            "foo",
            1,
            "flags 'allow-oob' and 'coroutine' are incompatible"
        )
    );
    assert_eq!(
        both_err("{ 'event': 'EV', 'boxed': false }"),
        ctx("event", "EV", 1, "flag 'boxed' may only use true value")
    );
    let s = clean(
        "{ 'command': 'foo', 'gen': false, 'success-response': false, 'allow-oob': true,\n  \
         'allow-preconfig': true }\n{ 'command': 'bar', 'coroutine': true }",
    );
    assert!(dump_tail(&s).ends_with(
        "command foo None -> None\n    gen=False success_response=False boxed=False oob=True preconfig=True\n\
         command bar None -> None\n    gen=True success_response=True boxed=False oob=False preconfig=False coroutine=True\n"
    ));
}

#[test]
fn boxed_needs_data() {
    assert_eq!(
        both_err("{ 'command': 'foo', 'boxed': true }"),
        ctx("command", "foo", 1, "'boxed': true requires 'data'")
    );
    assert_eq!(
        both_err("{ 'event': 'EV', 'boxed': true }"),
        ctx("event", "EV", 1, "'boxed': true requires 'data'")
    );
    assert_eq!(
        both_err("{ 'command': 'foo', 'boxed': true, 'data': { 'a': 'int' } }"),
        ctx("command", "foo", 1, "'data' should be a type name")
    );
}

// --- conditions --------------------------------------------------------------------

#[test]
fn conditions_of_qemu_10_2() {
    let s = clean(
        "{ 'struct': 'Foo', 'if': 'CONFIG_A',\n  \
         'data': { 'a': { 'type': 'int', 'if': { 'not': 'B' } },\n            \
         'b': { 'type': 'int', 'if': { 'any': [ 'C', { 'all': [ 'D', 'E_2' ] } ] } } },\n  \
         'features': [ { 'name': 'f', 'if': 'F' } ] }\n\
         { 'enum': 'Enu', 'data': [ { 'name': 'x', 'if': 'X' } ], 'if': { 'all': [ 'G' ] } }\n\
         { 'alternate': 'Alt', 'data': { 'a': { 'type': 'int', 'if': 'H' }, 'b': 'bool' } }\n",
    );
    assert_eq!(
        dump_tail(&s),
        "module t.json\nobject Foo\n    member a: int optional=False\n        if {'not': 'B'}\n    \
         member b: int optional=False\n        if {'any': ['C', {'all': ['D', 'E_2']}]}\n    \
         if CONFIG_A\n    feature f\n        if F\n\
         enum Enu\n    member x\n        if X\n    if {'all': ['G']}\n\
         alternate Alt\n    tag type\n    case a: int\n        if H\n    case b: bool\n"
    );
}

#[test]
fn condition_errors_of_qemu_10_2() {
    let cases = [
        (
            "'defined(CONFIG_A)'",
            "'if' condition 'defined(CONFIG_A)' of struct is not a valid identifier",
        ),
        (
            "'config_a'",
            "'if' condition 'config_a' of struct is not a valid identifier",
        ),
        (
            "''",
            "'if' condition '' of struct is not a valid identifier",
        ),
        (
            "true",
            "'if' condition of struct must be a string or an object",
        ),
        ("{}", "'if' condition of struct has conflicting keys"),
        (
            "{ 'all': [ 'A' ], 'any': [ 'B' ] }",
            "'if' condition of struct has conflicting keys",
        ),
        (
            "{ 'and': [ 'A' ] }",
            "'if' condition of struct has unknown key 'and'\nValid keys are 'all', 'any', 'not'.",
        ),
        (
            "{ 'all': 'A' }",
            "'all' condition of struct must be an array",
        ),
        ("{ 'any': [] }", "'if' condition [] of struct is useless"),
        (
            "{ 'not': [ 'A' ] }",
            "'if' condition of struct must be a string or an object",
        ),
        (
            "{ 'not': { 'all': [ 'a' ] } }",
            "'if' condition 'a' of struct is not a valid identifier",
        ),
    ];
    for (cond, message) in cases {
        let text = format!("{{ 'struct': 'Foo', 'data': {{}}, 'if': {cond} }}");
        assert_eq!(
            strict_err(&text),
            ctx("struct", "Foo", 1, message),
            "{cond}"
        );
    }
    // The source names the member, value, branch or feature.  (In default
    // mode, `'a'` is a C preprocessor expression.)
    assert_eq!(
        strict_err("{ 'struct': 'Foo', 'data': { 'a': { 'type': 'int', 'if': 'a' } } }"),
        ctx(
            "struct",
            "Foo",
            1,
            "'if' condition 'a' of 'data' member 'a' is not a valid identifier"
        )
    );
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': [ { 'name': 'v', 'if': { 'any': [] } } ] }"),
        ctx(
            "enum",
            "Foo",
            1,
            "'if' condition [] of 'data' member 'v' is useless"
        )
    );
    assert_eq!(
        strict_err("{ 'command': 'foo', 'features': [ { 'name': 'f', 'if': 'x' } ] }"),
        ctx(
            "command",
            "foo",
            1,
            "'if' condition 'x' of 'features' member 'f' is not a valid identifier"
        )
    );
    let text = "{ 'enum': 'Enu', 'data': [ 'a' ] }\n{ 'struct': 'Base', 'data': { 'e': 'Enu' } }\n\
                { 'struct': 'Br', 'data': {} }\n\
                { 'union': 'Uni', 'base': 'Base', 'discriminator': 'e',\n  \
                'data': { 'a': { 'type': 'Br', 'if': [] } } }";
    assert_eq!(
        strict_err(text),
        ctx(
            "union",
            "Uni",
            4,
            "'if' condition of 'data' member 'a' must be a string or an object"
        )
    );
    // A list is a QEMU 5.2 condition.
    assert_eq!(
        default_err(text),
        ctx(
            "union",
            "Uni",
            4,
            "'if' condition [] of 'data' member 'a' is useless"
        )
    );
}

#[test]
fn conditions_of_qemu_5_2_in_default_mode() {
    // C preprocessor expressions, and lists of them that must all hold.
    let text = "{ 'struct': 'Foo', 'if': 'defined(CONFIG_SPICE)',\n  \
                'data': { 'a': { 'type': 'int', 'if': [ 'defined(A)', 'defined(B) || defined(C)' ] } } }\n\
                { 'enum': 'Enu', 'data': [ { 'name': 'x', 'if': 'defined(X)' } ], 'if': 'CONFIG_Y' }\n";
    let s = ok(Mode::Default, text);
    assert!(s.warnings.is_empty());
    assert_eq!(
        dump_tail(&s),
        "module t.json\nobject Foo\n    member a: int optional=False\n        \
         if {'all': ['defined(A)', 'defined(B) || defined(C)']}\n    if defined(CONFIG_SPICE)\n\
         enum Enu\n    member x\n        if defined(X)\n    if CONFIG_Y\n"
    );
    let foo = s.get("Foo").unwrap();
    let cond = foo.ifcond.as_ref().unwrap();
    let defined = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
    assert_eq!(cond.eval(&defined(&["CONFIG_SPICE"])), Ok(true));
    assert_eq!(cond.eval(&defined(&[])), Ok(false));
    // Strict mode: QEMU 10.2's rules.  (The members are checked before the
    // definition's own condition.)
    assert_eq!(
        strict_err(text),
        ctx(
            "struct",
            "Foo",
            1,
            "'if' condition of 'data' member 'a' must be a string or an object"
        )
    );
    assert_eq!(
        strict_err("{ 'struct': 'Foo', 'data': {}, 'if': 'defined(CONFIG_SPICE)' }"),
        ctx(
            "struct",
            "Foo",
            1,
            "'if' condition 'defined(CONFIG_SPICE)' of struct is not a valid identifier"
        )
    );
    assert_eq!(
        strict_err("{ 'struct': 'Foo', 'data': {}, 'if': [ 'A' ] }"),
        ctx(
            "struct",
            "Foo",
            1,
            "'if' condition of struct must be a string or an object"
        )
    );
}

#[test]
fn condition_errors_of_qemu_5_2() {
    assert_eq!(
        default_err("{ 'struct': 'Foo', 'data': {}, 'if': [] }"),
        ctx("struct", "Foo", 1, "'if' condition [] of struct is useless")
    );
    assert_eq!(
        default_err("{ 'struct': 'Foo', 'data': {}, 'if': [ 'defined(A)', ' ' ] }"),
        ctx(
            "struct",
            "Foo",
            1,
            "'if' condition ' ' of struct makes no sense"
        )
    );
    assert_eq!(
        default_err("{ 'struct': 'Foo', 'data': {}, 'if': [ 'defined(A)', [ 'B' ] ] }"),
        ctx(
            "struct",
            "Foo",
            1,
            "'if' condition of struct must be a string or a list of strings"
        )
    );
}

// --- features --------------------------------------------------------------------------

#[test]
fn features() {
    let s = clean(
        "{ 'struct': 'Foo', 'data': { 'a': { 'type': 'int', 'features': [ 'deprecated' ] } },\n  \
         'features': [ 'feat-a', { 'name': 'feat-b', 'if': 'B' } ] }\n\
         { 'enum': 'Enu', 'data': [ { 'name': 'v', 'features': [ 'unstable' ] } ] }\n\
         { 'command': 'foo', 'features': [ 'deprecated', 'unstable', 'custom' ] }\n\
         { 'event': 'EV', 'features': [ 'deprecated' ] }\n",
    );
    assert_eq!(
        dump_tail(&s),
        "module t.json\nobject Foo\n    member a: int optional=False\n        feature deprecated\n    \
         feature feat-a\n    feature feat-b\n        if B\n\
         enum Enu\n    member v\n        feature unstable\n\
         command foo None -> None\n    gen=True success_response=True boxed=False oob=False preconfig=False\n    \
         feature deprecated\n    feature unstable\n    feature custom\n\
         event EV None\n    boxed=False\n    feature deprecated\n"
    );
    assert_eq!(
        s.feature_names,
        ["deprecated", "unstable", "feat-a", "feat-b", "custom"]
    );
    assert!(s.get("foo").unwrap().is_deprecated());
}

#[test]
fn feature_errors() {
    assert_eq!(
        both_err("{ 'command': 'foo', 'features': 'deprecated' }"),
        ctx("command", "foo", 1, "'features' must be an array")
    );
    assert_eq!(
        both_err("{ 'command': 'foo', 'features': [ { 'if': 'A' } ] }"),
        ctx("command", "foo", 1, "'features' member misses key 'name'")
    );
    assert_eq!(
        both_err("{ 'command': 'foo', 'features': [ { 'name': 'f', 'since': 'x' } ] }"),
        ctx(
            "command",
            "foo",
            1,
            "'features' member has unknown key 'since'\nValid keys are 'if', 'name'."
        )
    );
    assert_eq!(
        both_err("{ 'command': 'foo', 'features': [ [ 'f' ] ] }"),
        ctx(
            "command",
            "foo",
            1,
            "'features' member requires a string name"
        )
    );
    assert_eq!(
        both_err("{ 'command': 'foo', 'features': [ 'f!' ] }"),
        ctx(
            "command",
            "foo",
            1,
            "'features' member 'f!' has an invalid name"
        )
    );
    assert_eq!(
        style(
            "{ 'command': 'foo', 'features': [ 'Feat' ] }",
            Lint::NameCase
        ),
        ctx(
            "command",
            "foo",
            1,
            "name of 'features' member 'Feat' must not use uppercase or '_'"
        )
    );
}

// --- enums ------------------------------------------------------------------------------

#[test]
fn enums() {
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': { 'a': 'b' } }"),
        ctx("enum", "Foo", 1, "'data' must be an array")
    );
    assert_eq!(
        both_err("{ 'enum': 'Foo', 'data': [], 'prefix': [ 'X' ] }"),
        ctx("enum", "Foo", 1, "'prefix' must be a string")
    );
    let s = clean("{ 'enum': 'Foo', 'prefix': 'QAPI_FOO', 'data': [ 'a', { 'name': 'b' } ] }");
    assert_eq!(
        dump_tail(&s),
        "module t.json\nenum Foo\n    prefix QAPI_FOO\n    member a\n    member b\n"
    );
}

// --- structs ---------------------------------------------------------------------------

#[test]
fn structs() {
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'data': 'Bar' }"),
        ctx(
            "struct",
            "Foo",
            1,
            "'data' should be an object or type name"
        )
    );
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'data': [ 'int' ] }"),
        ctx(
            "struct",
            "Foo",
            1,
            "'data' should be an object or type name"
        )
    );
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'data': {}, 'base': { 'a': 'int' } }"),
        ctx("struct", "Foo", 1, "'base' should be a type name")
    );
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'data': {}, 'base': [ 'Bar' ] }"),
        ctx("struct", "Foo", 1, "'base' should be a type name")
    );
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'data': { 'a': true } }"),
        ctx(
            "struct",
            "Foo",
            1,
            "'data' member 'a' should be a type name or array"
        )
    );
    assert_eq!(
        both_err("{ 'struct': 'Foo', 'data': { 'a': { 'type': { 'b': 'int' } } } }"),
        ctx(
            "struct",
            "Foo",
            1,
            "'data' member 'a' should be a type name or array"
        )
    );
    let s = clean(
        "{ 'struct': 'Base', 'data': { 'b': 'str' } }\n\
         { 'struct': 'Foo', 'base': 'Base', 'data': { '*a': ['int'], 'c': { 'type': 'Base' } } }",
    );
    assert_eq!(
        dump_tail(&s),
        "module t.json\nobject Base\n    member b: str optional=False\n\
         object Foo\n    base Base\n    member a: intList optional=True\n    member c: Base optional=False\n"
    );
}

// --- unions ------------------------------------------------------------------------------

const UNION_TYPES: &str = "{ 'enum': 'Enu', 'data': [ 'a', 'b', 'c' ] }\n\
                           { 'struct': 'Base', 'data': { 'kind': 'Enu', 'x': 'int' } }\n\
                           { 'struct': 'Br', 'data': { 'y': 'str' } }\n";

#[test]
fn flat_unions() {
    let s = clean(&format!(
        "{UNION_TYPES}{{ 'union': 'Uni', 'base': 'Base', 'discriminator': 'kind',\n  \
         'data': {{ 'a': 'Br', 'b': {{ 'type': 'Br', 'if': 'B' }} }} }}\n\
         {{ 'union': 'Inl', 'base': {{ 'kind': 'Enu' }}, 'discriminator': 'kind', 'data': {{}} }}\n"
    ));
    let dump = dump_tail(&s);
    assert!(dump.ends_with(
        "object Uni\n    base Base\n    tag kind\n    case a: Br\n    case b: Br\n        if B\n    \
         case c: q_empty\n\
         object q_obj_Inl-base\n    member kind: Enu optional=False\n\
         object Inl\n    base q_obj_Inl-base\n    tag kind\n    case a: q_empty\n    case b: q_empty\n    \
         case c: q_empty\n"
    ), "{dump}");
    let uni = s.get("Uni").unwrap();
    let qapi_gen::schema::DefKind::Object(o) = &uni.kind else {
        panic!()
    };
    let v = o.variants.as_ref().unwrap();
    assert_eq!(v.kind, qapi_gen::schema::UnionKind::Flat);
    assert_eq!(
        v.variants.iter().map(|v| v.implicit).collect::<Vec<_>>(),
        [false, false, true]
    );
}

#[test]
fn flat_union_errors() {
    let union = |rest: &str| format!("{UNION_TYPES}{{ 'union': 'Uni', {rest} }}\n");
    let cases = [
        (
            "'base': 'Base', 'discriminator': [ 'kind' ], 'data': {}",
            "'discriminator' requires a string name",
        ),
        (
            "'base': 'Base', 'discriminator': 'kind', 'data': [ 'a' ]",
            "'data' must be an object",
        ),
        (
            "'base': [ 'Base' ], 'discriminator': 'kind', 'data': {}",
            "'base' should be an object or type name",
        ),
        (
            "'base': 'Base', 'discriminator': 'kind', 'data': { 'a': [ 'Br' ] }",
            "'data' member 'a' should be a type name",
        ),
        (
            "'base': 'Base', 'discriminator': 'kind', 'data': { 'a': { 'type': 'Br', 'x': 'y' } }",
            "'data' member 'a' has unknown key 'x'\nValid keys are 'if', 'type'.",
        ),
        (
            "'base': 'Base', 'discriminator': 'kind', 'data': { 'a': { 'if': 'A' } }",
            "'data' member 'a' misses key 'type'",
        ),
        (
            "'base': { 'Kind': 'Enu' }, 'discriminator': 'Kind', 'data': {}",
            "name of 'base' member 'Kind' must not use uppercase or '_'",
        ),
    ];
    for (rest, message) in cases {
        assert_eq!(
            strict_err(&union(rest)),
            ctx("union", "Uni", 4, message),
            "{rest}"
        );
    }
    // Branch names are values of the tag's enum; the enum checks them.
    assert_eq!(
        both_err(&union(
            "'base': 'Base', 'discriminator': 'kind', 'data': { 'd': 'Br' }"
        )),
        ctx(
            "union",
            "Uni",
            4,
            "branch 'd' is not a value of enum type 'Enu'"
        )
    );
}

#[test]
fn simple_unions_of_qemu_5_2() {
    // No base, no discriminator: an implicit enum `<Name>Kind` tags it, and
    // each branch wraps its type in an object with member `data`.
    let text = "{ 'struct': 'Br', 'data': { 'y': 'str' } }\n\
                { 'union': 'Simple', 'data': { 'a': 'Br', 'b': 'int', 'c': ['str'],\n  \
                'd': { 'type': 'Br', 'if': 'defined(D)' } } }\n";
    let s = ok(Mode::Default, text);
    assert!(s.warnings.is_empty());
    assert_eq!(
        dump_tail(&s),
        "module t.json\nobject Br\n    member y: str optional=False\n\
         object q_obj_Br-wrapper\n    member data: Br optional=False\n\
         object q_obj_int-wrapper\n    member data: int optional=False\n\
         object q_obj_strList-wrapper\n    member data: strList optional=False\n\
         enum SimpleKind\n    member a\n    member b\n    member c\n    member d\n        if defined(D)\n\
         object Simple\n    member type: SimpleKind optional=False\n    tag type\n    \
         case a: q_obj_Br-wrapper\n    case b: q_obj_int-wrapper\n    case c: q_obj_strList-wrapper\n    \
         case d: q_obj_Br-wrapper\n        if defined(D)\n"
    );
    let simple = s.get("Simple").unwrap();
    let qapi_gen::schema::DefKind::Object(o) = &simple.kind else {
        panic!()
    };
    assert_eq!(
        o.variants.as_ref().unwrap().kind,
        qapi_gen::schema::UnionKind::Simple
    );
    assert!(s.get("q_obj_Br-wrapper").unwrap().is_implicit());
    // QEMU 10.2 has no simple unions.
    assert_eq!(
        strict_err(text),
        ctx(
            "union",
            "Simple",
            2,
            "union misses keys 'base', 'discriminator'"
        )
    );
}

#[test]
fn simple_union_errors() {
    assert_eq!(
        default_err("{ 'union': 'Simple', 'data': { 'a': { 'type': 'int', 'x': 1 } } }"),
        "t.json:1:59: stray '1'"
    );
    assert_eq!(
        default_err("{ 'union': 'Simple', 'data': { 'a': { 'type': 'int', 'x': 'y' } } }"),
        ctx(
            "union",
            "Simple",
            1,
            "'data' member 'a' has unknown key 'x'\nValid keys are 'if', 'type'."
        )
    );
    assert_eq!(
        default_err("{ 'union': 'Simple', 'data': { 'a': [ 'int', 'str' ] } }"),
        ctx(
            "union",
            "Simple",
            1,
            "'data' member 'a': array type must contain single type name"
        )
    );
    assert_eq!(
        default_err("{ 'union': 'Simple', 'data': { 'a b': 'int' } }"),
        ctx(
            "union",
            "Simple",
            1,
            "'data' member 'a b' has an invalid name"
        )
    );
    assert_eq!(
        warnings("{ 'union': 'Simple', 'data': { 'Upper': 'int' } }"),
        [
            "t.json: In union 'Simple':\nt.json:1: warning: name of 'data' member 'Upper' must not use uppercase or '_'"
        ]
    );
    // Only one of base and discriminator: a flat union missing a key.
    assert_eq!(
        default_err(
            "{ 'struct': 'Base', 'data': {} }\n{ 'union': 'Uni', 'base': 'Base', 'data': {} }"
        ),
        ctx("union", "Uni", 2, "union misses key 'discriminator'")
    );
    // An array branch of an unknown type: the array type reports it, as in
    // QEMU 5.2.
    assert_eq!(
        default_err("{ 'union': 'Simple', 'data': { 'a': [ 'Nope' ] } }"),
        ctx("union", "Simple", 1, "union uses unknown type 'Nope'")
    );
}

#[test]
fn simple_union_branch_of_unknown_type() {
    // QEMU 5.2 itself fails an assertion here (describing a wrapper's member
    // is "unreachable and not implemented" there); QEMU 10.2 says this of a
    // flat union's branch.
    assert_eq!(
        default_err("{ 'union': 'Simple', 'data': { 'a': 'Nope' } }"),
        ctx("union", "Simple", 1, "branch 'a' uses unknown type 'Nope'")
    );
}

#[test]
fn simple_union_kind_enum_is_implicit() {
    // QEMU made it up; QEMU 5.2's QAPISchemaEnumType.is_implicit() is true
    // for it.
    let s = ok(
        Mode::Default,
        "{ 'union': 'Simple', 'data': { 'a': 'int' } }",
    );
    assert!(s.get("SimpleKind").unwrap().is_implicit());
}

// --- alternates ----------------------------------------------------------------------------

#[test]
fn alternates() {
    let s = clean(
        "{ 'struct': 'Br', 'data': { 'y': 'str' } }\n\
         { 'alternate': 'Alt', 'data': { 'a': 'Br', 'b': 'str', 'e': 'null', 'f': [ 'int' ] } }\n\
         { 'alternate': 'Alt2', 'data': { 'c': 'int', 'd': 'bool' } }",
    );
    assert!(dump_tail(&s).ends_with(
        "alternate Alt\n    tag type\n    case a: Br\n    case b: str\n    case e: null\n    case f: intList\n\
         alternate Alt2\n    tag type\n    case c: int\n    case d: bool\n"
    ));
    assert_eq!(
        both_err("{ 'alternate': 'Alt', 'data': {} }"),
        ctx("alternate", "Alt", 1, "'data' must not be empty")
    );
    assert_eq!(
        both_err("{ 'alternate': 'Alt', 'data': [] }"),
        ctx("alternate", "Alt", 1, "'data' must not be empty")
    );
    assert_eq!(
        both_err("{ 'alternate': 'Alt', 'data': [ 'int' ] }"),
        ctx("alternate", "Alt", 1, "'data' must be an object")
    );
    assert_eq!(
        style(
            "{ 'alternate': 'Alt', 'data': { 'A': 'int' } }",
            Lint::NameCase
        ),
        ctx(
            "alternate",
            "Alt",
            1,
            "name of 'data' member 'A' must not use uppercase or '_'"
        )
    );
    assert_eq!(
        both_err("{ 'alternate': 'Alt', 'data': { 'a': { 'type': 'int', 'features': [] } } }"),
        ctx(
            "alternate",
            "Alt",
            1,
            "'data' member 'a' has unknown key 'features'\nValid keys are 'if', 'type'."
        )
    );
    assert_eq!(
        both_err("{ 'alternate': 'Alt', 'data': { 'a': { 'b': 'int' } } }"),
        ctx("alternate", "Alt", 1, "'data' member 'a' misses key 'type'")
    );
    assert_eq!(
        both_err("{ 'alternate': 'Alt', 'data': { 'a': true } }"),
        ctx(
            "alternate",
            "Alt",
            1,
            "'data' member 'a' should be a type name or array"
        )
    );
}

// --- commands and events ---------------------------------------------------------------------

#[test]
fn command_shapes() {
    let s = clean(
        "{ 'struct': 'Arg', 'data': { 'a': 'int' } }\n\
         { 'command': 'c1', 'data': { 'x': 'str', '*y': 'Arg' }, 'returns': 'Arg' }\n\
         { 'command': 'c2', 'data': 'Arg', 'returns': [ 'Arg' ] }\n\
         { 'command': 'c3', 'data': 'Arg', 'boxed': true }\n\
         { 'command': 'c4', 'data': {} }\n",
    );
    assert!(dump_tail(&s).ends_with(
        "object q_obj_c1-arg\n    member x: str optional=False\n    member y: Arg optional=True\n\
         command c1 q_obj_c1-arg -> Arg\n    gen=True success_response=True boxed=False oob=False preconfig=False\n\
         array ArgList Arg\n\
         command c2 Arg -> ArgList\n    gen=True success_response=True boxed=False oob=False preconfig=False\n\
         command c3 Arg -> None\n    gen=True success_response=True boxed=True oob=False preconfig=False\n\
         command c4 None -> None\n    gen=True success_response=True boxed=False oob=False preconfig=False\n"
    ));
    assert_eq!(
        both_err("{ 'command': 'foo', 'data': [ 'Arg' ] }"),
        ctx(
            "command",
            "foo",
            1,
            "'data' should be an object or type name"
        )
    );
    assert_eq!(
        both_err("{ 'command': 'foo', 'returns': { 'a': 'int' } }"),
        ctx(
            "command",
            "foo",
            1,
            "'returns' should be a type name or array"
        )
    );
    assert_eq!(
        both_err("{ 'command': 'foo', 'returns': [] }"),
        ctx(
            "command",
            "foo",
            1,
            "'returns': array type must contain single type name"
        )
    );
}

#[test]
fn event_shapes() {
    let s = clean(
        "{ 'struct': 'Arg', 'data': { 'a': 'int' } }\n\
         { 'event': 'EV1', 'data': { 'x': 'str' } }\n\
         { 'event': 'EV2', 'data': 'Arg' }\n{ 'event': 'EV3', 'data': 'Arg', 'boxed': true }\n",
    );
    assert!(dump_tail(&s).ends_with(
        "object q_obj_EV1-arg\n    member x: str optional=False\nevent EV1 q_obj_EV1-arg\n    boxed=False\n\
         event EV2 Arg\n    boxed=False\nevent EV3 Arg\n    boxed=True\n"
    ));
    assert_eq!(
        both_err("{ 'event': 'EV', 'data': [ 'Arg' ] }"),
        ctx("event", "EV", 1, "'data' should be an object or type name")
    );
    assert_eq!(
        both_err("{ 'event': 'EV', 'data': { 'a': [ 'x', 'y' ] } }"),
        ctx(
            "event",
            "EV",
            1,
            "'data' member 'a': array type must contain single type name"
        )
    );
}
