#!/usr/bin/env python3
"""Local order of convergence per configuration of a results folder (the
ggn-order row of REPRODUCING.md): for each run, the largest
log(L_{k+1}/L_k) / log(L_k/L_{k-1}) over the iterations whose losses fall
and stay above the rounding floor; per configuration (the settings that
vary, the seed left out) the median over seeds with the 95 % bootstrap
interval of `gnbench summarize` and the min and max.

usage: scripts/local_order.py RESULTS_DIR [FLOOR]   (FLOOR: default 1e-28)
"""
import csv
import math
import sys

sys.dont_write_bytecode = True  # nothing written beside the sources
from summarize import bootstrap, is_setting, median  # noqa: E402  (summarize's bootstrap)


def largest_order(losses, floor):
    best = -math.inf
    for k in range(1, len(losses) - 1):
        a, b, c = losses[k - 1], losses[k], losses[k + 1]
        if c > floor and c < b < a:
            best = max(best, math.log(c / b) / math.log(b / a))
    return best


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    res = sys.argv[1]
    floor = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-28
    rows = list(csv.DictReader(open(f"{res}/runs.csv", newline="")))
    varying = [k for k in rows[0] if is_setting(k) and len({r[k] for r in rows}) > 1]
    groups = {}
    for r in rows:
        trace = list(csv.DictReader(open(f"{res}/traces/{r['run_id']}.csv", newline="")))
        order = largest_order([float(t["train_loss"]) for t in trace], floor)
        groups.setdefault(tuple(r[k] for k in varying), []).append(order)
    print("config: " + " ".join(varying))
    for key, v in groups.items():
        lo, hi = bootstrap(v)
        print(f"{' '.join(key)} | n={len(v)} | order={median(v):.2f} [{lo:.2f}, {hi:.2f}] "
              f"({min(v):.2f}..{max(v):.2f})")


if __name__ == "__main__":
    main()
