//! The locks page's types: parameters, node states, messages, timers, commands and notes.

use crate::collections::{VecMap, VecSet};
use crate::protocol::{Durable, NodeFault, NodeState};
use crate::sim::{NodeId, Time};
use serde::{Deserialize, Serialize};

/// Which lock the page runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// A lock server that grants in arrival order and queues the rest.
    #[default]
    Queue,
    /// Redis-style `SET NX PX`: a key with an expiry, retried with back-off.
    Lease,
    /// ZooKeeper's recipe: ephemeral sequential znodes, watch the predecessor.
    Zookeeper,
}

impl Variant {
    pub fn title(self) -> &'static str {
        match self {
            Variant::Queue => "lock server with wait queue",
            Variant::Lease => "Redis-style lease lock",
            Variant::Zookeeper => "ZooKeeper lock recipe",
        }
    }
}

/// Parameters of the locks page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub variant: Variant,
    /// Number of clients, 1 to 12.
    pub clients: u32,
    /// The storage rejects writes with a token lower than the highest it has accepted.
    pub fencing: bool,
    /// Queue variant: sessions with a lease, so a silent client loses its place.
    pub leases: bool,
    /// Lease variant: release deletes the key only if it still holds the client's token
    /// (compare-and-delete); off: a plain `DEL`.
    pub safe_release: bool,
    /// ZooKeeper variant: every waiter watches the whole lock node (the herd effect).
    pub herd: bool,
    /// Lease / session time to live (ms).
    pub ttl: Time,
    /// Time between the writes of a critical section (ms).
    pub work: Time,
    /// Writes per critical section.
    pub writes: u32,
    /// How long a client waits for a reply before asking again (ms).
    pub request_timeout: Time,
    /// Lease variant: base back-off before retrying a failed `SET NX` (ms).
    pub backoff: Time,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            variant: Variant::Queue,
            clients: 3,
            fencing: false,
            leases: true,
            safe_release: true,
            herd: false,
            ttl: 400,
            work: 60,
            writes: 2,
            request_timeout: 200,
            backoff: 60,
        }
    }
}

/// What a client is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Idle,
    /// Asked for the lock, waiting for the answer.
    Requesting,
    /// Queued (queue), backing off (lease) or waiting for a watch (zookeeper).
    Waiting,
    /// Believes it holds the lock.
    Holding,
    /// Sent its release, waiting for the acknowledgement.
    Releasing,
}

/// How a holding (a client's belief that it holds the lock) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    Released,
    /// The client crashed while it believed it held the lock. Never written down: the
    /// belief was in memory, and a crash writes nothing (see [`Client::beliefs`]).
    Crashed,
    /// The storage rejected its write: its token is stale.
    Fenced,
    /// The lock service told it that its session had expired.
    Expired,
}

/// One interval during which a client believed it held the lock (kept for the timeline).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Belief {
    pub token: u64,
    pub from: Time,
    /// `None` while it lasts, and after a crash (the crash step has the time).
    pub to: Option<Time>,
    /// How it ended, as the client wrote it down: `None` while it lasts, and also after a
    /// crash cut it short ([`Client::beliefs`] says `Crashed` for those).
    pub ended: Option<Ended>,
}

/// What a client keeps on disk: what survives its crash.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClientDisk {
    /// Acquire attempts so far (request ids; they only grow, across a crash too: the lock
    /// service takes a request id older than one it has seen for a stale one, and an
    /// equal one for a resent copy).
    pub attempt: u32,
    // What happened, for the page.
    pub beliefs: Vec<Belief>,
    /// Watch notifications received.
    pub notifications: u32,
    pub accepted: u32,
    pub rejected: u32,
}

/// What a client holds in memory: its progress in the current acquisition. A crash loses
/// it, and the client restarts idle: it forgets it held the lock.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClientMem {
    pub phase: Phase,
    /// Token of the current holding.
    pub token: Option<u64>,
    /// Writes done in the current holding.
    pub written: u32,
    /// Lease variant: `SET NX` failures in a row in the current acquisition (the back-off
    /// exponent); back to 0 when the client takes the lock or asks anew.
    pub failures: u32,
    /// Zookeeper: this client's znode and the one it watches.
    pub znode: Option<u64>,
    pub watching: Option<u64>,
    /// The request waiting for a reply, resent on timeout.
    #[serde(skip)]
    pub pending: Option<Msg>,
    /// A write sent to the storage and not yet answered.
    #[serde(skip)]
    pub writing: bool,
    /// Told to release while a write was on its way: it releases once that write is
    /// answered (a critical section is not over while one of its writes may still land).
    #[serde(skip)]
    pub release_after_write: bool,
}

/// A client's state.
pub type Client = NodeState<ClientDisk, ClientMem>;

impl Client {
    /// The client's beliefs, oldest first, each with how it ended. Every way a holding
    /// ends but one is written down as it happens (release, fencing, expiry); a crash
    /// writes nothing, it only loses the memory that held the lock. So a belief with no
    /// end is still held if it is the last and the client's memory still holds it, and
    /// was otherwise ended by a crash.
    pub fn beliefs(&self) -> impl Iterator<Item = Belief> + '_ {
        let last = self.disk.beliefs.len().checked_sub(1);
        let held = self.mem.phase == Phase::Holding;
        self.disk
            .beliefs
            .iter()
            .enumerate()
            .map(move |(i, b)| Belief {
                ended: b
                    .ended
                    .or_else(|| (Some(i) != last || !held).then_some(Ended::Crashed)),
                ..*b
            })
    }
}

/// The lock service's current grant (queue variant) or key (lease variant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub client: NodeId,
    pub token: u64,
    pub since: Time,
    /// Lease variant: when the key expires; sessions: when the holder's session expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Time>,
    /// Lease variant: the `SET` attempt that wrote the key (to answer a resent `SET`).
    #[serde(skip)]
    pub attempt: u32,
}

/// An ephemeral sequential znode `/lock/n-<seq>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Znode {
    pub seq: u64,
    pub owner: NodeId,
    /// The owner's request that created it (to answer a resent create with it, and to
    /// recognise a create from a newer request).
    #[serde(skip)]
    pub attempt: u32,
}

/// A one-shot watch: on a znode's deletion, or (`on: None`) on the children of `/lock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Watch {
    pub watcher: NodeId,
    pub on: Option<u64>,
}

/// The lock service's tables, all on disk: a crash keeps them (it only loses the
/// session and expiry timers, which the kernel drops).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LockDisk {
    /// The last token handed out (zookeeper: the last sequence number).
    pub last_token: u64,
    /// Queue: the holder. Lease: the key.
    pub holder: Option<Grant>,
    /// Queue: the waiting clients, first come first.
    pub queue: Vec<NodeId>,
    /// Queue: the request number of each queued client.
    #[serde(skip)]
    pub requests: VecMap<NodeId, u32>,
    /// Queue and zookeeper: the newest request number heard from each client; an older
    /// one arriving late (the network reorders) is stale.
    #[serde(skip)]
    pub last_req: VecMap<NodeId, u32>,
    /// Sessions (queue with leases, zookeeper): client -> expiry time.
    pub sessions: VecMap<NodeId, Time>,
    /// Zookeeper: the children of `/lock`, by sequence number.
    pub znodes: Vec<Znode>,
    pub watches: Vec<Watch>,
    pub grants: u64,
    /// Watch notifications sent.
    pub notifications: u64,
}

/// One write that reached the storage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WriteEntry {
    pub at: Time,
    pub client: NodeId,
    pub token: u64,
    /// Which write of the holding (1, 2, ...).
    pub n: u32,
    pub accepted: bool,
}

/// The storage's data, all on disk: a crash keeps it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StorageDisk {
    /// Highest token of an accepted write.
    pub max_token: u64,
    pub log: Vec<WriteEntry>,
    /// Writes applied, to answer a resent copy without applying it twice.
    #[serde(skip)]
    pub applied: VecSet<(NodeId, u64, u32)>,
}

/// The lock service's state: nothing in memory.
pub type LockService = NodeState<LockDisk, ()>;

/// The storage's state: nothing in memory.
pub type Storage = NodeState<StorageDisk, ()>;

/// A node: a client, the lock service or the storage, each a [`NodeState`]: a crash keeps
/// its `disk` and resets its `mem`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "role")]
pub enum Node {
    Client(Client),
    Lock(LockService),
    Storage(Storage),
}

impl Node {
    pub fn client(&self) -> Option<&Client> {
        match self {
            Node::Client(c) => Some(c),
            _ => None,
        }
    }
    pub fn lock(&self) -> Option<&LockService> {
        match self {
            Node::Lock(l) => Some(l),
            _ => None,
        }
    }
    pub fn storage(&self) -> Option<&Storage> {
        match self {
            Node::Storage(s) => Some(s),
            _ => None,
        }
    }
}

impl Durable for Node {
    fn crash(&mut self) {
        match self {
            Node::Client(c) => c.crash(),
            Node::Lock(l) => l.crash(),
            Node::Storage(s) => s.crash(),
        }
    }
}

/// Watch event kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The watched znode was deleted.
    NodeDeleted,
    /// The children of `/lock` changed.
    ChildrenChanged,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Msg {
    // Queue variant. `req` numbers a client's requests, so that a late grant for a
    // request it has since given up is recognised as stale.
    Acquire {
        req: u32,
    },
    Granted {
        token: u64,
        req: u32,
    },
    Queued {
        position: u32,
    },
    /// Release a grant (`token`), or (`token` 0) give up request `req`.
    Release {
        token: u64,
        req: u32,
    },
    Released {
        token: u64,
    },
    KeepAlive,
    /// Answer to a keep-alive from a client whose session is gone.
    SessionExpired,
    // Lease variant.
    SetNx {
        attempt: u32,
    },
    SetReply {
        attempt: u32,
        /// `Some(token)`: OK; `None`: the key exists.
        token: Option<u64>,
    },
    Del {
        token: u64,
        compare: bool,
    },
    DelReply {
        token: u64,
        deleted: bool,
    },
    // Zookeeper variant. `attempt` numbers a client's requests, as `req` does in the
    // queue variant: a create for a newer request is not a resent one.
    Create {
        attempt: u32,
    },
    Created {
        seq: u64,
        attempt: u32,
        children: Vec<u64>,
    },
    Exists {
        seq: u64,
    },
    Stat {
        seq: u64,
        exists: bool,
    },
    GetChildren {
        watch: bool,
    },
    Children {
        children: Vec<u64>,
    },
    Notify {
        event: Event,
        seq: u64,
    },
    Delete {
        seq: u64,
    },
    Deleted {
        seq: u64,
    },
    // Storage.
    Write {
        token: u64,
        n: u32,
    },
    WriteReply {
        token: u64,
        n: u32,
        accepted: bool,
        max_token: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Timer {
    /// Client: the next write of the critical section.
    Work,
    /// Client: no reply to the pending request yet.
    Retry,
    /// Client: retry `SET NX` after back-off.
    Backoff,
    /// Client: keep the session alive (and, queued, remind the server).
    KeepAlive,
    /// Client: no reply to a write yet.
    WriteRetry,
    /// Lock service: a session expires.
    Session { client: NodeId },
    /// Lock service: the key expires.
    KeyExpiry,
}

/// Commands a person or a script gives a client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cmd {
    /// Take the lock, write, release.
    Acquire,
    /// Release the lock now (or give up waiting).
    Release,
}

/// Narration, as data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "note")]
pub enum Note {
    // Clients.
    /// A client that believes it holds the lock (token) crashes, pauses or resumes.
    HolderFault {
        fault: NodeFault,
        token: u64,
    },
    AsksForLock,
    AlreadyBusy {
        phase: Phase,
    },
    NotHolding,
    NotAClient,
    Resends,
    ResendsWrite {
        n: u32,
    },
    GotLock {
        token: u64,
    },
    IsQueued {
        position: u32,
    },
    RepeatedGrant {
        token: u64,
    },
    StaleGrant {
        token: u64,
    },
    RemindsServer,
    SendsKeepAlive,
    SetFailed {
        backoff: Time,
    },
    SetTimedOut {
        backoff: Time,
    },
    RetriesSet,
    CreatedZnode {
        seq: u64,
    },
    IsLowest {
        seq: u64,
    },
    WatchesPredecessor {
        seq: u64,
        pred: u64,
    },
    WatchesChildren {
        seq: u64,
        lower: u32,
    },
    /// Herd: its znode is not the lowest; it lists the children again with a watch on
    /// `/lock`.
    ListsWithWatch {
        seq: u64,
    },
    /// Its znode is no longer among the children (its session expired): it creates a new
    /// one.
    ZnodeGone {
        seq: u64,
    },
    PredecessorGone {
        pred: u64,
    },
    WaitsForWatch {
        pred: u64,
    },
    Notified {
        event: Event,
        seq: u64,
    },
    StaleReply,
    Writes {
        token: u64,
        n: u32,
    },
    WriteAccepted {
        token: u64,
        n: u32,
    },
    WriteFenced {
        token: u64,
        max_token: u64,
    },
    Releases {
        token: u64,
    },
    /// Told to release with write `n` still on its way: it waits for the answer first.
    ReleasesAfterWrite {
        n: u32,
    },
    GivesUp,
    ReleaseDone {
        token: u64,
        deleted: bool,
    },
    ClientRestarts {
        held: bool,
    },
    // Lock service.
    Grants {
        client: NodeId,
        token: u64,
    },
    Enqueues {
        client: NodeId,
        position: u32,
    },
    RepeatsGrant {
        client: NodeId,
        token: u64,
    },
    VoidsGrant {
        client: NodeId,
        token: u64,
    },
    StaleRequest {
        client: NodeId,
        req: u32,
    },
    StillQueued {
        client: NodeId,
        position: u32,
    },
    FreesLock {
        client: NodeId,
        token: u64,
    },
    ReleaseIgnored {
        client: NodeId,
        token: u64,
    },
    LeavesQueue {
        client: NodeId,
    },
    Renews {
        client: NodeId,
    },
    IgnoresKeepAlive {
        client: NodeId,
    },
    LearnsExpired {
        phase: Phase,
    },
    SessionExpires {
        client: NodeId,
        held: Option<u64>,
        znodes: Vec<u64>,
    },
    SetsKey {
        client: NodeId,
        token: u64,
    },
    RepeatsSet {
        client: NodeId,
        token: u64,
    },
    KeyTaken {
        client: NodeId,
        holder: NodeId,
    },
    KeyExpires {
        client: NodeId,
        token: u64,
    },
    DeletesKey {
        client: NodeId,
        token: u64,
    },
    DeletesOthersKey {
        client: NodeId,
        owner: NodeId,
        token: u64,
    },
    KeepsKey {
        client: NodeId,
        owner: Option<NodeId>,
    },
    CreatesZnode {
        client: NodeId,
        seq: u64,
    },
    ReturnsZnode {
        client: NodeId,
        seq: u64,
    },
    /// A create for a newer request from a client that still owns a znode of an older one
    /// (it gave that request up, or forgot it in a crash): the old znode is deleted first.
    ReplacesZnode {
        client: NodeId,
        old: u64,
    },
    SetsWatch {
        client: NodeId,
        on: Option<u64>,
        exists: bool,
    },
    ListsChildren {
        client: NodeId,
        count: u32,
    },
    DeletesZnode {
        client: NodeId,
        seq: u64,
    },
    Notifies {
        event: Event,
        seq: u64,
        to: Vec<NodeId>,
    },
    LockRestarts {
        sessions: u32,
        /// The holder (queue) or the key's owner (lease) it still has.
        holder: Option<NodeId>,
        /// Clients still in the wait queue.
        queued: u32,
    },
    /// Lease variant: the key's expiry passed while the lock service was down; it is freed
    /// as the service comes back.
    KeyExpiredWhileDown {
        client: NodeId,
        token: u64,
        expired_at: Time,
    },
    // Storage.
    Accepts {
        client: NodeId,
        token: u64,
        n: u32,
    },
    Rejects {
        client: NodeId,
        token: u64,
        max_token: u64,
    },
    AlreadyApplied {
        client: NodeId,
        token: u64,
        n: u32,
    },
    WrongNode,
    /// A timer fired that no longer has anything to do.
    TimerNotNeeded,
    StorageRestarts {
        max_token: u64,
    },
}
