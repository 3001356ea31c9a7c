/* blas.c: BLIS behind a small row-major interface, and the choice of the
 * BLIS kernel architecture at start-up.
 *
 * BLIS 0.9.0 (Debian 12) does not recognize recent AMD CPUs and falls back
 * to its generic kernels, about six times slower. Unless the user set
 * BLIS_ARCH_TYPE, gn_blas_init picks skx when the process sees AVX-512
 * (F, DQ, BW, VL) and haswell when it sees AVX2 and FMA, by the CPU flags
 * this process sees (so under valgrind, which hides AVX-512, haswell). */
#define BLIS_DISABLE_BLAS_DEFS
#include <blis.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "la/blas.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static char arch_source[32] = "blis-default";
static int n_threads = 1;

const char *gn_blas_arch_for_cpu(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return "skx";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "haswell";
    return NULL;
}

int gn_blas_init(int threads)
{
    const char *env = getenv("BLIS_ARCH_TYPE");
    if (env && *env) {
        snprintf(arch_source, sizeof arch_source, "env BLIS_ARCH_TYPE=%s", env);
    } else {
        const char *want = gn_blas_arch_for_cpu();
        int id = -1;
        if (want && strcmp(want, "skx") == 0) id = BLIS_ARCH_SKX;
        if (want && strcmp(want, "haswell") == 0) id = BLIS_ARCH_HASWELL;
        if (id >= 0) {
            char buf[16];
            snprintf(buf, sizeof buf, "%d", id);
            setenv("BLIS_ARCH_TYPE", buf, 1);
            snprintf(arch_source, sizeof arch_source, "cpu-flags");
        }
    }
    bli_init();
    gn_blas_set_threads(threads);
    return 0;
}

void gn_blas_set_threads(int threads)
{
    if (threads <= 0) threads = 1;
    n_threads = threads;
    bli_thread_set_num_threads(threads);
}

int gn_blas_threads(void)
{
    return n_threads;
}

const char *gn_blas_arch(void)
{
    return bli_arch_string(bli_arch_query_id());
}

const char *gn_blas_arch_source(void)
{
    return arch_source;
}

const char *gn_blas_version(void)
{
    return bli_info_get_version_str();
}

/* Products below this many multiply-adds (M N K, about 160³) run on one
 * thread whatever the setting: with two threads BLIS took longer on them
 * (128 x 128 x 128: 0.05 ms on one thread, 0.06-0.07 on two; 128 x 64 x 64:
 * 0.02 vs 0.03), and above it a second thread starts to pay (128 x 256 x
 * 256: 0.20 vs 0.14). The threads only split the output, so the numbers
 * are the same either way. */
#define SMALL_MNK 4.0e6

static rntm_t *small_product_rntm(double mnk, rntm_t *one)
{
    if (n_threads < 2 || mnk >= SMALL_MNK) return NULL;
    rntm_t init = BLIS_RNTM_INITIALIZER;
    *one = init;
    bli_rntm_set_num_threads(1, one);
    return one;
}

void gn_gemm(int transa, int transb, int M, int N, int K, double alpha, const double *A, int lda,
             const double *B, int ldb, double beta, double *C, int ldc)
{
    if (M == 0 || N == 0) return;
    rntm_t one;
    bli_dgemm_ex(transa ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
                 transb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, M, N, K, &alpha, (double *)A, lda, 1,
                 (double *)B, ldb, 1, &beta, C, ldc, 1, NULL,
                 small_product_rntm((double)M * N * K, &one));
}

/* syrk on the lower triangle, then the upper mirrored; rntm NULL: BLIS's
 * global thread setting. */
static void syrk_full_rntm(int N, int K, double alpha, const double *A, int lda, double beta,
                           double *C, int ldc, rntm_t *rntm)
{
    if (N == 0) return;
    bli_dsyrk_ex(BLIS_LOWER, BLIS_NO_TRANSPOSE, N, K, &alpha, (double *)A, lda, 1, &beta, C, ldc, 1,
                 NULL, rntm);
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            C[(size_t)i * ldc + j] = C[(size_t)j * ldc + i];
}

void gn_syrk_full(int N, int K, double alpha, const double *A, int lda, double beta, double *C,
                  int ldc)
{
    rntm_t one;
    syrk_full_rntm(N, K, alpha, A, lda, beta, C, ldc,
                   small_product_rntm(0.5 * N * (double)N * K, &one));
}

/* BLIS threads a syrk over its N x N output only; at N = 128 (a batch of
 * 128, one output) a second thread gained nothing (0.59 ms with one thread,
 * 0.63 with two, K = 2048). Two independent small products therefore run
 * side by side, one thread each; large ones (N > this) one after the other
 * with all threads, and tiny pairs (less work than SMALL_MNK together) one
 * after the other on one thread. Every element is computed the same way
 * either way. */
#define PAIR_MAX_N 512

void gn_syrk_full_pair(int N1, int K1, double alpha1, const double *A1, int lda1, double *C1,
                       int ldc1, int N2, int K2, double alpha2, const double *A2, int lda2,
                       double *C2, int ldc2)
{
    double work = 0.5 * ((double)N1 * N1 * K1 + (double)N2 * N2 * K2);
    if (n_threads < 2 || N1 > PAIR_MAX_N || N2 > PAIR_MAX_N || work < SMALL_MNK) {
        gn_syrk_full(N1, K1, alpha1, A1, lda1, 0.0, C1, ldc1);
        gn_syrk_full(N2, K2, alpha2, A2, lda2, 0.0, C2, ldc2);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(2) schedule(static, 1)
#endif
    for (int k = 0; k < 2; k++) {
        rntm_t one = BLIS_RNTM_INITIALIZER;
        bli_rntm_set_num_threads(1, &one);
        if (k == 0)
            syrk_full_rntm(N1, K1, alpha1, A1, lda1, 0.0, C1, ldc1, &one);
        else
            syrk_full_rntm(N2, K2, alpha2, A2, lda2, 0.0, C2, ldc2, &one);
    }
}

/* ---- passes over parameter-sized vectors -------------------------------
 * BLIS does not thread its level-1 operations, and a pass over m = 1.85 M
 * parameters (15 MB) is memory-bound work of about a millisecond. With more
 * than one thread such passes are cut into one contiguous chunk per thread;
 * per-chunk sums are added in chunk order, so a result depends on the
 * thread count but never on scheduling. Short vectors stay in one piece. */
#define PAR_MIN 65536
#define PAR_MAX 64

void gn_par_sums_cost(size_t n, size_t cost, gn_chunk_fn fn, void *ctx, double sums[2])
{
    int T = n > 1 && n * cost >= PAR_MIN ? n_threads : 1;
    if (T > PAR_MAX) T = PAR_MAX;
    if ((size_t)T > n) T = (int)n;
    if (T <= 1) {
        sums[0] = sums[1] = 0;
        fn(0, n, ctx, sums);
        return;
    }
    double part[PAR_MAX][2];
#ifdef _OPENMP
#pragma omp parallel for num_threads(T) schedule(static, 1)
#endif
    for (int k = 0; k < T; k++) {
        part[k][0] = part[k][1] = 0;
        fn(n * (size_t)k / T, n * (size_t)(k + 1) / T, ctx, part[k]);
    }
    sums[0] = sums[1] = 0;
    for (int k = 0; k < T; k++)
        sums[0] += part[k][0], sums[1] += part[k][1];
}

void gn_par_sums(size_t n, gn_chunk_fn fn, void *ctx, double sums[2])
{
    gn_par_sums_cost(n, 1, fn, ctx, sums);
}

typedef struct {
    double a;
    const double *x, *y;
    double *w;
} vec_args;

static void dot_chunk(size_t lo, size_t hi, void *p, double *sums)
{
    const vec_args *v = p;
    bli_ddotv(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, (dim_t)(hi - lo), (double *)v->x + lo, 1,
              (double *)v->y + lo, 1, sums);
}

static void axpy_chunk(size_t lo, size_t hi, void *p, double *sums)
{
    const vec_args *v = p;
    double a = v->a;
    bli_daxpyv(BLIS_NO_CONJUGATE, (dim_t)(hi - lo), &a, (double *)v->x + lo, 1, v->w + lo, 1);
}

static void scal_chunk(size_t lo, size_t hi, void *p, double *sums)
{
    const vec_args *v = p;
    double a = v->a;
    bli_dscalv(BLIS_NO_CONJUGATE, (dim_t)(hi - lo), &a, v->w + lo, 1);
}

static void axpy_dot_chunk(size_t lo, size_t hi, void *p, double *sums)
{
    const vec_args *v = p;
    const double *x = v->x;
    double *y = v->w, a = v->a, s = 0;
#pragma omp simd reduction(+ : s)
    for (size_t i = lo; i < hi; i++) {
        s += x[i] * x[i];
        y[i] += a * x[i];
    }
    sums[0] = s;
}

double gn_dot(int n, const double *x, const double *y)
{
    vec_args v = {.x = x, .y = y};
    double sums[2];
    gn_par_sums((size_t)(n > 0 ? n : 0), dot_chunk, &v, sums);
    return sums[0];
}

/* sqrt(s) for s = x·x, falling back to BLIS's scaled norm when s overflowed
 * or underflowed to zero with non-zero x. */
static double norm_from_square(int n, const double *x, double s)
{
    if (isfinite(s) && s > 1e-280) return sqrt(s);
    double r = 0;
    bli_dnormfv(n, (double *)x, 1, &r);
    return r;
}

double gn_nrm2(int n, const double *x)
{
    /* sqrt(x·x) runs at dot-product speed; BLIS's normfv rescales to avoid
     * overflow and costs several times more (measured: a third of an sgd
     * step at 1.85M parameters). */
    return norm_from_square(n, x, gn_dot(n, x, x));
}

void gn_axpy(int n, double alpha, const double *x, double *y)
{
    vec_args v = {.a = alpha, .x = x, .w = y};
    double sums[2];
    gn_par_sums((size_t)(n > 0 ? n : 0), axpy_chunk, &v, sums);
}

double gn_axpy_nrm2(int n, double alpha, const double *x, double *y)
{
    vec_args v = {.a = alpha, .x = x, .w = y};
    double sums[2];
    gn_par_sums((size_t)(n > 0 ? n : 0), axpy_dot_chunk, &v, sums);
    return norm_from_square(n, x, sums[0]);
}

void gn_scal(int n, double alpha, double *x)
{
    vec_args v = {.a = alpha, .w = x};
    double sums[2];
    gn_par_sums((size_t)(n > 0 ? n : 0), scal_chunk, &v, sums);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

double gn_blas_gemm_gflops(int n, int reps)
{
    size_t nn = (size_t)n * n;
    double *a = malloc(nn * sizeof(double)), *b = malloc(nn * sizeof(double)),
           *c = calloc(nn, sizeof(double));
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        return 0;
    }
    for (size_t i = 0; i < nn; i++)
        a[i] = b[i] = 1.0 / (1 + i % 7);
    gn_gemm(0, 0, n, n, n, 1.0, a, n, b, n, 0.0, c, n); /* warm-up */
    double best = 1e300;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        gn_gemm(0, 0, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
        double t = now_s() - t0;
        if (t < best) best = t;
    }
    free(a), free(b), free(c);
    return 2.0 * n * (double)n * n / best / 1e9;
}
