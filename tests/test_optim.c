/* test_optim.c: the contract every registered optimizer must meet — a
 * well-formed hyperparameter table, an instance that points back at its
 * ops, and a step that reports the batch loss before it, is deterministic,
 * leaves finite parameters and, with a small step size, descends. */
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

enum { N = 12, D = 5, C = 2 };

typedef struct fixture {
    gn_mlp net;
    double X[N * D], Y[N * C];
} fixture;

static void fixture_make(fixture *f)
{
    gn_blas_init(1);
    gn_mlp_config cfg = {.n_layers = 3,
                         .sizes = {D, 9, 7, C},
                         .act = GN_ACT_TANH,
                         .ntk = 1,
                         .bias = 1,
                         .output_scale = 1};
    char err[128];
    cr_assert_eq(gn_mlp_init(&f->net, &cfg, N, err, sizeof err), 0, "%s", err);
    gn_rng r;
    gn_rng_seed(&r, 17, "conformance");
    gn_mlp_init_params(&f->net, &r);
    for (int j = 0; j < N * D; j++)
        f->X[j] = gn_rng_normal(&r);
    for (int j = 0; j < N * C; j++)
        f->Y[j] = gn_rng_normal(&r);
}

/* Defaults of the table, with the step size scaled by lr_scale. */
static void default_settings(const gn_optim_ops *ops, gn_settings *s, double lr_scale)
{
    gn_settings_init(s);
    for (const gn_param *p = ops->params; p->name; p++) {
        if (!p->def) continue;
        char key[64], val[64];
        snprintf(key, sizeof key, "opt.%s", p->name);
        if (strcmp(p->name, "lr") == 0)
            snprintf(val, sizeof val, "%.17g", atof(p->def) * lr_scale);
        else
            snprintf(val, sizeof val, "%s", p->def);
        gn_settings_set(s, key, val);
    }
}

static double loss_at(fixture *f)
{
    const double *F = gn_mlp_forward(&f->net, f->X, N);
    return gn_loss_value(GN_LOSS_SQUARE, F, f->Y, N, C);
}

/* Parameters are registry indices: tests run in separate processes, where
 * pointers from the parent are not valid. */
static int indices[64];

ParameterizedTestParameters(optim, conforms)
{
    int n = 0;
    while (gn_optimizers[n] && n < 64)
        indices[n] = n, n++;
    return cr_make_param_array(int, indices, n);
}

ParameterizedTest(int *index, optim, conforms)
{
    const gn_optim_ops *ops = gn_optimizers[*index];
    const char *const *name = &ops->name;
    cr_expect_eq(ops->version, GN_OPTIM_OPS_VERSION);
    cr_expect(ops->summary && *ops->summary);
    cr_assert(ops->create && ops->step && ops->destroy);
    for (const gn_param *p = ops->params; p->name; p++) {
        char why[128];
        cr_expect(p->doc && *p->doc, "%s.%s has no doc", *name, p->name);
        if (p->def)
            cr_expect_eq(gn_param_check(p, p->def, why, sizeof why), 0,
                         "%s.%s default \"%s\" fails its own check: %s", *name, p->name, p->def,
                         why);
        for (const gn_param *q = p + 1; q->name; q++)
            cr_expect_neq(strcmp(p->name, q->name), 0, "%s: duplicate %s", *name, p->name);
    }

    fixture f1, f2;
    fixture_make(&f1);
    fixture_make(&f2);
    gn_settings s;
    default_settings(ops, &s, 0.01);
    char err[256];
    gn_optim *o1 = gn_optim_create(ops, &s, &f1.net, N, err, sizeof err);
    cr_assert_not_null(o1, "%s: %s", *name, err);
    gn_optim *o2 = gn_optim_create(ops, &s, &f2.net, N, err, sizeof err);
    cr_assert_not_null(o2, "%s: %s", *name, err);
    gn_settings_free(&s);
    cr_expect_eq(o1->ops, ops, "instance does not point at its ops");

    double l0 = loss_at(&f1);
    double prev = l0;
    for (int k = 0; k < 3; k++) {
        gn_step_ctx ctx1 = {.model = &f1.net,
                            .loss = GN_LOSS_SQUARE,
                            .X = f1.X,
                            .Y = f1.Y,
                            .b = N,
                            .c = C,
                            .iteration = k};
        gn_step_ctx ctx2 = ctx1;
        ctx2.model = &f2.net, ctx2.X = f2.X, ctx2.Y = f2.Y;
        gn_step_info i1, i2;
        memset(&i1, 0, sizeof i1);
        memset(&i2, 0, sizeof i2);
        cr_assert_eq(ops->step(o1, &ctx1, &i1), 0, "%s: %s", *name, i1.note);
        cr_assert_eq(ops->step(o2, &ctx2, &i2), 0);
        cr_expect_lt(fabs(i1.batch_loss - prev), GN_TOL_EXACT_REL * prev,
                     "%s: reported batch loss %.17g, loss before the step %.17g", *name,
                     i1.batch_loss, prev);
        double now = loss_at(&f1);
        cr_expect_lt(now, prev, "%s: step %d did not descend with a small step (%.17g -> %.17g)",
                     *name, k, prev, now);
        prev = now;
    }
    cr_expect_eq(memcmp(f1.net.theta, f2.net.theta, sizeof(double) * f1.net.m), 0,
                 "%s: two instances from the same start differ", *name);
    for (size_t p = 0; p < f1.net.m; p++)
        cr_assert(isfinite(f1.net.theta[p]));
    ops->destroy(o1);
    ops->destroy(o2);
    gn_mlp_free(&f1.net);
    gn_mlp_free(&f2.net);
}

Test(optim, registry_names_are_unique_and_found)
{
    for (int i = 0; gn_optimizers[i]; i++) {
        cr_expect_eq(gn_optim_find(gn_optimizers[i]->name), gn_optimizers[i]);
        for (int j = i + 1; gn_optimizers[j]; j++)
            cr_expect_neq(strcmp(gn_optimizers[i]->name, gn_optimizers[j]->name), 0);
    }
    cr_expect_null(gn_optim_find("no-such-optimizer"));
}

/* The plan a plugin reports before anything exists (the memory check and
 * the shard cost model read it) matches what create() then allocates, for
 * every plugin and the settings that change its workspace. */
ParameterizedTestParameters(optim, plan_equals_the_allocated_workspace)
{
    int n = 0;
    while (gn_optimizers[n] && n < 64)
        indices[n] = n, n++;
    return cr_make_param_array(int, indices, n);
}

ParameterizedTest(int *index, optim, plan_equals_the_allocated_workspace)
{
    const gn_optim_ops *ops = gn_optimizers[*index];
    /* settings that change a plugin's layout; each is tried where it exists */
    static const char *const variants[][2] = {
        {NULL, NULL},           {"opt.solver", "cg"},         {"opt.form", "primal"},
        {"opt.fisher", "true"}, {"opt.curvature_batch", "5"}, {"opt.schedule", "constant"},
    };
    fixture f;
    fixture_make(&f);
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        const char *key = variants[v][0];
        if (key && !gn_param_find(ops->params, key + 4)) continue;
        gn_settings s;
        default_settings(ops, &s, 1);
        if (key) gn_settings_set(&s, key, variants[v][1]);
        char err[256];
        void *hp = gn_optim_bind(ops, &s, err, sizeof err);
        cr_assert_not_null(hp, "%s: %s", ops->name, err);
        for (int b = 1; b <= N; b += N - 1) {
            gn_optim_plan plan;
            gn_optim_shape sh = gn_optim_shape_of(&f.net, b);
            gn_optim_plan_for(ops, hp, &sh, &plan);
            gn_optim *o = ops->create(hp, &f.net, b, err, sizeof err);
            cr_assert_not_null(o, "%s %s: %s", ops->name, key ? key : "", err);
            cr_expect_eq(plan.workspace_bytes, (double)o->workspace_bytes,
                         "%s %s batch %d: plan %.0f bytes, create allocated %zu", ops->name,
                         key ? key : "defaults", b, plan.workspace_bytes, o->workspace_bytes);
            cr_expect_gt(o->workspace_bytes, 0, "%s", ops->name);
            cr_expect_leq(plan.gram_batch, b, "%s: curvature batch beyond the step batch",
                          ops->name);
            cr_expect_gt(plan.step_flops, 0, "%s", ops->name);
            ops->destroy(o);
        }
        free(hp);
        gn_settings_free(&s);
    }
    gn_mlp_free(&f.net);
}

/* train.lr_schedule scales every optimizer's step size through
 * gn_step_ctx.lr_scale: steps at lr with scale s equal steps at lr * s. */
ParameterizedTestParameters(optim, lr_scale_equals_a_scaled_lr)
{
    int n = 0;
    while (gn_optimizers[n] && n < 64)
        indices[n] = n, n++;
    return cr_make_param_array(int, indices, n);
}

ParameterizedTest(int *index, optim, lr_scale_equals_a_scaled_lr)
{
    const gn_optim_ops *ops = gn_optimizers[*index];
    const double scale = 0.375;
    fixture f1, f2;
    fixture_make(&f1);
    fixture_make(&f2);
    gn_settings s1, s2;
    default_settings(ops, &s1, 0.01);
    default_settings(ops, &s2, 0.01 * scale);
    char err[256];
    gn_optim *o1 = gn_optim_create(ops, &s1, &f1.net, N, err, sizeof err);
    cr_assert_not_null(o1, "%s: %s", ops->name, err);
    gn_optim *o2 = gn_optim_create(ops, &s2, &f2.net, N, err, sizeof err);
    cr_assert_not_null(o2, "%s: %s", ops->name, err);
    for (int k = 0; k < 3; k++) {
        gn_step_ctx c1 = {.model = &f1.net,
                          .loss = GN_LOSS_SQUARE,
                          .X = f1.X,
                          .Y = f1.Y,
                          .b = N,
                          .c = C,
                          .iteration = k,
                          .lr_scale = scale};
        gn_step_ctx c2 = c1;
        c2.model = &f2.net, c2.X = f2.X, c2.Y = f2.Y, c2.lr_scale = 0;
        gn_step_info i1, i2;
        memset(&i1, 0, sizeof i1);
        memset(&i2, 0, sizeof i2);
        cr_assert_eq(ops->step(o1, &c1, &i1), 0, "%s: %s", ops->name, i1.note);
        cr_assert_eq(ops->step(o2, &c2, &i2), 0, "%s: %s", ops->name, i2.note);
        cr_expect_leq(fabs(i1.lr - i2.lr), GN_TOL_EXACT_REL * fabs(i2.lr),
                      "%s step %d: reported lr %.17g vs %.17g", ops->name, k, i1.lr, i2.lr);
    }
    double diff = 0, size = 0;
    for (size_t p = 0; p < f1.net.m; p++) {
        diff = fmax(diff, fabs(f1.net.theta[p] - f2.net.theta[p]));
        size = fmax(size, fabs(f2.net.theta[p]));
    }
    cr_expect_leq(diff, GN_TOL_EXACT_REL * size, "%s: scaled steps differ by %.3g", ops->name,
                  diff);
    ops->destroy(o1);
    ops->destroy(o2);
    gn_settings_free(&s1);
    gn_settings_free(&s2);
    gn_mlp_free(&f1.net);
    gn_mlp_free(&f2.net);
}
