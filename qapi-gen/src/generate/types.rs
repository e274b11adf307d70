//! How schema types are written in Rust: their names, which members are
//! boxed, which types have a `Default`, and the fields of structs.

use std::collections::{HashMap, HashSet};

use super::names::{self, Namespace};
use super::select::Selection;
use super::{Generator, Optional};
use crate::schema::{Builtin, DefId, DefKind, Member, Schema, UnionKind};

/// The Rust type of a schema type, as a member, branch or return type.
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

/// Whether a member or branch of `container` of type `ty` is boxed: see
/// [`boxed_edges`].
pub(crate) fn boxed(g: &Generator, container: DefId, ty: DefId) -> bool {
    g.boxed.contains(&(container, ty))
}

/// The type of a member of `container`, boxed when it must be.
pub(crate) fn member_type_text(g: &Generator, container: DefId, ty: DefId) -> String {
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

/// The members and branches that are boxed, as (container, type) pairs:
/// only where types contain each other by value, in a cycle that needs a
/// box to have a finite size.  Where the cycle goes through an alternate,
/// the alternate's branch leading back is boxed
/// (`BlockdevRef::Definition(Box<BlockdevOptions>)`); in a cycle without
/// an alternate, the members leading back (`ImageInfo::backing_image`).
/// Everything else holds its values directly.
pub(crate) fn boxed_edges(schema: &Schema, sel: &Selection) -> HashSet<(DefId, DefId)> {
    let is_alternate = |id: DefId| matches!(schema.def(id).kind, DefKind::Alternate(_));
    let mut boxed = HashSet::new();
    let scc = containment_components(schema, sel, &boxed);
    for (&id, c) in &scc {
        if is_alternate(id) {
            for t in contained(schema, id) {
                if scc.get(&t) == Some(c) {
                    boxed.insert((id, t));
                }
            }
        }
    }
    // Cycles left without an alternate's branch to box.
    let scc = containment_components(schema, sel, &boxed);
    for (&id, c) in &scc {
        for t in contained(schema, id) {
            if scc.get(&t) == Some(c) {
                boxed.insert((id, t));
            }
        }
    }
    boxed
}

/// Tarjan's strongly connected components of the by-value containment
/// graph of kept types, without the `cut` edges.  Only components with an
/// edge inside are returned.
fn containment_components(
    schema: &Schema,
    sel: &Selection,
    cut: &HashSet<(DefId, DefId)>,
) -> HashMap<DefId, usize> {
    let succ = |v: DefId| -> Vec<DefId> {
        contained(schema, v)
            .into_iter()
            .filter(|&w| !cut.contains(&(v, w)))
            .collect()
    };
    struct Tarjan<'a> {
        succ: &'a dyn Fn(DefId) -> Vec<DefId>,
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
            work.push((v, (self.succ)(v), 0));
            while let Some((node, succ, i)) = work.pop() {
                if i < succ.len() {
                    let w = succ[i];
                    work.push((node, succ.clone(), i + 1));
                    if !self.index.contains_key(&w) {
                        self.enter(w);
                        work.push((w, (self.succ)(w), 0));
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
        succ: &succ,
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
        .filter(|(id, c)| size[c] > 1 || succ(*id).contains(id))
        .collect()
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
    /// Whether the value is a number or a boolean, which a constructor
    /// takes as it is (an `impl Into<u64>` would refuse a plain literal,
    /// an `i32`).
    pub scalar: bool,
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
                scalar: matches!(
                    g.schema.def(m.ty).kind,
                    DefKind::Builtin(b) if !matches!(b, Builtin::Str | Builtin::Any | Builtin::Null)
                ),
            }
        })
        .collect()
}

/// Whether values of a type have a sensible `Default`: built-ins, arrays,
/// and structs whose required members have one.
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

/// Whether a struct of object type `id` derives `Default`.
pub(crate) fn has_default(g: &Generator, id: DefId) -> bool {
    defaultable(g, id, &mut Vec::new())
}
