//! Algorithms by name, built-in scenarios, and [`Session`]: an object-safe facade over a
//! [`Timeline`] so the CLI and the web's generic components drive any algorithm alike.

use crate::algo::hashring::Hashring;
use crate::algo::locks::Locks;
use crate::algo::messaging::Messaging;
use crate::algo::raft::Raft;
use crate::algo::transactions::Transactions;
use crate::faults::{random_schedule, FaultMix};
use crate::hash::hash_json;
use crate::invariant::{Property, Violation};
use crate::names::with_names;
use crate::protocol::Protocol;
use crate::scenario::{algorithm_of, Scenario, ScenarioError, ScriptedAction};
use crate::sim::{Action, LinkParams, NodeId, NodeStatus, Time};
use crate::timeline::{TimedAction, Timeline};
use crate::trace::{Fate, MsgRecord, StepKind, StepRecord};
use serde::Serialize;

/// An algorithm the playground has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlgoInfo {
    pub name: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
}

/// Algorithms with a web page (a card on the home page each).
pub const ALGORITHMS: &[AlgoInfo] = &[
    AlgoInfo {
        name: crate::algo::messaging::NAME,
        title: "Messaging",
        summary: "Point-to-point requests with timeouts and retries, best-effort and reliable broadcast, publish/subscribe through a broker.",
    },
    AlgoInfo {
        name: crate::algo::hashring::NAME,
        title: "Consistent hashing",
        summary: "A hash ring with virtual nodes, weights and replicas; adding or removing a node migrates keys through the network; load balance compared with hash mod N.",
    },
    AlgoInfo {
        name: crate::algo::locks::NAME,
        title: "Distributed locks",
        summary: "A lock server with a wait queue, a Redis-style lease lock and the ZooKeeper recipe guarding one storage node; a pause past the lease breaks mutual exclusion, fencing tokens restore it.",
    },
    AlgoInfo {
        name: crate::algo::transactions::NAME,
        title: "Distributed transactions",
        summary: "Two-phase and three-phase commit with write-ahead logs, crashes and recovery: why 2PC blocks and why 3PC is unsafe under partitions.",
    },
    AlgoInfo {
        name: crate::algo::raft::NAME,
        title: "Raft",
        summary: "Leader election, log replication and commitment as in the Raft paper, with crashes, partitions and the five safety properties checked at every step.",
    },
];

/// Algorithms the core and the CLI run that have no web page yet (not on the home page).
/// An algorithm lands here first, with its core module, and moves to [`ALGORITHMS`] with
/// its page.
pub const CORE_ONLY: &[AlgoInfo] = &[];

/// Every algorithm the core runs: those with a page, then the core-only ones.
pub fn all_algorithms() -> impl Iterator<Item = &'static AlgoInfo> {
    ALGORITHMS.iter().chain(CORE_ONLY)
}

/// A scenario that ships with dsplay (from `static/scenarios/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    /// File name without `.json`, also the id used in URLs.
    pub id: &'static str,
    pub algorithm: &'static str,
    pub json: &'static str,
}

macro_rules! builtin {
    ($algo:expr, $id:literal) => {
        Builtin {
            id: $id,
            algorithm: $algo,
            json: include_str!(concat!("../../static/scenarios/", $id, ".json")),
        }
    };
}

pub const BUILTINS: &[Builtin] = &[
    builtin!("messaging", "messaging-normal"),
    builtin!("messaging", "messaging-lossy-link"),
    builtin!("messaging", "messaging-partition-heal"),
    builtin!("messaging", "messaging-broker-crash"),
    builtin!("messaging", "messaging-no-dedup"),
    builtin!("hashring", "hashring-no-vnodes"),
    builtin!("hashring", "hashring-vnodes"),
    builtin!("hashring", "hashring-add-node"),
    builtin!("hashring", "hashring-crash-replicas"),
    builtin!("hashring", "hashring-weights"),
    builtin!("transactions", "txn-2pc-happy"),
    builtin!("transactions", "txn-2pc-vote-no"),
    builtin!("transactions", "txn-2pc-coord-crash"),
    builtin!("transactions", "txn-2pc-partial-commit"),
    builtin!("transactions", "txn-2pc-cooperative"),
    builtin!("transactions", "txn-3pc-coord-crash"),
    builtin!("transactions", "txn-3pc-partition"),
    builtin!("locks", "locks-queue"),
    builtin!("locks", "locks-holder-crash"),
    builtin!("locks", "locks-lease-pause"),
    builtin!("locks", "locks-fencing"),
    builtin!("locks", "locks-lease-try"),
    builtin!("locks", "locks-zookeeper"),
    builtin!("locks", "locks-herd"),
    builtin!("raft", "raft-first-election"),
    builtin!("raft", "raft-leader-crash"),
    builtin!("raft", "raft-partition"),
    builtin!("raft", "raft-divergent-follower"),
    builtin!("raft", "raft-figure8-unsafe"),
    builtin!("raft", "raft-figure8-safe"),
    builtin!("raft", "raft-split-vote"),
];

pub fn builtin(id: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.id == id)
}

pub fn builtins_of(algorithm: &str) -> impl Iterator<Item = &'static Builtin> + '_ {
    BUILTINS.iter().filter(move |b| b.algorithm == algorithm)
}

fn unknown_algorithm(name: &str) -> ScenarioError {
    let known: Vec<&str> = all_algorithms().map(|a| a.name).collect();
    ScenarioError::new(
        "algorithm",
        format!("unknown algorithm `{name}` (known: {})", known.join(", ")),
    )
}

/// Load a scenario of any algorithm.
pub fn load(json: &str) -> Result<Box<dyn Session>, ScenarioError> {
    match algorithm_of(json)?.as_str() {
        crate::algo::messaging::NAME => Ok(Box::new(Loaded::<Messaging>::parse(json)?)),
        crate::algo::hashring::NAME => Ok(Box::new(Loaded::<Hashring>::parse(json)?)),
        crate::algo::transactions::NAME => Ok(Box::new(Loaded::<Transactions>::parse(json)?)),
        crate::algo::locks::NAME => Ok(Box::new(Loaded::<Locks>::parse(json)?)),
        crate::algo::raft::NAME => Ok(Box::new(Loaded::<Raft>::parse(json)?)),
        other => Err(unknown_algorithm(other)),
    }
}

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
}

impl FaultKind {
    fn of<C>(action: &Action<C>) -> Option<FaultKind> {
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
            Action::Cut { a, b } => FaultKind::Cut { a: a.0, b: b.0 },
            Action::Heal => FaultKind::Heal,
            Action::Network { .. } => FaultKind::Network,
            Action::Link { from, to, both, .. } => FaultKind::Link {
                from: from.0,
                to: to.0,
                both: *both,
            },
            Action::DropMessage { id } => FaultKind::DropMessage { id: *id },
            Action::DelayMessage { id, .. } => FaultKind::DelayMessage { id: *id },
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
    /// The kernel found nothing to do (e.g. crashing a node that is down).
    pub no_op: bool,
    /// Done by a person rather than the script.
    pub user: bool,
    /// Message ids sent in this step.
    pub sent: Vec<u64>,
    pub violations: Vec<Violation>,
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

/// What a seed sweep found for one seed.
#[derive(Clone, Debug)]
pub struct SweepOutcome {
    pub seed: u64,
    pub steps: u64,
    pub violations: Vec<Violation>,
    /// A scenario file that reproduces the run.
    pub scenario: String,
}

/// Object-safe control of one loaded scenario.
pub trait Session {
    fn algorithm(&self) -> &'static str;
    fn title(&self) -> &str;
    fn description(&self) -> &str;
    fn seed(&self) -> u64;
    fn names(&self) -> &[String];
    fn pos(&self) -> u64;
    fn horizon(&self) -> u64;
    fn ended(&self) -> bool;
    /// Simulated time at the current step.
    fn time(&self) -> Time;
    /// Time of the next step, if there is one.
    fn next_time(&self) -> Option<Time>;
    /// The concrete [`Loaded`] behind the facade, for algorithm-specific views.
    fn as_any(&self) -> &dyn std::any::Any;
    fn step_forward(&mut self) -> bool;
    fn step_back(&mut self);
    fn seek(&mut self, step: u64) -> u64;
    /// The scenario's `run.steps`.
    fn run_bound(&self) -> u64;
    /// Run from here as the scenario's `run` section says (or the given bounds).
    fn run(&mut self, steps: Option<u64>, until: Option<Time>) -> Summary;
    fn properties(&self) -> Vec<Property>;
    /// Violations up to the horizon.
    fn violations(&self) -> Vec<Violation>;
    fn step_view(&self, step: u64) -> Option<StepView>;
    /// The node that acted in a step (`Some(None)`: no node; `None`: no such step). Cheap.
    fn step_node(&self, step: u64) -> Option<Option<u32>>;
    /// Steps worth marking on the scrubber, up to the horizon (cheap: no narration).
    fn marks(&self) -> Vec<Mark>;
    /// The scenario as loaded, without what people did since.
    fn original_json(&self) -> String;
    fn messages(&self) -> Vec<MsgView>;
    /// Messages travelling at the current step, with their fate as known at this step:
    /// those in flight, and those lost when sent until the time they would have arrived
    /// (drawn vanishing on the way).
    fn in_flight(&self) -> Vec<MsgView>;
    fn status(&self, node: u32) -> Option<NodeStatus>;
    /// The network's settings and cuts at the current step.
    fn network(&self) -> NetView;
    /// Node pairs that cannot reach each other now (each pair once, lower id first).
    fn cut_links(&self) -> Vec<(u32, u32)>;
    /// The node that acted in the step just taken, if any.
    fn last_actor(&self) -> Option<u32>;
    /// A node's state as JSON (node ids as names), for the inspector.
    fn node_state(&self, node: u32) -> Option<serde_json::Value>;
    /// A node's state before the step just taken (for showing what it changed).
    fn node_state_before(&self, node: u32) -> Option<serde_json::Value>;
    /// Do an action (JSON, node names accepted) at the current step. Returns whether
    /// computed steps were dropped (a fork).
    fn apply_json(&mut self, action: &str) -> Result<bool, ScenarioError>;
    /// The actions people did, as JSON.
    fn user_actions_json(&self) -> String;
    /// Replace the actions people did (from a shared link).
    fn set_user_actions_json(&mut self, json: &str) -> Result<(), ScenarioError>;
    /// A scenario file reproducing this session: the scenario plus what people did.
    fn scenario_json(&self) -> String;
    fn summary(&self) -> Summary;
    /// The trace in the documented format (`docs/trace-format.md`).
    fn trace_json(&self) -> String;
    /// Hash of the trace's steps and messages (see [`crate::hash`]).
    fn trace_hash(&self) -> u64;
}

/// A scenario with its timeline.
#[derive(Clone, Debug)]
pub struct Loaded<P: Protocol> {
    pub scenario: Scenario<P>,
    pub timeline: Timeline<P>,
    names: Vec<String>,
}

impl<P: Protocol> Loaded<P> {
    pub fn parse(json: &str) -> Result<Self, ScenarioError> {
        Self::new(Scenario::parse(json)?)
    }

    pub fn new(scenario: Scenario<P>) -> Result<Self, ScenarioError> {
        let timeline = scenario.timeline()?;
        let names = timeline.sim().names().to_vec();
        Ok(Loaded {
            scenario,
            timeline,
            names,
        })
    }

    /// A node's state as JSON with node names. Through the compact writer and the value
    /// parser the crate uses anyway: a `to_value` serializer would add code to the bundle
    /// for every state type.
    fn node_json(&self, sim: &crate::sim::Sim<P>, node: u32) -> Option<serde_json::Value> {
        if node >= sim.node_count() {
            return None;
        }
        with_names(&self.names, || {
            serde_json::to_string(sim.node(NodeId(node)))
                .ok()
                .and_then(|s| serde_json::from_str(&s).ok())
        })
    }

    fn msg_view(&self, m: &MsgRecord<P>) -> MsgView {
        MsgView {
            id: m.id,
            from: m.from.0,
            to: m.to.0,
            label: m.label,
            text: self
                .timeline
                .sim()
                .proto()
                .describe_msg(&m.body, &self.names),
            sent_step: m.sent_step,
            sent_at: m.sent_at,
            deliver_at: m.deliver_at,
            fate: m.fate,
            resolved_step: m.resolved_step,
            duplicate: m.duplicate_of.is_some(),
        }
    }

    fn trace_doc(&self) -> TraceDoc<'_, P> {
        let tl = &self.timeline;
        let sim = tl.sim();
        let trace = tl.trace();
        let proto = sim.proto();
        TraceDoc {
            format: "dsplay-trace",
            version: TRACE_VERSION,
            algorithm: P::NAME,
            title: &self.scenario.title,
            seed: self.scenario.seed,
            params: &self.scenario.params,
            nodes: &self.names,
            properties: proto.properties(),
            steps: trace
                .steps
                .iter()
                .map(|s| StepDoc {
                    narration: trace.narrate(proto, &self.names, s),
                    record: s,
                })
                .collect(),
            messages: &trace.messages,
            violations: trace.violations().collect(),
            final_step: tl.pos(),
            final_time: sim.time(),
            final_states: sim
                .node_ids()
                .map(|n| NodeDoc {
                    node: n,
                    status: sim.status(n),
                    state: sim.node(n),
                })
                .collect(),
        }
    }
}

/// Indent compact JSON for people (scenario files, traces written by the CLI), keeping the
/// order of the fields. Input that is not JSON comes back unchanged.
pub fn pretty_json(json: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(json).is_err() {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    let mut chars = json.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty object or array stays on one line.
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.push(chars.next().unwrap_or(' '));
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// Version of the trace format (`docs/trace-format.md`).
pub const TRACE_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(bound = "")]
struct StepDoc<'a, P: Protocol> {
    #[serde(flatten)]
    record: &'a StepRecord<P>,
    narration: Vec<String>,
}

#[derive(Serialize)]
#[serde(bound = "")]
struct NodeDoc<'a, P: Protocol> {
    node: NodeId,
    #[serde(flatten)]
    status: NodeStatus,
    state: &'a P::Node,
}

#[derive(Serialize)]
#[serde(bound = "")]
struct TraceDoc<'a, P: Protocol> {
    format: &'static str,
    version: u32,
    algorithm: &'static str,
    title: &'a str,
    seed: u64,
    params: &'a P::Params,
    nodes: &'a [String],
    properties: Vec<Property>,
    steps: Vec<StepDoc<'a, P>>,
    messages: &'a [MsgRecord<P>],
    violations: Vec<&'a Violation>,
    final_step: u64,
    final_time: Time,
    final_states: Vec<NodeDoc<'a, P>>,
}

impl<P: Protocol> Session for Loaded<P> {
    fn algorithm(&self) -> &'static str {
        P::NAME
    }

    fn title(&self) -> &str {
        &self.scenario.title
    }

    fn description(&self) -> &str {
        &self.scenario.description
    }

    fn seed(&self) -> u64 {
        self.scenario.seed
    }

    fn names(&self) -> &[String] {
        &self.names
    }

    fn pos(&self) -> u64 {
        self.timeline.pos()
    }

    fn horizon(&self) -> u64 {
        self.timeline.horizon()
    }

    fn ended(&self) -> bool {
        self.timeline.ended()
    }

    fn time(&self) -> Time {
        self.timeline.sim().time()
    }

    fn next_time(&self) -> Option<Time> {
        let tl = &self.timeline;
        match tl.trace().steps.get(tl.pos() as usize) {
            Some(s) => Some(s.time),
            None if tl.ended() => None,
            // Actions due now run before anything in the queue.
            None if tl.actions().iter().any(|a| a.step == tl.pos()) => Some(tl.sim().time()),
            None => tl.sim().next_time(),
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn step_forward(&mut self) -> bool {
        self.timeline.step_forward()
    }

    fn step_back(&mut self) {
        self.timeline.step_back()
    }

    fn seek(&mut self, step: u64) -> u64 {
        self.timeline.seek(step)
    }

    fn run_bound(&self) -> u64 {
        self.scenario.run.steps
    }

    fn run(&mut self, steps: Option<u64>, until: Option<Time>) -> Summary {
        let steps = steps.unwrap_or(self.scenario.run.steps);
        let until = until.or(self.scenario.run.until);
        let stop = self.timeline.pos().saturating_add(steps);
        while self.timeline.pos() < stop {
            if let (Some(limit), Some(next)) = (until, self.timeline.sim().next_time()) {
                if next > limit {
                    break;
                }
            }
            if !self.timeline.step_forward() {
                break;
            }
        }
        self.summary()
    }

    fn properties(&self) -> Vec<Property> {
        self.timeline.sim().proto().properties()
    }

    fn violations(&self) -> Vec<Violation> {
        self.timeline.violations().cloned().collect()
    }

    fn step_view(&self, step: u64) -> Option<StepView> {
        let trace = self.timeline.trace();
        let s = trace.steps.get(step as usize)?;
        let (fault_kind, user) = match &s.kind {
            StepKind::Action { action, user } => (FaultKind::of(action), *user),
            _ => (None, false),
        };
        Some(StepView {
            index: s.index,
            time: s.time,
            node: s.node.map(|n| n.0),
            narration: trace.narrate(self.timeline.sim().proto(), &self.names, s),
            fault: fault_kind.is_some(),
            fault_kind,
            no_op: s.kernel.is_some(),
            user,
            sent: s.sent.clone(),
            violations: s.violations.clone(),
        })
    }

    fn step_node(&self, step: u64) -> Option<Option<u32>> {
        let s = self.timeline.trace().steps.get(step as usize)?;
        Some(s.node.map(|n| n.0))
    }

    fn marks(&self) -> Vec<Mark> {
        let mut out = Vec::new();
        for s in &self.timeline.trace().steps {
            if let StepKind::Action { action, user } = &s.kind {
                if *user {
                    out.push(Mark {
                        step: s.index,
                        kind: MarkKind::User,
                    });
                } else if action.is_fault() {
                    out.push(Mark {
                        step: s.index,
                        kind: MarkKind::Fault,
                    });
                }
            }
            if !s.violations.is_empty() {
                out.push(Mark {
                    step: s.index,
                    kind: MarkKind::Violation,
                });
            }
        }
        out
    }

    fn original_json(&self) -> String {
        self.scenario.to_json()
    }

    fn messages(&self) -> Vec<MsgView> {
        self.timeline
            .trace()
            .messages
            .iter()
            .map(|m| self.msg_view(m))
            .collect()
    }

    fn in_flight(&self) -> Vec<MsgView> {
        let pos = self.timeline.pos();
        let now = self.timeline.sim().time();
        let msgs = &self.timeline.trace().messages;
        // Messages are in send order: only the recent ones can still be travelling.
        let end = msgs.partition_point(|m| m.sent_step < pos);
        msgs[..end]
            .iter()
            .filter(|m| {
                m.in_flight_at(pos) || (m.resolved_step == Some(m.sent_step) && m.deliver_at > now)
            })
            .map(|m| {
                let mut v = self.msg_view(m);
                if m.in_flight_at(pos) {
                    v.fate = Fate::InFlight;
                    v.resolved_step = None;
                }
                v
            })
            .collect()
    }

    fn status(&self, node: u32) -> Option<NodeStatus> {
        let sim = self.timeline.sim();
        (node < sim.node_count()).then(|| sim.status(NodeId(node)))
    }

    fn network(&self) -> NetView {
        let net = self.timeline.sim().net();
        NetView {
            default: net.default.clone(),
            links: net
                .overrides()
                .map(|(a, b, p)| (a.0, b.0, p.clone()))
                .collect(),
            blocked: net.blocked().map(|(a, b)| (a.0, b.0)).collect(),
        }
    }

    fn cut_links(&self) -> Vec<(u32, u32)> {
        let net = self.timeline.sim().net();
        net.blocked()
            .filter(|(a, b)| a < b || !net.is_blocked(*b, *a))
            .map(|(a, b)| (a.0.min(b.0), a.0.max(b.0)))
            .collect()
    }

    fn last_actor(&self) -> Option<u32> {
        let pos = self.timeline.pos();
        let step = pos.checked_sub(1)?;
        self.timeline
            .trace()
            .steps
            .get(step as usize)?
            .node
            .map(|n| n.0)
    }

    fn node_state_before(&self, node: u32) -> Option<serde_json::Value> {
        let pos = self.timeline.pos().checked_sub(1)?;
        self.node_json(&self.timeline.sim_at(pos), node)
    }

    fn node_state(&self, node: u32) -> Option<serde_json::Value> {
        self.node_json(self.timeline.sim(), node)
    }

    fn apply_json(&mut self, action: &str) -> Result<bool, ScenarioError> {
        let value: serde_json::Value = serde_json::from_str(action)
            .map_err(|e| ScenarioError::new("action", format!("not valid JSON: {e}")))?;
        let action: Action<P::Cmd> =
            with_names(&self.names, || serde_path_to_error::deserialize(&value)).map_err(|e| {
                let path = e.path().to_string();
                ScenarioError::new(
                    if path == "." {
                        "action".into()
                    } else {
                        format!("action.{path}")
                    },
                    e.into_inner().to_string(),
                )
            })?;
        action
            .validate("action")
            .map_err(|m| ScenarioError::new("", m))?;
        Ok(self.timeline.apply(action))
    }

    fn user_actions_json(&self) -> String {
        let v: Vec<&TimedAction<P::Cmd>> = self.timeline.user_actions().collect();
        with_names(&self.names, || {
            serde_json::to_string(&v).expect("actions serialize")
        })
    }

    fn set_user_actions_json(&mut self, json: &str) -> Result<(), ScenarioError> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| ScenarioError::new("actions", format!("not valid JSON: {e}")))?;
        let actions: Vec<TimedAction<P::Cmd>> =
            with_names(&self.names, || serde_path_to_error::deserialize(&value)).map_err(|e| {
                ScenarioError::new(format!("actions{}", e.path()), e.into_inner().to_string())
            })?;
        for (i, a) in actions.iter().enumerate() {
            if a.scripted {
                return Err(ScenarioError::new(
                    format!("actions[{i}].scripted"),
                    "shared actions cannot be marked scripted",
                ));
            }
            a.action
                .validate(&format!("actions[{i}].action"))
                .map_err(|m| ScenarioError::new("", m))?;
        }
        let mut all: Vec<TimedAction<P::Cmd>> = self
            .timeline
            .actions()
            .iter()
            .filter(|a| a.scripted)
            .cloned()
            .collect();
        all.extend(actions);
        self.timeline.set_actions(all);
        Ok(())
    }

    fn scenario_json(&self) -> String {
        let mut sc = self.scenario.clone();
        sc.actions
            .extend(self.timeline.user_actions().map(|a| ScriptedAction {
                at: None,
                at_step: Some(a.step),
                action: a.action.clone(),
            }));
        sc.to_json()
    }

    fn summary(&self) -> Summary {
        let tl = &self.timeline;
        let pos = tl.pos();
        let mut s = Summary {
            steps: pos,
            time: tl.sim().time(),
            ended: tl.ended() && pos == tl.horizon(),
            ..Summary::default()
        };
        for m in &tl.trace().messages {
            if m.sent_step >= pos {
                break;
            }
            s.messages += 1;
            match (m.fate, m.resolved_step) {
                (_, Some(r)) if r >= pos => s.in_flight += 1,
                (Fate::Delivered, _) => s.delivered += 1,
                (Fate::Dropped { .. }, _) => s.dropped += 1,
                (Fate::InFlight, _) => s.in_flight += 1,
            }
        }
        s.violations = tl.violations().filter(|v| v.step < pos).count() as u64;
        s
    }

    fn trace_json(&self) -> String {
        let doc = self.trace_doc();
        with_names(&self.names, || {
            serde_json::to_string(&doc).expect("traces serialize")
        })
    }

    fn trace_hash(&self) -> u64 {
        let trace = self.timeline.trace();
        with_names(&self.names, || hash_json(&(&trace.steps, &trace.messages)))
    }
}

/// Run one seed of a sweep: the algorithm's first built-in scenario with the seed, a random
/// workload and (per `mix`) a random fault schedule over `span` ms.
pub fn sweep_one(
    algorithm: &str,
    seed: u64,
    mix: FaultMix,
    span: Time,
    params: Option<&serde_json::Value>,
) -> Result<SweepOutcome, ScenarioError> {
    match algorithm {
        crate::algo::messaging::NAME => sweep_typed::<Messaging>(seed, mix, span, params),
        crate::algo::hashring::NAME => sweep_typed::<Hashring>(seed, mix, span, params),
        crate::algo::transactions::NAME => sweep_typed::<Transactions>(seed, mix, span, params),
        crate::algo::locks::NAME => sweep_typed::<Locks>(seed, mix, span, params),
        crate::algo::raft::NAME => sweep_typed::<Raft>(seed, mix, span, params),
        other => Err(unknown_algorithm(other)),
    }
}

fn sweep_typed<P: Protocol>(
    seed: u64,
    mix: FaultMix,
    span: Time,
    params: Option<&serde_json::Value>,
) -> Result<SweepOutcome, ScenarioError> {
    let mut value = serde_json::json!({
        "algorithm": P::NAME,
        "title": format!("{} sweep, seed {seed}", P::NAME),
        "seed": seed,
    });
    if let Some(p) = params {
        value["params"] = p.clone();
    }
    let mut sc = Scenario::<P>::from_value(value)?;
    let proto = sc.protocol()?;
    let faults = if mix == FaultMix::NONE { 0 } else { 4 };
    sc.actions = random_schedule(&proto, seed, span, 12, faults, mix);
    // Run well past the last fault so that retries can finish.
    sc.run.until = Some(span * 3);
    sc.run.steps = 20_000;
    let mut loaded = Loaded::new(sc)?;
    let summary = loaded.run(None, None);
    Ok(SweepOutcome {
        seed,
        steps: summary.steps,
        violations: loaded.violations(),
        scenario: loaded.scenario.to_json(),
    })
}
