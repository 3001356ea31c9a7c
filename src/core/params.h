/* params.h: typed parameter tables and resolved settings.
 *
 * One table format describes every setting a user can write: the dataset,
 * model and train sections of an experiment file and each optimizer's
 * hyperparameters. The same tables drive `gnbench list`, the validation of
 * experiment files and the binding of every run into typed structs (below):
 * code under the experiment parser reads struct fields, never a setting by
 * name, so a misspelt setting does not compile.
 *
 * A resolved run also keeps its settings as text, a flat list addressed by
 * dotted paths ("model.width", "opt.lr", "dataset.n_train", "loss"), each
 * value the text the user wrote (or the default): for what is written out
 * (runs.csv cells, the run-id hash) and the figures, which name columns.
 * There are no typed getters with fallbacks: binding is the only way from
 * text to a value. */
#ifndef GN_PARAMS_H
#define GN_PARAMS_H

#include <float.h>
#include <stddef.h>

typedef enum {
    GN_PARAM_REAL,   /* finite double in [min, max] */
    GN_PARAM_INT,    /* integer in [min, max] */
    GN_PARAM_BOOL,   /* true|false */
    GN_PARAM_CHOICE, /* one of `choices`, written "a|b|c" */
    GN_PARAM_STRING, /* any text (paths, layer lists) */
    GN_PARAM_LIST    /* a sequence of strings, never swept; stored joined by ';' */
} gn_param_type;

typedef struct gn_param {
    const char *name;
    gn_param_type type;
    const char *def;     /* default as text; NULL = no default (unset unless given) */
    double min, max;     /* inclusive range for REAL and INT */
    const char *choices; /* "a|b|c" for CHOICE */
    const char *doc;     /* one sentence for `gnbench list` */
    size_t offset;       /* where gn_params_bind stores the value (GN_P_* macros) */
} gn_param;

/* ---- binding into typed structs ----
 *
 * A table that binds describes one struct: each entry names a field of the
 * same name, and gn_params_bind stores the typed value there (the way
 * libfuse's option tables do). Write the entries with the macros below: the
 * key is the field name (#f), and the field's C type is checked at compile
 * time, so a misspelt or mistyped field does not compile:
 *   REAL   -> double   (absent without default: NaN)
 *   INT    -> long     (absent without default: 0)
 *   BOOL   -> int      (0 or 1)
 *   CHOICE -> int      (index of the name in "a|b|c": declare the enum in the
 *                       same order next to the table)
 *   STRING, LIST -> const char * (the settings' text, which must outlive the
 *                       struct; LIST items joined by ';'; absent: NULL) */
#define GN_P_OFFSET(S, f, T)                                                                       \
    (offsetof(S, f) + 0 * sizeof(char[_Generic(((S *)0)->f, T : 1, default : -1)]))
#define GN_P_REAL(S, f, def, lo, hi, doc)                                                          \
    {                                                                                              \
#f, GN_PARAM_REAL, def, lo, hi, NULL, doc, GN_P_OFFSET(S, f, double)                       \
    }
#define GN_P_INT(S, f, def, lo, hi, doc)                                                           \
    {                                                                                              \
#f, GN_PARAM_INT, def, lo, hi, NULL, doc, GN_P_OFFSET(S, f, long)                          \
    }
#define GN_P_BOOL(S, f, def, doc)                                                                  \
    {                                                                                              \
#f, GN_PARAM_BOOL, def, 0, 0, NULL, doc, GN_P_OFFSET(S, f, int)                            \
    }
#define GN_P_CHOICE(S, f, def, choices, doc)                                                       \
    {                                                                                              \
#f, GN_PARAM_CHOICE, def, 0, 0, choices, doc, GN_P_OFFSET(S, f, int)                       \
    }
#define GN_P_STRING(S, f, doc)                                                                     \
    {                                                                                              \
#f, GN_PARAM_STRING, NULL, 0, 0, NULL, doc, GN_P_OFFSET(S, f, const char *)                \
    }
#define GN_P_LIST(S, f, doc)                                                                       \
    {                                                                                              \
#f, GN_PARAM_LIST, NULL, 0, 0, NULL, doc, GN_P_OFFSET(S, f, const char *)                  \
    }
#define GN_P_END                                                                                   \
    {                                                                                              \
        NULL, 0, NULL, 0, 0, NULL, NULL, 0                                                         \
    }

/* Use as `min` of a REAL that must be strictly positive: the range is then
 * (0, max], described as such. */
#define GN_PARAM_POSITIVE DBL_TRUE_MIN

/* Tables end with an entry whose name is NULL. */
const gn_param *gn_param_find(const gn_param *table, const char *name);

/* Checks `text` against `p`. Returns 0 when valid; otherwise writes what was
 * expected into why (e.g. "a real number in [0, 1e6]") and returns -1. */
int gn_param_check(const gn_param *p, const char *text, char *why, size_t whylen);

/* A short description of the accepted values, e.g. "real in [0, inf)". */
void gn_param_describe(const gn_param *p, char *buf, size_t len);

/* Index of `text` among the "a|b|c" choices of p, or -1. */
int gn_param_choice_index(const gn_param *p, const char *text);

/* ---- resolved settings ---- */

typedef struct gn_setting {
    char *key;   /* dotted path */
    char *value; /* text */
} gn_setting;

typedef struct gn_settings {
    gn_setting *v;
    int n, cap;
} gn_settings;

void gn_settings_init(gn_settings *s);
void gn_settings_free(gn_settings *s);
int gn_settings_copy(gn_settings *dst, const gn_settings *src);
/* Sets (adds or replaces) key = value. Returns 0, or -1 when out of memory. */
int gn_settings_set(gn_settings *s, const char *key, const char *value);
/* Value text, or NULL when the key is absent. */
const char *gn_settings_get(const gn_settings *s, const char *key);
/* Removes key when present. */
void gn_settings_unset(gn_settings *s, const char *key);

/* Fills the struct at out (see "binding" above) from the settings
 * "<prefix><name>" (prefix e.g. "opt."; "" for none): the setting's text when
 * present, else the entry's default. Every value is checked against its
 * entry. Returns 0, or -1 with "<prefix><name>: expected ..., got ..." in err.
 * s may be NULL (defaults only). String fields point into s. */
int gn_params_bind(const gn_param *table, const gn_settings *s, const char *prefix, void *out,
                   char *err, size_t errlen);

#endif
