/* train.c: the train section's table (train.h). */
#include "exp/train.h"

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
    GN_P_REAL(gn_train_cfg, diverge_factor, "1e6", 1, 1e300,
              "a run is diverged when its training loss exceeds this factor times the initial "
              "loss"),
    GN_P_END,
};
