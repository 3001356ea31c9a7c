/* sections.c: step 3 of loading (exp_internal.h): the top-level keys of an
 * experiment file and the sections under them (name, description, seeds,
 * dataset, model, train, loss, optimizers, figures), each validated against
 * its parameter table and collected as items into a spec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "exp/exp_internal.h"
#include "exp/train.h"
#include "model/model_spec.h"
#include "optim/optim.h"

static const gn_param seeds_param = {"seeds", GN_PARAM_INT, "1", 0, 9007199254740992.0,
                                     NULL,    "run seeds",  0};

const char *const gn_exp_top_keys[] = {"name",     "description", "seeds",   "dataset",
                                       "model",    "loss",        "train",   "optimizers",
                                       "protocol", "quick",       "figures", NULL};

/* "a, b, c" of a parameter table's names. */
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

/* The registered optimizers' names, joined. */
static void join_optimizers(char *buf, size_t len)
{
    const char *names[64];
    int n = 0;
    for (int i = 0; gn_optimizers[i] && n < 63; i++)
        names[n++] = gn_optimizers[i]->name;
    names[n] = NULL;
    gn_exp_join(names, buf, len);
}

/* The dataset kinds' names, joined. */
static void join_datasets(char *buf, size_t len)
{
    const char *names[64];
    int n = 0;
    for (int i = 0; gn_dataset_kinds[i].name && n < 63; i++)
        names[n++] = gn_dataset_kinds[i].name;
    names[n] = NULL;
    gn_exp_join(names, buf, len);
}

/* Whether a section is a mapping (or empty); else the error. */
static int expect_map(ctx *c, const ynode *n, const char *key, const char *what)
{
    if (n->kind == Y_MAP || (n->kind == Y_SCALAR && n->null)) return 0;
    return gn_exp_fail(c, n->line, n->quick, key, "expected a mapping of %s, got %s", what,
                       gn_exp_kind_name(n));
}

/* seeds: one integer or a list of distinct ones. */
static int parse_seeds(ctx *c, spec *sp, const ynode *n)
{
    item it = {.key = "seeds", .path = "seeds", .line = n->line, .quick = n->quick};
    if (gn_exp_parse_values(c, &it, &seeds_param, n) != 0) return -1;
    sp->seeds = gn_exp_alloc(c, (size_t)it.n * sizeof *sp->seeds);
    if (!sp->seeds) return -1;
    for (int i = 0; i < it.n; i++)
        sp->seeds[i] = strtol(it.v[i].s, NULL, 10);
    for (int i = 0; i < it.n; i++)
        for (int j = 0; j < i; j++)
            if (sp->seeds[i] == sp->seeds[j])
                return gn_exp_fail(c, it.v[i].line, it.v[i].quick, "seeds",
                                   "seed %ld is listed twice (also at line %d)", sp->seeds[i],
                                   it.v[j].line);
    sp->n_seeds = it.n;
    return 0;
}

/* dataset: a name (or a sweep of names) and the settings every named
 * dataset kind accepts. */
static int parse_dataset(ctx *c, spec *sp, const ynode *n, int kline, int kquick)
{
    char list[512];
    if (expect_map(c, n, "dataset", "dataset settings (name: teacher, ...)") != 0) return -1;
    int nline = 0;
    const ynode *name = gn_exp_map_get(n, "name", &nline);
    if (!name) {
        join_datasets(list, sizeof list);
        return gn_exp_fail(c, kline, kquick, "dataset.name",
                           "missing; expected the dataset: one of %s", list);
    }
    item *ni = gn_exp_layer_add(c, &sp->global);
    if (!ni) return -1;
    *ni =
        (item){.key = "dataset.name", .path = "dataset.name", .line = nline, .quick = name->quick};
    static const gn_param name_param = {"name", GN_PARAM_STRING, NULL, 0, 0, NULL, "dataset", 0};
    if (gn_exp_parse_values(c, ni, &name_param, name) != 0) return -1;
    const item nameitem = *ni; /* the layer may move */
    for (int i = 0; i < nameitem.n; i++) {
        if (!gn_dataset_kind_find(nameitem.v[i].s)) {
            join_datasets(list, sizeof list);
            return gn_exp_fail(c, nameitem.v[i].line, nameitem.v[i].quick, "dataset.name",
                               "unknown dataset \"%s\"; expected one of %s", nameitem.v[i].s, list);
        }
    }
    for (int i = 0; i < n->n; i++) {
        const char *key = n->k[i];
        if (strcmp(key, "name") == 0) continue;
        const gn_param *first = gn_param_find(gn_dataset_common_params, key);
        int common = first != NULL;
        for (int j = 0; j < nameitem.n && !common; j++) {
            const gn_dataset_kind *kind = gn_dataset_kind_find(nameitem.v[j].s);
            const gn_param *p = gn_param_find(kind->params, key);
            if (!p) {
                join_params(kind->params, list, sizeof list);
                char *path = gn_exp_printf(c, "dataset.%s", key);
                if (!path) return -1;
                return gn_exp_fail(c, n->kline[i], n->v[i]->quick, path,
                                   "unknown key for dataset %s; expected one of name, %s, "
                                   "validation, validation_seed",
                                   nameitem.v[j].s, list);
            }
            if (!first) first = p;
        }
        item *it = gn_exp_layer_add(c, &sp->global);
        if (!it) return -1;
        it->key = it->path = gn_exp_printf(c, "dataset.%s", key);
        if (!it->key) return -1;
        it->line = n->kline[i];
        it->quick = n->v[i]->quick;
        if (gn_exp_parse_values(c, it, first, n->v[i]) != 0) return -1;
        for (int j = 1; j < nameitem.n && !common; j++) {
            const gn_param *p = gn_param_find(gn_dataset_kind_find(nameitem.v[j].s)->params, key);
            if (p->type == GN_PARAM_LIST) continue;
            if (gn_exp_revalidate(c, it, p) != 0) return -1;
        }
    }
    return 0;
}

/* Key i of mapping n is train.iterations or train.epochs: 0 the first time,
 * or -1 with the error that a run length is given twice (*key, *line: the
 * first one seen in this mapping). Other keys: 0. */
static int run_length_once(ctx *c, const ynode *n, int i, const char *path, const char **key,
                           int *line)
{
    const char *k = n->k[i];
    if (strcmp(k, "iterations") != 0 && strcmp(k, "epochs") != 0) return 0;
    if (*key)
        return gn_exp_fail(c, n->kline[i], n->v[i]->quick, path,
                           "give iterations or epochs, not both (%s at line %d)", *key, *line);
    *key = k;
    *line = n->kline[i];
    return 0;
}

/* train.target written as {metric: M, value: X}: the items train.target_metric
 * and train.target, each checked against its entry. */
static int parse_target_map(ctx *c, layer *l, const ynode *m, int line)
{
    static const char *const sub[][2] = {{"metric", "target_metric"}, {"value", "target"}};
    for (int i = 0; i < m->n; i++) {
        int k = strcmp(m->k[i], "metric") == 0 ? 0 : strcmp(m->k[i], "value") == 0 ? 1 : -1;
        if (k < 0) {
            char *path = gn_exp_printf(c, "train.target.%s", m->k[i]);
            if (!path) return -1;
            return gn_exp_fail(c, m->kline[i], m->v[i]->quick, path,
                               "unknown key; expected metric or value");
        }
        item *it = gn_exp_layer_add(c, l);
        if (!it) return -1;
        it->key = gn_exp_printf(c, "train.%s", sub[k][1]);
        it->path = gn_exp_printf(c, "train.target.%s", sub[k][0]);
        if (!it->key || !it->path) return -1;
        it->line = m->kline[i];
        it->quick = m->v[i]->quick;
        if (gn_exp_parse_values(c, it, gn_param_find(gn_train_params, sub[k][1]), m->v[i]) != 0)
            return -1;
    }
    if (gn_exp_map_index(m, "value") < 0)
        return gn_exp_fail(c, line, m->quick, "train.target.value", "missing; expected the target");
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
        char *path = gn_exp_printf(c, "%s.%s", sect, key);
        if (!path) return -1;
        if (table == gn_train_params && strcmp(key, "target") == 0 && n->v[i]->kind == Y_MAP) {
            if (parse_target_map(c, &sp->global, n->v[i], n->kline[i]) != 0) return -1;
            continue;
        }
        const gn_param *p = gn_param_find(table, key);
        if (!p) {
            join_params(table, list, sizeof list);
            return gn_exp_fail(c, n->kline[i], n->v[i]->quick, path,
                               "unknown key; expected one of %s", list);
        }
        if (table == gn_train_params && run_length_once(c, n, i, path, &len_key, &len_line) != 0)
            return -1;
        item *it = gn_exp_layer_add(c, &sp->global);
        if (!it) return -1;
        it->key = it->path = path;
        it->line = n->kline[i];
        it->quick = n->v[i]->quick;
        if (gn_exp_parse_values(c, it, p, n->v[i]) != 0) return -1;
    }
    if (table == gn_model_params) {
        int hi = gn_exp_map_index(n, "hidden");
        int wi = gn_exp_map_index(n, "width"), di = gn_exp_map_index(n, "depth");
        if (hi >= 0 && (wi >= 0 || di >= 0))
            return gn_exp_fail(c, n->kline[hi], n->v[hi]->quick, "model.hidden",
                               "replaces depth and width; give either hidden or depth/width");
        int ai = gn_exp_map_index(n, "activations"), a1 = gn_exp_map_index(n, "activation");
        if (ai >= 0 && a1 >= 0)
            return gn_exp_fail(c, n->kline[ai], n->v[ai]->quick, "model.activations",
                               "replaces activation; give either activations or activation");
    }
    return 0;
}

/* optimizers[index]: the optimizer's name, its hyperparameters and the
 * train settings the entry overrides. */
static int parse_entry(ctx *c, entry *e, const ynode *n, int index)
{
    char list[512], list2[512];
    e->index = index;
    e->line = n->line;
    e->quick = n->quick;
    char *epath = gn_exp_printf(c, "optimizers[%d]", index);
    if (!epath) return -1;
    if (n->kind != Y_MAP)
        return gn_exp_fail(c, n->line, n->quick, epath,
                           "expected a mapping such as {name: sgd, lr: 0.1}, got %s",
                           gn_exp_kind_name(n));
    int nline = 0;
    const ynode *name = gn_exp_map_get(n, "name", &nline);
    join_optimizers(list, sizeof list);
    char *npath = gn_exp_printf(c, "%s.name", epath);
    if (!npath) return -1;
    if (!name) return gn_exp_fail(c, n->line, n->quick, npath, "missing; expected one of %s", list);
    if (name->kind != Y_SCALAR || name->null)
        return gn_exp_fail(c, name->line, name->quick, npath,
                           "expected one optimizer name: one of %s", list);
    e->ops = gn_optim_find(name->str);
    if (!e->ops) {
        char got[80];
        return gn_exp_fail(c, name->line, name->quick, npath,
                           "unknown optimizer %s; expected one of %s",
                           gn_exp_shown(name, got, sizeof got), list);
    }
    int len_line = 0;
    const char *len_key = NULL;
    for (int i = 0; i < n->n; i++) {
        const char *key = n->k[i];
        if (strcmp(key, "name") == 0) continue;
        if (strcmp(key, "tune") == 0) {
            if (gn_exp_parse_tune(c, e, n->v[i], n->kline[i], epath) != 0) return -1;
            continue;
        }
        if (strcmp(key, "trials") == 0) {
            if (gn_exp_parse_trials(c, e, n->v[i], n->kline[i], epath) != 0) return -1;
            continue;
        }
        char *path = gn_exp_printf(c, "%s.%s", epath, key);
        if (!path) return -1;
        if (strcmp(key, "label") == 0) {
            if (gn_exp_entry_label(c, n->v[i], path, &e->label) != 0) return -1;
            continue;
        }
        const gn_param *p = gn_param_find(e->ops->params, key);
        const char *sect = "opt";
        if (!p) {
            p = gn_param_find(gn_train_params, key);
            sect = "train";
        }
        if (!p) {
            join_params(e->ops->params, list, sizeof list);
            join_params(gn_train_params, list2, sizeof list2);
            return gn_exp_fail(
                c, n->kline[i], n->v[i]->quick, path,
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
            return gn_exp_fail(c, n->kline[i], n->v[i]->quick, path,
                               "%s is full-batch (every step uses the whole training set); for "
                               "mini-batches use one of %s",
                               e->ops->name, list);
        }
        if (strcmp(sect, "train") == 0 && run_length_once(c, n, i, path, &len_key, &len_line) != 0)
            return -1;
        item *it = gn_exp_layer_add(c, &e->l);
        if (!it) return -1;
        it->key = gn_exp_printf(c, "%s.%s", sect, key);
        if (!it->key) return -1;
        it->path = path;
        it->line = n->kline[i];
        it->quick = n->v[i]->quick;
        if (gn_exp_parse_values(c, it, p, n->v[i]) != 0) return -1;
    }
    return 0;
}

int gn_exp_parse_root(ctx *c, spec *sp, const ynode *root)
{
    char list[512];
    for (int i = 0; i < root->n; i++) {
        if (!gn_exp_in_list(gn_exp_top_keys, root->k[i])) {
            gn_exp_join(gn_exp_top_keys, list, sizeof list);
            return gn_exp_fail(c, root->kline[i], root->v[i]->quick, root->k[i],
                               "unknown key; expected one of %s", list);
        }
    }
    int kl = 1;
    const ynode *n = gn_exp_map_get(root, "name", &kl);
    if (!n)
        return gn_exp_fail(c, 1, 0, "name",
                           "missing; expected the experiment's name ([a-z0-9_-]+)");
    if (n->kind != Y_SCALAR || n->null || !gn_exp_name_ok(n->str)) {
        char got[80];
        return gn_exp_fail(
            c, n->line, n->quick, "name",
            "expected a name of 1 to %d characters from [a-z0-9_-], got %s", MAX_NAME,
            n->kind == Y_SCALAR ? gn_exp_shown(n, got, sizeof got) : gn_exp_kind_name(n));
    }
    sp->name = n->str;
    n = gn_exp_map_get(root, "description", &kl);
    if (n) {
        if (n->kind != Y_SCALAR)
            return gn_exp_fail(c, n->line, n->quick, "description", "expected text, got %s",
                               gn_exp_kind_name(n));
        sp->description = n->str;
    }
    n = gn_exp_map_get(root, "protocol", &kl);
    if (n && gn_exp_parse_protocol(c, sp, n, kl) != 0) return -1;
    n = gn_exp_map_get(root, "seeds", &sp->seeds_line);
    if (n) {
        if (parse_seeds(c, sp, n) != 0) return -1;
    } else {
        sp->seeds = gn_exp_alloc(c, sizeof *sp->seeds);
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
            item *it = gn_exp_layer_add(c, &sp->global);
            if (!it) return -1;
            *it = (item){.key = "loss", .path = "loss", .line = root->kline[i], .quick = v->quick};
            if (gn_exp_parse_values(c, it, &c->loss_param, v) != 0) return -1;
        }
    }
    if (!have_dataset) {
        join_datasets(list, sizeof list);
        return gn_exp_fail(c, 1, 0, "dataset", "missing; expected a mapping with name: one of %s",
                           list);
    }
    n = gn_exp_map_get(root, "optimizers", &kl);
    if (!n) {
        join_optimizers(list, sizeof list);
        return gn_exp_fail(c, 1, 0, "optimizers",
                           "missing; expected a list of optimizer entries such as {name: sgd}; "
                           "optimizers: %s",
                           list);
    }
    if (n->kind != Y_SEQ || n->n == 0)
        return gn_exp_fail(
            c, n->line, n->quick, "optimizers",
            "expected a non-empty list of optimizer entries such as {name: sgd}, got %s",
            n->kind == Y_SEQ ? "an empty list" : gn_exp_kind_name(n));
    sp->entries = gn_exp_alloc(c, (size_t)n->n * sizeof *sp->entries);
    if (!sp->entries) return -1;
    for (int i = 0; i < n->n; i++) {
        if (parse_entry(c, &sp->entries[i], n->v[i], i) != 0) return -1;
        sp->n_entries++;
    }
    n = gn_exp_map_get(root, "figures", &kl);
    if (n && !(n->kind == Y_SCALAR && n->null)) {
        if (n->kind != Y_SEQ)
            return gn_exp_fail(c, n->line, n->quick, "figures",
                               "expected a list of figures such as {name: loss, kind: trace, x: "
                               "iteration, y: train_loss}, got %s",
                               gn_exp_kind_name(n));
        sp->figures = n;
        sp->figures_line = kl;
    }
    return 0;
}
