/* exp_internal.h: what the files of the experiment loader share. Not part
 * of the public interface (that is exp/experiment.h); include it only from
 * src/exp/.
 *
 * Loading goes in four steps:
 *  1. the file is read and parsed with libyaml's document API, then copied
 *     into a small tree of our own (ynode) that keeps line numbers, resolves
 *     aliases and `<<` merge keys, and bounds nesting depth and size (so
 *     recursive aliases or alias bombs cannot hang or crash the loader);
 *     an aliased node is converted once and shared (the tree is never
 *     modified once built), while the size bound still counts every copy
 *     the aliases stand for, so an alias bomb is refused in microseconds;
 *  2. with --quick, the `quick:` mapping is deep-merged into the tree
 *     (mappings key by key, scalars and sequences replaced);
 *  3. every section is validated against its parameter table and collected
 *     as "items": a setting with one value or several (a sweep);
 *  4. the run grid is expanded: global sweeps outermost (first key slowest),
 *     then optimizer entries in file order, then the entry's own sweeps,
 *     then the seeds.
 * Without --quick the quick overrides are still expanded (and discarded) so
 * an error in them is reported by `gnbench check` rather than at bench time.
 *
 * The files, one step or one kind of thing each:
 *   context.c    errors, the parse-time arena, text helpers for messages
 *   yaml_tree.c  step 1: libyaml -> ynode tree (the only includer of <yaml.h>)
 *   quick.c      step 2: the quick: overlay
 *   items.c      values and sweeps checked against a parameter
 *   sections.c   step 3: the top-level keys and their sections
 *   grid.c       step 4: the run grid, run ids, typed run specs, columns
 *   figures.c    the figures: section, checked against the expanded runs
 *   load.c       gn_experiment_load, _load_text and _free: the steps in order
 *
 * Errors read "FILE:LINE: KEY: what was expected", KEY being a dotted path
 * such as model.width, optimizers[1].lr (entries count from 0) or
 * figures[0].kind; keys written inside `quick:` are prefixed with "quick.".
 * All temporary memory lives in an arena freed when loading ends. */
#ifndef GN_EXP_INTERNAL_H
#define GN_EXP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/params.h"
#include "exp/experiment.h"

#if defined(__GNUC__)
#define GN_EXP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GN_EXP_PRINTF(a, b)
#endif

/* Limits that keep hostile input cheap: nesting, nodes after alias
 * expansion, pairs per mapping and items per sequence (duplicate checks
 * are quadratic in these), runs in the grid, name length. */
enum {
    MAX_DEPTH = 64,
    MAX_NODES = 1000000,
    MAX_KEYS = 1024,
    MAX_ITEMS = 10000,
    MAX_RUNS = 100000,
    MAX_NAME = 128
};

/* ---- the load context (context.c) ---- */

typedef struct chunk chunk;
typedef struct ynode ynode;

typedef struct ctx {
    const char *path;
    char *err;
    size_t errlen;
    chunk *mem;   /* every temporary allocation */
    long budget;  /* nodes left before the tree is "too large" */
    int top_line; /* line of the top-level key being converted */
    ynode **memo; /* converted libyaml nodes, by 2 * node index + quick flag */
    size_t memo_n;
    char loss_choices[256];
    gn_param loss_param;
} ctx;

/* Writes "PATH:LINE: [quick.]KEY: message" (or "PATH:LINE: message" when
 * key is NULL or empty) into the context's error; returns -1. */
int gn_exp_fail(ctx *c, int line, int quick, const char *key, const char *fmt, ...)
    GN_EXP_PRINTF(5, 6);
/* "PATH: out of memory"; returns -1. */
int gn_exp_oom(ctx *c);

/* Zeroed memory freed with the arena; NULL (with the error set) when out of memory. */
void *gn_exp_alloc(ctx *c, size_t n);
/* A formatted string in the arena; NULL when out of memory. */
char *gn_exp_printf(ctx *c, const char *fmt, ...) GN_EXP_PRINTF(2, 3);
/* Frees every arena allocation of c. */
void gn_exp_arena_free(ctx *c);

/* "a, b, c" of a NULL-terminated list, cut to len bytes. */
void gn_exp_join(const char *const *v, char *buf, size_t len);
/* Whether s is in the NULL-terminated list v. */
int gn_exp_in_list(const char *const *v, const char *s);
/* Whether s is a name: 1 to MAX_NAME characters from [a-z0-9_-]. */
int gn_exp_name_ok(const char *s);
/* A scalar quoted for a message ("\"text\"", cut at 60 characters) or
 * "nothing"; buf holds the text. */
const char *gn_exp_shown(const ynode *n, char *buf, size_t len);

/* ---- the tree (yaml_tree.c) ---- */

enum { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
    int kind, line;
    int quick;       /* written inside the quick: section */
    int null;        /* a plain empty, ~ or null scalar */
    const char *str; /* Y_SCALAR */
    int n;           /* items (Y_SEQ) or pairs (Y_MAP) */
    ynode **v;       /* items or values */
    const char **k;  /* Y_MAP keys */
    int *kline;      /* Y_MAP key lines */
    long size;       /* nodes in the expansion, this one included */
    int height;      /* levels below this node */
};

/* Parses len bytes of YAML text into a tree whose root is a mapping (step
 * 1); NULL with the error set. */
ynode *gn_exp_parse_text(ctx *c, const char *text, size_t len);

/* "a mapping", "a sequence" or "a scalar". */
const char *gn_exp_kind_name(const ynode *n);
/* The value of key in mapping m (NULL when m is not a mapping or lacks
 * it); *kline, when kline is not NULL, gets the key's line. */
const ynode *gn_exp_map_get(const ynode *m, const char *key, int *kline);
/* The index of key among the pairs of mapping m, or -1. */
int gn_exp_map_index(const ynode *m, const char *key);
/* An empty mapping with room for cap pairs; NULL when out of memory. */
ynode *gn_exp_new_map(ctx *c, int cap, int line, int quick);

/* ---- the quick: overlay (quick.c) ---- */

/* The tree root without its quick: key, with the overrides q merged in
 * (step 2); NULL with the error set. */
ynode *gn_exp_apply_quick(ctx *c, const ynode *root, const ynode *q);

/* ---- settings items (items.c) ---- */

typedef struct val {
    const char *s;
    int line, quick;
} val;

/* One setting as written: a value, or several (a sweep). */
typedef struct item {
    const char *key;  /* setting key: "model.width", "opt.lr" */
    const char *path; /* for errors: "model.width", "optimizers[1].lr" */
    int line, quick;  /* of the key */
    int n;
    val *v;
} item;

/* A growable list of items (in the arena). */
typedef struct layer {
    item *it;
    int n, cap;
} layer;

/* A new zeroed item at the end of l; NULL when out of memory. */
item *gn_exp_layer_add(ctx *c, layer *l);
/* The item of l with this key, or NULL. */
const item *gn_exp_layer_find(const layer *l, const char *key);
/* Fills it->v from node n (a scalar, or a sequence = a sweep, or for LIST
 * parameters the list itself) and validates every value against p. */
int gn_exp_parse_values(ctx *c, item *it, const gn_param *p, const ynode *n);
/* Checks the values of it again, against another parameter p. */
int gn_exp_revalidate(ctx *c, const item *it, const gn_param *p);

/* ---- sections (sections.c) ---- */

/* One dimension of a tuning study's space (an entry's tune: key). */
typedef enum { TUNE_LIST, TUNE_CHOICE, TUNE_UNIFORM, TUNE_LOG_UNIFORM } tune_dist;

typedef struct tune_dim {
    item it; /* key "opt.lr", path "optimizers[0].tune.lr", line; the values of a list or choice */
    const gn_param *p;
    tune_dist dist;
    double lo, hi; /* uniform and log_uniform */
} tune_dim;

/* One entry of optimizers:. */
typedef struct entry {
    const gn_optim_ops *ops;
    int index, line, quick;
    const char *label; /* `label:` names its lines in figures; NULL = none */
    layer l;           /* opt.* and train.* items */
    tune_dim *tune;    /* tune: (protocol experiments) */
    int n_tune, tune_line;
    long trials; /* trials: per study; 0 = the protocol's */
    int trials_line;
} entry;

/* The experiment as validated, before expansion. */
typedef struct spec {
    const char *name, *description;
    long *seeds;
    int n_seeds;
    layer global; /* dataset.*, model.*, train.*, loss in file order */
    entry *entries;
    int n_entries;
    const ynode *figures;
    int figures_line;
    gn_protocol proto; /* proto.on: the file has a protocol: section (arena strings) */
    int proto_line, seeds_line;
} spec;

/* The keys allowed at the top of the file, NULL-terminated. */
extern const char *const gn_exp_top_keys[];

/* Validates every section of the tree root into sp (step 3). */
int gn_exp_parse_root(ctx *c, spec *sp, const ynode *root);

/* ---- the run grid (grid.c) ---- */

/* Expands sp into ex->runs (step 4), refusing grids over MAX_RUNS runs and
 * runs that two entries would both produce. */
int gn_exp_expand(ctx *c, const spec *sp, gn_experiment *ex);
/* The pieces the protocol's expansion (tune.c) shares with the grid's: the
 * hash of a run's settings (its run-id digits; *oom set when out of
 * memory), every setting of entry e at the counters gidx (global) and eidx
 * (the entry's items), the append of a bound run (lines[i]: the entry of
 * run i), and the refusal of runs two entries or trials would both make. */
uint64_t gn_exp_settings_hash(const gn_settings *s, int *oom);
int gn_exp_resolve(ctx *c, gn_settings *s, const spec *sp, const int *gidx, const entry *e,
                   const int *eidx);
int gn_exp_push_run(ctx *c, gn_experiment *ex, int *cap, int **lines, const entry *e, long seed,
                    uint64_t h, const gn_settings *s);
int gn_exp_check_duplicates(ctx *c, const gn_experiment *ex, const spec *sp, const int *entry_of);
/* Fills ex->columns: the settings of every run, in runs.csv order. */
int gn_exp_build_columns(ctx *c, gn_experiment *ex);
/* Frees what a run spec holds. */
void gn_exp_run_spec_free(gn_run_spec *r);

/* ---- tuning studies (tune.c) ---- */

/* protocol: (the top-level section) into sp->proto. */
int gn_exp_parse_protocol(ctx *c, spec *sp, const ynode *n, int line);
/* An entry's tune: mapping (key line `line`) and trials: value. */
int gn_exp_parse_tune(ctx *c, entry *e, const ynode *n, int line, const char *epath);
int gn_exp_parse_trials(ctx *c, entry *e, const ynode *n, int line, const char *epath);
/* Step 4 for a protocol experiment: every entry's trials of every study
 * (confirmation runs are added by the runner once the trials are done). */
int gn_exp_expand_protocol(ctx *c, const spec *sp, gn_experiment *ex);

/* ---- the protocol (protocol.c) ---- */

/* Checks what only resolved runs show (a validation target without a
 * validation set, a fractional warmup in steps), naming the key's line. */
int gn_exp_check_runs(ctx *c, const gn_experiment *ex);

/* ---- figures (figures.c) ---- */

/* Validates sp->figures against the runs and columns of ex and fills
 * ex->figures. */
int gn_exp_build_figures(ctx *c, const spec *sp, gn_experiment *ex);
/* Frees what a figure holds and zeroes it. */
void gn_exp_figure_free(gn_figure *f);
/* An optimizers: entry's `label:` (node v, error path `path`): one line of
 * printable text, in *out (v's text). */
int gn_exp_entry_label(ctx *c, const ynode *v, const char *path, const char **out);
/* The figure options beyond name, kind, axes, series, panels, title, logs and
 * where (figure_opts.c): xlabel, ylabel, xrange, yrange, size, font,
 * format, band, legend, style of figures[index] (node n) into f. */
int gn_exp_figure_options(ctx *c, const gn_experiment *ex, const ynode *n, int index, gn_figure *f);
/* Frees what gn_exp_figure_options filled. */
void gn_exp_figure_options_free(gn_figure *f);

#endif
