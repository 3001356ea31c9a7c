#!/usr/bin/env python3
"""Prints a results folder's runs.csv grouped by configuration (all settings
except the seed): run count, statuses, and per chosen column the median over
seeds, its 95 % bootstrap interval (the percentile bootstrap of `gnbench
summarize`, B = 2000, gnbench's generator: the independent Python version in
tests/data/summarize/reference.py, which the summarize tests check against
the C one) and the min and max; a run that did not reach the target counts
as +inf in *_to_target, as in summarize. Used to fill REPRODUCING.md.

usage: scripts/summarize.py RESULTS_DIR [COLUMN ...]
       (default columns: final_train_loss final_test_loss step_s_median
        iterations_to_target); per column: median [95 % interval] (min..max)
"""
import csv
import os
import sys

sys.dont_write_bytecode = True  # nothing written beside the sources
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                                "summarize"))
from reference import bootstrap, median  # noqa: E402

# the settings columns (as gnbench summarize reads them), plus what names a method
def is_setting(col):
    return col.split(".")[0] in ("dataset", "model", "train", "opt") or col in (
        "loss", "optimizer", "label")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    folder = sys.argv[1]
    cols = sys.argv[2:] or ["final_train_loss", "final_test_loss", "step_s_median",
                            "iterations_to_target"]
    rows = list(csv.DictReader(open(f"{folder}/runs.csv", newline="")))
    if not rows:
        print("no runs")
        return
    settings = [k for k in rows[0] if is_setting(k)]
    varying = [k for k in settings if len({r[k] for r in rows}) > 1]
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in varying), []).append(r)
    print("config: " + " ".join(varying))
    for key, rs in groups.items():
        parts = []
        for c in cols:
            vals = []
            for r in rs:
                if c.endswith("_to_target") or c == "time_to_target_s":
                    if r.get("reached") == "false":  # as gnbench summarize: +inf
                        vals.append(float("inf"))
                        continue
                try:
                    vals.append(float(r[c]))
                except (KeyError, ValueError):
                    pass
            if vals:
                lo, hi = bootstrap(vals)
                parts.append(f"{c}={median(vals):.4g} [{lo:.4g}, {hi:.4g}] ({min(vals):.3g}..{max(vals):.3g})")
            else:
                parts.append(f"{c}=-")
        status = ",".join(sorted({r["status"] for r in rs}))
        print(f"{' '.join(key)} | n={len(rs)} {status} | " + "  ".join(parts))


if __name__ == "__main__":
    main()
