#!/usr/bin/env bash
# Refreshes the curated reference figures in plots/gallery/ from a full run:
#   ninja -C build bench && bash scripts/gallery.sh
# or from the quick scale (plots/quick/, a few minutes):
#   ninja -C build bench-quick && bash scripts/gallery.sh --quick
# The README shows some of them with their pixel size (<img width height>,
# checked by tests/test_figures.c): update it when a size changes.
# (plots/gallery/perf/ comes from `ninja -C build bench-perf`; see
# PERFORMANCE.md.)
set -euo pipefail
cd "$(dirname "$0")/.."
from=plots
[ "${1:-}" = --quick ] && from=plots/quick
pick=(
  ggn-width/ggn-loss-vs-iteration-by-width
  ggn-width/iterations-to-target
  ggn-order/local-order
  cai-census/train-loss-vs-epoch
  ren-fmnist/train-loss-vs-epoch
  ren-fmnist/test-accuracy-vs-epoch
  roulet-cost/direction-cost
  roulet-dual/drop-in-loss
  cayci-clustered/iterations-to-target
  cayci-clustered/loss-vs-iteration
  cayci-clustered/gd-loss-vs-iteration
  cai-census/ggn-batch-damping
  cayci-clustered/lambda-min
  cayci-clustered/contraction-vs-spread
  protocol-cai-census/best-vs-time
  protocol-regression/best-vs-time
  protocol-regression/tuning-lr
  protocol-ren-fmnist/best-loss-vs-epoch
  protocol-ren-fmnist/best-accuracy-vs-time
  protocol-ren-fmnist/tuning-lr
  protocol-ren-autoencoder/best-loss-vs-epoch
  protocol-ren-autoencoder/tuning-lr
  protocol-ren-curves/best-loss-vs-epoch
  protocol-ren-curves/best-loss-vs-epoch-zoom
  protocol-cai-rotation/best-vs-time
  protocol-roulet-adam/best-vs-epoch
  protocol-roulet-sgd/best-vs-epoch
)
for p in "${pick[@]}"; do
  src=$from/$p.png
  [ -f "$src" ] || { echo "gallery: missing $src (run ninja -C build bench or bench-quick first)" >&2; exit 1; }
  mkdir -p "plots/gallery/$(dirname "$p")"
  cp "$src" "plots/gallery/$p.png"
done
echo "gallery: ${#pick[@]} figures from $from/ in plots/gallery/" >&2
