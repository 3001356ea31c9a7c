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
 *   extra forward pass (the loss at the new point cannot be predicted: the
 *   prediction is what ρ tests; on the whole-batch path its first layer
 *   comes from the Gram's X Xᵀ, gn_mlp_forward_stepped, when b < n_0) and
 *   is recorded under both damping rules;
 *   gᵀs and sᵀGs come from the b₂-sized products (see the two paths).
 *   For η <= 2 the denominator is negative; when it is not (or the new
 *   loss is not finite) ρ is recorded as NaN and rule lm raises λ.
 *   `rho: damped` divides by ½ gᵀs instead, the damped model
 *   gᵀs + ½ sᵀ(G + λI)s at its minimizer s = d (exact for η = 1; for other
 *   η still ½ gᵀs with the step taken), as Ren & Goldfarb's code does.
 * - Two paths, equal in exact arithmetic: when the curvature batch is the
 *   whole step batch (b₂ = b, the default) everything follows from the Gram
 *   matrices of the batch and the update is one weighted backward pass into
 *   θ (batch_step); with a proper subset g needs its VJP over the step batch
 *   and U g a JVP over the subset (subset_step).
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
    /* g and d are m-sized only for steps whose curvature batch is a proper
     * subset; the whole-batch step never forms them */
    int subset = max_b2 < sh->batch;
    st->g = subset ? gn_ws_doubles(ws, sh->m) : NULL;
    st->dir = subset ? gn_ws_doubles(ws, sh->m) : NULL;
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

/* What a step path leaves for the gain ratio and the record. */
typedef struct step_out {
    double used; /* λ used (raised when Cholesky failed) */
    double gs;   /* gᵀs, s = η d */
    double sgs;  /* sᵀ G s = η² ‖U d‖² / b₂ */
    int raises;  /* Cholesky raises */
    double t[4]; /* the path's clock: after the gradient, the curvature, the solve, the update */
} step_out;

/* The factors W_i of the forwarded curvature batch (outputs Fc, targets Yc,
 * per-sample gradients Rc or NULL), then S = U Uᵀ and, at the first step,
 * its spectrum. */
static void curvature(gn_smw_step *st, const gn_step_ctx *ctx, const double *Fc, const double *Yc,
                      const double *Rc, int b2, gn_step_info *info)
{
    gn_smw *s = &st->smw;
    int c = ctx->c, identity = 0, p = c;
    gn_loss_kind loss = ctx->loss;
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
    gn_smw_gram(s, ctx->model, p, identity);
    int n = b2 * s->p;
    if (ctx->iteration == 0 && n <= 4096)
        gn_kernel_spectrum(n, s->S, s->Lf, s->eig, &info->kernel_lambda_min, &info->kernel_cond);
}

static int factor_failed(gn_step_info *info, int raises)
{
    snprintf(info->note, sizeof info->note,
             "Cholesky of U Uᵀ + b2 lambda I failed for every damping up to the bound");
    info->damping_raises = raises;
    return -1;
}

/* b₂ < b: g by a VJP over the step batch, the curvature batch forwarded on
 * its own, U g and U d by JVPs, Uᵀ y by a weighted backward pass. */
static int subset_step(gn_smw_step *st, const gn_step_ctx *ctx, int b2, step_out *o,
                       gn_step_info *info)
{
    gn_mlp *net = ctx->model;
    gn_smw *s = &st->smw;
    int b = ctx->b, c = ctx->c, m = (int)net->m;
    gn_mlp_vjp(net, st->R, st->g);
    gn_scal(m, 1.0 / b, st->g); /* g = (1/b) Jᵀ R */
    info->grad_norm = gn_nrm2(m, st->g);
    o->t[0] = gn_now();
    gn_smw_subset(st->seed, ctx->iteration, b, b2, st->idx);
    for (int i = 0; i < b2; i++) {
        memcpy(st->Xc + (size_t)i * st->d_in, ctx->X + (size_t)st->idx[i] * st->d_in,
               sizeof(double) * st->d_in);
        memcpy(st->Yc + (size_t)i * c, ctx->Y + (size_t)st->idx[i] * c, sizeof(double) * c);
    }
    const double *Fc = gn_mlp_forward(net, st->Xc, b2);
    curvature(st, ctx, Fc, st->Yc, NULL, b2, info);
    o->t[1] = gn_now();
    if (gn_smw_direction(s, net, st->g, st->lambda, st->dir, &o->used, &o->raises) != 0)
        return factor_failed(info, o->raises);
    o->t[2] = gn_now();
    /* d = (Uᵀy − g)/λ, so U d = (S y − U g)/λ and gᵀd = ((Ug)ᵀy − ‖g‖²)/λ:
     * no JVP and no pass over θ-sized vectors beyond the update */
    int n = b2 * s->p;
    double eta = st->lr, lam = o->used, gg = info->grad_norm * info->grad_norm;
    gn_gemm(0, 0, n, 1, n, 1.0, s->S, n, s->y, 1, 0.0, s->jv, 1); /* S y */
    for (int r = 0; r < n; r++)
        st->us[r] = (s->jv[r] - s->ug[r]) / lam;
    o->gs = eta * (gn_dot(n, s->ug, s->y) - gg) / lam;
    o->sgs = eta * eta * gn_dot(n, st->us, st->us) / b2;
    info->step_norm = eta * gn_axpy_nrm2(m, eta, st->dir, net->theta);
    o->t[3] = gn_now();
    return 0;
}

/* b₂ = b, with g = (1/b) Jᵀ R: U g (into s->ug) and ‖g‖² from the Gram
 * matrices of the step batch, no pass over θ:
 *   Gauss-Newton: J g = K R / b, U g = blockdiag(Wᵀ) J g, ‖g‖² = Rᵀ K R / b²;
 *   Fisher: (U g)_i = Σ_j u_i·(J_jᵀ R_j) / b, ‖g‖² = Σ_ij (J_iᵀR_i)·(J_jᵀR_j) / b²,
 *   where u_i = J_iᵀ R_i itself for the empirical Fisher (then from S). */
static double batch_projections(gn_smw_step *st, gn_mlp *net, int b)
{
    gn_smw *s = &st->smw;
    int rc = b * s->c;
    if (st->kind == GN_SMW_GAUSS_NEWTON) {
        const double *K = s->identity ? s->S : s->K;
        gn_gemm(0, 0, rc, 1, rc, 1.0 / b, K, rc, st->R, 1, 0.0, s->jv, 1);
        gn_smw_wt(s, s->jv, s->ug);
        return gn_dot(rc, st->R, s->jv) / b;
    }
    const double *C = s->S;
    if (st->kind == GN_SMW_FISHER_TRUE) {
        gn_mlp_cot_gram(net, s->W, st->R, s->K);
        C = s->K;
    }
    for (int i = 0; i < b; i++) {
        double t = 0;
        for (int j = 0; j < b; j++)
            t += C[(size_t)i * b + j];
        s->ug[i] = t / b;
    }
    if (st->kind == GN_SMW_FISHER_TRUE) gn_mlp_cot_gram(net, st->R, NULL, s->K);
    double t = 0;
    for (size_t j = 0; j < (size_t)b * b; j++)
        t += C[j];
    return t / ((double)b * b);
}

/* ‖d‖² for d = Jᵀ w, w (b, c) in st->R: wᵀ K w (Gauss-Newton); αᵀ S α with
 * w_i = α_i R_i (empirical Fisher); otherwise the expansion
 * ‖g − Uᵀy‖² / λ² = (‖g‖² − 2 (Ug)ᵀy + yᵀ S y) / λ² (true Fisher). */
static double direction_norm2(gn_smw_step *st, int b, double gg, double uy, double ysy, double lam)
{
    gn_smw *s = &st->smw;
    int rc = b * s->c;
    if (st->kind == GN_SMW_GAUSS_NEWTON) {
        const double *K = s->identity ? s->S : s->K;
        gn_gemm(0, 0, rc, 1, rc, 1.0, K, rc, st->R, 1, 0.0, s->jv, 1);
        return fmax(gn_dot(rc, st->R, s->jv), 0.0);
    }
    if (st->kind == GN_SMW_FISHER_EMPIRICAL) {
        double *a = s->ug;
        for (int i = 0; i < b; i++)
            a[i] = (s->y[i] - 1.0 / b) / lam;
        gn_gemm(0, 0, b, 1, b, 1.0, s->S, b, a, 1, 0.0, s->jv, 1);
        return fmax(gn_dot(b, a, s->jv), 0.0);
    }
    return fmax(gg - 2 * uy + ysy, 0.0) / (lam * lam);
}

/* b₂ = b: the step at Gram cost. With y = (U Uᵀ + bλ I)⁻¹ U g the direction
 * d = −(g − Uᵀ y)/λ = Jᵀ w, w_i = (W_i y_i − R_i/b)/λ, is one weighted
 * backward pass accumulated into θ inside the gemms (gn_mlp_jt_vec_add), and
 *   U d = (S y − U g)/λ,  gᵀd = ((Ug)ᵀy − ‖g‖²)/λ
 * need no pass over θ: no VJP for g, no JVP, no m-sized vector. */
static int batch_step(gn_smw_step *st, const gn_step_ctx *ctx, const double *F, step_out *o,
                      gn_step_info *info)
{
    gn_mlp *net = ctx->model;
    gn_smw *s = &st->smw;
    int b = ctx->b, rc = b * ctx->c;
    o->t[0] = gn_now();
    curvature(st, ctx, F, ctx->Y, st->R, b, info);
    int n = b * s->p;
    double gg = batch_projections(st, net, b), shift;
    info->grad_norm = sqrt(gg);
    o->t[1] = gn_now();
    if (gn_chol_factor_damped(n, s->S, b * st->lambda, s->Lf, &shift, &o->raises) != 0) {
        o->used = NAN;
        return factor_failed(info, o->raises);
    }
    double lam = o->raises ? shift / b : st->lambda; /* exactly λ unless raised */
    o->used = lam;
    memcpy(s->y, s->ug, sizeof(double) * n);
    gn_chol_solve(n, s->Lf, 1, s->y);
    gn_gemm(0, 0, n, 1, n, 1.0, s->S, n, s->y, 1, 0.0, s->jv, 1); /* S y */
    double uy = gn_dot(n, s->ug, s->y), ysy = gn_dot(n, s->y, s->jv);
    for (int r = 0; r < n; r++)
        st->us[r] = (s->jv[r] - s->ug[r]) / lam;
    double eta = st->lr;
    o->gs = eta * (uy - gg) / lam;
    o->sgs = eta * eta * gn_dot(n, st->us, st->us) / b;
    o->t[2] = gn_now();
    gn_smw_w(s, s->y, s->wx);
    for (int j = 0; j < rc; j++)
        st->R[j] = (s->wx[j] - st->R[j] / b) / lam;
    info->step_norm = eta * sqrt(direction_norm2(st, b, gg, uy, ysy, lam));
    gn_mlp_jt_vec_add(net, st->R, eta, net->theta);
    o->t[3] = gn_now();
    return 0;
}

int gn_smw_step_run(gn_smw_step *st, const gn_step_ctx *ctx, gn_step_info *info)
{
    gn_mlp *net = ctx->model;
    gn_smw *s = &st->smw;
    int b = ctx->b, c = ctx->c;
    st->lr = gn_step_lr(ctx, st->lr0);

    double t0 = gn_now();
    const double *F = gn_mlp_forward(net, ctx->X, b);
    double L0 = gn_loss_value(ctx->loss, F, ctx->Y, b, c);
    info->batch_loss = L0;
    gn_loss_sample_grad(ctx->loss, F, ctx->Y, b, c, st->R);
    double t1 = gn_now();

    int b2 = st->b2_setting > 0 && st->b2_setting < b ? st->b2_setting : b;
    if (b2 > s->max_b2) {
        snprintf(info->note, sizeof info->note, "curvature batch %d exceeds the workspace (%d)", b2,
                 s->max_b2);
        return -1;
    }
    step_out o = {0};
    if ((b2 < b ? subset_step(st, ctx, b2, &o, info) : batch_step(st, ctx, F, &o, info)) != 0)
        return -1;

    /* the gain ratio on the step batch, and the damping rule */
    const double *F1 = gn_mlp_forward_stepped(net, ctx->X, b);
    double L1 = gn_loss_value(ctx->loss, F1, ctx->Y, b, c);
    double pred = st->rho_damped ? 0.5 * o.gs : o.gs + 0.5 * o.sgs;
    /* ρ is undefined when the model predicts no decrease (possible for
     * η > 2): recorded as NaN and treated as a bad step, as is a non-finite
     * loss */
    double rho = pred < 0 && isfinite(L1) ? (L1 - L0) / pred : NAN;
    double t6 = gn_now();
    double used = o.used;
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

    info->lr = st->lr;
    info->damping = used;
    info->gain_ratio = rho;
    info->damping_raises = o.raises;
    if (o.raises)
        snprintf(info->note, sizeof info->note, "Cholesky failed; damping raised %d times to %.3g",
                 o.raises, used);
    info->t_forward = (t1 - t0) + (t6 - o.t[3]);
    info->t_backward = (o.t[0] - t1) + (o.t[3] - o.t[2]);
    info->t_curvature = o.t[1] - o.t[0];
    info->t_solve = o.t[2] - o.t[1];
    return 0;
}

void gn_smw_step_free(gn_smw_step *st)
{
    gn_smw_free(&st->smw); /* its buffers live in st->ws */
    gn_ws_free(&st->ws);
    st->R = st->g = st->dir = st->Xc = st->Yc = st->Rc = st->us = NULL;
    st->idx = NULL;
}
