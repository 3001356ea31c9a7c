/* mlp.h: the multilayer perceptron, its derivatives and its Gram matrix.
 *
 * Layers l = 1..L map a_{l-1} (n_{l-1}) to z_l = s_l W_l a_{l-1} + b_l with
 * s_l = 1/sqrt(n_{l-1}) in the NTK parameterization and 1 in the standard
 * one; a_l = act(z_l) for hidden layers and f = alpha * z_L at the output.
 * Parameters live in one contiguous vector theta: for each layer W_l
 * (n_l, n_{l-1}) row-major, then b_l (n_l) when biases are on.
 *
 * A batch of b <= max_batch samples is forwarded once; the VJP, JVP, the
 * per-output backprop vectors and the Gram matrix then refer to that batch.
 * All workspace is allocated by gn_mlp_init. */
#ifndef GN_MLP_H
#define GN_MLP_H

#include <stddef.h>
#include "core/rng.h"

#define GN_MAX_LAYERS 32

typedef enum {
    GN_ACT_RELU,
    GN_ACT_TANH,
    GN_ACT_SIGMOID,
    GN_ACT_SOFTPLUS,
    GN_ACT_GELU,
    GN_ACT_IDENTITY,
    GN_ACT_COUNT
} gn_act;

extern const char *const gn_act_names[GN_ACT_COUNT];
extern const char *const gn_act_summaries[GN_ACT_COUNT];
int gn_act_parse(const char *name, gn_act *out); /* 0 or -1 */

/* Distribution of the initial parameters (gn_mlp_init_params). */
typedef enum { GN_INIT_NORMAL, GN_INIT_UNIFORM } gn_init;

typedef struct gn_mlp_config {
    int n_layers;                 /* L: weight layers = hidden layers + 1 */
    int sizes[GN_MAX_LAYERS + 1]; /* n_0 (inputs) .. n_L (outputs c) */
    gn_act act;
    int ntk;             /* 1: NTK parameterization, 0: standard */
    int bias;            /* 1: layers have biases */
    double output_scale; /* alpha */
    /* Optional; zero means "as before" (act on every hidden layer, normal
     * init), so configurations written without them keep their meaning. */
    int layer_acts;                 /* 1: hidden layer l applies acts[l], not act */
    gn_act acts[GN_MAX_LAYERS + 1]; /* acts[l] for hidden layers l = 1..L-1 */
    gn_init init;
} gn_mlp_config;

/* The activation of hidden layer l (1..L-1): acts[l] or act. Every pass
 * that applies an activation or its derivative goes through this. */
gn_act gn_mlp_layer_act(const gn_mlp_config *cfg, int l);
/* act'(z) given z and az = act(z) (tanh and sigmoid reuse az). */
double gn_mlp_act_derivative(gn_act a, double z, double az);

typedef struct gn_mlp {
    gn_mlp_config cfg;
    int L, c, max_batch, b; /* b: size of the batch last forwarded */
    int max_gram_batch;     /* batches up to this size may use D, the Gram and Jᵀv */
    size_t m;               /* number of parameters */
    double *theta;          /* (m) */
    size_t w_off[GN_MAX_LAYERS + 1], b_off[GN_MAX_LAYERS + 1]; /* into theta, layer 1..L */
    double scale[GN_MAX_LAYERS + 1];                           /* s_l */
    const double *X;              /* (b, n_0) input of the last forward (not owned) */
    double *Z[GN_MAX_LAYERS + 1]; /* (max_batch, n_l) pre-activations, l = 1..L */
    double *A[GN_MAX_LAYERS + 1]; /* (max_batch, n_l) activations, l = 1..L-1 */
    double *F;                    /* (max_batch, c) outputs alpha * z_L */
    double
        *D[GN_MAX_LAYERS + 1]; /* (max_gram_batch * c, n_l) backprop vectors df/dz_l, rows (i, k) */
    int D_ready;               /* D holds the vectors of the current batch */
    double *g0, *g1;           /* (max_batch * max(c, n_l)) cotangent buffers */
    double *t0, *t1;           /* (max_batch, max n_l) tangent buffers */
    double *gram_a;            /* (max_gram_batch, max_gram_batch) Gram of layer inputs */
    double *gram_d;            /* (max_gram_batch c, max_gram_batch c) Gram of backprop vectors */
    /* For gn_mlp_forward_stepped: s_1² X Xᵀ of the current batch, kept by
     * the Gram products (gn_mlp_gram, gn_mlp_cot_gram) when they form it,
     * and layer 1's cotangents of the last gn_mlp_jt_vec_add into theta. */
    double *gram_x;   /* (max_gram_batch, max_gram_batch) */
    double *G1;       /* (max_gram_batch, n_1) */
    int gram_x_ready; /* gram_x holds the current batch's */
    int stepped;      /* theta moved by step_alpha Jᵀv since the forward, G1 holds v's */
    double step_alpha;
} gn_mlp;

/* Allocates the model and all workspace for batches up to max_batch.
 * Returns 0, or -1 (out of memory, bad config) with a message. */
int gn_mlp_init(gn_mlp *net, const gn_mlp_config *cfg, int max_batch, char *err, size_t errlen);
/* The same with a separate bound for the curvature products (backprop
 * vectors, Gram, Jᵀv), whose workspace grows like (batch c)^2: evaluation
 * can forward large chunks while steps form Gram matrices of small batches.
 * max_gram_batch = 0 means max_batch; < 0 means none (first-order use:
 * gn_mlp_backprop_outputs, gn_mlp_gram and gn_mlp_jt_vec must not be called). */
int gn_mlp_init_ex(gn_mlp *net, const gn_mlp_config *cfg, int max_batch, int max_gram_batch,
                   char *err, size_t errlen);
void gn_mlp_free(gn_mlp *net);
/* Bytes gn_mlp_init would allocate (for memory checks before a run). */
size_t gn_mlp_bytes(const gn_mlp_config *cfg, int max_batch, int max_gram_batch);

/* Random initial parameters. GN_INIT_NORMAL: NTK W ~ N(0, 1), standard
 * W ~ N(0, 1/n_{l-1}), biases 0. GN_INIT_UNIFORM (PyTorch's nn.Linear):
 * standard W ~ U(-r, r) with r = 1/sqrt(n_{l-1}), NTK W ~ U(-1, 1), so that
 * s_l W_l is U(-r, r) in both, as the normal init gives both the same s_l W_l;
 * biases U(-r, r) in both (the bias is not scaled). Drawn in theta order. */
void gn_mlp_init_params(gn_mlp *net, gn_rng *rng);

/* Forward pass of X (b, n_0), b <= max_batch. Returns the outputs (b, c),
 * valid until the next forward. X must stay valid while the batch is used. */
const double *gn_mlp_forward(gn_mlp *net, const double *X, int b);

/* grad (m) = Jᵀ cot: backward pass with output cotangent cot (b, c). */
void gn_mlp_vjp(gn_mlp *net, const double *cot, double *grad);

/* out (b, c) = J u: forward-mode pass with parameter tangent u (m). */
void gn_mlp_jvp(gn_mlp *net, const double *u, double *out);

/* Computes the per-output backprop vectors D_l = df/dz_l for every
 * (sample, output) row of the current batch (c backward passes as one). */
void gn_mlp_backprop_outputs(gn_mlp *net);

/* K (bc, bc) = J Jᵀ by the layer-wise trick, rows ordered (i, k) = i*c + k.
 * Runs gn_mlp_backprop_outputs when needed. J is never formed. */
void gn_mlp_gram(gn_mlp *net, double *K);

/* out (m) = Jᵀ v for v (bc), from the stored backprop vectors (after
 * gn_mlp_backprop_outputs): costs only the weight-gradient products. */
void gn_mlp_jt_vec(gn_mlp *net, const double *v, double *out);

/* out (m) += alpha Jᵀ v, with the scaling and the sum done by the
 * weight-gradient gemm itself (no m-sized temporary, no extra pass over
 * out). out may be the model's own parameters: the products read only the
 * stored activations and backprop vectors. */
void gn_mlp_jt_vec_add(gn_mlp *net, const double *v, double alpha, double *out);

/* gn_mlp_forward(net, X, b); when X and b are the current batch, the pass
 * at the parameters that the last
 * gn_mlp_jt_vec_add(net, v, alpha, net->theta) produced, when nothing else
 * changed theta since the batch was forwarded (the trial point of a damped
 * step). Layer 1's pre-activations then follow without the b n_0 n_1
 * product: W_1 moved by alpha s_1 G_1ᵀ X and b_1 by alpha 1ᵀ G_1, so
 *   Z_1' = Z_1 + alpha (s_1² X Xᵀ) G_1 + 1 (alpha 1ᵀ G_1)ᵀ,
 * b² n_1 multiply-adds from the X Xᵀ the Gram products kept; the layers
 * above are forwarded as usual. Falls back to gn_mlp_forward when the
 * shortcut does not apply (no step recorded, X Xᵀ not at hand) or costs
 * more (b >= n_0). Equal to gn_mlp_forward(net, X, b) up to rounding. */
const double *gn_mlp_forward_stepped(gn_mlp *net, const double *X, int b);
/* Keeps XX (b, b) = s_1² X Xᵀ of the current batch for it (the Gram
 * products call this when they form the product). */
void gn_mlp_keep_gram_x(gn_mlp *net, const double *XX);

/* Explicit Jacobian (bc, m), row by row through the VJP. For tests and tiny
 * problems only. */
void gn_mlp_jacobian(gn_mlp *net, double *J);

/* Analytic flop counts for a batch of b (for benchmarks). */
double gn_mlp_flops_forward(const gn_mlp_config *cfg, int b);

#endif
