/* plot.h: gnuplot figures from a results folder.
 *
 * For each figure of the experiment, writes <plots>/<figure>.gp and the
 * data it reads (<figure>.dat) and runs gnuplot to render
 * <plots>/<figure>.<format>. */
#ifndef GN_PLOT_H
#define GN_PLOT_H

#include <stddef.h>
#include "exp/experiment.h"

/* format: "png", "svg" or "pdf". Returns 0, or -1 with a message. A missing
 * gnuplot program writes scripts and data and returns -1 with a message. */
int gn_plot_experiment(const gn_experiment *ex, const char *results_dir, const char *plots_dir,
                       const char *format, char *err, size_t errlen);

/* The gnuplot string expression that gn_plot_experiment writes for s: every
 * text and file name of its scripts goes through it. Its value is exactly s
 * and nothing in it is substituted or run (single-quoted; quotes and control
 * bytes as double-quoted octal escapes). The caller frees; NULL when out of
 * memory. */
char *gn_plot_quote(const char *s);

/* Details of gn_plot_experiment:
 *
 * - Reads <results_dir>/runs.csv and traces/<run_id>.csv; plots the runs
 *   with status ok, diverged or time_limit (error runs are left out).
 *   format NULL or "" means "png". plots_dir is created when missing.
 * - A configuration is a run's optimizer and setting columns (ex->columns;
 *   when ex has none, every runs.csv column that is not a result) without
 *   the seed. kind trace draws one line per configuration: seeds aligned by
 *   row, each row reducing the seeds that reach it (none is cut to the
 *   shortest), the median of x and of y per row and a band of y (fig->band);
 *   the last point of each seed shorter than the longest is a marker, and
 *   the key says how many seeds ran to the end. kind summary groups by
 *   configuration without x and draws per x value the median of y over the
 *   runs with error bars (for x = optimizer, an x value is the optimizer
 *   with its opt.* values); words on x are points, not joined lines. For a
 *   *_to_target y, runs with an empty cell (not reached) are a marker at
 *   the top of the axis and a block of the .dat.
 *   Kinds best and tuning (protocol experiments) read the rows of one
 *   phase: best is kind trace over the phase=confirm rows (a line per
 *   chosen configuration), labelled by the name and the chosen values of
 *   the settings its entry tunes (fig->tuned; values to 2 significant
 *   digits, "(study S)" when protocol.studies > 1), with a dashed line at
 *   the target when every drawn row's target_metric is y and they share
 *   one target_value. tuning is one series per optimizers: entry that tunes
 *   x, a point per phase=tune row (never reduced nor joined), the rows with
 *   an empty *_to_target y (for any other y, the trials that diverged) as
 *   markers at the top of the axis, and each study's chosen
 *   trial (results/select.h, the protocol's rule, over the study's rows in
 *   runs.csv) as a filled marker in a block of its own. A row's entry is
 *   found by run_id among ex->runs, else by config_id (confirm runs ex has
 *   not added). No row of the phase: the "no data" placeholder.
 *   Non-finite values, empty cells and, on log axes, non-positive values
 *   are left out; a trace row or point left without values is a gap.
 * - Legend labels: the `series` value (when it is a setting), the line's
 *   name (its entry's label, else its optimizer; left out when a series
 *   value is shown and the panel has one name) and the settings that vary
 *   among the lines of that name. The key goes where fig->legend says;
 *   auto: a corner that hides no data, else outside or below, in columns
 *   before it would overflow.
 * - The figure's format (fig->format) wins over `format`. <figure>.gp
 *   starts with a line saying how to regenerate it; a script whose first
 *   line differs is the user's: it is kept (said on stderr) and rendered.
 * - <figure>.dat holds one data block per line (gnuplot `index N`), with
 *   comment lines naming columns, panel, label and runs of each block.
 *   <figure>.gp reads it by its bare name: run gnuplot in plots_dir.
 * - Text in <figure>.gp (titles, the description, labels, legend keys,
 *   tic labels, file names) is written by gn_plot_quote and, for what is
 *   shown, escaped for enhanced text mode first: it prints literally and
 *   runs nothing, whatever backquotes, quotes, '@' or line breaks it holds.
 * - Nothing to draw (runs.csv without rows, no plottable run, traces
 *   missing, no finite value) is not an error: the figure is rendered with
 *   a "no data: <why>" placeholder, and missing or unreadable traces are
 *   logged to stderr and listed in the .dat header.
 * - Errors (a figure naming a column that runs.csv or a trace lacks: the
 *   message names the column and the file; gnuplot failing; I/O) name the
 *   figure; the other figures are still drawn and all messages are joined
 *   with "; " in err. gnuplot is looked up in PATH; when absent, scripts
 *   and data are still written. */

#endif
