/* test_sgn.c: the subsampled Gauss-Newton step (`sgn`) against a dense m×m
 * solve, its equivalence with `ggn-mb`, and the Levenberg-Marquardt rule. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "loss.h"
#include "mlp.h"
#include "optim.h"
#include "params.h"
#include "rng.h"
#include "smw.h"
#include "tolerances.h"

typedef struct prob {
    gn_mlp net;
    double *X, *Y;
    int n, d, c;
    gn_loss_kind loss;
} prob;

/* A tiny tanh network with n samples: square targets are smooth functions
 * plus noise, xent targets one-hot classes, bxent targets values in [0, 1]. */
static void prob_make(prob *p, gn_loss_kind loss, int n, int d, int c, uint64_t seed)
{
    gn_blas_init(1);
    gn_mlp_config cfg = {.n_layers = 3,
                         .sizes = {d, 6, 5, c},
                         .act = GN_ACT_TANH,
                         .ntk = 1,
                         .bias = 1,
                         .output_scale = 1};
    char err[128];
    cr_assert_eq(gn_mlp_init(&p->net, &cfg, n, err, sizeof err), 0, "%s", err);
    gn_rng r;
    gn_rng_seed(&r, seed, "problem");
    gn_mlp_init_params(&p->net, &r);
    p->n = n, p->d = d, p->c = c, p->loss = loss;
    p->X = malloc(sizeof(double) * n * d);
    p->Y = malloc(sizeof(double) * n * c);
    for (int j = 0; j < n * d; j++)
        p->X[j] = gn_rng_normal(&r);
    for (int i = 0; i < n; i++) {
        int cls = (int)gn_rng_below(&r, (uint64_t)c);
        for (int k = 0; k < c; k++) {
            double *y = &p->Y[i * c + k];
            if (loss == GN_LOSS_XENT)
                *y = k == cls;
            else if (loss == GN_LOSS_BXENT)
                *y = gn_rng_uniform(&r);
            else
                *y = sin(2.0 * p->X[i * d + k % d]) + 0.3 * gn_rng_normal(&r);
        }
    }
}

static void prob_free(prob *p)
{
    gn_mlp_free(&p->net);
    free(p->X), free(p->Y);
}

/* An optimizer from "key=value" settings (opt. prefixed), NULL-terminated. */
static gn_optim *make_opt(const char *name, prob *p, ...)
{
    const gn_optim_ops *ops = gn_optim_find(name);
    cr_assert_not_null(ops, "%s", name);
    gn_settings s;
    gn_settings_init(&s);
    va_list ap;
    va_start(ap, p);
    for (const char *kv; (kv = va_arg(ap, const char *));) {
        char key[64];
        const char *eq = strchr(kv, '=');
        cr_assert_not_null(eq);
        snprintf(key, sizeof key, "opt.%.*s", (int)(eq - kv), kv);
        cr_assert_not_null(gn_param_find(ops->params, key + 4), "%s has no %s", name, key);
        gn_settings_set(&s, key, eq + 1);
    }
    va_end(ap);
    char err[256];
    gn_optim *o = ops->create(&s, &p->net, p->n, err, sizeof err);
    gn_settings_free(&s);
    cr_assert_not_null(o, "%s", err);
    return o;
}

static void do_step(gn_optim *o, prob *p, long it, gn_step_info *info)
{
    gn_step_ctx ctx = {.model = &p->net,
                       .loss = p->loss,
                       .X = p->X,
                       .Y = p->Y,
                       .b = p->n,
                       .c = p->c,
                       .iteration = it};
    memset(info, 0, sizeof *info);
    for (int j = 0; j < GN_OPTIM_MAX_EXTRA; j++)
        info->extra[j] = NAN;
    cr_assert_eq(o->ops->step(o, &ctx, info), 0, "%s", info->note);
}

static double loss_now(prob *p)
{
    const double *F = gn_mlp_forward(&p->net, p->X, p->n);
    return gn_loss_value(p->loss, F, p->Y, p->n, p->c);
}

/* Dense oracle: solves A x = b (n, n) by Gaussian elimination with partial
 * pivoting (A destroyed); independent of the Cholesky path under test. */
static void dense_solve(int n, double *A, double *b)
{
    for (int k = 0; k < n; k++) {
        int piv = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > fabs(A[piv * n + k])) piv = i;
        for (int j = 0; j < n; j++) {
            double t = A[k * n + j];
            A[k * n + j] = A[piv * n + j];
            A[piv * n + j] = t;
        }
        double t = b[k];
        b[k] = b[piv];
        b[piv] = t;
        for (int i = k + 1; i < n; i++) {
            double f = A[i * n + k] / A[k * n + k];
            for (int j = k; j < n; j++)
                A[i * n + j] -= f * A[k * n + j];
            b[i] -= f * b[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        for (int j = k + 1; j < n; j++)
            b[k] -= A[k * n + j] * b[j];
        b[k] /= A[k * n + k];
    }
}

/* The output Hessian of sample i's loss, written out from its definition
 * (not from gn_loss_hess_factor): square I; xent s (diag p − p pᵀ) with
 * s = Σ y; bxent diag(σ(1 − σ)). H (c, c). */
static void dense_hessian(gn_loss_kind loss, const double *f, const double *y, int c, double *H)
{
    double mx = f[0], z = 0, s = 0, p[64];
    for (int k = 1; k < c; k++)
        mx = f[k] > mx ? f[k] : mx;
    for (int k = 0; k < c; k++)
        z += exp(f[k] - mx), s += y[k];
    for (int k = 0; k < c; k++)
        p[k] = exp(f[k] - mx) / z;
    for (int a = 0; a < c; a++)
        for (int q = 0; q < c; q++) {
            double v = 0;
            if (loss == GN_LOSS_SQUARE)
                v = a == q;
            else if (loss == GN_LOSS_XENT)
                v = s * ((a == q ? p[a] : 0) - p[a] * p[q]);
            else if (a == q) {
                double sg = 1 / (1 + exp(-f[a]));
                v = sg * (1 - sg);
            }
            H[a * c + q] = v;
        }
}

/* Relative distance ‖a − b‖ / ‖b‖ of two (n) vectors. */
static double rel_err(size_t n, const double *a, const double *b)
{
    double d2 = 0, s2 = 0;
    for (size_t j = 0; j < n; j++)
        d2 += (a[j] - b[j]) * (a[j] - b[j]), s2 += b[j] * b[j];
    return sqrt(d2 / s2);
}

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
