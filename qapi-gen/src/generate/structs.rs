//! Structs: object types without branches, the arguments of commands and
//! the data of events, with their `Object` and serde impls (the
//! `qapi_types::object!` macro).

use super::Generator;
use super::docs;
use super::names::{Lit, Namespace};
use super::out::Out;
use super::types::{Field, fields, has_default};
use crate::schema::{DefId, ObjectType};

/// A struct for an object type without branches.
pub(crate) fn emit_struct(g: &Generator, id: DefId, o: &ObjectType, out: &mut Out) {
    let def = g.schema.def(id);
    let fields = fields(g, id, &o.members, &mut Namespace::default());
    emit_plain_struct(g, id, id, g.name(id), &def.name, &fields, out);
}

/// A struct with `fields`, its `Object` impl and serde impls.  Also used
/// for command arguments and event data: `doc_id` is the definition whose
/// docs and features it gets, `members_id` the object type with the members.
pub(crate) fn emit_plain_struct(
    g: &Generator,
    doc_id: DefId,
    members_id: DefId,
    name: &str,
    wire_name: &str,
    fields: &[Field],
    out: &mut Out,
) {
    out.docs(&docs::definition(g, doc_id));
    if g.schema.def(doc_id).is_deprecated() {
        out.line("#[deprecated]");
    }
    if has_default(g, members_id) {
        out.line("#[derive(Clone, Debug, PartialEq, Default)]");
    } else {
        out.line("#[derive(Clone, Debug, PartialEq)]");
    }
    if fields.is_empty() {
        out.line(format_args!("pub struct {name} {{}}"));
    } else {
        out.block(format_args!("pub struct {name}"), "", |out| {
            write_fields(g, members_id, fields, out)
        });
    }
    if fields.iter().any(|f| f.optional.is_none()) {
        if g.schema.def(doc_id).is_deprecated() || fields.iter().any(|f| f.member.is_deprecated()) {
            out.line("#[allow(deprecated)]");
        }
        out.block(format_args!("impl {name}"), "", |out| {
            constructor(out, fields, None)
        });
    }
    object_call(out, name, wire_name, fields, None);
}

/// `new`, taking the required members (and a union's branch) and leaving
/// the optional ones `None`: `Name { opt: Some(..), ..Name::new(a, b) }`
/// builds any value without spelling out every optional member.  Written
/// inside the type's `impl` block.
pub(crate) fn constructor(out: &mut Out, fields: &[Field], branch: Option<(&str, &str)>) {
    let mut params: Vec<String> = fields
        .iter()
        .filter(|f| f.optional.is_none())
        .map(|f| match f.scalar {
            true => format!("{}: {}", f.ident, f.inner_text),
            false => format!("{}: impl ::std::convert::Into<{}>", f.ident, f.inner_text),
        })
        .collect();
    if let Some((field, ty)) = branch {
        params.push(format!("{field}: impl ::std::convert::Into<{ty}>"));
    }
    out.line("/// A value of the required members given, the optional ones `None`.");
    if params.len() > 7 {
        out.line("#[allow(clippy::too_many_arguments)]");
    }
    // The schema names the parameters (QEMU's own tests use `foo`), which
    // clippy's default `disallowed-names` would flag.
    let placeholder = |f: &&Field| matches!(f.ident.as_str(), "foo" | "baz" | "quux");
    if fields
        .iter()
        .filter(|f| f.optional.is_none())
        .any(|f| placeholder(&f))
    {
        out.line("#[allow(clippy::disallowed_names)]");
    }
    out.list("pub fn new", &params, " -> Self {");
    out.block("Self", "", |out| {
        for f in fields {
            if f.optional.is_some() {
                out.line(format_args!("{}: ::std::option::Option::None,", f.ident));
            } else if f.scalar {
                out.line(format_args!("{},", f.ident));
            } else {
                out.line(format_args!("{0}: {0}.into(),", f.ident));
            }
        }
        if let Some((field, _)) = branch {
            out.line(format_args!("{field}: {field}.into(),"));
        }
    });
    out.close("");
}

/// The declarations of `fields` of object type `container`, with their
/// documentation.
pub(crate) fn write_fields(g: &Generator, container: DefId, fields: &[Field], out: &mut Out) {
    for f in fields {
        out.docs(&docs::member(g, container, f.member, f.optional));
        if f.member.is_deprecated() {
            out.line("#[deprecated]");
        }
        if f.optional.is_some() {
            out.line(format_args!(
                "pub {}: ::std::option::Option<{}>,",
                f.ident, f.inner_text
            ));
        } else {
            out.line(format_args!("pub {}: {},", f.ident, f.inner_text));
        }
    }
}

/// A union's branch field: its name, the tag member's wire name, and the
/// type of the enum holding the branch.
pub(crate) struct BranchField<'a> {
    pub field: &'a str,
    pub tag: &'a str,
    pub ty: &'a str,
}

/// The `object!` call implementing `Object` and serde for a struct; a
/// union adds its branch field.
pub(crate) fn object_call(
    out: &mut Out,
    name: &str,
    wire_name: &str,
    fields: &[Field],
    branch: Option<BranchField>,
) {
    let entries: Vec<String> = fields
        .iter()
        .map(|f| {
            let kind = if f.optional.is_some() { "Opt" } else { "Req" };
            format!(
                "{}: {kind}<{}> = {}",
                f.ident,
                f.inner_text,
                Lit(&f.member.name)
            )
        })
        .collect();
    out.block("::qapi_types::object!", "", |out| {
        let head = format!("{name} = {}", Lit(wire_name));
        if entries.is_empty() {
            out.line(format_args!("{head} {{}}"));
        } else {
            out.block(head, "", |out| {
                for e in &entries {
                    out.line(format_args!("{e},"));
                }
            });
        }
        if let Some(b) = branch {
            out.line(format_args!("{}: {} = {}", b.field, b.ty, Lit(b.tag)));
        }
    });
}
