#!/usr/bin/env bash
# e2e_large.sh GNBENCH: large sweeps keep every run (issue 16, item 12):
# rows are appended to runs.csv as runs finish, in the order they finish;
# a sweep killed with -9 leaves every row recorded before; the table ends in
# grid order. A sweep out of file descriptors records the run it could not
# start, stops, and resumes (item 6). Runs are held at the test stop point (hold.sh) where a test
# needs one in progress, so nothing depends on the speed of the machine.
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
ids() { cut -d, -f1 "$1" | tail -n +2; }
# waits until table $1 holds $2 rows: an event (the sweep records them);
# the bound is a hang guard, not a timing assumption
wait_rows() {
  local n=0
  until [ -f "$1" ] && [ "$(($(wc -l <"$1") - 1))" -ge "$2" ]; do
    n=$((n + 1))
    [ $n -gt 3000 ] && return 1
    sleep 0.1
  done
}

# the grid order, from a sweep that ran to its end
run slow.yaml --out ref >ref.log 2>&1
ids ref/runs.csv >grid
first=$(head -1 grid)
check "a sweep records its 6 runs in grid order" '[ "$(count ref/runs.csv)" = "6 6" ] && [ $(wc -l <grid) -eq 6 ]'

# the first run of the grid held: the other five finish before it
hold_open "$work/hold.fifo"
GNBENCH_TEST_HOLD="$work/hold.fifo" GNBENCH_TEST_HOLD_RUNS="$first" \
  "$gnbench" run slow.yaml --out k --no-plot --threads 1 --jobs 2 2>k.log &
a=$!
held=$(hold_wait)
wait_rows k/runs.csv 5
check "while the first run is held, the five others are recorded" '[ "$(count k/runs.csv)" = "5 5" ]'
kill -9 $a; wait $a 2>/dev/null
check "after kill -9 of the sweep, runs.csv keeps the five rows" '[ "$(count k/runs.csv)" = "5 5" ]'
run slow.yaml --out k >k2.log 2>&1; rc=$?
check "the rerun does the one run left ($rc)" '[ $rc -eq 0 ] && grep -q "1 to do (5 finished before)" k2.log'
check "... and the table ends in grid order" '[ "$(ids k/runs.csv)" = "$(cat grid)" ] && [ "$(count k/runs.csv)" = "6 6" ]'

GNBENCH_TEST_HOLD="$work/hold.fifo" GNBENCH_TEST_HOLD_RUNS="$first" \
  "$gnbench" run slow.yaml --out o --no-plot --threads 1 --jobs 2 2>o.log &
a=$!
held=$(hold_wait)
wait_rows o/runs.csv 5
kill -9 "${held#* }"
wait $a; rc=$?
check "the held run killed: recorded last, as an error ($rc)" \
  '[ $rc -eq 1 ] && grep "^$first," o/runs.csv | grep -q "killed by signal 9"'
check "... and the table is rewritten in grid order at the end" '[ "$(ids o/runs.csv)" = "$(cat grid)" ]'
exec 3<&-

# out of file descriptors (issue 16, item 6): the parent cannot make the
# pipe of its next run once the runs at a time hold the descriptors a low
# `ulimit -n` allows (launches do not wait for runs to end, so the count is
# the same on any machine); the run that could not start is recorded as an
# error naming the cause, no more runs start, the others are left to do
# (descriptors the test was started with are closed first: the limit counts
# from 0, 1 and 2 alone)
(
  for f in /proc/$BASHPID/fd/*; do
    n=${f##*/}
    [ "$n" -gt 2 ] && eval "exec $n>&-"
  done 2>/dev/null
  ulimit -n 8
  exec "$gnbench" run tiny.yaml --out fd --no-plot --threads 1 --jobs 16 >fd.log 2>&1
)
rc=$?
check "out of descriptors: exit 1 naming the cause ($rc)" \
  '[ $rc -eq 1 ] && grep -q "Too many open files (EMFILE)" fd.log'
check "... the run that could not start is recorded as an error naming EMFILE" \
  '[ $(grep -c "could not be started: pipe: Too many open files (EMFILE)" fd/runs.csv) -eq 1 ]'
left=$(sed -n 's/.*starting no more runs: \([0-9]*\) left to do.*/\1/p' fd.log)
rows=$(($(wc -l <fd/runs.csv) - 1))
check "... every run is recorded or reported as left to do ($rows rows, ${left:-?} left)" \
  '[ -n "$left" ] && [ $((rows + left)) -eq 16 ]'
run tiny.yaml --out fd >fd2.log 2>&1; rc=$?
check "... and the rerun does the rest ($rc)" \
  '[ $rc -eq 0 ] && grep -q "$((16 - rows + 1)) to do" fd2.log && [ "$(count fd/runs.csv)" = "16 16" ]'

# check: a cost summary by default, the run lines when asked (item 12)
"$gnbench" check tiny.yaml >chk.out 2>chk.err; rc=$?
check "check: exit 0, the run count ($rc)" '[ $rc -eq 0 ] && grep -q "^experiment tiny: 16 runs$" chk.out'
check "... one summary line per optimizer with its runs, compute and memory" \
  '[ "$(grep -cE "^  (ggn|ggn-mb|sgd) +[0-9]+ runs +[0-9.e+]+ flops +[0-9.]+ MiB" chk.out)" -eq 3 ] &&
   grep -qE "^  sgd +8 runs" chk.out'
check "... and no line per run" '! grep -qE "^[a-z-]+-s[0-9]+-[0-9a-f]{12} " chk.out'
"$gnbench" check tiny.yaml --runs >chk2.out; rc=$?
check "check --runs: a line per run with its settings ($rc)" \
  '[ $rc -eq 0 ] && [ "$(grep -cE "^[a-z-]+-s[0-9]+-[0-9a-f]{12} .*opt.lr=" chk2.out)" -eq 16 ]'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
