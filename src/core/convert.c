/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* convert.c -- the float API's values in and out of the library's doubles:
 * inputs checked finite on the way in, capacities checked on the way out. */
#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int32_t cpae__copy_in(double *dst, const float *src, int64_t len,
                      int64_t want, const char *fn, const char *name)
{
    int32_t st = cpae__check_ptr(src, fn, name);
    if (st)
        return st;
    if (len != want)
        return cpae__fail(CPAE_E_SIZE, fn, "length of '%s' is %lld, expected %lld",
                          name, (long long)len, (long long)want);
    st = cpae__check_finite_f(src, len, fn, name);
    if (st)
        return st;
    for (int64_t i = 0; i < len; i++)
        dst[i] = src[i];
    return CPAE_OK;
}

int32_t cpae__copy_out(float *dst, int64_t cap, const double *src,
                       int64_t want, const char *fn, const char *name)
{
    int32_t st = cpae__check_ptr(dst, fn, name);
    if (st)
        return st;
    st = cpae__check_cap(cap, want, fn, name);
    if (st)
        return st;
    for (int64_t i = 0; i < want; i++)
        dst[i] = (float)src[i];
    return CPAE_OK;
}

int32_t cpae__to_double(const float *x, int64_t n, double **out, const char *func,
                        const char *name)
{
    int32_t st = cpae__check_finite_f(x, n, func, name);
    if (st)
        return st;
    double *d = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    if (!d)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate %lld doubles", (long long)n);
    for (int64_t i = 0; i < n; i++)
        d[i] = x[i];
    *out = d;
    return CPAE_OK;
}
