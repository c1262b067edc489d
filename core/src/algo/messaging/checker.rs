//! The messaging safety properties and their checker.

use super::narration::{describe_app, name};
use super::types::*;
use super::Messaging;
use crate::invariant::{Checker, Property, Violation};
use crate::sim::{NodeId, Sim};
use crate::trace::StepOutcome;

pub const NO_CREATION: &str = "No creation";
pub const NO_DUPLICATION: &str = "No duplication";
pub const BROADCAST_AGREEMENT: &str = "Broadcast agreement";
pub const TOPIC_FILTER: &str = "Topic filter";

/// The named properties the checker watches.
pub(super) fn properties() -> Vec<Property> {
    vec![
        Property {
            name: NO_CREATION,
            description: "Every message an application delivers was sent by its origin.",
        },
        Property {
            name: NO_DUPLICATION,
            description: "No application delivers the same message twice (needs deduplication on).",
        },
        Property {
            name: BROADCAST_AGREEMENT,
            description:
                "When a reliable broadcast is fully acknowledged, every node has delivered it.",
        },
        Property {
            name: TOPIC_FILTER,
            description: "A node delivers only events of topics it subscribes to.",
        },
    ]
}

/// Checks the messaging properties from each step's narration notes and the node states.
#[derive(Clone, Debug)]
pub struct MessagingChecker {
    pub(super) nodes: u32,
}

impl Checker<Messaging> for MessagingChecker {
    fn check(
        &mut self,
        sim: &Sim<Messaging>,
        step: &StepOutcome<Messaging>,
        out: &mut Vec<Violation>,
    ) {
        let Some(me) = step.record.node else {
            return;
        };
        let names = sim.names();
        let node = sim.node(me);
        let violation = Violation::new;
        for note in &step.record.notes {
            let what = match *note {
                Note::DeliversRequest { from, id }
                | Note::RepeatedRequestDelivered { from, id } => Some(AppId {
                    kind: Kind::Request,
                    origin: from,
                    id,
                }),
                Note::DeliversBroadcast { origin, id } => Some(AppId {
                    kind: Kind::Broadcast,
                    origin,
                    id,
                }),
                Note::DuplicateBroadcast { origin, id } if !sim.proto().params.dedup => {
                    Some(AppId {
                        kind: Kind::Broadcast,
                        origin,
                        id,
                    })
                }
                Note::DeliversEvent { publisher, id, .. } => Some(AppId {
                    kind: Kind::Publication,
                    origin: publisher,
                    id,
                }),
                _ => None,
            };
            if let Some(what) = what {
                let label = describe_app(names, what);
                if !sim.node(what.origin).disk.originated.contains(&what) {
                    out.push(violation(
                        NO_CREATION,
                        format!(
                            "{} delivered {label}, which {} never sent",
                            name(names, me),
                            name(names, what.origin)
                        ),
                    ));
                }
                let count = node.disk.counts.get(&what).copied().unwrap_or(0);
                if count > 1 {
                    out.push(violation(
                        NO_DUPLICATION,
                        format!("{} delivered {label} {count} times", name(names, me)),
                    ));
                }
            }
            if let Note::DeliversEvent {
                ref topic,
                publisher,
                id,
            } = *note
            {
                if !node.disk.subscriptions.contains(topic) {
                    out.push(violation(
                        TOPIC_FILTER,
                        format!(
                            "{} delivered event {}#{id} on '{topic}' without subscribing to '{topic}'",
                            name(names, me),
                            name(names, publisher)
                        ),
                    ));
                }
            }
            if let Note::BroadcastComplete { id, .. } = *note {
                let what = AppId {
                    kind: Kind::Broadcast,
                    origin: me,
                    id,
                };
                let missing: Vec<&str> = (0..self.nodes)
                    .map(NodeId)
                    .filter(|&n| !sim.node(n).disk.counts.contains_key(&what))
                    .map(|n| name(names, n))
                    .collect();
                if !missing.is_empty() {
                    out.push(violation(
                        BROADCAST_AGREEMENT,
                        format!(
                            "broadcast {}#{id} is fully acknowledged but {} never delivered it",
                            name(names, me),
                            missing.join(", ")
                        ),
                    ));
                }
            }
        }
    }
}
