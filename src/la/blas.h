/* blas.h: the BLIS wrapper. The only module that includes <blis.h>.
 *
 * Row-major float64 matrix products used by the model, the Gram trick and
 * the optimizers, plus start-up selection of the BLIS kernel architecture
 * from the CPU flags this process sees. */
#ifndef GN_BLAS_H
#define GN_BLAS_H

#include <stddef.h>

/* Chooses BLIS_ARCH_TYPE from the CPU flags unless the user set it, then
 * initializes BLIS with `threads` threads (<= 0: leave BLIS's default).
 * Must run before any other call here. Returns 0. */
int gn_blas_init(int threads);
void gn_blas_set_threads(int threads);
int gn_blas_threads(void);
const char *gn_blas_arch(void);        /* architecture in use, e.g. "skx" */
const char *gn_blas_arch_source(void); /* "cpu-flags", "env" */
const char *gn_blas_version(void);
/* The architecture gn_blas_init would choose from this CPU's flags. */
const char *gn_blas_arch_for_cpu(void);

/* C = alpha * op(A) op(B) + beta * C, all row-major.
 * op(A) is (M, K), op(B) is (K, N), C is (M, N); lda/ldb/ldc are row strides. */
void gn_gemm(int transa, int transb, int M, int N, int K, double alpha, const double *A, int lda,
             const double *B, int ldb, double beta, double *C, int ldc);

/* C (N, N) lower and upper triangles = alpha * A Aᵀ + beta * C, A is (N, K).
 * The full symmetric matrix is written. */
void gn_syrk_full(int N, int K, double alpha, const double *A, int lda, double beta, double *C,
                  int ldc);
/* C1 = alpha1 A1 A1ᵀ and C2 = alpha2 A2 A2ᵀ (full matrices), side by side
 * on two threads when both outputs are small (see blas.c). */
void gn_syrk_full_pair(int N1, int K1, double alpha1, const double *A1, int lda1, double *C1,
                       int ldc1, int N2, int K2, double alpha2, const double *A2, int lda2,
                       double *C2, int ldc2);

/* Level-1 operations; long vectors are shared among the BLAS threads
 * (gn_par_sum), with results that depend on the thread count only. */
double gn_dot(int n, const double *x, const double *y);
double gn_nrm2(int n, const double *x);
void gn_axpy(int n, double alpha, const double *x, double *y); /* y += alpha x */
void gn_scal(int n, double alpha, double *x);
/* y += alpha x and return ‖x‖₂, in one pass over x and y. */
double gn_axpy_nrm2(int n, double alpha, const double *x, double *y);

/* fn(lo, hi, ctx, sums) over a partition of [0, n) into contiguous chunks,
 * one per BLAS thread when n is long enough to be worth sharing (run in
 * parallel when built with OpenMP). Each call adds into its own zeroed
 * sums[2]; the chunks' sums are then added in chunk order into sums[2].
 * For fused elementwise passes over parameter vectors. */
typedef void (*gn_chunk_fn)(size_t lo, size_t hi, void *ctx, double sums[2]);
void gn_par_sums(size_t n, gn_chunk_fn fn, void *ctx, double sums[2]);
/* The same over n items that each cost about `cost` element operations
 * (rows of a matrix: cost = its width). */
void gn_par_sums_cost(size_t n, size_t cost, gn_chunk_fn fn, void *ctx, double sums[2]);

/* Measured dgemm rate (GFLOP/s) at size n with the current threads. */
double gn_blas_gemm_gflops(int n, int reps);

#endif
