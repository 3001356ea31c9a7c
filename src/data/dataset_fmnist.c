/* dataset_fmnist.c: Fashion-MNIST from the Debian package
 * dataset-fashion-mnist (Zalando Research, MIT license):
 * /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz,
 * 60000 training and 10000 test images of 28×28 unsigned bytes, labels 0..9.
 *
 * IDX format (big-endian): magic 0x00000803 (unsigned bytes, 3 dimensions),
 * n, rows, cols, then n·rows·cols pixels; labels: magic 0x00000801, n, then n
 * bytes. Every header field, the data length and every label are checked;
 * errors name the file and the byte offset in the inflated data.
 *
 * Tasks (dataset.task):
 *   classify   X (n, 784), Y (n, 10) one-hot (or (n, 1) class index with
 *              onehot: false).
 *   autoencode Y = X (the same array).
 *   rotation   each image is rotated about its centre by θ uniform in
 *              [-max_angle, max_angle] degrees (bilinear interpolation, zero
 *              outside), Y (n, 2) = (cos θ, sin θ). A regression stand-in
 *              for the GGN paper's image-to-age tasks (AFAD-LITE, RSNA bone
 *              age), whose data cannot be had here.
 * Pixels are scaled to [0, 1] (scale: true), then optionally standardized
 * per pixel by training mean and deviation (standardize: true).
 * The targets follow task and onehot, whatever the request
 * (gn_dataset_request) asks.
 * Subsets: n_train < 60000 (n_test < 10000) picks a seeded random subset in
 * file order (gn_rng seed dataset.seed, streams "fashion-mnist-train" /
 * "-test"); angles come from streams "fashion-mnist-angle-train" / "-test",
 * one per image of the file, so an image keeps its angle in every subset.
 *
 * Speed: the files are read whole, inflated once into bytes, and each chosen
 * image is converted to doubles in one pass (statistics for standardize come
 * from the bytes), so the doubles are the only lasting copy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csvio.h"
#include "data/dataset_impl.h"
#include "core/rng.h"

#define FM_DIR "/usr/share/datasets/fashion-mnist/"
#define FM_HOW "sudo apt-get install dataset-fashion-mnist, or bash datasets/fetch.sh"
#define FM_SIDE 28
#define FM_PIX (FM_SIDE * FM_SIDE)
#define FM_CLASSES 10
#define PI 3.14159265358979323846

const gn_param gn_ds_fashion_params[] = {
    GN_P_CHOICE(gn_ds_fashion_opts, task, "classify", GN_DS_FASHION_TASKS,
                "classify: 10 classes; autoencode: target = image; rotation: predict (cos, sin) "
                "of a random rotation angle (regression stand-in for image-to-age)"),
    GN_P_INT(gn_ds_fashion_opts, n_train, "60000", 1, 60000,
             "training images: a seeded random subset of the 60000 (in file order)"),
    GN_P_INT(gn_ds_fashion_opts, n_test, "10000", 0, 10000,
             "test images: a seeded subset of the 10000"),
    GN_P_INT(gn_ds_fashion_opts, seed, "0", 0, 9.007199254740992e15,
             "seed of the subsets and rotation angles (independent of the run seeds)"),
    GN_P_BOOL(gn_ds_fashion_opts, scale, "true", "pixels / 255, in [0, 1] (false: 0..255)"),
    GN_P_BOOL(gn_ds_fashion_opts, standardize, "false",
              "standardize each pixel by training mean and deviation (after scale)"),
    GN_P_BOOL(gn_ds_fashion_opts, onehot, "true",
              "classify targets one-hot (10 columns); false: one column with the class 0..9"),
    GN_P_REAL(gn_ds_fashion_opts, max_angle, "180", 0, 180,
              "rotation: angles uniform in [-max_angle, max_angle] degrees"),
    GN_P_END,
};

static unsigned be32(const unsigned char *p)
{
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | (unsigned)p[3];
}

/* One IDX file: checks magic and sizes; *n is its item count. */
static int idx_check(const char *path, const gn_blob *b, int images, int want_n, int *n, char *err,
                     size_t errlen)
{
    unsigned magic = images ? 0x803u : 0x801u;
    size_t hdr = images ? 16 : 8;
    if (b->len < hdr) {
        gn_ds_err(err, errlen, "%s: byte %zu: IDX header cut short (%zu bytes, need %zu)", path,
                  b->len, b->len, hdr);
        return -1;
    }
    unsigned m = be32(b->data);
    if (m != magic) {
        gn_ds_err(err, errlen, "%s: byte 0: IDX magic 0x%08x, expected 0x%08x (%s)", path, m, magic,
                  images ? "unsigned bytes, 3 dimensions: images"
                         : "unsigned bytes, 1 dimension: labels");
        return -1;
    }
    unsigned cnt = be32(b->data + 4);
    if (cnt != (unsigned)want_n) {
        gn_ds_err(err, errlen, "%s: byte 4: %u %s, expected %d", path, cnt,
                  images ? "images" : "labels", want_n);
        return -1;
    }
    if (images) {
        unsigned r = be32(b->data + 8), c = be32(b->data + 12);
        if (r != FM_SIDE || c != FM_SIDE) {
            gn_ds_err(err, errlen, "%s: byte 8: images are %ux%u, expected %dx%d", path, r, c,
                      FM_SIDE, FM_SIDE);
            return -1;
        }
    }
    size_t want = hdr + (size_t)cnt * (images ? FM_PIX : 1);
    if (b->len < want) {
        gn_ds_err(err, errlen, "%s: byte %zu: data ends early: the header promises %zu bytes", path,
                  b->len, want);
        return -1;
    }
    if (b->len > want) {
        gn_ds_err(err, errlen,
                  "%s: byte %zu: %zu bytes of data after the %u %s the header declares", path, want,
                  b->len - want, cnt, images ? "images" : "labels");
        return -1;
    }
    if (!images)
        for (size_t i = 0; i < cnt; i++)
            if (b->data[hdr + i] >= FM_CLASSES) {
                gn_ds_err(err, errlen, "%s: byte %zu: label %u out of range 0..9", path, hdr + i,
                          b->data[hdr + i]);
                return -1;
            }
    *n = (int)cnt;
    return 0;
}

/* Rotates a 28×28 byte image by th (radians) about its centre into out
 * (784 doubles, the byte scale), bilinear, zero outside. */
static void rotate_image(const unsigned char *img, double th, double *out)
{
    double c = cos(th), s = sin(th), mid = (FM_SIDE - 1) / 2.0;
    for (int v = 0; v < FM_SIDE; v++) {
        double dv = v - mid;
        /* source point of (u, v): (c du + s dv + mid, -s du + c dv + mid) */
        double x = -c * mid + s * dv + mid, y = s * mid + c * dv + mid;
        for (int u = 0; u < FM_SIDE; u++, x += c, y -= s) {
            double fx = floor(x), fy = floor(y);
            int x0 = (int)fx, y0 = (int)fy;
            double ax = x - fx, ay = y - fy, acc;
            if (x0 >= 0 && y0 >= 0 && x0 < FM_SIDE - 1 && y0 < FM_SIDE - 1) {
                const unsigned char *p = img + y0 * FM_SIDE + x0;
                acc = (1 - ay) * ((1 - ax) * p[0] + ax * p[1]) +
                      ay * ((1 - ax) * p[FM_SIDE] + ax * p[FM_SIDE + 1]);
            } else if (x0 < -1 || y0 < -1 || x0 >= FM_SIDE || y0 >= FM_SIDE) {
                acc = 0.0;
            } else {
                acc = 0.0;
                for (int k = 0; k < 4; k++) {
                    int xx = x0 + (k & 1), yy = y0 + (k >> 1);
                    if (xx < 0 || yy < 0 || xx >= FM_SIDE || yy >= FM_SIDE) continue;
                    double w = ((k & 1) ? ax : 1 - ax) * ((k >> 1) ? ay : 1 - ay);
                    acc += w * img[yy * FM_SIDE + xx];
                }
            }
            out[v * FM_SIDE + u] = acc;
        }
    }
}

typedef struct fm_split {
    const char *images, *labels; /* file names */
    int n_file, n;
    const char *stream, *angle_stream;
} fm_split;

/* Loads one split into X (n, 784) and Y; angles (n) when rotating. The
 * pixel map is X = byte * a[j] + b[j] (identity statistics for the test
 * split come from the training split via a, b). */
static int fm_read(const fm_split *sp, int rot, uint64_t seed, double max_angle, double **X,
                   unsigned char **labels, double **angles, int **idx, gn_blob *img, char *idbuf,
                   size_t idlen, char *err, size_t errlen)
{
    char path[2048], lpath[2048];
    gn_blob lab = {0};
    int n = 0;
    *X = NULL;
    *labels = NULL;
    *angles = NULL;
    *idx = NULL;
    if (gn_ds_locate(sp->images, FM_HOW, path, sizeof path, err, errlen)) return -1;
    if (gn_ds_locate(sp->labels, FM_HOW, lpath, sizeof lpath, err, errlen)) return -1;
    /* labels first: small, so a broken set fails fast */
    if (gn_blob_read(lpath, &lab, err, errlen)) return -1;
    int nl = 0;
    if (idx_check(lpath, &lab, 0, sp->n_file, &nl, err, errlen) ||
        gn_blob_read(path, img, err, errlen) ||
        idx_check(path, img, 1, sp->n_file, &n, err, errlen)) {
        gn_blob_free(&lab);
        return -1;
    }
    gn_ds_identity_file(idbuf, idlen, strrchr(sp->images, '/') + 1, img);
    gn_ds_identity_file(idbuf, idlen, strrchr(sp->labels, '/') + 1, &lab);
    *idx = gn_ds_subset(n, sp->n, seed, sp->stream);
    *labels = malloc((size_t)(sp->n > 0 ? sp->n : 1));
    if (!*idx || !*labels) goto oom;
    for (int i = 0; i < sp->n; i++)
        (*labels)[i] = lab.data[8 + (*idx)[i]];
    gn_blob_free(&lab);
    if (rot && sp->n > 0) {
        *angles = malloc((size_t)sp->n * sizeof **angles);
        if (!*angles) goto oom;
        gn_rng r;
        gn_rng_seed(&r, seed, sp->angle_stream);
        int j = 0;
        for (int i = 0; i < n && j < sp->n; i++) { /* one draw per image of the file */
            double th = (2.0 * gn_rng_uniform(&r) - 1.0) * max_angle * (PI / 180.0);
            if ((*idx)[j] == i) (*angles)[j++] = th;
        }
    }
    if (sp->n > 0) {
        *X = gn_ds_alloc(sp->n, FM_PIX);
        if (!*X) goto oom;
    }
    return 0;
oom:
    gn_blob_free(&lab);
    gn_ds_err(err, errlen, "%s: out of memory", path);
    return -1;
}

/* X rows from the chosen images: rotated or not, then x = v * a[j] + b[j]. */
static void fm_convert(const gn_blob *img, const int *idx, int n, const double *angles,
                       const double *a, const double *b, double *X)
{
    const unsigned char *pix = img->data + 16;
    for (int i = 0; i < n; i++) {
        const unsigned char *src = pix + (size_t)idx[i] * FM_PIX;
        double *x = X + (size_t)i * FM_PIX;
        if (angles) {
            rotate_image(src, angles[i], x);
            for (int j = 0; j < FM_PIX; j++)
                x[j] = x[j] * a[j] + b[j];
        } else {
            for (int j = 0; j < FM_PIX; j++)
                x[j] = src[j] * a[j] + b[j];
        }
    }
}

/* The per-pixel map x -> a x + b that standardizes the n chosen training
 * images (idx) of img, scaled by sc: exact statistics from the bytes, in
 * integers. Returns 0, or -1 when out of memory. */
static int fm_standardizer(const gn_blob *img, const int *idx, int n, double sc, double *a,
                           double *b)
{
    const unsigned char *pix = img->data + 16;
    uint64_t *s1 = calloc(2 * FM_PIX, sizeof *s1), *s2 = s1 + FM_PIX;
    if (!s1) return -1;
    for (int i = 0; i < n; i++) {
        const unsigned char *x = pix + (size_t)idx[i] * FM_PIX;
        for (int j = 0; j < FM_PIX; j++) {
            s1[j] += x[j];
            s2[j] += (uint64_t)x[j] * x[j];
        }
    }
    for (int j = 0; j < FM_PIX; j++) {
        /* n² var = n Σv² − (Σv)², exact in 64 bits for n <= 60000 */
        double nvar = (double)((uint64_t)n * s2[j] - s1[j] * s1[j]);
        double mean = (double)s1[j] / n, sd = sqrt(nvar) / n * sc;
        double inv = sd > 0 ? 1.0 / sd : 1.0;
        a[j] = sc * inv;
        b[j] = -mean * sc * inv;
    }
    free(s1);
    return 0;
}

int gn_ds_load_fashion(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                       char *err, size_t errlen)
{
    (void)req;
    const gn_ds_fashion_opts *o = spec->opts;
    char task[16];
    gn_ds_choice_name(GN_DS_FASHION_TASKS, o->task, task, sizeof task);
    int n_train = (int)o->n_train, n_test = (int)o->n_test;
    long seed = o->seed;
    int scale = o->scale, stdz = o->standardize;
    int onehot = o->onehot;
    double max_angle = o->max_angle;
    int rot = o->task == GN_DS_FASHION_ROTATION, ae = o->task == GN_DS_FASHION_AUTOENCODE;

    char files[400] = "";
    fm_split tr = {FM_DIR "train-images-idx3-ubyte.gz",
                   FM_DIR "train-labels-idx1-ubyte.gz",
                   60000,
                   n_train,
                   "fashion-mnist-train",
                   "fashion-mnist-angle-train"};
    fm_split te = {FM_DIR "t10k-images-idx3-ubyte.gz",
                   FM_DIR "t10k-labels-idx1-ubyte.gz",
                   10000,
                   n_test,
                   "fashion-mnist-test",
                   "fashion-mnist-angle-test"};
    gn_blob img = {0};
    unsigned char *lab_tr = NULL, *lab_te = NULL;
    double *ang_tr = NULL, *ang_te = NULL, *a = NULL, *b = NULL;
    int *idx_tr = NULL, *idx_te = NULL, rc = -1;
    a = malloc(FM_PIX * sizeof *a);
    b = malloc(FM_PIX * sizeof *b);
    if (!a || !b) {
        gn_ds_err(err, errlen, "fashion-mnist: out of memory");
        goto done;
    }
    double sc = scale ? 1.0 / 255.0 : 1.0;

    /* training split: read, statistics, convert, release the bytes */
    if (fm_read(&tr, rot, (uint64_t)seed, max_angle, &ds->X_train, &lab_tr, &ang_tr, &idx_tr, &img,
                files, sizeof files, err, errlen))
        goto done;
    for (int j = 0; j < FM_PIX; j++)
        a[j] = sc, b[j] = 0.0;
    if (stdz && !rot && fm_standardizer(&img, idx_tr, n_train, sc, a, b) != 0) {
        gn_ds_err(err, errlen, "fashion-mnist: out of memory");
        goto done;
    }
    fm_convert(&img, idx_tr, n_train, ang_tr, a, b, ds->X_train);
    gn_blob_free(&img);

    if (n_test > 0) {
        if (fm_read(&te, rot, (uint64_t)seed, max_angle, &ds->X_test, &lab_te, &ang_te, &idx_te,
                    &img, files, sizeof files, err, errlen))
            goto done;
        fm_convert(&img, idx_te, n_test, ang_te, a, b, ds->X_test);
        gn_blob_free(&img);
    }
    if (stdz && rot) gn_ds_standardize(ds->X_train, n_train, FM_PIX, ds->X_test, n_test);

    ds->n_train = n_train;
    ds->n_test = n_test;
    ds->d = FM_PIX;
    if (ae) {
        ds->c = FM_PIX;
        ds->Y_train = ds->X_train;
        ds->Y_test = ds->X_test;
    } else {
        ds->c = rot ? 2 : onehot ? FM_CLASSES : 1;
        ds->Y_train = rot || onehot ? gn_ds_calloc((size_t)n_train * (size_t)ds->c, sizeof(double))
                                    : gn_ds_alloc(n_train, 1);
        if (n_test > 0)
            ds->Y_test = rot || onehot
                             ? gn_ds_calloc((size_t)n_test * (size_t)ds->c, sizeof(double))
                             : gn_ds_alloc(n_test, 1);
        if (!ds->Y_train || (n_test > 0 && !ds->Y_test)) {
            gn_ds_err(err, errlen, "fashion-mnist: out of memory");
            goto done;
        }
        for (int part = 0; part < 2; part++) {
            int n = part ? n_test : n_train;
            const unsigned char *lab = part ? lab_te : lab_tr;
            const double *ang = part ? ang_te : ang_tr;
            double *Y = part ? ds->Y_test : ds->Y_train;
            for (int i = 0; i < n; i++) {
                if (rot) {
                    Y[2 * i] = cos(ang[i]);
                    Y[2 * i + 1] = sin(ang[i]);
                } else if (onehot) {
                    Y[(size_t)i * FM_CLASSES + lab[i]] = 1.0;
                } else {
                    Y[i] = lab[i];
                }
            }
        }
    }
    char ma[40];
    gn_csv_format_real(ma, sizeof ma, max_angle);
    snprintf(ds->identity, sizeof ds->identity,
             "fashion-mnist task=%s n_train=%d n_test=%d seed=%ld scale=%s standardize=%s", task,
             n_train, n_test, seed, scale ? "true" : "false", stdz ? "true" : "false");
    if (rot) gn_ds_append(ds->identity, sizeof ds->identity, " max_angle=%s", ma);
    if (!rot && !ae)
        gn_ds_append(ds->identity, sizeof ds->identity, " onehot=%s", onehot ? "true" : "false");
    gn_ds_append(ds->identity, sizeof ds->identity,
                 " rng=" GN_RNG_VERSION " pkg=dataset-fashion-mnist%s", files);
    rc = 0;
done:
    gn_blob_free(&img);
    free(lab_tr);
    free(lab_te);
    free(ang_tr);
    free(ang_te);
    free(idx_tr);
    free(idx_te);
    free(a);
    free(b);
    return rc;
}
