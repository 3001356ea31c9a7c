/* opt_ngd.c: `ngd`, natural gradient with the empirical (or true) Fisher
 * and Levenberg-Marquardt damping, through Sherman-Morrison-Woodbury (Ren &
 * Goldfarb 2019):
 *   d = −(G + λ I)⁻¹ g,  G = (1/b₂) Σ_{i∈B₂} u_i u_iᵀ,  θ ← θ + η d,
 * with u_i = J_iᵀ r_i the per-sample loss gradients (r_i = dℓ_i/df_i).
 * U Uᵀ is (b₂, b₂): (U Uᵀ)_{ij} = r_iᵀ K_{ij} r_j from the Gram trick;
 * U g = (r_iᵀ (J g)_i)_i is one JVP and Uᵀ x = Jᵀ (x_i r_i)_i one weighted
 * backward pass.
 *
 * fisher: true replaces y_i in r_i by a target ŷ_i drawn from the model's
 * predictive distribution at the current parameters
 * (gn_loss_sample_targets), from a generator seeded by (opt.seed,
 * iteration), so runs are reproducible. The gradient g always uses the real
 * targets. The step, subset, gain ratio and damping rule are shared with
 * `sgn` (smw.c). */
#include <stdio.h>
#include <stdlib.h>

#include "optim/smw.h"

static const gn_param ngd_params[] = {
    GN_P_REAL(gn_smw_hparams, lr, "1", 0, 1e6, "step size eta applied to the direction d"),
    GN_P_CHOICE(gn_smw_hparams, fisher, "empirical", "empirical|true",
                "empirical: u_i from the data targets; true: from targets sampled from the "
                "model's predictive distribution"),
    GN_SMW_DAMPING_PARAMS,
    GN_P_END,
};

extern const gn_optim_ops gn_opt_ngd;

typedef struct ngd {
    gn_optim base;
    gn_smw_step st;
} ngd;

static gn_optim *ngd_create(const void *hparams, gn_mlp *net, int max_batch, char *err,
                            size_t errlen)
{
    const gn_smw_hparams *hp = hparams;
    ngd *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->base.ops = &gn_opt_ngd;
    gn_smw_curvature kind = hp->fisher == 1 ? GN_SMW_FISHER_TRUE : GN_SMW_FISHER_EMPIRICAL;
    if (gn_smw_step_init(&o->st, kind, hp, net, max_batch, err, errlen) != 0) {
        free(o);
        return NULL;
    }
    o->base.workspace_bytes = o->st.ws.used;
    return &o->base;
}

static int ngd_step(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info)
{
    return gn_smw_step_run(&((ngd *)opt)->st, ctx, info);
}

static void ngd_destroy(gn_optim *opt)
{
    if (!opt) return;
    gn_smw_step_free(&((ngd *)opt)->st);
    free(opt);
}

const gn_optim_ops gn_opt_ngd = {
    .version = GN_OPTIM_OPS_VERSION,
    .name = "ngd",
    .summary = "natural gradient (empirical or true Fisher) through Sherman-Morrison-Woodbury with "
               "Levenberg-Marquardt damping (Ren & Goldfarb 2019)",
    .params = ngd_params,
    .hparams_size = sizeof(gn_smw_hparams),
    .full_batch = 0,
    .losses = GN_LOSSES_ALL,
    .create = ngd_create,
    .step = ngd_step,
    .destroy = ngd_destroy,
    .plan = gn_smw_plan_fisher,
};
