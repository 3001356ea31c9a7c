/* gram_step.h: the damped Gram-Gauss-Newton step shared by `ggn` and
 * `ggn-mb` (square loss):
 *   r = f(X) − Y,  K = J Jᵀ,  θ ← θ − η Jᵀ (K + λ I)⁻¹ r
 * with the Cholesky recovery of gn_chol_factor_damped. The update is
 * accumulated into θ by the weight-gradient products themselves
 * (gn_mlp_jt_vec_add), so no m-sized direction is stored; the step norm
 * η ‖Jᵀα‖ comes from the Gram identity ‖Jᵀα‖² = αᵀ K α. */
#ifndef GN_GRAM_STEP_H
#define GN_GRAM_STEP_H

#include "optim/optim.h"
#include "optim/ws.h"

/* The hyperparameters of `ggn` and `ggn-mb` (their tables: opt_ggn.c). */
typedef struct gn_gram_hparams {
    double lr, damping;
} gn_gram_hparams;

typedef struct gn_gram_step {
    double lr, lr0, damping; /* lr: this step's (lr0 scaled by the schedule) */
    gn_ws ws;                /* holds the buffers below */
    int max_rows;            /* max_batch * c */
    double *r, *K, *Lf;      /* (bc), (bc, bc), (bc, bc) */
    double *Ka;              /* (bc) K alpha, for the step norm */
    double *eig;             /* (bc) eigenvalues of K at initialization */
} gn_gram_step;

/* The step's buffers for shape sh (ws.h), and their bytes. */
void gn_gram_step_layout(gn_gram_step *g, gn_ws *ws, const gn_optim_shape *sh);
size_t gn_gram_step_bytes(const gn_optim_shape *sh);

int gn_gram_step_init(gn_gram_step *g, const gn_gram_hparams *hp, gn_mlp *net, int max_batch,
                      char *err, size_t errlen);
int gn_gram_step_run(gn_gram_step *g, const gn_step_ctx *ctx, gn_step_info *info);
void gn_gram_step_free(gn_gram_step *g);

/* θ += −lr Jᵀα inside the weight-gradient gemms (gn_mlp_jt_vec_add) for the
 * batch the model last backpropagated, and ‖Jᵀα‖ from the Gram identity
 * ‖Jᵀα‖² = αᵀKα with K (n, n) the undamped Gram matrix; Ka (n) is scratch
 * (left holding K α). Shared by the Gram step and lm. */
double gn_gram_apply(gn_mlp *net, int n, const double *K, const double *alpha, double lr,
                     double *Ka);

#endif
