/* gnuplot.c: the plotter's contact with the system: create the plots
 * folder, write a file atomically, find gnuplot in $PATH and run it on a
 * script in the plots folder. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fs.h"
#include "plot/plot_internal.h"

/* Writes `b` to "<path>.tmp.<pid>" and renames it over path (core/fs). */
int plot_write_atomic(const char *path, const sbuf *b, char *msg, size_t len)
{
    if (b->oom) {
        snprintf(msg, len, "%s: out of memory", path);
        return -1;
    }
    return gn_fs_write_atomic(path, sb_str(b), b->n, NULL, msg, len);
}

/* Full path of `prog` found in $PATH, or NULL (caller frees). */
char *plot_find_program(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path || !*path) return NULL;
    const char *p = path;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        sbuf b = {0};
        if (n == 0)
            sb_printf(&b, "./%s", prog);
        else
            sb_printf(&b, "%.*s/%s", (int)n, p, prog);
        struct stat st;
        if (!b.oom && stat(b.s, &st) == 0 && S_ISREG(st.st_mode) && access(b.s, X_OK) == 0)
            return b.s;
        sb_free(&b);
        if (!colon) return NULL;
        p = colon + 1;
    }
}

/* Runs `gnuplot script` with `dir` as working directory. Returns 0 on exit
 * status 0; otherwise -1 with gnuplot's error output in msg. Warnings of a
 * successful run are passed on to stderr. */
int plot_run_gnuplot(const char *gnuplot, const char *dir, const char *script, char *msg,
                     size_t len)
{
    int pfd[2];
    if (pipe(pfd) != 0) {
        snprintf(msg, len, "cannot run gnuplot: pipe: %s", strerror(errno));
        return -1;
    }
    fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
    fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, len, "cannot run gnuplot: fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls. */
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
        }
        dup2(pfd[1], 2);
        if (chdir(dir) != 0) {
            static const char m[] = "cannot change to the plots folder\n";
            ssize_t w = write(2, m, sizeof m - 1);
            (void)w;
            _exit(126);
        }
        execl(gnuplot, "gnuplot", script, (char *)NULL);
        static const char m[] = "cannot execute gnuplot\n";
        ssize_t w = write(2, m, sizeof m - 1);
        (void)w;
        _exit(127);
    }
    close(pfd[1]);
    char out[4096];
    size_t n = 0;
    for (;;) {
        char chunk[1024];
        ssize_t k = read(pfd[0], chunk, sizeof chunk);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        size_t take = (size_t)k;
        if (take > sizeof out - 1 - n) take = sizeof out - 1 - n;
        memcpy(out + n, chunk, take);
        n += take;
    }
    out[n] = '\0';
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(msg, len, "cannot run gnuplot: waitpid: %s", strerror(errno));
            return -1;
        }
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (out[i] == '\n') out[i] = ' ';
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (n > 0) fprintf(stderr, "plot: %s/%s: gnuplot: %s\n", dir, script, out);
        return 0;
    }
    if (WIFEXITED(status)) {
        sbuf m = {0};
        sb_printf(&m, "gnuplot %s failed (exit %d)%s%s", script, WEXITSTATUS(status), n ? ": " : "",
                  out);
        snprintf(msg, len, "%s", m.oom ? "gnuplot failed" : sb_str(&m));
        sb_free(&m);
    } else
        snprintf(msg, len, "gnuplot %s killed by signal %d", script,
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return -1;
}

int plot_lock_folder(const char *dir)
{
    sbuf path = {0};
    sb_printf(&path, "%s/.gnbench-plot.lock", dir);
    int fd = path.oom ? -1 : open(path.s, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    sb_free(&path);
    if (fd < 0) return -1; /* an unwritable folder: drawing reports why */
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) break;
    return fd;
}
