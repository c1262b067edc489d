//! Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm",
//! extended version), as its Figure 2 states the rules.
//!
//! - Servers `n1..nN` (3 to 9). Persistent state (`current_term`, `voted_for`, `log`)
//!   survives a crash; volatile state (role, `commit_index`, `last_applied`, the state
//!   machine, `next_index`, `match_index`, votes) is lost and rebuilt.
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

use crate::invariant::{Checker, Property, Violation};
use crate::protocol::{Ctx, NodeFault, ParamError, Protocol};
use crate::sim::{NodeId, Sim, Time};
use crate::trace::StepOutcome;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const NAME: &str = "raft";

/// The longest election timer a person can set by hand (ms).
pub const MAX_TIMER: Time = 60_000;

/// Parameters of the Raft page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Number of servers, 3 to 9.
    pub servers: u32,
    /// Election timeout, drawn uniformly from `[min, max]` ms each time it is reset.
    pub election_timeout: [Time; 2],
    /// How often a leader sends AppendEntries when it has nothing new (ms).
    pub heartbeat_interval: Time,
    /// Pre-vote: a server first asks whether it could win before it raises its term.
    pub pre_vote: bool,
    /// Followers that reject AppendEntries tell the leader the conflicting term and its
    /// first index, so the leader skips a whole term at a time.
    pub conflict_hint: bool,
    /// UNSAFE, for teaching: a leader commits entries of earlier terms by counting
    /// replicas too (Figure 8 shows why Raft forbids it).
    pub unsafe_commit_old_terms: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            servers: 5,
            election_timeout: [150, 300],
            heartbeat_interval: 50,
            pre_vote: false,
            conflict_hint: false,
            unsafe_commit_old_terms: false,
        }
    }
}

/// A log entry: the term it was created in and a key-value command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub term: u64,
    pub key: String,
    pub value: String,
    /// The server the client sent the request to, and its number there.
    pub client: NodeId,
    pub seq: u32,
}

impl Entry {
    /// What identifies an entry: its term and the client request it carries.
    pub fn id(&self) -> EntryId {
        (self.term, self.client, self.seq)
    }

    /// The command in short (`x=3`).
    pub fn command(&self) -> String {
        format!("{}={}", self.key, self.value)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Follower,
    /// Asking for pre-votes before raising its term.
    PreCandidate,
    Candidate,
    Leader,
}

impl Role {
    /// The role with its article: "the leader", "a follower".
    pub fn with_article(self) -> String {
        match self {
            Role::Leader => "the leader".to_string(),
            r => format!("a {}", r.word()),
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre-candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// A server's state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    // Persistent: survives a crash.
    pub current_term: u64,
    pub voted_for: Option<NodeId>,
    /// Entries; index 1 is `log[0]`.
    pub log: Vec<Entry>,
    /// Numbers the client requests this server received.
    pub next_seq: u32,
    // Volatile: lost in a crash.
    pub role: Role,
    /// The leader of the current term, when known.
    pub leader: Option<NodeId>,
    pub commit_index: u64,
    pub last_applied: u64,
    /// The key-value state machine.
    pub kv: BTreeMap<String, String>,
    /// The client requests (server, number) the state machine has applied, so a request
    /// that reached the log twice changes it once.
    pub applied_requests: BTreeSet<(NodeId, u32)>,
    /// Votes (or pre-votes) received in the current election.
    pub votes: BTreeSet<NodeId>,
    /// Leader only: per server, the next index to send (index by server id).
    pub next_index: Vec<u64>,
    /// Leader only: per server, the highest index known replicated there.
    pub match_index: Vec<u64>,
    /// When the election timer was last set, and when it fires (none for a leader or
    /// after a crash).
    pub timer_set_at: Option<Time>,
    pub timer_due: Option<Time>,
    /// When this server last heard from a current leader (pre-vote uses it).
    pub heard_leader_at: Option<Time>,
}

impl Node {
    pub fn last_index(&self) -> u64 {
        self.log.len() as u64
    }

    pub fn last_term(&self) -> u64 {
        self.log.last().map_or(0, |e| e.term)
    }

    /// The term of the entry at `index` (0 for index 0), if there is one.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == 0 {
            Some(0)
        } else {
            self.log.get(index as usize - 1).map(|e| e.term)
        }
    }

    pub fn entry(&self, index: u64) -> Option<&Entry> {
        index.checked_sub(1).and_then(|i| self.log.get(i as usize))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Msg {
    RequestVote {
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
        /// A pre-vote request: `term` is the term the sender would stand in.
        pre_vote: bool,
    },
    RequestVoteReply {
        term: u64,
        granted: bool,
        pre_vote: bool,
    },
    AppendEntries {
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Vec<Entry>,
        leader_commit: u64,
    },
    AppendEntriesReply {
        term: u64,
        success: bool,
        /// On success, the index of the last entry the request covered; on failure, the
        /// `prev_log_index` that did not match.
        index: u64,
        /// With the conflict hint: the term of the conflicting entry (none when the log is
        /// too short) and the first index the follower holds for that term (or its log
        /// length + 1).
        #[serde(skip_serializing_if = "Option::is_none")]
        conflict_term: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        conflict_index: Option<u64>,
    },
    /// A client request a follower passes on to the leader it knows.
    ClientRequest {
        key: String,
        value: String,
        client: NodeId,
        seq: u32,
        hops: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Timer {
    Election,
    Heartbeat,
}

/// Commands a person or a script gives a server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cmd {
    /// A client asks this server to set `key` to `value`.
    Client { key: String, value: String },
    /// The election timer fires now.
    Timeout,
    /// Set the election timer to fire exactly `after` ms from now (align or spread the
    /// timers by hand).
    SetTimer { after: Time },
}

/// Why a vote was refused.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum Refusal {
    /// The candidate's term is behind this server's.
    StaleTerm { mine: u64 },
    /// Already voted for someone else in this term.
    AlreadyVoted { other: NodeId },
    /// The candidate's log is less up to date.
    LogBehind {
        their_term: u64,
        their_index: u64,
        my_term: u64,
        my_index: u64,
    },
    /// Pre-vote: this server heard from a leader within the minimum election timeout.
    LeaderAlive { leader: NodeId },
}

/// Why AppendEntries was rejected.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum Reject {
    StaleTerm {
        mine: u64,
    },
    /// No entry at `prev_log_index`.
    Missing {
        prev_index: u64,
        last: u64,
    },
    /// The entry at `prev_log_index` has another term.
    TermMismatch {
        prev_index: u64,
        prev_term: u64,
        mine: u64,
    },
}

/// Narration, as data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "note")]
pub enum Note {
    /// The server crashes: what it keeps and what it loses.
    Crashes {
        role: Role,
        term: u64,
        entries: u64,
        commit: u64,
    },
    /// The server is frozen (or runs again) in this role.
    Pauses {
        role: Role,
        term: u64,
    },
    Resumes {
        role: Role,
        term: u64,
    },
    /// The election timer fired (or was forced): start an election.
    StartsElection {
        term: u64,
        forced: bool,
        was: Role,
    },
    StartsPreVote {
        term: u64,
        forced: bool,
    },
    /// Won the pre-vote: now a real election.
    PreVoteWon {
        term: u64,
        votes: Vec<NodeId>,
    },
    /// A message with a higher term: adopt it, become a follower.
    NewTerm {
        from: NodeId,
        old: u64,
        new: u64,
        was: Role,
    },
    GrantsVote {
        candidate: NodeId,
        term: u64,
        pre_vote: bool,
    },
    RefusesVote {
        candidate: NodeId,
        term: u64,
        pre_vote: bool,
        refusal: Refusal,
    },
    GotVote {
        from: NodeId,
        term: u64,
        pre_vote: bool,
        votes: u32,
        needed: u32,
    },
    VoteDenied {
        from: NodeId,
        term: u64,
        pre_vote: bool,
    },
    BecomesLeader {
        term: u64,
        votes: Vec<NodeId>,
        next: u64,
    },
    SendsAppend {
        term: u64,
        heartbeat: bool,
        with_entries: Vec<NodeId>,
    },
    /// A candidate hears from the leader of its term.
    AcceptsLeader {
        leader: NodeId,
        term: u64,
    },
    Heartbeat {
        leader: NodeId,
        term: u64,
    },
    RejectsAppend {
        leader: NodeId,
        reject: Reject,
    },
    Truncates {
        index: u64,
        removed: u64,
        mine: u64,
        theirs: u64,
    },
    Appends {
        leader: NodeId,
        first: u64,
        last: u64,
    },
    AlreadyHas {
        leader: NodeId,
        last: u64,
    },
    FollowerCommits {
        from: u64,
        to: u64,
        leader_commit: u64,
    },
    Applies {
        index: u64,
        term: u64,
        key: String,
        value: String,
    },
    AnswersClient {
        client: NodeId,
        seq: u32,
        index: u64,
    },
    Acked {
        from: NodeId,
        match_index: u64,
    },
    BacksOff {
        from: NodeId,
        next: u64,
        hint: bool,
    },
    /// A vote arriving after the election was won.
    VoteAfterWin {
        from: NodeId,
        term: u64,
        pre_vote: bool,
        granted: bool,
    },
    /// A reply from an earlier term, or to an old request.
    StaleReply {
        from: NodeId,
        term: u64,
    },
    LeaderCommits {
        from: u64,
        to: u64,
        term: u64,
        holders: Vec<NodeId>,
        unsafe_rule: bool,
    },
    /// An entry of an earlier term is on a majority but cannot be committed by counting.
    CannotCommitOldTerm {
        index: u64,
        term: u64,
    },
    ClientAppended {
        index: u64,
        key: String,
        value: String,
    },
    ClientRedirected {
        leader: NodeId,
    },
    /// A leader receives a client request already in its log.
    DuplicateRequest {
        client: NodeId,
        seq: u32,
        index: u64,
    },
    /// A committed entry carrying a request the state machine already applied.
    SkipsDuplicate {
        index: u64,
        client: NodeId,
        seq: u32,
    },
    ClientRefused {
        hops: u32,
    },
    LeaderIgnoresTimeout,
    /// A client command with an empty or over-long key or value.
    BadCommand,
    BadTimer {
        after: Time,
    },
    TimerSet {
        after: Time,
    },
    Restarts {
        term: u64,
        entries: u64,
    },
}

#[derive(Clone, Debug)]
pub struct Raft {
    params: Params,
}

impl Raft {
    fn majority(&self) -> u32 {
        self.params.servers / 2 + 1
    }

    fn peers(&self, me: NodeId) -> impl Iterator<Item = NodeId> {
        (0..self.params.servers)
            .map(NodeId)
            .filter(move |&n| n != me)
    }

    fn arm_election(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let [lo, hi] = self.params.election_timeout;
        let d = ctx.random_range(lo..=hi);
        self.arm_exact(node, d, ctx);
    }

    fn arm_exact(&self, node: &mut Node, d: Time, ctx: &mut Ctx<Self>) {
        ctx.set_timer(Timer::Election, d..=d);
        node.timer_set_at = Some(ctx.now());
        node.timer_due = Some(ctx.now().saturating_add(d));
    }

    /// Adopt a higher term seen in a message from `from` (rule for all servers).
    fn observe_term(&self, node: &mut Node, term: u64, from: NodeId, ctx: &mut Ctx<Self>) {
        if term <= node.current_term {
            return;
        }
        let was = node.role;
        ctx.note(Note::NewTerm {
            from,
            old: node.current_term,
            new: term,
            was,
        });
        node.current_term = term;
        node.voted_for = None;
        node.leader = None;
        node.votes.clear();
        if was == Role::Leader {
            ctx.cancel_timer(Timer::Heartbeat);
            node.next_index.clear();
            node.match_index.clear();
            node.role = Role::Follower;
            self.arm_election(node, ctx);
        } else {
            node.role = Role::Follower;
        }
    }

    fn start_election(&self, node: &mut Node, forced: bool, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        if self.params.pre_vote {
            node.role = Role::PreCandidate;
            node.votes = [me].into();
            node.leader = None;
            let term = node.current_term + 1;
            ctx.note(Note::StartsPreVote { term, forced });
            ctx.send_all(
                self.peers(me),
                Msg::RequestVote {
                    term,
                    last_log_index: node.last_index(),
                    last_log_term: node.last_term(),
                    pre_vote: true,
                },
            );
            self.arm_election(node, ctx);
        } else {
            let was = node.role;
            self.become_candidate(node, ctx);
            ctx.note(Note::StartsElection {
                term: node.current_term,
                forced,
                was,
            });
        }
    }

    fn become_candidate(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        node.current_term += 1;
        node.role = Role::Candidate;
        node.voted_for = Some(me);
        node.votes = [me].into();
        node.leader = None;
        ctx.send_all(
            self.peers(me),
            Msg::RequestVote {
                term: node.current_term,
                last_log_index: node.last_index(),
                last_log_term: node.last_term(),
                pre_vote: false,
            },
        );
        self.arm_election(node, ctx);
    }

    fn become_leader(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        node.role = Role::Leader;
        node.leader = Some(me);
        let n = self.params.servers as usize;
        let next = node.last_index() + 1;
        node.next_index = vec![next; n];
        node.match_index = vec![0; n];
        node.match_index[me.index()] = node.last_index();
        ctx.cancel_timer(Timer::Election);
        node.timer_set_at = None;
        node.timer_due = None;
        ctx.note(Note::BecomesLeader {
            term: node.current_term,
            votes: node.votes.iter().copied().collect(),
            next,
        });
        self.broadcast_append(node, ctx);
    }

    /// The AppendEntries a leader sends `to` now, from its `next_index`.
    fn append_for(&self, node: &Node, to: NodeId) -> Msg {
        let next = node.next_index[to.index()].clamp(1, node.last_index() + 1);
        let prev = next - 1;
        Msg::AppendEntries {
            term: node.current_term,
            prev_log_index: prev,
            prev_log_term: node.term_at(prev).unwrap_or(0),
            entries: node.log[prev as usize..].to_vec(),
            leader_commit: node.commit_index,
        }
    }

    /// Send AppendEntries to every follower (a heartbeat for those up to date) and re-arm
    /// the heartbeat timer.
    fn broadcast_append(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let mut with_entries = Vec::new();
        for p in self.peers(me) {
            let m = self.append_for(node, p);
            if matches!(&m, Msg::AppendEntries { entries, .. } if !entries.is_empty()) {
                with_entries.push(p);
            }
            ctx.send(p, m);
        }
        ctx.note(Note::SendsAppend {
            term: node.current_term,
            heartbeat: with_entries.is_empty(),
            with_entries,
        });
        let h = self.params.heartbeat_interval;
        ctx.set_timer(Timer::Heartbeat, h..=h);
    }

    /// Apply committed entries to the state machine; a leader answers the clients of
    /// entries it created in its term.
    fn apply(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        while node.last_applied < node.commit_index {
            node.last_applied += 1;
            let Some(e) = node.entry(node.last_applied).cloned() else {
                break;
            };
            if !node.applied_requests.insert((e.client, e.seq)) {
                ctx.note(Note::SkipsDuplicate {
                    index: node.last_applied,
                    client: e.client,
                    seq: e.seq,
                });
                continue;
            }
            node.kv.insert(e.key.clone(), e.value.clone());
            ctx.note(Note::Applies {
                index: node.last_applied,
                term: e.term,
                key: e.key,
                value: e.value,
            });
            if node.role == Role::Leader && e.term == node.current_term {
                ctx.note(Note::AnswersClient {
                    client: e.client,
                    seq: e.seq,
                    index: node.last_applied,
                });
            }
        }
    }

    /// Leader: commit the highest index stored on a majority (and from the current term,
    /// unless the unsafe rule is on).
    fn advance_commit(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let mut sorted = node.match_index.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let on_majority = sorted[self.majority() as usize - 1];
        if on_majority <= node.commit_index {
            return;
        }
        let unsafe_rule = self.params.unsafe_commit_old_terms;
        // The highest N on a majority whose entry is from the current term.
        let target = if unsafe_rule {
            Some(on_majority)
        } else {
            (node.commit_index + 1..=on_majority)
                .rev()
                .find(|&i| node.term_at(i) == Some(node.current_term))
        };
        match target {
            Some(to) => {
                let from = node.commit_index + 1;
                let holders = node
                    .match_index
                    .iter()
                    .enumerate()
                    .filter(|(_, &m)| m >= to)
                    .map(|(i, _)| NodeId(i as u32))
                    .collect();
                node.commit_index = to;
                ctx.note(Note::LeaderCommits {
                    from,
                    to,
                    term: node.current_term,
                    holders,
                    unsafe_rule: unsafe_rule && node.term_at(to) != Some(node.current_term),
                });
                self.apply(node, ctx);
            }
            None => ctx.note(Note::CannotCommitOldTerm {
                index: on_majority,
                term: node.term_at(on_majority).unwrap_or(0),
            }),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_request_vote(
        &self,
        node: &mut Node,
        from: NodeId,
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
        pre_vote: bool,
        ctx: &mut Ctx<Self>,
    ) {
        if !pre_vote {
            self.observe_term(node, term, from, ctx);
        }
        let up_to_date = (last_log_term, last_log_index) >= (node.last_term(), node.last_index());
        let refusal = if term < node.current_term || (pre_vote && term == node.current_term) {
            Some(Refusal::StaleTerm {
                mine: node.current_term,
            })
        } else if !up_to_date {
            Some(Refusal::LogBehind {
                their_term: last_log_term,
                their_index: last_log_index,
                my_term: node.last_term(),
                my_index: node.last_index(),
            })
        } else if pre_vote {
            let recent = node.heard_leader_at.is_some_and(|t| {
                ctx.now() < t.saturating_add(self.params.election_timeout[0])
                    && node.leader.is_some()
            });
            match (recent, node.leader, node.role) {
                (_, Some(l), Role::Leader) => Some(Refusal::LeaderAlive { leader: l }),
                (true, Some(l), _) => Some(Refusal::LeaderAlive { leader: l }),
                _ => None,
            }
        } else {
            match node.voted_for {
                Some(other) if other != from => Some(Refusal::AlreadyVoted { other }),
                _ => None,
            }
        };
        let granted = refusal.is_none();
        match refusal {
            None => {
                ctx.note(Note::GrantsVote {
                    candidate: from,
                    term,
                    pre_vote,
                });
                if !pre_vote {
                    node.voted_for = Some(from);
                    // Granting a vote resets the election timer.
                    self.arm_election(node, ctx);
                }
            }
            Some(refusal) => ctx.note(Note::RefusesVote {
                candidate: from,
                term,
                pre_vote,
                refusal,
            }),
        }
        ctx.send(
            from,
            Msg::RequestVoteReply {
                // A granted pre-vote carries the term it was asked for; every other reply
                // carries this server's own term, so a candidate behind it catches up.
                term: if pre_vote && granted {
                    term
                } else {
                    node.current_term
                },
                granted,
                pre_vote,
            },
        );
    }

    fn on_vote_reply(
        &self,
        node: &mut Node,
        from: NodeId,
        term: u64,
        granted: bool,
        pre_vote: bool,
        ctx: &mut Ctx<Self>,
    ) {
        let me = ctx.me();
        if pre_vote {
            if !granted && term > node.current_term {
                // Refused by a server in a newer term: catch up with it.
                self.observe_term(node, term, from, ctx);
                return;
            }
            if node.role != Role::PreCandidate {
                if granted
                    && term == node.current_term
                    && matches!(node.role, Role::Candidate | Role::Leader)
                {
                    ctx.note(Note::VoteAfterWin {
                        from,
                        term,
                        pre_vote: true,
                        granted,
                    });
                } else {
                    ctx.note(Note::StaleReply { from, term });
                }
                return;
            }
            if granted && term != node.current_term + 1 {
                ctx.note(Note::StaleReply { from, term });
                return;
            }
        } else {
            let before = node.current_term;
            self.observe_term(node, term, from, ctx);
            if node.current_term != before {
                // A newer term: this server just stepped down; the reply needs no more.
                return;
            }
            if node.role == Role::Leader && term == node.current_term {
                ctx.note(Note::VoteAfterWin {
                    from,
                    term,
                    pre_vote: false,
                    granted,
                });
                return;
            }
            if node.role != Role::Candidate || term != node.current_term {
                ctx.note(Note::StaleReply { from, term });
                return;
            }
        }
        if !granted {
            ctx.note(Note::VoteDenied {
                from,
                term,
                pre_vote,
            });
            return;
        }
        node.votes.insert(from);
        let votes = node.votes.len() as u32;
        ctx.note(Note::GotVote {
            from,
            term,
            pre_vote,
            votes,
            needed: self.majority(),
        });
        if votes >= self.majority() {
            if pre_vote {
                ctx.note(Note::PreVoteWon {
                    term,
                    votes: node.votes.iter().copied().collect(),
                });
                self.become_candidate(node, ctx);
            } else {
                self.become_leader(node, ctx);
            }
        }
        let _ = me;
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append(
        &self,
        node: &mut Node,
        from: NodeId,
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Vec<Entry>,
        leader_commit: u64,
        ctx: &mut Ctx<Self>,
    ) {
        let reply =
            |ctx: &mut Ctx<Self>, node: &Node, success, index, hint: Option<(Option<u64>, u64)>| {
                ctx.send(
                    from,
                    Msg::AppendEntriesReply {
                        term: node.current_term,
                        success,
                        index,
                        conflict_term: hint.and_then(|h| h.0),
                        conflict_index: hint.map(|h| h.1),
                    },
                )
            };
        self.observe_term(node, term, from, ctx);
        if term < node.current_term {
            ctx.note(Note::RejectsAppend {
                leader: from,
                reject: Reject::StaleTerm {
                    mine: node.current_term,
                },
            });
            reply(ctx, node, false, prev_log_index, None);
            return;
        }
        // A current leader: follow it and reset the election timer.
        if node.role != Role::Follower {
            node.role = Role::Follower;
            node.votes.clear();
            ctx.note(Note::AcceptsLeader { leader: from, term });
        }
        node.leader = Some(from);
        node.heard_leader_at = Some(ctx.now());
        self.arm_election(node, ctx);
        // Consistency check.
        match node.term_at(prev_log_index) {
            None => {
                ctx.note(Note::RejectsAppend {
                    leader: from,
                    reject: Reject::Missing {
                        prev_index: prev_log_index,
                        last: node.last_index(),
                    },
                });
                let hint = self
                    .params
                    .conflict_hint
                    .then_some((None, node.last_index() + 1));
                reply(ctx, node, false, prev_log_index, hint);
                return;
            }
            Some(t) if t != prev_log_term => {
                ctx.note(Note::RejectsAppend {
                    leader: from,
                    reject: Reject::TermMismatch {
                        prev_index: prev_log_index,
                        prev_term: prev_log_term,
                        mine: t,
                    },
                });
                let hint = self.params.conflict_hint.then(|| {
                    let first = (1..=prev_log_index)
                        .find(|&i| node.term_at(i) == Some(t))
                        .unwrap_or(prev_log_index);
                    (Some(t), first)
                });
                reply(ctx, node, false, prev_log_index, hint);
                return;
            }
            Some(_) => {}
        }
        if entries.is_empty() {
            ctx.note(Note::Heartbeat { leader: from, term });
        }
        let last_new = prev_log_index + entries.len() as u64;
        let mut first_appended = None;
        for (k, e) in entries.into_iter().enumerate() {
            let index = prev_log_index + 1 + k as u64;
            match node.term_at(index) {
                Some(t) if t == e.term => continue,
                Some(t) => {
                    let removed = node.last_index() - index + 1;
                    node.log.truncate(index as usize - 1);
                    ctx.note(Note::Truncates {
                        index,
                        removed,
                        mine: t,
                        theirs: e.term,
                    });
                }
                None => {}
            }
            first_appended.get_or_insert(index);
            node.log.push(e);
        }
        match first_appended {
            Some(first) => ctx.note(Note::Appends {
                leader: from,
                first,
                last: last_new,
            }),
            None if last_new > prev_log_index => ctx.note(Note::AlreadyHas {
                leader: from,
                last: last_new,
            }),
            None => {}
        }
        if leader_commit > node.commit_index {
            let to = leader_commit.min(last_new);
            if to > node.commit_index {
                ctx.note(Note::FollowerCommits {
                    from: node.commit_index + 1,
                    to,
                    leader_commit,
                });
                node.commit_index = to;
                self.apply(node, ctx);
            }
        }
        reply(ctx, node, true, last_new, None);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_reply(
        &self,
        node: &mut Node,
        from: NodeId,
        term: u64,
        success: bool,
        index: u64,
        conflict_term: Option<u64>,
        conflict_index: Option<u64>,
        ctx: &mut Ctx<Self>,
    ) {
        self.observe_term(node, term, from, ctx);
        if node.role != Role::Leader || term != node.current_term {
            ctx.note(Note::StaleReply { from, term });
            return;
        }
        let f = from.index();
        if success {
            if index > node.match_index[f] {
                node.match_index[f] = index;
            }
            node.next_index[f] = node.next_index[f].max(node.match_index[f] + 1);
            ctx.note(Note::Acked {
                from,
                match_index: node.match_index[f],
            });
            self.advance_commit(node, ctx);
            if node.next_index[f] <= node.last_index() {
                let m = self.append_for(node, from);
                ctx.send(from, m);
            }
        } else {
            if index + 1 != node.next_index[f] || index <= node.match_index[f] {
                // A reply to an older request: nextIndex has moved since it was sent.
                ctx.note(Note::StaleReply { from, term });
                return;
            }
            let hinted = match (conflict_term, conflict_index) {
                (Some(ct), Some(ci)) => {
                    // After the leader's last entry of that term, or the follower's first.
                    let last_of = (1..=node.last_index())
                        .rev()
                        .find(|&i| node.term_at(i) == Some(ct));
                    Some(last_of.map_or(ci, |i| i + 1))
                }
                (None, Some(ci)) => Some(ci),
                _ => None,
            };
            let next = hinted
                .unwrap_or(index)
                .min(index)
                .max(node.match_index[f] + 1)
                .max(1);
            node.next_index[f] = next;
            ctx.note(Note::BacksOff {
                from,
                next,
                hint: hinted.is_some(),
            });
            let m = self.append_for(node, from);
            ctx.send(from, m);
        }
    }

    /// A client request reaching this server (from a client or redirected by a follower).
    #[allow(clippy::too_many_arguments)]
    fn client_request(
        &self,
        node: &mut Node,
        key: String,
        value: String,
        client: NodeId,
        seq: u32,
        hops: u32,
        ctx: &mut Ctx<Self>,
    ) {
        let me = ctx.me();
        if node.role == Role::Leader {
            // The same request twice (the network duplicated it, or it was redirected
            // along two paths): one entry is enough.
            if let Some(k) = node
                .log
                .iter()
                .position(|e| e.client == client && e.seq == seq)
            {
                ctx.note(Note::DuplicateRequest {
                    client,
                    seq,
                    index: k as u64 + 1,
                });
                return;
            }
            node.log.push(Entry {
                term: node.current_term,
                key: key.clone(),
                value: value.clone(),
                client,
                seq,
            });
            node.match_index[me.index()] = node.last_index();
            ctx.note(Note::ClientAppended {
                index: node.last_index(),
                key,
                value,
            });
            self.broadcast_append(node, ctx);
            // A one-server majority is impossible (3 or more servers), so nothing commits yet.
            return;
        }
        match node.leader {
            Some(l) if l != me && hops < 3 => {
                ctx.send(
                    l,
                    Msg::ClientRequest {
                        key,
                        value,
                        client,
                        seq,
                        hops: hops + 1,
                    },
                );
                ctx.note(Note::ClientRedirected { leader: l });
            }
            _ => ctx.note(Note::ClientRefused { hops }),
        }
    }
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

impl Protocol for Raft {
    type Params = Params;
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Cmd = Cmd;
    type Note = Note;
    type Checker = RaftChecker;

    const NAME: &'static str = NAME;

    fn new(params: Params) -> Result<Self, ParamError> {
        ParamError::check_range("servers", params.servers, 3..=9)?;
        let [lo, hi] = params.election_timeout;
        ParamError::check_range("election_timeout", lo, 20..=60_000)?;
        ParamError::check_range("election_timeout", hi, 20..=60_000)?;
        if lo > hi {
            return Err(ParamError::new(
                "election_timeout",
                format!("the minimum ({lo}) is larger than the maximum ({hi})"),
            ));
        }
        ParamError::check_range("heartbeat_interval", params.heartbeat_interval, 5..=60_000)?;
        if params.heartbeat_interval >= lo {
            return Err(ParamError::new(
                "heartbeat_interval",
                format!(
                    "must be shorter than the minimum election timeout ({lo} ms), or followers time out between heartbeats (got {})",
                    params.heartbeat_interval
                ),
            ));
        }
        Ok(Raft { params })
    }

    fn params(&self) -> &Params {
        &self.params
    }

    fn node_names(&self) -> Vec<String> {
        (1..=self.params.servers).map(|i| format!("n{i}")).collect()
    }

    fn init(&self, _id: NodeId, ctx: &mut Ctx<Self>) -> Node {
        let mut node = Node {
            current_term: 0,
            voted_for: None,
            log: Vec::new(),
            next_seq: 0,
            role: Role::Follower,
            leader: None,
            commit_index: 0,
            last_applied: 0,
            kv: BTreeMap::new(),
            applied_requests: BTreeSet::new(),
            votes: BTreeSet::new(),
            next_index: Vec::new(),
            match_index: Vec::new(),
            timer_set_at: None,
            timer_due: None,
            heard_leader_at: None,
        };
        self.arm_election(&mut node, ctx);
        node
    }

    fn on_cmd(&self, node: &mut Node, cmd: Cmd, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        match cmd {
            Cmd::Client { key, value } => {
                if key.is_empty() || key.chars().count() > 16 || value.chars().count() > 16 {
                    ctx.note(Note::BadCommand);
                    return;
                }
                node.next_seq += 1;
                let seq = node.next_seq;
                self.client_request(node, key, value, me, seq, 0, ctx);
            }
            Cmd::Timeout => {
                if node.role == Role::Leader {
                    ctx.note(Note::LeaderIgnoresTimeout);
                } else {
                    self.start_election(node, true, ctx);
                }
            }
            Cmd::SetTimer { after } => {
                if !(1..=MAX_TIMER).contains(&after) {
                    ctx.note(Note::BadTimer { after });
                } else if node.role == Role::Leader {
                    ctx.note(Note::LeaderIgnoresTimeout);
                } else {
                    self.arm_exact(node, after, ctx);
                    ctx.note(Note::TimerSet { after });
                }
            }
        }
    }

    fn on_msg(&self, node: &mut Node, from: NodeId, msg: Msg, ctx: &mut Ctx<Self>) {
        match msg {
            Msg::RequestVote {
                term,
                last_log_index,
                last_log_term,
                pre_vote,
            } => self.on_request_vote(
                node,
                from,
                term,
                last_log_index,
                last_log_term,
                pre_vote,
                ctx,
            ),
            Msg::RequestVoteReply {
                term,
                granted,
                pre_vote,
            } => self.on_vote_reply(node, from, term, granted, pre_vote, ctx),
            Msg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => self.on_append(
                node,
                from,
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                ctx,
            ),
            Msg::AppendEntriesReply {
                term,
                success,
                index,
                conflict_term,
                conflict_index,
            } => self.on_append_reply(
                node,
                from,
                term,
                success,
                index,
                conflict_term,
                conflict_index,
                ctx,
            ),
            Msg::ClientRequest {
                key,
                value,
                client,
                seq,
                hops,
            } => self.client_request(node, key, value, client, seq, hops, ctx),
        }
    }

    fn on_timer(&self, node: &mut Node, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Election => {
                if node.role != Role::Leader {
                    self.start_election(node, false, ctx);
                }
            }
            Timer::Heartbeat => {
                if node.role == Role::Leader {
                    self.broadcast_append(node, ctx);
                }
            }
        }
    }

    fn fault_note(&self, node: &Node, fault: NodeFault) -> Option<Note> {
        let (role, term) = (node.role, node.current_term);
        Some(match fault {
            NodeFault::Crash => Note::Crashes {
                role,
                term,
                entries: node.last_index(),
                commit: node.commit_index,
            },
            NodeFault::Pause => Note::Pauses { role, term },
            NodeFault::Resume => Note::Resumes { role, term },
        })
    }

    fn on_restart(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        ctx.note(Note::Restarts {
            term: node.current_term,
            entries: node.last_index(),
        });
        self.arm_election(node, ctx);
    }

    fn msg_label(&self, msg: &Msg) -> &'static str {
        match msg {
            Msg::RequestVote {
                pre_vote: false, ..
            } => "RV",
            Msg::RequestVote { pre_vote: true, .. } => "PRE",
            Msg::RequestVoteReply { granted: true, .. } => "VOTE",
            Msg::RequestVoteReply { granted: false, .. } => "NOVOTE",
            Msg::AppendEntries { entries, .. } if entries.is_empty() => "HB",
            Msg::AppendEntries { .. } => "AE",
            Msg::AppendEntriesReply { success: true, .. } => "OK",
            Msg::AppendEntriesReply { success: false, .. } => "NACK",
            Msg::ClientRequest { .. } => "CLIENT",
        }
    }

    fn describe_msg(&self, msg: &Msg, names: &[String]) -> String {
        match msg {
            Msg::RequestVote {
                term,
                last_log_index,
                last_log_term,
                pre_vote,
            } => {
                format!(
                "{} for term {term} (last log entry: index {last_log_index}, term {last_log_term})",
                if *pre_vote { "a pre-vote request" } else { "RequestVote" }
            )
            }
            Msg::RequestVoteReply {
                term,
                granted,
                pre_vote,
            } => format!(
                "a {}{} (term {term})",
                if *pre_vote { "pre-" } else { "" },
                if *granted {
                    "vote granted"
                } else {
                    "vote refused"
                }
            ),
            Msg::AppendEntries {
                term,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => {
                // The entry just before the new ones, which the follower must hold for
                // the consistency check to pass.
                let previous = format!(
                    "previous entry: index {prev_log_index}, term {prev_log_term}; leader's commit index {leader_commit}"
                );
                if entries.is_empty() {
                    format!("a heartbeat (AppendEntries with no entries, term {term}; {previous})")
                } else {
                    format!(
                        "AppendEntries with entries {}..{} (term {term}; {previous})",
                        prev_log_index + 1,
                        prev_log_index + entries.len() as u64
                    )
                }
            }
            Msg::AppendEntriesReply {
                term,
                success,
                index,
                conflict_term,
                conflict_index,
            } => {
                if *success {
                    format!(
                        "an AppendEntries success reply (its log matches the leader's up to index {index}; term {term})"
                    )
                } else {
                    let hint = match (conflict_term, conflict_index) {
                        (Some(t), Some(i)) => format!(
                            "; hint: its entry there has term {t}, which it holds from index {i}"
                        ),
                        (None, Some(i)) => format!("; hint: its log ends before index {i}"),
                        _ => String::new(),
                    };
                    format!(
                        "an AppendEntries failure reply (it has no entry matching the previous entry at index {index}; term {term}{hint})"
                    )
                }
            }
            Msg::ClientRequest {
                key,
                value,
                client,
                seq,
                ..
            } => format!(
                "client request {}#{seq} {key}={value}",
                name(names, *client)
            ),
        }
    }

    fn describe_timer(&self, timer: &Timer, _names: &[String]) -> String {
        match timer {
            Timer::Election => "the election timer".into(),
            Timer::Heartbeat => "the heartbeat timer".into(),
        }
    }

    fn describe_cmd(&self, cmd: &Cmd, _names: &[String]) -> String {
        match cmd {
            Cmd::Client { key, value } => format!("handle a client request {key}={value}"),
            Cmd::Timeout => "time out now (start an election)".into(),
            Cmd::SetTimer { after } => format!("set its election timer to {after} ms"),
        }
    }

    fn describe_note(&self, me: NodeId, note: &Note, names: &[String]) -> String {
        let n = |id: &NodeId| name(names, *id);
        let me = name(names, me);
        let list = |v: &[NodeId]| {
            v.iter()
                .map(|x| name(names, *x))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let majority = self.majority();
        let servers = self.params.servers;
        match note {
            Note::StartsElection { term, forced, was } => {
                let why = if *forced {
                    "its election timer was made to fire now".to_string()
                } else if *was == Role::Candidate {
                    "its election ended without a winner before its timer ran out (a split vote or lost messages)".to_string()
                } else {
                    "it heard from no leader before its election timer ran out".to_string()
                };
                format!("{why}: {me} becomes a candidate for term {term}, votes for itself and asks every server for its vote (RequestVote); it needs {majority} of {servers}")
            }
            Note::StartsPreVote { term, forced } => format!(
                "{}: {me} first asks whether it could win term {term} (pre-vote) without raising its own term, so a server cut off from the others cannot disrupt the cluster",
                if *forced { "its election timer was made to fire now" } else { "it heard from no leader before its election timer ran out" }
            ),
            Note::PreVoteWon { term, votes } => format!(
                "{me} has pre-votes from {} (a majority): it now raises its term to {term} and asks for real votes",
                list(votes)
            ),
            Note::NewTerm { from, old, new, was } => format!(
                "{} is in term {new}, newer than {me}'s term {old}: {me} adopts term {new}{} (a server that sees a higher term always updates its term and becomes a follower)",
                n(from),
                if *was == Role::Follower { String::new() } else { format!(" and steps down from {} to follower", was.word()) }
            ),
            Note::GrantsVote { candidate, term, pre_vote } => {
                if *pre_vote {
                    format!("{me} would vote for {} in term {term}: its log is at least as up to date and {me} has no live leader (pre-vote granted; {me}'s term does not change)", n(candidate))
                } else {
                    format!("{me} votes for {} in term {term}: it has not voted for anyone else in this term and {}'s log is at least as up to date as its own; it resets its election timer", n(candidate), n(candidate))
                }
            }
            Note::RefusesVote { candidate, term, pre_vote, refusal } => {
                let what = if *pre_vote { "pre-vote" } else { "vote" };
                let why = match refusal {
                    Refusal::StaleTerm { mine } => format!("{}'s term {term} is not newer than {me}'s term {mine}", n(candidate)),
                    Refusal::AlreadyVoted { other } => format!("{me} already voted for {} in term {term} (one vote per term)", n(other)),
                    Refusal::LogBehind { their_term, their_index, my_term, my_index } => format!(
                        "{}'s log is less up to date (last entry term {their_term}, index {their_index}) than {me}'s (term {my_term}, index {my_index}); a leader must hold every committed entry",
                        n(candidate)
                    ),
                    Refusal::LeaderAlive { leader } if n(leader) == me => format!("{me} is the leader and alive, so there is no need for an election"),
                    Refusal::LeaderAlive { leader } => format!("{me} heard from leader {} recently, so there is no need for an election", n(leader)),
                };
                format!("{me} refuses its {what} to {}: {why}", n(candidate))
            }
            Note::GotVote { from, term, pre_vote, votes, needed } => format!(
                "{me} gets a {}vote from {} for term {term}: {votes} of the {needed} it needs",
                if *pre_vote { "pre-" } else { "" },
                n(from)
            ),
            Note::VoteDenied { from, term, pre_vote } => format!(
                "{} refused its {}vote for term {term}; {me} keeps waiting for other votes",
                n(from),
                if *pre_vote { "pre-" } else { "" }
            ),
            Note::BecomesLeader { term, votes, next } => format!(
                "{me} has votes from {} ({} of {servers}, a majority): it becomes LEADER for term {term}, sets every follower's nextIndex to {next} (just after its last entry) and matchIndex to 0, and sends AppendEntries at once to assert its leadership",
                list(votes),
                votes.len()
            ),
            Note::SendsAppend { term, heartbeat, with_entries } => {
                if *heartbeat {
                    format!("{me}, leader for term {term}, sends a heartbeat (AppendEntries with no entries) to every follower so they do not start an election")
                } else {
                    if with_entries.len() as u32 + 1 == servers {
                        format!("{me}, leader for term {term}, sends AppendEntries to every follower with the entries each lacks (from its nextIndex on)")
                    } else {
                        format!("{me}, leader for term {term}, sends AppendEntries with the entries they lack (from their nextIndex on) to {}, and heartbeats to the others", list(with_entries))
                    }
                }
            }
            Note::AcceptsLeader { leader, term } => format!(
                "{} is leader for term {term}, {me}'s own term: {me} stops its election and becomes a follower",
                n(leader)
            ),
            Note::Heartbeat { leader, term } => format!(
                "{me} accepts the heartbeat of {}, leader for term {term}: its log matches at the previous entry; it resets its election timer",
                n(leader)
            ),
            Note::RejectsAppend { leader, reject } => match reject {
                Reject::StaleTerm { mine } => format!(
                    "{me} rejects AppendEntries from {}: its term is older than {me}'s term {mine} (it is a deposed leader); the reply tells it the newer term",
                    n(leader)
                ),
                Reject::Missing { prev_index, last } => format!(
                    "{me} rejects AppendEntries from {}: the consistency check asks for an entry at index {prev_index} but {me}'s log ends at {last}",
                    n(leader)
                ),
                Reject::TermMismatch { prev_index, prev_term, mine } => format!(
                    "{me} rejects AppendEntries from {}: its entry {prev_index} has term {mine}, the leader's has term {prev_term} (consistency check failed)",
                    n(leader)
                ),
            },
            Note::Truncates { index, removed, mine, theirs } => format!(
                "{me}'s entry {index} has term {mine} but the leader's has term {theirs}: they conflict, so {me} deletes entry {index} and everything after it ({removed} entr{})",
                if *removed == 1 { "y" } else { "ies" }
            ),
            Note::Appends { leader, first, last } => {
                if first == last {
                    format!("{me} appends entry {first} from leader {}", n(leader))
                } else {
                    format!("{me} appends entries {first}..{last} from leader {}", n(leader))
                }
            }
            Note::AlreadyHas { leader, last } => format!(
                "{me} already has every entry up to {last} that {} sent (a repeated request): nothing to change",
                n(leader)
            ),
            Note::FollowerCommits { from, to, leader_commit } => format!(
                "the leader's commit index is {leader_commit}: {me} marks entries {from}..{to} committed"
            ),
            Note::Applies { index, term, key, value } => format!(
                "{me} applies entry {index} (term {term}) to its state machine: {key}={value}"
            ),
            Note::AnswersClient { client, seq, index } => format!(
                "entry {index} is committed and applied: {me} answers client request {}#{seq}",
                n(client)
            ),
            Note::Acked { from, match_index } => format!(
                "{} holds the leader's log up to {match_index}: {me} sets matchIndex[{}] = {match_index}, nextIndex[{}] = {}",
                n(from), n(from), n(from), match_index + 1
            ),
            Note::BacksOff { from, next, hint } => format!(
                "{}'s log does not match: {me} sets nextIndex[{}] back to {next}{} and retries",
                n(from),
                n(from),
                if *hint { " (skipping the conflicting term, using the follower's hint)" } else { " (one entry back)" }
            ),
            Note::VoteAfterWin { from, term, pre_vote, granted } => {
                let what = match (*pre_vote, *granted) {
                    (true, true) => "pre-vote is no longer needed",
                    (true, false) => "refused pre-vote changes nothing",
                    (false, true) => "vote is no longer needed",
                    (false, false) => "refusal changes nothing",
                };
                if *pre_vote {
                    format!("{me} already won the pre-vote and stands in term {term}: {}'s {what}", n(from))
                } else {
                    format!("{me} already won term {term} with a majority: {}'s {what}", n(from))
                }
            }
            Note::StaleReply { from, term } => format!(
                "{me} ignores an old reply from {} (term {term}): it no longer waits for it",
                n(from)
            ),
            Note::LeaderCommits { from, to, term, holders, unsafe_rule } => {
                let range = if from == to { format!("entry {to}") } else { format!("entries {from}..{to}") };
                if *unsafe_rule {
                    format!("UNSAFE RULE: {range} is stored on {} (a majority) and {me} commits it by counting replicas although entry {to} is from an earlier term than {term}; Figure 2 forbids this (see Figure 8)", list(holders))
                } else {
                    format!("{range} is stored on {} (a majority) and entry {to} is from the current term {term}: {me} commits up to {to}", list(holders))
                }
            }
            Note::CannotCommitOldTerm { index, term } => format!(
                "entry {index} is on a majority but is from term {term}, not {me}'s current term: a leader never commits an older term's entry by counting replicas; it becomes committed with the next entry of the current term"
            ),
            Note::ClientAppended { index, key, value } => format!(
                "{me} is the leader: it appends {key}={value} as entry {index} and replicates it; it answers the client once the entry is committed"
            ),
            Note::ClientRedirected { leader } => format!(
                "{me} is not the leader: it redirects the client request to {}, the leader it knows",
                n(leader)
            ),
            Note::ClientRefused { hops } => {
                if *hops >= 3 {
                    format!("{me} is not the leader and the request was redirected too many times: it is refused (send it again once a leader is known)")
                } else {
                    format!("{me} is not the leader and knows no leader: the request is refused (send it again once a leader is elected)")
                }
            }
            Note::DuplicateRequest { client, seq, index } => format!(
                "{me} already has client request {}#{seq} in its log (entry {index}): the copy is not appended again",
                n(client)
            ),
            Note::SkipsDuplicate { index, client, seq } => format!(
                "entry {index} repeats client request {}#{seq}, which {me}'s state machine already applied: it is skipped, so the request takes effect once",
                n(client)
            ),
            Note::BadCommand => format!("{me} refuses the client request: the key must be 1 to 16 characters and the value at most 16"),
            Note::BadTimer { after } => format!("{me} refuses to set its election timer to {after} ms: it must be between 1 and {MAX_TIMER} ms"),
            Note::LeaderIgnoresTimeout => format!("{me} is the leader: it has no election timer, so nothing happens"),
            Note::TimerSet { after } => format!("{me}'s election timer is set by hand to fire in {after} ms"),
            Note::Crashes {
                role,
                term,
                entries,
                commit,
            } => format!(
                "in Raft, {me}'s term ({term}), vote and {entries} log entr{} are persistent and survive; its role ({}), commit index ({commit}), state machine and, as a leader, nextIndex and matchIndex are volatile and lost.{}",
                if *entries == 1 { "y" } else { "ies" },
                role.word(),
                if *role == Role::Leader {
                    " The followers stop hearing heartbeats: once an election timer runs out, one of them stands for a new term."
                } else {
                    ""
                }
            ),
            Note::Pauses { role, term } => format!(
                "{me} is still {} of term {term} in its own eyes; {}",
                role.with_article(),
                if *role == Role::Leader {
                    "it sends no heartbeats, so a follower's election timer runs out and a new leader may be elected without it knowing"
                } else {
                    "its election timer is frozen with it"
                }
            ),
            Note::Resumes { role, term } => format!(
                "{me} carries on as {} of term {term}; the first message with a higher term that it handles makes it a follower (a term number tells a stale leader it is stale)",
                role.with_article()
            ),
            Note::Restarts { term, entries } => format!(
                "{me} restarts with its persistent state (term {term}, its vote, {entries} log entr{}) and loses the rest: it is a follower, its commit index is 0 and its state machine is empty until it learns what is committed",
                if *entries == 1 { "y" } else { "ies" }
            ),
        }
    }

    fn properties(&self) -> Vec<Property> {
        vec![
            Property {
                name: ELECTION_SAFETY,
                description: "At most one leader can be elected in a given term.",
            },
            Property {
                name: LEADER_APPEND_ONLY,
                description: "A leader never overwrites or deletes entries in its log; it only appends new entries.",
            },
            Property {
                name: LOG_MATCHING,
                description: "If two logs contain an entry with the same index and term, the logs are identical in all entries up to that index.",
            },
            Property {
                name: LEADER_COMPLETENESS,
                description: "If an entry is committed in a term, it is in the log of the leaders of every later term.",
            },
            Property {
                name: STATE_MACHINE_SAFETY,
                description: "If a server has applied an entry at an index, no other server ever applies a different entry at that index.",
            },
        ]
    }

    fn checker(&self) -> RaftChecker {
        RaftChecker::new(self.params.servers as usize)
    }

    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Cmd)> {
        let to = NodeId(rng.random_range(0..self.params.servers));
        let cmd = if rng.random_range(0..2u32) == 0 {
            Cmd::Timeout
        } else {
            let key = ["x", "y", "z"][rng.random_range(0..3u32) as usize];
            Cmd::Client {
                key: key.into(),
                value: rng.random_range(1..100u32).to_string(),
            }
        };
        Some((to, cmd))
    }
}

pub const ELECTION_SAFETY: &str = "Election Safety";
pub const LEADER_APPEND_ONLY: &str = "Leader Append-Only";
pub const LOG_MATCHING: &str = "Log Matching";
pub const LEADER_COMPLETENESS: &str = "Leader Completeness";
pub const STATE_MACHINE_SAFETY: &str = "State Machine Safety";

fn name(names: &[String], id: NodeId) -> &str {
    names.get(id.index()).map_or("?", |s| s.as_str())
}

/// An entry's identity: term, client and request number.
pub type EntryId = (u64, NodeId, u32);

/// What the checker remembers of an entry: its term and command.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    term: u64,
    command: String,
    /// The server, and its term, that committed or applied it.
    by: NodeId,
    in_term: u64,
}

/// Checks the five properties of Figure 3 after every step, from the server that acted.
#[derive(Clone, Debug)]
pub struct RaftChecker {
    /// term -> the leader elected in it.
    leaders: BTreeMap<u64, NodeId>,
    /// Per server while it leads: its term and its log's entry ids when last seen.
    leader_log: Vec<Option<(u64, Vec<EntryId>)>>,
    /// Per server: its log when it last changed while leading (to name entries).
    leader_entries: Vec<Vec<Entry>>,
    /// Per server: the term it was last seen leading.
    was_leader: Vec<Option<u64>>,
    seen_commit: Vec<u64>,
    seen_applied: Vec<u64>,
    /// index -> the first entry any server marked committed there.
    committed: BTreeMap<u64, Seen>,
    /// term -> its leader and that leader's log when it was elected (a leader only
    /// appends, so an entry missing then is missing for the whole term).
    elected: BTreeMap<u64, (NodeId, Vec<Entry>)>,
    /// index -> the first entry any server applied there.
    applied: BTreeMap<u64, Seen>,
    /// (property, term or index, server) already reported, so each problem is said once.
    reported: BTreeSet<(&'static str, u64, u32)>,
}

impl RaftChecker {
    /// A checker for `n` servers that has seen nothing yet.
    pub fn new(n: usize) -> Self {
        RaftChecker {
            leaders: BTreeMap::new(),
            leader_log: vec![None; n],
            leader_entries: vec![Vec::new(); n],
            was_leader: vec![None; n],
            seen_commit: vec![0; n],
            seen_applied: vec![0; n],
            committed: BTreeMap::new(),
            elected: BTreeMap::new(),
            applied: BTreeMap::new(),
            reported: BTreeSet::new(),
        }
    }

    fn report(
        &mut self,
        out: &mut Vec<Violation>,
        property: &'static str,
        key: (u64, u32),
        explanation: String,
    ) {
        if self.reported.insert((property, key.0, key.1)) {
            out.push(Violation::new(property, explanation));
        }
    }
}

impl Checker<Raft> for RaftChecker {
    fn check(&mut self, sim: &Sim<Raft>, step: &StepOutcome<Raft>, out: &mut Vec<Violation>) {
        let Some(me) = step.record.node else {
            return;
        };
        let nodes: Vec<&Node> = sim.node_ids().map(|n| sim.node(n)).collect();
        self.check_servers(&nodes, sim.names(), me, out);
    }
}

impl RaftChecker {
    /// The checks after a step of server `me`, given every server's state (in id order).
    pub fn check_servers(
        &mut self,
        nodes: &[&Node],
        names: &[String],
        me: NodeId,
        out: &mut Vec<Violation>,
    ) {
        let nm = |id: NodeId| name(names, id).to_string();
        let node = nodes[me.index()];
        let i = me.index();

        // Election Safety.
        if node.role == Role::Leader {
            let term = node.current_term;
            match self.leaders.get(&term) {
                Some(&other) if other != me => {
                    let e = format!(
                        "{} and {} are both leaders of term {term}",
                        nm(other),
                        nm(me)
                    );
                    self.report(out, ELECTION_SAFETY, (term, me.0), e);
                }
                Some(_) => {}
                None => {
                    self.leaders.insert(term, me);
                }
            }
        }

        // Leader Append-Only: while it leads the same term, its old log is a prefix.
        if node.role == Role::Leader {
            let mut snapshot = match self.leader_log[i].take() {
                Some((term, old)) if term == node.current_term => {
                    let bad = old
                        .iter()
                        .enumerate()
                        .find(|(k, e)| node.log.get(*k).map(Entry::id) != Some(**e))
                        .map(|(k, _)| k);
                    if let Some(k) = bad {
                        let index = k as u64 + 1;
                        let was = self.leader_entries[i].get(k).map_or_else(
                            || "an entry".to_string(),
                            |e| format!("{} (term {})", e.command(), e.term),
                        );
                        let now = match node.entry(index) {
                            Some(e) => format!("now holds {} (term {})", e.command(), e.term),
                            None => "has deleted it".to_string(),
                        };
                        let e = format!(
                            "{}, leader of term {term}, had {was} at index {index} and {now}",
                            nm(me)
                        );
                        self.report(out, LEADER_APPEND_ONLY, (term, me.0), e);
                    }
                    old
                }
                _ => Vec::new(),
            };
            snapshot.clear();
            snapshot.extend(node.log.iter().map(Entry::id));
            if self.leader_entries[i].len() != node.log.len()
                || self.leader_entries[i].last() != node.log.last()
            {
                self.leader_entries[i] = node.log.clone();
            }
            self.leader_log[i] = Some((node.current_term, snapshot));
        } else {
            self.leader_log[i] = None;
        }

        // Log Matching: against every other server.
        for other in (0..nodes.len() as u32).map(NodeId).filter(|&o| o != me) {
            let theirs = &nodes[other.index()].log;
            let len = node.log.len().min(theirs.len());
            let Some(first_diff) = (0..len).find(|&k| node.log[k].id() != theirs[k].id()) else {
                continue;
            };
            if let Some(k) = (first_diff..len)
                .rev()
                .find(|&k| node.log[k].term == theirs[k].term)
            {
                let (a, b) = (&node.log[first_diff], &theirs[first_diff]);
                let e = format!(
                    "{} and {} both have an entry of term {} at index {}, but differ at index {}: {} has {} (term {}), {} has {} (term {})",
                    nm(me),
                    nm(other),
                    node.log[k].term,
                    k + 1,
                    first_diff + 1,
                    nm(me),
                    a.command(),
                    a.term,
                    nm(other),
                    b.command(),
                    b.term
                );
                let key = (k as u64 + 1, me.0.min(other.0) * 16 + me.0.max(other.0));
                self.report(out, LOG_MATCHING, key, e);
            }
        }

        // Commitment ledger.
        if node.commit_index < self.seen_commit[i] {
            self.seen_commit[i] = node.commit_index;
        }
        let mut newly = Vec::new();
        for index in self.seen_commit[i] + 1..=node.commit_index {
            if let Some(e) = node.entry(index) {
                if let std::collections::btree_map::Entry::Vacant(v) = self.committed.entry(index) {
                    let seen = Seen {
                        term: e.term,
                        command: e.command(),
                        by: me,
                        in_term: node.current_term,
                    };
                    newly.push((index, seen.clone()));
                    v.insert(seen);
                }
            }
        }
        self.seen_commit[i] = node.commit_index;

        // Leader Completeness, the other way round: an entry committed now, in term t,
        // must be in the log of every leader already elected for a term after t.
        for (index, s) in &newly {
            let lacking = self
                .elected
                .range(s.in_term + 1..)
                .find(|(_, (_, log))| {
                    log.get(*index as usize - 1)
                        .is_none_or(|e| e.term != s.term || e.command() != s.command)
                })
                .map(|(&t, (l, log))| (t, *l, log.get(*index as usize - 1).cloned()));
            if let Some((term, leader, has)) = lacking {
                let has = match has {
                    Some(e) => format!("{} (term {}) there", e.command(), e.term),
                    None => "no entry there".to_string(),
                };
                let e = format!(
                    "{} committed entry {index} ({}, term {}) in term {}, but {} was already leader of term {term} without it; it has {has}",
                    nm(s.by),
                    s.command,
                    s.term,
                    s.in_term,
                    nm(leader)
                );
                self.report(out, LEADER_COMPLETENESS, (term, leader.0), e);
            }
        }

        // Leader Completeness: a new leader holds every entry committed in earlier terms.
        if node.role == Role::Leader && self.was_leader[i] != Some(node.current_term) {
            let term = node.current_term;
            let missing = self
                .committed
                .iter()
                .find(|(&index, s)| {
                    s.in_term < term
                        && node
                            .entry(index)
                            .is_none_or(|e| e.term != s.term || e.command() != s.command)
                })
                .map(|(&index, s)| (index, s.clone()));
            if let Some((index, s)) = missing {
                let has = match node.entry(index) {
                    Some(e) => format!("{} (term {}) there", e.command(), e.term),
                    None => "no entry there".to_string(),
                };
                let e = format!(
                    "{} became leader of term {term} without entry {index} ({}, term {}), which {} committed in term {}; it has {has}",
                    nm(me),
                    s.command,
                    s.term,
                    nm(s.by),
                    s.in_term
                );
                self.report(out, LEADER_COMPLETENESS, (term, me.0), e);
            }
            self.elected
                .entry(term)
                .or_insert_with(|| (me, node.log.clone()));
        }
        self.was_leader[i] = (node.role == Role::Leader).then_some(node.current_term);

        // State Machine Safety.
        if node.last_applied < self.seen_applied[i] {
            self.seen_applied[i] = node.last_applied;
        }
        for index in self.seen_applied[i] + 1..=node.last_applied {
            let Some(e) = node.entry(index) else { continue };
            let mine = Seen {
                term: e.term,
                command: e.command(),
                by: me,
                in_term: node.current_term,
            };
            match self.applied.get(&index) {
                None => {
                    self.applied.insert(index, mine);
                }
                Some(s) if s.term != mine.term || s.command != mine.command => {
                    let e = format!(
                        "{} applied {} (term {}) at index {index}, but {} had applied {} (term {}) there",
                        nm(me),
                        mine.command,
                        mine.term,
                        nm(s.by),
                        s.command,
                        s.term
                    );
                    self.report(out, STATE_MACHINE_SAFETY, (index, me.0), e);
                }
                Some(_) => {}
            }
        }
        self.seen_applied[i] = node.last_applied;
    }
}

/// Transitional: what a crash loses (to become a disk/memory split).
impl crate::protocol::Durable for Node {
    fn crash(&mut self) {
        let node = self;
        node.role = Role::Follower;
        node.leader = None;
        node.commit_index = 0;
        node.last_applied = 0;
        node.kv.clear();
        node.applied_requests.clear();
        node.votes.clear();
        node.next_index.clear();
        node.match_index.clear();
        node.timer_set_at = None;
        node.timer_due = None;
        node.heard_leader_at = None;
    }
}

#[cfg(test)]
mod tests {
    //! The checker on hand-made server states: each property fires on the situation it
    //! names, and says which servers, terms and indexes disagree.
    use super::*;

    const NAMES: [&str; 3] = ["n1", "n2", "n3"];

    fn names() -> Vec<String> {
        NAMES.iter().map(|s| s.to_string()).collect()
    }

    /// A server in `term` with `role` and a log of `(term, command value)` entries for key x.
    fn server(term: u64, role: Role, log: &[(u64, &str)]) -> Node {
        Node {
            current_term: term,
            voted_for: None,
            log: log
                .iter()
                .enumerate()
                .map(|(k, &(t, v))| Entry {
                    term: t,
                    key: "x".into(),
                    value: v.into(),
                    client: NodeId(0),
                    seq: k as u32 + 1 + 100 * t as u32,
                })
                .collect(),
            next_seq: 0,
            role,
            leader: None,
            commit_index: 0,
            last_applied: 0,
            kv: BTreeMap::new(),
            applied_requests: BTreeSet::new(),
            votes: BTreeSet::new(),
            next_index: Vec::new(),
            match_index: Vec::new(),
            timer_set_at: None,
            timer_due: None,
            heard_leader_at: None,
        }
    }

    /// Runs the checker after a step of `me` and returns what it reported.
    fn check(c: &mut RaftChecker, servers: &[Node], me: u32) -> Vec<Violation> {
        let refs: Vec<&Node> = servers.iter().collect();
        let mut out = Vec::new();
        c.check_servers(&refs, &names(), NodeId(me), &mut out);
        out
    }

    fn only(v: &[Violation], property: &str) -> String {
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].property, property, "{v:?}");
        v[0].explanation.clone()
    }

    #[test]
    fn a_healthy_cluster_reports_nothing() {
        let mut c = RaftChecker::new(3);
        let mut s = vec![
            server(1, Role::Leader, &[(1, "1")]),
            server(1, Role::Follower, &[(1, "1")]),
            server(1, Role::Follower, &[]),
        ];
        s[0].commit_index = 1;
        s[0].last_applied = 1;
        for me in [0, 1, 2, 0] {
            assert!(check(&mut c, &s, me).is_empty());
        }
    }

    #[test]
    fn two_leaders_in_one_term_break_election_safety() {
        let mut c = RaftChecker::new(3);
        let s = vec![
            server(2, Role::Leader, &[]),
            server(2, Role::Leader, &[]),
            server(2, Role::Follower, &[]),
        ];
        assert!(check(&mut c, &s, 0).is_empty());
        let e = only(&check(&mut c, &s, 1), ELECTION_SAFETY);
        assert_eq!(e, "n1 and n2 are both leaders of term 2");
        assert!(check(&mut c, &s, 1).is_empty(), "said once");
    }

    #[test]
    fn a_leader_overwriting_its_log_breaks_append_only() {
        let mut c = RaftChecker::new(3);
        let mut s = vec![
            server(1, Role::Leader, &[(1, "1"), (1, "2")]),
            server(1, Role::Follower, &[]),
            server(1, Role::Follower, &[]),
        ];
        assert!(check(&mut c, &s, 0).is_empty());
        s[0].log[1].value = "9".into();
        s[0].log[1].seq = 77;
        let e = only(&check(&mut c, &s, 0), LEADER_APPEND_ONLY);
        assert!(
            e.contains("n1, leader of term 1, had x=2 (term 1) at index 2 and now holds x=9"),
            "{e}"
        );
    }

    #[test]
    fn same_index_and_term_with_different_entries_breaks_log_matching() {
        // The logs differ first at index 2, where both entries have term 2.
        let mut c = RaftChecker::new(3);
        let mut s = vec![
            server(2, Role::Follower, &[(1, "1"), (2, "2")]),
            server(2, Role::Follower, &[(1, "1"), (2, "2")]),
            server(2, Role::Follower, &[]),
        ];
        s[1].log[1].value = "5".into();
        s[1].log[1].seq = 55;
        let e = only(&check(&mut c, &s, 0), LOG_MATCHING);
        assert!(
            e.contains("both have an entry of term 2 at index 2, but differ at index 2"),
            "{e}"
        );
    }

    #[test]
    fn logs_that_differ_only_in_later_terms_match() {
        let mut c = RaftChecker::new(3);
        let s = vec![
            server(3, Role::Follower, &[(1, "1"), (2, "2")]),
            server(3, Role::Follower, &[(1, "1"), (3, "3")]),
            server(3, Role::Follower, &[(1, "1")]),
        ];
        assert!(check(&mut c, &s, 0).is_empty());
        assert!(check(&mut c, &s, 1).is_empty());
    }

    #[test]
    fn an_entry_committed_after_a_later_leader_was_elected_without_it() {
        // n2 leads term 3 with a log lacking index 2; then n1, still in term 2, marks
        // index 2 committed. Checking only at election time would miss this.
        let mut c = RaftChecker::new(3);
        let mut s = vec![
            server(2, Role::Leader, &[(1, "1"), (2, "2")]),
            server(3, Role::Leader, &[(1, "1")]),
            server(3, Role::Follower, &[(1, "1")]),
        ];
        assert!(check(&mut c, &s, 0).is_empty());
        assert!(check(&mut c, &s, 1).is_empty());
        s[0].commit_index = 2;
        let v = check(&mut c, &s, 0);
        let e = only(&v, LEADER_COMPLETENESS);
        assert_eq!(
            e,
            "n1 committed entry 2 (x=2, term 2) in term 2, but n2 was already leader of term 3 without it; it has no entry there"
        );
    }

    #[test]
    fn a_leader_elected_without_a_committed_entry_breaks_completeness() {
        let mut c = RaftChecker::new(3);
        let mut s = vec![
            server(2, Role::Leader, &[(1, "1"), (2, "2")]),
            server(3, Role::Follower, &[(1, "1"), (3, "3")]),
            server(2, Role::Follower, &[]),
        ];
        s[0].commit_index = 2;
        assert!(check(&mut c, &s, 0).is_empty());
        s[1].role = Role::Leader;
        let e = only(&check(&mut c, &s, 1), LEADER_COMPLETENESS);
        assert!(
            e.contains("n2 became leader of term 3 without entry 2 (x=2, term 2), which n1 committed in term 2; it has x=3 (term 3) there"),
            "{e}"
        );
    }

    #[test]
    fn different_commands_applied_at_one_index_break_state_machine_safety() {
        let mut c = RaftChecker::new(3);
        let mut s = vec![
            server(4, Role::Follower, &[(1, "1")]),
            server(4, Role::Follower, &[(3, "3")]),
            server(4, Role::Follower, &[]),
        ];
        s[0].last_applied = 1;
        s[1].last_applied = 1;
        assert!(check(&mut c, &s, 0).is_empty());
        let v = check(&mut c, &s, 1);
        let e = v
            .iter()
            .find(|v| v.property == STATE_MACHINE_SAFETY)
            .expect("State Machine Safety")
            .explanation
            .clone();
        assert_eq!(
            e,
            "n2 applied x=3 (term 3) at index 1, but n1 had applied x=1 (term 1) there"
        );
    }
}
