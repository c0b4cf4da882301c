/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* statistics.c -- region statistics beyond one segment (docs/math.md
 * sections 2 and 5): regions met along an orbit exp(theta G) x0, and regions
 * in balls of growing radius against the data points in the same balls. */
#include "net/net.h"
#include "lie/lie.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One orbit sample: its parameter and the index of its code row. */
typedef struct sample {
    double theta;
    int64_t row;
} sample;

static int cmp_sample(const void *a, const void *b)
{
    double x = ((const sample *)a)->theta, y = ((const sample *)b)->theta;
    return (x > y) - (x < y);
}

/* Codes of the orbit points exp(thetas[t] G_j) x0 into codes (rows). */
static int32_t orbit_codes(const cpae_chain *c, const cpae_lie *lie, int64_t j,
                           const float *x0, int64_t dim, const double *thetas, int64_t n,
                           uint8_t *codes, int64_t cb, float *pf, double *pd, double *y,
                           const char *fn)
{
    int32_t st = cpae_lie_orbit(lie, j, x0, dim, thetas, n, pf, n * dim);
    if (st)
        return cpae__pass_on(st, fn, "orbit");
    for (int64_t i = 0; i < n * dim; i++)
        pd[i] = pf[i];
    return cpae__chain_forward(c, pd, n, y, codes, cb, fn);
}

int32_t cpae_model_orbit_regions(const cpae_model *model, int32_t stack, const cpae_lie *lie,
                                 int64_t j, const float *x0, int64_t dim, double theta0,
                                 double theta1, int64_t n_samples, int64_t refine,
                                 int64_t *n_distinct, int64_t *n_changes)
{
    static const char fn[] = "cpae_model_orbit_regions";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_points(model, stack, x0, 1, dim, &c, fn, "x0")) ||
        (st = cpae__check_ptr(lie, fn, "lie")) ||
        (st = cpae__check_ptr(n_distinct, fn, "n_distinct")) ||
        (st = cpae__check_ptr(n_changes, fn, "n_changes")) ||
        (st = cpae__check_finite_f(x0, dim, fn, "x0")))
        return st;
    if (lie->d != dim)
        return cpae__fail(CPAE_E_SIZE, fn, "the generators are %lld x %lld, the stack takes "
                          "%lld", (long long)lie->d, (long long)lie->d, (long long)dim);
    if (j < 0 || j >= lie->k)
        return cpae__fail(CPAE_E_INVALID, fn, "generator %lld outside [0, %lld)",
                          (long long)j, (long long)lie->k);
    if (!isfinite(theta0) || !isfinite(theta1) || !(theta0 < theta1) ||
        !isfinite(theta1 - theta0))
        return cpae__fail(CPAE_E_INVALID, fn, "need finite theta0 < theta1 (and a finite "
                          "theta1 - theta0)");
    if (n_samples < 2 || n_samples > (INT64_C(1) << 24) || refine < 0 || refine > 40)
        return cpae__fail(CPAE_E_INVALID, fn, "n_samples must be in [2, 2^24] and refine in "
                          "[0, 40] (got %lld, %lld)", (long long)n_samples,
                          (long long)refine);
    int64_t cb = cpae__bytes_for_bits(cpae__chain_bits(&c)), out = cpae__chain_out(&c);
    /* Every round adds at most one sample per gap: at most doubling. */
    int64_t cap = n_samples, total = n_samples;
    sample *s = malloc((size_t)cap * sizeof *s);
    uint8_t *codes = malloc((size_t)(cap * (cb ? cb : 1)));
    double *th = malloc((size_t)cap * sizeof(double));
    float *pf = malloc((size_t)(cap * dim) * sizeof(float));
    double *pd = malloc((size_t)(cap * dim) * sizeof(double));
    double *y = malloc((size_t)(cap * out) * sizeof(double));
    if (!s || !codes || !th || !pf || !pd || !y) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n_samples; i++) {
        th[i] = theta0 + (theta1 - theta0) * (double)i / (double)(n_samples - 1);
        s[i] = (sample){th[i], i};
    }
    if ((st = orbit_codes(&c, lie, j, x0, dim, th, n_samples, codes, cb, pf, pd, y, fn)))
        goto done;
    /* Bisect every gap whose ends lie in different regions: the midpoint
     * may reveal a region between them. */
    for (int64_t round = 0; round < refine; round++) {
        int64_t add = 0;
        for (int64_t i = 0; i + 1 < total; i++)
            if (memcmp(codes + s[i].row * cb, codes + s[i + 1].row * cb, (size_t)cb) != 0 &&
                s[i + 1].theta - s[i].theta > 4.0 * DBL_EPSILON * fmax(1.0, fabs(s[i].theta)))
                add++;
        if (add == 0)
            break;
        if (total + add > cap) {
            int64_t nc = 2 * (total + add);
            sample *s2 = realloc(s, (size_t)nc * sizeof *s);
            if (s2)
                s = s2;
            uint8_t *c2 = s2 ? realloc(codes, (size_t)(nc * (cb ? cb : 1))) : NULL;
            if (c2)
                codes = c2;
            double *t2 = c2 ? realloc(th, (size_t)nc * sizeof(double)) : NULL;
            if (t2)
                th = t2;
            float *f2 = t2 ? realloc(pf, (size_t)(nc * dim) * sizeof(float)) : NULL;
            if (f2)
                pf = f2;
            double *d2 = f2 ? realloc(pd, (size_t)(nc * dim) * sizeof(double)) : NULL;
            if (d2)
                pd = d2;
            double *y2 = d2 ? realloc(y, (size_t)(nc * out) * sizeof(double)) : NULL;
            if (!y2) {
                st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
                goto done;
            }
            y = y2;
            cap = nc;
        }
        int64_t k = 0;
        for (int64_t i = 0; i + 1 < total; i++)
            if (memcmp(codes + s[i].row * cb, codes + s[i + 1].row * cb, (size_t)cb) != 0 &&
                s[i + 1].theta - s[i].theta > 4.0 * DBL_EPSILON * fmax(1.0, fabs(s[i].theta))) {
                th[k] = 0.5 * (s[i].theta + s[i + 1].theta);
                s[total + k] = (sample){th[k], total + k};
                k++;
            }
        if ((st = orbit_codes(&c, lie, j, x0, dim, th, add, codes + total * cb, cb, pf, pd, y,
                              fn)))
            goto done;
        total += add;
        qsort(s, (size_t)total, sizeof *s, cmp_sample);
    }
    int64_t changes = 0;
    for (int64_t i = 0; i + 1 < total; i++)
        changes += memcmp(codes + s[i].row * cb, codes + s[i + 1].row * cb, (size_t)cb) != 0;
    int64_t distinct;
    if (!(st = cpae__count_distinct_rows(codes, total, cb, &distinct, fn))) {
        *n_distinct = distinct;
        *n_changes = changes;
    }
done:
    free(s);
    free(codes);
    free(th);
    free(pf);
    free(pd);
    free(y);
    return st;
}

int32_t cpae_model_ball_profile(const cpae_model *model, int32_t stack, const float *data,
                                int64_t n, int64_t dim, const float *center,
                                const double *radii, int64_t n_radii, int64_t n_samples,
                                uint64_t seed, int64_t *regions, int64_t *points, int64_t cap)
{
    static const char fn[] = "cpae_model_ball_profile";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_points(model, stack, data, n, dim, &c, fn, "data")) ||
        (st = cpae__check_ptr(center, fn, "center")) ||
        (st = cpae__check_ptr(radii, fn, "radii")) ||
        (st = cpae__check_ptr(regions, fn, "regions")) ||
        (st = cpae__check_ptr(points, fn, "points")) ||
        (st = cpae__check_finite_f(center, dim, fn, "center")) ||
        (st = cpae__check_finite_f(data, n * dim, fn, "data")))
        return st;
    if (n_radii < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "n_radii is %lld; must be >= 1",
                          (long long)n_radii);
    if ((st = cpae__check_cap(cap, n_radii, fn, "regions/points")))
        return st;
    for (int64_t k = 0; k < n_radii; k++)
        if (!isfinite(radii[k]) || radii[k] < 0.0)
            return cpae__fail(CPAE_E_INVALID, fn, "radii[%lld] = %g; must be finite and >= 0",
                              (long long)k, radii[k]);
    int64_t *reg = malloc((size_t)n_radii * sizeof(int64_t));
    if (!reg)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    for (int64_t k = 0; k < n_radii && !st; k++)
        if ((st = cpae_model_count_regions_in_ball(model, stack, center, dim, radii[k],
                                                   n_samples, seed, &reg[k])))
            st = cpae__pass_on(st, fn, "ball");
    if (!st) {
        for (int64_t k = 0; k < n_radii; k++) {
            int64_t inside = 0;
            for (int64_t i = 0; i < n; i++) {
                double r2 = 0.0;
                for (int64_t j = 0; j < dim; j++) {
                    double e = (double)data[i * dim + j] - (double)center[j];
                    r2 += e * e;
                }
                inside += r2 <= radii[k] * radii[k];
            }
            regions[k] = reg[k];
            points[k] = inside;
        }
    }
    free(reg);
    return st;
}
