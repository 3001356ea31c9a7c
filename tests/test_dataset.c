/* test_dataset.c: the dataset registry and every dataset kind: teacher and
 * the other generators, the CSV loader, and the package-backed sets
 * (skipped with a message when their package is absent). Broken package
 * files are generated into a scratch tree that stands in for the file
 * system root ($GNBENCH_DATA_ROOT). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/dataset.h"
#include "data/dataset_impl.h"
#include "gn_config.h"
#include "core/rng.h"

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

/* Binds s's dataset and loads it from base_dir with target encoding t, the
 * way the runner does. Returns the status; err holds the message and ds is
 * cleared on failure. */
static int load_as(const gn_settings *s, const char *base_dir, gn_targets t, gn_dataset *ds,
                   char *err, size_t len)
{
    gn_dataset_spec spec;
    gn_dataset_request req = {base_dir, t};
    err[0] = '\0';
    memset(ds, 0, sizeof *ds);
    int rc = gn_dataset_spec_bind(&spec, s, err, len);
    if (rc == 0) rc = gn_dataset_load(&spec, &req, ds, err, len);
    gn_dataset_spec_free(&spec);
    return rc;
}

static void load_ok(gn_settings *s, gn_dataset *ds)
{
    char err[1024] = "";
    int rc = load_as(s, csv_dir(), GN_TARGETS_VALUES, ds, err, sizeof err);
    cr_assert_eq(rc, 0, "load failed: %s", err);
}

/* Loading fails; err starts with "<csv dir>/<file>:<line>:" (when line > 0)
 * and holds each of the NULL-terminated strings that follow. */
static void load_fails(gn_settings *s, const char *file, int line, ...)
{
    gn_dataset ds;
    char err[1024] = "";
    cr_assert_eq(load_as(s, csv_dir(), GN_TARGETS_VALUES, &ds, err, sizeof err), -1,
                 "accepted (%s)", file);
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
    while ((what = va_arg(ap, const char *)))
        cr_assert(strstr(err, what), "want '%s' in '%s'", what, err);
    va_end(ap);
    gn_settings_free(s);
}

static void column_stats(const double *A, int n, int m, int j, double *mean, double *var)
{
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++)
        s += A[(size_t)i * m + j];
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
    load_fails(&s, NULL, 0, "dataset.n_train", "\"0\"", NULL);
    settings(&s, "dataset.name=teacher", "dataset.noise=-1", NULL);
    load_fails(&s, NULL, 0, "dataset.noise", NULL);
}

/* ---- typed options and the request ---- */

static const char *e2e_file(const char *name)
{
    static char path[1024];
    const char *d = getenv("GN_TEST_DATA");
    if (d)
        snprintf(path, sizeof path, "%s/e2e/%s", d, name);
    else
        snprintf(path, sizeof path, "%s/tests/data/e2e/%s", GN_SOURCE_ROOT, name);
    return path;
}

/* A spec bound from "key=value" settings (ending with NULL); s must outlive it. */
static void bind_ok(gn_dataset_spec *spec, gn_settings *s, ...)
{
    gn_settings_init(s);
    va_list ap;
    va_start(ap, s);
    const char *kv;
    while ((kv = va_arg(ap, const char *))) {
        const char *eq = strchr(kv, '=');
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        cr_assert_eq(gn_settings_set(s, key, eq + 1), 0);
    }
    va_end(ap);
    char err[512] = "";
    cr_assert_eq(gn_dataset_spec_bind(spec, s, err, sizeof err), 0, "%s", err);
    cr_assert_not_null(spec->kind);
    cr_assert_not_null(spec->opts);
}

Test(dataset, bind_fills_every_kind_with_its_table_defaults)
{
    for (int i = 0; gn_dataset_kinds[i].name; i++) {
        const gn_dataset_kind *k = &gn_dataset_kinds[i];
        char kv[96];
        snprintf(kv, sizeof kv, "dataset.name=%s",
                 strcmp(k->name, "fann:<set>") == 0 ? "fann:thyroid" : k->name);
        gn_settings s;
        gn_dataset_spec spec;
        bind_ok(&spec, &s, kv, NULL);
        cr_assert_eq(spec.kind, k, "%s", k->name);
        cr_assert_gt(k->opts_size, 0, "%s", k->name);
        const char *o = spec.opts;
        for (const gn_param *p = k->params; p->name; p++) {
            cr_assert_leq(p->offset, k->opts_size, "%s.%s", k->name, p->name);
            const void *f = o + p->offset;
            switch (p->type) {
            case GN_PARAM_REAL:
                cr_assert_eq(*(const double *)f, strtod(p->def, NULL), "%s.%s", k->name, p->name);
                break;
            case GN_PARAM_INT:
                cr_assert_eq(*(const long *)f, p->def ? strtol(p->def, NULL, 10) : 0, "%s.%s",
                             k->name, p->name);
                break;
            case GN_PARAM_BOOL:
                cr_assert_eq(*(const int *)f, strcmp(p->def, "true") == 0, "%s.%s", k->name,
                             p->name);
                break;
            case GN_PARAM_CHOICE:
                cr_assert_eq(*(const int *)f, gn_param_choice_index(p, p->def), "%s.%s", k->name,
                             p->name);
                break;
            case GN_PARAM_STRING:
            case GN_PARAM_LIST:
                cr_assert_null(*(const char *const *)f, "%s.%s", k->name, p->name);
                break;
            }
        }
        gn_dataset_spec_free(&spec);
        cr_assert_null(spec.opts);
        gn_settings_free(&s);
    }
}

Test(dataset, bind_defaults_land_in_the_named_fields)
{
    gn_settings s;
    gn_dataset_spec spec;
    bind_ok(&spec, &s, "dataset.name=teacher", NULL);
    const gn_ds_teacher_opts *t = spec.opts;
    cr_assert(t->n_train == 256 && t->n_test == 256 && t->dim == 16 && t->outputs == 1);
    cr_assert(t->teacher_width == 32 && t->noise == 0 && t->spectrum == 0 && t->seed == 0);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);

    bind_ok(&spec, &s, "dataset.name=csv", NULL);
    const gn_ds_csv_opts *c = spec.opts;
    cr_assert(!c->train && !c->test && !c->target && c->target_columns == 0 && c->classes == 0);
    cr_assert_eq(c->standardize, 1);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);

    bind_ok(&spec, &s, "dataset.name=ntk", NULL);
    const gn_ds_ntk_opts *n = spec.opts;
    cr_assert(n->dim == 16 && n->teacher_width == 1024 && n->alpha == 1);
    cr_assert_eq(n->activation, GN_DS_NTK_RELU);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);

    bind_ok(&spec, &s, "dataset.name=clustered", NULL);
    const gn_ds_clustered_opts *cl = spec.opts;
    cr_assert(cl->clusters == 8 && cl->spread == 0.1 && cl->targets == GN_DS_CLUSTERED_TEACHER);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);

    bind_ok(&spec, &s, "dataset.name=curves", NULL);
    const gn_ds_curves_opts *cv = spec.opts;
    cr_assert(cv->n_train == 20000 && cv->n_test == 10000 && cv->pen == 1);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);

    bind_ok(&spec, &s, "dataset.name=fashion-mnist", NULL);
    const gn_ds_fashion_opts *fm = spec.opts;
    cr_assert(fm->task == GN_DS_FASHION_CLASSIFY && fm->n_train == 60000 && fm->n_test == 10000);
    cr_assert(fm->scale == 1 && fm->standardize == 0 && fm->onehot == 1 && fm->max_angle == 180);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);

    bind_ok(&spec, &s, "dataset.name=fann:parity8", NULL);
    const gn_ds_fann_opts *fa = spec.opts;
    cr_assert(fa->n_train == -1 && fa->n_test == -1 && fa->standardize == 1);
    cr_assert_str_eq(spec.name, "fann:parity8");
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);

    bind_ok(&spec, &s, "dataset.name=digits", NULL);
    const gn_ds_digits_opts *dg = spec.opts;
    cr_assert(dg->task == GN_DS_DIGITS_CLASSIFY && dg->n_train == 1500 && dg->n_test == 297);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);

    bind_ok(&spec, &s, "dataset.name=diabetes", NULL);
    const gn_ds_diabetes_opts *db = spec.opts;
    cr_assert(db->n_train == 400 && db->n_test == 42 && db->standardize == 1);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);
}

Test(dataset, bind_takes_given_values_and_choices_in_table_order)
{
    gn_settings s;
    gn_dataset_spec spec;
    bind_ok(&spec, &s, "dataset.name=teacher", "dataset.spectrum=2.5", "dataset.seed=7",
            "dataset.outputs=3", NULL);
    const gn_ds_teacher_opts *t = spec.opts;
    cr_assert(t->spectrum == 2.5 && t->seed == 7 && t->outputs == 3 && t->dim == 16);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);

    bind_ok(&spec, &s, "dataset.name=csv", "dataset.train=a.csv", "dataset.target=y;z",
            "dataset.standardize=false", "dataset.classes=4", NULL);
    const gn_ds_csv_opts *c = spec.opts;
    cr_assert_str_eq(c->train, "a.csv");
    cr_assert_str_eq(c->target, "y;z");
    cr_assert(c->standardize == 0 && c->classes == 4 && c->target_columns == 0);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);

    /* each choice name binds to its enum value */
    static const struct {
        const char *name, *kv;
        size_t offset;
        int want;
    } choices[] = {
        {"ntk", "dataset.activation=tanh", offsetof(gn_ds_ntk_opts, activation), GN_DS_NTK_TANH},
        {"clustered", "dataset.targets=random", offsetof(gn_ds_clustered_opts, targets),
         GN_DS_CLUSTERED_RANDOM},
        {"fashion-mnist", "dataset.task=autoencode", offsetof(gn_ds_fashion_opts, task),
         GN_DS_FASHION_AUTOENCODE},
        {"fashion-mnist", "dataset.task=rotation", offsetof(gn_ds_fashion_opts, task),
         GN_DS_FASHION_ROTATION},
        {"digits", "dataset.task=autoencode", offsetof(gn_ds_digits_opts, task),
         GN_DS_DIGITS_AUTOENCODE},
    };
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
        char kv[64];
        snprintf(kv, sizeof kv, "dataset.name=%s", choices[i].name);
        bind_ok(&spec, &s, kv, choices[i].kv, NULL);
        int got = *(const int *)((const char *)spec.opts + choices[i].offset);
        cr_assert_eq(got, choices[i].want, "%s %s", choices[i].name, choices[i].kv);
        gn_dataset_spec_free(&spec);
        gn_settings_free(&s);
    }
    char b[16];
    cr_assert_str_eq(gn_ds_choice_name(GN_DS_FASHION_TASKS, GN_DS_FASHION_ROTATION, b, sizeof b),
                     "rotation");
    cr_assert_str_eq(gn_ds_choice_name(GN_DS_NTK_ACTIVATIONS, GN_DS_NTK_RELU, b, sizeof b), "relu");
    cr_assert_str_eq(gn_ds_choice_name(GN_DS_DIGITS_TASKS, 2, b, sizeof b), "?");
    cr_assert_str_eq(gn_ds_choice_name(GN_DS_DIGITS_TASKS, -1, b, sizeof b), "?");
}

Test(dataset, bind_refuses_bad_values_and_names_with_the_spec_cleared)
{
    gn_settings s;
    gn_dataset_spec spec;
    char err[512];
    settings(&s, "dataset.name=teacher", "dataset.dim=0", NULL);
    cr_assert_eq(gn_dataset_spec_bind(&spec, &s, err, sizeof err), -1);
    cr_assert(strstr(err, "dataset.dim") && strstr(err, "\"0\""), "%s", err);
    cr_assert(!spec.kind && !spec.name && !spec.opts);
    gn_dataset_spec_free(&spec); /* a cleared spec may be freed */
    gn_settings_free(&s);
    settings(&s, "dataset.name=nope", NULL);
    cr_assert_eq(gn_dataset_spec_bind(&spec, &s, err, sizeof err), -1);
    cr_assert(strstr(err, "unknown dataset"), "%s", err);
    gn_settings_free(&s);
    /* loading needs a bound spec */
    gn_dataset ds;
    cr_assert_eq(gn_dataset_load(&spec, NULL, &ds, err, sizeof err), -1);
    cr_assert_null(ds.X_train);
}

Test(dataset, losses_ask_for_their_target_encoding)
{
    cr_assert_eq(gn_loss_targets(GN_LOSS_SQUARE), GN_TARGETS_VALUES);
    cr_assert_eq(gn_loss_targets(GN_LOSS_XENT), GN_TARGETS_ONEHOT);
    cr_assert_eq(gn_loss_targets(GN_LOSS_BXENT), GN_TARGETS_PROBS);
}

/* One spec, three requests: class labels 0..2 in one column. */
Test(dataset, request_decides_one_hot_and_target_standardization)
{
    gn_settings s;
    gn_dataset_spec spec;
    bind_ok(&spec, &s, "dataset.name=csv", "dataset.target=label", NULL);
    ((gn_ds_csv_opts *)spec.opts)->train = e2e_file("classes.csv"); /* absolute: no base dir */
    char err[1024];
    gn_dataset v, h, p;
    gn_dataset_request rv = {NULL, GN_TARGETS_VALUES}, rh = {NULL, GN_TARGETS_ONEHOT},
                       rp = {NULL, GN_TARGETS_PROBS};
    cr_assert_eq(gn_dataset_load(&spec, &rv, &v, err, sizeof err), 0, "%s", err);
    cr_assert_eq(gn_dataset_load(&spec, &rh, &h, err, sizeof err), 0, "%s", err);
    cr_assert_eq(gn_dataset_load(&spec, &rp, &p, err, sizeof err), 0, "%s", err);
    cr_assert(v.c == 1 && h.c == 3 && p.c == 1, "c = %d %d %d", v.c, h.c, p.c);
    cr_assert(v.n_train == 48 && h.n_train == 48 && p.n_train == 48);
    double mean, var;
    column_stats(v.Y_train, v.n_train, 1, 0, &mean, &var); /* values: standardized */
    cr_assert(fabs(mean) < 1e-14 && fabs(var - 1) < 1e-14, "%g %g", mean, var);
    for (int i = 0; i < p.n_train; i++) {
        double y = p.Y_train[i]; /* probabilities: as given, never standardized */
        cr_assert(y == 0 || y == 1 || y == 2, "row %d: %g", i, y);
        const double *r = h.Y_train + (size_t)i * 3;
        cr_assert(r[0] + r[1] + r[2] == 1.0 && r[(int)y] == 1.0, "row %d", i);
    }
    for (int i = 0; i < v.n_train * v.d; i++) /* inputs are standardized alike */
        cr_assert(v.X_train[i] == h.X_train[i] && v.X_train[i] == p.X_train[i]);
    cr_assert(strstr(v.identity, "standardize=true") && !strstr(v.identity, "onehot"), "%s",
              v.identity);
    cr_assert(strstr(h.identity, "standardize=inputs onehot=3"), "%s", h.identity);
    cr_assert(strstr(p.identity, "standardize=inputs") && !strstr(p.identity, "onehot"), "%s",
              p.identity);
    cr_assert_str_neq(v.identity, h.identity);
    cr_assert_str_neq(v.identity, p.identity);
    cr_assert_str_neq(h.identity, p.identity);
    gn_dataset_free(&v);
    gn_dataset_free(&h);
    gn_dataset_free(&p);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);
}

/* A probability request keeps targets unstandardized even with standardize. */
Test(dataset, probability_targets_are_never_standardized)
{
    gn_settings s;
    gn_dataset_spec spec;
    bind_ok(&spec, &s, "dataset.name=csv", "dataset.train=train.csv", "dataset.test=test.csv",
            "dataset.target=y;z", "dataset.standardize=true", NULL);
    char err[1024];
    gn_dataset a, b;
    gn_dataset_request values = {csv_dir(), GN_TARGETS_VALUES},
                       probs = {csv_dir(), GN_TARGETS_PROBS};
    cr_assert_eq(gn_dataset_load(&spec, &probs, &a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(gn_dataset_load(&spec, &values, &b, err, sizeof err), 0, "%s", err);
    cr_assert_eq(a.c, 2);
    int differ = 0;
    for (int i = 0; i < a.n_train * a.c; i++)
        differ |= a.Y_train[i] != b.Y_train[i];
    cr_assert(differ, "the value request standardizes, the probability request must not");
    double mean, var;
    column_stats(a.Y_train, a.n_train, 2, 0, &mean, &var);
    cr_assert(fabs(mean) > 1e-3 || fabs(var - 1) > 1e-3, "targets were standardized");
    gn_dataset_free(&a);
    gn_dataset_free(&b);
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);
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
    for (int i = 0; i < 64 * 5; i++)
        cr_assert(isfinite(ds.X_train[i]));
    for (int i = 0; i < 32 * 3; i++)
        cr_assert(isfinite(ds.Y_test[i]));
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
    settings(&s, "dataset.name=teacher", "dataset.n_train=50", "dataset.n_test=20",
             "dataset.seed=3", "dataset.noise=0.1", NULL);
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
    settings(&s, "dataset.name=teacher", "dataset.n_train=40", "dataset.n_test=10",
             "dataset.noise=0.3", NULL);
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
    settings(&s, "dataset.name=teacher", "dataset.n_train=20000", "dataset.n_test=0",
             "dataset.dim=4", NULL);
    load_ok(&s, &clean);
    gn_settings_set(&s, "dataset.noise", "0.5");
    load_ok(&s, &noisy);
    cr_assert(same(clean.X_train, noisy.X_train, (size_t)n * 4));
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++)
        mean += noisy.Y_train[i] - clean.Y_train[i];
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
        for (int j = 0; j < d; j++)
            tr += pow(j + 1, -alphas[a]);
        double total = 0;
        for (int j = 0; j < d; j++) {
            double mean, var, want = pow(j + 1, -alphas[a]) * d / tr;
            column_stats(ds.X_train, n, d, j, &mean, &var);
            total += var;
            /* relative standard error of a sample variance: sqrt(2/n) = 1% */
            cr_assert(fabs(var / want - 1) < 5 * sqrt(2.0 / n),
                      "spectrum %g coordinate %d: %g vs %g", alphas[a], j, var, want);
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
    for (int j = 0; j < 4; j++)
        cr_assert_eq(ds.X_train[1 * 4 + j], want[j]);
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

    /* probability targets (bxent) are labels: inputs only (one-hot would
     * also make them one-hot) */
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", NULL);
    char err[1024];
    cr_assert_eq(load_as(&s, csv_dir(), GN_TARGETS_PROBS, &ds, err, sizeof err), 0, "%s", err);
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
    cr_assert_eq(load_as(&s, "/nonexistent", GN_TARGETS_VALUES, &ds, err, sizeof err), 0, "%s",
                 err);
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
    load_fails(&s, "absent.csv", 0, "cannot open: No such file or directory", "dataset.train",
               NULL);
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
    settings(&s, "dataset.name=csv", "dataset.train=train.csv",
             "dataset.test=test_header_mismatch.csv", NULL);
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
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.target=a;b;const;y;z",
             NULL);
    load_fails(&s, "train.csv", 1, "no input columns", NULL);
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.target_columns=5", NULL);
    load_fails(&s, "train.csv", 1, "no input columns", NULL);
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.target_columns=6", NULL);
    load_fails(&s, "train.csv", 1, "target_columns = 6", "a, b, const, y, z", NULL);
    settings(&s, "dataset.name=csv", "dataset.train=train.csv", "dataset.target=y",
             "dataset.target_columns=1", NULL);
    load_fails(&s, NULL, 0, "dataset.target", "dataset.target_columns", NULL);
}

/* ====================================================================== */
/* built-in real and synthetic datasets                                    */

#define FM "/usr/share/datasets/fashion-mnist/"
#define FANN "/usr/share/doc/libfann-dev/examples/datasets/"
#define SK "/usr/lib/python3/dist-packages/sklearn/datasets/data/"

/* Loads with the given settings (value targets); returns the status, err
 * holds the message. */
static int try_load(gn_settings *s, gn_dataset *ds, char *err, size_t len)
{
    return load_as(s, ".", GN_TARGETS_VALUES, ds, err, len);
}

/* Skips the test when a package's file is neither installed nor cached. */
static void need(const char *sys_path, const char *package)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/datasets/cache%s", GN_SOURCE_ROOT, sys_path);
    if (access(sys_path, R_OK) != 0 && access(p, R_OK) != 0)
        cr_skip_test("%s not installed (sudo apt-get install %s, or bash datasets/fetch.sh)",
                     sys_path, package);
}

static double row_sum(const double *A, int m, int i)
{
    double s = 0;
    for (int j = 0; j < m; j++)
        s += A[(size_t)i * m + j];
    return s;
}

/* ---- a scratch file tree standing in for the file system root ---- */

static char scratch[256];

static void scratch_init(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/gnbench-ds-XXXXXX");
    cr_assert_not_null(mkdtemp(scratch));
    setenv("GNBENCH_DATA_ROOT", scratch, 1);
    char cache[300];
    snprintf(cache, sizeof cache, "%s/no-cache", scratch);
    setenv("GNBENCH_DATA_CACHE", cache, 1);
}

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char sub[2048];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_tree(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void scratch_fini(void)
{
    if (scratch[0]) rm_tree(scratch);
    scratch[0] = '\0';
}

/* scratch + sys_path, creating the folders. */
static const char *scratch_path(const char *sys_path)
{
    static char p[2048];
    snprintf(p, sizeof p, "%s%s", scratch, sys_path);
    for (char *q = p + strlen(scratch) + 1; *q; q++)
        if (*q == '/') {
            *q = '\0';
            mkdir(p, 0755);
            *q = '/';
        }
    return p;
}

static void write_file(const char *sys_path, const void *data, size_t n)
{
    FILE *f = fopen(scratch_path(sys_path), "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void write_text(const char *sys_path, const char *text)
{
    write_file(sys_path, text, strlen(text));
}

/* gzip of data (n bytes) into a new buffer; *gz_len its size. */
static unsigned char *gzip_bytes(const void *data, size_t n, size_t *gz_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    cr_assert_eq(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)n);
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *gz_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static void write_gz(const char *sys_path, const void *data, size_t n)
{
    size_t gl;
    unsigned char *g = gzip_bytes(data, n, &gl);
    write_file(sys_path, g, gl);
    free(g);
}

static void put_be32(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* An IDX image file of n (declared) images of r×c with `extra` more or
 * fewer pixel bytes than declared; pixels v. Returns the buffer. */
static unsigned char *idx_images(unsigned magic, unsigned n, unsigned r, unsigned c, long extra,
                                 size_t *len)
{
    size_t body = (size_t)((long)((size_t)n * r * c) + extra);
    unsigned char *b = calloc(16 + body, 1);
    put_be32(b, magic);
    put_be32(b + 4, n);
    put_be32(b + 8, r);
    put_be32(b + 12, c);
    for (size_t i = 0; i < body; i++)
        b[16 + i] = (unsigned char)(i % 251);
    *len = 16 + body;
    return b;
}

static unsigned char *idx_labels(unsigned n, size_t *len)
{
    unsigned char *b = malloc(8 + n);
    put_be32(b, 0x801);
    put_be32(b + 4, n);
    for (unsigned i = 0; i < n; i++)
        b[8 + i] = (unsigned char)(i % 10);
    *len = 8 + n;
    return b;
}

/* Writes Fashion-MNIST label files that pass and image files that are never
 * reached (labels are read first, then the training images). */
static void write_fashion_stub(void)
{
    size_t n;
    unsigned char *b = idx_labels(60000, &n);
    write_gz(FM "train-labels-idx1-ubyte.gz", b, n);
    free(b);
    b = idx_labels(10000, &n);
    write_gz(FM "t10k-labels-idx1-ubyte.gz", b, n);
    free(b);
    write_text(FM "train-images-idx3-ubyte.gz", "stub");
    write_text(FM "t10k-images-idx3-ubyte.gz", "stub");
}

/* The load fails with each of the NULL-terminated strings in the message. */
static void fails_with(gn_settings *s, ...)
{
    gn_dataset ds;
    char err[2048];
    cr_assert_eq(try_load(s, &ds, err, sizeof err), -1, "accepted");
    cr_assert_null(ds.X_train);
    va_list ap;
    va_start(ap, s);
    const char *what;
    while ((what = va_arg(ap, const char *)))
        cr_assert(strstr(err, what), "want '%s' in '%s'", what, err);
    va_end(ap);
}

/* ---- registry ---- */

Test(dataset, every_kind_has_a_loader_and_a_summary_with_its_source)
{
    for (int i = 0; gn_dataset_kinds[i].name; i++) {
        const gn_dataset_kind *k = &gn_dataset_kinds[i];
        cr_assert_not_null(k->load, "%s", k->name);
        if (strcmp(k->name, "csv") == 0) continue; /* file names have no default */
        for (const gn_param *p = k->params; p->name; p++)
            cr_assert_not_null(p->def, "%s.%s has no default", k->name, p->name);
    }
    const char *real[] = {"fashion-mnist", "digits", "diabetes"};
    for (int i = 0; i < 3; i++) {
        const gn_dataset_kind *k = gn_dataset_kind_find(real[i]);
        cr_assert_not_null(k, "%s", real[i]);
        cr_assert(strstr(k->summary, "package") && strstr(k->summary, "("), "%s", k->summary);
    }
    const gn_dataset_kind *f = gn_dataset_kind_find("fann:census-house");
    cr_assert_not_null(f);
    cr_assert_str_eq(f->name, "fann:<set>");
    cr_assert_eq(gn_dataset_kind_find("fann:thyroid"), f);
    cr_assert_null(gn_dataset_kind_find("fann:nope"));
    cr_assert_null(gn_dataset_kind_find("fann:"));
    cr_assert_null(gn_dataset_kind_find("fann:<set>"));
    for (const char *const *n = (const char *const[]){"ntk", "clustered", "curves", NULL}; *n; n++)
        cr_assert_not_null(gn_dataset_kind_find(*n), "%s", *n);
}

Test(dataset, unknown_fann_set_lists_the_sets)
{
    gn_settings s;
    settings(&s, "dataset.name=fann:nope", NULL);
    fails_with(&s, "fann:nope", "census-house", "two-spiral", NULL);
    gn_settings_free(&s);
}

/* ---- fashion-mnist (package dataset-fashion-mnist) ---- */

Test(dataset, fashion_mnist_classify_subset)
{
    need(FM "train-images-idx3-ubyte.gz", "dataset-fashion-mnist");
    gn_settings s;
    gn_dataset ds, again;
    char err[1024];
    settings(&s, "dataset.name=fashion-mnist", "dataset.n_train=512", "dataset.n_test=100", NULL);
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.n_train, 512);
    cr_assert_eq(ds.n_test, 100);
    cr_assert_eq(ds.d, 784);
    cr_assert_eq(ds.c, 10);
    double lo = 1, hi = 0;
    for (size_t i = 0; i < 512 * 784; i++) {
        lo = fmin(lo, ds.X_train[i]);
        hi = fmax(hi, ds.X_train[i]);
    }
    cr_assert(lo == 0 && hi == 1, "pixels in [%g, %g]", lo, hi);
    for (int i = 0; i < 512; i++)
        cr_assert_eq(row_sum(ds.Y_train, 10, i), 1.0);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(row_sum(ds.Y_test, 10, i), 1.0);
    cr_assert(strstr(ds.identity, "fashion-mnist task=classify n_train=512 n_test=100 seed=0"),
              "%s", ds.identity);
    cr_assert(strstr(ds.identity, "pkg=dataset-fashion-mnist train-images-idx3-ubyte.gz:"), "%s",
              ds.identity);
    cr_assert(strstr(ds.identity, "t10k-labels-idx1-ubyte.gz:"), "%s", ds.identity);
    cr_assert(strstr(ds.identity, ":crc32="), "%s", ds.identity);
    cr_assert_lt(strlen(ds.identity), sizeof ds.identity - 1);
    /* deterministic; another seed picks other images */
    cr_assert_eq(try_load(&s, &again, err, sizeof err), 0, "%s", err);
    cr_assert(same(ds.X_train, again.X_train, 512 * 784));
    gn_dataset_free(&again);
    gn_settings_set(&s, "dataset.seed", "1");
    cr_assert_eq(try_load(&s, &again, err, sizeof err), 0, "%s", err);
    cr_assert(!same(ds.X_train, again.X_train, 512 * 784));
    gn_dataset_free(&again);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

Test(dataset, fashion_mnist_full_has_6000_of_each_class)
{
    need(FM "train-images-idx3-ubyte.gz", "dataset-fashion-mnist");
    gn_settings s;
    gn_dataset ds;
    char err[1024];
    settings(&s, "dataset.name=fashion-mnist", "dataset.onehot=false", "dataset.scale=false", NULL);
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.n_train, 60000);
    cr_assert_eq(ds.n_test, 10000);
    cr_assert_eq(ds.c, 1);
    int count[10] = {0};
    for (int i = 0; i < 60000; i++) {
        cr_assert(ds.Y_train[i] >= 0 && ds.Y_train[i] <= 9);
        count[(int)ds.Y_train[i]]++;
    }
    for (int k = 0; k < 10; k++)
        cr_assert_eq(count[k], 6000, "class %d: %d", k, count[k]);
    double hi = 0;
    for (size_t i = 0; i < (size_t)60000 * 784; i++)
        hi = fmax(hi, ds.X_train[i]);
    cr_assert_eq(hi, 255.0);
    /* the package's files, as in datasets/README.md */
    cr_assert(strstr(ds.identity, "train-images-idx3-ubyte.gz:26421856:crc32=39b5f967"), "%s",
              ds.identity);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

Test(dataset, fashion_mnist_standardize_autoencode_rotation)
{
    need(FM "train-images-idx3-ubyte.gz", "dataset-fashion-mnist");
    gn_settings s;
    gn_dataset ds;
    char err[1024];
    settings(&s, "dataset.name=fashion-mnist", "dataset.n_train=2000", "dataset.n_test=10",
             "dataset.standardize=true", NULL);
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    for (int j = 300; j < 310; j++) { /* central pixels vary */
        double mean, var;
        column_stats(ds.X_train, 2000, 784, j, &mean, &var);
        cr_assert(fabs(mean) < 1e-12 && fabs(var - 1) < 1e-12, "pixel %d: %g %g", j, mean, var);
    }
    gn_dataset_free(&ds);
    gn_settings_free(&s);

    settings(&s, "dataset.name=fashion-mnist", "dataset.n_train=100", "dataset.n_test=10",
             "dataset.task=autoencode", NULL);
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.c, 784);
    cr_assert_eq(ds.Y_train, ds.X_train); /* one copy */
    cr_assert_eq(ds.Y_test, ds.X_test);
    gn_dataset_free(&ds);
    gn_settings_free(&s);

    gn_dataset plain;
    settings(&s, "dataset.name=fashion-mnist", "dataset.n_train=100", "dataset.n_test=10", NULL);
    cr_assert_eq(try_load(&s, &plain, err, sizeof err), 0, "%s", err);
    gn_settings_set(&s, "dataset.task", "rotation");
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.c, 2);
    int turned = 0;
    for (int i = 0; i < 100; i++) {
        double c = ds.Y_train[2 * i], sn = ds.Y_train[2 * i + 1];
        cr_assert(fabs(c * c + sn * sn - 1) < 1e-12);
        turned += !same(ds.X_train + i * 784, plain.X_train + i * 784, 784);
    }
    cr_assert_gt(turned, 95);
    cr_assert(strstr(ds.identity, "task=rotation") && strstr(ds.identity, "max_angle=180"), "%s",
              ds.identity);
    gn_dataset_free(&ds);
    /* max_angle 0: the images themselves, angle 0 */
    gn_settings_set(&s, "dataset.max_angle", "0");
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < 100 * 784; i++)
        cr_assert(fabs(ds.X_train[i] - plain.X_train[i]) < 1e-12);
    cr_assert_eq(ds.Y_train[0], 1.0);
    cr_assert_eq(ds.Y_train[1], 0.0);
    gn_dataset_free(&ds);
    gn_dataset_free(&plain);
    gn_settings_free(&s);
}

Test(dataset, fashion_mnist_missing_names_the_fetch_command, .init = scratch_init,
     .fini = scratch_fini)
{
    gn_settings s;
    settings(&s, "dataset.name=fashion-mnist", NULL);
    fails_with(&s, "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", "not found",
               "apt-get install dataset-fashion-mnist", "bash datasets/fetch.sh", NULL);
    gn_settings_free(&s);
}

Test(dataset, fashion_mnist_is_read_from_the_cache, .init = scratch_init, .fini = scratch_fini)
{
    /* an empty root, and "/" as the cache: the installed files */
    need(FM "train-images-idx3-ubyte.gz", "dataset-fashion-mnist");
    if (access(FM "train-images-idx3-ubyte.gz", R_OK) != 0)
        cr_skip_test("not installed system-wide");
    setenv("GNBENCH_DATA_CACHE", "/", 1);
    gn_settings s;
    gn_dataset ds;
    char err[1024];
    settings(&s, "dataset.name=fashion-mnist", "dataset.n_train=3", "dataset.n_test=2", NULL);
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.n_train, 3);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

/* ---- fashion-mnist: broken files ---- */

Test(dataset, idx_wrong_magic, .init = scratch_init, .fini = scratch_fini)
{
    write_fashion_stub();
    size_t n;
    unsigned char *b = idx_images(0x801, 60000, 28, 28, 0, &n);
    write_gz(FM "train-images-idx3-ubyte.gz", b, 16);
    free(b);
    gn_settings s;
    settings(&s, "dataset.name=fashion-mnist", NULL);
    fails_with(&s, "train-images-idx3-ubyte.gz: byte 0: IDX magic 0x00000801, expected 0x00000803",
               NULL);
    b = idx_labels(60000, &n);
    b[3] = 3;
    write_gz(FM "train-labels-idx1-ubyte.gz", b, n);
    free(b);
    fails_with(&s, "train-labels-idx1-ubyte.gz: byte 0: IDX magic 0x00000803, expected 0x00000801",
               NULL);
    gn_settings_free(&s);
}

Test(dataset, idx_wrong_count_and_shape, .init = scratch_init, .fini = scratch_fini)
{
    write_fashion_stub();
    size_t n;
    unsigned char *b = idx_images(0x803, 5, 28, 28, 0, &n);
    write_gz(FM "train-images-idx3-ubyte.gz", b, n);
    free(b);
    gn_settings s;
    settings(&s, "dataset.name=fashion-mnist", "dataset.n_train=10", NULL);
    fails_with(&s, "train-images-idx3-ubyte.gz: byte 4: 5 images, expected 60000", NULL);
    b = idx_images(0x803, 60000, 32, 28, -(long)60000 * 32 * 28, &n);
    write_gz(FM "train-images-idx3-ubyte.gz", b, n);
    free(b);
    fails_with(&s, "train-images-idx3-ubyte.gz: byte 8: images are 32x28, expected 28x28", NULL);
    gn_settings_free(&s);
}

Test(dataset, idx_test_split_is_checked_too, .init = scratch_init, .fini = scratch_fini)
{
    /* the installed training files (linked), a broken test labels file */
    need(FM "train-images-idx3-ubyte.gz", "dataset-fashion-mnist");
    if (access(FM "train-images-idx3-ubyte.gz", R_OK) != 0)
        cr_skip_test("not installed system-wide");
    write_fashion_stub();
    const char *names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"};
    for (int i = 0; i < 2; i++) {
        char sys[512];
        snprintf(sys, sizeof sys, FM "%s", names[i]);
        unlink(scratch_path(sys));
        cr_assert_eq(symlink(sys, scratch_path(sys)), 0);
    }
    size_t n;
    unsigned char *b = idx_labels(9999, &n);
    write_gz(FM "t10k-labels-idx1-ubyte.gz", b, n);
    free(b);
    gn_settings s;
    settings(&s, "dataset.name=fashion-mnist", "dataset.n_train=10", NULL);
    fails_with(&s, "t10k-labels-idx1-ubyte.gz: byte 4: 9999 labels, expected 10000", NULL);
    /* n_test 0: the test files are not read */
    gn_dataset ds;
    char err[1024];
    gn_settings_set(&s, "dataset.n_test", "0");
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.n_test, 0);
    cr_assert_null(ds.X_test);
    cr_assert_null(ds.Y_test);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

Test(dataset, idx_data_shorter_or_longer_than_declared, .init = scratch_init, .fini = scratch_fini)
{
    write_fashion_stub();
    size_t n;
    unsigned char *b = idx_images(0x803, 60000, 28, 28, -(long)60000 * 784 + 100, &n);
    write_gz(FM "train-images-idx3-ubyte.gz", b, n);
    free(b);
    gn_settings s;
    settings(&s, "dataset.name=fashion-mnist", NULL);
    fails_with(
        &s,
        "train-images-idx3-ubyte.gz: byte 116: data ends early: the header promises 47040016 bytes",
        NULL);
    b = idx_labels(60000, &n);
    b = realloc(b, n + 3);
    memset(b + n, 0, 3);
    write_gz(FM "train-labels-idx1-ubyte.gz", b, n + 3);
    free(b);
    fails_with(&s, "train-labels-idx1-ubyte.gz: byte 60008: 3 bytes of data after the 60000 labels",
               NULL);
    gn_settings_free(&s);
}

Test(dataset, idx_label_out_of_range, .init = scratch_init, .fini = scratch_fini)
{
    write_fashion_stub();
    size_t n;
    unsigned char *b = idx_labels(60000, &n);
    b[8 + 1234] = 12;
    write_gz(FM "train-labels-idx1-ubyte.gz", b, n);
    free(b);
    gn_settings s;
    settings(&s, "dataset.name=fashion-mnist", NULL);
    fails_with(&s, "train-labels-idx1-ubyte.gz: byte 1242: label 12 out of range 0..9", NULL);
    gn_settings_free(&s);
}

Test(dataset, gzip_truncated_corrupt_or_empty, .init = scratch_init, .fini = scratch_fini)
{
    write_fashion_stub();
    size_t n, gl;
    unsigned char *b = idx_labels(60000, &n);
    unsigned char *g = gzip_bytes(b, n, &gl);
    write_file(FM "train-labels-idx1-ubyte.gz", g, gl - 20);
    gn_settings s;
    settings(&s, "dataset.name=fashion-mnist", NULL);
    char want[200];
    snprintf(want, sizeof want, "train-labels-idx1-ubyte.gz: byte %zu: truncated gzip file",
             gl - 20);
    fails_with(&s, want, NULL);
    g[gl - 6] ^= 0xff; /* the stored length */
    write_file(FM "train-labels-idx1-ubyte.gz", g, gl);
    fails_with(&s, "train-labels-idx1-ubyte.gz: byte", "corrupt gzip data", NULL);
    g[gl - 6] ^= 0xff;
    g[gl / 2] ^= 0x55; /* the deflate data */
    write_file(FM "train-labels-idx1-ubyte.gz", g, gl);
    fails_with(&s, "train-labels-idx1-ubyte.gz: byte", "gzip", NULL);
    write_file(FM "train-labels-idx1-ubyte.gz", "", 0);
    fails_with(&s, "train-labels-idx1-ubyte.gz: empty file", NULL);
    write_gz(FM "train-labels-idx1-ubyte.gz", "", 0);
    fails_with(&s, "train-labels-idx1-ubyte.gz: empty file", NULL);
    write_file(FM "train-labels-idx1-ubyte.gz", b, 5); /* not gzip, cut short */
    fails_with(&s, "train-labels-idx1-ubyte.gz: byte 5: IDX header cut short", NULL);
    free(g);
    free(b);
    gn_settings_free(&s);
}

/* ---- fann:<set> (package libfann-doc) ---- */

Test(dataset, fann_census_house_regression)
{
    need(FANN "census-house.train", "libfann-doc");
    gn_settings s;
    gn_dataset ds;
    char err[1024];
    settings(&s, "dataset.name=fann:census-house", NULL);
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.n_train, 11392);
    cr_assert_eq(ds.n_test, 11392);
    cr_assert_eq(ds.d, 16);
    cr_assert_eq(ds.c, 1);
    double mean, var;
    column_stats(ds.X_train, ds.n_train, 16, 0, &mean, &var);
    cr_assert(fabs(mean) < 1e-12 && fabs(var - 1) < 1e-12);
    column_stats(ds.Y_train, ds.n_train, 1, 0, &mean, &var);
    cr_assert(fabs(mean) < 1e-12 && fabs(var - 1) < 1e-12);
    cr_assert(
        strstr(ds.identity, "fann:census-house n_train=11392 n_test=11392 seed=0 standardize=true"),
        "%s", ds.identity);
    cr_assert(strstr(ds.identity, "census-house.train:648963:crc32="), "%s", ds.identity);
    gn_dataset_free(&ds);
    /* raw values, a subset */
    gn_settings_set(&s, "dataset.standardize", "false");
    gn_settings_set(&s, "dataset.n_train", "100");
    gn_settings_set(&s, "dataset.n_test", "0");
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.n_train, 100);
    cr_assert_eq(ds.n_test, 0);
    cr_assert_null(ds.X_test);
    for (int i = 0; i < 100 * 16; i++)
        cr_assert(ds.X_train[i] >= 0 && ds.X_train[i] <= 1);
    gn_dataset_free(&ds);
    gn_settings_set(&s, "dataset.n_train", "20000");
    fails_with(&s, "dataset.n_train = 20000", "11392 samples", NULL);
    gn_settings_free(&s);
}

Test(dataset, fann_every_set_loads)
{
    need(FANN "census-house.train", "libfann-doc");
    const char *sets[] = {"abelone",      "bank32fm", "bank32nh", "building", "diabetes",
                          "gene",         "kin32fm",  "mushroom", "parity8",  "parity13",
                          "pumadyn-32fm", "robot",    "soybean",  "thyroid",  "two-spiral"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        char kv[64];
        snprintf(kv, sizeof kv, "dataset.name=fann:%s", sets[i]);
        gn_settings s;
        gn_dataset ds;
        char err[1024];
        settings(&s, kv, NULL);
        cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s: %s", sets[i], err);
        cr_assert_gt(ds.n_train, 100);
        cr_assert_gt(ds.n_test, 100);
        gn_dataset_free(&ds);
        gn_settings_free(&s);
    }
}

Test(dataset, fann_classes_are_one_hot_with_xent)
{
    need(FANN "census-house.train", "libfann-doc");
    gn_settings s;
    gn_dataset ds;
    char err[1024];
    settings(&s, "dataset.name=fann:thyroid", NULL);
    cr_assert_eq(load_as(&s, ".", GN_TARGETS_ONEHOT, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.c, 3);
    for (int i = 0; i < ds.n_train; i++)
        cr_assert_eq(row_sum(ds.Y_train, 3, i), 1.0);
    cr_assert(strstr(ds.identity, "standardize=inputs"), "%s", ds.identity);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
    settings(&s, "dataset.name=fann:parity8", NULL);
    cr_assert_eq(load_as(&s, ".", GN_TARGETS_ONEHOT, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.c, 2);
    for (int i = 0; i < ds.n_train; i++)
        cr_assert_eq(row_sum(ds.Y_train, 2, i), 1.0);
    cr_assert(strstr(ds.identity, "onehot=2"), "%s", ds.identity);
    gn_dataset_free(&ds);
    cr_assert_eq(load_as(&s, ".", GN_TARGETS_PROBS, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.c, 1);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

Test(dataset, fann_missing_names_the_package, .init = scratch_init, .fini = scratch_fini)
{
    gn_settings s;
    settings(&s, "dataset.name=fann:census-house", NULL);
    fails_with(&s, "census-house.train: not found", "apt-get install libfann-doc",
               "bash datasets/fetch.sh", NULL);
    gn_settings_free(&s);
}

#define SPIRAL FANN "two-spiral"

/* A two-spiral.test that matches; the .train under test is written by each case. */
static void fann_fixture(const char *train)
{
    write_text(SPIRAL ".train", train);
    write_text(SPIRAL ".test", "2 2 1\n0.1 0.2\n1\n0.3 0.4\n0\n");
}

static void fann_fails(const char *train, const char *file, const char *what)
{
    fann_fixture(train);
    gn_settings s;
    settings(&s, "dataset.name=fann:two-spiral", NULL);
    fails_with(&s, file, what, NULL);
    gn_settings_free(&s);
}

Test(dataset, fann_good_fixture_and_gzip, .init = scratch_init, .fini = scratch_fini)
{
    const char *text = "3 2 1\n0.1 0.2 \n1\n\n0.3 0.4\n0\n0.5 0.6\n1\n";
    fann_fixture(text);
    gn_settings s;
    gn_dataset ds;
    char err[1024];
    settings(&s, "dataset.name=fann:two-spiral", "dataset.standardize=false", NULL);
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.n_train, 3);
    cr_assert_eq(ds.n_test, 2);
    cr_assert_eq(ds.X_train[5], 0.6);
    cr_assert_eq(ds.Y_train[1], 0);
    gn_dataset_free(&ds);
    /* compressed, as /usr/share/doc files sometimes are */
    unlink(scratch_path(SPIRAL ".train"));
    write_gz(SPIRAL ".train.gz", text, strlen(text));
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.n_train, 3);
    cr_assert(strstr(ds.identity, "two-spiral.train.gz:"), "%s", ds.identity);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

Test(dataset, fann_header_disagrees_with_body, .init = scratch_init, .fini = scratch_fini)
{
    fann_fails("3 2 1\n0.1 0.2\n1\n0.3 0.4\n0\n",
               "two-spiral.train:5:", "the file ends after 2 of the 3 samples the header declares");
    fann_fails("1 2 1\n0.1 0.2\n1\n0.3 0.4\n0\n",
               "two-spiral.train:4:", "data after the 1 samples the header declares");
    fann_fails("2 2 1\n0.1 0.2\n1\n0.3\n0\n",
               "two-spiral.train:4:", "sample 2: 1 inputs, the header says 2");
    fann_fails("2 2 1\n0.1 0.2\n1 0\n0.3 0.4\n0\n",
               "two-spiral.train:3:", "sample 1: 2 outputs, the header says 1");
    fann_fails("2 2\n0.1 0.2\n1\n",
               "two-spiral.train:1:", "header must be 'samples inputs outputs'");
    fann_fails("2 2.5 1\n", "two-spiral.train:1:", "header must be");
    fann_fails("900000 2 1\n0.1 0.2\n1\n", "two-spiral.train:1:",
               "header declares 900000 samples of 2 + 1 numbers but the file has only");
    fann_fails("2 3 1\n0.1 0.2 0.3\n1\n0.3 0.4 0.5\n0\n",
               "two-spiral.test:1:", "2 inputs and 1 outputs, but the training file");
}

Test(dataset, fann_bad_numbers_and_empty_file, .init = scratch_init, .fini = scratch_fini)
{
    fann_fails("2 2 1\n0.1 0.2\n1\n0.3 abc\n0\n",
               "two-spiral.train:4:", "field 2: 'abc' is not a number");
    fann_fails("2 2 1\n0.1 nan\n1\n0.3 0.4\n0\n",
               "two-spiral.train:2:", "field 2: 'nan' is not finite");
    fann_fails("2 2 1\n0.1 0.2\n-inf\n0.3 0.4\n0\n",
               "two-spiral.train:3:", "field 1: '-inf' is not finite");
    fann_fails("2 2 1\n0.1 0.2x\n1\n0.3 0.4\n0\n", "two-spiral.train:2:", "'0.2x' is not a number");
    fann_fails("", "two-spiral.train", "empty file");
    fann_fails("\n\n  \n", "two-spiral.train:3:", "empty file (no header line)");
}

/* ---- digits and diabetes (python3-sklearn's data files) ---- */

Test(dataset, digits_split_and_tasks)
{
    need(SK "digits.csv.gz", "python3-sklearn");
    gn_settings s;
    gn_dataset ds, other;
    char err[1024];
    settings(&s, "dataset.name=digits", NULL);
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.n_train, 1500);
    cr_assert_eq(ds.n_test, 297);
    cr_assert_eq(ds.d, 64);
    cr_assert_eq(ds.c, 10);
    for (int i = 0; i < 1500; i++)
        cr_assert_eq(row_sum(ds.Y_train, 10, i), 1.0);
    for (int i = 0; i < 1500 * 64; i++)
        cr_assert(ds.X_train[i] >= 0 && ds.X_train[i] <= 1);
    cr_assert(strstr(ds.identity, "pkg=python3-sklearn digits.csv.gz:"), "%s", ds.identity);
    gn_settings_set(&s, "dataset.seed", "5");
    cr_assert_eq(try_load(&s, &other, err, sizeof err), 0, "%s", err);
    cr_assert(!same(ds.X_train, other.X_train, 1500 * 64));
    gn_dataset_free(&other);
    gn_dataset_free(&ds);
    gn_settings_set(&s, "dataset.task", "autoencode");
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.Y_train, ds.X_train);
    cr_assert_eq(ds.c, 64);
    gn_dataset_free(&ds);
    gn_settings_set(&s, "dataset.n_test", "400");
    fails_with(&s, "dataset.n_train + dataset.n_test = 1900", "1797 rows", NULL);
    gn_settings_free(&s);
}

Test(dataset, diabetes_regression)
{
    need(SK "diabetes_data_raw.csv.gz", "python3-sklearn");
    gn_settings s;
    gn_dataset ds;
    char err[1024];
    settings(&s, "dataset.name=diabetes", NULL);
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.n_train, 400);
    cr_assert_eq(ds.n_test, 42);
    cr_assert_eq(ds.d, 10);
    cr_assert_eq(ds.c, 1);
    double mean, var;
    column_stats(ds.Y_train, 400, 1, 0, &mean, &var);
    cr_assert(fabs(mean) < 1e-12 && fabs(var - 1) < 1e-12);
    gn_dataset_free(&ds);
    gn_settings_set(&s, "dataset.standardize", "false");
    gn_settings_set(&s, "dataset.n_train", "442");
    gn_settings_set(&s, "dataset.n_test", "0");
    cr_assert_eq(try_load(&s, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.X_train[0], 59); /* first patient: age 59, target 151 */
    cr_assert_eq(ds.Y_train[0], 151);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

Test(dataset, sklearn_csv_errors, .init = scratch_init, .fini = scratch_fini)
{
    gn_settings s;
    settings(&s, "dataset.name=digits", NULL);
    fails_with(&s, "digits.csv.gz: not found", "bash datasets/fetch.sh", NULL);
    char row[400] = "", text[2000];
    for (int j = 0; j < 65; j++)
        gn_ds_append(row, sizeof row, "%s%d", j ? "," : "", j % 10);
    snprintf(text, sizeof text, "%s\n%s\n1,2,3\n", row, row);
    write_gz(SK "digits.csv.gz", text, strlen(text));
    fails_with(&s, "digits.csv.gz:3: 3 fields, expected 65", NULL);
    snprintf(text, sizeof text, "%s\n%s,\n", row, row);
    write_gz(SK "digits.csv.gz", text, strlen(text));
    fails_with(&s, "digits.csv.gz:2: field 66 is empty", NULL);
    snprintf(text, sizeof text, "3,64,zero,one\n%s\n%s\n", row, row);
    write_gz(SK "digits.csv.gz", text, strlen(text));
    fails_with(&s, "digits.csv.gz:1: the metadata line says 3 rows but 2 rows of 65 numbers follow",
               NULL);
    snprintf(text, sizeof text, "2,64,zero,one\n%s\n%s\n", row, row); /* metadata line accepted */
    write_gz(SK "digits.csv.gz", text, strlen(text));
    fails_with(&s, "dataset.n_train + dataset.n_test = 1797 but digits.csv.gz has 2 rows", NULL);
    gn_settings_free(&s);
}

/* ---- synthetic generators ---- */

Test(dataset, ntk_inputs_on_the_sphere_and_deterministic)
{
    gn_settings s;
    gn_dataset a, b;
    char err[1024];
    settings(&s, "dataset.name=ntk", "dataset.n_train=200", "dataset.n_test=50", "dataset.dim=8",
             "dataset.teacher_width=64", "dataset.seed=3", NULL);
    cr_assert_eq(try_load(&s, &a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(a.d, 8);
    cr_assert_eq(a.c, 1);
    for (int i = 0; i < 200; i++) {
        double nn = 0;
        for (int j = 0; j < 8; j++)
            nn += a.X_train[i * 8 + j] * a.X_train[i * 8 + j];
        cr_assert(fabs(nn - 1) < 1e-14);
    }
    double mean, var;
    column_stats(a.Y_train, 200, 1, 0, &mean, &var);
    cr_assert(var > 0.01 && var < 10, "target variance %g", var);
    cr_assert(strstr(a.identity, "ntk gen=ntk-1 ") &&
                  strstr(a.identity, "seed=3 rng=" GN_RNG_VERSION),
              "%s", a.identity);
    cr_assert_eq(try_load(&s, &b, err, sizeof err), 0, "%s", err);
    cr_assert(same(a.Y_test, b.Y_test, 50));
    gn_dataset_free(&b);
    /* alpha scales the targets exactly */
    gn_settings_set(&s, "dataset.alpha", "2");
    cr_assert_eq(try_load(&s, &b, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < 200; i++)
        cr_assert(fabs(b.Y_train[i] - 2 * a.Y_train[i]) <= 1e-15 * fabs(b.Y_train[i]) + 1e-300);
    gn_dataset_free(&a);
    gn_dataset_free(&b);
    gn_settings_free(&s);
}

Test(dataset, clustered_spread_scales_within_cluster_distances)
{
    gn_settings s;
    gn_dataset a, b;
    char err[1024];
    int K = 4, d = 6, n = 40;
    settings(&s, "dataset.name=clustered", "dataset.n_train=40", "dataset.n_test=0",
             "dataset.dim=6", "dataset.clusters=4", "dataset.spread=0.1", NULL);
    cr_assert_eq(try_load(&s, &a, err, sizeof err), 0, "%s", err);
    gn_settings_set(&s, "dataset.spread", "0.001");
    cr_assert_eq(try_load(&s, &b, err, sizeof err), 0, "%s", err);
    for (int i = 0; i + K < n; i++)
        for (int j = 0; j < d; j++) {
            double da = a.X_train[i * d + j] - a.X_train[(i + K) * d + j];
            double db = b.X_train[i * d + j] - b.X_train[(i + K) * d + j];
            cr_assert(fabs(da - 100 * db) < 1e-12, "%g vs %g", da, db);
        }
    /* the smallest eigenvalue of the (n, n) Gram matrix of [x, 1] features
     * is at most the Rayleigh quotient of e_i - e_{i+K}: |x_i - x_{i+K}|²/2 */
    double dd = 0;
    for (int j = 0; j < d; j++)
        dd += pow(b.X_train[j] - b.X_train[K * d + j], 2);
    cr_assert_lt(dd / 2, 1e-5);
    cr_assert(strstr(b.identity, "clustered gen=clustered-1") && strstr(b.identity, "spread=0.001"),
              "%s", b.identity);
    gn_dataset_free(&a);
    gn_dataset_free(&b);
    gn_settings_set(&s, "dataset.targets", "random");
    cr_assert_eq(try_load(&s, &a, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(a.identity, "targets=random"), "%s", a.identity);
    gn_dataset_free(&a);
    gn_settings_free(&s);
}

Test(dataset, curves_are_images_of_one_stroke)
{
    gn_settings s;
    gn_dataset a, b;
    char err[1024];
    settings(&s, "dataset.name=curves", "dataset.n_train=50", "dataset.n_test=5", NULL);
    cr_assert_eq(try_load(&s, &a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(a.d, 784);
    cr_assert_eq(a.c, 784);
    cr_assert_eq(a.Y_train, a.X_train);
    for (int i = 0; i < 50; i++) {
        double hi = 0, ink = 0;
        for (int j = 0; j < 784; j++) {
            double v = a.X_train[i * 784 + j];
            cr_assert(v >= 0 && v <= 1);
            hi = fmax(hi, v);
            ink += v;
        }
        cr_assert_gt(hi, 0.9); /* the pen passes near a pixel centre */
        cr_assert(ink > 5 && ink < 400, "image %d: ink %g", i, ink);
    }
    cr_assert(strstr(a.identity, "curves gen=curves-1 n_train=50 n_test=5 pen=1 seed=0"), "%s",
              a.identity);
    gn_settings_set(&s, "dataset.n_train", "20");
    cr_assert_eq(try_load(&s, &b, err, sizeof err), 0, "%s", err);
    cr_assert(same(a.X_train, b.X_train, 20 * 784)); /* a prefix */
    cr_assert(same(a.X_test, b.X_test, 5 * 784));
    gn_dataset_free(&a);
    gn_dataset_free(&b);
    gn_settings_free(&s);
}

/* ---- csv with class labels ---- */

Test(dataset, csv_class_indices_become_one_hot_with_xent, .init = scratch_init,
     .fini = scratch_fini)
{
    write_text("/tr.csv", "a,b,label\n1,2,0\n3,4,2\n5,6,1\n");
    write_text("/te.csv", "a,b,label\n1,1,2\n");
    write_text("/bad.csv", "a,b,label\n1,2,0\n3,4,1.5\n");
    gn_settings s;
    gn_dataset ds;
    char err[1024];
    settings(&s, "dataset.name=csv", "dataset.train=tr.csv", "dataset.test=te.csv", NULL);
    cr_assert_eq(load_as(&s, scratch, GN_TARGETS_ONEHOT, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.c, 3);
    double want[] = {1, 0, 0, 0, 0, 1, 0, 1, 0};
    for (int i = 0; i < 9; i++)
        cr_assert_eq(ds.Y_train[i], want[i]);
    cr_assert_eq(ds.Y_test[2], 1.0);
    cr_assert(strstr(ds.identity, "onehot=3"), "%s", ds.identity);
    gn_dataset_free(&ds);
    gn_settings_set(&s, "dataset.classes", "5");
    cr_assert_eq(load_as(&s, scratch, GN_TARGETS_ONEHOT, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.c, 5);
    gn_dataset_free(&ds);
    gn_settings_set(&s, "dataset.classes", "2");
    cr_assert_eq(load_as(&s, scratch, GN_TARGETS_ONEHOT, &ds, err, sizeof err), -1);
    cr_assert(strstr(err, "te.csv:2: column 'label': 2 is not a class index") ||
                  strstr(err, "tr.csv:3:"),
              "%s", err);
    gn_settings_set(&s, "dataset.classes", "3");
    gn_settings_set(&s, "dataset.train", "bad.csv");
    gn_settings_unset(&s, "dataset.test");
    cr_assert_eq(load_as(&s, scratch, GN_TARGETS_ONEHOT, &ds, err, sizeof err), -1);
    cr_assert(strstr(err, "bad.csv:3: column 'label': 1.5 is not a class index"), "%s", err);
    /* value targets (square loss): the column stays a number */
    cr_assert_eq(load_as(&s, scratch, GN_TARGETS_VALUES, &ds, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ds.c, 1);
    gn_dataset_free(&ds);
    gn_settings_free(&s);
}

/* ---- errors point at their option; files and sizes refused before reading ---- */

/* The option an error is about: a "dataset.KEY" it names, else the file
 * option whose path it starts with, else the dataset as a whole. */
Test(dataset, error_key_names_the_option_the_message_is_about)
{
    gn_settings s;
    settings(&s, "dataset.name=csv", "dataset.train=a.csv", "dataset.test=b.csv", NULL);
    gn_dataset_spec spec;
    char err[256];
    cr_assert_eq(gn_dataset_spec_bind(&spec, &s, err, sizeof err), 0, "%s", err);
    gn_dataset_request req = {"dir", GN_TARGETS_VALUES};
    cr_expect_str_eq(gn_dataset_error_key(&spec, &req, "dir/a.csv:3: column 'b': empty cell"),
                     "train");
    cr_expect_str_eq(gn_dataset_error_key(&spec, &req, "dir/b.csv: cannot open: x"), "test");
    cr_expect_str_eq(gn_dataset_error_key(&spec, &req,
                                          "dir/a.csv:1: target column 'z' "
                                          "(dataset.target) not found"),
                     "target");
    cr_expect_str_eq(gn_dataset_error_key(&spec, &req, "dir/a.csvx: cannot open"), "name");
    cr_expect_str_eq(gn_dataset_error_key(&spec, &req, "something else"), "name");
    gn_dataset_spec_free(&spec);
    gn_settings_free(&s);
}

Test(dataset, csv_special_files_are_refused_without_blocking)
{
    char dir[] = "/tmp/gn-ds-fifo-XXXXXX", fifo[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(fifo, sizeof fifo, "%s/fifo.csv", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    gn_settings s;
    gn_dataset ds;
    char err[1024];
    settings(&s, "dataset.name=csv", "dataset.train=fifo.csv", NULL);
    cr_expect_eq(load_as(&s, dir, GN_TARGETS_VALUES, &ds, err, sizeof err), -1);
    cr_expect(strstr(err, "a FIFO, expected a regular file"), "%s", err);
    gn_settings_free(&s);
    settings(&s, "dataset.name=csv", "dataset.train=/dev/zero", NULL);
    cr_expect_eq(load_as(&s, dir, GN_TARGETS_VALUES, &ds, err, sizeof err), -1);
    cr_expect(strstr(err, "/dev/zero: cannot read: a character device"), "%s", err);
    gn_settings_free(&s);
    unlink(fifo);
    rmdir(dir);
}

Test(dataset, csv_nul_byte_in_a_cell_is_refused_with_its_line)
{
    char dir[] = "/tmp/gn-ds-nul-XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/nul.csv", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite("a,y\n1,2\n0.5\0junk,3\n", 1, 20, f);
    fclose(f);
    gn_settings s;
    gn_dataset ds;
    char err[1024];
    settings(&s, "dataset.name=csv", "dataset.train=nul.csv", NULL);
    cr_expect_eq(load_as(&s, dir, GN_TARGETS_VALUES, &ds, err, sizeof err), -1);
    cr_expect(strstr(err, "nul.csv:3: a NUL byte"), "%s", err);
    gn_settings_free(&s);
    unlink(path);
    rmdir(dir);
}

Test(dataset, csv_errors_do_not_echo_long_cells)
{
    char dir[] = "/tmp/gn-ds-echo-XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/x.csv", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("root:$y$j9T$SECRETSECRETSECRETSECRET:19000:0:99999:7:::\n1\n", f);
    fclose(f);
    gn_settings s;
    gn_dataset ds;
    char err[1024];
    settings(&s, "dataset.name=csv", "dataset.train=x.csv", NULL);
    cr_expect_eq(load_as(&s, dir, GN_TARGETS_VALUES, &ds, err, sizeof err), -1);
    cr_expect(strstr(err, "no input columns"), "%s", err);
    cr_expect_null(strstr(err, "SECRET"), "%s", err);
    gn_settings_free(&s);
    unlink(path);
    rmdir(dir);
}

Test(dataset, generated_sets_larger_than_memory_are_refused_before_generating)
{
    static const char *const kinds[] = {"teacher", "ntk", "clustered"};
    for (int k = 0; k < 3; k++) {
        gn_settings s;
        gn_dataset ds;
        char err[1024], name[64];
        snprintf(name, sizeof name, "dataset.name=%s", kinds[k]);
        settings(&s, name, "dataset.n_train=100000000", "dataset.dim=1000000", NULL);
        cr_expect_eq(load_as(&s, NULL, GN_TARGETS_VALUES, &ds, err, sizeof err), -1, "%s",
                     kinds[k]);
        cr_expect(strstr(err, "dataset.n_train = 100000000") && strstr(err, "GiB"), "%s", err);
        gn_settings_free(&s);
    }
}
