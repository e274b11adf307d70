//! Alternates: an enum whose variant is chosen by the JSON type of the
//! value, as QEMU chooses it, with serde impls from the
//! `qapi_types::alternate!` macro.

use super::Generator;
use super::docs;
use super::names::{self, Lit, Namespace};
use super::out::Out;
use super::types::member_type_text;
use super::unions::from_impl;
use crate::schema::{AlternateType, Builtin, DefId, DefKind};

/// The JSON type a branch of type `ty` takes, as `alternate!` names it,
/// and how a message names it.
fn json_kind(g: &Generator, ty: DefId) -> (&'static str, &'static str) {
    match &g.schema.def(ty).kind {
        DefKind::Builtin(Builtin::Str) | DefKind::Enum(_) => ("str", "a string"),
        DefKind::Builtin(Builtin::Bool) => ("bool", "a boolean"),
        DefKind::Builtin(Builtin::Null) => ("null", "null"),
        DefKind::Builtin(Builtin::Number) => ("number", "a number"),
        DefKind::Builtin(_) => ("int", "an integer"),
        DefKind::Array(_) => ("seq", "an array"),
        _ => ("map", "an object"),
    }
}

/// An alternate.
pub(crate) fn emit_alternate(g: &Generator, id: DefId, a: &AlternateType, out: &mut Out) {
    let def = g.schema.def(id);
    let name = g.name(id);
    let mut ns = Namespace::default();
    let branches: Vec<_> = a
        .variants
        .iter()
        .filter(|b| g.sel.cond(b.ifcond.as_deref()))
        .map(|b| {
            let var = names::ident_text(&ns.claim(names::upper_camel(&b.name), "_"));
            (var, b, json_kind(g, b.ty))
        })
        .collect();
    out.docs(&docs::definition(g, id));
    out.line("#[derive(Clone, Debug, PartialEq)]");
    out.line("#[allow(clippy::large_enum_variant)]");
    out.block(format_args!("pub enum {name}"), "", |out| {
        for (var, b, _) in &branches {
            out.docs(&docs::branch(g, id, b));
            out.line(format_args!("{var}({}),", member_type_text(g, id, b.ty)));
        }
    });
    // Each alternative, boxed or not, converts into the alternate; so do
    // string slices where a branch takes strings.
    for (var, b, _) in &branches {
        let ty = member_type_text(g, id, b.ty);
        match ty
            .strip_prefix("::std::boxed::Box<")
            .and_then(|t| t.strip_suffix('>'))
        {
            Some(inner) => from_impl(
                out,
                inner,
                name,
                &format!("Self::{var}(::std::boxed::Box::new(v))"),
            ),
            None => from_impl(out, &ty, name, &format!("Self::{var}(v)")),
        }
        if matches!(g.schema.def(b.ty).kind, DefKind::Builtin(Builtin::Str)) {
            from_impl(out, "&str", name, &format!("Self::{var}(v.to_owned())"));
        }
    }
    let expecting: Vec<&str> = branches.iter().map(|(_, _, (_, e))| *e).collect();
    let expecting = format!("{} for {}", expecting.join(" or "), def.name);
    out.block("::qapi_types::alternate!", "", |out| {
        let head = format!("{name} = {}", Lit(&expecting));
        if branches.is_empty() {
            out.line(format_args!("{head} {{}}"));
        } else {
            out.block(head, "", |out| {
                for (var, _, (kind, _)) in &branches {
                    out.line(format_args!("{var}: {kind},"));
                }
            });
        }
    });
}
