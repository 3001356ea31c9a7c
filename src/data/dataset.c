/* dataset.c: the dataset registry, the binding of a spec (dataset.name and
 * the kind's options) from the settings, the helpers every loader shares
 * (dataset_impl.h), and the teacher and csv datasets. The other kinds live
 * in dataset_io.c (package files, gzip, numeric text), dataset_fmnist.c,
 * dataset_text.c (fann, digits, diabetes) and dataset_synth.c (ntk,
 * clustered, curves).
 *
 * teacher: synthetic regression from a random one-hidden-layer tanh MLP.
 *   Inputs x ~ N(0, Σ), Σ = diag(λ_1..λ_d), λ_i = i^(-spectrum) rescaled so
 *   that Σ_i λ_i = d (spectrum 0 gives N(0, I); larger values make the input
 *   covariance, and with it the Gauss-Newton curvature, ill-conditioned while
 *   E|x|² = d stays fixed). The teacher, with m = teacher_width units, is
 *     h = tanh(W1 x / √d + b1),   y = G · W2 h / √m + noise · ε,
 *   W1 (m, d) and W2 (c, m) entries N(0, 1), b1 entries N(0, 0.1²), ε N(0, 1).
 *   A pre-activation then has variance about 1 + 0.01 (E|x|²/d = 1), where
 *   E tanh(g)² ≈ 0.396; the gain G = 1.59 ≈ 1/√0.396 brings the variance
 *   of each target (over inputs and teachers) to about 1 + noise².
 *   Noise is added to training and test targets alike.
 *   Every draw comes from gn_rng seeded with dataset.seed, one stream per
 *   use: "teacher-weights" (W1 row by row, then b1, then W2),
 *   "teacher-x-train", "teacher-x-test", "teacher-noise-train",
 *   "teacher-noise-test". So the training set does not depend on n_test,
 *   nor the test set on n_train, and both are the same bits on every machine
 *   (given the same libm; see rng.c). No BLAS: plain loops.
 *
 * csv: the user's own files, read by gn_table_read (csvio.c). The first row
 *   names the columns. Target columns are dataset.target (names) or
 *   dataset.target_columns (the last K columns), by default the last column;
 *   every other column is an input, in file order. Cells must be finite
 *   numbers (strtod must take the whole cell, blanks around it allowed).
 *   A test file must have the training file's header. With standardize
 *   (default true) each input column, and each target column when the
 *   request asks for values (GN_TARGETS_VALUES, square loss; one-hot and
 *   probability targets are labels), is centred by its training mean and
 *   divided by its training standard deviation (population, divisor n; 1 for
 *   a constant column); the test set uses the training statistics. Errors
 *   name the file, the line, and the column. The identity records each
 *   file's size and FNV-1a hash, the targets and how they were transformed.
 *   For a GN_TARGETS_ONEHOT request (xent), one target column of class
 *   indices 0..K-1 becomes one-hot rows (K = dataset.classes, default the
 *   largest index + 1; identity " onehot=K"); several target columns are
 *   taken as one-hot rows already. */
#include "data/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "io/csvio.h"
#include "data/dataset_impl.h"
#include "core/rng.h"

static const gn_param teacher_params[] = {
    GN_P_INT(gn_ds_teacher_opts, n_train, "256", 1, 1e8, "training samples"),
    GN_P_INT(gn_ds_teacher_opts, n_test, "256", 0, 1e8, "test samples"),
    GN_P_INT(gn_ds_teacher_opts, dim, "16", 1, 1e6, "input dimension"),
    GN_P_INT(gn_ds_teacher_opts, outputs, "1", 1, 1e4, "target dimension c"),
    GN_P_INT(gn_ds_teacher_opts, teacher_width, "32", 1, 1e6,
             "hidden width of the random teacher MLP"),
    GN_P_REAL(gn_ds_teacher_opts, noise, "0", 0, 1e6,
              "standard deviation of Gaussian noise added to targets"),
    GN_P_REAL(gn_ds_teacher_opts, spectrum, "0", 0, 100,
              "input covariance eigenvalues decay like i^-spectrum (0 = isotropic)"),
    GN_P_INT(gn_ds_teacher_opts, seed, "0", 0, 9.007199254740992e15,
             "generator seed of the data (independent of the run seeds)"),
    GN_P_END,
};

static const gn_param csv_params[] = {
    GN_P_STRING(gn_ds_csv_opts, train, "training CSV file (relative to the experiment file)"),
    GN_P_STRING(gn_ds_csv_opts, test, "test CSV file (optional)"),
    GN_P_LIST(gn_ds_csv_opts, target, "target column names"),
    GN_P_INT(gn_ds_csv_opts, target_columns, NULL, 1, 1e6,
             "number of target columns, taken from the right (default 1 when target is not given)"),
    GN_P_BOOL(
        gn_ds_csv_opts, standardize, "true",
        "standardize inputs and targets (not with xent/bxent) by training-set mean and deviation"),
    GN_P_INT(gn_ds_csv_opts, classes, NULL, 2, 1e6,
             "with loss xent and one target column of class indices 0..K-1: K (default max + 1)"),
    GN_P_END,
};

static int load_teacher(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                        char *err, size_t errlen);
static int load_csv(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                    char *err, size_t errlen);

const gn_dataset_kind gn_dataset_kinds[] = {
    {"teacher", "synthetic regression from a random teacher MLP with Gaussian inputs (any size; gn_rng)",
     teacher_params, sizeof(gn_ds_teacher_opts), load_teacher},
    {"ntk", "synthetic: x on the unit sphere, y = (alpha/sqrt(m)) sum_r a_r sigma(w_r.x), a_r = +-1 "
            "(the GGN paper's two-layer NTK setting; regression; gn_rng)",
     gn_ds_ntk_params, sizeof(gn_ds_ntk_opts), gn_ds_load_ntk},
    {"clustered", "synthetic: x_i = c_k + spread z_i around K centres, ill-conditioned kernels "
                  "(smallest Gram eigenvalue ~ spread^2; regression; gn_rng)",
     gn_ds_clustered_params, sizeof(gn_ds_clustered_opts), gn_ds_load_clustered},
    {"curves", "synthetic CURVES-like 28x28 images, 20k/10k, autoencode (784 -> 784 in [0,1]); "
               "a reconstruction, not the original file (gn_rng)",
     gn_ds_curves_params, sizeof(gn_ds_curves_opts), gn_ds_load_curves},
    {"csv", "your own data: CSV files with a header row (libcsv); regression, or classes with xent",
     csv_params, sizeof(gn_ds_csv_opts), load_csv},
    {"fashion-mnist", "Fashion-MNIST 28x28 clothing images, 60k train/10k test, task classify (10 "
                      "classes) | autoencode | rotation (angle regression); package "
                      "dataset-fashion-mnist (MIT)",
     gn_ds_fashion_params, sizeof(gn_ds_fashion_opts), gn_ds_load_fashion},
    {"fann:<set>", "FANN example sets, <set> = census-house (11392/11392, 16->1), kin32fm, bank32fm, "
                   "bank32nh (2048/2048, 32->1), pumadyn-32fm (512/512, 32->1), abelone (2088/2089, "
                   "10->1), building (2104/2104, 14->3), robot (374/594, 48->3): regression; thyroid, "
                   "mushroom, gene, soybean, diabetes: classify; parity8, parity13, two-spiral: binary; "
                   "package libfann-doc (LGPL-2.1+)",
     gn_ds_fann_params, sizeof(gn_ds_fann_opts), gn_ds_load_fann},
    {"digits", "scikit-learn's 8x8 handwritten digits, 1797 images (1500/297 split by seed), "
               "64 -> 10 classes | autoencode; package python3-sklearn data files (BSD-3-Clause)",
     gn_ds_digits_params, sizeof(gn_ds_digits_opts), gn_ds_load_digits},
    {"diabetes", "scikit-learn's diabetes progression, 442 patients (400/42 split by seed), "
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

/* ---------------------------------------------------------------------- */
/* helpers (dataset_impl.h)                                                */

void gn_ds_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void gn_ds_append(char *buf, size_t len, const char *fmt, ...)
{
    size_t u = strlen(buf);
    if (u + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + u, len - u, fmt, ap);
    va_end(ap);
}

void *gn_ds_malloc(size_t bytes)
{
    if (bytes < ((size_t)4 << 20)) return malloc(bytes ? bytes : 1);
    void *p = NULL;
    if (posix_memalign(&p, (size_t)2 << 20, bytes) != 0) return NULL;
#ifdef __linux__
    /* Fault the pages in now, as huge pages where the kernel allows: one
     * call instead of a fault per 4 KiB page, which costs more than the
     * data conversion itself on virtual machines. Failures are harmless. */
    size_t len = bytes & ~(size_t)4095;
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);
#endif
    madvise(p, len, 23 /* MADV_POPULATE_WRITE, Linux 5.14 */);
#endif
    return p;
}

void *gn_ds_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = gn_ds_malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

double *gn_ds_alloc(long n, long m)
{
    if (n <= 0 || m <= 0) return NULL;
    if ((unsigned long)n > SIZE_MAX / sizeof(double) / (unsigned long)m) return NULL;
    return gn_ds_malloc((size_t)n * (size_t)m * sizeof(double));
}

const char *gn_ds_choice_name(const char *choices, int i, char *buf, size_t len)
{
    const char *p = choices;
    for (int k = 0; p && k < i; k++) {
        p = strchr(p, '|');
        if (p) p++;
    }
    if (!p || i < 0) {
        snprintf(buf, len, "?");
        return buf;
    }
    const char *e = strchr(p, '|');
    snprintf(buf, len, "%.*s", e ? (int)(e - p) : (int)strlen(p), p);
    return buf;
}

int *gn_ds_subset(int N, int n, uint64_t seed, const char *stream)
{
    if (N <= 0 || n < 0 || n > N) return NULL;
    int *v = malloc((size_t)N * sizeof *v);
    if (!v) return NULL;
    for (int i = 0; i < N; i++) v[i] = i;
    if (n == N) return v;
    gn_rng r;
    gn_rng_seed(&r, seed, stream);
    for (int i = 0; i < n; i++) { /* the first n steps of a Fisher-Yates shuffle */
        int j = i + (int)gn_rng_below(&r, (uint64_t)(N - i));
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
    /* back to file order by marking the chosen ones (O(N)) */
    unsigned char *mark = calloc((size_t)N, 1);
    if (!mark) {
        free(v);
        return NULL;
    }
    for (int i = 0; i < n; i++) mark[v[i]] = 1;
    int o = 0;
    for (int i = 0; i < N; i++)
        if (mark[i]) v[o++] = i;
    free(mark);
    return v;
}

int gn_ds_split(int N, int n_train, int n_test, uint64_t seed, const char *stream, int **train,
                int **test)
{
    *train = *test = NULL;
    int *perm = malloc((size_t)N * sizeof *perm);
    unsigned char *mark = calloc((size_t)N, 1);
    int *tr = malloc((size_t)(n_train > 0 ? n_train : 1) * sizeof *tr);
    int *te = malloc((size_t)(n_test > 0 ? n_test : 1) * sizeof *te);
    if (!perm || !mark || !tr || !te) {
        free(perm);
        free(mark);
        free(tr);
        free(te);
        return -1;
    }
    for (int i = 0; i < N; i++) perm[i] = i;
    gn_rng r;
    gn_rng_seed(&r, seed, stream);
    gn_rng_shuffle(&r, perm, N);
    for (int i = 0; i < n_train; i++) mark[perm[i]] = 1;
    for (int i = n_train; i < n_train + n_test; i++) mark[perm[i]] = 2;
    int a = 0, b = 0;
    for (int i = 0; i < N; i++) {
        if (mark[i] == 1) tr[a++] = i;
        if (mark[i] == 2) te[b++] = i;
    }
    free(perm);
    free(mark);
    *train = tr;
    *test = te;
    return 0;
}

static int label_of(double v, int classes)
{
    if (!(v >= 0) || v != floor(v) || (classes > 0 && v >= classes) || v > 1e6) return -1;
    return (int)v;
}

int gn_ds_onehot(const double *Y, int n, const double *Yt, int nt, int *classes, double **out,
                 double **out_t, int *bad_row)
{
    *out = NULL;
    if (out_t) *out_t = NULL;
    int K = *classes, max = -1;
    for (int i = 0; i < n + nt; i++) {
        double v = i < n ? Y[i] : Yt[i - n];
        if (label_of(v, K) < 0) {
            *bad_row = i;
            return -1;
        }
        if ((int)v > max) max = (int)v;
    }
    if (K <= 0) K = max + 1;
    double *A = calloc((size_t)n * (size_t)K, sizeof *A);
    double *B = nt > 0 ? calloc((size_t)nt * (size_t)K, sizeof *B) : NULL;
    if (!A || (nt > 0 && !B)) {
        free(A);
        free(B);
        return -2;
    }
    for (int i = 0; i < n; i++) A[(size_t)i * K + (int)Y[i]] = 1.0;
    for (int i = 0; i < nt; i++) B[(size_t)i * K + (int)Yt[i]] = 1.0;
    *out = A;
    if (out_t)
        *out_t = B;
    else
        free(B);
    *classes = K;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* teacher                                                                 */

#define TEACHER_BIAS_SD 0.1
#define TEACHER_GAIN 1.59 /* ≈ 1 / sqrt(E tanh(g)^2), g ~ N(0, 1.01) */

typedef struct teacher {
    int d, m, c;
    double *W1; /* (m, d) */
    double *b1; /* (m) */
    double *W2; /* (c, m) */
    double *sd; /* (d): standard deviation of each input coordinate */
    double *h;  /* (m): workspace */
} teacher;

/* X (n, d) with rows ~ N(0, diag(sd²)); Y (n, c) = teacher(X) + noise. */
static void teacher_sample(const teacher *t, int n, double noise, uint64_t seed,
                           const char *x_stream, const char *noise_stream, double *X, double *Y)
{
    gn_rng rx, rn;
    gn_rng_seed(&rx, seed, x_stream);
    gn_rng_seed(&rn, seed, noise_stream);
    int d = t->d, m = t->m, c = t->c;
    double in_scale = 1.0 / sqrt((double)d), out_scale = TEACHER_GAIN / sqrt((double)m);
    for (int i = 0; i < n; i++) {
        double *x = X + (size_t)i * d, *y = Y + (size_t)i * c;
        for (int j = 0; j < d; j++) x[j] = t->sd[j] * gn_rng_normal(&rx);
        for (int k = 0; k < m; k++) {
            const double *w = t->W1 + (size_t)k * d;
            double a = 0.0;
            for (int j = 0; j < d; j++) a += w[j] * x[j];
            t->h[k] = tanh(a * in_scale + t->b1[k]);
        }
        for (int o = 0; o < c; o++) {
            const double *w = t->W2 + (size_t)o * m;
            double a = 0.0;
            for (int k = 0; k < m; k++) a += w[k] * t->h[k];
            y[o] = out_scale * a;
            if (noise > 0) y[o] += noise * gn_rng_normal(&rn);
        }
    }
}

/* Regression targets: every request gets the same data. */
static int load_teacher(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                        char *err, size_t errlen)
{
    (void)req;
    const gn_ds_teacher_opts *o = spec->opts;
    long n_train = o->n_train, n_test = o->n_test;
    long d = o->dim, c = o->outputs, m = o->teacher_width;
    double noise = o->noise, spectrum = o->spectrum;
    long seed = o->seed;
    if (n_train < 1 || n_test < 0 || d < 1 || c < 1 || m < 1 || n_train > INT32_MAX ||
        n_test > INT32_MAX || d > INT32_MAX || c > INT32_MAX || m > INT32_MAX || seed < 0 ||
        !(noise >= 0) || !isfinite(noise) || !(spectrum >= 0) || !isfinite(spectrum)) {
        gn_ds_err(err, errlen, "dataset teacher: sizes must be positive, noise and spectrum finite and >= 0");
        return -1;
    }

    teacher t = {.d = (int)d, .m = (int)m, .c = (int)c};
    t.W1 = gn_ds_alloc(m, d);
    t.b1 = gn_ds_alloc(m, 1);
    t.W2 = gn_ds_alloc(c, m);
    t.sd = gn_ds_alloc(d, 1);
    t.h = gn_ds_alloc(m, 1);
    ds->n_train = (int)n_train;
    ds->n_test = (int)n_test;
    ds->d = (int)d;
    ds->c = (int)c;
    ds->X_train = gn_ds_alloc(n_train, d);
    ds->Y_train = gn_ds_alloc(n_train, c);
    if (n_test > 0) {
        ds->X_test = gn_ds_alloc(n_test, d);
        ds->Y_test = gn_ds_alloc(n_test, c);
    }
    int rc = 0;
    if (!t.W1 || !t.b1 || !t.W2 || !t.sd || !t.h || !ds->X_train || !ds->Y_train ||
        (n_test > 0 && (!ds->X_test || !ds->Y_test))) {
        gn_ds_err(err, errlen, "dataset teacher: out of memory (n_train=%ld n_test=%ld dim=%ld)",
                n_train, n_test, d);
        rc = -1;
        goto done;
    }

    /* input scales: λ_i = i^-spectrum, rescaled to trace d */
    double tr = 0.0;
    for (long j = 0; j < d; j++) tr += pow((double)(j + 1), -spectrum);
    for (long j = 0; j < d; j++) t.sd[j] = sqrt(pow((double)(j + 1), -spectrum) * ((double)d / tr));

    gn_rng rw;
    gn_rng_seed(&rw, (uint64_t)seed, "teacher-weights");
    for (size_t i = 0; i < (size_t)m * (size_t)d; i++) t.W1[i] = gn_rng_normal(&rw);
    for (long i = 0; i < m; i++) t.b1[i] = TEACHER_BIAS_SD * gn_rng_normal(&rw);
    for (size_t i = 0; i < (size_t)c * (size_t)m; i++) t.W2[i] = gn_rng_normal(&rw);

    teacher_sample(&t, (int)n_train, noise, (uint64_t)seed, "teacher-x-train", "teacher-noise-train",
                   ds->X_train, ds->Y_train);
    if (n_test > 0)
        teacher_sample(&t, (int)n_test, noise, (uint64_t)seed, "teacher-x-test", "teacher-noise-test",
                       ds->X_test, ds->Y_test);

    char nz[40], sp[40];
    gn_csv_format_real(nz, sizeof nz, noise);
    gn_csv_format_real(sp, sizeof sp, spectrum);
    snprintf(ds->identity, sizeof ds->identity,
             "teacher n_train=%ld n_test=%ld dim=%ld outputs=%ld teacher_width=%ld noise=%s "
             "spectrum=%s seed=%ld rng=" GN_RNG_VERSION,
             n_train, n_test, d, c, m, nz, sp, seed);
done:
    free(t.W1);
    free(t.b1);
    free(t.W2);
    free(t.sd);
    free(t.h);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* csv                                                                     */

/* base_dir/path unless path is absolute or base_dir is empty. */
static char *resolve_path(const char *base_dir, const char *path)
{
    size_t nb = base_dir ? strlen(base_dir) : 0, np = strlen(path);
    int join = nb > 0 && path[0] != '/';
    char *r = malloc((join ? nb + 1 : 0) + np + 1);
    if (!r) return NULL;
    if (join) {
        memcpy(r, base_dir, nb);
        r[nb] = '/';
        memcpy(r + nb + 1, path, np + 1);
    } else {
        memcpy(r, path, np + 1);
    }
    return r;
}

/* Appends the column names of t, comma separated, to buf. */
static void list_header(const gn_table *t, char *buf, size_t len)
{
    size_t used = strlen(buf);
    for (int j = 0; j < t->n_cols && used + 1 < len; j++) {
        int n = snprintf(buf + used, len - used, "%s%s", j ? ", " : "", t->header[j]);
        if (n < 0) break;
        used += (size_t)n;
    }
}

/* Size and FNV-1a hash of a file's bytes (zeros when it cannot be read). */
static void file_fingerprint(const char *path, long long *size, uint64_t *hash)
{
    *size = 0;
    *hash = GN_HASH_INIT;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    unsigned char buf[1 << 15];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        *hash = gn_hash_bytes(buf, n, *hash);
        *size += (long long)n;
    }
    fclose(f);
}

/* Parses a cell as a finite number; blanks around it are allowed. */
static int parse_cell(const char *path, int line, const char *col, const char *cell, double *out,
                      char *err, size_t errlen)
{
    const char *b = cell;
    while (*b == ' ' || *b == '\t') b++;
    size_t n = strlen(b);
    while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\t')) n--;
    if (n == 0) {
        gn_ds_err(err, errlen, "%s:%d: column '%s': empty cell", path, line, col);
        return -1;
    }
    char tmp[64], *text = n < sizeof tmp ? tmp : malloc(n + 1);
    if (!text) {
        gn_ds_err(err, errlen, "%s:%d: out of memory", path, line);
        return -1;
    }
    memcpy(text, b, n);
    text[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    int rc = 0;
    if (end == text || *end != '\0') {
        gn_ds_err(err, errlen, "%s:%d: column '%s': '%s' is not a number", path, line, col, text);
        rc = -1;
    } else if (!isfinite(v)) {
        gn_ds_err(err, errlen, "%s:%d: column '%s': '%s' is not finite (NaN and Inf are not allowed)",
                path, line, col, text);
        rc = -1;
    }
    if (text != tmp) free(text);
    if (rc == 0) *out = v;
    return rc;
}

/* Fills X (n, d) and Y (n, c) from the table's columns in_cols and out_cols. */
static int table_to_xy(const char *path, const gn_table *t, const int *in_cols, int d,
                       const int *out_cols, int c, double *X, double *Y, char *err, size_t errlen)
{
    for (int i = 0; i < t->n_rows; i++) {
        for (int j = 0; j < d; j++)
            if (parse_cell(path, t->lines[i], t->header[in_cols[j]],
                           gn_table_cell(t, i, in_cols[j]), &X[(size_t)i * d + j], err, errlen))
                return -1;
        for (int j = 0; j < c; j++)
            if (parse_cell(path, t->lines[i], t->header[out_cols[j]],
                           gn_table_cell(t, i, out_cols[j]), &Y[(size_t)i * c + j], err, errlen))
                return -1;
    }
    return 0;
}

void gn_ds_standardize(double *A, int n, int m, double *B, int nb)
{
    /* Mean and deviation are accumulated on values divided by the column's
     * largest magnitude, so columns near the double range (1e308) neither
     * overflow to inf nor turn into NaN; the result is the same as the
     * textbook formula whenever that one is finite. */
    for (int j = 0; j < m; j++) {
        double first = A[j], amax = 0.0, mean = 0.0, var = 0.0;
        int constant = 1;
        for (int i = 0; i < n; i++) {
            double v = A[(size_t)i * m + j];
            if (fabs(v) > amax) amax = fabs(v);
            constant &= v == first;
        }
        if (constant || amax == 0.0) {
            for (int i = 0; i < n; i++) A[(size_t)i * m + j] -= first;
            for (int i = 0; i < nb; i++) B[(size_t)i * m + j] -= first;
            continue;
        }
        for (int i = 0; i < n; i++) mean += A[(size_t)i * m + j] / amax;
        mean /= n; /* in units of amax, |mean| <= 1 */
        for (int i = 0; i < n; i++) {
            double e = A[(size_t)i * m + j] / amax - mean;
            var += e * e;
        }
        double sd = sqrt(var / n); /* in units of amax, <= 2 */
        if (!(sd > 0)) sd = 1.0;
        for (int i = 0; i < n; i++)
            A[(size_t)i * m + j] = (A[(size_t)i * m + j] / amax - mean) / sd;
        for (int i = 0; i < nb; i++)
            B[(size_t)i * m + j] = (B[(size_t)i * m + j] / amax - mean) / sd;
    }
}

/* Checks that a table has rows and no repeated column names. */
static int check_table(const char *path, const gn_table *t, char *err, size_t errlen)
{
    for (int j = 0; j < t->n_cols; j++)
        for (int k = 0; k < j; k++)
            if (strcmp(t->header[j], t->header[k]) == 0) {
                gn_ds_err(err, errlen, "%s:%d: column '%s' appears twice in the header (columns %d and %d)",
                        path, t->header_line, t->header[j], k + 1, j + 1);
                return -1;
            }
    if (t->n_rows == 0) {
        gn_ds_err(err, errlen, "%s:%d: header but no data rows (columns: ", path, t->header_line);
        list_header(t, err, errlen);
        size_t u = strlen(err);
        if (u + 1 < errlen) snprintf(err + u, errlen - u, ")");
        return -1;
    }
    return 0;
}

/* Picks the target columns of the training table: out_cols (c), in_cols (d). */
static int choose_columns(const gn_ds_csv_opts *o, const char *path, const gn_table *t,
                          int **in_cols, int *d, int **out_cols, int *c, char *err, size_t errlen)
{
    const char *names = o->target; /* items joined by ';' */
    long kcols = o->target_columns;
    int n = t->n_cols;
    int *is_target = calloc((size_t)n, sizeof *is_target);
    int *outs = malloc((size_t)n * sizeof *outs), *ins = malloc((size_t)n * sizeof *ins);
    int nout = 0, nin = 0;
    if (!is_target || !outs || !ins) {
        gn_ds_err(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    if (names && kcols) {
        gn_ds_err(err, errlen,
                "dataset.target and dataset.target_columns are both set; give one of them");
        goto fail;
    }
    if (names) {
        const char *p = names;
        for (;;) {
            const char *e = strchr(p, ';');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            while (len > 0 && (*p == ' ' || *p == '\t')) p++, len--;
            while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
            int j = -1;
            for (int k = 0; k < n; k++)
                if (strlen(t->header[k]) == len && strncmp(t->header[k], p, len) == 0) {
                    j = k;
                    break;
                }
            if (j < 0) {
                gn_ds_err(err, errlen, "%s:%d: target column '%.*s' (dataset.target) not found; the header has: ",
                        path, t->header_line, (int)len, p);
                list_header(t, err, errlen);
                goto fail;
            }
            if (is_target[j]) {
                gn_ds_err(err, errlen, "dataset.target: column '%s' is listed twice", t->header[j]);
                goto fail;
            }
            is_target[j] = 1;
            outs[nout++] = j;
            if (!e) break;
            p = e + 1;
        }
    } else {
        long k = kcols ? kcols : 1;
        if (k < 1 || k > n) {
            gn_ds_err(err, errlen, "%s:%d: dataset.target_columns = %ld but the header has %d columns: ",
                    path, t->header_line, k, n);
            list_header(t, err, errlen);
            goto fail;
        }
        for (int j = n - (int)k; j < n; j++) {
            is_target[j] = 1;
            outs[nout++] = j;
        }
    }
    for (int j = 0; j < n; j++)
        if (!is_target[j]) ins[nin++] = j;
    if (nin == 0) {
        gn_ds_err(err, errlen, "%s:%d: no input columns: every column is a target (", path,
                t->header_line);
        list_header(t, err, errlen);
        size_t u = strlen(err);
        if (u + 1 < errlen) snprintf(err + u, errlen - u, ")");
        goto fail;
    }
    free(is_target);
    *in_cols = ins;
    *d = nin;
    *out_cols = outs;
    *c = nout;
    return 0;
fail:
    free(is_target);
    free(outs);
    free(ins);
    return -1;
}

/* The test table must have the training table's header. */
static int check_same_header(const char *test_path, const gn_table *te, const char *train_path,
                             const gn_table *tr, char *err, size_t errlen)
{
    for (int j = 0; j < tr->n_cols && j < te->n_cols; j++)
        if (strcmp(te->header[j], tr->header[j]) != 0) {
            gn_ds_err(err, errlen,
                    "%s:%d: column %d is '%s' but the training file %s has '%s' there", test_path,
                    te->header_line, j + 1, te->header[j], train_path, tr->header[j]);
            return -1;
        }
    if (te->n_cols != tr->n_cols) {
        const gn_table *longer = te->n_cols > tr->n_cols ? te : tr;
        int j = te->n_cols < tr->n_cols ? te->n_cols : tr->n_cols;
        gn_ds_err(err, errlen, "%s:%d: header has %d columns but the training file %s has %d (column '%s' is %s)",
                test_path, te->header_line, te->n_cols, train_path, tr->n_cols, longer->header[j],
                longer == te ? "extra" : "missing");
        return -1;
    }
    return 0;
}

/* One target column of class indices -> one-hot rows: replaces ds->Y_train
 * and ds->Y_test (one column each) by (n, K) arrays, K = *classes or, when
 * that is 0, the largest index + 1; *classes gets K. A label that is not a
 * class index is named by file, line (tr, te) and column col. */
static int csv_onehot(gn_dataset *ds, int *classes, const char *train_path, const gn_table *tr,
                      const char *test_path, const gn_table *te, const char *col, char *err,
                      size_t errlen)
{
    double *A, *B;
    int bad = 0, r = gn_ds_onehot(ds->Y_train, ds->n_train, ds->Y_test, ds->n_test, classes, &A,
                                  &B, &bad);
    if (r == -1) {
        int in_test = bad >= ds->n_train;
        int row = in_test ? bad - ds->n_train : bad;
        double v = in_test ? ds->Y_test[row] : ds->Y_train[row];
        char vb[40], kb[40] = "K";
        gn_csv_format_real(vb, sizeof vb, v);
        if (*classes > 0) snprintf(kb, sizeof kb, "%d", *classes);
        gn_ds_err(err, errlen,
                  "%s:%d: column '%s': %s is not a class index (loss xent with one target column "
                  "needs integers in [0, %s))",
                  in_test ? test_path : train_path, in_test ? te->lines[row] : tr->lines[row], col,
                  vb, kb);
        return -1;
    }
    if (r == -2) {
        gn_ds_err(err, errlen, "%s: out of memory", train_path);
        return -1;
    }
    free(ds->Y_train);
    free(ds->Y_test);
    ds->Y_train = A;
    ds->Y_test = B;
    ds->c = *classes;
    return 0;
}

static int load_csv(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                    char *err, size_t errlen)
{
    const gn_ds_csv_opts *o = spec->opts;
    const char *base_dir = req->base_dir;
    const char *train_rel = o->train;
    const char *test_rel = o->test;
    if (!train_rel || !*train_rel) {
        gn_ds_err(err, errlen, "dataset.train: required for dataset csv (the training CSV file)");
        return -1;
    }
    if (test_rel && !*test_rel) test_rel = NULL;
    int std_on = o->standardize;
    int labels = req->targets != GN_TARGETS_VALUES; /* targets are never standardized */

    char *train_path = resolve_path(base_dir, train_rel);
    char *test_path = test_rel ? resolve_path(base_dir, test_rel) : NULL;
    gn_table tr = {0}, te = {0};
    int *in_cols = NULL, *out_cols = NULL, d = 0, c = 0, rc = -1;
    if (!train_path || (test_rel && !test_path)) {
        gn_ds_err(err, errlen, "out of memory");
        goto done;
    }
    if (gn_table_read(train_path, &tr, err, errlen)) {
        size_t u = strlen(err);
        if (u + 1 < errlen) snprintf(err + u, errlen - u, " (dataset.train)");
        goto done;
    }
    if (check_table(train_path, &tr, err, errlen)) goto done;
    if (choose_columns(o, train_path, &tr, &in_cols, &d, &out_cols, &c, err, errlen)) goto done;
    if (test_path) {
        if (gn_table_read(test_path, &te, err, errlen)) {
            size_t u = strlen(err);
            if (u + 1 < errlen) snprintf(err + u, errlen - u, " (dataset.test)");
            goto done;
        }
        if (check_same_header(test_path, &te, train_path, &tr, err, errlen)) goto done;
        if (check_table(test_path, &te, err, errlen)) goto done;
    }

    ds->n_train = tr.n_rows;
    ds->n_test = test_path ? te.n_rows : 0;
    ds->d = d;
    ds->c = c;
    ds->X_train = gn_ds_alloc(ds->n_train, d);
    ds->Y_train = gn_ds_alloc(ds->n_train, c);
    if (ds->n_test > 0) {
        ds->X_test = gn_ds_alloc(ds->n_test, d);
        ds->Y_test = gn_ds_alloc(ds->n_test, c);
    }
    if (!ds->X_train || !ds->Y_train || (ds->n_test > 0 && (!ds->X_test || !ds->Y_test))) {
        gn_ds_err(err, errlen, "%s: out of memory", train_path);
        goto done;
    }
    if (table_to_xy(train_path, &tr, in_cols, d, out_cols, c, ds->X_train, ds->Y_train, err, errlen))
        goto done;
    if (ds->n_test > 0 &&
        table_to_xy(test_path, &te, in_cols, d, out_cols, c, ds->X_test, ds->Y_test, err, errlen))
        goto done;
    int classes = 0;
    if (req->targets == GN_TARGETS_ONEHOT && c == 1) {
        classes = (int)o->classes;
        if (csv_onehot(ds, &classes, train_path, &tr, test_path, &te, tr.header[out_cols[0]], err,
                       errlen))
            goto done;
    }
    if (std_on) {
        gn_ds_standardize(ds->X_train, ds->n_train, d, ds->X_test, ds->n_test);
        if (!labels) gn_ds_standardize(ds->Y_train, ds->n_train, c, ds->Y_test, ds->n_test);
    }

    /* identity: files by size and hash, targets by name */
    char targets[256] = "";
    for (int j = 0; j < c; j++) {
        size_t u = strlen(targets);
        snprintf(targets + u, sizeof targets - u, "%s%s", j ? ";" : "", tr.header[out_cols[j]]);
    }
    long long sz;
    uint64_t h;
    file_fingerprint(train_path, &sz, &h);
    int n = snprintf(ds->identity, sizeof ds->identity, "csv train=%s bytes=%lld fnv1a=%016llx",
                     train_rel, sz, (unsigned long long)h);
    if (test_path && n >= 0 && (size_t)n < sizeof ds->identity) {
        file_fingerprint(test_path, &sz, &h);
        n += snprintf(ds->identity + n, sizeof ds->identity - (size_t)n,
                      " test=%s bytes=%lld fnv1a=%016llx", test_rel, sz, (unsigned long long)h);
    }
    if (n >= 0 && (size_t)n < sizeof ds->identity)
        snprintf(ds->identity + n, sizeof ds->identity - (size_t)n, " target=%s standardize=%s",
                 targets, !std_on ? "false" : labels ? "inputs" : "true");
    if (classes > 0) gn_ds_append(ds->identity, sizeof ds->identity, " onehot=%d", classes);
    rc = 0;
done:
    gn_table_free(&tr);
    gn_table_free(&te);
    free(in_cols);
    free(out_cols);
    free(train_path);
    free(test_path);
    return rc;
}

/* ---------------------------------------------------------------------- */

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
        gn_ds_err(err, errlen, "dataset.name = '%s': libfann-doc has no set '%s' (sets:", name, name + 5);
        for (const gn_fann_set *f = gn_fann_sets; f->name; f++) gn_ds_append(err, errlen, " %s", f->name);
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

void gn_dataset_free(gn_dataset *ds)
{
    if (!ds) return;
    if (ds->Y_train != ds->X_train) free(ds->Y_train); /* autoencoders share */
    if (ds->Y_test != ds->X_test) free(ds->Y_test);
    free(ds->X_train);
    free(ds->X_test);
    memset(ds, 0, sizeof *ds);
}
