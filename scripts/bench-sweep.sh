#!/usr/bin/env bash
# How a sweep scales with cores: seeds/s with --jobs 1 and with --jobs N (default: the
# number of cores), and N shard processes merged (deploy/local.sh), for a Raft and a locks
# sweep, each run REPS times (default 3). Prints each run's time and the speed-ups; the
# target (issue 15) is at least 1.8x on 2 cores. Numbers only: nothing here fails on them.
#
#   scripts/bench-sweep.sh [REPS]
#   JOBS=2 CASES="raft:0..4000 locks:0..20000" scripts/bench-sweep.sh 5
#
# On a shared machine, other processes take cores from the 2-job runs more than from the
# 1-job runs: compare the best runs, or run it alone.
set -eu
cd "$(dirname "$0")/.."
reps=${1:-3}
jobs=${JOBS:-$(nproc)}
cases=${CASES:-raft:0..1000 raft:0..4000 locks:0..1000 locks:0..20000}

cargo build --release -q -p dsplay-cli
dsplay=$PWD/target/release/dsplay
# Failing seeds' scenarios go to memory when it can, so that the disk is not measured.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    out=$(mktemp -d /dev/shm/dsplay-bench.XXXXXX)
else
    out=$(mktemp -d)
fi
trap 'rm -rf "$out"' EXIT

# Seconds a command takes (its output and exit status ignored).
elapsed() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

printf '%-16s %-4s %8s %8s %8s   %s\n' sweep rep "1 job" "$jobs jobs" "$jobs procs" "speed-up (jobs, processes)"
for c in $cases; do
    algo=${c%%:*}
    seeds=${c#*:}
    all1=""
    alln=""
    for ((r = 1; r <= reps; r++)); do
        t1=$(elapsed "$dsplay" sweep --algo "$algo" --seeds "$seeds" --jobs 1 --out "$out/f")
        tn=$(elapsed "$dsplay" sweep --algo "$algo" --seeds "$seeds" --jobs "$jobs" --out "$out/f")
        tp=$(DSPLAY=$dsplay elapsed bash deploy/local.sh "$jobs" --algo "$algo" --seeds "$seeds" --out "$out/f")
        awk -v c="$algo $seeds" -v r="$r" -v a="$t1" -v n="$tn" -v p="$tp" \
            'BEGIN { printf "%-16s %-4s %7.3fs %7.3fs %7.3fs   %.2fx, %.2fx\n", c, r, a, n, p, a / n, a / p }'
        all1="$all1 $t1"
        alln="$alln $tn"
    done
    awk -v c="$algo $seeds" -v a="$all1" -v n="$alln" 'BEGIN {
        k = split(a, x, " "); split(n, y, " ")
        b1 = x[1]; bn = y[1]
        for (i = 2; i <= k; i++) { if (x[i] < b1) b1 = x[i]; if (y[i] < bn) bn = y[i] }
        printf "%-16s best %7.3fs %7.3fs %8s   %.2fx\n", c, b1, bn, "", b1 / bn
    }'
done
