//! Commands and events: a struct each, holding the arguments or the data,
//! and its `Command` or `Event` impl.

use super::Generator;
use super::docs;
use super::names::{Lit, Namespace};
use super::out::Out;
use super::structs::emit_plain_struct;
use super::types::{fields, type_text};
use crate::schema::{Builtin, Command, DefId, DefKind, Event};

/// The JSON kind of a member type, for the server's argument checks.
fn json_kind(g: &Generator, ty: DefId) -> String {
    let kind = match &g.schema.def(ty).kind {
        DefKind::Builtin(b) => match b {
            Builtin::Str => "String",
            Builtin::Number => "Number",
            Builtin::Bool => "Boolean",
            Builtin::Any => "Any",
            Builtin::Null => "Null",
            Builtin::Uint8
            | Builtin::Uint16
            | Builtin::Uint32
            | Builtin::Uint64
            | Builtin::Size => "Unsigned",
            _ => "Integer",
        },
        DefKind::Enum(_) => return format!("::qapi_types::JsonKind::Enum({}::VALUES)", g.name(ty)),
        DefKind::Array(_) => "Array",
        DefKind::Object(_) => "Object",
        _ => "Any",
    };
    format!("::qapi_types::JsonKind::{kind}")
}

/// The struct for a command's arguments or an event's data: the members
/// of an implicit type, a newtype around a named type, or empty.
fn emit_args_struct(g: &Generator, id: DefId, arg: Option<DefId>, out: &mut Out) {
    let def = g.schema.def(id);
    let name = g.name(id);
    match arg {
        Some(a) if !g.schema.def(a).name.starts_with("q_obj_") => {
            let inner = type_text(g, a);
            let what = if matches!(def.kind, DefKind::Command(_)) {
                "arguments"
            } else {
                "data"
            };
            out.docs(&docs::definition(g, id));
            if def.is_deprecated() {
                out.line("#[deprecated]");
            }
            out.line("#[derive(Clone, Debug, PartialEq)]");
            out.line(format_args!("pub struct {name}("));
            out.deeper(|out| {
                out.line(format_args!("/// The {what}, as one [`{}`].", g.name(a)));
                out.line(format_args!("pub {inner},"));
            });
            out.line(");");
            out.line("#[allow(deprecated)]");
            out.block(
                format_args!("impl ::qapi_types::serde::Serialize for {name}"),
                "",
                |out| {
                    out.line("fn serialize<S: ::qapi_types::serde::Serializer>(");
                    out.deeper(|out| {
                        out.line("&self,");
                        out.line("s: S,");
                    });
                    out.block(") -> ::std::result::Result<S::Ok, S::Error>", "", |out| {
                        out.line("self.0.serialize(s)")
                    });
                },
            );
            out.line("#[allow(deprecated)]");
            out.block(
                format_args!("impl<'de> ::qapi_types::serde::Deserialize<'de> for {name}"),
                "",
                |out| {
                    out.line("fn deserialize<D: ::qapi_types::serde::Deserializer<'de>>(");
                    out.deeper(|out| out.line("d: D,"));
                    out.block(") -> ::std::result::Result<Self, D::Error>", "", |out| {
                        out.line(format_args!(
                            "<{inner} as ::qapi_types::serde::Deserialize>::deserialize(d).map(Self)"
                        ))
                    });
                },
            );
        }
        Some(a) => {
            let DefKind::Object(o) = &g.schema.def(a).kind else {
                unreachable!("arguments are an object")
            };
            let fields = fields(g, a, &o.members, &mut Namespace::default());
            emit_plain_struct(g, id, a, name, &def.name, &fields, out);
        }
        None => emit_plain_struct(g, id, id, name, &def.name, &[], out),
    }
}

/// A command's struct and its `Command` impl.
pub(crate) fn emit_command(g: &Generator, id: DefId, c: &Command, out: &mut Out) {
    let def = g.schema.def(id);
    let name = g.name(id);
    emit_args_struct(g, id, c.arg_type, out);
    out.line("#[allow(deprecated)]");
    out.block(
        format_args!("impl ::qapi_types::Command for {name}"),
        "",
        |out| {
            out.line(format_args!(
                "const NAME: &'static str = {};",
                Lit(&def.name)
            ));
            out.line(format_args!("type Returns = {};", returns(g, c)));
            if c.allow_oob {
                out.line("const ALLOW_OOB: bool = true;");
            }
            if !c.success_response {
                out.line("const SUCCESS_RESPONSE: bool = false;");
            }
            if c.allow_preconfig {
                out.line("const ALLOW_PRECONFIG: bool = true;");
            }
            if def.is_deprecated() {
                out.line("const DEPRECATED: bool = true;");
            }
            arguments_table(g, c.arg_type, out);
        },
    );
}

/// `const ARGUMENTS`, unless it is the trait's default (no arguments).
fn arguments_table(g: &Generator, arg: Option<DefId>, out: &mut Out) {
    let Some(a) = arg else { return };
    let DefKind::Object(o) = &g.schema.def(a).kind else {
        return;
    };
    out.line("const ARGUMENTS: ::std::option::Option<&'static [::qapi_types::ArgInfo]> =");
    out.deeper(|out| {
        if o.variants.is_some() {
            out.line("::std::option::Option::None;");
            return;
        }
        out.line("::std::option::Option::Some(&[");
        out.deeper(|out| {
            for m in g.sel.members(&o.members) {
                let which = if m.optional { "optional" } else { "required" };
                out.line(format_args!(
                    "::qapi_types::ArgInfo::{which}({}, {}),",
                    Lit(&m.name),
                    json_kind(g, m.ty)
                ));
            }
        });
        out.line("]);");
    });
}

/// An event's struct and its `Event` impl.
pub(crate) fn emit_event(g: &Generator, id: DefId, e: &Event, out: &mut Out) {
    let def = g.schema.def(id);
    emit_args_struct(g, id, e.arg_type, out);
    out.line("#[allow(deprecated)]");
    out.block(
        format_args!("impl ::qapi_types::Event for {}", g.name(id)),
        "",
        |out| {
            out.line(format_args!(
                "const NAME: &'static str = {};",
                Lit(&def.name)
            ))
        },
    );
}

/// The return type of a command's methods, as source text.
pub(crate) fn returns(g: &Generator, c: &Command) -> String {
    match c.ret_type {
        Some(t) => type_text(g, t),
        None => "::qapi_types::Empty".to_string(),
    }
}
