#!/usr/bin/env bash
# Builds the pages (release, as people use them) and serves them on http://127.0.0.1:8080,
# rebuilding when web/, core/ or static/ change, after installing whatever is missing
# (scripts/setup.sh). Extra arguments go to `cargo xtask serve`:
#   ./scripts/serve.sh --dev          # the dev profile, no wasm-opt: quicker rebuilds
#   ./scripts/serve.sh --port 8081 --no-watch
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

exec cargo xtask serve "$@"
