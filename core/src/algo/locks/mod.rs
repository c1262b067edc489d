//! Distributed locks: a lock server with a FIFO wait queue, a Redis-style lease lock and the
//! ZooKeeper lock recipe, all guarding writes to one storage node, with or without fencing
//! tokens.
//!
//! Nodes: clients `c1..cN`, the lock service `lock` and the shared resource `storage`.
//! A client told to `acquire` takes the lock, then does its critical section: `writes`
//! writes to the storage, `work` ms apart, each carrying the token of its holding; when the
//! last write is acknowledged it releases the lock. A client *believes* it holds the lock
//! from the moment it learns it got it until it releases it (or crashes, or the storage
//! tells it that its token is stale).
//!
//! Variants (`variant`):
//! - **queue**: clients send `Acquire`; the server grants in arrival order and queues the
//!   rest. With `leases` on, every queued client and the holder have a session kept alive
//!   by pings every `ttl / 3` ms; a session not heard from for `ttl` ms expires and the
//!   client loses its place (a crashed holder's lock is freed).
//! - **lease**: `SET lock <token> NX PX ttl`: the key is set only if absent and expires
//!   `ttl` ms later. A client that finds the key taken retries after a random back-off.
//!   Release is compare-and-delete by token (`safe_release`) or a naive `DEL`, which can
//!   delete someone else's lock.
//! - **zookeeper**: each client creates an ephemeral sequential znode under `/lock`; the
//!   lowest holds the lock; each waiter watches only its predecessor (or, with `herd`, every
//!   waiter watches the children of `/lock` and is woken by every change: the herd effect).
//!   Sessions as in the queue variant; an expired session's znodes are deleted. A create
//!   carries the client's request number: a resent create gets the client's znode back,
//!   a create for a newer request (after the client gave up, or crashed and forgot) first
//!   deletes the client's older znode, so that no two holdings share a token.
//!
//! Leases and sessions assume bounded clock drift ([`Locks::drift_bound`]): the lock
//! service measures a ttl on its clock, the holder paces its writes on its own, and
//! nothing tells the holder its lease ran out. A holder whose clock runs slow enough, or a
//! lock service whose clock runs fast or jumps ahead, ends the lease while the holder is
//! still writing.
//!
//! Every grant carries a token that only grows (the queue and lease servers count grants;
//! ZooKeeper's sequence number plays that role). With `fencing` on, the storage rejects a
//! write whose token is lower than the highest it has accepted. That keeps the accepted
//! writes in token order ([`FENCED_ORDER`]); it does not stop a former holder's write that
//! lands before the new holder's first, which is still a write from a client the lock
//! service no longer counts as holder ([`CURRENT_HOLDER`]).
//!
//! Each node's state is a [`NodeState`](crate::protocol::NodeState): a crash keeps its
//! `disk` and resets its `mem`. The lock service's tables and token counter
//! ([`LockDisk`]) and the storage ([`StorageDisk`]) are all on disk, with nothing in
//! memory. A client keeps on disk its request counter and what happened, for the page
//! ([`ClientDisk`]); its progress is in memory ([`ClientMem`]): a crashed client forgets
//! it held the lock. A crash writes nothing, so a belief it cut short is left open on disk
//! and read as ended by a crash ([`Client::beliefs`]).
//!
//! Sources: leases after Gray and Cheriton, "Leases: An Efficient Fault-Tolerant Mechanism
//! for Distributed File Cache Consistency" (SOSP 1989); the lease variant after the Redis
//! `SET` command (`NX`, `PX`) and "Distributed locks with Redis", "Correct implementation
//! with a single instance" (delete the key only if it holds the client's value); the
//! ZooKeeper recipe after Hunt et al., "ZooKeeper: Wait-free coordination for
//! Internet-scale systems" (USENIX ATC 2010), section 2.4, "Simple Locks" and "Simple
//! Locks without Herd Effect", and ZooKeeper's "Recipes and Solutions", "Locks"; fencing
//! tokens after Kleppmann, "How to do distributed locking" (2016) and *Designing
//! Data-Intensive Applications* (1st ed.), chapter 8, "Fencing tokens", figures 8-4 and 8-5.
//!
//! Files: `types.rs` (parameters, node states, messages, timers, commands, notes),
//! `handlers/` (the [`Protocol`](crate::protocol::Protocol) impl, then one file per role:
//! `client.rs`, `lock.rs`, `storage.rs`), `narration.rs` (everything in words) and
//! `checker.rs` (the safety properties).

mod checker;
mod handlers;
mod narration;
mod types;

pub use checker::{LocksChecker, CURRENT_HOLDER, FENCED_ORDER, FIFO, LOGGED_ONCE, NO_LOST_LOCK};
pub use types::*;

use crate::sim::{NodeId, Time};

pub const NAME: &str = "locks";

/// Most clients.
pub const MAX_CLIENTS: u32 = 12;

/// The locks algorithm.
#[derive(Clone, Debug)]
pub struct Locks {
    params: Params,
}

impl Locks {
    pub fn lock_node(&self) -> NodeId {
        NodeId(self.params.clients)
    }

    pub fn storage_node(&self) -> NodeId {
        NodeId(self.params.clients + 1)
    }

    pub fn is_client(&self, n: NodeId) -> bool {
        n.0 < self.params.clients
    }

    /// Whether lock holders and waiters keep a session alive.
    pub fn sessions(&self) -> bool {
        match self.params.variant {
            Variant::Queue => self.params.leases,
            Variant::Lease => false,
            Variant::Zookeeper => true,
        }
    }

    /// Whether a silent holder eventually loses the lock.
    pub fn expires(&self) -> bool {
        self.params.variant == Variant::Lease || self.sessions()
    }

    /// How many times slower than the lock service's a holder's clock may run before a
    /// lease can break: the ttl over the time the holder's writes take by its own clock
    /// (`writes` x `work`). Past it, a holder still writing when the lock service expires
    /// its lease (or session) writes as a former holder. Message delays and pauses use up
    /// the same margin, so this is an upper bound; a lock service whose clock runs fast,
    /// or jumps ahead, eats into it too.
    pub fn drift_bound(&self) -> f64 {
        self.params.drift_bound()
    }

    fn keepalive(&self) -> Time {
        (self.params.ttl / 3).max(1)
    }

    fn fixed(t: Time) -> std::ops::RangeInclusive<Time> {
        t..=t
    }
}

impl crate::algorithm::Algorithm for Locks {
    const TITLE: &'static str = "Distributed locks";
    const SUMMARY: &'static str = "A lock server with a wait queue, a Redis-style lease lock and the ZooKeeper recipe guarding one storage node; a pause past the lease lets a former holder write, fencing tokens keep the writes in token order but cannot stop one that lands first.";
    const BUILTINS: &'static [crate::algorithm::Builtin] = crate::algorithm::builtins!(
        NAME;
        "locks-queue",
        "locks-holder-crash",
        "locks-lease-pause",
        "locks-fencing",
        "locks-clock-drift",
        "locks-lease-try",
        "locks-zookeeper",
        "locks-herd",
    );
}
