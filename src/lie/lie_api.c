/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* lie_api.c -- the public float entry points over a generator handle's
 * kernels: cpae_lie_expm, E = exp(sum_j theta_j G_j) (Pade, pade.h);
 * cpae_lie_orbit, the rows exp(theta_t G_j) x0 (orbit.h); and
 * cpae_shift_generator, the cyclic-shift generator (docs/math.md sections 3
 * and 7). Why a file of its own: these check the public arguments, convert
 * float <-> double and refuse results a float cannot hold, so the kernels
 * stay in double and free of API concerns. */
#include "lie/lie.h"

#include "lie/orbit.h"
#include "lie/pade.h"
#include "lie/util.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Write n doubles to floats; CPAE_E_NUMERIC (nothing written) if a value
 * does not fit in a float. */
static int32_t store_f(float *dst, const double *src, int64_t n, const char *fn,
                       const char *what)
{
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(src[i]) <= (double)FLT_MAX))
            return cpae__fail(CPAE_E_NUMERIC, fn, "%s[%lld] = %g is not representable "
                              "as a float", what, (long long)i, src[i]);
    for (int64_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
    return CPAE_OK;
}

/* ------------------------------------------------- exponential, orbits */

int32_t cpae_lie_expm(const cpae_lie *lie, const double *theta, int64_t n_theta, float *e,
                      int64_t cap)
{
    static const char fn[] = "cpae_lie_expm";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(theta, fn, "theta")) ||
        (st = cpae__check_ptr(e, fn, "e")))
        return st;
    const int64_t d = lie->d, nn = d * d;
    if (n_theta != lie->k)
        return cpae__fail(CPAE_E_SIZE, fn, "n_theta = %lld, expected k = %lld",
                          (long long)n_theta, (long long)lie->k);
    if ((st = cpae__check_cap(cap, nn, fn, "e")) ||
        (st = cpae__check_finite_d(theta, n_theta, fn, "theta")))
        return st;
    double *w = cpae__dalloc(2 * nn);
    if (!w)
        return cpae__nomem(fn, 2 * nn);
    double *X = w, *E = w + nn;
    memset(X, 0, (size_t)nn * sizeof(double));
    for (int64_t j = 0; j < lie->k; j++) {
        const double *G = lie->g + j * nn;
        for (int64_t i = 0; i < nn; i++)
            X[i] += theta[j] * G[i];
    }
    st = CPAE_OK;
    for (int64_t i = 0; i < nn; i++)
        if (!isfinite(X[i])) {
            st = cpae__fail(CPAE_E_NUMERIC, fn, "sum_j theta_j G_j overflows");
            break;
        }
    if (st == CPAE_OK)
        st = cpae__expm(X, d, E, fn);
    if (st == CPAE_OK)
        st = store_f(e, E, nn, fn, "exp");
    free(w);
    return st;
}

int32_t cpae_lie_orbit(const cpae_lie *lie, int64_t j, const float *x0, int64_t d,
                       const double *thetas, int64_t n_theta, float *out, int64_t cap)
{
    static const char fn[] = "cpae_lie_orbit";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(x0, fn, "x0")) ||
        (st = cpae__check_ptr(thetas, fn, "thetas")) || (st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__lie_check_j(lie, j, fn)))
        return st;
    if (d != lie->d)
        return cpae__fail(CPAE_E_SIZE, fn, "d = %lld but the generators are %lld x %lld",
                          (long long)d, (long long)lie->d, (long long)lie->d);
    if (n_theta < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "n_theta = %lld, must be >= 1", (long long)n_theta);
    int64_t need;
    if (!cpae__mul_ok(n_theta, d, &need))
        return cpae__fail(CPAE_E_SIZE, fn, "n_theta * d overflows");
    if ((st = cpae__check_cap(cap, need, fn, "out")) ||
        (st = cpae__check_finite_f(x0, d, fn, "x0")) ||
        (st = cpae__check_finite_d(thetas, n_theta, fn, "thetas")))
        return st;
    double *w = cpae__dalloc(need + d);
    if (!w)
        return cpae__nomem(fn, need + d);
    double *x = w, *res = w + d;
    for (int64_t i = 0; i < d; i++)
        x[i] = (double)x0[i];
    /* Exactly skew generators (CPAE_LIE_SKEW, or a skew matrix set into
     * GENERAL/FIXED) take cpae__orbit's eigendecomposition path. */
    st = cpae__orbit(lie->g + j * d * d, d, x, thetas, n_theta, res, fn);
    if (st == CPAE_OK)
        st = store_f(out, res, need, fn, "orbit");
    free(w);
    return st;
}

/* ------------------------------------------------------- shift generator */

int32_t cpae_shift_generator(int64_t d, float *g, int64_t cap)
{
    static const char fn[] = "cpae_shift_generator";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(g, fn, "g")))
        return st;
    if (d < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "d = %lld, must be >= 1", (long long)d);
    if (d > CPAE_MAX_WIDTH)
        return cpae__fail(CPAE_E_SIZE, fn, "d = %lld exceeds CPAE_MAX_WIDTH (%d)",
                          (long long)d, CPAE_MAX_WIDTH);
    const int64_t nn = d * d;
    if ((st = cpae__check_cap(cap, nn, fn, "g")))
        return st;
    double *G = cpae__dalloc(nn);
    if (!G)
        return cpae__nomem(fn, nn);
    if ((st = cpae__shift_generator(d, G)) == CPAE_OK)
        st = store_f(g, G, nn, fn, "G");
    free(G);
    return st;
}
