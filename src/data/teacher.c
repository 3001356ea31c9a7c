/* teacher.c: the teacher dataset, synthetic regression from a random
 * one-hidden-layer tanh MLP.
 *
 * Inputs x ~ N(0, Σ), Σ = diag(λ_1..λ_d), λ_i = i^(-spectrum) rescaled so
 * that Σ_i λ_i = d (spectrum 0 gives N(0, I); larger values make the input
 * covariance, and with it the Gauss-Newton curvature, ill-conditioned while
 * E|x|² = d stays fixed). The teacher, with m = teacher_width units, is
 *   h = tanh(W1 x / √d + b1),   y = G · W2 h / √m + noise · ε,
 * W1 (m, d) and W2 (c, m) entries N(0, 1), b1 entries N(0, 0.1²), ε N(0, 1).
 * A pre-activation then has variance about 1 + 0.01 (E|x|²/d = 1), where
 * E tanh(g)² ≈ 0.396; the gain G = 1.59 ≈ 1/√0.396 brings the variance
 * of each target (over inputs and teachers) to about 1 + noise².
 * Noise is added to training and test targets alike.
 * Every draw comes from gn_rng seeded with dataset.seed, one stream per
 * use: "teacher-weights" (W1 row by row, then b1, then W2),
 * "teacher-x-train", "teacher-x-test", "teacher-noise-train",
 * "teacher-noise-test". So the training set does not depend on n_test,
 * nor the test set on n_train, and both are the same bits on every machine
 * (given the same libm; see rng.c). No BLAS: plain loops. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "data/dataset_impl.h"
#include "io/csvio.h"

const gn_param gn_ds_teacher_params[] = {
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
        for (int j = 0; j < d; j++)
            x[j] = t->sd[j] * gn_rng_normal(&rx);
        for (int k = 0; k < m; k++) {
            const double *w = t->W1 + (size_t)k * d;
            double a = 0.0;
            for (int j = 0; j < d; j++)
                a += w[j] * x[j];
            t->h[k] = tanh(a * in_scale + t->b1[k]);
        }
        for (int o = 0; o < c; o++) {
            const double *w = t->W2 + (size_t)o * m;
            double a = 0.0;
            for (int k = 0; k < m; k++)
                a += w[k] * t->h[k];
            y[o] = out_scale * a;
            if (noise > 0) y[o] += noise * gn_rng_normal(&rn);
        }
    }
}

/* Regression targets: every request gets the same data. */
int gn_ds_load_teacher(const gn_dataset_spec *spec, const gn_dataset_request *req, gn_dataset *ds,
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
        gn_ds_err(err, errlen,
                  "dataset teacher: sizes must be positive, noise and spectrum finite and >= 0");
        return -1;
    }

    if (gn_ds_check_size("teacher", n_train, n_test, d, c, err, errlen)) return -1;
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
    for (long j = 0; j < d; j++)
        tr += pow((double)(j + 1), -spectrum);
    for (long j = 0; j < d; j++)
        t.sd[j] = sqrt(pow((double)(j + 1), -spectrum) * ((double)d / tr));

    gn_rng rw;
    gn_rng_seed(&rw, (uint64_t)seed, "teacher-weights");
    for (size_t i = 0; i < (size_t)m * (size_t)d; i++)
        t.W1[i] = gn_rng_normal(&rw);
    for (long i = 0; i < m; i++)
        t.b1[i] = TEACHER_BIAS_SD * gn_rng_normal(&rw);
    for (size_t i = 0; i < (size_t)c * (size_t)m; i++)
        t.W2[i] = gn_rng_normal(&rw);

    teacher_sample(&t, (int)n_train, noise, (uint64_t)seed, "teacher-x-train",
                   "teacher-noise-train", ds->X_train, ds->Y_train);
    if (n_test > 0)
        teacher_sample(&t, (int)n_test, noise, (uint64_t)seed, "teacher-x-test",
                       "teacher-noise-test", ds->X_test, ds->Y_test);

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
