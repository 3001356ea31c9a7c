/* loss.h: training losses on network outputs.
 *
 * Outputs F and targets Y are (b, c) row-major. Classification targets are
 * one-hot rows (xent) or values in [0, 1] per output (bxent); datasets turn
 * class indices into one-hot rows before training. Every loss exposes its
 * output-space Hessian in a factored form H_i = A_i A_iᵀ so Gauss-Newton
 * systems stay symmetric positive semi-definite. */
#ifndef GN_LOSS_H
#define GN_LOSS_H

#include "core/rng.h"

typedef enum {
    GN_LOSS_SQUARE = 0, /* mean over samples of ½‖f − y‖² */
    GN_LOSS_XENT,       /* mean softmax cross-entropy −Σ_k y_k log softmax(f)_k */
    GN_LOSS_BXENT,      /* mean over samples of Σ_k binary cross-entropy of sigmoid(f_k) */
    GN_LOSS_COUNT
} gn_loss_kind;

typedef struct gn_loss_info {
    const char *name, *summary;
} gn_loss_info;

extern const gn_loss_info gn_losses[];                  /* ends with {NULL} */
int gn_loss_parse(const char *name, gn_loss_kind *out); /* 0 or -1 */
const char *gn_loss_name(gn_loss_kind k);
int gn_loss_is_classification(gn_loss_kind k); /* xent, bxent */

/* How a dataset must encode its targets for a loss; the loss decides, the
 * dataset only receives the request (dataset.h). */
typedef enum {
    GN_TARGETS_VALUES, /* square: targets as given, may be standardized */
    GN_TARGETS_ONEHOT, /* xent: one column of class indices becomes one-hot rows, never
                          standardized */
    GN_TARGETS_PROBS   /* bxent: targets as given, values in [0, 1], never standardized */
} gn_targets;

/* The target encoding loss k trains on. */
gn_targets gn_loss_targets(gn_loss_kind k);

/* Mean over the b samples of the per-sample loss. */
double gn_loss_value(gn_loss_kind k, const double *F, const double *Y, int b, int c);
/* G (b, c) = dL/dF of the mean loss (so it carries the 1/b). */
void gn_loss_grad(gn_loss_kind k, const double *F, const double *Y, int b, int c, double *G);
/* Per-sample loss gradients without the 1/b: R (b, c), row i = dℓ_i/df_i.
 * For square loss this is the residual f − y. */
void gn_loss_sample_grad(gn_loss_kind k, const double *F, const double *Y, int b, int c, double *R);
/* Factor A (b, c, c) of the per-sample output Hessians, H_i = A_i A_iᵀ
 * (row-major c×c blocks): square: I; xent: diag(√p) − p √pᵀ with p the
 * softmax; bxent: diag(√(s(1−s))) with s the sigmoid. */
void gn_loss_hess_factor(gn_loss_kind k, const double *F, int b, int c, double *A);
/* Targets drawn from the model's predictive distribution (for the true
 * Fisher): square: f + N(0, I); xent: one-hot of a class drawn from
 * softmax(f); bxent: Bernoulli(sigmoid(f)) per output. Y (b, c). */
void gn_loss_sample_targets(gn_loss_kind k, const double *F, int b, int c, gn_rng *rng, double *Y);
/* Fraction of correct predictions: xent: argmax f = argmax y; bxent:
 * (f > 0) = (y > 0.5) per output, averaged; square: NaN. */
double gn_loss_accuracy(gn_loss_kind k, const double *F, const double *Y, int b, int c);

#endif
