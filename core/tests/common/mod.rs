//! What several test files share: a sweep of seeds, each its algorithm's default scenario
//! with a random workload and fault schedule, keeping the seeds that broke a property.

use dsplay_core::catalog::sweep;
use dsplay_core::faults::FaultMix;
use dsplay_core::session::SweepOutcome;
use dsplay_core::sim::Time;

/// The seeds of `seeds` whose run of `algorithm` (with `params` over the defaults, faults
/// of `mix` over `span` ms) broke a property, each with its violations in words
/// (`property: explanation`). `inspect` sees every run, broken or not, for checks of its
/// own (a well-formed history, say).
pub fn broken_seeds(
    algorithm: &str,
    seeds: std::ops::Range<u64>,
    mix: FaultMix,
    span: Time,
    params: &serde_json::Value,
    mut inspect: impl FnMut(&SweepOutcome),
) -> Vec<(u64, Vec<String>)> {
    seeds
        .filter_map(|seed| {
            let out = sweep(algorithm, seed, mix, span, Some(params))
                .unwrap_or_else(|e| panic!("{algorithm} seed {seed}: {e}"));
            inspect(&out);
            (!out.violations.is_empty()).then(|| {
                (
                    seed,
                    out.violations
                        .iter()
                        .map(|v| format!("{}: {}", v.property, v.explanation))
                        .collect(),
                )
            })
        })
        .collect()
}
