/* vmath.c: array versions of tanh, exp, log1p and erfc on libmvec.
 *
 * libmvec exports each function once per vector ABI (x86-64 vector function
 * ABI names: _ZGV + ISA letter b = SSE, d = AVX2, e = AVX-512 + N lanes +
 * v). The compiler only calls them by itself under -ffast-math; here they
 * are called explicitly from small loops compiled for the matching ISA, and
 * one of the loops is picked from the CPU flags the first time a function
 * is used. The elements past the last full vector go through the same
 * vector function via a padded buffer, so every element of an array is
 * computed by the same code. */
#include "la/vmath.h"

#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AVX512 __attribute__((target("avx512f")))
#define AVX2 __attribute__((target("avx2,fma")))

/* The libmvec entry points (GLIBC_2.22 for exp, 2.35 for the rest). */
#define DECLARE(fn)                                                                                \
    __m128d _ZGVbN2v_##fn(__m128d);                                                                \
    AVX2 __m256d _ZGVdN4v_##fn(__m256d);                                                           \
    AVX512 __m512d _ZGVeN8v_##fn(__m512d);
DECLARE(tanh)
DECLARE(exp)
DECLARE(log1p)
DECLARE(erfc)

/* One loop per function and ISA: full vectors straight from x, then the
 * tail (fewer than `lanes` elements) through a zero-padded copy. */
#define LOOPS(fn)                                                                                  \
    static void fn##_sse2(double *y, const double *x, size_t n)                                    \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + 2 <= n; i += 2)                                                                 \
            _mm_storeu_pd(y + i, _ZGVbN2v_##fn(_mm_loadu_pd(x + i)));                              \
        if (i < n) {                                                                               \
            double t[2] = {x[i], 0.0};                                                             \
            _mm_storeu_pd(t, _ZGVbN2v_##fn(_mm_loadu_pd(t)));                                      \
            y[i] = t[0];                                                                           \
        }                                                                                          \
    }                                                                                              \
    AVX2 static void fn##_avx2(double *y, const double *x, size_t n)                               \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + 4 <= n; i += 4)                                                                 \
            _mm256_storeu_pd(y + i, _ZGVdN4v_##fn(_mm256_loadu_pd(x + i)));                        \
        if (i < n) {                                                                               \
            double t[4] = {0};                                                                     \
            memcpy(t, x + i, (n - i) * sizeof *t);                                                 \
            _mm256_storeu_pd(t, _ZGVdN4v_##fn(_mm256_loadu_pd(t)));                                \
            memcpy(y + i, t, (n - i) * sizeof *t);                                                 \
        }                                                                                          \
    }                                                                                              \
    AVX512 static void fn##_avx512(double *y, const double *x, size_t n)                           \
    {                                                                                              \
        size_t i = 0;                                                                              \
        for (; i + 8 <= n; i += 8)                                                                 \
            _mm512_storeu_pd(y + i, _ZGVeN8v_##fn(_mm512_loadu_pd(x + i)));                        \
        if (i < n) {                                                                               \
            double t[8] = {0};                                                                     \
            memcpy(t, x + i, (n - i) * sizeof *t);                                                 \
            _mm512_storeu_pd(t, _ZGVeN8v_##fn(_mm512_loadu_pd(t)));                                \
            memcpy(y + i, t, (n - i) * sizeof *t);                                                 \
        }                                                                                          \
    }                                                                                              \
    static void fn##_scalar(double *y, const double *x, size_t n)                                  \
    {                                                                                              \
        for (size_t i = 0; i < n; i++)                                                             \
            y[i] = fn(x[i]);                                                                       \
    }
LOOPS(tanh)
LOOPS(exp)
LOOPS(log1p)
LOOPS(erfc)

typedef void (*vfun)(double *, const double *, size_t);
enum { ISA_SCALAR, ISA_SSE2, ISA_AVX2, ISA_AVX512, ISA_UNSET };
static const char *const isa_names[] = {"scalar", "sse2", "avx2", "avx512"};
static const vfun table[4][4] = {
    {tanh_scalar, exp_scalar, log1p_scalar, erfc_scalar},
    {tanh_sse2, exp_sse2, log1p_sse2, erfc_sse2},
    {tanh_avx2, exp_avx2, log1p_avx2, erfc_avx2},
    {tanh_avx512, exp_avx512, log1p_avx512, erfc_avx512},
};

static int isa = ISA_UNSET;

static int widest(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return ISA_AVX2;
    return ISA_SSE2;
}

/* The widest variant the CPU has, lowered by GNBENCH_VMATH (never raised: a
 * request for a variant the CPU lacks keeps the best it has). */
static int pick(void)
{
    int best = widest();
    const char *want = getenv("GNBENCH_VMATH");
    if (want && *want)
        for (int i = 0; i < best; i++)
            if (strcmp(want, isa_names[i]) == 0) return i;
    return best;
}

int gn_vmath_select(const char *name)
{
    int best = widest();
    for (int i = 0; i <= best; i++)
        if (strcmp(name, isa_names[i]) == 0) {
            __atomic_store_n(&isa, i, __ATOMIC_RELAXED);
            return 0;
        }
    return -1;
}

static inline const vfun *funcs(void)
{
    /* threads may race to the first call: each computes the same value */
    int v = __atomic_load_n(&isa, __ATOMIC_RELAXED);
    if (v == ISA_UNSET) {
        v = pick();
        __atomic_store_n(&isa, v, __ATOMIC_RELAXED);
    }
    return table[v];
}

const char *gn_vmath_isa(void)
{
    funcs();
    return isa_names[__atomic_load_n(&isa, __ATOMIC_RELAXED)];
}

void gn_vtanh(double *y, const double *x, size_t n)
{
    funcs()[0](y, x, n);
}
void gn_vexp(double *y, const double *x, size_t n)
{
    funcs()[1](y, x, n);
}
void gn_vlog1p(double *y, const double *x, size_t n)
{
    funcs()[2](y, x, n);
}
void gn_verfc(double *y, const double *x, size_t n)
{
    funcs()[3](y, x, n);
}
