/* optim.h: the optimizer plugin interface and registry.
 *
 * Each optimizer is one file defining a const gn_optim_ops, listed once in
 * registry.c. Its hyperparameter table (opt.*) drives `gnbench list` and the
 * validation of experiment files. An optimizer instance is a struct whose
 * first member is a gn_optim (pointing back at the ops); implementations
 * extend it by appending fields. */
#ifndef GN_OPTIM_H
#define GN_OPTIM_H

#include <stddef.h>
#include "loss.h"
#include "mlp.h"
#include "params.h"

#define GN_OPTIM_OPS_VERSION 1
#define GN_OPTIM_MAX_EXTRA 8

/* What a step sees: the model (parameters in model->theta), the loss and
 * the batch. The optimizer uses the model's evaluation interface (forward,
 * VJP, JVP, Gram), never its layer internals. */
typedef struct gn_step_ctx {
    gn_mlp *model;
    gn_loss_kind loss;
    const double *X; /* (b, d) */
    const double *Y; /* (b, c) */
    int b, c;
    long iteration;  /* 0-based step number */
} gn_step_ctx;

/* What a step reports; the runner fills NaN before each step, so fields an
 * optimizer does not set stay "not applicable". Times are seconds. */
typedef struct gn_step_info {
    double batch_loss; /* loss on the batch at the parameters before the step */
    double grad_norm, step_norm, lr, damping, gain_ratio;
    double t_forward, t_curvature, t_solve, t_backward;
    int damping_raises; /* Cholesky failures recovered by raising damping */
    int rejected;       /* trial steps rejected within this step (LM rules) */
    double kernel_lambda_min, kernel_cond; /* of the curvature matrix, when estimated */
    double extra[GN_OPTIM_MAX_EXTRA]; /* values of ops->trace_columns, in order */
    char note[160];     /* event worth recording (e.g. damping raised) */
} gn_step_info;

typedef struct gn_optim gn_optim;

typedef struct gn_optim_ops {
    int version;                /* GN_OPTIM_OPS_VERSION */
    const char *name;           /* as written in experiment files */
    const char *summary;        /* one line */
    const gn_param *params;     /* hyperparameters, addressed as opt.<name> */
    int full_batch;             /* steps always use the whole training set */
    int first_order;            /* never uses the curvature products (Gram, Jᵀv): the
                                   runner then allocates no curvature workspace */
    const char *losses;         /* losses it supports, "square|xent|bxent" style */
    /* Extra per-step trace columns (NULL-terminated, at most
     * GN_OPTIM_MAX_EXTRA), filled into gn_step_info.extra; NULL = none. */
    const char *const *trace_columns;
    /* Creates an instance for `model` with hyperparameters from s (opt.*,
     * defaults resolved) and batches up to max_batch rows. Returns NULL with
     * a message in err on failure. */
    gn_optim *(*create)(const gn_settings *s, gn_mlp *model, int max_batch,
                        char *err, size_t errlen);
    /* One step. Returns 0, or -1 on a failure that ends the run (message in
     * info->note). Numerical trouble it can recover from is not a failure. */
    int (*step)(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info);
    void (*destroy)(gn_optim *opt);
} gn_optim_ops;

struct gn_optim {
    const gn_optim_ops *ops;
};

/* The registry: NULL-terminated. */
extern const gn_optim_ops *const gn_optimizers[];
const gn_optim_ops *gn_optim_find(const char *name);

/* Shared by optimizers: timestamps in seconds (monotonic clock). */
double gn_now(void);

/* The mini-batch gradient of a first-order step: forwards the batch, fills
 * info->batch_loss, G (b, c) = dL/dF and g (m) = ∇L + weight_decay θ, and
 * the t_forward / t_backward times. */
void gn_optim_gradient(const gn_step_ctx *ctx, double weight_decay, double *G, double *g,
                       gn_step_info *info);

#endif
