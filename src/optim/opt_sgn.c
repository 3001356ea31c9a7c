/* opt_sgn.c: `sgn`, subsampled Gauss-Newton with Levenberg-Marquardt
 * damping (Ren & Goldfarb 2019):
 *   d = −(G + λ I)⁻¹ g,  G = (1/b₂) Σ_{i∈B₂} J_iᵀ H_i J_i,  θ ← θ + η d,
 * solved through Sherman-Morrison-Woodbury with U_i = A_iᵀ J_i (H_i = A_i A_iᵀ
 * the output Hessian of the loss), so the only factorization is of the
 * (b₂c, b₂c) matrix b₂λ I + U Uᵀ = b₂λ I + blockdiag(A_iᵀ) K blockdiag(A_i).
 * The step, the curvature subset, the gain ratio and the damping rule are
 * shared with `ngd` in smw.c (see its header for the choices made).
 *
 * With the square loss, b₂ = b and a fixed λ, the step equals `ggn-mb` with
 * learning rate η and damping bλ, since
 *   (JᵀJ/b + λ I)⁻¹ Jᵀr/b = Jᵀ (K + bλ I)⁻¹ r. */
#include <stdio.h>
#include <stdlib.h>

#include "optim/smw.h"

static const gn_param sgn_params[] = {
    GN_P_REAL(gn_smw_hparams, lr, "1", 0, 1e6, "step size eta applied to the direction d"),
    GN_SMW_DAMPING_PARAMS,
    GN_P_END,
};

extern const gn_optim_ops gn_opt_sgn;

typedef struct sgn {
    gn_optim base;
    gn_smw_step st;
} sgn;

static gn_optim *sgn_create(const void *hp, gn_mlp *net, int max_batch, char *err, size_t errlen)
{
    sgn *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->base.ops = &gn_opt_sgn;
    if (gn_smw_step_init(&o->st, GN_SMW_GAUSS_NEWTON, hp, net, max_batch, err, errlen) != 0) {
        free(o);
        return NULL;
    }
    o->base.workspace_bytes = o->st.ws.used;
    return &o->base;
}

static int sgn_step(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info)
{
    return gn_smw_step_run(&((sgn *)opt)->st, ctx, info);
}

static void sgn_destroy(gn_optim *opt)
{
    if (!opt) return;
    gn_smw_step_free(&((sgn *)opt)->st);
    free(opt);
}

const gn_optim_ops gn_opt_sgn = {
    .version = GN_OPTIM_OPS_VERSION,
    .name = "sgn",
    .summary = "subsampled Gauss-Newton through Sherman-Morrison-Woodbury with Levenberg-Marquardt "
               "damping (Ren & Goldfarb 2019)",
    .params = sgn_params,
    .hparams_size = sizeof(gn_smw_hparams),
    .full_batch = 0,
    .losses = GN_LOSSES_ALL,
    .create = sgn_create,
    .step = sgn_step,
    .destroy = sgn_destroy,
    .plan = gn_smw_plan_gauss_newton,
};
