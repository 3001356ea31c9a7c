/* main.c: the gnbench command line (see SPEC.md; sharding, merge, MPI and
 * Slurm in docs/SCALING.md). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "core/fs.h"
#include "data/dataset.h"
#include "exp/experiment.h"
#include "gn_config.h"
#include "gn_revision.h"
#include "model/loss.h"
#include "model/mlp.h"
#include "optim/optim.h"
#include "plot/plot.h"
#include "run/runner.h"
#ifdef GN_HAVE_MPI
#include "run/mpi_sched.h"
#endif

static const char usage_text[] =
    "usage:\n"
    "  gnbench list [optimizers|datasets|losses|activations]\n"
    "  gnbench run EXPERIMENT.yaml [--out DIR] [--plots DIR] [--quick] [--jobs N]\n"
    "              [--threads N] [--only PATTERN] [--fresh] [--no-plot] [--dry-run]\n"
    "              [--format png|svg|pdf] [--memory-limit MIB] [--shard K/N]\n"
    "  mpirun -n N gnbench run EXPERIMENT.yaml [options]   (built with MPI)\n"
    "  gnbench merge RESULTS_DIR... [--out DIR] [--plots DIR] [--quick] [--no-plot]\n"
    "              [--format png|svg|pdf]\n"
    "  gnbench slurm EXPERIMENT.yaml [--array-size N] [--quick] [--out DIR] [--plots DIR]\n"
    "              [--threads N] [--output SCRIPT] [-- sbatch options...]\n"
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

/* "K/N" with 1 <= K <= N <= 100000. */
static int parse_shard(const char *val, int *k, int *n)
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
            val ? val : "(nothing)", usage_text);
    return -1;
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

/* Draws the experiment's figures from results_dir into plots_dir (created
 * when missing): 0, or 1 with the reason on stderr. The one place the
 * command line calls the plotter: after run, merge and plot. */
static int draw_figures(const gn_experiment *ex, const char *results_dir, const char *plots_dir,
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

static int cmd_run_or_check(int argc, char **argv, int check)
{
    int no_plot = 0;
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
        } else if (strcmp(a, "--shard") == 0) {
            if (parse_shard(val, &o.shard_k, &o.shard_n) != 0) return 2;
            i++;
        } else if (strcmp(a, "--fresh") == 0) o.fresh = 1;
        else if (strcmp(a, "--no-plot") == 0) no_plot = 1;
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
    int bad = gn_experiment_load(file, o.quick, &ex, err, sizeof err) != 0;
#ifdef GN_HAVE_MPI
    if (!check && gn_mpi_active()) { /* every rank stops, rank 0 says why */
        int any = gn_mpi_agree(bad);
        if (any) {
            if (bad && gn_mpi_rank() == 0) fprintf(stderr, "gnbench: %s\n", err);
            if (!bad) gn_experiment_free(&ex);
            return 2;
        }
    }
#endif
    if (bad) {
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
    o.only = only;
    char *cmd = join_args(argc, argv);
    o.command_line = cmd ? cmd : "";
    int ready = 0;
    int rc = gn_runner_run(&ex, &o, &ready);
    if (ready && !no_plot && draw_figures(&ex, out, plots, format) != 0) rc = 1;
    free(cmd);
    gn_experiment_free(&ex);
    return rc;
}

static int has_shard_tables(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)) != NULL)
        found = strncmp(e->d_name, "runs.shard-", 11) == 0;
    closedir(d);
    return found;
}

/* Whether a results folder holds --quick results: its newest manifest
 * (manifest.csv or a shard's) says so. */
static int results_quick(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    char best[4400] = "";
    struct timespec t = {0, 0};
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "manifest", 8) != 0 || n < 12 || strcmp(e->d_name + n - 4, ".csv") != 0)
            continue;
        char p[4400];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) != 0) continue;
        if (!best[0] || st.st_mtim.tv_sec > t.tv_sec ||
            (st.st_mtim.tv_sec == t.tv_sec && st.st_mtim.tv_nsec > t.tv_nsec)) {
            t = st.st_mtim;
            snprintf(best, sizeof best, "%s", p);
        }
    }
    closedir(d);
    int quick = 0;
    FILE *f = best[0] ? fopen(best, "r") : NULL;
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "quick,true", 10) == 0) quick = 1;
        fclose(f);
    }
    return quick;
}

/* The whole of path, or NULL with errno set. */
static char *read_file(const char *path)
{
    char *text, err[64];
    size_t len;
    return gn_fs_read_whole(path, 0, &text, &len, err, sizeof err) == 0 ? text : NULL;
}

/* gnbench merge DIR... : one runs.csv from shard tables (docs/SCALING.md). */
static int cmd_merge(int argc, char **argv)
{
    const char *out = NULL, *plots = NULL, *format = "png";
    int quick = -1, no_plot = 0, n_dirs = 0;
    const char **dirs = calloc((size_t)argc, sizeof *dirs);
    if (!dirs) return 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--out") == 0 && val) out = val, i++;
        else if (strcmp(a, "--plots") == 0 && val) plots = val, i++;
        else if (strcmp(a, "--format") == 0 && val) format = val, i++;
        else if (strcmp(a, "--quick") == 0) quick = 1;
        else if (strcmp(a, "--no-plot") == 0) no_plot = 1;
        else if (a[0] == '-') {
            free(dirs);
            return usage_error("merge: unknown option or missing value: \"%s\"", a);
        } else dirs[n_dirs++] = a;
    }
    if (n_dirs == 0) {
        free(dirs);
        return usage_error("merge: missing %s", "RESULTS_DIR");
    }
    if (!check_format(format)) {
        free(dirs);
        return usage_error("--format: expected png, svg or pdf, got \"%s\"", format);
    }
    /* every folder must hold the same experiment file */
    char path[4200], err[1024];
    char *text0 = NULL;
    for (int d = 0; d < n_dirs; d++) {
        snprintf(path, sizeof path, "%s/experiment.yaml", dirs[d]);
        char *text = read_file(path);
        if (!text) {
            fprintf(stderr, "gnbench: merge: %s: %s (not a gnbench results folder?)\n", path,
                    strerror(errno));
            free(text0);
            free(dirs);
            return 2;
        }
        if (d == 0) text0 = text;
        else {
            int same = strcmp(text, text0) == 0;
            free(text);
            if (!same) {
                fprintf(stderr,
                        "gnbench: merge: %s/experiment.yaml differs from %s/experiment.yaml; "
                        "only results of the same experiment file can be merged\n",
                        dirs[d], dirs[0]);
                free(text0);
                free(dirs);
                return 2;
            }
        }
    }
    free(text0);
    if (quick < 0) quick = results_quick(dirs[0]);
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
    char *cmd = join_args(argc, argv);
    gn_merge_options mo = {dirs, n_dirs, out, cmd ? cmd : ""};
    int ready = 0;
    int rc = gn_runner_merge(&ex, &mo, &ready);
    if (ready && !no_plot && draw_figures(&ex, out, plots, format) != 0) rc = 1;
    free(cmd);
    gn_experiment_free(&ex);
    free(dirs);
    return rc;
}

/* Appends s to the buffer, quoted for a POSIX shell when it needs it. */
static void put_quoted(FILE *f, const char *s)
{
    int plain = *s != 0;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+-@%", *p))
            plain = 0;
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (const char *p = s; *p; p++)
        if (*p == '\'') fputs("'\\''", f);
        else fputc(*p, f);
    fputc('\'', f);
}

static void absolute(const char *path, char *buf, size_t len)
{
    char cwd[PATH_MAX];
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd)) snprintf(buf, len, "%s", path);
    else if ((size_t)snprintf(buf, len, "%s/%s", cwd, path) >= len) buf[len - 1] = 0;
}

/* A value the Slurm script would hold (a path, an sbatch option): refused
 * when it contains a line break, which no quoting keeps harmless there: in a
 * here-document a line equal to its delimiter ends it, in a comment the rest
 * of the line runs as commands. Returns 0, or 2 with a message naming what. */
static int slurm_value_check(const char *what, const char *s)
{
    if (!strpbrk(s, "\n\r")) return 0;
    fprintf(stderr, "gnbench: slurm: %s \"", what);
    for (const char *p = s; *p; p++)
        if (*p == '\n') fputs("\\n", stderr);
        else if (*p == '\r') fputs("\\r", stderr);
        else fputc(*p, stderr);
    fprintf(stderr, "\" contains a line break, which a Slurm script cannot hold safely\n");
    return 2;
}

/* 0 when every value of the script is free of line breaks, else 2 (the
 * first that is not is named on stderr). */
static int slurm_values_check(const char *cwd, const char *self, const char *exp_abs,
                              const char *out_abs, const char *plots_abs, char **sbatch,
                              int n_sb)
{
    int rc = slurm_value_check("the current folder", cwd);
    if (!rc) rc = slurm_value_check("the gnbench program path", self);
    if (!rc) rc = slurm_value_check("EXPERIMENT.yaml", exp_abs);
    if (!rc) rc = slurm_value_check("--out", out_abs);
    if (!rc) rc = slurm_value_check("--plots", plots_abs);
    for (int i = 0; i < n_sb && !rc; i++) rc = slurm_value_check("sbatch option", sbatch[i]);
    return rc;
}

/* gnbench slurm FILE: a script that submits a job array (one shard per
 * task) and a merge job that depends on it (docs/SCALING.md). */
static int cmd_slurm(int argc, char **argv)
{
    const char *file = NULL, *out = NULL, *plots = NULL, *output = NULL, *format = "png";
    int quick = 0, shards = 0, threads = 0, n_sb = 0;
    char **sbatch = calloc((size_t)argc, sizeof *sbatch);
    if (!sbatch) return 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) {
            for (int j = i + 1; j < argc; j++) sbatch[n_sb++] = argv[j];
            break;
        } else if (strcmp(a, "--quick") == 0) quick = 1;
        else if (strcmp(a, "--array-size") == 0) {
            if (parse_count("--array-size", val, &shards) != 0) goto usage;
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (parse_count("--threads", val, &threads) != 0) goto usage;
            i++;
        } else if (strcmp(a, "--out") == 0 && val) out = val, i++;
        else if (strcmp(a, "--plots") == 0 && val) plots = val, i++;
        else if (strcmp(a, "--output") == 0 && val) output = val, i++;
        else if (strcmp(a, "--format") == 0 && val) format = val, i++;
        else if (a[0] == '-') {
            free(sbatch);
            return usage_error("slurm: unknown option or missing value: \"%s\" (sbatch options go "
                               "after --)", a);
        } else if (file) {
            free(sbatch);
            return usage_error("slurm: more than one experiment file (\"%s\")", a);
        } else file = a;
    }
    if (!file) {
        free(sbatch);
        return usage_error("slurm: missing %s", "EXPERIMENT.yaml");
    }
    if (!check_format(format)) {
        free(sbatch);
        return usage_error("--format: expected png, svg or pdf, got \"%s\"", format);
    }
    gn_experiment ex;
    char err[1024];
    if (gn_experiment_load(file, quick, &ex, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        free(sbatch);
        return 2;
    }
    if (shards <= 0) shards = ex.n_runs < 32 ? ex.n_runs : 32;
    if (shards > ex.n_runs) {
        fprintf(stderr, "gnbench: slurm: --array-size %d is more than the %d runs; using %d\n",
                shards, ex.n_runs, ex.n_runs);
        shards = ex.n_runs;
    }
    if (shards < 1) shards = 1;
    char self[PATH_MAX], exp_abs[PATH_MAX], cwd[PATH_MAX], out_abs[PATH_MAX], plots_abs[PATH_MAX],
        buf[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) self[n] = 0;
    else absolute(argv[0], self, sizeof self);
    if (!realpath(file, exp_abs)) absolute(file, exp_abs, sizeof exp_abs);
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    snprintf(buf, sizeof buf, "results/%s", ex.name);
    absolute(out ? out : buf, out_abs, sizeof out_abs);
    snprintf(buf, sizeof buf, "plots/%s", ex.name);
    absolute(plots ? plots : buf, plots_abs, sizeof plots_abs);
    if (slurm_values_check(cwd, self, exp_abs, out_abs, plots_abs, sbatch, n_sb) != 0) {
        gn_experiment_free(&ex);
        free(sbatch);
        return 2;
    }

    FILE *f = stdout;
    char tmp[PATH_MAX + 32];
    if (output) {
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", output, (long)getpid());
        f = fopen(tmp, "w");
        if (!f) {
            fprintf(stderr, "gnbench: cannot write %s: %s\n", output, strerror(errno));
            gn_experiment_free(&ex);
            free(sbatch);
            return 1;
        }
    }
    char *cmd = join_args(argc, argv);
    for (char *c = cmd; c && *c; c++) /* it goes into a comment line */
        if (*c == '\n' || *c == '\r') *c = ' ';
    char name[160];
    snprintf(name, sizeof name, "gnbench-%s", ex.name);
    fprintf(f,
            "#!/usr/bin/env bash\n"
            "# Submits the gnbench experiment \"%s\" (%d runs%s) to Slurm: a job array of %d\n"
            "# tasks, each running one shard of the run grid (gnbench run FILE --shard K/%d with\n"
            "# K = SLURM_ARRAY_TASK_ID + 1), and a merge job that starts after the whole array\n"
            "# (afterany: also when a task failed), writes runs.csv and manifest.csv and draws\n"
            "# the figures. A shard resumes what it finished before, so resubmitting this\n"
            "# script (or requeueing a task) redoes only the missing runs.\n"
            "# Generated by: %s\n"
            "# Usage: bash THIS_SCRIPT [more sbatch options for both jobs]\n"
            "# Results: %s  figures: %s  logs: %s/slurm-logs/\n"
            "set -euo pipefail\n\n",
            ex.name, ex.n_runs, quick ? ", --quick" : "", shards, shards, cmd ? cmd : "", out_abs,
            plots_abs, out_abs);
    fprintf(f, "sbatch_options=(");
    for (int i = 0; i < n_sb; i++) {
        if (i) fputc(' ', f);
        put_quoted(f, sbatch[i]);
    }
    fprintf(f, ")\n");
    fprintf(f, "mkdir -p ");
    snprintf(buf, sizeof buf, "%s/slurm-logs", out_abs);
    put_quoted(f, buf);
    fprintf(f, "\n\n# 1. the shards: array task i runs shard i+1 of %d\n", shards);
    fprintf(f, "array_job=$(sbatch --parsable --job-name=");
    put_quoted(f, name);
    fprintf(f, " --array=0-%d --chdir=", shards - 1);
    put_quoted(f, cwd);
    fprintf(f, " \\\n  --output=");
    snprintf(buf, sizeof buf, "%s/slurm-logs/shard-%%a-of-%d.%%A.out", out_abs, shards);
    put_quoted(f, buf);
    fprintf(f, " ${sbatch_options[@]+\"${sbatch_options[@]}\"} \"$@\" <<'GNBENCH_SHARD'\n");
    fprintf(f, "#!/usr/bin/env bash\nset -eu\nexec ");
    put_quoted(f, self);
    fprintf(f, " run ");
    put_quoted(f, exp_abs);
    fprintf(f, "%s --shard $((SLURM_ARRAY_TASK_ID + 1))/%d --out ", quick ? " --quick" : "", shards);
    put_quoted(f, out_abs);
    fprintf(f, " --no-plot");
    if (threads > 0) fprintf(f, " --threads %d", threads);
    fprintf(f, "\nGNBENCH_SHARD\n)\narray_job=${array_job%%%%;*}\n\n");
    fprintf(f, "# 2. the merge and the figures, after every task of the array\n");
    fprintf(f, "merge_job=$(sbatch --parsable --job-name=");
    put_quoted(f, name);
    fprintf(f, "-merge --dependency=afterany:\"$array_job\" --chdir=");
    put_quoted(f, cwd);
    fprintf(f, " \\\n  --output=");
    snprintf(buf, sizeof buf, "%s/slurm-logs/merge.%%j.out", out_abs);
    put_quoted(f, buf);
    fprintf(f, " ${sbatch_options[@]+\"${sbatch_options[@]}\"} \"$@\" <<'GNBENCH_MERGE'\n");
    fprintf(f, "#!/usr/bin/env bash\nset -eu\nexec ");
    put_quoted(f, self);
    fprintf(f, " merge ");
    put_quoted(f, out_abs);
    fprintf(f, "%s --plots ", quick ? " --quick" : "");
    put_quoted(f, plots_abs);
    fprintf(f, " --format %s\nGNBENCH_MERGE\n)\nmerge_job=${merge_job%%%%;*}\n\n", format);
    fprintf(f, "echo \"gnbench: submitted job array $array_job (%d shards of %s) and merge job "
               "$merge_job (afterany:$array_job)\"\n",
            shards, ex.name);
    free(cmd);
    int rc = 0;
    if (output) {
        if (fclose(f) != 0 || chmod(tmp, 0755) != 0 || rename(tmp, output) != 0) {
            fprintf(stderr, "gnbench: cannot write %s: %s\n", output, strerror(errno));
            unlink(tmp);
            rc = 1;
        } else {
            fprintf(stderr, "gnbench: wrote %s (%d shards of %d runs); submit with: bash %s\n",
                    output, shards, ex.n_runs, output);
        }
    } else if (fflush(stdout) != 0) {
        rc = 1;
    }
    gn_experiment_free(&ex);
    free(sbatch);
    return rc;
usage:
    free(sbatch);
    return 2;
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
    snprintf(mpath, sizeof mpath, "%s/runs.csv", dir);
    struct stat st;
    if (stat(mpath, &st) != 0) {
        fprintf(stderr, "gnbench: %s has no runs.csv%s\n", dir,
                has_shard_tables(dir) ? "; it holds shard tables: merge them first with "
                                        "`gnbench merge DIR`"
                                      : "");
        gn_experiment_free(&ex);
        return 2;
    }
    char plots_buf[4096];
    if (!plots) snprintf(plots_buf, sizeof plots_buf, "plots/%s", ex.name), plots = plots_buf;
    int rc = draw_figures(&ex, dir, plots, format);
    gn_experiment_free(&ex);
    return rc;
}

/* Ranks reported by an MPI launcher in the environment (Open MPI, MPICH's
 * Hydra, PMIx/Slurm); 0 when not started by one; *rank its rank. */
static int launcher_ranks(int *rank)
{
    const char *size_vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", NULL};
    const char *rank_vars[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", NULL};
    int size = 0;
    *rank = 0;
    for (int i = 0; size_vars[i]; i++) {
        const char *v = getenv(size_vars[i]);
        if (v && atoi(v) > 0) {
            size = atoi(v);
            break;
        }
    }
    for (int i = 0; rank_vars[i]; i++) {
        const char *v = getenv(rank_vars[i]);
        if (v) {
            *rank = atoi(v);
            if (!size) { /* e.g. srun --mpi=pmix: Slurm knows the step's size */
                const char *n = getenv("SLURM_STEP_NUM_TASKS");
                size = n && atoi(n) > 0 ? atoi(n) : -1; /* -1: a launcher, size unknown */
            }
            break;
        }
    }
    return size;
}

/* `run` under an MPI launcher: with MPI, start it (every rank then runs
 * gn_runner_run, which schedules on rank 0); without, refuse clearly,
 * since every rank would run the whole sweep into the same folder. */
static int cmd_run_launched(int argc, char **argv)
{
    int rank, size = launcher_ranks(&rank);
    if (size == 0 || size == 1) return cmd_run_or_check(argc, argv, 0);
#ifdef GN_HAVE_MPI
    char err[256];
    if (gn_mpi_init(&argc, &argv, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        return 1;
    }
    int rc = cmd_run_or_check(argc, argv, 0);
    gn_mpi_finalize(rc < 128);
    return rc;
#else
    char nbuf[32];
    snprintf(nbuf, sizeof nbuf, size > 0 ? "%d" : "several", size);
    if (rank == 0)
        fprintf(stderr,
                "gnbench: started by an MPI launcher (%s ranks), but this gnbench was built without "
                "MPI: every rank would run the whole sweep into the same folder, so none does.\n"
                "gnbench: install MPI (Debian: apt-get install libopenmpi-dev openmpi-bin) and "
                "rebuild (meson setup --reconfigure build -Dmpi=enabled && ninja -C build), or run "
                "without mpirun: --jobs N on one machine, --shard K/N across machines "
                "(docs/SCALING.md).\n",
                nbuf);
    return 2;
#endif
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
#ifdef GN_HAVE_MPI
        printf("mpi: yes (%s)\n", gn_mpi_library());
#else
        printf("mpi: no (built without MPI)\n");
#endif
        return 0;
    }
    if (strcmp(cmd, "list") == 0) return cmd_list(argc, argv);
    if (strcmp(cmd, "run") == 0) return cmd_run_launched(argc, argv);
    if (strcmp(cmd, "merge") == 0) return cmd_merge(argc, argv);
    if (strcmp(cmd, "slurm") == 0) return cmd_slurm(argc, argv);
    if (strcmp(cmd, "check") == 0) return cmd_run_or_check(argc, argv, 1);
    if (strcmp(cmd, "plot") == 0) return cmd_plot(argc, argv);
    return usage_error("unknown command \"%s\"", cmd);
}
