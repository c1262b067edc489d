//! A participant's handlers: it does the work, votes, learns the decision, applies the
//! timeout rules of 2PC and 3PC, asks when uncertain, and recovers from its log.

use super::super::types::*;
use super::super::{Transactions, COORD};
use crate::protocol::Ctx;
use crate::sim::{NodeId, Time};

impl Transactions {
    /// Abort on its own (never after voting YES).
    fn abort_alone(&self, node: &mut Participant, tx: u32, why: AbortWhy, ctx: &mut Ctx<Self>) {
        let now = ctx.now();
        node.write_log(now, tx, Rec::Abort, Writes::new());
        node.mem
            .txns
            .entry(tx)
            .or_insert_with(|| Txn::new(TxState::Aborted, now, Writes::new()));
        Self::set_state(node, tx, TxState::Aborted, now);
        ctx.cancel_timer(Timer::Timeout { tx });
        ctx.note(Note::AbortsAlone { tx, why });
    }

    /// Log and apply a decision learned (or reached by a 3PC timeout rule).
    fn apply_decision(node: &mut Participant, tx: u32, commit: bool, now: Time) {
        node.write_log(
            now,
            tx,
            if commit { Rec::Commit } else { Rec::Abort },
            Writes::new(),
        );
        let writes = node
            .mem
            .txns
            .get(&tx)
            .map(|t| t.writes.clone())
            .unwrap_or_default();
        if commit {
            node.disk.data.extend(writes);
        }
        node.mem
            .txns
            .entry(tx)
            .or_insert_with(|| Txn::new(TxState::Init, now, Writes::new()));
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
    }

    /// Whom an uncertain participant asks: the coordinator, and the other participants
    /// when it may (cooperative termination in 2PC, recovery in 3PC).
    fn askees(&self, me: NodeId, peers: bool) -> Vec<NodeId> {
        let mut v = vec![COORD];
        if peers {
            v.extend(self.participants().filter(|&p| p != me));
        }
        v
    }

    pub(super) fn part_msg(
        &self,
        node: &mut Participant,
        from: NodeId,
        msg: Msg,
        ctx: &mut Ctx<Self>,
    ) {
        let now = ctx.now();
        let ign = self.ignoring(&msg, from);
        match msg {
            Msg::Work { tx, writes } => match node.state_of(tx) {
                None if node.logged_decision(tx).is_none() => {
                    node.write_log(now, tx, Rec::Work, writes.clone());
                    node.mem
                        .txns
                        .insert(tx, Txn::new(TxState::Init, now, writes));
                    ctx.send(from, Msg::WorkDone { tx });
                    ctx.set_timer(Timer::Timeout { tx }, self.wait());
                    ctx.note(Note::Works { tx });
                }
                Some(TxState::Init) => {
                    ctx.send(from, Msg::WorkDone { tx });
                    ctx.note(Note::WorkAlreadyDone { tx });
                }
                Some(TxState::Aborted) | None => {
                    // Aborted on its own already: that is a NO.
                    ctx.send(from, Msg::Vote { tx, yes: false });
                    ctx.note(Note::RepeatsVote { tx, yes: false });
                }
                Some(_) => ctx.note(ign(tx, node.state_of(tx))),
            },
            Msg::Prepare { tx } => match node.state_of(tx) {
                Some(TxState::Init) => match node.disk.vote {
                    Vote::Yes => {
                        node.write_log(now, tx, Rec::Yes, Writes::new());
                        Self::set_state(node, tx, TxState::Ready, now);
                        ctx.send(from, Msg::Vote { tx, yes: true });
                        ctx.set_timer(Timer::Timeout { tx }, self.wait());
                        ctx.note(Note::VotesYes { tx });
                    }
                    Vote::No => {
                        node.write_log(now, tx, Rec::Abort, Writes::new());
                        Self::set_state(node, tx, TxState::Aborted, now);
                        ctx.cancel_timer(Timer::Timeout { tx });
                        ctx.send(from, Msg::Vote { tx, yes: false });
                        ctx.note(Note::VotesNo { tx });
                    }
                    Vote::Fail => {
                        ctx.note(Note::FailsBeforeVoting { tx });
                        ctx.crash();
                    }
                },
                Some(TxState::Ready | TxState::Precommit | TxState::Committed) => {
                    // A repeated request: it voted YES already.
                    ctx.send(from, Msg::Vote { tx, yes: true });
                    ctx.note(Note::RepeatsVote { tx, yes: true });
                }
                Some(TxState::Aborted) => {
                    ctx.send(from, Msg::Vote { tx, yes: false });
                    ctx.note(Note::RepeatsVote { tx, yes: false });
                }
                Some(TxState::Wait) | None => {
                    // Never did the work (WORK lost): it cannot vote YES.
                    ctx.send(from, Msg::Vote { tx, yes: false });
                    if node.logged_decision(tx).is_none() {
                        self.abort_alone(node, tx, AbortWhy::Unknown, ctx);
                    } else {
                        ctx.note(Note::RepeatsVote { tx, yes: false });
                    }
                }
            },
            Msg::Precommit { tx } => match node.state_of(tx) {
                Some(TxState::Ready) => {
                    node.write_log(now, tx, Rec::Precommit, Writes::new());
                    Self::set_state(node, tx, TxState::Precommit, now);
                    if let Some(t) = node.mem.txns.get_mut(&tx) {
                        t.recovering = false;
                    }
                    ctx.send(from, Msg::PrecommitAck { tx });
                    ctx.set_timer(Timer::Timeout { tx }, self.wait());
                    ctx.note(Note::PrecommitReceived { tx });
                }
                Some(TxState::Precommit) => {
                    ctx.send(from, Msg::PrecommitAck { tx });
                    ctx.note(Note::PrecommitReceived { tx });
                }
                _ => ctx.note(ign(tx, node.state_of(tx))),
            },
            Msg::Decision { tx, commit } => match node.logged_decision(tx) {
                Some(known) => {
                    let ack = from == COORD;
                    if ack {
                        ctx.send(from, Msg::DecisionAck { tx });
                    }
                    ctx.note(Note::AlreadyKnows {
                        tx,
                        commit: known,
                        ack,
                    });
                }
                None => {
                    Self::apply_decision(node, tx, commit, now);
                    ctx.cancel_timer(Timer::Timeout { tx });
                    if from == COORD {
                        ctx.send(from, Msg::DecisionAck { tx });
                    } else {
                        // Tell the coordinator too, so it can stop resending.
                        ctx.send(COORD, Msg::DecisionAck { tx });
                    }
                    ctx.note(Note::Learns { tx, commit, from });
                }
            },
            Msg::Ask { tx } => match (node.logged_decision(tx), node.state_of(tx)) {
                (Some(commit), _) => {
                    ctx.send(from, Msg::Decision { tx, commit });
                    ctx.note(Note::Tells {
                        tx,
                        to: from,
                        commit,
                    });
                }
                (None, Some(TxState::Init) | None) => {
                    // Has not voted: it may abort, and then it knows the decision.
                    self.abort_alone(node, tx, AbortWhy::Asked, ctx);
                    ctx.send(from, Msg::Decision { tx, commit: false });
                    ctx.note(Note::Tells {
                        tx,
                        to: from,
                        commit: false,
                    });
                }
                (None, Some(state)) => {
                    ctx.send(from, Msg::Uncertain { tx });
                    ctx.note(Note::CannotTell {
                        tx,
                        to: from,
                        state,
                    });
                }
            },
            Msg::Uncertain { tx } => {
                if node.logged_decision(tx).is_none() {
                    ctx.note(Note::PeerUncertain { tx, from });
                } else {
                    ctx.note(ign(tx, node.state_of(tx)));
                }
            }
            Msg::WorkDone { tx }
            | Msg::Vote { tx, .. }
            | Msg::PrecommitAck { tx }
            | Msg::DecisionAck { tx } => ctx.note(ign(tx, node.state_of(tx))),
        }
    }

    pub(super) fn part_timer(&self, node: &mut Participant, timer: Timer, ctx: &mut Ctx<Self>) {
        let Timer::Timeout { tx } = timer else {
            return;
        };
        let now = ctx.now();
        let me = ctx.me();
        let Some((state, recovering)) = node.mem.txns.get(&tx).map(|t| (t.state, t.recovering))
        else {
            ctx.note(Note::Ignores {
                tx,
                what: "timeout",
                from: None,
                state: node.state_of(tx),
            });
            return;
        };
        match state {
            TxState::Init => self.abort_alone(node, tx, AbortWhy::Timeout, ctx),
            TxState::Ready if self.three_phase() && !recovering => {
                Self::apply_decision(node, tx, false, now);
                ctx.note(Note::TimeoutAborts { tx });
            }
            TxState::Ready => {
                // Uncertain: it may not decide alone. Ask, and keep asking.
                let peers = self.three_phase() || self.params.cooperative;
                let asks = self.askees(me, peers);
                ctx.send_all(asks.iter().copied(), Msg::Ask { tx });
                ctx.set_timer(Timer::Timeout { tx }, self.wait());
                let mut again = false;
                if let Some(t) = node.mem.txns.get_mut(&tx) {
                    again = t.blocked_since.is_some();
                    t.blocked_since.get_or_insert(now);
                }
                // After a restart it already said why it asks: from now on it asks again.
                ctx.note(Note::Blocked {
                    tx,
                    asks,
                    again: again || recovering,
                });
            }
            TxState::Precommit => {
                Self::apply_decision(node, tx, true, now);
                ctx.note(Note::TimeoutCommits { tx });
            }
            _ => ctx.note(Note::Ignores {
                tx,
                what: "timeout",
                from: None,
                state: node.state_of(tx),
            }),
        }
    }

    pub(super) fn part_restart(&self, node: &mut Participant, ctx: &mut Ctx<Self>) {
        let now = ctx.now();
        let me = ctx.me();
        Self::rebuild(&node.disk.log, &mut node.mem.txns);
        ctx.note(Note::Restarts {
            txns: node.mem.txns.len() as u32,
        });
        let open: Vec<(u32, TxState)> = node
            .mem
            .txns
            .iter()
            .filter(|(_, t)| t.state.decided().is_none())
            .map(|(tx, t)| (*tx, t.state))
            .collect();
        for (tx, state) in open {
            match state {
                TxState::Init => self.abort_alone(node, tx, AbortWhy::Restart, ctx),
                TxState::Ready => {
                    if let Some(t) = node.mem.txns.get_mut(&tx) {
                        t.recovering = true;
                        t.blocked_since = Some(now);
                    }
                    let peers = self.three_phase() || self.params.cooperative;
                    let asks = self.askees(me, peers);
                    ctx.send_all(asks.iter().copied(), Msg::Ask { tx });
                    ctx.set_timer(Timer::Timeout { tx }, self.wait());
                    ctx.note(Note::AsksAfterRestart { tx, asks });
                }
                _ => {
                    // Pre-committed (3PC): the timeout rule still applies.
                    ctx.set_timer(Timer::Timeout { tx }, self.wait());
                    ctx.note(Note::RestartsPrecommitted { tx });
                }
            }
        }
    }
}
