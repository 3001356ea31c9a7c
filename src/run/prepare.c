/* prepare.c: the inputs of a sweep, checked before anything is written.
 * Each distinct dataset is loaded once per process (keyed by everything
 * that changes what is loaded), every run's model must fit its dataset,
 * and its memory estimate (model plus the optimizer's plan) must fit the
 * limit per job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/loss.h"
#include "run/run_internal.h"

/* The cache entry of run r's dataset, loading it when it is new. Returns
 * its index, or -(exit status) on failure (message only when !quiet). */
static int dataset_for(const gn_experiment *ex, const gn_run_spec *r, prepared *pp, int quiet)
{
    char *key = strdup(r->dataset_key);
    int k;
    if (!key) return -1;
    for (k = 0; k < pp->n_cache; k++)
        if (strcmp(pp->cache[k].key, key) == 0) break;
    if (k < pp->n_cache) {
        free(key);
        return k;
    }
    char err[512], msg[1024];
    ds_entry *nc = realloc(pp->cache, sizeof *pp->cache * (size_t)(pp->n_cache + 1));
    if (!nc) {
        free(key);
        return -1;
    }
    pp->cache = nc;
    memset(&pp->cache[k], 0, sizeof pp->cache[k]);
    /* errors name the experiment file's line of the setting behind them */
    if (gn_dataset_load(&r->dataset, &r->request, &pp->cache[k].ds, err, sizeof err) != 0) {
        gn_experiment_check_dataset(ex, r, NULL, err, msg, sizeof msg);
        if (!quiet) fprintf(stderr, "gnbench: %s\n", msg);
        free(key);
        return -2;
    }
    pp->cache[k].key = key;
    pp->n_cache++;
    if (gn_experiment_check_dataset(ex, r, &pp->cache[k].ds, NULL, msg, sizeof msg) != 0) {
        if (!quiet) fprintf(stderr, "gnbench: %s\n", msg);
        return -2;
    }
    return k;
}

double gn_run_memory_mib(const gn_run_spec *r, const gn_dataset *ds, const gn_mlp_config *cfg,
                         double *gram_rows)
{
    int b = gn_run_batch(r, ds), mb = b > GN_RUN_EVAL_CHUNK ? b : GN_RUN_EVAL_CHUNK;
    gn_optim_plan plan;
    gn_run_plan(r, cfg, b, &plan);
    if (gram_rows) *gram_rows = (double)plan.gram_batch * ds->c;
    return (gn_mlp_bytes(cfg, mb, gn_run_gram_capacity(&plan)) + plan.workspace_bytes) / 1048576.0;
}

/* Whether run r's model fits ds and its memory estimate fits mem_limit
 * (MiB): 0, or 2 (message only when !quiet). */
static int check_run(const gn_experiment *ex, const gn_run_spec *r, const gn_dataset *ds,
                     double mem_limit, int quiet)
{
    gn_mlp_config cfg;
    char err[256];
    if (gn_run_model(r, ds, &cfg, err, sizeof err) != 0) {
        if (!quiet) fprintf(stderr, "gnbench: %s: run %s: %s\n", ex->path, r->run_id, err);
        return 2;
    }
    double rows, mib = gn_run_memory_mib(r, ds, &cfg, &rows);
    if (mib > mem_limit) {
        if (!quiet)
            fprintf(stderr,
                    "gnbench: %s: run %s needs about %.0f MiB (model, Gram matrices of %.0f "
                    "rows), more than the %.0f MiB allowed per job; lower train.batch, "
                    "opt.curvature_batch or model.width, use a matrix-free solver (dgn with "
                    "solver: cg), raise --memory-limit or run fewer --jobs\n",
                    ex->path, r->run_id, mib, rows, mem_limit);
        return 2;
    }
    return 0;
}

int gn_prepare(const gn_experiment *ex, const gn_run_options *o, int mem_jobs, prepared *pp,
               int quiet)
{
    memset(pp, 0, sizeof *pp);
    pp->ds_of = calloc((size_t)ex->n_runs + 1, sizeof *pp->ds_of);
    if (!pp->ds_of) return 1;
    double mem_limit =
        o->memory_limit_mib > 0 ? o->memory_limit_mib : 0.8 * gn_host_physical_mib() / mem_jobs;
    for (int i = 0; i < ex->n_runs; i++) {
        const gn_run_spec *r = &ex->runs[i];
        int k = dataset_for(ex, r, pp, quiet);
        if (k < 0) return -k;
        pp->ds_of[i] = k;
        int rc = check_run(ex, r, &pp->cache[k].ds, mem_limit, quiet);
        if (rc) return rc;
    }
    return 0;
}

void gn_prepared_free(prepared *pp)
{
    for (int k = 0; k < pp->n_cache; k++) {
        free(pp->cache[k].key);
        gn_dataset_free(&pp->cache[k].ds);
    }
    free(pp->cache);
    free(pp->ds_of);
    memset(pp, 0, sizeof *pp);
}
