/* protocol_target.c: protocol.target: auto (runner.h, gn_runner_confirm).
 * The baselines are tuned for the lowest final validation loss and
 * confirmed; the target is then the better baseline's median, over its
 * confirmation runs, of its best value of train.target_metric (AlgoPerf's
 * rule), and every trial and confirmation row of runs.csv gets reached,
 * time_to_target_s and iterations_to_target from its trace, as if the
 * target had been known when it ran. The manifest records the target. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csvio.h"
#include "results/stats.h"
#include "run/run_internal.h"

int gn_protocol_is_baseline(const gn_experiment *ex, const char *name)
{
    const char *b = ex->protocol.baselines;
    size_t n = strlen(name);
    for (const char *p = b; p && (p = strstr(p, name)); p += n)
        if ((p == b || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return 1;
    return 0;
}

/* The trace column of a target metric. */
static const char *metric_column(gn_target_metric m)
{
    return gn_target_metric_names[m];
}

static int maximized(gn_target_metric m)
{
    return m == GN_TARGET_VAL_ACCURACY || m == GN_TARGET_TRAIN_ACCURACY;
}

/* The trace of run id: its best value of the metric (*best), and the wall
 * time and iteration of the first row reaching target (NaN when none, or
 * target NaN). 0, or -1 when the trace cannot be read or lacks the column. */
static int scan_trace(const char *out_dir, const char *run_id, gn_target_metric m, double target,
                      double *best, double *time, double *iters)
{
    char path[GN_RUN_PATH], err[256];
    snprintf(path, sizeof path, "%s/traces/%s.csv", out_dir, run_id);
    gn_table t;
    if (gn_table_read(path, &t, err, sizeof err) != 0) return -1;
    int cm = gn_table_col(&t, metric_column(m)), cw = gn_table_col(&t, "wall_s");
    int ci = gn_table_col(&t, "iteration");
    *best = *time = *iters = NAN;
    if (cm < 0 || cw < 0 || ci < 0) {
        gn_table_free(&t);
        return -1;
    }
    for (int i = 0; i < t.n_rows; i++) {
        char *end;
        const char *s = gn_table_cell(&t, i, cm);
        double v = strtod(s, &end);
        if (!*s || *end || isnan(v)) continue;
        if (isnan(*best) || (maximized(m) ? v > *best : v < *best)) *best = v;
        if (isnan(*time) && !isnan(target) && gn_target_reached(m, v, target)) {
            *time = strtod(gn_table_cell(&t, i, cw), NULL);
            *iters = strtod(gn_table_cell(&t, i, ci), NULL);
        }
    }
    gn_table_free(&t);
    return 0;
}

/* The row of run id in t (linear: called once per run of the experiment on
 * tables of its size), or -1. */
static int row_of(const gn_table *t, int c_id, const char *id)
{
    for (int i = 0; i < t->n_rows; i++)
        if (strcmp(gn_table_cell(t, i, c_id), id) == 0) return i;
    return -1;
}

int gn_protocol_auto_target(const gn_experiment *ex, const char *out_dir, const gn_table *t,
                            gn_target_metric m, double *value)
{
    int c_id = gn_table_col(t, "run_id"), c_st = gn_table_col(t, "status");
    if (c_id < 0 || c_st < 0) return 0;
    double best_of_all = NAN;
    int any = 0;
    double *v = malloc(sizeof *v * (size_t)(ex->n_runs + 1));
    if (!v) return 0;
    for (int k = 0; k < ex->protocol.n_entries; k++) {
        int n = 0, entry_seen = 0, complete = 1;
        const char *name = NULL;
        for (int i = 0; i < ex->n_runs; i++) {
            const gn_run_spec *r = &ex->runs[i];
            if (r->entry != k) continue;
            name = r->optim->name;
            if (!gn_protocol_is_baseline(ex, name)) break;
            entry_seen = 1;
            if (r->phase != GN_PHASE_CONFIRM) continue;
            int row = row_of(t, c_id, r->run_id);
            double b, tm, it;
            if (row < 0 || !gn_run_status_text_finished(gn_table_cell(t, row, c_st)) ||
                scan_trace(out_dir, r->run_id, m, NAN, &b, &tm, &it) != 0) {
                complete = 0;
                break;
            }
            v[n++] = b;
        }
        if (!entry_seen || !name) continue;
        if (!complete || n < ex->protocol.confirm_seeds) { /* a baseline is not confirmed yet */
            free(v);
            return 0;
        }
        double med = gn_stats_median(v, n);
        if (isnan(med)) continue;
        any = 1;
        if (isnan(best_of_all) || (maximized(m) ? med > best_of_all : med < best_of_all))
            best_of_all = med;
    }
    free(v);
    if (!any) return 0;
    *value = best_of_all;
    return 1;
}

/* Replaces cell (row, col) of t with text. 0, or -1 out of memory. */
static int set_cell(gn_table *t, int row, int col, const char *text)
{
    char *s = strdup(text);
    if (!s) return -1;
    free(t->cells[(size_t)row * t->n_cols + col]);
    t->cells[(size_t)row * t->n_cols + col] = s;
    return 0;
}

int gn_protocol_fill_rows(const char *out_dir, gn_table *t, gn_target_metric m, double target)
{
    const char *names[] = {"run_id",
                           "phase",
                           "target_metric",
                           "target_value",
                           "reached",
                           "time_to_target_s",
                           "iterations_to_target"};
    int col[7];
    for (int j = 0; j < 7; j++)
        if ((col[j] = gn_table_col(t, names[j])) < 0) return -1;
    char tv[64], buf[64];
    gn_csv_format_real(tv, sizeof tv, target);
    for (int i = 0; i < t->n_rows; i++) {
        const char *phase = gn_table_cell(t, i, col[1]);
        if (strcmp(phase, "tune") != 0 && strcmp(phase, "confirm") != 0) continue;
        double best, time, iters;
        if (scan_trace(out_dir, gn_table_cell(t, i, col[0]), m, target, &best, &time, &iters) != 0)
            continue; /* an error run without its trace: nothing to say */
        int rc = set_cell(t, i, col[2], gn_target_metric_names[m]) | set_cell(t, i, col[3], tv) |
                 set_cell(t, i, col[4], isnan(time) ? "false" : "true");
        gn_csv_format_real(buf, sizeof buf, time);
        rc |= set_cell(t, i, col[5], isnan(time) ? "" : buf);
        snprintf(buf, sizeof buf, "%.0f", iters);
        rc |= set_cell(t, i, col[6], isnan(time) ? "" : buf);
        if (rc) return -1;
    }
    return 0;
}

/* Sets key = value in the key,value table t (adding the row). */
static int kv_set(gn_table *t, const char *key, const char *value)
{
    for (int i = 0; i < t->n_rows; i++)
        if (strcmp(gn_table_cell(t, i, 0), key) == 0) return set_cell(t, i, 1, value);
    char **cells = realloc(t->cells, sizeof *cells * (size_t)(t->n_rows + 1) * 2);
    if (!cells) return -1;
    t->cells = cells;
    cells[t->n_rows * 2] = strdup(key);
    cells[t->n_rows * 2 + 1] = strdup(value);
    t->n_rows++;
    return cells[t->n_rows * 2 - 2] && cells[t->n_rows * 2 - 1] ? 0 : -1;
}

int gn_protocol_fill_target(const char *out_dir, gn_target_metric m, double target, char *err,
                            size_t errlen)
{
    gn_run_options o = {.out_dir = out_dir};
    gn_folder_locks lk = {.fd = -1, .shard_fd = -1};
    if (gn_folder_lock(&o, &lk) != 0) {
        snprintf(err, errlen, "%s: locked by another sweep; the target is set when it ends",
                 out_dir);
        return -1;
    }
    char path[GN_RUN_PATH], mpath[GN_RUN_PATH], tv[64];
    snprintf(path, sizeof path, "%s/runs.csv", out_dir);
    snprintf(mpath, sizeof mpath, "%s/manifest.csv", out_dir);
    gn_table t, man;
    memset(&man, 0, sizeof man);
    int rc = gn_table_read_ex(path, GN_TABLE_KEEP_COMPLETE, &t, err, errlen);
    if (rc == 0) {
        rc = gn_protocol_fill_rows(out_dir, &t, m, target);
        if (rc != 0) snprintf(err, errlen, "%s: cannot set the target's columns", path);
        if (rc == 0) rc = gn_table_write(path, &t, err, errlen);
        gn_table_free(&t);
    }
    if (rc == 0 && gn_table_read(mpath, &man, err, errlen) == 0 && man.n_cols == 2) {
        gn_csv_format_real(tv, sizeof tv, target);
        rc = kv_set(&man, "target_metric", gn_target_metric_names[m]) |
             kv_set(&man, "target_value", tv) | kv_set(&man, "target_source", "auto");
        if (rc == 0) rc = gn_table_write(mpath, &man, err, errlen);
    }
    gn_table_free(&man);
    gn_folder_unlock(&lk);
    return rc;
}
