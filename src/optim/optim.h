/* optim.h: the optimizer plugin interface and registry.
 *
 * Each optimizer is a const gn_optim_ops in a file of its own, listed once in
 * registry.c. Its hyperparameter table (opt.*) drives `gnbench list` and the
 * validation of experiment files, and binds into the plugin's typed
 * hyperparameter struct (params.h): the experiment binds every run once, and
 * create() receives the struct, never text. An optimizer instance is a
 * struct whose first member is a gn_optim (pointing back at the ops);
 * implementations extend it by appending fields. */
#ifndef GN_OPTIM_H
#define GN_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "core/column.h"
#include "model/loss.h"
#include "model/mlp.h"
#include "core/params.h"

#define GN_OPTIM_OPS_VERSION 2
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
    double lr_scale; /* factor on the step size (train.lr_schedule); 0 (unset) means 1 */
} gn_step_ctx;

/* The step size of this step: lr times the schedule's factor. */
static inline double gn_step_lr(const gn_step_ctx *ctx, double lr)
{
    return ctx->lr_scale > 0 ? lr * ctx->lr_scale : lr;
}

/* What a step reports; the runner fills NaN before each step, so fields an
 * optimizer does not set stay "not applicable". Times are seconds. */
typedef struct gn_step_info {
    double batch_loss; /* loss on the batch at the parameters before the step */
    double grad_norm, step_norm, lr, damping, gain_ratio;
    double t_forward, t_curvature, t_solve, t_backward;
    int damping_raises;                    /* Cholesky failures recovered by raising damping */
    int rejected;                          /* trial steps rejected within this step (LM rules) */
    double kernel_lambda_min, kernel_cond; /* of the curvature matrix, when estimated */
    double extra[GN_OPTIM_MAX_EXTRA];      /* values of ops->trace_columns, in order */
    char note[160];                        /* event worth recording (e.g. damping raised) */
} gn_step_info;

typedef struct gn_optim gn_optim;

/* The shape of the runs an optimizer is planned for. */
typedef struct gn_optim_shape {
    int batch;        /* rows of a step batch */
    int d;            /* inputs */
    int c;            /* outputs */
    uint64_t m;       /* parameters */
    uint64_t fan;     /* sum over layers of fan-in + 1 + fan-out (the Gram cost per row pair) */
    int layers, bias; /* weight layers L; whether they have biases */
    int sizes[GN_MAX_LAYERS + 1]; /* n_0 .. n_L: for plugins with per-layer buffers (kfac) */
} gn_optim_shape;

/* What a step needs, before anything is allocated: read by the memory check
 * and the cost model of shards, so the runner never reads a hyperparameter.
 * Flops are integers (saturating) so every machine plans the same shards. */
typedef struct gn_optim_plan {
    int gram_batch;         /* samples whose curvature products (Gram, Jᵀv) a step forms;
                               0: none (the model then allocates no curvature workspace) */
    double workspace_bytes; /* the optimizer's own buffers: its layout measured (ws.h) */
    uint64_t step_flops;    /* estimated per step */
} gn_optim_plan;

/* The bit of loss k in gn_optim_ops.losses. */
#define GN_LOSS_BIT(k) (1u << (k))
#define GN_LOSSES_ALL                                                                              \
    (GN_LOSS_BIT(GN_LOSS_SQUARE) | GN_LOSS_BIT(GN_LOSS_XENT) | GN_LOSS_BIT(GN_LOSS_BXENT))

typedef struct gn_optim_ops {
    int version;            /* GN_OPTIM_OPS_VERSION */
    const char *name;       /* as written in experiment files */
    const char *summary;    /* one line */
    const gn_param *params; /* hyperparameters, addressed as opt.<name>, bound
                               into a struct of hparams_size bytes */
    size_t hparams_size;
    int full_batch;  /* steps always use the whole training set */
    unsigned losses; /* losses it supports: GN_LOSS_BIT(k) | ... */
    /* Extra per-step trace columns with their axis labels (ending with a
     * NULL name, at most GN_OPTIM_MAX_EXTRA; type GN_COL_REAL), filled into
     * gn_step_info.extra in order; NULL = none. */
    const gn_column *trace_columns;
    /* Creates an instance for `model` with the bound hyperparameters hp (a
     * struct of hparams_size bytes filled from params; create copies what it
     * keeps) and batches up to max_batch rows. Returns NULL with a message
     * in err on failure. */
    gn_optim *(*create)(const void *hp, gn_mlp *model, int max_batch, char *err, size_t errlen);
    /* One step. Returns 0, or -1 on a failure that ends the run (message in
     * info->note). Numerical trouble it can recover from is not a failure. */
    int (*step)(gn_optim *opt, const gn_step_ctx *ctx, gn_step_info *info);
    void (*destroy)(gn_optim *opt);
    /* (optional) What a step of shape sh with hyperparameters hp needs;
     * NULL: a first-order method (gn_optim_plan_first_order). */
    void (*plan)(const void *hp, const gn_optim_shape *sh, gn_optim_plan *out);
} gn_optim_ops;

struct gn_optim {
    const gn_optim_ops *ops;
    size_t workspace_bytes; /* the block create() allocated (ws.h); plan() reports the same */
};

/* The registry: NULL-terminated. */
extern const gn_optim_ops *const gn_optimizers[];
const gn_optim_ops *gn_optim_find(const char *name);

/* The shape of steps of up to max_batch rows on a network of configuration
 * cfg, or on model: one function, so a run's plan (before the model exists)
 * and its optimizer's allocation see the same shape. */
gn_optim_shape gn_optim_shape_of_config(const gn_mlp_config *cfg, int max_batch);
gn_optim_shape gn_optim_shape_of(const gn_mlp *model, int max_batch);

/* ops->plan, or the first-order plan when it has none. */
void gn_optim_plan_for(const gn_optim_ops *ops, const void *hp, const gn_optim_shape *sh,
                       gn_optim_plan *out);
/* Plans for plugins to build on. First order: no curvature, four m-sized
 * vectors, 6 b m flops (forward and backward). Gram: the curvature of
 * gram_batch samples, r = gram_batch c rows, formed layer by layer (2 r² fan),
 * factored (r³ / 3), with a JVP and a VJP (4 gram_batch m), and the Gram
 * matrix, its factor and a transform (3 r² doubles). Matrix-free: products
 * with J and Jᵀ only (4 gram_batch m per inner iteration), no r² storage. */
void gn_optim_plan_first_order(const gn_optim_shape *sh, gn_optim_plan *out);
void gn_optim_plan_gram(const gn_optim_shape *sh, int gram_batch, gn_optim_plan *out);
void gn_optim_plan_matrix_free(const gn_optim_shape *sh, int gram_batch, long inner,
                               gn_optim_plan *out);

/* Whether ops supports loss k. */
int gn_optim_supports(const gn_optim_ops *ops, gn_loss_kind k);

/* Binds the hyperparameters of ops from s ("opt.<name>" keys; absent ones
 * take the table default; s may be NULL) into a new struct of
 * ops->hparams_size bytes (free it with free). NULL with a message in err
 * when a value does not check or memory runs out. */
void *gn_optim_bind(const gn_optim_ops *ops, const gn_settings *s, char *err, size_t errlen);

/* gn_optim_bind, then ops->create: for tests and benchmarks that write
 * settings as text, as an experiment file would. */
gn_optim *gn_optim_create(const gn_optim_ops *ops, const gn_settings *s, gn_mlp *model,
                          int max_batch, char *err, size_t errlen);

/* Shared by optimizers: timestamps in seconds (monotonic clock). */
double gn_now(void);

/* The mini-batch gradient of a first-order step: forwards the batch, fills
 * info->batch_loss, G (b, c) = dL/dF and g (m) = ∇L + weight_decay θ, and
 * the t_forward / t_backward times. */
void gn_optim_gradient(const gn_step_ctx *ctx, double weight_decay, double *G, double *g,
                       gn_step_info *info);

#endif
