/* rng.h: a self-contained, seeded random generator (xoshiro256** seeded by
 * splitmix64) so the same seed gives the same bits on every machine. */
#ifndef GN_RNG_H
#define GN_RNG_H

#include <stddef.h>
#include <stdint.h>

#define GN_RNG_VERSION "xoshiro256ss-1"

typedef struct gn_rng {
    uint64_t s[4];
    double spare; /* second Box-Muller normal */
    int has_spare;
} gn_rng;

/* Seeds from a 64-bit seed and a stream tag (e.g. "init", "batches"), so
 * independent streams derive from one user seed. */
void gn_rng_seed(gn_rng *r, uint64_t seed, const char *stream);
uint64_t gn_rng_u64(gn_rng *r);
double gn_rng_uniform(gn_rng *r);              /* [0, 1) with 53 random bits */
double gn_rng_normal(gn_rng *r);               /* standard normal (Box-Muller) */
uint64_t gn_rng_below(gn_rng *r, uint64_t n);  /* uniform in [0, n), unbiased */
void gn_rng_shuffle(gn_rng *r, int *v, int n); /* Fisher-Yates */

/* Quasi-random points for tuning studies: the Halton sequence (the radical
 * inverse of index in the dim-th prime base, dim < GN_HALTON_MAX_DIM),
 * randomly shifted modulo 1 (a Cranley-Patterson rotation by shift[dim]), so
 * a study is reproducible from its seed and every prefix of N points covers
 * [0, 1)^d about as evenly as N points can. index counts from 0. */
#define GN_HALTON_MAX_DIM 16
double gn_halton(uint64_t index, int dim);
double gn_halton_shifted(uint64_t index, int dim, const double *shift);

/* FNV-1a 64-bit hash of a string, for stream tags and run ids. */
uint64_t gn_hash_str(const char *s, uint64_t h);
#define GN_HASH_INIT 0xcbf29ce484222325ULL
/* FNV-1a 64-bit hash of n bytes, continuing from h (e.g. file contents). */
uint64_t gn_hash_bytes(const void *p, size_t n, uint64_t h);

#endif
