#!/usr/bin/env python3
"""An independent reference for expected-summary.csv: recomputes the
columns of `gnbench summarize` for a protocol folder from runs.csv with
the csv and statistics modules, the bootstrap included (the xoshiro256**
generator of src/core/rng.c written again here). A method is a row's label,
else its optimizer (a folder without a label column has no labels).

usage: reference.py RESULTS_DIR > expected-summary.csv
"""
import csv
import math
import statistics
import sys

M64 = (1 << 64) - 1


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


class Rng:
    def __init__(self, seed, stream):
        h = 0xcbf29ce484222325
        for b in stream.encode():
            h = ((h ^ b) * 0x100000001b3) & M64
        x = seed ^ mix64(h)
        self.s = []
        for _ in range(4):
            x = (x + 0x9e3779b97f4a7c15) & M64
            self.s.append(mix64(x))

    def u64(self):
        s = self.s
        rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & M64
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        threshold = ((1 << 64) - n) % n
        while True:
            x = self.u64()
            if x >= threshold:
                return x % n


def median(v):
    v = sorted(x for x in v if not math.isnan(x))
    if not v:
        return math.nan
    m = len(v)
    if m % 2:
        return v[m // 2]
    a, b = v[m // 2 - 1], v[m // 2]
    return a if a == b else (a + b if math.isinf(a) or math.isinf(b) else a + (b - a) / 2)


def bootstrap(v, B=2000, seed=14):
    v = [x for x in v if not math.isnan(x)]
    if not v:
        return math.nan, math.nan
    r = Rng(seed, "bootstrap")
    meds = sorted(median([v[r.below(len(v))] for _ in v]) for _ in range(B))
    k = 50  # ceil(B * 0.05 / 2)
    return meds[k - 1], meds[B - k]


def std(v):
    """Two-pass sample std with the rounding correction, in float64 as stats.c
    computes it (statistics.stdev rounds its exact result, 1 ulp apart)."""
    m = sum(v) / len(v)
    d = [x - m for x in v]
    ss = sum(x * x for x in d)
    sd = sum(d)
    return math.sqrt((ss - sd * sd / len(v)) / (len(v) - 1))


def fmt(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, int) or isinstance(x, str):
        return str(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    for p in (15, 16, 17):
        s = "%.*g" % (p, x)
        if float(s) == x:
            return s


def num(s):
    return float(s) if s else math.nan


def main():
    d = sys.argv[1]
    rows = list(csv.DictReader(open(f"{d}/runs.csv", newline="")))
    man = {r["key"]: r["value"] for r in csv.DictReader(open(f"{d}/manifest.csv", newline=""))}
    studies = int(man.get("protocol_studies", "1"))
    baselines = man.get("protocol_baselines", "sgd adam").split()
    fin = lambda r: r["status"] in ("ok", "diverged", "time_limit")
    name = lambda r: r.get("label") or r["optimizer"]
    keys = []
    for r in rows:
        k = (name(r), r["study"] if studies > 1 else "")
        if k not in keys:
            keys.append(k)
    order = {o: i for i, o in reversed(list(enumerate(k[0] for k in keys)))}
    keys.sort(key=lambda k: (order[k[0]], int(k[1]) if k[1] else -1))
    settings = [c for c in rows[0] if c.split(".")[0] in ("dataset", "model", "train", "opt") or c == "loss"]
    out = []
    for opt, study in keys:
        g = [r for r in rows if name(r) == opt and (not study or r["study"] == study)]
        tune = [r for r in g if r["phase"] == "tune"]
        conf = [r for r in g if r["phase"] == "confirm" and fin(r)]
        ftune = [r for r in tune if fin(r)]
        reached = [r for r in ftune if r["reached"] == "true"]
        if reached:  # time_to_target rule
            key = lambda r: (num(r["time_to_target_s"]), num(r["iterations_to_target"]),
                             num(r["final_val_loss"]) if r["final_val_loss"] not in ("", "nan") else math.inf,
                             int(r["trial"]))
            sel = min(reached, key=key)
        else:
            ok = [r for r in ftune if math.isfinite(num(r["final_val_loss"]))]
            sel = min(ok, key=lambda r: (r["status"] == "diverged", num(r["final_val_loss"]), int(r["trial"])))
        rep = conf[0]
        varying = [c for c in settings if len({r[c] for r in tune}) > 1 and rep[c]]
        t = [num(r["time_to_target_s"]) if r["reached"] == "true" else math.inf for r in conf]
        its = [num(r["iterations_to_target"]) if r["reached"] == "true" else math.inf for r in conf]
        col = lambda c: [num(r[c]) for r in conf]
        fin_t = all(math.isfinite(x) for x in t)
        row = {
            "optimizer": g[0]["optimizer"], "label": g[0].get("label", ""), "name": opt,
            "study": study, "source": "confirm", "select_rule": "time_to_target",
            "selected_trial": sel["trial"], "config_id": rep["config_id"],
            "config": ";".join(f"{c}={rep[c]}" for c in varying), "trials": len(ftune),
            "trials_budget": man.get("trials_" + opt, man["protocol_trials"]).split()[0],
            "error_runs": sum(r["status"] == "error" for r in g), "runs": len(conf),
            "reached": sum(r["reached"] == "true" for r in conf),
            "time_to_target_s_median": median(t), "time_to_target_s_lo": bootstrap(t)[0],
            "time_to_target_s_hi": bootstrap(t)[1],
            "time_to_target_s_mean": statistics.fmean(t) if fin_t else math.inf,
            "time_to_target_s_std": std(t) if fin_t and len(t) > 1 else math.nan,
            "iterations_to_target_median": median(its), "iterations_to_target_lo": bootstrap(its)[0],
            "iterations_to_target_hi": bootstrap(its)[1],
            "final_val_loss_median": median(col("final_val_loss")),
            "final_val_loss_lo": bootstrap(col("final_val_loss"))[0],
            "final_val_loss_hi": bootstrap(col("final_val_loss"))[1],
        }
        for c in ("best_val_loss", "final_val_accuracy", "final_test_loss", "final_test_accuracy",
                  "final_train_loss"):
            row[c + "_median"] = median(col(c))
        row["step_s_median"] = median(col("step_s_median"))
        row["peak_rss_mib_max"] = max(col("peak_rss_mib"))
        row["tuning_compute_s"] = sum(num(r["wall_s"]) + num(r["eval_s"]) for r in ftune)
        out.append(row)
    for row in out:
        cands = [b for b in out if b["study"] == row["study"] and b["optimizer"] in baselines
                 and math.isfinite(b["time_to_target_s_median"])]
        if cands:
            best = min(cands, key=lambda b: b["time_to_target_s_median"])
            row["baseline"] = best["name"]
            row["speedup_vs_baseline"] = best["time_to_target_s_median"] / row["time_to_target_s_median"]
    cols = list(out[0].keys())[:-0 or None]
    cols = ["optimizer", "label", "study", "source", "select_rule", "selected_trial", "config_id", "config",
            "trials", "trials_budget", "error_runs", "runs", "reached"] + [
            c for c in out[0] if c.startswith(("time_", "iterations_", "final_", "best_"))] + [
            "step_s_median", "peak_rss_mib_max", "tuning_compute_s", "baseline", "speedup_vs_baseline"]
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(cols)
    for row in out:
        w.writerow([fmt(row.get(c)) for c in cols])


if __name__ == "__main__":
    main()
