/* test_blas.c: the BLIS wrapper's own logic — the level-1 passes shared
 * among threads (gn_par_sums), the fused update-and-norm, and the pair of
 * syrk products run side by side — against plain loops, with one and with
 * several threads. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "core/rng.h"
#include "tolerances.h"

static double *random_vec(size_t n, unsigned long seed)
{
    gn_rng r;
    gn_rng_seed(&r, seed, "test_blas");
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = gn_rng_normal(&r);
    return v;
}

/* chunk function that counts visits per index and sums the indices */
static void visit(size_t lo, size_t hi, void *ctx, double sums[2])
{
    unsigned char *seen = ctx;
    for (size_t i = lo; i < hi; i++) {
        seen[i]++;
        sums[0] += (double)i;
        sums[1] += 1.0;
    }
}

Test(blas, par_sums_visits_every_index_once)
{
    gn_blas_init(1);
    const size_t sizes[] = {0, 1, 5, 65535, 65536, 3 * 65536 + 7};
    for (int T = 1; T <= 3; T++) {
        gn_blas_set_threads(T);
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            size_t n = sizes[k];
            unsigned char *seen = calloc(n + 1, 1);
            double sums[2] = {-1, -1};
            gn_par_sums(n, visit, seen, sums);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(seen[i], 1, "T=%d n=%zu: index %zu visited %d times", T, n, i,
                             seen[i]);
            cr_assert_eq(sums[0], (double)n * ((double)n - 1) / 2, "T=%d n=%zu", T, n);
            cr_assert_eq(sums[1], (double)n);
            free(seen);
        }
    }
}

Test(blas, level1_passes_match_plain_loops_with_one_and_two_threads)
{
    gn_blas_init(1);
    const int n = 300001; /* long enough to be shared */
    double *x = random_vec(n, 1), *y0 = random_vec(n, 2), *y = malloc(n * sizeof *y);
    long double dot = 0, xx = 0, sab = 0; /* x·y, x·x, Σ|x y| */
    for (int i = 0; i < n; i++) {
        dot += (long double)x[i] * y0[i];
        xx += (long double)x[i] * x[i];
        sab += fabsl((long double)x[i] * y0[i]);
    }
    for (int T = 1; T <= 2; T++) {
        gn_blas_set_threads(T);
        double d = gn_dot(n, x, y0);
        cr_expect_leq(fabs(d - (double)dot), GN_TOL_EXACT_REL * (double)sab,
                      "T=%d dot %.17g vs %.17Lg", T, d, dot);
        cr_expect_eq(gn_dot(n, x, y0), d, "T=%d: the same sum twice", T);
        double nr = gn_nrm2(n, x);
        cr_expect_leq(fabs(nr - (double)sqrtl(xx)), GN_TOL_EXACT_REL * nr, "T=%d nrm2", T);

        memcpy(y, y0, n * sizeof *y);
        gn_axpy(n, -0.375, x, y);
        for (int i = 0; i < n; i++)
            cr_assert_leq(fabs(y[i] - (y0[i] - 0.375 * x[i])),
                          GN_TOL_EXACT_REL * (fabs(y0[i]) + fabs(x[i])), "T=%d axpy[%d]", T, i);

        memcpy(y, y0, n * sizeof *y);
        double nx = gn_axpy_nrm2(n, 2.5, x, y);
        cr_expect_leq(fabs(nx - (double)sqrtl(xx)), GN_TOL_EXACT_REL * nx, "T=%d axpy_nrm2 norm",
                      T);
        for (int i = 0; i < n; i++)
            cr_assert_leq(fabs(y[i] - (y0[i] + 2.5 * x[i])),
                          GN_TOL_EXACT_REL * (fabs(y0[i]) + fabs(x[i])), "T=%d axpy_nrm2[%d]", T,
                          i);

        memcpy(y, y0, n * sizeof *y);
        gn_scal(n, -3.0, y);
        for (int i = 0; i < n; i++)
            cr_assert_eq(y[i], -3.0 * y0[i], "T=%d scal[%d]", T, i);
    }
    free(x), free(y0), free(y);
}

Test(blas, norms_survive_overflow_of_the_square)
{
    gn_blas_init(1);
    const int n = 100000;
    double *x = malloc(n * sizeof *x), *y = calloc(n, sizeof *y);
    for (int i = 0; i < n; i++)
        x[i] = 1e200;
    double want = 1e200 * sqrt((double)n);
    for (int T = 1; T <= 2; T++) {
        gn_blas_set_threads(T);
        cr_expect_leq(fabs(gn_nrm2(n, x) - want), GN_TOL_EXACT_REL * want, "T=%d", T);
        cr_expect_leq(fabs(gn_axpy_nrm2(n, 0.0, x, y) - want), GN_TOL_EXACT_REL * want, "T=%d", T);
    }
    free(x), free(y);
}

/* C = alpha A Aᵀ by a plain triple loop */
static void naive_gram(int N, int K, double alpha, const double *A, double *C)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += A[(size_t)i * K + k] * A[(size_t)j * K + k];
            C[(size_t)i * N + j] = alpha * s;
        }
}

static void check_pair(int N1, int K1, int N2, int K2, int threads)
{
    gn_blas_set_threads(threads);
    double *A1 = random_vec((size_t)N1 * K1, 3), *A2 = random_vec((size_t)N2 * K2, 4);
    double *P1 = malloc(sizeof(double) * N1 * N1), *P2 = malloc(sizeof(double) * N2 * N2);
    double *S1 = malloc(sizeof(double) * N1 * N1), *S2 = malloc(sizeof(double) * N2 * N2);
    double *R1 = malloc(sizeof(double) * N1 * N1), *R2 = malloc(sizeof(double) * N2 * N2);
    gn_syrk_full_pair(N1, K1, 0.5, A1, K1, P1, N1, N2, K2, 2.0, A2, K2, P2, N2);
    gn_syrk_full(N1, K1, 0.5, A1, K1, 0.0, S1, N1);
    gn_syrk_full(N2, K2, 2.0, A2, K2, 0.0, S2, N2);
    /* side by side or one after the other: the same numbers */
    cr_expect_eq(memcmp(P1, S1, sizeof(double) * N1 * N1), 0, "pair differs (first)");
    cr_expect_eq(memcmp(P2, S2, sizeof(double) * N2 * N2), 0, "pair differs (second)");
    naive_gram(N1, K1, 0.5, A1, R1);
    naive_gram(N2, K2, 2.0, A2, R2);
    double e1 = 0, n1 = 0, e2 = 0, n2 = 0;
    for (int i = 0; i < N1 * N1; i++)
        e1 = fmax(e1, fabs(P1[i] - R1[i])), n1 = fmax(n1, fabs(R1[i]));
    for (int i = 0; i < N2 * N2; i++)
        e2 = fmax(e2, fabs(P2[i] - R2[i])), n2 = fmax(n2, fabs(R2[i]));
    cr_expect_leq(e1, GN_TOL_EXACT_REL * n1);
    cr_expect_leq(e2, GN_TOL_EXACT_REL * n2);
    for (int i = 0; i < N2; i++)
        for (int j = 0; j < i; j++)
            cr_assert_eq(P2[(size_t)i * N2 + j], P2[(size_t)j * N2 + i], "not symmetric");
    free(A1), free(A2), free(P1), free(P2), free(S1), free(S2), free(R1), free(R2);
}

Test(blas, syrk_pair_equals_two_syrks)
{
    gn_blas_init(1);
    check_pair(37, 300, 64, 129, 1);
    check_pair(37, 300, 64, 129, 2); /* small: side by side */
    check_pair(520, 40, 16, 8, 2);   /* one output too large: one after the other */
}
