//! The safety checker, and the run's record of what was chosen.
//!
//! A value is chosen in a slot at the step at which a majority of acceptors has accepted
//! it in one ballot; no single node sees that, so the checker, which looks at every
//! acceptor after every step, keeps the record ([`PaxosChecker::chosen`]: slot, ballot,
//! value, the acceptors, the step and the time), and tells "accepted by a minority" from
//! "chosen" ([`PaxosChecker::votes`]). It also keeps the liveness observation of dueling
//! proposers ([`PaxosChecker::livelock`]): ballots rising with nothing chosen, which is
//! not a violation.

use super::narration::name;
use super::types::{Accepted, Ballot, Cmd, Node, Value, MAX_VALUE_CHARS};
use super::Paxos;
use crate::collections::{VecMap, VecSet};
use crate::invariant::{Checker, Property, Violation};
use crate::sim::{Action, NodeId, Sim, Time};
use crate::trace::{StepKind, StepOutcome};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const AGREEMENT: &str = "Agreement";
pub const VALIDITY: &str = "Validity";
pub const LEARNED_ONLY_CHOSEN: &str = "Learn Only Chosen";
pub const ONE_VALUE_PER_BALLOT: &str = "OneValuePerBallot";
pub const PROMISE_NEVER_DECREASES: &str = "Promise Never Decreases";
pub const ACCEPTED_WITHIN_PROMISE: &str = "Accepted Within Promise";
pub const SAME_COMMAND_PER_SLOT: &str = "Same Command per Slot";
pub const SLOT_ORDER: &str = "Slot Order, No Gaps";

/// Ballots that rise this many times in a row with nothing chosen make a livelock.
pub const LIVELOCK_RISES: u32 = 4;

pub(super) fn properties(multi: bool) -> Vec<Property> {
    let mut v = vec![
        Property {
            name: AGREEMENT,
            description: if multi {
                "At most one value is chosen in each slot."
            } else {
                "At most one value is chosen."
            },
        },
        Property {
            name: VALIDITY,
            description:
                "A chosen value was proposed by a client (or is a leader's no-op filling a hole).",
        },
        Property {
            name: LEARNED_ONLY_CHOSEN,
            description: "A learner learns only a value that was chosen.",
        },
        Property {
            name: ONE_VALUE_PER_BALLOT,
            description: "No two acceptors accept different values in one ballot (and slot).",
        },
        Property {
            name: PROMISE_NEVER_DECREASES,
            description: "An acceptor's promised ballot never decreases.",
        },
        Property {
            name: ACCEPTED_WITHIN_PROMISE,
            description: "An acceptor never holds an accepted ballot higher than its promise.",
        },
    ];
    if multi {
        v.push(Property {
            name: SAME_COMMAND_PER_SLOT,
            description: "Replicas apply the same command at each slot.",
        });
        v.push(Property {
            name: SLOT_ORDER,
            description: "A replica applies commands in slot order, with no gaps.",
        });
    }
    v
}

/// A value chosen in a slot: accepted in `ballot` by a majority (`acceptors`, in the
/// order they accepted), first at step index `step` (numbered from 0, as
/// [`Violation::step`]) and simulated time `time`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chosen {
    pub slot: u64,
    pub ballot: Ballot,
    pub value: Value,
    pub acceptors: Vec<NodeId>,
    pub step: u64,
    pub time: Time,
}

/// The acceptors that accepted a value in one slot and ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Votes {
    pub value: Value,
    pub acceptors: Vec<NodeId>,
    /// A majority: the value is chosen.
    pub chosen: bool,
}

/// Dueling proposers: ballots rose `rises` times in a row (to `highest`) with nothing
/// chosen since step index `since_step` (time `since_time`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Livelock {
    pub rises: u32,
    pub highest: Ballot,
    pub since_step: u64,
    pub since_time: Time,
}

/// Checks the properties after every step, from the nodes the step touched, and keeps
/// the record of what was chosen.
#[derive(Clone, Debug)]
pub struct PaxosChecker {
    majority: usize,
    multi: bool,
    /// Per node: what the checker last read of its promise, accepted slots, learned slots
    /// and applied commands.
    promised: Vec<Option<Ballot>>,
    accepted: Vec<Vec<Option<Accepted>>>,
    learned: Vec<usize>,
    applied: Vec<usize>,
    /// (slot, ballot) -> who accepted what.
    votes: BTreeMap<(u64, Ballot), Votes>,
    chosen: VecMap<u64, Vec<Chosen>>,
    /// Values clients proposed.
    proposed: VecSet<Arc<str>>,
    /// Slot -> the command first applied there, and by whom.
    applied_at: VecMap<u64, (Value, NodeId)>,
    highest: Option<Ballot>,
    rises: u32,
    progress: (u64, Time),
    livelock: Option<Livelock>,
    reported: VecSet<(&'static str, u64, u32)>,
}

impl PaxosChecker {
    pub fn new(proto: &Paxos) -> Self {
        let n = proto.node_total() as usize;
        PaxosChecker {
            majority: proto.majority() as usize,
            multi: proto.params.multi,
            promised: vec![None; n],
            accepted: vec![Vec::new(); n],
            learned: vec![0; n],
            applied: vec![0; n],
            votes: BTreeMap::new(),
            chosen: VecMap::new(),
            proposed: VecSet::new(),
            applied_at: VecMap::new(),
            highest: None,
            rises: 0,
            progress: (0, 0),
            livelock: None,
            reported: VecSet::new(),
        }
    }

    /// The value first chosen in `slot`, if one is.
    pub fn chosen(&self, slot: u64) -> Option<&Chosen> {
        self.chosen.get(&slot).and_then(|v| v.first())
    }

    /// Every time a value was chosen in `slot` (again in a later ballot, or, when Paxos
    /// is broken, another value), in order.
    pub fn chosen_all(&self, slot: u64) -> &[Chosen] {
        self.chosen.get(&slot).map_or(&[], |v| v.as_slice())
    }

    /// The slots with a chosen value.
    pub fn chosen_slots(&self) -> impl Iterator<Item = u64> + '_ {
        self.chosen.keys().copied()
    }

    /// Who accepted what in `slot` with `ballot`.
    pub fn votes(&self, slot: u64, ballot: Ballot) -> Option<&Votes> {
        self.votes.get(&(slot, ballot))
    }

    /// Ballots keep rising with nothing chosen (a liveness observation).
    pub fn livelock(&self) -> Option<&Livelock> {
        self.livelock.as_ref()
    }

    /// A client proposed `value`.
    pub fn proposed(&mut self, value: &str) {
        if !value.trim().is_empty() && value.chars().count() <= MAX_VALUE_CHARS {
            self.proposed.insert(value.into());
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

impl Checker<Paxos> for PaxosChecker {
    fn check(&mut self, sim: &Sim<Paxos>, step: &StepOutcome<Paxos>, out: &mut Vec<Violation>) {
        let r = &step.record;
        if let StepKind::Action {
            action:
                Action::Command {
                    cmd: Cmd::Propose { value },
                    ..
                },
            ..
        } = &r.kind
        {
            self.proposed(value);
        }
        let mut touched: Vec<NodeId> = r.node.into_iter().collect();
        touched.extend(r.status.iter().map(|s| s.node));
        touched.sort();
        touched.dedup();
        if touched.is_empty() {
            return;
        }
        let nodes: Vec<&Node> = sim.node_ids().map(|n| sim.node(n)).collect();
        self.check_nodes(&nodes, sim.names(), &touched, r.index, r.time, out);
    }
}

impl PaxosChecker {
    /// The checks after step index `step` (at `time`) touched the nodes `touched`, given
    /// every node's state in id order.
    pub fn check_nodes(
        &mut self,
        nodes: &[&Node],
        names: &[String],
        touched: &[NodeId],
        step: u64,
        time: Time,
        out: &mut Vec<Violation>,
    ) {
        for &me in touched {
            let Some(node) = nodes.get(me.index()) else {
                continue;
            };
            if node.disk.roles.acceptor {
                self.check_acceptor(node, names, me, step, time, out);
            }
            if node.disk.roles.learner {
                self.check_learner(node, names, me, out);
            }
        }
    }

    fn check_acceptor(
        &mut self,
        node: &Node,
        names: &[String],
        me: NodeId,
        step: u64,
        time: Time,
        out: &mut Vec<Violation>,
    ) {
        let nm = |id: NodeId| name(names, id).to_string();
        let show = |b: Option<Ballot>| b.map_or("none".to_string(), |b| b.show(names));
        let i = me.index();
        let promised = node.promised();
        let before = self.promised[i];
        if promised < before {
            let e = format!(
                "{}'s promise fell from {} to {}: it could now accept a ballot lower than one it promised to ignore",
                nm(me),
                show(before),
                show(promised)
            );
            let round = before.map_or(0, |b| b.round);
            self.report(out, PROMISE_NEVER_DECREASES, (round, me.0), e);
        }
        self.promised[i] = promised;
        // The ballots rise: a new highest promise anywhere.
        if promised > self.highest {
            self.highest = promised;
            self.rises += 1;
            if self.rises >= LIVELOCK_RISES {
                self.livelock = Some(Livelock {
                    rises: self.rises,
                    highest: promised.expect("higher than something"),
                    since_step: self.progress.0,
                    since_time: self.progress.1,
                });
            }
        }

        let Some(disk) = node.disk.acceptor.as_ref() else {
            return;
        };
        // Accepted Within Promise.
        if let Some((slot, a)) = disk
            .accepted
            .iter()
            .enumerate()
            .filter_map(|(k, a)| a.as_ref().map(|a| (k as u64 + 1, a)))
            .find(|(_, a)| Some(a.ballot) > promised)
        {
            let in_slot = if self.multi {
                format!(" in slot {slot}")
            } else {
                String::new()
            };
            let e = format!(
                "{} holds {} = {} accepted{in_slot} but its promise is {}",
                nm(me),
                a.ballot.show(names),
                a.value.show(),
                show(promised)
            );
            self.report(out, ACCEPTED_WITHIN_PROMISE, (a.ballot.round, me.0), e);
        }
        // New acceptances.
        let seen = &mut self.accepted[i];
        let mut new = Vec::new();
        for (k, a) in disk.accepted.iter().enumerate() {
            if seen.get(k) != Some(a) {
                if let Some(a) = a {
                    new.push((k as u64 + 1, a.clone()));
                }
            }
        }
        if seen.as_slice() != disk.accepted.as_slice() {
            seen.clone_from(&disk.accepted);
        }
        for (slot, a) in new {
            self.vote(names, me, slot, a, step, time, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn vote(
        &mut self,
        names: &[String],
        me: NodeId,
        slot: u64,
        a: Accepted,
        step: u64,
        time: Time,
        out: &mut Vec<Violation>,
    ) {
        let nm = |id: NodeId| name(names, id).to_string();
        let in_slot = if self.multi {
            format!(" in slot {slot}")
        } else {
            String::new()
        };
        let votes = self.votes.entry((slot, a.ballot)).or_insert_with(|| Votes {
            value: a.value.clone(),
            acceptors: Vec::new(),
            chosen: false,
        });
        if votes.value != a.value {
            let other = votes.acceptors.first().copied().unwrap_or(me);
            let e = format!(
                "{} accepted {} in ballot {}{in_slot}, but {} accepted {} in that ballot",
                nm(me),
                a.value.show(),
                a.ballot.show(names),
                nm(other),
                votes.value.show()
            );
            let key = (slot * 1_000_000 + a.ballot.round, a.ballot.proposer.0);
            self.report(out, ONE_VALUE_PER_BALLOT, key, e);
            return;
        }
        if !votes.acceptors.contains(&me) {
            votes.acceptors.push(me);
        }
        if votes.chosen || votes.acceptors.len() < self.majority {
            return;
        }
        votes.chosen = true;
        let chosen = Chosen {
            slot,
            ballot: a.ballot,
            value: a.value.clone(),
            acceptors: votes.acceptors.clone(),
            step,
            time,
        };
        self.rises = 0;
        self.livelock = None;
        self.progress = (step, time);
        // Validity.
        let proposed = match &a.value {
            Value::Cmd(v) => self.proposed.contains(v),
            Value::Noop => self.multi,
        };
        if !proposed {
            let e = format!(
                "{} was chosen{in_slot} in ballot {}, but no client proposed it",
                a.value.show(),
                a.ballot.show(names)
            );
            self.report(out, VALIDITY, (slot, 0), e);
        }
        // Agreement.
        let first = self.chosen(slot).cloned();
        self.chosen.entry(slot).or_default().push(chosen);
        if let Some(f) = first.filter(|f| f.value != a.value) {
            let e = format!(
                "{} was chosen{in_slot} in ballot {} (accepted by {}), but {} had already been chosen in ballot {} (accepted by {})",
                a.value.show(),
                a.ballot.show(names),
                list(names, &self.chosen_all(slot).last().expect("just pushed").acceptors),
                f.value.show(),
                f.ballot.show(names),
                list(names, &f.acceptors)
            );
            self.report(out, AGREEMENT, (slot, 0), e);
        }
    }

    fn check_learner(
        &mut self,
        node: &Node,
        names: &[String],
        me: NodeId,
        out: &mut Vec<Violation>,
    ) {
        let nm = |id: NodeId| name(names, id).to_string();
        let i = me.index();
        let Some(d) = node.disk.learner.as_ref() else {
            return;
        };
        let multi = self.multi;
        let in_slot = |slot: u64| {
            if multi {
                format!(" in slot {slot}")
            } else {
                String::new()
            }
        };
        // Learn Only Chosen: every slot learned since last time (a learner learns at most
        // one slot per step, and never forgets: it is on disk).
        let count = d.learned.iter().filter(|l| l.is_some()).count();
        if count != self.learned[i] {
            self.learned[i] = count;
            for (k, l) in d.learned.iter().enumerate() {
                let Some(l) = l else { continue };
                let slot = k as u64 + 1;
                let ok = self.chosen_all(slot).iter().any(|c| c.value == l.value);
                if !ok {
                    let what = match self.chosen(slot) {
                        Some(c) => format!("{} was chosen there", c.value.show()),
                        None => "nothing was chosen there".to_string(),
                    };
                    let e = format!(
                        "{} learned {}{}, but {what}",
                        nm(me),
                        l.value.show(),
                        in_slot(slot)
                    );
                    self.report(out, LEARNED_ONLY_CHOSEN, (slot, me.0), e);
                }
            }
        }
        if !self.multi {
            self.applied[i] = d.applied.len();
            return;
        }
        if d.applied.len() < self.applied[i] {
            self.applied[i] = 0;
        }
        for k in self.applied[i]..d.applied.len() {
            let a = &d.applied[k];
            let expected = k as u64 + 1;
            if a.slot != expected {
                let e = format!(
                    "{} applied slot {} as its command number {expected}: {}",
                    nm(me),
                    a.slot,
                    if a.slot > expected {
                        format!("slot {expected} was skipped")
                    } else {
                        "out of slot order".to_string()
                    }
                );
                self.report(out, SLOT_ORDER, (a.slot, me.0), e);
            }
            match self.applied_at.get(&a.slot) {
                None => {
                    self.applied_at.insert(a.slot, (a.value.clone(), me));
                }
                Some((v, by)) if *v != a.value => {
                    let e = format!(
                        "{} applied {} at slot {}, but {} applied {} there",
                        nm(me),
                        a.value.show(),
                        a.slot,
                        nm(*by),
                        v.show()
                    );
                    self.report(out, SAME_COMMAND_PER_SLOT, (a.slot, me.0), e);
                }
                Some(_) => {}
            }
        }
        self.applied[i] = d.applied.len();
    }
}

fn list(names: &[String], ids: &[NodeId]) -> String {
    ids.iter()
        .map(|&n| name(names, n))
        .collect::<Vec<_>>()
        .join(", ")
}
