/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* pade.h -- the matrix exponential exp(X) by scaling and squaring with
 * diagonal Pade approximants, and its Frechet derivative L(X, E) by the
 * block-triangular identity (docs/math.md section 3; N. J. Higham, SIAM J.
 * Matrix Anal. Appl. 26(4), 2005). The general path for any real generator;
 * skew-symmetric generators have a faster exact path in skew.h. Internal:
 * never installed.
 *
 * All matrices are double, row-major and dense. Functions that take `func`
 * report failures through cpae__fail(status, func, ...) with `func` naming
 * the public entry point. On failure no output is changed. */
#ifndef CPAE_LIE_PADE_H
#define CPAE_LIE_PADE_H

#include "core/core.h"

#include <stdint.h>

/* E = exp(X), X n x n. Scaling and squaring with diagonal Pade approximants
 * of degree 3/5/7/9/13 chosen from ||X||_1 (Higham 2005).
 * CPAE_E_SIZE (n < 1), CPAE_E_LIMIT (n > CPAE_MAX_WIDTH), CPAE_E_NONFINITE,
 * CPAE_E_NOMEM, CPAE_E_NUMERIC (singular Pade denominator, or overflow of
 * the result). E may not alias X. */
int32_t cpae__expm(const double *X, int64_t n, double *E, const char *func);
/* The same with its scratch from pool (NULL: malloc): nothing allocated
 * once the pool holds the block. */
struct cpae__pool;
int32_t cpae__expm_in(const double *X, int64_t n, double *E, struct cpae__pool *pool,
                      const char *func);

/* The degree m in {3, 5, 7, 9, 13} and number of squarings s that
 * cpae__expm uses for a matrix of 1-norm norm1_x (exposed for tests). */
void cpae__expm_params(double norm1_x, int32_t *m, int32_t *s);

/* L = L(X, Edir), the Frechet derivative of exp at X in direction Edir, from
 * exp([[X, Edir], [0, X]]) = [[e^X, L], [0, e^X]] (a 2n x 2n expm; Edir is
 * rescaled by a power of two first so that the two blocks have comparable
 * norms). expX (may be NULL) receives e^X. */
int32_t cpae__expm_frechet(const double *X, const double *Edir, int64_t n,
                           double *expX, double *L, const char *func);
/* The same with its scratch from pool (NULL: malloc). */
int32_t cpae__expm_frechet_in(const double *X, const double *Edir, int64_t n, double *expX,
                              double *L, struct cpae__pool *pool, const char *func);

#endif /* CPAE_LIE_PADE_H */
