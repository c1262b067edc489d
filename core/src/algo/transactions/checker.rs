//! The atomic commitment properties AC1-AC4 and their checker.

use super::narration::name;
use super::types::*;
use super::Transactions;
use crate::collections::{VecMap, VecSet};
use crate::invariant::{Checker, Property, Violation};
use crate::sim::{Action, NodeId, Sim};
use crate::trace::{Fate, StepKind, StepOutcome};

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
                "AC4: if every participant voted YES and no failure touched the transaction (from its begin to the decision no process was down or paused, no link was cut, the network kept its initial settings and none of its messages was lost, dropped or delayed), the decision is commit.",
        },
    ]
}

/// Checks AC1-AC4 from the write-ahead logs (decisions are what a process logged).
///
/// AC4 is checked per transaction, as stated: an abort is a violation when every
/// participant voted YES (logged `yes`) and no failure touched the transaction.
///
/// A transaction is *open* from the step in which the coordinator logs `begin` on it until
/// every process (the coordinator and each participant) has logged a decision on it. A
/// failure *touches* it when, after a step taken while it is open (the step that begins it
/// and the step that logs the decision included):
/// - a process is crashed or paused, whether it went down in that step or earlier and is
///   still down (a participant set to fail before voting crashes);
/// - a link is cut (in one direction or both);
/// - the network's settings (latency, loss and duplication, by default or on a link)
///   differ from those the run started with: a slow or lossy window in effect;
/// - a message about this transaction was lost when sent (a message dropped on arrival
///   found its link cut or its receiver down, which the first two points count);
/// - a message was dropped or delayed by hand (whichever transaction it is about).
///
/// So a fault that was over before the transaction began does not touch it, nor one that
/// happens after the decision checked. Aborts in which a participant never voted YES (the
/// coordinator timed out before asking, or before every vote was logged) are no AC4
/// violation.
#[derive(Clone, Debug)]
pub struct TxnChecker {
    participants: u32,
    /// How many log records of each process were read already.
    read: Vec<usize>,
    /// Decisions logged: transaction -> process -> commit.
    decisions: VecMap<u32, VecMap<NodeId, bool>>,
    /// (property, transaction) already reported.
    reported: VecSet<(&'static str, u32)>,
    /// Open transactions (begun, not decided by every process yet) -> whether a failure
    /// touched it.
    open: VecMap<u32, bool>,
}

impl Checker<Transactions> for TxnChecker {
    fn check(
        &mut self,
        sim: &Sim<Transactions>,
        step: &StepOutcome<Transactions>,
        out: &mut Vec<Violation>,
    ) {
        let rec = &step.record;
        let names = sim.names();
        if self.read.len() < names.len() {
            self.read.resize(names.len(), 0);
        }
        // The records the acting process wrote in this step.
        let records = rec.node.map_or(&[][..], |me| {
            let log = sim.node(me).log();
            let from = self.read[me.index()].min(log.len());
            self.read[me.index()] = log.len();
            &log[from..]
        });
        // A transaction begun in this step is open from this step on: the failures after
        // it count.
        for r in records.iter().filter(|r| r.rec == Rec::Begin) {
            self.open.entry(r.tx).or_insert(false);
        }
        if !self.open.is_empty() {
            let net = sim.net();
            let failing = sim.node_ids().any(|n| !sim.is_up(n))
                || net.is_partitioned()
                || !net.same_settings(sim.initial_net())
                || matches!(
                    rec.kind,
                    StepKind::Action {
                        action: Action::DropMessage { .. } | Action::DelayMessage { .. },
                        ..
                    }
                );
            if failing {
                self.touch_all();
            }
            for m in &step.messages {
                if matches!(m.fate, Fate::Dropped { .. }) {
                    self.touch(m.body.tx());
                }
            }
        }
        let Some(me) = rec.node else {
            return;
        };
        let voted_yes = |p: NodeId, tx: u32| sim.node(p).has(tx, Rec::Yes);
        self.check_records(me, names, records, &voted_yes, out);
    }
}

impl TxnChecker {
    /// A checker for `participants` participants (`n1..`), with nothing seen yet.
    pub fn new(participants: u32) -> Self {
        TxnChecker {
            participants,
            read: Vec::new(),
            decisions: VecMap::new(),
            reported: VecSet::new(),
            open: VecMap::new(),
        }
    }

    /// A failure touches every open transaction.
    pub fn touch_all(&mut self) {
        for touched in self.open.values_mut() {
            *touched = true;
        }
    }

    /// A failure touches transaction `tx`, if it is open.
    pub fn touch(&mut self, tx: u32) {
        if let Some(touched) = self.open.get_mut(&tx) {
            *touched = true;
        }
    }

    /// Check log records `me` just wrote: `voted_yes(p, tx)` says whether participant `p`
    /// logged a YES vote on `tx`. A `begin` record opens its transaction (see
    /// [`TxnChecker`]); a transaction whose `begin` was not seen counts as untouched. Each
    /// (property, transaction) is reported once.
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
                Rec::Begin => {
                    self.open.entry(r.tx).or_insert(false);
                    continue;
                }
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
            let everyone_decided = ds.len() as u32 > self.participants;
            let mut parts = (1..=self.participants).map(NodeId);
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
            } else if parts.all(|p| voted_yes(p, tx)) && self.open.get(&tx) != Some(&true) {
                report(
                    AC4,
                    format!(
                        "{} aborted T{tx} although every participant voted YES and no failure touched it (are the timeouts shorter than the message delays?)",
                        name(names, me)
                    ),
                );
            }
            if everyone_decided {
                self.open.remove(&tx);
            }
        }
    }
}
