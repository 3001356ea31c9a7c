/* dataset.h: training and test data for a run.
 *
 * A dataset is chosen by `dataset.name` and configured by the other
 * `dataset.*` settings, each described by the dataset's parameter table and
 * bound into the kind's options struct (gn_dataset_spec_bind). Datasets do
 * not read training settings: the target encoding the loss needs arrives in
 * a gn_dataset_request.
 * Data are float64, row-major, one copy: for autoencoding sets (target =
 * input) Y_train is X_train and Y_test is X_test, so treat the arrays as
 * read-only and free them only with gn_dataset_free.
 *
 * Built-in kinds (see datasets/README.md for sources, licenses, checksums):
 * teacher, ntk, clustered, curves (synthetic, gn_rng), csv (your files),
 * fashion-mnist (package dataset-fashion-mnist), fann:<set> (libfann-doc),
 * digits and diabetes (the data files of python3-sklearn).
 *
 * Package files are looked up under $GNBENCH_DATA_ROOT (default: the file
 * system root), then in the cache $GNBENCH_DATA_CACHE (default
 * <source root>/datasets/cache, filled by `bash datasets/fetch.sh`). */
#ifndef GN_DATASET_H
#define GN_DATASET_H

#include <stddef.h>
#include "model/loss.h"
#include "core/params.h"

typedef struct gn_dataset {
    int n_train, n_test; /* samples */
    int d, c;            /* input dimension, outputs */
    double *X_train;     /* (n_train, d) */
    double *Y_train;     /* (n_train, c) */
    double *X_test;      /* (n_test, d), NULL when n_test == 0 */
    double *Y_test;      /* (n_test, c) */
    int n_val;           /* held out of the training set (dataset.validation) */
    double *X_val;       /* (n_val, d), NULL when n_val == 0 */
    double *Y_val;       /* (n_val, c); Y_val == X_val for autoencoders */
    char identity[512];  /* name, options, source files (bytes and zlib crc32) or
                            generator version and seed */
} gn_dataset;

typedef struct gn_dataset_kind gn_dataset_kind;

/* What the training run needs from a dataset beyond its own options: where
 * relative paths start and how the targets are encoded (gn_loss_targets of
 * the run's loss). Two loads of one spec with different requests may give
 * different data, so a cache of loaded datasets keys on both. */
typedef struct gn_dataset_request {
    const char *base_dir; /* the experiment file's folder; NULL or "" = the working directory */
    gn_targets targets;
} gn_dataset_request;

/* A dataset as configured: its kind, its name (a "fann:<set>" kind serves
 * several names) and the kind's options struct, bound from the `dataset.*`
 * settings by the kind's parameter table. String options point into the
 * settings, which must outlive the spec. */
/* The dataset.* settings every kind accepts, bound by gn_dataset_spec_bind
 * (gn_dataset_common_params). */
typedef struct gn_dataset_common {
    double validation;    /* NaN or 0: no split; in (0, 1): that fraction of the
                             training set; >= 1: that many samples */
    long validation_seed; /* the split's seed (not the run seed: every run of an
                             experiment sees the same split) */
} gn_dataset_common;

extern const gn_param gn_dataset_common_params[];

typedef struct gn_dataset_spec {
    const gn_dataset_kind *kind;
    char *name;               /* dataset.name (owned) */
    void *opts;               /* the kind's options struct, kind->opts_size bytes (owned) */
    gn_dataset_common common; /* the keys every kind accepts */
} gn_dataset_spec;

/* Fills ds from a bound spec of this kind; on error returns -1 with a
 * message in err (ds is freed by the caller). */
typedef int (*gn_dataset_load_fn)(const gn_dataset_spec *spec, const gn_dataset_request *req,
                                  gn_dataset *ds, char *err, size_t errlen);

struct gn_dataset_kind {
    const char *name;       /* "fann:<set>" stands for every fann:NAME */
    const char *summary;    /* one line for `gnbench list datasets`: size, task, source, license */
    const gn_param *params; /* keys of the dataset: mapping other than `name`; binds into opts */
    size_t opts_size;       /* size of the options struct params binds into */
    gn_dataset_load_fn load;
};

/* The registered dataset kinds, ending with {NULL}. */
extern const gn_dataset_kind gn_dataset_kinds[];
/* The kind of a dataset.name, or NULL. "fann:census-house" finds the
 * "fann:<set>" kind when census-house is one of the sets libfann-doc ships. */
const gn_dataset_kind *gn_dataset_kind_find(const char *name);

/* Binds `dataset.name` and the kind's options from the `dataset.*` settings
 * (each checked against the kind's table; absent keys take the table's
 * default). Returns 0, or -1 with a message in err and spec cleared. */
int gn_dataset_spec_bind(gn_dataset_spec *spec, const gn_settings *s, char *err, size_t errlen);
/* Frees what bind allocated; a cleared spec may be freed too. */
void gn_dataset_spec_free(gn_dataset_spec *spec);

/* Loads the dataset a bound spec describes, encoding the targets as req
 * asks (NULL: values, paths from the working directory); a spec can be
 * loaded any number of times. With dataset.validation, a seeded random
 * subset of the training set is moved into X_val/Y_val (the rest keeps its
 * order); the test set is untouched. Relative paths are resolved against
 * req->base_dir. On error
 * returns -1 with a message naming the file, line and column in err, and
 * ds cleared. */
int gn_dataset_load(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                    char *err, size_t errlen);
void gn_dataset_free(gn_dataset *ds);

/* The option an error message of gn_dataset_load (for this spec and
 * request) is about, so the caller can point at the line that set it: the
 * first "dataset.KEY" the message names (KEY an option of the kind), else
 * the file option (train, test) whose resolved path the message starts
 * with; "name" (the dataset as a whole) when neither. */
const char *gn_dataset_error_key(const gn_dataset_spec *spec, const gn_dataset_request *req,
                                 const char *err);

#endif
