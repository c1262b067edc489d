//! The key-value store's data: parameters, the partition table, servers, the configuration
//! node and clients, messages, timers, commands and narration notes.

use crate::collections::VecMap;
use crate::history::{OpKind, Outcome, Value};
use crate::protocol::{Durable, NodeState};
use crate::sim::{NodeId, Time};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The most servers (members at the start plus spares).
pub const MAX_SERVERS: u32 = 9;
pub const MAX_CLIENTS: u32 = 4;
pub const MAX_KEYS: u32 = 64;
pub const MAX_PARTITIONS: u32 = 16;
/// Operations a client keeps queued behind the one it waits for.
pub const MAX_QUEUE: usize = 32;
/// Tries of one operation (redirects and refusals) before the client gives up on it.
pub const MAX_TRIES: u32 = 6;
/// A leaderless version is `counter * VERSION_CLIENTS + client`: unique per write.
pub const VERSION_CLIENTS: u64 = 16;

/// How keys are split into partitions (DDIA ch. 6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Partitioning {
    /// `hash(key) mod partitions`: a fixed number of partitions, assigned to nodes.
    #[default]
    Hash,
    /// By key range, cut at the split points: neighbouring keys share a partition.
    Range,
}

/// How each partition is replicated (DDIA ch. 5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replication {
    /// The leader acknowledges a write once every follower has it.
    #[default]
    Sync,
    /// Once one follower has it (the others follow asynchronously).
    SemiSync,
    /// UNSAFE across a failover: once the leader has it; a new leader may lack it.
    Async,
    /// No leader: the client writes to all N replicas and waits for W, reads from R.
    Leaderless,
}

impl Replication {
    pub fn leaderless(self) -> bool {
        self == Replication::Leaderless
    }
}

/// Parameters of the key-value store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Servers in the cluster at the start, `n1..`, 1 to 9 with `spare`.
    pub servers: u32,
    /// Servers outside the cluster at the start (after the others), which join with
    /// the `join` command, 0 to 8.
    pub spare: u32,
    /// Clients `c1..`, 1 to 4.
    pub clients: u32,
    pub partitioning: Partitioning,
    /// Partitions, 1 to 16: fixed, moved whole between nodes when one joins or leaves.
    pub partitions: u32,
    /// Keys `k0..k(keys-1)`, 1 to 64.
    pub keys: u32,
    /// Range partitioning: the first key of each partition but the first, increasing
    /// (`partitions - 1` of them); empty: ranges of equal size.
    pub splits: Vec<u32>,
    pub replication: Replication,
    /// Replicas of each partition (N), 1 to 5, at most `servers`.
    pub replicas: u32,
    /// Leaderless: acknowledgements a write waits for, 1 to N.
    pub w: u32,
    /// Leaderless: answers a read waits for, 1 to N.
    pub r: u32,
    /// Leaderless: a read writes the newest version back to replicas that answered an
    /// older one.
    pub read_repair: bool,
    /// Leaderless: a sloppy quorum; when home replicas are silent, the client writes to
    /// other servers, which keep the write as a hint and hand it over later.
    pub sloppy: bool,
    /// Per client (`c1` first): `leader` (or empty) reads from the partition's leader;
    /// a server's name (`n2`) reads from that server when it holds the partition.
    pub pin: Vec<String>,
    /// A leader sends appends and its heartbeat this often (ms).
    pub heartbeat_every: Time,
    /// The configuration node fails a partition over after this long without a
    /// heartbeat from its leader (ms); 0: never.
    pub failover_timeout: Time,
    /// A client gives up waiting for an answer after this long (ms).
    pub request_timeout: Time,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            servers: 3,
            spare: 1,
            clients: 2,
            partitioning: Partitioning::Hash,
            partitions: 4,
            keys: 16,
            splits: Vec::new(),
            replication: Replication::Sync,
            replicas: 3,
            w: 2,
            r: 2,
            read_repair: true,
            sloppy: false,
            pin: Vec::new(),
            heartbeat_every: 50,
            failover_timeout: 300,
            request_timeout: 400,
        }
    }
}

/// One partition's configuration: which servers hold it and who leads, in an epoch.
/// Every change (a failover, a move) makes a new epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PartCfg {
    pub epoch: u64,
    pub replicas: Vec<NodeId>,
    /// The leader (leader-follower replication); `None` when leaderless.
    pub leader: Option<NodeId>,
}

/// One entry of a partition's replication log: a write, or the no-op a new leader
/// appends in its epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub epoch: u64,
    /// `None`: a new leader's no-op.
    pub key: Option<u32>,
    pub value: Value,
}

/// A leaderless value with its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Versioned {
    pub value: Value,
    pub version: u64,
}

/// What a server does with a partition it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Holding {
    /// It serves the partition.
    #[default]
    Active,
    /// It is handing the partition to another server and serves nothing of it.
    Handing,
    /// It received the partition and waits for the configuration that names it.
    Incoming,
}

/// A server's copy of a partition (on disk).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Replica {
    pub holding: Holding,
    /// The configuration it follows; a fence raises the epoch and clears the leader.
    pub epoch: u64,
    pub leader: Option<NodeId>,
    pub replicas: Vec<NodeId>,
    /// Leader-follower: the log, and how much of it is known committed.
    pub log: Vec<Entry>,
    pub commit: u64,
    /// A follower accepted an append from the leader of `epoch`: its log is then a
    /// prefix of the leader's.
    pub synced: bool,
    /// Leaderless: the data, key -> newest version.
    pub data: VecMap<u32, Versioned>,
}

impl Replica {
    /// The newest value of `key` among the first `upto` entries of the log.
    pub fn value_at(&self, key: u32, upto: u64) -> Option<(Value, u64)> {
        let upto = (upto as usize).min(self.log.len());
        self.log[..upto]
            .iter()
            .enumerate()
            .rev()
            .find(|(_, e)| e.key == Some(key))
            .map(|(i, e)| (e.value, stamp(e.epoch, i as u64 + 1)))
    }

    pub fn last_epoch(&self) -> u64 {
        self.log.last().map_or(0, |e| e.epoch)
    }

    pub fn len(&self) -> u64 {
        self.log.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }
}

/// The order of a leader-follower write: its epoch, then its place in the log.
pub fn stamp(epoch: u64, index: u64) -> u64 {
    (epoch << 32) | index
}

/// A write kept for another server (sloppy quorum), handed over when it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Hint {
    pub for_node: NodeId,
    pub key: u32,
    pub v: Versioned,
}

/// A server's disk: its membership, the partitions it holds and its hints.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServerDisk {
    pub member: bool,
    pub parts: VecMap<u32, Replica>,
    pub hints: Vec<Hint>,
}

/// A client write a leader waits to acknowledge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Waiting {
    pub client: NodeId,
    pub op: u64,
    pub key: u32,
    pub value: Value,
    pub index: u64,
}

/// A leader's view of one partition's followers (in memory).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Lead {
    /// Follower -> (next entry to send, from 1; entries it has).
    pub followers: VecMap<NodeId, (u64, u64)>,
    pub waiting: Vec<Waiting>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ServerMem {
    pub leads: VecMap<u32, Lead>,
    /// It asked to join (or leave) and waits for the configuration node.
    pub asking: Option<bool>,
}

pub type Server = NodeState<ServerDisk, ServerMem>;

/// A move of one partition's replica from one server to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Move {
    pub id: u32,
    pub part: u32,
    pub from: NodeId,
    pub to: NodeId,
    /// The epoch of the partition's configuration when the move started.
    pub epoch: u64,
    pub sent: Time,
}

/// A failover in progress: the followers fenced with `epoch` and their answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fencing {
    pub epoch: u64,
    pub started: Time,
    /// (follower, last epoch of its log, its length).
    pub answers: Vec<(NodeId, u64, u64)>,
}

/// The configuration node's disk: the partition table (the authority, as ZooKeeper
/// in DDIA figure 6-8), the members and the moves under way.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ConfigDisk {
    pub table: Vec<PartCfg>,
    pub members: Vec<NodeId>,
    pub moves: Vec<Move>,
    pub next_move: u32,
    /// Servers that asked to leave and still hold partitions.
    pub leaving: Vec<NodeId>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ConfigMem {
    /// Per partition: when its leader was last heard.
    pub heard: Vec<Time>,
    pub fencing: VecMap<u32, Fencing>,
}

pub type ConfigNode = NodeState<ConfigDisk, ConfigMem>;

/// A client's operation, queued or open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ClientOp {
    pub kind: OpKind,
    pub key: u32,
}

/// The operation a client waits for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Open {
    pub op: u64,
    pub kind: OpKind,
    pub key: u32,
    /// The value written.
    pub value: Option<Value>,
    /// Leaderless: the write's version.
    pub version: u64,
    pub invoked: Time,
    pub tries: u32,
    /// Attempts (write requests) that no server has refused: while one is, the write
    /// may have taken effect.
    pub outstanding: u32,
    /// Leaderless: who acknowledged the write / answered the read (and what).
    pub acks: Vec<NodeId>,
    pub answers: Vec<(NodeId, Option<Versioned>)>,
    /// Leaderless: the home replicas it asked, and the substitutes (for whom).
    pub asked: Vec<NodeId>,
    pub substitutes: Vec<(NodeId, NodeId)>,
}

/// A client's disk: values it wrote so far (values are unique in a run) and its
/// partition table, which it refreshes from redirects and the configuration node.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClientDisk {
    pub written: u64,
    /// Leaderless: the highest version counter it has seen.
    pub counter: u64,
    pub table: Vec<PartCfg>,
    pub next_op: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClientMem {
    pub open: Option<Open>,
    pub queue: Vec<ClientOp>,
}

pub type Client = NodeState<ClientDisk, ClientMem>;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[allow(clippy::large_enum_variant)]
pub enum Node {
    Server(Server),
    Config(ConfigNode),
    Client(Client),
}

impl Node {
    pub fn server(&self) -> Option<&Server> {
        match self {
            Node::Server(s) => Some(s),
            _ => None,
        }
    }

    pub fn client(&self) -> Option<&Client> {
        match self {
            Node::Client(c) => Some(c),
            _ => None,
        }
    }

    pub fn config(&self) -> Option<&ConfigNode> {
        match self {
            Node::Config(c) => Some(c),
            _ => None,
        }
    }
}

impl Durable for Node {
    fn crash(&mut self) {
        match self {
            Node::Server(s) => s.crash(),
            Node::Config(c) => c.crash(),
            Node::Client(c) => c.crash(),
        }
    }
}

/// Why a server refused a client's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum Refusal {
    /// It does not hold the partition.
    NotReplica,
    /// It holds it but does not lead it.
    NotLeader,
    /// It is handing the partition over, or waits for the configuration naming it.
    Moving,
    /// A new leader whose no-op is not yet committed serves no reads.
    NotReady,
}

/// A client request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Req {
    Write { key: u32, value: Value },
    Read { key: u32 },
}

impl Req {
    pub fn key(&self) -> u32 {
        match self {
            Req::Write { key, .. } | Req::Read { key } => *key,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Msg {
    /// Leader-follower: a client's request to a server.
    Request {
        op: u64,
        req: Req,
    },
    /// The answer: a write acknowledged, or what a read found (value, stamp).
    Reply {
        op: u64,
        found: Option<(Value, u64)>,
    },
    /// A refusal, with the server's configuration of the partition.
    Refused {
        op: u64,
        part: u32,
        why: Refusal,
        cfg: PartCfg,
    },
    /// Leaderless: store a version (for another server when `hint_for`).
    Put {
        op: u64,
        key: u32,
        v: Versioned,
        hint_for: Option<NodeId>,
    },
    PutAck {
        op: u64,
        key: u32,
    },
    Get {
        op: u64,
        key: u32,
    },
    GetReply {
        op: u64,
        key: u32,
        found: Option<Versioned>,
    },
    /// A hint handed to the server it was meant for.
    Hand {
        key: u32,
        v: Versioned,
    },
    HandAck {
        key: u32,
        version: u64,
    },
    /// Replication: entries after `prev` (whose entry has `prev_epoch`), and the commit.
    Append {
        part: u32,
        epoch: u64,
        prev: u64,
        prev_epoch: u64,
        entries: Arc<[Entry]>,
        commit: u64,
    },
    AppendReply {
        part: u32,
        epoch: u64,
        ok: bool,
        len: u64,
    },
    /// A leader to the configuration node: the partitions it leads, with their epochs.
    Heartbeat {
        led: Vec<(u32, u64)>,
    },
    /// Failover: adopt `epoch` (refuse appends of older epochs) and tell your log.
    Fence {
        part: u32,
        epoch: u64,
    },
    Fenced {
        part: u32,
        epoch: u64,
        last_epoch: u64,
        len: u64,
    },
    /// A partition's new configuration.
    Config {
        part: u32,
        cfg: PartCfg,
    },
    /// A server asks for the whole table (after a restart).
    GetTable,
    Join,
    Leave,
    /// The configuration node asks a server to hand a partition to another.
    Handoff {
        mv: u32,
        part: u32,
        to: NodeId,
        epoch: u64,
    },
    /// A partition, whole, from the server handing it over.
    Transfer {
        mv: u32,
        part: u32,
        epoch: u64,
        log: Arc<[Entry]>,
        commit: u64,
        data: Arc<[(u32, Versioned)]>,
    },
    Received {
        mv: u32,
        part: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Timer {
    /// A server's period: appends and heartbeats as leader, hints to hand over.
    Tick,
    /// The configuration node's period: silent leaders, moves to resend.
    Check,
    /// A client's operation waited too long.
    Timeout { op: u64 },
    /// A client tries a refused operation again.
    Retry { op: u64 },
    /// Leaderless with a sloppy quorum: silent home replicas, ask substitutes.
    Sloppy { op: u64 },
    /// A server asks again to join or leave.
    Ask,
    /// A server offers its hints to the servers they are for.
    Hints,
}

/// Commands a person or a script gives a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cmd {
    /// A client writes a new value to a key.
    Write { key: u32 },
    /// A client reads a key.
    Read { key: u32 },
    /// A client writes keys `from`, `from + 1`, ... (`count` of them) one after the
    /// other, as an append-only stream keyed by time does.
    Sequence { from: u32, count: u32 },
    /// A spare server joins the cluster: partitions move to it.
    Join,
    /// A server leaves the cluster: its partitions move away.
    Leave,
}

/// Why a command was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum CmdRefused {
    NotClient,
    NotServer,
    NoSuchKey {
        key: u32,
    },
    QueueFull,
    AlreadyMember,
    NotMember,
    /// Leaving would leave fewer servers than replicas.
    TooFew,
}

/// How a client operation ended, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    Answered,
    Quorum,
    TimedOut,
    Refused,
}

/// Narration, as data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "note")]
pub enum Note {
    Refused {
        refused: CmdRefused,
    },
    Queued {
        kind: OpKind,
        key: u32,
        behind: u32,
    },
    /// A client invokes an operation (leaderless: at these replicas).
    Invokes {
        op: u64,
        kind: OpKind,
        key: u32,
        part: u32,
        value: Option<Value>,
        version: u64,
        to: Vec<NodeId>,
    },
    /// The operation ends (for the history).
    Completes {
        op: u64,
        kind: OpKind,
        key: u32,
        value: Option<Value>,
        stamp: Option<u64>,
        outcome: Outcome,
        ending: Ending,
        took: Time,
    },
    /// A client tries again elsewhere after a refusal.
    Redirected {
        op: u64,
        from: NodeId,
        why: Refusal,
        to: Option<NodeId>,
        epoch: u64,
    },
    /// Leaderless: a replica acknowledges a write: `count` of W.
    Acked {
        op: u64,
        from: NodeId,
        key: u32,
        v: Versioned,
        count: u32,
        need: u32,
    },
    /// Leaderless: a replica answers a read: `count` of R.
    Answered {
        op: u64,
        from: NodeId,
        key: u32,
        found: Option<Versioned>,
        count: u32,
        need: u32,
    },
    ReadRepair {
        key: u32,
        v: Versioned,
        to: Vec<NodeId>,
    },
    /// Sloppy quorum: writes to substitutes for silent home replicas.
    Substitutes {
        op: u64,
        pairs: Vec<(NodeId, NodeId)>,
    },
    /// A client adopts a newer configuration of a partition.
    Learns {
        part: u32,
        epoch: u64,
        leader: Option<NodeId>,
    },
    /// A leader appends a client's write.
    Appends {
        part: u32,
        client: NodeId,
        key: u32,
        value: Value,
        epoch: u64,
        index: u64,
    },
    /// A follower takes entries from its leader.
    Follows {
        part: u32,
        from: NodeId,
        epoch: u64,
        first: u64,
        count: u32,
        truncated: u32,
        commit: u64,
    },
    /// A follower refuses an append: an older epoch, or a gap in its log.
    RefusesAppend {
        part: u32,
        from: NodeId,
        epoch: u64,
        mine: u64,
        len: u64,
    },
    /// The commit index advances: `by` have the entries (the mode's rule).
    Commits {
        part: u32,
        commit: u64,
        by: Vec<NodeId>,
    },
    /// A leader acknowledges a client's write.
    AcksWrite {
        part: u32,
        /// The epoch it leads in.
        epoch: u64,
        client: NodeId,
        key: u32,
        value: Value,
        index: u64,
    },
    /// A server answers a read from its committed entries (or its data).
    Serves {
        part: u32,
        client: NodeId,
        key: u32,
        found: Option<(Value, u64)>,
        commit: u64,
    },
    RefusesRequest {
        part: u32,
        client: NodeId,
        why: Refusal,
    },
    /// Leaderless: a server stores a version (or keeps the newer one it has).
    Stores {
        key: u32,
        v: Versioned,
        had: Option<u64>,
        kept: bool,
        hint_for: Option<NodeId>,
    },
    HandsHints {
        to: NodeId,
        count: u32,
    },
    HintDelivered {
        to: NodeId,
        key: u32,
        version: u64,
    },
    /// A follower is fenced: it adopts the failover's epoch.
    IsFenced {
        part: u32,
        epoch: u64,
        len: u64,
    },
    /// A leader learns of a newer epoch and steps down.
    StepsDown {
        part: u32,
        epoch: u64,
        leader: Option<NodeId>,
    },
    /// A server becomes leader of a partition in an epoch (and appends its no-op).
    Leads {
        part: u32,
        epoch: u64,
        len: u64,
    },
    /// A server adopts a partition's configuration.
    Adopts {
        part: u32,
        epoch: u64,
        leader: Option<NodeId>,
    },
    HandsOver {
        part: u32,
        to: NodeId,
        entries: u32,
        keys: u32,
    },
    Receives {
        part: u32,
        from: NodeId,
        entries: u32,
        keys: u32,
    },
    Activates {
        part: u32,
        epoch: u64,
    },
    Drops {
        part: u32,
        epoch: u64,
    },
    AsksToJoin {
        leave: bool,
    },
    /// The configuration node: a leader was silent too long; it fences the followers.
    Fences {
        part: u32,
        leader: Option<NodeId>,
        epoch: u64,
        silent: Time,
        followers: Vec<NodeId>,
    },
    /// Enough followers answered: the most up-to-date one leads the new epoch.
    Elects {
        part: u32,
        epoch: u64,
        leader: NodeId,
        last_epoch: u64,
        len: u64,
        answers: u32,
        need: u32,
    },
    /// Not enough answers in time: the failover starts again later.
    FailoverStalls {
        part: u32,
        epoch: u64,
        answers: u32,
        need: u32,
    },
    /// A join or leave: the partitions it moves, and what `hash mod N` would move.
    Rebalances {
        node: NodeId,
        leave: bool,
        moves: Vec<(u32, NodeId, NodeId)>,
        /// Key copies the moves carry (each key of a moved partition, once per move).
        fixed: u32,
        /// Key copies `hash(key) mod N` placement would move for the same change.
        mod_n: u32,
        keys: u32,
    },
    MoveDone {
        part: u32,
        from: NodeId,
        to: NodeId,
        epoch: u64,
    },
    MoveAborted {
        part: u32,
        from: NodeId,
        to: NodeId,
    },
    Restarts,
}
