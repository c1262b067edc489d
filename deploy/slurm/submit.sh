#!/bin/bash
# Submit a dsplay sweep split over N Slurm array tasks, and its merge once they have ended.
#
#   deploy/slurm/submit.sh N RESULTS SWEEP-ARGS...
#   deploy/slurm/submit.sh 16 sweeps/lease --algo locks --seeds 0..1000000 \
#       --params '{"variant": "lease"}' --faults pauses
#
# RESULTS (a new or empty directory on a file system every node sees) receives
# shard-K.jsonl, failures/ (scenarios reproducing failing seeds) and summary.txt. The
# dsplay binary is $DSPLAY if set, else `dsplay` on the PATH of the nodes.
set -eu
if [ $# -lt 3 ]; then
    echo "usage: $0 N RESULTS SWEEP-ARGS...   (e.g. $0 16 sweeps/run-1 --algo raft --seeds 0..100000)" >&2
    exit 2
fi
n=$1
results=$2
shift 2
case $n in
'' | *[!0-9]* | 0) echo "$0: N must be a whole number of at least 1 (got $n)" >&2 && exit 2 ;;
esac
mkdir -p "$results"
if compgen -G "$results/shard-*" >/dev/null; then
    echo "$0: $results already holds shards of a sweep: use a new directory" >&2
    exit 2
fi
results=$(cd "$results" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

# sbatch passes the environment on, DSPLAY included.
array=$(sbatch --parsable --array="0-$((n - 1))" "$here/sweep.sbatch" "$results" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterany:$array" "$here/merge.sbatch" "$results")
merge=${merge%%;*}
echo "sweep: job array $array ($n shards); merge: job $merge"
echo "summary, once done: $results/summary.txt"
