/* harness.c: the fuzz entry points (see harness.h).
 *
 * Option byte of the dataset targets (byte 0), bit by bit:
 *   csv_dataset  0: targets one-hot (loss xent; else values)  1: standardize false
 *                2-3: targets: default | target_columns 2 | target y | target a;b
 *                4: classes 3               5: with a test file (after \f)
 *   idx          0-1: task classify | autoencode | rotation | rotation
 *                2: standardize  3: onehot false  4: n_test 1 (else 0)
 *                5: n_train 2 (else 60000)
 *   fann         0-1: set two-spiral | abelone | diabetes | building
 *                2: targets one-hot (xent)  3: standardize false  4: n_train 1 (else all)
 *                5: with a test file (after \f; else n_test 0)
 *   sklearn      0: diabetes (else digits)  1: standardize  2: task autoencode
 *                3: n_train 2, n_test 1 (else 10 and 5)
 * A target whose input is too short for its layout refuses it with a message. */
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/csvio.h"
#include "data/dataset.h"
#include "exp/experiment.h"
#include "core/params.h"

#define FM_DIR "/usr/share/datasets/fashion-mnist"
#define FANN_DIR "/usr/share/doc/libfann-dev/examples/datasets"
#define SK_DIR "/usr/lib/python3/dist-packages/sklearn/datasets/data"

static char work_dir[256]; /* private folder, also GNBENCH_DATA_ROOT */

static void fuzz_check(int ok, const char *what)
{
    if (ok) return;
    fprintf(stderr, "fuzz harness: contract violated: %s\n", what);
    abort();
}

/* Removes the files the targets write (the folder tree is fixed). */
static void work_cleanup(void)
{
    static const char *const files[] = {"exp.yaml",
                                        "table.csv",
                                        "train.csv",
                                        "test.csv",
                                        "root" FM_DIR "/train-labels-idx1-ubyte.gz",
                                        "root" FM_DIR "/train-images-idx3-ubyte.gz",
                                        "root" FM_DIR "/t10k-labels-idx1-ubyte.gz",
                                        "root" FM_DIR "/t10k-images-idx3-ubyte.gz",
                                        "root" FANN_DIR "/two-spiral.train",
                                        "root" FANN_DIR "/two-spiral.test",
                                        "root" FANN_DIR "/abelone.train",
                                        "root" FANN_DIR "/abelone.test",
                                        "root" FANN_DIR "/diabetes.train",
                                        "root" FANN_DIR "/diabetes.test",
                                        "root" FANN_DIR "/building.train",
                                        "root" FANN_DIR "/building.test",
                                        "root" SK_DIR "/digits.csv.gz",
                                        "root" SK_DIR "/diabetes_data_raw.csv.gz",
                                        "root" SK_DIR "/diabetes_target.csv.gz",
                                        NULL};
    static const char *const dirs[] = {"root" FM_DIR,
                                       "root/usr/share/datasets",
                                       "root" FANN_DIR,
                                       "root/usr/share/doc/libfann-dev/examples",
                                       "root/usr/share/doc/libfann-dev",
                                       "root/usr/share/doc",
                                       "root/usr/share",
                                       "root" SK_DIR,
                                       "root/usr/lib/python3/dist-packages/sklearn/datasets",
                                       "root/usr/lib/python3/dist-packages/sklearn",
                                       "root/usr/lib/python3/dist-packages",
                                       "root/usr/lib/python3",
                                       "root/usr/lib",
                                       "root/usr",
                                       "root",
                                       "cache",
                                       NULL};
    char p[512];
    if (!work_dir[0]) return;
    for (int i = 0; files[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", work_dir, files[i]);
        unlink(p);
    }
    for (int i = 0; dirs[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", work_dir, dirs[i]);
        rmdir(p);
    }
    rmdir(work_dir);
    work_dir[0] = '\0';
}

static int mkdir_p(const char *path)
{
    char p[512];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0700) != 0 && errno != EEXIST) return -1;
            *s = '/';
        }
    return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Creates the private folder once; package files are looked up only there. */
static const char *work(void)
{
    if (work_dir[0]) return work_dir;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(work_dir, sizeof work_dir, "%s/gn_fuzz_XXXXXX", base && *base ? base : "/tmp");
    fuzz_check(mkdtemp(work_dir) != NULL, "mkdtemp");
    atexit(work_cleanup);
    char p[512];
    static const char *const dirs[] = {"root" FM_DIR, "root" FANN_DIR, "root" SK_DIR, "cache",
                                       NULL};
    for (int i = 0; dirs[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", work_dir, dirs[i]);
        fuzz_check(mkdir_p(p) == 0, "mkdir");
    }
    snprintf(p, sizeof p, "%s/root", work_dir);
    setenv("GNBENCH_DATA_ROOT", p, 1);
    snprintf(p, sizeof p, "%s/cache", work_dir);
    setenv("GNBENCH_DATA_CACHE", p, 1);
    return work_dir;
}

/* Writes n bytes to <work>/<rel>; returns the full path in a static buffer
 * (one of four, so a target can hold a few). */
static const char *put_file(const char *rel, const void *data, size_t n)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 512, "%s/%s", work(), rel);
    FILE *f = fopen(p, "wb");
    fuzz_check(f != NULL, "cannot create an input file");
    fuzz_check(fwrite(data, 1, n, f) == n || n == 0, "cannot write an input file");
    fuzz_check(fclose(f) == 0, "cannot close an input file");
    return p;
}

static void drop_file(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", work(), rel);
    unlink(p);
}

/* Splits data at the first '\f' into a (before) and b (after, or NULL). */
static void split_ff(const uint8_t *data, size_t size, const uint8_t **b, size_t *na, size_t *nb)
{
    const uint8_t *ff = memchr(data, '\f', size);
    *na = ff ? (size_t)(ff - data) : size;
    *b = ff ? ff + 1 : NULL;
    *nb = ff ? size - *na - 1 : 0;
}

static int too_short(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "fuzz input: too short for %s", what);
    return -1;
}

static int finite_all(const double *A, long n)
{
    for (long i = 0; i < n; i++)
        if (!isfinite(A[i])) return 0;
    return 1;
}

/* Binds s's dataset, loads it with the target encoding t and checks what a
 * loader promises. */
static int load_checked(const gn_settings *s, gn_targets t, const char *base_dir, char *err,
                        size_t errlen)
{
    gn_dataset ds;
    gn_dataset_spec spec;
    gn_dataset_request req = {base_dir, t};
    err[0] = '\0';
    int rc = gn_dataset_spec_bind(&spec, s, err, errlen);
    if (rc == 0) rc = gn_dataset_load(&spec, &req, &ds, err, errlen);
    gn_dataset_spec_free(&spec);
    if (rc != 0) {
        fuzz_check(err[0] != '\0', "dataset refused without a message");
        return -1;
    }
    fuzz_check(ds.n_train > 0 && ds.d > 0 && ds.c > 0, "dataset with no rows or columns");
    fuzz_check(ds.X_train && ds.Y_train, "dataset without training arrays");
    fuzz_check(ds.n_test == 0 || (ds.X_test && ds.Y_test), "dataset without test arrays");
    fuzz_check(finite_all(ds.X_train, (long)ds.n_train * ds.d), "non-finite X_train");
    fuzz_check(finite_all(ds.Y_train, (long)ds.n_train * ds.c), "non-finite Y_train");
    if (ds.n_test > 0) {
        fuzz_check(finite_all(ds.X_test, (long)ds.n_test * ds.d), "non-finite X_test");
        fuzz_check(finite_all(ds.Y_test, (long)ds.n_test * ds.c), "non-finite Y_test");
    }
    gn_dataset_free(&ds);
    return 0;
}

/* ---- targets ---- */

int gn_fuzz_experiment(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    gn_experiment ex;
    err[0] = '\0';
    int rc =
        gn_experiment_load_text("fuzz.yaml", (const char *)data, size, work(), 0, &ex, err, errlen);
    if (rc != 0) {
        fuzz_check(err[0] != '\0', "experiment refused without a message");
        fuzz_check(ex.runs == NULL && ex.n_runs == 0, "experiment not cleared on failure");
        return -1;
    }
    fuzz_check(ex.n_runs > 0 && ex.name && ex.name[0], "experiment without runs or name");
    for (int i = 0; i < ex.n_runs; i++)
        fuzz_check(gn_settings_get(&ex.runs[i].settings, "dataset.name") != NULL,
                   "run without dataset.name");
    gn_experiment_free(&ex);
    /* the quick variant, which the first load validated */
    rc =
        gn_experiment_load_text("fuzz.yaml", (const char *)data, size, work(), 1, &ex, err, errlen);
    fuzz_check(rc == 0, "quick variant refused after it was validated");
    gn_experiment_free(&ex);
    return 0;
}

int gn_fuzz_csv_table(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    gn_table t;
    memset(&t, 0, sizeof t);
    err[0] = '\0';
    const char *path = put_file("table.csv", data, size);
    if (gn_table_read(path, &t, err, errlen) != 0) {
        fuzz_check(err[0] != '\0', "table refused without a message");
        gn_table_free(&t);
        return -1;
    }
    fuzz_check(t.n_cols > 0 && t.n_rows >= 0 && t.header, "table without columns");
    for (int j = 0; j < t.n_cols; j++) {
        fuzz_check(t.header[j] != NULL, "NULL header cell");
        fuzz_check(gn_table_col(&t, t.header[j]) >= 0, "header name not found");
    }
    int prev = t.header_line;
    for (int i = 0; i < t.n_rows; i++) {
        fuzz_check(t.lines[i] > prev, "row lines not increasing");
        prev = t.lines[i];
        for (int j = 0; j < t.n_cols; j++)
            fuzz_check(gn_table_cell(&t, i, j) != NULL, "NULL cell");
    }
    gn_table_free(&t);
    return 0;
}

int gn_fuzz_csv_dataset(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    if (size < 1) return too_short(err, errlen, "csv_dataset");
    unsigned o = data[0];
    const uint8_t *b;
    size_t na, nb;
    split_ff(data + 1, size - 1, &b, &na, &nb);
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "dataset.name", "csv");
    gn_settings_set(&s, "dataset.train", "train.csv");
    gn_targets t = o & 1 ? GN_TARGETS_ONEHOT : GN_TARGETS_VALUES;
    if (o & 2) gn_settings_set(&s, "dataset.standardize", "false");
    switch ((o >> 2) & 3) {
    case 1:
        gn_settings_set(&s, "dataset.target_columns", "2");
        break;
    case 2:
        gn_settings_set(&s, "dataset.target", "y");
        break;
    case 3:
        gn_settings_set(&s, "dataset.target", "a;b");
        break;
    }
    if (o & 16) gn_settings_set(&s, "dataset.classes", "3");
    put_file("train.csv", data + 1, na);
    if ((o & 32) && b) {
        put_file("test.csv", b, nb);
        gn_settings_set(&s, "dataset.test", "test.csv");
    }
    int rc = load_checked(&s, t, work(), err, errlen);
    gn_settings_free(&s);
    return rc;
}

int gn_fuzz_idx(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    static const char *const tasks[] = {"classify", "autoencode", "rotation", "rotation"};
    if (size < 3) return too_short(err, errlen, "idx");
    unsigned o = data[0];
    size_t nl = (size_t)data[1] | (size_t)data[2] << 8;
    if (nl > size - 3) nl = size - 3;
    const uint8_t *lab = data + 3, *img = lab + nl;
    size_t ni = size - 3 - nl;
    put_file("root" FM_DIR "/train-labels-idx1-ubyte.gz", lab, nl);
    put_file("root" FM_DIR "/train-images-idx3-ubyte.gz", img, ni);
    put_file("root" FM_DIR "/t10k-labels-idx1-ubyte.gz", lab, nl);
    put_file("root" FM_DIR "/t10k-images-idx3-ubyte.gz", img, ni);
    gn_settings s;
    gn_settings_init(&s);
    gn_settings_set(&s, "dataset.name", "fashion-mnist");
    gn_settings_set(&s, "dataset.task", tasks[o & 3]);
    gn_settings_set(&s, "dataset.standardize", o & 4 ? "true" : "false");
    gn_settings_set(&s, "dataset.onehot", o & 8 ? "false" : "true");
    gn_settings_set(&s, "dataset.n_test", o & 16 ? "1" : "0");
    if (o & 32) gn_settings_set(&s, "dataset.n_train", "2");
    gn_targets t = (o & 3) == 0 ? GN_TARGETS_ONEHOT : GN_TARGETS_VALUES;
    int rc = load_checked(&s, t, work(), err, errlen);
    gn_settings_free(&s);
    return rc;
}

int gn_fuzz_fann(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    static const char *const sets[] = {"two-spiral", "abelone", "diabetes", "building"};
    if (size < 1) return too_short(err, errlen, "fann");
    unsigned o = data[0];
    const char *set = sets[o & 3];
    const uint8_t *b;
    size_t na, nb;
    split_ff(data + 1, size - 1, &b, &na, &nb);
    char rel[256], name[64];
    snprintf(rel, sizeof rel, "root" FANN_DIR "/%s.train", set);
    put_file(rel, data + 1, na);
    snprintf(rel, sizeof rel, "root" FANN_DIR "/%s.test", set);
    if ((o & 32) && b)
        put_file(rel, b, nb);
    else
        drop_file(rel);
    gn_settings s;
    gn_settings_init(&s);
    snprintf(name, sizeof name, "fann:%s", set);
    gn_settings_set(&s, "dataset.name", name);
    gn_targets t = o & 4 ? GN_TARGETS_ONEHOT : GN_TARGETS_VALUES;
    if (o & 8) gn_settings_set(&s, "dataset.standardize", "false");
    if (o & 16) gn_settings_set(&s, "dataset.n_train", "1");
    if (!((o & 32) && b)) gn_settings_set(&s, "dataset.n_test", "0");
    int rc = load_checked(&s, t, work(), err, errlen);
    gn_settings_free(&s);
    return rc;
}

int gn_fuzz_sklearn(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    if (size < 1) return too_short(err, errlen, "sklearn");
    unsigned o = data[0];
    const uint8_t *b;
    size_t na, nb;
    split_ff(data + 1, size - 1, &b, &na, &nb);
    gn_settings s;
    gn_settings_init(&s);
    gn_targets t = GN_TARGETS_VALUES;
    if (o & 1) {
        put_file("root" SK_DIR "/diabetes_data_raw.csv.gz", data + 1, na);
        if (b)
            put_file("root" SK_DIR "/diabetes_target.csv.gz", b, nb);
        else
            drop_file("root" SK_DIR "/diabetes_target.csv.gz");
        gn_settings_set(&s, "dataset.name", "diabetes");
    } else {
        put_file("root" SK_DIR "/digits.csv.gz", data + 1, na);
        gn_settings_set(&s, "dataset.name", "digits");
        gn_settings_set(&s, "dataset.task", o & 4 ? "autoencode" : "classify");
        t = o & 4 ? GN_TARGETS_VALUES : GN_TARGETS_ONEHOT;
    }
    gn_settings_set(&s, "dataset.standardize", o & 2 ? "true" : "false");
    gn_settings_set(&s, "dataset.n_train", o & 8 ? "2" : "10");
    gn_settings_set(&s, "dataset.n_test", o & 8 ? "1" : "5");
    int rc = load_checked(&s, t, work(), err, errlen);
    gn_settings_free(&s);
    return rc;
}

const gn_fuzz_target gn_fuzz_targets[] = {
    {"experiment", gn_fuzz_experiment},
    {"csv_table", gn_fuzz_csv_table},
    {"csv_dataset", gn_fuzz_csv_dataset},
    {"idx", gn_fuzz_idx},
    {"fann", gn_fuzz_fann},
    {"sklearn", gn_fuzz_sklearn},
    {NULL, NULL},
};
