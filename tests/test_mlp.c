/* test_mlp.c: the model's derivatives against central finite differences,
 * for every activation and both parameterizations; the initial parameters. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
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

/* ---- model.init: uniform ---- */

/* A sample of n values drawn U(-r, r): within the range, reaching its ends,
 * mean 0 and variance r^2/3 within GN_TOL_SIGMAS of their sampling error
 * (Var w = r^2/3, Var w^2 = E w^4 - (E w^2)^2 = r^4/5 - r^4/9 = 4 r^4/45). */
static void expect_uniform(const double *w, size_t n, double r, const char *what)
{
    double s1 = 0, s2 = 0, amax = 0;
    for (size_t j = 0; j < n; j++) {
        cr_expect(w[j] >= -r && w[j] <= r, "%s[%zu] = %g outside +-%g", what, j, w[j], r);
        s1 += w[j], s2 += w[j] * w[j], amax = fmax(amax, fabs(w[j]));
    }
    double mean = s1 / n, var = s2 / n, sn = sqrt((double)n);
    cr_expect_lt(fabs(mean), GN_TOL_SIGMAS * r / sqrt(3.0) / sn, "%s: mean %g", what, mean);
    cr_expect_lt(fabs(var - r * r / 3), GN_TOL_SIGMAS * sqrt(4.0 / 45) * r * r / sn,
                 "%s: variance %g, expected r^2/3 = %g", what, var, r * r / 3);
    if (n >= 1000) cr_expect_gt(amax, 0.99 * r, "%s: max |w| %g does not reach %g", what, amax, r);
}

static void init_net(gn_mlp *net, int ntk, gn_init init, uint64_t seed)
{
    gn_blas_init(1);
    gn_rng rng;
    char err[64];
    gn_mlp_config cfg = {.n_layers = 3,
                         .sizes = {400, 300, 50, 2},
                         .act = GN_ACT_SIGMOID,
                         .ntk = ntk,
                         .bias = 1,
                         .output_scale = 1.0,
                         .init = init};
    cr_assert_eq(gn_mlp_init(net, &cfg, 1, err, sizeof err), 0, "%s", err);
    gn_rng_seed(&rng, seed, "init");
    gn_mlp_init_params(net, &rng);
}

/* PyTorch's nn.Linear: the effective weights s_l W_l and the biases are
 * U(+-1/sqrt(fan-in)) under both parameterizations; ntk stores W ~ U(-1, 1). */
Test(mlp, uniform_init_is_pytorch_linear_default)
{
    for (int ntk = 0; ntk < 2; ntk++) {
        gn_mlp net;
        init_net(&net, ntk, GN_INIT_UNIFORM, 7);
        for (int l = 1; l <= net.L; l++) {
            size_t fan_in = (size_t)net.cfg.sizes[l - 1], nw = fan_in * net.cfg.sizes[l];
            double r = 1 / sqrt((double)fan_in);
            char what[64];
            snprintf(what, sizeof what, "%s W_%d", ntk ? "ntk" : "standard", l);
            expect_uniform(net.theta + net.w_off[l], nw, ntk ? 1.0 : r, what);
            double *eff = malloc(nw * sizeof(double));
            for (size_t j = 0; j < nw; j++)
                eff[j] = net.scale[l] * net.theta[net.w_off[l] + j];
            snprintf(what, sizeof what, "%s s_%d W_%d", ntk ? "ntk" : "standard", l, l);
            /* variance 1/(3 fan-in); the product s_l W_l may round past r */
            expect_uniform(eff, nw, r * (1 + GN_TOL_EXACT_REL), what);
            free(eff);
            snprintf(what, sizeof what, "%s b_%d", ntk ? "ntk" : "standard", l);
            expect_uniform(net.theta + net.b_off[l], (size_t)net.cfg.sizes[l], r, what);
        }
        gn_mlp_free(&net);
    }
}

Test(mlp, uniform_init_is_deterministic_per_seed)
{
    gn_mlp a, b, c;
    init_net(&a, 0, GN_INIT_UNIFORM, 11);
    init_net(&b, 0, GN_INIT_UNIFORM, 11);
    init_net(&c, 0, GN_INIT_UNIFORM, 12);
    cr_expect_eq(memcmp(a.theta, b.theta, a.m * sizeof(double)), 0, "same seed, same bits");
    cr_expect_neq(memcmp(a.theta, c.theta, a.m * sizeof(double)), 0, "another seed differs");
    gn_mlp_free(&a), gn_mlp_free(&b), gn_mlp_free(&c);
}

/* The default init draws exactly what it drew before init existed: the old
 * formula, written out here, gives the same bits. */
Test(mlp, normal_init_is_unchanged)
{
    for (int ntk = 0; ntk < 2; ntk++) {
        gn_mlp net;
        gn_rng rng;
        init_net(&net, ntk, GN_INIT_NORMAL, 5);
        gn_rng_seed(&rng, 5, "init");
        double *want = calloc(net.m, sizeof(double));
        for (int l = 1; l <= net.L; l++) {
            size_t nw = (size_t)net.cfg.sizes[l] * net.cfg.sizes[l - 1];
            double sd = ntk ? 1.0 : 1.0 / sqrt((double)net.cfg.sizes[l - 1]);
            for (size_t j = 0; j < nw; j++)
                want[net.w_off[l] + j] = sd * gn_rng_normal(&rng);
        }
        cr_expect_eq(memcmp(net.theta, want, net.m * sizeof(double)), 0, "ntk %d", ntk);
        free(want);
        gn_mlp_free(&net);
    }
}
