//! Ordered maps and sets built by insertion.
//!
//! `collect()` into a `BTreeMap` or `BTreeSet` sorts the items first and then builds the
//! tree: a stable sort compiled once per item type and source iterator, about 3 KB each in
//! the WebAssembly pages. Inserting one by one (`extend`) gives the same map (for a repeated
//! key the last value wins, as with `collect`) with the insertion code every map has anyway.
//! (The crate's own [`crate::collections::VecMap`] and `VecSet` collect by insertion.)
//!
//! [`by_step`] sorts the action log the same way, for the same reason.

use crate::timeline::TimedAction;
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

/// The actions ordered by step, those at one step in the order given (a stable sort). Each
/// goes after the last one at its step or before: the log comes mostly in order already, so
/// this is about a push per action, and it compiles to a loop rather than another sort.
pub fn by_step<C>(actions: Vec<TimedAction<C>>) -> Vec<TimedAction<C>> {
    let mut out: Vec<TimedAction<C>> = Vec::with_capacity(actions.len());
    for a in actions {
        let at = out.partition_point(|b| b.step <= a.step);
        out.insert(at, a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Action, NodeId};

    #[test]
    fn by_step_is_a_stable_sort() {
        let a = |step, node| TimedAction::<()> {
            step,
            action: Action::Crash { node: NodeId(node) },
            scripted: false,
        };
        let got = by_step(vec![a(5, 0), a(1, 1), a(5, 2), a(0, 3), a(1, 4), a(5, 5)]);
        let mut want = vec![a(5, 0), a(1, 1), a(5, 2), a(0, 3), a(1, 4), a(5, 5)];
        want.sort_by_key(|a| a.step);
        assert_eq!(got, want);
        assert_eq!(
            map([(2, 'a'), (1, 'b'), (2, 'c')]),
            [(1, 'b'), (2, 'c')].into()
        );
    }
}
