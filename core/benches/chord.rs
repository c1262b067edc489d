//! Chord benchmarks.
//!
//! - `chord_join_run`: load and run the built-in join scenario to its end.
//! - `chord_mass_failure_run`: the built-in mass failure (16 nodes, 7 fail), to its end.
//! - `chord_24_nodes_lookups`: 24 nodes on a circle of 2^10, 300 lookups (one every 10 ms,
//!   from the nodes in turn) with stabilize and fix_fingers running, for 4 s; the steps are
//!   printed.
//! - `chord_sweep_one`: one seed of `dsplay sweep` for Chord with every kind of fault.
//!
//! Run with `cargo bench -p dsplay-core --bench chord`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dsplay_core::algo::chord::Chord;
use dsplay_core::catalog::{builtin, sweep as sweep_one};
use dsplay_core::faults::FaultMix;
use dsplay_core::session::{Loaded, Session};
use serde_json::json;

fn lookups_load() -> String {
    let actions: Vec<_> = (0..300u32)
        .map(|i| {
            json!({ "at": 100 + 10 * u64::from(i), "action": { "command": {
                "node": format!("n{}", i % 24 + 1),
                "cmd": { "lookup": { "key": format!("k{i}") } } } } })
        })
        .collect();
    json!({
        "algorithm": "chord", "title": "bench", "seed": 1,
        "params": { "bits": 10, "nodes": 24, "members": 24, "keys": [] },
        "actions": actions,
        "run": { "until": 4000, "steps": 1000000 }
    })
    .to_string()
}

fn runs(c: &mut Criterion) {
    for (name, id) in [
        ("chord_join_run", "chord-join"),
        ("chord_mass_failure_run", "chord-mass-failure"),
    ] {
        let json = builtin(id).expect("built-in").json;
        c.bench_function(name, |b| {
            b.iter(|| {
                let mut l = Loaded::<Chord>::parse(black_box(json)).expect("loads");
                black_box(l.run(None, None))
            })
        });
    }
    let doc = lookups_load();
    let mut l = Loaded::<Chord>::parse(&doc).expect("loads");
    let sum = l.run(None, None);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    println!(
        "chord, 24 nodes, 300 lookups: {} steps, {} messages",
        sum.steps, sum.messages
    );
    c.bench_function("chord_24_nodes_lookups", |b| {
        b.iter(|| {
            let mut l = Loaded::<Chord>::parse(black_box(&doc)).expect("loads");
            black_box(l.run(None, None))
        })
    });
    c.bench_function("chord_sweep_one", |b| {
        b.iter(|| black_box(sweep_one("chord", 7, FaultMix::ALL, 2000, None).expect("sweeps")))
    });
}

criterion_group!(benches, runs);
criterion_main!(benches);
