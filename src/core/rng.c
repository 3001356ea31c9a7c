/* rng.c: xoshiro256** seeded by splitmix64, plus the draws built on it.
 *
 * Seeding. The stream tag is hashed with FNV-1a (gn_hash_str) and scrambled
 * with the splitmix64 finalizer; the user seed is XORed in, and four
 * successive splitmix64 outputs from that value fill the xoshiro256** state.
 * For one tag, distinct seeds give distinct splitmix64 starting points (and
 * the other way round), so every (seed, tag) pair is its own stream.
 *
 * Reproducibility. gn_rng_u64, gn_rng_uniform, gn_rng_below and
 * gn_rng_shuffle use integer arithmetic and exact conversions only: the same
 * seed gives the same bits on every machine. gn_rng_normal also calls log,
 * sqrt, cos and sin; sqrt is exact in IEEE 754, the others come from the C
 * library and are the same wherever the same libm is used (glibc on
 * x86-64 and aarch64 in practice). A change to any draw changes
 * GN_RNG_VERSION. */
#include "core/rng.h"

#include <math.h>

static uint64_t splitmix64_next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t gn_hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t gn_hash_str(const char *s, uint64_t h)
{
    for (const unsigned char *b = (const unsigned char *)s; *b; b++) {
        h ^= *b;
        h *= 0x100000001b3ULL;
    }
    return h;
}

void gn_rng_seed(gn_rng *r, uint64_t seed, const char *stream)
{
    uint64_t x = seed ^ mix64(gn_hash_str(stream ? stream : "", GN_HASH_INIT));
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64_next(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1; /* never all zero */
    r->spare = 0.0;
    r->has_spare = 0;
}

/* xoshiro256** 1.0 (Blackman and Vigna 2018). */
uint64_t gn_rng_u64(gn_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double gn_rng_uniform(gn_rng *r)
{
    return (double)(gn_rng_u64(r) >> 11) * 0x1.0p-53;
}

/* Box-Muller: two uniforms give two independent normals; the second is
 * kept for the next call. u1 is in (0, 1] so the log is finite. */
double gn_rng_normal(gn_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = 1.0 - gn_rng_uniform(r);
    double u2 = gn_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586476925286766559 * u2;
    r->spare = rad * sin(th);
    r->has_spare = 1;
    return rad * cos(th);
}

/* Rejection: draws below 2^64 mod n would make small values more likely,
 * so they are redrawn; what is left is a whole number of periods of n. */
uint64_t gn_rng_below(gn_rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    uint64_t threshold = (0 - n) % n; /* 2^64 mod n */
    for (;;) {
        uint64_t x = gn_rng_u64(r);
        if (x >= threshold) return x % n;
    }
}

void gn_rng_shuffle(gn_rng *r, int *v, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)gn_rng_below(r, (uint64_t)i + 1);
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

static const unsigned halton_primes[GN_HALTON_MAX_DIM] = {2,  3,  5,  7,  11, 13, 17, 19,
                                                          23, 29, 31, 37, 41, 43, 47, 53};

double gn_halton(uint64_t index, int dim)
{
    if (dim < 0 || dim >= GN_HALTON_MAX_DIM) return 0;
    uint64_t b = halton_primes[dim], i = index + 1; /* skip the point 0 */
    double f = 1, r = 0;
    while (i > 0) {
        f /= (double)b;
        r += f * (double)(i % b);
        i /= b;
    }
    return r;
}

double gn_halton_shifted(uint64_t index, int dim, const double *shift)
{
    double u = gn_halton(index, dim) + (shift ? shift[dim] : 0);
    return u >= 1 ? u - 1 : u;
}
