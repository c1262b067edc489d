//! The event queue: events by key (priority, time, sequence), the least first.
//!
//! A binary heap of keys, with the events themselves in a slab beside it: the heap moves a
//! key (with its slot number) and never an event, which may carry a whole message (an
//! AppendEntries with its entries). Each slot knows where its key sits in the heap, so an
//! event is taken out from anywhere (a cancelled timer, a message dropped by hand) in
//! logarithmic time. A `BTreeMap` from key to slot did the same with twice the work per
//! insertion and removal (a fifth of a bare Raft run).

use super::Time;
use std::fmt;

/// Where an event waits: ordered by priority, then time, then sequence number (unique per
/// queued event); `slot` says where its event is kept and never decides the order. Actions
/// a person injects get priority 0 and the current time, so they are the very next step
/// (even before events that waited for a node that just resumed); everything else has
/// priority 1 and runs in time order, ties by sequence.
///
/// The three are packed into one number compared at once: the priority (0 or 1) in the top
/// bit, the time in the 64 below, the sequence number (below 2^63) in the rest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct EvKey {
    order: u128,
    slot: u32,
}

impl EvKey {
    fn new(prio: u8, time: Time, seq: u64, slot: u32) -> Self {
        debug_assert!(prio <= 1 && seq < 1 << 63, "a key out of range");
        EvKey {
            order: (u128::from(prio) << 127) | (u128::from(time) << 63) | u128::from(seq),
            slot,
        }
    }

    pub(super) fn prio(&self) -> u8 {
        (self.order >> 127) as u8
    }

    pub(super) fn time(&self) -> Time {
        (self.order >> 63) as Time
    }

    pub(super) fn seq(&self) -> u64 {
        (self.order as u64) & !(1 << 63)
    }
}

/// As the key's order: its priority, time and sequence number (the slot is the queue's
/// business, and two equal runs may keep an event in different slots).
impl fmt::Debug for EvKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvKey")
            .field("prio", &self.prio())
            .field("time", &self.time())
            .field("seq", &self.seq())
            .finish()
    }
}

#[derive(Clone)]
struct Slot<E> {
    /// `None` in a free slot.
    event: Option<E>,
    /// Where the slot's key is in the heap.
    pos: u32,
}

#[derive(Clone)]
pub(super) struct Queue<E> {
    /// A binary min-heap of keys: `heap[i] <= heap[2i + 1], heap[2i + 2]`.
    heap: Vec<EvKey>,
    slots: Vec<Slot<E>>,
    /// Free slots, reused last freed first (deterministic, as everything here).
    free: Vec<u32>,
}

impl<E> Queue<E> {
    pub(super) fn new() -> Self {
        Queue {
            heap: Vec::new(),
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Queue `event` under (`prio`, `time`, `seq`); `seq` must not be queued already (the
    /// kernel numbers its events). Returns the key to take it out with.
    pub(super) fn insert(&mut self, prio: u8, time: Time, seq: u64, event: E) -> EvKey {
        let pos = self.heap.len() as u32;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Slot {
                    event: Some(event),
                    pos,
                };
                slot
            }
            None => {
                self.slots.push(Slot {
                    event: Some(event),
                    pos,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let key = EvKey::new(prio, time, seq, slot);
        self.heap.push(key);
        self.sift_up(pos as usize);
        key
    }

    /// Take out the event queued under `key` (`None` if it is not queued).
    pub(super) fn remove(&mut self, key: &EvKey) -> Option<E> {
        let slot = self.slots.get_mut(key.slot as usize)?;
        let i = slot.pos as usize;
        if slot.event.is_none() || self.heap.get(i) != Some(key) {
            return None;
        }
        let event = slot.event.take();
        self.free.push(key.slot);
        let last = self.heap.pop().expect("the key is in the heap");
        if i < self.heap.len() {
            // The last key fills the hole and moves whichever way restores the order.
            self.place(i, last);
            if i > 0 && self.heap[i] < self.heap[(i - 1) / 2] {
                self.sift_up(i);
            } else {
                self.sift_down(i);
            }
        }
        event
    }

    /// The least key, if any.
    pub(super) fn first(&self) -> Option<&EvKey> {
        self.heap.first()
    }

    /// The event queued under `key` (which must be queued).
    pub(super) fn get(&self, key: &EvKey) -> &E {
        self.slots[key.slot as usize]
            .event
            .as_ref()
            .expect("a queued key has its event")
    }

    /// The events, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&EvKey, &E)> + '_ {
        self.heap.iter().map(|k| (k, self.get(k)))
    }

    /// The events in key order.
    pub(super) fn sorted(&self) -> Vec<(&EvKey, &E)> {
        let mut all: Vec<(&EvKey, &E)> = self.iter().collect();
        all.sort_unstable_by_key(|(k, _)| **k);
        all
    }

    pub(super) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Put `key` at heap position `i` and tell its slot.
    fn place(&mut self, i: usize, key: EvKey) {
        self.slots[key.slot as usize].pos = i as u32;
        self.heap[i] = key;
    }

    fn sift_up(&mut self, mut i: usize) {
        let key = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.heap[parent] <= key {
                break;
            }
            let p = self.heap[parent];
            self.place(i, p);
            i = parent;
        }
        self.place(i, key);
    }

    fn sift_down(&mut self, mut i: usize) {
        let key = self.heap[i];
        let n = self.heap.len();
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && self.heap[right] < self.heap[left] {
                right
            } else {
                left
            };
            if key <= self.heap[child] {
                break;
            }
            let c = self.heap[child];
            self.place(i, c);
            i = child;
        }
        self.place(i, key);
    }
}

/// As a map from key to event, in key order (what a `BTreeMap` of them printed).
impl<E: fmt::Debug> fmt::Debug for Queue<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.sorted()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{EvKey, Queue};

    fn keys(q: &Queue<String>) -> Vec<u64> {
        q.sorted().iter().map(|(k, _)| k.time()).collect()
    }

    #[test]
    fn it_keeps_key_order_through_inserts_and_removals() {
        let mut q = Queue::new();
        let mut at = Vec::new();
        for (seq, t) in [5u64, 1, 9, 3, 7].into_iter().enumerate() {
            at.push(q.insert(1, t, seq as u64, format!("e{t}")));
        }
        assert_eq!(q.remove(&at[2]).as_deref(), Some("e9"));
        assert_eq!(q.remove(&at[2]), None, "gone once removed");
        let four = q.insert(1, 4, 5, "e4".to_string()); // into the freed slot
        assert_eq!(q.remove(&at[2]), None, "a slot reused is not the old key's");
        q.insert(1, 10, 6, "e10".to_string());
        assert_eq!(keys(&q), [1, 3, 4, 5, 7, 10]);
        assert_eq!(q.first().map(|k| k.time()), Some(1));
        assert!(q.iter().all(|(k, e)| *e == format!("e{}", k.time())));
        assert_eq!(q.len(), 6);
        assert_eq!(q.get(&four), "e4");
        let copy = q.clone();
        assert_eq!(copy.iter().count(), 6);
        // Priority first, then time, then sequence.
        q.insert(0, 50, 7, "now".to_string());
        q.insert(1, 1, 8, "e1 again".to_string());
        let order: Vec<&str> = q.sorted().iter().map(|(_, e)| e.as_str()).collect();
        assert_eq!(
            order,
            ["now", "e1", "e1 again", "e3", "e4", "e5", "e7", "e10"]
        );
    }

    #[test]
    fn it_pops_in_order_whatever_is_taken_out_between() {
        // A small deterministic shuffle: insert, remove from the middle, pop the least.
        let mut q = Queue::new();
        let mut live: Vec<EvKey> = Vec::new();
        let mut x = 12345u64;
        let mut popped = Vec::new();
        for seq in 0..2000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = x >> 33;
            match r % 4 {
                0 | 1 => live.push(q.insert((r % 7 == 0) as u8, r % 100, seq, String::new())),
                2 if !live.is_empty() => {
                    let k = live.swap_remove(r as usize % live.len());
                    assert!(q.remove(&k).is_some());
                }
                _ => {
                    if let Some(&k) = q.first() {
                        assert_eq!(Some(&k), live.iter().min());
                        q.remove(&k);
                        live.retain(|l| *l != k);
                        popped.push(k);
                    }
                }
            }
            assert_eq!(q.len(), live.len());
        }
        assert!(popped.len() > 100);
    }

    #[test]
    fn it_prints_as_an_ordered_map_without_slots() {
        let mut q = Queue::new();
        q.insert(1, 5, 0, "b");
        q.insert(1, 2, 1, "a");
        assert_eq!(
            format!("{q:?}"),
            r#"{EvKey { prio: 1, time: 2, seq: 1 }: "a", EvKey { prio: 1, time: 5, seq: 0 }: "b"}"#
        );
    }
}
