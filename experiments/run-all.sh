#!/usr/bin/env bash
# Runs every experiment file in experiments/ with gnbench.
# usage: run-all.sh GNBENCH SOURCE_ROOT [--quick] [extra gnbench run options]
set -u
gnbench=$1; root=$2; shift 2
status=0
for f in "$root"/experiments/*.yaml; do
  name=$(basename "$f" .yaml)
  echo "== $name" >&2
  "$gnbench" run "$f" --out "$root/results/$name" --plots "$root/plots/$name" "$@" || status=1
done
exit $status
