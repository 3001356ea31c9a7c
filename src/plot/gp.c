/* gp.c: <figure>.gp, the gnuplot script of one figure: terminal, title
 * and axes, one panel per value of `panels` with its key placed where it
 * hides no data, and the plot commands that read <figure>.dat. */
#include <math.h>
#include <string.h>

#include "plot/plot_internal.h"
#include "results/schema.h"

/* Axis labels, with units, come from the schema (schema.h). */
static const char *axis_label(const char *key)
{
    return gn_schema_label(key);
}

static const char *const palette[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};
#define N_PALETTE ((int)(sizeof palette / sizeof palette[0]))

static void gp_title(fig_ctx *fc, sbuf *b)
{
    const gn_experiment *ex = fc->pc->ex;
    const gn_figure *f = fc->fig;
    sbuf t = {0}, m = {0};
    if (f->title && *f->title)
        sb_printf(&t, "%s", f->title);
    else
        sb_printf(&t, "%s: %s vs %s", ex->name ? ex->name : "gnbench", f->y, f->x);
    sb_enhanced(&m, sb_str(&t));
    if (ex->description && *ex->description) {
        /* Second line, smaller (enhanced-text markup). */
        sb_printf(&m, "\n{/*0.75 ");
        sb_enhanced(&m, ex->description);
        sb_putc(&m, '}');
    }
    b->oom |= t.oom | m.oom;
    sb_gpmarkup(b, sb_str(&m));
    sb_free(&t);
    sb_free(&m);
}

/* What a panel shows, in axis units (log10 on log axes). */
typedef struct extent {
    double x0, x1, y0, y1;
    int n;
} extent;

static double axis_t(double v, int lg)
{
    return lg ? log10(v) : v;
}

static int x_is_log(const fig_ctx *fc)
{
    return fc->fig->logx && (!fc->summary || fc->x_numeric);
}

static extent panel_extent(const fig_ctx *fc, int p)
{
    extent e = {INFINITY, -INFINITY, INFINITY, -INFINITY, 0};
    int lx = x_is_log(fc), ly = fc->fig->logy;
    for (int k = 0; k < fc->n_g; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || g->block < 0) continue;
        for (int i = 0; i < g->n_pts; i++) {
            double x = axis_t(g->pts[i].x, lx);
            double lo = axis_t(g->pts[i].lo, ly), hi = axis_t(g->pts[i].hi, ly);
            e.x0 = fmin(e.x0, x);
            e.x1 = fmax(e.x1, x);
            e.y0 = fmin(e.y0, lo);
            e.y1 = fmax(e.y1, hi);
            e.n++;
        }
    }
    if (fc->summary && !fc->x_numeric) {
        e.x0 = -0.5;
        e.x1 = fc->n_cat - 0.5;
    }
    return e;
}

/* Data inside the box [bx0,bx1]x[by0,by1] of the unit square: points,
 * the vertical min-max extent at each point and the segments between
 * points (sampled). */
static int box_hits(const fig_ctx *fc, int p, const extent *e, double bx0, double bx1, double by0,
                    double by1)
{
    int lx = x_is_log(fc), ly = fc->fig->logy, hits = 0;
    double sx = e->x1 > e->x0 ? e->x1 - e->x0 : 1, sy = e->y1 > e->y0 ? e->y1 - e->y0 : 1;
    for (int k = 0; k < fc->n_g; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || g->block < 0) continue;
        double px = 0, py = 0;
        for (int i = 0; i < g->n_pts; i++) {
            const point *q = &g->pts[i];
            double x = (axis_t(q->x, lx) - e->x0) / sx;
            double y = (axis_t(q->med, ly) - e->y0) / sy;
            double lo = (axis_t(q->lo, ly) - e->y0) / sy, hi = (axis_t(q->hi, ly) - e->y0) / sy;
            if (x >= bx0 && x <= bx1 && hi >= by0 && lo <= by1) hits++;
            if (i > 0 && !q->gap_before)
                for (int t = 1; t < 8; t++) {
                    double ix = px + (x - px) * t / 8.0, iy = py + (y - py) * t / 8.0;
                    if (ix >= bx0 && ix <= bx1 && iy >= by0 && iy <= by1) hits++;
                }
            px = x;
            py = y;
        }
    }
    return hits;
}

/* Key position: the first empty corner of the plot area that fits the key,
 * else below the plot (several panels or a wide key) or outside on the right. */
static void gp_key(const fig_ctx *fc, sbuf *b, int p, const extent *e, int n_lines, size_t longest,
                   int area_w, int area_h)
{
    double kw = (longest * 7.0 + 70.0) / area_w, kh = (n_lines * 17.0 + 14.0) / area_h;
    static const char *const where[] = {"top right", "top left", "bottom left", "bottom right"};
    if (kw < 0.55 && kh < 0.6)
        for (int c = 0; c < 4; c++) {
            int right = c == 0 || c == 3, top = c < 2;
            double bx0 = right ? 1 - kw : 0, by0 = top ? 1 - kh : 0;
            if (box_hits(fc, p, e, bx0, bx0 + kw, by0, by0 + kh) == 0) {
                sb_printf(b, "set key inside %s\n", where[c]);
                return;
            }
        }
    /* Beside the plot the key would squeeze a panel of a multi-panel figure
     * or a wide key: put those under the plot instead. */
    if (fc->n_panels > 1 || kw > 0.3)
        sb_printf(b, "set key below left Left reverse maxcols 1\n");
    else
        sb_printf(b, "set key outside right top\n");
}

/* Axis set-up repeated at the start of every panel, so that a placeholder
 * panel cannot leak its ranges into the next one. Log axes spanning three
 * decades or more label their tics as powers of ten. */
static void gp_axes(fig_ctx *fc, sbuf *b, const extent *e)
{
    const gn_figure *f = fc->fig;
    int x_log = x_is_log(fc);
    sb_printf(b, "unset label 99\nunset logscale\nset autoscale xy\n");
    /* Narrow log axes have one or two labelled tics: add minor grid lines. */
    int mx = x_log && e->x1 - e->x0 < 2, my = f->logy && e->y1 - e->y0 < 2;
    sb_printf(b, "set grid %smxtics %smytics\n", mx ? "" : "no", my ? "" : "no");
    sb_printf(b, "set format x \"%s\"\n",
              x_log && e->x1 - e->x0 >= 3 ? "10^{%L}"
              : x_log                     ? "%g"
                                          : "% h");
    sb_printf(b, "set format y \"%s\"\n",
              f->logy && e->y1 - e->y0 >= 3 ? "10^{%L}"
              : f->logy                     ? "%g"
                                            : "% h");
    if (fc->summary && !fc->x_numeric)
        sb_printf(b, "set xrange [-0.5:%d.5]\n", fc->n_cat > 0 ? fc->n_cat - 1 : 0);
    else if (fc->summary && (!x_log || fc->n_cat <= 12) && e->x1 > e->x0)
        sb_printf(b, "set autoscale xfix\n"); /* padded by the offsets */
    if (fc->summary && !f->logy && e->y1 > e->y0) sb_printf(b, "set autoscale yfix\n");
    /* A single value would give gnuplot an empty range: widen it. */
    if (e->n > 0 && e->x1 == e->x0 && !(fc->summary && !fc->x_numeric)) {
        double v = e->x0, d = x_log ? 0.5 : (v != 0 ? 0.1 * fabs(v) : 1);
        if (x_log)
            sb_printf(b, "set xrange [%.10g:%.10g]\n", pow(10, v - d), pow(10, v + d));
        else
            sb_printf(b, "set xrange [%.10g:%.10g]\n", v - d, v + d);
    }
    if (e->n > 0 && e->y1 == e->y0) {
        double v = e->y0, d = f->logy ? 0.5 : (v != 0 ? 0.1 * fabs(v) : 1);
        if (f->logy)
            sb_printf(b, "set yrange [%.10g:%.10g]\n", pow(10, v - d), pow(10, v + d));
        else
            sb_printf(b, "set yrange [%.10g:%.10g]\n", v - d, v + d);
    }
    if (x_log) sb_printf(b, "set logscale x\n");
    if (f->logy) sb_printf(b, "set logscale y\n");
}

/* Draws panel p (or the whole figure when there are no panels). */
static void gp_panel(fig_ctx *fc, sbuf *b, int p, int multi, const char *why, int area_w,
                     int area_h)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    int n_lines = 0, n_pts = 0;
    size_t longest = 0;
    for (int k = 0; k < fc->n_g; k++)
        if (fc->g[k].panel == p && fc->g[k].block >= 0) {
            n_lines++;
            n_pts += fc->g[k].n_pts;
            if (strlen(fc->g[k].label) > longest) longest = strlen(fc->g[k].label);
        }
    sb_printf(b, "\n");
    if (multi) {
        sb_printf(b, "# panel %d\nset title ", p);
        sbuf t = {0};
        if (fc->c_panel >= 0) {
            sb_printf(&t, "%s = ", f->panels);
            const char *v = cell(pc, fc->panel_rep[p], fc->c_panel);
            sb_printf(&t, "%s", *v ? v : "-");
        }
        sb_gplabel(b, sb_str(&t));
        sb_free(&t);
        sb_printf(b, "\n");
    }
    if (n_lines == 0) {
        /* Placeholder: nothing to draw in this panel. */
        sb_printf(b, "unset logscale\nset xrange [0:1]\nset yrange [0:1]\n"
                     "set format x \"\"\nset format y \"\"\nunset key\n"
                     "set label 99 ");
        sb_gplabel(b, why ? why : "no data");
        sb_printf(b, " at graph 0.5, graph 0.5 center\nplot 2 notitle\n");
        return;
    }
    extent e = panel_extent(fc, p);
    gp_axes(fc, b, &e);
    gp_key(fc, b, p, &e, n_lines, longest, area_w, area_h);

    int style_pts = fc->summary || n_pts / n_lines <= 30;
    sb_printf(b, "plot \\\n");
    int first = 1;
    /* Bands first so that lines are drawn over them. */
    for (int k = 0; k < fc->n_g && !fc->summary; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || g->block < 0 || g->n_seeds < 2 || g->n_pts < 2) continue;
        sb_printf(b,
                  "%s  datafile index %d using 2:4:5 with filledcurves"
                  " fc rgb \"%s\" fs transparent solid 0.20 noborder notitle",
                  first ? "" : ", \\\n", g->block, palette[g->color % N_PALETTE]);
        first = 0;
    }
    /* Categorical x: lines side by side around each category. */
    double dodge = 0;
    if (fc->summary && !fc->x_numeric && n_lines > 1) dodge = fmin(0.5 / n_lines, 0.1);
    int j = 0;
    for (int k = 0; k < fc->n_g; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || g->block < 0) continue;
        sb_printf(b, "%s  datafile index %d ", first ? "" : ", \\\n", g->block);
        if (fc->summary && dodge > 0)
            sb_printf(b, "using ($1%+.3f):2:3:4 with yerrorlines lw 2 pt 7 ps 0.8",
                      (j - 0.5 * (n_lines - 1)) * dodge);
        else if (fc->summary)
            sb_printf(b, "using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.8");
        else
            sb_printf(b, "using 2:3 with %s lw 2", style_pts ? "linespoints pt 7 ps 0.6" : "lines");
        sb_printf(b, " lc rgb \"%s\" dt %d title ", palette[g->color % N_PALETTE],
                  1 + g->color / N_PALETTE);
        sb_gplabel(b, g->label);
        first = 0;
        j++;
    }
    sb_printf(b, "\n");
}

/* <figure>.<ext>, the name of a file beside the script, as a gnuplot string. */
static void gp_file_name(const fig_ctx *fc, sbuf *b, const char *ext)
{
    sbuf t = {0};
    sb_printf(&t, "%s.%s", fc->fig->name, ext);
    b->oom |= t.oom;
    sb_gpstring(b, sb_str(&t));
    sb_free(&t);
}

void plot_gp_write(fig_ctx *fc, sbuf *b, const char *why)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    int multi = fc->c_panel >= 0 && !why;
    int cols = 1, rows = 1;
    if (multi) {
        while (cols * cols < fc->n_panels)
            cols++;
        rows = (fc->n_panels + cols - 1) / cols;
    }
    int w = cols * 600 > 1000 ? cols * 600 : 1000;
    int h = rows * 450 + 60 > 700 ? rows * 450 + 60 : 700;

    sb_printf(b, "# %s.gp: figure \"", f->name);
    sb_comment_text(b, f->name);
    sb_printf(b, "\" of experiment \"");
    sb_comment_text(b, pc->ex->name ? pc->ex->name : "?");
    sb_printf(b,
              "\", written by gnbench.\n"
              "# Run in this folder: gnuplot %s.gp  (reads %s.dat, writes %s.%s)\n",
              f->name, f->name, f->name, pc->format);
    if (fc->summary)
        sb_printf(b, "# Points: median over seeds, error bars: min and max.\n");
    else
        sb_printf(b, "# Lines: median over seeds; shaded band: min to max over seeds.\n");
    sb_printf(b, "datafile = ");
    gp_file_name(fc, b, "dat");
    sb_printf(b, "\n");
    if (!strcmp(pc->format, "svg"))
        sb_printf(b,
                  "set terminal svg size %d,%d dynamic enhanced font \"sans,12\""
                  " background rgb \"white\"\n",
                  w, h);
    else if (!strcmp(pc->format, "pdf"))
        sb_printf(b, "set terminal pdfcairo size %.2fin,%.2fin enhanced font \"sans,9\"\n",
                  w / 150.0, h / 150.0);
    else
        sb_printf(b, "set terminal pngcairo size %d,%d enhanced font \"sans,11\"\n", w, h);
    sb_printf(b, "set output ");
    gp_file_name(fc, b, pc->format);
    sb_printf(b, "\nset encoding utf8\n"
                 "# Strings are single-quoted (no backquote or macro substitution), labels\n"
                 "# escaped for enhanced text mode ('\\_' prints _).\n"
                 "set grid back lt 1 lw 1 lc rgb \"#e2e2e2\", lt 1 lw 1 lc rgb \"#f0f0f0\"\n"
                 "set key samplen 2.5 spacing 1.1\n");
    sb_printf(b, "set xlabel ");
    sb_gplabel(b, fc->summary && fc->c_x == pc->c_optimizer ? "optimizer" : axis_label(f->x));
    sb_printf(b, "\nset ylabel ");
    sb_gplabel(b, axis_label(f->y));
    sb_printf(b, "\n");
    if (fc->summary) {
        sb_printf(b, "set offsets graph 0.04, graph 0.04, %s\n",
                  f->logy ? "0, 0" : "graph 0.06, graph 0.06");
        if (fc->n_cat > 0 && (!fc->x_numeric || fc->n_cat <= 12)) {
            size_t lmax = 0;
            sb_printf(b, "set xtics (");
            for (int k = 0; k < fc->n_cat; k++) {
                sb_printf(b, "%s", k ? ", " : "");
                sb_gplabel(b, fc->cat_label[k]);
                if (fc->x_numeric) {
                    double v = 0;
                    plot_num_finite(cell(pc, fc->cat_rep[k], fc->c_x), &v);
                    sb_printf(b, " %.10g", v);
                } else {
                    sb_printf(b, " %d", k);
                }
                if (strlen(fc->cat_label[k]) > lmax) lmax = strlen(fc->cat_label[k]);
            }
            sb_printf(b, ")\n");
            if (!fc->x_numeric && lmax * (size_t)fc->n_cat > 60)
                sb_printf(b, "set xtics rotate by -25\n");
        }
        if (!fc->x_numeric)
            sb_printf(b, "set offsets 0, 0, %s\n", f->logy ? "0, 0" : "graph 0.06, graph 0.06");
    }
    if (multi) {
        sb_printf(b, "set multiplot layout %d,%d title ", rows, cols);
        gp_title(fc, b);
        sb_printf(b, " font \",14\"\n");
    } else {
        sb_printf(b, "set title ");
        gp_title(fc, b);
        sb_printf(b, " font \",13\"\n");
    }
    /* Plot area of one panel in pixels, for the key placement. */
    int area_w = w / cols - 120, area_h = (h - (multi ? 70 : 0)) / rows - 110;
    if (why) {
        gp_panel(fc, b, -1, 0, why, area_w, area_h);
    } else {
        for (int p = 0; p < (multi ? fc->n_panels : 1); p++)
            gp_panel(fc, b, p, multi, NULL, area_w, area_h);
    }
    if (multi) sb_printf(b, "unset multiplot\n");
    sb_printf(b, "set output\n");
}
