/* test_dgn.c: dual Gauss-Newton directions (`dgn`) against dense m×m
 * oracles (closed form for the square loss, Newton on the partially
 * linearized problem for cross-entropy), the equivalence with `ggn-mb`,
 * and the inner solver's descent and duality-gap guarantees. */
#include <criterion/criterion.h>
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
#include "tolerances.h"
#include "oracle.h"

/* The dense oracle at the current parameters: J (bc, m), f (bc), g (m). */
typedef struct dense {
    int n, c, rows;
    size_t m;
    double *J, *f, *g;
} dense;

static void dense_make(dense *D, prob *p)
{
    D->n = p->n, D->c = p->c, D->rows = p->n * p->c, D->m = p->net.m;
    D->J = malloc(sizeof(double) * D->rows * D->m);
    D->f = malloc(sizeof(double) * D->rows);
    D->g = malloc(sizeof(double) * D->m);
    double *R = malloc(sizeof(double) * D->rows);
    const double *F = gn_mlp_forward(&p->net, p->X, p->n);
    memcpy(D->f, F, sizeof(double) * D->rows);
    gn_mlp_jacobian(&p->net, D->J);
    gn_loss_sample_grad(p->loss, D->f, p->Y, p->n, p->c, R);
    for (size_t q = 0; q < D->m; q++) {
        double s = 0;
        for (int k = 0; k < D->rows; k++)
            s += D->J[k * D->m + q] * R[k];
        D->g[q] = s / p->n;
    }
    free(R);
}

static void dense_free(dense *D)
{
    free(D->J), free(D->f), free(D->g);
}

/* P(d) = (1/b) Σ ℓ_i(f_i + J_i d) + ‖d‖²/(2η); with grad (m) and the
 * Hessian (m, m) (1/b) Jᵀ H(f + J d) J + I/η when asked. */
static double dense_primal(prob *p, dense *D, double eta, const double *d, double *grad,
                           double *hess)
{
    int n = D->n, c = D->c;
    size_t m = D->m;
    double *z = malloc(sizeof(double) * D->rows), *R = malloc(sizeof(double) * D->rows);
    double H[64 * 64], dd = 0;
    for (int k = 0; k < D->rows; k++) {
        z[k] = D->f[k];
        for (size_t q = 0; q < m; q++)
            z[k] += D->J[k * m + q] * d[q];
    }
    for (size_t q = 0; q < m; q++)
        dd += d[q] * d[q];
    double P = gn_loss_value(p->loss, z, p->Y, n, c) + dd / (2 * eta);
    if (grad) {
        gn_loss_sample_grad(p->loss, z, p->Y, n, c, R);
        for (size_t q = 0; q < m; q++) {
            double s = 0;
            for (int k = 0; k < D->rows; k++)
                s += D->J[k * m + q] * R[k];
            grad[q] = s / n + d[q] / eta;
        }
    }
    if (hess) {
        memset(hess, 0, sizeof(double) * m * m);
        for (int i = 0; i < n; i++) {
            dense_hessian(p->loss, z + i * c, p->Y + i * c, c, H);
            const double *Ji = D->J + (size_t)i * c * m;
            for (int a = 0; a < c; a++)
                for (int e = 0; e < c; e++) {
                    double h = H[a * c + e] / n;
                    if (h == 0) continue;
                    for (size_t u = 0; u < m; u++)
                        for (size_t v = 0; v < m; v++)
                            hess[u * m + v] += h * Ji[a * m + u] * Ji[e * m + v];
                }
        }
        for (size_t u = 0; u < m; u++)
            hess[u * m + u] += 1 / eta;
    }
    free(z), free(R);
    return P;
}

/* The minimizer of P by damped Newton (backtracking on P), or with
 * newton_steps = 1 from d = 0 and a unit step: the Gauss-Newton direction
 * −(JᵀHJ/b + I/η)⁻¹ g. */
static void dense_direction(prob *p, dense *D, double eta, int newton_steps, double *d)
{
    size_t m = D->m;
    double *gr = malloc(sizeof(double) * m), *Hs = malloc(sizeof(double) * m * m);
    double *t = malloc(sizeof(double) * m);
    memset(d, 0, sizeof(double) * m);
    for (int it = 0; it < newton_steps; it++) {
        double P = dense_primal(p, D, eta, d, gr, Hs);
        for (size_t q = 0; q < m; q++)
            gr[q] = -gr[q];
        dense_solve((int)m, Hs, gr);
        double s = 1;
        for (int bt = 0; bt < 40 && newton_steps > 1; bt++, s *= 0.5) {
            for (size_t q = 0; q < m; q++)
                t[q] = d[q] + s * gr[q];
            if (dense_primal(p, D, eta, t, NULL, NULL) <= P) break;
        }
        for (size_t q = 0; q < m; q++)
            d[q] += s * gr[q];
    }
    free(gr), free(Hs), free(t);
}

/* One dgn step from the current parameters; returns its direction in d. */
static void dgn_direction(prob *p, double *d, gn_step_info *info, const char *a, const char *b,
                          const char *c, const char *e, const char *h)
{
    size_t m = p->net.m;
    double *th0 = malloc(sizeof(double) * m);
    memcpy(th0, p->net.theta, sizeof(double) * m);
    gn_optim *o = make_opt("dgn", p, a, b, c, e, h, NULL);
    do_step(o, p, 1, info);
    for (size_t q = 0; q < m; q++)
        d[q] = p->net.theta[q] - th0[q];
    memcpy(p->net.theta, th0, sizeof(double) * m);
    o->ops->destroy(o);
    free(th0);
}

static void check_against_dense(gn_loss_kind loss, int c, const char *form, const char *solver,
                                const char *iters, double tol)
{
    prob p;
    prob_make(&p, loss, 6, 3, c, 51 + c);
    dense D;
    dense_make(&D, &p);
    size_t m = D.m;
    double eta = 0.5;
    double *want = malloc(sizeof(double) * m), *got = malloc(sizeof(double) * m);
    /* square: P is quadratic, one Newton step is exact; xent: the dual form
     * converges to the minimizer of P, the primal form is one Newton step */
    int newton = loss == GN_LOSS_SQUARE || strcmp(form, "primal") == 0 ? 1 : 30;
    dense_direction(&p, &D, eta, newton, want);
    char f[32], s[32], it[32];
    snprintf(f, sizeof f, "form=%s", form);
    snprintf(s, sizeof s, "solver=%s", solver);
    snprintf(it, sizeof it, "inner_iters=%s", iters);
    gn_step_info info;
    dgn_direction(&p, got, &info, "lr=0.5", f, s, it, "tol=0");
    double e = rel_err(m, got, want);
    cr_expect_lt(e, tol, "%s %s %s: relative direction error %.3g", gn_loss_name(loss), form,
                 solver, e);
    if (strcmp(form, "dual") == 0)
        cr_expect_lt(fabs(info.extra[1]), GN_TOL_DUAL_ABS, "dual gap %.3g", info.extra[1]);
    /* the recorded norms: of the step taken and of the dense gradient */
    double sn = gn_nrm2((int)m, got), gn = gn_nrm2((int)m, D.g);
    cr_expect_lt(fabs(info.step_norm - sn), GN_TOL_EXACT_REL * sn, "step norm %.17g vs %.17g",
                 info.step_norm, sn);
    cr_expect_lt(fabs(info.grad_norm - gn), GN_TOL_EXACT_REL * gn, "grad norm %.17g vs %.17g",
                 info.grad_norm, gn);
    free(want), free(got);
    dense_free(&D);
    prob_free(&p);
}

/* The tolerance "tol=0" with enough inner iterations runs the iterative
 * solvers to their rounding floor. */
Test(dgn, square_dual_cholesky_equals_dense_solve)
{
    check_against_dense(GN_LOSS_SQUARE, 2, "dual", "cholesky", "10", GN_TOL_EXACT_REL);
}

Test(dgn, square_dual_cg_equals_dense_solve)
{
    check_against_dense(GN_LOSS_SQUARE, 2, "dual", "cg", "100", GN_TOL_EXACT_REL);
}

Test(dgn, square_primal_cg_equals_dense_solve)
{
    check_against_dense(GN_LOSS_SQUARE, 2, "primal", "cg", "1000", GN_TOL_EXACT_REL);
}

Test(dgn, xent_dual_equals_minimizer_of_the_linearized_problem)
{
    check_against_dense(GN_LOSS_XENT, 3, "dual", "cholesky", "3000", GN_TOL_EXACT_REL);
    check_against_dense(GN_LOSS_XENT, 3, "dual", "cg", "3000", GN_TOL_EXACT_REL);
}

Test(dgn, xent_primal_equals_dense_gauss_newton_solve)
{
    check_against_dense(GN_LOSS_XENT, 3, "primal", "cg", "1000", GN_TOL_EXACT_REL);
}

Test(dgn, square_follows_ggn_mb_with_lr_1_and_damping_b_over_lr)
{
    /* α = (I + (η/b)K)⁻¹ r, d = −(η/b)Jᵀα = −Jᵀ(K + (b/η)I)⁻¹ r:
     * dgn(η) ≡ ggn-mb(lr 1, damping b/η). */
    prob p1, p2;
    prob_make(&p1, GN_LOSS_SQUARE, 7, 3, 2, 8);
    prob_make(&p2, GN_LOSS_SQUARE, 7, 3, 2, 8);
    double eta = 2.5;
    char damp[64];
    snprintf(damp, sizeof damp, "damping=%.17g", p1.n / eta);
    gn_optim *a = make_opt("dgn", &p1, "lr=2.5", "form=dual", NULL);
    gn_optim *b = make_opt("ggn-mb", &p2, "lr=1", damp, NULL);
    gn_step_info i1, i2;
    for (int k = 0; k < 6; k++) {
        do_step(a, &p1, k, &i1);
        do_step(b, &p2, k, &i2);
        double e = rel_err(p1.net.m, p1.net.theta, p2.net.theta);
        cr_expect_lt(e, GN_TOL_EXACT_REL, "step %d: parameters differ by %.3g (relative)", k, e);
        cr_expect_eq(i1.damping, i2.damping);
    }
    cr_expect_lt(loss_now(&p1), i1.batch_loss);
    a->ops->destroy(a);
    b->ops->destroy(b);
    prob_free(&p1);
    prob_free(&p2);
}

/* Runs the inner solver for k = 0..kmax iterations from the same point and
 * checks each direction: ⟨g, d⟩ < 0, the dual objective never decreases,
 * and the gap reaches tol. */
static void check_inner_iterates(gn_loss_kind loss, int c, const char *solver)
{
    prob p;
    prob_make(&p, loss, 6, 3, c, 77);
    dense D;
    dense_make(&D, &p);
    size_t m = D.m;
    double *d = malloc(sizeof(double) * m), prev_dual = -INFINITY, first_gap = NAN, gap = NAN;
    const double tol = 1e-9;
    int k, kmax = 200;
    for (k = 0; k <= kmax; k++) {
        char it[32], s[32];
        snprintf(it, sizeof it, "inner_iters=%d", k);
        snprintf(s, sizeof s, "solver=%s", solver);
        gn_step_info info;
        dgn_direction(&p, d, &info, "lr=3", "tol=1e-9", it, s, "form=dual");
        cr_expect_str_empty(info.note, "%s", info.note);
        double gd = 0, gg = 0;
        for (size_t q = 0; q < m; q++)
            gd += D.g[q] * d[q], gg += D.g[q] * D.g[q];
        cr_expect_lt(gd, 0, "%s: inner iterate %d: <g, d> = %.3g", solver, k, gd);
        double dual = info.extra[0];
        gap = info.extra[1];
        cr_expect_geq(gap, -GN_TOL_DUAL_ABS, "negative gap %.3g", gap);
        cr_expect_geq(dual, prev_dual - GN_TOL_DUAL_ABS, "%s: dual objective fell at iterate %d",
                      solver, k);
        prev_dual = dual;
        if (k == 0) {
            first_gap = gap;
            /* the gradient step: d = −η g */
            cr_expect_lt(fabs(gd + 3 * gg), GN_TOL_EXACT_REL * 3 * gg);
        }
        if (info.extra[2] < k) break; /* converged below tol */
    }
    cr_expect_leq(gap, tol, "%s: gap %.3g after %d iterations (started %.3g)", solver, gap, k,
                  first_gap);
    cr_expect_gt(first_gap, 1e3 * tol);
    free(d);
    dense_free(&D);
    prob_free(&p);
}

Test(dgn, every_xent_inner_iterate_descends_and_the_gap_closes)
{
    check_inner_iterates(GN_LOSS_XENT, 3, "cholesky");
    check_inner_iterates(GN_LOSS_XENT, 3, "cg");
}

Test(dgn, every_square_cg_iterate_descends_and_the_gap_closes)
{
    check_inner_iterates(GN_LOSS_SQUARE, 2, "cg");
}

Test(dgn, zero_inner_iterations_is_sgd)
{
    prob p1, p2;
    prob_make(&p1, GN_LOSS_XENT, 7, 3, 3, 4);
    prob_make(&p2, GN_LOSS_XENT, 7, 3, 3, 4);
    gn_optim *a = make_opt("dgn", &p1, "lr=0.3", "inner_iters=0", "solver=cg", NULL);
    gn_optim *b = make_opt("sgd", &p2, "lr=0.3", NULL);
    gn_step_info i1, i2;
    for (int k = 0; k < 3; k++) {
        do_step(a, &p1, k, &i1);
        do_step(b, &p2, k, &i2);
    }
    double e = rel_err(p1.net.m, p1.net.theta, p2.net.theta);
    cr_expect_lt(e, GN_TOL_EXACT_REL, "relative difference %.3g", e);
    a->ops->destroy(a);
    b->ops->destroy(b);
    prob_free(&p1);
    prob_free(&p2);
}

Test(dgn, adam_base_is_fed_minus_d_over_lr)
{
    /* inner_iters = 0: ĝ = −d/η = g, and Adam's first step is
     * −adam_lr g / (|g| + eps) componentwise */
    prob p;
    prob_make(&p, GN_LOSS_XENT, 7, 3, 3, 4);
    dense D;
    dense_make(&D, &p);
    size_t m = D.m;
    double *d = malloc(sizeof(double) * m), *want = malloc(sizeof(double) * m);
    gn_step_info info;
    dgn_direction(&p, d, &info, "base=adam", "adam_lr=0.01", "inner_iters=0", "lr=0.7",
                  "form=dual");
    for (size_t q = 0; q < m; q++)
        want[q] = -0.01 * D.g[q] / (fabs(D.g[q]) + 1e-8);
    cr_expect_lt(rel_err(m, d, want), GN_TOL_EXACT_REL);
    free(d), free(want);
    dense_free(&D);
    prob_free(&p);
}

Test(dgn, default_settings_descend_and_report_the_dual)
{
    gn_loss_kind losses[] = {GN_LOSS_SQUARE, GN_LOSS_XENT};
    for (int l = 0; l < 2; l++) {
        prob p;
        prob_make(&p, losses[l], 7, 3, 3, 21);
        gn_optim *o = make_opt("dgn", &p, "lr=0.5", NULL);
        gn_step_info info;
        double prev = loss_now(&p);
        for (int k = 0; k < 3; k++) {
            do_step(o, &p, k, &info);
            double now = loss_now(&p);
            cr_expect_lt(now, prev, "%s step %d", gn_loss_name(losses[l]), k);
            prev = now;
            cr_expect(isfinite(info.extra[0]) && isfinite(info.extra[1]) && info.extra[2] >= 0);
        }
        o->ops->destroy(o);
        prob_free(&p);
    }
}
