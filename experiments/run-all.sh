#!/usr/bin/env bash
# Runs every experiment file in experiments/ with gnbench, and prints the
# summary (gnbench summarize) of each protocol experiment.
# usage: run-all.sh GNBENCH SOURCE_ROOT [--quick] [extra gnbench run options]
#
# Runs use one BLAS thread each and two at a time (GNBENCH_JOBS, default 2):
# on a 2-core machine that keeps both cores busy without OpenMP threads
# spinning against each other, which wrecks step times when the machine is
# loaded. Every run of a sweep gets the same treatment, so ratios within an
# experiment stay fair; bench/ has the dedicated timing benchmarks.
#
# Quick results go to results/quick/<name> and plots/quick/<name>, full ones
# to results/<name> and plots/<name>: a results folder holds one grid, and
# gnbench refuses to mix the two in one folder.
set -u
gnbench=$1; root=$2; shift 2
jobs=${GNBENCH_JOBS:-2}
sub=""
for a in "$@"; do [ "$a" = "--quick" ] && sub="quick/"; done
status=0
for f in "$root"/experiments/*.yaml; do
  name=$(basename "$f" .yaml)
  echo "== $name" >&2
  "$gnbench" run "$f" --out "$root/results/$sub$name" --plots "$root/plots/$sub$name" \
    --threads 1 --jobs "$jobs" "$@" || status=1
  # a protocol experiment answers its question in its summary
  if grep -q '^protocol:' "$f"; then
    "$gnbench" summarize "$root/results/$sub$name" >&2 || status=1
  fi
done
exit $status
