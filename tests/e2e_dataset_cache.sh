#!/usr/bin/env bash
# e2e_dataset_cache.sh GNBENCH: a sweep over the loss gives every run the
# targets its own loss asks for. The loaded datasets are cached across the
# runs of a sweep; the cache key must hold everything that changes what is
# loaded, the loss's target request included (square: values, standardized;
# xent: one-hot rows; bxent: values as given). Two sweeps:
#   classes.yaml  loss [square, xent] over tests/data/e2e/classes.csv (class
#                 indices 0..2 in one column);
#   binary.yaml   loss [square, xent, bxent] over the same inputs with a 0/1
#                 label, where all three encodings differ.
# Every run of a sweep must equal the same run alone: the same experiment
# with that run's loss only (so the same run id), run with `--only RUN_ID`
# into another folder; compared are its runs.csv results and dataset
# identity, and its trace apart from the timing columns. Before the fix the
# xent runs of a sweep trained on the square run's standardized column
# (training loss 0). (`--only` on the sweep's own file is not enough: every
# run's dataset is still prepared, so the same cache entry is reused.)
set -u
gnbench=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=${GN_TEST_DATA:-$(dirname "$0")/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BLIS_NUM_THREADS=1
cp "$data"/e2e/classes.csv "$work"/
cd "$work"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# label 0 -> 0, labels 1 and 2 -> 1
awk -F, -v OFS=, 'NR == 1 { print; next } { $4 = ($4 == 0 ? 0 : 1); print }' classes.csv >binary.csv

# experiment FILE NAME CSV LOSSES: writes FILE.yaml
experiment() {
  cat >"$1.yaml" <<EOF
name: $2
seeds: [1]
dataset: {name: csv, train: $3, target: [label]}
model: {depth: 1, width: 8}
loss: $4
train: {iterations: 6, batch: 16, eval_every: 2}
optimizers:
  - {name: sgd, lr: 0.1}
  - {name: adam}
EOF
}
experiment classes classes classes.csv "[square, xent]"
experiment binary binary binary.csv "[square, xent, bxent]"
for loss in square xent bxent; do
  experiment "classes-$loss" classes classes.csv "$loss"
  experiment "binary-$loss" binary binary.csv "$loss"
done

# same SWEEP_DIR ALONE_DIR RUN_ID: prints what differs between the run in
# the sweep and the run alone (nothing when they are equal).
same() {
  python3 - "$@" <<'PY'
import csv, sys
sweep, alone, rid = sys.argv[1:4]
keys = ["status", "loss", "iterations", "final_train_loss", "final_test_loss", "best_train_loss",
        "dataset_identity"]
def row(d):
    rows = [r for r in csv.DictReader(open(d + "/runs.csv")) if r["run_id"] == rid]
    return rows[0] if len(rows) == 1 else None
a, b = row(sweep), row(alone)
if a is None or b is None:
    sys.exit(print(f"{rid}: not exactly one row in {sweep if a is None else alone}/runs.csv"))
for k in keys:
    if a[k] != b[k]:
        print(f"{rid}: {k}: sweep {a[k]!r}, alone {b[k]!r}")
timing = {"wall_s", "t_forward", "t_curvature", "t_solve", "t_backward"}
def trace(d):
    rows = list(csv.reader(open(f"{d}/traces/{rid}.csv")))
    keep = [i for i, c in enumerate(rows[0]) if c not in timing]
    return [[r[i] for i in keep if i < len(r)] for r in rows]
ta, tb = trace(sweep), trace(alone)
if ta != tb:
    print(f"{rid}: trace differs: sweep {len(ta)} rows, alone {len(tb)}; first differing row:",
          next((x, y) for x, y in zip(ta + [None], tb + [None]) if x != y))
PY
}

for name in classes binary; do
  "$gnbench" run "$name.yaml" --out "$name" --no-plot --threads 1 --jobs 1 >"$name.log" 2>&1
  rc=$?
  check "$name: sweep runs (exit $rc)" '[ $rc -eq 0 ]'
  # "RUN_ID:LOSS" per run of the sweep
  runs=$(python3 -c 'import csv, sys
print(" ".join(r["run_id"] + ":" + r["loss"] for r in csv.DictReader(open(sys.argv[1] + "/runs.csv"))))' \
    "$name" 2>/dev/null)
  n=$(echo $runs | wc -w)
  want=$([ $name = classes ] && echo 4 || echo 6)
  check "$name: $want runs in the sweep (got $n)" '[ $n -eq $want ]'
  identities=$(grep -c '^dataset_identity' "$name/manifest.csv" 2>/dev/null)
  check "$name: the manifest records one dataset identity per loss ($identities)" \
    '[ "$identities" -eq $((want / 2)) ]'
  for run in $runs; do
    id=${run%%:*} loss=${run#*:}
    "$gnbench" run "$name-$loss.yaml" --only "$id" --out "alone-$id" --no-plot --threads 1 \
      --jobs 1 >"alone-$id.log" 2>&1
    rc=$?
    diffs=$(same "$name" "alone-$id" "$id" 2>&1)
    check "$name: $id in the sweep equals $id alone (exit $rc)${diffs:+: $diffs}" \
      '[ $rc -eq 0 ] && [ -z "$diffs" ]'
  done
done

# the xent runs learn from one-hot rows: a softmax over 3 (or 2) outputs,
# whose loss cannot be 0 after 6 steps
check "classes: xent runs have a positive training loss" \
  "python3 -c 'import csv, sys
sys.exit(any(r[\"loss\"] == \"xent\" and not float(r[\"final_train_loss\"]) > 0.1
             for r in csv.DictReader(open(\"classes/runs.csv\"))))'"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
