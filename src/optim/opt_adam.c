/* opt_adam.c: Adam (Kingma & Ba 2015) with bias correction, the first-order
 * baseline the Gauss-Newton papers compare with:
 *   g = ∇L_B(θ) + wd θ                  (L2 weight decay added to the
 *                                         gradient, as in Adam proper; not
 *                                         AdamW's decoupled decay)
 *   m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²
 *   m̂ = m / (1 − β₁ᵗ),       v̂ = v / (1 − β₂ᵗ)       (t = 1, 2, ...)
 *   θ ← θ − η m̂ / (√v̂ + ε)
 * The first step is therefore η g / (|g| + ε) ≈ η sign(g) elementwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "la/blas.h"
#include "optim/optim.h"
#include "optim/ws.h"

typedef struct adam_hparams {
    double lr, beta1, beta2, eps, weight_decay;
} adam_hparams;

static const gn_param adam_params[] = {
    GN_P_REAL(adam_hparams, lr, "0.001", 0, 1e6, "learning rate eta"),
    GN_P_REAL(adam_hparams, beta1, "0.9", 0, 0.999999,
              "decay rate of the first-moment (mean) estimate, in [0, 1)"),
    GN_P_REAL(adam_hparams, beta2, "0.999", 0, 0.999999999,
              "decay rate of the second-moment (uncentered variance) estimate, in [0, 1)"),
    GN_P_REAL(adam_hparams, eps, "1e-8", GN_PARAM_POSITIVE, 1,
              "added to the root of the second-moment estimate in the denominator (> 0)"),
    GN_P_REAL(adam_hparams, weight_decay, "0", 0, 1e6,
              "L2 weight decay wd: wd theta is added to the gradient before the moments (not "
              "decoupled)"),
    GN_P_END,
};

extern const gn_optim_ops gn_opt_adam;

typedef struct adam {
    gn_optim base;
    double lr, lr0, beta1, beta2, eps, wd; /* lr: this step's (lr0 scaled) */
    double beta1_t, beta2_t;               /* β₁ᵗ, β₂ᵗ after t steps */
    double c1, c2; /* 1 / (1 − β₁ᵗ), 1 / (1 − β₂ᵗ) of this step */
    double *theta; /* the model's parameters, for adam_chunk */
    size_t m;
    gn_ws ws;                  /* holds the buffers below */
    double *g, *mom, *var, *G; /* (m), (m), (m), (max_batch, c) */
} adam;

static void adam_destroy(gn_optim *opt)
{
    adam *o = (adam *)opt;
    if (!o) return;
    gn_ws_free(&o->ws);
    free(o);
}

/* The buffers of a step of shape sh (ws.h): measured by plan, carved by create. */
static void adam_layout(adam *o, gn_ws *ws, const gn_optim_shape *sh)
{
    o->g = gn_ws_doubles(ws, sh->m);
    o->mom = gn_ws_doubles(ws, sh->m);
    o->var = gn_ws_doubles(ws, sh->m);
    o->G = gn_ws_doubles(ws, (size_t)sh->batch * sh->c);
}

static void adam_plan(const void *hp, const gn_optim_shape *sh, gn_optim_plan *out)
{
    (void)hp;
    adam tmp = {0};
    gn_ws ws;
    gn_ws_measure(&ws);
    adam_layout(&tmp, &ws, sh);
    gn_optim_plan_first_order(sh, out);
    out->workspace_bytes = (double)ws.used;
}

static gn_optim *adam_create(const void *hparams, gn_mlp *net, int max_batch, char *err,
                             size_t errlen)
{
    const adam_hparams *hp = hparams;
    adam *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->base.ops = &gn_opt_adam;
    o->lr = o->lr0 = hp->lr;
    o->beta1 = hp->beta1;
    o->beta2 = hp->beta2;
    o->eps = hp->eps;
    o->wd = hp->weight_decay;
    o->beta1_t = o->beta2_t = 1.0;
    o->m = net->m;
    gn_optim_shape sh = gn_optim_shape_of(net, max_batch);
    gn_ws_measure(&o->ws);
    adam_layout(o, &o->ws, &sh);
    int ok = gn_ws_alloc(&o->ws, o->ws.used) == 0;
    if (ok) adam_layout(o, &o->ws, &sh);
    o->base.workspace_bytes = o->ws.used;
    if (!ok) {
        adam_destroy(&o->base);
        snprintf(err, errlen, "out of memory for Adam's moment vectors (%zu parameters)", net->m);
        return NULL;
    }
    return &o->base;
}

/* Elements [lo, hi) of one Adam update; sums += (‖g‖², ‖Δθ‖²). */
static void adam_chunk(size_t lo, size_t hi, void *ctx, double sums[2])
{
    adam *o = ctx;
    const double *g = o->g;
    double *mom = o->mom, *var = o->var, *th = o->theta;
    double b1 = o->beta1, b2 = o->beta2, c1 = o->c1, c2 = o->c2, lr = o->lr, eps = o->eps;
    double g2 = 0, s2 = 0;
#pragma omp simd reduction(+ : g2, s2)
    for (size_t j = lo; j < hi; j++) {
        double gj = g[j];
        mom[j] = b1 * mom[j] + (1.0 - b1) * gj;
        var[j] = b2 * var[j] + (1.0 - b2) * gj * gj;
        double d = lr * (mom[j] * c1) / (sqrt(var[j] * c2) + eps);
        th[j] -= d;
        g2 += gj * gj;
        s2 += d * d;
    }
    sums[0] += g2;
    sums[1] += s2;
}

static int adam_step(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info)
{
    adam *o = (adam *)opt;
    gn_mlp *net = ctx->model;
    int n = (int)o->m;
    o->lr = gn_step_lr(ctx, o->lr0);

    gn_optim_gradient(ctx, o->wd, o->G, o->g, info);

    o->beta1_t *= o->beta1;
    o->beta2_t *= o->beta2;
    o->c1 = 1.0 / (1.0 - o->beta1_t);
    o->c2 = 1.0 / (1.0 - o->beta2_t);
    o->theta = net->theta;
    /* one fused pass (moments, update, both squared norms), shared among
     * the threads */
    double sums[2];
    gn_par_sums((size_t)n, adam_chunk, o, sums);
    info->grad_norm = sqrt(sums[0]);
    info->step_norm = sqrt(sums[1]);
    info->lr = o->lr;
    return 0;
}

const gn_optim_ops gn_opt_adam = {
    .version = GN_OPTIM_OPS_VERSION,
    .name = "adam",
    .summary = "Adam with bias correction and L2 weight decay (Kingma & Ba 2015)",
    .params = adam_params,
    .hparams_size = sizeof(adam_hparams),
    .full_batch = 0,
    .losses = GN_LOSSES_ALL,
    .create = adam_create,
    .step = adam_step,
    .destroy = adam_destroy,
    .plan = adam_plan,
};
