//! Random workloads and fault schedules for seed sweeps and property tests.

use crate::protocol::Protocol;
use crate::scenario::ScriptedAction;
use crate::sim::{chance, Action, LinkParams, NodeId, Time};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What a random schedule may contain. Each fault but a crash-stop and a clock's jump is
/// a window: opened at a random time, ended later, undoing only what it did (see
/// [`Action::Open`]), so overlapping faults compose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultMix {
    /// A node crashes, and restarts when the window ends.
    pub crashes: bool,
    /// A node crashes for good (crash-stop): it never restarts.
    pub stops: bool,
    /// A node pauses (a long GC pause, a frozen VM), and resumes.
    pub pauses: bool,
    /// The nodes split into two groups that cannot reach each other.
    pub partitions: bool,
    /// One link is cut, in one direction or both.
    pub cuts: bool,
    /// Messages are lost (10% to 50%), on the whole network or on one link.
    pub loss: bool,
    /// A slow network: every new message takes 3 to 10 times the default latency.
    pub delays: bool,
    /// Messages overtake each other: the latency spreads from the default minimum to 4 to
    /// 20 times the default maximum, with no loss.
    pub reordering: bool,
    /// Messages are delivered twice (10% to 50%), with no loss.
    pub duplicates: bool,
    /// A node's clock runs fast or slow (0.25 to 4 times real time) for a while, or jumps
    /// ahead or back (up to two seconds) for good.
    pub clocks: bool,
}

impl FaultMix {
    pub const NONE: FaultMix = FaultMix {
        crashes: false,
        stops: false,
        pauses: false,
        partitions: false,
        cuts: false,
        loss: false,
        delays: false,
        reordering: false,
        duplicates: false,
        clocks: false,
    };
    /// What `random` means: every kind.
    pub const ALL: FaultMix = FaultMix {
        crashes: true,
        stops: true,
        pauses: true,
        partitions: true,
        cuts: true,
        loss: true,
        delays: true,
        reordering: true,
        duplicates: true,
        clocks: true,
    };

    /// The kinds a mix is written with, in order.
    pub const KINDS: [&'static str; 10] = [
        "crashes",
        "stops",
        "pauses",
        "partitions",
        "cuts",
        "loss",
        "delays",
        "reordering",
        "duplicates",
        "clocks",
    ];

    fn flags(&self) -> [bool; 10] {
        [
            self.crashes,
            self.stops,
            self.pauses,
            self.partitions,
            self.cuts,
            self.loss,
            self.delays,
            self.reordering,
            self.duplicates,
            self.clocks,
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
            let flag = match word {
                "crashes" | "crash" => &mut mix.crashes,
                "stops" | "stop" | "crash-stop" | "crash-stops" => &mut mix.stops,
                "pauses" | "pause" => &mut mix.pauses,
                "partitions" | "partition" => &mut mix.partitions,
                "cuts" | "cut" => &mut mix.cuts,
                "loss" => &mut mix.loss,
                "delays" | "delay" => &mut mix.delays,
                "reordering" | "reorder" => &mut mix.reordering,
                "duplicates" | "duplicate" | "duplication" => &mut mix.duplicates,
                "clocks" | "clock" => &mut mix.clocks,
                _ => {
                    return Err(format!(
                        "`{word}` is not a kind of fault: expected `random`, `none` or a comma-separated list of {}",
                        FaultMix::KINDS.join(", ")
                    ))
                }
            };
            *flag = true;
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

/// A random script: client commands spread over `[0, span)` ms and, per `mix`, from 1 to
/// `faults` faults (the number drawn too). Every fault is a window that ends by `span`,
/// except crash-stops and clock jumps, which are for good: so after `span` the network is
/// whole and every node that did not stop runs, and liveness can be checked there. Draws
/// only `u32` and `u64` values, so the schedule is the same on every target.
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
    let kinds: Vec<u32> = (0..FaultMix::KINDS.len() as u32)
        .filter(|&k| mix.flags()[k as usize])
        .collect();
    if kinds.is_empty() || n == 0 || faults == 0 {
        return sorted(out);
    }
    // Sweep scenarios use the default network, which the windows' settings are made from.
    let [lo, hi] = LinkParams::default().latency;
    let count = rng.random_range(1..=faults);
    for window in 1..=count {
        let kind = kinds[rng.random_range(0..kinds.len() as u32) as usize];
        let start = rng.random_range(0..span * 3 / 4);
        let end = rng.random_range(start + 1..=span);
        let node = NodeId(rng.random_range(0..n));
        // Another node, when there is one.
        let other = NodeId((node.0 + rng.random_range(1..n.max(2))) % n);
        let percent = |rng: &mut ChaCha8Rng| f64::from(rng.random_range(1..=5u32)) / 10.0;
        let open = |fault: Action<P::Cmd>| Action::Open {
            window,
            fault: Box::new(fault),
        };
        let network = |latency, loss, duplicate| Action::Network {
            latency,
            loss,
            duplicate,
        };
        let fault = match kind {
            0 => Action::Crash { node },
            1 => {
                out.push(at(start, Action::Crash { node }));
                continue;
            }
            2 => Action::Pause { node },
            3 => {
                let mut a = Vec::new();
                let mut b = Vec::new();
                for i in 0..n {
                    if chance(&mut rng, 0.5) {
                        a.push(NodeId(i));
                    } else {
                        b.push(NodeId(i));
                    }
                }
                Action::Partition { groups: vec![a, b] }
            }
            4 => Action::Cut {
                a: node,
                b: other,
                one_way: chance(&mut rng, 0.5),
            },
            5 => {
                let loss = percent(&mut rng);
                if chance(&mut rng, 0.5) {
                    network(None, Some(loss), None)
                } else {
                    Action::Link {
                        from: node,
                        to: other,
                        params: LinkParams {
                            loss,
                            ..LinkParams::default()
                        },
                        both: chance(&mut rng, 0.5),
                    }
                }
            }
            6 => {
                let k = Time::from(rng.random_range(3..=10u32));
                network(Some([lo * k, hi * k]), None, None)
            }
            7 => {
                let k = Time::from(rng.random_range(4..=20u32));
                network(Some([lo, hi * k]), None, None)
            }
            8 => network(None, None, Some(percent(&mut rng))),
            _ => {
                if chance(&mut rng, 0.5) {
                    const RATES: [f64; 6] = [0.25, 0.5, 0.8, 1.25, 2.0, 4.0];
                    let rate = RATES[rng.random_range(0..RATES.len() as u32) as usize];
                    Action::Clock {
                        node,
                        rate: Some(rate),
                        jump: None,
                    }
                } else {
                    let by = i64::from(rng.random_range(50..=2000u32));
                    let jump = if chance(&mut rng, 0.5) { by } else { -by };
                    out.push(at(
                        start,
                        Action::Clock {
                            node,
                            rate: None,
                            jump: Some(jump),
                        },
                    ));
                    continue;
                }
            }
        };
        out.push(at(start, open(fault)));
        out.push(at(end, Action::End { window }));
    }
    sorted(out)
}

fn sorted<C>(mut v: Vec<ScriptedAction<C>>) -> Vec<ScriptedAction<C>> {
    v.sort_by_key(|a| a.at);
    v
}
