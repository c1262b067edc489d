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
use dsplay_core::algo::messaging::Messaging;
use dsplay_core::session::Loaded;
use dsplay_core::sim::Sim;
use dsplay_core::timeline::Timeline;
use dsplay_core::workload::{self, LONG, SEEK_TARGETS};
use std::time::{Duration, Instant};

/// Steps per measured iteration of the throughput benchmarks.
const STEPS: u64 = 20_000;

fn steady_load(commands: u32, span: u64) -> Loaded<Messaging> {
    workload::messaging_load(commands, span, |_| {})
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
        let target = SEEK_TARGETS[i % SEEK_TARGETS.len()];
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

fn seek(c: &mut Criterion) {
    let mut tl = long_timeline(&workload::messaging_perpetual());
    quote_seek("seek_100k", &mut tl, 400);

    let mut g = c.benchmark_group("seek_100k");
    g.sample_size(50);
    let mut i = 0usize;
    g.bench_function("far_targets", |b| {
        b.iter(|| {
            i += 1;
            black_box(tl.seek(SEEK_TARGETS[i % SEEK_TARGETS.len()]))
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
            black_box(big.seek(SEEK_TARGETS[k % SEEK_TARGETS.len()]))
        })
    });
    g.finish();
}

criterion_group!(benches, throughput, seek);
criterion_main!(benches);
