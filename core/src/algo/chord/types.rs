//! Chord's data: parameters, a node's pointers and keys, messages, timers, commands and
//! narration notes.

use crate::collections::{VecMap, VecSet};
use crate::protocol::NodeState;
use crate::sim::{NodeId, Time};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The most nodes a run has.
pub const MAX_NODES: u32 = 24;
/// A lookup is tried this many times (after an undecided answer or no answer at all)
/// before its origin reports that it could not decide.
pub const MAX_ATTEMPTS: u32 = 3;
/// A lookup forwarded more often than this is given up (a loop through stale pointers).
pub const MAX_HOPS: u32 = 40;

/// Parameters of the Chord page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// m: the identifier circle has 2^m positions, 4 to 16.
    pub bits: u32,
    /// Nodes `n1..nN`, 1 to 24; the first `members` are in the ring at the start, the
    /// others are outside and can join.
    pub nodes: u32,
    /// Nodes in the ring at the start (stabilised, with correct fingers), 1 to `nodes`.
    pub members: u32,
    /// Typed positions of the nodes on the circle, one per node in order (empty: by hash,
    /// see [`super::ring`]).
    pub ids: Vec<u64>,
    /// The keys stored at the start: a name is hashed onto the circle, a number is its
    /// own position.
    pub keys: Vec<String>,
    /// r: entries of each node's successor list, 1 to 5. With r entries the ring survives
    /// r - 1 adjacent failures between two stabilisations; one entry survives none.
    pub successors: u32,
    /// How often a node runs stabilize (and checks its predecessor), in ms.
    pub stabilize_every: Time,
    /// How often a node refreshes one finger (fix_fingers), in ms.
    pub fix_fingers_every: Time,
    /// A node that does not answer within this many ms is taken for failed.
    pub timeout: Time,
    /// Route lookups with the finger table (closest preceding finger); off: along first
    /// successors only, one node per hop.
    pub fingers: bool,
    /// The starting ring's finger tables are filled in; off: every finger starts as the
    /// successor and fix_fingers fills them in one by one.
    pub fingers_at_start: bool,
    /// Each node copies the keys it is responsible for to its successor list, so a key
    /// survives the failure of its node; off: a failed node's keys are lost.
    pub replicate: bool,
    /// UNSAFE, for teaching: the join and stabilize of the original paper, without Zave's
    /// fixes: a joining node takes its successor alone (no successor list yet) and
    /// stabilize adopts its successor's predecessor without checking that it is alive.
    pub unsafe_original_join: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            bits: 6,
            nodes: 10,
            members: 8,
            ids: Vec::new(),
            keys: [
                "apple", "banana", "cherry", "date", "elder", "fig", "grape", "kiwi",
            ]
            .map(String::from)
            .to_vec(),
            successors: 3,
            stabilize_every: 200,
            fix_fingers_every: 150,
            timeout: 120,
            fingers: true,
            fingers_at_start: true,
            replicate: false,
            unsafe_original_join: false,
        }
    }
}

/// A node: its position on the circle (`disk`, fixed) and everything it learned, which a
/// failure loses (`mem`): a failed node that restarts joins again as a new member.
pub type Node = NodeState<Disk, Mem>;

/// What a node keeps through a failure: its position, and whom to ask to join again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Disk {
    pub pos: u64,
    /// It was in the ring (or joining) when it failed: it joins again when it restarts.
    pub rejoin: bool,
    /// The node it asks to join through (the last one it joined through, or its successor).
    pub via: Option<NodeId>,
}

/// Where a node stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Outside the ring.
    #[default]
    Out,
    /// Looking up its successor through a known node.
    Joining,
    /// Zave's join: it knows its successor and waits for that node's successor list.
    Listing,
    /// In the ring.
    Member,
}

/// A lookup's identity: the node it started at and its number there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LookupId {
    pub origin: NodeId,
    pub seq: u32,
}

/// Why a lookup runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "for")]
pub enum Purpose {
    /// A person (or a script) asked for a key.
    User,
    /// fix_fingers: finger `index` (from 1) is successor(n + 2^(index-1)).
    Finger { index: u32 },
    /// A joining node looks up its own successor.
    Join,
}

/// A lookup this node started and waits for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pending {
    pub key: u64,
    pub purpose: Purpose,
    pub attempt: u32,
    pub started: Time,
    /// It got an undecided answer and waits to try again.
    pub waiting: bool,
}

/// A stabilize round in progress: whom it waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "asks")]
pub enum Round {
    /// Its successor, for that node's predecessor and successor list.
    Successor { node: NodeId },
    /// Zave's fix: the successor's predecessor, a candidate successor, to see that it is
    /// alive (and get its list) before adopting it.
    Candidate { node: NodeId, via: NodeId },
}

/// Keys handed to another node and not yet acknowledged: the sender still holds them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Handoff {
    pub to: NodeId,
    pub keys: VecSet<u64>,
}

/// A node's pointers and keys, lost in a failure.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Mem {
    pub phase: Phase,
    /// The successor list, nearest first (at most r entries).
    pub succ: Vec<NodeId>,
    pub pred: Option<NodeId>,
    /// finger[i] (i from 0): successor(n + 2^i); finger[0] is the successor.
    pub fingers: Vec<Option<NodeId>>,
    /// The next finger fix_fingers refreshes (from 1; finger 0 follows the successor).
    pub next_finger: u32,
    /// Keys it is responsible for.
    pub keys: VecSet<u64>,
    /// Copies of its predecessors' keys (with `replicate`).
    pub replicas: VecSet<u64>,
    pub handoffs: Vec<Handoff>,
    pub round: Option<Round>,
    /// It pinged its predecessor and waits for the answer.
    pub pinging: bool,
    /// Joining: the node it joins through, and how many it tried.
    pub via: Option<NodeId>,
    pub tries: u32,
    pub lookups: VecMap<u32, Pending>,
    pub next_seq: u32,
}

/// What a node tells about itself when asked (stabilize, Zave's join and check).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Neighbours {
    pub pred: Option<NodeId>,
    pub succ: Arc<[NodeId]>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Msg {
    /// Route a lookup for `key` towards the node that precedes it.
    Find {
        id: LookupId,
        key: u64,
        purpose: Purpose,
        hops: u32,
        path: Arc<[NodeId]>,
    },
    /// The key's predecessor asks its successor to confirm that it holds the key's range.
    Confirm {
        id: LookupId,
        key: u64,
        purpose: Purpose,
        hops: u32,
        path: Arc<[NodeId]>,
    },
    /// The answer, to the origin: `owner` is successor(key).
    Found {
        id: LookupId,
        key: u64,
        owner: NodeId,
        hops: u32,
        path: Arc<[NodeId]>,
    },
    /// The lookup could not be decided (a pointer out of date, a node outside the ring).
    Undecided {
        id: LookupId,
        key: u64,
        why: Undecided,
    },
    /// Stabilize: what is your predecessor and successor list?
    GetNeighbours,
    Neighbours(Neighbours),
    /// "I think I might be your predecessor."
    Notify,
    /// check_predecessor.
    Ping,
    Pong,
    /// Keys handed over (to a joining node, or to the predecessor that owns them).
    Keys {
        keys: Arc<[u64]>,
    },
    KeysAck {
        keys: Arc<[u64]>,
    },
    /// Copies of the sender's keys, for its successor list.
    Replicas {
        keys: Arc<[u64]>,
    },
    /// A voluntary leave, to the successor: the leaver's keys and predecessor.
    Leaving {
        pred: Option<NodeId>,
        keys: Arc<[u64]>,
    },
    /// A voluntary leave, to the predecessor: the leaver's successor list.
    LeavingPred {
        succ: Arc<[NodeId]>,
    },
    /// `msg` was refused: its node has failed (its host answers for it) or is outside the
    /// ring. The sender drops it from its pointers.
    Refused {
        msg: Box<Msg>,
    },
}

/// Why a lookup could not be decided at a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum Undecided {
    /// The node does not know its predecessor (it lost it, or joined just now).
    NoPredecessor,
    /// The key lies before the node's predecessor: whoever sent the lookup here has a
    /// successor pointer out of date.
    BeforePredecessor { pred: NodeId },
    /// Forwarded [`MAX_HOPS`] times.
    TooManyHops,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Timer {
    Stabilize,
    FixFingers,
    /// A stabilize round waited too long for an answer.
    RoundTimeout,
    /// The predecessor did not answer the ping.
    PingTimeout,
    /// A lookup this node started got no answer in time (or waits to be tried again).
    Lookup {
        seq: u32,
    },
    /// The join did not complete in time.
    Join,
}

/// Commands a person or a script gives a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cmd {
    /// Look up a key (a name, hashed, or a position) from this node.
    Lookup { key: String },
    /// Join the ring through a node in it.
    Join { via: NodeId },
    /// Leave the ring, handing the keys over.
    Leave,
}

/// Why a node refused a command.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum Refused {
    /// A lookup from a node outside the ring.
    NotMember,
    BadKey,
    AlreadyIn,
    /// Joining through itself.
    ViaSelf,
    /// The only member cannot leave.
    LastMember,
}

/// The outcome of a lookup at its origin.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    Found {
        owner: NodeId,
    },
    /// Could not decide after [`MAX_ATTEMPTS`] tries.
    Failed,
}

/// Narration, as data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "note")]
pub enum Note {
    Refused {
        refused: Refused,
    },
    Fails {
        member: bool,
        keys: u32,
        replicas: u32,
    },
    Restarts {
        rejoin: bool,
    },
    /// A lookup starts here.
    Starts {
        seq: u32,
        key: u64,
        purpose: Purpose,
        attempt: u32,
    },
    /// Forwarded to the closest preceding node it knows.
    Forwards {
        seq: u32,
        origin: NodeId,
        key: u64,
        to: NodeId,
        finger: bool,
        hops: u32,
    },
    /// The key lies between this node and its successor: it asks the successor to
    /// confirm.
    Precedes {
        origin: NodeId,
        key: u64,
        succ: NodeId,
        hops: u32,
    },
    /// It holds the key's range: it answers the origin.
    Owns {
        id: LookupId,
        key: u64,
        pred: NodeId,
        hops: u32,
        purpose: Purpose,
    },
    CannotDecide {
        origin: NodeId,
        key: u64,
        why: Undecided,
    },
    /// The origin has its answer.
    Done {
        seq: u32,
        key: u64,
        purpose: Purpose,
        outcome: Outcome,
        hops: u32,
        path: Vec<NodeId>,
        attempts: u32,
        took: Time,
    },
    /// The origin tries again (after no answer, or an undecided one).
    Retries {
        seq: u32,
        key: u64,
        attempt: u32,
        silent: bool,
    },
    /// A stale answer: the lookup is over.
    Stale {
        seq: u32,
    },
    FingerSet {
        index: u32,
        node: NodeId,
        was: Option<NodeId>,
    },
    JoinStarts {
        via: NodeId,
        original: bool,
    },
    /// The join found the successor; Zave: it asks for that node's list first.
    JoinFound {
        succ: NodeId,
    },
    Joined {
        succ: Vec<NodeId>,
        original: bool,
    },
    JoinTimedOut {
        via: NodeId,
        next: NodeId,
    },
    /// Stabilize asks the successor.
    Stabilizes {
        succ: NodeId,
    },
    /// The successor's answer reconciles the successor list.
    Reconciles {
        from: NodeId,
        succ: Vec<NodeId>,
        pred: Option<NodeId>,
    },
    /// The successor's predecessor lies between: Zave checks that it is alive first.
    Checks {
        candidate: NodeId,
        via: NodeId,
    },
    /// It adopts a new first successor.
    Adopts {
        node: NodeId,
        was: NodeId,
        checked: bool,
    },
    /// Every successor failed: it is out of the ring and joins again.
    Stranded {
        via: Option<NodeId>,
    },
    Notifies {
        succ: NodeId,
    },
    /// A notify changes the predecessor.
    NewPredecessor {
        pred: NodeId,
        was: Option<NodeId>,
    },
    /// A notify that does not change it.
    KeepsPredecessor {
        from: NodeId,
        pred: NodeId,
    },
    PingsPredecessor {
        pred: NodeId,
    },
    /// The predecessor did not answer: cleared (check_predecessor).
    PredecessorFailed {
        pred: NodeId,
    },
    HandsKeys {
        to: NodeId,
        keys: Vec<u64>,
        again: bool,
    },
    StoresKeys {
        from: NodeId,
        keys: Vec<u64>,
    },
    KeysAcked {
        from: NodeId,
        count: u32,
    },
    /// Copies of its keys in its successors' care become its own.
    Promotes {
        keys: Vec<u64>,
    },
    Replicates {
        to: Vec<NodeId>,
        count: u32,
    },
    StoresReplicas {
        from: NodeId,
        count: u32,
    },
    Leaves {
        succ: NodeId,
        pred: Option<NodeId>,
        keys: u32,
    },
    /// The successor of a leaving node takes its keys and predecessor.
    TakesOver {
        from: NodeId,
        keys: u32,
        pred: Option<NodeId>,
    },
    /// The predecessor of a leaving node skips it.
    Skips {
        from: NodeId,
        succ: NodeId,
    },
    /// Outside the ring: it refuses ring traffic.
    Ignores {
        from: NodeId,
    },
    /// A message of its was refused: `node` failed or is outside the ring.
    Gone {
        node: NodeId,
        label: &'static str,
        succ: Option<NodeId>,
    },
    /// The asked node (successor or candidate) did not answer in time: silence is not
    /// failure, it is skipped for this round and kept.
    Silent {
        node: NodeId,
        next: Option<NodeId>,
        candidate: bool,
    },
    /// The predecessor did not answer the ping in time: it is kept.
    PredecessorSilent {
        pred: NodeId,
    },
}
