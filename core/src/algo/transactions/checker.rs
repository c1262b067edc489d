//! The atomic commitment properties AC1-AC4 and their checker.

use super::narration::name;
use super::types::*;
use super::Transactions;
use crate::invariant::{Checker, Property, Violation};
use crate::sim::{NodeId, Sim};
use crate::trace::{Fate, StepKind, StepOutcome};
use std::collections::{BTreeMap, BTreeSet};

pub const AC1: &str = "AC1 agreement";
pub const AC2: &str = "AC2 no reversal";
pub const AC3: &str = "AC3 commit needs all YES";
pub const AC4: &str = "AC4 non-triviality";

/// The named properties the checker watches.
pub(super) fn properties() -> Vec<Property> {
    vec![
        Property {
            name: AC1,
            description:
                "AC1 agreement: all processes that decide on a transaction reach the same decision.",
        },
        Property {
            name: AC2,
            description: "AC2: a process never reverses its decision.",
        },
        Property {
            name: AC3,
            description: "AC3: a transaction commits only if every participant voted YES.",
        },
        Property {
            name: AC4,
            description:
                "AC4: with no failures and every participant voting YES, the decision is commit.",
        },
    ]
}

/// Checks AC1-AC4 from the write-ahead logs (decisions are what a process logged).
#[derive(Clone, Debug)]
pub struct TxnChecker {
    participants: u32,
    /// How many log records of each process were read already.
    read: Vec<usize>,
    /// Decisions logged: transaction -> process -> commit.
    decisions: BTreeMap<u32, BTreeMap<NodeId, bool>>,
    /// (property, transaction) already reported.
    reported: BTreeSet<(&'static str, u32)>,
    /// A failure happened (a fault, a message lost, a participant failing before voting).
    failure: bool,
    /// Transactions a participant voted NO on (it was set to).
    voted_no: BTreeSet<u32>,
}

impl Checker<Transactions> for TxnChecker {
    fn check(
        &mut self,
        sim: &Sim<Transactions>,
        step: &StepOutcome<Transactions>,
        out: &mut Vec<Violation>,
    ) {
        let rec = &step.record;
        let failed = match &rec.kind {
            StepKind::Action { action, .. } => action.is_fault(),
            StepKind::Drop { .. } => true,
            _ => false,
        } || step
            .messages
            .iter()
            .any(|m| matches!(m.fate, Fate::Dropped { .. }))
            || rec
                .notes
                .iter()
                .any(|n| matches!(n, Note::FailsBeforeVoting { .. }));
        self.failure |= failed;
        for n in &rec.notes {
            if let Note::VotesNo { tx } = n {
                self.voted_no.insert(*tx);
            }
        }
        let Some(me) = rec.node else {
            return;
        };
        let names = sim.names();
        if self.read.len() < names.len() {
            self.read.resize(names.len(), 0);
        }
        let node = sim.node(me);
        let from = self.read[me.index()].min(node.log().len());
        self.read[me.index()] = node.log().len();
        let voted_yes = |p: NodeId, tx: u32| sim.node(p).has(tx, Rec::Yes);
        self.check_records(me, names, &node.log()[from..], &voted_yes, out);
    }
}

impl TxnChecker {
    /// A checker for `participants` participants (`n1..`), with nothing seen yet.
    pub fn new(participants: u32) -> Self {
        TxnChecker {
            participants,
            read: Vec::new(),
            decisions: BTreeMap::new(),
            reported: BTreeSet::new(),
            failure: false,
            voted_no: BTreeSet::new(),
        }
    }

    /// Note that a failure happened (AC4 only speaks of failure-free runs).
    pub fn set_failure(&mut self) {
        self.failure = true;
    }

    /// Check log records `me` just wrote: `voted_yes(p, tx)` says whether participant `p`
    /// logged a YES vote on `tx`. Each (property, transaction) is reported once.
    pub fn check_records(
        &mut self,
        me: NodeId,
        names: &[String],
        records: &[LogRecord],
        voted_yes: &dyn Fn(NodeId, u32) -> bool,
        out: &mut Vec<Violation>,
    ) {
        for r in records {
            let commit = match r.rec {
                Rec::Commit => true,
                Rec::Abort => false,
                _ => continue,
            };
            let tx = r.tx;
            let mut report = |prop: &'static str, text: String| {
                if self.reported.insert((prop, tx)) {
                    out.push(Violation::new(prop, text));
                }
            };
            let word = |c: bool| if c { "commit" } else { "abort" };
            let ds = self.decisions.entry(tx).or_default();
            if let Some(&before) = ds.get(&me) {
                if before != commit {
                    report(
                        AC2,
                        format!(
                            "{} decided {} on T{tx} and later {}",
                            name(names, me),
                            word(before),
                            word(commit)
                        ),
                    );
                }
                continue;
            }
            if let Some((&other, &d)) = ds.iter().find(|(_, &d)| d != commit) {
                report(
                    AC1,
                    format!(
                        "{} decided {} on T{tx} but {} decided {}",
                        name(names, me),
                        word(commit),
                        name(names, other),
                        word(d)
                    ),
                );
            }
            ds.insert(me, commit);
            let parts = (1..=self.participants).map(NodeId);
            if commit {
                let missing: Vec<&str> = parts
                    .filter(|p| !voted_yes(*p, tx))
                    .map(|p| name(names, p))
                    .collect();
                if !missing.is_empty() {
                    report(
                        AC3,
                        format!(
                            "{} committed T{tx} but {} never voted YES",
                            name(names, me),
                            missing.join(", ")
                        ),
                    );
                }
            } else if !self.failure && !self.voted_no.contains(&tx) {
                report(
                    AC4,
                    format!(
                        "{} aborted T{tx} although nothing failed and nobody voted NO (are the timeouts shorter than the message delays?)",
                        name(names, me)
                    ),
                );
            }
        }
    }
}
