//! Name clashes among members, branches, values and features, compared by
//! their C names, with messages describing the members as QEMU's
//! `QAPISchemaMember.describe` does.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use super::Builder;
use crate::diag::Diagnostic;
use crate::schema::{DefId, Feature, Member, Variants};
use crate::source::Loc;

/// What a named thing inside a definition is, as messages call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Member,
    Value,
    Branch,
    Feature,
}

impl Role {
    /// The word for it in messages.
    pub(super) fn name(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Value => "value",
            Role::Branch => "branch",
            Role::Feature => "feature",
        }
    }
}

/// A member, value, branch or feature as QEMU describes it in clash
/// messages.
#[derive(Clone, Copy)]
pub(super) struct Seen<'a> {
    pub(super) role: Role,
    pub(super) name: &'a str,
    pub(super) defined_in: &'a str,
}

/// A name compared by its C name, as QEMU detects clashes: every character
/// other than a letter, digit or `_` counts as `_`.
#[derive(Clone, Copy)]
pub(super) struct CName<'a>(pub(super) &'a str);

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

pub(super) type SeenMap<'a> = HashMap<CName<'a>, Seen<'a>>;

impl Builder<'_> {
    fn context_name(&self, loc: Option<Loc>) -> Option<&str> {
        loc.and_then(|l| self.ctx.defn_at.get(l))
            .and_then(|c| c.name(&self.defs))
    }

    /// QEMU's `QAPISchemaMember.describe(info)`.
    pub(super) fn describe_member(&self, m: Seen, loc: Option<Loc>) -> String {
        let mut role = m.role.name().to_string();
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

    pub(super) fn check_clash<'s>(
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

    pub(super) fn check_features_clash(
        &self,
        features: &[Feature],
        owner: &str,
        loc: Option<Loc>,
    ) -> Result<(), Diagnostic> {
        let mut seen = SeenMap::with_capacity(features.len());
        for f in features {
            self.check_clash(
                Seen {
                    role: Role::Feature,
                    name: &f.name,
                    defined_in: owner,
                },
                loc,
                &mut seen,
            )?;
        }
        Ok(())
    }

    pub(super) fn seen_member<'s>(&'s self, m: &'s Member) -> Seen<'s> {
        Seen {
            role: Role::Member,
            name: &m.name,
            defined_in: &self.defs[m.defined_in.index()].name,
        }
    }

    /// Adds the members of checked object `id` to `seen`, and records in
    /// `added` the names added; its branches' members may not clash with
    /// them.
    pub(super) fn object_clash<'s>(
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
    pub(super) fn variants_clash<'s>(
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
}
