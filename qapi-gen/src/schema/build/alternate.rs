//! Checking an alternate: its branches must be told apart by the kind of
//! JSON value each takes, as QEMU's `QAPISchemaAlternateType.check` does.

use std::collections::HashMap;

use super::Builder;
use super::clash::{Role, Seen, SeenMap};
use super::pending::{PVariant, Pending};
use crate::diag::Diagnostic;
use crate::schema::{DefId, JsonType, Presence, Variant};

/// The kind of QObject a JSON value becomes in QEMU (its `QTYPE_*`), by
/// which an alternate's branches are told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum QType {
    Null,
    String,
    Num,
    Bool,
    List,
    Dict,
}

impl QType {
    /// The QType of values of a JSON type; `None` for any value, which no
    /// branch may take.
    fn of(json: JsonType) -> Option<QType> {
        Some(match json {
            JsonType::Null => QType::Null,
            JsonType::String => QType::String,
            JsonType::Number | JsonType::Int => QType::Num,
            JsonType::Boolean => QType::Bool,
            JsonType::Array => QType::List,
            JsonType::Object => QType::Dict,
            JsonType::Value => return None,
        })
    }
}

impl Builder<'_> {
    pub(super) fn check_alternate(
        &self,
        id: DefId,
        variants: &[PVariant],
    ) -> Result<Vec<Variant>, Diagnostic> {
        let loc = self.defs[id.index()].loc;
        let mut out = Vec::with_capacity(variants.len());
        for v in variants {
            let seen_v = Seen {
                role: Role::Branch,
                name: &v.name,
                defined_in: &v.defined_in,
            };
            let ty = self.resolve_type(&v.ty, v.loc, || self.describe_member(seen_v, v.loc))?;
            out.push(Variant {
                name: v.name.as_str().into(),
                ty,
                ifcond: v.ifcond.clone(),
                implicit: false,
                since: None,
                presence: Presence::FIRST,
            });
        }
        let mut seen = SeenMap::new();
        let mut claimed: HashMap<QType, &str> = HashMap::new();
        for (v, pv) in out.iter().zip(variants) {
            let seen_v = Seen {
                role: Role::Branch,
                name: &v.name,
                defined_in: &pv.defined_in,
            };
            self.check_clash(seen_v, loc, &mut seen)?;
            let Some(qtype) = self.json_type(v.ty).and_then(QType::of) else {
                return Err(self.error(
                    loc,
                    format!(
                        "{} cannot use {}",
                        self.describe_member(seen_v, loc),
                        self.describe(v.ty)
                    ),
                ));
            };
            for qt in self.claimed_qtypes(qtype, v.ty) {
                if let Some(other) = claimed.get(&qt) {
                    return Err(self.error(
                        loc,
                        format!(
                            "{} can't be distinguished from '{other}'",
                            self.describe_member(seen_v, loc)
                        ),
                    ));
                }
                claimed.insert(qt, &v.name);
            }
        }
        Ok(out)
    }

    /// The JSON type of the values of type `id`, checked or not; `None` for
    /// a command or an event.
    fn json_type(&self, id: DefId) -> Option<JsonType> {
        Some(match &self.pending[id.index()] {
            Pending::Builtin(b) => b.json_type(),
            Pending::Enum => JsonType::String,
            Pending::Array { .. } => JsonType::Array,
            Pending::Object { .. } => JsonType::Object,
            Pending::Alternate(_) => JsonType::Value,
            Pending::Command(_) | Pending::Event { .. } => return None,
        })
    }

    /// The QTypes a branch of type `ty`, whose values are `qtype`, claims:
    /// its own, and for a string also those of the numbers and booleans it
    /// can be parsed from (command-line keyval syntax), unless an
    /// enumeration's values rule them out.
    fn claimed_qtypes(&self, qtype: QType, ty: DefId) -> Vec<QType> {
        let mut claimed = vec![qtype];
        if qtype != QType::String {
            return claimed;
        }
        let Some(en) = self.enum_type(ty) else {
            claimed.extend([QType::Num, QType::Bool]);
            return claimed;
        };
        for m in &en.values {
            if (&*m.name == "on" || &*m.name == "off") && !claimed.contains(&QType::Bool) {
                claimed.push(QType::Bool);
            }
            if m.name.starts_with([
                '-', '+', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.',
            ]) && !claimed.contains(&QType::Num)
            {
                claimed.push(QType::Num);
            }
        }
        claimed
    }
}
