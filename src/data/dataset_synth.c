/* dataset_synth.c: synthetic datasets drawn with gn_rng, so a seed gives the
 * same bits on every machine (given the same libm: exp, cos, sin, log).
 * Each records its generator version (the SYNTH_* defines; bumped whenever
 * a draw changes) and seed in the identity. Training and test sets come from
 * separate streams, so neither depends on the other's size, and a smaller
 * n_train gives a prefix of a larger one. The targets are values (or the
 * images), the same for every request (gn_dataset_request).
 *
 * ntk (GGN paper, Cai et al. 2019, two-layer NTK setting): x uniform on the
 *   unit sphere S^(dim-1); y = (alpha/√m) Σ_r a_r σ(w_rᵀ x) + noise·ε with
 *   m = teacher_width, w_r ~ N(0, I_dim), a_r = ±1 with probability ½,
 *   σ = relu or tanh. Streams: "ntk-teacher" (W row by row, then a),
 *   "ntk-x-train|test", "ntk-noise-train|test".
 * clustered (ill-conditioned kernels, Cayci 2024): K = clusters centres c_k
 *   uniform on the unit sphere; sample i belongs to cluster i mod K and is
 *   x_i = c_k + spread · z_i, z_i ~ N(0, I/dim) (so |z_i| ≈ 1). Samples of one
 *   cluster differ by O(spread), so the smallest eigenvalue of a kernel Gram
 *   matrix falls roughly like spread². With the same seed, changing spread
 *   only rescales x_i − c_k. Targets: teacher (default): a random smooth
 *   two-layer tanh net y = 1.59/√32 Σ_r v_r tanh(w_rᵀ x + b_r), w_r ~ N(0, I),
 *   b_r ~ N(0, 0.1²), v_r ~ N(0, 1), plus noise; random: y ~ N(0, 1), i.i.d.
 *   (a memorization task). Streams: "clustered-centres", "clustered-teacher",
 *   "clustered-z-train|test", "clustered-y-train|test".
 * curves (a reconstruction of the CURVES autoencoder benchmark of Hinton &
 *   Salakhutdinov 2006; the original generator is not available): each image
 *   is a 28×28 canvas with one smooth curve through three points drawn
 *   uniformly in [3, 24]²: the quadratic through P0 (t = 0), P1 (t = ½),
 *   P2 (t = 1), drawn with a Gaussian pen, pixel = max over the curve of
 *   exp(−d²/(2·pen²)), d the distance from the pixel centre to the curve
 *   (sampled every ≤ 0.2 px). Values are in [0, 1]; targets = the image
 *   (Y is X). Streams: "curves-train", "curves-test". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csvio.h"
#include "data/dataset_impl.h"
#include "core/rng.h"

#define SYNTH_NTK "ntk-1"
#define SYNTH_CLUSTERED "clustered-1"
#define SYNTH_CURVES "curves-1"
#define SEED_MAX 9.007199254740992e15

/* ---------------------------------------------------------------------- */
/* shared                                                                  */

static int alloc_sets(gn_dataset *ds, long n_train, long n_test, long d, long c, const char *what,
                      char *err, size_t errlen)
{
    if (gn_ds_check_size(what, n_train, n_test, d, c, err, errlen)) return -1;
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
    if (!ds->X_train || !ds->Y_train || (n_test > 0 && (!ds->X_test || !ds->Y_test))) {
        gn_ds_err(err, errlen, "dataset %s: out of memory (n_train=%ld n_test=%ld dim=%ld)", what,
                  n_train, n_test, d);
        return -1;
    }
    return 0;
}

/* x uniform on the unit sphere in R^d. */
static void sphere(gn_rng *r, double *x, int d)
{
    double nn;
    do {
        nn = 0.0;
        for (int j = 0; j < d; j++) {
            x[j] = gn_rng_normal(r);
            nn += x[j] * x[j];
        }
    } while (nn == 0.0);
    double inv = 1.0 / sqrt(nn);
    for (int j = 0; j < d; j++)
        x[j] *= inv;
}

static char *fmt(char *buf, size_t len, double v)
{
    gn_csv_format_real(buf, len, v);
    return buf;
}

/* ---------------------------------------------------------------------- */
/* ntk                                                                     */

const gn_param gn_ds_ntk_params[] = {
    GN_P_INT(gn_ds_ntk_opts, n_train, "256", 1, 1e8, "training samples"),
    GN_P_INT(gn_ds_ntk_opts, n_test, "256", 0, 1e8, "test samples"),
    GN_P_INT(gn_ds_ntk_opts, dim, "16", 2, 1e6, "input dimension (x on the unit sphere)"),
    GN_P_INT(gn_ds_ntk_opts, teacher_width, "1024", 1, 1e7, "m: hidden units of the teacher"),
    GN_P_REAL(gn_ds_ntk_opts, alpha, "1", 0, 1e6, "output scale alpha of the teacher"),
    GN_P_CHOICE(gn_ds_ntk_opts, activation, "relu", GN_DS_NTK_ACTIVATIONS,
                "teacher activation sigma"),
    GN_P_REAL(gn_ds_ntk_opts, noise, "0", 0, 1e6,
              "standard deviation of Gaussian noise on targets"),
    GN_P_INT(gn_ds_ntk_opts, seed, "0", 0, SEED_MAX,
             "generator seed (independent of the run seeds)"),
    GN_P_END,
};

static void ntk_sample(const double *W, const double *a, int m, int d, double alpha, int relu,
                       double noise, uint64_t seed, const char *xs, const char *ns, int n,
                       double *X, double *Y)
{
    gn_rng rx, rn;
    gn_rng_seed(&rx, seed, xs);
    gn_rng_seed(&rn, seed, ns);
    double sc = alpha / sqrt((double)m);
    for (int i = 0; i < n; i++) {
        double *x = X + (size_t)i * d;
        sphere(&rx, x, d);
        double f = 0.0;
        for (int r = 0; r < m; r++) {
            const double *w = W + (size_t)r * d;
            double z = 0.0;
            for (int j = 0; j < d; j++)
                z += w[j] * x[j];
            f += a[r] * (relu ? (z > 0 ? z : 0.0) : tanh(z));
        }
        Y[i] = sc * f;
        if (noise > 0) Y[i] += noise * gn_rng_normal(&rn);
    }
}

int gn_ds_load_ntk(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                   char *err, size_t errlen)
{
    (void)req;
    const gn_ds_ntk_opts *o = spec->opts;
    long n_train = o->n_train, n_test = o->n_test;
    long d = o->dim, m = o->teacher_width;
    long seed = o->seed;
    double alpha = o->alpha, noise = o->noise;
    int relu = o->activation == GN_DS_NTK_RELU;
    if (alloc_sets(ds, n_train, n_test, d, 1, "ntk", err, errlen)) return -1;
    double *W = gn_ds_alloc(m, d), *a = gn_ds_alloc(m, 1);
    if (!W || !a) {
        free(W);
        free(a);
        gn_ds_err(err, errlen, "dataset ntk: out of memory (teacher_width=%ld dim=%ld)", m, d);
        return -1;
    }
    gn_rng rt;
    gn_rng_seed(&rt, (uint64_t)seed, "ntk-teacher");
    for (size_t i = 0; i < (size_t)m * (size_t)d; i++)
        W[i] = gn_rng_normal(&rt);
    for (long r = 0; r < m; r++)
        a[r] = gn_rng_u64(&rt) >> 63 ? 1.0 : -1.0;
    ntk_sample(W, a, (int)m, (int)d, alpha, relu, noise, (uint64_t)seed, "ntk-x-train",
               "ntk-noise-train", (int)n_train, ds->X_train, ds->Y_train);
    if (n_test > 0)
        ntk_sample(W, a, (int)m, (int)d, alpha, relu, noise, (uint64_t)seed, "ntk-x-test",
                   "ntk-noise-test", (int)n_test, ds->X_test, ds->Y_test);
    free(W);
    free(a);
    char b1[40], b2[40], act[16];
    snprintf(ds->identity, sizeof ds->identity,
             "ntk gen=" SYNTH_NTK " n_train=%ld n_test=%ld dim=%ld teacher_width=%ld alpha=%s "
             "activation=%s noise=%s seed=%ld rng=" GN_RNG_VERSION,
             n_train, n_test, d, m, fmt(b1, sizeof b1, alpha),
             gn_ds_choice_name(GN_DS_NTK_ACTIVATIONS, o->activation, act, sizeof act),
             fmt(b2, sizeof b2, noise), seed);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* clustered                                                               */

#define CL_WIDTH 32
#define CL_GAIN 1.59
#define CL_BIAS_SD 0.1

const gn_param gn_ds_clustered_params[] = {
    GN_P_INT(gn_ds_clustered_opts, n_train, "256", 1, 1e8,
             "training samples (sample i in cluster i mod K)"),
    GN_P_INT(gn_ds_clustered_opts, n_test, "256", 0, 1e8, "test samples"),
    GN_P_INT(gn_ds_clustered_opts, dim, "16", 2, 1e6, "input dimension"),
    GN_P_INT(gn_ds_clustered_opts, clusters, "8", 1, 1e6,
             "K: number of cluster centres (on the unit sphere)"),
    GN_P_REAL(gn_ds_clustered_opts, spread, "0.1", 0, 1e3,
              "delta: x = c_k + delta z, |z| ~ 1; the smallest Gram eigenvalue falls like delta^2"),
    GN_P_CHOICE(gn_ds_clustered_opts, targets, "teacher", GN_DS_CLUSTERED_TARGETS,
                "teacher: a random smooth tanh net of x; random: i.i.d. N(0, 1) (memorization)"),
    GN_P_REAL(gn_ds_clustered_opts, noise, "0", 0, 1e6,
              "standard deviation of Gaussian noise on teacher targets"),
    GN_P_INT(gn_ds_clustered_opts, seed, "0", 0, SEED_MAX,
             "generator seed (independent of the run seeds)"),
    GN_P_END,
};

typedef struct cl_gen {
    int d, K, random;
    double spread, noise;
    const double *C;         /* (K, d) centres */
    const double *W, *b, *v; /* teacher (CL_WIDTH, d), (CL_WIDTH), (CL_WIDTH) */
} cl_gen;

static void cl_sample(const cl_gen *g, uint64_t seed, const char *zs, const char *ys, int n,
                      double *X, double *Y)
{
    gn_rng rz, ry;
    gn_rng_seed(&rz, seed, zs);
    gn_rng_seed(&ry, seed, ys);
    int d = g->d;
    double zs_scale = g->spread / sqrt((double)d);
    for (int i = 0; i < n; i++) {
        double *x = X + (size_t)i * d;
        const double *c = g->C + (size_t)(i % g->K) * d;
        for (int j = 0; j < d; j++)
            x[j] = c[j] + zs_scale * gn_rng_normal(&rz);
        if (g->random) {
            Y[i] = gn_rng_normal(&ry);
            continue;
        }
        double f = 0.0;
        for (int r = 0; r < CL_WIDTH; r++) {
            const double *w = g->W + (size_t)r * d;
            double z = g->b[r];
            for (int j = 0; j < d; j++)
                z += w[j] * x[j];
            f += g->v[r] * tanh(z);
        }
        Y[i] = CL_GAIN / sqrt((double)CL_WIDTH) * f;
        if (g->noise > 0) Y[i] += g->noise * gn_rng_normal(&ry);
    }
}

int gn_ds_load_clustered(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                         char *err, size_t errlen)
{
    (void)req;
    const gn_ds_clustered_opts *o = spec->opts;
    long n_train = o->n_train, n_test = o->n_test;
    long d = o->dim, K = o->clusters, seed = o->seed;
    double spread = o->spread, noise = o->noise;
    char targets[16];
    gn_ds_choice_name(GN_DS_CLUSTERED_TARGETS, o->targets, targets, sizeof targets);
    if (alloc_sets(ds, n_train, n_test, d, 1, "clustered", err, errlen)) return -1;
    double *C = gn_ds_alloc(K, d), *W = gn_ds_alloc(CL_WIDTH, d), *b = gn_ds_alloc(CL_WIDTH, 1),
           *v = gn_ds_alloc(CL_WIDTH, 1);
    if (!C || !W || !b || !v) {
        free(C);
        free(W);
        free(b);
        free(v);
        gn_ds_err(err, errlen, "dataset clustered: out of memory (clusters=%ld dim=%ld)", K, d);
        return -1;
    }
    gn_rng r;
    gn_rng_seed(&r, (uint64_t)seed, "clustered-centres");
    for (long i = 0; i < K; i++)
        sphere(&r, C + (size_t)i * d, (int)d);
    gn_rng_seed(&r, (uint64_t)seed, "clustered-teacher");
    for (size_t i = 0; i < (size_t)CL_WIDTH * (size_t)d; i++)
        W[i] = gn_rng_normal(&r);
    for (int i = 0; i < CL_WIDTH; i++)
        b[i] = CL_BIAS_SD * gn_rng_normal(&r);
    for (int i = 0; i < CL_WIDTH; i++)
        v[i] = gn_rng_normal(&r);
    cl_gen g = {(int)d, (int)K, o->targets == GN_DS_CLUSTERED_RANDOM, spread, noise, C, W, b, v};
    cl_sample(&g, (uint64_t)seed, "clustered-z-train", "clustered-y-train", (int)n_train,
              ds->X_train, ds->Y_train);
    if (n_test > 0)
        cl_sample(&g, (uint64_t)seed, "clustered-z-test", "clustered-y-test", (int)n_test,
                  ds->X_test, ds->Y_test);
    free(C);
    free(W);
    free(b);
    free(v);
    char b1[40], b2[40];
    snprintf(ds->identity, sizeof ds->identity,
             "clustered gen=" SYNTH_CLUSTERED
             " n_train=%ld n_test=%ld dim=%ld clusters=%ld spread=%s "
             "targets=%s noise=%s seed=%ld rng=" GN_RNG_VERSION,
             n_train, n_test, d, K, fmt(b1, sizeof b1, spread), targets, fmt(b2, sizeof b2, noise),
             seed);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* curves                                                                  */

#define CV_SIDE 28
#define CV_PIX (CV_SIDE * CV_SIDE)
#define CV_LO 3.0
#define CV_HI 24.0
#define CV_STEP 0.2

const gn_param gn_ds_curves_params[] = {
    GN_P_INT(gn_ds_curves_opts, n_train, "20000", 1, 1e7, "training images"),
    GN_P_INT(gn_ds_curves_opts, n_test, "10000", 0, 1e7, "test images"),
    GN_P_REAL(gn_ds_curves_opts, pen, "1", 0.25, 5,
              "standard deviation of the Gaussian pen, in pixels"),
    GN_P_INT(gn_ds_curves_opts, seed, "0", 0, SEED_MAX,
             "generator seed (independent of the run seeds)"),
    GN_P_END,
};

/* Point at t of the quadratic through p0 (t = 0), p1 (t = ½), p2 (t = 1). */
static void quad_at(const double *p, double t, double *x, double *y)
{
    double l0 = 2 * (t - 0.5) * (t - 1), l1 = -4 * t * (t - 1), l2 = 2 * t * (t - 0.5);
    *x = l0 * p[0] + l1 * p[2] + l2 * p[4];
    *y = l0 * p[1] + l1 * p[3] + l2 * p[5];
}

/* Draws one curve into img (784): d2 is a (784) workspace of squared distances. */
static void curve_draw(gn_rng *r, double pen, double *img, double *d2)
{
    double p[6];
    for (int i = 0; i < 6; i++)
        p[i] = CV_LO + (CV_HI - CV_LO) * gn_rng_uniform(r);
    double len = 0.0, px, py, qx, qy; /* length of a 32-segment polyline */
    quad_at(p, 0.0, &px, &py);
    for (int s = 1; s <= 32; s++) {
        quad_at(p, s / 32.0, &qx, &qy);
        len += hypot(qx - px, qy - py);
        px = qx;
        py = qy;
    }
    int ns = (int)ceil(len / CV_STEP) + 1;
    double reach = 3.5 * pen, big = 1e300;
    for (int j = 0; j < CV_PIX; j++)
        d2[j] = big;
    for (int s = 0; s <= ns; s++) {
        double x, y;
        quad_at(p, (double)s / ns, &x, &y);
        int u0 = (int)floor(x - reach), u1 = (int)ceil(x + reach);
        int v0 = (int)floor(y - reach), v1 = (int)ceil(y + reach);
        if (u0 < 0) u0 = 0;
        if (v0 < 0) v0 = 0;
        if (u1 > CV_SIDE - 1) u1 = CV_SIDE - 1;
        if (v1 > CV_SIDE - 1) v1 = CV_SIDE - 1;
        for (int v = v0; v <= v1; v++)
            for (int u = u0; u <= u1; u++) {
                double e = (u - x) * (u - x) + (v - y) * (v - y);
                if (e < d2[v * CV_SIDE + u]) d2[v * CV_SIDE + u] = e;
            }
    }
    double inv = 1.0 / (2 * pen * pen);
    for (int j = 0; j < CV_PIX; j++)
        img[j] = d2[j] < big ? exp(-d2[j] * inv) : 0.0;
}

int gn_ds_load_curves(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
                      char *err, size_t errlen)
{
    (void)req;
    const gn_ds_curves_opts *o = spec->opts;
    long n_train = o->n_train, n_test = o->n_test;
    long seed = o->seed;
    double pen = o->pen;
    if (gn_ds_check_size("curves", n_train, n_test, CV_PIX, 0, err, errlen)) return -1;
    ds->n_train = (int)n_train;
    ds->n_test = (int)n_test;
    ds->d = ds->c = CV_PIX;
    ds->X_train = gn_ds_alloc(n_train, CV_PIX);
    if (n_test > 0) ds->X_test = gn_ds_alloc(n_test, CV_PIX);
    ds->Y_train = ds->X_train;
    ds->Y_test = ds->X_test;
    double d2[CV_PIX];
    if (!ds->X_train || (n_test > 0 && !ds->X_test)) {
        gn_ds_err(err, errlen, "dataset curves: out of memory (n_train=%ld n_test=%ld)", n_train,
                  n_test);
        return -1;
    }
    gn_rng r;
    gn_rng_seed(&r, (uint64_t)seed, "curves-train");
    for (long i = 0; i < n_train; i++)
        curve_draw(&r, pen, ds->X_train + (size_t)i * CV_PIX, d2);
    gn_rng_seed(&r, (uint64_t)seed, "curves-test");
    for (long i = 0; i < n_test; i++)
        curve_draw(&r, pen, ds->X_test + (size_t)i * CV_PIX, d2);
    char b1[40];
    snprintf(ds->identity, sizeof ds->identity,
             "curves gen=" SYNTH_CURVES
             " n_train=%ld n_test=%ld pen=%s seed=%ld rng=" GN_RNG_VERSION,
             n_train, n_test, fmt(b1, sizeof b1, pen), seed);
    return 0;
}
