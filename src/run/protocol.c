/* protocol.c: the confirmation step of a protocol experiment (runner.h):
 * once every trial of a study is recorded, the study's best trial (the
 * experiment's rule, results/select.h) gets its confirmation runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csvio.h"
#include "results/select.h"
#include "run/run_internal.h"

/* A number cell; NaN when empty or not a number. */
static double cell_num(const gn_table *t, int row, int col)
{
    if (col < 0) return NAN;
    const char *s = gn_table_cell(t, row, col);
    char *end;
    double v = strtod(s, &end);
    return *s && *end == '\0' ? v : NAN;
}

/* Row of run id in t (sorted index ord), or -1. */
typedef struct row_ref {
    const char *id;
    int row;
} row_ref;

static int cmp_row_ref(const void *a, const void *b)
{
    return strcmp(((const row_ref *)a)->id, ((const row_ref *)b)->id);
}

/* The trial results of the runs of entry k, study s, from t; 1 when every
 * trial has a finished row, else 0 (the study is not done). */
static int study_rows(const gn_experiment *ex, int k, long s, const gn_table *t, const row_ref *ord,
                      gn_trial_row *rows, int *run_of, int *n)
{
    int c_status = gn_table_col(t, "status"), c_reached = gn_table_col(t, "reached");
    int c_time = gn_table_col(t, "time_to_target_s"),
        c_it = gn_table_col(t, "iterations_to_target");
    int c_fv = gn_table_col(t, "final_val_loss"), c_bv = gn_table_col(t, "best_val_loss");
    *n = 0;
    for (int i = 0; i < ex->n_runs; i++) {
        const gn_run_spec *r = &ex->runs[i];
        if (r->phase != GN_PHASE_TUNE || r->entry != k || r->study != s) continue;
        row_ref key = {r->run_id, 0};
        const row_ref *hit =
            t->n_rows ? bsearch(&key, ord, (size_t)t->n_rows, sizeof *ord, cmp_row_ref) : NULL;
        if (!hit || c_status < 0) return 0;
        const char *status = gn_table_cell(t, hit->row, c_status);
        if (!gn_run_status_text_finished(status)) return 0;
        int j = hit->row;
        rows[*n] = (gn_trial_row){
            .trial = r->trial,
            .finished = 1,
            .diverged = strcmp(status, "diverged") == 0,
            .reached = c_reached >= 0 && strcmp(gn_table_cell(t, j, c_reached), "true") == 0,
            .time_to_target = cell_num(t, j, c_time),
            .iters_to_target = cell_num(t, j, c_it),
            .final_val_loss = cell_num(t, j, c_fv),
            .best_val_loss = cell_num(t, j, c_bv),
        };
        run_of[(*n)++] = i;
    }
    return *n > 0;
}

/* protocol.target: auto: sets the target once the baselines are confirmed,
 * then fills the target's columns of every row of t (in memory, so every MPI
 * rank decides alike; the writer also rewrites runs.csv). 0, or -1. */
static int auto_target(gn_experiment *ex, const char *out_dir, gn_table *t, int flags, char *err,
                       size_t errlen)
{
    gn_protocol *p = &ex->protocol;
    gn_target_metric m = ex->n_runs && ex->runs[0].train.target_metric >= 0
                             ? (gn_target_metric)ex->runs[0].train.target_metric
                             : GN_TARGET_VAL_LOSS;
    if (isnan(p->target_value)) {
        double v;
        if (!gn_protocol_auto_target(ex, out_dir, t, m, &v)) return 0;
        p->target_value = v;
        if (!(flags & GN_CONFIRM_QUIET))
            fprintf(stderr, "gnbench: %s: the tuned baselines (%s) set the target: %s %.6g\n",
                    ex->name, p->baselines, gn_target_metric_names[m], v);
    }
    if (gn_protocol_fill_rows(out_dir, t, m, p->target_value) != 0) {
        snprintf(err, errlen, "%s/runs.csv: cannot set the target's columns", out_dir);
        return -1;
    }
    if (flags & GN_CONFIRM_READ_ONLY) return 0;
    return gn_protocol_fill_target(out_dir, m, p->target_value, err, errlen);
}

int gn_runner_confirm(gn_experiment *ex, const char *out_dir, int flags, char *err, size_t errlen)
{
    if (!ex->protocol.on) return 0;
    char path[GN_RUN_PATH];
    snprintf(path, sizeof path, "%s/runs.csv", out_dir);
    gn_table t;
    memset(&t, 0, sizeof t);
    char terr[256];
    if (gn_table_read_ex(path, GN_TABLE_KEEP_COMPLETE, &t, terr, sizeof terr) != 0) return 0;
    const gn_protocol *p = &ex->protocol;
    if (p->target_auto && auto_target(ex, out_dir, &t, flags, err, errlen) != 0) {
        gn_table_free(&t);
        return -1;
    }
    int c_id = gn_table_col(&t, "run_id");
    row_ref *ord = malloc(sizeof *ord * (size_t)(t.n_rows + 1));
    gn_trial_row *rows = malloc(sizeof *rows * (size_t)(ex->n_runs + 1));
    int *run_of = malloc(sizeof *run_of * (size_t)(ex->n_runs + 1));
    int added = 0;
    if (!ord || !rows || !run_of || c_id < 0) goto out;
    for (int i = 0; i < t.n_rows; i++)
        ord[i] = (row_ref){gn_table_cell(&t, i, c_id), i};
    qsort(ord, (size_t)t.n_rows, sizeof *ord, cmp_row_ref);
    for (int k = 0; k < p->n_entries && added >= 0; k++)
        for (long s = 0; s < p->studies && added >= 0; s++) {
            int n;
            if (!study_rows(ex, k, s, &t, ord, rows, run_of, &n)) continue;
            const gn_run_spec *r0 = &ex->runs[run_of[0]];
            const char *name = gn_experiment_entry_name(ex, k, r0->optim);
            gn_select_rule rule = (gn_select_rule)p->select;
            if (p->target_auto) { /* baselines are tuned for quality: they set the target */
                int base = gn_protocol_is_baseline(ex, r0->optim->name);
                if (!base && isnan(p->target_value)) continue; /* waits for the target */
                if (base) rule = GN_SELECT_FINAL_VAL_LOSS;
            }
            int best = gn_select_best(rows, n, rule);
            if (best < 0) {
                if (!(flags & GN_CONFIRM_QUIET))
                    fprintf(stderr,
                            "gnbench: %s, study %ld: no trial can be chosen (none finished with "
                            "a finite validation loss); no confirmation runs\n",
                            name, s);
                continue;
            }
            int a = gn_experiment_add_confirm(ex, run_of[best], err, errlen);
            added = a < 0 ? -1 : added + a;
        }
out:
    free(ord);
    free(rows);
    free(run_of);
    gn_table_free(&t);
    return added;
}
