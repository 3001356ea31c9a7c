/* bench_step.c: one ggn-mb step against one sgd step, in the same process
 * on the same batch (depth 2, width 1024, input 784, batch 128, c = 1 by
 * default). Prints the median step times, their ratio, the achieved GFLOP/s
 * of each step and BLIS dgemm measured here at the same thread count.
 *
 * usage: bench_step [--width W] [--batch B] [--outputs C] [--reps R] [--threads T]
 *                   [--csv FILE] [--iteration I]
 * --iteration sets the step number the optimizers see (default 1): at
 * iteration 0 the Gram optimizers also compute the spectrum of K, an
 * initialization-only diagnostic that is not part of a step's cost. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "core/rng.h"

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

int main(int argc, char **argv)
{
    int width = 1024, batch = 128, c = 1, reps = 30, threads = 1, d = 784, depth = 2;
    long iteration = 1;
    const char *csv = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--width"))
            width = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch"))
            batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--outputs"))
            c = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps"))
            reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--csv"))
            csv = argv[i + 1];
        else if (!strcmp(argv[i], "--iteration"))
            iteration = atol(argv[i + 1]);
        else {
            fprintf(stderr, "bench_step: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    gn_blas_init(threads);
    gn_mlp_config cfg = {
        .n_layers = depth + 1, .act = GN_ACT_TANH, .ntk = 1, .bias = 1, .output_scale = 1};
    cfg.sizes[0] = d;
    for (int l = 1; l <= depth; l++)
        cfg.sizes[l] = width;
    cfg.sizes[depth + 1] = c;
    gn_mlp net;
    char err[256];
    if (gn_mlp_init(&net, &cfg, batch, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    gn_rng rng;
    gn_rng_seed(&rng, 1, "bench");
    gn_mlp_init_params(&net, &rng);
    double *theta0 = malloc(sizeof(double) * net.m);
    memcpy(theta0, net.theta, sizeof(double) * net.m);
    double *X = malloc(sizeof(double) * batch * d), *Y = malloc(sizeof(double) * batch * c);
    for (int j = 0; j < batch * d; j++)
        X[j] = gn_rng_normal(&rng);
    for (int j = 0; j < batch * c; j++)
        Y[j] = gn_rng_normal(&rng);

    const char *names[2] = {"sgd", "ggn-mb"};
    gn_optim *opt[2];
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "opt.lr", "1e-6"); /* tiny steps keep the parameters put */
    gn_settings_set(&s, "opt.damping", "1");
    for (int k = 0; k < 2; k++) {
        opt[k] = gn_optim_create(gn_optim_find(names[k]), &s, &net, batch, err, sizeof err);
        if (!opt[k]) {
            fprintf(stderr, "%s: %s\n", names[k], err);
            return 1;
        }
    }
    gn_settings_free(&s);
    double *t[2] = {malloc(sizeof(double) * reps), malloc(sizeof(double) * reps)};
    gn_step_ctx ctx = {.model = &net,
                       .loss = GN_LOSS_SQUARE,
                       .X = X,
                       .Y = Y,
                       .b = batch,
                       .c = c,
                       .iteration = iteration};
    gn_step_info info;
    /* interleave the two optimizers so drifts in machine load hit both */
    for (int r = -2; r < reps; r++)
        for (int k = 0; k < 2; k++) {
            memcpy(net.theta, theta0, sizeof(double) * net.m);
            double t0 = gn_now();
            opt[k]->ops->step(opt[k], &ctx, &info);
            double dt = gn_now() - t0;
            if (r >= 0) t[k][r] = dt;
        }
    double med[2] = {median(t[0], reps), median(t[1], reps)};
    double fwd = gn_mlp_flops_forward(&cfg, batch);
    /* sgd: forward + backward (weight grads + input grads except layer 1) */
    double sgd_flops = 3 * fwd - 2.0 * batch * d * width;
    double gemm = gn_blas_gemm_gflops(1024, 5);
    printf("blis_arch=%s threads=%d width=%d batch=%d outputs=%d params=%zu\n", gn_blas_arch(),
           threads, width, batch, c, net.m);
    printf("sgd    step median %.3f ms  (%.1f GFLOP/s)\n", 1e3 * med[0], sgd_flops / med[0] / 1e9);
    printf("ggn-mb step median %.3f ms\n", 1e3 * med[1]);
    printf("ratio ggn-mb / sgd = %.3f\n", med[1] / med[0]);
    printf("dgemm 1024^3 here: %.1f GFLOP/s\n", gemm);
    if (csv) {
        FILE *f = fopen(csv, "a");
        if (f) {
            fprintf(f, "%s,%d,%d,%d,%d,%.6g,%.6g,%.4f,%.1f\n", gn_blas_arch(), threads, width,
                    batch, c, med[0], med[1], med[1] / med[0], gemm);
            fclose(f);
        }
    }
    for (int k = 0; k < 2; k++)
        opt[k]->ops->destroy(opt[k]), free(t[k]);
    free(theta0), free(X), free(Y);
    gn_mlp_free(&net);
    return 0;
}
