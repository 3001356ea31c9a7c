/* yaml_tree.c: step 1 of loading (exp_internal.h): the libyaml document
 * copied into the loader's own tree (ynode), with line numbers kept,
 * aliases shared, `<<` merge keys resolved and the limits on depth, size
 * and width enforced; and the accessors the later steps read the tree with.
 * The only file that includes <yaml.h>. */
#include <stddef.h>
#include <string.h>

#include <yaml.h>

#include "exp/exp_internal.h"

/* ---- reading the tree ---- */

const char *gn_exp_kind_name(const ynode *n)
{
    return n->kind == Y_MAP ? "a mapping" : n->kind == Y_SEQ ? "a sequence" : "a scalar";
}

const ynode *gn_exp_map_get(const ynode *m, const char *key, int *kline)
{
    if (!m || m->kind != Y_MAP) return NULL;
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->k[i], key) == 0) {
            if (kline) *kline = m->kline[i];
            return m->v[i];
        }
    return NULL;
}

int gn_exp_map_index(const ynode *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->k[i], key) == 0) return i;
    return -1;
}

ynode *gn_exp_new_map(ctx *c, int cap, int line, int quick)
{
    ynode *m = gn_exp_alloc(c, sizeof *m);
    if (!m) return NULL;
    m->kind = Y_MAP;
    m->line = line;
    m->quick = quick;
    if (cap > 0) {
        m->v = gn_exp_alloc(c, (size_t)cap * sizeof *m->v);
        m->k = gn_exp_alloc(c, (size_t)cap * sizeof *m->k);
        m->kline = gn_exp_alloc(c, (size_t)cap * sizeof *m->kline);
        if (!m->v || !m->k || !m->kline) return NULL;
    }
    return m;
}

/* ---- libyaml document -> tree ---- */

/* Whether a scalar is YAML's null: plain and empty, ~ or null. */
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
            return gn_exp_fail(c, from->line, from->quick, "<<",
                               "expected a mapping or a sequence of mappings to merge");
        for (int i = 0; i < from->n; i++) {
            if (gn_exp_map_index(m, from->k[i]) >= 0) continue; /* explicit or earlier keys win */
            if (m->n == cap)
                return gn_exp_fail(c, src->line, src->quick, "<<", "too many merged keys");
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
        gn_exp_fail(c, line, quick, NULL, "nesting deeper than %d levels (a recursive alias?)",
                    MAX_DEPTH);
        return NULL;
    }
    c->budget -= n->size;
    if (c->budget < 0) {
        gn_exp_fail(c, c->top_line ? c->top_line : line, quick, NULL,
                    "the document expands to more than %d nodes (aliases of aliases?)", MAX_NODES);
        return NULL;
    }
    return n;
}

/* A scalar: its text copied (a NUL inside is refused), and whether it is null. */
static ynode *convert_scalar(ctx *c, yaml_node_t *y, int line, int quick)
{
    ynode *n = gn_exp_alloc(c, sizeof *n);
    if (!n) return NULL;
    n->kind = Y_SCALAR;
    n->line = line;
    n->quick = quick;
    size_t len = y->data.scalar.length;
    if (memchr(y->data.scalar.value, '\0', len)) {
        gn_exp_fail(c, line, quick, NULL, "a NUL character is not allowed in a value");
        return NULL;
    }
    char *s = gn_exp_alloc(c, len + 1);
    if (!s) return NULL;
    memcpy(s, y->data.scalar.value, len);
    n->str = s;
    n->null = is_null_scalar(y);
    n->size = 1;
    return n;
}

/* A sequence: its items converted in order, at most MAX_ITEMS of them. */
static ynode *convert_seq(ctx *c, yaml_document_t *doc, yaml_node_t *y, int line, int depth,
                          int quick)
{
    ynode *n = gn_exp_alloc(c, sizeof *n);
    if (!n) return NULL;
    n->kind = Y_SEQ;
    n->line = line;
    n->quick = quick;
    int cnt = (int)(y->data.sequence.items.top - y->data.sequence.items.start);
    if (cnt > MAX_ITEMS) {
        gn_exp_fail(c, line, quick, NULL, "a sequence of %d items; at most %d are supported", cnt,
                    MAX_ITEMS);
        return NULL;
    }
    if (cnt > 0) {
        n->v = gn_exp_alloc(c, (size_t)cnt * sizeof *n->v);
        if (!n->v) return NULL;
    }
    for (yaml_node_item_t *it = y->data.sequence.items.start; it < y->data.sequence.items.top;
         it++) {
        yaml_node_t *child = yaml_document_get_node(doc, *it);
        if (!child) {
            gn_exp_fail(c, line, quick, NULL, "malformed YAML document");
            return NULL;
        }
        ynode *cn = to_tree(c, doc, child, depth + 1, quick);
        if (!cn) return NULL;
        n->v[n->n++] = cn;
    }
    set_extent(n, n->v, n->n);
    return n;
}

/* Converts the values of the mapping y into kids, in order, checking that
 * every key is a plain scalar without NUL. The values of `<<` keys are also
 * listed in merges (*nmerge of them) and *cap grows by the pairs they may
 * add. Returns 0, or -1 with the error set. */
static int map_values(ctx *c, yaml_document_t *doc, yaml_node_t *y, int line, int depth, int quick,
                      ynode **kids, ynode **merges, int *nmerge, int *cap)
{
    int cnt = (int)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
    for (int i = 0; i < cnt; i++) {
        yaml_node_pair_t *p = &y->data.mapping.pairs.start[i];
        yaml_node_t *kn = yaml_document_get_node(doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(doc, p->value);
        if (!kn || !vn) return gn_exp_fail(c, line, quick, NULL, "malformed YAML document");
        if (kn->type != YAML_SCALAR_NODE)
            return gn_exp_fail(c, (int)kn->start_mark.line + 1, quick, NULL,
                               "expected a plain key, got a %s",
                               kn->type == YAML_MAPPING_NODE ? "mapping" : "sequence");
        if (memchr(kn->data.scalar.value, '\0', kn->data.scalar.length))
            return gn_exp_fail(c, (int)kn->start_mark.line + 1, quick, NULL,
                               "a NUL character is not allowed in a key");
        /* The quick: section's nodes are flagged so errors name it. */
        int childq =
            quick || (depth == 0 && strcmp((const char *)kn->data.scalar.value, "quick") == 0);
        if (depth == 0) c->top_line = (int)kn->start_mark.line + 1;
        kids[i] = to_tree(c, doc, vn, depth + 1, childq);
        if (!kids[i]) return -1;
        if (strcmp((const char *)kn->data.scalar.value, "<<") == 0) {
            merges[(*nmerge)++] = kids[i];
            const ynode *src = kids[i];
            if (src->kind == Y_MAP)
                *cap += src->n;
            else if (src->kind == Y_SEQ)
                for (int j = 0; j < src->n; j++)
                    if (src->v[j]->kind == Y_MAP) *cap += src->v[j]->n;
        }
    }
    return 0;
}

/* A mapping: at most MAX_KEYS pairs, merge keys included; a key given
 * twice is an error, and keys of `<<` merges fill in what the mapping does
 * not define itself. */
static ynode *convert_map(ctx *c, yaml_document_t *doc, yaml_node_t *y, int line, int depth,
                          int quick)
{
    int cnt = (int)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
    if (cnt > MAX_KEYS) {
        gn_exp_fail(c, line, quick, NULL, "a mapping of %d keys; at most %d are supported", cnt,
                    MAX_KEYS);
        return NULL;
    }
    /* Merge keys (<<) add pairs: the capacity counts them too. */
    int cap = cnt;
    ynode **merges = NULL;
    int nmerge = 0;
    for (yaml_node_pair_t *p = y->data.mapping.pairs.start; p < y->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(doc, p->key);
        if (kn && kn->type == YAML_SCALAR_NODE &&
            strcmp((const char *)kn->data.scalar.value, "<<") == 0)
            nmerge++;
    }
    if (nmerge) {
        merges = gn_exp_alloc(c, (size_t)nmerge * sizeof *merges);
        if (!merges) return NULL;
        nmerge = 0;
    }
    /* Convert children first so merged mappings' sizes are known. */
    ynode **kids = cnt ? gn_exp_alloc(c, (size_t)cnt * sizeof *kids) : NULL;
    if (cnt && !kids) return NULL;
    if (map_values(c, doc, y, line, depth, quick, kids, merges, &nmerge, &cap) != 0) return NULL;
    if (cap > MAX_KEYS) {
        gn_exp_fail(c, line, quick, NULL, "merge keys give %d keys; at most %d are supported", cap,
                    MAX_KEYS);
        return NULL;
    }
    ynode *n = gn_exp_new_map(c, cap, line, quick);
    if (!n) return NULL;
    for (int i = 0; i < cnt; i++) {
        yaml_node_pair_t *p = &y->data.mapping.pairs.start[i];
        yaml_node_t *kn = yaml_document_get_node(doc, p->key);
        const char *key = (const char *)kn->data.scalar.value;
        int kline = (int)kn->start_mark.line + 1;
        if (strcmp(key, "<<") == 0) continue;
        int prev = gn_exp_map_index(n, key);
        if (prev >= 0) {
            gn_exp_fail(c, kline, quick, key, "duplicate key (first at line %d)", n->kline[prev]);
            return NULL;
        }
        char *ks = gn_exp_printf(c, "%s", key);
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

/* Converts a node not seen before: the depth and size limits, then by kind. */
static ynode *convert(ctx *c, yaml_document_t *doc, yaml_node_t *y, int depth, int quick)
{
    int line = (int)y->start_mark.line + 1;
    if (depth > MAX_DEPTH) {
        gn_exp_fail(c, line, quick, NULL, "nesting deeper than %d levels (a recursive alias?)",
                    MAX_DEPTH);
        return NULL;
    }
    if (--c->budget < 0) {
        gn_exp_fail(c, c->top_line ? c->top_line : line, quick, NULL,
                    "the document expands to more than %d nodes (aliases of aliases?)", MAX_NODES);
        return NULL;
    }
    switch (y->type) {
    case YAML_SCALAR_NODE:
        return convert_scalar(c, y, line, quick);
    case YAML_SEQUENCE_NODE:
        return convert_seq(c, doc, y, line, depth, quick);
    case YAML_MAPPING_NODE:
        return convert_map(c, doc, y, line, depth, quick);
    default:
        gn_exp_fail(c, line, quick, NULL, "malformed YAML document");
        return NULL;
    }
}

/* ---- parsing the text ---- */

/* The line (from 1) of byte off in text. */
static int line_of_offset(const char *text, size_t len, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off && i < len; i++)
        if (text[i] == '\n') line++;
    return line;
}

/* A libyaml parser error as "FILE:LINE: YAML syntax error: ..."; returns -1. */
static int yaml_fail(ctx *c, const yaml_parser_t *p, const char *text, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR) return gn_exp_oom(c);
    int line = p->error == YAML_READER_ERROR ? line_of_offset(text, len, p->problem_offset)
                                             : (int)p->problem_mark.line + 1;
    const char *problem = p->problem ? p->problem : "unknown error";
    if (p->context)
        return gn_exp_fail(c, line, 0, NULL, "YAML syntax error: %s (%s at line %d)", problem,
                           p->context, (int)p->context_mark.line + 1);
    return gn_exp_fail(c, line, 0, NULL, "YAML syntax error: %s", problem);
}

/* The depth limit applied while the text is read, before libyaml builds
 * a document: its scanner does work proportional to the open flow levels
 * for every token, so "[[[[...]]]]" 80 000 deep took 18 s to load before
 * the tree's own limit could refuse it. Events are read only up to the
 * first node deeper than MAX_DEPTH (the root mapping is depth 0, as in
 * convert). Returns 0, or -1 with the error set; a syntax error is left to
 * the document loader, which reports it. */
static int check_depth(ctx *c, const char *text, size_t len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return gn_exp_oom(c);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int open = 0, rc = 0, done = 0; /* open: collections started and not ended */
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) break;
        int deeper = 0;
        switch (ev.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            deeper = open > MAX_DEPTH; /* this node's depth is `open` */
            open++;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            open--;
            break;
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
            deeper = open > MAX_DEPTH;
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        if (deeper)
            rc = gn_exp_fail(c, (int)ev.start_mark.line + 1, 0, NULL,
                             "nesting deeper than %d levels", MAX_DEPTH);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return rc;
}

/* Parses text into a tree (exp_internal.h). */
ynode *gn_exp_parse_text(ctx *c, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc, doc2;
    if (check_depth(c, text, len) != 0) return NULL;
    if (!yaml_parser_initialize(&parser)) {
        gn_exp_oom(c);
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
        gn_exp_fail(
            c, 1, 0, NULL,
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
        gn_exp_fail(c, (int)yroot2->start_mark.line + 1, 0, NULL,
                    "a second YAML document; an experiment file holds exactly one");
        yaml_document_delete(&doc2);
        goto out;
    }
    yaml_document_delete(&doc2);
    if (yroot->type == YAML_SCALAR_NODE && is_null_scalar(yroot)) { /* "---" alone */
        gn_exp_fail(
            c, 1, 0, NULL,
            "the file is empty; expected a mapping with at least name, dataset and optimizers");
        goto out;
    }
    if (yroot->type != YAML_MAPPING_NODE) {
        gn_exp_fail(c, (int)yroot->start_mark.line + 1, 0, NULL,
                    "expected a mapping with at least name, dataset and optimizers");
        goto out;
    }
    c->budget = MAX_NODES;
    c->memo_n = 2 * (size_t)(doc.nodes.top - doc.nodes.start);
    c->memo = gn_exp_alloc(c, c->memo_n * sizeof *c->memo);
    if (!c->memo) goto out;
    root = to_tree(c, &doc, yroot, 0, 0);
    c->memo = NULL;
    c->memo_n = 0;
out:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return root;
}
