/* args.c: the option handling every command of the command line shares:
 * usage errors, counts, K/N shards, figure formats, the recorded command
 * line, and drawing the figures after run, merge and plot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fs.h"
#include "plot/plot.h"

int gn_cli_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "gnbench: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", gn_cli_usage_text);
    return 2;
}

int gn_cli_parse_count(const char *opt, const char *val, int *out)
{
    char *end;
    errno = 0;
    long v = val ? strtol(val, &end, 10) : 0;
    if (!val || errno || *end || v < 1 || v > 4096) {
        fprintf(stderr, "gnbench: %s expects a whole number from 1 to 4096, got \"%s\"\n%s", opt,
                val ? val : "(nothing)", gn_cli_usage_text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* "K/N" with 1 <= K <= N <= 100000. */
int gn_cli_parse_shard(const char *val, int *k, int *n)
{
    char *end;
    if (!val) goto bad;
    errno = 0;
    long kk = strtol(val, &end, 10);
    if (errno || end == val || *end != '/') goto bad;
    const char *q = end + 1;
    long nn = strtol(q, &end, 10);
    if (errno || end == q || *end || nn < 1 || nn > 100000 || kk < 1 || kk > nn) goto bad;
    *k = (int)kk;
    *n = (int)nn;
    return 0;
bad:
    fprintf(stderr,
            "gnbench: --shard expects K/N, shard K of N counted from 1 (1 <= K <= N <= 100000), "
            "got \"%s\"\n%s",
            val ? val : "(nothing)", gn_cli_usage_text);
    return -1;
}

int gn_cli_check_format(const char *f)
{
    return strcmp(f, "png") == 0 || strcmp(f, "svg") == 0 || strcmp(f, "pdf") == 0;
}

char *gn_cli_join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    for (int i = 0; i < argc; i++)
        p += sprintf(p, "%s%s", i ? " " : "", argv[i]);
    *p = 0;
    return s;
}

/* The one place the command line calls the plotter: after run, merge and
 * plot. */
int gn_cli_draw_figures(const gn_experiment *ex, const char *results_dir, const char *plots_dir,
                        const char *format)
{
    char err[1024];
    if (ex->n_figures == 0) return 0;
    if (gn_fs_mkdir_p(plots_dir) != 0) {
        fprintf(stderr, "gnbench: cannot create %s: %s\n", plots_dir, strerror(errno));
        return 1;
    }
    if (gn_plot_experiment(ex, results_dir, plots_dir, format, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: figures: %s\n", err);
        return 1;
    }
    fprintf(stderr, "gnbench: figures in %s\n", plots_dir);
    return 0;
}
