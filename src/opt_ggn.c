/* opt_ggn.c: `ggn`, full-batch Gram-Gauss-Newton (Cai et al. 2019): theta -= lr J^T (J J^T + damping I)^-1 r.
 * The Gram matrix comes from the model's layer-wise trick (J is never
 * formed); the solve is a Cholesky factorization from libflame. */
#include <stdlib.h>

#include "gram_step.h"

static const gn_param ggn_params[] = {
    {"lr", GN_PARAM_REAL, "1", 0, 1e6, NULL, "step size eta applied to the Gauss-Newton direction"},
    {"damping", GN_PARAM_REAL, "0", 0, 1e12, NULL,
     "Levenberg-Marquardt damping lambda added to the Gram matrix (raised automatically if Cholesky fails)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

extern const gn_optim_ops gn_opt_ggn;

typedef struct ggn {
    gn_optim base;
    gn_gram_step gs;
} ggn;

static gn_optim *ggn_create(const gn_settings *s, gn_mlp *net, int max_batch, char *err,
                            size_t errlen)
{
    ggn *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->base.ops = &gn_opt_ggn;
    if (gn_gram_step_init(&o->gs, s, net, max_batch, err, errlen) != 0) {
        free(o);
        return NULL;
    }
    return &o->base;
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
    .summary = "full-batch Gram-Gauss-Newton (Cai et al. 2019): theta -= lr J^T (J J^T + damping I)^-1 r",
    .params = ggn_params,
    .full_batch = 1,
    .losses = "square",
    .create = ggn_create,
    .step = ggn_step,
    .destroy = ggn_destroy,
};
