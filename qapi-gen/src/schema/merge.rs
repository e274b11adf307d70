//! One model from several schemas: a fork on QEMU 5.2 with upstream 10.2,
//! or the QEMU versions a fleet runs, for bindings that talk to all of
//! them.
//!
//! The first schema leads: its definitions keep their order, names and
//! documentation, and the others add what it lacks.  Definitions are
//! matched by name.  What any schema has, the merged model has: commands,
//! events, types, members, enumeration values, branches.  A member is
//! required only where every schema that has its type (or its command,
//! for arguments) requires it; otherwise a server of one of them may leave
//! it out, or a client talking to one of them must be able to.  Every item
//! records which schemas have it ([`Presence`]).
//!
//! Where the schemas disagree on a member's type, the resolution is
//! decided by what the wire can carry, and said in a warning naming both
//! places (never picked silently):
//! - types of other names but the same shape on the wire (a 5.2 simple
//!   union's implicit wrapper and 10.2's `XWrapper`) are the same: the
//!   first schema's is used, without a warning;
//! - a string and an enumeration: the enumeration (its catch-all holds any
//!   string); two integer types: the one whose range holds the other's;
//!   an integer and a `number`: the `number`;
//! - types whose JSON values can be told apart (a string and an object,
//!   say): an alternate of both, so that either decodes;
//! - anything else (two objects of different shapes, definitions of other
//!   kinds): the first schema's, with a warning that the other's values
//!   may not decode.

use std::collections::HashMap;
use std::path::{Component, Path};

use super::shape::{Shapes, type_text};
use super::{
    AlternateType, Builtin, Command, DefId, DefKind, Definition, DocId, EnumType, Feature,
    JsonType, Member, Module, ModuleId, ModuleItem, ObjectType, Presence, Schema, UnionKind,
    Variant, Variants,
};
use crate::diag::{Context, Diagnostic, Note, Severity};
use crate::doc::{Doc, Section, SectionKind, SectionRef};
use crate::source::{FileId, Loc};

/// Why schemas cannot be merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeError {
    /// No schema was given.
    Nothing,
    /// More schemas than a [`Presence`] can tell apart.
    TooMany(usize),
}

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MergeError::Nothing => f.write_str("no schema to merge"),
            MergeError::TooMany(n) => {
                write!(f, "{n} schemas to merge; at most {} can be", Presence::MAX)
            }
        }
    }
}

impl std::error::Error for MergeError {}

/// Merges `schemas` into one model, the first leading (see the module's
/// documentation).  Returns the model and the warnings about conflicts,
/// whose locations are in the model's [`Schema::sources`].  Each schema's
/// [`Schema::origins`] label names it (see [`labels`]).
pub fn merge(schemas: Vec<Schema>) -> Result<(Schema, Vec<Diagnostic>), MergeError> {
    if schemas.len() > Presence::MAX {
        return Err(MergeError::TooMany(schemas.len()));
    }
    let mut it = schemas.into_iter();
    let first = it.next().ok_or(MergeError::Nothing)?;
    let mut m = Merger {
        out: first,
        warnings: Vec::new(),
        absorbed: Vec::new(),
    };
    for (i, other) in it.enumerate() {
        m.add(i + 1, other);
    }
    m.finish();
    Ok((m.out, m.warnings))
}

/// Short names for schemas at `paths`: what tells the paths apart, with
/// the directories and file names they share left out
/// (`qemu/10.2/qapi/qapi-schema.json` and `qemu/5.2/qapi/qapi-schema.json`
/// become `10.2` and `5.2`).  A path that differs in nothing is named in
/// full.
pub fn labels(paths: &[&Path]) -> Vec<String> {
    let parts: Vec<Vec<String>> = paths
        .iter()
        .map(|p| {
            p.components()
                .filter(|c| !matches!(c, Component::CurDir))
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .collect();
    let shortest = parts.iter().map(Vec::len).min().unwrap_or(0);
    let same = |f: &dyn Fn(&Vec<String>) -> &String| parts.iter().all(|p| f(p) == f(&parts[0]));
    let mut head = 0;
    while head < shortest && same(&|p| &p[head]) {
        head += 1;
    }
    let mut tail = 0;
    while tail < shortest - head && same(&|p| &p[p.len() - 1 - tail]) {
        tail += 1;
    }
    parts
        .iter()
        .zip(paths)
        .map(|(p, path)| {
            let label: std::path::PathBuf = p[head..p.len() - tail].iter().collect();
            if label.as_os_str().is_empty() {
                path.display().to_string()
            } else {
                label.display().to_string()
            }
        })
        .collect()
}

struct Merger {
    out: Schema,
    warnings: Vec<Diagnostic>,
    /// The object types merged into others at places where the schemas
    /// disagree: into which, which, for which added schema.
    absorbed: Vec<(DefId, DefId, usize)>,
}

/// How the ids of one added schema map into the merged model.
struct Remap {
    files: u32,
    docs: u32,
    modules: u32,
    defs: Vec<DefId>,
    presence: Presence,
}

impl Remap {
    fn loc(&self, loc: Loc) -> Loc {
        Loc {
            file: FileId(loc.file.0 + self.files),
            line: loc.line,
        }
    }

    fn def(&self, id: DefId) -> DefId {
        self.defs[id.index()]
    }

    /// A definition of the added schema, in the merged model's terms.
    fn definition(&self, mut d: Definition) -> Definition {
        d.loc = d.loc.map(|l| self.loc(l));
        d.doc = d.doc.map(|i| DocId::new(i.index() + self.docs as usize));
        d.module = ModuleId(d.module.0 + self.modules);
        d.presence = self.presence;
        let p = self.presence;
        match &mut d.kind {
            DefKind::Builtin(_) => {}
            DefKind::Enum(e) => e.values.iter_mut().for_each(|v| v.presence = p),
            DefKind::Array(a) => a.element = self.def(a.element),
            DefKind::Object(o) => {
                o.base = o.base.map(|b| self.def(b));
                for m in o.all_members_mut() {
                    m.ty = self.def(m.ty);
                    m.defined_in = self.def(m.defined_in);
                    m.presence = p;
                }
                if let Some(v) = &mut o.variants {
                    v.tag_type = self.def(v.tag_type);
                    for b in &mut v.variants {
                        b.ty = self.def(b.ty);
                        b.presence = p;
                    }
                }
            }
            DefKind::Alternate(a) => {
                for b in &mut a.variants {
                    b.ty = self.def(b.ty);
                    b.presence = p;
                }
            }
            DefKind::Command(c) => {
                c.arg_type = c.arg_type.map(|t| self.def(t));
                c.ret_type = c.ret_type.map(|t| self.def(t));
            }
            DefKind::Event(e) => e.arg_type = e.arg_type.map(|t| self.def(t)),
        }
        d
    }

    fn doc(&self, mut doc: Doc) -> Doc {
        doc.loc = self.loc(doc.loc);
        doc.body.loc = self.loc(doc.body.loc);
        for a in doc.args.iter_mut().chain(&mut doc.features) {
            a.loc = self.loc(a.loc);
        }
        for s in &mut doc.sections {
            s.loc = self.loc(s.loc);
        }
        doc
    }
}

/// Where a place in a definition is, for warnings.
struct Place<'a> {
    /// The definition holding the member, in the merged model.
    def: DefId,
    /// What is at the place: `member 'x'`, `returns`.
    what: &'a str,
    /// The definition in the added schema, for its location.
    other_loc: Option<Loc>,
    /// The added schema's index.
    other: usize,
}

impl Merger {
    fn add(&mut self, index: usize, other: Schema) {
        let presence = Presence::only(index);
        let Schema {
            sources,
            modules,
            defs,
            docs,
            feature_names,
            origins,
            ..
        } = other;
        let mut remap = Remap {
            files: self.out.sources.append(sources),
            docs: self.out.docs.len() as u32,
            modules: self.out.modules.len() as u32,
            defs: Vec::with_capacity(defs.len()),
            presence,
        };
        // Every definition gets its id in the merged model first: those
        // the model has keep theirs, the others come at the end.
        let mut added = Vec::new();
        for d in &defs {
            match self.out.lookup(&d.name) {
                Some(id) => remap.defs.push(id),
                None => {
                    let id = DefId(self.out.defs.len() as u32 + added.len() as u32);
                    added.push(id);
                    remap.defs.push(id);
                }
            }
        }
        self.out.docs.extend(docs.into_iter().map(|d| remap.doc(d)));
        for m in modules {
            let items = m
                .items
                .iter()
                .filter_map(|item| match *item {
                    ModuleItem::Include(id) => {
                        Some(ModuleItem::Include(ModuleId(id.0 + remap.modules)))
                    }
                    ModuleItem::Def(id) => {
                        let new = remap.def(id);
                        added.contains(&new).then_some(ModuleItem::Def(new))
                    }
                })
                .collect();
            self.out.modules.push(Module {
                name: m.name,
                items,
            });
        }
        for name in feature_names {
            if !self.out.feature_names.contains(&name) {
                self.out.feature_names.push(name);
            }
        }
        self.out.origins.extend(origins);
        let mut matched = Vec::new();
        for (i, d) in defs.into_iter().enumerate() {
            let id = remap.defs[i];
            let d = remap.definition(d);
            if id.index() >= self.out.defs.len() {
                self.out.index.insert(&d.name, id);
                self.out.defs.push(d);
            } else {
                matched.push((id, d));
            }
        }
        for (id, d) in matched {
            self.definition(id, d, index);
        }
    }

    /// Merges definition `b` of schema `index` into `id`.
    fn definition(&mut self, id: DefId, b: Definition, index: usize) {
        let a = &mut self.out.defs[id.index()];
        a.presence = a.presence.union(b.presence);
        a.since = a.since.or(b.since);
        merge_features(&mut a.features, &b.features);
        let other_loc = b.loc;
        let place = |what: &'static str| Place {
            def: id,
            what,
            other_loc,
            other: index,
        };
        let here = a.meta();
        let there = b.meta();
        match b.kind {
            DefKind::Enum(y) if here == "enum" => {
                if let DefKind::Enum(x) = &mut self.out.defs[id.index()].kind {
                    merge_values(x, y);
                }
            }
            DefKind::Object(y) if matches!(here, "struct" | "union") => {
                self.object(id, y, index, other_loc)
            }
            DefKind::Alternate(y) if here == "alternate" => self.alternate(id, y, &place("")),
            DefKind::Command(y) if here == "command" => self.command(id, y, index, other_loc),
            DefKind::Event(y) if here == "event" => {
                let DefKind::Event(x) = &self.out.defs[id.index()].kind else {
                    return;
                };
                let merged = self.data(x.arg_type, y.arg_type, &place("data"));
                if let DefKind::Event(x) = &mut self.out.defs[id.index()].kind {
                    x.arg_type = merged;
                }
            }
            _ if here == there => {}
            _ => {
                let message = format!(
                    "{here} '{}' is {} {there} in {}; the bindings keep the {here}, whose \
                     values that schema's may not match",
                    self.out.def(id).name,
                    if there.starts_with(['a', 'e']) {
                        "an"
                    } else {
                        "a"
                    },
                    self.label(index)
                );
                self.warn(&place(""), message);
            }
        }
    }

    fn object(&mut self, id: DefId, y: ObjectType, index: usize, other_loc: Option<Loc>) {
        let place = |what: String| (what, other_loc);
        let DefKind::Object(x) = &self.out.defs[id.index()].kind else {
            return;
        };
        let mut members = x.members.to_vec();
        let mut local = x.local_members().to_vec();
        let mut variants = x.variants.clone();
        let role = if self.out.def(id).implicit && self.out.def(id).name.ends_with("-arg") {
            "argument"
        } else {
            "member"
        };
        for m in &y.members {
            let (what, loc) = place(format!("{role} '{}'", m.name));
            self.member(&mut members, m, id, &what, loc, index);
        }
        // The local members are among `members`: they take what was
        // decided there.
        for m in y.local_members() {
            match local.iter_mut().find(|x| x.name == m.name) {
                Some(x) => {
                    x.presence = x.presence.union(m.presence);
                    x.optional |= m.optional;
                    x.since = x.since.or(m.since);
                    merge_features(&mut x.features, &m.features);
                }
                None => local.push(m.clone()),
            }
        }
        for x in &mut local {
            if let Some(m) = members.iter().find(|m| m.name == x.name) {
                x.ty = m.ty;
            }
        }
        match (&mut variants, y.variants) {
            (Some(v), Some(w)) => self.variants(id, v, *w, index, other_loc),
            (None, None) => {}
            // A struct with the union's tag member reads as the union.
            (Some(v), None) if y.members.iter().any(|m| m.name == v.tag) => {}
            (Some(_), None) | (None, Some(_)) => {
                let name = self.out.def(id).name.clone();
                let here = self.out.def(id).meta();
                let p = Place {
                    def: id,
                    what: "",
                    other_loc,
                    other: index,
                };
                let message = if here == "union" {
                    format!(
                        "union '{name}' is a struct in {}; the bindings keep the union, \
                         with the struct's members too: values without its tag do not decode",
                        self.label(index)
                    )
                } else {
                    format!(
                        "struct '{name}' is a union in {}; the bindings keep the struct, \
                         with the union's common members too",
                        self.label(index)
                    )
                };
                self.warn(&p, message);
            }
        }
        if let DefKind::Object(x) = &mut self.out.defs[id.index()].kind {
            x.members = members.into_boxed_slice();
            x.set_local_members(local);
            x.variants = variants;
        }
    }

    /// Merges member `m` of the added schema into `members`.
    fn member(
        &mut self,
        members: &mut Vec<Member>,
        m: &Member,
        def: DefId,
        what: &str,
        other_loc: Option<Loc>,
        index: usize,
    ) {
        let Some(k) = members.iter().position(|x| x.name == m.name) else {
            members.push(m.clone());
            return;
        };
        let x = &mut members[k];
        x.presence = x.presence.union(m.presence);
        x.optional |= m.optional;
        x.since = x.since.or(m.since);
        merge_features(&mut x.features, &m.features);
        let (a, b) = (x.ty, m.ty);
        if a != b {
            let place = Place {
                def,
                what,
                other_loc,
                other: index,
            };
            let ty = self.resolve(a, b, &place);
            members[k].ty = ty;
        }
    }

    fn variants(
        &mut self,
        id: DefId,
        v: &mut Variants,
        w: Variants,
        index: usize,
        other_loc: Option<Loc>,
    ) {
        let place = |what: &'static str| Place {
            def: id,
            what,
            other_loc,
            other: index,
        };
        if v.tag != w.tag {
            let message = format!(
                "union '{}' is told apart by '{}' here and by '{}' in {}; the bindings keep '{}'",
                self.out.def(id).name,
                v.tag,
                w.tag,
                self.label(index),
                v.tag
            );
            self.warn(&place(""), message);
            return;
        }
        for b in w.variants {
            if b.implicit {
                // A tag value without a branch: the union has it too, as a
                // value with or without a branch of its own.
                if let Some(x) = v.variants.iter_mut().find(|x| x.name == b.name) {
                    x.presence = x.presence.union(b.presence);
                }
                continue;
            }
            if let Some(k) = v
                .variants
                .iter()
                .position(|x| x.name == b.name && !x.implicit)
            {
                let x = &mut v.variants[k];
                x.presence = x.presence.union(b.presence);
                x.since = x.since.or(b.since);
                if x.ty != b.ty {
                    let what = format!("branch '{}'", b.name);
                    let p = Place {
                        def: id,
                        what: &what,
                        other_loc,
                        other: index,
                    };
                    let a = v.variants[k].ty;
                    v.variants[k].ty = self.resolve_branch(a, b.ty, &p);
                }
                continue;
            }
            // A branch the union lacks.  Its tag value joins the tag's
            // enumeration; a flat union needs a named branch type, and a
            // simple union a wrapper around the value.
            let Some(ty) = self.branch_type(v.kind, b.ty) else {
                let message = format!(
                    "branch '{}' of union '{}' in {} has no form this union's \
                     kind can hold; the bindings leave it out",
                    b.name,
                    self.out.def(id).name,
                    self.label(index)
                );
                self.warn(&place(""), message);
                continue;
            };
            self.add_value(v.tag_type, &b.name, b.presence);
            let branch = Variant { ty, ..b };
            match v.variants.iter().position(|x| x.name == branch.name) {
                Some(k) => v.variants[k] = branch,
                None => v.variants.push(branch),
            }
        }
    }

    /// The type of a branch added to a union of `kind` from a union of
    /// the other kind: a flat union's branches are named object types, a
    /// simple union's are wrappers `{ data: T }`.
    fn branch_type(&mut self, kind: UnionKind, ty: DefId) -> Option<DefId> {
        let def = self.out.def(ty);
        let DefKind::Object(o) = &def.kind else {
            return None;
        };
        match kind {
            UnionKind::Simple => {
                let wrapper =
                    o.variants.is_none() && o.members.len() == 1 && &*o.members[0].name == "data";
                wrapper.then_some(ty)
            }
            UnionKind::Flat if !def.implicit => Some(ty),
            UnionKind::Flat => {
                // A 5.2 simple union's implicit wrapper: give it the name
                // QEMU 10.2 gives such wrappers, or reuse that type.
                let inner = o.members.first()?;
                let base = super::shape::type_text(&self.out, inner.ty);
                let name = format!("{}Wrapper", upper_first(&base));
                if let Some(existing) = self.out.lookup(&name) {
                    let mut shapes = Shapes::new(&self.out, &self.out);
                    return shapes.same(existing, ty).then_some(existing);
                }
                let mut copy = def.clone();
                copy.name = name.as_str().into();
                copy.implicit = false;
                let new = DefId(self.out.defs.len() as u32);
                if let DefKind::Object(o) = &mut copy.kind {
                    for m in o.all_members_mut() {
                        m.defined_in = new;
                    }
                }
                self.out.index.insert(&name, new);
                self.out.defs.push(copy);
                Some(new)
            }
        }
    }

    /// Adds `value` to enumeration `id` if it lacks it.
    fn add_value(&mut self, id: DefId, value: &str, presence: Presence) {
        if let DefKind::Enum(e) = &mut self.out.defs[id.index()].kind {
            match e.values.iter_mut().find(|v| &*v.name == value) {
                Some(v) => v.presence = v.presence.union(presence),
                None => e.values.push(super::EnumValue {
                    name: value.into(),
                    ifcond: None,
                    features: Box::default(),
                    since: None,
                    presence,
                }),
            }
        }
    }

    fn alternate(&mut self, id: DefId, y: AlternateType, place: &Place) {
        let DefKind::Alternate(x) = &self.out.defs[id.index()].kind else {
            return;
        };
        let mut branches = x.variants.to_vec();
        for b in y.variants {
            if let Some(k) = branches.iter().position(|x| x.name == b.name) {
                let x = &mut branches[k];
                x.presence = x.presence.union(b.presence);
                if x.ty != b.ty {
                    let what = format!("branch '{}'", b.name);
                    let p = Place {
                        what: &what,
                        ..*place
                    };
                    let a = branches[k].ty;
                    branches[k].ty = self.resolve_branch(a, b.ty, &p);
                }
                continue;
            }
            let kind = json_kind(&self.out, b.ty);
            if let Some(clash) = branches
                .iter()
                .find(|x| kinds_clash(json_kind(&self.out, x.ty), kind))
            {
                let message = format!(
                    "branch '{}' of alternate '{}' in {} cannot be told apart from branch \
                     '{}'; the bindings leave it out",
                    b.name,
                    self.out.def(id).name,
                    self.label(place.other),
                    clash.name
                );
                self.warn(place, message);
                continue;
            }
            branches.push(b);
        }
        if let DefKind::Alternate(x) = &mut self.out.defs[id.index()].kind {
            x.variants = branches.into_boxed_slice();
        }
    }

    fn command(&mut self, id: DefId, y: Command, index: usize, other_loc: Option<Loc>) {
        let DefKind::Command(x) = self.out.def(id).kind.clone() else {
            return;
        };
        let place = |what: &'static str| Place {
            def: id,
            what,
            other_loc,
            other: index,
        };
        let arg_type = self.data(x.arg_type, y.arg_type, &place("arguments"));
        let ret_type = match (x.ret_type, y.ret_type) {
            (Some(a), Some(b)) if a != b => Some(self.resolve(a, b, &place("returns"))),
            (Some(a), _) => Some(a),
            (None, Some(b)) => {
                let message = format!(
                    "command '{}' returns nothing here and '{}' in {}; the bindings expect \
                     the latter",
                    self.out.def(id).name,
                    type_text(&self.out, b),
                    self.label(index)
                );
                self.warn(&place("returns"), message);
                Some(b)
            }
            (None, None) => None,
        };
        if x.success_response != y.success_response {
            let message = format!(
                "command '{}' {} on success here, and {} in {}; the bindings follow this schema",
                self.out.def(id).name,
                if x.success_response {
                    "replies"
                } else {
                    "does not reply"
                },
                if y.success_response {
                    "replies"
                } else {
                    "does not"
                },
                self.label(index)
            );
            self.warn(&place(""), message);
        }
        if let DefKind::Command(c) = &mut self.out.defs[id.index()].kind {
            c.arg_type = arg_type;
            c.ret_type = ret_type;
            // Out of band only where every schema allows it.
            c.allow_oob &= y.allow_oob;
            c.allow_preconfig &= y.allow_preconfig;
        }
    }

    /// A command's arguments or an event's data: one side without any
    /// takes the other's (whose members then become optional, see
    /// [`Merger::finish`]); types of both are resolved like members'.
    fn data(&mut self, a: Option<DefId>, b: Option<DefId>, place: &Place) -> Option<DefId> {
        match (a, b) {
            (Some(a), Some(b)) if a != b => Some(self.resolve(a, b, place)),
            (a, b) => a.or(b),
        }
    }

    /// The type for a place where the schemas disagree: `a` (the merged
    /// model's) and `b` (the added schema's).
    fn resolve(&mut self, a: DefId, b: DefId, place: &Place) -> DefId {
        let mut shapes = Shapes::new(&self.out, &self.out);
        if shapes.same(a, b) {
            return a;
        }
        let (ta, tb) = (type_text(&self.out, a), type_text(&self.out, b));
        let (ty, how) = self.decide(a, b, place, true);
        let message = format!(
            "{} of {} is '{ta}' here and '{tb}' in {}; the bindings use {how}",
            place.what,
            self.holder(place.def),
            self.label(place.other),
        );
        self.warn(place, message);
        ty
    }

    /// Like [`Merger::resolve`], for a branch of a union or alternate,
    /// whose type must stay an object (union) or be told apart from the
    /// other branches (alternate): no new alternate.
    fn resolve_branch(&mut self, a: DefId, b: DefId, place: &Place) -> DefId {
        let mut shapes = Shapes::new(&self.out, &self.out);
        if shapes.same(a, b) {
            return a;
        }
        let (ta, tb) = (type_text(&self.out, a), type_text(&self.out, b));
        let (ty, how) = self.decide(a, b, place, false);
        let message = format!(
            "{} of {} is '{ta}' here and '{tb}' in {}; the bindings use {how}",
            place.what,
            self.holder(place.def),
            self.label(place.other),
        );
        self.warn(place, message);
        ty
    }

    /// The type for a place that is `a` here and `b` in the added schema,
    /// and how the choice reads in a warning.  `alternates`: whether a new
    /// alternate of both may be made.
    fn decide(&mut self, a: DefId, b: DefId, place: &Place, alternates: bool) -> (DefId, String) {
        let out = &self.out;
        let (ta, tb) = (type_text(out, a), type_text(out, b));
        let label = self.label(place.other).to_string();
        match (out.def(a).kind.clone(), out.def(b).kind.clone()) {
            (DefKind::Enum(_), DefKind::Builtin(Builtin::Str)) => {
                (a, format!("'{ta}' (its catch-all holds any string)"))
            }
            (DefKind::Builtin(Builtin::Str), DefKind::Enum(_)) => {
                (b, format!("'{tb}' (its catch-all holds any string)"))
            }
            (DefKind::Enum(_), DefKind::Enum(y)) => {
                for v in &y.values {
                    self.add_value(a, &v.name, Presence::only(place.other));
                }
                self.extend_presence(a, place.other);
                (a, format!("'{ta}' with the values of both"))
            }
            (DefKind::Builtin(x), DefKind::Builtin(y)) if number(x) && number(y) => {
                match wider(x, y) {
                    Some(true) => (a, format!("'{ta}', whose range holds the other's")),
                    Some(false) => (b, format!("'{tb}', whose range holds the other's")),
                    None => (a, format!("'{ta}'; values out of its range do not decode")),
                }
            }
            (DefKind::Object(_), DefKind::Object(_)) => {
                self.absorb(a, b, place);
                (
                    a,
                    format!("'{ta}' with the members of both, optional where not in both"),
                )
            }
            (DefKind::Array(x), DefKind::Array(y)) => {
                let (e, how) = self.decide(x.element, y.element, place, alternates);
                if e == x.element {
                    (a, format!("a list of {how}"))
                } else if e == y.element {
                    (b, format!("a list of {how}"))
                } else {
                    (self.array_of(e), format!("a list of {how}"))
                }
            }
            (DefKind::Alternate(x), _) if x.variants.iter().any(|v| holds(out, v.ty, b)) => {
                (a, format!("'{ta}', which holds '{tb}' too"))
            }
            (_, DefKind::Alternate(y)) if y.variants.iter().any(|v| holds(out, v.ty, a)) => {
                (b, format!("'{tb}', which holds '{ta}' too"))
            }
            _ if alternates && alternative(out, a, b) => {
                let alt = self.alternate_of(a, b, place);
                (
                    alt,
                    format!("'{}', an alternate of both", self.out.def(alt).name),
                )
            }
            _ => (a, format!("'{ta}'; the values of {label} may not decode")),
        }
    }

    /// Merges the members (and branches) of object type `b` into `a`, as
    /// those of the added schema at a place where it has `b` and the model
    /// `a`: they count as present in the added schema only.
    fn absorb(&mut self, a: DefId, b: DefId, place: &Place) {
        let key = (a, b, place.other);
        if a == b || self.absorbed.contains(&key) {
            return;
        }
        self.absorbed.push(key);
        let DefKind::Object(mut y) = self.out.def(b).kind.clone() else {
            return;
        };
        let only = Presence::only(place.other);
        for m in y.all_members_mut() {
            m.presence = only;
        }
        if let Some(v) = &mut y.variants {
            for branch in &mut v.variants {
                branch.presence = only;
            }
        }
        self.extend_presence(a, place.other);
        self.object(a, y, place.other, place.other_loc);
    }

    /// Type `id` stands where schema `index` has another: it counts as
    /// present there.
    fn extend_presence(&mut self, id: DefId, index: usize) {
        let def = &mut self.out.defs[id.index()];
        def.presence = def.presence.union(Presence::only(index));
    }

    /// The array type of `element`, made if the model lacks it.
    fn array_of(&mut self, element: DefId) -> DefId {
        let el = self.out.def(element);
        let name = format!("{}List", el.name);
        if let Some(id) = self.out.lookup(&name) {
            return id;
        }
        let name: Box<str> = name.into();
        let def = Definition {
            name: name.clone(),
            kind: DefKind::Array(super::ArrayType { element }),
            loc: None,
            doc: None,
            ifcond: None,
            features: Box::default(),
            module: el.module,
            implicit: true,
            since: el.since,
            presence: el.presence,
        };
        let id = DefId(self.out.defs.len() as u32);
        self.out.index.insert(&name, id);
        self.out.defs.push(def);
        id
    }

    /// A new alternate whose branches are `a` and `b`.
    fn alternate_of(&mut self, a: DefId, b: DefId, place: &Place) -> DefId {
        let (ta, tb) = (type_text(&self.out, a), type_text(&self.out, b));
        let base = format!("{}-or-{}", branch_name(&ta), branch_name(&tb));
        let mut name = base.clone();
        let mut n = 2;
        while let Some(existing) = self.out.lookup(&name) {
            if let DefKind::Alternate(x) = &self.out.def(existing).kind
                && x.variants.iter().map(|v| v.ty).eq([a, b])
            {
                return existing;
            }
            name = format!("{base}-{n}");
            n += 1;
        }
        let holder = self.owner(place.def);
        let (holder_meta, holder_name, module) =
            (holder.meta(), holder.name.clone(), holder.module);
        let loc = self.out.def(place.def).loc.or(place.other_loc);
        // Where the place holds `a`: the schemas merged so far that have
        // it; `b`: the added one.
        let here = self.out.def(place.def).presence.without(place.other);
        let there = Presence::only(place.other);
        let presence = here.union(there);
        let branch = |ty: DefId, text: &str, presence: Presence| Variant {
            name: branch_name(text).into(),
            ty,
            ifcond: None,
            implicit: false,
            since: None,
            presence,
        };
        let variants = vec![branch(a, &ta, here), branch(b, &tb, there)];
        let text = format!(
            "The {} of {holder_meta} `{holder_name}`: `{ta}` in {}, `{tb}` in {}.",
            place.what.replace('\'', "`"),
            self.labels(here),
            self.labels(there),
        );
        let doc = loc.map(|loc| {
            self.out.docs.push(Doc {
                symbol: Some(name.clone()),
                loc,
                body: Section {
                    kind: SectionKind::Plain,
                    text,
                    loc,
                },
                args: Vec::new(),
                features: Vec::new(),
                sections: Vec::new(),
                order: vec![SectionRef::Body],
            });
            DocId::new(self.out.docs.len() - 1)
        });
        let name: Box<str> = name.into();
        let def = Definition {
            name: name.clone(),
            kind: DefKind::Alternate(AlternateType {
                variants: variants.into_boxed_slice(),
            }),
            loc: None,
            doc,
            ifcond: None,
            features: Box::default(),
            module,
            implicit: true,
            since: None,
            presence,
        };
        let id = DefId(self.out.defs.len() as u32);
        self.out.index.insert(&name, id);
        self.out.defs.push(def);
        id
    }

    /// Members required in one schema but absent (or optional) in
    /// another that has their type become optional; the arguments and
    /// data written inline count as present wherever their command or
    /// event is.
    fn finish(&mut self) {
        let schema = &mut self.out;
        let mut holders: HashMap<DefId, Presence> = HashMap::new();
        for d in &schema.defs {
            let arg = match &d.kind {
                DefKind::Command(c) => c.arg_type,
                DefKind::Event(e) => e.arg_type,
                DefKind::Object(o) => o.base.filter(|_| d.implicit),
                _ => None,
            };
            if let Some(a) = arg.filter(|&a| schema.def(a).implicit) {
                let p = holders.entry(a).or_insert(d.presence);
                *p = p.union(d.presence);
            }
        }
        for (i, d) in schema.defs.iter_mut().enumerate() {
            let holder = holders
                .get(&DefId(i as u32))
                .map_or(d.presence, |p| p.union(d.presence));
            d.presence = holder;
            if let DefKind::Object(o) = &mut d.kind {
                for m in o.all_members_mut() {
                    if !holder.is_subset(m.presence) {
                        m.optional = true;
                    }
                }
            }
        }
    }

    /// How messages name definition `id`: `struct 'Foo'`, and for the
    /// arguments or data written inline, the command or event.
    fn holder(&self, id: DefId) -> String {
        let def = self.owner(id);
        format!("{} '{}'", def.meta(), def.name)
    }

    /// The definition a message is about: `id`'s, or for the arguments or
    /// data written inline, the command's or event's.
    fn owner(&self, id: DefId) -> &Definition {
        let def = self.out.def(id);
        if def.implicit
            && let Some(rest) = def.name.strip_prefix("q_obj_")
            && let Some((owner, _)) = rest.rsplit_once('-')
            && let Some(o) = self.out.get(owner)
        {
            return o;
        }
        def
    }

    fn label(&self, index: usize) -> &str {
        self.out
            .origins
            .get(index)
            .map_or("another schema", |o| o.label.as_str())
    }

    fn labels(&self, presence: Presence) -> String {
        presence
            .iter()
            .map(|i| self.label(i).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn warn(&mut self, place: &Place, message: String) {
        let def = self.out.def(place.def);
        let owner = self.owner(place.def);
        let context = Some(Context {
            meta: owner.meta(),
            name: (*owner.name).into(),
        });
        let mut d = Diagnostic {
            severity: Severity::Warning,
            lint: None,
            loc: def.loc.or(place.other_loc),
            col: None,
            context: context.clone(),
            message,
            span: None,
            notes: Vec::new(),
        };
        if let (Some(_), Some(loc)) = (def.loc, place.other_loc) {
            d.notes.push(Note {
                loc,
                context,
                message: format!("as {} has it", self.label(place.other)),
            });
        }
        self.warnings.push(d);
    }
}

/// Adds to `a` the features of `b` it lacks.  (Reallocates only when
/// there are some: the model keeps features as boxed slices.)
fn merge_features(a: &mut Box<[Feature]>, b: &[Feature]) {
    if b.iter().all(|f| a.iter().any(|x| x.name == f.name)) {
        return;
    }
    let mut merged = std::mem::take(a).into_vec();
    for f in b {
        if !merged.iter().any(|x| x.name == f.name) {
            merged.push(f.clone());
        }
    }
    *a = merged.into_boxed_slice();
}

fn merge_values(a: &mut EnumType, b: EnumType) {
    for v in b.values {
        match a.values.iter_mut().find(|x| x.name == v.name) {
            Some(x) => {
                x.presence = x.presence.union(v.presence);
                x.since = x.since.or(v.since);
                merge_features(&mut x.features, &v.features);
            }
            None => a.values.push(v),
        }
    }
}

/// The JSON kind of a type's values, as alternates tell branches apart.
fn json_kind(schema: &Schema, id: DefId) -> Option<JsonType> {
    match schema.def(id).json_type()? {
        JsonType::Int => Some(JsonType::Number),
        JsonType::Value => None,
        t => Some(t),
    }
}

/// Whether two branches of these kinds could not be told apart.
fn kinds_clash(a: Option<JsonType>, b: Option<JsonType>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// Whether a branch of type `branch` holds the values of type `ty`: the
/// same shape, or strings both (an enumeration keeps any string).
fn holds(schema: &Schema, branch: DefId, ty: DefId) -> bool {
    let string = |id: DefId| {
        matches!(
            schema.def(id).kind,
            DefKind::Enum(_) | DefKind::Builtin(Builtin::Str)
        )
    };
    (string(branch) && string(ty)) || Shapes::new(schema, schema).same(branch, ty)
}

/// Whether the values of `a` and `b` can be told apart by their JSON type,
/// so that an alternate of both can hold either.
fn alternative(schema: &Schema, a: DefId, b: DefId) -> bool {
    let (x, y) = (json_kind(schema, a), json_kind(schema, b));
    x.is_some() && y.is_some() && !kinds_clash(x, y)
}

/// Whether a built-in type's values are numbers.
fn number(t: Builtin) -> bool {
    matches!(t.json_type(), JsonType::Int | JsonType::Number)
}

/// Whether `a`'s range holds `b`'s (`Some(true)`), `b`'s holds `a`'s
/// (`Some(false)`), or neither (`None`), for numbers.
fn wider(a: Builtin, b: Builtin) -> Option<bool> {
    fn range(t: Builtin) -> Option<(f64, f64)> {
        Some(match t {
            Builtin::Int8 => (i8::MIN as f64, i8::MAX as f64),
            Builtin::Int16 => (i16::MIN as f64, i16::MAX as f64),
            Builtin::Int32 => (i32::MIN as f64, i32::MAX as f64),
            Builtin::Int | Builtin::Int64 => (i64::MIN as f64, i64::MAX as f64),
            Builtin::Uint8 => (0.0, u8::MAX as f64),
            Builtin::Uint16 => (0.0, u16::MAX as f64),
            Builtin::Uint32 => (0.0, u32::MAX as f64),
            Builtin::Uint64 | Builtin::Size => (0.0, u64::MAX as f64),
            Builtin::Number => (f64::NEG_INFINITY, f64::INFINITY),
            _ => return None,
        })
    }
    let (ra, rb) = (range(a)?, range(b)?);
    if ra.0 <= rb.0 && ra.1 >= rb.1 {
        Some(true)
    } else if rb.0 <= ra.0 && rb.1 >= ra.1 {
        Some(false)
    } else {
        None
    }
}

/// A branch name for a type: its name, `[T]` as `T-list`.
fn branch_name(text: &str) -> String {
    let mut s = text.replace(['[', ']', '{', '}', ':', ' '], "");
    if text.starts_with('[') {
        s.push_str("-list");
    }
    s
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_what_differs() {
        let l = labels(&[
            Path::new("../shared/qemu/10.2/qapi/qapi-schema.json"),
            Path::new("../shared/qemu/5.2/qapi/qapi-schema.json"),
            Path::new("../shared/qemu/7.2/qapi/qapi-schema.json"),
        ]);
        assert_eq!(l, ["10.2", "5.2", "7.2"]);
        let l = labels(&[Path::new("a.json"), Path::new("dir/b.json")]);
        assert_eq!(l, ["a.json", "dir/b.json"]);
        let l = labels(&[Path::new("x/s.json"), Path::new("x/s.json")]);
        assert_eq!(l, ["x/s.json", "x/s.json"]);
        let l = labels(&[
            Path::new("fork/qapi/s.json"),
            Path::new("/up/qemu/qapi/s.json"),
        ]);
        assert_eq!(l, ["fork", "/up/qemu"]);
    }

    #[test]
    fn ranges() {
        assert_eq!(wider(Builtin::Int, Builtin::Int32), Some(true));
        assert_eq!(wider(Builtin::Uint8, Builtin::Size), Some(false));
        assert_eq!(wider(Builtin::Int64, Builtin::Uint64), None);
        assert_eq!(wider(Builtin::Int, Builtin::Number), Some(false));
        assert_eq!(wider(Builtin::Str, Builtin::Int), None);
    }
}
