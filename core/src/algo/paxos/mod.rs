//! Paxos (Lamport, "Paxos Made Simple", 2001): single-decree Paxos (§2) and Multi-Paxos
//! (§3, "Implementing a State Machine").
//!
//! - Roles: proposers, acceptors (3 to 9) and learners, on nodes of their own or
//!   colocated (a node plays several). Nodes are `n1..nN`; ballots are (round, proposer)
//!   pairs, written `7.n2`.
//! - Phase 1: a proposer sends Prepare(b); an acceptor that promised nothing higher
//!   promises b and reports the ballot and value it last accepted (§2.2, (a)/(b) of the
//!   proposer's and acceptor's rules). With a majority of promises the proposer must
//!   propose the value of the highest ballot reported, or its own if none was (P2c).
//! - Phase 2: Accept(b, v); an acceptor accepts unless it promised a higher ballot, and
//!   sends Accepted(b, v) to the proposer and every learner (§2.3). A value is chosen
//!   when a majority accepted it in one ballot; the checker records at which step.
//! - An acceptor's promise and accepted values are on disk and survive a crash; a
//!   proposer keeps its last round on disk so it never reuses a ballot. A crash loses
//!   what is in flight and in memory.
//! - A beaten or timed-out ballot is retried with a higher one, at once or after a
//!   random, growing back-off (dueling proposers can livelock without it, §2.4).
//! - Multi-Paxos (§3): a log of slots. A leader runs phase 1 once for every slot it has
//!   not seen chosen, proposes again the highest-ballot value reported in each, fills the
//!   holes with no-ops, then runs only phase 2 per client command. With leader election,
//!   the leader sends heartbeats and a proposer that hears none runs phase 1; every node
//!   learns who leads from them (it is never configured). Learners are the replicas: they
//!   apply chosen commands in slot order with no gaps and ask the leader for slots they
//!   missed.
//! - Teaching toggles: `unsafe_forget_promise` (an acceptor keeps its promise in memory
//!   only) and `unsafe_ignore_promises` (a proposer ignores the reported values).
//!
//! The code: `types.rs` (parameters, state, messages, notes), `handlers/` (the
//! [`Protocol`](crate::protocol::Protocol) impl, with `proposer.rs`, `acceptor.rs` and
//! `learner.rs` by role), `narration.rs` (the notes in words) and `checker.rs` (the safety
//! properties, what was chosen when, and the livelock observation).

mod checker;
mod handlers;
mod narration;
mod types;

pub use checker::{
    Chosen, Livelock, PaxosChecker, Votes, ACCEPTED_WITHIN_PROMISE, AGREEMENT, LEARNED_ONLY_CHOSEN,
    LIVELOCK_RISES, ONE_VALUE_PER_BALLOT, PROMISE_NEVER_DECREASES, SAME_COMMAND_PER_SLOT,
    SLOT_ORDER, VALIDITY,
};
pub use types::{
    Accepted, AcceptorDisk, AcceptorMem, Adopted, Applied, Ballot, Cmd, Disk, Learned, LearnerDisk,
    LearnerMem, Mem, Msg, Node, Note, Params, Phase, PrepareWhy, Proposal, ProposerDisk,
    ProposerMem, Refused, Report, Roles, Timer, Value, MAX_VALUE_CHARS,
};

pub const NAME: &str = "paxos";

#[derive(Clone, Debug)]
pub struct Paxos {
    params: Params,
}

impl crate::algorithm::Algorithm for Paxos {
    const TITLE: &'static str = "Paxos";
    const SUMMARY: &'static str = "Single-decree Paxos and Multi-Paxos: proposers, acceptors and learners, ballots, promises and the value that must be adopted, dueling proposers, and leader failover with holes filled by no-ops.";
    const BUILTINS: &'static [crate::algorithm::Builtin] = crate::algorithm::builtins!(
        NAME;
        "paxos-happy",
        "paxos-late-proposer",
        "paxos-minority-accepted",
        "paxos-dueling",
        "paxos-acceptors-down",
        "paxos-multi-failover",
        "paxos-unsafe-forget-promise",
        "paxos-unsafe-ignore-promises",
    );
}

#[cfg(test)]
mod tests;
