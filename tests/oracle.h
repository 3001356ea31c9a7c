/* oracle.h: fixtures and dense oracles shared by the Woodbury and dual
 * optimizer suites (test_smw.c, test_sgn.c, test_ngd.c, test_dgn.c): a tiny
 * network with targets for each loss, optimizer construction from
 * "key", "value" pairs, and dense reference computations (Gaussian
 * elimination, the output Hessian written from its definition) that share
 * no code with the paths under test. Header-only: every function is static
 * inline, so a suite that uses some of them compiles without warnings. */
#ifndef GN_TEST_ORACLE_H
#define GN_TEST_ORACLE_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "model/loss.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "core/params.h"
#include "core/rng.h"

#include "dense.h"

typedef struct prob {
    gn_mlp net;
    double *X, *Y;
    int n, d, c;
    gn_loss_kind loss;
} prob;

/* n samples of d inputs drawn from r into p, with targets for loss:
 * square targets are smooth functions plus noise, xent targets one-hot
 * classes, bxent targets values in [0, 1]. */
static inline void prob_data(prob *p, gn_loss_kind loss, int n, int d, int c, gn_rng *r)
{
    p->n = n, p->d = d, p->c = c, p->loss = loss;
    p->X = malloc(sizeof(double) * n * d);
    p->Y = malloc(sizeof(double) * n * c);
    for (int j = 0; j < n * d; j++)
        p->X[j] = gn_rng_normal(r);
    for (int i = 0; i < n; i++) {
        int cls = (int)gn_rng_below(r, (uint64_t)c);
        for (int k = 0; k < c; k++) {
            double *y = &p->Y[i * c + k];
            if (loss == GN_LOSS_XENT)
                *y = k == cls;
            else if (loss == GN_LOSS_BXENT)
                *y = gn_rng_uniform(r);
            else
                *y = sin(2.0 * p->X[i * d + k % d]) + 0.3 * gn_rng_normal(r);
        }
    }
}

/* A tiny tanh network with n samples (prob_data). */
static inline void prob_make(prob *p, gn_loss_kind loss, int n, int d, int c, uint64_t seed)
{
    gn_blas_init(1);
    gn_mlp_config cfg = {.n_layers = 3,
                         .sizes = {d, 6, 5, c},
                         .act = GN_ACT_TANH,
                         .ntk = 1,
                         .bias = 1,
                         .output_scale = 1};
    char err[128];
    cr_assert_eq(gn_mlp_init(&p->net, &cfg, n, err, sizeof err), 0, "%s", err);
    gn_rng r;
    gn_rng_seed(&r, seed, "problem");
    gn_mlp_init_params(&p->net, &r);
    prob_data(p, loss, n, d, c, &r);
}

static inline void prob_free(prob *p)
{
    gn_mlp_free(&p->net);
    free(p->X), free(p->Y);
}

/* An optimizer from "key=value" settings (opt. prefixed), NULL-terminated. */
static inline gn_optim *make_opt(const char *name, prob *p, ...)
{
    const gn_optim_ops *ops = gn_optim_find(name);
    cr_assert_not_null(ops, "%s", name);
    gn_settings s;
    gn_settings_init(&s);
    va_list ap;
    va_start(ap, p);
    for (const char *kv; (kv = va_arg(ap, const char *));) {
        char key[64];
        const char *eq = strchr(kv, '=');
        cr_assert_not_null(eq);
        snprintf(key, sizeof key, "opt.%.*s", (int)(eq - kv), kv);
        cr_assert_not_null(gn_param_find(ops->params, key + 4), "%s has no %s", name, key);
        gn_settings_set(&s, key, eq + 1);
    }
    va_end(ap);
    char err[256];
    gn_optim *o = gn_optim_create(ops, &s, &p->net, p->n, err, sizeof err);
    gn_settings_free(&s);
    cr_assert_not_null(o, "%s", err);
    return o;
}

static inline void do_step(gn_optim *o, prob *p, long it, gn_step_info *info)
{
    gn_step_ctx ctx = {.model = &p->net,
                       .loss = p->loss,
                       .X = p->X,
                       .Y = p->Y,
                       .b = p->n,
                       .c = p->c,
                       .iteration = it};
    memset(info, 0, sizeof *info);
    for (int j = 0; j < GN_OPTIM_MAX_EXTRA; j++)
        info->extra[j] = NAN;
    cr_assert_eq(o->ops->step(o, &ctx, info), 0, "%s", info->note);
}

static inline double loss_now(prob *p)
{
    const double *F = gn_mlp_forward(&p->net, p->X, p->n);
    return gn_loss_value(p->loss, F, p->Y, p->n, p->c);
}

/* The output Hessian of sample i's loss, written out from its definition
 * (not from gn_loss_hess_factor): square I; xent s (diag p − p pᵀ) with
 * s = Σ y; bxent diag(σ(1 − σ)). H (c, c). */
static inline void dense_hessian(gn_loss_kind loss, const double *f, const double *y, int c,
                                 double *H)
{
    double mx = f[0], z = 0, s = 0, p[64];
    for (int k = 1; k < c; k++)
        mx = f[k] > mx ? f[k] : mx;
    for (int k = 0; k < c; k++)
        z += exp(f[k] - mx), s += y[k];
    for (int k = 0; k < c; k++)
        p[k] = exp(f[k] - mx) / z;
    for (int a = 0; a < c; a++)
        for (int q = 0; q < c; q++) {
            double v = 0;
            if (loss == GN_LOSS_SQUARE)
                v = a == q;
            else if (loss == GN_LOSS_XENT)
                v = s * ((a == q ? p[a] : 0) - p[a] * p[q]);
            else if (a == q) {
                double sg = 1 / (1 + exp(-f[a]));
                v = sg * (1 - sg);
            }
            H[a * c + q] = v;
        }
}

/* Relative distance ‖a − b‖ / ‖b‖ of two (n) vectors. */
static inline double rel_err(size_t n, const double *a, const double *b)
{
    double d2 = 0, s2 = 0;
    for (size_t j = 0; j < n; j++)
        d2 += (a[j] - b[j]) * (a[j] - b[j]), s2 += b[j] * b[j];
    return sqrt(d2 / s2);
}

#endif
