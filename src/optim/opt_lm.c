/* opt_lm.c: `lm`, Levenberg-Marquardt dynamics (Cayci 2024), square loss:
 *   r = f(X) − Y,  K = J Jᵀ (bc, bc),  α = (K + λ_k I)⁻¹ r,
 *   d = −η Jᵀ α,   θ ← θ + d
 * on the step's batch (a mini-batch optimizer; usually run full batch).
 * K comes from the model's layer-wise Gram trick, the solve from a Cholesky
 * factorization; a failed factorization raises λ (recorded), never aborts.
 *
 * Damping schedules:
 *   constant  λ_k = damping (then the step is exactly ggn-mb's).
 *   loss      λ_k = max(damping · L_B(θ_k), damping_min): λ proportional to
 *             the current batch loss.
 *   nielsen   gain-ratio control with step rejection (Nielsen 1999). A
 *             trial step d is scored on the same batch by
 *               ρ = (L(θ) − L(θ + d)) / (L(θ) − ½‖r + J d‖²/b),
 *             the denominator being the decrease predicted by the
 *             linearized model, with J d = −η K α exact from the Gram
 *             system. ρ > 0 (and a positive prediction): accept,
 *             λ ← max(λ · max(⅓, 1 − (2ρ − 1)³), damping_min), ν ← 2.
 *             Otherwise reject (θ restored), λ ← λ ν, ν ← 2ν, and retry on
 *             the same batch, up to max_retries times; a retry refactors
 *             K + λI but reuses K. λ and ν persist across steps; λ starts
 *             at max(damping, damping_min). When every trial is rejected θ
 *             stays where it was and the raised λ carries over.
 *             At the rounding floor of the loss (predicted decrease below
 *             the noise of evaluating L, ~ eps ‖r‖ (‖f‖ + ‖y‖) / b) ρ
 *             cannot be measured: such a trial is accepted unless the
 *             loss rose measurably, and λ, ν stay as they are, so a
 *             converged run neither inflates λ nor burns retries.
 * A trial's loss needs a forward pass at θ + d, which overwrites the
 * model's forward cache; after a rejection the step re-forwards at θ and
 * recomputes the backprop vectors (c backward passes, not a new Gram)
 * before forming Jᵀα again. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "la/chol.h"
#include "optim/gram_step.h"
#include "optim/optim.h"
#include "optim/ws.h"

typedef struct lm_hparams {
    double lr, damping, damping_min;
    int schedule; /* LM_* below */
    long max_retries;
} lm_hparams;

enum { LM_CONSTANT, LM_LOSS, LM_NIELSEN }; /* the order of "constant|loss|nielsen" */

static const gn_param lm_params[] = {
    GN_P_REAL(lm_hparams, lr, "1", GN_PARAM_POSITIVE, 1e6,
              "step size eta applied to the Levenberg-Marquardt direction"),
    GN_P_REAL(lm_hparams, damping, "0.001", 0, 1e12,
              "constant: lambda; loss: lambda / batch loss; nielsen: initial lambda (raised "
              "automatically if Cholesky fails)"),
    GN_P_REAL(lm_hparams, damping_min, "1e-12", 0, 1e12,
              "floor of lambda under the loss and nielsen schedules"),
    GN_P_CHOICE(lm_hparams, schedule, "nielsen", "constant|loss|nielsen",
                "damping schedule: fixed lambda, lambda proportional to the batch loss, or "
                "gain-ratio control with step rejection (Nielsen's rule)"),
    GN_P_INT(lm_hparams, max_retries, "10", 0, 1000,
             "nielsen: rejected trials retried on the same batch within one step"),
    GN_P_END,
};

static const gn_column lm_trace_columns[] = {
    {"rejected", "rejected trial steps", GN_COL_REAL, 0, 0},
    {NULL, NULL, GN_COL_REAL, 0, 0},
};

/* Bounds that keep λ and ν finite through long runs of rejections. */
#define LM_LAMBDA_MAX 1e300
#define LM_NU_MAX 0x1p60

extern const gn_optim_ops gn_opt_lm;

typedef struct lm {
    gn_optim base;
    double lr, lr0, damping, damping_min; /* lr: this step's (lr0 scaled) */
    int schedule, max_retries;
    double lambda, nu; /* nielsen state */
    int max_rows;      /* max_batch * c */
    size_t m;
    gn_ws ws;                        /* holds the buffers below */
    double *r, *K, *Lf, *alpha, *Ka; /* (bc), (bc, bc), (bc, bc), (bc), (bc) */
    double *theta0, *eig;            /* (m), (bc) */
} lm;

static void lm_destroy(gn_optim *opt)
{
    lm *o = (lm *)opt;
    if (!o) return;
    gn_ws_free(&o->ws);
    free(o);
}

/* The buffers of a step of shape sh (ws.h): measured by plan, carved by create. */
static void lm_layout(lm *o, gn_ws *ws, const gn_optim_shape *sh)
{
    size_t n = (size_t)sh->batch * sh->c;
    o->r = gn_ws_doubles(ws, n);
    o->K = gn_ws_doubles(ws, n * n);
    o->Lf = gn_ws_doubles(ws, n * n);
    o->alpha = gn_ws_doubles(ws, n);
    o->Ka = gn_ws_doubles(ws, n);
    o->theta0 = gn_ws_doubles(ws, sh->m);
    o->eig = gn_ws_doubles(ws, n);
}

static gn_optim *lm_create(const void *hparams, gn_mlp *net, int max_batch, char *err,
                           size_t errlen)
{
    const lm_hparams *hp = hparams;
    lm *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->base.ops = &gn_opt_lm;
    o->lr = o->lr0 = hp->lr;
    o->damping = hp->damping;
    o->damping_min = hp->damping_min;
    o->max_retries = (int)hp->max_retries;
    o->schedule = hp->schedule;
    o->lambda = fmax(o->damping, o->damping_min);
    o->nu = 2.0;
    o->max_rows = max_batch * net->c;
    o->m = net->m;
    size_t n = (size_t)o->max_rows;
    gn_optim_shape sh = gn_optim_shape_of(net, max_batch);
    gn_ws_measure(&o->ws);
    lm_layout(o, &o->ws, &sh);
    if (gn_ws_alloc(&o->ws, o->ws.used) != 0) {
        lm_destroy(&o->base);
        snprintf(err, errlen, "out of memory for a %zux%zu Gram matrix", n, n);
        return NULL;
    }
    lm_layout(o, &o->ws, &sh);
    o->base.workspace_bytes = o->ws.used;
    return &o->base;
}

/* Factors K + λI (raising λ on failure) and solves α = (K + λI)⁻¹ r.
 * Returns 0, or -1 with a note when no damping up to the bound works. */
static int lm_solve(lm *o, int n, double lambda, double *used, int *raises, gn_step_info *info)
{
    if (gn_chol_factor_damped(n, o->K, lambda, o->Lf, used, raises) != 0) {
        snprintf(info->note, sizeof info->note,
                 "Cholesky of K + lambda I failed for every damping up to the bound");
        return -1;
    }
    memcpy(o->alpha, o->r, (size_t)n * sizeof(double));
    gn_chol_solve(n, o->Lf, 1, o->alpha);
    return 0;
}

/* One step of a fixed λ (constant and loss schedules): the ggn-mb step. */
static int lm_step_fixed(lm *o, const gn_step_ctx *ctx, double lambda, gn_step_info *info,
                         double *t_solve, double *t_backward)
{
    gn_mlp *net = ctx->model;
    int n = ctx->b * ctx->c;
    double used, t0 = gn_now();
    int raises = 0;
    int rc = lm_solve(o, n, lambda, &used, &raises, info);
    info->damping_raises = raises;
    if (rc != 0) return -1;
    double t1 = gn_now();
    double dn = gn_gram_apply(net, n, o->K, o->alpha, o->lr, o->Ka); /* the ggn-mb update */
    double t2 = gn_now();
    info->damping = used;
    info->step_norm = o->lr * dn;
    info->extra[0] = 0;
    *t_solve += t1 - t0;
    *t_backward += t2 - t1;
    return 0;
}

typedef struct lm_times {
    double forward, curvature, solve, backward;
} lm_times;

/* Nielsen's rule: trials on the same batch until one is accepted or the
 * retries run out. L0 is the batch loss at θ, noise the rounding noise of
 * a loss difference. */
static int lm_step_nielsen(lm *o, const gn_step_ctx *ctx, double L0, double noise,
                           gn_step_info *info, lm_times *tm)
{
    gn_mlp *net = ctx->model;
    int b = ctx->b, n = b * ctx->c;
    int stale = 0, accepted = 0, raises_total = 0, rejected = 0;
    double rho = NAN, step_norm = 0;
    memcpy(o->theta0, net->theta, o->m * sizeof(double));

    for (int trial = 0; trial <= o->max_retries; trial++) {
        double t0 = gn_now(), used;
        int raises = 0;
        if (lm_solve(o, n, o->lambda, &used, &raises, info) != 0) {
            info->damping_raises = raises_total + raises;
            memcpy(net->theta, o->theta0, o->m * sizeof(double));
            return -1;
        }
        raises_total += raises;
        o->lambda = used;
        /* predicted decrease L − ½‖r − η Kα‖²/b = η (rᵀKα − ½ η ‖Kα‖²) / b,
         * written without the cancellation against L */
        gn_gemm(0, 0, n, 1, n, 1.0, o->K, n, o->alpha, 1, 0.0, o->Ka, 1);
        double pred = o->lr * (gn_dot(n, o->r, o->Ka) - 0.5 * o->lr * gn_dot(n, o->Ka, o->Ka)) / b;
        double t1 = gn_now();
        tm->solve += t1 - t0;

        if (stale) {
            /* the last trial's forward replaced the cache at θ */
            gn_mlp_forward(net, ctx->X, b);
            double t2 = gn_now();
            gn_mlp_backprop_outputs(net);
            double t3 = gn_now();
            tm->forward += t2 - t1;
            tm->curvature += t3 - t2;
            t1 = t3;
        }
        gn_mlp_jt_vec_add(net, o->alpha, -o->lr, net->theta);    /* θ0 is kept for a rejection */
        double dn = sqrt(fmax(gn_dot(n, o->alpha, o->Ka), 0.0)); /* ‖Jᵀα‖² = αᵀKα */
        double t4 = gn_now();
        tm->backward += t4 - t1;

        const double *F = gn_mlp_forward(net, ctx->X, b);
        double L1 = gn_loss_value(GN_LOSS_SQUARE, F, ctx->Y, b, ctx->c);
        double t5 = gn_now();
        tm->forward += t5 - t4;
        stale = 1;

        double actual = L0 - L1;
        rho = pred > 0 ? actual / pred : NAN;
        step_norm = o->lr * dn;
        if (pred <= noise) {
            /* at the rounding floor (or a zero step): ρ is noise */
            if (actual >= -noise) {
                accepted = 1;
                info->damping = used;
                break;
            }
        } else if (rho > 0) {
            accepted = 1;
            info->damping = used;
            double q = 2 * rho - 1, f = 1 - q * q * q;
            o->lambda = fmax(used * (f > 1.0 / 3 ? f : 1.0 / 3), o->damping_min);
            o->nu = 2.0;
            break;
        }
        /* reject: back to θ, more damping */
        memcpy(net->theta, o->theta0, o->m * sizeof(double));
        rejected++;
        o->lambda = fmin(used * o->nu, LM_LAMBDA_MAX);
        o->nu = fmin(2 * o->nu, LM_NU_MAX);
    }

    info->gain_ratio = rho;
    info->rejected = rejected;
    info->extra[0] = rejected;
    info->damping_raises = raises_total;
    if (accepted) {
        info->step_norm = step_norm;
    } else {
        info->step_norm = 0;
        info->damping = o->lambda;
        snprintf(info->note, sizeof info->note,
                 "all %d trials rejected; parameters kept, damping now %.3g", rejected, o->lambda);
    }
    return 0;
}

static int lm_step(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info)
{
    lm *o = (lm *)opt;
    gn_mlp *net = ctx->model;
    int b = ctx->b, c = ctx->c, n = b * c;
    o->lr = gn_step_lr(ctx, o->lr0);
    if (ctx->loss != GN_LOSS_SQUARE) {
        snprintf(info->note, sizeof info->note, "lm needs loss: square");
        return -1;
    }
    if (n > o->max_rows) {
        snprintf(info->note, sizeof info->note, "lm: batch of %d rows exceeds the %d allocated", n,
                 o->max_rows);
        return -1;
    }

    double t0 = gn_now();
    const double *F = gn_mlp_forward(net, ctx->X, b);
    for (int j = 0; j < n; j++)
        o->r[j] = F[j] - ctx->Y[j];
    double L0 = 0.5 * gn_dot(n, o->r, o->r) / b;
    info->batch_loss = L0;
    /* rounding noise of a difference of two evaluations of L */
    double noise = 64 * DBL_EPSILON * sqrt(2 * b * L0) * (gn_nrm2(n, F) + gn_nrm2(n, ctx->Y)) / b;
    double t1 = gn_now();
    gn_mlp_gram(net, o->K);
    double t2 = gn_now();

    if (ctx->iteration == 0 && n <= 4096) {
        /* conditioning of K at initialization (Lf is free until the factorization) */
        gn_kernel_spectrum(n, o->K, o->Lf, o->eig, &info->kernel_lambda_min, &info->kernel_cond);
    }

    lm_times tm = {t1 - t0, t2 - t1, 0, 0};
    int rc;
    if (o->schedule == LM_NIELSEN) {
        rc = lm_step_nielsen(o, ctx, L0, noise, info, &tm);
    } else {
        double lambda = o->damping;
        if (o->schedule == LM_LOSS) lambda = fmax(o->damping * L0, o->damping_min);
        rc = lm_step_fixed(o, ctx, lambda, info, &tm.solve, &tm.backward);
        info->rejected = 0;
    }
    if (rc == 0 && info->damping_raises && !info->note[0])
        snprintf(info->note, sizeof info->note, "Cholesky failed; damping raised %d times to %.3g",
                 info->damping_raises, info->damping);
    info->lr = o->lr;
    info->t_forward = tm.forward;
    info->t_curvature = tm.curvature;
    info->t_solve = tm.solve;
    info->t_backward = tm.backward;
    return rc;
}

static void lm_plan(const void *hp, const gn_optim_shape *sh, gn_optim_plan *out)
{
    (void)hp;
    lm tmp = {0};
    gn_ws ws;
    gn_ws_measure(&ws);
    lm_layout(&tmp, &ws, sh);
    gn_optim_plan_gram(sh, sh->batch, out);
    out->workspace_bytes = (double)ws.used;
}

const gn_optim_ops gn_opt_lm = {
    .version = GN_OPTIM_OPS_VERSION,
    .name = "lm",
    .summary = "Levenberg-Marquardt dynamics on the Gram system with constant, loss-proportional "
               "or gain-ratio (Nielsen) damping (Cayci 2024)",
    .params = lm_params,
    .hparams_size = sizeof(lm_hparams),
    .full_batch = 0,
    .losses = GN_LOSS_BIT(GN_LOSS_SQUARE),
    .trace_columns = lm_trace_columns,
    .create = lm_create,
    .step = lm_step,
    .destroy = lm_destroy,
    .plan = lm_plan,
};
