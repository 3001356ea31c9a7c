/* mlp.c: the multilayer perceptron (see mlp.h for the conventions).
 *
 * Shapes, with b the batch, c the outputs, n_l the width of layer l:
 *   X (b, n_0); W_l (n_l, n_{l-1}); Z_l, A_l (b, n_l); F (b, c);
 *   D_l (b c, n_l): row (i, k) is df_{i,k}/dz_l for sample i, output k.
 * Every product with a dimension of the batch goes through BLIS level 3. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la/blas.h"
#include "core/gn_assert.h"
#include "model/mlp.h"
#include "la/vmath.h"

const char *const gn_act_names[GN_ACT_COUNT] = {"relu",     "tanh", "sigmoid",
                                                "softplus", "gelu", "identity"};
const char *const gn_act_summaries[GN_ACT_COUNT] = {
    "max(0, x); derivative 0 at 0",
    "hyperbolic tangent",
    "logistic 1 / (1 + exp(-x))",
    "log(1 + exp(x)), a smooth relu",
    "x Phi(x) with the exact Gaussian CDF (erf), not the tanh approximation",
    "x: a linear network",
};

int gn_act_parse(const char *name, gn_act *out)
{
    for (int i = 0; i < GN_ACT_COUNT; i++)
        if (strcmp(name, gn_act_names[i]) == 0) {
            *out = (gn_act)i;
            return 0;
        }
    return -1;
}

gn_act gn_mlp_layer_act(const gn_mlp_config *cfg, int l)
{
    return cfg->layer_acts ? cfg->acts[l] : cfg->act;
}

static double sigmoid(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

static double act_deriv(gn_act a, double x)
{
    switch (a) {
    case GN_ACT_RELU:
        return x > 0 ? 1.0 : 0.0;
    case GN_ACT_TANH: {
        double t = tanh(x);
        return 1.0 - t * t;
    }
    case GN_ACT_SIGMOID: {
        double s = sigmoid(x);
        return s * (1.0 - s);
    }
    case GN_ACT_SOFTPLUS:
        return sigmoid(x);
    case GN_ACT_GELU:
        return 0.5 * erfc(-x * M_SQRT1_2) + x * exp(-0.5 * x * x) / sqrt(2 * M_PI);
    default:
        return 1.0;
    }
}

/* act'(z) given z and a = act(z): tanh and sigmoid reuse a instead of
 * evaluating the exponential again. */
static inline double deriv_at(gn_act a, double z, double av)
{
    switch (a) {
    case GN_ACT_TANH:
        return 1.0 - av * av;
    case GN_ACT_SIGMOID:
        return av * (1.0 - av);
    case GN_ACT_RELU:
        return z > 0 ? 1.0 : 0.0;
    case GN_ACT_IDENTITY:
        return 1.0;
    default:
        return act_deriv(a, z);
    }
}

double gn_mlp_act_derivative(gn_act a, double z, double az)
{
    return deriv_at(a, z, az);
}

/* A[j] = act(Z[j]) for j < n, the transcendental part through vmath.h. */
static void apply_act(gn_act a, double *A, const double *Z, size_t n)
{
    switch (a) {
    case GN_ACT_RELU:
        for (size_t j = 0; j < n; j++)
            A[j] = Z[j] > 0 ? Z[j] : 0.0;
        break;
    case GN_ACT_TANH:
        gn_vtanh(A, Z, n);
        break;
    case GN_ACT_SIGMOID:
        /* e = exp(-|z|); 1 / (1 + e) for z >= 0, e / (1 + e) below */
        for (size_t j = 0; j < n; j++)
            A[j] = -fabs(Z[j]);
        gn_vexp(A, A, n);
        for (size_t j = 0; j < n; j++)
            A[j] = (Z[j] >= 0 ? 1.0 : A[j]) / (1.0 + A[j]);
        break;
    case GN_ACT_SOFTPLUS:
        /* max(z, 0) + log1p(exp(-|z|)) */
        for (size_t j = 0; j < n; j++)
            A[j] = -fabs(Z[j]);
        gn_vexp(A, A, n);
        gn_vlog1p(A, A, n);
        for (size_t j = 0; j < n; j++)
            A[j] += Z[j] > 0 ? Z[j] : 0.0;
        break;
    case GN_ACT_GELU:
        /* z Phi(z) = z erfc(-z / sqrt 2) / 2 */
        for (size_t j = 0; j < n; j++)
            A[j] = -Z[j] * M_SQRT1_2;
        gn_verfc(A, A, n);
        for (size_t j = 0; j < n; j++)
            A[j] *= 0.5 * Z[j];
        break;
    default:
        if (A != Z) memcpy(A, Z, n * sizeof *A);
    }
}

/* H[j] *= act'(Z[j]) for j < n, given A = act(Z); one loop per activation
 * so the common ones vectorize. */
static void mul_deriv(gn_act a, double *H, const double *Z, const double *A, size_t n)
{
    switch (a) {
    case GN_ACT_TANH:
        for (size_t j = 0; j < n; j++)
            H[j] *= 1.0 - A[j] * A[j];
        break;
    case GN_ACT_SIGMOID:
        for (size_t j = 0; j < n; j++)
            H[j] *= A[j] * (1.0 - A[j]);
        break;
    case GN_ACT_RELU:
        for (size_t j = 0; j < n; j++)
            H[j] = Z[j] > 0 ? H[j] : 0.0;
        break;
    case GN_ACT_IDENTITY:
        break;
    default:
        for (size_t j = 0; j < n; j++)
            H[j] *= deriv_at(a, Z[j], A[j]);
    }
}

static int max_width(const gn_mlp_config *cfg)
{
    int w = 0;
    for (int l = 0; l <= cfg->n_layers; l++)
        if (cfg->sizes[l] > w) w = cfg->sizes[l];
    return w;
}

static size_t count_params(const gn_mlp_config *cfg)
{
    size_t m = 0;
    for (int l = 1; l <= cfg->n_layers; l++)
        m += (size_t)cfg->sizes[l] * cfg->sizes[l - 1] + (cfg->bias ? cfg->sizes[l] : 0);
    return m;
}

size_t gn_mlp_bytes(const gn_mlp_config *cfg, int max_batch, int max_gram_batch)
{
    if (max_gram_batch == 0) max_gram_batch = max_batch;
    if (max_gram_batch < 0) max_gram_batch = 0;
    size_t B = (size_t)max_batch, G = (size_t)max_gram_batch;
    size_t c = (size_t)cfg->sizes[cfg->n_layers], sum = 0;
    for (int l = 1; l <= cfg->n_layers; l++)
        sum += (size_t)cfg->sizes[l];
    size_t w = (size_t)max_width(cfg);
    size_t doubles = count_params(cfg) + 2 * B * sum + B * c + G * c * sum + 4 * B * w + 2 * G * G +
                     G * c * G * c + G * (size_t)cfg->sizes[1];
    return doubles * sizeof(double);
}

int gn_mlp_init(gn_mlp *net, const gn_mlp_config *cfg, int max_batch, char *err, size_t errlen)
{
    return gn_mlp_init_ex(net, cfg, max_batch, 0, err, errlen);
}

int gn_mlp_init_ex(gn_mlp *net, const gn_mlp_config *cfg, int max_batch, int max_gram_batch,
                   char *err, size_t errlen)
{
    memset(net, 0, sizeof *net);
    if (max_gram_batch == 0 || max_gram_batch > max_batch) max_gram_batch = max_batch;
    if (max_gram_batch < 0) max_gram_batch = 0;
    if (cfg->n_layers < 1 || cfg->n_layers > GN_MAX_LAYERS || max_batch < 1) {
        snprintf(err, errlen, "model needs 1..%d weight layers and a batch >= 1", GN_MAX_LAYERS);
        return -1;
    }
    for (int l = 0; l <= cfg->n_layers; l++)
        if (cfg->sizes[l] < 1) {
            snprintf(err, errlen, "layer %d has width %d", l, cfg->sizes[l]);
            return -1;
        }
    for (int l = 1; l < cfg->n_layers; l++)
        if ((unsigned)gn_mlp_layer_act(cfg, l) >= GN_ACT_COUNT) {
            snprintf(err, errlen, "hidden layer %d has no activation (%d)", l,
                     (int)gn_mlp_layer_act(cfg, l));
            return -1;
        }
    net->cfg = *cfg;
    net->L = cfg->n_layers;
    net->c = cfg->sizes[net->L];
    net->max_batch = max_batch;
    net->max_gram_batch = max_gram_batch;
    net->m = count_params(cfg);
    size_t off = 0;
    for (int l = 1; l <= net->L; l++) {
        net->w_off[l] = off;
        off += (size_t)cfg->sizes[l] * cfg->sizes[l - 1];
        net->b_off[l] = off;
        if (cfg->bias) off += (size_t)cfg->sizes[l];
        net->scale[l] = cfg->ntk ? 1.0 / sqrt((double)cfg->sizes[l - 1]) : 1.0;
    }
    size_t B = (size_t)max_batch, G = (size_t)max_gram_batch, c = (size_t)net->c,
           w = (size_t)max_width(cfg);
    int ok = (net->theta = calloc(net->m, sizeof(double))) != NULL;
    for (int l = 1; l <= net->L && ok; l++) {
        size_t nl = (size_t)cfg->sizes[l];
        ok = (net->Z[l] = malloc(B * nl * sizeof(double))) != NULL;
        if (ok && G > 0) ok = (net->D[l] = malloc(G * c * nl * sizeof(double))) != NULL;
        if (ok && l < net->L) ok = (net->A[l] = malloc(B * nl * sizeof(double))) != NULL;
    }
    ok = ok && (net->F = malloc(B * c * sizeof(double))) &&
         (net->g0 = malloc(B * w * sizeof(double))) && (net->g1 = malloc(B * w * sizeof(double))) &&
         (net->t0 = malloc(B * w * sizeof(double))) && (net->t1 = malloc(B * w * sizeof(double)));
    if (ok && G > 0)
        ok = (net->gram_a = malloc(G * G * sizeof(double))) &&
             (net->gram_d = malloc(G * c * G * c * sizeof(double))) &&
             (net->gram_x = malloc(G * G * sizeof(double))) &&
             (net->G1 = malloc(G * (size_t)cfg->sizes[1] * sizeof(double)));
    if (!ok) {
        gn_mlp_free(net);
        snprintf(err, errlen, "out of memory: the model needs %.1f MiB for batch %d",
                 gn_mlp_bytes(cfg, max_batch, max_gram_batch) / 1048576.0, max_batch);
        return -1;
    }
    return 0;
}

void gn_mlp_free(gn_mlp *net)
{
    free(net->theta);
    for (int l = 0; l <= GN_MAX_LAYERS; l++)
        free(net->Z[l]), free(net->A[l]), free(net->D[l]);
    free(net->F), free(net->g0), free(net->g1), free(net->t0), free(net->t1);
    free(net->gram_a), free(net->gram_d), free(net->gram_x), free(net->G1);
    memset(net, 0, sizeof *net);
}

/* GN_INIT_UNIFORM (see mlp.h): every parameter in theta order. */
static void init_uniform(gn_mlp *net, gn_rng *rng)
{
    for (int l = 1; l <= net->L; l++) {
        size_t nw = (size_t)net->cfg.sizes[l] * net->cfg.sizes[l - 1];
        double r = 1.0 / sqrt((double)net->cfg.sizes[l - 1]), rw = net->cfg.ntk ? 1.0 : r;
        double *W = net->theta + net->w_off[l], *b = net->theta + net->b_off[l];
        for (size_t j = 0; j < nw; j++)
            W[j] = rw * (2.0 * gn_rng_uniform(rng) - 1.0);
        for (int j = 0; net->cfg.bias && j < net->cfg.sizes[l]; j++)
            b[j] = r * (2.0 * gn_rng_uniform(rng) - 1.0);
    }
}

void gn_mlp_init_params(gn_mlp *net, gn_rng *rng)
{
    if (net->cfg.init == GN_INIT_UNIFORM) {
        init_uniform(net, rng);
        net->D_ready = 0;
        return;
    }
    for (int l = 1; l <= net->L; l++) {
        size_t nw = (size_t)net->cfg.sizes[l] * net->cfg.sizes[l - 1];
        double sd = net->cfg.ntk ? 1.0 : 1.0 / sqrt((double)net->cfg.sizes[l - 1]);
        double *W = net->theta + net->w_off[l];
        for (size_t j = 0; j < nw; j++)
            W[j] = sd * gn_rng_normal(rng);
        if (net->cfg.bias)
            memset(net->theta + net->b_off[l], 0, net->cfg.sizes[l] * sizeof(double));
    }
    net->D_ready = 0;
}

static const double *layer_input(const gn_mlp *net, int l)
{
    return l == 1 ? net->X : net->A[l - 1];
}

typedef struct {
    gn_mlp *net;
    int l;
    const double *add; /* added to every row: the bias, or NULL */
} bias_act_args;

/* Rows [lo, hi) of layer l: Z += 1 addᵀ, then A = act(Z) (hidden layers). */
static void bias_act_rows(size_t lo, size_t hi, void *ctx, double *sums)
{
    (void)sums;
    const bias_act_args *p = ctx;
    gn_mlp *net = p->net;
    int l = p->l, nl = net->cfg.sizes[l];
    const double *bl = p->add;
    for (size_t i = lo; i < hi; i++) {
        double *zi = net->Z[l] + i * nl;
        if (bl)
            for (int j = 0; j < nl; j++)
                zi[j] += bl[j];
        if (l < net->L)
            apply_act(gn_mlp_layer_act(&net->cfg, l), net->A[l] + i * nl, zi, (size_t)nl);
    }
}

/* sum (n) = 1ᵀ G for G (b, n): a bias' gradient or move. */
static void column_sums(const double *G, int b, int n, double *sum)
{
    memset(sum, 0, n * sizeof(double));
    for (int i = 0; i < b; i++)
        for (int j = 0; j < n; j++)
            sum[j] += G[(size_t)i * n + j];
}

/* Adds 1 addᵀ to Z_l's rows and applies the activation, one pass over each
 * row while it is in cache; rows shared among the BLAS threads. */
static void finish_layer(gn_mlp *net, int l, const double *add)
{
    bias_act_args ba = {net, l, add};
    double unused[2];
    gn_par_sums_cost((size_t)net->b, (size_t)net->cfg.sizes[l] * 8, bias_act_rows, &ba, unused);
}

/* Layers first..L of the current batch, then F. */
static const double *forward_from(gn_mlp *net, int first)
{
    const int *n = net->cfg.sizes;
    int b = net->b;
    for (int l = first; l <= net->L; l++) {
        /* Z_l (b, n_l) = s_l A_{l-1} (b, n_{l-1}) W_lᵀ + 1 b_lᵀ */
        gn_gemm(0, 1, b, n[l], n[l - 1], net->scale[l], layer_input(net, l), n[l - 1],
                net->theta + net->w_off[l], n[l - 1], 0.0, net->Z[l], n[l]);
        finish_layer(net, l, net->cfg.bias ? net->theta + net->b_off[l] : NULL);
    }
    size_t cnt = (size_t)b * net->c;
    double alpha = net->cfg.output_scale;
    for (size_t j = 0; j < cnt; j++)
        net->F[j] = alpha * net->Z[net->L][j];
    return net->F;
}

const double *gn_mlp_forward(gn_mlp *net, const double *X, int b)
{
    GN_ASSERT(b >= 1 && b <= net->max_batch); /* activation workspace too small */
    net->X = X;
    net->b = b;
    net->D_ready = 0;
    net->gram_x_ready = 0;
    net->stepped = 0;
    return forward_from(net, 1);
}

const double *gn_mlp_forward_stepped(gn_mlp *net, const double *X, int b)
{
    const int *n = net->cfg.sizes;
    if (X != net->X || b != net->b || !net->stepped || !net->gram_x_ready || b >= n[0])
        return gn_mlp_forward(net, X, b);
    net->D_ready = 0;
    net->stepped = 0;
    /* Z_1 += alpha (s_1² X Xᵀ) G_1, then the bias' move alpha 1ᵀ G_1 with
     * the activation */
    double alpha = net->step_alpha, *db = NULL;
    gn_gemm(0, 0, b, n[1], b, alpha, net->gram_x, b, net->G1, n[1], 1.0, net->Z[1], n[1]);
    if (net->cfg.bias) {
        db = net->t1;
        column_sums(net->G1, b, n[1], db);
        for (int j = 0; j < n[1]; j++)
            db[j] *= alpha;
    }
    finish_layer(net, 1, db);
    return forward_from(net, 2);
}

/* Weight and bias gradients of layer l from G (b, n_l) = dL/dz_l:
 * grad_l <- beta grad_l + alpha (gradient), beta 0 or 1. */
static void layer_grads_ab(const gn_mlp *net, int l, const double *G, double alpha, double beta,
                           double *grad)
{
    const int *n = net->cfg.sizes;
    int b = net->b;
    /* dW_l (n_l, n_{l-1}) = s_l Gᵀ A_{l-1} */
    gn_gemm(1, 0, n[l], n[l - 1], b, alpha * net->scale[l], G, n[l], layer_input(net, l), n[l - 1],
            beta, grad + net->w_off[l], n[l - 1]);
    if (net->cfg.bias) {
        double *gb = grad + net->b_off[l], *sum = net->t1;
        column_sums(G, b, n[l], sum);
        if (beta == 0)
            for (int j = 0; j < n[l]; j++)
                gb[j] = alpha * sum[j];
        else
            for (int j = 0; j < n[l]; j++)
                gb[j] += alpha * sum[j];
    }
}

static void layer_grads(const gn_mlp *net, int l, const double *G, double *grad)
{
    layer_grads_ab(net, l, G, 1.0, 0.0, grad);
}

void gn_mlp_vjp(gn_mlp *net, const double *cot, double *grad)
{
    const int *n = net->cfg.sizes;
    int b = net->b;
    double *G = net->g0, *H = net->g1;
    size_t cnt = (size_t)b * net->c;
    for (size_t j = 0; j < cnt; j++)
        G[j] = net->cfg.output_scale * cot[j];
    for (int l = net->L; l >= 1; l--) {
        layer_grads(net, l, G, grad);
        if (l == 1) break;
        /* dA_{l-1} (b, n_{l-1}) = s_l G W_l, then times act'(Z_{l-1}) */
        gn_gemm(0, 0, b, n[l - 1], n[l], net->scale[l], G, n[l], net->theta + net->w_off[l],
                n[l - 1], 0.0, H, n[l - 1]);
        const double *Z = net->Z[l - 1], *A = net->A[l - 1];
        size_t k = (size_t)b * n[l - 1];
        mul_deriv(gn_mlp_layer_act(&net->cfg, l - 1), H, Z, A, k);
        double *t = G;
        G = H;
        H = t;
    }
}

void gn_mlp_jvp(gn_mlp *net, const double *u, double *out)
{
    const int *n = net->cfg.sizes;
    int b = net->b;
    double *Tprev = NULL, *Tcur = net->t0, *Tnext = net->t1;
    for (int l = 1; l <= net->L; l++) {
        /* dZ_l = s_l (A_{l-1} U_lᵀ + dA_{l-1} W_lᵀ) + 1 ub_lᵀ */
        gn_gemm(0, 1, b, n[l], n[l - 1], net->scale[l], layer_input(net, l), n[l - 1],
                u + net->w_off[l], n[l - 1], 0.0, Tcur, n[l]);
        if (Tprev)
            gn_gemm(0, 1, b, n[l], n[l - 1], net->scale[l], Tprev, n[l - 1],
                    net->theta + net->w_off[l], n[l - 1], 1.0, Tcur, n[l]);
        if (net->cfg.bias) {
            const double *ub = u + net->b_off[l];
            for (int i = 0; i < b; i++)
                for (int j = 0; j < n[l]; j++)
                    Tcur[(size_t)i * n[l] + j] += ub[j];
        }
        if (l < net->L) {
            const double *Z = net->Z[l], *A = net->A[l];
            size_t k = (size_t)b * n[l];
            mul_deriv(gn_mlp_layer_act(&net->cfg, l), Tcur, Z, A, k);
        }
        Tprev = Tcur;
        Tcur = Tnext;
        Tnext = Tprev;
    }
    size_t cnt = (size_t)b * net->c;
    for (size_t j = 0; j < cnt; j++)
        out[j] = net->cfg.output_scale * Tprev[j];
}

void gn_mlp_backprop_outputs(gn_mlp *net)
{
    GN_ASSERT(net->b <= net->max_gram_batch); /* curvature workspace too small */
    const int *n = net->cfg.sizes;
    int b = net->b, c = net->c, rows = b * c, L = net->L;
    double *DL = net->D[L];
    memset(DL, 0, (size_t)rows * c * sizeof(double));
    for (int i = 0; i < b; i++)
        for (int k = 0; k < c; k++)
            DL[((size_t)i * c + k) * c + k] = net->cfg.output_scale;
    for (int l = L; l >= 2; l--) {
        double *Dp = net->D[l - 1];
        /* D_{l-1} (bc, n_{l-1}) = s_l D_l W_l, row (i, k) times act'(Z_{l-1, i}) */
        gn_gemm(0, 0, rows, n[l - 1], n[l], net->scale[l], net->D[l], n[l],
                net->theta + net->w_off[l], n[l - 1], 0.0, Dp, n[l - 1]);
        const double *Z = net->Z[l - 1], *A = net->A[l - 1];
        double *dv = net->t0; /* act'(Z_{l-1}) of one sample */
        for (int i = 0; i < b; i++) {
            const double *zi = Z + (size_t)i * n[l - 1], *ai = A + (size_t)i * n[l - 1];
            for (int j = 0; j < n[l - 1]; j++)
                dv[j] = 1.0;
            mul_deriv(gn_mlp_layer_act(&net->cfg, l - 1), dv, zi, ai, (size_t)n[l - 1]);
            for (int k = 0; k < c; k++) {
                double *row = Dp + ((size_t)i * c + k) * n[l - 1];
                for (int j = 0; j < n[l - 1]; j++)
                    row[j] *= dv[j];
            }
        }
    }
    net->D_ready = 1;
}

void gn_mlp_keep_gram_x(gn_mlp *net, const double *XX)
{
    memcpy(net->gram_x, XX, (size_t)net->b * net->b * sizeof(double));
    net->gram_x_ready = 1;
}

void gn_mlp_gram(gn_mlp *net, double *K)
{
    const int *n = net->cfg.sizes;
    int b = net->b, c = net->c, rows = b * c;
    if (!net->D_ready) gn_mlp_backprop_outputs(net);
    memset(K, 0, (size_t)rows * rows * sizeof(double));
    for (int l = 1; l <= net->L; l++) {
        double s2 = net->scale[l] * net->scale[l];
        /* gram_a (b, b) = s_l^2 A_{l-1} A_{l-1}ᵀ (+ 1 for the bias) and
         * gram_d (bc, bc) = D_l D_lᵀ */
        gn_syrk_full_pair(b, n[l - 1], s2, layer_input(net, l), n[l - 1], net->gram_a, b, rows,
                          n[l], 1.0, net->D[l], n[l], net->gram_d, rows);
        if (l == 1) gn_mlp_keep_gram_x(net, net->gram_a);
        if (net->cfg.bias)
            for (size_t j = 0; j < (size_t)b * b; j++)
                net->gram_a[j] += 1.0;
        for (int i = 0; i < b; i++)
            for (int k = 0; k < c; k++) {
                size_t r = (size_t)i * c + k;
                double *Kr = K + r * rows;
                const double *Gr = net->gram_d + r * rows;
                const double *Ar = net->gram_a + (size_t)i * b;
                for (int j = 0; j < b; j++) {
                    double a = Ar[j];
                    for (int k2 = 0; k2 < c; k2++) {
                        size_t col = (size_t)j * c + k2;
                        Kr[col] += Gr[col] * a;
                    }
                }
            }
    }
}

/* out (+)= alpha Jᵀ v; beta 0 overwrites out, 1 accumulates. */
static void jt_vec_ab(gn_mlp *net, const double *v, double alpha, double beta, double *out)
{
    const int *n = net->cfg.sizes;
    int b = net->b, c = net->c;
    if (!net->D_ready) gn_mlp_backprop_outputs(net);
    for (int l = 1; l <= net->L; l++) {
        /* G (b, n_l): row i = sum_k v_{i,k} D_l row (i, k); layer 1's kept
         * for gn_mlp_forward_stepped */
        double *G = l == 1 ? net->G1 : net->g0;
        const double *D = net->D[l];
        for (int i = 0; i < b; i++) {
            double *gi = G + (size_t)i * n[l];
            const double *d0 = D + (size_t)i * c * n[l];
            double v0 = v[(size_t)i * c];
            for (int j = 0; j < n[l]; j++)
                gi[j] = v0 * d0[j];
            for (int k = 1; k < c; k++) {
                const double *dk = d0 + (size_t)k * n[l];
                double vk = v[(size_t)i * c + k];
                for (int j = 0; j < n[l]; j++)
                    gi[j] += vk * dk[j];
            }
        }
        layer_grads_ab(net, l, G, alpha, beta, out);
    }
    net->stepped = beta == 1.0 && out == net->theta;
    net->step_alpha = alpha;
}

void gn_mlp_jt_vec(gn_mlp *net, const double *v, double *out)
{
    jt_vec_ab(net, v, 1.0, 0.0, out);
}

void gn_mlp_jt_vec_add(gn_mlp *net, const double *v, double alpha, double *out)
{
    jt_vec_ab(net, v, alpha, 1.0, out);
}

double gn_mlp_flops_forward(const gn_mlp_config *cfg, int b)
{
    double f = 0;
    for (int l = 1; l <= cfg->n_layers; l++)
        f += 2.0 * b * cfg->sizes[l] * cfg->sizes[l - 1];
    return f;
}
