//! Log replication and commitment (§5.3, §5.4.2): AppendEntries and its replies, the
//! follower's consistency check and truncation, the leader backing off `nextIndex`,
//! counting replicas to commit, and applying committed entries to the state machine.

use super::super::types::{Entry, Msg, Node, Note, Reject, Role, Timer};
use super::super::Raft;
use crate::protocol::Ctx;
use crate::sim::NodeId;
use std::sync::Arc;

impl Raft {
    /// The AppendEntries a leader sends `to` now, from its `next_index`. `shared` is the
    /// entries of the last one made in the same broadcast, with its `prev_log_index`: a
    /// follower as far along gets the same slice (the leader's log has not changed).
    fn append_for(&self, node: &Node, to: NodeId, shared: &mut Option<(u64, Arc<[Entry]>)>) -> Msg {
        let next = node.mem.next_index[to.index()].clamp(1, node.disk.last_index() + 1);
        let prev = next - 1;
        let entries = match shared {
            Some((p, entries)) if *p == prev => entries.clone(),
            _ => {
                let entries = node.disk.log.shared_from(prev as usize);
                *shared = Some((prev, entries.clone()));
                entries
            }
        };
        Msg::AppendEntries {
            term: node.disk.current_term,
            prev_log_index: prev,
            prev_log_term: node.disk.term_at(prev).unwrap_or(0),
            entries,
            leader_commit: node.mem.commit_index,
        }
    }

    /// Send AppendEntries to every follower (a heartbeat for those up to date) and re-arm
    /// the heartbeat timer.
    pub(super) fn broadcast_append(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let mut with_entries = Vec::new();
        let mut shared = None;
        for p in self.peers(me) {
            if self.send_append(node, p, &mut shared, ctx) {
                with_entries.push(p);
            }
        }
        ctx.note(Note::SendsAppend {
            term: node.disk.current_term,
            heartbeat: with_entries.is_empty(),
            with_entries,
        });
        let h = self.params.heartbeat_interval;
        ctx.set_timer(Timer::Heartbeat, h..=h);
    }

    /// Send `to` its AppendEntries now (from its `nextIndex`); whether it carries entries.
    fn send_append(
        &self,
        node: &mut Node,
        to: NodeId,
        shared: &mut Option<(u64, Arc<[Entry]>)>,
        ctx: &mut Ctx<Self>,
    ) -> bool {
        let m = self.append_for(node, to, shared);
        let carries = matches!(&m, Msg::AppendEntries { entries, .. } if !entries.is_empty());
        let last = node.disk.last_index();
        if let Some(s) = node.mem.sent_up_to.get_mut(to.index()) {
            *s = last;
        }
        ctx.send(to, m);
        carries
    }

    /// Apply committed entries to the state machine; a leader answers the clients of
    /// entries it created in its term.
    fn apply(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        while node.mem.last_applied < node.mem.commit_index {
            node.mem.last_applied += 1;
            let Some(e) = node.disk.entry(node.mem.last_applied) else {
                break;
            };
            if !node.mem.applied_requests.insert((e.client, e.seq)) {
                ctx.note(Note::SkipsDuplicate {
                    index: node.mem.last_applied,
                    client: e.client,
                    seq: e.seq,
                });
                continue;
            }
            node.mem.kv.insert(e.key.clone(), e.value.clone());
            ctx.note(Note::Applies {
                index: node.mem.last_applied,
                term: e.term,
                client: e.client,
                seq: e.seq,
                key: e.key.clone(),
                value: e.value.clone(),
            });
            if node.mem.role == Role::Leader && e.term == node.disk.current_term {
                ctx.note(Note::AnswersClient {
                    client: e.client,
                    seq: e.seq,
                    index: node.mem.last_applied,
                });
            }
        }
    }

    /// Leader: commit the highest index stored on a majority (and from the current term,
    /// unless the unsafe rule is on).
    fn advance_commit(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        // Highest first: an insertion sort, for a handful of servers (a library sort would
        // add its own code to the page for this one list), on the stack (at most 9).
        let mut buf = [0u64; 9];
        let mut heap;
        let sorted: &mut [u64] = match buf.get_mut(..node.mem.match_index.len()) {
            Some(b) => {
                b.copy_from_slice(&node.mem.match_index);
                b
            }
            None => {
                heap = node.mem.match_index.clone();
                &mut heap
            }
        };
        for i in 1..sorted.len() {
            let mut j = i;
            while j > 0 && sorted[j - 1] < sorted[j] {
                sorted.swap(j - 1, j);
                j -= 1;
            }
        }
        let on_majority = sorted[self.majority() as usize - 1];
        if on_majority <= node.mem.commit_index {
            return;
        }
        let unsafe_rule = self.params.unsafe_commit_old_terms;
        // The highest N on a majority whose entry is from the current term.
        let target = if unsafe_rule {
            Some(on_majority)
        } else {
            (node.mem.commit_index + 1..=on_majority)
                .rev()
                .find(|&i| node.disk.term_at(i) == Some(node.disk.current_term))
        };
        match target {
            Some(to) => {
                let from = node.mem.commit_index + 1;
                let holders = node
                    .mem
                    .match_index
                    .iter()
                    .enumerate()
                    .filter(|(_, &m)| m >= to)
                    .map(|(i, _)| NodeId(i as u32))
                    .collect();
                node.mem.commit_index = to;
                ctx.note(Note::LeaderCommits {
                    from,
                    to,
                    term: node.disk.current_term,
                    holders,
                    unsafe_rule: unsafe_rule
                        && node.disk.term_at(to) != Some(node.disk.current_term),
                });
                self.apply(node, ctx);
            }
            None => ctx.note(Note::CannotCommitOldTerm {
                index: on_majority,
                term: node.disk.term_at(on_majority).unwrap_or(0),
            }),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append(
        &self,
        node: &mut Node,
        from: NodeId,
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Arc<[Entry]>,
        leader_commit: u64,
        ctx: &mut Ctx<Self>,
    ) {
        let reply =
            |ctx: &mut Ctx<Self>, node: &Node, success, index, hint: Option<(Option<u64>, u64)>| {
                ctx.send(
                    from,
                    Msg::AppendEntriesReply {
                        term: node.disk.current_term,
                        success,
                        index,
                        conflict_term: hint.and_then(|h| h.0),
                        conflict_index: hint.map(|h| h.1),
                    },
                )
            };
        self.observe_term(node, term, from, ctx);
        if term < node.disk.current_term {
            ctx.note(Note::RejectsAppend {
                leader: from,
                reject: Reject::StaleTerm {
                    mine: node.disk.current_term,
                },
            });
            reply(ctx, node, false, prev_log_index, None);
            return;
        }
        // A current leader: follow it and reset the election timer.
        if node.mem.role != Role::Follower {
            node.mem.role = Role::Follower;
            node.mem.votes.clear();
            ctx.note(Note::AcceptsLeader { leader: from, term });
        }
        node.mem.leader = Some(from);
        node.mem.heard_leader_at = Some(ctx.now());
        self.arm_election(node, ctx);
        // Consistency check.
        match node.disk.term_at(prev_log_index) {
            None => {
                ctx.note(Note::RejectsAppend {
                    leader: from,
                    reject: Reject::Missing {
                        prev_index: prev_log_index,
                        last: node.disk.last_index(),
                    },
                });
                let hint = self
                    .params
                    .conflict_hint
                    .then_some((None, node.disk.last_index() + 1));
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
                        .find(|&i| node.disk.term_at(i) == Some(t))
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
        for (k, e) in entries.iter().enumerate() {
            let index = prev_log_index + 1 + k as u64;
            match node.disk.term_at(index) {
                Some(t) if t == e.term => continue,
                Some(t) => {
                    let removed = node.disk.last_index() - index + 1;
                    node.disk.log.truncate(index as usize - 1);
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
            node.disk.log.push(e.clone());
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
        if leader_commit > node.mem.commit_index {
            let to = leader_commit.min(last_new);
            if to > node.mem.commit_index {
                ctx.note(Note::FollowerCommits {
                    from: node.mem.commit_index + 1,
                    to,
                    leader_commit,
                });
                node.mem.commit_index = to;
                self.apply(node, ctx);
            }
        }
        reply(ctx, node, true, last_new, None);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append_reply(
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
        if node.mem.role != Role::Leader || term != node.disk.current_term {
            ctx.note(Note::StaleReply { from, term });
            return;
        }
        let f = from.index();
        if success {
            if index > node.mem.match_index[f] {
                node.mem.match_index[f] = index;
            }
            node.mem.next_index[f] = node.mem.next_index[f].max(node.mem.match_index[f] + 1);
            ctx.note(Note::Acked {
                from,
                match_index: node.mem.match_index[f],
            });
            self.advance_commit(node, ctx);
            let last = node.disk.last_index();
            let unsent = node.mem.sent_up_to.get(f).is_none_or(|&s| s < last);
            if node.mem.next_index[f] <= last && unsent {
                self.send_append(node, from, &mut None, ctx);
            }
        } else {
            if index + 1 != node.mem.next_index[f] || index <= node.mem.match_index[f] {
                // A reply to an older request: nextIndex has moved since it was sent.
                ctx.note(Note::StaleReply { from, term });
                return;
            }
            let hinted = match (conflict_term, conflict_index) {
                (Some(ct), Some(ci)) => {
                    // After the leader's last entry of that term, or the follower's first.
                    let last_of = (1..=node.disk.last_index())
                        .rev()
                        .find(|&i| node.disk.term_at(i) == Some(ct));
                    Some(last_of.map_or(ci, |i| i + 1))
                }
                (None, Some(ci)) => Some(ci),
                _ => None,
            };
            let next = hinted
                .unwrap_or(index)
                .min(index)
                .max(node.mem.match_index[f] + 1)
                .max(1);
            node.mem.next_index[f] = next;
            ctx.note(Note::BacksOff {
                from,
                next,
                hint: hinted.is_some(),
            });
            self.send_append(node, from, &mut None, ctx);
        }
    }
}
