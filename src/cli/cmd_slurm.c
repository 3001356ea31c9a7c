/* cmd_slurm.c: `gnbench slurm EXPERIMENT.yaml`, a bash script that submits
 * the sweep to Slurm as a job array (one shard per task) and a merge job
 * that depends on it (docs/SCALING.md). Every value the script holds is
 * shell-quoted, and one with a line break is refused.
 *
 * Each shard task asks for --cpus-per-task (--threads, default 1: a shard
 * runs one run at a time with the threads it is given), --time and --mem
 * (options, defaults SLURM_SHARD_TIME and SLURM_SHARD_MEM: the runner does
 * not estimate a shard's time in seconds). The sbatch options after "--"
 * go to both jobs, except those that request resources (time, memory,
 * CPUs, tasks, nodes, GPUs): those go to the shard tasks only and replace
 * the request of their kind, and the merge job keeps its own small one. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "exp/experiment.h"

#define SLURM_SHARD_TIME "4:00:00" /* per shard task, when --time is not given */
#define SLURM_SHARD_MEM "4G"       /* per shard task, when --mem is not given */
/* The merge job's own request: it merges tables and draws figures. */
#define SLURM_MERGE_REQUEST "--cpus-per-task=1 --mem=2G --time=1:00:00"

/* The options of one `gnbench slurm` call. */
typedef struct slurm_args {
    const char *file, *out, *plots, *output, *format; /* NULL: not given */
    const char *time, *mem;                           /* the shard tasks' request */
    int quick, shards, threads;                       /* 0: not given */
    char **sbatch; /* (n_sb) the sbatch options after "--", into argv; the array is malloc'd */
    int n_sb;
    char *is_request;  /* (n_sb) 1: sbatch[i] requests resources (shard tasks only) */
    unsigned replaced; /* bit k - 1: a request of kind k (requests[]) came after "--" */
} slurm_args;

/* The absolute paths the script names. */
typedef struct slurm_paths {
    char self[PATH_MAX];  /* this gnbench program */
    char exp[PATH_MAX];   /* EXPERIMENT.yaml */
    char cwd[PATH_MAX];   /* the jobs' working folder */
    char out[PATH_MAX];   /* the results folder */
    char plots[PATH_MAX]; /* the figures folder */
} slurm_paths;

/* Writes s to f, quoted for a POSIX shell when it needs it. */
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
        if (*p == '\'')
            fputs("'\\''", f);
        else
            fputc(*p, f);
    fputc('\'', f);
}

static void absolute(const char *path, char *buf, size_t len)
{
    char cwd[PATH_MAX];
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
        snprintf(buf, len, "%s", path);
    else if ((size_t)snprintf(buf, len, "%s/%s", cwd, path) >= len)
        buf[len - 1] = 0;
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
        if (*p == '\n')
            fputs("\\n", stderr);
        else if (*p == '\r')
            fputs("\\r", stderr);
        else
            fputc(*p, stderr);
    fprintf(stderr, "\" contains a line break, which a Slurm script cannot hold safely\n");
    return 2;
}

/* 0 when every value of the script is free of line breaks, else 2 (the
 * first that is not is named on stderr). */
static int slurm_values_check(const char *cwd, const char *self, const char *exp_abs,
                              const char *out_abs, const char *plots_abs, char **sbatch, int n_sb)
{
    int rc = slurm_value_check("the current folder", cwd);
    if (!rc) rc = slurm_value_check("the gnbench program path", self);
    if (!rc) rc = slurm_value_check("EXPERIMENT.yaml", exp_abs);
    if (!rc) rc = slurm_value_check("--out", out_abs);
    if (!rc) rc = slurm_value_check("--plots", plots_abs);
    for (int i = 0; i < n_sb && !rc; i++)
        rc = slurm_value_check("sbatch option", sbatch[i]);
    return rc;
}

/* Whether s is a whole number of 1 to 9 digits followed by what *end is. */
static int digits(const char *s, const char **end)
{
    const char *p = s;
    while (*p >= '0' && *p <= '9' && p - s < 9)
        p++;
    *end = p;
    return p > s && !(*p >= '0' && *p <= '9');
}

/* A Slurm time limit: MINUTES, MINUTES:SECONDS, H:MM:SS, DAYS-H,
 * DAYS-H:MM or DAYS-H:MM:SS. */
static int slurm_time_ok(const char *t)
{
    const char *p;
    if (!digits(t, &p)) return 0;
    int fields = 1;
    if (*p == '-' && !digits(p + 1, &p)) return 0;
    while (*p == ':' && fields < 3) {
        if (!digits(p + 1, &p)) return 0;
        fields++;
    }
    return *p == 0;
}

/* A Slurm memory size: a whole number, optionally with K, M, G or T. */
static int slurm_mem_ok(const char *m)
{
    const char *p;
    if (!digits(m, &p) || strtol(m, NULL, 10) < 1) return 0;
    if (*p && strchr("KMGTkmgt", *p)) p++;
    return *p == 0;
}

/* The sbatch options that request resources, and the kind of request they
 * replace (0: none of the three the script makes). A name without "=" takes
 * the next argument as its value. */
static const struct {
    const char *name;
    int kind; /* 1 time, 2 memory, 3 CPUs */
} requests[] = {
    {"--time", 1},
    {"-t", 1},
    {"--time-min", 0},
    {"--mem", 2},
    {"--mem-per-cpu", 2},
    {"--mem-per-gpu", 2},
    {"--cpus-per-task", 3},
    {"-c", 3},
    {"--ntasks", 0},
    {"-n", 0},
    {"--ntasks-per-node", 0},
    {"--nodes", 0},
    {"-N", 0},
    {"--gres", 0},
    {"--gpus", 0},
    {"-G", 0},
    {"--gpus-per-task", 0},
    {"--gpus-per-node", 0},
    {"--cpus-per-gpu", 0},
    {"--exclusive", 0},
};

/* The kind of request s makes (-1: s requests no resource); *separate: its
 * value is the next argument. */
static int request_kind(const char *s, int *separate)
{
    *separate = 0;
    for (size_t k = 0; k < sizeof requests / sizeof requests[0]; k++) {
        size_t n = strlen(requests[k].name);
        if (strncmp(s, requests[k].name, n) != 0) continue;
        int is_short = requests[k].name[1] != '-';
        if (s[n] == '=' || (is_short && s[n])) return requests[k].kind;
        if (s[n] == 0) {
            *separate = strcmp(requests[k].name, "--exclusive") != 0;
            return requests[k].kind;
        }
    }
    return -1;
}

/* Marks the sbatch options after "--" that request resources (and their
 * values) in a->is_request; a request of time, memory or CPUs there
 * replaces the script's own of that kind. */
static void mark_requests(slurm_args *a)
{
    for (int i = 0; i < a->n_sb; i++) {
        int separate, kind = request_kind(a->sbatch[i], &separate);
        if (kind < 0) continue;
        a->is_request[i] = 1;
        if (separate && i + 1 < a->n_sb) a->is_request[++i] = 1;
        if (kind > 0) a->replaced |= 1u << (kind - 1);
    }
}

/* Reads the options of argv into *a: 0, or the exit status after a usage
 * message (1 when out of memory). a->sbatch is the caller's to free either
 * way. */
static int parse_args(int argc, char **argv, slurm_args *a)
{
    memset(a, 0, sizeof *a);
    a->format = "png";
    a->time = SLURM_SHARD_TIME;
    a->mem = SLURM_SHARD_MEM;
    a->sbatch = calloc((size_t)argc, sizeof *a->sbatch);
    a->is_request = calloc((size_t)argc, 1);
    if (!a->sbatch || !a->is_request) return 1;
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(s, "--") == 0) {
            for (int j = i + 1; j < argc; j++)
                a->sbatch[a->n_sb++] = argv[j];
            break;
        } else if (strcmp(s, "--quick") == 0)
            a->quick = 1;
        else if (strcmp(s, "--array-size") == 0) {
            if (gn_cli_parse_count("--array-size", val, &a->shards) != 0) return 2;
            i++;
        } else if (strcmp(s, "--threads") == 0) {
            if (gn_cli_parse_count("--threads", val, &a->threads) != 0) return 2;
            i++;
        } else if (strcmp(s, "--out") == 0 && val)
            a->out = val, i++;
        else if (strcmp(s, "--plots") == 0 && val)
            a->plots = val, i++;
        else if (strcmp(s, "--output") == 0 && val)
            a->output = val, i++;
        else if (strcmp(s, "--format") == 0 && val)
            a->format = val, i++;
        else if (strcmp(s, "--time") == 0 && val)
            a->time = val, i++;
        else if (strcmp(s, "--mem") == 0 && val)
            a->mem = val, i++;
        else if (s[0] == '-')
            return gn_cli_usage_error("slurm: unknown option or missing value: \"%s\" (sbatch "
                                      "options go after --)",
                                      s);
        else if (a->file)
            return gn_cli_usage_error("slurm: more than one experiment file (\"%s\")", s);
        else
            a->file = s;
    }
    if (!a->file) return gn_cli_usage_error("slurm: missing %s", "EXPERIMENT.yaml");
    if (!gn_cli_check_format(a->format))
        return gn_cli_usage_error("--format: expected png, svg or pdf, got \"%s\"", a->format);
    if (!slurm_time_ok(a->time))
        return gn_cli_usage_error("slurm: --time expects a Slurm time limit (MINUTES, H:MM:SS or "
                                  "DAYS-H:MM:SS), got \"%s\"",
                                  a->time);
    if (!slurm_mem_ok(a->mem))
        return gn_cli_usage_error(
            "slurm: --mem expects a Slurm memory size (a whole number of MiB, or with K, M, G "
            "or T), got \"%s\"",
            a->mem);
    mark_requests(a);
    return 0;
}

/* The number of array tasks: --array-size, by default one per run up to
 * 32, never more than the runs (said on stderr), at least 1. */
static int shard_count(int asked, int n_runs)
{
    int shards = asked;
    if (shards <= 0) shards = n_runs < 32 ? n_runs : 32;
    if (shards > n_runs) {
        fprintf(stderr, "gnbench: slurm: --array-size %d is more than the %d runs; using %d\n",
                shards, n_runs, n_runs);
        shards = n_runs;
    }
    if (shards < 1) shards = 1;
    return shards;
}

/* Absolute paths of the program, the experiment file, the working folder
 * and the results and figures folders (default results/NAME, plots/NAME). */
static void resolve_paths(const char *argv0, const slurm_args *a, const gn_experiment *ex,
                          slurm_paths *p)
{
    char buf[PATH_MAX]; /* results/NAME, plots/NAME: cut to the size of the result */
    ssize_t n = readlink("/proc/self/exe", p->self, sizeof p->self - 1);
    if (n > 0)
        p->self[n] = 0;
    else
        absolute(argv0, p->self, sizeof p->self);
    if (!realpath(a->file, p->exp)) absolute(a->file, p->exp, sizeof p->exp);
    if (!getcwd(p->cwd, sizeof p->cwd)) snprintf(p->cwd, sizeof p->cwd, ".");
    snprintf(buf, sizeof buf, "results/%s", ex->name);
    absolute(a->out ? a->out : buf, p->out, sizeof p->out);
    snprintf(buf, sizeof buf, "plots/%s", ex->name);
    absolute(a->plots ? a->plots : buf, p->plots, sizeof p->plots);
}

/* The resources each shard task asks for (CPUs for its threads, memory,
 * time, then the requests given after "--", which replace those of their
 * kind), and the merge job's own. */
static void put_requests(FILE *f, const slurm_args *a)
{
    fprintf(f, "shard_request=(");
    const char *sep = "";
    if (!(a->replaced & 4u))
        fprintf(f, "--cpus-per-task=%d", a->threads > 0 ? a->threads : 1), sep = " ";
    if (!(a->replaced & 2u)) fprintf(f, "%s--mem=%s", sep, a->mem), sep = " ";
    if (!(a->replaced & 1u)) fprintf(f, "%s--time=%s", sep, a->time), sep = " ";
    for (int i = 0; i < a->n_sb; i++)
        if (a->is_request[i]) {
            fputs(sep, f);
            put_quoted(f, a->sbatch[i]);
            sep = " ";
        }
    fprintf(f, ")\nmerge_request=(" SLURM_MERGE_REQUEST ")\n");
}

/* The script's first part: what it does (as comments, with the command
 * line cmd that generated it), the sbatch options given after "--" and the
 * log folder. */
static void put_preamble(FILE *f, const slurm_args *a, const gn_experiment *ex, int shards,
                         const char *cmd, const slurm_paths *p)
{
    char buf[PATH_MAX + 64];
    fprintf(f,
            "#!/usr/bin/env bash\n"
            "# Submits the gnbench experiment \"%s\" (%d runs%s) to Slurm: a job array of %d\n"
            "# tasks, each running one shard of the run grid (gnbench run FILE --shard K/%d with\n"
            "# K = SLURM_ARRAY_TASK_ID + 1), and a merge job that starts after the whole array\n"
            "# (afterany: also when a task failed), writes runs.csv and manifest.csv and draws\n"
            "# the figures. A shard resumes what it finished before, so resubmitting this\n"
            "# script (or requeueing a task) redoes only the missing runs.\n%s"
            "# Generated by: %s\n"
            "# Usage: bash THIS_SCRIPT [more sbatch options for both jobs]\n"
            "# Results: %s  figures: %s  logs: %s/slurm-logs/\n"
            "set -euo pipefail\n\n",
            ex->name, ex->n_runs, a->quick ? ", --quick" : "", shards, shards,
            ex->protocol.on
                ? "# Then (afterok) a third job runs the tuning studies' confirmation runs.\n"
                : "",
            cmd ? cmd : "", p->out, p->plots, p->out);
    fprintf(f, "sbatch_options=(");
    for (int i = 0, n = 0; i < a->n_sb; i++)
        if (!a->is_request[i]) {
            if (n++) fputc(' ', f);
            put_quoted(f, a->sbatch[i]);
        }
    fprintf(f, ")\n");
    put_requests(f, a);
    fprintf(f, "mkdir -p ");
    snprintf(buf, sizeof buf, "%s/slurm-logs", p->out);
    put_quoted(f, buf);
}

/* Part 1: the job array; task i runs shard i+1 of shards, without figures. */
static void put_shard_job(FILE *f, const slurm_args *a, const char *name, int shards,
                          const slurm_paths *p)
{
    char buf[PATH_MAX + 64];
    fprintf(f, "\n\n# 1. the shards: array task i runs shard i+1 of %d\n", shards);
    fprintf(f, "array_job=$(sbatch --parsable --job-name=");
    put_quoted(f, name);
    fprintf(f, " --array=0-%d --chdir=", shards - 1);
    put_quoted(f, p->cwd);
    fprintf(f, " \\\n  --output=");
    snprintf(buf, sizeof buf, "%s/slurm-logs/shard-%%a-of-%d.%%A.out", p->out, shards);
    put_quoted(f, buf);
    fprintf(f, " \"${shard_request[@]}\" ${sbatch_options[@]+\"${sbatch_options[@]}\"} \"$@\" "
               "<<'GNBENCH_SHARD'\n");
    fprintf(f, "#!/usr/bin/env bash\nset -eu\nexec ");
    put_quoted(f, p->self);
    fprintf(f, " run ");
    put_quoted(f, p->exp);
    fprintf(f, "%s --shard $((SLURM_ARRAY_TASK_ID + 1))/%d --out ", a->quick ? " --quick" : "",
            shards);
    put_quoted(f, p->out);
    fprintf(f, " --no-plot");
    if (a->threads > 0) fprintf(f, " --threads %d", a->threads);
    fprintf(f, "\nGNBENCH_SHARD\n)\narray_job=${array_job%%%%;*}\n\n");
}

/* The start of a single job, up to its script's "exec PROGRAM": the
 * variable var gets the job id of `sbatch --job-name NAME-var` started
 * after `dependency`, logging to OUT/slurm-logs/var.%j.out, with the
 * request array `request` and the here-document tag. */
static void put_job_start(FILE *f, const char *var, const char *name, const char *dependency,
                          const char *request, const char *tag, const slurm_paths *p)
{
    char buf[PATH_MAX + 64];
    fprintf(f, "%s_job=$(sbatch --parsable --job-name=", var);
    put_quoted(f, name);
    fprintf(f, "-%s --dependency=%s --chdir=", var, dependency);
    put_quoted(f, p->cwd);
    fprintf(f, " \\\n  --output=");
    snprintf(buf, sizeof buf, "%s/slurm-logs/%s.%%j.out", p->out, var);
    put_quoted(f, buf);
    fprintf(f, " \"${%s[@]}\" ${sbatch_options[@]+\"${sbatch_options[@]}\"} \"$@\" <<'%s'\n",
            request, tag);
    fprintf(f, "#!/usr/bin/env bash\nset -eu\nexec ");
    put_quoted(f, p->self);
}

/* Part 2: the merge job, after every task of the array (also failed ones),
 * which merges the shard tables and draws the figures; then the line that
 * reports both job ids. */
static void put_merge_job(FILE *f, const slurm_args *a, const gn_experiment *ex, const char *name,
                          int shards, const slurm_paths *p)
{
    fprintf(f, "# 2. the merge and the figures, after every task of the array\n");
    put_job_start(f, "merge", name, "afterany:\"$array_job\"", "merge_request", "GNBENCH_MERGE", p);
    fprintf(f, " merge ");
    put_quoted(f, p->out);
    fprintf(f, "%s --plots ", a->quick ? " --quick" : "");
    put_quoted(f, p->plots);
    fprintf(f, " --format %s\nGNBENCH_MERGE\n)\nmerge_job=${merge_job%%%%;*}\n\n", a->format);
    fprintf(f,
            "echo \"gnbench: submitted job array $array_job (%d shards of %s) and merge job "
            "$merge_job (afterany:$array_job)\"\n",
            shards, ex->name);
}

/* Part 3, for a protocol experiment: the confirmation runs of the studies,
 * once the merge has put every trial in runs.csv (afterok), in one job with
 * the shard tasks' request; it then draws the figures. */
static void put_confirm_job(FILE *f, const slurm_args *a, const gn_experiment *ex, const char *name,
                            const slurm_paths *p)
{
    fprintf(f, "\n# 3. the protocol's confirmation runs (each study's chosen configuration on\n"
               "# its confirmation seeds), after the merge has every trial\n");
    put_job_start(f, "confirm", name, "afterok:\"$merge_job\"", "shard_request", "GNBENCH_CONFIRM",
                  p);
    fprintf(f, " run ");
    put_quoted(f, p->exp);
    fprintf(f, "%s --out ", a->quick ? " --quick" : "");
    put_quoted(f, p->out);
    fprintf(f, " --plots ");
    put_quoted(f, p->plots);
    if (a->threads > 0) fprintf(f, " --threads %d", a->threads);
    fprintf(f, " --format %s\nGNBENCH_CONFIRM\n)\nconfirm_job=${confirm_job%%%%;*}\n", a->format);
    fprintf(f,
            "echo \"gnbench: submitted the confirmation job $confirm_job of %s "
            "(afterok:$merge_job)\"\n",
            ex->name);
}

/* Writes the whole script to stdout, or to a->output through a temporary
 * file renamed into place (made executable). Returns 0, or 1 with the
 * reason on stderr. */
static int write_script(int argc, char **argv, const slurm_args *a, const gn_experiment *ex,
                        int shards, const slurm_paths *p)
{
    FILE *f = stdout;
    char tmp[PATH_MAX + 32];
    if (a->output) {
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", a->output, (long)getpid());
        f = fopen(tmp, "w");
        if (!f) {
            fprintf(stderr, "gnbench: cannot write %s: %s\n", a->output, strerror(errno));
            return 1;
        }
    }
    char *cmd = gn_cli_join_args(argc, argv);
    for (char *c = cmd; c && *c; c++) /* it goes into a comment line */
        if (*c == '\n' || *c == '\r') *c = ' ';
    char name[160];
    snprintf(name, sizeof name, "gnbench-%s", ex->name);
    put_preamble(f, a, ex, shards, cmd, p);
    put_shard_job(f, a, name, shards, p);
    put_merge_job(f, a, ex, name, shards, p);
    if (ex->protocol.on) put_confirm_job(f, a, ex, name, p);
    free(cmd);
    int rc = 0;
    if (a->output) {
        if (fclose(f) != 0 || chmod(tmp, 0755) != 0 || rename(tmp, a->output) != 0) {
            fprintf(stderr, "gnbench: cannot write %s: %s\n", a->output, strerror(errno));
            unlink(tmp);
            rc = 1;
        } else {
            fprintf(stderr, "gnbench: wrote %s (%d shards of %d runs); submit with: bash %s\n",
                    a->output, shards, ex->n_runs, a->output);
        }
    } else if (fflush(stdout) != 0) {
        rc = 1;
    }
    return rc;
}

/* gnbench slurm FILE: a script that submits a job array (one shard per
 * task) and a merge job that depends on it (docs/SCALING.md). */
int gn_cmd_slurm(int argc, char **argv)
{
    slurm_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        free(a.sbatch);
        free(a.is_request);
        return rc;
    }
    gn_experiment ex;
    char err[1024];
    if (gn_experiment_load(a.file, a.quick, &ex, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        free(a.sbatch);
        free(a.is_request);
        return 2;
    }
    int shards = shard_count(a.shards, ex.n_runs);
    slurm_paths p;
    resolve_paths(argv[0], &a, &ex, &p);
    rc = slurm_values_check(p.cwd, p.self, p.exp, p.out, p.plots, a.sbatch, a.n_sb);
    if (rc == 0) rc = write_script(argc, argv, &a, &ex, shards, &p);
    gn_experiment_free(&ex);
    free(a.sbatch);
    free(a.is_request);
    return rc;
}
