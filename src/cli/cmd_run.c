/* cmd_run.c: `gnbench run` (a sweep, also under an MPI launcher) and
 * `gnbench check` (validate the experiment file, print what its grid
 * costs, or with --runs every run of it). */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "exp/experiment.h"
#include "run/runner.h"
#ifdef GN_HAVE_MPI
#include "run/mpi_sched.h"
#endif

/* `check`'s summary: per optimizer its runs, their estimated compute and
 * the largest memory estimate of one run. 0, or -1 with err. */
static int print_costs(const gn_experiment *ex, char *err, size_t errlen)
{
    gn_run_estimate *e;
    int n = gn_runner_estimate(ex, &e, err, errlen);
    if (n < 0) return -1;
    double flops = 0, mib = 0;
    for (int k = 0; k < n; k++) {
        printf("  %-12s %6d runs  %10.3g flops  %10.1f MiB per run at most\n", e[k].optimizer,
               e[k].runs, e[k].flops, e[k].peak_mib);
        flops += e[k].flops;
        if (e[k].peak_mib > mib) mib = e[k].peak_mib;
    }
    printf("  %-12s %6d runs  %10.3g flops  %10.1f MiB per run at most (--jobs N: N times "
           "that)\n",
           "all", ex->n_runs, flops, mib);
    printf("(estimated by the cost model of the shards and the memory check; gnbench check "
           "--runs lists every run)\n");
    free(e);
    return 0;
}

/* `check`'s output: the experiment, the cost summary or (runs) one line
 * per run (its id and settings), and one line per figure. 0, or -1 with
 * err. */
static int print_grid(const gn_experiment *ex, int runs, char *err, size_t errlen)
{
    printf("experiment %s: %d runs%s\n", ex->name, ex->n_runs, ex->quick ? " (quick)" : "");
    if (!runs && print_costs(ex, err, errlen) != 0) return -1;
    for (int i = 0; runs && i < ex->n_runs; i++) {
        const gn_run_spec *r = &ex->runs[i];
        printf("%s", r->run_id);
        for (int j = 0; j < r->settings.n; j++)
            printf(" %s=%s", r->settings.v[j].key, r->settings.v[j].value);
        printf("\n");
    }
    for (int f = 0; f < ex->n_figures; f++)
        printf("figure %s: %s %s vs %s\n", ex->figures[f].name,
               gn_figure_kind_name(ex->figures[f].kind), ex->figures[f].y, ex->figures[f].x);
    return 0;
}

/* --only matches a run id or an optimizer name of the grid: 0, or -1 with
 * the message in err. */
static int check_only(const gn_experiment *ex, const char *only, char *err, size_t errlen)
{
    if (!only) return 0;
    for (int i = 0; i < ex->n_runs; i++)
        if (fnmatch(only, ex->runs[i].run_id, 0) == 0 ||
            fnmatch(only, ex->runs[i].optim->name, 0) == 0)
            return 0;
    snprintf(err, errlen,
             "--only \"%.200s\" matches no run id or optimizer name of %s's %d runs (e.g. %s, "
             "optimizer %s)",
             only, ex->name, ex->n_runs, ex->n_runs ? ex->runs[0].run_id : "",
             ex->n_runs ? ex->runs[0].optim->name : "");
    return -1;
}

/* The folder `path` given to option opt (--out, --plots) is one the sweep
 * can write: an existing folder it may write into, or a path whose nearest
 * existing ancestor is a folder where a folder can be made (tried with a
 * folder made and removed at once, so that read-only places are found
 * whoever runs). 0, or -1 with the message in err. */
static int check_folder(const char *opt, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (!*path) {
        snprintf(err, errlen, "%s \"\": an empty path (an unset shell variable?); give a folder",
                 opt);
        return -1;
    }
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s %.400s: exists and is not a folder", opt, path);
            return -1;
        }
        if (access(path, W_OK | X_OK) != 0) {
            snprintf(err, errlen, "%s %.400s: cannot write into it: %s", opt, path,
                     strerror(errno));
            return -1;
        }
        return 0;
    }
    char anc[4096];
    snprintf(anc, sizeof anc, "%s", path);
    for (;;) {
        size_t n = strlen(anc);
        while (n > 1 && anc[n - 1] == '/')
            anc[--n] = '\0';
        char *slash = strrchr(anc, '/');
        if (!slash) {
            snprintf(anc, sizeof anc, ".");
        } else {
            slash[slash == anc ? 1 : 0] = '\0';
        }
        if (stat(anc, &st) == 0 || strcmp(anc, ".") == 0 || strcmp(anc, "/") == 0) break;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s %.400s: cannot be made: %.400s is not a folder", opt, path, anc);
        return -1;
    }
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.gnbench-probe-XXXXXX", anc);
    if (!mkdtemp(probe)) {
        snprintf(err, errlen, "%s %.400s: cannot be made in %.400s: %s", opt, path, anc,
                 strerror(errno));
        return -1;
    }
    rmdir(probe);
    return 0;
}

/* What must hold before any run, beyond the file itself: for check, the
 * data of every run; for run, its options (out and plots: the folders,
 * NULL when not drawn); the runner then loads the data once, with the same
 * checks, before any run. 0, or -1 with the message in err. */
static int check_inputs(const gn_experiment *ex, int check, const char *only, const char *out,
                        const char *plots, char *err, size_t errlen)
{
    if (check) return gn_experiment_check_data(ex, err, errlen);
    if (check_only(ex, only, err, errlen) != 0) return -1;
    if (check_folder("--out", out, err, errlen) != 0) return -1;
    return plots ? check_folder("--plots", plots, err, errlen) : 0;
}

/* The sweep of ex; for a protocol experiment, in two steps: the trials
 * (with the confirmation runs of studies already complete in the folder),
 * then the confirmation runs of the studies the trials completed. A shard
 * runs only what is known when it starts: the confirmation runs follow
 * when the folder holds every trial (run again after the merge). */
static int run_sweep(gn_experiment *ex, gn_run_options *o, int *ready)
{
    char err[512];
    /* what the folder already decides: each step may decide the next (the
     * baselines' confirmation sets an automatic target, which decides the
     * others' choices) */
    int known = 0, flags = 0;
#ifdef GN_HAVE_MPI
    if (gn_mpi_active() && gn_mpi_rank() != 0) flags = GN_CONFIRM_QUIET | GN_CONFIRM_READ_ONLY;
#endif
    while (!o->fresh && (known = gn_runner_confirm(ex, o->out_dir, flags | GN_CONFIRM_QUIET, err,
                                                   sizeof err)) > 0)
        ;
    if (known < 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        return 1;
    }
    int rc = gn_runner_run(ex, o, ready);
    if (!ex->protocol.on || o->dry_run || rc > 1) return rc;
    if (o->shard_n > 0) {
        fprintf(stderr,
                "gnbench: %s: the confirmation runs of the tuning studies follow once runs.csv "
                "holds every trial: after the merge, run gnbench run again without --shard\n",
                ex->name);
        return rc;
    }
    o->fresh = 0; /* the trials just recorded stay */
    for (;;) {    /* trials, the baselines' confirmation (protocol.target auto), the others' */
        int added = gn_runner_confirm(ex, o->out_dir, flags, err, sizeof err);
        if (added < 0) {
            fprintf(stderr, "gnbench: %s\n", err);
            return 1;
        }
        if (added == 0) return rc;
        if (!(flags & GN_CONFIRM_QUIET))
            fprintf(stderr,
                    "gnbench: %s: the studies chose their configurations; %d confirmation runs\n",
                    ex->name, added);
        int rc2 = gn_runner_run(ex, o, ready);
        rc = rc2 > rc ? rc2 : rc;
        if (rc > 1) return rc;
    }
}

/* gnbench run FILE [options] (check = 0): the sweep, then the figures;
 * gnbench check FILE [--quick] [--runs] (check = 1): the grid's cost
 * summary, or every run. */
int gn_cmd_run_or_check(int argc, char **argv, int check)
{
    int no_plot = 0, runs = 0;
    const char *file = NULL, *out = NULL, *plots = NULL, *only = NULL, *format = "png";
    gn_run_options o = {0};
    o.jobs = 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0)
            o.quick = 1;
        else if (check && strcmp(a, "--runs") == 0)
            runs = 1;
        else if (check) {
            if (a[0] == '-') return gn_cli_usage_error("check: unknown option \"%s\"", a);
            if (file) return gn_cli_usage_error("check: more than one experiment file (\"%s\")", a);
            file = a;
        } else if (strcmp(a, "--out") == 0 && val)
            out = val, i++;
        else if (strcmp(a, "--plots") == 0 && val)
            plots = val, i++;
        else if (strcmp(a, "--only") == 0 && val)
            only = val, i++;
        else if (strcmp(a, "--format") == 0 && val)
            format = val, i++;
        else if (strcmp(a, "--jobs") == 0) {
            if (gn_cli_parse_count("--jobs", val, &o.jobs) != 0) return 2;
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if (gn_cli_parse_count("--threads", val, &o.threads) != 0) return 2;
            i++;
        } else if (strcmp(a, "--memory-limit") == 0) {
            char *end;
            double v = val ? strtod(val, &end) : 0;
            if (!val || *end || !(v >= 1) || v > 1e9)
                return gn_cli_usage_error("--memory-limit expects MiB, a number >= 1, got \"%s\"",
                                          val ? val : "(nothing)");
            o.memory_limit_mib = v;
            i++;
        } else if (strcmp(a, "--shard") == 0) {
            if (gn_cli_parse_shard(val, &o.shard_k, &o.shard_n) != 0) return 2;
            i++;
        } else if (strcmp(a, "--fresh") == 0)
            o.fresh = 1;
        else if (strcmp(a, "--no-plot") == 0)
            no_plot = 1;
        else if (strcmp(a, "--dry-run") == 0)
            o.dry_run = 1;
        else if (a[0] == '-')
            return gn_cli_usage_error("run: unknown option or missing value: \"%s\"", a);
        else if (file)
            return gn_cli_usage_error("run: more than one experiment file (\"%s\")", a);
        else
            file = a;
    }
    if (!file) return gn_cli_usage_error("%s: missing EXPERIMENT.yaml", check ? "check" : "run");
    if (!gn_cli_check_format(format))
        return gn_cli_usage_error("--format: expected png, svg or pdf, got \"%s\"", format);

    gn_experiment ex;
    char err[1024];
    int bad = gn_experiment_load(file, o.quick, &ex, err, sizeof err) != 0;
    char out_buf[4096], plots_buf[4096];
    if (!bad && !out) snprintf(out_buf, sizeof out_buf, "results/%s", ex.name), out = out_buf;
    if (!bad && !plots)
        snprintf(plots_buf, sizeof plots_buf, "plots/%s", ex.name), plots = plots_buf;
    if (!bad && check_inputs(&ex, check, only, out, no_plot ? NULL : plots, err, sizeof err) != 0) {
        bad = 1;
        gn_experiment_free(&ex);
    }
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
        int rc = print_grid(&ex, runs, err, sizeof err);
        if (rc != 0) fprintf(stderr, "gnbench: %s\n", err);
        if (rc == 0 && ex.protocol.on)
            printf("protocol: the %d runs above are the tuning trials; then %ld confirmation runs "
                   "per study of each of the %d optimizers (seeds 1 to %ld), chosen once the "
                   "trials are done\n",
                   ex.n_runs, ex.protocol.confirm_seeds, ex.protocol.n_entries,
                   ex.protocol.confirm_seeds);
        gn_experiment_free(&ex);
        return rc ? 1 : 0;
    }
    o.out_dir = out;
    o.only = only;
    char *cmd = gn_cli_join_args(argc, argv);
    o.command_line = cmd ? cmd : "";
    int ready = 0;
    int rc = run_sweep(&ex, &o, &ready);
    if (ready && !no_plot && gn_cli_draw_figures(&ex, out, plots, format) != 0) rc = 1;
    free(cmd);
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
int gn_cmd_run_launched(int argc, char **argv)
{
    int rank, size = launcher_ranks(&rank);
    if (size == 0 || size == 1) return gn_cmd_run_or_check(argc, argv, 0);
#ifdef GN_HAVE_MPI
    char err[256];
    if (gn_mpi_init(&argc, &argv, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: %s\n", err);
        return 1;
    }
    int rc = gn_cmd_run_or_check(argc, argv, 0);
    gn_mpi_finalize(rc < 128);
    return rc;
#else
    char nbuf[32];
    snprintf(nbuf, sizeof nbuf, size > 0 ? "%d" : "several", size);
    if (rank == 0)
        fprintf(
            stderr,
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
