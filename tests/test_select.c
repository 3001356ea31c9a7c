/* test_select.c: the choice of the best trial (results/select), the
 * statistics over seeds (results/stats) and performance profiles
 * (results/profile). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "results/profile.h"
#include "results/select.h"
#include "results/stats.h"
#include "tolerances.h"

/* A finished, reached trial. */
static gn_trial_row hit(int trial, double t, double its, double fval)
{
    gn_trial_row r = {trial, 1, 0, 1, t, its, fval, fval};
    return r;
}

/* A finished trial that did not reach the target. */
static gn_trial_row miss(int trial, double fval)
{
    gn_trial_row r = {trial, 1, 0, 0, NAN, NAN, fval, fval};
    return r;
}

Test(select, rule_names_round_trip)
{
    for (int r = 0; r < GN_SELECT_RULE_COUNT; r++) {
        gn_select_rule back;
        cr_assert_eq(gn_select_rule_parse(gn_select_rule_name((gn_select_rule)r), &back), 0);
        cr_assert_eq(back, r);
    }
    gn_select_rule x;
    cr_assert_eq(gn_select_rule_parse("fastest", &x), -1);
    cr_assert_eq(gn_select_rule_parse(NULL, &x), -1);
}

Test(select, smallest_time_to_target_wins)
{
    gn_trial_row rows[] = {hit(1, 3.0, 30, 0.1), hit(2, 2.0, 40, 0.2), miss(3, 0.01)};
    cr_assert_eq(gn_select_best(rows, 3, GN_SELECT_TIME_TO_TARGET), 1);
}

Test(select, time_ties_go_to_fewer_iterations_then_loss_then_trial)
{
    gn_trial_row a[] = {hit(1, 2.0, 40, 0.1), hit(2, 2.0, 30, 0.2)};
    cr_assert_eq(gn_select_best(a, 2, GN_SELECT_TIME_TO_TARGET), 1);
    gn_trial_row b[] = {hit(1, 2.0, 30, 0.2), hit(2, 2.0, 30, 0.1)};
    cr_assert_eq(gn_select_best(b, 2, GN_SELECT_TIME_TO_TARGET), 1);
    gn_trial_row c[] = {hit(5, 2.0, 30, 0.1), hit(4, 2.0, 30, 0.1)};
    cr_assert_eq(gn_select_best(c, 2, GN_SELECT_TIME_TO_TARGET), 1, "the lower trial number");
}

Test(select, reached_then_diverged_still_counts)
{
    gn_trial_row rows[] = {hit(1, 3.0, 30, 0.1), hit(2, 1.0, 10, NAN)};
    rows[1].diverged = 1;
    cr_assert_eq(gn_select_best(rows, 2, GN_SELECT_TIME_TO_TARGET), 1);
}

Test(select, none_reached_falls_back_to_final_val_loss)
{
    gn_trial_row rows[] = {miss(1, 0.5), miss(2, 0.4), miss(3, NAN), miss(4, 0.6)};
    cr_assert_eq(gn_select_best(rows, 4, GN_SELECT_TIME_TO_TARGET), 1);
}

Test(select, diverged_ranks_after_every_run_that_did_not)
{
    gn_trial_row rows[] = {miss(1, 0.5), miss(2, 0.01)};
    rows[1].diverged = 1;
    cr_assert_eq(gn_select_best(rows, 2, GN_SELECT_FINAL_VAL_LOSS), 0);
    rows[0].final_val_loss = INFINITY;
    cr_assert_eq(gn_select_best(rows, 2, GN_SELECT_FINAL_VAL_LOSS), 1,
                 "a finite diverged value beats a non-finite one");
}

Test(select, loss_rules_take_the_lowest_finite_value_ties_by_trial)
{
    gn_trial_row rows[] = {miss(3, 0.2), miss(2, 0.2), miss(1, INFINITY)};
    cr_assert_eq(gn_select_best(rows, 3, GN_SELECT_FINAL_VAL_LOSS), 1);
    rows[0].best_val_loss = 0.05;
    cr_assert_eq(gn_select_best(rows, 3, GN_SELECT_BEST_VAL_LOSS), 0);
    cr_assert_eq(gn_select_best(rows, 3, GN_SELECT_FINAL_VAL_LOSS), 1, "final ignores best");
}

Test(select, unfinished_or_unusable_rows_give_minus_one)
{
    gn_trial_row rows[] = {hit(1, 1.0, 10, 0.1), miss(2, NAN), miss(3, INFINITY)};
    rows[0].finished = 0; /* an error run is never chosen */
    cr_assert_eq(gn_select_best(rows, 3, GN_SELECT_TIME_TO_TARGET), -1);
    cr_assert_eq(gn_select_best(rows, 3, GN_SELECT_FINAL_VAL_LOSS), -1);
    cr_assert_eq(gn_select_best(rows, 0, GN_SELECT_FINAL_VAL_LOSS), -1);
    cr_assert_eq(gn_select_best(NULL, 3, GN_SELECT_FINAL_VAL_LOSS), -1);
}

Test(stats, median_of_odd_and_even_counts)
{
    double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2};
    cr_assert_eq(gn_stats_median(odd, 3), 3.0);
    cr_assert_eq(gn_stats_median(even, 4), 2.5);
    double one[] = {7};
    cr_assert_eq(gn_stats_median(one, 1), 7.0);
    cr_assert(isnan(gn_stats_median(one, 0)));
}

Test(stats, infinite_values_count_nan_values_are_missing)
{
    double x[] = {1, INFINITY, 2, NAN, INFINITY};
    cr_assert_eq(gn_stats_median(x, 5), 1.5 + INFINITY, "median of 1 2 inf inf is inf");
    double y[] = {1, 2, INFINITY, NAN};
    cr_assert_eq(gn_stats_median(y, 4), 2.0);
    cr_assert(isinf(gn_stats_mean(y, 4)));
    cr_assert(isnan(gn_stats_std(y, 4)), "no std with an infinite value");
    double z[] = {2, 4, 4, 4, 5, 5, 7, 9};
    cr_assert_eq(gn_stats_mean(z, 8), 5.0);
    cr_assert(fabs(gn_stats_std(z, 8) - sqrt(32.0 / 7)) <= GN_TOL_EXACT_REL * 2);
    cr_assert(isnan(gn_stats_std(z, 1)));
}

/* Width of the 95% interval of the median of n standard normals. */
static double width(int n, uint64_t seed)
{
    gn_rng r;
    gn_rng_seed(&r, seed, "sample");
    double x[1000], lo, hi;
    for (int i = 0; i < n; i++)
        x[i] = gn_rng_normal(&r);
    cr_assert_eq(gn_stats_bootstrap_median(x, n, 2000, 0.95, 14, &lo, &hi), 0);
    double med = gn_stats_median(x, n);
    cr_assert(lo <= med && med <= hi, "n=%d: %g not in [%g, %g]", n, med, lo, hi);
    return hi - lo;
}

Test(stats, bootstrap_interval_holds_the_median_and_shrinks_with_seeds)
{
    /* The width goes like 1/sqrt(n): 1000 seeds give a tenth of 10's. */
    double w10 = width(10, 1), w1000 = width(1000, 1);
    cr_assert(w1000 < 0.5 * w10, "%g vs %g", w1000, w10);
}

Test(stats, bootstrap_is_deterministic_and_handles_inf)
{
    double x[] = {2.4, 2.6, 2.5, 2.7, 2.3}, lo1, hi1, lo2, hi2;
    gn_stats_bootstrap_median(x, 5, 2000, 0.95, 14, &lo1, &hi1);
    gn_stats_bootstrap_median(x, 5, 2000, 0.95, 14, &lo2, &hi2);
    cr_assert(lo1 == lo2 && hi1 == hi2);
    cr_assert(lo1 == 2.3 && hi1 == 2.7, "[%g, %g]", lo1, hi1);
    double t[] = {1, 2, 3, INFINITY, INFINITY}, lo, hi;
    cr_assert_eq(gn_stats_bootstrap_median(t, 5, 2000, 0.95, 14, &lo, &hi), 0);
    cr_assert(isfinite(lo) && isinf(hi), "[%g, %g]", lo, hi);
    double all_inf[] = {INFINITY, INFINITY};
    gn_stats_bootstrap_median(all_inf, 2, 100, 0.95, 14, &lo, &hi);
    cr_assert(isinf(lo) && isinf(hi));
    double one[] = {4};
    gn_stats_bootstrap_median(one, 1, 100, 0.95, 14, &lo, &hi);
    cr_assert(lo == 4 && hi == 4);
    cr_assert_eq(gn_stats_bootstrap_median(one, 0, 100, 0.95, 14, &lo, &hi), -1);
    cr_assert(isnan(lo) && isnan(hi));
}

Test(stats, contraction_is_the_rate_of_a_geometric_loss)
{
    double step[8], loss[8];
    for (int k = 0; k < 8; k++)
        step[k] = 5.0 * k, loss[k] = 2.0 * pow(0.9, step[k]); /* q = 0.9 per step */
    cr_expect_lt(fabs(gn_stats_contraction(step, loss, 8, 0) - 0.9), GN_TOL_EXACT_REL);
    /* points from the first one at or below the floor on are left out, a
     * non-finite one is skipped */
    loss[6] = 1e-30, loss[7] = 5.0, loss[2] = NAN;
    cr_expect_lt(fabs(gn_stats_contraction(step, loss, 8, 1e-25) - 0.9), GN_TOL_EXACT_REL);
    /* a flat curve contracts by 1; fewer than two points: NaN */
    double flat[3] = {0.5, 0.5, 0.5};
    cr_expect_lt(fabs(gn_stats_contraction(step, flat, 3, 0) - 1.0), GN_TOL_EXACT_REL);
    cr_expect(isnan(gn_stats_contraction(step, flat, 1, 0)));
    loss[0] = 0;
    cr_expect(isnan(gn_stats_contraction(step, loss, 8, 0))); /* stops at once */
}

Test(profile, fractions_of_problems_within_tau)
{
    /* Two problems, three solvers: ratios (1, 2, inf) and (1.5, 1, inf). */
    double times[] = {1, 2, INFINITY, 3, 2, NAN}, tau[GN_PROFILE_N_TAU], frac[GN_PROFILE_N_TAU * 3];
    gn_profile_tau_grid(tau, GN_PROFILE_N_TAU);
    cr_assert_eq(tau[0], 1.0);
    cr_assert_eq(tau[10], 1.5);
    cr_assert_eq(tau[60], 4.0);
    cr_assert_eq(gn_profile_compute(times, 2, 3, tau, GN_PROFILE_N_TAU, frac), 0);
    cr_assert_eq(frac[0 * 3 + 0], 0.5);
    cr_assert_eq(frac[0 * 3 + 1], 0.5);
    cr_assert_eq(frac[10 * 3 + 0], 1.0, "r = 1.5 counts at tau = 1.5");
    cr_assert_eq(frac[19 * 3 + 1], 0.5);
    cr_assert_eq(frac[20 * 3 + 1], 1.0, "r = 2 counts at tau = 2");
    for (int i = 0; i < GN_PROFILE_N_TAU; i++)
        cr_assert_eq(frac[i * 3 + 2], 0.0);
    double none[] = {INFINITY, NAN};
    cr_assert_eq(gn_profile_compute(none, 1, 2, tau, GN_PROFILE_N_TAU, frac), 0);
    cr_assert_eq(frac[60 * 2], 0.0, "a problem nobody solved counts for nobody");
}
