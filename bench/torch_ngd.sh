#!/bin/sh
# torch_ngd.sh [BUILD_DIR]: gnbench's ngd and sgd against a straightforward
# PyTorch implementation, one Fashion-MNIST epoch of 784-500-10 (batch 1000,
# curvature batch 100), torch float32 / torch float64 / gnbench float64
# interleaved round by round (`ninja -C build bench-torch-ngd`; PERFORMANCE.md,
# "gnbench's ngd against PyTorch"). Needs python3-torch for /usr/bin/python3
# (an optional benchmark dependency, not installed by scripts/setup.sh) and
# dataset-fashion-mnist; skips (exit 77) without them. Not run by the tests.
# Environment:
#   TORCH_NGD_OUT      results folder (default SOURCE_ROOT/results/torch-ngd)
#   TORCH_NGD_ROUNDS   rounds (default 7)
#   TORCH_NGD_THREADS  BLAS threads of both sides (default 1)
#   TORCH_NGD_ARGS     more options for torch_ngd.py (e.g. "--methods ngd")
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
out=${TORCH_NGD_OUT:-$src/results/torch-ngd}
threads=${TORCH_NGD_THREADS:-1}
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
    echo "torch_ngd.sh: skipped: /usr/bin/python3 lacks torch" \
        "(apt-get install -y --no-install-recommends python3-torch)"
    exit 77
fi
export OMP_NUM_THREADS="$threads" BLIS_NUM_THREADS="$threads"
mkdir -p "$out"
echo "start: $(uptime)" > "$out/uptime.txt"
# shellcheck disable=SC2086
/usr/bin/python3 "$src/bench/torch_ngd.py" --gnbench "$build/src/gnbench" \
    --exporter "$build/bench/export_ngd" --bench-smw "$build/bench/bench_smw" \
    --out "$out" --threads "$threads" --rounds "${TORCH_NGD_ROUNDS:-7}" ${TORCH_NGD_ARGS:-}
echo "end: $(uptime)" >> "$out/uptime.txt"
echo "torch_ngd.sh: $out/torch_ngd_summary.txt, torch_ngd_rounds.csv, torch_ngd_check.csv"
