#!/usr/bin/env bash
# datasets/fetch.sh: put the data files of gnbench's package-backed datasets
# into datasets/cache/ (or $GNBENCH_DATA_CACHE), without root.
#
#   bash datasets/fetch.sh [PACKAGE...]    # default: all three below
#
# For each package it runs `apt-get download` (needs only the apt lists; run
# `sudo apt-get update` once if apt-get cannot find the package) and
# `dpkg-deb -x`, keeping only the data files and the copyright file, in the
# package's own layout, e.g.
#   datasets/cache/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
# gnbench looks there when the files are not installed system-wide.
# Idempotent: a package already installed system-wide, or already in the
# cache (same version), is skipped (GNBENCH_FETCH_FORCE=1: fetch into the
# cache even when installed system-wide).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${GNBENCH_DATA_CACHE:-$here/cache}

# package -> the data folder it installs (and a file that proves it is there)
declare -A dir=(
  [dataset-fashion-mnist]=/usr/share/datasets/fashion-mnist
  [libfann-doc]=/usr/share/doc/libfann-dev/examples/datasets
  [python3-sklearn]=/usr/lib/python3/dist-packages/sklearn/datasets/data
)
declare -A probe=(
  [dataset-fashion-mnist]=train-images-idx3-ubyte.gz
  [libfann-doc]=census-house.train
  [python3-sklearn]=digits.csv.gz
)

pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(dataset-fashion-mnist libfann-doc python3-sklearn)

for p in "${pkgs[@]}"; do
  if [ -z "${dir[$p]:-}" ]; then
    echo "fetch.sh: unknown package $p (known: ${!dir[*]})" >&2
    exit 2
  fi
  d=${dir[$p]}
  f=${probe[$p]}
  if [ -z "${GNBENCH_FETCH_FORCE:-}" ] && { [ -e "$d/$f" ] || [ -e "$d/$f.gz" ]; }; then
    echo "fetch.sh: $p: installed system-wide ($d), skipped"
    continue
  fi
  ver=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
    echo "fetch.sh: $p: apt knows no such package; run 'sudo apt-get update' first" >&2
    exit 1
  fi
  stamp="$cache/.fetched/$p"
  if [ -e "$cache$d/$f" ] && [ -e "$stamp" ] && [ "$(cat "$stamp")" = "$ver" ]; then
    echo "fetch.sh: $p $ver: already in $cache, skipped"
    continue
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "fetch.sh: $p $ver: downloading"
  (cd "$tmp" && apt-get download "$p" >/dev/null 2>"$tmp/apt.log") || {
    cat "$tmp/apt.log" >&2
    echo "fetch.sh: $p: apt-get download failed (try 'sudo apt-get update')" >&2
    exit 1
  }
  deb=$(ls "$tmp"/*.deb)
  echo "fetch.sh: $p: extracting $(basename "$deb")"
  dpkg-deb -x "$deb" "$tmp/root"
  mkdir -p "$cache$d" "$cache/.fetched" "$cache/usr/share/doc/$p"
  cp -a "$tmp/root$d/." "$cache$d/"
  if [ -e "$tmp/root/usr/share/doc/$p/copyright" ]; then
    cp "$tmp/root/usr/share/doc/$p/copyright" "$cache/usr/share/doc/$p/copyright"
  fi
  echo "$ver" >"$stamp"
  rm -rf "$tmp"
  trap - EXIT
  echo "fetch.sh: $p: done ($cache$d)"
done
