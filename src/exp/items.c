/* items.c: settings as written (exp_internal.h): a value or a sweep of
 * values, each checked against its parameter's type and range, collected
 * as items in a growable layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/exp_internal.h"
#include "model/model_spec.h"

item *gn_exp_layer_add(ctx *c, layer *l)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        item *ni = gn_exp_alloc(c, (size_t)cap * sizeof *ni);
        if (!ni) return NULL;
        if (l->n) memcpy(ni, l->it, (size_t)l->n * sizeof *ni);
        l->it = ni;
        l->cap = cap;
    }
    item *it = &l->it[l->n++];
    memset(it, 0, sizeof *it);
    return it;
}

const item *gn_exp_layer_find(const layer *l, const char *key)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->it[i].key, key) == 0) return &l->it[i];
    return NULL;
}

/* "an integer in [1, 1000000]", "true or false", ..., or "text". */
static void what_expected(const gn_param *p, char *buf, size_t len)
{
    if (gn_param_check(p, "", buf, len) == 0) snprintf(buf, len, "text");
}

/* One value checked against p (and, for model.hidden and
 * model.activations, against its own grammar). */
static int check_value(ctx *c, const item *it, const gn_param *p, const ynode *n)
{
    char why[512], got[80];
    const char *text = n->null ? "" : n->str;
    if (gn_param_check(p, text, why, sizeof why) != 0)
        return gn_exp_fail(c, n->line, n->quick, it->path, "expected %s, got %s", why,
                           gn_exp_shown(n, got, sizeof got));
    if (!*text) return gn_exp_fail(c, n->line, n->quick, it->path, "expected a value, got nothing");
    int widths[GN_MAX_LAYERS];
    if (p == gn_param_find(gn_model_params, "hidden") &&
        gn_model_hidden_parse(text, widths, GN_MAX_LAYERS) < 0)
        return gn_exp_fail(c, n->line, n->quick, it->path,
                           "expected 1 to %.0f layer widths in [%.0f, %.0f] joined by '-' (e.g. "
                           "1000-500-250), got %s",
                           gn_param_find(gn_model_params, "depth")->max,
                           gn_param_find(gn_model_params, "width")->min,
                           gn_param_find(gn_model_params, "width")->max,
                           gn_exp_shown(n, got, sizeof got));
    gn_act acts[GN_MAX_LAYERS];
    if (p == gn_param_find(gn_model_params, "activations") &&
        gn_model_acts_parse(text, acts, GN_MAX_LAYERS, why, sizeof why) < 0)
        return gn_exp_fail(c, n->line, n->quick, it->path, "%s (one per hidden layer), got %s", why,
                           gn_exp_shown(n, got, sizeof got));
    return 0;
}

/* Whether two values of a sweep of p are the same setting: numbers by
 * value (0.1 and 0.10, 1e3 and 1000), other values by text. */
static int same_value(const gn_param *p, const char *a, const char *b)
{
    if (p->type == GN_PARAM_REAL || p->type == GN_PARAM_INT)
        return strtod(a, NULL) == strtod(b, NULL);
    return strcmp(a, b) == 0;
}

/* Fills it->v from node n (a scalar, or a sequence = a sweep, or for LIST
 * parameters the list itself) and validates every value against p. */
int gn_exp_parse_values(ctx *c, item *it, const gn_param *p, const ynode *n)
{
    char desc[512];
    if (n->kind == Y_MAP) {
        what_expected(p, desc, sizeof desc);
        return gn_exp_fail(c, n->line, n->quick, it->path, "expected %s, got a mapping", desc);
    }
    if (p->type == GN_PARAM_LIST) {
        size_t total = 1;
        int cnt = n->kind == Y_SEQ ? n->n : 1;
        if (cnt == 0)
            return gn_exp_fail(c, n->line, n->quick, it->path, "expected a non-empty list, got []");
        for (int i = 0; i < cnt; i++) {
            const ynode *e = n->kind == Y_SEQ ? n->v[i] : n;
            if (e->kind != Y_SCALAR)
                return gn_exp_fail(c, e->line, e->quick, it->path,
                                   "expected a list of names, got %s", gn_exp_kind_name(e));
            if (e->null || !*e->str)
                return gn_exp_fail(c, e->line, e->quick, it->path, "expected a name, got nothing");
            if (strchr(e->str, ';'))
                return gn_exp_fail(c, e->line, e->quick, it->path,
                                   "expected names without ';', got \"%s\"", e->str);
            total += strlen(e->str) + 1;
        }
        char *s = gn_exp_alloc(c, total);
        it->v = gn_exp_alloc(c, sizeof *it->v);
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
        return gn_exp_fail(c, n->line, n->quick, it->path,
                           "empty sweep; give a value or a non-empty list of values");
    it->v = gn_exp_alloc(c, (size_t)cnt * sizeof *it->v);
    if (!it->v) return -1;
    for (int i = 0; i < cnt; i++) {
        const ynode *e = n->kind == Y_SEQ ? n->v[i] : n;
        if (e->kind != Y_SCALAR) {
            what_expected(p, desc, sizeof desc);
            return gn_exp_fail(c, e->line, e->quick, it->path, "expected %s in the sweep, got %s",
                               desc, gn_exp_kind_name(e));
        }
        if (check_value(c, it, p, e) != 0) return -1;
        for (int j = 0; j < it->n; j++)
            if (strcmp(it->v[j].s, e->str) == 0)
                return gn_exp_fail(c, e->line, e->quick, it->path,
                                   "the sweep lists \"%s\" twice (also at line %d)", e->str,
                                   it->v[j].line);
            else if (same_value(p, it->v[j].s, e->str))
                return gn_exp_fail(c, e->line, e->quick, it->path,
                                   "the sweep lists one value twice: \"%s\" equals \"%s\" (line "
                                   "%d)",
                                   e->str, it->v[j].s, it->v[j].line);
        it->v[it->n++] = (val){e->str, e->line, e->quick};
    }
    return 0;
}

int gn_exp_revalidate(ctx *c, const item *it, const gn_param *p)
{
    for (int i = 0; i < it->n; i++) {
        ynode tmp = {
            .kind = Y_SCALAR, .line = it->v[i].line, .quick = it->v[i].quick, .str = it->v[i].s};
        if (check_value(c, it, p, &tmp) != 0) return -1;
    }
    return 0;
}
