/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* theta_local.c -- the local form's theta (theta.h, docs/math.md section
 * 3): min ||Delta - sum_j theta_j GA_j||^2, the closed form for one
 * generator and the minimum-norm dgelsd for several, its workspace queried
 * from LAPACK and taken from the caller's scratch when given. */
#include "lie/theta.h"

#include "lie/util.h"

#include <lapacke.h>

#include <float.h>
#include <stdlib.h>
#include <string.h>

/* dgelsd's workspace for a len x kG problem (optimal sizes by LAPACK's own
 * query, which allocates nothing). */
static bool gelsd_sizes(int64_t len, int64_t kG, int64_t *lwork, int64_t *liwork)
{
    int64_t ldb = len > kG ? len : kG;
    double a = 0.0, b = 0.0, s = 0.0, wq = 0.0;
    lapack_int rank = 0, iq = 0;
    lapack_int info = LAPACKE_dgelsd_work(LAPACK_COL_MAJOR, (lapack_int)len, (lapack_int)kG, 1,
                                          &a, (lapack_int)len, &b, (lapack_int)ldb, &s, -1.0,
                                          &rank, &wq, -1, &iq);
    *lwork = (int64_t)wq + 1;
    *liwork = iq > 1 ? iq : 1;
    return info == 0;
}

/* The scratch's doubles given dgelsd's sizes (-1: overflow). */
static int64_t scratch_count(int64_t kG, int64_t len, int64_t lwork, int64_t liwork)
{
    int64_t ldb = len > kG ? len : kG, mcount;
    int64_t iw = (liwork * (int64_t)sizeof(lapack_int) + 7) / 8; /* in doubles */
    if (!cpae__mul_ok(len, kG, &mcount) || mcount > INT64_MAX / 2 - ldb - kG - lwork - iw)
        return -1;
    return mcount + ldb + kG + lwork + iw;
}

int64_t cpae__theta_local_scratch(int64_t kG, int64_t len)
{
    if (kG <= 1 || kG > INT32_MAX || len < 1 || len > INT32_MAX)
        return 0;
    int64_t lwork = 0, liwork = 0;
    if (!gelsd_sizes(len, kG, &lwork, &liwork))
        return -1;
    return scratch_count(kG, len, lwork, liwork);
}

int32_t cpae__theta_local(const double *Delta, const double *const *GA,
                          int64_t kG, int64_t len, double *theta, double *resid,
                          double *scratch, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(Delta, func, "Delta")) ||
        (st = cpae__check_ptr(GA, func, "GA")) ||
        (st = cpae__check_ptr(theta, func, "theta")))
        return st;
    if (kG < 1 || len < 1)
        return cpae__fail(CPAE_E_SIZE, func, "kG = %lld and len = %lld must be >= 1",
                          (long long)kG, (long long)len);
    if (kG > INT32_MAX || len > INT32_MAX)
        return cpae__fail(CPAE_E_LIMIT, func, "kG or len exceeds the LAPACK range");
    if ((st = cpae__check_finite_d(Delta, len, func, "Delta")))
        return st;
    for (int64_t j = 0; j < kG; j++)
        if ((st = cpae__check_ptr(GA[j], func, "GA[j]")) ||
            (st = cpae__check_finite_d(GA[j], len, func, "GA[j]")))
            return st;

    if (kG == 1) {
        double gg = cpae__dot(GA[0], GA[0], len);
        double t = gg > 0.0 ? cpae__dot(Delta, GA[0], len) / gg : 0.0;
        if (resid) {
            double r2 = 0.0;
            for (int64_t i = 0; i < len; i++) {
                double r = Delta[i] - t * GA[0][i];
                r2 += r * r;
            }
            *resid = r2;
        }
        theta[0] = t;
        return CPAE_OK;
    }

    /* M (len x kG) column-major: column j is GA[j] verbatim, so LAPACKE
     * need not transpose. b has max(len, kG) rows; then dgelsd's work and
     * iwork, all in one block (the caller's scratch or a malloc). */
    int64_t ldb = len > kG ? len : kG, lwork = 0, liwork = 0, count = -1;
    if (gelsd_sizes(len, kG, &lwork, &liwork))
        count = scratch_count(kG, len, lwork, liwork);
    if (count < 0)
        return cpae__fail(CPAE_E_LIMIT, func, "len * kG overflows (or LAPACK's workspace "
                          "query failed)");
    int64_t mcount = len * kG;
    double *w = scratch ? scratch : cpae__dalloc(count);
    if (!w)
        return cpae__nomem(func, count);
    double *M = w, *b = w + mcount, *sv = b + ldb, *work = sv + kG;
    lapack_int *iwork = (lapack_int *)(work + lwork);
    for (int64_t j = 0; j < kG; j++)
        memcpy(M + j * len, GA[j], (size_t)len * sizeof(double));
    memcpy(b, Delta, (size_t)len * sizeof(double));
    for (int64_t i = len; i < ldb; i++)
        b[i] = 0.0;
    /* numpy's lstsq default: singular values below max(m, n) eps s_max are
     * treated as zero, which gives the minimum-norm solution on exactly
     * dependent columns despite rounding. */
    double rcond = (double)ldb * DBL_EPSILON;
    lapack_int rank = 0;
    lapack_int info = LAPACKE_dgelsd_work(LAPACK_COL_MAJOR, (lapack_int)len, (lapack_int)kG, 1,
                                          M, (lapack_int)len, b, (lapack_int)ldb, sv, rcond,
                                          &rank, work, (lapack_int)lwork, iwork);
    if ((st = cpae__lapack_status(info, "LAPACKE_dgelsd", func)) != CPAE_OK) {
        if (!scratch)
            free(w);
        return st;
    }
    if (resid) {
        double r2 = 0.0;
        for (int64_t i = 0; i < len; i++) {
            double r = Delta[i];
            for (int64_t j = 0; j < kG; j++)
                r -= b[j] * GA[j][i];
            r2 += r * r;
        }
        *resid = r2;
    }
    memcpy(theta, b, (size_t)kG * sizeof(double));
    if (!scratch)
        free(w);
    return CPAE_OK;
}

