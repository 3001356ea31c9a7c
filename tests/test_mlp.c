/* test_mlp.c: the model's derivatives against central finite differences,
 * for every activation and both parameterizations. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "model/mlp.h"
#include "core/rng.h"
#include "tolerances.h"

typedef struct case_ {
    gn_act act;
    int ntk;
} case_;

static void setup(gn_mlp *net, gn_act act, int ntk, int c, int b, double **X, gn_rng *rng)
{
    gn_blas_init(1);
    gn_mlp_config cfg = {.n_layers = 3,
                         .sizes = {5, 7, 6, c},
                         .act = act,
                         .ntk = ntk,
                         .bias = 1,
                         .output_scale = 1.7};
    char err[128];
    cr_assert_eq(gn_mlp_init(net, &cfg, b, err, sizeof err), 0, "%s", err);
    gn_rng_seed(rng, 42, "test");
    gn_mlp_init_params(net, rng);
    /* non-zero biases so their derivatives are exercised too */
    for (int l = 1; l <= net->L; l++)
        for (int j = 0; j < cfg.sizes[l]; j++)
            net->theta[net->b_off[l] + j] = 0.3 * gn_rng_normal(rng);
    *X = malloc(sizeof(double) * b * 5);
    for (int j = 0; j < b * 5; j++)
        (*X)[j] = gn_rng_normal(rng);
}

static double rel_err(const double *a, const double *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t j = 0; j < n; j++) {
        d += (a[j] - b[j]) * (a[j] - b[j]);
        s += b[j] * b[j];
    }
    return sqrt(d) / (sqrt(s) + 1e-300);
}

static case_ all_cases[2 * GN_ACT_COUNT];

ParameterizedTestParameters(mlp, vjp_matches_finite_differences)
{
    for (int a = 0; a < GN_ACT_COUNT; a++)
        for (int p = 0; p < 2; p++)
            all_cases[2 * a + p] = (case_){(gn_act)a, p};
    return cr_make_param_array(case_, all_cases, 2 * GN_ACT_COUNT);
}

ParameterizedTest(case_ *tc, mlp, vjp_matches_finite_differences)
{
    gn_mlp net;
    gn_rng rng;
    double *X;
    int b = 4, c = 3;
    setup(&net, tc->act, tc->ntk, c, b, &X, &rng);
    double *cot = malloc(sizeof(double) * b * c), *g = malloc(sizeof(double) * net.m),
           *fd = malloc(sizeof(double) * net.m);
    for (int j = 0; j < b * c; j++)
        cot[j] = gn_rng_normal(&rng);
    gn_mlp_forward(&net, X, b);
    gn_mlp_vjp(&net, cot, g);
    for (size_t p = 0; p < net.m; p++) {
        double keep = net.theta[p], fp = 0, fm = 0;
        net.theta[p] = keep + GN_TOL_FD_STEP;
        const double *F = gn_mlp_forward(&net, X, b);
        for (int j = 0; j < b * c; j++)
            fp += cot[j] * F[j];
        net.theta[p] = keep - GN_TOL_FD_STEP;
        F = gn_mlp_forward(&net, X, b);
        for (int j = 0; j < b * c; j++)
            fm += cot[j] * F[j];
        net.theta[p] = keep;
        fd[p] = (fp - fm) / (2 * GN_TOL_FD_STEP);
    }
    double e = rel_err(g, fd, net.m);
    cr_expect_lt(e, GN_TOL_FD_REL, "%s %s: VJP relative error %.3g", gn_act_names[tc->act],
                 tc->ntk ? "ntk" : "standard", e);
    free(cot), free(g), free(fd), free(X);
    gn_mlp_free(&net);
}

ParameterizedTestParameters(mlp, jvp_matches_finite_differences)
{
    for (int a = 0; a < GN_ACT_COUNT; a++)
        for (int p = 0; p < 2; p++)
            all_cases[2 * a + p] = (case_){(gn_act)a, p};
    return cr_make_param_array(case_, all_cases, 2 * GN_ACT_COUNT);
}

ParameterizedTest(case_ *tc, mlp, jvp_matches_finite_differences)
{
    gn_mlp net;
    gn_rng rng;
    double *X;
    int b = 4, c = 2;
    setup(&net, tc->act, tc->ntk, c, b, &X, &rng);
    double *u = malloc(sizeof(double) * net.m), *th = malloc(sizeof(double) * net.m);
    double jv[8], fp[8], fd[8];
    for (size_t p = 0; p < net.m; p++)
        u[p] = gn_rng_normal(&rng);
    memcpy(th, net.theta, sizeof(double) * net.m);
    gn_mlp_forward(&net, X, b);
    gn_mlp_jvp(&net, u, jv);
    for (size_t p = 0; p < net.m; p++)
        net.theta[p] = th[p] + GN_TOL_FD_STEP * u[p];
    memcpy(fp, gn_mlp_forward(&net, X, b), sizeof fp);
    for (size_t p = 0; p < net.m; p++)
        net.theta[p] = th[p] - GN_TOL_FD_STEP * u[p];
    const double *fm = gn_mlp_forward(&net, X, b);
    for (int j = 0; j < b * c; j++)
        fd[j] = (fp[j] - fm[j]) / (2 * GN_TOL_FD_STEP);
    double e = rel_err(jv, fd, (size_t)b * c);
    cr_expect_lt(e, GN_TOL_FD_REL, "%s %s: JVP relative error %.3g", gn_act_names[tc->act],
                 tc->ntk ? "ntk" : "standard", e);
    free(u), free(th), free(X);
    gn_mlp_free(&net);
}

Test(mlp, vjp_and_jvp_are_adjoint)
{
    gn_mlp net;
    gn_rng rng;
    double *X;
    int b = 5, c = 3;
    setup(&net, GN_ACT_GELU, 1, c, b, &X, &rng);
    double *u = malloc(sizeof(double) * net.m), *g = malloc(sizeof(double) * net.m);
    double v[15], ju[15];
    for (size_t p = 0; p < net.m; p++)
        u[p] = gn_rng_normal(&rng);
    for (int j = 0; j < b * c; j++)
        v[j] = gn_rng_normal(&rng);
    gn_mlp_forward(&net, X, b);
    gn_mlp_jvp(&net, u, ju);
    gn_mlp_vjp(&net, v, g);
    double lhs = 0, rhs = 0;
    for (int j = 0; j < b * c; j++)
        lhs += v[j] * ju[j];
    for (size_t p = 0; p < net.m; p++)
        rhs += g[p] * u[p];
    cr_expect_lt(fabs(lhs - rhs), GN_TOL_EXACT_REL * (fabs(lhs) + 1),
                 "<v, Ju> = %.17g, <J^T v, u> = %.17g", lhs, rhs);
    free(u), free(g), free(X);
    gn_mlp_free(&net);
}

Test(mlp, ntk_forward_matches_hand_computation)
{
    /* One hidden unit, identity activation: f = alpha (w2 (w1 x / sqrt(2) + b1) / 1 + b2) */
    gn_blas_init(1);
    gn_mlp net;
    char err[64];
    gn_mlp_config cfg = {.n_layers = 2,
                         .sizes = {2, 1, 1},
                         .act = GN_ACT_IDENTITY,
                         .ntk = 1,
                         .bias = 1,
                         .output_scale = 2.0};
    cr_assert_eq(gn_mlp_init(&net, &cfg, 1, err, sizeof err), 0);
    double th[] = {0.5, -1.0, 0.25, 3.0, 0.1}; /* W1 (1x2), b1, W2 (1x1), b2 */
    memcpy(net.theta, th, sizeof th);
    double x[2] = {2.0, 4.0};
    const double *f = gn_mlp_forward(&net, x, 1);
    double z1 = (0.5 * 2.0 - 1.0 * 4.0) / sqrt(2.0) + 0.25;
    double want = 2.0 * (3.0 * z1 + 0.1);
    cr_expect_float_eq(f[0], want, 1e-15);
    gn_mlp_free(&net);
}

Test(mlp, parameter_count_and_init_scale)
{
    gn_blas_init(1);
    gn_mlp net;
    gn_rng rng;
    char err[64];
    gn_mlp_config cfg = {.n_layers = 2,
                         .sizes = {400, 300, 1},
                         .act = GN_ACT_TANH,
                         .ntk = 0,
                         .bias = 1,
                         .output_scale = 1.0};
    cr_assert_eq(gn_mlp_init(&net, &cfg, 1, err, sizeof err), 0);
    cr_expect_eq(net.m, (size_t)(400 * 300 + 300 + 300 + 1));
    gn_rng_seed(&rng, 7, "init");
    gn_mlp_init_params(&net, &rng);
    double s2 = 0;
    for (int j = 0; j < 400 * 300; j++)
        s2 += net.theta[j] * net.theta[j];
    double var = s2 / (400 * 300); /* standard: N(0, 1/400) */
    cr_expect(fabs(var * 400 - 1.0) < 0.02, "first-layer variance x fan-in = %g", var * 400);
    gn_mlp_free(&net);
}
