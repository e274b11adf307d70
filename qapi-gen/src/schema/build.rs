//! Building the schema model from checked definitions and checking it as a
//! whole: QEMU's `schema.py`, step for step, so that errors come in QEMU's
//! order with QEMU's messages.
//!
//! Definitions are first entered with their type references as names (the
//! way QEMU's `_def_exprs` does, creating implicit types on the way); then
//! every entity is checked in order, resolving names, flattening members and
//! checking clashes; documentation is connected to what it documents as each
//! entity is checked.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use super::{
    AlternateType, ArrayType, Builtin, Command, Cond, DefId, DefKind, Definition, EnumType, EnumValue, Event,
    Feature, Member, Module, ModuleId, ModuleItem, ObjectType, Schema, UnionKind, Variant, Variants,
};
use crate::Ctx;
use crate::diag::{Diagnostic, Lint, Note};
use crate::doc::Doc;
use crate::expr::{self, DefBody, FeatureDef, Item, MemberDef, TypeOrMembers, TypeRef, c_name};
use crate::source::Loc;
use crate::syntax::{Parsed, Pragma};

const BUILTIN_MODULE: &str = "./builtin";
const SPECIAL_FEATURES: [&str; 2] = ["deprecated", "unstable"];

/// A member before its type is resolved.
#[derive(Clone, Debug)]
struct PMember {
    name: String,
    ty: String,
    optional: bool,
    ifcond: Option<Cond>,
    features: Vec<Feature>,
    loc: Option<Loc>,
    /// The name of the type defining it.
    defined_in: String,
}

#[derive(Clone, Debug)]
struct PVariant {
    name: String,
    ty: String,
    ifcond: Option<Cond>,
    loc: Option<Loc>,
    defined_in: String,
    implicit: bool,
}

#[derive(Clone, Debug)]
enum Pending {
    Builtin(Builtin),
    Enum(EnumType),
    Array {
        element: String,
    },
    Object {
        base: Option<String>,
        local: Vec<PMember>,
        /// Tag name (flat unions) or tag member (simple unions), and branches.
        variants: Option<(PVariantsTag, Vec<PVariant>)>,
    },
    Alternate(Vec<PVariant>),
    Command {
        arg: Option<String>,
        ret: Option<String>,
        flags: Command,
    },
    Event {
        arg: Option<String>,
        boxed: bool,
    },
}

#[derive(Clone, Debug)]
enum PVariantsTag {
    Flat(String),
    Simple(PMember),
}

struct Entry {
    name: String,
    pending: Pending,
    loc: Option<Loc>,
    doc: Option<usize>,
    ifcond: Option<Cond>,
    features: Vec<Feature>,
    /// File the definition's module is found by.
    module: ModuleId,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Unchecked,
    InProgress,
    Done,
}

#[derive(Clone, Copy)]
enum Entity {
    Include { module: ModuleId, from: ModuleId },
    Def(DefId),
}

/// A member, value, branch or feature as QEMU describes it in clash
/// messages.
#[derive(Clone)]
struct Seen {
    role: &'static str,
    name: String,
    defined_in: String,
}

struct Builder<'a> {
    ctx: &'a mut Ctx,
    pragma: Pragma,
    docs: Vec<Doc>,
    entries: Vec<Entry>,
    entities: Vec<Entity>,
    index: HashMap<String, DefId>,
    modules: Vec<Module>,
    module_index: HashMap<String, ModuleId>,
    schema_dir: PathBuf,
    /// Feature names with where each was first used.
    feature_dict: Vec<(String, Option<Loc>)>,
    feature_names: HashSet<String>,
    // Check state.
    state: Vec<State>,
    kinds: Vec<Option<DefKind>>,
    connected: HashSet<(usize, bool, String)>,
}

/// Builds and checks the schema.
pub(crate) fn build(ctx: &mut Ctx, parsed: Parsed, items: Vec<Item>) -> Result<Schema, Diagnostic> {
    let root = ctx.sources.path(crate::FileId(0)).to_path_buf();
    let schema_dir = absolute(root.parent().unwrap_or(Path::new("")));
    let mut b = Builder {
        ctx,
        pragma: parsed.pragma,
        docs: parsed.docs,
        entries: Vec::new(),
        entities: Vec::new(),
        index: HashMap::new(),
        modules: Vec::new(),
        module_index: HashMap::new(),
        schema_dir,
        feature_dict: SPECIAL_FEATURES.iter().map(|f| (f.to_string(), None)).collect(),
        feature_names: SPECIAL_FEATURES.iter().map(|f| f.to_string()).collect(),
        state: Vec::new(),
        kinds: Vec::new(),
        connected: HashSet::new(),
    };
    b.make_module_named(BUILTIN_MODULE.to_string());
    b.make_module(&root);
    b.def_predefineds()?;
    for item in items {
        match item {
            Item::Include { path, loc } => {
                let module = b.make_module(&path);
                let from = b.module_of_loc(Some(loc));
                b.entities.push(Entity::Include { module, from });
            }
            Item::Def(def) => b.def_expr(def)?,
        }
    }
    b.check()?;
    b.finish()
}

/// `os.path.abspath`.
fn absolute(path: &Path) -> PathBuf {
    let joined =
        if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(path) };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// `os.path.relpath(path, start)`, for absolute normalized paths.
fn relpath(path: &Path, start: &Path) -> String {
    let p: Vec<_> = path.components().collect();
    let s: Vec<_> = start.components().collect();
    let common = p.iter().zip(&s).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); s.len() - common];
    parts.extend(p[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    if parts.is_empty() { ".".to_string() } else { parts.join("/") }
}

impl Builder<'_> {
    fn make_module_named(&mut self, name: String) -> ModuleId {
        if let Some(&id) = self.module_index.get(&name) {
            return id;
        }
        let id = ModuleId(self.modules.len() as u32);
        self.modules.push(Module { name: name.clone(), items: Vec::new() });
        self.module_index.insert(name, id);
        id
    }

    fn module_name(&self, path: &Path) -> String {
        relpath(&absolute(path), &self.schema_dir)
    }

    fn make_module(&mut self, path: &Path) -> ModuleId {
        let name = self.module_name(path);
        self.make_module_named(name)
    }

    fn module_of_loc(&self, loc: Option<Loc>) -> ModuleId {
        match loc {
            None => ModuleId(0),
            Some(l) => {
                let name = self.module_name(self.ctx.sources.path(l.file));
                self.module_index.get(&name).copied().unwrap_or(ModuleId(0))
            }
        }
    }

    fn is_type(&self, id: DefId) -> bool {
        !matches!(self.entries[id.index()].pending, Pending::Command { .. } | Pending::Event { .. })
    }

    fn lookup_type(&self, name: &str) -> Option<DefId> {
        self.index.get(name).copied().filter(|&id| self.is_type(id))
    }

    /// QEMU's `describe()` of a definition.
    fn describe(&self, id: DefId) -> String {
        let e = &self.entries[id.index()];
        match &e.pending {
            Pending::Builtin(_) => format!("built-in type '{}'", e.name),
            Pending::Enum(_) => format!("enum type '{}'", e.name),
            Pending::Array { element } => format!("array type ['{element}']"),
            Pending::Object { variants: Some(_), .. } => format!("union type '{}'", e.name),
            Pending::Object { .. } => format!("struct type '{}'", e.name),
            Pending::Alternate(_) => format!("alternate type '{}'", e.name),
            Pending::Command { .. } => format!("command '{}'", e.name),
            Pending::Event { .. } => format!("event '{}'", e.name),
        }
    }

    fn error(&self, loc: Option<Loc>, message: impl Into<String>) -> Diagnostic {
        match loc {
            Some(l) => self.ctx.error(l, message),
            None => Diagnostic::global(message),
        }
    }

    // --- defining ------------------------------------------------------

    fn def_definition(&mut self, entry: Entry) -> Result<DefId, Diagnostic> {
        let id = DefId(self.entries.len() as u32);
        let (name, loc) = (entry.name.clone(), entry.loc);
        self.entries.push(entry);
        self.entities.push(Entity::Def(id));
        if let Some(&other) = self.index.get(&name) {
            return Err(match self.entries[other.index()].loc {
                Some(other_loc) => self.error(loc, format!("'{name}' is already defined")).with_note(Note {
                    loc: other_loc,
                    context: self.ctx.context(other_loc),
                    message: "previous definition".to_string(),
                }),
                None => self.error(loc, format!("{} is already defined", self.describe(other))),
            });
        }
        self.index.insert(name, id);
        Ok(id)
    }

    fn entry(&self, name: String, pending: Pending, loc: Option<Loc>) -> Entry {
        Entry { name, pending, loc, doc: None, ifcond: None, features: Vec::new(), module: self.module_of_loc(loc) }
    }

    fn def_predefineds(&mut self) -> Result<(), Diagnostic> {
        for b in Builtin::ALL {
            let e = self.entry(b.name().to_string(), Pending::Builtin(b), None);
            self.def_definition(e)?;
            self.make_array_type(b.name(), None)?;
        }
        let e = self.entry("q_empty".to_string(), Pending::Object { base: None, local: Vec::new(), variants: None }, None);
        self.def_definition(e)?;
        let values = ["none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool"]
            .iter()
            .map(|v| EnumValue { name: v.to_string(), ifcond: None, features: Vec::new() })
            .collect();
        let e = self.entry("QType".to_string(), Pending::Enum(EnumType { values, prefix: None }), None);
        self.def_definition(e)?;
        Ok(())
    }

    fn make_features(&mut self, features: Vec<FeatureDef>, loc: Option<Loc>) -> Vec<Feature> {
        features
            .into_iter()
            .map(|f| {
                if self.feature_names.insert(f.name.clone()) {
                    self.feature_dict.push((f.name.clone(), loc));
                }
                Feature { name: f.name, ifcond: f.ifcond }
            })
            .collect()
    }

    fn make_array_type(&mut self, element: &str, loc: Option<Loc>) -> Result<String, Diagnostic> {
        let name = format!("{element}List");
        if self.lookup_type(&name).is_none() {
            let e = self.entry(name.clone(), Pending::Array { element: element.to_string() }, loc);
            self.def_definition(e)?;
        }
        Ok(name)
    }

    fn type_name(&mut self, ty: TypeRef, loc: Loc) -> Result<String, Diagnostic> {
        match ty {
            TypeRef::Named(n) => Ok(n),
            TypeRef::Array(n) => self.make_array_type(&n, Some(loc)),
        }
    }

    fn make_members(&mut self, members: Vec<MemberDef>, loc: Loc, defined_in: &str) -> Result<Vec<PMember>, Diagnostic> {
        members
            .into_iter()
            .map(|m| {
                let ty = self.type_name(m.ty, loc)?;
                Ok(PMember {
                    name: m.name,
                    ty,
                    optional: m.optional,
                    ifcond: m.ifcond,
                    features: self.make_features(m.features, Some(loc)),
                    loc: Some(loc),
                    defined_in: defined_in.to_string(),
                })
            })
            .collect()
    }

    /// An implicit object type `q_obj_NAME-ROLE` for inline members; `None`
    /// when there are none.
    fn make_implicit_object_type(
        &mut self,
        name: &str,
        loc: Loc,
        ifcond: Option<Cond>,
        role: &str,
        members: Vec<MemberDef>,
    ) -> Result<Option<String>, Diagnostic> {
        if members.is_empty() {
            return Ok(None);
        }
        let name = format!("q_obj_{name}-{role}");
        let members = self.make_members(members, loc, &name)?;
        if !self.index.contains_key(&name) {
            let mut e = self.entry(name.clone(), Pending::Object { base: None, local: members, variants: None }, Some(loc));
            e.ifcond = ifcond;
            self.def_definition(e)?;
        }
        Ok(Some(name))
    }

    fn def_expr(&mut self, def: expr::Def) -> Result<(), Diagnostic> {
        let loc = def.loc;
        let name = def.name;
        let features = self.make_features(def.features, Some(loc));
        let ifcond = def.ifcond;
        let pending = match def.body {
            DefBody::Enum { values, prefix } => {
                let values = values
                    .into_iter()
                    .map(|v| EnumValue { name: v.name, ifcond: v.ifcond, features: self.make_features(v.features, Some(loc)) })
                    .collect();
                Pending::Enum(EnumType { values, prefix })
            }
            DefBody::Struct { base, members } => {
                let local = self.make_members(members, loc, &name)?;
                Pending::Object { base, local, variants: None }
            }
            DefBody::Union { base, discriminator: Some(tag), branches } => {
                let base = match base {
                    Some(TypeOrMembers::Name(n)) => Some(n),
                    Some(TypeOrMembers::Members(m)) => {
                        self.make_implicit_object_type(&name, loc, ifcond.clone(), "base", m)?
                    }
                    None => None,
                };
                let mut variants = Vec::with_capacity(branches.len());
                for br in branches {
                    let ty = self.type_name(br.ty, loc)?;
                    variants.push(PVariant {
                        name: br.name,
                        ty,
                        ifcond: br.ifcond,
                        loc: Some(loc),
                        defined_in: name.clone(),
                        implicit: false,
                    });
                }
                Pending::Object { base, local: Vec::new(), variants: Some((PVariantsTag::Flat(tag), variants)) }
            }
            DefBody::Union { branches, .. } => {
                // A QEMU 5.2 simple union: each branch wrapped in an object
                // with member `data`, tagged by an implicit enum.
                let mut variants = Vec::with_capacity(branches.len());
                for br in branches {
                    let ty = self.type_name(br.ty, loc)?;
                    let data = MemberDef {
                        name: "data".to_string(),
                        optional: false,
                        ty: TypeRef::Named(ty.clone()),
                        ifcond: None,
                        features: Vec::new(),
                        span: br.span,
                    };
                    let wrapper = self
                        .make_implicit_object_type(&ty, loc, None, "wrapper", vec![data])?
                        .expect("a wrapper has a member");
                    variants.push(PVariant {
                        name: br.name,
                        ty: wrapper,
                        ifcond: br.ifcond,
                        loc: Some(loc),
                        defined_in: name.clone(),
                        implicit: false,
                    });
                }
                let kind_name = format!("{name}Kind");
                let values = variants
                    .iter()
                    .map(|v| EnumValue { name: v.name.clone(), ifcond: v.ifcond.clone(), features: Vec::new() })
                    .collect();
                let mut e = self.entry(kind_name.clone(), Pending::Enum(EnumType { values, prefix: None }), Some(loc));
                e.ifcond = ifcond.clone();
                self.def_definition(e)?;
                let tag = PMember {
                    name: "type".to_string(),
                    ty: kind_name,
                    optional: false,
                    ifcond: None,
                    features: Vec::new(),
                    loc: Some(loc),
                    defined_in: name.clone(),
                };
                Pending::Object { base: None, local: vec![tag.clone()], variants: Some((PVariantsTag::Simple(tag), variants)) }
            }
            DefBody::Alternate { branches } => {
                let mut variants = Vec::with_capacity(branches.len());
                for br in branches {
                    let ty = self.type_name(br.ty, loc)?;
                    variants.push(PVariant {
                        name: br.name,
                        ty,
                        ifcond: br.ifcond,
                        loc: Some(loc),
                        defined_in: name.clone(),
                        implicit: false,
                    });
                }
                Pending::Alternate(variants)
            }
            DefBody::Command { data, returns, boxed, generate, success_response, allow_oob, allow_preconfig, coroutine } => {
                let arg = self.arg_type(&name, loc, ifcond.clone(), data)?;
                let ret = match returns {
                    Some(TypeRef::Array(n)) => Some(self.make_array_type(&n, Some(loc))?),
                    Some(TypeRef::Named(n)) => Some(n),
                    None => None,
                };
                let flags = Command {
                    arg_type: None,
                    ret_type: None,
                    generate,
                    success_response,
                    boxed,
                    allow_oob,
                    allow_preconfig,
                    coroutine,
                };
                Pending::Command { arg, ret, flags }
            }
            DefBody::Event { data, boxed } => {
                let arg = self.arg_type(&name, loc, ifcond.clone(), data)?;
                Pending::Event { arg, boxed }
            }
        };
        let mut e = self.entry(name, pending, Some(loc));
        e.doc = def.doc;
        e.ifcond = ifcond;
        e.features = features;
        self.def_definition(e)?;
        Ok(())
    }

    fn arg_type(
        &mut self,
        name: &str,
        loc: Loc,
        ifcond: Option<Cond>,
        data: Option<TypeOrMembers>,
    ) -> Result<Option<String>, Diagnostic> {
        match data {
            Some(TypeOrMembers::Name(n)) => Ok(Some(n)),
            Some(TypeOrMembers::Members(m)) => self.make_implicit_object_type(name, loc, ifcond, "arg", m),
            None => Ok(None),
        }
    }

    // --- checking ------------------------------------------------------

    fn context_name(&self, loc: Option<Loc>) -> Option<String> {
        loc.and_then(|l| self.ctx.context(l)).map(|c| c.name)
    }

    /// QEMU's `QAPISchemaMember.describe(info)`.
    fn describe_member(&self, m: &Seen, loc: Option<Loc>) -> String {
        let mut role = m.role.to_string();
        let mut meta = "type";
        let mut defined_in = m.defined_in.as_str();
        if let Some(rest) = defined_in.strip_prefix("q_obj_") {
            defined_in = rest;
            if let Some(d) = defined_in.strip_suffix("-arg") {
                role = "parameter".to_string();
                meta = "command";
                defined_in = d;
            } else if let Some(d) = defined_in.strip_suffix("-base") {
                role = format!("base {role}");
                defined_in = d;
            } else if let Some(d) = defined_in.strip_suffix("-wrapper") {
                role = "branch".to_string();
                defined_in = d;
            }
        }
        if Some(defined_in) != self.context_name(loc).as_deref() {
            format!("{role} '{}' of {meta} '{defined_in}'", m.name)
        } else {
            format!("{role} '{}'", m.name)
        }
    }

    fn check_clash(&self, m: Seen, loc: Option<Loc>, seen: &mut HashMap<String, Seen>) -> Result<(), Diagnostic> {
        let cname = c_name(&m.name);
        if let Some(other) = seen.get(&cname) {
            return Err(self.error(
                loc,
                format!("{} collides with {}", self.describe_member(&m, loc), self.describe_member(other, loc)),
            ));
        }
        seen.insert(cname, m);
        Ok(())
    }

    fn check_features_clash(&self, features: &[Feature], owner: &str, loc: Option<Loc>) -> Result<(), Diagnostic> {
        let mut seen = HashMap::new();
        for f in features {
            self.check_clash(Seen { role: "feature", name: f.name.clone(), defined_in: owner.to_string() }, loc, &mut seen)?;
        }
        Ok(())
    }

    fn resolve_type(&self, name: &str, loc: Option<Loc>, what: impl FnOnce() -> String) -> Result<DefId, Diagnostic> {
        self.lookup_type(name).ok_or_else(|| self.error(loc, format!("{} uses unknown type '{name}'", what())))
    }

    fn check(&mut self) -> Result<(), Diagnostic> {
        self.state = vec![State::Unchecked; self.entries.len()];
        self.kinds = vec![None; self.entries.len()];
        for i in 0..self.entities.len() {
            if let Entity::Def(id) = self.entities[i] {
                self.check_def(id)?;
                self.connect_doc(id)?;
            }
        }
        for i in 0..self.entities.len() {
            match self.entities[i] {
                Entity::Include { module, from } => self.modules[from.index()].items.push(ModuleItem::Include(module)),
                Entity::Def(id) => {
                    let module = match &self.entries[id.index()].pending {
                        Pending::Array { element } => {
                            let element = self.lookup_type(element).expect("resolved in check");
                            self.entries[element.index()].module
                        }
                        _ => self.entries[id.index()].module,
                    };
                    self.entries[id.index()].module = module;
                    self.modules[module.index()].items.push(ModuleItem::Def(id));
                }
            }
        }
        self.check_docs()?;
        if let Some((_, loc)) = self.feature_dict.get(64) {
            return Err(self.error(*loc, "Maximum of 64 schema features is permitted"));
        }
        Ok(())
    }

    fn check_def(&mut self, id: DefId) -> Result<(), Diagnostic> {
        let pending = self.entries[id.index()].pending.clone();
        match pending {
            Pending::Object { .. } => return self.check_object(id),
            Pending::Builtin(b) => self.kinds[id.index()] = Some(DefKind::Builtin(b)),
            Pending::Enum(en) => {
                self.check_type_features(id)?;
                let e = &self.entries[id.index()];
                let mut seen = HashMap::new();
                for v in &en.values {
                    self.check_clash(Seen { role: "value", name: v.name.clone(), defined_in: e.name.clone() }, e.loc, &mut seen)?;
                }
                self.kinds[id.index()] = Some(DefKind::Enum(en));
            }
            Pending::Array { element } => {
                let loc = self.entries[id.index()].loc;
                let what = loc.and_then(|l| self.ctx.context(l)).map_or("type", |c| c.meta);
                let element = self.resolve_type(&element, loc, || what.to_string())?;
                self.kinds[id.index()] = Some(DefKind::Array(ArrayType { element }));
            }
            Pending::Alternate(variants) => {
                self.check_type_features(id)?;
                let v = self.check_alternate(id, variants)?;
                self.kinds[id.index()] = Some(DefKind::Alternate(AlternateType { variants: v }));
            }
            Pending::Command { arg, ret, flags } => {
                let c = self.check_command(id, arg, ret, flags)?;
                self.kinds[id.index()] = Some(DefKind::Command(c));
            }
            Pending::Event { arg, boxed } => {
                self.check_definition_features(id)?;
                let loc = self.entries[id.index()].loc;
                let arg_type = match arg {
                    Some(a) => Some(self.check_arg_type(&a, loc, "event", boxed)?),
                    None => None,
                };
                self.kinds[id.index()] = Some(DefKind::Event(Event { arg_type, boxed }));
            }
        }
        self.state[id.index()] = State::Done;
        Ok(())
    }

    fn check_definition_features(&self, id: DefId) -> Result<(), Diagnostic> {
        let e = &self.entries[id.index()];
        self.check_features_clash(&e.features, &e.name, e.loc)
    }

    /// Checks for types: features may not clash, and the special ones are
    /// not allowed.
    fn check_type_features(&self, id: DefId) -> Result<(), Diagnostic> {
        self.check_definition_features(id)?;
        let e = &self.entries[id.index()];
        for f in &e.features {
            if SPECIAL_FEATURES.contains(&f.name.as_str()) {
                return Err(self.error(e.loc, format!("feature '{}' is not supported for types", f.name)));
            }
        }
        Ok(())
    }

    fn object(&self, id: DefId) -> Option<&ObjectType> {
        match &self.kinds[id.index()] {
            Some(DefKind::Object(o)) => Some(o),
            _ => None,
        }
    }

    fn is_object(&self, id: DefId) -> bool {
        matches!(self.entries[id.index()].pending, Pending::Object { .. })
    }

    fn is_union(&self, id: DefId) -> bool {
        matches!(self.entries[id.index()].pending, Pending::Object { variants: Some(_), .. })
    }

    fn check_member(&self, m: &PMember, loc: Option<Loc>) -> Result<Member, Diagnostic> {
        let seen = Seen { role: "member", name: m.name.clone(), defined_in: m.defined_in.clone() };
        let ty = self.resolve_type(&m.ty, m.loc, || self.describe_member(&seen, m.loc))?;
        self.check_features_clash(&m.features, &m.name, loc)?;
        Ok(Member {
            name: m.name.clone(),
            ty,
            optional: m.optional,
            ifcond: m.ifcond.clone(),
            features: m.features.clone(),
            defined_in: self.index[&m.defined_in],
        })
    }

    fn seen_member(&self, m: &Member) -> Seen {
        Seen { role: "member", name: m.name.clone(), defined_in: self.entries[m.defined_in.index()].name.clone() }
    }

    /// Adds the members of checked object `id` (and its branches') to `seen`.
    fn object_clash(&self, id: DefId, loc: Option<Loc>, seen: &mut HashMap<String, Seen>) -> Result<(), Diagnostic> {
        let obj = self.object(id).expect("checked object");
        for m in &obj.members {
            self.check_clash(self.seen_member(m), loc, seen)?;
        }
        if let Some(v) = &obj.variants {
            self.variants_clash(v, loc, seen)?;
        }
        Ok(())
    }

    fn variants_clash(&self, v: &Variants, loc: Option<Loc>, seen: &HashMap<String, Seen>) -> Result<(), Diagnostic> {
        for variant in &v.variants {
            let mut copy = seen.clone();
            self.object_clash(variant.ty, loc, &mut copy)?;
        }
        Ok(())
    }

    fn check_object(&mut self, id: DefId) -> Result<(), Diagnostic> {
        match self.state[id.index()] {
            State::Done => return Ok(()),
            State::InProgress => {
                let e = &self.entries[id.index()];
                return Err(self.error(e.loc, format!("object {} contains itself", e.name)));
            }
            State::Unchecked => {}
        }
        self.state[id.index()] = State::InProgress;
        self.check_type_features(id)?;
        let (loc, name) = (self.entries[id.index()].loc, self.entries[id.index()].name.clone());
        let Pending::Object { base, local, variants } = self.entries[id.index()].pending.clone() else {
            unreachable!("check_object on an object")
        };
        let mut seen: HashMap<String, Seen> = HashMap::new();
        let mut members = Vec::new();
        let mut base_id = None;
        if let Some(base_name) = &base {
            let b = self.resolve_type(base_name, loc, || "'base'".to_string())?;
            if !self.is_object(b) || self.is_union(b) {
                return Err(self.error(loc, format!("'base' requires a struct type, {} isn't", self.describe(b))));
            }
            self.check_object(b)?;
            self.object_clash(b, loc, &mut seen)?;
            members.extend(self.object(b).expect("checked").members.iter().cloned());
            base_id = Some(b);
        }
        let mut local_members = Vec::with_capacity(local.len());
        for m in &local {
            let member = self.check_member(m, loc)?;
            self.check_clash(self.seen_member(&member), loc, &mut seen)?;
            local_members.push(member);
        }
        members.extend(local_members.iter().cloned());
        let variants = match variants {
            None => None,
            Some((tag, vs)) => {
                let v = self.check_branches(id, loc, tag, vs, &seen, &members)?;
                self.variants_clash(&v, loc, &seen)?;
                Some(v)
            }
        };
        let _ = name;
        self.kinds[id.index()] = Some(DefKind::Object(ObjectType { base: base_id, local_members, members, variants }));
        self.state[id.index()] = State::Done;
        Ok(())
    }

    fn check_branches(
        &mut self,
        id: DefId,
        loc: Option<Loc>,
        tag: PVariantsTag,
        mut variants: Vec<PVariant>,
        seen: &HashMap<String, Seen>,
        members: &[Member],
    ) -> Result<Variants, Diagnostic> {
        let (tag_name, kind) = match &tag {
            PVariantsTag::Flat(n) => (n.clone(), UnionKind::Flat),
            PVariantsTag::Simple(m) => (m.name.clone(), UnionKind::Simple),
        };
        let mut base_desc = "'base'".to_string();
        let tag_member = seen
            .get(&c_name(&tag_name))
            .filter(|s| s.name == tag_name)
            .and_then(|s| members.iter().find(|m| m.name == s.name))
            .cloned();
        let Some(tag_member) = tag_member else {
            return Err(self.error(loc, format!("discriminator '{tag_name}' is not a member of {base_desc}")));
        };
        let defined_in = self.entries[tag_member.defined_in.index()].name.clone();
        if !defined_in.starts_with("q_") {
            base_desc = format!("base type '{defined_in}'");
        }
        let Pending::Enum(tag_enum) = &self.entries[tag_member.ty.index()].pending else {
            return Err(self.error(
                loc,
                format!("discriminator member '{tag_name}' of {base_desc} must be of enum type"),
            ));
        };
        let tag_enum = tag_enum.clone();
        if tag_member.optional {
            return Err(self.error(loc, format!("discriminator member '{tag_name}' of {base_desc} must not be optional")));
        }
        if tag_member.ifcond.is_some() {
            return Err(self.error(
                loc,
                format!("discriminator member '{tag_name}' of {base_desc} must not be conditional"),
            ));
        }
        // Tag values without a branch get an empty one.
        let cases: HashSet<String> = variants.iter().map(|v| v.name.clone()).collect();
        for value in &tag_enum.values {
            if !cases.contains(&value.name) {
                variants.push(PVariant {
                    name: value.name.clone(),
                    ty: "q_empty".to_string(),
                    ifcond: value.ifcond.clone(),
                    loc,
                    defined_in: defined_in.clone(),
                    implicit: true,
                });
            }
        }
        if variants.is_empty() {
            return Err(self.error(loc, "union has no branches"));
        }
        let tag_type_desc = self.describe(tag_member.ty);
        let mut out = Vec::with_capacity(variants.len());
        for v in &variants {
            let seen_v = Seen { role: "branch", name: v.name.clone(), defined_in: v.defined_in.clone() };
            let ty = self.resolve_type(&v.ty, v.loc, || self.describe_member(&seen_v, v.loc))?;
            if !tag_enum.values.iter().any(|e| e.name == v.name) {
                return Err(self.error(loc, format!("branch '{}' is not a value of {tag_type_desc}", v.name)));
            }
            if !self.is_object(ty) {
                return Err(self.error(
                    loc,
                    format!("{} cannot use {}", self.describe_member(&seen_v, loc), self.describe(ty)),
                ));
            }
            self.check_object(ty)?;
            out.push(Variant { name: v.name.clone(), ty, ifcond: v.ifcond.clone(), implicit: v.implicit });
        }
        let _ = id;
        Ok(Variants { tag: tag_name, tag_type: tag_member.ty, variants: out, kind })
    }

    fn check_alternate(&mut self, id: DefId, variants: Vec<PVariant>) -> Result<Vec<Variant>, Diagnostic> {
        let loc = self.entries[id.index()].loc;
        let mut out = Vec::with_capacity(variants.len());
        for v in &variants {
            let seen_v = Seen { role: "branch", name: v.name.clone(), defined_in: v.defined_in.clone() };
            let ty = self.resolve_type(&v.ty, v.loc, || self.describe_member(&seen_v, v.loc))?;
            out.push(Variant { name: v.name.clone(), ty, ifcond: v.ifcond.clone(), implicit: false });
        }
        let mut seen = HashMap::new();
        let mut types_seen: HashMap<&'static str, String> = HashMap::new();
        for (v, pv) in out.iter().zip(&variants) {
            let seen_v = Seen { role: "branch", name: v.name.clone(), defined_in: pv.defined_in.clone() };
            self.check_clash(seen_v.clone(), loc, &mut seen)?;
            let qtype = match &self.entries[v.ty.index()].pending {
                Pending::Builtin(b) => match b.json_type() {
                    super::JsonType::Null => Some("QTYPE_QNULL"),
                    super::JsonType::String => Some("QTYPE_QSTRING"),
                    super::JsonType::Number | super::JsonType::Int => Some("QTYPE_QNUM"),
                    super::JsonType::Boolean => Some("QTYPE_QBOOL"),
                    _ => None,
                },
                Pending::Enum(_) => Some("QTYPE_QSTRING"),
                Pending::Array { .. } => Some("QTYPE_QLIST"),
                Pending::Object { .. } => Some("QTYPE_QDICT"),
                _ => None,
            };
            let Some(qtype) = qtype else {
                return Err(self.error(
                    loc,
                    format!("{} cannot use {}", self.describe_member(&seen_v, loc), self.describe(v.ty)),
                ));
            };
            let mut conflicting = vec![qtype];
            if qtype == "QTYPE_QSTRING" {
                if let Pending::Enum(en) = &self.entries[v.ty.index()].pending {
                    for m in &en.values {
                        if (m.name == "on" || m.name == "off") && !conflicting.contains(&"QTYPE_QBOOL") {
                            conflicting.push("QTYPE_QBOOL");
                        }
                        if m.name.starts_with(['-', '+', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.'])
                            && !conflicting.contains(&"QTYPE_QNUM")
                        {
                            conflicting.push("QTYPE_QNUM");
                        }
                    }
                } else {
                    conflicting.push("QTYPE_QNUM");
                    conflicting.push("QTYPE_QBOOL");
                }
            }
            for qt in conflicting {
                if let Some(other) = types_seen.get(qt) {
                    return Err(self.error(
                        loc,
                        format!("{} can't be distinguished from '{other}'", self.describe_member(&seen_v, loc)),
                    ));
                }
                types_seen.insert(qt, v.name.clone());
            }
        }
        Ok(out)
    }

    fn check_arg_type(&mut self, arg: &str, loc: Option<Loc>, what: &str, boxed: bool) -> Result<DefId, Diagnostic> {
        let t = self.resolve_type(arg, loc, || format!("{what}'s 'data'"))?;
        if !self.is_object(t) {
            return Err(self.error(loc, format!("{what}'s 'data' cannot take {}", self.describe(t))));
        }
        if self.is_union(t) && !boxed {
            return Err(self.error(
                loc,
                format!("{what}'s 'data' can take {} only with 'boxed': true", self.describe(t)),
            ));
        }
        self.check_object(t)?;
        let conditional = self.object(t).is_some_and(|o| o.members.iter().any(|m| m.ifcond.is_some()));
        if conditional && !boxed && self.ctx.strict() {
            return Err(self.error(loc, format!("conditional {what} arguments require 'boxed': true")));
        }
        Ok(t)
    }

    fn check_command(
        &mut self,
        id: DefId,
        arg: Option<String>,
        ret: Option<String>,
        mut flags: Command,
    ) -> Result<Command, Diagnostic> {
        self.check_definition_features(id)?;
        let (loc, name) = (self.entries[id.index()].loc, self.entries[id.index()].name.clone());
        if let Some(a) = arg {
            flags.arg_type = Some(self.check_arg_type(&a, loc, "command", flags.boxed)?);
        }
        if let Some(r) = ret {
            let t = self.resolve_type(&r, loc, || "command's 'returns'".to_string())?;
            if !self.pragma.command_returns_exceptions.contains(&name) {
                let element = match &self.entries[t.index()].pending {
                    Pending::Array { element } => self.lookup_type(element).unwrap_or(t),
                    _ => t,
                };
                if !self.is_object(element) {
                    return Err(self.error(loc, format!("command's 'returns' cannot take {}", self.describe(t))));
                }
            }
            flags.ret_type = Some(t);
        }
        Ok(flags)
    }

    // --- documentation -------------------------------------------------

    fn connect_doc(&mut self, id: DefId) -> Result<(), Diagnostic> {
        let Some(doc) = self.entries[id.index()].doc else { return Ok(()) };
        self.connect_doc_with(id, doc)
    }

    fn connect_doc_with(&mut self, id: DefId, doc: usize) -> Result<(), Diagnostic> {
        let features = self.entries[id.index()].features.clone();
        let loc = self.entries[id.index()].loc;
        for f in &features {
            self.connect_feature(doc, &f.name, loc)?;
        }
        match self.kinds[id.index()].clone() {
            Some(DefKind::Enum(en)) => {
                for v in &en.values {
                    self.connect_member(doc, "value", &v.name, loc)?;
                    for f in &v.features {
                        self.connect_feature(doc, &f.name, loc)?;
                    }
                }
            }
            Some(DefKind::Object(obj)) => {
                if let Some(b) = obj.base
                    && self.entries[b.index()].name.starts_with("q_")
                {
                    self.connect_doc_with(b, doc)?;
                }
                // A 5.2 simple union's tag is implicit: documenting it is
                // optional.
                let simple = obj.variants.as_ref().is_some_and(|v| v.kind == UnionKind::Simple);
                if !simple || self.docs[doc].arg("type").is_some() {
                    for m in &obj.local_members {
                        self.connect_member(doc, "member", &m.name, loc)?;
                        for f in &m.features {
                            self.connect_feature(doc, &f.name, loc)?;
                        }
                    }
                }
            }
            Some(DefKind::Alternate(alt)) => {
                for v in &alt.variants {
                    self.connect_member(doc, "branch", &v.name, loc)?;
                }
            }
            Some(DefKind::Command(Command { arg_type: Some(a), .. }))
            | Some(DefKind::Event(Event { arg_type: Some(a), .. }))
                if self.entries[a.index()].name.starts_with("q_") =>
            {
                self.connect_doc_with(a, doc)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn connect_member(&mut self, doc: usize, role: &str, name: &str, loc: Option<Loc>) -> Result<(), Diagnostic> {
        if self.docs[doc].arg(name).is_none() {
            let symbol = self.docs[doc].symbol.clone().unwrap_or_default();
            if !self.pragma.documentation_exceptions.contains(&symbol) {
                let d = self.error(loc, format!("{role} '{name}' lacks documentation"));
                self.ctx.style(Lint::Undocumented, d)?;
            }
            self.docs[doc].add_undocumented(name);
        }
        self.connected.insert((doc, false, name.to_string()));
        Ok(())
    }

    fn connect_feature(&mut self, doc: usize, name: &str, loc: Option<Loc>) -> Result<(), Diagnostic> {
        if self.docs[doc].feature(name).is_none() {
            let d = self.error(loc, format!("feature '{name}' lacks documentation"));
            self.ctx.style(Lint::Undocumented, d)?;
            return Ok(());
        }
        self.connected.insert((doc, true, name.to_string()));
        Ok(())
    }

    fn check_docs(&self) -> Result<(), Diagnostic> {
        for (i, doc) in self.docs.iter().enumerate() {
            for (feature, list, what) in [(false, &doc.args, "member"), (true, &doc.features, "feature")] {
                let bogus: Vec<_> = list
                    .iter()
                    .filter(|a| !self.connected.contains(&(i, feature, a.name.clone())))
                    .collect();
                if let Some(first) = bogus.first() {
                    let names = bogus.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join("', '");
                    let (s, verb) = if bogus.len() > 1 { ("s", "do") } else { ("", "does") };
                    return Err(Diagnostic::error(first.loc, format!("documented {what}{s} '{names}' {verb} not exist")));
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Schema, Diagnostic> {
        let Builder { entries, kinds, modules, docs, pragma, feature_dict, index, .. } = self;
        let defs = entries
            .into_iter()
            .zip(kinds)
            .map(|(e, kind)| Definition {
                name: e.name,
                kind: kind.expect("every definition checked"),
                loc: e.loc,
                doc: e.doc,
                ifcond: e.ifcond,
                features: e.features,
                module: e.module,
            })
            .collect();
        Ok(Schema {
            sources: Default::default(),
            warnings: Vec::new(),
            modules,
            defs,
            docs,
            pragma,
            feature_names: feature_dict.into_iter().map(|(n, _)| n).collect(),
            index,
        })
    }
}
