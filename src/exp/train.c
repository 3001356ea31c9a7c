/* train.c: the train section's table, targets and the learning-rate
 * schedules (train.h). */
#include "exp/train.h"

#include <math.h>

const char *const gn_target_metric_names[GN_TARGET_METRIC_COUNT] = {
    [GN_TARGET_TRAIN_LOSS] = "train_loss",
    [GN_TARGET_VAL_LOSS] = "val_loss",
    [GN_TARGET_VAL_ACCURACY] = "val_accuracy",
    [GN_TARGET_TRAIN_ACCURACY] = "train_accuracy",
};

const gn_param gn_train_params[] = {
    GN_P_INT(gn_train_cfg, iterations, "100", 1, 1e9,
             "optimizer steps to take (unless epochs is given)"),
    GN_P_REAL(gn_train_cfg, epochs, NULL, GN_PARAM_POSITIVE, 1e6,
              "passes over the training set, instead of iterations"),
    GN_P_INT(gn_train_cfg, batch, NULL, 1, 1e9,
             "mini-batch size (absent = the whole training set)"),
    GN_P_INT(gn_train_cfg, eval_every, "1", 1, 1e9,
             "evaluate the full training and test loss every this many steps"),
    GN_P_REAL(gn_train_cfg, time_limit_s, "600", GN_PARAM_POSITIVE, 1e9,
              "stop a run when its optimizer time exceeds this many seconds"),
    GN_P_REAL(gn_train_cfg, target_loss, NULL, 0, 1e300,
              "training loss that defines time_to_target_s and iterations_to_target"),
    GN_P_REAL(gn_train_cfg, target, NULL, -1e300, 1e300,
              "the value of target_metric that defines time_to_target_s, iterations_to_target "
              "and reached"),
    GN_P_CHOICE(gn_train_cfg, target_metric, NULL,
                "train_loss|val_loss|val_accuracy|train_accuracy",
                "what train.target is a value of (absent: train_loss); accuracies are reached "
                "at or above it, losses at or below; the test set is never a target"),
    GN_P_CHOICE(gn_train_cfg, lr_schedule, NULL, "constant|cosine|linear",
                "multiplies every optimizer's step size: constant, cosine decay or linear decay "
                "to 0 at the last step, after the warmup (absent: constant)"),
    GN_P_REAL(gn_train_cfg, warmup, NULL, 0, 1e9,
              "linear warmup of the step size: a fraction in (0, 1) of the steps, or a number "
              "of steps (absent: none)"),
    GN_P_REAL(gn_train_cfg, diverge_factor, "1e6", 1, 1e300,
              "a run is diverged when its training loss exceeds this factor times the initial "
              "loss"),
    GN_P_END,
};

int gn_train_target(const gn_train_cfg *t, gn_target_metric *metric, double *value)
{
    if (!isnan(t->target)) {
        *metric = t->target_metric >= 0 ? (gn_target_metric)t->target_metric : GN_TARGET_TRAIN_LOSS;
        *value = t->target;
        return 1;
    }
    if (!isnan(t->target_loss)) {
        *metric = GN_TARGET_TRAIN_LOSS;
        *value = t->target_loss;
        return 1;
    }
    return 0;
}

int gn_target_reached(gn_target_metric metric, double value, double target)
{
    if (isnan(value)) return 0;
    if (metric == GN_TARGET_VAL_ACCURACY || metric == GN_TARGET_TRAIN_ACCURACY)
        return value >= target;
    return value <= target;
}

long gn_train_warmup_steps(const gn_train_cfg *t, long total)
{
    double w = t->warmup;
    if (!(w > 0)) return 0;
    long steps = w < 1 ? (long)ceil(w * (double)total) : (long)w;
    return steps < total ? steps : total;
}

double gn_train_lr_factor(const gn_train_cfg *t, long step, long total)
{
    long w = gn_train_warmup_steps(t, total);
    if (step < w) return (double)(step + 1) / (double)w;
    long k = step - w, len = total - w;
    if (len <= 0) return 1;
    switch (t->lr_schedule) {
    case GN_LR_COSINE:
        return 0.5 * (1 + cos(M_PI * (double)k / (double)len));
    case GN_LR_LINEAR:
        return 1 - (double)k / (double)len;
    default:
        return 1;
    }
}
