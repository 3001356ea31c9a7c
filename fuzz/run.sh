#!/usr/bin/env bash
# fuzz/run.sh [SECONDS]: builds the libFuzzer targets (clang, ASan + UBSan,
# build dir $GN_FUZZ_BUILD, default build-fuzz) and runs each for SECONDS
# (default 45) on its seed corpus fuzz/corpus/<target>/. New inputs go to a
# scratch corpus under the build dir, never into the repository. Prints the
# executions per target (libFuzzer's final stats) and exits 1 when any target
# crashed, leaked, hung, ran out of memory or printed a sanitizer report; the
# inputs that did are kept in $GN_FUZZ_BUILD/artifacts/<target>/.
# GN_FUZZ_TARGETS="experiment fann" limits the run to some targets.
set -u -o pipefail
secs=${1:-45}
src=$(cd "$(dirname "$0")/.." && pwd)
bdir=${GN_FUZZ_BUILD:-$src/build-fuzz}
all_targets="experiment csv_table csv_dataset idx fann sklearn"
targets=${GN_FUZZ_TARGETS:-$all_targets}

if [ ! -f "$bdir/build.ninja" ]; then
  CC=clang meson setup "$bdir" "$src" -Dfuzz=true -Dtests=disabled \
    -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    >"${TMPDIR:-/tmp}/gn-fuzz-setup.$$.log" 2>&1 \
    || { cat "${TMPDIR:-/tmp}/gn-fuzz-setup.$$.log"; exit 1; }
  rm -f "${TMPDIR:-/tmp}/gn-fuzz-setup.$$.log"
fi
ninja -C "$bdir" $(for t in $targets; do echo "fuzz/fuzz_$t"; done) >"$bdir/ninja.log" 2>&1 \
  || { tail -50 "$bdir/ninja.log"; exit 1; }

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# BLIS is linked but not used by the loaders; keep its threads out anyway.
export BLIS_NUM_THREADS=1 OMP_NUM_THREADS=1

status=0
summary=""
for t in $targets; do
  corpus=$src/fuzz/corpus/$t
  work=$bdir/corpus/$t
  art=$bdir/artifacts/$t
  mkdir -p "$work" "$art"
  max_len=4096
  [ "$t" = idx ] && max_len=65536
  dict=()
  [ -f "$src/fuzz/$t.dict" ] && dict=(-dict="$src/fuzz/$t.dict")
  log=$bdir/fuzz-$t.log
  echo "== fuzz_$t: ${secs}s, seeds $(ls "$corpus" | wc -l)"
  "$bdir/fuzz/fuzz_$t" "$work" "$corpus" "${dict[@]}" -max_total_time="$secs" \
    -max_len="$max_len" -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$art/" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  bad=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: (Address|Undefined|Leak)' "$log")
  if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ]; then
    status=1
    echo "   FAILED (exit $rc): see $log; inputs in $art"
    grep -E 'ERROR:|runtime error:|SUMMARY:|contract violated|Test unit written' "$log" | head -10 | sed 's/^/   /'
  fi
  line=$(printf '%-12s %10s executions  %s  exit %d' "$t" "${execs:-?}" "${cov:-cov: ?}" "$rc")
  echo "   $line"
  summary+="$line"$'\n'
done
echo "== summary (${secs}s per target)"
printf '%s' "$summary"
exit $status
