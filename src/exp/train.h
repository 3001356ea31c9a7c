/* train.h: the `train:` section of an experiment, typed.
 *
 * gn_train_params is the section's table (`gnbench list`, validation; an
 * optimizer entry may override any key) and binds into gn_train_cfg. */
#ifndef GN_TRAIN_H
#define GN_TRAIN_H

#include "core/params.h"

/* train.target_metric: what train.target is a value of (the choices of
 * gn_train_params, in order). Accuracies are reached from below (>=), losses
 * from above (<=). */
typedef enum {
    GN_TARGET_TRAIN_LOSS,
    GN_TARGET_VAL_LOSS,
    GN_TARGET_VAL_ACCURACY,
    GN_TARGET_TRAIN_ACCURACY,
    GN_TARGET_METRIC_COUNT
} gn_target_metric;

/* train.lr_schedule (the choices, in order): the factor every optimizer's
 * step size is multiplied by at each step. */
typedef enum { GN_LR_CONSTANT, GN_LR_COSINE, GN_LR_LINEAR } gn_lr_schedule;

typedef struct gn_train_cfg {
    long iterations;       /* steps, unless epochs is set */
    double epochs;         /* passes over the training set; NaN: use iterations */
    long batch;            /* 0: the whole training set */
    long eval_every;       /* steps between evaluations */
    double time_limit_s;   /* optimizer time after which a run stops */
    double target_loss;    /* NaN: none (train_loss target, kept for old files) */
    double target;         /* NaN: none; a value of target_metric */
    int target_metric;     /* gn_target_metric; -1 (absent): train_loss */
    int lr_schedule;       /* gn_lr_schedule; -1 (absent): constant */
    double warmup;         /* NaN or 0: none; < 1: fraction of the steps; >= 1: steps */
    double diverge_factor; /* diverged above this times the initial loss */
} gn_train_cfg;

extern const gn_param gn_train_params[];

/* The metric names, indexed by gn_target_metric. */
extern const char *const gn_target_metric_names[GN_TARGET_METRIC_COUNT];

/* The run's target: 1 with *metric and *value (train.target, else
 * train.target_loss on the training loss), or 0 when it has none. */
int gn_train_target(const gn_train_cfg *t, gn_target_metric *metric, double *value);
/* Whether value reaches the target (>= for accuracies, <= for losses; NaN never). */
int gn_target_reached(gn_target_metric metric, double value, double target);

/* The step-size factor of step `step` (0-based) of `total`: a linear warmup
 * from 1/W to 1 over the first W steps (W from train.warmup), then constant
 * 1, a cosine decay from 1 towards 0 (0.5 (1 + cos(pi k / K)), k steps after
 * the warmup of K), or a linear decay (1 - k / K). */
double gn_train_lr_factor(const gn_train_cfg *t, long step, long total);
/* The warmup in steps of a run of total steps. */
long gn_train_warmup_steps(const gn_train_cfg *t, long total);

#endif
