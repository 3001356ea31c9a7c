#!/usr/bin/env bash
# e2e_daily.sh GNBENCH: daily-use rough edges of the gnbench program.
#   - help: every command's --help and -h (and `gnbench help CMD`) print that
#     command's usage on stdout and exit 0, before looking at anything else;
#   - install: `meson install` puts the program, and only it, under the prefix;
#   - results documentation: docs/RESULTS.md is `gnbench list columns`, and
#     every column a run writes is documented there;
#   - slurm: the script asks for CPUs, time and memory for the shard tasks,
#     and the merge job keeps its own small request.
# usage: e2e_daily.sh GNBENCH
set -u
gnbench=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: the tests cd
src=$(cd "$(dirname "$0")/.." && pwd)
data=${GN_TEST_DATA:-$src/tests/data}
data=$(cd "$data" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BLIS_NUM_THREADS=1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
cd "$work"

# ---- help ----
for c in list run check merge slurm plot; do
  for h in --help -h; do
    out=$("$gnbench" "$c" "$h" 2>err); rc=$?
    check "$c $h exits 0 (exit $rc)" '[ $rc -eq 0 ]'
    check "$c $h prints its usage on stdout, nothing on stderr" \
      'printf "%s\n" "$out" | grep -q "^  gnbench $c " && [ ! -s err ]'
  done
  out=$("$gnbench" help "$c" 2>/dev/null); rc=$?
  check "help $c exits 0 and prints the usage of $c" \
    '[ $rc -eq 0 ] && [ "$out" = "$("$gnbench" "$c" --help 2>/dev/null)" ]'
done
# after other arguments, even a missing file: the usage, nothing is read
out=$("$gnbench" run missing.yaml --jobs 2 --help 2>err); rc=$?
check "run FILE --jobs 2 --help exits 0 without opening FILE" \
  '[ $rc -eq 0 ] && printf "%s\n" "$out" | grep -q -- "--memory-limit" && [ ! -s err ]'
check "run --help wrote nothing" '[ -z "$(ls "$work" | grep -v "^err$")" ]'
# an option's value and what follows -- are not asking for help
"$gnbench" run --only --help 2>err >/dev/null; rc=$?
check "run --only --help is a missing file, exit 2 (exit $rc)" '[ $rc -eq 2 ]'
"$gnbench" help nothing >/dev/null 2>err; rc=$?
check "help of an unknown command exits 2 naming it" '[ $rc -eq 2 ] && grep -q "\"nothing\"" err'
out=$("$gnbench" --help); rc=$?
check "gnbench --help still prints every command" \
  '[ $rc -eq 0 ] && [ $(printf "%s\n" "$out" | grep -c "^  gnbench ") -ge 6 ]'

# ---- results documentation ----
# docs/RESULTS.md is the output of `gnbench list columns` (so it cannot go
# stale), and every column and manifest key real runs write is in it: a
# sweep of every optimizer (square loss and cross-entropy), and a sweep in
# two shards whose second merges the folder.
"$gnbench" list columns >columns.md 2>err; rc=$?
check "list columns exits 0 (exit $rc)" '[ $rc -eq 0 ] && [ ! -s err ]'
check "docs/RESULTS.md is the output of gnbench list columns (regenerate: gnbench list columns >docs/RESULTS.md)" \
  'cmp -s columns.md "$src/docs/RESULTS.md"'
check "the page says what wall_s includes and excludes" \
  'grep -q "^### What wall_s includes" columns.md && grep -q "excludes the evaluations" columns.md'
# section NAME: the column names documented in the page's section NAME.
section() {
  awk -v s="$1" '/^## /{on = index($0, s) > 0} on && /^\| `/' columns.md | cut -d'`' -f2
}
section "runs.csv" >doc.runs; section "traces/" >doc.trace; section "manifest.csv" >doc.manifest
cp "$data/e2e/"* .
for f in family family-xent; do
  "$gnbench" run $f.yaml --out res-$f --no-plot --threads 1 >/dev/null 2>&1
done
"$gnbench" run tiny.yaml --out res-sh --no-plot --threads 1 --shard 1/2 >/dev/null 2>&1
"$gnbench" run tiny.yaml --out res-sh --no-plot --threads 1 --shard 2/2 >/dev/null 2>&1
undocumented=
for d in res-family res-family-xent res-sh; do
  [ -s $d/runs.csv ] || undocumented="$undocumented $d/runs.csv(missing)"
  for c in $(head -1 $d/runs.csv | tr ',' ' '); do
    case $c in dataset.* | model.* | train.* | opt.* | loss) continue ;; esac
    grep -qxF "$c" doc.runs || undocumented="$undocumented runs.csv:$c"
  done
  for t in $d/traces/*.csv; do
    for c in $(head -1 "$t" | tr ',' ' '); do
      grep -qxF "$c" doc.trace || undocumented="$undocumented trace:$c"
    done
  done
  for m in $d/manifest*.csv; do
    for k in $(tail -n +2 "$m" | cut -d, -f1 |
      sed -E 's/^(dataset_identity|mpi_node)_[0-9]+$/\1_N/; s/^shard_[0-9]+_of_[0-9]+$/shard_K_of_N/; s/^trials_.*/trials_NAME/'); do
      grep -qxF "$k" doc.manifest || undocumented="$undocumented manifest:$k"
    done
  done
done
undocumented=$(printf "%s\n" $undocumented | sort -u | grep . | head -20 | tr '\n' ' ')
check "every column and manifest key the runs wrote is documented ($undocumented)" \
  '[ -z "$undocumented" ] && grep -q "^merge_tables," res-sh/manifest.csv'
check "the page has every optimizer's trace columns" \
  'grep -qxF dual_gap doc.trace && grep -qxF rejected doc.trace'

# ---- install ----
# The build folder is GNBENCH's: build/src/gnbench. `meson install` into a
# DESTDIR must put there the program and its documentation, nothing else,
# and the installed program must work away from the build and the sources.
builddir=$(cd "$(dirname "$gnbench")/.." && pwd)
if ! command -v meson >/dev/null || [ ! -d "$builddir/meson-info" ]; then
  ok "# SKIP install: no meson, or $builddir is not a meson build folder"
else
  dest=$work/dest
  DESTDIR=$dest meson install -C "$builddir" --no-rebuild --quiet >install.log 2>&1; rc=$?
  check "meson install into a DESTDIR exits 0 (exit $rc: $(tail -1 install.log))" '[ $rc -eq 0 ]'
  files=$(cd "$dest" && find . -type f -o -type l | sort)
  prog=$(printf "%s\n" "$files" | grep "/bin/gnbench$")
  check "the program is installed as PREFIX/bin/gnbench ($prog)" '[ -n "$prog" ] && [ -x "$dest/$prog" ]'
  prefix=${prog%/bin/gnbench}
  want=$(printf "%s\n" "$prefix/bin/gnbench" "$prefix/share/doc/gnbench/README.md" \
    "$prefix/share/doc/gnbench/RESULTS.md" "$prefix/share/doc/gnbench/SCALING.md")
  check "it installs the program and its documentation, nothing else ($(echo $files))" \
    '[ "$files" = "$want" ]'
  check "the documentation is the source tree's" \
    'cmp -s "$dest/$prefix/share/doc/gnbench/RESULTS.md" "$src/docs/RESULTS.md"'
  mkdir away && cp "$data/e2e/tiny.yaml" "$data/e2e/train.csv" "$data/e2e/test.csv" away/
  out=$(cd away && "$dest/$prog" check tiny.yaml 2>&1); rc=$?
  check "the installed program checks an experiment away from the build (exit $rc)" \
    '[ $rc -eq 0 ] && printf "%s\n" "$out" | grep -q "^experiment "'
fi

# ---- slurm ----
# A stand-in sbatch that records each job's arguments, one per line
# (sbatch.N), and runs nothing.
mkdir -p bin
cat >bin/sbatch <<'SH'
#!/usr/bin/env bash
n=$(($(cat "$SBATCH_DIR/count" 2>/dev/null || echo 0) + 1))
echo $n >"$SBATCH_DIR/count"
printf '%s\n' "$@" >"$SBATCH_DIR/args.$n"
cat >"$SBATCH_DIR/job.$n"
echo "$((1000 + n));cluster"
SH
chmod +x bin/sbatch
# submit NAME [slurm options...] [-- sbatch options]: writes NAME.sh and
# runs it with the stand-in; the shard job's arguments are in NAME/args.1,
# the merge job's in NAME/args.2.
submit() {
  local name=$1; shift
  mkdir -p "$name"
  "$gnbench" slurm tiny.yaml --array-size 2 --out "$work/res-sl" --output "$name.sh" "$@" \
    2>"$name.log" &&
    SBATCH_DIR=$work/$name PATH=$work/bin:$PATH bash "$name.sh" --qos=submit-time \
      >"$name/out" 2>&1
}
has() { grep -qxF -- "$2" "$1"; }
submit default; rc=$?
check "slurm with no request options submits both jobs (exit $rc)" \
  '[ $rc -eq 0 ] && [ "$(cat default/count)" = 2 ]'
check "each shard task asks for 1 CPU, 4G and 4:00:00 by default" \
  'has default/args.1 --cpus-per-task=1 && has default/args.1 --mem=4G && has default/args.1 --time=4:00:00'
check "the merge job asks for its own 1 CPU, 2G and 1:00:00" \
  'has default/args.2 --cpus-per-task=1 && has default/args.2 --mem=2G && has default/args.2 --time=1:00:00 &&
   ! has default/args.2 --mem=4G && ! has default/args.2 --time=4:00:00'
check "options given when submitting reach both jobs" \
  'has default/args.1 --qos=submit-time && has default/args.2 --qos=submit-time'
submit threads --threads 4 --time 2-00:30:00 --mem 16G -- --partition=p "--comment=a b"; rc=$?
check "--threads 4 --time --mem: the shard tasks ask for 4 CPUs, the time and the memory (exit $rc)" \
  '[ $rc -eq 0 ] && has threads/args.1 --cpus-per-task=4 && has threads/args.1 --time=2-00:30:00 &&
   has threads/args.1 --mem=16G && ! has threads/args.1 --mem=4G'
check "and run with 4 threads" 'grep -q -- "--no-plot --threads 4$" threads/job.1'
check "the merge job keeps its own request" \
  'has threads/args.2 --cpus-per-task=1 && has threads/args.2 --mem=2G && ! has threads/args.2 --mem=16G &&
   ! has threads/args.2 --cpus-per-task=4 && ! has threads/args.2 --time=2-00:30:00'
check "other sbatch options after -- reach both jobs" \
  'has threads/args.1 --partition=p && has threads/args.2 --partition=p && has threads/args.2 "--comment=a b"'
submit after -- --mem-per-cpu=3G -t 30 -c 2 --gres=gpu:1 --account=acct; rc=$?
check "requests after -- replace those of their kind in the shard tasks (exit $rc)" \
  '[ $rc -eq 0 ] && has after/args.1 --mem-per-cpu=3G && has after/args.1 -t && has after/args.1 30 &&
   has after/args.1 -c && has after/args.1 2 && has after/args.1 --gres=gpu:1 &&
   ! grep -q -- "^--mem=\|^--time=\|^--cpus-per-task=" after/args.1'
check "and not the merge job, which gets the other options" \
  '! has after/args.2 --mem-per-cpu=3G && ! has after/args.2 -t && ! has after/args.2 --gres=gpu:1 &&
   has after/args.2 --mem=2G && has after/args.2 --account=acct && has after/args.1 --account=acct'
for bad in "--time abc" "--time 1:2:3:4" "--mem 4X" "--mem 0" "--time" ; do
  # shellcheck disable=SC2086
  "$gnbench" slurm tiny.yaml $bad --output bad.sh >/dev/null 2>bad.log; rc=$?
  check "slurm $bad exits 2 naming the option, no script" \
    '[ $rc -eq 2 ] && grep -q -- "${bad%% *}" bad.log && [ ! -e bad.sh ]'
done

echo "# $pass passed, $fail failed"
[ $fail -eq 0 ]
