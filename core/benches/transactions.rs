//! Distributed transactions benchmarks.
//!
//! - `txn_2pc_happy_run`: load and run the built-in 2PC happy path (2 transactions, 3
//!   participants) to its end.
//! - `txn_2pc_7p_20tx`: 2PC with 7 participants running 20 transactions one after
//!   another, to the end (about 1,000 steps).
//! - `txn_3pc_7p_20tx`: the same with 3PC.
//! - `txn_sweep_one_3pc`: one seed of `dsplay sweep` for 3PC with partitions.
//!
//! Run with `cargo bench -p dsplay-core --bench transactions`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dsplay_core::algo::transactions::{self, Transactions};
use dsplay_core::catalog::{builtin, sweep as sweep_one};
use dsplay_core::faults::FaultMix;
use dsplay_core::session::Loaded;
use serde_json::json;

fn many(protocol: &str) -> String {
    let actions: Vec<_> = (0..20)
        .map(|i| {
            json!({ "at": 10 + i, "action": { "command": { "node": "coord",
                "cmd": { "begin": { "writes": { "x": i.to_string() } } } } } })
        })
        .collect();
    json!({
        "algorithm": "transactions", "title": "bench", "seed": 1,
        "params": { "protocol": protocol, "participants": 7 },
        "actions": actions,
        "run": { "steps": 100000 }
    })
    .to_string()
}

fn runs(c: &mut Criterion) {
    let happy = builtin("txn-2pc-happy").expect("built-in").json;
    c.bench_function("txn_2pc_happy_run", |b| {
        b.iter(|| {
            let mut l = Loaded::<Transactions>::parse(black_box(happy)).expect("loads");
            black_box(l.run(None, None))
        })
    });
    for p in ["2pc", "3pc"] {
        let doc = many(p);
        let mut l = Loaded::<Transactions>::parse(&doc).expect("loads");
        let steps = l.run(None, None).steps;
        println!("{p}, 7 participants, 20 transactions: {steps} steps");
        c.bench_function(&format!("txn_{p}_7p_20tx"), |b| {
            b.iter(|| {
                let mut l = Loaded::<Transactions>::parse(black_box(&doc)).expect("loads");
                black_box(l.run(None, None))
            })
        });
    }
    let params = json!({ "protocol": "3pc" });
    let mix = FaultMix {
        partitions: true,
        ..FaultMix::NONE
    };
    let mut seed = 0u64;
    c.bench_function("txn_sweep_one_3pc", |b| {
        b.iter(|| {
            seed += 1;
            black_box(sweep_one(transactions::NAME, seed, mix, 2000, Some(&params)).expect("runs"))
        })
    });
}

criterion_group!(benches, runs);
criterion_main!(benches);
