//! The trace document (`docs/trace-format.md`): what `dsplay run --trace` and the page's
//! "Export trace" write.

use super::Loaded;
use crate::invariant::{Property, Violation};
use crate::protocol::Protocol;
use crate::scenario::Scenario;
use crate::sim::{NodeId, NodeStatus, Time};
use crate::trace::{MsgRecord, StepRecord, Trace};
use serde::Serialize;

/// Version of the trace format (`docs/trace-format.md`).
pub const TRACE_VERSION: u32 = 2;

#[derive(Serialize)]
#[serde(bound = "")]
pub(super) struct StepDoc<'a, P: Protocol> {
    #[serde(flatten)]
    record: &'a StepRecord<P>,
    narration: Vec<String>,
}

#[derive(Serialize)]
#[serde(bound = "")]
pub(super) struct NodeDoc<'a, P: Protocol> {
    node: NodeId,
    #[serde(flatten)]
    status: NodeStatus,
    state: &'a P::Node,
}

#[derive(Serialize)]
#[serde(bound = "")]
pub(super) struct TraceDoc<'a, P: Protocol> {
    format: &'static str,
    version: u32,
    algorithm: &'static str,
    title: &'a str,
    seed: u64,
    params: &'a P::Params,
    nodes: &'a [String],
    properties: Vec<Property>,
    scenario: Scenario<P>,
    steps: Vec<StepDoc<'a, P>>,
    messages: &'a [MsgRecord<P>],
    violations: Vec<&'a Violation>,
    final_step: u64,
    final_time: Time,
    final_states: Vec<NodeDoc<'a, P>>,
}

impl<P: Protocol> Loaded<P> {
    /// The trace document of the run up to the current step, `trace` being the timeline's
    /// trace cut there (steps computed ahead are not part of what is shown).
    pub(super) fn trace_doc<'a>(&'a self, trace: &'a Trace<P>) -> TraceDoc<'a, P> {
        let tl = &self.timeline;
        let sim = tl.sim();
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
            scenario: self.reproducing(),
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
