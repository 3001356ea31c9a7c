/* gp_key.c: where a figure's key goes: what each panel shows (its extent
 * in axis units), which corners of the plot area hold no data, and the
 * key's place and columns so that it hides nothing and fits the image. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot/plot_internal.h"

double plot_axis_t(double v, int lg)
{
    return lg ? log10(v) : v;
}

int plot_x_is_log(const fig_ctx *fc)
{
    return fc->fig->logx && (!fc->summary || fc->x_numeric);
}

extent plot_panel_extent(const fig_ctx *fc, int p)
{
    extent e = {INFINITY, -INFINITY, INFINITY, -INFINITY, 0};
    int lx = plot_x_is_log(fc), ly = fc->fig->logy;
    for (int k = 0; k < fc->n_g; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || g->block < 0) continue;
        for (int i = 0; i < g->n_pts; i++) {
            double x = plot_axis_t(g->pts[i].x, lx);
            double lo = plot_axis_t(g->pts[i].lo, ly), hi = plot_axis_t(g->pts[i].hi, ly);
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
    if (fc->best && isfinite(fc->target) && e.n > 0) { /* the target line stays in view */
        e.y0 = fmin(e.y0, plot_axis_t(fc->target, ly));
        e.y1 = fmax(e.y1, plot_axis_t(fc->target, ly));
    }
    return e;
}

/* Data inside the box [bx0,bx1]x[by0,by1] of the unit square: points,
 * the vertical min-max extent at each point and the segments between
 * points (sampled). */
static int box_hits(const fig_ctx *fc, int p, const extent *e, double bx0, double bx1, double by0,
                    double by1)
{
    int lx = plot_x_is_log(fc), ly = fc->fig->logy, hits = 0;
    double sx = e->x1 > e->x0 ? e->x1 - e->x0 : 1, sy = e->y1 > e->y0 ? e->y1 - e->y0 : 1;
    if (fc->best && isfinite(fc->target)) { /* the target line crosses the whole panel */
        double ty = (plot_axis_t(fc->target, ly) - e->y0) / sy;
        hits += ty >= by0 && ty <= by1;
    }
    for (int k = 0; k < fc->n_g; k++) {
        const group *g = &fc->g[k];
        if (g->panel != p || g->block < 0) continue;
        double px = 0, py = 0;
        for (int i = 0; i < g->n_pts; i++) {
            const point *q = &g->pts[i];
            double x = (plot_axis_t(q->x, lx) - e->x0) / sx;
            double y = (plot_axis_t(q->med, ly) - e->y0) / sy;
            double lo = (plot_axis_t(q->lo, ly) - e->y0) / sy,
                   hi = (plot_axis_t(q->hi, ly) - e->y0) / sy;
            if (x >= bx0 && x <= bx1 && hi >= by0 && lo <= by1) hits++;
            if (i > 0 && !q->gap_before && !fc->tuning) /* tuning: points, not joined */
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

/* " maxrows R": the key in as many columns as it needs, at most `cols`. */
static void key_rows(sbuf *b, int n, int cols)
{
    if (cols > 1 && n > 1) sb_printf(b, " maxrows %d", (n + cols - 1) / cols);
}

/* Places the key of panel p and returns the longest legend text, in
 * characters, that fits. `legend:` chooses the place (and columns); auto
 * takes the first corner of the plot area that the key covers no data in,
 * else outside on the right, else below, and splits the key into columns
 * before it can run off the image (gnuplot's "difficulty fitting plot
 * titles into key"). */
int plot_gp_key(const fig_ctx *fc, sbuf *b, int p, const extent *e, const keybox *k)
{
    const gn_figure *f = fc->fig;
    double entry_w = k->longest * k->ch_w + 4.5 * k->ch_w;
    int rows_fit = (int)((k->area_h - 10) / k->ch_h), max_chars;
    if (rows_fit < 1) rows_fit = 1;
    int cols = f->legend_columns;
    gn_legend where = f->legend;
    if (where == GN_LEGEND_OFF) {
        sb_printf(b, "unset key\n");
        return 0;
    }
    if (where == GN_LEGEND_AUTO) {
        double kw = entry_w / k->area_w, kh = (k->n * k->ch_h + 14.0) / k->area_h;
        static const gn_legend corner[] = {GN_LEGEND_TOP_RIGHT, GN_LEGEND_TOP_LEFT,
                                           GN_LEGEND_BOTTOM_LEFT, GN_LEGEND_BOTTOM_RIGHT};
        where =
            fc->n_panels > 1 || entry_w > 0.35 * k->area_w ? GN_LEGEND_BELOW : GN_LEGEND_OUTSIDE;
        if (kw < 0.55 && kh < 0.6)
            for (int c = 0; c < 4; c++) {
                int right = c == 0 || c == 3, top = c < 2;
                if (top && k->top_markers) continue;
                double bx0 = right ? 1 - kw : 0, by0 = top ? 1 - kh : 0;
                if (box_hits(fc, p, e, bx0, bx0 + kw, by0, by0 + kh) == 0) {
                    where = corner[c];
                    break;
                }
            }
    }
    static const char *const place[] = {"",
                                        "inside top left",
                                        "inside top right",
                                        "inside bottom left",
                                        "inside bottom right",
                                        "outside right top",
                                        "below left Left reverse"};
    sb_printf(b, "set key %s vertical", place[where]);
    if (where == GN_LEGEND_BELOW) {
        /* As many columns as the width holds; the panel gives up the height. */
        int fit = (int)((k->area_w + 100) / entry_w);
        if (fit < 1) fit = 1;
        if (!cols) cols = fit < k->n ? fit : k->n;
        if (cols > fit) cols = fit;
        max_chars = (int)((k->area_w + 100) / cols / k->ch_w) - 5;
    } else {
        if (!cols) cols = (k->n + rows_fit - 1) / rows_fit;
        max_chars = where == GN_LEGEND_OUTSIDE ? (int)(0.45 * k->area_w / cols / k->ch_w) - 5
                                               : (int)(0.9 * k->area_w / cols / k->ch_w) - 5;
    }
    key_rows(b, k->n, cols);
    sb_printf(b, "\n");
    return max_chars;
}

/* The panel's legend: its lines, plus one entry per kind of marker. */
keybox plot_panel_keybox(const fig_ctx *fc, int p, int area_w, int area_h, double font_px,
                         int *ends, int *nr)
{
    keybox k = {0, 0, area_w, area_h, 0.62 * font_px, 1.45 * font_px, 0};
    *ends = *nr = 0;
    int chosen = 0;
    for (int i = 0; i < fc->n_g; i++) {
        const group *g = &fc->g[i];
        if (g->panel != p || (g->block < 0 && g->end_block < 0)) continue;
        k.n++;
        chosen |= g->n_chosen > 0;
        for (int j = 0; j < g->n_chosen; j++)
            k.top_markers |= g->chosen[j].n == 0;
        size_t l = strlen(g->label) + (!fc->summary && g->n_full < g->n_seeds ? 28 : 0);
        if (l > k.longest) k.longest = l;
        if (g->end_block >= 0) *(fc->summary ? nr : ends) = 1;
    }
    k.n += *ends + *nr + chosen + (fc->best && isfinite(fc->target));
    if (*ends || *nr) k.longest = k.longest > 44 ? k.longest : 44;
    if (chosen && k.longest < 30) k.longest = 30;
    k.top_markers |= *nr;
    return k;
}
