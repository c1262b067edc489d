#!/usr/bin/env bash
# End-to-end test of the release bundle in dist/: serves it on 127.0.0.1 (a free port) with
# e2e/server.mjs, runs e2e/test.mjs against it in headless Chromium (playwright-core), and
# exits with the test's status. The test prints one closing line `e2e: N passed, N failed`.
# Screenshots go to e2e/screenshots/ (git-ignored).
#
#   bash e2e/run.sh            # after `cargo xtask dist`
#   E2E_PORT=8094 bash e2e/run.sh   # a fixed port instead of a free one
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

SERVER_LOG="$(mktemp -t dsplay-e2e-server.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -f "$SERVER_LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node e2e/server.mjs dist "${E2E_PORT:-0}" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

# Wait (at most 10 s) for the server to print its address, then for it to answer.
BASE=""
for _ in $(seq 1 100); do
  BASE="$(sed -n -E 's/^listening (http:\/\/127\.0\.0\.1:[0-9]+\/)$/\1/p' "$SERVER_LOG")"
  [ -n "$BASE" ] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "e2e: the static server exited:" >&2
    cat "$SERVER_LOG" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$BASE" ]; then
  echo "e2e: the static server did not start within 10 s:" >&2
  cat "$SERVER_LOG" >&2
  exit 1
fi
answered=""
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
echo "e2e: serving dist/ at $BASE"

status=0
node e2e/test.mjs "$BASE" || status=$?
exit "$status"
