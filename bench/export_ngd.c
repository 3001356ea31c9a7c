/* export_ngd.c: exports Ren & Goldfarb's Fashion-MNIST problem (784-500-10,
 * ReLU, no biases, standard parameterization, PyTorch's uniform init,
 * softmax cross-entropy) with gnbench's first ngd and sgd steps on it, for
 * the PyTorch peer bench/torch_ngd.py to check its steps against.
 *
 *   export_ngd --out DIR [--steps K] [--batch B] [--curvature-batch B2]
 *              [--lr E] [--damping L] [--rho model|damped] [--lr-sgd E]
 *              [--momentum M] [--seed S] [--threads T]
 *
 * The model is initialized by the real gn_mlp_init_params (generator seeded
 * by S, stream "export"); step k uses training images k B .. (k+1) B − 1 of
 * the Fashion-MNIST file (the real loader, pixels / 255, one-hot targets).
 * ngd takes the protocol's settings (protocol-ren-fmnist.yaml: boost 1.01,
 * drop 0.990099, rule lm, the empirical Fisher) with lr, damping and rho as
 * given; its curvature subsets are gn_smw_subset(opt.seed 0, k, B, B2).
 * Writes, all little-endian:
 *   DIR/meta.txt      key value lines
 *   DIR/theta.bin     m float64: W_1 (500, 784) row-major, then W_2 (10, 500)
 *   DIR/X.bin         (K, B, 784) float64
 *   DIR/labels.bin    (K, B) int32 class indices
 *   DIR/subset.bin    (K, B2) int32 the curvature subset of each step
 *   DIR/steps.csv     optimizer,step,batch_loss,grad_norm,step_norm,damping,gain_ratio
 * Exit 77 when Fashion-MNIST is not installed. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/dataset.h"
#include "la/blas.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "optim/smw.h"
#include "core/params.h"
#include "core/rng.h"

typedef struct opts {
    const char *out, *lr, *damping, *rho, *lr_sgd, *momentum;
    int steps, batch, b2, threads;
    long seed;
} opts;

static int write_file(const char *dir, const char *name, const void *v, size_t size, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(v, size, n, f) != n) {
        fprintf(stderr, "export_ngd: cannot write %s\n", path);
        if (f) fclose(f);
        return -1;
    }
    return fclose(f);
}

static int parse(int argc, char **argv, opts *o)
{
    *o = (opts){.lr = "1",
                .damping = "1",
                .rho = "damped",
                .lr_sgd = "0.05",
                .momentum = "0.9",
                .steps = 3,
                .batch = 1000,
                .b2 = 100,
                .threads = 1,
                .seed = 1};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--out"))
            o->out = v;
        else if (!strcmp(a, "--steps"))
            o->steps = atoi(v);
        else if (!strcmp(a, "--batch"))
            o->batch = atoi(v);
        else if (!strcmp(a, "--curvature-batch"))
            o->b2 = atoi(v);
        else if (!strcmp(a, "--lr"))
            o->lr = v;
        else if (!strcmp(a, "--damping"))
            o->damping = v;
        else if (!strcmp(a, "--rho"))
            o->rho = v;
        else if (!strcmp(a, "--lr-sgd"))
            o->lr_sgd = v;
        else if (!strcmp(a, "--momentum"))
            o->momentum = v;
        else if (!strcmp(a, "--seed"))
            o->seed = atol(v);
        else if (!strcmp(a, "--threads"))
            o->threads = atoi(v);
        else {
            fprintf(stderr, "export_ngd: unknown option %s\n", a);
            return -1;
        }
    }
    if (!o->out) {
        fprintf(stderr, "export_ngd: give --out DIR\n");
        return -1;
    }
    if (o->steps < 1 || o->batch < 1 || o->b2 < 1 || o->b2 > o->batch ||
        (long)o->steps * o->batch > 60000) {
        fprintf(stderr, "export_ngd: need 1 <= curvature batch <= batch, steps * batch <= 60000\n");
        return -1;
    }
    return 0;
}

/* The training images of Fashion-MNIST in file order, one-hot targets.
 * Returns 0, 77 (not installed) or 1. */
static int load_fmnist(gn_dataset *ds)
{
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "dataset.name", "fashion-mnist");
    gn_settings_set(&s, "dataset.n_test", "0");
    gn_dataset_spec spec;
    gn_dataset_request req = {".", GN_TARGETS_ONEHOT};
    char err[1024];
    int rc = 0;
    if (gn_dataset_spec_bind(&spec, &s, err, sizeof err) != 0) {
        fprintf(stderr, "export_ngd: %s\n", err);
        rc = 1;
    } else {
        if (gn_dataset_load(&spec, &req, ds, err, sizeof err) != 0) {
            fprintf(stderr, "export_ngd: %s\n", err);
            rc = strstr(err, "not found") ? 77 : 1;
        }
        gn_dataset_spec_free(&spec);
    }
    gn_settings_free(&s);
    return rc;
}

static gn_optim *make_opt(const char *name, const opts *o, gn_mlp *net)
{
    gn_settings s;
    gn_settings_init(&s);
    if (!strcmp(name, "ngd")) {
        char b2[32];
        snprintf(b2, sizeof b2, "%d", o->b2);
        gn_settings_set(&s, "opt.lr", o->lr);
        gn_settings_set(&s, "opt.damping", o->damping);
        gn_settings_set(&s, "opt.rho", o->rho);
        gn_settings_set(&s, "opt.boost", "1.01");
        gn_settings_set(&s, "opt.drop", "0.990099");
        gn_settings_set(&s, "opt.curvature_batch", b2);
    } else {
        gn_settings_set(&s, "opt.lr", o->lr_sgd);
        gn_settings_set(&s, "opt.momentum", o->momentum);
    }
    char err[256];
    gn_optim *opt = gn_optim_create(gn_optim_find(name), &s, net, o->batch, err, sizeof err);
    gn_settings_free(&s);
    if (!opt) fprintf(stderr, "export_ngd: %s: %s\n", name, err);
    return opt;
}

/* K steps of each optimizer from theta0 on the exported batches, one
 * steps.csv line per step. */
static int run_steps(const opts *o, gn_mlp *net, const double *theta0, const gn_dataset *ds)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/steps.csv", o->out);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "optimizer,step,batch_loss,grad_norm,step_norm,damping,gain_ratio\n");
    const char *names[2] = {"ngd", "sgd"};
    for (int k = 0; k < 2; k++) {
        gn_optim *opt = make_opt(names[k], o, net);
        if (!opt) return fclose(f), -1;
        memcpy(net->theta, theta0, sizeof(double) * net->m);
        for (int s = 0; s < o->steps; s++) {
            gn_step_ctx ctx = {.model = net,
                               .loss = GN_LOSS_XENT,
                               .X = ds->X_train + (size_t)s * o->batch * ds->d,
                               .Y = ds->Y_train + (size_t)s * o->batch * ds->c,
                               .b = o->batch,
                               .c = ds->c,
                               .iteration = s};
            gn_step_info info;
            memset(&info, 0, sizeof info);
            info.damping = info.gain_ratio = NAN;
            if (opt->ops->step(opt, &ctx, &info) != 0) {
                fprintf(stderr, "export_ngd: %s step %d failed: %s\n", names[k], s, info.note);
                return fclose(f), -1;
            }
            if (info.damping_raises)
                fprintf(stderr, "export_ngd: %s step %d raised the damping\n", names[k], s);
            fprintf(f, "%s,%d,%.17g,%.17g,%.17g,%.17g,%.17g\n", names[k], s, info.batch_loss,
                    info.grad_norm, info.step_norm, info.damping, info.gain_ratio);
        }
        opt->ops->destroy(opt);
    }
    return fclose(f);
}

static int write_problem(const opts *o, const gn_mlp *net, const gn_dataset *ds)
{
    if (mkdir(o->out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "export_ngd: cannot create %s\n", o->out);
        return -1;
    }
    size_t nb = (size_t)o->steps * o->batch;
    int32_t *lab = malloc(sizeof(int32_t) * nb);
    int32_t *sub = malloc(sizeof(int32_t) * (size_t)o->steps * o->b2);
    int *idx = malloc(sizeof(int) * (size_t)o->batch);
    if (!lab || !sub || !idx) return free(lab), free(sub), free(idx), -1;
    for (size_t i = 0; i < nb; i++) {
        int best = 0;
        for (int k = 1; k < ds->c; k++)
            if (ds->Y_train[i * ds->c + k] > ds->Y_train[i * ds->c + best]) best = k;
        lab[i] = best;
    }
    for (int s = 0; s < o->steps; s++) {
        gn_smw_subset(0, s, o->batch, o->b2, idx); /* opt.seed 0, iteration s */
        for (int j = 0; j < o->b2; j++)
            sub[(size_t)s * o->b2 + j] = idx[j];
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/meta.txt", o->out);
    FILE *f = fopen(path, "w");
    int rc = f ? 0 : -1;
    if (f) {
        fprintf(f,
                "sizes 784-500-10\nactivation relu\nbias 0\nparameterization standard\n"
                "init uniform\nloss xent\nparams %zu\nsteps %d\nbatch %d\ncurvature_batch %d\n"
                "lr %s\ndamping %s\nrho %s\nboost 1.01\ndrop 0.990099\nlr_sgd %s\n"
                "momentum %s\nseed %ld\nblis_arch %s\nthreads %d\ndataset %s\n",
                net->m, o->steps, o->batch, o->b2, o->lr, o->damping, o->rho, o->lr_sgd,
                o->momentum, o->seed, gn_blas_arch(), o->threads, ds->identity);
        rc = fclose(f);
    }
    if (rc == 0)
        rc = write_file(o->out, "theta.bin", net->theta, sizeof(double), net->m) ||
             write_file(o->out, "X.bin", ds->X_train, sizeof(double), nb * ds->d) ||
             write_file(o->out, "labels.bin", lab, sizeof(int32_t), nb) ||
             write_file(o->out, "subset.bin", sub, sizeof(int32_t), (size_t)o->steps * o->b2);
    free(lab), free(sub), free(idx);
    return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
    opts o;
    if (parse(argc, argv, &o) != 0) return 2;
    gn_blas_init(o.threads);
    gn_dataset ds;
    int rc = load_fmnist(&ds);
    if (rc != 0) return rc;
    gn_mlp_config cfg = {.n_layers = 2,
                         .act = GN_ACT_RELU,
                         .ntk = 0,
                         .bias = 0,
                         .output_scale = 1,
                         .init = GN_INIT_UNIFORM};
    cfg.sizes[0] = ds.d, cfg.sizes[1] = 500, cfg.sizes[2] = ds.c;
    gn_mlp net;
    char err[256];
    if (gn_mlp_init_ex(&net, &cfg, o.batch, o.b2, err, sizeof err) != 0) {
        fprintf(stderr, "export_ngd: %s\n", err);
        gn_dataset_free(&ds);
        return 1;
    }
    gn_rng rng;
    gn_rng_seed(&rng, (uint64_t)o.seed, "export");
    gn_mlp_init_params(&net, &rng);
    double *theta0 = malloc(sizeof(double) * net.m);
    rc = 1;
    if (theta0) {
        memcpy(theta0, net.theta, sizeof(double) * net.m);
        if (write_problem(&o, &net, &ds) == 0 && run_steps(&o, &net, theta0, &ds) == 0) rc = 0;
    }
    free(theta0);
    gn_mlp_free(&net);
    gn_dataset_free(&ds);
    return rc;
}
