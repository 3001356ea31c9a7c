/* protocol.c: checks of the comparison protocol's settings that need the
 * resolved runs (a target on the validation set needs one; a warmup in
 * steps is a whole number; one target per run), each naming the line of the
 * key that set it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exp/exp_internal.h"
#include "exp/train.h"
#include "model/loss.h"

/* Fails at the line that wrote key for run r (the dataset: line when the
 * value is a default). */
static int fail_at(ctx *c, const gn_experiment *ex, const gn_run_spec *r, const char *key,
                   const char *what)
{
    const gn_key_line *kl = gn_experiment_key_line(ex, r, key);
    return gn_exp_fail(c, kl ? kl->line : ex->dataset_line, kl ? kl->quick : 0, kl ? kl->path : key,
                       "%s", what);
}

int gn_exp_check_runs(ctx *c, const gn_experiment *ex)
{
    for (int i = 0; i < ex->n_runs; i++) {
        const gn_run_spec *r = &ex->runs[i];
        const gn_train_cfg *t = &r->train;
        if (!isnan(t->target) && !isnan(t->target_loss))
            return fail_at(c, ex, r, "train.target",
                           "give train.target (with train.target_metric) or train.target_loss, "
                           "not both");
        if (isnan(t->target) && t->target_metric >= 0 && !ex->protocol.target_auto)
            return fail_at(c, ex, r, "train.target_metric",
                           "names the metric of train.target, which is not set");
        if ((t->target_metric == GN_TARGET_VAL_LOSS ||
             t->target_metric == GN_TARGET_VAL_ACCURACY) &&
            !(r->dataset.common.validation > 0))
            return fail_at(c, ex, r, "train.target_metric",
                           "a target on the validation set needs one: set dataset.validation (a "
                           "fraction or a number of training samples to hold out)");
        if (t->target_metric == GN_TARGET_VAL_ACCURACY ||
            t->target_metric == GN_TARGET_TRAIN_ACCURACY) {
            if (!gn_loss_is_classification(r->loss))
                return fail_at(c, ex, r, "train.target_metric",
                               "an accuracy target needs a classification loss (xent or bxent)");
        }
        if (t->warmup >= 1 && t->warmup != floor(t->warmup))
            return fail_at(c, ex, r, "train.warmup",
                           "expected a fraction in (0, 1) of the steps or a whole number of steps");
        double v = r->dataset.common.validation;
        if (v >= 1 && v != floor(v))
            return fail_at(c, ex, r, "dataset.validation",
                           "expected a fraction in (0, 1) of the training set or a whole number "
                           "of samples");
    }
    return 0;
}
