/* runs_table.c: the runs tables of a results folder. Builds runs.csv's
 * header and rows from the schema (schema.h) and a run's result, writes
 * the sweep's table (whole and atomically at the start and the end of a
 * sweep, a row appended as each run finishes), finds the tables of a folder (runs.csv and
 * runs.shard-K-of-N.csv; the same names for manifests), reads their rows
 * back and picks one row per run, for resume and for merge. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "io/csvio.h"
#include "run/run_internal.h"

static char *dupstr(const char *s)
{
    return strdup(s ? s : "");
}

static char *fmt_real(double v)
{
    char buf[64];
    if (isnan(v)) return dupstr("");
    snprintf(buf, sizeof buf, "%.17g", v);
    return dupstr(buf);
}

static char *fmt_real_nan(double v)
{
    char buf[64];
    if (isnan(v)) return dupstr("nan");
    snprintf(buf, sizeof buf, "%.17g", v);
    return dupstr(buf);
}

/* ---- the sweep's own table ---- */

void gn_sweep_write_failed(sweep *sw, const char *err)
{
    fprintf(stderr, "gnbench: %s\n", err);
    if (sw->write_failed) return;
    sw->write_failed = 1;
    snprintf(sw->write_err, sizeof sw->write_err, "%s", err);
}

/* Writes sw->runs_path atomically, the rows in grid order. 0, or -1 with
 * err. */
static int write_table(sweep *sw, char *err, size_t errlen)
{
    gn_csv_writer w;
    if (gn_csvw_open(&w, sw->runs_path, err, errlen) != 0) return -1;
    for (int j = 0; j < sw->n_cols; j++)
        gn_csvw_str(&w, sw->header[j]);
    gn_csvw_end_row(&w);
    for (int i = 0; i < sw->ex->n_runs; i++) {
        if (!sw->cells[i]) continue;
        for (int j = 0; j < sw->n_cols; j++)
            gn_csvw_str(&w, sw->cells[i][j]);
        gn_csvw_end_row(&w);
    }
    if (gn_csvw_commit(&w, err, errlen) != 0) return -1;
    sw->appended = 0;
    /* the rows to come are appended to the new file: opened now, so that
     * recording a run never needs a free descriptor (see append_row) */
    if (sw->runs_fd >= 0) close(sw->runs_fd);
    sw->runs_fd = open(sw->runs_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    return 0;
}

int gn_runs_write(sweep *sw)
{
    char err[GN_RUN_PATH + 256];
    if (write_table(sw, err, sizeof err) == 0) return 0;
    gn_sweep_write_failed(sw, err);
    return -1;
}

/* The CSV text of run i's row, as the table writer writes it (malloc'd,
 * *len bytes); NULL when out of memory. */
static char *row_text(const sweep *sw, int i, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    gn_csv_writer w = {.f = f, .at_row_start = 1}; /* a writer on a stream: never committed */
    for (int j = 0; j < sw->n_cols; j++)
        gn_csvw_str(&w, sw->cells[i][j]);
    gn_csvw_end_row(&w);
    if (fclose(f) != 0 || w.failed) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Appends run i's row to sw->runs_path (through sw->runs_fd, opened when
 * the table was last written whole: a sweep out of file descriptors still
 * records its runs) with one write() and flushes it to disk. A write cut
 * short is cut off again, so the table ends with a whole row. 0, or -1
 * with err. */
static int append_row(sweep *sw, int i, char *err, size_t errlen)
{
    size_t len;
    char *text = row_text(sw, i, &len);
    if (!text) {
        snprintf(err, errlen, "%s: out of memory", sw->runs_path);
        return -1;
    }
    const char *what = NULL;
    int e = 0;
    struct stat st;
    int fd = sw->runs_fd;
    if (fd < 0)
        what = "not open for appending", e = EBADF;
    else if (fstat(fd, &st) != 0)
        what = "cannot stat", e = errno;
    else {
        ssize_t w = write(fd, text, len);
        if (w != (ssize_t)len) {
            what = "cannot append a row", e = w < 0 ? errno : ENOSPC;
            if (w > 0 && ftruncate(fd, st.st_size) != 0) what = "cannot cut off a torn row";
        } else if (fdatasync(fd) != 0 && errno != EINVAL)
            what = "fdatasync", e = errno;
    }
    free(text);
    if (!what) return 0;
    snprintf(err, errlen, "%s: %s: %s", sw->runs_path, what, strerror(e));
    return -1;
}

int gn_runs_record(sweep *sw, int i)
{
    char err[GN_RUN_PATH + 256];
    if (!sw->cells[i]) return gn_runs_write(sw); /* out of memory filling it */
    if (!sw->write_failed && append_row(sw, i, err, sizeof err) == 0) {
        sw->appended++;
        return 0;
    }
    return gn_runs_write(sw); /* the whole table: the cause may be the append alone */
}

void gn_runs_finish(sweep *sw)
{
    char err[GN_RUN_PATH + 256];
    if (sw->write_failed)
        gn_runs_write(sw); /* once more: the cause may have gone */
    else if (sw->appended && write_table(sw, err, sizeof err) != 0)
        fprintf(stderr,
                "gnbench: warning: %s holds every run, in the order they finished, not the "
                "grid's: %s\n",
                sw->runs_path, err);
    gn_runs_close(sw);
}

void gn_runs_close(sweep *sw)
{
    if (sw->runs_fd >= 0) close(sw->runs_fd);
    sw->runs_fd = -1;
}

void gn_runs_clear(sweep *sw, int i)
{
    if (!sw->cells[i]) return;
    for (int j = 0; j < sw->n_cols; j++)
        free(sw->cells[i][j]);
    free(sw->cells[i]);
    sw->cells[i] = NULL;
}

/* The text of a result cell of the type the schema gives (schema.h). */
static char *result_cell(const gn_column *col, const run_result *res)
{
    const char *field = (const char *)res + col->offset;
    char buf[64];
    long l;
    double v;
    switch (col->type) {
    case GN_COL_INT:
        memcpy(&l, field, sizeof l);
        snprintf(buf, sizeof buf, "%ld", l);
        return dupstr(buf);
    case GN_COL_FLAG: {
        int f;
        memcpy(&f, field, sizeof f);
        return dupstr(f < 0 ? "" : f ? "true" : "false");
    }
    case GN_COL_TEXT:
        return dupstr(field);
    case GN_COL_TEXT_PTR: {
        const char *t;
        memcpy(&t, field, sizeof t);
        return dupstr(t ? t : "");
    }
    default:
        break;
    }
    memcpy(&v, field, sizeof v);
    switch (col->type) {
    case GN_COL_COUNT:
        if (isnan(v)) return dupstr("");
        snprintf(buf, sizeof buf, "%.0f", v);
        return dupstr(buf);
    case GN_COL_MIB:
        snprintf(buf, sizeof buf, "%.1f", v);
        return dupstr(buf);
    case GN_COL_REAL_NAN:
        return fmt_real_nan(v);
    default:
        return fmt_real(v);
    }
}

void gn_runs_fill(sweep *sw, int i, const run_result *result, double rss_mib,
                  const char *dataset_identity)
{
    const gn_run_spec *r = &sw->ex->runs[i];
    run_result res = *result;
    res.peak_rss_mib = rss_mib;
    res.dataset_identity = dataset_identity;
    gn_runs_clear(sw, i);
    char **c = calloc((size_t)sw->n_cols, sizeof *c);
    if (!c) return;
    int k = 0;
    char buf[64];
    c[k++] = dupstr(r->run_id);
    c[k++] = dupstr(gn_run_status_name(res.status));
    c[k++] = dupstr(r->optim->name);
    c[k++] = dupstr(gn_experiment_entry_label(sw->ex, r->entry));
    snprintf(buf, sizeof buf, "%ld", r->seed);
    c[k++] = dupstr(buf);
    c[k++] = dupstr(gn_run_phase_name(r->phase));
    snprintf(buf, sizeof buf, "%d", r->study);
    c[k++] = dupstr(r->study >= 0 ? buf : "");
    snprintf(buf, sizeof buf, "%d", r->trial);
    c[k++] = dupstr(r->trial >= 0 && r->phase == GN_PHASE_TUNE ? buf : "");
    c[k++] = dupstr(r->config_id);
    for (int j = 0; j < sw->ex->n_columns; j++) {
        const char *key = sw->ex->columns[j];
        if (strcmp(key, "train.batch") == 0 && res.batch > 0) { /* the batch the run used */
            snprintf(buf, sizeof buf, "%ld", res.batch);
            c[k++] = dupstr(buf);
        } else {
            c[k++] = dupstr(gn_settings_get(&r->settings, key));
        }
    }
    for (const gn_column *col = gn_runs_result_columns; col->name; col++)
        c[k++] = result_cell(col, &res);
    sw->cells[i] = c;
}

char **gn_runs_header(const gn_experiment *ex, int *n_cols)
{
    int n_key = 0, n_result = 0;
    while (gn_runs_key_columns[n_key].name)
        n_key++;
    while (gn_runs_result_columns[n_result].name)
        n_result++;
    *n_cols = n_key + ex->n_columns + n_result;
    char **h = calloc((size_t)*n_cols, sizeof *h);
    if (!h) return NULL;
    int k = 0;
    for (int j = 0; j < n_key; j++)
        h[k++] = (char *)gn_runs_key_columns[j].name;
    for (int j = 0; j < ex->n_columns; j++)
        h[k++] = ex->columns[j];
    for (int j = 0; j < n_result; j++)
        h[k++] = (char *)gn_runs_result_columns[j].name;
    return h;
}

/* ---- the tables of a results folder ---- */

static int cmp_table_ref(const void *a, const void *b)
{
    const table_ref *x = a, *y = b;
    if (x->n != y->n) return (x->n > y->n) - (x->n < y->n);
    return (x->k > y->k) - (x->k < y->k);
}

/* Parses "<prefix>.csv" (0/0) or "<prefix>.shard-K-of-N.csv". */
static int table_name_parse(const char *name, const char *prefix, int *k, int *n)
{
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl) != 0) return 0;
    name += pl;
    if (strcmp(name, ".csv") == 0) {
        *k = *n = 0;
        return 1;
    }
    if (strncmp(name, ".shard-", 7) != 0) return 0;
    char *end;
    long kk = strtol(name + 7, &end, 10);
    if (end == name + 7 || strncmp(end, "-of-", 4) != 0) return 0;
    const char *q = end + 4;
    long nn = strtol(q, &end, 10);
    if (end == q || strcmp(end, ".csv") != 0 || kk < 1 || kk > nn || nn > 1000000) return 0;
    *k = (int)kk;
    *n = (int)nn;
    return 1;
}

int gn_tables_list(const char *dir, const char *prefix, table_ref **out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0, cap = 0;
    table_ref *t = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int k, nn;
        if (strlen(e->d_name) >= sizeof t->name || !table_name_parse(e->d_name, prefix, &k, &nn))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            table_ref *nt = realloc(t, sizeof *t * (size_t)cap);
            if (!nt) {
                free(t);
                closedir(d);
                return -1;
            }
            t = nt;
        }
        snprintf(t[n].path, sizeof t[n].path, "%s/%s", dir, e->d_name);
        snprintf(t[n].name, sizeof t[n].name, "%s", e->d_name);
        t[n].k = k;
        t[n].n = nn;
        n++;
    }
    closedir(d);
    if (n > 1) qsort(t, (size_t)n, sizeof *t, cmp_table_ref);
    *out = t;
    return n;
}

/* ---- the run-id index ---- */

static uint64_t id_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

int gn_run_index_init(gn_run_index *x, const gn_experiment *ex)
{
    x->ex = ex;
    x->mask = 0;
    size_t cap = 16;
    while (cap < 2 * (size_t)ex->n_runs)
        cap *= 2;
    x->slot = malloc(sizeof *x->slot * cap);
    if (!x->slot) return -1;
    for (size_t k = 0; k < cap; k++)
        x->slot[k] = -1;
    x->mask = cap - 1;
    for (int i = 0; i < ex->n_runs; i++) {
        size_t k = id_hash(ex->runs[i].run_id) & x->mask;
        while (x->slot[k] >= 0)
            k = (k + 1) & x->mask;
        x->slot[k] = i;
    }
    return 0;
}

int gn_run_index_find(const gn_run_index *x, const char *id)
{
    if (!x->slot) { /* no index (out of memory): the slow way */
        for (int i = 0; i < x->ex->n_runs; i++)
            if (strcmp(x->ex->runs[i].run_id, id) == 0) return i;
        return -1;
    }
    for (size_t k = id_hash(id) & x->mask; x->slot[k] >= 0; k = (k + 1) & x->mask)
        if (strcmp(x->ex->runs[x->slot[k]].run_id, id) == 0) return x->slot[k];
    return -1;
}

void gn_run_index_free(gn_run_index *x)
{
    free(x->slot);
    x->slot = NULL;
}

void gn_runs_free_row(char **c, int n_cols)
{
    if (!c) return;
    for (int j = 0; j < n_cols; j++)
        free(c[j]);
    free(c);
}

/* The rows of one table t of folder dir (index d) into picks; map[j]: the
 * table's column of header column j (-1: none); cid, cst: its run_id and
 * status columns; clabel: the header's label column (-1: none), which is
 * taken from the experiment, not the table: a label names the method, not
 * the run, so a table from before the column, or from before a label was
 * renamed, gets the label the run's entry has now. */
static void collect_table(const gn_experiment *ex, const gn_run_index *ix, const gn_table *t,
                          const int *map, int n_cols, int cid, int cst, int clabel, const char *dir,
                          int d, row_pick *picks, int *foreign)
{
    for (int row = 0; row < t->n_rows; row++) {
        const char *id = gn_table_cell(t, row, cid);
        int i = gn_run_index_find(ix, id);
        if (i < 0) {
            (*foreign)++;
            continue;
        }
        int rank = 1;
        if (gn_run_status_text_finished(gn_table_cell(t, row, cst))) {
            char tp[GN_RUN_PATH];
            snprintf(tp, sizeof tp, "%s/traces/%s.csv", dir, id);
            rank = gn_fs_exists(tp) ? 2 : 0;
        }
        if (picks[i].cells && rank < picks[i].rank) continue;
        char **c = calloc((size_t)n_cols, sizeof *c);
        if (!c) continue;
        for (int j = 0; j < n_cols; j++)
            c[j] = dupstr(j == clabel   ? gn_experiment_entry_label(ex, ex->runs[i].entry)
                          : map[j] >= 0 ? gn_table_cell(t, row, map[j])
                                        : "");
        gn_runs_free_row(picks[i].cells, n_cols);
        picks[i] = (row_pick){c, rank, d};
    }
}

int gn_runs_collect(const gn_experiment *ex, char *const *header, int n_cols,
                    const char *const *dirs, int n_dirs, row_pick *picks, int *foreign)
{
    int n_read = 0;
    *foreign = 0;
    gn_run_index ix;
    gn_run_index_init(&ix, ex); /* on failure find searches the slow way */
    for (int d = 0; d < n_dirs; d++) {
        table_ref *tabs;
        int nt = gn_tables_list(dirs[d], "runs", &tabs);
        for (int ti = 0; ti < nt; ti++) {
            char err[256];
            gn_table t;
            if (gn_table_read_ex(tabs[ti].path, GN_TABLE_KEEP_COMPLETE, &t, err, sizeof err) != 0) {
                fprintf(stderr,
                        "gnbench: warning: ignoring unreadable %s (%s); its runs will be redone\n",
                        tabs[ti].path, err);
                continue;
            }
            if (t.n_dropped > 0)
                fprintf(stderr,
                        "gnbench: warning: %s:%d: %d incomplete row%s left out (a damaged "
                        "table); the complete rows are kept\n",
                        tabs[ti].path, t.dropped_line, t.n_dropped, t.n_dropped == 1 ? "" : "s");
            int cid = gn_table_col(&t, "run_id"), cst = gn_table_col(&t, "status");
            int *map = malloc(sizeof *map * (size_t)n_cols);
            if (cid < 0 || cst < 0 || !map) {
                free(map);
                gn_table_free(&t);
                continue;
            }
            int clabel = -1;
            for (int j = 0; j < n_cols; j++) {
                map[j] = gn_table_col(&t, header[j]);
                if (!strcmp(header[j], "label")) clabel = j;
            }
            n_read++;
            collect_table(ex, &ix, &t, map, n_cols, cid, cst, clabel, dirs[d], d, picks, foreign);
            free(map);
            gn_table_free(&t);
        }
        free(tabs);
    }
    gn_run_index_free(&ix);
    return n_read;
}

/* Whether the row's dataset_identity (column c; -1 none) differs from
 * the identity of the data the run would now use: such a row is redone. An
 * empty cell (a table from before the column) is taken as it is. */
static int identity_changed(char **cells, int c, const char *now)
{
    return c >= 0 && cells[c][0] && now && strcmp(cells[c], now) != 0;
}

void gn_runs_resume(sweep *sw, const char *take, const prepared *pp)
{
    row_pick *p = calloc((size_t)sw->ex->n_runs + 1, sizeof *p);
    if (!p) return;
    const char *dirs[1] = {sw->opt->out_dir};
    int foreign, changed = 0, cid = -1;
    for (int j = 0; j < sw->n_cols; j++)
        if (strcmp(sw->header[j], "dataset_identity") == 0) cid = j;
    gn_runs_collect(sw->ex, sw->header, sw->n_cols, dirs, 1, p, &foreign);
    for (int i = 0; i < sw->ex->n_runs; i++) {
        if (p[i].cells && p[i].rank == 2 && (!take || take[i]) &&
            identity_changed(p[i].cells, cid, pp->cache[pp->ds_of[i]].ds.identity)) {
            changed++;
        } else if (p[i].cells && p[i].rank == 2 && (!take || take[i])) {
            gn_runs_clear(sw, i);
            sw->cells[i] = p[i].cells;
            p[i].cells = NULL;
        }
        gn_runs_free_row(p[i].cells, sw->n_cols);
    }
    free(p);
    if (changed)
        fprintf(stderr,
                "gnbench: %d finished run%s redone: the data changed since (the row's "
                "dataset_identity differs from the data's now)\n",
                changed, changed == 1 ? "" : "s");
}
