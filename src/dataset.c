/* dataset.c: built-in datasets (teacher, csv). (loaders in progress) */
#include <stdio.h>
#include <string.h>

#include "dataset.h"

static const gn_param teacher_params[] = {
    {"n_train", GN_PARAM_INT, "256", 1, 1e8, NULL, "training samples"},
    {"n_test", GN_PARAM_INT, "256", 0, 1e8, NULL, "test samples"},
    {"dim", GN_PARAM_INT, "16", 1, 1e6, NULL, "input dimension"},
    {"outputs", GN_PARAM_INT, "1", 1, 1e4, NULL, "target dimension c"},
    {"teacher_width", GN_PARAM_INT, "32", 1, 1e6, NULL, "hidden width of the random teacher MLP"},
    {"noise", GN_PARAM_REAL, "0", 0, 1e6, NULL, "standard deviation of Gaussian noise added to targets"},
    {"spectrum", GN_PARAM_REAL, "0", 0, 100, NULL,
     "input covariance eigenvalues decay like i^-spectrum (0 = isotropic)"},
    {"seed", GN_PARAM_INT, "0", 0, 9.007199254740992e15, NULL,
     "generator seed of the data (independent of the run seeds)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static const gn_param csv_params[] = {
    {"train", GN_PARAM_STRING, NULL, 0, 0, NULL, "training CSV file (relative to the experiment file)"},
    {"test", GN_PARAM_STRING, NULL, 0, 0, NULL, "test CSV file (optional)"},
    {"target", GN_PARAM_LIST, NULL, 0, 0, NULL, "target column names"},
    {"target_columns", GN_PARAM_INT, NULL, 1, 1e6, NULL,
     "number of target columns, taken from the right (default 1 when target is not given)"},
    {"standardize", GN_PARAM_BOOL, "true", 0, 0, NULL,
     "standardize inputs and targets by training-set mean and deviation"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const gn_dataset_kind gn_dataset_kinds[] = {
    {"teacher", "synthetic regression from a random teacher MLP with Gaussian inputs", teacher_params},
    {"csv", "your own data: CSV files with a header row (libcsv)", csv_params},
    {NULL, NULL, NULL},
};

const gn_dataset_kind *gn_dataset_kind_find(const char *name)
{
    for (int i = 0; gn_dataset_kinds[i].name; i++)
        if (strcmp(gn_dataset_kinds[i].name, name) == 0) return &gn_dataset_kinds[i];
    return NULL;
}

int gn_dataset_load(const gn_settings *s, const char *base_dir, gn_dataset *ds, char *err,
                    size_t errlen)
{
    (void)s, (void)base_dir, (void)ds;
    snprintf(err, errlen, "dataset loading is not implemented yet");
    return -1;
}

void gn_dataset_free(gn_dataset *ds)
{
    (void)ds;
}
