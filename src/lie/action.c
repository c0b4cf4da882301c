/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* action.c -- exp(t G) B without forming exp(t G) (see action.h): the
 * truncated Taylor series with scaling of Al-Mohy and Higham 2011, every
 * product one GEMM of G with a block (or with many blocks side by side),
 * and its reverse mode (the orbit table is in action_orbit.c). Why: the
 * exact form with a general generator needs exp(theta_i G) A0 and the
 * adjoint of the Frechet derivative for every sample; a dense Pade expm per
 * sample costs O(n^3) each, the action O(n^2 h) per term. */
#include "lie/action.h"
#include "lie/action_priv.h"

#include "core/pool.h"
#include "lie/util.h"

#include <lapacke.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* theta_m for unit roundoff 2^-53: the largest ||A||_1 for which the
 * degree-m truncated Taylor series of exp(A) has backward error <= 2^-53
 * (Higham, "Functions of Matrices", SIAM 2008, Table A.3, m <= 30;
 * Al-Mohy and Higham 2011, Table 3.1, m = 35..55). */
static const struct {
    int32_t m;
    double theta;
} TABLE[] = {
    {1, 2.29e-16}, {2, 2.58e-8}, {3, 1.39e-5}, {4, 3.40e-4}, {5, 2.40e-3},
    {6, 9.07e-3},  {7, 2.38e-2}, {8, 5.00e-2}, {9, 8.96e-2}, {10, 1.44e-1},
    {11, 2.14e-1}, {12, 3.00e-1}, {13, 4.00e-1}, {14, 5.14e-1}, {15, 6.41e-1},
    {16, 7.81e-1}, {17, 9.31e-1}, {18, 1.09},   {19, 1.26},   {20, 1.44},
    {21, 1.62},   {22, 1.82},   {23, 2.01},   {24, 2.22},   {25, 2.43},
    {26, 2.64},   {27, 2.86},   {28, 3.08},   {29, 3.31},   {30, 3.54},
    {35, 4.7},    {40, 6.0},    {45, 7.2},    {50, 8.5},    {55, 9.9},
};
#define N_TABLE ((int)(sizeof TABLE / sizeof *TABLE))

/* Early termination: the last two terms below 2^-53 of the partial sum. */
static const double TOL = 0x1p-53;

double cpae__action_theta(int32_t m)
{
    for (int i = 0; i < N_TABLE; i++)
        if (TABLE[i].m == m)
            return TABLE[i].theta;
    return 0.0;
}

void cpae__action_params(double x, int32_t *m, int64_t *s)
{
    const int64_t cap = INT64_MAX / 2;
    if (x == 0.0) {
        *m = 0;
        *s = 1;
        return;
    }
    int32_t bm = CPAE__ACTION_MMAX;
    int64_t bs = cap;
    double best = INFINITY;
    for (int i = 0; i < N_TABLE && x > 0.0; i++) {
        double sd = ceil(x / TABLE[i].theta);
        if (!(sd < (double)cap))
            continue;
        double cost = (double)TABLE[i].m * sd;
        if (cost < best) { /* ties to the smaller m */
            best = cost;
            bm = TABLE[i].m;
            bs = (int64_t)sd;
        }
    }
    *m = bm;
    *s = bs;
}

/* Smallest degree of the table with theta_m >= need (need <= theta_55),
 * at least 1: the table is differentiated, and at G = 0 the derivative of
 * exp(t G) in G is t (.) while that of the degree-0 polynomial is 0. */
int32_t cpae__action_degree_for(double need)
{
    for (int i = 0; i < N_TABLE; i++)
        if (TABLE[i].theta >= need)
            return TABLE[i].m;
    return CPAE__ACTION_MMAX;
}

/* ------------------------------------------------------------- helpers */

/* Infinity norm (largest absolute row sum) of column block i of width h of
 * an n x w panel, for every block. */
static void block_norms(const double *P, int64_t n, int64_t p, int64_t h, double *out)
{
    const int64_t w = p * h;
    for (int64_t i = 0; i < p; i++)
        out[i] = 0.0;
    for (int64_t r = 0; r < n; r++)
        for (int64_t i = 0; i < p; i++) {
            const double *x = P + r * w + i * h;
            double s = 0.0;
            for (int64_t l = 0; l < h; l++)
                s += fabs(x[l]);
            if (s > out[i])
                out[i] = s;
        }
}

/* Blocks (p contiguous n x h) into an n x (p h) panel, and back. */
void cpae__action_pack(const double *B, int64_t n, int64_t p, int64_t h, double *P)
{
    const int64_t w = p * h;
    for (int64_t i = 0; i < p; i++)
        for (int64_t r = 0; r < n; r++)
            memcpy(P + r * w + i * h, B + (i * n + r) * h, (size_t)h * sizeof(double));
}

static void unpack(const double *P, int64_t n, int64_t p, int64_t h, double *B)
{
    const int64_t w = p * h;
    for (int64_t i = 0; i < p; i++)
        for (int64_t r = 0; r < n; r++)
            memcpy(B + (i * n + r) * h, P + r * w + i * h, (size_t)h * sizeof(double));
}

/* Column block i of an n x (p h) panel times c[i]. */
static void scale_blocks(double *P, int64_t n, int64_t p, int64_t h, const double *c)
{
    const int64_t w = p * h;
    for (int64_t r = 0; r < n; r++)
        for (int64_t i = 0; i < p; i++) {
            double *x = P + r * w + i * h, ci = c[i];
            for (int64_t l = 0; l < h; l++)
                x[l] *= ci;
        }
}

bool cpae__action_all_finite(const double *x, int64_t count)
{
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

/* ------------------------------------------------- the action on panels */

/* The checks both entry points share; *x receives max |t_i| ||G||_1. */
static int32_t action_checks(const double *G, int64_t n, const double *B, int64_t p, int64_t h,
                             const double *t, double *x, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(G, func, "G")) || (st = cpae__check_ptr(B, func, "B")) ||
        (st = cpae__check_ptr(t, func, "t")) || (st = cpae__check_dim(n, func, "n")) ||
        (st = cpae__check_dim(h, func, "h")))
        return st;
    int64_t w, nw;
    if (p < 0)
        return cpae__fail(CPAE_E_SIZE, func, "p = %lld must be >= 0", (long long)p);
    if (!cpae__mul_ok(p, h, &w) || !cpae__mul_ok(n, w, &nw) || w > CPAE_MAX_WIDTH)
        return cpae__fail(CPAE_E_LIMIT, func, "%lld blocks of %lld x %lld: too many",
                          (long long)p, (long long)n, (long long)h);
    if ((st = cpae__check_finite_d(G, n * n, func, "G")) ||
        (st = cpae__check_finite_d(t, p, func, "t")) ||
        (st = cpae__check_finite_d(B, nw, func, "B")))
        return st;
    double *colsum = cpae__dalloc(n);
    if (!colsum)
        return cpae__nomem(func, n);
    double g1 = cpae__norm1(G, n, colsum), tm = 0.0;
    free(colsum);
    for (int64_t i = 0; i < p; i++)
        tm = fmax(tm, fabs(t[i]));
    *x = tm * g1;
    if (!isfinite(*x) || *x > 1e15)
        return cpae__fail(CPAE_E_LIMIT, func, "max |t| ||G||_1 = %g is too large", *x);
    return CPAE_OK;
}

/* The forward recursion on an n x w panel (w = p h): s steps, each
 * Z <- sum_{j <= m_q} V_j, V_0 = Z, V_j = (tau/j) G V_{j-1} (tau per
 * block), m_q <= m by early termination when `early` (else m_q = m).
 * Z: in B, out Y. F, X0, X1: panel scratch; nrm: 3 p; coef: p. Zs (s
 * panels) receives each step's input and mq[q] the terms used by step q
 * (either may be NULL). */
static void forward(const double *G, int64_t n, int64_t p, int64_t h, const double *tau,
                    int32_t m, int64_t s, bool early, double *Z, double *F, double *X0,
                    double *X1, double *nrm, double *coef, double *Zs, int32_t *mq)
{
    const int64_t w = p * h, nw = n * w;
    double *c1 = nrm, *c2 = nrm + p, *fn = nrm + 2 * p;
    for (int64_t q = 0; q < s; q++) {
        if (Zs)
            memcpy(Zs + q * nw, Z, (size_t)nw * sizeof(double));
        int32_t used = 0;
        if (m > 0) {
            memcpy(F, Z, (size_t)nw * sizeof(double));
            if (early)
                block_norms(Z, n, p, h, c1);
            const double *V = Z;
            double *Vn = X0;
            for (int32_t j = 1; j <= m; j++) {
                cpae__gemm(false, false, n, w, n, 1.0, G, n, V, w, 0.0, Vn, w);
                for (int64_t i = 0; i < p; i++)
                    coef[i] = tau[i] / (double)j;
                scale_blocks(Vn, n, p, h, coef);
                for (int64_t e = 0; e < nw; e++)
                    F[e] += Vn[e];
                used = j;
                V = Vn;
                Vn = Vn == X0 ? X1 : X0;
                if (!early)
                    continue;
                block_norms(V, n, p, h, c2);
                block_norms(F, n, p, h, fn);
                bool done = true;
                for (int64_t i = 0; i < p; i++) {
                    done &= c1[i] + c2[i] <= TOL * fn[i];
                    c1[i] = c2[i];
                }
                if (done)
                    break;
            }
            memcpy(Z, F, (size_t)nw * sizeof(double));
        }
        if (mq)
            mq[q] = used;
    }
}

int32_t cpae__expm_action(const double *G, int64_t n, const double *B, int64_t p, int64_t h,
                          const double *t, double *Y, double *dY, const char *func)
{
    double x;
    int32_t st;
    if ((st = cpae__check_ptr(Y, func, "Y")) ||
        (st = action_checks(G, n, B, p, h, t, &x, func)))
        return st;
    if (p == 0)
        return CPAE_OK;
    int32_t m;
    int64_t s;
    cpae__action_params(x, &m, &s);
    const int64_t nw = n * p * h, count = 4 * nw + 5 * p;
    double *w = cpae__dalloc(count);
    if (!w)
        return cpae__nomem(func, count);
    double *Z = w, *F = Z + nw, *X0 = F + nw, *X1 = X0 + nw, *nrm = X1 + nw,
           *coef = nrm + 3 * p, *tau = coef + p;
    for (int64_t i = 0; i < p; i++)
        tau[i] = t[i] / (double)s;
    cpae__action_pack(B, n, p, h, Z);
    forward(G, n, p, h, tau, m, s, true, Z, F, X0, X1, nrm, coef, NULL, NULL);
    if (!cpae__action_all_finite(Z, nw)) {
        free(w);
        return cpae__fail(CPAE_E_NUMERIC, func, "exp(t G) B overflows (max |t| ||G||_1 = %g)",
                          x);
    }
    unpack(Z, n, p, h, Y);
    if (dY) {
        cpae__gemm(false, false, n, p * h, n, 1.0, G, n, Z, p * h, 0.0, F, p * h);
        unpack(F, n, p, h, dY);
    }
    free(w);
    return CPAE_OK;
}

int32_t cpae__expm_action_adjoint(const double *G, int64_t n, const double *B, int64_t p,
                                  int64_t h, const double *t, const double *Rbar, double *gG,
                                  double *gB, double *gt, const char *func)
{
    double x;
    int32_t st;
    if ((st = cpae__check_ptr(Rbar, func, "Rbar")) ||
        (st = action_checks(G, n, B, p, h, t, &x, func)) ||
        (st = cpae__check_finite_d(Rbar, n * p * h, func, "Rbar")))
        return st;
    if (p == 0 || (!gG && !gB && !gt))
        return CPAE_OK;
    int32_t m;
    int64_t s;
    cpae__action_params(x, &m, &s);
    if (m == 0) /* G = 0 or all t = 0: degree 1 still carries d/dG = t Rbar B^T */
        m = 1;
    const int64_t w = p * h, nw = n * w;
    /* Z F X0 X1 | W T Zb | Zs: s panels | V: m + 1 panels */
    double cnt = (7.0 + (double)s + (double)m + 1.0) * (double)nw + 5.0 * (double)p;
    if (cnt > 9.0e15)
        return cpae__fail(CPAE_E_LIMIT, func, "%g scaling steps: too many", (double)s);
    const int64_t count = (int64_t)cnt;
    double *wk = cpae__dalloc(count);
    int32_t *mq = malloc((size_t)s * sizeof(int32_t));
    if (!wk || !mq) {
        free(wk);
        free(mq);
        return cpae__nomem(func, count);
    }
    double *Z = wk, *F = Z + nw, *X0 = F + nw, *X1 = X0 + nw, *W = X1 + nw, *T = W + nw,
           *Zb = T + nw, *Zs = Zb + nw, *V = Zs + s * nw, *nrm = V + (m + 1) * nw,
           *coef = nrm + 3 * p, *tau = coef + p;
    for (int64_t i = 0; i < p; i++)
        tau[i] = t[i] / (double)s;
    cpae__action_pack(B, n, p, h, Z);
    forward(G, n, p, h, tau, m, s, false, Z, F, X0, X1, nrm, coef, Zs, mq);
    if (!cpae__action_all_finite(Z, nw)) {
        st = cpae__fail(CPAE_E_NUMERIC, func, "exp(t G) B overflows (max |t| ||G||_1 = %g)", x);
        goto done;
    }
    cpae__action_pack(Rbar, n, p, h, Zb);
    if (gt) { /* <Rbar_i, G Y_i> */
        cpae__gemm(false, false, n, w, n, 1.0, G, n, Z, w, 0.0, F, w);
        for (int64_t i = 0; i < p; i++)
            gt[i] = 0.0;
        for (int64_t r = 0; r < n; r++)
            for (int64_t i = 0; i < p; i++)
                for (int64_t l = 0; l < h; l++)
                    gt[i] += Zb[r * w + i * h + l] * F[r * w + i * h + l];
    }
    for (int64_t q = s - 1; q >= 0 && (gG || gB); q--) {
        const int32_t mm = mq[q];
        if (mm == 0)
            continue; /* the step was the identity */
        /* recompute the step's terms V_0..V_mm */
        memcpy(V, Zs + q * nw, (size_t)nw * sizeof(double));
        for (int32_t j = 1; j <= mm; j++) {
            double *Vj = V + j * nw;
            cpae__gemm(false, false, n, w, n, 1.0, G, n, Vj - nw, w, 0.0, Vj, w);
            for (int64_t i = 0; i < p; i++)
                coef[i] = tau[i] / (double)j;
            scale_blocks(Vj, n, p, h, coef);
        }
        /* W_mm = Zbar'; T = (tau/j) W_j; Gbar += T V_{j-1}^T;
         * W_{j-1} = Zbar' + G^T T */
        memcpy(W, Zb, (size_t)nw * sizeof(double));
        for (int32_t j = mm; j >= 1; j--) {
            memcpy(T, W, (size_t)nw * sizeof(double));
            for (int64_t i = 0; i < p; i++)
                coef[i] = tau[i] / (double)j;
            scale_blocks(T, n, p, h, coef);
            if (gG)
                cpae__gemm(false, true, n, n, w, 1.0, T, w, V + (j - 1) * nw, w, 1.0, gG, n);
            memcpy(W, Zb, (size_t)nw * sizeof(double));
            cpae__gemm(true, false, n, w, n, 1.0, G, n, T, w, 1.0, W, w);
        }
        memcpy(Zb, W, (size_t)nw * sizeof(double));
    }
    if (gB)
        unpack(Zb, n, p, h, gB);
done:
    free(wk);
    free(mq);
    return st;
}
