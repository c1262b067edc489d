//! Leader election (§5.2): election timeouts, RequestVote and its replies, with the
//! up-to-date log check (§5.4.1) and the optional pre-vote (thesis §9.6).

use super::super::types::{Msg, Node, Note, Refusal, Role, Timer};
use super::super::Raft;
use crate::protocol::Ctx;
use crate::sim::NodeId;

impl Raft {
    pub(super) fn start_election(&self, node: &mut Node, forced: bool, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        if self.params.pre_vote {
            node.mem.role = Role::PreCandidate;
            node.mem.votes = [me].into();
            node.mem.leader = None;
            let term = node.disk.current_term + 1;
            ctx.note(Note::StartsPreVote { term, forced });
            ctx.send_all(
                self.peers(me),
                Msg::RequestVote {
                    term,
                    last_log_index: node.disk.last_index(),
                    last_log_term: node.disk.last_term(),
                    pre_vote: true,
                },
            );
            self.arm_election(node, ctx);
        } else {
            let was = node.mem.role;
            self.become_candidate(node, ctx);
            ctx.note(Note::StartsElection {
                term: node.disk.current_term,
                forced,
                was,
            });
        }
    }

    fn become_candidate(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        node.disk.current_term += 1;
        node.mem.role = Role::Candidate;
        node.disk.voted_for = Some(me);
        node.mem.votes = [me].into();
        node.mem.leader = None;
        ctx.send_all(
            self.peers(me),
            Msg::RequestVote {
                term: node.disk.current_term,
                last_log_index: node.disk.last_index(),
                last_log_term: node.disk.last_term(),
                pre_vote: false,
            },
        );
        self.arm_election(node, ctx);
    }

    fn become_leader(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        node.mem.role = Role::Leader;
        node.mem.leader = Some(me);
        let n = self.params.servers as usize;
        let next = node.disk.last_index() + 1;
        node.mem.next_index = vec![next; n];
        node.mem.match_index = vec![0; n];
        node.mem.match_index[me.index()] = node.disk.last_index();
        node.mem.sent_up_to = vec![0; n];
        ctx.cancel_timer(Timer::Election);
        node.mem.timer_set_at = None;
        node.mem.timer_due = None;
        ctx.note(Note::BecomesLeader {
            term: node.disk.current_term,
            votes: node.mem.votes.iter().copied().collect(),
            next,
        });
        self.broadcast_append(node, ctx);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_request_vote(
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
        let up_to_date =
            (last_log_term, last_log_index) >= (node.disk.last_term(), node.disk.last_index());
        let refusal =
            if term < node.disk.current_term || (pre_vote && term == node.disk.current_term) {
                Some(Refusal::StaleTerm {
                    mine: node.disk.current_term,
                })
            } else if !up_to_date {
                Some(Refusal::LogBehind {
                    their_term: last_log_term,
                    their_index: last_log_index,
                    my_term: node.disk.last_term(),
                    my_index: node.disk.last_index(),
                })
            } else if pre_vote {
                let recent = node.mem.heard_leader_at.is_some_and(|t| {
                    ctx.now() < t.saturating_add(self.params.election_timeout[0])
                        && node.mem.leader.is_some()
                });
                match (recent, node.mem.leader, node.mem.role) {
                    (_, Some(l), Role::Leader) => Some(Refusal::LeaderAlive { leader: l }),
                    (true, Some(l), _) => Some(Refusal::LeaderAlive { leader: l }),
                    _ => None,
                }
            } else {
                match node.disk.voted_for {
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
                    node.disk.voted_for = Some(from);
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
                    node.disk.current_term
                },
                granted,
                pre_vote,
            },
        );
    }

    pub(super) fn on_vote_reply(
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
            if !granted && term > node.disk.current_term {
                // Refused by a server in a newer term: catch up with it.
                self.observe_term(node, term, from, ctx);
                return;
            }
            if node.mem.role != Role::PreCandidate {
                if granted
                    && term == node.disk.current_term
                    && matches!(node.mem.role, Role::Candidate | Role::Leader)
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
            if granted && term != node.disk.current_term + 1 {
                ctx.note(Note::StaleReply { from, term });
                return;
            }
        } else {
            let before = node.disk.current_term;
            self.observe_term(node, term, from, ctx);
            if node.disk.current_term != before {
                // A newer term: this server just stepped down; the reply needs no more.
                return;
            }
            if node.mem.role == Role::Leader && term == node.disk.current_term {
                ctx.note(Note::VoteAfterWin {
                    from,
                    term,
                    pre_vote: false,
                    granted,
                });
                return;
            }
            if node.mem.role != Role::Candidate || term != node.disk.current_term {
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
        node.mem.votes.insert(from);
        let votes = node.mem.votes.len() as u32;
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
                    votes: node.mem.votes.iter().copied().collect(),
                });
                self.become_candidate(node, ctx);
            } else {
                self.become_leader(node, ctx);
            }
        }
        let _ = me;
    }
}
