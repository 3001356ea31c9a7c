/* profile.c: performance profiles (profile.h). */
#include "results/profile.h"

#include <math.h>
#include <stdlib.h>

void gn_profile_tau_grid(double *tau, int n)
{
    for (int i = 0; i < n; i++)
        tau[i] = (20 + i) / 20.0;
}

int gn_profile_compute(const double *times, int n_problems, int n_solvers, const double *tau,
                       int n_tau, double *frac)
{
    if (n_problems < 1 || n_solvers < 1 || n_tau < 1) return -1;
    double *ratio = malloc((size_t)n_problems * n_solvers * sizeof *ratio);
    if (!ratio) return -1;
    for (int p = 0; p < n_problems; p++) {
        const double *t = times + (size_t)p * n_solvers;
        double best = INFINITY;
        for (int s = 0; s < n_solvers; s++)
            if (!isnan(t[s]) && t[s] < best) best = t[s];
        for (int s = 0; s < n_solvers; s++) {
            double v = isnan(t[s]) ? INFINITY : t[s];
            /* unsolved by everybody: inf for all; a zero time is the fastest */
            ratio[(size_t)p * n_solvers + s] = !isfinite(best) || !isfinite(v) ? INFINITY
                                               : v == best                     ? 1.0
                                                                               : v / best;
        }
    }
    for (int i = 0; i < n_tau; i++)
        for (int s = 0; s < n_solvers; s++) {
            int k = 0;
            for (int p = 0; p < n_problems; p++)
                k += ratio[(size_t)p * n_solvers + s] <= tau[i];
            frac[(size_t)i * n_solvers + s] = (double)k / n_problems;
        }
    free(ratio);
    return 0;
}
