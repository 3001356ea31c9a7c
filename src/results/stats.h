/* stats.h: the statistics of a summary over paired seeds: median, mean,
 * sample standard deviation and a percentile-bootstrap interval of the
 * median.
 *
 * Values may be +inf (a run that did not reach its target took infinitely
 * long): the median and the interval are then inf when enough of the
 * values are. NaN values are missing and left out by every function; a
 * result with no value left is NaN. */
#ifndef GN_STATS_H
#define GN_STATS_H

#include <stdint.h>

/* The resamples and the seed gnbench summarize uses (docs/SUMMARY.md). */
#define GN_STATS_BOOTSTRAP_B 2000
#define GN_STATS_BOOTSTRAP_SEED 14
#define GN_STATS_BOOTSTRAP_LEVEL 0.95

/* x: n values. The median: the middle value, or the mean of the two middle
 * values for an even count (inf when one of them is inf). */
double gn_stats_median(const double *x, int n);
/* The arithmetic mean (inf when a value is inf). */
double gn_stats_mean(const double *x, int n);
/* The sample standard deviation (divisor count - 1); NaN with fewer than
 * two values or when a value is infinite. */
double gn_stats_std(const double *x, int n);

/* Percentile bootstrap of the median: B resamples of the values with
 * replacement, drawn from core/rng with (seed, "bootstrap"), so the same
 * input gives the same interval on every machine; *lo and *hi are the
 * k-th smallest and k-th largest of the B resample medians, with
 * k = ceil(B (1 - level) / 2) (at least 1). One value gives lo = hi = it.
 * Returns 0, or -1 (lo = hi = NaN) when no value is left, B < 1, level is
 * not in (0, 1) or memory runs out. */
int gn_stats_bootstrap_median(const double *x, int n, int B, double level, uint64_t seed,
                              double *lo, double *hi);

/* The per-step contraction of a loss curve: exp(b) for the least-squares
 * line log(loss) = a + b step over the points (step[i], loss[i]) with a
 * finite loss above floor (the points after the first one at or below floor
 * are left out: the loss has reached rounding level). NaN with fewer than
 * two such points. A run converging linearly at rate q gives q. */
double gn_stats_contraction(const double *step, const double *loss, int n, double floor);

#endif
