/* run_internal.h: what the files of the runner (src/run/) share; not part
 * of the public interface (that is runner.h, shard.h and mpi_sched.h).
 *
 * The runner's files, one job each:
 *   sweep.c        gn_runner_run: the orchestration of one sweep
 *   prepare.c      datasets loaded once, models and memory checked
 *   plan.c         what a run needs at its batch: model, iterations, plan
 *   shard.c        cost estimate and LPT shard assignment
 *   train.c        the training loop of one run (in its child process)
 *   trace.c        traces/<run_id>.csv
 *   child.c        the run process and the BLIS probe process
 *   sched_local.c  slots of forked children, wait4, stop signals
 *   sched_mpi.c    rank-0 dispatch and the worker ranks (GN_HAVE_MPI only;
 *                  the transport is mpi_sched.c)
 *   runs_table.c   runs.csv rows, table discovery, resume
 *   folder.c       the results folder: lock, grid check, stale temporary
 *                  files, rows set aside
 *   manifest.c     manifest.csv of a sweep and of a merge
 *   host.c         facts about the machine: cores, CPU model, memory, time
 *   merge.c        gn_runner_merge: shard tables into one runs.csv */
#ifndef GN_RUN_INTERNAL_H
#define GN_RUN_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "data/dataset.h"
#include "exp/experiment.h"
#include "io/csvio.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "results/schema.h"
#include "run/runner.h"
#ifdef GN_HAVE_MPI
#include "run/mpi_sched.h"
#endif

/* Room for every path the runner composes: a folder of up to PATH_MAX
 * (4096) bytes and below it "/traces/<run_id>.csv" (run ids have fewer than
 * 80 bytes) or a temporary-file suffix. A longer path the system would
 * reject anyway, so nothing the system accepts is ever cut short. */
#define GN_RUN_PATH 4608

/* Samples per forward pass when a whole set is evaluated. */
#define GN_RUN_EVAL_CHUNK 256

/* What a child sends back: gn_run_result (schema.h). */
typedef gn_run_result run_result;

/* ---- host.c: the machine ---- */

/* "model name" of /proc/cpuinfo, or "unknown". */
void gn_host_cpu_model(char *buf, size_t len);
/* The current UTC time as 2024-01-31T12:00:00Z. */
void gn_host_iso_now(char *buf, size_t len);
/* Physical memory in MiB (1e9 when unknown). */
double gn_host_physical_mib(void);

/* ---- plan.c: what one run needs ---- */

/* The run's model on dataset ds (its input and output widths). */
int gn_run_model(const gn_run_spec *r, const gn_dataset *ds, gn_mlp_config *cfg, char *err,
                 size_t errlen);
/* The batch a run steps on. */
int gn_run_batch(const gn_run_spec *r, const gn_dataset *ds);
/* The steps a run takes at batch b (train.epochs or train.iterations). */
long gn_run_iterations(const gn_run_spec *r, const gn_dataset *ds, int b);
/* What the run's optimizer needs per step at batch b (optim.h). */
void gn_run_plan(const gn_run_spec *r, const gn_mlp_config *cfg, int b, gn_optim_plan *plan);
/* The model's curvature capacity for a plan (gn_mlp_init_ex: -1 = none). */
int gn_run_gram_capacity(const gn_optim_plan *plan);

/* ---- prepare.c: the inputs of a sweep ---- */

typedef struct ds_entry {
    char *key; /* what was loaded: dataset.* settings and the target encoding */
    gn_dataset ds;
} ds_entry;

/* Datasets loaded once per process, and which one each run uses. */
typedef struct prepared {
    ds_entry *cache;
    int n_cache;
    int *ds_of; /* n_runs: index into cache */
} prepared;

/* Everything that can fail on the input, before anything is written:
 * datasets load, models fit them, memory estimates fit mem_jobs runs at
 * once. Returns 0, or the exit status (2 input error, 1 failure). Messages
 * only when !quiet. pp is filled either way (free with gn_prepared_free). */
int gn_prepare(const gn_experiment *ex, const gn_run_options *o, int mem_jobs, prepared *pp,
               int quiet);
void gn_prepared_free(prepared *pp);
/* Estimated memory of run r on ds with model cfg, in MiB: the model at its
 * largest batch plus the optimizer's workspace and Gram matrices (*gram_rows,
 * may be NULL: their rows). */
double gn_run_memory_mib(const gn_run_spec *r, const gn_dataset *ds, const gn_mlp_config *cfg,
                         double *gram_rows);

/* ---- shard.c: cost estimates (the assignment is in shard.h) ---- */

/* Estimated cost of run r on ds in flops, the same on every machine. */
uint64_t gn_shard_cost(const gn_run_spec *r, const gn_dataset *ds);

/* ---- train.c, trace.c: one run ---- */

/* Trains run r on ds with `threads` BLAS threads (this process starts
 * BLIS), writes its trace to trace_path and fills res. */
void gn_run_train(const gn_run_spec *r, const gn_dataset *ds, const char *trace_path, int threads,
                  run_result *res);

/* traces/<run_id>.csv: the schema's trace columns (the classification ones
 * when classify, the test ones empty without has_test), then the
 * optimizer's extra columns (NULL-name terminated, may be NULL). rows: n
 * rows. Written atomically; 0, or -1 with err. */
int gn_trace_write(const char *path, const gn_trace_row *rows, long n, int has_test, int has_val,
                   int classify, const gn_column *extra, char *err, size_t errlen);

/* ---- child.c: run processes ---- */

/* BLIS facts, learnt in a child so that the parent never starts BLIS. */
typedef struct probe_info {
    char arch[32], version[32], source[64];
} probe_info;

void gn_child_probe_blis(int threads, probe_info *pi);

/* Forks the process of run i (traces in tdir, `threads` BLAS threads).
 * Returns its pid, with *rfd the read end of the pipe its result comes
 * through; or -1 with errno and *what ("pipe" or "fork") saying what failed. */
pid_t gn_child_spawn(const gn_experiment *ex, const prepared *pp, const char *tdir, int threads,
                     int i, int *rfd, const char **what);

/* The result of a run process that did not report one: st is its wait
 * status; interrupted_by the stop signal, 0 if none. */
void gn_child_failed(run_result *res, int st, int interrupted_by);

/* Reads the result a run process sent through fd. When wait4 failed
 * (waited 0), or the process did not exit cleanly (st) after sending a
 * whole result, res says why instead (gn_child_failed). */
void gn_child_collect(int fd, int waited, int st, int interrupted_by, run_result *res);

/* ---- the state of a sweep (sweep.c; runs_table.c and manifest.c write it out) ---- */

typedef struct sweep {
    const gn_experiment *ex;
    const gn_run_options *opt;
    int threads;
    probe_info blis;
    char start[32];
    char **header;
    int n_cols;
    char ***cells;                   /* per run: n_cols cells, NULL = not finished */
    char runs_path[GN_RUN_PATH];     /* runs.csv, or runs.shard-K-of-N.csv */
    char manifest_path[GN_RUN_PATH]; /* manifest.csv, or manifest.shard-K-of-N.csv */
    char threads_desc[32];           /* blas_threads in the manifest */
    int shard_runs;                  /* runs in this shard (shards only) */
    uint64_t shard_cost, total_cost;
    int runs_fd;         /* runs_path open for appending, -1 = not open */
    int appended;        /* rows appended since the table was last written whole */
    int write_failed;    /* a table could not be written: the first error is in write_err */
    char write_err[320]; /* "path: what failed: why" */
#ifdef GN_HAVE_MPI
    gn_mpi_rank_info *ranks; /* rank 0 under MPI: every rank's layout */
#endif
} sweep;

/* ---- runs_table.c: runs tables ---- */

/* runs.csv (k = n = 0) or runs.shard-K-of-N.csv; the same for manifests. */
typedef struct table_ref {
    char path[GN_RUN_PATH];
    char name[96];
    int k, n;
} table_ref;

/* The tables named <prefix>*.csv in dir: the unsharded one first, then the
 * shard tables by N, then K. Returns how many (*out malloc'd), -1 on error. */
int gn_tables_list(const char *dir, const char *prefix, table_ref **out);

/* Run ids to run indices (a hash table over ex's runs). */
typedef struct gn_run_index {
    const gn_experiment *ex;
    int *slot;   /* mask + 1 entries: a run index, -1 = empty */
    size_t mask; /* a power of two minus 1 */
} gn_run_index;

/* Builds the index of ex's run ids. 0, or -1 when out of memory: then
 * gn_run_index_find still answers, searching every run. */
int gn_run_index_init(gn_run_index *x, const gn_experiment *ex);
/* The index of the run named id, -1 when the grid has none. */
int gn_run_index_find(const gn_run_index *x, const char *id);
void gn_run_index_free(gn_run_index *x);

/* The row chosen for a run when several tables hold it. */
typedef struct row_pick {
    char **cells; /* n_cols cells, NULL = no row */
    int rank;     /* 2: finished and its trace exists; 1: error; 0: finished, trace missing */
    int dir;      /* folder it came from */
} row_pick;

/* The runs.csv header of ex: key columns, settings, results (n_cols of
 * them; the strings are borrowed, free only the array). NULL when out of
 * memory. */
char **gn_runs_header(const gn_experiment *ex, int *n_cols);

/* Reads every runs table of the folders into picks (ex->n_runs entries):
 * a row replaces the one held when its rank is at least as high, so later
 * tables win among equals. *foreign counts rows of run ids outside the
 * grid. Returns the number of tables read. */
int gn_runs_collect(const gn_experiment *ex, char *const *header, int n_cols,
                    const char *const *dirs, int n_dirs, row_pick *picks, int *foreign);
void gn_runs_free_row(char **cells, int n_cols);

/* Takes the finished runs (trace present) that any table of the results
 * folder holds: runs.csv and every shard table, so a sweep resumes from
 * shards and a shard from an earlier sweep. take: runs to take (NULL: all).
 * A row whose dataset_identity differs from the identity of the run's data
 * in pp is not taken (the run is redone; the count is printed). */
void gn_runs_resume(sweep *sw, const char *take, const prepared *pp);
/* The runs.csv row of run i from its result (rss_mib: the child's peak). */
void gn_runs_fill(sweep *sw, int i, const run_result *result, double rss_mib,
                  const char *dataset_identity);
/* Forgets run i's row. */
void gn_runs_clear(sweep *sw, int i);
/* Writes sw->runs_path atomically: the header and every finished run, in
 * grid order. 0, or -1 with the message printed and, when it is the
 * sweep's first write failure, kept in sw->write_err (sw->write_failed
 * set). */
int gn_runs_write(sweep *sw);
/* Records run i's row (filled by gn_runs_fill) in sw->runs_path: appended
 * with one write() and fdatasync, so the cost of a row does not grow with
 * the table; a kill at any moment leaves the rows before it and at most a
 * torn last line, which readers leave out (GN_TABLE_KEEP_COMPLETE). When
 * the append fails, or after a write failure, the whole table is written
 * instead (gn_runs_write). 0, or -1 as gn_runs_write. */
int gn_runs_record(sweep *sw, int i);
/* At the end of a sweep: the table rewritten in grid order when rows were
 * appended (a failure only warns: every row is in it), or once more after
 * a write failure; then gn_runs_close. */
void gn_runs_finish(sweep *sw);
/* Closes the descriptor rows are appended through (sw->runs_fd). */
void gn_runs_close(sweep *sw);
/* Notes a failed write of a sweep's file (err: "path: what: why"): prints
 * it, keeps the first in sw->write_err. */
void gn_sweep_write_failed(sweep *sw, const char *err);

/* ---- manifest.c ---- */

/* The sweep's manifest (sw->manifest_path): versions, host, BLIS, shard,
 * MPI layout, runs finished (`done`), dataset identities. 0, or -1 as
 * gn_runs_write. */
int gn_manifest_write(sweep *sw, const char *end_time, int done, const ds_entry *datasets,
                      int n_datasets);
/* manifest.csv of a merge: the rows of a shard's manifest (or of the
 * folder's manifest.csv when there are no shard manifests) without the
 * per-shard keys, then the merge's own keys and one row per shard. */
int gn_manifest_write_merged(const gn_merge_options *o, int finished, int present, int n_runs,
                             const char *tables, const char *tag);

/* ---- protocol_target.c: protocol.target: auto ---- */

/* Whether name is one of the protocol's baselines. */
int gn_protocol_is_baseline(const gn_experiment *ex, const char *name);
/* 1 and *value once every baseline's confirmation runs are finished in t
 * (runs.csv): the better baseline's median of its best metric m; else 0. */
int gn_protocol_auto_target(const gn_experiment *ex, const char *out_dir, const gn_table *t,
                            gn_target_metric m, double *value);
/* Sets target_metric, target_value, reached, time_to_target_s and
 * iterations_to_target of every tune and confirm row of t (a runs.csv of
 * out_dir) from the row's trace. 0, or -1 (a column missing, out of memory). */
int gn_protocol_fill_rows(const char *out_dir, gn_table *t, gn_target_metric m, double target);
/* The same into out_dir/runs.csv, rewritten, and the target into
 * manifest.csv (under the folder's lock). 0, or -1 with err. */
int gn_protocol_fill_target(const char *out_dir, gn_target_metric m, double target, char *err,
                            size_t errlen);

/* ---- folder.c: the results folder ---- */

/* The locks a sweep holds on its results folder (fd -1: none). */
typedef struct gn_folder_locks {
    int fd, shard_fd;
    char path[GN_RUN_PATH], shard_path[GN_RUN_PATH];
} gn_folder_locks;

/* Locks o->out_dir (creating it) for this process: exclusively for a whole
 * sweep; for shard K of N shared, and exclusively for that shard. 0; 2
 * when another process holds it (message with its pid); 1 when the folder
 * cannot be created. */
int gn_folder_lock(const gn_run_options *o, gn_folder_locks *lk);
/* Releases the locks (and removes the lock files nobody else holds). */
void gn_folder_unlock(gn_folder_locks *lk);
/* 0, or 2 (message printed) when the folder's manifest records another
 * experiment name or another --quick than ex and o (never with --fresh). */
int gn_folder_check_grid(const gn_experiment *ex, const gn_run_options *o);
/* Before sw->runs_path is rewritten: when it holds rows of run ids that are
 * not in the grid, copies it to "<table>.set-aside.<N>.csv" and says how
 * many rows. 0, or -1 when that copy failed (message printed). */
int gn_folder_set_aside(const sweep *sw);
/* Removes the temporary files ("*.tmp.<pid>", "*.tmp.<tag>.<pid>") whose
 * process is gone: in the folder and traces/ for a whole sweep, those of
 * this shard's tables for a shard. */
void gn_folder_clean_temps(const sweep *sw);

/* ---- merge.c ---- */

/* The merge (see gn_runner_merge). tag names the temporary files, so that
 * writers on different hosts never share one. With require_complete, writes
 * nothing unless every run of the grid has a row (*merged says whether it
 * wrote). */
int gn_merge_folders(const gn_experiment *ex, const gn_merge_options *o, const char *tag,
                     int require_complete, int *merged);

/* ---- schedulers: sched_local.c, sched_mpi.c ---- */

/* A run in progress: a child process (local), or a worker rank (MPI). */
typedef struct slot {
    pid_t pid; /* local: the child; MPI: 1 while the worker has a run */
    int fd, run;
    double t0;
} slot;

/* What the parent (or a worker rank) learns about a finished run. */
typedef struct run_done {
    run_result res;
    double rss_mib;
} run_done;

/* The signal (SIGINT, SIGTERM) that asked the sweep to stop; 0 while none. */
extern volatile sig_atomic_t gn_run_stop_signal;

/* SIGINT/SIGTERM/SIGHUP: stop launching runs, end the running ones, record them as
 * interrupted (so a rerun redoes them), write the tables, exit 128 + sig.
 * Clears gn_run_stop_signal and sets the handlers (the old ones into
 * old_int, old_term); gn_stop_handlers_restore puts those back. */
void gn_stop_handlers_install(struct sigaction *old_int, struct sigaction *old_term);
void gn_stop_handlers_restore(const struct sigaction *old_int, const struct sigaction *old_term);

typedef struct gn_sched gn_sched;

/* What gn_sched_ops.wait found. */
enum {
    GN_SCHED_GOT,           /* a run ended: its slot and result are filled */
    GN_SCHED_AGAIN,         /* woken with nothing to record (a signal, a stale reply) */
    GN_SCHED_END,           /* nothing more will end: leave the loop */
    GN_SCHED_FAIL,          /* lost the runs (message printed): leave the loop in error */
    GN_SCHED_UNSTARTED = -2 /* launch: the run could not be started, recorded as an error */
};

/* How runs are started and collected: forked children, or MPI worker ranks. */
typedef struct gn_sched_ops {
    /* Starts run i in the free slot s and fills the slot. 0 = started;
     * 1 = failed (message printed), launch again after a run ends; -1 =
     * failed, launch nothing more; GN_SCHED_UNSTARTED = failed, the run
     * recorded as an error (row written, message printed), launch nothing
     * more. */
    int (*launch)(gn_sched *sc, int s, int i);
    /* Waits for a run to end: GN_SCHED_* (on GN_SCHED_GOT, *s and *d).
     * stopping: the stop signal was seen (the runs ended were interrupted). */
    int (*wait)(gn_sched *sc, int stopping, int *s, run_done *d);
    /* The stop signal arrived: ends the running runs. Returns how many of
     * them it recorded itself as interrupted (their slots freed, the table
     * written); the others are collected by wait as they end. */
    int (*stop)(gn_sched *sc);
} gn_sched_ops;

struct gn_sched {
    const gn_sched_ops *ops;
    sweep *sw;
    const prepared *pp;
    const char *tdir; /* the traces folder */
    slot *slots;      /* capacity entries */
    int capacity;     /* runs at once */
};

extern const gn_sched_ops gn_sched_local_ops;

#ifdef GN_HAVE_MPI
extern const gn_sched_ops gn_sched_mpi_ops;

/* Collective: each rank's BLAS threads into sw->threads, every rank's
 * layout into sw->ranks (rank 0) with the range of threads of the workers
 * in sw->threads_desc, and the ranks on this node into *mem_jobs. */
void gn_sched_mpi_layout(sweep *sw, int threads_opt, int *mem_jobs);

/* A worker rank: runs what rank 0 hands it until rank 0 says quit.
 * Returns 0, 1 when contact was lost, or 128 + signal when interrupted. */
int gn_sched_mpi_worker(const gn_experiment *ex, const prepared *pp, const char *tdir, int threads);
#endif

#endif
