/* mlp_kfac.c: see mlp_kfac.h.
 *
 * The backward pass is the one of gn_mlp_vjp (mlp.c) without the weight
 * gradients: G_L = alpha cot, G_{l-1} = (s_l G_l W_l) ∘ act'(Z_{l-1}). The
 * activation derivatives are written here again from their definitions
 * (mlp.c keeps its own static); tests/test_kfac.c checks the cotangents
 * against the explicit Jacobian for every activation. */
#include <math.h>
#include <string.h>

#include "la/blas.h"
#include "model/mlp_kfac.h"

int gn_mlp_kfac_in_dim(const gn_mlp *net, int l)
{
    return net->cfg.sizes[l - 1] + (net->cfg.bias ? 1 : 0);
}

void gn_mlp_kfac_inputs(const gn_mlp *net, int l, double *Abar)
{
    int n = net->cfg.sizes[l - 1], dim = gn_mlp_kfac_in_dim(net, l);
    const double *in = l == 1 ? net->X : net->A[l - 1];
    double s = net->scale[l];
    for (int i = 0; i < net->b; i++) {
        const double *ai = in + (size_t)i * n;
        double *ri = Abar + (size_t)i * dim;
        for (int j = 0; j < n; j++)
            ri[j] = s * ai[j];
        if (dim > n) ri[n] = 1.0;
    }
}

void gn_mlp_preact_grads(gn_mlp *net, const double *cot, double *const *G)
{
    const int *n = net->cfg.sizes;
    int b = net->b, L = net->L;
    size_t cnt = (size_t)b * net->c;
    for (size_t j = 0; j < cnt; j++)
        G[L][j] = net->cfg.output_scale * cot[j];
    for (int l = L; l >= 2; l--) {
        /* G_{l-1} (b, n_{l-1}) = s_l G_l (b, n_l) W_l (n_l, n_{l-1}), times act'(Z_{l-1}) */
        gn_gemm(0, 0, b, n[l - 1], n[l], net->scale[l], G[l], n[l], net->theta + net->w_off[l],
                n[l - 1], 0.0, G[l - 1], n[l - 1]);
        const double *Z = net->Z[l - 1], *A = net->A[l - 1];
        double *H = G[l - 1];
        size_t k = (size_t)b * n[l - 1];
        gn_act act = gn_mlp_layer_act(&net->cfg, l - 1);
        if (act == GN_ACT_IDENTITY) continue;
        for (size_t j = 0; j < k; j++)
            H[j] *= gn_mlp_act_derivative(act, Z[j], A[j]);
    }
}
