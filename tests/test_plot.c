/* test_plot.c: figures from a results folder (suite plot).
 *
 * The fixture tests/data/plot/basic is a hand-written results folder:
 * optimizers ggn (lr 1.0) and sgd (lr 0.1) x model.width 8, 16 x seeds 1, 2
 * (ggn width 16 has a third seed, status time_limit), one run with status
 * error (sgd width 8 seed 3, no trace, absurd values that must not show up)
 * and one diverged run (sgd width 16 seed 2, shorter trace ending in nan).
 * tests/data/plot/empty holds a runs.csv with a header and no rows.
 *
 * Each test writes its figures into a fresh mkdtemp folder, removed in fini
 * (kept, and named on stderr, when GN_TEST_KEEP is set).
 * The expected medians, minima and maxima are computed by hand from the
 * fixture files. */
#define _XOPEN_SOURCE 700 /* nftw */

#include <criterion/criterion.h>

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plot.h"

static char tmpdir[256];

static void tmp_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gn-plot-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void tmp_teardown(void)
{
    if (tmpdir[0] && getenv("GN_TEST_KEEP"))
        fprintf(stderr, "plot: kept %s\n", tmpdir);
    else if (tmpdir[0])
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = '\0';
}

TestSuite(plot, .init = tmp_setup, .fini = tmp_teardown, .timeout = 60);

/* ---- helpers ---- */

static const char *fixture(const char *name)
{
    static char buf[1024];
    const char *d = getenv("GN_TEST_DATA");
    cr_assert_not_null(d, "GN_TEST_DATA is not set");
    snprintf(buf, sizeof buf, "%s/plot/%s", d, name);
    return buf;
}

static const char *out_path(const char *fig, const char *ext)
{
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s.%s", tmpdir, fig, ext);
    return buf[k];
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    for (;;) {
        if (n + 1024 >= cap)
            s = realloc(s, cap *= 2);
        size_t k = fread(s + n, 1, cap - n - 1, f);
        if (k == 0)
            break;
        n += k;
    }
    fclose(f);
    s[n] = '\0';
    if (len)
        *len = n;
    return s;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

static int is_png(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t n = 0;
    char *s = slurp(path, &n);
    int ok = s && n > 8 && memcmp(s, sig, 8) == 0;
    free(s);
    return ok;
}

static int file_contains(const char *path, const char *needle)
{
    char *s = slurp(path, NULL);
    int ok = s && strstr(s, needle) != NULL;
    free(s);
    return ok;
}

/* A parsed .dat: blocks with their panel, label and numeric rows. */
#define MAXB 16
#define MAXR 16
typedef struct dat_block {
    char panel[64], label[128];
    int n;
    double v[MAXR][6];
} dat_block;

typedef struct dat_file {
    int n;
    dat_block b[MAXB];
} dat_file;

static void quoted_after(const char *line, const char *key, char *out, size_t len)
{
    const char *p = strstr(line, key);
    out[0] = '\0';
    if (!p)
        return;
    p += strlen(key);
    const char *q = strchr(p, '"');
    size_t n = q ? (size_t)(q - p) : strlen(p);
    if (n >= len)
        n = len - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static void dat_parse(const char *path, dat_file *d)
{
    memset(d, 0, sizeof *d);
    char *s = slurp(path, NULL);
    cr_assert_not_null(s, "cannot read %s", path);
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!strncmp(line, "# block ", 8)) {
            cr_assert_lt(d->n, MAXB);
            dat_block *b = &d->b[d->n++];
            quoted_after(line, "panel \"", b->panel, sizeof b->panel);
            quoted_after(line, "label \"", b->label, sizeof b->label);
            continue;
        }
        if (line[0] == '#' || d->n == 0)
            continue;
        dat_block *b = &d->b[d->n - 1];
        cr_assert_lt(b->n, MAXR);
        double *v = b->v[b->n++];
        int k = sscanf(line, "%lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
        cr_assert_geq(k, 5, "bad data line '%s' in %s", line, path);
    }
    free(s);
}

static const dat_block *dat_find(const dat_file *d, const char *panel, const char *label)
{
    for (int i = 0; i < d->n; i++)
        if ((!panel || !strcmp(d->b[i].panel, panel)) && !strcmp(d->b[i].label, label))
            return &d->b[i];
    cr_assert_fail("no block panel '%s' label '%s'", panel ? panel : "*", label);
    return NULL;
}

static void assert_labels_unique(const dat_file *d)
{
    for (int i = 0; i < d->n; i++)
        for (int j = i + 1; j < d->n; j++)
            cr_assert(strcmp(d->b[i].panel, d->b[j].panel) || strcmp(d->b[i].label, d->b[j].label),
                      "label '%s' twice in panel '%s'", d->b[i].label, d->b[i].panel);
}

#define EPS 1e-12
static void assert_row(const dat_block *b, int r, int c0, const double *want, int n)
{
    cr_assert_lt(r, b->n, "block '%s' has %d rows, wanted row %d", b->label, b->n, r);
    for (int i = 0; i < n; i++)
        cr_assert(fabs(b->v[r][c0 + i] - want[i]) <= EPS * (1 + fabs(want[i])),
                  "block '%s' row %d column %d: %.17g, expected %.17g", b->label, r,
                  c0 + i + 1, b->v[r][c0 + i], want[i]);
}

static char *columns[] = {"dataset.name", "model.width", "train.batch", "loss", "opt.lr"};

static gn_experiment experiment(gn_figure *figs, int n)
{
    gn_experiment ex;
    memset(&ex, 0, sizeof ex);
    ex.name = "plot-test";
    ex.description = "hand-written fixture: ggn vs sgd, widths 8 and 16";
    ex.columns = columns;
    ex.n_columns = 5;
    ex.figures = figs;
    ex.n_figures = n;
    return ex;
}

static gn_figure figure(char *name, char *kind, char *x, char *y, char *series,
                        char *panels, int logx, int logy)
{
    gn_figure f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.kind = kind;
    f.x = x;
    f.y = y;
    f.series = series;
    f.panels = panels;
    f.logx = logx;
    f.logy = logy;
    return f;
}

static int plot(gn_figure *figs, int n, const char *results, const char *format,
                char *err, size_t errlen)
{
    gn_experiment ex = experiment(figs, n);
    return gn_plot_experiment(&ex, results, tmpdir, format, err, errlen);
}

static void assert_rendered(const char *fig)
{
    cr_assert(file_exists(out_path(fig, "gp")), "%s.gp missing", fig);
    cr_assert(file_exists(out_path(fig, "dat")), "%s.dat missing", fig);
    cr_assert(is_png(out_path(fig, "png")), "%s.png missing or not a PNG", fig);
}

/* ---- trace figures ---- */

Test(plot, trace_without_panels_reduces_over_seeds)
{
    gn_figure f = figure("loss", "trace", "iteration", "train_loss", "optimizer", NULL, 0, 1);
    char err[1024];
    int rc = plot(&f, 1, fixture("basic"), "png", err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    assert_rendered("loss");

    dat_file d;
    dat_parse(out_path("loss", "dat"), &d);
    cr_assert_eq(d.n, 4);
    assert_labels_unique(&d);
    /* Two ggn configurations share the series value: width tells them apart. */
    const dat_block *b = dat_find(&d, NULL, "ggn width=16");
    cr_assert_eq(b->n, 5);
    /* row, x, median, min, max, seeds */
    double r0[] = {0, 0, 2, 1, 3, 3}, r2[] = {2, 2, 0.2, 0.1, 0.3, 3},
           r4[] = {4, 4, 0.05, 0.02, 0.08, 3};
    assert_row(b, 0, 0, r0, 6);
    assert_row(b, 2, 0, r2, 6);
    assert_row(b, 4, 0, r4, 6);
    b = dat_find(&d, NULL, "ggn width=8");
    double q1[] = {1, 1, 0.75, 0.5, 1, 2};
    assert_row(b, 1, 0, q1, 6);
    dat_find(&d, NULL, "sgd width=8");
    dat_find(&d, NULL, "sgd width=16");
    cr_assert(file_contains(out_path("loss", "gp"), "title \"ggn width=16\""));
    cr_assert(file_contains(out_path("loss", "gp"), "filledcurves"));
    cr_assert(file_contains(out_path("loss", "gp"), "set logscale y"));
    /* The error run (final loss 99, no trace) is not plotted. */
    cr_assert_not(file_contains(out_path("loss", "dat"), "sgd-w8-s3"));
}

Test(plot, trace_with_panels_cuts_diverged_run_and_skips_nan)
{
    gn_figure f = figure("wall", "trace", "wall_s", "train_loss", "optimizer",
                         "model.width", 0, 1);
    char err[1024];
    int rc = plot(&f, 1, fixture("basic"), "png", err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    assert_rendered("wall");

    dat_file d;
    dat_parse(out_path("wall", "dat"), &d);
    cr_assert_eq(d.n, 4);
    assert_labels_unique(&d);
    /* Panels sorted numerically: 8 before 16. */
    cr_assert_str_eq(d.b[0].panel, "8");
    cr_assert_str_eq(d.b[3].panel, "16");

    /* ggn, width 8: x = median wall time of seeds 1 and 2. */
    const dat_block *b = dat_find(&d, "8", "ggn");
    cr_assert_eq(b->n, 5);
    double r1[] = {1, 0.2, 0.75, 0.5, 1, 2}, r3[] = {3, 0.6, 0.1875, 0.125, 0.25, 2};
    assert_row(b, 1, 0, r1, 6);
    assert_row(b, 3, 0, r3, 6);

    /* sgd, width 16: seed 2 diverged after 4 rows, the last one nan. The
     * seeds are cut to 4 rows; row 3 reduces only the finite seed. */
    b = dat_find(&d, "16", "sgd");
    cr_assert_eq(b->n, 4);
    double s2[] = {2, 0.02, 25.3, 0.6, 50, 2}, s3[] = {3, 0.03, 0.4, 0.4, 0.4, 1};
    assert_row(b, 2, 0, s2, 6);
    assert_row(b, 3, 0, s3, 6);

    char *gp = slurp(out_path("wall", "gp"), NULL);
    cr_assert_not_null(strstr(gp, "set multiplot layout"));
    cr_assert_not_null(strstr(gp, "model.width = 8"));
    cr_assert_not_null(strstr(gp, "model.width = 16"));
    cr_assert_not_null(strstr(gp, "wall time (s)"));
    cr_assert_not_null(strstr(gp, "training loss"));
    free(gp);
}

Test(plot, shared_series_value_gets_differing_settings)
{
    /* Series by width, no panels: ggn and sgd share each width and differ
     * in optimizer and lr. */
    gn_figure f = figure("by-width", "trace", "iteration", "train_loss", "model.width",
                         NULL, 0, 0);
    char err[1024];
    cr_assert_eq(plot(&f, 1, fixture("basic"), "png", err, sizeof err), 0, "%s", err);
    dat_file d;
    dat_parse(out_path("by-width", "dat"), &d);
    cr_assert_eq(d.n, 4);
    assert_labels_unique(&d);
    dat_find(&d, NULL, "model.width=8 ggn lr=1.0");
    dat_find(&d, NULL, "model.width=8 sgd lr=0.1");
    dat_find(&d, NULL, "model.width=16 ggn lr=1.0");
    /* Labels are escaped for enhanced text: the underscore-free ones as is. */
    cr_assert(file_contains(out_path("by-width", "gp"), "title \"model.width=16 sgd lr=0.1\""));
}

Test(plot, trace_empty_cells_and_inf_leave_gaps)
{
    /* test_loss: empty for ggn width 16 seed 3, inf for the diverged run. */
    gn_figure f = figure("test-loss", "trace", "iteration", "test_loss", "optimizer",
                         "model.width", 0, 1);
    char err[1024];
    cr_assert_eq(plot(&f, 1, fixture("basic"), "png", err, sizeof err), 0, "%s", err);
    assert_rendered("test-loss");
    dat_file d;
    dat_parse(out_path("test-loss", "dat"), &d);
    const dat_block *b = dat_find(&d, "16", "ggn");
    cr_assert_eq(b->v[0][5], 2); /* two seeds with a value */
    b = dat_find(&d, "16", "sgd");
    cr_assert_eq(b->v[3][5], 1);
}

/* ---- summary figures ---- */

Test(plot, summary_numeric_x_median_min_max)
{
    gn_figure f = figure("final", "summary", "model.width", "final_train_loss", "optimizer",
                         NULL, 1, 1);
    char err[1024];
    cr_assert_eq(plot(&f, 1, fixture("basic"), "png", err, sizeof err), 0, "%s", err);
    assert_rendered("final");
    dat_file d;
    dat_parse(out_path("final", "dat"), &d);
    cr_assert_eq(d.n, 2);
    assert_labels_unique(&d);
    /* x, median, min, max, runs */
    const dat_block *b = dat_find(&d, NULL, "ggn");
    cr_assert_eq(b->n, 2);
    double g8[] = {8, 0.09375, 0.0625, 0.125, 2}, g16[] = {16, 0.05, 0.02, 0.08, 3};
    assert_row(b, 0, 0, g8, 5);
    assert_row(b, 1, 0, g16, 5);
    b = dat_find(&d, NULL, "sgd");
    /* The error run's 99 is left out; the diverged run's nan too. */
    double s8[] = {8, 0.65, 0.6, 0.7, 2}, s16[] = {16, 0.3, 0.3, 0.3, 1};
    assert_row(b, 0, 0, s8, 5);
    assert_row(b, 1, 0, s16, 5);
    char *gp = slurp(out_path("final", "gp"), NULL);
    cr_assert_not_null(strstr(gp, "yerrorlines"));
    cr_assert_not_null(strstr(gp, "width (units)"));
    cr_assert_not_null(strstr(gp, "set logscale x"));
    free(gp);
}

Test(plot, summary_categorical_x_skips_empty_cells)
{
    gn_figure f = figure("ttt", "summary", "optimizer", "time_to_target_s", "model.width",
                         NULL, 0, 0);
    char err[1024];
    cr_assert_eq(plot(&f, 1, fixture("basic"), "png", err, sizeof err), 0, "%s", err);
    assert_rendered("ttt");
    dat_file d;
    dat_parse(out_path("ttt", "dat"), &d);
    cr_assert_eq(d.n, 2);
    /* Categories ggn = 0, sgd = 1; sgd never reached the target: no point. */
    const dat_block *b = dat_find(&d, NULL, "model.width=8");
    cr_assert_eq(b->n, 1);
    double w8[] = {0, 0.4, 0.4, 0.4, 1};
    assert_row(b, 0, 0, w8, 5);
    b = dat_find(&d, NULL, "model.width=16");
    cr_assert_eq(b->n, 1);
    double w16[] = {0, 1.5, 0.5, 2.5, 3};
    assert_row(b, 0, 0, w16, 5);
    char *gp = slurp(out_path("ttt", "gp"), NULL);
    cr_assert_not_null(strstr(gp, "set xtics (\"ggn\" 0, \"sgd\" 1)"));
    cr_assert_not_null(strstr(gp, "time to target (s)"));
    free(gp);
}

Test(plot, summary_with_panels)
{
    gn_figure f = figure("final-panels", "summary", "model.width", "final_train_loss",
                         "optimizer", "optimizer", 0, 0);
    char err[1024];
    cr_assert_eq(plot(&f, 1, fixture("basic"), "png", err, sizeof err), 0, "%s", err);
    assert_rendered("final-panels");
    dat_file d;
    dat_parse(out_path("final-panels", "dat"), &d);
    cr_assert_eq(d.n, 2);
    const dat_block *b = dat_find(&d, "sgd", "sgd");
    double s8[] = {8, 0.65, 0.6, 0.7, 2};
    assert_row(b, 0, 0, s8, 5);
    cr_assert(file_contains(out_path("final-panels", "gp"), "optimizer = ggn"));
}

/* ---- formats, errors, empty input ---- */

Test(plot, svg_and_pdf_formats)
{
    gn_figure f[2] = {
        figure("loss", "trace", "iteration", "train_loss", "optimizer", "model.width", 0, 1),
        figure("final", "summary", "model.width", "final_train_loss", "optimizer", NULL, 1, 1),
    };
    char err[1024];
    cr_assert_eq(plot(f, 2, fixture("basic"), "svg", err, sizeof err), 0, "%s", err);
    cr_assert(file_contains(out_path("loss", "svg"), "<svg"));
    cr_assert(file_contains(out_path("final", "svg"), "<svg"));
    cr_assert(file_contains(out_path("loss", "gp"), "set terminal svg"));
    cr_assert_eq(plot(f, 1, fixture("basic"), "pdf", err, sizeof err), 0, "%s", err);
    char *pdf = slurp(out_path("loss", "pdf"), NULL);
    cr_assert(pdf && !strncmp(pdf, "%PDF", 4));
    free(pdf);
    cr_assert_eq(plot(f, 1, fixture("basic"), "jpeg", err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "jpeg"));
}

Test(plot, missing_column_names_column_and_file)
{
    gn_figure f[3] = {
        figure("bad-summary", "summary", "model.width", "no_such_column", "optimizer", NULL, 0, 0),
        figure("good", "summary", "model.width", "final_train_loss", "optimizer", NULL, 0, 0),
        figure("bad-trace", "trace", "iteration", "test_accuracy", "optimizer", NULL, 0, 0),
    };
    char err[2048];
    int rc = plot(f, 3, fixture("basic"), "png", err, sizeof err);
    cr_assert_eq(rc, -1);
    cr_assert_not_null(strstr(err, "bad-summary"), "%s", err);
    cr_assert_not_null(strstr(err, "no_such_column"), "%s", err);
    cr_assert_not_null(strstr(err, "runs.csv"), "%s", err);
    cr_assert_not_null(strstr(err, "bad-trace"), "%s", err);
    cr_assert_not_null(strstr(err, "test_accuracy"), "%s", err);
    cr_assert_not_null(strstr(err, "traces/"), "%s", err);
    cr_assert_null(strstr(err, "'good'"), "%s", err);
    /* The other figures are still drawn. */
    assert_rendered("good");

    gn_figure p = figure("bad-panels", "trace", "iteration", "train_loss", "optimizer",
                         "model.nothing", 0, 0);
    cr_assert_eq(plot(&p, 1, fixture("basic"), "png", err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "model.nothing"), "%s", err);
}

Test(plot, zero_rows_draw_no_data)
{
    gn_figure f[2] = {
        figure("loss", "trace", "iteration", "train_loss", "optimizer", "model.width", 0, 1),
        figure("final", "summary", "model.width", "final_train_loss", "optimizer", NULL, 1, 1),
    };
    char err[1024];
    int rc = plot(f, 2, fixture("empty"), "png", err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    assert_rendered("loss");
    assert_rendered("final");
    cr_assert(file_contains(out_path("loss", "gp"), "no data"));
}

Test(plot, missing_traces_and_folder)
{
    /* A results folder with runs.csv but no traces/: placeholders. */
    char results[512], cmd[1200];
    snprintf(results, sizeof results, "%s/results", tmpdir);
    cr_assert_eq(mkdir(results, 0777), 0);
    snprintf(cmd, sizeof cmd, "%s/runs.csv", results);
    char *runs = slurp(fixture("basic/runs.csv"), NULL);
    cr_assert_not_null(runs);
    FILE *o = fopen(cmd, "w");
    fputs(runs, o);
    fclose(o);
    free(runs);
    gn_figure f = figure("loss", "trace", "iteration", "train_loss", "optimizer", NULL, 0, 1);
    char err[1024];
    cr_assert_eq(plot(&f, 1, results, "png", err, sizeof err), 0, "%s", err);
    assert_rendered("loss");
    cr_assert(file_contains(out_path("loss", "gp"), "no data"));
    cr_assert(file_contains(out_path("loss", "dat"), "skipped run ggn-w8-s1"));

    snprintf(cmd, sizeof cmd, "%s/nowhere", tmpdir);
    cr_assert_eq(plot(&f, 1, cmd, "png", err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "runs.csv"), "%s", err);
}

Test(plot, without_gnuplot_writes_scripts_and_fails)
{
    setenv("PATH", "/nonexistent-gn-path", 1);
    gn_figure f = figure("loss", "trace", "iteration", "train_loss", "optimizer", NULL, 0, 1);
    char err[1024];
    cr_assert_eq(plot(&f, 1, fixture("basic"), "png", err, sizeof err), -1);
    cr_assert_not_null(strstr(err, "gnuplot not found"), "%s", err);
    cr_assert(file_exists(out_path("loss", "gp")));
    cr_assert(file_exists(out_path("loss", "dat")));
    cr_assert_not(file_exists(out_path("loss", "png")));
}
