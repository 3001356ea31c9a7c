/* plot_internal.h: what the files of plot/ share; not part of the public
 * interface (that is plot.h). The figure pipeline, file by file:
 *
 *   results.c  reads <results>/runs.csv (plot_ctx) and the traces
 *   groups.c   groups the runs of one figure and reduces them (fig_ctx)
 *   studies.c  the protocol's kinds: best (its target line), tuning (trials)
 *   dat.c      writes <figure>.dat, gp.c writes <figure>.gp (gp_key.c: its key)
 *   gnuplot.c  writes files atomically and runs gnuplot
 *   sbuf.c     the text buffer and the one quoting of strings for gnuplot
 *   plot.c     gn_plot_experiment: one figure after the other
 *
 * Terms used below:
 *   configuration: all settings of a run (optimizer and every setting
 *     column) except the seed; the seeds of a configuration are its repeats.
 *   group: the runs drawn as one line. For kind trace a group is one
 *     configuration; for kind summary it is a configuration minus the x
 *     setting, and each x value of the group becomes one point.
 *   panel: one sub-plot per value of the `panels` setting.
 *
 * Functions returning int give 0, or -1 with a message in msg (len bytes)
 * unless stated otherwise. */
#ifndef GN_PLOT_INTERNAL_H
#define GN_PLOT_INTERNAL_H

#include <stddef.h>

#include "exp/experiment.h"
#include "io/csvio.h"

/* ---- sbuf.c: text buffer and gnuplot strings ----------------------------- */

/* Growable text buffer; `oom` latches an allocation failure. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void sb_printf(sbuf *b, const char *fmt, ...);
void sb_putc(sbuf *b, char c);
/* Releases the text and clears the buffer (also its oom flag). */
void sb_free(sbuf *b);
/* The text so far; "" for an empty buffer. */
const char *sb_str(const sbuf *b);
/* Appends s as a gnuplot string expression whose value is exactly s: the
 * one way a string enters a script (gn_plot_quote is this into a new
 * string). */
void sb_gpstring(sbuf *b, const char *s);
/* Appends text escaped for enhanced text mode, so that it prints literally;
 * not quoted (see sb_gpmarkup). */
void sb_enhanced(sbuf *b, const char *text);
/* Appends enhanced-text markup as a gnuplot string (sb_gpstring). */
void sb_gpmarkup(sbuf *b, const char *markup);
/* Appends a gnuplot string that shows text literally (a label, a title). */
void sb_gplabel(sbuf *b, const char *text);
/* Appends text for a comment line of the .dat/.gp files (control characters
 * become spaces). */
void sb_comment_text(sbuf *b, const char *text);

/* ---- results.c: the results folder --------------------------------------- */

typedef struct plot_ctx {
    const gn_experiment *ex;
    const char *results_dir, *plots_dir, *format;
    char *runs_path;
    gn_table runs;
    int c_run_id, c_status, c_optimizer, c_seed;
    int c_phase, c_study; /* -1 when runs.csv has none (no protocol) */
    int *set_cols;        /* columns that define a configuration, optimizer first */
    int n_set;
    int *live; /* rows with status ok|diverged|time_limit */
    int n_live;
    const char **row_label; /* per runs.csv row: its optimizers: entry's label, or NULL */
    int *row_entry;         /* per runs.csv row: its optimizers: entry, -1 = unknown (by
                               run_id, else by config_id: a confirm run the experiment
                               has not added yet is its chosen trial's configuration) */
} plot_ctx;

static inline const char *cell(const plot_ctx *pc, int row, int col)
{
    const char *s = gn_table_cell(&pc->runs, row, col);
    return s ? s : "";
}

static inline int has_col(const int *cols, int n, int c)
{
    for (int i = 0; i < n; i++)
        if (cols[i] == c) return 1;
    return 0;
}

/* Reads pc->results_dir/runs.csv into pc: the key columns, the setting
 * columns and the rows with status ok, diverged or time_limit. pc holds
 * ex, the folders and the format, and -1 in the c_* columns. */
int plot_ctx_open(plot_ctx *pc, char *msg, size_t len);
/* Frees what plot_ctx_open allocated, also after it failed. */
void plot_ctx_close(plot_ctx *pc);
/* The runs.csv column called name in *col; -1 when runs.csv has none. */
int plot_need_col(const plot_ctx *pc, const char *name, int *col, char *msg, size_t len);
/* 1 when s is a finite number (then in *v), else 0. */
int plot_num_finite(const char *s, double *v);
/* Order of setting values: finite numbers numerically, then words
 * alphabetically, then empty cells. */
int plot_value_cmp(const char *a, const char *b);
/* Whether rows r1 and r2 of runs.csv agree in the columns cols[0..n-1]. */
int plot_rows_equal(const plot_ctx *pc, int r1, int r2, const int *cols, int n);
/* Orders rows r1 and r2 by the columns cols[0..n-1] (plot_value_cmp). */
int plot_rows_cmp(const plot_ctx *pc, int r1, int r2, const int *cols, int n);
/* Appends "value" (the optimizer column) or "name=value" for column col of
 * row; full: the whole column name, else the short one. */
void sb_setting(sbuf *b, const plot_ctx *pc, int row, int col, int full);

/* ---- groups.c: the lines of one figure ----------------------------------- */

typedef struct point {
    double x, med, lo, hi; /* lo, hi: the band (gn_band) */
    int n;                 /* values reduced */
    int row;               /* trace: row index; summary: x category */
    int gap_before;
} point;

typedef struct group {
    int *rows; /* runs.csv rows of the group */
    int n_rows;
    int rep; /* first row: the group's settings */
    int panel;
    const char *name; /* its entry's label, else its optimizer */
    char *label;
    int color;
    const gn_series_style *style; /* the figure's style: for it, or NULL */
    point *pts;
    int n_pts;
    int n_seeds; /* trace: traces that entered the reduction */
    int n_full;  /* trace: of those, the ones as long as the longest */
    point *ends; /* trace: the last point (x, med) of each shorter seed */
    int n_ends;
    point *nr; /* summary: per x category with runs that did not reach the
                  target, x and their number (n) */
    int n_nr;
    point *chosen; /* tuning: each study's chosen trial (n 0: not reached, at the top) */
    int n_chosen;
    int block;        /* gnuplot data block, -1 = nothing to draw */
    int end_block;    /* block of ends / nr, -1 = none */
    int chosen_block; /* tuning: block of chosen, -1 = none */
} group;

typedef struct fig_ctx {
    plot_ctx *pc;
    const gn_figure *fig;
    int summary;           /* kinds summary and tuning: runs.csv columns, no traces */
    int tuning;            /* kind tuning: a point per trial, grouped by optimizers: entry */
    int best;              /* kind best: the confirm runs' traces */
    const char *phase;     /* only runs.csv rows of this phase (best, tuning); NULL = all */
    int n_phase;           /* live rows of that phase */
    double target;         /* best: the target line's height, NaN = none */
    int c_x, c_y;          /* summary: runs.csv columns */
    int c_series, c_panel; /* -1 = none */
    int *key;              /* grouping columns */
    int n_key;
    int *xkey; /* summary: columns naming an x category */
    int n_xkey;
    group *g;
    int n_g;
    int *panel_rep; /* a row holding each panel's value, sorted */
    int n_panels;
    int *cat_rep; /* summary: a row per x category, sorted */
    char **cat_label;
    int n_cat;
    int x_numeric;
    int n_blocks;
    sbuf notes; /* skipped traces, for the .dat header */
    int n_skipped;
    char **labels; /* distinct labels in colour order */
    int n_labels;
    int to_target;      /* summary: y is empty when the target was not reached */
    const char *format; /* the figure's, else the command's */
} fig_ctx;

/* Whether runs.csv row r is drawn by fc: the figure's phase and `where`. */
int plot_row_selected(const fig_ctx *fc, int r);
/* studies.c: kind tuning: a point per trial of group g (x its setting or
 * its category, y its cell; an empty *_to_target cell in g->nr, at the
 * top), and in g->chosen each study's chosen trial (the protocol's rule,
 * results/select.h, over the study's rows as `gnbench summarize` does). */
int plot_tuning_points(fig_ctx *fc, group *g, char *msg, size_t len);
/* Whether the markers at the top of fc's axis are trials that diverged
 * (kind tuning, a y other than *_to_target) rather than runs that did not
 * reach the target. */
int plot_top_marks_diverged(const fig_ctx *fc);
/* studies.c: kind best: fc->target, the target when y is the metric every
 * drawn run's target is a value of (runs.csv target_metric, target_value). */
void plot_best_target(fig_ctx *fc);

/* labels.c: the name, label, colour and style of every group of fc (after
 * grouping and panels). -1 when out of memory. */
int plot_fig_label(fig_ctx *fc);

/* Fills fc (pc, fig and summary set by the caller): the figure's columns,
 * its groups, panels, labels and colours, the x categories (kind summary)
 * and each group's reduced points; *n_pts is the number of points. */
int plot_fig_build(fig_ctx *fc, int *n_pts, char *msg, size_t len);
/* Frees what plot_fig_build allocated, also after it failed. */
void plot_fig_free(fig_ctx *fc);
/* Reads the trace of runs.csv row r into t, with the figure's x and y
 * columns in *cx and *cy (results.c). 1 = read; 0 = skipped: missing,
 * empty or unreadable, logged to stderr and noted in fc->notes; -1 = error
 * (the trace lacks x or y, out of memory). */
int plot_trace_load(fig_ctx *fc, int r, gn_table *t, int *cx, int *cy, char *msg, size_t len);

/* ---- dat.c, gp.c: the files of a figure ---------------------------------- */

/* Appends <figure>.dat for fc to b and numbers the data blocks (g->block). */
void plot_dat_write(fig_ctx *fc, sbuf *b);
/* Appends the first line of <figure>.gp: how to regenerate it. A script
 * whose first line is no longer this is the user's, and is kept. */
void plot_gp_first_line(const fig_ctx *fc, sbuf *b);
/* Appends <figure>.gp for fc to b (after plot_dat_write); why != NULL draws
 * one placeholder panel saying why there is nothing to draw. */
void plot_gp_write(fig_ctx *fc, sbuf *b, const char *why);

/* ---- gp_key.c: the key of a panel ---------------------------------------- */

/* What a panel shows, in axis units (log10 on log axes). */
typedef struct extent {
    double x0, x1, y0, y1;
    int n;
} extent;

/* What the key has to hold and where it may go, in pixels. */
typedef struct keybox {
    int n;              /* entries */
    size_t longest;     /* characters of the longest entry */
    int area_w, area_h; /* plot area of one panel */
    double ch_w, ch_h;  /* one character, one key line */
    int top_markers;    /* markers along the top of the axis (not reached) */
} keybox;

/* v on the axis: log10(v) on a log axis (lg), else v. */
double plot_axis_t(double v, int lg);
/* Whether the figure's x axis is drawn logarithmic. */
int plot_x_is_log(const fig_ctx *fc);
/* What panel p shows, in axis units. */
extent plot_panel_extent(const fig_ctx *fc, int p);
/* The legend of panel p: its lines, one entry per kind of marker (*ends:
 * seeds that ended early, *nr: not reached). */
keybox plot_panel_keybox(const fig_ctx *fc, int p, int area_w, int area_h, double font_px,
                         int *ends, int *nr);
/* Writes the key placement of panel p and returns the longest legend text,
 * in characters, that fits (legend: auto takes a corner that hides no data,
 * else outside, else below, in columns before it overflows). */
int plot_gp_key(const fig_ctx *fc, sbuf *b, int p, const extent *e, const keybox *k);

/* ---- gnuplot.c: files and the gnuplot program ---------------------------- */

/* Writes b to path through "<path>.tmp.<pid>" and a rename (gn_fs_write_atomic). */
int plot_write_atomic(const char *path, const sbuf *b, char *msg, size_t len);
/* Full path of prog found in $PATH, or NULL (the caller frees). */
/* Takes the folder's drawing lock (a file in it, flock), waiting for another
 * process that draws there; returns its descriptor (close to release), or
 * -1 when the lock file cannot be made (drawing then goes ahead). */
int plot_lock_folder(const char *dir);
char *plot_find_program(const char *prog);
/* Runs `gnuplot script` in dir; -1 with gnuplot's error output in msg. */
int plot_run_gnuplot(const char *gnuplot, const char *dir, const char *script, char *msg,
                     size_t len);

#endif
