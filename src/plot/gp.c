/* gp.c: <figure>.gp, the gnuplot script of one figure: terminal, title
 * and axes, one panel per value of `panels` with its key placed where it
 * hides no data and fits the image (gp_key.c), and the plot commands that
 * read <figure>.dat: lines with their band, the last points of seeds that
 * ended early, and runs that never reached the target at the top of the
 * axis. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_internal.h"
#include "results/schema.h"

/* A band edge's column of the .dat (col) for `using`, held inside the
 * figure's given y range: gnuplot clips a filled band whose edge leaves the
 * plot into a wrong polygon (a band reaching below the axis where no seed
 * went), so edges beyond a given end are drawn at that end. */
static void band_column(const gn_figure *f, int col, char *out, size_t len)
{
    int lo = (f->range_set & 4) != 0, hi = (f->range_set & 8) != 0;
    if (lo && hi)
        snprintf(out, len, "($%d < %.10g ? %.10g : $%d > %.10g ? %.10g : $%d)", col, f->yrange[0],
                 f->yrange[0], col, f->yrange[1], f->yrange[1], col);
    else if (lo)
        snprintf(out, len, "($%d < %.10g ? %.10g : $%d)", col, f->yrange[0], f->yrange[0], col);
    else if (hi)
        snprintf(out, len, "($%d > %.10g ? %.10g : $%d)", col, f->yrange[1], f->yrange[1], col);
    else
        snprintf(out, len, "%d", col);
}

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

/* " lc rgb 'COLOUR' dt N" (fill: " fc rgb 'COLOUR'") of group g. */
static void gp_color(sbuf *b, const group *g, int fill)
{
    const gn_series_style *st = g->style;
    sb_printf(b, fill ? " fc rgb " : " lc rgb ");
    sb_gpstring(b, st && st->color ? st->color : palette[g->color % N_PALETTE]);
    if (!fill) sb_printf(b, " dt %d", st && st->dash ? st->dash : 1 + (g->color / N_PALETTE) % 5);
}

/* A legend entry: label, cut to max_chars (at a character boundary), and
 * for a trace whose seeds did not all run to the end, how many did. */
static void gp_key_title(const fig_ctx *fc, sbuf *b, const group *g, int max_chars)
{
    sbuf t = {0};
    size_t n = strlen(g->label);
    if (max_chars > 8 && n > (size_t)max_chars) {
        size_t cut = (size_t)max_chars - 3;
        while (cut > 0 && ((unsigned char)g->label[cut] & 0xc0) == 0x80)
            cut--;
        sb_printf(&t, "%.*s...", (int)cut, g->label);
    } else {
        sb_printf(&t, "%s", g->label);
    }
    if (!fc->summary && g->n_full < g->n_seeds)
        sb_printf(&t, " (%d of %d seeds to the end)", g->n_full, g->n_seeds);
    b->oom |= t.oom;
    sb_gplabel(b, sb_str(&t));
    sb_free(&t);
}

static void gp_title(fig_ctx *fc, sbuf *b)
{
    const gn_experiment *ex = fc->pc->ex;
    const gn_figure *f = fc->fig;
    sbuf t = {0}, m = {0};
    if (f->title && *f->title)
        sb_printf(&t, "%s", f->title);
    else
        sb_printf(&t, "%s: %s%s vs %s", ex->name ? ex->name : "gnbench", f->y,
                  fc->best     ? " of the chosen configurations"
                  : fc->tuning ? " of every tuning trial"
                               : "",
                  f->x);
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

/* A log axis spanning less than a decade and a half shows one or two
 * powers of ten: label 1, 2 and 5 times each power within [t0, t1] (log10
 * units, a little widened) as well. */
static void log_tics(sbuf *b, char axis, double t0, double t1)
{
    static const double m[] = {1, 2, 5};
    int first = 1;
    sb_printf(b, "set %ctics add (", axis);
    for (int k = (int)floor(t0 - 0.1); k <= (int)ceil(t1 + 0.1); k++)
        for (int i = 0; i < 3; i++) {
            double v = m[i] * pow(10, k), t = log10(v);
            if (t < t0 - 0.1 || t > t1 + 0.1) continue;
            sb_printf(b, "%s%.6g", first ? "" : ", ", v);
            first = 0;
        }
    if (first) sb_printf(b, "%.6g", pow(10, floor(t0)));
    sb_printf(b, ")\n");
}

/* Axis set-up repeated at the start of every panel, so that a placeholder
 * panel cannot leak its ranges into the next one. Log axes spanning three
 * decades or more label their tics as powers of ten. */
static void gp_axes(fig_ctx *fc, sbuf *b, const extent *e)
{
    const gn_figure *f = fc->fig;
    int x_log = plot_x_is_log(fc);
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
    if (f->logy && e->n > 0 && e->y1 - e->y0 < 1.5) log_tics(b, 'y', e->y0, e->y1);
    if (x_log && e->n > 0 && e->x1 - e->x0 < 1.5 && !fc->summary) log_tics(b, 'x', e->x0, e->x1);
    /* The figure's own ranges last: they win; NaN ends stay automatic. */
    for (int a = 0; a < 2; a++) {
        const double *r = a ? f->yrange : f->xrange;
        int set = (f->range_set >> (2 * a)) & 3;
        if (!set) continue;
        sb_printf(b, "set %crange [", a ? 'y' : 'x');
        sb_printf(b, set & 1 ? "%.10g" : "*", r[0]);
        sb_printf(b, ":");
        sb_printf(b, set & 2 ? "%.10g" : "*", r[1]);
        sb_printf(b, "]\n");
    }
}

/* The height at which a panel draws its "not reached" markers: a tenth of
 * the data's span above its top (or the figure's yrange top). */
static double not_reached_y(const fig_ctx *fc, const extent *e)
{
    const gn_figure *f = fc->fig;
    if (f->range_set & 8) return f->yrange[1];
    double top = e->y1, span = e->y1 - e->y0;
    if (!isfinite(top)) top = 0, span = 1;
    if (span <= 0) span = f->logy ? 1 : (top != 0 ? fabs(top) : 1);
    top += 0.1 * span;
    return f->logy ? pow(10, top) : top;
}

/* Starts the next plot element. */
static void gp_next(sbuf *b, int *first)
{
    sb_printf(b, "%s", *first ? "plot \\\n  " : ", \\\n  ");
    *first = 0;
}

/* The legend entry of a kind of marker (no data of its own). */
static void gp_marker_key(sbuf *b, int *first, int pt, const char *what)
{
    gp_next(b, first);
    sb_printf(b, "keyentry with points pt %d ps 1.8 lw 2 lc rgb ", pt);
    sb_gpstring(b, "#000000");
    sb_printf(b, " title ");
    sb_gplabel(b, what);
}

/* One line of panel p: trace (with lines or points), numeric summary
 * (joined error bars) or categorical summary (points, dodged, never joined),
 * then the markers of its seeds that ended early or runs not reached. */
static void gp_line(const fig_ctx *fc, sbuf *b, const group *g, double dodge, int style_pts,
                    int max_chars, int *first)
{
    int bars = fc->fig->band != GN_BAND_NONE;
    if (g->block >= 0) {
        gp_next(b, first);
        sb_printf(b, "datafile index %d ", g->block);
        if (fc->tuning && fc->x_numeric) /* one point per trial, never joined */
            sb_printf(b, "using 1:2 with points pt 6 ps 1.3 lw 1.5");
        else if (fc->tuning)
            sb_printf(b, "using ($1%+.3f):2 with points pt 6 ps 1.3 lw 1.5", dodge);
        else if (fc->summary && !fc->x_numeric)
            sb_printf(b, "using ($1%+.3f):2:3:4 with %s pt 7 ps 1.2 lw 2", dodge,
                      bars ? "yerrorbars" : "points");
        else if (fc->summary)
            sb_printf(b, "using 1:2:3:4 with %s lw 2 pt 7 ps 0.8",
                      bars ? "yerrorlines" : "linespoints");
        else
            sb_printf(b, "using 2:3 with %s lw 2", style_pts ? "linespoints pt 7 ps 0.6" : "lines");
        gp_color(b, g, 0);
        sb_printf(b, " title ");
        gp_key_title(fc, b, g, max_chars);
    }
    if (g->end_block >= 0) {
        gp_next(b, first);
        sb_printf(b, "datafile index %d ", g->end_block);
        if (fc->summary)
            sb_printf(b, "using ($1%+.3f):(not_reached) with points pt 8 ps 1.8 lw 2", dodge);
        else
            sb_printf(b, "using 2:3 with points pt 2 ps 1.8 lw 2");
        gp_color(b, g, 0);
        if (g->block < 0) { /* no point of its own: the marker is its key entry */
            sb_printf(b, " title ");
            gp_key_title(fc, b, g, max_chars);
        } else {
            sb_printf(b, " notitle");
        }
    }
    if (g->chosen_block < 0) return;
    gp_next(b, first);
    sb_printf(b,
              "datafile index %d using ($1%+.3f):($3 > 0 ? $2 : not_reached) with points "
              "pt 7 ps 2.2",
              g->chosen_block, dodge);
    gp_color(b, g, 0);
    sb_printf(b, " notitle");
}

/* Draws panel p (or the whole figure when there are no panels). */
static void gp_panel(fig_ctx *fc, sbuf *b, int p, int multi, const char *why, int area_w,
                     int area_h, double font_px)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    int n_lines = 0, n_pts = 0, ends, nr;
    for (int k = 0; k < fc->n_g; k++)
        if (fc->g[k].panel == p && fc->g[k].block >= 0) {
            n_lines++;
            n_pts += fc->g[k].n_pts;
        }
    keybox kb = plot_panel_keybox(fc, p, area_w, area_h, font_px, &ends, &nr);
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
    if (kb.n == 0) {
        /* Placeholder: nothing to draw in this panel. */
        sb_printf(b, "unset logscale\nset xrange [0:1]\nset yrange [0:1]\n"
                     "set format x \"\"\nset format y \"\"\nunset key\n"
                     "set label 99 ");
        sb_gplabel(b, why ? why : "no data");
        sb_printf(b, " at graph 0.5, graph 0.5 center\nplot 2 notitle\n");
        return;
    }
    extent e = plot_panel_extent(fc, p);
    gp_axes(fc, b, &e);
    if (e.n == 0 && !(f->range_set & 12))
        sb_printf(b, "set yrange [%s]  # only markers to draw\n", f->logy ? "0.1:10" : "0:2");
    int max_chars = plot_gp_key(fc, b, p, &e, &kb);
    if (nr) {
        /* The markers sit just under the top of the axis. */
        double y = not_reached_y(fc, &e), span = e.n > 0 ? e.y1 - e.y0 : 0;
        double top = f->logy ? y * pow(10, 0.04 * fmax(span, 0.5))
                             : y + 0.04 * (span > 0 ? span : fabs(y) + 1);
        sb_printf(b, "not_reached = %.10g  # height of the not-reached markers\n", y);
        if (!(f->range_set & 8))
            sb_printf(b, "set yrange [%s:%.10g]\n", f->range_set & 4 ? "" : "*", top);
    }
    int style_pts = fc->summary || (n_lines > 0 && n_pts / n_lines <= 30);
    char lo_col[96], hi_col[96];
    band_column(f, 4, lo_col, sizeof lo_col);
    band_column(f, 5, hi_col, sizeof hi_col);
    /* Bands first so that lines are drawn over them. */
    int first = 1;
    for (int k = 0; k < fc->n_g && !fc->summary && f->band != GN_BAND_NONE; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || g->block < 0 || g->n_seeds < 2 || g->n_pts < 2) continue;
        gp_next(b, &first);
        sb_printf(b, "datafile index %d using 2:%s:%s with filledcurves", g->block, lo_col, hi_col);
        gp_color(b, g, 1);
        sb_printf(b, " fs transparent solid 0.20 noborder notitle");
    }
    /* Categorical x: points side by side around each category. */
    int n_cols = 0, j = 0;
    for (int k = 0; k < fc->n_g; k++)
        n_cols += fc->g[k].panel == p && (fc->g[k].block >= 0 || fc->g[k].end_block >= 0);
    double dodge = fc->summary && !fc->x_numeric && n_cols > 1 ? fmin(0.5 / n_cols, 0.1) : 0;
    for (int k = 0; k < fc->n_g; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || (g->block < 0 && g->end_block < 0)) continue;
        gp_line(fc, b, g, (j++ - 0.5 * (n_cols - 1)) * dodge, style_pts, max_chars, &first);
    }
    if (ends) gp_marker_key(b, &first, 2, "last point of a seed that ended early");
    if (nr)
        gp_marker_key(b, &first, 8,
                      plot_top_marks_diverged(fc) ? "diverged (top of the axis)"
                                                  : "did not reach the target (top of the axis)");
    int chosen = 0;
    for (int k = 0; k < fc->n_g; k++)
        chosen |= fc->g[k].panel == p && fc->g[k].chosen_block >= 0;
    if (chosen) gp_marker_key(b, &first, 7, "chosen (each study's best trial)");
    if (fc->best && isfinite(fc->target)) {
        char t[64];
        snprintf(t, sizeof t, "target %g", fc->target);
        gp_next(b, &first);
        sb_printf(b, "%.10g with lines dt 2 lw 1.5 lc rgb ", fc->target);
        sb_gpstring(b, "#404040");
        sb_printf(b, " title ");
        sb_gplabel(b, t);
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

void plot_gp_first_line(const fig_ctx *fc, sbuf *b)
{
    sb_printf(b, "# gnbench figure ");
    sb_comment_text(b, fc->fig->name);
    sb_printf(b, " of experiment ");
    sb_comment_text(b, fc->pc->ex->name ? fc->pc->ex->name : "?");
    sb_printf(b, ": `gnbench plot RESULTS_DIR` rewrites this file; change this line to keep it.\n");
}

/* Font size in points: the figure's `font: "name,size"`, else the terminal's. */
static double font_points(const fig_ctx *fc)
{
    const char *f = fc->fig->font, *comma = f ? strrchr(f, ',') : NULL;
    double pt = comma ? atof(comma + 1) : 0;
    if (pt > 0) return pt;
    return !strcmp(fc->format, "svg") ? 12 : !strcmp(fc->format, "pdf") ? 9 : 11;
}

/* Terminal, output and the settings every panel shares. */
static void gp_head(fig_ctx *fc, sbuf *b, int w, int h, double pt)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    char font[32];
    snprintf(font, sizeof font, "sans,%g", pt);
    plot_gp_first_line(fc, b);
    sb_printf(b, "# %s.gp: figure \"", f->name);
    sb_comment_text(b, f->name);
    sb_printf(b, "\" of experiment \"");
    sb_comment_text(b, pc->ex->name ? pc->ex->name : "?");
    sb_printf(b,
              "\", written by gnbench.\n"
              "# Run in this folder: gnuplot %s.gp  (reads %s.dat, writes %s.%s)\n",
              f->name, f->name, f->name, fc->format);
    static const char *const band[] = {"min to max", "quartiles",
                                       "median -+ one standard deviation", "none"};
    if (fc->tuning)
        sb_printf(b, "# Points: one per tuning trial (phase tune); filled: each study's chosen "
                     "trial.\n");
    else
        sb_printf(b, "# %s: median over %sseeds; %s: %s.\n", fc->summary ? "Points" : "Lines",
                  fc->best ? "the confirmation " : "", fc->summary ? "error bars" : "shaded band",
                  band[f->band]);
    sb_printf(b, "datafile = ");
    gp_file_name(fc, b, "dat");
    sb_printf(b, "\n");
    if (!strcmp(fc->format, "svg"))
        sb_printf(b, "set terminal svg size %d,%d dynamic enhanced", w, h);
    else if (!strcmp(fc->format, "pdf"))
        sb_printf(b, "set terminal pdfcairo size %.2fin,%.2fin enhanced", w / 150.0, h / 150.0);
    else
        sb_printf(b, "set terminal pngcairo size %d,%d enhanced", w, h);
    sb_printf(b, " font ");
    sb_gpstring(b, f->font ? f->font : font);
    if (!strcmp(fc->format, "svg")) sb_printf(b, " background rgb '#ffffff'");
    sb_printf(b, "\nset output ");
    gp_file_name(fc, b, fc->format);
    sb_printf(b, "\nset encoding utf8\n"
                 "# Strings are single-quoted (no backquote or macro substitution), labels\n"
                 "# escaped for enhanced text mode ('\\_' prints _).\n"
                 "set grid back lt 1 lw 1 lc rgb '#e2e2e2', lt 1 lw 1 lc rgb '#f0f0f0'\n"
                 "set key samplen 2.5 spacing 1.1\n");
    sb_printf(b, "set xlabel ");
    sb_gplabel(b, f->xlabel                                   ? f->xlabel
                  : fc->summary && fc->c_x == pc->c_optimizer ? "optimizer"
                                                              : axis_label(f->x));
    sb_printf(b, "\nset ylabel ");
    sb_gplabel(b, f->ylabel ? f->ylabel : axis_label(f->y));
    sb_printf(b, "\n");
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
    if (f->width) w = f->width, h = f->height;
    double pt = font_points(fc), px = pt * (!strcmp(fc->format, "pdf") ? 150.0 / 72 : 1);
    gp_head(fc, b, w, h, pt);
    if (fc->summary) {
        sb_printf(b, "set offsets graph 0.04, graph 0.04, %s\n",
                  f->logy ? "0, 0" : "graph 0.06, graph 0.06");
        if (fc->n_cat > 0 && (!fc->x_numeric || (fc->n_cat <= 12 && !fc->tuning))) {
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
        gp_panel(fc, b, -1, 0, why, area_w, area_h, px);
    } else {
        for (int p = 0; p < (multi ? fc->n_panels : 1); p++)
            gp_panel(fc, b, p, multi, NULL, area_w, area_h, px);
    }
    if (multi) sb_printf(b, "unset multiplot\n");
    sb_printf(b, "set output\n");
}
