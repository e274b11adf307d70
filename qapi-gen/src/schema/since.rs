//! When each item was introduced, read from the documentation: the
//! `Since:` section of a definition, `(since X.Y)` in a member's or value's
//! description, and `NAME since X.Y` lists in a definition's text.
//!
//! QEMU writes these many ways (`Since: 2.8`, `(since 8.0)`, `(since:
//! 9.1)`, `Since 1.7`, `since 1.5.0`, `(default: false, since 3.0)`); the
//! first `since` followed by a version is the one that counts.  Where the
//! documentation gives none, an item was introduced with the definition
//! that holds it.

use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};

use super::{DefId, DefKind, Definition, DocId, Schema, Version};
use crate::doc::{Doc, SectionKind};

/// The version after the first `since` (any case, as a word, optionally
/// followed by `:`) in `text`.
///
/// ```
/// use qapi_gen::schema::{since_in, Version};
/// assert_eq!(since_in("total time (since 8.1)"), Some(Version::new(8, 1)));
/// assert_eq!(since_in("@luks: Since 2.7"), Some(Version::new(2, 7)));
/// assert_eq!(since_in("(default: false; since: 4.1)"), Some(Version::new(4, 1)));
/// assert_eq!(since_in("the time since boot"), None);
/// ```
pub fn since_in(text: &str) -> Option<Version> {
    occurrences(text).next().map(|(_, v)| v)
}

/// Every `since VERSION` in `text`: where the word starts, and the version.
fn occurrences(text: &str) -> impl Iterator<Item = (usize, Version)> + '_ {
    let bytes = text.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(i) = find_word(bytes, from) {
            from = i + 5;
            let after = &text[i + 5..];
            let rest = after.strip_prefix(':').unwrap_or(after);
            let trimmed = rest.trim_start_matches([' ', '\t', '\n']);
            // `since` must be followed by `:` or white space, not glued to
            // more letters or digits.
            if trimmed.len() == after.len() {
                continue;
            }
            if let Some((v, _)) = Version::prefix(trimmed) {
                return Some((i, v));
            }
        }
        None
    })
}

/// The next `since` at or after `from` that is a word of its own.
fn find_word(bytes: &[u8], mut from: usize) -> Option<usize> {
    while from + 5 <= bytes.len() {
        let i = from
            + bytes[from..]
                .windows(5)
                .position(|w| w.eq_ignore_ascii_case(b"since"))?;
        let before = i.checked_sub(1).map(|j| bytes[j]);
        if !before.is_some_and(|b| b.is_ascii_alphanumeric()) {
            return Some(i);
        }
        from = i + 5;
    }
    None
}

/// `NAME since VERSION` pairs in `text`, as definitions list the versions
/// of some of their values or branches: `Since: 2.1 (poweroff since 2.8,
/// run since 5.0)`, `@dgram since 7.2`.
fn named(text: &str) -> impl Iterator<Item = (&str, Version)> + '_ {
    occurrences(text).filter_map(move |(i, v)| {
        let before = text[..i].trim_end_matches([' ', '\t', '\n']);
        // The name starts after the last character that cannot be in one
        // (which may take more than one byte); a letter outside ASCII
        // there means a word that is no QAPI name.
        let (start, glued) = before
            .char_indices()
            .rfind(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .map_or((0, false), |(j, c)| (j + c.len_utf8(), c.is_alphanumeric()));
        let name = before[start..].trim_end_matches('.');
        (!glued && !name.is_empty()).then_some((name, v))
    })
}

/// The versions a documentation block gives the names of its members,
/// values or branches: a member's description's, else the first `NAME since
/// X` in the definition's text.  A name maps to `None` where its
/// description gives no version and the text none either.
fn named_versions(doc: &Doc) -> HashMap<&str, Option<Version>> {
    let mut found: HashMap<&str, Option<Version>> = HashMap::new();
    // The first description of a name counts, with a version or without.
    for a in &doc.args {
        found
            .entry(a.name.as_str())
            .or_insert_with(|| since_in(&a.text));
    }
    let texts = std::iter::once(&doc.body.text).chain(doc.sections.iter().map(|s| &s.text));
    for (name, v) in texts.flat_map(|t| named(t)) {
        found.entry(name).or_default().get_or_insert(v);
    }
    found
}

/// The documentation block that describes a definition: its own, or for
/// QEMU's implicit types that of the definition they were made for (the
/// command of `q_obj_NAME-arg`, the union of `q_obj_NAME-base` and of a
/// 5.2 simple union's `NAMEKind`).
pub(crate) fn doc_of<'s>(schema: &'s Schema, def: &Definition) -> Option<&'s Doc> {
    doc_index(schema, def).map(|i| &schema.docs[i])
}

/// [`doc_of`] as an index into [`Schema::docs`].
fn doc_index(schema: &Schema, def: &Definition) -> Option<usize> {
    if def.doc.is_some() || !def.implicit {
        return def.doc.map(DocId::index);
    }
    let owner = if let Some(rest) = def.name.strip_prefix("q_obj_") {
        rest.rsplit_once('-').map_or(rest, |(o, _)| o)
    } else {
        def.name.strip_suffix("Kind")?
    };
    schema.get(owner).and_then(|d| d.doc).map(DocId::index)
}

/// What `annotate` looks up for every member, value and branch, built the
/// first time it is asked for and once only, so that the lookups are
/// constant time: the versions each documentation block gives names, and
/// the values of the enumerations that tag unions.
struct Lookups<'s> {
    schema: &'s Schema,
    /// By index into [`Schema::docs`].
    docs: Vec<OnceCell<HashMap<&'s str, Option<Version>>>>,
    /// The value names of the enumerations asked about.
    values: RefCell<HashMap<DefId, HashSet<&'s str>>>,
}

impl<'s> Lookups<'s> {
    fn new(schema: &'s Schema) -> Self {
        Lookups {
            schema,
            docs: std::iter::repeat_with(OnceCell::new)
                .take(schema.docs.len())
                .collect(),
            values: RefCell::default(),
        }
    }

    /// The version the documentation of `def` gives `name` among its
    /// members, values or branches.
    fn named_since(&self, def: &Definition, name: &str) -> Option<Version> {
        let i = doc_index(self.schema, def)?;
        let found = self.docs[i].get_or_init(|| named_versions(&self.schema.docs[i]));
        found.get(name).copied().flatten()
    }

    /// Whether `id` is an enumeration with a value `name`.
    fn has_value(&self, id: DefId, name: &str) -> bool {
        let DefKind::Enum(e) = &self.schema.def(id).kind else {
            return false;
        };
        let mut values = self.values.borrow_mut();
        let names = values
            .entry(id)
            .or_insert_with(|| e.values.iter().map(|v| &*v.name).collect());
        names.contains(name)
    }
}

/// The version in a definition's `Since:` section, or failing that on a
/// line of its own text that starts with `Since` (`Since 10.1` without the
/// colon is plain text to QEMU, but means the same).
fn definition_since(schema: &Schema, def: &Definition) -> Option<Version> {
    let doc = doc_of(schema, def)?;
    if let Some(section) = doc.section(SectionKind::Since) {
        return Version::prefix(section.text.trim_start()).map(|(v, _)| v);
    }
    std::iter::once(&doc.body)
        .chain(doc.sections.iter().filter(|s| s.kind == SectionKind::Plain))
        .flat_map(|s| s.text.lines())
        .filter_map(|l| l.trim_start().strip_prefix("Since"))
        .find_map(|rest| {
            let rest = rest.strip_prefix(':').unwrap_or(rest);
            let v = rest.trim_start();
            (v.len() < rest.len()).then(|| Version::prefix(v).map(|(v, _)| v))?
        })
}

/// Fills in `since` of every definition, member, value and branch.
pub(crate) fn annotate(schema: &mut Schema) {
    // Definitions: from their documentation; arrays take their element's.
    for i in 0..schema.defs.len() {
        schema.defs[i].since = definition_since(schema, &schema.defs[i]);
    }
    for i in 0..schema.defs.len() {
        if let DefKind::Array(a) = &schema.defs[i].kind {
            schema.defs[i].since = schema.defs[a.element.index()].since;
        }
    }
    let schema_ref = &*schema;
    let def_since = |id: DefId| schema_ref.def(id).since;

    let lookups = Lookups::new(schema);
    // A value's version: its description's, else its enumeration's.
    let value_since =
        |id: DefId, name: &str| lookups.named_since(schema.def(id), name).or(def_since(id));

    // The versions of the values, members and branches, in the order of
    // the definitions, then of each one's items (computed from the schema
    // as it is, then written to it).
    let items: usize = schema
        .defs
        .iter()
        .map(|d| match &d.kind {
            DefKind::Enum(e) => e.values.len(),
            DefKind::Object(o) => {
                o.members.len() + o.variants.as_ref().map_or(0, |v| v.variants.len())
            }
            DefKind::Alternate(a) => a.variants.len(),
            _ => 0,
        })
        .sum();
    let mut versions: Vec<Option<Version>> = Vec::with_capacity(items);
    for (i, d) in schema.defs.iter().enumerate() {
        let id = DefId(i as u32);
        match &d.kind {
            DefKind::Enum(e) => {
                versions.extend(e.values.iter().map(|v| value_since(id, &v.name)));
            }
            DefKind::Object(o) => {
                versions.extend(o.members.iter().map(|m| {
                    lookups
                        .named_since(schema.def(m.defined_in), &m.name)
                        .or(def_since(m.defined_in))
                }));
                if let Some(v) = &o.variants {
                    // A branch's version: its description's, else its tag
                    // value's, else the union's.
                    let tag = v.tag_type;
                    versions.extend(v.variants.iter().map(|b| {
                        lookups
                            .named_since(d, &b.name)
                            .or_else(|| {
                                lookups
                                    .has_value(tag, &b.name)
                                    .then(|| value_since(tag, &b.name))
                                    .flatten()
                            })
                            .or(d.since)
                    }));
                }
            }
            DefKind::Alternate(a) => {
                versions.extend(
                    a.variants
                        .iter()
                        .map(|b| lookups.named_since(d, &b.name).or(d.since)),
                );
            }
            _ => {}
        }
    }
    drop(lookups);

    // Each definition takes its items' versions off the front.
    let mut rest = &versions[..];
    let mut take = |n: usize| {
        let (now, later) = rest.split_at(n);
        rest = later;
        now
    };
    for d in &mut schema.defs {
        match &mut d.kind {
            DefKind::Enum(e) => {
                let values = take(e.values.len());
                for (v, s) in e.values.iter_mut().zip(values) {
                    v.since = *s;
                }
            }
            DefKind::Object(o) => {
                let members = take(o.members.len());
                for (m, s) in o.members.iter_mut().zip(members) {
                    m.since = *s;
                }
                // Local members are the tail of `members` (kept apart only
                // in merged models).
                if let Some(local) = o.local_members_apart_mut() {
                    let skip = members.len() - local.len();
                    for (m, s) in local.iter_mut().zip(&members[skip..]) {
                        m.since = *s;
                    }
                }
                if let Some(v) = &mut o.variants {
                    let branches = take(v.variants.len());
                    for (b, s) in v.variants.iter_mut().zip(branches) {
                        b.since = *s;
                    }
                }
            }
            DefKind::Alternate(a) => {
                let branches = take(a.variants.len());
                for (b, s) in a.variants.iter_mut().zip(branches) {
                    b.since = *s;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Option<Version> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn the_forms_qemu_writes() {
        assert_eq!(since_in("Since: 2.8"), v("2.8"));
        assert_eq!(
            since_in("true if the data is stored compressed (since 8.2)"),
            v("8.2")
        );
        assert_eq!(
            since_in("Information about child block nodes.  (since: 10.1)"),
            v("10.1")
        );
        assert_eq!(
            since_in("true if the image is compressed (Since 1.7)"),
            v("1.7")
        );
        assert_eq!(since_in("since 1.5.0"), v("1.5"));
        assert_eq!(since_in("@hv-balloon: since 8.2."), v("8.2"));
        assert_eq!(since_in("(default: zlib, since 5.1)"), v("5.1"));
        assert_eq!(since_in("(since: 10.0; default: false)"), v("10.0"));
        assert_eq!(since_in("(since 2.4 )"), v("2.4"));
        assert_eq!(
            since_in("(Since 2.4 (drive-backup), 3.1 (blockdev-backup))"),
            v("2.4")
        );
        assert_eq!(
            since_in("width of a refcount entry in bits\n(since\n2.3)"),
            v("2.3")
        );
    }

    #[test]
    fn other_uses_of_the_word_are_not_versions() {
        assert_eq!(since_in("time since the last call"), None);
        assert_eq!(since_in("since boot, 2.5 times"), None);
        assert_eq!(since_in("convinced since2.8"), None);
        assert_eq!(since_in("evinces 2.8"), None);
        assert_eq!(since_in("Since: the beginning"), None);
        assert_eq!(since_in(""), None);
        assert_eq!(since_in("since"), None);
        // The first version counts, even after a `since` without one.
        assert_eq!(since_in("since boot (since 6.1)"), v("6.1"));
    }

    #[test]
    fn named_versions_in_text() {
        let found: Vec<_> = named("2.1 (poweroff since 2.8, run since 5.0)").collect();
        assert_eq!(
            found,
            [
                ("poweroff", Version::new(2, 8)),
                ("run", Version::new(5, 0))
            ]
        );
        let found: Vec<_> = named("@dgram since 7.2\n@vhost-vdpa since 5.1").collect();
        assert_eq!(
            found,
            [
                ("dgram", Version::new(7, 2)),
                ("vhost-vdpa", Version::new(5, 1))
            ]
        );
        assert_eq!(named("Since 2.1").count(), 0);
    }

    #[test]
    fn names_after_characters_of_several_bytes() {
        // No panic, and no names cut out of words that are not names.
        let text = "mode: über since 5.0, «fast» since 6.1, é-x since 7.0, «y» z since 8.0";
        let found: Vec<_> = named(text).collect();
        assert_eq!(found, [("z", Version::new(8, 0))]);
    }
}
