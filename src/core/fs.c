/* fs.c: see fs.h. */
#include "core/fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gn_fs_exists(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0;
}

int gn_fs_mkdir_p(const char *path)
{
    if (!path || !*path) {
        errno = ENOENT;
        return -1;
    }
    char *p = strdup(path);
    if (!p) return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0777) == 0 || errno == EEXIST ? 0 : -1;
    free(p);
    struct stat st;
    if (rc == 0 && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))) {
        errno = ENOTDIR;
        rc = -1;
    }
    return rc;
}

/* "<path>.tmp[.<tag>].<pid>" in a new string. */
static char *temp_name(const char *path, const char *tag)
{
    size_t n = strlen(path) + (tag ? strlen(tag) : 0) + 48;
    char *t = malloc(n);
    if (!t) return NULL;
    if (tag)
        snprintf(t, n, "%s.tmp.%s.%ld", path, tag, (long)getpid());
    else
        snprintf(t, n, "%s.tmp.%ld", path, (long)getpid());
    return t;
}

/* Writes the stream out, flushes it to disk, closes it and renames tmp over
 * path; removes tmp on any failure. */
static int commit_file(FILE *f, const char *tmp, const char *path, int bad, char *err,
                       size_t errlen)
{
    int e = bad ? errno : 0;
    if (!bad && (fflush(f) != 0 || fsync(fileno(f)) != 0)) bad = 1, e = errno;
    if (fclose(f) != 0 && !bad) bad = 1, e = errno;
    if (!bad && rename(tmp, path) != 0) bad = 1, e = errno;
    if (bad) {
        unlink(tmp);
        if (err) snprintf(err, errlen, "%s: cannot write: %s", path, strerror(e ? e : EIO));
        errno = e ? e : EIO;
        return -1;
    }
    return 0;
}

int gn_fs_write_atomic(const char *path, const void *data, size_t len, const char *tag, char *err,
                       size_t errlen)
{
    char *tmp = temp_name(path, tag);
    FILE *f = tmp ? fopen(tmp, "wb") : NULL;
    if (!f) {
        int e = tmp ? errno : ENOMEM;
        if (err) snprintf(err, errlen, "%s: cannot write: %s", path, strerror(e));
        free(tmp);
        errno = e;
        return -1;
    }
    int bad = len > 0 && fwrite(data, 1, len, f) != len;
    int rc = commit_file(f, tmp, path, bad, err, errlen);
    free(tmp);
    return rc;
}

int gn_fs_copy_atomic(const char *src, const char *dst, const char *tag, char *err, size_t errlen)
{
    FILE *in = fopen(src, "rb");
    if (!in) {
        if (err) snprintf(err, errlen, "%s: cannot read: %s", src, strerror(errno));
        return -1;
    }
    char *tmp = temp_name(dst, tag);
    FILE *out = tmp ? fopen(tmp, "wb") : NULL;
    if (!out) {
        int e = tmp ? errno : ENOMEM;
        if (err) snprintf(err, errlen, "%s: cannot write: %s", dst, strerror(e));
        fclose(in);
        free(tmp);
        errno = e;
        return -1;
    }
    char buf[65536];
    size_t n;
    int bad = 0;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) bad = 1;
    if (ferror(in)) {
        bad = 1;
        if (err) snprintf(err, errlen, "%s: cannot read: %s", src, strerror(errno));
        err = NULL; /* keep the read error */
    }
    fclose(in);
    int rc = commit_file(out, tmp, dst, bad, err, errlen);
    free(tmp);
    return rc;
}

int gn_fs_read_whole(const char *path, size_t max_bytes, char **out, size_t *len, char *err,
                     size_t errlen)
{
    *out = NULL;
    *len = 0;
    if (max_bytes == 0) max_bytes = (size_t)1 << 30;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = cap <= max_bytes ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    if (buf && n > max_bytes) free(buf), buf = NULL;
    if (!buf) {
        snprintf(err, errlen, "%s: cannot read: file too large or out of memory", path);
        return -1;
    }
    if (rerr) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(rerr));
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}
