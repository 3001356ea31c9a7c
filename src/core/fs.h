/* fs.h: the file utilities, once: create folders, write and copy files
 * atomically, read a whole file. Every function returns 0 or -1; on -1,
 * errno says why (and err, where there is one, names the file). */
#ifndef GN_FS_H
#define GN_FS_H

#include <stddef.h>

/* Creates path and its missing parents (mode 0777 before the umask).
 * 0 when path is then a folder, even if it existed. */
int gn_fs_mkdir_p(const char *path);

/* Whether path names an existing file or folder. */
int gn_fs_exists(const char *path);

/* Writes len bytes to "<path>.tmp.<tag>.<pid>" (tag NULL: "<path>.tmp.<pid>"),
 * flushes them to disk and renames the file over path, so a reader sees the
 * old file or the new one, never a part. On failure the temporary file is
 * removed and err says "path: what failed: why". */
int gn_fs_write_atomic(const char *path, const void *data, size_t len, const char *tag, char *err,
                       size_t errlen);

/* Copies src to dst the same way. */
int gn_fs_copy_atomic(const char *src, const char *dst, const char *tag, char *err, size_t errlen);

/* Reads the whole of path into a new NUL-terminated buffer (*len bytes
 * before the NUL; the file may hold NUL bytes). At most max_bytes (0: 1 GiB).
 * On failure err says "path: cannot open: why" or "path: cannot read: why". */
int gn_fs_read_whole(const char *path, size_t max_bytes, char **out, size_t *len, char *err,
                     size_t errlen);

#endif
