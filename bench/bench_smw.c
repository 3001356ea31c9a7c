/* bench_smw.c: step times of sgd and of Woodbury-type optimizers (sgn, ngd,
 * dgn, any registered one) with chosen settings, in one process on one
 * batch, interleaved repetition by repetition so that drifts in machine load
 * hit all of them; prints for each the median step time, the median of its
 * per-repetition ratio to the sgd step of the same repetition, and the
 * median time split the step reports (forward, backward, curvature, solve).
 *
 * usage: bench_smw [--depth D] [--width W] [--input N0] [--batch B]
 *                  [--outputs C] [--loss square|xent] [--gram G] [--reps R]
 *                  [--threads T] [--activation A] [--standard] [--no-bias]
 *                  NAME[:key=value,...] ...
 *   --gram G  the model's curvature batch bound (default: the batch)
 *   --activation A, --standard, --no-bias  the model (default: tanh, NTK,
 *             biases); e.g. Ren & Goldfarb's 784-500-10: --depth 1 --width 500
 *             --outputs 10 --activation relu --standard --no-bias --loss xent
 *   NAME:...  an optimizer and its settings, e.g. ngd:curvature_batch=100
 * Every optimizer gets lr = 1e-6 and damping = 1 unless set (tiny steps
 * keep the parameters put), parameters are reset before every step, and
 * the iteration is 1 (no initialization-only spectrum). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "core/params.h"
#include "core/rng.h"

enum { MAX_OPT = 16, SPLIT = 4 };

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* An optimizer from "name:key=value,key=value". */
static gn_optim *make(const char *spec, gn_mlp *net, int batch)
{
    char buf[512], err[256];
    snprintf(buf, sizeof buf, "%s", spec);
    char *colon = strchr(buf, ':');
    if (colon) *colon = 0;
    const gn_optim_ops *ops = gn_optim_find(buf);
    if (!ops) {
        fprintf(stderr, "bench_smw: no optimizer %s\n", buf);
        return NULL;
    }
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "opt.lr", "1e-6");
    if (gn_param_find(ops->params, "damping")) gn_settings_set(&s, "opt.damping", "1");
    for (char *kv = colon ? strtok(colon + 1, ",") : NULL; kv; kv = strtok(NULL, ",")) {
        char key[160], *eq = strchr(kv, '=');
        if (!eq) continue;
        *eq = 0;
        snprintf(key, sizeof key, "opt.%s", kv);
        gn_settings_set(&s, key, eq + 1);
    }
    gn_optim *o = gn_optim_create(ops, &s, net, batch, err, sizeof err);
    gn_settings_free(&s);
    if (!o) fprintf(stderr, "bench_smw: %s: %s\n", spec, err);
    return o;
}

int main(int argc, char **argv)
{
    int depth = 2, width = 1024, d = 784, batch = 128, c = 1, gram = 0, reps = 20, threads = 1;
    gn_loss_kind loss = GN_LOSS_SQUARE;
    gn_act act = GN_ACT_TANH;
    int ntk = 1, bias = 1;
    const char *specs[MAX_OPT] = {"sgd"};
    int nopt = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
        int *iv = !strcmp(a, "--depth")     ? &depth
                  : !strcmp(a, "--width")   ? &width
                  : !strcmp(a, "--input")   ? &d
                  : !strcmp(a, "--batch")   ? &batch
                  : !strcmp(a, "--outputs") ? &c
                  : !strcmp(a, "--gram")    ? &gram
                  : !strcmp(a, "--reps")    ? &reps
                  : !strcmp(a, "--threads") ? &threads
                                            : NULL;
        if (iv)
            *iv = atoi(v), i++;
        else if (!strcmp(a, "--loss"))
            loss = !strcmp(v, "xent") ? GN_LOSS_XENT : GN_LOSS_SQUARE, i++;
        else if (!strcmp(a, "--activation")) {
            if (gn_act_parse(v, &act) != 0) {
                fprintf(stderr, "bench_smw: no activation %s\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--standard"))
            ntk = 0;
        else if (!strcmp(a, "--no-bias"))
            bias = 0;
        else if (nopt < MAX_OPT)
            specs[nopt++] = a;
    }
    gn_blas_init(threads);
    gn_mlp_config cfg = {
        .n_layers = depth + 1, .act = act, .ntk = ntk, .bias = bias, .output_scale = 1};
    cfg.sizes[0] = d;
    for (int l = 1; l <= depth; l++)
        cfg.sizes[l] = width;
    cfg.sizes[depth + 1] = c;
    gn_mlp net;
    char err[256];
    if (gn_mlp_init_ex(&net, &cfg, batch, gram, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    gn_rng rng;
    gn_rng_seed(&rng, 1, "bench");
    gn_mlp_init_params(&net, &rng);
    double *theta0 = malloc(sizeof(double) * net.m);
    memcpy(theta0, net.theta, sizeof(double) * net.m);
    double *X = malloc(sizeof(double) * batch * d), *Y = calloc((size_t)batch * c, sizeof(double));
    for (int j = 0; j < batch * d; j++)
        X[j] = gn_rng_normal(&rng);
    for (int i = 0; i < batch; i++)
        if (loss == GN_LOSS_XENT)
            Y[i * c + (int)gn_rng_below(&rng, (uint64_t)c)] = 1;
        else
            for (int k = 0; k < c; k++)
                Y[i * c + k] = gn_rng_normal(&rng);
    gn_optim *opt[MAX_OPT];
    for (int k = 0; k < nopt; k++)
        if (!(opt[k] = make(specs[k], &net, batch))) return 1;
    double *t = malloc(sizeof(double) * nopt * reps), *ratio = malloc(sizeof(double) * reps);
    double *split = malloc(sizeof(double) * nopt * SPLIT * reps);
    gn_step_ctx ctx = {
        .model = &net, .loss = loss, .X = X, .Y = Y, .b = batch, .c = c, .iteration = 1};
    for (int r = -2; r < reps; r++)
        for (int k = 0; k < nopt; k++) {
            gn_step_info info;
            memset(&info, 0, sizeof info);
            memcpy(net.theta, theta0, sizeof(double) * net.m);
            double t0 = gn_now();
            if (opt[k]->ops->step(opt[k], &ctx, &info) != 0)
                fprintf(stderr, "%s: step failed: %s\n", specs[k], info.note);
            double dt = gn_now() - t0;
            if (r < 0) continue;
            t[k * reps + r] = dt;
            double *sp = split + ((size_t)k * SPLIT) * reps + r;
            sp[0] = info.t_forward, sp[reps] = info.t_backward;
            sp[2 * reps] = info.t_curvature, sp[3 * reps] = info.t_solve;
        }
    printf("blis_arch=%s threads=%d depth=%d width=%d input=%d batch=%d outputs=%d loss=%s "
           "activation=%s %s bias=%d params=%zu reps=%d\n",
           gn_blas_arch(), threads, depth, width, d, batch, c, gn_loss_name(loss),
           gn_act_names[act], ntk ? "ntk" : "standard", bias, net.m, reps);
    printf("%-36s %10s %8s %8s %8s %8s %8s\n", "optimizer", "median ms", "/ sgd", "fwd", "bwd",
           "curv", "solve");
    for (int k = 0; k < nopt; k++) {
        for (int r = 0; r < reps; r++)
            ratio[r] = t[k * reps + r] / t[r];
        double rt = median(ratio, reps), ms[SPLIT];
        for (int q = 0; q < SPLIT; q++)
            ms[q] = 1e3 * median(split + ((size_t)k * SPLIT + q) * reps, reps);
        printf("%-36s %10.3f %8.3f %8.2f %8.2f %8.2f %8.2f\n", specs[k],
               1e3 * median(t + (size_t)k * reps, reps), rt, ms[0], ms[1], ms[2], ms[3]);
    }
    for (int k = 0; k < nopt; k++)
        opt[k]->ops->destroy(opt[k]);
    free(t), free(ratio), free(split), free(theta0), free(X), free(Y);
    gn_mlp_free(&net);
    return 0;
}
