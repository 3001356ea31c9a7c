#!/usr/bin/env python3
"""Prints a results folder's runs.csv grouped by configuration (all settings
except the seed): run count, statuses, and the median / min / max over seeds
of the chosen columns. Used to fill REPRODUCING.md.

usage: scripts/summarize.py RESULTS_DIR [COLUMN ...]
       (default columns: final_train_loss final_test_loss step_s_median
        iterations_to_target)
"""
import csv
import statistics
import sys

METRICS = {"iterations", "wall_s", "step_s_median", "final_train_loss", "final_test_loss",
           "final_test_accuracy", "best_train_loss", "time_to_target_s", "iterations_to_target",
           "peak_rss_mib", "kernel_lambda_min_init", "kernel_cond_init", "rejected_steps",
           "damping_raised_steps", "dataset_identity", "message", "run_id", "status", "seed"}


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
    settings = [k for k in rows[0] if k not in METRICS]
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
                try:
                    vals.append(float(r[c]))
                except (KeyError, ValueError):
                    pass
            if vals:
                parts.append(f"{c}={statistics.median(vals):.4g} [{min(vals):.3g}, {max(vals):.3g}]")
            else:
                parts.append(f"{c}=-")
        status = ",".join(sorted({r["status"] for r in rs}))
        print(f"{' '.join(key)} | n={len(rs)} {status} | " + "  ".join(parts))


if __name__ == "__main__":
    main()
