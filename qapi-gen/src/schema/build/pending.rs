//! Definitions as entered, before they are checked: their type references
//! are still names, resolved when the definition is checked.

use std::rc::Rc;

#[cfg(doc)]
use super::super::Command;
use super::super::{Builtin, Cond, DefId, DefKind, Definition, Feature};
use crate::source::Loc;

/// A type as a definition names it: the definition of that name when it
/// was entered before (a name, once defined, only ever means that one), or
/// else the name, looked up when the definition is checked.  (Most
/// references are to built-in types and to definitions above: those need
/// no copy of the name.  16 bytes, as a name alone.)
#[derive(Clone, Debug)]
pub(super) enum TypeName {
    Entered(DefId),
    Later(Box<str>),
}

/// A member before its type is resolved.  (It is defined by the object
/// type listing it, on that type's line.  Its lists and strings never grow,
/// so are kept without room to.)
#[derive(Clone, Debug)]
pub(super) struct PMember {
    pub(super) name: Box<str>,
    pub(super) ty: TypeName,
    pub(super) optional: bool,
    /// Its condition and features, which few members have.  (Boxed: every
    /// member would otherwise have room for them.)
    extra: Option<Box<MemberExtra>>,
}

#[derive(Clone, Debug)]
struct MemberExtra {
    ifcond: Option<Box<Cond>>,
    features: Box<[Feature]>,
}

impl PMember {
    pub(super) fn new(
        name: Box<str>,
        ty: TypeName,
        optional: bool,
        ifcond: Option<Box<Cond>>,
        features: Box<[Feature]>,
    ) -> Self {
        let extra = (ifcond.is_some() || !features.is_empty())
            .then(|| Box::new(MemberExtra { ifcond, features }));
        PMember {
            name,
            ty,
            optional,
            extra,
        }
    }

    /// A member without condition or features.
    pub(super) fn plain(name: &str, ty: TypeName) -> Self {
        PMember::new(name.into(), ty, false, None, Box::default())
    }

    pub(super) fn features(&self) -> &[Feature] {
        self.extra.as_ref().map_or(&[], |e| &e.features)
    }

    /// Its condition and features, taken.
    pub(super) fn take_extra(&mut self) -> (Option<Box<Cond>>, Box<[Feature]>) {
        match self.extra.take() {
            Some(e) => (e.ifcond, e.features),
            None => (None, Box::default()),
        }
    }
}

#[derive(Clone, Debug)]
pub(super) struct PVariant {
    pub(super) name: String,
    pub(super) ty: TypeName,
    pub(super) ifcond: Option<Box<Cond>>,
    pub(super) loc: Option<Loc>,
    pub(super) defined_in: String,
    pub(super) implicit: bool,
}

/// What of a definition is still to be checked, and what kind it is.
#[derive(Debug)]
pub(super) enum Pending {
    Builtin(Builtin),
    /// (The values are in the definition's kind from the start.)
    Enum,
    Array {
        /// (Boxed: beside the kind, a reference does not fit in the 16
        /// bytes the other kinds take.)
        element: Box<TypeName>,
    },
    /// A struct or union: whether a union, and until checked, the rest.
    Object {
        union: bool,
        unchecked: Option<Box<PObject>>,
    },
    Alternate(Rc<Vec<PVariant>>),
    /// (Boxed: the other kinds are smaller, and every pending definition
    /// has room for the largest.  Taken when the command is checked.)
    Command(Option<Box<PCommand>>),
    Event {
        /// (Taken when the event is checked.  Boxed: an optional reference
        /// takes 24 bytes, and every pending definition has room for the
        /// largest kind.)
        arg: Option<Box<TypeName>>,
        boxed: bool,
    },
}

/// A command before its types are resolved: [`Command`]'s flags, with
/// the types as named.
#[derive(Debug)]
pub(super) struct PCommand {
    pub(super) arg: Option<TypeName>,
    pub(super) ret: Option<TypeName>,
    pub(super) generate: bool,
    pub(super) success_response: bool,
    pub(super) boxed: bool,
    pub(super) allow_oob: bool,
    pub(super) allow_preconfig: bool,
    pub(super) coroutine: bool,
}

#[derive(Debug)]
pub(super) struct PObject {
    pub(super) base: Option<TypeName>,
    /// (Never grows: kept without room to.)
    pub(super) local: Box<[PMember]>,
    /// A union's tag and branches.  (Boxed: most objects are structs.)
    pub(super) variants: Option<Box<PVariants>>,
}

/// A union's tag and branches before they are checked.
#[derive(Debug)]
pub(super) struct PVariants {
    /// The tag name (flat unions) or tag member (simple unions).
    pub(super) tag: PVariantsTag,
    /// The branches as written.
    pub(super) branches: Vec<PVariant>,
}

#[derive(Clone, Debug)]
pub(super) enum PVariantsTag {
    Flat(String),
    /// (Boxed: every pending object has room for a tag.)
    Simple(Box<PMember>),
}

impl Pending {
    /// A struct or union to be checked.
    pub(super) fn object(p: PObject) -> Self {
        Pending::Object {
            union: p.variants.is_some(),
            unchecked: Some(Box::new(p)),
        }
    }
}

/// A definition being entered: the model's definition, whose kind is
/// [`UNCHECKED`] until it is checked (but for built-in types and
/// enumerations, whose kind is known from the start), and what is still to
/// be checked.
pub(super) struct Entry {
    pub(super) def: Definition,
    pub(super) pending: Pending,
}

/// The kind an entered definition has until it is checked; the `Builder`'s
/// `state` tells which definitions are checked.
pub(super) const UNCHECKED: DefKind = DefKind::Builtin(Builtin::Any);

#[cfg(test)]
mod tests {
    use super::*;

    /// One pending form per definition and per member exists at once when
    /// every definition has been entered: their sizes are most of a large
    /// schema's peak memory beside the model.
    #[test]
    fn pending_forms_stay_small() {
        use std::mem::size_of;
        assert!(size_of::<TypeName>() <= 16);
        assert!(size_of::<Pending>() <= 16);
        assert!(size_of::<PMember>() <= 48);
        assert!(size_of::<PCommand>() <= 56);
        assert!(size_of::<PObject>() <= 48);
    }
}
