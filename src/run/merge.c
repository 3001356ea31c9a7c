/* merge.c: assembles the tables of one experiment's results folders (a
 * sweep's runs.csv, the shards' runs.shard-K-of-N.csv) into one runs.csv
 * in grid order, copies the chosen runs' traces and experiment.yaml next
 * to it and writes the merge's manifest (gn_runner_merge; also the last
 * shard of a sweep to finish). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "io/csvio.h"
#include "run/run_internal.h"

static int same_dir(const char *a, const char *b)
{
    char ra[GN_RUN_PATH], rb[GN_RUN_PATH];
    if (!realpath(a, ra) || !realpath(b, rb)) return strcmp(a, b) == 0;
    return strcmp(ra, rb) == 0;
}

/* Copies the traces of runs picked from other folders than out_dir, and
 * writes experiment.yaml when out_dir lacks it. 0, or 1 when one failed
 * (message printed). */
static int copy_inputs(const gn_experiment *ex, const gn_merge_options *o, const row_pick *p,
                       const char *tag)
{
    int rc = 0;
    char path[GN_RUN_PATH];
    for (int i = 0; i < ex->n_runs; i++) {
        if (!p[i].cells || same_dir(o->dirs[p[i].dir], o->out_dir)) continue;
        char src[GN_RUN_PATH], dst[GN_RUN_PATH];
        snprintf(src, sizeof src, "%s/traces/%s.csv", o->dirs[p[i].dir], ex->runs[i].run_id);
        snprintf(dst, sizeof dst, "%s/traces/%s.csv", o->out_dir, ex->runs[i].run_id);
        if (gn_fs_exists(src) && gn_fs_copy_atomic(src, dst, tag, NULL, 0) != 0) {
            fprintf(stderr, "gnbench: cannot copy %s to %s: %s\n", src, dst, strerror(errno));
            rc = 1;
        }
    }
    snprintf(path, sizeof path, "%s/experiment.yaml", o->out_dir);
    if (!gn_fs_exists(path) &&
        gn_fs_write_atomic(path, ex->text, strlen(ex->text), tag, NULL, 0) != 0) {
        fprintf(stderr, "gnbench: cannot write %s: %s\n", path, strerror(errno));
        rc = 1;
    }
    return rc;
}

/* out_dir/runs.csv in grid order, through a temporary file of this writer
 * (named after tag). 0, or -1 (message printed). */
static int write_merged_runs(const gn_experiment *ex, const gn_merge_options *o,
                             char *const *header, int n_cols, const row_pick *p, const char *tag)
{
    char path[GN_RUN_PATH], inter[GN_RUN_PATH], err[512] = "";
    snprintf(path, sizeof path, "%s/runs.csv", o->out_dir);
    snprintf(inter, sizeof inter, "%s/runs.csv.%s", o->out_dir, tag);
    gn_csv_writer w;
    if (gn_csvw_open(&w, inter, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        return -1;
    }
    for (int j = 0; j < n_cols; j++)
        gn_csvw_str(&w, header[j]);
    gn_csvw_end_row(&w);
    for (int i = 0; i < ex->n_runs; i++) {
        if (!p[i].cells) continue;
        for (int j = 0; j < n_cols; j++)
            gn_csvw_str(&w, p[i].cells[j]);
        gn_csvw_end_row(&w);
    }
    if (gn_csvw_commit(&w, err, sizeof err) != 0 || rename(inter, path) != 0) {
        fprintf(stderr, "gnbench: cannot write %s: %s\n", path, err[0] ? err : strerror(errno));
        return -1;
    }
    return 0;
}

/* The tables read, "dir/name;dir/name..." for the manifest (the output
 * folder's runs.csv left out); malloc'd, NULL when there are none. */
static char *tables_read(const gn_merge_options *o)
{
    size_t len = 1;
    char *tables = NULL;
    for (int d = 0; d < o->n_dirs; d++) {
        table_ref *t;
        int nt = gn_tables_list(o->dirs[d], "runs", &t);
        for (int k = 0; k < nt; k++) {
            if (t[k].n == 0 && same_dir(o->dirs[d], o->out_dir)) continue; /* the output */
            size_t add = strlen(o->dirs[d]) + strlen(t[k].name) + 2;
            char *nt2 = realloc(tables, len + add);
            if (!nt2) break;
            if (!tables) nt2[0] = 0;
            tables = nt2;
            snprintf(tables + len - 1, add + 1, "%s%s/%s", len > 1 ? ";" : "", o->dirs[d],
                     t[k].name);
            len = strlen(tables) + 1;
        }
        free(t);
    }
    return tables;
}

/* What the picks hold. */
typedef struct merge_count {
    int present, finished, errors, no_trace, foreign, n_tables;
} merge_count;

/* The summary on stderr: what was merged, what is missing. */
static void report(const gn_experiment *ex, const gn_merge_options *o, const row_pick *p,
                   const merge_count *n)
{
    fprintf(stderr,
            "gnbench: merged %d table(s) from %d folder(s) into %s/runs.csv: %d of %d runs "
            "(%d finished, %d error%s)\n",
            n->n_tables, o->n_dirs, o->out_dir, n->present, ex->n_runs, n->finished, n->errors,
            n->no_trace ? ", some finished without their trace" : "");
    if (n->foreign)
        fprintf(stderr,
                "gnbench: warning: %d row(s) of run ids outside the grid of %s%s were left out\n",
                n->foreign, ex->path, ex->quick ? " (quick)" : "");
    if (n->present < ex->n_runs) {
        fprintf(stderr, "gnbench: %d run(s) missing:", ex->n_runs - n->present);
        int shown = 0;
        for (int i = 0; i < ex->n_runs && shown < 10; i++)
            if (!p[i].cells) fprintf(stderr, " %s", ex->runs[i].run_id), shown++;
        fprintf(stderr,
                "%s\ngnbench: rerun the shards that hold them (`gnbench run FILE --shard K/N` "
                "resumes), then merge again\n",
                ex->n_runs - n->present > shown ? " ..." : "");
    }
}

int gn_merge_folders(const gn_experiment *ex, const gn_merge_options *o, const char *tag,
                     int require_complete, int *merged)
{
    int n_cols, rc = 0;
    merge_count n = {0};
    if (merged) *merged = 0;
    char **header = gn_runs_header(ex, &n_cols);
    row_pick *p = calloc((size_t)ex->n_runs + 1, sizeof *p);
    if (!header || !p) {
        free(header);
        free(p);
        return 1;
    }
    n.n_tables = gn_runs_collect(ex, header, n_cols, o->dirs, o->n_dirs, p, &n.foreign);
    for (int i = 0; i < ex->n_runs; i++) {
        if (!p[i].cells) continue;
        n.present++;
        if (p[i].rank == 2)
            n.finished++;
        else if (p[i].rank == 1)
            n.errors++;
        else
            n.no_trace++;
    }
    if (require_complete && n.present < ex->n_runs) goto done;

    char path[GN_RUN_PATH];
    snprintf(path, sizeof path, "%s/traces", o->out_dir);
    if (gn_fs_mkdir_p(path) != 0) {
        fprintf(stderr, "gnbench: cannot create %s: %s\n", path, strerror(errno));
        rc = 1;
        goto done;
    }
    rc = copy_inputs(ex, o, p, tag);
    if (write_merged_runs(ex, o, header, n_cols, p, tag) != 0) {
        rc = 1;
        goto done;
    }
    if (merged) *merged = 1;
    char *tables = tables_read(o);
    if (gn_manifest_write_merged(o, n.finished, n.present, ex->n_runs, tables ? tables : "", tag) !=
        0)
        rc = 1;
    free(tables);
    report(ex, o, p, &n);
    if (n.present < ex->n_runs || n.errors || n.no_trace) rc = rc ? rc : 1;

done:
    for (int i = 0; i < ex->n_runs; i++)
        gn_runs_free_row(p[i].cells, n_cols);
    free(p);
    free(header);
    return rc;
}

int gn_runner_merge(const gn_experiment *ex, const gn_merge_options *o, int *tables_ready)
{
    return gn_merge_folders(ex, o, "merge", 0, tables_ready);
}
