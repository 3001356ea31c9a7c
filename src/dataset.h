/* dataset.h: training and test data for a run.
 *
 * A dataset is chosen by `dataset.name` and configured by the other
 * `dataset.*` settings, each described by the dataset's parameter table.
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
#include "params.h"

typedef struct gn_dataset {
    int n_train, n_test; /* samples */
    int d, c;            /* input dimension, outputs */
    double *X_train;     /* (n_train, d) */
    double *Y_train;     /* (n_train, c) */
    double *X_test;      /* (n_test, d), NULL when n_test == 0 */
    double *Y_test;      /* (n_test, c) */
    char identity[512];  /* name, options, source files (bytes and zlib crc32) or
                            generator version and seed */
} gn_dataset;

typedef struct gn_dataset_kind gn_dataset_kind;

/* Fills ds from the settings (already checked against k->params); on error
 * returns -1 with a message in err (ds is freed by the caller). */
typedef int (*gn_dataset_load_fn)(const gn_settings *s, const gn_dataset_kind *k,
                                  const char *base_dir, gn_dataset *ds, char *err,
                                  size_t errlen);

struct gn_dataset_kind {
    const char *name;       /* "fann:<set>" stands for every fann:NAME */
    const char *summary;    /* one line for `gnbench list datasets`: size, task, source, license */
    const gn_param *params; /* keys of the dataset: mapping other than `name` */
    gn_dataset_load_fn load;
};

/* The registered dataset kinds, ending with {NULL}. */
extern const gn_dataset_kind gn_dataset_kinds[];
/* The kind of a dataset.name, or NULL. "fann:census-house" finds the
 * "fann:<set>" kind when census-house is one of the sets libfann-doc ships. */
const gn_dataset_kind *gn_dataset_kind_find(const char *name);

/* Loads the dataset the `dataset.*` settings describe. Relative paths are
 * resolved against base_dir (the experiment file's folder). On error
 * returns -1 with a message naming the file, line and column in err. */
int gn_dataset_load(const gn_settings *s, const char *base_dir, gn_dataset *ds,
                    char *err, size_t errlen);
void gn_dataset_free(gn_dataset *ds);

#endif
