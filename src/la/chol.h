/* chol.h: dense symmetric positive definite solves through libflame's
 * LAPACK interface (dpotrf/dpotrs). The only module that calls LAPACK. */
#ifndef GN_CHOL_H
#define GN_CHOL_H

/* Factors the (n, n) symmetric matrix A in place (lower Cholesky factor,
 * row-major storage of the full matrix). Returns 0, or the LAPACK info > 0
 * when A is not positive definite. */
int gn_chol_factor(int n, double *A);
/* Solves A X = B for nrhs right-hand sides given the factor from
 * gn_chol_factor. B is (n, nrhs) row-major, overwritten by X. */
void gn_chol_solve(int n, const double *L, int nrhs, double *B);

/* Symmetric eigenvalues of the (n, n) matrix A (destroyed) in ascending
 * order into w (n). Returns 0 or LAPACK info. */
int gn_sym_eigvals(int n, double *A, double *w);

/* Factors K + lambda I into L (both (n, n); K is left intact). When the
 * factorization fails, lambda is raised (to max(10 lambda, 1e-12 mean
 * diag K), then tenfold) until it succeeds or exceeds 1e6 * mean diag K.
 * *used gets the damping that worked, *raises the number of raises.
 * Returns 0, or -1 when no damping up to the bound worked. */
int gn_chol_factor_damped(int n, const double *K, double lambda, double *L, double *used,
                          int *raises);

/* Smallest eigenvalue and condition number (largest / smallest; inf when
 * the smallest is <= 0) of the symmetric (n, n) K, using work (n, n) and
 * w (n). Both outputs are NaN when the eigensolver fails. */
void gn_kernel_spectrum(int n, const double *K, double *work, double *w, double *lambda_min,
                        double *cond);
#endif
