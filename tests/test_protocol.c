/* test_protocol.c: the pieces of the comparison protocol below the runner:
 * the validation split (dataset.validation), the learning-rate schedules
 * (train.lr_schedule, train.warmup) and the targets (train.target). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/params.h"
#include "data/dataset.h"
#include "exp/train.h"
#include "tolerances.h"

/* A teacher dataset with these extra settings ("key=value", NULL-ended). */
static int load_teacher(gn_dataset *ds, char *err, size_t len, const char *extra, ...)
{
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "dataset.name", "teacher");
    gn_settings_set(&s, "dataset.n_train", "50");
    gn_settings_set(&s, "dataset.n_test", "7");
    gn_settings_set(&s, "dataset.dim", "3");
    va_list ap;
    va_start(ap, extra);
    for (const char *kv = extra; kv; kv = va_arg(ap, const char *)) {
        char key[64];
        const char *eq = strchr(kv, '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        gn_settings_set(&s, key, eq + 1);
    }
    va_end(ap);
    gn_dataset_spec spec;
    memset(ds, 0, sizeof *ds);
    int rc = gn_dataset_spec_bind(&spec, &s, err, len);
    if (rc == 0) rc = gn_dataset_load(&spec, NULL, ds, err, len);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);
    return rc;
}

/* Index of row x (d wide) among the n rows of A, or -1. */
static int row_of(const double *A, int n, int d, const double *x)
{
    for (int i = 0; i < n; i++)
        if (memcmp(A + (size_t)i * d, x, sizeof(double) * d) == 0) return i;
    return -1;
}

Test(protocol, validation_split_partitions_the_training_set)
{
    char err[512];
    gn_dataset full, a, b;
    cr_assert_eq(load_teacher(&full, err, sizeof err, NULL), 0, "%s", err);
    cr_assert_eq(load_teacher(&a, err, sizeof err, "dataset.validation=0.2", NULL), 0, "%s", err);
    cr_assert_eq(load_teacher(&b, err, sizeof err, "dataset.validation=0.2", NULL), 0, "%s", err);
    cr_assert_eq(a.n_val, 10);
    cr_assert_eq(a.n_train, 40);
    cr_assert_eq(a.n_test, full.n_test);
    int d = full.d, c = full.c;
    /* every original row lands in exactly one part, with its target */
    int *seen = calloc((size_t)full.n_train, sizeof *seen);
    for (int i = 0; i < a.n_train + a.n_val; i++) {
        int in_val = i >= a.n_train;
        const double *x =
            in_val ? a.X_val + (size_t)(i - a.n_train) * d : a.X_train + (size_t)i * d;
        const double *y =
            in_val ? a.Y_val + (size_t)(i - a.n_train) * c : a.Y_train + (size_t)i * c;
        int k = row_of(full.X_train, full.n_train, d, x);
        cr_assert_geq(k, 0, "row %d is not a training row", i);
        cr_expect_eq(memcmp(y, full.Y_train + (size_t)k * c, sizeof(double) * c), 0);
        seen[k]++;
    }
    for (int k = 0; k < full.n_train; k++)
        cr_expect_eq(seen[k], 1, "training row %d used %d times", k, seen[k]);
    free(seen);
    /* deterministic: the same split on every load (every run of an experiment) */
    cr_expect_eq(memcmp(a.X_val, b.X_val, sizeof(double) * (size_t)a.n_val * d), 0);
    cr_expect_eq(memcmp(a.X_train, b.X_train, sizeof(double) * (size_t)a.n_train * d), 0);
    cr_expect_eq(memcmp(a.X_test, full.X_test, sizeof(double) * (size_t)a.n_test * d), 0);
    cr_expect(strstr(a.identity, "validation=10/seed=0"), "%s", a.identity);
    gn_dataset_free(&b);
    /* another seed, another split; a count instead of a fraction */
    cr_assert_eq(load_teacher(&b, err, sizeof err, "dataset.validation=10",
                              "dataset.validation_seed=3", NULL),
                 0, "%s", err);
    cr_assert_eq(b.n_val, 10);
    cr_expect_neq(memcmp(a.X_val, b.X_val, sizeof(double) * (size_t)a.n_val * d), 0);
    gn_dataset_free(&a);
    gn_dataset_free(&b);
    gn_dataset_free(&full);
}

Test(protocol, validation_split_refuses_sizes_that_leave_nothing)
{
    char err[512];
    gn_dataset ds;
    const char *bad[] = {"dataset.validation=50", "dataset.validation=80", "dataset.validation=2.5",
                         "dataset.validation=0.001"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(load_teacher(&ds, err, sizeof err, bad[i], NULL), -1, "%s accepted", bad[i]);
        cr_expect(strstr(err, "dataset.validation"), "%s: %s", bad[i], err);
        cr_expect_null(ds.X_train);
    }
    cr_expect_eq(load_teacher(&ds, err, sizeof err, "dataset.validation=-1", NULL), -1);
    cr_expect_eq(load_teacher(&ds, err, sizeof err, "dataset.validation=49", NULL), 0, "%s", err);
    cr_expect_eq(ds.n_train, 1);
    gn_dataset_free(&ds);
}

/* A train config from these settings ("key=value", NULL-ended). */
static gn_train_cfg train_cfg(const char *kv, ...)
{
    gn_settings s;
    gn_settings_init(&s);
    va_list ap;
    va_start(ap, kv);
    for (; kv; kv = va_arg(ap, const char *)) {
        char key[64];
        const char *eq = strchr(kv, '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        gn_settings_set(&s, key, eq + 1);
    }
    va_end(ap);
    gn_train_cfg t;
    char err[256];
    cr_assert_eq(gn_params_bind(gn_train_params, &s, "train.", &t, err, sizeof err), 0, "%s", err);
    gn_settings_free(&s);
    return t;
}

Test(protocol, schedules_follow_their_formulas)
{
    gn_train_cfg t = train_cfg(NULL);
    for (long k = 0; k < 10; k++)
        cr_expect_eq(gn_train_lr_factor(&t, k, 10), 1.0);
    t = train_cfg("train.warmup=4", NULL);
    const double warm[] = {0.25, 0.5, 0.75, 1, 1, 1};
    for (long k = 0; k < 6; k++)
        cr_expect_eq(gn_train_lr_factor(&t, k, 20), warm[k], "step %ld", k);
    t = train_cfg("train.lr_schedule=cosine", "train.warmup=0.2", NULL);
    cr_expect_eq(gn_train_warmup_steps(&t, 20), 4);
    cr_expect_eq(gn_train_lr_factor(&t, 0, 20), 0.25);
    cr_expect_eq(gn_train_lr_factor(&t, 4, 20), 1.0);
    for (long k = 4; k < 20; k++) {
        double want = 0.5 * (1 + cos(M_PI * (double)(k - 4) / 16.0));
        cr_expect_lt(fabs(gn_train_lr_factor(&t, k, 20) - want), 1e-15, "step %ld", k);
    }
    cr_expect_lt(fabs(gn_train_lr_factor(&t, 12, 20) - 0.5), 1e-15); /* half way */
    t = train_cfg("train.lr_schedule=linear", NULL);
    for (long k = 0; k < 8; k++)
        cr_expect_lt(fabs(gn_train_lr_factor(&t, k, 8) - (1 - k / 8.0)), 1e-15, "step %ld", k);
    /* every factor of a run is in (0, 1] */
    t = train_cfg("train.lr_schedule=linear", "train.warmup=3", NULL);
    for (long k = 0; k < 5; k++)
        cr_expect(gn_train_lr_factor(&t, k, 5) > 0 && gn_train_lr_factor(&t, k, 5) <= 1);
}

Test(protocol, targets_name_their_metric_and_direction)
{
    gn_target_metric m;
    double v;
    gn_train_cfg t = train_cfg(NULL);
    cr_expect_eq(gn_train_target(&t, &m, &v), 0);
    t = train_cfg("train.target_loss=0.5", NULL);
    cr_assert_eq(gn_train_target(&t, &m, &v), 1);
    cr_expect_eq(m, GN_TARGET_TRAIN_LOSS);
    cr_expect_eq(v, 0.5);
    t = train_cfg("train.target=0.9", "train.target_metric=val_accuracy", NULL);
    cr_assert_eq(gn_train_target(&t, &m, &v), 1);
    cr_expect_eq(m, GN_TARGET_VAL_ACCURACY);
    cr_expect_str_eq(gn_target_metric_names[m], "val_accuracy");
    cr_expect(gn_target_reached(m, 0.9, 0.9));
    cr_expect(gn_target_reached(m, 0.95, 0.9));
    cr_expect(!gn_target_reached(m, 0.85, 0.9));
    cr_expect(gn_target_reached(GN_TARGET_VAL_LOSS, 0.1, 0.2));
    cr_expect(!gn_target_reached(GN_TARGET_VAL_LOSS, 0.3, 0.2));
    cr_expect(!gn_target_reached(GN_TARGET_VAL_LOSS, NAN, 0.2));
}
