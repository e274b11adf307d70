//! Rust types for enumerations, structs, unions and alternates, with their
//! serde impls.

use std::collections::HashMap;

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::docs;
use super::names::{self, Lit, Namespace, ident};
use super::select::Selection;
use super::{Generator, MacroCall, Optional, Piece};
use crate::schema::{
    AlternateType, Builtin, DefId, DefKind, EnumType, Member, ObjectType, Schema, UnionKind,
    Variants,
};

/// The Rust type of a schema type, as a member, branch or return type.
pub(crate) fn rust_type(g: &Generator, id: DefId) -> TokenStream {
    let def = g.schema.def(id);
    match &def.kind {
        DefKind::Builtin(b) => builtin_type(*b),
        DefKind::Array(a) => {
            let e = rust_type(g, a.element);
            quote!(::std::vec::Vec<#e>)
        }
        _ => {
            let name = format_ident!("{}", g.name(id));
            quote!(#name)
        }
    }
}

/// [`rust_type`] as source text.
pub(crate) fn type_text(g: &Generator, id: DefId) -> String {
    let def = g.schema.def(id);
    match &def.kind {
        DefKind::Builtin(b) => builtin_text(*b).to_string(),
        DefKind::Array(a) => format!("::std::vec::Vec<{}>", type_text(g, a.element)),
        _ => g.name(id).to_string(),
    }
}

fn builtin_text(b: Builtin) -> &'static str {
    match b {
        Builtin::Str => "::std::string::String",
        Builtin::Number => "f64",
        Builtin::Int | Builtin::Int64 => "i64",
        Builtin::Int8 => "i8",
        Builtin::Int16 => "i16",
        Builtin::Int32 => "i32",
        Builtin::Uint8 => "u8",
        Builtin::Uint16 => "u16",
        Builtin::Uint32 => "u32",
        Builtin::Uint64 | Builtin::Size => "u64",
        Builtin::Bool => "bool",
        Builtin::Any => "::qapi_types::serde_json::Value",
        Builtin::Null => "::qapi_types::Null",
    }
}

fn builtin_type(b: Builtin) -> TokenStream {
    match b {
        Builtin::Str => quote!(::std::string::String),
        Builtin::Number => quote!(f64),
        Builtin::Int | Builtin::Int64 => quote!(i64),
        Builtin::Int8 => quote!(i8),
        Builtin::Int16 => quote!(i16),
        Builtin::Int32 => quote!(i32),
        Builtin::Uint8 => quote!(u8),
        Builtin::Uint16 => quote!(u16),
        Builtin::Uint32 => quote!(u32),
        Builtin::Uint64 | Builtin::Size => quote!(u64),
        Builtin::Bool => quote!(bool),
        Builtin::Any => quote!(::qapi_types::serde_json::Value),
        Builtin::Null => quote!(::qapi_types::Null),
    }
}

/// Whether a member of `container` of type `ty` closes a cycle of types
/// containing each other by value, and so must be boxed.
fn boxed(g: &Generator, container: DefId, ty: DefId) -> bool {
    g.scc
        .get(&container)
        .is_some_and(|c| g.scc.get(&ty) == Some(c))
}

/// The type of a member of `container`, boxed when it must be.
fn member_type(g: &Generator, container: DefId, ty: DefId) -> TokenStream {
    let t = rust_type(g, ty);
    if boxed(g, container, ty) {
        quote!(::std::boxed::Box<#t>)
    } else {
        t
    }
}

/// [`member_type`] as source text.
fn member_type_text(g: &Generator, container: DefId, ty: DefId) -> String {
    let t = type_text(g, ty);
    if boxed(g, container, ty) {
        format!("::std::boxed::Box<{t}>")
    } else {
        t
    }
}

/// The types a type holds by value (arrays hold on the heap).
fn contained(schema: &Schema, id: DefId) -> Vec<DefId> {
    let by_value = |t: DefId| {
        matches!(
            schema.def(t).kind,
            DefKind::Object(_) | DefKind::Alternate(_)
        )
    };
    let mut out = Vec::new();
    match &schema.def(id).kind {
        DefKind::Object(o) => {
            out.extend(o.members.iter().map(|m| m.ty).filter(|&t| by_value(t)));
            if let Some(v) = &o.variants {
                for variant in &v.variants {
                    let ty = variant.ty;
                    match (&v.kind, &schema.def(ty).kind) {
                        // A simple union's branch holds the wrapped type.
                        (UnionKind::Simple, DefKind::Object(w)) => {
                            out.extend(w.members.iter().map(|m| m.ty).filter(|&t| by_value(t)))
                        }
                        _ => out.push(ty),
                    }
                }
            }
        }
        DefKind::Alternate(a) => {
            out.extend(a.variants.iter().map(|v| v.ty).filter(|&t| by_value(t)))
        }
        _ => {}
    }
    out
}

/// Tarjan's strongly connected components of the by-value containment
/// graph of kept types.
pub(crate) fn containment_components(schema: &Schema, sel: &Selection) -> HashMap<DefId, usize> {
    struct Tarjan<'a> {
        schema: &'a Schema,
        index: HashMap<DefId, usize>,
        low: HashMap<DefId, usize>,
        on_stack: Vec<bool>,
        stack: Vec<DefId>,
        next: usize,
        comp: HashMap<DefId, usize>,
        ncomp: usize,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: DefId) {
            // Iterative to stay safe on deep schemas.
            let mut work: Vec<(DefId, Vec<DefId>, usize)> = Vec::new();
            self.enter(v);
            work.push((v, contained(self.schema, v), 0));
            while let Some((node, succ, i)) = work.pop() {
                if i < succ.len() {
                    let w = succ[i];
                    work.push((node, succ.clone(), i + 1));
                    if !self.index.contains_key(&w) {
                        self.enter(w);
                        work.push((w, contained(self.schema, w), 0));
                    } else if self.on_stack[w.index()] {
                        let lw = self.index[&w];
                        let l = self.low.get_mut(&node).expect("entered");
                        *l = (*l).min(lw);
                    }
                    continue;
                }
                if self.low[&node] == self.index[&node] {
                    while let Some(w) = self.stack.pop() {
                        self.on_stack[w.index()] = false;
                        self.comp.insert(w, self.ncomp);
                        if w == node {
                            break;
                        }
                    }
                    self.ncomp += 1;
                }
                if let Some((parent, _, _)) = work.last() {
                    let ln = self.low[&node];
                    let lp = self.low.get_mut(parent).expect("entered");
                    *lp = (*lp).min(ln);
                }
            }
        }
        fn enter(&mut self, v: DefId) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v.index()] = true;
        }
    }
    let mut t = Tarjan {
        schema,
        index: HashMap::new(),
        low: HashMap::new(),
        on_stack: vec![false; schema.defs.len()],
        stack: Vec::new(),
        next: 0,
        comp: HashMap::new(),
        ncomp: 0,
    };
    for id in schema.ids() {
        if sel.keep(id)
            && matches!(
                schema.def(id).kind,
                DefKind::Object(_) | DefKind::Alternate(_)
            )
            && !t.index.contains_key(&id)
        {
            t.visit(id);
        }
    }
    // Only components with an edge inside matter; singletons without a
    // self-reference are dropped so lookups stay meaningful.
    let mut size: HashMap<usize, usize> = HashMap::new();
    for c in t.comp.values() {
        *size.entry(*c).or_default() += 1;
    }
    t.comp
        .into_iter()
        .filter(|(id, c)| size[c] > 1 || contained(schema, *id).contains(id))
        .collect()
}

/// Whether values of a type have a sensible `Default`.
fn defaultable(g: &Generator, id: DefId, seen: &mut Vec<DefId>) -> bool {
    match &g.schema.def(id).kind {
        DefKind::Builtin(_) | DefKind::Array(_) => true,
        DefKind::Object(o) if o.variants.is_none() => {
            // (A cycle, or a chain too long to bother, has no Default.)
            if seen.contains(&id) || seen.len() > 64 {
                return false;
            }
            seen.push(id);
            let ok = g
                .sel
                .members(&o.members)
                .all(|m| g.optional(id, m).is_some() || defaultable(g, m.ty, seen));
            seen.pop();
            ok
        }
        _ => false,
    }
}

/// One field of a generated struct.
pub(crate) struct Field<'a> {
    /// The field's name, as written in source.
    pub ident: String,
    pub member: &'a Member,
    /// The value's type (boxed if it must be), as source text.
    pub inner_text: String,
    /// Why the field is an `Option`, if it is.
    pub optional: Option<Optional>,
}

/// The fields for `members` of `container`, in order, conditions applied.
/// `ns` holds names already used (e.g. a union's branch field).
pub(crate) fn fields<'a>(
    g: &Generator,
    container: DefId,
    members: &'a [Member],
    ns: &mut Namespace,
) -> Vec<Field<'a>> {
    g.sel
        .members(members)
        .map(|m| {
            let name = ns.claim(names::snake(&m.name), "_");
            Field {
                ident: names::ident_text(&name),
                member: m,
                inner_text: member_type_text(g, container, m.ty),
                optional: g.optional(container, m),
            }
        })
        .collect()
}

/// The `object!` call implementing `Object` and serde for a struct;
/// `branch` adds a union's branch field: its name, tag member and enum type.
fn object_call(
    name: &str,
    wire_name: &str,
    fields: &[Field],
    branch: Option<(&Ident, &str, &str)>,
) -> MacroCall {
    let body = fields
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
    let tail = match branch {
        Some((field, tag, ty)) => format!("\n    {field}: {ty} = {}", Lit(tag)),
        None => String::new(),
    };
    MacroCall {
        name: "object",
        head: format!("{name} = {}", Lit(wire_name)),
        body,
        tail,
    }
}

/// Derives for a struct, as source text.
fn struct_derives(g: &Generator, id: DefId) -> &'static str {
    if defaultable(g, id, &mut Vec::new()) {
        "#[derive(Clone, Debug, PartialEq, Default)]\n"
    } else {
        "#[derive(Clone, Debug, PartialEq)]\n"
    }
}

/// A struct for an object type without branches.
pub(crate) fn emit_struct(g: &Generator, id: DefId, o: &ObjectType, out: &mut Vec<Piece>) {
    let def = g.schema.def(id);
    let name = format_ident!("{}", g.name(id));
    let fields = fields(g, id, &o.members, &mut Namespace::default());
    emit_plain_struct(g, id, id, &name, &def.name, &fields, out);
}

/// A struct with `fields`, its `Object` impl and serde impls.  Also used
/// for command arguments and event data: `doc_id` is the definition whose
/// docs and features it gets, `members_id` the object type with the members.
pub(crate) fn emit_plain_struct(
    g: &Generator,
    doc_id: DefId,
    members_id: DefId,
    name: &Ident,
    wire_name: &str,
    fields: &[Field],
    out: &mut Vec<Piece>,
) {
    // The most common item, written as text: formatting it through tokens
    // and prettyplease would cost most of the generator's time.
    let mut t = String::with_capacity(256 + 128 * fields.len());
    docs::definition(g, doc_id).write(&mut t, "");
    t.push_str(docs::deprecated_text(&g.schema.def(doc_id).features));
    t.push_str(struct_derives(g, members_id));
    if fields.is_empty() {
        put!(t, "pub struct {name} {{}}\n");
    } else {
        put!(t, "pub struct {name} {{\n");
        write_fields(g, members_id, fields, &mut t);
        t.push_str("}\n");
    }
    t.push_str(&object_call(&name.to_string(), wire_name, fields, None).text());
    out.push(Piece::Text(t));
}

/// Rust names of an enumeration's kept values and its catch-all variant.
pub(crate) fn enum_variants<'e>(
    g: &Generator,
    e: &'e EnumType,
) -> (Vec<(Ident, &'e crate::schema::EnumValue)>, Ident) {
    let mut ns = Namespace::default();
    let values: Vec<_> = e
        .values
        .iter()
        .filter(|v| g.sel.item(v.ifcond.as_ref(), &v.features))
        .map(|v| (ident(&ns.claim(names::upper_camel(&v.name), "_")), v))
        .collect();
    let unknown = ident(&ns.claim("Unknown".to_string(), "Value"));
    (values, unknown)
}

/// An enumeration: a Rust enum with a catch-all variant for values the
/// schema does not know.
pub(crate) fn emit_enum(g: &Generator, id: DefId, e: &EnumType, out: &mut Vec<Piece>) {
    let name = g.name(id);
    let (values, unknown) = enum_variants(g, e);
    let mut t = String::with_capacity(256 + 96 * values.len());
    docs::definition(g, id).write(&mut t, "");
    t.push_str("#[derive(Clone, Debug, PartialEq, Eq, Hash)]\n");
    put!(t, "pub enum {name} {{\n");
    for (v, value) in &values {
        docs::enum_value(g, id, value).write(&mut t, "    ");
        if !docs::deprecated_text(&value.features).is_empty() {
            t.push_str("    #[deprecated]\n");
        }
        put!(t, "    {v},\n");
    }
    t.push_str("    /// A value this schema does not know, as sent by a newer QEMU.\n");
    put!(t, "    {unknown}(::std::string::String),\n}}\n");
    let body = values
        .iter()
        .map(|(v, value)| format!("{v} = {}", Lit(&value.name)))
        .collect();
    let call = MacroCall {
        name: "enumeration",
        head: name.to_string(),
        body,
        tail: format!(" {unknown}"),
    };
    t.push_str(&call.text());
    out.push(Piece::Text(t));
}

/// A flat union: a struct of the base members and a field, named after the
/// tag, holding the branch enum.
///
/// Branch enums (here, in simple unions and in alternates) allow clippy's
/// `large_enum_variant`: QEMU's branches differ in size by hundreds of
/// bytes (`ObjectOptions`), and boxing them would make every value harder
/// to build and match for a saving nobody asked for.
pub(crate) fn emit_union(
    g: &Generator,
    id: DefId,
    o: &ObjectType,
    v: &Variants,
    out: &mut Vec<Piece>,
) {
    let def = g.schema.def(id);
    let name = g.name(id);
    let (branch_name, slots_name) = &g.branch_enums[&id];
    let mut ns = Namespace::default();
    let branch_field = ident(&ns.claim(names::snake(&v.tag), "_"));
    let base_members: Vec<Member> = o
        .members
        .iter()
        .filter(|m| m.name != v.tag)
        .cloned()
        .collect();
    let fields = fields(g, id, &base_members, &mut ns);
    let mut t = String::with_capacity(1024 + 128 * fields.len());
    docs::definition(g, id).write(&mut t, "");
    t.push_str("#[derive(Clone, Debug, PartialEq)]\n");
    put!(t, "pub struct {name} {{\n");
    write_fields(g, id, &fields, &mut t);
    docs::union_tag(g, id, v).write(&mut t, "    ");
    put!(t, "    pub {branch_field}: {branch_name},\n}}\n");
    put!(
        t,
        "#[allow(deprecated)]\n\
         impl {name} {{\n\
         \x20   /// The value of the tag member `{}`.\n\
         \x20   pub fn {branch_field}(&self) -> {} {{\n\
         \x20       ::qapi_types::object::Variants::tag(&self.{branch_field})\n\
         \x20   }}\n\
         }}\n",
        v.tag,
        type_text(g, v.tag_type)
    );
    let call = object_call(
        name,
        &def.name,
        &fields,
        Some((&branch_field, &v.tag, branch_name)),
    );
    t.push_str(&call.text());
    write_branch_enum(g, id, v, branch_name, slots_name, &mut t);
    out.push(Piece::Text(t));
}

/// The declarations of `fields` of object type `container`, with their
/// documentation.
fn write_fields(g: &Generator, container: DefId, fields: &[Field], t: &mut String) {
    for f in fields {
        docs::member(g, container, f.member, f.optional).write(t, "    ");
        if !docs::deprecated_text(&f.member.features).is_empty() {
            t.push_str("    #[deprecated]\n");
        }
        if f.optional.is_some() {
            put!(
                t,
                "    pub {}: ::std::option::Option<{}>,\n",
                f.ident,
                f.inner_text
            );
        } else {
            put!(t, "    pub {}: {},\n", f.ident, f.inner_text);
        }
    }
}

/// A match arm at `indent` columns: on one line when it fits in 89
/// columns, else with its expression in a block, as prettyplease lays it
/// out.
fn arm(out: &mut String, indent: usize, pat: &str, expr: &str) {
    let pad = " ".repeat(indent);
    if indent + pat.len() + expr.len() + 5 <= 89 {
        put!(out, "{pad}{pat} => {expr},\n");
    } else {
        put!(out, "{pad}{pat} => {{\n{pad}    {expr}\n{pad}}}\n");
    }
}

/// The enum holding a flat union's branch, and its `Variants` impl.
fn write_branch_enum(
    g: &Generator,
    id: DefId,
    v: &Variants,
    name: &str,
    slots: &str,
    t: &mut String,
) {
    let tag_def = g.schema.def(v.tag_type);
    let DefKind::Enum(tag_enum) = &tag_def.kind else {
        unreachable!("a union tag is an enumeration")
    };
    let tag_ty = g.name(v.tag_type);
    let (tag_values, tag_unknown) = enum_variants(g, tag_enum);
    let mut ns = Namespace::default();
    let mut variants = String::new();
    let mut slot_variants = String::new();
    let mut arms_slots = String::new();
    let mut arms_member = String::new();
    let mut arms_finish = String::new();
    let mut arms_tag = String::new();
    let mut arms_ser = String::new();
    let kept: Vec<_> = v
        .variants
        .iter()
        .filter(|b| g.sel.cond(b.ifcond.as_ref()))
        .collect();
    const OBJECT: &str = "::qapi_types::object::Object";
    for b in &kept {
        let var = ident(&ns.claim(names::upper_camel(&b.name), "_"));
        let Some((tag_var, _)) = tag_values.iter().find(|(_, tv)| tv.name == b.name) else {
            continue;
        };
        docs::branch(g, id, b).write(&mut variants, "    ");
        let tag_pat = format!("{tag_ty}::{tag_var}");
        if g.schema.def(b.ty).name == "q_empty" {
            put!(variants, "    {var},\n");
            put!(slot_variants, "    {var},\n");
            arm(&mut arms_slots, 12, &tag_pat, &format!("{slots}::{var}"));
            arm(
                &mut arms_member,
                12,
                &format!("{slots}::{var}"),
                "::std::result::Result::Ok(false)",
            );
            arm(
                &mut arms_finish,
                16,
                &format!("{slots}::{var}"),
                &format!("Self::{var}"),
            );
            arm(&mut arms_tag, 12, &format!("Self::{var}"), &tag_pat);
            arm(
                &mut arms_ser,
                12,
                &format!("Self::{var}"),
                "::std::result::Result::Ok(())",
            );
        } else {
            // A boxed branch decodes as its type does (`Box<T>` is an
            // object too).
            let ty = member_type_text(g, id, b.ty);
            put!(variants, "    {var}({ty}),\n");
            put!(slot_variants, "    {var}(<{ty} as {OBJECT}>::Slots),\n");
            // A branch struct without members (after conditions) has `()`
            // for slots: written as such, not as a call returning it.
            let empty = match &g.schema.def(b.ty).kind {
                DefKind::Object(o) => {
                    o.variants.is_none() && g.sel.members(&o.members).next().is_none()
                }
                _ => false,
            };
            let new_slots = if empty {
                format!("{slots}::{var}(())")
            } else {
                format!("{slots}::{var}(<{ty} as {OBJECT}>::slots())")
            };
            arm(&mut arms_slots, 12, &tag_pat, &new_slots);
            arm(
                &mut arms_member,
                12,
                &format!("{slots}::{var}(s)"),
                &format!("<{ty} as {OBJECT}>::member(s, key, map)"),
            );
            arm(
                &mut arms_finish,
                16,
                &format!("{slots}::{var}(s)"),
                &format!("Self::{var}(<{ty} as {OBJECT}>::finish(s)?)"),
            );
            arm(&mut arms_tag, 12, &format!("Self::{var}(_)"), &tag_pat);
            arm(
                &mut arms_ser,
                12,
                &format!("Self::{var}(v)"),
                &format!("{OBJECT}::serialize_members(v, map)"),
            );
        }
    }
    let unknown = ident(&ns.claim("Unknown".to_string(), "Branch"));
    // Tag values whose branch the options left out decode as unknown ones.
    let covered: Vec<&str> = kept.iter().map(|b| b.name.as_str()).collect();
    let uncovered: Vec<String> = tag_values
        .iter()
        .filter(|(_, tv)| !covered.contains(&tv.name.as_str()))
        .map(|(i, _)| format!("{tag_ty}::{i}"))
        .collect();
    if !uncovered.is_empty() {
        arm(
            &mut arms_slots,
            12,
            &uncovered.join(" | "),
            &format!(
                "{slots}::{unknown}(tag.as_str().to_owned(), ::std::default::Default::default())"
            ),
        );
    }
    arm(
        &mut arms_slots,
        12,
        &format!("{tag_ty}::{tag_unknown}(tag)"),
        &format!("{slots}::{unknown}(tag, ::std::default::Default::default())"),
    );
    arm(
        &mut arms_member,
        12,
        &format!("{slots}::{unknown}(_, m)"),
        "::qapi_types::object::unknown_member(m, key, map)",
    );
    arm(
        &mut arms_finish,
        16,
        &format!("{slots}::{unknown}(tag, members)"),
        &format!("Self::{unknown} {{ tag, members }}"),
    );
    arm(
        &mut arms_tag,
        12,
        &format!("Self::{unknown} {{ tag, .. }}"),
        &format!("{tag_ty}::from_wire(tag)"),
    );
    arm(
        &mut arms_ser,
        12,
        &format!("Self::{unknown} {{ members, .. }}"),
        "::qapi_types::object::serialize_unknown(members, map)",
    );
    put!(
        t,
        "/// The branch of [`{union}`], selected by its tag member `{tag}`.\n\
         #[derive(Clone, Debug, PartialEq)]\n\
         #[allow(clippy::large_enum_variant)]\n\
         pub enum {name} {{\n\
         {variants}\
         \x20   /// A branch this schema does not know, as sent by a newer QEMU:\n\
         \x20   /// the tag value and the branch's members.\n\
         \x20   {unknown} {{\n\
         \x20       /// The tag value.\n\
         \x20       tag: ::std::string::String,\n\
         \x20       /// The branch's members.\n\
         \x20       members: ::qapi_types::object::UnknownMembers,\n\
         \x20   }},\n\
         }}\n\
         #[doc(hidden)]\n\
         #[allow(clippy::large_enum_variant)]\n\
         pub enum {slots} {{\n\
         {slot_variants}\
         \x20   {unknown}(::std::string::String, ::qapi_types::object::UnknownMembers),\n\
         }}\n",
        union = g.name(id),
        tag = v.tag,
    );
    put!(
        t,
        "#[allow(deprecated)]\n\
         impl ::qapi_types::object::Variants for {name} {{\n\
         \x20   type Tag = {tag_ty};\n\
         \x20   type Slots = {slots};\n\
         \x20   fn slots(tag: {tag_ty}) -> {slots} {{\n\
         \x20       match tag {{\n\
         {arms_slots}\
         \x20       }}\n\
         \x20   }}\n\
         \x20   fn member<'de, A: ::qapi_types::serde::de::MapAccess<'de>>(\n\
         \x20       slots: &mut {slots},\n\
         \x20       key: &str,\n\
         \x20       map: &mut A,\n\
         \x20   ) -> ::std::result::Result<bool, A::Error> {{\n\
         \x20       match slots {{\n\
         {arms_member}\
         \x20       }}\n\
         \x20   }}\n\
         \x20   fn finish<E: ::qapi_types::serde::de::Error>(\n\
         \x20       slots: {slots},\n\
         \x20   ) -> ::std::result::Result<Self, E> {{\n\
         \x20       ::std::result::Result::Ok(\n\
         \x20           match slots {{\n\
         {arms_finish}\
         \x20           }},\n\
         \x20       )\n\
         \x20   }}\n\
         \x20   fn tag(&self) -> {tag_ty} {{\n\
         \x20       match self {{\n\
         {arms_tag}\
         \x20       }}\n\
         \x20   }}\n\
         \x20   fn serialize_members<M: ::qapi_types::serde::ser::SerializeMap>(\n\
         \x20       &self,\n\
         \x20       map: &mut M,\n\
         \x20   ) -> ::std::result::Result<(), M::Error> {{\n\
         \x20       match self {{\n\
         {arms_ser}\
         \x20       }}\n\
         \x20   }}\n\
         }}\n",
    );
}

/// A QEMU 5.2 simple union: an enum whose variants hold the branch values,
/// `{"type": BRANCH, "data": VALUE}` on the wire.
pub(crate) fn emit_simple_union(g: &Generator, id: DefId, v: &Variants) -> TokenStream {
    let def = g.schema.def(id);
    let name = format_ident!("{}", g.name(id));
    let (_, slots_name) = &g.branch_enums[&id];
    let slots = format_ident!("{slots_name}");
    let tag_def = g.schema.def(v.tag_type);
    let DefKind::Enum(tag_enum) = &tag_def.kind else {
        unreachable!("a union tag is an enumeration")
    };
    let tag_ty = format_ident!("{}", g.name(v.tag_type));
    let (tag_values, tag_unknown) = enum_variants(g, tag_enum);
    let doc = docs::definition(g, id);
    let mut ns = Namespace::default();
    let mut variants = Vec::new();
    let mut slot_variants = Vec::new();
    let mut arms_slots = Vec::new();
    let mut arms_member = Vec::new();
    let mut arms_finish = Vec::new();
    let mut arms_tag = Vec::new();
    let mut arms_ser = Vec::new();
    let kept: Vec<_> = v
        .variants
        .iter()
        .filter(|b| g.sel.cond(b.ifcond.as_ref()))
        .collect();
    for b in &kept {
        let DefKind::Object(wrapper) = &g.schema.def(b.ty).kind else {
            continue;
        };
        let Some(data) = wrapper.members.first() else {
            continue;
        };
        let Some((tag_var, _)) = tag_values.iter().find(|(_, tv)| tv.name == b.name) else {
            continue;
        };
        let var = ident(&ns.claim(names::upper_camel(&b.name), "_"));
        let ty = member_type(g, id, data.ty);
        let bdoc = docs::branch(g, id, b);
        variants.push(quote!(#bdoc #var(#ty),));
        slot_variants.push(quote!(#var(::std::option::Option<#ty>),));
        arms_slots.push(quote!(#tag_ty::#tag_var => #slots::#var(::std::option::Option::None),));
        arms_member
            .push(quote!(#slots::#var(s) => *s = ::std::option::Option::Some(map.next_value()?),));
        arms_finish.push(
            quote!(#slots::#var(s) => Self::#var(::qapi_types::object::required(s, "data")?),),
        );
        arms_tag.push(quote!(Self::#var(_) => #tag_ty::#tag_var,));
        arms_ser.push(quote!(Self::#var(v) => map.serialize_entry("data", v),));
    }
    let unknown = ident(&ns.claim("Unknown".to_string(), "Branch"));
    let covered: Vec<&str> = kept.iter().map(|b| b.name.as_str()).collect();
    let uncovered: Vec<&Ident> = tag_values
        .iter()
        .filter(|(_, tv)| !covered.contains(&tv.name.as_str()))
        .map(|(i, _)| i)
        .collect();
    let extra_slot_arm = if uncovered.is_empty() {
        quote!()
    } else {
        quote!(#(#tag_ty::#uncovered)|* => #slots::#unknown(tag.as_str().to_owned(), ::std::default::Default::default()),)
    };
    let wire_name = Literal::string(&def.name);
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum #name {
            #(#variants)*
            /// A branch this schema does not know, as sent by a newer QEMU.
            #unknown {
                /// The value of `type`.
                tag: ::std::string::String,
                /// The other members (normally `data`).
                members: ::qapi_types::object::UnknownMembers,
            },
        }
        #[doc(hidden)]
        #[allow(clippy::large_enum_variant)]
        pub enum #slots {
            #(#slot_variants)*
            #unknown(::std::string::String, ::qapi_types::object::UnknownMembers),
        }
        #[allow(deprecated)]
        impl ::qapi_types::object::Variants for #name {
            type Tag = #tag_ty;
            type Slots = #slots;
            fn slots(tag: #tag_ty) -> #slots {
                match tag {
                    #(#arms_slots)*
                    #extra_slot_arm
                    #tag_ty::#tag_unknown(tag) => #slots::#unknown(tag, ::std::default::Default::default()),
                }
            }
            fn member<'de, A: ::qapi_types::serde::de::MapAccess<'de>>(
                slots: &mut #slots,
                key: &str,
                map: &mut A,
            ) -> ::std::result::Result<bool, A::Error> {
                match slots {
                    #slots::#unknown(_, m) => return ::qapi_types::object::unknown_member(m, key, map),
                    _ if key != "data" => return ::std::result::Result::Ok(false),
                    #(#arms_member)*
                }
                ::std::result::Result::Ok(true)
            }
            fn finish<E: ::qapi_types::serde::de::Error>(slots: #slots) -> ::std::result::Result<Self, E> {
                ::std::result::Result::Ok(match slots {
                    #(#arms_finish)*
                    #slots::#unknown(tag, members) => Self::#unknown { tag, members },
                })
            }
            fn tag(&self) -> #tag_ty {
                match self {
                    #(#arms_tag)*
                    Self::#unknown { tag, .. } => #tag_ty::from_wire(tag),
                }
            }
            fn serialize_members<M: ::qapi_types::serde::ser::SerializeMap>(
                &self,
                map: &mut M,
            ) -> ::std::result::Result<(), M::Error> {
                match self {
                    #(#arms_ser)*
                    Self::#unknown { members, .. } => ::qapi_types::object::serialize_unknown(members, map),
                }
            }
        }
        impl ::qapi_types::object::Object for #name {
            const NAME: &'static str = #wire_name;
            const MEMBERS: &'static [&'static str] = &[];
            const TAG: &'static str = "type";
            type Slots = ::qapi_types::object::UnionSlots<(), Self>;
            fn build(((), branch): ((), Self)) -> Self {
                branch
            }
            fn serialize_members<M: ::qapi_types::serde::ser::SerializeMap>(
                &self,
                map: &mut M,
            ) -> ::std::result::Result<(), M::Error> {
                map.serialize_entry("type", &::qapi_types::object::Variants::tag(self))?;
                ::qapi_types::object::Variants::serialize_members(self, map)
            }
        }
        ::qapi_types::impl_serde!(#name);
    }
}

/// An alternate: an enum whose variant is chosen by the JSON type of the
/// value, as QEMU chooses it.
pub(crate) fn emit_alternate(g: &Generator, id: DefId, a: &AlternateType) -> TokenStream {
    let def = g.schema.def(id);
    let name = format_ident!("{}", g.name(id));
    let doc = docs::definition(g, id);
    let mut ns = Namespace::default();
    let mut variants = Vec::new();
    let mut ser_arms = Vec::new();
    let mut visits = Vec::new();
    let mut expecting = Vec::new();
    for b in a.variants.iter().filter(|b| g.sel.cond(b.ifcond.as_ref())) {
        let var = ident(&ns.claim(names::upper_camel(&b.name), "_"));
        let ty = member_type(g, id, b.ty);
        let plain = rust_type(g, b.ty);
        let boxed = boxed(g, id, b.ty);
        let wrap = |e: TokenStream| {
            if boxed {
                quote!(#name::#var(::std::boxed::Box::new(#e)))
            } else {
                quote!(#name::#var(#e))
            }
        };
        let bdoc = docs::branch(g, id, b);
        variants.push(quote!(#bdoc #var(#ty),));
        ser_arms.push(quote!(Self::#var(v) => ::qapi_types::serde::Serialize::serialize(v, s),));
        let target = g.schema.def(b.ty);
        let de = quote!(::qapi_types::serde::de);
        match &target.kind {
            DefKind::Builtin(Builtin::Str) => {
                expecting.push("a string");
                let e = wrap(quote!(v.to_owned()));
                visits.push(quote!(fn visit_str<E: #de::Error>(self, v: &str) -> ::std::result::Result<Self::Value, E> { ::std::result::Result::Ok(#e) }));
            }
            DefKind::Enum(_) => {
                expecting.push("a string");
                let e = wrap(quote!(#plain::from_wire(v)));
                visits.push(quote!(fn visit_str<E: #de::Error>(self, v: &str) -> ::std::result::Result<Self::Value, E> { ::std::result::Result::Ok(#e) }));
            }
            DefKind::Builtin(Builtin::Bool) => {
                expecting.push("a boolean");
                let e = wrap(quote!(v));
                visits.push(quote!(fn visit_bool<E: #de::Error>(self, v: bool) -> ::std::result::Result<Self::Value, E> { ::std::result::Result::Ok(#e) }));
            }
            DefKind::Builtin(Builtin::Null) => {
                expecting.push("null");
                let e = wrap(quote!(::qapi_types::Null));
                visits.push(quote!(fn visit_unit<E: #de::Error>(self) -> ::std::result::Result<Self::Value, E> { ::std::result::Result::Ok(#e) }));
            }
            DefKind::Builtin(Builtin::Number) => {
                expecting.push("a number");
                let e = wrap(quote!(v as f64));
                let e_f64 = wrap(quote!(v));
                visits.push(quote! {
                    fn visit_f64<E: #de::Error>(self, v: f64) -> ::std::result::Result<Self::Value, E> { ::std::result::Result::Ok(#e_f64) }
                    fn visit_i64<E: #de::Error>(self, v: i64) -> ::std::result::Result<Self::Value, E> { ::std::result::Result::Ok(#e) }
                    fn visit_u64<E: #de::Error>(self, v: u64) -> ::std::result::Result<Self::Value, E> { ::std::result::Result::Ok(#e) }
                });
            }
            DefKind::Builtin(_) => {
                expecting.push("an integer");
                let from_i = wrap(
                    quote!(<#plain as ::qapi_types::serde::Deserialize>::deserialize(#de::value::I64Deserializer::<E>::new(v))?),
                );
                let from_u = wrap(
                    quote!(<#plain as ::qapi_types::serde::Deserialize>::deserialize(#de::value::U64Deserializer::<E>::new(v))?),
                );
                visits.push(quote! {
                    fn visit_i64<E: #de::Error>(self, v: i64) -> ::std::result::Result<Self::Value, E> { ::std::result::Result::Ok(#from_i) }
                    fn visit_u64<E: #de::Error>(self, v: u64) -> ::std::result::Result<Self::Value, E> { ::std::result::Result::Ok(#from_u) }
                });
            }
            DefKind::Array(_) => {
                expecting.push("an array");
                let e = wrap(
                    quote!(<#plain as ::qapi_types::serde::Deserialize>::deserialize(#de::value::SeqAccessDeserializer::new(seq))?),
                );
                visits.push(quote!(fn visit_seq<A: #de::SeqAccess<'de>>(self, seq: A) -> ::std::result::Result<Self::Value, A::Error> { ::std::result::Result::Ok(#e) }));
            }
            _ => {
                expecting.push("an object");
                let e = wrap(
                    quote!(<#plain as ::qapi_types::serde::Deserialize>::deserialize(#de::value::MapAccessDeserializer::new(map))?),
                );
                visits.push(quote!(fn visit_map<A: #de::MapAccess<'de>>(self, map: A) -> ::std::result::Result<Self::Value, A::Error> { ::std::result::Result::Ok(#e) }));
            }
        }
    }
    let expecting = format!("{} for {}", expecting.join(" or "), def.name);
    let ser_s = if ser_arms.is_empty() {
        quote!(_s)
    } else {
        quote!(s)
    };
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum #name {
            #(#variants)*
        }
        #[allow(deprecated)]
        impl ::qapi_types::serde::Serialize for #name {
            fn serialize<S: ::qapi_types::serde::Serializer>(&self, #ser_s: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    #(#ser_arms)*
                }
            }
        }
        #[allow(deprecated)]
        impl<'de> ::qapi_types::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::qapi_types::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                struct V;
                impl<'de> ::qapi_types::serde::de::Visitor<'de> for V {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    #(#visits)*
                }
                d.deserialize_any(V)
            }
        }
    }
}
