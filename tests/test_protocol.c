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
#include "core/rng.h"
#include "exp/experiment.h"
#include "exp/train.h"
#include "tolerances.h"

/* Adds the "key=value" strings from kv on (NULL-ended) to s. */
static void set_all(gn_settings *s, const char *kv, va_list ap)
{
    for (; kv; kv = va_arg(ap, const char *)) {
        char key[64];
        const char *eq = strchr(kv, '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        gn_settings_set(s, key, eq + 1);
    }
}

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
    set_all(&s, extra, ap);
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
    set_all(&s, kv, ap);
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

/* ---- tuning studies ---- */

Test(protocol, halton_points_are_the_radical_inverses)
{
    const double base2[] = {0.5, 0.25, 0.75, 0.125, 0.625, 0.375, 0.875};
    const double base3[] = {1 / 3.0, 2 / 3.0, 1 / 9.0, 4 / 9.0, 7 / 9.0, 2 / 9.0};
    for (int i = 0; i < 7; i++)
        cr_expect_lt(fabs(gn_halton((uint64_t)i, 0) - base2[i]), 1e-15, "index %d", i);
    for (int i = 0; i < 6; i++)
        cr_expect_lt(fabs(gn_halton((uint64_t)i, 1) - base3[i]), 1e-15, "index %d", i);
    double shift[GN_HALTON_MAX_DIM] = {0.75, 0.5};
    cr_expect_lt(fabs(gn_halton_shifted(0, 0, shift) - 0.25), 1e-15); /* 0.5 + 0.75 - 1 */
    cr_expect_lt(fabs(gn_halton_shifted(2, 1, shift) - (1 / 9.0 + 0.5)), 1e-15);
}

Test(protocol, halton_points_cover_the_square_evenly)
{
    /* 128 shifted points in 3 dimensions: every cell of a 4 x 4 grid of each
     * pair of coordinates holds 8 +- 3 points (independent uniform points
     * miss this band in most draws: a cell's count has sd 2.7) */
    double shift[GN_HALTON_MAX_DIM] = {0.3, 0.9, 0.12};
    int cells[3][16] = {{0}};
    for (uint64_t t = 0; t < 128; t++) {
        double u[3];
        for (int d = 0; d < 3; d++) {
            u[d] = gn_halton_shifted(t, d, shift);
            cr_assert(u[d] >= 0 && u[d] < 1);
        }
        for (int p = 0; p < 3; p++) {
            int a = p, b = (p + 1) % 3;
            cells[p][(int)(u[a] * 4) * 4 + (int)(u[b] * 4)]++;
        }
    }
    for (int p = 0; p < 3; p++)
        for (int k = 0; k < 16; k++)
            cr_expect(cells[p][k] >= 5 && cells[p][k] <= 11, "pair %d cell %d: %d points", p, k,
                      cells[p][k]);
}

/* Loads an experiment from text; 0, or -1 with err. */
static int load(const char *text, gn_experiment *ex, char *err, size_t len)
{
    return gn_experiment_load_text("p.yaml", text, strlen(text), "/tmp", 0, ex, err, len);
}

#define PROTO_HEAD                                                                                 \
    "name: p\n"                                                                                    \
    "dataset: {name: teacher, n_train: 40, validation: 10}\n"                                      \
    "train: {iterations: 5}\n"

/* The values of setting key of every run of entry k, study s, in trial order. */
static int values_of(const gn_experiment *ex, int k, int s, const char *key, double *v)
{
    int n = 0;
    for (int i = 0; i < ex->n_runs; i++)
        if (ex->runs[i].entry == k && ex->runs[i].study == s &&
            ex->runs[i].phase == GN_PHASE_TUNE) {
            cr_assert_eq(ex->runs[i].trial, n);
            v[n++] = atof(gn_settings_get(&ex->runs[i].settings, key));
        }
    return n;
}

Test(protocol, trials_are_reproducible_and_cover_the_space)
{
    const char *text = PROTO_HEAD "protocol: {trials: 32, studies: 2, seed: 7}\n"
                                  "optimizers:\n"
                                  "  - name: sgd\n"
                                  "    tune: {lr: {log_uniform: [1.0e-4, 1]}, momentum: "
                                  "{uniform: [0, 0.99]}}\n";
    gn_experiment a, b;
    char err[512];
    cr_assert_eq(load(text, &a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(load(text, &b, err, sizeof err), 0, "%s", err);
    cr_assert_eq(a.n_runs, 64);
    for (int i = 0; i < a.n_runs; i++) {
        cr_expect_str_eq(a.runs[i].run_id, b.runs[i].run_id);
        cr_expect_eq(a.runs[i].seed, GN_PROTOCOL_TUNE_SEED + a.runs[i].study);
    }
    double lr[64], mom[64], lr2[64];
    cr_assert_eq(values_of(&a, 0, 0, "opt.lr", lr), 32);
    cr_assert_eq(values_of(&a, 0, 0, "opt.momentum", mom), 32);
    cr_assert_eq(values_of(&a, 0, 1, "opt.lr", lr2), 32);
    /* each decade of [1e-4, 1] gets 8 +- 2 of the 32 log-uniform values;
     * momentum's quarters 8 +- 2 */
    int dec[4] = {0}, quart[4] = {0};
    for (int t = 0; t < 32; t++) {
        cr_assert(lr[t] >= 1e-4 && lr[t] <= 1, "%g", lr[t]);
        cr_assert(mom[t] >= 0 && mom[t] <= 0.99, "%g", mom[t]);
        int d = (int)floor(log10(lr[t]) + 4);
        dec[d > 3 ? 3 : d]++;
        int q = (int)(mom[t] / 0.99 * 4);
        quart[q > 3 ? 3 : q]++;
    }
    for (int k = 0; k < 4; k++) {
        cr_expect(dec[k] >= 6 && dec[k] <= 10, "decade %d: %d values", k, dec[k]);
        cr_expect(quart[k] >= 6 && quart[k] <= 10, "quarter %d: %d values", k, quart[k]);
    }
    /* studies are independent draws */
    int same = 0;
    for (int t = 0; t < 32; t++)
        same += lr[t] == lr2[t];
    cr_expect_lt(same, 4);
    gn_experiment_free(&a);
    gn_experiment_free(&b);
}

Test(protocol, lists_make_a_grid_and_choices_are_sampled)
{
    gn_experiment ex;
    char err[512];
    const char *grid =
        PROTO_HEAD "protocol: {trials: 3}\n"
                   "optimizers:\n"
                   "  - {name: sgd, tune: {lr: [0.1, 0.01, 0.001], momentum: [0, "
                   "0.9]}}\n"
                   "  - {name: adam, tune: {lr: {choice: [0.1, 0.01]}, beta1: {uniform: "
                   "[0.8, 0.95]}}}\n"
                   "  - {name: ggn}\n";
    cr_assert_eq(load(grid, &ex, err, sizeof err), 0, "%s", err);
    cr_expect_eq(ex.protocol.entry_trials[0], 6); /* every point of the grid */
    cr_expect_eq(ex.protocol.entry_trials[1], 3); /* the budget */
    cr_expect_eq(ex.protocol.entry_trials[2], 1); /* nothing to tune: one trial */
    cr_expect_eq(ex.n_runs, 6 + 3 + 1);
    double lr[8], mom[8];
    values_of(&ex, 0, 0, "opt.lr", lr);
    values_of(&ex, 0, 0, "opt.momentum", mom);
    const double want_lr[] = {0.1, 0.1, 0.01, 0.01, 0.001, 0.001},
                 want_m[] = {0, 0.9, 0, 0.9, 0, 0.9};
    for (int t = 0; t < 6; t++) {
        cr_expect_eq(lr[t], want_lr[t], "trial %d", t);
        cr_expect_eq(mom[t], want_m[t], "trial %d", t);
    }
    values_of(&ex, 1, 0, "opt.lr", lr);
    for (int t = 0; t < 3; t++)
        cr_expect(lr[t] == 0.1 || lr[t] == 0.01);
    cr_expect_eq(ex.protocol.select, 1); /* no target: final_val_loss */
    gn_experiment_free(&ex);
}

Test(protocol, confirmation_runs_reuse_the_chosen_settings_on_paired_seeds)
{
    gn_experiment ex;
    char err[512];
    const char *text = PROTO_HEAD "protocol: {trials: 4, confirm_seeds: 3}\n"
                                  "optimizers:\n"
                                  "  - {name: sgd, tune: {lr: {log_uniform: [0.01, 1]}}}\n"
                                  "  - {name: adam, tune: {lr: {log_uniform: [0.001, 0.1]}}}\n";
    cr_assert_eq(load(text, &ex, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ex.n_runs, 8);
    cr_assert_eq(gn_experiment_add_confirm(&ex, 2, err, sizeof err), 3, "%s", err);
    cr_assert_eq(gn_experiment_add_confirm(&ex, 5, err, sizeof err), 3, "%s", err);
    cr_expect_eq(gn_experiment_add_confirm(&ex, 2, err, sizeof err), 0); /* already there */
    cr_assert_eq(ex.n_runs, 14);
    for (int i = 8; i < 14; i++) {
        const gn_run_spec *r = &ex.runs[i], *t = &ex.runs[i < 11 ? 2 : 5];
        cr_expect_eq(r->phase, GN_PHASE_CONFIRM);
        cr_expect_eq(r->seed, (i - 8) % 3 + 1);
        cr_expect_str_eq(r->config_id, t->config_id);
        cr_expect_str_eq(gn_settings_get(&r->settings, "opt.lr"),
                         gn_settings_get(&t->settings, "opt.lr"));
        cr_expect_eq(r->trial, t->trial);
        cr_expect_eq(r->optim, t->optim);
    }
    gn_experiment_free(&ex);
}

Test(protocol, labelled_entries_of_one_optimizer_are_tuned_apart)
{
    gn_experiment ex;
    char err[512];
    const char *text = PROTO_HEAD "protocol: {trials: 3, confirm_seeds: 2}\n"
                                  "optimizers:\n"
                                  "  - {name: sgd, label: plain, momentum: 0,\n"
                                  "     tune: {lr: {log_uniform: [0.01, 1]}}}\n"
                                  "  - {name: sgd, label: heavy ball, momentum: 0.9, trials: 2,\n"
                                  "     tune: {lr: {log_uniform: [0.01, 1]}}}\n"
                                  "  - {name: adam}\n";
    cr_assert_eq(load(text, &ex, err, sizeof err), 0, "%s", err);
    cr_expect_eq(ex.protocol.entry_trials[0], 3);
    cr_expect_eq(ex.protocol.entry_trials[1], 2); /* its own budget */
    cr_assert_eq(ex.n_runs, 3 + 2 + 1);
    cr_expect_str_eq(gn_experiment_entry_name(&ex, 0, ex.runs[0].optim), "plain");
    cr_expect_str_eq(gn_experiment_entry_name(&ex, 1, ex.runs[3].optim), "heavy ball");
    cr_expect_str_eq(gn_experiment_entry_name(&ex, 2, ex.runs[5].optim), "adam");
    cr_expect_str_eq(gn_experiment_entry_label(&ex, 2), "");
    for (int i = 0; i < 5; i++) {
        cr_expect_str_eq(ex.runs[i].optim->name, "sgd");
        cr_expect_eq(ex.runs[i].entry, i < 3 ? 0 : 1);
        cr_expect_str_eq(gn_settings_get(&ex.runs[i].settings, "opt.momentum"),
                         i < 3 ? "0" : "0.9");
    }
    /* a study's choice is confirmed under its own entry */
    cr_assert_eq(gn_experiment_add_confirm(&ex, 4, err, sizeof err), 2, "%s", err);
    cr_expect_eq(ex.runs[6].entry, 1);
    cr_expect_str_eq(ex.runs[6].config_id, ex.runs[4].config_id);
    gn_experiment_free(&ex);
}

/* text fails to load with an error holding want. */
static void refused(const char *text, const char *want)
{
    gn_experiment ex;
    char err[512];
    cr_expect_eq(load(text, &ex, err, sizeof err), -1, "accepted; wanted '%s'", want);
    cr_expect(strstr(err, want), "want '%s' in '%s'", want, err);
}

Test(protocol, bad_studies_are_refused_with_their_line)
{
    refused(PROTO_HEAD "protocol: {trials: 2}\noptimizers:\n  - {name: sgd, tune: {lrr: [1, 2]}}\n",
            "p.yaml:6: optimizers[0].tune.lrr: unknown key");
    refused(PROTO_HEAD "protocol: {trials: 2}\noptimizers:\n"
                       "  - {name: sgd, tune: {lr: {log_uniform: [0, 1]}}}\n",
            "optimizers[0].tune.lr: log_uniform needs a positive low end");
    refused(PROTO_HEAD "protocol: {trials: 2}\noptimizers:\n"
                       "  - {name: sgd, tune: {lr: {uniform: [1, 0.1]}}}\n",
            "expected low < high");
    refused(PROTO_HEAD "protocol: {trials: 2}\noptimizers:\n"
                       "  - {name: sgd, tune: {nesterov: {uniform: [0, 1]}}}\n",
            "a range needs a numeric hyperparameter");
    refused(PROTO_HEAD "protocol: {trials: 2}\noptimizers:\n"
                       "  - {name: sgd, lr: 0.1, tune: {lr: [0.1, 0.2]}}\n",
            "is also set outside tune:");
    refused(PROTO_HEAD "protocol: {trials: 2}\noptimizers:\n  - {name: sgd, lr: [0.1, 0.2]}\n",
            "p.yaml:6: optimizers[0].lr: in a protocol experiment hyperparameters are searched "
            "with tune:");
    refused(PROTO_HEAD "protocol: {trials: 2}\noptimizers:\n  - {name: sgd}\n  - {name: sgd}\n",
            "sgd has two entries");
    refused(PROTO_HEAD "protocol: {trials: 2}\noptimizers:\n  - {name: sgd, label: a}\n"
                       "  - {name: adam, label: a}\n",
            "p.yaml:7: optimizers: a has two entries (also line 6)");
    refused(PROTO_HEAD "protocol: {trials: 2}\noptimizers:\n  - {name: sgd, label: adam}\n"
                       "  - {name: adam}\n",
            "adam has two entries");
    refused(PROTO_HEAD "protocol: {trials: 2}\noptimizers:\n  - {name: sgd, label: a}\n"
                       "  - {name: sgd, label: b}\n",
            "p.yaml:7: optimizers[1]: repeats the settings of optimizers[0] (line 6)");
    refused(PROTO_HEAD "seeds: [1, 2]\nprotocol: {trials: 2}\noptimizers:\n  - {name: sgd}\n",
            "p.yaml:4: seeds: a protocol experiment runs its trials");
    refused("name: p\ndataset: {name: teacher, n_train: 40}\nprotocol: {trials: 2}\n"
            "optimizers:\n  - {name: sgd}\n",
            "p.yaml:3: protocol: selects on validation data");
    refused(PROTO_HEAD "model: {width: [4, 8]}\nprotocol: {trials: 2}\noptimizers:\n"
                       "  - {name: sgd}\n",
            "p.yaml:4: model.width: a protocol experiment tunes every optimizer on one problem");
    refused(PROTO_HEAD "protocol: {trials: 2}\noptimizers:\n"
                       "  - {name: sgd, trials: 4, tune: {lr: [0.1, 0.2]}}\n",
            "runs every point of the grid");
    refused(PROTO_HEAD "protocol: {trials: 5}\noptimizers:\n"
                       "  - {name: sgd, tune: {momentum: {choice: [0, 0.9]}}}\n",
            "repeats trial");
    refused(PROTO_HEAD "protocol: {trails: 5}\noptimizers:\n  - {name: sgd}\n",
            "p.yaml:4: protocol.trails: unknown key");
    refused(PROTO_HEAD "protocol: {select: fastest}\noptimizers:\n  - {name: sgd}\n",
            "protocol.select");
}
