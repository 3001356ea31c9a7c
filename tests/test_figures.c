/* test_figures.c: every figure of every experiment file in experiments/
 * renders without a gnuplot warning (suite figures).
 *
 * No experiment runs: each file is loaded at its quick scale and a results
 * folder is fabricated from its expanded grid (runs.csv with every setting
 * column, one trace per run with every trace column the run writes). The
 * fabricated values are smooth, decreasing losses that differ by optimizer
 * and seed; every third optimizers: entry never reaches its target (empty
 * *_to_target cells), and the first seed of every fifth run diverges after
 * a fifth of its trace. gnuplot's own messages are what plot.c passes on to
 * stderr ("gnuplot: ..."), captured here. */
#define _XOPEN_SOURCE 700 /* nftw */

#include <criterion/criterion.h>

#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exp/experiment.h"
#include "plot/plot.h"
#include "results/schema.h"

static char tmpdir[256];

static void tmp_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gn-figures-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void tmp_teardown(void)
{
    if (tmpdir[0] && getenv("GN_TEST_KEEP"))
        fprintf(stderr, "figures: kept %s\n", tmpdir);
    else if (tmpdir[0])
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = '\0';
}

TestSuite(figures, .init = tmp_setup, .fini = tmp_teardown, .timeout = 120);

/* A CSV cell, quoted when it holds a comma, quote or line break. */
static void cell(FILE *f, const char *s, int last)
{
    s = s ? s : "";
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"') fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

static int writes_column(const gn_run_spec *r, const gn_column *c)
{
    return !(c->flags & GN_COL_CLASSIFY) || gn_loss_is_classification(r->loss);
}

/* Whether run i is the diverged one of its configuration (see the header). */
static int diverges(const gn_experiment *ex, int i)
{
    return i % 5 == 0 && ex->runs[i].seed == ex->runs[0].seed;
}

/* traces/<run_id>.csv of run i: rows at iterations 0, 5, ..., 100. */
static void write_trace(const char *dir, const gn_experiment *ex, int i)
{
    const gn_run_spec *r = &ex->runs[i];
    char path[2048];
    snprintf(path, sizeof path, "%s/traces/%s.csv", dir, r->run_id);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    int n_extra = 0;
    while (r->optim->trace_columns && r->optim->trace_columns[n_extra].name)
        n_extra++;
    for (int j = 0; j < GN_TC_COUNT; j++)
        if (writes_column(r, &gn_trace_columns[j]))
            cell(f, gn_trace_columns[j].name, n_extra == 0 && j == GN_TC_COUNT - 1);
    for (int j = 0; j < n_extra; j++)
        cell(f, r->optim->trace_columns[j].name, j == n_extra - 1);
    double rate = 0.05 * (1 + r->entry) * (1 + 0.1 * (double)(r->seed % 7)), prev = NAN;
    int rows = diverges(ex, i) ? 5 : 21;
    for (int k = 0; k < rows; k++) {
        double loss = 2.0 * exp(-rate * 5 * k) + 1e-4, v[GN_TC_COUNT];
        for (int j = 0; j < GN_TC_COUNT; j++)
            v[j] = 0.01 * (1 + k) * (1 + j);
        v[GN_TC_ITERATION] = 5 * k;
        v[GN_TC_EPOCH] = 0.37 * k;
        v[GN_TC_SAMPLES] = 160 * k;
        v[GN_TC_WALL] = 0.02 * k * (1 + r->entry);
        v[GN_TC_TRAIN_LOSS] = loss;
        v[GN_TC_TEST_LOSS] = 1.1 * loss;
        v[GN_TC_TRAIN_ACC] = 1 - 0.5 * loss / 2.0001;
        v[GN_TC_TEST_ACC] = 1 - 0.6 * loss / 2.0001;
        v[GN_TC_PREV_LOSS] = prev;
        prev = loss;
        char buf[64];
        for (int j = 0; j < GN_TC_COUNT; j++) {
            if (!writes_column(r, &gn_trace_columns[j])) continue;
            if (isnan(v[j]))
                buf[0] = '\0';
            else
                snprintf(buf, sizeof buf, "%.6g", v[j]);
            cell(f, buf, n_extra == 0 && j == GN_TC_COUNT - 1);
        }
        for (int j = 0; j < n_extra; j++) {
            snprintf(buf, sizeof buf, "%.6g", 0.5 + 0.1 * j + 0.01 * k);
            cell(f, buf, j == n_extra - 1);
        }
    }
    fclose(f);
}

/* <dir>/runs.csv and the traces of every run of ex. */
static void fabricate(const char *dir, const gn_experiment *ex)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/traces", dir);
    cr_assert_eq(mkdir(dir, 0777), 0);
    cr_assert_eq(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (const gn_column *c = gn_runs_key_columns; c->name; c++)
        cell(f, c->name, 0);
    for (int j = 0; j < ex->n_columns; j++)
        cell(f, ex->columns[j], 0);
    for (const gn_column *c = gn_runs_result_columns; c->name; c++)
        cell(f, c->name, c[1].name == NULL);
    for (int i = 0; i < ex->n_runs; i++) {
        const gn_run_spec *r = &ex->runs[i];
        char buf[64];
        cell(f, r->run_id, 0);
        cell(f, diverges(ex, i) ? "diverged" : "ok", 0);
        cell(f, r->optim->name, 0);
        cell(f, gn_experiment_entry_label(ex, r->entry), 0);
        snprintf(buf, sizeof buf, "%ld", r->seed);
        cell(f, buf, 0);
        cell(f, gn_run_phase_name(r->phase), 0);
        cell(f, "", 0); /* study */
        cell(f, "", 0); /* trial */
        cell(f, r->config_id, 0);
        for (int j = 0; j < ex->n_columns; j++)
            cell(f, gn_settings_get(&r->settings, ex->columns[j]), 0);
        int reached = r->entry % 3 != 2;
        for (const gn_column *c = gn_runs_result_columns; c->name; c++) {
            int last = c[1].name == NULL;
            if (c->type == GN_COL_TEXT || c->type == GN_COL_TEXT_PTR) {
                cell(f, "", last);
                continue;
            }
            if (c->type == GN_COL_FLAG) {
                cell(f, reached ? "true" : "false", last);
                continue;
            }
            if (strstr(c->name, "_to_target") && !reached) {
                cell(f, "", last);
                continue;
            }
            snprintf(buf, sizeof buf, "%.6g", (1 + r->entry) * (1 + 0.05 * (double)r->seed));
            cell(f, buf, last);
        }
        write_trace(dir, ex, i);
    }
    fclose(f);
}

/* Renders every figure of experiment file `name` from fabricated results;
 * gnuplot's messages in *log (the caller frees). */
static int render(const char *file, const char *name, char **log)
{
    char path[2048], res[1024], plots[1024], err[4096];
    const char *data = getenv("GN_TEST_DATA");
    cr_assert_not_null(data);
    snprintf(path, sizeof path, "%s/../../experiments/%s", data, file);
    gn_experiment ex;
    cr_assert_eq(gn_experiment_load(path, 1, &ex, err, sizeof err), 0, "%s", err);
    snprintf(res, sizeof res, "%s/res-%s", tmpdir, name);
    snprintf(plots, sizeof plots, "%s/plots-%s", tmpdir, name);
    fabricate(res, &ex);
    char logpath[1024];
    snprintf(logpath, sizeof logpath, "%s/%s.log", tmpdir, name);
    fflush(stderr);
    int saved = dup(2);
    FILE *lf = fopen(logpath, "w");
    cr_assert_not_null(lf);
    dup2(fileno(lf), 2);
    int rc = gn_plot_experiment(&ex, res, plots, "png", err, sizeof err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(lf);
    cr_expect_eq(rc, 0, "%s: %s", file, err);
    cr_expect_gt(ex.n_figures, 0, "%s has no figures", file);
    for (int i = 0; i < ex.n_figures; i++) {
        snprintf(path, sizeof path, "%s/%s.%s", plots, ex.figures[i].name,
                 ex.figures[i].format ? ex.figures[i].format : "png");
        struct stat st;
        cr_expect(stat(path, &st) == 0 && st.st_size > 0, "%s: %s not rendered", file, path);
    }
    gn_experiment_free(&ex);
    FILE *in = fopen(logpath, "r");
    cr_assert_not_null(in);
    size_t cap = 1 << 16, n = fread(*log = calloc(1, cap + 1), 1, cap, in);
    (*log)[n] = '\0';
    fclose(in);
    return rc;
}

Test(figures, every_experiment_renders_without_gnuplot_warnings)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/../../experiments", getenv("GN_TEST_DATA"));
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0) continue;
        char name[256], *log = NULL;
        snprintf(name, sizeof name, "%.*s", (int)(len - 5), e->d_name);
        render(e->d_name, name, &log);
        cr_expect(strstr(log, "gnuplot") == NULL, "%s: gnuplot said: %s", e->d_name, log);
        free(log);
        n++;
    }
    closedir(d);
    cr_assert_geq(n, 5, "only %d experiment files in %s", n, dir);
}

/* ---- what the figures show (hand-made results folders) ---- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = calloc(1, 1 << 20);
    size_t n = fread(s, 1, (1 << 20) - 1, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int contains(const char *path, const char *needle)
{
    char *s = slurp(path);
    int ok = s && strstr(s, needle) != NULL;
    free(s);
    return ok;
}

static const char *in_tmp(const char *name)
{
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static gn_figure figure(char *name, gn_figure_kind kind, char *x, char *y, char *series)
{
    gn_figure f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.kind = kind;
    f.x = x;
    f.y = y;
    f.series = series;
    return f;
}

static char *lr_column[] = {"opt.lr"};

static int plot_into(gn_figure *figs, int n, const char *results, char *err, size_t len)
{
    gn_experiment ex;
    memset(&ex, 0, sizeof ex);
    ex.name = "figures-test";
    ex.columns = lr_column;
    ex.n_columns = 1;
    ex.figures = figs;
    ex.n_figures = n;
    return gn_plot_experiment(&ex, results, tmpdir, "png", err, len);
}

/* tmpdir/res: three sgd seeds of 50 steps; seed 2 diverges at step 5. */
static const char *seeds_results(void)
{
    static char res[1024];
    snprintf(res, sizeof res, "%s/res", tmpdir);
    char path[2048];
    cr_assert_eq(mkdir(res, 0777), 0);
    snprintf(path, sizeof path, "%s/traces", res);
    cr_assert_eq(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/runs.csv", res);
    FILE *f = fopen(path, "w");
    fprintf(f, "run_id,status,optimizer,seed,opt.lr,iterations,final_train_loss\n"
               "s1,ok,sgd,1,0.1,50,0.1\ns2,diverged,sgd,2,0.1,5,nan\ns3,ok,sgd,3,0.1,50,0.2\n");
    fclose(f);
    for (int s = 1; s <= 3; s++) {
        snprintf(path, sizeof path, "%s/traces/s%d.csv", res, s);
        f = fopen(path, "w");
        fprintf(f, "iteration,epoch,train_loss\n");
        for (int i = 0; i <= (s == 2 ? 5 : 50); i++)
            fprintf(f, "%d,%.17g,%.17g\n", i, i / 8.0, s == 2 && i == 5 ? NAN : 1.0 / (1 + s * i));
        fclose(f);
    }
    return res;
}

Test(figures, a_seed_that_diverges_early_leaves_the_others_curves_whole)
{
    gn_figure f = figure("loss", GN_FIG_TRACE, "iteration", "train_loss", NULL);
    char err[2048];
    cr_assert_eq(plot_into(&f, 1, seeds_results(), err, sizeof err), 0, "%s", err);
    char *dat = slurp(in_tmp("loss.dat"));
    cr_assert_not_null(dat);
    /* The line runs to step 50 over the two seeds still running there ... */
    cr_assert_not_null(strstr(dat, "\n50 50 "), "the median stops before step 50:\n%s", dat);
    const char *last = strstr(dat, "\n50 50 ");
    double med = 0;
    int n = 0;
    cr_assert_eq(sscanf(last, "\n50 50 %lf %*f %*f %d", &med, &n), 2);
    cr_assert_eq(n, 2, "step 50 reduces %d seeds", n);
    cr_assert_float_eq(med, 0.5 * (1.0 / 51 + 1.0 / 151), 1e-9);
    /* ... steps 0-4 over all three, and seed 2 ends at step 4 (its last finite
     * point), a marker. */
    cr_assert_not_null(strstr(dat, "\n0 0 1 1 1 3\n"), "%s", dat);
    const char *ends = strstr(dat, "seeds that ended early of \"sgd\" (1 of 3)\n");
    cr_assert_not_null(ends, "%s", dat);
    cr_assert_not_null(strstr(ends, "\n4 4 0.1111111111\n"), "%s", ends);
    free(dat);
    cr_assert(contains(in_tmp("loss.gp"), "title 'sgd (2 of 3 seeds to the end)'"));
    cr_assert(contains(in_tmp("loss.gp"), "with points pt 2"));
}

Test(figures, a_run_that_never_reaches_the_target_is_drawn_at_the_top)
{
    /* tests/data/plot/basic: no sgd run reaches its target (empty cells). */
    char res[1024], err[2048];
    snprintf(res, sizeof res, "%s/plot/basic", getenv("GN_TEST_DATA"));
    gn_figure f = figure("ttt", GN_FIG_SUMMARY, "optimizer", "time_to_target_s", NULL);
    char *cols[] = {"model.width", "opt.lr"};
    gn_experiment ex;
    memset(&ex, 0, sizeof ex);
    ex.name = "figures-test";
    ex.columns = cols;
    ex.n_columns = 2;
    ex.figures = &f;
    ex.n_figures = 1;
    cr_assert_eq(gn_plot_experiment(&ex, res, tmpdir, "png", err, sizeof err), 0, "%s", err);
    char *dat = slurp(in_tmp("ttt.dat"));
    /* Width 8: one ggn run (category 0) and both sgd runs (category 1)
     * never reached it: 3 of the line's 4 runs. */
    const char *nr = strstr(dat, "not reached of \"width=8\" (3 of 4)\n");
    cr_assert_not_null(nr, "%s", dat);
    cr_assert_eq(strncmp(strchr(nr, '\n'), "\n0 1\n1 2\n", 9), 0, "%s", nr);
    cr_assert_not_null(strstr(dat, "not reached of \"width=16\" (2 of 5)\n1 2\n"), "%s", dat);
    free(dat);
    const char *gp = in_tmp("ttt.gp");
    cr_assert(contains(gp, "(not_reached) with points"));
    cr_assert(contains(gp, "'did not reach the target (top of the axis)'"));
    /* Optimizers are categories: points with error bars, not joined. */
    cr_assert(contains(gp, "with yerrorbars"));
    cr_assert_not(contains(gp, "yerrorlines"));
}

Test(figures, a_script_whose_first_line_was_changed_is_kept)
{
    const char *res = seeds_results();
    gn_figure f = figure("loss", GN_FIG_TRACE, "iteration", "train_loss", NULL);
    char err[2048];
    cr_assert_eq(plot_into(&f, 1, res, err, sizeof err), 0, "%s", err);
    char *gp = slurp(in_tmp("loss.gp"));
    cr_assert_eq(strncmp(gp, "# gnbench figure loss of experiment figures-test: `gnbench plot", 60),
                 0, "%.200s", gp);
    /* The user's edit: a first line of their own and another line colour. */
    FILE *o = fopen(in_tmp("loss.gp"), "w");
    fprintf(o, "# mine\n%s", strchr(gp, '\n') + 1);
    fclose(o);
    free(gp);
    char *mine = slurp(in_tmp("loss.gp"));
    fflush(stderr);
    int saved = dup(2);
    FILE *lf = fopen(in_tmp("stderr"), "w");
    dup2(fileno(lf), 2);
    remove(in_tmp("loss.png"));
    int rc = plot_into(&f, 1, res, err, sizeof err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(lf);
    cr_assert_eq(rc, 0, "%s", err);
    char *now = slurp(in_tmp("loss.gp"));
    cr_assert_str_eq(now, mine, "gnbench plot overwrote the user's script");
    cr_assert(contains(in_tmp("stderr"), "first line changed"));
    cr_assert(contains(in_tmp("stderr"), "loss.gp"));
    struct stat st;
    cr_assert(stat(in_tmp("loss.png"), &st) == 0 && st.st_size > 0, "not rendered");
    free(now);
    free(mine);
    /* Its first line restored, the script is gnbench's again. */
    remove(in_tmp("loss.gp"));
    cr_assert_eq(plot_into(&f, 1, res, err, sizeof err), 0, "%s", err);
    cr_assert(contains(in_tmp("loss.gp"), "# gnbench figure loss"));
}

Test(figures, options_of_the_figure_reach_the_script)
{
    gn_figure f = figure("opts", GN_FIG_TRACE, "epoch", "train_loss", NULL);
    gn_series_style st = {"sgd", "#123456", 3};
    f.xlabel = "passes over the data";
    f.ylabel = "loss (nats)";
    f.xrange[1] = 4;
    f.yrange[0] = 0;
    f.range_set = 2 | 4;
    f.width = 640;
    f.height = 480;
    f.font = "serif,9";
    f.format = "svg";
    f.band = GN_BAND_IQR;
    f.legend = GN_LEGEND_BELOW;
    f.legend_columns = 2;
    f.styles = &st;
    f.n_styles = 1;
    char err[2048];
    cr_assert_eq(plot_into(&f, 1, seeds_results(), err, sizeof err), 0, "%s", err);
    const char *gp = in_tmp("opts.gp");
    cr_assert(contains(in_tmp("opts.svg"), "<svg"));
    cr_assert(contains(gp, "set terminal svg size 640,480"));
    cr_assert(contains(gp, "font 'serif,9'"));
    cr_assert(contains(gp, "set xlabel 'passes over the data'"));
    cr_assert(contains(gp, "set ylabel 'loss (nats)'"));
    cr_assert(contains(gp, "set xrange [*:4]"));
    cr_assert(contains(gp, "set yrange [0:*]"));
    /* the band's edges are held inside the given y range (gnuplot would
     * clip the filled polygon wrongly) */
    cr_assert(contains(gp, "using 2:($4 < 0 ? 0 : $4):($5 < 0 ? 0 : $5) with filledcurves"));
    cr_assert(contains(gp, "set key below"));
    cr_assert(contains(gp, "lc rgb '#123456' dt 3"));
    cr_assert(contains(gp, "quartiles"));
    /* The band is the quartiles: at step 0 every seed is 1, at step 1 the
     * three seeds are 1/2, 1/3, 1/4: quartiles 0.2917 and 0.4167. */
    cr_assert(contains(in_tmp("opts.dat"), "\n1 0.125 0.3333333333 0.2916666667 0.4166666667 3\n"));
}

Test(figures, labels_name_only_the_settings_that_vary)
{
    /* tests/data/plot/basic: ggn lr 1.0, sgd lr 0.1, widths 8 and 16; lr
     * differs between the optimizers only, width within each: the labels
     * name the width and not lr (nor any setting all lines share). An
     * entry's label replaces its optimizer's name. */
    char res[1024], err[2048];
    snprintf(res, sizeof res, "%s/plot/basic", getenv("GN_TEST_DATA"));
    gn_figure f = figure("lab", GN_FIG_TRACE, "iteration", "train_loss", NULL);
    char *cols[] = {"dataset.name", "model.width", "train.batch", "loss", "opt.lr"};
    static const char *sgd_runs[] = {"sgd-w8-s1", "sgd-w8-s2", "sgd-w16-s1", "sgd-w16-s2"};
    gn_run_spec runs[4];
    memset(runs, 0, sizeof runs);
    for (int i = 0; i < 4; i++) {
        snprintf(runs[i].run_id, sizeof runs[i].run_id, "%s", sgd_runs[i]);
        runs[i].entry = 1;
    }
    char *labels[] = {NULL, "plain SGD"};
    gn_experiment ex;
    memset(&ex, 0, sizeof ex);
    ex.name = "figures-test";
    ex.columns = cols;
    ex.n_columns = 5;
    ex.figures = &f;
    ex.n_figures = 1;
    ex.runs = runs;
    ex.n_runs = 4;
    ex.entry_labels = labels;
    ex.n_entry_labels = 2;
    cr_assert_eq(gn_plot_experiment(&ex, res, tmpdir, "png", err, sizeof err), 0, "%s", err);
    const char *gp = in_tmp("lab.gp");
    cr_assert(contains(gp, "title 'ggn width=8'"));
    cr_assert(contains(gp, "title 'ggn width=16'"));
    cr_assert(contains(gp, "title 'plain SGD width=8'"));
    cr_assert_not(contains(gp, "lr="));
    cr_assert_not(contains(gp, "batch="));
    cr_assert_not(contains(gp, "title 'sgd"));
}

/* ---- the committed gallery ---- */

/* Width and height of the PNG at path from its IHDR chunk; 0 when it is not
 * a PNG. */
static int png_size(const char *path, unsigned *w, unsigned *h)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n < 24 || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0) return 0;
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    return 1;
}

/* Every <img src="plots/gallery/..." width="W" height="H"> of the README is
 * a PNG of that size. */
Test(figures, the_readme_gallery_figures_exist_at_the_size_it_shows)
{
    char root[1024], path[2048];
    snprintf(root, sizeof root, "%s/../..", getenv("GN_TEST_DATA"));
    snprintf(path, sizeof path, "%s/README.md", root);
    char *readme = slurp(path);
    cr_assert_not_null(readme, "cannot read %s", path);
    int n = 0;
    for (const char *p = readme; (p = strstr(p, "<img src=\"plots/gallery/")); p++) {
        char src[512];
        unsigned w = 0, h = 0, pw = 0, ph = 0;
        cr_assert_eq(sscanf(p, "<img src=\"%511[^\"]\" width=\"%u\" height=\"%u\"", src, &w, &h), 3,
                     "README: an <img> without width and height: %.80s", p);
        snprintf(path, sizeof path, "%s/%s", root, src);
        cr_expect(png_size(path, &pw, &ph), "%s: missing or not a PNG", src);
        cr_expect(pw == w && ph == h, "%s is %ux%u, the README shows %ux%u", src, pw, ph, w, h);
        n++;
    }
    free(readme);
    cr_assert_geq(n, 6, "the README shows %d gallery figures", n);
}
