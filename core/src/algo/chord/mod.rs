//! Chord (I. Stoica, R. Morris, D. Karger, M. F. Kaashoek, H. Balakrishnan, "Chord: A
//! Scalable Peer-to-peer Lookup Service for Internet Applications", SIGCOMM 2001, and the
//! ToN 2003 version), with the corrections of P. Zave, "Using lightweight modeling to
//! understand Chord" (CCR 2012) and "Reasoning about identifier spaces: How to make Chord
//! correct" (TSE 2017).
//!
//! - An identifier circle of 2^m positions; nodes and keys are placed on it by a stated
//!   hash or typed positions ([`ring`]); a key is stored at successor(key), the first node
//!   at or after it (§4.2).
//! - Each node has a finger table, finger[i] = successor(n + 2^(i-1)) (§4.3, table 1), a
//!   successor list of r entries and a predecessor (§5).
//! - Lookups travel as messages hop by hop to the closest preceding finger (figure 5,
//!   recursively); the key's successor confirms and answers the origin.
//! - Join through a known node; stabilize, notify, fix_fingers and check_predecessor run
//!   periodically as messages on timers (figure 6): a new node is a member at once but
//!   reachable only once its predecessor stabilizes. Keys move to a joining node.
//! - Voluntary leave hands the keys over; a failure (a crash) does not: the successor
//!   lists route around it, and its keys are lost unless `replicate` copies them to the
//!   successor list (§5).
//! - Zave's fixes (TSE 2017 §5), on unless `unsafe_original_join`: a joining node becomes
//!   a member only with its successor's list, and stabilize adopts a new successor only
//!   after it answered. `successors: 1` is the other unsafe setting: one failure leaves a
//!   node with no live successor.
//!
//! The code: `types.rs` (parameters, state, messages, notes), `ring.rs` (the circle, the
//! hash and the ring the pointers make), `handlers/` (the [`Protocol`](crate::protocol::Protocol)
//! impl: `lookup.rs` and `maintain.rs`), `narration.rs` (the notes in words) and
//! `checker.rs` (Zave's ring properties, lookup correctness, keys, and the observations).

mod checker;
mod handlers;
mod narration;
pub mod ring;
mod types;

pub use checker::{
    ring_now, up_nodes, ChordChecker, Convergence, LookupRecord, AT_LEAST_ONE_RING,
    AT_MOST_ONE_RING, CONNECTED_APPENDAGES, KEYS_AT_SUCCESSOR, LOOKUP_CORRECT, ORDERED_RING,
};
pub use handlers::{MAX_KEYS, MAX_KEY_CHARS};
pub use narration::key_words;
pub use ring::{RingReport, Wrong};
pub use types::{
    Cmd, Disk, Handoff, LookupId, Mem, Msg, Neighbours, Node, Note, Outcome, Params, Pending,
    Phase, Purpose, Refused, Round, Timer, Undecided, MAX_ATTEMPTS, MAX_HOPS, MAX_NODES,
};

pub const NAME: &str = "chord";

#[derive(Clone, Debug)]
pub struct Chord {
    params: Params,
    /// Every node's position on the circle.
    pos: Vec<u64>,
    /// The run's keys: (position, name), by position.
    keys: Vec<(u64, String)>,
}

impl crate::algorithm::Algorithm for Chord {
    const TITLE: &'static str = "Chord";
    const SUMMARY: &'static str = "A distributed hash table on an identifier circle: finger tables and logarithmic lookups, joins with stabilize, notify and fix_fingers, failures routed around by successor lists, and Zave's ring invariants checked at every step.";
    const BUILTINS: &'static [crate::algorithm::Builtin] = crate::algorithm::builtins!(
        NAME;
        "chord-lookups",
        "chord-join",
        "chord-concurrent-joins",
        "chord-failure",
        "chord-mass-failure",
        "chord-ring-breaks",
        "chord-original-join",
    );
}

#[cfg(test)]
mod tests;
