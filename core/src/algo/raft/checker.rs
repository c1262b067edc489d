//! The safety checker: the five properties of Figure 3, checked after every step from the
//! server that acted.

use super::narration::name;
use super::types::{Entry, EntryId, Node, RaftLog, Role};
use super::Raft;
use crate::collections::{ChunkVec, VecMap, VecSet};
use crate::invariant::{Checker, Property, Violation};
use crate::sim::{NodeId, Sim};
use crate::text::Text;
use crate::trace::StepOutcome;

pub const ELECTION_SAFETY: &str = "Election Safety";
pub const LEADER_APPEND_ONLY: &str = "Leader Append-Only";
pub const LOG_MATCHING: &str = "Log Matching";
pub const LEADER_COMPLETENESS: &str = "Leader Completeness";
pub const STATE_MACHINE_SAFETY: &str = "State Machine Safety";

/// The five properties of Figure 3.
pub(super) fn properties() -> Vec<Property> {
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

/// What the checker remembers of an entry: its term and command (key and value, which
/// copy without allocating: the ledger is copied with every checkpoint of the run).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    term: u64,
    key: Text,
    value: Text,
    /// The server, and its term, that committed or applied it.
    by: NodeId,
    in_term: u64,
}

impl Seen {
    /// The command in short (`x=3`), as [`Entry::command`] writes it.
    fn command(&self) -> String {
        format!("{}={}", self.key, self.value)
    }

    /// Whether `e` is this entry: the same term and command.
    fn is(&self, e: &Entry) -> bool {
        e.term == self.term && e.key == self.key && e.value == self.value
    }
}

/// What the checker read of a server's log last time: its length and how many times it
/// had been cut. With the same count, only what lies past that length is new.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct LogSeen {
    len: usize,
    cuts: u64,
}

/// The entries (with the term before each) the logs have had at one index and term: the
/// first inline (no allocation, as in every correct run), any other in `more`.
#[derive(Clone, Debug)]
struct Variants {
    first: (EntryId, u64),
    more: Vec<(EntryId, u64)>,
}

/// The [`Variants`] at one index, by term: the first term inline (no allocation, as where
/// the logs agree), any other in `more`.
#[derive(Clone, Debug, Default)]
struct AtIndex {
    first: Option<(u64, Variants)>,
    more: Vec<(u64, Variants)>,
}

impl AtIndex {
    /// The variants of `term` here, made with `mine` as the first if there were none.
    fn of_term(&mut self, term: u64, mine: (EntryId, u64)) -> &mut Variants {
        let new = || Variants {
            first: mine,
            more: Vec::new(),
        };
        if self.first.is_none() {
            self.first = Some((term, new()));
        }
        match &mut self.first {
            Some((t, v)) if *t == term => v,
            _ => {
                let k = match self.more.iter().position(|(t, _)| *t == term) {
                    Some(k) => k,
                    None => {
                        self.more.push((term, new()));
                        self.more.len() - 1
                    }
                };
                &mut self.more[k].1
            }
        }
    }
}

/// Checks the five properties of Figure 3 after every step, from the server that acted.
///
/// Each step reads only what changed: the entries a server appended since its last step
/// (all of its log after a cut), so a run costs in proportion to its entries, not to its
/// steps times its log's length.
#[derive(Clone, Debug)]
pub struct RaftChecker {
    /// term -> the leader elected in it.
    leaders: VecMap<u64, NodeId>,
    /// Per server while it leads: its term, how many cuts its log had, and its log as seen
    /// then (entries are shared, so keeping them costs a pointer each).
    leader_log: Vec<Option<(u64, u64, RaftLog)>>,
    /// Per server: its log as last read (for Log Matching).
    log_seen: Vec<Option<LogSeen>>,
    /// Index - 1 -> per term, every (entry, term before it) any server's log has had
    /// there. One element while the logs agree; a second is what Log Matching looks into.
    /// In shared chunks, as the two ledgers below: a checkpoint copies a pointer per chunk.
    at: ChunkVec<AtIndex>,
    /// Per server: the term it was last seen leading.
    was_leader: Vec<Option<u64>>,
    seen_commit: Vec<u64>,
    seen_applied: Vec<u64>,
    /// Index - 1 -> the first entry any server marked committed there.
    committed: ChunkVec<Option<Seen>>,
    /// term -> its leader and that leader's log when it was elected (a leader only
    /// appends, so an entry missing then is missing for the whole term).
    elected: VecMap<u64, (NodeId, RaftLog)>,
    /// Index - 1 -> the first entry any server applied there.
    applied: ChunkVec<Option<Seen>>,
    /// (property, term or index, server) already reported, so each problem is said once.
    reported: VecSet<(&'static str, u64, u32)>,
}

impl RaftChecker {
    /// A checker for `n` servers that has seen nothing yet.
    pub fn new(n: usize) -> Self {
        RaftChecker {
            leaders: VecMap::new(),
            leader_log: vec![None; n],
            log_seen: vec![None; n],
            at: ChunkVec::new(),
            was_leader: vec![None; n],
            seen_commit: vec![0; n],
            seen_applied: vec![0; n],
            committed: ChunkVec::new(),
            elected: VecMap::new(),
            applied: ChunkVec::new(),
            reported: VecSet::new(),
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
        // Every server's state, on the stack for a cluster of up to 9 (all a scenario may
        // have).
        let count = sim.node_count() as usize;
        let mut nodes = [sim.node(me); 9];
        if count <= nodes.len() {
            for (i, n) in nodes.iter_mut().enumerate().take(count) {
                *n = sim.node(NodeId(i as u32));
            }
            self.check_servers(&nodes[..count], sim.names(), me, out);
        } else {
            let nodes: Vec<&Node> = sim.node_ids().map(|n| sim.node(n)).collect();
            self.check_servers(&nodes, sim.names(), me, out);
        }
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
        if node.mem.role == Role::Leader {
            let term = node.disk.current_term;
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

        // Leader Append-Only: while it leads the same term, its old log is a prefix. Only
        // a cut since the log was last seen here can break that; appends are added to what
        // was seen.
        let log = &node.disk.log;
        if node.mem.role == Role::Leader {
            let (cut, mut snapshot) = match self.leader_log[i].take() {
                Some((term, cuts, old)) if term == node.disk.current_term => {
                    let cut = cuts != log.cuts() || old.len() > log.len();
                    if cut {
                        let bad = old
                            .iter()
                            .enumerate()
                            .find(|(k, e)| node.disk.log.get(*k).map(Entry::id) != Some(e.id()))
                            .map(|(k, _)| k);
                        if let Some(k) = bad {
                            let index = k as u64 + 1;
                            let was = format!("{} (term {})", old[k].command(), old[k].term);
                            let now = match node.disk.entry(index) {
                                Some(e) => format!("now holds {} (term {})", e.command(), e.term),
                                None => "has deleted it".to_string(),
                            };
                            let e = format!(
                                "{}, leader of term {term}, had {was} at index {index} and {now}",
                                nm(me)
                            );
                            self.report(out, LEADER_APPEND_ONLY, (term, me.0), e);
                        }
                    }
                    (cut, old)
                }
                _ => (true, RaftLog::default()),
            };
            if cut {
                snapshot = RaftLog::default();
            }
            for e in log.iter_from(snapshot.len()) {
                snapshot.push(e.clone());
            }
            self.leader_log[i] = Some((node.disk.current_term, log.cuts(), snapshot));
        } else {
            self.leader_log[i] = None;
        }

        // Log Matching. Two logs with an entry of the same index and term must agree up
        // to it; that holds exactly when every such entry is the same entry with the same
        // term before it in every log. So each entry new in a log (a server's log changes
        // only when it acts, but every log is looked at) is compared with what the logs
        // have had at its index and term, and only a difference there compares whole logs
        // (to say where they differ, or find they no longer do).
        for (o, other) in nodes.iter().enumerate() {
            if self.read_log(o, other) {
                self.log_matching(nodes, &nm, NodeId(o as u32), out);
            }
        }

        // Commitment ledger.
        if node.mem.commit_index < self.seen_commit[i] {
            self.seen_commit[i] = node.mem.commit_index;
        }
        let mut newly = Vec::new();
        for index in self.seen_commit[i] + 1..=node.mem.commit_index {
            if let Some(e) = node.disk.entry(index) {
                if self
                    .committed
                    .get(index as usize - 1)
                    .is_none_or(Option::is_none)
                {
                    let seen = Seen {
                        term: e.term,
                        key: e.key.clone(),
                        value: e.value.clone(),
                        by: me,
                        in_term: node.disk.current_term,
                    };
                    newly.push((index, seen.clone()));
                    *self.committed.get_mut(index as usize - 1) = Some(seen);
                }
            }
        }
        self.seen_commit[i] = node.mem.commit_index;

        // Leader Completeness, the other way round: an entry committed now, in term t,
        // must be in the log of every leader already elected for a term after t.
        for (index, s) in &newly {
            let lacking = self
                .elected
                .range(s.in_term + 1..)
                .find(|(_, (_, log))| log.get(*index as usize - 1).is_none_or(|e| !s.is(e)))
                .map(|(&t, (l, log))| (t, *l, log.get(*index as usize - 1).cloned()));
            if let Some((term, leader, has)) = lacking {
                let has = match has {
                    Some(e) => format!("{} (term {}) there", e.command(), e.term),
                    None => "no entry there".to_string(),
                };
                let e = format!(
                    "{} committed entry {index} ({}, term {}) in term {}, but {} was already leader of term {term} without it; it has {has}",
                    nm(s.by),
                    s.command(),
                    s.term,
                    s.in_term,
                    nm(leader)
                );
                self.report(out, LEADER_COMPLETENESS, (term, leader.0), e);
            }
        }

        // Leader Completeness: a new leader holds every entry committed in earlier terms.
        if node.mem.role == Role::Leader && self.was_leader[i] != Some(node.disk.current_term) {
            let term = node.disk.current_term;
            let missing = self
                .committed
                .iter()
                .filter_map(|(k, s)| Some((k as u64 + 1, s.as_ref()?)))
                .find(|&(index, s)| {
                    s.in_term < term && node.disk.entry(index).is_none_or(|e| !s.is(e))
                })
                .map(|(index, s)| (index, s.clone()));
            if let Some((index, s)) = missing {
                let has = match node.disk.entry(index) {
                    Some(e) => format!("{} (term {}) there", e.command(), e.term),
                    None => "no entry there".to_string(),
                };
                let e = format!(
                    "{} became leader of term {term} without entry {index} ({}, term {}), which {} committed in term {}; it has {has}",
                    nm(me),
                    s.command(),
                    s.term,
                    nm(s.by),
                    s.in_term
                );
                self.report(out, LEADER_COMPLETENESS, (term, me.0), e);
            }
            self.elected
                .entry(term)
                .or_insert_with(|| (me, node.disk.log.clone()));
        }
        self.was_leader[i] = (node.mem.role == Role::Leader).then_some(node.disk.current_term);

        // State Machine Safety.
        if node.mem.last_applied < self.seen_applied[i] {
            self.seen_applied[i] = node.mem.last_applied;
        }
        for index in self.seen_applied[i] + 1..=node.mem.last_applied {
            let Some(e) = node.disk.entry(index) else {
                continue;
            };
            let mine = Seen {
                term: e.term,
                key: e.key.clone(),
                value: e.value.clone(),
                by: me,
                in_term: node.disk.current_term,
            };
            match self
                .applied
                .get(index as usize - 1)
                .and_then(Option::as_ref)
            {
                None => {
                    *self.applied.get_mut(index as usize - 1) = Some(mine);
                }
                Some(s) if (s.term, &s.key, &s.value) != (mine.term, &mine.key, &mine.value) => {
                    let e = format!(
                        "{} applied {} (term {}) at index {index}, but {} had applied {} (term {}) there",
                        nm(me),
                        mine.command(),
                        mine.term,
                        nm(s.by),
                        s.command(),
                        s.term
                    );
                    self.report(out, STATE_MACHINE_SAFETY, (index, me.0), e);
                }
                Some(_) => {}
            }
        }
        self.seen_applied[i] = node.mem.last_applied;
    }
}

impl RaftChecker {
    /// Read what server `o` appended since it was last read (its whole log after a cut)
    /// into the index of entries; true if some (index, term) has had two different
    /// entries (or terms before them).
    fn read_log(&mut self, o: usize, node: &Node) -> bool {
        let log = &node.disk.log;
        let now = LogSeen {
            len: log.len(),
            cuts: log.cuts(),
        };
        let from = match self.log_seen[o] {
            Some(seen) if seen == now => return false,
            Some(seen) if seen.cuts == now.cuts && seen.len <= now.len => seen.len,
            _ => 0,
        };
        self.log_seen[o] = Some(now);
        let mut suspect = false;
        for k in from..log.len() {
            let e = &log[k];
            let prev = if k == 0 { 0 } else { log[k - 1].term };
            let mine = (e.id(), prev);
            let variants = self.at.get_mut(k).of_term(e.term, mine);
            if variants.first != mine && !variants.more.contains(&mine) {
                variants.more.push(mine);
            }
            suspect |= !variants.more.is_empty();
        }
        suspect
    }

    /// Log Matching between `me` and every other server, comparing whole logs.
    fn log_matching(
        &mut self,
        nodes: &[&Node],
        nm: &dyn Fn(NodeId) -> String,
        me: NodeId,
        out: &mut Vec<Violation>,
    ) {
        let node = nodes[me.index()];
        for other in (0..nodes.len() as u32).map(NodeId).filter(|&o| o != me) {
            let theirs = &nodes[other.index()].disk.log;
            let len = node.disk.log.len().min(theirs.len());
            let Some(first_diff) = (0..len).find(|&k| node.disk.log[k].id() != theirs[k].id())
            else {
                continue;
            };
            if let Some(k) = (first_diff..len)
                .rev()
                .find(|&k| node.disk.log[k].term == theirs[k].term)
            {
                let (a, b) = (&node.disk.log[first_diff], &theirs[first_diff]);
                let e = format!(
                    "{} and {} both have an entry of term {} at index {}, but differ at index {}: {} has {} (term {}), {} has {} (term {})",
                    nm(me),
                    nm(other),
                    node.disk.log[k].term,
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
    }
}
