/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* util.c -- the Lie wing's shared private helpers (see util.h): size and
 * finiteness checks, checked double allocation, dot product, LAPACKE
 * status mapping. Kept in one place so pade.c, skew.c, theta.c, orbit.c and
 * the handle files report the same conditions with the same messages. */
#include "lie/util.h"

#include "core/pool.h"

#include <lapacke.h>

#include <math.h>
#include <stdlib.h>

int32_t cpae__check_dim(int64_t n, const char *func, const char *name)
{
    if (n < 1)
        return cpae__fail(CPAE_E_SIZE, func, "'%s' is %lld, must be >= 1", name,
                          (long long)n);
    if (n > CPAE_MAX_WIDTH)
        return cpae__fail(CPAE_E_LIMIT, func, "'%s' is %lld, limit %d", name,
                          (long long)n, CPAE_MAX_WIDTH);
    return CPAE_OK;
}

int32_t cpae__check_finite_d(const double *x, int64_t count, const char *func,
                             const char *name)
{
    if (cpae__finite_d(x, count)) /* the usual case: one vectorised pass */
        return CPAE_OK;
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return cpae__fail(CPAE_E_NONFINITE, func, "'%s'[%lld] is %s", name,
                              (long long)i, isnan(x[i]) ? "NaN" : "infinite");
    return CPAE_OK;
}

double *cpae__dalloc(int64_t count)
{
    if (count < 0 || (uint64_t)count > SIZE_MAX / sizeof(double))
        return NULL;
    return malloc((size_t)(count > 0 ? count : 1) * sizeof(double));
}

double *cpae__dalloc_in(cpae__pool *pool, int64_t count)
{
    if (count < 0 || (uint64_t)count > SIZE_MAX / sizeof(double))
        return NULL;
    return cpae__pool_alloc(pool, (size_t)(count > 0 ? count : 1) * sizeof(double));
}

int32_t cpae__nomem(const char *func, int64_t count)
{
    return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate %lld doubles",
                      (long long)count);
}

double cpae__dot(const double *a, const double *b, int64_t len)
{
    double s = 0.0;
    for (int64_t i = 0; i < len; i++)
        s += a[i] * b[i];
    return s;
}

int32_t cpae__lapack_status(int64_t info, const char *routine, const char *func)
{
    if (info == 0)
        return CPAE_OK;
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return cpae__fail(CPAE_E_NOMEM, func, "%s: out of memory", routine);
    if (info > 0)
        return cpae__fail(CPAE_E_NUMERIC, func, "%s failed (info = %d)", routine,
                          (int)info);
    return cpae__fail(CPAE_E_INTERNAL, func, "%s: illegal argument %d", routine,
                      (int)-info);
}

double cpae__norm1(const double *A, int64_t n, double *colsum)
{
    for (int64_t j = 0; j < n; j++)
        colsum[j] = 0.0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            colsum[j] += fabs(A[i * n + j]);
    double v = 0.0;
    for (int64_t j = 0; j < n; j++)
        if (colsum[j] > v || isnan(colsum[j]))
            v = colsum[j];
    return v;
}
