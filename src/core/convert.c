/* convert.c -- the float API's values in and out of the library's doubles:
 * inputs checked finite on the way in, capacities checked on the way out. */
#include "core/core.h"
#include "core/vector.h"

#include <float.h>
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


/* ------------------------------------------- bulk loops (vectorised) */

CPAE__VECTOR bool cpae__finite_f(const float *x, int64_t n)
{
    int bad = 0; /* branch-free: one pass the vector units can take */
    for (int64_t i = 0; i < n; i++)
        bad |= !(fabsf(x[i]) <= FLT_MAX);
    return !bad;
}

CPAE__VECTOR bool cpae__within_float(const double *x, int64_t n)
{
    int bad = 0;
    for (int64_t i = 0; i < n; i++)
        bad |= !(fabs(x[i]) <= FLT_MAX);
    return !bad;
}

CPAE__VECTOR void cpae__widen(const float *src, int64_t n, double *dst)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = (double)src[i];
}

CPAE__VECTOR void cpae__narrow(const double *src, int64_t n, float *dst)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
}
