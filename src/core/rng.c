/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* rng.c -- xoshiro256** (Blackman & Vigna) seeded by splitmix64.
 * Integer arithmetic only in the generator, so streams are bit-identical
 * on every platform. */
#include "core/core.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void cpae__rng_seed(cpae_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
}

void cpae__rng_sample(cpae_rng *rng, uint64_t key, uint64_t id, uint64_t tag)
{
    /* Mix the three words through splitmix64 (a bijection per step), so
     * nearby ids and tags give unrelated streams. */
    uint64_t x = key;
    uint64_t s = splitmix64(&x);
    x = s ^ id;
    s = splitmix64(&x);
    x = s ^ (tag * 0xd1b54a32d192ed03ULL);
    cpae__rng_seed(rng, splitmix64(&x));
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t cpae__rng_next(cpae_rng *rng)
{
    uint64_t *s = rng->s;
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

double cpae__rng_uniform(cpae_rng *rng)
{
    return (double)(cpae__rng_next(rng) >> 11) * 0x1.0p-53;
}

double cpae__rng_normal(cpae_rng *rng)
{
    for (;;) {
        double u = 2.0 * cpae__rng_uniform(rng) - 1.0;
        double v = 2.0 * cpae__rng_uniform(rng) - 1.0;
        double s = u * u + v * v;
        if (s > 0.0 && s < 1.0)
            return u * sqrt(-2.0 * log(s) / s);
    }
}

void cpae__rng_normals(cpae_rng *rng, double *out, int64_t n)
{
    /* The polar method gives two normals per accepted pair; keep both. */
    int64_t i = 0;
    while (i < n) {
        double u = 2.0 * cpae__rng_uniform(rng) - 1.0;
        double v = 2.0 * cpae__rng_uniform(rng) - 1.0;
        double s = u * u + v * v;
        if (!(s > 0.0 && s < 1.0))
            continue;
        double f = sqrt(-2.0 * log(s) / s);
        out[i++] = u * f;
        if (i < n)
            out[i++] = v * f;
    }
}
