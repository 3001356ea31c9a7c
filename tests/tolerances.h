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

/* Second central differences of a value, (v(+,+) − v(+,−) − v(−,+) +
 * v(−,−)) / 4h², as an independent Hessian oracle: truncation O(h²) ~ 1e-7
 * and rounding O(eps |v| / h²) ~ 1e-9 on O(1)–O(10) values with
 * h = GN_TOL_FD2_STEP; a smaller h would let rounding dominate. Relative to
 * the norm of the Hessian. */
#define GN_TOL_FD2_STEP 1e-3
#define GN_TOL_FD2_REL 1e-5

/* Monte Carlo checks of samplers: a sample mean must lie within this many
 * of its standard deviations of the expectation. Five sigmas: a correct
 * sampler fails with probability ~6e-7 per check (seeds are fixed, so a
 * pass is reproducible), while a biased one is caught at N = 2e5. */
#define GN_TOL_SIGMAS 5.0

/* Two backward-stable solves of one system with condition number kappa
 * agree to about kappa * eps (relative); this factor is the safety margin:
 * relative error <= GN_TOL_COND_FACTOR * DBL_EPSILON * kappa. Used where the
 * system is deliberately near-singular (damping raised after a failed
 * Cholesky), so GN_TOL_EXACT_REL cannot hold for any method. */
#define GN_TOL_COND_FACTOR 100.0

/* Dual objectives and duality gaps (dgn) are differences of O(1) loss
 * values accumulated over b*c terms: rounding ~1e-15. Absolute, in loss
 * units; bounds a converged gap and the monotonicity of the dual. */
#define GN_TOL_DUAL_ABS 1e-12

/* glibc's vector math (libmvec) against its scalar libm: glibc documents
 * the vector variants as within 4 ulp; relative to the libm value, in ulps. */
#define GN_TOL_VMATH_ULP 4.0

/* Round trips through text (%.17g) are exact. */
#define GN_TOL_ROUNDTRIP 0.0

#endif
