/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* core.h -- the ground floor every module stands on: status and detail
 * messages, argument checks, overflow-safe sizes, float<->double copies, the
 * random stream and the one BLAS wrapper. Knows nothing of networks, Lie
 * groups or training. Internal; never installed. */
#ifndef CPAE_CORE_H
#define CPAE_CORE_H

#define CPAE_BUILDING 1
#include "cpae.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- errors */

/* Record the detail message of a failure on this thread and return status.
 * fmt is printf-style; the message is truncated to the thread-local buffer. */
int32_t cpae__fail(int32_t status, const char *func, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* CPAE_E_IO with "what 'path': <strerror(e)>" (thread-safe strerror_r). */
int32_t cpae__fail_errno(int e, const char *func, const char *what,
                         const char *path);

/* Re-issue the failure of an inner public call under the outer function's
 * name: "func: what: <inner message>" (what may be NULL). Returns st. */
int32_t cpae__pass_on(int32_t st, const char *func, const char *what);

/* Clear this thread's message at the start of a public call. */
void cpae__clear_error(void);

/* Argument checks used by every public function. Each returns CPAE_OK or
 * records a message naming the function and the argument. */
int32_t cpae__check_ptr(const void *p, const char *func, const char *name);
int32_t cpae__check_finite_f(const float *x, int64_t n, const char *func,
                             const char *name);
int32_t cpae__check_cap(int64_t cap, int64_t need, const char *func,
                        const char *name);
/* Outputs the float API would return: every value finite and within
 * +-FLT_MAX, else CPAE_E_NONFINITE naming `what` (an overflow inside the
 * network, from huge weights or inputs). */
int32_t cpae__check_output(const double *y, int64_t n, const char *func,
                           const char *what);

/* a * b with overflow detection (both >= 0). Returns false on overflow. */
bool cpae__mul_ok(int64_t a, int64_t b, int64_t *out);

/* Convert n float values to a newly allocated double array (caller frees),
 * after checking they are finite. */
int32_t cpae__to_double(const float *x, int64_t n, double **out,
                        const char *func, const char *name);

/* Copy len finite floats into doubles (len must equal want), and want
 * doubles out to floats (cap >= want). Shared by layers and model layers. */
int32_t cpae__copy_in(double *dst, const float *src, int64_t len,
                      int64_t want, const char *fn, const char *name);
int32_t cpae__copy_out(float *dst, int64_t cap, const double *src,
                       int64_t want, const char *fn, const char *name);

/* Bulk loops over n values (bulk.c, vectorised): all finite (float,
 * double), all finite and within +-FLT_MAX (double), float to double and
 * double to float. */
bool cpae__finite_f(const float *x, int64_t n);
bool cpae__finite_d(const double *x, int64_t n);
bool cpae__within_float(const double *x, int64_t n);
void cpae__widen(const float *src, int64_t n, double *dst);
void cpae__narrow(const double *src, int64_t n, float *dst);

/* ------------------------------------------------------------------- rng */

/* xoshiro256** seeded by splitmix64: the same seed gives the same stream on
 * every platform. Lives in handles or on the stack, never in a static. */
typedef struct cpae_rng {
    uint64_t s[4];
} cpae_rng;

void cpae__rng_seed(cpae_rng *rng, uint64_t seed);
/* The stream of sample `id` for the draw `tag` of an evaluation keyed
 * `key`: a sample's noise, corruptions and ball directions depend on
 * (key, id, tag) only, not on which other samples share its batch, so a
 * batch split over processes draws what the whole batch would. */
void cpae__rng_sample(cpae_rng *rng, uint64_t key, uint64_t id, uint64_t tag);
enum { CPAE__DRAW_NOISE = 1, CPAE__DRAW_HOC = 2, CPAE__DRAW_BALL = 3 };
uint64_t cpae__rng_next(cpae_rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double cpae__rng_uniform(cpae_rng *rng);
/* Standard normal (Marsaglia polar method). */
double cpae__rng_normal(cpae_rng *rng);
/* n standard normals, both values of each polar pair used (half the
 * logarithms of n calls to cpae__rng_normal; a different stream). */
void cpae__rng_normals(cpae_rng *rng, double *out, int64_t n);

/* ------------------------------------------------------------------- blas */

/* C = alpha * op(A) op(B) + beta * C, row-major, through one wrapper so the
 * 64-bit sizes are checked against the BLAS integer width in one place. */
void cpae__gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                double alpha, const double *a, int64_t lda, const double *b,
                int64_t ldb, double beta, double *c, int64_t ldc);
/* The same in single precision (training's default, see core/real.h). */
void cpae__gemm_f(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                  float alpha, const float *a, int64_t lda, const float *b,
                  int64_t ldb, float beta, float *c, int64_t ldc);

#endif /* CPAE_CORE_H */
