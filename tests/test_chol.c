/* test_chol.c: the libflame-backed Cholesky solve, damping recovery and the
 * kernel spectrum, against hand-made matrices. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "la/chol.h"
#include "core/rng.h"
#include "tolerances.h"

/* A = B Bᵀ + shift I for a random B (n, n): symmetric positive definite. */
static void spd(int n, double shift, double *A, gn_rng *r)
{
    double *B = malloc(sizeof(double) * n * n);
    for (int j = 0; j < n * n; j++)
        B[j] = gn_rng_normal(r);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double s = i == k ? shift : 0;
            for (int j = 0; j < n; j++)
                s += B[i * n + j] * B[k * n + j];
            A[i * n + k] = s;
        }
    free(B);
}

Test(chol, solve_returns_x_with_small_residual)
{
    gn_blas_init(1);
    gn_rng r;
    gn_rng_seed(&r, 1, "chol");
    int n = 40;
    double *A = malloc(sizeof(double) * n * n), *L = malloc(sizeof(double) * n * n);
    double x[40], b[40];
    spd(n, 0.5, A, &r);
    for (int i = 0; i < n; i++)
        x[i] = gn_rng_normal(&r);
    for (int i = 0; i < n; i++) {
        b[i] = 0;
        for (int j = 0; j < n; j++)
            b[i] += A[i * n + j] * x[j];
    }
    memcpy(L, A, sizeof(double) * n * n);
    cr_assert_eq(gn_chol_factor(n, L), 0);
    gn_chol_solve(n, L, 1, b);
    double d = 0, s = 0;
    for (int i = 0; i < n; i++)
        d += (b[i] - x[i]) * (b[i] - x[i]), s += x[i] * x[i];
    cr_expect_lt(sqrt(d / s), GN_TOL_SOLVE_REL);
    free(A), free(L);
}

Test(chol, several_right_hand_sides)
{
    gn_blas_init(1);
    gn_rng r;
    gn_rng_seed(&r, 2, "chol");
    int n = 12, k = 3;
    double A[144], L[144], X[36], B[36];
    spd(n, 1.0, A, &r);
    for (int j = 0; j < n * k; j++)
        X[j] = gn_rng_normal(&r);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < k; c++) {
            B[i * k + c] = 0;
            for (int j = 0; j < n; j++)
                B[i * k + c] += A[i * n + j] * X[j * k + c];
        }
    memcpy(L, A, sizeof A);
    cr_assert_eq(gn_chol_factor(n, L), 0);
    gn_chol_solve(n, L, k, B);
    for (int j = 0; j < n * k; j++)
        cr_expect(fabs(B[j] - X[j]) < GN_TOL_SOLVE_REL * (1 + fabs(X[j])));
}

Test(chol, not_positive_definite_is_reported)
{
    double A[4] = {1, 2, 2, 1}; /* eigenvalues 3 and -1 */
    cr_expect_gt(gn_chol_factor(2, A), 0);
}

Test(chol, damped_factor_raises_damping_until_it_works)
{
    double K[9] = {1, 1, 0, 1, 1, 0, 0, 0, 2};
    double L[9], used;
    int raises;
    K[4] = 0.5; /* indefinite: eigenvalues of [[1,1],[1,.5]] are 1.78 and -0.28 */
    cr_assert_eq(gn_chol_factor_damped(3, K, 0.0, L, &used, &raises), 0);
    cr_expect_gt(raises, 0);
    cr_expect_gt(used, 0.28); /* K + used I must be positive definite */
    cr_expect_eq(K[4], 0.5, "K must be left intact");
}

Test(chol, damped_factor_gives_up_beyond_the_bound)
{
    /* needs damping > 1e9, beyond 1e6 times the mean diagonal (~ -5e8 -> bound 1e6) */
    double K[4] = {1e3, 0, 0, -1e9};
    double L[4], used;
    int raises;
    cr_expect_eq(gn_chol_factor_damped(2, K, 0.0, L, &used, &raises), -1);
}

Test(chol, kernel_spectrum_of_a_diagonal_matrix)
{
    double K[9] = {4, 0, 0, 0, 0.5, 0, 0, 0, 2}, work[9], w[3], lmin, cond;
    gn_kernel_spectrum(3, K, work, w, &lmin, &cond);
    cr_expect_float_eq(lmin, 0.5, 1e-14);
    cr_expect_float_eq(cond, 8.0, 1e-13);
}
