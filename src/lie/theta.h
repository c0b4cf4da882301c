/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* theta.h -- the theta solvers of the Lie regularisers (docs/math.md
 * section 3): given a generator G (or generators G_j) and an anchor block
 * A0, the group parameter that best carries A0 to a target A,
 *   local:  min_theta || Delta - sum_j theta_j G_j A0 ||^2  (linearised),
 *   exact:  min_{|theta| <= theta_max} || exp(theta G) A0 - A ||^2.
 * Every theta solver of the library lives behind this one API (the
 * exact form's general-G path in theta.c, its skew path in theta_skew.c,
 * the local form in theta_local.c, the tangent form and several
 * generators in theta_forms.c), sharing the grid and Gauss-Newton
 * machinery of theta_grid.h; a new solver of
 * the same family (another form of the objective, several generators at
 * once) is added here with the same conventions: `func` for messages,
 * theta/f outputs that may be NULL, outputs unchanged on failure. Knows
 * nothing of networks. Internal: never installed.
 *
 * All matrices are double, row-major and dense. Failures are reported
 * through cpae__fail(status, func, ...) with `func` naming the public entry
 * point. */
#ifndef CPAE_LIE_THETA_H
#define CPAE_LIE_THETA_H

#include "core/core.h"
#include "lie/action.h"
#include "lie/skew.h"

#include <stdint.h>

/* Local (first-order) form, docs/math.md section 3:
 *   min_theta || Delta - sum_j theta_j GA[j] ||^2
 * over vectors of length len (vec of d x h matrices). kG = 1 uses the closed
 * form <Delta, GA>/||GA||^2 (theta = 0 when GA = 0); kG > 1 uses
 * LAPACKE_dgelsd with rcond = max(len, kG) * DBL_EPSILON, i.e. the
 * minimum-norm solution when the GA[j] are (numerically) dependent.
 * theta receives kG values; resid (may be NULL) receives the residual squared
 * norm, evaluated directly (no cancellation-prone formula). scratch:
 * cpae__theta_local_scratch(kG, len) doubles for a caller solving many
 * problems of one shape (nothing is allocated then), or NULL. */
int32_t cpae__theta_local(const double *Delta, const double *const *GA,
                          int64_t kG, int64_t len, double *theta, double *resid,
                          double *scratch, const char *func);
/* Doubles of cpae__theta_local's scratch (0 for kG = 1; -1 when the
 * sizes overflow or LAPACK's workspace query fails). */
int64_t cpae__theta_local_scratch(int64_t kG, int64_t len);

/* Exact form, docs/math.md section 3: minimise f(theta) = ||exp(theta G) A0 - A||^2
 * (A0, A n x h) over theta in [-theta_max, theta_max].
 *
 * A grid of n_grid >= 2 equally spaced points including both ends, then
 * Gauss-Newton (the one-column least-squares step -<J, r>/<J, J>, Jacobian
 * J = G exp(theta G) A0) with step halving; a step is accepted only if it
 * lowers f and stays within one grid spacing of the grid minimiser (and in
 * range); once the predicted decrease g^2/jj is below the rounding of f
 * (64 eps f), the full step is accepted unless f grows beyond that, so
 * theta converges to the rounding of g = 0 rather than stopping about
 * sqrt(eps) away. Grid ties go to the smallest |theta|.
 *
 * If skew != NULL, its factorisation of G is used and G may be NULL: after
 * transforming A0 and A by U^* once (O(n^2 h)), each grid point costs O(n)
 * and each refinement step O(n h). Otherwise the general path builds the
 * action orbit table of exp(t G) A0 (action.h: about (2 side + 1) deg GEMMs
 * of n x n x h) and then evaluates every grid point and refinement step in
 * its coordinates (cpae__theta_exact_orbit); when the table would be too
 * large it uses cpae__theta_exact_pade.
 *
 * theta, f (either may be NULL) receive the minimiser and f there.
 * CPAE_E_MISMATCH (skew->n != n), CPAE_E_INVALID (theta_max not > 0, n_grid
 * < 2), and the statuses of cpae__expm. */
int32_t cpae__theta_exact(const double *G, const cpae__skew_eig *skew,
                          int64_t n, const double *A0, const double *A,
                          int64_t h, double theta_max, int64_t n_grid,
                          double *theta, double *f, const char *func);

/* The general path of cpae__theta_exact through dense Pade exponentials
 * (O(n^3) per grid step and per refinement step): the reference the
 * action path is tested against, and its fallback when the action table
 * would exceed CPAE__ACTION_ORBIT_MAX doubles. Same checks and outputs. */
int32_t cpae__theta_exact_pade(const double *G, int64_t n, const double *A0, const double *A,
                               int64_t h, double theta_max, int64_t n_grid, double *theta,
                               double *f, const char *func);
/* The same with its scratch (and the Pade exponentials') from pool (NULL:
 * malloc): a trainer's step allocates nothing once the pool holds it. */
struct cpae__pool;
int32_t cpae__theta_exact_pade_in(const double *G, int64_t n, const double *A0, const double *A,
                                  int64_t h, double theta_max, int64_t n_grid, double *theta,
                                  double *f, struct cpae__pool *pool, const char *func);

/* The exact form for m targets A_i (n x h each, contiguous) on an action
 * orbit table of exp(t G) A0 (action.h; theta_max is the table's t_max):
 * the grid and the Gauss-Newton refinement of cpae__theta_exact, every
 * evaluation O(deg^2) in the table's coordinates (each target reduced
 * once, one dormqr per anchor for all targets). theta[i], f[i] (either may
 * be NULL) as cpae__theta_exact. CPAE_E_NULL, CPAE_E_SIZE, CPAE_E_INVALID
 * (n_grid < 2), CPAE_E_LIMIT, CPAE_E_NONFINITE, CPAE_E_NOMEM. */
int32_t cpae__theta_exact_orbit(const cpae__action_orbit *o, const double *A, int64_t m,
                                int64_t n_grid, double *theta, double *f, const char *func);

/* cpae__theta_exact's skew path for m targets against one anchor: A holds m
 * blocks A_i of n x h (contiguous); theta[i], f[i] (either array may be
 * NULL) receive the minimiser of ||exp(theta G) A0 - A_i||^2 and f there.
 * A0 is transformed by U^* once and the A_i once each (several per GEMM,
 * side by side); the grid's cos/sin(theta_k omega) are tabulated once for
 * all targets (when the n_grid x 2n table is at most 2^23 doubles). The grid
 * and the Gauss-Newton refinement are the same code as cpae__theta_exact's,
 * so the results are those of m calls of cpae__theta_exact(NULL, skew, ...)
 * up to the rounding of the batched U^* product (bit-identical in the tests
 * with OpenBLAS 0.3.21).
 * CPAE_E_INVALID (skew NULL, theta_max not > 0, n_grid < 2), CPAE_E_NULL,
 * CPAE_E_SIZE (m < 0), CPAE_E_MISMATCH (skew->n != n), CPAE_E_LIMIT,
 * CPAE_E_NONFINITE, CPAE_E_NOMEM. m = 0 does nothing. */
int32_t cpae__theta_exact_many(const cpae__skew_eig *skew, int64_t n,
                               const double *A0, const double *A, int64_t m,
                               int64_t h, double theta_max, int64_t n_grid,
                               double *theta, double *f, const char *func);

/* Tangent form of the exact objective for a skew G (theta_forms.c):
 *   f(theta) = ||A_i||^2 - ||Q0^T exp(-theta G) A_i||^2,
 * Q0 (d x h) an orthonormal basis of the anchor block. Grid of n_grid
 * points over [-theta_max, theta_max], then golden-section search in the
 * grid cell around the best point (the envelope-theorem gradients need the
 * minimiser, not a grid point). w (d h) and W (h h): scratch. */
int32_t cpae__theta_tangent(const cpae__skew_eig *sk, const double *Q0, const double *Ai,
                            int64_t d, int64_t h, double theta_max, int64_t n_grid,
                            double *w, double *W, double *theta, const char *fn);

/* Several generators (k > 1), theta_forms.c: minimise
 * ||exp(sum_j theta_j G_j) A0 - Ai||^2 over the box [-theta_max, theta_max]^k
 * (grid of n_per^k <= n_grid points, odd n_per so theta = 0 is on it, then
 * Gauss-Newton with dgels steps, halved until f decreases). theta receives
 * k values. w: scratch of 2 d^2 + (k + 2) d h + 2 k + max(d h, k) doubles;
 * the expm / Frechet scratch and dgels's workspace come from pool (NULL:
 * malloc). */
struct cpae__pool;
int32_t cpae__theta_exact_multi(const double *G, int64_t k, int64_t d, const double *A0,
                                const double *Ai, int64_t h, double theta_max,
                                int64_t n_grid, double *w, double *theta,
                                struct cpae__pool *pool, const char *fn);

#endif /* CPAE_LIE_THETA_H */
