/* test_smw.c: the Sherman-Morrison-Woodbury solves of smw.c against a
 * dense m×m solve, the U / Uᵀ products against the explicit U, recovery
 * from a failed factorization, and the curvature subsets. */
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
#include "model/mlp_gram2.h"
#include "optim/optim.h"
#include "core/params.h"
#include "core/rng.h"
#include "optim/smw.h"
#include "tolerances.h"
#include "oracle.h"

enum { W_IDENTITY, W_HESS, W_FISHER };

/* Fills the factors for the forwarded batch and forms U Uᵀ; writes the
 * explicit U (b p, m) = blockdiag(W_iᵀ) J into U. Returns p. */
static int setup(gn_smw *s, prob *p, int kind, double *U)
{
    int n = p->n, c = p->c, pw = kind == W_FISHER ? 1 : c;
    size_t m = p->net.m;
    const double *F = gn_mlp_forward(&p->net, p->X, n);
    if (kind == W_HESS) gn_loss_hess_factor(p->loss, F, n, c, s->W);
    if (kind == W_FISHER) gn_loss_sample_grad(p->loss, F, p->Y, n, c, s->W);
    double *J = malloc(sizeof(double) * n * c * m);
    gn_mlp_jacobian(&p->net, J);
    for (int i = 0; i < n; i++)
        for (int a = 0; a < pw; a++)
            for (size_t q = 0; q < m; q++) {
                double v = 0;
                for (int k = 0; k < c; k++) {
                    double w = kind == W_IDENTITY ? (k == a) : s->W[(i * c + k) * pw + a];
                    v += w * J[((size_t)i * c + k) * m + q];
                }
                U[((size_t)i * pw + a) * m + q] = v;
            }
    free(J);
    gn_smw_gram(s, &p->net, pw, kind == W_IDENTITY);
    return pw;
}

static void check_identity(gn_loss_kind loss, int c, int kind, double lam)
{
    prob p;
    prob_make(&p, loss, 6, 3, c, 3 + kind);
    size_t m = p.net.m;
    int n = p.n;
    gn_smw s;
    char err[128];
    cr_assert_eq(gn_smw_init(&s, &p.net, n, c, err, sizeof err), 0, "%s", err);
    double *U = malloc(sizeof(double) * n * c * m), *G = calloc(m * m, sizeof(double));
    double *g = malloc(sizeof(double) * m), *want = malloc(sizeof(double) * m);
    double *got = malloc(sizeof(double) * m);
    int pw = setup(&s, &p, kind, U), rows = n * pw;
    gn_rng r;
    gn_rng_seed(&r, 1, "g");
    for (size_t q = 0; q < m; q++)
        want[q] = -(g[q] = gn_rng_normal(&r));
    for (int k = 0; k < rows; k++)
        for (size_t a = 0; a < m; a++)
            for (size_t e = 0; e < m; e++)
                G[a * m + e] += U[k * m + a] * U[k * m + e] / n;
    for (size_t a = 0; a < m; a++)
        G[a * m + a] += lam;
    dense_solve((int)m, G, want);
    double used;
    int raises;
    cr_assert_eq(gn_smw_direction(&s, &p.net, g, lam, got, &used, &raises), 0);
    cr_expect_eq(raises, 0);
    cr_expect_eq(used, lam);
    double e = rel_err(m, got, want);
    cr_expect_lt(e, GN_TOL_EXACT_REL, "%s, kind %d, lambda %g: relative error %.3g",
                 gn_loss_name(loss), kind, lam, e);
    free(U), free(G), free(g), free(want), free(got);
    gn_smw_free(&s);
    prob_free(&p);
}

Test(smw, identity_equals_dense_solve_square)
{
    check_identity(GN_LOSS_SQUARE, 2, W_IDENTITY, 0.1);
    check_identity(GN_LOSS_SQUARE, 2, W_HESS, 0.1); /* W_i = I written out */
    check_identity(GN_LOSS_SQUARE, 2, W_FISHER, 0.1);
}

Test(smw, identity_equals_dense_solve_xent)
{
    check_identity(GN_LOSS_XENT, 3, W_HESS, 0.1);
    check_identity(GN_LOSS_XENT, 3, W_FISHER, 0.1);
    check_identity(GN_LOSS_XENT, 3, W_HESS, 3.0);
}

Test(smw, identity_equals_dense_solve_bxent)
{
    check_identity(GN_LOSS_BXENT, 3, W_HESS, 0.1); /* diagonal factors */
    check_identity(GN_LOSS_BXENT, 3, W_FISHER, 0.1);
}

/* U v, Uᵀ x and U Uᵀ against the explicit U; `diagonal`: whether the
 * factors are expected to take the diagonal (scaling) path. */
static void check_products(gn_loss_kind loss, int diagonal)
{
    prob p;
    prob_make(&p, loss, 5, 3, 3, 2);
    size_t m = p.net.m;
    int n = p.n, c = p.c;
    gn_smw s;
    char err[128];
    cr_assert_eq(gn_smw_init(&s, &p.net, n, c, err, sizeof err), 0, "%s", err);
    double *U = malloc(sizeof(double) * n * c * m), *v = malloc(sizeof(double) * m);
    double *x = malloc(sizeof(double) * n * c), *o1 = malloc(sizeof(double) * m);
    double *o2 = malloc(sizeof(double) * m), *u1 = malloc(sizeof(double) * n * c);
    double *u2 = malloc(sizeof(double) * n * c);
    int rows = n * setup(&s, &p, W_HESS, U);
    cr_expect_eq(s.diagonal, diagonal, "%s: diagonal path %d", gn_loss_name(loss), s.diagonal);
    gn_rng r;
    gn_rng_seed(&r, 4, "v");
    for (size_t q = 0; q < m; q++)
        v[q] = gn_rng_normal(&r);
    for (int k = 0; k < rows; k++)
        x[k] = gn_rng_normal(&r);
    gn_smw_apply_u(&s, &p.net, v, u1);
    gn_smw_apply_ut(&s, &p.net, x, o1);
    for (int k = 0; k < rows; k++) {
        u2[k] = 0;
        for (size_t q = 0; q < m; q++)
            u2[k] += U[k * m + q] * v[q];
    }
    for (size_t q = 0; q < m; q++) {
        o2[q] = 0;
        for (int k = 0; k < rows; k++)
            o2[q] += U[k * m + q] * x[k];
    }
    cr_expect_lt(rel_err(rows, u1, u2), GN_TOL_EXACT_REL);
    cr_expect_lt(rel_err(m, o1, o2), GN_TOL_EXACT_REL);
    /* S = U Uᵀ */
    double s2 = 0, d2 = 0;
    for (int a = 0; a < rows; a++)
        for (int e = 0; e < rows; e++) {
            double t = 0;
            for (size_t q = 0; q < m; q++)
                t += U[a * m + q] * U[e * m + q];
            d2 += (s.S[a * rows + e] - t) * (s.S[a * rows + e] - t), s2 += t * t;
        }
    cr_expect_lt(sqrt(d2 / s2), GN_TOL_EXACT_REL);
    free(U), free(v), free(x), free(o1), free(o2), free(u1), free(u2);
    gn_smw_free(&s);
    prob_free(&p);
}

Test(smw, products_match_the_explicit_u)
{
    check_products(GN_LOSS_XENT, 0);  /* dense A_i: block transforms */
    check_products(GN_LOSS_BXENT, 1); /* diagonal A_i: scalings */
}

Test(smw, failed_factorization_raises_damping_and_uses_it_throughout)
{
    /* xent: every A_i has the null vector 1, so U Uᵀ is singular and a
     * damping of 1e-300 cannot be factored */
    prob p;
    prob_make(&p, GN_LOSS_XENT, 6, 3, 3, 7);
    size_t m = p.net.m;
    int n = p.n, c = p.c;
    gn_smw s;
    char err[128];
    cr_assert_eq(gn_smw_init(&s, &p.net, n, c, err, sizeof err), 0, "%s", err);
    double *U = malloc(sizeof(double) * n * c * m), *G = calloc(m * m, sizeof(double));
    double *g = malloc(sizeof(double) * m), *want = malloc(sizeof(double) * m);
    double *got = malloc(sizeof(double) * m);
    int rows = n * setup(&s, &p, W_HESS, U);
    for (size_t q = 0; q < m; q++)
        g[q] = 1.0 / (1 + q);
    double used;
    int raises;
    cr_assert_eq(gn_smw_direction(&s, &p.net, g, 1e-300, got, &used, &raises), 0);
    cr_expect_gt(raises, 0);
    cr_expect_gt(used, 1e-300);
    for (size_t q = 0; q < m; q++)
        want[q] = -g[q];
    for (int k = 0; k < rows; k++)
        for (size_t a = 0; a < m; a++)
            for (size_t e = 0; e < m; e++)
                G[a * m + e] += U[k * m + a] * U[k * m + e] / n;
    for (size_t a = 0; a < m; a++)
        G[a * m + a] += used;
    dense_solve((int)m, G, want);
    /* the raised damping is tiny relative to the curvature, so the system
     * is ill-conditioned: κ <= (trace(UᵀU)/b + λ) / λ */
    double tr = 0;
    for (int k = 0; k < rows; k++)
        tr += s.S[k * rows + k];
    double kappa = (tr / n + used) / used;
    cr_expect_lt(rel_err(m, got, want), GN_TOL_COND_FACTOR * DBL_EPSILON * kappa,
                 "error %.3g at lambda %.3g (condition <= %.3g)", rel_err(m, got, want), used,
                 kappa);
    free(U), free(G), free(g), free(want), free(got);
    gn_smw_free(&s);
    prob_free(&p);
}

Test(smw, subsets_are_sorted_distinct_and_reproducible)
{
    int a[20], b[20], c[20];
    gn_smw_subset(3, 7, 20, 6, a);
    gn_smw_subset(3, 7, 20, 6, b);
    gn_smw_subset(3, 8, 20, 6, c);
    cr_expect_eq(memcmp(a, b, sizeof(int) * 6), 0);
    cr_expect_neq(memcmp(a, c, sizeof(int) * 6), 0);
    for (int j = 0; j < 6; j++) {
        cr_expect(a[j] >= 0 && a[j] < 20);
        if (j) cr_expect_lt(a[j - 1], a[j]);
    }
    gn_smw_subset(3, 7, 5, 9, a);
    for (int j = 0; j < 5; j++)
        cr_expect_eq(a[j], j);
}

/* M_ij = (J_iᵀ P_i)·(J_jᵀ Q_j) from the explicit Jacobian, against
 * gn_mlp_cot_gram, for P = Q and P ≠ Q. */
static void check_cot_gram(int bias, int ntk, gn_act act)
{
    int n = 5, d = 3, c = 3;
    gn_mlp net;
    gn_mlp_config cfg = {.n_layers = 3,
                         .sizes = {d, 6, 4, c},
                         .act = act,
                         .ntk = ntk,
                         .bias = bias,
                         .output_scale = 0.7};
    char err[128];
    gn_blas_init(1);
    cr_assert_eq(gn_mlp_init(&net, &cfg, n, err, sizeof err), 0, "%s", err);
    gn_rng r;
    gn_rng_seed(&r, 11 + bias, "cot-gram");
    gn_mlp_init_params(&net, &r);
    size_t m = net.m;
    double X[5 * 3], P[5 * 3], Q[5 * 3], M1[25], M2[25];
    for (int j = 0; j < n * d; j++)
        X[j] = gn_rng_normal(&r);
    for (int j = 0; j < n * c; j++)
        P[j] = gn_rng_normal(&r), Q[j] = gn_rng_normal(&r);
    double *J = malloc(sizeof(double) * n * c * m), *up = malloc(sizeof(double) * n * m);
    double *uq = malloc(sizeof(double) * n * m);
    gn_mlp_forward(&net, X, n);
    gn_mlp_jacobian(&net, J);
    for (int i = 0; i < n; i++)
        for (size_t q = 0; q < m; q++) {
            double a = 0, e = 0;
            for (int k = 0; k < c; k++) {
                a += P[i * c + k] * J[((size_t)i * c + k) * m + q];
                e += Q[i * c + k] * J[((size_t)i * c + k) * m + q];
            }
            up[i * m + q] = a, uq[i * m + q] = e;
        }
    gn_mlp_cot_gram(&net, P, NULL, M1);
    gn_mlp_cot_gram(&net, P, Q, M2);
    double w1[25], w2[25];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            w1[i * n + j] = w2[i * n + j] = 0;
            for (size_t q = 0; q < m; q++) {
                w1[i * n + j] += up[i * m + q] * up[j * m + q];
                w2[i * n + j] += up[i * m + q] * uq[j * m + q];
            }
        }
    cr_expect_lt(rel_err(25, M1, w1), GN_TOL_EXACT_REL, "bias %d: P = Q", bias);
    cr_expect_lt(rel_err(25, M2, w2), GN_TOL_EXACT_REL, "bias %d: P != Q", bias);
    free(J), free(up), free(uq);
    gn_mlp_free(&net);
}

Test(smw, sample_gram_equals_explicit_per_sample_gradients)
{
    check_cot_gram(1, 1, GN_ACT_TANH);
    check_cot_gram(0, 0, GN_ACT_SOFTPLUS);
}
