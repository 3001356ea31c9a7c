#!/usr/bin/env bash
# Refreshes the curated reference figures in plots/gallery/ from a full run:
#   ninja -C build bench && bash scripts/gallery.sh
# (plots/gallery/perf/ comes from `ninja -C build bench-perf`; see
# PERFORMANCE.md.)
set -euo pipefail
cd "$(dirname "$0")/.."
pick=(
  ggn-width/ggn-loss-vs-iteration-by-width
  ggn-width/iterations-to-target
  ggn-order/local-order
  cai-census/train-loss-vs-epoch
  cai-rotation/train-loss-vs-epoch
  ren-fmnist/train-loss-vs-epoch
  ren-fmnist/test-accuracy-vs-epoch
  roulet-cost/direction-cost
  roulet-dual/drop-in-loss
  cayci-clustered/iterations-to-target
  cayci-clustered/loss-vs-iteration
  cayci-clustered/gd-loss-vs-iteration
  cai-census/ggn-batch-damping
  cayci-clustered/lambda-min
)
for p in "${pick[@]}"; do
  src=plots/$p.png
  [ -f "$src" ] || { echo "gallery: missing $src (run ninja -C build bench first)" >&2; exit 1; }
  mkdir -p "plots/gallery/$(dirname "$p")"
  cp "$src" "plots/gallery/$p.png"
done
echo "gallery: ${#pick[@]} figures in plots/gallery/" >&2
