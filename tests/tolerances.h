/* tolerances.h: the one table of numerical tolerances the tests use.
 * Each entry says what it bounds and why it is that size. */
#ifndef GN_TEST_TOLERANCES_H
#define GN_TEST_TOLERANCES_H

/* Central finite differences with step h = GN_TOL_FD_STEP: truncation error
 * O(h^2) ~ 1e-10 and rounding O(eps/h) ~ 2e-11 on O(1) values. Relative to
 * the norm of the compared vector. */
#define GN_TOL_FD_STEP 1e-5
#define GN_TOL_FD_REL 1e-6

/* Two exact-arithmetic-equivalent float64 computations (Gram trick vs
 * explicit J Jᵀ, dense solve vs Woodbury): rounding only. Relative. */
#define GN_TOL_EXACT_REL 1e-10

/* Iterative or ill-conditioned results (one-step least squares with
 * cond ~ 1e4). Relative. */
#define GN_TOL_SOLVE_REL 1e-8

/* Round trips through text (%.17g) are exact. */
#define GN_TOL_ROUNDTRIP 0.0

#endif
