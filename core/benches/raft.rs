//! Raft benchmark: simulated events per second for a 5-server cluster under load.
//!
//! - `raft_5_under_load`: a 5-server cluster with a client request every 2 ms of simulated
//!   time (sent to the servers in turn, redirected to the leader) for 10 seconds of
//!   simulated time (`dsplay_core::workload::raft_under_load`), with the five safety
//!   properties checked after every step. Throughput is
//!   reported in steps (simulated events: deliveries, timers, client requests) per second.
//!
//! - `raft_5_bare_kernel`: the same run on the bare kernel: the simulation alone, with no
//!   timeline (trace, checkpoints) and no checker.
//!
//! Run with `cargo bench -p dsplay-core --bench raft`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dsplay_core::algo::raft::Raft;
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::Sim;
use dsplay_core::timeline::Timeline;
use dsplay_core::workload;
use std::time::Instant;

const SPAN: u64 = workload::RAFT_SPAN;

fn loaded() -> Loaded<Raft> {
    workload::raft_under_load()
}

/// The loaded scenario's simulation before its first step, with no checker; it runs the
/// scenario's script itself (and on past the scenario's time bound: run it for the
/// scenario's number of steps).
fn probe_sim(l: &Loaded<Raft>) -> Sim<Raft> {
    l.timeline.sim().clone().without_checker()
}

fn under_load(c: &mut Criterion) {
    let mut probe = loaded();
    let steps = probe.run(None, None).steps;
    assert!(probe.violations().is_empty());
    let mut g = c.benchmark_group("raft");
    g.sample_size(10);
    g.throughput(Throughput::Elements(steps));
    g.measurement_time(std::time::Duration::from_secs(4));
    g.bench_function("raft_5_under_load", |b| {
        b.iter_batched(
            loaded,
            |mut l| {
                l.run(None, None);
                l
            },
            BatchSize::LargeInput,
        )
    });
    let bare = || probe_sim(&loaded());
    g.bench_function("raft_5_bare_kernel", |b| {
        b.iter_batched(
            bare,
            |mut sim| {
                for _ in 0..steps {
                    sim.step();
                }
                sim
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
    let mut sim = bare();
    let t = Instant::now();
    let mut n = 0u64;
    while n < steps && sim.step().is_some() {
        n += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(n, steps, "the bare kernel runs the same steps");
    println!(
        "raft, 5 servers, bare kernel (no trace, no checker): {n} steps, {:.0} simulated events/s",
        n as f64 / secs
    );
    // What each part costs: the timeline without checkpoints, and the kernel with the
    // checker but no timeline.
    let part = |name: &str, mut run: Box<dyn FnMut() -> u64>| {
        let t = Instant::now();
        let n = run();
        println!(
            "raft, 5 servers, {name}: {:.0} simulated events/s",
            n as f64 / t.elapsed().as_secs_f64()
        );
    };
    let mut tl = Timeline::with_interval(loaded().timeline.sim().clone(), u64::MAX);
    part(
        "timeline without checkpoints (trace and checker)",
        Box::new(move || {
            let mut n = 0;
            while n < steps && tl.step_forward() {
                n += 1;
            }
            n
        }),
    );
    let mut checked = loaded().timeline.sim().clone();
    part(
        "kernel with the checker, no trace",
        Box::new(move || {
            let mut n = 0;
            while n < steps && checked.step().is_some() {
                n += 1;
            }
            n
        }),
    );
    let mut l = loaded();
    let t = Instant::now();
    let sum = l.run(None, None);
    let secs = t.elapsed().as_secs_f64();
    let committed = l
        .timeline
        .sim()
        .node_ids()
        .map(|n| l.timeline.sim().node(n).mem.commit_index)
        .max()
        .unwrap_or(0);
    println!(
        "raft, 5 servers, {} client requests over {SPAN} ms: {} steps ({} messages), {committed} entries committed, {:.0} simulated events/s",
        SPAN / workload::RAFT_EVERY,
        sum.steps,
        sum.messages,
        sum.steps as f64 / secs
    );
}

criterion_group!(benches, under_load);
criterion_main!(benches);
