//! The acceptor ("Paxos Made Simple", §2.2 and §2.3): it promises a ballot unless it
//! promised a higher one, reporting what it accepted; it accepts a value in a ballot
//! unless it promised a higher one, and tells the proposer and every learner. What it
//! promised and accepted is on disk (with `unsafe_forget_promise`, the promise is in
//! memory only).

use super::super::types::{Accepted, Ballot, Msg, Node, Note, Report, Value};
use super::super::Paxos;
use crate::protocol::Ctx;
use crate::sim::NodeId;

impl Paxos {
    fn set_promise(&self, node: &mut Node, ballot: Ballot) {
        if node.promised().is_some_and(|p| p >= ballot) {
            return;
        }
        if self.params.unsafe_forget_promise {
            if let Some(a) = node.mem.acceptor.as_mut() {
                a.promised = Some(ballot);
            }
        } else if let Some(a) = node.disk.acceptor.as_mut() {
            a.promised = Some(ballot);
        }
    }

    /// Phase 1b.
    pub(super) fn on_prepare(
        &self,
        node: &mut Node,
        from: NodeId,
        ballot: Ballot,
        from_slot: u64,
        ctx: &mut Ctx<Self>,
    ) {
        let previous = node.promised();
        if let Some(promised) = previous.filter(|&p| ballot < p) {
            ctx.note(Note::RefusesPrepare { ballot, promised });
            ctx.send(
                from,
                Msg::Nack {
                    ballot,
                    promised,
                    accept: false,
                },
            );
            return;
        }
        self.set_promise(node, ballot);
        let reports: Vec<Report> = node
            .disk
            .acceptor
            .as_ref()
            .map(|a| {
                a.accepted
                    .iter()
                    .enumerate()
                    .filter_map(|(k, s)| {
                        let slot = k as u64 + 1;
                        let s = s.as_ref().filter(|_| slot >= from_slot)?;
                        Some(Report {
                            slot,
                            ballot: s.ballot,
                            value: s.value.clone(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        ctx.note(Note::Promises {
            ballot,
            previous,
            reports: reports.clone(),
        });
        ctx.send(
            from,
            Msg::Promise {
                ballot,
                from_slot,
                accepted: reports.into(),
            },
        );
    }

    /// Phase 2b.
    pub(super) fn on_accept(
        &self,
        node: &mut Node,
        from: NodeId,
        ballot: Ballot,
        slot: u64,
        value: Value,
        ctx: &mut Ctx<Self>,
    ) {
        if slot == 0 {
            return;
        }
        if let Some(promised) = node.promised().filter(|&p| ballot < p) {
            ctx.note(Note::RefusesAccept {
                ballot,
                slot,
                promised,
            });
            ctx.send(
                from,
                Msg::Nack {
                    ballot,
                    promised,
                    accept: true,
                },
            );
            return;
        }
        self.set_promise(node, ballot);
        let Some(a) = node.disk.acceptor.as_mut() else {
            return;
        };
        let k = slot as usize - 1;
        if a.accepted.len() <= k {
            a.accepted.resize(k + 1, None);
        }
        let previous = a.accepted[k].replace(Accepted {
            ballot,
            value: value.clone(),
        });
        ctx.note(Note::Accepts {
            ballot,
            slot,
            value: value.clone(),
            previous,
        });
        let mut to = self.learner_ids();
        if !to.contains(&ballot.proposer) {
            to.insert(0, ballot.proposer);
        }
        ctx.send_all(
            to,
            Msg::Accepted {
                ballot,
                slot,
                value,
            },
        );
    }
}
