/* kfac.h: what `kfac` (opt_kfac.c) shows its tests: the Kronecker factors
 * of a layer as they stand after the last step. */
#ifndef GN_KFAC_H
#define GN_KFAC_H

#include "optim/optim.h"

/* The factors of layer l (1..L) of a kfac instance: A (da, da), the moving
 * average of ā ā_ᵀ (ā = (s_l a_{l-1}, 1), mlp_kfac.h), and G (dg, dg), of
 * g gᵀ (g = dℓ_i/dz_l); *da and *dg get their sizes. Row-major, symmetric.
 * Valid until the next step; NULL before the first. */
const double *gn_kfac_factor_a(const gn_optim *opt, int l, int *da);
const double *gn_kfac_factor_g(const gn_optim *opt, int l, int *dg);

#endif
