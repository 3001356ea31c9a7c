/* groups.c: the lines of one figure: the runs of a figure grouped into
 * lines (by configuration, minus the x setting for kind summary), panels,
 * labels and colours, the x categories of kind summary, and the reduction
 * of each line over its seeds to median, min and max. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_internal.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of sorted v[0..n-1], linear between order statistics. */
static double quantile(const double *v, int n, double q)
{
    double h = q * (n - 1);
    int i = (int)floor(h);
    return i + 1 < n ? v[i] + (h - i) * (v[i + 1] - v[i]) : v[n - 1];
}

/* Median of v[0..n-1] (n > 0) and the band around it: min and max, the
 * quartiles, the median +- one standard deviation (kept above the smallest
 * value on a log axis), or the median itself; sorts v. */
static void reduce(double *v, int n, gn_band band, int logy, double *med, double *lo, double *hi)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    *med = quantile(v, n, 0.5);
    *lo = v[0];
    *hi = v[n - 1];
    if (band == GN_BAND_IQR) {
        *lo = quantile(v, n, 0.25);
        *hi = quantile(v, n, 0.75);
    } else if (band == GN_BAND_STD) {
        double mean = 0, ss = 0;
        for (int i = 0; i < n; i++)
            mean += v[i] / n;
        for (int i = 0; i < n; i++)
            ss += (v[i] - mean) * (v[i] - mean);
        double sd = n > 1 ? sqrt(ss / (n - 1)) : 0;
        *lo = logy && *med - sd <= 0 ? v[0] : *med - sd;
        *hi = *med + sd;
    } else if (band == GN_BAND_NONE) {
        *lo = *hi = *med;
    }
}

/* Stable insertion sort with a context pointer (n is small here). */
static void isort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
                  void *ctx)
{
    unsigned char *a = base;
    unsigned char *tmp = malloc(size);
    if (!tmp) return;
    for (size_t i = 1; i < n; i++) {
        memcpy(tmp, a + i * size, size);
        size_t j = i;
        while (j > 0 && cmp(a + (j - 1) * size, tmp, ctx) > 0) {
            memcpy(a + j * size, a + (j - 1) * size, size);
            j--;
        }
        memcpy(a + j * size, tmp, size);
    }
    free(tmp);
}

void plot_fig_free(fig_ctx *fc)
{
    for (int i = 0; i < fc->n_g; i++) {
        free(fc->g[i].rows);
        free(fc->g[i].label);
        free(fc->g[i].pts);
        free(fc->g[i].ends);
        free(fc->g[i].nr);
        free(fc->g[i].chosen);
    }
    free(fc->g);
    free(fc->key);
    free(fc->xkey);
    free(fc->panel_rep);
    free(fc->cat_rep);
    for (int i = 0; i < fc->n_cat; i++)
        free(fc->cat_label[i]);
    free(fc->cat_label);
    free(fc->labels);
    sb_free(&fc->notes);
}

/* Resolves the figure's columns and the grouping columns. */
static int fig_columns(fig_ctx *fc, char *msg, size_t len)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    int nc = pc->runs.n_cols;
    fc->c_series = fc->c_panel = fc->c_x = fc->c_y = -1;
    if (f->series && *f->series && plot_need_col(pc, f->series, &fc->c_series, msg, len)) return -1;
    if (f->panels && *f->panels && plot_need_col(pc, f->panels, &fc->c_panel, msg, len)) return -1;
    fc->key = malloc(sizeof(int) * (size_t)(nc + 2));
    fc->xkey = malloc(sizeof(int) * (size_t)(nc + 2));
    if (!fc->key || !fc->xkey) {
        snprintf(msg, len, "out of memory");
        return -1;
    }
    if (fc->summary) {
        if (plot_need_col(pc, f->x, &fc->c_x, msg, len) ||
            plot_need_col(pc, f->y, &fc->c_y, msg, len))
            return -1;
        /* An x category: the x setting; for x = optimizer also the
         * optimizer's hyperparameters (opt.*), which mean nothing apart
         * from it. */
        fc->xkey[fc->n_xkey++] = fc->c_x;
        if (fc->c_x == pc->c_optimizer)
            for (int i = 0; i < pc->n_set; i++) {
                int c = pc->set_cols[i];
                if (!strncmp(pc->runs.header[c], "opt.", 4) && c != fc->c_x)
                    fc->xkey[fc->n_xkey++] = c;
            }
        if (fc->c_series >= 0 && has_col(fc->xkey, fc->n_xkey, fc->c_series))
            fc->c_series = -1; /* the series varies along x: label by settings */
    }
    if (fc->tuning) {
        /* A series per optimizers: entry (group_rows), split by panels. */
        fc->key[fc->n_key++] = pc->c_optimizer;
        if (fc->c_panel >= 0) fc->key[fc->n_key++] = fc->c_panel;
        return 0;
    }
    for (int i = 0; i < pc->n_set; i++) {
        int c = pc->set_cols[i];
        if (!has_col(fc->xkey, fc->n_xkey, c)) fc->key[fc->n_key++] = c;
    }
    if (fc->c_series >= 0 && !has_col(fc->key, fc->n_key, fc->c_series))
        fc->key[fc->n_key++] = fc->c_series;
    if (fc->c_panel >= 0 && !has_col(fc->key, fc->n_key, fc->c_panel))
        fc->key[fc->n_key++] = fc->c_panel;
    return 0;
}

static int group_cmp(const void *a, const void *b, void *ctx)
{
    const fig_ctx *fc = ctx;
    const group *x = a, *y = b;
    if (x->panel != y->panel) return x->panel - y->panel;
    if (fc->c_series >= 0) {
        int c =
            plot_value_cmp(cell(fc->pc, x->rep, fc->c_series), cell(fc->pc, y->rep, fc->c_series));
        if (c) return c;
    }
    return plot_rows_cmp(fc->pc, x->rep, y->rep, fc->key, fc->n_key);
}

static int rep_cmp_panel(const void *a, const void *b, void *ctx)
{
    const fig_ctx *fc = ctx;
    return plot_value_cmp(cell(fc->pc, *(const int *)a, fc->c_panel),
                          cell(fc->pc, *(const int *)b, fc->c_panel));
}

static int rep_cmp_cat(const void *a, const void *b, void *ctx)
{
    const fig_ctx *fc = ctx;
    return plot_rows_cmp(fc->pc, *(const int *)a, *(const int *)b, fc->xkey, fc->n_xkey);
}

int plot_row_selected(const fig_ctx *fc, int r)
{
    const plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    if (fc->phase && (pc->c_phase < 0 || strcmp(cell(pc, r, pc->c_phase), fc->phase) != 0))
        return 0;
    for (int i = 0; i < f->where.n; i++) {
        int col = gn_table_col(&pc->runs, f->where.v[i].key);
        const char *have = col >= 0 ? cell(pc, r, col) : "";
        const char *v = f->where.v[i].value;
        size_t n = strlen(have);
        int hit = 0;
        while (!hit) {
            const char *nl = strchr(v, '\n');
            size_t len = nl ? (size_t)(nl - v) : strlen(v);
            hit = len == n && strncmp(v, have, n) == 0;
            if (!nl) break;
            v = nl + 1;
        }
        if (!hit) return 0;
    }
    return 1;
}

/* Kind tuning: whether row r's optimizers: entry tunes the figure's x (its
 * optimizer has the setting, when the entry is not known). */
static int tunes_x(const fig_ctx *fc, int r)
{
    const plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    int e = pc->row_entry ? pc->row_entry[r] : -1;
    if (e < 0 || e >= f->n_tuned) return *cell(pc, r, fc->c_x) != '\0';
    size_t n = strlen(f->x);
    for (const char *t = f->tuned[e]; t && *t;) {
        size_t m = strcspn(t, "\n");
        if (m == n && strncmp(t, f->x, n) == 0) return 1;
        t += m + (t[m] == '\n');
    }
    return 0;
}

/* Buckets the live runs that pass the `where` filter into groups: runs with
 * equal grouping columns share one, groups in the order of their first run.
 * -1 when out of memory. */
static int group_rows(fig_ctx *fc)
{
    plot_ctx *pc = fc->pc;
    for (int i = 0; i < pc->n_live; i++) {
        int r = pc->live[i];
        if (!plot_row_selected(fc, r)) continue;
        fc->n_phase++;
        if (fc->tuning && !tunes_x(fc, r)) continue;
        group *g = NULL;
        for (int k = 0; k < fc->n_g && !g; k++)
            if (plot_rows_equal(pc, fc->g[k].rep, r, fc->key, fc->n_key) &&
                (!fc->tuning || !pc->row_entry || pc->row_entry[fc->g[k].rep] == pc->row_entry[r]))
                g = &fc->g[k];
        if (!g) {
            g = &fc->g[fc->n_g++];
            g->rep = r;
            g->block = -1;
            g->rows = malloc(sizeof(int) * (size_t)pc->n_live);
            if (!g->rows) return -1;
        }
        g->rows[g->n_rows++] = r;
    }
    return 0;
}

/* Panels: a representative row per distinct panel value (one panel, rep -1,
 * when nothing is drawn), sorted by value; sets each group's panel. */
static void group_panels(fig_ctx *fc)
{
    plot_ctx *pc = fc->pc;
    for (int k = 0; k < fc->n_g; k++) {
        int p = 0;
        if (fc->c_panel >= 0) {
            for (p = 0; p < fc->n_panels; p++)
                if (!strcmp(cell(pc, fc->panel_rep[p], fc->c_panel),
                            cell(pc, fc->g[k].rep, fc->c_panel)))
                    break;
        } else if (fc->n_panels > 0) {
            p = 0;
        }
        if (p == fc->n_panels) fc->panel_rep[fc->n_panels++] = fc->g[k].rep;
    }
    if (fc->n_panels == 0) fc->panel_rep[fc->n_panels++] = -1;
    if (fc->c_panel >= 0)
        isort(fc->panel_rep, (size_t)fc->n_panels, sizeof(int), rep_cmp_panel, fc);
    for (int k = 0; k < fc->n_g; k++) {
        fc->g[k].panel = 0;
        if (fc->c_panel >= 0)
            for (int p = 0; p < fc->n_panels; p++)
                if (!strcmp(cell(pc, fc->panel_rep[p], fc->c_panel),
                            cell(pc, fc->g[k].rep, fc->c_panel)))
                    fc->g[k].panel = p;
    }
}

/* Groups the live runs, finds panels, sorts, and labels the groups. */
static int fig_group(fig_ctx *fc, char *msg, size_t len)
{
    plot_ctx *pc = fc->pc;
    fc->g = calloc((size_t)pc->n_live + 1, sizeof *fc->g);
    fc->panel_rep = malloc(sizeof(int) * ((size_t)pc->n_live + 1));
    if (!fc->g || !fc->panel_rep || group_rows(fc) != 0) goto oom;
    group_panels(fc);
    isort(fc->g, (size_t)fc->n_g, sizeof *fc->g, group_cmp, fc);
    if (plot_fig_label(fc) != 0) goto oom;
    return 0;
oom:
    snprintf(msg, len, "out of memory");
    return -1;
}

/* The last point of trace t with a finite x and y, in *p; 0 when none. */
static int last_point(const fig_ctx *fc, const gn_table *t, int cx, int cy, point *p)
{
    for (int r = t->n_rows - 1; r >= 0; r--) {
        double x, y;
        if (plot_num_finite(gn_table_cell(t, r, cx), &x) &&
            plot_num_finite(gn_table_cell(t, r, cy), &y) && (!fc->fig->logx || x > 0) &&
            (!fc->fig->logy || y > 0)) {
            memset(p, 0, sizeof *p);
            p->x = x;
            p->med = p->lo = p->hi = y;
            p->n = 1;
            p->row = r;
            return 1;
        }
    }
    return 0;
}

/* Row r of the seeds t[0..nt-1] that still run there reduced into p: the
 * median of x and of y over the finite values, the band of y. 0 when no
 * seed has a finite x and y at r. */
static int trace_row(const fig_ctx *fc, gn_table *t, const int *cx, const int *cy, int nt, int r,
                     double *xs, double *ys, point *p)
{
    const gn_figure *f = fc->fig;
    int nx = 0, ny = 0;
    for (int i = 0; i < nt; i++) {
        double v;
        if (r >= t[i].n_rows) continue; /* this seed ended before row r */
        if (plot_num_finite(gn_table_cell(&t[i], r, cx[i]), &v) && (!f->logx || v > 0))
            xs[nx++] = v;
        if (plot_num_finite(gn_table_cell(&t[i], r, cy[i]), &v) && (!f->logy || v > 0))
            ys[ny++] = v;
    }
    if (nx == 0 || ny == 0) return 0;
    double lo, hi;
    reduce(xs, nx, GN_BAND_NONE, f->logx, &p->x, &lo, &hi);
    reduce(ys, ny, f->band, f->logy, &p->med, &p->lo, &p->hi);
    p->n = ny;
    p->row = r;
    return 1;
}

/* kind trace: seeds aligned by row, every row of every seed: a row reduces
 * the seeds still running there, and a seed shorter than the longest (it
 * diverged or hit its time limit) leaves its last point in g->ends. */
static int fig_trace_points(fig_ctx *fc, group *g, char *msg, size_t len)
{
    int n = g->n_rows;
    gn_table *t = calloc((size_t)n, sizeof *t);
    int *cx = malloc(sizeof(int) * (size_t)n), *cy = malloc(sizeof(int) * (size_t)n);
    double *xs = malloc(sizeof(double) * (size_t)n), *ys = malloc(sizeof(double) * (size_t)n);
    int rc = 0, nt = 0;
    if (!t || !cx || !cy || !xs || !ys) goto oom;
    for (int i = 0; i < n; i++) {
        int k = plot_trace_load(fc, g->rows[i], &t[nt], &cx[nt], &cy[nt], msg, len);
        if (k < 0) {
            rc = -1;
            goto done;
        }
        nt += k;
    }
    g->n_seeds = nt;
    if (nt == 0) goto done;
    int rows = 0;
    for (int i = 0; i < nt; i++)
        if (t[i].n_rows > rows) rows = t[i].n_rows;
    g->pts = malloc(sizeof(point) * ((size_t)rows + 1));
    g->ends = malloc(sizeof(point) * ((size_t)nt + 1));
    if (!g->pts || !g->ends) goto oom;
    for (int i = 0; i < nt; i++) {
        if (t[i].n_rows == rows)
            g->n_full++;
        else if (last_point(fc, &t[i], cx[i], cy[i], &g->ends[g->n_ends]))
            g->n_ends++;
    }
    int gap = 0;
    for (int r = 0; r < rows; r++) {
        point *p = &g->pts[g->n_pts];
        if (!trace_row(fc, t, cx, cy, nt, r, xs, ys, p)) {
            gap = g->n_pts > 0;
            continue;
        }
        p->gap_before = gap;
        gap = 0;
        g->n_pts++;
    }
    goto done;
oom:
    snprintf(msg, len, "out of memory");
    rc = -1;
done:
    for (int i = 0; i < nt; i++)
        gn_table_free(&t[i]);
    free(t);
    free(cx);
    free(cy);
    free(xs);
    free(ys);
    return rc;
}

/* kind summary: the x categories (distinct x settings) over all live runs,
 * sorted, with labels. */
static int fig_categories(fig_ctx *fc, char *msg, size_t len)
{
    plot_ctx *pc = fc->pc;
    fc->cat_rep = malloc(sizeof(int) * ((size_t)pc->n_live + 1));
    fc->cat_label = calloc((size_t)pc->n_live + 1, sizeof(char *));
    if (!fc->cat_rep || !fc->cat_label) goto oom;
    for (int i = 0; i < pc->n_live; i++) {
        int r = pc->live[i], k;
        if (fc->tuning && (!plot_row_selected(fc, r) || !tunes_x(fc, r))) continue;
        for (k = 0; k < fc->n_cat; k++)
            if (plot_rows_equal(pc, fc->cat_rep[k], r, fc->xkey, fc->n_xkey)) break;
        if (k == fc->n_cat) fc->cat_rep[fc->n_cat++] = r;
    }
    isort(fc->cat_rep, (size_t)fc->n_cat, sizeof(int), rep_cmp_cat, fc);
    fc->x_numeric = fc->c_x != pc->c_optimizer;
    for (int k = 0; k < fc->n_cat; k++) {
        double v;
        if (!plot_num_finite(cell(pc, fc->cat_rep[k], fc->c_x), &v)) fc->x_numeric = 0;
    }
    for (int k = 0; k < fc->n_cat; k++) {
        int r = fc->cat_rep[k];
        sbuf b = {0};
        const char *xv = cell(pc, r, fc->c_x);
        sb_printf(&b, "%s", *xv ? xv : "-");
        for (int i = 1; i < fc->n_xkey; i++) {
            int c = fc->xkey[i];
            for (int j = 0; j < fc->n_cat; j++) {
                int q = fc->cat_rep[j];
                if (!strcmp(cell(pc, q, fc->c_x), xv) && strcmp(cell(pc, q, c), cell(pc, r, c))) {
                    sb_putc(&b, ' ');
                    sb_setting(&b, pc, r, c, 0);
                    break;
                }
            }
        }
        if (b.oom) {
            sb_free(&b);
            goto oom;
        }
        fc->cat_label[k] = b.s;
    }
    return 0;
oom:
    snprintf(msg, len, "out of memory");
    return -1;
}

/* kind summary: per x category, median, min and max over the group's runs
 * of the finite y values. */
static int fig_summary_points(fig_ctx *fc, group *g, char *msg, size_t len)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    double *ys = malloc(sizeof(double) * ((size_t)g->n_rows + 1));
    g->pts = malloc(sizeof(point) * ((size_t)fc->n_cat + 1));
    g->nr = malloc(sizeof(point) * ((size_t)fc->n_cat + 1));
    if (!ys || !g->pts || !g->nr) {
        free(ys);
        snprintf(msg, len, "out of memory");
        return -1;
    }
    for (int k = 0; k < fc->n_cat; k++) {
        int ny = 0, nrun = 0, n_nr = 0;
        for (int i = 0; i < g->n_rows; i++) {
            int r = g->rows[i];
            if (!plot_rows_equal(pc, r, fc->cat_rep[k], fc->xkey, fc->n_xkey)) continue;
            nrun++;
            double v;
            const char *y = cell(pc, r, fc->c_y);
            if (plot_num_finite(y, &v) && (!f->logy || v > 0))
                ys[ny++] = v;
            else if (fc->to_target && !*y)
                n_nr++; /* an empty *_to_target cell: not reached */
        }
        if (nrun == 0) continue;
        double x = k;
        if (fc->x_numeric) plot_num_finite(cell(pc, fc->cat_rep[k], fc->c_x), &x);
        if (fc->x_numeric && f->logx && x <= 0) continue;
        if (n_nr > 0) {
            point *q = &g->nr[g->n_nr++];
            memset(q, 0, sizeof *q);
            q->x = x;
            q->n = n_nr;
            q->row = k;
        }
        if (ny == 0) continue;
        point *p = &g->pts[g->n_pts++];
        p->x = x;
        reduce(ys, ny, f->band, f->logy, &p->med, &p->lo, &p->hi);
        p->n = ny;
        p->row = k;
        p->gap_before = 0;
    }
    free(ys);
    return 0;
}

/* See plot_internal.h. */
int plot_fig_build(fig_ctx *fc, int *n_pts, char *msg, size_t len)
{
    *n_pts = 0;
    if (fig_columns(fc, msg, len) || fig_group(fc, msg, len)) return -1;
    if (fc->summary && fig_categories(fc, msg, len)) return -1;
    fc->to_target = fc->summary && strstr(fc->fig->y, "_to_target") != NULL;
    for (int k = 0; k < fc->n_g; k++) {
        int e = fc->tuning    ? plot_tuning_points(fc, &fc->g[k], msg, len)
                : fc->summary ? fig_summary_points(fc, &fc->g[k], msg, len)
                              : fig_trace_points(fc, &fc->g[k], msg, len);
        if (e) return -1;
        *n_pts += fc->g[k].n_pts + fc->g[k].n_nr;
    }
    if (fc->best) plot_best_target(fc);
    return 0;
}
