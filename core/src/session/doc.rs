//! The trace document (`docs/trace-format.md`): what `dsplay run --trace` and the page's
//! "Export trace" write.

use super::Loaded;
use crate::invariant::{Property, Violation};
use crate::protocol::Protocol;
use crate::scenario::Scenario;
use crate::sim::{NodeId, NodeStatus, Time};
use crate::trace::{MsgRecord, StepRecord};
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
    messages: Vec<MsgRecord<P>>,
    violations: Vec<&'a Violation>,
    final_step: u64,
    final_time: Time,
    final_states: Vec<NodeDoc<'a, P>>,
}

impl<P: Protocol> Loaded<P> {
    /// The trace document of the run up to the current step: a page may have computed
    /// steps past the one shown, and the trace stops at it, as the same scenario run to
    /// that step (`dsplay run --steps`) stops.
    pub(super) fn trace_doc(&self) -> TraceDoc<'_, P> {
        let tl = &self.timeline;
        let sim = tl.sim();
        let proto = sim.proto();
        let trace = tl.trace();
        let steps = &trace.steps[..(tl.pos() as usize).min(trace.steps.len())];
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
            steps: steps
                .iter()
                .map(|s| StepDoc {
                    narration: trace.narrate(proto, &self.names, s),
                    record: s,
                })
                .collect(),
            messages: trace.messages_at(tl.pos()),
            violations: steps.iter().flat_map(|s| &s.violations).collect(),
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
