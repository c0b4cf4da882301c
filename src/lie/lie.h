/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* lie.h -- the Lie wing's handle: generators G_1..G_k, their allocation
 * and normalisation (shared with the trainer), defined in generator.c.
 * Knows nothing of networks. The numerical kernels are in pade.h (general
 * exp and Frechet derivative), action.h (exp(t G) B without forming
 * exp(t G), and its reverse mode), skew.h (skew-symmetric fast path), theta.h
 * (theta solvers) and orbit.h (orbits, shift generator). Internal; never
 * installed. */
#ifndef CPAE_LIE_H
#define CPAE_LIE_H

#include "core/core.h"

#include <stdint.h>

/* Lie generators G_1..G_k (d x d each, row-major, one block). */
struct cpae_lie {
    int64_t d;
    int64_t k;
    int32_t param;   /* cpae_lie_param: the structure (skew or general) */
    bool trainable;  /* learned by trainers (never for CPAE_LIE_FIXED) */
    double *g;       /* k x d x d */
    size_t alloc_bytes;
};

/* Whether trainers learn the generators: trainability is kept apart from
 * the structure, so a fixed skew generator keeps the skew fast paths. */
static inline bool cpae__lie_learned(const struct cpae_lie *lie)
{
    return lie->param != CPAE_LIE_FIXED && lie->trainable;
}

/* Relative residual below which a generator counts as linearly dependent on
 * the previous ones in the Gram-Schmidt of cpae__lie_normalize (double
 * generators, e.g. after a training step). */
#define CPAE__LIE_DEP_TOL 1e-12

/* Allocate k generators of size d x d (all zero) as one block: the struct,
 * then g (aligned to 16 bytes) right after it; one free() releases it.
 * Validates d >= 1, k >= 1, k <= d*d (and, for CPAE_LIE_SKEW, k <=
 * d(d-1)/2, the dimension of the skew-symmetric matrices): CPAE_E_SIZE;
 * d <= CPAE_MAX_WIDTH, k*d*d <= CPAE_MAX_PARAMS: CPAE_E_LIMIT; param:
 * CPAE_E_INVALID; CPAE_E_NOMEM. */
int32_t cpae__lie_alloc(int64_t d, int64_t k, int32_t param,
                        struct cpae_lie **out, const char *func);

/* Normalise lie->g in place (docs/math.md section 3): for CPAE_LIE_SKEW first
 * replace each G_j by its skew part (G_j - G_j^T)/2, stored exactly skew
 * (G_ab == -G_ba bitwise, zero diagonal; this is also the projection of a
 * gradient step onto the skew matrices); then scale each G_j to unit
 * Frobenius norm and, for k > 1, orthonormalise them in the Frobenius inner
 * product (modified Gram-Schmidt, with one re-orthogonalisation pass when a
 * generator loses more than half its norm). Works on a scratch copy, so
 * lie->g is unchanged on failure: CPAE_E_NONFINITE (an entry is NaN/Inf),
 * CPAE_E_INVALID (a zero generator, or one whose residual after
 * orthogonalisation is below CPAE__LIE_DEP_TOL), CPAE_E_NOMEM. */
int32_t cpae__lie_normalize(struct cpae_lie *lie, const char *func);
/* The same in place, without allocating: on failure lie->g is garbage and
 * the caller restores its own copy. */
int32_t cpae__lie_normalize_in_place(struct cpae_lie *lie, const char *func);
/* The same on values g laid out like lie->g (k x d x d, the trainer's new
 * generators), in place, without allocating; lie is only read. */
int32_t cpae__lie_normalize_values(const struct cpae_lie *lie, double *g, const char *func);

/* CPAE_E_INVALID unless 0 <= j < lie->k (a generator index of the public
 * calls). */
int32_t cpae__lie_check_j(const struct cpae_lie *lie, int64_t j, const char *func);

#endif /* CPAE_LIE_H */
