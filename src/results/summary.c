/* summary.c: gn_summary_build, reading a results folder (summary.h): the
 * manifest's protocol keys and every runs.csv row, each cell checked
 * against what its column holds. The rows are grouped and reduced in
 * summary_row.c. */
#include "results/summary.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "results/schema.h"
#include "results/summary_internal.h"

const char *const gn_summary_columns[] = {
    "optimizer",
    "label",
    "study",
    "source",
    "select_rule",
    "selected_trial",
    "config_id",
    "config",
    "trials",
    "trials_budget",
    "error_runs",
    "runs",
    "reached",
    "time_to_target_s_median",
    "time_to_target_s_lo",
    "time_to_target_s_hi",
    "time_to_target_s_mean",
    "time_to_target_s_std",
    "iterations_to_target_median",
    "iterations_to_target_lo",
    "iterations_to_target_hi",
    "final_val_loss_median",
    "final_val_loss_lo",
    "final_val_loss_hi",
    "best_val_loss_median",
    "final_val_accuracy_median",
    "final_test_loss_median",
    "final_test_accuracy_median",
    "final_train_loss_median",
    "step_s_median",
    "peak_rss_mib_max",
    "tuning_compute_s",
    "baseline",
    "speedup_vs_baseline",
    NULL,
};

/* A cell quoted in a message only when it is short and printable. */
static const char *shown(const char *cell, char *buf, size_t len)
{
    size_t n = strlen(cell);
    int ok = n > 0 && n <= 32;
    for (size_t i = 0; ok && i < n; i++)
        ok = cell[i] > 0x20 && cell[i] < 0x7f && cell[i] != '"';
    if (ok)
        snprintf(buf, len, ", got \"%s\"", cell);
    else
        snprintf(buf, len, "%s", n ? "" : ", got an empty cell");
    return buf;
}

/* "runs.csv:LINE:COL: column NAME: expected WHAT, got "CELL"". */
static int cell_error(const sm_ctx *c, int row, int col, const char *what, char *err, size_t errlen)
{
    char got[64];
    snprintf(err, errlen, "%s:%d:%d: column %s: expected %s%s", c->runs_path, c->runs.lines[row],
             col + 1, c->runs.header[col], what, shown(sm_cell(c, row, col), got, sizeof got));
    return -1;
}

/* A number ("%.17g", "nan", "inf") or, when empty_ok, an empty cell (NaN). */
static int parse_real(const char *s, int empty_ok, double *v)
{
    *v = NAN;
    if (!*s) return empty_ok ? 0 : -1;
    if (*s == ' ' || *s == '\t') return -1;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || (errno == ERANGE && isfinite(x) && x != 0)) return -1;
    *v = x;
    return 0;
}

/* A whole number from 0 to 10^9, or -1 for an empty cell when empty_ok. */
static int parse_int(const char *s, int empty_ok, int *v)
{
    *v = -1;
    if (!*s) return empty_ok ? 0 : -1;
    long x = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || p - s > 9) return -1;
        x = x * 10 + (*p - '0');
    }
    *v = (int)x;
    return 0;
}

/* The value of key in manifest.csv, or NULL. */
static const char *manifest_get(const sm_ctx *c, const char *key, int *row)
{
    int ck = gn_table_col(&c->manifest, "key"), cv = gn_table_col(&c->manifest, "value");
    for (int i = 0; ck >= 0 && cv >= 0 && i < c->manifest.n_rows; i++)
        if (strcmp(gn_table_cell(&c->manifest, i, ck), key) == 0) {
            if (row) *row = i;
            return gn_table_cell(&c->manifest, i, cv);
        }
    return NULL;
}

static int is_setting(const char *name)
{
    return !strncmp(name, "dataset.", 8) || !strncmp(name, "model.", 6) ||
           !strncmp(name, "train.", 6) || !strncmp(name, "opt.", 4) || !strcmp(name, "loss");
}

/* The columns every folder needs, and those protocol folders need too. */
static const char *const need_always[] = {"run_id", "status", "optimizer", NULL};
static const char *const need_protocol[] = {"seed",
                                            "study",
                                            "trial",
                                            "config_id",
                                            "reached",
                                            "time_to_target_s",
                                            "iterations_to_target",
                                            "wall_s",
                                            "eval_s",
                                            "final_val_loss",
                                            NULL};

static int need_columns(const sm_ctx *c, const char *const *names, const char *why, char *err,
                        size_t errlen)
{
    for (int k = 0; names[k]; k++)
        if (gn_table_col(&c->runs, names[k]) < 0) {
            snprintf(err, errlen, "%s:%d: no column \"%s\" (%s)", c->runs_path, c->runs.header_line,
                     names[k], why);
            return -1;
        }
    return 0;
}

/* Result columns read into sm_run, by name; absent columns stay NaN. */
typedef struct real_col {
    const char *name;
    size_t off;
} real_col;
#define RC(name, field)                                                                            \
    {                                                                                              \
        name, offsetof(sm_run, field)                                                              \
    }
static const real_col real_cols[] = {
    RC("wall_s", wall),
    RC("eval_s", eval),
    RC("step_s_median", step),
    RC("peak_rss_mib", rss),
    RC("final_val_loss", fval),
    RC("best_val_loss", bval),
    RC("final_val_accuracy", vacc),
    RC("final_test_loss", ftest),
    RC("final_test_accuracy", facc),
    RC("final_train_loss", ftrain),
};
enum { N_REAL_COLS = sizeof real_cols / sizeof real_cols[0] };

/* reached, time_to_target_s and iterations_to_target of one row. */
static int parse_target(const sm_ctx *c, int i, sm_run *r, char *err, size_t errlen)
{
    int cr = gn_table_col(&c->runs, "reached"), ct = gn_table_col(&c->runs, "time_to_target_s");
    int ci = gn_table_col(&c->runs, "iterations_to_target");
    double t = NAN, its = NAN;
    if (ct >= 0 && parse_real(sm_cell(c, i, ct), 1, &t))
        return cell_error(c, i, ct, "a number", err, errlen);
    if (ci >= 0 && parse_real(sm_cell(c, i, ci), 1, &its))
        return cell_error(c, i, ci, "a number", err, errlen);
    const char *rs = sm_cell(c, i, cr);
    if (cr < 0) /* written before the protocol: a time means reached */
        r->reached = isfinite(t) ? 1 : -1;
    else if (!strcmp(rs, "true"))
        r->reached = 1;
    else if (!strcmp(rs, "false"))
        r->reached = 0;
    else if (!*rs)
        r->reached = -1;
    else
        return cell_error(c, i, cr, "true, false or an empty cell", err, errlen);
    if (r->reached == 1 && !isfinite(t))
        return cell_error(c, i, ct, "a finite time for a run that reached its target", err, errlen);
    r->t = r->reached == 1 ? t : r->reached == 0 ? INFINITY : NAN;
    r->its = r->reached == 1 ? its : r->reached == 0 ? INFINITY : NAN;
    return 0;
}

static int parse_phase(const sm_ctx *c, int i, sm_run *r, char *err, size_t errlen)
{
    int cp = gn_table_col(&c->runs, "phase"), cs = gn_table_col(&c->runs, "study");
    int ctr = gn_table_col(&c->runs, "trial");
    const char *p = sm_cell(c, i, cp);
    r->phase = !*p || !strcmp(p, "grid") ? SM_GRID
               : !strcmp(p, "tune")      ? SM_TUNE
               : !strcmp(p, "confirm")   ? SM_CONFIRM
                                         : -1;
    if (r->phase < 0) return cell_error(c, i, cp, "grid, tune or confirm", err, errlen);
    if (cs >= 0 && parse_int(sm_cell(c, i, cs), 1, &r->study))
        return cell_error(c, i, cs, "a study number", err, errlen);
    if (ctr >= 0 && parse_int(sm_cell(c, i, ctr), r->phase != SM_TUNE, &r->trial))
        return cell_error(c, i, ctr,
                          r->phase == SM_TUNE ? "the trial number of a tune row" : "a trial number",
                          err, errlen);
    return 0;
}

static int parse_row(const sm_ctx *c, int i, sm_run *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->row = i;
    int cst = gn_table_col(&c->runs, "status");
    gn_run_status st;
    if (gn_run_status_parse(sm_cell(c, i, cst), &st))
        return cell_error(c, i, cst, "ok, diverged, time_limit or error", err, errlen);
    r->status = (int)st;
    if (!*sm_cell(c, i, c->c_optimizer))
        return cell_error(c, i, c->c_optimizer, "an optimizer name", err, errlen);
    if (parse_phase(c, i, r, err, errlen)) return -1;
    for (int k = 0; k < N_REAL_COLS; k++) {
        int col = gn_table_col(&c->runs, real_cols[k].name);
        double *v = (double *)((char *)r + real_cols[k].off);
        if (col >= 0 && parse_real(sm_cell(c, i, col), 1, v))
            return cell_error(c, i, col, "a number", err, errlen);
        if (col < 0) *v = NAN;
    }
    if (st == GN_RUN_ERROR) { /* only counted: its other cells may be empty */
        r->t = r->its = NAN;
        r->reached = -1;
        return 0;
    }
    return parse_target(c, i, r, err, errlen);
}

/* The protocol keys of manifest.csv. */
static int read_protocol(sm_ctx *c, const char *mpath, char *err, size_t errlen)
{
    int row = 0;
    const char *v = manifest_get(c, "protocol_studies", &row);
    c->studies = 1;
    if (v && *v && (parse_int(v, 0, &c->studies) || c->studies < 1)) {
        snprintf(err, errlen, "%s:%d:2: protocol_studies: expected a whole number >= 1", mpath,
                 c->manifest.lines[row]);
        return -1;
    }
    v = manifest_get(c, "protocol_trials", &row);
    c->trials = -1;
    if (v && *v && parse_int(v, 0, &c->trials)) {
        snprintf(err, errlen, "%s:%d:2: protocol_trials: expected a whole number", mpath,
                 c->manifest.lines[row]);
        return -1;
    }
    v = manifest_get(c, "protocol_select", &row);
    const char *tm = manifest_get(c, "target_metric", NULL);
    c->rule = tm && *tm ? GN_SELECT_TIME_TO_TARGET : GN_SELECT_FINAL_VAL_LOSS;
    if (v && *v && gn_select_rule_parse(v, &c->rule)) {
        snprintf(err, errlen,
                 "%s:%d:2: protocol_select: expected time_to_target, final_val_loss or "
                 "best_val_loss",
                 mpath, c->manifest.lines[row]);
        return -1;
    }
    v = manifest_get(c, "protocol_baselines", NULL);
    c->baselines = v && *v ? v : "sgd adam";
    v = manifest_get(c, "target_source", NULL);
    c->target_auto = v && strcmp(v, "auto") == 0;
    return 0;
}

static int read_tables(sm_ctx *c, const char *dir, char *runs_path, size_t plen, char *err,
                       size_t errlen)
{
    char mpath[4200];
    snprintf(runs_path, plen, "%s/runs.csv", dir);
    snprintf(mpath, sizeof mpath, "%s/manifest.csv", dir);
    c->runs_path = runs_path;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a folder", dir);
        return -1;
    }
    if (stat(runs_path, &st) != 0) {
        snprintf(err, errlen,
                 "%s: no such file (%s is not a results folder, or its shard "
                 "tables are not merged yet)",
                 runs_path, dir);
        return -1;
    }
    if (gn_table_read(runs_path, &c->runs, err, errlen)) return -1;
    if (gn_table_read(mpath, &c->manifest, err, errlen)) return -1;
    if (gn_table_col(&c->manifest, "key") < 0 || gn_table_col(&c->manifest, "value") < 0) {
        snprintf(err, errlen, "%s:%d: expected the header key,value", mpath,
                 c->manifest.header_line);
        return -1;
    }
    return read_protocol(c, mpath, err, errlen);
}

static char *dup_or_empty(const char *s)
{
    char *d = strdup(s ? s : "");
    return d;
}

int gn_summary_build(const char *dir, gn_summary *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    sm_ctx c = {0};
    char runs_path[4200];
    int rc = -1;
    if (read_tables(&c, dir, runs_path, sizeof runs_path, err, errlen)) goto done;
    if (need_columns(&c, need_always, "every results folder has it", err, errlen)) goto done;
    c.c_optimizer = gn_table_col(&c.runs, "optimizer");
    c.c_label = gn_table_col(&c.runs, "label");
    c.c_config_id = gn_table_col(&c.runs, "config_id");
    c.r = calloc((size_t)c.runs.n_rows + 1, sizeof *c.r);
    c.set_cols = calloc((size_t)c.runs.n_cols + 1, sizeof *c.set_cols);
    if (!c.r || !c.set_cols) {
        snprintf(err, errlen, "%s: out of memory", runs_path);
        goto done;
    }
    for (int j = 0; j < c.runs.n_cols; j++)
        if (is_setting(c.runs.header[j])) c.set_cols[c.n_set++] = j;
    for (int i = 0; i < c.runs.n_rows; i++) {
        if (parse_row(&c, i, &c.r[c.n], err, errlen)) goto done;
        if (c.r[c.n].phase != SM_GRID) c.protocol = 1;
        if (c.r[c.n].status == GN_RUN_ERROR) s->n_error++;
        c.n++;
    }
    if (c.protocol &&
        need_columns(&c, need_protocol, "a folder with tune or confirm rows has it", err, errlen))
        goto done;
    s->n_rows_read = c.n;
    s->protocol = c.protocol;
    s->experiment = dup_or_empty(manifest_get(&c, "experiment", NULL));
    s->target_metric = dup_or_empty(manifest_get(&c, "target_metric", NULL));
    s->target_value = dup_or_empty(manifest_get(&c, "target_value", NULL));
    if (!s->experiment || !s->target_metric || !s->target_value) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    rc = sm_build_rows(&c, s, err, errlen);
done:
    free(c.r);
    free(c.set_cols);
    gn_table_free(&c.runs);
    gn_table_free(&c.manifest);
    if (rc) gn_summary_free(s);
    return rc;
}

void gn_summary_free(gn_summary *s)
{
    gn_table_free(&s->table);
    free(s->experiment);
    free(s->target_metric);
    free(s->target_value);
    free(s->select_rule);
    memset(s, 0, sizeof *s);
}

double gn_summary_number(const gn_summary *s, int row, const char *name)
{
    int col = gn_table_col(&s->table, name);
    if (col < 0 || row < 0 || row >= s->table.n_rows) return NAN;
    double v;
    return parse_real(gn_table_cell(&s->table, row, col), 1, &v) ? NAN : v;
}

const char *gn_summary_method(const gn_summary *s, int row)
{
    int cl = gn_table_col(&s->table, "label"), co = gn_table_col(&s->table, "optimizer");
    if (row < 0 || row >= s->table.n_rows) return "";
    const char *label = cl >= 0 ? gn_table_cell(&s->table, row, cl) : NULL;
    if (label && *label) return label;
    const char *opt = co >= 0 ? gn_table_cell(&s->table, row, co) : NULL;
    return opt ? opt : "";
}
