/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* normalizer.c -- normalisation of data sets: statistics fitted on one
 * data set (usually the training split) and applied to others, so test
 * data is scaled by what was seen in training. Feature kinds (z-score,
 * min-max) keep one shift and scale per feature; the per-series z-score
 * needs no fitted statistics. Applying checks every result against the
 * float range before changing anything, and copies a borrowed data set
 * instead of writing the caller's memory (docs/data.md). */
#include "data/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cpae_normalizer {
    int32_t kind;
    int64_t d;
    double *shift; /* d values (feature kinds): mean or minimum */
    double *scale; /* d values (feature kinds): std or range, never 0 */
};

static bool valid_norm(int32_t kind)
{
    return kind >= CPAE_NORM_NONE && kind <= CPAE_NORM_MINMAX;
}

int32_t cpae_normalizer_fit(const cpae_dataset *ds, int32_t kind,
                            cpae_normalizer **out)
{
    static const char fn[] = "cpae_normalizer_fit";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(ds, fn, "ds")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    if (!valid_norm(kind))
        return cpae__fail(CPAE_E_INVALID, fn, "unknown normalisation %d", (int)kind);
    cpae_normalizer *nz = calloc(1, sizeof *nz);
    if (!nz)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a normalizer");
    nz->kind = kind;
    nz->d = ds->d;
    if (kind == CPAE_NORM_NONE || kind == CPAE_NORM_SERIES_Z) {
        *out = nz; /* no fitted statistics */
        return CPAE_OK;
    }
    int64_t n = ds->n, d = ds->d;
    const float *x = ds->x;
    nz->shift = calloc((size_t)d, sizeof(double));
    nz->scale = calloc((size_t)d, sizeof(double));
    double *lo = malloc((size_t)d * sizeof(double));
    double *hi = malloc((size_t)d * sizeof(double));
    if (!nz->shift || !nz->scale || !lo || !hi) {
        free(lo);
        free(hi);
        cpae_normalizer_destroy(nz);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate statistics for %lld "
                          "features", (long long)d);
    }
    for (int64_t j = 0; j < d; j++)
        lo[j] = hi[j] = x[j];
    for (int64_t i = 0; i < n; i++) {
        const float *row = x + i * d;
        for (int64_t j = 0; j < d; j++) {
            double v = row[j];
            nz->shift[j] += v; /* sum, for the mean */
            if (v < lo[j])
                lo[j] = v;
            if (v > hi[j])
                hi[j] = v;
        }
    }
    if (kind == CPAE_NORM_MINMAX) {
        for (int64_t j = 0; j < d; j++) {
            nz->shift[j] = lo[j];
            nz->scale[j] = hi[j] > lo[j] ? hi[j] - lo[j] : 1.0;
        }
    } else { /* feature z: mean, then the population std (two passes) */
        for (int64_t j = 0; j < d; j++)
            nz->shift[j] /= (double)n;
        for (int64_t i = 0; i < n; i++) {
            const float *row = x + i * d;
            for (int64_t j = 0; j < d; j++) {
                double r = row[j] - nz->shift[j];
                nz->scale[j] += r * r;
            }
        }
        for (int64_t j = 0; j < d; j++) {
            double sd = sqrt(nz->scale[j] / (double)n);
            if (hi[j] == lo[j]) { /* constant: exact, so it maps to 0 */
                nz->shift[j] = lo[j];
                sd = 0.0;
            }
            nz->scale[j] = sd > 0.0 ? sd : 1.0;
        }
    }
    free(lo);
    free(hi);
    *out = nz;
    return CPAE_OK;
}

void cpae_normalizer_destroy(cpae_normalizer *norm)
{
    if (!norm)
        return;
    free(norm->shift);
    free(norm->scale);
    free(norm);
}

/* Each row to mean 0 and population std 1; constant rows to 0. */
static void series_z(const float *x, float *y, int64_t n, int64_t d)
{
    for (int64_t i = 0; i < n; i++) {
        const float *row = x + i * d;
        float *out = y + i * d;
        double sum = 0.0, lo = row[0], hi = row[0];
        for (int64_t j = 0; j < d; j++) {
            sum += row[j];
            lo = row[j] < lo ? row[j] : lo;
            hi = row[j] > hi ? row[j] : hi;
        }
        double mean = sum / (double)d, ss = 0.0;
        for (int64_t j = 0; j < d; j++)
            ss += (row[j] - mean) * (row[j] - mean);
        double sd = sqrt(ss / (double)d);
        if (hi == lo || !(sd > 0.0)) {
            memset(out, 0, (size_t)d * sizeof(float));
            continue;
        }
        /* |(x - mean) / sd| <= sqrt(d): never overflows. */
        for (int64_t j = 0; j < d; j++)
            out[j] = (float)((row[j] - mean) / sd);
    }
}

int32_t cpae_normalizer_apply(const cpae_normalizer *norm, cpae_dataset *ds)
{
    static const char fn[] = "cpae_normalizer_apply";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(norm, fn, "norm")) || (st = cpae__check_ptr(ds, fn, "ds")))
        return st;
    if (ds->d != norm->d)
        return cpae__fail(CPAE_E_SIZE, fn, "the data set has dimension %lld, the "
                          "normalizer was fitted on dimension %lld",
                          (long long)ds->d, (long long)norm->d);
    if (norm->kind == CPAE_NORM_NONE)
        return CPAE_OK;
    int64_t n = ds->n, d = ds->d;
    const float *x = ds->x;
    bool feature = norm->kind != CPAE_NORM_SERIES_Z;
    /* Statistics fitted elsewhere can send other data outside the float
     * range: check everything before changing anything. */
    for (int64_t i = 0; feature && i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double v = (x[i * d + j] - norm->shift[j]) / norm->scale[j];
            if (isinf((float)v))
                return cpae__fail(CPAE_E_NONFINITE, fn, "sample %lld, feature "
                                  "%lld: the normalised value %g is outside the "
                                  "float range; the data set is unchanged",
                                  (long long)i, (long long)j, v);
        }
    float *y = ds->own_x;
    if (!y) { /* borrowed: never write the caller's memory */
        y = malloc((size_t)(n * d) * sizeof(float));
        if (!y)
            return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a copy of %lld x "
                              "%lld values", (long long)n, (long long)d);
    }
    if (feature) {
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < d; j++)
                y[i * d + j] = (float)((x[i * d + j] - norm->shift[j]) / norm->scale[j]);
    } else {
        series_z(x, y, n, d);
    }
    ds->own_x = y;
    ds->x = y;
    return CPAE_OK;
}
