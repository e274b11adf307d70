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
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::{
    AlternateType, ArrayType, Builtin, Command, Cond, DefId, DefKind, Definition, EnumType,
    EnumValue, Event, Feature, Member, Module, ModuleId, ModuleItem, ObjectType, Origin, Presence,
    Schema, UnionKind, Variant, Variants,
};
use crate::Ctx;
use crate::diag::{Diagnostic, Lint, Note};
use crate::doc::Doc;
use crate::expr::{self, DefBody, FeatureDef, Item, MemberDef, TypeOrMembers, TypeRef};
use crate::source::{Loc, absolute};
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
    /// The name of the type defining it (shared by its members).
    defined_in: Rc<str>,
    /// How messages name it, when not as QEMU names a member: a 5.2 simple
    /// union's wrapper member is its branch.
    describe: Option<String>,
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
    Object(Rc<PObject>),
    Alternate(Rc<Vec<PVariant>>),
    /// (Boxed: the other kinds are smaller, and every pending definition
    /// has room for the largest.)
    Command(Box<PCommand>),
    Event {
        arg: Option<String>,
        boxed: bool,
    },
}

#[derive(Clone, Debug)]
struct PCommand {
    arg: Option<String>,
    ret: Option<String>,
    flags: Command,
}

#[derive(Debug)]
struct PObject {
    base: Option<String>,
    local: Vec<PMember>,
    /// Tag name (flat unions) or tag member (simple unions), and branches.
    variants: Option<(PVariantsTag, Vec<PVariant>)>,
}

#[derive(Clone, Debug)]
enum PVariantsTag {
    Flat(String),
    /// (Boxed: every pending object has room for a tag.)
    Simple(Box<PMember>),
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
    /// QEMU made it up: built-ins, arrays, `q_` objects, `QType`, a simple
    /// union's `<Name>Kind` enum.
    implicit: bool,
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
#[derive(Clone, Copy)]
struct Seen<'a> {
    role: &'static str,
    name: &'a str,
    defined_in: &'a str,
}

/// A name compared by its C name, as QEMU detects clashes: every character
/// other than a letter, digit or `_` counts as `_`.
#[derive(Clone, Copy)]
struct CName<'a>(&'a str);

impl CName<'_> {
    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.bytes().map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' {
                b
            } else {
                b'_'
            }
        })
    }
}

impl PartialEq for CName<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.bytes().eq(other.bytes())
    }
}

impl Eq for CName<'_> {}

impl Hash for CName<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The C name's bytes, handed to the hasher a block at a time
        // rather than one call per byte.
        let mut block = [0u8; 64];
        for chunk in self.0.as_bytes().chunks(block.len()) {
            for (to, &b) in block.iter_mut().zip(chunk) {
                *to = if b.is_ascii_alphanumeric() || b == b'_' {
                    b
                } else {
                    b'_'
                };
            }
            state.write(&block[..chunk.len()]);
        }
    }
}

type SeenMap<'a> = HashMap<CName<'a>, Seen<'a>>;

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
    /// For each documentation block, which member and feature descriptions
    /// were connected to what they describe.
    connected: Vec<(Vec<bool>, Vec<bool>)>,
    /// The module of each file.
    file_modules: HashMap<crate::FileId, ModuleId>,
    /// How deep `check_object` has recursed.
    depth: usize,
    /// The `command-returns-exceptions` pragma, as a set.
    returns_exceptions: HashSet<String>,
    /// What a struct's and a union's pending definition become once they
    /// are checked: all that is asked of them then is which they are.
    checked_struct: Rc<PObject>,
    checked_union: Rc<PObject>,
}

/// How deep bases and branches may nest.
const MAX_CHECK_DEPTH: usize = 1000;

/// Builds and checks the schema.
///
/// Each expression is checked (`crate::expr`) and then entered, so that
/// the expressions and what they become do not all exist at once; as in
/// QEMU, which checks every expression before entering any, an error in
/// entering one is reported only if every expression passes its checks.
pub(crate) fn build(ctx: &mut Ctx, mut parsed: Parsed) -> Result<Schema, Diagnostic> {
    let exprs = std::mem::take(&mut parsed.exprs);
    let checker = expr::Exceptions::new(&parsed.pragma);
    let root = ctx.sources.path(crate::FileId(0)).to_path_buf();
    let schema_dir = absolute(root.parent().unwrap_or(Path::new("")));
    let returns_exceptions = parsed
        .pragma
        .command_returns_exceptions
        .iter()
        .cloned()
        .collect();
    let checked = |variants| {
        Rc::new(PObject {
            base: None,
            local: Vec::new(),
            variants,
        })
    };
    let mut b = Builder {
        ctx,
        returns_exceptions,
        checked_struct: checked(None),
        checked_union: checked(Some((PVariantsTag::Flat(String::new()), Vec::new()))),
        pragma: parsed.pragma,
        docs: parsed.docs,
        entries: Vec::new(),
        entities: Vec::new(),
        index: HashMap::new(),
        modules: Vec::new(),
        module_index: HashMap::new(),
        schema_dir,
        feature_dict: SPECIAL_FEATURES
            .iter()
            .map(|f| (f.to_string(), None))
            .collect(),
        feature_names: SPECIAL_FEATURES.iter().map(|f| f.to_string()).collect(),
        state: Vec::new(),
        kinds: Vec::new(),
        connected: Vec::new(),
        file_modules: HashMap::new(),
        depth: 0,
    };
    b.make_module_named(BUILTIN_MODULE.to_string());
    b.make_module(&root);
    b.def_predefineds()?;
    let mut entering_error = None;
    for e in exprs {
        let item = checker.check(b.ctx, &b.docs, &b.pragma, e)?;
        if entering_error.is_some() {
            continue;
        }
        match item {
            Item::Include { path, loc } => {
                let module = b.make_module(&path);
                let from = b.module_of_loc(Some(loc));
                b.entities.push(Entity::Include { module, from });
            }
            Item::Def(def) => entering_error = b.def_expr(def).err(),
        }
    }
    if let Some(e) = entering_error {
        return Err(e);
    }
    b.check()?;
    b.finish()
}

/// `os.path.relpath(path, start)`, for absolute normalized paths.
fn relpath(path: &Path, start: &Path) -> String {
    let p: Vec<_> = path.components().collect();
    let s: Vec<_> = start.components().collect();
    let common = p.iter().zip(&s).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); s.len() - common];
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

impl Builder<'_> {
    fn make_module_named(&mut self, name: String) -> ModuleId {
        if let Some(&id) = self.module_index.get(&name) {
            return id;
        }
        let id = ModuleId(self.modules.len() as u32);
        self.modules.push(Module {
            name: name.clone(),
            items: Vec::new(),
        });
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

    fn module_of_loc(&mut self, loc: Option<Loc>) -> ModuleId {
        let Some(l) = loc else { return ModuleId(0) };
        if let Some(&m) = self.file_modules.get(&l.file) {
            return m;
        }
        let name = self.module_name(self.ctx.sources.path(l.file));
        let m = self.module_index.get(&name).copied().unwrap_or(ModuleId(0));
        self.file_modules.insert(l.file, m);
        m
    }

    fn is_type(&self, id: DefId) -> bool {
        !matches!(
            self.entries[id.index()].pending,
            Pending::Command(_) | Pending::Event { .. }
        )
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
            Pending::Object(o) if o.variants.is_some() => format!("union type '{}'", e.name),
            Pending::Object(_) => format!("struct type '{}'", e.name),
            Pending::Alternate(_) => format!("alternate type '{}'", e.name),
            Pending::Command(_) => format!("command '{}'", e.name),
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
                Some(other_loc) => self
                    .error(loc, format!("'{name}' is already defined"))
                    .with_note(Note {
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

    fn entry(&mut self, name: String, pending: Pending, loc: Option<Loc>) -> Entry {
        let implicit =
            loc.is_none() || name.starts_with("q_") || matches!(pending, Pending::Array { .. });
        Entry {
            implicit,
            name,
            pending,
            loc,
            doc: None,
            ifcond: None,
            features: Vec::new(),
            module: self.module_of_loc(loc),
        }
    }

    fn def_predefineds(&mut self) -> Result<(), Diagnostic> {
        for b in Builtin::ALL {
            let e = self.entry(b.name().to_string(), Pending::Builtin(b), None);
            self.def_definition(e)?;
            self.make_array_type(b.name(), None)?;
        }
        let empty = PObject {
            base: None,
            local: Vec::new(),
            variants: None,
        };
        let e = self.entry("q_empty".to_string(), Pending::Object(Rc::new(empty)), None);
        self.def_definition(e)?;
        let values = [
            "none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool",
        ]
        .iter()
        .map(|v| EnumValue {
            name: v.to_string(),
            ifcond: None,
            features: Vec::new(),
            since: None,
            presence: Presence::FIRST,
        })
        .collect();
        let e = self.entry(
            "QType".to_string(),
            Pending::Enum(EnumType {
                values,
                prefix: None,
            }),
            None,
        );
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
                Feature {
                    name: f.name,
                    ifcond: f.ifcond,
                }
            })
            .collect()
    }

    fn make_array_type(&mut self, element: &str, loc: Option<Loc>) -> Result<String, Diagnostic> {
        let name = format!("{element}List");
        if self.lookup_type(&name).is_none() {
            let e = self.entry(
                name.clone(),
                Pending::Array {
                    element: element.to_string(),
                },
                loc,
            );
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

    fn make_members(
        &mut self,
        members: Vec<MemberDef>,
        loc: Loc,
        defined_in: &str,
    ) -> Result<Vec<PMember>, Diagnostic> {
        let defined_in: Rc<str> = defined_in.into();
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
                    defined_in: Rc::clone(&defined_in),
                    describe: None,
                })
            })
            .collect()
    }

    /// The wrapper `q_obj_TYPE-wrapper` of a 5.2 simple union's branch: an
    /// object with the one member `data`.  (Shared by all branches of that
    /// type; messages name the first branch that made it.)
    fn make_wrapper_type(
        &mut self,
        ty: String,
        loc: Loc,
        branch: &str,
    ) -> Result<String, Diagnostic> {
        let name = format!("q_obj_{ty}-wrapper");
        if !self.index.contains_key(&name) {
            let data = PMember {
                name: "data".to_string(),
                ty,
                optional: false,
                ifcond: None,
                features: Vec::new(),
                loc: Some(loc),
                defined_in: name.as_str().into(),
                describe: Some(format!("branch '{branch}'")),
            };
            let object = PObject {
                base: None,
                local: vec![data],
                variants: None,
            };
            let e = self.entry(name.clone(), Pending::Object(Rc::new(object)), Some(loc));
            self.def_definition(e)?;
        }
        Ok(name)
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
            let object = PObject {
                base: None,
                local: members,
                variants: None,
            };
            let mut e = self.entry(name.clone(), Pending::Object(Rc::new(object)), Some(loc));
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
                    .map(|v| EnumValue {
                        name: v.name,
                        ifcond: v.ifcond,
                        features: self.make_features(v.features, Some(loc)),
                        since: None,
                        presence: Presence::FIRST,
                    })
                    .collect();
                Pending::Enum(EnumType { values, prefix })
            }
            DefBody::Struct { base, members } => {
                let local = self.make_members(members, loc, &name)?;
                Pending::Object(Rc::new(PObject {
                    base,
                    local,
                    variants: None,
                }))
            }
            DefBody::Union {
                base,
                discriminator: Some(tag),
                branches,
            } => {
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
                Pending::Object(Rc::new(PObject {
                    base,
                    local: Vec::new(),
                    variants: Some((PVariantsTag::Flat(tag), variants)),
                }))
            }
            DefBody::Union { branches, .. } => {
                // A QEMU 5.2 simple union: each branch wrapped in an object
                // with member `data`, tagged by an implicit enum.
                let mut variants = Vec::with_capacity(branches.len());
                for br in branches {
                    let ty = self.type_name(br.ty, loc)?;
                    let wrapper = self.make_wrapper_type(ty, loc, &br.name)?;
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
                    .map(|v| EnumValue {
                        name: v.name.clone(),
                        ifcond: v.ifcond.clone(),
                        features: Vec::new(),
                        since: None,
                        presence: Presence::FIRST,
                    })
                    .collect();
                let mut e = self.entry(
                    kind_name.clone(),
                    Pending::Enum(EnumType {
                        values,
                        prefix: None,
                    }),
                    Some(loc),
                );
                e.ifcond = ifcond.clone();
                e.implicit = true;
                self.def_definition(e)?;
                let tag = PMember {
                    name: "type".to_string(),
                    ty: kind_name,
                    optional: false,
                    ifcond: None,
                    features: Vec::new(),
                    loc: Some(loc),
                    defined_in: name.as_str().into(),
                    describe: None,
                };
                Pending::Object(Rc::new(PObject {
                    base: None,
                    local: vec![tag.clone()],
                    variants: Some((PVariantsTag::Simple(Box::new(tag)), variants)),
                }))
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
                Pending::Alternate(Rc::new(variants))
            }
            DefBody::Command {
                data,
                returns,
                boxed,
                generate,
                success_response,
                allow_oob,
                allow_preconfig,
                coroutine,
            } => {
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
                Pending::Command(Box::new(PCommand { arg, ret, flags }))
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
            Some(TypeOrMembers::Members(m)) => {
                self.make_implicit_object_type(name, loc, ifcond, "arg", m)
            }
            None => Ok(None),
        }
    }

    // --- checking ------------------------------------------------------

    fn context_name(&self, loc: Option<Loc>) -> Option<&str> {
        loc.and_then(|l| self.ctx.defn_at.get(&l))
            .map(|c| c.name.as_str())
    }

    /// QEMU's `QAPISchemaMember.describe(info)`.
    fn describe_member(&self, m: Seen, loc: Option<Loc>) -> String {
        let mut role = m.role.to_string();
        let mut meta = "type";
        let mut defined_in = m.defined_in;
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
        if Some(defined_in) != self.context_name(loc) {
            format!("{role} '{}' of {meta} '{defined_in}'", m.name)
        } else {
            format!("{role} '{}'", m.name)
        }
    }

    fn check_clash<'s>(
        &self,
        m: Seen<'s>,
        loc: Option<Loc>,
        seen: &mut SeenMap<'s>,
    ) -> Result<(), Diagnostic> {
        if let Some(&other) = seen.get(&CName(m.name)) {
            return Err(self.error(
                loc,
                format!(
                    "{} collides with {}",
                    self.describe_member(m, loc),
                    self.describe_member(other, loc)
                ),
            ));
        }
        seen.insert(CName(m.name), m);
        Ok(())
    }

    fn check_features_clash(
        &self,
        features: &[Feature],
        owner: &str,
        loc: Option<Loc>,
    ) -> Result<(), Diagnostic> {
        let mut seen = SeenMap::with_capacity(features.len());
        for f in features {
            self.check_clash(
                Seen {
                    role: "feature",
                    name: &f.name,
                    defined_in: owner,
                },
                loc,
                &mut seen,
            )?;
        }
        Ok(())
    }

    fn resolve_type(
        &self,
        name: &str,
        loc: Option<Loc>,
        what: impl FnOnce() -> String,
    ) -> Result<DefId, Diagnostic> {
        self.lookup_type(name)
            .ok_or_else(|| self.error(loc, format!("{} uses unknown type '{name}'", what())))
    }

    fn check(&mut self) -> Result<(), Diagnostic> {
        // Every definition is entered: the room to grow is not needed.
        self.entries.shrink_to_fit();
        self.state = vec![State::Unchecked; self.entries.len()];
        self.kinds = vec![None; self.entries.len()];
        self.connected = self
            .docs
            .iter()
            .map(|d| (vec![false; d.args.len()], vec![false; d.features.len()]))
            .collect();
        for i in 0..self.entities.len() {
            if let Entity::Def(id) = self.entities[i] {
                self.check_def(id)?;
                if let Some(doc) = self.entries[id.index()].doc {
                    self.connect_doc(id, doc)?;
                }
            }
        }
        for i in 0..self.entities.len() {
            match self.entities[i] {
                Entity::Include { module, from } => self.modules[from.index()]
                    .items
                    .push(ModuleItem::Include(module)),
                Entity::Def(id) => {
                    // An array belongs to its element type's module.
                    let module = match &self.kinds[id.index()] {
                        Some(DefKind::Array(a)) => self.entries[a.element.index()].module,
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
        let kind = match &self.entries[id.index()].pending {
            Pending::Object(_) => return self.check_object(id),
            Pending::Builtin(b) => DefKind::Builtin(*b),
            Pending::Enum(en) => {
                self.check_type_features(id)?;
                let e = &self.entries[id.index()];
                let mut seen = SeenMap::with_capacity(en.values.len());
                for v in &en.values {
                    self.check_clash(
                        Seen {
                            role: "value",
                            name: &v.name,
                            defined_in: &e.name,
                        },
                        e.loc,
                        &mut seen,
                    )?;
                }
                // The values move to the model ([`Builder::enum_type`]
                // finds them there).
                let empty = EnumType {
                    values: Vec::new(),
                    prefix: None,
                };
                match &mut self.entries[id.index()].pending {
                    Pending::Enum(en) => DefKind::Enum(std::mem::replace(en, empty)),
                    _ => DefKind::Enum(empty),
                }
            }
            Pending::Array { element } => {
                let loc = self.entries[id.index()].loc;
                let what = loc
                    .and_then(|l| self.ctx.defn_at.get(&l))
                    .map_or("type", |c| c.meta);
                let element = self.resolve_type(element, loc, || what.to_string())?;
                DefKind::Array(ArrayType { element })
            }
            Pending::Alternate(variants) => {
                let variants = variants.clone();
                // Only the kind of the pending definition is needed now.
                self.entries[id.index()].pending = Pending::Alternate(Rc::new(Vec::new()));
                self.check_type_features(id)?;
                DefKind::Alternate(AlternateType {
                    variants: self.check_alternate(id, &variants)?,
                })
            }
            Pending::Command(c) => {
                let PCommand { arg, ret, flags } = PCommand::clone(c);
                DefKind::Command(self.check_command(id, arg, ret, flags)?)
            }
            Pending::Event { arg, boxed } => {
                let (arg, boxed) = (arg.clone(), *boxed);
                self.check_definition_features(id)?;
                let loc = self.entries[id.index()].loc;
                let arg_type = match arg {
                    Some(a) => Some(self.check_arg_type(&a, loc, "event", boxed)?),
                    None => None,
                };
                DefKind::Event(Event { arg_type, boxed })
            }
        };
        self.kinds[id.index()] = Some(kind);
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
                return Err(self.error(
                    e.loc,
                    format!("feature '{}' is not supported for types", f.name),
                ));
            }
        }
        Ok(())
    }

    fn object(&self, id: DefId) -> &ObjectType {
        match &self.kinds[id.index()] {
            Some(DefKind::Object(o)) => o,
            _ => unreachable!("an object type that was checked"),
        }
    }

    fn pobject(&self, id: DefId) -> Option<&Rc<PObject>> {
        match &self.entries[id.index()].pending {
            Pending::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Enumeration type `id`, checked or not.
    fn enum_type(&self, id: DefId) -> Option<&EnumType> {
        match (&self.kinds[id.index()], &self.entries[id.index()].pending) {
            (Some(DefKind::Enum(e)), _) | (None, Pending::Enum(e)) => Some(e),
            _ => None,
        }
    }

    fn is_union(&self, id: DefId) -> bool {
        self.pobject(id).is_some_and(|o| o.variants.is_some())
    }

    fn check_member(&self, m: &PMember, loc: Option<Loc>) -> Result<Member, Diagnostic> {
        let seen = Seen {
            role: "member",
            name: &m.name,
            defined_in: &m.defined_in,
        };
        let ty = self.resolve_type(&m.ty, m.loc, || {
            m.describe
                .clone()
                .unwrap_or_else(|| self.describe_member(seen, m.loc))
        })?;
        self.check_features_clash(&m.features, &m.name, loc)?;
        Ok(Member {
            name: m.name.clone(),
            ty,
            optional: m.optional,
            ifcond: m.ifcond.clone(),
            features: m.features.clone(),
            defined_in: self.index[&*m.defined_in],
            since: None,
            presence: Presence::FIRST,
        })
    }

    fn seen_member<'s>(&'s self, m: &'s Member) -> Seen<'s> {
        Seen {
            role: "member",
            name: &m.name,
            defined_in: &self.entries[m.defined_in.index()].name,
        }
    }

    /// Adds the members of checked object `id` to `seen`, and records in
    /// `added` the names added; its branches' members may not clash with
    /// them.
    fn object_clash<'s>(
        &'s self,
        id: DefId,
        loc: Option<Loc>,
        seen: &mut SeenMap<'s>,
        added: &mut Vec<CName<'s>>,
    ) -> Result<(), Diagnostic> {
        let obj = self.object(id);
        for m in &obj.members {
            let seen_m = self.seen_member(m);
            self.check_clash(seen_m, loc, seen)?;
            added.push(CName(seen_m.name));
        }
        if let Some(v) = &obj.variants {
            self.variants_clash(v, loc, seen)?;
        }
        Ok(())
    }

    /// Each branch's members may not clash with those in `seen`, which is
    /// left as it was.  (QEMU checks each branch against a copy of `seen`;
    /// adding a branch's members and taking them out again costs the
    /// branch's size instead of `seen`'s.  A type used by several branches
    /// gives the same answer each time, and is checked once.)
    fn variants_clash<'s>(
        &'s self,
        v: &'s Variants,
        loc: Option<Loc>,
        seen: &mut SeenMap<'s>,
    ) -> Result<(), Diagnostic> {
        let mut checked = HashSet::new();
        let mut added = Vec::new();
        for variant in &v.variants {
            if !checked.insert(variant.ty) {
                continue;
            }
            let result = self.object_clash(variant.ty, loc, seen, &mut added);
            for name in added.drain(..) {
                seen.remove(&name);
            }
            result?;
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
        let loc = self.entries[id.index()].loc;
        // Bases and branches are checked recursively; a chain this long is
        // no real schema, and the stack must not overflow on it.
        self.depth += 1;
        if self.depth > MAX_CHECK_DEPTH {
            let e = &self.entries[id.index()];
            return Err(self.error(e.loc, format!("object {} is nested too deeply", e.name)));
        }
        let result = self.check_object_members(id, loc);
        self.depth -= 1;
        result
    }

    fn check_object_members(&mut self, id: DefId, loc: Option<Loc>) -> Result<(), Diagnostic> {
        let p = Rc::clone(self.pobject(id).expect("an object type"));
        let mut base_id = None;
        if let Some(base_name) = &p.base {
            let b = self.resolve_type(base_name, loc, || "'base'".to_string())?;
            if self.pobject(b).is_none() || self.is_union(b) {
                return Err(self.error(
                    loc,
                    format!("'base' requires a struct type, {} isn't", self.describe(b)),
                ));
            }
            self.check_object(b)?;
            base_id = Some(b);
        }
        // Base members first, then local ones, each checked as it comes.
        let mut local_members = Vec::with_capacity(p.local.len());
        {
            let base_len = base_id.map_or(0, |b| self.object(b).members.len());
            let mut seen = SeenMap::with_capacity(base_len + p.local.len());
            if let Some(b) = base_id {
                self.object_clash(b, loc, &mut seen, &mut Vec::new())?;
            }
            for m in &p.local {
                let member = self.check_member(m, loc)?;
                self.check_clash(
                    Seen {
                        role: "member",
                        name: &m.name,
                        defined_in: &m.defined_in,
                    },
                    loc,
                    &mut seen,
                )?;
                local_members.push(member);
            }
        }
        let base_members = base_id.map_or(&[][..], |b| &self.object(b).members[..]);
        let mut members = Vec::with_capacity(base_members.len() + local_members.len());
        members.extend(base_members.iter().cloned());
        members.extend(local_members.iter().cloned());
        let variants = match &p.variants {
            None => None,
            Some((tag, vs)) => Some(self.check_branches(loc, tag, vs, &members)?),
        };
        if let Some(v) = &variants {
            let mut seen = SeenMap::with_capacity(members.len());
            for m in &members {
                seen.insert(CName(&m.name), self.seen_member(m));
            }
            self.variants_clash(v, loc, &mut seen)?;
        }
        self.kinds[id.index()] = Some(DefKind::Object(ObjectType {
            base: base_id,
            local_members,
            members,
            variants,
        }));
        // The unresolved members are done with: only whether the type is a
        // union is asked from now on.
        let done = if p.variants.is_some() {
            &self.checked_union
        } else {
            &self.checked_struct
        };
        self.entries[id.index()].pending = Pending::Object(Rc::clone(done));
        self.state[id.index()] = State::Done;
        Ok(())
    }

    fn check_branches(
        &mut self,
        loc: Option<Loc>,
        tag: &PVariantsTag,
        given: &[PVariant],
        members: &[Member],
    ) -> Result<Variants, Diagnostic> {
        let (tag_name, kind) = match tag {
            PVariantsTag::Flat(n) => (n.as_str(), UnionKind::Flat),
            PVariantsTag::Simple(m) => (m.name.as_str(), UnionKind::Simple),
        };
        let tag_member = members
            .iter()
            .find(|m| CName(&m.name) == CName(tag_name))
            .filter(|m| m.name == tag_name);
        let Some(tag_member) = tag_member else {
            return Err(self.error(
                loc,
                format!("discriminator '{tag_name}' is not a member of 'base'"),
            ));
        };
        let defined_in = &self.entries[tag_member.defined_in.index()].name;
        let base_desc = if defined_in.starts_with("q_") {
            "'base'".to_string()
        } else {
            format!("base type '{defined_in}'")
        };
        let Some(tag_enum) = self.enum_type(tag_member.ty) else {
            return Err(self.error(
                loc,
                format!("discriminator member '{tag_name}' of {base_desc} must be of enum type"),
            ));
        };
        if tag_member.optional {
            return Err(self.error(
                loc,
                format!("discriminator member '{tag_name}' of {base_desc} must not be optional"),
            ));
        }
        if tag_member.ifcond.is_some() {
            return Err(self.error(
                loc,
                format!("discriminator member '{tag_name}' of {base_desc} must not be conditional"),
            ));
        }
        // Tag values without a branch get an empty one.
        let mut variants: Vec<PVariant> = given.to_vec();
        let cases: HashSet<&str> = given.iter().map(|v| v.name.as_str()).collect();
        for value in &tag_enum.values {
            if !cases.contains(value.name.as_str()) {
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
        let tag_type = tag_member.ty;
        let tag_values: HashSet<String> = tag_enum.values.iter().map(|v| v.name.clone()).collect();
        let mut out = Vec::with_capacity(variants.len());
        for v in &variants {
            let seen_v = Seen {
                role: "branch",
                name: &v.name,
                defined_in: &v.defined_in,
            };
            let ty = self.resolve_type(&v.ty, v.loc, || self.describe_member(seen_v, v.loc))?;
            if !tag_values.contains(&v.name) {
                return Err(self.error(
                    loc,
                    format!(
                        "branch '{}' is not a value of {}",
                        v.name,
                        self.describe(tag_type)
                    ),
                ));
            }
            if self.pobject(ty).is_none() {
                return Err(self.error(
                    loc,
                    format!(
                        "{} cannot use {}",
                        self.describe_member(seen_v, loc),
                        self.describe(ty)
                    ),
                ));
            }
            self.check_object(ty)?;
            out.push(Variant {
                name: v.name.clone(),
                ty,
                ifcond: v.ifcond.clone(),
                implicit: v.implicit,
                since: None,
                presence: Presence::FIRST,
            });
        }
        Ok(Variants {
            tag: tag_name.to_string(),
            tag_type,
            variants: out,
            kind,
        })
    }

    fn check_alternate(
        &mut self,
        id: DefId,
        variants: &[PVariant],
    ) -> Result<Vec<Variant>, Diagnostic> {
        let loc = self.entries[id.index()].loc;
        let mut out = Vec::with_capacity(variants.len());
        for v in variants {
            let seen_v = Seen {
                role: "branch",
                name: &v.name,
                defined_in: &v.defined_in,
            };
            let ty = self.resolve_type(&v.ty, v.loc, || self.describe_member(seen_v, v.loc))?;
            out.push(Variant {
                name: v.name.clone(),
                ty,
                ifcond: v.ifcond.clone(),
                implicit: false,
                since: None,
                presence: Presence::FIRST,
            });
        }
        let mut seen = SeenMap::new();
        let mut types_seen: HashMap<&'static str, &str> = HashMap::new();
        for (v, pv) in out.iter().zip(variants) {
            let seen_v = Seen {
                role: "branch",
                name: &v.name,
                defined_in: &pv.defined_in,
            };
            self.check_clash(seen_v, loc, &mut seen)?;
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
                Pending::Object(_) => Some("QTYPE_QDICT"),
                _ => None,
            };
            let Some(qtype) = qtype else {
                return Err(self.error(
                    loc,
                    format!(
                        "{} cannot use {}",
                        self.describe_member(seen_v, loc),
                        self.describe(v.ty)
                    ),
                ));
            };
            // A string value can be parsed from text that looks like a
            // number or a boolean (command-line keyval syntax), so a string
            // branch conflicts with those unless an enum rules it out.
            let mut conflicting = vec![qtype];
            if qtype == "QTYPE_QSTRING" {
                if let Some(en) = self.enum_type(v.ty) {
                    for m in &en.values {
                        if (m.name == "on" || m.name == "off")
                            && !conflicting.contains(&"QTYPE_QBOOL")
                        {
                            conflicting.push("QTYPE_QBOOL");
                        }
                        if m.name.starts_with([
                            '-', '+', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.',
                        ]) && !conflicting.contains(&"QTYPE_QNUM")
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
                        format!(
                            "{} can't be distinguished from '{other}'",
                            self.describe_member(seen_v, loc)
                        ),
                    ));
                }
                types_seen.insert(qt, &v.name);
            }
        }
        Ok(out)
    }

    fn check_arg_type(
        &mut self,
        arg: &str,
        loc: Option<Loc>,
        what: &str,
        boxed: bool,
    ) -> Result<DefId, Diagnostic> {
        let t = self.resolve_type(arg, loc, || format!("{what}'s 'data'"))?;
        if self.pobject(t).is_none() {
            return Err(self.error(
                loc,
                format!("{what}'s 'data' cannot take {}", self.describe(t)),
            ));
        }
        if self.is_union(t) && !boxed {
            return Err(self.error(
                loc,
                format!(
                    "{what}'s 'data' can take {} only with 'boxed': true",
                    self.describe(t)
                ),
            ));
        }
        self.check_object(t)?;
        // A limit of QEMU 10.2's C generator, not of the language: QEMU 5.2
        // schemas have conditional arguments without it.
        let conditional = self.object(t).members.iter().any(|m| m.ifcond.is_some());
        if conditional && !boxed && self.ctx.strict() {
            return Err(self.error(
                loc,
                format!("conditional {what} arguments require 'boxed': true"),
            ));
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
        let loc = self.entries[id.index()].loc;
        if let Some(a) = arg {
            flags.arg_type = Some(self.check_arg_type(&a, loc, "command", flags.boxed)?);
        }
        if let Some(r) = ret {
            let t = self.resolve_type(&r, loc, || "command's 'returns'".to_string())?;
            if !self
                .returns_exceptions
                .contains(self.entries[id.index()].name.as_str())
            {
                let element = match &self.entries[t.index()].pending {
                    Pending::Array { element } => self.lookup_type(element).unwrap_or(t),
                    _ => t,
                };
                if self.pobject(element).is_none() {
                    return Err(self.error(
                        loc,
                        format!("command's 'returns' cannot take {}", self.describe(t)),
                    ));
                }
            }
            flags.ret_type = Some(t);
        }
        Ok(flags)
    }

    // --- documentation -------------------------------------------------

    /// Connects a definition's documentation to its members and features,
    /// as QEMU's `connect_doc` does.
    fn connect_doc(&mut self, id: DefId, doc_index: usize) -> Result<(), Diagnostic> {
        let Builder {
            entries,
            kinds,
            docs,
            connected,
            ctx,
            pragma,
            ..
        } = self;
        let doc = doc_index;
        let doc = &mut docs[doc];
        let index = |list: &[crate::doc::ArgSection]| {
            list.iter()
                .enumerate()
                .map(|(i, a)| (a.name.clone(), i))
                .collect()
        };
        let symbol = doc.symbol.as_deref().unwrap_or_default();
        let mut linker = DocLinker {
            entries,
            kinds,
            args: index(&doc.args),
            features: index(&doc.features),
            excepted: pragma.documentation_exceptions.iter().any(|s| s == symbol),
            documented: doc.args.len(),
            undocumented: Vec::new(),
            connected: &mut connected[doc_index],
            ctx,
        };
        let result = linker.connect(id);
        let undocumented = linker.undocumented;
        doc.add_undocumented(undocumented);
        result
    }

    fn check_docs(&self) -> Result<(), Diagnostic> {
        for (doc, (args, features)) in self.docs.iter().zip(&self.connected) {
            for (list, flags, what) in [
                (&doc.args, args, "member"),
                (&doc.features, features, "feature"),
            ] {
                let bogus: Vec<_> = list
                    .iter()
                    .zip(flags)
                    .filter(|(_, c)| !**c)
                    .map(|(a, _)| a)
                    .collect();
                if let Some(first) = bogus.first() {
                    let names = bogus
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join("', '");
                    let (s, verb) = if bogus.len() > 1 {
                        ("s", "do")
                    } else {
                        ("", "does")
                    };
                    return Err(Diagnostic::error(
                        first.loc,
                        format!("documented {what}{s} '{names}' {verb} not exist"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Schema, Diagnostic> {
        let root = self.ctx.sources.path(crate::FileId(0)).to_path_buf();
        let origin = Origin {
            label: root.display().to_string(),
            path: root,
        };
        let Builder {
            entries,
            kinds,
            modules,
            docs,
            pragma,
            feature_dict,
            index,
            ..
        } = self;
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
                implicit: e.implicit,
                since: None,
                presence: Presence::FIRST,
            })
            .collect();
        let mut schema = Schema {
            sources: Default::default(),
            warnings: Vec::new(),
            modules,
            defs,
            docs,
            pragma,
            feature_names: feature_dict.into_iter().map(|(n, _)| n).collect(),
            origins: vec![origin],
            index,
        };
        super::since::annotate(&mut schema);
        Ok(schema)
    }
}

/// Connects one documentation block to the members and features it
/// describes.
struct DocLinker<'b> {
    entries: &'b [Entry],
    kinds: &'b [Option<DefKind>],
    /// The position of each member and feature description, by name;
    /// undocumented members get theirs as they are found.
    args: HashMap<String, usize>,
    features: HashMap<String, usize>,
    /// Whether the `documentation-exceptions` pragma names the definition.
    excepted: bool,
    /// How many member descriptions the block has.
    documented: usize,
    /// The members found undocumented, in order, for
    /// [`Doc::add_undocumented`].
    undocumented: Vec<String>,
    connected: &'b mut (Vec<bool>, Vec<bool>),
    ctx: &'b mut Ctx,
}

impl DocLinker<'_> {
    fn connect(&mut self, id: DefId) -> Result<(), Diagnostic> {
        let (entries, kinds) = (self.entries, self.kinds);
        let e = &entries[id.index()];
        for f in &e.features {
            self.feature(&f.name, e.loc)?;
        }
        match &kinds[id.index()] {
            Some(DefKind::Enum(en)) => {
                for v in &en.values {
                    self.member("value", &v.name, e.loc)?;
                    for f in &v.features {
                        self.feature(&f.name, e.loc)?;
                    }
                }
            }
            Some(DefKind::Object(obj)) => {
                if let Some(b) = obj.base
                    && entries[b.index()].name.starts_with("q_")
                {
                    self.connect(b)?;
                }
                // A 5.2 simple union's tag is implicit: documenting it is
                // optional.
                let simple = obj
                    .variants
                    .as_ref()
                    .is_some_and(|v| v.kind == UnionKind::Simple);
                if !simple || self.args.contains_key("type") {
                    for m in &obj.local_members {
                        self.member("member", &m.name, e.loc)?;
                        for f in &m.features {
                            self.feature(&f.name, e.loc)?;
                        }
                    }
                }
            }
            Some(DefKind::Alternate(alt)) => {
                for v in &alt.variants {
                    self.member("branch", &v.name, e.loc)?;
                }
            }
            Some(DefKind::Command(Command {
                arg_type: Some(a), ..
            }))
            | Some(DefKind::Event(Event {
                arg_type: Some(a), ..
            })) if entries[a.index()].name.starts_with("q_") => {
                self.connect(*a)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn member(&mut self, role: &str, name: &str, loc: Option<Loc>) -> Result<(), Diagnostic> {
        match self.args.get(name) {
            Some(&i) => self.connected.0[i] = true,
            None => {
                if !self.excepted {
                    let d = match loc {
                        Some(l) => self
                            .ctx
                            .error(l, format!("{role} '{name}' lacks documentation")),
                        None => Diagnostic::global(format!("{role} '{name}' lacks documentation")),
                    };
                    self.ctx.style(Lint::Undocumented, d)?;
                }
                let i = self.documented + self.undocumented.len();
                self.args.insert(name.to_string(), i);
                self.undocumented.push(name.to_string());
                self.connected.0.push(true);
            }
        }
        Ok(())
    }

    fn feature(&mut self, name: &str, loc: Option<Loc>) -> Result<(), Diagnostic> {
        match self.features.get(name) {
            Some(&i) => self.connected.1[i] = true,
            None => {
                let d = match loc {
                    Some(l) => self
                        .ctx
                        .error(l, format!("feature '{name}' lacks documentation")),
                    None => Diagnostic::global(format!("feature '{name}' lacks documentation")),
                };
                self.ctx.style(Lint::Undocumented, d)?;
            }
        }
        Ok(())
    }
}
