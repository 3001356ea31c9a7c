/* figures.c: the `figures:` section (exp_internal.h), checked once the
 * runs are expanded: keys, kind, axes against the result schema, series,
 * panels and where against the settings columns and the values runs hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/exp_internal.h"
#include "results/schema.h"

static const char *const kind_names[] = {"trace", "summary", "best", "tuning", NULL};

const char *gn_figure_kind_name(gn_figure_kind k)
{
    return k >= GN_FIG_TRACE && k <= GN_FIG_TUNING ? kind_names[k] : "trace";
}

static const char *const figure_keys[] = {"name",   "kind",   "x",    "y",     "series", "panels",
                                          "title",  "logx",   "logy", "where", "xlabel", "ylabel",
                                          "xrange", "yrange", "size", "font",  "format", "band",
                                          "legend", "style",  NULL};
/* The keys whose value is a list or a mapping (checked by their parsers). */
static const char *const structured_keys[] = {"where",  "xrange", "yrange", "size",
                                              "legend", "style",  NULL};

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
            if (strcmp(c->name, name) == 0)
                return c->type != GN_COL_TEXT && c->type != GN_COL_TEXT_PTR;
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

/* Whether s names a settings column, optimizer or seed. */
static int is_column(const gn_experiment *ex, const char *s)
{
    if (strcmp(s, "optimizer") == 0 || strcmp(s, "seed") == 0) return 1;
    for (int i = 0; i < ex->n_columns; i++)
        if (strcmp(ex->columns[i], s) == 0) return 1;
    return 0;
}

/* The settings columns, joined by ", ". */
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
static int parse_where(ctx *c, const gn_experiment *ex, const ynode *w, int index, gn_settings *out)
{
    char path[160], list[768], got[80], buf[32];
    snprintf(path, sizeof path, "figures[%d].where", index);
    if (w->kind != Y_MAP || w->n == 0)
        return gn_exp_fail(c, w->line, w->quick, path,
                           "expected a mapping of columns to values, e.g. {optimizer: lm}, got %s",
                           w->kind == Y_MAP ? "an empty mapping" : gn_exp_kind_name(w));
    for (int i = 0; i < w->n; i++) {
        const char *key = w->k[i];
        const ynode *v = w->v[i];
        snprintf(path, sizeof path, "figures[%d].where.%s", index, key);
        if (!is_column(ex, key)) {
            join_columns(ex, list, sizeof list);
            return gn_exp_fail(c, w->kline[i], v->quick, path,
                               "expected optimizer, seed or a settings column (%s)", list);
        }
        int nv = v->kind == Y_SEQ ? v->n : 1;
        if (nv == 0 || (v->kind != Y_SCALAR && v->kind != Y_SEQ))
            return gn_exp_fail(c, v->line, v->quick, path,
                               "expected a value or a list of values, got %s",
                               nv == 0 ? "an empty list" : gn_exp_kind_name(v));
        size_t total = 1;
        for (int j = 0; j < nv; j++) {
            const ynode *e = v->kind == Y_SEQ ? v->v[j] : v;
            if (e->kind != Y_SCALAR || e->null)
                return gn_exp_fail(c, e->line, e->quick, path, "expected a value, got %s",
                                   e->null ? "nothing" : gn_exp_kind_name(e));
            int found = 0;
            for (int r = 0; r < ex->n_runs && !found; r++) {
                const char *rv = run_value(&ex->runs[r], key, buf, sizeof buf);
                found = rv && strcmp(rv, e->str) == 0;
            }
            if (!found)
                return gn_exp_fail(c, e->line, e->quick, path, "no run has %s = %s", key,
                                   gn_exp_shown(e, got, sizeof got));
            total += strlen(e->str) + 1;
        }
        char *joined = malloc(total);
        if (!joined) return gn_exp_oom(c);
        joined[0] = '\0';
        for (int j = 0; j < nv; j++) {
            const ynode *e = v->kind == Y_SEQ ? v->v[j] : v;
            if (j) strcat(joined, "\n");
            strcat(joined, e->str);
        }
        int rc = gn_settings_set(out, key, joined);
        free(joined);
        if (rc != 0) return gn_exp_oom(c);
    }
    return 0;
}

/* Whether run r is drawn by a figure with this where (values joined by '\n'). */
static int run_selected(const gn_run_spec *r, const gn_settings *where)
{
    char buf[32];
    for (int i = 0; i < where->n; i++) {
        const char *rv = run_value(r, where->v[i].key, buf, sizeof buf);
        size_t n = rv ? strlen(rv) : 0;
        const char *p = where->v[i].value;
        int hit = 0;
        while (rv && !hit && *p) {
            size_t m = strcspn(p, "\n");
            hit = m == n && strncmp(p, rv, n) == 0;
            p += m + (p[m] == '\n');
        }
        if (!hit) return 0;
    }
    return 1;
}

/* Whether run r writes column y: an optimizer's trace column only when it
 * declares it, the accuracies only with a classification loss. */
static int run_writes(const gn_run_spec *r, int trace, const char *y)
{
    int acc = trace
                  ? strcmp(y, "train_accuracy") == 0 || strcmp(y, "test_accuracy") == 0
                  : strcmp(y, "final_train_accuracy") == 0 || strcmp(y, "final_test_accuracy") == 0;
    if (acc) return gn_loss_is_classification(r->loss);
    if (!trace) return 1;
    for (int j = 0; j < GN_TC_COUNT; j++)
        if (strcmp(gn_trace_columns[j].name, y) == 0) return 1;
    for (const gn_column *t = r->optim->trace_columns; t && t->name; t++)
        if (strcmp(t->name, y) == 0) return 1;
    return 0;
}

/* A figure's y must be a column some run it draws writes, or it would
 * fail (or draw nothing) after the whole sweep. */
static int check_written(ctx *c, const gn_experiment *ex, const ynode *y, int trace,
                         const gn_settings *where, int index)
{
    for (int r = 0; r < ex->n_runs; r++)
        if (run_selected(&ex->runs[r], where) && run_writes(&ex->runs[r], trace, y->str)) return 0;
    char path[64], by[256] = "";
    snprintf(path, sizeof path, "figures[%d].y", index);
    if (strstr(y->str, "accuracy"))
        return gn_exp_fail(c, y->line, y->quick, path,
                           "no run%s writes %s: accuracies come only with a classification "
                           "loss (xent, bxent)",
                           where->n ? " the figure selects" : " of the grid", y->str);
    size_t o = 0;
    for (int k = 0; gn_optimizers[k] && o < sizeof by; k++)
        for (const gn_column *t = gn_optimizers[k]->trace_columns; t && t->name; t++)
            if (strcmp(t->name, y->str) == 0)
                o += (size_t)snprintf(by + o, sizeof by - o, "%s%s", o ? ", " : "",
                                      gn_optimizers[k]->name);
    return gn_exp_fail(c, y->line, y->quick, path,
                       "no run%s writes the trace column %s; only optimizer %s does",
                       where->n ? " the figure selects" : " of the grid", y->str, by);
}

/* Whether some optimizers: entry of sp tunes setting key. */
static int is_tuned(const spec *sp, const char *key)
{
    for (int i = 0; i < sp->n_entries; i++)
        for (int j = 0; j < sp->entries[i].n_tune; j++)
            if (strcmp(sp->entries[i].tune[j].it.key, key) == 0) return 1;
    return 0;
}

/* The tuned settings of every entry into f->tuned (kinds best, tuning). */
static int fill_tuned(ctx *c, const spec *sp, gn_figure *f)
{
    f->tuned = calloc((size_t)sp->n_entries + 1, sizeof *f->tuned);
    if (!f->tuned) return gn_exp_oom(c);
    f->n_tuned = sp->n_entries;
    for (int i = 0; i < sp->n_entries; i++) {
        const entry *e = &sp->entries[i];
        size_t len = 1;
        for (int j = 0; j < e->n_tune; j++)
            len += strlen(e->tune[j].it.key) + 1;
        if (e->n_tune == 0) continue;
        if (!(f->tuned[i] = malloc(len))) return gn_exp_oom(c);
        f->tuned[i][0] = '\0';
        for (int j = 0; j < e->n_tune; j++) {
            if (j) strcat(f->tuned[i], "\n");
            strcat(f->tuned[i], e->tune[j].it.key);
        }
    }
    return 0;
}

/* figures[index].kind, x and y: the kind, the protocol that best and
 * tuning need, and the axes the kind accepts; f->kind set, *trace = the
 * kind reads traces (trace, best). */
static int parse_kind_axes(ctx *c, const spec *sp, const gn_experiment *ex, const ynode *n,
                           int index, gn_figure *f, int *trace)
{
    char list[768], got[80], path[64];
    const ynode *kind = gn_exp_map_get(n, "kind", NULL);
    snprintf(path, sizeof path, "figures[%d].kind", index);
    int k = 0;
    while (kind_names[k] && strcmp(kind_names[k], kind->str) != 0)
        k++;
    if (!kind_names[k])
        return gn_exp_fail(c, kind->line, kind->quick, path,
                           "expected trace, summary, best or tuning, got %s",
                           gn_exp_shown(kind, got, sizeof got));
    f->kind = (gn_figure_kind)k;
    if ((f->kind == GN_FIG_BEST || f->kind == GN_FIG_TUNING) && !sp->proto.on)
        return gn_exp_fail(c, kind->line, kind->quick, path,
                           "kind %s draws the tuning studies of a protocol: section, and this "
                           "file has none",
                           kind->str);
    *trace = f->kind == GN_FIG_TRACE || f->kind == GN_FIG_BEST;
    const ynode *x = gn_exp_map_get(n, "x", NULL), *y = gn_exp_map_get(n, "y", NULL);
    snprintf(path, sizeof path, "figures[%d].x", index);
    if (*trace && !axis_ok(AXIS_TRACE_X, x->str)) {
        join_axis(AXIS_TRACE_X, list, sizeof list);
        return gn_exp_fail(c, x->line, x->quick, path, "expected one of %s for a %s, got %s", list,
                           kind->str, gn_exp_shown(x, got, sizeof got));
    }
    if (f->kind == GN_FIG_TUNING && !is_tuned(sp, x->str)) {
        size_t o = 0;
        list[0] = '\0';
        for (int i = 0; i < sp->n_entries; i++)
            for (int j = 0; j < sp->entries[i].n_tune && o < sizeof list; j++) {
                const char *key = sp->entries[i].tune[j].it.key;
                if (!strstr(list, key))
                    o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", key);
            }
        return gn_exp_fail(c, x->line, x->quick, path,
                           "expected a setting that an optimizers: entry tunes (%s), got %s",
                           o ? list : "none is tuned", gn_exp_shown(x, got, sizeof got));
    }
    if (f->kind == GN_FIG_SUMMARY && !is_column(ex, x->str)) {
        join_columns(ex, list, sizeof list);
        return gn_exp_fail(c, x->line, x->quick, path,
                           "expected optimizer, seed or a settings column (%s), got %s", list,
                           gn_exp_shown(x, got, sizeof got));
    }
    snprintf(path, sizeof path, "figures[%d].y", index);
    int yaxis = *trace ? AXIS_TRACE_Y : AXIS_SUMMARY_Y;
    if (!axis_ok(yaxis, y->str)) {
        join_axis(yaxis, list, sizeof list);
        return gn_exp_fail(c, y->line, y->quick, path, "expected one of %s for a %s, got %s", list,
                           kind->str, gn_exp_shown(y, got, sizeof got));
    }
    const ynode *series = gn_exp_map_get(n, "series", NULL);
    snprintf(path, sizeof path, "figures[%d].series", index);
    if (f->kind == GN_FIG_TUNING && series)
        return gn_exp_fail(c, series->line, series->quick, path,
                           "a tuning figure draws one series per optimizers: entry; leave "
                           "series out (panels may split them)");
    if (f->kind == GN_FIG_BEST || f->kind == GN_FIG_TUNING) return fill_tuned(c, sp, f);
    return 0;
}

/* figures[index] validated into f. */
static int parse_figure(ctx *c, const spec *sp, gn_experiment *ex, const ynode *n, int index,
                        gn_figure *f)
{
    char list[768], got[80], path[64];
    snprintf(path, sizeof path, "figures[%d]", index);
    if (n->kind != Y_MAP)
        return gn_exp_fail(c, n->line, n->quick, path,
                           "expected a mapping such as {name: loss, kind: trace, x: iteration, y: "
                           "train_loss}, got %s",
                           gn_exp_kind_name(n));
    f->line = n->line;
    for (int i = 0; i < n->n; i++) {
        snprintf(path, sizeof path, "figures[%d].%s", index, n->k[i]);
        if (!gn_exp_in_list(figure_keys, n->k[i])) {
            gn_exp_join(figure_keys, list, sizeof list);
            return gn_exp_fail(c, n->kline[i], n->v[i]->quick, path,
                               "unknown key; expected one of %s", list);
        }
        const ynode *v = n->v[i];
        if (gn_exp_in_list(structured_keys, n->k[i])) continue; /* checked below */
        if (v->kind != Y_SCALAR || v->null)
            return gn_exp_fail(c, v->line, v->quick, path, "expected a single value, got %s",
                               v->null ? "nothing" : gn_exp_kind_name(v));
    }
    static const char *const req[] = {"name", "kind", "x", "y"};
    for (int i = 0; i < 4; i++) {
        if (!gn_exp_map_get(n, req[i], NULL)) {
            snprintf(path, sizeof path, "figures[%d].%s", index, req[i]);
            return gn_exp_fail(c, n->line, n->quick, path,
                               "missing; a figure needs name, kind, x and y");
        }
    }
    int kl;
    const ynode *v = gn_exp_map_get(n, "name", &kl);
    snprintf(path, sizeof path, "figures[%d].name", index);
    if (!gn_exp_name_ok(v->str))
        return gn_exp_fail(c, v->line, v->quick, path, "expected a name from [a-z0-9_-], got %s",
                           gn_exp_shown(v, got, sizeof got));
    for (int i = 0; i < ex->n_figures; i++)
        if (strcmp(ex->figures[i].name, v->str) == 0)
            return gn_exp_fail(c, v->line, v->quick, path,
                               "duplicate figure name \"%s\" (first at line %d)", v->str,
                               ex->figures[i].line);
    int trace = 0;
    if (parse_kind_axes(c, sp, ex, n, index, f, &trace) != 0) return -1;
    const ynode *x = gn_exp_map_get(n, "x", NULL), *y = gn_exp_map_get(n, "y", NULL);
    static const char *const grouping[] = {"series", "panels"};
    for (int i = 0; i < 2; i++) {
        const ynode *g = gn_exp_map_get(n, grouping[i], NULL);
        snprintf(path, sizeof path, "figures[%d].%s", index, grouping[i]);
        if (g && !is_column(ex, g->str)) {
            join_columns(ex, list, sizeof list);
            return gn_exp_fail(c, g->line, g->quick, path,
                               "expected optimizer, seed or a settings column (%s), got %s", list,
                               gn_exp_shown(g, got, sizeof got));
        }
    }
    static const char *const logs[] = {"logx", "logy"};
    int logv[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        const ynode *g = gn_exp_map_get(n, logs[i], NULL);
        snprintf(path, sizeof path, "figures[%d].%s", index, logs[i]);
        if (!g) continue;
        if (strcmp(g->str, "true") != 0 && strcmp(g->str, "false") != 0)
            return gn_exp_fail(c, g->line, g->quick, path, "expected true or false, got %s",
                               gn_exp_shown(g, got, sizeof got));
        logv[i] = strcmp(g->str, "true") == 0;
    }
    const ynode *where = gn_exp_map_get(n, "where", NULL);
    if (where && parse_where(c, ex, where, index, &f->where) != 0) return -1;
    if (check_written(c, ex, y, trace, &f->where, index) != 0) return -1;
    const ynode *series = gn_exp_map_get(n, "series", NULL),
                *panels = gn_exp_map_get(n, "panels", NULL),
                *title = gn_exp_map_get(n, "title", NULL);
    f->name = strdup(v->str);
    f->x = strdup(x->str);
    f->y = strdup(y->str);
    f->series = series ? strdup(series->str) : NULL;
    f->panels = panels ? strdup(panels->str) : NULL;
    f->title = title ? strdup(title->str) : NULL;
    f->logx = logv[0];
    f->logy = logv[1];
    if (!f->name || !f->x || !f->y || (series && !f->series) || (panels && !f->panels) ||
        (title && !f->title))
        return gn_exp_oom(c);
    return gn_exp_figure_options(c, ex, n, index, f);
}

void gn_exp_figure_free(gn_figure *f)
{
    free(f->name), free(f->x), free(f->y);
    free(f->series), free(f->panels), free(f->title);
    gn_exp_figure_options_free(f);
    for (int i = 0; i < f->n_tuned; i++)
        free(f->tuned[i]);
    free(f->tuned);
    gn_settings_free(&f->where);
    memset(f, 0, sizeof *f);
}

int gn_exp_build_figures(ctx *c, const spec *sp, gn_experiment *ex)
{
    if (sp->n_entries > 0) {
        ex->entry_labels = calloc((size_t)sp->n_entries, sizeof(char *));
        if (!ex->entry_labels) return gn_exp_oom(c);
        ex->n_entry_labels = sp->n_entries;
        for (int i = 0; i < sp->n_entries; i++)
            if (sp->entries[i].label && !(ex->entry_labels[i] = strdup(sp->entries[i].label)))
                return gn_exp_oom(c);
    }
    if (!sp->figures || sp->figures->n == 0) return 0;
    ex->figures = calloc((size_t)sp->figures->n, sizeof *ex->figures);
    if (!ex->figures) return gn_exp_oom(c);
    for (int i = 0; i < sp->figures->n; i++) {
        int rc = parse_figure(c, sp, ex, sp->figures->v[i], i, &ex->figures[i]);
        if (rc != 0) {
            gn_exp_figure_free(&ex->figures[i]);
            return -1;
        }
        ex->n_figures++;
    }
    return 0;
}
