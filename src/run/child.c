/* child.c: the processes a sweep forks. A run process trains one run
 * (train.c) and sends its result back through a pipe; a probe process
 * starts BLIS to report its version and kernels. The parent never starts
 * BLIS itself (OpenMP and fork do not mix). Also how the parent reads a
 * run process's result, or says why there is none. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/testhook.h"
#include "la/blas.h"
#include "run/run_internal.h"

void gn_child_probe_blis(int threads, probe_info *pi)
{
    memset(pi, 0, sizeof *pi);
    snprintf(pi->arch, sizeof pi->arch, "unknown");
    int fd[2];
    if (pipe(fd) != 0) return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        probe_info p = {{0}, {0}, {0}};
        gn_blas_init(threads);
        snprintf(p.arch, sizeof p.arch, "%s", gn_blas_arch());
        snprintf(p.version, sizeof p.version, "%s", gn_blas_version());
        snprintf(p.source, sizeof p.source, "%s", gn_blas_arch_source());
        ssize_t w = write(fd[1], &p, sizeof p);
        _exit(w == (ssize_t)sizeof p ? 0 : 1);
    }
    close(fd[1]);
    if (pid > 0) {
        probe_info p;
        if (read(fd[0], &p, sizeof p) == (ssize_t)sizeof p) *pi = p;
        waitpid(pid, NULL, 0);
    }
    close(fd[0]);
}

/* In the child: runs run i, sends its result through fd, exits. The child
 * dies with the process that forked it (parent): a run nobody will record is
 * not worth finishing, and a resume must not find it still running. */
static void child_main(const gn_experiment *ex, const prepared *pp, const char *tdir, int threads,
                       int i, int fd, pid_t parent)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(3);
    gn_test_hold(ex->runs[i].run_id);
    run_result res;
    memset(&res, 0, sizeof res);
    char tp[GN_RUN_PATH];
    snprintf(tp, sizeof tp, "%s/%s.csv", tdir, ex->runs[i].run_id);
    gn_run_train(&ex->runs[i], &pp->cache[pp->ds_of[i]].ds, tp, threads, &res);
    ssize_t wr = write(fd, &res, sizeof res);
    _exit(wr == (ssize_t)sizeof res ? 0 : 3);
}

pid_t gn_child_spawn(const gn_experiment *ex, const prepared *pp, const char *tdir, int threads,
                     int i, int *rfd, const char **what)
{
    int fd[2];
    if (pipe(fd) != 0) {
        *what = "pipe";
        return -1;
    }
    fflush(NULL);
    pid_t self = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        child_main(ex, pp, tdir, threads, i, fd[1], self);
    }
    int e = errno;
    close(fd[1]);
    if (pid < 0) {
        close(fd[0]);
        *what = "fork";
        errno = e;
        return -1;
    }
    *rfd = fd[0];
    return pid;
}

void gn_child_failed(run_result *res, int st, int interrupted_by)
{
    gn_run_result_init(res);
    res->wall_s = NAN;
    if (interrupted_by)
        snprintf(res->message, sizeof res->message, "interrupted (%s); rerun to redo it",
                 strsignal(interrupted_by));
    else if (WIFSIGNALED(st))
        snprintf(res->message, sizeof res->message, "run process killed by signal %d (%s)",
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
    else
        snprintf(res->message, sizeof res->message, "run process exited with status %d",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

void gn_child_collect(int fd, int waited, int st, int interrupted_by, run_result *res)
{
    ssize_t got = read(fd, res, sizeof *res);
    if (!waited || !(WIFEXITED(st) && WEXITSTATUS(st) == 0 && got == (ssize_t)sizeof *res))
        gn_child_failed(res, waited ? st : 0, interrupted_by);
}
