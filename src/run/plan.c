/* plan.c: what one run needs, worked out from its typed spec and its
 * dataset: the model configuration, the batch it steps on, the number of
 * steps and the optimizer's per-step plan (workspace, flops, Gram rows).
 * The memory check, the cost model and the training loop all use these, so
 * they agree on the sizes. */
#include <math.h>

#include "model/model_spec.h"
#include "run/run_internal.h"

int gn_run_model(const gn_run_spec *r, const gn_dataset *ds, gn_mlp_config *cfg, char *err,
                 size_t errlen)
{
    return gn_model_config(&r->model, ds->d, ds->c, cfg, err, errlen);
}

int gn_run_batch(const gn_run_spec *r, const gn_dataset *ds)
{
    long b = r->train.batch;
    if (r->optim->full_batch || b <= 0 || b > ds->n_train) b = ds->n_train;
    return (int)b;
}

long gn_run_iterations(const gn_run_spec *r, const gn_dataset *ds, int b)
{
    if (!isnan(r->train.epochs)) return (long)ceil(r->train.epochs * ds->n_train / (double)b);
    return r->train.iterations;
}

void gn_run_plan(const gn_run_spec *r, const gn_mlp_config *cfg, int b, gn_optim_plan *plan)
{
    gn_optim_shape sh = gn_optim_shape_of_config(cfg, b);
    gn_optim_plan_for(r->optim, r->hparams, &sh, plan);
}

int gn_run_gram_capacity(const gn_optim_plan *plan)
{
    return plan->gram_batch > 0 ? plan->gram_batch : -1;
}
