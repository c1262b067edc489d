//! The speed report, natively: `cargo test --release -p dsplay-core --test speed --
//! --ignored --nocapture`. `scripts/bench-wasm.sh` runs it beside the same report compiled
//! to wasm in Chromium (`web/tests/speed.rs`) and prints the ratios. It prints numbers and
//! fails on none of them (ignored by `cargo test`: a debug build's figures mean nothing).

use dsplay_core::workload::{format_report, speed_report};
use std::time::Instant;

#[test]
#[ignore = "a benchmark: run with --release --ignored --nocapture"]
fn speed() {
    let origin = Instant::now();
    let now = move || origin.elapsed().as_secs_f64() * 1e3;
    let figures = speed_report(&now, 400);
    assert_eq!(figures.len(), 5, "{figures:?}");
    print!("{}", format_report(&figures));
}
