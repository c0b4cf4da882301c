/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* action.h -- the action of the matrix exponential on a block, exp(t G) B,
 * by the truncated Taylor series with scaling of Al-Mohy and Higham
 * ("Computing the action of the matrix exponential, with an application to
 * exponential integrators", SIAM J. Sci. Comput. 33(2), 2011), without ever
 * forming exp(t G): every product is one GEMM of G (n x n) with an n x w
 * block. Two forms:
 *
 *  - cpae__expm_action / _adjoint: Y_i = exp(t_i G) B_i for p blocks side
 *    by side (each its own t_i, all in the same GEMMs), its t-derivative
 *    G Y_i, and the reverse mode: the gradients of sum_i <Rbar_i, Y_i> with
 *    respect to G, the B_i and the t_i.
 *  - the orbit table cpae__action_orbit: exp(t G) A0 for every |t| <= t_max
 *    of ONE block A0 (the exact Lie form's anchor map), from Taylor terms
 *    stored at a few anchor points, so that any number of evaluations (a
 *    theta grid, Gauss-Newton steps, every sample of a batch) costs no
 *    further GEMM; with its reverse mode for the gradients.
 *
 * Precision: the truncation is chosen, as in Al-Mohy and Higham, so that
 * the backward error of each Taylor polynomial is at most unit roundoff
 * (2^-53) for ||t G||_1 up to theta_m; measured errors against the Pade
 * expm (pade.h) are in docs/math.md ("Precision of the exact form's
 * paths"). No trace shift or balancing is applied (the library's generators
 * have unit Frobenius norm, so |tr G| / n <= n^-1/2).
 *
 * All matrices are double, row-major and dense; blocks of n x h are stored
 * contiguously one after the other. Functions that take `func` report
 * failures through cpae__fail(status, func, ...). Internal: never installed. */
#ifndef CPAE_LIE_ACTION_H
#define CPAE_LIE_ACTION_H

#include "core/core.h"

#include <stdint.h>

/* Largest Taylor degree used (Al-Mohy and Higham's m_max). */
#define CPAE__ACTION_MMAX 55

/* The degree m and number of scaling steps s that cpae__expm_action uses
 * for ||t G||_1 = norm1_tg: s = ceil(norm1_tg / theta_m), m minimising
 * m s over the degrees of the theta_m table (double precision; Higham,
 * "Functions of Matrices", Table A.3 for m <= 30, Al-Mohy and Higham 2011,
 * Table 3.1 for m = 35..55). norm1_tg = 0 gives m = 0, s = 1. s is capped
 * at INT64_MAX / 2 (a NaN or infinite norm gives that cap). */
void cpae__action_params(double norm1_tg, int32_t *m, int64_t *s);

/* theta_m of the table (0 for degrees not in it; exposed for tests). */
double cpae__action_theta(int32_t m);

/* Y_i = exp(t_i G) B_i for i < p, B and Y p blocks of n x h. s and m come
 * from max_i |t_i| ||G||_1 (cpae__action_params); each of the s steps
 * applies the degree-m Taylor polynomial of exp(t_i G / s) with the early
 * termination of Al-Mohy and Higham (stop once the last two terms of every
 * block are below 2^-53 of the partial sum, infinity norm). The blocks are
 * side by side in one n x (p h) panel, so every term is ONE GEMM for all
 * blocks. dY (may be NULL) receives G Y_i, the t-derivative of
 * exp(t G) B_i (one more GEMM). Y and dY may not alias B.
 * CPAE_E_NULL, CPAE_E_SIZE / CPAE_E_LIMIT (n, h, p), CPAE_E_NONFINITE,
 * CPAE_E_NOMEM, CPAE_E_NUMERIC (overflow). p = 0 does nothing. */
int32_t cpae__expm_action(const double *G, int64_t n, const double *B, int64_t p, int64_t h,
                          const double *t, double *Y, double *dY, const char *func);

/* Reverse mode of cpae__expm_action: for phi = sum_i <Rbar_i, Y_i>,
 *   gG += d phi / dG   (n x n, accumulated; may be NULL)
 *   gB  = d phi / dB_i = exp(t_i G)^T Rbar_i    (p blocks; may be NULL)
 *   gt  = d phi / dt_i = <Rbar_i, G Y_i>        (p values; may be NULL).
 * gG and gB are the exact derivatives of the degree-m series with the
 * same s and m as the forward pass (whose values agree with
 * cpae__expm_action's to rounding), obtained by running the Taylor
 * recursion backwards; no early termination here, because the derivative
 * of a truncated series is accurate only to the a priori degree m of the
 * theta_m table (a nilpotent G has G^j B = 0 early, the derivative of G^j
 * is not 0). Mathematically
 * gG = sum_i t_i L(t_i G^T, Rbar_i B_i^T), the adjoint of the Frechet
 * derivative (docs/math.md section 3). Derivation, one scaling step with
 * tau_i = t_i / s: the forward recursion is V_0 = Z, V_j = (tau/j) G V_{j-1},
 * Z' = sum_j V_j. With Zbar' the adjoint of Z', the full adjoint of V_j is
 * W_j = Zbar' + (tau/(j+1)) G^T W_{j+1} (W_m = Zbar'), so
 *   Zbar = W_0,  Gbar += sum_{j>=1} (tau/j) W_j V_{j-1}^T,
 * 2 GEMMs per term (G^T W and the outer product), after recomputing the
 * step's terms from the stored step inputs. Cost about 4 s m GEMMs of
 * n x n x p h; memory (s + m + 5) n p h doubles.
 * Errors as cpae__expm_action. */
int32_t cpae__expm_action_adjoint(const double *G, int64_t n, const double *B, int64_t p,
                                  int64_t h, const double *t, const double *Rbar, double *gG,
                                  double *gB, double *gt, const char *func);

/* ------------------------------------------------------- the orbit table */

/* exp(t G) A0 for |t| <= t_max from Taylor terms at anchors a * spacing,
 * a = -side..side: anchor a stores S_j = (r^j / j!) G^j C_a, j < terms[a],
 * with C_0 = A0 and C_{a +- 1} = sum_j (+-1)^j S_j of anchor a (one step
 * of length r = spacing). Then exp(t G) A0 = sum_j u^j S_j with
 * u = (t - a spacing) / r and a the anchor nearest t, |u| <= 1/2 (side = 0:
 * one anchor at 0, r = t_max, |u| <= 1). The degree m and side minimise
 * the GEMM count (2 side + 1) m subject to r ||G||_1 <= theta_m (the same
 * table as cpae__expm_action), without early termination (the table is
 * differentiated; see cpae__expm_action_adjoint). Each anchor also keeps a Householder QR of its
 * terms [vec S_0 ... vec S_{N-1}] (LAPACKE dgeqrf): a target A is then
 * reduced once to coordinates (b = Q^T vec A in the terms' span, and the
 * squared distance kappa of A to that span, computed from the trailing
 * part of Q^T vec A, so without cancellation), and every later value of
 * ||exp(t G) A0 - A||^2 and its t-derivative costs O(m^2), independent of
 * n and h. G is borrowed: it must stay unchanged while the table lives. */
struct cpae__pool;
typedef struct cpae__action_orbit {
    int64_t n, h;
    const double *G;
    double t_max, spacing, radius;
    int64_t side;      /* anchors a = -side..side (index a + side) */
    int32_t m;         /* degree: m + 1 terms per anchor */
    int64_t rank;      /* min(n h, m + 1): rows of each anchor's R factor */
    int64_t ncoords;   /* coordinates per target: (2 side + 1) (rank + 1);
                          anchor a's are at (a + side) (rank + 1): b, kappa */
    double *S;         /* per anchor (m + 1) blocks of n x h */
    double *qr;        /* per anchor: dgeqrf of its terms, column-major n h x (m + 1) */
    double *tau;       /* per anchor: m + 1 reflector scalars */
    struct cpae__pool *pool; /* the table's storage and every call's scratch */
} cpae__action_orbit;

/* Largest table (doubles of S and qr together) cpae__action_orbit_create
 * builds; beyond it CPAE_E_LIMIT, and the callers use the dense path. */
#define CPAE__ACTION_ORBIT_MAX (INT64_C(1) << 25)

/* Build the table of exp(t G) A0, |t| <= t_max (A0 n x h). Its storage
 * and the scratch of every call on it come from pool (core/pool.h; NULL:
 * malloc), so a trainer's steps reuse the same blocks; LAPACK runs through
 * its _work interfaces. t_max > 0 and finite (CPAE_E_INVALID).
 * CPAE_E_LIMIT when the table would exceed CPAE__ACTION_ORBIT_MAX doubles
 * (t_max ||G||_1 large: at n = 784, h = 16 above about 110), CPAE_E_NULL,
 * CPAE_E_SIZE, CPAE_E_NONFINITE, CPAE_E_NOMEM, CPAE_E_NUMERIC (overflow). */
int32_t cpae__action_orbit_create(const double *G, int64_t n, const double *A0, int64_t h,
                                  double t_max, struct cpae__pool *pool,
                                  cpae__action_orbit **out, const char *func);
void cpae__action_orbit_destroy(cpae__action_orbit *o);

/* Y_i = exp(t_i G) A0 and (dY may be NULL) dY_i = d/dt of the table's
 * polynomial at t_i (= G exp(t_i G) A0 to the truncation), for m values
 * |t_i| <= t_max; one GEMM per anchor for all t_i that use it.
 * CPAE_E_INVALID (|t_i| > t_max or not finite), CPAE_E_NOMEM. */
int32_t cpae__action_orbit_apply(const cpae__action_orbit *o, int64_t m, const double *t,
                                 double *Y, double *dY, const char *func);

/* Coordinates of m targets A_i (n x h each): coords receives m rows of
 * o->ncoords doubles. CPAE_E_NOMEM, CPAE_E_NUMERIC (LAPACK). */
int32_t cpae__action_orbit_coords(const cpae__action_orbit *o, const double *A, int64_t m,
                                  double *coords, const char *func);

/* For one target (its row of coordinates) and |t| <= t_max:
 * f = ||exp(t G) A0 - A||^2, g = <J, exp(t G) A0 - A> and jj = <J, J>
 * with J the t-derivative (of the table's polynomial), in O(m^2). */
void cpae__action_orbit_fit(const cpae__action_orbit *o, const double *coords, double t,
                            double *f, double *g, double *jj);

/* exp(t G) A0 in the coordinates of its anchor: z receives o->rank values
 * and the anchor index ai = a + side is returned; then for a target with
 * coordinates c and b = c + ai (rank + 1), f = b[rank] + sum_l (z_l -
 * b_l)^2 (what cpae__action_orbit_fit computes), in O(m) per target once
 * z is known (a theta grid shared by many targets). */
int64_t cpae__action_orbit_point(const cpae__action_orbit *o, double t, double *z);

/* Reverse mode of cpae__action_orbit_apply at m values t_i: for
 * phi = sum_i <Rbar_i, exp(t_i G) A0>,
 *   gG  += d phi / dG  = sum_i t_i L(t_i G^T, Rbar_i A0^T)  (may be NULL)
 *   gA0 += d phi / dA0 = sum_i exp(t_i G)^T Rbar_i          (may be NULL)
 * (both accumulated), exact for the table's polynomials. Per anchor, from
 * the outermost inwards: Y_j = sum_k u_k^j Rbar_k over the t_k that use it
 * (one GEMM) plus the adjoint of the next anchor's C (u = +-1), then the
 * recursion of cpae__expm_action_adjoint with the scalar r / j:
 * W_{N-1} = Y_{N-1}, W_{j-1} = Y_{j-1} + G^T (r/j) W_j,
 * gG += sum_j (r/j) W_j S_{j-1}^T (one GEMM over the packed terms), and W_0
 * is the adjoint of C_a. Cost about 2 m GEMMs of n x n x h per anchor,
 * whatever m is. CPAE_E_INVALID (t), CPAE_E_NONFINITE (Rbar), CPAE_E_NOMEM. */
int32_t cpae__action_orbit_adjoint(const cpae__action_orbit *o, int64_t m, const double *t,
                                   const double *Rbar, double *gG, double *gA0,
                                   const char *func);

#endif /* CPAE_LIE_ACTION_H */
