#!/usr/bin/env bash
# e2e_hostile.sh GNBENCH: text that reaches a gnuplot or Slurm script never
# runs as a command.
#
# The experiment tests/data/hostile/hostile.yaml has a title, a description
# and swept training file names (series, panel and tic labels) that try to
# run `touch PWNED` in every way gnuplot or bash would: backquotes, $(...),
# quotes, backslashes, @ macros, line breaks. Its experiment, results and
# plots folders have names of the same kind. `gnbench run`, `plot` and
# `merge` must draw every figure with that text in it and create no PWNED
# file anywhere. `gnbench slurm` must refuse a path or sbatch option with a
# line break (exit 2, naming it, no script written) and quote every other
# value so that the script passes `bash -n`, holds the values only quoted
# (raw only in comments) and, run with a stand-in sbatch, hands them over
# intact, runs the sweep and draws the figures.
# usage: e2e_hostile.sh GNBENCH
set -u
gnbench=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: the tests cd
tests=$(cd "$(dirname "$0")" && pwd)
data=${GN_TEST_DATA:-$(dirname "$0")/data}
data=$(cd "$data" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BLIS_NUM_THREADS=1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# A suffix for folder names that bash and gnuplot would both misread.
H=' `touch PWNED` $(touch PWNED) '\''q'\'' "dq" \ @m'
# pwned: the PWNED files made anywhere under $work (none, or the test fails).
pwned() { find "$work" -name 'PWNED*' | head -3; }
# figures DIR: the three figures of hostile.yaml, rendered.
figures() { [ -s "$1/loss.png" ] && [ -s "$1/panels.png" ] && [ -s "$1/final.png" ]; }

exp="$work/exp$H"
mkdir -p "$exp" "$work/cwd$H" "$work/bin"
cp "$data/hostile/hostile.yaml" "$data/e2e/test.csv" "$exp"/
for n in 'a`touch PWNED`.csv' 'b$(touch PWNED)'\''q"z\.csv' $'c\n`touch PWNED`.csv'; do
  cp "$data/e2e/train.csv" "$exp/$n"
done
cd "$work/cwd$H"

# run, plot, merge: folders with line breaks too
out="$work/res$H"$'\nline 2'
plots="$work/plots$H"$'\nline 2'
"$gnbench" run "$exp/hostile.yaml" --out "$out" --plots "$plots" --threads 1 >/dev/null 2>run.log
rc=$?
check "run exits 0 (exit $rc)" '[ $rc -eq 0 ]'
check "run draws every figure" 'figures "$plots"'
check "run runs nothing (PWNED: $(pwned))" '[ -z "$(pwned)" ]'
check "the title is in the script, single-quoted" \
  'grep -qF "set title '\''T \`touch PWNED\` " "$plots/loss.gp"'
check "a file name is in a legend entry, single-quoted" \
  'grep -qF "title '\''dataset.train=a\`touch PWNED\`.csv'\''" "$plots/loss.gp"'
check "a file name with a line break is a tic label on one line" \
  'grep -qF "'\''c \`touch PWNED\`.csv'\'' 2)" "$plots/final.gp"'

plots2="$work/replot$H"
"$gnbench" plot "$out" --plots "$plots2" >/dev/null 2>plot.log
rc=$?
check "plot exits 0 (exit $rc: $(tail -1 plot.log))" '[ $rc -eq 0 ] && figures "$plots2"'
check "plot runs nothing (PWNED: $(pwned))" '[ -z "$(pwned)" ]'

for k in 1 2; do
  "$gnbench" run "$exp/hostile.yaml" --out "$work/part$k$H" --shard $k/2 --no-plot \
    --threads 1 >/dev/null 2>>shard.log
done
mplots="$work/merged-plots$H"
"$gnbench" merge "$work/part1$H" "$work/part2$H" --out "$work/merged$H" --plots "$mplots" \
  >/dev/null 2>merge.log
rc=$?
check "merge exits 0 (exit $rc: $(tail -1 merge.log))" '[ $rc -eq 0 ] && figures "$mplots"'
check "shards and merge run nothing (PWNED: $(pwned))" '[ -z "$(pwned)" ]'

# slurm: line breaks are refused
# refused NAME WHAT ARGS...: slurm with ARGS exits 2, names WHAT, writes no script.
refused() {
  local name=$1 what=$2
  shift 2
  rm -f "$work/refused.sh"
  msg=$("$gnbench" slurm "$@" --output "$work/refused.sh" 2>&1 >/dev/null)
  rc=$?
  check "slurm refuses $name (exit $rc: $msg)" \
    '[ $rc -eq 2 ] && [[ $msg == *"$what"*"line break"* ]] && [ ! -e "$work/refused.sh" ]'
}
nl=$'\nGNBENCH_SHARD\ntouch PWNED\n'
refused "an --out with a line break" "--out" "$exp/hostile.yaml" --out "$work/o$nl"
refused "a --plots with a carriage return" "--plots" "$exp/hostile.yaml" --plots "$work/p"$'\r'x
refused "an sbatch option with a line break" "sbatch option" "$exp/hostile.yaml" -- "--comment=a$nl"
mkdir "$work/e$nl" && cp "$exp/hostile.yaml" "$work/e$nl"/
refused "an experiment path with a line break" "EXPERIMENT.yaml" "$work/e$nl/hostile.yaml"
mkdir "$work/c$nl"
msg=$(cd "$work/c$nl" && "$gnbench" slurm "$exp/hostile.yaml" --out "$work/o" --plots "$work/p" \
  2>&1 >/dev/null)
rc=$?
check "slurm refuses a current folder with a line break (exit $rc)" \
  '[ $rc -eq 2 ] && [[ $msg == *"current folder"*"line break"* ]]'

# slurm: everything else is quoted
slout="$work/sl$H" slplots="$work/sl-plots$H"
"$gnbench" slurm "$exp/hostile.yaml" --out "$slout" --plots "$slplots" --threads 1 \
  --output "$work/submit.sh" -- "--comment=c$H" 2>slurm.log
rc=$?
check "slurm with quotes, backquotes and \$ in paths exits 0 ($(tail -1 slurm.log))" '[ $rc -eq 0 ]'
check "the script is valid bash" 'bash -n "$work/submit.sh"'
check "the paths appear raw only in comments" \
  '[ -z "$(grep -F -- "$H" "$work/submit.sh" | grep -v "^#")" ]'
quoted() { printf "'%s'" "$(sed "s/'/'\\\\''/g" <<<"$1")"; }
check "the paths appear shell-quoted" \
  'grep -qF -- "--out $(quoted "$slout")" "$work/submit.sh" &&
   grep -qF -- "--plots $(quoted "$slplots")" "$work/submit.sh" &&
   grep -qF -- "--chdir=$(quoted "$PWD")" "$work/submit.sh"'

# The stand-in sbatch of tests/sbatch.sh: logs each call's arguments one
# per line and runs an array's tasks one after another, then the job.
. "$tests/sbatch.sh"
sbatch_standin "$work/bin"
SBATCH_LOG=$work/sbatch.log PATH=$work/bin:$PATH bash "$work/submit.sh" >submit.out 2>&1
rc=$?
check "the script submits its two jobs (exit $rc: $(tail -1 submit.out))" \
  '[ $rc -eq 0 ] && [ "$(wc -l <"$work/sbatch.log")" = 2 ]'
check "sbatch gets the folder and the option intact" \
  'grep -qxF -- "--chdir=$PWD" "$work/sbatch.log.args.1" &&
   grep -qxF -- "--comment=c$H" "$work/sbatch.log.args.1" &&
   grep -qxF -- "--comment=c$H" "$work/sbatch.log.args.2"'
check "the jobs run the sweep and draw the figures" \
  '[ -f "$slout/runs.csv" ] && figures "$slplots"'
check "the Slurm script runs nothing (PWNED: $(pwned))" '[ -z "$(pwned)" ]'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
