/* select.c: the choice of the best tuning trial (select.h). */
#include "results/select.h"

#include <math.h>
#include <string.h>

static const char *const rule_names[GN_SELECT_RULE_COUNT] = {
    [GN_SELECT_TIME_TO_TARGET] = "time_to_target",
    [GN_SELECT_FINAL_VAL_LOSS] = "final_val_loss",
    [GN_SELECT_BEST_VAL_LOSS] = "best_val_loss",
};

const char *gn_select_rule_name(gn_select_rule rule)
{
    return rule >= 0 && rule < GN_SELECT_RULE_COUNT ? rule_names[rule] : "?";
}

int gn_select_rule_parse(const char *text, gn_select_rule *out)
{
    for (int r = 0; text && r < GN_SELECT_RULE_COUNT; r++)
        if (strcmp(text, rule_names[r]) == 0) {
            *out = (gn_select_rule)r;
            return 0;
        }
    return -1;
}

/* NaN counts as +inf in a tie-break. */
static double tie_value(double v)
{
    return isnan(v) ? INFINITY : v;
}

/* <0, 0, >0 as a should come before, with or after b. */
static int cmp_double(double a, double b)
{
    return a < b ? -1 : a > b ? 1 : 0;
}

static int by_time(const gn_trial_row *a, const gn_trial_row *b)
{
    int c = cmp_double(a->time_to_target, b->time_to_target);
    if (!c) c = cmp_double(tie_value(a->iters_to_target), tie_value(b->iters_to_target));
    if (!c) c = cmp_double(tie_value(a->final_val_loss), tie_value(b->final_val_loss));
    if (!c) c = a->trial < b->trial ? -1 : a->trial > b->trial;
    return c;
}

static double loss_of(const gn_trial_row *r, gn_select_rule rule)
{
    return rule == GN_SELECT_BEST_VAL_LOSS ? r->best_val_loss : r->final_val_loss;
}

static int by_loss(const gn_trial_row *a, const gn_trial_row *b, gn_select_rule rule)
{
    int c = (a->diverged != 0) - (b->diverged != 0);
    if (!c) c = cmp_double(loss_of(a, rule), loss_of(b, rule));
    if (!c) c = a->trial < b->trial ? -1 : a->trial > b->trial;
    return c;
}

static int choose_by_loss(const gn_trial_row *rows, int n, gn_select_rule rule)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (!rows[i].finished || !isfinite(loss_of(&rows[i], rule))) continue;
        if (best < 0 || by_loss(&rows[i], &rows[best], rule) < 0) best = i;
    }
    return best;
}

int gn_select_best(const gn_trial_row *rows, int n, gn_select_rule rule)
{
    if (!rows || n <= 0 || rule < 0 || rule >= GN_SELECT_RULE_COUNT) return -1;
    if (rule != GN_SELECT_TIME_TO_TARGET) return choose_by_loss(rows, n, rule);
    int best = -1;
    for (int i = 0; i < n; i++) {
        const gn_trial_row *r = &rows[i];
        if (!r->finished || !r->reached || !isfinite(r->time_to_target)) continue;
        if (best < 0 || by_time(r, &rows[best]) < 0) best = i;
    }
    return best >= 0 ? best : choose_by_loss(rows, n, GN_SELECT_FINAL_VAL_LOSS);
}
