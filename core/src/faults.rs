//! Random workloads and fault schedules for seed sweeps and property tests.

use crate::protocol::Protocol;
use crate::scenario::ScriptedAction;
use crate::sim::{Action, LinkParams, NodeId, Time};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a random schedule may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultMix {
    pub crashes: bool,
    pub pauses: bool,
    pub partitions: bool,
    pub loss: bool,
    /// Slow network: for a while every new message takes 3 to 10 times the default
    /// latency. Not part of `ALL` (named on its own: `delays`), so the schedules of the
    /// other kinds stay as they were.
    pub delays: bool,
}

impl FaultMix {
    pub const NONE: FaultMix = FaultMix {
        crashes: false,
        pauses: false,
        partitions: false,
        loss: false,
        delays: false,
    };
    /// What `random` means: crashes, pauses, partitions and loss.
    pub const ALL: FaultMix = FaultMix {
        crashes: true,
        pauses: true,
        partitions: true,
        loss: true,
        delays: false,
    };
}

impl FaultMix {
    /// The kinds a mix is written with, in order.
    pub const KINDS: [&'static str; 5] = ["crashes", "pauses", "partitions", "loss", "delays"];

    fn flags(&self) -> [bool; 5] {
        [
            self.crashes,
            self.pauses,
            self.partitions,
            self.loss,
            self.delays,
        ]
    }

    /// Reads `random` (or `all`), `none`, or a comma-separated list of kinds such as
    /// `partitions` or `crashes,loss`.
    pub fn parse(text: &str) -> Result<FaultMix, String> {
        match text.trim() {
            "random" | "all" => return Ok(FaultMix::ALL),
            "none" => return Ok(FaultMix::NONE),
            _ => {}
        }
        let mut mix = FaultMix::NONE;
        for word in text.split(',').map(str::trim) {
            match word {
                "crashes" | "crash" => mix.crashes = true,
                "pauses" | "pause" => mix.pauses = true,
                "partitions" | "partition" => mix.partitions = true,
                "loss" => mix.loss = true,
                "delays" | "delay" => mix.delays = true,
                _ => {
                    return Err(format!(
                        "`{word}` is not a kind of fault: expected `random`, `none` or a comma-separated list of {}",
                        FaultMix::KINDS.join(", ")
                    ))
                }
            }
        }
        Ok(mix)
    }
}

impl std::fmt::Display for FaultMix {
    /// `random` for every kind, `none` for none, else the list (`crashes,partitions`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            FaultMix::ALL => f.write_str("random"),
            FaultMix::NONE => f.write_str("none"),
            _ => {
                let on: Vec<&str> = FaultMix::KINDS
                    .iter()
                    .zip(self.flags())
                    .filter_map(|(k, on)| on.then_some(*k))
                    .collect();
                f.write_str(&on.join(","))
            }
        }
    }
}

/// A random script: client commands spread over `[0, span)` ms and, per `mix`, faults that
/// are each undone later (restart after crash, resume after pause, heal after partition).
/// Everything is healed by `span`, so liveness can be checked after it. Draws only `u32`
/// and `u64` values, so the schedule is the same on every target.
pub fn random_schedule<P: Protocol>(
    proto: &P,
    seed: u64,
    span: Time,
    commands: u32,
    faults: u32,
    mix: FaultMix,
) -> Vec<ScriptedAction<P::Cmd>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_fa17);
    let n = proto.node_names().len() as u32;
    let span = span.max(10);
    let mut out: Vec<ScriptedAction<P::Cmd>> = Vec::new();
    let at = |t: Time, action| ScriptedAction {
        at: Some(t),
        at_step: None,
        action,
    };
    for _ in 0..commands {
        if let Some((node, cmd)) = proto.random_cmd(&mut rng) {
            let t = rng.random_range(0..span);
            out.push(at(t, Action::Command { node, cmd }));
        }
    }
    let mut kinds = Vec::new();
    if mix.crashes {
        kinds.push(0u32);
    }
    if mix.pauses {
        kinds.push(1);
    }
    if mix.partitions {
        kinds.push(2);
    }
    if mix.loss {
        kinds.push(3);
    }
    if mix.delays {
        kinds.push(4);
    }
    if kinds.is_empty() || n == 0 {
        return sorted(out);
    }
    for _ in 0..faults {
        let kind = kinds[rng.random_range(0..kinds.len() as u32) as usize];
        let start = rng.random_range(0..span * 3 / 4);
        let end = rng.random_range(start + 1..=span);
        let node = NodeId(rng.random_range(0..n));
        match kind {
            0 => {
                out.push(at(start, Action::Crash { node }));
                out.push(at(end, Action::Restart { node }));
            }
            1 => {
                out.push(at(start, Action::Pause { node }));
                out.push(at(end, Action::Resume { node }));
            }
            2 => {
                let mut a = Vec::new();
                let mut b = Vec::new();
                for i in 0..n {
                    if rng.random_bool(0.5) {
                        a.push(NodeId(i));
                    } else {
                        b.push(NodeId(i));
                    }
                }
                out.push(at(start, Action::Partition { groups: vec![a, b] }));
                out.push(at(end, Action::Heal));
            }
            4 => {
                // Every message sent meanwhile is slow; then back to the default latency
                // (sweep scenarios use the default network, as the loss windows assume).
                let [lo, hi] = LinkParams::default().latency;
                let k = Time::from(rng.random_range(3..=10u32));
                out.push(at(
                    start,
                    Action::Network {
                        latency: Some([lo * k, hi * k]),
                        loss: None,
                        duplicate: None,
                    },
                ));
                out.push(at(
                    end,
                    Action::Network {
                        latency: Some([lo, hi]),
                        loss: None,
                        duplicate: None,
                    },
                ));
            }
            _ => {
                let loss = f64::from(rng.random_range(1..=5u32)) / 10.0;
                out.push(at(
                    start,
                    Action::Network {
                        latency: None,
                        loss: Some(loss),
                        duplicate: Some(0.1),
                    },
                ));
                out.push(at(
                    end,
                    Action::Network {
                        latency: None,
                        loss: Some(0.0),
                        duplicate: Some(0.0),
                    },
                ));
            }
        }
    }
    sorted(out)
}

fn sorted<C>(mut v: Vec<ScriptedAction<C>>) -> Vec<ScriptedAction<C>> {
    v.sort_by_key(|a| a.at);
    v
}
