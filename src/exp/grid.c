/* grid.c: step 4 of loading (exp_internal.h): the run grid. Global sweeps
 * outermost, then optimizer entries, their own sweeps and the seeds; each
 * run's settings resolved with defaults, hashed into its run id and bound
 * into a typed run spec; runs two entries would both produce refused; and
 * the union of the runs' settings put in runs.csv column order. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/dataset.h"
#include "exp/exp_internal.h"
#include "exp/train.h"
#include "model/loss.h"
#include "model/model_spec.h"
#include "optim/optim.h"

/* Settings by key, for the canonical text. */
static int cmp_setting_ptr(const void *a, const void *b)
{
    const gn_setting *x = *(const gn_setting *const *)a, *y = *(const gn_setting *const *)b;
    return strcmp(x->key, y->key);
}

/* FNV-1a 64 of the settings' canonical text: "key=value\n" sorted by key. */
uint64_t gn_exp_settings_hash(const gn_settings *s, int *oom)
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
    if (gn_exp_layer_find(&e->l, key)) return 0;
    if (strcmp(k, "iterations") == 0 && gn_exp_layer_find(&e->l, "train.epochs")) return 0;
    if (strcmp(k, "epochs") == 0 && gn_exp_layer_find(&e->l, "train.iterations")) return 0;
    if (strcmp(k, "batch") == 0 && e->ops->full_batch) return 0;
    return 1;
}

/* The value of key at the counter position idx of l, or NULL. */
static const char *value_at(const layer *l, const int *idx, const char *key)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->it[i].key, key) == 0) return l->it[i].v[idx[i]].s;
    return NULL;
}

/* Sets "sect.name" for every parameter of table t: the entry's value, else
 * the global one, else the default; iterations and epochs exclude each other
 * and full-batch optimizers get no batch. */
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
        if (v && gn_settings_set(s, key, v) != 0) return gn_exp_oom(c);
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

/* The model settings that must agree with each other (gn_model_check),
 * checked per run since hidden, depth and activations may each be swept. A
 * setting that does not bind is left for bind_run to report. */
static int check_model(ctx *c, const gn_settings *s, const spec *sp, const int *gidx)
{
    char why[256];
    gn_model_hparams m;
    if (gn_params_bind(gn_model_params, s, "model.", &m, why, sizeof why) != 0 ||
        gn_model_check(&m, why, sizeof why) == 0)
        return 0;
    for (int i = 0; i < sp->global.n; i++)
        if (strcmp(sp->global.it[i].key, "model.activations") == 0) {
            const val *v = &sp->global.it[i].v[gidx[i]];
            return gn_exp_fail(c, v->line, v->quick, "model.activations", "%s", why);
        }
    return gn_exp_fail(c, 0, 0, "model.activations", "%s", why);
}

int gn_exp_resolve(ctx *c, gn_settings *s, const spec *sp, const int *gidx, const entry *e,
                   const int *eidx)
{
    char key[160];
    const char *dname = value_at(&sp->global, gidx, "dataset.name");
    const gn_dataset_kind *kind = gn_dataset_kind_find(dname);
    if (gn_settings_set(s, "dataset.name", dname) != 0) return gn_exp_oom(c);
    if (set_table(c, s, "dataset", kind->params, sp, gidx, NULL, NULL) != 0 ||
        set_table(c, s, "dataset", gn_dataset_common_params, sp, gidx, NULL, NULL) != 0)
        return -1;
    if (set_table(c, s, "model", gn_model_params, sp, gidx, NULL, NULL) != 0 ||
        check_model(c, s, sp, gidx) != 0)
        return -1;
    if (set_table(c, s, "train", gn_train_params, sp, gidx, e, eidx) != 0) return -1;
    const char *loss = value_at(&sp->global, gidx, "loss");
    if (!loss) loss = c->loss_param.def;
    if (!loss_supported(e->ops, loss)) {
        char list[64];
        losses_text(e->ops, list, sizeof list);
        return gn_exp_fail(c, e->line, e->quick, "loss",
                           "optimizer %s does not support loss %s; it supports %s", e->ops->name,
                           loss, list);
    }
    if (gn_settings_set(s, "loss", loss) != 0) return gn_exp_oom(c);
    const gn_param *t = e->ops->params;
    for (int i = 0; t && t[i].name; i++) {
        snprintf(key, sizeof key, "opt.%s", t[i].name);
        const char *v = value_at(&e->l, eidx, key);
        if (!v) v = t[i].def;
        if (v && gn_settings_set(s, key, v) != 0) return gn_exp_oom(c);
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

/* Runs a layer's sweeps multiply into. */
static double grid_size(const layer *l)
{
    double g = 1;
    for (int i = 0; i < l->n; i++)
        g *= l->it[i].n;
    return g;
}

void gn_exp_run_spec_free(gn_run_spec *r)
{
    free(r->hparams);
    gn_dataset_spec_free(&r->dataset);
    free(r->dataset_key);
    gn_settings_free(&r->settings);
}

/* The cache key of a run's dataset: the `dataset.*` settings and the target
 * encoding the run's loss asks for. */
static char *dataset_key(const gn_settings *s, gn_targets targets)
{
    size_t len = 32;
    for (int i = 0; i < s->n; i++)
        if (strncmp(s->v[i].key, "dataset.", 8) == 0)
            len += strlen(s->v[i].key) + strlen(s->v[i].value) + 2;
    char *k = malloc(len), *p = k;
    if (!k) return NULL;
    *p = 0;
    for (int i = 0; i < s->n; i++)
        if (strncmp(s->v[i].key, "dataset.", 8) == 0)
            p += sprintf(p, "%s=%s\n", s->v[i].key, s->v[i].value);
    sprintf(p, "request.targets=%d\n", (int)targets);
    return k;
}

/* The typed run: what every layer below reads instead of the text. The
 * values were checked when the file was read; a failure here is a table
 * that does not agree with its own defaults. */
static int bind_run(ctx *c, gn_run_spec *r, const gn_optim_ops *ops, int line, int quick,
                    const char *base_dir)
{
    char why[256];
    r->optim = ops;
    if (gn_loss_parse(gn_settings_get(&r->settings, "loss"), &r->loss) != 0)
        return gn_exp_fail(c, line, quick, "loss", "unknown loss");
    r->hparams = gn_optim_bind(ops, &r->settings, why, sizeof why);
    if (!r->hparams ||
        gn_params_bind(gn_model_params, &r->settings, "model.", &r->model, why, sizeof why) != 0 ||
        gn_params_bind(gn_train_params, &r->settings, "train.", &r->train, why, sizeof why) != 0 ||
        gn_dataset_spec_bind(&r->dataset, &r->settings, why, sizeof why) != 0)
        return gn_exp_fail(c, line, quick, ops->name, "%s", why);
    r->request = (gn_dataset_request){base_dir, gn_loss_targets(r->loss)};
    r->dataset_key = dataset_key(&r->settings, r->request.targets);
    if (!r->dataset_key) return gn_exp_oom(c);
    return 0;
}

const char *gn_run_phase_name(gn_run_phase p)
{
    static const char *const names[GN_PHASE_COUNT] = {"grid", "tune", "confirm"};
    return p >= 0 && p < GN_PHASE_COUNT ? names[p] : "grid";
}

/* The ids of a run of optimizer name, seed and settings hash h. */
static void set_ids(gn_run_spec *r, const char *name, long seed, uint64_t h)
{
    snprintf(r->run_id, sizeof r->run_id, "%s-s%ld-%012llx", name, seed,
             (unsigned long long)(h >> 16));
    snprintf(r->config_id, sizeof r->config_id, "%s-%012llx", name, (unsigned long long)(h >> 16));
}

int gn_exp_push_run(ctx *c, gn_experiment *ex, int *cap, int **lines, const entry *e, long seed,
                    uint64_t h, const gn_settings *s)
{
    if (ex->n_runs == *cap) {
        int ncap = *cap ? 2 * *cap : 64;
        gn_run_spec *nr = realloc(ex->runs, (size_t)ncap * sizeof *nr);
        if (!nr) return gn_exp_oom(c);
        ex->runs = nr;
        int *nl = realloc(*lines, (size_t)ncap * sizeof *nl);
        if (!nl) return gn_exp_oom(c);
        *lines = nl;
        *cap = ncap;
    }
    gn_run_spec *r = &ex->runs[ex->n_runs];
    memset(r, 0, sizeof *r);
    if (gn_settings_copy(&r->settings, s) != 0) return gn_exp_oom(c);
    r->seed = seed;
    r->entry = e->index;
    r->study = r->trial = -1;
    if (bind_run(c, r, e->ops, e->line, e->quick, ex->base_dir) != 0) {
        gn_exp_run_spec_free(r);
        return -1;
    }
    set_ids(r, e->ops->name, seed, h);
    (*lines)[ex->n_runs] = e->index;
    ex->n_runs++;
    return 0;
}

/* A run id and its run's index, sorted to find repeats. */
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
int gn_exp_check_duplicates(ctx *c, const gn_experiment *ex, const spec *sp, const int *entry_of)
{
    int n = ex->n_runs;
    run_ref *ord = malloc((size_t)(n ? n : 1) * sizeof *ord);
    if (!ord) return gn_exp_oom(c);
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
        rc = gn_exp_fail(
            c, e->line, e->quick, path,
            "repeats the settings of optimizers[%d] (line %d), so run %s would run twice; "
            "remove one or change a setting",
            f->index, f->line, ord[i].id);
    }
    free(ord);
    return rc;
}

/* Step 4 (exp_internal.h). */
int gn_exp_expand(ctx *c, const spec *sp, gn_experiment *ex)
{
    if (sp->proto.on) return gn_exp_expand_protocol(c, sp, ex);
    /* Bound the grid before expanding it. */
    double total = 0, g = grid_size(&sp->global);
    for (int i = 0; i < sp->n_entries; i++)
        total += g * grid_size(&sp->entries[i].l);
    total *= sp->n_seeds;
    if (total > MAX_RUNS)
        return gn_exp_fail(c, 1, 0, NULL, "the run grid has %.0f runs; at most %d are supported",
                           total, MAX_RUNS);
    int cap = 0, rc = 0;
    int *entry_of = NULL;
    int *gidx = calloc((size_t)sp->global.n + 1, sizeof *gidx);
    gn_settings s;
    gn_settings_init(&s);
    if (!gidx) return gn_exp_oom(c);
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
                rc = gn_exp_oom(c);
                break;
            }
            do {
                gn_settings_free(&s);
                rc = gn_exp_resolve(c, &s, sp, gidx, e, eidx);
                int oom = 0;
                uint64_t h = rc == 0 ? gn_exp_settings_hash(&s, &oom) : 0;
                if (oom) rc = gn_exp_oom(c);
                for (int k = 0; k < sp->n_seeds && rc == 0; k++)
                    rc = gn_exp_push_run(c, ex, &cap, &entry_of, e, sp->seeds[k], h, &s);
            } while (rc == 0 && next_index(eidx, &e->l));
            free(eidx);
        }
    } while (rc == 0 && next_index(gidx, &sp->global));
    gn_settings_free(&s);
    free(gidx);
    if (rc == 0) rc = gn_exp_check_duplicates(c, ex, sp, entry_of);
    free(entry_of);
    return rc;
}

int gn_experiment_add_confirm(gn_experiment *ex, int tune, char *err, size_t errlen)
{
    ctx c;
    memset(&c, 0, sizeof c);
    c.path = ex->path;
    c.err = err;
    c.errlen = errlen;
    const gn_run_spec *t = &ex->runs[tune];
    const gn_optim_ops *ops = t->optim;
    int entry_index = t->entry, study = t->study, trial = t->trial, oom = 0, added = 0;
    gn_settings s;
    gn_settings_init(&s);
    if (gn_settings_copy(&s, &t->settings) != 0) return gn_exp_oom(&c);
    uint64_t h = gn_exp_settings_hash(&s, &oom);
    for (long seed = 1; seed <= ex->protocol.confirm_seeds && !oom; seed++) {
        gn_run_spec probe;
        set_ids(&probe, ops->name, seed, h);
        int found = 0;
        for (int i = 0; i < ex->n_runs && !found; i++)
            found = strcmp(ex->runs[i].run_id, probe.run_id) == 0;
        if (found) continue;
        gn_run_spec *nr = realloc(ex->runs, (size_t)(ex->n_runs + 1) * sizeof *nr);
        if (!nr) {
            oom = 1;
            break;
        }
        ex->runs = nr;
        gn_run_spec *r = &ex->runs[ex->n_runs];
        memset(r, 0, sizeof *r);
        if (gn_settings_copy(&r->settings, &s) != 0) {
            oom = 1;
            break;
        }
        r->seed = seed;
        r->entry = entry_index;
        r->phase = GN_PHASE_CONFIRM;
        r->study = study;
        r->trial = trial;
        if (bind_run(&c, r, ops, 0, 0, ex->base_dir) != 0) {
            gn_exp_run_spec_free(r);
            gn_settings_free(&s);
            return -1;
        }
        set_ids(r, ops->name, seed, h);
        ex->n_runs++;
        added++;
    }
    gn_settings_free(&s);
    return oom ? gn_exp_oom(&c) : added;
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

/* The union of every run's setting keys, ordered by col_rank. */
int gn_exp_build_columns(ctx *c, gn_experiment *ex)
{
    int cap = 64, n = 0;
    col *cols = malloc((size_t)cap * sizeof *cols);
    if (!cols) return gn_exp_oom(c);
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
                    return gn_exp_oom(c);
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
        return gn_exp_oom(c);
    }
    for (int i = 0; i < n; i++) {
        ex->columns[i] = strdup(cols[i].key);
        if (!ex->columns[i]) {
            free(cols);
            return gn_exp_oom(c);
        }
        ex->n_columns++;
    }
    free(cols);
    return 0;
}
