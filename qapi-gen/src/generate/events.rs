//! The `Event` enum over all events, implementing `qapi_types::EventSet`:
//! events the schema does not know arrive in its catch-all variant.

use super::Generator;
use super::names::{self, Lit, Namespace};
use super::out::Out;
use crate::schema::{DefId, DefKind, Event};

const OK: &str = "::std::result::Result::Ok";

/// The kept events, with their variant names, and the catch-all's name.
fn events<'s>(g: &Generator<'s>) -> (Vec<(DefId, String, &'s Event)>, String) {
    let mut ns = Namespace::default();
    let list = g.named(&mut ns, names::upper_camel, |kind| match kind {
        DefKind::Event(e) => Some(e),
        _ => None,
    });
    let unknown = names::ident_text(&ns.claim("Unknown".to_string(), "Event"));
    (list, unknown)
}

/// The `Event` enum.
pub(crate) fn emit_event_enum(g: &Generator, out: &mut Out) {
    let (list, unknown) = events(g);
    out.doc(&[
        "Every event of this schema.  Events the schema does not know",
        "arrive as the catch-all variant.",
    ]);
    out.line("#[derive(Clone, Debug, PartialEq)]");
    out.line("#[allow(deprecated)]");
    out.block("pub enum Event", "", |out| {
        for (id, var, _) in &list {
            let def = g.schema.def(*id);
            out.line(format_args!(
                "/// The `{}` event: see [`{}`].",
                def.name,
                g.name(*id)
            ));
            if def.is_deprecated() {
                out.line("#[deprecated]");
            }
            out.line(format_args!("{var}({}),", g.name(*id)));
        }
        out.line("/// An event this schema does not know, as sent by a newer QEMU.");
        out.block(&unknown, ",", |out| {
            out.line("/// The event's name.");
            out.line("name: ::std::string::String,");
            out.line("/// Its `data` member.");
            out.line("data: ::std::option::Option<::qapi_types::serde_json::Value>,");
        });
    });
    out.line("#[allow(deprecated)]");
    out.block("impl ::qapi_types::EventSet for Event", "", |out| {
        out.line("fn decode(");
        out.deeper(|out| {
            out.line("name: &str,");
            out.line("data: ::std::option::Option<&::qapi_types::serde_json::value::RawValue>,");
        });
        out.block(
            ") -> ::std::result::Result<Self, ::qapi_types::serde_json::Error>",
            "",
            |out| {
                let catch_all = |out: &mut Out, tail: &str| {
                    out.block(format_args!("Self::{unknown}"), tail, |out| {
                        out.line("name: name.to_owned(),");
                        out.line("data: ::qapi_types::object::event_data(data)?,");
                    })
                };
                // A schema without events decodes everything to the
                // catch-all: no single-arm `match`.
                if list.is_empty() {
                    out.line(format_args!("{OK}(Self::{unknown} {{"));
                    out.deeper(|out| {
                        out.line("name: name.to_owned(),");
                        out.line("data: ::qapi_types::object::event_data(data)?,");
                    });
                    out.line("})");
                    return;
                }
                out.line(format_args!("{OK}("));
                out.deeper(|out| {
                    out.block("match name", ",", |out| {
                        for (id, var, _) in &list {
                            out.arm(
                                Lit(&g.schema.def(*id).name),
                                format_args!(
                                    "Self::{var}(::qapi_types::object::event_data(data)?)"
                                ),
                            );
                        }
                        out.block("_ =>", "", |out| catch_all(out, ""));
                    });
                });
                out.line(")");
            },
        );
        out.block("fn name(&self) -> &str", "", |out| {
            out.block("match self", "", |out| {
                for (id, var, _) in &list {
                    out.arm(format_args!("Self::{var}(_)"), Lit(&g.schema.def(*id).name));
                }
                out.arm(format_args!("Self::{unknown} {{ name, .. }}"), "name");
            })
        });
        out.line("fn data(");
        out.deeper(|out| out.line("&self,"));
        out.line(") -> ::std::result::Result<");
        out.deeper(|out| {
            out.line("::std::option::Option<::qapi_types::serde_json::Value>,");
            out.line("::qapi_types::serde_json::Error,");
        });
        out.block(">", "", |out| {
            out.block("match self", "", |out| {
                for (_, var, e) in &list {
                    if e.arg_type.is_some() {
                        out.arm(
                            format_args!("Self::{var}(v)"),
                            "::qapi_types::object::event_value(v)",
                        );
                    } else {
                        out.arm(
                            format_args!("Self::{var}(_)"),
                            format_args!("{OK}(::std::option::Option::None)"),
                        );
                    }
                }
                out.arm(
                    format_args!("Self::{unknown} {{ data, .. }}"),
                    format_args!("{OK}(data.clone())"),
                );
            })
        });
    });
}
