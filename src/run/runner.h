/* runner.h: runs an expanded experiment: one child process per run (so a
 * crash or a runaway allocation costs one run, never the sweep), each
 * run's row recorded as it finishes, resume from what is on disk.
 *
 * Beyond one machine: a sweep can be cut into N shards (each runs a
 * deterministic slice of the grid balanced by estimated cost and writes its
 * own table runs.shard-K-of-N.csv next to the shared traces/), the tables
 * merged into one runs.csv, and, when built with MPI and started by
 * mpirun, runs handed to ranks (mpi_sched.h). See docs/SCALING.md. */
#ifndef GN_RUNNER_H
#define GN_RUNNER_H

#include "exp/experiment.h"

typedef struct gn_run_options {
    const char *out_dir; /* results/<name> */
    const char *only;    /* fnmatch pattern on run ids or optimizer names; NULL = all */
    const char *command_line;
    int jobs, threads;       /* threads <= 0: available cores */
    double memory_limit_mib; /* per run; <= 0: 80% of physical memory / jobs */
    int fresh, dry_run, quick;
    int shard_k, shard_n; /* run only shard K (1..N) of N; shard_n 0 = the whole grid */
} gn_run_options;

typedef struct gn_merge_options {
    const char *const *dirs; /* results folders holding runs.csv, runs.shard-*.csv, traces/ */
    int n_dirs;
    const char *out_dir; /* where the merged runs.csv goes (may be dirs[0]) */
    const char *command_line;
} gn_merge_options;

/* Runs the experiment. Returns the exit status the README documents:
 * 0 when every run ended ok, diverged or time_limit; 1 when a run ended in
 * error or the program failed; 2 for input errors found before any run.
 * With shard_n > 0 only that shard's runs, into runs.shard-K-of-N.csv and
 * manifest.shard-K-of-N.csv; when every run of the grid then has a row in
 * the folder's tables, they are merged as gn_runner_merge does. Resume
 * takes finished runs from runs.csv and every shard table. Under MPI
 * (gn_mpi_active(), every rank calls this) rank 0 schedules and writes,
 * the other ranks run what it hands them. The runner draws no figures:
 * *tables_ready (may be NULL) is set to 1 when out_dir now holds the grid's
 * runs.csv to draw them from (a sweep that ran to its end, or the shard that
 * merged the folder), and the caller draws. Also 2, before any run, when
 * out_dir is locked by another sweep (or by another process of the same
 * shard) or holds another experiment's grid or the other --quick (unless
 * fresh); 1 when a table could not be written. Sets SIGPIPE and SIGXFSZ
 * to be ignored for the rest of the process, so that a closed stderr or a
 * file-size limit makes writes fail instead of killing the sweep. */
int gn_runner_run(const gn_experiment *ex, const gn_run_options *opt, int *tables_ready);

/* A protocol experiment's confirmation step: for every study of every
 * optimizer entry whose trials all have finished rows in out_dir/runs.csv,
 * appends the confirmation runs of its best trial to ex (results/select.h,
 * the protocol's rule; runs already in ex are kept once). With
 * protocol.target auto, first sets the target once the baselines'
 * confirmation runs are recorded, and measures every row against it
 * (rewriting runs.csv and manifest.csv unless GN_CONFIRM_READ_ONLY: every
 * MPI rank decides, rank 0 writes). Returns the runs added (0 for other
 * experiments, or when runs.csv is absent), or -1 with err. */
enum {
    GN_CONFIRM_QUIET = 1,    /* no notes on stderr */
    GN_CONFIRM_READ_ONLY = 2 /* decide, write nothing */
};
int gn_runner_confirm(gn_experiment *ex, const char *out_dir, int flags, char *err, size_t errlen);

/* Merges the tables of one experiment's results folders into
 * out_dir/runs.csv (grid order, one row per run id: a finished row whose
 * trace exists wins over an error row, which wins over a finished row
 * without its trace; among equals the later table, shard tables after
 * runs.csv), copies the chosen runs' traces into out_dir/traces, writes a
 * manifest.csv that records the shards. Returns 0 when every run of the
 * grid is present and finished, 1 when runs are missing or in error or
 * writing failed; *tables_ready (may be NULL) says whether runs.csv was
 * written, so the caller can draw the figures. */
int gn_runner_merge(const gn_experiment *ex, const gn_merge_options *o, int *tables_ready);

/* What the runs of one optimizer of a grid cost, estimated. */
typedef struct gn_run_estimate {
    const char *optimizer; /* borrowed from the experiment */
    int runs;
    double flops;    /* estimated compute of its runs, summed (the cost model of the shards) */
    double peak_mib; /* the largest memory estimate of one of its runs (the memory check's) */
} gn_run_estimate;

/* Loads the grid's datasets and estimates what its runs cost, one entry
 * per optimizer in the order they first appear (*out malloc'd). Returns
 * the number of entries, or -1 with err when a dataset cannot be loaded,
 * a model does not fit its data, or memory runs out. */
int gn_runner_estimate(const gn_experiment *ex, gn_run_estimate **out, char *err, size_t errlen);

/* Cores this process may run on. */
int gn_available_cores(void);

#endif
