/* folder.c: a results folder belongs to one sweep at a time and to one
 * grid. The lock: a whole sweep holds an exclusive lock on
 * <out>/.gnbench.lock, a shard a shared one (the shards of a sweep run into
 * one folder at once by design) and an exclusive lock on
 * <out>/.gnbench.shard-K-of-N.lock; a process that cannot get its lock is
 * refused with the holder's pid. The locks are POSIX record locks (fcntl):
 * they name their holder, and a run process does not inherit them. The
 * grid check: a folder whose manifest records another experiment name or
 * another --quick is refused. And what a sweep cleans up when it takes the
 * folder: temporary files that a killed sweep left behind, rows of runs no
 * longer in the grid (moved to a side table before the table is rewritten). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "io/csvio.h"
#include "run/run_internal.h"

/* ---- the lock ---- */

/* Takes a lock of type (F_RDLCK, F_WRLCK) on path. 0 with *fd; 1 when
 * another process holds a conflicting lock (*holder its pid, 0 if unknown);
 * -1 with errno. Retries when the file was replaced under it (a holder
 * removes the file when it ends). */
static int lock_take(const char *path, short type, int *fd, pid_t *holder)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (f < 0) return -1;
        struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        if (fcntl(f, F_SETLK, &fl) != 0) {
            int e = errno;
            if (e != EACCES && e != EAGAIN) {
                close(f);
                errno = e;
                return -1;
            }
            struct flock q = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
            *holder = fcntl(f, F_GETLK, &q) == 0 && q.l_type != F_UNLCK ? q.l_pid : 0;
            close(f);
            return 1;
        }
        struct stat a, b;
        if (fstat(f, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev) {
            *fd = f;
            return 0;
        }
        close(f); /* locked a file that was removed meanwhile: take the new one */
    }
    errno = EAGAIN;
    return -1;
}

int gn_folder_lock(const gn_run_options *o, gn_folder_locks *lk)
{
    lk->fd = lk->shard_fd = -1;
    snprintf(lk->path, sizeof lk->path, "%s/.gnbench.lock", o->out_dir);
    lk->shard_path[0] = '\0';
    if (o->shard_n > 0)
        snprintf(lk->shard_path, sizeof lk->shard_path, "%s/.gnbench.shard-%d-of-%d.lock",
                 o->out_dir, o->shard_k, o->shard_n);
    if (gn_fs_mkdir_p(o->out_dir) != 0) {
        fprintf(stderr, "gnbench: cannot create %s: %s\n", o->out_dir, strerror(errno));
        return 1;
    }
    const char *paths[2] = {lk->path, lk->shard_path};
    short types[2] = {o->shard_n > 0 ? F_RDLCK : F_WRLCK, F_WRLCK};
    int *fds[2] = {&lk->fd, &lk->shard_fd};
    for (int q = 0; q < (o->shard_n > 0 ? 2 : 1); q++) {
        pid_t holder = 0;
        int rc = lock_take(paths[q], types[q], fds[q], &holder);
        if (rc == 0) continue;
        if (rc < 0) {
            /* a file system without locks: go on, as before locks existed */
            fprintf(stderr, "gnbench: warning: cannot lock %s: %s\n", paths[q], strerror(errno));
            continue;
        }
        char who[48] = "another process";
        if (holder > 0) snprintf(who, sizeof who, "pid %ld", (long)holder);
        fprintf(stderr,
                "gnbench: %s is in use by another gnbench run%s (%s holds %s); wait for it to "
                "end, or use another --out\n",
                o->out_dir, q == 1 ? " of this shard" : "", who, paths[q]);
        gn_folder_unlock(lk);
        return 2;
    }
    return 0;
}

/* Removes a lock file while holding it exclusively (so that nobody holds
 * it), then releases it. */
static void lock_drop(int *fd, const char *path)
{
    if (*fd < 0) return;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(*fd, F_SETLK, &fl) == 0) unlink(path);
    close(*fd);
    *fd = -1;
}

void gn_folder_unlock(gn_folder_locks *lk)
{
    lock_drop(&lk->shard_fd, lk->shard_path);
    lock_drop(&lk->fd, lk->path);
}

/* ---- the grid ---- */

int gn_folder_check_grid(const gn_experiment *ex, const gn_run_options *o)
{
    if (o->fresh) return 0;
    table_ref *tabs;
    int nt = gn_tables_list(o->out_dir, "manifest", &tabs);
    int rc = 0;
    for (int k = 0; k < nt && rc == 0; k++) {
        gn_table t;
        char err[256];
        if (gn_table_read(tabs[k].path, &t, err, sizeof err) != 0) continue;
        const char *name = NULL, *quick = NULL;
        if (t.n_cols == 2)
            for (int r = 0; r < t.n_rows; r++) {
                const char *key = gn_table_cell(&t, r, 0);
                if (strcmp(key, "experiment") == 0) name = gn_table_cell(&t, r, 1);
                if (strcmp(key, "quick") == 0) quick = gn_table_cell(&t, r, 1);
            }
        const char *want = o->quick ? "true" : "false";
        if ((name && strcmp(name, ex->name) != 0) || (quick && strcmp(quick, want) != 0)) {
            fprintf(stderr,
                    "gnbench: %s holds the results of experiment '%s'%s (%s); this is '%s'%s: use "
                    "another --out, or --fresh to start over there\n",
                    o->out_dir, name ? name : "?",
                    quick && strcmp(quick, "true") == 0 ? " with --quick" : "", tabs[k].name,
                    ex->name, o->quick ? " with --quick" : "");
            rc = 2;
        }
        gn_table_free(&t);
        break; /* the first manifest speaks for the folder */
    }
    free(tabs);
    return rc;
}

/* The first free "<table without .csv>.set-aside.<N>.csv" into out. */
static void set_aside_path(const char *table, char *out, size_t len)
{
    size_t base = strlen(table);
    if (base >= 4 && strcmp(table + base - 4, ".csv") == 0) base -= 4;
    for (int n = 1; n < 1000000; n++) {
        snprintf(out, len, "%.*s.set-aside.%d.csv", (int)base, table, n);
        if (!gn_fs_exists(out)) return;
    }
}

int gn_folder_set_aside(const sweep *sw)
{
    gn_table t;
    char err[512];
    if (!gn_fs_exists(sw->runs_path) ||
        gn_table_read_ex(sw->runs_path, GN_TABLE_KEEP_COMPLETE, &t, err, sizeof err) != 0)
        return 0;
    int cid = gn_table_col(&t, "run_id"), foreign = 0;
    gn_run_index ix;
    gn_run_index_init(&ix, sw->ex);
    for (int r = 0; cid >= 0 && r < t.n_rows; r++)
        foreign += gn_run_index_find(&ix, gn_table_cell(&t, r, cid)) < 0;
    gn_run_index_free(&ix);
    gn_table_free(&t);
    if (foreign == 0) return 0;
    char side[GN_RUN_PATH];
    set_aside_path(sw->runs_path, side, sizeof side);
    if (gn_fs_copy_atomic(sw->runs_path, side, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "gnbench: cannot set aside the rows of runs no longer in the grid: %s\n",
                err);
        return -1;
    }
    fprintf(stderr,
            "gnbench: %d row%s of runs no longer in the grid set aside in %s (a copy of the "
            "previous %s)\n",
            foreign, foreign == 1 ? "" : "s", side, strrchr(sw->runs_path, '/') + 1);
    return 0;
}

/* ---- temporary files ---- */

/* The pid that ends a temporary file's name ("<file>.tmp[.<tag>].<pid>"),
 * or 0 when name is not one. */
static long temp_pid(const char *name)
{
    const char *t = strstr(name, ".tmp.");
    const char *dot = strrchr(name, '.');
    if (!t || !dot || !dot[1]) return 0;
    char *end;
    long pid = strtol(dot + 1, &end, 10);
    return *end == '\0' && pid > 0 ? pid : 0;
}

/* Removes the temporary files in dir (named starting with prefix, when
 * not NULL) whose process is gone. Returns how many. */
static int clean_dir(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temp_pid(e->d_name);
        if (pid == 0 || (prefix && strncmp(e->d_name, prefix, strlen(prefix)) != 0)) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours to say */
        char p[GN_RUN_PATH];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        n += unlink(p) == 0;
    }
    closedir(d);
    return n;
}

void gn_folder_clean_temps(const sweep *sw)
{
    const gn_run_options *o = sw->opt;
    int n;
    if (o->shard_n > 0) {
        /* shards may run on other hosts: only this shard's own tables */
        const char *r = strrchr(sw->runs_path, '/'), *m = strrchr(sw->manifest_path, '/');
        n = clean_dir(o->out_dir, r + 1) + clean_dir(o->out_dir, m + 1);
    } else {
        char tdir[GN_RUN_PATH];
        snprintf(tdir, sizeof tdir, "%s/traces", o->out_dir);
        n = clean_dir(o->out_dir, NULL) + clean_dir(tdir, NULL);
    }
    if (n > 0)
        fprintf(stderr, "gnbench: removed %d temporary file%s left in %s by an earlier sweep\n", n,
                n == 1 ? "" : "s", o->out_dir);
}
