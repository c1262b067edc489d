//! The learner ("Paxos Made Simple", §2.3): a value is chosen when a majority of
//! acceptors accepted it in one ballot, so a learner counts the Accepted messages per slot
//! and ballot. In Multi-Paxos it is a replica: it applies the chosen commands in slot
//! order with no gaps, and asks the leader for slots it missed.

use super::super::types::{Applied, Ballot, Learned, Msg, Node, Note, Tally, Value};
use super::super::Paxos;
use crate::collections::VecSet;
use crate::protocol::Ctx;
use crate::sim::NodeId;

impl Paxos {
    /// An acceptor says it accepted `value` in `slot` with `ballot`.
    pub(super) fn count_accepted(
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
        if node.learned(slot).is_some() {
            ctx.note(Note::AlreadyKnown { slot });
            return;
        }
        let Some(l) = node.mem.learner.as_mut() else {
            return;
        };
        let k = match l
            .votes
            .iter()
            .position(|t| t.slot == slot && t.ballot == ballot)
        {
            Some(k) => k,
            None => {
                l.votes.push(Tally {
                    slot,
                    ballot,
                    value: value.clone(),
                    acceptors: VecSet::new(),
                });
                l.votes.len() - 1
            }
        };
        let tally = &mut l.votes[k];
        if tally.value != value {
            return;
        }
        tally.acceptors.insert(from);
        let from_set = &tally.acceptors;
        let count = from_set.len() as u32;
        let needed = self.majority();
        if count < needed {
            ctx.note(Note::CountsAccepted {
                from,
                slot,
                ballot,
                count,
                needed,
            });
            return;
        }
        let acceptors = from_set.iter().copied().collect();
        self.learn(node, slot, ballot, value, acceptors, false, ctx);
    }

    /// The learner learns that `value` was chosen in `slot`, then applies what it can.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn learn(
        &self,
        node: &mut Node,
        slot: u64,
        ballot: Ballot,
        value: Value,
        acceptors: Vec<NodeId>,
        from_leader: bool,
        ctx: &mut Ctx<Self>,
    ) {
        if slot == 0 {
            return;
        }
        if node.learned(slot).is_some() {
            ctx.note(Note::AlreadyKnown { slot });
            return;
        }
        let at = ctx.now();
        let Some(d) = node.disk.learner.as_mut() else {
            return;
        };
        let k = slot as usize - 1;
        if d.learned.len() <= k {
            d.learned.resize(k + 1, None);
        }
        d.learned[k] = Some(Learned {
            value: value.clone(),
            ballot,
            at,
        });
        ctx.note(Note::Learns {
            slot,
            ballot,
            value,
            acceptors,
            from_leader,
        });
        if let Some(l) = node.mem.learner.as_mut() {
            l.votes.retain(|t| t.slot != slot);
        }
        // Apply in slot order, with no gaps.
        while let Some(Some(next)) = d.learned.get(d.applied.len()) {
            let slot = d.applied.len() as u64 + 1;
            let value = next.value.clone();
            d.applied.push(Applied {
                slot,
                value: value.clone(),
            });
            ctx.note(Note::Applies { slot, value });
        }
        let hole = d.applied.len() as u64 + 1;
        if hole < slot {
            ctx.note(Note::WaitsForHole { slot, hole });
        }
    }

    /// A learner that hears the leader knows more slots chosen than it learned asks for
    /// them.
    pub(super) fn maybe_catch_up(
        &self,
        node: &mut Node,
        leader: NodeId,
        chosen_upto: u64,
        ctx: &mut Ctx<Self>,
    ) {
        let Some(d) = node.disk.learner.as_ref() else {
            return;
        };
        let first = d
            .learned
            .iter()
            .position(Option::is_none)
            .unwrap_or(d.learned.len()) as u64
            + 1;
        if first < chosen_upto {
            ctx.send(leader, Msg::Catchup { from_slot: first });
            ctx.note(Note::AsksCatchup {
                leader,
                from_slot: first,
            });
        }
    }
}
