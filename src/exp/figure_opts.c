/* figure_opts.c: the options of a figure that change how it looks, not what
 * it shows (exp_internal.h): axis labels and ranges, size, font, format,
 * band, legend and per-series styles, and an optimizers: entry's `label:`.
 * Each is checked where it is written, with the file's line and key. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/exp_internal.h"

const char *const gn_legend_names[] = {"auto",        "top-left",     "top-right",
                                       "bottom-left", "bottom-right", "outside",
                                       "below",       "off",          NULL};
static const char *const band_names[] = {"minmax", "iqr", "std", "none", NULL};
static const char *const format_names[] = {"png", "svg", "pdf", NULL};
static const char *const dash_names[] = {"solid", "dash", "dot", "dashdot", "dashdotdot", NULL};

/* One line of printable text, 1 to 200 bytes (UTF-8 allowed). */
static int text_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200) return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 0;
    return 1;
}

/* A scalar that is not null, else an error naming path. */
static int scalar(ctx *c, const ynode *v, const char *path)
{
    if (v->kind == Y_SCALAR && !v->null) return 0;
    return gn_exp_fail(c, v->line, v->quick, path, "expected a single value, got %s",
                       v->null ? "nothing" : gn_exp_kind_name(v));
}

static int text_value(ctx *c, const ynode *v, const char *path, const char **out)
{
    char got[80];
    if (scalar(c, v, path) != 0) return -1;
    if (!text_ok(v->str))
        return gn_exp_fail(c, v->line, v->quick, path,
                           "expected one line of text (1 to 200 characters), got %s",
                           gn_exp_shown(v, got, sizeof got));
    *out = v->str;
    return 0;
}

int gn_exp_entry_label(ctx *c, const ynode *v, const char *path, const char **out)
{
    return text_value(c, v, path, out);
}

/* The index of v's text in names, else an error listing them. */
static int choice(ctx *c, const ynode *v, const char *path, const char *const *names, int *out)
{
    char list[256], got[80];
    if (scalar(c, v, path) != 0) return -1;
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], v->str) == 0) {
            *out = i;
            return 0;
        }
    gn_exp_join(names, list, sizeof list);
    return gn_exp_fail(c, v->line, v->quick, path, "expected one of %s, got %s", list,
                       gn_exp_shown(v, got, sizeof got));
}

static int number(const char *s, double *out)
{
    char *end;
    double d = strtod(s, &end);
    if (end == s || *end || !isfinite(d)) return 0;
    *out = d;
    return 1;
}

/* xrange / yrange: [lo, hi], each a number or "*" (automatic). */
static int range(ctx *c, const ynode *v, const char *path, int logscale, double out[2], int *set)
{
    char got[80];
    if (v->kind != Y_SEQ || v->n != 2)
        return gn_exp_fail(c, v->line, v->quick, path,
                           "expected [low, high], numbers or * for automatic, got %s",
                           v->kind == Y_SEQ ? "another number of values" : gn_exp_kind_name(v));
    for (int i = 0; i < 2; i++) {
        const ynode *e = v->v[i];
        out[i] = NAN;
        if (e->kind == Y_SCALAR && !e->null && strcmp(e->str, "*") == 0) continue;
        if (e->kind != Y_SCALAR || e->null || !number(e->str, &out[i]))
            return gn_exp_fail(c, e->line, e->quick, path,
                               "expected a number or * for automatic, got %s",
                               gn_exp_shown(e, got, sizeof got));
        if (logscale && out[i] <= 0)
            return gn_exp_fail(c, e->line, e->quick, path,
                               "expected a positive number on a log axis, got %s",
                               gn_exp_shown(e, got, sizeof got));
    }
    if (!isnan(out[0]) && !isnan(out[1]) && !(out[0] < out[1]))
        return gn_exp_fail(c, v->line, v->quick, path, "expected low < high, got [%g, %g]", out[0],
                           out[1]);
    *set = (isnan(out[0]) ? 0 : 1) | (isnan(out[1]) ? 0 : 2);
    return 0;
}

/* size: [width, height] in pixels, each 200 to 8000. */
static int size_value(ctx *c, const ynode *v, const char *path, gn_figure *f)
{
    char got[80];
    if (v->kind != Y_SEQ || v->n != 2)
        return gn_exp_fail(c, v->line, v->quick, path,
                           "expected [width, height] in pixels, e.g. [1000, 700], got %s",
                           v->kind == Y_SEQ ? "another number of values" : gn_exp_kind_name(v));
    int px[2];
    for (int i = 0; i < 2; i++) {
        const ynode *e = v->v[i];
        double d;
        if (e->kind != Y_SCALAR || e->null || !number(e->str, &d) || d != floor(d) || d < 200 ||
            d > 8000)
            return gn_exp_fail(c, e->line, e->quick, path,
                               "expected a whole number of pixels in [200, 8000], got %s",
                               gn_exp_shown(e, got, sizeof got));
        px[i] = (int)d;
    }
    f->width = px[0];
    f->height = px[1];
    return 0;
}

/* legend: a position (gn_legend_names) or {position: P, columns: N}. */
static int legend_value(ctx *c, const ynode *v, const char *path, gn_figure *f)
{
    char list[256], got[80], sub[160];
    int pos = GN_LEGEND_AUTO;
    if (v->kind != Y_MAP) {
        if (choice(c, v, path, gn_legend_names, &pos) != 0) return -1;
        f->legend = (gn_legend)pos;
        return 0;
    }
    static const char *const keys[] = {"position", "columns", NULL};
    for (int i = 0; i < v->n; i++) {
        snprintf(sub, sizeof sub, "%s.%s", path, v->k[i]);
        if (!gn_exp_in_list(keys, v->k[i])) {
            gn_exp_join(keys, list, sizeof list);
            return gn_exp_fail(c, v->kline[i], v->v[i]->quick, sub,
                               "unknown key; expected one of %s", list);
        }
        const ynode *e = v->v[i];
        if (strcmp(v->k[i], "position") == 0) {
            if (choice(c, e, sub, gn_legend_names, &pos) != 0) return -1;
            f->legend = (gn_legend)pos;
            continue;
        }
        double d;
        if (scalar(c, e, sub) != 0) return -1;
        if (!number(e->str, &d) || d != floor(d) || d < 1 || d > 8)
            return gn_exp_fail(c, e->line, e->quick, sub,
                               "expected a whole number of columns in [1, 8], got %s",
                               gn_exp_shown(e, got, sizeof got));
        f->legend_columns = (int)d;
    }
    return 0;
}

/* Whether a style's key names lines of this experiment: an optimizer of the
 * grid, an entry's label, or a value some run holds in the series column. */
static int style_key_ok(const gn_experiment *ex, const gn_figure *f, const char *key)
{
    for (int r = 0; r < ex->n_runs; r++) {
        const gn_run_spec *run = &ex->runs[r];
        if (strcmp(run->optim->name, key) == 0) return 1;
        if (f->series && strcmp(f->series, "optimizer") != 0) {
            const char *v = gn_settings_get(&run->settings, f->series);
            if (v && strcmp(v, key) == 0) return 1;
        }
    }
    for (int i = 0; i < ex->n_entry_labels; i++)
        if (ex->entry_labels[i] && strcmp(ex->entry_labels[i], key) == 0) return 1;
    return 0;
}

static int color_ok(const char *s)
{
    if (strlen(s) != 7 || s[0] != '#') return 0;
    for (int i = 1; i < 7; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i])) return 0;
    return 1;
}

/* One style: {color: "#rrggbb", dash: solid|dash|dot|dashdot|dashdotdot}. */
static int style_entry(ctx *c, const ynode *v, const char *path, gn_series_style *s)
{
    char list[256], got[80], sub[340];
    static const char *const keys[] = {"color", "dash", NULL};
    if (v->kind != Y_MAP || v->n == 0)
        return gn_exp_fail(c, v->line, v->quick, path,
                           "expected a mapping such as {color: \"#1f77b4\", dash: dot}, got %s",
                           v->kind == Y_MAP ? "an empty mapping" : gn_exp_kind_name(v));
    for (int i = 0; i < v->n; i++) {
        const ynode *e = v->v[i];
        snprintf(sub, sizeof sub, "%.300s.%.16s", path, v->k[i]);
        if (!gn_exp_in_list(keys, v->k[i])) {
            gn_exp_join(keys, list, sizeof list);
            return gn_exp_fail(c, v->kline[i], e->quick, sub, "unknown key; expected one of %s",
                               list);
        }
        if (strcmp(v->k[i], "dash") == 0) {
            int d;
            if (choice(c, e, sub, dash_names, &d) != 0) return -1;
            s->dash = d + 1;
            continue;
        }
        if (scalar(c, e, sub) != 0) return -1;
        if (!color_ok(e->str))
            return gn_exp_fail(c, e->line, e->quick, sub,
                               "expected a colour \"#rrggbb\" (quoted: # starts a comment), got %s",
                               gn_exp_shown(e, got, sizeof got));
        s->color = strdup(e->str);
        if (!s->color) return gn_exp_oom(c);
    }
    return 0;
}

/* style: {SERIES: {color, dash}, ...}. */
static int style_value(ctx *c, const gn_experiment *ex, const ynode *v, const char *path,
                       gn_figure *f)
{
    char sub[320], got[80];
    if (v->kind != Y_MAP || v->n == 0)
        return gn_exp_fail(c, v->line, v->quick, path,
                           "expected a mapping of series to styles, e.g. {sgd: {dash: dot}}, "
                           "got %s",
                           v->kind == Y_MAP ? "an empty mapping" : gn_exp_kind_name(v));
    f->styles = calloc((size_t)v->n, sizeof *f->styles);
    if (!f->styles) return gn_exp_oom(c);
    for (int i = 0; i < v->n; i++) {
        snprintf(sub, sizeof sub, "%s.%.200s", path, v->k[i]);
        if (!style_key_ok(ex, f, v->k[i])) {
            snprintf(got, sizeof got, "%.60s", v->k[i]);
            return gn_exp_fail(c, v->kline[i], v->v[i]->quick, sub,
                               "expected an optimizer of the grid, an optimizers: entry's label "
                               "or a value of the series, got \"%s\"",
                               got);
        }
        gn_series_style *s = &f->styles[f->n_styles++];
        s->match = strdup(v->k[i]);
        if (!s->match) return gn_exp_oom(c);
        if (style_entry(c, v->v[i], sub, s) != 0) return -1;
    }
    return 0;
}

int gn_exp_figure_options(ctx *c, const gn_experiment *ex, const ynode *n, int index, gn_figure *f)
{
    char path[96];
    const char *text = NULL;
    f->band = GN_BAND_MINMAX;
    f->legend = GN_LEGEND_AUTO;
    for (int i = 0; i < n->n; i++) {
        const char *k = n->k[i];
        const ynode *v = n->v[i];
        int rc = 0, ch = 0;
        snprintf(path, sizeof path, "figures[%d].%s", index, k);
        if (!strcmp(k, "xlabel") || !strcmp(k, "ylabel") || !strcmp(k, "font")) {
            if (text_value(c, v, path, &text) != 0) return -1;
            char **dst = !strcmp(k, "xlabel")   ? &f->xlabel
                         : !strcmp(k, "ylabel") ? &f->ylabel
                                                : &f->font;
            if (!(*dst = strdup(text))) return gn_exp_oom(c);
        } else if (!strcmp(k, "xrange") || !strcmp(k, "yrange")) {
            int x = k[0] == 'x', set = 0;
            rc = range(c, v, path, x ? f->logx : f->logy, x ? f->xrange : f->yrange, &set);
            f->range_set |= x ? set : set << 2;
        } else if (!strcmp(k, "size")) {
            rc = size_value(c, v, path, f);
        } else if (!strcmp(k, "format")) {
            if ((rc = choice(c, v, path, format_names, &ch)) == 0 &&
                !(f->format = strdup(format_names[ch])))
                return gn_exp_oom(c);
        } else if (!strcmp(k, "band")) {
            if ((rc = choice(c, v, path, band_names, &ch)) == 0) f->band = (gn_band)ch;
        } else if (!strcmp(k, "legend")) {
            rc = legend_value(c, v, path, f);
        } else if (!strcmp(k, "style")) {
            rc = style_value(c, ex, v, path, f);
        }
        if (rc != 0) return -1;
    }
    return 0;
}

void gn_exp_figure_options_free(gn_figure *f)
{
    free(f->xlabel), free(f->ylabel), free(f->font), free(f->format);
    for (int i = 0; i < f->n_styles; i++) {
        free(f->styles[i].match);
        free(f->styles[i].color);
    }
    free(f->styles);
}
