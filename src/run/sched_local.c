/* sched_local.c: runs on this machine, one forked child process per run
 * (at most `jobs` at a time, one slot each), collected with wait4 so that
 * each run's peak memory is its own; a run whose process cannot be started
 * (no file descriptor for its pipe, no process) is recorded as an error
 * and the sweep starts no more; and the SIGINT/SIGTERM/SIGHUP handlers
 * every scheduler shares. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/run_internal.h"

volatile sig_atomic_t gn_run_stop_signal = 0;

/* SIGHUP (the terminal went away) is an interruption like the others. */
static struct sigaction old_hup;

static void on_stop_signal(int sig)
{
    gn_run_stop_signal = sig;
}

void gn_stop_handlers_install(struct sigaction *old_int, struct sigaction *old_term)
{
    gn_run_stop_signal = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: wait4 returns EINTR */
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
    sigaction(SIGHUP, &sa, &old_hup);
}

void gn_stop_handlers_restore(const struct sigaction *old_int, const struct sigaction *old_term)
{
    sigaction(SIGINT, old_int, NULL);
    sigaction(SIGTERM, old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
}

/* What to do about a run process that could not be started (errno e). */
static const char *spawn_hint(int e)
{
    if (e == EMFILE || e == ENFILE)
        return "raise the limit on open files (ulimit -n) or run fewer --jobs";
    if (e == EAGAIN) return "raise the limit on processes (ulimit -u) or run fewer --jobs";
    if (e == ENOMEM) return "free memory or run fewer --jobs";
    return "see the cause";
}

/* Run i's process could not be started (what failed, errno e): the run is
 * recorded as an error naming the cause, so that it is neither lost nor
 * taken as done (a rerun redoes it). */
static void record_unstarted(gn_sched *sc, int i, const char *what, int e)
{
    const char *name = strerrorname_np(e);
    run_result res;
    gn_child_failed(&res, 0, 0);
    snprintf(res.message, sizeof res.message,
             "the run process could not be started: %s: %s (%s); rerun to redo it", what,
             strerror(e), name ? name : "?");
    gn_runs_fill(sc->sw, i, &res, 0, sc->pp->cache[sc->pp->ds_of[i]].ds.identity);
    gn_runs_record(sc->sw, i);
    fprintf(stderr, "gnbench: run %s: %s; %s\n", sc->sw->ex->runs[i].run_id, res.message,
            spawn_hint(e));
}

static int local_launch(gn_sched *sc, int s, int i)
{
    const char *what;
    int fd;
    pid_t pid = gn_child_spawn(sc->sw->ex, sc->pp, sc->tdir, sc->sw->threads, i, &fd, &what);
    if (pid < 0) {
        record_unstarted(sc, i, what, errno);
        return GN_SCHED_UNSTARTED;
    }
    sc->slots[s] = (slot){pid, fd, i, gn_now()};
    return 0;
}

static int local_wait(gn_sched *sc, int stopping, int *s, run_done *d)
{
    int st;
    struct rusage ru;
    pid_t pid = wait4(-1, &st, 0, &ru);
    if (pid < 0) return errno == EINTR ? GN_SCHED_AGAIN : GN_SCHED_END;
    int k;
    for (k = 0; k < sc->capacity; k++)
        if (sc->slots[k].pid == pid) break;
    if (k == sc->capacity) return GN_SCHED_AGAIN;
    gn_child_collect(sc->slots[k].fd, 1, st, stopping ? gn_run_stop_signal : 0, &d->res);
    close(sc->slots[k].fd);
    d->rss_mib = ru.ru_maxrss / 1024.0;
    *s = k;
    return GN_SCHED_GOT;
}

/* Asks every running child to end; wait collects them as interrupted. */
static int local_stop(gn_sched *sc)
{
    for (int s = 0; s < sc->capacity; s++)
        if (sc->slots[s].pid > 0) kill(sc->slots[s].pid, SIGTERM);
    return 0;
}

const gn_sched_ops gn_sched_local_ops = {
    .launch = local_launch,
    .wait = local_wait,
    .stop = local_stop,
};
