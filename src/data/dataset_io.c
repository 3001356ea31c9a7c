/* dataset_io.c: the files of dataset packages: where they are, reading them
 * whole (inflating gzip with zlib, checking every byte), and numbers from
 * their text. The only dataset module that includes <zlib.h>.
 *
 * Lookup. A package file has its Debian path, e.g.
 * /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz. It is looked
 * for under $GNBENCH_DATA_ROOT (default "/", so the installed package), then
 * under the cache: $GNBENCH_DATA_CACHE when set, else
 * GN_SOURCE_ROOT/datasets/cache, which `bash datasets/fetch.sh` fills with
 * `apt-get download` + `dpkg-deb -x` (same layout, no root needed). Each
 * place is tried as named and with ".gz" appended.
 *
 * Fingerprints. The identity of a file is its size and zlib's crc32 of its
 * bytes as stored (a fast checksum, about 1 GB/s; not sha256, which
 * datasets/README.md lists for the package versions). gzip streams also
 * carry the crc32 and length of their contents, which inflate checks. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "data/dataset_impl.h"
#include "gn_config.h"

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Tries prefix + sys_path and prefix + sys_path + ".gz". */
static int try_at(const char *prefix, const char *sys_path, char *out, size_t outlen)
{
    size_t np = strlen(prefix);
    while (np > 0 && prefix[np - 1] == '/')
        np--;
    int n = snprintf(out, outlen, "%.*s%s", (int)np, prefix, sys_path);
    if (n > 0 && (size_t)n < outlen && is_file(out)) return 0;
    n = snprintf(out, outlen, "%.*s%s.gz", (int)np, prefix, sys_path);
    if (n > 0 && (size_t)n < outlen && is_file(out)) return 0;
    return -1;
}

int gn_ds_locate(const char *sys_path, const char *how, char *out, size_t outlen, char *err,
                 size_t errlen)
{
    const char *root = getenv("GNBENCH_DATA_ROOT");
    const char *cache = getenv("GNBENCH_DATA_CACHE");
    char cache_def[1024];
    if (!root || !*root) root = "";
    if (!cache || !*cache) {
        snprintf(cache_def, sizeof cache_def, "%s/datasets/cache", GN_SOURCE_ROOT);
        cache = cache_def;
    }
    if (try_at(root, sys_path, out, outlen) == 0) return 0;
    if (try_at(cache, sys_path, out, outlen) == 0) return 0;
    size_t n = strlen(sys_path);
    int gz = n > 3 && strcmp(sys_path + n - 3, ".gz") == 0;
    gn_ds_err(err, errlen, "%s%s: not found%s, nor under the cache %s; get it with: %s (in %s)",
              *root && strcmp(root, "/") != 0 ? root : "", sys_path, gz ? "" : " (nor .gz)", cache,
              how, GN_SOURCE_ROOT);
    out[0] = '\0';
    return -1;
}

void gn_blob_free(gn_blob *b)
{
    if (!b) return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* Inflates the gzip members in raw (n bytes) into b. */
static int inflate_all(const char *path, const unsigned char *raw, size_t n, gn_blob *b, char *err,
                       size_t errlen)
{
    if (n > UINT_MAX) {
        gn_ds_err(err, errlen, "%s: gzip file larger than 4 GiB is not supported", path);
        return -1;
    }
    /* the last member's trailer holds its length mod 2^32: a good first size */
    size_t cap = n >= 18 ? (size_t)raw[n - 4] | (size_t)raw[n - 3] << 8 | (size_t)raw[n - 2] << 16 |
                               (size_t)raw[n - 1] << 24
                         : 0;
    /* deflate expands at most 1032:1; a larger "length" is a broken trailer */
    if (cap < n || cap / 1032 > n) cap = 2 * n + 64;
    unsigned char *out = gn_ds_malloc(cap + 1);
    if (!out) {
        gn_ds_err(err, errlen, "%s: out of memory inflating (%zu bytes)", path, cap);
        return -1;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
        free(out);
        gn_ds_err(err, errlen, "%s: zlib inflateInit2 failed", path);
        return -1;
    }
    z.next_in = (unsigned char *)raw;
    z.avail_in = (uInt)n;
    size_t len = 0;
    int rc = -1;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap * 2;
            unsigned char *o = realloc(out, ncap + 1);
            if (!o) {
                gn_ds_err(err, errlen, "%s: out of memory inflating (%zu bytes)", path, ncap);
                goto done;
            }
            out = o;
            cap = ncap;
        }
        size_t room = cap - len;
        if (room > UINT_MAX) room = UINT_MAX;
        z.next_out = out + len;
        z.avail_out = (uInt)room;
        int r = inflate(&z, Z_NO_FLUSH);
        len += room - z.avail_out;
        size_t at = n - z.avail_in; /* compressed bytes consumed */
        if (r == Z_STREAM_END) {
            if (z.avail_in == 0) break;
            if (z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
                inflateReset(&z); /* another member */
                continue;
            }
            gn_ds_err(err, errlen,
                      "%s: byte %zu: %u bytes of trailing garbage after the gzip stream", path, at,
                      z.avail_in);
            goto done;
        }
        if (r == Z_OK) continue;
        if (r == Z_BUF_ERROR && z.avail_out == 0) continue; /* grow */
        if (r == Z_BUF_ERROR && z.avail_in == 0) {
            gn_ds_err(err, errlen,
                      "%s: byte %zu: truncated gzip file: the compressed data ends before the end "
                      "of the stream (%zu bytes inflated so far)",
                      path, at, len);
            goto done;
        }
        if (r == Z_MEM_ERROR) {
            gn_ds_err(err, errlen, "%s: out of memory in zlib", path);
            goto done;
        }
        gn_ds_err(err, errlen, "%s: byte %zu: corrupt gzip data: %s", path, at,
                  z.msg ? z.msg : "inflate failed");
        goto done;
    }
    out[len] = '\0';
    b->data = out;
    b->len = len;
    out = NULL;
    rc = 0;
done:
    inflateEnd(&z);
    free(out);
    return rc;
}

int gn_blob_read(const char *path, gn_blob *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    FILE *f = gn_ds_open_regular(path, err, errlen);
    if (!f) return -1;
    unsigned char *raw = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        gn_ds_err(err, errlen, "%s: cannot seek: %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    raw = gn_ds_malloc((size_t)size + 1);
    if (!raw) {
        gn_ds_err(err, errlen, "%s: out of memory (%ld bytes)", path, size);
        fclose(f);
        return -1;
    }
    size_t got = fread(raw, 1, (size_t)size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != (size_t)size) {
        gn_ds_err(err, errlen, "%s: read error after %zu of %ld bytes", path, got, size);
        free(raw);
        return -1;
    }
    if (size == 0) {
        gn_ds_err(err, errlen, "%s: empty file (0 bytes)", path);
        free(raw);
        return -1;
    }
    b->file_bytes = size;
    b->crc = (uint32_t)crc32_z(0L, raw, (z_size_t)size);
    if (size >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
        b->gz = 1;
        int rc = inflate_all(path, raw, (size_t)size, b, err, errlen);
        free(raw);
        if (rc) return -1;
        if (b->len == 0) {
            gn_ds_err(err, errlen, "%s: empty file (the gzip stream holds 0 bytes)", path);
            gn_blob_free(b);
            return -1;
        }
        return 0;
    }
    raw[size] = '\0';
    b->data = raw;
    b->len = (size_t)size;
    return 0;
}

void gn_ds_identity_file(char *id, size_t len, const char *label, const gn_blob *b)
{
    gn_ds_append(id, len, " %s:%lld:crc32=%08x", label, b->file_bytes, (unsigned)b->crc);
}

/* ---- numbers in text ---- */

void gn_text_init(gn_text *t, const char *path, const gn_blob *b)
{
    t->path = path;
    t->p = (const char *)b->data;
    t->end = t->p + b->len;
    t->line = 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int gn_text_line(gn_text *t, double *v, int max, int *count, char *err, size_t errlen)
{
    *count = 0;
    for (;;) {
        if (t->p >= t->end) return 0;
        const char *nl = memchr(t->p, '\n', (size_t)(t->end - t->p));
        const char *eol = nl ? nl : t->end;
        const char *s = t->p;
        t->line++;
        t->p = nl ? nl + 1 : t->end;
        while (s < eol && is_blank(*s))
            s++;
        if (s == eol) continue; /* blank line */
        int commas = memchr(s, ',', (size_t)(eol - s)) != NULL;
        int k = 0;
        for (;;) {
            while (s < eol && is_blank(*s))
                s++;
            const char *f = s;
            while (s < eol && !is_blank(*s) && *s != ',')
                s++;
            const char *fe = s;
            if (fe == f) {
                if (commas) {
                    gn_ds_err(err, errlen, "%s:%d: field %d is empty", t->path, t->line, k + 1);
                    return -1;
                }
                break; /* end of a blank-separated line */
            }
            /* the field is [f, fe); strtod stops at a blank, comma or newline */
            char *e;
            double x = strtod(f, &e);
            if (e != fe) {
                gn_ds_err(err, errlen, "%s:%d: field %d: '%.*s' is not a number", t->path, t->line,
                          k + 1, (int)(fe - f > 40 ? 40 : fe - f), f);
                return -1;
            }
            if (!isfinite(x)) {
                gn_ds_err(err, errlen,
                          "%s:%d: field %d: '%.*s' is not finite (NaN and Inf are not allowed)",
                          t->path, t->line, k + 1, (int)(fe - f > 40 ? 40 : fe - f), f);
                return -1;
            }
            if (k < max) v[k] = x;
            k++;
            while (s < eol && is_blank(*s))
                s++;
            if (s == eol) break;
            if (commas) {
                if (*s != ',') { /* "1 2,3": a blank inside a comma-separated field */
                    gn_ds_err(err, errlen, "%s:%d: field %d: blank inside a field", t->path,
                              t->line, k);
                    return -1;
                }
                s++;
                while (s < eol && is_blank(*s))
                    s++;
                if (s == eol) {
                    gn_ds_err(err, errlen, "%s:%d: field %d is empty (the line ends with a comma)",
                              t->path, t->line, k + 1);
                    return -1;
                }
            }
        }
        *count = k;
        return 1;
    }
}
