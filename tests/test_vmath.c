/* test_vmath.c: every vector-math variant this CPU runs against libm's
 * scalar functions, element by element, including the tails that go
 * through the padded buffer and the special values. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "tolerances.h"
#include "la/vmath.h"

typedef void (*vfun)(double *, const double *, size_t);
static const struct {
    const char *name;
    vfun vec;
    double (*ref)(double);
} funcs[] = {{"tanh", gn_vtanh, tanh},
             {"exp", gn_vexp, exp},
             {"log1p", gn_vlog1p, log1p},
             {"erfc", gn_verfc, erfc}};
static const char *const variants[] = {"scalar", "sse2", "avx2", "avx512"};

/* ulps between a and the reference r (relative to r, with a floor at the
 * smallest normal so results near 0 are compared absolutely). */
static double ulps(double a, double r)
{
    if (isnan(r)) return isnan(a) ? 0 : INFINITY;
    if (isinf(r)) return a == r ? 0 : INFINITY;
    return fabs(a - r) / (fmax(fabs(r), DBL_MIN) * DBL_EPSILON);
}

/* Inputs: a dense sweep over the range activations see, wide magnitudes,
 * and the special values; n is odd so every variant has a tail. */
static size_t inputs(double *x)
{
    size_t n = 0;
    for (int i = -4000; i <= 4000; i++)
        x[n++] = i * 0.005;
    for (int e = -300; e <= 300; e += 7)
        x[n++] = pow(10.0, e / 10.0), x[n++] = -pow(10.0, e / 10.0);
    const double special[] = {0.0,    -0.0,     DBL_MIN,   -DBL_MIN,  DBL_MAX, -DBL_MAX,
                              700.0,  710.0,    -745.0,    -0.999999, 19.0625, -19.0625,
                              1e-320, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof special / sizeof *special; i++)
        x[n++] = special[i];
    if (n % 2 == 0) x[n++] = 0.25;
    return n;
}

Test(vmath, every_variant_agrees_with_libm)
{
    double *x = malloc(20000 * sizeof *x), *y = malloc(20000 * sizeof *y);
    size_t n = inputs(x);
    int tried = 0;
    for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
        if (gn_vmath_select(variants[v]) != 0) continue;
        cr_assert_str_eq(gn_vmath_isa(), variants[v]);
        tried++;
        for (size_t f = 0; f < sizeof funcs / sizeof *funcs; f++) {
            /* every length up to 9 exercises each tail size, then the full array */
            for (size_t len = 1; len <= 9; len++) {
                funcs[f].vec(y, x + 4000, len);
                for (size_t i = 0; i < len; i++)
                    cr_assert_leq(ulps(y[i], funcs[f].ref(x[4000 + i])), GN_TOL_VMATH_ULP,
                                  "%s %s(%.17g)", variants[v], funcs[f].name, x[4000 + i]);
            }
            funcs[f].vec(y, x, n);
            for (size_t i = 0; i < n; i++) {
                double r = funcs[f].ref(x[i]);
                /* below DBL_MIN an answer may be flushed; compare absolutely */
                if (fabs(r) < DBL_MIN) {
                    cr_assert_leq(fabs(y[i] - r), DBL_MIN, "%s %s(%.17g)", variants[v],
                                  funcs[f].name, x[i]);
                    continue;
                }
                cr_assert_leq(ulps(y[i], r), GN_TOL_VMATH_ULP, "%s %s(%.17g) = %.17g, libm %.17g",
                              variants[v], funcs[f].name, x[i], y[i], r);
            }
        }
    }
    cr_assert_geq(tried, 2, "scalar and sse2 run on every x86-64 CPU");
    free(x), free(y);
}

Test(vmath, in_place_and_unknown_variant)
{
    cr_assert_eq(gn_vmath_select("sse2"), 0);
    cr_assert_eq(gn_vmath_select("avx1024"), -1);
    cr_assert_str_eq(gn_vmath_isa(), "sse2", "a failed select keeps the variant");
    double x[5] = {-2, -1, 0, 1, 2};
    gn_vtanh(x, x, 5);
    for (int i = 0; i < 5; i++)
        cr_assert_leq(ulps(x[i], tanh(i - 2.0)), GN_TOL_VMATH_ULP);
}
