/* sched_mpi.c: a sweep under mpirun. Rank 0 hands runs to the worker
 * ranks (one run at a time each, the costliest first) and records their
 * results; a worker rank runs what it is given, each run in a child
 * process as the local scheduler does. The transport is mpi_sched.h; this
 * file knows the runs. Compiled only with MPI (GN_HAVE_MPI). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/mpi_sched.h"
#include "run/run_internal.h"

void gn_sched_mpi_layout(sweep *sw, int threads_opt, int *mem_jobs)
{
    sw->threads = gn_mpi_layout(threads_opt, &sw->ranks, mem_jobs);
    if (gn_mpi_rank() != 0) return;
    int lo = 0, hi = 0;
    for (int r = 1; r < gn_mpi_size(); r++) {
        int t = sw->ranks[r].threads;
        if (!lo || t < lo) lo = t;
        if (t > hi) hi = t;
    }
    snprintf(sw->threads_desc, sizeof sw->threads_desc, lo == hi ? "%d" : "%d-%d", lo, hi);
}

/* ---- rank 0 ---- */

/* Gives run i to worker rank s + 1. */
static int mpi_launch(gn_sched *sc, int s, int i)
{
    if (gn_mpi_sched_give(s + 1, i) != 0) {
        fprintf(stderr, "gnbench: MPI: cannot send a run to rank %d\n", s + 1);
        return -1;
    }
    sc->slots[s] = (slot){1, -1, i, gn_now()};
    return 0;
}

/* The next reply of a worker rank (it is also the worker's request for
 * more). */
static int mpi_wait(gn_sched *sc, int stopping, int *s, run_done *d)
{
    int w = 0, run = -1;
    int g = gn_mpi_sched_wait(&w, &run, d, sizeof *d, &gn_run_stop_signal);
    if (g == 1) return GN_SCHED_AGAIN; /* stop signal: handled by the loop */
    if (g < 0) {
        fprintf(stderr, "gnbench: MPI: lost contact with the worker ranks\n");
        return GN_SCHED_FAIL;
    }
    int k = w - 1;
    if (k < 0 || k >= sc->capacity || sc->slots[k].pid == 0 || sc->slots[k].run != run)
        return GN_SCHED_AGAIN;
    *s = k;
    return GN_SCHED_GOT;
}

/* The launcher ends the worker ranks: records their runs as interrupted
 * now, and writes the table. */
static int mpi_stop(gn_sched *sc)
{
    int n = 0;
    for (int s = 0; s < sc->capacity; s++) {
        if (sc->slots[s].pid <= 0) continue;
        int i = sc->slots[s].run;
        run_done d;
        gn_child_failed(&d.res, 0, gn_run_stop_signal);
        gn_runs_fill(sc->sw, i, &d.res, 0, sc->pp->cache[sc->pp->ds_of[i]].ds.identity);
        sc->slots[s].pid = 0;
        n++;
    }
    gn_runs_write(sc->sw);
    return n;
}

const gn_sched_ops gn_sched_mpi_ops = {
    .launch = mpi_launch,
    .wait = mpi_wait,
    .stop = mpi_stop,
};

/* ---- a worker rank ---- */

/* Runs run i in a child process and waits for it; on the stop signal the
 * child is asked to end. d: what to reply. */
static void worker_run(const gn_experiment *ex, const prepared *pp, const char *tdir, int threads,
                       int i, run_done *d)
{
    const char *what;
    int fd, st = 0;
    if (i >= ex->n_runs) {
        gn_child_failed(&d->res, 0, 0);
        snprintf(d->res.message, sizeof d->res.message, "rank %d got unknown run %d", gn_mpi_rank(),
                 i);
        return;
    }
    pid_t pid = gn_child_spawn(ex, pp, tdir, threads, i, &fd, &what);
    if (pid < 0) {
        gn_child_failed(&d->res, 0, 0);
        snprintf(d->res.message, sizeof d->res.message, "rank %d: %s: %s", gn_mpi_rank(), what,
                 strerror(errno));
        return;
    }
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t got;
    int killed = 0;
    while ((got = wait4(pid, &st, 0, &ru)) < 0 && errno == EINTR)
        if (gn_run_stop_signal && !killed) kill(pid, SIGTERM), killed = 1;
    gn_child_collect(fd, got >= 0, st, gn_run_stop_signal, &d->res);
    d->rss_mib = ru.ru_maxrss / 1024.0;
    close(fd);
}

/* A worker rank: takes runs from rank 0, runs each in a child process (so
 * a crash costs that run only, reported as an error row), replies with the
 * result. On SIGINT/SIGTERM it ends its run and waits for rank 0's quit
 * without running anything more: rank 0 records the run as interrupted,
 * and a rank that exited early would make the launcher kill rank 0 before
 * it has written its tables. */
int gn_sched_mpi_worker(const gn_experiment *ex, const prepared *pp, const char *tdir, int threads)
{
    struct sigaction old_int, old_term;
    gn_stop_handlers_install(&old_int, &old_term);
    int rc = 0, i;
    for (;;) {
        int w = gn_mpi_work_next(&i, NULL);
        if (w == 0 && gn_run_stop_signal) continue; /* handed out before rank 0 saw the signal */
        if (w != 0) {
            if (w < 0) {
                fprintf(stderr, "gnbench: rank %d: lost contact with rank 0\n", gn_mpi_rank());
                rc = 1;
            }
            break;
        }
        run_done d;
        memset(&d, 0, sizeof d);
        worker_run(ex, pp, tdir, threads, i, &d);
        if (gn_run_stop_signal) continue; /* rank 0 records the run; wait for its quit */
        if (gn_mpi_work_reply(i, &d, sizeof d) != 0) {
            fprintf(stderr, "gnbench: rank %d: cannot reply to rank 0\n", gn_mpi_rank());
            rc = 1;
            break;
        }
    }
    gn_stop_handlers_restore(&old_int, &old_term);
    return gn_run_stop_signal ? 128 + gn_run_stop_signal : rc;
}
