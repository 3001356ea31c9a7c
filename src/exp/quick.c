/* quick.c: step 2 of loading (exp_internal.h): the `quick:` overlay. With
 * --quick the overrides are deep-merged into the tree (mappings key by key,
 * scalars and sequences replaced); without it the merged tree is still
 * built and validated, so `gnbench check` reports errors in the overrides. */
#include <string.h>

#include "exp/exp_internal.h"

/* Deep merge: mappings key by key, everything else replaced. In a train
 * mapping, an override giving iterations or epochs replaces both. */
static ynode *merge(ctx *c, const ynode *base, ynode *over, int is_train)
{
    if (!base || base->kind != Y_MAP || over->kind != Y_MAP) return over;
    ynode *m = gn_exp_new_map(c, base->n + over->n, base->line, base->quick);
    if (!m) return NULL;
    int drop_len = is_train && (gn_exp_map_index(over, "iterations") >= 0 ||
                                gn_exp_map_index(over, "epochs") >= 0);
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
        int j = gn_exp_map_index(m, over->k[i]);
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
ynode *gn_exp_apply_quick(ctx *c, const ynode *root, const ynode *q)
{
    if (q->kind == Y_SCALAR && q->null) return (ynode *)root;
    if (q->kind != Y_MAP) {
        gn_exp_fail(c, q->line, 0, "quick", "expected a mapping of overrides, got %s",
                    gn_exp_kind_name(q));
        return NULL;
    }
    ynode *m = gn_exp_new_map(c, root->n + q->n, root->line, 0);
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
        if (!gn_exp_in_list(gn_exp_top_keys, key) || strcmp(key, "name") == 0 ||
            strcmp(key, "quick") == 0) {
            gn_exp_fail(c, q->kline[i], 1, key,
                        "%s; quick overrides description, seeds, dataset, model, loss, train, "
                        "optimizers or figures",
                        gn_exp_in_list(gn_exp_top_keys, key) ? "cannot be overridden"
                                                             : "unknown key");
            return NULL;
        }
        int j = gn_exp_map_index(m, key);
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
