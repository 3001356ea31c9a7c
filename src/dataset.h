/* dataset.h: training and test data for a run.
 *
 * A dataset is chosen by `dataset.name` and configured by the other
 * `dataset.*` settings, each described by the dataset's parameter table.
 * Data are float64, row-major. */
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
    char identity[512];  /* name, options, source / generator version and seed */
} gn_dataset;

typedef struct gn_dataset_kind {
    const char *name;
    const char *summary; /* one line for `gnbench list datasets` */
    const gn_param *params; /* keys of the dataset: mapping other than `name` */
} gn_dataset_kind;

/* The registered dataset kinds, ending with {NULL}. */
extern const gn_dataset_kind gn_dataset_kinds[];
const gn_dataset_kind *gn_dataset_kind_find(const char *name);

/* Loads the dataset the `dataset.*` settings describe. Relative paths are
 * resolved against base_dir (the experiment file's folder). On error
 * returns -1 with a message naming the file, line and column in err. */
int gn_dataset_load(const gn_settings *s, const char *base_dir, gn_dataset *ds,
                    char *err, size_t errlen);
void gn_dataset_free(gn_dataset *ds);

#endif
