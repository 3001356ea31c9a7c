/* main.c: the gnbench command line (see SPEC.md). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset.h"
#include "experiment.h"
#include "gn_config.h"
#include "gn_revision.h"
#include "loss.h"
#include "mlp.h"
#include "optim.h"
#include "plot.h"
#include "runner.h"

static const char usage_text[] =
    "usage:\n"
    "  gnbench list [optimizers|datasets|losses|activations]\n"
    "  gnbench run EXPERIMENT.yaml [--out DIR] [--plots DIR] [--quick] [--jobs N]\n"
    "              [--threads N] [--only PATTERN] [--fresh] [--no-plot] [--dry-run]\n"
    "              [--format png|svg|pdf] [--memory-limit MIB]\n"
    "  gnbench plot RESULTS_DIR [--plots DIR] [--format png|svg|pdf]\n"
    "  gnbench check EXPERIMENT.yaml [--quick]\n"
    "  gnbench --help | --version\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "gnbench: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage_text);
    return 2;
}

static void print_params(const gn_param *p, const char *prefix)
{
    for (; p && p->name; p++) {
        char desc[160];
        gn_param_describe(p, desc, sizeof desc);
        printf("    %s%-16s default %-8s %s; %s\n", prefix, p->name, p->def ? p->def : "(unset)",
               desc, p->doc);
    }
}

static int cmd_list(int argc, char **argv)
{
    const char *what = argc > 2 ? argv[2] : NULL;
    if (argc > 3) return usage_error("list takes at most one argument, got \"%s\"", argv[3]);
    int all = what == NULL, shown = 0;
    if (all || strcmp(what, "optimizers") == 0) {
        printf("optimizers:\n");
        for (int i = 0; gn_optimizers[i]; i++) {
            const gn_optim_ops *o = gn_optimizers[i];
            printf("  %-10s %s%s\n", o->name, o->summary, o->full_batch ? " [full batch]" : "");
            print_params(o->params, "opt.");
        }
        shown = 1;
    }
    if (all || strcmp(what, "datasets") == 0) {
        printf("datasets:\n");
        for (int i = 0; gn_dataset_kinds[i].name; i++) {
            printf("  %-10s %s\n", gn_dataset_kinds[i].name, gn_dataset_kinds[i].summary);
            print_params(gn_dataset_kinds[i].params, "dataset.");
        }
        shown = 1;
    }
    if (all || strcmp(what, "losses") == 0) {
        printf("losses:\n");
        for (int i = 0; gn_losses[i].name; i++)
            printf("  %-10s %s\n", gn_losses[i].name, gn_losses[i].summary);
        shown = 1;
    }
    if (all || strcmp(what, "activations") == 0) {
        printf("activations:\n");
        for (int i = 0; i < GN_ACT_COUNT; i++)
            printf("  %-10s %s\n", gn_act_names[i], gn_act_summaries[i]);
        shown = 1;
    }
    if (!shown)
        return usage_error("list: unknown category \"%s\" (optimizers|datasets|losses|activations)",
                           what);
    return 0;
}

static int parse_count(const char *opt, const char *val, int *out)
{
    char *end;
    errno = 0;
    long v = val ? strtol(val, &end, 10) : 0;
    if (!val || errno || *end || v < 1 || v > 4096) {
        fprintf(stderr, "gnbench: %s expects a whole number from 1 to 4096, got \"%s\"\n%s", opt,
                val ? val : "(nothing)", usage_text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int check_format(const char *f)
{
    return strcmp(f, "png") == 0 || strcmp(f, "svg") == 0 || strcmp(f, "pdf") == 0;
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    char *s = malloc(len), *p = s;
    if (!s) return NULL;
    for (int i = 0; i < argc; i++) p += sprintf(p, "%s%s", i ? " " : "", argv[i]);
    *p = 0;
    return s;
}

static void print_grid(const gn_experiment *ex)
{
    printf("experiment %s: %d runs%s\n", ex->name, ex->n_runs, ex->quick ? " (quick)" : "");
    for (int i = 0; i < ex->n_runs; i++) {
        const gn_run_spec *r = &ex->runs[i];
        printf("%s", r->run_id);
        for (int j = 0; j < r->settings.n; j++)
            printf(" %s=%s", r->settings.v[j].key, r->settings.v[j].value);
        printf("\n");
    }
    for (int f = 0; f < ex->n_figures; f++)
        printf("figure %s: %s %s vs %s\n", ex->figures[f].name, ex->figures[f].kind,
               ex->figures[f].y, ex->figures[f].x);
}

static int cmd_run_or_check(int argc, char **argv, int check)
{
    const char *file = NULL, *out = NULL, *plots = NULL, *only = NULL, *format = "png";
    gn_run_options o = {0};
    o.jobs = 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0) o.quick = 1;
        else if (check) {
            if (a[0] == '-') return usage_error("check: unknown option \"%s\"", a);
            if (file) return usage_error("check: more than one experiment file (\"%s\")", a);
            file = a;
        } else if (strcmp(a, "--out") == 0 && val) out = val, i++;
        else if (strcmp(a, "--plots") == 0 && val) plots = val, i++;
        else if (strcmp(a, "--only") == 0 && val) only = val, i++;
        else if (strcmp(a, "--format") == 0 && val) format = val, i++;
        else if (strcmp(a, "--jobs") == 0) {
            if (parse_count("--jobs", val, &o.jobs) != 0) return 2;
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (parse_count("--threads", val, &o.threads) != 0) return 2;
            i++;
        } else if (strcmp(a, "--memory-limit") == 0) {
            char *end;
            double v = val ? strtod(val, &end) : 0;
            if (!val || *end || !(v >= 1) || v > 1e9)
                return usage_error("--memory-limit expects MiB, a number >= 1, got \"%s\"",
                                   val ? val : "(nothing)");
            o.memory_limit_mib = v;
            i++;
        } else if (strcmp(a, "--fresh") == 0) o.fresh = 1;
        else if (strcmp(a, "--no-plot") == 0) o.no_plot = 1;
        else if (strcmp(a, "--dry-run") == 0) o.dry_run = 1;
        else if (a[0] == '-')
            return usage_error("run: unknown option or missing value: \"%s\"", a);
        else if (file)
            return usage_error("run: more than one experiment file (\"%s\")", a);
        else
            file = a;
    }
    if (!file) return usage_error("%s: missing EXPERIMENT.yaml", check ? "check" : "run");
    if (!check_format(format)) return usage_error("--format: expected png, svg or pdf, got \"%s\"", format);

    gn_experiment ex;
    char err[1024];
    if (gn_experiment_load(file, o.quick, &ex, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        return 2;
    }
    if (check) {
        print_grid(&ex);
        gn_experiment_free(&ex);
        return 0;
    }
    char out_buf[4096], plots_buf[4096];
    if (!out) snprintf(out_buf, sizeof out_buf, "results/%s", ex.name), out = out_buf;
    if (!plots) snprintf(plots_buf, sizeof plots_buf, "plots/%s", ex.name), plots = plots_buf;
    o.out_dir = out;
    o.plots_dir = plots;
    o.only = only;
    o.format = format;
    char *cmd = join_args(argc, argv);
    o.command_line = cmd ? cmd : "";
    int rc = gn_runner_run(&ex, &o);
    free(cmd);
    gn_experiment_free(&ex);
    return rc;
}

static int cmd_plot(int argc, char **argv)
{
    const char *dir = NULL, *plots = NULL, *format = "png";
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--plots") == 0 && val) plots = val, i++;
        else if (strcmp(a, "--format") == 0 && val) format = val, i++;
        else if (a[0] == '-') return usage_error("plot: unknown option or missing value: \"%s\"", a);
        else if (dir) return usage_error("plot: more than one results folder (\"%s\")", a);
        else dir = a;
    }
    if (!dir) return usage_error("plot: missing %s", "RESULTS_DIR");
    if (!check_format(format)) return usage_error("--format: expected png, svg or pdf, got \"%s\"", format);
    char path[4096], err[1024];
    snprintf(path, sizeof path, "%s/experiment.yaml", dir);
    gn_experiment ex;
    int quick = 0;
    /* the manifest says whether the results came from --quick */
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s/manifest.csv", dir);
    FILE *mf = fopen(mpath, "r");
    if (mf) {
        char line[512];
        while (fgets(line, sizeof line, mf))
            if (strncmp(line, "quick,true", 10) == 0) quick = 1;
        fclose(mf);
    }
    if (gn_experiment_load(path, quick, &ex, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        return 2;
    }
    char plots_buf[4096];
    if (!plots) snprintf(plots_buf, sizeof plots_buf, "plots/%s", ex.name), plots = plots_buf;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", plots);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0777);
            *p = '/';
        }
    mkdir(tmp, 0777);
    int rc = gn_plot_experiment(&ex, dir, plots, format, err, sizeof err);
    if (rc != 0) fprintf(stderr, "gnbench: figures: %s\n", err);
    else fprintf(stderr, "gnbench: figures in %s\n", plots);
    gn_experiment_free(&ex);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage_error("%s", "missing command");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        printf("gnbench %s: Gauss-Newton optimizer research harness\n%s", GN_VERSION, usage_text);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("gnbench %s (%s)\n", GN_VERSION, GN_REVISION);
        return 0;
    }
    if (strcmp(cmd, "list") == 0) return cmd_list(argc, argv);
    if (strcmp(cmd, "run") == 0) return cmd_run_or_check(argc, argv, 0);
    if (strcmp(cmd, "check") == 0) return cmd_run_or_check(argc, argv, 1);
    if (strcmp(cmd, "plot") == 0) return cmd_plot(argc, argv);
    return usage_error("unknown command \"%s\"", cmd);
}
