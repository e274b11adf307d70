//! Unions, flat and simple, from one plan.
//!
//! A flat union becomes a struct of the base's members with a field, named
//! after the tag, holding an enum of the branches; a QEMU 5.2 simple union
//! (`{"type": BRANCH, "data": VALUE}` on the wire) becomes the enum itself.
//! Either way the enum implements `qapi_types::object::Variants`: the plan
//! decides its variants once (names, payloads, boxing, the tag values
//! without a branch), and one renderer writes the enum, its hidden slots
//! type and the impl, differing only where the wire does (a flat branch's
//! members sit beside the base's, a simple branch's value under `data`).
//!
//! Branch enums (and alternates) allow clippy's `large_enum_variant`:
//! QEMU's branches differ in size by hundreds of bytes (`ObjectOptions`),
//! and boxing them would make every value harder to build and match for a
//! saving nobody asked for.

use super::Generator;
use super::docs;
use super::enums::EnumPlan;
use super::names::{self, Lit, Namespace};
use super::out::Out;
use super::structs::{BranchField, constructor, object_call, write_fields};
use super::types::{fields, member_type_text, type_text};
use crate::schema::{DefId, DefKind, Member, ObjectType, UnionKind, Variant, Variants};

const OBJECT: &str = "::qapi_types::object::Object";
const OK: &str = "::std::result::Result::Ok";
const DEFAULT: &str = "::std::default::Default::default()";

/// What a branch holds.
enum Payload {
    /// Nothing: a tag value whose branch has no members (`q_empty`).
    Empty,
    /// A flat union's branch: an object type's members, beside the base's.
    Object {
        /// The type, boxed if it must be.
        ty: String,
        /// Whether the type has no members, so its slots are `()`.
        no_members: bool,
    },
    /// A simple union's branch: one value, under `data`.
    Data {
        /// The value's type, boxed if it must be.
        ty: String,
    },
}

/// One branch.
struct Branch<'a> {
    /// The variant.
    var: String,
    /// The tag enumeration's variant selecting it.
    tag_var: String,
    payload: Payload,
    variant: &'a Variant,
}

/// Everything about a union's branch enum, decided once.
struct UnionPlan<'a> {
    kind: UnionKind,
    /// The union.
    union: DefId,
    /// The enum holding the branch (for a simple union, the union).
    name: String,
    /// Its hidden slots type.
    slots: String,
    /// The tag enumeration.
    tag_ty: String,
    /// The tag's catch-all variant.
    tag_unknown: String,
    /// The tag member's wire name.
    tag: &'a str,
    branches: Vec<Branch<'a>>,
    /// Tag values without a kept branch (left out by the options).
    uncovered: Vec<String>,
    /// The enum's catch-all variant.
    unknown: String,
}

impl<'a> UnionPlan<'a> {
    fn new(g: &Generator<'a>, id: DefId, v: &'a Variants) -> Self {
        let (name, slots) = g.branch_enums[&id].clone();
        let DefKind::Enum(tag_enum) = &g.schema.def(v.tag_type).kind else {
            unreachable!("a union tag is an enumeration")
        };
        let tag = EnumPlan::new(g, tag_enum);
        let mut ns = Namespace::default();
        let mut branches = Vec::new();
        for b in v
            .variants
            .iter()
            .filter(|b| g.sel.cond(b.ifcond.as_deref()))
        {
            let payload = match v.kind {
                UnionKind::Flat if &*g.schema.def(b.ty).name == "q_empty" => Payload::Empty,
                UnionKind::Flat => Payload::Object {
                    ty: member_type_text(g, id, b.ty),
                    no_members: match &g.schema.def(b.ty).kind {
                        DefKind::Object(o) => {
                            o.variants.is_none() && g.sel.members(&o.members).next().is_none()
                        }
                        _ => false,
                    },
                },
                UnionKind::Simple => {
                    let DefKind::Object(wrapper) = &g.schema.def(b.ty).kind else {
                        continue;
                    };
                    let Some(data) = wrapper.members.first() else {
                        continue;
                    };
                    Payload::Data {
                        ty: member_type_text(g, id, data.ty),
                    }
                }
            };
            let Some(tag_var) = tag.variant(&b.name) else {
                continue;
            };
            branches.push(Branch {
                var: names::ident_text(&ns.claim(names::upper_camel(&b.name), "_")),
                tag_var: tag_var.to_string(),
                payload,
                variant: b,
            });
        }
        let unknown = names::ident_text(&ns.claim("Unknown".to_string(), "Branch"));
        let uncovered = tag
            .values
            .iter()
            .filter(|(_, tv)| !branches.iter().any(|b| b.variant.name == tv.name))
            .map(|(n, _)| n.clone())
            .collect();
        UnionPlan {
            kind: v.kind,
            union: id,
            name,
            slots,
            tag_ty: g.name(v.tag_type).to_string(),
            tag_unknown: tag.unknown,
            tag: &v.tag,
            branches,
            uncovered,
            unknown,
        }
    }
}

/// A flat union: a struct of the base members and the branch field, and
/// the branch enum.
pub(crate) fn emit_union(g: &Generator, id: DefId, o: &ObjectType, v: &Variants, out: &mut Out) {
    let def = g.schema.def(id);
    let name = g.name(id);
    let plan = UnionPlan::new(g, id, v);
    let mut ns = Namespace::default();
    let branch_field = names::ident_text(&ns.claim(names::snake(&v.tag), "_"));
    let base_members: Vec<Member> = o
        .members
        .iter()
        .filter(|m| m.name != v.tag)
        .cloned()
        .collect();
    let fields = fields(g, id, &base_members, &mut ns);
    out.docs(&docs::definition(g, id));
    out.line("#[derive(Clone, Debug, PartialEq)]");
    out.block(format_args!("pub struct {name}"), "", |out| {
        write_fields(g, id, &fields, out);
        out.docs(&docs::union_tag(g, id, v));
        out.line(format_args!("pub {branch_field}: {},", plan.name));
    });
    out.line("#[allow(deprecated)]");
    out.block(format_args!("impl {name}"), "", |out| {
        constructor(out, &fields, Some((&branch_field, &plan.name)));
        out.line(format_args!("/// The value of the tag member `{}`.", v.tag));
        out.block(
            format_args!(
                "pub fn {branch_field}(&self) -> {}",
                type_text(g, v.tag_type)
            ),
            "",
            |out| {
                out.line(format_args!(
                    "::qapi_types::object::Variants::tag(&self.{branch_field})"
                ))
            },
        );
    });
    let branch = BranchField {
        field: &branch_field,
        tag: &v.tag,
        ty: &plan.name,
    };
    object_call(out, name, &def.name, &fields, Some(branch));
    write_enum(g, &plan, out);
    write_from(&plan, &plan.name, out);
    // With every base member optional, a branch alone makes a union.
    if fields.iter().all(|f| f.optional.is_some()) {
        from_impl(out, &plan.name, name, "Self::new(v)");
        for (ty, _, _) in distinct_payloads(&plan) {
            if ty != name && ty != plan.name {
                from_impl(out, &ty, name, "Self::new(v)");
            }
        }
    }
}

/// The branches' payload types (unboxed) that only one branch has, with
/// its variant and whether it is boxed: `From` impls for them are
/// unambiguous.
fn distinct_payloads(p: &UnionPlan) -> Vec<(String, String, bool)> {
    let payloads: Vec<(&str, &str, bool)> = p
        .branches
        .iter()
        .filter_map(|b| match &b.payload {
            Payload::Object { ty, .. } | Payload::Data { ty } => {
                let inner = ty
                    .strip_prefix("::std::boxed::Box<")
                    .and_then(|t| t.strip_suffix('>'));
                Some((inner.unwrap_or(ty), b.var.as_str(), inner.is_some()))
            }
            Payload::Empty => None,
        })
        .collect();
    payloads
        .iter()
        .filter(|(ty, _, _)| payloads.iter().filter(|(t, _, _)| t == ty).count() == 1)
        .map(|&(ty, var, boxed)| (ty.to_string(), var.to_string(), boxed))
        .collect()
}

/// `From` each branch's value for the branch enum `target`, where the
/// value's type belongs to one branch only.
fn write_from(p: &UnionPlan, target: &str, out: &mut Out) {
    for (ty, var, boxed) in distinct_payloads(p) {
        if ty == target {
            continue;
        }
        let body = if boxed {
            format!("Self::{var}(::std::boxed::Box::new(v))")
        } else {
            format!("Self::{var}(v)")
        };
        from_impl(out, &ty, target, &body);
    }
}

/// `impl From<from> for to { fn from(v) -> Self { body } }`.
pub(crate) fn from_impl(out: &mut Out, from: &str, to: &str, body: &str) {
    out.block(
        format_args!("impl ::std::convert::From<{from}> for {to}"),
        "",
        |out| {
            out.block(format_args!("fn from(v: {from}) -> Self"), "", |out| {
                out.line(body)
            })
        },
    );
}

/// A QEMU 5.2 simple union: the branch enum is the union.
pub(crate) fn emit_simple_union(g: &Generator, id: DefId, v: &Variants, out: &mut Out) {
    let plan = UnionPlan::new(g, id, v);
    write_enum(g, &plan, out);
    let name = &plan.name;
    out.block(format_args!("impl {OBJECT} for {name}"), "", |out| {
        out.line(format_args!(
            "const NAME: &'static str = {};",
            Lit(&g.schema.def(id).name)
        ));
        out.line("const MEMBERS: &'static [&'static str] = &[];");
        out.line(format_args!("const TAG: &'static str = {};", Lit(plan.tag)));
        out.line("type Slots = ::qapi_types::object::UnionSlots<(), Self>;");
        out.block("fn build(((), branch): ((), Self)) -> Self", "", |out| {
            out.line("branch")
        });
        serialize_members_head(out, |out| {
            out.line(format_args!(
                "map.serialize_entry({}, &::qapi_types::object::Variants::tag(self))?;",
                Lit(plan.tag)
            ));
            out.line("::qapi_types::object::Variants::serialize_members(self, map)");
        });
    });
    out.line(format_args!("::qapi_types::impl_serde!({name});"));
    write_from(&plan, name, out);
}

/// `fn serialize_members<M: ..>(&self, map: &mut M) -> .. {` and `body`.
fn serialize_members_head(out: &mut Out, body: impl FnOnce(&mut Out)) {
    out.line("fn serialize_members<M: ::qapi_types::serde::ser::SerializeMap>(");
    out.deeper(|out| {
        out.line("&self,");
        out.line("map: &mut M,");
    });
    out.block(") -> ::std::result::Result<(), M::Error>", "", body);
}

/// The branch enum, its slots and its `Variants` impl.
fn write_enum(g: &Generator, p: &UnionPlan, out: &mut Out) {
    let (name, slots, tag_ty) = (&p.name, &p.slots, &p.tag_ty);
    let unknown = &p.unknown;
    match p.kind {
        UnionKind::Flat => out.line(format_args!(
            "/// The branch of [`{}`], selected by its tag member `{}`.",
            g.name(p.union),
            p.tag
        )),
        UnionKind::Simple => out.docs(&docs::definition(g, p.union)),
    }
    out.line("#[derive(Clone, Debug, PartialEq)]");
    out.line("#[allow(clippy::large_enum_variant)]");
    out.block(format_args!("pub enum {name}"), "", |out| {
        for b in &p.branches {
            out.docs(&docs::branch(g, p.union, b.variant));
            match &b.payload {
                Payload::Empty => out.line(format_args!("{},", b.var)),
                Payload::Object { ty, .. } | Payload::Data { ty } => {
                    out.line(format_args!("{}({ty}),", b.var))
                }
            }
        }
        match p.kind {
            UnionKind::Flat => {
                out.doc(&[
                    "A branch this schema does not know, as sent by a newer QEMU:",
                    "the tag value and the branch's members.",
                ]);
                out.block(unknown, ",", |out| {
                    out.line("/// The tag value.");
                    out.line("tag: ::std::string::String,");
                    out.line("/// The branch's members.");
                    out.line("members: ::qapi_types::UnknownMembers,");
                });
            }
            UnionKind::Simple => {
                out.line("/// A branch this schema does not know, as sent by a newer QEMU.");
                out.block(unknown, ",", |out| {
                    out.line(format_args!("/// The value of `{}`.", p.tag));
                    out.line("tag: ::std::string::String,");
                    out.line("/// The other members (normally `data`).");
                    out.line("members: ::qapi_types::UnknownMembers,");
                });
            }
        }
    });
    out.line("#[doc(hidden)]");
    out.line("#[allow(clippy::large_enum_variant)]");
    out.block(format_args!("pub enum {slots}"), "", |out| {
        for b in &p.branches {
            match &b.payload {
                Payload::Empty => out.line(format_args!("{},", b.var)),
                Payload::Object { ty, .. } => {
                    out.line(format_args!("{}(<{ty} as {OBJECT}>::Slots),", b.var))
                }
                Payload::Data { ty } => {
                    out.line(format_args!("{}(::std::option::Option<{ty}>),", b.var))
                }
            }
        }
        out.line(format_args!(
            "{unknown}(::std::string::String, ::qapi_types::UnknownMembers),"
        ));
    });
    out.line("#[allow(deprecated)]");
    out.block(
        format_args!("impl ::qapi_types::object::Variants for {name}"),
        "",
        |out| {
            out.line(format_args!("type Tag = {tag_ty};"));
            out.line(format_args!("type Slots = {slots};"));
            out.block(
                format_args!("fn slots(tag: {tag_ty}) -> {slots}"),
                "",
                |out| out.block("match tag", "", |out| slots_arms(p, out)),
            );
            out.line("fn member<'de, A: ::qapi_types::serde::de::MapAccess<'de>>(");
            out.deeper(|out| {
                out.line(format_args!("slots: &mut {slots},"));
                out.line("key: &str,");
                out.line("map: &mut A,");
            });
            out.block(") -> ::std::result::Result<bool, A::Error>", "", |out| {
                member_body(p, out)
            });
            out.line("fn finish<E: ::qapi_types::serde::de::Error>(");
            out.deeper(|out| out.line(format_args!("slots: {slots},")));
            out.block(") -> ::std::result::Result<Self, E>", "", |out| {
                out.line(format_args!("{OK}("));
                out.deeper(|out| {
                    out.block("match slots", ",", |out| finish_arms(p, out));
                });
                out.line(")");
            });
            out.block(format_args!("fn tag(&self) -> {tag_ty}"), "", |out| {
                out.block("match self", "", |out| {
                    for b in &p.branches {
                        let pat = match b.payload {
                            Payload::Empty => format!("Self::{}", b.var),
                            _ => format!("Self::{}(_)", b.var),
                        };
                        out.arm(pat, format_args!("{tag_ty}::{}", b.tag_var));
                    }
                    out.arm(
                        format_args!("Self::{unknown} {{ tag, .. }}"),
                        format_args!("{tag_ty}::from_wire(tag)"),
                    );
                })
            });
            serialize_members_head(out, |out| {
                out.block("match self", "", |out| serialize_arms(p, out))
            });
        },
    );
}

fn slots_arms(p: &UnionPlan, out: &mut Out) {
    let (slots, tag_ty, unknown) = (&p.slots, &p.tag_ty, &p.unknown);
    for b in &p.branches {
        let pat = format!("{tag_ty}::{}", b.tag_var);
        let expr = match &b.payload {
            Payload::Empty => format!("{slots}::{}", b.var),
            Payload::Object {
                no_members: true, ..
            } => format!("{slots}::{}(())", b.var),
            Payload::Object { ty, .. } => {
                format!("{slots}::{}(<{ty} as {OBJECT}>::slots())", b.var)
            }
            Payload::Data { .. } => format!("{slots}::{}(::std::option::Option::None)", b.var),
        };
        out.arm(pat, expr);
    }
    // Tag values whose branch the options left out decode as unknown ones.
    if !p.uncovered.is_empty() {
        let pat: Vec<String> = p
            .uncovered
            .iter()
            .map(|v| format!("{tag_ty}::{v}"))
            .collect();
        out.arm(
            pat.join(" | "),
            format_args!("{slots}::{unknown}(tag.as_str().to_owned(), {DEFAULT})"),
        );
    }
    out.arm(
        format_args!("{tag_ty}::{}(tag)", p.tag_unknown),
        format_args!("{slots}::{unknown}(tag, {DEFAULT})"),
    );
}

/// The body of `member`: a flat branch decodes its own members, a simple
/// one only `data`.
fn member_body(p: &UnionPlan, out: &mut Out) {
    let (slots, unknown) = (&p.slots, &p.unknown);
    let unknown_member = "::qapi_types::object::unknown_member(m, key, map)";
    match p.kind {
        UnionKind::Flat => out.block("match slots", "", |out| {
            for b in &p.branches {
                match &b.payload {
                    Payload::Empty => out.arm(
                        format_args!("{slots}::{}", b.var),
                        format_args!("{OK}(false)"),
                    ),
                    Payload::Object { ty, .. } => out.arm(
                        format_args!("{slots}::{}(s)", b.var),
                        format_args!("<{ty} as {OBJECT}>::member(s, key, map)"),
                    ),
                    Payload::Data { .. } => unreachable!("a flat union's branches are objects"),
                }
            }
            out.arm(format_args!("{slots}::{unknown}(_, m)"), unknown_member);
        }),
        UnionKind::Simple => {
            out.block("match slots", "", |out| {
                out.arm_stmt(
                    format_args!("{slots}::{unknown}(_, m)"),
                    format_args!("return {unknown_member}"),
                );
                out.arm_stmt("_ if key != \"data\"", format_args!("return {OK}(false)"));
                for b in &p.branches {
                    out.arm_stmt(
                        format_args!("{slots}::{}(s)", b.var),
                        "*s = ::std::option::Option::Some(map.next_value()?)",
                    );
                }
            });
            out.line(format_args!("{OK}(true)"));
        }
    }
}

fn finish_arms(p: &UnionPlan, out: &mut Out) {
    let (slots, unknown) = (&p.slots, &p.unknown);
    for b in &p.branches {
        match &b.payload {
            Payload::Empty => out.arm(
                format_args!("{slots}::{}", b.var),
                format_args!("Self::{}", b.var),
            ),
            Payload::Object { ty, .. } => out.arm(
                format_args!("{slots}::{}(s)", b.var),
                format_args!("Self::{}(<{ty} as {OBJECT}>::finish(s)?)", b.var),
            ),
            Payload::Data { .. } => out.arm(
                format_args!("{slots}::{}(s)", b.var),
                format_args!(
                    "Self::{}(::qapi_types::object::required(s, \"data\")?)",
                    b.var
                ),
            ),
        }
    }
    out.arm(
        format_args!("{slots}::{unknown}(tag, members)"),
        format_args!("Self::{unknown} {{ tag, members }}"),
    );
}

fn serialize_arms(p: &UnionPlan, out: &mut Out) {
    for b in &p.branches {
        match &b.payload {
            Payload::Empty => out.arm(format_args!("Self::{}", b.var), format_args!("{OK}(())")),
            Payload::Object { .. } => out.arm(
                format_args!("Self::{}(v)", b.var),
                format_args!("{OBJECT}::serialize_members(v, map)"),
            ),
            Payload::Data { .. } => out.arm(
                format_args!("Self::{}(v)", b.var),
                "map.serialize_entry(\"data\", v)",
            ),
        }
    }
    out.arm(
        format_args!("Self::{} {{ members, .. }}", p.unknown),
        "::qapi_types::object::serialize_unknown(members, map)",
    );
}
