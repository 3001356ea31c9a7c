/* results.c: a results folder as the plotter reads it: runs.csv (the key
 * columns, the columns that make a configuration, the runs that finished),
 * its cells as setting values (compare, order, name in a label) and the
 * trace of one run. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plot/plot_internal.h"
#include "results/schema.h"

/* 1 when s is a whole number (strtod syntax, including nan and inf). */
static int num_parse(const char *s, double *v)
{
    if (!s) return 0;
    while (*s == ' ')
        s++;
    if (!*s) return 0;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s) return 0;
    while (*end == ' ')
        end++;
    if (*end) return 0;
    *v = d;
    return 1;
}

int plot_num_finite(const char *s, double *v)
{
    return num_parse(s, v) && isfinite(*v);
}

/* Order of setting values: finite numbers numerically, then words
 * alphabetically, then empty cells (setting not applicable). */
int plot_value_cmp(const char *a, const char *b)
{
    a = a ? a : "";
    b = b ? b : "";
    int ea = !*a, eb = !*b;
    if (ea || eb) return ea - eb;
    double x, y;
    int na = plot_num_finite(a, &x), nb = plot_num_finite(b, &y);
    if (na && nb && x != y) return x < y ? -1 : 1;
    if (na != nb) return na ? -1 : 1;
    return strcmp(a, b);
}

/* Columns of runs.csv that are not settings (the key and result columns). */
static int is_result_column(const char *name)
{
    return gn_schema_runs_column(name) != NULL;
}

int plot_need_col(const plot_ctx *pc, const char *name, int *col, char *msg, size_t len)
{
    *col = gn_table_col(&pc->runs, name);
    if (*col < 0) {
        snprintf(msg, len, "column '%s' not in %s", name, pc->runs_path);
        return -1;
    }
    return 0;
}

/* A run of the experiment by one of its ids, for bsearch. */
typedef struct id_entry {
    const char *id;
    int entry;
} id_entry;

static int id_entry_cmp(const void *a, const void *b)
{
    const id_entry *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : x->entry - y->entry;
}

static int id_find(const id_entry *v, int n, const char *id)
{
    int lo = 0, hi = n;
    while (lo < hi) { /* the first with this id: its lowest entry */
        int mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(v[lo].id, id) == 0 ? v[lo].entry : -1;
}

/* pc->row_entry and pc->row_label: the optimizers: entry whose run a row
 * is, matched by run_id against the expanded experiment, else by config_id
 * (a confirm run before gn_runner_confirm added it: its chosen trial has its
 * configuration), and that entry's `label:`. */
static int row_labels(plot_ctx *pc, char *msg, size_t len)
{
    const gn_experiment *ex = pc->ex;
    if (pc->runs.n_rows == 0) return 0;
    int n = ex->n_runs, c_config = gn_table_col(&pc->runs, "config_id");
    pc->row_label = calloc((size_t)pc->runs.n_rows, sizeof(char *));
    pc->row_entry = malloc(sizeof(int) * (size_t)pc->runs.n_rows);
    id_entry *by_id = malloc(sizeof *by_id * ((size_t)n + 1));
    id_entry *by_cfg = malloc(sizeof *by_cfg * ((size_t)n + 1));
    if (!pc->row_label || !pc->row_entry || !by_id || !by_cfg) {
        free(by_id);
        free(by_cfg);
        snprintf(msg, len, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        by_id[i] = (id_entry){ex->runs[i].run_id, ex->runs[i].entry};
        by_cfg[i] = (id_entry){ex->runs[i].config_id, ex->runs[i].entry};
    }
    qsort(by_id, (size_t)n, sizeof *by_id, id_entry_cmp);
    qsort(by_cfg, (size_t)n, sizeof *by_cfg, id_entry_cmp);
    for (int r = 0; r < pc->runs.n_rows; r++) {
        int e = id_find(by_id, n, cell(pc, r, pc->c_run_id));
        if (e < 0 && c_config >= 0 && *cell(pc, r, c_config))
            e = id_find(by_cfg, n, cell(pc, r, c_config));
        pc->row_entry[r] = e;
        if (e >= 0 && e < ex->n_entry_labels) pc->row_label[r] = ex->entry_labels[e];
    }
    free(by_id);
    free(by_cfg);
    return 0;
}

int plot_ctx_open(plot_ctx *pc, char *msg, size_t len)
{
    sbuf p = {0};
    sb_printf(&p, "%s/runs.csv", pc->results_dir);
    if (p.oom) {
        sb_free(&p);
        snprintf(msg, len, "out of memory");
        return -1;
    }
    pc->runs_path = p.s;
    if (gn_table_read(pc->runs_path, &pc->runs, msg, len) != 0) return -1;
    if (plot_need_col(pc, "run_id", &pc->c_run_id, msg, len) ||
        plot_need_col(pc, "status", &pc->c_status, msg, len) ||
        plot_need_col(pc, "optimizer", &pc->c_optimizer, msg, len) ||
        plot_need_col(pc, "seed", &pc->c_seed, msg, len))
        return -1;
    pc->c_phase = gn_table_col(&pc->runs, "phase");
    pc->c_study = gn_table_col(&pc->runs, "study");

    const gn_table *t = &pc->runs;
    pc->set_cols = malloc(sizeof(int) * (size_t)(t->n_cols + 1));
    pc->live = malloc(sizeof(int) * (size_t)(t->n_rows + 1));
    if (!pc->set_cols || !pc->live) {
        snprintf(msg, len, "out of memory");
        return -1;
    }
    pc->set_cols[pc->n_set++] = pc->c_optimizer;
    const gn_experiment *ex = pc->ex;
    if (ex->columns && ex->n_columns > 0) {
        /* The experiment's setting paths that runs.csv holds. */
        for (int i = 0; i < ex->n_columns; i++) {
            int c = ex->columns[i] ? gn_table_col(t, ex->columns[i]) : -1;
            if (c >= 0 && c != pc->c_seed && !has_col(pc->set_cols, pc->n_set, c))
                pc->set_cols[pc->n_set++] = c;
        }
    } else {
        /* No expanded experiment: every column that is not a result. */
        for (int c = 0; c < t->n_cols; c++)
            if (!is_result_column(t->header[c]) && !has_col(pc->set_cols, pc->n_set, c))
                pc->set_cols[pc->n_set++] = c;
    }
    for (int r = 0; r < t->n_rows; r++) {
        if (gn_run_status_text_finished(cell(pc, r, pc->c_status))) pc->live[pc->n_live++] = r;
    }
    return row_labels(pc, msg, len);
}

void plot_ctx_close(plot_ctx *pc)
{
    free(pc->runs_path);
    free(pc->set_cols);
    free(pc->live);
    free(pc->row_label);
    free(pc->row_entry);
    if (pc->runs.header || pc->runs.cells) gn_table_free(&pc->runs);
}

/* Short name of a setting in a label: the last dotted component unless
 * another setting column ends the same way. */
static const char *short_name(const plot_ctx *pc, int col)
{
    const char *full = pc->runs.header[col];
    const char *dot = strrchr(full, '.');
    if (!dot) return full;
    const char *sh = dot + 1;
    for (int i = 0; i < pc->n_set; i++) {
        int c = pc->set_cols[i];
        if (c == col) continue;
        const char *o = pc->runs.header[c];
        const char *od = strrchr(o, '.');
        if (!strcmp(od ? od + 1 : o, sh)) return full;
    }
    return sh;
}

/* Appends "value" (optimizer) or "name=value" for column col of row. */
void sb_setting(sbuf *b, const plot_ctx *pc, int row, int col, int full)
{
    const char *v = cell(pc, row, col);
    if (!*v) v = "-";
    if (col == pc->c_optimizer)
        sb_printf(b, "%s", v);
    else
        sb_printf(b, "%s=%s", full ? pc->runs.header[col] : short_name(pc, col), v);
}

int plot_rows_equal(const plot_ctx *pc, int r1, int r2, const int *cols, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(cell(pc, r1, cols[i]), cell(pc, r2, cols[i])) != 0) return 0;
    return 1;
}

int plot_rows_cmp(const plot_ctx *pc, int r1, int r2, const int *cols, int n)
{
    for (int i = 0; i < n; i++) {
        int c = plot_value_cmp(cell(pc, r1, cols[i]), cell(pc, r2, cols[i]));
        if (c) return c;
    }
    return 0;
}

/* Reads the trace of runs.csv row r; 1 = read, 0 = skipped (noted),
 * -1 = error (a missing column). */
int plot_trace_load(fig_ctx *fc, int r, gn_table *t, int *cx, int *cy, char *msg, size_t len)
{
    plot_ctx *pc = fc->pc;
    const char *id = cell(pc, r, pc->c_run_id);
    const char *why = NULL;
    char rerr[512];
    sbuf path = {0};
    sb_printf(&path, "%s/traces/%s.csv", pc->results_dir, id);
    struct stat st;
    memset(t, 0, sizeof *t);
    if (path.oom) {
        snprintf(msg, len, "out of memory");
        sb_free(&path);
        return -1;
    }
    if (!*id || strchr(id, '/'))
        why = "bad run_id";
    else if (stat(path.s, &st) != 0)
        why = "trace missing";
    else if (st.st_size == 0)
        why = "trace empty";
    else if (gn_table_read(path.s, t, rerr, sizeof rerr) != 0) {
        memset(t, 0, sizeof *t);
        why = rerr;
    }
    if (why) {
        fprintf(stderr, "plot: figure %s: run %s skipped: %s (%s)\n", fc->fig->name, id, why,
                path.s);
        sb_printf(&fc->notes, "# skipped run ");
        sb_comment_text(&fc->notes, id);
        sb_printf(&fc->notes, ": ");
        sb_comment_text(&fc->notes, why);
        sb_printf(&fc->notes, "\n");
        fc->n_skipped++;
        sb_free(&path);
        return 0;
    }
    *cx = gn_table_col(t, fc->fig->x);
    *cy = gn_table_col(t, fc->fig->y);
    if (*cx < 0 || *cy < 0) {
        snprintf(msg, len, "column '%s' not in %s", *cx < 0 ? fc->fig->x : fc->fig->y, path.s);
        gn_table_free(t);
        sb_free(&path);
        return -1;
    }
    sb_free(&path);
    if (t->n_rows == 0) {
        sb_printf(&fc->notes, "# skipped run ");
        sb_comment_text(&fc->notes, id);
        sb_printf(&fc->notes, ": trace has no rows\n");
        fc->n_skipped++;
        gn_table_free(t);
        return 0;
    }
    return 1;
}
