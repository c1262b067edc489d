//! The runs the speed figures are measured on, defined once so that the native benchmarks
//! (`cargo bench -p dsplay-core`), the native speed report (`core/tests/speed.rs`) and the
//! same report compiled to wasm in Chromium (`web/tests/speed.rs`, see
//! `scripts/bench-wasm.sh`) time exactly the same simulation.
//!
//! [`speed_report`] takes the clock as an argument (milliseconds from any origin), the only
//! thing that differs between a native process and a browser.

use crate::algo::messaging::{Cmd, Messaging};
use crate::algo::raft::Raft;
use crate::faults::{random_schedule, FaultMix};
use crate::scenario::{Scenario, ScriptedAction};
use crate::session::{Loaded, Session};
use crate::sim::{Action, NodeId, Sim};
use crate::timeline::Timeline;
use serde_json::json;

/// Simulated time the Raft load lasts, in ms.
pub const RAFT_SPAN: u64 = 10_000;
/// A client request every this many ms of it.
pub const RAFT_EVERY: u64 = 2;

/// Five Raft servers; from 300 ms (a leader is elected by then) a client request every
/// [`RAFT_EVERY`] ms of simulated time for [`RAFT_SPAN`] ms, sent to the servers in turn
/// (a follower redirects it to the leader), on 7 keys.
pub fn raft_under_load() -> Loaded<Raft> {
    let mut actions = Vec::new();
    for k in 0..(RAFT_SPAN / RAFT_EVERY) {
        actions.push(json!({
            "at": 300 + k * RAFT_EVERY,
            "action": { "command": { "node": format!("n{}", k % 5 + 1),
                "cmd": { "client": { "key": format!("k{}", k % 7), "value": format!("{k}") } } } }
        }));
    }
    let doc = json!({
        "algorithm": "raft", "title": "bench", "seed": 1,
        "params": { "servers": 5 },
        "actions": actions,
        "run": { "until": 300 + RAFT_SPAN, "steps": 10_000_000 }
    });
    Loaded::<Raft>::parse(&doc.to_string()).expect("the Raft workload loads")
}

/// Nine messaging nodes and a broker, lossy and duplicating links, subscribers on both
/// topics, and `commands` random commands spread over `span` ms; `extra` adds more scripted
/// actions.
pub fn messaging_load(
    commands: u32,
    span: u64,
    extra: impl FnOnce(&mut Vec<ScriptedAction<Cmd>>),
) -> Loaded<Messaging> {
    let mut sc = Scenario::<Messaging>::from_value(json!({
        "algorithm": "messaging",
        "title": "steady load",
        "seed": 2024,
        "params": {
            "nodes": 9,
            "subscriptions": {
                "n1": ["news"], "n2": ["news", "prices"], "n3": ["prices"],
                "n5": ["news"], "n7": ["prices"], "n9": ["news", "prices"]
            }
        },
        "network": { "latency": [5, 80], "loss": 0.02, "duplicate": 0.02 },
    }))
    .expect("the messaging workload is valid");
    let proto = sc.protocol().expect("the messaging workload's parameters");
    sc.actions = random_schedule(&proto, 7, span, commands, 0, FaultMix::NONE);
    extra(&mut sc.actions);
    sc.actions.sort_by_key(|a| a.at);
    Loaded::new(sc).expect("the messaging workload loads")
}

/// A messaging run that never ends: n9 crashes for good at the start and 40 reliable
/// broadcasts retransmit to it forever, after 3,000 random commands over the first 20 s.
pub fn messaging_perpetual() -> Loaded<Messaging> {
    messaging_load(3_000, 20_000, |acts| {
        let at = |t, action| ScriptedAction {
            at: Some(t),
            at_step: None,
            action,
        };
        acts.push(at(0, Action::Crash { node: NodeId(8) }));
        for i in 0..40u32 {
            let cmd = Cmd::Broadcast {
                body: format!("b{i}"),
            };
            let node = NodeId(i % 8);
            acts.push(at(10 + u64::from(i) * 7, Action::Command { node, cmd }));
        }
    })
}

/// Length of the timeline seeks are measured on.
pub const LONG: u64 = 100_000;

/// Far-apart seek targets on a [`LONG`] timeline, visited in turn.
pub const SEEK_TARGETS: [u64; 8] = [10, 50_000, 99_999, 255, 75_000, 1, 99_000, 25_000];

/// One measured figure: what, how much, in which unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub name: &'static str,
    pub value: f64,
    pub unit: &'static str,
}

/// Median and worst of some durations (ms).
fn median_worst(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[ms.len() - 1])
}

/// The speed figures, timed with `now` (ms): Raft under load on the bare kernel and as a
/// whole session (trace, checkpoints and the five checkers), and seeks on a
/// [`LONG`]-step messaging timeline (`seeks` of them between far targets, then eight just
/// before a checkpoint, spread over the run: the worst place, with the longest replay).
pub fn speed_report(now: &dyn Fn() -> f64, seeks: usize) -> Vec<Figure> {
    let mut out = Vec::new();
    let mut probe = raft_under_load();
    let steps = probe.run(None, None).steps;
    assert!(probe.violations().is_empty(), "the Raft workload is safe");
    drop(probe);

    let mut bare: Sim<Raft> = raft_under_load().timeline.sim().clone().without_checker();
    let t = now();
    let mut n = 0u64;
    while n < steps && bare.step().is_some() {
        n += 1;
    }
    let ms = now() - t;
    assert_eq!(n, steps, "the bare kernel runs the same steps");
    out.push(Figure {
        name: "raft 5 servers, bare kernel",
        value: n as f64 / ms * 1e3,
        unit: "events/s",
    });

    let mut whole = raft_under_load();
    let t = now();
    let sum = whole.run(None, None);
    let ms = now() - t;
    out.push(Figure {
        name: "raft 5 servers, whole session",
        value: sum.steps as f64 / ms * 1e3,
        unit: "events/s",
    });
    drop(whole);

    let load = messaging_perpetual();
    let mut tl = Timeline::new(load.timeline.sim().clone());
    let t = now();
    assert_eq!(
        tl.seek(LONG),
        LONG,
        "the messaging workload lasts {LONG} steps"
    );
    out.push(Figure {
        name: "messaging, build a 100,000-step timeline",
        value: now() - t,
        unit: "ms",
    });
    let interval = tl.checkpoint_interval();
    let mut times = Vec::new();
    for i in 0..seeks {
        let target = SEEK_TARGETS[i % SEEK_TARGETS.len()];
        let t = now();
        assert_eq!(tl.seek(target), target);
        times.push(now() - t);
    }
    // Just before a checkpoint, from far away: the longest replay.
    for k in 1..=8u64 {
        let target = (k * interval * 8).min(LONG) - 1;
        tl.seek(if k % 2 == 0 { 0 } else { LONG });
        let t = now();
        assert_eq!(tl.seek(target), target);
        times.push(now() - t);
    }
    let (median, worst) = median_worst(times);
    out.push(Figure {
        name: "seek on a 100,000-step timeline, median",
        value: median,
        unit: "ms",
    });
    out.push(Figure {
        name: "seek on a 100,000-step timeline, worst",
        value: worst,
        unit: "ms",
    });
    out
}

/// The figures as lines `name: value unit`, the format `scripts/bench-wasm.sh` reads.
pub fn format_report(figures: &[Figure]) -> String {
    figures
        .iter()
        .map(|f| {
            let v = if f.unit == "ms" {
                crate::decimal::fixed(f.value, 3)
            } else {
                crate::decimal::fixed(f.value, 0)
            };
            format!("{}: {v} {}\n", f.name, f.unit)
        })
        .collect()
}
