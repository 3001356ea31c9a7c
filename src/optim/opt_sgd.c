/* opt_sgd.c: mini-batch stochastic gradient descent with heavy-ball or
 * Nesterov momentum and decoupled-from-nothing (L2) weight decay:
 *   g = ∇L_B(θ) + wd θ;  v ← μ v + g;
 *   θ ← θ − η v            (heavy ball)
 *   θ ← θ − η (g + μ v)    (Nesterov, as in common frameworks) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "optim/optim.h"
#include "optim/ws.h"

typedef struct sgd_hparams {
    double lr, momentum, weight_decay;
    int nesterov;
} sgd_hparams;

static const gn_param sgd_params[] = {
    GN_P_REAL(sgd_hparams, lr, "0.01", 0, 1e6, "learning rate eta (> 0)"),
    GN_P_REAL(sgd_hparams, momentum, "0", 0, 0.999999, "momentum mu in [0, 1)"),
    GN_P_BOOL(sgd_hparams, nesterov, "false", "use Nesterov momentum"),
    GN_P_REAL(sgd_hparams, weight_decay, "0", 0, 1e6, "L2 weight decay added to the gradient"),
    GN_P_END,
};

extern const gn_optim_ops gn_opt_sgd;

typedef struct sgd {
    gn_optim base;
    double lr, lr0, mu, wd; /* lr: this step's (lr0 scaled by the schedule) */
    int nesterov;
    size_t m;
    gn_ws ws;          /* holds the buffers below */
    double *g, *v, *G; /* (m), (m), (max_batch, c) */
} sgd;

/* The buffers of a step of shape sh (ws.h): measured by plan, carved by create. */
static void sgd_layout(sgd *o, gn_ws *ws, const gn_optim_shape *sh)
{
    o->g = gn_ws_doubles(ws, sh->m);
    o->v = gn_ws_doubles(ws, sh->m);
    o->G = gn_ws_doubles(ws, (size_t)sh->batch * sh->c);
}

static void sgd_plan(const void *hp, const gn_optim_shape *sh, gn_optim_plan *out)
{
    (void)hp;
    sgd tmp = {0};
    gn_ws ws;
    gn_ws_measure(&ws);
    sgd_layout(&tmp, &ws, sh);
    gn_optim_plan_first_order(sh, out);
    out->workspace_bytes = (double)ws.used;
}

static gn_optim *sgd_create(const void *hparams, gn_mlp *net, int max_batch, char *err,
                            size_t errlen)
{
    const sgd_hparams *hp = hparams;
    sgd *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->base.ops = &gn_opt_sgd;
    o->lr = o->lr0 = hp->lr;
    o->mu = hp->momentum;
    o->wd = hp->weight_decay;
    o->nesterov = hp->nesterov;
    o->m = net->m;
    gn_optim_shape sh = gn_optim_shape_of(net, max_batch);
    gn_ws_measure(&o->ws);
    sgd_layout(o, &o->ws, &sh);
    if (gn_ws_alloc(&o->ws, o->ws.used) != 0) {
        free(o);
        snprintf(err, errlen, "out of memory for SGD's vectors (%zu parameters)", net->m);
        return NULL;
    }
    sgd_layout(o, &o->ws, &sh);
    o->base.workspace_bytes = o->ws.used;
    return &o->base;
}

static int sgd_step(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info)
{
    sgd *o = (sgd *)opt;
    gn_mlp *net = ctx->model;
    int n = (int)o->m;
    o->lr = gn_step_lr(ctx, o->lr0);

    gn_optim_gradient(ctx, o->wd, o->G, o->g, info);

    double *th = net->theta;
    if (o->mu > 0) {
        info->grad_norm = gn_nrm2(n, o->g);
        for (int j = 0; j < n; j++)
            o->v[j] = o->mu * o->v[j] + o->g[j];
        if (o->nesterov)
            for (int j = 0; j < n; j++)
                th[j] -= o->lr * (o->g[j] + o->mu * o->v[j]);
        else
            gn_axpy(n, -o->lr, o->v, th);
        info->step_norm = o->lr * (o->nesterov ? NAN : gn_nrm2(n, o->v));
        if (o->nesterov) {
            double s2 = 0;
            for (int j = 0; j < n; j++) {
                double d = o->g[j] + o->mu * o->v[j];
                s2 += d * d;
            }
            info->step_norm = o->lr * sqrt(s2);
        }
    } else {
        info->grad_norm = gn_axpy_nrm2(n, -o->lr, o->g, th); /* one pass */
        info->step_norm = o->lr * info->grad_norm;
    }
    info->lr = o->lr;
    return 0;
}

static void sgd_destroy(gn_optim *opt)
{
    sgd *o = (sgd *)opt;
    if (!o) return;
    gn_ws_free(&o->ws);
    free(o);
}

const gn_optim_ops gn_opt_sgd = {
    .version = GN_OPTIM_OPS_VERSION,
    .name = "sgd",
    .summary = "mini-batch SGD with heavy-ball or Nesterov momentum and weight decay",
    .params = sgd_params,
    .hparams_size = sizeof(sgd_hparams),
    .full_batch = 0,
    .losses = GN_LOSSES_ALL,
    .create = sgd_create,
    .step = sgd_step,
    .destroy = sgd_destroy,
    .plan = sgd_plan,
};
