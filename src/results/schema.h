/* schema.h: every column gnbench writes, in one place.
 *
 * runs.csv holds one row per run: the key columns (run id, status,
 * optimizer, seed), then the settings that vary (the experiment's columns),
 * then the result columns below. A trace (traces/<run_id>.csv) holds one
 * row per evaluation: the trace columns below, then the columns the run's
 * optimizer declares (gn_optim_ops.trace_columns). Each column has its axis
 * label (with the unit) and its cell type; the writers, the validation of
 * figures and the figure axes all read these tables, so a column is added
 * by adding a line here and filling its field.
 *
 * A run's status is gn_run_status, written by name. */
#ifndef GN_SCHEMA_H
#define GN_SCHEMA_H

#include <stddef.h>

#include "core/column.h"
#include "optim/optim.h"

/* ---- runs ---- */

typedef enum {
    GN_RUN_OK,         /* ran its iterations (or reached its target) */
    GN_RUN_DIVERGED,   /* the loss grew past diverge_factor or stopped being finite */
    GN_RUN_TIME_LIMIT, /* stopped at train.time_limit_s */
    GN_RUN_ERROR,      /* failed, crashed or was interrupted: redone on resume */
    GN_RUN_STATUS_COUNT
} gn_run_status;

const char *gn_run_status_name(gn_run_status s);
/* 0 and *out, or -1 for text that names no status. */
int gn_run_status_parse(const char *text, gn_run_status *out);
/* A finished run (ok, diverged, time_limit) is kept on resume. */
int gn_run_status_finished(gn_run_status s);
/* The same for a status as written in runs.csv. */
int gn_run_status_text_finished(const char *text);

/* A run's result, as the run process sends it back. */
typedef struct gn_run_result {
    gn_run_status status;
    long iterations;
    double wall_s, step_s_median, final_train, final_test, final_test_acc, best_train;
    double time_to_target, iters_to_target;
    double final_val, final_val_acc, best_val; /* NaN without a validation set */
    double eval_s;                             /* evaluation time (not in wall_s) */
    double loss_contraction;                   /* per-step factor of the training loss */
    int reached;                               /* the target: 1, 0, -1 when there is none */
    char target_metric[24];                    /* its metric's name, "" without one */
    double target_value;
    double peak_rss_mib;
    double kernel_lambda_min, kernel_cond; /* first estimate the optimizer reported */
    long rejected, damping_raised_steps;
    long batch;
    const char *dataset_identity; /* set by the parent (the dataset cache) */
    char arch[32];
    char message[256];
} gn_run_result;

/* A result before the run: status error, every value "not measured" (NaN,
 * reached -1, zero counts, empty texts). */
void gn_run_result_init(gn_run_result *res);

/* The leading columns of runs.csv (no field: written from the run spec). */
extern const gn_column gn_runs_key_columns[];
/* The result columns, after the settings, in order; end with {NULL}. */
extern const gn_column gn_runs_result_columns[];

/* ---- traces ---- */

enum {
    GN_TC_ITERATION,
    GN_TC_EPOCH,
    GN_TC_SAMPLES,
    GN_TC_WALL,
    GN_TC_TRAIN_LOSS,
    GN_TC_TEST_LOSS,
    GN_TC_TRAIN_ACC,
    GN_TC_TEST_ACC,
    GN_TC_VAL_LOSS,
    GN_TC_VAL_ACC,
    GN_TC_BATCH_LOSS,
    GN_TC_GRAD_NORM,
    GN_TC_STEP_NORM,
    GN_TC_LR,
    GN_TC_DAMPING,
    GN_TC_GAIN,
    GN_TC_T_FORWARD,
    GN_TC_T_CURVATURE,
    GN_TC_T_SOLVE,
    GN_TC_T_BACKWARD,
    GN_TC_PREV_LOSS,
    GN_TC_COUNT
};

typedef struct gn_trace_row {
    double v[GN_TC_COUNT];            /* indexed by GN_TC_* */
    double extra[GN_OPTIM_MAX_EXTRA]; /* the optimizer's trace columns, in order */
} gn_trace_row;

/* Column j describes v[j], in GN_TC order (the order of the file). */
extern const gn_column gn_trace_columns[GN_TC_COUNT];

/* ---- documentation (docs/RESULTS.md is `gnbench list columns`) ---- */

/* What one column (or manifest key) holds: its name, its unit ("" when it
 * has none) and one sentence. */
typedef struct gn_column_doc {
    const char *name, *unit, *doc;
} gn_column_doc;

/* The documentation of the runs.csv key and result columns, of the trace
 * columns (the schema's, then every registered optimizer's) and of the
 * keys of manifest.csv (written by run/manifest.c; listed here only to
 * document them: a name ending in "_N" or "_K_of_N" stands for numbered
 * keys). Each ends with {NULL}. */
extern const gn_column_doc gn_runs_docs[];
extern const gn_column_doc gn_trace_docs[];
extern const gn_column_doc gn_manifest_docs[];
/* The entry of docs called name, or NULL. */
const gn_column_doc *gn_schema_doc(const gn_column_doc *docs, const char *name);
/* What the settings columns of runs.csv are, and what wall_s includes
 * (one paragraph each, for the documentation page). */
extern const char gn_schema_settings_doc[];
extern const char gn_schema_wall_doc[];

/* ---- lookups (figures) ---- */

/* The trace column called name, the run's optimizer columns included (any
 * registered optimizer's), or NULL. */
const gn_column *gn_schema_trace_column(const char *name);
/* The runs.csv key or result column called name, or NULL. */
const gn_column *gn_schema_runs_column(const char *name);
/* The axis label of a column or setting (with its unit); the name itself
 * when none is known. */
const char *gn_schema_label(const char *name);

#endif
