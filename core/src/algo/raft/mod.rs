//! Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm",
//! extended version), as its Figure 2 states the rules.
//!
//! - Servers `n1..nN` (3 to 9). A server's [`Node`] state is split as Figure 2 splits
//!   it: the persistent state ([`RaftDisk`]: `current_term`, `voted_for`, `log`) is on
//!   disk and survives a crash; the volatile state ([`RaftMem`]: role, `commit_index`,
//!   `last_applied`, the state machine, `next_index`, `match_index`, votes) is in memory,
//!   lost in a crash and rebuilt.
//! - Leader election with randomised election timeouts, RequestVote with the up-to-date
//!   log check (§5.4.1), optional pre-vote (thesis §9.6).
//! - Log replication with AppendEntries: consistency check, follower truncation of
//!   conflicting entries, the leader backing off `nextIndex` (optionally with the
//!   conflict-term hint of §5.3), heartbeats.
//! - Commitment only by counting replicas of current-term entries (§5.4.2). A teaching
//!   toggle, `unsafe_commit_old_terms`, counts older entries too and makes the Figure 8
//!   anomaly reachable.
//! - A key-value state machine; client requests sent to any server are redirected to the
//!   leader it knows and answered once committed and applied.
//!
//! The checker watches the five properties of Figure 3 after every step.
//!
//! The code: `types.rs` (parameters, server state, messages, notes), `handlers/` (the
//! [`Protocol`](crate::protocol::Protocol) impl, with `election.rs` and `replication.rs`
//! by phase), `narration.rs` (the notes in words) and `checker.rs`.

mod checker;
mod handlers;
mod narration;
mod types;

pub use checker::{
    RaftChecker, ELECTION_SAFETY, LEADER_APPEND_ONLY, LEADER_COMPLETENESS, LOG_MATCHING,
    STATE_MACHINE_SAFETY,
};
pub use types::{
    Cmd, Entry, EntryId, Msg, Node, Note, Params, RaftDisk, RaftMem, Refusal, Reject, Role, Timer,
    MAX_TIMER,
};

pub const NAME: &str = "raft";

#[derive(Clone, Debug)]
pub struct Raft {
    params: Params,
}

impl crate::algorithm::Algorithm for Raft {
    const TITLE: &'static str = "Raft";
    const SUMMARY: &'static str = "Leader election, log replication and commitment as in the Raft paper, with crashes, partitions and the five safety properties checked at every step.";
    const BUILTINS: &'static [crate::algorithm::Builtin] = crate::algorithm::builtins!(
        NAME;
        "raft-first-election",
        "raft-leader-crash",
        "raft-partition",
        "raft-divergent-follower",
        "raft-figure8-unsafe",
        "raft-figure8-safe",
        "raft-split-vote",
    );
}

#[cfg(test)]
mod tests;
