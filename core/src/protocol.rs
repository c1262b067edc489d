//! The [`Protocol`] trait every algorithm implements, and [`Ctx`], through which its
//! handlers act on the world.
//!
//! Handlers never touch the network, the clock or the queue: they read their own node
//! state and emit effects (send, set/cancel a timer, narrate). The kernel turns effects
//! into events. That keeps every algorithm a pure state machine, testable on its own.

use crate::invariant::{Checker, Property};
use crate::sim::{NodeId, Time};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;
use std::ops::RangeInclusive;

/// A parameter outside what the algorithm accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    /// The field, as written in a scenario file (`nodes`, `subscriptions.n3`).
    pub field: String,
    pub message: String,
}

impl ParamError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ParamError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Refuse `value` unless it lies in `range`.
    pub fn check_range<T: PartialOrd + std::fmt::Display>(
        field: &str,
        value: T,
        range: RangeInclusive<T>,
    ) -> Result<(), ParamError> {
        if range.contains(&value) {
            Ok(())
        } else {
            Err(ParamError::new(
                field,
                format!(
                    "must be between {} and {} (got {value})",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A distributed algorithm as a set of event handlers over per-node state.
pub trait Protocol: Clone + Debug + Sized + 'static {
    /// Parameters, as written in a scenario's `params` object.
    type Params: Clone + Debug + Default + Serialize + DeserializeOwned;
    /// One node's state. What a crash keeps is in its type: usually a [`NodeState`] with a
    /// part on disk and a part in memory; [`Durable::crash`] says what is lost.
    type Node: Clone + Debug + Serialize + Durable;
    type Msg: Clone + Debug + Serialize;
    /// A timer kind. Setting a timer equal to a pending one replaces it.
    type Timer: Clone + Debug + PartialEq + Serialize;
    /// A client request or UI command addressed to one node.
    type Cmd: Clone + Debug + PartialEq + Serialize + DeserializeOwned;
    /// A narration note: data, formatted into words only when shown.
    type Note: Clone + Debug + Serialize;
    /// The safety-property checker, cloned with the simulation.
    type Checker: Checker<Self>;

    /// The algorithm's name in scenario files and URLs (`messaging`, `raft`).
    const NAME: &'static str;

    /// Build the protocol from parameters, refusing out-of-range values.
    fn new(params: Self::Params) -> Result<Self, ParamError>;
    fn params(&self) -> &Self::Params;
    /// Names of the nodes, indexed by [`NodeId`]; their number is the cluster size.
    fn node_names(&self) -> Vec<String>;

    fn init(&self, id: NodeId, ctx: &mut Ctx<Self>) -> Self::Node;
    fn on_msg(&self, node: &mut Self::Node, from: NodeId, msg: Self::Msg, ctx: &mut Ctx<Self>);
    fn on_timer(&self, node: &mut Self::Node, timer: Self::Timer, ctx: &mut Ctx<Self>);
    fn on_cmd(&self, node: &mut Self::Node, cmd: Self::Cmd, ctx: &mut Ctx<Self>);
    /// The node restarts after a crash with what it kept on disk (the kernel already reset
    /// its memory through [`Durable::crash`] and dropped its timers).
    fn on_restart(&self, node: &mut Self::Node, ctx: &mut Ctx<Self>);
    /// What a crash, pause or resume means for this algorithm ("its log is on disk and
    /// survives; it stops being leader"), as a note for that step's narration. `node` is the
    /// state just before the fault. `None` (the default) adds nothing to the kernel's words.
    fn fault_note(&self, node: &Self::Node, fault: NodeFault) -> Option<Self::Note> {
        let _ = (node, fault);
        None
    }

    /// The message a crashed node's host sends back when `msg` reaches the node (as a
    /// connection is refused once the process behind it is gone), or `None` (the default):
    /// the message is lost silently. A message cut by a partition is always lost silently.
    fn refusal(&self, msg: &Self::Msg) -> Option<Self::Msg> {
        let _ = msg;
        None
    }

    /// Short label drawn on a message (`REQ`, `AE`).
    fn msg_label(&self, msg: &Self::Msg) -> &'static str;
    /// One line describing a message ("Request #3 'hello'").
    fn describe_msg(&self, msg: &Self::Msg, names: &[String]) -> String;
    fn describe_timer(&self, timer: &Self::Timer, names: &[String]) -> String;
    fn describe_cmd(&self, cmd: &Self::Cmd, names: &[String]) -> String;
    /// A narration note in plain words naming the rule applied.
    fn describe_note(&self, node: NodeId, note: &Self::Note, names: &[String]) -> String;

    /// The named safety properties this algorithm checks.
    fn properties(&self) -> Vec<Property>;
    fn checker(&self) -> Self::Checker;

    /// A random client command for seed sweeps (the workload), or `None` if the
    /// algorithm has none. Draw only `u32`/`u64` values: `usize` ranges differ between
    /// 32- and 64-bit targets.
    fn random_cmd(&self, rng: &mut ChaCha8Rng) -> Option<(NodeId, Self::Cmd)>;
}

/// What a crash does to a node's state.
pub trait Durable {
    /// The node crashed: lose what was held in memory, keep what is on disk.
    fn crash(&mut self);
}

/// A node's state split by what survives a crash: `disk` is kept, `mem` is reset to its
/// default when the node crashes. Written as `{"disk": .., "memory": ..}`, so the inspector
/// and traces show which is which.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NodeState<D, M> {
    pub disk: D,
    #[serde(rename = "memory")]
    pub mem: M,
}

impl<D, M: Default> NodeState<D, M> {
    /// A node with `disk` and empty memory.
    pub fn new(disk: D) -> Self {
        NodeState {
            disk,
            mem: M::default(),
        }
    }
}

impl<D, M: Default> Durable for NodeState<D, M> {
    fn crash(&mut self) {
        self.mem = M::default();
    }
}

/// A fault the kernel applies to a node, for [`Protocol::fault_note`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeFault {
    Crash,
    Pause,
    Resume,
}

/// An effect a handler emits; applied by the kernel in order after the handler returns.
/// `Crash`: the node crashes at the end of the step (a failure the protocol's own options
/// call for, such as a participant set to fail before voting).
#[derive(Clone, Debug)]
pub enum Effect<P: Protocol> {
    Send { to: NodeId, msg: P::Msg },
    SetTimer { timer: P::Timer, at: Time },
    CancelTimer { timer: P::Timer },
    Note(P::Note),
    Crash,
}

/// What a handler can do: send, set and cancel timers, draw random numbers, narrate.
pub struct Ctx<'a, P: Protocol> {
    now: Time,
    me: NodeId,
    nodes: u32,
    rng: &'a mut ChaCha8Rng,
    effects: &'a mut Vec<Effect<P>>,
}

impl<'a, P: Protocol> Ctx<'a, P> {
    pub(crate) fn new(
        now: Time,
        me: NodeId,
        nodes: u32,
        rng: &'a mut ChaCha8Rng,
        effects: &'a mut Vec<Effect<P>>,
    ) -> Self {
        Ctx {
            now,
            me,
            nodes,
            rng,
            effects,
        }
    }

    /// Current simulated time in ms.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The node whose handler is running.
    pub fn me(&self) -> NodeId {
        self.me
    }

    pub fn node_count(&self) -> u32 {
        self.nodes
    }

    pub fn send(&mut self, to: NodeId, msg: P::Msg) {
        self.effects.push(Effect::Send { to, msg });
    }

    /// Send `msg` to every node except this one.
    pub fn broadcast(&mut self, msg: P::Msg) {
        let me = self.me;
        self.send_all((0..self.nodes).map(NodeId).filter(|&n| n != me), msg);
    }

    /// Send a copy of `msg` to each of `to`.
    pub fn send_all(&mut self, to: impl IntoIterator<Item = NodeId>, msg: P::Msg) {
        for n in to {
            self.send(n, msg.clone());
        }
    }

    /// Set `timer` to fire after a delay drawn uniformly from `delay` (ms). A pending timer
    /// equal to `timer` is replaced.
    pub fn set_timer(&mut self, timer: P::Timer, delay: RangeInclusive<Time>) {
        let d = self.random_range(delay);
        self.effects.push(Effect::SetTimer {
            timer,
            at: self.now.saturating_add(d),
        });
    }

    pub fn cancel_timer(&mut self, timer: P::Timer) {
        self.effects.push(Effect::CancelTimer { timer });
    }

    /// Record a narration note for this step.
    pub fn note(&mut self, note: P::Note) {
        self.effects.push(Effect::Note(note));
    }

    /// Crash this node once the handler returns: its other effects (sends, notes) still
    /// happen, then it is down exactly as if a person had crashed it.
    pub fn crash(&mut self) {
        self.effects.push(Effect::Crash);
    }

    /// A uniform draw from `range` with the simulation's seeded RNG.
    pub fn random_range(&mut self, range: RangeInclusive<u64>) -> u64 {
        let (lo, hi) = (*range.start(), *range.end());
        if lo >= hi {
            lo
        } else {
            self.rng.random_range(lo..=hi)
        }
    }
}
