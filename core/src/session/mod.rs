//! [`Session`]: an object-safe facade over a loaded scenario and its [`Timeline`], so the
//! CLI and generic front-end parts drive any algorithm alike; [`Runner`], the same with what
//! only the CLI and the tests do (run to the end, hash the trace, downcast); [`Loaded`], the
//! typed session behind both. This module names no algorithm: [`crate::catalog`] does.

mod doc;
mod sweep;
mod view;

pub use doc::TRACE_VERSION;
pub use sweep::{sweep, SweepOutcome};
pub use view::{FaultKind, Mark, MarkKind, MsgView, NetView, StepView, Summary};

use crate::hash::hash_json;
use crate::invariant::{Property, Violation};
use crate::json::from_value;
use crate::names::with_names;
use crate::protocol::Protocol;
use crate::scenario::{Fitted, Scenario, ScenarioError, ScriptedAction, MAX_STEPS};
use crate::sim::{Action, NodeId, NodeStatus, Time};
use crate::timeline::{TimedAction, Timeline};
use crate::trace::{Fate, MsgRecord, StepKind};

/// Object-safe control of one loaded scenario: what the pages read and do through it.
///
/// Every method here is in every page (its vtable keeps them all): what the pages never
/// call through the facade is in [`Runner`] or on [`Loaded`].
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
    fn step_forward(&mut self) -> bool;
    fn step_back(&mut self);
    fn seek(&mut self, step: u64) -> u64;
    /// The scenario's `run.steps`.
    fn run_bound(&self) -> u64;
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
    /// A node's clock now: its rate (1 for a good clock) and how far it reads from the
    /// real time (ms, negative when behind).
    fn clock(&self, node: u32) -> Option<(f64, i64)>;
    /// The node that acted in the step just taken, if any.
    fn last_actor(&self) -> Option<u32>;
    /// A node's state as JSON (node ids as names), for the inspector.
    fn node_state(&self, node: u32) -> Option<serde_json::Value>;
    /// A node's state before the step just taken (for showing what it changed).
    fn node_state_before(&self, node: u32) -> Option<serde_json::Value>;
    /// The actions people did, as JSON.
    fn user_actions_json(&self) -> String;
    /// Whether people did anything (what Reset would undo).
    fn has_user_actions(&self) -> bool;
    /// Replace the actions people did (from a shared link).
    fn set_user_actions_json(&mut self, json: &str) -> Result<(), ScenarioError>;
    /// A scenario file reproducing this session: the scenario plus what people did.
    fn scenario_json(&self) -> String;
    /// The trace in the documented format (`docs/trace-format.md`).
    fn trace_json(&self) -> String;
}

/// A [`Session`] driven without a page, by the CLI and the tests ([`crate::catalog::load`]
/// gives one): the same, plus what the pages never do through the facade.
pub trait Runner: Session {
    /// The concrete [`Loaded`] behind the facade, for algorithm-specific checks.
    fn as_any(&self) -> &dyn std::any::Any;
    /// Run from here as the scenario's `run` section says (or the given bounds).
    fn run(&mut self, steps: Option<u64>, until: Option<Time>) -> Summary;
    /// Do an action (JSON, node names accepted) at the current step. Returns whether
    /// computed steps were dropped (a fork).
    fn apply_json(&mut self, action: &str) -> Result<bool, ScenarioError>;
    fn summary(&self) -> Summary;
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

    /// Do an action at the current step, refusing values out of range (as a scenario
    /// file's would be). Returns whether computed steps were dropped (a fork).
    pub fn apply(&mut self, action: Action<P::Cmd>) -> Result<bool, ScenarioError> {
        action
            .validate("action")
            .map_err(|m| ScenarioError::new("", m))?;
        let count = self.names.len();
        if let Some(n) = action.nodes().into_iter().find(|n| n.index() >= count) {
            return Err(ScenarioError::new(
                "action",
                format!("node index {} out of range (there are {count} nodes)", n.0),
            ));
        }
        Ok(self.timeline.apply(action))
    }

    /// This scenario again from its start, with other parameters and/or another seed (what
    /// people did is dropped). The script is fitted to the nodes the new parameters have
    /// (see [`Scenario::with_params`]); parameters the protocol refuses are refused with
    /// the field named.
    pub fn restart(
        &self,
        params: Option<P::Params>,
        seed: Option<u64>,
    ) -> Result<(Self, Fitted), ScenarioError> {
        let (mut sc, fitted) = match params {
            Some(p) => self.scenario.with_params(p)?,
            None => (self.scenario.clone(), Fitted::default()),
        };
        if let Some(seed) = seed {
            sc.seed = seed;
        }
        Ok((Loaded::new(sc)?, fitted))
    }

    /// This run with other parameters, keeping what people did: the same script and the
    /// same actions at the same steps, each fitted to the nodes the new parameters have by
    /// name (an action naming a node that is gone is left out, and said), at the step shown
    /// now (or the last one the new run reaches). For "the same run, with fencing".
    pub fn refit(&self, params: P::Params) -> Result<(Self, Fitted), ScenarioError> {
        let (sc, mut fitted) = self.scenario.with_params(params.clone())?;
        // What people did goes through the same fitting as a script would.
        let mut theirs = self.scenario.clone();
        theirs.actions = self
            .timeline
            .user_actions()
            .map(|a| ScriptedAction {
                at: None,
                at_step: Some(a.step),
                action: a.action.clone(),
            })
            .collect();
        let (theirs, f) = theirs.with_params(params)?;
        // (The network's link settings were fitted with the script.)
        fitted.add(Fitted {
            yours: f.left_out,
            left_out: 0,
            links: 0,
            ..f
        });
        let mut l = Loaded::new(sc)?;
        let mut all: Vec<TimedAction<P::Cmd>> = l.timeline.actions().to_vec();
        all.extend(theirs.actions.into_iter().map(|a| TimedAction {
            step: a.at_step.unwrap_or(0),
            action: a.action,
            scripted: false,
        }));
        l.timeline.set_actions(all);
        l.timeline.seek(self.timeline.pos());
        Ok((l, fitted))
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

    /// The scenario file that reproduces this session: the scenario, and what people did
    /// as `at_step` actions after its script.
    pub fn reproducing(&self) -> Scenario<P> {
        let mut sc = self.scenario.clone();
        sc.actions
            .extend(self.timeline.user_actions().map(|a| ScriptedAction {
                at: None,
                at_step: Some(a.step),
                action: a.action.clone(),
            }));
        sc
    }

    /// Run from here as the scenario's `run` section says (or the given bounds).
    pub fn run_to(&mut self, steps: Option<u64>, until: Option<Time>) {
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
    }

    /// [`Loaded::run_to`], then what the run did.
    pub fn run(&mut self, steps: Option<u64>, until: Option<Time>) -> Summary {
        self.run_to(steps, until);
        self.summary()
    }

    /// Do an action (JSON, node names accepted) at the current step. Returns whether
    /// computed steps were dropped (a fork).
    pub fn apply_json(&mut self, action: &str) -> Result<bool, ScenarioError> {
        let value: serde_json::Value = serde_json::from_str(action)
            .map_err(|e| ScenarioError::new("action", format!("not valid JSON: {e}")))?;
        let action: Action<P::Cmd> =
            with_names(&self.names, || from_value(&value)).map_err(|(path, message)| {
                ScenarioError::new(
                    if path == "." {
                        "action".into()
                    } else {
                        format!("action.{path}")
                    },
                    message,
                )
            })?;
        self.apply(action)
    }

    /// What the run did up to the current step.
    pub fn summary(&self) -> Summary {
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

    /// Hash of the trace's steps and messages (see [`crate::hash`]).
    pub fn trace_hash(&self) -> u64 {
        let trace = self.timeline.trace();
        with_names(&self.names, || hash_json(&(&trace.steps, &trace.messages)))
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

    fn properties(&self) -> Vec<Property> {
        self.timeline.sim().proto().properties()
    }

    fn violations(&self) -> Vec<Violation> {
        self.timeline.violations().cloned().collect()
    }

    fn step_view(&self, step: u64) -> Option<StepView> {
        let trace = self.timeline.trace();
        let s = trace.steps.get(step as usize)?;
        let (fault_kind, user, window) = match &s.kind {
            StepKind::Action { action, user } => {
                let window = match action {
                    Action::Open { window, .. } | Action::End { window } => Some(*window),
                    _ => None,
                };
                (FaultKind::of(action), *user, window)
            }
            _ => (None, false, None),
        };
        Some(StepView {
            index: s.index,
            time: s.time,
            node: s.node.map(|n| n.0),
            narration: trace.narrate(self.timeline.sim().proto(), &self.names, s),
            fault: fault_kind.is_some(),
            fault_kind,
            window,
            no_op: s.kernel.is_some(),
            user,
            sent: s.sent.clone(),
            violations: s.violations.clone(),
            status: s
                .status
                .iter()
                .map(|c| (c.node.0, c.was, c.status))
                .collect(),
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
            default: net.defaults(),
            links: net
                .overrides()
                .into_iter()
                .map(|(a, b, p)| (a.0, b.0, p))
                .collect(),
            blocked: net.blocked().into_iter().map(|(a, b)| (a.0, b.0)).collect(),
        }
    }

    fn clock(&self, node: u32) -> Option<(f64, i64)> {
        let sim = self.timeline.sim();
        (node < sim.node_count()).then(|| {
            let n = NodeId(node);
            let off = sim.clock_reading(n) as i64 - sim.time() as i64;
            (sim.clock_rate(n), off)
        })
    }

    fn cut_links(&self) -> Vec<(u32, u32)> {
        let net = self.timeline.sim().net();
        net.blocked()
            .into_iter()
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

    fn has_user_actions(&self) -> bool {
        self.timeline.user_actions().next().is_some()
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
        let actions: Vec<TimedAction<P::Cmd>> = with_names(&self.names, || from_value(&value))
            .map_err(|(path, message)| ScenarioError::new(format!("actions{path}"), message))?;
        for (i, a) in actions.iter().enumerate() {
            if a.scripted {
                return Err(ScenarioError::new(
                    format!("actions[{i}].scripted"),
                    "shared actions cannot be marked scripted",
                ));
            }
            // As a scenario's `at_step`: what is shared can be saved as a scenario file.
            if a.step > MAX_STEPS {
                return Err(ScenarioError::new(
                    format!("actions[{i}].step"),
                    format!("must be at most {MAX_STEPS} (got {})", a.step),
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
        self.reproducing().to_json()
    }

    fn trace_json(&self) -> String {
        let doc = self.trace_doc();
        with_names(&self.names, || {
            serde_json::to_string(&doc).expect("traces serialize")
        })
    }
}

impl<P: Protocol> Runner for Loaded<P> {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn run(&mut self, steps: Option<u64>, until: Option<Time>) -> Summary {
        Loaded::run(self, steps, until)
    }

    fn apply_json(&mut self, action: &str) -> Result<bool, ScenarioError> {
        Loaded::apply_json(self, action)
    }

    fn summary(&self) -> Summary {
        Loaded::summary(self)
    }

    fn trace_hash(&self) -> u64 {
        Loaded::trace_hash(self)
    }
}
