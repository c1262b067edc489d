//! The speed report compiled to wasm, in Chromium: the same runs as the native
//! `core/tests/speed.rs`, timed with `performance.now()`. Run by `scripts/bench-wasm.sh`
//! with the pages' own profile (`--profile wasm-release`), which prints the ratios to the
//! native figures. It prints numbers and fails on none of them (ignored by the test suite).

use dsplay_core::workload::{format_report, speed_report};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
#[ignore = "a benchmark: scripts/bench-wasm.sh runs it"]
fn speed() {
    let perf = web_sys::window()
        .and_then(|w| w.performance())
        .expect("the page has performance.now()");
    let now = move || perf.now();
    let figures = speed_report(&now, 100);
    assert_eq!(figures.len(), 5, "{figures:?}");
    console_log!("{}", format_report(&figures));
}
