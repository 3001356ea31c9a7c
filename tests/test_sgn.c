/* test_sgn.c: the subsampled Gauss-Newton step (`sgn`) against a dense m×m
 * solve, its equivalence with `ggn-mb`, and the Levenberg-Marquardt rule. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "model/loss.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "core/params.h"
#include "core/rng.h"
#include "optim/smw.h"
#include "tolerances.h"
#include "oracle.h"

/* d (m) = −(λ I + (1/b₂) Σ_{i∈idx} J_iᵀ H_i J_i)⁻¹ g, g = ∇L over all n
 * samples, all from the explicit Jacobian at the current parameters. */
static void dense_sgn_direction(prob *p, const int *idx, int b2, double lam, double *d)
{
    int n = p->n, c = p->c;
    size_t m = p->net.m;
    double *J = malloc(sizeof(double) * n * c * m), *G = calloc(m * m, sizeof(double));
    double *R = malloc(sizeof(double) * n * c), H[64 * 64];
    const double *F = gn_mlp_forward(&p->net, p->X, n);
    gn_mlp_jacobian(&p->net, J);
    gn_loss_sample_grad(p->loss, F, p->Y, n, c, R);
    for (size_t q = 0; q < m; q++) {
        double s = 0;
        for (int r = 0; r < n * c; r++)
            s += J[r * m + q] * R[r];
        d[q] = -s / n;
    }
    for (int t = 0; t < b2; t++) {
        int i = idx[t];
        dense_hessian(p->loss, F + i * c, p->Y + i * c, c, H);
        const double *Ji = J + (size_t)i * c * m;
        for (int a = 0; a < c; a++)
            for (int e = 0; e < c; e++) {
                double h = H[a * c + e] / b2;
                if (h == 0) continue;
                for (size_t u = 0; u < m; u++)
                    for (size_t v = 0; v < m; v++)
                        G[u * m + v] += h * Ji[a * m + u] * Ji[e * m + v];
            }
    }
    for (size_t u = 0; u < m; u++)
        G[u * m + u] += lam;
    dense_solve((int)m, G, d);
    free(J), free(G), free(R);
}

static void check_direction(gn_loss_kind loss, int c, const char *curv_batch, long it)
{
    prob p;
    prob_make(&p, loss, 7, 3, c, 31 + c);
    size_t m = p.net.m;
    int b2 = atoi(curv_batch), idx[7];
    if (b2 == 0) b2 = p.n;
    gn_smw_subset(0, it, p.n, b2, idx);
    double *want = malloc(sizeof(double) * m), *th0 = malloc(sizeof(double) * m);
    double *got = malloc(sizeof(double) * m);
    memcpy(th0, p.net.theta, sizeof(double) * m);
    dense_sgn_direction(&p, idx, b2, 0.3, want);
    char cb[64];
    snprintf(cb, sizeof cb, "curvature_batch=%s", curv_batch);
    gn_optim *o = make_opt("sgn", &p, "lr=0.7", "damping=0.3", "damping_rule=fixed", cb, NULL);
    gn_step_info info;
    do_step(o, &p, it, &info);
    for (size_t q = 0; q < m; q++)
        got[q] = (p.net.theta[q] - th0[q]) / 0.7;
    double e = rel_err(m, got, want);
    cr_expect_lt(e, GN_TOL_EXACT_REL, "%s, c=%d, b2=%d: relative direction error %.3g",
                 gn_loss_name(loss), c, b2, e);
    cr_expect_eq(info.damping, 0.3);
    cr_expect(isfinite(info.gain_ratio));
    double sn = 0.7 * gn_nrm2((int)m, want); /* the recorded step norm η ‖d‖ */
    cr_expect_lt(fabs(info.step_norm - sn), GN_TOL_EXACT_REL * sn, "step norm %.17g, dense %.17g",
                 info.step_norm, sn);
    o->ops->destroy(o);
    free(want), free(th0), free(got);
    prob_free(&p);
}

Test(sgn, direction_equals_dense_solve_square)
{
    check_direction(GN_LOSS_SQUARE, 2, "0", 1);
}

Test(sgn, direction_equals_dense_solve_xent)
{
    check_direction(GN_LOSS_XENT, 3, "0", 1);
}

Test(sgn, direction_equals_dense_solve_bxent)
{
    check_direction(GN_LOSS_BXENT, 2, "0", 1);
}

Test(sgn, curvature_subset_equals_dense_solve_on_that_subset)
{
    check_direction(GN_LOSS_XENT, 3, "4", 5);
    check_direction(GN_LOSS_SQUARE, 2, "3", 0);
}

Test(sgn, square_full_batch_fixed_damping_follows_ggn_mb_with_damping_b_lambda)
{
    /* (JᵀJ/b + λI)⁻¹ Jᵀr/b = Jᵀ(K + bλI)⁻¹ r, so sgn(η, λ) ≡ ggn-mb(η, bλ). */
    prob p1, p2;
    prob_make(&p1, GN_LOSS_SQUARE, 7, 3, 2, 8);
    prob_make(&p2, GN_LOSS_SQUARE, 7, 3, 2, 8);
    double lam = 0.05;
    char damp[64];
    snprintf(damp, sizeof damp, "damping=%.17g", p1.n * lam);
    gn_optim *a = make_opt("sgn", &p1, "lr=0.8", "damping=0.05", "damping_rule=fixed", NULL);
    gn_optim *b = make_opt("ggn-mb", &p2, "lr=0.8", damp, NULL);
    gn_step_info i1, i2;
    for (int k = 0; k < 6; k++) {
        do_step(a, &p1, k, &i1);
        do_step(b, &p2, k, &i2);
        double e = rel_err(p1.net.m, p1.net.theta, p2.net.theta);
        cr_expect_lt(e, GN_TOL_EXACT_REL, "step %d: parameters differ by %.3g (relative)", k, e);
        cr_expect_lt(fabs(i1.batch_loss - i2.batch_loss), GN_TOL_EXACT_REL * i2.batch_loss);
    }
    cr_expect_lt(loss_now(&p1), i1.batch_loss);
    a->ops->destroy(a);
    b->ops->destroy(b);
    prob_free(&p1);
    prob_free(&p2);
}

static void check_bad_step(const char *lr, int rho_defined)
{
    prob p;
    prob_make(&p, GN_LOSS_XENT, 7, 3, 3, 12);
    char l[32];
    snprintf(l, sizeof l, "lr=%s", lr);
    gn_optim *o = make_opt("sgn", &p, l, "damping=0.0001", "boost=1.5", NULL);
    gn_step_info info;
    do_step(o, &p, 0, &info);
    cr_expect_gt(loss_now(&p), info.batch_loss, "lr %s: the step should increase the loss", lr);
    if (rho_defined)
        cr_expect_lt(info.gain_ratio, 0.25, "rho %.3g", info.gain_ratio);
    else /* η > 2: the model itself predicts an increase, rho is undefined */
        cr_expect(isnan(info.gain_ratio), "rho %.3g", info.gain_ratio);
    cr_expect_eq(info.damping, 0.0001);
    do_step(o, &p, 1, &info);
    cr_expect_eq(info.damping, 0.0001 * 1.5); /* no Cholesky raise: exactly λ boost */
    o->ops->destroy(o);
    prob_free(&p);
}

Test(sgn, lm_damping_rises_after_a_bad_step)
{
    check_bad_step("2", 1);
    check_bad_step("60", 0);
}

Test(sgn, lm_damping_falls_after_a_good_step)
{
    /* A short step: the loss change matches the quadratic model, rho ~ 1. */
    prob p;
    prob_make(&p, GN_LOSS_SQUARE, 7, 3, 2, 12);
    gn_optim *o = make_opt("sgn", &p, "lr=0.05", "damping=2", "drop=0.5", NULL);
    gn_step_info info;
    do_step(o, &p, 0, &info);
    cr_expect_lt(loss_now(&p), info.batch_loss);
    cr_expect_gt(info.gain_ratio, 0.75, "rho %.3g", info.gain_ratio);
    /* the quadratic model is second-order accurate: |rho - 1| = O(step) */
    cr_expect_lt(fabs(info.gain_ratio - 1), 0.1, "rho %.3g", info.gain_ratio);
    do_step(o, &p, 1, &info);
    cr_expect_eq(info.damping, 2 * 0.5);
    o->ops->destroy(o);
    prob_free(&p);
}

Test(sgn, fixed_rule_keeps_damping)
{
    prob p;
    prob_make(&p, GN_LOSS_XENT, 7, 3, 3, 12);
    gn_optim *o = make_opt("sgn", &p, "lr=60", "damping=0.01", "damping_rule=fixed", NULL);
    gn_step_info info;
    do_step(o, &p, 0, &info);
    do_step(o, &p, 1, &info);
    cr_expect_eq(info.damping, 0.01);
    o->ops->destroy(o);
    prob_free(&p);
}

Test(sgn, records_kernel_spectrum_and_times_at_first_step)
{
    prob p;
    prob_make(&p, GN_LOSS_XENT, 7, 3, 3, 12);
    gn_optim *o = make_opt("sgn", &p, NULL);
    gn_step_info info;
    do_step(o, &p, 0, &info);
    /* xent: each A_i has the null vector 1 (rows of diag p − p pᵀ sum to 0),
     * so U Uᵀ is singular up to rounding */
    cr_expect_gt(info.kernel_cond, 1 / GN_TOL_EXACT_REL, "cond %.3g", info.kernel_cond);
    cr_expect(info.t_forward >= 0 && info.t_curvature >= 0 && info.t_solve >= 0 &&
              info.t_backward >= 0);
    cr_expect_gt(info.step_norm, 0);
    cr_expect_gt(info.grad_norm, 0);
    o->ops->destroy(o);
    prob_free(&p);
}

/* g (m) = ∇L over all n samples of p and G (m, m) = (1/b₂) Σ_{i∈idx}
 * J_iᵀ H_i J_i, from the explicit Jacobian at the current parameters. */
static void dense_grad_and_gn(prob *p, const int *idx, int b2, double *g, double *G)
{
    int n = p->n, c = p->c;
    size_t m = p->net.m;
    double *J = malloc(sizeof(double) * n * c * m), *R = malloc(sizeof(double) * n * c);
    double H[64 * 64];
    const double *F = gn_mlp_forward(&p->net, p->X, n);
    gn_mlp_jacobian(&p->net, J);
    gn_loss_sample_grad(p->loss, F, p->Y, n, c, R);
    memset(G, 0, sizeof(double) * m * m);
    for (size_t q = 0; q < m; q++) {
        double s = 0;
        for (int r = 0; r < n * c; r++)
            s += J[r * m + q] * R[r];
        g[q] = s / n;
    }
    for (int t = 0; t < b2; t++) {
        int i = idx[t];
        dense_hessian(p->loss, F + i * c, p->Y + i * c, c, H);
        const double *Ji = J + (size_t)i * c * m;
        for (int a = 0; a < c; a++)
            for (int e = 0; e < c; e++)
                for (size_t u = 0; u < m; u++)
                    for (size_t v = 0; v < m; v++)
                        G[u * m + v] += H[a * c + e] / b2 * Ji[a * m + u] * Ji[e * m + v];
    }
    free(J), free(R);
}

/* rho: model divides the loss change by gᵀs + ½ sᵀGs, rho: damped by ½ gᵀs
 * (s the step taken), both checked against the dense g and G. */
static void check_rho(const char *rho, const char *lr, int b2)
{
    prob p;
    prob_make(&p, GN_LOSS_XENT, 6, 3, 3, 21);
    size_t m = p.net.m;
    double *g = malloc(sizeof(double) * m), *G = malloc(sizeof(double) * m * m);
    double *th0 = malloc(sizeof(double) * m);
    memcpy(th0, p.net.theta, sizeof(double) * m);
    int idx[6];
    gn_smw_subset(0, 2, p.n, b2, idx);
    dense_grad_and_gn(&p, idx, b2, g, G);
    char l[32], r[32], cb[32];
    snprintf(l, sizeof l, "lr=%s", lr);
    snprintf(r, sizeof r, "rho=%s", rho);
    snprintf(cb, sizeof cb, "curvature_batch=%d", b2 < p.n ? b2 : 0);
    gn_optim *o = make_opt("sgn", &p, l, "damping=0.2", cb, *rho ? r : NULL, NULL);
    gn_step_info info;
    do_step(o, &p, 2, &info);
    double gs = 0, sGs = 0;
    for (size_t u = 0; u < m; u++) {
        double su = p.net.theta[u] - th0[u];
        gs += g[u] * su;
        for (size_t v = 0; v < m; v++)
            sGs += su * G[u * m + v] * (p.net.theta[v] - th0[v]);
    }
    double pred = strcmp(rho, "damped") == 0 ? 0.5 * gs : gs + 0.5 * sGs;
    double want = (loss_now(&p) - info.batch_loss) / pred, gn = gn_nrm2((int)m, g);
    cr_expect_lt(fabs(info.grad_norm - gn), GN_TOL_EXACT_REL * gn, "gradient norm %.17g vs %.17g",
                 info.grad_norm, gn);
    cr_expect_lt(fabs(info.gain_ratio - want), GN_TOL_EXACT_REL * fabs(want),
                 "rho %s, lr %s: %.17g, by hand %.17g", rho, lr, info.gain_ratio, want);
    o->ops->destroy(o);
    free(g), free(G), free(th0);
    prob_free(&p);
}

Test(sgn, gain_ratio_denominator_model_or_damped_equals_hand_computation)
{
    check_rho("", "1", 6); /* unset: the model's */
    check_rho("model", "1", 6);
    check_rho("model", "0.6", 6);
    check_rho("damped", "1", 6);
    check_rho("damped", "0.6", 6);
    check_rho("model", "0.6", 4); /* a curvature subset */
    check_rho("damped", "0.6", 4);
}

Test(sgn, failed_factorization_raises_damping_and_the_step_uses_it)
{
    /* xent: every A_i has the null vector 1, so U Uᵀ is singular and a
     * damping of 1e-300 cannot be factored; the whole-batch step must use
     * the raised λ throughout (with 1e-300 in the 1/λ of the SMW formula
     * the step would be off by ~1e288). The raised λ is tiny, so the system
     * is ill-conditioned: κ <= (trace G + λ) / λ bounds the agreement. */
    prob p;
    prob_make(&p, GN_LOSS_XENT, 6, 3, 3, 7);
    size_t m = p.net.m;
    int idx[6];
    gn_smw_subset(0, 1, p.n, p.n, idx);
    double *g = malloc(sizeof(double) * m), *G = malloc(sizeof(double) * m * m);
    double *th0 = malloc(sizeof(double) * m), *want = malloc(sizeof(double) * m);
    double *got = malloc(sizeof(double) * m);
    memcpy(th0, p.net.theta, sizeof(double) * m);
    dense_grad_and_gn(&p, idx, p.n, g, G);
    gn_optim *o = make_opt("sgn", &p, "lr=1", "damping=1e-300", "damping_rule=fixed", NULL);
    gn_step_info info;
    do_step(o, &p, 1, &info);
    cr_expect_gt(info.damping_raises, 0);
    cr_expect_gt(info.damping, 1e-300);
    double tr = 0, used = info.damping;
    for (size_t u = 0; u < m; u++) {
        tr += G[u * m + u];
        G[u * m + u] += used;
        want[u] = -g[u];
        got[u] = p.net.theta[u] - th0[u];
    }
    dense_solve((int)m, G, want);
    double kappa = (tr + used) / used, e = rel_err(m, got, want);
    cr_expect_lt(e, GN_TOL_COND_FACTOR * DBL_EPSILON * kappa,
                 "error %.3g at lambda %.3g (condition <= %.3g)", e, used, kappa);
    o->ops->destroy(o);
    free(g), free(G), free(th0), free(want), free(got);
    prob_free(&p);
}
