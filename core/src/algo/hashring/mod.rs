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
//! **Hash.** [`hash_key`]: FNV-1a 64 over the UTF-8 bytes, then the splitmix64 finalizer
//! (so that similar names spread over the whole ring). Only `u64` arithmetic: the same
//! value natively and in WebAssembly. Virtual node `i` of `n3` sits at `hash("n3#i")`;
//! a node of weight `w` has `w * vnodes` virtual nodes. The owner of a key is the first
//! virtual node clockwise (the first position >= the key's hash, wrapping around); its
//! preference list is the first `replicas` distinct physical nodes clockwise.
//!
//! Keys stored on a node are persistent (on disk): a crash makes them unreachable, not
//! lost. Transfers in progress are volatile.

use crate::hash::Fnv64;
use crate::invariant::{Checker, Property, Violation};
use crate::protocol::{Ctx, ParamError, Protocol};
use crate::sim::{NodeId, Sim, Time};
use crate::trace::StepOutcome;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

pub const NAME: &str = "hashring";

/// Largest key set.
pub const MAX_KEYS: u32 = 20_000;
/// Most physical nodes (in the ring and spare).
pub const MAX_PHYSICAL: u32 = 80;
/// How many key moves are narrated one by one after an operation.
const NARRATED_MOVES: usize = 8;

// ---------------------------------------------------------------------------------------
// Hashing and the ring (pure functions, also used by views and benches)

/// splitmix64's finalizer: spreads the bits of `z`.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The ring position of a byte string: FNV-1a 64, then [`mix64`].
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = Fnv64::default();
    h.update(bytes);
    mix64(h.finish())
}

/// The ring position of a key.
pub fn hash_key(key: &str) -> u64 {
    hash_bytes(key.as_bytes())
}

/// The ring position of virtual node `i` of physical node `n` (`hash("n3#7")`).
pub fn vnode_hash(n: NodeId, i: u32) -> u64 {
    let mut buf = String::with_capacity(12);
    let _ = write!(buf, "n{}#{i}", n.0 + 1);
    hash_key(&buf)
}

/// The name of the `i`-th key (from 1): `k0001`, `k0002`, ...
pub fn key_name(i: u32) -> String {
    format!("k{i:04}")
}

/// A virtual node: its position on the ring, its physical node and its number there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VNode {
    pub pos: u64,
    pub node: NodeId,
    pub index: u32,
}

/// The ring: virtual nodes sorted by position.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Ring {
    pub vnodes: Vec<VNode>,
}

impl Ring {
    /// The ring of `members` (node -> weight), `vnodes` virtual nodes per weight unit.
    pub fn build(members: &BTreeMap<NodeId, u32>, vnodes: u32) -> Ring {
        // Weights and counts are validated (at most 80 x 8 x 500 positions), but this is
        // public: saturate rather than wrap, and reserve at most what is validated.
        let total: u64 = members
            .values()
            .map(|w| u64::from(*w) * u64::from(vnodes))
            .sum();
        let mut v = Vec::with_capacity(total.min(u64::from(MAX_PHYSICAL * 8 * 500)) as usize);
        let mut buf = String::with_capacity(12);
        for (&node, &w) in members {
            for index in 0..w.saturating_mul(vnodes) {
                buf.clear();
                let _ = write!(buf, "n{}#{index}", node.0 + 1);
                v.push(VNode {
                    pos: hash_key(&buf),
                    node,
                    index,
                });
            }
        }
        v.sort_unstable();
        Ring { vnodes: v }
    }

    /// Index of the first virtual node clockwise from `h` (position >= h, wrapping).
    pub fn successor(&self, h: u64) -> usize {
        let i = self.vnodes.partition_point(|v| v.pos < h);
        if i == self.vnodes.len() {
            0
        } else {
            i
        }
    }

    /// The preference list of hash `h`: the first `r` distinct physical nodes clockwise
    /// (fewer if the ring has fewer), into `out`. Returns the primary's virtual node.
    pub fn preference(&self, h: u64, r: usize, out: &mut Vec<NodeId>) -> Option<VNode> {
        out.clear();
        if self.vnodes.is_empty() {
            return None;
        }
        let start = self.successor(h);
        let len = self.vnodes.len();
        for k in 0..len {
            let v = self.vnodes[(start + k) % len];
            if !out.contains(&v.node) {
                out.push(v.node);
                if out.len() == r {
                    break;
                }
            }
        }
        Some(self.vnodes[start])
    }

    /// Owners of every key, in key order.
    pub fn place(&self, keys: &BTreeSet<String>, r: usize) -> BTreeMap<String, Vec<NodeId>> {
        let mut buf = Vec::with_capacity(r);
        keys.iter()
            .map(|k| {
                self.preference(hash_key(k), r, &mut buf);
                (k.clone(), buf.clone())
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Parameters and state

/// Parameters of the consistent hashing page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Physical nodes in the ring at the start, 1 to 64.
    pub nodes: u32,
    /// Extra nodes outside the ring that `add_node` can bring in, 0 to 16.
    pub spare: u32,
    /// Virtual nodes per unit of weight, 1 to 500.
    pub vnodes: u32,
    /// Node name -> weight (1 to 8; default 1): a node of weight w has w times the vnodes.
    pub weights: BTreeMap<String, u32>,
    /// Replication factor R: each key lives on R distinct nodes (1 to 5, at most `nodes`).
    pub replicas: u32,
    /// Keys at the start, `k0001`.., 0 to 20,000.
    pub keys: u32,
    /// How long a sender waits for an acknowledgement before resending (ms); also how
    /// long a lookup waits for a replica.
    pub transfer_timeout: Time,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 4,
            spare: 2,
            vnodes: 1,
            weights: BTreeMap::new(),
            replicas: 1,
            keys: 200,
            transfer_timeout: 300,
        }
    }
}

/// A transfer a node is sending (volatile).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outgoing {
    pub epoch: u64,
    pub keys: Vec<String>,
    pub attempts: u32,
    /// The sender is a replica that stays an owner: it keeps its copies.
    #[serde(skip_serializing_if = "is_false")]
    pub keep: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What the coordinator asked a node to do, until the node reports it done.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "task")]
pub enum TaskKind {
    /// Hand the keys to `to`, then delete them (or, with `keep`, copy them: the sender
    /// stays an owner and the node that left the ring holds the other copy).
    Migrate {
        to: NodeId,
        #[serde(skip_serializing_if = "is_false")]
        keep: bool,
    },
    /// Store new keys.
    Store,
    /// Delete removed keys.
    Drop,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Task {
    /// The node that must act.
    pub node: NodeId,
    #[serde(flatten)]
    pub kind: TaskKind,
    pub keys: Vec<String>,
}

/// A key that changes node in an operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Move {
    pub key: String,
    pub from: NodeId,
    pub to: NodeId,
}

/// A lookup waiting for an answer (volatile).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PendingLookup {
    pub key: String,
    pub preference: Vec<NodeId>,
    /// Index in `preference` of the replica asked now (`preference.len()`: the fallback).
    pub asking: u32,
    /// Replicas that answered they do not have the key (the others did not answer).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<NodeId>,
    /// The old owner asked last, while the key's move to its new owner is pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<NodeId>,
}

impl PendingLookup {
    /// The node asked now.
    pub fn asked(&self) -> Option<NodeId> {
        self.preference
            .get(self.asking as usize)
            .copied()
            .or(self.fallback)
    }
}

/// The operation an op changed, for statistics and narration.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Op {
    Initial,
    AddNode { node: NodeId, weight: u32 },
    RemoveNode { node: NodeId },
    SetVnodes { from: u32, to: u32 },
    AddKeys { count: u32 },
    RemoveKey { key: String },
    RemoveKeys { count: u32 },
}

/// Statistics after an operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    pub op: Op,
    pub epoch: u64,
    /// Key copies per node in the ring (a key counts on each of its R owners).
    pub load: BTreeMap<NodeId, u32>,
    pub mean: f64,
    pub std_dev: f64,
    /// Max load over mean load (1 is perfect balance).
    pub max_over_mean: f64,
    pub keys: u32,
    /// Keys whose owners changed.
    pub moved_keys: u32,
    /// Key copies sent from one node to another.
    pub moved_copies: u32,
    /// Keys whose node would change with `hash(key) mod N` over the sorted members.
    pub mod_n_moved: u32,
}

/// The ring manager's state (all persistent except `lookups`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coord {
    /// Nodes in the ring -> weight.
    pub members: BTreeMap<NodeId, u32>,
    pub vnodes: u32,
    pub keys: BTreeSet<String>,
    /// Number of the last key created.
    pub next_key: u32,
    /// Number of the current operation.
    pub epoch: u64,
    #[serde(skip)]
    pub ring: Ring,
    /// Key -> its preference list (owners), for the current ring.
    #[serde(skip)]
    pub owners: BTreeMap<String, Vec<NodeId>>,
    /// Instructions of the current operation not yet reported done.
    pub tasks: Vec<Task>,
    /// Nodes that left the ring while a surviving replica handed their keys over: the
    /// instruction (of operation `.0`) to delete their old copies, resent until done. The
    /// next operations do not wait for it (the node may be down).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cleanup: Vec<(u64, Task)>,
    /// Operations waiting for the current migration to finish.
    pub queue: VecDeque<Cmd>,
    pub stats: Stats,
    /// Keys moved by the last operation.
    #[serde(skip)]
    pub moves: Vec<Move>,
    // Volatile.
    pub lookups: BTreeMap<u32, PendingLookup>,
    pub next_lookup: u32,
}

/// A node's state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    // Persistent.
    /// The keys this node stores.
    pub stored: BTreeSet<String>,
    /// The newest operation this node has heard of.
    pub epoch: u64,
    // Volatile.
    /// Transfers being sent, by destination.
    pub outgoing: BTreeMap<NodeId, Outgoing>,
    /// The coordinator's state (on `coord` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coord: Option<Box<Coord>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Msg {
    Migrate {
        epoch: u64,
        to: NodeId,
        keys: Vec<String>,
        /// Copy, do not delete: the receiver stays an owner.
        #[serde(skip_serializing_if = "is_false")]
        keep: bool,
    },
    Transfer {
        epoch: u64,
        keys: Vec<String>,
    },
    TransferAck {
        epoch: u64,
    },
    /// The answer to a transfer of an operation that is over: the receiver already takes
    /// part in operation `current`. The sender stops resending (and deletes nothing).
    TransferStale {
        epoch: u64,
        current: u64,
    },
    MigrationDone {
        epoch: u64,
        to: NodeId,
    },
    Store {
        epoch: u64,
        keys: Vec<String>,
    },
    Stored {
        epoch: u64,
    },
    Drop {
        epoch: u64,
        keys: Vec<String>,
    },
    Dropped {
        epoch: u64,
    },
    Get {
        id: u32,
        key: String,
    },
    Value {
        id: u32,
        key: String,
        found: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Timer {
    /// Coordinator: resend instructions not reported done.
    Resend,
    /// Coordinator: start the next queued operation.
    NextOp,
    /// Coordinator: a replica did not answer a lookup.
    LookupTimeout { id: u32 },
    /// Node: resend the transfer to `to`.
    TransferRetry { to: NodeId },
}

/// Commands, given to `coord`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cmd {
    /// A spare node joins the ring (weight from the parameters unless given).
    AddNode {
        node: NodeId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weight: Option<u32>,
    },
    RemoveNode {
        node: NodeId,
    },
    SetVnodes {
        count: u32,
    },
    /// Create `count` keys, numbered after the last one.
    AddKeys {
        count: u32,
    },
    RemoveKey {
        key: String,
    },
    /// Remove `count` keys chosen at random (with the run's seed).
    RemoveKeys {
        count: u32,
    },
    Lookup {
        key: String,
    },
}

/// Why the coordinator refuses an operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Refusal {
    NotStorageNode {
        node: NodeId,
    },
    AlreadyMember {
        node: NodeId,
    },
    NotMember {
        node: NodeId,
    },
    TooFewNodes {
        replicas: u32,
    },
    BadWeight {
        weight: u32,
    },
    BadVnodes {
        count: u32,
    },
    TooManyKeys {
        count: u32,
    },
    NoSuchKey {
        key: String,
    },
    BadRemoveCount {
        count: u32,
        keys: u32,
    },
    /// The node left the ring and has not yet deleted its old copies.
    StillCleaning {
        node: NodeId,
    },
}

/// Why a lookup found no replica with the key.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unavailable {
    /// No replica answered in time (down, or messages lost).
    NoAnswer,
    /// Every replica that answered said it does not have the key (a move is pending).
    NotThere,
}

/// Narration, as data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "note")]
pub enum Note {
    /// The coordinator applied an operation and recomputed the ring.
    RingChanged {
        op: Op,
        epoch: u64,
        vnodes_total: u32,
        moved_keys: u32,
        moved_copies: u32,
        mod_n_moved: u32,
        keys: u32,
    },
    Balance {
        mean: f64,
        std_dev: f64,
        max_over_mean: f64,
    },
    KeyMoves {
        key: String,
        from: NodeId,
        to: NodeId,
        /// The virtual node now first clockwise from the key.
        vnode: (NodeId, u32),
        replicas: u32,
    },
    OrdersMigration {
        from: NodeId,
        to: NodeId,
        count: u32,
        /// `from` stays an owner and copies (the node that left held the other copy).
        #[serde(skip_serializing_if = "is_false")]
        copy: bool,
    },
    OrdersStore {
        at: NodeId,
        count: u32,
    },
    OrdersDrop {
        at: NodeId,
        count: u32,
    },
    Refused {
        why: Refusal,
    },
    Queued {
        cmd: Cmd,
        waiting: u32,
    },
    StartsQueued,
    Resends {
        pending: u32,
    },
    TaskDone {
        by: NodeId,
        remaining: u32,
    },
    MigrationComplete {
        epoch: u64,
    },
    LookupAsks {
        key: String,
        hash: u64,
        to: NodeId,
        replica: u32,
        of: u32,
    },
    LookupServed {
        key: String,
        by: NodeId,
        replica: u32,
    },
    LookupMissing {
        key: String,
        at: NodeId,
    },
    LookupNoAnswer {
        key: String,
        from: NodeId,
    },
    /// Every replica of the preference list answered "not here": the key's move to it is
    /// pending, so coord asks the old owner, which keeps it until the move is acknowledged.
    LookupFallback {
        key: String,
        to: NodeId,
    },
    LookupServedByOldOwner {
        key: String,
        by: NodeId,
    },
    LookupUnavailable {
        key: String,
        tried: Vec<NodeId>,
        /// Of `tried` (and the old owner, if asked), those that answered "not here".
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        missing: Vec<NodeId>,
        cause: Unavailable,
    },
    LookupUnknownKey {
        key: String,
        owner: Option<NodeId>,
    },
    // Storage nodes.
    SendsTransfer {
        to: NodeId,
        count: u32,
    },
    ResendsTransfer {
        to: NodeId,
        count: u32,
        attempt: u32,
    },
    AlreadySending {
        to: NodeId,
    },
    NothingToSend {
        to: NodeId,
    },
    StoresTransfer {
        from: NodeId,
        count: u32,
        new: u32,
    },
    DeletesAfterAck {
        to: NodeId,
        count: u32,
    },
    /// The sender stays an owner: it keeps its copies after the acknowledgement.
    CopiedAfterAck {
        to: NodeId,
        count: u32,
    },
    OrdersCleanup {
        at: NodeId,
        count: u32,
    },
    CleanupDone {
        by: NodeId,
    },
    StoresNew {
        count: u32,
    },
    DropsKeys {
        count: u32,
    },
    IgnoresStale {
        epoch: u64,
        current: u64,
    },
    /// A transfer of a finished operation is answered as stale: no more resending.
    StopsStaleTransfer {
        to: NodeId,
        epoch: u64,
        current: u64,
    },
    Serves {
        key: String,
        found: bool,
    },
    NotTheCoordinator {
        #[serde(skip_serializing_if = "is_false")]
        lookup: bool,
    },
    Restarts {
        keys: u32,
        resending: bool,
        #[serde(skip_serializing_if = "is_false")]
        coord: bool,
    },
}

// ---------------------------------------------------------------------------------------
// The protocol

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
    stored: Vec<BTreeSet<String>>,
}

impl Hashring {
    /// The coordinator's id (after the physical nodes).
    pub fn coord(&self) -> NodeId {
        NodeId(self.physical())
    }

    /// Number of physical nodes (in the ring and spare).
    pub fn physical(&self) -> u32 {
        self.params.nodes + self.params.spare
    }

    pub fn weight(&self, n: NodeId) -> u32 {
        self.weights.get(n.index()).copied().unwrap_or(1)
    }

    fn replicas(&self) -> usize {
        self.params.replicas as usize
    }

    /// The membership, ring and placement at the start.
    pub fn initial_coord(&self) -> Coord {
        let members: BTreeMap<NodeId, u32> = (0..self.params.nodes)
            .map(|i| (NodeId(i), self.weight(NodeId(i))))
            .collect();
        let keys: BTreeSet<String> = (1..=self.params.keys).map(key_name).collect();
        let ring = Ring::build(&members, self.params.vnodes);
        let owners = ring.place(&keys, self.replicas());
        let stats = stats(Op::Initial, 0, &members, &owners, 0);
        Coord {
            members,
            vnodes: self.params.vnodes,
            keys,
            next_key: self.params.keys,
            epoch: 0,
            ring,
            owners,
            tasks: Vec::new(),
            cleanup: Vec::new(),
            queue: VecDeque::new(),
            stats,
            moves: Vec::new(),
            lookups: BTreeMap::new(),
            next_lookup: 0,
        }
    }

    fn delay(&self) -> std::ops::RangeInclusive<Time> {
        let t = self.params.transfer_timeout;
        t..=t
    }

    /// Run a command on the coordinator now (not queued).
    fn run_op(&self, c: &mut Coord, cmd: Cmd, ctx: &mut Ctx<Self>) {
        let before: Vec<NodeId> = c.members.keys().copied().collect();
        let refuse = |ctx: &mut Ctx<Self>, why| ctx.note(Note::Refused { why });
        let mut new_keys: Vec<String> = Vec::new();
        let mut gone_keys: Vec<String> = Vec::new();
        let op = match cmd {
            Cmd::Lookup { key } => return self.start_lookup(c, key, ctx),
            Cmd::AddNode { node, weight } => {
                if node.0 >= self.physical() {
                    return refuse(ctx, Refusal::NotStorageNode { node });
                }
                if c.members.contains_key(&node) {
                    return refuse(ctx, Refusal::AlreadyMember { node });
                }
                if c.cleanup.iter().any(|(_, t)| t.node == node) {
                    return refuse(ctx, Refusal::StillCleaning { node });
                }
                let weight = weight.unwrap_or(self.weight(node));
                if !(1..=8).contains(&weight) {
                    return refuse(ctx, Refusal::BadWeight { weight });
                }
                c.members.insert(node, weight);
                Op::AddNode { node, weight }
            }
            Cmd::RemoveNode { node } => {
                if !c.members.contains_key(&node) {
                    return refuse(ctx, Refusal::NotMember { node });
                }
                if (c.members.len() as u32) <= self.params.replicas {
                    return refuse(
                        ctx,
                        Refusal::TooFewNodes {
                            replicas: self.params.replicas,
                        },
                    );
                }
                c.members.remove(&node);
                Op::RemoveNode { node }
            }
            Cmd::SetVnodes { count } => {
                if !(1..=500).contains(&count) {
                    return refuse(ctx, Refusal::BadVnodes { count });
                }
                let from = c.vnodes;
                c.vnodes = count;
                Op::SetVnodes { from, to: count }
            }
            Cmd::AddKeys { count } => {
                // Checked arithmetic: `count` comes from a URL or a form and may be
                // anything up to u32::MAX.
                let room = MAX_KEYS.saturating_sub(u32::try_from(c.keys.len()).unwrap_or(u32::MAX));
                if count == 0 || count > room || c.next_key.checked_add(count).is_none() {
                    return refuse(ctx, Refusal::TooManyKeys { count });
                }
                for _ in 0..count {
                    c.next_key += 1;
                    let k = key_name(c.next_key);
                    c.keys.insert(k.clone());
                    new_keys.push(k);
                }
                Op::AddKeys { count }
            }
            Cmd::RemoveKey { key } => {
                if !c.keys.remove(&key) {
                    return refuse(ctx, Refusal::NoSuchKey { key });
                }
                gone_keys.push(key.clone());
                Op::RemoveKey { key }
            }
            Cmd::RemoveKeys { count } => {
                let have = u32::try_from(c.keys.len()).unwrap_or(u32::MAX);
                if count == 0 || count > have {
                    return refuse(ctx, Refusal::BadRemoveCount { count, keys: have });
                }
                // A random choice with the run's seed (so replaying gives the same keys):
                // a partial Fisher-Yates shuffle of the key set.
                let mut all: Vec<String> = c.keys.iter().cloned().collect();
                let n = all.len();
                for i in 0..count as usize {
                    let j = i + ctx.random_range(0..=(n - 1 - i) as u64) as usize;
                    all.swap(i, j);
                }
                all.truncate(count as usize);
                all.sort_unstable();
                for k in &all {
                    c.keys.remove(k);
                }
                gone_keys = all;
                Op::RemoveKeys { count }
            }
        };
        c.epoch += 1;
        let epoch = c.epoch;
        let r = self.replicas();
        if matches!(
            op,
            Op::AddNode { .. } | Op::RemoveNode { .. } | Op::SetVnodes { .. }
        ) {
            c.ring = Ring::build(&c.members, c.vnodes);
        }
        let mut owners = std::mem::take(&mut c.owners);
        // Keys that left: their old owners drop them.
        let mut drops: BTreeMap<NodeId, Vec<String>> = BTreeMap::new();
        for k in &gone_keys {
            if let Some(o) = owners.remove(k) {
                for n in o {
                    drops.entry(n).or_default().push(k.clone());
                }
            }
        }
        // Keys that moved: pair each node that stops owning a key with one that starts.
        let mut moves: Vec<Move> = Vec::new();
        // On a removal with R > 1: who sends each moved copy (a replica that stays an
        // owner, so a leaving node that is down does not hold the migration up), and
        // what the leaving node must delete afterwards.
        let leaving = match op {
            Op::RemoveNode { node } if r > 1 => Some(node),
            _ => None,
        };
        let mut senders: BTreeMap<(NodeId, NodeId), Vec<String>> = BTreeMap::new();
        let mut left_behind: Vec<String> = Vec::new();
        let mut first_vnode: BTreeMap<String, VNode> = BTreeMap::new();
        if matches!(
            op,
            Op::AddNode { .. } | Op::RemoveNode { .. } | Op::SetVnodes { .. }
        ) {
            let mut buf = Vec::with_capacity(r);
            for (k, old) in owners.iter_mut() {
                let v = c.ring.preference(hash_key(k), r, &mut buf);
                if *old == buf {
                    continue;
                }
                let removed = old.iter().filter(|n| !buf.contains(n));
                let added = buf.iter().filter(|n| !old.contains(n));
                let stays = old.iter().find(|n| buf.contains(n)).copied();
                for (&from, &to) in removed.zip(added) {
                    moves.push(Move {
                        key: k.clone(),
                        from,
                        to,
                    });
                    match (leaving, stays) {
                        (Some(x), Some(src)) if x == from => {
                            senders.entry((src, to)).or_default().push(k.clone());
                        }
                        _ => {}
                    }
                }
                if leaving.is_some_and(|x| old.contains(&x)) {
                    left_behind.push(k.clone());
                }
                if let (Some(v), true) = (v, first_vnode.len() < NARRATED_MOVES) {
                    first_vnode.insert(k.clone(), v);
                }
                old.clone_from(&buf);
            }
        }
        // Keys that arrived: their owners store them.
        let mut stores: BTreeMap<NodeId, Vec<String>> = BTreeMap::new();
        let mut buf = Vec::with_capacity(r);
        for k in new_keys {
            c.ring.preference(hash_key(&k), r, &mut buf);
            for &n in &buf {
                stores.entry(n).or_default().push(k.clone());
            }
            owners.insert(k, buf.clone());
        }
        c.owners = owners;
        let after: Vec<NodeId> = c.members.keys().copied().collect();
        let mod_n = if before.len() != after.len() {
            mod_n_moved(c.keys.iter(), &before, &after)
        } else {
            0
        };
        let moved_keys = {
            let mut ks: Vec<&str> = moves.iter().map(|m| m.key.as_str()).collect();
            ks.dedup();
            ks.len() as u32
        };
        c.stats = stats(op.clone(), epoch, &c.members, &c.owners, mod_n);
        c.stats.moved_keys = moved_keys;
        c.stats.moved_copies = moves.len() as u32;
        ctx.note(Note::RingChanged {
            op,
            epoch,
            vnodes_total: c.ring.vnodes.len() as u32,
            moved_keys,
            moved_copies: moves.len() as u32,
            mod_n_moved: mod_n,
            keys: c.keys.len() as u32,
        });
        ctx.note(Note::Balance {
            mean: c.stats.mean,
            std_dev: c.stats.std_dev,
            max_over_mean: c.stats.max_over_mean,
        });
        for m in &moves {
            if let Some(v) = first_vnode.get(&m.key) {
                ctx.note(Note::KeyMoves {
                    key: m.key.clone(),
                    from: m.from,
                    to: m.to,
                    vnode: (v.node, v.index),
                    replicas: self.params.replicas,
                });
            }
        }
        // The instructions.
        let mut migrations: BTreeMap<(NodeId, NodeId), Vec<String>> = BTreeMap::new();
        for m in &moves {
            if leaving != Some(m.from) {
                migrations
                    .entry((m.from, m.to))
                    .or_default()
                    .push(m.key.clone());
            }
        }
        c.moves = moves;
        c.tasks.clear();
        // Moves first (the old owner hands its keys over), then copies (a surviving
        // replica sends keys and keeps them).
        let orders = migrations
            .into_iter()
            .map(|order| (order, false))
            .chain(senders.into_iter().map(|order| (order, true)));
        for (((from, to), keys), copy) in orders {
            ctx.note(Note::OrdersMigration {
                from,
                to,
                count: keys.len() as u32,
                copy,
            });
            c.tasks.push(Task {
                node: from,
                kind: TaskKind::Migrate { to, keep: copy },
                keys,
            });
        }
        if let (Some(x), false) = (leaving, left_behind.is_empty()) {
            ctx.note(Note::OrdersCleanup {
                at: x,
                count: left_behind.len() as u32,
            });
            let t = Task {
                node: x,
                kind: TaskKind::Drop,
                keys: left_behind,
            };
            ctx.send(x, task_msg(epoch, &t));
            c.cleanup.push((epoch, t));
        }
        for (at, keys) in stores {
            ctx.note(Note::OrdersStore {
                at,
                count: keys.len() as u32,
            });
            c.tasks.push(Task {
                node: at,
                kind: TaskKind::Store,
                keys,
            });
        }
        for (at, keys) in drops {
            ctx.note(Note::OrdersDrop {
                at,
                count: keys.len() as u32,
            });
            c.tasks.push(Task {
                node: at,
                kind: TaskKind::Drop,
                keys,
            });
        }
        for t in &c.tasks {
            ctx.send(t.node, task_msg(epoch, t));
        }
        self.after_progress(c, ctx);
    }

    /// After an operation or a finished task: arm the resend timer, or finish the
    /// migration and start the next queued operation.
    fn after_progress(&self, c: &mut Coord, ctx: &mut Ctx<Self>) {
        if c.tasks.is_empty() {
            if c.cleanup.is_empty() {
                ctx.cancel_timer(Timer::Resend);
            } else {
                ctx.set_timer(Timer::Resend, self.resend_delay());
            }
            ctx.note(Note::MigrationComplete { epoch: c.epoch });
            if !c.queue.is_empty() {
                ctx.set_timer(Timer::NextOp, 0..=0);
            }
        } else {
            ctx.set_timer(Timer::Resend, self.resend_delay());
        }
    }

    fn resend_delay(&self) -> std::ops::RangeInclusive<Time> {
        let t = self.params.transfer_timeout.saturating_mul(2);
        t..=t
    }

    fn start_lookup(&self, c: &mut Coord, key: String, ctx: &mut Ctx<Self>) {
        let h = hash_key(&key);
        let mut pref = Vec::new();
        c.ring.preference(h, self.replicas(), &mut pref);
        if !c.keys.contains(&key) {
            ctx.note(Note::LookupUnknownKey {
                key,
                owner: pref.first().copied(),
            });
            return;
        }
        c.next_lookup = c.next_lookup.wrapping_add(1);
        let id = c.next_lookup;
        let of = pref.len() as u32;
        let to = pref[0];
        ctx.note(Note::LookupAsks {
            key: key.clone(),
            hash: h,
            to,
            replica: 1,
            of,
        });
        ctx.send(
            to,
            Msg::Get {
                id,
                key: key.clone(),
            },
        );
        ctx.set_timer(Timer::LookupTimeout { id }, self.delay());
        c.lookups.insert(
            id,
            PendingLookup {
                key,
                preference: pref,
                asking: 0,
                missing: Vec::new(),
                fallback: None,
            },
        );
    }

    /// Ask the next replica of a lookup, or report the key unavailable.
    fn next_replica(&self, c: &mut Coord, id: u32, ctx: &mut Ctx<Self>) {
        let Some(l) = c.lookups.get_mut(&id) else {
            return;
        };
        if (l.asking as usize) < l.preference.len() {
            l.asking += 1;
        }
        if let Some(&to) = l.preference.get(l.asking as usize) {
            ctx.note(Note::LookupAsks {
                key: l.key.clone(),
                hash: hash_key(&l.key),
                to,
                replica: l.asking + 1,
                of: l.preference.len() as u32,
            });
            ctx.send(
                to,
                Msg::Get {
                    id,
                    key: l.key.clone(),
                },
            );
            ctx.set_timer(Timer::LookupTimeout { id }, self.delay());
        } else if let Some(to) = (l.fallback.is_none() && l.missing.len() == l.preference.len())
            .then(|| old_holder(&c.tasks, &l.key))
            .flatten()
            .filter(|o| !l.preference.contains(o))
        {
            // Every replica said "not here": the key is on its way to them. The old owner
            // keeps it until its transfer is acknowledged: ask it.
            l.fallback = Some(to);
            ctx.note(Note::LookupFallback {
                key: l.key.clone(),
                to,
            });
            ctx.send(
                to,
                Msg::Get {
                    id,
                    key: l.key.clone(),
                },
            );
            ctx.set_timer(Timer::LookupTimeout { id }, self.delay());
        } else if let Some(l) = c.lookups.remove(&id) {
            ctx.cancel_timer(Timer::LookupTimeout { id });
            let cause = if l.missing.is_empty() {
                Unavailable::NoAnswer
            } else {
                Unavailable::NotThere
            };
            ctx.note(Note::LookupUnavailable {
                key: l.key,
                tried: l.preference,
                missing: l.missing,
                cause,
            });
        }
    }

    fn coord_msg(&self, c: &mut Coord, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        let done = |epoch: u64, kind: TaskKind| (epoch, kind);
        let (epoch, kind) = match msg {
            Msg::MigrationDone { epoch, to } => done(epoch, TaskKind::Migrate { to, keep: false }),
            Msg::Stored { epoch } => done(epoch, TaskKind::Store),
            Msg::Dropped { epoch } => {
                if let Some(i) = c
                    .cleanup
                    .iter()
                    .position(|(e, t)| *e == epoch && t.node == from)
                {
                    c.cleanup.remove(i);
                    ctx.note(Note::CleanupDone { by: from });
                    if c.tasks.is_empty() && c.cleanup.is_empty() {
                        ctx.cancel_timer(Timer::Resend);
                    }
                    return;
                }
                done(epoch, TaskKind::Drop)
            }
            Msg::Value { id, key, found } => {
                let Some(l) = c.lookups.get_mut(&id) else {
                    return; // a late answer to a finished lookup
                };
                if l.asked() != Some(from) {
                    return; // a late answer from a replica asked before
                }
                let by_fallback = l.fallback == Some(from);
                if found {
                    let replica = l.asking + 1;
                    c.lookups.remove(&id);
                    ctx.cancel_timer(Timer::LookupTimeout { id });
                    if by_fallback {
                        ctx.note(Note::LookupServedByOldOwner { key, by: from });
                    } else {
                        ctx.note(Note::LookupServed {
                            key,
                            by: from,
                            replica,
                        });
                    }
                } else {
                    l.missing.push(from);
                    ctx.note(Note::LookupMissing { key, at: from });
                    self.next_replica(c, id, ctx);
                }
                return;
            }
            _ => return,
        };
        if epoch != c.epoch {
            return; // a report about an earlier operation, already complete
        }
        let same = |a: &TaskKind, b: &TaskKind| match (a, b) {
            (TaskKind::Migrate { to: x, .. }, TaskKind::Migrate { to: y, .. }) => x == y,
            _ => a == b,
        };
        let Some(i) = c
            .tasks
            .iter()
            .position(|t| t.node == from && same(&t.kind, &kind))
        else {
            return; // a duplicate report
        };
        c.tasks.remove(i);
        ctx.note(Note::TaskDone {
            by: from,
            remaining: c.tasks.len() as u32,
        });
        self.after_progress(c, ctx);
    }

    /// A storage node learns of operation `epoch`; false if it is older than one it knows.
    fn fresh(node: &mut Node, epoch: u64, ctx: &mut Ctx<Self>) -> bool {
        if epoch < node.epoch {
            ctx.note(Note::IgnoresStale {
                epoch,
                current: node.epoch,
            });
            return false;
        }
        node.epoch = epoch;
        true
    }

    fn send_transfer(&self, node: &mut Node, to: NodeId, ctx: &mut Ctx<Self>) {
        if let Some(o) = node.outgoing.get(&to) {
            ctx.send(
                to,
                Msg::Transfer {
                    epoch: o.epoch,
                    keys: o.keys.clone(),
                },
            );
            ctx.set_timer(Timer::TransferRetry { to }, self.delay());
        }
    }
}

/// The node still holding `key` while its move is pending: the sender of an unfinished
/// migration instruction that contains it.
fn old_holder(tasks: &[Task], key: &str) -> Option<NodeId> {
    tasks
        .iter()
        .find(|t| matches!(t.kind, TaskKind::Migrate { .. }) && t.keys.iter().any(|k| k == key))
        .map(|t| t.node)
}

fn task_msg(epoch: u64, t: &Task) -> Msg {
    let keys = t.keys.clone();
    match t.kind {
        TaskKind::Migrate { to, keep } => Msg::Migrate {
            epoch,
            to,
            keys,
            keep,
        },
        TaskKind::Store => Msg::Store { epoch, keys },
        TaskKind::Drop => Msg::Drop { epoch, keys },
    }
}

/// Keys whose node changes under `hash(key) mod N` when the sorted members go from
/// `before` to `after`.
pub fn mod_n_moved<'a>(
    keys: impl Iterator<Item = &'a String>,
    before: &[NodeId],
    after: &[NodeId],
) -> u32 {
    if before.is_empty() || after.is_empty() {
        return 0;
    }
    keys.filter(|k| {
        let h = hash_key(k);
        before[(h % before.len() as u64) as usize] != after[(h % after.len() as u64) as usize]
    })
    .count() as u32
}

/// Load statistics of a placement.
fn stats(
    op: Op,
    epoch: u64,
    members: &BTreeMap<NodeId, u32>,
    owners: &BTreeMap<String, Vec<NodeId>>,
    mod_n: u32,
) -> Stats {
    let mut load: BTreeMap<NodeId, u32> = members.keys().map(|&n| (n, 0)).collect();
    for o in owners.values() {
        for n in o {
            *load.entry(*n).or_insert(0) += 1;
        }
    }
    let (mean, std_dev, max_over_mean) = balance(load.values().copied());
    Stats {
        op,
        epoch,
        load,
        mean,
        std_dev,
        max_over_mean,
        keys: owners.len() as u32,
        moved_keys: 0,
        moved_copies: 0,
        mod_n_moved: mod_n,
    }
}

/// Mean, population standard deviation and max/mean of loads.
pub fn balance(loads: impl Iterator<Item = u32> + Clone) -> (f64, f64, f64) {
    let n = loads.clone().count();
    if n == 0 {
        return (0.0, 0.0, 0.0);
    }
    let mean = loads.clone().map(f64::from).sum::<f64>() / n as f64;
    let var = loads
        .clone()
        .map(|x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    let max = loads.max().map_or(0.0, f64::from);
    let mom = if mean > 0.0 { max / mean } else { 0.0 };
    (mean, var.sqrt(), mom)
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

impl Protocol for Hashring {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = HashringChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        ParamError::check_range("nodes", params.nodes, 1..=64)?;
        ParamError::check_range("spare", params.spare, 0..=16)?;
        ParamError::check_range("vnodes", params.vnodes, 1..=500)?;
        ParamError::check_range("replicas", params.replicas, 1..=5)?;
        if params.replicas > params.nodes {
            return Err(ParamError::new(
                "replicas",
                format!(
                    "cannot exceed the number of nodes in the ring ({}; got {})",
                    params.nodes, params.replicas
                ),
            ));
        }
        ParamError::check_range("keys", params.keys, 0..=MAX_KEYS)?;
        ParamError::check_range("transfer_timeout", params.transfer_timeout, 10..=60_000)?;
        let k = params.nodes + params.spare;
        let mut weights = vec![1; k as usize];
        for (name, &w) in &params.weights {
            let field = format!("weights.{name}");
            let n = name
                .strip_prefix('n')
                .and_then(|s| s.parse::<u32>().ok())
                .filter(|&i| (1..=k).contains(&i))
                .ok_or_else(|| {
                    ParamError::new(
                        &field,
                        format!("no such node (storage nodes are n1 to n{k})"),
                    )
                })?;
            ParamError::check_range(&field, w, 1..=8)?;
            weights[(n - 1) as usize] = w;
        }
        Ok(Hashring {
            params,
            weights,
            initial: std::sync::OnceLock::new(),
        })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        let mut v: Vec<String> = (1..=self.physical()).map(|i| format!("n{i}")).collect();
        v.push("coord".into());
        v
    }

    fn init(&self, id: NodeId, _ctx: &mut Ctx<Self>) -> Node {
        // The hash is pure: every node would compute the same initial placement, so it is
        // computed once and each node takes its part.
        let init = self.initial.get_or_init(|| {
            let coord = self.initial_coord();
            let mut stored = vec![BTreeSet::new(); self.physical() as usize];
            for (k, o) in &coord.owners {
                for n in o {
                    if let Some(set) = stored.get_mut(n.index()) {
                        set.insert(k.clone());
                    }
                }
            }
            std::sync::Arc::new(Initial { coord, stored })
        });
        if id == self.coord() {
            return Node {
                stored: BTreeSet::new(),
                epoch: 0,
                outgoing: BTreeMap::new(),
                coord: Some(Box::new(init.coord.clone())),
            };
        }
        Node {
            stored: init.stored.get(id.index()).cloned().unwrap_or_default(),
            epoch: 0,
            outgoing: BTreeMap::new(),
            coord: None,
        }
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        let Some(c) = node.coord.as_deref_mut() else {
            ctx.note(Note::NotTheCoordinator {
                lookup: matches!(cmd, Cmd::Lookup { .. }),
            });
            return;
        };
        let busy = !c.tasks.is_empty() || !c.queue.is_empty();
        if busy && !matches!(cmd, Cmd::Lookup { .. }) {
            ctx.note(Note::Queued {
                cmd: cmd.clone(),
                waiting: c.queue.len() as u32,
            });
            c.queue.push_back(cmd);
            return;
        }
        self.run_op(c, cmd, ctx);
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        if let Some(c) = node.coord.as_deref_mut() {
            return self.coord_msg(c, from, msg, ctx);
        }
        match msg {
            Msg::Migrate {
                epoch,
                to,
                keys,
                keep,
            } => {
                if !Self::fresh(node, epoch, ctx) {
                    return;
                }
                if node.outgoing.get(&to).is_some_and(|o| o.epoch == epoch) {
                    ctx.note(Note::AlreadySending { to });
                    return;
                }
                let keys: Vec<String> = keys
                    .into_iter()
                    .filter(|k| node.stored.contains(k))
                    .collect();
                if keys.is_empty() {
                    // Done before (this is a resent instruction): say so again.
                    ctx.note(Note::NothingToSend { to });
                    ctx.send(from, Msg::MigrationDone { epoch, to });
                    return;
                }
                ctx.note(Note::SendsTransfer {
                    to,
                    count: keys.len() as u32,
                });
                node.outgoing.insert(
                    to,
                    Outgoing {
                        epoch,
                        keys,
                        attempts: 1,
                        keep,
                    },
                );
                self.send_transfer(node, to, ctx);
            }
            Msg::Transfer { epoch, keys } => {
                if !Self::fresh(node, epoch, ctx) {
                    // Said, or the sender would resend it for ever.
                    let current = node.epoch;
                    ctx.send(from, Msg::TransferStale { epoch, current });
                    return;
                }
                let count = keys.len() as u32;
                let before = node.stored.len();
                node.stored.extend(keys);
                let new = (node.stored.len() - before) as u32;
                ctx.note(Note::StoresTransfer { from, count, new });
                ctx.send(from, Msg::TransferAck { epoch });
            }
            Msg::TransferAck { epoch } => {
                if node.outgoing.get(&from).is_none_or(|o| o.epoch != epoch) {
                    return; // a duplicate acknowledgement
                }
                let Some(o) = node.outgoing.remove(&from) else {
                    return;
                };
                ctx.cancel_timer(Timer::TransferRetry { to: from });
                let count = o.keys.len() as u32;
                if o.keep {
                    ctx.note(Note::CopiedAfterAck { to: from, count });
                } else {
                    for k in &o.keys {
                        node.stored.remove(k);
                    }
                    ctx.note(Note::DeletesAfterAck { to: from, count });
                }
                ctx.send(self.coord(), Msg::MigrationDone { epoch, to: from });
            }
            Msg::TransferStale { epoch, current } => {
                if node.outgoing.get(&from).is_none_or(|o| o.epoch != epoch) {
                    return; // already stopped
                }
                node.outgoing.remove(&from);
                ctx.cancel_timer(Timer::TransferRetry { to: from });
                node.epoch = node.epoch.max(current);
                ctx.note(Note::StopsStaleTransfer {
                    to: from,
                    epoch,
                    current,
                });
            }
            Msg::Store { epoch, keys } => {
                if !Self::fresh(node, epoch, ctx) {
                    return;
                }
                ctx.note(Note::StoresNew {
                    count: keys.len() as u32,
                });
                node.stored.extend(keys);
                ctx.send(from, Msg::Stored { epoch });
            }
            Msg::Drop { epoch, keys } => {
                if !Self::fresh(node, epoch, ctx) {
                    return;
                }
                for k in &keys {
                    node.stored.remove(k);
                }
                ctx.note(Note::DropsKeys {
                    count: keys.len() as u32,
                });
                ctx.send(from, Msg::Dropped { epoch });
            }
            Msg::Get { id, key } => {
                let found = node.stored.contains(&key);
                ctx.note(Note::Serves {
                    key: key.clone(),
                    found,
                });
                ctx.send(from, Msg::Value { id, key, found });
            }
            // Reports and answers go to the coordinator only.
            _ => {}
        }
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::TransferRetry { to } => {
                if let Some(o) = node.outgoing.get_mut(&to) {
                    o.attempts = o.attempts.saturating_add(1);
                    ctx.note(Note::ResendsTransfer {
                        to,
                        count: o.keys.len() as u32,
                        attempt: o.attempts,
                    });
                    self.send_transfer(node, to, ctx);
                }
            }
            Timer::Resend => {
                let Some(c) = node.coord.as_deref_mut() else {
                    return;
                };
                if c.tasks.is_empty() && c.cleanup.is_empty() {
                    return;
                }
                ctx.note(Note::Resends {
                    pending: (c.tasks.len() + c.cleanup.len()) as u32,
                });
                for t in &c.tasks {
                    ctx.send(t.node, task_msg(c.epoch, t));
                }
                for (e, t) in &c.cleanup {
                    ctx.send(t.node, task_msg(*e, t));
                }
                ctx.set_timer(Timer::Resend, self.resend_delay());
            }
            Timer::NextOp => {
                let Some(c) = node.coord.as_deref_mut() else {
                    return;
                };
                if !c.tasks.is_empty() {
                    return;
                }
                if let Some(cmd) = c.queue.pop_front() {
                    ctx.note(Note::StartsQueued);
                    self.run_op(c, cmd, ctx);
                    if c.tasks.is_empty() && !c.queue.is_empty() {
                        ctx.set_timer(Timer::NextOp, 0..=0);
                    }
                }
            }
            Timer::LookupTimeout { id } => {
                let Some(c) = node.coord.as_deref_mut() else {
                    return;
                };
                if let Some(l) = c.lookups.get(&id) {
                    if let Some(&from) = l.preference.get(l.asking as usize) {
                        ctx.note(Note::LookupNoAnswer {
                            key: l.key.clone(),
                            from,
                        });
                    }
                    self.next_replica(c, id, ctx);
                }
            }
        }
    }

    fn on_restart(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let mut resending = false;
        if let Some(c) = node.coord.as_deref_mut() {
            if !c.tasks.is_empty() || !c.cleanup.is_empty() {
                resending = true;
                ctx.set_timer(Timer::Resend, 0..=0);
            } else if !c.queue.is_empty() {
                ctx.set_timer(Timer::NextOp, 0..=0);
            }
        }
        ctx.note(Note::Restarts {
            keys: node.stored.len() as u32,
            resending,
            coord: node.coord.is_some(),
        });
    }

    fn msg_label(&self, msg: &Msg) -> &'static str {
        match msg {
            Msg::Migrate { .. } => "MIGRATE",
            Msg::Transfer { .. } => "XFER",
            Msg::TransferAck { .. } => "XACK",
            Msg::TransferStale { .. } => "STALE",
            Msg::MigrationDone { .. } => "DONE",
            Msg::Store { .. } => "STORE",
            Msg::Stored { .. } => "STORED",
            Msg::Drop { .. } => "DROP",
            Msg::Dropped { .. } => "DROPPED",
            Msg::Get { .. } => "GET",
            Msg::Value { .. } => "VALUE",
        }
    }

    fn describe_msg(&self, msg: &Msg, names: &[String]) -> String {
        match msg {
            Msg::Migrate {
                epoch,
                to,
                keys,
                keep,
            } => format!(
                "the instruction to {} {} to {} (operation {epoch})",
                if *keep { "copy" } else { "hand" },
                keys_text(keys),
                name(names, *to)
            ),
            Msg::Transfer { epoch, keys } => {
                format!("a transfer of {} (operation {epoch})", keys_text(keys))
            }
            Msg::TransferAck { epoch } => {
                format!("the acknowledgement of a transfer (operation {epoch})")
            }
            Msg::TransferStale { epoch, current } => format!(
                "word that a transfer of operation {epoch} is stale (operation {current} is under way)"
            ),
            Msg::MigrationDone { epoch, to } => format!(
                "the report that the keys for {} are handed over (operation {epoch})",
                name(names, *to)
            ),
            Msg::Store { epoch, keys } => {
                format!(
                    "the instruction to store {} (operation {epoch})",
                    keys_text(keys)
                )
            }
            Msg::Stored { epoch } => {
                format!("the report that new keys are stored (operation {epoch})")
            }
            Msg::Drop { epoch, keys } => {
                format!(
                    "the instruction to delete {} (operation {epoch})",
                    keys_text(keys)
                )
            }
            Msg::Dropped { epoch } => {
                format!("the report that keys are deleted (operation {epoch})")
            }
            Msg::Get { id, key } => format!("lookup #{id} of {key}"),
            Msg::Value { id, key, found } => format!(
                "the answer to lookup #{id}: {key} {}",
                if *found { "is here" } else { "is not here" }
            ),
        }
    }

    fn describe_timer(&self, timer: &Timer, names: &[String]) -> String {
        match timer {
            Timer::Resend => "the timer to resend unfinished migration instructions".into(),
            Timer::NextOp => "the timer to start the next queued operation".into(),
            Timer::LookupTimeout { id } => format!("the timeout of lookup #{id}"),
            Timer::TransferRetry { to } => {
                format!("the retry timer of the transfer to {}", name(names, *to))
            }
        }
    }

    fn describe_cmd(&self, cmd: &Cmd, names: &[String]) -> String {
        match cmd {
            Cmd::AddNode { node, weight } => match weight {
                Some(w) => format!("add {} to the ring with weight {w}", name(names, *node)),
                None => format!("add {} to the ring", name(names, *node)),
            },
            Cmd::RemoveNode { node } => format!("remove {} from the ring", name(names, *node)),
            Cmd::SetVnodes { count } => format!("set {count} virtual nodes per node"),
            Cmd::AddKeys { count } => format!("add {count} keys"),
            Cmd::RemoveKey { key } => format!("remove key {key}"),
            Cmd::RemoveKeys { count } => format!("remove {count} random key{}", plural(*count)),
            Cmd::Lookup { key } => format!("look up {key}"),
        }
    }

    fn describe_note(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        let n = |id: &NodeId| name(names, *id);
        let me = name(names, me);
        let r = self.params.replicas;
        let t = self.params.transfer_timeout;
        match note {
            Note::RingChanged {
                op,
                epoch,
                vnodes_total,
                moved_keys,
                moved_copies,
                mod_n_moved,
                keys,
            } => {
                let what = describe_op(op, names);
                let mut s = format!(
                    "{me} applies operation {epoch} ({what}) and recomputes the ring: {vnodes_total} virtual nodes; each key belongs to the first {} clockwise from its hash",
                    if r == 1 { "virtual node".to_string() } else { format!("{r} distinct nodes") }
                );
                match op {
                    Op::AddNode { .. } | Op::RemoveNode { .. } | Op::SetVnodes { .. } => {
                        let _ = write!(
                            s,
                            ". {moved_keys} of {keys} keys change owner ({}), {moved_copies} copies move",
                            percent(*moved_keys, *keys)
                        );
                        if matches!(op, Op::AddNode { .. } | Op::RemoveNode { .. }) {
                            let _ = write!(
                                s,
                                "; with hash mod N, {mod_n_moved} keys ({}) would have moved",
                                percent(*mod_n_moved, *keys)
                            );
                        }
                    }
                    Op::AddKeys { count } => {
                        let _ = write!(s, ". The {count} new keys go to their owners");
                    }
                    Op::RemoveKeys { count } => {
                        let _ = write!(
                            s,
                            ". {count} key{} chosen at random leave: their owners delete them; no other key moves",
                            plural(*count)
                        );
                    }
                    _ => {}
                }
                s
            }
            Note::Balance {
                mean,
                std_dev,
                max_over_mean,
            } => format!(
                "load per node: mean {mean:.1} keys, standard deviation {std_dev:.1} ({:.0}% of the mean), the busiest node holds {max_over_mean:.2} times the mean",
                if *mean > 0.0 { std_dev / mean * 100.0 } else { 0.0 }
            ),
            Note::KeyMoves {
                key,
                from,
                to,
                vnode,
                replicas,
            } => {
                if *replicas == 1 {
                    format!(
                        "{key} moves from {} to {}: its first virtual node clockwise is now {}#{}",
                        n(from),
                        n(to),
                        n(&vnode.0),
                        vnode.1
                    )
                } else {
                    format!(
                        "a copy of {key} moves from {} to {}: {} is now among the {replicas} first distinct nodes clockwise from {key} (the first virtual node is {}#{}), {} no longer is",
                        n(from),
                        n(to),
                        n(to),
                        n(&vnode.0),
                        vnode.1,
                        n(from)
                    )
                }
            }
            Note::OrdersMigration {
                from,
                to,
                count,
                copy,
            } => {
                if *copy {
                    format!(
                        "{me} tells {} to copy {count} key{} to {}: {} stays an owner of them, and the copies of the node that left are not needed (it may be down)",
                        n(from),
                        plural(*count),
                        n(to),
                        n(from)
                    )
                } else {
                    format!(
                        "{me} tells {} to hand {count} key{} over to {}",
                        n(from),
                        plural(*count),
                        n(to)
                    )
                }
            }
            Note::OrdersCleanup { at, count } => format!(
                "{me} tells {}, which left the ring, to delete its {count} old cop{}; the next operations do not wait for it",
                n(at),
                if *count == 1 { "y" } else { "ies" }
            ),
            Note::CleanupDone { by } => format!(
                "{} deleted the copies it held before it left the ring",
                n(by)
            ),
            Note::OrdersStore { at, count } => format!(
                "{me} tells {} to store {count} new key{} it owns",
                n(at),
                plural(*count)
            ),
            Note::OrdersDrop { at, count } => format!(
                "{me} tells {} to delete {count} removed key{}",
                n(at),
                plural(*count)
            ),
            Note::Refused { why } => format!("{me} refuses: {}", describe_refusal(why, names)),
            Note::Queued { cmd, waiting } => {
                let turn = match waiting {
                    0 => "waits for the current migration to finish".to_string(),
                    w => format!(
                        "waits its turn ({w} more operation{} queued before it)",
                        plural(*w)
                    ),
                };
                format!(
                    "{me} is still migrating keys: '{}' {turn}, so that migrations never overlap",
                    self.describe_cmd(cmd, names)
                )
            }
            Note::StartsQueued => format!("{me} starts the next queued operation"),
            Note::Resends { pending } => format!(
                "{me} has not heard that {pending} instruction{} finished within {} ms: it sends {} again (a message may have been lost)",
                plural(*pending),
                t.saturating_mul(2),
                if *pending == 1 { "it" } else { "them" }
            ),
            Note::TaskDone { by, remaining } => format!(
                "{} finished its part; {remaining} instruction{} still pending",
                n(by),
                plural(*remaining)
            ),
            Note::MigrationComplete { epoch } => format!(
                "operation {epoch} is complete: every key is now stored on exactly its owners"
            ),
            Note::LookupAsks {
                key,
                hash,
                to,
                replica,
                of,
            } => {
                if *replica == 1 {
                    format!(
                        "{key} hashes to {hash:#018x}; its preference list starts with {}: {me} asks it (replica 1 of {of})",
                        n(to)
                    )
                } else {
                    format!(
                        "{me} asks the next node of {key}'s preference list, {} (replica {replica} of {of})",
                        n(to)
                    )
                }
            }
            Note::LookupServed { key, by, replica } => {
                if *replica == 1 {
                    format!("{key} is served by {}, its first owner", n(by))
                } else {
                    format!(
                        "{key} is served by {}, replica {replica}: the replicas before it could not answer",
                        n(by)
                    )
                }
            }
            Note::LookupMissing { key, at } => format!(
                "{} does not have {key} (yet: a migration may be under way)",
                n(at)
            ),
            Note::LookupNoAnswer { key, from } => format!(
                "{} did not answer for {key} within {t} ms (it may be down)",
                n(from)
            ),
            Note::LookupFallback { key, to } => format!(
                "no replica of {key} has it yet: its move is still pending, so {me} asks {}, the old owner, which keeps it until its transfer is acknowledged",
                n(to)
            ),
            Note::LookupServedByOldOwner { key, by } => format!(
                "{key} is served by {}, its old owner: the move to its new owner is not finished yet",
                n(by)
            ),
            Note::LookupUnavailable {
                key,
                tried,
                missing,
                cause,
            } => {
                let silent: Vec<&str> = tried
                    .iter()
                    .filter(|x| !missing.contains(x))
                    .map(|x| name(names, *x))
                    .collect();
                let said: Vec<&str> = missing.iter().map(|x| name(names, *x)).collect();
                match cause {
                    Unavailable::NoAnswer if tried.len() == 1 => format!(
                        "{key} is unavailable: its only replica, {}, did not answer (with R = 1 a single failure makes keys unreachable)",
                        silent.join(", ")
                    ),
                    Unavailable::NoAnswer => format!(
                        "{key} is unavailable: none of its {} replicas ({}) answered",
                        tried.len(),
                        silent.join(", ")
                    ),
                    Unavailable::NotThere => {
                        let mut s = format!(
                            "{key} is unavailable for now: {} answered that {} not have it (its move is not finished, or its copy was lost in the hand-over)",
                            said.join(", "),
                            if said.len() == 1 { "it does" } else { "they do" }
                        );
                        if !silent.is_empty() {
                            let _ = write!(s, "; {} did not answer", silent.join(", "));
                        }
                        s
                    }
                }
            }
            Note::LookupUnknownKey { key, owner } => match owner {
                Some(o) => format!(
                    "{key} is not in the key set (if it were, it would belong to {})",
                    n(o)
                ),
                None => format!("{key} is not in the key set"),
            },
            Note::SendsTransfer { to, count } => format!(
                "{me} sends {count} key{} to {}, their new owner, and keeps them until {} acknowledges",
                plural(*count),
                n(to),
                n(to)
            ),
            Note::ResendsTransfer { to, count, attempt } => format!(
                "{me} heard no acknowledgement from {} within {t} ms: it sends the {count} key{} again (attempt {attempt})",
                n(to),
                plural(*count)
            ),
            Note::AlreadySending { to } => format!(
                "{me} is already sending these keys to {}: it goes on retrying",
                n(to)
            ),
            Note::NothingToSend { to } => format!(
                "{me} already handed these keys to {}: it reports the migration done again",
                n(to)
            ),
            Note::StoresTransfer { from, count, new } => {
                let mut s = format!(
                    "{me} stores {count} key{} from {} and acknowledges",
                    plural(*count),
                    n(from)
                );
                if new < count {
                    let _ = write!(s, " ({} it already had: a resent transfer)", count - new);
                }
                s
            }
            Note::CopiedAfterAck { to, count } => format!(
                "{} acknowledged: {me} keeps its {count} cop{} (it stays an owner) and reports to the coordinator",
                n(to),
                if *count == 1 { "y" } else { "ies" }
            ),
            Note::DeletesAfterAck { to, count } => format!(
                "{} acknowledged: {me} deletes the {count} key{} it no longer owns and reports to the coordinator",
                n(to),
                plural(*count)
            ),
            Note::StoresNew { count } => {
                format!("{me} stores {count} new key{} it owns", plural(*count))
            }
            Note::DropsKeys { count } => {
                format!("{me} deletes {count} removed key{}", plural(*count))
            }
            Note::StopsStaleTransfer { to, epoch, current } => format!(
                "{me} stops resending keys of operation {epoch} to {}: that operation is over ({} already takes part in operation {current}); it deletes nothing",
                name(names, *to),
                name(names, *to)
            ),
            Note::IgnoresStale { epoch, current } => format!(
                "{me} ignores an instruction of operation {epoch}: it already takes part in operation {current}, so this is a stale duplicate"
            ),
            Note::Serves { key, found } => {
                if *found {
                    format!("{me} has {key} and answers")
                } else {
                    format!("{me} does not have {key} and says so")
                }
            }
            Note::NotTheCoordinator { lookup } => {
                if *lookup {
                    format!("{me} does not look keys up for clients: coord holds the ring and knows whom to ask; give lookups to coord")
                } else {
                    format!("{me} cannot change the ring: only coord does; give commands to coord")
                }
            }
            Note::Restarts {
                keys,
                resending,
                coord,
            } => {
                if *coord {
                    let mut s = format!("{me} restarts: the ring, the key set and the pending instructions were on disk and survive; lookups in progress were in memory and are lost");
                    if *resending {
                        s.push_str("; it resends the unfinished instructions");
                    }
                    s
                } else {
                    format!(
                        "{me} restarts: its {keys} stored key{} were on disk and survive; transfers it was sending were in memory and are lost (coord resends any instruction not reported done)",
                        plural(*keys)
                    )
                }
            }
        }
    }

    fn properties(&self) -> Vec<Property> {
        vec![
            Property {
                name: REPLICA_PLACEMENT,
                description: "Every key has exactly R owners, on R distinct physical nodes.",
            },
            Property {
                name: PLACEMENT,
                description: "When no migration is pending, every key is stored on exactly its owners (crashed nodes included: their disks keep the keys): none lost, none left behind.",
            },
            Property {
                name: MONOTONICITY,
                description: "Adding a node moves keys only onto the added node.",
            },
        ]
    }

    fn checker(&self) -> HashringChecker {
        HashringChecker {
            coord: self.coord(),
            replicas: self.params.replicas,
        }
    }

    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        let k = self.physical();
        let node = NodeId(rng.random_range(0..k));
        let key = key_name(rng.random_range(1..=self.params.keys.max(1) + 20));
        let cmd = match rng.random_range(0..10u32) {
            0 | 1 => Cmd::AddNode { node, weight: None },
            2 | 3 => Cmd::RemoveNode { node },
            4 => Cmd::SetVnodes {
                count: rng.random_range(1..=20u32),
            },
            5 => Cmd::AddKeys {
                count: rng.random_range(1..=30u32),
            },
            6 if rng.random_bool(0.5) => Cmd::RemoveKey { key },
            6 => Cmd::RemoveKeys {
                count: rng.random_range(1..=10u32),
            },
            _ => Cmd::Lookup { key },
        };
        Some((self.coord(), cmd))
    }
}

pub const REPLICA_PLACEMENT: &str = "Replica placement";
pub const PLACEMENT: &str = "Placement";
pub const MONOTONICITY: &str = "Monotonicity";

fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn percent(part: u32, whole: u32) -> String {
    if whole == 0 {
        "0%".into()
    } else {
        format!("{:.0}%", f64::from(part) * 100.0 / f64::from(whole))
    }
}

/// "k0001, k0002 and 3 more".
fn keys_text(keys: &[String]) -> String {
    match keys.len() {
        0 => "no keys".into(),
        1..=3 => keys.join(", "),
        n => format!("{}, {} and {} more", keys[0], keys[1], n - 2),
    }
}

fn describe_op(op: &Op, names: &[String]) -> String {
    match op {
        Op::Initial => "initial placement".into(),
        Op::AddNode { node, weight } => {
            format!("add {} with weight {weight}", name(names, *node))
        }
        Op::RemoveNode { node } => format!("remove {}", name(names, *node)),
        Op::SetVnodes { from, to } => format!("virtual nodes per node {from} -> {to}"),
        Op::AddKeys { count } => format!("add {count} key{}", plural(*count)),
        Op::RemoveKey { key } => format!("remove {key}"),
        Op::RemoveKeys { count } => format!("remove {count} random key{}", plural(*count)),
    }
}

fn describe_refusal(why: &Refusal, names: &[String]) -> String {
    let n = |id: &NodeId| name(names, *id);
    match why {
        Refusal::NotStorageNode { node } => format!("{} is not a storage node", n(node)),
        Refusal::AlreadyMember { node } => format!("{} is already in the ring", n(node)),
        Refusal::NotMember { node } => format!("{} is not in the ring", n(node)),
        Refusal::TooFewNodes { replicas } => format!(
            "removing a node would leave fewer nodes than the {replicas} replicas each key needs"
        ),
        Refusal::BadWeight { weight } => format!("a weight must be 1 to 8 (got {weight})"),
        Refusal::BadVnodes { count } => {
            format!("virtual nodes per node must be 1 to 500 (got {count})")
        }
        Refusal::TooManyKeys { count } => {
            format!("adding {count} keys is refused: add 1 or more keys, at most {MAX_KEYS} in all")
        }
        Refusal::NoSuchKey { key } => format!("{key} is not in the key set"),
        Refusal::BadRemoveCount { count, keys } => format!(
            "removing {count} keys is refused: remove 1 to {keys} (the keys there are)"
        ),
        Refusal::StillCleaning { node } => format!(
            "{} left the ring and has not yet confirmed that it deleted its old copies (it may be down): it can rejoin once it has",
            n(node)
        ),
    }
}

// ---------------------------------------------------------------------------------------
// The checker

/// Checks the three properties from the coordinator's ring and the nodes' disks, on the
/// steps whose notes say something changed.
#[derive(Clone, Debug)]
pub struct HashringChecker {
    coord: NodeId,
    replicas: u32,
}

impl HashringChecker {
    /// Up to three keys whose owners are not R distinct ring members.
    fn replica_placement(&self, c: &Coord, names: &[String]) -> Option<String> {
        let want = (self.replicas as usize).min(c.members.len());
        let mut bad = Vec::new();
        for k in &c.keys {
            let why = match c.owners.get(k) {
                None => "has no owner".to_string(),
                Some(o) => {
                    let distinct: BTreeSet<&NodeId> = o.iter().collect();
                    if o.len() != want {
                        format!("has {} owners instead of {want}", o.len())
                    } else if distinct.len() != o.len() {
                        "has the same node twice among its owners".to_string()
                    } else if let Some(x) = o.iter().find(|x| !c.members.contains_key(x)) {
                        format!("is owned by {}, which is not in the ring", name(names, *x))
                    } else {
                        continue;
                    }
                }
            };
            bad.push(format!("{k} {why}"));
            if bad.len() == 3 {
                break;
            }
        }
        (!bad.is_empty()).then(|| bad.join("; "))
    }

    /// Compare what `nodes` store with what they own.
    fn placement<'s>(
        &self,
        c: &Coord,
        stored: &dyn Fn(NodeId) -> &'s BTreeSet<String>,
        names: &[String],
        nodes: &[NodeId],
        out: &mut Vec<Violation>,
    ) {
        let mut expected: BTreeMap<NodeId, BTreeSet<&str>> =
            nodes.iter().map(|&n| (n, BTreeSet::new())).collect();
        for (k, o) in &c.owners {
            for n in o {
                if let Some(set) = expected.get_mut(n) {
                    set.insert(k.as_str());
                }
            }
        }
        for (&n, want) in &expected {
            let have = stored(n);
            let missing: Vec<&str> = want
                .iter()
                .copied()
                .filter(|k| !have.contains(*k))
                .take(3)
                .collect();
            let extra: Vec<&str> = have
                .iter()
                .map(|k| k.as_str())
                .filter(|k| !want.contains(k))
                .take(3)
                .collect();
            if !missing.is_empty() {
                out.push(Violation::new(
                    PLACEMENT,
                    format!(
                        "no migration is pending, but {} does not store {} although it is among the owners (key lost there)",
                        name(names, n),
                        missing.join(", ")
                    ),
                ));
            }
            if !extra.is_empty() {
                out.push(Violation::new(
                    PLACEMENT,
                    format!(
                        "no migration is pending, but {} still stores {} although it is not an owner (left behind)",
                        name(names, n),
                        extra.join(", ")
                    ),
                ));
            }
        }
    }

    /// The checks after a step of `me` with `notes`, on the coordinator's state `c` and
    /// the nodes' disks (`stored`). Separate from the simulation so that tests can feed it
    /// hand-made states.
    pub fn check_state<'s>(
        &self,
        c: &Coord,
        stored: &dyn Fn(NodeId) -> &'s BTreeSet<String>,
        names: &[String],
        me: NodeId,
        notes: &[Note],
        out: &mut Vec<Violation>,
    ) {
        let idle = c.tasks.is_empty();
        // Nodes that left the ring and may still hold old copies are not checked until
        // they report them deleted.
        let cleaning = |n: NodeId| c.cleanup.iter().any(|(_, t)| t.node == n);
        for note in notes {
            match note {
                Note::RingChanged { op, .. } if me == self.coord => {
                    if let Some(why) = self.replica_placement(c, names) {
                        out.push(Violation::new(REPLICA_PLACEMENT, why));
                    }
                    if let Op::AddNode { node, .. } = op {
                        let wrong: Vec<String> = c
                            .moves
                            .iter()
                            .filter(|m| m.to != *node)
                            .take(3)
                            .map(|m| {
                                format!(
                                    "{} moves from {} to {}",
                                    m.key,
                                    name(names, m.from),
                                    name(names, m.to)
                                )
                            })
                            .collect();
                        if !wrong.is_empty() {
                            out.push(Violation::new(
                                MONOTONICITY,
                                format!(
                                    "adding {} should move keys only onto {}, but {}",
                                    name(names, *node),
                                    name(names, *node),
                                    wrong.join("; ")
                                ),
                            ));
                        }
                    }
                }
                Note::MigrationComplete { .. } if me == self.coord => {
                    let all: Vec<NodeId> = (0..self.coord.0)
                        .map(NodeId)
                        .filter(|&n| !cleaning(n))
                        .collect();
                    self.placement(c, stored, names, &all, out);
                }
                // A store or a deletion while nothing is pending: it must neither leave a
                // key behind nor delete one the node owns.
                Note::StoresTransfer { .. }
                | Note::StoresNew { .. }
                | Note::DeletesAfterAck { .. }
                | Note::DropsKeys { .. }
                    if idle && me != self.coord && !cleaning(me) =>
                {
                    self.placement(c, stored, names, &[me], out);
                }
                _ => {}
            }
        }
    }
}

impl Checker<Hashring> for HashringChecker {
    fn check(
        &mut self,
        sim: &Sim<Hashring>,
        step: &StepOutcome<Hashring>,
        out: &mut Vec<Violation>,
    ) {
        let Some(me) = step.record.node else {
            return;
        };
        let Some(c) = sim.node(self.coord).coord.as_deref() else {
            return;
        };
        let stored = |n: NodeId| &sim.node(n).stored;
        self.check_state(c, &stored, sim.names(), me, &step.record.notes, out);
    }
}

/// Transitional: what a crash loses (to become a disk/memory split).
impl crate::protocol::Durable for Node {
    fn crash(&mut self) {
        let node = self;
        node.outgoing.clear();
        if let Some(c) = node.coord.as_deref_mut() {
            c.lookups.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    //! The checker on hand-made states: each property fires on the situation it names,
    //! and says which keys and nodes are wrong.
    use super::*;

    /// Three nodes in the ring and a spare, 2 replicas, 30 keys: the protocol, the
    /// coordinator's initial state and each node's disk.
    fn setup() -> (Hashring, Coord, Vec<BTreeSet<String>>) {
        let p = Hashring::new(Params {
            nodes: 3,
            spare: 1,
            vnodes: 4,
            replicas: 2,
            keys: 30,
            ..Params::default()
        })
        .unwrap();
        let c = p.initial_coord();
        let mut stored = vec![BTreeSet::new(); 4];
        for (k, o) in &c.owners {
            for n in o {
                stored[n.index()].insert(k.clone());
            }
        }
        (p, c, stored)
    }

    fn check(
        p: &Hashring,
        c: &Coord,
        stored: &[BTreeSet<String>],
        me: u32,
        notes: &[Note],
    ) -> Vec<Violation> {
        let names = p.node_names();
        let mut out = Vec::new();
        let get = |n: NodeId| &stored[n.index()];
        p.checker()
            .check_state(c, &get, &names, NodeId(me), notes, &mut out);
        out
    }

    fn ring_changed(op: Op) -> Note {
        Note::RingChanged {
            op,
            epoch: 1,
            vnodes_total: 12,
            moved_keys: 0,
            moved_copies: 0,
            mod_n_moved: 0,
            keys: 30,
        }
    }

    fn only(v: &[Violation], property: &str) -> String {
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].property, property, "{v:?}");
        v[0].explanation.clone()
    }

    const COORD: u32 = 4;

    #[test]
    fn a_healthy_state_reports_nothing() {
        let (p, c, stored) = setup();
        let notes = [
            ring_changed(Op::AddNode {
                node: NodeId(3),
                weight: 1,
            }),
            Note::MigrationComplete { epoch: 1 },
        ];
        assert!(check(&p, &c, &stored, COORD, &notes).is_empty());
        assert!(check(&p, &c, &stored, 0, &[Note::DropsKeys { count: 1 }]).is_empty());
    }

    #[test]
    fn a_key_owned_twice_by_one_node_breaks_replica_placement() {
        let (p, mut c, stored) = setup();
        c.owners.insert("k0007".into(), vec![NodeId(1), NodeId(1)]);
        let e = only(
            &check(&p, &c, &stored, COORD, &[ring_changed(Op::Initial)]),
            REPLICA_PLACEMENT,
        );
        assert_eq!(e, "k0007 has the same node twice among its owners");
        // Too few owners, and an owner outside the ring.
        c.owners.insert("k0007".into(), vec![NodeId(1)]);
        c.owners.insert("k0008".into(), vec![NodeId(0), NodeId(3)]);
        let e = only(
            &check(&p, &c, &stored, COORD, &[ring_changed(Op::Initial)]),
            REPLICA_PLACEMENT,
        );
        assert_eq!(
            e,
            "k0007 has 1 owners instead of 2; k0008 is owned by n4, which is not in the ring"
        );
    }

    #[test]
    fn a_lost_or_left_behind_key_breaks_placement() {
        let (p, c, mut stored) = setup();
        let owner = c.owners["k0003"][0];
        stored[owner.index()].remove("k0003");
        let done = [Note::MigrationComplete { epoch: 0 }];
        let e = only(&check(&p, &c, &stored, COORD, &done), PLACEMENT);
        assert_eq!(
            e,
            format!(
                "no migration is pending, but n{} does not store k0003 although it is among the owners (key lost there)",
                owner.0 + 1
            )
        );
        // The same found on the node's own deletion while nothing is pending.
        let e = only(
            &check(&p, &c, &stored, owner.0, &[Note::DropsKeys { count: 1 }]),
            PLACEMENT,
        );
        assert!(e.contains("does not store k0003"), "{e}");
        let e = only(
            &check(
                &p,
                &c,
                &stored,
                owner.0,
                &[Note::DeletesAfterAck {
                    to: NodeId(3),
                    count: 1,
                }],
            ),
            PLACEMENT,
        );
        assert!(e.contains("does not store k0003"), "{e}");
        // Not while a migration is pending: keys are on their way.
        let mut busy = c.clone();
        busy.tasks.push(Task {
            node: NodeId(0),
            kind: TaskKind::Drop,
            keys: vec![],
        });
        assert!(check(&p, &busy, &stored, owner.0, &[Note::DropsKeys { count: 1 }]).is_empty());

        // A key on a node that does not own it: left behind.
        let (p, c, mut stored) = setup();
        let not_owner = (0..3)
            .map(NodeId)
            .find(|n| !c.owners["k0005"].contains(n))
            .unwrap();
        stored[not_owner.index()].insert("k0005".into());
        let e = only(&check(&p, &c, &stored, COORD, &done), PLACEMENT);
        assert_eq!(
            e,
            format!(
                "no migration is pending, but n{} still stores k0005 although it is not an owner (left behind)",
                not_owner.0 + 1
            )
        );
        let e = only(
            &check(
                &p,
                &c,
                &stored,
                not_owner.0,
                &[Note::StoresTransfer {
                    from: NodeId(0),
                    count: 1,
                    new: 1,
                }],
            ),
            PLACEMENT,
        );
        assert!(e.contains("still stores k0005"), "{e}");
        // A node that left the ring is not checked until it reports its copies deleted.
        let mut c2 = c.clone();
        c2.cleanup.push((
            1,
            Task {
                node: not_owner,
                kind: TaskKind::Drop,
                keys: vec!["k0005".into()],
            },
        ));
        assert!(check(&p, &c2, &stored, COORD, &done).is_empty());
    }

    #[test]
    fn a_key_moving_between_old_nodes_breaks_monotonicity() {
        let (p, mut c, stored) = setup();
        c.moves = vec![
            Move {
                key: "k0004".into(),
                from: NodeId(0),
                to: NodeId(3),
            },
            Move {
                key: "k0009".into(),
                from: NodeId(0),
                to: NodeId(1),
            },
        ];
        let add = ring_changed(Op::AddNode {
            node: NodeId(3),
            weight: 1,
        });
        let e = only(&check(&p, &c, &stored, COORD, &[add]), MONOTONICITY);
        assert_eq!(
            e,
            "adding n4 should move keys only onto n4, but k0009 moves from n1 to n2"
        );
        // Other operations may move keys anywhere.
        let vn = ring_changed(Op::SetVnodes { from: 4, to: 5 });
        assert!(check(&p, &c, &stored, COORD, &[vn]).is_empty());
    }
}
