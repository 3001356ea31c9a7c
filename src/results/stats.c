/* stats.c: median, mean, standard deviation, bootstrap interval (stats.h). */
#include "results/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

static int cmp_asc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* The non-NaN values of x into a new array (sorted when sort), *m of them;
 * NULL when none is left or memory runs out. */
static double *present(const double *x, int n, int sort, int *m)
{
    *m = 0;
    if (!x || n <= 0) return NULL;
    double *v = malloc((size_t)n * sizeof *v);
    if (!v) return NULL;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) v[(*m)++] = x[i];
    if (*m == 0) {
        free(v);
        return NULL;
    }
    if (sort) qsort(v, (size_t)*m, sizeof *v, cmp_asc);
    return v;
}

/* The median of m sorted values. */
static double sorted_median(const double *v, int m)
{
    if (m % 2) return v[m / 2];
    double a = v[m / 2 - 1], b = v[m / 2];
    if (a == b) return a; /* also inf and inf */
    return isinf(a) || isinf(b) ? a + b : a + (b - a) / 2;
}

double gn_stats_median(const double *x, int n)
{
    int m;
    double *v = present(x, n, 1, &m);
    if (!v) return NAN;
    double med = sorted_median(v, m);
    free(v);
    return med;
}

double gn_stats_mean(const double *x, int n)
{
    double s = 0;
    int m = 0;
    for (int i = 0; x && i < n; i++)
        if (!isnan(x[i])) s += x[i], m++;
    return m ? s / m : NAN;
}

double gn_stats_std(const double *x, int n)
{
    /* two passes, the second corrected for the rounding of the mean */
    double mean = gn_stats_mean(x, n), ss = 0, sd = 0;
    int m = 0;
    if (!isfinite(mean)) return NAN;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) {
            double d = x[i] - mean;
            ss += d * d;
            sd += d;
            m++;
        }
    return m >= 2 ? sqrt((ss - sd * sd / m) / (m - 1)) : NAN;
}

int gn_stats_bootstrap_median(const double *x, int n, int B, double level, uint64_t seed,
                              double *lo, double *hi)
{
    *lo = *hi = NAN;
    if (B < 1 || !(level > 0 && level < 1)) return -1;
    int m;
    double *v = present(x, n, 0, &m);
    if (!v) return -1;
    double *meds = malloc((size_t)B * sizeof *meds), *res = malloc((size_t)m * sizeof *res);
    if (!meds || !res) {
        free(v);
        free(meds);
        free(res);
        return -1;
    }
    gn_rng r;
    gn_rng_seed(&r, seed, "bootstrap");
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < m; i++)
            res[i] = v[gn_rng_below(&r, (uint64_t)m)];
        qsort(res, (size_t)m, sizeof *res, cmp_asc);
        meds[b] = sorted_median(res, m);
    }
    qsort(meds, (size_t)B, sizeof *meds, cmp_asc);
    int k = (int)ceil(B * (1 - level) / 2 - 1e-9);
    if (k < 1) k = 1;
    *lo = meds[k - 1];
    *hi = meds[B - k];
    free(v);
    free(meds);
    free(res);
    return 0;
}

/* The points gn_stats_contraction fits: up to the first loss at or below
 * floor, finite losses above it. */
static int fit_point(const double *loss, int i, double floor, int *stop)
{
    if (loss[i] <= floor) *stop = 1;
    return !*stop && isfinite(loss[i]) && loss[i] > floor;
}

double gn_stats_contraction(const double *step, const double *loss, int n, double floor)
{
    double mx = 0, my = 0;
    int m = 0, stop = 0;
    for (int i = 0; i < n; i++)
        if (fit_point(loss, i, floor, &stop)) mx += step[i], my += log(loss[i]), m++;
    if (m < 2) return NAN;
    mx /= m, my /= m;
    double sxx = 0, sxy = 0;
    stop = 0;
    for (int i = 0; i < n; i++)
        if (fit_point(loss, i, floor, &stop)) {
            double dx = step[i] - mx;
            sxx += dx * dx, sxy += dx * (log(loss[i]) - my);
        }
    return sxx > 0 ? exp(sxy / sxx) : NAN;
}
