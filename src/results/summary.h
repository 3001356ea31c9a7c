/* summary.h: what `gnbench summarize` computes from a results folder
 * (docs/SUMMARY.md has every column and the rules).
 *
 * Reads <dir>/runs.csv and <dir>/manifest.csv (through csvio; columns are
 * found by name) and makes one row per optimizer, and per study when the
 * manifest's protocol_studies is above 1:
 *
 * - protocol folders (rows with phase tune or confirm): the configuration
 *   the confirm rows ran, the tuning trials behind it and the statistics of
 *   the confirm runs (paired seeds);
 * - grid sweeps (no tune or confirm row): per optimizer the configuration
 *   with the lowest median final_val_loss over its seeds (final_train_loss
 *   when no run has a finite validation loss), and the same statistics
 *   over its runs.
 *
 * Runs that did not reach the target count as infinitely slow in every
 * time and iteration statistic; error runs are only counted. Numbers are
 * written exactly (gn_csv_format_real), NaN as an empty cell. */
#ifndef GN_SUMMARY_H
#define GN_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "io/csvio.h"

/* The columns of summary.csv, in order; ends with NULL. */
extern const char *const gn_summary_columns[];

typedef struct gn_summary {
    gn_table table;           /* header gn_summary_columns, one row per optimizer (and study) */
    int protocol;             /* 1: tune/confirm rows; 0: a grid sweep */
    char *experiment;         /* manifest's experiment ("" when missing) */
    char *target_metric;      /* manifest's target_metric ("" without a target) */
    char *target_value;       /* manifest's target_value as written */
    char *select_rule;        /* the rule that chose the configurations */
    int n_rows_read, n_error; /* runs.csv rows, of them status error */
} gn_summary;

/* Fills s from the results folder dir. 0, or -1 with "file:line:column:
 * what" (or "file:line: what", "file: what") in err for a folder without
 * runs.csv or manifest.csv, a missing column, a cell that is not what its
 * column holds, or confirm rows of one optimizer and study that ran
 * different configurations. Warnings go to stderr. */
int gn_summary_build(const char *dir, gn_summary *s, char *err, size_t errlen);
void gn_summary_free(gn_summary *s);

/* The summary as markdown (a heading, the protocol and a table of the
 * main columns, numbers to 4 significant digits) on f: 0, or -1 when f
 * could not be written. */
int gn_summary_print_markdown(const gn_summary *s, const char *dir, FILE *f);

/* The number in column name of row (NaN for an empty cell, a missing
 * column or a row out of range). */
double gn_summary_number(const gn_summary *s, int row, const char *name);

/* The method a row reports: its label, else its optimizer ("" for a row
 * out of range). */
const char *gn_summary_method(const gn_summary *s, int row);

#endif
