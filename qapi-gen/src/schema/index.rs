//! The definitions by name.
//!
//! A map from name to id would keep every name twice, once in its
//! definition and once as a key, and spend 24 bytes a slot on a key and an
//! id: for a large schema of small definitions, about as much memory as the
//! schema's text.  This table keeps only ids, each with 32 bits of its
//! name's hash (8 bytes a slot); a lookup compares names with the
//! definitions' own.

use std::fmt;
use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

use super::DefId;

/// Definition ids by name.  The names are the caller's: lookups are given
/// a way to read the name of an id ([`NameIndex::get`]).
#[derive(Default)]
pub(crate) struct NameIndex {
    /// Each id with its name's [`NameIndex::hash`].
    table: HashTable<(u32, DefId)>,
    hasher: RandomState,
}

/// The table's hash of an entry: its 32 bits spread over 64, so that both
/// the low bits (which pick a slot) and the high ones (which the table
/// keeps beside each slot to skip most comparisons) vary.
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl NameIndex {
    fn hash(&self, name: &str) -> u32 {
        // The high half: SipHash's bits are all equally good.
        (self.hasher.hash_one(name) >> 32) as u32
    }

    /// Makes room for `additional` more names.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.table.reserve(additional, |&(hash, _)| spread(hash));
    }

    /// How many names it holds.
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// The id named `name`, where `name_of` gives the name of each id the
    /// index holds.
    pub(crate) fn get<'a>(&self, name: &str, name_of: impl Fn(DefId) -> &'a str) -> Option<DefId> {
        self.find_hashed(self.hash(name), name, name_of)
    }

    /// Adds `id` under `name`, which the index must not hold yet.
    pub(crate) fn insert(&mut self, name: &str, id: DefId) {
        self.insert_hashed(self.hash(name), id);
    }

    fn find_hashed<'a>(
        &self,
        hash: u32,
        name: &str,
        name_of: impl Fn(DefId) -> &'a str,
    ) -> Option<DefId> {
        self.table
            .find(spread(hash), |&(h, id)| h == hash && name_of(id) == name)
            .map(|&(_, id)| id)
    }

    fn insert_hashed(&mut self, hash: u32, id: DefId) {
        self.table
            .insert_unique(spread(hash), (hash, id), |&(hash, _)| spread(hash));
    }
}

impl fmt::Debug for NameIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NameIndex({} names)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_it_holds_and_nothing_else() {
        let names: Vec<String> = (0..10_000).map(|i| format!("Type{i}")).collect();
        let name_of = |id: DefId| names[id.index()].as_str();
        let mut index = NameIndex::default();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(index.get(name, name_of), None);
            index.insert(name, DefId(i as u32));
        }
        assert_eq!(index.len(), names.len());
        for (i, name) in names.iter().enumerate() {
            assert_eq!(index.get(name, name_of), Some(DefId(i as u32)));
        }
        for absent in ["", "Type", "Type10000", "type0", "Type-1"] {
            assert_eq!(index.get(absent, name_of), None, "{absent}");
        }
    }

    #[test]
    fn tells_apart_names_whose_hashes_agree() {
        // Every entry under one hash: lookups then rest on comparing names.
        let names = ["a", "b", "c"];
        let name_of = |id: DefId| names[id.index()];
        let mut index = NameIndex::default();
        for i in 0..names.len() {
            index.insert_hashed(7, DefId(i as u32));
        }
        assert_eq!(index.find_hashed(7, "b", name_of), Some(DefId(1)));
        assert_eq!(index.find_hashed(7, "c", name_of), Some(DefId(2)));
        assert_eq!(index.find_hashed(7, "d", name_of), None);
        assert_eq!(index.find_hashed(8, "a", name_of), None);
    }
}
