/* select.h: choosing each optimizer's best tuning trial (issue 14).
 *
 * A pure function over the rows a caller already holds (the runner has them
 * in memory, `gnbench summarize` reads them from runs.csv), so both choose
 * the same trial. The rules, also in docs/SUMMARY.md:
 *
 * time_to_target: among the finished rows that reached the target (a run
 *   that reached it and diverged later still reached it) with a finite
 *   time_to_target, the smallest time_to_target; ties go to fewer
 *   iters_to_target, then to the lower final_val_loss, then to the lower
 *   trial number. When no row reached the target, the final_val_loss rule
 *   decides.
 * final_val_loss, best_val_loss: among the finished rows with a finite value,
 *   the lowest; ties go to the lower trial number.
 *
 * In the loss comparisons a diverged row ranks after every row that did not
 * diverge, whatever its value; rows that are not finished and rows whose
 * value is not finite (NaN, ±inf) are never chosen. A NaN iters_to_target or
 * final_val_loss in a tie-break counts as +inf. */
#ifndef GN_SELECT_H
#define GN_SELECT_H

typedef enum {
    GN_SELECT_TIME_TO_TARGET,
    GN_SELECT_FINAL_VAL_LOSS,
    GN_SELECT_BEST_VAL_LOSS,
    GN_SELECT_RULE_COUNT
} gn_select_rule;

/* The rule's name as written in manifest.csv (protocol_select). */
const char *gn_select_rule_name(gn_select_rule rule);
/* 0 and *out, or -1 for text that names no rule. */
int gn_select_rule_parse(const char *text, gn_select_rule *out);

/* One tuning trial's result. */
typedef struct gn_trial_row {
    int trial;                              /* trial number (the last tie-break) */
    int finished;                           /* status ok, diverged or time_limit */
    int diverged;                           /* status diverged */
    int reached;                            /* reached the target (at any point of the run) */
    double time_to_target, iters_to_target; /* when reached */
    double final_val_loss, best_val_loss;
} gn_trial_row;

/* The index in rows[0..n) of the trial the rule chooses, or -1 when none
 * can be chosen (no finished row with a usable value). */
int gn_select_best(const gn_trial_row *rows, int n, gn_select_rule rule);

#endif
