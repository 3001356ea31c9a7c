/* dat.c: <figure>.dat, the reduced data of one figure: a commented header
 * and one gnuplot data block per line. */
#include <math.h>

#include "plot/plot_internal.h"

/* The block after g's: its seeds that ended early (trace) or its runs that
 * did not reach the target (summary) or diverged (tuning, not *_to_target). */
static void write_extra(fig_ctx *fc, group *g, sbuf *b)
{
    g->end_block = -1;
    if (fc->summary ? g->n_nr == 0 : g->n_ends == 0) return;
    g->end_block = fc->n_blocks++;
    sb_printf(b, "%s# block %d: %s of \"", g->end_block ? "\n\n" : "", g->end_block,
              !fc->summary                  ? "seeds that ended early"
              : plot_top_marks_diverged(fc) ? "diverged"
                                            : "not reached");
    sb_comment_text(b, g->label);
    int k = 0;
    for (int i = 0; fc->summary && i < g->n_nr; i++)
        k += g->nr[i].n;
    sb_printf(b, "\" (%d of %d)\n", fc->summary ? k : g->n_ends,
              fc->summary ? g->n_rows : g->n_seeds);
    if (fc->summary)
        for (int i = 0; i < g->n_nr; i++)
            sb_printf(b, "%.10g %d\n", g->nr[i].x, g->nr[i].n);
    else
        for (int i = 0; i < g->n_ends; i++)
            sb_printf(b, "%d %.10g %.10g\n", g->ends[i].row, g->ends[i].x, g->ends[i].med);
}

/* The block after those of g: each study's chosen trial (kind tuning). */
static void write_chosen(fig_ctx *fc, group *g, sbuf *b)
{
    if (g->n_chosen == 0) return;
    g->chosen_block = fc->n_blocks++;
    sb_printf(b, "%s# block %d: chosen trials of \"", g->chosen_block ? "\n\n" : "",
              g->chosen_block);
    sb_comment_text(b, g->label);
    sb_printf(b, "\" (%d)\n", g->n_chosen);
    for (int i = 0; i < g->n_chosen; i++) {
        const point *p = &g->chosen[i];
        sb_printf(b, "%.10g %.10g %d \"", p->x, p->n ? p->med : 0.0, p->n);
        sb_comment_text(b, cell(fc->pc, p->row, fc->pc->c_run_id));
        sb_printf(b, "\"\n");
    }
}

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
    static const char *const band[] = {"min and max", "quartiles", "median -+ std. deviation",
                                       "median (no band)"};
    if (fc->tuning)
        sb_printf(b,
                  "# Rows with phase tune, one per trial (not reduced).\n"
                  "# columns: 1 x (%s)  2 y  3-4 y again  5 runs (1)  6 run_id\n"
                  "# A \"chosen trials\" block follows a series' blocks: 1 x  2 y  3 1 (0: did\n"
                  "# not reach the target, drawn at the top of the axis)  4 run_id; the trial\n"
                  "# each study's rule (protocol select) chooses.\n",
                  fc->x_numeric ? "value" : "category position");
    else if (fc->summary)
        sb_printf(b,
                  "# columns: 1 x (%s)  2 y median over seeds  3-4 y band: %s"
                  "  5 runs with a value  6 x label\n",
                  fc->x_numeric ? "value" : "category position", band[f->band]);
    else
        sb_printf(b,
                  "# Seeds are aligned by row; a row reduces the seeds that reach it (none is\n"
                  "# cut to the shortest); non-finite%s values are left out.\n"
                  "# columns: 1 row  2 x median over seeds  3 y median  4-5 y band: %s"
                  "  6 seeds with a value\n",
                  (f->logx || f->logy) ? " and non-positive (log axis)" : "", band[f->band]);
    if (fc->summary && fc->to_target)
        sb_printf(b, "# A \"not reached\" block follows a line's block: 1 x  2 runs that never\n"
                     "# reached the target (empty cell), drawn at the top of the axis.\n");
    if (fc->best)
        sb_printf(b,
                  "# Rows with phase confirm: each study's chosen configuration on its\n"
                  "# confirmation seeds.%s\n",
                  isfinite(fc->target) ? " The target is drawn as a dashed line." : "");
    if (!fc->summary)
        sb_printf(b, "# A \"seeds that ended early\" block follows a line's block: the last\n"
                     "# point of each seed shorter than the longest: 1 row  2 x  3 y.\n");
    sb_printf(b, "%s", sb_str(&fc->notes));
    fc->n_blocks = 0;
    for (int k = 0; k < fc->n_g; k++) {
        group *g = &fc->g[k];
        g->chosen_block = -1;
        if (g->n_pts == 0) {
            sb_printf(b, "# (no points) label \"");
            sb_comment_text(b, g->label);
            sb_printf(b, "\"\n");
            if (fc->summary && g->n_nr > 0) {
                /* Only runs that never reached the target: still drawn. */
                g->block = -1;
                write_extra(fc, g, b);
                write_chosen(fc, g, b);
            }
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
                const char *lab =
                    fc->tuning ? cell(pc, p->row, pc->c_run_id) : fc->cat_label[p->row];
                for (const char *s = lab; *s; s++)
                    sb_putc(b, (*s == '"' || (unsigned char)*s < 0x20) ? '\'' : *s);
                sb_printf(b, "\"\n");
            } else {
                sb_printf(b, "%d %.10g %.10g %.10g %.10g %d\n", p->row, p->x, p->med, p->lo, p->hi,
                          p->n);
            }
        }
        write_extra(fc, g, b);
        write_chosen(fc, g, b);
    }
}
