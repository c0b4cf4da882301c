/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* util.h -- the small private helpers the Lie wing's files share: argument
 * checks on double arrays and sizes, checked allocation of double arrays,
 * the dot product and LAPACKE status mapping. One copy here instead of one
 * per file. Internal to src/lie; never installed.
 *
 * Functions that take `func` report failures through cpae__fail(status,
 * func, ...) with `func` naming the public entry point. */
#ifndef CPAE_LIE_UTIL_H
#define CPAE_LIE_UTIL_H

#include "core/core.h"

#include <stdint.h>

/* CPAE_E_SIZE if n < 1, CPAE_E_LIMIT if n > CPAE_MAX_WIDTH; `name` is the
 * argument's name in the message. */
int32_t cpae__check_dim(int64_t n, const char *func, const char *name);

/* CPAE_E_NONFINITE naming the first NaN/Inf entry of x[0..count). */
int32_t cpae__check_finite_d(const double *x, int64_t count, const char *func,
                             const char *name);

/* count doubles (malloc'd, caller frees; a 1-element block for count 0),
 * with the byte size checked: NULL on overflow or OOM. */
double *cpae__dalloc(int64_t count);
/* The same from a pool (NULL pool: malloc); give it back with
 * cpae__pool_free on the same pool. */
struct cpae__pool;
double *cpae__dalloc_in(struct cpae__pool *pool, int64_t count);

/* CPAE_E_NOMEM with "cannot allocate <count> doubles". */
int32_t cpae__nomem(const char *func, int64_t count);

/* sum_i a[i] b[i], i < len. */
double cpae__dot(const double *a, const double *b, int64_t len);
/* ||A||_1, the largest column sum of |A| for A n x n row-major (NaN if any
 * column sum is NaN); colsum: n doubles of scratch. */
double cpae__norm1(const double *A, int64_t n, double *colsum);

/* Map a LAPACKE info code of `routine` to a status: 0 -> CPAE_OK, workspace
 * or transpose allocation failures -> CPAE_E_NOMEM, info > 0 ->
 * CPAE_E_NUMERIC, info < 0 (illegal argument) -> CPAE_E_INTERNAL. */
int32_t cpae__lapack_status(int64_t info, const char *routine, const char *func);

#endif /* CPAE_LIE_UTIL_H */
