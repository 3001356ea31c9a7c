/* manifest.c: manifest.csv, the key/value record of where and how a sweep
 * ran (versions, host, BLIS, threads, shard, MPI layout, runs finished,
 * dataset identities), and the manifest of a merge, assembled from the
 * shards' manifests. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gn_config.h"
#include "gn_revision.h"
#include "io/csvio.h"
#include "la/blas.h"
#include "la/vmath.h"
#include "run/run_internal.h"

/* One key/value row. */
static void kv(gn_csv_writer *w, const char *k, const char *v)
{
    gn_csvw_str(w, k);
    gn_csvw_str(w, v);
    gn_csvw_end_row(w);
}

#ifdef GN_HAVE_MPI
/* The MPI rows of the manifest: library, ranks, one row per node with its
 * host, ranks, cores and BLAS threads. */
static void mpi_rows(gn_csv_writer *w, const gn_mpi_rank_info *ranks)
{
    char buf[64];
    int n = gn_mpi_size(), nodes = 0;
    kv(w, "mpi_library", gn_mpi_library());
    snprintf(buf, sizeof buf, "%d", n);
    kv(w, "mpi_ranks", buf);
    kv(w, "mpi_scheduler", "rank 0 schedules and writes; ranks 1.. run one run at a time each");
    for (int r = 0; r < n; r++) {
        if (ranks[r].local_rank != 0) continue;
        char key[32], val[1024];
        int len = snprintf(val, sizeof val, "host=%s ranks=", ranks[r].host);
        int first = 1;
        for (int q = 0; q < n && len < (int)sizeof val - 40; q++)
            if (strcmp(ranks[q].host, ranks[r].host) == 0) {
                len += snprintf(val + len, sizeof val - (size_t)len, "%s%d", first ? "" : ",", q);
                first = 0;
            }
        snprintf(val + len, sizeof val - (size_t)len, " cores_per_rank=%d blas_threads=%d",
                 ranks[r].cores, ranks[r].threads);
        snprintf(key, sizeof key, "mpi_node_%d", nodes++);
        kv(w, key, val);
    }
    snprintf(buf, sizeof buf, "%d", nodes);
    kv(w, "mpi_nodes", buf);
}
#endif

/* The protocol's rows: its settings, the target and each entry's budget. */
static void protocol_rows(gn_csv_writer *w, const gn_experiment *ex)
{
    static const char *const rules[] = {"time_to_target", "final_val_loss", "best_val_loss"};
    const gn_protocol *p = &ex->protocol;
    char buf[64], key[256];
    kv(w, "protocol_select", p->select >= 0 && p->select < 3 ? rules[p->select] : "");
    snprintf(buf, sizeof buf, "%ld", p->trials);
    kv(w, "protocol_trials", buf);
    snprintf(buf, sizeof buf, "%ld", p->studies);
    kv(w, "protocol_studies", buf);
    snprintf(buf, sizeof buf, "%ld", p->confirm_seeds);
    kv(w, "protocol_confirm_seeds", buf);
    snprintf(buf, sizeof buf, "%ld", p->seed);
    kv(w, "protocol_seed", buf);
    kv(w, "protocol_baselines", p->baselines);
    gn_target_metric m;
    double v;
    if (p->target_auto) {
        m = ex->n_runs && ex->runs[0].train.target_metric >= 0
                ? (gn_target_metric)ex->runs[0].train.target_metric
                : GN_TARGET_VAL_LOSS;
        kv(w, "target_metric", gn_target_metric_names[m]);
        gn_csv_format_real(buf, sizeof buf, p->target_value);
        kv(w, "target_value", isnan(p->target_value) ? "" : buf);
        kv(w, "target_source", "auto");
    } else if (ex->n_runs && gn_train_target(&ex->runs[0].train, &m, &v)) {
        kv(w, "target_metric", gn_target_metric_names[m]);
        gn_csv_format_real(buf, sizeof buf, v);
        kv(w, "target_value", buf);
        kv(w, "target_source", "given");
    }
    for (int k = 0; k < p->n_entries; k++) {
        const gn_run_spec *r = NULL;
        for (int i = 0; i < ex->n_runs && !r; i++)
            if (ex->runs[i].entry == k) r = &ex->runs[i];
        if (!r) continue;
        snprintf(key, sizeof key, "trials_%s", gn_experiment_entry_name(ex, k, r->optim));
        snprintf(buf, sizeof buf, "%ld%s", p->entry_trials[k],
                 p->entry_explicit[k] ? " (set by the entry)" : "");
        kv(w, key, buf);
    }
}

/* The rows of a sweep's manifest (see gn_manifest_write). */
static void sweep_rows(gn_csv_writer *w, const sweep *sw, const char *end_time, int done,
                       const ds_entry *datasets, int n_datasets)
{
    const gn_experiment *ex = sw->ex;
    const gn_run_options *o = sw->opt;
    char host[256] = "", cpu[256], buf[64];
    gethostname(host, sizeof host - 1);
    gn_host_cpu_model(cpu, sizeof cpu);
    kv(w, "key", "value");
    kv(w, "gnbench_version", GN_VERSION);
    kv(w, "git_revision", GN_REVISION);
    kv(w, "command_line", o->command_line);
    kv(w, "experiment", ex->name);
    kv(w, "experiment_file", ex->path);
    kv(w, "quick", o->quick ? "true" : "false");
    kv(w, "start_time", sw->start);
    kv(w, "end_time", end_time);
    kv(w, "host", host);
    kv(w, "cpu_model", cpu);
    snprintf(buf, sizeof buf, "%d", gn_available_cores());
    kv(w, "cores", buf);
    kv(w, "blis_version", sw->blis.version);
    kv(w, "blis_arch", sw->blis.arch);
    kv(w, "blis_arch_source", sw->blis.source);
    const char *want = gn_blas_arch_for_cpu();
    kv(w, "blis_arch_for_cpu_flags", want ? want : "generic");
    kv(w, "vector_math", gn_vmath_isa());
    kv(w, "blas_threads", sw->threads_desc);
    snprintf(buf, sizeof buf, "%d", o->jobs);
    kv(w, "jobs", buf);
    /* more BLAS threads than cores at once: step times are not trustworthy */
    int jobs = o->jobs > 0 ? o->jobs : 1;
    kv(w, "oversubscribed", jobs * sw->threads > gn_available_cores() ? "true" : "false");
    if (o->shard_n > 0) {
        snprintf(buf, sizeof buf, "%d/%d", o->shard_k, o->shard_n);
        kv(w, "shard", buf);
        snprintf(buf, sizeof buf, "%d", sw->shard_runs);
        kv(w, "shard_runs", buf);
        snprintf(buf, sizeof buf, "%.4f",
                 sw->total_cost ? (double)sw->shard_cost / (double)sw->total_cost : 0.0);
        kv(w, "shard_cost_share", buf);
    }
#ifdef GN_HAVE_MPI
    if (sw->ranks) mpi_rows(w, sw->ranks);
#endif
    kv(w, "compiler", GN_CC);
    kv(w, "cflags", GN_CFLAGS);
    if (ex->protocol.on) protocol_rows(w, ex);
    snprintf(buf, sizeof buf, "%d", ex->n_runs);
    kv(w, "runs_total", buf);
    snprintf(buf, sizeof buf, "%d", done);
    kv(w, "runs_finished", buf);
    for (int k = 0; k < n_datasets; k++) {
        char key[32];
        snprintf(key, sizeof key, n_datasets > 1 ? "dataset_identity_%d" : "dataset_identity",
                 k + 1);
        kv(w, key, datasets[k].ds.identity);
    }
}

int gn_manifest_write(sweep *sw, const char *end_time, int done, const ds_entry *datasets,
                      int n_datasets)
{
    char err[256];
    gn_csv_writer w;
    if (gn_csvw_open(&w, sw->manifest_path, err, sizeof err) != 0) {
        gn_sweep_write_failed(sw, err);
        return -1;
    }
    sweep_rows(&w, sw, end_time, done, datasets, n_datasets);
    if (gn_csvw_commit(&w, err, sizeof err) != 0) {
        gn_sweep_write_failed(sw, err);
        return -1;
    }
    return 0;
}

/* ---- the manifest of a merge ---- */

#define MAX_MERGE_DIRS 64

/* The manifests of the folders merged (the first MAX_MERGE_DIRS). */
typedef struct manifests {
    table_ref *t[MAX_MERGE_DIRS];
    int n[MAX_MERGE_DIRS];
    int nd;
} manifests;

static const char *kv_get(const gn_table *t, const char *key)
{
    for (int r = 0; r < t->n_rows; r++)
        if (strcmp(gn_table_cell(t, r, 0), key) == 0) return gn_table_cell(t, r, 1);
    return "";
}

/* Reads the base of the merged manifest into *base: the first shard
 * manifest, else the first manifest.csv (key/value tables only). Returns
 * whether there is one. */
static int read_base(const manifests *m, gn_table *base)
{
    char err[256];
    for (int pass = 0; pass < 2; pass++)
        for (int d = 0; d < m->nd; d++)
            for (int j = 0; j < m->n[d]; j++)
                if ((pass == 0) == (m->t[d][j].n > 0) &&
                    gn_table_read(m->t[d][j].path, base, err, sizeof err) == 0) {
                    if (base->n_cols == 2) return 1;
                    gn_table_free(base);
                }
    return 0;
}

/* The latest end time over the shard manifests into end (len bytes). */
static void latest_end(const manifests *m, char *end, size_t len)
{
    char err[256];
    for (int d = 0; d < m->nd; d++)
        for (int j = 0; j < m->n[d]; j++) {
            gn_table t;
            if (m->t[d][j].n == 0 || gn_table_read(m->t[d][j].path, &t, err, sizeof err) != 0)
                continue;
            if (t.n_cols == 2 && strcmp(kv_get(&t, "end_time"), end) > 0)
                snprintf(end, len, "%s", kv_get(&t, "end_time"));
            gn_table_free(&t);
        }
}

/* The base's rows, end_time set to end, without the per-shard and merge
 * keys. */
static void base_rows(gn_csv_writer *w, const gn_table *base, const char *end)
{
    for (int r = 0; r < base->n_rows; r++) {
        const char *k = gn_table_cell(base, r, 0);
        if (strcmp(k, "end_time") == 0) {
            kv(w, k, end);
            continue;
        }
        if (strcmp(k, "runs_finished") == 0 || strcmp(k, "shard") == 0 ||
            strncmp(k, "shard_", 6) == 0 || strncmp(k, "merge_", 6) == 0)
            continue;
        kv(w, k, gn_table_cell(base, r, 1));
    }
}

/* The merge's own rows. */
static void merge_rows(gn_csv_writer *w, const gn_merge_options *o, int finished, int present,
                       int n_runs, const char *tables)
{
    char buf[64], now[32];
    snprintf(buf, sizeof buf, "%d", finished);
    kv(w, "runs_finished", buf);
    snprintf(buf, sizeof buf, "%d of %d", present, n_runs);
    kv(w, "merge_runs_present", buf);
    gn_host_iso_now(now, sizeof now);
    kv(w, "merge_time", now);
    kv(w, "merge_command_line", o->command_line ? o->command_line : "");
    kv(w, "merge_tables", tables);
}

/* One row per shard manifest: where and when it ran. */
static void shard_rows(gn_csv_writer *w, const gn_merge_options *o, const manifests *m)
{
    char err[256];
    for (int d = 0; d < m->nd; d++)
        for (int j = 0; j < m->n[d]; j++) {
            const table_ref *ref = &m->t[d][j];
            gn_table t;
            if (ref->n == 0 || gn_table_read(ref->path, &t, err, sizeof err) != 0) continue;
            if (t.n_cols == 2) {
                char key[64], val[1024];
                snprintf(key, sizeof key, "shard_%d_of_%d", ref->k, ref->n);
                const char *mr = kv_get(&t, "mpi_ranks");
                snprintf(val, sizeof val,
                         "dir=%s host=%s start=%s end=%s runs_finished=%s blas_threads=%s%s%s",
                         o->dirs[d], kv_get(&t, "host"), kv_get(&t, "start_time"),
                         kv_get(&t, "end_time"), kv_get(&t, "runs_finished"),
                         kv_get(&t, "blas_threads"), mr[0] ? " mpi_ranks=" : "", mr);
                kv(w, key, val);
            }
            gn_table_free(&t);
        }
}

int gn_manifest_write_merged(const gn_merge_options *o, int finished, int present, int n_runs,
                             const char *tables, const char *tag)
{
    manifests m;
    m.nd = o->n_dirs < MAX_MERGE_DIRS ? o->n_dirs : MAX_MERGE_DIRS;
    for (int d = 0; d < m.nd; d++)
        m.n[d] = gn_tables_list(o->dirs[d], "manifest", &m.t[d]);
    gn_table base;
    int have_base = read_base(&m, &base);

    char err[256], path[GN_RUN_PATH], inter[GN_RUN_PATH], end[32] = "";
    snprintf(path, sizeof path, "%s/manifest.csv", o->out_dir);
    snprintf(inter, sizeof inter, "%s/manifest.csv.%s", o->out_dir, tag);
    gn_csv_writer w;
    int rc = gn_csvw_open(&w, inter, err, sizeof err);
    if (rc == 0) {
        kv(&w, "key", "value");
        latest_end(&m, end, sizeof end);
        if (have_base) {
            if (!end[0]) snprintf(end, sizeof end, "%s", kv_get(&base, "end_time"));
            base_rows(&w, &base, end);
        }
        merge_rows(&w, o, finished, present, n_runs, tables);
        shard_rows(&w, o, &m);
        rc = gn_csvw_commit(&w, err, sizeof err);
        if (rc == 0 && rename(inter, path) != 0) {
            snprintf(err, sizeof err, "%.200s: %s", path, strerror(errno));
            rc = -1;
        }
    }
    if (rc != 0) fprintf(stderr, "gnbench: %s\n", err);
    if (have_base) gn_table_free(&base);
    for (int d = 0; d < m.nd; d++)
        free(m.t[d]);
    return rc;
}
