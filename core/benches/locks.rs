//! Distributed locks benchmarks.
//!
//! - `locks_herd_run`: the whole herd scenario (11 clients, every waiter woken by every
//!   change; about 370 steps), from load to the end: what the page does when it opens it.
//! - `locks_zookeeper_run`: the same run with the recipe (one waiter woken per release).
//! - `locks_sweep_seed_lease`: one seed of `dsplay sweep` on the lease variant with random
//!   faults (load, schedule, run, check).
//! - `locks_seek_back`: seek from the end of the herd run back to its middle (time travel:
//!   restore a checkpoint and replay).
//!
//! Run with `cargo bench -p dsplay-core --bench locks`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dsplay_core::catalog::{builtin, load, sweep as sweep_one};
use dsplay_core::faults::FaultMix;
use serde_json::json;

fn runs(c: &mut Criterion) {
    for (name, id) in [
        ("locks_herd_run", "locks-herd"),
        ("locks_zookeeper_run", "locks-zookeeper"),
    ] {
        let json = builtin(id).unwrap().json;
        c.bench_function(name, |b| {
            b.iter(|| {
                let mut s = load(black_box(json)).unwrap();
                black_box(s.run(None, None))
            })
        });
    }
    let params = json!({ "variant": "lease" });
    let mut seed = 0u64;
    c.bench_function("locks_sweep_seed_lease", |b| {
        b.iter(|| {
            seed += 1;
            black_box(sweep_one("locks", seed, FaultMix::ALL, 2000, Some(&params)).unwrap())
        })
    });
    let mut s = load(builtin("locks-herd").unwrap().json).unwrap();
    let end = s.run(None, None).steps;
    c.bench_function("locks_seek_back", |b| {
        b.iter(|| {
            s.seek(end);
            black_box(s.seek(end / 2))
        })
    });
}

criterion_group!(benches, runs);
criterion_main!(benches);
