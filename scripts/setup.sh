#!/usr/bin/env bash
# Installs whatever building, serving and testing dsplay needs and is missing:
#   - the wasm32-unknown-unknown Rust target (rustup), plus rustfmt and clippy
#   - wasm-bindgen-cli at exactly the `wasm-bindgen` version in Cargo.lock (cargo install);
#     it provides wasm-bindgen (used by `cargo xtask dist`) and wasm-bindgen-test-runner
#     (cargo test on wasm32)
#   - Chromium and ChromeDriver (Debian packages chromium, chromium-driver) for browser tests
#   - npm packages from package-lock.json: binaryen (wasm-opt, used by `cargo xtask dist`), axe-core and
#     playwright-core
# Idempotent: when everything is present it only checks versions and takes a few seconds.
# Other scripts source nothing from here; they call it and then put the same PATH in place.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

BINARYEN_VERSION="132"
WASM_TARGET="wasm32-unknown-unknown"

start_ms=$(($(date +%s%N) / 1000000))
say() { echo "setup: $*"; }
die() {
  echo "setup: ERROR: $*" >&2
  exit 1
}

# Runs a command as root (we usually are root; fall back to sudo when we are not).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    apt_updated=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# --- Rust toolchain pieces ---------------------------------------------------------------
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup first"

sysroot="$(rustc --print sysroot)"
if [ -d "$sysroot/lib/rustlib/$WASM_TARGET/lib" ]; then
  say "rust target $WASM_TARGET present"
else
  say "installing rust target $WASM_TARGET"
  rustup target add "$WASM_TARGET"
fi

missing_components=()
cargo fmt --version >/dev/null 2>&1 || missing_components+=(rustfmt)
cargo clippy --version >/dev/null 2>&1 || missing_components+=(clippy)
if [ "${#missing_components[@]}" -gt 0 ]; then
  say "installing rustup components ${missing_components[*]}"
  rustup component add "${missing_components[@]}"
else
  say "rustfmt and clippy present"
fi

# --- wasm-bindgen-cli, same version as the wasm-bindgen crate in Cargo.lock ---------------
if [ ! -f Cargo.lock ]; then
  say "no Cargo.lock: generating it"
  cargo generate-lockfile
fi
wb_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[ -n "$wb_version" ] || die "no wasm-bindgen package in Cargo.lock (is web/ a workspace member?)"

if [ "$(wasm-bindgen --version 2>/dev/null || true)" = "wasm-bindgen $wb_version" ] &&
  command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
  say "wasm-bindgen-cli $wb_version present"
else
  say "installing wasm-bindgen-cli $wb_version (cargo install, takes a few minutes)"
  # Not --locked: one of its locked dependencies is not available from the registry here.
  cargo install --force "wasm-bindgen-cli@$wb_version"
fi

# --- Chromium and ChromeDriver -------------------------------------------------------------
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  say "chromium and chromedriver present"
else
  apt_install chromium chromium-driver
fi

# --- npm packages: binaryen (wasm-opt) and playwright-core ---------------------------------
if ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
# node_modules/.package-lock.json is npm's record of what it installed; it is stale when
# package.json or package-lock.json changed after it.
npm_stamp="node_modules/.package-lock.json"
if [ -f "$npm_stamp" ] && [ "$npm_stamp" -nt package.json ] &&
  { [ ! -f package-lock.json ] || [ "$npm_stamp" -nt package-lock.json ]; }; then
  say "npm packages present"
else
  if [ -f package-lock.json ]; then
    say "npm ci"
    npm ci --no-audit --no-fund
  else
    say "npm install (no package-lock.json yet)"
    npm install --no-audit --no-fund
  fi
  touch "$npm_stamp"
fi
installed_binaryen="$(sed -n 's/^ *"version": *"\([0-9]*\).*/\1/p' node_modules/binaryen/package.json 2>/dev/null | head -n1)"
[ "$installed_binaryen" = "$BINARYEN_VERSION" ] ||
  die "node_modules/binaryen is version '$installed_binaryen', expected $BINARYEN_VERSION (see package.json)"
[ -x node_modules/.bin/wasm-opt ] || die "node_modules/.bin/wasm-opt missing after npm install"

say "all tools present ($(($(date +%s%N) / 1000000 - start_ms)) ms): wasm-bindgen $wb_version, wasm-opt version_$BINARYEN_VERSION (npm binaryen), $(chromium --version 2>/dev/null | head -n1)"
