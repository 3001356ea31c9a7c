/* opt_kfac.c: `kfac`, Kronecker-factored approximate curvature (Martens &
 * Grosse 2015), the baseline Ren & Goldfarb (2019) compare against.
 *
 * Per layer l the Fisher block (1/b) Σ_i (ā_i ā_iᵀ) ⊗ (g_i g_iᵀ) (mlp_kfac.h:
 * ā_i = (s_l a_{l-1,i}, 1), g_i = dℓ_i/dz_l) is approximated by A_l ⊗ G_l
 * with A_l = E[ā āᵀ] (da, da) and G_l = E[g gᵀ] (dg, dg), dg = n_l, each an
 * exponential moving average over steps:
 *   A ← ε A + (1 − ε) Ā_B,  Ā_B = (1/b) Σ_{i∈B} ā_i ā_iᵀ  (G likewise),
 * with the batch statistics alone on the first step. g_i comes from the
 * data targets (fisher: empirical) or from targets drawn from the model's
 * predictive distribution (fisher: true), the generator seeded by (seed,
 * iteration) as ngd's (gn_smw_step_rng, stream "fisher-targets"). Factored
 * Tikhonov damping with the π rule:
 *   π_l = sqrt((tr A_l / da) / (tr G_l / dg)),
 *   Â_l = A_l + π_l √λ I,  Ĝ_l = G_l + (√λ / π_l) I,
 * whose inverses (through Cholesky, la/chol.h) are refreshed every
 * `inverse_every` iterations (and on an instance's first step). With the
 * layer's gradient as the matrix V_l = [∇W_l, ∇b_l] (dg, da), the direction
 * is d_l = Ĝ_l⁻¹ V_l Â_l⁻¹, i.e. (Ĝ_l ⊗ Â_l)⁻¹ vec(V_l) with vec row-major
 * (weights as the model stores them, the bias as a last column), and
 *   v ← μ v + d,  θ ← θ − η v   (η: lr times the schedule's factor).
 * The gradient always uses the data targets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gn_assert.h"
#include "la/blas.h"
#include "la/chol.h"
#include "model/mlp_kfac.h"
#include "optim/kfac.h"
#include "optim/smw.h"
#include "optim/ws.h"

typedef struct kfac_hparams {
    double lr, momentum, damping, ema_decay;
    long inverse_every, seed;
    int fisher; /* 0 empirical, 1 true */
} kfac_hparams;

static const gn_param kfac_params[] = {
    GN_P_REAL(kfac_hparams, lr, "0.1", 0, 1e6, "step size eta applied to the direction"),
    GN_P_REAL(kfac_hparams, momentum, "0", 0, 0.999999,
              "heavy-ball momentum mu in [0, 1) on the preconditioned gradient"),
    GN_P_REAL(kfac_hparams, damping, "0.01", GN_PARAM_POSITIVE, 1e12,
              "Tikhonov damping lambda > 0, split by the pi rule: A + pi sqrt(lambda) I and "
              "G + sqrt(lambda) / pi I"),
    GN_P_REAL(kfac_hparams, ema_decay, "0.95", 0, 0.999999,
              "decay of the factors' moving averages (0: this batch only; the first step always "
              "uses its batch alone)"),
    GN_P_INT(kfac_hparams, inverse_every, "10", 1, 1e9,
             "iterations between refreshes of the damped factors' inverses"),
    GN_P_CHOICE(kfac_hparams, fisher, "empirical", "empirical|true",
                "empirical: G from the data targets; true: from targets sampled from the "
                "model's predictive distribution"),
    GN_P_INT(kfac_hparams, seed, "0", 0, 9007199254740992.0,
             "seed of the sampled Fisher targets, combined with the iteration number"),
    GN_P_END,
};

extern const gn_optim_ops gn_opt_kfac;

typedef struct kfac_layer {
    int da, dg;      /* width of ā (n_{l-1} + bias), of g (n_l) */
    double *A, *G;   /* (da, da), (dg, dg) moving averages */
    double *Ai, *Gi; /* inverses of the damped factors at the last refresh */
} kfac_layer;

typedef struct kfac {
    gn_optim base;
    double lr, lr0, mu, lambda, decay; /* lr: this step's (lr0 scaled by the schedule) */
    long every;
    uint64_t seed;
    int true_fisher, L, have_factors, have_inverses;
    size_t m;
    kfac_layer layer[GN_MAX_LAYERS + 1]; /* 1..L */
    gn_ws ws;                            /* holds every buffer */
    double *g, *dir, *v;                 /* (m) gradient, direction, velocity */
    double *R, *Yt;                      /* (max_batch, c) per-sample gradients, sampled targets */
    double *Gl[GN_MAX_LAYERS + 1];       /* (max_batch, n_l) pre-activation cotangents */
    double *Ab;                          /* (max_batch, max da) layer inputs ā */
    double *Xt;                          /* (max(da, dg), max_batch) ā or g, transposed */
    double *Lf;                          /* (max(da, dg)²) a Cholesky factor */
    double *V, *T;                       /* (max dg da) a layer's gradient and a product */
} kfac;

static int in_dim(const gn_optim_shape *sh, int l)
{
    return sh->sizes[l - 1] + sh->bias;
}

/* The buffers of a step of shape sh (ws.h): measured by plan, carved by create. */
static void kfac_layout(kfac *o, gn_ws *ws, const gn_optim_shape *sh)
{
    size_t B = (size_t)sh->batch, amax = 0, wmax = 0, sq = 0, va = 0;
    o->g = gn_ws_doubles(ws, sh->m);
    o->dir = gn_ws_doubles(ws, sh->m);
    o->v = gn_ws_doubles(ws, sh->m);
    o->R = gn_ws_doubles(ws, B * sh->c);
    o->Yt = gn_ws_doubles(ws, B * sh->c);
    for (int l = 1; l <= sh->layers; l++) {
        kfac_layer *ly = &o->layer[l];
        size_t da = (size_t)in_dim(sh, l), dg = (size_t)sh->sizes[l];
        ly->da = (int)da, ly->dg = (int)dg;
        ly->A = gn_ws_doubles(ws, da * da);
        ly->G = gn_ws_doubles(ws, dg * dg);
        ly->Ai = gn_ws_doubles(ws, da * da);
        ly->Gi = gn_ws_doubles(ws, dg * dg);
        o->Gl[l] = gn_ws_doubles(ws, B * dg);
        amax = da > amax ? da : amax;
        wmax = da > wmax ? da : wmax;
        wmax = dg > wmax ? dg : wmax;
        sq = da * da > sq ? da * da : sq;
        sq = dg * dg > sq ? dg * dg : sq;
        va = da * dg > va ? da * dg : va;
    }
    o->Ab = gn_ws_doubles(ws, B * amax);
    o->Xt = gn_ws_doubles(ws, wmax * B);
    o->Lf = gn_ws_doubles(ws, sq);
    o->V = gn_ws_doubles(ws, va);
    o->T = gn_ws_doubles(ws, va);
}

static uint64_t flops_of(double f)
{
    return f >= 1.8e19 ? UINT64_MAX : (uint64_t)f;
}

static void kfac_plan(const void *hparams, const gn_optim_shape *sh, gn_optim_plan *out)
{
    const kfac_hparams *hp = hparams;
    kfac tmp;
    memset(&tmp, 0, sizeof tmp);
    gn_ws ws;
    gn_ws_measure(&ws);
    kfac_layout(&tmp, &ws, sh);
    gn_optim_plan_first_order(sh, out);
    out->workspace_bytes = (double)ws.used;
    /* forward and backward (6 b m, as SGD; a second backward for the true
     * Fisher), the factors' statistics b (da² + dg²) (syrk), the direction
     * 2 (dg² da + dg da²), and the refresh (Cholesky n³/3 and an n-column
     * solve 2 n³ per factor) shared by inverse_every steps */
    double b = sh->batch, f = (double)out->step_flops, every = (double)hp->inverse_every;
    if (hp->fisher == 1) f += 2 * b * (double)sh->m;
    for (int l = 1; l <= sh->layers; l++) {
        double da = in_dim(sh, l), dg = sh->sizes[l];
        f += b * (da * da + dg * dg) + 2 * (dg * dg * da + dg * da * da);
        f += (7.0 / 3.0) * (da * da * da + dg * dg * dg) / (every > 0 ? every : 1);
    }
    out->step_flops = flops_of(f);
}

static gn_optim *kfac_create(const void *hparams, gn_mlp *net, int max_batch, char *err,
                             size_t errlen)
{
    const kfac_hparams *hp = hparams;
    if (!(hp->damping > 0)) {
        snprintf(err, errlen, "damping must be > 0 (the factors are split by sqrt(lambda))");
        return NULL;
    }
    kfac *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->base.ops = &gn_opt_kfac;
    o->lr = o->lr0 = hp->lr;
    o->mu = hp->momentum;
    o->lambda = hp->damping;
    o->decay = hp->ema_decay;
    o->every = hp->inverse_every > 0 ? hp->inverse_every : 1;
    o->seed = (uint64_t)hp->seed;
    o->true_fisher = hp->fisher == 1;
    o->L = net->L;
    o->m = net->m;
    gn_optim_shape sh = gn_optim_shape_of(net, max_batch);
    gn_ws_measure(&o->ws);
    kfac_layout(o, &o->ws, &sh);
    if (gn_ws_alloc(&o->ws, o->ws.used) != 0) {
        double mib = (double)o->ws.used / 1048576.0;
        free(o);
        snprintf(err, errlen, "out of memory for the Kronecker factors (%.1f MiB)", mib);
        return NULL;
    }
    kfac_layout(o, &o->ws, &sh);
    o->base.workspace_bytes = o->ws.used;
    return &o->base;
}

/* V (dg, da) = [W part | bias] of layer l of the parameter-shaped x (m). */
static void layer_gather(const gn_mlp *net, int l, const double *x, double *V)
{
    int n_in = net->cfg.sizes[l - 1], dg = net->cfg.sizes[l], da = gn_mlp_kfac_in_dim(net, l);
    const double *W = x + net->w_off[l], *bv = x + net->b_off[l];
    for (int j = 0; j < dg; j++) {
        memcpy(V + (size_t)j * da, W + (size_t)j * n_in, sizeof(double) * n_in);
        if (da > n_in) V[(size_t)j * da + n_in] = bv[j];
    }
}

/* The inverse of layer_gather: x's layer l (m-shaped) from V (dg, da). */
static void layer_scatter(const gn_mlp *net, int l, const double *V, double *x)
{
    int n_in = net->cfg.sizes[l - 1], dg = net->cfg.sizes[l], da = gn_mlp_kfac_in_dim(net, l);
    double *W = x + net->w_off[l], *bv = x + net->b_off[l];
    for (int j = 0; j < dg; j++) {
        memcpy(W + (size_t)j * n_in, V + (size_t)j * da, sizeof(double) * n_in);
        if (da > n_in) bv[j] = V[(size_t)j * da + n_in];
    }
}

/* F (n, n) ← w_old F + (w_new / b) Xᵀ X for X (b, n), as a syrk of Xᵀ
 * (transposed into Xt (n, b)): half the flops of the gemm. */
static void ema_update(int n, int b, const double *X, double w_old, double w_new, double *Xt,
                       double *F)
{
    for (int i = 0; i < b; i++)
        for (int k = 0; k < n; k++)
            Xt[(size_t)k * b + i] = X[(size_t)i * n + k];
    gn_syrk_full(n, b, w_new / b, Xt, b, w_old, F, n);
}

/* From the pre-activation cotangents in o->Gl of the data targets: the
 * gradient g (m) = (1/b) Σ_i g_i ā_iᵀ per layer, and the A factors (and G,
 * unless the true Fisher replaces them). */
static void gradient_and_stats(kfac *o, gn_mlp *net, double w_old, double w_new)
{
    int b = net->b;
    for (int l = 1; l <= o->L; l++) {
        kfac_layer *ly = &o->layer[l];
        gn_mlp_kfac_inputs(net, l, o->Ab);
        /* V (dg, da) = (1/b) G_lᵀ (b, dg) Ā (b, da) */
        gn_gemm(1, 0, ly->dg, ly->da, b, 1.0 / b, o->Gl[l], ly->dg, o->Ab, ly->da, 0.0, o->V,
                ly->da);
        layer_scatter(net, l, o->V, o->g);
        ema_update(ly->da, b, o->Ab, w_old, w_new, o->Xt, ly->A);
        if (!o->true_fisher) ema_update(ly->dg, b, o->Gl[l], w_old, w_new, o->Xt, ly->G);
    }
}

/* Inv (n, n) = (F + shift I)⁻¹ through Cholesky (raising the shift when the
 * factorization fails, gn_chol_factor_damped). 0 or -1. */
static int damped_inverse(int n, const double *F, double shift, double *Lf, double *Inv,
                          int *raises)
{
    double used;
    int r = 0;
    if (gn_chol_factor_damped(n, F, shift, Lf, &used, &r) != 0) return -1;
    *raises += r;
    memset(Inv, 0, sizeof(double) * (size_t)n * n);
    for (int i = 0; i < n; i++)
        Inv[(size_t)i * n + i] = 1.0;
    gn_chol_solve(n, Lf, n, Inv);
    return 0;
}

static double mean_diag(int n, const double *F)
{
    double t = 0;
    for (int i = 0; i < n; i++)
        t += F[(size_t)i * n + i];
    return t / n;
}

/* The damped inverses of every layer, with the π rule. 0 or -1. */
static int refresh_inverses(kfac *o, int *raises)
{
    double s = sqrt(o->lambda);
    for (int l = 1; l <= o->L; l++) {
        kfac_layer *ly = &o->layer[l];
        double ta = mean_diag(ly->da, ly->A), tg = mean_diag(ly->dg, ly->G);
        double pi = sqrt(ta / tg);
        if (!(ta > 0 && tg > 0 && isfinite(pi) && pi > 0)) pi = 1.0; /* a zero factor */
        if (damped_inverse(ly->da, ly->A, pi * s, o->Lf, ly->Ai, raises) != 0 ||
            damped_inverse(ly->dg, ly->G, s / pi, o->Lf, ly->Gi, raises) != 0)
            return -1;
    }
    o->have_inverses = 1;
    return 0;
}

/* dir (m) = per layer Ĝ⁻¹ V Â⁻¹ with V the layer's gradient. */
static void precondition(kfac *o, gn_mlp *net)
{
    for (int l = 1; l <= o->L; l++) {
        kfac_layer *ly = &o->layer[l];
        int da = ly->da, dg = ly->dg;
        layer_gather(net, l, o->g, o->V);
        gn_gemm(0, 0, dg, da, dg, 1.0, ly->Gi, dg, o->V, da, 0.0, o->T, da);
        gn_gemm(0, 0, dg, da, da, 1.0, o->T, da, ly->Ai, da, 0.0, o->V, da);
        layer_scatter(net, l, o->V, o->dir);
    }
}

static int kfac_step(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info)
{
    kfac *o = (kfac *)opt;
    gn_mlp *net = ctx->model;
    int b = ctx->b, c = ctx->c, n = (int)o->m;
    o->lr = gn_step_lr(ctx, o->lr0);
    double w_old = o->have_factors ? o->decay : 0.0, w_new = 1.0 - w_old;

    double t0 = gn_now();
    const double *F = gn_mlp_forward(net, ctx->X, b);
    info->batch_loss = gn_loss_value(ctx->loss, F, ctx->Y, b, c);
    gn_loss_sample_grad(ctx->loss, F, ctx->Y, b, c, o->R);
    double t1 = gn_now();
    gn_mlp_preact_grads(net, o->R, o->Gl);
    gradient_and_stats(o, net, w_old, w_new);
    info->grad_norm = gn_nrm2(n, o->g);
    double t2 = gn_now();
    if (o->true_fisher) {
        gn_rng r;
        gn_smw_step_rng(&r, o->seed, ctx->iteration, "fisher-targets");
        gn_loss_sample_targets(ctx->loss, F, b, c, &r, o->Yt);
        gn_loss_sample_grad(ctx->loss, F, o->Yt, b, c, o->R);
        gn_mlp_preact_grads(net, o->R, o->Gl);
        for (int l = 1; l <= o->L; l++)
            ema_update(o->layer[l].dg, b, o->Gl[l], w_old, w_new, o->Xt, o->layer[l].G);
    }
    o->have_factors = 1;
    int raises = 0;
    if (!o->have_inverses || ctx->iteration % o->every == 0) {
        if (refresh_inverses(o, &raises) != 0) {
            snprintf(info->note, sizeof info->note,
                     "Cholesky of a damped Kronecker factor failed for every damping up to the "
                     "bound");
            return -1;
        }
    }
    double t3 = gn_now();
    precondition(o, net);
    double t4 = gn_now();

    double eta = o->lr;
    if (o->mu > 0) {
        for (int j = 0; j < n; j++)
            o->v[j] = o->mu * o->v[j] + o->dir[j];
        gn_axpy(n, -eta, o->v, net->theta);
        info->step_norm = eta * gn_nrm2(n, o->v);
    } else {
        info->step_norm = eta * gn_axpy_nrm2(n, -eta, o->dir, net->theta);
    }
    info->lr = eta;
    info->damping = o->lambda;
    info->damping_raises = raises;
    if (raises)
        snprintf(info->note, sizeof info->note,
                 "Cholesky of a damped factor failed; its damping was raised %d times", raises);
    info->t_forward = t1 - t0;
    info->t_backward = (t2 - t1) + (gn_now() - t4);
    info->t_curvature = t3 - t2;
    info->t_solve = t4 - t3;
    return 0;
}

static void kfac_destroy(gn_optim *opt)
{
    kfac *o = (kfac *)opt;
    if (!o) return;
    gn_ws_free(&o->ws);
    free(o);
}

const double *gn_kfac_factor_a(const gn_optim *opt, int l, int *da)
{
    GN_ASSERT(opt->ops == &gn_opt_kfac);
    const kfac *o = (const kfac *)opt;
    GN_ASSERT(l >= 1 && l <= o->L);
    *da = o->layer[l].da;
    return o->have_factors ? o->layer[l].A : NULL;
}

const double *gn_kfac_factor_g(const gn_optim *opt, int l, int *dg)
{
    GN_ASSERT(opt->ops == &gn_opt_kfac);
    const kfac *o = (const kfac *)opt;
    GN_ASSERT(l >= 1 && l <= o->L);
    *dg = o->layer[l].dg;
    return o->have_factors ? o->layer[l].G : NULL;
}

const gn_optim_ops gn_opt_kfac = {
    .version = GN_OPTIM_OPS_VERSION,
    .name = "kfac",
    .summary = "K-FAC: Kronecker-factored (empirical or true) Fisher per layer with factored "
               "Tikhonov damping (Martens & Grosse 2015)",
    .params = kfac_params,
    .hparams_size = sizeof(kfac_hparams),
    .full_batch = 0,
    .losses = GN_LOSSES_ALL,
    .create = kfac_create,
    .step = kfac_step,
    .destroy = kfac_destroy,
    .plan = kfac_plan,
};
