/* chol.c: Cholesky factorization and solves through libflame's LAPACK
 * interface (dpotrf_/dpotrs_, which run on BLIS), and symmetric eigenvalues
 * (dsyev_) for conditioning diagnostics.
 *
 * Matrices are row-major; a symmetric row-major matrix is its own transpose,
 * so LAPACK's column-major "U" factor of A is our row-major lower factor. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "la/chol.h"

/* libflame runs its blocks on BLIS with BLIS's thread setting; below this
 * order a second thread made a factorization plus solve slower (measured
 * with both: n = 128: 0.15 ms on one thread, 0.28 on two; n = 512: 1.8 vs
 * 2.3; n = 1024: 8.2 vs 7.5), so smaller ones run on one thread. */
#define SERIAL_BELOW_N 768

static int serial_begin(int n)
{
    int t = gn_blas_threads();
    if (t < 2 || n >= SERIAL_BELOW_N) return 0;
    gn_blas_set_threads(1);
    return t;
}

static void serial_end(int saved)
{
    if (saved) gn_blas_set_threads(saved);
}

void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info);

int gn_chol_factor(int n, double *A)
{
    int info = 0;
    if (n == 0) return 0;
    int saved = serial_begin(n);
    dpotrf_("U", &n, A, &n, &info);
    serial_end(saved);
    return info;
}

void gn_chol_solve(int n, const double *L, int nrhs, double *B)
{
    int info = 0;
    if (n == 0) return;
    if (nrhs == 1) {
        int saved = serial_begin(n);
        dpotrs_("U", &n, &nrhs, L, &n, B, &n, &info);
        serial_end(saved);
        return;
    }
    /* B is (n, nrhs) row-major, LAPACK wants (n, nrhs) column-major: solve
     * all columns in one dpotrs_ call (level-3 triangular solves) on the
     * transposed copy. Column by column, through level-2 solves, a K-FAC
     * refresh of a 1000 x 1000 factor took seconds. */
    double *t = malloc((size_t)n * (size_t)nrhs * sizeof(double));
    if (!t) return;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < nrhs; j++)
            t[(size_t)j * n + i] = B[(size_t)i * nrhs + j];
    int saved = serial_begin(n);
    dpotrs_("U", &n, &nrhs, L, &n, t, &n, &info);
    serial_end(saved);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < nrhs; j++)
            B[(size_t)i * nrhs + j] = t[(size_t)j * n + i];
    free(t);
}

int gn_chol_factor_damped(int n, const double *K, double lambda, double *L, double *used,
                          int *raises)
{
    double mean_diag = 0;
    for (int i = 0; i < n; i++)
        mean_diag += K[(size_t)i * n + i];
    mean_diag = n ? mean_diag / n : 1.0;
    if (!(mean_diag > 0) || !isfinite(mean_diag)) mean_diag = 1.0;
    double bound = 1e6 * mean_diag;
    double lam = lambda;
    *raises = 0;
    for (;;) {
        if (!isfinite(lam)) return -1;
        memcpy(L, K, (size_t)n * n * sizeof(double));
        for (int i = 0; i < n; i++)
            L[(size_t)i * n + i] += lam;
        if (gn_chol_factor(n, L) == 0) {
            *used = lam;
            return 0;
        }
        double next = 10 * lam;
        if (next < 1e-12 * mean_diag) next = 1e-12 * mean_diag;
        if (next > bound) return -1;
        lam = next;
        (*raises)++;
    }
}

int gn_sym_eigvals(int n, double *A, double *w)
{
    int info = 0, lwork = -1;
    double q;
    if (n == 0) return 0;
    dsyev_("N", "U", &n, A, &n, w, &q, &lwork, &info);
    if (info) return info;
    lwork = (int)q;
    double *work = malloc((size_t)lwork * sizeof(double));
    if (!work) return -1;
    dsyev_("N", "U", &n, A, &n, w, work, &lwork, &info);
    free(work);
    return info;
}

void gn_kernel_spectrum(int n, const double *K, double *work, double *w, double *lambda_min,
                        double *cond)
{
    *lambda_min = *cond = NAN;
    if (n < 1) return;
    memcpy(work, K, (size_t)n * n * sizeof(double));
    if (gn_sym_eigvals(n, work, w) != 0) return;
    *lambda_min = w[0];
    *cond = w[0] > 0 ? w[n - 1] / w[0] : INFINITY;
}
