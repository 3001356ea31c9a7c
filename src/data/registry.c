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

#include "core/rng.h"
#include "data/dataset_impl.h"

const gn_param gn_dataset_common_params[] = {
    GN_P_REAL(gn_dataset_common, validation, NULL, 0, 1e9,
              "hold out part of the training set for validation: a fraction in (0, 1), or a "
              "number of samples (absent: no validation set)"),
    GN_P_INT(gn_dataset_common, validation_seed, NULL, 0, 9007199254740992.0,
             "seed of the validation split (absent: 0); the same split for every run"),
    GN_P_END,
};

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
    if (gn_params_bind(k->params, s, "dataset.", spec->opts, err, errlen) != 0 ||
        gn_params_bind(gn_dataset_common_params, s, "dataset.", &spec->common, err, errlen) != 0) {
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

/* Rows idx[0..n) of X (cols wide) into a new array; NULL when out of memory. */
static double *gather_rows(const double *X, int cols, const int *idx, int n)
{
    double *out = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1) * (size_t)cols);
    if (!out) return NULL;
    for (int i = 0; i < n; i++)
        memcpy(out + (size_t)i * cols, X + (size_t)idx[i] * cols, sizeof(double) * (size_t)cols);
    return out;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* dataset.validation: moves a seeded random subset of the training rows
 * into the validation set; both keep the file order of their rows. */
static int split_validation(const gn_dataset_common *cm, gn_dataset *ds, char *err, size_t errlen)
{
    double v = cm->validation;
    if (!(v > 0)) return 0;
    if (v >= 1 && v != (double)(long)v) {
        gn_ds_err(err, errlen,
                  "dataset.validation = %g: expected a fraction in (0, 1) or a whole number of "
                  "samples",
                  v);
        return -1;
    }
    long n_val = v < 1 ? (long)(v * ds->n_train + 0.5) : (long)v;
    if (n_val < 1 || n_val >= ds->n_train) {
        gn_ds_err(err, errlen,
                  "dataset.validation = %g: %ld validation samples of %d training samples; "
                  "expected at least 1 and fewer than the training set",
                  v, n_val, ds->n_train);
        return -1;
    }
    int n = ds->n_train, nv = (int)n_val, nt = n - nv;
    int *perm = malloc(sizeof(int) * (size_t)n);
    if (!perm) {
        gn_ds_err(err, errlen, "dataset.validation: out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++)
        perm[i] = i;
    gn_rng rng;
    gn_rng_seed(&rng, (uint64_t)cm->validation_seed, "validation");
    gn_rng_shuffle(&rng, perm, n);
    qsort(perm, (size_t)nv, sizeof *perm, cmp_int);
    qsort(perm + nv, (size_t)nt, sizeof *perm, cmp_int);
    int shared = ds->Y_train == ds->X_train;
    double *Xv = gather_rows(ds->X_train, ds->d, perm, nv);
    double *Xt = gather_rows(ds->X_train, ds->d, perm + nv, nt);
    double *Yv = shared ? Xv : gather_rows(ds->Y_train, ds->c, perm, nv);
    double *Yt = shared ? Xt : gather_rows(ds->Y_train, ds->c, perm + nv, nt);
    free(perm);
    if (!Xv || !Xt || !Yv || !Yt) {
        free(Xv);
        free(Xt);
        if (!shared) {
            free(Yv);
            free(Yt);
        }
        gn_ds_err(err, errlen, "dataset.validation: out of memory");
        return -1;
    }
    if (!shared) free(ds->Y_train);
    free(ds->X_train);
    ds->X_train = Xt;
    ds->Y_train = Yt;
    ds->X_val = Xv;
    ds->Y_val = Yv;
    ds->n_train = nt;
    ds->n_val = nv;
    gn_ds_append(ds->identity, sizeof ds->identity, " validation=%d/seed=%ld", nv,
                 cm->validation_seed);
    return 0;
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
    if (rc == 0) rc = split_validation(&spec->common, ds, err, errlen);
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
        for (const gn_param *q = gn_dataset_common_params; q->name; q++)
            if (strlen(q->name) == n && strncmp(q->name, k, n) == 0) return q->name;
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
    if (ds->Y_val != ds->X_val) free(ds->Y_val);
    free(ds->X_val);
    free(ds->X_train);
    free(ds->X_test);
    memset(ds, 0, sizeof *ds);
}
