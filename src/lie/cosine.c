/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* cosine.c -- cpae_lie_cosine: |<G, R>_F| / (||G||_F ||R||_F) between a
 * learned generator G and a reference R, over the whole space and
 * restricted to the span of given points (P G P against P R P, P the
 * orthogonal projector onto the span). Why: a generator is only determined
 * where the data lives, so recovery of a known generator is judged on the
 * span of the data (docs/lie-recovery.md, docs/math.md section 7). */
#include "lie/lie.h"

#include "lie/util.h"

#include <lapacke.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cpae_lie_cosine: rank tolerance for the span of the points, the usual
 * numerical-rank convention of numpy/torch matrix_rank and MATLAB rank for
 * float data: a singular value s of the n x d points counts iff
 * s > s_max * max(n, d) * FLT_EPSILON. A stricter cut (4 FLT_EPSILON
 * ||X||_F, tried first) kept directions an orbit arc excites at 1e-6 of its
 * largest singular value, which no float model resolves and which then
 * dominated the restricted cosine (docs/lie-recovery.md). */
#define LIE_RANK_TOL ((double)FLT_EPSILON)

/* cpae_lie_cosine: a restricted generator P G P with ||P G P|| <=
 * LIE_ZERO_TOL ||G|| vanishes on the span (e.g. a rotation restricted to a
 * line) and has no direction to compare. g_ref and the points are float:
 * their rounding alone leaves restricted norms of order 1e-7 ||G|| for a
 * generator that is zero on the span, so smaller values are not a
 * direction. */
#define LIE_ZERO_TOL 1e-6

/* Points per block of the span computation beyond the first d. */
#define SPAN_BLOCK 1024

/* ------------------------------------------------------------ cosine */

/* Orthonormal basis of the span of n points (n x d float rows): *basis
 * receives rank x d doubles (rows orthonormal; malloc'd, caller frees; may
 * be an empty allocation with rank 0 when all points are zero).
 *
 * The points are processed in blocks with a summary: the rows s_c u_c^T of
 * the SVD so far (X^T X preserved), stacked on the next block and
 * re-factorised (LAPACKE_dgesdd). Memory is O(d (d + SPAN_BLOCK)) whatever
 * n is. In column-major terms the row-major stack (m x d) is A = X^T
 * (d x m), whose left singular vectors are the wanted directions. */
static int32_t span_basis(const float *points, int64_t n, int64_t d, double **basis,
                          int64_t *rank, const char *fn)
{
    const int64_t rows = d + SPAN_BLOCK; /* <= 2^24 + 1024 */
    int64_t a_count = rows * d, vt_count = d * rows;
    if (sizeof(lapack_int) < sizeof(int64_t) && (a_count > INT32_MAX || vt_count > INT32_MAX))
        return cpae__fail(CPAE_E_LIMIT, fn, "d = %lld is too large for the LAPACK integer "
                          "width of this build", (long long)d);
    int64_t count = a_count + d * d + vt_count + d;
    double *w = cpae__dalloc(count);
    if (!w)
        return cpae__nomem(fn, count);
    double *A = w, *U = A + a_count, *VT = U + d * d, *s = VT + vt_count;
    int64_t r = 0, mn = 0, pos = 0;
    int32_t st = CPAE_OK;
    while (pos < n) {
        int64_t cnt = n - pos < rows - r ? n - pos : rows - r;
        for (int64_t i = 0; i < cnt * d; i++)
            A[r * d + i] = (double)points[pos * d + i];
        pos += cnt;
        int64_t m = r + cnt;
        mn = m < d ? m : d;
        lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', (lapack_int)d, (lapack_int)m,
                                         A, (lapack_int)d, s, U, (lapack_int)d, VT,
                                         (lapack_int)mn);
        if (info > 0) { /* the wording this call has always used */
            st = cpae__fail(CPAE_E_NUMERIC, fn, "LAPACKE_dgesdd did not converge (info = %d)",
                            (int)info);
            break;
        }
        if ((st = cpae__lapack_status(info, "LAPACKE_dgesdd", fn)))
            break;
        if (pos < n) {
            /* Summary rows s_c u_c^T (s is descending; drop exact zeros). */
            r = 0;
            for (int64_t c = 0; c < mn && s[c] > 0.0; c++, r++)
                for (int64_t i = 0; i < d; i++)
                    A[c * d + i] = s[c] * U[c * d + i];
        }
    }
    if (st == CPAE_OK) {
        double tol = mn > 0 ? s[0] * (double)(n > d ? n : d) * LIE_RANK_TOL : 0.0;
        int64_t rk = 0;
        while (rk < mn && s[rk] > tol && s[rk] > 0.0)
            rk++;
        double *B = cpae__dalloc(rk * d);
        if (!B) {
            st = cpae__nomem(fn, rk * d);
        } else {
            /* Column c of U (column-major, ldu = d) is contiguous. */
            memcpy(B, U, (size_t)(rk * d) * sizeof(double));
            *basis = B;
            *rank = rk;
        }
    }
    free(w);
    return st;
}

/* out (r x r) = B M B^T, B r x d, M d x d; T is r x d scratch. */
static void restrict_to(const double *B, int64_t r, int64_t d, const double *M, double *T,
                        double *out)
{
    cpae__gemm(false, false, r, d, d, 1.0, B, d, M, d, 0.0, T, d);
    cpae__gemm(false, true, r, r, d, 1.0, T, d, B, d, 0.0, out, r);
}

static double cosine(const double *a, const double *b, int64_t n, double na, double nb)
{
    double c = fabs(cpae__dot(a, b, n)) / (na * nb);
    return c > 1.0 ? 1.0 : c;
}

int32_t cpae_lie_cosine(const cpae_lie *lie, int64_t j, const float *g_ref, int64_t len,
                        const float *points, int64_t n, double *full, double *restricted)
{
    static const char fn[] = "cpae_lie_cosine";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(g_ref, fn, "g_ref")) ||
        (st = cpae__lie_check_j(lie, j, fn)))
        return st;
    const int64_t d = lie->d, nn = d * d;
    if (len != nn)
        return cpae__fail(CPAE_E_SIZE, fn, "len = %lld, expected d*d = %lld", (long long)len,
                          (long long)nn);
    int64_t np = 0;
    if (points) {
        if (n < 1)
            return cpae__fail(CPAE_E_SIZE, fn, "n = %lld, must be >= 1", (long long)n);
        if (!cpae__mul_ok(n, d, &np))
            return cpae__fail(CPAE_E_SIZE, fn, "n * d overflows");
    }
    if ((st = cpae__check_finite_f(g_ref, len, fn, "g_ref")) ||
        (points && (st = cpae__check_finite_f(points, np, fn, "points"))))
        return st;

    double *R = cpae__dalloc(nn);
    if (!R)
        return cpae__nomem(fn, nn);
    for (int64_t i = 0; i < nn; i++)
        R[i] = (double)g_ref[i];
    const double *G = lie->g + j * nn;
    double ng = sqrt(cpae__dot(G, G, nn)), nr = sqrt(cpae__dot(R, R, nn));
    if (nr == 0.0) {
        free(R);
        return cpae__fail(CPAE_E_INVALID, fn, "g_ref is zero");
    }
    if (ng == 0.0) {
        free(R);
        return cpae__fail(CPAE_E_INVALID, fn, "generator %lld is zero", (long long)j);
    }
    double c_full = cosine(G, R, nn, ng, nr), c_res = NAN;

    if (points) {
        double *B = NULL;
        int64_t rk = 0;
        st = span_basis(points, n, d, &B, &rk, fn);
        if (st == CPAE_OK) {
            /* ||B^T M B||_F = ||M||_F for B with orthonormal rows, so the
             * cosine of P G P and P R P (P = B^T B) is that of the r x r
             * matrices B G B^T and B R B^T. */
            double *w = cpae__dalloc(rk * d + 2 * rk * rk);
            if (!w) {
                st = cpae__nomem(fn, rk * d + 2 * rk * rk);
            } else {
                double *T = w, *Gr = T + rk * d, *Rr = Gr + rk * rk;
                if (rk > 0) {
                    restrict_to(B, rk, d, G, T, Gr);
                    restrict_to(B, rk, d, R, T, Rr);
                }
                double ngr = sqrt(cpae__dot(Gr, Gr, rk * rk)), nrr = sqrt(cpae__dot(Rr, Rr, rk * rk));
                if (!(ngr > LIE_ZERO_TOL * ng))
                    st = cpae__fail(CPAE_E_INVALID, fn, "generator %lld vanishes on the span "
                                    "of the points (rank %lld): no restricted cosine",
                                    (long long)j, (long long)rk);
                else if (!(nrr > LIE_ZERO_TOL * nr))
                    st = cpae__fail(CPAE_E_INVALID, fn, "g_ref vanishes on the span of the "
                                    "points (rank %lld): no restricted cosine", (long long)rk);
                else
                    c_res = cosine(Gr, Rr, rk * rk, ngr, nrr);
                free(w);
            }
        }
        free(B);
    }
    free(R);
    if (st != CPAE_OK)
        return st;
    if (full)
        *full = c_full;
    if (restricted)
        *restricted = c_res;
    return CPAE_OK;
}
