/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* pade.c -- E = exp(X) for a general real n x n X by scaling and squaring:
 * r_m(X / 2^s)^(2^s) with the diagonal [m/m] Pade approximant r_m, m and s
 * chosen from ||X||_1 so the result is accurate to unit roundoff (Higham
 * 2005, "The scaling and squaring method for the matrix exponential
 * revisited", SIAM J. Matrix Anal. Appl. 26(4), for the Pade degrees,
 * coefficients and theta_m thresholds); and its Frechet derivative
 * L(X, E) = d/dt exp(X + t E)|_{t=0}, read off the upper-right block of
 * exp([[X, E], [0, X]]). The Lie regularisers need both for generators with
 * no skew structure (docs/math.md section 3). */
#include "lie/pade.h"

#include "core/pool.h"

#include "lie/util.h"

#include <lapacke.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- helpers */

/* C = A B, all n x n. */
static void mul(int64_t n, const double *A, const double *B, double *C)
{
    cpae__gemm(false, false, n, n, n, 1.0, A, n, B, n, 0.0, C, n);
}

/* ------------------------------------------------------------- expm */

/* Pade coefficients b_0..b_m of the diagonal [m/m] approximant of exp,
 * scaled so b_m = 1, and the double-precision thresholds theta_m on ||A||_1
 * (Higham 2005, "The scaling and squaring method for the matrix exponential
 * revisited", SIMAX 26(4), Table 2.3 and Algorithm 2.3). b_j is proportional
 * to (2m - j)! m! / ((2m)! j! (m - j)!). */
static const double pade3[] = {120.0, 60.0, 12.0, 1.0};
static const double pade5[] = {30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0};
static const double pade7[] = {17297280.0, 8648640.0, 1995840.0, 277200.0,
                               25200.0,    1512.0,    56.0,      1.0};
static const double pade9[] = {17643225600.0, 8821612800.0, 2075673600.0,
                               302702400.0,   30270240.0,   2162160.0,
                               110880.0,      3960.0,       90.0,
                               1.0};
static const double pade13[] = {64764752532480000.0, 32382376266240000.0,
                                7771770303897600.0,  1187353796428800.0,
                                129060195264000.0,   10559470521600.0,
                                670442572800.0,      33522128640.0,
                                1323241920.0,        40840800.0,
                                960960.0,            16380.0,
                                182.0,               1.0};
static const double theta3 = 1.495585217958292e-2;
static const double theta5 = 2.539398330063230e-1;
static const double theta7 = 9.504178996162932e-1;
static const double theta9 = 2.097847961257068;
static const double theta13 = 5.371920351148152;

void cpae__expm_params(double norm1_x, int32_t *m, int32_t *s)
{
    *s = 0;
    if (norm1_x <= theta3)
        *m = 3;
    else if (norm1_x <= theta5)
        *m = 5;
    else if (norm1_x <= theta7)
        *m = 7;
    else if (norm1_x <= theta9)
        *m = 9;
    else {
        /* s = max(0, ceil(log2(||X||_1 / theta_13))): ||X / 2^s||_1 <=
         * theta_13, the range where Pade(13) is accurate to unit roundoff. */
        *m = 13;
        if (norm1_x > theta13) {
            double e = ceil(log2(norm1_x / theta13));
            *s = e > 2000.0 ? 2000 : (int32_t)e; /* beyond ~1100 all overflow */
        }
    }
}

#define EXPM_BUFS 8 /* n x n work buffers used by expm_core */

/* exp(X) into E using work (EXPM_BUFS n^2 doubles) and ipiv (n). */
static int32_t expm_core(const double *X, int64_t n, double *E, double *work,
                         lapack_int *ipiv, const char *func)
{
    const int64_t nn = n * n;
    double *b[EXPM_BUFS];
    for (int i = 0; i < EXPM_BUFS; i++)
        b[i] = work + (int64_t)i * nn;

    double nrm = cpae__norm1(X, n, b[0]); /* b[0] is scratch until A is stored */
    int32_t m, s;
    cpae__expm_params(nrm, &m, &s);
    const double *c = m == 3 ? pade3 : m == 5 ? pade5 : m == 7 ? pade7
                    : m == 9 ? pade9 : pade13;

    /* A = X / 2^s exactly (power of two). */
    double *A = b[0];
    for (int64_t i = 0; i < nn; i++)
        A[i] = ldexp(X[i], -s);

    double *U = b[6], *V = b[7];
    if (m <= 9) {
        /* Even powers A^2, A^4, ... in b[1..4]; W = sum b_{2k+1} A^{2k},
         * U = A W, V = sum b_{2k} A^{2k}. */
        int np = (m - 1) / 2; /* number of even powers needed */
        double *P[4] = {b[1], b[2], b[3], b[4]};
        double *W = b[5];
        mul(n, A, A, P[0]);
        for (int k = 1; k < np; k++)
            mul(n, P[k - 1], P[0], P[k]);
        for (int64_t i = 0; i < nn; i++) {
            double w = 0.0, v = 0.0;
            for (int k = np; k >= 1; k--) {
                w += c[2 * k + 1] * P[k - 1][i];
                v += c[2 * k] * P[k - 1][i];
            }
            W[i] = w;
            V[i] = v;
        }
        for (int64_t i = 0; i < n; i++) {
            W[i * n + i] += c[1];
            V[i * n + i] += c[0];
        }
        mul(n, A, W, U);
    } else {
        /* Higham 2005 (2.1)-(2.2) with m = 13: 6 products. */
        double *A2 = b[1], *A4 = b[2], *A6 = b[3], *W1 = b[4], *W2 = b[5];
        mul(n, A, A, A2);
        mul(n, A2, A2, A4);
        mul(n, A4, A2, A6);
        for (int64_t i = 0; i < nn; i++) {
            W1[i] = c[13] * A6[i] + c[11] * A4[i] + c[9] * A2[i];
            W2[i] = c[7] * A6[i] + c[5] * A4[i] + c[3] * A2[i];
        }
        for (int64_t i = 0; i < n; i++)
            W2[i * n + i] += c[1];
        /* W2 = A6 W1 + W2, then U = A W2. */
        cpae__gemm(false, false, n, n, n, 1.0, A6, n, W1, n, 1.0, W2, n);
        mul(n, A, W2, U);
        for (int64_t i = 0; i < nn; i++) {
            W1[i] = c[12] * A6[i] + c[10] * A4[i] + c[8] * A2[i];
            V[i] = c[6] * A6[i] + c[4] * A4[i] + c[2] * A2[i];
        }
        for (int64_t i = 0; i < n; i++)
            V[i * n + i] += c[0];
        cpae__gemm(false, false, n, n, n, 1.0, A6, n, W1, n, 1.0, V, n);
    }

    /* (V - U) R = (V + U): R overwrites U, V - U overwrites V. */
    for (int64_t i = 0; i < nn; i++) {
        double u = U[i], v = V[i];
        U[i] = v + u;
        V[i] = v - u;
    }
    /* Solved column-major on transposed copies in the free buffers b[0],
     * b[1] (the row-major LAPACKE wrapper would allocate its own). */
    double *Vc = b[0], *Uc = b[1];
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            Vc[j * n + i] = V[i * n + j];
            Uc[j * n + i] = U[i * n + j];
        }
    lapack_int info = LAPACKE_dgesv_work(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)n, Vc,
                                         (lapack_int)n, ipiv, Uc, (lapack_int)n);
    for (int64_t i = 0; i < n && info == 0; i++)
        for (int64_t j = 0; j < n; j++)
            U[i * n + j] = Uc[j * n + i];
    if (info > 0)
        return cpae__fail(CPAE_E_NUMERIC, func,
                          "Pade denominator V - U is singular (dgesv info = %d)",
                          (int)info);
    int32_t st = cpae__lapack_status(info, "LAPACKE_dgesv", func);
    if (st != CPAE_OK)
        return st;

    /* Undo the scaling: R <- R^2, s times, ping-ponging with b[1]. */
    double *R = U, *T = b[1];
    for (int k = 0; k < s; k++) {
        mul(n, R, R, T);
        double *tmp = R;
        R = T;
        T = tmp;
    }
    for (int64_t i = 0; i < nn; i++)
        if (!isfinite(R[i]))
            return cpae__fail(CPAE_E_NUMERIC, func,
                              "exp overflows (||X||_1 = %g)", nrm);
    memcpy(E, R, (size_t)nn * sizeof(double));
    return CPAE_OK;
}

int32_t cpae__expm(const double *X, int64_t n, double *E, const char *func)
{
    return cpae__expm_in(X, n, E, NULL, func);
}

int32_t cpae__expm_in(const double *X, int64_t n, double *E, struct cpae__pool *pool,
                      const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(X, func, "X")) || (st = cpae__check_ptr(E, func, "E")) ||
        (st = cpae__check_dim(n, func, "n")) || (st = cpae__check_finite_d(X, n * n, func, "X")))
        return st;
    /* The buffers, then the pivots (n lapack_ints in n doubles' room). */
    int64_t count = EXPM_BUFS * n * n + n;
    double *work = cpae__dalloc_in(pool, count);
    if (!work)
        return cpae__nomem(func, count);
    st = expm_core(X, n, E, work, (lapack_int *)(work + EXPM_BUFS * n * n), func);
    cpae__pool_free(pool, work);
    return st;
}

int32_t cpae__expm_frechet(const double *X, const double *Edir, int64_t n,
                           double *expX, double *L, const char *func)
{
    return cpae__expm_frechet_in(X, Edir, n, expX, L, NULL, func);
}

int32_t cpae__expm_frechet_in(const double *X, const double *Edir, int64_t n, double *expX,
                              double *L, struct cpae__pool *pool, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(X, func, "X")) ||
        (st = cpae__check_ptr(Edir, func, "E")) ||
        (st = cpae__check_ptr(L, func, "L")) || (st = cpae__check_dim(n, func, "n")) ||
        (st = cpae__check_finite_d(X, n * n, func, "X")) ||
        (st = cpae__check_finite_d(Edir, n * n, func, "E")))
        return st;

    const int64_t n2 = 2 * n;
    double *big = cpae__dalloc_in(pool, 2 * n2 * n2 + n2);
    if (!big)
        return cpae__nomem(func, 2 * n2 * n2 + n2);
    double *B = big, *EB = big + n2 * n2, *colsum = EB + n2 * n2;

    /* The block method's error is relative to ||exp(block)||, so balance the
     * blocks: scale Edir by 2^k (exact) to ||2^k Edir||_1 ~ max(||X||_1, 1)
     * and divide L by 2^k afterwards. L is linear in Edir. */
    double nx = cpae__norm1(X, n, colsum), ne = cpae__norm1(Edir, n, colsum);
    int k = 0;
    if (ne > 0.0) {
        int ex;
        frexp((nx > 1.0 ? nx : 1.0) / ne, &ex);
        k = ex - 1;
    }
    memset(B, 0, (size_t)(n2 * n2) * sizeof(double));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            B[i * n2 + j] = X[i * n + j];
            B[(n + i) * n2 + n + j] = X[i * n + j];
            B[i * n2 + n + j] = ldexp(Edir[i * n + j], k);
        }
    st = cpae__expm_in(B, n2, EB, pool, func);
    if (st == CPAE_OK) {
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                L[i * n + j] = ldexp(EB[i * n2 + n + j], -k);
                if (expX)
                    expX[i * n + j] = EB[i * n2 + j];
            }
    }
    cpae__pool_free(pool, big);
    return st;
}
