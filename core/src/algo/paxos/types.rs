//! Paxos's data: parameters and roles, ballots and values, each role's persistent and
//! volatile state, messages, timers, commands and narration notes.

use crate::collections::{VecMap, VecSet};
use crate::protocol::NodeState;
use crate::sim::{NodeId, Time};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The longest value or command a client may propose, in characters.
pub const MAX_VALUE_CHARS: usize = 16;

/// Parameters of the Paxos page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Number of proposers, 1 to 5.
    pub proposers: u32,
    /// Number of acceptors, 3 to 9; a majority of them chooses a value.
    pub acceptors: u32,
    /// Number of learners (in Multi-Paxos, the replicas that apply the log), 1 to 3.
    pub learners: u32,
    /// One node plays several roles: node k is the k-th proposer, acceptor and learner
    /// (as many nodes as the largest count). Off: every role has nodes of its own,
    /// proposers first, then acceptors, then learners.
    pub colocated: bool,
    /// Multi-Paxos: a log of slots, a leader that runs phase 1 once for every open slot
    /// and phase 2 per client command. Off: single-decree Paxos (one value, slot 1).
    pub multi: bool,
    /// Multi-Paxos: proposers elect a stable leader (heartbeats; a proposer that hears
    /// none within its election timeout runs phase 1). Off: every proposer given a command
    /// runs phase 1 itself.
    pub leader_election: bool,
    /// A proposer whose ballot was beaten waits a random, growing time before it retries;
    /// off, it retries at once.
    pub backoff: bool,
    /// A phase not finished after this long (ms) is given up and retried.
    pub phase_timeout: Time,
    /// The first back-off draws its wait from 0 to this many ms; each failure in a row
    /// doubles it (up to 16 times).
    pub backoff_base: Time,
    /// Multi-Paxos with leader election: how often the leader says it is alive (ms).
    pub heartbeat_interval: Time,
    /// Multi-Paxos with leader election: a proposer that hears no leader for a time drawn
    /// from `[min, max]` ms runs phase 1 to lead.
    pub election_timeout: [Time; 2],
    /// UNSAFE, for teaching: an acceptor keeps its promise in memory only, so a crash
    /// makes it forget what it promised.
    pub unsafe_forget_promise: bool,
    /// UNSAFE, for teaching: a proposer ignores the values reported in promises and
    /// proposes its own.
    pub unsafe_ignore_promises: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            proposers: 2,
            acceptors: 3,
            learners: 1,
            colocated: false,
            multi: false,
            leader_election: true,
            backoff: true,
            phase_timeout: 400,
            backoff_base: 40,
            heartbeat_interval: 50,
            election_timeout: [200, 400],
            unsafe_forget_promise: false,
            unsafe_ignore_promises: false,
        }
    }
}

/// The roles one node plays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Roles {
    pub proposer: bool,
    pub acceptor: bool,
    pub learner: bool,
}

/// A ballot: a round and the proposer that owns it, ordered by round, then proposer, so
/// no two proposers ever use the same ballot. Written `7.n2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Ballot {
    pub round: u64,
    pub proposer: NodeId,
}

impl Ballot {
    /// `7.n2`.
    pub fn show(&self, names: &[String]) -> String {
        format!(
            "{}.{}",
            self.round,
            names.get(self.proposer.index()).map_or("?", |s| s.as_str())
        )
    }
}

/// What a slot can hold: a client's value (a command in Multi-Paxos) or a no-op, with
/// which a new leader fills a hole in the log.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Cmd(Arc<str>),
    Noop,
}

impl Value {
    /// `'x'`, or `no-op`.
    pub fn show(&self) -> String {
        match self {
            Value::Cmd(v) => format!("'{v}'"),
            Value::Noop => "no-op".to_string(),
        }
    }
}

/// What an acceptor accepted in one slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Accepted {
    pub ballot: Ballot,
    pub value: Value,
}

/// A slot's accepted value as a promise reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub slot: u64,
    pub ballot: Ballot,
    pub value: Value,
}

/// A node: what a crash keeps is on `disk`; `mem` is reset (all of it, every role) and
/// rebuilt empty when the node restarts.
pub type Node = NodeState<Disk, Mem>;

/// Persistent state, per role the node plays.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Disk {
    pub roles: Roles,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposer: Option<ProposerDisk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptor: Option<AcceptorDisk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learner: Option<LearnerDisk>,
}

/// A proposer's persistent state: the last round it used, so that after a crash it
/// never uses a ballot twice (two values in one ballot would break Paxos).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProposerDisk {
    pub round: u64,
    /// Whether it backs off before retrying (the `backoff` parameter, or what a person
    /// set since with the `back_off` command).
    pub backoff: bool,
}

/// An acceptor's persistent state (Paxos requires it on stable storage).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AcceptorDisk {
    /// The highest ballot it promised (with `unsafe_forget_promise` it is kept in memory
    /// instead, and this stays empty).
    pub promised: Option<Ballot>,
    /// Per slot (slot 1 is `accepted[0]`), the ballot and value it last accepted.
    pub accepted: Vec<Option<Accepted>>,
}

/// A learner's persistent state: what it learned and the commands it applied.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LearnerDisk {
    /// Per slot (slot 1 is `learned[0]`), the value it learned was chosen, in which
    /// ballot, and when.
    pub learned: Vec<Option<Learned>>,
    /// The values it applied, in the order it applied them, with their slots.
    pub applied: Vec<Applied>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Learned {
    pub value: Value,
    pub ballot: Ballot,
    pub at: Time,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub slot: u64,
    pub value: Value,
}

/// Volatile state: lost in a crash.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Mem {
    /// Multi-Paxos: the leader this node knows of (learned from heartbeats, ballots and
    /// rejections; never configured).
    pub leader: Option<NodeId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposer: Option<ProposerMem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acceptor: Option<AcceptorMem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learner: Option<LearnerMem>,
}

/// Where a proposer stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Nothing to propose.
    #[default]
    Idle,
    /// Phase 1: Prepare sent, collecting promises.
    Preparing,
    /// Phase 2 (single-decree): Accept sent, waiting for a majority.
    Accepting,
    /// Multi-Paxos: phase 1 done; runs phase 2 per command.
    Leading,
    /// Waiting (backing off) before it retries with a higher ballot.
    BackingOff,
    /// Multi-Paxos with leader election: another proposer leads.
    Following,
    /// Single-decree: it saw its value chosen.
    Done,
}

/// The value a proposer must propose in a slot, and why: the highest-ballot value the
/// promises reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Adopted {
    pub value: Value,
    /// The ballot in which it was accepted, and the acceptor that reported it.
    pub ballot: Ballot,
    pub from: NodeId,
    /// How many accepted values the promises reported for this slot in all.
    pub reports: u32,
}

/// A value a proposer sent in phase 2, and who accepted it in its ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub value: Value,
    pub accepted_by: VecSet<NodeId>,
    /// A majority accepted it: chosen.
    pub chosen: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProposerMem {
    pub phase: Phase,
    /// The ballot of its current (or last) attempt.
    pub ballot: Option<Ballot>,
    /// The acceptors that promised its ballot, and how many it needs (a majority).
    pub promises: VecSet<NodeId>,
    pub needed: u32,
    /// Single-decree: the value a client asked it to propose.
    pub value: Option<Arc<str>>,
    /// Per slot: the value the promises bind it to, and why.
    pub adopted: VecMap<u64, Adopted>,
    /// Per slot: what it proposed in phase 2 with its ballot.
    pub proposals: VecMap<u64, Proposal>,
    /// Per slot: the values it knows chosen, with the ballot it counted them in.
    pub chosen: VecMap<u64, (Ballot, Value)>,
    /// Multi-Paxos: client commands waiting for a slot (it is not leading yet).
    pub pending: Vec<Arc<str>>,
    /// Multi-Paxos leader: the next free slot.
    pub next_slot: u64,
    /// The highest ballot it has seen anywhere.
    pub highest_seen: Option<Ballot>,
    /// How many of its ballots in a row were beaten or timed out.
    pub failures: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AcceptorMem {
    /// With `unsafe_forget_promise`: the promise, held here only.
    pub promised: Option<Ballot>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LearnerMem {
    /// Per slot and ballot not learned yet: the value and the acceptors that said they
    /// accepted it.
    pub votes: Vec<Tally>,
}

/// The Accepted messages a learner counted for one slot and ballot.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tally {
    pub slot: u64,
    pub ballot: Ballot,
    pub value: Value,
    pub acceptors: VecSet<NodeId>,
}

impl Node {
    /// The acceptor's promised ballot, wherever it is kept.
    pub fn promised(&self) -> Option<Ballot> {
        let disk = self.disk.acceptor.as_ref().and_then(|a| a.promised);
        let mem = self.mem.acceptor.as_ref().and_then(|a| a.promised);
        disk.max(mem)
    }

    /// The acceptor's accepted (ballot, value) in `slot`.
    pub fn accepted(&self, slot: u64) -> Option<&Accepted> {
        let a = self.disk.acceptor.as_ref()?;
        a.accepted.get(slot.checked_sub(1)? as usize)?.as_ref()
    }

    /// The learner's learned value in `slot`.
    pub fn learned(&self, slot: u64) -> Option<&Learned> {
        let l = self.disk.learner.as_ref()?;
        l.learned.get(slot.checked_sub(1)? as usize)?.as_ref()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Msg {
    /// Phase 1a: promise `ballot` for every slot from `from_slot` on.
    Prepare { ballot: Ballot, from_slot: u64 },
    /// Phase 1b: the promise, with what the acceptor accepted in those slots.
    Promise {
        ballot: Ballot,
        from_slot: u64,
        accepted: Arc<[Report]>,
    },
    /// Phase 2a.
    Accept {
        ballot: Ballot,
        slot: u64,
        value: Value,
    },
    /// Phase 2b, to the proposer and every learner.
    Accepted {
        ballot: Ballot,
        slot: u64,
        value: Value,
    },
    /// A refusal: the acceptor promised a higher ballot. `accept`: it refused an Accept
    /// (else a Prepare).
    Nack {
        ballot: Ballot,
        promised: Ballot,
        accept: bool,
    },
    /// Multi-Paxos with leader election: the leader is alive; it knows slots
    /// `1..chosen_upto` chosen.
    Heartbeat { ballot: Ballot, chosen_upto: u64 },
    /// Multi-Paxos: a client command passed on to the leader.
    Forward { value: Arc<str>, hops: u32 },
    /// Multi-Paxos: a learner asks the leader for the chosen values from `from_slot` on.
    Catchup { from_slot: u64 },
    /// The leader tells a learner a value chosen in a slot.
    Learn {
        slot: u64,
        ballot: Ballot,
        value: Value,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Timer {
    /// The proposer's phase timed out, or its back-off wait ended.
    Retry,
    /// Multi-Paxos: no leader heard from.
    Election,
    /// Multi-Paxos: the leader's heartbeat.
    Heartbeat,
}

/// Commands a person or a script gives a node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cmd {
    /// A client asks this node to propose `value` (in Multi-Paxos: a command for the log).
    Propose { value: String },
    /// Turn this proposer's back-off on or off.
    BackOff { on: bool },
    /// The proposer runs phase 1 now, with a higher ballot.
    Prepare,
}

/// Why a node refused a client's value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum Refused {
    /// Empty or too long.
    BadValue,
    NotAProposer,
    /// Single-decree: it already saw a value chosen.
    AlreadyChosen {
        value: Value,
    },
    /// Multi-Paxos: it is no proposer and knows no leader.
    NoLeader,
    /// Multi-Paxos: forwarded too many times.
    TooManyHops,
}

/// Narration, as data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "note")]
pub enum Note {
    Crashes {
        roles: Roles,
        promised: Option<Ballot>,
        accepted: u32,
        forgets_promise: bool,
    },
    Restarts {
        roles: Roles,
        promised: Option<Ballot>,
        forgot_promise: bool,
    },
    /// A client's value reaches a proposer.
    ClientValue {
        value: Arc<str>,
    },
    Refused {
        refused: Refused,
    },
    BackOffSet {
        on: bool,
    },
    /// Phase 1 starts; `why` says what made it.
    Prepares {
        ballot: Ballot,
        from_slot: u64,
        why: PrepareWhy,
        needed: u32,
    },
    Promises {
        ballot: Ballot,
        previous: Option<Ballot>,
        reports: Vec<Report>,
    },
    RefusesPrepare {
        ballot: Ballot,
        promised: Ballot,
    },
    Accepts {
        ballot: Ballot,
        slot: u64,
        value: Value,
        previous: Option<Accepted>,
    },
    RefusesAccept {
        ballot: Ballot,
        slot: u64,
        promised: Ballot,
    },
    GotPromise {
        from: NodeId,
        ballot: Ballot,
        promises: u32,
        needed: u32,
        reports: Vec<Report>,
    },
    /// Phase 1 done in single-decree: the value it will propose and why.
    Adopts {
        slot: u64,
        adopted: Adopted,
        own: Option<Arc<str>>,
    },
    /// No promise reported a value: free to propose its own.
    ProposesOwn {
        value: Arc<str>,
    },
    /// Prepared by hand with no value of its own, and no promise reported one.
    NothingToPropose {
        ballot: Ballot,
    },
    /// UNSAFE: it proposes its own value though a promise reported one.
    IgnoresReported {
        adopted: Adopted,
        value: Arc<str>,
    },
    /// Phase 2 starts (single-decree).
    SendsAccept {
        ballot: Ballot,
        slot: u64,
        value: Value,
    },
    /// Multi-Paxos: phase 1 done for every open slot: it leads.
    BecomesLeader {
        ballot: Ballot,
        from_slot: u64,
        adopted: Vec<u64>,
        noops: Vec<u64>,
        known: u32,
    },
    /// Multi-Paxos leader: a command gets a slot.
    AssignsSlot {
        slot: u64,
        value: Arc<str>,
    },
    GotAccepted {
        from: NodeId,
        slot: u64,
        ballot: Ballot,
        count: u32,
        needed: u32,
    },
    /// The proposer counts a majority for its ballot: the value is chosen.
    SeesChosen {
        slot: u64,
        ballot: Ballot,
        value: Value,
        acceptors: Vec<NodeId>,
    },
    /// Its ballot was beaten by a higher promise.
    Preempted {
        ballot: Ballot,
        by: Ballot,
        failures: u32,
        from: NodeId,
    },
    /// Its phase did not finish in time.
    TimedOut {
        ballot: Ballot,
        phase: Phase,
        failures: u32,
    },
    BacksOff {
        wait: Time,
        failures: u32,
    },
    /// A reply it has no use for: for a ballot it no longer runs, or for a phase it
    /// already finished. `current` and `phase`: where it stands.
    Stale {
        from: NodeId,
        ballot: Ballot,
        current: Option<Ballot>,
        phase: Phase,
    },
    /// Multi-Paxos leader: re-sends Accept for slots not chosen yet.
    Resends {
        slots: Vec<u64>,
    },
    /// Multi-Paxos: no heartbeat: it runs phase 1 to lead.
    NoLeaderHeard,
    /// Multi-Paxos: it learns who leads.
    KnowsLeader {
        leader: NodeId,
        ballot: Ballot,
    },
    /// Multi-Paxos: a leader that hears of a higher ballot steps down.
    StepsDown {
        ballot: Ballot,
        by: Ballot,
    },
    Forwards {
        leader: NodeId,
        value: Arc<str>,
    },
    /// Multi-Paxos: it keeps a command until a leader is known.
    Queues {
        value: Arc<str>,
    },
    /// A learner: a majority said they accepted the value in one ballot.
    Learns {
        slot: u64,
        ballot: Ballot,
        value: Value,
        acceptors: Vec<NodeId>,
        from_leader: bool,
    },
    /// A learner counts an Accepted.
    CountsAccepted {
        from: NodeId,
        slot: u64,
        ballot: Ballot,
        count: u32,
        needed: u32,
    },
    Applies {
        slot: u64,
        value: Value,
    },
    /// A learner cannot apply a slot: an earlier one is not learned yet.
    WaitsForHole {
        slot: u64,
        hole: u64,
    },
    AsksCatchup {
        leader: NodeId,
        from_slot: u64,
    },
    SendsCatchup {
        to: NodeId,
        slots: Vec<u64>,
    },
    /// It already knows this.
    AlreadyKnown {
        slot: u64,
    },
    Heartbeat {
        leader: NodeId,
    },
}

/// What made a proposer run phase 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrepareWhy {
    /// A client gave it a value.
    Client,
    /// A person (or a script) told it to.
    Forced,
    /// Its back-off wait ended, or it retries at once (no back-off).
    Retry,
    /// Multi-Paxos: it heard no leader.
    Election,
}
