/* labels.c: what the key says about each line of a figure and how the line
 * looks. A line's name is its optimizers: entry's `label:`, else its
 * optimizer. Its label is the series value (when the series is a setting),
 * the name (unless a series value is shown and the panel holds one name
 * only), and only the settings that vary among the lines of the same
 * name in this figure: a setting every line of that name shares (a default
 * included) is not repeated in every key entry. Lines with equal labels
 * share a colour; a `style:` entry of the figure that matches a line's
 * name, series value or label sets its colour and dash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_internal.h"

static const char *group_name(const plot_ctx *pc, const group *g)
{
    if (pc->row_label && pc->row_label[g->rep]) return pc->row_label[g->rep];
    return cell(pc, g->rep, pc->c_optimizer);
}

/* Whether column c takes two different values (empty cells aside) among the
 * groups called `name`. */
static int varies(const fig_ctx *fc, int c, const char *name)
{
    const plot_ctx *pc = fc->pc;
    const char *first = NULL;
    for (int k = 0; k < fc->n_g; k++) {
        const group *g = &fc->g[k];
        const char *v = cell(pc, g->rep, c);
        if (strcmp(g->name, name) != 0 || !*v) continue;
        if (!first)
            first = v;
        else if (strcmp(first, v) != 0)
            return 1;
    }
    return 0;
}

/* Whether the groups of g's panel carry more than one name. */
static int names_differ(const fig_ctx *fc, const group *g)
{
    for (int k = 0; k < fc->n_g; k++)
        if (fc->g[k].panel == g->panel && strcmp(fc->g[k].name, g->name) != 0) return 1;
    return 0;
}

/* Kind best: the name and the chosen values of the settings its entry's
 * tune: space varies, short ("sgd lr=0.62 momentum=0"), and the study when
 * there are several. */
static char *best_label(const fig_ctx *fc, const group *g)
{
    const plot_ctx *pc = fc->pc;
    const gn_figure *f = fc->fig;
    int e = pc->row_entry ? pc->row_entry[g->rep] : -1;
    sbuf b = {0};
    sb_printf(&b, "%s", g->name);
    const char *t = e >= 0 && e < f->n_tuned && f->tuned[e] ? f->tuned[e] : "";
    while (*t) {
        size_t n = strcspn(t, "\n");
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(n < sizeof key ? n : sizeof key - 1), t);
        t += n + (t[n] == '\n');
        int c = gn_table_col(&pc->runs, key);
        if (c < 0 || !*cell(pc, g->rep, c)) continue;
        const char *v = cell(pc, g->rep, c), *dot = strrchr(key, '.');
        double d;
        sb_printf(&b, " %s=", dot ? dot + 1 : key);
        if (plot_num_finite(v, &d))
            sb_printf(&b, "%.2g", d);
        else
            sb_printf(&b, "%s", v);
    }
    if (pc->ex->protocol.studies > 1 && pc->c_study >= 0)
        sb_printf(&b, " (study %s)", cell(pc, g->rep, pc->c_study));
    if (b.oom) {
        sb_free(&b);
        return NULL;
    }
    return b.s;
}

static char *group_label(const fig_ctx *fc, const group *g, int many_names)
{
    if (fc->best) return best_label(fc, g);
    const plot_ctx *pc = fc->pc;
    sbuf b = {0};
    int series = fc->c_series >= 0 && fc->c_series != pc->c_optimizer;
    int has_series = series && *cell(pc, g->rep, fc->c_series);
    if (has_series) sb_setting(&b, pc, g->rep, fc->c_series, 1);
    /* The name: always without a series setting, with one when the lines
     * of the panel have several names. */
    if ((!has_series || many_names) && *g->name) sb_printf(&b, "%s%s", b.n ? " " : "", g->name);
    for (int i = 0; i < fc->n_key; i++) {
        int c = fc->key[i];
        if (c == fc->c_series || c == fc->c_panel || c == pc->c_optimizer) continue;
        if (!*cell(pc, g->rep, c) || !varies(fc, c, g->name)) continue;
        if (b.n) sb_putc(&b, ' ');
        sb_setting(&b, pc, g->rep, c, 0);
    }
    if (b.oom) {
        sb_free(&b);
        return NULL;
    }
    return b.s ? b.s : strdup(fc->fig->y); /* one line, x = optimizer */
}

static const gn_series_style *group_style(const fig_ctx *fc, const group *g)
{
    const gn_figure *f = fc->fig;
    const char *sv = fc->c_series >= 0 ? cell(fc->pc, g->rep, fc->c_series) : NULL;
    for (int i = 0; i < f->n_styles; i++) {
        const char *m = f->styles[i].match;
        if (!strcmp(m, g->name) || !strcmp(m, g->label) || (sv && *sv && !strcmp(m, sv)))
            return &f->styles[i];
    }
    return NULL;
}

/* Kinds best and tuning draw a line per optimizers: entry: its colour is
 * then the entry's position, so a method keeps its colour across the
 * figures of one experiment (the label order differs between them: a best
 * line's label carries the chosen values). Not when an entry has several
 * lines (several studies) or a row's entry is unknown: then by label. */
static void by_entry_colors(fig_ctx *fc)
{
    const plot_ctx *pc = fc->pc;
    if (!(fc->best || fc->tuning) || !pc->row_entry) return;
    for (int k = 0; k < fc->n_g; k++) {
        int e = pc->row_entry[fc->g[k].rep];
        if (e < 0) return;
        for (int j = 0; j < k; j++)
            if (pc->row_entry[fc->g[j].rep] == e) return;
    }
    for (int k = 0; k < fc->n_g; k++)
        fc->g[k].color = pc->row_entry[fc->g[k].rep];
}

int plot_fig_label(fig_ctx *fc)
{
    /* A summary against the optimizer: a line spans optimizers, no name. */
    int named = has_col(fc->key, fc->n_key, fc->pc->c_optimizer);
    for (int k = 0; k < fc->n_g; k++)
        fc->g[k].name = named ? group_name(fc->pc, &fc->g[k]) : "";
    fc->labels = malloc(sizeof(char *) * ((size_t)fc->n_g + 1));
    if (!fc->labels) return -1;
    for (int k = 0; k < fc->n_g; k++) {
        group *g = &fc->g[k];
        if (!(g->label = group_label(fc, g, names_differ(fc, g)))) return -1;
        g->style = group_style(fc, g);
        int c;
        for (c = 0; c < fc->n_labels; c++)
            if (!strcmp(fc->labels[c], g->label)) break;
        if (c == fc->n_labels) fc->labels[fc->n_labels++] = g->label;
        g->color = c;
    }
    by_entry_colors(fc);
    return 0;
}
