//! Small ordered maps and sets: a sorted `Vec` searched by halves.
//!
//! A `BTreeMap` compiles its whole tree (insertion with splits, removal with merges and
//! steals, cloning and dropping of subtrees, its iterators) once per key and value types:
//! 10 to 20 KB of WebAssembly for every pair, and the pages have dozens of pairs. The maps
//! and sets of the simulation, the algorithms' node states, their checkers and the views
//! hold a handful to a few thousand entries, mostly added in key order; for them a sorted
//! vector is as fast or faster (one allocation, cloned with one copy) and a few hundred
//! bytes of code per pair.
//!
//! [`VecMap`] and [`VecSet`] have the part of `BTreeMap`'s and `BTreeSet`'s interface the
//! crate uses, with the same meaning (entries in key order; inserting a key present keeps
//! the key and replaces the value), and are written and read as they are: a map as a JSON
//! object (or whatever the serializer makes of a map) in key order, a set as an array in
//! order. Collections that grow large and change at random places (the simulation's event
//! queue, a ring's keys) stay `BTreeMap`s and `BTreeSet`s.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

/// Where `key` is among `items` (sorted by `key_of`): `Ok` at it, `Err` where it would go.
fn search<T, K: Borrow<Q>, Q: Ord + ?Sized>(
    items: &[T],
    key: &Q,
    key_of: impl Fn(&T) -> &K,
) -> Result<usize, usize> {
    items.binary_search_by(|item| key_of(item).borrow().cmp(key))
}

/// The positions of `items` (sorted by `key_of`) whose keys are in `range`.
fn span<T, K: Borrow<Q>, Q: Ord + ?Sized, R: RangeBounds<Q>>(
    items: &[T],
    range: R,
    key_of: impl Fn(&T) -> &K,
) -> std::ops::Range<usize> {
    let start = match range.start_bound() {
        Bound::Included(s) => items.partition_point(|i| key_of(i).borrow() < s),
        Bound::Excluded(s) => items.partition_point(|i| key_of(i).borrow() <= s),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(e) => items.partition_point(|i| key_of(i).borrow() <= e),
        Bound::Excluded(e) => items.partition_point(|i| key_of(i).borrow() < e),
        Bound::Unbounded => items.len(),
    };
    start..end.max(start)
}

/// An ordered map over a sorted vector of entries.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VecMap<K, V> {
    items: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap::new()
    }
}

impl<K, V> VecMap<K, V> {
    pub const fn new() -> Self {
        VecMap { items: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter(self.items.iter())
    }

    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut(self.items.iter_mut())
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + Clone {
        self.items.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.items.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.items.iter_mut().map(|(_, v)| v)
    }

    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = K> + ExactSizeIterator {
        self.items.into_iter().map(|(k, _)| k)
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.items.into_iter().map(|(_, v)| v)
    }

    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        self.items.first().map(|(k, v)| (k, v))
    }

    pub fn last_key_value(&self) -> Option<(&K, &V)> {
        self.items.last().map(|(k, v)| (k, v))
    }

    pub fn pop_first(&mut self) -> Option<(K, V)> {
        (!self.items.is_empty()).then(|| self.items.remove(0))
    }

    pub fn pop_last(&mut self) -> Option<(K, V)> {
        self.items.pop()
    }

    /// Keep the entries for which `keep` says so (in key order).
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.items.retain_mut(|(k, v)| keep(k, v));
    }
}

impl<K: Ord, V> VecMap<K, V> {
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        search(&self.items, key, |(k, _)| k)
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.items[i].1)
    }

    pub fn get_key_value<Q: Ord + ?Sized>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| {
            let (k, v) = &self.items[i];
            (k, v)
        })
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        match self.find(key) {
            Ok(i) => Some(&mut self.items[i].1),
            Err(_) => None,
        }
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Insert or replace; a key already there is kept (as `BTreeMap::insert` does).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.items[i].1, value)),
            Err(i) => {
                self.items.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    pub fn remove_entry<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.items.remove(i))
    }

    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        let at = self.find(&key);
        Entry { map: self, key, at }
    }

    /// The entries whose keys are in `range`, in key order.
    pub fn range<Q: Ord + ?Sized, R: RangeBounds<Q>>(&self, range: R) -> Iter<'_, K, V>
    where
        K: Borrow<Q>,
    {
        Iter(self.items[span(&self.items, range, |(k, _)| k)].iter())
    }
}

/// A place in a [`VecMap`] for a key, taken or not.
pub struct Entry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    key: K,
    at: Result<usize, usize>,
}

impl<'a, K, V> Entry<'a, K, V> {
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Whether the key has a value already.
    pub fn is_occupied(&self) -> bool {
        self.at.is_ok()
    }

    pub fn or_insert(self, value: V) -> &'a mut V {
        self.or_insert_with(|| value)
    }

    pub fn or_insert_with(self, value: impl FnOnce() -> V) -> &'a mut V {
        let i = match self.at {
            Ok(i) => i,
            Err(i) => {
                self.map.items.insert(i, (self.key, value()));
                i
            }
        };
        &mut self.map.items[i].1
    }

    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }

    pub fn and_modify(self, f: impl FnOnce(&mut V)) -> Self {
        if let Ok(i) = self.at {
            f(&mut self.map.items[i].1);
        }
        self
    }
}

/// The entries of a [`VecMap`], in key order.
#[derive(Clone)]
pub struct Iter<'a, K, V>(std::slice::Iter<'a, (K, V)>);

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

/// The entries of a [`VecMap`], in key order, values writable.
pub struct IterMut<'a, K, V>(std::slice::IterMut<'a, (K, V)>);

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K, V> DoubleEndedIterator for IterMut<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&*k, v))
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut VecMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// One by one (a key given twice keeps its last value, as `BTreeMap` does).
impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, items: I) {
        for (k, v) in items {
            self.insert(k, v);
        }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(items: I) -> Self {
        let mut m = VecMap::new();
        m.extend(items);
        m
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for VecMap<K, V> {
    fn from(items: [(K, V); N]) -> Self {
        items.into_iter().collect()
    }
}

impl<K: Ord + Borrow<Q>, Q: Ord + ?Sized, V> std::ops::Index<&Q> for VecMap<K, V> {
    type Output = V;

    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Serialize, V: Serialize> Serialize for VecMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Deserialize<'de> for VecMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Visitor<'de> for MapVisitor<K, V> {
            type Value = VecMap<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = VecMap::new();
                while let Some((k, v)) = map.next_entry()? {
                    out.insert(k, v);
                }
                Ok(out)
            }
        }

        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// An ordered set over a sorted vector.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VecSet<T> {
    items: Vec<T>,
}

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        VecSet::new()
    }
}

impl<T> VecSet<T> {
    pub const fn new() -> Self {
        VecSet { items: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The values in order, as a slice.
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }

    pub fn first(&self) -> Option<&T> {
        self.items.first()
    }

    pub fn last(&self) -> Option<&T> {
        self.items.last()
    }

    pub fn pop_first(&mut self) -> Option<T> {
        (!self.items.is_empty()).then(|| self.items.remove(0))
    }

    pub fn pop_last(&mut self) -> Option<T> {
        self.items.pop()
    }

    /// Keep the values for which `keep` says so (in order).
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.items.retain(keep);
    }
}

impl<T: Ord> VecSet<T> {
    fn find<Q: Ord + ?Sized>(&self, value: &Q) -> Result<usize, usize>
    where
        T: Borrow<Q>,
    {
        search(&self.items, value, |t| t)
    }

    pub fn contains<Q: Ord + ?Sized>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.find(value).is_ok()
    }

    pub fn get<Q: Ord + ?Sized>(&self, value: &Q) -> Option<&T>
    where
        T: Borrow<Q>,
    {
        self.find(value).ok().map(|i| &self.items[i])
    }

    /// Add `value`; false if it was there (the value there is kept, as in `BTreeSet`).
    pub fn insert(&mut self, value: T) -> bool {
        match self.find(&value) {
            Ok(_) => false,
            Err(i) => {
                self.items.insert(i, value);
                true
            }
        }
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.take(value).is_some()
    }

    pub fn take<Q: Ord + ?Sized>(&mut self, value: &Q) -> Option<T>
    where
        T: Borrow<Q>,
    {
        self.find(value).ok().map(|i| self.items.remove(i))
    }

    /// The values in `range`, in order.
    pub fn range<Q: Ord + ?Sized, R: RangeBounds<Q>>(&self, range: R) -> std::slice::Iter<'_, T>
    where
        T: Borrow<Q>,
    {
        self.items[span(&self.items, range, |t| t)].iter()
    }

    /// Whether every value of `self` is in `other`.
    pub fn is_subset(&self, other: &VecSet<T>) -> bool {
        self.items.iter().all(|t| other.contains(t))
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<T> IntoIterator for VecSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<T: Ord> Extend<T> for VecSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for t in items {
            self.insert(t);
        }
    }
}

impl<T: Ord> FromIterator<T> for VecSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut s = VecSet::new();
        s.extend(items);
        s
    }
}

impl<T: Ord, const N: usize> From<[T; N]> for VecSet<T> {
    fn from(items: [T; N]) -> Self {
        items.into_iter().collect()
    }
}

impl<T: fmt::Debug> fmt::Debug for VecSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<T: Serialize> Serialize for VecSet<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de, T: Deserialize<'de> + Ord> Deserialize<'de> for VecSet<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SetVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de> + Ord> Visitor<'de> for SetVisitor<T> {
            type Value = VecSet<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = VecSet::new();
                while let Some(t) = seq.next_element()? {
                    out.insert(t);
                }
                Ok(out)
            }
        }

        deserializer.deserialize_seq(SetVisitor(PhantomData))
    }
}

/// Items per chunk of a [`ChunkVec`].
pub const CHUNK: usize = 256;

/// A vector of items by position, grown with default items, kept in chunks of [`CHUNK`]
/// shared between copies: a copy (a timeline checkpoint of a checker that remembers
/// something per log index) costs a pointer per chunk rather than every item, and a write
/// copies only the chunk written to, the first time after a copy.
#[derive(Clone)]
pub struct ChunkVec<T> {
    chunks: Vec<Arc<Vec<T>>>,
}

impl<T> Default for ChunkVec<T> {
    fn default() -> Self {
        ChunkVec { chunks: Vec::new() }
    }
}

impl<T: Clone + Default> ChunkVec<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The item at `k`, if the vector reaches that far.
    pub fn get(&self, k: usize) -> Option<&T> {
        self.chunks.get(k / CHUNK).map(|c| &c[k % CHUNK])
    }

    /// The item at `k`, writable, growing the vector with default items to reach it.
    pub fn get_mut(&mut self, k: usize) -> &mut T {
        while self.chunks.len() <= k / CHUNK {
            self.chunks.push(Arc::new(vec![T::default(); CHUNK]));
        }
        &mut Arc::make_mut(&mut self.chunks[k / CHUNK])[k % CHUNK]
    }

    /// The items with their positions, in order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> + '_ {
        self.chunks.iter().flat_map(|c| c.iter()).enumerate()
    }
}

/// As a list of its items.
impl<T: fmt::Debug> fmt::Debug for ChunkVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.chunks.iter().flat_map(|c| c.iter()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// A small deterministic generator (the tests need no crate for it).
    fn numbers(seed: u64, n: usize, below: u64) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % below
            })
            .collect()
    }

    #[test]
    fn a_map_behaves_as_a_btree_map() {
        for seed in 1..20 {
            let mut a: VecMap<u64, u64> = VecMap::new();
            let mut b: BTreeMap<u64, u64> = BTreeMap::new();
            let ops = numbers(seed, 400, 64);
            for (i, w) in ops.chunks(2).enumerate() {
                let (k, op) = (w[0], w[1] % 5);
                match op {
                    0 | 1 => assert_eq!(a.insert(k, i as u64), b.insert(k, i as u64)),
                    2 => assert_eq!(a.remove(&k), b.remove(&k)),
                    3 => {
                        *a.entry(k).or_default() += 1;
                        *b.entry(k).or_default() += 1;
                    }
                    _ => {
                        a.retain(|k, _| k % 7 != 0);
                        b.retain(|k, _| k % 7 != 0);
                    }
                }
                assert_eq!(a.get(&k), b.get(&k));
                assert_eq!(a.len(), b.len());
                assert!(a.iter().eq(b.iter()));
                assert!(a.range(k..).eq(b.range(k..)));
                assert!(a.range(..k).eq(b.range(..k)));
                assert!(a.range(k / 2..=k).eq(b.range(k / 2..=k)));
                assert_eq!(a.first_key_value(), b.first_key_value());
                assert_eq!(a.last_key_value(), b.last_key_value());
            }
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                serde_json::to_string(&b).unwrap()
            );
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
    }

    #[test]
    fn a_set_behaves_as_a_btree_set() {
        for seed in 1..20 {
            let mut a: VecSet<u64> = VecSet::new();
            let mut b: BTreeSet<u64> = BTreeSet::new();
            let ops = numbers(seed, 400, 64);
            for w in ops.chunks(2) {
                let (k, op) = (w[0], w[1] % 4);
                match op {
                    0 | 1 => assert_eq!(a.insert(k), b.insert(k)),
                    2 => assert_eq!(a.remove(&k), b.remove(&k)),
                    _ => {
                        a.retain(|k| k % 5 != 0);
                        b.retain(|k| k % 5 != 0);
                    }
                }
                assert_eq!(a.contains(&k), b.contains(&k));
                assert!(a.iter().eq(b.iter()));
                assert!(a.range(k..).eq(b.range(k..)));
                assert_eq!(a.first(), b.first());
                assert_eq!(a.last(), b.last());
            }
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                serde_json::to_string(&b).unwrap()
            );
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
    }

    #[test]
    fn read_and_written_as_the_btree_types() {
        let json = r#"{"b":[3,1,2,1],"a":[]}"#;
        let a: VecMap<String, VecSet<u32>> = serde_json::from_str(json).unwrap();
        let b: BTreeMap<String, BTreeSet<u32>> = serde_json::from_str(json).unwrap();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"a":[],"b":[1,2,3]}"#
        );
        let e = |s: &str| serde_json::from_str::<VecMap<String, u32>>(s).unwrap_err();
        let f = |s: &str| serde_json::from_str::<BTreeMap<String, u32>>(s).unwrap_err();
        assert_eq!(e("[1]").to_string(), f("[1]").to_string());
        let e = |s: &str| serde_json::from_str::<VecSet<u32>>(s).unwrap_err();
        let f = |s: &str| serde_json::from_str::<BTreeSet<u32>>(s).unwrap_err();
        assert_eq!(e("{}").to_string(), f("{}").to_string());
        // A key given twice: the last value wins, as in a BTreeMap.
        let a: VecMap<String, u32> = serde_json::from_str(r#"{"x":1,"x":2}"#).unwrap();
        assert_eq!(a.get("x"), Some(&2));
    }
}

/// A set of (key, number) pairs where each key's numbers mostly come in order from 1 (a
/// client's requests, say): per key, the run 1..=n is kept as n alone and only the
/// numbers beyond it one by one. Cloning it copies a few words per key, where a set of
/// pairs copied every pair: a Raft server's applied requests, thousands of them, were a
/// good part of every checkpoint. Written as the set of pairs in order (as a
/// `BTreeSet<(K, u32)>` is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeqSet<K> {
    keys: VecMap<K, Seqs>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Seqs {
    /// 1..=run are all in.
    run: u32,
    /// Those in beside the run: 0, and numbers past `run + 1`.
    rest: VecSet<u32>,
}

impl<K> Default for SeqSet<K> {
    fn default() -> Self {
        SeqSet {
            keys: VecMap::new(),
        }
    }
}

impl<K: Ord + Copy> SeqSet<K> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn contains(&self, &(key, n): &(K, u32)) -> bool {
        self.keys
            .get(&key)
            .is_some_and(|s| (1..=s.run).contains(&n) || s.rest.contains(&n))
    }

    /// Add the pair; whether it was not in yet.
    pub fn insert(&mut self, (key, n): (K, u32)) -> bool {
        if self.contains(&(key, n)) {
            return false;
        }
        let s = self.keys.entry(key).or_default();
        if n == s.run + 1 {
            s.run = n;
            while s.rest.remove(&(s.run + 1)) {
                s.run += 1;
            }
        } else {
            s.rest.insert(n);
        }
        true
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (K, u32)> + '_ {
        self.keys.iter().flat_map(|(&k, s)| {
            // 0 (never part of a run), the run, then those beyond it.
            let zero = s.rest.contains(&0).then_some(0);
            let beyond = s.rest.iter().copied().filter(|&n| n > 0);
            zero.into_iter()
                .chain(1..=s.run)
                .chain(beyond)
                .map(move |n| (k, n))
        })
    }

    pub fn len(&self) -> usize {
        self.keys
            .iter()
            .map(|(_, s)| s.run as usize + s.rest.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Serialize + Ord + Copy> Serialize for SeqSet<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod seq_set_tests {
    use super::SeqSet;
    use std::collections::BTreeSet;

    #[test]
    fn it_is_the_set_of_pairs_whatever_the_order() {
        // In order, with gaps, out of order, repeated, a zero, and several keys.
        let pairs = [
            (2u8, 1u32),
            (1, 1),
            (1, 2),
            (1, 4),
            (1, 2),
            (2, 3),
            (1, 3),
            (1, 0),
            (2, 2),
            (1, 9),
            (3, 5),
            (1, 5),
        ];
        let mut ours = SeqSet::new();
        let mut reference = BTreeSet::new();
        for p in pairs {
            assert_eq!(ours.insert(p), reference.insert(p), "insert {p:?}");
            assert_eq!(
                ours.iter().collect::<BTreeSet<_>>(),
                reference,
                "after {p:?}"
            );
            assert_eq!(
                ours.iter().collect::<Vec<_>>(),
                reference.iter().copied().collect::<Vec<_>>()
            );
            assert_eq!(ours.len(), reference.len());
        }
        for k in 0..4u8 {
            for n in 0..11u32 {
                assert_eq!(
                    ours.contains(&(k, n)),
                    reference.contains(&(k, n)),
                    "{k} {n}"
                );
            }
        }
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&reference).unwrap()
        );
    }
}
