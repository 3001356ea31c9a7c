/* test_ggn.c: the Gram-Gauss-Newton step against dense oracles, its
 * convergence order, and its recovery from a singular Gram matrix. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "core/rng.h"
#include "tolerances.h"
#include "dense.h"

typedef struct prob {
    gn_mlp net;
    double *X, *Y;
    int n, d, c;
} prob;

static int with_bias = 1;

static void prob_make(prob *p, int n, int d, int c, int depth, int width, gn_act act, uint64_t seed)
{
    gn_blas_init(1);
    gn_mlp_config cfg = {
        .n_layers = depth + 1, .act = act, .ntk = 1, .bias = with_bias, .output_scale = 1};
    cfg.sizes[0] = d;
    for (int l = 1; l <= depth; l++)
        cfg.sizes[l] = width;
    cfg.sizes[depth + 1] = c;
    char err[128];
    cr_assert_eq(gn_mlp_init(&p->net, &cfg, n, err, sizeof err), 0, "%s", err);
    gn_rng r;
    gn_rng_seed(&r, seed, "problem");
    gn_mlp_init_params(&p->net, &r);
    p->n = n, p->d = d, p->c = c;
    p->X = malloc(sizeof(double) * n * d);
    p->Y = malloc(sizeof(double) * n * c);
    for (int j = 0; j < n * d; j++)
        p->X[j] = gn_rng_normal(&r);
    for (int j = 0; j < n * c; j++)
        p->Y[j] = sin(3.0 * p->X[j % (n * d)]) + 0.5 * gn_rng_normal(&r);
}

static void prob_free(prob *p)
{
    gn_mlp_free(&p->net);
    free(p->X), free(p->Y);
}

static gn_optim *make_opt(const char *name, prob *p, const char *lr, const char *damping)
{
    const gn_optim_ops *ops = gn_optim_find(name);
    cr_assert_not_null(ops);
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "opt.lr", lr);
    gn_settings_set(&s, "opt.damping", damping);
    char err[128];
    gn_optim *o = gn_optim_create(ops, &s, &p->net, p->n, err, sizeof err);
    gn_settings_free(&s);
    cr_assert_not_null(o, "%s", err);
    return o;
}

static double step(gn_optim *o, prob *p, gn_step_info *info)
{
    gn_step_ctx ctx = {
        .model = &p->net, .loss = GN_LOSS_SQUARE, .X = p->X, .Y = p->Y, .b = p->n, .c = p->c};
    memset(info, 0, sizeof *info);
    cr_assert_eq(o->ops->step(o, &ctx, info), 0, "%s", info->note);
    const double *F = gn_mlp_forward(&p->net, p->X, p->n);
    double s = 0;
    for (int j = 0; j < p->n * p->c; j++)
        s += (F[j] - p->Y[j]) * (F[j] - p->Y[j]);
    return 0.5 * s / p->n;
}

static void check_step_against_dense(int c, const char *lr, const char *damping)
{
    prob p;
    prob_make(&p, 6, 4, c, 2, 5, GN_ACT_TANH, 11);
    size_t m = p.net.m;
    int rows = p.n * p.c;
    double *J = malloc(sizeof(double) * rows * m), *A = malloc(sizeof(double) * rows * rows);
    double *r = malloc(sizeof(double) * rows), *th0 = malloc(sizeof(double) * m);
    memcpy(th0, p.net.theta, sizeof(double) * m);
    const double *F = gn_mlp_forward(&p.net, p.X, p.n);
    for (int j = 0; j < rows; j++)
        r[j] = F[j] - p.Y[j];
    gn_mlp_jacobian(&p.net, J);
    double lam = atof(damping), eta = atof(lr);
    for (int i = 0; i < rows; i++)
        for (int k = 0; k < rows; k++) {
            double s = i == k ? lam : 0;
            for (size_t q = 0; q < m; q++)
                s += J[i * m + q] * J[k * m + q];
            A[i * rows + k] = s;
        }
    dense_solve(rows, A, r);
    gn_optim *o = make_opt("ggn-mb", &p, lr, damping);
    gn_step_info info;
    step(o, &p, &info);
    double d2 = 0, s2 = 0;
    for (size_t q = 0; q < m; q++) {
        double want = 0;
        for (int i = 0; i < rows; i++)
            want -= eta * J[i * m + q] * r[i];
        double got = p.net.theta[q] - th0[q];
        d2 += (got - want) * (got - want);
        s2 += want * want;
    }
    cr_expect_lt(sqrt(d2 / s2), GN_TOL_EXACT_REL, "c=%d: relative step error %.3g", c,
                 sqrt(d2 / s2));
    cr_expect_float_eq(info.damping, lam, 0);
    /* the reported step norm (from αᵀKα) against ‖η Jᵀα‖ from the explicit J */
    cr_expect_lt(fabs(info.step_norm - sqrt(s2)), GN_TOL_EXACT_REL * sqrt(s2),
                 "c=%d: step norm %.17g vs %.17g", c, info.step_norm, sqrt(s2));
    o->ops->destroy(o);
    free(J), free(A), free(r), free(th0);
    prob_free(&p);
}

Test(ggn, step_equals_dense_solve_one_output)
{
    check_step_against_dense(1, "0.7", "0.01");
}

Test(ggn, step_equals_dense_solve_several_outputs)
{
    check_step_against_dense(3, "1", "0.3");
}

Test(ggn, undamped_step_solves_linear_least_squares)
{
    /* A linear model with more parameters than equations interpolates after
     * one undamped Gauss-Newton step. */
    prob p;
    prob_make(&p, 10, 16, 1, 0, 0, GN_ACT_IDENTITY, 5);
    gn_optim *o = make_opt("ggn", &p, "1", "0");
    gn_step_info info;
    const double *F = gn_mlp_forward(&p.net, p.X, p.n);
    double l0 = 0;
    for (int j = 0; j < p.n; j++)
        l0 += 0.5 * (F[j] - p.Y[j]) * (F[j] - p.Y[j]) / p.n;
    double l1 = step(o, &p, &info);
    cr_expect_lt(l1, 1e-24 * (1 + l0), "loss after one step %.3g (before %.3g)", l1, l0);
    o->ops->destroy(o);
    prob_free(&p);
}

Test(ggn, full_batch_converges_quadratically_when_wide)
{
    prob p;
    prob_make(&p, 16, 8, 1, 2, 512, GN_ACT_TANH, 21);
    gn_optim *o = make_opt("ggn", &p, "1", "0");
    gn_step_info info;
    double res[12];
    const double *F = gn_mlp_forward(&p.net, p.X, p.n);
    double s = 0;
    for (int j = 0; j < p.n; j++)
        s += (F[j] - p.Y[j]) * (F[j] - p.Y[j]);
    res[0] = sqrt(s);
    int k;
    for (k = 1; k < 12; k++) {
        double l = step(o, &p, &info);
        res[k] = sqrt(2 * p.n * l);
        if (res[k] < 1e-12 * res[0]) break;
    }
    cr_assert_lt(res[k < 12 ? k : 11], 1e-9 * res[0], "did not converge");
    /* Estimated order from three consecutive residuals above the rounding
     * floor: p = log(r_{k+1}/r_k) / log(r_k/r_{k-1}). */
    double best = 0;
    for (int j = 1; j + 1 <= k && j + 1 < 12; j++) {
        if (res[j + 1] < 1e-11 * res[0]) break;
        double order = log(res[j + 1] / res[j]) / log(res[j] / res[j - 1]);
        if (order > best) best = order;
    }
    cr_expect_geq(best, 1.8, "estimated order %.2f (residuals %.3g %.3g %.3g %.3g)", best, res[0],
                  res[1], res[2], res[3]);
    o->ops->destroy(o);
    prob_free(&p);
}

Test(ggn, singular_gram_raises_damping_instead_of_failing)
{
    prob p;
    with_bias = 0;
    prob_make(&p, 6, 3, 1, 1, 4, GN_ACT_RELU, 9);
    with_bias = 1;
    /* a zero input to a bias-free relu network has a zero Jacobian row, so
     * K has an exactly zero row and column and undamped Cholesky fails */
    memset(p.X + 3, 0, sizeof(double) * 3);
    gn_optim *o = make_opt("ggn", &p, "1", "0");
    gn_step_info info;
    double l = step(o, &p, &info);
    cr_expect_gt(info.damping_raises, 0);
    cr_expect_gt(info.damping, 0.0);
    cr_expect(isfinite(l));
    o->ops->destroy(o);
    prob_free(&p);
}
