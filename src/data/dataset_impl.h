/* dataset_impl.h: what the files of the dataset module share (registry.c,
 * the helpers of common.c and dataset_io.c, the loaders of teacher.c, csv.c
 * and dataset_*.c); not part of the public interface.
 *
 * Arrays are (rows, columns) row-major doubles unless stated otherwise. */
#ifndef GN_DATASET_IMPL_H
#define GN_DATASET_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "data/dataset.h"

/* ---- errors, memory ---- */

#if defined(__GNUC__)
#define GN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GN_PRINTF(a, b)
#endif

void gn_ds_err(char *err, size_t errlen, const char *fmt, ...) GN_PRINTF(3, 4);
/* Appends to a NUL-terminated buffer of size len (truncating). */
void gn_ds_append(char *buf, size_t len, const char *fmt, ...) GN_PRINTF(3, 4);
/* malloc, but large blocks (>= 4 MiB) are 2 MiB aligned and faulted in at
 * once (Linux: MADV_HUGEPAGE, MADV_POPULATE_WRITE). Release with free. */
void *gn_ds_malloc(size_t bytes);
void *gn_ds_calloc(size_t n, size_t size);
/* n*m doubles (gn_ds_malloc), or NULL (also when n*m overflows or either is <= 0). */
double *gn_ds_alloc(long n, long m);
/* The i-th name of a choice list "a|b|c" (a CHOICE entry's `choices`), copied
 * into buf; "?" when there is no such name. Returns buf. */
const char *gn_ds_choice_name(const char *choices, int i, char *buf, size_t len);

/* Opens path for reading when it is a regular file (opened non-blocking
 * first, so a FIFO cannot block, then checked with fstat: devices such as
 * /dev/zero, FIFOs and folders are refused). NULL with "path: cannot
 * open: ..." or "path: cannot read: a FIFO, expected a regular file". */
FILE *gn_ds_open_regular(const char *path, char *err, size_t errlen);

/* The share of physical memory a generated dataset may take: half, so that
 * the runs, which hold the data too (the parent's copy, shared with the
 * run processes) and their own model and curvature, keep the other half. */
#define GN_DS_MEMORY_FRACTION 0.5

/* Refuses, before anything is allocated or generated, a dataset whose
 * arrays ((n_train + n_test) x (d + c) doubles; c = 0 when the targets are
 * the inputs) would exceed GN_DS_MEMORY_FRACTION of physical memory: -1
 * with "dataset.n_train = N ...: the WHAT dataset would take about X GiB
 * ..." in err, else 0. */
int gn_ds_check_size(const char *what, long n_train, long n_test, long d, long c, char *err,
                     size_t errlen);

/* ---- transforms ---- */

/* Standardizes the columns of A (n, m) in place by their own mean and
 * population deviation (constant columns are only centred) and applies the
 * same map to B (nb, m). */
void gn_ds_standardize(double *A, int n, int m, double *B, int nb);

/* Sorted indices of n distinct items drawn from [0, N) by gn_rng(seed,
 * stream) (partial Fisher-Yates); 0..n-1 in order when n == N. NULL when out
 * of memory. */
int *gn_ds_subset(int N, int n, uint64_t seed, const char *stream);

/* A random split of [0, N) into train (n_train) and test (n_test) indices,
 * each sorted; returns -1 when out of memory. */
int gn_ds_split(int N, int n_train, int n_test, uint64_t seed, const char *stream, int **train,
                int **test);

/* Class labels (one column) -> one-hot rows. Y (n, 1) holds the labels; on
 * success *out is a new (n, classes) array. classes <= 0 means max + 1 over
 * Y and Yt (the test labels, nt rows, may be NULL). Returns 0, or -1 with
 * *bad_row (a row of Y, or n + a row of Yt) when a label is not an integer
 * in [0, classes), or -2 when out of memory. */
int gn_ds_onehot(const double *Y, int n, const double *Yt, int nt, int *classes, double **out,
                 double **out_t, int *bad_row);

/* ---- package files ---- */

/* Finds a file a Debian package installs at sys_path (absolute), also as
 * sys_path.gz: under $GNBENCH_DATA_ROOT (default "/"), then under the cache
 * ($GNBENCH_DATA_CACHE, default GN_SOURCE_ROOT/datasets/cache). Writes the
 * path found into out and returns 0; otherwise returns -1 with an error that
 * names where it looked and `how` (the command that gets the file). */
int gn_ds_locate(const char *sys_path, const char *how, char *out, size_t outlen, char *err,
                 size_t errlen);

/* A whole file in memory, inflated when it is gzip (magic 1f 8b; several
 * members allowed). data has a NUL after len bytes. crc is zlib's crc32 of
 * the file's bytes as stored, file_bytes their count. */
typedef struct gn_blob {
    unsigned char *data;
    size_t len;
    long long file_bytes;
    uint32_t crc;
    int gz;
} gn_blob;

/* Errors: "path: cannot open: ...", "path: empty file", truncated or corrupt
 * gzip (with the compressed byte offset). */
int gn_blob_read(const char *path, gn_blob *b, char *err, size_t errlen);
void gn_blob_free(gn_blob *b);
/* Appends " <label>:<bytes>:crc32=<8 hex>" to an identity string. */
void gn_ds_identity_file(char *id, size_t len, const char *label, const gn_blob *b);

/* Reads numbers line by line from a blob's text. Fields are separated by
 * blanks, or by commas when the line has one (blanks around them allowed). */
typedef struct gn_text {
    const char *path;
    const char *p, *end;
    int line; /* 1-based line of the last line returned */
} gn_text;

void gn_text_init(gn_text *t, const char *path, const gn_blob *b);
/* Next non-blank line: stores up to max fields in v and their number in
 * *count. Returns 1 for a line, 0 at the end of the text, -1 with
 * "path:line: field k: ..." in err when a field is empty, not a number, or
 * not finite (the fields past max are still checked and counted). */
int gn_text_line(gn_text *t, double *v, int max, int *count, char *err, size_t errlen);

/* ---- options of each kind ----
 *
 * Each kind's parameter table (GN_P_* entries) binds into its struct below:
 * one field per key, of the same name. Choices are the enums next to them,
 * in the order of the table's "a|b|c" (the GN_DS_* string macros below,
 * which the tables use). Integers without a default are 0 when absent,
 * strings NULL. */

typedef struct gn_ds_teacher_opts {
    long n_train, n_test, dim, outputs, teacher_width;
    double noise, spectrum;
    long seed;
} gn_ds_teacher_opts;

typedef struct gn_ds_csv_opts {
    const char *train, *test; /* file names as written (relative to the experiment file) */
    const char *target;       /* target column names joined by ';', or NULL */
    long target_columns;      /* 0: not given */
    int standardize;          /* inputs, and targets for a value request */
    long classes;             /* 0: not given (max + 1) */
} gn_ds_csv_opts;

#define GN_DS_NTK_ACTIVATIONS "relu|tanh"
typedef enum { GN_DS_NTK_RELU, GN_DS_NTK_TANH } gn_ds_ntk_activation;
typedef struct gn_ds_ntk_opts {
    long n_train, n_test, dim, teacher_width;
    double alpha;
    int activation; /* gn_ds_ntk_activation */
    double noise;
    long seed;
} gn_ds_ntk_opts;

#define GN_DS_CLUSTERED_TARGETS "teacher|random"
typedef enum { GN_DS_CLUSTERED_TEACHER, GN_DS_CLUSTERED_RANDOM } gn_ds_clustered_targets;
typedef struct gn_ds_clustered_opts {
    long n_train, n_test, dim, clusters;
    double spread;
    int targets; /* gn_ds_clustered_targets */
    double noise;
    long seed;
} gn_ds_clustered_opts;

typedef struct gn_ds_curves_opts {
    long n_train, n_test;
    double pen;
    long seed;
} gn_ds_curves_opts;

#define GN_DS_FASHION_TASKS "classify|autoencode|rotation"
typedef enum {
    GN_DS_FASHION_CLASSIFY,
    GN_DS_FASHION_AUTOENCODE,
    GN_DS_FASHION_ROTATION
} gn_ds_fashion_task;
typedef struct gn_ds_fashion_opts {
    int task; /* gn_ds_fashion_task */
    long n_train, n_test, seed;
    int scale, standardize, onehot;
    double max_angle;
} gn_ds_fashion_opts;

typedef struct gn_ds_fann_opts {
    long n_train, n_test, seed; /* sizes: -1 = all */
    int standardize;
} gn_ds_fann_opts;

#define GN_DS_DIGITS_TASKS "classify|autoencode"
typedef enum { GN_DS_DIGITS_CLASSIFY, GN_DS_DIGITS_AUTOENCODE } gn_ds_digits_task;
typedef struct gn_ds_digits_opts {
    int task; /* gn_ds_digits_task */
    long n_train, n_test, seed;
    int scale, standardize, onehot;
} gn_ds_digits_opts;

typedef struct gn_ds_diabetes_opts {
    long n_train, n_test, seed;
    int standardize;
} gn_ds_diabetes_opts;

/* ---- loaders (teacher.c, csv.c, dataset_*.c) ----
 *
 * Each takes a spec of its own kind (spec->opts is the struct above). */

int gn_ds_load_teacher(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                       char *err, size_t errlen);
int gn_ds_load_csv(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                   char *err, size_t errlen);
int gn_ds_load_fashion(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                       char *err, size_t errlen);
int gn_ds_load_fann(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                    char *err, size_t errlen);
int gn_ds_load_digits(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                      char *err, size_t errlen);
int gn_ds_load_diabetes(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                        char *err, size_t errlen);
int gn_ds_load_ntk(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                   char *err, size_t errlen);
int gn_ds_load_clustered(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                         char *err, size_t errlen);
int gn_ds_load_curves(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                      char *err, size_t errlen);

extern const gn_param gn_ds_teacher_params[], gn_ds_csv_params[], gn_ds_fashion_params[],
    gn_ds_fann_params[], gn_ds_digits_params[], gn_ds_diabetes_params[], gn_ds_ntk_params[],
    gn_ds_clustered_params[], gn_ds_curves_params[];

/* The FANN example sets libfann-doc ships. */
typedef struct gn_fann_set {
    const char *name;
    int n_train, n_test, n_in, n_out;
    int classify; /* 1: one-hot outputs, 2: a single 0/1 output, 0: regression */
} gn_fann_set;
extern const gn_fann_set gn_fann_sets[]; /* ends with {NULL} */
const gn_fann_set *gn_fann_set_find(const char *name);

#define GN_FANN_DIR "/usr/share/doc/libfann-dev/examples/datasets"
#define GN_FANN_HOW "sudo apt-get install libfann-doc, or bash datasets/fetch.sh"

#endif
