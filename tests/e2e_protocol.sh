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
# what the Python checks below share (imported from the working folder)
cat > pycheck.py <<'PY'
"""check(what, cond) prints a TAP line; done() exits 1 when a check failed."""
import sys

failed = 0


def check(what, cond):
    global failed
    print(("ok - " if cond else "not ok - ") + what)
    failed += not cond


def done():
    sys.exit(1 if failed else 0)
PY

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
from pycheck import check, done
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
done()
PY
check "runs.csv and the traces agree on validation, target and schedule" '[ $? -eq 0 ]'

python3 - r <<'PY'
import csv, math, sys
res = sys.argv[1]
bad = 0
for r in csv.DictReader(open(f"{res}/runs.csv")):
    tr = list(csv.DictReader(open(f"{res}/traces/{r['run_id']}.csv")))
    x = [float(t["iteration"]) for t in tr]
    y = [math.log(float(t["train_loss"])) for t in tr]
    mx, my = sum(x) / len(x), sum(y) / len(y)
    b = sum((a - mx) * (c - my) for a, c in zip(x, y)) / sum((a - mx) ** 2 for a in x)
    q = float(r["loss_contraction"])
    if abs(q - math.exp(b)) > 1e-12 * q:
        print(f"# {r['run_id']}: loss_contraction {q}, fit of the trace {math.exp(b)}")
        bad += 1
sys.exit(1 if bad else 0)
PY
check "loss_contraction is exp of the slope of log train_loss over the trace" '[ $? -eq 0 ]'

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

# ---- tuning studies: straight through, interrupted, sharded ----
. "$(dirname "$0")/hold.sh"
cat > t.yaml <<'EOF'
name: t
dataset: {name: teacher, n_train: 80, n_test: 20, dim: 4, validation: 0.25}
model: {depth: 1, width: 8}
train: {iterations: 20, eval_every: 5, target: {metric: val_loss, value: 0.3}}
protocol: {trials: 4, confirm_seeds: 2, select: final_val_loss}
optimizers:
  - {name: sgd, tune: {lr: {log_uniform: [0.01, 1]}, momentum: [0, 0.9]}}
  - {name: adam, tune: {lr: {log_uniform: [1.0e-3, 0.1]}}}
  - {name: ggn, tune: {damping: [1.0e-3, 1.0e-1]}}
EOF
"$gnbench" run t.yaml --out straight --no-plot --threads 1 2>straight.log
rc=$?
check "a protocol sweep exits 0 (exit $rc)" '[ $rc -eq 0 ]'
check "it says the studies chose their configurations" 'grep -q "chose their configurations; 6 confirmation runs" straight.log'
python3 - straight <<'PY'
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/runs.csv")))
man = dict(csv.reader(open(f"{sys.argv[1]}/manifest.csv")))
from pycheck import check, done
tune = [r for r in rows if r["phase"] == "tune"]
conf = [r for r in rows if r["phase"] == "confirm"]
check("4 + 4 + 2 trials on seed 1000", len(tune) == 10 and all(r["seed"] == "1000" for r in tune))
check("trials numbered 0.. per optimizer",
      all(sorted(int(r["trial"]) for r in tune if r["optimizer"] == o) == list(range(n))
          for o, n in (("sgd", 4), ("adam", 4), ("ggn", 2))))
check("2 confirmation seeds per optimizer, paired (1 and 2)",
      sorted((r["optimizer"], r["seed"]) for r in conf) ==
      sorted((o, s) for o in ("sgd", "adam", "ggn") for s in ("1", "2")))
for o in ("sgd", "adam", "ggn"):
    t = [r for r in tune if r["optimizer"] == o]
    best = min(t, key=lambda r: (float(r["final_val_loss"]), int(r["trial"])))
    c = [r for r in conf if r["optimizer"] == o]
    check(f"{o}: the confirmed configuration is the trial with the lowest final_val_loss",
          len(c) == 2 and all(r["config_id"] == best["config_id"] and r["trial"] == "" for r in c))
    keys = [k for k in best if k.startswith("opt.")]
    check(f"{o}: confirmation runs use the chosen hyperparameters",
          all(all(r[k] == best[k] for k in keys) for r in c))
check("the manifest records the protocol",
      man.get("protocol_select") == "final_val_loss" and man.get("protocol_trials") == "4"
      and man.get("trials_ggn") == "2" and man.get("target_metric") == "val_loss")
done()
PY
check "trials and confirmation runs are what the protocol says" '[ $? -eq 0 ]'
"$gnbench" run t.yaml --out straight --no-plot --threads 1 2>again.log
check "a finished protocol sweep resumes with nothing to do" 'grep -q "16 runs, 0 to do" again.log'
"$gnbench" summarize straight --format csv >/dev/null 2>&1
check "summarize writes summary.csv" '[ -f straight/summary.csv ]'

# two labelled entries of one optimizer: two methods, tuned, confirmed and
# summarized apart (runs.csv's label column, the manifest's trials_<label>)
cat > lab.yaml <<'EOF'
name: lab
dataset: {name: teacher, n_train: 80, n_test: 20, dim: 4, validation: 0.25}
model: {depth: 1, width: 8}
train: {iterations: 20, eval_every: 5}
protocol: {trials: 3, confirm_seeds: 2, select: final_val_loss}
optimizers:
  - {name: sgd, label: "SGD, plain", momentum: 0, tune: {lr: {log_uniform: [0.01, 1]}}}
  - {name: sgd, label: "SGD, heavy ball", momentum: 0.9, trials: 2,
     tune: {lr: {log_uniform: [0.01, 1]}}}
EOF
"$gnbench" run lab.yaml --out lab --no-plot --threads 1 2>lab.log; rc=$?
check "a protocol of two labelled sgd entries runs (exit $rc)" '[ $rc -eq 0 ]'
"$gnbench" summarize lab --format csv >/dev/null 2>&1
python3 - lab <<'PY'
import csv, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/runs.csv")))
man = dict(csv.reader(open(f"{d}/manifest.csv")))
summ = list(csv.DictReader(open(f"{d}/summary.csv")))
from pycheck import check, done
lab = lambda l, ph: [r for r in rows if r["label"] == l and r["phase"] == ph]
best = lambda l: min(lab(l, "tune"), key=lambda r: (float(r["final_val_loss"]), int(r["trial"])))
check("3 + 2 trials under their labels, all sgd",
      len(lab("SGD, plain", "tune")) == 3 and len(lab("SGD, heavy ball", "tune")) == 2
      and all(r["optimizer"] == "sgd" for r in rows))
check("each label confirms its own best trial on seeds 1 and 2",
      all(sorted(r["seed"] for r in lab(l, "confirm")) == ["1", "2"]
          and {r["config_id"] for r in lab(l, "confirm")} == {best(l)["config_id"]}
          for l in ("SGD, plain", "SGD, heavy ball")))
check("the momentum of each label's runs is its entry's",
      all(r["opt.momentum"] == ("0" if r["label"] == "SGD, plain" else "0.9") for r in rows))
check("the manifest has a budget per label",
      man.get("trials_SGD, plain") == "3" and man.get("trials_SGD, heavy ball") == "2 (set by the entry)")
check("summary.csv has a row per label with its budget",
      [(r["label"], r["trials"], r["trials_budget"], r["runs"]) for r in summ] ==
      [("SGD, plain", "3", "3", "2"), ("SGD, heavy ball", "2", "2", "2")])
done()
PY
check "labelled entries are two methods end to end" '[ $? -eq 0 ]'
# a label names the method, not the run: renamed, the finished runs take the
# new name on resume (nothing is rerun); a table from before the label
# column gets the labels back
sed -i 's/"SGD, heavy ball"/"SGD, momentum 0.9"/' lab.yaml
python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), [k for k in rows[0] if k != "label"],
                   extrasaction="ignore", lineterminator="\n")
w.writeheader()
w.writerows(rows)' lab/runs.csv
"$gnbench" run lab.yaml --out lab --no-plot --threads 1 2>lab2.log; rc=$?
labels() { python3 -c 'import csv, sys; print(sorted(set((r["label"], r["opt.momentum"]) for r in csv.DictReader(open(sys.argv[1])))))' "$1"; }
check "renamed labels and a table without the column: resumed with nothing to do, the labels of now (exit $rc)" \
  '[ $rc -eq 0 ] && grep -q "0 to do" lab2.log &&
   [ "$(labels lab/runs.csv)" = "[('"'"'SGD, momentum 0.9'"'"', '"'"'0.9'"'"'), ('"'"'SGD, plain'"'"', '"'"'0'"'"')]" ]'

# the chosen configurations and the runs of a folder (optimizer and
# config_id of the confirmation runs; every run id; all ok)
chosen() {
  python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/runs.csv")))
print(sorted({(r["optimizer"], r["config_id"]) for r in rows if r["phase"] == "confirm"}),
      sorted(r["run_id"] for r in rows), all(r["status"] == "ok" for r in rows))' "$1"
}
want=$(chosen straight)
# interrupted in the trials (a held adam trial), then in the confirmation
# runs (ggn's confirmation rows removed from a finished folder, its seed 2
# held); each resumed
for pattern in 'adam-s1000-*' 'ggn-s2-*'; do
  rm -rf held
  if [ "$pattern" = 'ggn-s2-*' ]; then
    cp -r straight held
    python3 - held <<'PY'
import csv, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/runs.csv")))
keep = [r for r in rows if not (r["phase"] == "confirm" and r["optimizer"] == "ggn")]
w = csv.DictWriter(open(f"{d}/runs.csv", "w", newline=""), fieldnames=list(rows[0].keys()))
w.writeheader()
w.writerows(keep)
PY
  fi
  hold_open "$work/hold.fifo"
  GNBENCH_TEST_HOLD="$work/hold.fifo" GNBENCH_TEST_HOLD_RUNS="$pattern" \
    "$gnbench" run t.yaml --out held --no-plot --threads 1 --jobs 1 2>held.log &
  pid=$!
  run=$(hold_wait)
  check "a run is held ($run)" '[[ $run == ${pattern%\*}* ]]'
  kill -TERM $pid
  wait $pid; rc=$?
  exec 3>&-
  check "SIGTERM ends the protocol sweep with 143 (got $rc)" '[ $rc -eq 143 ]'
  "$gnbench" run t.yaml --out held --no-plot --threads 1 2>held2.log; rc=$?
  check "the resumed study exits 0 (exit $rc)" '[ $rc -eq 0 ]'
  got=$(chosen held)
  check "interrupted at $pattern and resumed: the same choices and runs as straight through" \
    '[ "$got" = "$want" ]'
done
# sharded: the last shard merges the trials, a plain run confirms
for k in 1 2; do
  "$gnbench" run t.yaml --out sharded --no-plot --threads 1 --shard $k/2 2>shard$k.log
done
check "the shards say the confirmation follows the merge" 'grep -q "again without --shard" shard2.log'
"$gnbench" run t.yaml --out sharded --no-plot --threads 1 2>sharded.log; rc=$?
check "the run after the merge confirms (exit $rc)" '[ $rc -eq 0 ] && grep -q "6 to do" sharded.log'
got=$(chosen sharded)
check "sharded then merged: the same choices and runs as straight through" '[ "$got" = "$want" ]'

# Slurm: a third job (after the merge) runs the confirmation; with a
# stand-in sbatch that runs each job at once, the folder equals the
# straight-through one
. "$(dirname "$0")/sbatch.sh"
sbatch_standin bin
"$gnbench" slurm t.yaml --array-size 2 --threads 1 --out "$work/slurm" --plots "$work/slurm-plots" \
  >submit.sh 2>/dev/null
check "the Slurm script of a protocol is valid bash with a confirmation job" \
  'bash -n submit.sh && grep -q -- "-confirm --dependency=afterok:\"\$merge_job\"" submit.sh'
SBATCH_LOG=$work/sbatch.log PATH=$work/bin:$PATH bash submit.sh >submit.out 2>&1; rc=$?
check "it submits three jobs (exit $rc)" '[ $rc -eq 0 ] && [ $(wc -l < sbatch.log) -eq 3 ]'
got=$(chosen slurm)
check "run under Slurm: the same choices and runs as straight through" '[ "$got" = "$want" ]'

# two studies that choose the same configuration share its confirmation
# runs (run once, under the first study); both studies' summaries count them
cat > st.yaml <<'EOF'
name: st
dataset: {name: teacher, n_train: 80, n_test: 20, dim: 4, validation: 0.25}
model: {depth: 1, width: 8}
train: {iterations: 20, eval_every: 5, target: {metric: val_loss, value: 0.3}}
protocol: {trials: 3, confirm_seeds: 2, studies: 2, select: final_val_loss}
optimizers:
  - {name: sgd, tune: {lr: {log_uniform: [0.01, 1]}}}
  - {name: ggn}
EOF
"$gnbench" run st.yaml --out st --no-plot --threads 1 2>/dev/null
"$gnbench" summarize st --format csv >/dev/null 2>&1
check "two studies of one configuration: both summary rows count its 2 confirmation runs" \
  'python3 -c "
import csv, sys
rows = [r for r in csv.DictReader(open(\"st/summary.csv\")) if r[\"optimizer\"] == \"ggn\"]
sys.exit(0 if sorted(r[\"study\"] for r in rows) == [\"0\", \"1\"] and all(r[\"runs\"] == \"2\" for r in rows) else 1)"'

# ---- protocol.target: auto ----
cat > auto.yaml <<'EOF'
name: auto
dataset: {name: teacher, n_train: 80, n_test: 20, dim: 4, validation: 0.25}
model: {depth: 1, width: 8}
train: {iterations: 20, eval_every: 5, target_metric: val_loss}
protocol: {trials: 4, confirm_seeds: 3, target: auto}
optimizers:
  - {name: sgd, tune: {lr: {log_uniform: [0.01, 1]}, momentum: [0, 0.9]}}
  - {name: adam, tune: {lr: {log_uniform: [1.0e-3, 0.1]}}}
  - {name: ggn, tune: {damping: [1.0e-3, 1.0e-1]}}
EOF
"$gnbench" run auto.yaml --out auto --no-plot --threads 1 2>auto.log; rc=$?
check "a protocol with an automatic target exits 0 (exit $rc)" '[ $rc -eq 0 ]'
check "it says the baselines set the target" 'grep -q "the tuned baselines (sgd adam) set the target: val_loss" auto.log'
python3 - auto <<'PY'
import csv, statistics, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/runs.csv")))
man = dict(csv.reader(open(f"{d}/manifest.csv")))
from pycheck import check, done
conf = lambda o: [r for r in rows if r["phase"] == "confirm" and r["optimizer"] == o]
tune = lambda o: [r for r in rows if r["phase"] == "tune" and r["optimizer"] == o]
# the baselines are chosen by final validation loss, then set the target
for o in ("sgd", "adam"):
    best = min(tune(o), key=lambda r: (float(r["final_val_loss"]), int(r["trial"])))
    check(f"{o} (a baseline) is confirmed at its lowest final_val_loss trial",
          {r["config_id"] for r in conf(o)} == {best["config_id"]} and len(conf(o)) == 3)
def best_val(r):
    return min(float(t["val_loss"]) for t in csv.DictReader(open(f"{d}/traces/{r['run_id']}.csv")))
target = min(statistics.median(best_val(r) for r in conf(o)) for o in ("sgd", "adam"))
check(f"the target is the better baseline's median best val_loss ({target})",
      abs(float(man["target_value"]) - target) <= 1e-12 * target and man["target_source"] == "auto")
# every tune and confirm row measured against it, from its trace
good = True
for r in rows:
    tr = list(csv.DictReader(open(f"{d}/traces/{r['run_id']}.csv")))
    first = next((t for t in tr if float(t["val_loss"]) <= target), None)
    want = ("false", "", "") if first is None else ("true", first["wall_s"], first["iteration"])
    got = (r["reached"], r["time_to_target_s"], r["iterations_to_target"])
    good &= got[0] == want[0] and float(r["target_value"]) == float(man["target_value"])
    if first is not None:
        good &= float(got[1]) == float(want[1]) and int(got[2]) == int(want[2])
check("every row's reached, time and iterations to target agree with its trace", good)
# the others are chosen by time to that target
t = tune("ggn")
reached = [r for r in t if r["reached"] == "true"]
pick = (min(reached, key=lambda r: (float(r["time_to_target_s"]), int(r["iterations_to_target"]),
                                    float(r["final_val_loss"]), int(r["trial"])))
        if reached else min(t, key=lambda r: (float(r["final_val_loss"]), int(r["trial"]))))
check("ggn is confirmed at its fastest trial to the target",
      {r["config_id"] for r in conf("ggn")} == {pick["config_id"]} and len(conf("ggn")) == 3)
done()
PY
check "the automatic target follows AlgoPerf's rule" '[ $? -eq 0 ]'
"$gnbench" run auto.yaml --out auto --no-plot --threads 1 2>auto2.log
check "it resumes with nothing to do" 'grep -q "19 runs, 0 to do" auto2.log'

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
bad_case "an automatic target with a given value" "bad.yaml:5: train.target.value: protocol.target is auto" \
'name: b
dataset: {name: teacher, n_train: 40, validation: 10}
protocol: {target: auto}
optimizers: [{name: sgd}]
train: {target: {metric: val_loss, value: 0.1}}'
bad_case "an automatic target without a metric" "bad.yaml:3: protocol.target: auto needs train.target_metric" \
'name: b
dataset: {name: teacher, n_train: 40, validation: 10}
protocol: {target: auto}
optimizers: [{name: sgd}]'
bad_case "an automatic target without a baseline" "none of them is an optimizer of this experiment" \
'name: b
dataset: {name: teacher, n_train: 40, validation: 10}
protocol: {target: auto}
train: {target_metric: val_loss}
optimizers: [{name: ggn}]'
bad_case "target and target_loss both" "bad.yaml:4: train.target" \
"$base
train: {target: 0.1, target_loss: 0.2}"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
