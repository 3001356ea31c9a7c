/* test_experiment.c: experiment files are validated with file:line: key
 * errors and expanded into the documented run grid.
 *
 * Bad inputs live in tests/data/bad/, one file each, whose first line says
 * what must be reported: "# expect: LINE START" means the error reads
 * "FILE:LINE: START...". Adding a bad input is adding one file. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exp/experiment.h"

static char err[4096];
static char tmpdir[64];

static const char *data_dir(void)
{
    const char *d = getenv("GN_TEST_DATA");
    return d && *d ? d : "tests/data";
}

static void data_path(char *buf, size_t len, const char *rel)
{
    snprintf(buf, len, "%s/%s", data_dir(), rel);
}

/* Loads tests/data/<rel>; asserts success. */
static void load_data(const char *rel, int quick, gn_experiment *ex)
{
    char path[1024];
    data_path(path, sizeof path, rel);
    int rc = gn_experiment_load(path, quick, ex, err, sizeof err);
    cr_assert_eq(rc, 0, "%s: %s", rel, err);
}

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gn_test_exp_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/exp.yaml", tmpdir);
    unlink(path);
    rmdir(tmpdir);
}

/* Writes yaml to <tmpdir>/exp.yaml and loads it; returns gn_experiment_load's status. */
static int load_text(const char *yaml, int quick, gn_experiment *ex)
{
    char path[128];
    snprintf(path, sizeof path, "%s/exp.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(yaml, f);
    fclose(f);
    return gn_experiment_load(path, quick, ex, err, sizeof err);
}

/* Asserts that loading yaml fails with "<tmpdir>/exp.yaml:LINE: START...". */
static void expect_error(const char *yaml, int quick, int line, const char *start)
{
    gn_experiment ex;
    cr_assert_neq(load_text(yaml, quick, &ex), 0, "loaded, expected an error at line %d", line);
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/exp.yaml:%d: %s", tmpdir, line, start);
    cr_expect_eq(strncmp(err, prefix, strlen(prefix)), 0, "got \"%s\", expected \"%s...\"", err,
                 prefix);
}

static const char *get(const gn_run_spec *r, const char *key)
{
    return gn_settings_get(&r->settings, key);
}

TestSuite(experiment, .init = make_tmpdir, .fini = remove_tmpdir);

/* ---- the SPEC example ---- */

Test(experiment, spec_example_expands_to_27_runs)
{
    gn_experiment ex;
    load_data("good/spec-example.yaml", 0, &ex);
    /* (ggn + sgd x 2 learning rates) x 3 widths x 3 seeds */
    cr_expect_eq(ex.n_runs, 27);
    cr_expect_str_eq(ex.name, "ggn-width");
    cr_expect_str_eq(ex.description, "GGN speeds up with width (Cai et al. 2019)");
    cr_expect_eq(ex.quick, 0);
    gn_experiment_free(&ex);
}

Test(experiment, runs_order_global_sweeps_then_entries_then_seeds)
{
    gn_experiment ex;
    load_data("good/spec-example.yaml", 0, &ex);
    static const char *const width[] = {"64", "256", "1024"};
    static const char *const opt[] = {"ggn", "sgd", "sgd"};
    static const char *const lr[] = {"1.0", "0.01", "0.1"};
    int r = 0;
    for (int w = 0; w < 3; w++)
        for (int o = 0; o < 3; o++)
            for (int s = 1; s <= 3; s++, r++) {
                cr_assert_lt(r, ex.n_runs);
                cr_expect_str_eq(get(&ex.runs[r], "model.width"), width[w], "run %d", r);
                cr_expect_str_eq(ex.runs[r].optim->name, opt[o], "run %d", r);
                cr_expect_str_eq(get(&ex.runs[r], "opt.lr"), lr[o], "run %d", r);
                cr_expect_eq(ex.runs[r].seed, s, "run %d", r);
            }
    gn_experiment_free(&ex);
}

Test(experiment, settings_hold_every_resolved_value_and_defaults)
{
    gn_experiment ex;
    load_data("good/spec-example.yaml", 0, &ex);
    const gn_run_spec *ggn = &ex.runs[0];
    cr_expect_str_eq(get(ggn, "dataset.name"), "csv");
    cr_expect_str_eq(get(ggn, "dataset.train"), "data/train.csv");
    cr_expect_str_eq(get(ggn, "dataset.target"), "y");
    cr_expect_str_eq(get(ggn, "model.depth"), "2");
    cr_expect_str_eq(get(ggn, "model.bias"), "true");          /* default */
    cr_expect_str_eq(get(ggn, "train.diverge_factor"), "1e6"); /* default */
    cr_expect_str_eq(get(ggn, "train.target_loss"), "1.0e-6"); /* as written */
    cr_expect_str_eq(get(ggn, "loss"), "square");
    cr_expect_str_eq(get(ggn, "opt.damping"), "0.0");
    cr_expect_null(get(ggn, "train.epochs")); /* no default */
    cr_expect_null(get(ggn, "model.hidden"));
    cr_expect_null(get(ggn, "dataset.target_columns"));
    cr_expect_null(get(ggn, "opt.momentum")); /* not a ggn setting */
    const gn_run_spec *sgd = &ex.runs[3];
    cr_expect_str_eq(get(sgd, "opt.momentum"), "0.9");
    cr_expect_str_eq(get(sgd, "opt.nesterov"), "false"); /* optimizer default */
    gn_experiment_free(&ex);
}

Test(experiment, full_batch_optimizer_drops_the_global_batch)
{
    gn_experiment ex;
    load_data("good/spec-example.yaml", 0, &ex);
    for (int r = 0; r < ex.n_runs; r++) {
        if (strcmp(ex.runs[r].optim->name, "ggn") == 0)
            cr_expect_null(get(&ex.runs[r], "train.batch"), "run %d", r);
        else
            cr_expect_str_eq(get(&ex.runs[r], "train.batch"), "64", "run %d", r);
    }
    gn_experiment_free(&ex);
}

Test(experiment, runs_are_paired_across_optimizers)
{
    gn_experiment ex;
    load_data("good/spec-example.yaml", 0, &ex);
    /* Every sgd run has a ggn run with the same seed, data and model. */
    for (int r = 0; r < ex.n_runs; r++) {
        const gn_run_spec *a = &ex.runs[r];
        if (strcmp(a->optim->name, "sgd") != 0) continue;
        int found = 0;
        for (int q = 0; q < ex.n_runs && !found; q++) {
            const gn_run_spec *b = &ex.runs[q];
            if (strcmp(b->optim->name, "ggn") != 0 || b->seed != a->seed) continue;
            int same = 1;
            for (int i = 0; i < a->settings.n; i++) {
                const char *k = a->settings.v[i].key;
                if (strncmp(k, "dataset.", 8) && strncmp(k, "model.", 6) && strcmp(k, "loss"))
                    continue;
                const char *bv = get(b, k);
                same = same && bv && strcmp(bv, a->settings.v[i].value) == 0;
            }
            found = same;
        }
        cr_expect(found, "run %s has no ggn partner", a->run_id);
    }
    gn_experiment_free(&ex);
}

Test(experiment, columns_are_the_union_in_section_and_table_order)
{
    gn_experiment ex;
    load_data("good/spec-example.yaml", 0, &ex);
    static const char *const want[] = {"dataset.name",
                                       "dataset.train",
                                       "dataset.test",
                                       "dataset.target",
                                       "dataset.standardize",
                                       "model.depth",
                                       "model.width",
                                       "model.activation",
                                       "model.parameterization",
                                       "model.output_scale",
                                       "model.bias",
                                       "train.iterations",
                                       "train.batch",
                                       "train.eval_every",
                                       "train.time_limit_s",
                                       "train.target_loss",
                                       "train.diverge_factor",
                                       "loss",
                                       "opt.lr",
                                       "opt.damping",
                                       "opt.momentum",
                                       "opt.nesterov",
                                       "opt.weight_decay"};
    int n = (int)(sizeof want / sizeof want[0]);
    cr_assert_eq(ex.n_columns, n);
    for (int i = 0; i < n; i++)
        cr_expect_str_eq(ex.columns[i], want[i], "column %d", i);
    gn_experiment_free(&ex);
}

Test(experiment, figures_are_parsed_with_their_lines)
{
    gn_experiment ex;
    load_data("good/spec-example.yaml", 0, &ex);
    cr_assert_eq(ex.n_figures, 2);
    const gn_figure *a = &ex.figures[0], *b = &ex.figures[1];
    cr_expect_str_eq(a->name, "loss-vs-iteration");
    cr_expect_eq(a->kind, GN_FIG_TRACE);
    cr_expect_str_eq(a->x, "iteration");
    cr_expect_str_eq(a->y, "train_loss");
    cr_expect_str_eq(a->series, "optimizer");
    cr_expect_str_eq(a->panels, "model.width");
    cr_expect_null(a->title);
    cr_expect_eq(a->logx, 0);
    cr_expect_eq(a->logy, 1);
    cr_expect_eq(a->line, 31);
    cr_expect_eq(b->kind, GN_FIG_SUMMARY);
    cr_expect_str_eq(b->x, "model.width");
    cr_expect_null(b->panels);
    cr_expect_eq(b->logx, 1);
    cr_expect_eq(b->line, 33);
    gn_experiment_free(&ex);
}

Test(experiment, keeps_the_file_text_and_folder)
{
    gn_experiment ex;
    char path[1024];
    data_path(path, sizeof path, "good/spec-example.yaml");
    load_data("good/spec-example.yaml", 0, &ex);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cr_expect_str_eq(ex.text, buf);
    cr_expect_str_eq(ex.path, path);
    char dir[1024];
    data_path(dir, sizeof dir, "good");
    cr_expect_str_eq(ex.base_dir, dir);
    gn_experiment_free(&ex);
}

/* ---- quick ---- */

Test(experiment, quick_overrides_are_merged)
{
    gn_experiment ex;
    load_data("good/spec-example.yaml", 1, &ex);
    cr_expect_eq(ex.quick, 1);
    cr_assert_eq(ex.n_runs, 18); /* widths [64, 256] */
    for (int r = 0; r < ex.n_runs; r++) {
        cr_expect_str_eq(get(&ex.runs[r], "train.iterations"), "10");
        /* merged key by key: the rest of train: and model: stays */
        cr_expect_str_eq(get(&ex.runs[r], "train.time_limit_s"), "60");
        cr_expect_str_eq(get(&ex.runs[r], "model.depth"), "2");
    }
    cr_expect_str_eq(get(&ex.runs[0], "model.width"), "64");
    cr_expect_str_eq(get(&ex.runs[9], "model.width"), "256");
    gn_experiment_free(&ex);
}

Test(experiment, quick_error_reports_the_override_line)
{
    const char *yaml = "name: q\n"
                       "dataset: {name: teacher}\n"
                       "model: {width: 64}\n"
                       "optimizers: [{name: sgd}]\n"
                       "quick:\n"
                       "  model:\n"
                       "    width: 0\n";
    expect_error(yaml, 1, 7, "quick.model.width: expected an integer");
}

Test(experiment, quick_errors_are_found_without_quick)
{
    const char *yaml = "name: q\n"
                       "dataset: {name: teacher}\n"
                       "optimizers: [{name: sgd}]\n"
                       "quick:\n"
                       "  train: {iterations: many}\n";
    expect_error(yaml, 0, 5, "quick.train.iterations:");
}

Test(experiment, quick_iterations_replace_file_epochs)
{
    const char *yaml = "name: q\n"
                       "dataset: {name: teacher}\n"
                       "train: {epochs: 5}\n"
                       "optimizers: [{name: sgd}]\n"
                       "quick:\n"
                       "  train: {iterations: 3}\n";
    gn_experiment ex;
    cr_assert_eq(load_text(yaml, 1, &ex), 0, "%s", err);
    cr_expect_str_eq(get(&ex.runs[0], "train.iterations"), "3");
    cr_expect_null(get(&ex.runs[0], "train.epochs"));
    gn_experiment_free(&ex);
    cr_assert_eq(load_text(yaml, 0, &ex), 0, "%s", err);
    cr_expect_str_eq(get(&ex.runs[0], "train.epochs"), "5");
    cr_expect_null(get(&ex.runs[0], "train.iterations"));
    gn_experiment_free(&ex);
}

/* ---- sweeps and overrides ---- */

Test(experiment, global_sweeps_vary_the_first_key_slowest)
{
    const char *yaml = "name: order\n"
                       "dataset: {name: teacher, n_train: [10, 20]}\n"
                       "model: {width: [1, 2, 3]}\n"
                       "optimizers: [{name: sgd}]\n";
    gn_experiment ex;
    cr_assert_eq(load_text(yaml, 0, &ex), 0, "%s", err);
    cr_assert_eq(ex.n_runs, 6);
    static const char *const n[] = {"10", "10", "10", "20", "20", "20"};
    static const char *const w[] = {"1", "2", "3", "1", "2", "3"};
    for (int r = 0; r < 6; r++) {
        cr_expect_str_eq(get(&ex.runs[r], "dataset.n_train"), n[r]);
        cr_expect_str_eq(get(&ex.runs[r], "model.width"), w[r]);
    }
    gn_experiment_free(&ex);
}

Test(experiment, entry_sweeps_apply_to_that_entry_only)
{
    const char *yaml = "name: entries\n"
                       "seeds: [4, 5]\n"
                       "dataset: {name: teacher}\n"
                       "optimizers:\n"
                       "  - {name: sgd, lr: [0.1, 0.2], momentum: [0, 0.9]}\n"
                       "  - {name: ggn-mb}\n";
    gn_experiment ex;
    cr_assert_eq(load_text(yaml, 0, &ex), 0, "%s", err);
    cr_assert_eq(ex.n_runs, (4 + 1) * 2);
    cr_expect_str_eq(get(&ex.runs[0], "opt.lr"), "0.1");
    cr_expect_str_eq(get(&ex.runs[0], "opt.momentum"), "0");
    cr_expect_eq(ex.runs[0].seed, 4);
    cr_expect_eq(ex.runs[1].seed, 5);
    cr_expect_str_eq(get(&ex.runs[2], "opt.momentum"), "0.9");
    cr_expect_str_eq(get(&ex.runs[4], "opt.lr"), "0.2");
    cr_expect_str_eq(ex.runs[8].optim->name, "ggn-mb");
    cr_expect_str_eq(get(&ex.runs[8], "opt.damping"), "0.001");
    gn_experiment_free(&ex);
}

Test(experiment, optimizer_train_override_applies_to_that_entry_only)
{
    gn_experiment ex;
    load_data("good/train-overrides.yaml", 0, &ex);
    /* global batch [32, 64]; ggn is full-batch so it runs once, without batch */
    cr_assert_eq(ex.n_runs, 5);
    cr_expect_str_eq(ex.runs[0].optim->name, "ggn");
    cr_expect_str_eq(get(&ex.runs[0], "train.iterations"), "50");
    cr_expect_null(get(&ex.runs[0], "train.batch"));
    cr_expect_str_eq(ex.runs[1].optim->name, "sgd");
    cr_expect_str_eq(get(&ex.runs[1], "train.epochs"), "2");
    cr_expect_null(get(&ex.runs[1], "train.iterations"));
    cr_expect_str_eq(get(&ex.runs[1], "train.batch"), "32");
    cr_expect_str_eq(ex.runs[2].optim->name, "ggn-mb");
    cr_expect_str_eq(get(&ex.runs[2], "train.iterations"), "20");
    cr_expect_str_eq(get(&ex.runs[3], "train.batch"), "64");
    /* the union of columns includes the sgd-only train.epochs, in table order */
    cr_expect_str_eq(ex.columns[15], "train.iterations");
    cr_expect_str_eq(ex.columns[16], "train.epochs");
    gn_experiment_free(&ex);
}

Test(experiment, list_settings_are_values_not_sweeps)
{
    const char *yaml = "name: csv-targets\n"
                       "dataset: {name: csv, train: a.csv, target: [y1, y2]}\n"
                       "optimizers: [{name: sgd}]\n";
    gn_experiment ex;
    cr_assert_eq(load_text(yaml, 0, &ex), 0, "%s", err);
    cr_assert_eq(ex.n_runs, 1);
    cr_expect_str_eq(get(&ex.runs[0], "dataset.target"), "y1;y2");
    gn_experiment_free(&ex);
}

Test(experiment, seeds_default_to_one)
{
    gn_experiment ex;
    load_data("good/minimal.yaml", 0, &ex);
    cr_assert_eq(ex.n_runs, 1);
    cr_expect_eq(ex.runs[0].seed, 1);
    cr_expect_str_eq(get(&ex.runs[0], "loss"), "square");
    cr_expect_str_eq(get(&ex.runs[0], "model.width"), "256");
    cr_expect_eq(ex.n_figures, 0);
    gn_experiment_free(&ex);
}

Test(experiment, aliases_and_merge_keys_are_expanded)
{
    gn_experiment ex;
    load_data("good/aliases.yaml", 0, &ex);
    cr_assert_eq(ex.n_runs, 8);
    cr_expect_str_eq(get(&ex.runs[2], "opt.lr"), "0.05");
    cr_expect_str_eq(get(&ex.runs[2], "train.iterations"), "20"); /* merged from *base */
    gn_experiment_free(&ex);
    load_data("good/aliases.yaml", 1, &ex);
    cr_expect_str_eq(get(&ex.runs[0], "model.width"), "8");
    cr_expect_str_eq(get(&ex.runs[0], "model.depth"), "1");
    gn_experiment_free(&ex);
}

/* ---- run ids ---- */

Test(experiment, run_ids_are_stable_across_loads)
{
    gn_experiment a, b;
    load_data("good/spec-example.yaml", 0, &a);
    load_data("good/spec-example.yaml", 0, &b);
    cr_assert_eq(a.n_runs, b.n_runs);
    for (int r = 0; r < a.n_runs; r++)
        cr_expect_str_eq(a.runs[r].run_id, b.runs[r].run_id);
    gn_experiment_free(&a);
    gn_experiment_free(&b);
}

Test(experiment, run_ids_are_unique_and_name_optimizer_and_seed)
{
    gn_experiment ex;
    load_data("good/spec-example.yaml", 0, &ex);
    for (int r = 0; r < ex.n_runs; r++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s-s%ld-", ex.runs[r].optim->name, ex.runs[r].seed);
        const char *id = ex.runs[r].run_id;
        cr_expect_eq(strncmp(id, prefix, strlen(prefix)), 0, "%s", id);
        cr_expect_eq(strlen(id), strlen(prefix) + 12, "%s", id);
        cr_expect_eq(strspn(id + strlen(prefix), "0123456789abcdef"), 12, "%s", id);
        for (int q = 0; q < r; q++)
            cr_expect_str_neq(id, ex.runs[q].run_id);
    }
    /* Seeds of one configuration share the settings hash. */
    cr_expect_str_eq(ex.runs[0].run_id + 6, ex.runs[1].run_id + 6);
    gn_experiment_free(&ex);
}

Test(experiment, run_ids_depend_on_settings_not_layout)
{
    const char *block = "name: a\n"
                        "dataset:\n"
                        "  name: teacher\n"
                        "  dim: 8\n"
                        "optimizers:\n"
                        "  - name: sgd\n"
                        "    lr: 0.5\n";
    const char *flow = "# the same experiment, written differently\n"
                       "optimizers: [{lr: 0.5, name: sgd}]\n"
                       "name: b\n"
                       "dataset: {dim: 8, name: teacher, n_train: 256}\n";
    const char *other = "name: a\n"
                        "dataset: {name: teacher, dim: 9}\n"
                        "optimizers: [{name: sgd, lr: 0.5}]\n";
    gn_experiment a, b, c;
    cr_assert_eq(load_text(block, 0, &a), 0, "%s", err);
    cr_assert_eq(load_text(flow, 0, &b), 0, "%s", err);
    cr_assert_eq(load_text(other, 0, &c), 0, "%s", err);
    cr_expect_str_eq(a.runs[0].run_id, b.runs[0].run_id);
    cr_expect_str_neq(a.runs[0].run_id, c.runs[0].run_id);
    gn_experiment_free(&a);
    gn_experiment_free(&b);
    gn_experiment_free(&c);
}

/* ---- errors ---- */

Test(experiment, missing_file_names_the_file_and_the_reason)
{
    gn_experiment ex;
    char path[1024];
    data_path(path, sizeof path, "good/no-such-file.yaml");
    cr_assert_neq(gn_experiment_load(path, 0, &ex, err, sizeof err), 0);
    char want[1100];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    cr_expect_str_eq(err, want);
}

Test(experiment, failure_clears_the_outputs)
{
    gn_experiment ex;
    memset(&ex, 0x5a, sizeof ex);
    const char *yaml = "name: ok\n"
                       "dataset: {name: teacher}\n"
                       "optimizers: [{name: sgd}]\n"
                       "figures: [{name: f, kind: trace, x: iteration, y: nope}]\n";
    cr_assert_neq(load_text(yaml, 0, &ex), 0);
    cr_expect_null(ex.runs);
    cr_expect_eq(ex.n_runs, 0);
    cr_expect_null(ex.columns);
    cr_expect_null(ex.figures);
    cr_expect_null(ex.text);
    cr_expect_null(ex.name);
    gn_experiment_free(&ex); /* harmless after a failure */
}

Test(experiment, error_names_line_key_and_expected_values)
{
    const char *yaml = "name: w\n"
                       "dataset: {name: teacher}\n"
                       "model:\n"
                       "  width: wide\n"
                       "optimizers: [{name: sgd}]\n";
    expect_error(yaml, 0, 4, "model.width: expected an integer in [1, 1000000], got \"wide\"");
}

Test(experiment, unknown_optimizer_lists_the_registered_ones)
{
    const char *yaml = "name: w\n"
                       "dataset: {name: teacher}\n"
                       "optimizers:\n"
                       "  - {name: nonesuch}\n";
    expect_error(yaml, 0, 4,
                 "optimizers[0].name: unknown optimizer \"nonesuch\"; expected one of ");
    cr_expect_not_null(strstr(err, "sgd"));
    cr_expect_not_null(strstr(err, "ggn-mb"));
}

Test(experiment, unknown_key_lists_the_valid_ones)
{
    const char *yaml = "name: w\n"
                       "dataset: {name: teacher}\n"
                       "train:\n"
                       "  iterations: 5\n"
                       "  iterationz: 10\n"
                       "optimizers: [{name: sgd}]\n";
    expect_error(yaml, 0, 5, "train.iterationz: unknown key; expected one of iterations, epochs");
}

/* Every file in tests/data/bad fails with the line and key of its first-line comment. */
Test(experiment, every_bad_file_is_rejected_with_its_line_and_key)
{
    char dir[1024];
    data_path(dir, sizeof dir, "bad");
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    int checked = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".yaml") != 0) continue;
        char path[2048], first[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "%s", path);
        if (!fgets(first, sizeof first, f)) first[0] = '\0';
        fclose(f);
        first[strcspn(first, "\r\n")] = '\0';
        int line = 0, off = 0;
        if (sscanf(first, "# expect: %d %n", &line, &off) != 1 || off == 0) {
            cr_expect_fail("%s: first line must read \"# expect: LINE START\"", de->d_name);
            continue;
        }
        const char *start = first + off;
        for (int quick = 0; quick <= 1; quick++) {
            gn_experiment ex;
            memset(err, 0, sizeof err);
            int rc = gn_experiment_load(path, quick, &ex, err, sizeof err);
            cr_expect_neq(rc, 0, "%s (quick %d) was accepted", de->d_name, quick);
            if (rc == 0) {
                gn_experiment_free(&ex);
                continue;
            }
            char prefix[2400];
            snprintf(prefix, sizeof prefix, "%s:%d: %s", path, line, start);
            cr_expect_eq(strncmp(err, prefix, strlen(prefix)), 0,
                         "%s (quick %d):\n  got      %s\n  expected %s...", de->d_name, quick, err,
                         prefix);
        }
        checked++;
    }
    closedir(d);
    cr_expect_gt(checked, 40, "only %d bad files", checked);
}

Test(experiment, every_good_file_loads_with_and_without_quick)
{
    char dir[1024];
    data_path(dir, sizeof dir, "good");
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    int checked = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".yaml") != 0) continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        for (int quick = 0; quick <= 1; quick++) {
            gn_experiment ex;
            int rc = gn_experiment_load(path, quick, &ex, err, sizeof err);
            cr_expect_eq(rc, 0, "%s (quick %d): %s", de->d_name, quick, err);
            if (rc == 0) {
                cr_expect_gt(ex.n_runs, 0);
                gn_experiment_free(&ex);
            }
        }
        checked++;
    }
    closedir(d);
    cr_expect_geq(checked, 5);
}

/* Truncated and corrupted versions of a valid file either load or fail
 * with a "file:" message; none crashes (run under valgrind or ASan). */
Test(experiment, mangled_inputs_never_crash)
{
    char path[1024];
    data_path(path, sizeof path, "good/spec-example.yaml");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    static char orig[65536], buf[65536];
    size_t n = fread(orig, 1, sizeof orig - 1, f);
    fclose(f);
    char out[128];
    snprintf(out, sizeof out, "%s/exp.yaml", tmpdir);
    unsigned long long x = 88172645463325252ULL; /* xorshift64 */
    for (int trial = 0; trial < 400; trial++) {
        size_t len = n;
        memcpy(buf, orig, n);
        if (trial < 200) {
            len = n * (size_t)trial / 200; /* truncation */
        } else {
            for (int k = 0; k < 1 + trial % 4; k++) { /* byte corruption */
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                static const char junk[] = "[]{}:,-&*!|>'\"#%@` \n\t\0x9";
                buf[x % n] = junk[(x >> 32) % (sizeof junk - 1)];
            }
        }
        FILE *g = fopen(out, "wb");
        cr_assert_not_null(g);
        fwrite(buf, 1, len, g);
        fclose(g);
        gn_experiment ex;
        if (gn_experiment_load(out, trial % 2, &ex, err, sizeof err) == 0)
            gn_experiment_free(&ex);
        else
            cr_expect_eq(strncmp(err, out, strlen(out)), 0, "trial %d: %s", trial, err);
    }
}

/* ---- what is found after loading, with the file's lines ---- */

static const char data_yaml[] = "name: lines\n"
                                "seeds: [1]\n"
                                "dataset:\n"
                                "  name: teacher\n"
                                "  n_train: 8\n"
                                "  n_test: 0\n"
                                "train: {batch: 8}\n"
                                "optimizers:\n"
                                "  - {name: ggn}\n"
                                "  - {name: sgd, batch: %s}\n";

Test(experiment, key_lines_point_at_the_setting_each_run_uses)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml, data_yaml, "4");
    gn_experiment ex;
    cr_assert_eq(load_text(yaml, 0, &ex), 0, "%s", err);
    cr_assert_eq(ex.n_runs, 2);
    const gn_key_line *k = gn_experiment_key_line(&ex, &ex.runs[1], "train.batch");
    cr_assert_not_null(k);
    cr_expect_eq(k->line, 10);
    cr_expect_str_eq(k->path, "optimizers[1].batch");
    k = gn_experiment_key_line(&ex, &ex.runs[0], "dataset.n_train");
    cr_assert_not_null(k);
    cr_expect_eq(k->line, 5);
    cr_expect_null(gn_experiment_key_line(&ex, &ex.runs[0], "dataset.dim"));
    cr_expect_eq(gn_experiment_check_data(&ex, err, sizeof err), 0, "%s", err);
    gn_experiment_free(&ex);
}

Test(experiment, check_data_refuses_a_batch_larger_than_the_training_set)
{
    char yaml[512], want[256];
    snprintf(yaml, sizeof yaml, data_yaml, "9");
    gn_experiment ex;
    cr_assert_eq(load_text(yaml, 0, &ex), 0, "%s", err);
    cr_expect_eq(gn_experiment_check_data(&ex, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%s/exp.yaml:10: optimizers[1].batch: 9 is larger than the training set", tmpdir);
    cr_expect_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
    gn_experiment_free(&ex);
}

Test(experiment, check_data_names_the_dataset_key_and_its_line)
{
    static const char yaml[] = "name: lines\n"
                               "seeds: [1]\n"
                               "dataset:\n"
                               "  name: csv\n"
                               "  train: no-such.csv\n"
                               "optimizers: [{name: sgd}]\n";
    gn_experiment ex;
    char want[256];
    cr_assert_eq(load_text(yaml, 0, &ex), 0, "%s", err);
    cr_expect_eq(gn_experiment_check_data(&ex, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s/exp.yaml:5: dataset.train: %s/no-such.csv: cannot open", tmpdir,
             tmpdir);
    cr_expect_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
    gn_experiment_free(&ex);
}

Test(experiment, special_files_are_refused_without_reading)
{
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s/exp.yaml", tmpdir); /* removed by remove_tmpdir */
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    gn_experiment ex;
    cr_expect_neq(gn_experiment_load(fifo, 0, &ex, err, sizeof err), 0);
    cr_expect(strstr(err, "a FIFO, expected a regular file"), "%s", err);
    cr_expect_neq(gn_experiment_load("/dev/zero", 0, &ex, err, sizeof err), 0);
    cr_expect(strstr(err, "/dev/zero: cannot read: a character device"), "%s", err);
}

Test(experiment, deep_flow_nesting_stops_at_the_limit_while_parsing)
{
    enum { DEEP = 80000 };
    size_t n = 2 * DEEP + 64;
    char *yaml = malloc(n);
    cr_assert_not_null(yaml);
    int o = snprintf(yaml, n, "name: x\nbomb: ");
    for (int i = 0; i < DEEP; i++)
        yaml[o++] = '[';
    for (int i = 0; i < DEEP; i++)
        yaml[o++] = ']';
    yaml[o++] = '\n';
    gn_experiment ex;
    cr_expect_neq(
        gn_experiment_load_text("bomb.yaml", yaml, (size_t)o, NULL, 0, &ex, err, sizeof err), 0);
    cr_expect_str_eq(err, "bomb.yaml:2: nesting deeper than 64 levels");
    free(yaml);
}
