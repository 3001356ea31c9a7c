/* test_adam.c: Adam against an independent plain-C implementation of the
 * Kingma & Ba recurrence driven by the model's VJP gradients, the
 * bias-corrected first step (≈ lr sign(g)), weight decay, and every loss. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "model/loss.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "core/rng.h"
#include "tolerances.h"

enum { N = 7, D = 3, C = 2 };

typedef struct prob {
    gn_mlp net;
    double X[N * D], Y[N * C];
} prob;

/* A tanh network 3-5-4-2 and targets valid for loss k. */
static void prob_make(prob *p, gn_loss_kind k, uint64_t seed)
{
    gn_blas_init(1);
    gn_mlp_config cfg = {.n_layers = 3,
                         .sizes = {D, 5, 4, C},
                         .act = GN_ACT_TANH,
                         .ntk = 1,
                         .bias = 1,
                         .output_scale = 1};
    char err[128];
    cr_assert_eq(gn_mlp_init(&p->net, &cfg, N, err, sizeof err), 0, "%s", err);
    gn_rng r;
    gn_rng_seed(&r, seed, "adam");
    gn_mlp_init_params(&p->net, &r);
    for (int j = 0; j < N * D; j++)
        p->X[j] = gn_rng_normal(&r);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < C; j++) {
            double *y = &p->Y[i * C + j];
            if (k == GN_LOSS_XENT)
                *y = j == i % C;
            else if (k == GN_LOSS_BXENT)
                *y = gn_rng_uniform(&r);
            else
                *y = gn_rng_normal(&r);
        }
}

static gn_optim *make_adam(prob *p, const char *const *kv)
{
    const gn_optim_ops *ops = gn_optim_find("adam");
    cr_assert_not_null(ops);
    gn_settings s;
    gn_settings_init(&s);
    for (; kv && kv[0]; kv += 2)
        gn_settings_set(&s, kv[0], kv[1]);
    char err[128];
    gn_optim *o = gn_optim_create(ops, &s, &p->net, N, err, sizeof err);
    gn_settings_free(&s);
    cr_assert_not_null(o, "%s", err);
    return o;
}

static void do_step(gn_optim *o, prob *p, gn_loss_kind k, long it, gn_step_info *info)
{
    gn_step_ctx ctx = {
        .model = &p->net, .loss = k, .X = p->X, .Y = p->Y, .b = N, .c = C, .iteration = it};
    memset(info, 0, sizeof *info);
    cr_assert_eq(o->ops->step(o, &ctx, info), 0, "%s", info->note);
}

/* The oracle: Adam written out as in Kingma & Ba's Algorithm 1, with the
 * gradient of the mean loss at theta (the oracle's own copy) from the
 * model's VJP, plus wd theta. net->theta is borrowed for the forward and
 * restored. */
typedef struct oracle {
    size_t m;
    double *theta, *mom, *var, *g, *save;
    double lr, b1, b2, eps, wd;
    int t;
} oracle;

static void oracle_init(oracle *q, const gn_mlp *net, double lr, double b1, double b2, double eps,
                        double wd)
{
    q->m = net->m;
    q->theta = malloc(sizeof(double) * q->m);
    q->save = malloc(sizeof(double) * q->m);
    q->g = malloc(sizeof(double) * q->m);
    q->mom = calloc(q->m, sizeof(double));
    q->var = calloc(q->m, sizeof(double));
    memcpy(q->theta, net->theta, sizeof(double) * q->m);
    q->lr = lr, q->b1 = b1, q->b2 = b2, q->eps = eps, q->wd = wd;
    q->t = 0;
}

static void oracle_free(oracle *q)
{
    free(q->theta), free(q->save), free(q->g), free(q->mom), free(q->var);
}

/* g (m) = ∇ mean loss at theta; for square loss the output gradient is
 * written out by hand, (F − Y) / b. */
static void oracle_grad(oracle *q, prob *p, gn_loss_kind k)
{
    double G[N * C];
    memcpy(q->save, p->net.theta, sizeof(double) * q->m);
    memcpy(p->net.theta, q->theta, sizeof(double) * q->m);
    const double *F = gn_mlp_forward(&p->net, p->X, N);
    if (k == GN_LOSS_SQUARE)
        for (int j = 0; j < N * C; j++)
            G[j] = (F[j] - p->Y[j]) / N;
    else
        gn_loss_grad(k, F, p->Y, N, C, G);
    gn_mlp_vjp(&p->net, G, q->g);
    memcpy(p->net.theta, q->save, sizeof(double) * q->m);
    for (size_t j = 0; j < q->m; j++)
        q->g[j] += q->wd * q->theta[j];
}

static void oracle_step(oracle *q, prob *p, gn_loss_kind k)
{
    oracle_grad(q, p, k);
    q->t++;
    for (size_t j = 0; j < q->m; j++) {
        q->mom[j] = q->b1 * q->mom[j] + (1 - q->b1) * q->g[j];
        q->var[j] = q->b2 * q->var[j] + (1 - q->b2) * q->g[j] * q->g[j];
        double mhat = q->mom[j] / (1 - pow(q->b1, q->t));
        double vhat = q->var[j] / (1 - pow(q->b2, q->t));
        q->theta[j] -= q->lr * mhat / (sqrt(vhat) + q->eps);
    }
}

/* ‖a − b‖ / ‖b − base‖: error relative to the distance travelled. */
static double rel_to_travel(const double *a, const double *b, const double *base, size_t n)
{
    double d = 0, s = 0;
    for (size_t j = 0; j < n; j++) {
        d += (a[j] - b[j]) * (a[j] - b[j]);
        s += (b[j] - base[j]) * (b[j] - base[j]);
    }
    return sqrt(d / s);
}

typedef struct acase {
    gn_loss_kind loss;
    double wd; /* no pointers: each test runs in a fresh process */
} acase;

static acase rec_cases[] = {
    {GN_LOSS_SQUARE, 0},
    {GN_LOSS_SQUARE, 0.05},
    {GN_LOSS_XENT, 0},
    {GN_LOSS_BXENT, 0.01},
};

ParameterizedTestParameters(adam, steps_follow_the_kingma_ba_recurrence)
{
    return cr_make_param_array(acase, rec_cases, sizeof rec_cases / sizeof rec_cases[0]);
}

ParameterizedTest(acase *tc, adam, steps_follow_the_kingma_ba_recurrence)
{
    prob p;
    prob_make(&p, tc->loss, 4);
    char wd[32];
    snprintf(wd, sizeof wd, "%.17g", tc->wd);
    const char *kv[] = {"opt.lr",  "0.01", "opt.beta1",        "0.8", "opt.beta2", "0.95",
                        "opt.eps", "1e-6", "opt.weight_decay", wd,    NULL};
    gn_optim *o = make_adam(&p, kv);
    oracle q;
    oracle_init(&q, &p.net, 0.01, 0.8, 0.95, 1e-6, tc->wd);
    double *th0 = malloc(sizeof(double) * p.net.m), *before = malloc(sizeof(double) * p.net.m);
    memcpy(th0, p.net.theta, sizeof(double) * p.net.m);
    for (int t = 0; t < 6; t++) {
        /* the loss and the gradient the step should report */
        const double *F = gn_mlp_forward(&p.net, p.X, N);
        double l = gn_loss_value(tc->loss, F, p.Y, N, C);
        oracle_step(&q, &p, tc->loss);
        double gnorm = gn_nrm2((int)q.m, q.g);
        memcpy(before, p.net.theta, sizeof(double) * q.m);
        gn_step_info info;
        do_step(o, &p, tc->loss, t, &info);
        double e = rel_to_travel(p.net.theta, q.theta, th0, q.m);
        cr_expect_lt(e, GN_TOL_EXACT_REL, "%s wd=%g step %d: θ differs from the oracle by %.3g",
                     gn_loss_name(tc->loss), tc->wd, t + 1, e);
        cr_expect_lt(fabs(info.batch_loss - l), GN_TOL_EXACT_REL * l, "batch loss %.17g vs %.17g",
                     info.batch_loss, l);
        cr_expect_lt(fabs(info.grad_norm - gnorm), GN_TOL_EXACT_REL * gnorm,
                     "grad norm %.17g vs %.17g", info.grad_norm, gnorm);
        double s2 = 0;
        for (size_t j = 0; j < q.m; j++)
            s2 += (p.net.theta[j] - before[j]) * (p.net.theta[j] - before[j]);
        cr_expect_lt(fabs(info.step_norm - sqrt(s2)), GN_TOL_EXACT_REL * sqrt(s2),
                     "step norm %.17g vs %.17g", info.step_norm, sqrt(s2));
        cr_expect_eq(info.lr, 0.01);
        cr_expect(info.t_forward >= 0 && info.t_backward >= 0);
    }
    o->ops->destroy(o);
    oracle_free(&q);
    free(th0), free(before);
    gn_mlp_free(&p.net);
}

Test(adam, first_step_is_lr_times_sign_of_gradient)
{
    /* m̂₁ = g and v̂₁ = g², so Δθ = −lr g / (|g| + eps): every coordinate
     * moves by lr (up to eps / |g|) against its gradient. Without the bias
     * correction it would move by lr (1 − β₁) / √(1 − β₂) ≈ 3.16 lr. */
    prob p;
    prob_make(&p, GN_LOSS_SQUARE, 9);
    const double lr = 0.003, eps = 1e-8;
    const char *kv[] = {"opt.lr", "0.003", NULL};
    gn_optim *o = make_adam(&p, kv);
    oracle q;
    oracle_init(&q, &p.net, lr, 0.9, 0.999, eps, 0);
    oracle_grad(&q, &p, GN_LOSS_SQUARE);
    gn_step_info info;
    do_step(o, &p, GN_LOSS_SQUARE, 0, &info);
    int checked = 0;
    for (size_t j = 0; j < q.m; j++) {
        double g = q.g[j], moved = p.net.theta[j] - q.theta[j];
        if (g == 0) {
            cr_expect_eq(moved, 0.0, "coordinate %zu has a zero gradient but moved", j);
            continue;
        }
        double want = -lr * (g > 0 ? 1 : -1);
        double slack = lr * eps / (fabs(g) + eps) + 4e-16 * fabs(q.theta[j]) + 1e-18;
        cr_expect_leq(fabs(moved - want), slack, "coordinate %zu: moved %.17g, g %.3g", j, moved,
                      g);
        checked++;
    }
    cr_expect_gt(checked, 0);
    o->ops->destroy(o);
    oracle_free(&q);
    gn_mlp_free(&p.net);
}

Test(adam, defaults_match_the_paper)
{
    const gn_optim_ops *ops = gn_optim_find("adam");
    cr_assert_not_null(ops);
    const char *want[][2] = {{"lr", "0.001"},
                             {"beta1", "0.9"},
                             {"beta2", "0.999"},
                             {"eps", "1e-8"},
                             {"weight_decay", "0"}};
    for (int i = 0; i < 5; i++) {
        const gn_param *p = gn_param_find(ops->params, want[i][0]);
        cr_assert_not_null(p, "no %s", want[i][0]);
        cr_expect_eq(atof(p->def), atof(want[i][1]), "%s default %s", want[i][0], p->def);
    }
    cr_expect_eq(ops->losses, GN_LOSSES_ALL);
}

ParameterizedTestParameters(adam, descends_on_every_loss)
{
    static gn_loss_kind kinds[] = {GN_LOSS_SQUARE, GN_LOSS_XENT, GN_LOSS_BXENT};
    return cr_make_param_array(gn_loss_kind, kinds, 3);
}

ParameterizedTest(gn_loss_kind *k, adam, descends_on_every_loss)
{
    prob p;
    prob_make(&p, *k, 13);
    const char *kv[] = {"opt.lr", "0.01", NULL};
    gn_optim *o = make_adam(&p, kv);
    const double *F = gn_mlp_forward(&p.net, p.X, N);
    double l0 = gn_loss_value(*k, F, p.Y, N, C);
    gn_step_info info;
    for (int t = 0; t < 50; t++)
        do_step(o, &p, *k, t, &info);
    F = gn_mlp_forward(&p.net, p.X, N);
    double l1 = gn_loss_value(*k, F, p.Y, N, C);
    cr_expect_lt(l1, 0.9 * l0, "%s: loss %.5g -> %.5g after 50 steps", gn_loss_name(*k), l0, l1);
    o->ops->destroy(o);
    gn_mlp_free(&p.net);
}
