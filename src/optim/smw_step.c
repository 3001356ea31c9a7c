/* smw_step.c: the damped step of `sgn` and `ngd` (smw.h).
 *
 * Choices made in the shared step (documented here once for `sgn` and `ngd`):
 * - The gradient is always the mean over the whole step batch; the
 *   curvature uses b₂ samples of it, a subset drawn afresh every step from
 *   (opt.seed, iteration) so it is deterministic even when the step batch is
 *   the unshuffled training set (the semi-stochastic variant).
 * - The gain ratio uses the step actually taken, s = η d:
 *     ρ = (L_B(θ + s) − L_B(θ)) / (gᵀs + ½ sᵀ G s),  sᵀ G s = ‖U s‖² / b₂,
 *   on the step batch, with the undamped model (as in Levenberg-Marquardt
 *   codes); with η = 1 this is the formula of ALGORITHMS.md. It costs one
 *   extra forward pass and one JVP and is recorded under both damping rules.
 *   For η <= 2 the denominator is negative; when it is not (or the new
 *   loss is not finite) ρ is recorded as NaN and rule lm raises λ.
 *   `rho: damped` divides by ½ gᵀs instead, the damped model
 *   gᵀs + ½ sᵀ(G + λI)s at its minimizer s = d (exact for η = 1; for other
 *   η still ½ gᵀs with the step taken), as Ren & Goldfarb's code does.
 * - When Cholesky fails, the raised λ is used for the whole direction (the
 *   1/λ of the SMW formula included); rule lm continues from the raised
 *   value, rule fixed returns to the configured λ next step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "la/chol.h"
#include "model/mlp_gram2.h"
#include "optim/smw.h"

/* Samples of the curvature batch for steps of up to `batch` rows. */
static int max_curvature_batch(const gn_smw_hparams *hp, int batch)
{
    long b2 = hp->curvature_batch;
    return b2 > 0 && b2 < batch ? (int)b2 : batch;
}

/* Every buffer of the step (ws.h): measured by plan, carved by init. */
static void step_layout(gn_smw_step *st, gn_ws *ws, gn_smw_curvature kind, const gn_optim_shape *sh,
                        int max_b2)
{
    int c = sh->c, p = kind == GN_SMW_GAUSS_NEWTON ? c : 1;
    gn_smw_layout(&st->smw, ws, max_b2, c, p, sh->m);
    st->R = gn_ws_doubles(ws, (size_t)sh->batch * c);
    st->g = gn_ws_doubles(ws, sh->m);
    st->dir = gn_ws_doubles(ws, sh->m);
    st->Xc = gn_ws_doubles(ws, (size_t)max_b2 * sh->d);
    st->Yc = gn_ws_doubles(ws, (size_t)max_b2 * c);
    st->Rc = gn_ws_doubles(ws, (size_t)max_b2 * c);
    st->us = gn_ws_doubles(ws, (size_t)max_b2 * c);
    st->idx = gn_ws_ints(ws, (size_t)sh->batch);
}

static void smw_plan(gn_smw_curvature kind, const void *hparams, const gn_optim_shape *sh,
                     gn_optim_plan *out)
{
    int max_b2 = max_curvature_batch(hparams, sh->batch);
    gn_smw_step tmp;
    memset(&tmp, 0, sizeof tmp);
    gn_ws ws;
    gn_ws_measure(&ws);
    step_layout(&tmp, &ws, kind, sh, max_b2);
    gn_optim_plan_gram(sh, max_b2, out);
    out->workspace_bytes = (double)ws.used;
}

void gn_smw_plan_gauss_newton(const void *hp, const gn_optim_shape *sh, gn_optim_plan *out)
{
    smw_plan(GN_SMW_GAUSS_NEWTON, hp, sh, out);
}

void gn_smw_plan_fisher(const void *hp, const gn_optim_shape *sh, gn_optim_plan *out)
{
    smw_plan(GN_SMW_FISHER_EMPIRICAL, hp, sh, out);
}

int gn_smw_step_init(gn_smw_step *st, gn_smw_curvature kind, const gn_smw_hparams *hp, gn_mlp *net,
                     int max_batch, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->lr = st->lr0 = hp->lr;
    st->lambda = hp->damping;
    st->lm = hp->damping_rule == GN_SMW_RULE_LM;
    st->boost = hp->boost;
    st->drop = hp->drop;
    st->rho_low = hp->rho_low;
    st->rho_high = hp->rho_high;
    st->lambda_min = hp->damping_min;
    st->lambda_max = hp->damping_max;
    st->b2_setting = (int)hp->curvature_batch;
    st->rho_damped = hp->rho == GN_SMW_RHO_DAMPED;
    st->seed = (uint64_t)hp->seed;
    if (!(st->lambda > 0)) {
        snprintf(err, errlen, "damping must be > 0 (the SMW formula divides by it)");
        return -1;
    }
    if (st->lambda_min > st->lambda_max) {
        snprintf(err, errlen, "damping_min %g exceeds damping_max %g", st->lambda_min,
                 st->lambda_max);
        return -1;
    }
    st->max_batch = max_batch;
    st->d_in = net->cfg.sizes[0];
    int max_b2 = max_curvature_batch(hp, max_batch);
    if (max_b2 > net->max_gram_batch) {
        snprintf(
            err, errlen,
            "curvature batch %d exceeds the model's Gram capacity %d (set opt.curvature_batch)",
            max_b2, net->max_gram_batch);
        return -1;
    }
    gn_optim_shape sh = gn_optim_shape_of(net, max_batch);
    gn_ws_measure(&st->ws);
    step_layout(st, &st->ws, kind, &sh, max_b2);
    if (gn_ws_alloc(&st->ws, st->ws.used) != 0) {
        size_t rc = (size_t)max_b2 * net->c;
        snprintf(err, errlen, "out of memory for %zux%zu curvature matrices", rc, rc);
        return -1;
    }
    step_layout(st, &st->ws, kind, &sh, max_b2);
    return 0;
}

int gn_smw_step_run(gn_smw_step *st, const gn_step_ctx *ctx, gn_step_info *info)
{
    gn_mlp *net = ctx->model;
    gn_smw *s = &st->smw;
    int b = ctx->b, c = ctx->c, m = (int)net->m;
    st->lr = gn_step_lr(ctx, st->lr0);
    gn_loss_kind loss = ctx->loss;

    /* gradient on the step batch */
    double t0 = gn_now();
    const double *F = gn_mlp_forward(net, ctx->X, b);
    double L0 = gn_loss_value(loss, F, ctx->Y, b, c);
    info->batch_loss = L0;
    gn_loss_sample_grad(loss, F, ctx->Y, b, c, st->R);
    double t1 = gn_now();
    gn_mlp_vjp(net, st->R, st->g);
    gn_scal(m, 1.0 / b, st->g); /* g = (1/b) Jᵀ R */
    info->grad_norm = gn_nrm2(m, st->g);
    double t2 = gn_now();

    /* the curvature batch and its factors W_i */
    int b2 = st->b2_setting > 0 && st->b2_setting < b ? st->b2_setting : b;
    if (b2 > s->max_b2) {
        snprintf(info->note, sizeof info->note, "curvature batch %d exceeds the workspace (%d)", b2,
                 s->max_b2);
        return -1;
    }
    const double *Fc = F, *Yc = ctx->Y, *Rc = st->R;
    if (b2 < b) {
        gn_smw_subset(st->seed, ctx->iteration, b, b2, st->idx);
        for (int i = 0; i < b2; i++) {
            memcpy(st->Xc + (size_t)i * st->d_in, ctx->X + (size_t)st->idx[i] * st->d_in,
                   sizeof(double) * st->d_in);
            memcpy(st->Yc + (size_t)i * c, ctx->Y + (size_t)st->idx[i] * c, sizeof(double) * c);
        }
        Fc = gn_mlp_forward(net, st->Xc, b2);
        Yc = st->Yc;
        Rc = NULL;
    }
    int identity = 0, p = c;
    switch (st->kind) {
    case GN_SMW_GAUSS_NEWTON:
        if (loss == GN_LOSS_SQUARE)
            identity = 1;
        else
            gn_loss_hess_factor(loss, Fc, b2, c, s->W); /* (b2, c, c) */
        break;
    case GN_SMW_FISHER_EMPIRICAL:
        p = 1; /* W (b2, c, 1) = the per-sample gradients */
        if (Rc)
            memcpy(s->W, Rc, sizeof(double) * b2 * c);
        else
            gn_loss_sample_grad(loss, Fc, Yc, b2, c, s->W);
        break;
    case GN_SMW_FISHER_TRUE: {
        p = 1;
        gn_rng r;
        gn_smw_step_rng(&r, st->seed, ctx->iteration, "fisher-targets");
        gn_loss_sample_targets(loss, Fc, b2, c, &r, st->Rc);
        gn_loss_sample_grad(loss, Fc, st->Rc, b2, c, s->W);
        break;
    }
    }
    gn_smw_gram(s, net, p, identity);
    int n = b2 * s->p;
    if (ctx->iteration == 0 && n <= 4096)
        gn_kernel_spectrum(n, s->S, s->Lf, s->eig, &info->kernel_lambda_min, &info->kernel_cond);
    double t3 = gn_now();

    /* d = −(G + λ I)⁻¹ g */
    double used;
    int raises = 0;
    if (gn_smw_direction(s, net, st->g, st->lambda, st->dir, &used, &raises) != 0) {
        snprintf(info->note, sizeof info->note,
                 "Cholesky of U Uᵀ + b2 lambda I failed for every damping up to the bound");
        info->damping_raises = raises;
        return -1;
    }
    double t4 = gn_now();

    /* the step and the predicted decrease gᵀs + ½ sᵀGs, s = η d */
    double eta = st->lr;
    gn_smw_apply_u(s, net, st->dir, st->us);
    double us2 = gn_dot(n, st->us, st->us);
    double gs = eta * gn_dot(m, st->g, st->dir);
    double pred = st->rho_damped ? 0.5 * gs : gs + 0.5 * eta * eta * us2 / b2;
    gn_axpy(m, eta, st->dir, net->theta);
    info->step_norm = eta * gn_nrm2(m, st->dir);
    double t5 = gn_now();

    /* the gain ratio on the step batch, and the damping rule */
    const double *F1 = gn_mlp_forward(net, ctx->X, b);
    double L1 = gn_loss_value(loss, F1, ctx->Y, b, c);
    /* ρ is undefined when the model predicts no decrease (possible for
     * η > 2): recorded as NaN and treated as a bad step, as is a non-finite
     * loss */
    double rho = pred < 0 && isfinite(L1) ? (L1 - L0) / pred : NAN;
    double t6 = gn_now();
    if (st->lm) {
        double next = used;
        if (isnan(rho) || rho < st->rho_low)
            next = used * st->boost;
        else if (rho > st->rho_high)
            next = used * st->drop;
        if (next < st->lambda_min) next = st->lambda_min;
        if (next > st->lambda_max) next = st->lambda_max;
        st->lambda = next;
    }

    info->lr = eta;
    info->damping = used;
    info->gain_ratio = rho;
    info->damping_raises = raises;
    if (raises)
        snprintf(info->note, sizeof info->note, "Cholesky failed; damping raised %d times to %.3g",
                 raises, used);
    info->t_forward = (t1 - t0) + (t6 - t5);
    info->t_backward = (t2 - t1) + (t5 - t4);
    info->t_curvature = t3 - t2;
    info->t_solve = t4 - t3;
    return 0;
}

void gn_smw_step_free(gn_smw_step *st)
{
    gn_smw_free(&st->smw); /* its buffers live in st->ws */
    gn_ws_free(&st->ws);
    st->R = st->g = st->dir = st->Xc = st->Yc = st->Rc = st->us = NULL;
    st->idx = NULL;
}
