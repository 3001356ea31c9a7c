/* test_loss.c: the losses against independent oracles — gradients against
 * central finite differences of the value, factored Hessians against finite
 * differences (of the gradient and, independently, second differences of
 * the value), overflow safety for huge logits, accuracy on hand-made cases
 * and the predictive sampler against its probabilities. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/loss.h"
#include "core/rng.h"
#include "tolerances.h"

static double rel_err(const double *a, const double *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t j = 0; j < n; j++) {
        d += (a[j] - b[j]) * (a[j] - b[j]);
        s += b[j] * b[j];
    }
    return sqrt(d) / (sqrt(s) + 1e-300);
}

/* Random outputs F (b, c) and valid targets Y (b, c) for loss k: square:
 * normal; xent: one-hot of a random class, scaled by a per-sample weight
 * when weighted; bxent: uniform in [0, 1]. */
static void make_data(gn_loss_kind k, int b, int c, int weighted, gn_rng *r, double *F, double *Y)
{
    for (int j = 0; j < b * c; j++)
        F[j] = 2.0 * gn_rng_normal(r);
    for (int i = 0; i < b; i++) {
        double *y = Y + (size_t)i * c;
        switch (k) {
        case GN_LOSS_XENT: {
            int cls = (int)gn_rng_below(r, (uint64_t)c);
            double w = weighted ? 0.25 + 2.0 * gn_rng_uniform(r) : 1.0;
            for (int j = 0; j < c; j++)
                y[j] = j == cls ? w : 0.0;
            break;
        }
        case GN_LOSS_BXENT:
            for (int j = 0; j < c; j++)
                y[j] = gn_rng_uniform(r);
            break;
        default:
            for (int j = 0; j < c; j++)
                y[j] = gn_rng_normal(r);
        }
    }
}

typedef struct lcase {
    gn_loss_kind kind;
    int weighted; /* xent only: one-hot targets scaled by a sample weight */
} lcase;

static lcase grad_cases[] = {
    {GN_LOSS_SQUARE, 0},
    {GN_LOSS_XENT, 0},
    {GN_LOSS_XENT, 1},
    {GN_LOSS_BXENT, 0},
};

ParameterizedTestParameters(loss, gradient_matches_finite_differences)
{
    return cr_make_param_array(lcase, grad_cases, sizeof grad_cases / sizeof grad_cases[0]);
}

ParameterizedTest(lcase *tc, loss, gradient_matches_finite_differences)
{
    enum { B = 5, C = 4 };
    gn_rng r;
    gn_rng_seed(&r, 3 + (uint64_t)tc->kind, "loss-grad");
    double F[B * C], Y[B * C], G[B * C], R[B * C], fd[B * C];
    make_data(tc->kind, B, C, tc->weighted, &r, F, Y);
    gn_loss_grad(tc->kind, F, Y, B, C, G);
    gn_loss_sample_grad(tc->kind, F, Y, B, C, R);
    for (int j = 0; j < B * C; j++) {
        double keep = F[j];
        F[j] = keep + GN_TOL_FD_STEP;
        double lp = gn_loss_value(tc->kind, F, Y, B, C);
        F[j] = keep - GN_TOL_FD_STEP;
        double lm = gn_loss_value(tc->kind, F, Y, B, C);
        F[j] = keep;
        fd[j] = (lp - lm) / (2 * GN_TOL_FD_STEP);
    }
    double e = rel_err(G, fd, B * C);
    cr_expect_lt(e, GN_TOL_FD_REL, "%s%s: gradient relative error %.3g", gn_loss_name(tc->kind),
                 tc->weighted ? " (weighted)" : "", e);
    /* the per-sample gradient is the mean's gradient without the 1/b */
    for (int j = 0; j < B * C; j++)
        cr_expect_lt(fabs(R[j] - B * G[j]), 1e-15 * (1 + fabs(R[j])), "%s: R[%d] %.17g, b G %.17g",
                     gn_loss_name(tc->kind), j, R[j], B * G[j]);
}

Test(loss, weighted_xent_scales_the_sample_loss)
{
    /* target w e_k: the per-sample loss is w (−log softmax(f)_k) */
    double f[3] = {0.3, -1.2, 2.0}, y[3] = {0, 2.5, 0};
    double lse = log(exp(0.3) + exp(-1.2) + exp(2.0));
    double want = 2.5 * (lse - (-1.2));
    double got = gn_loss_value(GN_LOSS_XENT, f, y, 1, 3);
    cr_expect_lt(fabs(got - want), GN_TOL_EXACT_REL * want, "got %.17g want %.17g", got, want);
}

Test(loss, xent_handles_more_classes_than_any_fixed_buffer)
{
    /* c = 5000 classes (loss.c once kept softmax in a 4096-entry stack
     * buffer): the gradient still matches finite differences, and a class
     * with almost all the mass is sampled. */
    enum { C = 5000 };
    double *f = malloc(sizeof(double) * C), *y = calloc(C, sizeof(double));
    double *g = malloc(sizeof(double) * C);
    gn_rng r;
    gn_rng_seed(&r, 8, "loss-wide");
    for (int j = 0; j < C; j++)
        f[j] = gn_rng_normal(&r);
    y[4321] = 1.0;
    gn_loss_grad(GN_LOSS_XENT, f, y, 1, C, g);
    const int probe[4] = {0, 4096, 4321, C - 1};
    for (int q = 0; q < 4; q++) {
        int j = probe[q];
        double keep = f[j];
        f[j] = keep + GN_TOL_FD_STEP;
        double lp = gn_loss_value(GN_LOSS_XENT, f, y, 1, C);
        f[j] = keep - GN_TOL_FD_STEP;
        double lm = gn_loss_value(GN_LOSS_XENT, f, y, 1, C);
        f[j] = keep;
        double fd = (lp - lm) / (2 * GN_TOL_FD_STEP);
        cr_expect_lt(fabs(g[j] - fd), GN_TOL_FD_REL * (fabs(fd) + 1e-3), "class %d: %.10g vs %.10g",
                     j, g[j], fd);
    }
    f[4999] = 40.0; /* p ≈ 1 − 5000 e^{-40} */
    gn_loss_sample_targets(GN_LOSS_XENT, f, 1, C, &r, y);
    cr_expect_eq(y[4999], 1.0);
    free(f), free(y), free(g);
}

static const gn_loss_kind hess_kinds[] = {GN_LOSS_SQUARE, GN_LOSS_XENT, GN_LOSS_BXENT};

ParameterizedTestParameters(loss, hessian_factor_matches_finite_differences)
{
    return cr_make_param_array(gn_loss_kind, (void *)hess_kinds, 3);
}

/* H (c, c) = A Aᵀ from one (c, c) block of the factor. */
static void outer(int c, const double *A, double *H)
{
    for (int r = 0; r < c; r++)
        for (int s = 0; s < c; s++) {
            double v = 0;
            for (int t = 0; t < c; t++)
                v += A[r * c + t] * A[s * c + t];
            H[r * c + s] = v;
        }
}

ParameterizedTest(gn_loss_kind *kind, loss, hessian_factor_matches_finite_differences)
{
    enum { B = 4, C = 5 };
    gn_loss_kind k = *kind;
    gn_rng r;
    gn_rng_seed(&r, 11 + (uint64_t)k, "loss-hess");
    double F[B * C], Y[B * C], A[B * C * C];
    make_data(k, B, C, 0, &r, F, Y);
    gn_loss_hess_factor(k, F, B, C, A);
    for (int i = 0; i < B; i++) {
        double *f = F + i * C, *y = Y + i * C;
        double H[C * C], Hg[C * C], Hv[C * C], gp[C], gm[C];
        outer(C, A + i * C * C, H);
        /* (1) central differences of the per-sample gradient */
        for (int s = 0; s < C; s++) {
            double keep = f[s];
            f[s] = keep + GN_TOL_FD_STEP;
            gn_loss_sample_grad(k, f, y, 1, C, gp);
            f[s] = keep - GN_TOL_FD_STEP;
            gn_loss_sample_grad(k, f, y, 1, C, gm);
            f[s] = keep;
            for (int t = 0; t < C; t++)
                Hg[t * C + s] = (gp[t] - gm[t]) / (2 * GN_TOL_FD_STEP);
        }
        /* (2) second differences of the per-sample value, independent of
         * the gradient code */
        const double h = GN_TOL_FD2_STEP;
        for (int s = 0; s < C; s++)
            for (int t = 0; t < C; t++) {
                const int sg[4][2] = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}};
                double v[4], fw[C];
                for (int q = 0; q < 4; q++) {
                    memcpy(fw, f, sizeof fw);
                    fw[s] += sg[q][0] * h;
                    fw[t] += sg[q][1] * h;
                    v[q] = gn_loss_value(k, fw, y, 1, C);
                }
                Hv[s * C + t] = (v[0] - v[1] - v[2] + v[3]) / (4 * h * h);
            }
        double eg = rel_err(H, Hg, C * C), ev = rel_err(H, Hv, C * C);
        cr_expect_lt(eg, GN_TOL_FD_REL, "%s sample %d: A Aᵀ vs FD of the gradient: %.3g",
                     gn_loss_name(k), i, eg);
        cr_expect_lt(ev, GN_TOL_FD2_REL, "%s sample %d: A Aᵀ vs second differences: %.3g",
                     gn_loss_name(k), i, ev);
    }
}

Test(loss, xent_hessian_factor_rows_are_a_valid_square_root)
{
    /* diag(p) − ppᵀ has the null vector 1: so must A Aᵀ */
    double f[4] = {0.1, -0.7, 1.3, 0.2}, A[16], H[16];
    gn_loss_hess_factor(GN_LOSS_XENT, f, 1, 4, A);
    outer(4, A, H);
    for (int r = 0; r < 4; r++) {
        double s = 0;
        for (int t = 0; t < 4; t++)
            s += H[r * 4 + t];
        cr_expect_lt(fabs(s), 1e-15, "row %d of A Aᵀ sums to %.3g", r, s);
    }
}

Test(loss, huge_logits_give_finite_values_and_gradients)
{
    enum { B = 3, C = 3 };
    double F[B * C] = {1000, -1000, 0, -1000, 1000, -1000, 1000, 1000, -1000};
    double Yx[B * C] = {1, 0, 0, 1, 0, 0, 0, 0, 1}; /* one-hot */
    double Yb[B * C] = {1, 0, 1, 1, 1, 0, 0, 1, 0}; /* per output */
    double G[B * C], A[B * C * C];
    for (int k = 0; k < GN_LOSS_COUNT; k++) {
        const double *Y = k == GN_LOSS_XENT ? Yx : Yb;
        double v = gn_loss_value((gn_loss_kind)k, F, Y, B, C);
        cr_expect(isfinite(v), "%s: value %g", gn_loss_name((gn_loss_kind)k), v);
        gn_loss_grad((gn_loss_kind)k, F, Y, B, C, G);
        gn_loss_hess_factor((gn_loss_kind)k, F, B, C, A);
        for (int j = 0; j < B * C; j++)
            cr_expect(isfinite(G[j]), "%s: gradient[%d] %g", gn_loss_name((gn_loss_kind)k), j,
                      G[j]);
        for (int j = 0; j < B * C * C; j++)
            cr_expect(isfinite(A[j]), "%s: factor[%d] %g", gn_loss_name((gn_loss_kind)k), j, A[j]);
    }
    /* exact limits: xent per sample: 0 (f_y dominates), 2000 (f_y = −1000
     * vs 1000), 2000 + log 2 (two logits tie at 1000); mean / 3 */
    double vx = gn_loss_value(GN_LOSS_XENT, F, Yx, B, C);
    double want_x = (0 + 2000 + 2000 + log(2.0)) / 3;
    cr_expect_lt(fabs(vx - want_x), GN_TOL_EXACT_REL * want_x, "xent %.17g want %.17g", vx, want_x);
    gn_loss_grad(GN_LOSS_XENT, F, Yx, B, C, G);
    double gx[B * C] = {0, 0, 0, -1, 1, 0, 0.5, 0.5, -1};
    for (int j = 0; j < B * C; j++)
        cr_expect_lt(fabs(G[j] - gx[j] / B), 1e-15, "xent gradient[%d] %.17g", j, G[j]);
    /* bxent: log(1 + e^f) − y f is 0 for a confident right answer and |f|
     * for a confident wrong one; 0 logits cost log 2 */
    double vb = gn_loss_value(GN_LOSS_BXENT, F, Yb, B, C);
    /* sample 0: (1000, y=1) 0; (−1000, y=0) 0; (0, y=1) log 2
     * sample 1: (−1000, y=1) 1000; (1000, y=1) 0; (−1000, y=0) 0
     * sample 2: (1000, y=0) 1000; (1000, y=1) 0; (−1000, y=0) 0 */
    double want_b = (log(2.0) + 1000 + 1000) / B;
    cr_expect_lt(fabs(vb - want_b), GN_TOL_EXACT_REL * want_b, "bxent %.17g want %.17g", vb,
                 want_b);
}

Test(loss, accuracy_counts_hand_made_cases)
{
    /* xent: argmax of f against argmax of the one-hot target */
    double F[4 * 3] = {2, 1, 0, 0, 5, 1, -1, -2, -3, 0, 0, 1};
    double Y[4 * 3] = {1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1};
    cr_expect_float_eq(gn_loss_accuracy(GN_LOSS_XENT, F, Y, 4, 3), 0.75, 0);
    /* bxent: per output (f > 0) == (y > 0.5), averaged over outputs then samples */
    double Fb[2 * 2] = {1, -1, -0.5, 3}, Yb[2 * 2] = {1, 1, 0.2, 0.9};
    cr_expect_float_eq(gn_loss_accuracy(GN_LOSS_BXENT, Fb, Yb, 2, 2), 0.75, 0);
    cr_expect(isnan(gn_loss_accuracy(GN_LOSS_SQUARE, F, Y, 4, 3)));
    cr_expect(isnan(gn_loss_accuracy(GN_LOSS_XENT, F, Y, 0, 3)));
}

Test(loss, names_round_trip)
{
    for (int k = 0; k < GN_LOSS_COUNT; k++) {
        gn_loss_kind got;
        cr_expect_eq(gn_loss_parse(gn_loss_name((gn_loss_kind)k), &got), 0);
        cr_expect_eq(got, k);
    }
    gn_loss_kind got;
    cr_expect_eq(gn_loss_parse("hinge", &got), -1);
    cr_expect_eq(gn_loss_parse(NULL, &got), -1);
    cr_expect(gn_loss_is_classification(GN_LOSS_XENT) && gn_loss_is_classification(GN_LOSS_BXENT));
    cr_expect(!gn_loss_is_classification(GN_LOSS_SQUARE));
}

/* Sampling: each frequency must lie within GN_TOL_SIGMAS binomial standard
 * deviations of its probability. */
enum { NS = 200000 };

Test(loss, xent_samples_follow_the_softmax)
{
    enum { C = 4 };
    double f[C] = {0.5, -1.0, 1.5, 0.0}, p[C], z = 0;
    for (int j = 0; j < C; j++)
        z += exp(f[j]);
    for (int j = 0; j < C; j++)
        p[j] = exp(f[j]) / z;
    double *F = malloc(sizeof(double) * NS * C), *Y = malloc(sizeof(double) * NS * C);
    for (int i = 0; i < NS; i++)
        memcpy(F + (size_t)i * C, f, sizeof f);
    gn_rng r;
    gn_rng_seed(&r, 5, "loss-sample");
    gn_loss_sample_targets(GN_LOSS_XENT, F, NS, C, &r, Y);
    double cnt[C] = {0};
    for (int i = 0; i < NS; i++) {
        double s = 0;
        for (int j = 0; j < C; j++) {
            double y = Y[(size_t)i * C + j];
            cr_assert(y == 0.0 || y == 1.0, "row %d is not one-hot", i);
            s += y, cnt[j] += y;
        }
        cr_assert_eq(s, 1.0, "row %d is not one-hot", i);
    }
    for (int j = 0; j < C; j++) {
        double sd = sqrt(p[j] * (1 - p[j]) / NS), fr = cnt[j] / NS;
        cr_expect_lt(fabs(fr - p[j]), GN_TOL_SIGMAS * sd, "class %d: frequency %.5f, p %.5f", j, fr,
                     p[j]);
    }
    free(F), free(Y);
}

Test(loss, bxent_samples_follow_the_sigmoid)
{
    enum { C = 3 };
    double f[C] = {-2.0, 0.0, 0.8};
    double *F = malloc(sizeof(double) * NS * C), *Y = malloc(sizeof(double) * NS * C);
    for (int i = 0; i < NS; i++)
        memcpy(F + (size_t)i * C, f, sizeof f);
    gn_rng r;
    gn_rng_seed(&r, 6, "loss-sample");
    gn_loss_sample_targets(GN_LOSS_BXENT, F, NS, C, &r, Y);
    for (int j = 0; j < C; j++) {
        double p = 1 / (1 + exp(-f[j])), cnt = 0;
        for (int i = 0; i < NS; i++) {
            double y = Y[(size_t)i * C + j];
            cr_assert(y == 0.0 || y == 1.0);
            cnt += y;
        }
        double sd = sqrt(p * (1 - p) / NS), fr = cnt / NS;
        cr_expect_lt(fabs(fr - p), GN_TOL_SIGMAS * sd, "output %d: frequency %.5f, p %.5f", j, fr,
                     p);
    }
    free(F), free(Y);
}

Test(loss, square_samples_add_unit_gaussian_noise)
{
    enum { C = 2 };
    double f[C] = {3.0, -0.5};
    double *F = malloc(sizeof(double) * NS * C), *Y = malloc(sizeof(double) * NS * C);
    for (int i = 0; i < NS; i++)
        memcpy(F + (size_t)i * C, f, sizeof f);
    gn_rng r;
    gn_rng_seed(&r, 7, "loss-sample");
    gn_loss_sample_targets(GN_LOSS_SQUARE, F, NS, C, &r, Y);
    for (int j = 0; j < C; j++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < NS; i++) {
            double e = Y[(size_t)i * C + j] - f[j];
            s += e, s2 += e * e;
        }
        double mean = s / NS, var = s2 / NS - mean * mean;
        /* sd of the mean 1/√N, of the variance of N(0,1) samples √(2/N) */
        cr_expect_lt(fabs(mean), GN_TOL_SIGMAS / sqrt(NS), "output %d: mean noise %.5f", j, mean);
        cr_expect_lt(fabs(var - 1), GN_TOL_SIGMAS * sqrt(2.0 / NS), "output %d: variance %.5f", j,
                     var);
    }
    free(F), free(Y);
}
