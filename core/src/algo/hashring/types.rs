//! The consistent hashing page's data: parameters, node state (each role's disk and
//! memory), messages, timers, commands and narration notes.

use super::ring::Ring;
use crate::collections::VecMap;
use crate::protocol::{Durable, NodeState};
use crate::sim::{NodeId, Time};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// Largest key set.
pub const MAX_KEYS: u32 = 20_000;
/// Most physical nodes (in the ring and spare).
pub const MAX_PHYSICAL: u32 = 80;

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
    pub weights: VecMap<String, u32>,
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
            weights: VecMap::new(),
            replicas: 1,
            keys: 200,
            transfer_timeout: 300,
        }
    }
}

/// A large collection shared between copies of a state until one of them changes it (copy
/// on write): the timeline's checkpoints clone every node's state, and the key sets, the
/// owners and the ring are the bulk of it (tens of thousands of keys). Read through `Deref`;
/// writing through `DerefMut` copies the collection first if another state still shares it.
/// Compared, printed and written out as the collection itself.
#[derive(Default)]
pub struct Shared<T>(Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Self {
        Shared(Arc::new(value))
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> std::ops::DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'a, T> IntoIterator for &'a Shared<T>
where
    &'a T: IntoIterator,
{
    type Item = <&'a T as IntoIterator>::Item;
    type IntoIter = <&'a T as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        self.0.as_ref().into_iter()
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

pub(super) fn is_false(b: &bool) -> bool {
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
    pub load: VecMap<NodeId, u32>,
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

/// The ring manager's state on disk: it survives a crash. What the coordinator holds only
/// in memory is in [`CoordMem`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coord {
    /// Nodes in the ring -> weight.
    pub members: VecMap<NodeId, u32>,
    pub vnodes: u32,
    pub keys: Shared<BTreeSet<String>>,
    /// Number of the last key created.
    pub next_key: u32,
    /// Number of the current operation.
    pub epoch: u64,
    /// The ring of `members` with `vnodes` (derived from them, not written out).
    #[serde(skip)]
    pub ring: Shared<Ring>,
    /// Key -> its preference list (owners), for the current ring.
    #[serde(skip)]
    pub owners: Shared<BTreeMap<String, Vec<NodeId>>>,
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
    /// Number of the last lookup started. Kept with the rest, so that lookup numbers are
    /// not reused after a restart: a late answer to a lookup lost in a crash is never
    /// taken for the answer to a new one.
    pub next_lookup: u32,
}

/// The ring manager's state in memory: lost in a crash.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CoordMem {
    /// Lookups waiting for an answer, by number.
    pub lookups: VecMap<u32, PendingLookup>,
}

/// A storage node's state on disk: it survives a crash (the node's keys become
/// unreachable while it is down, not lost).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StorageDisk {
    /// The keys this node stores.
    pub stored: Shared<BTreeSet<String>>,
    /// The newest operation this node has heard of.
    pub epoch: u64,
}

/// A storage node's state in memory: lost in a crash.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StorageMem {
    /// Transfers being sent, by destination.
    pub outgoing: VecMap<NodeId, Outgoing>,
}

/// The coordinator's state: its disk and its memory.
pub type CoordState = NodeState<Coord, CoordMem>;
/// A storage node's state: its disk and its memory.
pub type StorageState = NodeState<StorageDisk, StorageMem>;

/// A node's state, by role: the storage nodes `n1..nK`, and `coord`. Written as the
/// role's `{"disk": .., "memory": ..}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Node {
    Storage(StorageState),
    Coord(Box<CoordState>),
}

impl Node {
    /// The state of a storage node (`None` on the coordinator).
    pub fn storage(&self) -> Option<&StorageState> {
        match self {
            Node::Storage(s) => Some(s),
            Node::Coord(_) => None,
        }
    }

    /// The coordinator's state (`None` on a storage node).
    pub fn coord(&self) -> Option<&CoordState> {
        match self {
            Node::Coord(c) => Some(c),
            Node::Storage(_) => None,
        }
    }
}

/// A crash keeps each role's disk and resets its memory.
impl Durable for Node {
    fn crash(&mut self) {
        match self {
            Node::Storage(s) => s.crash(),
            Node::Coord(c) => c.crash(),
        }
    }
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
