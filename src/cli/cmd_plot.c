/* cmd_plot.c: `gnbench plot RESULTS_DIR`, the figures of a finished (or
 * merged) results folder, drawn again from its runs.csv and traces. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "exp/experiment.h"
#include "run/runner.h"

/* gnbench plot RESULTS_DIR [--plots DIR] [--format F]: 0, 1 when a figure
 * failed, 2 when the folder is not a finished results folder. */
int gn_cmd_plot(int argc, char **argv)
{
    const char *dir = NULL, *plots = NULL, *format = "png";
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--plots") == 0 && val)
            plots = val, i++;
        else if (strcmp(a, "--format") == 0 && val)
            format = val, i++;
        else if (a[0] == '-')
            return gn_cli_usage_error("plot: unknown option or missing value: \"%s\"", a);
        else if (dir)
            return gn_cli_usage_error("plot: more than one results folder (\"%s\")", a);
        else
            dir = a;
    }
    if (!dir) return gn_cli_usage_error("plot: missing %s", "RESULTS_DIR");
    if (!gn_cli_check_format(format))
        return gn_cli_usage_error("--format: expected png, svg or pdf, got \"%s\"", format);
    char path[4096], err[1024];
    snprintf(path, sizeof path, "%s/experiment.yaml", dir);
    gn_experiment ex;
    /* the manifest says whether the results came from --quick */
    int quick = gn_cli_results_quick(dir);
    if (gn_experiment_load(path, quick, &ex, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        return 2;
    }
    char runs[4200];
    snprintf(runs, sizeof runs, "%s/runs.csv", dir);
    struct stat st;
    if (stat(runs, &st) != 0) {
        fprintf(stderr, "gnbench: %s has no runs.csv%s\n", dir,
                gn_cli_has_shard_tables(dir) ? "; it holds shard tables: merge them first with "
                                               "`gnbench merge DIR`"
                                             : "");
        gn_experiment_free(&ex);
        return 2;
    }
    /* A protocol experiment's confirmation runs are not in the file: add
     * those of the studies runs.csv completes, as `gnbench run` does before
     * drawing, so the figures know them. */
    if (gn_runner_confirm(&ex, dir, GN_CONFIRM_QUIET | GN_CONFIRM_READ_ONLY, err, sizeof err) < 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        gn_experiment_free(&ex);
        return 1;
    }
    char plots_buf[4096];
    if (!plots) snprintf(plots_buf, sizeof plots_buf, "plots/%s", ex.name), plots = plots_buf;
    int rc = gn_cli_draw_figures(&ex, dir, plots, format);
    gn_experiment_free(&ex);
    return rc;
}
