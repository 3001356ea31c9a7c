/* testhook.c: the test stop point (testhook.h). */
#define _GNU_SOURCE
#include "core/testhook.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void gn_test_hold(const char *run_id)
{
    const char *path = getenv("GNBENCH_TEST_HOLD");
    if (!path || !*path) return;
    const char *pattern = getenv("GNBENCH_TEST_HOLD_RUNS");
    if (pattern && *pattern && fnmatch(pattern, run_id, 0) != 0) return;
    char line[512];
    int n = snprintf(line, sizeof line, "%s %ld\n", run_id, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof line) _exit(4);
    /* O_APPEND: several held runs may report to one regular file; a FIFO
     * write of less than PIPE_BUF bytes is atomic. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "gnbench: GNBENCH_TEST_HOLD: cannot open %s: %s\n", path, strerror(errno));
        _exit(4);
    }
    ssize_t w = write(fd, line, (size_t)n);
    close(fd);
    if (w != n) _exit(4);
    for (;;)
        pause(); /* until a signal ends the process */
}
