//! What the options keep: conditions evaluated (or not), `unstable` items
//! left out (or not), and only what chosen commands and events need.

use std::collections::BTreeSet;

use super::{GenerateError, Options};
use crate::schema::{Cond, DefId, DefKind, Feature, Member, Schema};

/// The definitions, members, values and branches that are generated.
pub(crate) struct Selection {
    keep: Vec<bool>,
    cfg: Option<BTreeSet<String>>,
    exclude_unstable: bool,
}

fn unstable(features: &[Feature]) -> bool {
    features.iter().any(Feature::is_unstable)
}

impl Selection {
    pub fn new(schema: &Schema, opts: &Options) -> Result<Self, GenerateError> {
        let mut sel = Selection {
            keep: Vec::new(),
            cfg: opts.cfg.clone(),
            exclude_unstable: opts.exclude_unstable,
        };
        // Conditions are checked once up front, so that later evaluation
        // cannot fail.
        if let Some(cfg) = &sel.cfg {
            for def in &schema.defs {
                for c in conditions(def) {
                    c.eval(cfg).map_err(GenerateError::Condition)?;
                }
            }
        }
        sel.keep = schema
            .defs
            .iter()
            .map(|d| sel.item(d.ifcond.as_deref(), &d.features))
            .collect();
        // An array type has its element's condition, as in QEMU.
        for (i, d) in schema.defs.iter().enumerate() {
            if let DefKind::Array(a) = &d.kind {
                sel.keep[i] = sel.keep[a.element.index()];
            }
        }
        if let Some(only) = &opts.only {
            let mut wanted = vec![false; schema.defs.len()];
            let mut stack = Vec::new();
            for name in only {
                let id = schema
                    .lookup(name)
                    .filter(|&id| {
                        matches!(schema.def(id).kind, DefKind::Command(_) | DefKind::Event(_))
                    })
                    .ok_or_else(|| GenerateError::UnknownName(name.clone()))?;
                stack.push(id);
            }
            while let Some(id) = stack.pop() {
                if std::mem::replace(&mut wanted[id.index()], true) {
                    continue;
                }
                stack.extend(schema.uses(id));
            }
            for (k, w) in sel.keep.iter_mut().zip(wanted) {
                *k &= w;
            }
        }
        // QEMU's implicit object types (arguments, wrappers) go with what
        // uses them: a 5.2 wrapper is shared by the branches of its type,
        // whatever their conditions.
        let implicit = |d: &crate::schema::Definition| {
            d.implicit && matches!(d.kind, DefKind::Object(_)) && d.name.starts_with("q_obj_")
        };
        let mut used = vec![false; schema.defs.len()];
        for id in schema.ids() {
            if sel.keep(id) && !implicit(schema.def(id)) {
                for t in sel.kept_references(schema, id) {
                    used[t.index()] = true;
                }
            }
        }
        for (i, d) in schema.defs.iter().enumerate() {
            if implicit(d) {
                sel.keep[i] &= used[i];
            }
        }
        sel.check_dangling(schema)?;
        Ok(sel)
    }

    /// Whether a definition is generated.
    pub fn keep(&self, id: DefId) -> bool {
        self.keep[id.index()]
    }

    /// Whether a member, value, branch or feature with this condition and
    /// these features is generated.
    pub fn item(&self, ifcond: Option<&Cond>, features: &[Feature]) -> bool {
        if self.exclude_unstable && unstable(features) {
            return false;
        }
        self.cond(ifcond)
    }

    /// The members of an object type that are generated, in order.
    pub fn members<'m>(&self, members: &'m [Member]) -> impl Iterator<Item = &'m Member> {
        members
            .iter()
            .filter(|m| self.item(m.ifcond.as_deref(), &m.features))
    }

    /// Whether a condition holds (always, when conditions are not
    /// evaluated).
    pub fn cond(&self, ifcond: Option<&Cond>) -> bool {
        match (&self.cfg, ifcond) {
            (Some(cfg), Some(c)) => c.eval(cfg).unwrap_or(true),
            _ => true,
        }
    }

    /// Whether conditions are evaluated (and so need no documenting).
    pub fn evaluates_conditions(&self) -> bool {
        self.cfg.is_some()
    }

    /// Every kept definition must only use kept types.
    fn check_dangling(&self, schema: &Schema) -> Result<(), GenerateError> {
        for id in schema.ids() {
            if !self.keep(id) {
                continue;
            }
            for used in self.kept_references(schema, id) {
                if !self.keep(used) {
                    return Err(GenerateError::Dangling {
                        user: schema.def(id).name.to_string(),
                        used: schema.def(used).name.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The types a definition uses through its kept members and branches.
    fn kept_references(&self, schema: &Schema, id: DefId) -> Vec<DefId> {
        let mut out = Vec::new();
        match &schema.def(id).kind {
            DefKind::Array(a) => out.push(a.element),
            DefKind::Object(o) => {
                out.extend(
                    o.members
                        .iter()
                        .filter(|m| self.item(m.ifcond.as_deref(), &m.features))
                        .map(|m| m.ty),
                );
                if let Some(v) = &o.variants {
                    out.push(v.tag_type);
                    out.extend(
                        v.variants
                            .iter()
                            .filter(|v| self.cond(v.ifcond.as_deref()))
                            .map(|v| v.ty),
                    );
                }
            }
            DefKind::Alternate(a) => out.extend(
                a.variants
                    .iter()
                    .filter(|v| self.cond(v.ifcond.as_deref()))
                    .map(|v| v.ty),
            ),
            DefKind::Command(c) => out.extend(c.arg_type.iter().chain(&c.ret_type)),
            DefKind::Event(e) => out.extend(e.arg_type),
            DefKind::Builtin(_) | DefKind::Enum(_) => {}
        }
        out
    }
}

/// Every condition in a definition.
fn conditions(def: &crate::schema::Definition) -> Vec<&Cond> {
    let mut out: Vec<&Cond> = def.ifcond.as_deref().into_iter().collect();
    out.extend(def.features.iter().filter_map(|f| f.ifcond.as_deref()));
    match &def.kind {
        DefKind::Enum(e) => {
            for v in &e.values {
                out.extend(v.ifcond.as_deref());
                out.extend(v.features.iter().filter_map(|f| f.ifcond.as_deref()));
            }
        }
        DefKind::Object(o) => {
            for m in &o.members {
                out.extend(m.ifcond.as_deref());
                out.extend(m.features.iter().filter_map(|f| f.ifcond.as_deref()));
            }
            if let Some(v) = &o.variants {
                out.extend(v.variants.iter().filter_map(|v| v.ifcond.as_deref()));
            }
        }
        DefKind::Alternate(a) => out.extend(a.variants.iter().filter_map(|v| v.ifcond.as_deref())),
        _ => {}
    }
    out
}
