/* test_lm.c: Levenberg-Marquardt dynamics — the direction against a dense
 * solve with the explicit Jacobian, the constant schedule against ggn-mb,
 * the loss-proportional schedule, and Nielsen's gain-ratio rule (ratio
 * against a dense oracle, rejection and damping increase after an
 * overshoot, threefold decrease after an exact step, the update formula). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "la/chol.h"
#include "model/loss.h"
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

typedef struct shape {
    int n, d, c, depth, width;
    gn_act act;
    int bias;
    double scale; /* output scale alpha */
} shape;

static void prob_make(prob *p, shape s, uint64_t seed)
{
    gn_blas_init(1);
    gn_mlp_config cfg = {
        .n_layers = s.depth + 1, .act = s.act, .ntk = 1, .bias = s.bias, .output_scale = s.scale};
    cfg.sizes[0] = s.d;
    for (int l = 1; l <= s.depth; l++)
        cfg.sizes[l] = s.width;
    cfg.sizes[s.depth + 1] = s.c;
    char err[128];
    cr_assert_eq(gn_mlp_init(&p->net, &cfg, s.n, err, sizeof err), 0, "%s", err);
    gn_rng r;
    gn_rng_seed(&r, seed, "lm");
    gn_mlp_init_params(&p->net, &r);
    p->n = s.n, p->d = s.d, p->c = s.c;
    p->X = malloc(sizeof(double) * s.n * s.d);
    p->Y = malloc(sizeof(double) * s.n * s.c);
    for (int j = 0; j < s.n * s.d; j++)
        p->X[j] = gn_rng_normal(&r);
    for (int j = 0; j < s.n * s.c; j++)
        p->Y[j] = sin(3.0 * p->X[j % (s.n * s.d)]) + 0.5 * gn_rng_normal(&r);
}

static void prob_free(prob *p)
{
    gn_mlp_free(&p->net);
    free(p->X), free(p->Y);
}

/* Settings from key/value pairs, NULL-terminated. */
static gn_optim *make_opt(const char *name, prob *p, const char *const *kv)
{
    const gn_optim_ops *ops = gn_optim_find(name);
    cr_assert_not_null(ops, "no optimizer %s", name);
    gn_settings s;
    gn_settings_init(&s);
    for (; kv && kv[0]; kv += 2)
        gn_settings_set(&s, kv[0], kv[1]);
    char err[128];
    gn_optim *o = gn_optim_create(ops, &s, &p->net, p->n, err, sizeof err);
    gn_settings_free(&s);
    cr_assert_not_null(o, "%s", err);
    return o;
}

/* One step on rows [first, first + b) of the data. */
static void step_rows(gn_optim *o, prob *p, int first, int b, long it, gn_step_info *info)
{
    gn_step_ctx ctx = {.model = &p->net,
                       .loss = GN_LOSS_SQUARE,
                       .X = p->X + first * p->d,
                       .Y = p->Y + first * p->c,
                       .b = b,
                       .c = p->c,
                       .iteration = it};
    memset(info, 0, sizeof *info);
    info->kernel_lambda_min = info->kernel_cond = NAN;
    cr_assert_eq(o->ops->step(o, &ctx, info), 0, "%s", info->note);
}

static void step_full(gn_optim *o, prob *p, long it, gn_step_info *info)
{
    step_rows(o, p, 0, p->n, it, info);
}

static double loss_now(prob *p)
{
    const double *F = gn_mlp_forward(&p->net, p->X, p->n);
    return gn_loss_value(GN_LOSS_SQUARE, F, p->Y, p->n, p->c);
}

/* The dense LM quantities at the current parameters on the full data:
 * explicit J (rows, m), r, and d = −lr Jᵀ (J Jᵀ + λ I)⁻¹ r (m). */
typedef struct dense {
    int rows;
    size_t m;
    double *J, *r, *dir, L0;
} dense;

static void dense_make(dense *o, prob *p, double lambda, double lr)
{
    size_t m = p->net.m;
    int rows = p->n * p->c;
    o->rows = rows, o->m = m;
    o->J = malloc(sizeof(double) * rows * m);
    o->r = malloc(sizeof(double) * rows);
    o->dir = malloc(sizeof(double) * m);
    double *A = malloc(sizeof(double) * rows * rows), *a = malloc(sizeof(double) * rows);
    const double *F = gn_mlp_forward(&p->net, p->X, p->n);
    o->L0 = 0;
    for (int j = 0; j < rows; j++) {
        o->r[j] = F[j] - p->Y[j];
        o->L0 += 0.5 * o->r[j] * o->r[j] / p->n;
    }
    gn_mlp_jacobian(&p->net, o->J);
    for (int i = 0; i < rows; i++)
        for (int k = 0; k < rows; k++) {
            double s = i == k ? lambda : 0;
            for (size_t q = 0; q < m; q++)
                s += o->J[i * m + q] * o->J[k * m + q];
            A[i * rows + k] = s;
        }
    memcpy(a, o->r, sizeof(double) * rows);
    dense_solve(rows, A, a);
    for (size_t q = 0; q < m; q++) {
        double s = 0;
        for (int i = 0; i < rows; i++)
            s -= o->J[i * m + q] * a[i];
        o->dir[q] = lr * s;
    }
    free(A), free(a);
}

/* Decrease of the loss predicted by the linearized model for step u:
 * L0 − ½‖r + J u‖²/n. */
static double dense_predicted(const dense *o, const double *u, int n)
{
    double s = 0;
    for (int i = 0; i < o->rows; i++) {
        double v = o->r[i];
        for (size_t q = 0; q < o->m; q++)
            v += o->J[i * o->m + q] * u[q];
        s += v * v;
    }
    return o->L0 - 0.5 * s / n;
}

static void dense_free(dense *o)
{
    free(o->J), free(o->r), free(o->dir);
}

static double rel_diff(const double *got, const double *base, const double *want, size_t m)
{
    double d2 = 0, s2 = 0;
    for (size_t q = 0; q < m; q++) {
        double g = got[q] - base[q];
        d2 += (g - want[q]) * (g - want[q]);
        s2 += want[q] * want[q];
    }
    return sqrt(d2 / s2);
}

static const shape small_tanh = {
    .n = 6, .d = 4, .c = 1, .depth = 2, .width = 5, .act = GN_ACT_TANH, .bias = 1, .scale = 1};

typedef struct dcase {
    int schedule; /* 0 constant, 1 loss, 2 nielsen */
    int c;
    double lr, damping;
} dcase;

static dcase dense_cases[] = {
    {0, 1, 0.7, 0.01}, {0, 3, 1.0, 0.3},  {1, 1, 1.0, 0.5},
    {1, 3, 0.5, 2.0},  {2, 1, 1.0, 0.01}, {2, 3, 0.8, 0.1},
};

ParameterizedTestParameters(lm, direction_equals_dense_solve)
{
    return cr_make_param_array(dcase, dense_cases, sizeof dense_cases / sizeof dense_cases[0]);
}

ParameterizedTest(dcase *tc, lm, direction_equals_dense_solve)
{
    static const char *names[] = {"constant", "loss", "nielsen"};
    prob p;
    shape s = small_tanh;
    s.c = tc->c;
    prob_make(&p, s, 11);
    size_t m = p.net.m;
    double *th0 = malloc(sizeof(double) * m), *th1 = malloc(sizeof(double) * m);
    memcpy(th0, p.net.theta, sizeof(double) * m);
    char lr[32], dmp[32];
    snprintf(lr, sizeof lr, "%.17g", tc->lr);
    snprintf(dmp, sizeof dmp, "%.17g", tc->damping);
    const char *kv[] = {"opt.lr", lr, "opt.damping", dmp, "opt.schedule", names[tc->schedule],
                        NULL};
    gn_optim *o = make_opt("lm", &p, kv);
    gn_step_info info;
    step_full(o, &p, 0, &info);
    /* the damping the step reports is the λ of the step it took */
    double lam = info.damping;
    if (tc->schedule == 0) cr_expect_eq(lam, tc->damping);
    if (tc->schedule == 1) cr_expect_eq(lam, tc->damping * info.batch_loss);
    if (tc->schedule == 2) cr_expect_eq(info.rejected, 0, "the first trial should be accepted");
    memcpy(th1, p.net.theta, sizeof(double) * m);
    memcpy(p.net.theta, th0, sizeof(double) * m); /* the oracle works at θ0 */
    dense D;
    dense_make(&D, &p, lam, tc->lr);
    double e = rel_diff(th1, th0, D.dir, m);
    cr_expect_lt(e, GN_TOL_EXACT_REL, "%s c=%d: relative step error %.3g", names[tc->schedule],
                 tc->c, e);
    cr_expect_lt(fabs(info.batch_loss - D.L0), GN_TOL_EXACT_REL * D.L0);
    double sn = gn_nrm2((int)m, D.dir);
    cr_expect_lt(fabs(info.step_norm - sn), GN_TOL_EXACT_REL * sn, "step norm %.17g vs %.17g",
                 info.step_norm, sn);
    cr_expect_eq(info.lr, tc->lr);
    cr_expect(info.t_forward >= 0 && info.t_curvature >= 0 && info.t_solve >= 0 &&
              info.t_backward >= 0);
    o->ops->destroy(o);
    dense_free(&D);
    free(th0), free(th1);
    prob_free(&p);
}

Test(lm, constant_schedule_equals_ggn_mb)
{
    /* Same λ and lr, alternating mini-batches of 5 rows: the same
     * trajectory, bit for bit. */
    shape s = {
        .n = 10, .d = 3, .c = 2, .depth = 2, .width = 8, .act = GN_ACT_TANH, .bias = 1, .scale = 1};
    prob a, b;
    prob_make(&a, s, 5);
    prob_make(&b, s, 5);
    const char *kv_lm[] = {"opt.lr",       "0.6",      "opt.damping", "0.05",
                           "opt.schedule", "constant", NULL};
    const char *kv_gg[] = {"opt.lr", "0.6", "opt.damping", "0.05", NULL};
    gn_optim *lm = make_opt("lm", &a, kv_lm), *gg = make_opt("ggn-mb", &b, kv_gg);
    for (int k = 0; k < 6; k++) {
        gn_step_info ia, ib;
        step_rows(lm, &a, 5 * (k % 2), 5, k, &ia);
        step_rows(gg, &b, 5 * (k % 2), 5, k, &ib);
        cr_expect_eq(memcmp(a.net.theta, b.net.theta, sizeof(double) * a.net.m), 0,
                     "step %d: lm and ggn-mb differ", k);
        cr_expect_eq(ia.batch_loss, ib.batch_loss);
        cr_expect_eq(ia.damping, ib.damping);
        cr_expect_eq(ia.step_norm, ib.step_norm);
        cr_expect_eq(ia.rejected, 0);
        cr_expect_eq(ia.extra[0], 0.0);
    }
    lm->ops->destroy(lm);
    gg->ops->destroy(gg);
    prob_free(&a);
    prob_free(&b);
}

Test(lm, loss_schedule_damping_is_proportional_to_batch_loss)
{
    prob p;
    prob_make(&p, small_tanh, 3);
    const char *kv[] = {"opt.damping", "0.25", "opt.schedule", "loss", NULL};
    gn_optim *o = make_opt("lm", &p, kv);
    double prev = INFINITY;
    for (int k = 0; k < 4; k++) {
        gn_step_info info;
        step_full(o, &p, k, &info);
        cr_expect_eq(info.damping, 0.25 * info.batch_loss, "step %d: lambda %.17g, loss %.17g", k,
                     info.damping, info.batch_loss);
        cr_expect_lt(info.batch_loss, prev);
        prev = info.batch_loss;
    }
    o->ops->destroy(o);
    /* the floor */
    const char *kv2[] = {"opt.damping", "1e-30", "opt.damping_min", "1e-6", "opt.schedule",
                         "loss",        NULL};
    o = make_opt("lm", &p, kv2);
    gn_step_info info;
    step_full(o, &p, 0, &info);
    cr_expect_eq(info.damping, 1e-6);
    o->ops->destroy(o);
    prob_free(&p);
}

Test(lm, gain_ratio_equals_dense_oracle)
{
    prob p;
    prob_make(&p, small_tanh, 17);
    size_t m = p.net.m;
    double *th0 = malloc(sizeof(double) * m);
    memcpy(th0, p.net.theta, sizeof(double) * m);
    const char *kv[] = {"opt.damping", "0.05", "opt.lr", "0.9", NULL};
    gn_optim *o = make_opt("lm", &p, kv);
    gn_step_info info;
    step_full(o, &p, 0, &info);
    cr_assert_eq(info.rejected, 0);
    double L1 = loss_now(&p);
    memcpy(p.net.theta, th0, sizeof(double) * m);
    dense D;
    dense_make(&D, &p, info.damping, 0.9);
    double rho = (D.L0 - L1) / dense_predicted(&D, D.dir, p.n);
    cr_expect_lt(fabs(info.gain_ratio - rho), GN_TOL_SOLVE_REL * fabs(rho),
                 "gain ratio %.17g, oracle %.17g", info.gain_ratio, rho);
    cr_expect(rho > 0 && rho < 2, "oracle ratio %.3g is not a plausible accepted step", rho);
    o->ops->destroy(o);
    dense_free(&D);
    free(th0);
    prob_free(&p);
}

/* A small tanh network with a large output scale and almost no damping:
 * the undamped Gauss-Newton step leaves the region where the linearization
 * holds, so the first trial increases the loss. */
static const shape overshoot = {
    .n = 8, .d = 2, .c = 1, .depth = 1, .width = 6, .act = GN_ACT_TANH, .bias = 1, .scale = 4};

Test(lm, nielsen_rejects_an_overshooting_trial_and_keeps_theta)
{
    prob p;
    prob_make(&p, overshoot, 23);
    size_t m = p.net.m;
    double *th0 = malloc(sizeof(double) * m);
    memcpy(th0, p.net.theta, sizeof(double) * m);
    /* no retries: the one trial is scored and rejected */
    const char *kv[] = {"opt.damping", "1e-9", "opt.max_retries", "0", NULL};
    gn_optim *o = make_opt("lm", &p, kv);
    gn_step_info info;
    double L0 = loss_now(&p);
    step_full(o, &p, 0, &info);
    cr_expect_eq(info.rejected, 1);
    cr_expect_eq(info.extra[0], 1.0);
    cr_expect(info.gain_ratio < 0, "gain ratio %.3g: the trial should have increased the loss",
              info.gain_ratio);
    cr_expect_eq(memcmp(p.net.theta, th0, sizeof(double) * m), 0, "rejected step moved theta");
    cr_expect_eq(info.step_norm, 0.0);
    cr_expect_eq(info.batch_loss, L0);
    /* λ ← λ ν with ν = 2, reported as the damping now in force */
    cr_expect_eq(info.damping, 2e-9);
    cr_expect(info.note[0] != '\0');
    o->ops->destroy(o);
    free(th0);
    prob_free(&p);
}

Test(lm, nielsen_raises_damping_until_a_trial_is_accepted)
{
    prob p;
    prob_make(&p, overshoot, 23);
    const char *kv[] = {"opt.damping", "1e-9", NULL};
    gn_optim *o = make_opt("lm", &p, kv);
    gn_step_info info;
    double L0 = loss_now(&p);
    step_full(o, &p, 0, &info);
    cr_expect_gt(info.rejected, 0);
    cr_expect_eq(info.extra[0], (double)info.rejected);
    /* after k rejections λ = λ0 · 2 · 4 · ... · 2^k */
    double want = 1e-9;
    for (int k = 1; k <= info.rejected; k++)
        want *= ldexp(1.0, k);
    cr_expect_lt(fabs(info.damping - want), 1e-15 * want, "accepted with lambda %.17g, want %.17g",
                 info.damping, want);
    cr_expect_gt(info.gain_ratio, 0);
    double L1 = loss_now(&p);
    cr_expect_lt(L1, L0, "accepted step did not descend: %.17g -> %.17g", L0, L1);
    o->ops->destroy(o);
    prob_free(&p);
}

Test(lm, nielsen_shrinks_damping_threefold_after_an_exact_step)
{
    /* A linear model is its own linearization: every ratio is 1, so each
     * accepted step divides λ by 3 (overdetermined, so the loss stays away
     * from the rounding floor). */
    shape s = {.n = 20,
               .d = 4,
               .c = 1,
               .depth = 0,
               .width = 0,
               .act = GN_ACT_IDENTITY,
               .bias = 1,
               .scale = 1};
    prob p;
    prob_make(&p, s, 31);
    const char *kv[] = {"opt.damping", "0.5", NULL};
    gn_optim *o = make_opt("lm", &p, kv);
    double want = 0.5;
    for (int k = 0; k < 4; k++) {
        gn_step_info info;
        step_full(o, &p, k, &info);
        cr_expect_eq(info.rejected, 0);
        /* ρ = 1 up to the rounding of L0 − L1 (~eps L0), which grows
         * relative to the decrease as the fit converges; any ρ > 0.937
         * already gives the factor ⅓ */
        cr_expect_lt(fabs(info.gain_ratio - 1), 1e-6, "step %d: gain ratio %.17g", k,
                     info.gain_ratio);
        cr_expect_lt(fabs(info.damping - want), 1e-14 * want, "step %d: lambda %.17g, want %.17g",
                     k, info.damping, want);
        want /= 3;
    }
    o->ops->destroy(o);
    prob_free(&p);
}

Test(lm, nielsen_update_follows_the_gain_ratio)
{
    /* Consecutive accepted first trials: λ_{k+1} = λ_k max(⅓, 1 − (2ρ_k − 1)³). */
    shape s = {
        .n = 12, .d = 3, .c = 2, .depth = 2, .width = 6, .act = GN_ACT_TANH, .bias = 1, .scale = 2};
    prob p;
    prob_make(&p, s, 41);
    const char *kv[] = {"opt.damping", "0.3", NULL};
    gn_optim *o = make_opt("lm", &p, kv);
    gn_step_info prev, info;
    step_full(o, &p, 0, &prev);
    int checked = 0;
    for (int k = 1; k < 8; k++) {
        step_full(o, &p, k, &info);
        if (prev.rejected == 0 && info.rejected == 0 && !info.damping_raises) {
            double q = 2 * prev.gain_ratio - 1, f = fmax(1.0 / 3, 1 - q * q * q);
            double want = fmax(prev.damping * f, 1e-12);
            cr_expect_lt(fabs(info.damping - want), 1e-14 * want,
                         "step %d: lambda %.17g, rule gives %.17g (rho %.6f)", k, info.damping,
                         want, prev.gain_ratio);
            checked++;
        }
        prev = info;
    }
    cr_expect_gt(checked, 2);
    o->ops->destroy(o);
    prob_free(&p);
}

Test(lm, nielsen_keeps_damping_at_the_rounding_floor)
{
    /* An over-parameterized network interpolates within a few steps; once
     * the loss sits at its rounding floor no trial can be scored, and the
     * rule must neither reject every trial nor inflate λ. */
    prob p;
    prob_make(&p, small_tanh, 19);
    const char *kv[] = {"opt.damping", "1e-6", NULL};
    gn_optim *o = make_opt("lm", &p, kv);
    gn_step_info info;
    int k;
    for (k = 0; k < 30; k++) {
        step_full(o, &p, k, &info);
        if (info.batch_loss < 1e-28) break;
    }
    cr_assert_lt(k, 30, "did not reach the rounding floor (loss %.3g)", info.batch_loss);
    double lam = info.damping;
    for (int j = 1; j <= 5; j++) {
        step_full(o, &p, k + j, &info);
        cr_expect_eq(info.rejected, 0, "step %d at the floor: %d rejections", k + j, info.rejected);
        cr_expect_leq(info.damping, lam, "step %d at the floor: lambda rose to %.3g", k + j,
                      info.damping);
        cr_expect_lt(loss_now(&p), 1e-26);
    }
    o->ops->destroy(o);
    prob_free(&p);
}

Test(lm, kernel_spectrum_reported_at_initialization)
{
    prob p;
    prob_make(&p, small_tanh, 7);
    int rows = p.n * p.c;
    dense D;
    dense_make(&D, &p, 0, 1);
    double *K = malloc(sizeof(double) * rows * rows), *w = malloc(sizeof(double) * rows);
    for (int i = 0; i < rows; i++)
        for (int k = 0; k < rows; k++) {
            double s = 0;
            for (size_t q = 0; q < D.m; q++)
                s += D.J[i * D.m + q] * D.J[k * D.m + q];
            K[i * rows + k] = s;
        }
    cr_assert_eq(gn_sym_eigvals(rows, K, w), 0);
    const char *kv[] = {NULL};
    gn_optim *o = make_opt("lm", &p, kv);
    gn_step_info info;
    step_full(o, &p, 0, &info);
    cr_expect_lt(fabs(info.kernel_lambda_min - w[0]), GN_TOL_SOLVE_REL * w[rows - 1],
                 "lambda_min %.17g, explicit %.17g", info.kernel_lambda_min, w[0]);
    cr_expect_lt(fabs(info.kernel_cond - w[rows - 1] / w[0]), 1e-6 * (w[rows - 1] / w[0]));
    step_full(o, &p, 1, &info);
    cr_expect(isnan(info.kernel_cond), "the spectrum is an initialization diagnostic");
    o->ops->destroy(o);
    dense_free(&D);
    free(K), free(w);
    prob_free(&p);
}

Test(lm, singular_gram_raises_damping_instead_of_failing)
{
    /* a zero input to a bias-free relu network has a zero Jacobian row */
    shape s = {
        .n = 6, .d = 3, .c = 1, .depth = 1, .width = 4, .act = GN_ACT_RELU, .bias = 0, .scale = 1};
    static const char *sched[] = {"constant", "nielsen"};
    for (int j = 0; j < 2; j++) {
        prob p;
        prob_make(&p, s, 9);
        memset(p.X + 3, 0, sizeof(double) * 3);
        const char *kv[] = {"opt.damping", "0", "opt.damping_min", "0", "opt.schedule",
                            sched[j],      NULL};
        gn_optim *o = make_opt("lm", &p, kv);
        gn_step_info info;
        step_full(o, &p, 0, &info);
        cr_expect_gt(info.damping_raises, 0, "%s", sched[j]);
        cr_expect_gt(info.damping, 0.0, "%s", sched[j]);
        cr_expect(isfinite(loss_now(&p)));
        o->ops->destroy(o);
        prob_free(&p);
    }
}

Test(lm, declares_its_trace_column_and_square_loss_only)
{
    const gn_optim_ops *ops = gn_optim_find("lm");
    cr_assert_not_null(ops);
    cr_assert_not_null(ops->trace_columns);
    cr_expect_str_eq(ops->trace_columns[0].name, "rejected");
    cr_expect_null(ops->trace_columns[1].name);
    cr_expect_eq(ops->losses, GN_LOSS_BIT(GN_LOSS_SQUARE));
    cr_expect_eq(ops->full_batch, 0);
    prob p;
    prob_make(&p, small_tanh, 2);
    const char *kv[] = {NULL};
    gn_optim *o = make_opt("lm", &p, kv);
    gn_step_ctx ctx = {
        .model = &p.net, .loss = GN_LOSS_XENT, .X = p.X, .Y = p.Y, .b = p.n, .c = p.c};
    gn_step_info info;
    memset(&info, 0, sizeof info);
    cr_expect_eq(o->ops->step(o, &ctx, &info), -1);
    cr_expect(info.note[0] != '\0');
    o->ops->destroy(o);
    prob_free(&p);
}
