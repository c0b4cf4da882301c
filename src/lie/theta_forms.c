/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* theta_forms.c -- the exact form's theta solvers beyond one plain
 * generator (the API is theta.h, next to cpae__theta_exact):
 *   tangent form, skew G:  min_theta ||A_i||^2 - ||Q_0^T exp(-theta G) A_i||^2
 *                          (grid, then golden section in the best cell);
 *   several generators:    min_theta ||exp(sum_j theta_j G_j) A_0 - A_i||^2
 *                          (grid per axis, then Gauss-Newton through the
 *                          block Frechet identity).
 * Knows nothing of networks. */
#include "lie/theta.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "core/pool.h"
#include "lie/pade.h"
#include "lie/util.h"

/* Tangent-space exact form, skew G (exp(theta G) orthogonal):
 * f(theta) = ||(I - P_{exp(theta G) A_0}) A_i||^2
 *           = ||A_i||^2 - ||Q_0^T exp(-theta G) A_i||^2,
 * Q_0 an orthonormal basis of A_0. Grid over [-theta_max, theta_max], then
 * golden-section search in the grid cell around the best point (the
 * envelope-theorem gradients need the minimiser, not a grid point). */
int32_t cpae__theta_tangent(const cpae__skew_eig *sk, const double *Q0, const double *Ai,
                            int64_t d, int64_t h, double theta_max, int64_t n_grid,
                            double *w, double *W, double *theta, const char *fn)
{
    int32_t st = CPAE_OK;
#define F_AT(t, out)                                                               \
    do {                                                                           \
        if ((st = cpae__skew_apply(sk, -(t), Ai, h, w, fn)))                       \
            return st;                                                             \
        cpae__gemm(true, false, h, h, d, 1.0, Q0, h, w, h, 0.0, W, h);             \
        double acc_ = 0.0;                                                         \
        for (int64_t e_ = 0; e_ < h * h; e_++)                                     \
            acc_ += W[e_] * W[e_];                                                 \
        (out) = -acc_;                                                             \
    } while (0)
    double step = 2.0 * theta_max / (double)(n_grid - 1), best = INFINITY, tb = 0.0;
    for (int64_t k = 0; k < n_grid; k++) {
        double t = -theta_max + (double)k * step, f;
        F_AT(t, f);
        if (f < best || (f == best && fabs(t) < fabs(tb))) {
            best = f;
            tb = t;
        }
    }
    double a = fmax(tb - step, -theta_max), b = fmin(tb + step, theta_max);
    const double g = 0.6180339887498949;
    double x1 = b - g * (b - a), x2 = a + g * (b - a), f1, f2;
    F_AT(x1, f1);
    F_AT(x2, f2);
    for (int it = 0; it < 100 && b - a > 1e-13 * (1.0 + theta_max); it++) {
        if (f1 <= f2) {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            F_AT(x1, f1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            F_AT(x2, f2);
        }
    }
    double tg = f1 <= f2 ? x1 : x2, fg = f1 <= f2 ? f1 : f2;
    *theta = fg <= best ? tg : tb;
#undef F_AT
    return st;
}

/* Several generators (k > 1): X(theta) = sum_j theta_j G_j and
 * f(theta) = ||exp(X) A_0 - A_i||^2 over the box [-theta_max, theta_max]^k.
 * Grid of n_per points per axis (n_per^k <= about n_grid evaluations), then
 * Gauss-Newton: Jacobian column j is vec(L(X, G_j) A_0) (block Frechet
 * identity), the step a k-column least-squares solve (dgels), halved until
 * f decreases, clamped to the box. No eigen fast path: X changes per
 * sample, so every evaluation is one Pade expm (O(d^3)).
 * w: scratch of 2 d^2 + (k + 2) d h + 2 k + max(d h, k) doubles (the
 * least-squares right-hand side needs max(rows, columns)). */
int32_t cpae__theta_exact_multi(const double *G, int64_t k, int64_t d, const double *A0,
                                const double *Ai, int64_t h, double theta_max,
                                int64_t n_grid, double *w, double *theta,
                                struct cpae__pool *pool, const char *fn)
{
    const int64_t dd = d * d, len = d * h;
    double *X = w, *E = X + dd, *Rr = E + dd, *Jc = Rr + len, *tr = Jc + k * len,
           *cand = tr + len, *step = cand + k, *rhs = step + k;
    const int64_t ldb = len > k ? len : k;
    int32_t st = CPAE_OK;
    /* dgels's workspace by its own query, from the pool. */
    double wq = 0.0, dum = 0.0;
    lapack_int qi = LAPACKE_dgels_work(LAPACK_COL_MAJOR, 'N', (lapack_int)len, (lapack_int)k, 1,
                                       &dum, (lapack_int)len, &dum, (lapack_int)ldb, &wq, -1);
    const int64_t lwork = qi == 0 ? (int64_t)wq + 1 : len + k + 64;
    double *lsw = cpae__dalloc_in(pool, lwork);
    if (!lsw)
        return cpae__nomem(fn, lwork);
    /* f at t (length k); leaves exp(X) in E and the residual in Rr. */
#define F_MULTI(t, out)                                                            \
    do {                                                                           \
        for (int64_t e_ = 0; e_ < dd; e_++) {                                      \
            double v_ = 0.0;                                                       \
            for (int64_t j_ = 0; j_ < k; j_++)                                     \
                v_ += (t)[j_] * G[j_ * dd + e_];                                   \
            X[e_] = v_;                                                            \
        }                                                                          \
        if ((st = cpae__expm_in(X, d, E, pool, fn)))                               \
            goto done;                                                             \
        cpae__gemm(false, false, d, h, d, 1.0, E, d, A0, h, 0.0, Rr, h);           \
        double acc_ = 0.0;                                                         \
        for (int64_t e_ = 0; e_ < len; e_++) {                                     \
            Rr[e_] -= Ai[e_];                                                      \
            acc_ += Rr[e_] * Rr[e_];                                               \
        }                                                                          \
        (out) = acc_;                                                              \
    } while (0)
    /* n_per^k <= n_grid; odd, so theta = 0 is on the grid (n_per = 1: only
     * theta = 0, and Gauss-Newton does the rest). */
    int64_t n_per = (int64_t)floor(pow((double)n_grid, 1.0 / (double)k) + 1e-9);
    if (n_per % 2 == 0)
        n_per--;
    if (n_per < 1)
        n_per = 1;
    int64_t total = 1;
    for (int64_t j = 0; j < k; j++)
        total *= n_per;
    double spacing = n_per > 1 ? 2.0 * theta_max / (double)(n_per - 1) : 0.0,
           best = INFINITY;
    for (int64_t j = 0; j < k; j++)
        theta[j] = 0.0;
    for (int64_t idx = 0; idx < total; idx++) {
        double f, nrm = 0.0, nb = 0.0;
        for (int64_t j = 0, r = idx; j < k; j++, r /= n_per)
            cand[j] = n_per > 1 ? -theta_max + (double)(r % n_per) * spacing : 0.0;
        F_MULTI(cand, f);
        for (int64_t j = 0; j < k; j++) {
            nrm += fabs(cand[j]);
            nb += fabs(theta[j]);
        }
        if (f < best || (f == best && nrm < nb)) { /* ties: smallest |theta| */
            best = f;
            memcpy(theta, cand, (size_t)k * sizeof(double));
        }
    }
    for (int it = 0; it < 200; it++) {
        double f0;
        F_MULTI(theta, f0);
        memcpy(tr, Rr, (size_t)len * sizeof(double));
        for (int64_t j = 0; j < k; j++) { /* Jacobian column j: L(X, G_j) A_0 */
            double *Lj = E; /* E is free again until the next F_MULTI */
            if ((st = cpae__expm_frechet_in(X, G + j * dd, d, NULL, Lj, pool, fn)))
                goto done;
            /* column-major len x k for dgels */
            double *col = Jc + j * len;
            double *tmp = Rr;
            cpae__gemm(false, false, d, h, d, 1.0, Lj, d, A0, h, 0.0, tmp, h);
            memcpy(col, tmp, (size_t)len * sizeof(double));
        }
        /* least squares J s = -r (minimum norm if k > d h) */
        for (int64_t e = 0; e < len; e++)
            rhs[e] = -tr[e];
        lapack_int info = LAPACKE_dgels_work(LAPACK_COL_MAJOR, 'N', (lapack_int)len,
                                             (lapack_int)k, 1, Jc, (lapack_int)len, rhs,
                                             (lapack_int)ldb, lsw, (lapack_int)lwork);
        if (info != 0)
            break; /* rank-deficient Jacobian: keep the best point so far */
        double smax = 0.0;
        for (int64_t j = 0; j < k; j++) {
            step[j] = rhs[j];
            smax = fmax(smax, fabs(rhs[j]));
        }
        if (!(smax > 1e-13 * (1.0 + theta_max)))
            break;
        double f1 = f0;
        for (int half = 0; half < 30 && !(f1 < f0); half++) {
            double *tt = cand;
            for (int64_t j = 0; j < k; j++)
                tt[j] = fmin(theta_max, fmax(-theta_max, theta[j] + step[j]));
            F_MULTI(tt, f1);
            if (f1 < f0)
                memcpy(theta, tt, (size_t)k * sizeof(double));
            else
                for (int64_t j = 0; j < k; j++)
                    step[j] *= 0.5;
        }
        /* no decrease, or one at rounding level: converged */
        if (!(f1 < f0) || f0 - f1 <= 1e-15 * f0)
            break;
    }
#undef F_MULTI
done:
    cpae__pool_free(pool, lsw);
    return st;
}

