/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* generator.c -- the public generator handle cpae_lie: k generators
 * G_1..G_k (d x d) in one allocation, created with Gaussian entries, set
 * from and read to float, cloned; and their normalisation, each G_j (its
 * skew part (G_j - G_j^T)/2 for CPAE_LIE_SKEW) scaled to unit Frobenius norm
 * and the k made Frobenius-orthonormal by modified Gram-Schmidt (docs/math.md
 * section 3). Why: theta is only comparable across generators and training
 * steps when the generators have a fixed scale and no redundant directions;
 * the trainer re-normalises after every step through cpae__lie_normalize. */
#include "lie/lie.h"

#include "lie/util.h"
#include "core/vector.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cpae_lie_set: skew-symmetry tolerance ||G + G^T||_F <= tol ||G||_F (the
 * public contract). */
#define LIE_SET_SKEW_TOL 1e-6

/* cpae_lie_set: dependence tolerance of the Gram-Schmidt. The input is
 * float: a combination of generators rounded to float leaves a residual of
 * order FLT_EPSILON, which must count as dependent, not as a new direction
 * made of rounding noise. Same relative level as the skew check. */
#define LIE_SET_DEP_TOL 1e-6

/* ------------------------------------------------------------- helpers */

static bool valid_param(int32_t param)
{
    return param == CPAE_LIE_GENERAL || param == CPAE_LIE_SKEW || param == CPAE_LIE_FIXED;
}

/* Replace G (d x d) by its skew part (G - G^T)/2, exactly skew. */
static void skew_part(double *G, int64_t d)
{
    for (int64_t a = 0; a < d; a++) {
        G[a * d + a] = 0.0;
        for (int64_t b = a + 1; b < d; b++) {
            double v = 0.5 * (G[a * d + b] - G[b * d + a]);
            G[a * d + b] = v;
            G[b * d + a] = -v;
        }
    }
}

/* Restore bitwise skew-symmetry from the upper triangle. */
static void mirror_skew(double *G, int64_t d)
{
    for (int64_t a = 0; a < d; a++) {
        G[a * d + a] = 0.0;
        for (int64_t b = a + 1; b < d; b++)
            G[b * d + a] = -G[a * d + b];
    }
}

/* Largest |G_i| over n finite values (8 lanes: vectorised). */
CPAE__VECTOR static double abs_max(const double *G, int64_t n)
{
    double lane[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int u = 0; u < 8; u++) {
            double a = fabs(G[i + u]);
            lane[u] = a > lane[u] ? a : lane[u];
        }
    double m = 0.0;
    for (; i < n; i++)
        m = fabs(G[i]) > m ? fabs(G[i]) : m;
    for (int u = 0; u < 8; u++)
        m = lane[u] > m ? lane[u] : m;
    return m;
}

/* sum (s G_i)^2 over n values (8 partial sums: vectorised). */
CPAE__VECTOR static double sum_sq_scaled(const double *G, int64_t n, double s)
{
    double lane[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int u = 0; u < 8; u++) {
            double v = s * G[i + u];
            lane[u] += v * v;
        }
    double t = 0.0;
    for (; i < n; i++)
        t += (s * G[i]) * (s * G[i]);
    for (int u = 0; u < 8; u++)
        t += lane[u];
    return t;
}

CPAE__VECTOR static void scale_all(double *G, int64_t n, double s)
{
    for (int64_t i = 0; i < n; i++)
        G[i] *= s;
}

/* Normalise k generators (d x d each) in place; see cpae__lie_normalize.
 * tol is the relative dependence tolerance. On failure g is garbage. */
static int32_t normalize_core(double *g, int64_t k, int64_t d, int32_t param, double tol,
                              const char *fn)
{
    const int64_t nn = d * d;
    for (int64_t j = 0; j < k; j++) {
        double *G = g + j * nn;
        if (!cpae__finite_d(G, nn)) {
            int64_t i = 0;
            while (fabs(G[i]) <= DBL_MAX)
                i++;
            return cpae__fail(CPAE_E_NONFINITE, fn, "generator %lld has a %s entry",
                              (long long)j, isnan(G[i]) ? "NaN" : "infinite");
        }
        if (param == CPAE_LIE_SKEW)
            skew_part(G, d);
        double amax = abs_max(G, nn);
        if (amax == 0.0)
            return cpae__fail(CPAE_E_INVALID, fn, "generator %lld is zero%s", (long long)j,
                              param == CPAE_LIE_SKEW ? " (its skew part is zero)" : "");
        /* Near either end of the range, first an exact power-of-2 scaling so
         * that 1 / amax is a normal number. */
        double pre = amax < 0x1p-1000 ? 0x1p600 : amax > 0x1p1000 ? 0x1p-600 : 1.0;
        if (pre != 1.0) {
            scale_all(G, nn, pre);
            amax *= pre;
        }
        /* Measured in units of the largest entry, the sum of squares neither
         * overflows nor underflows; then one scaling by 1 / (amax ||G/amax||). */
        double inv = 1.0 / amax;
        scale_all(G, nn, inv / sqrt(sum_sq_scaled(G, nn, inv)));
    }
    /* Modified Gram-Schmidt in the Frobenius inner product; a generator that
     * loses more than half its norm is orthogonalised a second time
     * ("twice is enough"), so near-dependent inputs stay orthonormal. */
    for (int64_t j = 1; j < k; j++) {
        double *G = g + j * nn, r = 1.0;
        for (int pass = 0; pass < 2; pass++) {
            for (int64_t i = 0; i < j; i++) {
                const double *Q = g + i * nn;
                double c = cpae__dot(Q, G, nn);
                for (int64_t t = 0; t < nn; t++)
                    G[t] -= c * Q[t];
            }
            r = sqrt(cpae__dot(G, G, nn));
            if (!(r >= tol))
                return cpae__fail(CPAE_E_INVALID, fn, "generator %lld is linearly dependent "
                                  "on generators 0..%lld (relative residual %.3g < %.3g)",
                                  (long long)j, (long long)(j - 1), r, tol);
            if (r >= 0.5)
                break;
        }
        for (int64_t t = 0; t < nn; t++)
            G[t] /= r;
    }
    if (param == CPAE_LIE_SKEW)
        for (int64_t j = 0; j < k; j++)
            mirror_skew(g + j * nn, d);
    return CPAE_OK;
}

/* ---------------------------------------------------- internal interface */

int32_t cpae__lie_alloc(int64_t d, int64_t k, int32_t param, struct cpae_lie **out,
                        const char *func)
{
    if (d < 1)
        return cpae__fail(CPAE_E_SIZE, func, "d = %lld, must be >= 1", (long long)d);
    if (d > CPAE_MAX_WIDTH)
        return cpae__fail(CPAE_E_LIMIT, func, "d = %lld exceeds CPAE_MAX_WIDTH (%d)",
                          (long long)d, CPAE_MAX_WIDTH);
    if (k < 1)
        return cpae__fail(CPAE_E_SIZE, func, "k = %lld, must be >= 1", (long long)k);
    const int64_t nn = d * d; /* <= 2^48 */
    if (k > nn)
        return cpae__fail(CPAE_E_SIZE, func, "k = %lld exceeds d*d = %lld, the dimension "
                          "of the d x d matrices", (long long)k, (long long)nn);
    if (!valid_param(param))
        return cpae__fail(CPAE_E_INVALID, func, "param is %d; use CPAE_LIE_GENERAL, "
                          "CPAE_LIE_SKEW or CPAE_LIE_FIXED", (int)param);
    if (param == CPAE_LIE_SKEW && k > d * (d - 1) / 2)
        return cpae__fail(CPAE_E_SIZE, func, "k = %lld exceeds d(d-1)/2 = %lld, the "
                          "dimension of the skew-symmetric d x d matrices", (long long)k,
                          (long long)(d * (d - 1) / 2));
    int64_t total;
    if (!cpae__mul_ok(k, nn, &total) || total > CPAE_MAX_PARAMS)
        return cpae__fail(CPAE_E_LIMIT, func, "k*d*d = %lld*%lld exceeds CPAE_MAX_PARAMS",
                          (long long)k, (long long)nn);
    /* One block: the struct, then the generators, 16-byte aligned. */
    size_t head = (sizeof(struct cpae_lie) + 15) & ~(size_t)15;
    if ((uint64_t)total > (SIZE_MAX - head) / sizeof(double))
        return cpae__fail(CPAE_E_NOMEM, func, "%lld generator entries do not fit in memory",
                          (long long)total);
    size_t bytes = head + (size_t)total * sizeof(double);
    struct cpae_lie *lie = calloc(1, bytes);
    if (!lie)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate %zu bytes", bytes);
    lie->d = d;
    lie->k = k;
    lie->param = param;
    lie->trainable = param != CPAE_LIE_FIXED;
    lie->g = (double *)((char *)lie + head);
    lie->alloc_bytes = bytes;
    *out = lie;
    return CPAE_OK;
}

int32_t cpae__lie_normalize(struct cpae_lie *lie, const char *func)
{
    int64_t total = lie->k * lie->d * lie->d;
    double *w = cpae__dalloc(total);
    if (!w)
        return cpae__nomem(func, total);
    memcpy(w, lie->g, (size_t)total * sizeof(double));
    int32_t st = normalize_core(w, lie->k, lie->d, lie->param, CPAE__LIE_DEP_TOL, func);
    if (st == CPAE_OK)
        memcpy(lie->g, w, (size_t)total * sizeof(double));
    free(w);
    return st;
}

int32_t cpae__lie_normalize_in_place(struct cpae_lie *lie, const char *func)
{
    return normalize_core(lie->g, lie->k, lie->d, lie->param, CPAE__LIE_DEP_TOL, func);
}

int32_t cpae__lie_normalize_values(const struct cpae_lie *lie, double *g, const char *func)
{
    return normalize_core(g, lie->k, lie->d, lie->param, CPAE__LIE_DEP_TOL, func);
}

int32_t cpae__lie_check_j(const struct cpae_lie *lie, int64_t j, const char *fn)
{
    if (j < 0 || j >= lie->k)
        return cpae__fail(CPAE_E_INVALID, fn, "generator index j = %lld is outside [0, %lld)",
                          (long long)j, (long long)lie->k);
    return CPAE_OK;
}

/* ------------------------------------------------------------ handles */

int32_t cpae_lie_create(int64_t d, int64_t k, int32_t param, uint64_t seed, cpae_lie **out)
{
    static const char fn[] = "cpae_lie_create";
    cpae__clear_error();
    int32_t st;
    struct cpae_lie *lie = NULL;
    if ((st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__lie_alloc(d, k, param, &lie, fn)))
        return st;
    /* Standard normal entries, row by row, generator by generator; skew:
     * S - S^T. FIXED starts like GENERAL (the user normally sets it). */
    cpae_rng rng;
    cpae__rng_seed(&rng, seed);
    const int64_t nn = d * d;
    for (int64_t i = 0; i < k * nn; i++)
        lie->g[i] = cpae__rng_normal(&rng);
    if (param == CPAE_LIE_SKEW)
        for (int64_t j = 0; j < k; j++) {
            double *G = lie->g + j * nn;
            for (int64_t a = 0; a < d; a++) {
                G[a * d + a] = 0.0;
                for (int64_t b = a + 1; b < d; b++) {
                    double v = G[a * d + b] - G[b * d + a];
                    G[a * d + b] = v;
                    G[b * d + a] = -v;
                }
            }
        }
    /* Random Gaussian generators are independent with probability 1. */
    if ((st = normalize_core(lie->g, k, d, param, CPAE__LIE_DEP_TOL, fn))) {
        free(lie);
        return st;
    }
    *out = lie;
    return CPAE_OK;
}

void cpae_lie_destroy(cpae_lie *lie) { free(lie); }

int32_t cpae_lie_clone(const cpae_lie *lie, cpae_lie **out)
{
    static const char fn[] = "cpae_lie_clone";
    cpae__clear_error();
    int32_t st;
    struct cpae_lie *c = NULL;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__lie_alloc(lie->d, lie->k, lie->param, &c, fn)))
        return st;
    memcpy(c->g, lie->g, (size_t)(lie->k * lie->d * lie->d) * sizeof(double));
    c->trainable = lie->trainable;
    *out = c;
    return CPAE_OK;
}

int32_t cpae_lie_set_trainable(cpae_lie *lie, int32_t trainable)
{
    static const char fn[] = "cpae_lie_set_trainable";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(lie, fn, "lie");
    if (st)
        return st;
    if (trainable != 0 && trainable != 1)
        return cpae__fail(CPAE_E_INVALID, fn, "trainable is %d; must be 0 or 1", (int)trainable);
    if (trainable && lie->param == CPAE_LIE_FIXED)
        return cpae__fail(CPAE_E_INVALID, fn, "CPAE_LIE_FIXED generators are never learned");
    lie->trainable = trainable == 1;
    return CPAE_OK;
}

int32_t cpae_lie_trainable(const cpae_lie *lie, int32_t *trainable)
{
    static const char fn[] = "cpae_lie_trainable";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(trainable, fn, "trainable")))
        return st;
    *trainable = cpae__lie_learned(lie) ? 1 : 0;
    return CPAE_OK;
}

int32_t cpae_lie_info(const cpae_lie *lie, int64_t *d, int64_t *k, int32_t *param)
{
    static const char fn[] = "cpae_lie_info";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")))
        return st;
    if (d)
        *d = lie->d;
    if (k)
        *k = lie->k;
    if (param)
        *param = lie->param;
    return CPAE_OK;
}

int32_t cpae_lie_set(cpae_lie *lie, const float *g, int64_t len)
{
    static const char fn[] = "cpae_lie_set";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(g, fn, "g")))
        return st;
    const int64_t d = lie->d, k = lie->k, nn = d * d, total = k * nn;
    if (len != total)
        return cpae__fail(CPAE_E_SIZE, fn, "len = %lld, expected k*d*d = %lld",
                          (long long)len, (long long)total);
    if ((st = cpae__check_finite_f(g, len, fn, "g")))
        return st;
    double *w = cpae__dalloc(total);
    if (!w)
        return cpae__nomem(fn, total);
    for (int64_t i = 0; i < total; i++)
        w[i] = (double)g[i];
    /* Per-generator checks on the values as given. Float squares fit in a
     * double: no scaling needed. */
    for (int64_t j = 0; j < k && st == CPAE_OK; j++) {
        const double *G = w + j * nn;
        double n2 = cpae__dot(G, G, nn);
        if (n2 == 0.0) {
            st = cpae__fail(CPAE_E_INVALID, fn, "generator %lld is zero", (long long)j);
            break;
        }
        if (lie->param == CPAE_LIE_SKEW) {
            double a2 = 0.0;
            for (int64_t a = 0; a < d; a++)
                for (int64_t b = 0; b < d; b++) {
                    double s = G[a * d + b] + G[b * d + a];
                    a2 += s * s;
                }
            double ratio = sqrt(a2) / sqrt(n2);
            if (!(ratio <= LIE_SET_SKEW_TOL))
                st = cpae__fail(CPAE_E_INVALID, fn, "generator %lld is not skew-symmetric "
                                "(||G + G^T|| / ||G|| = %.3g > %.0e) but the generators "
                                "are CPAE_LIE_SKEW", (long long)j, ratio, LIE_SET_SKEW_TOL);
        }
    }
    /* Normalise the scratch copy (skew: its exact skew part); the handle is
     * only written once everything succeeded. */
    if (st == CPAE_OK)
        st = normalize_core(w, k, d, lie->param, LIE_SET_DEP_TOL, fn);
    if (st == CPAE_OK)
        memcpy(lie->g, w, (size_t)total * sizeof(double));
    free(w);
    return st;
}

int32_t cpae_lie_get(const cpae_lie *lie, float *g, int64_t cap)
{
    static const char fn[] = "cpae_lie_get";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(g, fn, "g")) ||
        (st = cpae__check_cap(cap, lie->k * lie->d * lie->d, fn, "g")))
        return st;
    /* Unit-norm generators: every entry is in [-1, 1]. */
    for (int64_t i = 0; i < lie->k * lie->d * lie->d; i++)
        g[i] = (float)lie->g[i];
    return CPAE_OK;
}
