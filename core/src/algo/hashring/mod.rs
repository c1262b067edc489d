//! Consistent hashing: a ring of virtual nodes, replicas, and key migration when the ring
//! changes.
//!
//! Nodes `n1..nK` (K = `nodes` + `spare`) store keys; the first `nodes` start in the ring,
//! the spares join later with `add_node`. `coord`, the ring manager, holds the membership,
//! the key set and the ring, and turns every operation into migration instructions that
//! travel through the simulated network (so they can be delayed, lost and retried):
//!
//! 1. the coordinator recomputes the ring and each key's owners, and sends
//!    `Migrate { to, keys }` to each node that must hand keys over (`Store` / `Drop` for
//!    keys added or removed);
//! 2. the source sends `Transfer { keys }` to the destination (resent on a timer until
//!    acknowledged); the destination stores them and answers `TransferAck`;
//! 3. the source deletes the keys and reports `MigrationDone`; the coordinator resends any
//!    instruction not reported done, on a timer.
//!
//! Operations arriving during a migration wait in the coordinator's queue, so migrations
//! never overlap. Every instruction carries the operation's number (`epoch`); a node
//! ignores transfers and stores of an older operation than one it has already heard of,
//! so a stale duplicate cannot put a key back where it no longer belongs.
//!
//! **Ring.** Each key belongs to the first `replicas` distinct physical nodes clockwise from
//! its hash (its preference list); a node of weight `w` has `w * vnodes` virtual nodes. The
//! hash, the names hashed and the placement rule are spelled out in [`ring`], precisely
//! enough to recompute every position and owner outside the simulator.
//!
//! **Lookups.** `coord` asks the key's preference list one replica at a time, the next one
//! when a replica does not answer in time. If every replica answers that it does not have
//! the key yet (its move is pending), it asks the old owner, which keeps the key until its
//! transfer is acknowledged.
//!
//! **Crashes.** Each node's state is a [`NodeState`](crate::protocol::NodeState): a part on
//! disk that a crash keeps and a part in memory that it resets. A storage node keeps the
//! keys it stores and the newest operation it heard of ([`StorageDisk`]): a crash makes
//! them unreachable, not lost; the transfers it was sending are lost ([`StorageMem`]), and
//! coord resends any instruction not reported done. The coordinator keeps the membership,
//! the key set, the ring, the pending instructions, cleanups and queued operations
//! ([`Coord`]); the lookups in progress are lost ([`CoordMem`]).
//!
//! **Sources.** Consistent hashing and its monotonicity property: D. Karger, E. Lehman,
//! T. Leighton, M. Levine, D. Lewin, R. Panigrahy, "Consistent Hashing and Random Trees",
//! STOC 1997, section 4. Virtual nodes (and more of them for a node with more capacity),
//! the preference list of distinct physical nodes, and the hand-over of keys to a node that
//! joins, deleted by the old owner once the new one confirms: G. DeCandia et al., "Dynamo:
//! Amazon's Highly Available Key-value Store", SOSP 2007, sections 4.2 (partitioning),
//! 4.3 (replication, figure 2) and 4.9 (adding and removing storage nodes). The ring
//! manager that orders migrations one operation at a time, numbered, is this page's own
//! simplification of Dynamo's gossiped membership.

mod checker;
mod coord;
mod handlers;
mod narration;
pub mod ring;
mod storage;
#[cfg(test)]
mod tests;
mod types;

pub use checker::{HashringChecker, MONOTONICITY, PLACEMENT, REPLICA_PLACEMENT};
pub use ring::{
    balance, hash_bytes, hash_key, key_name, mix64, mod_n_moved, vnode_hash, Ring, VNode,
};
pub use types::*;

use std::collections::BTreeSet;

pub const NAME: &str = "hashring";

/// The consistent hashing protocol: its parameters, and what every node starts from.
#[derive(Clone, Debug)]
pub struct Hashring {
    params: Params,
    /// Weight of every physical node.
    weights: Vec<u32>,
    /// The initial placement, computed once (every node starts from it).
    initial: std::sync::OnceLock<std::sync::Arc<Initial>>,
}

/// The coordinator's state at the start, and the keys each physical node stores.
#[derive(Debug)]
struct Initial {
    coord: Coord,
    stored: Vec<Shared<BTreeSet<String>>>,
}

impl crate::algorithm::Algorithm for Hashring {
    const TITLE: &'static str = "Consistent hashing";
    const SUMMARY: &'static str = "A hash ring with virtual nodes, weights and replicas; adding or removing a node migrates keys through the network; load balance compared with hash mod N.";
    const BUILTINS: &'static [crate::algorithm::Builtin] = crate::algorithm::builtins!(
        NAME;
        "hashring-no-vnodes",
        "hashring-vnodes",
        "hashring-add-node",
        "hashring-crash-replicas",
        "hashring-weights",
    );
}
