//! The safety properties of the consistent hashing page and their checker.

use super::narration::name;
use super::types::{Coord, Note, Op};
use super::Hashring;
use crate::invariant::{Checker, Property, Violation};
use crate::sim::{NodeId, Sim};
use crate::trace::StepOutcome;
use std::collections::BTreeSet;

pub const REPLICA_PLACEMENT: &str = "Replica placement";
pub const PLACEMENT: &str = "Placement";
pub const MONOTONICITY: &str = "Monotonicity";

/// The properties checked, with their descriptions.
pub(super) fn properties() -> Vec<Property> {
    vec![
            Property {
                name: REPLICA_PLACEMENT,
                description: "Every key has exactly R owners, on R distinct physical nodes.",
            },
            Property {
                name: PLACEMENT,
                description: "When no migration is pending, every key is stored on exactly its owners (crashed nodes included: their disks keep the keys): none lost, none left behind.",
            },
            Property {
                name: MONOTONICITY,
                description: "Adding a node moves keys only onto the added node.",
            },
        ]
}

/// Checks the three properties from the coordinator's ring and the nodes' disks, on the
/// steps whose notes say something changed.
#[derive(Clone, Debug)]
pub struct HashringChecker {
    pub(super) coord: NodeId,
    pub(super) replicas: u32,
}

impl HashringChecker {
    /// Up to three keys whose owners are not R distinct ring members.
    fn replica_placement(&self, c: &Coord, names: &[String]) -> Option<String> {
        let want = (self.replicas as usize).min(c.members.len());
        let mut bad = Vec::new();
        // Both in key order: walked side by side.
        let mut owners = c.owners.iter().peekable();
        for k in c.keys.iter() {
            while owners.next_if(|(o, _)| *o < k).is_some() {}
            let why = match owners.next_if(|(o, _)| *o == k).map(|(_, o)| o) {
                None => "has no owner".to_string(),
                Some(o) => {
                    // A few owners (R <= 5): pairs compared, no set built per key.
                    let repeated = o.iter().enumerate().any(|(i, x)| o[..i].contains(x));
                    if o.len() != want {
                        format!("has {} owners instead of {want}", o.len())
                    } else if repeated {
                        "has the same node twice among its owners".to_string()
                    } else if let Some(x) = o.iter().find(|x| !c.members.contains_key(x)) {
                        format!("is owned by {}, which is not in the ring", name(names, *x))
                    } else {
                        continue;
                    }
                }
            };
            bad.push(format!("{k} {why}"));
            if bad.len() == 3 {
                break;
            }
        }
        (!bad.is_empty()).then(|| bad.join("; "))
    }

    /// Compare what `nodes` store with what they own.
    fn placement<'s>(
        &self,
        c: &Coord,
        stored: &dyn Fn(NodeId) -> &'s BTreeSet<String>,
        names: &[String],
        nodes: &[NodeId],
        out: &mut Vec<Violation>,
    ) {
        // What each node checked should store, in key order (the owners map is).
        let mut expected: Vec<Option<Vec<&str>>> = Vec::new();
        for &n in nodes {
            if expected.len() <= n.index() {
                expected.resize_with(n.index() + 1, || None);
            }
            expected[n.index()] = Some(Vec::new());
        }
        for (k, o) in c.owners.iter() {
            for n in o {
                if let Some(Some(list)) = expected.get_mut(n.index()) {
                    if list.last() != Some(&k.as_str()) {
                        list.push(k.as_str());
                    }
                }
            }
        }
        for &n in nodes {
            let want = expected
                .get(n.index())
                .and_then(|w| w.as_deref())
                .unwrap_or_default();
            let have = stored(n);
            // Both sorted: one merge finds the keys missing and the keys extra, in order.
            let (mut missing, mut extra): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
            let (mut w, mut h) = (want.iter().copied().peekable(), have.iter().peekable());
            loop {
                match (w.peek(), h.peek()) {
                    (Some(a), Some(b)) if *a == b.as_str() => {
                        w.next();
                        h.next();
                    }
                    (Some(a), Some(b)) if *a < b.as_str() => {
                        missing.push(a);
                        w.next();
                    }
                    (_, Some(b)) => {
                        extra.push(b.as_str());
                        h.next();
                    }
                    (Some(a), None) => {
                        missing.push(a);
                        w.next();
                    }
                    (None, None) => break,
                }
            }
            missing.truncate(3);
            extra.truncate(3);
            if !missing.is_empty() {
                out.push(Violation::new(
                    PLACEMENT,
                    format!(
                        "no migration is pending, but {} does not store {} although it is among the owners (key lost there)",
                        name(names, n),
                        missing.join(", ")
                    ),
                ));
            }
            if !extra.is_empty() {
                out.push(Violation::new(
                    PLACEMENT,
                    format!(
                        "no migration is pending, but {} still stores {} although it is not an owner (left behind)",
                        name(names, n),
                        extra.join(", ")
                    ),
                ));
            }
        }
    }

    /// The checks after a step of `me` with `notes`, on the coordinator's state `c` and
    /// the nodes' disks (`stored`). Separate from the simulation so that tests can feed it
    /// hand-made states.
    pub fn check_state<'s>(
        &self,
        c: &Coord,
        stored: &dyn Fn(NodeId) -> &'s BTreeSet<String>,
        names: &[String],
        me: NodeId,
        notes: &[Note],
        out: &mut Vec<Violation>,
    ) {
        let idle = c.tasks.is_empty();
        // Nodes that left the ring and may still hold old copies are not checked until
        // they report them deleted.
        let cleaning = |n: NodeId| c.cleanup.iter().any(|(_, t)| t.node == n);
        for note in notes {
            match note {
                Note::RingChanged { op, .. } if me == self.coord => {
                    if let Some(why) = self.replica_placement(c, names) {
                        out.push(Violation::new(REPLICA_PLACEMENT, why));
                    }
                    if let Op::AddNode { node, .. } = op {
                        let wrong: Vec<String> = c
                            .moves
                            .iter()
                            .filter(|m| m.to != *node)
                            .take(3)
                            .map(|m| {
                                format!(
                                    "{} moves from {} to {}",
                                    m.key,
                                    name(names, m.from),
                                    name(names, m.to)
                                )
                            })
                            .collect();
                        if !wrong.is_empty() {
                            out.push(Violation::new(
                                MONOTONICITY,
                                format!(
                                    "adding {} should move keys only onto {}, but {}",
                                    name(names, *node),
                                    name(names, *node),
                                    wrong.join("; ")
                                ),
                            ));
                        }
                    }
                }
                Note::MigrationComplete { .. } if me == self.coord => {
                    let all: Vec<NodeId> = (0..self.coord.0)
                        .map(NodeId)
                        .filter(|&n| !cleaning(n))
                        .collect();
                    self.placement(c, stored, names, &all, out);
                }
                // A store or a deletion while nothing is pending: it must neither leave a
                // key behind nor delete one the node owns.
                Note::StoresTransfer { .. }
                | Note::StoresNew { .. }
                | Note::DeletesAfterAck { .. }
                | Note::DropsKeys { .. }
                    if idle && me != self.coord && !cleaning(me) =>
                {
                    self.placement(c, stored, names, &[me], out);
                }
                _ => {}
            }
        }
    }
}

impl Checker<Hashring> for HashringChecker {
    fn check(
        &mut self,
        sim: &Sim<Hashring>,
        step: &StepOutcome<Hashring>,
        out: &mut Vec<Violation>,
    ) {
        let Some(me) = step.record.node else {
            return;
        };
        let Some(c) = sim.node(self.coord).coord() else {
            return;
        };
        // The coordinator stores no keys.
        static NONE: BTreeSet<String> = BTreeSet::new();
        let stored = |n: NodeId| sim.node(n).storage().map_or(&NONE, |s| &s.disk.stored);
        self.check_state(&c.disk, &stored, sim.names(), me, &step.record.notes, out);
    }
}
