/* cmd_profile.c: `gnbench profile DIR...`, a performance profile of the
 * optimizers over results folders (results/profile.h): profile.csv and
 * the figure (plot/profile.h). Each folder's optimizers are summarized
 * first (results/summary.h); a problem is a folder, or one study of it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "io/csvio.h"
#include "plot/profile.h"
#include "results/profile.h"
#include "results/summary.h"

typedef struct prof {
    const char **names; /* solvers, as they first appear */
    int n_names;
    double *times; /* n_problems x max_names, NaN: did not run there */
    int n_problems, max_names;
} prof;

static int solver_index(prof *p, const char *name)
{
    for (int s = 0; s < p->n_names; s++)
        if (!strcmp(p->names[s], name)) return s;
    if (p->n_names == p->max_names) return -1;
    p->names[p->n_names] = name;
    return p->n_names++;
}

/* Adds the problems of one summary (one per study); 0, or 2 with the
 * reason on stderr when the folder has no target. */
static int add_summary(prof *p, const gn_summary *s, const char *dir)
{
    int c_study = gn_table_col(&s->table, "study");
    int base = p->n_problems, n_st = 0, any_time = 0;
    const char **st = calloc((size_t)s->table.n_rows + 1, sizeof *st); /* studies, in order */
    if (!st) return 1;
    for (int i = 0; i < s->table.n_rows; i++) {
        const char *study = gn_table_cell(&s->table, i, c_study);
        int k = 0;
        while (k < n_st && strcmp(st[k], study))
            k++;
        if (k == n_st) st[n_st++] = study;
        int sv = solver_index(p, gn_summary_method(s, i));
        double t = gn_summary_number(s, i, "time_to_target_s_median");
        any_time |= !isnan(t);
        if (sv >= 0) p->times[(size_t)(base + k) * p->max_names + sv] = t;
    }
    p->n_problems = base + n_st;
    free(st);
    if (!any_time) {
        fprintf(stderr, "gnbench: profile: %s: no run has a target (time_to_target_s is empty)\n",
                dir);
        return 2;
    }
    return 0;
}

/* profile.csv: tau, then one column per solver. */
static int write_csv(const char *path, const prof *p, const double *tau, const double *frac)
{
    gn_csv_writer w;
    char err[4400];
    if (gn_csvw_open(&w, path, err, sizeof err) == 0) {
        gn_csvw_str(&w, "tau");
        for (int s = 0; s < p->n_names; s++)
            gn_csvw_str(&w, p->names[s]);
        gn_csvw_end_row(&w);
        for (int i = 0; i < GN_PROFILE_N_TAU; i++) {
            gn_csvw_real(&w, tau[i]);
            for (int s = 0; s < p->n_names; s++)
                gn_csvw_real(&w, frac[(size_t)i * p->n_names + s]);
            gn_csvw_end_row(&w);
        }
        if (gn_csvw_commit(&w, err, sizeof err) == 0) return 0;
    }
    fprintf(stderr, "gnbench: profile: %s\n", err);
    return 1;
}

/* The profile of the problems read into p: profile.csv and the figure. */
static int profile_write(prof *p, const char *out, const char *plots, const char *format)
{
    double tau[GN_PROFILE_N_TAU],
        *times = malloc((size_t)p->n_problems * p->n_names * sizeof *times);
    double *frac = malloc((size_t)GN_PROFILE_N_TAU * p->n_names * sizeof *frac);
    int rc = 1;
    if (!times || !frac) goto done;
    for (int q = 0; q < p->n_problems; q++)
        for (int s = 0; s < p->n_names; s++)
            times[(size_t)q * p->n_names + s] = p->times[(size_t)q * p->max_names + s];
    gn_profile_tau_grid(tau, GN_PROFILE_N_TAU);
    if (gn_profile_compute(times, p->n_problems, p->n_names, tau, GN_PROFILE_N_TAU, frac))
        goto done;
    if ((rc = write_csv(out, p, tau, frac))) goto done;
    printf("%s: %d problems, %d optimizers\n", out, p->n_problems, p->n_names);
    if (plots) {
        char err[4400];
        if (gn_plot_profile(plots, format, tau, GN_PROFILE_N_TAU, p->names, p->n_names, frac,
                            p->n_problems, err, sizeof err)) {
            fprintf(stderr, "gnbench: profile: %s\n", err);
            rc = 1;
        }
    }
done:
    if (!times || !frac) fprintf(stderr, "gnbench: profile: out of memory\n");
    free(times);
    free(frac);
    return rc;
}

/* gnbench profile DIR... [--out FILE.csv] [--plots DIR] [--no-plot] [--format F]:
 * 0, 1 when a file could not be written, 2 for a usage or input error. */
int gn_cmd_profile(int argc, char **argv)
{
    const char *out = "profile.csv", *plots = NULL, *format = "png";
    int n_dirs = 0, no_plot = 0, rc = 2;
    const char **dirs = calloc((size_t)argc, sizeof *dirs);
    gn_summary *sums = calloc((size_t)argc, sizeof *sums);
    prof p = {0};
    if (!dirs || !sums) goto done;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--out") && val && *val)
            out = val, i++;
        else if (!strcmp(a, "--plots") && val && *val)
            plots = val, i++;
        else if (!strcmp(a, "--format") && val)
            format = val, i++;
        else if (!strcmp(a, "--no-plot"))
            no_plot = 1;
        else if (a[0] == '-') {
            rc = gn_cli_usage_error("profile: unknown option or missing value: \"%s\"", a);
            goto done;
        } else
            dirs[n_dirs++] = a;
    }
    if (n_dirs == 0) {
        rc = gn_cli_usage_error("profile: missing %s", "RESULTS_DIR");
        goto done;
    }
    if (!gn_cli_check_format(format)) {
        rc = gn_cli_usage_error("--format: expected png, svg or pdf, got \"%s\"", format);
        goto done;
    }
    int total = 0;
    for (int d = 0; d < n_dirs; d++) {
        char err[4600];
        if (gn_summary_build(dirs[d], &sums[d], err, sizeof err)) {
            fprintf(stderr, "gnbench: profile: %s\n", err);
            goto done;
        }
        total += sums[d].table.n_rows;
    }
    p.max_names = total;
    p.names = calloc((size_t)total + 1, sizeof *p.names);
    p.times = malloc(((size_t)total * total + 1) * sizeof *p.times);
    if (!p.names || !p.times) goto done;
    for (size_t k = 0; k < (size_t)total * total; k++)
        p.times[k] = NAN;
    for (int d = 0; d < n_dirs; d++)
        if (add_summary(&p, &sums[d], dirs[d])) goto done;
    char plots_buf[4200];
    if (!plots && !no_plot) {
        const char *slash = strrchr(out, '/');
        snprintf(plots_buf, sizeof plots_buf, "%.*s", slash ? (int)(slash - out) : 1,
                 slash ? out : ".");
        plots = plots_buf;
    }
    rc = p.n_names ? profile_write(&p, out, no_plot ? NULL : plots, format) : 2;
    if (!p.n_names) fprintf(stderr, "gnbench: profile: the folders hold no optimizer\n");
done:
    for (int d = 0; sums && d < n_dirs; d++)
        gn_summary_free(&sums[d]);
    free(sums);
    free(dirs);
    free(p.names);
    free(p.times);
    return rc;
}
