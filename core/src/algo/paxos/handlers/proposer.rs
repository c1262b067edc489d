//! The proposer (Lamport, "Paxos Made Simple", §2.2 and §3): phase 1 (Prepare, collect
//! promises from a majority, adopt the value of the highest ballot they report), phase 2
//! (Accept, count Accepted from a majority), retries with a higher ballot, with or
//! without back-off; in Multi-Paxos the leader that runs phase 1 once for every open slot,
//! fills holes with no-ops and gives each client command a slot, and the heartbeats by
//! which the others learn who leads.

use super::super::types::{
    Adopted, Ballot, Msg, Node, Note, Phase, PrepareWhy, Proposal, ProposerMem, Report, Timer,
    Value,
};
use super::super::Paxos;
use super::backoff_range;
use crate::collections::VecSet;
use crate::protocol::Ctx;
use crate::sim::NodeId;
use std::sync::Arc;

/// The first slot this proposer has not seen chosen.
pub(super) fn first_unchosen(p: &ProposerMem) -> u64 {
    let mut s = 1;
    while p.chosen.contains_key(&s) {
        s += 1;
    }
    s
}

impl Paxos {
    /// Phase 1a: a new ballot, higher than any it used or saw, sent to every acceptor.
    pub(super) fn start_phase1(&self, node: &mut Node, why: PrepareWhy, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let (Some(d), Some(p)) = (node.disk.proposer.as_mut(), node.mem.proposer.as_mut()) else {
            return;
        };
        let round = d.round.max(p.highest_seen.map_or(0, |b| b.round)) + 1;
        d.round = round;
        let ballot = Ballot {
            round,
            proposer: me,
        };
        p.ballot = Some(ballot);
        p.phase = Phase::Preparing;
        p.promises.clear();
        p.adopted.clear();
        // Commands proposed in an earlier ballot and not seen chosen wait for a slot
        // again (a promise may report them, then they keep their slot).
        let mut back = Vec::new();
        for (_, prop) in p.proposals.iter() {
            if let (false, Value::Cmd(v)) = (prop.chosen, &prop.value) {
                back.push(v.clone());
            }
        }
        p.proposals.clear();
        if self.params.multi {
            for v in back {
                if !p.pending.contains(&v) {
                    p.pending.push(v);
                }
            }
        }
        let from_slot = if self.params.multi {
            first_unchosen(p)
        } else {
            1
        };
        if node.mem.leader == Some(me) {
            node.mem.leader = None;
        }
        ctx.note(Note::Prepares {
            ballot,
            from_slot,
            why,
            needed: self.majority(),
        });
        ctx.send_all(self.acceptor_ids(), Msg::Prepare { ballot, from_slot });
        self.arm_retry(ctx);
    }

    /// Phase 1b reaches the proposer.
    pub(super) fn on_promise(
        &self,
        node: &mut Node,
        from: NodeId,
        ballot: Ballot,
        reports: &[Report],
        ctx: &mut Ctx<Self>,
    ) {
        let Some(p) = node.mem.proposer.as_mut() else {
            return;
        };
        if p.ballot != Some(ballot) || p.phase != Phase::Preparing {
            ctx.note(Note::Stale {
                from,
                ballot,
                current: p.ballot,
                phase: p.phase,
            });
            return;
        }
        if !p.promises.insert(from) {
            ctx.note(Note::Stale {
                from,
                ballot,
                current: p.ballot,
                phase: p.phase,
            });
            return;
        }
        for r in reports {
            let better = p.adopted.get(&r.slot).is_none_or(|a| r.ballot > a.ballot);
            let reports = p.adopted.get(&r.slot).map_or(0, |a| a.reports) + 1;
            if better {
                p.adopted.insert(
                    r.slot,
                    Adopted {
                        value: r.value.clone(),
                        ballot: r.ballot,
                        from,
                        reports,
                    },
                );
            } else if let Some(a) = p.adopted.get_mut(&r.slot) {
                a.reports = reports;
            }
        }
        let promises = p.promises.len() as u32;
        ctx.note(Note::GotPromise {
            from,
            ballot,
            promises,
            needed: p.needed,
            reports: reports.to_vec(),
        });
        if promises == p.needed {
            if self.params.multi {
                self.become_leader(node, ballot, ctx);
            } else {
                self.phase2_single(node, ballot, ctx);
            }
        }
    }

    /// Single-decree phase 2a: the value of the highest ballot reported, else its own.
    fn phase2_single(&self, node: &mut Node, ballot: Ballot, ctx: &mut Ctx<Self>) {
        let Some(p) = node.mem.proposer.as_mut() else {
            return;
        };
        let value = match (p.adopted.get(&1).cloned(), p.value.clone()) {
            (Some(a), Some(own)) if self.params.unsafe_ignore_promises => {
                ctx.note(Note::IgnoresReported {
                    adopted: a,
                    value: own.clone(),
                });
                Value::Cmd(own)
            }
            (Some(a), own) => {
                ctx.note(Note::Adopts {
                    slot: 1,
                    adopted: a.clone(),
                    own,
                });
                a.value
            }
            (None, Some(own)) => {
                ctx.note(Note::ProposesOwn { value: own.clone() });
                Value::Cmd(own)
            }
            (None, None) => {
                // Prepared by hand with no value of its own and none reported.
                p.phase = Phase::Idle;
                ctx.cancel_timer(Timer::Retry);
                ctx.note(Note::NothingToPropose { ballot });
                return;
            }
        };
        p.phase = Phase::Accepting;
        p.proposals.clear();
        p.proposals.insert(
            1,
            Proposal {
                value: value.clone(),
                accepted_by: VecSet::new(),
                chosen: false,
            },
        );
        ctx.note(Note::SendsAccept {
            ballot,
            slot: 1,
            value: value.clone(),
        });
        ctx.send_all(
            self.acceptor_ids(),
            Msg::Accept {
                ballot,
                slot: 1,
                value,
            },
        );
        self.arm_retry(ctx);
    }

    /// Multi-Paxos: phase 1 done for every slot from the first it has not seen chosen.
    /// Each such slot up to the highest any promise reported gets the value of the
    /// highest ballot reported there, or a no-op where none was (a hole); then every
    /// waiting command gets a slot.
    fn become_leader(&self, node: &mut Node, ballot: Ballot, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let Some(p) = node.mem.proposer.as_mut() else {
            return;
        };
        let from_slot = first_unchosen(p);
        let top = p
            .adopted
            .keys()
            .copied()
            .chain(p.chosen.keys().copied())
            .max()
            .unwrap_or(0)
            .max(from_slot - 1);
        let (mut adopted, mut noops) = (Vec::new(), Vec::new());
        for slot in from_slot..=top {
            if p.chosen.contains_key(&slot) {
                continue;
            }
            let value = match p.adopted.get(&slot) {
                Some(a) if !self.params.unsafe_ignore_promises => {
                    adopted.push(slot);
                    a.value.clone()
                }
                _ => {
                    noops.push(slot);
                    Value::Noop
                }
            };
            // A command it had waiting that a promise reported is in the log already.
            if let Value::Cmd(v) = &value {
                p.pending.retain(|w| w != v);
            }
            p.proposals.insert(
                slot,
                Proposal {
                    value,
                    accepted_by: VecSet::new(),
                    chosen: false,
                },
            );
        }
        p.next_slot = top + 1;
        p.phase = Phase::Leading;
        p.failures = 0;
        node.mem.leader = Some(me);
        ctx.cancel_timer(Timer::Election);
        ctx.note(Note::BecomesLeader {
            ballot,
            from_slot,
            adopted,
            noops,
            known: p.chosen.len() as u32,
        });
        for (&slot, prop) in p.proposals.iter() {
            ctx.send_all(
                self.acceptor_ids(),
                Msg::Accept {
                    ballot,
                    slot,
                    value: prop.value.clone(),
                },
            );
        }
        let pending = std::mem::take(&mut p.pending);
        let any = !p.proposals.is_empty();
        for v in pending {
            self.assign_slot(node, v, ctx);
        }
        if !any {
            ctx.cancel_timer(Timer::Retry);
        } else {
            self.arm_retry(ctx);
        }
        if self.params.leader_election {
            self.send_heartbeats(node, ctx);
        }
    }

    /// Multi-Paxos leader: phase 2 for one client command, in the next free slot.
    pub(super) fn assign_slot(&self, node: &mut Node, value: Arc<str>, ctx: &mut Ctx<Self>) {
        let Some(p) = node.mem.proposer.as_mut() else {
            return;
        };
        let Some(ballot) = p.ballot else {
            return;
        };
        let slot = p.next_slot;
        p.next_slot += 1;
        p.proposals.insert(
            slot,
            Proposal {
                value: Value::Cmd(value.clone()),
                accepted_by: VecSet::new(),
                chosen: false,
            },
        );
        ctx.note(Note::AssignsSlot {
            slot,
            value: value.clone(),
        });
        ctx.send_all(
            self.acceptor_ids(),
            Msg::Accept {
                ballot,
                slot,
                value: Value::Cmd(value),
            },
        );
        self.arm_retry(ctx);
    }

    /// Phase 2b reaches the proposer whose ballot it is.
    pub(super) fn on_accepted(
        &self,
        node: &mut Node,
        from: NodeId,
        ballot: Ballot,
        slot: u64,
        value: Value,
        ctx: &mut Ctx<Self>,
    ) {
        let Some(p) = node.mem.proposer.as_mut() else {
            return;
        };
        let running = matches!(p.phase, Phase::Accepting | Phase::Leading);
        let Some(prop) = p.proposals.get_mut(&slot).filter(|_| running) else {
            ctx.note(Note::Stale {
                from,
                ballot,
                current: p.ballot,
                phase: p.phase,
            });
            return;
        };
        if p.ballot != Some(ballot) || prop.value != value {
            ctx.note(Note::Stale {
                from,
                ballot,
                current: p.ballot,
                phase: p.phase,
            });
            return;
        }
        prop.accepted_by.insert(from);
        let count = prop.accepted_by.len() as u32;
        if prop.chosen || count < p.needed {
            ctx.note(Note::GotAccepted {
                from,
                slot,
                ballot,
                count,
                needed: p.needed,
            });
            return;
        }
        prop.chosen = true;
        let acceptors = prop.accepted_by.iter().copied().collect();
        p.chosen.insert(slot, (ballot, value.clone()));
        p.failures = 0;
        ctx.note(Note::SeesChosen {
            slot,
            ballot,
            value,
            acceptors,
        });
        if !self.params.multi {
            p.phase = Phase::Done;
            ctx.cancel_timer(Timer::Retry);
        } else if p.proposals.values().all(|x| x.chosen) {
            ctx.cancel_timer(Timer::Retry);
        }
    }

    /// An acceptor refused this proposer's ballot: it promised a higher one.
    pub(super) fn on_nack(
        &self,
        node: &mut Node,
        from: NodeId,
        ballot: Ballot,
        promised: Ballot,
        ctx: &mut Ctx<Self>,
    ) {
        let Some(p) = node.mem.proposer.as_mut() else {
            return;
        };
        p.highest_seen = p.highest_seen.max(Some(promised));
        let running = matches!(
            p.phase,
            Phase::Preparing | Phase::Accepting | Phase::Leading
        );
        if p.ballot != Some(ballot) || !running {
            ctx.note(Note::Stale {
                from,
                ballot,
                current: p.ballot,
                phase: p.phase,
            });
            return;
        }
        p.failures += 1;
        ctx.note(Note::Preempted {
            ballot,
            by: promised,
            failures: p.failures,
            from,
        });
        if self.params.multi {
            node.mem.leader = Some(promised.proposer);
        }
        self.after_failure(node, ctx);
    }

    /// After a beaten or timed-out ballot: in Multi-Paxos with leader election, follow
    /// the leader it heard of (or wait for the election timer); else retry, at once or
    /// after backing off.
    fn after_failure(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let Some(p) = node.mem.proposer.as_mut() else {
            return;
        };
        if self.params.multi {
            for (_, prop) in p.proposals.iter() {
                if let (false, Value::Cmd(v)) = (prop.chosen, &prop.value) {
                    if !p.pending.contains(v) {
                        p.pending.push(v.clone());
                    }
                }
            }
            p.proposals.clear();
            if self.params.leader_election {
                p.phase = Phase::Following;
                ctx.cancel_timer(Timer::Retry);
                ctx.cancel_timer(Timer::Heartbeat);
                self.arm_election(ctx);
                self.pass_on_pending(node, ctx);
                return;
            }
            if p.pending.is_empty() {
                p.phase = Phase::Idle;
                ctx.cancel_timer(Timer::Retry);
                if node.mem.leader == Some(me) {
                    node.mem.leader = None;
                }
                return;
            }
        }
        let backoff = node.disk.proposer.as_ref().is_some_and(|d| d.backoff);
        let Some(p) = node.mem.proposer.as_mut() else {
            return;
        };
        if backoff {
            let wait = ctx.random_range(backoff_range(self.params.backoff_base, p.failures));
            p.phase = Phase::BackingOff;
            ctx.note(Note::BacksOff {
                wait,
                failures: p.failures,
            });
            ctx.set_timer(Timer::Retry, wait..=wait);
        } else {
            self.start_phase1(node, PrepareWhy::Retry, ctx);
        }
    }

    /// Multi-Paxos: pass waiting commands on to the leader it knows.
    fn pass_on_pending(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let Some(leader) = node.mem.leader.filter(|&l| l != me) else {
            return;
        };
        let Some(p) = node.mem.proposer.as_mut() else {
            return;
        };
        for value in std::mem::take(&mut p.pending) {
            ctx.send(
                leader,
                Msg::Forward {
                    value: value.clone(),
                    hops: 1,
                },
            );
            ctx.note(Note::Forwards { leader, value });
        }
    }

    pub(super) fn on_retry_timer(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let Some(p) = node.mem.proposer.as_mut() else {
            return;
        };
        match p.phase {
            Phase::BackingOff => self.start_phase1(node, PrepareWhy::Retry, ctx),
            Phase::Preparing | Phase::Accepting => {
                p.failures += 1;
                if let Some(ballot) = p.ballot {
                    ctx.note(Note::TimedOut {
                        ballot,
                        phase: p.phase,
                        failures: p.failures,
                    });
                }
                self.after_failure(node, ctx);
            }
            Phase::Leading => {
                let Some(ballot) = p.ballot else {
                    return;
                };
                let slots: Vec<u64> = p
                    .proposals
                    .iter()
                    .filter(|(_, x)| !x.chosen)
                    .map(|(&s, _)| s)
                    .collect();
                if slots.is_empty() {
                    return;
                }
                ctx.note(Note::Resends {
                    slots: slots.clone(),
                });
                for slot in slots {
                    let value = p.proposals[&slot].value.clone();
                    ctx.send_all(
                        self.acceptor_ids(),
                        Msg::Accept {
                            ballot,
                            slot,
                            value,
                        },
                    );
                }
                self.arm_retry(ctx);
            }
            Phase::Idle | Phase::Following | Phase::Done => {}
        }
    }

    pub(super) fn on_election_timer(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let Some(p) = node.mem.proposer.as_ref() else {
            return;
        };
        if !(self.params.multi && self.params.leader_election) {
            return;
        }
        match p.phase {
            Phase::Leading => {}
            Phase::Preparing | Phase::BackingOff => self.arm_election(ctx),
            _ => {
                ctx.note(Note::NoLeaderHeard);
                node.mem.leader = None;
                self.start_phase1(node, PrepareWhy::Election, ctx);
                self.arm_election(ctx);
            }
        }
    }

    pub(super) fn on_heartbeat_timer(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let leading = node
            .mem
            .proposer
            .as_ref()
            .is_some_and(|p| p.phase == Phase::Leading);
        if leading && self.params.leader_election {
            self.send_heartbeats(node, ctx);
        }
    }

    fn send_heartbeats(&self, node: &mut Node, ctx: &mut Ctx<Self>) {
        let me = ctx.me();
        let Some(p) = node.mem.proposer.as_ref() else {
            return;
        };
        let Some(ballot) = p.ballot else {
            return;
        };
        let chosen_upto = first_unchosen(p);
        let others = (0..self.node_total()).map(NodeId).filter(|&n| n != me);
        ctx.send_all(
            others,
            Msg::Heartbeat {
                ballot,
                chosen_upto,
            },
        );
        let h = self.params.heartbeat_interval;
        ctx.set_timer(Timer::Heartbeat, h..=h);
    }

    /// A leader's heartbeat, at any node: it learns who leads (unless it knows of a
    /// higher ballot); a proposer follows; a learner behind the leader asks to catch up.
    pub(super) fn on_heartbeat(
        &self,
        node: &mut Node,
        from: NodeId,
        ballot: Ballot,
        chosen_upto: u64,
        ctx: &mut Ctx<Self>,
    ) {
        if let Some(p) = node.mem.proposer.as_mut() {
            if p.highest_seen.is_some_and(|h| h > ballot) || p.ballot.is_some_and(|b| b > ballot) {
                ctx.note(Note::Stale {
                    from,
                    ballot,
                    current: p.ballot,
                    phase: p.phase,
                });
                return;
            }
            p.highest_seen = p.highest_seen.max(Some(ballot));
            if p.phase == Phase::Leading {
                let mine = p.ballot.unwrap_or(ballot);
                ctx.note(Note::StepsDown {
                    ballot: mine,
                    by: ballot,
                });
            }
            if matches!(
                p.phase,
                Phase::Leading | Phase::Preparing | Phase::BackingOff | Phase::Idle
            ) {
                p.phase = Phase::Following;
                for (_, prop) in p.proposals.iter() {
                    if let (false, Value::Cmd(v)) = (prop.chosen, &prop.value) {
                        if !p.pending.contains(v) {
                            p.pending.push(v.clone());
                        }
                    }
                }
                p.proposals.clear();
                ctx.cancel_timer(Timer::Retry);
                ctx.cancel_timer(Timer::Heartbeat);
            }
            if self.params.leader_election {
                self.arm_election(ctx);
            }
        }
        if node.mem.leader != Some(from) {
            node.mem.leader = Some(from);
            ctx.note(Note::KnowsLeader {
                leader: from,
                ballot,
            });
        } else {
            ctx.note(Note::Heartbeat { leader: from });
        }
        self.pass_on_pending(node, ctx);
        if node.disk.roles.learner {
            self.maybe_catch_up(node, from, chosen_upto, ctx);
        }
    }

    /// A learner asks for the chosen values from `from_slot` on: a proposer answers with
    /// those it knows.
    pub(super) fn on_catchup(
        &self,
        node: &mut Node,
        from: NodeId,
        from_slot: u64,
        ctx: &mut Ctx<Self>,
    ) {
        let Some(p) = node.mem.proposer.as_ref() else {
            return;
        };
        let slots: Vec<u64> = p.chosen.range(from_slot..).map(|(&s, _)| s).collect();
        if slots.is_empty() {
            return;
        }
        for (&slot, (ballot, value)) in p.chosen.range(from_slot..) {
            let ballot = *ballot;
            ctx.send(
                from,
                Msg::Learn {
                    slot,
                    ballot,
                    value: value.clone(),
                },
            );
        }
        ctx.note(Note::SendsCatchup { to: from, slots });
    }
}
