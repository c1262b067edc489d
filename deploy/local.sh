#!/usr/bin/env bash
# Run a sweep as N shards, N processes on this machine, and merge their results: the
# same summary as one `dsplay sweep` over the whole range, and the same exit status
# (0 no violation, 1 a violation, 2 an input error, 3 an internal error).
#
#   deploy/local.sh N SWEEP-ARGS...
#   deploy/local.sh 2 --algo locks --seeds 0..1000 --params '{"variant": "lease"}' --faults pauses
#
# Each shard runs with --jobs 1 unless SWEEP-ARGS give --jobs. The binary is $DSPLAY, else
# target/release/dsplay of this repository if built, else `dsplay` on the PATH. The
# shards' JSON lines and logs go to $DSPLAY_SHARDS if set (and are kept), else to a
# temporary directory removed at the end.
set -u

usage() {
    echo "usage: $0 N SWEEP-ARGS...   (e.g. $0 2 --algo messaging --seeds 0..1000)" >&2
    exit 2
}
[ $# -ge 2 ] || usage
n=$1
shift
case $n in
'' | *[!0-9]*) usage ;;
esac
[ "$n" -ge 1 ] || usage

here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${DSPLAY:-}" ]; then
    dsplay=$DSPLAY
elif [ -x "$here/../target/release/dsplay" ]; then
    dsplay=$here/../target/release/dsplay
else
    dsplay=dsplay
fi

if [ -n "${DSPLAY_SHARDS:-}" ]; then
    dir=$DSPLAY_SHARDS
    mkdir -p "$dir" || exit 2
    rm -f "$dir"/shard-*.jsonl "$dir"/shard-*.log
else
    dir=$(mktemp -d) || exit 2
    trap 'rm -rf "$dir"' EXIT
fi

pids=()
for ((k = 0; k < n; k++)); do
    # --jobs 1 comes first so that one given in SWEEP-ARGS wins; --shard and --format last.
    "$dsplay" sweep --jobs 1 "$@" --shard "$k/$n" --format jsonl \
        >"$dir/shard-$k.jsonl" 2>"$dir/shard-$k.log" &
    pids+=($!)
done

failed=0
for ((k = 0; k < n; k++)); do
    wait "${pids[$k]}"
    status=$?
    # 0, 1 (a violation) and 3 (an internal error at some seed) leave a complete output for
    # the merge to report on; anything else (2: a bad argument) is a failure of the shard.
    case $status in
    0 | 1 | 3) ;;
    *)
        if [ "$failed" -eq 0 ]; then
            echo "shard $k/$n failed (exit status $status):" >&2
            grep -v '^sweep ' "$dir/shard-$k.log" >&2
            failed=$status
        fi
        ;;
    esac
done
[ "$failed" -eq 0 ] || exit "$failed"

files=()
for ((k = 0; k < n; k++)); do
    files+=("$dir/shard-$k.jsonl")
done
"$dsplay" merge "${files[@]}"
