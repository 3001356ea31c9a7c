/* test_mlp.c: the model's derivatives against central finite differences,
 * for every activation and both parameterizations; the initial parameters;
 * per-layer activations, and the `model:` settings that choose them. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "model/mlp.h"
#include "model/mlp_gram2.h"
#include "model/model_spec.h"
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

/* ---- per-layer activations ---- */

/* The network written out from its definition (mlp.h), sharing no code
 * with mlp.c: z_l = s_l W_l a_{l-1} + b_l, a_l = act_l(z_l), f = alpha z_L.
 * X (b, n_0), F (b, c). */
static double oracle_act(gn_act a, double z)
{
    switch (a) {
    case GN_ACT_TANH:
        return tanh(z);
    case GN_ACT_SIGMOID:
        return 1 / (1 + exp(-z));
    case GN_ACT_SOFTPLUS:
        return log1p(exp(z));
    case GN_ACT_GELU:
        return 0.5 * z * erfc(-z / sqrt(2.0));
    case GN_ACT_RELU:
        return z > 0 ? z : 0;
    default:
        return z;
    }
}

static void oracle_forward(const gn_mlp_config *cfg, const double *theta, const double *X, int b,
                           double *F)
{
    const int *n = cfg->sizes;
    double a[64], z[64];
    for (int i = 0; i < b; i++) {
        memcpy(a, X + (size_t)i * n[0], n[0] * sizeof(double));
        const double *p = theta;
        for (int l = 1; l <= cfg->n_layers; l++) {
            double s = cfg->ntk ? 1 / sqrt((double)n[l - 1]) : 1;
            const double *W = p, *bl = p + n[l] * n[l - 1];
            for (int j = 0; j < n[l]; j++) {
                z[j] = cfg->bias ? bl[j] : 0;
                for (int k = 0; k < n[l - 1]; k++)
                    z[j] += s * W[j * n[l - 1] + k] * a[k];
            }
            p = bl + (cfg->bias ? n[l] : 0);
            for (int j = 0; j < n[l]; j++)
                a[j] =
                    l < cfg->n_layers ? oracle_act(cfg->acts[l], z[j]) : cfg->output_scale * z[j];
        }
        memcpy(F + (size_t)i * n[cfg->n_layers], a, n[cfg->n_layers] * sizeof(double));
    }
}

/* A net whose hidden layers apply sigmoid, identity, tanh, gelu (a linear
 * layer between nonlinear ones, as in the autoencoder's code layer). */
static void mixed_net(gn_mlp *net, gn_mlp_config *cfg, int ntk, int b, double **X, gn_rng *rng)
{
    gn_blas_init(1);
    *cfg = (gn_mlp_config){.n_layers = 5,
                           .sizes = {4, 6, 3, 5, 4, 2},
                           .act = GN_ACT_RELU,
                           .ntk = ntk,
                           .bias = 1,
                           .output_scale = 1.3,
                           .layer_acts = 1,
                           .acts = {0, GN_ACT_SIGMOID, GN_ACT_IDENTITY, GN_ACT_TANH, GN_ACT_GELU},
                           .init = GN_INIT_UNIFORM};
    char err[128];
    cr_assert_eq(gn_mlp_init(net, cfg, b, err, sizeof err), 0, "%s", err);
    gn_rng_seed(rng, 9, "mixed");
    gn_mlp_init_params(net, rng);
    for (size_t p = 0; p < net->m; p++) /* O(1) parameters: every layer's curvature matters */
        net->theta[p] *= 2.0;
    *X = malloc(sizeof(double) * b * 4);
    for (int j = 0; j < b * 4; j++)
        (*X)[j] = gn_rng_normal(rng);
}

/* J (bc, m) by central differences of the oracle forward. */
static void oracle_jacobian(const gn_mlp_config *cfg, double *theta, size_t m, const double *X,
                            int b, double *J)
{
    int rows = b * cfg->sizes[cfg->n_layers];
    double *fp = malloc(rows * sizeof(double)), *fm = malloc(rows * sizeof(double));
    for (size_t p = 0; p < m; p++) {
        double keep = theta[p];
        theta[p] = keep + GN_TOL_FD_STEP;
        oracle_forward(cfg, theta, X, b, fp);
        theta[p] = keep - GN_TOL_FD_STEP;
        oracle_forward(cfg, theta, X, b, fm);
        theta[p] = keep;
        for (int r = 0; r < rows; r++)
            J[r * m + p] = (fp[r] - fm[r]) / (2 * GN_TOL_FD_STEP);
    }
    free(fp), free(fm);
}

Test(mlp, mixed_activations_match_the_oracle)
{
    for (int ntk = 0; ntk < 2; ntk++) {
        gn_mlp net;
        gn_mlp_config cfg;
        gn_rng rng;
        double *X;
        int b = 3, c = 2, rows = b * c;
        mixed_net(&net, &cfg, ntk, b, &X, &rng);
        size_t m = net.m;
        double *J = malloc(rows * m * sizeof(double)), *u = malloc(m * sizeof(double)),
               *g = malloc(m * sizeof(double)), *want = malloc(m * sizeof(double));
        double F0[6], y[6], cot[6], ju[6], jwant[6], K[36], Kwant[36];
        oracle_forward(&cfg, net.theta, X, b, F0);
        const double *F = gn_mlp_forward(&net, X, b);
        cr_expect_lt(rel_err(F, F0, rows), GN_TOL_EXACT_REL, "ntk %d: forward", ntk);
        oracle_jacobian(&cfg, net.theta, m, X, b, J);
        /* gradient of 0.5 |f - y|^2 = Jᵀ (f - y), by the VJP */
        for (int r = 0; r < rows; r++)
            y[r] = gn_rng_normal(&rng), cot[r] = F0[r] - y[r];
        gn_mlp_vjp(&net, cot, g);
        for (size_t p = 0; p < m; p++) {
            want[p] = 0;
            for (int r = 0; r < rows; r++)
                want[p] += J[r * m + p] * cot[r];
        }
        cr_expect_lt(rel_err(g, want, m), GN_TOL_FD_REL, "ntk %d: gradient (VJP)", ntk);
        /* Jᵀ v from the stored backprop vectors */
        gn_mlp_jt_vec(&net, cot, g);
        cr_expect_lt(rel_err(g, want, m), GN_TOL_FD_REL, "ntk %d: Jᵀv", ntk);
        /* J u */
        for (size_t p = 0; p < m; p++)
            u[p] = gn_rng_normal(&rng);
        gn_mlp_jvp(&net, u, ju);
        for (int r = 0; r < rows; r++) {
            jwant[r] = 0;
            for (size_t p = 0; p < m; p++)
                jwant[r] += J[r * m + p] * u[p];
        }
        cr_expect_lt(rel_err(ju, jwant, rows), GN_TOL_FD_REL, "ntk %d: JVP", ntk);
        /* the layer-wise Gram against J Jᵀ */
        gn_mlp_gram(&net, K);
        for (int r = 0; r < rows; r++)
            for (int s = 0; s < rows; s++) {
                Kwant[r * rows + s] = 0;
                for (size_t p = 0; p < m; p++)
                    Kwant[r * rows + s] += J[r * m + p] * J[s * m + p];
            }
        cr_expect_lt(rel_err(K, Kwant, rows * rows), GN_TOL_FD_REL, "ntk %d: Gram", ntk);
        free(J), free(u), free(g), free(want), free(X);
        gn_mlp_free(&net);
    }
}

/* The per-layer list is what the passes use: the same net with every
 * hidden layer sigmoid computes something else. */
Test(mlp, layer_activations_replace_the_global_one)
{
    gn_mlp net;
    gn_mlp_config cfg;
    gn_rng rng;
    double *X, F[6];
    mixed_net(&net, &cfg, 1, 3, &X, &rng);
    memcpy(F, gn_mlp_forward(&net, X, 3), sizeof F);
    cr_expect_eq(gn_mlp_layer_act(&net.cfg, 2), GN_ACT_IDENTITY);
    net.cfg.layer_acts = 0;
    cr_expect_eq(gn_mlp_layer_act(&net.cfg, 2), GN_ACT_RELU);
    cr_expect_gt(rel_err(gn_mlp_forward(&net, X, 3), F, 6), 1e-3);
    free(X);
    gn_mlp_free(&net);
}

/* ---- the model section: init and activations ---- */

/* Binds the model settings kv ("key", "value", ..., NULL) into hp and runs
 * gn_model_check; the strings of hp point into s, which the caller frees. */
static int bind_model(gn_settings *s, gn_model_hparams *hp, const char *const *kv, char *err,
                      size_t errlen)
{
    gn_settings_init(s);
    for (; kv && *kv; kv += 2)
        gn_settings_set(s, kv[0], kv[1]);
    int rc = gn_params_bind(gn_model_params, s, "model.", hp, err, errlen);
    return rc == 0 ? gn_model_check(hp, err, errlen) : rc;
}

Test(model_spec, deep_autoencoder_has_a_linear_code_layer)
{
    const char *kv[] = {"model.hidden",
                        "1000-500-250-30-250-500-1000",
                        "model.activations",
                        "sigmoid-sigmoid-sigmoid-identity-sigmoid-sigmoid-sigmoid",
                        "model.init",
                        "uniform",
                        NULL};
    gn_settings s;
    gn_model_hparams hp;
    gn_mlp_config cfg;
    char err[256];
    cr_assert_eq(bind_model(&s, &hp, kv, err, sizeof err), 0, "%s", err);
    cr_assert_eq(gn_model_config(&hp, 784, 784, &cfg, err, sizeof err), 0, "%s", err);
    cr_expect_eq(cfg.n_layers, 8);
    cr_expect_eq(cfg.layer_acts, 1);
    for (int l = 1; l < cfg.n_layers; l++)
        cr_expect_eq(gn_mlp_layer_act(&cfg, l), l == 4 ? GN_ACT_IDENTITY : GN_ACT_SIGMOID,
                     "layer %d", l);
    cr_expect_eq(cfg.sizes[4], 30);
    cr_expect_eq(cfg.init, GN_INIT_UNIFORM);
    gn_settings_free(&s);
}

/* Without the new settings the configuration is today's, field for field. */
Test(model_spec, absent_init_and_activations_mean_today)
{
    gn_settings s;
    gn_model_hparams hp;
    gn_mlp_config cfg;
    char err[256];
    cr_assert_eq(bind_model(&s, &hp, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_eq(hp.init, -1);
    cr_expect_null(hp.activations);
    cr_assert_eq(gn_model_config(&hp, 3, 2, &cfg, err, sizeof err), 0, "%s", err);
    cr_expect_eq(cfg.init, GN_INIT_NORMAL);
    cr_expect_eq(cfg.layer_acts, 0);
    cr_expect_eq(gn_mlp_layer_act(&cfg, 1), GN_ACT_TANH);
    const char *normal[] = {"model.init", "normal", NULL};
    gn_settings_free(&s);
    cr_assert_eq(bind_model(&s, &hp, normal, err, sizeof err), 0, "%s", err);
    cr_expect_eq(hp.init, GN_INIT_NORMAL, "the choices are in gn_init order");
    gn_settings_free(&s);
}

Test(model_spec, activations_are_checked)
{
    gn_act a[GN_MAX_LAYERS];
    char why[256];
    cr_expect_eq(gn_model_acts_parse("relu-identity-gelu", a, GN_MAX_LAYERS, why, sizeof why), 3);
    cr_expect(a[0] == GN_ACT_RELU && a[1] == GN_ACT_IDENTITY && a[2] == GN_ACT_GELU);
    const char *bad[] = {"",     "tanh-",       "-tanh",         "tanh--tanh",
                         "Tanh", "tanh-linear", "sigmoidsigmoid"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_expect_eq(gn_model_acts_parse(bad[i], a, GN_MAX_LAYERS, why, sizeof why), -1, "\"%s\"",
                     bad[i]);
        cr_expect(strstr(why, "relu|tanh|sigmoid|softplus|gelu|identity"), "lists the names: %s",
                  why);
    }
    cr_expect_eq(gn_model_acts_parse("tanh-tanh-tanh", a, 2, why, sizeof why), -1, "more than max");
    gn_settings s;
    gn_model_hparams hp;
    const char *count[] = {"model.depth", "3", "model.activations", "tanh-identity", NULL};
    cr_expect_eq(bind_model(&s, &hp, count, why, sizeof why), -1);
    cr_expect(strstr(why, "2 activations for 3 hidden layers"), "%s", why);
    gn_settings_free(&s);
    const char *ok[] = {"model.depth", "2", "model.activations", "tanh-identity", NULL};
    cr_expect_eq(bind_model(&s, &hp, ok, why, sizeof why), 0, "%s", why);
    gn_settings_free(&s);
}

/* The trial point of a damped step: after θ += α Jᵀv into the model's own
 * parameters, gn_mlp_forward_stepped equals a fresh forward at the new θ.
 * X is overwritten with NaN after the step, so a result that matches shows
 * the shortcut was taken (it reads only Z_1, the kept X Xᵀ and G_1); the
 * cases where it must not apply show NaN, i.e. they forwarded X again. */
static void stepped_case(gn_act act, int ntk, int bias, int fisher, int b, int gram,
                         int expect_short)
{
    gn_blas_init(1);
    int c = 3;
    gn_mlp_config cfg = {.n_layers = 3,
                         .sizes = {9, 7, 6, c},
                         .act = act,
                         .ntk = ntk,
                         .bias = bias,
                         .output_scale = 1.3};
    gn_mlp net, ref;
    char err[128];
    cr_assert_eq(gn_mlp_init(&net, &cfg, 12, err, sizeof err), 0, "%s", err);
    cr_assert_eq(gn_mlp_init(&ref, &cfg, 12, err, sizeof err), 0, "%s", err);
    gn_rng rng;
    gn_rng_seed(&rng, 7, "stepped");
    gn_mlp_init_params(&net, &rng);
    for (int l = 1; bias && l <= net.L; l++)
        for (int j = 0; j < cfg.sizes[l]; j++)
            net.theta[net.b_off[l] + j] = 0.3 * gn_rng_normal(&rng);
    double *X = malloc(sizeof(double) * b * 9), *X2 = malloc(sizeof(double) * b * 9);
    double *v = malloc(sizeof(double) * b * c), *M = malloc(sizeof(double) * b * c * b * c);
    for (int j = 0; j < b * 9; j++)
        X[j] = X2[j] = gn_rng_normal(&rng);
    for (int j = 0; j < b * c; j++)
        v[j] = gn_rng_normal(&rng);
    gn_mlp_forward(&net, X, b);
    if (gram && fisher) gn_mlp_cot_gram(&net, v, NULL, M);
    if (gram && !fisher) gn_mlp_gram(&net, M);
    double alpha = -0.37;
    gn_mlp_jt_vec_add(&net, v, alpha, net.theta);
    for (int j = 0; j < b * 9; j++)
        X[j] = NAN;
    const double *F = gn_mlp_forward_stepped(&net, X, b);
    memcpy(ref.theta, net.theta, net.m * sizeof(double));
    const double *Fr = gn_mlp_forward(&ref, X2, b);
    if (expect_short) {
        double e = rel_err(F, Fr, (size_t)b * c);
        cr_expect_lt(e, GN_TOL_EXACT_REL, "%s ntk=%d bias=%d fisher=%d b=%d: error %.3g",
                     gn_act_names[act], ntk, bias, fisher, b, e);
    } else {
        cr_expect(isnan(F[0]), "%s b=%d gram=%d: the shortcut was taken where it must not be",
                  gn_act_names[act], b, gram);
    }
    free(X), free(X2), free(v), free(M);
    gn_mlp_free(&net);
    gn_mlp_free(&ref);
}

Test(mlp, forward_stepped_equals_a_fresh_forward_at_the_new_parameters)
{
    for (int a = 0; a < GN_ACT_COUNT; a++)
        for (int ntk = 0; ntk < 2; ntk++)
            for (int bias = 0; bias < 2; bias++)
                for (int fisher = 0; fisher < 2; fisher++)
                    stepped_case((gn_act)a, ntk, bias, fisher, 5, 1, 1);
}

Test(mlp, forward_stepped_forwards_again_without_the_gram_or_for_large_batches)
{
    stepped_case(GN_ACT_TANH, 1, 1, 0, 5, 0, 0);     /* no X Xᵀ at hand */
    stepped_case(GN_ACT_TANH, 1, 1, 0, 9, 1, 0);     /* b = n_0: the gemm is cheaper */
    stepped_case(GN_ACT_SIGMOID, 0, 0, 1, 12, 1, 0); /* b > n_0 */
}
