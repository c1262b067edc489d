//! A replicated, partitioned key-value store, after M. Kleppmann, *Designing Data-Intensive
//! Applications* (2017), chapter 5 (replication) and 6 (partitioning); G. DeCandia et al.,
//! "Dynamo: Amazon's Highly Available Key-value Store" (SOSP 2007, §4.5-4.6: quorums,
//! sloppy quorum and hinted hand-off); D. K. Gifford, "Weighted Voting for Replicated
//! Data" (SOSP 1979: R + W > N); and H. Attiya, A. Bar-Noy, D. Dolev, "Sharing Memory
//! Robustly in Message-Passing Systems" (JACM 1995), whose read writes back what it
//! returns (read repair here).
//!
//! - Keys `k0..`: by hash into a fixed number of partitions (`hash mod partitions`,
//!   DDIA "Rebalancing: fixed number of partitions") or by key range at split points
//!   (neighbouring keys share a partition: a stream of sequential keys is a hot spot).
//! - A configuration node `cfg` holds the partition table, as ZooKeeper does in DDIA
//!   figure 6-8: each partition's replicas, leader and epoch. Servers and clients keep a
//!   copy, refreshed by its broadcasts and by redirects.
//! - Rebalancing: a server that joins takes whole partitions from the servers holding the
//!   most, one leaving gives its own away; each move is messages: `cfg` asks the holder,
//!   which stops serving and sends the partition whole; the receiver serves it once `cfg`
//!   commits the new configuration (a new epoch). The run counts the key copies moved and
//!   what `hash(key) mod N` placement would have moved.
//! - Leader-follower replication per partition (`sync`, `semi_sync`, `async`): the leader
//!   appends a write to its log and sends appends (previous entry and its epoch, as in Raft);
//!   it acknowledges once every follower (sync), one follower (semi-sync) or only itself
//!   (async) has it. Reads are served from committed entries only.
//! - Failover, the epoch protocol: leaders send heartbeats to `cfg`; after
//!   `failover_timeout` without one, `cfg` fences the followers with epoch e + 1 (a fenced
//!   follower refuses appends of older epochs), waits for enough answers (sync: one,
//!   semi-sync: every follower, async: one), makes the most up-to-date (last entry's epoch,
//!   then length) leader of e + 1 and tells everyone. The new leader appends a no-op of its
//!   epoch and serves reads once that is committed (Raft §8). With async replication the
//!   old leader may have acknowledged writes no follower has: they are lost.
//! - Leaderless (Dynamo): the client writes a version (a counter, unique per client) to
//!   the partition's N replicas and waits for W acknowledgements; reads ask the N and wait
//!   for R answers, return the newest and repair older replicas. With `sloppy`, silent home
//!   replicas are replaced by other servers, which keep hints and hand them over.
//! - Clients (`c1..`) are nodes; their operations, with invocation and completion times
//!   and results, form the run's [`History`](crate::history::History)
//!   ([`KvChecker::history`]).
//!
//! The code: `types.rs` (parameters, state, messages, notes), `partition.rs` (keys to
//! partitions, placements), `handlers/` (the [`Protocol`](crate::protocol::Protocol) impl:
//! `server.rs`, `config.rs`, `client.rs`), `narration.rs` and `checker.rs` (ownership,
//! epochs, log prefixes, durability, the session guarantees each mode promises, and the
//! observations).

mod checker;
mod handlers;
mod narration;
pub mod partition;
mod types;

pub use checker::{
    promises, KvChecker, LostWrite, Observation, Promise, RebalanceRecord, StaleRead, DURABILITY,
    LOG_PREFIX, MONOTONIC_READS, ONE_LEADER, OWNERSHIP, READ_YOUR_WRITES,
};
pub use types::{
    Client, ClientDisk, ClientMem, ClientOp, Cmd, CmdRefused, ConfigDisk, ConfigMem, ConfigNode,
    Ending, Entry, Fencing, Hint, Holding, Lead, Move, Msg, Node, Note, Open, Params, PartCfg,
    Partitioning, Refusal, Replica, Replication, Req, Server, ServerDisk, ServerMem, Timer,
    Versioned, Waiting, MAX_CLIENTS, MAX_KEYS, MAX_PARTITIONS, MAX_QUEUE, MAX_SERVERS, MAX_TRIES,
    VERSION_CLIENTS,
};

use crate::sim::NodeId;

pub const NAME: &str = "kvstore";

#[derive(Clone, Debug)]
pub struct Kvstore {
    params: Params,
    /// Key -> partition.
    part_of: Vec<u32>,
    /// The table at the start.
    table: Vec<PartCfg>,
    /// Per client: the server it reads from, or `None`: the leader.
    pins: Vec<Option<NodeId>>,
}

impl crate::algorithm::Algorithm for Kvstore {
    const TITLE: &'static str = "Key-value store";
    const SUMMARY: &'static str = "Partitioning by key range or hash, rebalancing by moving whole partitions, leader-follower replication (synchronous, semi-synchronous, asynchronous) with failover, and leaderless quorums with read repair and hinted hand-off; durability and session guarantees checked per mode.";
    const BUILTINS: &'static [crate::algorithm::Builtin] = crate::algorithm::builtins!(
        NAME;
        "kv-hot-spot",
        "kv-add-node",
        "kv-async-failover",
        "kv-lagging-follower",
        "kv-quorum",
        "kv-sloppy-quorum",
    );
}

#[cfg(test)]
mod tests;
