/* opt_ggn.c: Gram-Gauss-Newton (Cai et al. 2019),
 *   θ ← θ − η Jᵀ (J Jᵀ + λ I)⁻¹ r,
 * as two optimizers that differ only in their batches and default damping:
 * `ggn` steps on the whole training set, `ggn-mb` on a fresh mini-batch each
 * iteration. The Gram matrix comes from the model's layer-wise trick (J is
 * never formed) and the solve is a Cholesky factorization (gram_step.c). */
#include <stdio.h>
#include <stdlib.h>

#include "optim/gram_step.h"

#define GGN_LR_DOC "step size eta applied to the Gauss-Newton direction"
#define GGN_DAMPING_DOC                                                                            \
    "Levenberg-Marquardt damping lambda added to the Gram matrix (raised automatically if "        \
    "Cholesky fails)"

static const gn_param ggn_params[] = {
    GN_P_REAL(gn_gram_hparams, lr, "1", 0, 1e6, GGN_LR_DOC),
    GN_P_REAL(gn_gram_hparams, damping, "0", 0, 1e12, GGN_DAMPING_DOC),
    GN_P_END,
};

static const gn_param ggn_mb_params[] = {
    GN_P_REAL(gn_gram_hparams, lr, "1", 0, 1e6, GGN_LR_DOC),
    GN_P_REAL(gn_gram_hparams, damping, "0.001", 0, 1e12, GGN_DAMPING_DOC),
    GN_P_END,
};

extern const gn_optim_ops gn_opt_ggn, gn_opt_ggn_mb;

typedef struct ggn {
    gn_optim base;
    gn_gram_step gs;
} ggn;

static gn_optim *ggn_new(const gn_optim_ops *ops, const void *hp, gn_mlp *net, int max_batch,
                         char *err, size_t errlen)
{
    ggn *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->base.ops = ops;
    if (gn_gram_step_init(&o->gs, hp, net, max_batch, err, errlen) != 0) {
        free(o);
        return NULL;
    }
    o->base.workspace_bytes = o->gs.ws.used;
    return &o->base;
}

static gn_optim *ggn_create(const void *hp, gn_mlp *net, int max_batch, char *err, size_t errlen)
{
    return ggn_new(&gn_opt_ggn, hp, net, max_batch, err, errlen);
}

static gn_optim *ggn_mb_create(const void *hp, gn_mlp *net, int max_batch, char *err, size_t errlen)
{
    return ggn_new(&gn_opt_ggn_mb, hp, net, max_batch, err, errlen);
}

static void ggn_plan(const void *hp, const gn_optim_shape *sh, gn_optim_plan *out)
{
    (void)hp;
    gn_optim_plan_gram(sh, sh->batch, out);
    out->workspace_bytes = (double)gn_gram_step_bytes(sh);
}

static int ggn_step(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info)
{
    return gn_gram_step_run(&((ggn *)opt)->gs, ctx, info);
}

static void ggn_destroy(gn_optim *opt)
{
    if (!opt) return;
    gn_gram_step_free(&((ggn *)opt)->gs);
    free(opt);
}

const gn_optim_ops gn_opt_ggn = {
    .version = GN_OPTIM_OPS_VERSION,
    .name = "ggn",
    .summary =
        "full-batch Gram-Gauss-Newton (Cai et al. 2019): theta -= lr J^T (J J^T + damping I)^-1 r",
    .params = ggn_params,
    .hparams_size = sizeof(gn_gram_hparams),
    .full_batch = 1,
    .losses = GN_LOSS_BIT(GN_LOSS_SQUARE),
    .create = ggn_create,
    .step = ggn_step,
    .destroy = ggn_destroy,
    .plan = ggn_plan,
};

const gn_optim_ops gn_opt_ggn_mb = {
    .version = GN_OPTIM_OPS_VERSION,
    .name = "ggn-mb",
    .summary = "mini-batch Gram-Gauss-Newton with learning rate and damping on a fresh batch each "
               "step (Cai et al. 2019)",
    .params = ggn_mb_params,
    .hparams_size = sizeof(gn_gram_hparams),
    .full_batch = 0,
    .losses = GN_LOSS_BIT(GN_LOSS_SQUARE),
    .create = ggn_mb_create,
    .step = ggn_step,
    .destroy = ggn_destroy,
    .plan = ggn_plan,
};
