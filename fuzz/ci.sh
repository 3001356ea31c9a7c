#!/usr/bin/env bash
# fuzz/ci.sh: the reliability checks CI runs (called from .ci/run), under
# 8 minutes on 2 cores:
#  1. every libFuzzer target for GN_FUZZ_SECONDS (default 25) each, on its
#     seed corpus (fuzz/run.sh; clang build in build-fuzz);
#  2. every unit-test executable of the gcc build ($GN_BUILD, default build)
#     under valgrind memcheck, two at a time: BLIS pinned to haswell kernels
#     (BLIS_ARCH_TYPE=3, which valgrind can emulate), Criterion with
#     --jobs=1, children traced; any valgrind report fails the step (leaks
#     definite or possible, except BLIS/OpenMP's thread pool per
#     fuzz/valgrind.supp). Programs the tests start (gnuplot, sh) are not
#     traced. The whole suite takes about 10 minutes under valgrind on 2
#     cores, so GN_VALGRIND_SKIP (default: test_dataset test_experiment,
#     which the ASan build of .ci/run and the fuzzers cover) names
#     executables left out; GN_VALGRIND_SKIP= runs them all.
# Exits 0 when both pass; logs go to $GN_BUILD/valgrind/.
set -u -o pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bdir=${GN_BUILD:-$src/build}
secs=${GN_FUZZ_SECONDS:-25}
# test_contracts: death tests (they abort on purpose)
skip=${GN_VALGRIND_SKIP-test_dataset test_experiment test_contracts}
status=0

echo "== fuzz (${secs}s per target)"
"$src/fuzz/run.sh" "$secs" || status=1

echo "== valgrind unit tests ($bdir; skipped: ${skip:-none})"
ninja -C "$bdir" >/dev/null || { echo "build failed"; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind not installed"; exit 1; }
logs=$bdir/valgrind
rm -rf "$logs"
mkdir -p "$logs"
export BLIS_ARCH_TYPE=3 BLIS_NUM_THREADS=1 OMP_NUM_THREADS=1
export GN_TEST_DATA=$src/tests/data GNBENCH=$bdir/src/gnbench
export GN_UNDER_VALGRIND=1 # tests that fork a copy of themselves skip (see test_plot.c)
vg_one() {
  local exe=$1 logs=$2 supp=$3 name t0=$SECONDS
  name=$(basename "$exe")
  valgrind --quiet --trace-children=yes --trace-children-skip='*gnuplot*,*/sh,*/bash,*/env' \
    --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,possible --show-leak-kinds=definite,possible \
    --suppressions="$supp" --log-file="$logs/$name.%p.vg" \
    "$exe" --jobs=1 >"$logs/$name.out" 2>&1
  local rc=$?
  # with --quiet, any line valgrind writes is a report
  if [ $rc -ne 0 ] || cat "$logs/$name".*.vg 2>/dev/null | grep -q .; then
    echo "FAIL $name (exit $rc): $(cat "$logs/$name".*.vg 2>/dev/null | grep -m1 -E 'lost|Invalid|uninitialised|Syscall|Mismatched' || tail -1 "$logs/$name.out")"
    return 1
  fi
  echo "ok   $name ($((SECONDS - t0))s)"
}
export -f vg_one
start=$(date +%s)
find "$bdir/tests" -maxdepth 1 -type f -name 'test_*' -perm -u+x | sort |
  while read -r exe; do [[ " $skip " == *" $(basename "$exe") "* ]] || echo "$exe"; done |
  xargs -P 2 -I{} bash -c 'vg_one "$@"' _ {} "$logs" "$src/fuzz/valgrind.supp" | tee "$logs/summary.txt"
grep -q '^FAIL' "$logs/summary.txt" && status=1
echo "valgrind: $(grep -c '^ok' "$logs/summary.txt") passed, $(grep -c '^FAIL' "$logs/summary.txt") failed in $(( $(date +%s) - start ))s"
exit $status
