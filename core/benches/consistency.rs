//! Consistency checker benchmarks, on a 10,000-operation history of 10 clients using an
//! atomic store of 10 keys, with 2% of the operations pending and 2% of the writes failed
//! (`consistency::generate`).
//!
//! - `consistency_check_all_10k`: every model, as `dsplay check-history` does (the
//!   linearizability search, which holds, implies the rest).
//! - `consistency_MODEL_10k`: each model by its own algorithm alone.
//! - `consistency_linearizable_stale_10k`: the same run with 1% stale reads: a violation
//!   found and explained.
//!
//! The time of one whole check is printed first. Run with
//! `cargo bench -p dsplay-core --bench consistency`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use dsplay_core::consistency::{check, check_all, generate, Model, Options};
use std::time::Instant;

fn shape(stale: f64) -> generate::Shape {
    generate::Shape {
        ops: 10_000,
        clients: 10,
        keys: 10,
        stale,
        pending: 0.02,
        fail: 0.02,
    }
}

fn benches(c: &mut Criterion) {
    let h = generate::history(1, &shape(0.0));
    let options = Options::default();
    let start = Instant::now();
    let report = check_all(&h, &options).unwrap();
    println!(
        "check_all on {} operations: {:?}, strongest: {:?}",
        h.ops.len(),
        start.elapsed(),
        report.strongest()
    );
    for m in Model::ALL {
        let start = Instant::now();
        let v = check(&h, m, &options).unwrap();
        println!("  {m}: {} in {:?}", v.word(), start.elapsed());
    }
    let stale = generate::history(1, &shape(0.01));
    let start = Instant::now();
    let report = check_all(&stale, &options).unwrap();
    println!(
        "check_all on {} operations with 1% stale reads: {:?}, strongest: {:?}",
        stale.ops.len(),
        start.elapsed(),
        report.strongest()
    );
    c.bench_function("consistency_check_all_10k", |b| {
        b.iter(|| black_box(check_all(black_box(&h), &options).unwrap()))
    });
    let mut group = c.benchmark_group("consistency");
    group.sample_size(10);
    for m in Model::ALL {
        group.bench_function(format!("{}_10k", m.name().replace('-', "_")), |b| {
            b.iter(|| black_box(check(black_box(&h), m, &options).unwrap()))
        });
    }
    group.bench_function("linearizable_stale_10k", |b| {
        b.iter(|| black_box(check(black_box(&stale), Model::Linearizable, &options).unwrap()))
    });
    group.finish();
}

criterion_group!(consistency, benches);
criterion_main!(consistency);
