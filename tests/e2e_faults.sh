#!/usr/bin/env bash
# e2e_faults.sh GNBENCH: numerical faults end as a status per run, never an
# abort. Inputs in tests/data/faults/:
#   faults.yaml   absurd settings (sgd/adam lr 1e3, ggn/lm damping 0 on the
#                 singular K of duplicated rows, lr 1e6, width 1, batch 1):
#                 every run ok or diverged, singular K recovered by raising
#                 the damping (damping_raised_steps > 0, message says so);
#   overflow.yaml parameters overflow between loss checks: Cholesky fails
#                 for every damping up to the bound -> status error with a
#                 message, the sweep goes on (exit 1: some runs failed);
#   nan.yaml      a NaN cell: refused before any run (exit 2, file:line:
#                 column, no results folder);
#   huge.yaml     finite cells near DBL_MAX: standardized without overflow, every
#                 run ends ok.
set -u
gnbench=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=${GN_TEST_DATA:-$(dirname "$0")/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BLIS_NUM_THREADS=1
cp "$data"/faults/* "$work"/
cd "$work"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# runs.csv rows as "optimizer|width|lr|damping|status|raised|message"
rows() {
  python3 - "$1" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1] + "/runs.csv")):
    print("|".join([r["optimizer"], r["model.width"], r.get("opt.lr", ""), r.get("opt.damping", ""),
                    r["status"], r["damping_raised_steps"], r["message"]]))
PY
}

"$gnbench" run faults.yaml --out res --no-plot --threads 1 >faults.log 2>&1
rc=$?
check "faults: no crash (exit $rc)" '[ $rc -lt 128 ]'
check "faults: exit 0 (no run failed)" '[ $rc -eq 0 ]'
rows res >faults.rows 2>/dev/null
check "faults: 20 runs recorded" '[ $(wc -l <faults.rows) -eq 20 ]'
check "faults: every status is ok or diverged" \
  '! cut -d"|" -f5 faults.rows | grep -qvE "^(ok|diverged)$"'
check "faults: every diverged run says why" \
  '! grep "|diverged|" faults.rows | cut -d"|" -f7 | grep -q "^$"'
check "faults: sgd lr 1e3 diverges" '[ $(grep -c "^sgd|.*|diverged|" faults.rows) -eq 2 ]'
check "faults: ggn on singular K raises the damping and finishes" \
  '[ $(grep -cE "^ggn\|[0-9]+\|1.0\|0.0\|ok\|[1-9][0-9]*\|.*damping raised up to" faults.rows) -eq 2 ]'
check "faults: lm (constant, damping 0) raises the damping too" \
  '[ $(grep -cE "^lm\|[0-9]+\|1\|0.0\|ok\|[1-9]" faults.rows) -eq 2 ]'
check "faults: raised damping is finite" \
  '! grep -o "damping raised up to [^;|]*" faults.rows | grep -qiE "inf|nan"'

"$gnbench" run overflow.yaml --out ores --no-plot --threads 1 >overflow.log 2>&1
rc=$?
check "overflow: no crash, exit 1 for failed runs (exit $rc)" '[ $rc -eq 1 ]'
rows ores >overflow.rows 2>/dev/null
check "overflow: 3 runs recorded" '[ $(wc -l <overflow.rows) -eq 3 ]'
check "overflow: ggn and lm end in error naming the failed Cholesky" \
  '[ $(grep -cE "^(ggn|lm)\|.*\|error\|.*Cholesky .*failed for every damping up to the bound" overflow.rows) -eq 2 ]'
check "overflow: sgd diverges" 'grep -q "^sgd|.*|diverged|" overflow.rows'
check "overflow: the failed runs are reported on stderr" 'grep -q "Cholesky" overflow.log'

msg=$("$gnbench" run nan.yaml --out nres --no-plot 2>&1)
rc=$?
check "nan: refused with exit 2 (exit $rc)" '[ $rc -eq 2 ]'
check "nan: message names file, line and column ($msg)" \
  '[[ $msg == *"nan.csv:3"* && $msg == *"x2"* && $msg == *"not finite"* ]]'
check "nan: no results folder" '[ ! -e nres ]'

"$gnbench" run huge.yaml --out hres --no-plot --threads 1 >huge.log 2>&1
rc=$?
check "huge: no crash (exit $rc)" '[ $rc -lt 128 ]'
rows hres >huge.rows 2>/dev/null
check "huge: accepted and every run ends ok (standardization is overflow-safe) (exit $rc)" \
  '[ $rc -eq 0 ] && [ $(grep -cE "\|ok\|" huge.rows) -eq 2 ]'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
