//! The transactions page's types: parameters, the processes' state (write-ahead log on
//! disk, transactions in memory), messages, timers, commands and narration notes.

use crate::collections::{VecMap, VecSet};
use crate::protocol::{Durable, NodeState};
use crate::sim::{NodeId, Time};
use serde::{Deserialize, Serialize};

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
    pub votes: VecMap<String, Vote>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            protocol: Variant::TwoPhase,
            participants: 3,
            timeout: 300,
            cooperative: false,
            votes: VecMap::new(),
        }
    }
}

/// A transaction's writes: key -> value.
pub type Writes = VecMap<String, String>;

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
    #[serde(skip_serializing_if = "VecMap::is_empty")]
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
    #[serde(skip_serializing_if = "VecSet::is_empty")]
    pub done: VecSet<NodeId>,
    /// Coordinator: the votes received (participant -> YES).
    #[serde(skip_serializing_if = "VecMap::is_empty")]
    pub votes: VecMap<NodeId, bool>,
    /// Coordinator: acknowledgements of PreCommit (3PC) or of the decision.
    #[serde(skip_serializing_if = "VecSet::is_empty")]
    pub acks: VecSet<NodeId>,
    /// Participant: uncertain and waiting since this time without learning the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_since: Option<Time>,
    /// Participant: restarted while uncertain; asks the others instead of applying a
    /// timeout rule.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recovering: bool,
}

impl Txn {
    pub(super) fn new(state: TxState, since: Time, writes: Writes) -> Self {
        Txn {
            state,
            since,
            writes,
            done: VecSet::new(),
            votes: VecMap::new(),
            acks: VecSet::new(),
            blocked_since: None,
            recovering: false,
        }
    }
}

/// A process's state: the coordinator's or a participant's, each split into what a crash
/// keeps (`disk`) and what it loses (`memory`). Written with its `role`
/// (`{"role": "participant", "disk": .., "memory": ..}`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Node {
    Coordinator(Coordinator),
    Participant(Participant),
}

/// The coordinator's state.
pub type Coordinator = NodeState<CoordinatorDisk, CoordinatorMem>;
/// A participant's state.
pub type Participant = NodeState<ParticipantDisk, ParticipantMem>;

/// What the coordinator keeps on disk: it survives a crash.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoordinatorDisk {
    /// The write-ahead log.
    pub log: Vec<LogRecord>,
    /// Client transactions waiting for the current one to be decided. The queue is what the
    /// client asked for, kept on disk with the log, so a crash delays these transactions but
    /// does not lose them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queue: Vec<Writes>,
}

/// What the coordinator holds in memory: lost in a crash, rebuilt from the log on restart.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CoordinatorMem {
    /// The per-transaction state machines.
    pub txns: VecMap<u32, Txn>,
    /// The transaction it is deciding.
    pub active: Option<u32>,
}

/// What a participant keeps on disk: it survives a crash.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParticipantDisk {
    /// The write-ahead log.
    pub log: Vec<LogRecord>,
    /// How it votes (a setting of the page).
    pub vote: Vote,
    /// The committed values.
    pub data: VecMap<String, String>,
}

/// What a participant holds in memory: lost in a crash, rebuilt from the log on restart.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ParticipantMem {
    /// The per-transaction state machines.
    pub txns: VecMap<u32, Txn>,
}

impl Durable for Node {
    fn crash(&mut self) {
        match self {
            Node::Coordinator(c) => c.crash(),
            Node::Participant(p) => p.crash(),
        }
    }
}

/// What every process has: a write-ahead log on disk and the transactions' state machines
/// in memory.
pub trait Process {
    fn log(&self) -> &[LogRecord];
    fn log_mut(&mut self) -> &mut Vec<LogRecord>;
    fn txns(&self) -> &VecMap<u32, Txn>;
    fn txns_mut(&mut self) -> &mut VecMap<u32, Txn>;

    /// The decision this process logged for `tx`, if any.
    fn logged_decision(&self, tx: u32) -> Option<bool> {
        self.log().iter().find_map(|r| match r.rec {
            Rec::Commit if r.tx == tx => Some(true),
            Rec::Abort if r.tx == tx => Some(false),
            _ => None,
        })
    }

    fn state_of(&self, tx: u32) -> Option<TxState> {
        self.txns().get(&tx).map(|t| t.state)
    }

    fn has(&self, tx: u32, rec: Rec) -> bool {
        self.log().iter().any(|r| r.tx == tx && r.rec == rec)
    }

    fn next_tx(&self) -> u32 {
        self.log().iter().map(|r| r.tx).max().unwrap_or(0) + 1
    }

    fn write_log(&mut self, at: Time, tx: u32, rec: Rec, writes: Writes) {
        self.log_mut().push(LogRecord {
            at,
            tx,
            rec,
            writes,
        });
    }
}

impl Process for Coordinator {
    fn log(&self) -> &[LogRecord] {
        &self.disk.log
    }
    fn log_mut(&mut self) -> &mut Vec<LogRecord> {
        &mut self.disk.log
    }
    fn txns(&self) -> &VecMap<u32, Txn> {
        &self.mem.txns
    }
    fn txns_mut(&mut self) -> &mut VecMap<u32, Txn> {
        &mut self.mem.txns
    }
}

impl Process for Participant {
    fn log(&self) -> &[LogRecord] {
        &self.disk.log
    }
    fn log_mut(&mut self) -> &mut Vec<LogRecord> {
        &mut self.disk.log
    }
    fn txns(&self) -> &VecMap<u32, Txn> {
        &self.mem.txns
    }
    fn txns_mut(&mut self) -> &mut VecMap<u32, Txn> {
        &mut self.mem.txns
    }
}

impl Node {
    fn process(&self) -> &dyn Process {
        match self {
            Node::Coordinator(c) => c,
            Node::Participant(p) => p,
        }
    }

    pub fn is_coordinator(&self) -> bool {
        matches!(self, Node::Coordinator(_))
    }

    pub fn as_coordinator(&self) -> Option<&Coordinator> {
        match self {
            Node::Coordinator(c) => Some(c),
            Node::Participant(_) => None,
        }
    }

    pub fn as_participant(&self) -> Option<&Participant> {
        match self {
            Node::Participant(p) => Some(p),
            Node::Coordinator(_) => None,
        }
    }

    /// The write-ahead log (on disk).
    pub fn log(&self) -> &[LogRecord] {
        self.process().log()
    }

    /// The per-transaction state machines (in memory).
    pub fn txns(&self) -> &VecMap<u32, Txn> {
        self.process().txns()
    }

    /// Participant: how it votes (`None` for the coordinator).
    pub fn vote(&self) -> Option<Vote> {
        self.as_participant().map(|p| p.disk.vote)
    }

    /// Coordinator: the client transactions waiting in its queue (none at a participant).
    pub fn queue(&self) -> &[Writes] {
        self.as_coordinator().map_or(&[], |c| &c.disk.queue)
    }

    /// The decision this process logged for `tx`, if any.
    pub fn logged_decision(&self, tx: u32) -> Option<bool> {
        self.process().logged_decision(tx)
    }

    pub fn state_of(&self, tx: u32) -> Option<TxState> {
        self.process().state_of(tx)
    }

    pub fn has(&self, tx: u32, rec: Rec) -> bool {
        self.process().has(tx, rec)
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

impl Msg {
    /// The transaction the message is about.
    pub fn tx(&self) -> u32 {
        match *self {
            Msg::Work { tx, .. }
            | Msg::WorkDone { tx }
            | Msg::Prepare { tx }
            | Msg::Vote { tx, .. }
            | Msg::Precommit { tx }
            | Msg::PrecommitAck { tx }
            | Msg::Decision { tx, .. }
            | Msg::DecisionAck { tx }
            | Msg::Ask { tx }
            | Msg::Uncertain { tx } => tx,
        }
    }
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

pub const MAX_WRITES: usize = 8;
