//! Rust code from the checked schema model.
//!
//! The output depends on `qapi-types` alone.  What it holds, for a schema:
//! - a Rust type for every enumeration, struct, union and alternate, with
//!   compact serde impls backed by [`qapi_types::object`] (enumerations and
//!   union tags keep unknown values in a catch-all variant, unknown members
//!   are ignored);
//! - a struct per command implementing `qapi_types::Command` and a struct per
//!   event implementing `qapi_types::Event`, and an `Event` enum over all
//!   events implementing `qapi_types::EventSet`;
//! - a `Commands` trait of typed async methods implemented for the QMP
//!   client, and a `Handler` trait with a `Dispatcher` for serving QMP.
//!
//! [`qapi_types::object`]: https://docs.rs/qapi-types

mod alternates;
mod client;
mod commands;
mod docs;
mod enums;
mod events;
pub mod names;
mod out;
mod provenance;
mod select;
mod server;
mod structs;
mod types;
mod unions;

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use proc_macro2::TokenStream;

use out::Out;

use crate::schema::{DefId, DefKind, Definition, Feature, Member, Schema, UnionKind, Version};
use names::Namespace;
use select::Selection;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Evaluate conditions (`if`) against these defined symbols and leave out
    /// what does not hold; `None` (the default) emits everything and says in
    /// each item's documentation under which condition QEMU has it.  Both
    /// condition dialects are evaluated: 10.2 symbols (`CONFIG_SPICE`) and
    /// 5.2 C expressions (`defined(CONFIG_SPICE)`).
    pub cfg: Option<BTreeSet<String>>,
    /// Leave out everything with the `unstable` feature.
    pub exclude_unstable: bool,
    /// Generate only what these commands and events need (schema names);
    /// `None` generates everything.
    pub only: Option<Vec<String>>,
    /// Emit the `Commands` trait for the QMP client.
    pub client: bool,
    /// Emit the `Handler` trait and the `Dispatcher`.
    pub server: bool,
    /// Generate for every QEMU from this version on: members that QEMU's
    /// documentation says came later become `Option`s in the types a
    /// server sends (replies and events), so that an older QEMU's
    /// messages decode.  Types only a client sends keep them as declared.
    pub oldest: Option<Version>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cfg: None,
            exclude_unstable: false,
            only: None,
            oldest: None,
            client: true,
            server: true,
        }
    }
}

/// Why generation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenerateError {
    /// `only` names a command or event the schema does not have.
    UnknownName(String),
    /// The options leave out a type that something kept still uses.
    Dangling {
        /// What uses it.
        user: String,
        /// The type left out.
        used: String,
    },
    /// A condition could not be evaluated.
    Condition(String),
    /// The generated code did not parse (a bug).
    Internal(String),
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::UnknownName(n) => write!(f, "the schema has no command or event '{n}'"),
            GenerateError::Dangling { user, used } => {
                write!(f, "'{user}' uses '{used}', which the options leave out")
            }
            GenerateError::Condition(e) => f.write_str(e),
            GenerateError::Internal(e) => write!(f, "internal error: {e}"),
        }
    }
}

impl std::error::Error for GenerateError {}

/// Generated code, ready to be turned into tokens or source text.
pub struct Generated<'s> {
    generator: Generator<'s>,
    units: Vec<Unit>,
    header: String,
}

/// One piece of output: a definition's items, or one of the items over
/// the whole schema.
#[derive(Clone, Copy)]
enum Unit {
    Def(DefId),
    EventEnum,
    Client,
    Server,
}

impl Generated<'_> {
    /// Writes one unit's items.
    fn emit(&self, unit: Unit, out: &mut Out) {
        match unit {
            Unit::Def(id) => self.generator.emit_def(id, out),
            Unit::EventEnum => events::emit_event_enum(&self.generator, out),
            Unit::Client => client::emit_client(&self.generator, out),
            Unit::Server => server::emit_server(&self.generator, out),
        }
    }

    /// All items as one token stream (for a proc-macro).
    pub fn tokens(&self) -> Result<TokenStream, GenerateError> {
        self.to_source()
            .parse()
            .map_err(|e: proc_macro2::LexError| GenerateError::Internal(e.to_string()))
    }

    /// The source text: an `@generated` header, then the items, each
    /// followed by a blank line.  The work is spread over all cores.
    pub fn to_source(&self) -> String {
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicUsize, Ordering};

        // Small chunks of definitions, and the items over the whole schema
        // (the biggest) as chunks of their own, taken first.
        let mut chunks: Vec<&[Unit]> = Vec::new();
        let defs = self
            .units
            .iter()
            .position(|u| !matches!(u, Unit::Def(_)))
            .unwrap_or(self.units.len());
        let (per_def, whole) = self.units.split_at(defs);
        chunks.extend(whole.chunks(1));
        chunks.extend(per_def.chunks(16));
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8)
            .min(chunks.len().max(1));
        let next = AtomicUsize::new(0);
        // Each index is handed out once; a worker's panic is re-raised by
        // the scope, so every slot is filled when it ends.
        let results: Vec<OnceLock<String>> = chunks.iter().map(|_| OnceLock::new()).collect();
        let work = || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = chunks.get(i) else { break };
                let _ = results[i].set(self.render_units(chunk));
            }
        };
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(work);
            }
            work();
        });
        let parts: Vec<String> = results
            .into_iter()
            .map(|r| r.into_inner().expect("every chunk is rendered"))
            .collect();
        // Back in schema order: definitions, then the whole-schema items.
        let whole_parts = whole.len();
        let mut out = String::with_capacity(parts.iter().map(String::len).sum::<usize>() + 128);
        out.push_str(&self.header);
        for p in parts[whole_parts..].iter().chain(&parts[..whole_parts]) {
            out.push_str(p);
        }
        out
    }

    /// The source text of some units, each followed by a blank line.
    fn render_units(&self, units: &[Unit]) -> String {
        let mut out = Out::with_capacity(units.len() * 2048);
        for &unit in units {
            let before = out.len();
            self.emit(unit, &mut out);
            if out.len() > before {
                out.line("");
            }
        }
        out.finish()
    }
}

/// Generates Rust for `schema`.  `source_name` names the schema in the
/// `@generated` header.
pub fn generate<'s>(
    schema: &'s Schema,
    opts: &Options,
    source_name: &str,
) -> Result<Generated<'s>, GenerateError> {
    let generator = Generator::new(schema, opts)?;
    let used = used_types(&generator);
    let mut units: Vec<Unit> = schema
        .ids()
        .filter(|&id| generator.sel.keep(id))
        // Predefined types (QType) only when something uses them.
        .filter(|&id| schema.def(id).loc.is_some() || used.contains(&id))
        .map(Unit::Def)
        .collect();
    units.push(Unit::EventEnum);
    if opts.client {
        units.push(Unit::Client);
    }
    if opts.server {
        units.push(Unit::Server);
    }
    let header = format!(
        "// @generated by qapi-gen {} from {source_name}.  Do not edit.\n\n",
        env!("CARGO_PKG_VERSION")
    );
    Ok(Generated {
        generator,
        units,
        header,
    })
}

/// Types that kept definitions use.
fn used_types(g: &Generator) -> std::collections::HashSet<DefId> {
    g.schema
        .ids()
        .filter(|&id| g.sel.keep(id))
        .flat_map(|id| g.schema.uses(id))
        .collect()
}

/// The schema's types that `qapi_types` defines with the same shape, so
/// that the schema's are the same types: `VersionTriple` (QEMU's version,
/// also in the QMP greeting) and `VersionInfo` (its `version` member, and
/// what `query-version` returns).
fn shared_types(schema: &Schema) -> HashMap<DefId, &'static str> {
    let members = |name: &str| -> Option<Vec<(&str, &str)>> {
        let def = schema.get(name)?;
        let DefKind::Object(o) = &def.kind else {
            return None;
        };
        if o.variants.is_some() || o.members.iter().any(|m| m.optional) {
            return None;
        }
        Some(
            o.members
                .iter()
                .map(|m| (&*m.name, &*schema.def(m.ty).name))
                .collect(),
        )
    };
    let mut out = HashMap::new();
    let triple = [("major", "int"), ("minor", "int"), ("micro", "int")];
    if members("VersionTriple").is_some_and(|m| m == triple) {
        if let Some(id) = schema.lookup("VersionTriple") {
            out.insert(id, "::qapi_types::VersionTriple");
        }
        let info = [("qemu", "VersionTriple"), ("package", "str")];
        if members("VersionInfo").is_some_and(|m| m == info)
            && let Some(id) = schema.lookup("VersionInfo")
        {
            out.insert(id, "::qapi_types::VersionInfo");
        }
    }
    out
}

/// For each definition, whether a server sends values of it: the types
/// reachable from commands' return types and events' data.
fn server_sent(schema: &Schema) -> Vec<bool> {
    let mut sent = vec![false; schema.defs.len()];
    let mut stack: Vec<DefId> = schema
        .defs
        .iter()
        .filter_map(|d| match &d.kind {
            DefKind::Command(c) => c.ret_type,
            DefKind::Event(e) => e.arg_type,
            _ => None,
        })
        .collect();
    while let Some(id) = stack.pop() {
        if !std::mem::replace(&mut sent[id.index()], true) {
            stack.extend(schema.uses(id));
        }
    }
    sent
}

/// Names that no schema name may take: generated items (`Client` too), the
/// dispatcher's `Runner` import, and the type parameters of generated impls (a schema
/// type `A` would otherwise be shadowed inside a method generic over `A`).
const RESERVED: &[&str] = &[
    "Client",
    "Event",
    "Commands",
    "Handler",
    "Dispatcher",
    "Runner",
    "A",
    "D",
    "E",
    "H",
    "M",
    "S",
    "T",
];

/// Why a member's field is an `Option`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Optional {
    /// The schema makes it optional.
    Schema,
    /// It is deprecated: QEMU removes deprecated members after a while,
    /// and bindings from an older schema must still decode the replies of
    /// a newer QEMU.
    Deprecated,
    /// It has a condition, and conditions are not evaluated: QEMU builds
    /// without the condition leave it out.
    Conditional,
    /// It came in a QEMU newer than the oldest the bindings are for, in a
    /// type the server sends.
    Newer { since: Version, oldest: Version },
}

/// The generator's view of a schema: what is kept, and what everything is
/// called.
pub(crate) struct Generator<'s> {
    pub schema: &'s Schema,
    pub sel: Selection,
    /// The oldest QEMU the bindings are for.
    oldest: Option<Version>,
    /// Whether the server sends values of each type: reachable from a
    /// command's return type or an event's data.
    server_sent: Vec<bool>,
    /// Rust names of emitted types, commands and events.
    names: HashMap<DefId, String>,
    /// For flat unions, the enum holding the branch; for unions, the hidden
    /// slots type.
    branch_enums: HashMap<DefId, (String, String)>,
    /// The members and branches that are boxed, as (container, type)
    /// pairs: see [`types::boxed_edges`].
    boxed: std::collections::HashSet<(DefId, DefId)>,
    /// Types `qapi_types` defines: the schema's own are aliases of them.
    shared: HashMap<DefId, &'static str>,
}

impl<'s> Generator<'s> {
    /// The kept definitions that `pick` takes, in schema order, each with
    /// a Rust identifier: its name in `case`, claimed in `ns`.
    pub(crate) fn named<T>(
        &self,
        ns: &mut Namespace,
        case: fn(&str) -> String,
        pick: impl Fn(&'s DefKind) -> Option<&'s T>,
    ) -> Vec<(DefId, String, &'s T)> {
        let schema = self.schema;
        schema
            .ids()
            .filter(|&id| self.sel.keep(id))
            .filter_map(|id| {
                let def = schema.def(id);
                let item = pick(&def.kind)?;
                Some((id, names::ident_text(&ns.claim(case(&def.name), "_")), item))
            })
            .collect()
    }

    fn new(schema: &'s Schema, opts: &Options) -> Result<Self, GenerateError> {
        let sel = Selection::new(schema, opts)?;
        let mut ns = Namespace::with_reserved(RESERVED);
        let mut names = HashMap::new();
        let mut branch_enums = HashMap::new();
        // Types first, in schema order, then commands, then events.
        for id in schema.ids() {
            let def = schema.def(id);
            if !sel.keep(id) || !Self::is_named_type(def) {
                continue;
            }
            names.insert(id, ns.claim(names::upper_camel(&def.name), "Type"));
        }
        for id in schema.ids() {
            let def = schema.def(id);
            if sel.keep(id) && matches!(def.kind, DefKind::Command(_)) {
                names.insert(id, ns.claim(names::upper_camel(&def.name), "Command"));
            }
        }
        for id in schema.ids() {
            let def = schema.def(id);
            if sel.keep(id) && matches!(def.kind, DefKind::Event(_)) {
                names.insert(id, ns.claim(names::upper_camel(&def.name), "Event"));
            }
        }
        for id in schema.ids() {
            let def = schema.def(id);
            if let DefKind::Object(o) = &def.kind
                && let Some(v) = &o.variants
                && sel.keep(id)
                && Self::is_named_type(def)
            {
                let base = &names[&id];
                let branch = if v.kind == UnionKind::Flat {
                    ns.claim(format!("{base}{}", names::upper_camel(&v.tag)), "Branch")
                } else {
                    base.clone()
                };
                let slots = ns.claim(format!("{branch}Slots"), "_");
                branch_enums.insert(id, (branch, slots));
            }
        }
        let boxed = types::boxed_edges(schema, &sel);
        let shared = shared_types(schema);
        Ok(Generator {
            schema,
            server_sent: server_sent(schema),
            oldest: opts.oldest,
            sel,
            names,
            branch_enums,
            boxed,
            shared,
        })
    }

    /// Why the field for member `m` of object type `container` is an
    /// `Option`; `None` when it is required.
    pub fn optional(&self, container: DefId, m: &Member) -> Option<Optional> {
        if m.optional {
            return Some(Optional::Schema);
        }
        if m.features.iter().any(Feature::is_deprecated) {
            return Some(Optional::Deprecated);
        }
        if m.ifcond.is_some() && !self.sel.evaluates_conditions() {
            return Some(Optional::Conditional);
        }
        if let (Some(oldest), Some(since)) = (self.oldest, m.since)
            && since > oldest
            && self.server_sent[container.index()]
        {
            return Some(Optional::Newer { since, oldest });
        }
        None
    }

    /// Whether a definition becomes a Rust type of its own.
    fn is_named_type(def: &Definition) -> bool {
        match &def.kind {
            DefKind::Enum(_) | DefKind::Alternate(_) => true,
            DefKind::Object(_) => !def.name.starts_with("q_"),
            _ => false,
        }
    }

    /// The Rust name of an emitted type, command or event.
    pub fn name(&self, id: DefId) -> &str {
        &self.names[&id]
    }

    fn emit_def(&self, id: DefId, out: &mut Out) {
        let def = self.schema.def(id);
        match &def.kind {
            DefKind::Enum(e) => enums::emit_enum(self, id, e, out),
            DefKind::Object(_) if self.shared.contains_key(&id) => {
                // `qapi_types`' own: no impls here (they are there).
                out.docs(&docs::definition(self, id));
                out.line(format_args!(
                    "pub type {} = {};",
                    self.name(id),
                    self.shared[&id]
                ));
                return;
            }
            DefKind::Object(o) if Self::is_named_type(def) => match &o.variants {
                None => structs::emit_struct(self, id, o, out),
                Some(v) if v.kind == UnionKind::Flat => unions::emit_union(self, id, o, v, out),
                Some(v) => unions::emit_simple_union(self, id, v, out),
            },
            DefKind::Alternate(a) => alternates::emit_alternate(self, id, a, out),
            DefKind::Command(c) => commands::emit_command(self, id, c, out),
            DefKind::Event(e) => commands::emit_event(self, id, e, out),
            // Built-ins and arrays are Rust types already; implicit objects
            // are emitted with what uses them.
            _ => return,
        }
        provenance::write(self, id, out);
    }
}
