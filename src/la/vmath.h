/* vmath.h: elementwise special functions over arrays through glibc's
 * vector math library (libmvec), with the widest variant this CPU runs
 * (AVX-512: 8 lanes, AVX2: 4, SSE2: 2) chosen once at first use.
 *
 * Why: over a 128 x 1024 tanh layer libm's scalar tanh takes 1.3 ms, 40 %
 * of the layer's 1024-wide gemm; the AVX-512 variant takes 0.14 ms
 * (bench/bench_vmath.c measures them side by side). libmvec's variants are
 * within 4 ulp of libm (glibc's documented bound; tests/test_vmath.c
 * checks every variant the CPU runs against libm).
 *
 * The variant in use depends on the CPU, so results are bit-identical
 * between runs on one machine but may differ in the last bits between
 * machines with different vector units. GNBENCH_VMATH=scalar forces libm's
 * scalar functions (and GNBENCH_VMATH=avx2 / sse2 a narrower variant);
 * gn_vmath_isa() names the one in use for the run manifest. */
#ifndef GN_VMATH_H
#define GN_VMATH_H

#include <stddef.h>

/* y[i] = f(x[i]) for i < n. y may equal x. */
void gn_vtanh(double *y, const double *x, size_t n);
void gn_vexp(double *y, const double *x, size_t n);
void gn_vlog1p(double *y, const double *x, size_t n);
void gn_verfc(double *y, const double *x, size_t n);

/* "avx512", "avx2", "sse2" or "scalar". */
const char *gn_vmath_isa(void);

/* Use the named variant from now on (tests and benchmarks compare them).
 * Returns 0, or -1 (and changes nothing) if the name is unknown or this CPU
 * cannot run it. */
int gn_vmath_select(const char *name);

#endif
