//! `qapi_types::Provenance` impls: when each type, command and event, and
//! each of their members, values and branches, came into QEMU, and which
//! merged schemas have them.

use super::Generator;
use super::names::Lit;
use super::out::Out;
use crate::schema::{DefId, DefKind, Presence, Version};

/// One member, value or branch: its wire name, version and presence.
struct Part<'a> {
    name: &'a str,
    since: Option<Version>,
    presence: Presence,
}

/// The members, values and branches of a definition that are generated.
fn parts<'s>(g: &Generator<'s>, id: DefId) -> Vec<Part<'s>> {
    let schema = g.schema;
    let mut out = Vec::new();
    let object = |id: DefId, out: &mut Vec<Part<'s>>| {
        if let DefKind::Object(o) = &schema.def(id).kind {
            out.extend(g.sel.members(&o.members).map(|m| Part {
                name: &m.name,
                since: m.since,
                presence: m.presence,
            }));
            if let Some(v) = &o.variants {
                out.extend(
                    v.variants
                        .iter()
                        .filter(|b| !b.implicit && g.sel.cond(b.ifcond.as_deref()))
                        .map(|b| Part {
                            name: &b.name,
                            since: b.since,
                            presence: b.presence,
                        }),
                );
            }
        }
    };
    match &schema.def(id).kind {
        DefKind::Enum(e) => out.extend(
            e.values
                .iter()
                .filter(|v| g.sel.item(v.ifcond.as_deref(), &v.features))
                .map(|v| Part {
                    name: &v.name,
                    since: v.since,
                    presence: v.presence,
                }),
        ),
        DefKind::Object(_) => object(id, &mut out),
        DefKind::Alternate(a) => out.extend(
            a.variants
                .iter()
                .filter(|b| g.sel.cond(b.ifcond.as_deref()))
                .map(|b| Part {
                    name: &b.name,
                    since: b.since,
                    presence: b.presence,
                }),
        ),
        // The arguments or data written inline, which the struct holds;
        // a named type's are that type's own.
        DefKind::Command(c) => {
            if let Some(a) = c.arg_type.filter(|&a| schema.def(a).implicit) {
                object(a, &mut out);
            }
        }
        DefKind::Event(e) => {
            if let Some(a) = e.arg_type.filter(|&a| schema.def(a).implicit) {
                object(a, &mut out);
            }
        }
        DefKind::Builtin(_) | DefKind::Array(_) => {}
    }
    out
}

fn version(v: Version) -> String {
    format!(
        "::qapi_types::VersionTriple::new({}, {}, {})",
        v.major, v.minor, v.micro
    )
}

/// The labels of the schemas in `presence`, as a slice expression.
fn labels(g: &Generator, presence: Presence) -> String {
    let labels: Vec<String> = presence
        .iter()
        .filter_map(|i| g.schema.origins.get(i))
        .map(|o| Lit(&o.label).to_string())
        .collect();
    format!("&[{}]", labels.join(", "))
}

/// The `Provenance` impl of definition `id`.
pub(crate) fn write(g: &Generator, id: DefId, out: &mut Out) {
    let def = g.schema.def(id);
    let all = Presence::all(g.schema.origins.len().max(1));
    let parts = parts(g, id);
    if def.is_deprecated() {
        out.line("#[allow(deprecated)]");
    }
    out.block(
        format_args!("impl ::qapi_types::Provenance for {}", g.name(id)),
        "",
        |out| {
            out.line("const SINCE: ::std::option::Option<::qapi_types::VersionTriple> =");
            out.deeper(|out| match def.since {
                Some(v) => out.line(format_args!("::std::option::Option::Some({});", version(v))),
                None => out.line("::std::option::Option::None;"),
            });
            let later: Vec<(&str, Version)> = parts
                .iter()
                .filter_map(|p| Some((p.name, p.since?)))
                .filter(|&(_, v)| Some(v) != def.since)
                .collect();
            if !later.is_empty() {
                out.line(
                    "const MEMBERS_SINCE: &'static [(&'static str, ::qapi_types::VersionTriple)] = &[",
                );
                out.deeper(|out| {
                    for (name, v) in later {
                        out.line(format_args!("({}, {}),", Lit(name), version(v)));
                    }
                });
                out.line("];");
            }
            if def.presence != all {
                out.line("const SCHEMAS: ::std::option::Option<&'static [&'static str]> =");
                out.deeper(|out| {
                    out.line(format_args!(
                        "::std::option::Option::Some({});",
                        labels(g, def.presence)
                    ))
                });
            }
            let partial: Vec<&Part> = parts.iter().filter(|p| p.presence != def.presence).collect();
            if !partial.is_empty() {
                out.line(
                    "const MEMBERS_SCHEMAS: &'static [(&'static str, &'static [&'static str])] = &[",
                );
                out.deeper(|out| {
                    for p in partial {
                        out.line(format_args!("({}, {}),", Lit(p.name), labels(g, p.presence)));
                    }
                });
                out.line("];");
            }
        },
    );
}
