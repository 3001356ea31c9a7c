/* test_fig_protocol.c: the figure kinds of a protocol experiment (best,
 * tuning) on a fabricated results folder, and their errors in experiment
 * files.
 *
 * The folder holds the tuning trials of sgd (tunes lr) and ggn (tunes
 * damping; its lr keeps the default) and the confirmation runs of each
 * study's chosen trial. sgd's trial 0 never reaches the target; of the
 * others the lowest time_to_target_s is trial 1's, so the protocol's rule
 * (time_to_target) chooses it; ggn's chosen trial is trial 0. Tune traces
 * hold val_loss 99 so that a best figure that drew them would show it. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exp/experiment.h"
#include "plot/plot.h"

static char tmpdir[256];

static void tmp_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gn_figp_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void tmp_teardown(void)
{
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(fig_protocol, .init = tmp_setup, .fini = tmp_teardown, .timeout = 120);

static const char *const head =
    "name: fp\n"
    "dataset: {name: teacher, n_train: 80, n_test: 20, dim: 4, validation: 0.25}\n"
    "model: {depth: 1, width: 8}\n"
    "train: {iterations: 30, eval_every: 5, target: {metric: val_loss, value: 0.3}}\n";
static const char *const protocol = "protocol: {trials: 4, confirm_seeds: 3}\n";
static const char *const entries = "optimizers:\n"
                                   "  - {name: sgd, tune: {lr: {log_uniform: [0.01, 1]}}}\n"
                                   "  - {name: ggn, tune: {damping: [1.0e-3, 1.0e-1]}}\n";

/* Loads head, protocol (when with_protocol), entries and figures; rc of
 * the load, err set. */
static int load(int with_protocol, const char *figures, gn_experiment *ex, char *err, size_t len)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s%sfigures:\n%s", head, with_protocol ? protocol : "", entries,
             figures);
    return gn_experiment_load_text("fp.yaml", text, strlen(text), "/tmp", 0, ex, err, len);
}

static const char *const good_figures =
    "  - {name: best, kind: best, x: iteration, y: val_loss}\n"
    "  - {name: tuning, kind: tuning, x: opt.lr, y: time_to_target_s, logx: true}\n";

static void write_trace(const char *dir, const char *run_id, double level)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/traces/%s.csv", dir, run_id);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "iteration,val_loss\n");
    for (int i = 0; i <= 6; i++)
        fprintf(f, "%d,%.6g\n", 5 * i, level * exp(-0.4 * i) + 0.01);
    fclose(f);
}

/* sgd's tune trial that diverged (final_val_loss 1e15), -1 = none. */
static int diverged_trial = -1;

/* One runs.csv row of run r; tune trials by the rules of the header. */
static void write_row(FILE *f, const char *dir, const gn_run_spec *r)
{
    const char *lr = gn_settings_get(&r->settings, "opt.lr");
    const char *damping = gn_settings_get(&r->settings, "opt.damping");
    int tune = r->phase == GN_PHASE_TUNE, sgd = strcmp(r->optim->name, "sgd") == 0;
    int reached = !(tune && sgd && r->trial == 0);
    double t = tune ? (sgd ? (r->trial == 1 ? 0.05 : 0.1 * r->trial) : 0.2 + 0.1 * r->trial) : 0.1;
    char trial[16] = "", ttt[32] = "";
    if (tune) snprintf(trial, sizeof trial, "%d", r->trial);
    if (reached) snprintf(ttt, sizeof ttt, "%.3g", t);
    int diverged = tune && sgd && r->trial == diverged_trial;
    fprintf(f, "%s,%s,%s,%ld,%s,%d,%s,%s,%s,%s,%.3g,%s,%s,val_loss,0.3\n", r->run_id,
            diverged ? "diverged" : "ok", r->optim->name, r->seed, gn_run_phase_name(r->phase),
            r->study, trial, r->config_id, lr ? lr : "", damping ? damping : "",
            diverged ? 1e15 : 0.5 - 0.05 * r->trial, ttt, reached ? "true" : "false");
    write_trace(dir, r->run_id, tune ? 99 : 1 + 0.1 * r->seed);
}

/* The results folder of ex (its tune runs, then the chosen trials'
 * confirmation runs, which are added to ex as gnbench run does). */
static const char *fabricate(gn_experiment *ex)
{
    static char dir[512];
    char path[1024], err[256];
    snprintf(dir, sizeof dir, "%s/res", tmpdir);
    snprintf(path, sizeof path, "%s/traces", dir);
    cr_assert_eq(mkdir(dir, 0777), 0);
    cr_assert_eq(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "run_id,status,optimizer,seed,phase,study,trial,config_id,opt.lr,opt.damping,"
               "final_val_loss,time_to_target_s,reached,target_metric,target_value\n");
    int n_tune = ex->n_runs, chosen[2] = {-1, -1};
    for (int i = 0; i < n_tune; i++) {
        const gn_run_spec *r = &ex->runs[i];
        write_row(f, dir, r);
        if (r->trial == (strcmp(r->optim->name, "sgd") == 0 ? 1 : 0)) chosen[r->entry] = i;
    }
    for (int k = 0; k < 2; k++) {
        cr_assert_geq(chosen[k], 0);
        cr_assert_eq(gn_experiment_add_confirm(ex, chosen[k], err, sizeof err), 3, "%s", err);
    }
    for (int i = n_tune; i < ex->n_runs; i++)
        write_row(f, dir, &ex->runs[i]);
    fclose(f);
    return dir;
}

/* The file dir/name, whole. */
static char *slurp_path(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "no %s", path);
    char *s = calloc(1, 1 << 20);
    size_t n = fread(s, 1, (1 << 20) - 1, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* A file of the figures folder, whole. */
static char *slurp(const char *name)
{
    char plots[512];
    snprintf(plots, sizeof plots, "%s/plots", tmpdir);
    return slurp_path(plots, name);
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* The points of sgd's trials in block 0 of a tuning figure's .dat. */
static int first_block_points(const char *dat)
{
    const char *b0 = strstr(dat, "# block 0:"), *b1 = strstr(dat, "# block 1:");
    cr_assert(b0 && b1 && b1 > b0, "%s", dat);
    char *points = strndup(b0, (size_t)(b1 - b0));
    int n = count(points, " 1 \"sgd-s1000-");
    free(points);
    return n;
}

/* Draws ex from res into tmpdir/plots; stderr (gnuplot's warnings) in *log. */
static int draw(const gn_experiment *ex, const char *res, char **log)
{
    char plots[512], logpath[512], err[2048];
    snprintf(plots, sizeof plots, "%s/plots", tmpdir);
    snprintf(logpath, sizeof logpath, "%s/stderr.log", tmpdir);
    fflush(stderr);
    int saved = dup(2);
    FILE *lf = fopen(logpath, "w");
    cr_assert_not_null(lf);
    dup2(fileno(lf), 2);
    int rc = gn_plot_experiment(ex, res, plots, "png", err, sizeof err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(lf);
    cr_expect_eq(rc, 0, "%s", err);
    FILE *in = fopen(logpath, "r");
    *log = calloc(1, 1 << 16);
    size_t n = fread(*log, 1, (1 << 16) - 1, in);
    (*log)[n] = '\0';
    fclose(in);
    return rc;
}

Test(fig_protocol, best_draws_a_line_per_optimizer_from_the_confirm_runs_with_the_target)
{
    gn_experiment ex;
    char err[512], *log;
    cr_assert_eq(load(1, good_figures, &ex, err, sizeof err), 0, "%s", err);
    const char *res = fabricate(&ex);
    draw(&ex, res, &log);
    cr_expect_eq(strstr(log, "warning"), NULL, "gnuplot said: %s", log);
    char *dat = slurp("best.dat"), *gp = slurp("best.gp");
    cr_expect_eq(count(dat, "\" label \""), 2, "one block per optimizer:\n%s", dat);
    cr_expect_eq(count(dat, "-s1000-"), 0, "a tune run in the best figure:\n%s", dat);
    cr_expect_eq(count(dat, " 99.01 "), 0, "a tune trace drawn:\n%s", dat);
    cr_expect_eq(count(dat, "-s1-") + count(dat, "-s2-") + count(dat, "-s3-"), 6);
    cr_expect(strstr(gp, "title 'sgd lr=") != NULL, "%s", gp);
    cr_expect(strstr(gp, "title 'ggn damping=0.001'") != NULL, "%s", gp);
    cr_expect(strstr(gp, "0.3 with lines dt 2") != NULL, "no target line:\n%s", gp);
    cr_expect(strstr(gp, "title 'target 0.3'") != NULL, "%s", gp);
    free(dat), free(gp), free(log);
    gn_experiment_free(&ex);
}

Test(fig_protocol, best_names_the_entry_of_confirm_runs_the_experiment_has_not_added)
{
    gn_experiment ex, fresh;
    char err[512], *log;
    cr_assert_eq(load(1, good_figures, &ex, err, sizeof err), 0, "%s", err);
    const char *res = fabricate(&ex);
    cr_assert_eq(load(1, good_figures, &fresh, err, sizeof err), 0, "%s", err);
    draw(&fresh, res, &log); /* only the tune runs known: found by config_id */
    char *gp = slurp("best.gp");
    cr_expect(strstr(gp, "title 'ggn damping=0.001'") != NULL, "%s", gp);
    free(gp), free(log);
    gn_experiment_free(&ex);
    gn_experiment_free(&fresh);
}

Test(fig_protocol, tuning_draws_each_trial_marks_the_chosen_and_the_not_reached)
{
    gn_experiment ex;
    char err[512], *log;
    cr_assert_eq(load(1, good_figures, &ex, err, sizeof err), 0, "%s", err);
    const char *res = fabricate(&ex);
    char chosen_id[80] = "";
    for (int i = 0; i < ex.n_runs; i++)
        if (ex.runs[i].phase == GN_PHASE_TUNE && ex.runs[i].entry == 0 && ex.runs[i].trial == 1)
            strcpy(chosen_id, ex.runs[i].run_id);
    draw(&ex, res, &log);
    cr_expect_eq(strstr(log, "warning"), NULL, "gnuplot said: %s", log);
    char *dat = slurp("tuning.dat"), *gp = slurp("tuning.gp");
    /* sgd only: ggn does not tune lr. Three reached trials, one not. */
    cr_expect_eq(count(dat, "\" label \""), 1, "%s", dat);
    cr_expect_eq(count(dat, "ggn"), 0, "ggn drawn against lr:\n%s", dat);
    cr_expect_eq(first_block_points(dat), 3, "one point per reached trial:\n%s", dat);
    const char *nr = strstr(dat, "not reached of \"sgd\" (1 of 4)");
    cr_expect_not_null(nr, "%s", dat);
    const char *ch = strstr(dat, "chosen trials of \"sgd\" (1)");
    cr_assert_not_null(ch, "%s", dat);
    cr_expect(strstr(ch, chosen_id) != NULL, "chosen %s:\n%s", chosen_id, dat);
    cr_expect(nr && ch > nr, "the not-reached block comes before the chosen one");
    cr_expect_eq(count(gp, "with lines") + count(gp, "linespoints"), 0, "joined:\n%s", gp);
    cr_expect_eq(count(gp, "yerror"), 0, "%s", gp);
    cr_expect(strstr(gp, "pt 7 ps 2.2") != NULL, "%s", gp);
    cr_expect(strstr(gp, "chosen (each study") != NULL, "%s", gp);
    cr_expect(strstr(gp, "not_reached) with points pt 8") != NULL, "%s", gp);
    free(dat), free(gp), free(log);
    gn_experiment_free(&ex);
}

/* The text of the plot line of gp whose title is `title` (up to its end). */
static char *plot_line(const char *gp, const char *title)
{
    const char *t = strstr(gp, title);
    cr_assert_not_null(t, "no %s in:\n%s", title, gp);
    const char *start = t;
    while (start > gp && start[-1] != '\n')
        start--;
    return strndup(start, strcspn(start, "\n"));
}

Test(fig_protocol, a_method_keeps_its_colour_across_the_best_and_tuning_figures)
{
    /* ggn is the second entry: the second colour in the best figure, where
     * sgd's line comes first, and in a tuning figure against damping, where
     * ggn's is the only line (ordered by label it would take the first). */
    gn_experiment ex;
    char err[512], *log;
    const char *figures =
        "  - {name: best, kind: best, x: iteration, y: val_loss}\n"
        "  - {name: tuning, kind: tuning, x: opt.damping, y: final_val_loss, logx: true}\n";
    cr_assert_eq(load(1, figures, &ex, err, sizeof err), 0, "%s", err);
    const char *res = fabricate(&ex);
    draw(&ex, res, &log);
    cr_expect_eq(strstr(log, "warning"), NULL, "gnuplot said: %s", log);
    char *best = slurp("best.gp"), *tuning = slurp("tuning.gp");
    char *b_sgd = plot_line(best, "title 'sgd lr="),
         *b_ggn = plot_line(best, "title 'ggn damping=");
    char *t_ggn = plot_line(tuning, "title 'ggn'");
    cr_expect(strstr(b_sgd, "'#1f77b4'") != NULL, "%s", b_sgd);
    cr_expect(strstr(b_ggn, "'#d62728'") != NULL, "%s", b_ggn);
    cr_expect(strstr(t_ggn, "'#d62728'") != NULL, "%s", t_ggn);
    free(b_sgd), free(b_ggn), free(t_ggn), free(best), free(tuning), free(log);
    gn_experiment_free(&ex);
}

Test(fig_protocol, a_trial_that_diverged_is_a_marker_at_the_top_not_a_point)
{
    /* sgd's trial 2 diverged with a final validation loss of 1e15: drawn
     * as a point it would stretch the axis over fifteen decades. */
    gn_experiment ex;
    char err[512], *log;
    const char *figures = "  - {name: tuning, kind: tuning, x: opt.lr, y: final_val_loss, "
                          "logx: true, logy: true}\n";
    cr_assert_eq(load(1, figures, &ex, err, sizeof err), 0, "%s", err);
    diverged_trial = 2;
    const char *res = fabricate(&ex);
    diverged_trial = -1;
    char *runs = slurp_path(res, "runs.csv");
    cr_assert_eq(count(runs, ",diverged,sgd,"), 1, "%s", runs);
    free(runs);
    draw(&ex, res, &log);
    cr_expect_eq(strstr(log, "warning"), NULL, "gnuplot said: %s", log);
    char *dat = slurp("tuning.dat"), *gp = slurp("tuning.gp");
    cr_expect_eq(count(dat, "1e+15"), 0, "the diverged loss drawn:\n%s", dat);
    cr_expect_eq(first_block_points(dat), 3, "one point per other trial:\n%s", dat);
    cr_expect_not_null(strstr(dat, "diverged of \"sgd\" (1 of 4)"), "%s", dat);
    cr_expect_not_null(strstr(gp, "title 'diverged (top of the axis)'"), "%s", gp);
    cr_expect_eq(strstr(gp, "did not reach"), NULL, "%s", gp);
    free(dat), free(gp), free(log);
    gn_experiment_free(&ex);
}

/* "fp.yaml:LINE: KEY:" of a failed load, and the message holds `what`. */
static void expect_error(int with_protocol, const char *figures, int line, const char *key,
                         const char *what)
{
    gn_experiment ex;
    char err[1024], want[128];
    cr_assert_neq(load(with_protocol, figures, &ex, err, sizeof err), 0, "loaded:\n%s", figures);
    snprintf(want, sizeof want, "fp.yaml:%d: %s:", line, key);
    cr_expect(strstr(err, want) != NULL, "want %s in: %s", want, err);
    cr_expect(strstr(err, what) != NULL, "want \"%s\" in: %s", what, err);
    gn_experiment_free(&ex);
}

Test(fig_protocol, best_and_tuning_need_a_protocol)
{
    /* Without protocol: the first figure is on line 9. */
    expect_error(0, "  - {name: b, kind: best, x: iteration, y: val_loss}\n", 9, "figures[0].kind",
                 "protocol");
    expect_error(0, "  - {name: t, kind: tuning, x: opt.lr, y: final_val_loss}\n", 9,
                 "figures[0].kind", "protocol");
}

Test(fig_protocol, tuning_x_must_be_a_tuned_setting)
{
    expect_error(1,
                 "  - {name: b, kind: best, x: iteration, y: val_loss}\n"
                 "  - {name: t, kind: tuning, x: opt.momentum, y: final_val_loss}\n",
                 11, "figures[1].x", "opt.lr, opt.damping");
    expect_error(1, "  - {name: t, kind: tuning, x: iteration, y: final_val_loss}\n", 10,
                 "figures[0].x", "tunes");
    expect_error(1, "  - {name: t, kind: tuning, x: opt.lr, y: val_loss}\n", 10, "figures[0].y",
                 "final_val_loss");
    expect_error(1, "  - {name: t, kind: tuning, x: opt.lr, y: final_val_loss, series: seed}\n", 10,
                 "figures[0].series", "one series per");
    expect_error(1, "  - {name: t, kind: bets, x: opt.lr, y: final_val_loss}\n", 10,
                 "figures[0].kind", "trace, summary, best or tuning");
}
