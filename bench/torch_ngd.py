#!/usr/bin/python3
"""torch_ngd.py: gnbench's ngd (and sgd) against a straightforward PyTorch
implementation, one Fashion-MNIST epoch of Ren & Goldfarb's 784-500-10.

The problem (protocol-ren-fmnist.yaml's model): 784-500-10, ReLU, no biases,
softmax cross-entropy, PyTorch's default nn.Linear initialization; batches
of 1000 shuffled training images (pixels / 255), curvature batch b2 = 100.

The PyTorch ngd step (`ngd_step`), written the way Ren & Goldfarb's code
works, from per-layer inputs and backpropagated per-sample gradients:
  forward over the batch keeping the layer inputs A_l and pre-activations
  z_l (retain_grad); loss.backward() gives g and, in z_l.grad, b times the
  per-sample gradients G_l = dl_i/dz_l; a curvature subset of b2 rows;
  U U^T = sum_l (A_l A_l^T) o (G_l G_l^T)            (b2 x b2)
  U g   = sum_l rowsum((G_l g_l) o A_l)              (b2)
  y = (U U^T + b2 lam I)^-1 U g                      (Cholesky)
  d_l = ((G_l o y)^T A_l - g_l) / lam,  W_l += eta d_l
  the gain ratio rho from a trial forward over the batch, with
  g^T d = ((Ug)^T y - |g|^2)/lam and U d = (S y - U g)/lam, and the
  Levenberg-Marquardt rule on lam (boost 1.01, drop 0.990099, rho: damped
  by default), as gnbench's ngd (src/optim/smw_step.c, subset_step).
The PyTorch sgd step: nn.Sequential, loss.backward(), torch.optim.SGD with
momentum 0.9.

Check (--exporter build/bench/export_ngd): the first --check-steps steps
of both optimizers from gnbench's initial parameters, on the same batches
and curvature subsets, in float64 and float32, against gnbench's batch
loss, gradient norm, step norm, damping and gain ratio.
Timing: --rounds rounds, each running one epoch (60 steps; batch gathering,
data loading and evaluation excluded, as gnbench's wall_s) of torch float32,
torch float64 and `gnbench run` (float64) for ngd, then the same for sgd;
the ratios gnbench / torch are taken within each round.

usage: /usr/bin/python3 torch_ngd.py --gnbench build/src/gnbench
           [--exporter build/bench/export_ngd] [--bench-smw build/bench/bench_smw]
           [--out DIR] [--rounds R] [--threads T] [--check-steps K] [--lr E]
           [--damping L] [--rho damped|model] [--methods ngd,sgd]
Writes DIR/epoch.yaml (the gnbench experiment), DIR/torch_ngd_check.csv,
DIR/torch_ngd_rounds.csv, DIR/torch_ngd_summary.txt (with bench_smw's split
of gnbench's step when --bench-smw is given). Exit 77 without Fashion-MNIST.
"""
import argparse
import csv
import gzip
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from blis_arch import set_blis_env  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gnbench", required=True, help="path of build/src/gnbench")
    ap.add_argument("--exporter", help="path of build/bench/export_ngd (the numerical check)")
    ap.add_argument("--bench-smw", help="path of build/bench/bench_smw (gnbench's time split)")
    ap.add_argument("--out", default="results/torch-ngd")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--check-steps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--curvature-batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=1.0, help="ngd step size eta")
    ap.add_argument("--damping", type=float, default=1.0, help="ngd initial lambda")
    ap.add_argument("--rho", choices=["damped", "model"], default="damped")
    ap.add_argument("--lr-sgd", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--methods", default="ngd,sgd")
    ap.add_argument("--seed", type=int, default=1)
    return ap.parse_args()


args = parse_args()
set_blis_env(args.threads)  # before torch loads BLIS: gnbench's kernels and threads

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)

SIZES = (784, 500, 10)
BOOST, DROP, RHO_LOW, RHO_HIGH, LAM_MIN, LAM_MAX = 1.01, 0.990099, 0.25, 0.75, 1e-8, 1e8


# ---------------------------------------------------------------- data

def locate(sys_path):
    """A Debian package file the way src/data/dataset_io.c finds it:
    under $GNBENCH_DATA_ROOT, then the cache ($GNBENCH_DATA_CACHE or
    <source root>/datasets/cache)."""
    src = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    root = os.environ.get("GNBENCH_DATA_ROOT", "")
    cache = os.environ.get("GNBENCH_DATA_CACHE") or os.path.join(src, "datasets", "cache")
    for prefix in (root, cache):
        for p in (prefix.rstrip("/") + sys_path, prefix.rstrip("/") + sys_path + ".gz"):
            if os.path.isfile(p):
                return p
    raise FileNotFoundError(f"{sys_path} (apt-get install dataset-fashion-mnist)")


def read_idx(path):
    data = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fmnist():
    """The 60000 training images (float64, pixels / 255, (n, 784)) and labels (int64)."""
    d = "/usr/share/datasets/fashion-mnist/"
    X = read_idx(locate(d + "train-images-idx3-ubyte"))
    y = read_idx(locate(d + "train-labels-idx1-ubyte"))
    X = torch.from_numpy(X.reshape(X.shape[0], -1).astype(np.float64) / 255.0)
    return X, torch.from_numpy(y.astype(np.int64))


# ---------------------------------------------------------------- the steps

class NGD:
    """State of the PyTorch ngd: the weights W_l (n_l, n_{l-1}) and lambda."""

    def __init__(self, weights, lr, damping, b2, rho_damped):
        self.W = [w.detach().clone().requires_grad_(True) for w in weights]
        self.lr, self.lam, self.b2, self.rho_damped = lr, damping, b2, rho_damped


def forward(W, X):
    """Outputs, layer inputs A_l and pre-activations z_l (no biases, ReLU)."""
    A, Z, a = [X], [], X
    for l, w in enumerate(W):
        z = a @ w.T
        Z.append(z)
        if l < len(W) - 1:
            a = torch.relu(z)
            A.append(a)
    return z, A, Z


NGD_PHASES = ("forward", "backward", "curvature", "solve", "update", "trial")
SGD_PHASES = ("forward", "backward", "update")


def ngd_step(st, X, y, idx=None, record=False, clock=None):
    """One step of the subsampled empirical-Fisher natural gradient; idx:
    the curvature subset (default: b2 random rows of the batch); clock: a
    list that gets the time after each of NGD_PHASES."""
    tick = clock.append if clock is not None else (lambda _: None)
    b, W = X.shape[0], st.W
    out, A, Z = forward(W, X)
    for z in Z:
        z.retain_grad()
    loss = F.cross_entropy(out, y)
    L0 = loss.item()
    tick(time.perf_counter())
    loss.backward()
    tick(time.perf_counter())
    with torch.no_grad():
        g = [w.grad for w in W]
        if idx is None:
            idx = torch.randperm(b)[:st.b2]
        Gs = [z.grad[idx] * b for z in Z]  # per-sample dl_i/dz_l (b2, n_l)
        As = [a[idx] for a in A]  # layer inputs (b2, n_{l-1})
        S = sum((a @ a.T) * (gl @ gl.T) for a, gl in zip(As, Gs))  # U U^T (b2, b2)
        Ug = sum(((gl @ gw) * a).sum(1) for a, gl, gw in zip(As, Gs, g))  # (b2)
        gg = sum((gw * gw).sum() for gw in g).item()
        tick(time.perf_counter())
        n = S.shape[0]
        lam = st.lam
        eye = torch.eye(n, dtype=S.dtype)
        while True:  # raise lambda when the factorization fails
            Lf, info = torch.linalg.cholesky_ex(S + (n * lam) * eye)
            if info.item() == 0 or lam >= LAM_MAX:
                break
            lam *= 10
        yv = torch.cholesky_solve(Ug.unsqueeze(1), Lf).squeeze(1)
        tick(time.perf_counter())
        eta = st.lr
        dn2 = 0.0
        for w, a, gl, gw in zip(W, As, Gs, g):
            d = ((gl * yv.unsqueeze(1)).T @ a - gw) / lam
            if record:
                dn2 += (d * d).sum().item()
            w.add_(d, alpha=eta)
            w.grad = None
        us = (S @ yv - Ug) / lam  # U d
        gs = eta * ((Ug @ yv).item() - gg) / lam
        sgs = eta * eta * (us @ us).item() / n
        tick(time.perf_counter())
        L1 = F.cross_entropy(forward(W, X)[0], y).item()  # the trial forward
        tick(time.perf_counter())
    pred = 0.5 * gs if st.rho_damped else gs + 0.5 * sgs
    rho = (L1 - L0) / pred if pred < 0 and math.isfinite(L1) else float("nan")
    nxt = lam
    if math.isnan(rho) or rho < RHO_LOW:
        nxt = lam * BOOST
    elif rho > RHO_HIGH:
        nxt = lam * DROP
    st.lam = min(max(nxt, LAM_MIN), LAM_MAX)
    return {"batch_loss": L0, "grad_norm": math.sqrt(gg), "step_norm": eta * math.sqrt(dn2),
            "damping": lam, "gain_ratio": rho}


class SGD:
    """The PyTorch sgd: nn.Sequential and torch.optim.SGD."""

    def __init__(self, weights, lr, momentum):
        self.net = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1], bias=False),
                                       torch.nn.ReLU(),
                                       torch.nn.Linear(SIZES[1], SIZES[2], bias=False))
        self.net.to(weights[0].dtype)
        with torch.no_grad():
            self.net[0].weight.copy_(weights[0])
            self.net[2].weight.copy_(weights[1])
        self.opt = torch.optim.SGD(self.net.parameters(), lr=lr, momentum=momentum)


def sgd_step(st, X, y, idx=None, record=False, clock=None):
    tick = clock.append if clock is not None else (lambda _: None)
    st.opt.zero_grad()
    loss = F.cross_entropy(st.net(X), y)
    rec = {"batch_loss": loss.item()}
    tick(time.perf_counter())
    loss.backward()
    tick(time.perf_counter())
    if record:
        ps = list(st.net.parameters())
        rec["grad_norm"] = math.sqrt(sum((p.grad * p.grad).sum().item() for p in ps))
        before = [p.detach().clone() for p in ps]
    st.opt.step()
    tick(time.perf_counter())
    if record:
        rec["step_norm"] = math.sqrt(sum(((p.detach() - q) ** 2).sum().item()
                                         for p, q in zip(ps, before)))
    return rec


def make(method, weights):
    if method == "ngd":
        return NGD(weights, args.lr, args.damping, args.curvature_batch, args.rho == "damped")
    return SGD(weights, args.lr_sgd, args.momentum)


STEP = {"ngd": ngd_step, "sgd": sgd_step}


def torch_init(dtype):
    """PyTorch's default nn.Linear initialization, U(+-1/sqrt(fan_in))."""
    return [torch.nn.Linear(SIZES[l], SIZES[l + 1], bias=False).weight.detach().to(dtype)
            for l in range(len(SIZES) - 1)]


# ---------------------------------------------------------------- the check

def check(out_dir, methods):
    """Writes torch_ngd_check.csv; returns the worst relative difference
    to gnbench per (method, dtype)."""
    with tempfile.TemporaryDirectory(prefix="gnbench-ngd-") as tmp:
        cmd = [args.exporter, "--out", tmp, "--steps", str(args.check_steps),
               "--batch", str(args.batch), "--curvature-batch", str(args.curvature_batch),
               "--lr", repr(args.lr), "--damping", repr(args.damping), "--rho", args.rho,
               "--lr-sgd", repr(args.lr_sgd), "--momentum", repr(args.momentum),
               "--seed", str(args.seed), "--threads", str(args.threads)]
        p = subprocess.run(cmd)
        if p.returncode == 77:
            sys.exit(77)  # Fashion-MNIST not installed
        if p.returncode != 0:
            raise RuntimeError(f"{args.exporter} failed ({p.returncode})")
        K, b, b2 = args.check_steps, args.batch, args.curvature_batch
        theta = np.fromfile(os.path.join(tmp, "theta.bin"), dtype="<f8")
        X = torch.from_numpy(np.fromfile(os.path.join(tmp, "X.bin"), dtype="<f8")
                             .reshape(K, b, SIZES[0]))
        lab = torch.from_numpy(np.fromfile(os.path.join(tmp, "labels.bin"), dtype="<i4")
                               .astype(np.int64).reshape(K, b))
        sub = torch.from_numpy(np.fromfile(os.path.join(tmp, "subset.bin"), dtype="<i4")
                               .astype(np.int64).reshape(K, b2))
        ref = {}
        with open(os.path.join(tmp, "steps.csv")) as f:
            for row in csv.DictReader(f):
                ref[(row["optimizer"], int(row["step"]))] = {k: float(v) for k, v in row.items()
                                                             if k not in ("optimizer", "step")}
    n1 = SIZES[0] * SIZES[1]
    w64 = [torch.from_numpy(theta[:n1].copy()).reshape(SIZES[1], SIZES[0]),
           torch.from_numpy(theta[n1:].copy()).reshape(SIZES[2], SIZES[1])]
    rows, worst = [], {}
    keys = ("batch_loss", "grad_norm", "step_norm", "damping", "gain_ratio")
    for method in methods:
        for dtype in (torch.float64, torch.float32):
            st = make(method, [w.to(dtype) for w in w64])
            wmax = 0.0
            for k in range(K):
                rec = STEP[method](st, X[k].to(dtype), lab[k], idx=sub[k], record=True)
                for key in keys:
                    if key not in rec:
                        continue
                    gv, tv = ref[(method, k)][key], rec[key]
                    if math.isnan(gv):
                        continue
                    rel = abs(tv - gv) / max(abs(gv), 1e-300)
                    wmax = max(wmax, rel)
                    rows.append([method, str(dtype).replace("torch.", ""), k, key, f"{gv:.17g}",
                                 f"{tv:.17g}", f"{rel:.3e}"])
            worst[(method, str(dtype).replace("torch.", ""))] = wmax
    with open(os.path.join(out_dir, "torch_ngd_check.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["method", "dtype", "step", "quantity", "gnbench", "torch", "rel_diff"])
        w.writerows(rows)
    return worst


# ---------------------------------------------------------------- the timing

YAML = """\
# written by bench/torch_ngd.py: one epoch of ngd and sgd at the torch peer's settings
name: torch-ngd-epoch
description: one Fashion-MNIST epoch of ngd and sgd, 784-500-10 (bench/torch_ngd.py)
dataset: {{name: fashion-mnist, task: classify, n_train: 60000, n_test: 0}}
model: {{hidden: "500", activation: relu, parameterization: standard, bias: false, init: uniform}}
loss: xent
train: {{epochs: 1, batch: {batch}, eval_every: 1000000}}
optimizers:
  - {{name: ngd, lr: {lr!r}, damping: {damping!r}, curvature_batch: {b2}, rho: {rho},
     boost: 1.01, drop: 0.990099}}
  - {{name: sgd, lr: {lr_sgd!r}, momentum: {momentum!r}}}
"""


def torch_epoch(method, dtype, Xall, yall, seed):
    """One epoch from a fresh PyTorch initialization; returns (sum of step
    times, median step time, steps, training loss after the epoch, median
    time of each phase)."""
    torch.manual_seed(seed)
    st = make(method, torch_init(dtype))
    n, b = Xall.shape[0], args.batch
    perm = torch.randperm(n)
    times, phases = [], []
    for k in range(n // b):
        ix = perm[k * b:(k + 1) * b]
        X, y = Xall[ix], yall[ix]  # batch gathering: not timed (as gnbench's wall_s)
        t0 = time.perf_counter()
        clock = [t0]
        STEP[method](st, X, y, clock=clock)
        times.append(time.perf_counter() - t0)
        phases.append([c1 - c0 for c0, c1 in zip(clock, clock[1:])])
    split = [statistics.median(p[j] for p in phases) for j in range(len(phases[0]))]
    with torch.no_grad():
        W = st.W if method == "ngd" else [st.net[0].weight, st.net[2].weight]
        loss = sum(F.cross_entropy(forward(W, Xall[i:i + 10000])[0], yall[i:i + 10000],
                                   reduction="sum").item() for i in range(0, n, 10000)) / n
    return sum(times), statistics.median(times), len(times), loss, split


def gnbench_epoch(method, yaml_path, out_dir):
    res = os.path.join(out_dir, f"gnbench-{method}")
    cmd = [args.gnbench, "run", yaml_path, "--out", res, "--threads", str(args.threads),
           "--jobs", "1", "--only", method, "--fresh", "--no-plot"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode})")
    with open(os.path.join(res, "runs.csv")) as f:
        row = next(r for r in csv.DictReader(f) if r["optimizer"] == method)
    if row["status"] != "ok":
        raise RuntimeError(f"gnbench {method}: status {row['status']}: {row['message']}")
    return (float(row["wall_s"]), float(row["step_s_median"]), int(row["iterations"]),
            float(row["final_train_loss"]), None)


def blas_rates():
    """sgemm and dgemm 1024^3 rates in this process (GFLOP/s)."""
    r = {}
    for dt in (torch.float32, torch.float64):
        a, c = torch.rand(1024, 1024, dtype=dt), torch.rand(1024, 1024, dtype=dt)
        a @ c
        best = min(_timed(lambda: a @ c) for _ in range(3))
        r[str(dt).replace("torch.", "")] = 2.0 * 1024 ** 3 / best / 1e9
    return r


def _timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def main():
    os.makedirs(args.out, exist_ok=True)
    methods = [m for m in args.methods.split(",") if m]
    rates = blas_rates()
    head = (f"torch_ngd: torch {torch.__version__}, BLIS_ARCH_TYPE="
            f"{os.environ.get('BLIS_ARCH_TYPE')}, threads {args.threads}, "
            f"sgemm {rates['float32']:.1f} / dgemm {rates['float64']:.1f} GFLOP/s (1024^3)")
    print(head, file=sys.stderr)
    summary = [head]
    if args.exporter:
        worst = check(args.out, methods)
        for (m, dt), v in worst.items():
            line = f"check {m} {dt}: max relative difference to gnbench over " \
                   f"{args.check_steps} steps {v:.2e}"
            print("  " + line, file=sys.stderr)
            summary.append(line)
    yaml_path = os.path.join(args.out, "epoch.yaml")
    with open(yaml_path, "w") as f:
        f.write(YAML.format(batch=args.batch, lr=args.lr, damping=args.damping,
                            b2=args.curvature_batch, rho=args.rho, lr_sgd=args.lr_sgd,
                            momentum=args.momentum))
    try:
        Xall, yall = load_fmnist()
    except FileNotFoundError as e:
        print(f"torch_ngd: skipped: {e}", file=sys.stderr)
        sys.exit(77)
    X = {"float32": Xall.to(torch.float32), "float64": Xall}
    # a warm-up step of each (first calls into torch and BLIS)
    for m in methods:
        for dt in X:
            STEP[m](make(m, torch_init(X[dt].dtype)), X[dt][:args.batch], yall[:args.batch])
    fr = open(os.path.join(args.out, "torch_ngd_rounds.csv"), "w", newline="")
    rw = csv.writer(fr)
    rw.writerow(["round", "method", "impl", "dtype", "epoch_s", "step_median_s", "steps",
                 "train_loss_after", "load1"])
    ep, splits = {}, {}
    for r in range(args.rounds):
        for m in methods:
            for impl, dt in (("torch", "float32"), ("torch", "float64"), ("gnbench", "float64")):
                if impl == "torch":
                    e, s, k, lo, sp = torch_epoch(m, X[dt].dtype, X[dt], yall, args.seed + r)
                    splits.setdefault((m, dt), []).append(sp)
                else:
                    e, s, k, lo, _ = gnbench_epoch(m, yaml_path, args.out)
                ep[(r, m, impl, dt)] = (e, s)
                rw.writerow([r, m, impl, dt, f"{e:.6g}", f"{s:.6g}", k, f"{lo:.6g}",
                             f"{os.getloadavg()[0]:.2f}"])
                fr.flush()
                print(f"  round {r} {m} {impl} {dt}: epoch {e:.3f} s, median step "
                      f"{1e3 * s:.1f} ms, loss after {lo:.4f}", file=sys.stderr)
    fr.close()
    R = range(args.rounds)
    for m in methods:
        g = [ep[(r, m, "gnbench", "float64")][0] for r in R]
        for dt in ("float32", "float64"):
            t = [ep[(r, m, "torch", dt)][0] for r in R]
            ratios = [a / c for a, c in zip(g, t)]
            gs = [ep[(r, m, "gnbench", "float64")][1] for r in R]
            ts = [ep[(r, m, "torch", dt)][1] for r in R]
            sratios = [a / c for a, c in zip(gs, ts)]
            line = (f"{m}: gnbench float64 epoch {statistics.median(g):.3f} s, torch {dt} "
                    f"{statistics.median(t):.3f} s; gnbench / torch per round "
                    f"{' '.join(f'{x:.3f}' for x in ratios)} (median "
                    f"{statistics.median(ratios):.3f}); median steps "
                    f"{1e3 * statistics.median(gs):.1f} / {1e3 * statistics.median(ts):.1f} ms, "
                    f"ratio median {statistics.median(sratios):.3f}")
            print(line, file=sys.stderr)
            summary.append(line)
    for (m, dt), sp in splits.items():
        names = NGD_PHASES if m == "ngd" else SGD_PHASES
        med = [statistics.median(x[j] for x in sp) for j in range(len(names))]
        line = f"torch {m} {dt} median split (ms): " + ", ".join(
            f"{nm} {1e3 * v:.2f}" for nm, v in zip(names, med))
        print(line, file=sys.stderr)
        summary.append(line)
    if args.bench_smw:
        cmd = [args.bench_smw, "--depth", "1", "--width", str(SIZES[1]), "--outputs",
               str(SIZES[2]), "--batch", str(args.batch), "--loss", "xent", "--gram",
               str(args.curvature_batch), "--activation", "relu", "--standard", "--no-bias",
               "--threads", str(args.threads), "--reps", "15",
               f"ngd:curvature_batch={args.curvature_batch},rho={args.rho}"]
        txt = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        summary.append("gnbench split: " + " ".join(cmd))
        summary.extend(txt.rstrip().splitlines())
        print(txt, file=sys.stderr, end="")
    with open(os.path.join(args.out, "torch_ngd_summary.txt"), "w") as f:
        f.write("\n".join(summary) + "\n")


if __name__ == "__main__":
    main()
