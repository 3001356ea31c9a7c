#!/usr/bin/env bash
# e2e_summarize.sh GNBENCH: gnbench summarize and gnbench profile on the
# hand-made folders of tests/data/summarize/ (a: one study, four optimizers,
# lm never reaches the target, an error trial; b: two studies, a
# higher-is-better target; c: runs.csv with a label column, two labelled
# entries of one optimizer that are two methods with their own trial
# budgets). Their expected-summary.csv files were checked
# against reference.py, an independent recomputation; expected-profile.csv
# by hand (ratios 1.8333, 3 and 3.125 against the tau grid).
set -u
gnbench=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$(dirname "$0")/.." && pwd)
data=${GN_TEST_DATA:-$src/tests/data}
data=$(cd "$data" && pwd)/summarize
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
cd "$work"

for c in summarize profile; do
  out=$("$gnbench" $c --help 2>err); rc=$?
  check "$c --help exits 0 with its usage" '[ $rc -eq 0 ] && printf "%s\n" "$out" | grep -q "^  gnbench $c " && [ ! -s err ]'
done

for d in a b c; do
  cp -r "$data/$d" $d && rm -f $d/expected-summary.csv
  "$gnbench" summarize $d >out.md 2>err; rc=$?
  check "summarize $d exits 0 (exit $rc)" '[ $rc -eq 0 ] && [ ! -s err ]'
  check "summarize $d writes the expected summary.csv byte for byte" 'cmp -s $d/summary.csv "$data/$d/expected-summary.csv"'
  check "summarize $d prints markdown with a row per summary row" \
    '[ $(grep -c "^| [A-Za-z]" out.md) -eq $(wc -l <"$data/$d/expected-summary.csv") ]'
  "$gnbench" summarize $d --format csv --out $d-other.csv >out.csv 2>err; rc=$?
  check "summarize $d --format csv --out prints and writes the same table" \
    '[ $rc -eq 0 ] && cmp -s out.csv "$data/$d/expected-summary.csv" && cmp -s $d-other.csv out.csv'
done
check "no temporary file is left" '[ -z "$(find . -name "*.tmp.*")" ]'
check "lm never reached: inf median, speed-up 0 against adam" \
  'grep -q "^lm,,,confirm,time_to_target,2,lm-a2,opt.damping=1,3,3,0,5,0,inf,inf,inf" a/summary.csv && grep -q ",adam,0$" a/summary.csv'
"$gnbench" summarize c >out.md 2>err
check "labelled entries of one optimizer are two methods, each with its own budget" \
  'grep -q "^ngd,NGD (empirical Fisher),,confirm,time_to_target,0,ngd-e1,.*,2,2,0,3,3," c/summary.csv &&
   grep -q "^ngd,NGD (true Fisher),,confirm,time_to_target,1,ngd-t2,.*,2,4,1,3,2," c/summary.csv'
check "the markdown table names a labelled method by its label" \
  'grep -q "^| NGD (true Fisher) | opt.lr=0.2;opt.damping=0.3 | 2/4 | 2/3 |" out.md && ! grep -q "^| ngd " out.md'
"$gnbench" profile c --out profc.csv --no-plot >/dev/null 2>err; rc=$?
check "profile names a labelled method by its label (exit $rc)" \
  '[ $rc -eq 0 ] && [ "$(head -1 profc.csv)" = "tau,sgd,NGD (empirical Fisher),NGD (true Fisher)" ]'
check "a folder without a label column reads as unlabelled" \
  '! head -1 "$data/a/runs.csv" | grep -q label && grep -q "^sgd,,,confirm," a/summary.csv'

# bad input: exit 2, file:line:column, no summary written
bad_case() { # name, folder setup (run in the folder), expected message pattern
  rm -rf x && cp -r a x && rm -f x/summary.csv x/expected-summary.csv
  (cd x && eval "$2")
  "$gnbench" summarize x >/dev/null 2>err; rc=$? pat=$3
  check "$1: exit 2 naming $pat (exit $rc: $(head -c 200 err))" \
    '[ $rc -eq 2 ] && grep -qF -- "$pat" err && [ ! -e x/summary.csv ]'
}
bad_case "no runs.csv" 'rm runs.csv' 'x/runs.csv: no such file'
bad_case "no manifest.csv" 'rm manifest.csv' 'x/manifest.csv: cannot open'
bad_case "a missing column" 'cut -d, -f1-27,29- runs.csv >t && mv t runs.csv' 'x/runs.csv:1: no column "reached"'
bad_case "a non-number" 'sed -i "5s/,true,3,30$/,true,fast,30/" runs.csv' 'x/runs.csv:5:29: column time_to_target_s: expected a number, got "fast"'
bad_case "a bad status" 'sed -i "3s/^sgd-t2,ok,/sgd-t2,okay,/" runs.csv' 'x/runs.csv:3:2: column status'
bad_case "a bad reached" 'sed -i "3s/,true,4,38$/,yes,4,38/" runs.csv' 'x/runs.csv:3:28: column reached'
bad_case "a tune row without trial" 'sed -i "3s/,tune,1,2,/,tune,1,,/" runs.csv' 'x/runs.csv:3:7: column trial'
bad_case "two configurations confirmed" 'sed -i "15s/,sgd-a2,/,sgd-a1,/" runs.csv' 'x/runs.csv:15:8: confirm rows of sgd'
bad_case "a bad protocol_select" 'sed -i "s/^protocol_select,.*/protocol_select,fastest/" manifest.csv' 'x/manifest.csv:3:2: protocol_select'
"$gnbench" summarize >/dev/null 2>err; rc=$?
check "summarize without a folder is a usage error (exit $rc)" '[ $rc -eq 2 ]'
"$gnbench" summarize a --format xml >/dev/null 2>err; rc=$?
check "summarize --format xml is refused (exit $rc)" '[ $rc -eq 2 ] && grep -q "expected csv or md" err'

# a grid sweep (no phase column): the best configuration by final_val_loss
rm -rf g && mkdir g && cp a/manifest.csv g/
awk -F, 'NR == 1 || $5 == "confirm"' a/runs.csv | cut -d, -f1-4,8- >g/runs.csv
"$gnbench" summarize g --format csv >g.csv 2>err; rc=$?
check "a grid folder is summarized per optimizer (exit $rc)" \
  '[ $rc -eq 0 ] && [ $(wc -l <g.csv) -eq 5 ] && grep -q "^ggn,,,grid,final_val_loss,,ggn-a2," g.csv'

# profile over both folders
"$gnbench" profile a b --out prof.csv --plots figs >/dev/null 2>err; rc=$?
check "profile a b exits 0 (exit $rc: $(head -c 200 err))" '[ $rc -eq 0 ]'
check "profile writes the expected profile.csv" 'cmp -s prof.csv "$data/expected-profile.csv"'
if command -v gnuplot >/dev/null; then
  check "profile draws figs/profile.png" '[ -s figs/profile.png ] && [ "$(head -c 4 figs/profile.png | tail -c 3)" = PNG ]'
fi
check "the script quotes the optimizer names" 'grep -q "title '"'"'sgd'"'"'" figs/profile.gp'
"$gnbench" profile a missing --out p2.csv >/dev/null 2>err; rc=$?
check "profile of a missing folder exits 2 naming it (exit $rc)" '[ $rc -eq 2 ] && grep -q "missing" err && [ ! -e p2.csv ]'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
