//! A fork's view: what a schema adds to the one it is based on, and how
//! each addition stands against another schema, the upstream it is to
//! live next to or be ported to.
//!
//! For the COLO checkpoint recorder added to QEMU 5.2 and QEMU 10.2 as
//! the upstream: the definitions the fork adds or changes, whether the
//! upstream has definitions of those names (and where they differ), the
//! upstream types the additions are built on that changed since (the
//! recorder embeds `MigrationInfo`), and the upstream's house rules the
//! additions break (`--strict` errors).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use super::{Change, Diff, Direction, Role, diff, effects, json_str, reported};
use crate::schema::{DefId, Schema};

/// What a fork adds to its base, against an upstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForkReport {
    /// What the base is called in the output.
    pub base: String,
    /// What the fork is called.
    pub fork: String,
    /// What the upstream is called.
    pub upstream: String,
    /// Each definition the fork adds or changes, in the fork's order.
    pub items: Vec<ForkItem>,
}

/// One definition the fork adds or changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForkItem {
    /// Its kind (`struct`, `command` ...).
    pub meta: &'static str,
    /// Its name.
    pub name: String,
    /// What the fork changed, from the base (one `added` change for a new
    /// definition).
    pub changes: Vec<Change>,
    /// Whether the upstream has a definition of that name.
    pub in_upstream: bool,
    /// Where the upstream's definition of that name differs from the
    /// fork's.
    pub conflicts: Vec<Change>,
    /// The base's types it uses (directly or not) that the upstream
    /// changed.
    pub dependencies: Vec<Dependency>,
    /// The upstream's house rules it breaks: the fork's warnings about it
    /// (errors with `--strict`), as `FILE:LINE: message`.
    pub rules: Vec<String>,
}

/// A type a fork's definition uses that the upstream changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// Its kind.
    pub meta: &'static str,
    /// Its name.
    pub name: String,
    /// How many changes the upstream made to it.
    pub changes: usize,
    /// Those of them that break a peer.
    pub breaking: Vec<Change>,
}

/// What `fork` adds to `base`, against `upstream`.
pub fn fork_report(base: &Schema, fork: &Schema, upstream: &Schema) -> ForkReport {
    let own = diff(base, fork);
    let later = diff(fork, upstream);
    let mut later_by_name: HashMap<&str, Vec<&Change>> = HashMap::new();
    for c in &later.changes {
        later_by_name.entry(&c.name).or_default().push(c);
    }
    let mut order: Vec<&str> = Vec::new();
    let mut by_name: HashMap<&str, Vec<Change>> = HashMap::new();
    for c in &own.changes {
        if !by_name.contains_key(c.name.as_str()) {
            order.push(&c.name);
        }
        by_name.entry(&c.name).or_default().push(c.clone());
    }
    let dirs = super::directions(fork);
    let items = order
        .into_iter()
        .filter_map(|name| {
            let changes = by_name.remove(name)?;
            let id = fork.lookup(name)?;
            Some(ForkItem {
                meta: fork.def(id).meta(),
                name: name.to_string(),
                in_upstream: upstream.lookup(name).is_some(),
                conflicts: later_by_name
                    .get(name)
                    .map(|v| v.iter().map(|c| (*c).clone()).collect())
                    .unwrap_or_default(),
                dependencies: dependencies(base, fork, id, dirs[id.index()], &later_by_name),
                rules: rules(fork, name),
                changes,
            })
        })
        .collect();
    ForkReport {
        base: own.old,
        fork: own.new,
        upstream: later.new,
        items,
    }
}

/// The base's types that definition `id` of the fork uses and that the
/// upstream changed, in the fork's order.  Types the fork defines itself
/// are reported on their own and not looked into.  `dir` is where the
/// definition's values travel: a change breaks a user of the definition
/// when it breaks in that direction.
fn dependencies(
    base: &Schema,
    fork: &Schema,
    id: DefId,
    dir: Direction,
    later: &HashMap<&str, Vec<&Change>>,
) -> Vec<Dependency> {
    let in_base = |t: DefId| base.lookup(&fork.def(t).name).is_some();
    let mut seen = BTreeSet::new();
    let mut stack = fork.uses(id);
    while let Some(t) = stack.pop() {
        if in_base(t) && seen.insert(t) {
            stack.extend(fork.uses(t));
        }
    }
    seen.into_iter()
        .map(|t| fork.def(t))
        .filter(|d| reported(d))
        .filter_map(|d| {
            let changes = later.get(&*d.name)?;
            Some(Dependency {
                meta: d.meta(),
                name: d.name.to_string(),
                changes: changes.len(),
                breaking: changes
                    .iter()
                    .filter(|c| {
                        let role = c.part.as_ref().map_or(Role::Member, |p| p.role);
                        let (old, new) = effects(&c.what, role, dir);
                        old.breaks() || new.breaks()
                    })
                    .map(|c| (*c).clone())
                    .collect(),
            })
        })
        .collect()
}

/// The fork's house-style warnings about definition `name`.
fn rules(fork: &Schema, name: &str) -> Vec<String> {
    fork.warnings
        .iter()
        .filter(|w| w.context.as_ref().is_some_and(|c| &*c.name == name))
        .map(|w| {
            let place = w.loc.map_or_else(String::new, |loc| {
                let path = fork.sources.path(loc.file);
                let file = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |f| f.to_string_lossy().into_owned(),
                );
                format!("{file}:{}: ", loc.line)
            });
            format!("{place}{}", w.message)
        })
        .collect()
}

impl ForkReport {
    /// The report as text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let added = self
            .items
            .iter()
            .filter(|i| i.changes.iter().any(|c| c.part.is_none()))
            .count();
        let _ = writeln!(
            out,
            "{} against {}: {} added, {} changed; checked against {}",
            self.fork,
            self.base,
            super::count(added, "definition"),
            self.items.len() - added,
            self.upstream
        );
        for item in &self.items {
            let _ = writeln!(out, "\n{} {}", item.meta, item.name);
            for c in &item.changes {
                let _ = writeln!(out, "  {}", c.summary());
            }
            if item.in_upstream {
                if item.conflicts.is_empty() {
                    let _ = writeln!(out, "  {} has it as the fork does", self.upstream);
                } else {
                    let _ = writeln!(out, "  {} has it, differently:", self.upstream);
                    for c in &item.conflicts {
                        let _ = writeln!(out, "    {}", c.summary());
                    }
                }
            } else {
                let _ = writeln!(
                    out,
                    "  {} has no {} {}",
                    self.upstream, item.meta, item.name
                );
            }
            if !item.dependencies.is_empty() {
                let _ = writeln!(out, "  it uses what {} changed:", self.upstream);
                for d in &item.dependencies {
                    let _ = writeln!(
                        out,
                        "    {} {}: {}, {} breaking",
                        d.meta,
                        d.name,
                        super::count(d.changes, "change"),
                        d.breaking.len()
                    );
                    for c in &d.breaking {
                        let _ = writeln!(out, "      {}", c.summary());
                    }
                }
            }
            if !item.rules.is_empty() {
                let _ = writeln!(
                    out,
                    "  against {}'s rules (errors with --strict):",
                    self.upstream
                );
                for r in &item.rules {
                    let _ = writeln!(out, "    {r}");
                }
            }
        }
        out
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "{{\"base\": {}, \"fork\": {}, \"upstream\": {}, \"items\": [",
            json_str(&self.base),
            json_str(&self.fork),
            json_str(&self.upstream)
        );
        let list = |v: &[Change]| {
            let items: Vec<String> = v.iter().map(|c| json_str(&c.summary())).collect();
            format!("[{}]", items.join(", "))
        };
        for (i, item) in self.items.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            let _ = write!(
                out,
                "  {{\"meta\": {}, \"name\": {}, \"changes\": {}, \"in-upstream\": {}, \
                 \"conflicts\": {}, \"dependencies\": [",
                json_str(item.meta),
                json_str(&item.name),
                list(&item.changes),
                item.in_upstream,
                list(&item.conflicts)
            );
            for (j, d) in item.dependencies.iter().enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                let _ = write!(
                    out,
                    "{{\"meta\": {}, \"name\": {}, \"changes\": {}, \"breaking\": {}}}",
                    json_str(d.meta),
                    json_str(&d.name),
                    d.changes,
                    list(&d.breaking)
                );
            }
            let rules: Vec<String> = item.rules.iter().map(|r| json_str(r)).collect();
            let _ = write!(out, "], \"rules\": [{}]}}", rules.join(", "));
        }
        out.push_str(if self.items.is_empty() {
            "]}\n"
        } else {
            "\n]}\n"
        });
        out
    }
}

impl Diff {
    /// The changes of definition `name`.
    pub fn of(&self, name: &str) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.name == name)
    }
}
