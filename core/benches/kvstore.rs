//! Key-value store benchmarks.
//!
//! - `kv_add_node_run`, `kv_async_failover_run`: load and run the built-in scenarios.
//! - `kv_load_<mode>`: 5 servers, 16 partitions of 3 replicas, 4 clients writing and
//!   reading 400 operations (one every 5 ms, to the clients in turn) for 3 s, synchronous
//!   and leaderless (W = R = 2); the steps are printed.
//! - `kv_sweep_one`: one seed of `dsplay sweep` for the store with every kind of fault.
//!
//! Run with `cargo bench -p dsplay-core --bench kvstore`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dsplay_core::algo::kvstore::Kvstore;
use dsplay_core::catalog::{builtin, sweep as sweep_one};
use dsplay_core::faults::FaultMix;
use dsplay_core::session::{Loaded, Session};
use serde_json::json;

fn load(replication: &str) -> String {
    let actions: Vec<_> = (0..400u32)
        .map(|i| {
            let cmd = if i % 3 == 0 {
                json!({ "read": { "key": (i * 7) % 64 } })
            } else {
                json!({ "write": { "key": (i * 13) % 64 } })
            };
            json!({ "at": 100 + 5 * u64::from(i), "action": { "command": {
                "node": format!("c{}", i % 4 + 1), "cmd": cmd } } })
        })
        .collect();
    json!({
        "algorithm": "kvstore", "title": "bench", "seed": 1,
        "params": { "servers": 5, "spare": 0, "clients": 4, "partitions": 16, "keys": 64,
                    "replication": replication, "w": 2, "r": 2 },
        "actions": actions,
        "run": { "until": 3000, "steps": 1000000 }
    })
    .to_string()
}

fn runs(c: &mut Criterion) {
    for (name, id) in [
        ("kv_add_node_run", "kv-add-node"),
        ("kv_async_failover_run", "kv-async-failover"),
    ] {
        let json = builtin(id).expect("built-in").json;
        c.bench_function(name, |b| {
            b.iter(|| {
                let mut l = Loaded::<Kvstore>::parse(black_box(json)).expect("loads");
                black_box(l.run(None, None))
            })
        });
    }
    for mode in ["sync", "leaderless"] {
        let doc = load(mode);
        let mut l = Loaded::<Kvstore>::parse(&doc).expect("loads");
        let sum = l.run(None, None);
        assert!(l.violations().is_empty(), "{:?}", l.violations());
        println!(
            "kvstore {mode}, 5 servers, 400 operations: {} steps, {} messages",
            sum.steps, sum.messages
        );
        c.bench_function(&format!("kv_load_{mode}"), |b| {
            b.iter(|| {
                let mut l = Loaded::<Kvstore>::parse(black_box(&doc)).expect("loads");
                black_box(l.run(None, None))
            })
        });
    }
    c.bench_function("kv_sweep_one", |b| {
        b.iter(|| black_box(sweep_one("kvstore", 7, FaultMix::ALL, 2000, None).expect("sweeps")))
    });
}

criterion_group!(benches, runs);
criterion_main!(benches);
