//! The event queue: events by key (priority, time, sequence), in key order.
//!
//! An ordered map from key to a slot, with the events themselves in a slab beside it. A
//! `BTreeMap` holding the events shifted them inside its nodes on every insert and
//! removal, and an event carries a whole message (an AppendEntries with its entries): the
//! copying was about a tenth of a Raft run. Here the map moves a key and a slot number.

use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone)]
pub(super) struct Queue<K, E> {
    order: BTreeMap<K, u32>,
    /// Events by slot; `None` in a free slot.
    events: Vec<Option<E>>,
    /// Free slots, reused last freed first (deterministic, as everything here).
    free: Vec<u32>,
}

impl<K: Ord + Copy, E> Queue<K, E> {
    pub(super) fn new() -> Self {
        Queue {
            order: BTreeMap::new(),
            events: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Queue `event` under `key`, which must not be queued already (the kernel's keys
    /// carry a sequence number of their own).
    pub(super) fn insert(&mut self, key: K, event: E) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.events[slot as usize] = Some(event);
                slot
            }
            None => {
                self.events.push(Some(event));
                (self.events.len() - 1) as u32
            }
        };
        let before = self.order.insert(key, slot);
        debug_assert!(before.is_none(), "a key queued twice");
    }

    pub(super) fn remove(&mut self, key: &K) -> Option<E> {
        let slot = self.order.remove(key)?;
        self.free.push(slot);
        self.events[slot as usize].take()
    }

    /// The events in key order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&K, &E)> + '_ {
        self.order.iter().map(|(k, &slot)| {
            let event = self.events[slot as usize].as_ref();
            (k, event.expect("a queued key has its event"))
        })
    }

    pub(super) fn len(&self) -> usize {
        self.order.len()
    }
}

/// As a map from key to event, in key order (what a `BTreeMap` prints).
impl<K: Ord + Copy + fmt::Debug, E: fmt::Debug> fmt::Debug for Queue<K, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Queue;

    #[test]
    fn it_keeps_key_order_through_inserts_and_removals() {
        let mut q = Queue::new();
        for k in [5u32, 1, 9, 3, 7] {
            q.insert(k, format!("e{k}"));
        }
        assert_eq!(q.remove(&9).as_deref(), Some("e9"));
        assert_eq!(q.remove(&9), None, "gone once removed");
        q.insert(4, "e4".to_string()); // into the freed slot
        q.insert(10, "e10".to_string());
        let keys: Vec<u32> = q.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, [1, 3, 4, 5, 7, 10]);
        assert!(q.iter().all(|(k, e)| *e == format!("e{k}")));
        assert_eq!(q.len(), 6);
        assert_eq!(
            format!("{q:?}"),
            r#"{1: "e1", 3: "e3", 4: "e4", 5: "e5", 7: "e7", 10: "e10"}"#
        );
        let copy = q.clone();
        assert_eq!(copy.iter().count(), 6);
    }
}
