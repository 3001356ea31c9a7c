/* opt_sgd.c: mini-batch stochastic gradient descent with heavy-ball or
 * Nesterov momentum and decoupled-from-nothing (L2) weight decay:
 *   g = ∇L_B(θ) + wd θ;  v ← μ v + g;
 *   θ ← θ − η v            (heavy ball)
 *   θ ← θ − η (g + μ v)    (Nesterov, as in common frameworks) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "optim.h"

static const gn_param sgd_params[] = {
    {"lr", GN_PARAM_REAL, "0.01", 0, 1e6, NULL, "learning rate eta (> 0)"},
    {"momentum", GN_PARAM_REAL, "0", 0, 0.999999, NULL, "momentum mu in [0, 1)"},
    {"nesterov", GN_PARAM_BOOL, "false", 0, 0, NULL, "use Nesterov momentum"},
    {"weight_decay", GN_PARAM_REAL, "0", 0, 1e6, NULL, "L2 weight decay added to the gradient"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

extern const gn_optim_ops gn_opt_sgd;

typedef struct sgd {
    gn_optim base;
    double lr, mu, wd;
    int nesterov;
    size_t m;
    double *g, *v, *G; /* (m), (m), (max_batch, c) */
} sgd;

static gn_optim *sgd_create(const gn_settings *s, gn_mlp *net, int max_batch, char *err,
                            size_t errlen)
{
    sgd *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->base.ops = &gn_opt_sgd;
    o->lr = gn_settings_real(s, "opt.lr", 0.01);
    o->mu = gn_settings_real(s, "opt.momentum", 0.0);
    o->wd = gn_settings_real(s, "opt.weight_decay", 0.0);
    o->nesterov = gn_settings_bool(s, "opt.nesterov", 0);
    o->m = net->m;
    o->g = calloc(net->m, sizeof(double));
    o->v = calloc(net->m, sizeof(double));
    o->G = calloc((size_t)max_batch * net->c, sizeof(double));
    if (!o->g || !o->v || !o->G) {
        free(o->g), free(o->v), free(o->G), free(o);
        return NULL;
    }
    (void)err, (void)errlen;
    return &o->base;
}

static int sgd_step(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info)
{
    sgd *o = (sgd *)opt;
    gn_mlp *net = ctx->model;
    int n = (int)o->m;

    gn_optim_gradient(ctx, o->wd, o->G, o->g, info);

    double *th = net->theta;
    if (o->mu > 0) {
        info->grad_norm = gn_nrm2(n, o->g);
        for (int j = 0; j < n; j++) o->v[j] = o->mu * o->v[j] + o->g[j];
        if (o->nesterov)
            for (int j = 0; j < n; j++) th[j] -= o->lr * (o->g[j] + o->mu * o->v[j]);
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
    free(o->g), free(o->v), free(o->G), free(o);
}

const gn_optim_ops gn_opt_sgd = {
    .version = GN_OPTIM_OPS_VERSION,
    .name = "sgd",
    .summary = "mini-batch SGD with heavy-ball or Nesterov momentum and weight decay",
    .params = sgd_params,
    .full_batch = 0,
    .first_order = 1,
    .losses = "square|xent|bxent",
    .create = sgd_create,
    .step = sgd_step,
    .destroy = sgd_destroy,
};
