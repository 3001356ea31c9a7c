/* summary_row.c: the rows of a summary (summary.h): the runs grouped by
 * method (and study), the configuration each group chose, and the
 * statistics over that configuration's runs. A method is an optimizers:
 * entry's label, else its optimizer: two labelled entries of one optimizer
 * are two rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/schema.h"
#include "results/stats.h"
#include "results/summary_internal.h"

enum { N_COLS_MAX = 64 };

/* One summary row while it is built. */
typedef struct sm_group {
    const char *name;      /* the method: the runs' label, else their optimizer */
    const char *optimizer; /* its optimizer (baselines are optimizers) */
    const char *label;     /* "" when the runs have none */
    int study;             /* -1: all studies together */
    int first;             /* first row of the method, for the order */
    char *cell[N_COLS_MAX];
    double t_median; /* time_to_target_s_median (NaN without a target) */
} sm_group;

static int n_columns(void)
{
    int n = 0;
    while (gn_summary_columns[n])
        n++;
    return n;
}

static int col_of(const char *name)
{
    for (int j = 0; gn_summary_columns[j]; j++)
        if (!strcmp(gn_summary_columns[j], name)) return j;
    return -1; /* a name below is not in the table: caught by the tests */
}

static void put_str(sm_group *g, const char *name, const char *v)
{
    int j = col_of(name);
    if (j < 0) return;
    free(g->cell[j]);
    g->cell[j] = strdup(v ? v : "");
}

/* NaN: an empty cell; otherwise the exact text (csvio). */
static void put_real(sm_group *g, const char *name, double v)
{
    char buf[64] = "";
    if (!isnan(v)) gn_csv_format_real(buf, sizeof buf, v);
    put_str(g, name, buf);
}

static void put_int(sm_group *g, const char *name, long v)
{
    char buf[32] = "";
    if (v >= 0) snprintf(buf, sizeof buf, "%ld", v);
    put_str(g, name, buf);
}

static const char *opt_of(const sm_ctx *c, const sm_run *r)
{
    return sm_cell(c, r->row, c->c_optimizer);
}

static const char *label_of(const sm_ctx *c, const sm_run *r)
{
    return sm_cell(c, r->row, c->c_label);
}

/* The method run r belongs to: its label, else its optimizer. */
static const char *name_of(const sm_ctx *c, const sm_run *r)
{
    const char *label = label_of(c, r);
    return *label ? label : opt_of(c, r);
}

static int group_study(const sm_ctx *c, const sm_run *r)
{
    return c->protocol && c->studies > 1 ? r->study : -1;
}

static int in_group(const sm_ctx *c, const sm_run *r, const sm_group *g)
{
    if (c->protocol && r->phase == SM_GRID) return 0;
    return !strcmp(name_of(c, r), g->name) && group_study(c, r) == g->study;
}

/* The median, its bootstrap interval and (with mean) the mean and std of
 * field off over the runs rs[0..n), written under prefix. */
static void put_stats(sm_group *g, const char *prefix, sm_run *const *rs, int n, size_t off,
                      int interval, int mean)
{
    double *v = malloc(((size_t)n + 1) * sizeof *v), lo = NAN, hi = NAN;
    char name[96];
    if (!v) return;
    for (int i = 0; i < n; i++)
        v[i] = *(const double *)((const char *)rs[i] + off);
    snprintf(name, sizeof name, "%s_median", prefix);
    put_real(g, name, gn_stats_median(v, n));
    if (interval) {
        gn_stats_bootstrap_median(v, n, GN_STATS_BOOTSTRAP_B, GN_STATS_BOOTSTRAP_LEVEL,
                                  GN_STATS_BOOTSTRAP_SEED, &lo, &hi);
        snprintf(name, sizeof name, "%s_lo", prefix);
        put_real(g, name, lo);
        snprintf(name, sizeof name, "%s_hi", prefix);
        put_real(g, name, hi);
    }
    if (mean) {
        snprintf(name, sizeof name, "%s_mean", prefix);
        put_real(g, name, gn_stats_mean(v, n));
        snprintf(name, sizeof name, "%s_std", prefix);
        put_real(g, name, gn_stats_std(v, n));
    }
    free(v);
}

#define OFF(f) offsetof(sm_run, f)

/* The statistics of the chosen configuration's finished runs. */
static void put_run_stats(sm_group *g, sm_run *const *rs, int n)
{
    int k = 0;
    double rss = NAN;
    for (int i = 0; i < n; i++) {
        k += rs[i]->reached == 1;
        if (!isnan(rs[i]->rss) && !(rss >= rs[i]->rss)) rss = rs[i]->rss;
    }
    put_int(g, "runs", n);
    put_int(g, "reached", k);
    put_stats(g, "time_to_target_s", rs, n, OFF(t), 1, 1);
    put_stats(g, "iterations_to_target", rs, n, OFF(its), 1, 0);
    put_stats(g, "final_val_loss", rs, n, OFF(fval), 1, 0);
    put_stats(g, "best_val_loss", rs, n, OFF(bval), 0, 0);
    put_stats(g, "final_val_accuracy", rs, n, OFF(vacc), 0, 0);
    put_stats(g, "final_test_loss", rs, n, OFF(ftest), 0, 0);
    put_stats(g, "final_test_accuracy", rs, n, OFF(facc), 0, 0);
    put_stats(g, "final_train_loss", rs, n, OFF(ftrain), 0, 0);
    put_stats(g, "step_s", rs, n, OFF(step), 0, 0);
    put_real(g, "peak_rss_mib_max", rss);
    double *t = malloc(((size_t)n + 1) * sizeof *t);
    for (int i = 0; t && i < n; i++)
        t[i] = rs[i]->t;
    g->t_median = t ? gn_stats_median(t, n) : NAN;
    free(t);
}

/* "name=value;..." for the settings that differ among rows[0..n) (their
 * cells as text), with the values of row rep; empty values left out. */
static void put_config(const sm_ctx *c, sm_group *g, sm_run *const *rows, int n, int rep)
{
    size_t cap = 64, len = 0;
    char *s = calloc(cap, 1);
    for (int k = 0; s && k < c->n_set; k++) {
        int col = c->set_cols[k], differs = 0;
        for (int i = 1; i < n && !differs; i++)
            differs = strcmp(sm_cell(c, rows[i]->row, col), sm_cell(c, rows[0]->row, col)) != 0;
        const char *v = sm_cell(c, rep, col);
        if (!differs || !*v) continue;
        size_t need = len + strlen(c->runs.header[col]) + strlen(v) + 3;
        if (need > cap) {
            char *t = realloc(s, cap = need * 2);
            if (!t) break;
            s = t;
        }
        len += (size_t)sprintf(s + len, "%s%s=%s", len ? ";" : "", c->runs.header[col], v);
    }
    put_str(g, "config", s ? s : "");
    free(s);
}

/* Rows of the group with the given phase (-1: any) that are finished
 * (finished = 1), in error (0) or either (-1), into out; their count. */
static int pick(const sm_ctx *c, const sm_group *g, int phase, int finished, sm_run **out)
{
    int m = 0;
    for (int i = 0; i < c->n; i++) {
        sm_run *r = &c->r[i];
        if (!in_group(c, r, g) || (phase >= 0 && r->phase != phase)) continue;
        int fin = gn_run_status_finished((gn_run_status)r->status);
        if (finished >= 0 && fin != finished) continue;
        out[m++] = r;
    }
    return m;
}

/* The confirm rows of g's method that ran configuration cid, whatever
 * their study column says (a configuration two studies both chose is run
 * once, under the first); finished as in pick. */
static int pick_config(const sm_ctx *c, const sm_group *g, const char *cid, int finished,
                       sm_run **out)
{
    int m = 0;
    for (int i = 0; i < c->n; i++) {
        sm_run *r = &c->r[i];
        if (r->phase != SM_CONFIRM || strcmp(name_of(c, r), g->name) ||
            strcmp(sm_cell(c, r->row, c->c_config_id), cid))
            continue;
        int fin = gn_run_status_finished((gn_run_status)r->status);
        if (finished >= 0 && fin != finished) continue;
        out[m++] = r;
    }
    return m;
}

static gn_trial_row trial_of(const sm_run *r)
{
    gn_trial_row t = {r->trial,
                      gn_run_status_finished((gn_run_status)r->status),
                      r->status == GN_RUN_DIVERGED,
                      r->reached == 1,
                      r->t,
                      r->its,
                      r->fval,
                      r->bval};
    return t;
}

/* A protocol group: the tune trials, the selection, the confirm runs. */
static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        size_t w = strcspn(p, " ");
        if (w == n && w && !strncmp(p, name, n)) return 1;
        p += w;
    }
    return 0;
}

/* The method's own trial budget (manifest key trials_<name>, its leading
 * number), else the protocol's. */
static long budget_of(const sm_ctx *c, const char *name)
{
    char key[256];
    snprintf(key, sizeof key, "trials_%s", name);
    int ck = gn_table_col(&c->manifest, "key"), cv = gn_table_col(&c->manifest, "value");
    for (int i = 0; ck >= 0 && cv >= 0 && i < c->manifest.n_rows; i++)
        if (strcmp(gn_table_cell(&c->manifest, i, ck), key) == 0) {
            char *end;
            long v = strtol(gn_table_cell(&c->manifest, i, cv), &end, 10);
            if (end != gn_table_cell(&c->manifest, i, cv) && v > 0) return v;
        }
    return c->trials;
}

static int protocol_row(const sm_ctx *c, sm_group *g, sm_run **buf, char *err, size_t errlen)
{
    sm_run **tune = buf, **conf = buf + c->n, **all = buf + 2 * c->n;
    int n_tune = pick(c, g, SM_TUNE, 1, tune), n_all_tune = pick(c, g, SM_TUNE, -1, all);
    gn_trial_row *tr = malloc(((size_t)n_tune + 1) * sizeof *tr);
    if (!tr) return snprintf(err, errlen, "out of memory"), -1;
    double compute = 0;
    for (int i = 0; i < n_tune; i++) {
        tr[i] = trial_of(tune[i]);
        compute +=
            (isnan(tune[i]->wall) ? 0 : tune[i]->wall) + (isnan(tune[i]->eval) ? 0 : tune[i]->eval);
    }
    /* with an automatic target the baselines were tuned for quality (they set it) */
    gn_select_rule rule =
        c->target_auto && in_list(c->baselines, g->optimizer) ? GN_SELECT_FINAL_VAL_LOSS : c->rule;
    int sel = gn_select_best(tr, n_tune, rule);
    free(tr);
    put_int(g, "selected_trial", sel >= 0 ? tune[sel]->trial : -1);
    put_int(g, "trials", n_tune);
    put_int(g, "trials_budget", budget_of(c, g->name));
    put_real(g, "tuning_compute_s", n_tune ? compute : NAN);
    int n_any = pick(c, g, SM_CONFIRM, -1, conf);
    for (int i = 1; i < n_any; i++)
        if (strcmp(sm_cell(c, conf[i]->row, c->c_config_id),
                   sm_cell(c, conf[0]->row, c->c_config_id))) {
            snprintf(err, errlen,
                     "%s:%d:%d: confirm rows of %s%s ran two configurations (config_id "
                     "differs from line %d)",
                     c->runs_path, c->runs.lines[conf[i]->row], c->c_config_id + 1, g->name,
                     g->study >= 0 ? " in one study" : "", c->runs.lines[conf[0]->row]);
            return -1;
        }
    int rep = n_any ? conf[0]->row : sel >= 0 ? tune[sel]->row : -1;
    const char *cid = rep >= 0 ? sm_cell(c, rep, c->c_config_id) : "";
    if (n_any && sel >= 0 && strcmp(cid, sm_cell(c, tune[sel]->row, c->c_config_id)))
        fprintf(stderr,
                "gnbench: summarize: %s: %s: the confirm rows ran config_id %s, the %s "
                "rule chooses trial %d\n",
                c->runs_path, g->name, cid, gn_select_rule_name(rule), tune[sel]->trial);
    put_str(g, "config_id", cid);
    if (rep >= 0) put_config(c, g, all, n_all_tune, rep);
    int n_conf = pick(c, g, SM_CONFIRM, 1, conf);
    if (n_any == 0 && sel >= 0) /* another study chose it first */
        n_conf = pick_config(c, g, cid, 1, conf);
    put_run_stats(g, conf, n_conf);
    return 0;
}

/* Whether runs a and b have the same settings. */
static int same_config(const sm_ctx *c, const sm_run *a, const sm_run *b)
{
    for (int k = 0; k < c->n_set; k++)
        if (strcmp(sm_cell(c, a->row, c->set_cols[k]), sm_cell(c, b->row, c->set_cols[k])))
            return 0;
    return 1;
}

/* The median of field off over the runs of configuration rep among
 * rows[0..n). */
static double config_median(const sm_ctx *c, sm_run *const *rows, int n, const sm_run *rep,
                            size_t off)
{
    double *v = malloc(((size_t)n + 1) * sizeof *v);
    int m = 0;
    for (int i = 0; v && i < n; i++)
        if (same_config(c, rows[i], rep)) v[m++] = *(const double *)((const char *)rows[i] + off);
    double med = v ? gn_stats_median(v, m) : NAN;
    free(v);
    return med;
}

/* A grid group: the configuration with the lowest median final_val_loss
 * (final_train_loss when no configuration has a finite one). */
static int grid_row(const sm_ctx *c, sm_group *g, sm_run **buf, const char **rule, char *err,
                    size_t errlen)
{
    sm_run **fin = buf, **reps = buf + c->n, **runs = buf + 2 * c->n;
    int n_fin = pick(c, g, -1, 1, fin), n_rep = 0;
    for (int i = 0; i < n_fin; i++) {
        int seen = 0;
        for (int k = 0; k < n_rep && !seen; k++)
            seen = same_config(c, fin[i], reps[k]);
        if (!seen) reps[n_rep++] = fin[i];
    }
    gn_trial_row *tr = calloc((size_t)n_rep + 1, sizeof *tr);
    if (!tr) return snprintf(err, errlen, "out of memory"), -1;
    int any_val = 0;
    for (int k = 0; k < n_rep; k++) {
        tr[k].trial = k;
        tr[k].finished = 1;
        tr[k].final_val_loss = config_median(c, fin, n_fin, reps[k], OFF(fval));
        any_val |= isfinite(tr[k].final_val_loss);
    }
    *rule = any_val ? "final_val_loss" : "final_train_loss";
    for (int k = 0; k < n_rep && !any_val; k++)
        tr[k].final_val_loss = config_median(c, fin, n_fin, reps[k], OFF(ftrain));
    int sel = gn_select_best(tr, n_rep, GN_SELECT_FINAL_VAL_LOSS);
    free(tr);
    int n_runs = 0;
    for (int i = 0; sel >= 0 && i < n_fin; i++)
        if (same_config(c, fin[i], reps[sel])) runs[n_runs++] = fin[i];
    put_int(g, "trials", n_rep);
    put_str(g, "config_id", sel >= 0 ? sm_cell(c, reps[sel]->row, c->c_config_id) : "");
    if (sel >= 0) put_config(c, g, fin, n_fin, reps[sel]->row);
    put_run_stats(g, runs, n_runs);
    return 0;
}

/* The groups in order: methods as they first appear, then studies. */
static int group_cmp(const void *a, const void *b)
{
    const sm_group *x = a, *y = b;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    return x->study < y->study ? -1 : x->study > y->study;
}

static int make_groups(const sm_ctx *c, sm_group *gs)
{
    int n = 0;
    for (int i = 0; i < c->n; i++) {
        const sm_run *r = &c->r[i];
        if (c->protocol && r->phase == SM_GRID) continue;
        int found = 0, first = i;
        for (int k = 0; k < n && !found; k++) {
            if (strcmp(gs[k].name, name_of(c, r))) continue;
            first = gs[k].first;
            found = gs[k].study == group_study(c, r);
        }
        if (found) continue;
        memset(&gs[n], 0, sizeof gs[n]);
        gs[n].name = name_of(c, r);
        gs[n].optimizer = opt_of(c, r);
        gs[n].label = label_of(c, r);
        gs[n].study = group_study(c, r);
        gs[n].first = first;
        n++;
    }
    qsort(gs, (size_t)n, sizeof *gs, group_cmp);
    return n;
}

/* Whether name is a word of the space-separated list. */

/* baseline and speedup_vs_baseline: the baseline with the lowest finite
 * median time to target in the same study. */
static void put_speedups(const sm_ctx *c, sm_group *gs, int n)
{
    for (int k = 0; k < n; k++) {
        int best = -1;
        for (int b = 0; b < n; b++)
            if (gs[b].study == gs[k].study && in_list(c->baselines, gs[b].optimizer) &&
                isfinite(gs[b].t_median) && (best < 0 || gs[b].t_median < gs[best].t_median))
                best = b;
        if (best < 0 || isnan(gs[k].t_median)) continue;
        put_str(&gs[k], "baseline", gs[best].name);
        put_real(&gs[k], "speedup_vs_baseline", gs[best].t_median / gs[k].t_median);
    }
}

/* Moves the groups' cells into s->table. */
static int fill_table(gn_summary *s, sm_group *gs, int n)
{
    int nc = n_columns();
    gn_table *t = &s->table;
    t->header = calloc((size_t)nc, sizeof *t->header);
    t->cells = calloc((size_t)n * nc + 1, sizeof *t->cells);
    t->lines = calloc((size_t)n + 1, sizeof *t->lines);
    if (!t->header || !t->cells || !t->lines) return -1;
    t->n_cols = nc;
    for (int j = 0; j < nc; j++)
        if (!(t->header[j] = strdup(gn_summary_columns[j]))) return -1;
    for (int k = 0; k < n; k++) {
        for (int j = 0; j < nc; j++) {
            t->cells[(size_t)k * nc + j] = gs[k].cell[j] ? gs[k].cell[j] : strdup("");
            gs[k].cell[j] = NULL;
            if (!t->cells[(size_t)k * nc + j]) return -1;
        }
        t->lines[k] = k + 2;
        t->n_rows = k + 1;
    }
    return 0;
}

int sm_build_rows(sm_ctx *c, gn_summary *s, char *err, size_t errlen)
{
    sm_group *gs = calloc((size_t)c->n + 1, sizeof *gs);
    sm_run **buf = calloc(3 * (size_t)c->n + 1, sizeof *buf);
    int n = 0, rc = -1;
    const char *rule = gn_select_rule_name(c->rule);
    if (!gs || !buf) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    n = make_groups(c, gs);
    for (int k = 0; k < n; k++) {
        sm_group *g = &gs[k];
        g->t_median = NAN;
        put_str(g, "optimizer", g->optimizer);
        put_str(g, "label", g->label);
        put_int(g, "study", g->study);
        put_str(g, "source", c->protocol ? "confirm" : "grid");
        int n_err = pick(c, g, -1, 0, buf);
        put_int(g, "error_runs", n_err);
        if (c->protocol ? protocol_row(c, g, buf, err, errlen)
                        : grid_row(c, g, buf, &rule, err, errlen))
            goto done;
        put_str(g, "select_rule", rule);
    }
    put_speedups(c, gs, n);
    s->select_rule = strdup(rule);
    if (!s->select_rule || fill_table(s, gs, n)) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    rc = 0;
done:
    for (int k = 0; gs && k < n; k++)
        for (int j = 0; j < N_COLS_MAX; j++)
            free(gs[k].cell[j]);
    free(gs);
    free(buf);
    return rc;
}
