/* sweep.c: gn_runner_run, one sweep from its start to its end.
 *
 * The parent process validates everything that can fail before a run starts
 * (datasets load, models fit the data, memory estimates fit: prepare.c),
 * locks the results folder and checks that it holds this grid (folder.c),
 * picks the runs to do (this shard's, not finished before, matching --only),
 * then starts one child per run, at most `jobs` at a time (sched_local.c),
 * or hands the runs to MPI worker ranks (sched_mpi.c). A child initializes
 * BLIS, trains, writes traces/<run_id>.csv atomically and sends its summary
 * back through a pipe; the parent appends the run's row to runs.csv (and
 * rewrites the table atomically, in grid order, at the start and the end).
 * The parent never calls BLIS itself (OpenMP and fork do not mix), and a
 * child that crashes is recorded as an `error` run with its
 * signal. A table that cannot be written is an error: the sweep starts no
 * more runs and exits 1 saying which file and why. */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "la/blas.h"
#include "run/run_internal.h"
#include "run/shard.h"

/* Which runs this process does, and in what order. */
typedef struct selection {
    uint64_t *cost;    /* n_runs: estimated flops (shard.c) */
    int *shard_of;     /* n_runs: 0-based shard (shards only) */
    char *in_shard;    /* n_runs: 1 when the run is this shard's (every run without shards) */
    uint64_t *load;    /* shard_n (at least 1): estimated flops of each shard */
    int *todo, n_todo; /* the runs to do, in launch order */
} selection;

/* The run loop's counters. */
typedef struct progress {
    int next;                    /* todo entries launched (or given up) */
    int active;                  /* runs running */
    int finished;                /* runs recorded */
    int errors;                  /* of them, in error */
    int stopping;                /* the stop signal was seen */
    int unwritten;               /* the table could not be written: launch nothing more */
    double busy;                 /* seconds the recorded runs took, summed */
    double cost_done, cost_left; /* estimated cost (shard.c) of the recorded runs, of the rest */
    int tty;                     /* stderr is a terminal: progress on one line */
} progress;

static int matches_only(const gn_run_options *o, const gn_run_spec *r)
{
    if (!o->only) return 1;
    return fnmatch(o->only, r->run_id, 0) == 0 || fnmatch(o->only, r->optim->name, 0) == 0;
}

static void fmt_duration(double s, char *buf, size_t len)
{
    if (!(s >= 0) || s > 1e7) {
        snprintf(buf, len, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
}

/* ---- which runs ---- */

/* Estimated costs, the shard assignment and this shard's runs. */
static int assign_shards(sweep *sw, const prepared *pp, selection *sel)
{
    const gn_experiment *ex = sw->ex;
    const gn_run_options *o = sw->opt;
    for (int i = 0; i < ex->n_runs; i++) {
        sel->cost[i] = gn_shard_cost(&ex->runs[i], &pp->cache[pp->ds_of[i]].ds);
        sw->total_cost = gn_shard_sat_add(sw->total_cost, sel->cost[i]);
    }
    if (o->shard_n > 0 &&
        gn_shard_assign(sel->cost, ex->n_runs, o->shard_n, sel->shard_of, sel->load) != 0)
        return -1;
    for (int i = 0; i < ex->n_runs; i++) {
        sel->in_shard[i] = o->shard_n <= 0 || sel->shard_of[i] == o->shard_k - 1;
        if (sel->in_shard[i] && o->shard_n > 0) {
            sw->shard_runs++;
            sw->shard_cost = gn_shard_sat_add(sw->shard_cost, sel->cost[i]);
        }
    }
    return 0;
}

/* The rows of this process's table, and where its tables go. */
static int open_tables(sweep *sw)
{
    const gn_run_options *o = sw->opt;
    sw->cells = calloc((size_t)sw->ex->n_runs + 1, sizeof *sw->cells);
    sw->header = gn_runs_header(sw->ex, &sw->n_cols);
    if (!sw->cells || !sw->header) return -1;
    if (o->shard_n > 0) {
        snprintf(sw->runs_path, sizeof sw->runs_path, "%s/runs.shard-%d-of-%d.csv", o->out_dir,
                 o->shard_k, o->shard_n);
        snprintf(sw->manifest_path, sizeof sw->manifest_path, "%s/manifest.shard-%d-of-%d.csv",
                 o->out_dir, o->shard_k, o->shard_n);
    } else {
        snprintf(sw->runs_path, sizeof sw->runs_path, "%s/runs.csv", o->out_dir);
        snprintf(sw->manifest_path, sizeof sw->manifest_path, "%s/manifest.csv", o->out_dir);
    }
    return 0;
}

/* Picks the runs to do: this shard's, not finished before (unless fresh),
 * matching --only; under MPI the costliest first. 0, or 1 when out of
 * memory. */
static int select_runs(sweep *sw, const prepared *pp, int mpi, selection *sel)
{
    const gn_experiment *ex = sw->ex;
    const gn_run_options *o = sw->opt;
    size_t n = (size_t)ex->n_runs + 1;
    sel->cost = calloc(n, sizeof *sel->cost);
    sel->shard_of = calloc(n, sizeof *sel->shard_of);
    sel->in_shard = calloc(n, 1);
    sel->todo = calloc(n, sizeof *sel->todo);
    sel->load = calloc((size_t)(o->shard_n > 0 ? o->shard_n : 1), sizeof *sel->load);
    if (!sel->cost || !sel->shard_of || !sel->in_shard || !sel->todo || !sel->load) return 1;
    if (assign_shards(sw, pp, sel) != 0 || open_tables(sw) != 0) return 1;
    if (!o->fresh) gn_runs_resume(sw, sel->in_shard, pp);
    for (int i = 0; i < ex->n_runs; i++)
        if (sel->in_shard[i] && !sw->cells[i] && matches_only(o, &ex->runs[i]))
            sel->todo[sel->n_todo++] = i;
    int *todo = sel->todo;
    if (mpi) /* dynamic scheduling: the costliest runs first, the small ones fill the gaps */
        for (int a = 1; a < sel->n_todo; a++)
            for (int b = a; b > 0 && sel->cost[todo[b]] > sel->cost[todo[b - 1]]; b--) {
                int t = todo[b];
                todo[b] = todo[b - 1];
                todo[b - 1] = t;
            }
    return 0;
}

static void selection_free(selection *sel)
{
    free(sel->cost);
    free(sel->shard_of);
    free(sel->in_shard);
    free(sel->load);
    free(sel->todo);
}

/* --dry-run: what would run, on stdout. */
static void dry_run_report(const sweep *sw, const selection *sel)
{
    const gn_experiment *ex = sw->ex;
    const gn_run_options *o = sw->opt;
    int n_mine = o->shard_n > 0 ? sw->shard_runs : ex->n_runs, n_todo = sel->n_todo;
    if (o->shard_n > 0) {
        printf("shard %d/%d: %d of %d runs, %.1f%% of the estimated cost; shard loads:", o->shard_k,
               o->shard_n, sw->shard_runs, ex->n_runs,
               sw->total_cost ? 100.0 * (double)sw->shard_cost / (double)sw->total_cost : 0.0);
        for (int s = 0; s < o->shard_n; s++)
            printf(" %.1f%%",
                   sw->total_cost ? 100.0 * (double)sel->load[s] / (double)sw->total_cost : 0.0);
        printf("\n");
    }
    printf("%d runs in the %s, %d to run, %d already finished in %s\n", n_mine,
           o->shard_n > 0 ? "shard" : "grid", n_todo, n_mine - n_todo, o->out_dir);
    for (int t = 0; t < n_todo; t++)
        if (o->shard_n > 0)
            printf("would run %s (estimated %.3g flops)\n", ex->runs[sel->todo[t]].run_id,
                   (double)sel->cost[sel->todo[t]]);
        else
            printf("would run %s\n", ex->runs[sel->todo[t]].run_id);
}

/* ---- the results folder ---- */

/* --fresh: removes the traces of this grid (of this shard) and the old
 * table; a whole-grid fresh start also drops every shard table. */
static void fresh_start(const sweep *sw, const selection *sel)
{
    const gn_experiment *ex = sw->ex;
    const gn_run_options *o = sw->opt;
    for (int i = 0; i < ex->n_runs; i++) {
        if (!sel->in_shard[i]) continue;
        char tp[GN_RUN_PATH];
        snprintf(tp, sizeof tp, "%s/traces/%s.csv", o->out_dir, ex->runs[i].run_id);
        unlink(tp);
    }
    unlink(sw->runs_path);
    if (o->shard_n <= 0) {
        const char *prefixes[] = {"runs", "manifest"};
        for (int q = 0; q < 2; q++) {
            table_ref *t;
            int nt = gn_tables_list(o->out_dir, prefixes[q], &t);
            for (int k = 0; k < nt; k++)
                if (t[k].n > 0) unlink(t[k].path);
            free(t);
        }
    }
}

/* experiment.yaml as run. A shard writes through a temporary file named
 * after it ("<path>.tmp.s<K>.<pid>"), since shards on several hosts may
 * share the folder; a whole sweep through "<path>.tmp.<pid>". */
static int write_experiment(const sweep *sw)
{
    const gn_run_options *o = sw->opt;
    char yp[GN_RUN_PATH], tag[32];
    snprintf(yp, sizeof yp, "%s/experiment.yaml", o->out_dir);
    snprintf(tag, sizeof tag, "s%d", o->shard_k);
    const char *text = sw->ex->text;
    if (gn_fs_write_atomic(yp, text, strlen(text), o->shard_n > 0 ? tag : NULL, NULL, 0) != 0) {
        fprintf(stderr, "gnbench: cannot write %s: %s\n", yp, strerror(errno));
        return -1;
    }
    return 0;
}

/* BLIS facts and the start time, then the first manifest and table.
 * 0, or -1 when either could not be written (message printed). */
static int start_tables(sweep *sw, const prepared *pp, int n_todo)
{
    gn_child_probe_blis(sw->threads, &sw->blis);
    gn_host_iso_now(sw->start, sizeof sw->start);
    const char *want = gn_blas_arch_for_cpu();
    if (want && strcmp(sw->blis.arch, "generic") == 0)
        fprintf(stderr,
                "gnbench: warning: BLIS runs its generic kernels although this CPU has %s\n", want);
    int n_total = sw->opt->shard_n > 0 ? sw->shard_runs : sw->ex->n_runs;
    if (gn_manifest_write(sw, "", n_total - n_todo, pp->cache, pp->n_cache) != 0 ||
        gn_runs_write(sw) != 0) {
        fprintf(stderr, "gnbench: no run started: the results cannot be recorded in %s\n",
                sw->opt->out_dir);
        return -1;
    }
    return 0;
}

/* ---- the run loop ---- */

/* The scheduler and how many runs it runs at once; the banner on stderr. */
static void sched_open(gn_sched *sc, int mpi, int jobs, int n_todo)
{
    const sweep *sw = sc->sw;
    const gn_run_options *o = sw->opt;
    int n_total = o->shard_n > 0 ? sw->shard_runs : sw->ex->n_runs;
    char where[96] = "";
    if (o->shard_n > 0) snprintf(where, sizeof where, " shard %d/%d,", o->shard_k, o->shard_n);
    sc->ops = &gn_sched_local_ops;
    sc->capacity = jobs;
#ifdef GN_HAVE_MPI
    if (mpi) {
        sc->ops = &gn_sched_mpi_ops;
        sc->capacity = gn_mpi_size() - 1;
        if (jobs > 1)
            fprintf(stderr, "gnbench: note: under MPI each worker rank runs one run at a time; "
                            "--jobs is ignored (start more ranks instead)\n");
        fprintf(stderr,
                "gnbench: %s:%s %d runs, %d to do (%d finished before), MPI: %d worker rank(s), "
                "BLAS threads %s, BLIS %s\n",
                sw->ex->name, where, n_total, n_todo, n_total - n_todo, sc->capacity,
                sw->threads_desc, sw->blis.arch);
        return;
    }
#endif
    fprintf(stderr,
            "gnbench: %s:%s %d runs, %d to do (%d finished before), jobs %d, BLAS threads %d, "
            "BLIS %s\n",
            sw->ex->name, where, n_total, n_todo, n_total - n_todo, jobs, sw->threads,
            sw->blis.arch);
}

/* The stop signal arrived: launch nothing more, end the running runs. */
static void stop_runs(gn_sched *sc, const selection *sel, progress *pg)
{
    pg->stopping = 1;
    pg->next = sel->n_todo;
    fprintf(stderr, "%sgnbench: %s: ending %d running run(s)\n", pg->tty ? "\n" : "",
            strsignal(gn_run_stop_signal), pg->active);
    int n = sc->ops->stop(sc); /* recorded as interrupted errors */
    pg->active -= n;
    pg->finished += n;
    pg->errors += n;
}

/* Starts runs while slots are free. 0, or 1 when a launch failed. */
static int launch_runs(gn_sched *sc, const selection *sel, progress *pg)
{
    while (pg->active < sc->capacity && pg->next < sel->n_todo) {
        int i = sel->todo[pg->next++], s;
        for (s = 0; s < sc->capacity; s++)
            if (sc->slots[s].pid == 0) break;
        int l = sc->ops->launch(sc, s, i);
        if (l == GN_SCHED_UNSTARTED) {
            pg->finished++;
            pg->errors++;
            fprintf(stderr,
                    "gnbench: starting no more runs: %d left to do; run the same command again "
                    "to resume\n",
                    sel->n_todo - pg->next);
        }
        if (l != 0) {
            if (l < 0) pg->next = sel->n_todo;
            return 1;
        }
        pg->active++;
    }
    return 0;
}

/* Records the run that ended in slot s: its row, the table, the progress
 * line. */
static void record_run(gn_sched *sc, const selection *sel, progress *pg, int s, const run_done *d)
{
    sweep *sw = sc->sw;
    const gn_experiment *ex = sw->ex;
    int i = sc->slots[s].run, n_todo = sel->n_todo;
    double took = gn_now() - sc->slots[s].t0;
    pg->busy += took;
    pg->cost_done += (double)sel->cost[i];
    pg->cost_left -= (double)sel->cost[i];
    sc->slots[s].pid = 0;
    pg->active--;
    pg->finished++;
    if (d->res.status == GN_RUN_ERROR) pg->errors++;
    gn_runs_fill(sw, i, &d->res, d->rss_mib, sc->pp->cache[sc->pp->ds_of[i]].ds.identity);
    if (gn_runs_record(sw, i) != 0 && !pg->unwritten) {
        pg->unwritten = 1;
        pg->next = n_todo; /* what it would compute could not be recorded */
        fprintf(stderr, "gnbench: starting no more runs: %s cannot be written\n", sw->runs_path);
    }
    double eta = gn_shard_eta(pg->busy, pg->cost_done, pg->cost_left > 0 ? pg->cost_left : 0,
                              pg->finished, n_todo - pg->finished, sc->capacity);
    char etab[32], tookb[32];
    fmt_duration(eta, etab, sizeof etab);
    fmt_duration(took, tookb, sizeof tookb);
    fprintf(stderr, "%s[%d/%d] %-40s %-10s loss %-10.3g %s  ETA %s%s",
            pg->tty ? "\r\033[K" : "gnbench: ", pg->finished, n_todo, ex->runs[i].run_id,
            gn_run_status_name(d->res.status), d->res.final_train, tookb, etab,
            pg->tty && pg->finished < n_todo ? "" : "\n");
    if (d->res.status == GN_RUN_ERROR)
        fprintf(stderr, "%sgnbench: run %s: %s\n", pg->tty ? "\n" : "", ex->runs[i].run_id,
                d->res.message);
}

/* Runs the runs to do until all are recorded or the stop signal ended
 * them. Returns 0, or 1 when runs could not be started or collected;
 * *errors: runs recorded in error. */
static int run_loop(gn_sched *sc, const selection *sel, int *errors)
{
    int rc = 0;
    progress pg = {0};
    pg.tty = isatty(2);
    for (int t = 0; t < sel->n_todo; t++)
        pg.cost_left += (double)sel->cost[sel->todo[t]];
    struct sigaction old_int, old_term;
    gn_stop_handlers_install(&old_int, &old_term);
    while (pg.next < sel->n_todo || pg.active > 0) {
        if (gn_run_stop_signal && !pg.stopping) stop_runs(sc, sel, &pg);
        if (launch_runs(sc, sel, &pg) != 0) rc = 1;
        if (pg.active == 0) break;
        run_done d;
        memset(&d, 0, sizeof d);
        int s = -1, w = sc->ops->wait(sc, pg.stopping, &s, &d);
        if (w == GN_SCHED_AGAIN) continue;
        if (w == GN_SCHED_FAIL) rc = 1;
        if (w != GN_SCHED_GOT) break;
        record_run(sc, sel, &pg, s, &d);
    }
    gn_stop_handlers_restore(&old_int, &old_term);
    *errors = pg.errors;
    return rc;
}

/* ---- the end ---- */

/* The final manifest, the exit status, and for a shard the merge of the
 * folder when every shard has finished. */
static int finish(sweep *sw, const prepared *pp, int rc, int errors, int *tables_ready)
{
    const gn_experiment *ex = sw->ex;
    const gn_run_options *o = sw->opt;
    char end[32];
    gn_host_iso_now(end, sizeof end);
    int done = 0;
    for (int i = 0; i < ex->n_runs; i++)
        done += sw->cells[i] != NULL;
    gn_manifest_write(sw, end, done, pp->cache, pp->n_cache);
    if (errors) rc = 1;
    gn_runs_finish(sw); /* grid order; once more after a failure */
    if (sw->write_failed) {
        fprintf(stderr,
                "gnbench: the results in %s are incomplete: %s; run the same command again to "
                "resume once it can be written\n",
                sw->opt->out_dir, sw->write_err);
        rc = 1;
    }
    if (gn_run_stop_signal) {
        rc = 128 + gn_run_stop_signal;
        fprintf(stderr, "gnbench: interrupted; run the same command again to resume\n");
    } else if (o->shard_n > 0) {
        /* the last shard to finish merges the shared folder and draws */
        const char *dirs[1] = {o->out_dir};
        gn_merge_options mo = {dirs, 1, o->out_dir, o->command_line};
        char tag[48];
        snprintf(tag, sizeof tag, "shard-%d-of-%d", o->shard_k, o->shard_n);
        int merged = 0;
        /* its status reflects every shard's runs: this shard's exit status
         * stays its own */
        gn_merge_folders(ex, &mo, tag, 1, &merged);
        if (tables_ready) *tables_ready = merged;
        if (!merged)
            fprintf(stderr,
                    "gnbench: shard %d/%d done; runs.csv and the figures come when every shard has "
                    "finished (the last one merges), or now with: gnbench merge %s\n",
                    o->shard_k, o->shard_n, o->out_dir);
    } else if (tables_ready) {
        *tables_ready = 1;
    }
    return rc;
}

/* The selected runs, from the results folder's first files to the last. */
static int execute(sweep *sw, const prepared *pp, const selection *sel, const char *tdir, int jobs,
                   int mpi, int *tables_ready)
{
    if (gn_fs_mkdir_p(tdir) != 0) {
        fprintf(stderr, "gnbench: cannot create %s: %s\n", tdir, strerror(errno));
        return 1;
    }
    if (sw->opt->fresh) fresh_start(sw, sel);
    gn_folder_clean_temps(sw);
    if (gn_folder_set_aside(sw) != 0) return 1;
    if (write_experiment(sw) != 0 || start_tables(sw, pp, sel->n_todo) != 0) return 1;

    gn_sched sc = {.sw = sw, .pp = pp, .tdir = tdir};
    sched_open(&sc, mpi, jobs, sel->n_todo);
    sc.slots = calloc((size_t)sc.capacity, sizeof *sc.slots);
    if (!sc.slots) return 1;
    int errors = 0;
    int rc = run_loop(&sc, sel, &errors);
    free(sc.slots);
    return finish(sw, pp, rc, errors, tables_ready);
}

/* The sweep in the process that writes (the only one, or MPI rank 0). */
static int sweep_main(sweep *sw, const prepared *pp, const char *tdir, int jobs, int mpi,
                      int *tables_ready)
{
    gn_folder_locks lk = {.fd = -1, .shard_fd = -1};
    int rc = sw->opt->dry_run ? 0 : gn_folder_lock(sw->opt, &lk);
    if (rc == 0) rc = gn_folder_check_grid(sw->ex, sw->opt);
    if (rc != 0) {
        gn_folder_unlock(&lk);
        return rc;
    }
    selection sel;
    memset(&sel, 0, sizeof sel);
    rc = select_runs(sw, pp, mpi, &sel);
    if (rc == 0 && sw->opt->dry_run)
        dry_run_report(sw, &sel);
    else if (rc == 0)
        rc = execute(sw, pp, &sel, tdir, jobs, mpi, tables_ready);
    selection_free(&sel);
    if (sw->cells) {
        for (int i = 0; i < sw->ex->n_runs; i++)
            gn_runs_clear(sw, i);
        free(sw->cells);
    }
    free(sw->header);
    gn_runs_close(sw);
    gn_folder_unlock(&lk);
    return rc;
}

int gn_runner_run(const gn_experiment *ex, const gn_run_options *o, int *tables_ready)
{
    if (tables_ready) *tables_ready = 0;
    /* A closed stderr (`2>&1 | head -1`) or a file-size limit must not kill
     * the process that records the runs: writes fail with EPIPE or EFBIG
     * instead, and a failed write of a table is an error (run processes
     * inherit this: a trace that cannot be written is the run's error). */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    sweep sw;
    memset(&sw, 0, sizeof sw);
    sw.ex = ex;
    sw.opt = o;
    sw.runs_fd = -1;
    int jobs = o->jobs > 0 ? o->jobs : 1;
    /* By default the cores are shared among the runs at a time: each run
     * taking every core would oversubscribe the machine by `jobs` and slow
     * every step while the recorded step times look normal. */
    int cores = gn_available_cores();
    sw.threads = o->threads > 0 ? o->threads : (cores / jobs > 0 ? cores / jobs : 1);
    snprintf(sw.threads_desc, sizeof sw.threads_desc, "%d", sw.threads);
    int mpi = 0, worker = 0, mem_jobs = jobs;
    char tdir[GN_RUN_PATH];
    snprintf(tdir, sizeof tdir, "%s/traces", o->out_dir);
#ifdef GN_HAVE_MPI
    if (gn_mpi_active()) {
        mpi = 1;
        worker = gn_mpi_rank() != 0;
        gn_sched_mpi_layout(&sw, o->threads, &mem_jobs);
    }
#endif

    /* Everything that can fail on the input, before anything is written. */
    prepared pp;
    int rc = gn_prepare(ex, o, mem_jobs, &pp, worker);
#ifdef GN_HAVE_MPI
    if (mpi) rc = gn_mpi_agree(rc);
    if (worker) {
        if (rc == 0 && !o->dry_run) rc = gn_sched_mpi_worker(ex, &pp, tdir, sw.threads);
    } else if (rc == 0) {
        rc = sweep_main(&sw, &pp, tdir, jobs, mpi, tables_ready);
        if (mpi && !o->dry_run) gn_mpi_sched_end(); /* the workers wait for it */
    }
    free(sw.ranks);
#else
    if (rc == 0) rc = sweep_main(&sw, &pp, tdir, jobs, mpi, tables_ready);
#endif
    gn_prepared_free(&pp);
    return rc;
}
