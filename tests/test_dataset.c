/* test_dataset.c: the teacher generator and the CSV loader. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "gn_config.h"
#include "rng.h"

/* ---- helpers ---- */

static const char *csv_dir(void)
{
    static char dir[1024];
    const char *d = getenv("GN_TEST_DATA");
    if (d)
        snprintf(dir, sizeof dir, "%s/csv", d);
    else
        snprintf(dir, sizeof dir, "%s/tests/data/csv", GN_SOURCE_ROOT);
    return dir;
}

/* Settings from "key=value" pairs, ending with NULL. */
static void settings(gn_settings *s, ...)
{
    gn_settings_init(s);
    va_list ap;
    va_start(ap, s);
    const char *kv;
    while ((kv = va_arg(ap, const char *))) {
        const char *eq = strchr(kv, '=');
        cr_assert_not_null(eq, "%s", kv);
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        cr_assert_eq(gn_settings_set(s, key, eq + 1), 0);
    }
    va_end(ap);
}

static void load_ok(gn_settings *s, gn_dataset *ds)
{
    char err[1024] = "";
    int rc = gn_dataset_load(s, csv_dir(), ds, err, sizeof err);
    cr_assert_eq(rc, 0, "load failed: %s", err);
}

/* Loading fails; err starts with "<csv dir>/<file>:<line>:" (when line > 0)
 * and holds each of the NULL-terminated strings that follow. */
static void load_fails(gn_settings *s, const char *file, int line, ...)
{
    gn_dataset ds;
    char err[1024] = "";
    cr_assert_eq(gn_dataset_load(s, csv_dir(), &ds, err, sizeof err), -1, "accepted (%s)", file);
    cr_assert_null(ds.X_train);
    cr_assert_null(ds.Y_train);
    if (file) {
        char want[1200];
        if (line > 0)
            snprintf(want, sizeof want, "%s/%s:%d: ", csv_dir(), file, line);
        else
            snprintf(want, sizeof want, "%s/%s: ", csv_dir(), file);
        cr_assert(strncmp(err, want, strlen(want)) == 0, "want prefix '%s' in '%s'", want, err);
    }
    va_list ap;
    va_start(ap, line);
    const char *what;
    while ((what = va_arg(ap, const char *))) cr_assert(strstr(err, what), "want '%s' in '%s'", what, err);
    va_end(ap);
    gn_settings_free(s);
}

static void column_stats(const double *A, int n, int m, int j, double *mean, double *var)
{
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) s += A[(size_t)i * m + j];
    *mean = s / n;
    for (int i = 0; i < n; i++) {
        double e = A[(size_t)i * m + j] - *mean;
        s2 += e * e;
    }
    *var = s2 / n;
}

/* ---- registry ---- */

Test(dataset, kinds_are_registered_with_parameter_tables)
{
    cr_assert_not_null(gn_dataset_kind_find("teacher"));
    cr_assert_not_null(gn_dataset_kind_find("csv"));
    cr_assert_null(gn_dataset_kind_find("nope"));
    for (int i = 0; gn_dataset_kinds[i].name; i++) {
        cr_assert_not_null(gn_dataset_kinds[i].summary);
        for (const gn_param *p = gn_dataset_kinds[i].params; p->name; p++) {
            cr_assert_not_null(p->doc);
            char why[256];
            if (p->def) cr_assert_eq(gn_param_check(p, p->def, why, sizeof why), 0, "%s", p->name);
        }
    }
}

Test(dataset, unknown_name_and_bad_values_are_rejected)
{
    gn_settings s;
    settings(&s, "dataset.name=nope", NULL);
    load_fails(&s, NULL, 0, "dataset.name", "nope", "teacher", "csv", NULL);
    settings(&s, NULL);
    load_fails(&s, NULL, 0, "dataset.name", NULL);
    settings(&s, "dataset.name=teacher", "dataset.n_train=0", NULL);
    load_fails(&s, NULL, 0, "dataset.n_train", "'0'", NULL);
    settings(&s, "dataset.name=teacher", "dataset.noise=-1", NULL);
    load_fails(&s, NULL, 0, "dataset.noise", NULL);
}

/* ---- teacher ---- */

Test(dataset, teacher_shapes_and_identity)
{
    gn_settings s;
    settings(&s, "dataset.name=teacher", "dataset.n_train=64", "dataset.n_test=32", "dataset.dim=5",
             "dataset.outputs=3", NULL);
    gn_dataset ds;
    load_ok(&s, &ds);
    cr_assert_eq(ds.n_train, 64);
    cr_assert_eq(ds.n_test, 32);
    cr_assert_eq(ds.d, 5);
    cr_assert_eq(ds.c, 3);
    cr_assert_not_null(ds.X_test);
    for (int i = 0; i < 64 * 5; i++) cr_assert(isfinite(ds.X_train[i]));
    for (int i = 0; i < 32 * 3; i++) cr_assert(isfinite(ds.Y_test[i]));
    cr_assert_str_eq(ds.identity, "teacher n_train=64 n_test=32 dim=5 outputs=3 teacher_width=32 "
                                  "noise=0 spectrum=0 seed=0 rng=" GN_RNG_VERSION);
    gn_dataset_free(&ds);
    cr_assert_null(ds.X_train);
    gn_settings_free(&s);

    settings(&s, "dataset.name=teacher", "dataset.n_test=0", "dataset.noise=0.25",
             "dataset.spectrum=1.5", "dataset.seed=7", NULL);
    load_ok(&s, &ds);
    cr_assert_eq(ds.n_train, 256); /* table defaults */
    cr_assert_eq(ds.d, 16);
    cr_assert_eq(ds.c, 1);
    cr_assert_eq(ds.n_test, 0);
    cr_assert_null(ds.X_test);
    cr_assert_null(ds.Y_test);
    cr_assert_str_eq(ds.identity, "teacher n_train=256 n_test=0 dim=16 outputs=1 teacher_width=32 "
                                  "noise=0.25 spectrum=1.5 seed=7 rng=" GN_RNG_VERSION);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

static int same(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof *a) == 0;
}

Test(dataset, teacher_is_deterministic_per_seed)
{
    gn_settings s;
    gn_dataset a, b, c;
    settings(&s, "dataset.name=teacher", "dataset.n_train=50", "dataset.n_test=20", "dataset.seed=3",
             "dataset.noise=0.1", NULL);
    load_ok(&s, &a);
    load_ok(&s, &b);
    cr_assert(same(a.X_train, b.X_train, 50 * 16));
    cr_assert(same(a.Y_train, b.Y_train, 50));
    cr_assert(same(a.X_test, b.X_test, 20 * 16));
    cr_assert(same(a.Y_test, b.Y_test, 20));
    cr_assert_str_eq(a.identity, b.identity);
    /* train and test come from different streams */
    cr_assert(!same(a.X_train, a.X_test, 20 * 16));

    gn_settings_set(&s, "dataset.seed", "4");
    load_ok(&s, &c);
    cr_assert(!same(a.X_train, c.X_train, 50 * 16));
    cr_assert(!same(a.Y_train, c.Y_train, 50));
    cr_assert_str_neq(a.identity, c.identity);
    gn_dataset_free(&a);
    gn_dataset_free(&b);
    gn_dataset_free(&c);
    gn_settings_free(&s);
}

Test(dataset, teacher_train_and_test_sizes_are_independent)
{
    gn_settings s;
    gn_dataset a, b;
    settings(&s, "dataset.name=teacher", "dataset.n_train=40", "dataset.n_test=10", "dataset.noise=0.3",
             NULL);
    load_ok(&s, &a);
    gn_settings_set(&s, "dataset.n_test", "500");
    load_ok(&s, &b);
    cr_assert(same(a.X_train, b.X_train, 40 * 16));
    cr_assert(same(a.Y_train, b.Y_train, 40));
    cr_assert(same(a.X_test, b.X_test, 10 * 16)); /* a prefix of the larger test set */
    cr_assert(same(a.Y_test, b.Y_test, 10));
    gn_dataset_free(&b);
    gn_settings_set(&s, "dataset.n_train", "7");
    load_ok(&s, &b);
    cr_assert(same(a.X_test, b.X_test, 10 * 16));
    cr_assert(same(a.Y_test, b.Y_test, 10));
    cr_assert(same(a.X_train, b.X_train, 7 * 16));
    gn_dataset_free(&a);
    gn_dataset_free(&b);
    gn_settings_free(&s);
}

Test(dataset, teacher_noise_is_added_to_the_same_function)
{
    gn_settings s;
    gn_dataset clean, noisy;
    int n = 20000;
    settings(&s, "dataset.name=teacher", "dataset.n_train=20000", "dataset.n_test=0", "dataset.dim=4",
             NULL);
    load_ok(&s, &clean);
    gn_settings_set(&s, "dataset.noise", "0.5");
    load_ok(&s, &noisy);
    cr_assert(same(clean.X_train, noisy.X_train, (size_t)n * 4));
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) mean += noisy.Y_train[i] - clean.Y_train[i];
    mean /= n;
    for (int i = 0; i < n; i++) {
        double e = noisy.Y_train[i] - clean.Y_train[i] - mean;
        var += e * e;
    }
    var /= n;
    /* 5 standard errors: 0.5/sqrt(n) for the mean, 0.25*sqrt(2/n) for the variance */
    cr_assert(fabs(mean) < 5 * 0.5 / sqrt(n), "noise mean %g", mean);
    cr_assert(fabs(var - 0.25) < 5 * 0.25 * sqrt(2.0 / n), "noise variance %g", var);
    gn_dataset_free(&clean);
    gn_dataset_free(&noisy);
    gn_settings_free(&s);
}

Test(dataset, teacher_targets_have_order_one_variance)
{
    for (int seed = 0; seed < 5; seed++) {
        gn_settings s;
        gn_dataset ds;
        char kv[64];
        snprintf(kv, sizeof kv, "dataset.seed=%d", seed);
        settings(&s, "dataset.name=teacher", "dataset.n_train=4000", "dataset.n_test=0",
                 "dataset.outputs=2", kv, NULL);
        load_ok(&s, &ds);
        for (int o = 0; o < 2; o++) {
            double mean, var;
            column_stats(ds.Y_train, 4000, 2, o, &mean, &var);
            cr_assert(var > 0.1 && var < 10, "seed %d output %d: variance %g", seed, o, var);
        }
        gn_dataset_free(&ds);
        gn_settings_free(&s);
    }
}

Test(dataset, teacher_spectrum_sets_input_variances)
{
    int n = 20000, d = 8;
    double alphas[] = {0.0, 2.0};
    for (int a = 0; a < 2; a++) {
        gn_settings s;
        gn_dataset ds;
        char kv[64];
        snprintf(kv, sizeof kv, "dataset.spectrum=%g", alphas[a]);
        settings(&s, "dataset.name=teacher", "dataset.n_train=20000", "dataset.n_test=0",
                 "dataset.dim=8", kv, NULL);
        load_ok(&s, &ds);
        double tr = 0;
        for (int j = 0; j < d; j++) tr += pow(j + 1, -alphas[a]);
        double total = 0;
        for (int j = 0; j < d; j++) {
            double mean, var, want = pow(j + 1, -alphas[a]) * d / tr;
            column_stats(ds.X_train, n, d, j, &mean, &var);
            total += var;
            /* relative standard error of a sample variance: sqrt(2/n) = 1% */
            cr_assert(fabs(var / want - 1) < 5 * sqrt(2.0 / n), "spectrum %g coordinate %d: %g vs %g",
                      alphas[a], j, var, want);
            cr_assert(fabs(mean) < 5 * sqrt(want / n));
        }
        cr_assert(fabs(total / d - 1) < 0.03, "trace %g", total);
        if (alphas[a] > 0) {
            double v0, v7, m;
            column_stats(ds.X_train, n, d, 0, &m, &v0);
            column_stats(ds.X_train, n, d, d - 1, &m, &v7);
            cr_assert_gt(v0 / v7, 40.0); /* 8^2 = 64 in expectation */
        }
        gn_dataset_free(&ds);
        gn_settings_free(&s);
    }
}

/* ---- csv ---- */

Test(dataset, csv_default_target_is_last_column)
{
    gn_settings s;
    gn_dataset ds;
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.standardize=false", NULL);
    load_ok(&s, &ds);
    cr_assert_eq(ds.n_train, 4);
    cr_assert_eq(ds.n_test, 0);
    cr_assert_null(ds.X_test);
    cr_assert_eq(ds.d, 4);
    cr_assert_eq(ds.c, 1);
    /* row 2 of train.csv: 2,4,5,20,-2 */
    double want[] = {2, 4, 5, 20};
    for (int j = 0; j < 4; j++) cr_assert_eq(ds.X_train[1 * 4 + j], want[j]);
    cr_assert_eq(ds.Y_train[1], -2);
    cr_assert(strncmp(ds.identity, "csv train=train.csv bytes=", 26) == 0, "%s", ds.identity);
    cr_assert(strstr(ds.identity, " target=z standardize=false"), "%s", ds.identity);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

Test(dataset, csv_targets_by_name_keep_their_order)
{
    gn_settings s;
    gn_dataset ds;
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.test=test.csv",
             "dataset.target=z; y", "dataset.standardize=false", NULL);
    load_ok(&s, &ds);
    cr_assert_eq(ds.d, 3);
    cr_assert_eq(ds.c, 2);
    cr_assert_eq(ds.n_test, 2);
    /* inputs a, b, const; targets z, y */
    cr_assert_eq(ds.X_train[3 * 3 + 1], 9);
    cr_assert_eq(ds.Y_train[3 * 2 + 0], -5);
    cr_assert_eq(ds.Y_train[3 * 2 + 1], 40);
    cr_assert_eq(ds.X_test[0], 5);
    cr_assert_eq(ds.Y_test[0], -6);
    cr_assert_eq(ds.Y_test[1], 50);
    cr_assert(strstr(ds.identity, " test=test.csv bytes="), "%s", ds.identity);
    cr_assert(strstr(ds.identity, " target=z;y standardize=false"), "%s", ds.identity);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

Test(dataset, csv_target_columns_takes_the_last_k)
{
    gn_settings s;
    gn_dataset ds;
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.target_columns=2",
             "dataset.standardize=false", NULL);
    load_ok(&s, &ds);
    cr_assert_eq(ds.d, 3);
    cr_assert_eq(ds.c, 2);
    cr_assert_eq(ds.Y_train[0], 10);
    cr_assert_eq(ds.Y_train[1], -1);
    cr_assert(strstr(ds.identity, " target=y;z "), "%s", ds.identity);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

Test(dataset, csv_accepts_blanks_and_quotes_around_numbers)
{
    gn_settings s;
    gn_dataset ds;
    settings(&s, "dataset.name=csv", "dataset.train=spaces.csv", "dataset.target=y",
             "dataset.standardize=false", NULL);
    load_ok(&s, &ds);
    cr_assert_eq(ds.n_train, 2);
    cr_assert_eq(ds.X_train[0], 1);
    cr_assert_eq(ds.X_train[1], 3);
    cr_assert_eq(ds.Y_train[1], 4);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

Test(dataset, csv_standardizes_by_training_statistics)
{
    gn_settings s;
    gn_dataset ds;
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.test=test.csv",
             "dataset.target=y;z", NULL);
    load_ok(&s, &ds);
    cr_assert_eq(ds.d, 3);
    for (int j = 0; j < 3; j++) {
        double mean, var;
        column_stats(ds.X_train, 4, 3, j, &mean, &var);
        cr_assert(fabs(mean) < 1e-15, "input %d mean %g", j, mean);
        if (j == 2)
            cr_assert_eq(var, 0.0); /* constant column: centred, not scaled */
        else
            cr_assert(fabs(var - 1) < 1e-14, "input %d var %g", j, var);
    }
    for (int j = 0; j < 2; j++) {
        double mean, var;
        column_stats(ds.Y_train, 4, 2, j, &mean, &var);
        cr_assert(fabs(mean) < 1e-15 && fabs(var - 1) < 1e-14, "target %d: %g %g", j, mean, var);
    }
    /* test row 1: a = 5 with train mean 2.5 and sd sqrt(1.25); const 5 -> 0;
     * y = 50 with mean 25 and sd sqrt(125) */
    cr_assert(fabs(ds.X_test[0] - 2.5 / sqrt(1.25)) < 1e-14, "%g", ds.X_test[0]);
    cr_assert_eq(ds.X_test[2], 0.0);
    cr_assert(fabs(ds.Y_test[0] - 25 / sqrt(125.0)) < 1e-14, "%g", ds.Y_test[0]);
    cr_assert(strstr(ds.identity, "standardize=true"), "%s", ds.identity);
    gn_dataset_free(&ds);
    gn_settings_free(&s);

    /* cross-entropy targets are labels: inputs only */
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "loss=xent", NULL);
    load_ok(&s, &ds);
    cr_assert_eq(ds.Y_train[0], -1);
    cr_assert(strstr(ds.identity, "standardize=inputs"), "%s", ds.identity);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

Test(dataset, csv_identity_tracks_file_contents)
{
    gn_settings s;
    gn_dataset a, b;
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", NULL);
    load_ok(&s, &a);
    gn_settings_set(&s, "dataset.train", "test.csv");
    load_ok(&s, &b);
    const char *ha = strstr(a.identity, "fnv1a="), *hb = strstr(b.identity, "fnv1a=");
    cr_assert(ha && hb);
    cr_assert(strncmp(ha, hb, 22) != 0);
    gn_dataset_free(&a);
    gn_dataset_free(&b);
    gn_settings_free(&s);
}

Test(dataset, csv_absolute_paths_ignore_base_dir)
{
    gn_settings s;
    gn_dataset ds;
    char kv[1200];
    snprintf(kv, sizeof kv, "dataset.train=%s/train.csv", csv_dir());
    settings(&s, "dataset.name=csv", kv, NULL);
    char err[1024];
    cr_assert_eq(gn_dataset_load(&s, "/nonexistent", &ds, err, sizeof err), 0, "%s", err);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

/* ---- csv: bad files, each named with its line and column ---- */

Test(dataset, csv_missing_train_key_is_named)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", NULL);
    load_fails(&s, NULL, 0, "dataset.train", "required", NULL);
}

Test(dataset, csv_missing_file)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=absent.csv", NULL);
    load_fails(&s, "absent.csv", 0, "cannot open: No such file or directory", "dataset.train", NULL);
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.test=absent.csv", NULL);
    load_fails(&s, "absent.csv", 0, "cannot open", "dataset.test", NULL);
}

Test(dataset, csv_ragged_row)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=bad_ragged.csv", NULL);
    load_fails(&s, "bad_ragged.csv", 3, "row has 2 fields, header has 3", NULL);
}

Test(dataset, csv_non_numeric_cell)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=bad_nonnumeric.csv", NULL);
    load_fails(&s, "bad_nonnumeric.csv", 4, "column 'b'", "'abc' is not a number", NULL);
}

Test(dataset, csv_nan_cell)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=bad_nan.csv", NULL);
    load_fails(&s, "bad_nan.csv", 4, "column 'b'", "'nan' is not finite", NULL);
}

Test(dataset, csv_inf_cell)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=bad_inf.csv", NULL);
    load_fails(&s, "bad_inf.csv", 4, "column 'y'", "'-inf' is not finite", NULL);
}

Test(dataset, csv_empty_cell)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=bad_empty_cell.csv", NULL);
    load_fails(&s, "bad_empty_cell.csv", 3, "column 'b'", "empty cell", NULL);
}

Test(dataset, csv_empty_file)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=empty.csv", NULL);
    load_fails(&s, "empty.csv", 1, "empty file", NULL);
}

Test(dataset, csv_header_only)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=header_only.csv", NULL);
    load_fails(&s, "header_only.csv", 1, "no data rows", NULL);
}

Test(dataset, csv_missing_target_column_lists_the_header)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.target=y;nope", NULL);
    load_fails(&s, "train.csv", 1, "'nope'", "dataset.target", "a, b, const, y, z", NULL);
}

Test(dataset, csv_test_header_must_match_train)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.test=test_header_mismatch.csv",
             NULL);
    load_fails(&s, "test_header_mismatch.csv", 1, "column 4 is 'w'", "train.csv", "'y'", NULL);
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.test=bad_nan.csv", NULL);
    load_fails(&s, "bad_nan.csv", 1, "column 3 is 'y'", "'const'", NULL);
}

Test(dataset, csv_bad_test_cell_names_the_test_file)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.test=test_bad_cell.csv",
             NULL);
    load_fails(&s, "test_bad_cell.csv", 3, "column 'y'", "'x20'", NULL);
}

Test(dataset, csv_target_choices_must_leave_inputs)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.target=a;b;const;y;z", NULL);
    load_fails(&s, "train.csv", 1, "no input columns", NULL);
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.target_columns=5", NULL);
    load_fails(&s, "train.csv", 1, "no input columns", NULL);
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.target_columns=6", NULL);
    load_fails(&s, "train.csv", 1, "target_columns = 6", "a, b, const, y, z", NULL);
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.target=y",
             "dataset.target_columns=1", NULL);
    load_fails(&s, NULL, 0, "dataset.target", "dataset.target_columns", NULL);
}
