//! Checking each entered definition: resolving its type references,
//! flattening an object's members (base first), a union's branches against
//! its tag enum, an alternate's branches against each other, and what a
//! command or event takes and returns.

use std::collections::HashSet;
use std::rc::Rc;

use super::clash::{CName, Role, Seen, SeenMap};
use super::docs::Connected;
use super::pending::{PCommand, PMember, PObject, PVariant, PVariantsTag, Pending, TypeName};
use super::{Builder, MAX_CHECK_DEPTH, SPECIAL_FEATURES, State};
use crate::diag::Diagnostic;
use crate::schema::{
    AlternateType, ArrayType, Command, DefId, DefKind, EnumType, Event, Member, ModuleItem,
    ObjectType, Presence, UnionKind, Variant, Variants,
};
use crate::source::Loc;

impl Builder<'_> {
    /// The type `ty` refers to, if it is one.
    fn find_type(&self, ty: &TypeName) -> Option<DefId> {
        match ty {
            TypeName::Entered(id) => Some(*id).filter(|&id| self.is_type(id)),
            TypeName::Later(name) => self.lookup_type(name),
        }
    }

    pub(super) fn resolve_type(
        &self,
        ty: &TypeName,
        loc: Option<Loc>,
        what: impl FnOnce() -> String,
    ) -> Result<DefId, Diagnostic> {
        self.find_type(ty).ok_or_else(|| {
            let name = self.type_ref_name(ty);
            self.error(loc, format!("{} uses unknown type '{name}'", what()))
        })
    }

    pub(super) fn check(&mut self) -> Result<(), Diagnostic> {
        // (The tables keep the room `build` reserved: what was not used was
        // never written, and shrinking a table may copy it.)
        self.state = vec![State::Unchecked; self.defs.len()];
        self.connected = self.docs.iter().map(Connected::new).collect();
        for i in 0..self.defs.len() {
            let id = DefId(i as u32);
            self.check_def(id)?;
            if let Some(doc) = self.defs[i].doc {
                self.connect_doc(id, doc.index())?;
            }
        }
        // The modules' items: definitions in order, and include directives
        // where they stand among them.
        let includes = std::mem::take(&mut self.includes);
        let mut includes = includes.iter().peekable();
        for i in 0..=self.defs.len() {
            while let Some(inc) = includes.next_if(|inc| inc.defs_before == i) {
                self.modules[inc.from.index()]
                    .items
                    .push(ModuleItem::Include(inc.module));
            }
            let Some(def) = self.defs.get(i) else { break };
            // An array belongs to its element type's module.
            let module = match &def.kind {
                DefKind::Array(a) => self.defs[a.element.index()].module,
                _ => def.module,
            };
            self.defs[i].module = module;
            self.modules[module.index()]
                .items
                .push(ModuleItem::Def(DefId(i as u32)));
        }
        self.check_docs()?;
        if let Some(f) = self.feature_dict.get(64) {
            return Err(self.error(f.loc, "Maximum of 64 schema features is permitted"));
        }
        Ok(())
    }

    fn check_def(&mut self, id: DefId) -> Result<(), Diagnostic> {
        let kind = match &self.pending[id.index()] {
            Pending::Object { .. } => return self.check_object(id),
            // Built-in types' and enumerations' kinds are entered complete.
            Pending::Builtin(_) => None,
            Pending::Enum => {
                self.check_type_features(id)?;
                let e = &self.defs[id.index()];
                let values = self.enum_type(id).map_or(&[][..], |en| &en.values[..]);
                let mut seen = SeenMap::with_capacity(values.len());
                for v in values {
                    self.check_clash(
                        Seen {
                            role: Role::Value,
                            name: &v.name,
                            defined_in: &e.name,
                        },
                        e.loc,
                        &mut seen,
                    )?;
                }
                None
            }
            Pending::Array { element } => {
                let loc = self.defs[id.index()].loc;
                let what = loc
                    .and_then(|l| self.ctx.defn_at.get(l))
                    .map_or("type", |c| c.meta.name());
                let element = self.resolve_type(element, loc, || what.to_string())?;
                Some(DefKind::Array(ArrayType { element }))
            }
            Pending::Alternate(variants) => {
                let variants = variants.clone();
                // Only the kind of the pending definition is needed now.
                self.pending[id.index()] = Pending::Alternate(Rc::new(Vec::new()));
                self.check_type_features(id)?;
                Some(DefKind::Alternate(AlternateType {
                    variants: self.check_alternate(id, &variants)?.into(),
                }))
            }
            Pending::Command(_) => {
                // What is pending is done with once taken: only the kind is
                // asked from now on.
                let Pending::Command(c) = &mut self.pending[id.index()] else {
                    unreachable!("a command");
                };
                let c = *c.take().expect("a command is checked once");
                Some(DefKind::Command(self.check_command(id, c)?))
            }
            Pending::Event { .. } => {
                let Pending::Event { arg, boxed } = &mut self.pending[id.index()] else {
                    unreachable!("an event");
                };
                let (arg, boxed) = (arg.take(), *boxed);
                self.check_definition_features(id)?;
                let loc = self.defs[id.index()].loc;
                let arg_type = match arg {
                    Some(a) => Some(self.check_arg_type(&a, loc, "event", boxed)?),
                    None => None,
                };
                Some(DefKind::Event(Event { arg_type, boxed }))
            }
        };
        if let Some(kind) = kind {
            self.defs[id.index()].kind = kind;
        }
        self.state[id.index()] = State::Done;
        Ok(())
    }

    fn check_definition_features(&self, id: DefId) -> Result<(), Diagnostic> {
        let e = &self.defs[id.index()];
        self.check_features_clash(&e.features, &e.name, e.loc)
    }

    /// Checks for types: features may not clash, and the special ones are
    /// not allowed.
    fn check_type_features(&self, id: DefId) -> Result<(), Diagnostic> {
        self.check_definition_features(id)?;
        let e = &self.defs[id.index()];
        for f in &e.features {
            if SPECIAL_FEATURES.contains(&&*f.name) {
                return Err(self.error(
                    e.loc,
                    format!("feature '{}' is not supported for types", f.name),
                ));
            }
        }
        Ok(())
    }

    pub(super) fn object(&self, id: DefId) -> &ObjectType {
        match &self.defs[id.index()].kind {
            DefKind::Object(o) => o,
            _ => unreachable!("an object type that was checked"),
        }
    }

    /// Whether `id` is a struct or union.
    fn is_object(&self, id: DefId) -> bool {
        matches!(self.pending[id.index()], Pending::Object { .. })
    }

    /// Enumeration type `id`, checked or not.
    pub(super) fn enum_type(&self, id: DefId) -> Option<&EnumType> {
        match &self.defs[id.index()].kind {
            DefKind::Enum(e) => Some(e),
            _ => None,
        }
    }

    fn is_union(&self, id: DefId) -> bool {
        matches!(
            self.pending[id.index()],
            Pending::Object { union: true, .. }
        )
    }

    /// The type of member `m` of object type `owner`, whose features must
    /// not clash.
    fn member_type(&self, m: &PMember, owner: DefId) -> Result<DefId, Diagnostic> {
        let loc = self.defs[owner.index()].loc;
        let seen = Seen {
            role: Role::Member,
            name: &m.name,
            defined_in: &self.defs[owner.index()].name,
        };
        let ty = self.resolve_type(&m.ty, loc, || match self.wrapper_branches.get(&owner) {
            Some(branch) => format!("branch '{branch}'"),
            None => self.describe_member(seen, loc),
        })?;
        self.check_features_clash(m.features(), &m.name, loc)?;
        Ok(ty)
    }

    fn check_object(&mut self, id: DefId) -> Result<(), Diagnostic> {
        match self.state[id.index()] {
            State::Done => return Ok(()),
            State::InProgress => {
                let e = &self.defs[id.index()];
                return Err(self.error(e.loc, format!("object {} contains itself", e.name)));
            }
            State::Unchecked => {}
        }
        self.state[id.index()] = State::InProgress;
        self.check_type_features(id)?;
        let loc = self.defs[id.index()].loc;
        // Bases and branches are checked recursively; a chain this long is
        // no real schema, and the stack must not overflow on it.
        self.depth += 1;
        if self.depth > MAX_CHECK_DEPTH {
            let e = &self.defs[id.index()];
            return Err(self.error(e.loc, format!("object {} is nested too deeply", e.name)));
        }
        let result = self.check_object_members(id, loc);
        self.depth -= 1;
        result
    }

    fn check_object_members(&mut self, id: DefId, loc: Option<Loc>) -> Result<(), Diagnostic> {
        // The pending definition is taken apart into the checked one: only
        // whether the type is a union is asked from now on.
        let Pending::Object { unchecked, .. } = &mut self.pending[id.index()] else {
            unreachable!("an object type");
        };
        let PObject {
            base,
            local,
            variants: pvariants,
        } = *unchecked.take().expect("an object type is checked once");
        let mut base_id = None;
        if let Some(base_name) = &base {
            let b = self.resolve_type(base_name, loc, || "'base'".to_string())?;
            if !self.is_object(b) || self.is_union(b) {
                return Err(self.error(
                    loc,
                    format!("'base' requires a struct type, {} isn't", self.describe(b)),
                ));
            }
            self.check_object(b)?;
            base_id = Some(b);
        }
        // Base members first, then local ones, each checked as it comes.
        let mut types = Vec::with_capacity(local.len());
        {
            let base_len = base_id.map_or(0, |b| self.object(b).members.len());
            let mut seen = SeenMap::with_capacity(base_len + local.len());
            if let Some(b) = base_id {
                self.object_clash(b, loc, &mut seen, &mut Vec::new())?;
            }
            for m in &local {
                types.push(self.member_type(m, id)?);
                self.check_clash(
                    Seen {
                        role: Role::Member,
                        name: &m.name,
                        defined_in: &self.defs[id.index()].name,
                    },
                    loc,
                    &mut seen,
                )?;
            }
        }
        let base_members = base_id.map_or(&[][..], |b| &self.object(b).members[..]);
        let local_count = local.len();
        let mut members = Vec::with_capacity(base_members.len() + local_count);
        members.extend(base_members.iter().cloned());
        // The local members move from the pending definition.
        members.extend(local.into_iter().zip(types).map(|(mut m, ty)| {
            let (ifcond, features) = m.take_extra();
            Member {
                name: m.name,
                ty,
                optional: m.optional,
                ifcond,
                features,
                defined_in: id,
                since: None,
                presence: Presence::FIRST,
            }
        }));
        let variants = match &pvariants {
            None => None,
            Some(v) => Some(self.check_branches(loc, &v.tag, &v.branches, &members)?),
        };
        if let Some(v) = &variants {
            let mut seen = SeenMap::with_capacity(members.len());
            for m in &members {
                seen.insert(CName(&m.name), self.seen_member(m));
            }
            self.variants_clash(v, loc, &mut seen)?;
        }
        self.defs[id.index()].kind =
            DefKind::Object(ObjectType::new(base_id, members, local_count, variants));
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
            PVariantsTag::Simple(m) => (&*m.name, UnionKind::Simple),
        };
        let tag_member = members
            .iter()
            .find(|m| CName(&m.name) == CName(tag_name))
            .filter(|m| &*m.name == tag_name);
        let Some(tag_member) = tag_member else {
            return Err(self.error(
                loc,
                format!("discriminator '{tag_name}' is not a member of 'base'"),
            ));
        };
        let defined_in = &self.defs[tag_member.defined_in.index()].name;
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
            if !cases.contains(&*value.name) {
                variants.push(PVariant {
                    name: value.name.to_string(),
                    ty: self.type_ref("q_empty"),
                    ifcond: value.ifcond.clone(),
                    loc,
                    defined_in: defined_in.to_string(),
                    implicit: true,
                });
            }
        }
        if variants.is_empty() {
            return Err(self.error(loc, "union has no branches"));
        }
        let tag_type = tag_member.ty;
        let tag_values: HashSet<Box<str>> =
            tag_enum.values.iter().map(|v| v.name.clone()).collect();
        let mut out = Vec::with_capacity(variants.len());
        for v in &variants {
            let seen_v = Seen {
                role: Role::Branch,
                name: &v.name,
                defined_in: &v.defined_in,
            };
            let ty = self.resolve_type(&v.ty, v.loc, || self.describe_member(seen_v, v.loc))?;
            if !tag_values.contains(v.name.as_str()) {
                return Err(self.error(
                    loc,
                    format!(
                        "branch '{}' is not a value of {}",
                        v.name,
                        self.describe(tag_type)
                    ),
                ));
            }
            if !self.is_object(ty) {
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
                name: v.name.as_str().into(),
                ty,
                ifcond: v.ifcond.clone(),
                implicit: v.implicit,
                since: None,
                presence: Presence::FIRST,
            });
        }
        Ok(Variants {
            tag: tag_name.into(),
            tag_type,
            variants: out,
            kind,
        })
    }

    fn check_arg_type(
        &mut self,
        arg: &TypeName,
        loc: Option<Loc>,
        what: &str,
        boxed: bool,
    ) -> Result<DefId, Diagnostic> {
        let t = self.resolve_type(arg, loc, || format!("{what}'s 'data'"))?;
        if !self.is_object(t) {
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

    fn check_command(&mut self, id: DefId, c: PCommand) -> Result<Command, Diagnostic> {
        self.check_definition_features(id)?;
        let loc = self.defs[id.index()].loc;
        let mut flags = Command {
            arg_type: None,
            ret_type: None,
            generate: c.generate,
            success_response: c.success_response,
            boxed: c.boxed,
            allow_oob: c.allow_oob,
            allow_preconfig: c.allow_preconfig,
            coroutine: c.coroutine,
        };
        if let Some(a) = c.arg {
            flags.arg_type = Some(self.check_arg_type(&a, loc, "command", flags.boxed)?);
        }
        if let Some(r) = c.ret {
            let t = self.resolve_type(&r, loc, || "command's 'returns'".to_string())?;
            if !self
                .returns_exceptions
                .contains(&*self.defs[id.index()].name)
            {
                let element = match &self.pending[t.index()] {
                    Pending::Array { element } => self.find_type(element).unwrap_or(t),
                    _ => t,
                };
                if !self.is_object(element) {
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
}
