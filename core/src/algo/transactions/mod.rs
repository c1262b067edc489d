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
//! The rules are those of Bernstein, Hadzilacos and Goodman, *Concurrency Control and
//! Recovery in Database Systems* (1987), chapter 7: 2PC with its timeout actions,
//! cooperative termination and recovery from the log, 3PC with its timeout and recovery
//! rules, and the atomic commitment properties AC1-AC4 checked here.
//!
//! Every process has a write-ahead log on disk that survives a crash. Its state says so:
//! the coordinator ([`Coordinator`]) keeps its log and the queue of client transactions on
//! disk ([`CoordinatorDisk`]) and holds the per-transaction state machines and the
//! transaction it is deciding in memory ([`CoordinatorMem`]); a participant
//! ([`Participant`]) keeps its log, its vote setting and the committed values on disk
//! ([`ParticipantDisk`]) and its per-transaction state machines in memory
//! ([`ParticipantMem`]). A crash loses the memory; on restart it is rebuilt from the log.
//!
//! Layout: `types.rs` (parameters, process state, messages, timers, commands, notes),
//! `handlers/` (the `Protocol` impl; `coordinator.rs` and `participant.rs` by role),
//! `narration.rs` (the words), `checker.rs` (AC1-AC4), `options.rs` (what a person types on
//! the page, and the parameters with another number of participants).

mod checker;
mod handlers;
mod narration;
mod options;
mod types;

pub use checker::{TxnChecker, AC1, AC2, AC3, AC4};
pub use narration::{note_state, show_writes};
pub use options::{parse_option, parse_writes};
pub use types::{
    AbortWhy, Cmd, Coordinator, CoordinatorDisk, CoordinatorMem, DecideWhy, LogRecord, Msg, Node,
    Note, Params, Participant, ParticipantDisk, ParticipantMem, Process, Rec, Refusal, Timer,
    TxState, Txn, Variant, Vote, Writes, MAX_WRITES,
};

use crate::collections::VecMap;
use crate::sim::NodeId;

pub const NAME: &str = "transactions";

/// The coordinator's id; participants are 1..=N.
pub const COORD: NodeId = NodeId(0);

#[derive(Clone, Debug)]
pub struct Transactions {
    params: Params,
    /// Vote settings by participant id.
    initial_votes: VecMap<NodeId, Vote>,
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
