/* profile.h: performance profiles (Dolan and Moré 2002) over problems.
 *
 * A problem is one results folder (one study of it when it has several);
 * a solver's cost on it is its median confirm time to target, +inf when
 * it did not reach the target or did not run there. For each problem the
 * ratio r = t / min over solvers of t; a solver's profile at tau is the
 * fraction of problems with r <= tau. A problem that no solver reached
 * counts as unsolved for every solver. */
#ifndef GN_PROFILE_H
#define GN_PROFILE_H

/* The tau grid gnbench profile writes: 1 to 4 in steps of 0.05. */
#define GN_PROFILE_N_TAU 61
/* tau[i] = (20 + i) / 20, i < n (exact decimals as doubles). */
void gn_profile_tau_grid(double *tau, int n);

/* times: n_problems x n_solvers, row-major (NaN counts as +inf); tau:
 * n_tau values; frac: n_tau x n_solvers, row-major, the profile. 0, or -1
 * for sizes below 1 or out of memory. */
int gn_profile_compute(const double *times, int n_problems, int n_solvers, const double *tau,
                       int n_tau, double *frac);

#endif
