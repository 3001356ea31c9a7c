/* test_shard.c: the shard assignment (run/shard.h): greedy longest
 * processing time first, deterministic, every run in exactly one shard,
 * loads within one run's cost of each other. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/shard.h"

/* A synthetic cost list: n costs in [1, 10^6] from a fixed LCG, with a
 * few repeats so that ties occur. */
static uint64_t *synthetic_costs(int n)
{
    uint64_t *c = malloc(sizeof *c * (size_t)n), x = 88172645463325252ULL;
    cr_assert_not_null(c);
    for (int i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        c[i] = i % 10 == 9 ? c[i - 1] : 1 + (x >> 33) % 1000000;
    }
    return c;
}

Test(shard, every_run_is_in_exactly_one_shard_and_loads_add_up)
{
    enum { N_RUNS = 1000, N = 7 };
    uint64_t *cost = synthetic_costs(N_RUNS), load[N], sum[N] = {0}, total = 0;
    int shard_of[N_RUNS];
    memset(shard_of, 0xff, sizeof shard_of);
    cr_assert_eq(gn_shard_assign(cost, N_RUNS, N, shard_of, load), 0);
    for (int i = 0; i < N_RUNS; i++) {
        cr_assert(shard_of[i] >= 0 && shard_of[i] < N, "run %d in shard %d", i, shard_of[i]);
        sum[shard_of[i]] += cost[i];
        total += cost[i];
    }
    uint64_t all = 0;
    for (int s = 0; s < N; s++) {
        cr_expect_eq(load[s], sum[s], "shard %d: load %llu, its runs %llu", s,
                     (unsigned long long)load[s], (unsigned long long)sum[s]);
        all += load[s];
    }
    cr_expect_eq(all, total);
    free(cost);
}

Test(shard, the_same_costs_give_the_same_assignment)
{
    enum { N_RUNS = 500, N = 5 };
    uint64_t *cost = synthetic_costs(N_RUNS), *copy = synthetic_costs(N_RUNS), la[N], lb[N];
    int a[N_RUNS], b[N_RUNS];
    cr_assert_eq(gn_shard_assign(cost, N_RUNS, N, a, la), 0);
    cr_assert_eq(gn_shard_assign(copy, N_RUNS, N, b, lb), 0);
    cr_expect_arr_eq(a, b, sizeof a);
    cr_expect_arr_eq(la, lb, sizeof la);
    cr_expect_arr_eq(cost, copy, sizeof *cost * N_RUNS, "the costs are not modified");
    free(cost);
    free(copy);
}

Test(shard, loads_are_within_one_run_of_each_other)
{
    enum { N_RUNS = 1000 };
    uint64_t *cost = synthetic_costs(N_RUNS), max_cost = 0, total = 0;
    for (int i = 0; i < N_RUNS; i++) {
        if (cost[i] > max_cost) max_cost = cost[i];
        total += cost[i];
    }
    int shard_of[N_RUNS];
    for (int n = 1; n <= 16; n++) {
        uint64_t load[16], lo = UINT64_MAX, hi = 0;
        cr_assert_eq(gn_shard_assign(cost, N_RUNS, n, shard_of, load), 0);
        for (int s = 0; s < n; s++) {
            if (load[s] < lo) lo = load[s];
            if (load[s] > hi) hi = load[s];
        }
        /* greedy: the fullest shard got its last run when it was the least
         * loaded; so it exceeds the least loaded one by at most that run */
        cr_expect(hi - lo <= max_cost, "%d shards: loads %llu..%llu", n, (unsigned long long)lo,
                  (unsigned long long)hi);
        cr_expect(hi <= total / (uint64_t)n + max_cost, "%d shards: makespan %llu", n,
                  (unsigned long long)hi);
        /* many small runs: within 1% of the even share */
        cr_expect((double)hi <= 1.01 * ((double)total / n), "%d shards: %.4f of the even share", n,
                  (double)hi / ((double)total / n));
    }
    free(cost);
}

Test(shard, costliest_first_ties_to_the_lower_run_and_shard)
{
    /* order 1 (9), 3 (9), 0 (5), 2 (5), 4 (1): 1 -> s0, 3 -> s1, 0 -> s2,
     * 2 -> s2 (loads 9 9 5), 4 -> s0 (loads 9 9 10; the tie goes to s0) */
    uint64_t cost[5] = {5, 9, 5, 9, 1}, load[3];
    int shard_of[5], want[5] = {2, 0, 2, 1, 0};
    cr_assert_eq(gn_shard_assign(cost, 5, 3, shard_of, load), 0);
    cr_expect_arr_eq(shard_of, want, sizeof want);
    cr_expect(load[0] == 10 && load[1] == 9 && load[2] == 10);
}

Test(shard, more_shards_than_runs_leaves_shards_empty)
{
    uint64_t cost[3] = {3, 2, 1}, load[5];
    int shard_of[3], want[3] = {0, 1, 2};
    cr_assert_eq(gn_shard_assign(cost, 3, 5, shard_of, load), 0);
    cr_expect_arr_eq(shard_of, want, sizeof want);
    cr_expect(load[3] == 0 && load[4] == 0);
    cr_assert_eq(gn_shard_assign(cost, 0, 2, shard_of, load), 0, "no runs at all");
    cr_expect(load[0] == 0 && load[1] == 0);
}

Test(shard, loads_saturate_instead_of_wrapping)
{
    uint64_t cost[4] = {UINT64_MAX - 1, UINT64_MAX / 2, UINT64_MAX / 2, 7}, load[1];
    int shard_of[4];
    cr_assert_eq(gn_shard_assign(cost, 4, 1, shard_of, load), 0);
    cr_expect_eq(load[0], UINT64_MAX);
    cr_expect_eq(gn_shard_sat_add(UINT64_MAX, 1), UINT64_MAX);
    cr_expect_eq(gn_shard_sat_add(2, 3), 5);
}

/* The ETA weighs runs by their estimated cost: after the cheapest run of a
 * mixed sweep, the time left is that run's time per unit of cost times the
 * cost left, not its time times the runs left (issue 16, item 17). */
Test(shard, eta_follows_the_cost_model_not_the_run_count)
{
    /* one run of cost 1 took 2 s; runs of cost 99 and 100 remain, two at a time */
    cr_expect_float_eq(gn_shard_eta(2.0, 1.0, 199.0, 1, 2, 2), 199.0, 1e-12);
    /* counting runs would have said 2 s */
    cr_expect_float_eq(gn_shard_eta(2.0, 0.0, 199.0, 1, 2, 2), 2.0, 1e-12);
    cr_expect_lt(gn_shard_eta(0.0, 0.0, 10.0, 0, 3, 1), 0, "nothing recorded yet: unknown");
    cr_expect_float_eq(gn_shard_eta(3.0, 3.0, 0.0, 3, 0, 4), 0.0, 1e-12);
}
