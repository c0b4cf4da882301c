/* expm.h -- matrix exponential, its Frechet derivative, the skew-symmetric
 * fast path and the theta solvers of the Lie regularisers (docs/math.md sections
 * 3 and 7; Higham, SIAM J. Matrix Anal. Appl. 26(4), 2005). Internal: never
 * installed.
 *
 * All matrices are double, row-major and dense. Functions that take `func`
 * report failures through cpae__fail(status, func, ...) with `func` naming
 * the public entry point. On failure no output is changed. */
#ifndef CPAE_EXPM_H
#define CPAE_EXPM_H

#include "core/core.h"

#include <stdint.h>

/* ------------------------------------------------------ exp and Frechet */

/* E = exp(X), X n x n. Scaling and squaring with diagonal Pade approximants
 * of degree 3/5/7/9/13 chosen from ||X||_1 (Higham 2005).
 * CPAE_E_SIZE (n < 1), CPAE_E_LIMIT (n > CPAE_MAX_WIDTH), CPAE_E_NONFINITE,
 * CPAE_E_NOMEM, CPAE_E_NUMERIC (singular Pade denominator, or overflow of
 * the result). E may not alias X. */
int32_t cpae__expm(const double *X, int64_t n, double *E, const char *func);

/* The degree m in {3, 5, 7, 9, 13} and number of squarings s that
 * cpae__expm uses for a matrix of 1-norm norm1_x (exposed for tests). */
void cpae__expm_params(double norm1_x, int32_t *m, int32_t *s);

/* L = L(X, Edir), the Frechet derivative of exp at X in direction Edir, from
 * exp([[X, Edir], [0, X]]) = [[e^X, L], [0, e^X]] (a 2n x 2n expm; Edir is
 * rescaled by a power of two first so that the two blocks have comparable
 * norms). expX (may be NULL) receives e^X. */
int32_t cpae__expm_frechet(const double *X, const double *Edir, int64_t n,
                           double *expX, double *L, const char *func);

/* ------------------------------------------- skew-symmetric fast path */

/* G = U diag(i omega) U^*, U unitary, for a real skew-symmetric G, from the
 * Hermitian eigenproblem of iG (LAPACKE_zheevd). U is stored split into real
 * and imaginary parts so that every product is a real GEMM through
 * cpae__gemm: u is n x 2n row-major, u[j*2n + k] = Re U_jk and
 * u[j*2n + n + k] = Im U_jk (column k of U is the eigenvector of i omega_k).
 * omega is in descending order (zheevd sorts w = -omega ascending). */
typedef struct cpae__skew_eig {
    int64_t n;
    double *omega; /* n */
    double *u;     /* n x 2n: [Re U | Im U] */
} cpae__skew_eig;

/* Relative tolerance of the skewness check: ||G + G^T||_F <= tol ||G||_F. */
#define CPAE__SKEW_TOL 1e-10

/* Factorise G (n x n). Its skew part (G - G^T)/2 is used; CPAE_E_INVALID if
 * G is not skew within CPAE__SKEW_TOL. Also CPAE_E_SIZE, CPAE_E_LIMIT,
 * CPAE_E_NONFINITE, CPAE_E_NOMEM, CPAE_E_NUMERIC (zheevd failed). */
int32_t cpae__skew_eig_create(const double *G, int64_t n, cpae__skew_eig **out,
                              const char *func);
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

/* out = exp(theta G) B, B n x h, in O(n^2 h) without forming exp(theta G).
 * out may not alias B. */
int32_t cpae__skew_apply(const cpae__skew_eig *f, double theta, const double *B,
                         int64_t h, double *out, const char *func);

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

/* ----------------------------------------------------------- theta solves */

/* Local (first-order) form, docs/math.md section 3:
 *   min_theta || Delta - sum_j theta_j GA[j] ||^2
 * over vectors of length len (vec of d x h matrices). kG = 1 uses the closed
 * form <Delta, GA>/||GA||^2 (theta = 0 when GA = 0); kG > 1 uses
 * LAPACKE_dgelsd with rcond = max(len, kG) * DBL_EPSILON, i.e. the
 * minimum-norm solution when the GA[j] are (numerically) dependent.
 * theta receives kG values; resid (may be NULL) receives the residual squared
 * norm, evaluated directly (no cancellation-prone formula). */
int32_t cpae__theta_local(const double *Delta, const double *const *GA,
                          int64_t kG, int64_t len, double *theta, double *resid,
                          const char *func);

/* Exact form, docs/math.md section 3: minimise f(theta) = ||exp(theta G) A0 - A||^2
 * (A0, A n x h) over theta in [-theta_max, theta_max].
 *
 * A grid of n_grid >= 2 equally spaced points including both ends, then
 * Gauss-Newton (the one-column least-squares step -<J, r>/<J, J>, Jacobian
 * J = G exp(theta G) A0) with step halving; a step is accepted only if it
 * lowers f and stays within one grid spacing of the grid minimiser (and in
 * range). Grid ties go to the smallest |theta|.
 *
 * If skew != NULL, its factorisation of G is used and G may be NULL: after
 * transforming A0 and A by U^* once (O(n^2 h)), each grid point costs O(n)
 * and each refinement step O(n h). Otherwise the general path uses cpae__expm
 * (grid by stepping exp(delta G) outwards from the grid point nearest 0,
 * O(n^2 h) per point; refinement O(n^3) per step).
 *
 * theta, f (either may be NULL) receive the minimiser and f there.
 * CPAE_E_MISMATCH (skew->n != n), CPAE_E_INVALID (theta_max not > 0, n_grid
 * < 2), and the statuses of cpae__expm. */
int32_t cpae__theta_exact(const double *G, const cpae__skew_eig *skew,
                          int64_t n, const double *A0, const double *A,
                          int64_t h, double theta_max, int64_t n_grid,
                          double *theta, double *f, const char *func);

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

/* ------------------------------------------------------------ orbits */

/* out row t = exp(thetas[t] G) x0, out n_theta x n row-major. An exactly
 * skew-symmetric G (G_jk == -G_kj bitwise, e.g. from cpae__shift_generator
 * or S - S^T) takes the skew path: one eigendecomposition, then one GEMM for
 * all thetas; otherwise one cpae__expm per theta. */
int32_t cpae__orbit(const double *G, int64_t n, const double *x0,
                    const double *thetas, int64_t n_theta, double *out,
                    const char *func);

/* The d x d skew-symmetric circulant generator of cyclic shifts (docs/math.md
 * section 7): (exp(theta G) x)_j = x(j - theta) for the trigonometric
 * interpolant x of a band-limited periodic signal, so exp(k G) x = x rolled
 * by k samples. G = -D with D the spectral derivative per sample:
 *   G_jl = -(pi/d) (-1)^(j-l) csc(pi (j-l)/d)   (d odd),
 *   G_jl = -(pi/d) (-1)^(j-l) cot(pi (j-l)/d)   (d even), G_jj = 0.
 * Nyquist choice (d even): a real skew-symmetric matrix must give the
 * one-dimensional Nyquist mode (-1)^j the eigenvalue 0 (the odd-derivative
 * convention), so that mode is not moved. Shifts by an odd integer are exact
 * permutations only for signals without a Nyquist component; even shifts are
 * exact for any signal. Built exactly skew (G_lj = -G_jl bitwise).
 * Returns CPAE_E_SIZE for d < 1 (G must hold d * d doubles). */
int32_t cpae__shift_generator(int64_t d, double *G);

#endif /* CPAE_EXPM_H */
