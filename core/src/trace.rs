//! What happened: one record per step and one per message.
//!
//! The trace lives beside the simulation (in the [`Timeline`](crate::Timeline)), not inside
//! it, so checkpoints stay small. Narration is stored as typed notes and turned into words
//! only when shown ([`Trace::narrate`]).

use crate::invariant::Violation;
use crate::protocol::Protocol;
use crate::sim::{Action, NodeId, NodeStatus, Time};
use serde::{Serialize, Serializer};

pub type MsgId = u64;

/// Steps are numbered from 1 wherever they are written (the trace, `dsplay run` and
/// `dsplay sweep`, the page): step `k` is the `k`-th event, and after it the run is at
/// position `k`. In memory a step's `index` is its place in [`Trace::steps`] (from 0);
/// these write it as its number.
pub fn step_number<S: Serializer>(index: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(index + 1)
}

fn step_number_opt<S: Serializer>(index: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match index {
        Some(i) => s.serialize_some(&(i + 1)),
        None => s.serialize_none(),
    }
}

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Lost on the link (its loss rate).
    Loss,
    /// The link was cut when it was sent or when it arrived.
    Partition,
    /// The receiver was down when it arrived (or crashed while it waited).
    NodeDown,
    /// Dropped by hand from the fault palette or a script.
    User,
}

impl DropReason {
    pub fn describe(self) -> &'static str {
        match self {
            DropReason::Loss => "lost on the link",
            DropReason::Partition => "the link is cut",
            DropReason::NodeDown => "the receiver is down",
            DropReason::User => "dropped by hand",
        }
    }
}

/// A message's fate so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "fate")]
pub enum Fate {
    InFlight,
    Delivered,
    Dropped { reason: DropReason },
}

/// One message, from send to delivery or drop.
#[derive(Clone, Debug, Serialize)]
#[serde(bound = "")]
pub struct MsgRecord<P: Protocol> {
    pub id: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    pub label: &'static str,
    pub body: P::Msg,
    #[serde(serialize_with = "step_number")]
    pub sent_step: u64,
    pub sent_at: Time,
    /// When it arrives (or would have, for a lost message).
    pub deliver_at: Time,
    #[serde(flatten)]
    pub fate: Fate,
    /// The step that delivered or dropped it.
    #[serde(serialize_with = "step_number_opt")]
    pub resolved_step: Option<u64>,
    /// Set on the second copy of a duplicated message: the original's id.
    pub duplicate_of: Option<MsgId>,
    /// Earlier delivery times, with the step that changed them (undone on a fork).
    #[serde(skip)]
    pub(crate) reschedules: Vec<(u64, Time)>,
}

impl<P: Protocol> MsgRecord<P> {
    /// Undo what the steps from `step` on did to the message.
    fn undo_from(&mut self, step: u64) {
        if self.resolved_step.is_some_and(|r| r >= step) {
            self.resolved_step = None;
            self.fate = Fate::InFlight;
        }
        while let Some(&(s, prev)) = self.reschedules.last() {
            if s < step {
                break;
            }
            self.deliver_at = prev;
            self.reschedules.pop();
        }
    }

    /// Whether the message is in flight after `step` steps have run.
    pub fn in_flight_at(&self, step: u64) -> bool {
        self.sent_step < step && self.resolved_step.is_none_or(|r| r >= step)
    }
}

/// A change to an earlier message made by a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "update")]
pub enum MsgUpdate {
    Resolved { id: MsgId, fate: Fate },
    Rescheduled { id: MsgId, deliver_at: Time },
}

/// What kind of event a step was.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", bound = "")]
pub enum StepKind<P: Protocol> {
    Deliver {
        msg: MsgId,
        from: NodeId,
    },
    /// A message reached a node that could not take it.
    Drop {
        msg: MsgId,
        from: NodeId,
        reason: DropReason,
    },
    Timer {
        timer: P::Timer,
    },
    /// A command or fault, from a script (`user: false`) or a person (`user: true`).
    Action {
        action: Action<P::Cmd>,
        user: bool,
    },
}

/// The kernel's own narration, for actions that did nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelNote {
    /// A command to a node that is down is lost.
    NodeDown,
    AlreadyCrashed,
    NotCrashed,
    AlreadyPaused,
    NotPaused,
    /// The message to drop or delay is no longer in flight.
    NotInFlight,
    /// No fault window of that number is open.
    NoWindow,
}

/// One step: exactly one event.
#[derive(Clone, Debug, Serialize)]
#[serde(bound = "")]
pub struct StepRecord<P: Protocol> {
    /// Its place in [`Trace::steps`] (written as its number, from 1).
    #[serde(serialize_with = "step_number")]
    pub index: u64,
    pub time: Time,
    /// The node that acted, if any.
    pub node: Option<NodeId>,
    #[serde(flatten)]
    pub kind: StepKind<P>,
    pub notes: Vec<P::Note>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<KernelNote>,
    /// The nodes whose status the step changed (a crash, restart, pause or resume that
    /// took effect; the end of a fault window may restart several), in node order, each
    /// with its status after the step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<StatusChange>,
    /// Messages sent during the step.
    pub sent: Vec<MsgId>,
    pub updates: Vec<MsgUpdate>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
}

/// A node's status after a step changed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub node: NodeId,
    #[serde(flatten)]
    pub status: NodeStatus,
    /// Its status before the step (left out of the trace: the steps before say it).
    #[serde(skip)]
    pub was: NodeStatus,
}

/// A step's record together with the messages it created.
#[derive(Clone, Debug)]
pub struct StepOutcome<P: Protocol> {
    pub record: StepRecord<P>,
    pub messages: Vec<MsgRecord<P>>,
}

/// The whole run so far.
#[derive(Clone, Debug)]
pub struct Trace<P: Protocol> {
    pub steps: Vec<StepRecord<P>>,
    /// Indexed by [`MsgId`].
    pub messages: Vec<MsgRecord<P>>,
}

impl<P: Protocol> Default for Trace<P> {
    fn default() -> Self {
        Trace {
            steps: Vec::new(),
            messages: Vec::new(),
        }
    }
}

impl<P: Protocol> Trace<P> {
    pub fn len(&self) -> u64 {
        self.steps.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn push(&mut self, out: StepOutcome<P>) {
        let step = out.record.index;
        debug_assert_eq!(step, self.len());
        self.messages.extend(out.messages);
        for u in &out.record.updates {
            match *u {
                MsgUpdate::Resolved { id, fate } => {
                    if let Some(m) = self.messages.get_mut(id as usize) {
                        m.fate = fate;
                        m.resolved_step = Some(step);
                    }
                }
                MsgUpdate::Rescheduled { id, deliver_at } => {
                    if let Some(m) = self.messages.get_mut(id as usize) {
                        m.reschedules.push((step, m.deliver_at));
                        m.deliver_at = deliver_at;
                    }
                }
            }
        }
        self.steps.push(out.record);
    }

    /// Forget every step from `step` on, and undo what those steps did to messages.
    pub fn truncate(&mut self, step: u64) {
        if step >= self.len() {
            return;
        }
        self.steps.truncate(step as usize);
        let keep = self.messages.partition_point(|m| m.sent_step < step);
        self.messages.truncate(keep);
        for m in &mut self.messages {
            m.undo_from(step);
        }
    }

    /// The messages as they were when `step` steps had run: those sent by then, with what
    /// later steps did to them undone.
    pub fn messages_at(&self, step: u64) -> Vec<MsgRecord<P>> {
        let sent = self.messages.partition_point(|m| m.sent_step < step);
        let mut out = self.messages[..sent].to_vec();
        for m in &mut out {
            m.undo_from(step);
        }
        out
    }

    /// Every violation recorded, in step order.
    pub fn violations(&self) -> impl Iterator<Item = &Violation> {
        self.steps.iter().flat_map(|s| s.violations.iter())
    }

    /// The step's narration in plain words: the event, then each note.
    pub fn narrate(&self, proto: &P, names: &[String], step: &StepRecord<P>) -> Vec<String> {
        let name = |n: NodeId| names.get(n.index()).map_or("?", |s| s.as_str());
        let mut lines = Vec::with_capacity(1 + step.notes.len());
        let msg = |id: MsgId| self.messages.get(id as usize);
        let head = match &step.kind {
            StepKind::Deliver { msg: id, from } => match msg(*id) {
                Some(m) => format!(
                    "{} receives {} from {}",
                    name(m.to),
                    proto.describe_msg(&m.body, names),
                    name(*from)
                ),
                None => format!("message m{id} arrives"),
            },
            StepKind::Drop {
                msg: id,
                from,
                reason,
            } => match msg(*id) {
                Some(m) => format!(
                    "{} from {} to {} is dropped: {}",
                    proto.describe_msg(&m.body, names),
                    name(*from),
                    name(m.to),
                    reason.describe()
                ),
                None => format!("message m{id} is dropped: {}", reason.describe()),
            },
            StepKind::Timer { timer } => format!(
                "{}: {} fires",
                step.node.map_or("?", name),
                proto.describe_timer(timer, names)
            ),
            StepKind::Action { action, user } => {
                let who = if *user { "You" } else { "Script" };
                format!("{who}: {}", action.describe(proto, names))
            }
        };
        lines.push(head);
        if let Some(k) = step.kernel {
            lines.push(
                match k {
                    KernelNote::NodeDown => "nothing happens: the node is down",
                    KernelNote::AlreadyCrashed => "nothing happens: the node is already down",
                    KernelNote::NotCrashed => "nothing happens: the node is not down",
                    KernelNote::AlreadyPaused => "nothing happens: the node is already paused",
                    KernelNote::NotPaused => "nothing happens: the node is not paused",
                    KernelNote::NotInFlight => {
                        "nothing happens: that message is no longer in flight"
                    }
                    KernelNote::NoWindow => {
                        "nothing happens: no fault window of that number is open"
                    }
                }
                .to_string(),
            );
        }
        // What a node fault means, in any algorithm (the protocol's own note follows).
        if let (StepKind::Action { action, .. }, None) = (&step.kind, step.kernel) {
            let line = match action.fault() {
                Action::Crash { node } => Some(format!(
                    "{} stops: what it held in memory is lost, what it wrote to disk survives; its timers are cancelled and messages that reach it are lost until it restarts",
                    name(*node)
                )),
                Action::Pause { node } => Some(format!(
                    "{} freezes (a long garbage-collection pause, say): it runs nothing and does not notice time passing; its timers and the messages that reach it wait until it resumes",
                    name(*node)
                )),
                Action::Resume { node } => Some(format!(
                    "{} runs again: the messages and timers that came due while it was frozen are handled now, in order",
                    name(*node)
                )),
                _ => None,
            };
            lines.extend(line);
        }
        // What an action did to messages (a drop or delay by hand, a late delivery).
        if let StepKind::Action { .. } = step.kind {
            for u in &step.updates {
                let (id, text) = match *u {
                    MsgUpdate::Resolved {
                        id,
                        fate: Fate::Dropped { reason },
                    } => (id, format!("is {}", reason.describe())),
                    MsgUpdate::Rescheduled { id, deliver_at } => {
                        (id, format!("now arrives at t={deliver_at} ms"))
                    }
                    _ => continue,
                };
                if let Some(m) = msg(id) {
                    lines.push(format!(
                        "m{id}, {} from {} to {}, {text}",
                        proto.describe_msg(&m.body, names),
                        name(m.from),
                        name(m.to)
                    ));
                }
            }
        }
        let actor = step.node.unwrap_or(NodeId(0));
        for n in &step.notes {
            lines.push(proto.describe_note(actor, n, names));
        }
        for v in &step.violations {
            lines.push(format!("VIOLATION of {}: {}", v.property, v.explanation));
        }
        lines
    }
}
