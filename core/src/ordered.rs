//! Ordered maps and sets built by insertion.
//!
//! `collect()` into a `BTreeMap` or `BTreeSet` sorts the items first and then builds the
//! tree: a stable sort compiled once per item type and source iterator, about 3 KB each in
//! the WebAssembly pages. Inserting one by one (`extend`) gives the same map (for a repeated
//! key the last value wins, as with `collect`) with the insertion code every map has anyway.
//! For the small maps of the simulation and the views it is as fast.

use std::collections::{BTreeMap, BTreeSet};

/// The map of `items`, as `items.collect::<BTreeMap<_, _>>()` builds it.
pub fn map<K: Ord, V>(items: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut m = BTreeMap::new();
    m.extend(items);
    m
}

/// The set of `items`, as `items.collect::<BTreeSet<_>>()` builds it.
pub fn set<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut s = BTreeSet::new();
    s.extend(items);
    s
}
