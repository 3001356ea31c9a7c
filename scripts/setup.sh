#!/usr/bin/env bash
# Installs the Debian packages gnbench needs (only those missing; sudo when
# not root), then configures build/ with Meson and builds it.
# usage: scripts/setup.sh [extra meson setup options]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(meson ninja-build pkg-config gcc libblis-dev libflame-dev libcsv-dev
          libcriterion-dev libyaml-dev zlib1g-dev gnuplot-nox
          dataset-fashion-mnist libfann-doc libopenmpi-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# scikit-learn's data files (digits, diabetes) without installing scikit-learn
if ! bash datasets/fetch.sh python3-sklearn >&2; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && bash datasets/fetch.sh python3-sklearn >&2 ||
    echo "setup: warning: could not fetch python3-sklearn's data files; digits and diabetes will be unavailable" >&2
fi

if [ ! -f build/build.ninja ]; then
  meson setup build "$@" >&2
fi
ninja -C build >&2
