/* registry.c: the table of optimizers (an optimizer is its file, its
 * `extern` and table entry here, and its line in optim/meson.build), the
 * binding of their hyperparameters, the plans they build on, and the small
 * helpers every optimizer shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/gn_assert.h"
#include "la/blas.h"
#include "optim/optim.h"

extern const gn_optim_ops gn_opt_sgd;
extern const gn_optim_ops gn_opt_ggn;
extern const gn_optim_ops gn_opt_ggn_mb;
extern const gn_optim_ops gn_opt_adam;
extern const gn_optim_ops gn_opt_sgn;
extern const gn_optim_ops gn_opt_ngd;
extern const gn_optim_ops gn_opt_dgn;
extern const gn_optim_ops gn_opt_lm;
extern const gn_optim_ops gn_opt_kfac;

const gn_optim_ops *const gn_optimizers[] = {
    &gn_opt_sgd, &gn_opt_ggn, &gn_opt_ggn_mb, &gn_opt_adam, &gn_opt_sgn,
    &gn_opt_ngd, &gn_opt_dgn, &gn_opt_lm,     &gn_opt_kfac, NULL,
};

const gn_optim_ops *gn_optim_find(const char *name)
{
    for (int i = 0; gn_optimizers[i]; i++)
        if (strcmp(gn_optimizers[i]->name, name) == 0) return gn_optimizers[i];
    return NULL;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

void gn_optim_plan_first_order(const gn_optim_shape *sh, gn_optim_plan *out)
{
    out->gram_batch = 0;
    out->workspace_bytes = 8.0 * 4 * (double)sh->m;
    out->step_flops = sat_mul(6 * (uint64_t)sh->batch, sh->m);
}

void gn_optim_plan_gram(const gn_optim_shape *sh, int gram_batch, gn_optim_plan *out)
{
    gn_optim_plan_first_order(sh, out);
    uint64_t gb = (uint64_t)gram_batch, rows = gb * (uint64_t)sh->c;
    out->gram_batch = gram_batch;
    out->workspace_bytes += 8.0 * 3 * (double)rows * (double)rows;
    uint64_t step = out->step_flops;
    step = sat_add(step, sat_mul(2 * sat_mul(rows, rows), sh->fan));
    step = sat_add(step, sat_mul(sat_mul(rows, rows), rows) / 3);
    out->step_flops = sat_add(step, sat_mul(4 * gb, sh->m));
}

void gn_optim_plan_matrix_free(const gn_optim_shape *sh, int gram_batch, long inner,
                               gn_optim_plan *out)
{
    gn_optim_plan_first_order(sh, out);
    out->gram_batch = gram_batch;
    uint64_t per = sat_mul(4 * (uint64_t)gram_batch, sh->m);
    out->step_flops = sat_add(out->step_flops, sat_mul(per, inner > 0 ? (uint64_t)inner : 1));
}

gn_optim_shape gn_optim_shape_of_config(const gn_mlp_config *cfg, int max_batch)
{
    gn_optim_shape sh = {.batch = max_batch,
                         .d = cfg->sizes[0],
                         .c = cfg->sizes[cfg->n_layers],
                         .layers = cfg->n_layers,
                         .bias = cfg->bias ? 1 : 0};
    memcpy(sh.sizes, cfg->sizes, sizeof sh.sizes);
    for (int l = 1; l <= cfg->n_layers; l++) {
        sh.m += (uint64_t)cfg->sizes[l] * ((uint64_t)cfg->sizes[l - 1] + (cfg->bias ? 1 : 0));
        sh.fan += (uint64_t)cfg->sizes[l - 1] + 1 + (uint64_t)cfg->sizes[l];
    }
    return sh;
}

gn_optim_shape gn_optim_shape_of(const gn_mlp *model, int max_batch)
{
    gn_optim_shape sh = gn_optim_shape_of_config(&model->cfg, max_batch);
    GN_ASSERT(sh.m == model->m); /* the model counts its parameters the same way */
    return sh;
}

void gn_optim_plan_for(const gn_optim_ops *ops, const void *hp, const gn_optim_shape *sh,
                       gn_optim_plan *out)
{
    if (ops->plan)
        ops->plan(hp, sh, out);
    else
        gn_optim_plan_first_order(sh, out);
}

int gn_optim_supports(const gn_optim_ops *ops, gn_loss_kind k)
{
    return k >= 0 && k < GN_LOSS_COUNT && (ops->losses & GN_LOSS_BIT(k)) != 0;
}

void *gn_optim_bind(const gn_optim_ops *ops, const gn_settings *s, char *err, size_t errlen)
{
    void *hp = calloc(1, ops->hparams_size ? ops->hparams_size : 1);
    if (!hp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (gn_params_bind(ops->params, s, "opt.", hp, err, errlen) != 0) {
        free(hp);
        return NULL;
    }
    return hp;
}

gn_optim *gn_optim_create(const gn_optim_ops *ops, const gn_settings *s, gn_mlp *model,
                          int max_batch, char *err, size_t errlen)
{
    void *hp = gn_optim_bind(ops, s, err, errlen);
    if (!hp) return NULL;
    gn_optim *o = ops->create(hp, model, max_batch, err, errlen);
    free(hp);
    return o;
}

double gn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void gn_optim_gradient(const gn_step_ctx *ctx, double weight_decay, double *G, double *g,
                       gn_step_info *info)
{
    gn_mlp *net = ctx->model;
    double t0 = gn_now();
    const double *F = gn_mlp_forward(net, ctx->X, ctx->b);
    info->batch_loss = gn_loss_value(ctx->loss, F, ctx->Y, ctx->b, ctx->c);
    gn_loss_grad(ctx->loss, F, ctx->Y, ctx->b, ctx->c, G);
    double t1 = gn_now();
    gn_mlp_vjp(net, G, g);
    if (weight_decay > 0) gn_axpy((int)net->m, weight_decay, net->theta, g);
    info->t_forward = t1 - t0;
    info->t_backward = gn_now() - t1;
}
