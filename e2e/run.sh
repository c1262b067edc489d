#!/usr/bin/env bash
# End-to-end test of the release bundle in dist/: serves it on 127.0.0.1 (a free port) with
# e2e/server.mjs, runs e2e/test.mjs against it in headless Chromium (playwright-core), then
# the monkey test (e2e/monkey.mjs: random clicks, keys and faults on every page) against it
# and, in a second server, against the debug build in dist-dev/ (where Yew checks its keyed
# lists), and exits with a failure if any of them failed. Each prints one closing line
# `NAME: N passed, N failed`. Screenshots go to e2e/screenshots/ (git-ignored).
#
#   bash e2e/run.sh            # after `cargo xtask dist` (and `cargo xtask dist --dev --out dist-dev`)
#   E2E_PORT=8094 bash e2e/run.sh   # a fixed port instead of a free one (the debug build: the next one)
#   MONKEY_ACTIONS=3000 MONKEY_SEED=7 bash e2e/run.sh   # a longer monkey run, a given seed
#   E2E_ONLY='keyboard|accessibility' node e2e/test.mjs http://127.0.0.1:8094/   # some checks only
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ ! -f dist/index.html ]; then
  echo "e2e: dist/index.html not found: run cargo xtask dist first" >&2
  exit 1
fi
if [ ! -d node_modules/playwright-core ]; then
  echo "e2e: node_modules/playwright-core not found: run scripts/setup.sh (npm ci) first" >&2
  exit 1
fi

# The command line, to compare what the page computes (wasm, release) with what it computes
# (native) for the same input. Built already by the tests; quick if nothing changed.
cargo build -q -p dsplay-cli
export DSPLAY_CLI="${DSPLAY_CLI:-$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')/debug/dsplay}"

SERVER_PIDS=()
SERVER_LOGS=()
cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -f "${SERVER_LOGS[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# serve DIR PORT: starts e2e/server.mjs on DIR, waits (at most 10 s) for it to print its
# address and then to answer, and sets BASE to that address.
serve() {
  local dir="$1" port="$2" log pid
  log="$(mktemp -t dsplay-e2e-server.XXXXXX)"
  SERVER_LOGS+=("$log")
  node e2e/server.mjs "$dir" "$port" >"$log" 2>&1 &
  pid=$!
  SERVER_PIDS+=("$pid")
  BASE=""
  for _ in $(seq 1 100); do
    BASE="$(sed -n -E 's/^listening (http:\/\/127\.0\.0\.1:[0-9]+\/)$/\1/p' "$log")"
    [ -n "$BASE" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "e2e: the static server for $dir exited:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [ -z "$BASE" ]; then
    echo "e2e: the static server for $dir did not start within 10 s:" >&2
    cat "$log" >&2
    exit 1
  fi
  local answered=""
  for _ in $(seq 1 50); do
    if curl -fsS -o /dev/null --max-time 1 "$BASE"; then
      answered=1
      break
    fi
    sleep 0.1
  done
  if [ -z "$answered" ]; then
    echo "e2e: the static server at $BASE does not answer" >&2
    exit 1
  fi
  echo "e2e: serving $dir/ at $BASE"
}

PORT="${E2E_PORT:-0}"
serve dist "$PORT"
status=0
node e2e/test.mjs "$BASE" || status=$?
node e2e/monkey.mjs "$BASE" release || status=$?

# The debug build: its own server (another port), the monkey test only.
if [ -f dist-dev/index.html ]; then
  DEV_PORT=0
  [ "$PORT" != 0 ] && DEV_PORT=$((PORT + 1))
  serve dist-dev "$DEV_PORT"
  node e2e/monkey.mjs "$BASE" debug || status=$?
else
  echo "e2e: dist-dev/index.html not found: the monkey test of the debug build is skipped (cargo xtask dist --dev --out dist-dev builds it)"
fi
exit "$status"
