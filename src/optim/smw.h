/* smw.h: damped curvature solves through Sherman-Morrison-Woodbury, and the
 * subsampled Gauss-Newton / natural-gradient step built on them (`sgn`,
 * `ngd`; Ren & Goldfarb 2019).
 *
 * The curvature is G = (1/b₂) UᵀU with U (b₂p, m) stacked per-sample blocks
 * U_i = W_iᵀ J_i, where J_i (c, m) is the Jacobian of sample i of the
 * curvature batch and W_i (c, p) a per-sample factor:
 *   Gauss-Newton:     W_i = A_i (c, c) with H_i = A_i A_iᵀ the output Hessian
 *   Fisher (p = 1):   W_i = r_i (c, 1), the per-sample loss gradient dℓ_i/df_i
 * Every product then comes from the model's evaluation interface, never J:
 *   U Uᵀ = blockdiag(W_iᵀ) K blockdiag(W_i),  K = J Jᵀ (the Gram trick)
 *   U v  = blockdiag(W_iᵀ) (J v)              (one JVP)
 *   Uᵀ x = Jᵀ (blockdiag(W_i) x)              (gn_mlp_jt_vec)
 * and the damped solve is
 *   (λ I + UᵀU/b₂)⁻¹ g = (1/λ) (g − Uᵀ (b₂λ I + U Uᵀ)⁻¹ U g)
 * with one (b₂p)-sized Cholesky factorization. When every W_i is diagonal
 * (the Gauss-Newton factor of bxent, whose output Hessian is diagonal) the
 * block products are scalings, U Uᵀ = diag(w) K diag(w): (b₂c)² work
 * instead of 2 b₂ (b₂c) c² for the two block transforms. With one vector
 * per sample (p = 1, the Fisher) U Uᵀ is (b₂, b₂) and comes straight from
 * the per-sample backpropagated cotangents (gn_mlp_cot_gram, mlp_gram2.h),
 * never through the (b₂c)² Gram over all outputs. */
#ifndef GN_SMW_H
#define GN_SMW_H

#include <stdint.h>

#include "optim/optim.h"
#include "optim/ws.h"
#include "core/rng.h"

/* ---- the SMW core ---- */

typedef struct gn_smw {
    int max_b2, c, p_max; /* curvature batches up to max_b2 samples, factor widths up to p_max */
    size_t m;
    int b2, p;    /* current curvature batch and factor width */
    int identity; /* W_i = I (square-loss Gauss-Newton): skips the transforms */
    int diagonal; /* every W_i diagonal (p = c; bxent): the transforms are scalings */
    double *wd;   /* (max_b2 c) the diagonals of W_i when diagonal */
    double *W;    /* (max_b2, c, p_max) factors, rows (i, k), filled by the caller */
    double *K;    /* (max_b2 c, max_b2 c) Gram of the curvature batch; (max_b2, max_b2)
                     scratch when p_max = 1 */
    double *T;    /* (max_b2 c, max_b2 p_max) K blockdiag(W); NULL when p_max = 1 */
    double *S;    /* (max_b2 p_max, max_b2 p_max) U Uᵀ */
    double *Lf;   /* (max_b2 p_max, max_b2 p_max) Cholesky factor of S + b₂λ I */
    double *jv;   /* (max_b2 c) J v */
    double *wx;   /* (max_b2 c) blockdiag(W) x */
    double *y;    /* (max_b2 p_max) the solution (b₂λ I + U Uᵀ)⁻¹ U g */
    double *ug;   /* (max_b2 p_max) U g */
    double *eig;  /* (max_b2 p_max) eigenvalues for the spectrum */
    gn_ws ws;     /* holds the buffers when gn_smw_init allocated them */
} gn_smw;

/* Lays out the buffers above in ws (ws.h) for curvature batches up to max_b2
 * samples, c outputs, factors of width up to p_max, m parameters. */
void gn_smw_layout(gn_smw *s, gn_ws *ws, int max_b2, int c, int p_max, size_t m);

/* Allocates for curvature batches up to max_b2 samples (<= the model's
 * max_gram_batch) and factors of width up to p_max (c or 1). Returns 0, or
 * -1 with a message. */
int gn_smw_init(gn_smw *s, const gn_mlp *net, int max_b2, int p_max, char *err, size_t errlen);
void gn_smw_free(gn_smw *s);

/* Forms S = U Uᵀ (b₂p, b₂p) for the batch the model last forwarded (b₂ =
 * net->b samples) and the factors in s->W of width p (identity: W_i = I,
 * p = c, s->W unused). */
void gn_smw_gram(gn_smw *s, gn_mlp *net, int p, int identity);
/* out (b₂p) = U v for v (m); uses the forwarded curvature batch. */
void gn_smw_apply_u(gn_smw *s, gn_mlp *net, const double *v, double *out);
/* out (m) = Uᵀ x for x (b₂p). */
void gn_smw_apply_ut(gn_smw *s, gn_mlp *net, const double *x, double *out);
/* The block transforms alone: out (b₂p) = blockdiag(W_iᵀ) v for v (b₂c),
 * and out (b₂c) = blockdiag(W_i) x for x (b₂p), after gn_smw_gram. */
void gn_smw_wt(const gn_smw *s, const double *v, double *out);
void gn_smw_w(const gn_smw *s, const double *x, double *out);
/* d (m) = −(λ I + UᵀU/b₂)⁻¹ g (g (m)) after gn_smw_gram; s->ug keeps U g
 * and s->y the solution y, so that d = (Uᵀy − g)/λ. When the
 * factorization of S + b₂λ I fails, λ is raised (gn_chol_factor_damped) and
 * the raised value is used throughout: *used gets it, *raises the count.
 * Returns 0, or -1 when no damping up to the bound worked (d untouched). */
int gn_smw_direction(gn_smw *s, gn_mlp *net, const double *g, double lambda, double *d,
                     double *used, int *raises);

/* ---- helpers shared with the tests ---- */

/* A generator for step `iteration` of an optimizer seeded by `seed`:
 * deterministic, independent of timing and of other steps. */
void gn_smw_step_rng(gn_rng *r, uint64_t seed, long iteration, const char *stream);
/* The curvature batch: b2 distinct indices out of 0..b-1 (idx (b2)), in
 * increasing order; all of them when b2 >= b. Drawn from
 * gn_smw_step_rng(seed, iteration, "curvature-batch"). idx needs room for b
 * entries (it is used as scratch). */
void gn_smw_subset(uint64_t seed, long iteration, int b, int b2, int *idx);

/* ---- the damped step of `sgn` and `ngd` ---- */

typedef enum {
    GN_SMW_GAUSS_NEWTON,     /* U_i = A_iᵀ J_i */
    GN_SMW_FISHER_EMPIRICAL, /* u_i = J_iᵀ dℓ(f_i, y_i)/df_i */
    GN_SMW_FISHER_TRUE       /* u_i = J_iᵀ dℓ(f_i, ŷ_i)/df_i, ŷ_i ~ the model's predictive */
} gn_smw_curvature;

/* The hyperparameters of `sgn` and `ngd`, one struct for both (ngd alone
 * binds `fisher`; GN_SMW_FISHER_* below, in that order after the first). */
typedef struct gn_smw_hparams {
    double lr, damping, boost, drop, rho_low, rho_high, damping_min, damping_max;
    int damping_rule; /* GN_SMW_RULE_* */
    int fisher;       /* 0 empirical, 1 true */
    int rho;          /* GN_SMW_RHO_*; -1 (unset) means model */
    long curvature_batch, seed;
} gn_smw_hparams;

enum { GN_SMW_RULE_FIXED, GN_SMW_RULE_LM }; /* "fixed|lm" */
/* The gain-ratio denominator, "model|damped": the decrease predicted by the
 * undamped quadratic model, −(gᵀs + ½ sᵀGs), or by the damped one at its
 * minimizer, −½ gᵀs (Ren & Goldfarb's code). The entry has no default, so
 * runs that leave it unset keep their run ids; unset means model. */
enum { GN_SMW_RHO_MODEL, GN_SMW_RHO_DAMPED };

/* The damping entries both tables share. */
// clang-format off
#define GN_SMW_DAMPING_PARAMS                                                                      \
    GN_P_REAL(gn_smw_hparams, damping, "1", GN_PARAM_POSITIVE, 1e12,                               \
     "initial damping lambda > 0 added to the curvature (raised automatically if Cholesky "        \
     "fails)"),                                                                                    \
    GN_P_CHOICE(gn_smw_hparams, damping_rule, "lm", "fixed|lm",                                    \
     "fixed: lambda stays; lm: Levenberg-Marquardt rule on the gain ratio rho"),                   \
    GN_P_REAL(gn_smw_hparams, boost, "1.01", 1, 1e6,                                               \
     "lm: lambda <- lambda * boost when rho < rho_low (the authors' code: 1.01)"),                 \
    GN_P_REAL(gn_smw_hparams, drop, "0.99", GN_PARAM_POSITIVE, 1,                                  \
     "lm: lambda <- lambda * drop when rho > rho_high (the authors' code: 1/1.01)"),               \
    GN_P_CHOICE(gn_smw_hparams, rho, NULL, "model|damped",                                         \
     "gain-ratio denominator; model (unset): the undamped quadratic model's predicted decrease "   \
     "-(g's + s'Gs/2); damped: the damped model's, -g's/2 (the authors' code; lambda runs "        \
     "lower)"),                                                                                    \
    GN_P_REAL(gn_smw_hparams, rho_low, "0.25", -1e6, 1, "lm: gain ratio below which lambda rises"), \
    GN_P_REAL(gn_smw_hparams, rho_high, "0.75", 0, 1e6, "lm: gain ratio above which lambda falls"), \
    GN_P_REAL(gn_smw_hparams, damping_min, "1e-8", GN_PARAM_POSITIVE, 1e12,                        \
     "lm: lower bound of lambda"),                                                                 \
    GN_P_REAL(gn_smw_hparams, damping_max, "1e8", GN_PARAM_POSITIVE, 1e12,                         \
     "lm: upper bound of lambda"),                                                                 \
    GN_P_INT(gn_smw_hparams, curvature_batch, "0", 0, 1e9,                                         \
     "b2: samples of the step batch used for the curvature (0 = all); the gradient always uses "   \
     "the whole step batch, so leaving train.batch unset (the whole training set) with a small "   \
     "b2 gives the semi-stochastic variant"),                                                      \
    GN_P_INT(gn_smw_hparams, seed, "0", 0, 9007199254740992.0,                                     \
     "seed of the per-step draws (curvature subset, sampled Fisher targets), combined with the "   \
     "iteration number")
// clang-format on

typedef struct gn_smw_step {
    gn_smw_curvature kind;
    double lr, lr0; /* lr: this step's (lr0 scaled by the schedule) */
    double lambda, boost, drop, rho_low, rho_high, lambda_min, lambda_max;
    int lm, b2_setting;
    int rho_damped; /* the gain ratio's denominator is −½ gᵀs */
    uint64_t seed;
    int max_batch, d_in;
    gn_smw smw;      /* its buffers are in ws too */
    gn_ws ws;        /* holds every buffer of the step */
    double *R;       /* (max_batch, c) per-sample loss gradients of the step batch */
    double *g, *dir; /* (m) gradient, direction; only when b₂ < the batch can happen */
    double *Xc, *Yc; /* (max_b2, d), (max_b2, c) the curvature batch when it is a subset */
    double *Rc; /* (max_b2, c) per-sample gradients at (sampled) targets of the curvature batch */
    double *us; /* (max_b2 c) U d */
    int *idx;   /* (max_batch) curvature subset */
} gn_smw_step;

int gn_smw_step_init(gn_smw_step *st, gn_smw_curvature kind, const gn_smw_hparams *hp, gn_mlp *net,
                     int max_batch, char *err, size_t errlen);
/* The plans of `sgn` (Gauss-Newton factors) and `ngd` (Fisher): the Gram of
 * the curvature batch, and the workspace the step lays out. */
void gn_smw_plan_gauss_newton(const void *hp, const gn_optim_shape *sh, gn_optim_plan *out);
void gn_smw_plan_fisher(const void *hp, const gn_optim_shape *sh, gn_optim_plan *out);
/* One step: g = ∇L_B(θ); d = −(G + λ I)⁻¹ g with G from the curvature
 * batch; θ ← θ + η d; then the gain ratio ρ and (rule lm) the new λ. */
int gn_smw_step_run(gn_smw_step *st, const gn_step_ctx *ctx, gn_step_info *info);
void gn_smw_step_free(gn_smw_step *st);

#endif
