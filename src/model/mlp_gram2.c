/* mlp_gram2.c: see mlp_gram2.h. */
#include <string.h>

#include "la/blas.h"
#include "core/gn_assert.h"
#include "model/mlp_gram2.h"

/* G (b, n_l): row i = Σ_k P_ik D_l row (i, k), the per-sample cotangent of
 * layer l's pre-activation. */
static void sample_cotangents(const gn_mlp *net, int l, const double *P, double *G)
{
    int b = net->b, c = net->c, nl = net->cfg.sizes[l];
    const double *D = net->D[l];
    for (int i = 0; i < b; i++) {
        double *gi = G + (size_t)i * nl;
        const double *d0 = D + (size_t)i * c * nl, *pi = P + (size_t)i * c;
        for (int j = 0; j < nl; j++)
            gi[j] = pi[0] * d0[j];
        for (int k = 1; k < c; k++) {
            const double *dk = d0 + (size_t)k * nl;
            for (int j = 0; j < nl; j++)
                gi[j] += pi[k] * dk[j];
        }
    }
}

void gn_mlp_cot_gram(gn_mlp *net, const double *P, const double *Q, double *M)
{
    GN_ASSERT(net->b <= net->max_gram_batch); /* curvature workspace too small */
    const int *n = net->cfg.sizes;
    int b = net->b, same = !Q || Q == P;
    size_t bb = (size_t)b * b;
    if (!net->D_ready) gn_mlp_backprop_outputs(net);
    double *GP = net->g0, *GQ = net->g1, *AA = net->gram_a, *GG = net->gram_d;
    memset(M, 0, bb * sizeof(double));
    for (int l = 1; l <= net->L; l++) {
        double s2 = net->scale[l] * net->scale[l];
        const double *in = l == 1 ? net->X : net->A[l - 1];
        sample_cotangents(net, l, P, GP);
        if (same) {
            /* AA (b, b) = s_l² A_{l-1} A_{l-1}ᵀ and GG (b, b) = G_l G_lᵀ */
            gn_syrk_full_pair(b, n[l - 1], s2, in, n[l - 1], AA, b, b, n[l], 1.0, GP, n[l], GG, b);
        } else {
            sample_cotangents(net, l, Q, GQ);
            gn_syrk_full(b, n[l - 1], s2, in, n[l - 1], 0.0, AA, b);
            gn_gemm(0, 1, b, b, n[l], 1.0, GP, n[l], GQ, n[l], 0.0, GG, b);
        }
        if (l == 1) gn_mlp_keep_gram_x(net, AA);
        double bias = net->cfg.bias ? 1.0 : 0.0;
        for (size_t j = 0; j < bb; j++)
            M[j] += GG[j] * (AA[j] + bias);
    }
}
