//! Building the schema model from checked definitions and checking it as a
//! whole: QEMU's `schema.py`, step for step, so that errors come in QEMU's
//! order with QEMU's messages.
//!
//! Definitions are first entered with their type references as names (the
//! way QEMU's `_def_exprs` does, creating implicit types on the way:
//! [`define`], into the [`pending`] forms); then every entity is checked in
//! order, resolving names, flattening members ([`check`]), telling an
//! alternate's branches apart ([`alternate`]) and checking clashes
//! ([`clash`]); documentation is connected to what it documents as
//! each entity is checked ([`docs`]).  This module holds the [`Builder`]'s
//! state, the entry point [`build`] and what the steps share.

mod alternate;
mod check;
mod clash;
mod define;
mod docs;
mod pending;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use self::docs::Connected;
use self::pending::{Pending, TypeName};
use super::index::NameIndex;
use super::{DefId, Definition, Module, ModuleId, Origin, Schema};
use crate::Ctx;
use crate::diag::Diagnostic;
use crate::doc::Doc;
use crate::expr::{self, Item};
use crate::source::{Loc, absolute};
use crate::syntax::{Parsed, Pragma, Scratch};

const BUILTIN_MODULE: &str = "./builtin";
const SPECIAL_FEATURES: [&str; 2] = ["deprecated", "unstable"];

/// How far checking a definition has got.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Unchecked,
    InProgress,
    Done,
}

/// An include directive, and where it stands among the definitions.
#[derive(Clone, Copy)]
struct IncludeAt {
    /// How many definitions were entered before it.
    defs_before: usize,
    module: ModuleId,
    from: ModuleId,
}

/// A feature name and where it was first used (`None` for the special
/// features, which every schema has).
struct FeatureUse {
    name: String,
    loc: Option<Loc>,
}

/// The state of building one schema.
struct Builder<'a> {
    ctx: &'a mut Ctx,
    pragma: Pragma,
    docs: Vec<Doc>,
    /// The definitions entered, in the model's form; each is complete once
    /// checked ([`pending::UNCHECKED`]).
    defs: Vec<Definition>,
    /// What of each definition is still to be checked.
    pending: Vec<Pending>,
    /// The include directives, in order.
    includes: Vec<IncludeAt>,
    index: NameIndex,
    modules: Vec<Module>,
    module_index: HashMap<String, ModuleId>,
    schema_dir: PathBuf,
    /// The feature names, in the order first used.
    feature_dict: Vec<FeatureUse>,
    feature_names: HashSet<String>,
    // Check state.
    state: Vec<State>,
    /// For each documentation block, which member and feature descriptions
    /// were connected to what they describe.
    connected: Vec<Connected>,
    /// The module of each file.
    file_modules: HashMap<crate::FileId, ModuleId>,
    /// How deep `check_object` has recursed.
    depth: usize,
    /// The `command-returns-exceptions` pragma, as a set.
    returns_exceptions: HashSet<String>,
    /// The branch that made each 5.2 simple union's wrapper type: messages
    /// name the wrapper's member `data` as that branch.  (Kept here rather
    /// than with every member: only wrappers need it.)
    wrapper_branches: HashMap<DefId, Box<str>>,
}

/// How many definitions every schema has: the built-in types and their
/// arrays, `q_empty` and `QType`.
const PREDEFINED_DEFS: usize = 2 * super::Builtin::ALL.len() + 2;

/// How deep bases and branches may nest.
const MAX_CHECK_DEPTH: usize = 1000;

/// Builds and checks the schema.
///
/// Each expression is checked (`crate::expr`) and then entered, so that
/// the expressions and what they become do not all exist at once; as in
/// QEMU, which checks every expression before entering any, an error in
/// entering one is reported only if every expression passes its checks.
pub(crate) fn build(ctx: &mut Ctx, mut parsed: Parsed) -> Result<Schema, Diagnostic> {
    let mut exprs = std::mem::take(&mut parsed.exprs);
    let checker = expr::Exceptions::new(&parsed.pragma);
    let root = ctx.sources.path(crate::FileId(0)).to_path_buf();
    let schema_dir = absolute(root.parent().unwrap_or(Path::new("")));
    let returns_exceptions = parsed
        .pragma
        .command_returns_exceptions
        .iter()
        .cloned()
        .collect();
    let mut b = Builder {
        ctx,
        returns_exceptions,
        pragma: parsed.pragma,
        docs: parsed.docs,
        defs: Vec::new(),
        pending: Vec::new(),
        includes: Vec::new(),
        index: NameIndex::default(),
        modules: Vec::new(),
        module_index: HashMap::new(),
        schema_dir,
        feature_dict: SPECIAL_FEATURES
            .iter()
            .map(|f| FeatureUse {
                name: f.to_string(),
                loc: None,
            })
            .collect(),
        feature_names: SPECIAL_FEATURES.iter().map(|f| f.to_string()).collect(),
        state: Vec::new(),
        connected: Vec::new(),
        file_modules: HashMap::new(),
        depth: 0,
        wrapper_branches: HashMap::new(),
    };
    b.make_module_named(BUILTIN_MODULE.to_string());
    b.make_module(&root);
    // Room for the predefined types, and for each expression, its
    // definition and one implicit type (its argument struct or an array
    // type): more is rare.  The tables then need not grow by copying,
    // which for a large schema would hold two copies of the largest of
    // them at once; room left unused is never written, so costs no memory.
    let room = PREDEFINED_DEFS + 2 * exprs.len();
    b.defs.reserve(room);
    b.pending.reserve(room);
    b.def_predefineds()?;
    // The index of names is a table of at least one entry per expression:
    // made that large at once, it need not copy itself as it grows.
    b.index.reserve(PREDEFINED_DEFS + exprs.len());
    // Room for the line of each definition, in each file, for
    // diagnostics' contexts: so the lists need not grow by copying either.
    let mut per_file: Vec<usize> = Vec::new();
    for loc in exprs.iter().filter_map(|e| e.definition_loc()) {
        let file = loc.file.index();
        if per_file.len() <= file {
            per_file.resize(file + 1, 0);
        }
        per_file[file] += 1;
    }
    for (file, n) in per_file.into_iter().enumerate() {
        b.ctx.defn_at.reserve(crate::FileId(file as u32), n);
    }
    let mut entering_error = None;
    // The expressions are taken off the end of the list reversed, and the
    // list is shrunk as it empties, so that the room of those entered is
    // given back as the definitions grow.
    exprs.reverse();
    let mut scratch = Scratch::default();
    while let Some(e) = exprs.pop() {
        if exprs.len() < exprs.capacity() / 2 {
            exprs.shrink_to_fit();
        }
        let e = e.read(b.ctx.mode, &b.ctx.sources, &mut scratch)?;
        let item = checker.check(b.ctx, &b.docs, &b.pragma, e)?;
        if entering_error.is_some() {
            continue;
        }
        match item {
            Item::Include { path, loc } => {
                let module = b.make_module(&path);
                let from = b.module_of_loc(Some(loc));
                b.includes.push(IncludeAt {
                    defs_before: b.defs.len(),
                    module,
                    from,
                });
            }
            Item::Def(def) => entering_error = b.def_expr(def).err(),
        }
    }
    if let Some(e) = entering_error {
        return Err(e);
    }
    b.check()?;
    Ok(b.finish())
}

/// The definition context QEMU gives diagnostics on line `loc`, once
/// `defs` are entered.
fn context_at(ctx: &Ctx, defs: &[Definition], loc: Loc) -> Option<crate::diag::Context> {
    ctx.defn_at.get(loc)?.context(defs)
}

/// An error on line `loc`, with the context QEMU gives it; without a line,
/// about the schema as a whole (for what QEMU made up).
fn error_at(
    ctx: &Ctx,
    defs: &[Definition],
    loc: Option<Loc>,
    message: impl Into<String>,
) -> Diagnostic {
    match loc {
        Some(l) => Diagnostic::error(l, message).with_context(context_at(ctx, defs, l)),
        None => Diagnostic::global(message),
    }
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
            self.pending[id.index()],
            Pending::Command(_) | Pending::Event { .. }
        )
    }

    /// The definition named `name`.
    fn lookup(&self, name: &str) -> Option<DefId> {
        self.index.get(name, |id| &self.defs[id.index()].name)
    }

    fn lookup_type(&self, name: &str) -> Option<DefId> {
        self.lookup(name).filter(|&id| self.is_type(id))
    }

    /// How a definition being entered refers to the type named `name`.
    fn type_ref(&self, name: &str) -> TypeName {
        match self.lookup(name) {
            Some(id) => TypeName::Entered(id),
            None => TypeName::Later(name.into()),
        }
    }

    /// The name a type reference was written with.
    fn type_ref_name<'a>(&'a self, ty: &'a TypeName) -> &'a str {
        match ty {
            TypeName::Entered(id) => &self.defs[id.index()].name,
            TypeName::Later(name) => name,
        }
    }

    /// QEMU's `describe()` of a definition.
    fn describe(&self, id: DefId) -> String {
        let e = &self.defs[id.index()];
        match &self.pending[id.index()] {
            Pending::Builtin(_) => format!("built-in type '{}'", e.name),
            Pending::Enum => format!("enum type '{}'", e.name),
            Pending::Array { element } => {
                format!("array type ['{}']", self.type_ref_name(element))
            }
            Pending::Object { union: true, .. } => format!("union type '{}'", e.name),
            Pending::Object { .. } => format!("struct type '{}'", e.name),
            Pending::Alternate(_) => format!("alternate type '{}'", e.name),
            Pending::Command(_) => format!("command '{}'", e.name),
            Pending::Event { .. } => format!("event '{}'", e.name),
        }
    }

    /// The definition context QEMU gives diagnostics on line `loc`.
    fn context(&self, loc: Loc) -> Option<crate::diag::Context> {
        context_at(self.ctx, &self.defs, loc)
    }

    fn error(&self, loc: Option<Loc>, message: impl Into<String>) -> Diagnostic {
        error_at(self.ctx, &self.defs, loc, message)
    }

    fn finish(self) -> Schema {
        let root = self.ctx.sources.path(crate::FileId(0)).to_path_buf();
        let origin = Origin {
            label: root.display().to_string(),
            path: root,
        };
        let Builder {
            ctx,
            pragma,
            docs,
            defs,
            pending,
            includes,
            index,
            modules,
            module_index,
            schema_dir: _,
            feature_dict,
            feature_names,
            state,
            connected,
            file_modules,
            depth: _,
            returns_exceptions,
            wrapper_branches,
        } = self;
        // What only checking needed goes before the model is annotated:
        // the definitions' contexts serve error messages, and there are
        // none after checking.
        ctx.defn_at = Default::default();
        drop((pending, includes, module_index, feature_names, state));
        drop((
            connected,
            file_modules,
            returns_exceptions,
            wrapper_branches,
        ));
        let mut schema = Schema {
            sources: Default::default(),
            warnings: Vec::new(),
            modules,
            defs,
            docs,
            pragma,
            feature_names: feature_dict.into_iter().map(|f| f.name).collect(),
            origins: vec![origin],
            index,
        };
        super::since::annotate(&mut schema);
        schema
    }
}
