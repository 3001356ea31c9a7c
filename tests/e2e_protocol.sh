#!/usr/bin/env bash
# e2e_protocol.sh GNBENCH: the comparison protocol end to end.
#   - validation split: traces gain val_loss (and val_accuracy for
#     classification), runs.csv the final/best validation values;
#   - targets on any metric: train.target {metric, value}; reached,
#     time_to_target_s and iterations_to_target agree with the trace;
#   - learning-rate schedules: the trace's lr follows warmup + cosine;
#   - input errors of these settings: exit 2 naming the file, line and key.
# usage: e2e_protocol.sh GNBENCH
set -u
gnbench=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: the tests cd
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BLIS_NUM_THREADS=1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
cd "$work"

# ---- validation, targets, schedules ----
cat > v.yaml <<'EOF'
name: v
seeds: [1, 2]
dataset: {name: teacher, n_train: 60, n_test: 20, dim: 4, validation: 0.25}
model: {depth: 1, width: 8}
train: {iterations: 20, eval_every: 5, target: {metric: val_loss, value: 0.3},
        lr_schedule: cosine, warmup: 2}
optimizers:
  - {name: sgd, lr: 0.1}
  - {name: ggn, lr: 1.0, damping: 1.0e-3}
EOF
"$gnbench" run v.yaml --out r --no-plot --threads 1 2>run.log
rc=$?
check "run with a validation split exits 0 (exit $rc)" '[ $rc -eq 0 ]'
python3 - r <<'PY'
import csv, glob, math, sys
res = sys.argv[1]
rows = list(csv.DictReader(open(f"{res}/runs.csv")))
ok = fail = 0
def check(what, cond):
    global ok, fail
    print(("ok - " if cond else "not ok - ") + what)
    if cond: ok += 1
    else: fail += 1
check("4 runs", len(rows) == 4)
for r in rows:
    tr = list(csv.DictReader(open(f"{res}/traces/{r['run_id']}.csv")))
    rid = r["run_id"]
    check(f"{rid}: the trace has val_loss", "val_loss" in tr[0])
    check(f"{rid}: no val_accuracy for a regression loss", "val_accuracy" not in tr[0])
    val = [float(t["val_loss"]) for t in tr]
    check(f"{rid}: final_val_loss is the last row's", float(r["final_val_loss"]) == val[-1])
    check(f"{rid}: best_val_loss is the smallest", float(r["best_val_loss"]) == min(val))
    check(f"{rid}: the target is recorded",
          r["target_metric"] == "val_loss" and float(r["target_value"]) == 0.3)
    first = next((t for t in tr if float(t["val_loss"]) <= 0.3), None)
    if first is None:
        check(f"{rid}: not reached: reached=false, empty times",
              r["reached"] == "false" and r["time_to_target_s"] == "" and r["iterations_to_target"] == "")
    else:
        check(f"{rid}: reached at the first row at or below the target",
              r["reached"] == "true" and int(r["iterations_to_target"]) == int(first["iteration"])
              and float(r["time_to_target_s"]) == float(first["wall_s"]))
    check(f"{rid}: eval_s is recorded apart from wall_s", float(r["eval_s"]) > 0)
    # lr: warmup over 2 steps, then cosine over the 18 others; the row at
    # iteration i reports the step i-1
    lr0 = float(r["opt.lr"])
    for t in tr[1:]:
        k = int(t["iteration"]) - 1
        f = (k + 1) / 2 if k < 2 else 0.5 * (1 + math.cos(math.pi * (k - 2) / 18))
        check(f"{rid}: lr at step {k} is lr * {f:.4f}", abs(float(t["lr"]) - lr0 * f) <= 1e-12 * lr0)
reached = [r for r in rows if r["reached"] == "true"]
check("some runs reach the target and some do not", 0 < len(reached) < len(rows))
sys.exit(1 if fail else 0)
PY
check "runs.csv and the traces agree on validation, target and schedule" '[ $? -eq 0 ]'

# classification: val_accuracy, and a target on it
cat > c.yaml <<'EOF'
name: c
dataset: {name: digits, validation: 300}
model: {depth: 1, width: 16}
loss: xent
train: {iterations: 6, eval_every: 3, batch: 100, target_metric: val_accuracy, target: 0.2}
optimizers:
  - {name: adam, lr: 0.01}
EOF
if "$gnbench" check c.yaml >/dev/null 2>&1; then
  "$gnbench" run c.yaml --out rc --no-plot --threads 1 2>/dev/null
  check "a classification run with validation exits 0" '[ $? -eq 0 ]'
  t=$(ls rc/traces/*.csv | head -1)
  check "its trace has val_accuracy" 'head -1 "$t" | grep -q "val_accuracy"'
  check "runs.csv has final_val_accuracy filled" \
    'python3 -c "import csv,sys; r=next(csv.DictReader(open(\"rc/runs.csv\"))); sys.exit(0 if 0<=float(r[\"final_val_accuracy\"])<=1 and r[\"reached\"] in (\"true\",\"false\") else 1)"'
else
  echo "# skipped the classification case: the digits dataset is not installed"
fi

# ---- input errors ----
bad_case() { # name, expected text, yaml
  want=$2
  printf '%s\n' "$3" > bad.yaml
  out=$("$gnbench" check bad.yaml 2>&1); rc=$?
  check "$1: exit 2 (exit $rc)" '[ $rc -eq 2 ]'
  check "$1: says '$want' ($out)" '[[ "$out" == *"$want"* ]]'
}
base='name: b
dataset: {name: teacher, n_train: 40}
optimizers: [{name: sgd}]'
bad_case "validation target without a split" "bad.yaml:4: train.target_metric" \
"$base
train: {target_metric: val_loss,
        target: 0.1}"
bad_case "target map with an unknown key" "bad.yaml:4: train.target.metrc: unknown key" \
"$base
train: {target: {metrc: val_loss, value: 1}}"
bad_case "unknown metric" "train.target.metric" \
"$base
train: {target: {metric: test_loss, value: 1}}"
bad_case "a fractional warmup in steps" "bad.yaml:4: train.warmup" \
"$base
train: {warmup: 2.5}"
bad_case "an unknown schedule" "train.lr_schedule" \
"$base
train: {lr_schedule: step}"
bad_case "validation as large as the training set" "bad.yaml:2: dataset.validation" \
'name: b
dataset: {name: teacher, n_train: 40, validation: 40}
optimizers: [{name: sgd}]'
bad_case "target and target_loss both" "bad.yaml:4: train.target" \
"$base
train: {target: 0.1, target_loss: 0.2}"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
