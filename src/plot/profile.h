/* profile.h: the figure of a performance profile (plot/profile.c):
 * profile.dat, profile.gp and profile.<format> in a plots folder. */
#ifndef GN_PLOT_PROFILE_H
#define GN_PLOT_PROFILE_H

#include <stddef.h>

/* tau: n_tau values; names: n_solvers labels; frac: n_tau x n_solvers,
 * row-major (results/profile.h). Draws one step line per solver, x "tau
 * (time / fastest)", y "fraction of problems solved", into plots_dir
 * (created when missing); format png, svg or pdf (NULL: png). Every string
 * of the script goes through sb_gpstring. 0, or -1 with a message (gnuplot
 * missing: the script and data are written). */
int gn_plot_profile(const char *plots_dir, const char *format, const double *tau, int n_tau,
                    const char *const *names, int n_solvers, const double *frac, int n_problems,
                    char *err, size_t errlen);

#endif
