/* mlp_kfac.h: the per-sample quantities a Kronecker-factored curvature
 * needs (K-FAC, opt_kfac.c), kept apart from mlp.h.
 *
 * For layer l, z_l = s_l W_l a_{l-1} + b_l (mlp.h). The per-sample gradient
 * of layer l's parameters [W_l, b_l] is g_{l,i} āᵀ_{l,i} with
 * g_{l,i} = dℓ_i/dz_l and ā_{l,i} = (s_l a_{l-1,i}, 1) (the 1 when biases
 * are on), so the Fisher block of one sample is (ā āᵀ) ⊗ (g gᵀ). */
#ifndef GN_MLP_KFAC_H
#define GN_MLP_KFAC_H

#include "model/mlp.h"

/* Width of ā_l: n_{l-1}, plus 1 with biases. */
int gn_mlp_kfac_in_dim(const gn_mlp *net, int l);

/* Abar (b, dim) = the rows ā_{l,i} of the batch last forwarded (dim from
 * gn_mlp_kfac_in_dim). */
void gn_mlp_kfac_inputs(const gn_mlp *net, int l, double *Abar);

/* One backward pass of the batch last forwarded with output cotangent cot
 * (b, c), keeping every layer's pre-activation cotangent: G[l] (b, n_l) =
 * dL/dz_l for l = 1..L (G[0] unused). With cot the per-sample loss
 * gradients (gn_loss_sample_grad), row i of G[l] is g_{l,i}. */
void gn_mlp_preact_grads(gn_mlp *net, const double *cot, double *const *G);

#endif
