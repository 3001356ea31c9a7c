#!/usr/bin/env bash
# e2e_bad.sh GNBENCH: `gnbench run` refuses every bad input cleanly.
#
# Inputs: each tests/data/bad/*.yaml (first line "# expect: LINE KEY": the
# message must name FILE:LINE and KEY) and each tests/data/e2e_bad/*.yaml
# (broken datasets: first line "# expect-run: A | B | ..." lists text the
# message must contain; an optional "# data-root: NAME" line runs it with
# GNBENCH_DATA_ROOT=tests/data/e2e_bad/roots/NAME, so package datasets come
# from there). For every input: exit status 2 (never a signal, >= 128), the
# message names the file (and line and key), and no results or plots folder
# is left behind.
set -u
gnbench=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=${GN_TEST_DATA:-$(dirname "$0")/data}
data=$(cd "$data" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export BLIS_NUM_THREADS=1 GNBENCH_DATA_CACHE=$work/empty-cache
mkdir -p "$GNBENCH_DATA_CACHE"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }

# run NAME DIR FILE [ENV...]: runs gnbench in DIR; sets rc and msg.
run() {
  local dir=$2 file=$3
  shift 3
  rm -rf "$work/out" "$work/plots"
  msg=$(cd "$dir" && env "$@" "$gnbench" run "$file" --out "$work/out" --plots "$work/plots" \
    --threads 1 2>&1 >/dev/null)
  rc=$?
}

# verdict NAME: the checks every input shares.
verdict() {
  local name=$1
  shift
  if [ "$rc" -ge 128 ]; then bad "$name: killed by a signal (exit $rc): $msg"; return; fi
  if [ "$rc" -ne 2 ]; then bad "$name: exit $rc, expected 2: $msg"; return; fi
  if [ -e "$work/out" ] || [ -e "$work/plots" ]; then
    bad "$name: left a results or plots folder"
    return
  fi
  local want
  for want in "$@"; do
    if [[ $msg != *"$want"* ]]; then bad "$name: message lacks '$want': $msg"; return; fi
  done
  ok "$name"
}

# Experiment files: FILE:LINE: KEY.
cp -r "$data/bad" "$work/bad"
for f in "$work"/bad/*.yaml; do
  b=$(basename "$f")
  first=$(head -1 "$f")
  line=$(sed -n 's/^# expect: \([0-9]*\) .*/\1/p' <<<"$first")
  key=$(sed -n 's/^# expect: [0-9]* //p' <<<"$first")
  if [ -z "$line" ]; then bad "$b: no '# expect: LINE KEY' first line"; continue; fi
  run "$b" "$work/bad" "$b"
  verdict "bad/$b" "$b:$line: $key"
done

# Broken datasets.
cp -r "$data/e2e_bad" "$work/e2e_bad"
for f in "$work"/e2e_bad/*.yaml; do
  b=$(basename "$f")
  spec=$(sed -n '1s/^# expect-run: //p' "$f")
  if [ -z "$spec" ]; then bad "$b: no '# expect-run: ...' first line"; continue; fi
  root=$(sed -n 's/^# data-root: //p' "$f")
  envs=(GNBENCH_DATA_ROOT="${root:+$work/e2e_bad/roots/$root}")
  [ -z "$root" ] && envs=(GNBENCH_DATA_ROOT="$work/empty-cache")
  IFS='|' read -r -a wants <<<"$spec"
  trimmed=("$b")
  for w in "${wants[@]}"; do
    w=${w#"${w%%[![:space:]]*}"}
    w=${w%"${w##*[![:space:]]}"}
    [ -n "$w" ] && trimmed+=("$w")
  done
  run "$b" "$work/e2e_bad" "$b" "${envs[@]}"
  verdict "e2e_bad/$b" "${trimmed[@]}"
done

# A file that does not exist, and a folder given as the file.
run missing "$work" "no-such-file.yaml"
verdict "missing experiment file" "no-such-file.yaml" "cannot open"
run folder "$work" "bad"
verdict "a folder as the experiment file" "bad"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
