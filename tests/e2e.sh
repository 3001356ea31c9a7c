#!/usr/bin/env bash
# End-to-end tests of the gnbench program: list, check, run (files and
# columns the README names, PNG figures), paired seeds, resume, and input errors.
# usage: e2e.sh GNBENCH
set -u
gnbench=$1
data=${GN_TEST_DATA:-$(dirname "$0")/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
. "$(dirname "$0")/hold.sh"

export BLIS_NUM_THREADS=1
cp "$data"/e2e/* "$work"/
cd "$work"

# list
out=$("$gnbench" list optimizers)
check "list shows sgd, ggn, ggn-mb with hyperparameters" \
  '[[ $out == *"sgd"* && $out == *"ggn-mb"* && $out == *"opt.damping"* && $out == *"opt.momentum"* ]]'
"$gnbench" list bogus >/dev/null 2>&1; check "list of an unknown category exits 2" '[ $? -eq 2 ]'

# check
out=$("$gnbench" check tiny.yaml)
check "check expands 16 runs" '[[ $out == *"16 runs"* ]]'

# run
"$gnbench" run tiny.yaml --out res --plots figs --threads 1 2>run.log
rc=$?
check "run exits 0" '[ $rc -eq 0 ]'
check "results files exist" '[ -f res/runs.csv -a -f res/manifest.csv -a -f res/experiment.yaml ]'
check "experiment.yaml is the file as run" 'cmp -s res/experiment.yaml tiny.yaml'
head=$(head -1 res/runs.csv)
for col in run_id status optimizer seed model.width opt.lr train.batch iterations wall_s \
           step_s_median final_train_loss final_test_loss best_train_loss time_to_target_s \
           iterations_to_target peak_rss_mib message; do
  check "runs.csv has column $col" '[[ ",$head," == *",$col,"* ]]'
done
check "runs.csv has 16 rows" '[ $(($(wc -l < res/runs.csv) - 1)) -eq 16 ]'
check "every run ok" '[ $(grep -c ",ok," res/runs.csv) -eq 16 ]'
check "16 traces" '[ $(ls res/traces/*.csv | wc -l) -eq 16 ]'
t=$(ls res/traces/*.csv | head -1)
th=$(head -1 "$t")
for col in iteration epoch samples wall_s train_loss test_loss; do
  check "trace has column $col" '[[ ",$th," == *",$col,"* ]]'
done
check "trace rows at iterations 0,2,4,6" '[ "$(cut -d, -f1 "$t" | tail -n +2 | tr "\n" " ")" = "0 2 4 6 " ]'
# epoch is samples / n_train as a real number (12 training rows, batch 4:
# 8 samples after 2 steps is epoch 0.667, not 0).
mb=$(ls res/traces/ggn-mb-*.csv | head -1)
epochs=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { e = $c["epoch"]; s = $c["samples"]; if (e * 12 - s > 1e-6 || s - e * 12 > 1e-6) bad = 1
    printf "%s ", e } END { exit bad }' "$mb")
erc=$?
check "trace epoch is samples / n_train, fractional (got $epochs)" \
  '[ $erc -eq 0 ] && [[ "$epochs" == "0 0.666"* ]]'
for key in gnbench_version git_revision command_line start_time end_time cpu_model cores \
           blis_version blis_arch vector_math blas_threads jobs compiler; do
  check "manifest has $key" 'grep -q "^$key," res/manifest.csv'
done
arch=$(grep '^blis_arch,' res/manifest.csv | cut -d, -f2)
if grep -qw avx2 /proc/cpuinfo; then
  check "BLIS does not run generic kernels on an AVX2 CPU (got $arch)" '[ "$arch" != generic ]'
fi
for f in loss final; do
  check "figure $f.png is a PNG" '[ "$(head -c 8 figs/$f.png | od -An -tx1 | tr -d " \n")" = 89504e470d0a1a0a ]'
  check "figure $f has its script and data" '[ -f figs/$f.gp -a -f figs/$f.dat ]'
done

check "figure where: only the selected runs are drawn" \
  'grep -q "opt.lr=0.1" figs/sgd-only.dat && ! grep -qE "ggn|width=16" figs/sgd-only.dat'

# paired seeds: every optimizer starts from the same loss for a given seed and width
python3 - res <<'PY' && ok "paired seeds give identical initial losses" || bad "paired seeds give identical initial losses"
import csv, sys, collections
d = sys.argv[1]
first = collections.defaultdict(set)
for r in csv.DictReader(open(f"{d}/runs.csv")):
    t = list(csv.DictReader(open(f"{d}/traces/{r['run_id']}.csv")))
    first[(r["seed"], r["model.width"])].add(t[0]["train_loss"])
sys.exit(0 if all(len(v) == 1 for v in first.values()) and len(first) == 4 else 1)
PY

# every registered optimizer runs from an experiment file on a regression
# task and on a classification task (xent where supported, square loss on
# one-hot targets for the square-only ones)
for f in family family-xent family-onehot; do
  "$gnbench" run $f.yaml --out fam-$f --no-plot --threads 1 2>/dev/null; rc=$?
  check "$f: exit 0" '[ $rc -eq 0 ]'
done
python3 - <<'PY' && ok "every optimizer ran ok on regression and classification" || bad "every optimizer ran ok on regression and classification"
import csv, sys
reg = {r["optimizer"]: r["status"] for r in csv.DictReader(open("fam-family/runs.csv"))}
cls = {r["optimizer"]: r["status"] for r in csv.DictReader(open("fam-family-xent/runs.csv"))}
cls.update({r["optimizer"]: r["status"] for r in csv.DictReader(open("fam-family-onehot/runs.csv"))})
want = {"sgd", "adam", "ggn", "ggn-mb", "sgn", "ngd", "dgn", "lm", "kfac"}
sys.exit(0 if set(reg) == want == set(cls) and all(v == "ok" for v in list(reg.values()) + list(cls.values())) else 1)
PY
t=$(ls fam-family-xent/traces/*.csv | head -1)
check "classification traces have test_accuracy" 'head -1 "$t" | grep -q test_accuracy'
out=$("$gnbench" list optimizers)
for o in sgd adam ggn ggn-mb sgn ngd dgn lm kfac; do
  check "list optimizers shows $o" 'grep -qE "^  $o " <<<"$out"'
done

# resume: a second run has nothing to do and keeps the rows
cp res/runs.csv runs.before
"$gnbench" run tiny.yaml --out res --plots figs --threads 1 2>resume.log
check "resume runs nothing" 'grep -q "0 to do" resume.log'
check "resume keeps runs.csv" 'cmp -s res/runs.csv runs.before'
rm res/traces/$(sed -n 2p res/runs.csv | cut -d, -f1).csv
"$gnbench" run tiny.yaml --out res --plots figs --threads 1 2>resume2.log
check "a missing trace is rerun" 'grep -q "1 to do" resume2.log'
check "and runs.csv has 16 rows again" '[ $(($(wc -l < res/runs.csv) - 1)) -eq 16 ]'

# jobs
"$gnbench" run tiny.yaml --out res2 --no-plot --jobs 2 --threads 1 2>/dev/null
python3 - res res2 <<'PY' && ok "--jobs 2 gives the same losses" || bad "--jobs 2 gives the same losses"
import csv, sys
a, b = ({r["run_id"]: (r["status"], r["final_train_loss"]) for r in csv.DictReader(open(f"{d}/runs.csv"))} for d in sys.argv[1:3])
sys.exit(0 if a == b and len(a) == 16 else 1)
PY

# determinism: the same file, seeds and threads give bit-identical traces
# (timing columns aside)
python3 - res res2 <<'PY' && ok "traces are bit-identical across runs (timing aside)" || bad "traces are bit-identical across runs (timing aside)"
import csv, os, sys
a, b = sys.argv[1:3]
timing = {"wall_s", "t_forward", "t_curvature", "t_solve", "t_backward"}
names = sorted(os.listdir(f"{a}/traces"))
assert names == sorted(os.listdir(f"{b}/traces")) and len(names) == 16
for n in names:
    ra = list(csv.DictReader(open(f"{a}/traces/{n}")))
    rb = list(csv.DictReader(open(f"{b}/traces/{n}")))
    assert len(ra) == len(rb)
    for x, y in zip(ra, rb):
        for k in x:
            if k not in timing and x[k] != y[k]:
                sys.exit(1)
PY

# plot re-renders from a results folder
rm -f figs/*.png
"$gnbench" plot res --plots figs --format svg 2>/dev/null
check "plot renders svg" 'grep -q "<svg" figs/loss.svg'

# interruption: SIGTERM ends the sweep with 143, keeps what finished, and the
# same command resumes to a complete, duplicate-free table. One run at a time,
# the last one held at the test stop point: when it reports, the five before
# it have finished and their rows are written, and the sweep is certainly
# still running.
hold_open "$work/hold.fifo"
GNBENCH_TEST_HOLD="$work/hold.fifo" GNBENCH_TEST_HOLD_RUNS='ggn-mb-s3-*' \
  "$gnbench" run slow.yaml --out slow --no-plot --threads 1 --jobs 1 2>slow.log &
pid=$!
held=$(hold_wait)
check "the last run is held while the sweep runs ($held)" '[[ $held == ggn-mb-s3-* ]]'
check "the five runs before it are recorded" '[ $(grep -c ",ok," slow/runs.csv) -eq 5 ]'
kill -TERM $pid
wait $pid; rc=$?
check "SIGTERM exits 143 (got $rc)" '[ $rc -eq 143 ]'
check "interrupted table is readable" 'python3 -c "import csv,sys; list(csv.DictReader(open(\"slow/runs.csv\")))"'
check "the held run is recorded as interrupted" 'grep "^ggn-mb-s3-" slow/runs.csv | grep -q ",error,.*interrupted ("'
"$gnbench" run slow.yaml --out slow --no-plot --threads 1 2>slow2.log; rc=$?
check "resume after SIGTERM completes, redoing only the interrupted run" '[ $rc -eq 0 ] && grep -q "1 to do" slow2.log'
python3 - slow <<'PY' && ok "resumed table has every run once, all ok" || bad "resumed table has every run once, all ok"
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/runs.csv")))
ids = [r["run_id"] for r in rows]
sys.exit(0 if len(ids) == 6 and len(set(ids)) == 6 and all(r["status"] == "ok" for r in rows) else 1)
PY

# input errors: exit 2 with file:line, and nothing written
printf 'name: broken\nseeds: [1]\ndataset: {name: csv, train: train.csv}\nmodel: {width: wide}\noptimizers: [{name: sgd}]\n' > broken.yaml
msg=$("$gnbench" run broken.yaml --out broken-res 2>&1); rc=$?
check "bad value exits 2" '[ $rc -eq 2 ]'
check "bad value names file, line and key ($msg)" '[[ $msg == *"broken.yaml:4"* && $msg == *"model.width"* ]]'
check "no results folder for a refused file" '[ ! -e broken-res ]'
printf 'name: nofile\ndataset: {name: csv, train: missing.csv}\noptimizers: [{name: sgd}]\n' > nofile.yaml
msg=$("$gnbench" run nofile.yaml --out nofile-res 2>&1); rc=$?
check "missing dataset file exits 2 ($msg)" '[ $rc -eq 2 -a ! -e nofile-res ]'
"$gnbench" run >/dev/null 2>&1; check "run without a file exits 2" '[ $? -eq 2 ]'
"$gnbench" run tiny.yaml --jobs zero >/dev/null 2>&1; check "bad --jobs exits 2" '[ $? -eq 2 ]'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
