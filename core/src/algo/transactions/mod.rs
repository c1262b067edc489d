//! Distributed transactions: two-phase commit (2PC) and three-phase commit (3PC).
//!
//! A coordinator `coord` and participants `n1..nN`. A client asks the coordinator to run a
//! transaction (an id and the values it writes). The coordinator sends the writes to every
//! participant (WORK), then runs the commit protocol:
//! - **2PC**: PREPARE -> votes -> COMMIT or ABORT -> acks. The coordinator logs its
//!   decision before sending it. A participant that has not voted may abort on its own; once
//!   it voted YES it is uncertain and must wait for the decision (blocked), or, with
//!   cooperative termination on, ask the other participants.
//! - **3PC**: CanCommit -> votes -> PreCommit -> acks -> DoCommit. Timeout rules: an
//!   uncertain participant (voted YES, no PreCommit) aborts; a pre-committed one commits.
//!   Safe when delays are bounded and nothing is partitioned; a partition can make some
//!   participants commit and others abort.
//!
//! Every process has a write-ahead log on disk that survives a crash; its volatile state
//! (the per-transaction state machines, the coordinator's queue) is lost and rebuilt from
//! the log on restart.

use crate::invariant::{Checker, Property, Violation};
use crate::protocol::{Ctx, NodeFault, ParamError, Protocol};
use crate::sim::{NodeId, Sim, Time};
use crate::trace::{Fate, StepKind, StepOutcome};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const NAME: &str = "transactions";

/// The coordinator's id; participants are 1..=N.
pub const COORD: NodeId = NodeId(0);

/// Which commit protocol runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Variant {
    #[default]
    #[serde(rename = "2pc")]
    TwoPhase,
    #[serde(rename = "3pc")]
    ThreePhase,
}

/// How a participant answers PREPARE / CanCommit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    #[default]
    Yes,
    No,
    /// Crash on receiving the vote request, before voting.
    Fail,
}

/// Parameters of the transactions page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// `2pc` or `3pc`.
    pub protocol: Variant,
    /// Number of participants, 2 to 7 (the coordinator comes on top).
    pub participants: u32,
    /// How long a process waits for the next message of the protocol before applying its
    /// timeout rule (ms). Also the interval between resends and between questions.
    pub timeout: Time,
    /// 2PC: an uncertain participant asks the other participants for the decision.
    pub cooperative: bool,
    /// How participants vote (participant name -> yes/no/fail); the others vote YES.
    pub votes: BTreeMap<String, Vote>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            protocol: Variant::TwoPhase,
            participants: 3,
            timeout: 300,
            cooperative: false,
            votes: BTreeMap::new(),
        }
    }
}

/// A transaction's writes: key -> value.
pub type Writes = BTreeMap<String, String>;

/// The state of one transaction at one process (the protocol's state machine).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TxState {
    /// Coordinator: sending the work, not yet asking for votes. Participant: working, has
    /// not voted (may still abort on its own).
    Init,
    /// Coordinator: waiting for the votes.
    Wait,
    /// Participant: voted YES, does not know the decision (uncertain).
    Ready,
    /// 3PC: everybody voted YES and the coordinator said so; the decision will be commit.
    Precommit,
    Committed,
    Aborted,
}

impl TxState {
    pub fn label(self) -> &'static str {
        match self {
            TxState::Init => "INIT",
            TxState::Wait => "WAIT",
            TxState::Ready => "READY",
            TxState::Precommit => "PRECOMMIT",
            TxState::Committed => "COMMITTED",
            TxState::Aborted => "ABORTED",
        }
    }

    pub fn decided(self) -> Option<bool> {
        match self {
            TxState::Committed => Some(true),
            TxState::Aborted => Some(false),
            _ => None,
        }
    }
}

/// The kind of a write-ahead log record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rec {
    /// Coordinator: the transaction started (with its writes).
    Begin,
    /// Participant: did the transaction's writes (undo/redo information), has not voted.
    Work,
    /// Participant: prepared and voted YES (written before the vote is sent).
    Yes,
    /// 3PC: pre-committed.
    Precommit,
    Commit,
    Abort,
    /// Coordinator: every participant acknowledged the decision; nothing left to do.
    End,
}

impl Rec {
    pub fn label(self) -> &'static str {
        match self {
            Rec::Begin => "begin",
            Rec::Work => "work",
            Rec::Yes => "yes",
            Rec::Precommit => "precommit",
            Rec::Commit => "commit",
            Rec::Abort => "abort",
            Rec::End => "end",
        }
    }
}

/// One record of a write-ahead log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogRecord {
    pub at: Time,
    pub tx: u32,
    pub rec: Rec,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub writes: Writes,
}

/// One transaction at one process (volatile: rebuilt from the log on restart).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Txn {
    pub state: TxState,
    /// When it entered `state`.
    pub since: Time,
    pub writes: Writes,
    /// Coordinator: participants that finished the work.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub done: BTreeSet<NodeId>,
    /// Coordinator: the votes received (participant -> YES).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub votes: BTreeMap<NodeId, bool>,
    /// Coordinator: acknowledgements of PreCommit (3PC) or of the decision.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub acks: BTreeSet<NodeId>,
    /// Participant: uncertain and waiting since this time without learning the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_since: Option<Time>,
    /// Participant: restarted while uncertain; asks the others instead of applying a
    /// timeout rule.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recovering: bool,
}

impl Txn {
    fn new(state: TxState, since: Time, writes: Writes) -> Self {
        Txn {
            state,
            since,
            writes,
            done: BTreeSet::new(),
            votes: BTreeMap::new(),
            acks: BTreeSet::new(),
            blocked_since: None,
            recovering: false,
        }
    }
}

/// A process's state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    pub coordinator: bool,
    // Persistent: survives a crash.
    /// The write-ahead log.
    pub log: Vec<LogRecord>,
    /// Participant: how it votes (a setting of the page).
    pub vote: Vote,
    /// Participant: the committed values.
    pub data: BTreeMap<String, String>,
    // Volatile: lost in a crash.
    pub txns: BTreeMap<u32, Txn>,
    /// Coordinator: client transactions waiting for the current one to be decided.
    /// Persistent, unlike the rest of this part: the queue is what the client asked for, kept
    /// on disk with the log, so a crash delays these transactions but does not lose them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queue: Vec<Writes>,
    /// Coordinator: the transaction it is deciding.
    pub active: Option<u32>,
}

impl Node {
    /// The decision this process logged for `tx`, if any.
    pub fn logged_decision(&self, tx: u32) -> Option<bool> {
        self.log.iter().find_map(|r| match r.rec {
            Rec::Commit if r.tx == tx => Some(true),
            Rec::Abort if r.tx == tx => Some(false),
            _ => None,
        })
    }

    pub fn state_of(&self, tx: u32) -> Option<TxState> {
        self.txns.get(&tx).map(|t| t.state)
    }

    pub fn has(&self, tx: u32, rec: Rec) -> bool {
        self.log.iter().any(|r| r.tx == tx && r.rec == rec)
    }

    fn next_tx(&self) -> u32 {
        self.log.iter().map(|r| r.tx).max().unwrap_or(0) + 1
    }

    fn write_log(&mut self, at: Time, tx: u32, rec: Rec, writes: Writes) {
        self.log.push(LogRecord {
            at,
            tx,
            rec,
            writes,
        });
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Msg {
    /// Coordinator -> participant: do the transaction's writes.
    Work {
        tx: u32,
        writes: Writes,
    },
    /// Participant -> coordinator: the writes are done.
    WorkDone {
        tx: u32,
    },
    /// Coordinator -> participant: vote (PREPARE in 2PC, CanCommit in 3PC).
    Prepare {
        tx: u32,
    },
    Vote {
        tx: u32,
        yes: bool,
    },
    /// 3PC: everybody voted YES.
    Precommit {
        tx: u32,
    },
    PrecommitAck {
        tx: u32,
    },
    /// The decision (COMMIT / DoCommit, or ABORT).
    Decision {
        tx: u32,
        commit: bool,
    },
    DecisionAck {
        tx: u32,
    },
    /// "Do you know the decision on `tx`?" (termination and recovery).
    Ask {
        tx: u32,
    },
    /// Answer to `Ask`: I do not know it either.
    Uncertain {
        tx: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Timer {
    /// The timeout of the current phase of `tx`.
    Timeout { tx: u32 },
    /// Coordinator: resend the decision to those that have not acknowledged it.
    Resend { tx: u32 },
}

/// Commands a person or a script gives a process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cmd {
    /// To the coordinator: run a transaction writing these values.
    Begin {
        #[serde(default)]
        writes: Writes,
    },
    /// To a participant: how to answer the next vote requests.
    SetVote { vote: Vote },
}

/// Why a participant aborted on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AbortWhy {
    /// Timed out waiting for the vote request.
    Timeout,
    /// Asked by another participant before it voted (cooperative termination).
    Asked,
    /// Restarted without having voted.
    Restart,
    /// A vote request for a transaction it never worked on.
    Unknown,
}

/// Narration, as data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "note")]
pub enum Note {
    /// The process crashes with these transactions undecided in memory (the log survives).
    Crashes {
        coordinator: bool,
        records: u32,
        open: Vec<(u32, TxState)>,
    },
    /// Coordinator: starts `tx`, sends the work.
    Begins {
        tx: u32,
    },
    /// Coordinator: busy; the transaction waits.
    Queues {
        position: u32,
    },
    /// Participant: did the work, logged it.
    Works {
        tx: u32,
    },
    WorkAlreadyDone {
        tx: u32,
    },
    /// Coordinator: counted a participant's work.
    WorkCounted {
        tx: u32,
        remaining: u32,
    },
    /// Coordinator: everyone finished the work; asks for votes.
    AsksVotes {
        tx: u32,
    },
    VotesYes {
        tx: u32,
    },
    VotesNo {
        tx: u32,
    },
    /// Participant set to fail before voting: crashes.
    FailsBeforeVoting {
        tx: u32,
    },
    /// Participant: a vote request for a transaction already decided or aborted: repeats.
    RepeatsVote {
        tx: u32,
        yes: bool,
    },
    /// Coordinator: counted a YES vote.
    VoteCounted {
        tx: u32,
        remaining: u32,
    },
    /// Coordinator decides (logged before sending).
    Decides {
        tx: u32,
        commit: bool,
        why: DecideWhy,
    },
    /// 3PC coordinator: all YES, pre-commits.
    Precommits {
        tx: u32,
    },
    /// 3PC participant: pre-committed, acks.
    PrecommitReceived {
        tx: u32,
    },
    /// 3PC coordinator: counted a PreCommit ack.
    PrecommitAcked {
        tx: u32,
        remaining: u32,
    },
    /// Participant learns the decision.
    Learns {
        tx: u32,
        commit: bool,
        from: NodeId,
    },
    /// Participant already knew the decision: acks again.
    AlreadyKnows {
        tx: u32,
        commit: bool,
        ack: bool,
    },
    /// Coordinator: counted an ack of the decision.
    DecisionAcked {
        tx: u32,
        remaining: u32,
    },
    /// Coordinator: every participant acknowledged; logs End.
    Ends {
        tx: u32,
    },
    /// Coordinator: resends the decision.
    Resends {
        tx: u32,
        to: Vec<NodeId>,
    },
    /// Participant aborts on its own before voting.
    AbortsAlone {
        tx: u32,
        why: AbortWhy,
    },
    /// 2PC participant: uncertain and timed out: blocked.
    Blocked {
        tx: u32,
        asks: Vec<NodeId>,
        again: bool,
    },
    /// Participant asks for the decision after a restart.
    AsksAfterRestart {
        tx: u32,
        asks: Vec<NodeId>,
    },
    /// 3PC participant in READY times out: aborts.
    TimeoutAborts {
        tx: u32,
    },
    /// 3PC participant in PRECOMMIT times out: commits.
    TimeoutCommits {
        tx: u32,
    },
    /// Answers a question with the decision.
    Tells {
        tx: u32,
        to: NodeId,
        commit: bool,
    },
    /// Cannot answer a question.
    CannotTell {
        tx: u32,
        to: NodeId,
        state: TxState,
    },
    /// Learned that the one it asked is uncertain too.
    PeerUncertain {
        tx: u32,
        from: NodeId,
    },
    /// A message (or timer) about a transaction this process no longer needs.
    Ignores {
        tx: u32,
        /// What it ignores: a message label (`PREPARE`, `YES`, ...) or a timer.
        what: &'static str,
        /// Who sent it (`None` for a timer).
        from: Option<NodeId>,
        /// The process's state on `tx` (`None`: it holds nothing about it).
        state: Option<TxState>,
    },
    /// Coordinator restarts and finishes from its log.
    Recovers {
        tx: u32,
        state: TxState,
    },
    /// Participant restarts with state rebuilt from its log.
    Restarts {
        txns: u32,
    },
    /// 3PC participant restarts pre-committed: the timeout rule still applies.
    RestartsPrecommitted {
        tx: u32,
    },
    /// Coordinator restarts with client transactions still waiting in its queue (the
    /// queue is on disk): it runs them once the open transaction is decided.
    KeepsQueue {
        waiting: u32,
    },
    SetsVote {
        vote: Vote,
    },
    /// A command the process cannot carry out.
    Refuses {
        why: Refusal,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecideWhy {
    AllYes,
    VotedNo,
    /// Votes (or work) did not all arrive in time.
    Timeout,
    /// Recovered without a decision in the log: aborts (nobody can have committed).
    Recovery,
    /// 3PC: PreCommit acks did not all arrive: commits anyway.
    PrecommitTimeout,
    /// 3PC: recovered with PreCommit in the log: commits.
    RecoveryPrecommit,
    /// 3PC: all PreCommit acks arrived.
    AllAcked,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    BeginAtParticipant,
    VoteAtCoordinator,
    BadWrites,
}

#[derive(Clone, Debug)]
pub struct Transactions {
    params: Params,
    /// Vote settings by participant id.
    initial_votes: BTreeMap<NodeId, Vote>,
}

pub const MAX_WRITES: usize = 8;

fn writes_ok(w: &Writes) -> bool {
    w.len() <= MAX_WRITES
        && w.iter().all(|(k, v)| {
            !k.is_empty()
                && k.len() <= 16
                && v.len() <= 16
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

impl Transactions {
    pub fn three_phase(&self) -> bool {
        self.params.protocol == Variant::ThreePhase
    }

    fn participants(&self) -> impl Iterator<Item = NodeId> {
        (1..=self.params.participants).map(NodeId)
    }

    fn wait(&self) -> std::ops::RangeInclusive<Time> {
        let t = self.params.timeout;
        t..=t
    }

    fn set_state(node: &mut Node, tx: u32, state: TxState, now: Time) {
        if let Some(t) = node.txns.get_mut(&tx) {
            if t.state != state {
                t.state = state;
                t.since = now;
            }
            t.blocked_since = None;
        }
    }

    // ---- coordinator ----

    fn begin(&self, node: &mut Node, writes: Writes, ctx: &mut Ctx<Self>) {
        let tx = node.next_tx();
        let now = ctx.now();
        node.write_log(now, tx, Rec::Begin, writes.clone());
        node.txns
            .insert(tx, Txn::new(TxState::Init, now, writes.clone()));
        node.active = Some(tx);
        ctx.send_all(
            self.participants(),
            Msg::Work {
                tx,
                writes: writes.clone(),
            },
        );
        ctx.set_timer(Timer::Timeout { tx }, self.wait());
        ctx.note(Note::Begins { tx });
    }

    /// Log and send a decision; resend until every participant acknowledged.
    fn decide(&self, node: &mut Node, tx: u32, commit: bool, why: DecideWhy, ctx: &mut Ctx<Self>) {
        let now = ctx.now();
        node.write_log(
            now,
            tx,
            if commit { Rec::Commit } else { Rec::Abort },
            Writes::new(),
        );
        Self::set_state(
            node,
            tx,
            if commit {
                TxState::Committed
            } else {
                TxState::Aborted
            },
            now,
        );
        if let Some(t) = node.txns.get_mut(&tx) {
            t.acks.clear();
        }
        ctx.cancel_timer(Timer::Timeout { tx });
        ctx.send_all(self.participants(), Msg::Decision { tx, commit });
        ctx.set_timer(Timer::Resend { tx }, self.wait());
        ctx.note(Note::Decides { tx, commit, why });
        if node.active == Some(tx) {
            node.active = None;
            self.next_in_queue(node, ctx);
        }
    }

    fn next_in_queue(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        if node.active.is_none() && !node.queue.is_empty() {
            let writes = node.queue.remove(0);
            self.begin(node, writes, ctx);
        }
    }

    /// The note for ignoring `msg` from `from`, given the transaction and its state here.
    fn ignoring(&self, msg: &Msg, from: NodeId) -> impl Fn(u32, Option<TxState>) -> Note {
        let what = self.msg_label(msg);
        move |tx, state| Note::Ignores {
            tx,
            what,
            from: Some(from),
            state,
        }
    }

    fn coord_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        let n = self.params.participants;
        let ign = self.ignoring(&msg, from);
        match msg {
            Msg::WorkDone { tx } => {
                let Some(t) = node.txns.get_mut(&tx) else {
                    ctx.note(ign(tx, node.state_of(tx)));
                    return;
                };
                if t.state != TxState::Init {
                    ctx.note(ign(tx, Some(t.state)));
                    return;
                }
                t.done.insert(from);
                let remaining = n - t.done.len() as u32;
                if remaining > 0 {
                    ctx.note(Note::WorkCounted { tx, remaining });
                    return;
                }
                t.state = TxState::Wait;
                t.since = ctx.now();
                ctx.send_all(self.participants(), Msg::Prepare { tx });
                ctx.set_timer(Timer::Timeout { tx }, self.wait());
                ctx.note(Note::AsksVotes { tx });
            }
            Msg::Vote { tx, yes } => {
                let Some(t) = node.txns.get_mut(&tx) else {
                    ctx.note(ign(tx, node.state_of(tx)));
                    return;
                };
                if !matches!(t.state, TxState::Init | TxState::Wait) {
                    ctx.note(ign(tx, Some(t.state)));
                    return;
                }
                if !yes {
                    self.decide(node, tx, false, DecideWhy::VotedNo, ctx);
                    return;
                }
                if t.state != TxState::Wait {
                    ctx.note(ign(tx, Some(t.state)));
                    return;
                }
                t.votes.insert(from, true);
                let remaining = n - t.votes.len() as u32;
                if remaining > 0 {
                    ctx.note(Note::VoteCounted { tx, remaining });
                } else if self.three_phase() {
                    node.write_log(ctx.now(), tx, Rec::Precommit, Writes::new());
                    Self::set_state(node, tx, TxState::Precommit, ctx.now());
                    ctx.send_all(self.participants(), Msg::Precommit { tx });
                    ctx.set_timer(Timer::Timeout { tx }, self.wait());
                    ctx.note(Note::Precommits { tx });
                } else {
                    self.decide(node, tx, true, DecideWhy::AllYes, ctx);
                }
            }
            Msg::PrecommitAck { tx } => {
                let Some(t) = node.txns.get_mut(&tx) else {
                    ctx.note(ign(tx, node.state_of(tx)));
                    return;
                };
                if t.state != TxState::Precommit {
                    ctx.note(ign(tx, Some(t.state)));
                    return;
                }
                t.acks.insert(from);
                let remaining = n - t.acks.len() as u32;
                if remaining > 0 {
                    ctx.note(Note::PrecommitAcked { tx, remaining });
                } else {
                    self.decide(node, tx, true, DecideWhy::AllAcked, ctx);
                }
            }
            Msg::DecisionAck { tx } => {
                let ended = node.has(tx, Rec::End);
                let Some(t) = node.txns.get_mut(&tx) else {
                    ctx.note(ign(tx, node.state_of(tx)));
                    return;
                };
                if t.state.decided().is_none() || ended {
                    ctx.note(ign(tx, Some(t.state)));
                    return;
                }
                t.acks.insert(from);
                let remaining = n - t.acks.len() as u32;
                if remaining > 0 {
                    ctx.note(Note::DecisionAcked { tx, remaining });
                } else {
                    node.write_log(ctx.now(), tx, Rec::End, Writes::new());
                    ctx.cancel_timer(Timer::Resend { tx });
                    ctx.note(Note::Ends { tx });
                }
            }
            Msg::Ask { tx } => match node.logged_decision(tx) {
                Some(commit) => {
                    ctx.send(from, Msg::Decision { tx, commit });
                    ctx.note(Note::Tells {
                        tx,
                        to: from,
                        commit,
                    });
                }
                None => {
                    let state = node.state_of(tx).unwrap_or(TxState::Init);
                    ctx.send(from, Msg::Uncertain { tx });
                    ctx.note(Note::CannotTell {
                        tx,
                        to: from,
                        state,
                    });
                }
            },
            Msg::Work { tx, .. }
            | Msg::Prepare { tx }
            | Msg::Precommit { tx }
            | Msg::Decision { tx, .. }
            | Msg::Uncertain { tx } => ctx.note(ign(tx, node.state_of(tx))),
        }
    }

    fn coord_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Timeout { tx } => match node.state_of(tx) {
                Some(TxState::Init | TxState::Wait) => {
                    self.decide(node, tx, false, DecideWhy::Timeout, ctx)
                }
                Some(TxState::Precommit) => {
                    self.decide(node, tx, true, DecideWhy::PrecommitTimeout, ctx)
                }
                _ => ctx.note(Note::Ignores {
                    tx,
                    what: "timeout",
                    from: None,
                    state: node.state_of(tx),
                }),
            },
            Timer::Resend { tx } => {
                let (Some(commit), Some(t)) = (node.logged_decision(tx), node.txns.get(&tx)) else {
                    ctx.note(Note::Ignores {
                        tx,
                        what: "resend timer",
                        from: None,
                        state: node.state_of(tx),
                    });
                    return;
                };
                let to: Vec<NodeId> = self
                    .participants()
                    .filter(|p| !t.acks.contains(p))
                    .collect();
                ctx.send_all(to.iter().copied(), Msg::Decision { tx, commit });
                ctx.set_timer(Timer::Resend { tx }, self.wait());
                ctx.note(Note::Resends { tx, to });
            }
        }
    }

    // ---- participant ----

    /// Abort on its own (never after voting YES).
    fn abort_alone(&self, node: &mut Node, tx: u32, why: AbortWhy, ctx: &mut Ctx<Self>) {
        let now = ctx.now();
        node.write_log(now, tx, Rec::Abort, Writes::new());
        node.txns
            .entry(tx)
            .or_insert_with(|| Txn::new(TxState::Aborted, now, Writes::new()));
        Self::set_state(node, tx, TxState::Aborted, now);
        ctx.cancel_timer(Timer::Timeout { tx });
        ctx.note(Note::AbortsAlone { tx, why });
    }

    /// Log and apply a decision learned (or reached by a 3PC timeout rule).
    fn apply_decision(node: &mut Node, tx: u32, commit: bool, now: Time) {
        node.write_log(
            now,
            tx,
            if commit { Rec::Commit } else { Rec::Abort },
            Writes::new(),
        );
        let writes = node
            .txns
            .get(&tx)
            .map(|t| t.writes.clone())
            .unwrap_or_default();
        if commit {
            node.data.extend(writes);
        }
        node.txns
            .entry(tx)
            .or_insert_with(|| Txn::new(TxState::Init, now, Writes::new()));
        Self::set_state(
            node,
            tx,
            if commit {
                TxState::Committed
            } else {
                TxState::Aborted
            },
            now,
        );
    }

    /// Whom an uncertain participant asks: the coordinator, and the other participants
    /// when it may (cooperative termination in 2PC, recovery in 3PC).
    fn askees(&self, me: NodeId, peers: bool) -> Vec<NodeId> {
        let mut v = vec![COORD];
        if peers {
            v.extend(self.participants().filter(|&p| p != me));
        }
        v
    }

    fn part_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        let now = ctx.now();
        let ign = self.ignoring(&msg, from);
        match msg {
            Msg::Work { tx, writes } => match node.state_of(tx) {
                None if node.logged_decision(tx).is_none() => {
                    node.write_log(now, tx, Rec::Work, writes.clone());
                    node.txns.insert(tx, Txn::new(TxState::Init, now, writes));
                    ctx.send(from, Msg::WorkDone { tx });
                    ctx.set_timer(Timer::Timeout { tx }, self.wait());
                    ctx.note(Note::Works { tx });
                }
                Some(TxState::Init) => {
                    ctx.send(from, Msg::WorkDone { tx });
                    ctx.note(Note::WorkAlreadyDone { tx });
                }
                Some(TxState::Aborted) | None => {
                    // Aborted on its own already: that is a NO.
                    ctx.send(from, Msg::Vote { tx, yes: false });
                    ctx.note(Note::RepeatsVote { tx, yes: false });
                }
                Some(_) => ctx.note(ign(tx, node.state_of(tx))),
            },
            Msg::Prepare { tx } => match node.state_of(tx) {
                Some(TxState::Init) => match node.vote {
                    Vote::Yes => {
                        node.write_log(now, tx, Rec::Yes, Writes::new());
                        Self::set_state(node, tx, TxState::Ready, now);
                        ctx.send(from, Msg::Vote { tx, yes: true });
                        ctx.set_timer(Timer::Timeout { tx }, self.wait());
                        ctx.note(Note::VotesYes { tx });
                    }
                    Vote::No => {
                        node.write_log(now, tx, Rec::Abort, Writes::new());
                        Self::set_state(node, tx, TxState::Aborted, now);
                        ctx.cancel_timer(Timer::Timeout { tx });
                        ctx.send(from, Msg::Vote { tx, yes: false });
                        ctx.note(Note::VotesNo { tx });
                    }
                    Vote::Fail => {
                        ctx.note(Note::FailsBeforeVoting { tx });
                        ctx.crash();
                    }
                },
                Some(TxState::Ready | TxState::Precommit | TxState::Committed) => {
                    // A repeated request: it voted YES already.
                    ctx.send(from, Msg::Vote { tx, yes: true });
                    ctx.note(Note::RepeatsVote { tx, yes: true });
                }
                Some(TxState::Aborted) => {
                    ctx.send(from, Msg::Vote { tx, yes: false });
                    ctx.note(Note::RepeatsVote { tx, yes: false });
                }
                Some(TxState::Wait) | None => {
                    // Never did the work (WORK lost): it cannot vote YES.
                    ctx.send(from, Msg::Vote { tx, yes: false });
                    if node.logged_decision(tx).is_none() {
                        self.abort_alone(node, tx, AbortWhy::Unknown, ctx);
                    } else {
                        ctx.note(Note::RepeatsVote { tx, yes: false });
                    }
                }
            },
            Msg::Precommit { tx } => match node.state_of(tx) {
                Some(TxState::Ready) => {
                    node.write_log(now, tx, Rec::Precommit, Writes::new());
                    Self::set_state(node, tx, TxState::Precommit, now);
                    if let Some(t) = node.txns.get_mut(&tx) {
                        t.recovering = false;
                    }
                    ctx.send(from, Msg::PrecommitAck { tx });
                    ctx.set_timer(Timer::Timeout { tx }, self.wait());
                    ctx.note(Note::PrecommitReceived { tx });
                }
                Some(TxState::Precommit) => {
                    ctx.send(from, Msg::PrecommitAck { tx });
                    ctx.note(Note::PrecommitReceived { tx });
                }
                _ => ctx.note(ign(tx, node.state_of(tx))),
            },
            Msg::Decision { tx, commit } => match node.logged_decision(tx) {
                Some(known) => {
                    let ack = from == COORD;
                    if ack {
                        ctx.send(from, Msg::DecisionAck { tx });
                    }
                    ctx.note(Note::AlreadyKnows {
                        tx,
                        commit: known,
                        ack,
                    });
                }
                None => {
                    Self::apply_decision(node, tx, commit, now);
                    ctx.cancel_timer(Timer::Timeout { tx });
                    if from == COORD {
                        ctx.send(from, Msg::DecisionAck { tx });
                    } else {
                        // Tell the coordinator too, so it can stop resending.
                        ctx.send(COORD, Msg::DecisionAck { tx });
                    }
                    ctx.note(Note::Learns { tx, commit, from });
                }
            },
            Msg::Ask { tx } => match (node.logged_decision(tx), node.state_of(tx)) {
                (Some(commit), _) => {
                    ctx.send(from, Msg::Decision { tx, commit });
                    ctx.note(Note::Tells {
                        tx,
                        to: from,
                        commit,
                    });
                }
                (None, Some(TxState::Init) | None) => {
                    // Has not voted: it may abort, and then it knows the decision.
                    self.abort_alone(node, tx, AbortWhy::Asked, ctx);
                    ctx.send(from, Msg::Decision { tx, commit: false });
                    ctx.note(Note::Tells {
                        tx,
                        to: from,
                        commit: false,
                    });
                }
                (None, Some(state)) => {
                    ctx.send(from, Msg::Uncertain { tx });
                    ctx.note(Note::CannotTell {
                        tx,
                        to: from,
                        state,
                    });
                }
            },
            Msg::Uncertain { tx } => {
                if node.logged_decision(tx).is_none() {
                    ctx.note(Note::PeerUncertain { tx, from });
                } else {
                    ctx.note(ign(tx, node.state_of(tx)));
                }
            }
            Msg::WorkDone { tx }
            | Msg::Vote { tx, .. }
            | Msg::PrecommitAck { tx }
            | Msg::DecisionAck { tx } => ctx.note(ign(tx, node.state_of(tx))),
        }
    }

    fn part_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        let Timer::Timeout { tx } = timer else {
            return;
        };
        let now = ctx.now();
        let me = ctx.me();
        let Some((state, recovering)) = node.txns.get(&tx).map(|t| (t.state, t.recovering)) else {
            ctx.note(Note::Ignores {
                tx,
                what: "timeout",
                from: None,
                state: node.state_of(tx),
            });
            return;
        };
        match state {
            TxState::Init => self.abort_alone(node, tx, AbortWhy::Timeout, ctx),
            TxState::Ready if self.three_phase() && !recovering => {
                Self::apply_decision(node, tx, false, now);
                ctx.note(Note::TimeoutAborts { tx });
            }
            TxState::Ready => {
                // Uncertain: it may not decide alone. Ask, and keep asking.
                let peers = self.three_phase() || self.params.cooperative;
                let asks = self.askees(me, peers);
                ctx.send_all(asks.iter().copied(), Msg::Ask { tx });
                ctx.set_timer(Timer::Timeout { tx }, self.wait());
                let mut again = false;
                if let Some(t) = node.txns.get_mut(&tx) {
                    again = t.blocked_since.is_some();
                    t.blocked_since.get_or_insert(now);
                }
                // After a restart it already said why it asks: from now on it asks again.
                ctx.note(Note::Blocked {
                    tx,
                    asks,
                    again: again || recovering,
                });
            }
            TxState::Precommit => {
                Self::apply_decision(node, tx, true, now);
                ctx.note(Note::TimeoutCommits { tx });
            }
            _ => ctx.note(Note::Ignores {
                tx,
                what: "timeout",
                from: None,
                state: node.state_of(tx),
            }),
        }
    }

    /// Rebuild the per-transaction states from the log.
    fn rebuild(node: &mut Node) {
        node.txns.clear();
        for r in &node.log {
            let t = node
                .txns
                .entry(r.tx)
                .or_insert_with(|| Txn::new(TxState::Init, r.at, Writes::new()));
            let state = match r.rec {
                Rec::Begin | Rec::Work => {
                    t.writes = r.writes.clone();
                    TxState::Init
                }
                Rec::Yes => TxState::Ready,
                Rec::Precommit => TxState::Precommit,
                Rec::Commit => TxState::Committed,
                Rec::Abort => TxState::Aborted,
                Rec::End => t.state,
            };
            if state != t.state {
                t.state = state;
                t.since = r.at;
            }
        }
    }
}

impl crate::algorithm::Algorithm for Transactions {
    const TITLE: &'static str = "Distributed transactions";
    const SUMMARY: &'static str = "Two-phase and three-phase commit with write-ahead logs, crashes and recovery: why 2PC blocks and why 3PC is unsafe under partitions.";
    const BUILTINS: &'static [crate::algorithm::Builtin] = crate::algorithm::builtins!(
        NAME;
        "txn-2pc-happy",
        "txn-2pc-vote-no",
        "txn-2pc-coord-crash",
        "txn-2pc-partial-commit",
        "txn-2pc-cooperative",
        "txn-3pc-coord-crash",
        "txn-3pc-partition",
    );
}

impl Protocol for Transactions {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = TxnChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        ParamError::check_range("participants", params.participants, 2..=7)?;
        ParamError::check_range("timeout", params.timeout, 50..=60_000)?;
        let mut initial_votes = BTreeMap::new();
        for (name, vote) in &params.votes {
            let i = name
                .strip_prefix('n')
                .and_then(|s| s.parse::<u32>().ok())
                .filter(|&i| (1..=params.participants).contains(&i))
                .ok_or_else(|| {
                    ParamError::new(
                        format!("votes.{name}"),
                        format!(
                            "no such participant (participants are n1 to n{})",
                            params.participants
                        ),
                    )
                })?;
            initial_votes.insert(NodeId(i), *vote);
        }
        Ok(Transactions {
            params,
            initial_votes,
        })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        let mut v = vec!["coord".to_string()];
        v.extend((1..=self.params.participants).map(|i| format!("n{i}")));
        v
    }

    fn init(&self, id: NodeId, _ctx: &mut Ctx<Self>) -> Node {
        Node {
            coordinator: id == COORD,
            log: Vec::new(),
            vote: self.initial_votes.get(&id).copied().unwrap_or_default(),
            data: BTreeMap::new(),
            txns: BTreeMap::new(),
            queue: Vec::new(),
            active: None,
        }
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        match cmd {
            Cmd::Begin { writes } => {
                if !node.coordinator {
                    ctx.note(Note::Refuses {
                        why: Refusal::BeginAtParticipant,
                    });
                    return;
                }
                if !writes_ok(&writes) {
                    ctx.note(Note::Refuses {
                        why: Refusal::BadWrites,
                    });
                    return;
                }
                let writes = if writes.is_empty() {
                    let tx = node.next_tx() + node.queue.len() as u32;
                    [("x".to_string(), tx.to_string())].into()
                } else {
                    writes
                };
                if node.active.is_some() {
                    node.queue.push(writes);
                    ctx.note(Note::Queues {
                        position: node.queue.len() as u32,
                    });
                } else {
                    self.begin(node, writes, ctx);
                }
            }
            Cmd::SetVote { vote } => {
                if node.coordinator {
                    ctx.note(Note::Refuses {
                        why: Refusal::VoteAtCoordinator,
                    });
                } else {
                    node.vote = vote;
                    ctx.note(Note::SetsVote { vote });
                }
            }
        }
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        if node.coordinator {
            self.coord_msg(node, from, msg, ctx);
        } else {
            self.part_msg(node, from, msg, ctx);
        }
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        if node.coordinator {
            self.coord_timer(node, timer, ctx);
        } else {
            self.part_timer(node, timer, ctx);
        }
    }

    fn fault_note(&self, node: &Node, fault: NodeFault) -> Option<Note> {
        (fault == NodeFault::Crash).then(|| Note::Crashes {
            coordinator: node.coordinator,
            records: node.log.len() as u32,
            open: node
                .txns
                .iter()
                .filter(|(_, t)| !matches!(t.state, TxState::Committed | TxState::Aborted))
                .map(|(tx, t)| (*tx, t.state))
                .collect(),
        })
    }

    fn on_restart(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let now = ctx.now();
        let me = ctx.me();
        Self::rebuild(node);
        if node.coordinator {
            ctx.note(Note::Restarts {
                txns: node.txns.len() as u32,
            });
            let open: Vec<(u32, TxState)> = node
                .txns
                .iter()
                .filter(|(tx, _)| !node.has(**tx, Rec::End))
                .map(|(tx, t)| (*tx, t.state))
                .collect();
            for (tx, state) in open {
                ctx.note(Note::Recovers { tx, state });
                match state {
                    TxState::Committed | TxState::Aborted => {
                        let commit = state == TxState::Committed;
                        ctx.send_all(self.participants(), Msg::Decision { tx, commit });
                        ctx.set_timer(Timer::Resend { tx }, self.wait());
                    }
                    TxState::Precommit => {
                        self.decide(node, tx, true, DecideWhy::RecoveryPrecommit, ctx)
                    }
                    _ => self.decide(node, tx, false, DecideWhy::Recovery, ctx),
                }
            }
            if !node.queue.is_empty() {
                ctx.note(Note::KeepsQueue {
                    waiting: node.queue.len() as u32,
                });
                self.next_in_queue(node, ctx);
            }
            return;
        }
        ctx.note(Note::Restarts {
            txns: node.txns.len() as u32,
        });
        let open: Vec<(u32, TxState)> = node
            .txns
            .iter()
            .filter(|(_, t)| t.state.decided().is_none())
            .map(|(tx, t)| (*tx, t.state))
            .collect();
        for (tx, state) in open {
            match state {
                TxState::Init => self.abort_alone(node, tx, AbortWhy::Restart, ctx),
                TxState::Ready => {
                    if let Some(t) = node.txns.get_mut(&tx) {
                        t.recovering = true;
                        t.blocked_since = Some(now);
                    }
                    let peers = self.three_phase() || self.params.cooperative;
                    let asks = self.askees(me, peers);
                    ctx.send_all(asks.iter().copied(), Msg::Ask { tx });
                    ctx.set_timer(Timer::Timeout { tx }, self.wait());
                    ctx.note(Note::AsksAfterRestart { tx, asks });
                }
                _ => {
                    // Pre-committed (3PC): the timeout rule still applies.
                    ctx.set_timer(Timer::Timeout { tx }, self.wait());
                    ctx.note(Note::RestartsPrecommitted { tx });
                }
            }
        }
    }

    fn msg_label(&self, msg: &Msg) -> &'static str {
        match msg {
            Msg::Work { .. } => "WORK",
            Msg::WorkDone { .. } => "DONE",
            Msg::Prepare { .. } if self.three_phase() => "CANCOMMIT",
            Msg::Prepare { .. } => "PREPARE",
            Msg::Vote { yes: true, .. } => "YES",
            Msg::Vote { yes: false, .. } => "NO",
            Msg::Precommit { .. } => "PRECOMMIT",
            Msg::PrecommitAck { .. } => "ACK",
            Msg::Decision { commit: true, .. } if self.three_phase() => "DOCOMMIT",
            Msg::Decision { commit: true, .. } => "COMMIT",
            Msg::Decision { commit: false, .. } => "ABORT",
            Msg::DecisionAck { .. } => "ACK",
            Msg::Ask { .. } => "ASK",
            Msg::Uncertain { .. } => "UNSURE",
        }
    }

    fn describe_msg(&self, msg: &Msg, _names: &[String]) -> String {
        match msg {
            Msg::Work { tx, writes } => format!("WORK T{tx} ({})", show_writes(writes)),
            Msg::WorkDone { tx } => format!("DONE T{tx} (work finished)"),
            Msg::Prepare { tx } if self.three_phase() => format!("CANCOMMIT T{tx}?"),
            Msg::Prepare { tx } => format!("PREPARE T{tx} (vote request)"),
            Msg::Vote { tx, yes } => format!("vote {} on T{tx}", if *yes { "YES" } else { "NO" }),
            Msg::Precommit { tx } => format!("PRECOMMIT T{tx}"),
            Msg::PrecommitAck { tx } => format!("ACK of PRECOMMIT T{tx}"),
            Msg::Decision { tx, commit } => format!("{} T{tx}", decision_word(*commit, self)),
            Msg::DecisionAck { tx } => format!("ACK of the decision on T{tx}"),
            Msg::Ask { tx } => format!("ASK: what was decided on T{tx}?"),
            Msg::Uncertain { tx } => format!("UNSURE: no decision known on T{tx}"),
        }
    }

    fn describe_timer(&self, timer: &Timer, _names: &[String]) -> String {
        match timer {
            Timer::Timeout { tx } => format!("the timeout on T{tx}"),
            Timer::Resend { tx } => format!("the resend timer of T{tx}'s decision"),
        }
    }

    fn describe_cmd(&self, cmd: &Cmd, _names: &[String]) -> String {
        match cmd {
            Cmd::Begin { writes } if writes.is_empty() => "run a transaction".into(),
            Cmd::Begin { writes } => format!("run a transaction writing {}", show_writes(writes)),
            Cmd::SetVote { vote } => format!("{} from now on", vote_words(*vote)),
        }
    }

    fn describe_note(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        let n = |id: &NodeId| name(names, *id).to_string();
        let me = name(names, me);
        let list = |v: &[NodeId]| v.iter().map(&n).collect::<Vec<_>>().join(", ");
        let t = self.params.timeout;
        let three = self.three_phase();
        let vote_req = if three { "CanCommit" } else { "PREPARE" };
        match note {
            Note::Begins { tx } => format!(
                "{me} starts transaction T{tx}: it logs 'begin T{tx}' and sends the writes to every participant (WORK); it waits up to {t} ms for them to finish"
            ),
            Note::Queues { position } => format!(
                "{me} is still deciding the current transaction: the new one waits its turn (number {position} in the queue)"
            ),
            Note::Works { tx } => format!(
                "{me} does T{tx}'s writes, logs them ('work T{tx}') without applying them, and tells the coordinator it is done; it has not voted, so it may still abort on its own"
            ),
            Note::WorkAlreadyDone { tx } => format!("{me} already did T{tx}'s writes: it says DONE again"),
            Note::WorkCounted { tx, remaining } => format!(
                "{me} notes that a participant finished T{tx}'s work; waiting for {remaining} more"
            ),
            Note::AsksVotes { tx } => format!(
                "every participant finished T{tx}'s work: {me} enters WAIT and asks for votes ({vote_req}); it waits up to {t} ms for them"
            ),
            Note::VotesYes { tx } if three => format!(
                "{me} can commit T{tx}: it writes 'yes T{tx}' to its log first (so a crash cannot make it forget its promise), then votes YES. It is now READY (uncertain): if no PRECOMMIT comes within {t} ms it will abort (3PC rule)"
            ),
            Note::VotesYes { tx } => format!(
                "{me} can commit T{tx}: it writes 'yes T{tx}' to its log first (so a crash cannot make it forget its promise), then votes YES. It is now READY: uncertain, it may no longer decide alone"
            ),
            Note::VotesNo { tx } => format!(
                "{me} cannot commit T{tx} (set to vote NO): it logs 'abort T{tx}', aborts and votes NO. One NO is enough to abort the transaction"
            ),
            Note::FailsBeforeVoting { tx } => format!(
                "{me} receives the vote request for T{tx} but fails before voting (set to 'fail before voting'): it crashes, and its vote never leaves"
            ),
            Note::RepeatsVote { tx, yes: true } => format!(
                "{me} gets a vote request on T{tx} again (a repeated or late request): it voted YES already and answers YES again"
            ),
            Note::RepeatsVote { tx, yes: false } => format!(
                "{me} answers NO on T{tx}: its log already holds 'abort T{tx}', and a process that aborted can only vote NO"
            ),
            Note::VoteCounted { tx, remaining } => format!(
                "{me} records a YES vote on T{tx}; waiting for {remaining} more"
            ),
            Note::Decides { tx, commit, why } => {
                let word = if *commit { "COMMIT" } else { "ABORT" };
                let reason = match why {
                    DecideWhy::AllYes => "every participant voted YES".to_string(),
                    DecideWhy::VotedNo => "a participant voted NO".to_string(),
                    DecideWhy::Timeout => format!("not every participant answered within {t} ms, and a coordinator that has not decided may always abort"),
                    DecideWhy::Recovery => format!("its log shows T{tx} started but holds no decision, so nobody can have committed"),
                    DecideWhy::PrecommitTimeout => format!("not every participant acknowledged PRECOMMIT within {t} ms; everyone voted YES, so it commits anyway (3PC rule)"),
                    DecideWhy::RecoveryPrecommit => "its log shows PRECOMMIT: everyone voted YES, so it commits (3PC recovery)".to_string(),
                    DecideWhy::AllAcked => "every participant acknowledged PRECOMMIT".to_string(),
                };
                format!(
                    "{me} decides {word} on T{tx} because {reason}; it writes '{} T{tx}' to its log BEFORE sending {} to every participant",
                    word.to_lowercase(),
                    if *commit { decision_word(true, self) } else { "ABORT" }
                )
            }
            Note::Precommits { tx } => format!(
                "every participant voted YES on T{tx}: {me} logs 'precommit T{tx}' and sends PRECOMMIT, so that everyone knows the decision will be commit before anyone commits"
            ),
            Note::PrecommitReceived { tx } => format!(
                "{me} logs 'precommit T{tx}' and acknowledges: it now knows everyone voted YES. If the coordinator goes silent for {t} ms it will commit (3PC timeout rule)"
            ),
            Note::PrecommitAcked { tx, remaining } => format!(
                "{me} records an ACK of PRECOMMIT T{tx}; waiting for {remaining} more"
            ),
            Note::Learns { tx, commit, from } if *from == COORD => format!(
                "{me} learns from {} that T{tx} {}: it logs '{} T{tx}'{}, and sends an ACK to {} (the coordinator resends the decision until everyone acknowledged)",
                n(from),
                if *commit { "commits" } else { "aborts" },
                if *commit { "commit" } else { "abort" },
                if *commit { ", applies the writes" } else { ", discards the writes" },
                n(&COORD)
            ),
            Note::Learns { tx, commit, from } => format!(
                "{me} learns from {}, another participant, that T{tx} {} (cooperative termination: a decision any process logged is final, so a participant may pass it on): it logs '{} T{tx}'{}, and sends an ACK to {} so that it can stop resending",
                n(from),
                if *commit { "commits" } else { "aborts" },
                if *commit { "commit" } else { "abort" },
                if *commit { ", applies the writes" } else { ", discards the writes" },
                n(&COORD)
            ),
            Note::AlreadyKnows { tx, commit, ack } => format!(
                "{me} already {} T{tx}{}",
                if *commit { "committed" } else { "aborted" },
                if *ack { ": it acknowledges again" } else { ": nothing to do" }
            ),
            Note::DecisionAcked { tx, remaining } => format!(
                "{me} records an ACK of the decision on T{tx}; {remaining} participant{} still to acknowledge",
                if *remaining == 1 { "" } else { "s" }
            ),
            Note::Ends { tx } => format!(
                "every participant acknowledged the decision on T{tx}: {me} logs 'end T{tx}' and forgets it"
            ),
            Note::Resends { tx, to } => format!(
                "no ACK yet from {}: {me} sends the decision on T{tx} again",
                list(to)
            ),
            Note::AbortsAlone { tx, why } => match why {
                AbortWhy::Timeout => format!(
                    "{me} waited {t} ms for the vote request on T{tx} in vain; it has not voted, so it may abort on its own: it logs 'abort T{tx}' and will vote NO if asked"
                ),
                AbortWhy::Asked => format!(
                    "{me} is asked about T{tx} before it voted: it aborts (it may, as it never promised YES) and answers ABORT"
                ),
                AbortWhy::Restart => format!(
                    "{me}'s log shows T{tx}'s work but no YES vote: it had not promised anything, so it aborts T{tx}"
                ),
                AbortWhy::Unknown => format!(
                    "{me} is asked to vote on T{tx} but never received its work: it cannot vote YES, so it logs 'abort T{tx}' and votes NO"
                ),
            },
            Note::Blocked { tx, asks, again: true } if three => format!(
                "{me} restarted uncertain on T{tx} and still knows no decision: the 3PC timeout rule no longer applies (the others may have decided meanwhile), so it asks {} again",
                list(asks)
            ),
            Note::Blocked { tx, asks, again: true } => format!(
                "{me} is still blocked on T{tx} (voted YES, no decision known): it asks {} again",
                list(asks)
            ),
            Note::Blocked { tx, asks, .. } => {
                if three {
                    format!("{me} is uncertain about T{tx} and asks {} again", list(asks))
                } else if asks.len() > 1 {
                    format!(
                        "{me} voted YES on T{tx} and heard no decision for {t} ms. It may not decide alone (the coordinator may have decided either way), so it runs the cooperative termination protocol: it asks {} for the decision",
                        list(asks)
                    )
                } else {
                    format!(
                        "{me} is BLOCKED on T{tx}: it voted YES and heard no decision for {t} ms. It may not abort (the coordinator may have committed) nor commit (it may have aborted), so it can only ask the coordinator and wait"
                    )
                }
            }
            Note::AsksAfterRestart { tx, asks } if three => format!(
                "{me} restarted and its log shows a YES vote on T{tx} without a decision: it is uncertain, and while it was down the others may have decided by timeout either way, so it may not apply the timeout rule: it asks {}",
                list(asks)
            ),
            Note::AsksAfterRestart { tx, asks } => format!(
                "{me} restarted and its log shows a YES vote on T{tx} without a decision: it is uncertain and may not decide alone, so it asks {}",
                list(asks)
            ),
            Note::TimeoutAborts { tx } => format!(
                "{me} voted YES on T{tx} but got no PRECOMMIT within {t} ms: by the 3PC rule nobody can have committed yet, so it aborts and logs 'abort T{tx}'"
            ),
            Note::TimeoutCommits { tx } => format!(
                "{me} is pre-committed on T{tx} and heard nothing for {t} ms: by the 3PC rule everyone voted YES, so it commits and logs 'commit T{tx}'"
            ),
            Note::Tells { tx, to, commit } => format!(
                "{me} tells {} that T{tx} {}",
                n(to),
                if *commit { "committed" } else { "aborted" }
            ),
            Note::CannotTell { tx, to, state } => format!(
                "{me} cannot tell {} the decision on T{tx}: it is in {} itself and does not know it",
                n(to),
                state.label()
            ),
            Note::PeerUncertain { tx, from } => format!(
                "{} does not know the decision on T{tx} either: {me} keeps waiting",
                n(from)
            ),
            Note::Ignores {
                tx,
                what,
                from,
                state,
            } => {
                let thing = match from {
                    Some(f) => format!("the {what} on T{tx} from {}", n(f)),
                    None => format!("its {what} on T{tx}"),
                };
                let why = match state {
                    Some(s) => format!("it is in {} on T{tx}, past the step this belongs to", s.label()),
                    None => format!("it holds nothing about T{tx} in memory (finished, or forgotten in a crash)"),
                };
                format!("{me} ignores {thing}: {why}, so there is nothing left to do for it")
            }
            Note::Recovers { tx, state } => match state {
                TxState::Committed | TxState::Aborted => format!(
                    "{me}'s log holds the decision on T{tx} ({}) but no 'end': some participants may not know it, so it sends it again",
                    if *state == TxState::Committed { "commit" } else { "abort" }
                ),
                TxState::Precommit => format!("{me}'s log shows 'precommit T{tx}' without a decision"),
                _ => format!("{me}'s log shows 'begin T{tx}' without a decision"),
            },
            Note::RestartsPrecommitted { tx } => format!(
                "{me}'s log shows 'precommit T{tx}' without a decision: everyone voted YES, so if no decision comes within {t} ms it commits (3PC timeout rule for a pre-committed participant)"
            ),
            Note::KeepsQueue { waiting } => format!(
                "{me}'s queue of client transactions is on disk too: {waiting} transaction{} still wait{}, and the next one starts now (recovery has decided the open ones)",
                if *waiting == 1 { "" } else { "s" },
                if *waiting == 1 { "s" } else { "" }
            ),
            Note::Crashes {
                coordinator,
                records,
                open,
            } => {
                let kept = format!(
                    "its write-ahead log ({records} record{}) is on disk and survives",
                    if *records == 1 { "" } else { "s" }
                );
                let what = open
                    .iter()
                    .map(|(tx, st)| match (coordinator, st) {
                        (true, TxState::Init | TxState::Wait) => format!(
                            "T{tx} is undecided: participants that voted YES are now uncertain and {}",
                            if three {
                                "decide by the 3PC timeout rule"
                            } else {
                                "must wait for coord (2PC blocks)"
                            }
                        ),
                        (true, _) => format!(
                            "T{tx}'s decision is in the log: coord sends it again when it restarts"
                        ),
                        (false, TxState::Init) => format!(
                            "T{tx}: it has not voted, so it may abort T{tx} on its own"
                        ),
                        (false, TxState::Ready) => format!(
                            "T{tx}: it voted YES, so after restarting it may not decide alone and must ask"
                        ),
                        (false, _) => format!(
                            "T{tx}: it was pre-committed, so it commits after restarting unless told otherwise"
                        ),
                    })
                    .collect::<Vec<_>>();
                if what.is_empty() {
                    format!("{me} crashes: {kept}; no transaction was open")
                } else {
                    format!("{me} crashes: {kept}; {}", what.join("; "))
                }
            }
            Note::Restarts { txns } => format!(
                "{me} restarts: its log was on disk and survives; it rebuilds the state of {txns} transaction{} from it (what was only in memory is lost)",
                if *txns == 1 { "" } else { "s" }
            ),
            Note::SetsVote { vote } => format!("{me} will {} from now on", vote_words(*vote)),
            Note::Refuses { why } => match why {
                Refusal::BeginAtParticipant => format!(
                    "{me} is a participant: transactions are started at the coordinator"
                ),
                Refusal::VoteAtCoordinator => {
                    format!("{me} is the coordinator: only participants vote")
                }
                Refusal::BadWrites => format!(
                    "{me} refuses the transaction: up to {MAX_WRITES} writes, keys of 1 to 16 letters, digits or '_', values up to 16 characters"
                ),
            },
        }
    }

    fn properties(&self) -> Vec<Property> {
        vec![
            Property {
                name: AC1,
                description: "AC1 agreement: all processes that decide on a transaction reach the same decision.",
            },
            Property {
                name: AC2,
                description: "AC2: a process never reverses its decision.",
            },
            Property {
                name: AC3,
                description: "AC3: a transaction commits only if every participant voted YES.",
            },
            Property {
                name: AC4,
                description: "AC4: with no failures and every participant voting YES, the decision is commit.",
            },
        ]
    }

    fn checker(&self) -> TxnChecker {
        TxnChecker::new(self.params.participants)
    }

    /// Mostly transactions; now and then a participant changes how it votes (usually to
    /// YES, sometimes to NO or to failing before voting).
    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        if rng.random_range(0..5u32) == 0 {
            let p = NodeId(rng.random_range(1..=self.params.participants));
            let vote = match rng.random_range(0..10u32) {
                0..=4 => Vote::Yes,
                5..=7 => Vote::No,
                _ => Vote::Fail,
            };
            return Some((p, Cmd::SetVote { vote }));
        }
        let v = rng.random_range(0..100u32);
        Some((
            COORD,
            Cmd::Begin {
                writes: [("x".to_string(), v.to_string())].into(),
            },
        ))
    }
}

pub const AC1: &str = "AC1 agreement";
pub const AC2: &str = "AC2 no reversal";
pub const AC3: &str = "AC3 commit needs all YES";
pub const AC4: &str = "AC4 non-triviality";

fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}

fn decision_word(commit: bool, p: &Transactions) -> &'static str {
    match (commit, p.three_phase()) {
        (true, true) => "DOCOMMIT",
        (true, false) => "COMMIT",
        (false, _) => "ABORT",
    }
}

fn vote_words(v: Vote) -> &'static str {
    match v {
        Vote::Yes => "vote YES",
        Vote::No => "vote NO",
        Vote::Fail => "fail (crash) before voting",
    }
}

pub fn show_writes(w: &Writes) -> String {
    w.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The state a narration note puts its process in, for drawing lanes over time.
pub fn note_state(note: &Note) -> Option<(u32, TxState)> {
    Some(match *note {
        Note::Begins { tx } | Note::Works { tx } => (tx, TxState::Init),
        Note::AsksVotes { tx } => (tx, TxState::Wait),
        Note::VotesYes { tx } => (tx, TxState::Ready),
        Note::VotesNo { tx } | Note::AbortsAlone { tx, .. } | Note::TimeoutAborts { tx } => {
            (tx, TxState::Aborted)
        }
        Note::Precommits { tx } | Note::PrecommitReceived { tx } => (tx, TxState::Precommit),
        Note::TimeoutCommits { tx } => (tx, TxState::Committed),
        Note::Decides { tx, commit, .. } | Note::Learns { tx, commit, .. } => (
            tx,
            if commit {
                TxState::Committed
            } else {
                TxState::Aborted
            },
        ),
        _ => return None,
    })
}

/// Checks AC1-AC4 from the write-ahead logs (decisions are what a process logged).
#[derive(Clone, Debug)]
pub struct TxnChecker {
    participants: u32,
    /// How many log records of each process were read already.
    read: Vec<usize>,
    /// Decisions logged: transaction -> process -> commit.
    decisions: BTreeMap<u32, BTreeMap<NodeId, bool>>,
    /// (property, transaction) already reported.
    reported: BTreeSet<(&'static str, u32)>,
    /// A failure happened (a fault, a message lost, a participant failing before voting).
    failure: bool,
    /// Transactions a participant voted NO on (it was set to).
    voted_no: BTreeSet<u32>,
}

impl Checker<Transactions> for TxnChecker {
    fn check(
        &mut self,
        sim: &Sim<Transactions>,
        step: &StepOutcome<Transactions>,
        out: &mut Vec<Violation>,
    ) {
        let rec = &step.record;
        let failed = match &rec.kind {
            StepKind::Action { action, .. } => action.is_fault(),
            StepKind::Drop { .. } => true,
            _ => false,
        } || step
            .messages
            .iter()
            .any(|m| matches!(m.fate, Fate::Dropped { .. }))
            || rec
                .notes
                .iter()
                .any(|n| matches!(n, Note::FailsBeforeVoting { .. }));
        self.failure |= failed;
        for n in &rec.notes {
            if let Note::VotesNo { tx } = n {
                self.voted_no.insert(*tx);
            }
        }
        let Some(me) = rec.node else {
            return;
        };
        let names = sim.names();
        if self.read.len() < names.len() {
            self.read.resize(names.len(), 0);
        }
        let node = sim.node(me);
        let from = self.read[me.index()].min(node.log.len());
        self.read[me.index()] = node.log.len();
        let voted_yes = |p: NodeId, tx: u32| sim.node(p).has(tx, Rec::Yes);
        self.check_records(me, names, &node.log[from..], &voted_yes, out);
    }
}

impl TxnChecker {
    /// A checker for `participants` participants (`n1..`), with nothing seen yet.
    pub fn new(participants: u32) -> Self {
        TxnChecker {
            participants,
            read: Vec::new(),
            decisions: BTreeMap::new(),
            reported: BTreeSet::new(),
            failure: false,
            voted_no: BTreeSet::new(),
        }
    }

    /// Note that a failure happened (AC4 only speaks of failure-free runs).
    pub fn set_failure(&mut self) {
        self.failure = true;
    }

    /// Check log records `me` just wrote: `voted_yes(p, tx)` says whether participant `p`
    /// logged a YES vote on `tx`. Each (property, transaction) is reported once.
    pub fn check_records(
        &mut self,
        me: NodeId,
        names: &[String],
        records: &[LogRecord],
        voted_yes: &dyn Fn(NodeId, u32) -> bool,
        out: &mut Vec<Violation>,
    ) {
        for r in records {
            let commit = match r.rec {
                Rec::Commit => true,
                Rec::Abort => false,
                _ => continue,
            };
            let tx = r.tx;
            let mut report = |prop: &'static str, text: String| {
                if self.reported.insert((prop, tx)) {
                    out.push(Violation::new(prop, text));
                }
            };
            let word = |c: bool| if c { "commit" } else { "abort" };
            let ds = self.decisions.entry(tx).or_default();
            if let Some(&before) = ds.get(&me) {
                if before != commit {
                    report(
                        AC2,
                        format!(
                            "{} decided {} on T{tx} and later {}",
                            name(names, me),
                            word(before),
                            word(commit)
                        ),
                    );
                }
                continue;
            }
            if let Some((&other, &d)) = ds.iter().find(|(_, &d)| d != commit) {
                report(
                    AC1,
                    format!(
                        "{} decided {} on T{tx} but {} decided {}",
                        name(names, me),
                        word(commit),
                        name(names, other),
                        word(d)
                    ),
                );
            }
            ds.insert(me, commit);
            let parts = (1..=self.participants).map(NodeId);
            if commit {
                let missing: Vec<&str> = parts
                    .filter(|p| !voted_yes(*p, tx))
                    .map(|p| name(names, p))
                    .collect();
                if !missing.is_empty() {
                    report(
                        AC3,
                        format!(
                            "{} committed T{tx} but {} never voted YES",
                            name(names, me),
                            missing.join(", ")
                        ),
                    );
                }
            } else if !self.failure && !self.voted_no.contains(&tx) {
                report(
                    AC4,
                    format!(
                        "{} aborted T{tx} although nothing failed and nobody voted NO (are the timeouts shorter than the message delays?)",
                        name(names, me)
                    ),
                );
            }
        }
    }
}

/// Parse what a person typed as a transaction's writes: `key=value` pairs separated by
/// commas, semicolons or spaces, with spaces allowed around `=` (`x = 1, y=2` and
/// `x=1 y=2` both work). Says what is wrong otherwise; the rules are those the
/// coordinator checks.
pub fn parse_writes(text: &str) -> Result<Writes, String> {
    // Glue each `=` to its neighbours, so that `x = 1` reads as `x=1`.
    let mut glued = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '=' {
            while glued.ends_with(char::is_whitespace) {
                glued.pop();
            }
        } else if c.is_whitespace() && glued.ends_with('=') {
            continue;
        }
        glued.push(c);
    }
    let mut w = Writes::new();
    for part in glued
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not of the form key=value (e.g. x=1)"))?;
        if k.is_empty() || k.len() > 16 || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!("`{part}`: a key is 1 to 16 letters, digits or '_'"));
        }
        if v.contains('=') {
            return Err(format!("`{part}`: one '=' per pair (e.g. x=1, y=2)"));
        }
        if v.chars().count() > 16 {
            return Err(format!("`{part}`: a value is at most 16 characters"));
        }
        if w.insert(k.to_string(), v.to_string()).is_some() {
            return Err(format!("`{k}` is written twice: write each key once"));
        }
    }
    if w.is_empty() {
        return Err("write at least one value, e.g. x=1".into());
    }
    if w.len() > MAX_WRITES {
        return Err(format!("at most {MAX_WRITES} writes per transaction"));
    }
    Ok(w)
}

/// A scenario (JSON) with one of the page's options changed: `protocol` (`2pc`/`3pc`),
/// `participants` (2 to 7), `timeout` (50 to 60,000 ms) or `cooperative`. An out-of-range
/// value is refused with a message naming the option. With fewer participants, what the
/// scenario says about the ones that no longer exist is left out (scripted actions, links,
/// vote settings; a partition keeps its other members), and each omission is listed.
pub fn with_option(
    json: &str,
    field: &str,
    value: serde_json::Value,
) -> Result<(String, Vec<String>), String> {
    use serde_json::Value;
    let range = |label: &str, lo: u64, hi: u64, unit: &str| match value.as_u64() {
        Some(x) if (lo..=hi).contains(&x) => Ok(x),
        _ => Err(format!(
            "{label} must be between {lo} and {hi}{unit} (not {})",
            match &value {
                Value::String(s) if s.trim().is_empty() => "empty".to_string(),
                Value::String(s) => format!("`{s}`"),
                v => v.to_string(),
            }
        )),
    };
    let mut keep = 0;
    match field {
        "participants" => keep = range("Participants", 2, 7, "")?,
        "timeout" => {
            range("Timeout", 50, 60_000, " ms")?;
        }
        "protocol" if matches!(value.as_str(), Some("2pc" | "3pc")) => {}
        "protocol" => return Err("Protocol must be 2PC or 3PC".into()),
        "cooperative" if value.is_boolean() => {}
        "cooperative" => return Err("Cooperative termination is on or off".into()),
        _ => return Err(format!("there is no option `{field}`")),
    }
    let mut doc: Value =
        serde_json::from_str(json).map_err(|e| format!("cannot change {field}: {e}"))?;
    if !doc["params"].is_object() {
        doc["params"] = Value::Object(Default::default());
    }
    doc["params"][field] = value.clone();
    let mut dropped = Vec::new();
    if keep > 0 {
        let gone = |v: &Value| {
            v.as_str()
                .and_then(|s| s.strip_prefix('n'))
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|i| i > keep)
        };
        // (`get_mut`, not indexing: indexing would add the missing fields as nulls.)
        if let Some(votes) = doc["params"]
            .get_mut("votes")
            .and_then(Value::as_object_mut)
        {
            let names: Vec<String> = votes
                .keys()
                .filter(|k| gone(&Value::String(k.to_string())))
                .cloned()
                .collect();
            for k in names {
                votes.remove(&k);
                dropped.push(format!("the vote setting of {k}"));
            }
        }
        if let Some(links) = doc
            .get_mut("network")
            .and_then(|n| n.get_mut("links"))
            .and_then(Value::as_array_mut)
        {
            links.retain(|l| {
                let out = gone(&l["from"]) || gone(&l["to"]);
                if out {
                    dropped.push(format!(
                        "the link setting {} -> {}",
                        l["from"].as_str().unwrap_or("?"),
                        l["to"].as_str().unwrap_or("?")
                    ));
                }
                !out
            });
        }
        if let Some(actions) = doc.get_mut("actions").and_then(Value::as_array_mut) {
            actions.retain_mut(|a| {
                let when = match (a.get("at"), a.get("at_step")) {
                    (Some(Value::Number(t)), _) => format!("at t={t}"),
                    (_, Some(Value::Number(s))) => format!("at step {s}"),
                    _ => "scripted".to_string(),
                };
                let Some((kind, body)) = a
                    .get_mut("action")
                    .and_then(Value::as_object_mut)
                    .and_then(|o| o.iter_mut().next())
                else {
                    return true;
                };
                let kind = kind.clone();
                if let Some(groups) = body.get_mut("groups").and_then(Value::as_array_mut) {
                    let mut removed = Vec::new();
                    for g in groups.iter_mut() {
                        if let Some(g) = g.as_array_mut() {
                            g.retain(|n| {
                                let out = gone(n);
                                if out {
                                    removed.push(n.as_str().unwrap_or("?").to_string());
                                }
                                !out
                            });
                        }
                    }
                    groups.retain(|g| g.as_array().is_some_and(|g| !g.is_empty()));
                    if removed.is_empty() {
                        return true;
                    }
                    if groups.len() < 2 {
                        dropped.push(format!(
                            "the {kind} {when} (without {} it splits nothing)",
                            removed.join(", ")
                        ));
                        return false;
                    }
                    dropped.push(format!("{} from the {kind} {when}", removed.join(", ")));
                    return true;
                }
                let named: Vec<String> = ["node", "a", "b", "from", "to"]
                    .iter()
                    .filter_map(|k| body.get(*k))
                    .filter(|v| gone(v))
                    .map(|v| v.as_str().unwrap_or("?").to_string())
                    .collect();
                if named.is_empty() {
                    return true;
                }
                dropped.push(format!("the {kind} of {} {when}", named.join(", ")));
                false
            });
        }
    }
    Ok((doc.to_string(), dropped))
}

/// Transitional: what a crash loses (to become a disk/memory split).
impl crate::protocol::Durable for Node {
    fn crash(&mut self) {
        let node = self;
        // The queue of client requests is on disk: it survives, and runs after recovery.
        node.txns.clear();
        node.active = None;
    }
}
