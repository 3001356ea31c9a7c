/* experiment.h: experiment files (YAML) and their expansion into runs.
 * The only module that includes <yaml.h> (in exp/yaml_tree.c alone);
 * exp/exp_internal.h says which file does which step. The format is
 * described in the README ("Experiment files") and by `gnbench list`. */
#ifndef GN_EXPERIMENT_H
#define GN_EXPERIMENT_H

#include <stddef.h>

#include "data/dataset.h"
#include "model/loss.h"
#include "model/model_spec.h"
#include "optim/optim.h"
#include "core/params.h"
#include "exp/train.h"

/* One run of the grid, typed. Below the parser nothing reads a setting by
 * name: the runner, the model and the optimizers take the bound fields. The
 * text settings remain for what is written out (runs.csv cells, the run-id
 * hash) and for the figures, which name columns. */
/* What a run is for (runs.csv's phase column). */
typedef enum {
    GN_PHASE_GRID,    /* a point of the experiment's grid (no protocol: section) */
    GN_PHASE_TUNE,    /* a trial of a tuning study */
    GN_PHASE_CONFIRM, /* a study's chosen configuration on a confirmation seed */
    GN_PHASE_COUNT
} gn_run_phase;

/* "grid", "tune" or "confirm". */
const char *gn_run_phase_name(gn_run_phase p);

typedef struct gn_run_spec {
    char run_id[80];    /* stable id derived from the settings */
    char config_id[64]; /* "<optimizer>-<12 hex digits>": the same for every seed of one
                           configuration (the digits of run_id) */
    long seed;
    gn_run_phase phase;
    int study, trial; /* tune and confirm runs: the study (from 0); tune: the trial (from 0) */
    const gn_optim_ops *optim; /* the optimizer (its name: optim->name) */
    void *hparams;             /* its opt.* bound (optim->hparams_size bytes) */
    gn_loss_kind loss;
    gn_model_hparams model;     /* model.* bound (hidden points into settings) */
    gn_train_cfg train;         /* train.* bound */
    gn_dataset_spec dataset;    /* dataset.* bound (strings point into settings) */
    gn_dataset_request request; /* what the loss asks of the data (base_dir: the file's folder) */
    char *dataset_key;          /* everything that changes what is loaded, as text: runs with
                                   equal keys share one loaded dataset */
    gn_settings settings;       /* every resolved setting by dotted path as text,
                                   defaults included: dataset.*, model.*, train.*,
                                   loss, opt.* */
    int entry;                  /* index of its optimizers: entry (from 0) */
} gn_run_spec;

/* Where a setting was written: for errors found after loading (datasets,
 * batch sizes) that must still name the file's line and key. */
typedef struct gn_key_line {
    int entry;  /* the optimizers: entry that wrote it, -1 for the global sections */
    int line;   /* line of the key */
    int quick;  /* written inside quick: */
    char *key;  /* setting key: "dataset.train", "train.batch" */
    char *path; /* as errors name it: "dataset.train", "optimizers[1].batch",
                   "quick.train.batch" */
} gn_key_line;

typedef enum {
    GN_FIG_TRACE,   /* a trace column against iteration, epoch, samples or time */
    GN_FIG_SUMMARY, /* a runs.csv column against a setting */
    GN_FIG_BEST,    /* protocol: each study's chosen configuration (its confirm runs) as a trace */
    GN_FIG_TUNING   /* protocol: a runs.csv column of every tuning trial against a tuned setting */
} gn_figure_kind;

/* "trace", "summary", "best" or "tuning". */
const char *gn_figure_kind_name(gn_figure_kind k);

/* How a figure shows the spread over seeds: a band around a trace's median,
 * error bars around a summary's (order of "minmax|iqr|std|none"). */
typedef enum { GN_BAND_MINMAX, GN_BAND_IQR, GN_BAND_STD, GN_BAND_NONE } gn_band;

/* Where a figure's key goes (order of gn_legend_names). */
typedef enum {
    GN_LEGEND_AUTO, /* an empty corner, else outside; a second column before it overflows */
    GN_LEGEND_TOP_LEFT,
    GN_LEGEND_TOP_RIGHT,
    GN_LEGEND_BOTTOM_LEFT,
    GN_LEGEND_BOTTOM_RIGHT,
    GN_LEGEND_OUTSIDE, /* right of the plot */
    GN_LEGEND_BELOW,
    GN_LEGEND_OFF
} gn_legend;

/* "auto", "top-left", ..., "off": the legend positions, NULL-terminated. */
extern const char *const gn_legend_names[];

/* The style of the lines a figure's `style:` entry matches. */
typedef struct gn_series_style {
    char *match; /* an optimizer, an optimizers: entry's label or a value of the series */
    char *color; /* "#rrggbb"; NULL = the palette's */
    int dash;    /* gnuplot dash type 1 (solid) .. 5; 0 = the palette's */
} gn_series_style;

typedef struct gn_figure {
    char *name; /* [a-z0-9_-]+ */
    gn_figure_kind kind;
    char *x, *y;  /* trace, best: trace columns; summary, tuning: setting path / runs.csv column */
    char *series; /* a setting path or "optimizer"; NULL = one line per config */
    char *panels; /* a setting path or NULL */
    char *title;  /* NULL = derived */
    int logx, logy;
    char *xlabel, *ylabel;       /* NULL = from the schema */
    double xrange[2], yrange[2]; /* the ends range_set says are given */
    int range_set;               /* bits: 1 x low, 2 x high, 4 y low, 8 y high (0: automatic) */
    int width, height;           /* pixels (pdf: 150 per inch); 0 = automatic */
    char *font;                  /* gnuplot font "name,size"; NULL = the default */
    char *format;                /* "png", "svg", "pdf"; NULL = the command's */
    gn_band band;
    gn_legend legend;
    int legend_columns; /* 0 = automatic */
    gn_series_style *styles;
    int n_styles;
    int line;     /* line in the file */
    char **tuned; /* best, tuning: per optimizers: entry, the settings its tune: space
                     varies ("opt.lr"), joined by '\n'; NULL when it tunes none */
    int n_tuned;
    gn_settings where; /* only runs whose column (key) holds one of the values
                          (value text; several joined by '\n'); empty = all */
} gn_figure;

/* The protocol: section (a tuning study per optimizer entry, selection on
 * validation data, confirmation on paired seeds). Trials of study s run on
 * seed GN_PROTOCOL_TUNE_SEED + s, the same for every optimizer; confirmation
 * runs on seeds 1 .. confirm_seeds. */
#define GN_PROTOCOL_TUNE_SEED 1000
/* The protocol: section's keys (`gnbench list protocol`). */
extern const gn_param gn_protocol_params[];
typedef struct gn_protocol {
    int on;              /* the file has a protocol: section */
    long trials;         /* the default trial budget of every entry */
    long studies;        /* independent studies per entry */
    long confirm_seeds;  /* seeds the chosen configuration is rerun on */
    long seed;           /* the sampler's seed */
    int select;          /* gn_select_rule order: time_to_target, final_val_loss, best_val_loss */
    char *baselines;     /* optimizer names, space-separated */
    int target_auto;     /* protocol.target: auto: the target comes from the tuned baselines */
    double target_value; /* auto: NaN until the baselines' confirmation runs set it */
    long *entry_trials;  /* per optimizers: entry: its trials per study */
    int *entry_explicit; /* 1 when the entry set its own budget (trials:) */
    int n_entries;
} gn_protocol;

typedef struct gn_experiment {
    char *path;     /* file as given */
    char *base_dir; /* its folder */
    char *text;     /* the file's bytes, NUL-terminated */
    char *name;
    char *description;
    int quick; /* quick overrides applied */
    gn_run_spec *runs;
    int n_runs;
    char **columns; /* setting paths in runs.csv column order (union over runs) */
    int n_columns;
    gn_figure *figures;
    int n_figures;
    char **entry_labels; /* per optimizers: entry, its `label:` (NULL = none) */
    int n_entry_labels;
    gn_key_line *key_lines; /* every setting key written (global sections, then entries) */
    int n_key_lines;
    int dataset_line; /* line of the dataset: key */
    gn_protocol protocol;
} gn_experiment;

/* Appends the confirmation runs of a study's chosen trial (ex->runs[tune],
 * a tune run): its settings on seeds 1 .. protocol.confirm_seeds, skipping
 * runs already in ex (another study chose the same configuration). ex->runs
 * may move. Returns the runs added, or -1 with err. */
int gn_experiment_add_confirm(gn_experiment *ex, int tune, char *err, size_t errlen);

/* Parses and validates `path`, applies `quick:` overrides when quick != 0,
 * and expands the run grid. On error returns -1 and writes
 * "file:line: key: what was expected" into err. Does not load datasets.
 *
 * Runs are ordered: global sweeps (dataset, model, train, loss) outermost,
 * in file order with the first swept key varying slowest; then optimizer
 * entries in file order; then the entry's own sweeps; then seeds innermost.
 * A global value an entry overrides or drops (train.batch for a full-batch
 * optimizer) does not multiply that entry's runs. run_id is
 * "<optimizer>-s<seed>-<12 hex digits>", the digits the top of the FNV-1a
 * hash of the run's settings ("key=value\n", sorted by key), so seeds of
 * one configuration share them. Error keys are dotted paths (model.width,
 * optimizers[1].lr, figures[0].x; entries count from 0), prefixed "quick."
 * when the value was written under quick:. Without quick the quick
 * variant is validated too. On failure *ex is zeroed (gn_experiment_free
 * on it is harmless). */
int gn_experiment_load(const char *path, int quick, gn_experiment *ex, char *err, size_t errlen);
/* The same from text in memory (len bytes, NUL bytes allowed and rejected
 * like in a file): name stands for the file in errors and ex->path;
 * relative dataset paths resolve against base_dir (NULL: the folder of
 * name). The text is copied. */
int gn_experiment_load_text(const char *name, const char *text, size_t len, const char *base_dir,
                            int quick, gn_experiment *ex, char *err, size_t errlen);
void gn_experiment_free(gn_experiment *ex);

/* The `label:` of optimizers: entry k, "" when it has none (runs.csv's label
 * column). */
const char *gn_experiment_entry_label(const gn_experiment *ex, int k);

/* What a protocol tunes, summaries report and figures name as one method:
 * entry k's label, else its optimizer's name (ops). */
const char *gn_experiment_entry_name(const gn_experiment *ex, int k, const gn_optim_ops *ops);

/* Where run r's value of setting key was written: its entry's key when the
 * entry wrote it, else the global one; NULL when key took its default. */
const gn_key_line *gn_experiment_key_line(const gn_experiment *ex, const gn_run_spec *r,
                                          const char *key);

/* What only the data can tell, for every run of the grid before any run:
 * loads each distinct dataset once (one at a time, freed after its runs are
 * checked) and checks that a mini-batch optimizer's train.batch does not
 * exceed the training set (full-batch optimizers ignore batch). On error
 * returns -1 with "FILE:LINE: KEY: what" in err, the line and key being
 * those of the dataset.* setting (or train.batch) that led to it. */
int gn_experiment_check_data(const gn_experiment *ex, char *err, size_t errlen);

/* The same for one dataset a caller loaded itself (the runner, which keeps
 * it for the runs): ds the loaded set of run r's dataset_key, or NULL when
 * loading failed with load_msg. 0, or -1 with the message in err. */
int gn_experiment_check_dataset(const gn_experiment *ex, const gn_run_spec *r, const gn_dataset *ds,
                                const char *load_msg, char *err, size_t errlen);

#endif
