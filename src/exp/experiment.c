/* experiment.c: experiment files (YAML) and their expansion into runs.
 *
 * Loading goes in four steps:
 *  1. the file is read and parsed with libyaml's document API, then copied
 *     into a small tree of our own (ynode) that keeps line numbers, resolves
 *     aliases and `<<` merge keys, and bounds nesting depth and size (so
 *     recursive aliases or alias bombs cannot hang or crash the loader);
 *     an aliased node is converted once and shared (the tree is never
 *     modified once built), while the size bound still counts every copy
 *     the aliases stand for, so an alias bomb is refused in microseconds;
 *  2. with --quick, the `quick:` mapping is deep-merged into the tree
 *     (mappings key by key, scalars and sequences replaced);
 *  3. every section is validated against its parameter table and collected
 *     as "items": a setting with one value or several (a sweep);
 *  4. the run grid is expanded: global sweeps outermost (first key slowest),
 *     then optimizer entries in file order, then the entry's own sweeps,
 *     then the seeds.
 * Without --quick the quick overrides are still expanded (and discarded) so
 * an error in them is reported by `gnbench check` rather than at bench time.
 *
 * Errors read "FILE:LINE: KEY: what was expected", KEY being a dotted path
 * such as model.width, optimizers[1].lr (entries count from 0) or
 * figures[0].kind; keys written inside `quick:` are prefixed with "quick.".
 * All temporary memory lives in an arena freed when loading ends. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "data/dataset.h"
#include "exp/experiment.h"
#include "model/loss.h"
#include "model/model_spec.h"
#include "optim/optim.h"
#include "core/rng.h"
#include "results/schema.h"
#include "exp/train.h"

static const gn_param seeds_param = {"seeds", GN_PARAM_INT, "1", 0, 9007199254740992.0,
                                     NULL,    "run seeds", 0};

static const char *const top_keys[] = {"name",  "description", "seeds", "dataset", "model", "loss",
                                       "train", "optimizers",  "quick", "figures", NULL};

static const char *const figure_keys[] = {"name",   "kind",  "x",    "y",    "series",
                                          "panels", "title", "logx", "logy", "where", NULL};
/* Figure axes come from the schema (schema.h): a trace's x is a trace
 * column flagged GN_COL_X, its y any other trace column (an optimizer's
 * included); a summary's y a numeric result column of runs.csv. */
enum { AXIS_TRACE_X, AXIS_TRACE_Y, AXIS_SUMMARY_Y };

static int axis_ok(int axis, const char *name)
{
    const gn_column *c;
    switch (axis) {
    case AXIS_TRACE_X:
        c = gn_schema_trace_column(name);
        return c && (c->flags & GN_COL_X);
    case AXIS_TRACE_Y:
        c = gn_schema_trace_column(name);
        return c && !(c->flags & GN_COL_X);
    default:
        for (c = gn_runs_result_columns; c->name; c++)
            if (strcmp(c->name, name) == 0) return c->type != GN_COL_TEXT && c->type != GN_COL_TEXT_PTR;
        return 0;
    }
}

/* "a, b, c": the columns an axis accepts (the writers' own, not an
 * optimizer's, as the message has always listed). */
static void join_axis(int axis, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    const gn_column *t = axis == AXIS_SUMMARY_Y ? gn_runs_result_columns : gn_trace_columns;
    int n = axis == AXIS_SUMMARY_Y ? -1 : GN_TC_COUNT;
    for (int i = 0; (n < 0 ? t[i].name != NULL : i < n) && o < len; i++) {
        if (!axis_ok(axis, t[i].name)) continue;
        int w = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", t[i].name);
        if (w < 0) break;
        o += (size_t)w;
    }
}

/* Limits that keep hostile input cheap: nesting, nodes after alias
 * expansion, pairs per mapping and items per sequence (duplicate checks
 * are quadratic in these), runs in the grid, name length. */
enum {
    MAX_DEPTH = 64,
    MAX_NODES = 1000000,
    MAX_KEYS = 1024,
    MAX_ITEMS = 10000,
    MAX_RUNS = 100000,
    MAX_NAME = 128
};

/* ---- arena and context ---- */

typedef struct chunk {
    struct chunk *next;
} chunk;

typedef struct ynode ynode;

typedef struct ctx {
    const char *path;
    char *err;
    size_t errlen;
    chunk *mem;   /* every temporary allocation */
    long budget;  /* nodes left before the tree is "too large" */
    int top_line; /* line of the top-level key being converted */
    ynode **memo; /* converted libyaml nodes, by 2 * node index + quick flag */
    size_t memo_n;
    char loss_choices[256];
    gn_param loss_param;
} ctx;

#define CHUNK_HDR                                                                                  \
    ((sizeof(chunk) + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) * _Alignof(max_align_t))

static int fail(ctx *c, int line, int quick, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static int fail(ctx *c, int line, int quick, const char *key, const char *fmt, ...)
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

static int fail_oom(ctx *c)
{
    if (c->err && c->errlen) snprintf(c->err, c->errlen, "%s: out of memory", c->path);
    return -1;
}

/* Zeroed memory freed with the arena; NULL (with the error set) when out of memory. */
static void *amalloc(ctx *c, size_t n)
{
    chunk *k = calloc(1, CHUNK_HDR + n);
    if (!k) {
        fail_oom(c);
        return NULL;
    }
    k->next = c->mem;
    c->mem = k;
    return (char *)k + CHUNK_HDR;
}

static void arena_free(ctx *c)
{
    while (c->mem) {
        chunk *k = c->mem;
        c->mem = k->next;
        free(k);
    }
}

static char *aprintf(ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static char *aprintf(ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = amalloc(c, (size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* "a, b, c" of a NULL-terminated list (or of a table's names). */
static void join_list(const char *const *v, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; v[i] && o < len; i++) {
        int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", v[i]);
        if (w < 0) break;
        o += (size_t)w;
    }
}

static void join_params(const gn_param *t, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; t && t[i].name && o < len; i++) {
        int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", t[i].name);
        if (w < 0) break;
        o += (size_t)w;
    }
}

static void join_optimizers(char *buf, size_t len)
{
    const char *names[64];
    int n = 0;
    for (int i = 0; gn_optimizers[i] && n < 63; i++)
        names[n++] = gn_optimizers[i]->name;
    names[n] = NULL;
    join_list(names, buf, len);
}

static void join_datasets(char *buf, size_t len)
{
    const char *names[64];
    int n = 0;
    for (int i = 0; gn_dataset_kinds[i].name && n < 63; i++)
        names[n++] = gn_dataset_kinds[i].name;
    names[n] = NULL;
    join_list(names, buf, len);
}

static int in_list(const char *const *v, const char *s)
{
    for (int i = 0; v[i]; i++)
        if (strcmp(v[i], s) == 0) return 1;
    return 0;
}

/* [a-z0-9_-]+ */
static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_NAME) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* ---- the tree ---- */

enum { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
    int kind, line;
    int quick;       /* written inside the quick: section */
    int null;        /* a plain empty, ~ or null scalar */
    const char *str; /* Y_SCALAR */
    int n;           /* items (Y_SEQ) or pairs (Y_MAP) */
    ynode **v;       /* items or values */
    const char **k;  /* Y_MAP keys */
    int *kline;      /* Y_MAP key lines */
    long size;       /* nodes in the expansion, this one included */
    int height;      /* levels below this node */
};

static const char *kind_name(const ynode *n)
{
    return n->kind == Y_MAP ? "a mapping" : n->kind == Y_SEQ ? "a sequence" : "a scalar";
}

static const ynode *map_get(const ynode *m, const char *key, int *kline)
{
    if (!m || m->kind != Y_MAP) return NULL;
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->k[i], key) == 0) {
            if (kline) *kline = m->kline[i];
            return m->v[i];
        }
    return NULL;
}

static int map_index(const ynode *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->k[i], key) == 0) return i;
    return -1;
}

static ynode *new_map(ctx *c, int cap, int line, int quick)
{
    ynode *m = amalloc(c, sizeof *m);
    if (!m) return NULL;
    m->kind = Y_MAP;
    m->line = line;
    m->quick = quick;
    if (cap > 0) {
        m->v = amalloc(c, (size_t)cap * sizeof *m->v);
        m->k = amalloc(c, (size_t)cap * sizeof *m->k);
        m->kline = amalloc(c, (size_t)cap * sizeof *m->kline);
        if (!m->v || !m->k || !m->kline) return NULL;
    }
    return m;
}

static int is_null_scalar(const yaml_node_t *y)
{
    if (y->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *s = (const char *)y->data.scalar.value;
    return y->data.scalar.length == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static ynode *to_tree(ctx *c, yaml_document_t *doc, yaml_node_t *y, int depth, int quick);

/* Size and height of a node from its converted children. */
static void set_extent(ynode *n, ynode *const *kids, int cnt)
{
    n->size = 1;
    n->height = 0;
    for (int i = 0; i < cnt; i++) {
        n->size += kids[i]->size;
        if (kids[i]->height + 1 > n->height) n->height = kids[i]->height + 1;
    }
}

/* Adds the pairs of a `<<` merge value (a mapping or a sequence of
 * mappings) that the mapping m does not define itself; m has room for them. */
static int merge_key(ctx *c, ynode *m, int cap, const ynode *src)
{
    int nm = src->kind == Y_SEQ ? src->n : 1;
    for (int j = 0; j < nm; j++) {
        const ynode *from = src->kind == Y_SEQ ? src->v[j] : src;
        if (from->kind != Y_MAP)
            return fail(c, from->line, from->quick, "<<",
                        "expected a mapping or a sequence of mappings to merge");
        for (int i = 0; i < from->n; i++) {
            if (map_index(m, from->k[i]) >= 0) continue; /* explicit or earlier keys win */
            if (m->n == cap) return fail(c, src->line, src->quick, "<<", "too many merged keys");
            m->k[m->n] = from->k[i];
            m->kline[m->n] = from->kline[i];
            m->v[m->n] = from->v[i];
            m->n++;
        }
    }
    return 0;
}

static ynode *convert(ctx *c, yaml_document_t *doc, yaml_node_t *y, int depth, int quick);

/* Converts y, or returns its earlier conversion (an alias), charging the
 * budget for the whole expansion either way. */
static ynode *to_tree(ctx *c, yaml_document_t *doc, yaml_node_t *y, int depth, int quick)
{
    size_t id = (size_t)(y - doc->nodes.start) * 2 + (quick != 0);
    ynode *n = id < c->memo_n ? c->memo[id] : NULL;
    if (!n) {
        n = convert(c, doc, y, depth, quick);
        if (n && id < c->memo_n) c->memo[id] = n;
        return n;
    }
    int line = (int)y->start_mark.line + 1;
    if (depth + n->height > MAX_DEPTH) {
        fail(c, line, quick, NULL, "nesting deeper than %d levels (a recursive alias?)", MAX_DEPTH);
        return NULL;
    }
    c->budget -= n->size;
    if (c->budget < 0) {
        fail(c, c->top_line ? c->top_line : line, quick, NULL,
             "the document expands to more than %d nodes (aliases of aliases?)", MAX_NODES);
        return NULL;
    }
    return n;
}

static ynode *convert(ctx *c, yaml_document_t *doc, yaml_node_t *y, int depth, int quick)
{
    int line = (int)y->start_mark.line + 1;
    if (depth > MAX_DEPTH) {
        fail(c, line, quick, NULL, "nesting deeper than %d levels (a recursive alias?)", MAX_DEPTH);
        return NULL;
    }
    if (--c->budget < 0) {
        fail(c, c->top_line ? c->top_line : line, quick, NULL,
             "the document expands to more than %d nodes (aliases of aliases?)", MAX_NODES);
        return NULL;
    }
    ynode *n;
    switch (y->type) {
    case YAML_SCALAR_NODE: {
        n = amalloc(c, sizeof *n);
        if (!n) return NULL;
        n->kind = Y_SCALAR;
        n->line = line;
        n->quick = quick;
        size_t len = y->data.scalar.length;
        if (memchr(y->data.scalar.value, '\0', len)) {
            fail(c, line, quick, NULL, "a NUL character is not allowed in a value");
            return NULL;
        }
        char *s = amalloc(c, len + 1);
        if (!s) return NULL;
        memcpy(s, y->data.scalar.value, len);
        n->str = s;
        n->null = is_null_scalar(y);
        n->size = 1;
        return n;
    }
    case YAML_SEQUENCE_NODE: {
        n = amalloc(c, sizeof *n);
        if (!n) return NULL;
        n->kind = Y_SEQ;
        n->line = line;
        n->quick = quick;
        int cnt = (int)(y->data.sequence.items.top - y->data.sequence.items.start);
        if (cnt > MAX_ITEMS) {
            fail(c, line, quick, NULL, "a sequence of %d items; at most %d are supported", cnt,
                 MAX_ITEMS);
            return NULL;
        }
        if (cnt > 0) {
            n->v = amalloc(c, (size_t)cnt * sizeof *n->v);
            if (!n->v) return NULL;
        }
        for (yaml_node_item_t *it = y->data.sequence.items.start; it < y->data.sequence.items.top;
             it++) {
            yaml_node_t *child = yaml_document_get_node(doc, *it);
            if (!child) {
                fail(c, line, quick, NULL, "malformed YAML document");
                return NULL;
            }
            ynode *cn = to_tree(c, doc, child, depth + 1, quick);
            if (!cn) return NULL;
            n->v[n->n++] = cn;
        }
        set_extent(n, n->v, n->n);
        return n;
    }
    case YAML_MAPPING_NODE: {
        int cnt = (int)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
        if (cnt > MAX_KEYS) {
            fail(c, line, quick, NULL, "a mapping of %d keys; at most %d are supported", cnt,
                 MAX_KEYS);
            return NULL;
        }
        /* Merge keys (<<) add pairs: the capacity counts them too. */
        int cap = cnt;
        ynode **merges = NULL;
        int nmerge = 0;
        for (yaml_node_pair_t *p = y->data.mapping.pairs.start; p < y->data.mapping.pairs.top;
             p++) {
            yaml_node_t *kn = yaml_document_get_node(doc, p->key);
            if (kn && kn->type == YAML_SCALAR_NODE &&
                strcmp((const char *)kn->data.scalar.value, "<<") == 0)
                nmerge++;
        }
        if (nmerge) {
            merges = amalloc(c, (size_t)nmerge * sizeof *merges);
            if (!merges) return NULL;
            nmerge = 0;
        }
        /* Convert children first so merged mappings' sizes are known. */
        ynode **kids = cnt ? amalloc(c, (size_t)cnt * sizeof *kids) : NULL;
        if (cnt && !kids) return NULL;
        for (int i = 0; i < cnt; i++) {
            yaml_node_pair_t *p = &y->data.mapping.pairs.start[i];
            yaml_node_t *kn = yaml_document_get_node(doc, p->key);
            yaml_node_t *vn = yaml_document_get_node(doc, p->value);
            if (!kn || !vn) {
                fail(c, line, quick, NULL, "malformed YAML document");
                return NULL;
            }
            if (kn->type != YAML_SCALAR_NODE) {
                fail(c, (int)kn->start_mark.line + 1, quick, NULL, "expected a plain key, got a %s",
                     kn->type == YAML_MAPPING_NODE ? "mapping" : "sequence");
                return NULL;
            }
            if (memchr(kn->data.scalar.value, '\0', kn->data.scalar.length)) {
                fail(c, (int)kn->start_mark.line + 1, quick, NULL,
                     "a NUL character is not allowed in a key");
                return NULL;
            }
            /* The quick: section's nodes are flagged so errors name it. */
            int childq =
                quick || (depth == 0 && strcmp((const char *)kn->data.scalar.value, "quick") == 0);
            if (depth == 0) c->top_line = (int)kn->start_mark.line + 1;
            kids[i] = to_tree(c, doc, vn, depth + 1, childq);
            if (!kids[i]) return NULL;
            if (strcmp((const char *)kn->data.scalar.value, "<<") == 0) {
                merges[nmerge++] = kids[i];
                const ynode *src = kids[i];
                if (src->kind == Y_MAP)
                    cap += src->n;
                else if (src->kind == Y_SEQ)
                    for (int j = 0; j < src->n; j++)
                        if (src->v[j]->kind == Y_MAP) cap += src->v[j]->n;
            }
        }
        if (cap > MAX_KEYS) {
            fail(c, line, quick, NULL, "merge keys give %d keys; at most %d are supported", cap,
                 MAX_KEYS);
            return NULL;
        }
        n = new_map(c, cap, line, quick);
        if (!n) return NULL;
        for (int i = 0; i < cnt; i++) {
            yaml_node_pair_t *p = &y->data.mapping.pairs.start[i];
            yaml_node_t *kn = yaml_document_get_node(doc, p->key);
            const char *key = (const char *)kn->data.scalar.value;
            int kline = (int)kn->start_mark.line + 1;
            if (strcmp(key, "<<") == 0) continue;
            int prev = map_index(n, key);
            if (prev >= 0) {
                fail(c, kline, quick, key, "duplicate key (first at line %d)", n->kline[prev]);
                return NULL;
            }
            char *ks = aprintf(c, "%s", key);
            if (!ks) return NULL;
            n->k[n->n] = ks;
            n->kline[n->n] = kline;
            n->v[n->n] = kids[i];
            n->n++;
        }
        for (int i = 0; i < nmerge; i++)
            if (merge_key(c, n, cap, merges[i]) != 0) return NULL;
        set_extent(n, kids, cnt);
        return n;
    }
    default:
        fail(c, line, quick, NULL, "malformed YAML document");
        return NULL;
    }
}

/* ---- file reading and YAML parsing ---- */

static int line_of_offset(const char *text, size_t len, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off && i < len; i++)
        if (text[i] == '\n') line++;
    return line;
}

static int yaml_fail(ctx *c, const yaml_parser_t *p, const char *text, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR) return fail_oom(c);
    int line = p->error == YAML_READER_ERROR ? line_of_offset(text, len, p->problem_offset)
                                             : (int)p->problem_mark.line + 1;
    const char *problem = p->problem ? p->problem : "unknown error";
    if (p->context)
        return fail(c, line, 0, NULL, "YAML syntax error: %s (%s at line %d)", problem, p->context,
                    (int)p->context_mark.line + 1);
    return fail(c, line, 0, NULL, "YAML syntax error: %s", problem);
}

static int read_file(ctx *c, const char *path, char **out, size_t *outlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(c->err, c->errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = cap < ((size_t)1 << 30) ? realloc(buf, cap * 2) : NULL;
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
    if (!buf) {
        snprintf(c->err, c->errlen, "%s: cannot read: file too large or out of memory", path);
        return -1;
    }
    if (rerr) {
        free(buf);
        snprintf(c->err, c->errlen, "%s: cannot read: %s", path, strerror(rerr));
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

/* Parses text into a tree. */
static ynode *parse_text(ctx *c, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc, doc2;
    if (!yaml_parser_initialize(&parser)) {
        fail_oom(c);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_fail(c, &parser, text, len);
        yaml_parser_delete(&parser);
        return NULL;
    }
    ynode *root = NULL;
    yaml_node_t *yroot = yaml_document_get_root_node(&doc);
    if (!yroot) {
        fail(c, 1, 0, NULL,
             "the file is empty; expected a mapping with at least name, dataset and optimizers");
        goto out;
    }
    /* A second document is an error, not silently ignored. */
    if (!yaml_parser_load(&parser, &doc2)) {
        yaml_fail(c, &parser, text, len);
        goto out;
    }
    yaml_node_t *yroot2 = yaml_document_get_root_node(&doc2);
    if (yroot2) {
        fail(c, (int)yroot2->start_mark.line + 1, 0, NULL,
             "a second YAML document; an experiment file holds exactly one");
        yaml_document_delete(&doc2);
        goto out;
    }
    yaml_document_delete(&doc2);
    if (yroot->type == YAML_SCALAR_NODE && is_null_scalar(yroot)) { /* "---" alone */
        fail(c, 1, 0, NULL,
             "the file is empty; expected a mapping with at least name, dataset and optimizers");
        goto out;
    }
    if (yroot->type != YAML_MAPPING_NODE) {
        fail(c, (int)yroot->start_mark.line + 1, 0, NULL,
             "expected a mapping with at least name, dataset and optimizers");
        goto out;
    }
    c->budget = MAX_NODES;
    c->memo_n = 2 * (size_t)(doc.nodes.top - doc.nodes.start);
    c->memo = amalloc(c, c->memo_n * sizeof *c->memo);
    if (!c->memo) goto out;
    root = to_tree(c, &doc, yroot, 0, 0);
    c->memo = NULL;
    c->memo_n = 0;
out:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return root;
}

/* ---- quick overrides ---- */

/* Deep merge: mappings key by key, everything else replaced. In a train
 * mapping, an override giving iterations or epochs replaces both. */
static ynode *merge(ctx *c, const ynode *base, ynode *over, int is_train)
{
    if (!base || base->kind != Y_MAP || over->kind != Y_MAP) return over;
    ynode *m = new_map(c, base->n + over->n, base->line, base->quick);
    if (!m) return NULL;
    int drop_len =
        is_train && (map_index(over, "iterations") >= 0 || map_index(over, "epochs") >= 0);
    for (int i = 0; i < base->n; i++) {
        if (drop_len &&
            (strcmp(base->k[i], "iterations") == 0 || strcmp(base->k[i], "epochs") == 0))
            continue;
        m->k[m->n] = base->k[i];
        m->kline[m->n] = base->kline[i];
        m->v[m->n] = base->v[i];
        m->n++;
    }
    for (int i = 0; i < over->n; i++) {
        int j = map_index(m, over->k[i]);
        if (j >= 0) {
            m->v[j] = merge(c, m->v[j], over->v[i], 0);
            if (!m->v[j]) return NULL;
            if (m->v[j] == over->v[i]) m->kline[j] = over->kline[i];
        } else {
            m->k[m->n] = over->k[i];
            m->kline[m->n] = over->kline[i];
            m->v[m->n] = over->v[i];
            m->n++;
        }
    }
    return m;
}

/* The tree without its quick: key, with the quick overrides merged in. */
static ynode *apply_quick(ctx *c, const ynode *root, const ynode *q)
{
    if (q->kind == Y_SCALAR && q->null) return (ynode *)root;
    if (q->kind != Y_MAP) {
        fail(c, q->line, 0, "quick", "expected a mapping of overrides, got %s", kind_name(q));
        return NULL;
    }
    ynode *m = new_map(c, root->n + q->n, root->line, 0);
    if (!m) return NULL;
    for (int i = 0; i < root->n; i++) {
        if (strcmp(root->k[i], "quick") == 0) continue;
        m->k[m->n] = root->k[i];
        m->kline[m->n] = root->kline[i];
        m->v[m->n] = root->v[i];
        m->n++;
    }
    for (int i = 0; i < q->n; i++) {
        const char *key = q->k[i];
        if (!in_list(top_keys, key) || strcmp(key, "name") == 0 || strcmp(key, "quick") == 0) {
            fail(c, q->kline[i], 1, key,
                 "%s; quick overrides description, seeds, dataset, model, loss, train, "
                 "optimizers or figures",
                 in_list(top_keys, key) ? "cannot be overridden" : "unknown key");
            return NULL;
        }
        int j = map_index(m, key);
        if (j < 0) {
            m->k[m->n] = key;
            m->kline[m->n] = q->kline[i];
            m->v[m->n] = q->v[i];
            m->n++;
            continue;
        }
        m->v[j] = merge(c, m->v[j], q->v[i], strcmp(key, "train") == 0);
        if (!m->v[j]) return NULL;
        if (m->v[j] == q->v[i]) m->kline[j] = q->kline[i];
    }
    return m;
}

/* ---- settings items ---- */

typedef struct val {
    const char *s;
    int line, quick;
} val;

/* One setting as written: a value, or several (a sweep). */
typedef struct item {
    const char *key;  /* setting key: "model.width", "opt.lr" */
    const char *path; /* for errors: "model.width", "optimizers[1].lr" */
    int line, quick;  /* of the key */
    int n;
    val *v;
} item;

typedef struct layer {
    item *it;
    int n, cap;
} layer;

static item *layer_add(ctx *c, layer *l)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        item *ni = amalloc(c, (size_t)cap * sizeof *ni);
        if (!ni) return NULL;
        if (l->n) memcpy(ni, l->it, (size_t)l->n * sizeof *ni);
        l->it = ni;
        l->cap = cap;
    }
    item *it = &l->it[l->n++];
    memset(it, 0, sizeof *it);
    return it;
}

static const item *layer_find(const layer *l, const char *key)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->it[i].key, key) == 0) return &l->it[i];
    return NULL;
}

static const char *shown(const ynode *n, char *buf, size_t len)
{
    if (n->null || !*n->str) return "nothing";
    size_t sl = strlen(n->str);
    if (sl > 60)
        snprintf(buf, len, "\"%.60s...\"", n->str);
    else
        snprintf(buf, len, "\"%s\"", n->str);
    return buf;
}

/* "an integer in [1, 1000000]", "true or false", ..., or "text". */
static void what_expected(const gn_param *p, char *buf, size_t len)
{
    if (gn_param_check(p, "", buf, len) == 0) snprintf(buf, len, "text");
}

static int check_value(ctx *c, const item *it, const gn_param *p, const ynode *n)
{
    char why[512], got[80];
    const char *text = n->null ? "" : n->str;
    if (gn_param_check(p, text, why, sizeof why) != 0)
        return fail(c, n->line, n->quick, it->path, "expected %s, got %s", why,
                    shown(n, got, sizeof got));
    if (!*text) return fail(c, n->line, n->quick, it->path, "expected a value, got nothing");
    int widths[GN_MAX_LAYERS];
    if (p == gn_param_find(gn_model_params, "hidden") &&
        gn_model_hidden_parse(text, widths, GN_MAX_LAYERS) < 0)
        return fail(c, n->line, n->quick, it->path,
                    "expected 1 to %.0f layer widths in [%.0f, %.0f] joined by '-' (e.g. "
                    "1000-500-250), got %s",
                    gn_param_find(gn_model_params, "depth")->max,
                    gn_param_find(gn_model_params, "width")->min,
                    gn_param_find(gn_model_params, "width")->max,
                    shown(n, got, sizeof got));
    return 0;
}

/* Fills it->v from node n (a scalar, or a sequence = a sweep, or for LIST
 * parameters the list itself) and validates every value against p. */
static int parse_values(ctx *c, item *it, const gn_param *p, const ynode *n)
{
    char desc[512];
    if (n->kind == Y_MAP) {
        what_expected(p, desc, sizeof desc);
        return fail(c, n->line, n->quick, it->path, "expected %s, got a mapping", desc);
    }
    if (p->type == GN_PARAM_LIST) {
        size_t total = 1;
        int cnt = n->kind == Y_SEQ ? n->n : 1;
        if (cnt == 0)
            return fail(c, n->line, n->quick, it->path, "expected a non-empty list, got []");
        for (int i = 0; i < cnt; i++) {
            const ynode *e = n->kind == Y_SEQ ? n->v[i] : n;
            if (e->kind != Y_SCALAR)
                return fail(c, e->line, e->quick, it->path, "expected a list of names, got %s",
                            kind_name(e));
            if (e->null || !*e->str)
                return fail(c, e->line, e->quick, it->path, "expected a name, got nothing");
            if (strchr(e->str, ';'))
                return fail(c, e->line, e->quick, it->path,
                            "expected names without ';', got \"%s\"", e->str);
            total += strlen(e->str) + 1;
        }
        char *s = amalloc(c, total);
        it->v = amalloc(c, sizeof *it->v);
        if (!s || !it->v) return -1;
        for (int i = 0; i < cnt; i++) {
            const ynode *e = n->kind == Y_SEQ ? n->v[i] : n;
            if (i) strcat(s, ";");
            strcat(s, e->str);
        }
        it->n = 1;
        it->v[0] = (val){s, n->line, n->quick};
        return 0;
    }
    int cnt = n->kind == Y_SEQ ? n->n : 1;
    if (cnt == 0)
        return fail(c, n->line, n->quick, it->path,
                    "empty sweep; give a value or a non-empty list of values");
    it->v = amalloc(c, (size_t)cnt * sizeof *it->v);
    if (!it->v) return -1;
    for (int i = 0; i < cnt; i++) {
        const ynode *e = n->kind == Y_SEQ ? n->v[i] : n;
        if (e->kind != Y_SCALAR) {
            what_expected(p, desc, sizeof desc);
            return fail(c, e->line, e->quick, it->path, "expected %s in the sweep, got %s", desc,
                        kind_name(e));
        }
        if (check_value(c, it, p, e) != 0) return -1;
        for (int j = 0; j < it->n; j++)
            if (strcmp(it->v[j].s, e->str) == 0)
                return fail(c, e->line, e->quick, it->path,
                            "the sweep lists \"%s\" twice (also at line %d)", e->str,
                            it->v[j].line);
        it->v[it->n++] = (val){e->str, e->line, e->quick};
    }
    return 0;
}

static int revalidate(ctx *c, const item *it, const gn_param *p)
{
    for (int i = 0; i < it->n; i++) {
        ynode tmp = {
            .kind = Y_SCALAR, .line = it->v[i].line, .quick = it->v[i].quick, .str = it->v[i].s};
        if (check_value(c, it, p, &tmp) != 0) return -1;
    }
    return 0;
}

/* ---- sections ---- */

typedef struct entry {
    const gn_optim_ops *ops;
    int index, line, quick;
    layer l; /* opt.* and train.* items */
} entry;

typedef struct spec {
    const char *name, *description;
    long *seeds;
    int n_seeds;
    layer global; /* dataset.*, model.*, train.*, loss in file order */
    entry *entries;
    int n_entries;
    const ynode *figures;
    int figures_line;
} spec;

static int expect_map(ctx *c, const ynode *n, const char *key, const char *what)
{
    if (n->kind == Y_MAP || (n->kind == Y_SCALAR && n->null)) return 0;
    return fail(c, n->line, n->quick, key, "expected a mapping of %s, got %s", what, kind_name(n));
}

static int parse_seeds(ctx *c, spec *sp, const ynode *n)
{
    item it = {.key = "seeds", .path = "seeds", .line = n->line, .quick = n->quick};
    if (parse_values(c, &it, &seeds_param, n) != 0) return -1;
    sp->seeds = amalloc(c, (size_t)it.n * sizeof *sp->seeds);
    if (!sp->seeds) return -1;
    for (int i = 0; i < it.n; i++)
        sp->seeds[i] = strtol(it.v[i].s, NULL, 10);
    for (int i = 0; i < it.n; i++)
        for (int j = 0; j < i; j++)
            if (sp->seeds[i] == sp->seeds[j])
                return fail(c, it.v[i].line, it.v[i].quick, "seeds",
                            "seed %ld is listed twice (also at line %d)", sp->seeds[i],
                            it.v[j].line);
    sp->n_seeds = it.n;
    return 0;
}

static int parse_dataset(ctx *c, spec *sp, const ynode *n, int kline, int kquick)
{
    char list[512];
    if (expect_map(c, n, "dataset", "dataset settings (name: teacher, ...)") != 0) return -1;
    int nline = 0;
    const ynode *name = map_get(n, "name", &nline);
    if (!name) {
        join_datasets(list, sizeof list);
        return fail(c, kline, kquick, "dataset.name", "missing; expected the dataset: one of %s",
                    list);
    }
    item *ni = layer_add(c, &sp->global);
    if (!ni) return -1;
    *ni =
        (item){.key = "dataset.name", .path = "dataset.name", .line = nline, .quick = name->quick};
    static const gn_param name_param = {"name", GN_PARAM_STRING, NULL, 0, 0, NULL, "dataset", 0};
    if (parse_values(c, ni, &name_param, name) != 0) return -1;
    const item nameitem = *ni; /* the layer may move */
    for (int i = 0; i < nameitem.n; i++) {
        if (!gn_dataset_kind_find(nameitem.v[i].s)) {
            join_datasets(list, sizeof list);
            return fail(c, nameitem.v[i].line, nameitem.v[i].quick, "dataset.name",
                        "unknown dataset \"%s\"; expected one of %s", nameitem.v[i].s, list);
        }
    }
    for (int i = 0; i < n->n; i++) {
        const char *key = n->k[i];
        if (strcmp(key, "name") == 0) continue;
        const gn_param *first = NULL;
        for (int j = 0; j < nameitem.n; j++) {
            const gn_dataset_kind *kind = gn_dataset_kind_find(nameitem.v[j].s);
            const gn_param *p = gn_param_find(kind->params, key);
            if (!p) {
                join_params(kind->params, list, sizeof list);
                char *path = aprintf(c, "dataset.%s", key);
                if (!path) return -1;
                return fail(c, n->kline[i], n->v[i]->quick, path,
                            "unknown key for dataset %s; expected one of name, %s", nameitem.v[j].s,
                            list);
            }
            if (!first) first = p;
        }
        item *it = layer_add(c, &sp->global);
        if (!it) return -1;
        it->key = it->path = aprintf(c, "dataset.%s", key);
        if (!it->key) return -1;
        it->line = n->kline[i];
        it->quick = n->v[i]->quick;
        if (parse_values(c, it, first, n->v[i]) != 0) return -1;
        for (int j = 1; j < nameitem.n; j++) {
            const gn_param *p = gn_param_find(gn_dataset_kind_find(nameitem.v[j].s)->params, key);
            if (p->type == GN_PARAM_LIST) continue;
            if (revalidate(c, it, p) != 0) return -1;
        }
    }
    return 0;
}

/* model: and train: sections against their tables. */
static int parse_section(ctx *c, spec *sp, const ynode *n, const char *sect, const gn_param *table)
{
    char list[512];
    if (expect_map(c, n, sect, strcmp(sect, "model") == 0 ? "model settings" : "train settings") !=
        0)
        return -1;
    int len_line = 0;
    const char *len_key = NULL;
    for (int i = 0; i < n->n; i++) {
        const char *key = n->k[i];
        char *path = aprintf(c, "%s.%s", sect, key);
        if (!path) return -1;
        const gn_param *p = gn_param_find(table, key);
        if (!p) {
            join_params(table, list, sizeof list);
            return fail(c, n->kline[i], n->v[i]->quick, path, "unknown key; expected one of %s",
                        list);
        }
        if (table == gn_train_params &&
            (strcmp(key, "iterations") == 0 || strcmp(key, "epochs") == 0)) {
            if (len_key)
                return fail(c, n->kline[i], n->v[i]->quick, path,
                            "give iterations or epochs, not both (%s at line %d)", len_key,
                            len_line);
            len_key = key;
            len_line = n->kline[i];
        }
        item *it = layer_add(c, &sp->global);
        if (!it) return -1;
        it->key = it->path = path;
        it->line = n->kline[i];
        it->quick = n->v[i]->quick;
        if (parse_values(c, it, p, n->v[i]) != 0) return -1;
    }
    if (table == gn_model_params) {
        int hi = map_index(n, "hidden");
        int wi = map_index(n, "width"), di = map_index(n, "depth");
        if (hi >= 0 && (wi >= 0 || di >= 0))
            return fail(c, n->kline[hi], n->v[hi]->quick, "model.hidden",
                        "replaces depth and width; give either hidden or depth/width");
    }
    return 0;
}

static int parse_entry(ctx *c, entry *e, const ynode *n, int index)
{
    char list[512], list2[512];
    e->index = index;
    e->line = n->line;
    e->quick = n->quick;
    char *epath = aprintf(c, "optimizers[%d]", index);
    if (!epath) return -1;
    if (n->kind != Y_MAP)
        return fail(c, n->line, n->quick, epath,
                    "expected a mapping such as {name: sgd, lr: 0.1}, got %s", kind_name(n));
    int nline = 0;
    const ynode *name = map_get(n, "name", &nline);
    join_optimizers(list, sizeof list);
    char *npath = aprintf(c, "%s.name", epath);
    if (!npath) return -1;
    if (!name) return fail(c, n->line, n->quick, npath, "missing; expected one of %s", list);
    if (name->kind != Y_SCALAR || name->null)
        return fail(c, name->line, name->quick, npath, "expected one optimizer name: one of %s",
                    list);
    e->ops = gn_optim_find(name->str);
    if (!e->ops) {
        char got[80];
        return fail(c, name->line, name->quick, npath, "unknown optimizer %s; expected one of %s",
                    shown(name, got, sizeof got), list);
    }
    int len_line = 0;
    const char *len_key = NULL;
    for (int i = 0; i < n->n; i++) {
        const char *key = n->k[i];
        if (strcmp(key, "name") == 0) continue;
        char *path = aprintf(c, "%s.%s", epath, key);
        if (!path) return -1;
        const gn_param *p = gn_param_find(e->ops->params, key);
        const char *sect = "opt";
        if (!p) {
            p = gn_param_find(gn_train_params, key);
            sect = "train";
        }
        if (!p) {
            join_params(e->ops->params, list, sizeof list);
            join_params(gn_train_params, list2, sizeof list2);
            return fail(c, n->kline[i], n->v[i]->quick, path,
                        "unknown key; expected a hyperparameter of %s (%s) or a train setting "
                        "(%s)",
                        e->ops->name, list, list2);
        }
        if (p == gn_param_find(gn_train_params, "batch") && e->ops->full_batch) {
            size_t o = 0;
            list[0] = '\0';
            for (int j = 0; gn_optimizers[j]; j++)
                if (!gn_optimizers[j]->full_batch && o < sizeof list)
                    o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "",
                                          gn_optimizers[j]->name);
            return fail(c, n->kline[i], n->v[i]->quick, path,
                        "%s is full-batch (every step uses the whole training set); for "
                        "mini-batches use one of %s",
                        e->ops->name, list);
        }
        if (strcmp(sect, "train") == 0 &&
            (strcmp(key, "iterations") == 0 || strcmp(key, "epochs") == 0)) {
            if (len_key)
                return fail(c, n->kline[i], n->v[i]->quick, path,
                            "give iterations or epochs, not both (%s at line %d)", len_key,
                            len_line);
            len_key = key;
            len_line = n->kline[i];
        }
        item *it = layer_add(c, &e->l);
        if (!it) return -1;
        it->key = aprintf(c, "%s.%s", sect, key);
        if (!it->key) return -1;
        it->path = path;
        it->line = n->kline[i];
        it->quick = n->v[i]->quick;
        if (parse_values(c, it, p, n->v[i]) != 0) return -1;
    }
    return 0;
}

static int parse_root(ctx *c, spec *sp, const ynode *root)
{
    char list[512];
    for (int i = 0; i < root->n; i++) {
        if (!in_list(top_keys, root->k[i])) {
            join_list(top_keys, list, sizeof list);
            return fail(c, root->kline[i], root->v[i]->quick, root->k[i],
                        "unknown key; expected one of %s", list);
        }
    }
    int kl = 1;
    const ynode *n = map_get(root, "name", &kl);
    if (!n) return fail(c, 1, 0, "name", "missing; expected the experiment's name ([a-z0-9_-]+)");
    if (n->kind != Y_SCALAR || n->null || !name_ok(n->str)) {
        char got[80];
        return fail(c, n->line, n->quick, "name",
                    "expected a name of 1 to %d characters from [a-z0-9_-], got %s", MAX_NAME,
                    n->kind == Y_SCALAR ? shown(n, got, sizeof got) : kind_name(n));
    }
    sp->name = n->str;
    n = map_get(root, "description", &kl);
    if (n) {
        if (n->kind != Y_SCALAR)
            return fail(c, n->line, n->quick, "description", "expected text, got %s", kind_name(n));
        sp->description = n->str;
    }
    n = map_get(root, "seeds", &kl);
    if (n) {
        if (parse_seeds(c, sp, n) != 0) return -1;
    } else {
        sp->seeds = amalloc(c, sizeof *sp->seeds);
        if (!sp->seeds) return -1;
        sp->seeds[0] = 1;
        sp->n_seeds = 1;
    }
    /* Global settings in file order so that the first swept key varies slowest. */
    int have_dataset = 0;
    for (int i = 0; i < root->n; i++) {
        const char *key = root->k[i];
        const ynode *v = root->v[i];
        if (strcmp(key, "dataset") == 0) {
            have_dataset = 1;
            if (parse_dataset(c, sp, v, root->kline[i], v->quick) != 0) return -1;
        } else if (strcmp(key, "model") == 0) {
            if (parse_section(c, sp, v, "model", gn_model_params) != 0) return -1;
        } else if (strcmp(key, "train") == 0) {
            if (parse_section(c, sp, v, "train", gn_train_params) != 0) return -1;
        } else if (strcmp(key, "loss") == 0) {
            item *it = layer_add(c, &sp->global);
            if (!it) return -1;
            *it = (item){.key = "loss", .path = "loss", .line = root->kline[i], .quick = v->quick};
            if (parse_values(c, it, &c->loss_param, v) != 0) return -1;
        }
    }
    if (!have_dataset) {
        join_datasets(list, sizeof list);
        return fail(c, 1, 0, "dataset", "missing; expected a mapping with name: one of %s", list);
    }
    n = map_get(root, "optimizers", &kl);
    if (!n) {
        join_optimizers(list, sizeof list);
        return fail(c, 1, 0, "optimizers",
                    "missing; expected a list of optimizer entries such as {name: sgd}; "
                    "optimizers: %s",
                    list);
    }
    if (n->kind != Y_SEQ || n->n == 0)
        return fail(c, n->line, n->quick, "optimizers",
                    "expected a non-empty list of optimizer entries such as {name: sgd}, got %s",
                    n->kind == Y_SEQ ? "an empty list" : kind_name(n));
    sp->entries = amalloc(c, (size_t)n->n * sizeof *sp->entries);
    if (!sp->entries) return -1;
    for (int i = 0; i < n->n; i++) {
        if (parse_entry(c, &sp->entries[i], n->v[i], i) != 0) return -1;
        sp->n_entries++;
    }
    n = map_get(root, "figures", &kl);
    if (n && !(n->kind == Y_SCALAR && n->null)) {
        if (n->kind != Y_SEQ)
            return fail(c, n->line, n->quick, "figures",
                        "expected a list of figures such as {name: loss, kind: trace, x: "
                        "iteration, y: train_loss}, got %s",
                        kind_name(n));
        sp->figures = n;
        sp->figures_line = kl;
    }
    return 0;
}

/* ---- expansion ---- */

static int cmp_setting_ptr(const void *a, const void *b)
{
    const gn_setting *x = *(const gn_setting *const *)a, *y = *(const gn_setting *const *)b;
    return strcmp(x->key, y->key);
}

/* FNV-1a 64 of the settings' canonical text: "key=value\n" sorted by key. */
static uint64_t settings_hash(const gn_settings *s, int *oom)
{
    const gn_setting **v = malloc((size_t)(s->n ? s->n : 1) * sizeof *v);
    if (!v) {
        *oom = 1;
        return 0;
    }
    for (int i = 0; i < s->n; i++)
        v[i] = &s->v[i];
    qsort(v, (size_t)s->n, sizeof *v, cmp_setting_ptr);
    uint64_t h = GN_HASH_INIT;
    for (int i = 0; i < s->n; i++) {
        h = gn_hash_str(v[i]->key, h);
        h = gn_hash_str("=", h);
        h = gn_hash_str(v[i]->value, h);
        h = gn_hash_str("\n", h);
    }
    free(v);
    return h;
}

/* Whether a global item applies to entry e (else the entry overrides or drops it). */
static int global_effective(const entry *e, const char *key)
{
    if (strncmp(key, "train.", 6) != 0) return 1;
    const char *k = key + 6;
    if (layer_find(&e->l, key)) return 0;
    if (strcmp(k, "iterations") == 0 && layer_find(&e->l, "train.epochs")) return 0;
    if (strcmp(k, "epochs") == 0 && layer_find(&e->l, "train.iterations")) return 0;
    if (strcmp(k, "batch") == 0 && e->ops->full_batch) return 0;
    return 1;
}

static const char *value_at(const layer *l, const int *idx, const char *key)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->it[i].key, key) == 0) return l->it[i].v[idx[i]].s;
    return NULL;
}

static int set_table(ctx *c, gn_settings *s, const char *sect, const gn_param *t, const spec *sp,
                     const int *gidx, const entry *e, const int *eidx)
{
    char key[160];
    for (int i = 0; t[i].name; i++) {
        snprintf(key, sizeof key, "%s.%s", sect, t[i].name);
        const char *v = e ? value_at(&e->l, eidx, key) : NULL;
        if (!v && (!e || global_effective(e, key))) v = value_at(&sp->global, gidx, key);
        if (!v) v = t[i].def;
        if (strcmp(sect, "train") == 0) {
            int iter = strcmp(t[i].name, "iterations") == 0;
            int epochs = strcmp(t[i].name, "epochs") == 0;
            if (iter || epochs) {
                const char *other = iter ? "train.epochs" : "train.iterations";
                const char *self_e = value_at(&e->l, eidx, key);
                const char *other_e = value_at(&e->l, eidx, other);
                const char *other_g = value_at(&sp->global, gidx, other);
                if (other_e)
                    v = NULL; /* the entry chose the other */
                else if (!self_e && other_g)
                    v = NULL; /* the file chose the other */
            }
            if (strcmp(t[i].name, "batch") == 0 && e->ops->full_batch) v = NULL;
        }
        if (v && gn_settings_set(s, key, v) != 0) return fail_oom(c);
    }
    return 0;
}

/* Whether the optimizer supports the loss named `loss`. */
static int loss_supported(const gn_optim_ops *ops, const char *loss)
{
    gn_loss_kind k;
    return gn_loss_parse(loss, &k) == 0 && gn_optim_supports(ops, k);
}

/* The losses ops supports, "square|xent|bxent" style. */
static void losses_text(const gn_optim_ops *ops, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int k = 0; k < GN_LOSS_COUNT && o < len; k++)
        if (gn_optim_supports(ops, (gn_loss_kind)k))
            o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "|" : "", gn_loss_name(k));
}

static int resolve(ctx *c, gn_settings *s, const spec *sp, const int *gidx, const entry *e,
                   const int *eidx)
{
    char key[160];
    const char *dname = value_at(&sp->global, gidx, "dataset.name");
    const gn_dataset_kind *kind = gn_dataset_kind_find(dname);
    if (gn_settings_set(s, "dataset.name", dname) != 0) return fail_oom(c);
    if (set_table(c, s, "dataset", kind->params, sp, gidx, NULL, NULL) != 0) return -1;
    if (set_table(c, s, "model", gn_model_params, sp, gidx, NULL, NULL) != 0) return -1;
    if (set_table(c, s, "train", gn_train_params, sp, gidx, e, eidx) != 0) return -1;
    const char *loss = value_at(&sp->global, gidx, "loss");
    if (!loss) loss = c->loss_param.def;
    if (!loss_supported(e->ops, loss)) {
        char list[64];
        losses_text(e->ops, list, sizeof list);
        return fail(c, e->line, e->quick, "loss",
                    "optimizer %s does not support loss %s; it supports %s", e->ops->name, loss,
                    list);
    }
    if (gn_settings_set(s, "loss", loss) != 0) return fail_oom(c);
    const gn_param *t = e->ops->params;
    for (int i = 0; t && t[i].name; i++) {
        snprintf(key, sizeof key, "opt.%s", t[i].name);
        const char *v = value_at(&e->l, eidx, key);
        if (!v) v = t[i].def;
        if (v && gn_settings_set(s, key, v) != 0) return fail_oom(c);
    }
    return 0;
}

/* Advances a mixed-radix counter, last digit fastest. Returns 0 at wrap-around. */
static int next_index(int *idx, const layer *l)
{
    for (int i = l->n - 1; i >= 0; i--) {
        if (++idx[i] < l->it[i].n) return 1;
        idx[i] = 0;
    }
    return 0;
}

static double grid_size(const layer *l)
{
    double g = 1;
    for (int i = 0; i < l->n; i++)
        g *= l->it[i].n;
    return g;
}

static void run_spec_free(gn_run_spec *r)
{
    free(r->hparams);
    gn_settings_free(&r->settings);
}

/* The typed run: what every layer below reads instead of the text. The
 * values were checked when the file was read; a failure here is a table
 * that does not agree with its own defaults. */
static int bind_run(ctx *c, gn_run_spec *r, const entry *e)
{
    char why[256];
    r->optim = e->ops;
    if (gn_loss_parse(gn_settings_get(&r->settings, "loss"), &r->loss) != 0)
        return fail(c, e->line, e->quick, "loss", "unknown loss");
    r->hparams = gn_optim_bind(e->ops, &r->settings, why, sizeof why);
    if (!r->hparams ||
        gn_params_bind(gn_model_params, &r->settings, "model.", &r->model, why, sizeof why) != 0 ||
        gn_params_bind(gn_train_params, &r->settings, "train.", &r->train, why, sizeof why) != 0)
        return fail(c, e->line, e->quick, e->ops->name, "%s", why);
    return 0;
}

static int push_run(ctx *c, gn_experiment *ex, int *cap, int **lines, const entry *e, long seed,
                    uint64_t h, const gn_settings *s)
{
    if (ex->n_runs == *cap) {
        int ncap = *cap ? 2 * *cap : 64;
        gn_run_spec *nr = realloc(ex->runs, (size_t)ncap * sizeof *nr);
        if (!nr) return fail_oom(c);
        ex->runs = nr;
        int *nl = realloc(*lines, (size_t)ncap * sizeof *nl);
        if (!nl) return fail_oom(c);
        *lines = nl;
        *cap = ncap;
    }
    gn_run_spec *r = &ex->runs[ex->n_runs];
    memset(r, 0, sizeof *r);
    if (gn_settings_copy(&r->settings, s) != 0) return fail_oom(c);
    r->seed = seed;
    if (bind_run(c, r, e) != 0) {
        run_spec_free(r);
        return -1;
    }
    snprintf(r->run_id, sizeof r->run_id, "%s-s%ld-%012llx", e->ops->name, seed,
             (unsigned long long)(h >> 16));
    (*lines)[ex->n_runs] = e->index;
    ex->n_runs++;
    return 0;
}

typedef struct run_ref {
    const char *id;
    int i;
} run_ref;

static int cmp_ids(const void *a, const void *b)
{
    const run_ref *x = a, *y = b;
    int r = strcmp(x->id, y->id);
    return r ? r : (x->i > y->i) - (x->i < y->i);
}

/* The same settings twice (two identical entries) would write one trace
 * for two runs: an error naming the later entry. */
static int check_duplicates(ctx *c, const gn_experiment *ex, const spec *sp, const int *entry_of)
{
    int n = ex->n_runs;
    run_ref *ord = malloc((size_t)(n ? n : 1) * sizeof *ord);
    if (!ord) return fail_oom(c);
    for (int i = 0; i < n; i++)
        ord[i] = (run_ref){ex->runs[i].run_id, i};
    qsort(ord, (size_t)n, sizeof *ord, cmp_ids);
    int rc = 0;
    for (int i = 1; i < n && rc == 0; i++) {
        if (strcmp(ord[i].id, ord[i - 1].id) != 0) continue;
        const entry *e = &sp->entries[entry_of[ord[i].i]];
        const entry *f = &sp->entries[entry_of[ord[i - 1].i]];
        char path[40];
        snprintf(path, sizeof path, "optimizers[%d]", e->index);
        rc = fail(c, e->line, e->quick, path,
                  "repeats the settings of optimizers[%d] (line %d), so run %s would run twice; "
                  "remove one or change a setting",
                  f->index, f->line, ord[i].id);
    }
    free(ord);
    return rc;
}

static int expand(ctx *c, const spec *sp, gn_experiment *ex)
{
    /* Bound the grid before expanding it. */
    double total = 0, g = grid_size(&sp->global);
    for (int i = 0; i < sp->n_entries; i++)
        total += g * grid_size(&sp->entries[i].l);
    total *= sp->n_seeds;
    if (total > MAX_RUNS)
        return fail(c, 1, 0, NULL, "the run grid has %.0f runs; at most %d are supported", total,
                    MAX_RUNS);
    int cap = 0, rc = 0;
    int *entry_of = NULL;
    int *gidx = calloc((size_t)sp->global.n + 1, sizeof *gidx);
    gn_settings s;
    gn_settings_init(&s);
    if (!gidx) return fail_oom(c);
    do {
        for (int ei = 0; ei < sp->n_entries && rc == 0; ei++) {
            const entry *e = &sp->entries[ei];
            /* Runs that differ only in a global setting this entry overrides
             * or drops are the same run: keep the first. */
            int skip = 0;
            for (int i = 0; i < sp->global.n; i++)
                if (gidx[i] != 0 && !global_effective(e, sp->global.it[i].key)) skip = 1;
            if (skip) continue;
            int *eidx = calloc((size_t)e->l.n + 1, sizeof *eidx);
            if (!eidx) {
                rc = fail_oom(c);
                break;
            }
            do {
                gn_settings_free(&s);
                rc = resolve(c, &s, sp, gidx, e, eidx);
                int oom = 0;
                uint64_t h = rc == 0 ? settings_hash(&s, &oom) : 0;
                if (oom) rc = fail_oom(c);
                for (int k = 0; k < sp->n_seeds && rc == 0; k++)
                    rc = push_run(c, ex, &cap, &entry_of, e, sp->seeds[k], h, &s);
            } while (rc == 0 && next_index(eidx, &e->l));
            free(eidx);
        }
    } while (rc == 0 && next_index(gidx, &sp->global));
    gn_settings_free(&s);
    free(gidx);
    if (rc == 0) rc = check_duplicates(c, ex, sp, entry_of);
    free(entry_of);
    return rc;
}

/* Column order: dataset.name, dataset.*, model.*, train.* (table order),
 * loss, opt.* (first appearance). */
typedef struct col {
    const char *key;
    long rank;
} col;

static int cmp_col(const void *a, const void *b)
{
    long x = ((const col *)a)->rank, y = ((const col *)b)->rank;
    return (x > y) - (x < y);
}

static long col_rank(const char *key, int appearance)
{
    const gn_param *p;
    if (strcmp(key, "dataset.name") == 0) return 0;
    if (strncmp(key, "dataset.", 8) == 0) return 1000000L + appearance;
    if (strncmp(key, "model.", 6) == 0 && (p = gn_param_find(gn_model_params, key + 6)))
        return 2000000L + (p - gn_model_params);
    if (strncmp(key, "train.", 6) == 0 && (p = gn_param_find(gn_train_params, key + 6)))
        return 3000000L + (p - gn_train_params);
    if (strcmp(key, "loss") == 0) return 4000000L;
    return 5000000L + appearance;
}

static int build_columns(ctx *c, gn_experiment *ex)
{
    int cap = 64, n = 0;
    col *cols = malloc((size_t)cap * sizeof *cols);
    if (!cols) return fail_oom(c);
    for (int r = 0; r < ex->n_runs; r++) {
        const gn_settings *s = &ex->runs[r].settings;
        for (int i = 0; i < s->n; i++) {
            int found = 0;
            for (int j = 0; j < n && !found; j++)
                found = strcmp(cols[j].key, s->v[i].key) == 0;
            if (found) continue;
            if (n == cap) {
                col *nc = realloc(cols, (size_t)cap * 2 * sizeof *nc);
                if (!nc) {
                    free(cols);
                    return fail_oom(c);
                }
                cols = nc;
                cap *= 2;
            }
            cols[n].key = s->v[i].key;
            cols[n].rank = col_rank(s->v[i].key, n);
            n++;
        }
    }
    qsort(cols, (size_t)n, sizeof *cols, cmp_col);
    ex->columns = calloc((size_t)(n ? n : 1), sizeof *ex->columns);
    if (!ex->columns) {
        free(cols);
        return fail_oom(c);
    }
    for (int i = 0; i < n; i++) {
        ex->columns[i] = strdup(cols[i].key);
        if (!ex->columns[i]) {
            free(cols);
            return fail_oom(c);
        }
        ex->n_columns++;
    }
    free(cols);
    return 0;
}

/* ---- figures ---- */

static int is_column(const gn_experiment *ex, const char *s)
{
    if (strcmp(s, "optimizer") == 0 || strcmp(s, "seed") == 0) return 1;
    for (int i = 0; i < ex->n_columns; i++)
        if (strcmp(ex->columns[i], s) == 0) return 1;
    return 0;
}

static void join_columns(const gn_experiment *ex, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < ex->n_columns && o < len; i++) {
        int w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", ex->columns[i]);
        if (w < 0) break;
        o += (size_t)w;
    }
}

/* Value text of `key` in run r: its setting, or the optimizer or seed. */
static const char *run_value(const gn_run_spec *r, const char *key, char *buf, size_t len)
{
    if (strcmp(key, "optimizer") == 0) return r->optim->name;
    if (strcmp(key, "seed") == 0) {
        snprintf(buf, len, "%ld", r->seed);
        return buf;
    }
    return gn_settings_get(&r->settings, key);
}

/* figures[i].where: {column: value or [values]}; every column must be a
 * settings column (or optimizer, seed) and every value must occur in some
 * run, so a typo cannot silently empty a figure. */
static int parse_where(ctx *c, const gn_experiment *ex, const ynode *w, int index,
                       gn_settings *out)
{
    char path[160], list[768], got[80], buf[32];
    snprintf(path, sizeof path, "figures[%d].where", index);
    if (w->kind != Y_MAP || w->n == 0)
        return fail(c, w->line, w->quick, path,
                    "expected a mapping of columns to values, e.g. {optimizer: lm}, got %s",
                    w->kind == Y_MAP ? "an empty mapping" : kind_name(w));
    for (int i = 0; i < w->n; i++) {
        const char *key = w->k[i];
        const ynode *v = w->v[i];
        snprintf(path, sizeof path, "figures[%d].where.%s", index, key);
        if (!is_column(ex, key)) {
            join_columns(ex, list, sizeof list);
            return fail(c, w->kline[i], v->quick, path,
                        "expected optimizer, seed or a settings column (%s)", list);
        }
        int nv = v->kind == Y_SEQ ? v->n : 1;
        if (nv == 0 || (v->kind != Y_SCALAR && v->kind != Y_SEQ))
            return fail(c, v->line, v->quick, path, "expected a value or a list of values, got %s",
                        nv == 0 ? "an empty list" : kind_name(v));
        size_t total = 1;
        for (int j = 0; j < nv; j++) {
            const ynode *e = v->kind == Y_SEQ ? v->v[j] : v;
            if (e->kind != Y_SCALAR || e->null)
                return fail(c, e->line, e->quick, path, "expected a value, got %s",
                            e->null ? "nothing" : kind_name(e));
            int found = 0;
            for (int r = 0; r < ex->n_runs && !found; r++) {
                const char *rv = run_value(&ex->runs[r], key, buf, sizeof buf);
                found = rv && strcmp(rv, e->str) == 0;
            }
            if (!found)
                return fail(c, e->line, e->quick, path, "no run has %s = %s", key,
                            shown(e, got, sizeof got));
            total += strlen(e->str) + 1;
        }
        char *joined = malloc(total);
        if (!joined) return fail_oom(c);
        joined[0] = '\0';
        for (int j = 0; j < nv; j++) {
            const ynode *e = v->kind == Y_SEQ ? v->v[j] : v;
            if (j) strcat(joined, "\n");
            strcat(joined, e->str);
        }
        int rc = gn_settings_set(out, key, joined);
        free(joined);
        if (rc != 0) return fail_oom(c);
    }
    return 0;
}

static int parse_figure(ctx *c, gn_experiment *ex, const ynode *n, int index, gn_figure *f)
{
    char list[768], got[80], path[64];
    snprintf(path, sizeof path, "figures[%d]", index);
    if (n->kind != Y_MAP)
        return fail(c, n->line, n->quick, path,
                    "expected a mapping such as {name: loss, kind: trace, x: iteration, y: "
                    "train_loss}, got %s",
                    kind_name(n));
    f->line = n->line;
    for (int i = 0; i < n->n; i++) {
        snprintf(path, sizeof path, "figures[%d].%s", index, n->k[i]);
        if (!in_list(figure_keys, n->k[i])) {
            join_list(figure_keys, list, sizeof list);
            return fail(c, n->kline[i], n->v[i]->quick, path, "unknown key; expected one of %s",
                        list);
        }
        const ynode *v = n->v[i];
        if (strcmp(n->k[i], "where") == 0) continue; /* checked below */
        if (v->kind != Y_SCALAR || v->null)
            return fail(c, v->line, v->quick, path, "expected a single value, got %s",
                        v->null ? "nothing" : kind_name(v));
    }
    static const char *const req[] = {"name", "kind", "x", "y"};
    for (int i = 0; i < 4; i++) {
        if (!map_get(n, req[i], NULL)) {
            snprintf(path, sizeof path, "figures[%d].%s", index, req[i]);
            return fail(c, n->line, n->quick, path, "missing; a figure needs name, kind, x and y");
        }
    }
    int kl;
    const ynode *v = map_get(n, "name", &kl);
    snprintf(path, sizeof path, "figures[%d].name", index);
    if (!name_ok(v->str))
        return fail(c, v->line, v->quick, path, "expected a name from [a-z0-9_-], got %s",
                    shown(v, got, sizeof got));
    for (int i = 0; i < ex->n_figures; i++)
        if (strcmp(ex->figures[i].name, v->str) == 0)
            return fail(c, v->line, v->quick, path,
                        "duplicate figure name \"%s\" (first at line %d)", v->str,
                        ex->figures[i].line);
    const ynode *kind = map_get(n, "kind", NULL);
    snprintf(path, sizeof path, "figures[%d].kind", index);
    int trace = strcmp(kind->str, "trace") == 0;
    if (!trace && strcmp(kind->str, "summary") != 0)
        return fail(c, kind->line, kind->quick, path, "expected trace or summary, got %s",
                    shown(kind, got, sizeof got));
    const ynode *x = map_get(n, "x", NULL), *y = map_get(n, "y", NULL);
    snprintf(path, sizeof path, "figures[%d].x", index);
    if (trace && !axis_ok(AXIS_TRACE_X, x->str)) {
        join_axis(AXIS_TRACE_X, list, sizeof list);
        return fail(c, x->line, x->quick, path, "expected one of %s for a trace, got %s", list,
                    shown(x, got, sizeof got));
    }
    if (!trace && !is_column(ex, x->str)) {
        join_columns(ex, list, sizeof list);
        return fail(c, x->line, x->quick, path,
                    "expected optimizer, seed or a settings column (%s), got %s", list,
                    shown(x, got, sizeof got));
    }
    snprintf(path, sizeof path, "figures[%d].y", index);
    int yaxis = trace ? AXIS_TRACE_Y : AXIS_SUMMARY_Y;
    if (!axis_ok(yaxis, y->str)) {
        join_axis(yaxis, list, sizeof list);
        return fail(c, y->line, y->quick, path, "expected one of %s for a %s, got %s", list,
                    trace ? "trace" : "summary", shown(y, got, sizeof got));
    }
    static const char *const grouping[] = {"series", "panels"};
    for (int i = 0; i < 2; i++) {
        const ynode *g = map_get(n, grouping[i], NULL);
        snprintf(path, sizeof path, "figures[%d].%s", index, grouping[i]);
        if (g && !is_column(ex, g->str)) {
            join_columns(ex, list, sizeof list);
            return fail(c, g->line, g->quick, path,
                        "expected optimizer, seed or a settings column (%s), got %s", list,
                        shown(g, got, sizeof got));
        }
    }
    static const char *const logs[] = {"logx", "logy"};
    int logv[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        const ynode *g = map_get(n, logs[i], NULL);
        snprintf(path, sizeof path, "figures[%d].%s", index, logs[i]);
        if (!g) continue;
        if (strcmp(g->str, "true") != 0 && strcmp(g->str, "false") != 0)
            return fail(c, g->line, g->quick, path, "expected true or false, got %s",
                        shown(g, got, sizeof got));
        logv[i] = strcmp(g->str, "true") == 0;
    }
    const ynode *where = map_get(n, "where", NULL);
    if (where && parse_where(c, ex, where, index, &f->where) != 0) return -1;
    const ynode *series = map_get(n, "series", NULL), *panels = map_get(n, "panels", NULL),
                *title = map_get(n, "title", NULL);
    f->name = strdup(v->str);
    f->kind = strdup(kind->str);
    f->x = strdup(x->str);
    f->y = strdup(y->str);
    f->series = series ? strdup(series->str) : NULL;
    f->panels = panels ? strdup(panels->str) : NULL;
    f->title = title ? strdup(title->str) : NULL;
    f->logx = logv[0];
    f->logy = logv[1];
    if (!f->name || !f->kind || !f->x || !f->y || (series && !f->series) ||
        (panels && !f->panels) || (title && !f->title))
        return fail_oom(c);
    return 0;
}

static void figure_free(gn_figure *f)
{
    free(f->name), free(f->kind), free(f->x), free(f->y);
    free(f->series), free(f->panels), free(f->title);
    gn_settings_free(&f->where);
    memset(f, 0, sizeof *f);
}

static int build_figures(ctx *c, const spec *sp, gn_experiment *ex)
{
    if (!sp->figures || sp->figures->n == 0) return 0;
    ex->figures = calloc((size_t)sp->figures->n, sizeof *ex->figures);
    if (!ex->figures) return fail_oom(c);
    for (int i = 0; i < sp->figures->n; i++) {
        int rc = parse_figure(c, ex, sp->figures->v[i], i, &ex->figures[i]);
        if (rc != 0) {
            figure_free(&ex->figures[i]);
            return -1;
        }
        ex->n_figures++;
    }
    return 0;
}

/* Validates the tree and fills the experiment's name, runs, columns and figures. */
static int build(ctx *c, const ynode *root, gn_experiment *ex)
{
    spec sp;
    memset(&sp, 0, sizeof sp);
    if (parse_root(c, &sp, root) != 0) return -1;
    ex->name = strdup(sp.name);
    ex->description = strdup(sp.description ? sp.description : "");
    if (!ex->name || !ex->description) return fail_oom(c);
    if (expand(c, &sp, ex) != 0) return -1;
    if (build_columns(c, ex) != 0) return -1;
    return build_figures(c, &sp, ex);
}

static void init_loss_param(ctx *c)
{
    size_t o = 0;
    c->loss_choices[0] = '\0';
    for (int i = 0; gn_losses[i].name && o < sizeof c->loss_choices; i++)
        o += (size_t)snprintf(c->loss_choices + o, sizeof c->loss_choices - o, "%s%s", i ? "|" : "",
                              gn_losses[i].name);
    if (!c->loss_choices[0]) snprintf(c->loss_choices, sizeof c->loss_choices, "square");
    c->loss_param = (gn_param){
        "loss",          GN_PARAM_CHOICE, gn_losses[0].name ? gn_losses[0].name : "square", 0, 0,
        c->loss_choices, "training loss", 0};
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Steps 1-4 on ex->text (len bytes): parse, apply quick, build; also
 * validates the quick variant when quick is off. */
static int load_tree(ctx *c, size_t len, int quick, gn_experiment *ex)
{
    ynode *root = parse_text(c, ex->text, len);
    if (!root) return -1;
    const ynode *q = map_get(root, "quick", NULL);
    ynode *qroot = NULL;
    if (q) {
        qroot = apply_quick(c, root, q);
        if (!qroot) return -1;
    }
    if (build(c, quick && qroot ? qroot : root, ex) != 0) return -1;
    if (!quick && qroot) {
        /* Validate the quick variant too, so `check` catches its errors. */
        gn_experiment scratch;
        memset(&scratch, 0, sizeof scratch);
        int qrc = build(c, qroot, &scratch);
        gn_experiment_free(&scratch);
        if (qrc != 0) return -1;
    }
    return 0;
}

int gn_experiment_load_text(const char *name, const char *text, size_t len, const char *base_dir,
                            int quick, gn_experiment *ex, char *err, size_t errlen)
{
    ctx c;
    memset(&c, 0, sizeof c);
    memset(ex, 0, sizeof *ex);
    c.path = name ? name : "(text)";
    c.err = err;
    c.errlen = errlen;
    if (err && errlen) err[0] = '\0';
    if (!text && len > 0) return fail(&c, 0, 0, NULL, "no experiment text given");
    init_loss_param(&c);

    int rc = -1;
    ex->text = malloc(len + 1);
    ex->path = strdup(c.path);
    ex->base_dir = base_dir ? strdup(base_dir) : dir_of(c.path);
    ex->quick = quick != 0;
    if (!ex->text || !ex->path || !ex->base_dir) {
        fail_oom(&c);
        goto out;
    }
    if (len) memcpy(ex->text, text, len);
    ex->text[len] = '\0';
    rc = load_tree(&c, len, quick, ex);
out:
    arena_free(&c);
    if (rc != 0) gn_experiment_free(ex);
    return rc;
}

int gn_experiment_load(const char *path, int quick, gn_experiment *ex, char *err, size_t errlen)
{
    ctx c;
    memset(&c, 0, sizeof c);
    memset(ex, 0, sizeof *ex);
    c.path = path ? path : "(null)";
    c.err = err;
    c.errlen = errlen;
    if (err && errlen) err[0] = '\0';
    if (!path) return fail(&c, 0, 0, NULL, "no experiment file given");

    char *text = NULL;
    size_t len = 0;
    if (read_file(&c, path, &text, &len) != 0) return -1;
    char *dir = dir_of(path);
    if (!dir) {
        free(text);
        return fail_oom(&c);
    }
    int rc = gn_experiment_load_text(path, text, len, dir, quick, ex, err, errlen);
    free(dir);
    free(text);
    return rc;
}

void gn_experiment_free(gn_experiment *ex)
{
    if (!ex) return;
    free(ex->path);
    free(ex->base_dir);
    free(ex->text);
    free(ex->name);
    free(ex->description);
    for (int i = 0; i < ex->n_runs; i++)
        run_spec_free(&ex->runs[i]);
    free(ex->runs);
    for (int i = 0; i < ex->n_columns; i++)
        free(ex->columns[i]);
    free(ex->columns);
    for (int i = 0; i < ex->n_figures; i++)
        figure_free(&ex->figures[i]);
    free(ex->figures);
    memset(ex, 0, sizeof *ex);
}
