/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* bulk.c -- the loops a training step runs over every parameter: all
 * finite (float, double), all within the float range, float <-> double. Each is one flat
 * loop with no early exit, so the vector units take it (CPAE__VECTOR:
 * -O3 and an AVX2 clone). Depends on nothing but core.h. */
#include "core/core.h"
#include "core/vector.h"

#include <float.h>
#include <math.h>

/* The clones are static: an ifunc of an external function would be
 * exported past the version script; the cpae__ names below call them. */
CPAE__VECTOR static bool finite_f(const float *x, int64_t n)
{
    int bad = 0; /* branch-free: one pass the vector units can take */
    for (int64_t i = 0; i < n; i++)
        bad |= !(fabsf(x[i]) <= FLT_MAX);
    return !bad;
}

CPAE__VECTOR static bool finite_d(const double *x, int64_t n)
{
    int bad = 0;
    for (int64_t i = 0; i < n; i++)
        bad |= !(fabs(x[i]) <= DBL_MAX);
    return !bad;
}

CPAE__VECTOR static bool within_float(const double *x, int64_t n)
{
    int bad = 0;
    for (int64_t i = 0; i < n; i++)
        bad |= !(fabs(x[i]) <= FLT_MAX);
    return !bad;
}

CPAE__VECTOR static void widen(const float *src, int64_t n, double *dst)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = (double)src[i];
}

CPAE__VECTOR static void narrow(const double *src, int64_t n, float *dst)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
}

bool cpae__finite_f(const float *x, int64_t n) { return finite_f(x, n); }
bool cpae__finite_d(const double *x, int64_t n) { return finite_d(x, n); }
bool cpae__within_float(const double *x, int64_t n) { return within_float(x, n); }
void cpae__widen(const float *src, int64_t n, double *dst) { widen(src, n, dst); }
void cpae__narrow(const double *src, int64_t n, float *dst) { narrow(src, n, dst); }
