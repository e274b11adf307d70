//! Connecting documentation blocks to what they describe, as QEMU's
//! `connect_doc` does, and reporting descriptions of members and features
//! that do not exist.

use std::collections::HashMap;

use super::Builder;
use super::clash::Role;
use crate::Ctx;
use crate::diag::{Diagnostic, Lint};
use crate::doc::{ArgSection, Doc};
use crate::schema::{Command, DefId, DefKind, Definition, Event, UnionKind};
use crate::source::Loc;

impl Builder<'_> {
    /// Connects a definition's documentation to its members and features,
    /// as QEMU's `connect_doc` does.
    pub(super) fn connect_doc(&mut self, id: DefId, doc_index: usize) -> Result<(), Diagnostic> {
        let Builder {
            defs,
            docs,
            connected,
            ctx,
            pragma,
            ..
        } = self;
        let doc = &mut docs[doc_index];
        let index = |list: &[ArgSection]| {
            list.iter()
                .enumerate()
                .map(|(i, a)| (a.name.clone(), i))
                .collect()
        };
        let symbol = doc.symbol.as_deref().unwrap_or_default();
        let mut linker = DocLinker {
            defs,
            args: index(&doc.args),
            features: index(&doc.features),
            excepted: pragma.documentation_exceptions.iter().any(|s| s == symbol),
            documented: doc.args.len(),
            undocumented: Vec::new(),
            connected: &mut connected[doc_index],
            ctx,
        };
        let result = linker.connect(id);
        let undocumented = linker.undocumented;
        doc.add_undocumented(undocumented);
        result
    }

    pub(super) fn check_docs(&self) -> Result<(), Diagnostic> {
        for (doc, connected) in self.docs.iter().zip(&self.connected) {
            for (list, flags, what) in [
                (&doc.args, &connected.args, "member"),
                (&doc.features, &connected.features, "feature"),
            ] {
                let bogus: Vec<_> = list
                    .iter()
                    .zip(flags)
                    .filter(|(_, c)| !**c)
                    .map(|(a, _)| a)
                    .collect();
                if let Some(first) = bogus.first() {
                    let names = bogus
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join("', '");
                    let (s, verb) = if bogus.len() > 1 {
                        ("s", "do")
                    } else {
                        ("", "does")
                    };
                    return Err(Diagnostic::error(
                        first.loc,
                        format!("documented {what}{s} '{names}' {verb} not exist"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Which of a documentation block's member and feature descriptions were
/// connected to what they describe.
pub(super) struct Connected {
    /// For each entry of [`Doc::args`]; undocumented members are added as
    /// they are found, connected.
    args: Vec<bool>,
    /// For each entry of [`Doc::features`].
    features: Vec<bool>,
}

impl Connected {
    /// None of `doc`'s descriptions connected yet.
    pub(super) fn new(doc: &Doc) -> Self {
        Connected {
            args: vec![false; doc.args.len()],
            features: vec![false; doc.features.len()],
        }
    }
}

/// Connects one documentation block to the members and features it
/// describes.
struct DocLinker<'b> {
    /// The definitions, checked as far as documentation is connected.
    defs: &'b [Definition],
    /// The position of each member and feature description, by name;
    /// undocumented members get theirs as they are found.
    args: HashMap<String, usize>,
    features: HashMap<String, usize>,
    /// Whether the `documentation-exceptions` pragma names the definition.
    excepted: bool,
    /// How many member descriptions the block has.
    documented: usize,
    /// The members found undocumented, in order, for
    /// [`Doc::add_undocumented`](crate::doc::Doc::add_undocumented).
    undocumented: Vec<String>,
    connected: &'b mut Connected,
    ctx: &'b mut Ctx,
}

impl DocLinker<'_> {
    fn connect(&mut self, id: DefId) -> Result<(), Diagnostic> {
        let defs = self.defs;
        let e = &defs[id.index()];
        for f in &e.features {
            self.feature(&f.name, e.loc)?;
        }
        match &e.kind {
            DefKind::Enum(en) => {
                for v in &en.values {
                    self.member(Role::Value, &v.name, e.loc)?;
                    for f in &v.features {
                        self.feature(&f.name, e.loc)?;
                    }
                }
            }
            DefKind::Object(obj) => {
                if let Some(b) = obj.base
                    && defs[b.index()].name.starts_with("q_")
                {
                    self.connect(b)?;
                }
                // A 5.2 simple union's tag is implicit: documenting it is
                // optional.
                let simple = obj
                    .variants
                    .as_ref()
                    .is_some_and(|v| v.kind == UnionKind::Simple);
                if !simple || self.args.contains_key("type") {
                    for m in obj.local_members() {
                        self.member(Role::Member, &m.name, e.loc)?;
                        for f in &m.features {
                            self.feature(&f.name, e.loc)?;
                        }
                    }
                }
            }
            DefKind::Alternate(alt) => {
                for v in &alt.variants {
                    self.member(Role::Branch, &v.name, e.loc)?;
                }
            }
            DefKind::Command(Command {
                arg_type: Some(a), ..
            })
            | DefKind::Event(Event {
                arg_type: Some(a), ..
            }) if defs[a.index()].name.starts_with("q_") => {
                self.connect(*a)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn member(&mut self, role: Role, name: &str, loc: Option<Loc>) -> Result<(), Diagnostic> {
        match self.args.get(name) {
            Some(&i) => self.connected.args[i] = true,
            None => {
                if !self.excepted {
                    self.undocumented(role, name, loc)?;
                }
                let i = self.documented + self.undocumented.len();
                self.args.insert(name.to_string(), i);
                self.undocumented.push(name.to_string());
                self.connected.args.push(true);
            }
        }
        Ok(())
    }

    fn feature(&mut self, name: &str, loc: Option<Loc>) -> Result<(), Diagnostic> {
        match self.features.get(name) {
            Some(&i) => self.connected.features[i] = true,
            None => self.undocumented(Role::Feature, name, loc)?,
        }
        Ok(())
    }

    /// Reports `name` undocumented: a house-style rule.
    fn undocumented(&mut self, role: Role, name: &str, loc: Option<Loc>) -> Result<(), Diagnostic> {
        let message = format!("{} '{name}' lacks documentation", role.name());
        let d = super::error_at(self.ctx, self.defs, loc, message);
        self.ctx.style(Lint::Undocumented, d)
    }
}
