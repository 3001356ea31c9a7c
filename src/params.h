/* params.h: typed parameter tables and resolved settings.
 *
 * One table format describes every setting a user can write: the dataset,
 * model and train sections of an experiment file and each optimizer's
 * hyperparameters. The same tables drive `gnbench list`, the validation of
 * experiment files and the lookup of values at run time.
 *
 * A resolved run is a flat list of settings addressed by dotted paths
 * ("model.width", "opt.lr", "dataset.n_train", "loss"), each value kept as
 * the text the user wrote (or the default), validated against its table. */
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
} gn_param;

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
/* Typed getters: return `fallback` when the key is absent. Values were
 * validated when the experiment was loaded. */
double gn_settings_real(const gn_settings *s, const char *key, double fallback);
long gn_settings_int(const gn_settings *s, const char *key, long fallback);
int gn_settings_bool(const gn_settings *s, const char *key, int fallback);
/* Removes key when present. */
void gn_settings_unset(gn_settings *s, const char *key);

#endif
