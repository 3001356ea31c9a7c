/* dense.h: the dense linear-algebra oracle of the optimizer tests: Gaussian
 * elimination with partial pivoting, sharing no code with the Cholesky path
 * under test. Header-only (static inline). */
#ifndef GN_TEST_DENSE_H
#define GN_TEST_DENSE_H

#include <math.h>

/* Dense oracle: solves A x = b (n, n) by Gaussian elimination with partial
 * pivoting (A destroyed); independent of the Cholesky path under test. */
static inline void dense_solve(int n, double *A, double *b)
{
    for (int k = 0; k < n; k++) {
        int piv = k;
        for (int i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > fabs(A[piv * n + k])) piv = i;
        for (int j = 0; j < n; j++) {
            double t = A[k * n + j];
            A[k * n + j] = A[piv * n + j];
            A[piv * n + j] = t;
        }
        double t = b[k];
        b[k] = b[piv];
        b[piv] = t;
        for (int i = k + 1; i < n; i++) {
            double f = A[i * n + k] / A[k * n + k];
            for (int j = k; j < n; j++)
                A[i * n + j] -= f * A[k * n + j];
            b[i] -= f * b[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        for (int j = k + 1; j < n; j++)
            b[k] -= A[k * n + j] * b[j];
        b[k] /= A[k * n + k];
    }
}

#endif
