//! The discrete-event simulator.
//!
//! [`Sim`] holds every node's state, a queue of events ordered by `(time, priority,
//! sequence)`, the network model, node status and the seeded RNG. [`Sim::step`] pops exactly
//! one event and returns its record. Client commands, faults and network changes are events
//! in the same queue, so a script, a person clicking and the CLI all go through one path.

mod clock;
mod net;
mod queue;
mod wire;

pub use net::{check_latency, check_probability, DefaultChange, LinkParams, Network, MAX_LATENCY};

use crate::collections::VecSet;
use crate::decimal::{fixed, short};
use crate::invariant::{Checker, Violation};
use crate::protocol::{Ctx, Durable, Effect, NodeFault, Protocol};
use crate::trace::{
    DropReason, Fate, KernelNote, MsgId, MsgRecord, MsgUpdate, StatusChange, StepKind, StepOutcome,
    StepRecord,
};
use clock::{thousandths, Clock, Holds};
use queue::{EvKey, Queue};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Simulated time in milliseconds.
pub type Time = u64;

/// A node, as an index into the protocol's node list. Serialized as the node's name where
/// a name table is in scope (see [`crate::names`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Whether a node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum NodeStatus {
    Up,
    /// Crashed at `since`: handles nothing; volatile state and timers are gone.
    Crashed {
        since: Time,
    },
    /// Paused at `since` (a GC pause, a frozen VM): events wait until it resumes.
    Paused {
        since: Time,
    },
}

/// Something done to the system from outside: a client command or a fault.
///
/// Read through [`wire::Action`], which is the same but for a link's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    from = "wire::Action<C>"
)]
pub enum Action<C> {
    /// A client request or command delivered to `node`.
    Command {
        node: NodeId,
        cmd: C,
    },
    Crash {
        node: NodeId,
    },
    Restart {
        node: NodeId,
    },
    Pause {
        node: NodeId,
    },
    Resume {
        node: NodeId,
    },
    /// Split the nodes into groups that cannot reach each other, replacing any cuts in
    /// place; nodes in no group form one more group.
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    /// Cut both directions between two nodes, or only `a -> b` when `one_way`.
    Cut {
        a: NodeId,
        b: NodeId,
        #[serde(default, skip_serializing_if = "is_false")]
        one_way: bool,
    },
    /// Restore every cut link, those cut by open fault windows too.
    Heal,
    /// Change the whole network's defaults (fields left out stay as they are).
    Network {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latency: Option<[Time; 2]>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        loss: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duplicate: Option<f64>,
    },
    /// Set one link's behaviour (both directions when `both`).
    Link {
        from: NodeId,
        to: NodeId,
        #[serde(flatten)]
        params: LinkParams,
        #[serde(default)]
        both: bool,
    },
    /// Drop a message in flight.
    DropMessage {
        id: MsgId,
    },
    /// Deliver a message in flight `by` ms later than planned.
    DelayMessage {
        id: MsgId,
        by: Time,
    },
    /// A clock fault on `node`: from now on its clock runs at `rate` times real time (its
    /// timers fire `1 / rate` times as late; 1 is a good clock), and/or it jumps by `jump`
    /// ms (back when negative, never below 0): timers come due by the clock's reading, so
    /// a jump forward fires them early and one back holds them back. The node reads the
    /// time from this clock ([`crate::protocol::Ctx::now`]).
    Clock {
        node: NodeId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rate: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        jump: Option<i64>,
    },
    /// Open fault window `window` with `fault` (a crash, pause, partition, cut, network,
    /// link or clock fault): the fault lasts until [`Action::End`] of the same window,
    /// which undoes only what the window did. Windows compose: a node crashed or paused by
    /// two windows comes back when the last of them ends; a link cut by two is restored
    /// when both have ended; settings changed by a window go back to what is in force
    /// without it. A window may hold several faults (opened with the same number).
    Open {
        window: u32,
        fault: Box<Action<C>>,
    },
    /// End fault window `window`: undo what it did (restart or resume its nodes unless
    /// another window or a fault outside any window still holds them; restore its cuts,
    /// settings and clock rates). A clock's jump stays.
    End {
        window: u32,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// True with probability `p`: the same draw as `rand`'s `Rng::random_bool` (the same
/// numbers taken from the generator), but a `p` outside `[0, 1]` is never (below) or always
/// (above) true instead of a panic, whose message would bring the standard library's
/// float formatting into every page.
pub fn chance<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    match rand::distr::Bernoulli::new(p) {
        Ok(d) => rng.sample(d),
        Err(_) => p > 1.0,
    }
}

/// Fastest and slowest clock rate a clock fault may set.
pub const CLOCK_RATES: [f64; 2] = [0.1, 10.0];

/// An action that is not a client command: a fault or a network change. It fits any
/// protocol ([`Action::widen`]), so the parts of a front end that know no algorithm (the
/// fault palette, the inspector) build these.
pub type Fault = Action<std::convert::Infallible>;

impl Fault {
    /// This fault as an action of a protocol whose commands are `C`.
    pub fn widen<C>(self) -> Action<C> {
        self.map_cmd(|never| match never {})
    }
}

impl<C> Action<C> {
    /// The same action with its command (if it is one) turned into another type.
    pub fn map_cmd<D>(self, f: impl FnOnce(C) -> D) -> Action<D> {
        match self {
            Action::Command { node, cmd } => Action::Command { node, cmd: f(cmd) },
            Action::Crash { node } => Action::Crash { node },
            Action::Restart { node } => Action::Restart { node },
            Action::Pause { node } => Action::Pause { node },
            Action::Resume { node } => Action::Resume { node },
            Action::Partition { groups } => Action::Partition { groups },
            Action::Cut { a, b, one_way } => Action::Cut { a, b, one_way },
            Action::Heal => Action::Heal,
            Action::Network {
                latency,
                loss,
                duplicate,
            } => Action::Network {
                latency,
                loss,
                duplicate,
            },
            Action::Link {
                from,
                to,
                params,
                both,
            } => Action::Link {
                from,
                to,
                params,
                both,
            },
            Action::DropMessage { id } => Action::DropMessage { id },
            Action::DelayMessage { id, by } => Action::DelayMessage { id, by },
            Action::Clock { node, rate, jump } => Action::Clock { node, rate, jump },
            Action::Open { window, fault } => Action::Open {
                window,
                fault: Box::new(fault.map_cmd(f)),
            },
            Action::End { window } => Action::End { window },
        }
    }

    /// The fault itself: what a window opens, else the action.
    pub fn fault(&self) -> &Action<C> {
        match self {
            Action::Open { fault, .. } => fault.fault(),
            other => other,
        }
    }

    /// Whether a fault window can hold this action.
    pub fn windowable(&self) -> bool {
        matches!(
            self,
            Action::Crash { .. }
                | Action::Pause { .. }
                | Action::Partition { .. }
                | Action::Cut { .. }
                | Action::Network { .. }
                | Action::Link { .. }
                | Action::Clock { .. }
        )
    }

    /// Refuse values out of range. `field` names the action in the message.
    pub fn validate(&self, field: &str) -> Result<(), String> {
        match self {
            Action::Network {
                latency,
                loss,
                duplicate,
            } => {
                if let Some(l) = latency {
                    check_latency(&format!("{field}.latency"), *l)?;
                }
                if let Some(p) = loss {
                    check_probability(&format!("{field}.loss"), *p)?;
                }
                if let Some(p) = duplicate {
                    check_probability(&format!("{field}.duplicate"), *p)?;
                }
                Ok(())
            }
            Action::Link { params, .. } => params.validate(field),
            Action::DelayMessage { by, .. } if *by > MAX_LATENCY => Err(format!(
                "{field}.by: must be at most {MAX_LATENCY} ms (got {by})"
            )),
            Action::Clock { rate, jump, .. } => {
                let [lo, hi] = CLOCK_RATES;
                if rate.is_some_and(|r| !(lo..=hi).contains(&r)) {
                    Err(format!(
                        "{field}.rate: must be between {} and {}",
                        short(lo),
                        short(hi)
                    ))
                } else if jump.is_some_and(|j| j.unsigned_abs() > MAX_LATENCY) {
                    Err(format!(
                        "{field}.jump: must be at most {MAX_LATENCY} ms either way"
                    ))
                } else if rate.is_none() && jump.is_none() {
                    Err(format!("{field}: give a `rate`, a `jump` or both"))
                } else {
                    Ok(())
                }
            }
            Action::Open { fault, .. } => {
                if fault.windowable() {
                    fault.validate(&format!("{field}.fault"))
                } else {
                    Err(format!(
                        "{field}.fault: a fault window holds a crash, pause, partition, cut, network, link or clock fault"
                    ))
                }
            }
            _ => Ok(()),
        }
    }

    /// The node this action is about, if one.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            Action::Command { node, .. }
            | Action::Crash { node }
            | Action::Restart { node }
            | Action::Pause { node }
            | Action::Resume { node }
            | Action::Clock { node, .. } => Some(*node),
            Action::Open { fault, .. } => fault.node(),
            _ => None,
        }
    }

    /// Every node the action names outside its command (a partition's members, both ends
    /// of a cut or a link).
    pub fn nodes(&self) -> Vec<NodeId> {
        match self {
            Action::Partition { groups } => groups.iter().flatten().copied().collect(),
            Action::Cut { a, b, .. } => vec![*a, *b],
            Action::Link { from, to, .. } => vec![*from, *to],
            Action::Open { fault, .. } => fault.nodes(),
            other => other.node().into_iter().collect(),
        }
    }

    /// True for faults and network changes, false for client commands.
    pub fn is_fault(&self) -> bool {
        !matches!(self, Action::Command { .. })
    }
}

impl<C: Clone> Action<C> {
    /// The action in plain words ("crash n2", "cut n1 <-> n3").
    pub fn describe<P: Protocol<Cmd = C>>(&self, proto: &P, names: &[String]) -> String {
        let name = |n: &NodeId| names.get(n.index()).cloned().unwrap_or_else(|| "?".into());
        match self {
            Action::Command { node, cmd } => {
                format!("tell {} to {}", name(node), proto.describe_cmd(cmd, names))
            }
            Action::Crash { node } => format!("crash {}", name(node)),
            Action::Restart { node } => format!("restart {}", name(node)),
            Action::Pause { node } => format!("pause {}", name(node)),
            Action::Resume { node } => format!("resume {}", name(node)),
            Action::Partition { groups } => {
                let gs: Vec<String> = groups
                    .iter()
                    .map(|g| g.iter().map(name).collect::<Vec<_>>().join(" "))
                    .collect();
                format!("partition the network into {{{}}}", gs.join("} | {"))
            }
            Action::Cut { a, b, one_way } => format!(
                "cut the link {} {} {}",
                name(a),
                if *one_way { "->" } else { "<->" },
                name(b)
            ),
            Action::Heal => "heal the network".into(),
            Action::Network {
                latency,
                loss,
                duplicate,
            } => {
                let mut parts = Vec::new();
                if let Some([lo, hi]) = latency {
                    parts.push(format!("latency {lo}-{hi} ms"));
                }
                if let Some(p) = loss {
                    parts.push(format!("loss {}%", fixed(p * 100.0, 0)));
                }
                if let Some(p) = duplicate {
                    parts.push(format!("duplication {}%", fixed(p * 100.0, 0)));
                }
                format!("set the network to {}", parts.join(", "))
            }
            Action::Link {
                from,
                to,
                params,
                both,
            } => format!(
                "set the link {} {} {} to latency {}-{} ms, loss {}%, duplication {}%",
                name(from),
                if *both { "<->" } else { "->" },
                name(to),
                params.latency[0],
                params.latency[1],
                fixed(params.loss * 100.0, 0),
                fixed(params.duplicate * 100.0, 0)
            ),
            Action::DropMessage { id } => format!("drop message m{id}"),
            Action::DelayMessage { id, by } => format!("delay message m{id} by {by} ms"),
            Action::Clock { node, rate, jump } => format!(
                "set the clock of {}: rate {}, jump {} ms",
                name(node),
                rate.map_or("as it was".into(), |r| format!("{}x real time", short(r))),
                jump.unwrap_or(0)
            ),
            Action::Open { window, fault } => {
                format!("{} (fault window {window})", fault.describe(proto, names))
            }
            Action::End { window } => format!("end fault window {window}: undo what it did"),
        }
    }
}

#[derive(Clone, Debug)]
enum Event<P: Protocol> {
    Deliver {
        id: MsgId,
        from: NodeId,
        to: NodeId,
        msg: P::Msg,
    },
    Timer {
        node: NodeId,
        id: u64,
    },
    Action {
        action: Action<P::Cmd>,
        user: bool,
    },
}

impl<P: Protocol> Event<P> {
    /// The node that handles the event, if it is addressed to one.
    fn target(&self) -> Option<NodeId> {
        match self {
            Event::Deliver { to, .. } => Some(*to),
            Event::Timer { node, .. } => Some(*node),
            Event::Action {
                action: Action::Command { node, .. },
                ..
            } => Some(*node),
            Event::Action { .. } => None,
        }
    }
}

#[derive(Clone, Debug)]
struct PendingTimer<P: Protocol> {
    id: u64,
    timer: P::Timer,
    /// When it is due by the node's clock.
    local_due: Time,
    /// Where it sits in the queue.
    key: EvKey,
}

#[derive(Clone, Debug)]
struct Slot<P: Protocol> {
    state: P::Node,
    status: NodeStatus,
    timers: Vec<PendingTimer<P>>,
    /// What keeps it crashed, and what keeps it paused.
    crashed_by: Holds,
    paused_by: Holds,
    clock: Clock,
}

/// Everything a simulation holds, part by part, written out (`Debug` text, not a stable
/// format): two simulations with equal snapshots show the same present and run the same
/// future. For checking that time travel (a checkpoint restored and replayed, a fork)
/// lands on the state a fresh run of the same actions reaches. Taking one changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimSnapshot {
    /// The protocol with its parameters and the node names (fixed when the simulation is
    /// made).
    pub protocol: String,
    /// Simulated time, steps taken, the event sequence counter and the next message id.
    pub clock: String,
    /// The random generator: seed, stream and position in it.
    pub rng: String,
    /// Each node's state (memory and disk), status, pending timers, what holds it down and
    /// its clock, in node order.
    pub nodes: Vec<String>,
    /// The queued events (deliveries, timers, injected actions) in queue order, then the
    /// messages in flight with their place in the queue.
    pub queue: Vec<String>,
    /// The scripted actions, which of them have run, and the handler scratch buffer
    /// (empty between steps).
    pub script: String,
    /// Default link settings, per-link overrides, cut links (each for good or by a
    /// window), the open fault windows, and the initial network.
    pub network: String,
    /// The safety checker's own state.
    pub checker: String,
}

/// A deterministic simulation of one protocol.
#[derive(Clone, Debug)]
pub struct Sim<P: Protocol> {
    proto: P,
    names: Arc<[String]>,
    time: Time,
    steps: u64,
    seq: u64,
    next_msg: MsgId,
    queue: Queue<Event<P>>,
    /// Scripted actions, by time (stable). Shared by every clone of the simulation, so a
    /// long script costs nothing per checkpoint; `script_done` marks what has run.
    script: Arc<Vec<(Time, Action<P::Cmd>)>>,
    script_done: Vec<u64>,
    /// Every scripted action before this index has run.
    script_from: usize,
    script_left: usize,
    slots: Vec<Slot<P>>,
    net: Network,
    /// The network as the run started, before any action changed it (shared by clones).
    initial_net: Arc<Network>,
    rng: ChaCha8Rng,
    /// Fault windows opened and not yet ended.
    windows: VecSet<u32>,
    /// Always `Some` except while it runs (it reads the whole simulation).
    checker: Option<P::Checker>,
    /// Scratch buffer for handler effects (empty between steps).
    effects: Vec<Effect<P>>,
    /// Scratch buffers a step collects its record in (empty between steps): kept from
    /// step to step, so a step allocates only its record's lists, each to its length.
    scratch: Builder<P>,
}

impl<P: Protocol> Sim<P> {
    /// Start a simulation: every node runs `init` at time 0, in node order.
    pub fn new(proto: P, seed: u64, net: Network) -> Self {
        let names: Arc<[String]> = proto.node_names().into();
        let n = names.len() as u32;
        let checker = proto.checker();
        let mut sim = Sim {
            proto,
            names,
            time: 0,
            steps: 0,
            seq: 0,
            next_msg: 0,
            queue: Queue::new(),
            script: Arc::new(Vec::new()),
            script_done: Vec::new(),
            script_from: 0,
            script_left: 0,
            slots: Vec::with_capacity(n as usize),
            initial_net: Arc::new(net.clone()),
            net,
            rng: ChaCha8Rng::seed_from_u64(seed),
            windows: VecSet::new(),
            checker: Some(checker),
            effects: Vec::new(),
            scratch: Builder::new(0),
        };
        for i in 0..n {
            let mut effects = std::mem::take(&mut sim.effects);
            let state = {
                let mut ctx = Ctx::new(0, NodeId(i), n, &mut sim.rng, &mut effects);
                sim.proto.init(NodeId(i), &mut ctx)
            };
            sim.slots.push(Slot {
                state,
                status: NodeStatus::Up,
                timers: Vec::new(),
                crashed_by: Holds::default(),
                paused_by: Holds::default(),
                clock: Clock::default(),
            });
            // Only timers take effect at init: a message needs a step to be sent from.
            effects.retain(|e| matches!(e, Effect::SetTimer { .. } | Effect::CancelTimer { .. }));
            let mut b = Builder::new(0);
            sim.apply_effects(NodeId(i), &mut effects, &mut b);
            sim.effects = effects;
        }
        sim
    }

    pub fn proto(&self) -> &P {
        &self.proto
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn name(&self, n: NodeId) -> &str {
        self.names.get(n.index()).map_or("?", |s| s.as_str())
    }

    pub fn node_count(&self) -> u32 {
        self.slots.len() as u32
    }

    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> {
        (0..self.node_count()).map(NodeId)
    }

    /// Current simulated time.
    pub fn time(&self) -> Time {
        self.time
    }

    /// Number of steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    pub fn node(&self, n: NodeId) -> &P::Node {
        &self.slots[n.index()].state
    }

    pub fn status(&self, n: NodeId) -> NodeStatus {
        self.slots[n.index()].status
    }

    pub fn is_up(&self, n: NodeId) -> bool {
        self.status(n) == NodeStatus::Up
    }

    pub fn net(&self) -> &Network {
        &self.net
    }

    /// The network as the run started, before any action changed it.
    pub fn initial_net(&self) -> &Network {
        &self.initial_net
    }

    /// What node `n`'s clock reads now.
    pub fn clock_reading(&self, n: NodeId) -> Time {
        self.slots[n.index()].clock.read(self.time)
    }

    /// The rate node `n`'s clock runs at now (1 for a good clock).
    pub fn clock_rate(&self, n: NodeId) -> f64 {
        self.slots[n.index()].clock.factor()
    }

    /// Whether node `n`'s clock reads the real time and runs at the right rate.
    pub fn clock_is_good(&self, n: NodeId) -> bool {
        self.slots[n.index()].clock.is_good()
    }

    /// The fault windows open now, in order.
    pub fn open_windows(&self) -> impl Iterator<Item = u32> + '_ {
        self.windows.iter().copied()
    }

    /// Pending timers of a node with their due time (`None` while paused).
    pub fn timers(&self, n: NodeId) -> impl Iterator<Item = (&P::Timer, Option<Time>)> {
        self.slots[n.index()]
            .timers
            .iter()
            .map(|t| (&t.timer, Some(t.key.time())))
    }

    /// Everything the simulation holds, for comparing two simulations (see
    /// [`SimSnapshot`]).
    pub fn snapshot(&self) -> SimSnapshot {
        let nodes = self
            .slots
            .iter()
            .map(|s| {
                format!(
                    "{:?} {:?} {:?} crashed by {:?} paused by {:?} {:?}",
                    s.status, s.state, s.timers, s.crashed_by, s.paused_by, s.clock
                )
            })
            .collect();
        let queue: Vec<String> = self
            .queue
            .sorted()
            .into_iter()
            .map(|(k, ev)| format!("{k:?} {ev:?}"))
            .collect();
        SimSnapshot {
            protocol: format!("{:?} {:?}", self.proto, self.names),
            clock: format!(
                "time {} steps {} seq {} next message {}",
                self.time, self.steps, self.seq, self.next_msg
            ),
            rng: format!(
                "seed {:?} stream {} word {}",
                self.rng.get_seed(),
                self.rng.get_stream(),
                self.rng.get_word_pos()
            ),
            nodes,
            queue,
            script: format!(
                "{:?} done {:?} from {} left {} effects {:?}",
                self.script, self.script_done, self.script_from, self.script_left, self.effects
            ),
            network: format!(
                "{:?} windows {:?} initially {:?}",
                self.net, self.windows, self.initial_net
            ),
            checker: format!("{:?}", self.checker),
        }
    }

    /// Events waiting in the queue.
    pub fn pending_events(&self) -> usize {
        self.queue.len() + self.script_left
    }

    /// Time of the next step, if any.
    pub fn next_time(&self) -> Option<Time> {
        let t = match self.next_event()? {
            Next::Queue(k) => k.time(),
            Next::Script(i) => self.script[i].0,
        };
        Some(t.max(self.time))
    }

    fn runnable(&self, target: Option<NodeId>) -> bool {
        target.is_none_or(|n| !matches!(self.slots[n.index()].status, NodeStatus::Paused { .. }))
    }

    /// The next event that can run: a queued event or a scripted action, whichever comes
    /// first (the script wins ties), skipping what is addressed to a paused node. A paused
    /// node's events stay where they are, so they run in their order, at once, when it
    /// resumes; looking for the next event changes nothing.
    fn next_event(&self) -> Option<Next> {
        let queued = match self.queue.first() {
            Some(k) if self.runnable(self.queue.get(k).target()) => Some(*k),
            // The least event waits for a paused node: the least of those that can run.
            Some(_) => self
                .queue
                .iter()
                .filter(|(_, ev)| self.runnable(ev.target()))
                .map(|(k, _)| *k)
                .min(),
            None => None,
        };
        let scripted = (self.script_from..self.script.len()).find(|&i| {
            self.script_done[i / 64] & (1 << (i % 64)) == 0
                && self.runnable(
                    self.script[i]
                        .1
                        .node()
                        .filter(|_| matches!(self.script[i].1, Action::Command { .. })),
                )
        });
        match (queued, scripted) {
            (Some(k), Some(i)) if (k.prio(), k.time()) < (1, self.script[i].0) => {
                Some(Next::Queue(k))
            }
            (_, Some(i)) => Some(Next::Script(i)),
            (Some(k), None) => Some(Next::Queue(k)),
            (None, None) => None,
        }
    }

    fn push(&mut self, time: Time, prio: u8, ev: Event<P>) -> EvKey {
        let key = self.queue.insert(prio, time, self.seq, ev);
        self.seq += 1;
        key
    }

    /// Schedule an action at simulated time `at` (a scripted action); one due in the past
    /// runs next.
    pub fn schedule(&mut self, at: Time, action: Action<P::Cmd>) {
        let script = Arc::make_mut(&mut self.script);
        // Stable: after those already scheduled at the same time.
        let i = script.partition_point(|(t, _)| *t <= at);
        script.insert(i, (at, action));
        // Rebuild the marks: an insertion shifts the indexes after it.
        let mut done: Vec<bool> = (0..script.len() - 1)
            .map(|j| self.script_done[j / 64] & (1 << (j % 64)) != 0)
            .collect();
        done.insert(i, false);
        self.script_done = vec![0; script.len().div_ceil(64)];
        for (j, d) in done.iter().enumerate() {
            if *d {
                self.script_done[j / 64] |= 1 << (j % 64);
            }
        }
        self.script_from = done.iter().position(|d| !d).unwrap_or(done.len());
        self.script_left += 1;
    }

    /// Inject an action now: it is the very next step. `user` marks what a person did (as
    /// opposed to a scenario's script).
    pub fn inject(&mut self, action: Action<P::Cmd>, user: bool) {
        self.push(self.time, 0, Event::Action { action, user });
    }

    /// Inject `actions` (each with its `user` mark, see [`Sim::inject`]) and run one step.
    /// When nothing can run, not even those actions (commands for paused nodes, say), they
    /// are taken out again: the simulation is left exactly as it was and `None` is
    /// returned. So the state after `n` steps never holds actions due at step `n`.
    pub fn step_with(
        &mut self,
        actions: impl IntoIterator<Item = (Action<P::Cmd>, bool)>,
    ) -> Option<StepOutcome<P>> {
        let seq = self.seq;
        let keys: Vec<EvKey> = actions
            .into_iter()
            .map(|(action, user)| self.push(self.time, 0, Event::Action { action, user }))
            .collect();
        let out = self.step();
        if out.is_none() {
            // `step` changed nothing: it found no event it could run.
            for k in keys {
                self.queue.remove(&k);
            }
            self.seq = seq;
        }
        out
    }

    /// The safety checker with what it recorded so far (`None` in a simulation made
    /// [`Sim::without_checker`]). A view reads from it what no single node knows, such as
    /// when a value was chosen.
    pub fn checker(&self) -> Option<&P::Checker> {
        self.checker.as_ref()
    }

    /// The same simulation with no safety checker: what the kernel costs on its own
    /// (benchmarks). Steps record no violations.
    pub fn without_checker(mut self) -> Self {
        self.checker = None;
        self
    }

    /// Run one event. `None` when nothing is left to happen.
    pub fn step(&mut self) -> Option<StepOutcome<P>> {
        let (due, ev) = match self.next_event()? {
            Next::Queue(key) => {
                let ev = self.queue.remove(&key)?;
                (key.time(), ev)
            }
            Next::Script(i) => {
                self.script_done[i / 64] |= 1 << (i % 64);
                self.script_left -= 1;
                while self.script_from < self.script.len()
                    && self.script_done[self.script_from / 64] & (1 << (self.script_from % 64)) != 0
                {
                    self.script_from += 1;
                }
                let action = self.script[i].1.clone();
                (
                    self.script[i].0,
                    Event::Action {
                        action,
                        user: false,
                    },
                )
            }
        };
        // An event that waited for a paused node runs late, at the current time.
        let late = due < self.time;
        self.time = self.time.max(due);
        let index = self.steps;
        self.steps += 1;
        let mut b = std::mem::take(&mut self.scratch);
        b.index = index;
        if let (true, Event::Deliver { id, .. }) = (late, &ev) {
            b.updates.push(MsgUpdate::Rescheduled {
                id: *id,
                deliver_at: self.time,
            });
        }
        let (node, kind) = match ev {
            Event::Deliver { id, from, to, msg } => {
                let reason = if self.net.is_blocked(from, to) {
                    Some(DropReason::Partition)
                } else if self.slots[to.index()].status != NodeStatus::Up {
                    Some(DropReason::NodeDown)
                } else {
                    None
                };
                match reason {
                    Some(reason) => {
                        b.updates.push(MsgUpdate::Resolved {
                            id,
                            fate: Fate::Dropped { reason },
                        });
                        // A crashed node's host refuses the message: the sender is told
                        // (if the protocol asks for it), by a message that travels back.
                        let crashed =
                            matches!(self.slots[to.index()].status, NodeStatus::Crashed { .. });
                        if let (DropReason::NodeDown, true, Some(reply)) =
                            (reason, crashed, self.proto.refusal(&msg))
                        {
                            self.transmit(to, from, reply, &mut b, None);
                        }
                        (
                            Some(to),
                            StepKind::Drop {
                                msg: id,
                                from,
                                reason,
                            },
                        )
                    }
                    None => {
                        b.updates.push(MsgUpdate::Resolved {
                            id,
                            fate: Fate::Delivered,
                        });
                        self.handle(to, &mut b, |p, s, ctx| p.on_msg(s, from, msg, ctx));
                        (Some(to), StepKind::Deliver { msg: id, from })
                    }
                }
            }
            Event::Timer { node, id } => {
                let slot = &mut self.slots[node.index()];
                let pos = slot.timers.iter().position(|t| t.id == id);
                // The queue holds only live timers, so the timer is there.
                let timer = slot.timers.remove(pos.expect("live timer")).timer;
                let kind = StepKind::Timer {
                    timer: timer.clone(),
                };
                self.handle(node, &mut b, |p, s, ctx| p.on_timer(s, timer, ctx));
                (Some(node), kind)
            }
            Event::Action { action, user } => {
                let node = action.node();
                let kind = StepKind::Action {
                    action: action.clone(),
                    user,
                };
                // An action may change several nodes' status (the end of a fault window
                // restarts every node it crashed).
                let before: Vec<NodeStatus> = self.slots.iter().map(|s| s.status).collect();
                self.act(action, &mut b);
                b.status = (self.slots.iter().zip(before))
                    .enumerate()
                    .filter(|(_, (s, was))| s.status != *was)
                    .map(|(i, (s, was))| StatusChange {
                        node: NodeId(i as u32),
                        status: s.status,
                        was,
                    })
                    .collect();
                (node, kind)
            }
        };
        let mut outcome = StepOutcome {
            record: StepRecord {
                index,
                time: self.time,
                node,
                kind,
                notes: take_exact(&mut b.notes),
                kernel: b.kernel.take(),
                status: std::mem::take(&mut b.status),
                sent: take_exact(&mut b.sent),
                updates: take_exact(&mut b.updates),
                violations: Vec::new(),
            },
            messages: take_exact(&mut b.msgs),
        };
        self.scratch = b;
        let mut violations: Vec<Violation> = Vec::new();
        if let Some(mut checker) = self.checker.take() {
            checker.check(self, &outcome, &mut violations);
            self.checker = Some(checker);
        }
        for v in &mut violations {
            v.step = index;
            v.time = self.time;
        }
        outcome.record.violations = violations;
        Some(outcome)
    }

    /// Run a handler on node `n` and apply its effects.
    fn handle(
        &mut self,
        n: NodeId,
        b: &mut Builder<P>,
        f: impl FnOnce(&P, &mut P::Node, &mut Ctx<P>),
    ) {
        let count = self.node_count();
        let mut effects = std::mem::take(&mut self.effects);
        {
            let now = self.slots[n.index()].clock.read(self.time);
            let mut ctx = Ctx::new(now, n, count, &mut self.rng, &mut effects);
            f(&self.proto, &mut self.slots[n.index()].state, &mut ctx);
        }
        self.apply_effects(n, &mut effects, b);
        self.effects = effects;
    }

    fn apply_effects(&mut self, n: NodeId, effects: &mut Vec<Effect<P>>, b: &mut Builder<P>) {
        let mut crash = false;
        for e in effects.drain(..) {
            match e {
                Effect::Send { to, msg } => self.transmit(n, to, msg, b, None),
                Effect::SetTimer { timer, at } => {
                    // `at` is by the node's clock.
                    self.cancel_timer(n, &timer);
                    let id = self.seq;
                    let real = self.slots[n.index()].clock.real_at(at, self.time);
                    let key = self.push(real, 1, Event::Timer { node: n, id });
                    self.slots[n.index()].timers.push(PendingTimer {
                        id,
                        timer,
                        local_due: at,
                        key,
                    });
                }
                Effect::CancelTimer { timer } => self.cancel_timer(n, &timer),
                Effect::Note(note) => b.notes.push(note),
                Effect::Crash => crash = true,
            }
        }
        if crash {
            self.crash_node(n);
            self.slots[n.index()].crashed_by.hold(None);
        }
    }

    fn fault_note(&self, node: NodeId, fault: NodeFault) -> Option<P::Note> {
        self.proto
            .fault_note(&self.slots[node.index()].state, fault)
    }

    /// Crash a node that is up: its memory and timers go.
    fn crash_node(&mut self, node: NodeId) {
        let time = self.time;
        let slot = &mut self.slots[node.index()];
        slot.status = NodeStatus::Crashed { since: time };
        // A crashed node is no longer paused: its restart brings it up.
        slot.paused_by.clear();
        slot.state.crash();
        // Its timers are gone; messages and commands for it stay queued and find it down
        // when they arrive.
        for t in std::mem::take(&mut slot.timers) {
            self.queue.remove(&t.key);
        }
    }

    fn cancel_timer(&mut self, n: NodeId, timer: &P::Timer) {
        let slot = &mut self.slots[n.index()];
        if let Some(pos) = slot.timers.iter().position(|t| &t.timer == timer) {
            let t = slot.timers.remove(pos);
            self.queue.remove(&t.key);
        }
    }

    /// Put a message on the wire: decide its fate now (cut link, loss), draw its latency
    /// and maybe a duplicate.
    fn transmit(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: P::Msg,
        b: &mut Builder<P>,
        duplicate_of: Option<MsgId>,
    ) {
        if to.index() >= self.slots.len() {
            return; // a protocol addressing a node that does not exist sends nothing
        }
        let link = self.net.link(from, to).clone();
        let [lo, hi] = link.latency;
        let latency = if lo >= hi {
            lo
        } else {
            self.rng.random_range(lo..=hi)
        };
        let id = self.next_msg;
        self.next_msg += 1;
        let deliver_at = self.time.saturating_add(latency);
        let fate = if self.net.is_blocked(from, to) {
            Fate::Dropped {
                reason: DropReason::Partition,
            }
        } else if link.loss > 0.0 && chance(&mut self.rng, link.loss) {
            Fate::Dropped {
                reason: DropReason::Loss,
            }
        } else {
            Fate::InFlight
        };
        // The record keeps the message; one in flight is queued too.
        let (body, queued) = if fate == Fate::InFlight {
            (msg.clone(), Some(msg))
        } else {
            (msg, None)
        };
        let record = MsgRecord {
            id,
            from,
            to,
            label: self.proto.msg_label(&body),
            body,
            sent_step: b.index,
            sent_at: self.time,
            deliver_at,
            fate,
            resolved_step: (fate != Fate::InFlight).then_some(b.index),
            duplicate_of,
            reschedules: Vec::new(),
        };
        b.msgs.push(record);
        b.sent.push(id);
        if let Some(msg) = queued {
            let dup = duplicate_of.is_none()
                && link.duplicate > 0.0
                && chance(&mut self.rng, link.duplicate);
            let copy = dup.then(|| msg.clone());
            self.push(deliver_at, 1, Event::Deliver { id, from, to, msg });
            if let Some(msg) = copy {
                self.transmit(from, to, msg, b, Some(id));
            }
        }
    }

    /// Carry out a command or fault.
    fn act(&mut self, action: Action<P::Cmd>, b: &mut Builder<P>) {
        if let Some(n) = action.node() {
            if n.index() >= self.slots.len() {
                return; // validated before scheduling; ignore rather than panic
            }
        }
        match action {
            Action::Command { node, cmd } => {
                if self.slots[node.index()].status == NodeStatus::Up {
                    self.handle(node, b, |p, s, ctx| p.on_cmd(s, cmd, ctx));
                } else {
                    b.kernel = Some(KernelNote::NodeDown);
                }
            }
            Action::Restart { node } => {
                if let NodeStatus::Crashed { .. } = self.slots[node.index()].status {
                    self.restart_node(node, b);
                } else {
                    b.kernel = Some(KernelNote::NotCrashed);
                }
            }
            Action::Resume { node } => {
                if let NodeStatus::Paused { .. } = self.slots[node.index()].status {
                    self.resume_node(node, b);
                } else {
                    b.kernel = Some(KernelNote::NotPaused);
                }
            }
            Action::Heal => self.net.heal(),
            Action::DropMessage { id } => match self.take_in_flight(id) {
                Some(_) => b.updates.push(MsgUpdate::Resolved {
                    id,
                    fate: Fate::Dropped {
                        reason: DropReason::User,
                    },
                }),
                None => b.kernel = Some(KernelNote::NotInFlight),
            },
            Action::DelayMessage { id, by } => match self.take_in_flight(id) {
                Some((due, ev)) => {
                    let at = due.max(self.time).saturating_add(by);
                    self.push(at, 1, ev);
                    b.updates
                        .push(MsgUpdate::Rescheduled { id, deliver_at: at });
                }
                None => b.kernel = Some(KernelNote::NotInFlight),
            },
            Action::Open { window, fault } => {
                if fault.windowable() {
                    self.windows.insert(window);
                    self.fault(*fault, Some(window), b);
                }
            }
            Action::End { window } => self.end_window(window, b),
            fault => self.fault(fault, None, b),
        }
    }

    /// Carry out a fault that a window can hold: while window `window` is open, or for
    /// good when `None`.
    fn fault(&mut self, action: Action<P::Cmd>, window: Option<u32>, b: &mut Builder<P>) {
        match action {
            Action::Crash { node } => {
                let slot = &self.slots[node.index()];
                if let NodeStatus::Crashed { .. } = slot.status {
                    // Down already: a crash for good now holds it down for good (past the
                    // ends of the windows that crashed it); a window's crash holds it too.
                    if window.is_none() && slot.crashed_by.manual {
                        b.kernel = Some(KernelNote::AlreadyCrashed);
                    }
                } else {
                    b.notes.extend(self.fault_note(node, NodeFault::Crash));
                    self.crash_node(node);
                }
                self.slots[node.index()].crashed_by.hold(window);
            }
            Action::Pause { node } => match self.slots[node.index()].status {
                NodeStatus::Up => {
                    b.notes.extend(self.fault_note(node, NodeFault::Pause));
                    let slot = &mut self.slots[node.index()];
                    slot.status = NodeStatus::Paused { since: self.time };
                    slot.paused_by.hold(window);
                }
                NodeStatus::Paused { .. } => {
                    let held = &mut self.slots[node.index()].paused_by;
                    if window.is_none() && held.manual {
                        b.kernel = Some(KernelNote::AlreadyPaused);
                    }
                    held.hold(window);
                }
                NodeStatus::Crashed { .. } => b.kernel = Some(KernelNote::NodeDown),
            },
            Action::Partition { groups } => {
                // For good, a partition replaces the cuts in place, as its narration says.
                self.net.partition(self.node_count(), &groups, window)
            }
            Action::Cut { a, b, one_way } => self.net.cut(a, b, one_way, window),
            Action::Network {
                latency,
                loss,
                duplicate,
            } => self.net.set_defaults(
                DefaultChange {
                    latency,
                    loss,
                    duplicate,
                },
                window,
            ),
            Action::Link {
                from,
                to,
                params,
                both,
            } => {
                if both {
                    self.net.set_link(to, from, params.clone(), window);
                }
                self.net.set_link(from, to, params, window);
            }
            Action::Clock { node, rate, jump } => {
                let now = self.time;
                let clock = &mut self.slots[node.index()].clock;
                if let Some(r) = rate {
                    clock.set_rate(now, thousandths(r), window);
                }
                if let Some(j) = jump {
                    clock.jump(now, j);
                }
                self.retime(node);
            }
            _ => {}
        }
    }

    /// Undo what window `w` did.
    fn end_window(&mut self, w: u32, b: &mut Builder<P>) {
        if !self.windows.remove(&w) {
            b.kernel = Some(KernelNote::NoWindow);
            return;
        }
        self.net.end_window(w);
        for i in 0..self.node_count() {
            let n = NodeId(i);
            let slot = &mut self.slots[n.index()];
            let up = slot.crashed_by.release(w);
            let resume = slot.paused_by.release(w);
            if slot.clock.end_window(self.time, w) {
                self.retime(n);
            }
            match self.slots[n.index()].status {
                NodeStatus::Crashed { .. } if up => self.restart_node(n, b),
                NodeStatus::Paused { .. } if resume => self.resume_node(n, b),
                _ => {}
            }
        }
    }

    fn restart_node(&mut self, node: NodeId, b: &mut Builder<P>) {
        let slot = &mut self.slots[node.index()];
        slot.status = NodeStatus::Up;
        slot.crashed_by.clear();
        self.handle(node, b, |p, s, ctx| p.on_restart(s, ctx));
    }

    fn resume_node(&mut self, node: NodeId, b: &mut Builder<P>) {
        // What came due meanwhile is still queued, in order, and runs next.
        b.notes.extend(self.fault_note(node, NodeFault::Resume));
        let slot = &mut self.slots[node.index()];
        slot.status = NodeStatus::Up;
        slot.paused_by.clear();
    }

    /// The node's clock changed: put each of its timers where its clock now says it is due.
    fn retime(&mut self, node: NodeId) {
        let now = self.time;
        let mut timers = std::mem::take(&mut self.slots[node.index()].timers);
        for t in &mut timers {
            let real = self.slots[node.index()].clock.real_at(t.local_due, now);
            if real != t.key.time() {
                if let Some(ev) = self.queue.remove(&t.key) {
                    t.key = self.push(real, 1, ev);
                }
            }
        }
        self.slots[node.index()].timers = timers;
    }

    /// Where a message in flight waits in the queue. A scan: only a person's drop or delay
    /// of one message asks, where keeping an index would cost every send and delivery.
    fn in_flight_key(&self, id: MsgId) -> Option<EvKey> {
        self.queue
            .iter()
            .find(|(_, ev)| matches!(ev, Event::Deliver { id: m, .. } if *m == id))
            .map(|(k, _)| *k)
    }

    /// Take a message in flight out of the queue, with the time it was due.
    fn take_in_flight(&mut self, id: MsgId) -> Option<(Time, Event<P>)> {
        let key = self.in_flight_key(id)?;
        self.queue.remove(&key).map(|ev| (key.time(), ev))
    }

    /// Whether the given message is still waiting to be delivered.
    pub fn is_in_flight(&self, id: MsgId) -> bool {
        self.in_flight_key(id).is_some()
    }
}

/// Where the next event comes from.
#[derive(Clone, Copy, Debug)]
enum Next {
    Queue(EvKey),
    Script(usize),
}

/// The items of `v`, moved out into a vector of just their number (none allocated when
/// empty); `v` keeps its room for the next step.
fn take_exact<T>(v: &mut Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(v.len());
    out.append(v);
    out
}

/// What a step collects while it runs; becomes its [`StepRecord`].
#[derive(Clone, Debug)]
struct Builder<P: Protocol> {
    index: u64,
    notes: Vec<P::Note>,
    kernel: Option<KernelNote>,
    status: Vec<StatusChange>,
    sent: Vec<MsgId>,
    updates: Vec<MsgUpdate>,
    msgs: Vec<MsgRecord<P>>,
}

impl<P: Protocol> Default for Builder<P> {
    fn default() -> Self {
        Builder::new(0)
    }
}

impl<P: Protocol> Builder<P> {
    fn new(index: u64) -> Self {
        Builder {
            index,
            notes: Vec::new(),
            kernel: None,
            status: Vec::new(),
            sent: Vec::new(),
            updates: Vec::new(),
            msgs: Vec::new(),
        }
    }
}
