//! Seed sweeps: one run of an algorithm with a random workload and fault schedule.

use super::{Loaded, Session};
use crate::faults::{random_schedule, FaultMix};
use crate::invariant::Violation;
use crate::protocol::Protocol;
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::Time;

/// Most faults in one seed's schedule (the number is drawn from 1 to this).
pub const MAX_FAULTS: u32 = 8;

/// What a seed sweep found for one seed.
#[derive(Clone, Debug)]
pub struct SweepOutcome {
    pub seed: u64,
    pub steps: u64,
    /// The simulated time (ms) at the end of the run.
    pub time: Time,
    pub violations: Vec<Violation>,
    /// A scenario file that reproduces the run.
    pub scenario: String,
}

/// Run one seed of a sweep of `P`: its default scenario with the seed, a random workload
/// and (per `mix`) a random fault schedule of 1 to [`MAX_FAULTS`] faults over `span` ms; `params` replaces its parameters.
pub fn sweep<P: Protocol>(
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
    let faults = if mix == FaultMix::NONE { 0 } else { MAX_FAULTS };
    sc.actions = random_schedule(&proto, seed, span, 12, faults, mix);
    // Run well past the last fault so that retries can finish.
    sc.run.until = Some(span * 3);
    sc.run.steps = 20_000;
    let mut loaded = Loaded::new(sc)?;
    loaded.run_to(None, None);
    let timeline = &loaded.timeline;
    Ok(SweepOutcome {
        seed,
        steps: timeline.pos(),
        time: timeline.sim().time(),
        violations: loaded.violations(),
        scenario: loaded.scenario.to_json(),
    })
}
