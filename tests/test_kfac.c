/* test_kfac.c: K-FAC (`kfac`) on tiny two-layer networks against oracles
 * built from the explicit Jacobian: the per-sample pre-activation
 * cotangents (model/mlp_kfac.h), the Kronecker factors (one sample: exactly
 * the Fisher block; a batch: the means of the per-sample outer products; the
 * moving average over steps), and the direction against a dense solve of the
 * block-diagonal Kronecker curvature with the π-rule damping, with stale
 * inverses (inverse_every) and momentum. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "model/loss.h"
#include "model/mlp.h"
#include "model/mlp_kfac.h"
#include "optim/kfac.h"
#include "optim/optim.h"
#include "optim/smw.h"
#include "core/rng.h"
#include "tolerances.h"
#include "oracle.h"

enum { D = 3, H = 4 }; /* inputs, hidden units */

/* A two-layer network d -> H -> c (NTK parameterization, output scale 1.5)
 * with n samples and targets for `loss` (the recipe of prob_make); biases
 * start nonzero so they matter. */
static void tiny_make(prob *p, gn_loss_kind loss, int n, int c, gn_act act, int bias, uint64_t seed)
{
    gn_blas_init(1);
    gn_mlp_config cfg = {
        .n_layers = 2, .sizes = {D, H, c}, .act = act, .ntk = 1, .bias = bias, .output_scale = 1.5};
    char err[128];
    cr_assert_eq(gn_mlp_init(&p->net, &cfg, n, err, sizeof err), 0, "%s", err);
    gn_rng r;
    gn_rng_seed(&r, seed, "kfac-test");
    gn_mlp_init_params(&p->net, &r);
    if (bias)
        for (int l = 1; l <= 2; l++)
            for (int j = 0; j < cfg.sizes[l]; j++)
                p->net.theta[p->net.b_off[l] + j] = 0.3 * gn_rng_normal(&r);
    prob_data(p, loss, n, D, c, &r);
}

/* U (n, m): row i = J_iᵀ ∇ℓ(f_i, T_i), the per-sample loss gradients at
 * targets T (n, c), from the explicit Jacobian at the current parameters. */
static void per_sample_grads(prob *p, const double *T, double *U)
{
    int n = p->n, c = p->c;
    size_t m = p->net.m;
    double *J = malloc(sizeof(double) * n * c * m), *R = malloc(sizeof(double) * n * c);
    const double *F = gn_mlp_forward(&p->net, p->X, n);
    gn_loss_sample_grad(p->loss, F, T, n, c, R);
    gn_mlp_jacobian(&p->net, J);
    for (int i = 0; i < n; i++)
        for (size_t q = 0; q < m; q++) {
            double s = 0;
            for (int k = 0; k < c; k++)
                s += J[((size_t)i * c + k) * m + q] * R[i * c + k];
            U[(size_t)i * m + q] = s;
        }
    free(J), free(R);
}

/* The activation of the tests' networks, written from its definition. */
static double act_of(gn_act a, double z)
{
    switch (a) {
    case GN_ACT_RELU:
        return z > 0 ? z : 0;
    case GN_ACT_TANH:
        return tanh(z);
    case GN_ACT_SIGMOID:
        return 1 / (1 + exp(-z));
    case GN_ACT_SOFTPLUS:
        return log1p(exp(z));
    case GN_ACT_GELU:
        return 0.5 * z * (1 + erf(z / sqrt(2.0)));
    default:
        return z;
    }
}

/* ā (da) of layer l for sample i, from the parameters: (s_l a_{l-1}, 1). */
static int oracle_input(const prob *p, int l, int i, double *abar)
{
    const gn_mlp *net = &p->net;
    const gn_mlp_config *cfg = &net->cfg;
    double a[16];
    for (int k = 0; k < D; k++)
        a[k] = p->X[i * D + k];
    if (l == 2) {
        double s1 = 1 / sqrt((double)D), h[16];
        for (int j = 0; j < H; j++) {
            double z = cfg->bias ? net->theta[net->b_off[1] + j] : 0;
            for (int k = 0; k < D; k++)
                z += s1 * net->theta[net->w_off[1] + j * D + k] * a[k];
            h[j] = act_of(gn_mlp_layer_act(cfg, 1), z);
        }
        memcpy(a, h, sizeof h);
    }
    int n_in = cfg->sizes[l - 1];
    for (int k = 0; k < n_in; k++)
        abar[k] = a[k] / sqrt((double)n_in);
    if (cfg->bias) abar[n_in] = 1;
    return n_in + cfg->bias;
}

/* g (n_l) of layer l from the per-sample gradient u (m) and ā: the bias
 * entries, or without biases the W entries (u_W = g āᵀ) projected on ā.
 * Returns 0 when g is not determined (no biases and ā = 0: a sample whose
 * relu units are all off, whose gradient of layer l is 0 whatever g). */
static int oracle_cotangent(const prob *p, int l, const double *u, const double *abar, double *g)
{
    const gn_mlp *net = &p->net;
    int n_in = net->cfg.sizes[l - 1];
    double a2 = 0;
    for (int k = 0; k < n_in; k++)
        a2 += abar[k] * abar[k];
    if (!net->cfg.bias && a2 == 0) return 0;
    for (int j = 0; j < net->cfg.sizes[l]; j++) {
        if (net->cfg.bias) {
            g[j] = u[net->b_off[l] + j];
            continue;
        }
        double s = 0;
        for (int k = 0; k < n_in; k++)
            s += u[net->w_off[l] + j * n_in + k] * abar[k];
        g[j] = s / a2;
    }
    return 1;
}

/* The batch statistics of layer l: A (da, da) = (1/n) Σ ā ā ᵀ and G (dg, dg)
 * = (1/n) Σ g gᵀ, with g from the per-sample gradients U (n, m). */
static void oracle_stats(const prob *p, int l, const double *U, double *A, double *G)
{
    int dg = p->net.cfg.sizes[l], da = 0, n = p->n;
    double abar[16], g[16];
    memset(G, 0, sizeof(double) * dg * dg);
    for (int i = 0; i < n; i++) {
        da = oracle_input(p, l, i, abar);
        if (i == 0) memset(A, 0, sizeof(double) * da * da);
        if (!oracle_cotangent(p, l, U + (size_t)i * p->net.m, abar, g)) memset(g, 0, sizeof g);
        for (int a = 0; a < da; a++)
            for (int e = 0; e < da; e++)
                A[a * da + e] += abar[a] * abar[e] / n;
        for (int a = 0; a < dg; a++)
            for (int e = 0; e < dg; e++)
                G[a * dg + e] += g[a] * g[e] / n;
    }
}

/* (row j, column k) of θ entry q in layer l's matrix [W_l | b_l]; 0 when q is
 * not in layer l. */
static int coord(const gn_mlp *net, int l, size_t q, int *j, int *k)
{
    int n_in = net->cfg.sizes[l - 1], nl = net->cfg.sizes[l];
    size_t w = net->w_off[l];
    if (q >= w && q < w + (size_t)nl * n_in) {
        *j = (int)((q - w) / n_in), *k = (int)((q - w) % n_in);
        return 1;
    }
    if (net->cfg.bias && q >= net->b_off[l] && q < net->b_off[l] + (size_t)nl) {
        *j = (int)(q - net->b_off[l]), *k = n_in;
        return 1;
    }
    return 0;
}

/* M (m, m) = blockdiag_l (G_l + γ_G I) ⊗ (A_l + γ_A I) in the order of θ,
 * with γ_A = π √λ, γ_G = √λ / π, π = sqrt((tr A / da) / (tr G / dg)); λ = 0:
 * the undamped A_l ⊗ G_l. */
static void dense_kron(const gn_mlp *net, const double *const *A, const double *const *G,
                       double lambda, double *M)
{
    size_t m = net->m;
    memset(M, 0, sizeof(double) * m * m);
    for (int l = 1; l <= net->L; l++) {
        int da = net->cfg.sizes[l - 1] + net->cfg.bias, dg = net->cfg.sizes[l];
        double ta = 0, tg = 0;
        for (int k = 0; k < da; k++)
            ta += A[l][k * da + k] / da;
        for (int j = 0; j < dg; j++)
            tg += G[l][j * dg + j] / dg;
        double pi = sqrt(ta / tg), ga = pi * sqrt(lambda), gg = sqrt(lambda) / pi;
        if (lambda == 0) ga = gg = 0;
        for (size_t q = 0; q < m; q++)
            for (size_t r = 0; r < m; r++) {
                int j, k, j2, k2;
                if (!coord(net, l, q, &j, &k) || !coord(net, l, r, &j2, &k2)) continue;
                M[q * m + r] =
                    (G[l][j * dg + j2] + (j == j2) * gg) * (A[l][k * da + k2] + (k == k2) * ga);
            }
    }
}

/* ‖a − b‖ / ‖b‖ of two (n) arrays; ‖a − b‖ when b = 0 (a unit that is off). */
static double rel_dist(size_t n, const double *a, const double *b)
{
    double s2 = 0;
    for (size_t j = 0; j < n; j++)
        s2 += b[j] * b[j];
    if (s2 > 0) return rel_err(n, a, b);
    double d2 = 0;
    for (size_t j = 0; j < n; j++)
        d2 += a[j] * a[j];
    return sqrt(d2);
}

/* layer_act >= 0: the hidden layer applies it (model.activations) instead of act. */
static void check_preact_grads(gn_act act, int bias, int layer_act)
{
    prob p;
    tiny_make(&p, GN_LOSS_XENT, 4, 3, act, bias, 3 + act + 10 * bias);
    if (layer_act >= 0) {
        p.net.cfg.layer_acts = 1;
        p.net.cfg.acts[1] = (gn_act)layer_act;
    }
    size_t m = p.net.m;
    double *U = malloc(sizeof(double) * p.n * m), *R = malloc(sizeof(double) * p.n * p.c);
    double *G[GN_MAX_LAYERS + 1] = {0}, abar[16], g[16], Ab[64];
    per_sample_grads(&p, p.Y, U);
    const double *F = gn_mlp_forward(&p.net, p.X, p.n);
    gn_loss_sample_grad(p.loss, F, p.Y, p.n, p.c, R);
    for (int l = 1; l <= 2; l++)
        G[l] = malloc(sizeof(double) * p.n * p.net.cfg.sizes[l]);
    gn_mlp_preact_grads(&p.net, R, G);
    for (int l = 1; l <= 2; l++) {
        int nl = p.net.cfg.sizes[l], da = gn_mlp_kfac_in_dim(&p.net, l);
        gn_mlp_kfac_inputs(&p.net, l, Ab);
        for (int i = 0; i < p.n; i++) {
            cr_assert_eq(oracle_input(&p, l, i, abar), da);
            double e = 0;
            if (oracle_cotangent(&p, l, U + i * m, abar, g))
                e = rel_dist((size_t)nl, G[l] + i * nl, g);
            cr_expect_lt(e, GN_TOL_EXACT_REL, "%s bias %d layer %d sample %d: cotangent error %.3g",
                         gn_act_names[act], bias, l, i, e);
            e = rel_dist((size_t)da, Ab + i * da, abar);
            cr_expect_lt(e, GN_TOL_EXACT_REL, "%s layer %d sample %d: input error %.3g",
                         gn_act_names[act], l, i, e);
        }
    }
    for (int l = 1; l <= 2; l++)
        free(G[l]);
    free(U), free(R);
    prob_free(&p);
}

Test(kfac, preact_cotangents_equal_the_explicit_jacobian_for_every_activation)
{
    for (int a = 0; a < GN_ACT_COUNT; a++) {
        check_preact_grads((gn_act)a, 1, -1);
        check_preact_grads((gn_act)a, 0, -1);
    }
}

Test(kfac, preact_cotangents_follow_a_per_layer_activation)
{
    check_preact_grads(GN_ACT_TANH, 1, GN_ACT_SIGMOID);
    check_preact_grads(GN_ACT_SIGMOID, 0, GN_ACT_IDENTITY);
}

/* The targets of the sampled Fisher at step `it` with seed `seed`: the
 * documented generator (ngd's). */
static void sampled_targets(prob *p, uint64_t seed, long it, double *T)
{
    const double *F = gn_mlp_forward(&p->net, p->X, p->n);
    gn_rng r;
    gn_smw_step_rng(&r, seed, it, "fisher-targets");
    gn_loss_sample_targets(p->loss, F, p->n, p->c, &r, T);
}

/* One sample, one step: A_l ⊗ G_l is exactly the Fisher block u_l u_lᵀ of
 * layer l (u = J₁ᵀ ∇ℓ), compared in the order of θ. */
static void check_one_sample_block(gn_loss_kind loss, int c, int bias, const char *fisher,
                                   const char *decay)
{
    prob p;
    tiny_make(&p, loss, 1, c, GN_ACT_TANH, bias, 11 + c + bias);
    size_t m = p.net.m;
    double *U = malloc(sizeof(double) * m), *T = malloc(sizeof(double) * c);
    double *M = malloc(sizeof(double) * m * m), *W = calloc(m * m, sizeof(double));
    int true_f = strcmp(fisher, "true") == 0;
    if (true_f)
        sampled_targets(&p, 7, 0, T);
    else
        memcpy(T, p.Y, sizeof(double) * c);
    per_sample_grads(&p, T, U);
    for (int l = 1; l <= 2; l++) /* W: blockdiag_l u_l u_lᵀ */
        for (size_t q = 0; q < m; q++)
            for (size_t r = 0; r < m; r++) {
                int j, k;
                if (coord(&p.net, l, q, &j, &k) && coord(&p.net, l, r, &j, &k))
                    W[q * m + r] = U[q] * U[r];
            }
    char f[32], e[32];
    snprintf(f, sizeof f, "fisher=%s", fisher);
    snprintf(e, sizeof e, "ema_decay=%s", decay);
    gn_optim *o = make_opt("kfac", &p, f, e, "seed=7", NULL);
    gn_step_info info;
    do_step(o, &p, 0, &info);
    const double *A[3], *G[3];
    for (int l = 1; l <= 2; l++) {
        int da, dg;
        A[l] = gn_kfac_factor_a(o, l, &da);
        G[l] = gn_kfac_factor_g(o, l, &dg);
        cr_assert(A[l] && G[l]);
        cr_expect_eq(da, p.net.cfg.sizes[l - 1] + bias);
        cr_expect_eq(dg, p.net.cfg.sizes[l]);
    }
    dense_kron(&p.net, A, G, 0, M);
    double err = rel_dist(m * m, M, W);
    cr_expect_lt(err, GN_TOL_EXACT_REL, "%s bias %d %s Fisher: block error %.3g",
                 gn_loss_name(loss), bias, fisher, err);
    o->ops->destroy(o);
    free(U), free(T), free(M), free(W);
    prob_free(&p);
}

Test(kfac, one_sample_factors_are_the_explicit_fisher_block)
{
    check_one_sample_block(GN_LOSS_SQUARE, 2, 1, "empirical", "0");
    check_one_sample_block(GN_LOSS_SQUARE, 2, 0, "empirical", "0.9");
    check_one_sample_block(GN_LOSS_XENT, 3, 1, "empirical", "0");
    check_one_sample_block(GN_LOSS_BXENT, 2, 0, "empirical", "0");
}

Test(kfac, one_sample_true_fisher_uses_the_sampled_targets)
{
    check_one_sample_block(GN_LOSS_XENT, 3, 1, "true", "0");
    check_one_sample_block(GN_LOSS_SQUARE, 2, 1, "true", "0.5");
}

/* Three steps on a batch: after each, A_l and G_l are the moving averages
 * ε S_prev + (1 − ε) S of the batch statistics S at the parameters the step
 * started from (the first step: S alone); for the true Fisher, G's
 * statistics come from the sampled targets of that iteration. */
static void check_moving_averages(gn_loss_kind loss, int c, int true_fisher)
{
    const double eps = 0.7;
    prob p;
    tiny_make(&p, loss, 5, c, GN_ACT_TANH, 1, 23);
    size_t m = p.net.m;
    double *U = malloc(sizeof(double) * p.n * m), *T = malloc(sizeof(double) * p.n * c);
    double Aw[2][64], Gw[2][64], As[64], Gs[64], Gx[64];
    gn_optim *o = make_opt("kfac", &p, "ema_decay=0.7", "lr=0.3", "seed=4",
                           true_fisher ? "fisher=true" : "fisher=empirical", NULL);
    for (long it = 0; it < 3; it++) {
        gn_step_info info;
        per_sample_grads(&p, p.Y, U);
        for (int l = 1; l <= 2; l++) {
            oracle_stats(&p, l, U, As, Gs);
            int da = p.net.cfg.sizes[l - 1] + 1, dg = p.net.cfg.sizes[l];
            for (int q = 0; q < da * da; q++)
                Aw[l - 1][q] = it ? eps * Aw[l - 1][q] + (1 - eps) * As[q] : As[q];
            if (!true_fisher)
                for (int q = 0; q < dg * dg; q++)
                    Gw[l - 1][q] = it ? eps * Gw[l - 1][q] + (1 - eps) * Gs[q] : Gs[q];
        }
        if (true_fisher) {
            sampled_targets(&p, 4, it, T);
            per_sample_grads(&p, T, U);
            for (int l = 1; l <= 2; l++) {
                oracle_stats(&p, l, U, Gx, Gs);
                int dg = p.net.cfg.sizes[l];
                for (int q = 0; q < dg * dg; q++)
                    Gw[l - 1][q] = it ? eps * Gw[l - 1][q] + (1 - eps) * Gs[q] : Gs[q];
            }
        }
        do_step(o, &p, it, &info);
        for (int l = 1; l <= 2; l++) {
            int da, dg;
            const double *A = gn_kfac_factor_a(o, l, &da), *G = gn_kfac_factor_g(o, l, &dg);
            double ea = rel_dist((size_t)da * da, A, Aw[l - 1]);
            double eg = rel_dist((size_t)dg * dg, G, Gw[l - 1]);
            cr_expect_lt(ea, GN_TOL_EXACT_REL, "%s Fisher %d step %ld layer %d: A error %.3g",
                         gn_loss_name(loss), true_fisher, it, l, ea);
            cr_expect_lt(eg, GN_TOL_EXACT_REL, "%s Fisher %d step %ld layer %d: G error %.3g",
                         gn_loss_name(loss), true_fisher, it, l, eg);
        }
    }
    o->ops->destroy(o);
    free(U), free(T);
    prob_free(&p);
}

Test(kfac, factors_are_moving_averages_of_the_batch_statistics)
{
    check_moving_averages(GN_LOSS_XENT, 3, 0);
    check_moving_averages(GN_LOSS_SQUARE, 2, 0);
}

Test(kfac, true_fisher_factors_average_the_sampled_statistics)
{
    check_moving_averages(GN_LOSS_XENT, 3, 1);
    check_moving_averages(GN_LOSS_BXENT, 2, 1);
}

/* want (m) = M⁻¹ g, g = ∇L (explicit Jacobian) at the current parameters,
 * M the dense Kronecker curvature of the factors A, G with damping λ. */
static void dense_direction(prob *p, const double *const *A, const double *const *G, double lambda,
                            double *want)
{
    size_t m = p->net.m;
    double *U = malloc(sizeof(double) * p->n * m), *M = malloc(sizeof(double) * m * m);
    per_sample_grads(p, p->Y, U);
    for (size_t q = 0; q < m; q++) {
        want[q] = 0;
        for (int i = 0; i < p->n; i++)
            want[q] += U[(size_t)i * m + q] / p->n;
    }
    dense_kron(&p->net, A, G, lambda, M);
    dense_solve((int)m, M, want);
    free(U), free(M);
}

/* Copies of the factors of o (layers 1, 2) into buf (two 64-entry slots). */
static void save_factors(gn_optim *o, double (*buf)[64], const double **A, const double **G)
{
    for (int l = 1; l <= 2; l++) {
        int da, dg;
        const double *a = gn_kfac_factor_a(o, l, &da), *g = gn_kfac_factor_g(o, l, &dg);
        memcpy(buf[2 * l - 2], a, sizeof(double) * da * da);
        memcpy(buf[2 * l - 1], g, sizeof(double) * dg * dg);
        A[l] = buf[2 * l - 2], G[l] = buf[2 * l - 1];
    }
}

/* Three steps with lr η, damping λ, momentum μ, inverses refreshed every
 * `every` iterations: each step's θ_k − θ_{k+1} = η v_k, v_k = μ v_{k−1} +
 * d_k, with d_k the dense solve of the Kronecker curvature of the factors at
 * the last refresh (iteration multiple of `every`) and the gradient now. */
static void check_direction(gn_loss_kind loss, int c, int bias, const char *fisher, int every,
                            double mu)
{
    const double eta = 0.4, lambda = 0.05;
    prob p;
    tiny_make(&p, loss, 5, c, GN_ACT_TANH, bias, 31 + c + bias);
    size_t m = p.net.m;
    double *want = malloc(sizeof(double) * m), *v = calloc(m, sizeof(double));
    double *th0 = malloc(sizeof(double) * m), buf[4][64];
    const double *A[3], *G[3];
    char f[32], e[32], mo[64];
    snprintf(f, sizeof f, "fisher=%s", fisher);
    snprintf(e, sizeof e, "inverse_every=%d", every);
    snprintf(mo, sizeof mo, "momentum=%.17g", mu);
    gn_optim *o =
        make_opt("kfac", &p, "lr=0.4", "damping=0.05", "ema_decay=0.6", "seed=3", f, e, mo, NULL);
    for (long it = 0; it < 3; it++) {
        memcpy(th0, p.net.theta, sizeof(double) * m);
        double *got = malloc(sizeof(double) * m);
        gn_step_info info;
        do_step(o, &p, it, &info);
        if (it % every == 0) save_factors(o, buf, A, G);
        double *th1 = malloc(sizeof(double) * m);
        memcpy(th1, p.net.theta, sizeof(double) * m);
        memcpy(p.net.theta, th0, sizeof(double) * m);
        dense_direction(&p, A, G, lambda, want);
        memcpy(p.net.theta, th1, sizeof(double) * m);
        for (size_t q = 0; q < m; q++) {
            v[q] = mu * v[q] + want[q];
            got[q] = (th0[q] - th1[q]) / eta;
        }
        double err = rel_dist(m, got, v);
        cr_expect_lt(err, GN_TOL_EXACT_REL,
                     "%s bias %d %s Fisher, every %d, momentum %g, step %ld: direction error %.3g",
                     gn_loss_name(loss), bias, fisher, every, mu, it, err);
        cr_expect_eq(info.damping, lambda);
        cr_expect_eq(info.damping_raises, 0);
        free(got), free(th1);
    }
    o->ops->destroy(o);
    free(want), free(v), free(th0);
    prob_free(&p);
}

Test(kfac, direction_equals_dense_solve_of_the_kronecker_curvature)
{
    check_direction(GN_LOSS_SQUARE, 2, 1, "empirical", 1, 0);
    check_direction(GN_LOSS_SQUARE, 1, 0, "empirical", 1, 0);
    check_direction(GN_LOSS_XENT, 3, 1, "empirical", 1, 0);
    check_direction(GN_LOSS_BXENT, 2, 1, "empirical", 1, 0);
}

Test(kfac, true_fisher_direction_equals_dense_solve)
{
    check_direction(GN_LOSS_XENT, 3, 1, "true", 1, 0);
    check_direction(GN_LOSS_SQUARE, 2, 0, "true", 1, 0);
}

Test(kfac, stale_inverses_and_momentum_equal_the_dense_recurrence)
{
    check_direction(GN_LOSS_XENT, 3, 1, "empirical", 2, 0);
    check_direction(GN_LOSS_SQUARE, 2, 1, "empirical", 1, 0.8);
    check_direction(GN_LOSS_BXENT, 2, 0, "true", 3, 0.5);
}

Test(kfac, true_fisher_draws_depend_on_seed_and_iteration_only)
{
    double *th[3];
    for (int run = 0; run < 3; run++) {
        prob p;
        tiny_make(&p, GN_LOSS_XENT, 5, 3, GN_ACT_TANH, 1, 5);
        gn_optim *o = make_opt("kfac", &p, "fisher=true", run == 2 ? "seed=1" : "seed=0", NULL);
        gn_step_info info;
        do_step(o, &p, 0, &info);
        do_step(o, &p, 1, &info);
        th[run] = malloc(sizeof(double) * p.net.m);
        memcpy(th[run], p.net.theta, sizeof(double) * p.net.m);
        if (run == 2) {
            cr_expect_eq(memcmp(th[0], th[1], sizeof(double) * p.net.m), 0);
            cr_expect_neq(memcmp(th[0], th[2], sizeof(double) * p.net.m), 0);
        }
        o->ops->destroy(o);
        prob_free(&p);
    }
    free(th[0]), free(th[1]), free(th[2]);
}
