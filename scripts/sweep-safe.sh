#!/usr/bin/env bash
# Sweep every algorithm's safe variants over the whole fault model (every kind, 1 to 8
# faults per seed) and print what each sweep found, by property.
#
#   scripts/sweep-safe.sh [SEEDS]     (default 10000 seeds per variant)
#
# A safe variant may still break a property it does not promise (a fenced lock whose
# former holder writes first breaks "writes only from the current holder"): read each
# summary against what the variant promises (README, "Safe variants").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seeds="${1:-10000}"
cargo build --quiet --release -p dsplay-cli
bin=target/release/dsplay
out=$(mktemp -d)
run() {
  local algo="$1" params="$2"
  echo "== $algo $params"
  "$bin" sweep --algo "$algo" --seeds "0..$seeds" --params "$params" --out "$out/$algo" \
    | sed -n '/^seeds run:/,$p' | grep -v '^reproduce with' || true
}
run messaging '{}'
run hashring '{}'
run hashring '{"replicas": 3}'
for p in \
  '{"variant": "queue", "leases": false, "clients": 4}' \
  '{"variant": "queue", "fencing": true, "clients": 4}' \
  '{"variant": "lease", "fencing": true, "clients": 4}' \
  '{"variant": "zookeeper", "fencing": true, "clients": 4}' \
  '{"variant": "zookeeper", "fencing": true, "herd": true, "clients": 4}'; do
  run locks "$p"
done
run transactions '{"protocol": "2pc"}'
run raft '{}'
run raft '{"servers": 3, "pre_vote": true}'
run raft '{"servers": 7, "conflict_hint": true}'
# Chord keeps Zave's ring invariants within its failure bound: crash faults that fail a
# node's whole successor list at once (r adjacent nodes, or a ring shrunk below r + 1)
# break the ring, and the explanation says so ("has no live member").
run chord '{}'
run chord '{"replicate": true, "successors": 5}'
# The key-value store's safe modes keep durability and the guarantees they promise;
# async (the unsafe variant) loses acknowledged writes at a failover.
run kvstore '{}'
run kvstore '{"replication": "semi_sync"}'
run kvstore '{"replication": "leaderless", "w": 2, "r": 2}'
rm -rf "$out"
