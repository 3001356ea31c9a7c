#!/usr/bin/env python3
"""Paired comparison of two configurations of a results folder over the
seeds they share (runs with the same seed start from the same parameters
and see the same batches): per seed the difference A - B of a runs.csv
column, its median with the 95 % bootstrap interval of `gnbench summarize`,
and on how many seeds A is below B. A and B select runs by settings,
"key=value" joined by commas (label=SGD,opt.lr=0.1); each must leave one
run per seed.

usage: scripts/paired.py RESULTS_DIR COLUMN A B
"""
import csv
import math
import sys

sys.dont_write_bytecode = True  # nothing written beside the sources
from summarize import bootstrap, median  # noqa: E402  (summarize's bootstrap)


def select(rows, spec):
    want = dict(kv.split("=", 1) for kv in spec.split(",") if kv)
    for k in want:
        if rows and k not in rows[0]:
            sys.exit(f"paired.py: runs.csv has no column {k}")
    by_seed = {}
    for r in rows:
        if all(r[k] == v for k, v in want.items()) and r["status"] != "error":
            if r["seed"] in by_seed:
                sys.exit(f"paired.py: {spec} selects two runs of seed {r['seed']}")
            by_seed[r["seed"]] = r
    return by_seed


def value(r, col):
    try:
        return float(r[col])
    except ValueError:
        return math.nan


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    res, col, a_spec, b_spec = sys.argv[1:]
    rows = list(csv.DictReader(open(f"{res}/runs.csv", newline="")))
    a, b = select(rows, a_spec), select(rows, b_spec)
    seeds = sorted(set(a) & set(b), key=int)
    if not seeds:
        sys.exit("paired.py: the two selections share no seed")
    d = [value(a[s], col) - value(b[s], col) for s in seeds]
    for s, x in zip(seeds, d):
        print(f"seed {s}: {value(a[s], col):.6g} - {value(b[s], col):.6g} = {x:.4g}")
    lo, hi = bootstrap(d)
    below = sum(x < 0 for x in d)
    print(f"{col} A - B: median {median(d):.4g} [{lo:.4g}, {hi:.4g}] over {len(d)} seeds; "
          f"A below B on {below} of {len(d)}")


if __name__ == "__main__":
    main()
