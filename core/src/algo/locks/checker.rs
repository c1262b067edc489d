//! The safety properties and their checker.

use super::narration::name;
use super::*;
use crate::invariant::{Checker, Property, Violation};
use crate::sim::{NodeStatus, Sim, Time};
use crate::trace::{StepKind, StepOutcome};
use std::collections::BTreeMap;

pub const MUTUAL_EXCLUSION: &str = "Mutual exclusion";
pub const FIFO: &str = "FIFO fairness";
pub const NO_LOST_LOCK: &str = "No lost lock";

/// The named safety properties the checker checks.
pub(super) fn properties() -> Vec<Property> {
    vec![
        Property {
            name: MUTUAL_EXCLUSION,
            description: "The storage never accepts writes from two lock holdings whose critical sections overlap.",
        },
        Property {
            name: FIFO,
            description: "The lock goes to waiters in the order they asked (queue server and ZooKeeper).",
        },
        Property {
            name: NO_LOST_LOCK,
            description: "A crashed holder does not keep the lock for more than a ttl after the lock service could notice.",
        },
    ]
}

/// Checks mutual exclusion of accepted writes, FIFO grants and that a crashed holder
/// does not keep the lock.
///
/// Mutual exclusion, precisely: tokens number the holdings in the order the lock service
/// granted them. If the storage accepts a write of holding `a` after it accepted a write of
/// a later holding `b`, then `a`'s critical section (from its grant to this write) contains
/// `b`'s grant and first write: the two overlapped, and the storage took writes from both.
#[derive(Clone, Debug)]
pub struct LocksChecker {
    /// The highest token of an accepted write, and its client.
    max_accepted: Option<(u64, NodeId)>,
    /// Queue variant: clients in arrival order, as the lock server queued them.
    arrivals: Vec<NodeId>,
    /// When the lock service last came up (restart or resume).
    lock_up_since: Time,
    /// When the lock service last heard from each client.
    last_heard: BTreeMap<NodeId, Time>,
    /// A lost lock already reported: the holder and its crash time.
    reported: Option<(NodeId, Time)>,
}

impl LocksChecker {
    pub(super) fn new() -> Self {
        LocksChecker {
            max_accepted: None,
            arrivals: Vec::new(),
            lock_up_since: 0,
            last_heard: BTreeMap::new(),
            reported: None,
        }
    }

    /// No lost lock: the lock service still gives the lock to a client that has been down
    /// for more than a ttl while the service was up and could have noticed.
    fn check_lost(&mut self, sim: &Sim<Locks>, out: &mut Vec<Violation>) {
        let proto = sim.proto();
        let lock = proto.lock_node();
        if sim.status(lock) != NodeStatus::Up {
            return;
        }
        let Some(l) = sim.node(lock).lock() else {
            return;
        };
        let holder = match proto.params.variant {
            Variant::Zookeeper => l.disk.znodes.first().map(|z| z.owner),
            _ => l.disk.holder.map(|h| h.client),
        };
        let Some(holder) = holder else { return };
        let NodeStatus::Crashed { since } = sim.status(holder) else {
            return;
        };
        if self.reported == Some((holder, since)) {
            return;
        }
        let heard = self.last_heard.get(&holder).copied().unwrap_or(0);
        let deadline = since.max(self.lock_up_since).max(heard) + proto.params.ttl;
        let waiting = l.disk.queue.len() + l.disk.znodes.len().saturating_sub(1);
        let now = sim.time();
        if now > deadline && (proto.params.variant == Variant::Lease || waiting > 0) {
            self.reported = Some((holder, since));
            let why = if proto.expires() {
                "its lease should have expired"
            } else {
                "without leases nothing ever frees it"
            };
            out.push(Violation::new(
                NO_LOST_LOCK,
                format!(
                    "{} crashed at {since} ms while holding the lock and still holds it at {now} ms: {why}",
                    name(sim.names(), holder)
                ),
            ));
        }
    }
}

impl Checker<Locks> for LocksChecker {
    fn check(&mut self, sim: &Sim<Locks>, step: &StepOutcome<Locks>, out: &mut Vec<Violation>) {
        let proto = sim.proto();
        let names = sim.names();
        let now = sim.time();
        let lock = proto.lock_node();
        match &step.record.kind {
            StepKind::Action { action, .. } => {
                use crate::sim::Action;
                if let Action::Restart { node } | Action::Resume { node } = action {
                    if *node == lock {
                        self.lock_up_since = now;
                    }
                }
            }
            StepKind::Deliver { from, .. } if step.record.node == Some(lock) => {
                self.last_heard.insert(*from, now);
            }
            _ => {}
        }
        let me = step.record.node.unwrap_or(lock);
        for note in &step.record.notes {
            match *note {
                Note::GotLock { token } if proto.params.variant == Variant::Zookeeper => {
                    let older = sim.node(lock).lock().and_then(|l| {
                        l.disk
                            .znodes
                            .iter()
                            .find(|z| z.seq < token && z.owner != me)
                            .copied()
                    });
                    if let Some(z) = older {
                        out.push(Violation::new(
                            FIFO,
                            format!(
                                "{} took the lock with n-{token} while {}'s older znode n-{} still waits",
                                name(names, me),
                                name(names, z.owner),
                                z.seq
                            ),
                        ));
                    }
                }
                Note::Enqueues { client, .. } => self.arrivals.push(client),
                Note::Grants { client, token } => {
                    if let Some(pos) = self.arrivals.iter().position(|&c| c == client) {
                        if pos > 0 {
                            out.push(Violation::new(
                                FIFO,
                                format!(
                                    "the lock server granted token {token} to {} before {}, who asked first",
                                    name(names, client),
                                    name(names, self.arrivals[0])
                                ),
                            ));
                        }
                        self.arrivals.remove(pos);
                    }
                }
                Note::LeavesQueue { client } | Note::SessionExpires { client, .. } => {
                    self.arrivals.retain(|&c| c != client)
                }
                Note::Accepts { client, token, n } => match self.max_accepted {
                    Some((max, other)) if token < max => {
                        out.push(Violation::new(
                            MUTUAL_EXCLUSION,
                            format!(
                                "storage accepted {}'s write #{n} with token {token} after {}'s write with token {max}: {} still acted on the lock after it had passed to {}, so both critical sections wrote at once",
                                name(names, client),
                                name(names, other),
                                name(names, client),
                                name(names, other)
                            ),
                        ));
                    }
                    Some((max, _)) if token == max => {}
                    _ => self.max_accepted = Some((token, client)),
                },
                _ => {}
            }
        }
        self.check_lost(sim, out);
    }
}
