//! Raft's data: parameters, log entries, a server's persistent and volatile state,
//! messages, timers, commands and narration notes.

use crate::collections::{SeqSet, VecMap, VecSet};
use crate::protocol::NodeState;
use crate::sim::{NodeId, Time};
use crate::text::Text;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

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
    /// Copied cheaply ([`Text`]): an entry is in every server's log, in the messages that
    /// carry it, and in every checkpoint of the run.
    pub key: Text,
    pub value: Text,
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// What a server starts and restarts as.
    #[default]
    Follower,
    /// Asking for pre-votes before raising its term.
    PreCandidate,
    Candidate,
    Leader,
}

/// A server's state: what Figure 2 calls persistent state is on `disk` and survives a
/// crash; the volatile state is in `mem` and a crash resets it to [`RaftMem::default`]
/// (a follower that knows no leader, with nothing committed or applied).
pub type Node = NodeState<RaftDisk, RaftMem>;

/// Persistent state: survives a crash.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RaftDisk {
    pub current_term: u64,
    pub voted_for: Option<NodeId>,
    /// Entries; index 1 is `log[0]`.
    pub log: RaftLog,
    /// Numbers the client requests this server received.
    pub next_seq: u32,
}

/// A server's log: entries are appended, or the log is cut short, and nothing else; it
/// counts its cuts, so the checker reads only what was appended since it last looked
/// (everything after a cut). Written as its entries.
///
/// Kept in chunks of [`LOG_CHUNK`] entries shared between copies, so a copy (a timeline
/// checkpoint, the checker's record of a leader's log) costs a pointer per chunk rather
/// than every entry: only the chunk written to is copied, on the first write after.
#[derive(Clone, Default)]
pub struct RaftLog {
    chunks: Vec<Arc<Vec<Entry>>>,
    len: usize,
    cuts: u64,
}

/// Entries per chunk of a [`RaftLog`].
pub const LOG_CHUNK: usize = 256;

impl RaftLog {
    pub fn push(&mut self, e: Entry) {
        if self.len % LOG_CHUNK == 0 {
            self.chunks.push(Arc::new(Vec::with_capacity(LOG_CHUNK)));
        }
        let last = self.chunks.last_mut().expect("a chunk with room");
        Arc::make_mut(last).push(e);
        self.len += 1;
    }

    /// Keep the first `len` entries (a follower dropping a suffix that conflicts with its
    /// leader's log).
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.chunks.truncate(len.div_ceil(LOG_CHUNK));
            if len % LOG_CHUNK != 0 {
                let last = self.chunks.last_mut().expect("the chunk of the new end");
                Arc::make_mut(last).truncate(len % LOG_CHUNK);
            }
            self.len = len;
            self.cuts += 1;
        }
    }

    /// How many times the log was cut short.
    pub fn cuts(&self) -> u64 {
        self.cuts
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entry at position `k` (index `k + 1`).
    pub fn get(&self, k: usize) -> Option<&Entry> {
        (k < self.len).then(|| &self.chunks[k / LOG_CHUNK][k % LOG_CHUNK])
    }

    pub fn last(&self) -> Option<&Entry> {
        self.len.checked_sub(1).and_then(|k| self.get(k))
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Entry> + '_ {
        self.iter_from(0)
    }

    /// The entries from position `k` on (none if `k` is past the end).
    pub fn iter_from(&self, k: usize) -> impl DoubleEndedIterator<Item = &Entry> + '_ {
        let first = k / LOG_CHUNK;
        self.chunks
            .get(first..)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .flat_map(move |(c, chunk)| chunk[if c == 0 { k % LOG_CHUNK } else { 0 }..].iter())
    }

    /// The entries from position `k` on, as one shared slice (what an AppendEntries
    /// carries): made in one allocation when they lie in one chunk, as they mostly do.
    pub fn shared_from(&self, k: usize) -> Arc<[Entry]> {
        match self.chunks.get(k / LOG_CHUNK..) {
            Some([one]) => one
                .get(k % LOG_CHUNK..)
                .unwrap_or_default()
                .iter()
                .cloned()
                .collect(),
            _ => self.iter_from(k).cloned().collect::<Vec<_>>().into(),
        }
    }

    pub fn to_vec(&self) -> Vec<Entry> {
        self.iter().cloned().collect()
    }
}

impl std::ops::Index<usize> for RaftLog {
    type Output = Entry;

    fn index(&self, k: usize) -> &Entry {
        self.get(k)
            .unwrap_or_else(|| panic!("entry {k} of a log of {}", self.len))
    }
}

impl From<Vec<Entry>> for RaftLog {
    fn from(entries: Vec<Entry>) -> Self {
        entries.into_iter().collect()
    }
}

impl FromIterator<Entry> for RaftLog {
    fn from_iter<I: IntoIterator<Item = Entry>>(entries: I) -> Self {
        let mut log = RaftLog::default();
        for e in entries {
            log.push(e);
        }
        log
    }
}

/// The same entries and the same count of cuts (as the derived comparison had it).
impl PartialEq for RaftLog {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.cuts == other.cuts && self.iter().eq(other.iter())
    }
}

/// As its entries and its cuts (what the derived form printed for a vector).
impl std::fmt::Debug for RaftLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftLog")
            .field("entries", &self.to_vec())
            .field("cuts", &self.cuts)
            .finish()
    }
}

impl Serialize for RaftLog {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// Volatile state: lost in a crash.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RaftMem {
    pub role: Role,
    /// The leader of the current term, when known.
    pub leader: Option<NodeId>,
    pub commit_index: u64,
    pub last_applied: u64,
    /// The key-value state machine.
    pub kv: VecMap<Text, Text>,
    /// The client requests (server, number) the state machine has applied, so a request
    /// that reached the log twice changes it once.
    pub applied_requests: SeqSet<NodeId>,
    /// Votes (or pre-votes) received in the current election.
    pub votes: VecSet<NodeId>,
    /// Leader only: per server, the next index to send (index by server id).
    pub next_index: Vec<u64>,
    /// Leader only: per server, the highest index known replicated there.
    pub match_index: Vec<u64>,
    /// Leader only: per server, the last index sent to it. A successful reply sends the
    /// entries after `nextIndex` again only when some of them were never sent: the others
    /// are in flight already (and a heartbeat repairs a loss). Answering every reply with
    /// everything unacknowledged made each message beget another while clients kept
    /// writing, and the messages in flight grew without bound.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sent_up_to: Vec<u64>,
    /// When the election timer was last set, and when it fires (none for a leader or
    /// after a crash).
    pub timer_set_at: Option<Time>,
    pub timer_due: Option<Time>,
    /// When this server last heard from a current leader (pre-vote uses it).
    pub heard_leader_at: Option<Time>,
}

impl RaftDisk {
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
        /// Shared: a message is kept in the trace as well as delivered.
        entries: Arc<[Entry]>,
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
        key: Text,
        value: Text,
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
    /// Applies an entry; `client` and `seq` name the request it carries (the server the
    /// client sent it to, and its number there).
    Applies {
        index: u64,
        term: u64,
        client: NodeId,
        seq: u32,
        key: Text,
        value: Text,
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
        key: Text,
        value: Text,
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

/// An entry's identity: term, client and request number.
pub type EntryId = (u64, NodeId, u32);

#[cfg(test)]
mod log_tests {
    use super::{Entry, RaftLog, LOG_CHUNK};
    use crate::sim::NodeId;

    fn entry(k: usize) -> Entry {
        Entry {
            term: k as u64 / 7,
            key: "x".into(),
            value: k.to_string().into(),
            client: NodeId(0),
            seq: k as u32,
        }
    }

    #[test]
    fn it_reads_as_the_vector_of_its_entries_across_chunks_cuts_and_copies() {
        let mut log = RaftLog::default();
        let mut reference: Vec<Entry> = Vec::new();
        for k in 0..(2 * LOG_CHUNK + 10) {
            log.push(entry(k));
            reference.push(entry(k));
        }
        let copy = log.clone();
        let same = |log: &RaftLog, reference: &[Entry]| {
            assert_eq!(log.len(), reference.len());
            assert_eq!(log.to_vec(), reference);
            assert_eq!(log.last(), reference.last());
            for k in [
                0,
                1,
                LOG_CHUNK - 1,
                LOG_CHUNK,
                LOG_CHUNK + 1,
                reference.len(),
            ] {
                assert_eq!(log.get(k), reference.get(k), "entry {k}");
                let tail: Vec<&Entry> = log.iter_from(k).collect();
                let want: Vec<&Entry> = reference.get(k..).unwrap_or_default().iter().collect();
                assert_eq!(tail, want, "from {k}");
            }
            assert!(log.iter_from(reference.len() + LOG_CHUNK).next().is_none());
            for k in [0, LOG_CHUNK + 1, reference.len() - 1, reference.len() + 1] {
                let want: Vec<Entry> = reference.get(k..).unwrap_or_default().to_vec();
                assert_eq!(&*log.shared_from(k), &want[..], "shared from {k}");
            }
        };
        same(&log, &reference);
        // Cut mid-chunk, at a chunk's end, then grow again: the copy keeps what it had.
        for cut in [LOG_CHUNK + 3, LOG_CHUNK] {
            log.truncate(cut);
            reference.truncate(cut);
            same(&log, &reference);
        }
        assert_eq!(log.cuts(), 2);
        for k in 0..5 {
            log.push(entry(1000 + k));
            reference.push(entry(1000 + k));
        }
        same(&log, &reference);
        same(
            &copy,
            &(0..(2 * LOG_CHUNK + 10)).map(entry).collect::<Vec<_>>(),
        );
        assert_ne!(log, copy);
        assert_eq!(
            serde_json::to_string(&log).unwrap(),
            serde_json::to_string(&reference).unwrap()
        );
    }
}
