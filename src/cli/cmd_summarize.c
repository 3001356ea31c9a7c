/* cmd_summarize.c: `gnbench summarize RESULTS_DIR`, one row per optimizer
 * (and study) of a results folder: the chosen configuration and the
 * statistics of its paired-seed runs (results/summary.h, docs/SUMMARY.md).
 * Writes summary.csv and prints it as markdown or CSV. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fs.h"
#include "results/summary.h"

/* gnbench summarize RESULTS_DIR [--format csv|md] [--out FILE]: 0, 1 when
 * summary.csv could not be written, 2 for a usage or input error. */
int gn_cmd_summarize(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *format = "md";
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--out") == 0 && val)
            out = val, i++;
        else if (strcmp(a, "--format") == 0 && val)
            format = val, i++;
        else if (a[0] == '-')
            return gn_cli_usage_error("summarize: unknown option or missing value: \"%s\"", a);
        else if (dir)
            return gn_cli_usage_error("summarize: more than one results folder (\"%s\")", a);
        else
            dir = a;
    }
    if (!dir) return gn_cli_usage_error("summarize: missing %s", "RESULTS_DIR");
    if (strcmp(format, "md") && strcmp(format, "csv"))
        return gn_cli_usage_error("summarize: --format: expected csv or md, got \"%s\"", format);
    if (out && !*out) return gn_cli_usage_error("summarize: --out: %s", "an empty file name");
    char err[4600], path[4200];
    gn_summary s;
    if (gn_summary_build(dir, &s, err, sizeof err)) {
        fprintf(stderr, "gnbench: summarize: %s\n", err);
        return 2;
    }
    if (!out) snprintf(path, sizeof path, "%s/summary.csv", dir), out = path;
    if (gn_table_write(out, &s.table, err, sizeof err)) {
        fprintf(stderr, "gnbench: summarize: %s\n", err);
        gn_summary_free(&s);
        return 1;
    }
    int rc = 0;
    if (!strcmp(format, "md")) {
        rc = gn_summary_print_markdown(&s, dir, stdout) ? 1 : 0;
    } else {
        char *text = NULL;
        size_t len = 0;
        rc = gn_fs_read_whole(out, 0, &text, &len, err, sizeof err) ||
                     fwrite(text, 1, len, stdout) != len || fflush(stdout)
                 ? 1
                 : 0;
        free(text);
    }
    if (rc) fprintf(stderr, "gnbench: summarize: cannot write the summary to stdout\n");
    gn_summary_free(&s);
    return rc;
}
