#!/usr/bin/env bash
# Runs every check and test of dsplay, failing fast; this is exactly what CI runs (.ci/run).
#   setup        scripts/setup.sh (installs what is missing)
#   fmt          cargo fmt --check
#   clippy       natively for core and cli, for wasm32 for the web crate, warnings are errors
#   test-native  cargo test for dsplay-core, dsplay-cli and xtask
#   test-wasm    the web crate's wasm-bindgen tests in headless Chromium
#   dist         cargo xtask dist: every page and the home page into dist/; prints what each
#                page's first visit downloads and fails when one is over its size budget
#   dist-dev     cargo xtask dist --dev --out dist-dev: the same pages as a debug build, for
#                the monkey test (Yew checks its keyed lists only in debug builds)
#   e2e          e2e/run.sh, when it exists: the checks and the monkey test of dist/, and
#                the monkey test of dist-dev/
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

WASM_TARGET="wasm32-unknown-unknown"
TEST_LOG="$(mktemp -t dsplay-test.XXXXXX)"
# Every browser this run starts (chromedriver's for the wasm tests, playwright's for e2e) keeps
# its profile in TMPDIR, and a browser that is stopped rather than closed leaves it behind
# (~90 MB each): all of them go into one directory of this run, removed at the end.
RUN_TMP="$(mktemp -d -t dsplay-run.XXXXXX)"
export TMPDIR="$RUN_TMP"
TIMINGS=()
total_start=$SECONDS
current=""

summary() {
  local status=$?
  echo
  echo "==== timings"
  local line
  for line in "${TIMINGS[@]}"; do
    echo "  $line"
  done
  if [ "$status" -ne 0 ] && [ -n "$current" ]; then
    echo "  $(printf '%-12s FAILED after %ds' "$current" $((SECONDS - stage_start)))"
  fi
  echo "  $(printf '%-12s %5ds' total $((SECONDS - total_start)))"
  # One closing line for all test runners: cargo's "test result:" lines and any plain
  # "N passed, N failed" lines that e2e/run.sh prints.
  local passed failed
  passed=$(sed -n -E 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1/p; s/^([A-Za-z0-9-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/p' "$TEST_LOG" | awk '{s+=$1} END {print s+0}')
  failed=$(sed -n -E 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\2/p; s/^([A-Za-z0-9-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/p' "$TEST_LOG" | awk '{s+=$1} END {print s+0}')
  rm -f "$TEST_LOG"
  rm -rf "$RUN_TMP"
  if [ "$status" -eq 0 ]; then
    echo "test.sh: all stages passed"
  else
    echo "test.sh: FAILED in stage '$current' (exit $status)"
  fi
  echo "tests: $passed passed, $failed failed"
  exit "$status"
}
trap summary EXIT

# stage NAME COMMAND...: runs one stage, records its time; a failure ends the script.
stage() {
  current="$1"
  shift
  local shown="$*"
  echo
  echo "==== $current: ${shown#tee_output }"
  stage_start=$SECONDS
  "$@"
  local took=$((SECONDS - stage_start))
  echo "==== $current: ok (${took}s)"
  TIMINGS+=("$(printf '%-12s %5ds' "$current" "$took")")
  current=""
}

# Like stage, but keeps a copy of the output to count the tests at the end.
test_stage() {
  local name="$1"
  shift
  stage "$name" tee_output "$@"
}
tee_output() {
  "$@" 2>&1 | tee -a "$TEST_LOG"
}

stage setup bash scripts/setup.sh
stage fmt cargo fmt --all -- --check
stage clippy cargo clippy --workspace --all-targets --exclude dsplay-web -- -D warnings
stage clippy-wasm cargo clippy -p dsplay-web --all-targets --target "$WASM_TARGET" -- -D warnings
test_stage test-native cargo test -p dsplay-core -p dsplay-cli -p xtask
test_stage test-wasm cargo test -p dsplay-web --target "$WASM_TARGET"
stage dist cargo xtask dist
stage dist-dev cargo xtask dist --dev --out dist-dev
if [ -f e2e/run.sh ]; then
  test_stage e2e bash e2e/run.sh
else
  echo
  echo "==== e2e: skipped (no e2e/run.sh yet)"
fi
