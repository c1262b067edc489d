//! Native and WebAssembly runs of the same scenario give the same trace.
//!
//! `core/tests/golden_hashes.txt` holds the trace hash of every built-in scenario, produced
//! natively (and checked by `core/tests/determinism.rs`). Here the same scenarios run in
//! the browser and must hash to the same values.

use dsplay_core::catalog::{builtin, builtins, load};
use dsplay_core::hash::hex;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &str = include_str!("../../core/tests/golden_hashes.txt");

fn golden() -> Vec<(&'static str, &'static str)> {
    GOLDEN
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once(' ').expect("`id hash` per line"))
        .collect()
}

#[wasm_bindgen_test]
fn every_builtin_scenario_has_a_golden_hash() {
    let golden = golden();
    for b in builtins() {
        assert!(
            golden.iter().any(|(id, _)| *id == b.id),
            "{} has no line in golden_hashes.txt",
            b.id
        );
    }
}

#[wasm_bindgen_test]
fn wasm_trace_hashes_equal_native_ones() {
    let golden = golden();
    assert!(!golden.is_empty());
    for (id, expected) in golden {
        let b = builtin(id).unwrap_or_else(|| panic!("{id} is not a built-in scenario"));
        let mut s = load(b.json).expect("built-in scenarios load");
        s.run(None, None);
        assert_eq!(hex(s.trace_hash()), expected, "trace hash of {id} in wasm");
    }
}
