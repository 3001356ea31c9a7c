/* test_plot.c: figures from a results folder (suite plot).
 *
 * The fixture tests/data/plot/basic is a hand-written results folder:
 * optimizers ggn (lr 1.0) and sgd (lr 0.1) x model.width 8, 16 x seeds 1, 2
 * (ggn width 16 has a third seed, status time_limit), one run with status
 * error (sgd width 8 seed 3, no trace, absurd values that must not show up)
 * and one diverged run (sgd width 16 seed 2, shorter trace ending in nan).
 * tests/data/plot/empty holds a runs.csv with a header and no rows.
 *
 * The hostile tests quote strings that gnuplot would run (`touch PWNED`),
 * expand (@m) or cut short (quotes, line breaks) and check that gnuplot
 * prints and draws them as they are and creates no PWNED file.
 *
 * Each test writes its figures into a fresh mkdtemp folder, removed in fini
 * (kept, and named on stderr, when GN_TEST_KEEP is set).
 * The expected medians, minima and maxima are computed by hand from the
 * fixture files. */
#define _XOPEN_SOURCE 700 /* nftw */

#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot/plot.h"

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
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    for (;;) {
        if (n + 1024 >= cap) s = realloc(s, cap *= 2);
        size_t k = fread(s + n, 1, cap - n - 1, f);
        if (k == 0) break;
        n += k;
    }
    fclose(f);
    s[n] = '\0';
    if (len) *len = n;
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
    int extra; /* a block of markers: seeds that ended early, runs not reached */
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
    if (!p) return;
    p += strlen(key);
    const char *q = strchr(p, '"');
    size_t n = q ? (size_t)(q - p) : strlen(p);
    if (n >= len) n = len - 1;
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
            b->extra = strstr(line, "label \"") == NULL;
            quoted_after(line, "panel \"", b->panel, sizeof b->panel);
            quoted_after(line, b->extra ? " of \"" : "label \"", b->label, sizeof b->label);
            continue;
        }
        if (line[0] == '#' || d->n == 0) continue;
        dat_block *b = &d->b[d->n - 1];
        cr_assert_lt(b->n, MAXR);
        double *v = b->v[b->n++];
        int k = sscanf(line, "%lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
        cr_assert_geq(k, b->extra ? 2 : 5, "bad data line '%s' in %s", line, path);
    }
    free(s);
}

static const dat_block *dat_find_kind(const dat_file *d, const char *panel, const char *label,
                                      int extra)
{
    for (int i = 0; i < d->n; i++)
        if (d->b[i].extra == extra && (!panel || !strcmp(d->b[i].panel, panel)) &&
            !strcmp(d->b[i].label, label))
            return &d->b[i];
    cr_assert_fail("no %sblock panel '%s' label '%s'", extra ? "marker " : "", panel ? panel : "*",
                   label);
    return NULL;
}

static const dat_block *dat_find(const dat_file *d, const char *panel, const char *label)
{
    return dat_find_kind(d, panel, label, 0);
}

/* The lines of a .dat (its marker blocks aside). */
static int dat_lines(const dat_file *d)
{
    int n = 0;
    for (int i = 0; i < d->n; i++)
        n += !d->b[i].extra;
    return n;
}

static void assert_labels_unique(const dat_file *d)
{
    for (int i = 0; i < d->n; i++)
        for (int j = i + 1; j < d->n; j++)
            if (!d->b[i].extra && !d->b[j].extra)
                cr_assert(strcmp(d->b[i].panel, d->b[j].panel) ||
                              strcmp(d->b[i].label, d->b[j].label),
                          "label '%s' twice in panel '%s'", d->b[i].label, d->b[i].panel);
}

#define EPS 1e-12
static void assert_row(const dat_block *b, int r, int c0, const double *want, int n)
{
    cr_assert_lt(r, b->n, "block '%s' has %d rows, wanted row %d", b->label, b->n, r);
    for (int i = 0; i < n; i++)
        cr_assert(fabs(b->v[r][c0 + i] - want[i]) <= EPS * (1 + fabs(want[i])),
                  "block '%s' row %d column %d: %.17g, expected %.17g", b->label, r, c0 + i + 1,
                  b->v[r][c0 + i], want[i]);
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

static gn_figure figure(char *name, char *kind, char *x, char *y, char *series, char *panels,
                        int logx, int logy)
{
    gn_figure f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.kind = strcmp(kind, "summary") == 0 ? GN_FIG_SUMMARY : GN_FIG_TRACE;
    f.x = x;
    f.y = y;
    f.series = series;
    f.panels = panels;
    f.logx = logx;
    f.logy = logy;
    return f;
}

static int plot(gn_figure *figs, int n, const char *results, const char *format, char *err,
                size_t errlen)
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
    cr_assert_eq(dat_lines(&d), 4);
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
    cr_assert(file_contains(out_path("loss", "gp"), "title 'ggn width=16'"));
    cr_assert(file_contains(out_path("loss", "gp"), "filledcurves"));
    cr_assert(file_contains(out_path("loss", "gp"), "set logscale y"));
    /* The error run (final loss 99, no trace) is not plotted. */
    cr_assert_not(file_contains(out_path("loss", "dat"), "sgd-w8-s3"));
}

Test(plot, trace_with_panels_cuts_diverged_run_and_skips_nan)
{
    gn_figure f = figure("wall", "trace", "wall_s", "train_loss", "optimizer", "model.width", 0, 1);
    char err[1024];
    int rc = plot(&f, 1, fixture("basic"), "png", err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    assert_rendered("wall");

    dat_file d;
    dat_parse(out_path("wall", "dat"), &d);
    cr_assert_eq(dat_lines(&d), 4);
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

    /* sgd, width 16: seed 2 diverged after 4 rows, the last one nan. Row 3
     * reduces only the finite seed, row 4 the one seed still running; seed
     * 2's last finite point is a marker. */
    b = dat_find(&d, "16", "sgd");
    cr_assert_eq(b->n, 5);
    double s2[] = {2, 0.02, 25.3, 0.6, 50, 2}, s3[] = {3, 0.03, 0.4, 0.4, 0.4, 1},
           s4[] = {4, 0.04, 0.3, 0.3, 0.3, 1};
    assert_row(b, 2, 0, s2, 6);
    assert_row(b, 3, 0, s3, 6);
    assert_row(b, 4, 0, s4, 6);
    b = dat_find_kind(&d, NULL, "sgd", 1);
    cr_assert_eq(b->n, 1);
    double end[] = {2, 0.02, 50};
    assert_row(b, 0, 0, end, 3);

    char *gp = slurp(out_path("wall", "gp"), NULL);
    cr_assert_not_null(strstr(gp, "set multiplot layout"));
    cr_assert_not_null(strstr(gp, "model.width = 8"));
    cr_assert_not_null(strstr(gp, "model.width = 16"));
    cr_assert_not_null(strstr(gp, "wall time (s)"));
    cr_assert_not_null(strstr(gp, "training loss"));
    cr_assert_not_null(strstr(gp, "title 'sgd (1 of 2 seeds to the end)'"));
    cr_assert_not_null(strstr(gp, "'last point of a seed that ended early'"));
    free(gp);
}

Test(plot, shared_series_value_gets_differing_settings)
{
    /* Series by width, no panels: ggn and sgd share each width and differ
     * in optimizer and lr. */
    gn_figure f = figure("by-width", "trace", "iteration", "train_loss", "model.width", NULL, 0, 0);
    char err[1024];
    cr_assert_eq(plot(&f, 1, fixture("basic"), "png", err, sizeof err), 0, "%s", err);
    dat_file d;
    dat_parse(out_path("by-width", "dat"), &d);
    cr_assert_eq(dat_lines(&d), 4);
    assert_labels_unique(&d);
    /* lr differs between ggn and sgd but not among the lines of either:
     * the optimizer names it, lr is not repeated. */
    dat_find(&d, NULL, "model.width=8 ggn");
    dat_find(&d, NULL, "model.width=8 sgd");
    dat_find(&d, NULL, "model.width=16 ggn");
    /* Labels are escaped for enhanced text: the underscore-free ones as is. */
    cr_assert(file_contains(out_path("by-width", "gp"), "title 'model.width=16 ggn'"));
    cr_assert_not(file_contains(out_path("by-width", "gp"), "lr="));
}

Test(plot, trace_empty_cells_and_inf_leave_gaps)
{
    /* test_loss: empty for ggn width 16 seed 3, inf for the diverged run. */
    gn_figure f =
        figure("test-loss", "trace", "iteration", "test_loss", "optimizer", "model.width", 0, 1);
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
    gn_figure f =
        figure("final", "summary", "model.width", "final_train_loss", "optimizer", NULL, 1, 1);
    char err[1024];
    cr_assert_eq(plot(&f, 1, fixture("basic"), "png", err, sizeof err), 0, "%s", err);
    assert_rendered("final");
    dat_file d;
    dat_parse(out_path("final", "dat"), &d);
    cr_assert_eq(dat_lines(&d), 2);
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
    gn_figure f =
        figure("ttt", "summary", "optimizer", "time_to_target_s", "model.width", NULL, 0, 0);
    char err[1024];
    cr_assert_eq(plot(&f, 1, fixture("basic"), "png", err, sizeof err), 0, "%s", err);
    assert_rendered("ttt");
    dat_file d;
    dat_parse(out_path("ttt", "dat"), &d);
    cr_assert_eq(dat_lines(&d), 2);
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
    cr_assert_not_null(strstr(gp, "set xtics ('ggn' 0, 'sgd' 1)"));
    cr_assert_not_null(strstr(gp, "time to target (s)"));
    free(gp);
}

Test(plot, summary_with_panels)
{
    gn_figure f = figure("final-panels", "summary", "model.width", "final_train_loss", "optimizer",
                         "optimizer", 0, 0);
    char err[1024];
    cr_assert_eq(plot(&f, 1, fixture("basic"), "png", err, sizeof err), 0, "%s", err);
    assert_rendered("final-panels");
    dat_file d;
    dat_parse(out_path("final-panels", "dat"), &d);
    cr_assert_eq(dat_lines(&d), 2);
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

/* ---- hostile text: quoted so that gnuplot prints it and runs nothing ---- */

/* 1 when dir holds no entry whose name starts with PWNED. */
static int no_pwned(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot list %s", dir);
    int clean = 1;
    for (struct dirent *e; (e = readdir(d));)
        if (!strncmp(e->d_name, "PWNED", 5)) clean = 0;
    closedir(d);
    return clean;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

Test(plot, quote_single_quotes_and_escapes_quotes_and_control_bytes)
{
    static const char *const cases[][2] = {
        {"", "''"},
        {"ggn", "'ggn'"},
        {"`touch PWNED` $(touch PWNED) @m \\ \"", "'`touch PWNED` $(touch PWNED) @m \\ \"'"},
        {"it's", "'it'.\"\\047\".'s'"},
        {"''", "\"\\047\".\"\\047\""},
        {"a\nb\r", "'a'.\"\\012\".'b'.\"\\015\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *q = gn_plot_quote(cases[i][0]);
        cr_assert_not_null(q);
        cr_assert_str_eq(q, cases[i][1]);
        free(q);
    }
}

/* Strings gnuplot would run, expand or cut short if they were quoted wrong.
 * The test script defines a string variable m, so an @m expanded by
 * mistake changes the printed value. */
static const char *const hostile[] = {
    "`touch PWNED`",
    "$(touch PWNED)",
    "x`touch PWNED_2`y",
    "`",
    "!touch PWNED",
    "'",
    "''",
    "'''x'''",
    "a'b",
    "it's \"q\"",
    "\"",
    "\"'\"",
    "\\",
    "back\\slash\\",
    "tail\\",
    "\\101\\n",
    "@m",
    "x @m y",
    "\"'@m",
    "'@m'",
    "line1\nline2",
    "\n",
    "cr\rtab\tdel\x7f",
    "# not a comment",
    "a;b",
    "^_{}&~",
    "{/Symbol a}",
    "caf\xc3\xa9",
};
#define N_HOSTILE (sizeof hostile / sizeof hostile[0])

Test(plot, quote_round_trips_hostile_strings_through_gnuplot)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/quote.gp", tmpdir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "m = 'EXPANDED'\n");
    for (size_t i = 0; i < N_HOSTILE; i++) {
        char *q = gn_plot_quote(hostile[i]);
        cr_assert_not_null(q);
        fprintf(f, "set print 'q%zu.txt'\nprint %s\n", i, q);
        free(q);
    }
    fprintf(f, "unset print\n");
    fclose(f);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot quote.gp 2>quote.err", tmpdir);
    cr_assert_eq(system(cmd), 0, "gnuplot failed on %s", path);
    for (size_t i = 0; i < N_HOSTILE; i++) {
        snprintf(path, sizeof path, "%s/q%zu.txt", tmpdir, i);
        char *got = slurp(path, NULL);
        cr_assert_not_null(got, "no output for string %zu", i);
        size_t n = strlen(hostile[i]);
        cr_assert(strlen(got) == n + 1 && !memcmp(got, hostile[i], n) && got[n] == '\n',
                  "string %zu: gnuplot printed '%s' for '%s'", i, got, hostile[i]);
        free(got);
    }
    cr_assert(no_pwned(tmpdir), "a command ran in %s", tmpdir);
    cr_assert(no_pwned("."), "a command ran in the working folder");
}

/* <tmpdir>/res: four runs whose dataset.train values (series, panel and
 * tic labels) and trace column (axis label, placeholder text) try to run
 * `touch PWNED`, with a quote, a backslash, a line break, @m and the
 * enhanced-text specials among them. */
static void hostile_results(char *results, size_t len)
{
    snprintf(results, len, "%s/res", tmpdir);
    cr_assert_eq(mkdir(results, 0777), 0);
    put_file(results, "runs.csv",
             "run_id,status,optimizer,seed,dataset.train,final_train_loss\n"
             "r1,ok,sgd,1,a`touch PWNED`.csv,0.5\n"
             "r2,ok,sgd,1,\"b$(touch PWNED)'q\"\"z\\.csv\",0.4\n"
             "r3,ok,sgd,1,\"c\n`touch PWNED`@m.csv\",0.3\n"
             "r4,ok,sgd,1,d^_{}&~\\101.csv,0.2\n");
    char traces[1100];
    snprintf(traces, sizeof traces, "%s/traces", results);
    cr_assert_eq(mkdir(traces, 0777), 0);
    static const char trace[] = "iteration,train_loss,loss`touch PWNED`\n0,1,1\n1,0.5,0.5\n";
    put_file(traces, "r1.csv", trace);
    put_file(traces, "r2.csv", trace);
    put_file(traces, "r3.csv", trace);
    put_file(traces, "r4.csv", trace);
}

static char *hostile_columns[] = {"dataset.train"};

static int plot_hostile(const char *results, const char *format, char *err, size_t errlen)
{
    static gn_setting none = {"optimizer", "none"};
    gn_figure f[5] = {
        figure("keys", "trace", "iteration", "train_loss", "dataset.train", NULL, 0, 0),
        figure("panels", "trace", "iteration", "train_loss", "optimizer", "dataset.train", 0, 0),
        figure("tics", "summary", "dataset.train", "final_train_loss", "optimizer", NULL, 0, 0),
        figure("axes", "trace", "iteration", "loss`touch PWNED`", "optimizer", NULL, 0, 0),
        figure("empty", "trace", "iteration", "loss`touch PWNED`", "optimizer", NULL, 0, 0),
    };
    f[0].title = "T `touch PWNED` $(touch PWNED) \\ @m";
    f[4].where.v = &none;
    f[4].where.n = 1;
    gn_experiment ex = experiment(f, 5);
    ex.name = "exp\n`touch PWNED`";
    ex.description = "D `touch PWNED`\n$(touch PWNED) @m";
    ex.columns = hostile_columns;
    ex.n_columns = 1;
    return gn_plot_experiment(&ex, results, tmpdir, format, err, errlen);
}

/* Every line of a script starts with a command, a comment or the indent of
 * a continued plot command: no text of a value begins a line. */
static void assert_lines_are_commands(const char *fig)
{
    char *gp = slurp(out_path(fig, "gp"), NULL);
    cr_assert_not_null(gp);
    for (char *line = gp; *line;) {
        cr_assert(*line == '\n' || *line == '#' || *line == ' ' || (*line >= 'a' && *line <= 'z'),
                  "%s.gp: a line starts with value text: %.60s", fig, line);
        char *nl = strchr(line, '\n');
        if (!nl) break;
        line = nl + 1;
    }
    free(gp);
}

Test(plot, hostile_text_is_quoted_in_scripts_and_runs_nothing)
{
    char results[1024], err[2048];
    hostile_results(results, sizeof results);
    cr_assert_eq(plot_hostile(results, "png", err, sizeof err), 0, "%s", err);
    static const char *const figs[] = {"keys", "panels", "tics", "axes", "empty"};
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++) {
        assert_rendered(figs[i]);
        assert_lines_are_commands(figs[i]);
    }
    cr_assert(no_pwned(tmpdir), "a command ran in the plots folder");
    cr_assert(no_pwned(results), "a command ran in the results folder");
    cr_assert(no_pwned("."), "a command ran in the working folder");

    /* Shown text is escaped for enhanced text (\_ prints _, \\ prints \,
     * line breaks become spaces), then single-quoted; a quote is an octal
     * escape; text with a backslash and no other special starts with {}. */
    const char *keys = out_path("keys", "gp");
    cr_assert(file_contains(keys, "set title 'T `touch PWNED` $(touch PWNED) \\\\ \\@m'."
                                  "\"\\012\".'{/*0.75 D `touch PWNED` $(touch PWNED) \\@m}'"));
    cr_assert(file_contains(keys, "title 'dataset.train=a`touch PWNED`.csv'"));
    cr_assert(file_contains(keys, "title '{}dataset.train=b$(touch PWNED)'.\"\\047\"."
                                  "'q\"z\\\\.csv'"));
    cr_assert(file_contains(keys, "title 'dataset.train=c `touch PWNED`\\@m.csv'"));
    cr_assert(file_contains(keys, "title 'dataset.train=d\\^\\_\\{\\}\\&\\~\\\\101.csv'"));
    cr_assert(file_contains(keys, "datafile = 'keys.dat'"));
    cr_assert(file_contains(keys, "set output 'keys.png'"));
    cr_assert(
        file_contains(keys, "# keys.gp: figure \"keys\" of experiment \"exp `touch PWNED`\""));
    cr_assert(
        file_contains(out_path("panels", "gp"), "set title 'dataset.train = a`touch PWNED`.csv'"));
    cr_assert(file_contains(out_path("tics", "gp"),
                            "set xtics ('a`touch PWNED`.csv' 0, '{}b$(touch PWNED)'.\"\\047\"."
                            "'q\"z\\\\.csv' 1, 'c `touch PWNED`\\@m.csv' 2"));
    cr_assert(file_contains(out_path("axes", "gp"), "set ylabel 'loss`touch PWNED`'"));
    cr_assert(file_contains(out_path("axes", "gp"),
                            "set title 'exp `touch PWNED`: loss`touch PWNED` vs iteration'"));
    cr_assert(file_contains(out_path("empty", "gp"),
                            "set label 99 'no data: no finite value of loss`touch PWNED`'"));
}

/* Undoes the XML escapes of &, " and ' in place. */
static void xml_unescape(char *s)
{
    static const char *const ent[][2] = {{"&amp;", "&"}, {"&quot;", "\""}, {"&apos;", "'"}};
    char *o = s;
    while (*s) {
        size_t k = 0;
        while (k < 3 && strncmp(s, ent[k][0], strlen(ent[k][0])))
            k++;
        if (k < 3) {
            *o++ = ent[k][1][0];
            s += strlen(ent[k][0]);
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
}

/* The svg terminal writes the text it draws: it must be the text itself. */
Test(plot, hostile_text_is_drawn_literally)
{
    char results[1024], err[2048];
    hostile_results(results, sizeof results);
    cr_assert_eq(plot_hostile(results, "svg", err, sizeof err), 0, "%s", err);
    cr_assert(no_pwned(tmpdir), "a command ran in the plots folder");
    static const char *const shown[][2] = {
        {"keys", "T `touch PWNED` $(touch PWNED) \\ @m"},
        {"keys", "D `touch PWNED` $(touch PWNED) @m"},
        {"keys", "dataset.train=a`touch PWNED`.csv"},
        {"keys", "dataset.train=b$(touch PWNED)'q\"z\\.csv"},
        {"keys", "dataset.train=c `touch PWNED`@m.csv"},
        {"keys", "dataset.train=d^_{}&~\\101.csv"},
        {"panels", "dataset.train = b$(touch PWNED)'q\"z\\.csv"},
        {"tics", "b$(touch PWNED)'q\"z\\.csv"},
        {"axes", "loss`touch PWNED`"},
        {"empty", "no data: no finite value of loss`touch PWNED`"},
    };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        char *svg = slurp(out_path(shown[i][0], "svg"), NULL);
        cr_assert_not_null(svg);
        xml_unescape(svg);
        cr_assert_not_null(strstr(svg, shown[i][1]), "%s.svg does not show '%s'", shown[i][0],
                           shown[i][1]);
        free(svg);
    }
}

/* Whether some process waits for an flock on the file with inode ino (a
 * "->" line of /proc/locks; pids there need not match ours in a sandbox). */
static int lock_has_waiter(ino_t ino)
{
    FILE *f = fopen("/proc/locks", "r");
    if (!f) return 0;
    char line[256], want[48];
    snprintf(want, sizeof want, ":%lu ", (unsigned long)ino);
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, "->") && strstr(line, "FLOCK") && strstr(line, want);
    fclose(f);
    return found;
}

/* Two processes drawing into one folder (the last two shards of a sweep
 * that finish together) take turns: while one holds the folder's lock the
 * other draws nothing, and draws everything once it is released. Ordered by
 * events (the waiter shows in /proc/locks), not by time. */
Test(plot, two_processes_take_turns_in_one_plots_folder)
{
    if (access("/proc/locks", R_OK) != 0) cr_skip_test("no /proc/locks");
    /* fuzz/ci.sh's valgrind pass: the forked child is a copy of the test
     * process, whose heap valgrind reports as lost when the child exits (and
     * Criterion's skip leaves its own buffers there too): not run there; the
     * normal and sanitizer passes run it. */
    if (getenv("GN_UNDER_VALGRIND")) {
        fprintf(stderr,
                "plot: two_processes_take_turns_in_one_plots_folder: not run under valgrind\n");
        return;
    }
    char lock_path[300];
    snprintf(lock_path, sizeof lock_path, "%s/.gnbench-plot.lock", tmpdir);
    int fd = open(lock_path, O_RDWR | O_CREAT, 0666);
    cr_assert_geq(fd, 0);
    cr_assert_eq(flock(fd, LOCK_EX), 0);
    const char *results = fixture("basic"); /* no Criterion call in the child */
    /* the child reports its result through a pipe: under valgrind its exit
     * status is valgrind's (a forked copy of the test process "leaks") */
    int res[2];
    cr_assert_eq(pipe(res), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(res[0]);
        gn_figure f = figure("loss", "trace", "iteration", "train_loss", "optimizer", NULL, 0, 1);
        char err[1024];
        char ok = plot(&f, 1, results, "png", err, sizeof err) == 0 ? 'y' : 'n';
        _exit(write(res[1], &ok, 1) == 1 ? 0 : 1);
    }
    close(res[1]);
    struct stat st_lock;
    cr_assert_eq(fstat(fd, &st_lock), 0);
    int waited = 0, st;
    /* until the child blocks on the lock, or ends without doing so */
    while (!(waited = lock_has_waiter(st_lock.st_ino)) && waitpid(pid, &st, WNOHANG) == 0)
        usleep(500);
    cr_assert(waited, "the drawing process ended without waiting for the folder's lock");
    cr_expect(!file_exists(out_path("loss", "gp")), "drew while another process held the folder");
    flock(fd, LOCK_UN);
    close(fd);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    char ok = 0;
    cr_assert_eq(read(res[0], &ok, 1), 1, "the drawing process ended without a result");
    close(res[0]);
    cr_assert_eq(ok, 'y', "the drawing process failed");
    assert_rendered("loss");
}
