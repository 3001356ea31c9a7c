/* profile.c: the performance-profile figure (plot/profile.h): the data as
 * profile.dat (tau, then one column per solver), a script profile.gp that
 * reads it from its own folder, and gnuplot run there. */
#include "plot/profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "plot/plot_internal.h"

static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
enum { N_COLORS = sizeof colors / sizeof colors[0] };
static const int dashes[] = {1, 2, 4, 5}; /* solid, dashed, dash-dot, dash-dot-dot */

static void profile_dat(sbuf *b, const double *tau, int n_tau, const char *const *names, int n_s,
                        const double *frac, int n_problems)
{
    sb_printf(b, "# profile.dat: performance profile over %d problems, written by gnbench.\n",
              n_problems);
    sb_printf(b, "# columns: tau");
    for (int s = 0; s < n_s; s++) {
        sb_printf(b, " | ");
        sb_comment_text(b, names[s]);
    }
    sb_printf(b, "\n");
    for (int i = 0; i < n_tau; i++) {
        sb_printf(b, "%.17g", tau[i]);
        for (int s = 0; s < n_s; s++)
            sb_printf(b, " %.17g", frac[(size_t)i * n_s + s]);
        sb_printf(b, "\n");
    }
}

static void profile_gp(sbuf *b, const char *format, const char *const *names, int n_s,
                       int n_problems)
{
    sb_printf(b, "# profile.gp: performance profile, written by gnbench.\n"
                 "# Run in this folder: gnuplot profile.gp\n");
    if (!strcmp(format, "svg"))
        sb_printf(b, "set terminal svg size 900,600 dynamic enhanced font \"sans,12\""
                     " background rgb \"white\"\n");
    else if (!strcmp(format, "pdf"))
        sb_printf(b, "set terminal pdfcairo size 6in,4in enhanced font \"sans,9\"\n");
    else
        sb_printf(b, "set terminal pngcairo size 900,600 enhanced font \"sans,11\"\n");
    sbuf t = {0};
    sb_printf(&t, "profile.%s", format);
    sb_printf(b, "set output ");
    sb_gpstring(b, sb_str(&t));
    sb_printf(b, "\ndatafile = ");
    sb_gpstring(b, "profile.dat");
    sb_printf(b, "\nset encoding utf8\nset title ");
    t.n = 0;
    sb_printf(&t, "performance profile (%d problem%s)", n_problems, n_problems == 1 ? "" : "s");
    sb_gplabel(b, sb_str(&t));
    b->oom |= t.oom;
    sb_free(&t);
    sb_printf(b, "\nset xlabel ");
    sb_gplabel(b, "tau (time / fastest)");
    sb_printf(b, "\nset ylabel ");
    sb_gplabel(b, "fraction of problems solved");
    sb_printf(b, "\nset xrange [1:4]\nset yrange [-0.02:1.02]\n"
                 "set grid back lt 1 lw 1 lc rgb \"#e2e2e2\"\n"
                 "set key outside right top samplen 3 spacing 1.2\nplot \\\n");
    for (int s = 0; s < n_s; s++) {
        /* dashes differ too, so that equal profiles stay apart */
        sb_printf(b, "%s  datafile using 1:%d with steps lw 2 lc rgb \"%s\" dt %d title ",
                  s ? ", \\\n" : "", s + 2, colors[s % N_COLORS], dashes[s % 4]);
        sb_gplabel(b, names[s]);
    }
    sb_printf(b, "\nset output\n");
}

int gn_plot_profile(const char *plots_dir, const char *format, const double *tau, int n_tau,
                    const char *const *names, int n_solvers, const double *frac, int n_problems,
                    char *err, size_t errlen)
{
    if (!format || !*format) format = "png";
    if (strcmp(format, "png") && strcmp(format, "svg") && strcmp(format, "pdf")) {
        snprintf(err, errlen, "profile: format '%s': expected png, svg or pdf", format);
        return -1;
    }
    if (gn_fs_mkdir_p(plots_dir) != 0) {
        snprintf(err, errlen, "%s: cannot create folder: %s", plots_dir, strerror(errno));
        return -1;
    }
    sbuf dat = {0}, gp = {0}, path = {0};
    int rc = -1;
    profile_dat(&dat, tau, n_tau, names, n_solvers, frac, n_problems);
    profile_gp(&gp, format, names, n_solvers, n_problems);
    int lock = plot_lock_folder(plots_dir);
    char *gnuplot = plot_find_program("gnuplot");
    sb_printf(&path, "%s/profile.dat", plots_dir);
    if (path.oom || plot_write_atomic(path.s, &dat, err, errlen)) goto done;
    path.n = 0;
    sb_printf(&path, "%s/profile.gp", plots_dir);
    if (path.oom || plot_write_atomic(path.s, &gp, err, errlen)) goto done;
    if (!gnuplot) {
        snprintf(err, errlen, "gnuplot not found in PATH: profile.gp and profile.dat written to %s",
                 plots_dir);
        goto done;
    }
    if (plot_run_gnuplot(gnuplot, plots_dir, "profile.gp", err, errlen)) goto done;
    path.n = 0;
    sb_printf(&path, "%s/profile.%s", plots_dir, format);
    struct stat st;
    if (path.oom || stat(path.s, &st) != 0 || st.st_size == 0) {
        snprintf(err, errlen, "gnuplot wrote no %s", path.oom ? "output" : path.s);
        goto done;
    }
    rc = 0;
done:
    if (lock >= 0) close(lock);
    free(gnuplot);
    sb_free(&dat);
    sb_free(&gp);
    sb_free(&path);
    return rc;
}
