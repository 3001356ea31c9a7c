/* export_init.c: exports one benchmark problem for the PyTorch peer
 * (bench/torch_peer.py) and the reference losses and step times of gnbench
 * on it.
 *
 * The model is bench_perf's (depth 2 tanh, NTK, biases, output scale 1,
 * input 784) initialized by the real gn_mlp_init_params; the batches are
 * standard normal X and Y from the same generator.
 *
 *   export_init --out DIR [--width W] [--batch B] [--outputs C] [--steps K]
 *               [--seed S] [--threads T] [--lr-sgd E] [--lr-ggn E] [--damping L]
 *     writes DIR/meta.txt (key value lines), DIR/theta.bin (m float64, the
 *     layout of mlp.h: per layer W (n_l, n_{l-1}) row-major, then b),
 *     DIR/X.bin (K, B, 784), DIR/Y.bin (K, B, C), all little-endian
 *     float64, and DIR/losses.csv: optimizer,step,loss, the batch loss
 *     before each of K steps of sgd and of ggn-mb (step k uses batch k).
 *   export_init --time R [same model options]
 *     prints CSV lines "gnbench,<optimizer>,<median seconds>" for R
 *     interleaved steps of sgd and ggn-mb on batch 0 (no files written). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "la/blas.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "core/params.h"
#include "core/rng.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int write_bin(const char *dir, const char *name, const double *v, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(v, sizeof(double), n, f) != n) {
        fprintf(stderr, "export_init: cannot write %s\n", path);
        if (f) fclose(f);
        return -1;
    }
    return fclose(f);
}

static gn_optim *make_opt(const char *name, gn_mlp *net, int b, const char *lr, const char *damping)
{
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "opt.lr", lr);
    if (damping) gn_settings_set(&s, "opt.damping", damping);
    char err[256];
    gn_optim *o = gn_optim_create(gn_optim_find(name), &s, net, b, err, sizeof err);
    gn_settings_free(&s);
    if (!o) fprintf(stderr, "export_init: %s: %s\n", name, err);
    return o;
}

int main(int argc, char **argv)
{
    int width = 1024, batch = 128, c = 1, steps = 5, threads = 1, time_reps = 0;
    long seed = 1;
    const char *out = NULL, *lr_sgd = "0.5", *lr_ggn = "0.5", *damping = "0.1";
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--width"))
            width = atoi(v);
        else if (!strcmp(a, "--batch"))
            batch = atoi(v);
        else if (!strcmp(a, "--outputs"))
            c = atoi(v);
        else if (!strcmp(a, "--steps"))
            steps = atoi(v);
        else if (!strcmp(a, "--seed"))
            seed = atol(v);
        else if (!strcmp(a, "--threads"))
            threads = atoi(v);
        else if (!strcmp(a, "--time"))
            time_reps = atoi(v);
        else if (!strcmp(a, "--lr-sgd"))
            lr_sgd = v;
        else if (!strcmp(a, "--lr-ggn"))
            lr_ggn = v;
        else if (!strcmp(a, "--damping"))
            damping = v;
        else {
            fprintf(stderr, "export_init: unknown option %s\n", a);
            return 2;
        }
    }
    if (!out && time_reps <= 0) {
        fprintf(stderr, "export_init: give --out DIR or --time R\n");
        return 2;
    }
    if (steps < 1) steps = 1;
    gn_blas_init(threads);
    const int d = 784, depth = 2;
    gn_mlp_config cfg = {
        .n_layers = depth + 1, .act = GN_ACT_TANH, .ntk = 1, .bias = 1, .output_scale = 1};
    cfg.sizes[0] = d;
    for (int l = 1; l <= depth; l++)
        cfg.sizes[l] = width;
    cfg.sizes[depth + 1] = c;
    gn_mlp net;
    char err[256];
    if (gn_mlp_init(&net, &cfg, batch, err, sizeof err) != 0) {
        fprintf(stderr, "export_init: %s\n", err);
        return 1;
    }
    gn_rng rng;
    gn_rng_seed(&rng, (uint64_t)seed, "export");
    gn_mlp_init_params(&net, &rng);
    size_t nx = (size_t)steps * batch * d, ny = (size_t)steps * batch * c;
    double *theta0 = malloc(sizeof(double) * net.m), *X = malloc(sizeof(double) * nx),
           *Y = malloc(sizeof(double) * ny);
    if (!theta0 || !X || !Y) return 1;
    memcpy(theta0, net.theta, sizeof(double) * net.m);
    for (size_t j = 0; j < nx; j++)
        X[j] = gn_rng_normal(&rng);
    for (size_t j = 0; j < ny; j++)
        Y[j] = gn_rng_normal(&rng);

    const char *names[2] = {"sgd", "ggn-mb"};
    if (time_reps > 0) {
        gn_optim *o[2] = {make_opt("sgd", &net, batch, "1e-6", NULL),
                          make_opt("ggn-mb", &net, batch, "1e-6", "1")};
        if (!o[0] || !o[1]) return 1;
        double *t = malloc(sizeof(double) * 2 * time_reps);
        gn_step_ctx ctx = {
            .model = &net, .loss = GN_LOSS_SQUARE, .X = X, .Y = Y, .b = batch, .c = c};
        gn_step_info info;
        for (int r = -1; r < time_reps; r++)
            for (int k = 0; k < 2; k++) {
                memcpy(net.theta, theta0, sizeof(double) * net.m);
                ctx.iteration = r + 2; /* not 0: no spectrum of K */
                double t0 = gn_now();
                o[k]->ops->step(o[k], &ctx, &info);
                if (r >= 0) t[k * time_reps + r] = gn_now() - t0;
            }
        for (int k = 0; k < 2; k++) {
            double *v = t + (size_t)k * time_reps;
            qsort(v, (size_t)time_reps, sizeof *v, cmp_double);
            double med =
                time_reps % 2 ? v[time_reps / 2] : 0.5 * (v[time_reps / 2 - 1] + v[time_reps / 2]);
            printf("gnbench,%s,%.6g\n", names[k], med);
            o[k]->ops->destroy(o[k]);
        }
        free(t);
    } else {
        if (mkdir(out, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "export_init: cannot create %s\n", out);
            return 1;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/meta.txt", out);
        FILE *f = fopen(path, "w");
        if (!f) return 1;
        fprintf(f,
                "input %d\nwidth %d\ndepth %d\noutputs %d\nbatch %d\nsteps %d\nparams %zu\n"
                "activation tanh\nntk 1\nbias 1\noutput_scale %.17g\nseed %ld\n"
                "lr_sgd %s\nlr_ggn %s\ndamping %s\nblis_arch %s\nthreads %d\n",
                d, width, depth, c, batch, steps, net.m, cfg.output_scale, seed, lr_sgd, lr_ggn,
                damping, gn_blas_arch(), threads);
        fclose(f);
        if (write_bin(out, "theta.bin", theta0, net.m) || write_bin(out, "X.bin", X, nx) ||
            write_bin(out, "Y.bin", Y, ny))
            return 1;
        snprintf(path, sizeof path, "%s/losses.csv", out);
        f = fopen(path, "w");
        if (!f) return 1;
        fprintf(f, "optimizer,step,loss\n");
        for (int k = 0; k < 2; k++) {
            gn_optim *o = k ? make_opt("ggn-mb", &net, batch, lr_ggn, damping)
                            : make_opt("sgd", &net, batch, lr_sgd, NULL);
            if (!o) return 1;
            memcpy(net.theta, theta0, sizeof(double) * net.m);
            for (int s = 0; s < steps; s++) {
                gn_step_ctx ctx = {.model = &net,
                                   .loss = GN_LOSS_SQUARE,
                                   .X = X + (size_t)s * batch * d,
                                   .Y = Y + (size_t)s * batch * c,
                                   .b = batch,
                                   .c = c,
                                   .iteration = s + 1};
                gn_step_info info;
                memset(&info, 0, sizeof info);
                if (o->ops->step(o, &ctx, &info) != 0) {
                    fprintf(stderr, "export_init: %s step %d failed: %s\n", names[k], s, info.note);
                    return 1;
                }
                if (info.damping_raises)
                    fprintf(stderr, "export_init: %s step %d raised the damping\n", names[k], s);
                fprintf(f, "%s,%d,%.17g\n", names[k], s, info.batch_loss);
            }
            o->ops->destroy(o);
        }
        fclose(f);
    }
    free(theta0), free(X), free(Y);
    gn_mlp_free(&net);
    return 0;
}
