//! What the generic parts of a front end read about a run: steps, messages, marks, the
//! network, counts. Plain data with node ids as indexes; no algorithm's types.

use crate::invariant::Violation;
use crate::sim::{Action, LinkParams, Time};
use crate::trace::Fate;
use serde::Serialize;

/// Which fault or network change a step was (node ids as indexes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    Crash {
        node: u32,
    },
    Restart {
        node: u32,
    },
    Pause {
        node: u32,
    },
    Resume {
        node: u32,
    },
    Partition {
        groups: Vec<Vec<u32>>,
    },
    Cut {
        a: u32,
        b: u32,
        one_way: bool,
    },
    Heal,
    /// The whole network's settings changed.
    Network,
    /// One link's settings changed.
    Link {
        from: u32,
        to: u32,
        both: bool,
    },
    DropMessage {
        id: u64,
    },
    DelayMessage {
        id: u64,
    },
    Clock {
        node: u32,
    },
    /// A fault window ended.
    End {
        window: u32,
    },
}

impl FaultKind {
    pub(crate) fn of<C>(action: &Action<C>) -> Option<FaultKind> {
        Some(match action {
            Action::Command { .. } => return None,
            Action::Crash { node } => FaultKind::Crash { node: node.0 },
            Action::Restart { node } => FaultKind::Restart { node: node.0 },
            Action::Pause { node } => FaultKind::Pause { node: node.0 },
            Action::Resume { node } => FaultKind::Resume { node: node.0 },
            Action::Partition { groups } => FaultKind::Partition {
                groups: groups
                    .iter()
                    .map(|g| g.iter().map(|n| n.0).collect())
                    .collect(),
            },
            Action::Cut { a, b, one_way } => FaultKind::Cut {
                a: a.0,
                b: b.0,
                one_way: *one_way,
            },
            Action::Heal => FaultKind::Heal,
            Action::Network { .. } => FaultKind::Network,
            Action::Link { from, to, both, .. } => FaultKind::Link {
                from: from.0,
                to: to.0,
                both: *both,
            },
            Action::DropMessage { id } => FaultKind::DropMessage { id: *id },
            Action::DelayMessage { id, .. } => FaultKind::DelayMessage { id: *id },
            Action::Clock { node, .. } => FaultKind::Clock { node: node.0 },
            // A window's fault is drawn as that fault.
            Action::Open { fault, .. } => return FaultKind::of(fault),
            Action::End { window } => FaultKind::End { window: *window },
        })
    }
}

/// A step, for lists and diagrams.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepView {
    pub index: u64,
    pub time: Time,
    pub node: Option<u32>,
    /// The first line is the event; then what the node did and why.
    pub narration: Vec<String>,
    /// A fault or network change (drawn on the scrubber).
    pub fault: bool,
    /// Which fault, when `fault`.
    pub fault_kind: Option<FaultKind>,
    /// The fault window the step opened or ended, if any.
    pub window: Option<u32>,
    /// The kernel found nothing to do (e.g. crashing a node that is down).
    pub no_op: bool,
    /// Done by a person rather than the script.
    pub user: bool,
    /// Message ids sent in this step.
    pub sent: Vec<u64>,
    pub violations: Vec<Violation>,
    /// Nodes whose status the step changed, each with its status before and after.
    pub status: Vec<(u32, crate::sim::NodeStatus, crate::sim::NodeStatus)>,
}

/// A message, for diagrams.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MsgView {
    pub id: u64,
    pub from: u32,
    pub to: u32,
    pub label: &'static str,
    pub text: String,
    pub sent_step: u64,
    pub sent_at: Time,
    pub deliver_at: Time,
    pub fate: Fate,
    pub resolved_step: Option<u64>,
    pub duplicate: bool,
}

/// What the scrubber marks at a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// Something a person did.
    User,
    /// A scripted fault or network change.
    Fault,
    /// An invariant was found violated.
    Violation,
}

/// A mark on the scrubber: the step index and why it is marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mark {
    pub step: u64,
    pub kind: MarkKind,
}

/// The network as it is at the current step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetView {
    /// Defaults for every link.
    pub default: LinkParams,
    /// Per-link overrides (directed).
    pub links: Vec<(u32, u32, LinkParams)>,
    /// Cut directed links.
    pub blocked: Vec<(u32, u32)>,
}

/// Counts after a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub steps: u64,
    pub time: Time,
    pub messages: u64,
    pub delivered: u64,
    pub dropped: u64,
    pub in_flight: u64,
    pub violations: u64,
    pub ended: bool,
}
