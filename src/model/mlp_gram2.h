/* mlp_gram2.h: Gram matrices of per-sample gradients, at sample size.
 *
 * For output cotangents P (b, c) of the batch the model last forwarded,
 * sample i's gradient under its own cotangent is u_i = J_iᵀ P_i (m). The
 * Gram matrix of such vectors (the empirical or sampled Fisher's U Uᵀ, or a
 * cross term between two cotangent sets) is b × b and comes layer by layer
 * from the per-sample backpropagated cotangents G_l (b, n_l), row
 * i = Σ_k P_ik ∂f_{i,k}/∂z_l, and the layer inputs:
 *   (J_iᵀ P_i)·(J_jᵀ Q_j) = Σ_l (G^P_l G^Qᵀ_l)_ij (s_l² a_{l-1,i}·a_{l-1,j} + [bias]),
 * b² (n_{l-1} + n_l) multiply-adds a layer instead of the (bc)² n_l of the
 * Gram matrix over all outputs. */
#ifndef GN_MLP_GRAM2_H
#define GN_MLP_GRAM2_H

#include "model/mlp.h"

/* M (b, b), M_ij = (J_iᵀ P_i)·(J_jᵀ Q_j), for P, Q (b, c); Q may be P (or
 * NULL for P), then one syrk a layer and M is symmetric. Needs b <=
 * max_gram_batch; runs gn_mlp_backprop_outputs when needed and uses the
 * model's scratch (g0, g1, gram_a, gram_d). */
void gn_mlp_cot_gram(gn_mlp *net, const double *P, const double *Q, double *M);

#endif
