//! What changed between two schemas, and whom each change breaks.
//!
//! ```no_run
//! let old = qapi_gen::load("5.2/qapi/qapi-schema.json", qapi_gen::Mode::Default)
//!     .map_err(|e| e.to_string())?;
//! let new = qapi_gen::load("7.2/qapi/qapi-schema.json", qapi_gen::Mode::Default)
//!     .map_err(|e| e.to_string())?;
//! let diff = qapi_gen::diff::diff(&old, &new);
//! print!("{}", diff.to_text());
//! # Ok::<(), String>(())
//! ```
//!
//! Definitions are matched by name; where a member's type has another
//! name in the other schema, the two are compared by their shape on the
//! wire (a 5.2 simple union and the flat union 10.2 made of it are the
//! same).  Each change is judged for two pairs of peers: an *old client*
//! (built from the old schema) talking to a *new server*, and a *new
//! client* talking to an *old server*.  What a change does to them depends
//! on the direction its type travels: in requests (arguments), in
//! replies and events, or both.  QMP's compatibility rules count: a peer
//! ignores members it does not know and keeps values and events it does
//! not know (these changes are *tolerated*), while a missing required
//! member, an argument the server does not know, a command it does not
//! have or a value of another type *breaks* the exchange.

mod fork;

use std::fmt::Write as _;

pub use fork::{Dependency, ForkItem, ForkReport, fork_report};

use crate::schema::shape::{Shapes, type_text};
use crate::schema::{
    Builtin, Command, DefId, DefKind, Definition, EnumType, Feature, JsonType, Member, ObjectType,
    Schema, Variant, Version,
};

/// The changes from one schema to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    /// What the old schema is called in the output.
    pub old: String,
    /// What the new schema is called in the output.
    pub new: String,
    /// The changes, grouped by definition: the new schema's definitions in
    /// its order, then those it removed in the old schema's order.
    pub changes: Vec<Change>,
}

/// One change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The definition's kind: `command`, `event`, `enum`, `struct`,
    /// `union` or `alternate` (in the new schema, unless removed).
    pub meta: &'static str,
    /// The definition's name.
    pub name: String,
    /// The member, argument, value or branch the change is about; `None`
    /// when it is about the definition as a whole.
    pub part: Option<Part>,
    /// What changed.
    pub what: What,
    /// Where values of the definition travel.
    pub direction: Direction,
    /// For something added, the QEMU version that introduced it, as its
    /// documentation says (for a member, value or branch, only when it
    /// gives one of its own).
    pub since: Option<Version>,
    /// What it does to a client built from the old schema talking to a
    /// server of the new one.
    pub old_client: Effect,
    /// What it does to a client built from the new schema talking to a
    /// server of the old one.
    pub new_client: Effect,
}

/// A member, argument, value or branch of a definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// What it is.
    pub role: Role,
    /// Its name on the wire.
    pub name: String,
    /// Where it is, when it is inside a type that the other schema names
    /// differently: the dotted path of the member or branch holding it
    /// (`pty.data` for a member of the data of branch `pty`).
    pub within: Option<String>,
}

/// The roles of a [`Part`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A member of a struct, union or event's data.
    Member,
    /// An argument of a command.
    Argument,
    /// A value of an enumeration.
    Value,
    /// A branch of a union or alternate.
    Branch,
    /// A command's return type.
    Returns,
    /// A command's or event's whole arguments or data, when given as a
    /// named type.
    Data,
}

impl Role {
    /// Its name in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Argument => "argument",
            Role::Value => "value",
            Role::Branch => "branch",
            Role::Returns => "returns",
            Role::Data => "data",
        }
    }
}

/// What changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// Added; for members, with their type and whether optional.
    Added {
        /// The type, for members and branches.
        ty: Option<String>,
        /// Whether the member may be absent.
        optional: bool,
    },
    /// Removed; for members, with their old type and optionality.
    Removed {
        /// The type, for members and branches.
        ty: Option<String>,
        /// Whether the member could be absent.
        optional: bool,
    },
    /// A member that was required became optional.
    MadeOptional,
    /// A member that was optional became required.
    MadeRequired,
    /// The type changed to one of another shape.
    TypeChanged {
        /// The old type.
        old: String,
        /// The new type.
        new: String,
    },
    /// The type has a new name, but the same shape on the wire.
    TypeRenamed {
        /// The old type.
        old: String,
        /// The new type.
        new: String,
    },
    /// The type is another of the same kind (object, enumeration or
    /// alternate); the changes inside it follow this one, with its path.
    TypeReworked {
        /// The old type.
        old: String,
        /// The new type.
        new: String,
    },
    /// A string became an enumeration or the reverse: the values are
    /// still strings.
    StringsChanged {
        /// The old type.
        old: String,
        /// The new type.
        new: String,
        /// Whether the new type is the enumeration.
        to_enum: bool,
    },
    /// An integer type became one of another range.
    RangeChanged {
        /// The old type.
        old: String,
        /// The new type.
        new: String,
    },
    /// The definition is of another kind (an enum became an alternate...).
    KindChanged {
        /// The old kind.
        old: &'static str,
        /// The new kind.
        new: &'static str,
    },
    /// It gained the `deprecated` feature.
    Deprecated,
    /// It lost the `deprecated` feature.
    NoLongerDeprecated,
    /// A command may no longer run out of band (`allow-oob`).
    OobDropped,
    /// A command may now run out of band.
    OobAdded,
    /// A command now sends a reply on success, or no longer does
    /// (`success-response`).
    ReplyChanged {
        /// Whether the new schema's command replies.
        replies: bool,
    },
}

/// Where values of a definition travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Nowhere: no command or event uses it.
    Unused,
    /// In requests (command arguments).
    Input,
    /// In replies and events.
    Output,
    /// Both ways.
    Both,
}

impl Direction {
    fn from_flags(input: bool, output: bool) -> Self {
        match (input, output) {
            (false, false) => Direction::Unused,
            (true, false) => Direction::Input,
            (false, true) => Direction::Output,
            (true, true) => Direction::Both,
        }
    }

    fn input(self) -> bool {
        matches!(self, Direction::Input | Direction::Both)
    }

    fn output(self) -> bool {
        matches!(self, Direction::Output | Direction::Both)
    }

    fn union(self, other: Direction) -> Self {
        Direction::from_flags(
            self.input() || other.input(),
            self.output() || other.output(),
        )
    }

    /// Its name in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Unused => "unused",
            Direction::Input => "input",
            Direction::Output => "output",
            Direction::Both => "input and output",
        }
    }
}

/// What a change does to one pair of peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// Nothing.
    Unaffected,
    /// The peer meets something it does not know, which QMP's
    /// compatibility rules have it ignore or keep as unknown; why.
    Tolerated(&'static str),
    /// A request fails or a reply does not decode; why.
    Breaks(&'static str),
}

impl Effect {
    /// Whether it breaks.
    pub fn breaks(self) -> bool {
        matches!(self, Effect::Breaks(_))
    }

    fn worst(self, other: Effect) -> Effect {
        self.max(other)
    }

    fn kind(self) -> &'static str {
        match self {
            Effect::Unaffected => "unaffected",
            Effect::Tolerated(_) => "tolerated",
            Effect::Breaks(_) => "breaks",
        }
    }

    fn why(self) -> &'static str {
        match self {
            Effect::Unaffected => "",
            Effect::Tolerated(w) | Effect::Breaks(w) => w,
        }
    }
}

/// The effects of a change on the old and the new client.
type Effects = (Effect, Effect);

const NONE: Effects = (Effect::Unaffected, Effect::Unaffected);

/// What a change of a member, value or branch does, for values travelling
/// in `dir`: the worst of what it does in each direction.
fn effects(what: &What, role: Role, dir: Direction) -> Effects {
    let mut out = NONE;
    for (on, input) in [(dir.input(), true), (dir.output(), false)] {
        if !on {
            continue;
        }
        let e = if input {
            input_effects(what, role)
        } else {
            output_effects(what, role)
        };
        out = (out.0.worst(e.0), out.1.worst(e.1));
    }
    out
}

/// Changes to what clients send.
fn input_effects(what: &What, role: Role) -> Effects {
    use Effect::*;
    match what {
        What::Added { .. } if role == Role::Value => (
            Unaffected,
            Breaks("an old server rejects the new value, if sent"),
        ),
        What::Added { .. } if role == Role::Branch => (
            Unaffected,
            Breaks("an old server rejects the new branch, if sent"),
        ),
        What::Added { optional: true, .. } => (
            Unaffected,
            Breaks("an old server rejects the member, if sent"),
        ),
        What::Added { .. } => (
            Breaks("an old client does not send the required member"),
            Breaks("an old server rejects the member"),
        ),
        What::Removed { .. } if role == Role::Value => (
            Breaks("the new server rejects the value, if sent"),
            Unaffected,
        ),
        What::Removed { .. } if role == Role::Branch => (
            Breaks("the new server rejects the branch, if sent"),
            Unaffected,
        ),
        What::Removed { optional: true, .. } => (
            Breaks("the new server rejects the member, if sent"),
            Unaffected,
        ),
        What::Removed { .. } => (
            Breaks("the new server rejects the member an old client sends"),
            Breaks("a new client leaves out what an old server requires"),
        ),
        What::MadeOptional => (
            Unaffected,
            Breaks("an old server requires the member, if left out"),
        ),
        What::MadeRequired => (
            Breaks("the new server requires the member, if left out"),
            Unaffected,
        ),
        What::TypeChanged { .. } | What::KindChanged { .. } => (
            Breaks("the values sent are of another type"),
            Breaks("the values sent are of another type"),
        ),
        What::StringsChanged { to_enum: true, .. } => (
            Breaks("the new server rejects strings that are not values of the enumeration"),
            Unaffected,
        ),
        What::RangeChanged { .. } => (
            Breaks("the new server rejects values out of its range, if sent"),
            Breaks("an old server rejects values out of its range, if sent"),
        ),
        _ => NONE,
    }
}

/// Changes to what servers send.
fn output_effects(what: &What, role: Role) -> Effects {
    use Effect::*;
    let value = matches!(role, Role::Value | Role::Branch);
    match what {
        What::Added { .. } if value => (Tolerated("an unknown value is kept as such"), Unaffected),
        What::Added { optional: true, .. } => {
            (Tolerated("an unknown member is ignored"), Unaffected)
        }
        What::Added { .. } => (
            Tolerated("an unknown member is ignored"),
            Breaks("an old server leaves out the required member"),
        ),
        What::Removed { .. } if value => {
            (Unaffected, Tolerated("an unknown value is kept as such"))
        }
        What::Removed { optional: true, .. } => {
            (Unaffected, Tolerated("an unknown member is ignored"))
        }
        What::Removed { .. } => (
            Breaks("the new server leaves out a member an old client requires"),
            Tolerated("an unknown member is ignored"),
        ),
        What::MadeOptional => (
            Breaks("the new server may leave out the member"),
            Unaffected,
        ),
        What::MadeRequired => (Unaffected, Breaks("an old server may leave out the member")),
        What::TypeChanged { .. } | What::KindChanged { .. } => (
            Breaks("the values received are of another type"),
            Breaks("the values received are of another type"),
        ),
        What::StringsChanged { to_enum: true, .. } => {
            (Unaffected, Tolerated("an unknown value is kept as such"))
        }
        What::StringsChanged { to_enum: false, .. } => {
            (Tolerated("an unknown value is kept as such"), Unaffected)
        }
        What::RangeChanged { .. } => (
            Breaks("a value out of the old range does not decode"),
            Breaks("a value out of the new range does not decode"),
        ),
        _ => NONE,
    }
}

/// For each definition of a schema, where its values travel.
fn directions(schema: &Schema) -> Vec<Direction> {
    let reach = |roots: Vec<DefId>| {
        let mut seen = vec![false; schema.defs.len()];
        let mut stack = roots;
        while let Some(id) = stack.pop() {
            if !std::mem::replace(&mut seen[id.index()], true) {
                stack.extend(schema.uses(id));
            }
        }
        seen
    };
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for d in &schema.defs {
        match &d.kind {
            DefKind::Command(c) => {
                inputs.extend(c.arg_type);
                outputs.extend(c.ret_type);
            }
            DefKind::Event(e) => outputs.extend(e.arg_type),
            _ => {}
        }
    }
    let (i, o) = (reach(inputs), reach(outputs));
    i.into_iter()
        .zip(o)
        .map(|(i, o)| Direction::from_flags(i, o))
        .collect()
}

/// Whether a definition is reported on its own: commands, events, and the
/// types the schema names (not arrays, built-ins or QEMU's implicit types).
fn reported(def: &Definition) -> bool {
    match def.kind {
        DefKind::Command(_) | DefKind::Event(_) => true,
        DefKind::Builtin(_) | DefKind::Array(_) => false,
        _ => !def.implicit,
    }
}

/// Compares two schemas.  `old` and `new` are what the output calls them.
pub fn diff(old: &Schema, new: &Schema) -> Diff {
    let mut d = Differ {
        old,
        new,
        old_dirs: directions(old),
        new_dirs: directions(new),
        shapes: Shapes::new(old, new),
        inside: Vec::new(),
        changes: Vec::new(),
    };
    for id in new.ids() {
        let def = new.def(id);
        if !reported(def) {
            continue;
        }
        match old.lookup(&def.name) {
            Some(o) if reported(old.def(o)) => d.definition(o, id),
            _ => d.added_definition(id),
        }
    }
    for id in old.ids() {
        let def = old.def(id);
        if reported(def) && !new.lookup(&def.name).is_some_and(|n| reported(new.def(n))) {
            d.removed_definition(id);
        }
    }
    Diff {
        old: old
            .origins
            .first()
            .map_or_else(String::new, |o| o.label.clone()),
        new: new
            .origins
            .first()
            .map_or_else(String::new, |o| o.label.clone()),
        changes: d.changes,
    }
}

struct Differ<'a> {
    old: &'a Schema,
    new: &'a Schema,
    old_dirs: Vec<Direction>,
    new_dirs: Vec<Direction>,
    shapes: Shapes<'a>,
    /// Pairs of differently named types being compared inside the current
    /// definition (a type may contain itself).
    inside: Vec<(DefId, DefId)>,
    changes: Vec<Change>,
}

/// The members an object reports as its own: those it defines, and those
/// of an implicit base (a union's inline base); a named base reports its
/// members itself.
fn own_members<'s>(schema: &'s Schema, id: DefId, o: &'s ObjectType) -> Vec<&'s Member> {
    o.members
        .iter()
        .filter(|m| m.defined_in == id || schema.def(m.defined_in).implicit)
        .collect()
}

/// Where in a definition a change is: the dotted path of the members and
/// branches leading to it (empty at the definition itself).
#[derive(Clone, Copy)]
struct At<'p> {
    within: &'p str,
    dir: Direction,
}

impl At<'_> {
    fn join(&self, name: &str) -> String {
        if self.within.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.within)
        }
    }
}

impl Differ<'_> {
    fn push(
        &mut self,
        def: &Definition,
        part: Option<(Role, &str)>,
        at: At,
        what: What,
        since: Option<Version>,
    ) {
        let role = part.map_or(Role::Member, |(r, _)| r);
        let dir = at.dir;
        let (old_client, new_client) = match (&what, part) {
            (What::Added { .. }, None) | (What::Removed { .. }, None) => {
                definition_effects(def, &what)
            }
            (What::OobDropped, _) => (
                Effect::Breaks("the new server rejects it out of band"),
                Effect::Unaffected,
            ),
            (What::OobAdded, _) => (
                Effect::Unaffected,
                Effect::Breaks("an old server rejects it out of band"),
            ),
            (What::ReplyChanged { .. }, _) => (
                Effect::Breaks("a reply comes or does not come, unlike before"),
                Effect::Breaks("a reply comes or does not come, unlike before"),
            ),
            _ => effects(&what, role, dir),
        };
        // A part's version where its documentation gives one of its own:
        // the definition's says nothing about when the part came.
        let since = since.filter(|&v| part.is_none() || Some(v) != def.since);
        self.changes.push(Change {
            meta: def.meta(),
            name: def.name.to_string(),
            part: part.map(|(role, name)| Part {
                role,
                name: name.to_string(),
                within: (!at.within.is_empty()).then(|| at.within.to_string()),
            }),
            what,
            direction: dir,
            since,
            old_client,
            new_client,
        });
    }

    fn added_definition(&mut self, id: DefId) {
        let def = self.new.def(id);
        let what = What::Added {
            ty: None,
            optional: false,
        };
        let at = At {
            within: "",
            dir: self.new_dirs[id.index()],
        };
        self.push(def, None, at, what, def.since);
    }

    fn removed_definition(&mut self, id: DefId) {
        let def = self.old.def(id);
        let what = What::Removed {
            ty: None,
            optional: false,
        };
        let at = At {
            within: "",
            dir: self.old_dirs[id.index()],
        };
        self.push(def, None, at, what, None);
    }

    /// A definition in both schemas.
    fn definition(&mut self, o: DefId, n: DefId) {
        let (old, new) = (self.old, self.new);
        let (od, nd) = (old.def(o), new.def(n));
        let at = At {
            within: "",
            dir: self.old_dirs[o.index()].union(self.new_dirs[n.index()]),
        };
        self.inside.clear();
        self.features(nd, None, at, &od.features, &nd.features);
        match (&od.kind, &nd.kind) {
            (DefKind::Enum(a), DefKind::Enum(b)) => self.values(nd, at, a, b),
            (DefKind::Object(a), DefKind::Object(b)) => {
                let am = own_members(old, o, a);
                let bm = own_members(new, n, b);
                self.object(nd, at, &am, a, &bm, b);
            }
            (DefKind::Alternate(a), DefKind::Alternate(b)) => {
                let av: Vec<&Variant> = a.variants.iter().collect();
                let bv: Vec<&Variant> = b.variants.iter().collect();
                self.variants(nd, at, &av, &bv);
            }
            (DefKind::Command(a), DefKind::Command(b)) => self.command(nd, a, b),
            (DefKind::Event(a), DefKind::Event(b)) => {
                let at = At {
                    within: "",
                    dir: Direction::Output,
                };
                self.data(nd, at, Role::Member, a.arg_type, b.arg_type)
            }
            _ => {
                let what = What::KindChanged {
                    old: od.meta(),
                    new: nd.meta(),
                };
                self.push(nd, None, at, what, None);
            }
        }
    }

    fn features(
        &mut self,
        def: &Definition,
        part: Option<(Role, &str)>,
        at: At,
        old: &[Feature],
        new: &[Feature],
    ) {
        let (a, b) = (
            old.iter().any(Feature::is_deprecated),
            new.iter().any(Feature::is_deprecated),
        );
        if a != b {
            let what = if b {
                What::Deprecated
            } else {
                What::NoLongerDeprecated
            };
            self.push(def, part, at, what, None);
        }
    }

    fn values(&mut self, def: &Definition, at: At, a: &EnumType, b: &EnumType) {
        for v in &b.values {
            let part = Some((Role::Value, &*v.name));
            match a.values.iter().find(|w| w.name == v.name) {
                None => {
                    let what = What::Added {
                        ty: None,
                        optional: false,
                    };
                    self.push(def, part, at, what, v.since);
                }
                Some(w) => self.features(def, part, at, &w.features, &v.features),
            }
        }
        for w in &a.values {
            if !b.values.iter().any(|v| v.name == w.name) {
                let what = What::Removed {
                    ty: None,
                    optional: false,
                };
                self.push(def, Some((Role::Value, &w.name)), at, what, None);
            }
        }
    }

    /// The members and branches of an object (a struct or union).
    fn object(
        &mut self,
        def: &Definition,
        at: At,
        am: &[&Member],
        a: &ObjectType,
        bm: &[&Member],
        b: &ObjectType,
    ) {
        self.members(def, at, Role::Member, am, bm);
        let given = |v: &&Variant| !v.implicit;
        let av: Vec<&Variant> = a
            .variants
            .iter()
            .flat_map(|v| &v.variants)
            .filter(given)
            .collect();
        let bv: Vec<&Variant> = b
            .variants
            .iter()
            .flat_map(|v| &v.variants)
            .filter(given)
            .collect();
        // Tag values without a branch are reported with the tag's
        // enumeration; a struct that became a union gains branches.
        self.variants(def, at, &av, &bv);
    }

    fn members(&mut self, def: &Definition, at: At, role: Role, a: &[&Member], b: &[&Member]) {
        let (old, new) = (self.old, self.new);
        for m in b {
            let part = Some((role, &*m.name));
            let Some(w) = a.iter().find(|w| w.name == m.name) else {
                let what = What::Added {
                    ty: Some(type_text(new, m.ty)),
                    optional: m.optional,
                };
                self.push(def, part, at, what, m.since);
                continue;
            };
            if w.optional != m.optional {
                let what = if m.optional {
                    What::MadeOptional
                } else {
                    What::MadeRequired
                };
                self.push(def, part, at, what, None);
            }
            self.features(def, part, at, &w.features, &m.features);
            self.types(def, (role, &m.name), at, w.ty, m.ty);
        }
        for w in a {
            if !b.iter().any(|m| m.name == w.name) {
                let what = What::Removed {
                    ty: Some(type_text(old, w.ty)),
                    optional: w.optional,
                };
                self.push(def, Some((role, &w.name)), at, what, None);
            }
        }
    }

    /// The types of one member, branch, return or data in both schemas.
    /// Types named alike report their own changes.  Others are the same
    /// when their shapes are; if not, what changed inside them is reported
    /// here, under the path of the part, as far as both are of one kind.
    fn types(&mut self, def: &Definition, part: (Role, &str), at: At, a: DefId, b: DefId) {
        let (old, new) = (self.old, self.new);
        let (at_text, bt_text) = (type_text(old, a), type_text(new, b));
        // Arrays of arrays of ...: compare the elements.
        let (mut a, mut b) = (a, b);
        while let (DefKind::Array(x), DefKind::Array(y)) = (&old.def(a).kind, &new.def(b).kind) {
            (a, b) = (x.element, y.element);
        }
        let (da, db) = (old.def(a), new.def(b));
        if !da.implicit && !db.implicit && da.name == db.name {
            return;
        }
        if self.shapes.same(a, b) {
            if at_text != bt_text {
                let what = What::TypeRenamed {
                    old: at_text,
                    new: bt_text,
                };
                self.push(def, Some(part), at, what, None);
            }
            return;
        }
        if self.inside.contains(&(a, b)) {
            return;
        }
        self.inside.push((a, b));
        let path = match part.0 {
            Role::Returns | Role::Data => at.within.to_string(),
            _ => at.join(part.1),
        };
        let inner = At {
            within: &path,
            dir: at.dir,
        };
        let reworked = What::TypeReworked {
            old: at_text.clone(),
            new: bt_text.clone(),
        };
        match (&da.kind, &db.kind) {
            (DefKind::Enum(x), DefKind::Enum(y)) => {
                self.push(def, Some(part), at, reworked, None);
                self.values(def, inner, x, y);
            }
            (DefKind::Object(x), DefKind::Object(y)) => {
                // An implicit wrapper says nothing a reader needs.
                if !(da.implicit || db.implicit) {
                    self.push(def, Some(part), at, reworked, None);
                }
                let xm: Vec<&Member> = x.members.iter().collect();
                let ym: Vec<&Member> = y.members.iter().collect();
                self.object(def, inner, &xm, x, &ym, y);
            }
            (DefKind::Alternate(x), DefKind::Alternate(y)) => {
                self.push(def, Some(part), at, reworked, None);
                let xv: Vec<&Variant> = x.variants.iter().collect();
                let yv: Vec<&Variant> = y.variants.iter().collect();
                self.variants(def, inner, &xv, &yv);
            }
            (x, y) if is_string(x) && is_string(y) => {
                let what = What::StringsChanged {
                    old: at_text,
                    new: bt_text,
                    to_enum: matches!(y, DefKind::Enum(_)),
                };
                self.push(def, Some(part), at, what, None);
            }
            (DefKind::Builtin(x), DefKind::Builtin(y))
                if x.json_type() == JsonType::Int && y.json_type() == JsonType::Int =>
            {
                let what = What::RangeChanged {
                    old: at_text,
                    new: bt_text,
                };
                self.push(def, Some(part), at, what, None);
            }
            _ => {
                let what = What::TypeChanged {
                    old: at_text,
                    new: bt_text,
                };
                self.push(def, Some(part), at, what, None);
            }
        }
    }

    fn variants(&mut self, def: &Definition, at: At, a: &[&Variant], b: &[&Variant]) {
        let (old, new) = (self.old, self.new);
        for v in b {
            match a.iter().find(|w| w.name == v.name) {
                None => {
                    let what = What::Added {
                        ty: Some(type_text(new, v.ty)),
                        optional: false,
                    };
                    self.push(def, Some((Role::Branch, &v.name)), at, what, v.since);
                }
                Some(w) => self.types(def, (Role::Branch, &v.name), at, w.ty, v.ty),
            }
        }
        for w in a {
            if !b.iter().any(|v| v.name == w.name) {
                let what = What::Removed {
                    ty: Some(type_text(old, w.ty)),
                    optional: false,
                };
                self.push(def, Some((Role::Branch, &w.name)), at, what, None);
            }
        }
    }

    fn command(&mut self, def: &Definition, a: &Command, b: &Command) {
        let input = At {
            within: "",
            dir: Direction::Input,
        };
        let output = At {
            within: "",
            dir: Direction::Output,
        };
        self.data(def, input, Role::Argument, a.arg_type, b.arg_type);
        match (a.ret_type, b.ret_type) {
            (Some(x), Some(y)) => self.types(def, (Role::Returns, ""), output, x, y),
            (None, None) => {}
            (x, y) => {
                let what = What::TypeChanged {
                    old: optional_type_text(self.old, x),
                    new: optional_type_text(self.new, y),
                };
                self.push(def, Some((Role::Returns, "")), output, what, None);
            }
        }
        if a.allow_oob && !b.allow_oob {
            self.push(def, None, input, What::OobDropped, None);
        } else if !a.allow_oob && b.allow_oob {
            self.push(def, None, input, What::OobAdded, None);
        }
        if a.success_response != b.success_response {
            let what = What::ReplyChanged {
                replies: b.success_response,
            };
            self.push(def, None, output, what, None);
        }
    }

    /// A command's arguments or an event's data.  Members written inline
    /// on either side are compared one by one (with those of the other
    /// side's named struct, if it has one); two named types as types.
    fn data(&mut self, def: &Definition, at: At, role: Role, a: Option<DefId>, b: Option<DefId>) {
        let (old, new) = (self.old, self.new);
        let inline = |s: &Schema, t: Option<DefId>| t.is_none_or(|t| s.def(t).implicit);
        if (inline(old, a) || inline(new, b))
            && let (Some(am), Some(bm)) = (struct_members(old, a), struct_members(new, b))
        {
            self.members(def, at, role, &am, &bm);
            return;
        }
        match (a, b) {
            (Some(x), Some(y)) => self.types(def, (Role::Data, ""), at, x, y),
            _ => {
                let what = What::TypeChanged {
                    old: optional_type_text(old, a),
                    new: optional_type_text(new, b),
                };
                self.push(def, Some((Role::Data, "")), at, what, None);
            }
        }
    }
}

fn optional_type_text(schema: &Schema, ty: Option<DefId>) -> String {
    ty.map_or_else(|| "nothing".to_string(), |t| type_text(schema, t))
}

/// The members of a struct without branches (none for no type at all);
/// `None` for other types.
fn struct_members(schema: &Schema, ty: Option<DefId>) -> Option<Vec<&Member>> {
    let Some(t) = ty else {
        return Some(Vec::new());
    };
    match &schema.def(t).kind {
        DefKind::Object(o) if o.variants.is_none() => Some(o.members.iter().collect()),
        _ => None,
    }
}

/// Whether values of a type are strings: `str` and enumerations.
fn is_string(kind: &DefKind) -> bool {
    matches!(kind, DefKind::Enum(_) | DefKind::Builtin(Builtin::Str))
}

/// What adding or removing a whole definition does.
fn definition_effects(def: &Definition, what: &What) -> Effects {
    use Effect::*;
    let added = matches!(what, What::Added { .. });
    match (&def.kind, added) {
        (DefKind::Command(_), true) => (
            Unaffected,
            Breaks("an old server does not have the command, if called"),
        ),
        (DefKind::Command(_), false) => (
            Breaks("the new server does not have the command, if called"),
            Unaffected,
        ),
        (DefKind::Event(_), true) => (Tolerated("an unknown event is kept as such"), Unaffected),
        (DefKind::Event(_), false) => (Unaffected, Tolerated("an unknown event is kept as such")),
        // A type matters through the members that use it.
        _ => NONE,
    }
}

impl Change {
    /// The change as one line of text, without its effects: `+ member
    /// 'acpi': bool (since 8.0)`.
    pub fn summary(&self) -> String {
        let part = match &self.part {
            Some(Part {
                role: role @ (Role::Returns | Role::Data),
                ..
            }) => role.as_str().to_string(),
            Some(Part {
                role,
                name,
                within: Some(w),
            }) => format!("{} '{name}' in '{w}'", role.as_str()),
            Some(p) => format!("{} '{}'", p.role.as_str(), p.name),
            None => format!("{} {}", self.meta, self.name),
        };
        let since = |s: &mut String| {
            if let Some(v) = self.since {
                let _ = write!(s, " (since {v})");
            }
        };
        let mut s = String::new();
        match &self.what {
            What::Added { ty, optional } => {
                let _ = write!(s, "+ {part}");
                if let Some(t) = ty {
                    let _ = write!(s, ": {t}");
                    if *optional {
                        s.push_str(", optional");
                    }
                }
                since(&mut s);
            }
            What::Removed { ty, optional } => {
                let _ = write!(s, "- {part}");
                if let Some(t) = ty {
                    let _ = write!(s, ": {t}");
                    if *optional {
                        s.push_str(", optional");
                    }
                }
            }
            What::MadeOptional => {
                let _ = write!(s, "~ {part}: now optional");
            }
            What::MadeRequired => {
                let _ = write!(s, "~ {part}: now required");
            }
            What::TypeChanged { old, new } => {
                let _ = write!(s, "~ {part}: {old} -> {new}");
            }
            What::TypeRenamed { old, new } => {
                let _ = write!(s, "~ {part}: {old} -> {new} (same shape)");
            }
            What::TypeReworked { old, new } => {
                let _ = write!(s, "~ {part}: {old} -> {new}, changed as follows");
            }
            What::StringsChanged { old, new, .. } => {
                let _ = write!(s, "~ {part}: {old} -> {new} (strings both)");
            }
            What::RangeChanged { old, new } => {
                let _ = write!(s, "~ {part}: {old} -> {new} (another integer range)");
            }
            What::KindChanged { old, new } => {
                let _ = write!(s, "~ {part}: {old} -> {new}");
            }
            What::Deprecated => {
                let _ = write!(s, "~ {part}: deprecated");
            }
            What::NoLongerDeprecated => {
                let _ = write!(s, "~ {part}: no longer deprecated");
            }
            What::OobDropped => s.push_str("~ no longer allowed out of band"),
            What::OobAdded => s.push_str("~ now allowed out of band"),
            What::ReplyChanged { replies: true } => s.push_str("~ now replies on success"),
            What::ReplyChanged { replies: false } => s.push_str("~ no longer replies on success"),
        }
        s
    }

    fn what_name(&self) -> &'static str {
        match self.what {
            What::Added { .. } => "added",
            What::Removed { .. } => "removed",
            What::MadeOptional => "made-optional",
            What::MadeRequired => "made-required",
            What::TypeChanged { .. } => "type-changed",
            What::TypeRenamed { .. } => "type-renamed",
            What::TypeReworked { .. } => "type-reworked",
            What::StringsChanged { .. } => "strings-changed",
            What::RangeChanged { .. } => "range-changed",
            What::KindChanged { .. } => "kind-changed",
            What::Deprecated => "deprecated",
            What::NoLongerDeprecated => "no-longer-deprecated",
            What::OobDropped => "oob-dropped",
            What::OobAdded => "oob-added",
            What::ReplyChanged { .. } => "reply-changed",
        }
    }
}

impl Diff {
    /// How many changes break an old client of the new server, and how
    /// many a new client of the old server.
    pub fn breaking(&self) -> (usize, usize) {
        (
            self.changes
                .iter()
                .filter(|c| c.old_client.breaks())
                .count(),
            self.changes
                .iter()
                .filter(|c| c.new_client.breaks())
                .count(),
        )
    }

    /// The changes as text: a summary, then the changes by definition,
    /// each with what it breaks.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let (old_breaks, new_breaks) = self.breaking();
        let defs = {
            let mut names: Vec<(&str, &str)> = self
                .changes
                .iter()
                .map(|c| (c.meta, c.name.as_str()))
                .collect();
            names.dedup();
            names.len()
        };
        let _ = writeln!(
            out,
            "{} -> {}: {} in {}",
            self.old,
            self.new,
            count(self.changes.len(), "change"),
            count(defs, "definition")
        );
        let _ = writeln!(
            out,
            "  {old_breaks} break an old client of a new server, {new_breaks} a new client of an old server"
        );
        // Changes of parts under a heading naming their definition;
        // changes of whole definitions in runs of their own.
        let mut current: Option<(&str, &str)> = None;
        let mut whole = false;
        for c in &self.changes {
            if c.part.is_some() && current != Some((c.meta, &c.name)) {
                let _ = writeln!(out, "\n{} {} ({})", c.meta, c.name, c.direction.as_str());
            } else if c.part.is_none() && !whole {
                out.push('\n');
            }
            whole = c.part.is_none();
            current = Some((c.meta, &c.name));
            let indent = if c.part.is_some() { "  " } else { "" };
            let _ = writeln!(out, "{indent}{}", c.summary());
            for (who, e) in [
                ("an old client of a new server", c.old_client),
                ("a new client of an old server", c.new_client),
            ] {
                if let Effect::Breaks(why) = e {
                    let _ = writeln!(out, "{indent}    breaks {who}: {why}");
                }
            }
        }
        out
    }

    /// The changes as JSON: `{"old": .., "new": .., "changes": [..]}`,
    /// one object per change with its definition, part, kind of change,
    /// direction, version and both effects.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "{{\"old\": {}, \"new\": {}, \"changes\": [",
            json_str(&self.old),
            json_str(&self.new)
        );
        for (i, c) in self.changes.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            let _ = write!(
                out,
                "  {{\"meta\": {}, \"name\": {}",
                json_str(c.meta),
                json_str(&c.name)
            );
            if let Some(p) = &c.part {
                let _ = write!(
                    out,
                    ", \"part\": {{\"role\": {}, \"name\": {}",
                    json_str(p.role.as_str()),
                    json_str(&p.name)
                );
                if let Some(w) = &p.within {
                    let _ = write!(out, ", \"within\": {}", json_str(w));
                }
                out.push('}');
            }
            let _ = write!(out, ", \"change\": {}", json_str(c.what_name()));
            match &c.what {
                What::Added { ty, optional } | What::Removed { ty, optional } => {
                    if let Some(t) = ty {
                        let _ =
                            write!(out, ", \"type\": {}, \"optional\": {optional}", json_str(t));
                    }
                }
                What::TypeChanged { old, new }
                | What::TypeRenamed { old, new }
                | What::TypeReworked { old, new }
                | What::StringsChanged { old, new, .. }
                | What::RangeChanged { old, new } => {
                    let _ = write!(
                        out,
                        ", \"old-type\": {}, \"new-type\": {}",
                        json_str(old),
                        json_str(new)
                    );
                }
                What::KindChanged { old, new } => {
                    let _ = write!(
                        out,
                        ", \"old-kind\": {}, \"new-kind\": {}",
                        json_str(old),
                        json_str(new)
                    );
                }
                What::ReplyChanged { replies } => {
                    let _ = write!(out, ", \"replies\": {replies}");
                }
                _ => {}
            }
            let _ = write!(out, ", \"direction\": {}", json_str(c.direction.as_str()));
            if let Some(v) = c.since {
                let _ = write!(out, ", \"since\": {}", json_str(&v.to_string()));
            }
            for (key, e) in [("old-client", c.old_client), ("new-client", c.new_client)] {
                let _ = write!(out, ", \"{key}\": {{\"effect\": {}", json_str(e.kind()));
                if !e.why().is_empty() {
                    let _ = write!(out, ", \"why\": {}", json_str(e.why()));
                }
                out.push('}');
            }
            out.push('}');
        }
        out.push_str(if self.changes.is_empty() {
            "]}\n"
        } else {
            "\n]}\n"
        });
        out
    }
}

/// `1 change`, `2 changes`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
