//! Entering definitions: each checked expression becomes an [`Entry`],
//! with the implicit types QEMU makes for it (array types, `q_obj_` types for
//! inline members and bases, a 5.2 simple union's wrappers and tag enum), as
//! QEMU's `_def_exprs` does.

use std::rc::Rc;

use super::pending::{
    Entry, PCommand, PMember, PObject, PVariant, PVariants, PVariantsTag, Pending, UNCHECKED,
};
use super::{Builder, FeatureUse};
use crate::diag::{Diagnostic, Note};
use crate::expr::{self, BranchDef, DefBody, FeatureDef, MemberDef, TypeOrMembers, TypeRef};
use crate::schema::{
    Builtin, Cond, DefId, DefKind, Definition, DocId, EnumType, EnumValue, Feature, Presence,
};
use crate::source::Loc;

impl Builder<'_> {
    fn def_definition(&mut self, entry: Entry) -> Result<DefId, Diagnostic> {
        let id = DefId(self.defs.len() as u32);
        let loc = entry.def.loc;
        if let Some(other) = self.lookup(&entry.def.name) {
            let name = &entry.def.name;
            return Err(match self.defs[other.index()].loc {
                Some(other_loc) => self
                    .error(loc, format!("'{name}' is already defined"))
                    .with_note(Note {
                        loc: other_loc,
                        context: self.context(other_loc),
                        message: "previous definition".to_string(),
                    }),
                None => self.error(loc, format!("{} is already defined", self.describe(other))),
            });
        }
        self.index.insert(&entry.def.name, id);
        self.defs.push(entry.def);
        self.pending.push(entry.pending);
        Ok(id)
    }

    fn entry(&mut self, name: String, pending: Pending, loc: Option<Loc>) -> Entry {
        let implicit =
            loc.is_none() || name.starts_with("q_") || matches!(pending, Pending::Array { .. });
        let kind = match pending {
            Pending::Builtin(b) => DefKind::Builtin(b),
            _ => UNCHECKED,
        };
        Entry {
            def: Definition {
                name: name.into(),
                kind,
                loc,
                doc: None,
                ifcond: None,
                features: Box::default(),
                module: self.module_of_loc(loc),
                implicit,
                since: None,
                presence: Presence::FIRST,
            },
            pending,
        }
    }

    /// The entry of enumeration `name`, its values known from the start.
    fn enum_entry(&mut self, name: String, en: EnumType, loc: Option<Loc>) -> Entry {
        let mut e = self.entry(name, Pending::Enum, loc);
        e.def.kind = DefKind::Enum(en);
        e
    }

    pub(super) fn def_predefineds(&mut self) -> Result<(), Diagnostic> {
        for b in Builtin::ALL {
            let e = self.entry(b.name().to_string(), Pending::Builtin(b), None);
            self.def_definition(e)?;
            self.make_array_type(b.name(), None)?;
        }
        let empty = PObject {
            base: None,
            local: Box::default(),
            variants: None,
        };
        let e = self.entry("q_empty".to_string(), Pending::object(empty), None);
        self.def_definition(e)?;
        let values = [
            "none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool",
        ]
        .iter()
        .map(|v| EnumValue {
            name: (*v).into(),
            ifcond: None,
            features: Box::default(),
            since: None,
            presence: Presence::FIRST,
        })
        .collect();
        let e = self.enum_entry(
            "QType".to_string(),
            EnumType {
                values,
                prefix: None,
            },
            None,
        );
        self.def_definition(e)?;
        Ok(())
    }

    fn make_features(&mut self, features: Vec<FeatureDef>, loc: Option<Loc>) -> Box<[Feature]> {
        features
            .into_iter()
            .map(|f| {
                if self.feature_names.insert(f.name.clone()) {
                    self.feature_dict.push(FeatureUse {
                        name: f.name.clone(),
                        loc,
                    });
                }
                Feature {
                    name: f.name.into(),
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
                    element: Box::new(self.type_ref(element)),
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

    /// The branches of a flat union or an alternate, as written in the
    /// definition `owner` at `loc`.
    fn branch_variants(
        &mut self,
        branches: Vec<BranchDef>,
        owner: &str,
        loc: Loc,
    ) -> Result<Vec<PVariant>, Diagnostic> {
        let mut variants = Vec::with_capacity(branches.len());
        for br in branches {
            let ty = self.type_name(br.ty, loc)?;
            variants.push(PVariant {
                name: br.name,
                ty: self.type_ref(&ty),
                ifcond: br.ifcond,
                loc: Some(loc),
                defined_in: owner.to_string(),
                implicit: false,
            });
        }
        Ok(variants)
    }

    fn make_members(
        &mut self,
        members: Vec<MemberDef>,
        loc: Loc,
    ) -> Result<Vec<PMember>, Diagnostic> {
        // Sized up front: collecting from a fallible iterator would start
        // every list at room for four.
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            let ty = self.type_name(m.ty, loc)?;
            let features = self.make_features(m.features, Some(loc));
            let ty = self.type_ref(&ty);
            out.push(PMember::new(
                m.name.into(),
                ty,
                m.optional,
                m.ifcond,
                features,
            ));
        }
        Ok(out)
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
        if self.lookup(&name).is_none() {
            let data = PMember::plain("data", self.type_ref(&ty));
            let object = PObject {
                base: None,
                local: Box::new([data]),
                variants: None,
            };
            let e = self.entry(name.clone(), Pending::object(object), Some(loc));
            let id = self.def_definition(e)?;
            self.wrapper_branches.insert(id, branch.into());
        }
        Ok(name)
    }

    /// An implicit object type `q_obj_NAME-ROLE` for inline members; `None`
    /// when there are none.
    fn make_implicit_object_type(
        &mut self,
        name: &str,
        loc: Loc,
        ifcond: Option<Box<Cond>>,
        role: &str,
        members: Vec<MemberDef>,
    ) -> Result<Option<String>, Diagnostic> {
        if members.is_empty() {
            return Ok(None);
        }
        let name = format!("q_obj_{name}-{role}");
        let members = self.make_members(members, loc)?;
        if self.lookup(&name).is_none() {
            let object = PObject {
                base: None,
                local: members.into(),
                variants: None,
            };
            let mut e = self.entry(name.clone(), Pending::object(object), Some(loc));
            e.def.ifcond = ifcond;
            self.def_definition(e)?;
        }
        Ok(Some(name))
    }

    pub(super) fn def_expr(&mut self, def: expr::Def) -> Result<(), Diagnostic> {
        let loc = def.loc;
        let name = def.name;
        let features = self.make_features(def.features, Some(loc));
        let ifcond = def.ifcond;
        let mut enum_type = None;
        let pending = match def.body {
            DefBody::Enum { values, prefix } => {
                let values = values
                    .into_iter()
                    .map(|v| EnumValue {
                        name: v.name.into(),
                        ifcond: v.ifcond,
                        features: self.make_features(v.features, Some(loc)),
                        since: None,
                        presence: Presence::FIRST,
                    })
                    .collect();
                enum_type = Some(EnumType {
                    values,
                    prefix: prefix.map(String::into_boxed_str),
                });
                Pending::Enum
            }
            DefBody::Struct { base, members } => {
                let local = self.make_members(members, loc)?;
                Pending::object(PObject {
                    base: base.map(|b| self.type_ref(&b)),
                    local: local.into(),
                    variants: None,
                })
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
                let variants = self.branch_variants(branches, &name, loc)?;
                Pending::object(PObject {
                    base: base.map(|b| self.type_ref(&b)),
                    local: Box::default(),
                    variants: Some(Box::new(PVariants {
                        tag: PVariantsTag::Flat(tag),
                        branches: variants,
                    })),
                })
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
                        ty: self.type_ref(&wrapper),
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
                        name: v.name.as_str().into(),
                        ifcond: v.ifcond.clone(),
                        features: Box::default(),
                        since: None,
                        presence: Presence::FIRST,
                    })
                    .collect();
                let mut e = self.enum_entry(
                    kind_name.clone(),
                    EnumType {
                        values,
                        prefix: None,
                    },
                    Some(loc),
                );
                e.def.ifcond = ifcond.clone();
                e.def.implicit = true;
                self.def_definition(e)?;
                let tag = PMember::plain("type", self.type_ref(&kind_name));
                Pending::object(PObject {
                    base: None,
                    local: Box::new([tag.clone()]),
                    variants: Some(Box::new(PVariants {
                        tag: PVariantsTag::Simple(Box::new(tag)),
                        branches: variants,
                    })),
                })
            }
            DefBody::Alternate { branches } => {
                let variants = self.branch_variants(branches, &name, loc)?;
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
                Pending::Command(Some(Box::new(PCommand {
                    arg: arg.map(|a| self.type_ref(&a)),
                    ret: ret.map(|r| self.type_ref(&r)),
                    generate,
                    success_response,
                    boxed,
                    allow_oob,
                    allow_preconfig,
                    coroutine,
                })))
            }
            DefBody::Event { data, boxed } => {
                let arg = self.arg_type(&name, loc, ifcond.clone(), data)?;
                Pending::Event {
                    arg: arg.map(|a| Box::new(self.type_ref(&a))),
                    boxed,
                }
            }
        };
        let mut e = match enum_type {
            Some(en) => self.enum_entry(name, en, Some(loc)),
            None => self.entry(name, pending, Some(loc)),
        };
        e.def.doc = def.doc.map(DocId::new);
        e.def.ifcond = ifcond;
        e.def.features = features;
        let id = self.def_definition(e)?;
        self.ctx.defn_at.entered(loc, id);
        Ok(())
    }

    fn arg_type(
        &mut self,
        name: &str,
        loc: Loc,
        ifcond: Option<Box<Cond>>,
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
}
