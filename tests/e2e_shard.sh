#!/usr/bin/env bash
# End-to-end tests of sweeps cut into shards (docs/SCALING.md): `run --shard
# K/N` slices are disjoint, cover the grid, do not depend on --jobs or
# --threads, and write their own tables; merged (by the last shard, by
# `gnbench merge` over one or several folders) they equal an unsharded run
# (same run ids in the same order, same losses, traces identical with the
# timing columns aside); shards resume on their own; `gnbench slurm` writes
# a job-array script whose commands, run by a stand-in sbatch, give the same
# table again.
# usage: e2e_shard.sh GNBENCH
set -u
gnbench=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: the tests cd
data=${GN_TEST_DATA:-$(dirname "$0")/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

export BLIS_NUM_THREADS=1
cp "$data"/shard/* "$work"/
cd "$work"
run() { "$gnbench" run grid.yaml --threads 1 "$@"; }

# same_results A B: the runs.csv of two results folders hold the same run
# ids in the same order with the same values, timing columns aside, and
# their traces are identical but for the timing columns.
same_results() {
  python3 - "$1" "$2" <<'PY'
import csv, os, sys
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
rows() { echo $(($(wc -l < "$1") - 1)); }

# the reference: one unsharded run
run --out ref --plots ref-plots 2>ref.log
check "unsharded run exits 0" '[ $? -eq 0 ] && [ $(rows ref/runs.csv) -eq 16 ]'

# the slices: disjoint, covering, balanced by cost, independent of the machine settings
for k in 1 2 3; do
  run --out plan --shard $k/3 --dry-run >plan.$k
  "$gnbench" run grid.yaml --out plan --shard $k/3 --dry-run --jobs 3 --threads 2 >plan2.$k
done
check "--dry-run --shard K/3 lists each shard's runs" 'grep -q "^shard 2/3: " plan.2'
check "shard slices do not depend on --jobs or --threads" 'cmp -s plan.1 plan2.1 && cmp -s plan.2 plan2.2 && cmp -s plan.3 plan2.3'
cat plan.1 plan.2 plan.3 | sed -n 's/^would run \([^ ]*\).*/\1/p' | sort >planned
"$gnbench" check grid.yaml --runs | grep -E '^[a-z-]+-s[0-9]+-[0-9a-f]{12} ' | cut -d' ' -f1 | sort >grid
check "the 3 shards together hold every run of the grid once" 'cmp -s planned grid && [ $(wc -l < grid) -eq 16 ]'
check "every shard has runs" '[ -n "$(grep -l "would run" plan.1)" ] && grep -q "would run" plan.2 && grep -q "would run" plan.3'
loads=$(sed -n 's/.*shard loads: //p' plan.1)
check "estimated loads are balanced within 25% of the mean ($loads)" \
  'python3 -c "import sys; l=[float(x.rstrip(\"%\")) for x in sys.argv[1:]]; m=sum(l)/len(l); sys.exit(0 if max(l) <= 1.25*m else 1)" $loads'

# three shards into one folder, one after another: the last one merges
run --out sh --plots sh-plots --shard 1/3 2>sh1.log; rc1=$?
check "shard 1/3 exits 0 and writes its own table" '[ $rc1 -eq 0 -a -f sh/runs.shard-1-of-3.csv -a -f sh/manifest.shard-1-of-3.csv ]'
check "a lone shard writes no runs.csv and says how to merge" '[ ! -e sh/runs.csv ] && grep -q "gnbench merge" sh1.log'
# shards 2 and 3 at the same time into the same folder
run --out sh --plots sh-plots --shard 2/3 2>sh2.log & p2=$!
run --out sh --plots sh-plots --shard 3/3 2>sh3.log & p3=$!
wait $p2; rc2=$?; wait $p3; rc3=$?
check "concurrent shards 2/3 and 3/3 exit 0" '[ $rc2 -eq 0 -a $rc3 -eq 0 ]'
n_rows=$(( $(rows sh/runs.shard-1-of-3.csv) + $(rows sh/runs.shard-2-of-3.csv) + $(rows sh/runs.shard-3-of-3.csv) ))
check "the shard tables hold 16 rows together ($n_rows)" '[ $n_rows -eq 16 ]'
check "the last shard merged runs.csv" '[ -f sh/runs.csv ] && cat sh2.log sh3.log | grep -q "merged 3 table"'
msg=$(same_results ref sh 2>&1)
check "merged shards equal the unsharded run (timing aside) $msg" '[ -z "$msg" ]'
check "merged manifest records the shards" 'grep -q "^shard_1_of_3," sh/manifest.csv && grep -q "^shard_3_of_3," sh/manifest.csv && grep -q "^merge_runs_present,16 of 16" sh/manifest.csv'
check "figures after the merge" '[ -f sh-plots/loss.png -a -f sh-plots/final.png ]'

# resume, per shard
run --out sh --no-plot --shard 2/3 2>resume.log
check "a finished shard resumes with nothing to do" 'grep -q "0 to do" resume.log'
victim=$(sed -n 2p sh/runs.shard-2-of-3.csv | cut -d, -f1)
rm sh/traces/$victim.csv
run --out sh --no-plot --shard 2/3 2>resume2.log
check "a shard reruns its run whose trace is missing" 'grep -q "1 to do" resume2.log && [ -f sh/traces/$victim.csv ]'
run --out sh --no-plot --shard 1/3 2>resume3.log
check "other shards are not disturbed" 'grep -q "0 to do" resume3.log'
run --out sh --no-plot 2>resume4.log
check "an unsharded run resumes from the shard tables" 'grep -q "0 to do" resume4.log'

# gnbench merge over separate folders (shards run on machines without a shared disk)
for k in 1 2 3; do run --out part$k --shard $k/3 --no-plot 2>/dev/null; done
"$gnbench" merge part1 part2 part3 --out merged --plots merged-plots 2>merge.log; rc=$?
check "merge of 3 folders exits 0" '[ $rc -eq 0 ]'
msg=$(same_results ref merged 2>&1)
check "merged folders equal the unsharded run (timing aside) $msg" '[ -z "$msg" ]'
check "merge copies the traces and experiment.yaml" '[ $(ls merged/traces | wc -l) -eq 16 ] && cmp -s merged/experiment.yaml grid.yaml'
check "merge draws the figures" '[ -f merged-plots/loss.png ]'
"$gnbench" merge part1 part2 part3 part1 --out merged --no-plot 2>/dev/null
check "merging again (a folder twice) leaves no duplicates" \
  'python3 -c "import csv,sys; ids=[r[\"run_id\"] for r in csv.DictReader(open(\"merged/runs.csv\"))]; sys.exit(0 if len(ids)==16==len(set(ids)) else 1)"'
"$gnbench" merge part1 part3 --out partial --no-plot 2>partial.log; rc=$?
check "a merge with a shard missing exits 1 and names the missing runs" '[ $rc -eq 1 ] && grep -q "run(s) missing" partial.log'
check "and keeps every row it has" '[ $(rows partial/runs.csv) -eq $(( $(rows part1/runs.shard-1-of-3.csv) + $(rows part3/runs.shard-3-of-3.csv) )) ]'
sed 's/iterations: 8/iterations: 9/' grid.yaml >other.yaml
"$gnbench" run other.yaml --out other --no-plot --threads 1 --shard 1/3 2>/dev/null
"$gnbench" merge part1 other --out nope --no-plot 2>/dev/null; rc=$?
check "merge refuses folders of different experiment files (exit 2)" '[ $rc -eq 2 ]'
"$gnbench" plot part1 --plots p1 2>plot.log; rc=$?
check "plot of an unmerged folder says to merge first" '[ $rc -eq 2 ] && grep -q "gnbench merge" plot.log'

# input errors
for bad in 0/3 4/3 1/0 3 a/b 1/3x; do
  run --out badshard --shard "$bad" >/dev/null 2>&1; rc=$?
  check "--shard $bad exits 2" '[ $rc -eq 2 -a ! -e badshard ]'
done

# Slurm: the generated script, checked as text, then run with a stand-in sbatch
"$gnbench" slurm grid.yaml --array-size 4 --out "$work/sl" --plots "$work/sl-plots" \
  -- --partition=short --time=0:10:00 "--comment=it's ours" >submit.sh 2>slurm.log; rc=$?
check "slurm writes a script (exit 0)" '[ $rc -eq 0 ] && head -1 submit.sh | grep -q "^#!/usr/bin/env bash"'
check "the script is valid bash" 'bash -n submit.sh'
check "it submits a 4-task job array" 'grep -q "sbatch --parsable .*--array=0-3" submit.sh'
check "each task runs its shard" 'grep -qF -- "run $work/grid.yaml --shard \$((SLURM_ARRAY_TASK_ID + 1))/4 --out $work/sl --no-plot" submit.sh'
check "the merge job depends on the array (afterany)" 'grep -q -- "--dependency=afterany:\"\$array_job\"" submit.sh'
check "the merge job merges and draws" 'grep -qF -- "merge $work/sl --plots $work/sl-plots --format png" submit.sh'
check "sbatch options after -- reach both jobs, quoted (a --time the shard tasks only)" \
  'grep -qF -- "sbatch_options=(--partition=short '"'"'--comment=it'"'"'\\'"'"''"'"'s ours'"'"')" submit.sh && [ $(grep -c "sbatch_options\[@\]" submit.sh) -eq 2 ] && grep -qxF "shard_request=(--cpus-per-task=1 --mem=4G --time=0:10:00)" submit.sh'
"$gnbench" slurm grid.yaml --output submit2.sh --quick 2>slurm2.log; rc=$?
check "slurm --output writes an executable file" '[ $rc -eq 0 -a -x submit2.sh ] && grep -q -- "--quick --shard" submit2.sh && grep -q "bash submit2.sh" slurm2.log'
"$gnbench" slurm nonexistent.yaml >/dev/null 2>&1; rc=$?
check "slurm of a missing file exits 2" '[ $rc -eq 2 ]'

# a stand-in sbatch: runs an array's tasks one after another, then the rest
. "$(dirname "$0")/sbatch.sh"
sbatch_standin bin
SBATCH_LOG=$work/sbatch.log PATH=$work/bin:$PATH bash submit.sh >submit.out 2>&1; rc=$?
check "the script submits two jobs and reports them (exit $rc)" '[ $rc -eq 0 ] && [ $(wc -l < sbatch.log) -eq 2 ] && grep -q "merge job 1002 (afterany:1001)" submit.out'
check "the merge job was given the array's id" 'sed -n 2p sbatch.log | grep -q -- "--dependency=afterany:1001"'
msg=$(same_results ref sl 2>&1)
check "the Slurm-run sweep equals the unsharded run (timing aside) $msg" '[ -z "$msg" ]'
check "and has its figures" '[ -f sl-plots/loss.png ]'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
