#!/usr/bin/env bash
# The same simulations natively and compiled to wasm in headless Chromium, and the ratio
# wasm/native of each figure (issue 15's target: at least 0.5 for events/s; seeks under
# 5 ms natively and 16 ms in Chromium). The runs are defined once, in
# core/src/workload.rs; the native side is core/tests/speed.rs (release profile), the wasm
# side web/tests/speed.rs, built with the pages' own profile (wasm-release: opt-level "z",
# without the wasm-opt pass the pages also get) and, for comparison, with release
# (opt-level 3). (No -q for the wasm runs: the test runner refuses --quiet.) Numbers only: nothing here fails on them.
#
#   scripts/bench-wasm.sh
set -eu
cd "$(dirname "$0")/.."
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== native (release)"
cargo test -q --release -p dsplay-core --test speed -- --ignored --nocapture 2>/dev/null \
    | grep -E '^[a-z].*: [0-9.]+ (events/s|ms)$' | tee "$out/native"
for profile in wasm-release release; do
    echo "== wasm in Chromium ($profile)"
    cargo test --profile "$profile" -p dsplay-web --target wasm32-unknown-unknown \
        --test speed -- --include-ignored --nocapture 2>&1 \
        | grep -E '^[a-z].*: [0-9.]+ (events/s|ms)$' | tee "$out/$profile"
done

# name: value unit -> the ratio wasm/native for events/s, native/wasm shown as a slowdown
# for times.
for profile in wasm-release release; do
    echo "== wasm ($profile) / native"
    awk -F': ' '
        NR == FNR { split($2, a, " "); native[$1] = a[1]; next }
        ($1 in native) && native[$1] > 0 {
            split($2, a, " ");
            if (a[2] == "events/s") printf "%s: %.2f of native speed\n", $1, a[1] / native[$1];
            else printf "%s: %.2f times the native time\n", $1, a[1] / native[$1];
        }' "$out/native" "$out/$profile"
done
