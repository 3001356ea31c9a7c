/* cmd_merge.c: `gnbench merge DIR...`, one runs.csv and manifest.csv from
 * the shard tables of one or several results folders of the same
 * experiment file, then the figures (docs/SCALING.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fs.h"
#include "exp/experiment.h"
#include "run/runner.h"

/* The whole of path, or NULL with errno set. */
static char *read_file(const char *path)
{
    char *text, err[64];
    size_t len;
    return gn_fs_read_whole(path, 0, &text, &len, err, sizeof err) == 0 ? text : NULL;
}

/* Every folder must hold the same experiment file: 0, or 2 with the reason
 * on stderr (a folder without one, or one that differs from the first's). */
static int same_experiment_files(const char **dirs, int n_dirs)
{
    char path[4200];
    char *text0 = NULL;
    for (int d = 0; d < n_dirs; d++) {
        snprintf(path, sizeof path, "%s/experiment.yaml", dirs[d]);
        char *text = read_file(path);
        if (!text) {
            fprintf(stderr, "gnbench: merge: %s: %s (not a gnbench results folder?)\n", path,
                    strerror(errno));
            free(text0);
            return 2;
        }
        if (d == 0)
            text0 = text;
        else {
            int same = strcmp(text, text0) == 0;
            free(text);
            if (!same) {
                fprintf(stderr,
                        "gnbench: merge: %s/experiment.yaml differs from %s/experiment.yaml; "
                        "only results of the same experiment file can be merged\n",
                        dirs[d], dirs[0]);
                free(text0);
                return 2;
            }
        }
    }
    free(text0);
    return 0;
}

/* gnbench merge DIR... : one runs.csv from shard tables (docs/SCALING.md). */
int gn_cmd_merge(int argc, char **argv)
{
    const char *out = NULL, *plots = NULL, *format = "png";
    int quick = -1, no_plot = 0, n_dirs = 0;
    const char **dirs = calloc((size_t)argc, sizeof *dirs);
    if (!dirs) return 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--out") == 0 && val)
            out = val, i++;
        else if (strcmp(a, "--plots") == 0 && val)
            plots = val, i++;
        else if (strcmp(a, "--format") == 0 && val)
            format = val, i++;
        else if (strcmp(a, "--quick") == 0)
            quick = 1;
        else if (strcmp(a, "--no-plot") == 0)
            no_plot = 1;
        else if (a[0] == '-') {
            free(dirs);
            return gn_cli_usage_error("merge: unknown option or missing value: \"%s\"", a);
        } else
            dirs[n_dirs++] = a;
    }
    if (n_dirs == 0) {
        free(dirs);
        return gn_cli_usage_error("merge: missing %s", "RESULTS_DIR");
    }
    if (!gn_cli_check_format(format)) {
        free(dirs);
        return gn_cli_usage_error("--format: expected png, svg or pdf, got \"%s\"", format);
    }
    if (same_experiment_files(dirs, n_dirs) != 0) {
        free(dirs);
        return 2;
    }
    char path[4200], err[1024];
    if (quick < 0) quick = gn_cli_results_quick(dirs[0]);
    snprintf(path, sizeof path, "%s/experiment.yaml", dirs[0]);
    gn_experiment ex;
    if (gn_experiment_load(path, quick, &ex, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        free(dirs);
        return 2;
    }
    char plots_buf[4096];
    if (!plots) snprintf(plots_buf, sizeof plots_buf, "plots/%s", ex.name), plots = plots_buf;
    if (!out) out = dirs[0];
    if (gn_fs_mkdir_p(out) != 0) {
        fprintf(stderr, "gnbench: cannot create %s: %s\n", out, strerror(errno));
        gn_experiment_free(&ex);
        free(dirs);
        return 1;
    }
    char *cmd = gn_cli_join_args(argc, argv);
    gn_merge_options mo = {dirs, n_dirs, out, cmd ? cmd : ""};
    int ready = 0;
    int rc = gn_runner_merge(&ex, &mo, &ready);
    /* The confirmation runs the merged trials choose, for the figures. */
    if (ready && !no_plot && ex.protocol.on &&
        gn_runner_confirm(&ex, out, GN_CONFIRM_QUIET | GN_CONFIRM_READ_ONLY, err, sizeof err) < 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        rc = 1;
    } else if (ready && !no_plot && gn_cli_draw_figures(&ex, out, plots, format) != 0) {
        rc = 1;
    }
    free(cmd);
    gn_experiment_free(&ex);
    free(dirs);
    return rc;
}
