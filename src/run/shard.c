/* shard.c: the estimated cost of a run and the assignment of runs to
 * shards by it (shard.h). The cost also orders the runs under MPI, the
 * costliest first, gives the ETA of a sweep, and sums up a grid for
 * `gnbench check` (gn_runner_estimate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run_internal.h"
#include "run/shard.h"

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

uint64_t gn_shard_sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* Estimated cost of a run in flops, in integers so that every machine and
 * compiler gets the same number: per step the optimizer's plan (optim.h:
 * 6 b m for the forward and backward passes, plus the curvature products of
 * the Gauss-Newton methods); plus the evaluations, 2 m per sample of the
 * training and test sets at every eval_every-th step; plus a fixed 10^6 for
 * starting the run. */
uint64_t gn_shard_cost(const gn_run_spec *r, const gn_dataset *ds)
{
    gn_mlp_config cfg;
    char err[160];
    if (gn_run_model(r, ds, &cfg, err, sizeof err) != 0) return 1;
    int b = gn_run_batch(r, ds);
    gn_optim_plan plan;
    gn_run_plan(r, &cfg, b, &plan);
    uint64_t m = 0;
    for (int l = 1; l <= cfg.n_layers; l++)
        m = gn_shard_sat_add(
            m, sat_mul((uint64_t)cfg.sizes[l], (uint64_t)cfg.sizes[l - 1] + cfg.bias));
    long it = gn_run_iterations(r, ds, b), every = r->train.eval_every;
    uint64_t iters = it > 0 ? (uint64_t)it : 0;
    uint64_t evals = iters / (uint64_t)(every > 0 ? every : 1) + 2;
    uint64_t eval = sat_mul(2 * ((uint64_t)ds->n_train + (uint64_t)ds->n_test), m);
    return gn_shard_sat_add(gn_shard_sat_add(sat_mul(iters, plan.step_flops), sat_mul(evals, eval)),
                            1000000);
}

typedef struct cost_index {
    uint64_t cost;
    int run;
} cost_index;

static int cmp_cost_desc(const void *a, const void *b)
{
    const cost_index *x = a, *y = b;
    if (x->cost != y->cost) return x->cost < y->cost ? 1 : -1;
    return (x->run > y->run) - (x->run < y->run);
}

int gn_shard_assign(const uint64_t *cost, int n_runs, int n, int *shard_of, uint64_t *load)
{
    cost_index *order = malloc(sizeof *order * (size_t)(n_runs + 1));
    if (!order) return -1;
    for (int i = 0; i < n_runs; i++)
        order[i] = (cost_index){cost[i], i};
    qsort(order, (size_t)n_runs, sizeof *order, cmp_cost_desc);
    for (int s = 0; s < n; s++)
        load[s] = 0;
    for (int k = 0; k < n_runs; k++) {
        int best = 0;
        for (int s = 1; s < n; s++)
            if (load[s] < load[best]) best = s;
        shard_of[order[k].run] = best;
        load[best] = gn_shard_sat_add(load[best], order[k].cost);
    }
    free(order);
    return 0;
}

double gn_shard_eta(double busy_s, double cost_done, double cost_left, int finished, int left,
                    int capacity)
{
    if (capacity < 1) capacity = 1;
    if (cost_done > 0) return busy_s / cost_done * cost_left / capacity;
    if (finished > 0) return busy_s / finished * left / capacity;
    return -1;
}

int gn_runner_estimate(const gn_experiment *ex, gn_run_estimate **out, char *err, size_t errlen)
{
    *out = NULL;
    gn_run_options o = {.memory_limit_mib = 1e300}; /* estimated, not refused */
    prepared pp;
    int rc = gn_prepare(ex, &o, 1, &pp, 1);
    gn_run_estimate *e = calloc((size_t)ex->n_runs + 1, sizeof *e);
    int n = 0;
    for (int i = 0; rc == 0 && e && i < ex->n_runs; i++) {
        const gn_run_spec *r = &ex->runs[i];
        const gn_dataset *ds = &pp.cache[pp.ds_of[i]].ds;
        gn_mlp_config cfg;
        char why[160];
        if (gn_run_model(r, ds, &cfg, why, sizeof why) != 0) continue; /* refused by prepare */
        int k = 0;
        while (k < n && strcmp(e[k].optimizer, r->optim->name) != 0)
            k++;
        if (k == n) e[n++].optimizer = r->optim->name;
        double mib = gn_run_memory_mib(r, ds, &cfg, NULL);
        e[k].runs++;
        e[k].flops += (double)gn_shard_cost(r, ds);
        if (mib > e[k].peak_mib) e[k].peak_mib = mib;
    }
    gn_prepared_free(&pp);
    if (rc != 0 || !e) {
        free(e);
        snprintf(err, errlen, "%s: cannot estimate the runs' cost (%s)", ex->path,
                 rc ? "a dataset or model was refused" : "out of memory");
        return -1;
    }
    *out = e;
    return n;
}
