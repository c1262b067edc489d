//! Kernel benchmarks.
//!
//! - `messaging_9_nodes`: simulated events (steps) per second for messaging with 9 nodes and
//!   a broker under a steady random load of requests, broadcasts and publications, on the
//!   bare `Sim` and through a `Timeline` (trace and checkpoints included).
//! - `seek_100k`: seeking on a 100,000-step timeline (default checkpoint interval) between
//!   far-apart targets. The target is under 5 ms per seek. The run: 9 nodes, n9 crashed
//!   for good so that 40 reliable broadcasts retransmit to it forever, plus 3,000 random
//!   commands spread over the first 20 s.
//! - `seek_100k_big_script`: the same on a run driven by a 40,000-command script. Scripted
//!   actions wait in the simulation's event queue, so every checkpoint clones what is left
//!   of the script: this shows what that costs.
//!
//! Run with `cargo bench -p dsplay-core --bench kernel`.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dsplay_core::algo::messaging::{Cmd, Messaging};
use dsplay_core::faults::{random_schedule, FaultMix};
use dsplay_core::scenario::{Scenario, ScriptedAction};
use dsplay_core::session::Loaded;
use dsplay_core::sim::{Action, NodeId, Sim};
use dsplay_core::timeline::Timeline;
use serde_json::json;
use std::time::{Duration, Instant};

/// Steps per measured iteration of the throughput benchmarks.
const STEPS: u64 = 20_000;
/// Length of the timeline the seek benchmark works on.
const LONG: u64 = 100_000;

/// Nine nodes and a broker, lossy and duplicating links, subscribers on both topics, and
/// `commands` random commands spread over `span` ms.
fn steady_load(commands: u32, span: u64) -> Loaded<Messaging> {
    with_script(commands, span, |_| {})
}

/// `steady_load` with more scripted actions added by `extra`.
fn with_script(
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
    .expect("the benchmark scenario is valid");
    let proto = sc.protocol().unwrap();
    sc.actions = random_schedule(&proto, 7, span, commands, 0, FaultMix::NONE);
    extra(&mut sc.actions);
    sc.actions.sort_by_key(|a| a.at);
    Loaded::new(sc).unwrap()
}

fn fresh_sim(l: &Loaded<Messaging>) -> Sim<Messaging> {
    l.timeline.sim().clone()
}

fn throughput(c: &mut Criterion) {
    let load = steady_load(20_000, 400_000);
    // Make sure the load lasts for the measured steps.
    let mut probe = fresh_sim(&load);
    for i in 0..STEPS {
        assert!(probe.step().is_some(), "the load ran out after {i} steps");
    }
    let mut g = c.benchmark_group("messaging_9_nodes");
    g.throughput(Throughput::Elements(STEPS));
    g.sample_size(20);
    g.bench_function("sim_step", |b| {
        b.iter_batched(
            || fresh_sim(&load),
            |mut sim| {
                for _ in 0..STEPS {
                    black_box(sim.step());
                }
                sim
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("timeline_step", |b| {
        b.iter_batched(
            || Timeline::new(fresh_sim(&load)),
            |mut tl| {
                for _ in 0..STEPS {
                    tl.step_forward();
                }
                tl
            },
            BatchSize::LargeInput,
        )
    });
    // The same without checkpoints: what recording the trace costs on its own.
    g.bench_function("timeline_step_no_checkpoints", |b| {
        b.iter_batched(
            || Timeline::with_interval(fresh_sim(&load), u64::MAX),
            |mut tl| {
                for _ in 0..STEPS {
                    tl.step_forward();
                }
                tl
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    // A plain wall-clock figure to quote.
    let mut sim = fresh_sim(&load);
    let t = Instant::now();
    for _ in 0..STEPS {
        black_box(sim.step());
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "messaging 9 nodes: {:.0} simulated events/s on the bare Sim ({STEPS} steps in {:.1} ms)",
        STEPS as f64 / secs,
        secs * 1e3
    );
}

/// n9 crashes for good at the start; 40 reliable broadcasts then retransmit to it forever.
fn perpetual_load() -> Loaded<Messaging> {
    with_script(3_000, 20_000, |acts| {
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

fn long_timeline(load: &Loaded<Messaging>) -> Timeline<Messaging> {
    let mut tl = Timeline::new(fresh_sim(load));
    let t = Instant::now();
    assert_eq!(tl.seek(LONG), LONG, "the scenario produces {LONG} steps");
    println!(
        "built a {LONG}-step timeline in {:.0} ms (simulated time {} ms, {} messages, {} events queued)",
        t.elapsed().as_secs_f64() * 1e3,
        tl.sim().time(),
        tl.trace().messages.len(),
        tl.sim().pending_events()
    );
    tl
}

/// Seek between far targets `n` times; print and return the median.
fn quote_seek(name: &str, tl: &mut Timeline<Messaging>, n: usize) -> Duration {
    let mut times: Vec<Duration> = Vec::new();
    for i in 0..n {
        let target = TARGETS[i % TARGETS.len()];
        let t = Instant::now();
        let got = tl.seek(target);
        times.push(t.elapsed());
        assert_eq!(got, target);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{name}: seek on a {LONG}-step timeline: median {:.3} ms, worst {:.3} ms (target < 5 ms)",
        median.as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
    median
}

/// Far-apart targets, visited in turn.
const TARGETS: [u64; 8] = [10, 50_000, 99_999, 255, 75_000, 1, 99_000, 25_000];

fn seek(c: &mut Criterion) {
    let mut tl = long_timeline(&perpetual_load());
    quote_seek("seek_100k", &mut tl, 400);

    let mut g = c.benchmark_group("seek_100k");
    g.sample_size(50);
    let mut i = 0usize;
    g.bench_function("far_targets", |b| {
        b.iter(|| {
            i += 1;
            black_box(tl.seek(TARGETS[i % TARGETS.len()]))
        })
    });
    // The worst case of the checkpoint scheme: the step just before a checkpoint.
    let mut j = 0usize;
    g.bench_function("before_checkpoint", |b| {
        b.iter(|| {
            j += 1;
            let target = if j % 2 == 0 { 99_839 } else { 511 };
            black_box(tl.seek(target))
        })
    });
    g.bench_function("step_back", |b| {
        tl.seek(60_000);
        b.iter(|| {
            if tl.pos() < 59_000 {
                tl.seek(60_000);
            }
            tl.step_back();
        })
    });
    g.finish();
    drop(tl);

    let mut big = long_timeline(&steady_load(40_000, 1_000_000));
    quote_seek("seek_100k_big_script", &mut big, 100);
    let mut g = c.benchmark_group("seek_100k_big_script");
    g.sample_size(10);
    let mut k = 0usize;
    g.bench_function("far_targets", |b| {
        b.iter(|| {
            k += 1;
            black_box(big.seek(TARGETS[k % TARGETS.len()]))
        })
    });
    g.finish();
}

criterion_group!(benches, throughput, seek);
criterion_main!(benches);
