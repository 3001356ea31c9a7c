#!/usr/bin/env bash
# End-to-end tests of MPI sweeps (docs/SCALING.md): `mpirun -n 3 gnbench
# run` (rank 0 schedules and writes, ranks 1 and 2 run) reproduces a
# single-process sweep (same run ids in the same order, same losses, traces
# identical with the timing columns aside), records the rank layout, resumes,
# combines with --shard, survives a run's process crashing inside a rank
# (an error row, the rank goes on, a rerun redoes it) and an interruption.
# Skipped (exit 77) when gnbench was built without MPI or mpirun is missing;
# then it checks that such a gnbench refuses to run under a launcher.
# usage: e2e_mpi.sh GNBENCH
set -u
gnbench=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: the tests cd
data=${GN_TEST_DATA:-$(dirname "$0")/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
. "$(dirname "$0")/hold.sh"

export BLIS_NUM_THREADS=1
cp "$data"/shard/* "$work"/
cd "$work"

if ! "$gnbench" --version | grep -q "^mpi: yes"; then
  # what a user sees when starting a gnbench without MPI under mpirun
  msg=$(OMPI_COMM_WORLD_SIZE=3 OMPI_COMM_WORLD_RANK=0 "$gnbench" run grid.yaml --out x 2>&1); rc=$?
  check "without MPI, a run under a launcher exits 2 and says why" \
    '[ $rc -eq 2 ] && [[ $msg == *"built without MPI"* ]] && [ ! -e x ]'
  OMPI_COMM_WORLD_SIZE=3 OMPI_COMM_WORLD_RANK=1 "$gnbench" run grid.yaml --out x >rank1.log 2>&1; rc=$?
  check "only rank 0 says it" '[ $rc -eq 2 ] && [ ! -s rank1.log ]'
  echo "$pass passed, $fail failed"
  [ $fail -eq 0 ] || exit 1
  echo "SKIP: gnbench was built without MPI (install libopenmpi-dev openmpi-bin and reconfigure with -Dmpi=enabled to run the MPI tests)"
  exit 77
fi
if ! command -v mpirun >/dev/null; then
  echo "SKIP: gnbench was built with MPI but mpirun is not on PATH (Debian: openmpi-bin)"
  exit 77
fi
# containers often forbid the cross-process memory copy Open MPI tries first
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpirun_cmd=(timeout 300 mpirun --oversubscribe --allow-run-as-root)
mpi() { "${mpirun_cmd[@]}" "$@"; }

same_results() {
  python3 - "$1" "$2" <<'PY'
import csv, sys
a, b = sys.argv[1:3]
timing = {"wall_s", "step_s_median", "eval_s", "time_to_target_s", "peak_rss_mib",
          "t_forward", "t_curvature", "t_solve", "t_backward"}
ra = list(csv.DictReader(open(f"{a}/runs.csv")))
rb = list(csv.DictReader(open(f"{b}/runs.csv")))
if [r["run_id"] for r in ra] != [r["run_id"] for r in rb] or len(ra) != 16:
    sys.exit("run ids differ")
if open(f"{a}/runs.csv").readline() != open(f"{b}/runs.csv").readline():
    sys.exit("headers differ")
for x, y in zip(ra, rb):
    for k in x:
        if k not in timing and x[k] != y[k]:
            sys.exit(f"{x['run_id']}: {k}: {x[k]} != {y[k]}")
for r in ra:
    ta = list(csv.DictReader(open(f"{a}/traces/{r['run_id']}.csv")))
    tb = list(csv.DictReader(open(f"{b}/traces/{r['run_id']}.csv")))
    if len(ta) != len(tb) or any(x[k] != y[k] for x, y in zip(ta, tb) for k in x if k not in timing):
        sys.exit(f"trace {r['run_id']} differs")
PY
}

# the reference: a single-process sweep
"$gnbench" run grid.yaml --out ref --no-plot --threads 1 2>ref.log
check "single-process sweep exits 0" '[ $? -eq 0 ]'

# the same sweep on 3 ranks
mpi -n 3 "$gnbench" run grid.yaml --out mp --plots mp-plots --threads 1 >mp.log 2>&1; rc=$?
check "mpirun -n 3 gnbench run exits 0" '[ $rc -eq 0 ]'
check "it reports 2 worker ranks" 'grep -q "MPI: 2 worker rank(s)" mp.log'
msg=$(same_results ref mp 2>&1)
check "3 ranks reproduce the single-process runs.csv and traces (timing aside) $msg" '[ -z "$msg" ]'
check "rank 0 wrote the manifest with the rank layout" \
  'grep -q "^mpi_ranks,3$" mp/manifest.csv && grep -q "^mpi_node_0,\"host=.* ranks=0,1,2 " mp/manifest.csv && grep -q "^mpi_nodes,1$" mp/manifest.csv'
check "and the figures" '[ -f mp-plots/loss.png ]'
check "progress comes from rank 0 only (16 run lines)" '[ $(grep -c "^gnbench: \[" mp.log) -eq 16 ]'
mpi -n 3 "$gnbench" run grid.yaml --out mp --no-plot --threads 1 >mp2.log 2>&1
check "an MPI sweep resumes (nothing to do)" 'grep -q "0 to do" mp2.log'

# BLAS threads from the ranks per node: cores / local ranks, at least 1
mpi -n 3 --bind-to none "$gnbench" run grid.yaml --out mpt --no-plot >mpt.log 2>&1
want=$(( $(nproc) / 3 )); [ $want -ge 1 ] || want=1
check "BLAS threads per run = cores / ranks per node ($want)" \
  'grep -q "^blas_threads,$want$" mpt/manifest.csv && grep -q "blas_threads=$want" mpt/manifest.csv'

# MPI inside shards
mpi -n 3 "$gnbench" run grid.yaml --out mps --no-plot --threads 1 --shard 1/2 >/dev/null 2>&1
mpi -n 3 "$gnbench" run grid.yaml --out mps --no-plot --threads 1 --shard 2/2 >/dev/null 2>&1
msg=$(same_results ref mps 2>&1)
check "two MPI shards merged equal the single-process sweep $msg" '[ -z "$msg" ]'

# input errors stop every rank, reported once
mpi -n 3 "$gnbench" run missing.yaml >err.log 2>&1; rc=$?
check "an input error under MPI fails the job and is reported once" \
  '[ $rc -ne 0 ] && [ $(grep -c "missing.yaml" err.log) -eq 1 ]'

# a run's process crashing inside a worker rank: an error row, the rank goes on.
# The run is held at the test stop point and reports its pid: it is certainly
# running when it is killed, however fast the machine.
hold_open "$work/hold.fifo"
export GNBENCH_TEST_HOLD="$work/hold.fifo"
export GNBENCH_TEST_HOLD_RUNS='sgd-s2-*'
"${mpirun_cmd[@]}" -n 3 -x GNBENCH_TEST_HOLD -x GNBENCH_TEST_HOLD_RUNS "$gnbench" run slow.yaml --out crash \
  --no-plot --threads 1 >crash.log 2>&1 & mp=$!
unset GNBENCH_TEST_HOLD GNBENCH_TEST_HOLD_RUNS # the background job has its copy
held=$(hold_wait)
check "the run to kill is held inside a rank ($held)" '[[ $held == sgd-s2-* ]]'
victim=${held##* }
[ -n "$victim" ] && kill -KILL $victim
wait $mp; rc=$?
check "a killed run fails the sweep with status 1 ($rc)" '[ $rc -eq 1 ]'
python3 - crash <<'PY' && ok "its row says error (signal 9), every other run finished ok" || bad "its row says error (signal 9), every other run finished ok"
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/runs.csv")))
err = [r for r in rows if r["status"] == "error"]
sys.exit(0 if len(rows) == 4 and len(err) == 1 and "signal 9" in err[0]["message"]
         and sum(r["status"] == "ok" for r in rows) == 3 else 1)
PY
mpi -n 3 "$gnbench" run slow.yaml --out crash --no-plot --threads 1 >crash2.log 2>&1; rc=$?
check "the rerun redoes only that run, and all are ok" \
  '[ $rc -eq 0 ] && grep -q "1 to do" crash2.log && [ $(grep -c ",ok," crash/runs.csv) -eq 4 ]'

# SIGTERM to mpirun while a run is held in a rank: runs in progress recorded as
# interrupted, the rerun completes
export GNBENCH_TEST_HOLD="$work/hold.fifo"
export GNBENCH_TEST_HOLD_RUNS='sgd-s3-*'
# started directly (not through a shell function) so that $! is the process
# the signal must reach: timeout passes it on to mpirun, mpirun to the ranks
"${mpirun_cmd[@]}" -n 3 -x GNBENCH_TEST_HOLD -x GNBENCH_TEST_HOLD_RUNS "$gnbench" run slow.yaml --out term \
  --no-plot --threads 1 >term.log 2>&1 & mp=$!
unset GNBENCH_TEST_HOLD GNBENCH_TEST_HOLD_RUNS
held=$(hold_wait)
check "a run is held inside a rank ($held)" '[[ $held == sgd-s3-* ]]'
kill -TERM $mp; wait $mp; rc=$?
# the held run dies with its rank (a signal the kernel delivers after the rank
# is gone): wait for that event, bounded only as a hang guard
gone=0
for _ in $(seq 3000); do
  pgrep -f -- "--out term --no-plot" >/dev/null || { gone=1; break; }
  sleep 0.1
done
check "no process of the interrupted job is left" '[ $gone -eq 1 ]'
check "an interrupted MPI sweep exits nonzero ($rc)" '[ $rc -ne 0 ]'
check "its table is readable" 'python3 -c "import csv; list(csv.DictReader(open(\"term/runs.csv\")))"'
# rank 0 records the runs in progress as interrupted when it gets to handle the
# signal before the launcher ends it; either way none of them counts as done
check "the held run is not recorded as finished" \
  '! grep "^sgd-s3-" term/runs.csv | grep -qE ",(ok|diverged|time_limit),"'
mpi -n 3 "$gnbench" run slow.yaml --out term --no-plot --threads 1 >term2.log 2>&1; rc=$?
python3 - term <<'PY' && ok "resume after SIGTERM: every run once, all ok" || bad "resume after SIGTERM: every run once, all ok"
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/runs.csv")))
ids = [r["run_id"] for r in rows]
sys.exit(0 if len(ids) == 4 == len(set(ids)) and all(r["status"] == "ok" for r in rows) else 1)
PY

# a protocol with an automatic target under MPI: every rank takes the same
# decisions (tuning, the baselines' confirmation, the target, the others'
# confirmation), rank 0 writes, and the folder equals a local sweep's (the
# choices by final validation loss: times differ between two sweeps)
cat > proto.yaml <<'EOF'
name: proto
dataset: {name: teacher, n_train: 80, n_test: 20, dim: 4, validation: 0.25}
model: {depth: 1, width: 8}
train: {iterations: 20, eval_every: 5, target_metric: val_loss}
protocol: {trials: 3, confirm_seeds: 2, target: auto, select: final_val_loss}
optimizers:
  - {name: sgd, tune: {lr: {log_uniform: [0.01, 1]}}}
  - {name: adam, tune: {lr: {log_uniform: [1.0e-3, 0.1]}}}
  - {name: ggn, tune: {damping: [1.0e-3, 1.0e-1]}}
EOF
mpi -n 3 "$gnbench" run proto.yaml --out proto-mpi --no-plot --threads 1 2>proto-mpi.log; rc=$?
check "a protocol sweep under mpirun -n 3 exits 0 (exit $rc)" '[ $rc -eq 0 ]'
"$gnbench" run proto.yaml --out proto-local --no-plot --threads 1 2>/dev/null
check "the MPI protocol sweep has the local one's runs, choices and target" \
  'python3 - proto-mpi proto-local <<'"'"'PY'"'"'
import csv, sys
def key(d):
    rows = list(csv.DictReader(open(f"{d}/runs.csv")))
    return (sorted((r["run_id"], r["phase"], r["status"], r["target_value"]) for r in rows),
            dict(csv.reader(open(f"{d}/manifest.csv")))["target_value"])
sys.exit(0 if key(sys.argv[1]) == key(sys.argv[2]) else 1)
PY'
check "only rank 0 reports the decisions" '[ $(grep -c "set the target" proto-mpi.log) -eq 1 ]'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
