//! The order in which QEMU meets the members of an object, where its error
//! texts depend on it.
//!
//! QEMU keeps a parsed JSON object in a `QDict`, a hash table of 512
//! buckets.  Its input visitor copies the member names, in the `QDict`'s
//! order, into a glib `GHashTable`, removes each member it visits, and
//! names the first one left, in the `GHashTable`'s order, as unexpected.
//! [`first_unexpected`] replays that on a model of both tables (the
//! algorithms of QEMU's `qobject/qdict.c` and glib 2.74's `ghash.c`, as
//! documented and observed: checked against `qemu-storage-daemon` 7.2 by
//! `tests/tests/server_vs_qemu.rs`).

/// QEMU's `QDICT_BUCKET_MAX`.
const QDICT_BUCKETS: u32 = 512;

/// The hash QEMU's QDict files keys under (`tdb_hash()`, from gdbm).
fn qdict_hash(key: &str) -> u32 {
    let mut value = 0x238F_13AFu32.wrapping_mul(key.len() as u32);
    for (i, b) in key.bytes().enumerate() {
        value = value.wrapping_add(u32::from(b) << ((i * 5) % 24));
    }
    1_103_515_243u32.wrapping_mul(value).wrapping_add(12345)
}

/// The indices of `keys` (in the order they came) in the order QEMU
/// iterates a QDict holding them: by bucket, and within a bucket the last
/// inserted first.
pub(crate) fn qdict_order<K: AsRef<str>>(keys: &[K]) -> Vec<usize> {
    let mut order: Vec<(u32, usize)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (qdict_hash(k.as_ref()) % QDICT_BUCKETS, i))
        .collect();
    order.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    order.into_iter().map(|(_, i)| i).collect()
}

/// glib's `g_str_hash()`: djb2 over the bytes taken as signed chars.
fn g_str_hash(key: &str) -> u32 {
    key.bytes().fold(5381u32, |h, b| {
        h.wrapping_mul(33).wrapping_add(b as i8 as i32 as u32)
    })
}

/// glib's table sizes: the prime below each power of two.
const PRIME_MOD: [u32; 20] = [
    1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071,
    262139, 524287,
];

const MIN_SHIFT: usize = 3;
const UNUSED: u32 = 0;
const TOMBSTONE: u32 = 1;

fn is_real(hash: u32) -> bool {
    hash >= 2
}

/// A model of a `GHashTable` of member indices: only where each entry
/// sits matters.
struct GHashTable {
    hashes: Vec<u32>,
    keys: Vec<usize>,
    shift: usize,
    nnodes: usize,
    noccupied: usize,
}

impl GHashTable {
    fn new() -> Self {
        GHashTable {
            hashes: vec![UNUSED; 1 << MIN_SHIFT],
            keys: vec![0; 1 << MIN_SHIFT],
            shift: MIN_SHIFT,
            nnodes: 0,
            noccupied: 0,
        }
    }

    fn size(&self) -> usize {
        1 << self.shift
    }

    fn mask(&self) -> usize {
        self.size() - 1
    }

    fn index(&self, hash: u32) -> usize {
        (hash.wrapping_mul(11) % PRIME_MOD[self.shift]) as usize
    }

    /// Where `key` (hashed to `hash`) is, or would go.
    fn lookup(&self, hash: u32, key: Option<usize>) -> usize {
        let mut i = self.index(hash);
        let mut step = 0;
        let mut tombstone = None;
        while self.hashes[i] != UNUSED {
            if self.hashes[i] == hash && Some(self.keys[i]) == key {
                return i;
            }
            if self.hashes[i] == TOMBSTONE && tombstone.is_none() {
                tombstone = Some(i);
            }
            step += 1;
            i = (i + step) & self.mask();
        }
        tombstone.unwrap_or(i)
    }

    fn insert(&mut self, hash: u32, key: usize) {
        let i = self.lookup(hash, None);
        let fresh = self.hashes[i] == UNUSED;
        self.hashes[i] = hash;
        self.keys[i] = key;
        self.nnodes += 1;
        if fresh {
            self.noccupied += 1;
            self.maybe_resize();
        }
    }

    fn remove(&mut self, hash: u32, key: usize) {
        let i = self.lookup(hash, Some(key));
        if self.hashes[i] != hash || self.keys[i] != key {
            return;
        }
        self.hashes[i] = TOMBSTONE;
        self.nnodes -= 1;
        self.maybe_resize();
    }

    fn maybe_resize(&mut self) {
        let size = self.size();
        if (size > self.nnodes * 4 && size > 1 << MIN_SHIFT)
            || size <= self.noccupied + self.noccupied / 16
        {
            self.resize();
        }
    }

    /// Rehashes in place into the size for `nnodes * 1.333` entries,
    /// moving each entry in index order and evicting the ones in its way.
    fn resize(&mut self) {
        let old_size = self.size();
        let wanted = (self.nnodes as f64 * 1.333) as usize;
        let bits = usize::BITS - wanted.leading_zeros();
        self.shift = (bits as usize).clamp(MIN_SHIFT, PRIME_MOD.len() - 1);
        let size = self.size();
        if size > old_size {
            self.hashes.resize(size, UNUSED);
            self.keys.resize(size, 0);
        }
        let mut moved = vec![false; size.max(old_size)];
        for i in 0..old_size {
            let mut hash = self.hashes[i];
            if !is_real(hash) {
                self.hashes[i] = UNUSED;
                continue;
            }
            if moved[i] {
                continue;
            }
            self.hashes[i] = UNUSED;
            let mut key = self.keys[i];
            loop {
                let mut j = self.index(hash);
                let mut step = 0;
                while moved[j] {
                    step += 1;
                    j = (j + step) & self.mask();
                }
                moved[j] = true;
                let replaced = self.hashes[j];
                self.hashes[j] = hash;
                std::mem::swap(&mut key, &mut self.keys[j]);
                if !is_real(replaced) {
                    break;
                }
                hash = replaced;
            }
        }
        self.hashes.truncate(size);
        self.keys.truncate(size);
        self.noccupied = self.nnodes;
    }

    /// The first entry in iteration order.
    fn first(&self) -> Option<usize> {
        self.hashes
            .iter()
            .zip(&self.keys)
            .find(|(h, _)| is_real(**h))
            .map(|(_, k)| *k)
    }
}

/// Of an object's member names `keys` (in the order they came), the one
/// QEMU reports as unexpected once it has visited those at the indices
/// `visited`, in that order; `None` when every member was visited.
pub(crate) fn first_unexpected<K: AsRef<str>>(keys: &[K], visited: &[usize]) -> Option<usize> {
    if visited.len() >= keys.len() {
        // Every member visited (indices are distinct): nothing is left.
        return None;
    }
    let hash = |i: usize| {
        let h = g_str_hash(keys[i].as_ref());
        if is_real(h) { h } else { 2 }
    };
    let mut table = GHashTable::new();
    for i in qdict_order(keys) {
        table.insert(hash(i), i);
    }
    for &i in visited {
        table.remove(hash(i), i);
    }
    table.first()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers of `qemu-storage-daemon` 7.2 to `query-block-jobs` (which
    /// has no arguments) with these members: tables of 8, 16 and 64
    /// entries, grown while filled.
    #[test]
    fn as_qemu_7_2_names_them() {
        let cases: &[(&[&str], &str)] = &[
            (&["a", "b", "c"], "b"),
            (&["k0f", "k1ggg"], "k0f"),
            (&["k0a", "k1i", "k2fff"], "k2fff"),
            (&["k0aaa", "k1d", "k2bb", "k3g"], "k0aaa"),
            (&["k0d", "k1ii", "k2aaa", "k3b", "k4j"], "k0d"),
            (&["k0jjj", "k1g", "k2d", "k3i", "k4ee", "k5ccc"], "k0jjj"),
            (
                &["k0bbb", "k1eee", "k2c", "k3jjj", "k4dd", "k5bbb", "k6bbb"],
                "k1eee",
            ),
            (
                &[
                    "k0aaa", "k1dd", "k2ii", "k3ff", "k4jj", "k5ff", "k6d", "k7d",
                ],
                "k3ff",
            ),
            (
                &[
                    "k0jj", "k1ii", "k2fff", "k3hh", "k4j", "k5bbb", "k6g", "k7f", "k8hh",
                ],
                "k6g",
            ),
            (
                &[
                    "k0aaa", "k1bbb", "k2jj", "k3fff", "k4fff", "k5hhh", "k6h", "k7bb", "k8hhh",
                    "k9b", "k10eee", "k11jjj",
                ],
                "k10eee",
            ),
            (
                &[
                    "k0hh", "k1ggg", "k2f", "k3hh", "k4ccc", "k5bb", "k6a", "k7e", "k8dd", "k9gg",
                    "k10b", "k11hh", "k12ii", "k13cc", "k14ii", "k15gg", "k16g",
                ],
                "k14ii",
            ),
            (
                &[
                    "k0c", "k1c", "k2ddd", "k3d", "k4hhh", "k5cc", "k6e", "k7cc", "k8ii", "k9jjj",
                    "k10f", "k11iii", "k12aa", "k13ii", "k14gg", "k15g", "k16hhh", "k17g", "k18d",
                    "k19dd", "k20c", "k21fff", "k22a", "k23aaa", "k24ccc", "k25bb", "k26j", "k27b",
                    "k28jj", "k29ccc",
                ],
                "k17g",
            ),
        ];
        for (keys, want) in cases {
            let got = first_unexpected(keys, &[]).map(|i| keys[i]);
            assert_eq!(got, Some(*want), "{keys:?}");
        }
        assert_eq!(first_unexpected(&["a", "b"], &[1, 0]), None);
    }
}
