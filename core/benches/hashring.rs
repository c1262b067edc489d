//! Consistent hashing benchmarks (the page must recompute and render in under 16 ms).
//!
//! - `hashring_place_64x200_10k`: build the ring of 64 nodes x 200 virtual nodes (12,800
//!   positions) and place 10,000 keys (each key's owner: a binary search).
//! - `hashring_place_64x200_10k_r3`: the same with three replicas per key.
//! - `hashring_lookup`: one key's preference list on that ring (hash + binary search).
//! - `hashring_add_node_op`: the coordinator's whole `add_node` operation on a simulation
//!   with 64 nodes x 200 vnodes and 10,000 keys (ring, placement, diff, statistics, the
//!   migration instructions), measured as one simulation step.
//! - `hashring_load_64x200_10k`: loading that scenario (the initial placement is computed
//!   once and each of the 65 nodes takes its part).
//!
//! Run with `cargo bench -p dsplay-core --bench hashring`.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use dsplay_core::algo::hashring::{hash_key, key_name, Hashring, Ring};
use dsplay_core::collections::VecMap;
use dsplay_core::session::{Loaded, Session};
use dsplay_core::sim::NodeId;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Instant;

fn members() -> VecMap<NodeId, u32> {
    (0..64).map(|i| (NodeId(i), 1)).collect()
}

fn keys() -> BTreeSet<String> {
    (1..=10_000).map(key_name).collect()
}

fn place(c: &mut Criterion) {
    let m = members();
    let ks = keys();
    c.bench_function("hashring_place_64x200_10k", |b| {
        b.iter(|| {
            let ring = Ring::build(black_box(&m), 200);
            black_box(ring.place(&ks, 1))
        })
    });
    c.bench_function("hashring_place_64x200_10k_r3", |b| {
        b.iter(|| {
            let ring = Ring::build(black_box(&m), 200);
            black_box(ring.place(&ks, 3))
        })
    });
    let ring = Ring::build(&m, 200);
    let mut out = Vec::new();
    let mut i = 0u32;
    c.bench_function("hashring_lookup", |b| {
        b.iter(|| {
            i = i.wrapping_add(1) % 10_000;
            let h = hash_key(&key_name(i + 1));
            black_box(ring.preference(h, 3, &mut out));
        })
    });
    // One plain measurement, printed for the report.
    let t = Instant::now();
    let n = 20;
    for _ in 0..n {
        black_box(Ring::build(&m, 200).place(&ks, 1));
    }
    println!(
        "ring build + placement, 64 x 200 vnodes, 10k keys: {:.2} ms per recompute (target < 16 ms)",
        t.elapsed().as_secs_f64() * 1000.0 / f64::from(n)
    );
}

fn loaded() -> Loaded<Hashring> {
    let doc = json!({
        "algorithm": "hashring", "title": "bench", "seed": 1,
        "params": { "nodes": 64, "spare": 1, "vnodes": 200, "keys": 10000 },
        "actions": [
            { "at": 10, "action": { "command": { "node": "coord", "cmd": { "add_node": { "node": "n65" } } } } }
        ]
    });
    Loaded::<Hashring>::parse(&doc.to_string()).expect("bench scenario loads")
}

fn add_node_op(c: &mut Criterion) {
    let mut g = c.benchmark_group("hashring_ops");
    g.sample_size(20);
    g.bench_function("hashring_add_node_op", |b| {
        b.iter_batched(
            loaded,
            |mut l| {
                l.step_forward();
                l
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("hashring_load_64x200_10k", |b| {
        b.iter(|| black_box(loaded()))
    });
    g.finish();
    let mut l = loaded();
    let t = Instant::now();
    l.step_forward();
    println!(
        "add_node on 64 x 200 vnodes, 10k keys, as one simulation step: {:.2} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let t = Instant::now();
    let _ = loaded();
    println!(
        "loading that scenario (the initial placement computed once for 65 nodes): {:.2} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
}

criterion_group!(benches, place, add_node_op);
criterion_main!(benches);
