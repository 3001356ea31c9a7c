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

/* FNV-1a 64-bit hash of a string, for stream tags and run ids. */
uint64_t gn_hash_str(const char *s, uint64_t h);
#define GN_HASH_INIT 0xcbf29ce484222325ULL
/* FNV-1a 64-bit hash of n bytes, continuing from h (e.g. file contents). */
uint64_t gn_hash_bytes(const void *p, size_t n, uint64_t h);

#endif
