#!/usr/bin/env bash
# e2e_results.sh GNBENCH: results are never lost or silently replaced
# (issue 16, items 1-7):
#   1 a runs.csv or manifest.csv that cannot be written (a folder of that
#     name, a file-size limit) ends the sweep with exit 1 naming the file;
#   2 another experiment, or the same one with another --quick, is refused
#     (exit 2) in a folder that holds a grid; rows of runs no longer in the
#     grid (eval_every changed) are set aside in runs.set-aside.N.csv;
#   3 a second sweep into a folder in use is refused with the holder's pid,
#     and the first one's table stays intact;
#   4 finished runs whose data changed since are redone;
#   5 the runs of a sweep killed with -9 die with it, its stale temporary
#     files are removed by the next run; SIGHUP interrupts like SIGTERM;
#   6 a closed stderr (2>&1 | head -1) does not end the sweep;
#   7 a torn runs.csv keeps its complete rows.
# Runs are held at the test stop point (hold.sh) where a test needs one in
# progress, so nothing depends on the speed of the machine.
set -u
gnbench=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "${GN_TEST_DATA:-$here/data}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BLIS_NUM_THREADS=1
cp "$data"/e2e/tiny.yaml "$data"/e2e/train.csv "$data"/e2e/test.csv "$data"/e2e/slow.yaml "$work"/
cd "$work"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
. "$here/hold.sh"
run() { "$gnbench" run "$@" --no-plot --threads 1; }
# "<rows> <ok rows>" of a runs table, or "unreadable"
count() {
  python3 - "$1" <<'PY' 2>/dev/null || echo unreadable
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(len(rows), sum(r["status"] == "ok" for r in rows))
PY
}
# waits (bounded: a hang guard) until process $1 is gone; 0 when it is
gone() {
  for _ in $(seq 3000); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# ---- 1: write failures are errors ----
for f in runs.csv manifest.csv; do
  mkdir -p "w-$f/$f"
  run tiny.yaml --out "w-$f" >"w-$f.log" 2>&1; rc=$?
  check "a folder named $f in --out: exit 1 ($rc)" '[ $rc -eq 1 ]'
  check "... and the message names $f and why" 'grep -q "w-$f/$f: .*Is a directory" w-$f.log'
done
# a file-size limit: runs.csv (7 KB for 16 runs) cannot grow past 4 KB
(ulimit -f 4 && exec "$gnbench" run tiny.yaml --out w-fsize --no-plot --threads 1) >w-fsize.log 2>&1
rc=$?
check "a file-size limit: exit 1, not a signal death ($rc)" '[ $rc -eq 1 ]'
check "... and the message names runs.csv and says why" \
  'grep -q "w-fsize/runs.csv: .*File too large" w-fsize.log && grep -q "incomplete" w-fsize.log'
check "... and the table holds what it could" '[ "$(count w-fsize/runs.csv)" != unreadable ]'

# ---- 2: another grid in the same folder ----
run tiny.yaml --out g >g1.log 2>&1
cp g/runs.csv g1.csv
run tiny.yaml --out g --quick >g2.log 2>&1; rc=$?
check "the same file with --quick into a full grid's folder: exit 2 ($rc)" '[ $rc -eq 2 ]'
check "... naming the folder and the options" 'grep -q "^gnbench: g holds .*--out.*--fresh" g2.log'
check "... before any run: the table is untouched" 'cmp -s g/runs.csv g1.csv && ! grep -q "\[1/" g2.log'
sed 's/^name: tiny/name: other/' tiny.yaml >other.yaml
run other.yaml --out g >g3.log 2>&1; rc=$?
check "another experiment into the folder: exit 2 ($rc)" '[ $rc -eq 2 ] && grep -q "'"'"'tiny'"'"'" g3.log'
run tiny.yaml --out g --quick --fresh >g4.log 2>&1; rc=$?
check "--fresh starts over with --quick ($rc)" '[ $rc -eq 0 ] && [ "$(count g/runs.csv)" = "16 16" ]'
run tiny.yaml --out g --fresh >g5.log 2>&1
sed 's/eval_every: 2/eval_every: 3/' tiny.yaml >tiny3.yaml && mv tiny3.yaml tiny.yaml
cp g/runs.csv g5.csv
run tiny.yaml --out g >g6.log 2>&1; rc=$?
check "changed run ids (eval_every) run ($rc)" '[ $rc -eq 0 ] && [ "$(count g/runs.csv)" = "16 16" ]'
check "... and say how many old rows were set aside, and where" \
  'grep -q "16 rows of runs no longer in the grid set aside in g/runs.set-aside.1.csv" g6.log'
check "... which are kept there" 'cmp -s g/runs.set-aside.1.csv g5.csv'
cp "$data"/e2e/tiny.yaml tiny.yaml

# ---- 3: two processes, one folder ----
hold_open "$work/hold3.fifo"
GNBENCH_TEST_HOLD="$work/hold3.fifo" GNBENCH_TEST_HOLD_RUNS='ggn-mb-s3-*' \
  "$gnbench" run slow.yaml --out l --no-plot --threads 1 --jobs 1 2>l-a.log &
a=$!
held=$(hold_wait)
run slow.yaml --out l >l-b.log 2>&1; rc=$?
check "a second sweep into a folder in use: exit 2 ($rc)" '[ $rc -eq 2 ]'
check "... naming the holder's pid $a" 'grep -q "l is in use by another gnbench run (pid $a " l-b.log'
run slow.yaml --out l --shard 1/2 >l-c.log 2>&1; rc=$?
check "a shard into a folder a whole sweep holds: exit 2 ($rc)" '[ $rc -eq 2 ]'
kill -TERM $a; wait $a
check "the first sweep's table is intact: 5 ok rows and the interrupted one" \
  '[ "$(count l/runs.csv)" = "6 5" ] && grep "^ggn-mb-s3-" l/runs.csv | grep -q "interrupted ("'
check "no lock file is left" '[ ! -e l/.gnbench.lock ]'
# shards share a folder, each shard alone
GNBENCH_TEST_HOLD="$work/hold3.fifo" GNBENCH_TEST_HOLD_RUNS='*' \
  "$gnbench" run slow.yaml --out sh --no-plot --threads 1 --shard 1/2 2>sh1.log &
s1=$!
held=$(hold_wait)
run slow.yaml --out sh --shard 2/2 >sh2.log 2>&1; rc=$?
check "another shard runs beside a held shard ($rc)" '[ $rc -eq 0 ]'
run slow.yaml --out sh --shard 1/2 >sh3.log 2>&1; rc=$?
check "the same shard twice: exit 2 with the pid ($rc)" '[ $rc -eq 2 ] && grep -q "pid $s1 " sh3.log'
run slow.yaml --out sh >sh4.log 2>&1; rc=$?
check "a whole sweep while a shard runs: exit 2 ($rc)" '[ $rc -eq 2 ] && grep -q "pid $s1 " sh4.log'
kill -TERM $s1; wait $s1
exec 3<&-

# ---- 4: changed data on resume ----
run tiny.yaml --out d >d1.log 2>&1
python3 - <<'PY'
lines = open("train.csv").read().splitlines(True)
f = lines[1].split(",")
f[0] = str(float(f[0]) + 0.5)
lines[1] = ",".join(f)
open("train.csv", "w").write("".join(lines))
PY
run tiny.yaml --out d >d2.log 2>&1; rc=$?
check "after train.csv changed, every run is redone ($rc)" \
  '[ $rc -eq 0 ] && grep -q "16 to do" d2.log && grep -q "16 finished runs redone" d2.log'
run tiny.yaml --out d >d3.log 2>&1
check "... and then resumes as finished" 'grep -q "0 to do" d3.log'
cp "$data"/e2e/train.csv train.csv

# ---- 5: the parent dies ----
hold_open "$work/hold5.fifo"
GNBENCH_TEST_HOLD="$work/hold5.fifo" GNBENCH_TEST_HOLD_RUNS='ggn-mb-s3-*' \
  "$gnbench" run slow.yaml --out k --no-plot --threads 1 --jobs 1 2>k.log &
a=$!
held=$(hold_wait)
child=${held#* }
kill -9 $a; wait $a 2>/dev/null
check "after kill -9 of the sweep, its held run process dies too" 'gone $child'
# what a sweep killed in the middle of writing leaves (its pid is gone)
touch "k/runs.csv.tmp.$a" "k/traces/${held%% *}.csv.tmp.$child" "k/manifest.csv.tmp.$a"
# a live process: a reader of a FIFO this shell holds open; it ends when the
# shell closes its end (an event, not a time)
mkfifo live.fifo
(exec cat live.fifo >/dev/null) & live=$!
exec 4>live.fifo
touch "k/runs.csv.tmp.$live"
run slow.yaml --out k >k2.log 2>&1; rc=$?
exec 4>&-
wait $live 2>/dev/null
check "the rerun completes the table ($rc)" '[ $rc -eq 0 ] && [ "$(count k/runs.csv)" = "6 6" ]'
check "... removes the stale temporary files" \
  '[ -z "$(find k -name "*.tmp.$a" -o -name "*.tmp.$child")" ] && grep -q "removed 3 temporary files" k2.log'
check "... and keeps one whose process lives" '[ -e "k/runs.csv.tmp.$live" ]'
GNBENCH_TEST_HOLD="$work/hold5.fifo" GNBENCH_TEST_HOLD_RUNS='ggn-mb-s3-*' \
  "$gnbench" run slow.yaml --out hup --no-plot --threads 1 --jobs 1 2>hup.log &
a=$!
held=$(hold_wait)
kill -HUP $a; wait $a; rc=$?
check "SIGHUP interrupts the sweep like SIGTERM ($rc)" \
  '[ $rc -eq 129 ] && grep "^ggn-mb-s3-" hup/runs.csv | grep -q "interrupted (Hangup)"'
run slow.yaml --out hup >hup2.log 2>&1; rc=$?
check "... and the rerun redoes only that run" '[ $rc -eq 0 ] && grep -q "1 to do" hup2.log'
exec 3<&-

# ---- 6: a closed stderr ----
"$gnbench" run slow.yaml --out p --no-plot --threads 1 --jobs 1 2>&1 | head -1 >p.log
rc=${PIPESTATUS[0]}
check "2>&1 | head -1: the sweep goes on to its end ($rc)" '[ $rc -eq 0 ] && [ "$(count p/runs.csv)" = "6 6" ]'

# ---- 7: a torn runs.csv ----
run tiny.yaml --out t >t1.log 2>&1
python3 - <<'PY'
data = open("t/runs.csv", "rb").read()
start = data.rstrip(b"\n").rfind(b"\n") + 1
open("t/runs.csv", "wb").write(data[: start + (len(data) - start) // 2])
PY
run tiny.yaml --out t >t2.log 2>&1; rc=$?
check "a runs.csv torn in its last row: only that run is redone ($rc)" \
  '[ $rc -eq 0 ] && grep -q "1 to do (15 finished before)" t2.log && [ "$(count t/runs.csv)" = "16 16" ]'
check "... and gnbench says what it left out" 'grep -q "t/runs.csv:17: 1 incomplete row left out" t2.log'

# threads: by default the cores are divided among the runs at a time, and the
# manifest says when jobs x threads exceeds the cores (issue 16, item 13)
cores=$(nproc)
per=$((cores / 2)); [ "$per" -ge 1 ] || per=1
"$gnbench" run tiny.yaml --out th --no-plot --jobs 2 >th.log 2>&1; rc=$?
check "--jobs 2 without --threads: $per BLAS thread(s) per run on $cores core(s) ($rc)" \
  '[ $rc -eq 0 ] && grep -q "^blas_threads,$per$" th/manifest.csv'
check "... and the manifest says it is not oversubscribed" 'grep -q "^oversubscribed,false$" th/manifest.csv'
"$gnbench" run tiny.yaml --out th2 --no-plot --jobs 2 --threads $((cores + 1)) >th2.log 2>&1; rc=$?
check "more threads than cores are recorded as oversubscribed ($rc)" \
  '[ $rc -eq 0 ] && grep -q "^oversubscribed,true$" th2/manifest.csv'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
