/* context.c: what every step of loading an experiment shares (see
 * exp_internal.h): the error message "FILE:LINE: KEY: ...", the parse-time
 * arena (one allocation chain freed when loading ends; running out of
 * memory becomes the context's error, which is why the arena lives here
 * and not in core/) and the small text helpers the messages quote. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/exp_internal.h"

/* One arena allocation: this header, then the caller's bytes. */
struct chunk {
    struct chunk *next;
};

/* The header's size, rounded up so the bytes after it are aligned for anything. */
#define CHUNK_HDR                                                                                  \
    ((sizeof(chunk) + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) * _Alignof(max_align_t))

int gn_exp_fail(ctx *c, int line, int quick, const char *key, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->err || c->errlen == 0) return -1;
    if (key && *key)
        snprintf(c->err, c->errlen, "%s:%d: %s%s: %s", c->path, line, quick ? "quick." : "", key,
                 msg);
    else
        snprintf(c->err, c->errlen, "%s:%d: %s", c->path, line, msg);
    return -1;
}

int gn_exp_oom(ctx *c)
{
    if (c->err && c->errlen) snprintf(c->err, c->errlen, "%s: out of memory", c->path);
    return -1;
}

void *gn_exp_alloc(ctx *c, size_t n)
{
    chunk *k = calloc(1, CHUNK_HDR + n);
    if (!k) {
        gn_exp_oom(c);
        return NULL;
    }
    k->next = c->mem;
    c->mem = k;
    return (char *)k + CHUNK_HDR;
}

void gn_exp_arena_free(ctx *c)
{
    while (c->mem) {
        chunk *k = c->mem;
        c->mem = k->next;
        free(k);
    }
}

char *gn_exp_printf(ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = gn_exp_alloc(c, (size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void gn_exp_join(const char *const *v, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; v[i] && o < len; i++) {
        int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", v[i]);
        if (w < 0) break;
        o += (size_t)w;
    }
}

int gn_exp_in_list(const char *const *v, const char *s)
{
    for (int i = 0; v[i]; i++)
        if (strcmp(v[i], s) == 0) return 1;
    return 0;
}

int gn_exp_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_NAME) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

const char *gn_exp_shown(const ynode *n, char *buf, size_t len)
{
    if (n->null || !*n->str) return "nothing";
    size_t sl = strlen(n->str);
    if (sl > 60)
        snprintf(buf, len, "\"%.60s...\"", n->str);
    else
        snprintf(buf, len, "\"%s\"", n->str);
    return buf;
}
