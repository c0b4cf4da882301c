/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* skew.h -- the skew-symmetric fast path of the Lie wing: for a real
 * skew-symmetric G = U diag(i omega) U^* (U unitary), exp(theta G) =
 * U diag(e^{i theta omega}) U^* and its Frechet derivative by
 * Daleckii-Krein, so that after one eigendecomposition every exponential,
 * product exp(theta G) B and derivative costs GEMMs and O(n^2) scalar work
 * instead of a Pade expm (docs/math.md sections 3 and 7). Internal: never
 * installed.
 *
 * All matrices are double, row-major and dense. Functions that take `func`
 * report failures through cpae__fail(status, func, ...) with `func` naming
 * the public entry point. On failure no output is changed. */
#ifndef CPAE_LIE_SKEW_H
#define CPAE_LIE_SKEW_H

#include "core/core.h"

#include <stdint.h>

/* G = U diag(i omega) U^*, U unitary, for a real skew-symmetric G, from the
 * Hermitian eigenproblem of iG (LAPACKE_zheevd). U is stored split into real
 * and imaginary parts so that every product is a real GEMM through
 * cpae__gemm: u is n x 2n row-major, u[j*2n + k] = Re U_jk and
 * u[j*2n + n + k] = Im U_jk (column k of U is the eigenvector of i omega_k).
 * omega is in descending order (zheevd sorts w = -omega ascending). */
struct cpae__pool;
typedef struct cpae__skew_eig {
    int64_t n;
    double *omega; /* n */
    double *u;     /* n x 2n: [Re U | Im U] */
    struct cpae__pool *pool; /* where it and every call's scratch come from
                                (NULL: malloc) */
} cpae__skew_eig;

/* Relative tolerance of the skewness check: ||G + G^T||_F <= tol ||G||_F. */
#define CPAE__SKEW_TOL 1e-10

/* Columns (samples x h) per U^* GEMM when many n x h blocks go through U^*
 * side by side (cpae__skew_frechet_sum, cpae__theta_exact_many), so the
 * GEMM packs U once per chunk rather than once per block. */
#define CPAE__SKEW_COLS 512

/* Factorise G (n x n). Its skew part (G - G^T)/2 is used; CPAE_E_INVALID if
 * G is not skew within CPAE__SKEW_TOL. Also CPAE_E_SIZE, CPAE_E_LIMIT,
 * CPAE_E_NONFINITE, CPAE_E_NOMEM, CPAE_E_NUMERIC (zheevd failed). */
int32_t cpae__skew_eig_create(const double *G, int64_t n, cpae__skew_eig **out,
                              const char *func);
/* The same with the factorisation, LAPACK's workspace and the scratch of
 * every later call on it taken from pool (a trainer's step: no allocation
 * once the pool holds the blocks). Not thread-safe: one pool, one user. */
int32_t cpae__skew_eig_create_in(const double *G, int64_t n, struct cpae__pool *pool,
                                 cpae__skew_eig **out, const char *func);
void cpae__skew_eig_destroy(cpae__skew_eig *f);

/* E = exp(theta G) (n x n, real orthogonal). O(n^3): one GEMM.
 * CPAE_E_NONFINITE (theta), CPAE_E_NOMEM; messages are prefixed "cpae". */
int32_t cpae__skew_expm(const cpae__skew_eig *f, double theta, double *E);

/* L = L(theta G, Edir) by Daleckii-Krein, L = U ((U^* Edir U) o Phi) U^*,
 * Phi_jk = e^{i theta (w_j + w_k)/2} sinc(theta (w_j - w_k)/2), which is
 * (e^{l_j} - e^{l_k})/(l_j - l_k) for l = i theta w, exact on ties and stable
 * for close eigenvalues. Edir is any real n x n matrix.
 * CPAE_E_NONFINITE, CPAE_E_NOMEM; messages are prefixed "cpae". */
int32_t cpae__skew_frechet(const cpae__skew_eig *f, double theta,
                           const double *Edir, double *L);

/* Y = U^* B for B n x h (one GEMM with [Ur | Ui]^T), stored as [Yr; Yi]
 * (2n x h: rows 0..n-1 the real part, rows n..2n-1 the imaginary part).
 * No checks: B and Y (2 n h doubles) are the caller's. */
void cpae__skew_to_eig(const cpae__skew_eig *f, const double *B, int64_t h, double *Y);

/* out = exp(theta G) B, B n x h, in O(n^2 h) without forming exp(theta G).
 * out may not alias B. */
int32_t cpae__skew_apply(const cpae__skew_eig *f, double theta, const double *B,
                         int64_t h, double *out, const char *func);

/* out_i = exp(theta[i] G) B_i for m blocks of n x h (B_i = B, one block,
 * for every i when shared), without a per-block pair of thin GEMMs: U^* B
 * once when shared (else one GEMM per chunk of CPAE__SKEW_COLS columns of
 * blocks side by side), the phases e^{i theta_i omega}, then one GEMM
 * [Ur | Ui] [Re; -Im] per chunk. The same values as m calls of
 * cpae__skew_apply up to the rounding of the batched products. out may not
 * alias B. CPAE_E_NULL, CPAE_E_SIZE (m < 0), CPAE_E_LIMIT,
 * CPAE_E_NONFINITE (theta, B), CPAE_E_NOMEM. m = 0 does nothing. */
int32_t cpae__skew_apply_many(const cpae__skew_eig *f, int64_t m, const double *theta,
                              const double *B, bool shared, int64_t h, double *out,
                              const char *func);

/* out = sum_i coef[i] exp(theta[i] G) B_i (n x h) for m blocks B_i: the
 * sum is taken in the eigenbasis, so the blocks cost one U^* GEMM per chunk
 * and the sum one n x 2n x h GEMM back. Errors as cpae__skew_apply_many
 * (coef finite too). m = 0 gives out = 0. */
int32_t cpae__skew_apply_sum(const cpae__skew_eig *f, int64_t m, const double *theta,
                             const double *coef, const double *B, int64_t h, double *out,
                             const char *func);

/* S = sum_i coef[i] L(theta[i] G, R_i A0^T) (n x n, real) for m low-rank
 * directions: R holds m blocks R_i of n x h (row-major, contiguous), A0 is
 * n x h. (For L(theta G^T, .) of a skew G pass -theta.) With Y_i = U^* R_i
 * and Z = U^* A0, U^* (R_i A0^T) U = Y_i Z^* (A0 is real, so A0^T U =
 * (U^* A0)^*), hence
 *   S = Re U [sum_i coef[i] (Y_i Z^*) o Phi(theta[i])] U^*
 * with Phi as in cpae__skew_frechet. Cost O(n^2 h) per sample (its share
 * of a batched U^* R GEMM, one n x 2h by 2h x 2n product for Y_i Z^* done
 * in row blocks, each folded into N while in cache, and an n x n Hadamard
 * pass with Phi built from O(n) sines and cosines per sample) plus two
 * real GEMMs (12 n^3 flops) once at the end, instead of O(n^3) per sample.
 * Workspace about 6 n^2 + 5 n c doubles, c = max(h, min(m h, 512)). The
 * imaginary part of U N U^* cancels mathematically (each term is real) and
 * is not formed. Samples with coef[i] == 0 are skipped. m = 0 gives S = 0.
 * S may not alias R or A0. Matches the sum of per-sample
 * cpae__skew_frechet calls to ~1e-15 relative in the tests.
 * CPAE_E_NULL, CPAE_E_SIZE (m < 0, h < 1), CPAE_E_LIMIT (h > CPAE_MAX_WIDTH
 * or m n h overflows), CPAE_E_NONFINITE (theta, coef, R, A0), CPAE_E_NOMEM. */
int32_t cpae__skew_frechet_sum(const cpae__skew_eig *f, int64_t m,
                               const double *theta, const double *coef,
                               const double *R, const double *A0, int64_t h,
                               double *S, const char *func);

#endif /* CPAE_LIE_SKEW_H */
