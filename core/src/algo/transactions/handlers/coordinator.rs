//! The coordinator's handlers: it starts transactions, collects the work and the votes,
//! logs and sends the decision, and finishes from its log after a crash.

use super::super::types::*;
use super::super::Transactions;
use crate::protocol::Ctx;
use crate::sim::NodeId;

impl Transactions {
    pub(super) fn begin(&self, node: &mut Coordinator, writes: Writes, ctx: &mut Ctx<Self>) {
        let tx = node.next_tx();
        let now = ctx.now();
        node.write_log(now, tx, Rec::Begin, writes.clone());
        node.mem
            .txns
            .insert(tx, Txn::new(TxState::Init, now, writes.clone()));
        node.mem.active = Some(tx);
        ctx.send_all(
            self.participants(),
            Msg::Work {
                tx,
                writes: writes.clone(),
            },
        );
        ctx.set_timer(Timer::Timeout { tx }, self.wait());
        ctx.note(Note::Begins { tx });
    }

    /// Log and send a decision; resend until every participant acknowledged.
    fn decide(
        &self,
        node: &mut Coordinator,
        tx: u32,
        commit: bool,
        why: DecideWhy,
        ctx: &mut Ctx<Self>,
    ) {
        let now = ctx.now();
        node.write_log(
            now,
            tx,
            if commit { Rec::Commit } else { Rec::Abort },
            Writes::new(),
        );
        Self::set_state(
            node,
            tx,
            if commit {
                TxState::Committed
            } else {
                TxState::Aborted
            },
            now,
        );
        if let Some(t) = node.mem.txns.get_mut(&tx) {
            t.acks.clear();
        }
        ctx.cancel_timer(Timer::Timeout { tx });
        ctx.send_all(self.participants(), Msg::Decision { tx, commit });
        ctx.set_timer(Timer::Resend { tx }, self.wait());
        ctx.note(Note::Decides { tx, commit, why });
        if node.mem.active == Some(tx) {
            node.mem.active = None;
            self.next_in_queue(node, ctx);
        }
    }

    fn next_in_queue(&self, node: &mut Coordinator, ctx: &mut Ctx<Self>) {
        if node.mem.active.is_none() && !node.disk.queue.is_empty() {
            let writes = node.disk.queue.remove(0);
            self.begin(node, writes, ctx);
        }
    }

    pub(super) fn coord_msg(
        &self,
        node: &mut Coordinator,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<Self>,
    ) {
        let n = self.params.participants;
        let ign = self.ignoring(&msg, from);
        match msg {
            Msg::WorkDone { tx } => {
                let Some(t) = node.mem.txns.get_mut(&tx) else {
                    ctx.note(ign(tx, node.state_of(tx)));
                    return;
                };
                if t.state != TxState::Init {
                    ctx.note(ign(tx, Some(t.state)));
                    return;
                }
                t.done.insert(from);
                let remaining = n - t.done.len() as u32;
                if remaining > 0 {
                    ctx.note(Note::WorkCounted { tx, remaining });
                    return;
                }
                t.state = TxState::Wait;
                t.since = ctx.now();
                ctx.send_all(self.participants(), Msg::Prepare { tx });
                ctx.set_timer(Timer::Timeout { tx }, self.wait());
                ctx.note(Note::AsksVotes { tx });
            }
            Msg::Vote { tx, yes } => {
                let Some(t) = node.mem.txns.get_mut(&tx) else {
                    ctx.note(ign(tx, node.state_of(tx)));
                    return;
                };
                if !matches!(t.state, TxState::Init | TxState::Wait) {
                    ctx.note(ign(tx, Some(t.state)));
                    return;
                }
                if !yes {
                    self.decide(node, tx, false, DecideWhy::VotedNo, ctx);
                    return;
                }
                if t.state != TxState::Wait {
                    ctx.note(ign(tx, Some(t.state)));
                    return;
                }
                t.votes.insert(from, true);
                let remaining = n - t.votes.len() as u32;
                if remaining > 0 {
                    ctx.note(Note::VoteCounted { tx, remaining });
                } else if self.three_phase() {
                    node.write_log(ctx.now(), tx, Rec::Precommit, Writes::new());
                    Self::set_state(node, tx, TxState::Precommit, ctx.now());
                    ctx.send_all(self.participants(), Msg::Precommit { tx });
                    ctx.set_timer(Timer::Timeout { tx }, self.wait());
                    ctx.note(Note::Precommits { tx });
                } else {
                    self.decide(node, tx, true, DecideWhy::AllYes, ctx);
                }
            }
            Msg::PrecommitAck { tx } => {
                let Some(t) = node.mem.txns.get_mut(&tx) else {
                    ctx.note(ign(tx, node.state_of(tx)));
                    return;
                };
                if t.state != TxState::Precommit {
                    ctx.note(ign(tx, Some(t.state)));
                    return;
                }
                t.acks.insert(from);
                let remaining = n - t.acks.len() as u32;
                if remaining > 0 {
                    ctx.note(Note::PrecommitAcked { tx, remaining });
                } else {
                    self.decide(node, tx, true, DecideWhy::AllAcked, ctx);
                }
            }
            Msg::DecisionAck { tx } => {
                let ended = node.has(tx, Rec::End);
                let Some(t) = node.mem.txns.get_mut(&tx) else {
                    ctx.note(ign(tx, node.state_of(tx)));
                    return;
                };
                if t.state.decided().is_none() || ended {
                    ctx.note(ign(tx, Some(t.state)));
                    return;
                }
                t.acks.insert(from);
                let remaining = n - t.acks.len() as u32;
                if remaining > 0 {
                    ctx.note(Note::DecisionAcked { tx, remaining });
                } else {
                    node.write_log(ctx.now(), tx, Rec::End, Writes::new());
                    ctx.cancel_timer(Timer::Resend { tx });
                    ctx.note(Note::Ends { tx });
                }
            }
            Msg::Ask { tx } => match node.logged_decision(tx) {
                Some(commit) => {
                    ctx.send(from, Msg::Decision { tx, commit });
                    ctx.note(Note::Tells {
                        tx,
                        to: from,
                        commit,
                    });
                }
                None => {
                    let state = node.state_of(tx).unwrap_or(TxState::Init);
                    ctx.send(from, Msg::Uncertain { tx });
                    ctx.note(Note::CannotTell {
                        tx,
                        to: from,
                        state,
                    });
                }
            },
            Msg::Work { tx, .. }
            | Msg::Prepare { tx }
            | Msg::Precommit { tx }
            | Msg::Decision { tx, .. }
            | Msg::Uncertain { tx } => ctx.note(ign(tx, node.state_of(tx))),
        }
    }

    pub(super) fn coord_timer(&self, node: &mut Coordinator, timer: Timer, ctx: &mut Ctx<Self>) {
        match timer {
            Timer::Timeout { tx } => match node.state_of(tx) {
                Some(TxState::Init | TxState::Wait) => {
                    self.decide(node, tx, false, DecideWhy::Timeout, ctx)
                }
                Some(TxState::Precommit) => {
                    self.decide(node, tx, true, DecideWhy::PrecommitTimeout, ctx)
                }
                _ => ctx.note(Note::Ignores {
                    tx,
                    what: "timeout",
                    from: None,
                    state: node.state_of(tx),
                }),
            },
            Timer::Resend { tx } => {
                let (Some(commit), Some(t)) = (node.logged_decision(tx), node.mem.txns.get(&tx))
                else {
                    ctx.note(Note::Ignores {
                        tx,
                        what: "resend timer",
                        from: None,
                        state: node.state_of(tx),
                    });
                    return;
                };
                let to: Vec<NodeId> = self
                    .participants()
                    .filter(|p| !t.acks.contains(p))
                    .collect();
                ctx.send_all(to.iter().copied(), Msg::Decision { tx, commit });
                ctx.set_timer(Timer::Resend { tx }, self.wait());
                ctx.note(Note::Resends { tx, to });
            }
        }
    }

    pub(super) fn coord_restart(&self, node: &mut Coordinator, ctx: &mut Ctx<Self>) {
        Self::rebuild(&node.disk.log, &mut node.mem.txns);
        ctx.note(Note::Restarts {
            txns: node.mem.txns.len() as u32,
        });
        let open: Vec<(u32, TxState)> = node
            .mem
            .txns
            .iter()
            .filter(|(tx, _)| !node.has(**tx, Rec::End))
            .map(|(tx, t)| (*tx, t.state))
            .collect();
        for (tx, state) in open {
            ctx.note(Note::Recovers { tx, state });
            match state {
                TxState::Committed | TxState::Aborted => {
                    let commit = state == TxState::Committed;
                    ctx.send_all(self.participants(), Msg::Decision { tx, commit });
                    ctx.set_timer(Timer::Resend { tx }, self.wait());
                }
                TxState::Precommit => {
                    self.decide(node, tx, true, DecideWhy::RecoveryPrecommit, ctx)
                }
                _ => self.decide(node, tx, false, DecideWhy::Recovery, ctx),
            }
        }
        if !node.disk.queue.is_empty() {
            ctx.note(Note::KeepsQueue {
                waiting: node.disk.queue.len() as u32,
            });
            self.next_in_queue(node, ctx);
        }
    }
}
