/* registry.c: the dataset kinds (the table `gnbench list datasets` shows
 * and gn_dataset_kind_find searches), the binding of a spec (dataset.name
 * and the kind's options) from the settings, and gn_dataset_load/free.
 * The kinds themselves live in teacher.c, csv.c, dataset_synth.c (ntk,
 * clustered, curves), dataset_fmnist.c and dataset_text.c (fann, digits,
 * diabetes); what their loaders share is in common.c and dataset_io.c
 * (package files, gzip, numeric text), declared in dataset_impl.h. */
#include "data/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset_impl.h"

const gn_dataset_kind gn_dataset_kinds[] = {
    {"teacher",
     "synthetic regression from a random teacher MLP with Gaussian inputs (any size; gn_rng)",
     gn_ds_teacher_params, sizeof(gn_ds_teacher_opts), gn_ds_load_teacher},
    {"ntk",
     "synthetic: x on the unit sphere, y = (alpha/sqrt(m)) sum_r a_r sigma(w_r.x), a_r = +-1 "
     "(the GGN paper's two-layer NTK setting; regression; gn_rng)",
     gn_ds_ntk_params, sizeof(gn_ds_ntk_opts), gn_ds_load_ntk},
    {"clustered",
     "synthetic: x_i = c_k + spread z_i around K centres, ill-conditioned kernels "
     "(smallest Gram eigenvalue ~ spread^2; regression; gn_rng)",
     gn_ds_clustered_params, sizeof(gn_ds_clustered_opts), gn_ds_load_clustered},
    {"curves",
     "synthetic CURVES-like 28x28 images, 20k/10k, autoencode (784 -> 784 in [0,1]); "
     "a reconstruction, not the original file (gn_rng)",
     gn_ds_curves_params, sizeof(gn_ds_curves_opts), gn_ds_load_curves},
    {"csv", "your own data: CSV files with a header row (libcsv); regression, or classes with xent",
     gn_ds_csv_params, sizeof(gn_ds_csv_opts), gn_ds_load_csv},
    {"fashion-mnist",
     "Fashion-MNIST 28x28 clothing images, 60k train/10k test, task classify (10 "
     "classes) | autoencode | rotation (angle regression); package "
     "dataset-fashion-mnist (MIT)",
     gn_ds_fashion_params, sizeof(gn_ds_fashion_opts), gn_ds_load_fashion},
    {"fann:<set>",
     "FANN example sets, <set> = census-house (11392/11392, 16->1), kin32fm, bank32fm, "
     "bank32nh (2048/2048, 32->1), pumadyn-32fm (512/512, 32->1), abelone (2088/2089, "
     "10->1), building (2104/2104, 14->3), robot (374/594, 48->3): regression; thyroid, "
     "mushroom, gene, soybean, diabetes: classify; parity8, parity13, two-spiral: binary; "
     "package libfann-doc (LGPL-2.1+)",
     gn_ds_fann_params, sizeof(gn_ds_fann_opts), gn_ds_load_fann},
    {"digits",
     "scikit-learn's 8x8 handwritten digits, 1797 images (1500/297 split by seed), "
     "64 -> 10 classes | autoencode; package python3-sklearn data files (BSD-3-Clause)",
     gn_ds_digits_params, sizeof(gn_ds_digits_opts), gn_ds_load_digits},
    {"diabetes",
     "scikit-learn's diabetes progression, 442 patients (400/42 split by seed), "
     "10 -> 1 regression; package python3-sklearn data files (BSD-3-Clause)",
     gn_ds_diabetes_params, sizeof(gn_ds_diabetes_opts), gn_ds_load_diabetes},
    {NULL, NULL, NULL, 0, NULL},
};

const gn_dataset_kind *gn_dataset_kind_find(const char *name)
{
    if (!name) return NULL;
    if (strncmp(name, "fann:", 5) == 0) {
        if (!gn_fann_set_find(name + 5)) return NULL;
        name = "fann:<set>";
    }
    for (int i = 0; gn_dataset_kinds[i].name; i++)
        if (strcmp(gn_dataset_kinds[i].name, name) == 0) return &gn_dataset_kinds[i];
    return NULL;
}

/* dataset.name, bound like every other setting. */
typedef struct ds_name {
    const char *name;
} ds_name;

static const gn_param name_params[] = {
    GN_P_STRING(ds_name, name, "the dataset kind"),
    GN_P_END,
};

/* The kind of a dataset name, or NULL with a message listing what exists. */
static const gn_dataset_kind *find_kind(const char *name, char *err, size_t errlen)
{
    const gn_dataset_kind *k = gn_dataset_kind_find(name);
    if (k) return k;
    if (strncmp(name, "fann:", 5) == 0) {
        gn_ds_err(err, errlen, "dataset.name = '%s': libfann-doc has no set '%s' (sets:", name,
                  name + 5);
        for (const gn_fann_set *f = gn_fann_sets; f->name; f++)
            gn_ds_append(err, errlen, " %s", f->name);
        gn_ds_append(err, errlen, ")");
        return NULL;
    }
    char known[512] = "";
    for (int i = 0; gn_dataset_kinds[i].name; i++) {
        size_t u = strlen(known);
        snprintf(known + u, sizeof known - u, "%s%s", i ? ", " : "", gn_dataset_kinds[i].name);
    }
    gn_ds_err(err, errlen, "dataset.name = '%s': unknown dataset (expected one of: %s)", name,
              known);
    return NULL;
}

int gn_dataset_spec_bind(gn_dataset_spec *spec, const gn_settings *s, char *err, size_t errlen)
{
    memset(spec, 0, sizeof *spec);
    ds_name n;
    if (gn_params_bind(name_params, s, "dataset.", &n, err, errlen) != 0) return -1;
    if (!n.name) {
        gn_ds_err(err, errlen,
                  "dataset.name: not set (expected a dataset; see gnbench list datasets)");
        return -1;
    }
    const gn_dataset_kind *k = find_kind(n.name, err, errlen);
    if (!k) return -1;
    spec->name = strdup(n.name);
    spec->opts = calloc(1, k->opts_size);
    if (!spec->name || !spec->opts) {
        gn_ds_err(err, errlen, "dataset %s: out of memory", n.name);
        gn_dataset_spec_free(spec);
        return -1;
    }
    if (gn_params_bind(k->params, s, "dataset.", spec->opts, err, errlen) != 0) {
        gn_dataset_spec_free(spec);
        return -1;
    }
    spec->kind = k;
    return 0;
}

void gn_dataset_spec_free(gn_dataset_spec *spec)
{
    if (!spec) return;
    free(spec->name);
    free(spec->opts);
    memset(spec, 0, sizeof *spec);
}

int gn_dataset_load(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                    char *err, size_t errlen)
{
    static const gn_dataset_request plain = {NULL, GN_TARGETS_VALUES};
    memset(ds, 0, sizeof *ds);
    if (!spec || !spec->kind || !spec->opts || !spec->name) {
        gn_ds_err(err, errlen, "dataset: no bound spec (gn_dataset_spec_bind)");
        return -1;
    }
    int rc = spec->kind->load(spec, req ? req : &plain, ds, err, errlen);
    if (rc) gn_dataset_free(ds);
    return rc;
}

/* Whether err starts with path (base_dir/path when relative) and a ':'. */
static int starts_with_file(const char *err, const char *base_dir, const char *path)
{
    size_t nb = base_dir && *base_dir && path[0] != '/' ? strlen(base_dir) : 0;
    if (nb) {
        if (strncmp(err, base_dir, nb) != 0 || err[nb] != '/') return 0;
        err += nb + 1;
    }
    size_t np = strlen(path);
    return strncmp(err, path, np) == 0 && err[np] == ':';
}

const char *gn_dataset_error_key(const gn_dataset_spec *spec, const gn_dataset_request *req,
                                 const char *err)
{
    if (!spec || !spec->kind || !err) return "name";
    const gn_param *t = spec->kind->params;
    for (const char *p = strstr(err, "dataset."); p; p = strstr(p + 1, "dataset.")) {
        const char *k = p + 8;
        size_t n = strspn(k, "abcdefghijklmnopqrstuvwxyz_0123456789");
        if (n == 4 && strncmp(k, "name", 4) == 0) return "name";
        for (int i = 0; t && t[i].name; i++)
            if (strlen(t[i].name) == n && strncmp(t[i].name, k, n) == 0) return t[i].name;
    }
    for (int i = 0; t && t[i].name; i++) {
        if (t[i].type != GN_PARAM_STRING) continue;
        const char *v = *(const char *const *)((const char *)spec->opts + t[i].offset);
        if (v && *v && starts_with_file(err, req ? req->base_dir : NULL, v)) return t[i].name;
    }
    return "name";
}

void gn_dataset_free(gn_dataset *ds)
{
    if (!ds) return;
    if (ds->Y_train != ds->X_train) free(ds->Y_train); /* autoencoders share */
    if (ds->Y_test != ds->X_test) free(ds->Y_test);
    free(ds->X_train);
    free(ds->X_test);
    memset(ds, 0, sizeof *ds);
}
