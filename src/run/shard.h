/* shard.h: cutting a sweep into N shards of about equal estimated cost.
 *
 * Every shard of a sweep computes the same assignment from the same costs
 * (integers, so every machine and compiler agrees), so shards started on
 * different hosts split the grid without talking to each other. */
#ifndef GN_SHARD_H
#define GN_SHARD_H

#include <stdint.h>

/* a + b, or UINT64_MAX when that overflows. */
uint64_t gn_shard_sat_add(uint64_t a, uint64_t b);

/* Greedy longest-processing-time assignment of n_runs runs of the given
 * costs to n shards: the costliest run first (ties: lower run index), each
 * to the least loaded shard (ties: lower shard). shard_of: n_runs entries,
 * set to the 0-based shard of each run; load: n entries, set to the summed
 * cost of each shard (saturating). Returns 0, or -1 when out of memory. */
int gn_shard_assign(const uint64_t *cost, int n_runs, int n, int *shard_of, uint64_t *load);

/* Seconds left in a sweep: the time the recorded runs took per unit of
 * estimated cost (busy_s over cost_done), times the cost still to do, over
 * the runs at a time. The cost model weighs a run by its flops, so the
 * first ETA of a sweep that starts with its cheapest runs is not n times
 * the cheapest run. Without a recorded cost: busy_s per run finished, times
 * the runs left. Negative when nothing is known yet. */
double gn_shard_eta(double busy_s, double cost_done, double cost_left, int finished, int left,
                    int capacity);

#endif
