/* schema.c: the column tables and status names (schema.h). */
#include "results/schema.h"

#include <math.h>
#include <string.h>

static const char *const status_names[GN_RUN_STATUS_COUNT] = {
    [GN_RUN_OK] = "ok",
    [GN_RUN_DIVERGED] = "diverged",
    [GN_RUN_TIME_LIMIT] = "time_limit",
    [GN_RUN_ERROR] = "error",
};

const char *gn_run_status_name(gn_run_status s)
{
    return s >= 0 && s < GN_RUN_STATUS_COUNT ? status_names[s] : "error";
}

int gn_run_status_parse(const char *text, gn_run_status *out)
{
    for (int s = 0; text && s < GN_RUN_STATUS_COUNT; s++)
        if (strcmp(text, status_names[s]) == 0) {
            *out = (gn_run_status)s;
            return 0;
        }
    return -1;
}

int gn_run_status_finished(gn_run_status s)
{
    return s == GN_RUN_OK || s == GN_RUN_DIVERGED || s == GN_RUN_TIME_LIMIT;
}

int gn_run_status_text_finished(const char *text)
{
    gn_run_status s;
    return gn_run_status_parse(text, &s) == 0 && gn_run_status_finished(s);
}

void gn_run_result_init(gn_run_result *res)
{
    memset(res, 0, sizeof *res);
    res->status = GN_RUN_ERROR;
    res->final_train = res->final_test = res->best_train = res->step_s_median = NAN;
    res->final_test_acc = res->final_val = res->final_val_acc = res->best_val = NAN;
    res->time_to_target = res->iters_to_target = res->target_value = NAN;
    res->kernel_lambda_min = res->kernel_cond = res->loss_contraction = NAN;
    res->reached = -1;
}

const gn_column gn_runs_key_columns[] = {
    {"run_id", "run_id", GN_COL_TEXT_PTR, 0, 0},
    {"status", "status", GN_COL_TEXT_PTR, 0, 0},
    {"optimizer", "optimizer", GN_COL_TEXT_PTR, 0, 0},
    {"label", "label", GN_COL_TEXT_PTR, 0, 0},
    {"seed", "seed", GN_COL_INT, 0, 0},
    {"phase", "phase", GN_COL_TEXT_PTR, 0, 0},
    {"study", "study", GN_COL_INT, 0, 0},
    {"trial", "trial", GN_COL_INT, 0, 0},
    {"config_id", "configuration", GN_COL_TEXT_PTR, 0, 0},
    {NULL, NULL, GN_COL_TEXT, 0, 0},
};

#define R(f) offsetof(gn_run_result, f)
const gn_column gn_runs_result_columns[] = {
    {"iterations", "iterations", GN_COL_INT, R(iterations), 0},
    {"wall_s", "wall time (s)", GN_COL_REAL, R(wall_s), GN_COL_TIMING},
    {"step_s_median", "median step time (s)", GN_COL_REAL, R(step_s_median), GN_COL_TIMING},
    {"eval_s", "evaluation time (s)", GN_COL_REAL, R(eval_s), GN_COL_TIMING},
    {"final_train_loss", "final training loss", GN_COL_REAL_NAN, R(final_train), 0},
    {"final_test_loss", "final test loss", GN_COL_REAL, R(final_test), 0},
    {"final_test_accuracy", "final test accuracy", GN_COL_REAL, R(final_test_acc), 0},
    {"best_train_loss", "best training loss", GN_COL_REAL_NAN, R(best_train), 0},
    {"loss_contraction", "training-loss contraction per step", GN_COL_REAL, R(loss_contraction), 0},
    {"final_val_loss", "final validation loss", GN_COL_REAL, R(final_val), 0},
    {"final_val_accuracy", "final validation accuracy", GN_COL_REAL, R(final_val_acc), 0},
    {"best_val_loss", "best validation loss", GN_COL_REAL, R(best_val), 0},
    {"target_metric", "target_metric", GN_COL_TEXT, R(target_metric), 0},
    {"target_value", "target value", GN_COL_REAL, R(target_value), 0},
    {"reached", "reached", GN_COL_FLAG, R(reached), 0},
    {"time_to_target_s", "time to target (s)", GN_COL_REAL, R(time_to_target), GN_COL_TIMING},
    {"iterations_to_target", "iterations to target", GN_COL_COUNT, R(iters_to_target), 0},
    {"peak_rss_mib", "peak RSS (MiB)", GN_COL_MIB, R(peak_rss_mib), GN_COL_TIMING},
    {"kernel_lambda_min_init", "smallest eigenvalue of K at initialization", GN_COL_REAL,
     R(kernel_lambda_min), 0},
    {"kernel_cond_init", "condition number of K at initialization", GN_COL_REAL, R(kernel_cond), 0},
    {"rejected_steps", "rejected trial steps", GN_COL_INT, R(rejected), 0},
    {"damping_raised_steps", "steps with damping raised", GN_COL_INT, R(damping_raised_steps), 0},
    {"dataset_identity", "dataset_identity", GN_COL_TEXT_PTR, R(dataset_identity), 0},
    {"message", "message", GN_COL_TEXT, R(message), 0},
    {NULL, NULL, GN_COL_TEXT, 0, 0},
};
#undef R

#define T(k) ((k) * sizeof(double))
const gn_column gn_trace_columns[GN_TC_COUNT] = {
    [GN_TC_ITERATION] = {"iteration", "iteration", GN_COL_INT, T(GN_TC_ITERATION), GN_COL_X},
    [GN_TC_EPOCH] = {"epoch", "epoch", GN_COL_REAL, T(GN_TC_EPOCH), GN_COL_X},
    [GN_TC_SAMPLES] = {"samples", "samples seen", GN_COL_INT, T(GN_TC_SAMPLES), GN_COL_X},
    [GN_TC_WALL] = {"wall_s", "wall time (s)", GN_COL_REAL, T(GN_TC_WALL),
                    GN_COL_X | GN_COL_TIMING},
    [GN_TC_TRAIN_LOSS] = {"train_loss", "training loss", GN_COL_REAL_NAN, T(GN_TC_TRAIN_LOSS), 0},
    [GN_TC_TEST_LOSS] = {"test_loss", "test loss", GN_COL_REAL_NAN, T(GN_TC_TEST_LOSS),
                         GN_COL_TEST},
    [GN_TC_TRAIN_ACC] = {"train_accuracy", "training accuracy", GN_COL_REAL, T(GN_TC_TRAIN_ACC),
                         GN_COL_CLASSIFY},
    [GN_TC_TEST_ACC] = {"test_accuracy", "test accuracy", GN_COL_REAL, T(GN_TC_TEST_ACC),
                        GN_COL_CLASSIFY | GN_COL_TEST},
    [GN_TC_VAL_LOSS] = {"val_loss", "validation loss", GN_COL_REAL_NAN, T(GN_TC_VAL_LOSS),
                        GN_COL_VAL},
    [GN_TC_VAL_ACC] = {"val_accuracy", "validation accuracy", GN_COL_REAL, T(GN_TC_VAL_ACC),
                       GN_COL_VAL | GN_COL_CLASSIFY},
    [GN_TC_BATCH_LOSS] = {"batch_loss", "mini-batch loss", GN_COL_REAL, T(GN_TC_BATCH_LOSS), 0},
    [GN_TC_GRAD_NORM] = {"grad_norm", "gradient norm", GN_COL_REAL, T(GN_TC_GRAD_NORM), 0},
    [GN_TC_STEP_NORM] = {"step_norm", "step norm", GN_COL_REAL, T(GN_TC_STEP_NORM), 0},
    [GN_TC_LR] = {"lr", "learning rate", GN_COL_REAL, T(GN_TC_LR), 0},
    [GN_TC_DAMPING] = {"damping", "damping", GN_COL_REAL, T(GN_TC_DAMPING), 0},
    [GN_TC_GAIN] = {"gain_ratio", "gain ratio", GN_COL_REAL, T(GN_TC_GAIN), 0},
    [GN_TC_T_FORWARD] = {"t_forward", "forward time (s)", GN_COL_REAL, T(GN_TC_T_FORWARD),
                         GN_COL_TIMING},
    [GN_TC_T_CURVATURE] = {"t_curvature", "curvature time (s)", GN_COL_REAL, T(GN_TC_T_CURVATURE),
                           GN_COL_TIMING},
    [GN_TC_T_SOLVE] = {"t_solve", "solve time (s)", GN_COL_REAL, T(GN_TC_T_SOLVE), GN_COL_TIMING},
    [GN_TC_T_BACKWARD] = {"t_backward", "backward time (s)", GN_COL_REAL, T(GN_TC_T_BACKWARD),
                          GN_COL_TIMING},
    [GN_TC_PREV_LOSS] = {"prev_train_loss", "training loss at the previous evaluation", GN_COL_REAL,
                         T(GN_TC_PREV_LOSS), GN_COL_X},
};
#undef T

/* Axis labels of settings a figure may put on an axis. Settings are named by
 * their tables; these are the ones whose name alone is not a good label. */
static const char *const setting_labels[][2] = {
    {"model.width", "width (units)"},
    {"model.depth", "depth (hidden layers)"},
    {"model.output_scale", "output scale alpha"},
    {"train.batch", "batch size (samples)"},
    {"dataset.spread", "cluster spread delta"},
    {"opt.curvature_batch", "curvature batch (samples)"},
    {"opt.inner_iters", "inner iterations"},
};

const gn_column *gn_schema_trace_column(const char *name)
{
    for (int j = 0; j < GN_TC_COUNT; j++)
        if (strcmp(gn_trace_columns[j].name, name) == 0) return &gn_trace_columns[j];
    for (int i = 0; gn_optimizers[i]; i++) {
        const gn_column *t = gn_optimizers[i]->trace_columns;
        for (int j = 0; t && t[j].name; j++)
            if (strcmp(t[j].name, name) == 0) return &t[j];
    }
    return NULL;
}

const gn_column *gn_schema_runs_column(const char *name)
{
    const gn_column *tables[] = {gn_runs_key_columns, gn_runs_result_columns};
    for (int t = 0; t < 2; t++)
        for (const gn_column *c = tables[t]; c->name; c++)
            if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

const char *gn_schema_label(const char *name)
{
    const gn_column *c = gn_schema_trace_column(name);
    if (!c) c = gn_schema_runs_column(name);
    if (c) return c->label;
    for (size_t i = 0; i < sizeof setting_labels / sizeof setting_labels[0]; i++)
        if (strcmp(setting_labels[i][0], name) == 0) return setting_labels[i][1];
    return name;
}
