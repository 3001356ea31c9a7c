/* train.h: the `train:` section of an experiment, typed.
 *
 * gn_train_params is the section's table (`gnbench list`, validation; an
 * optimizer entry may override any key) and binds into gn_train_cfg. */
#ifndef GN_TRAIN_H
#define GN_TRAIN_H

#include "core/params.h"

typedef struct gn_train_cfg {
    long iterations;       /* steps, unless epochs is set */
    double epochs;         /* passes over the training set; NaN: use iterations */
    long batch;            /* 0: the whole training set */
    long eval_every;       /* steps between evaluations */
    double time_limit_s;   /* optimizer time after which a run stops */
    double target_loss;    /* NaN: none */
    double diverge_factor; /* diverged above this times the initial loss */
} gn_train_cfg;

extern const gn_param gn_train_params[];

#endif
