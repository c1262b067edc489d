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
//!   Sessions as in the queue variant; an expired session's znodes are deleted.
//!
//! Every grant carries a token that only grows (the queue and lease servers count grants;
//! ZooKeeper's sequence number plays that role). With `fencing` on, the storage rejects a
//! write whose token is lower than the highest it has accepted.
//!
//! The lock service's tables and token counter and the storage are persistent (on disk);
//! a client's progress is volatile: a crashed client forgets it held the lock.

use crate::invariant::{Checker, Property, Violation};
use crate::protocol::{Ctx, NodeFault, ParamError, Protocol};
use crate::sim::{NodeId, NodeStatus, Sim, Time};
use crate::trace::{StepKind, StepOutcome};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const NAME: &str = "locks";

/// Most clients.
pub const MAX_CLIENTS: u32 = 12;

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
    Crashed,
    /// The storage rejected its write: its token is stale.
    Fenced,
    /// The lock service told it that its session had expired.
    Expired,
}

/// One interval during which a client believed it held the lock (kept for the timeline).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Belief {
    pub token: u64,
    pub from: Time,
    /// `None` while it lasts, and after a crash (the crash step has the time).
    pub to: Option<Time>,
    pub ended: Option<Ended>,
}

/// A client's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Client {
    // Volatile.
    pub phase: Phase,
    /// Token of the current holding.
    pub token: Option<u64>,
    /// Writes done in the current holding.
    pub written: u32,
    /// Acquire attempts so far (request ids; they only grow).
    pub attempt: u32,
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
    // Persistent (what happened, for the page).
    pub beliefs: Vec<Belief>,
    /// Watch notifications received.
    pub notifications: u32,
    pub accepted: u32,
    pub rejected: u32,
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
}

/// A one-shot watch: on a znode's deletion, or (`on: None`) on the children of `/lock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Watch {
    pub watcher: NodeId,
    pub on: Option<u64>,
}

/// The lock service's state (persistent).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LockService {
    /// The last token handed out (zookeeper: the last sequence number).
    pub last_token: u64,
    /// Queue: the holder. Lease: the key.
    pub holder: Option<Grant>,
    /// Queue: the waiting clients, first come first.
    pub queue: Vec<NodeId>,
    /// Queue: the request number of each queued client.
    #[serde(skip)]
    pub requests: BTreeMap<NodeId, u32>,
    /// Queue: the newest request number heard from each client; an older one arriving
    /// late (the network reorders) is stale.
    #[serde(skip)]
    pub last_req: BTreeMap<NodeId, u32>,
    /// Sessions (queue with leases, zookeeper): client -> expiry time.
    pub sessions: BTreeMap<NodeId, Time>,
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

/// The storage node's state (persistent).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Storage {
    /// Highest token of an accepted write.
    pub max_token: u64,
    pub log: Vec<WriteEntry>,
    /// Writes applied, to answer a resent copy without applying it twice.
    #[serde(skip)]
    pub applied: BTreeSet<(NodeId, u64, u32)>,
}

/// A node: a client, the lock service or the storage.
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
    // Zookeeper variant.
    Create,
    Created {
        seq: u64,
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

    fn keepalive(&self) -> Time {
        (self.params.ttl / 3).max(1)
    }

    fn fixed(t: Time) -> std::ops::RangeInclusive<Time> {
        t..=t
    }

    // ------------------------------------------------------------------ clients

    /// Send a request to the lock service and remember it for resending.
    fn request(&self, c: &mut Client, msg: Msg, ctx: &mut Ctx<Self>) {
        ctx.send(self.lock_node(), msg.clone());
        c.pending = Some(msg);
        ctx.set_timer(Timer::Retry, Self::fixed(self.params.request_timeout));
    }

    fn done_request(&self, c: &mut Client, ctx: &mut Ctx<Self>) {
        c.pending = None;
        ctx.cancel_timer(Timer::Retry);
    }

    fn start_keepalive(&self, ctx: &mut Ctx<Self>) {
        if self.sessions() {
            ctx.set_timer(Timer::KeepAlive, Self::fixed(self.keepalive()));
        }
    }

    fn send_set(&self, c: &mut Client, ctx: &mut Ctx<Self>) {
        c.attempt += 1;
        c.phase = Phase::Requesting;
        self.request(c, Msg::SetNx { attempt: c.attempt }, ctx);
    }

    /// Count a failed `SET NX` and draw the back-off before the next: random, from half the
    /// base up to the base doubled once per failure in a row (at most 16 times the base).
    fn backoff_delay(&self, c: &mut Client, ctx: &mut Ctx<Self>) -> Time {
        c.failures += 1;
        let base = self.params.backoff;
        let exp = c.failures.saturating_sub(1).min(4);
        let hi = base.saturating_mul(1 << exp);
        ctx.random_range(base / 2..=hi.max(base / 2))
    }

    /// The client now believes it holds the lock: start the critical section.
    fn take(&self, c: &mut Client, token: u64, ctx: &mut Ctx<Self>) {
        c.phase = Phase::Holding;
        c.token = Some(token);
        c.written = 0;
        c.failures = 0;
        c.beliefs.push(Belief {
            token,
            from: ctx.now(),
            to: None,
            ended: None,
        });
        ctx.note(Note::GotLock { token });
        ctx.set_timer(Timer::Work, Self::fixed(self.params.work));
    }

    fn end_belief(c: &mut Client, now: Time, how: Ended) {
        if let Some(b) = c.beliefs.last_mut() {
            if b.ended.is_none() {
                b.to = Some(now);
                b.ended = Some(how);
            }
        }
    }

    /// Leave the critical section and tell the lock service.
    fn release(&self, c: &mut Client, ctx: &mut Ctx<Self>) {
        let Some(token) = c.token else { return };
        c.writing = false;
        c.release_after_write = false;
        Self::end_belief(c, ctx.now(), Ended::Released);
        ctx.cancel_timer(Timer::Work);
        ctx.cancel_timer(Timer::WriteRetry);
        // The release ends the session: no more pings.
        ctx.cancel_timer(Timer::KeepAlive);
        c.phase = Phase::Releasing;
        ctx.note(Note::Releases { token });
        let msg = match self.params.variant {
            Variant::Queue => Msg::Release {
                token,
                req: c.attempt,
            },
            Variant::Lease => Msg::Del {
                token,
                compare: self.params.safe_release,
            },
            Variant::Zookeeper => Msg::Delete {
                seq: c.znode.unwrap_or(token),
            },
        };
        self.request(c, msg, ctx);
    }

    fn to_idle(&self, c: &mut Client, ctx: &mut Ctx<Self>) {
        c.phase = Phase::Idle;
        c.token = None;
        c.writing = false;
        c.release_after_write = false;
        c.znode = None;
        c.watching = None;
        self.done_request(c, ctx);
        ctx.cancel_timer(Timer::KeepAlive);
        ctx.cancel_timer(Timer::Backoff);
    }

    /// Zookeeper: decide from the children of `/lock` whether this client holds the lock.
    fn zk_decide(&self, c: &mut Client, children: &[u64], watched: bool, ctx: &mut Ctx<Self>) {
        let Some(me) = c.znode else { return };
        if !children.contains(&me) {
            // Our znode is gone (our session expired): start again.
            ctx.note(Note::ZnodeGone { seq: me });
            c.znode = None;
            c.phase = Phase::Requesting;
            self.request(c, Msg::Create, ctx);
            return;
        }
        let pred = children.iter().copied().filter(|&s| s < me).max();
        match pred {
            None => {
                self.done_request(c, ctx);
                c.watching = None;
                ctx.note(Note::IsLowest { seq: me });
                self.take(c, me, ctx);
            }
            Some(pred) if !self.params.herd => {
                c.phase = Phase::Waiting;
                c.watching = Some(pred);
                ctx.note(Note::WatchesPredecessor { seq: me, pred });
                self.request(c, Msg::Exists { seq: pred }, ctx);
            }
            Some(_) if !watched => {
                // Herd: list the children again with a watch on /lock (set atomically
                // with the listing, so no change is missed).
                c.phase = Phase::Waiting;
                c.watching = None;
                ctx.note(Note::ListsWithWatch { seq: me });
                self.request(c, Msg::GetChildren { watch: true }, ctx);
            }
            Some(_) => {
                self.done_request(c, ctx);
                c.phase = Phase::Waiting;
                c.watching = None;
                let lower = children.iter().filter(|&&s| s < me).count() as u32;
                ctx.note(Note::WatchesChildren { seq: me, lower });
            }
        }
    }

    fn client_msg(&self, c: &mut Client, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        match msg {
            Msg::Granted { token, req } => {
                if matches!(c.phase, Phase::Requesting | Phase::Waiting) && req == c.attempt {
                    self.done_request(c, ctx);
                    self.take(c, token, ctx);
                    self.start_keepalive(ctx);
                } else if c.phase == Phase::Holding && c.token == Some(token) {
                    ctx.note(Note::RepeatedGrant { token });
                } else {
                    // A grant for a request it gave up (or forgot in a crash): hand it back.
                    ctx.note(Note::StaleGrant { token });
                    ctx.send(
                        from,
                        Msg::Release {
                            token,
                            req: c.attempt,
                        },
                    );
                }
            }
            Msg::Queued { position } => {
                if c.phase == Phase::Requesting {
                    self.done_request(c, ctx);
                    c.phase = Phase::Waiting;
                    ctx.set_timer(Timer::KeepAlive, Self::fixed(self.keepalive()));
                    ctx.note(Note::IsQueued { position });
                } else if c.phase == Phase::Waiting {
                    ctx.note(Note::IsQueued { position });
                } else {
                    ctx.note(Note::StaleReply);
                }
            }
            Msg::Released { token } | Msg::Deleted { seq: token } => {
                if c.phase == Phase::Releasing {
                    ctx.note(Note::ReleaseDone {
                        token,
                        deleted: true,
                    });
                    self.to_idle(c, ctx);
                } else {
                    ctx.note(Note::StaleReply);
                }
            }
            Msg::DelReply { token, deleted } => {
                if c.phase == Phase::Releasing {
                    ctx.note(Note::ReleaseDone { token, deleted });
                    self.to_idle(c, ctx);
                } else {
                    ctx.note(Note::StaleReply);
                }
            }
            Msg::SetReply { attempt, token } => {
                if c.phase != Phase::Requesting || attempt != c.attempt {
                    ctx.note(Note::StaleReply);
                    return;
                }
                self.done_request(c, ctx);
                match token {
                    Some(t) => self.take(c, t, ctx),
                    None => {
                        c.phase = Phase::Waiting;
                        let d = self.backoff_delay(c, ctx);
                        ctx.set_timer(Timer::Backoff, Self::fixed(d));
                        ctx.note(Note::SetFailed { backoff: d });
                    }
                }
            }
            Msg::Created { seq, children } => {
                if c.phase != Phase::Requesting || c.znode.is_some() {
                    ctx.note(Note::StaleReply);
                    return;
                }
                self.done_request(c, ctx);
                c.znode = Some(seq);
                ctx.note(Note::CreatedZnode { seq });
                self.start_keepalive(ctx);
                self.zk_decide(c, &children, false, ctx);
            }
            Msg::Stat { seq, exists } => {
                if c.phase != Phase::Waiting || c.watching != Some(seq) {
                    ctx.note(Note::StaleReply);
                    return;
                }
                self.done_request(c, ctx);
                if !exists {
                    ctx.note(Note::PredecessorGone { pred: seq });
                    c.watching = None;
                    self.request(c, Msg::GetChildren { watch: false }, ctx);
                } else {
                    ctx.note(Note::WaitsForWatch { pred: seq });
                }
            }
            Msg::Children { children } => {
                if !matches!(c.phase, Phase::Waiting | Phase::Requesting) || c.znode.is_none() {
                    ctx.note(Note::StaleReply);
                    return;
                }
                self.done_request(c, ctx);
                self.zk_decide(c, &children, self.params.herd, ctx);
            }
            Msg::Notify { event, seq } => {
                c.notifications += 1;
                ctx.note(Note::Notified { event, seq });
                if !matches!(c.phase, Phase::Waiting | Phase::Requesting) || c.znode.is_none() {
                    return;
                }
                let relevant = match event {
                    Event::ChildrenChanged => true,
                    Event::NodeDeleted => c.watching == Some(seq),
                };
                if relevant {
                    c.watching = None;
                    self.request(
                        c,
                        Msg::GetChildren {
                            watch: self.params.herd,
                        },
                        ctx,
                    );
                }
            }
            Msg::SessionExpired => match c.phase {
                Phase::Holding => {
                    ctx.note(Note::LearnsExpired { phase: c.phase });
                    Self::end_belief(c, ctx.now(), Ended::Expired);
                    ctx.cancel_timer(Timer::Work);
                    ctx.cancel_timer(Timer::WriteRetry);
                    self.to_idle(c, ctx);
                }
                Phase::Waiting | Phase::Requesting => {
                    ctx.note(Note::LearnsExpired { phase: c.phase });
                    c.znode = None;
                    c.watching = None;
                    c.phase = Phase::Requesting;
                    let msg = match self.params.variant {
                        Variant::Zookeeper => Msg::Create,
                        _ => Msg::Acquire { req: c.attempt },
                    };
                    self.request(c, msg, ctx);
                }
                _ => ctx.note(Note::StaleReply),
            },
            Msg::WriteReply {
                token,
                n,
                accepted,
                max_token,
            } => {
                if c.phase != Phase::Holding || c.token != Some(token) || n != c.written + 1 {
                    ctx.note(Note::StaleReply);
                    return;
                }
                ctx.cancel_timer(Timer::WriteRetry);
                c.writing = false;
                if accepted {
                    c.written = n;
                    c.accepted += 1;
                    ctx.note(Note::WriteAccepted { token, n });
                    if n >= self.params.writes || c.release_after_write {
                        self.release(c, ctx);
                    } else {
                        ctx.set_timer(Timer::Work, Self::fixed(self.params.work));
                    }
                } else {
                    c.rejected += 1;
                    ctx.note(Note::WriteFenced { token, max_token });
                    Self::end_belief(c, ctx.now(), Ended::Fenced);
                    // It still releases: the lock service decides whether that is its lock.
                    self.release(c, ctx);
                }
            }
            _ => ctx.note(Note::WrongNode),
        }
    }

    fn client_timer(&self, c: &mut Client, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Work => {
                if c.phase != Phase::Holding {
                    ctx.note(Note::TimerNotNeeded);
                    return;
                }
                let token = c.token.unwrap_or(0);
                let n = c.written + 1;
                ctx.send(self.storage_node(), Msg::Write { token, n });
                c.writing = true;
                ctx.set_timer(Timer::WriteRetry, Self::fixed(self.params.request_timeout));
                ctx.note(Note::Writes { token, n });
            }
            Timer::WriteRetry => {
                if c.phase != Phase::Holding {
                    ctx.note(Note::TimerNotNeeded);
                    return;
                }
                let token = c.token.unwrap_or(0);
                let n = c.written + 1;
                ctx.send(self.storage_node(), Msg::Write { token, n });
                ctx.set_timer(Timer::WriteRetry, Self::fixed(self.params.request_timeout));
                ctx.note(Note::ResendsWrite { n });
            }
            Timer::Retry => {
                let Some(msg) = c.pending.clone() else {
                    ctx.note(Note::TimerNotNeeded);
                    return;
                };
                if self.params.variant == Variant::Lease && matches!(msg, Msg::SetNx { .. }) {
                    // No answer to SET: treat it as failed and back off.
                    c.pending = None;
                    c.phase = Phase::Waiting;
                    let d = self.backoff_delay(c, ctx);
                    ctx.set_timer(Timer::Backoff, Self::fixed(d));
                    ctx.note(Note::SetTimedOut { backoff: d });
                    return;
                }
                ctx.note(Note::Resends);
                self.request(c, msg, ctx);
            }
            Timer::Backoff => {
                if c.phase == Phase::Waiting {
                    ctx.note(Note::RetriesSet);
                    self.send_set(c, ctx);
                } else {
                    ctx.note(Note::TimerNotNeeded);
                }
            }
            Timer::KeepAlive => {
                let queued = self.params.variant == Variant::Queue && c.phase == Phase::Waiting;
                if queued {
                    // The reminder also keeps the session alive, and recovers a lost grant.
                    ctx.send(self.lock_node(), Msg::Acquire { req: c.attempt });
                    ctx.note(Note::RemindsServer);
                } else if self.sessions() && c.phase != Phase::Idle {
                    ctx.send(self.lock_node(), Msg::KeepAlive);
                    ctx.note(Note::SendsKeepAlive);
                } else {
                    ctx.note(Note::TimerNotNeeded);
                    return;
                }
                ctx.set_timer(Timer::KeepAlive, Self::fixed(self.keepalive()));
            }
            Timer::Session { .. } | Timer::KeyExpiry => ctx.note(Note::TimerNotNeeded),
        }
    }

    fn client_cmd(&self, c: &mut Client, cmd: Cmd, ctx: &mut Ctx<Self>) {
        match cmd {
            Cmd::Acquire => {
                if c.phase != Phase::Idle {
                    ctx.note(Note::AlreadyBusy { phase: c.phase });
                    return;
                }
                c.phase = Phase::Requesting;
                c.failures = 0;
                ctx.note(Note::AsksForLock);
                match self.params.variant {
                    Variant::Queue => {
                        c.attempt += 1;
                        self.request(c, Msg::Acquire { req: c.attempt }, ctx)
                    }
                    Variant::Lease => self.send_set(c, ctx),
                    Variant::Zookeeper => self.request(c, Msg::Create, ctx),
                }
            }
            Cmd::Release => match c.phase {
                Phase::Holding if c.writing => {
                    c.release_after_write = true;
                    ctx.note(Note::ReleasesAfterWrite { n: c.written + 1 });
                }
                Phase::Holding => self.release(c, ctx),
                Phase::Requesting | Phase::Waiting => {
                    ctx.note(Note::GivesUp);
                    match (self.params.variant, c.znode) {
                        (Variant::Queue, _) => ctx.send(
                            self.lock_node(),
                            Msg::Release {
                                token: 0,
                                req: c.attempt,
                            },
                        ),
                        (Variant::Zookeeper, Some(seq)) => {
                            ctx.send(self.lock_node(), Msg::Delete { seq })
                        }
                        _ => {}
                    }
                    self.to_idle(c, ctx);
                }
                _ => ctx.note(Note::NotHolding),
            },
        }
    }

    // ------------------------------------------------------------------ lock service

    fn renew(&self, l: &mut LockService, client: NodeId, ctx: &mut Ctx<Self>) {
        if !self.sessions() {
            return;
        }
        let at = ctx.now() + self.params.ttl;
        l.sessions.insert(client, at);
        if let Some(h) = l.holder.as_mut().filter(|h| h.client == client) {
            h.expires = Some(at);
        }
        ctx.set_timer(Timer::Session { client }, Self::fixed(self.params.ttl));
    }

    fn end_session(&self, l: &mut LockService, client: NodeId, ctx: &mut Ctx<Self>) {
        l.sessions.remove(&client);
        ctx.cancel_timer(Timer::Session { client });
    }

    /// Queue: hand the lock to the first waiter, if any.
    fn grant_next(&self, l: &mut LockService, ctx: &mut Ctx<Self>) {
        if l.holder.is_some() || l.queue.is_empty() {
            return;
        }
        let client = l.queue.remove(0);
        let req = l.requests.remove(&client).unwrap_or(0);
        l.last_token += 1;
        l.grants += 1;
        let token = l.last_token;
        l.holder = Some(Grant {
            client,
            token,
            since: ctx.now(),
            expires: l.sessions.get(&client).copied(),
            attempt: req,
        });
        ctx.send(client, Msg::Granted { token, req });
        ctx.note(Note::Grants { client, token });
    }

    /// Zookeeper: delete a znode and fire the watches it triggers.
    fn zk_delete(&self, l: &mut LockService, seq: u64, ctx: &mut Ctx<Self>) {
        l.znodes.retain(|z| z.seq != seq);
        self.fire(l, Event::NodeDeleted, seq, ctx);
    }

    fn fire(&self, l: &mut LockService, event: Event, seq: u64, ctx: &mut Ctx<Self>) {
        let mut to = Vec::new();
        l.watches.retain(|w| {
            let hit = match (event, w.on) {
                (Event::NodeDeleted, Some(s)) => s == seq,
                (_, None) => true,
                _ => false,
            };
            if hit {
                to.push(w.watcher);
            }
            !hit
        });
        if to.is_empty() {
            return;
        }
        // A children watch reports a change, whatever it was.
        for &w in &to {
            l.notifications += 1;
            let ev = if self.params.herd {
                Event::ChildrenChanged
            } else {
                event
            };
            ctx.send(w, Msg::Notify { event: ev, seq });
        }
        ctx.note(Note::Notifies { event, seq, to });
    }

    fn children(l: &LockService) -> Vec<u64> {
        l.znodes.iter().map(|z| z.seq).collect()
    }

    fn lock_msg(&self, l: &mut LockService, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        if !self.is_client(from) {
            ctx.note(Note::WrongNode);
            return;
        }
        match msg {
            Msg::Acquire { req } => {
                if req < l.last_req.get(&from).copied().unwrap_or(0) {
                    ctx.note(Note::StaleRequest { client: from, req });
                    return;
                }
                l.last_req.insert(from, req);
                self.renew(l, from, ctx);
                match l.holder {
                    Some(h) if h.client == from && h.attempt == req => {
                        ctx.send(
                            from,
                            Msg::Granted {
                                token: h.token,
                                req,
                            },
                        );
                        ctx.note(Note::RepeatsGrant {
                            client: from,
                            token: h.token,
                        });
                        return;
                    }
                    Some(h) if h.client == from => {
                        // A new request from the holder: it gave up or forgot its grant.
                        l.holder = None;
                        ctx.note(Note::VoidsGrant {
                            client: from,
                            token: h.token,
                        });
                    }
                    _ => {}
                }
                if let Some(i) = l.queue.iter().position(|&c| c == from) {
                    l.requests.insert(from, req);
                    let position = i as u32 + 1;
                    ctx.send(from, Msg::Queued { position });
                    ctx.note(Note::StillQueued {
                        client: from,
                        position,
                    });
                } else {
                    l.queue.push(from);
                    l.requests.insert(from, req);
                    // Free (or just freed): the first in line gets it, maybe this client.
                    self.grant_next(l, ctx);
                    if let Some(i) = l.queue.iter().position(|&c| c == from) {
                        let position = i as u32 + 1;
                        ctx.send(from, Msg::Queued { position });
                        ctx.note(Note::Enqueues {
                            client: from,
                            position,
                        });
                    }
                }
            }
            Msg::Release { token, req } => {
                if token == 0 && req < l.last_req.get(&from).copied().unwrap_or(0) {
                    ctx.note(Note::StaleRequest { client: from, req });
                    return;
                }
                match l.holder {
                    Some(h) if h.client == from && (token == 0 || token == h.token) => {
                        l.holder = None;
                        ctx.note(Note::FreesLock {
                            client: from,
                            token: h.token,
                        });
                    }
                    _ => {
                        if let Some(i) = l
                            .queue
                            .iter()
                            .position(|&c| c == from)
                            .filter(|_| token == 0)
                        {
                            l.queue.remove(i);
                            l.requests.remove(&from);
                            ctx.note(Note::LeavesQueue { client: from });
                        } else {
                            ctx.note(Note::ReleaseIgnored {
                                client: from,
                                token,
                            });
                        }
                    }
                }
                let still = l.queue.contains(&from) || l.holder.is_some_and(|h| h.client == from);
                if !still {
                    self.end_session(l, from, ctx);
                }
                if token != 0 {
                    ctx.send(from, Msg::Released { token });
                }
                self.grant_next(l, ctx);
            }
            Msg::KeepAlive => {
                if l.sessions.contains_key(&from) {
                    self.renew(l, from, ctx);
                    ctx.note(Note::Renews { client: from });
                } else {
                    ctx.note(Note::IgnoresKeepAlive { client: from });
                    ctx.send(from, Msg::SessionExpired);
                }
            }
            Msg::SetNx { attempt } => {
                let now = ctx.now();
                match l.holder {
                    Some(h) if h.client == from && h.attempt == attempt => {
                        ctx.send(
                            from,
                            Msg::SetReply {
                                attempt,
                                token: Some(h.token),
                            },
                        );
                        ctx.note(Note::RepeatsSet {
                            client: from,
                            token: h.token,
                        });
                    }
                    Some(h) => {
                        ctx.send(
                            from,
                            Msg::SetReply {
                                attempt,
                                token: None,
                            },
                        );
                        ctx.note(Note::KeyTaken {
                            client: from,
                            holder: h.client,
                        });
                    }
                    None => {
                        l.last_token += 1;
                        l.grants += 1;
                        let token = l.last_token;
                        l.holder = Some(Grant {
                            client: from,
                            token,
                            since: now,
                            expires: Some(now + self.params.ttl),
                            attempt,
                        });
                        ctx.set_timer(Timer::KeyExpiry, Self::fixed(self.params.ttl));
                        ctx.send(
                            from,
                            Msg::SetReply {
                                attempt,
                                token: Some(token),
                            },
                        );
                        ctx.note(Note::SetsKey {
                            client: from,
                            token,
                        });
                    }
                }
            }
            Msg::Del { token, compare } => {
                let deleted = match l.holder {
                    Some(h) if h.token == token => {
                        l.holder = None;
                        ctx.cancel_timer(Timer::KeyExpiry);
                        ctx.note(Note::DeletesKey {
                            client: from,
                            token,
                        });
                        true
                    }
                    Some(h) if !compare => {
                        l.holder = None;
                        ctx.cancel_timer(Timer::KeyExpiry);
                        ctx.note(Note::DeletesOthersKey {
                            client: from,
                            owner: h.client,
                            token: h.token,
                        });
                        true
                    }
                    h => {
                        ctx.note(Note::KeepsKey {
                            client: from,
                            owner: h.map(|h| h.client),
                        });
                        false
                    }
                };
                ctx.send(from, Msg::DelReply { token, deleted });
            }
            Msg::Create => {
                self.renew(l, from, ctx);
                if let Some(z) = l.znodes.iter().find(|z| z.owner == from) {
                    // A resent create: return the client's znode rather than make a second.
                    let seq = z.seq;
                    ctx.note(Note::ReturnsZnode { client: from, seq });
                    ctx.send(
                        from,
                        Msg::Created {
                            seq,
                            children: Self::children(l),
                        },
                    );
                    return;
                }
                l.last_token += 1;
                let seq = l.last_token;
                l.znodes.push(Znode { seq, owner: from });
                ctx.note(Note::CreatesZnode { client: from, seq });
                self.fire(l, Event::ChildrenChanged, seq, ctx);
                ctx.send(
                    from,
                    Msg::Created {
                        seq,
                        children: Self::children(l),
                    },
                );
            }
            Msg::Exists { seq } => {
                self.renew(l, from, ctx);
                let exists = l.znodes.iter().any(|z| z.seq == seq);
                if exists
                    && !l
                        .watches
                        .iter()
                        .any(|w| w.watcher == from && w.on == Some(seq))
                {
                    l.watches.push(Watch {
                        watcher: from,
                        on: Some(seq),
                    });
                }
                ctx.note(Note::SetsWatch {
                    client: from,
                    on: Some(seq),
                    exists,
                });
                ctx.send(from, Msg::Stat { seq, exists });
            }
            Msg::GetChildren { watch } => {
                self.renew(l, from, ctx);
                if watch
                    && !l
                        .watches
                        .iter()
                        .any(|w| w.watcher == from && w.on.is_none())
                {
                    l.watches.push(Watch {
                        watcher: from,
                        on: None,
                    });
                }
                let children = Self::children(l);
                ctx.note(Note::ListsChildren {
                    client: from,
                    count: children.len() as u32,
                });
                ctx.send(from, Msg::Children { children });
            }
            Msg::Delete { seq } => {
                if l.znodes.iter().any(|z| z.seq == seq && z.owner == from) {
                    ctx.note(Note::DeletesZnode { client: from, seq });
                    self.zk_delete(l, seq, ctx);
                } else {
                    ctx.note(Note::ReleaseIgnored {
                        client: from,
                        token: seq,
                    });
                }
                // Its session ends with its last znode (a late copy of an old delete
                // leaves a newer request alone).
                if !l.znodes.iter().any(|z| z.owner == from) {
                    l.watches.retain(|w| w.watcher != from);
                    self.end_session(l, from, ctx);
                }
                ctx.send(from, Msg::Deleted { seq });
            }
            _ => ctx.note(Note::WrongNode),
        }
    }

    fn lock_timer(&self, l: &mut LockService, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Session { client } => {
                if l.sessions.get(&client).is_none_or(|&at| at > ctx.now()) {
                    ctx.note(Note::TimerNotNeeded);
                    return;
                }
                l.sessions.remove(&client);
                let held = l.holder.filter(|h| h.client == client).map(|h| h.token);
                if held.is_some() {
                    l.holder = None;
                }
                l.queue.retain(|&c| c != client);
                let znodes: Vec<u64> = l
                    .znodes
                    .iter()
                    .filter(|z| z.owner == client)
                    .map(|z| z.seq)
                    .collect();
                l.watches.retain(|w| w.watcher != client);
                ctx.note(Note::SessionExpires {
                    client,
                    held,
                    znodes: znodes.clone(),
                });
                for seq in znodes {
                    self.zk_delete(l, seq, ctx);
                }
                self.grant_next(l, ctx);
            }
            Timer::KeyExpiry => match l.holder.take() {
                Some(h) => ctx.note(Note::KeyExpires {
                    client: h.client,
                    token: h.token,
                }),
                None => ctx.note(Note::TimerNotNeeded),
            },
            _ => ctx.note(Note::TimerNotNeeded),
        }
    }

    // ------------------------------------------------------------------ storage

    fn storage_msg(&self, s: &mut Storage, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        let Msg::Write { token, n } = msg else {
            ctx.note(Note::WrongNode);
            return;
        };
        let reply = |s: &Storage, accepted| Msg::WriteReply {
            token,
            n,
            accepted,
            max_token: s.max_token,
        };
        if s.applied.contains(&(from, token, n)) {
            ctx.note(Note::AlreadyApplied {
                client: from,
                token,
                n,
            });
            ctx.send(from, reply(s, true));
            return;
        }
        if self.params.fencing && token < s.max_token {
            s.log.push(WriteEntry {
                at: ctx.now(),
                client: from,
                token,
                n,
                accepted: false,
            });
            ctx.note(Note::Rejects {
                client: from,
                token,
                max_token: s.max_token,
            });
            ctx.send(from, reply(s, false));
            return;
        }
        s.max_token = s.max_token.max(token);
        s.applied.insert((from, token, n));
        s.log.push(WriteEntry {
            at: ctx.now(),
            client: from,
            token,
            n,
            accepted: true,
        });
        ctx.note(Note::Accepts {
            client: from,
            token,
            n,
        });
        ctx.send(from, reply(s, true));
    }
}

impl crate::algorithm::Algorithm for Locks {
    const TITLE: &'static str = "Distributed locks";
    const SUMMARY: &'static str = "A lock server with a wait queue, a Redis-style lease lock and the ZooKeeper recipe guarding one storage node; a pause past the lease breaks mutual exclusion, fencing tokens restore it.";
    const BUILTINS: &'static [crate::algorithm::Builtin] = crate::algorithm::builtins!(
        NAME;
        "locks-queue",
        "locks-holder-crash",
        "locks-lease-pause",
        "locks-fencing",
        "locks-lease-try",
        "locks-zookeeper",
        "locks-herd",
    );
}

impl Protocol for Locks {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = LocksChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        ParamError::check_range("clients", params.clients, 1..=MAX_CLIENTS)?;
        ParamError::check_range("ttl", params.ttl, 30..=60_000)?;
        ParamError::check_range("work", params.work, 1..=60_000)?;
        ParamError::check_range("writes", params.writes, 1..=10)?;
        ParamError::check_range("request_timeout", params.request_timeout, 10..=60_000)?;
        ParamError::check_range("backoff", params.backoff, 2..=60_000)?;
        Ok(Locks { params })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        let mut v: Vec<String> = (1..=self.params.clients).map(|i| format!("c{i}")).collect();
        v.push("lock".into());
        v.push("storage".into());
        v
    }

    fn init(&self, id: NodeId, _ctx: &mut Ctx<Self>) -> Node {
        if self.is_client(id) {
            Node::Client(Client::default())
        } else if id == self.lock_node() {
            Node::Lock(LockService::default())
        } else {
            Node::Storage(Storage::default())
        }
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        match node {
            Node::Client(c) => self.client_msg(c, from, msg, ctx),
            Node::Lock(l) => self.lock_msg(l, from, msg, ctx),
            Node::Storage(s) => self.storage_msg(s, from, msg, ctx),
        }
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        match node {
            Node::Client(c) => self.client_timer(c, timer, ctx),
            Node::Lock(l) => self.lock_timer(l, timer, ctx),
            Node::Storage(_) => ctx.note(Note::TimerNotNeeded),
        }
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        match node {
            Node::Client(c) => self.client_cmd(c, cmd, ctx),
            _ => ctx.note(Note::NotAClient),
        }
    }

    fn fault_note(&self, node: &Node, fault: NodeFault) -> Option<Note> {
        let c = node.client()?;
        let token = c.token.filter(|_| c.phase == Phase::Holding)?;
        Some(Note::HolderFault { fault, token })
    }

    fn on_restart(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        match node {
            Node::Client(c) => {
                let held = c
                    .beliefs
                    .last()
                    .is_some_and(|b| b.to.is_none() && b.ended == Some(Ended::Crashed));
                ctx.note(Note::ClientRestarts { held });
            }
            Node::Lock(l) => {
                // Timers were lost: sessions get a fresh ttl (as ZooKeeper does after a
                // server change); the key keeps its absolute expiry.
                let now = ctx.now();
                let clients: Vec<NodeId> = l.sessions.keys().copied().collect();
                for client in &clients {
                    self.renew(l, *client, ctx);
                }
                ctx.note(Note::LockRestarts {
                    sessions: clients.len() as u32,
                    holder: l.holder.map(|h| h.client),
                    queued: l.queue.len() as u32,
                });
                if let Some(h) = l.holder {
                    if self.params.variant == Variant::Lease {
                        let at = h.expires.unwrap_or(now);
                        if at <= now {
                            // It expired while the service was down: free it now.
                            l.holder = None;
                            ctx.note(Note::KeyExpiredWhileDown {
                                client: h.client,
                                token: h.token,
                                expired_at: at,
                            });
                        } else {
                            ctx.set_timer(Timer::KeyExpiry, Self::fixed(at - now));
                        }
                    }
                }
                self.grant_next(l, ctx);
            }
            Node::Storage(s) => ctx.note(Note::StorageRestarts {
                max_token: s.max_token,
            }),
        }
    }

    fn msg_label(&self, msg: &Msg) -> &'static str {
        match msg {
            Msg::Acquire { .. } => "ACQ",
            Msg::Granted { .. } => "GRANT",
            Msg::Queued { .. } => "QUEUED",
            Msg::Release { .. } => "REL",
            Msg::Released { .. } => "RACK",
            Msg::KeepAlive => "PING",
            Msg::SessionExpired => "EXPIRED",
            Msg::SetNx { .. } => "SET NX",
            Msg::SetReply { token: Some(_), .. } => "OK",
            Msg::SetReply { token: None, .. } => "NIL",
            Msg::Del { .. } => "DEL",
            Msg::DelReply { .. } => "DACK",
            Msg::Create => "CREATE",
            Msg::Created { .. } => "CREATED",
            Msg::Exists { .. } => "EXISTS",
            Msg::Stat { .. } => "STAT",
            Msg::GetChildren { .. } => "GETCH",
            Msg::Children { .. } => "CHILD",
            Msg::Notify { .. } => "WATCH",
            Msg::Delete { .. } => "DELETE",
            Msg::Deleted { .. } => "DELETED",
            Msg::Write { .. } => "WRITE",
            Msg::WriteReply { accepted: true, .. } => "ACK",
            Msg::WriteReply {
                accepted: false, ..
            } => "REJECT",
        }
    }

    fn describe_msg(&self, msg: &Msg, _names: &[String]) -> String {
        match msg {
            Msg::Acquire { req } => format!("Acquire (give me the lock; request {req})"),
            Msg::Granted { token, .. } => format!("Granted (you hold the lock, token {token})"),
            Msg::Queued { position } => format!("Queued (you are number {position} in line)"),
            Msg::Release { token: 0, req } => format!("Release (give up request {req})"),
            Msg::Release { token, .. } => format!("Release (token {token})"),
            Msg::Released { token } => format!("Released (token {token})"),
            Msg::KeepAlive => "KeepAlive (session ping)".into(),
            Msg::SessionExpired => "SessionExpired (your session is gone)".into(),
            Msg::SetNx { attempt } => {
                format!("SET lock NX PX {} (attempt {attempt})", self.params.ttl)
            }
            Msg::SetReply { token: Some(t), .. } => format!("OK (key set, token {t})"),
            Msg::SetReply { token: None, .. } => "nil (the key exists)".into(),
            Msg::Del { token, compare } => {
                if *compare {
                    format!("compare-and-delete lock if it holds token {token}")
                } else {
                    "DEL lock (whoever holds it)".into()
                }
            }
            Msg::DelReply { deleted, .. } => {
                format!("{} key deleted", if *deleted { 1 } else { 0 })
            }
            Msg::Create => "create /lock/n- (ephemeral, sequential)".into(),
            Msg::Created { seq, children } => {
                format!(
                    "created /lock/n-{seq} ({} child{})",
                    children.len(),
                    if children.len() == 1 { "" } else { "ren" }
                )
            }
            Msg::Exists { seq } => format!("exists /lock/n-{seq} with a watch"),
            Msg::Stat { seq, exists } => format!(
                "/lock/n-{seq} {}",
                if *exists {
                    "exists (watch set)"
                } else {
                    "does not exist"
                }
            ),
            Msg::GetChildren { watch } => format!(
                "getChildren /lock{}",
                if *watch { " with a watch" } else { "" }
            ),
            Msg::Children { children } => format!(
                "children of /lock: {}",
                if children.is_empty() {
                    "none".to_string()
                } else {
                    children
                        .iter()
                        .map(|s| format!("n-{s}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            Msg::Notify { event, seq } => match event {
                Event::NodeDeleted => format!("watch event: /lock/n-{seq} deleted"),
                Event::ChildrenChanged => "watch event: children of /lock changed".into(),
            },
            Msg::Delete { seq } => format!("delete /lock/n-{seq}"),
            Msg::Deleted { seq } => format!("deleted /lock/n-{seq}"),
            Msg::Write { token, n } => format!("Write #{n} with token {token}"),
            Msg::WriteReply {
                token,
                n,
                accepted,
                max_token,
            } => {
                if *accepted {
                    format!("write #{n} (token {token}) accepted")
                } else {
                    format!("write #{n} rejected: token {token} < {max_token}")
                }
            }
        }
    }

    fn describe_timer(&self, timer: &Timer, names: &[String]) -> String {
        match timer {
            Timer::Work => "the work timer (time for the next write)".into(),
            Timer::Retry => "the request timeout".into(),
            Timer::Backoff => "the back-off timer".into(),
            Timer::KeepAlive => "the keep-alive timer".into(),
            Timer::WriteRetry => "the write timeout".into(),
            Timer::Session { client } => {
                format!("the session timer of {}", name(names, *client))
            }
            Timer::KeyExpiry => "the key's expiry (PX)".into(),
        }
    }

    fn describe_cmd(&self, cmd: &Cmd, _names: &[String]) -> String {
        match cmd {
            Cmd::Acquire => "acquire the lock, write and release".into(),
            Cmd::Release => "release the lock now".into(),
        }
    }

    fn describe_note(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        let n = |id: &NodeId| name(names, *id).to_string();
        let me = name(names, me);
        let p = &self.params;
        let ttl = p.ttl;
        let fence = if p.fencing {
            "fencing is on"
        } else {
            "no fencing"
        };
        match note {
            Note::AsksForLock => match p.variant {
                Variant::Queue => format!("{me} wants the lock: it sends Acquire to the lock server"),
                Variant::Lease => format!(
                    "{me} wants the lock: it sends SET lock NX PX {ttl} (set the key only if nobody has it, expiring in {ttl} ms)"
                ),
                Variant::Zookeeper => format!(
                    "{me} wants the lock: it asks ZooKeeper to create an ephemeral sequential znode under /lock"
                ),
            },
            Note::AlreadyBusy { phase } => format!(
                "{me} ignores the command: it is already {} (one lock request at a time)",
                phase_words(*phase)
            ),
            Note::NotHolding => format!("{me} has nothing to release: it neither holds nor waits"),
            Note::NotAClient => format!("{me} is not a client: only c1.. take locks"),
            Note::Resends => format!(
                "{me} has had no reply within {} ms: it sends its request again (the first may be lost)",
                p.request_timeout
            ),
            Note::ResendsWrite { n: k } => format!(
                "{me} has no answer from storage within {} ms: it sends write #{k} again (storage applies a write once, whatever the copies)",
                p.request_timeout
            ),
            Note::GotLock { token } => format!(
                "{me} now believes it holds the lock (token {token}); it starts its critical section: {} write{} to storage, {} ms apart",
                p.writes,
                if p.writes == 1 { "" } else { "s" },
                p.work
            ),
            Note::IsQueued { position } => format!(
                "{me} is number {position} in the lock server's queue: it waits for its turn"
            ),
            Note::RepeatedGrant { token } => format!(
                "{me} already holds the lock with token {token}: the repeated grant changes nothing"
            ),
            Note::StaleGrant { token } => format!(
                "{me} gets a grant (token {token}) for a request it no longer has: it hands it straight back"
            ),
            Note::RemindsServer => format!(
                "{me} is still waiting: it re-sends Acquire, which keeps its session alive and recovers a lost grant"
            ),
            Note::SendsKeepAlive => format!(
                "{me} pings the lock service to keep its session alive (every {} ms; the session dies after {ttl} ms of silence)",
                self.keepalive()
            ),
            Note::SetFailed { backoff } => format!(
                "{me} did not get the lock (the key exists): it backs off for {backoff} ms before retrying (random, growing back-off)"
            ),
            Note::SetTimedOut { backoff } => format!(
                "{me} has no answer to its SET within {} ms: it counts it as failed and backs off {backoff} ms",
                p.request_timeout
            ),
            Note::RetriesSet => format!("{me}'s back-off is over: it tries SET NX again"),
            Note::CreatedZnode { seq } => format!("{me} learns its znode is /lock/n-{seq}"),
            Note::IsLowest { seq } => format!(
                "{me}'s znode n-{seq} has the lowest sequence number under /lock: by the recipe, it holds the lock"
            ),
            Note::WatchesPredecessor { seq, pred } => format!(
                "{me}'s znode n-{seq} is not the lowest: it watches only its predecessor n-{pred} (the recipe: one waiter wakes per release)"
            ),
            Note::WatchesChildren { seq, lower } => format!(
                "{me}'s znode n-{seq} has {lower} lower znode{}: it waits for any change under /lock (herd: every waiter watches the lock node)",
                if *lower == 1 { "" } else { "s" }
            ),
            Note::WaitsForWatch { pred } => format!(
                "{me}'s watch on n-{pred} is set: it sleeps until n-{pred} is deleted"
            ),
            Note::PredecessorGone { pred } => format!(
                "{me}'s predecessor n-{pred} is already gone: it lists /lock again to check whether it is now the lowest"
            ),
            Note::Notified { event, seq } => match event {
                Event::NodeDeleted => format!(
                    "{me} is notified that n-{seq} was deleted: it lists /lock to see whether it is now first"
                ),
                Event::ChildrenChanged => format!(
                    "{me} is woken: the children of /lock changed; it lists them again and re-sets its watch (herd effect: everyone wakes)"
                ),
            },
            Note::StaleReply => format!("{me} ignores a reply it no longer waits for"),
            Note::ListsWithWatch { seq } => format!(
                "{me}'s znode n-{seq} is not the lowest: {me} lists /lock's children and sets a watch on /lock (in the herd variant every waiter watches the lock node)"
            ),
            Note::ZnodeGone { seq } => format!(
                "{me}'s znode n-{seq} is no longer under /lock (its session expired and ZooKeeper deleted it): {me} creates a new znode and waits again, behind everyone now there"
            ),
            Note::Writes { token, n } => format!(
                "{me} believes it holds the lock: it sends write #{n} to storage with token {token}"
            ),
            Note::WriteAccepted { token, n } => {
                if *n >= p.writes {
                    format!("storage accepted {me}'s write #{n} (token {token}): its critical section is done")
                } else {
                    format!("storage accepted {me}'s write #{n} (token {token}); {me} works {} ms before the next write", p.work)
                }
            }
            Note::WriteFenced { token, max_token } => format!(
                "{me}'s write was REJECTED: storage has seen token {max_token} > {token}. {me} learns its lock expired and stops writing (fencing)"
            ),
            Note::ReleasesAfterWrite { n } => format!(
                "{me} is told to release, but its write #{n} is still on its way to the storage: it releases once that write is answered (a critical section is not over while one of its writes may still land)"
            ),
            Note::Releases { token } => match p.variant {
                Variant::Queue => format!("{me} leaves its critical section and sends Release (token {token})"),
                Variant::Lease if p.safe_release => format!(
                    "{me} leaves its critical section and asks to delete the key only if it still holds its token {token} (compare-and-delete)"
                ),
                Variant::Lease => format!(
                    "{me} leaves its critical section and sends DEL lock: a plain delete, whoever holds the key now"
                ),
                Variant::Zookeeper => format!("{me} leaves its critical section and deletes its znode n-{token}"),
            },
            Note::GivesUp => format!("{me} no longer wants the lock: it gives up its request"),
            Note::ReleaseDone { token, deleted } => {
                if *deleted {
                    format!("{me}'s release of token {token} is confirmed: it is idle")
                } else {
                    format!("{me}'s key (token {token}) was already gone or replaced: nothing was deleted; it is idle")
                }
            }
            Note::HolderFault { fault, token } => {
                let expiry = match p.variant {
                    Variant::Lease => Some(format!("its key expires {ttl} ms after it was set")),
                    Variant::Zookeeper => Some(format!(
                        "its session expires after {ttl} ms without a ping, and ZooKeeper then deletes its znode"
                    )),
                    Variant::Queue if self.sessions() => Some(format!(
                        "its session expires after {ttl} ms without a ping, and the server then frees the lock"
                    )),
                    Variant::Queue => None,
                };
                match fault {
                    NodeFault::Crash => match expiry {
                        Some(e) => format!(
                            "{me} held the lock (token {token}) and cannot release it now: {e}, so the others wait at most that long"
                        ),
                        None => format!(
                            "{me} held the lock (token {token}) and cannot release it now; without leases nothing frees it, so the others wait until {me} restarts and the lock is lost meanwhile"
                        ),
                    },
                    NodeFault::Pause => match expiry {
                        Some(e) => format!(
                            "{me} still believes it holds the lock (token {token}), but time goes on at the lock service: {e}; if the pause lasts longer, another client gets the lock while {me} still thinks it has it"
                        ),
                        None => format!(
                            "{me} still believes it holds the lock (token {token}); without leases the lock waits for it"
                        ),
                    },
                    NodeFault::Resume => format!(
                        "{me} carries on as if it still held the lock (token {token}) and writes next{}",
                        if p.fencing {
                            format!(": with fencing, the storage rejects the write if it has seen a token above {token}")
                        } else {
                            ": without fencing nothing stops that write, even if its lock has meanwhile gone to someone else".to_string()
                        }
                    ),
                }
            }
            Note::ClientRestarts { held } => {
                if *held {
                    let service = match p.variant {
                        Variant::Lease => "the key stays until it expires".to_string(),
                        _ if self.sessions() => format!(
                            "the lock service frees its lock only when the session expires ({ttl} ms without a ping)"
                        ),
                        _ => "without leases the lock server still counts it as the holder".to_string(),
                    };
                    format!("{me} restarts: it has forgotten that it held the lock (that was in memory); {service}")
                } else {
                    format!("{me} restarts idle")
                }
            }
            Note::Grants { client, token } => format!(
                "the lock is free: the server grants it to {}, first in the queue, with token {token} (tokens only grow)",
                n(client)
            ),
            Note::Enqueues { client, position } => format!(
                "the lock is taken: the server puts {} at the back of the queue (position {position}, first come first served)",
                n(client)
            ),
            Note::RepeatsGrant { client, token } => format!(
                "{} already holds the lock: the server repeats the grant (token {token}) in case it was lost",
                n(client)
            ),
            Note::VoidsGrant { client, token } => format!(
                "{} asks anew while the server still counts it as holder (token {token}): it gave that grant up, so the server frees it",
                n(client)
            ),
            Note::StaleRequest { client, req } => format!(
                "request {req} of {} arrives after a newer one (the network reordered them): it is stale and ignored",
                n(client)
            ),
            Note::StillQueued { client, position } => format!(
                "{} is already queued at position {position}: the server tells it again{}",
                n(client),
                if self.sessions() { " and renews its session" } else { "" }
            ),
            Note::FreesLock { client, token } => format!(
                "{} releases token {token}: the lock is free",
                n(client)
            ),
            Note::ReleaseIgnored { client, token } => format!(
                "{}'s release (token {token}) matches nothing the lock service holds for it: nothing to do",
                n(client)
            ),
            Note::LeavesQueue { client } => format!("{} leaves the queue", n(client)),
            Note::Renews { client } => format!(
                "the lock service renews {}'s session: it now expires in {ttl} ms",
                n(client)
            ),
            Note::IgnoresKeepAlive { client } => format!(
                "{} has no session (it expired or ended): the lock service answers that it is expired",
                n(client)
            ),
            Note::LearnsExpired { phase } => match phase {
                Phase::Holding => format!(
                    "{me} learns that its session expired: it has lost the lock, so it stops its critical section"
                ),
                _ => format!("{me} learns that its session expired while it waited: it asks for the lock again"),
            },
            Note::SessionExpires { client, held, znodes } => {
                let mut s = format!(
                    "nothing heard from {} for {ttl} ms: its session expires",
                    n(client)
                );
                if let Some(t) = held {
                    s.push_str(&format!(
                        " and the lock it held (token {t}) is freed, whether or not {} is still working",
                        n(client)
                    ));
                }
                if !znodes.is_empty() {
                    let zs: Vec<String> = znodes.iter().map(|z| format!("n-{z}")).collect();
                    s.push_str(&format!("; its ephemeral znode {} is deleted", zs.join(", ")));
                }
                s
            }
            Note::SetsKey { client, token } => format!(
                "the key is free: it is set for {} (token {token}) and will expire in {ttl} ms whatever {} is doing",
                n(client),
                n(client)
            ),
            Note::RepeatsSet { client, token } => format!(
                "the key already holds {}'s value from this same attempt: OK again (token {token})",
                n(client)
            ),
            Note::KeyTaken { client, holder } => format!(
                "SET NX fails for {}: the key exists (held by {})",
                n(client),
                n(holder)
            ),
            Note::KeyExpires { client, token } => format!(
                "the key of {} (token {token}) expires after {ttl} ms: the lock is free, though {} may still believe it holds it",
                n(client),
                n(client)
            ),
            Note::DeletesKey { client, token } => format!(
                "the key holds {}'s token {token}: it is deleted, the lock is free",
                n(client)
            ),
            Note::DeletesOthersKey { client, owner, token } => format!(
                "plain DEL from {} deletes the key even though it belongs to {} (token {token}): {} has released SOMEONE ELSE'S lock",
                n(client),
                n(owner),
                n(client)
            ),
            Note::KeepsKey { client, owner } => match owner {
                Some(o) => format!(
                    "compare-and-delete from {}: the key holds {}'s token, not its own, so it is left alone",
                    n(client),
                    n(o)
                ),
                None => format!("{}'s key has already expired: nothing to delete", n(client)),
            },
            Note::CreatesZnode { client, seq } => format!(
                "ZooKeeper creates /lock/n-{seq} for {} (ephemeral: it dies with {}'s session)",
                n(client),
                n(client)
            ),
            Note::ReturnsZnode { client, seq } => format!(
                "{} already has /lock/n-{seq} (a resent create): ZooKeeper returns it instead of creating another",
                n(client)
            ),
            Note::SetsWatch { client, on, exists } => match (on, exists) {
                (Some(s), true) => format!("ZooKeeper sets {}'s watch on n-{s}", n(client)),
                (Some(s), false) => format!("n-{s} no longer exists: ZooKeeper tells {}", n(client)),
                (None, _) => format!("ZooKeeper sets {}'s watch on /lock", n(client)),
            },
            Note::ListsChildren { client, count } => format!(
                "ZooKeeper lists the {} of /lock for {}",
                if *count == 1 { "1 child".to_string() } else { format!("{count} children") },
                n(client)
            ),
            Note::DeletesZnode { client, seq } => format!(
                "ZooKeeper deletes {}'s znode n-{seq}",
                n(client)
            ),
            Note::Notifies { event, seq, to } => {
                let who: Vec<String> = to.iter().map(n).collect();
                match event {
                    Event::NodeDeleted if !p.herd => format!(
                        "n-{seq} is gone: ZooKeeper notifies its watcher {} (one notification)",
                        who.join(", ")
                    ),
                    _ => format!(
                        "/lock changed (n-{seq}): ZooKeeper notifies all {} watchers of /lock: {}",
                        to.len(),
                        who.join(", ")
                    ),
                }
            }
            Note::LockRestarts { sessions, holder, queued } => {
                let kept = match (p.variant, holder) {
                    (Variant::Zookeeper, _) => "its znodes and watches were on disk".to_string(),
                    (Variant::Lease, Some(h)) => format!("{}'s key was on disk with its expiry time", n(h)),
                    (Variant::Lease, None) => "there was no key".to_string(),
                    (Variant::Queue, h) => format!(
                        "its tables were on disk: {} and {}",
                        h.map_or("no holder".to_string(), |h| format!("{} still holds the lock", n(&h))),
                        match queued {
                            0 => "the queue is empty".to_string(),
                            1 => "1 client still waits in the queue".to_string(),
                            q => format!("{q} clients still wait in the queue, in the same order"),
                        }
                    ),
                };
                if self.sessions() {
                    format!(
                        "the lock service restarts: {kept}; its session timers were lost, so {sessions} session{} get a fresh {ttl} ms",
                        if *sessions == 1 { "" } else { "s" }
                    )
                } else {
                    format!("the lock service restarts: {kept}")
                }
            }
            Note::KeyExpiredWhileDown { client, token, expired_at } => format!(
                "{}'s key (token {token}) expired at {expired_at} ms while the lock service was down: it is freed at restart, though {} may still believe it holds the lock",
                n(client),
                n(client)
            ),
            Note::Accepts { client, token, n: k } => format!(
                "storage accepts write #{k} from {} (token {token}; {fence})",
                n(client)
            ),
            Note::Rejects { client, token, max_token } => format!(
                "storage REJECTS {}'s write: its token {token} is lower than {max_token}, the highest it has seen (fencing)",
                n(client)
            ),
            Note::AlreadyApplied { client, token, n: k } => format!(
                "storage already applied write #{k} of {} (token {token}): a resent copy, acknowledged again, not applied twice",
                n(client)
            ),
            Note::WrongNode => format!("{me} ignores a message not meant for its role"),
            Note::TimerNotNeeded => format!(
                "{me}'s timer has nothing left to do (what it was waiting for already happened): it is ignored"
            ),
            Note::StorageRestarts { max_token } => format!(
                "storage restarts: its data and the highest token it accepted ({max_token}) were on disk"
            ),
        }
    }

    fn properties(&self) -> Vec<Property> {
        vec![
            Property {
                name: MUTUAL_EXCLUSION,
                description: "The storage never accepts writes from two lock holdings whose critical sections overlap.",
            },
            Property {
                name: FIFO,
                description: "The lock goes to waiters in the order they asked (queue server and ZooKeeper).",
            },
            Property {
                name: NO_LOST_LOCK,
                description: "A crashed holder does not keep the lock for more than a ttl after the lock service could notice.",
            },
        ]
    }

    fn checker(&self) -> LocksChecker {
        LocksChecker {
            max_accepted: None,
            arrivals: Vec::new(),
            lock_up_since: 0,
            last_heard: BTreeMap::new(),
            reported: None,
        }
    }

    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        let c = NodeId(rng.random_range(0..self.params.clients));
        let cmd = if rng.random_range(0..6u32) == 0 {
            Cmd::Release
        } else {
            Cmd::Acquire
        };
        Some((c, cmd))
    }
}

fn phase_words(p: Phase) -> &'static str {
    match p {
        Phase::Idle => "idle",
        Phase::Requesting => "asking for the lock",
        Phase::Waiting => "waiting for the lock",
        Phase::Holding => "holding the lock",
        Phase::Releasing => "releasing the lock",
    }
}

pub const MUTUAL_EXCLUSION: &str = "Mutual exclusion";
pub const FIFO: &str = "FIFO fairness";
pub const NO_LOST_LOCK: &str = "No lost lock";

fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}

/// Checks mutual exclusion of accepted writes, FIFO grants and that a crashed holder
/// does not keep the lock.
///
/// Mutual exclusion, precisely: tokens number the holdings in the order the lock service
/// granted them. If the storage accepts a write of holding `a` after it accepted a write of
/// a later holding `b`, then `a`'s critical section (from its grant to this write) contains
/// `b`'s grant and first write: the two overlapped, and the storage took writes from both.
#[derive(Clone, Debug)]
pub struct LocksChecker {
    /// The highest token of an accepted write, and its client.
    max_accepted: Option<(u64, NodeId)>,
    /// Queue variant: clients in arrival order, as the lock server queued them.
    arrivals: Vec<NodeId>,
    /// When the lock service last came up (restart or resume).
    lock_up_since: Time,
    /// When the lock service last heard from each client.
    last_heard: BTreeMap<NodeId, Time>,
    /// A lost lock already reported: the holder and its crash time.
    reported: Option<(NodeId, Time)>,
}

impl LocksChecker {
    /// No lost lock: the lock service still gives the lock to a client that has been down
    /// for more than a ttl while the service was up and could have noticed.
    fn check_lost(&mut self, sim: &Sim<Locks>, out: &mut Vec<Violation>) {
        let proto = sim.proto();
        let lock = proto.lock_node();
        if sim.status(lock) != NodeStatus::Up {
            return;
        }
        let Some(l) = sim.node(lock).lock() else {
            return;
        };
        let holder = match proto.params.variant {
            Variant::Zookeeper => l.znodes.first().map(|z| z.owner),
            _ => l.holder.map(|h| h.client),
        };
        let Some(holder) = holder else { return };
        let NodeStatus::Crashed { since } = sim.status(holder) else {
            return;
        };
        if self.reported == Some((holder, since)) {
            return;
        }
        let heard = self.last_heard.get(&holder).copied().unwrap_or(0);
        let deadline = since.max(self.lock_up_since).max(heard) + proto.params.ttl;
        let waiting = l.queue.len() + l.znodes.len().saturating_sub(1);
        let now = sim.time();
        if now > deadline && (proto.params.variant == Variant::Lease || waiting > 0) {
            self.reported = Some((holder, since));
            let why = if proto.expires() {
                "its lease should have expired"
            } else {
                "without leases nothing ever frees it"
            };
            out.push(Violation::new(
                NO_LOST_LOCK,
                format!(
                    "{} crashed at {since} ms while holding the lock and still holds it at {now} ms: {why}",
                    name(sim.names(), holder)
                ),
            ));
        }
    }
}

impl Checker<Locks> for LocksChecker {
    fn check(&mut self, sim: &Sim<Locks>, step: &StepOutcome<Locks>, out: &mut Vec<Violation>) {
        let proto = sim.proto();
        let names = sim.names();
        let now = sim.time();
        let lock = proto.lock_node();
        match &step.record.kind {
            StepKind::Action { action, .. } => {
                use crate::sim::Action;
                if let Action::Restart { node } | Action::Resume { node } = action {
                    if *node == lock {
                        self.lock_up_since = now;
                    }
                }
            }
            StepKind::Deliver { from, .. } if step.record.node == Some(lock) => {
                self.last_heard.insert(*from, now);
            }
            _ => {}
        }
        let me = step.record.node.unwrap_or(lock);
        for note in &step.record.notes {
            match *note {
                Note::GotLock { token } if proto.params.variant == Variant::Zookeeper => {
                    let older = sim.node(lock).lock().and_then(|l| {
                        l.znodes
                            .iter()
                            .find(|z| z.seq < token && z.owner != me)
                            .copied()
                    });
                    if let Some(z) = older {
                        out.push(Violation::new(
                            FIFO,
                            format!(
                                "{} took the lock with n-{token} while {}'s older znode n-{} still waits",
                                name(names, me),
                                name(names, z.owner),
                                z.seq
                            ),
                        ));
                    }
                }
                Note::Enqueues { client, .. } => self.arrivals.push(client),
                Note::Grants { client, token } => {
                    if let Some(pos) = self.arrivals.iter().position(|&c| c == client) {
                        if pos > 0 {
                            out.push(Violation::new(
                                FIFO,
                                format!(
                                    "the lock server granted token {token} to {} before {}, who asked first",
                                    name(names, client),
                                    name(names, self.arrivals[0])
                                ),
                            ));
                        }
                        self.arrivals.remove(pos);
                    }
                }
                Note::LeavesQueue { client } | Note::SessionExpires { client, .. } => {
                    self.arrivals.retain(|&c| c != client)
                }
                Note::Accepts { client, token, n } => match self.max_accepted {
                    Some((max, other)) if token < max => {
                        out.push(Violation::new(
                            MUTUAL_EXCLUSION,
                            format!(
                                "storage accepted {}'s write #{n} with token {token} after {}'s write with token {max}: {} still acted on the lock after it had passed to {}, so both critical sections wrote at once",
                                name(names, client),
                                name(names, other),
                                name(names, client),
                                name(names, other)
                            ),
                        ));
                    }
                    Some((max, _)) if token == max => {}
                    _ => self.max_accepted = Some((token, client)),
                },
                _ => {}
            }
        }
        self.check_lost(sim, out);
    }
}

/// Transitional: what a crash loses (to become a disk/memory split).
impl crate::protocol::Durable for Node {
    fn crash(&mut self) {
        let node = self;
        if let Node::Client(c) = node {
            // Its belief dies with it (the crash time is the crash step's, in the trace).
            if let Some(b) = c.beliefs.last_mut().filter(|b| b.to.is_none()) {
                b.ended = Some(Ended::Crashed);
            }
            c.phase = Phase::Idle;
            c.token = None;
            c.written = 0;
            c.writing = false;
            c.release_after_write = false;
            c.failures = 0;
            c.znode = None;
            c.watching = None;
            c.pending = None;
        }
    }
}
