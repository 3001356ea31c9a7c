/* tune.c: tuning studies (exp_internal.h). The protocol: section, an
 * entry's tune: space and trials: budget, and the expansion of a protocol
 * experiment into trials: per entry and study, quasi-random points of the
 * space (a shifted Halton sequence from the study's seed, core/rng.h), or
 * every point when each dimension is a plain list (a grid). Trials are
 * ordinary runs: their sampled values are settings like any other, so run
 * ids, resume, shards and merges treat them as they treat a grid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "exp/exp_internal.h"

/* The protocol: keys, bound into proto_cfg. */
typedef struct proto_cfg {
    long trials, studies, confirm_seeds, seed;
    int select, target;
    const char *baselines;
} proto_cfg;

const gn_param gn_protocol_params[] = {
    GN_P_INT(proto_cfg, trials, "16", 1, 1000,
             "trials per study of every optimizer entry: the tuning budget (an entry's own "
             "trials: overrides it, and the override is recorded)"),
    GN_P_INT(proto_cfg, studies, "1", 1, 100, "independent tuning studies per optimizer entry"),
    GN_P_INT(proto_cfg, confirm_seeds, "5", 1, 1000,
             "seeds (1 .. N) each study's chosen configuration is rerun on"),
    GN_P_INT(proto_cfg, seed, "0", 0, 9007199254740992.0, "seed of the quasi-random sampler"),
    GN_P_CHOICE(proto_cfg, select, NULL, "time_to_target|final_val_loss|best_val_loss",
                "how a study's best trial is chosen (absent: time_to_target with a target, "
                "else final_val_loss)"),
    GN_P_CHOICE(proto_cfg, target, NULL, "given|auto",
                "auto: the validation target is set by the tuned baselines (the median over their "
                "confirmation seeds of the better baseline's best value of train.target_metric), "
                "as AlgoPerf does; given (absent): train.target"),
    GN_P_LIST(proto_cfg, baselines,
              "the optimizers the others' speed-up is measured against (absent: sgd, adam)"),
    GN_P_END,
};

static void join_names(const gn_param *t, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; t[i].name && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", t[i].name);
}

int gn_exp_parse_protocol(ctx *c, spec *sp, const ynode *n, int line)
{
    char list[256];
    if (n->kind != Y_MAP && !(n->kind == Y_SCALAR && n->null))
        return gn_exp_fail(c, n->line, n->quick, "protocol",
                           "expected a mapping such as {trials: 16, confirm_seeds: 5}, got %s",
                           gn_exp_kind_name(n));
    gn_settings s;
    gn_settings_init(&s);
    for (int i = 0; n->kind == Y_MAP && i < n->n; i++) {
        const gn_param *p = gn_param_find(gn_protocol_params, n->k[i]);
        char *path = gn_exp_printf(c, "protocol.%s", n->k[i]);
        if (!path) goto fail;
        if (!p) {
            join_names(gn_protocol_params, list, sizeof list);
            gn_exp_fail(c, n->kline[i], n->v[i]->quick, path, "unknown key; expected one of %s",
                        list);
            goto fail;
        }
        item it = {.key = n->k[i], .path = path, .line = n->kline[i], .quick = n->v[i]->quick};
        if (gn_exp_parse_values(c, &it, p, n->v[i]) != 0) goto fail;
        if (it.n != 1) {
            gn_exp_fail(c, it.line, it.quick, path, "expected one value, not a sweep");
            goto fail;
        }
        if (gn_settings_set(&s, n->k[i], it.v[0].s) != 0) {
            gn_exp_oom(c);
            goto fail;
        }
    }
    proto_cfg cfg;
    char why[256];
    if (gn_params_bind(gn_protocol_params, &s, "", &cfg, why, sizeof why) != 0) {
        gn_exp_fail(c, line, n->quick, "protocol", "%s", why);
        goto fail;
    }
    sp->proto = (gn_protocol){.on = 1,
                              .trials = cfg.trials,
                              .studies = cfg.studies,
                              .confirm_seeds = cfg.confirm_seeds,
                              .seed = cfg.seed,
                              .select = cfg.select,
                              .target_auto = cfg.target == 1,
                              .target_value = NAN};
    sp->proto.baselines = gn_exp_printf(c, "%s", cfg.baselines ? cfg.baselines : "sgd;adam");
    gn_settings_free(&s);
    if (!sp->proto.baselines) return -1;
    for (char *q = sp->proto.baselines; *q; q++)
        if (*q == ';') *q = ' ';
    sp->proto_line = line;
    return 0;
fail:
    gn_settings_free(&s);
    return -1;
}

int gn_exp_parse_trials(ctx *c, entry *e, const ynode *n, int line, const char *epath)
{
    static const gn_param p = {"trials", GN_PARAM_INT, NULL, 1, 1000, NULL, "trials", 0};
    char *path = gn_exp_printf(c, "%s.trials", epath);
    if (!path) return -1;
    item it = {.key = "trials", .path = path, .line = line, .quick = n->quick};
    if (gn_exp_parse_values(c, &it, &p, n) != 0) return -1;
    if (it.n != 1) return gn_exp_fail(c, line, n->quick, path, "expected one number of trials");
    e->trials = strtol(it.v[0].s, NULL, 10);
    e->trials_line = line;
    return 0;
}

/* lo and hi of a [lo, hi] range for p (each a value p accepts). */
static int parse_range(ctx *c, tune_dim *d, const ynode *r, int log)
{
    const char *path = d->it.path;
    if (d->p->type != GN_PARAM_REAL && d->p->type != GN_PARAM_INT)
        return gn_exp_fail(c, r->line, r->quick, path,
                           "a range needs a numeric hyperparameter; give choice: [...] instead");
    if (r->kind != Y_SEQ || r->n != 2)
        return gn_exp_fail(c, r->line, r->quick, path, "expected a range [low, high]");
    item tmp = d->it;
    if (gn_exp_parse_values(c, &tmp, d->p, r) != 0) return -1;
    d->lo = strtod(tmp.v[0].s, NULL);
    d->hi = strtod(tmp.v[1].s, NULL);
    if (!(d->lo < d->hi))
        return gn_exp_fail(c, r->line, r->quick, path, "expected low < high, got [%s, %s]",
                           tmp.v[0].s, tmp.v[1].s);
    if (log && !(d->lo > 0))
        return gn_exp_fail(c, r->line, r->quick, path,
                           "log_uniform needs a positive low end, got %s", tmp.v[0].s);
    return 0;
}

/* One tune: key: a list (grid or choice), {choice: [...]}, {uniform: [a, b]}
 * or {log_uniform: [a, b]}. */
static int parse_dim(ctx *c, const entry *e, tune_dim *d, const char *key, const ynode *v, int line,
                     const char *epath)
{
    char list[512];
    d->p = gn_param_find(e->ops->params, key);
    d->it = (item){.line = line, .quick = v->quick};
    d->it.path = gn_exp_printf(c, "%s.tune.%s", epath, key);
    d->it.key = gn_exp_printf(c, "opt.%s", key);
    if (!d->it.path || !d->it.key) return -1;
    if (!d->p) {
        join_names(e->ops->params, list, sizeof list);
        return gn_exp_fail(c, line, v->quick, d->it.path,
                           "unknown key; tune: takes hyperparameters of %s (%s)", e->ops->name,
                           list);
    }
    if (gn_exp_layer_find(&e->l, d->it.key))
        return gn_exp_fail(c, line, v->quick, d->it.path,
                           "is also set outside tune: in this entry; give it in one place");
    if (v->kind == Y_SEQ) {
        d->dist = TUNE_LIST;
        return gn_exp_parse_values(c, &d->it, d->p, v);
    }
    if (v->kind != Y_MAP || v->n != 1)
        return gn_exp_fail(c, v->line, v->quick, d->it.path,
                           "expected a list of values or one of {log_uniform: [low, high]}, "
                           "{uniform: [low, high]}, {choice: [...]}");
    const char *how = v->k[0];
    if (strcmp(how, "choice") == 0) {
        d->dist = TUNE_CHOICE;
        if (v->v[0]->kind != Y_SEQ)
            return gn_exp_fail(c, v->kline[0], v->quick, d->it.path,
                               "expected choice: [a, b, ...]");
        return gn_exp_parse_values(c, &d->it, d->p, v->v[0]);
    }
    if (strcmp(how, "uniform") == 0 || strcmp(how, "log_uniform") == 0) {
        d->dist = how[0] == 'u' ? TUNE_UNIFORM : TUNE_LOG_UNIFORM;
        return parse_range(c, d, v->v[0], d->dist == TUNE_LOG_UNIFORM);
    }
    return gn_exp_fail(c, v->kline[0], v->quick, d->it.path,
                       "unknown distribution %s; expected log_uniform, uniform or choice", how);
}

int gn_exp_parse_tune(ctx *c, entry *e, const ynode *n, int line, const char *epath)
{
    char *path = gn_exp_printf(c, "%s.tune", epath);
    if (!path) return -1;
    if (n->kind != Y_MAP || n->n == 0)
        return gn_exp_fail(c, line, n->quick, path,
                           "expected a mapping of hyperparameters to search, such as {lr: "
                           "{log_uniform: [1e-4, 1]}}");
    if (n->n > GN_HALTON_MAX_DIM)
        return gn_exp_fail(c, line, n->quick, path, "at most %d hyperparameters can be tuned",
                           GN_HALTON_MAX_DIM);
    e->tune = gn_exp_alloc(c, (size_t)n->n * sizeof *e->tune);
    if (!e->tune) return -1;
    for (int i = 0; i < n->n; i++) {
        if (parse_dim(c, e, &e->tune[i], n->k[i], n->v[i], n->kline[i], epath) != 0) return -1;
        e->n_tune++;
    }
    e->tune_line = line;
    return 0;
}

/* ---- expansion ---- */

/* An entry's method name: its label, else its optimizer's name (as
 * gn_experiment_entry_name). */
static const char *entry_name(const entry *e)
{
    return e->label ? e->label : e->ops->name;
}

/* What a protocol experiment may not have: seeds:, sweeps of global
 * settings or outside tune:, two entries of one name (label, else optimizer), a validation-free
 * dataset. */
static int check_protocol(ctx *c, const spec *sp)
{
    if (sp->seeds_line)
        return gn_exp_fail(c, sp->seeds_line, 0, "seeds",
                           "a protocol experiment runs its trials on seed %d + study and "
                           "confirms on seeds 1 .. protocol.confirm_seeds; remove seeds:",
                           GN_PROTOCOL_TUNE_SEED);
    int have_val = 0;
    for (int i = 0; i < sp->global.n; i++) {
        const item *it = &sp->global.it[i];
        if (strcmp(it->key, "dataset.validation") == 0) have_val = 1;
        if (it->n > 1)
            return gn_exp_fail(c, it->line, it->quick, it->path,
                               "a protocol experiment tunes every optimizer on one problem; "
                               "sweep this setting with one experiment per value");
    }
    if (!have_val)
        return gn_exp_fail(c, sp->proto_line, 0, "protocol",
                           "selects on validation data: set dataset.validation (a fraction or a "
                           "number of training samples to hold out)");
    for (int k = 0; k < sp->n_entries; k++) {
        const entry *e = &sp->entries[k];
        for (int i = 0; i < e->l.n; i++)
            if (e->l.it[i].n > 1)
                return gn_exp_fail(c, e->l.it[i].line, e->l.it[i].quick, e->l.it[i].path,
                                   "in a protocol experiment hyperparameters are searched with "
                                   "tune:, not swept");
        for (int j = 0; j < k; j++)
            if (!strcmp(entry_name(&sp->entries[j]), entry_name(e)))
                return gn_exp_fail(c, e->line, e->quick, "optimizers",
                                   "%s has two entries (also line %d); a protocol tunes each "
                                   "method once: put the alternatives in its tune: space, or "
                                   "give each entry its own label: to tune and report them apart",
                                   entry_name(e), sp->entries[j].line);
    }
    return 0;
}

/* Trials per study of entry e: every point of a grid (all dimensions plain
 * lists), else its trials: or the protocol's. */
static long entry_trials(const spec *sp, const entry *e, int *grid)
{
    *grid = e->n_tune > 0;
    long points = 1;
    for (int i = 0; i < e->n_tune; i++) {
        if (e->tune[i].dist != TUNE_LIST) *grid = 0;
        points *= e->tune[i].it.n;
    }
    if (e->n_tune == 0) return 1;
    if (*grid) return points;
    return e->trials ? e->trials : sp->proto.trials;
}

/* The value text of dimension d at the quasi-random coordinate u in [0, 1). */
static const char *sample_text(ctx *c, const tune_dim *d, double u)
{
    if (d->dist == TUNE_LIST || d->dist == TUNE_CHOICE) {
        int k = (int)(u * d->it.n);
        return d->it.v[k < d->it.n ? k : d->it.n - 1].s;
    }
    double x = d->dist == TUNE_UNIFORM ? d->lo + u * (d->hi - d->lo)
                                       : exp(log(d->lo) + u * (log(d->hi) - log(d->lo)));
    if (x < d->lo) x = d->lo;
    if (x > d->hi) x = d->hi;
    if (d->p->type == GN_PARAM_INT) return gn_exp_printf(c, "%ld", lround(x));
    return gn_exp_printf(c, "%.6g", x);
}

/* Entry e with its tune: dimensions fixed at trial t of study s (shift: the
 * study's rotation), as a copy whose layer holds one value per dimension. */
static int trial_entry(ctx *c, const entry *e, int grid, long t, const double *shift, entry *out)
{
    *out = *e;
    out->l = (layer){0};
    for (int i = 0; i < e->l.n; i++) {
        item *it = gn_exp_layer_add(c, &out->l);
        if (!it) return -1;
        *it = e->l.it[i];
    }
    long rest = t;
    for (int i = e->n_tune - 1; grid && i >= 0; i--) { /* first dimension slowest */
        const tune_dim *d = &e->tune[i];
        item *it = gn_exp_layer_add(c, &out->l);
        if (!it) return -1;
        *it = d->it;
        it->n = 1;
        it->v = &d->it.v[rest % d->it.n];
        rest /= d->it.n;
    }
    for (int i = 0; !grid && i < e->n_tune; i++) {
        const tune_dim *d = &e->tune[i];
        const char *text = sample_text(c, d, gn_halton_shifted((uint64_t)t, i, shift));
        item *it = gn_exp_layer_add(c, &out->l);
        val *v = gn_exp_alloc(c, sizeof *v);
        if (!it || !v || !text) return -1;
        *it = d->it;
        *v = (val){text, d->it.line, d->it.quick};
        it->n = 1;
        it->v = v;
    }
    return 0;
}

/* The trials of entry e in study s, appended to ex; a trial that repeats
 * an earlier one of the study (a small discrete space) is an error. */
static int expand_study(ctx *c, const spec *sp, const entry *e, long s, gn_experiment *ex, int *cap,
                        int **entry_of, const int *gidx)
{
    int grid;
    long n_trials = entry_trials(sp, e, &grid);
    double shift[GN_HALTON_MAX_DIM];
    gn_rng rng;
    char tag[64];
    snprintf(tag, sizeof tag, "tune/%ld/%d", s, e->index);
    gn_rng_seed(&rng, (uint64_t)sp->proto.seed, tag);
    for (int i = 0; i < GN_HALTON_MAX_DIM; i++)
        shift[i] = gn_rng_uniform(&rng);
    int first = ex->n_runs;
    int *eidx = gn_exp_alloc(c, (size_t)(e->l.n + e->n_tune + 1) * sizeof *eidx);
    if (!eidx) return -1;
    for (long t = 0; t < n_trials; t++) {
        entry et;
        gn_settings st;
        gn_settings_init(&st);
        int oom = 0, rc = trial_entry(c, e, grid, t, shift, &et);
        if (rc == 0) rc = gn_exp_resolve(c, &st, sp, gidx, &et, eidx);
        uint64_t h = rc == 0 ? gn_exp_settings_hash(&st, &oom) : 0;
        if (oom) rc = gn_exp_oom(c);
        if (rc == 0)
            rc = gn_exp_push_run(c, ex, cap, entry_of, e, GN_PROTOCOL_TUNE_SEED + s, h, &st);
        gn_settings_free(&st);
        if (rc != 0) return -1;
        gn_run_spec *r = &ex->runs[ex->n_runs - 1];
        r->phase = GN_PHASE_TUNE;
        r->study = (int)s;
        r->trial = (int)t;
        for (int j = first; j < ex->n_runs - 1; j++)
            if (strcmp(ex->runs[j].run_id, r->run_id) == 0)
                return gn_exp_fail(c, e->tune_line, e->quick, "tune",
                                   "optimizers[%d]: trial %ld of study %ld repeats trial %d: "
                                   "the space has fewer points than the %ld trials; lower "
                                   "trials or widen the space",
                                   e->index, t, s, ex->runs[j].trial, n_trials);
    }
    return 0;
}

/* protocol.target: auto needs a metric without a value, and a baseline
 * among the entries to take it from. */
static int check_auto_target(ctx *c, const spec *sp)
{
    const item *metric = NULL;
    for (int i = 0; i < sp->global.n; i++) {
        const item *it = &sp->global.it[i];
        if (strcmp(it->key, "train.target") == 0 || strcmp(it->key, "train.target_loss") == 0)
            return gn_exp_fail(c, it->line, it->quick, it->path,
                               "protocol.target is auto: the baselines set the target; give only "
                               "train.target_metric");
        if (strcmp(it->key, "train.target_metric") == 0) metric = it;
    }
    if (!metric)
        return gn_exp_fail(c, sp->proto_line, 0, "protocol.target",
                           "auto needs train.target_metric (val_loss or val_accuracy)");
    int found = 0;
    for (int k = 0; k < sp->n_entries && !found; k++) {
        char name[80];
        snprintf(name, sizeof name, " %s ", sp->entries[k].ops->name);
        char *padded = gn_exp_printf(c, " %s ", sp->proto.baselines);
        if (!padded) return -1;
        found = strstr(padded, name) != NULL;
    }
    if (!found)
        return gn_exp_fail(c, sp->proto_line, 0, "protocol.target",
                           "auto takes the target from the baselines (%s), and none of them is "
                           "an optimizer of this experiment",
                           sp->proto.baselines);
    return 0;
}

int gn_exp_expand_protocol(ctx *c, const spec *sp, gn_experiment *ex)
{
    if (check_protocol(c, sp) != 0) return -1;
    if (sp->proto.target_auto && check_auto_target(c, sp) != 0) return -1;
    gn_protocol *pr = &ex->protocol;
    *pr = sp->proto;
    pr->baselines = strdup(sp->proto.baselines);
    pr->n_entries = sp->n_entries;
    pr->entry_trials = calloc((size_t)sp->n_entries + 1, sizeof *pr->entry_trials);
    pr->entry_explicit = calloc((size_t)sp->n_entries + 1, sizeof *pr->entry_explicit);
    if (!pr->baselines || !pr->entry_trials || !pr->entry_explicit) return gn_exp_oom(c);
    double total = 0;
    for (int k = 0; k < sp->n_entries; k++) {
        const entry *e = &sp->entries[k];
        int grid;
        pr->entry_trials[k] = entry_trials(sp, e, &grid);
        pr->entry_explicit[k] = e->trials > 0;
        if (grid && e->trials)
            return gn_exp_fail(c, e->trials_line, e->quick, "trials",
                               "optimizers[%d]: every tune: dimension is a list, so the study "
                               "runs every point of the grid (%ld); remove trials: or give a "
                               "distribution",
                               e->index, pr->entry_trials[k]);
        total += (double)(pr->entry_trials[k] + pr->confirm_seeds) * (double)pr->studies;
    }
    if (total > MAX_RUNS)
        return gn_exp_fail(c, sp->proto_line, 0, "protocol",
                           "the studies have %.0f runs; at most %d are supported", total, MAX_RUNS);
    int cap = 0, *entry_of = NULL, rc = 0;
    int *gidx = gn_exp_alloc(c, (size_t)sp->global.n * sizeof *gidx + sizeof *gidx);
    if (!gidx) return -1;
    for (int k = 0; k < sp->n_entries && rc == 0; k++)
        for (long s = 0; s < pr->studies && rc == 0; s++)
            rc = expand_study(c, sp, &sp->entries[k], s, ex, &cap, &entry_of, gidx);
    if (rc == 0 && pr->select < 0) {
        gn_target_metric m;
        double v;
        int has = pr->target_auto || (ex->n_runs && gn_train_target(&ex->runs[0].train, &m, &v));
        pr->select = has ? 0 : 1;
    }
    /* two labelled entries of one optimizer may still draw one configuration */
    if (rc == 0) rc = gn_exp_check_duplicates(c, ex, sp, entry_of);
    free(entry_of);
    return rc;
}
