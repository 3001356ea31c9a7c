/* dataset_text.c: datasets read from numeric text files of Debian packages.
 *
 * fann:<set>: the example sets of libfann-doc (FANN, LGPL-2.1+) in
 *   /usr/share/doc/libfann-dev/examples/datasets/<set>.{train,test} (or
 *   .gz). FANN's format: a header line "N n_in n_out", then per sample a
 *   line of n_in inputs and a line of n_out outputs, values already in
 *   [0, 1]. The header must agree with the body: each line has the stated
 *   number of fields, exactly N samples, nothing after them; the test file
 *   has the training file's n_in and n_out.
 *   Classification sets have one-hot outputs (used as they are); the binary
 *   ones (parity8, parity13, two-spiral) have one 0/1 output, made one-hot
 *   (2 columns) for a GN_TARGETS_ONEHOT request (xent). standardize: inputs,
 *   and targets of the regression sets when the request asks for values
 *   (square loss), by training mean and deviation.
 * digits: /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
 *   (python3-sklearn, BSD-3-Clause): 1797 rows of 64 pixels (0..16) and the
 *   label (0..9). No official split: a seeded permutation gives n_train
 *   training and the next n_test test rows (each in file order).
 * diabetes: diabetes_data_raw.csv.gz (442 × 10: age, sex, bmi, bp, s1..s6)
 *   and diabetes_target.csv.gz (disease progression) in the same folder;
 *   split like digits; standardize (default) by training statistics.
 *   digits and diabetes give the same targets for every request.
 * sklearn's CSVs may start with a metadata line "n_samples,n_features,...":
 *   a first line that is not a row of the expected width is taken as one,
 *   and its n_samples must equal the number of rows that follow. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset_impl.h"
#include "core/rng.h"

/* ---------------------------------------------------------------------- */
/* fann                                                                    */

const gn_fann_set gn_fann_sets[] = {
    {"abelone", 2088, 2089, 10, 1, 0},
    {"bank32fm", 2048, 2048, 32, 1, 0},
    {"bank32nh", 2048, 2048, 32, 1, 0},
    {"building", 2104, 2104, 14, 3, 0},
    {"census-house", 11392, 11392, 16, 1, 0},
    {"diabetes", 384, 384, 8, 2, 1},
    {"gene", 1588, 1587, 120, 3, 1},
    {"kin32fm", 2048, 2048, 32, 1, 0},
    {"mushroom", 4062, 4062, 125, 2, 1},
    {"parity8", 256, 256, 8, 1, 2},
    {"parity13", 8192, 8192, 13, 1, 2},
    {"pumadyn-32fm", 512, 512, 32, 1, 0},
    {"robot", 374, 594, 48, 3, 0},
    {"soybean", 342, 341, 82, 19, 1},
    {"thyroid", 3600, 3600, 21, 3, 1},
    {"two-spiral", 193, 193, 2, 1, 2},
    {NULL, 0, 0, 0, 0, 0},
};

const gn_fann_set *gn_fann_set_find(const char *name)
{
    for (const gn_fann_set *f = gn_fann_sets; f->name; f++)
        if (strcmp(f->name, name) == 0) return f;
    return NULL;
}

const gn_param gn_ds_fann_params[] = {
    GN_P_INT(
        gn_ds_fann_opts, n_train, "-1", -1, 1e8,
        "training samples: a seeded random subset of the .train file (in file order); -1 = all"),
    GN_P_INT(gn_ds_fann_opts, n_test, "-1", -1, 1e8,
             "test samples: a seeded subset of the .test file; -1 = all, 0 = none"),
    GN_P_INT(gn_ds_fann_opts, seed, "0", 0, 9.007199254740992e15,
             "seed of the subsets (independent of the run seeds)"),
    GN_P_BOOL(gn_ds_fann_opts, standardize, "true",
              "standardize inputs, and regression targets (not with xent/bxent), by training mean "
              "and deviation"),
    GN_P_END,
};

/* Reads a FANN file whole: X (n, n_in), Y (n, n_out). */
static int fann_read(const char *path, const gn_blob *b, int *n, int *n_in, int *n_out, double **X,
                     double **Y, char *err, size_t errlen)
{
    gn_text t;
    gn_text_init(&t, path, b);
    double h[3];
    int cnt;
    int r = gn_text_line(&t, h, 3, &cnt, err, errlen);
    if (r < 0) return -1;
    if (r == 0) {
        gn_ds_err(err, errlen, "%s:%d: empty file (no header line)", path, t.line > 0 ? t.line : 1);
        return -1;
    }
    if (cnt != 3 || h[0] < 1 || h[1] < 1 || h[2] < 1 || h[0] != floor(h[0]) ||
        h[1] != floor(h[1]) || h[2] != floor(h[2]) || h[0] > 1e8 || h[1] > 1e6 || h[2] > 1e6) {
        gn_ds_err(
            err, errlen,
            "%s:%d: header must be 'samples inputs outputs' (three positive integers), got %d "
            "field%s",
            path, t.line, cnt, cnt == 1 ? "" : "s");
        return -1;
    }
    int N = (int)h[0], di = (int)h[1], dout = (int)h[2];
    /* each number takes at least two bytes (digit and separator) */
    if ((double)N * (di + dout) * 2 > (double)b->len + 2) {
        gn_ds_err(err, errlen,
                  "%s:%d: header declares %d samples of %d + %d numbers but the file has only %zu "
                  "bytes",
                  path, t.line, N, di, dout, b->len);
        return -1;
    }
    double *A = gn_ds_alloc(N, di), *B = gn_ds_alloc(N, dout);
    if (!A || !B) {
        free(A);
        free(B);
        gn_ds_err(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (int i = 0; i < 2 * N; i++) {
        int want = i % 2 ? dout : di;
        double *dst = i % 2 ? B + (size_t)(i / 2) * dout : A + (size_t)(i / 2) * di;
        r = gn_text_line(&t, dst, want, &cnt, err, errlen);
        if (r < 0) goto fail;
        if (r == 0) {
            gn_ds_err(err, errlen,
                      "%s:%d: the file ends after %d of the %d samples the header declares", path,
                      t.line, i / 2, N);
            goto fail;
        }
        if (cnt != want) {
            gn_ds_err(err, errlen, "%s:%d: sample %d: %d %s, the header says %d", path, t.line,
                      i / 2 + 1, cnt, i % 2 ? "outputs" : "inputs", want);
            goto fail;
        }
    }
    double dummy;
    r = gn_text_line(&t, &dummy, 1, &cnt, err, errlen);
    if (r != 0) {
        if (r > 0)
            gn_ds_err(err, errlen, "%s:%d: data after the %d samples the header declares", path,
                      t.line, N);
        goto fail;
    }
    *n = N;
    *n_in = di;
    *n_out = dout;
    *X = A;
    *Y = B;
    return 0;
fail:
    free(A);
    free(B);
    return -1;
}

/* Keeps the rows idx (sorted) of A (n, m) at its start. */
static void keep_rows(double *A, int m, const int *idx, int k)
{
    for (int i = 0; i < k; i++)
        if (idx[i] != i) memmove(A + (size_t)i * m, A + (size_t)idx[i] * m, (size_t)m * sizeof *A);
}

/* Shrinks a row subset of X (n, d) and Y (n, c) to k rows chosen by seed. */
static int subset_rows(double **X, double **Y, int n, int d, int c, int k, uint64_t seed,
                       const char *stream)
{
    if (k == n) return 0;
    int *idx = gn_ds_subset(n, k, seed, stream);
    if (!idx) return -1;
    keep_rows(*X, d, idx, k);
    keep_rows(*Y, c, idx, k);
    free(idx);
    if (k == 0) {
        free(*X);
        free(*Y);
        *X = *Y = NULL;
        return 0;
    }
    double *x = realloc(*X, (size_t)k * d * sizeof **X),
           *y = realloc(*Y, (size_t)k * c * sizeof **Y);
    if (x) *X = x;
    if (y) *Y = y;
    return 0;
}

int gn_ds_load_fann(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                    char *err, size_t errlen)
{
    const gn_ds_fann_opts *o = spec->opts;
    const char *name = spec->name;
    const gn_fann_set *set =
        name && strncmp(name, "fann:", 5) == 0 ? gn_fann_set_find(name + 5) : NULL;
    if (!set) {
        gn_ds_err(err, errlen, "dataset.name = '%s': not a FANN set", name ? name : "");
        return -1;
    }
    long n_train = o->n_train, n_test = o->n_test;
    long seed = o->seed;
    int stdz = o->standardize;
    /* regression targets are standardized only when the request asks for values */
    int std_targets = set->classify == 0 && req->targets == GN_TARGETS_VALUES;
    char sys[512], path[2048], tpath[2048], files[300] = "";
    gn_blob b = {0};
    int rc = -1, N = 0, d = 0, c = 0, Nt = 0, dt = 0, ct = 0;

    snprintf(sys, sizeof sys, GN_FANN_DIR "/%s.train", set->name);
    if (gn_ds_locate(sys, GN_FANN_HOW, path, sizeof path, err, errlen)) return -1;
    if (gn_blob_read(path, &b, err, errlen)) return -1;
    if (fann_read(path, &b, &N, &d, &c, &ds->X_train, &ds->Y_train, err, errlen)) goto done;
    gn_ds_identity_file(files, sizeof files, strrchr(path, '/') + 1, &b);
    gn_blob_free(&b);
    if (n_train > N) {
        gn_ds_err(err, errlen, "dataset.n_train = %ld but %s has %d samples", n_train, path, N);
        goto done;
    }
    if (n_test != 0) {
        snprintf(sys, sizeof sys, GN_FANN_DIR "/%s.test", set->name);
        if (gn_ds_locate(sys, GN_FANN_HOW, tpath, sizeof tpath, err, errlen)) goto done;
        if (gn_blob_read(tpath, &b, err, errlen)) goto done;
        if (fann_read(tpath, &b, &Nt, &dt, &ct, &ds->X_test, &ds->Y_test, err, errlen)) goto done;
        gn_ds_identity_file(files, sizeof files, strrchr(tpath, '/') + 1, &b);
        gn_blob_free(&b);
        if (dt != d || ct != c) {
            gn_ds_err(err, errlen,
                      "%s:1: %d inputs and %d outputs, but the training file %s has %d and %d",
                      tpath, dt, ct, path, d, c);
            goto done;
        }
        if (n_test > Nt) {
            gn_ds_err(err, errlen, "dataset.n_test = %ld but %s has %d samples", n_test, tpath, Nt);
            goto done;
        }
    }
    int ntr = n_train < 0 ? N : (int)n_train, nte = n_test < 0 ? Nt : (int)n_test;
    if (subset_rows(&ds->X_train, &ds->Y_train, N, d, c, ntr, (uint64_t)seed, "fann-train") ||
        (nte > 0 &&
         subset_rows(&ds->X_test, &ds->Y_test, Nt, d, c, nte, (uint64_t)seed, "fann-test"))) {
        gn_ds_err(err, errlen, "%s: out of memory", path);
        goto done;
    }
    if (nte == 0) {
        free(ds->X_test);
        free(ds->Y_test);
        ds->X_test = ds->Y_test = NULL;
    }
    ds->n_train = ntr;
    ds->n_test = nte;
    ds->d = d;
    ds->c = c;
    int onehot = 0;
    if (c == 1 && set->classify == 2 && req->targets == GN_TARGETS_ONEHOT) {
        int K = 0, bad = 0;
        double *A, *B;
        int r = gn_ds_onehot(ds->Y_train, ntr, ds->Y_test, nte, &K, &A, &B, &bad);
        if (r) {
            gn_ds_err(err, errlen, "%s: output of sample %d is not a class 0 or 1", path, bad + 1);
            goto done;
        }
        free(ds->Y_train);
        free(ds->Y_test);
        ds->Y_train = A;
        ds->Y_test = B;
        ds->c = K;
        onehot = K;
    }
    if (stdz) {
        gn_ds_standardize(ds->X_train, ntr, d, ds->X_test, nte);
        if (std_targets) gn_ds_standardize(ds->Y_train, ntr, ds->c, ds->Y_test, nte);
    }
    const char *std_what = !stdz ? "false" : std_targets ? "true" : "inputs";
    snprintf(ds->identity, sizeof ds->identity,
             "fann:%s n_train=%d n_test=%d seed=%ld standardize=%s", set->name, ntr, nte, seed,
             std_what);
    if (onehot) gn_ds_append(ds->identity, sizeof ds->identity, " onehot=%d", onehot);
    gn_ds_append(ds->identity, sizeof ds->identity, " rng=" GN_RNG_VERSION " pkg=libfann-doc%s",
                 files);
    rc = 0;
done:
    gn_blob_free(&b);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* scikit-learn data files                                                 */

#define SK_DIR "/usr/lib/python3/dist-packages/sklearn/datasets/data/"
#define SK_HOW                                                                                     \
    "bash datasets/fetch.sh (extracts python3-sklearn's data files without its dependencies; "     \
    "sudo apt-get install python3-sklearn also works)"

/* Reads a numeric CSV of `cols` columns: A (n, cols). */
static int sk_read(const char *sys, int cols, double **A, int *n, char *files, size_t flen,
                   char *err, size_t errlen)
{
    char path[2048];
    gn_blob b = {0};
    *A = NULL;
    if (gn_ds_locate(sys, SK_HOW, path, sizeof path, err, errlen)) return -1;
    if (gn_blob_read(path, &b, err, errlen)) return -1;
    size_t lines = 1;
    for (size_t i = 0; i < b.len; i++)
        lines += b.data[i] == '\n';
    double *M = gn_ds_alloc((long)lines, cols), *row = malloc((size_t)(cols + 1) * sizeof *row);
    gn_text t;
    gn_text_init(&t, path, &b);
    int rows = 0, cnt, meta_n = -1, meta_line = 0, rc = -1;
    if (!M || !row) {
        gn_ds_err(err, errlen, "%s: out of memory", path);
        goto done;
    }
    for (;;) {
        int first = t.line == 0;
        int r = gn_text_line(&t, row, cols + 1, &cnt, err, errlen);
        if (first && (r < 0 || (r > 0 && cnt != cols))) {
            /* sklearn's metadata line: n_samples,n_features,... */
            meta_line = t.line;
            meta_n = (int)strtol((const char *)b.data, NULL, 10);
            continue;
        }
        if (r < 0) goto done;
        if (r == 0) break;
        if (cnt != cols) {
            gn_ds_err(err, errlen, "%s:%d: %d fields, expected %d", path, t.line, cnt, cols);
            goto done;
        }
        memcpy(M + (size_t)rows * cols, row, (size_t)cols * sizeof *row);
        rows++;
    }
    if (rows == 0) {
        gn_ds_err(err, errlen, "%s:%d: no data rows", path, t.line > 0 ? t.line : 1);
        goto done;
    }
    if (meta_line && meta_n != rows) {
        gn_ds_err(err, errlen,
                  "%s:%d: the metadata line says %d rows but %d rows of %d numbers follow", path,
                  meta_line, meta_n, rows, cols);
        goto done;
    }
    gn_ds_identity_file(files, flen, strrchr(path, '/') + 1, &b);
    *A = M;
    *n = rows;
    M = NULL;
    rc = 0;
done:
    free(M);
    free(row);
    gn_blob_free(&b);
    return rc;
}

const gn_param gn_ds_digits_params[] = {
    GN_P_CHOICE(gn_ds_digits_opts, task, "classify", GN_DS_DIGITS_TASKS,
                "classify: 10 classes; autoencode: target = image"),
    GN_P_INT(gn_ds_digits_opts, n_train, "1500", 1, 1797,
             "training images (a seeded split of the 1797)"),
    GN_P_INT(gn_ds_digits_opts, n_test, "297", 0, 1796,
             "test images (disjoint from the training ones)"),
    GN_P_INT(gn_ds_digits_opts, seed, "0", 0, 9.007199254740992e15, "seed of the split"),
    GN_P_BOOL(gn_ds_digits_opts, scale, "true", "pixels / 16, in [0, 1] (false: 0..16)"),
    GN_P_BOOL(gn_ds_digits_opts, standardize, "false",
              "standardize each pixel by training mean and deviation (after scale)"),
    GN_P_BOOL(gn_ds_digits_opts, onehot, "true",
              "classify targets one-hot (10 columns); false: one column with the digit"),
    GN_P_END,
};

const gn_param gn_ds_diabetes_params[] = {
    GN_P_INT(gn_ds_diabetes_opts, n_train, "400", 1, 442,
             "training patients (a seeded split of the 442)"),
    GN_P_INT(gn_ds_diabetes_opts, n_test, "42", 0, 441,
             "test patients (disjoint from the training ones)"),
    GN_P_INT(gn_ds_diabetes_opts, seed, "0", 0, 9.007199254740992e15, "seed of the split"),
    GN_P_BOOL(gn_ds_diabetes_opts, standardize, "true",
              "standardize the 10 inputs and the target by training mean and deviation"),
    GN_P_END,
};

/* Copies rows idx of A (·, m), columns [j0, j0 + w), into a new (k, w) array. */
static double *take(const double *A, int m, const int *idx, int k, int j0, int w)
{
    if (k == 0) return NULL;
    double *B = gn_ds_alloc(k, w);
    if (!B) return NULL;
    for (int i = 0; i < k; i++)
        memcpy(B + (size_t)i * w, A + (size_t)idx[i] * m + j0, (size_t)w * sizeof *B);
    return B;
}

static int split_sizes(const char *what, int N, long n_train, long n_test, char *err, size_t errlen)
{
    if (n_train + n_test > N) {
        gn_ds_err(err, errlen, "dataset.n_train + dataset.n_test = %ld but %s has %d rows",
                  n_train + n_test, what, N);
        return -1;
    }
    return 0;
}

int gn_ds_load_digits(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                      char *err, size_t errlen)
{
    (void)req;
    const gn_ds_digits_opts *o = spec->opts;
    char task[16];
    gn_ds_choice_name(GN_DS_DIGITS_TASKS, o->task, task, sizeof task);
    long n_train = o->n_train, n_test = o->n_test;
    long seed = o->seed;
    int scale = o->scale, stdz = o->standardize;
    int onehot = o->onehot, ae = o->task == GN_DS_DIGITS_AUTOENCODE;
    char files[200] = "";
    double *A = NULL;
    int N = 0, *tr = NULL, *te = NULL, rc = -1;
    if (sk_read(SK_DIR "digits.csv.gz", 65, &A, &N, files, sizeof files, err, errlen)) return -1;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 65; j++) {
            double v = A[(size_t)i * 65 + j];
            if (v != floor(v) || v < 0 || v > (j < 64 ? 16 : 9)) {
                gn_ds_err(err, errlen, "digits.csv.gz: row %d, field %d: %g is not %s", i + 1,
                          j + 1, v, j < 64 ? "a pixel value 0..16" : "a digit 0..9");
                goto done;
            }
        }
    if (split_sizes("digits.csv.gz", N, n_train, n_test, err, errlen)) goto done;
    if (gn_ds_split(N, (int)n_train, (int)n_test, (uint64_t)seed, "digits-split", &tr, &te))
        goto oom;
    ds->n_train = (int)n_train;
    ds->n_test = (int)n_test;
    ds->d = 64;
    ds->X_train = take(A, 65, tr, ds->n_train, 0, 64);
    ds->X_test = take(A, 65, te, ds->n_test, 0, 64);
    if (!ds->X_train || (n_test > 0 && !ds->X_test)) goto oom;
    double sc = scale ? 1.0 / 16.0 : 1.0;
    for (size_t i = 0; i < (size_t)n_train * 64; i++)
        ds->X_train[i] *= sc;
    for (size_t i = 0; i < (size_t)n_test * 64; i++)
        ds->X_test[i] *= sc;
    if (stdz) gn_ds_standardize(ds->X_train, ds->n_train, 64, ds->X_test, ds->n_test);
    if (ae) {
        ds->c = 64;
        ds->Y_train = ds->X_train;
        ds->Y_test = ds->X_test;
    } else {
        double *ytr = take(A, 65, tr, ds->n_train, 64, 1),
               *yte = take(A, 65, te, ds->n_test, 64, 1);
        if (!ytr || (n_test > 0 && !yte)) {
            free(ytr);
            free(yte);
            goto oom;
        }
        if (onehot) {
            int K = 10, bad;
            double *P, *Q;
            int r = gn_ds_onehot(ytr, ds->n_train, yte, ds->n_test, &K, &P, &Q, &bad);
            free(ytr);
            free(yte);
            if (r) goto oom; /* labels were checked above */
            ytr = P;
            yte = Q;
        }
        ds->c = onehot ? 10 : 1;
        ds->Y_train = ytr;
        ds->Y_test = yte;
    }
    snprintf(ds->identity, sizeof ds->identity,
             "digits task=%s n_train=%ld n_test=%ld seed=%ld scale=%s standardize=%s", task,
             n_train, n_test, seed, scale ? "true" : "false", stdz ? "true" : "false");
    if (!ae)
        gn_ds_append(ds->identity, sizeof ds->identity, " onehot=%s", onehot ? "true" : "false");
    gn_ds_append(ds->identity, sizeof ds->identity, " rng=" GN_RNG_VERSION " pkg=python3-sklearn%s",
                 files);
    rc = 0;
    goto done;
oom:
    gn_ds_err(err, errlen, "digits: out of memory");
done:
    free(A);
    free(tr);
    free(te);
    return rc;
}

int gn_ds_load_diabetes(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                        char *err, size_t errlen)
{
    (void)req;
    const gn_ds_diabetes_opts *o = spec->opts;
    long n_train = o->n_train, n_test = o->n_test;
    long seed = o->seed;
    int stdz = o->standardize;
    char files[300] = "";
    double *A = NULL, *T = NULL;
    int N = 0, Nt = 0, *tr = NULL, *te = NULL, rc = -1;
    if (sk_read(SK_DIR "diabetes_data_raw.csv.gz", 10, &A, &N, files, sizeof files, err, errlen))
        return -1;
    if (sk_read(SK_DIR "diabetes_target.csv.gz", 1, &T, &Nt, files, sizeof files, err, errlen))
        goto done;
    if (Nt != N) {
        gn_ds_err(err, errlen,
                  "diabetes_target.csv.gz has %d rows but diabetes_data_raw.csv.gz has %d", Nt, N);
        goto done;
    }
    if (split_sizes("diabetes_data_raw.csv.gz", N, n_train, n_test, err, errlen)) goto done;
    if (gn_ds_split(N, (int)n_train, (int)n_test, (uint64_t)seed, "diabetes-split", &tr, &te))
        goto oom;
    ds->n_train = (int)n_train;
    ds->n_test = (int)n_test;
    ds->d = 10;
    ds->c = 1;
    ds->X_train = take(A, 10, tr, ds->n_train, 0, 10);
    ds->X_test = take(A, 10, te, ds->n_test, 0, 10);
    ds->Y_train = take(T, 1, tr, ds->n_train, 0, 1);
    ds->Y_test = take(T, 1, te, ds->n_test, 0, 1);
    if (!ds->X_train || !ds->Y_train || (n_test > 0 && (!ds->X_test || !ds->Y_test))) goto oom;
    if (stdz) {
        gn_ds_standardize(ds->X_train, ds->n_train, 10, ds->X_test, ds->n_test);
        gn_ds_standardize(ds->Y_train, ds->n_train, 1, ds->Y_test, ds->n_test);
    }
    snprintf(ds->identity, sizeof ds->identity,
             "diabetes n_train=%ld n_test=%ld seed=%ld standardize=%s rng=" GN_RNG_VERSION
             " pkg=python3-sklearn%s",
             n_train, n_test, seed, stdz ? "true" : "false", files);
    rc = 0;
    goto done;
oom:
    gn_ds_err(err, errlen, "diabetes: out of memory");
done:
    free(A);
    free(T);
    free(tr);
    free(te);
    return rc;
}
