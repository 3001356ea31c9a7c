#!/usr/bin/python3
"""torch_peer.py: the PyTorch peer of gnbench's sgd and ggn-mb steps.

The same network as src/model/mlp.c (depth 2, tanh, NTK parameterization
z_l = W_l a_{l-1} / sqrt(n_{l-1}) + b_l, biases, f = alpha z_L), the same
initial parameters and batches (exported by bench/export_init through the
real gn_mlp_init_params), float64, the same thread count and the same BLIS
kernel architecture (chosen here from the CPU flags the way src/la/blas.c does,
before torch loads libblas.so.3, which is BLIS on these machines).

Three methods:
  sgd       loss.backward() and p -= lr * p.grad: how users write SGD;
  ggn-gram  mini-batch Gram-Gauss-Newton with the layer-wise Gram trick in
            torch ops (per-output backprop vectors D_l, K = sum_l
            (D_l D_lᵀ) ∘ (s_l² A A ᵀ + 1) ⊗ 1_cc, Cholesky, Jᵀ α from D_l);
  ggn-jac   the same step from per-sample Jacobians
            functorch.vmap(jacrev(f)) (how most users would write it):
            K = sum_p J_p J_pᵀ, d = Jᵀ α, J never concatenated.
Checks that the batch losses of the first steps agree with gnbench's
(losses.csv from export_init), then times the methods against gnbench in
rounds (torch block, then gnbench's `export_init --time` in a subprocess),
and reports per-round ratios' medians.

usage: /usr/bin/python3 torch_peer.py --exporter PATH [--out DIR] [--threads T]
           [--configs W:B:C,...] [--rounds R] [--reps N] [--jac-limit-gb G]
Writes DIR/torch_losses.csv and DIR/torch_peer.csv.
"""
import argparse
import csv
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
    ap.add_argument("--exporter", required=True, help="path of build/bench/export_init")
    ap.add_argument("--out", default="results/perf")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--configs",
                default="64:128:1,64:128:10,256:128:1,256:32:10,1024:128:1,1024:128:10")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--steps", type=int, default=5, help="steps of the loss check")
    ap.add_argument("--jac-limit-gb", type=float, default=3.0,
                    help="skip ggn-jac when the Jacobian (b c m float64) exceeds this")
    return ap.parse_args()


args = parse_args()
set_blis_env(args.threads)  # before torch loads BLIS: gnbench's kernels and threads

import ctypes  # noqa: E402

import torch  # noqa: E402
from functorch import jacrev, vmap  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_default_dtype(torch.float64)


def blas_in_use():
    """The BLAS library mapped into this process, and its dgemm rate.

    Debian's blis-openmp libblas.so.3 embeds its own copy of BLIS and exports
    only the BLAS symbols, so BLIS's architecture cannot be queried here; the
    dgemm rate at 1024³ (float64) tells skx (~100 GFLOP/s a core) from the
    generic kernels (~17) and is compared with gnbench's in PERFORMANCE.md."""
    a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
    a @ b  # warm-up (and BLIS initialization)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if "blas" in p or "blis" in p or "mkl" in p or "openblas" in p:
                libs.add(os.path.realpath(p))
    return sorted(libs), 2.0 * 1024 ** 3 / best / 1e9


def read_meta(d):
    meta = {}
    with open(os.path.join(d, "meta.txt")) as f:
        for line in f:
            k, v = line.split(None, 1)
            meta[k] = v.strip()
    return meta


def load_problem(d):
    m = read_meta(d)
    n0, w, depth, c = int(m["input"]), int(m["width"]), int(m["depth"]), int(m["outputs"])
    b, steps = int(m["batch"]), int(m["steps"])
    sizes = [n0] + [w] * depth + [c]
    raw = open(os.path.join(d, "theta.bin"), "rb").read()
    theta = torch.frombuffer(bytearray(raw), dtype=torch.float64)
    assert theta.numel() == int(m["params"]), "theta size differs from meta.txt"
    X = torch.frombuffer(bytearray(open(os.path.join(d, "X.bin"), "rb").read()),
                         dtype=torch.float64).reshape(steps, b, n0)
    Y = torch.frombuffer(bytearray(open(os.path.join(d, "Y.bin"), "rb").read()),
                         dtype=torch.float64).reshape(steps, b, c)
    # theta layout (src/model/mlp.h): per layer W (n_l, n_{l-1}) row-major, then b (n_l)
    params, off = [], 0
    for l in range(1, len(sizes)):
        nw = sizes[l] * sizes[l - 1]
        params.append(theta[off:off + nw].reshape(sizes[l], sizes[l - 1]).clone())
        off += nw
        params.append(theta[off:off + sizes[l]].clone())
        off += sizes[l]
    assert off == theta.numel()
    return m, sizes, params, X, Y


class MLP:
    """src/model/mlp.c's model: NTK scale s_l = 1/sqrt(n_{l-1}), tanh hidden layers."""

    def __init__(self, sizes, alpha):
        self.sizes, self.alpha, self.L = sizes, alpha, len(sizes) - 1
        self.s = [1.0 / math.sqrt(sizes[l - 1]) for l in range(1, len(sizes))]

    def forward(self, params, X):
        a = X
        for l in range(self.L):
            z = self.s[l] * (a @ params[2 * l].T) + params[2 * l + 1]
            a = torch.tanh(z) if l < self.L - 1 else z
        return self.alpha * z

    def loss(self, F, Y):
        """Square loss (1/b) sum_i ½ ||f_i - y_i||², as gn_loss_value."""
        return 0.5 * ((F - Y) ** 2).sum() / F.shape[0]


def sgd_step(net, params, X, Y, lr):
    for p in params:
        p.requires_grad_(True)
    loss = net.loss(net.forward(params, X), Y)
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    for p in params:
        p.requires_grad_(False)
    return loss.item()


def ggn_gram_step(net, params, X, Y, lr, lam):
    """θ ← θ − η Jᵀ (K + λ I)⁻¹ r with K from the layer-wise Gram trick."""
    L, s, alpha = net.L, net.s, net.alpha
    b, c = X.shape[0], Y.shape[1]
    with torch.no_grad():
        A = [X]  # A[l]: input of layer l (b, n_l-1)
        a = X
        for l in range(L):
            z = s[l] * (a @ params[2 * l].T) + params[2 * l + 1]
            if l < L - 1:
                a = torch.tanh(z)
                A.append(a)
        F = alpha * z
        r = (F - Y).reshape(-1)  # rows (i, k) = i c + k
        loss = 0.5 * r.dot(r).item() / b
        # D[l] (b c, n_l): df_{i,k}/dz_l
        D = [None] * L
        D[L - 1] = (alpha * torch.eye(c)).repeat(b, 1)
        for l in range(L - 1, 0, -1):
            Dp = s[l] * (D[l] @ params[2 * l])  # (bc, n_{l-1})
            dact = 1.0 - A[l] ** 2  # tanh'(z_{l-1}) from its value
            D[l - 1] = (Dp.view(b, c, -1) * dact.unsqueeze(1)).reshape(b * c, -1)
        K = torch.zeros(b * c, b * c)
        for l in range(L):
            Ga = (s[l] ** 2) * (A[l] @ A[l].T) + 1.0  # (b, b), + 1: the bias
            if c > 1:
                Ga = Ga.repeat_interleave(c, 0).repeat_interleave(c, 1)
            K += (D[l] @ D[l].T) * Ga
        K.diagonal().add_(lam)
        Lf = torch.linalg.cholesky(K)
        v = torch.cholesky_solve(r.unsqueeze(1), Lf).view(b, c)
        for l in range(L):
            G = torch.einsum("ik,ikn->in", v, D[l].view(b, c, -1))  # (b, n_l)
            params[2 * l].sub_(lr * s[l] * (G.T @ A[l]))
            params[2 * l + 1].sub_(lr * G.sum(0))
    return loss


def ggn_jac_step(net, params, X, Y, lr, lam):
    """The same step from per-sample Jacobians, vmap(jacrev(f))."""
    b, c = X.shape[0], Y.shape[1]

    def f_single(ps, x):
        return net.forward(ps, x.unsqueeze(0)).squeeze(0)  # (c)

    with torch.no_grad():
        F = net.forward(params, X)
    r = (F - Y).reshape(-1)
    loss = 0.5 * r.dot(r).item() / b
    Js = vmap(jacrev(f_single), in_dims=(None, 0))(tuple(params), X)  # each (b, c, *p.shape)
    with torch.no_grad():
        Jm = [J.reshape(b * c, -1) for J in Js]
        K = sum(J @ J.T for J in Jm)
        K.diagonal().add_(lam)
        Lf = torch.linalg.cholesky(K)
        v = torch.cholesky_solve(r.unsqueeze(1), Lf).squeeze(1)
        for p, J in zip(params, Jm):
            p.sub_(lr * (J.T @ v).view_as(p))
    return loss


def run_exporter(exporter, outdir, w, b, c, threads, steps):
    cmd = [exporter, "--out", outdir, "--width", str(w), "--batch", str(b),
           "--outputs", str(c), "--threads", str(threads), "--steps", str(steps)]
    subprocess.run(cmd, check=True)


def gnbench_times(exporter, w, b, c, threads, reps):
    cmd = [exporter, "--time", str(reps), "--width", str(w), "--batch", str(b),
           "--outputs", str(c), "--threads", str(threads), "--steps", "1"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    t = {}
    for line in out.splitlines():
        _, name, sec = line.split(",")
        t[name] = float(sec)
    return t


def load1():
    return os.getloadavg()[0]


def main():
    os.makedirs(args.out, exist_ok=True)
    libs, gemm = blas_in_use()
    arch = f"BLIS_ARCH_TYPE={os.environ.get('BLIS_ARCH_TYPE', 'unset')}"
    print(f"torch_peer: torch {torch.__version__}, BLAS {libs}, dgemm 1024^3 {gemm:.1f} GFLOP/s, "
          f"BLIS_ARCH_TYPE={os.environ.get('BLIS_ARCH_TYPE')}, threads {args.threads}",
          file=sys.stderr)
    configs = [tuple(int(v) for v in cfg.split(":")) for cfg in args.configs.split(",") if cfg]
    fl = open(os.path.join(args.out, "torch_losses.csv"), "w", newline="")
    lw = csv.writer(fl)
    lw.writerow(["width", "batch", "outputs", "method", "step", "gnbench_loss", "torch_loss",
                 "rel_diff"])
    ft = open(os.path.join(args.out, "torch_peer.csv"), "w", newline="")
    tw = csv.writer(ft)
    tw.writerow(["width", "batch", "outputs", "params", "threads", "blis_arch",
                 "torch_dgemm_gflops", "method",
                 "gnbench_optimizer", "torch_median_s", "gnbench_median_s",
                 "ratio_torch_gnbench", "rounds", "reps", "max_rel_loss_diff", "status",
                 "load1"])
    for (w, b, c) in configs:
        with tempfile.TemporaryDirectory(prefix="gnbench-peer-") as tmp:
            run_exporter(args.exporter, tmp, w, b, c, args.threads, args.steps)
            meta, sizes, params0, X, Y = load_problem(tmp)
            ref = {}
            with open(os.path.join(tmp, "losses.csv")) as f:
                for row in csv.DictReader(f):
                    ref[(row["optimizer"], int(row["step"]))] = float(row["loss"])
        net = MLP(sizes, float(meta["output_scale"]))
        m = sum(p.numel() for p in params0)
        jac_gb = b * c * m * 8 / 1e9
        methods = [("sgd", "sgd"), ("ggn-gram", "ggn-mb"), ("ggn-jac", "ggn-mb")]
        status = {k: "ok" for k, _ in methods}
        if jac_gb > args.jac_limit_gb:
            status["ggn-jac"] = f"skipped: J needs {jac_gb:.1f} GB > {args.jac_limit_gb} GB"
        lr_sgd, lr_ggn, lam = float(meta["lr_sgd"]), float(meta["lr_ggn"]), float(meta["damping"])

        # ---- the loss check: the batch loss before each of the first steps
        maxdiff, step_s = {}, {}
        for meth, gopt in methods:
            if status[meth] != "ok":
                continue
            ps = [p.clone() for p in params0]
            worst = 0.0
            for k in range(X.shape[0]):
                if step_s.get(meth, 0) > 2.0 and k >= 2:
                    break  # slow (ggn-jac at large sizes): two steps are enough
                t0 = time.perf_counter()
                if meth == "sgd":
                    lo = sgd_step(net, ps, X[k], Y[k], lr_sgd)
                elif meth == "ggn-gram":
                    lo = ggn_gram_step(net, ps, X[k], Y[k], lr_ggn, lam)
                else:
                    lo = ggn_jac_step(net, ps, X[k], Y[k], lr_ggn, lam)
                step_s[meth] = time.perf_counter() - t0
                g = ref[(gopt, k)]
                rel = abs(lo - g) / abs(g)
                worst = max(worst, rel)
                nsteps = k + 1
                lw.writerow([w, b, c, meth, k, f"{g:.17g}", f"{lo:.17g}", f"{rel:.3e}"])
            maxdiff[meth] = worst
            print(f"  w={w} b={b} c={c} {meth}: max relative loss difference over "
                  f"{nsteps} steps {worst:.2e}", file=sys.stderr)
        fl.flush()

        # ---- timing: tiny steps (lr 1e-6, damping 1, as bench_perf), reset each rep
        Xt, Yt = X[0].contiguous(), Y[0].contiguous()
        # millisecond steps (width 64) get ten times the repetitions
        fast = max(step_s.get("sgd", 1.0), step_s.get("ggn-gram", 1.0)) < 0.005
        reps = args.reps * 10 if fast else args.reps
        ts = {k: [] for k, _ in methods}
        gs = {k: [] for k, _ in methods}
        for rnd in range(args.rounds):
            per = {k: [] for k, _ in methods}
            for rep in range(reps + 1):  # the first is a warm-up
                for meth, _ in methods:
                    if status[meth] != "ok":
                        continue
                    # slow methods (already warm from the loss check): one
                    # timed step per round (> 1 s a step), only in the first
                    # round (> 2 s)
                    if step_s.get(meth, 0) > 1.0 and rep != 1:
                        continue
                    if step_s.get(meth, 0) > 2.0 and rnd > 0:
                        continue
                    ps = [p.clone() for p in params0]
                    t0 = time.perf_counter()
                    if meth == "sgd":
                        sgd_step(net, ps, Xt, Yt, 1e-6)
                    elif meth == "ggn-gram":
                        ggn_gram_step(net, ps, Xt, Yt, 1e-6, 1.0)
                    else:
                        ggn_jac_step(net, ps, Xt, Yt, 1e-6, 1.0)
                    dt = time.perf_counter() - t0
                    if rep > 0:
                        per[meth].append(dt)
            g = gnbench_times(args.exporter, w, b, c, args.threads, reps)
            for meth, gopt in methods:
                if per[meth]:
                    ts[meth].append(statistics.median(per[meth]))
                    gs[meth].append(g[gopt])
        for meth, gopt in methods:
            if ts[meth]:
                ratios = [a / g for a, g in zip(ts[meth], gs[meth])]
                row = [w, b, c, m, args.threads, arch, f"{gemm:.1f}", meth, gopt,
                       f"{statistics.median(ts[meth]):.6g}", f"{statistics.median(gs[meth]):.6g}",
                       f"{statistics.median(ratios):.3f}", args.rounds, reps,
                       f"{maxdiff.get(meth, float('nan')):.2e}", status[meth], f"{load1():.2f}"]
                print(f"  w={w} b={b} c={c} {meth}: torch/gnbench = {row[11]}", file=sys.stderr)
            else:
                row = [w, b, c, m, args.threads, arch, f"{gemm:.1f}", meth, gopt, "", "", "", 0, 0, "",
                       status[meth], f"{load1():.2f}"]
            tw.writerow(row)
        ft.flush()
    fl.close()
    ft.close()


if __name__ == "__main__":
    main()
