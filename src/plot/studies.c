/* studies.c: what the figures of a protocol experiment add to the others.
 * Kind best is a trace of the phase=confirm runs (one line per chosen
 * configuration) with the target as a horizontal line; kind tuning is a
 * summary of the phase=tune runs in which every trial is its own point,
 * the runs that did not reach the target (a *_to_target y) or diverged
 * (any other y) sit at the top of the axis and each study's chosen trial
 * is marked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_internal.h"
#include "results/schema.h"
#include "results/select.h"

void plot_best_target(fig_ctx *fc)
{
    plot_ctx *pc = fc->pc;
    int c_metric = gn_table_col(&pc->runs, "target_metric");
    int c_value = gn_table_col(&pc->runs, "target_value");
    fc->target = NAN;
    if (c_metric < 0 || c_value < 0) return;
    int n = 0;
    double t = NAN;
    for (int k = 0; k < fc->n_g; k++)
        for (int i = 0; i < fc->g[k].n_rows; i++) {
            int r = fc->g[k].rows[i];
            double v;
            if (strcmp(cell(pc, r, c_metric), fc->fig->y) != 0 ||
                !plot_num_finite(cell(pc, r, c_value), &v) || (n > 0 && v != t))
                return; /* another metric, or runs with different targets: no line */
            t = v;
            n++;
        }
    if (n > 0 && (!fc->fig->logy || t > 0)) fc->target = t;
}

/* A number cell of row r, column name; NaN when absent or empty. */
static double num_cell(const plot_ctx *pc, int r, const char *name)
{
    int c = gn_table_col(&pc->runs, name);
    double v;
    return c >= 0 && plot_num_finite(cell(pc, r, c), &v) ? v : NAN;
}

/* Row r as a tuning trial, for the protocol's rule. */
static gn_trial_row trial_row(const plot_ctx *pc, int r)
{
    int c_reached = gn_table_col(&pc->runs, "reached");
    const char *status = cell(pc, r, pc->c_status);
    double trial = num_cell(pc, r, "trial");
    gn_trial_row t = {
        .trial = isfinite(trial) ? (int)trial : 0,
        .finished = gn_run_status_text_finished(status),
        .diverged = strcmp(status, "diverged") == 0,
        .reached = c_reached >= 0 && strcmp(cell(pc, r, c_reached), "true") == 0,
        .time_to_target = num_cell(pc, r, "time_to_target_s"),
        .iters_to_target = num_cell(pc, r, "iterations_to_target"),
        .final_val_loss = num_cell(pc, r, "final_val_loss"),
        .best_val_loss = num_cell(pc, r, "best_val_loss"),
    };
    return t;
}

/* Where row r goes on x: its setting's value, or its category's position
 * when the values are words. 0 when it has none to draw. */
static int row_x(const fig_ctx *fc, int r, double *x)
{
    const plot_ctx *pc = fc->pc;
    if (fc->x_numeric)
        return plot_num_finite(cell(pc, r, fc->c_x), x) && (!fc->fig->logx || *x > 0);
    for (int k = 0; k < fc->n_cat; k++)
        if (plot_rows_equal(pc, r, fc->cat_rep[k], fc->xkey, fc->n_xkey)) {
            *x = k;
            return 1;
        }
    return 0;
}

int plot_top_marks_diverged(const fig_ctx *fc)
{
    return fc->tuning && !fc->to_target;
}

/* Row r's y as a point: 1 with a value, 0 a marker at the top of the axis
 * (not reached: an empty *_to_target cell; for other y, a trial that
 * diverged, whose final value says only that, when it is finite at all),
 * -1 nothing to draw. */
static int row_y(const fig_ctx *fc, int r, double *y)
{
    const char *s = cell(fc->pc, r, fc->c_y);
    if (plot_top_marks_diverged(fc) && !strcmp(cell(fc->pc, r, fc->pc->c_status), "diverged"))
        return 0;
    if (plot_num_finite(s, y) && (!fc->fig->logy || *y > 0)) return 1;
    return fc->to_target && !*s ? 0 : -1;
}

/* The chosen trial of every study among g's rows (the protocol's rule). */
static int tuning_chosen(fig_ctx *fc, group *g, gn_trial_row *tr, int *of)
{
    plot_ctx *pc = fc->pc;
    g->chosen = malloc(sizeof(point) * ((size_t)g->n_rows + 1));
    if (!g->chosen) return -1;
    for (int i = 0; i < g->n_rows; i++) {
        const char *study = pc->c_study >= 0 ? cell(pc, g->rows[i], pc->c_study) : "";
        int seen = 0, n = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = !strcmp(study, pc->c_study >= 0 ? cell(pc, g->rows[j], pc->c_study) : "");
        if (seen) continue; /* study done with its first row */
        for (int j = i; j < g->n_rows; j++)
            if (!strcmp(study, pc->c_study >= 0 ? cell(pc, g->rows[j], pc->c_study) : "")) {
                tr[n] = trial_row(pc, g->rows[j]);
                of[n++] = g->rows[j];
            }
        int best = gn_select_best(tr, n, (gn_select_rule)pc->ex->protocol.select);
        double x, y = NAN;
        if (best < 0 || !row_x(fc, of[best], &x)) continue;
        int k = row_y(fc, of[best], &y);
        if (k < 0) continue;
        point *p = &g->chosen[g->n_chosen++];
        memset(p, 0, sizeof *p);
        p->x = x;
        p->med = p->lo = p->hi = k ? y : NAN;
        p->n = k;
        p->row = of[best];
    }
    return 0;
}

int plot_tuning_points(fig_ctx *fc, group *g, char *msg, size_t len)
{
    size_t n = (size_t)g->n_rows + 1;
    g->pts = malloc(sizeof(point) * n);
    g->nr = malloc(sizeof(point) * n);
    gn_trial_row *tr = malloc(sizeof *tr * n);
    int *of = malloc(sizeof(int) * n), rc = 0;
    if (!g->pts || !g->nr || !tr || !of) goto oom;
    for (int i = 0; i < g->n_rows; i++) {
        int r = g->rows[i], k;
        double x, y;
        if (!row_x(fc, r, &x) || (k = row_y(fc, r, &y)) < 0) continue;
        point *p = k ? &g->pts[g->n_pts++] : &g->nr[g->n_nr++];
        memset(p, 0, sizeof *p);
        p->x = x;
        p->med = p->lo = p->hi = k ? y : NAN;
        p->n = 1;
        p->row = r;
    }
    if (tuning_chosen(fc, g, tr, of) != 0) goto oom;
    goto done;
oom:
    snprintf(msg, len, "out of memory");
    rc = -1;
done:
    free(tr);
    free(of);
    return rc;
}
