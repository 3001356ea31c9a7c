/* bench_perf.c: the performance suite. For every registered optimizer, the
 * time of one step relative to sgd on the same batch, the achieved GFLOP/s
 * (analytic flop counts, below) against BLIS dgemm measured in this process
 * at the same thread count, the split of a step into forward, curvature,
 * solve and backward (gn_step_info t_*), fitted scaling exponents in width
 * and batch, the peak memory of each configuration (VmHWM of a fresh
 * child process per configuration and optimizer) and the speed-up from 1 to
 * 2 BLAS threads.
 *
 * The model is the one of bench_step: depth 2 (two hidden tanh layers), NTK
 * parameterization, biases, input 784, square loss. Grid: width 64..4096 at
 * batch 128, batch 32..1024 at width 1024 (32..256 for c = 10: at b = 512,
 * c = 10 each of the six Gram-type optimizers holds two 5120² matrices and
 * spends about 110 GFLOP a step, which alone would take minutes of the
 * suite's budget), both for c = 1 and c = 10. All optimizers of
 * a configuration are stepped in turn within each repetition (interleaved)
 * from the same parameters, so load drifts hit all of them; medians are
 * reported.
 *
 * usage: bench_perf [--out DIR] [--threads T] [--budget S] [--max-reps R]
 *                   [--quick] [--no-memory] [--no-threads]
 *   --out DIR    CSV files are written here (default results/perf)
 *   --threads T  BLAS threads of the main sweep (default 1)
 *   --budget S   seconds of timed repetitions per configuration (default 3)
 *   --quick      a small grid (for smoke tests)
 * Internal: bench_perf --mem-child WIDTH BATCH C OPTIMIZER|none THREADS
 *
 * Files: machine.csv, steps.csv, scaling.csv, memory.csv, threads.csv. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "la/blas.h"
#include "model/loss.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "core/params.h"
#include "core/rng.h"

#define DEPTH 2
#define INPUT 784
#define MAX_OPT 32

/* ---------------------------------------------------------------- utils */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of the finite values of v (n), NaN when none; v is reordered. */
static double median(double *v, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) v[k++] = v[i];
    if (k == 0) return NAN;
    qsort(v, (size_t)k, sizeof *v, cmp_double);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

static double load1(void)
{
    double l[3];
    return getloadavg(l, 3) >= 1 ? l[0] : NAN;
}

static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10)) {
            char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ')
                    p++;
                p[strcspn(p, "\n")] = 0;
                for (char *q = p; *q; q++)
                    if (*q == ',') *q = ';';
                snprintf(buf, len, "%s", p);
            }
            break;
        }
    fclose(f);
}

static gn_mlp_config make_config(int width, int c)
{
    gn_mlp_config cfg = {
        .n_layers = DEPTH + 1, .act = GN_ACT_TANH, .ntk = 1, .bias = 1, .output_scale = 1};
    cfg.sizes[0] = INPUT;
    for (int l = 1; l <= DEPTH; l++)
        cfg.sizes[l] = width;
    cfg.sizes[DEPTH + 1] = c;
    return cfg;
}

/* Settings for one optimizer: every default of its table, then a tiny
 * learning rate (steps keep the parameters where they are, so every
 * repetition does the same work) and damping 1 where the optimizer has
 * them. */
static void bench_settings(const gn_optim_ops *ops, gn_settings *s)
{
    gn_settings_init(s);
    for (const gn_param *p = ops->params; p && p->name; p++) {
        char key[128];
        snprintf(key, sizeof key, "opt.%s", p->name);
        if (p->def) gn_settings_set(s, key, p->def);
    }
    if (gn_param_find(ops->params, "lr")) gn_settings_set(s, "opt.lr", "1e-6");
    if (gn_param_find(ops->params, "damping")) gn_settings_set(s, "opt.damping", "1");
    gn_settings_set(s, "loss", "square");
}

/* ------------------------------------------------------ analytic flops */

/* Flops of one step of optimizer `name` on a batch of b, as the sum of the
 * products it performs (multiply-add = 2 flops; elementwise activations,
 * bias adds, axpy-type vector updates are left out: O(b n) or O(m) against
 * O(b n²)). NaN for an optimizer without a model here. Notation: n_l
 * widths, S = Σ_{l=1..L} n_l n_{l-1}, S2 = Σ_{l=2..L} n_l n_{l-1} (layers
 * whose input is not X), N_in = Σ_l n_{l-1}, N_out = Σ_l n_l, R = b c. */
static double step_flops(const char *name, const gn_mlp_config *cfg, int b)
{
    const int *n = cfg->sizes;
    int L = cfg->n_layers, c = n[L];
    double S = 0, S2 = 0, N_in = 0, N_out = 0, R = (double)b * c;
    for (int l = 1; l <= L; l++) {
        S += (double)n[l] * n[l - 1];
        if (l >= 2) S2 += (double)n[l] * n[l - 1];
        N_in += n[l - 1];
        N_out += n[l];
    }
    /* forward: Z_l = s_l A_{l-1} W_lᵀ, (b, n_{l-1}) x (n_{l-1}, n_l) per layer */
    double fwd = 2.0 * b * S;
    /* backward (VJP): dW_l = s_l Gᵀ A_{l-1} every layer (2 b S) and
     * dA_{l-1} = s_l G W_l for l >= 2 (2 b S2) */
    double vjp = 2.0 * b * S + 2.0 * b * S2;
    /* per-output backprop vectors: D_{l-1} = s_l D_l W_l, (R, n_l) x (n_l, n_{l-1}), l >= 2 */
    double bpo = 2.0 * R * S2;
    /* Gram trick: syrk of A_{l-1} (b, n_{l-1}) costs b² n_{l-1} (half of
     * a gemm), syrk of D_l (R, n_l) costs R² n_l, and the Hadamard
     * product-accumulate into K costs 2 R² per layer */
    double gram = (double)b * b * N_in + R * R * N_out + 2.0 * R * R * L;
    /* Cholesky of an (R, R) matrix: R³/3; the two triangular solves: 2 R² */
    double chol = R * R * R / 3.0, trsv = 2.0 * R * R;
    /* Jᵀ v from stored D: rows combined into (b, n_l) per layer (2 R N_out)
     * and the weight-gradient products (2 b S) */
    double jtv = 2.0 * R * N_out + 2.0 * b * S;
    /* K x (an (R, R) matrix-vector product) */
    double gemv = 2.0 * R * R;

    if (!strcmp(name, "sgd") || !strcmp(name, "adam")) return fwd + vjp;
    if (!strcmp(name, "ggn") || !strcmp(name, "ggn-mb"))
        return fwd + bpo + gram + chol + trsv + jtv;
    /* lm (nielsen, trial accepted): the ggn step plus K α for the predicted
     * decrease and one trial forward */
    if (!strcmp(name, "lm")) return fwd + bpo + gram + chol + trsv + jtv + gemv + fwd;
    /* dgn (square, cholesky, base sgd, no momentum): forward, Gram, K α₀ for
     * ‖g‖, Cholesky, solve, K x for the dual gap, Jᵀ x into θ, K x for ‖d‖ */
    if (!strcmp(name, "dgn")) return fwd + bpo + gram + 3 * gemv + chol + trsv + jtv;
    /* sgn (square: U = J, system R, curvature batch = step batch): forward,
     * Gram, K r for U g and ‖g‖, Cholesky, solve, S y for U d, K w for ‖d‖,
     * Jᵀ w into θ, trial forward */
    if (!strcmp(name, "sgn")) return fwd + bpo + gram + 3 * gemv + chol + trsv + jtv + fwd;
    /* ngd (empirical Fisher: system b, curvature batch = step batch): the
     * Fisher Gram at sample size (per layer syrk of A (b² n_{l-1}) and of the
     * per-sample cotangents (b² n_l), formed from D (2 R n_l), Hadamard
     * 2 b²), a b-sized Cholesky, solve, S y and S α (2 gemv of b), Jᵀ w into
     * θ, trial forward */
    if (!strcmp(name, "ngd")) {
        double bb = b;
        return fwd + bpo + bb * bb * (N_in + N_out) + 2.0 * R * N_out + 2.0 * bb * bb * L +
               bb * bb * bb / 3.0 + 2.0 * bb * bb + 4.0 * bb * bb + jtv + fwd;
    }
    /* kfac (empirical Fisher, a step that does not refresh the inverses:
     * the median one at inverse_every 10): forward, the backward
     * propagation of the cotangents (2 b S2), per layer the gradient
     * Gᵀ Ā (2 b dg da), the factors' statistics Āᵀ Ā and Gᵀ G as syrks
     * (b (da² + dg²)) and the direction Ĝ⁻¹ V Â⁻¹ (2 (dg² da + dg da²)),
     * da = n_{l-1} + 1, dg = n_l. A refresh adds (7/3) (da³ + dg³) per layer
     * (Cholesky and the n-column solve). */
    if (!strcmp(name, "kfac")) {
        double f = fwd + 2.0 * b * S2;
        for (int l = 1; l <= L; l++) {
            double da = n[l - 1] + 1.0, dg = n[l];
            f += 2.0 * b * dg * da + b * (da * da + dg * dg) + 2.0 * (dg * dg * da + dg * da * da);
        }
        return f;
    }
    return NAN;
}

/* ------------------------------------------------------------ problem */

typedef struct problem {
    gn_mlp_config cfg;
    gn_mlp net;
    double *theta0, *X, *Y; /* (m), (b, INPUT), (b, c) */
    int b, c;
} problem;

static int problem_init(problem *p, int width, int b, int c, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->cfg = make_config(width, c);
    p->b = b;
    p->c = c;
    if (gn_mlp_init(&p->net, &p->cfg, b, err, errlen) != 0) return -1;
    gn_rng rng;
    gn_rng_seed(&rng, 1, "bench-perf");
    gn_mlp_init_params(&p->net, &rng);
    p->theta0 = malloc(sizeof(double) * p->net.m);
    p->X = malloc(sizeof(double) * (size_t)b * INPUT);
    p->Y = malloc(sizeof(double) * (size_t)b * c);
    if (!p->theta0 || !p->X || !p->Y) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(p->theta0, p->net.theta, sizeof(double) * p->net.m);
    for (size_t j = 0; j < (size_t)b * INPUT; j++)
        p->X[j] = gn_rng_normal(&rng);
    for (size_t j = 0; j < (size_t)b * c; j++)
        p->Y[j] = gn_rng_normal(&rng);
    return 0;
}

static void problem_free(problem *p)
{
    free(p->theta0), free(p->X), free(p->Y);
    gn_mlp_free(&p->net);
}

static void info_clear(gn_step_info *info)
{
    memset(info, 0, sizeof *info);
    info->t_forward = info->t_curvature = info->t_solve = info->t_backward = NAN;
}

/* One timed step from theta0; iteration >= 1 so no optimizer spends the
 * step on its initialization-only diagnostics (the spectrum of K). */
static double timed_step(problem *p, gn_optim *o, long iteration, gn_step_info *info, int *ok)
{
    gn_step_ctx ctx = {.model = &p->net,
                       .loss = GN_LOSS_SQUARE,
                       .X = p->X,
                       .Y = p->Y,
                       .b = p->b,
                       .c = p->c,
                       .iteration = iteration};
    memcpy(p->net.theta, p->theta0, sizeof(double) * p->net.m);
    info_clear(info);
    double t0 = gn_now();
    *ok = o->ops->step(o, &ctx, info) == 0;
    return gn_now() - t0;
}

/* -------------------------------------------------------- memory child */

static int mem_child(int width, int b, int c, const char *name, int threads)
{
    gn_blas_init(threads);
    problem p;
    char err[256];
    if (problem_init(&p, width, b, c, err, sizeof err) != 0) {
        fprintf(stderr, "mem-child: %s\n", err);
        return 1;
    }
    if (strcmp(name, "none") != 0) {
        const gn_optim_ops *ops = gn_optim_find(name);
        if (!ops) return 1;
        gn_settings s;
        bench_settings(ops, &s);
        gn_optim *o = gn_optim_create(ops, &s, &p.net, b, err, sizeof err);
        gn_settings_free(&s);
        if (!o) return 3;
        gn_step_info info;
        int ok;
        timed_step(&p, o, 1, &info, &ok);
        o->ops->destroy(o);
        if (!ok) return 4;
    }
    problem_free(&p);
    /* the high-water mark of this address space (fresh since exec) */
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kib = atol(line + 6);
    if (f) fclose(f);
    printf("%ld\n", kib);
    return kib > 0 ? 0 : 5;
}

/* Peak resident set (MiB) of a fresh child process running one step of one
 * configuration; NaN when it failed. */
static double measure_memory(const char *self, int width, int b, int c, const char *name,
                             int threads)
{
    /* ru_maxrss of a forked child would include the pages it shared with
     * this process before exec; VmHWM of the exec'd image does not */
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "'%s' --mem-child %d %d %d %s %d", self, width, b, c, name, threads);
    FILE *p = popen(cmd, "r");
    if (!p) return NAN;
    long kib = -1;
    if (fscanf(p, "%ld", &kib) != 1) kib = -1;
    int st = pclose(p);
    if (st != 0 || kib <= 0) return NAN;
    return kib / 1024.0;
}

/* ------------------------------------------------------------- sweeps */

typedef struct point {
    const char *sweep; /* "width" or "batch" */
    int width, batch, c;
} point;

typedef struct opt_slot {
    const gn_optim_ops *ops;
    gn_optim *o;
    char note[256];
} opt_slot;

static int n_registered(void)
{
    int k = 0;
    while (gn_optimizers[k] && k < MAX_OPT)
        k++;
    return k;
}

/* Creates every registered optimizer for p; failures keep a note. */
static void create_all(problem *p, opt_slot *slot, int n_opt)
{
    for (int k = 0; k < n_opt; k++) {
        slot[k].ops = gn_optimizers[k];
        slot[k].note[0] = 0;
        gn_settings s;
        bench_settings(slot[k].ops, &s);
        char err[200] = "";
        slot[k].o = gn_optim_create(slot[k].ops, &s, &p->net, p->b, err, sizeof err);
        gn_settings_free(&s);
        if (!slot[k].o) {
            snprintf(slot[k].note, sizeof slot[k].note, "create failed: %s",
                     err[0] ? err : "(no message)");
            fprintf(stderr, "bench_perf: skipping %s at width %d batch %d c %d: %s\n",
                    slot[k].ops->name, p->net.cfg.sizes[1], p->b, p->c, slot[k].note);
        }
    }
}

static void destroy_all(opt_slot *slot, int n_opt)
{
    for (int k = 0; k < n_opt; k++)
        if (slot[k].o) slot[k].ops->destroy(slot[k].o), slot[k].o = NULL;
}

/* Result of one (configuration, optimizer). */
typedef struct result {
    double med, ratio, t_split[4], gflop;
    int reps, ok;
} result;

/* Times all optimizers of one configuration, interleaved. Returns the
 * repetitions done. */
static int time_config(problem *p, opt_slot *slot, int n_opt, double budget, int max_reps,
                       result *res)
{
    gn_step_info info;
    int ok;
    /* warm-up: one step each, and the time of one repetition */
    double t_rep = 0;
    for (int k = 0; k < n_opt; k++)
        if (slot[k].o) {
            t_rep += timed_step(p, slot[k].o, 1, &info, &ok);
            if (!ok) {
                snprintf(slot[k].note, sizeof slot[k].note, "step failed: %.200s", info.note);
                slot[k].ops->destroy(slot[k].o);
                slot[k].o = NULL;
            }
        }
    /* the warm-up also pays the first touch of every workspace page, so it
     * overestimates a repetition: at least 5 repetitions unless they would
     * take more than twice the budget, then 3 */
    int reps = t_rep > 0 ? (int)(budget / t_rep) : max_reps;
    if (reps < 5) reps = 5 * t_rep > 2 * budget ? 3 : 5;
    if (reps > max_reps) reps = max_reps;
    double *t = calloc((size_t)n_opt * reps, sizeof(double));
    double *ratio = calloc((size_t)n_opt * reps, sizeof(double));
    double *split = calloc((size_t)n_opt * reps * 4, sizeof(double));
    for (int r = 0; r < reps; r++) {
        /* rotate the starting optimizer so none always runs first */
        for (int q = 0; q < n_opt; q++) {
            int k = (q + r) % n_opt;
            if (!slot[k].o) {
                t[k * reps + r] = NAN;
                continue;
            }
            t[k * reps + r] = timed_step(p, slot[k].o, 2 + r, &info, &ok);
            if (!ok) t[k * reps + r] = NAN;
            double *sp = split + ((size_t)k * reps + r) * 4;
            sp[0] = info.t_forward, sp[1] = info.t_curvature, sp[2] = info.t_solve,
            sp[3] = info.t_backward;
        }
        /* per-repetition ratio to sgd (slot 0 is sgd when registered first) */
    }
    int isgd = -1;
    for (int k = 0; k < n_opt; k++)
        if (!strcmp(slot[k].ops->name, "sgd")) isgd = k;
    for (int k = 0; k < n_opt; k++) {
        for (int r = 0; r < reps; r++)
            ratio[k * reps + r] = isgd >= 0 ? t[k * reps + r] / t[isgd * reps + r] : NAN;
        res[k].reps = reps;
        res[k].ok = slot[k].o != NULL;
        res[k].ratio = median(ratio + (size_t)k * reps, reps);
        for (int j = 0; j < 4; j++) {
            double v[256];
            int nn = reps < 256 ? reps : 256;
            for (int r = 0; r < nn; r++)
                v[r] = split[((size_t)k * reps + r) * 4 + j];
            res[k].t_split[j] = median(v, nn);
        }
        res[k].med = median(t + (size_t)k * reps, reps);
        res[k].gflop = step_flops(slot[k].ops->name, &p->cfg, p->b) / 1e9;
    }
    free(t), free(ratio), free(split);
    return reps;
}

/* Least-squares slope of log y on log x over the finite points. */
static double loglog_slope(const double *x, const double *y, int n, int *used)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!(x[i] > 0) || !(y[i] > 0) || !isfinite(y[i])) continue;
        double lx = log(x[i]), ly = log(y[i]);
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
        k++;
    }
    *used = k;
    if (k < 2) return NAN;
    return (k * sxy - sx * sy) / (k * sxx - sx * sx);
}

static int mkdir_p(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *q = buf + 1; *q; q++)
        if (*q == '/') {
            *q = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *q = '/';
        }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "bench_perf: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

static double gemm_rate(void)
{
    double v[3];
    for (int i = 0; i < 3; i++)
        v[i] = gn_blas_gemm_gflops(1024, 3);
    return median(v, 3);
}

int main(int argc, char **argv)
{
    if (argc == 7 && !strcmp(argv[1], "--mem-child"))
        return mem_child(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv[5], atoi(argv[6]));

    const char *out = "results/perf";
    int threads = 1, max_reps = 15, quick = 0, do_mem = 1, do_threads = 1;
    double budget = 3.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick"))
            quick = 1;
        else if (!strcmp(a, "--no-memory"))
            do_mem = 0;
        else if (!strcmp(a, "--no-threads"))
            do_threads = 0;
        else if (v && !strcmp(a, "--out"))
            out = v, i++;
        else if (v && !strcmp(a, "--threads"))
            threads = atoi(v), i++;
        else if (v && !strcmp(a, "--budget"))
            budget = atof(v), i++;
        else if (v && !strcmp(a, "--max-reps"))
            max_reps = atoi(v), i++;
        else {
            fprintf(stderr, "bench_perf: unknown or incomplete option %s\n", a);
            return 2;
        }
    }
    if (mkdir_p(out) != 0) {
        fprintf(stderr, "bench_perf: cannot create %s\n", out);
        return 1;
    }
    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0)
        do_mem = 0;
    else
        self[sl] = 0;

    gn_blas_init(threads);
    int n_opt = n_registered();

    /* the grid */
    static const int widths[] = {64, 128, 256, 512, 1024, 2048, 4096};
    static const int batches[] = {32, 64, 128, 256, 512, 1024};
    static const int widths_q[] = {64, 256, 1024};
    static const int batches_q[] = {32, 128};
    const int *W = quick ? widths_q : widths, *B = quick ? batches_q : batches;
    int nW = quick ? 3 : 7, nB = quick ? 2 : 6;
    point pts[64];
    int np = 0;
    for (int ci = 0; ci < 2; ci++) {
        int c = ci ? 10 : 1;
        for (int i = 0; i < nW; i++)
            pts[np++] = (point){"width", W[i], 128, c};
        for (int i = 0; i < nB; i++) {
            if (c == 10 && B[i] > 256) continue;
            pts[np++] = (point){"batch", 1024, B[i], c};
        }
    }
    if (quick) budget = budget < 1 ? budget : 1;

    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    double load_start = load1();
    double gemm_start = gemm_rate();
    fprintf(stderr,
            "bench_perf: %s, BLIS %s arch %s (%s), %d thread(s), dgemm %.1f GFLOP/s, load %.2f\n",
            cpu, gn_blas_version(), gn_blas_arch(), gn_blas_arch_source(), threads, gemm_start,
            load_start);

    /* ---- step times */
    FILE *fs = open_out(out, "steps.csv");
    if (!fs) return 1;
    fprintf(fs, "sweep,width,batch,outputs,params,threads,optimizer,status,reps,median_s,"
                "ratio_sgd,gflop,gflops,dgemm_gflops,frac_dgemm,t_forward,t_curvature,"
                "t_solve,t_backward,load1\n");
    result *all = calloc((size_t)np * n_opt, sizeof(result));
    opt_slot slot[MAX_OPT];
    double gemm_now = gemm_start;
    for (int i = 0; i < np; i++) {
        problem p;
        char err[256];
        if (problem_init(&p, pts[i].width, pts[i].batch, pts[i].c, err, sizeof err) != 0) {
            fprintf(stderr, "bench_perf: %s\n", err);
            problem_free(&p);
            continue;
        }
        create_all(&p, slot, n_opt);
        result *res = all + (size_t)i * n_opt;
        int reps = time_config(&p, slot, n_opt, budget, max_reps, res);
        if (i % 6 == 5) gemm_now = gemm_rate(); /* track the dgemm rate through the sweep */
        double ld = load1();
        for (int k = 0; k < n_opt; k++) {
            result *r = res + k;
            double gf = r->gflop / r->med;
            fprintf(fs,
                    "%s,%d,%d,%d,%zu,%d,%s,%s,%d,%.6g,%.4f,%.6g,%.3f,%.1f,%.4f,%.6g,%.6g,%.6g,%.6g,"
                    "%.2f\n",
                    pts[i].sweep, pts[i].width, pts[i].batch, pts[i].c, p.net.m, threads,
                    slot[k].ops->name, r->ok ? "ok" : slot[k].note, r->ok ? reps : 0,
                    r->ok ? r->med : NAN, r->ok ? r->ratio : NAN, r->gflop, r->ok ? gf : NAN,
                    gemm_now, r->ok ? gf / gemm_now : NAN, r->t_split[0], r->t_split[1],
                    r->t_split[2], r->t_split[3], ld);
        }
        fflush(fs);
        fprintf(stderr, "  %-5s w=%-4d b=%-4d c=%-2d reps=%-2d", pts[i].sweep, pts[i].width,
                pts[i].batch, pts[i].c, reps);
        for (int k = 0; k < n_opt; k++)
            if (res[k].ok) fprintf(stderr, " %s=%.2f", slot[k].ops->name, res[k].ratio);
        fprintf(stderr, "\n");
        destroy_all(slot, n_opt);
        problem_free(&p);
    }
    fclose(fs);

    /* ---- scaling exponents */
    FILE *fx = open_out(out, "scaling.csv");
    if (fx) {
        fprintf(fx, "optimizer,outputs,variable,fixed,range,points,exponent\n");
        for (int k = 0; k < n_opt; k++)
            for (int ci = 0; ci < 2; ci++) {
                int c = ci ? 10 : 1;
                for (int sw = 0; sw < 2; sw++) {
                    const char *name = sw ? "batch" : "width";
                    double x[16], y[16];
                    int n = 0;
                    for (int i = 0; i < np; i++)
                        if (pts[i].c == c && !strcmp(pts[i].sweep, name) &&
                            all[(size_t)i * n_opt + k].ok) {
                            x[n] = sw ? pts[i].batch : pts[i].width;
                            y[n] = all[(size_t)i * n_opt + k].med;
                            n++;
                        }
                    if (n < 2) continue;
                    /* all points, and the upper half (the asymptotic regime) */
                    for (int h = 0; h < 2; h++) {
                        int off = h ? n / 2 : 0, used;
                        if (h && n - off < 3) continue;
                        double e = loglog_slope(x + off, y + off, n - off, &used);
                        fprintf(fx, "%s,%d,%s,%s,%g-%g,%d,%.3f\n", gn_optimizers[k]->name, c, name,
                                sw ? "width=1024" : "batch=128", x[off], x[n - 1], used, e);
                    }
                }
            }
        fclose(fx);
    }

    /* ---- 1 → 2 BLAS threads, interleaved in one process */
    if (do_threads) {
        FILE *ft = open_out(out, "threads.csv");
        if (ft) {
            fprintf(ft, "width,batch,outputs,optimizer,reps,t1_s,t2_s,speedup,load1\n");
            point tp[] = {{"t", 1024, 128, 1},
                          {"t", 1024, 128, 10},
                          {"t", 2048, 128, 1},
                          {"t", 4096, 128, 1}};
            int ntp = quick ? 1 : (int)(sizeof tp / sizeof tp[0]);
            for (int i = 0; i < ntp; i++) {
                problem p;
                char err[256];
                if (problem_init(&p, tp[i].width, tp[i].batch, tp[i].c, err, sizeof err) != 0) {
                    problem_free(&p);
                    continue;
                }
                create_all(&p, slot, n_opt);
                gn_step_info info;
                int ok;
                double t_rep = 0;
                for (int th = 1; th <= 2; th++) {
                    gn_blas_set_threads(th);
                    for (int k = 0; k < n_opt; k++)
                        if (slot[k].o) t_rep += timed_step(&p, slot[k].o, 1, &info, &ok);
                }
                /* four times the sweep's budget: the 1 -> 2 thread speed-up is
                 * a ratio of two noisy medians */
                int reps = (int)(4 * budget / (t_rep > 0 ? t_rep : 1));
                if (reps < 5) reps = 5;
                if (reps > 4 * max_reps) reps = 4 * max_reps;
                double *t = calloc((size_t)n_opt * 2 * reps, sizeof(double));
                for (int r = 0; r < reps; r++)
                    for (int k = 0; k < n_opt; k++)
                        for (int th = 1; th <= 2; th++) {
                            int tt = (r % 2) ? 3 - th : th; /* alternate the order */
                            gn_blas_set_threads(tt);
                            double *dst = t + ((size_t)k * 2 + (tt - 1)) * reps + r;
                            *dst = slot[k].o ? timed_step(&p, slot[k].o, 2 + r, &info, &ok) : NAN;
                            if (slot[k].o && !ok) *dst = NAN;
                        }
                gn_blas_set_threads(threads);
                for (int k = 0; k < n_opt; k++) {
                    if (!slot[k].o) continue;
                    double m1 = median(t + (size_t)k * 2 * reps, reps);
                    double m2 = median(t + ((size_t)k * 2 + 1) * reps, reps);
                    fprintf(ft, "%d,%d,%d,%s,%d,%.6g,%.6g,%.3f,%.2f\n", tp[i].width, tp[i].batch,
                            tp[i].c, slot[k].ops->name, reps, m1, m2, m1 / m2, load1());
                }
                fflush(ft);
                fprintf(stderr, "  threads w=%d b=%d c=%d done\n", tp[i].width, tp[i].batch,
                        tp[i].c);
                free(t);
                destroy_all(slot, n_opt);
                problem_free(&p);
            }
            fclose(ft);
        }
    }
    gn_blas_set_threads(2);
    double gemm2 = gemm_rate();
    gn_blas_set_threads(threads);

    /* ---- peak memory, a fresh child per configuration and optimizer */
    if (do_mem) {
        FILE *fm = open_out(out, "memory.csv");
        if (fm) {
            fprintf(fm, "sweep,width,batch,outputs,optimizer,maxrss_mib,model_only_mib,"
                        "optimizer_extra_mib,gn_mlp_bytes_mib\n");
            for (int i = 0; i < np; i++) {
                double base =
                    measure_memory(self, pts[i].width, pts[i].batch, pts[i].c, "none", threads);
                gn_mlp_config cfg = make_config(pts[i].width, pts[i].c);
                double est = gn_mlp_bytes(&cfg, pts[i].batch, 0) / 1048576.0;
                for (int k = 0; k < n_opt; k++) {
                    if (!all[(size_t)i * n_opt + k].ok) continue;
                    double mx = measure_memory(self, pts[i].width, pts[i].batch, pts[i].c,
                                               gn_optimizers[k]->name, threads);
                    fprintf(fm, "%s,%d,%d,%d,%s,%.1f,%.1f,%.1f,%.1f\n", pts[i].sweep, pts[i].width,
                            pts[i].batch, pts[i].c, gn_optimizers[k]->name, mx, base, mx - base,
                            est);
                }
                fflush(fm);
            }
            fclose(fm);
        }
        fprintf(stderr, "  memory done\n");
    }

    double gemm_end = gemm_rate();
    FILE *fmach = open_out(out, "machine.csv");
    if (fmach) {
        fprintf(fmach, "key,value\n");
        fprintf(fmach, "cpu,%s\n", cpu);
        fprintf(fmach, "cores_online,%ld\n", sysconf(_SC_NPROCESSORS_ONLN));
        fprintf(fmach, "blis_version,%s\n", gn_blas_version());
        fprintf(fmach, "blis_arch,%s\n", gn_blas_arch());
        fprintf(fmach, "blis_arch_source,%s\n", gn_blas_arch_source());
        fprintf(fmach, "threads,%d\n", threads);
        fprintf(fmach, "model,depth %d tanh NTK bias input %d square loss\n", DEPTH, INPUT);
        fprintf(fmach, "dgemm1024_gflops_start,%.1f\n", gemm_start);
        fprintf(fmach, "dgemm1024_gflops_end,%.1f\n", gemm_end);
        fprintf(fmach, "dgemm1024_gflops_2threads,%.1f\n", gemm2);
        fprintf(fmach, "load1_start,%.2f\n", load_start);
        fprintf(fmach, "load1_end,%.2f\n", load1());
        fprintf(fmach, "budget_s_per_config,%.1f\n", budget);
        fclose(fmach);
    }
    free(all);
    fprintf(stderr, "bench_perf: wrote %s/{machine,steps,scaling,threads,memory}.csv\n", out);
    return 0;
}
