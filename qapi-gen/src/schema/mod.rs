//! The checked schema model: every definition with its types resolved,
//! including the implicit ones QEMU creates (argument structs, arrays,
//! `q_empty`, inline union bases, the 5.2 simple-union wrappers).
//!
//! This is what [`crate::dump`] prints and what the code generator reads.
//! Nothing downstream of it looks at the schema's syntax.
//!
//! Definitions are kept in QEMU's order: built-in types first, then each
//! definition of the schema in source order, each preceded by the implicit
//! types it brought in.  [`Schema::modules`] groups them by the file that
//! defines them.

mod build;
mod cond;
mod index;
mod merge;
pub(crate) mod shape;
mod since;
mod version;

use std::num::NonZeroU32;
use std::path::PathBuf;

pub use cond::Cond;
pub use merge::{MergeError, labels, merge};
pub use since::since_in;
pub use version::{ParseVersionError, Version};

use crate::diag::Diagnostic;
use crate::doc::Doc;
use crate::source::{Loc, SourceMap};
use crate::syntax::Pragma;
use index::NameIndex;

pub(crate) use build::build;

/// Index of a definition in [`Schema::defs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefId(pub(crate) u32);

impl DefId {
    /// The definition's position in [`Schema::defs`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a module in [`Schema::modules`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleId(pub(crate) u32);

impl ModuleId {
    /// The module's position in [`Schema::modules`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a documentation block in [`Schema::docs`].
///
/// (Kept as the index plus one, so that an `Option<DocId>` takes 4 bytes:
/// that makes a [`Definition`] 128 bytes instead of 136.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(NonZeroU32);

impl DocId {
    /// The block at position `index`.
    pub(crate) fn new(index: usize) -> Self {
        let n = u32::try_from(index)
            .ok()
            .and_then(|i| i.checked_add(1))
            .and_then(NonZeroU32::new)
            .expect("fewer than 2^32 - 1 documentation blocks");
        DocId(n)
    }

    /// The block's position in [`Schema::docs`].
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// A checked schema.
#[derive(Debug)]
pub struct Schema {
    /// Every file read.
    pub sources: SourceMap,
    /// Warnings (default mode only): house-style rules of QEMU 10.2 that the
    /// schema breaks.
    pub warnings: Vec<Diagnostic>,
    /// The modules: `./builtin`, then the root file, then included files in
    /// the order of their first include directive.
    pub modules: Vec<Module>,
    /// Every definition, in QEMU's order.
    pub defs: Vec<Definition>,
    /// Every documentation block, in source order (included files' blocks at
    /// their include directive).
    pub docs: Vec<Doc>,
    /// The pragmas.
    pub pragma: Pragma,
    /// Every feature name used, `deprecated` and `unstable` first.
    pub feature_names: Vec<String>,
    /// The schemas this model was made from: one for a schema read on its
    /// own, several for a merge.  Every item's [`Presence`] is a set of
    /// indexes into this list.
    pub origins: Vec<Origin>,
    index: NameIndex,
}

/// One of the schemas a model was made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// A short name for it in documentation and messages.
    pub label: String,
    /// Its root file.
    pub path: PathBuf,
}

/// Which of the schemas a model was made from ([`Schema::origins`]) have an
/// item: a set of their indexes.  In a schema read on its own every item
/// has the one origin, `Presence::FIRST`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Presence(u64);

impl Presence {
    /// Only the first (or only) schema.
    pub const FIRST: Presence = Presence(1);
    /// At most this many schemas can be merged.
    pub const MAX: usize = 64;

    /// Only schema `i`.
    pub fn only(i: usize) -> Self {
        debug_assert!(i < Self::MAX);
        Presence(1 << i)
    }

    /// Every one of the first `n` schemas.
    pub fn all(n: usize) -> Self {
        debug_assert!((1..=Self::MAX).contains(&n));
        Presence(u64::MAX >> (Self::MAX - n))
    }

    /// Whether schema `i` has the item.
    pub fn contains(self, i: usize) -> bool {
        i < Self::MAX && self.0 & (1 << i) != 0
    }

    /// The schemas that have either item.
    pub fn union(self, other: Presence) -> Self {
        Presence(self.0 | other.0)
    }

    /// The schemas that have the item, but schema `i`.
    pub fn without(self, i: usize) -> Self {
        if i < Self::MAX {
            Presence(self.0 & !(1 << i))
        } else {
            self
        }
    }

    /// Whether every schema that has `self` also has `other`.
    pub fn is_subset(self, other: Presence) -> bool {
        self.0 & !other.0 == 0
    }

    /// The indexes of the schemas that have the item, in order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..Self::MAX).filter(move |&i| self.contains(i))
    }
}

/// A source file of the schema, or the built-in module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    /// `./builtin`, or the file's path relative to the root file's directory.
    pub name: String,
    /// What the module holds, in order.
    pub items: Vec<ModuleItem>,
}

/// One entry of a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleItem {
    /// An include directive (also when the file was already included).
    Include(ModuleId),
    /// A definition.
    Def(DefId),
}

/// One definition: a type, command or event.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    /// The name, as in the schema.
    pub name: Box<str>,
    /// What it is.
    pub kind: DefKind,
    /// Where it is defined; for implicit types, the definition that brought
    /// them in; `None` for built-in types.
    pub loc: Option<Loc>,
    /// Its documentation block, an index into [`Schema::docs`].
    pub doc: Option<DocId>,
    /// The condition under which QEMU has it.
    pub ifcond: Option<Box<Cond>>,
    /// Its features.
    pub features: Box<[Feature]>,
    /// The module defining it.
    pub module: ModuleId,
    /// Whether QEMU made this definition up rather than the schema defining
    /// it: see [`Definition::is_implicit`].
    pub implicit: bool,
    /// The QEMU version that introduced it, as its documentation says
    /// (`Since: 2.8`); for implicit types, that of the definition they
    /// belong to.
    pub since: Option<Version>,
    /// Which of the schemas merged into this model have it.
    pub presence: Presence,
}

/// The kinds of definition.
#[derive(Clone, Debug, PartialEq)]
pub enum DefKind {
    /// A built-in type.
    Builtin(Builtin),
    /// An enumeration.
    Enum(EnumType),
    /// `[T]`: an array type, named `TList`.
    Array(ArrayType),
    /// A struct or union: a JSON object.
    Object(ObjectType),
    /// An alternate: one of several types, told apart by JSON type.
    Alternate(AlternateType),
    /// A command.
    Command(Command),
    /// An event.
    Event(Event),
}

/// The built-in types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `str`
    Str,
    /// `number`: a double.
    Number,
    /// `int`: int64.
    Int,
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32`
    Int32,
    /// `int64`
    Int64,
    /// `uint8`
    Uint8,
    /// `uint16`
    Uint16,
    /// `uint32`
    Uint32,
    /// `uint64`
    Uint64,
    /// `size`: uint64.
    Size,
    /// `bool`
    Bool,
    /// `any`: any JSON value.
    Any,
    /// `null`: JSON null.
    Null,
}

impl Builtin {
    /// All of them, in QEMU's order.
    pub const ALL: [Builtin; 15] = [
        Builtin::Str,
        Builtin::Number,
        Builtin::Int,
        Builtin::Int8,
        Builtin::Int16,
        Builtin::Int32,
        Builtin::Int64,
        Builtin::Uint8,
        Builtin::Uint16,
        Builtin::Uint32,
        Builtin::Uint64,
        Builtin::Size,
        Builtin::Bool,
        Builtin::Any,
        Builtin::Null,
    ];

    /// The schema name.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Str => "str",
            Builtin::Number => "number",
            Builtin::Int => "int",
            Builtin::Int8 => "int8",
            Builtin::Int16 => "int16",
            Builtin::Int32 => "int32",
            Builtin::Int64 => "int64",
            Builtin::Uint8 => "uint8",
            Builtin::Uint16 => "uint16",
            Builtin::Uint32 => "uint32",
            Builtin::Uint64 => "uint64",
            Builtin::Size => "size",
            Builtin::Bool => "bool",
            Builtin::Any => "any",
            Builtin::Null => "null",
        }
    }

    /// The JSON type of its values.
    pub fn json_type(self) -> JsonType {
        match self {
            Builtin::Str => JsonType::String,
            Builtin::Number => JsonType::Number,
            Builtin::Bool => JsonType::Boolean,
            Builtin::Any => JsonType::Value,
            Builtin::Null => JsonType::Null,
            _ => JsonType::Int,
        }
    }
}

/// JSON types, as QEMU classifies types for alternates and introspection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonType {
    /// A string (also enums).
    String,
    /// A number.
    Number,
    /// An integer number.
    Int,
    /// `true` / `false`.
    Boolean,
    /// `null`.
    Null,
    /// An array.
    Array,
    /// An object.
    Object,
    /// Any value (`any`, alternates).
    Value,
}

/// An enumeration.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumType {
    /// The values, in order.
    pub values: Vec<EnumValue>,
    /// The `prefix` for C constant names, if given.
    pub prefix: Option<Box<str>>,
}

/// One value of an enumeration.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumValue {
    /// The value as on the wire.
    pub name: Box<str>,
    /// The condition under which QEMU has it.
    pub ifcond: Option<Box<Cond>>,
    /// Its features.
    pub features: Box<[Feature]>,
    /// The QEMU version that introduced it: its description's `(since
    /// X.Y)`, else the enumeration's.
    pub since: Option<Version>,
    /// Which of the schemas merged into this model have it.
    pub presence: Presence,
}

/// An array type.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayType {
    /// The element type.
    pub element: DefId,
}

/// A struct or union.
#[derive(Clone, Debug)]
pub struct ObjectType {
    /// The base type, whose members come first.
    pub base: Option<DefId>,
    /// All members: the base's, then the local ones.
    pub members: Box<[Member]>,
    /// The members defined here: see [`ObjectType::local_members`].
    local: LocalMembers,
    /// For a union: the tag and the branches.  (Boxed: most objects are
    /// structs, and every definition has room for its kind.)
    pub variants: Option<Box<Variants>>,
}

/// Where an object type's local members are kept.
#[derive(Clone, Debug)]
enum LocalMembers {
    /// They are the last this many of its `members`, as in a schema read
    /// on its own: each member is kept once.
    Tail(u32),
    /// Kept apart: merging schemas can make a type's local members differ
    /// from its entries in `members` (a member local in one schema and
    /// inherited in another merges differently).  (Boxed, as rare.)
    Apart(Box<[Member]>),
}

impl ObjectType {
    /// An object type with `members`, the last `local` of them defined
    /// here.
    pub(crate) fn new(
        base: Option<DefId>,
        members: Vec<Member>,
        local: usize,
        variants: Option<Variants>,
    ) -> Self {
        debug_assert!(local <= members.len());
        ObjectType {
            base,
            members: members.into_boxed_slice(),
            local: LocalMembers::Tail(local as u32),
            variants: variants.map(Box::new),
        }
    }

    /// The members defined here (for a 5.2 simple union: its `type` tag),
    /// in order.  In a schema read on its own these are the last of
    /// [`ObjectType::members`]; in a merged model, the local members of the
    /// merged types.
    pub fn local_members(&self) -> &[Member] {
        match &self.local {
            LocalMembers::Tail(n) => &self.members[self.members.len() - *n as usize..],
            LocalMembers::Apart(local) => local,
        }
    }

    /// Replaces the local members, kept once where they are the last of
    /// `members`.
    pub(crate) fn set_local_members(&mut self, local: Vec<Member>) {
        self.local = if self.members.ends_with(&local) {
            LocalMembers::Tail(local.len() as u32)
        } else {
            LocalMembers::Apart(local.into_boxed_slice())
        };
    }

    /// Every member, each once: `members`, then the local members where
    /// they are kept apart.
    pub(crate) fn all_members_mut(&mut self) -> impl Iterator<Item = &mut Member> {
        let apart = match &mut self.local {
            LocalMembers::Tail(_) => &mut [][..],
            LocalMembers::Apart(local) => &mut local[..],
        };
        self.members.iter_mut().chain(apart)
    }

    /// The local members where they are kept apart from `members`; `None`
    /// when they are among `members`.
    pub(crate) fn local_members_apart_mut(&mut self) -> Option<&mut [Member]> {
        match &mut self.local {
            LocalMembers::Tail(_) => None,
            LocalMembers::Apart(local) => Some(local),
        }
    }
}

impl PartialEq for ObjectType {
    fn eq(&self, other: &Self) -> bool {
        self.base == other.base
            && self.members == other.members
            && self.local_members() == other.local_members()
            && self.variants == other.variants
    }
}

/// A member of an object type.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// The name as on the wire.
    pub name: Box<str>,
    /// The type.
    pub ty: DefId,
    /// Whether it may be absent.
    pub optional: bool,
    /// The condition under which QEMU has it.
    pub ifcond: Option<Box<Cond>>,
    /// Its features.
    pub features: Box<[Feature]>,
    /// The type that defines it: the base for inherited members.
    pub defined_in: DefId,
    /// The QEMU version that introduced it: its description's `(since
    /// X.Y)`, else that of the type defining it.
    pub since: Option<Version>,
    /// Which of the schemas merged into this model have it.
    pub presence: Presence,
}

impl Member {
    /// Whether it has the `deprecated` feature.
    pub fn is_deprecated(&self) -> bool {
        self.features.iter().any(Feature::is_deprecated)
    }
}

/// How a union's branches are laid out on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnionKind {
    /// A flat union: the tag is a member of the base, and a branch's members
    /// sit next to the base's.
    Flat,
    /// A QEMU 5.2 simple union: `{ "type": BRANCH, "data": VALUE }`.  The tag
    /// is an implicit enum `<Union>Kind` and each branch type an implicit
    /// wrapper object with the one member `data`.
    Simple,
}

/// A union's tag and branches.
#[derive(Clone, Debug, PartialEq)]
pub struct Variants {
    /// The tag member's name.
    pub tag: Box<str>,
    /// The tag member's type, an enumeration.
    pub tag_type: DefId,
    /// The branches: those the schema gives, then one with type `q_empty`
    /// for each tag value without one.
    pub variants: Vec<Variant>,
    /// Flat or simple.
    pub kind: UnionKind,
}

/// A branch of a union or alternate.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// The branch name: a tag value, or an alternate's branch name.
    pub name: Box<str>,
    /// The branch type.
    pub ty: DefId,
    /// The condition under which QEMU has it.
    pub ifcond: Option<Box<Cond>>,
    /// Whether the schema left this tag value without a branch (its type
    /// is then `q_empty`).
    pub implicit: bool,
    /// The QEMU version that introduced it: its description's `(since
    /// X.Y)`, else the tag value's, else the union's or alternate's.
    pub since: Option<Version>,
    /// Which of the schemas merged into this model have it.
    pub presence: Presence,
}

/// An alternate.
#[derive(Clone, Debug, PartialEq)]
pub struct AlternateType {
    /// The branches.
    pub variants: Box<[Variant]>,
}

/// A command.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// The argument type, an object type (implicit when the arguments are
    /// written inline).
    pub arg_type: Option<DefId>,
    /// The return type.
    pub ret_type: Option<DefId>,
    /// `gen`: whether QEMU generates marshalling code for it.
    pub generate: bool,
    /// `success-response`: whether the server replies on success.  When
    /// false, no reply comes at all.
    pub success_response: bool,
    /// `boxed`: the arguments are one object passed as a whole.
    pub boxed: bool,
    /// `allow-oob`: may run out of band.
    pub allow_oob: bool,
    /// `allow-preconfig`: allowed before machine configuration is complete.
    pub allow_preconfig: bool,
    /// `coroutine`: runs in a coroutine in QEMU.
    pub coroutine: bool,
}

/// An event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The data type, an object type.
    pub arg_type: Option<DefId>,
    /// `boxed`.
    pub boxed: bool,
}

/// A feature of a definition, member or enum value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feature {
    /// The name.
    pub name: Box<str>,
    /// The condition under which it applies.
    pub ifcond: Option<Box<Cond>>,
}

impl Feature {
    /// `deprecated`
    pub fn is_deprecated(&self) -> bool {
        &*self.name == "deprecated"
    }

    /// `unstable`
    pub fn is_unstable(&self) -> bool {
        &*self.name == "unstable"
    }
}

impl Schema {
    /// The definition with this id.
    pub fn def(&self, id: DefId) -> &Definition {
        &self.defs[id.index()]
    }

    /// The definition named `name`.
    pub fn lookup(&self, name: &str) -> Option<DefId> {
        self.index.get(name, |id| &self.defs[id.index()].name)
    }

    /// The definition named `name`.
    pub fn get(&self, name: &str) -> Option<&Definition> {
        self.lookup(name).map(|id| self.def(id))
    }

    /// Ids of all definitions, in order.
    pub fn ids(&self) -> impl Iterator<Item = DefId> + '_ {
        (0..self.defs.len() as u32).map(DefId)
    }

    /// The commands, in order.
    pub fn commands(&self) -> impl Iterator<Item = &Definition> {
        self.defs
            .iter()
            .filter(|d| matches!(d.kind, DefKind::Command(_)))
    }

    /// The events, in order.
    pub fn events(&self) -> impl Iterator<Item = &Definition> {
        self.defs
            .iter()
            .filter(|d| matches!(d.kind, DefKind::Event(_)))
    }

    /// Every type a definition uses: element, base, members, tag and
    /// branches, arguments and return type.
    pub fn uses(&self, id: DefId) -> Vec<DefId> {
        let mut out = Vec::new();
        match &self.def(id).kind {
            DefKind::Array(a) => out.push(a.element),
            DefKind::Object(o) => {
                out.extend(o.base);
                out.extend(o.members.iter().map(|m| m.ty));
                if let Some(v) = &o.variants {
                    out.push(v.tag_type);
                    out.extend(v.variants.iter().map(|v| v.ty));
                }
            }
            DefKind::Alternate(a) => out.extend(a.variants.iter().map(|v| v.ty)),
            DefKind::Command(c) => out.extend(c.arg_type.iter().chain(&c.ret_type)),
            DefKind::Event(e) => out.extend(e.arg_type),
            DefKind::Builtin(_) | DefKind::Enum(_) => {}
        }
        out
    }

    /// The documentation of a definition.
    pub fn doc(&self, def: &Definition) -> Option<&Doc> {
        def.doc.map(|i| &self.docs[i.index()])
    }

    /// The module of a definition.
    pub fn module(&self, def: &Definition) -> &Module {
        &self.modules[def.module.index()]
    }
}

impl Definition {
    /// Whether QEMU made this type up rather than the schema defining it:
    /// built-ins, arrays, `q_`-prefixed object types (argument structs,
    /// inline union bases, `q_empty`, 5.2 simple-union wrappers), the
    /// `QType` enum and a 5.2 simple union's `<Name>Kind` enum.
    pub fn is_implicit(&self) -> bool {
        self.implicit
    }

    /// The kind's name as QEMU prints it in messages.
    pub fn meta(&self) -> &'static str {
        match &self.kind {
            DefKind::Builtin(_) => "built-in",
            DefKind::Enum(_) => "enum",
            DefKind::Array(_) => "array",
            DefKind::Object(o) if o.variants.is_some() => "union",
            DefKind::Object(_) => "struct",
            DefKind::Alternate(_) => "alternate",
            DefKind::Command(_) => "command",
            DefKind::Event(_) => "event",
        }
    }

    /// The JSON type of this type's values; `None` for commands and events.
    pub fn json_type(&self) -> Option<JsonType> {
        Some(match &self.kind {
            DefKind::Builtin(b) => b.json_type(),
            DefKind::Enum(_) => JsonType::String,
            DefKind::Array(_) => JsonType::Array,
            DefKind::Object(_) => JsonType::Object,
            DefKind::Alternate(_) => JsonType::Value,
            DefKind::Command(_) | DefKind::Event(_) => return None,
        })
    }

    /// Whether it has the `deprecated` feature.
    pub fn is_deprecated(&self) -> bool {
        self.features.iter().any(Feature::is_deprecated)
    }
}

#[cfg(test)]
mod tests {
    use std::mem::size_of;

    use super::*;

    /// The model holds one of each of these for every definition, member,
    /// enum value, branch and feature of the schema, so their sizes make up
    /// much of the memory `check` takes per input byte of a large schema.
    /// These bounds (for 64-bit targets) keep them from growing back.
    #[test]
    fn model_types_stay_small() {
        assert!(
            size_of::<Definition>() <= 128,
            "{}",
            size_of::<Definition>()
        );
        assert!(size_of::<DefKind>() <= 48, "{}", size_of::<DefKind>());
        assert!(size_of::<Member>() <= 72, "{}", size_of::<Member>());
        assert!(size_of::<EnumValue>() <= 56, "{}", size_of::<EnumValue>());
        assert!(size_of::<Variant>() <= 48, "{}", size_of::<Variant>());
        assert!(size_of::<Feature>() <= 24, "{}", size_of::<Feature>());
        assert!(size_of::<Option<Version>>() <= 8);
        assert!(size_of::<Option<DocId>>() <= 4);
    }
}
