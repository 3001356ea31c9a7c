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

#include "blas.h"

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

void gn_gemm(int transa, int transb, int M, int N, int K, double alpha, const double *A,
             int lda, const double *B, int ldb, double beta, double *C, int ldc)
{
    if (M == 0 || N == 0) return;
    bli_dgemm(transa ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
              transb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, M, N, K, &alpha, (double *)A, lda, 1,
              (double *)B, ldb, 1, &beta, C, ldc, 1);
}

void gn_syrk_full(int N, int K, double alpha, const double *A, int lda, double beta, double *C,
                  int ldc)
{
    if (N == 0) return;
    bli_dsyrk(BLIS_LOWER, BLIS_NO_TRANSPOSE, N, K, &alpha, (double *)A, lda, 1, &beta, C, ldc,
              1);
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) C[(size_t)i * ldc + j] = C[(size_t)j * ldc + i];
}

double gn_dot(int n, const double *x, const double *y)
{
    double r = 0;
    bli_ddotv(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, n, (double *)x, 1, (double *)y, 1, &r);
    return r;
}

double gn_nrm2(int n, const double *x)
{
    /* sqrt(x·x) runs at dot-product speed; BLIS's normfv rescales to avoid
     * overflow and costs several times more (measured: a third of an sgd
     * step at 1.85M parameters). Fall back to it only when x·x overflows or
     * underflows to zero with non-zero x. */
    double s = gn_dot(n, x, x);
    if (isfinite(s) && s > 1e-280) return sqrt(s);
    double r = 0;
    bli_dnormfv(n, (double *)x, 1, &r);
    return r;
}

void gn_axpy(int n, double alpha, const double *x, double *y)
{
    bli_daxpyv(BLIS_NO_CONJUGATE, n, &alpha, (double *)x, 1, y, 1);
}

void gn_scal(int n, double alpha, double *x)
{
    bli_dscalv(BLIS_NO_CONJUGATE, n, &alpha, x, 1);
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
    for (size_t i = 0; i < nn; i++) a[i] = b[i] = 1.0 / (1 + i % 7);
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
