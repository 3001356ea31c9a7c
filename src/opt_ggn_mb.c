/* opt_ggn_mb.c: `ggn-mb`, mini-batch Gram-Gauss-Newton with learning rate and damping on a fresh batch each step (Cai et al. 2019).
 * The Gram matrix comes from the model's layer-wise trick (J is never
 * formed); the solve is a Cholesky factorization from libflame. */
#include <stdlib.h>

#include "gram_step.h"

static const gn_param ggn_mb_params[] = {
    {"lr", GN_PARAM_REAL, "1", 0, 1e6, NULL, "step size eta applied to the Gauss-Newton direction"},
    {"damping", GN_PARAM_REAL, "0.001", 0, 1e12, NULL,
     "Levenberg-Marquardt damping lambda added to the Gram matrix (raised automatically if Cholesky fails)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

extern const gn_optim_ops gn_opt_ggn_mb;

typedef struct ggn_mb {
    gn_optim base;
    gn_gram_step gs;
} ggn_mb;

static gn_optim *ggn_mb_create(const gn_settings *s, gn_mlp *net, int max_batch, char *err,
                            size_t errlen)
{
    ggn_mb *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->base.ops = &gn_opt_ggn_mb;
    if (gn_gram_step_init(&o->gs, s, net, max_batch, err, errlen) != 0) {
        free(o);
        return NULL;
    }
    return &o->base;
}

static int ggn_mb_step(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info)
{
    return gn_gram_step_run(&((ggn_mb *)opt)->gs, ctx, info);
}

static void ggn_mb_destroy(gn_optim *opt)
{
    if (!opt) return;
    gn_gram_step_free(&((ggn_mb *)opt)->gs);
    free(opt);
}

const gn_optim_ops gn_opt_ggn_mb = {
    .version = GN_OPTIM_OPS_VERSION,
    .name = "ggn-mb",
    .summary = "mini-batch Gram-Gauss-Newton with learning rate and damping on a fresh batch each step (Cai et al. 2019)",
    .params = ggn_mb_params,
    .full_batch = 0,
    .losses = "square",
    .create = ggn_mb_create,
    .step = ggn_mb_step,
    .destroy = ggn_mb_destroy,
};
