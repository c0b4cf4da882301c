/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* lie_pair.c -- one pair of the Lie regularizer's local form (docs/math.md
 * section 3): theta, the residual R and, in the tangent form, the gauge
 * term E. Generic: compiled once per precision (core/real.h). The tangent
 * form's projector and pseudo-inverse come from a thin SVD of A' with a
 * rank cut; in float the pair is converted and solved in double (a near
 * cut is where float and double would otherwise disagree). */
#include "train/lie_pair.h"

#include <float.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

#include "lie/theta.h"
#include "train/loss.h"

#include "core/real.h"

void X(lie_blocks_to_side)(const real *blk, int64_t P, int64_t d, int64_t h, real *side)
{
    for (int64_t p = 0; p < P; p++)
        for (int64_t r = 0; r < d; r++)
            memcpy(side + r * P * h + p * h, blk + (p * d + r) * h, (size_t)h * sizeof(real));
}

void X(lie_side_to_blocks)(const real *side, int64_t P, int64_t d, int64_t h, real *blk)
{
    for (int64_t p = 0; p < P; p++)
        for (int64_t r = 0; r < d; r++)
            memcpy(blk + (p * d + r) * h, side + r * P * h + p * h, (size_t)h * sizeof(real));
}

/* gesvd's workspace (values) for the thin SVD below, by LAPACK's query. */
static int64_t X(svd_work_size)(int64_t d, int64_t h)
{
    real a = 0, s = 0, u = 0, vt = 0, q = 0;
    lapack_int info = LAPACKE_R(gesvd_work)(LAPACK_COL_MAJOR, 'S', 'S', (lapack_int)h,
                                            (lapack_int)d, &a, (lapack_int)h, &s, &u,
                                            (lapack_int)h, &vt, (lapack_int)h, &q, -1);
    return info == 0 ? (int64_t)q + 1 : -1;
}

/* Thin SVD of A' = U S V^T (d x h, row-major, in w->proj, destroyed):
 * U into w->Q (d x h), S into w->tau (h, zero past min(d, h)), V^T into
 * w->Vt (h x h, zero rows past min(d, h)). Row-major A' is column-major
 * A'^T = V S U^T, so LAPACK's column-major routine (no transposed copies,
 * no allocation: the _work interface) returns V^T and U in row-major
 * order directly. */
static int32_t X(thin_svd)(X(pair_ws) *w, int64_t d, int64_t h, const char *fn)
{
    int64_t mn = d < h ? d : h;
    lapack_int info = LAPACKE_R(gesvd_work)(LAPACK_COL_MAJOR, 'S', 'S', (lapack_int)h,
                                            (lapack_int)d, w->proj, (lapack_int)h, w->tau,
                                            w->Vt, (lapack_int)h, w->Q, (lapack_int)h,
                                            w->svd_work, (lapack_int)w->n_svd);
    if (info != 0)
        return cpae__fail(CPAE_E_NUMERIC, fn, "gesvd failed (%d)", (int)info);
    for (int64_t c = mn; c < h; c++) {
        w->tau[c] = 0;
        for (int64_t e = 0; e < h; e++)
            w->Vt[c * h + e] = 0;
        for (int64_t a = 0; a < d; a++)
            w->Q[a * h + c] = 0;
    }
    return CPAE_OK;
}

bool X(lie_pair_ws_init)(X(pair_ws) *w, int64_t k, int64_t d, int64_t h, int32_t form,
                         cpae__pool *pool)
{
    int64_t len = d * h, np = (k + 1) / 2 * 2; /* gap pointers, padded to 16 bytes */
    int64_t nr = (k + 4) * len + h + 3 * h * h;
    memset(w, 0, sizeof *w);
    w->pool = pool;
    w->gap = cpae__pool_alloc(pool, (size_t)np * sizeof(real *) + (size_t)nr * sizeof(real));
    if (!w->gap)
        return false;
    w->delta = (real *)(w->gap + np);
    w->proj = w->delta + len;           /* (k + 1) len */
    w->R = w->proj + (k + 1) * len;
    w->Q = w->R + len;
    w->tau = w->Q + len;                /* h singular values */
    w->Vt = w->tau + h;
    w->E = w->Vt + h * h;
    w->W = w->E + h * h;
#if CPAE__TPL == 32
    if (form == CPAE__FORM_TANGENT) { /* the double twin solves; it has the workspaces */
        cpae__pair_ws *tw = cpae__pool_alloc(pool, sizeof *tw);
        w->twin = tw;
        w->dbl = cpae__pool_alloc(pool, (size_t)((k + 2) * len) * sizeof(double));
        if (tw)
            memset(tw, 0, sizeof *tw);
        return tw && w->dbl && cpae__lie_pair_ws_init(tw, k, d, h, form, pool);
    }
#endif
    int64_t lsq = X(lie_theta_scratch)(k, len);
    if (lsq < 0 || (lsq > 0 && !(w->lsq = cpae__pool_alloc(pool, (size_t)lsq))))
        return false;
    if (form == CPAE__FORM_TANGENT &&
        ((w->n_svd = X(svd_work_size)(d, h)) < 0 ||
         !(w->svd_work = cpae__pool_alloc(pool, (size_t)w->n_svd * sizeof(real)))))
        return false;
    return true;
}

void X(lie_pair_ws_free)(X(pair_ws) *w)
{
#if CPAE__TPL == 32
    if (w->twin)
        cpae__lie_pair_ws_free(w->twin);
    cpae__pool_free(w->pool, w->twin);
    cpae__pool_free(w->pool, w->dbl);
#endif
    cpae__pool_free(w->pool, w->lsq);
    cpae__pool_free(w->pool, w->svd_work);
    cpae__pool_free(w->pool, (void *)w->gap); /* the block's start */
    memset(w, 0, sizeof *w);
}

int64_t X(lie_theta_scratch)(int64_t k, int64_t len)
{
    int64_t lsq = cpae__theta_local_scratch(k, len);
    if (lsq <= 0)
        return lsq;
#if CPAE__TPL == 32 /* k pointers (padded to 16 bytes), the double copies, the solver's */
    return (k + 1) / 2 * 2 * (int64_t)sizeof(double *) + ((k + 1) * len + lsq) * 8;
#else
    return lsq * (int64_t)sizeof(double);
#endif
}

int32_t X(lie_theta_solve)(const real *target, const real *const *gap, int64_t k, int64_t len,
                           double *theta, void *scratch, const char *fn)
{
#if CPAE__TPL == 64
    return cpae__theta_local(target, gap, k, len, theta, NULL, scratch, fn);
#else
    if (k == 1) {
        double gg = 0.0, gt = 0.0;
        for (int64_t e = 0; e < len; e++) {
            gg += (double)gap[0][e] * (double)gap[0][e];
            gt += (double)gap[0][e] * (double)target[e];
        }
        theta[0] = gg > 0.0 ? gt / gg : 0.0;
        return CPAE_OK;
    }
    if (!scratch)
        return cpae__fail(CPAE_E_INTERNAL, fn, "no least-squares scratch");
    const double **g = scratch;
    double *buf = (double *)((char *)scratch + (k + 1) / 2 * 2 * sizeof(double *));
    for (int64_t e = 0; e < len; e++)
        buf[k * len + e] = target[e];
    for (int64_t j = 0; j < k; j++) {
        for (int64_t e = 0; e < len; e++)
            buf[j * len + e] = gap[j][e];
        g[j] = buf + j * len;
    }
    return cpae__theta_local(buf + k * len, g, k, len, theta, NULL, buf + (k + 1) * len, fn);
#endif
}

int32_t X(lie_pair_residual)(const real *Ai, const real *Ap, const real *ga, int64_t k,
                             int64_t d, int64_t h, int32_t form, X(pair_ws) *w, double *theta,
                             double *r, const char *fn)
{
    int64_t len = d * h;
#if CPAE__TPL == 32
    if (form == CPAE__FORM_TANGENT) { /* in double (see the file comment) */
        double *ai = w->dbl, *ap = ai + len, *g = ap + len;
        for (int64_t e = 0; e < len; e++) {
            ai[e] = Ai[e];
            ap[e] = Ap[e];
        }
        for (int64_t e = 0; e < k * len; e++)
            g[e] = ga[e];
        cpae__pair_ws *tw = w->twin;
        int32_t st = cpae__lie_pair_residual(ai, ap, g, k, d, h, form, tw, theta, r, fn);
        for (int64_t e = 0; !st && e < len; e++)
            w->R[e] = (real)tw->R[e];
        for (int64_t e = 0; !st && e < h * h; e++)
            w->E[e] = (real)tw->E[e];
        return st;
    }
#endif
    int32_t st;
    for (int64_t e = 0; e < len; e++)
        w->delta[e] = Ai[e] - Ap[e];
    if (form == CPAE__FORM_TANGENT) {
        /* The numerical range of A' by a thin SVD A' = U S V^T, rank r =
         * #{s_i > max(d, h) eps_float s_1} (the float cut in both
         * precisions, so they agree on r): the projector is U_r U_r^T and the
         * gauge term uses the pseudo-inverse V S_r^+ U_r^T. (A QR would
         * take directions made of rounding when A' is rank deficient, as a
         * ReLU decoder often makes it.) Q holds U_r, zero past column r. */
        real *S = w->tau;
        memcpy(w->proj, Ap, (size_t)len * sizeof(real));
        if ((st = X(thin_svd)(w, d, h, fn)))
            return st;
        double tol = (double)(d > h ? d : h) * FLT_EPSILON * (double)S[0];
        for (int64_t c = 0; c < h; c++)
            if (!((double)S[c] > tol)) {
                S[c] = 0;
                for (int64_t a = 0; a < d; a++)
                    w->Q[a * h + c] = 0;
            }
        for (int64_t j = 0; j <= k; j++) {
            const real *src = j < k ? ga + j * len : w->delta;
            real *dst = w->proj + j * len;
            /* dst = src - Q (Q^T src) */
            X(gemm)(true, false, h, h, d, 1.0, w->Q, h, src, h, 0.0, w->W, h);
            memcpy(dst, src, (size_t)len * sizeof(real));
            X(gemm)(false, false, d, h, h, -1.0, w->Q, h, w->W, h, 1.0, dst, h);
            if (j < k)
                w->gap[j] = dst;
        }
    } else {
        for (int64_t j = 0; j < k; j++)
            w->gap[j] = ga + j * len;
        memcpy(w->proj + k * len, w->delta, (size_t)len * sizeof(real));
    }
    const real *target = w->proj + k * len;
    if ((st = X(lie_theta_solve)(target, w->gap, k, len, theta, w->lsq, fn)))
        return st;
    double rr = 0.0;
    for (int64_t e = 0; e < len; e++) {
        double v = target[e];
        for (int64_t j = 0; j < k; j++)
            v -= theta[j] * w->gap[j][e];
        w->R[e] = v;
        rr += v * v;
    }
    *r = rr;
    if (form == CPAE__FORM_TANGENT) {
        /* E = R_qr^{-1} Q^T (Delta - sum theta_j G_j A') (unprojected). */
        for (int64_t e = 0; e < len; e++) {
            double v = w->delta[e];
            for (int64_t j = 0; j < k; j++)
                v -= theta[j] * ga[j * len + e];
            w->proj[e] = v; /* slot 0 is free again */
        }
        /* E = V S_r^+ U_r^T (...) */
        X(gemm)(true, false, h, h, d, 1.0, w->Q, h, w->proj, h, 0.0, w->W, h);
        for (int64_t c = 0; c < h; c++) {
            real inv = w->tau[c] > 0 ? 1 / w->tau[c] : 0;
            for (int64_t e = 0; e < h; e++)
                w->W[c * h + e] *= inv;
        }
        X(gemm)(true, false, h, h, h, 1.0, w->Vt, h, w->W, h, 0.0, w->E, h);
    }
    return CPAE_OK;
}

