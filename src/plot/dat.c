/* dat.c: <figure>.dat, the reduced data of one figure: a commented header
 * and one gnuplot data block per line. */
#include "plot/plot_internal.h"

void plot_dat_write(fig_ctx *fc, sbuf *b)
{
    plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    sb_printf(b, "# gnbench plot data: figure ");
    sb_comment_text(b, f->name);
    sb_printf(b, " (kind %s) of experiment ", gn_figure_kind_name(f->kind));
    sb_comment_text(b, pc->ex->name ? pc->ex->name : "?");
    sb_printf(b, "\n# source: ");
    sb_comment_text(b, pc->runs_path);
    if (!fc->summary) sb_printf(b, " and traces/<run_id>.csv");
    sb_printf(b, "\n# x: ");
    sb_comment_text(b, f->x);
    sb_printf(b, "   y: ");
    sb_comment_text(b, f->y);
    sb_printf(b, "\n# runs with status ok, diverged or time_limit: %d of %d\n", pc->n_live,
              pc->runs.n_rows);
    sb_printf(b, "# One block per line of the figure (gnuplot: index N); blocks are\n"
                 "# separated by two blank lines, a single blank line is a gap.\n");
    if (fc->summary)
        sb_printf(b,
                  "# columns: 1 x (%s)  2 y median over seeds  3 y min  4 y max"
                  "  5 runs with a value  6 x label\n",
                  fc->x_numeric ? "value" : "category position");
    else
        sb_printf(b,
                  "# Seeds are aligned by row and cut to the shortest trace;"
                  " non-finite%s values are left out.\n"
                  "# columns: 1 row  2 x median over seeds  3 y median  4 y min"
                  "  5 y max  6 seeds with a value\n",
                  (f->logx || f->logy) ? " and non-positive (log axis)" : "");
    sb_printf(b, "%s", sb_str(&fc->notes));
    fc->n_blocks = 0;
    for (int k = 0; k < fc->n_g; k++) {
        group *g = &fc->g[k];
        if (g->n_pts == 0) {
            sb_printf(b, "# (no points) label \"");
            sb_comment_text(b, g->label);
            sb_printf(b, "\"\n");
            continue;
        }
        g->block = fc->n_blocks++;
        sb_printf(b, "%s# block %d: panel \"", g->block ? "\n\n" : "", g->block);
        if (fc->c_panel >= 0) sb_comment_text(b, cell(pc, g->rep, fc->c_panel));
        sb_printf(b, "\" label \"");
        sb_comment_text(b, g->label);
        sb_printf(b, "\" runs:");
        for (int i = 0; i < g->n_rows; i++) {
            sb_putc(b, ' ');
            sb_comment_text(b, cell(pc, g->rows[i], pc->c_run_id));
        }
        sb_putc(b, '\n');
        for (int i = 0; i < g->n_pts; i++) {
            const point *p = &g->pts[i];
            if (p->gap_before) sb_putc(b, '\n');
            if (fc->summary) {
                sb_printf(b, "%.10g %.10g %.10g %.10g %d \"", p->x, p->med, p->lo, p->hi, p->n);
                for (const char *s = fc->cat_label[p->row]; *s; s++)
                    sb_putc(b, (*s == '"' || (unsigned char)*s < 0x20) ? '\'' : *s);
                sb_printf(b, "\"\n");
            } else {
                sb_printf(b, "%d %.10g %.10g %.10g %.10g %d\n", p->row, p->x, p->med, p->lo, p->hi,
                          p->n);
            }
        }
    }
}
