#!/usr/bin/env bash
# Serves the web app with live reload on http://127.0.0.1:8080 (address and port are set in
# Trunk.toml), after installing whatever is missing (scripts/setup.sh).
# Extra arguments go to `trunk serve`, e.g. `./scripts/serve.sh --release`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true

echo "serve: starting trunk serve on http://127.0.0.1:8080 (Ctrl-C stops it)"
exec trunk serve "$@"
