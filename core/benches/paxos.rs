//! Paxos benchmarks.
//!
//! - `paxos_happy_run`: load and run the built-in single-decree happy path to its end.
//! - `paxos_multi_failover_run`: the built-in Multi-Paxos leader failover, to its end.
//! - `paxos_multi_200_commands`: Multi-Paxos with leader election, 2 proposers, 5
//!   acceptors and 2 learners, 200 client commands (one every 5 ms, to the nodes in turn)
//!   run to the end; the steps are printed.
//! - `paxos_sweep_one`: one seed of `dsplay sweep` for Multi-Paxos with every kind of fault.
//!
//! Run with `cargo bench -p dsplay-core --bench paxos`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dsplay_core::algo::paxos::Paxos;
use dsplay_core::catalog::{builtin, sweep as sweep_one};
use dsplay_core::faults::FaultMix;
use dsplay_core::session::{Loaded, Session};
use serde_json::json;

fn multi_load() -> String {
    let actions: Vec<_> = (0..200u32)
        .map(|i| {
            json!({ "at": 200 + 5 * u64::from(i), "action": { "command": {
                "node": format!("n{}", i % 9 + 1),
                "cmd": { "propose": { "value": format!("v{i}") } } } } })
        })
        .collect();
    json!({
        "algorithm": "paxos", "title": "bench", "seed": 1,
        "params": { "multi": true, "leader_election": true, "proposers": 2, "acceptors": 5, "learners": 2 },
        "actions": actions,
        "run": { "until": 5000, "steps": 200000 }
    })
    .to_string()
}

fn runs(c: &mut Criterion) {
    for (name, id) in [
        ("paxos_happy_run", "paxos-happy"),
        ("paxos_multi_failover_run", "paxos-multi-failover"),
    ] {
        let json = builtin(id).expect("built-in").json;
        c.bench_function(name, |b| {
            b.iter(|| {
                let mut l = Loaded::<Paxos>::parse(black_box(json)).expect("loads");
                black_box(l.run(None, None))
            })
        });
    }
    let doc = multi_load();
    let mut l = Loaded::<Paxos>::parse(&doc).expect("loads");
    let sum = l.run(None, None);
    assert!(l.violations().is_empty(), "{:?}", l.violations());
    println!(
        "paxos, Multi-Paxos, 200 commands: {} steps, {} messages",
        sum.steps, sum.messages
    );
    c.bench_function("paxos_multi_200_commands", |b| {
        b.iter(|| {
            let mut l = Loaded::<Paxos>::parse(black_box(&doc)).expect("loads");
            black_box(l.run(None, None))
        })
    });
    let params = json!({ "multi": true, "leader_election": true });
    let mut seed = 0u64;
    c.bench_function("paxos_sweep_one", |b| {
        b.iter(|| {
            seed += 1;
            black_box(sweep_one("paxos", seed, FaultMix::ALL, 2000, Some(&params)).expect("runs"))
        })
    });
}

criterion_group!(benches, runs);
criterion_main!(benches);
