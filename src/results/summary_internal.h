/* summary_internal.h: what the files of the summary share (summary.h is
 * the interface):
 *
 *   summary.c      reads runs.csv and manifest.csv into sm_run rows
 *   summary_row.c  groups the rows and computes the cells of each summary row
 *   summary_md.c   the markdown form
 *
 * Functions returning int give 0, or -1 with a message in err. */
#ifndef GN_SUMMARY_INTERNAL_H
#define GN_SUMMARY_INTERNAL_H

#include <stddef.h>

#include "io/csvio.h"
#include "results/select.h"
#include "results/summary.h"

enum { SM_GRID, SM_TUNE, SM_CONFIRM };

/* One runs.csv row, parsed. Numbers are NaN for an empty cell or a column
 * the file lacks. */
typedef struct sm_run {
    int row;       /* data row in the table */
    int status;    /* gn_run_status */
    int phase;     /* SM_GRID, SM_TUNE, SM_CONFIRM */
    int study;     /* -1 when empty */
    int trial;     /* -1 when empty */
    int reached;   /* 1, 0, or -1 when not applicable */
    double t, its; /* time and iterations to target: inf when not reached */
    double wall, eval, step, rss;
    double fval, bval, vacc, ftest, facc, ftrain;
} sm_run;

/* The folder as read. */
typedef struct sm_ctx {
    const char *runs_path;
    gn_table runs, manifest;
    int c_optimizer, c_label, c_config_id; /* -1 when missing (label: results written before
                                              runs.csv had the column) */
    int *set_cols; /* the settings columns (dataset.*, model.*, train.*, loss, opt.*) */
    int n_set;
    sm_run *r;
    int n;
    int protocol;
    int studies, trials; /* protocol_studies (1 when missing), protocol_trials (-1) */
    gn_select_rule rule;
    const char *baselines; /* space-separated */
    int target_auto;       /* target_source auto: the baselines were chosen by final_val_loss */
} sm_ctx;

static inline const char *sm_cell(const sm_ctx *c, int row, int col)
{
    const char *s = col >= 0 ? gn_table_cell(&c->runs, row, col) : NULL;
    return s ? s : "";
}

/* Fills s->table from the parsed rows. */
int sm_build_rows(sm_ctx *c, gn_summary *s, char *err, size_t errlen);

#endif
