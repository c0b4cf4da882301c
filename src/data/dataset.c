/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* dataset.c -- the public data-set handle: construction (for the parsers
 * and for wrapping caller memory without copying), size/data/label access, destruction and
 * the seeded train/validation split. The handle either owns its arrays or
 * borrows them (cpae_dataset_wrap); own_x and own_labels say which, so
 * nothing here ever writes or frees the caller's memory. Formats, limits
 * and messages are described in docs/data.md. */
#include "data/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

/* A new data set owning n x d (uninitialised) floats and, if with_labels,
 * n labels. */
static int32_t ds_alloc(int64_t n, int64_t d, bool with_labels,
                        cpae_dataset **out, const char *fn)
{
    cpae_dataset *ds = calloc(1, sizeof *ds);
    float *x = malloc((size_t)(n * d) * sizeof(float));
    int32_t *lab = with_labels ? malloc((size_t)n * sizeof(int32_t)) : NULL;
    if (!ds || !x || (with_labels && !lab)) {
        free(ds);
        free(x);
        free(lab);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a data set of "
                          "%lld x %lld values", (long long)n, (long long)d);
    }
    ds->n = n;
    ds->d = d;
    ds->x = ds->own_x = x;
    ds->labels = ds->own_labels = lab;
    *out = ds;
    return CPAE_OK;
}

/* A data set taking ownership of x (n x d) and labels (may be NULL); on
 * failure both are freed. */
int32_t cpae__data_adopt(float *x, int32_t *labels, int64_t n, int64_t d,
                         cpae_dataset **out, const char *fn)
{
    cpae_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) {
        free(x);
        free(labels);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a data set");
    }
    ds->n = n;
    ds->d = d;
    ds->x = ds->own_x = x;
    ds->labels = ds->own_labels = labels;
    *out = ds;
    return CPAE_OK;
}

/* -------------------------------------------------------- data set access */

int32_t cpae_dataset_wrap(const float *x, int64_t n, int64_t d,
                          const int32_t *labels, cpae_dataset **out)
{
    static const char fn[] = "cpae_dataset_wrap";
    cpae__clear_error();
    int32_t st;
    int64_t nd;
    if ((st = cpae__check_ptr(x, fn, "x")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    if (n < 1 || d < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "n is %lld and d is %lld; both must be "
                          ">= 1", (long long)n, (long long)d);
    if (!cpae__mul_ok(n, d, &nd) || (uint64_t)nd > SIZE_MAX / sizeof(float))
        return cpae__fail(CPAE_E_SIZE, fn, "n x d = %lld x %lld overflows",
                          (long long)n, (long long)d);
    if ((st = cpae__check_finite_f(x, nd, fn, "x")))
        return st;
    cpae_dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a data set");
    ds->n = n;
    ds->d = d;
    ds->x = x;
    ds->labels = labels;
    *out = ds;
    return CPAE_OK;
}

void cpae_dataset_destroy(cpae_dataset *ds)
{
    if (!ds)
        return;
    free(ds->own_x);
    free(ds->own_labels);
    free(ds);
}

int32_t cpae_dataset_info(const cpae_dataset *ds, int64_t *n, int64_t *d,
                          int32_t *has_labels)
{
    static const char fn[] = "cpae_dataset_info";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(ds, fn, "ds")))
        return st;
    if (n)
        *n = ds->n;
    if (d)
        *d = ds->d;
    if (has_labels)
        *has_labels = ds->labels != NULL;
    return CPAE_OK;
}

int32_t cpae_dataset_data(const cpae_dataset *ds, const float **x)
{
    static const char fn[] = "cpae_dataset_data";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(ds, fn, "ds")) || (st = cpae__check_ptr(x, fn, "x")))
        return st;
    *x = ds->x;
    return CPAE_OK;
}

int32_t cpae_dataset_labels(const cpae_dataset *ds, int32_t *labels, int64_t cap)
{
    static const char fn[] = "cpae_dataset_labels";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(ds, fn, "ds")) ||
        (st = cpae__check_ptr(labels, fn, "labels")))
        return st;
    if (!ds->labels)
        return cpae__fail(CPAE_E_INVALID, fn, "the data set has no labels");
    if ((st = cpae__check_cap(cap, ds->n, fn, "labels")))
        return st;
    memcpy(labels, ds->labels, (size_t)ds->n * sizeof(int32_t));
    return CPAE_OK;
}

/* ---------------------------------------------------------------- split */

/* Copy the rows i with in_valid[i] == want, in order, into a new set. */
static int32_t take_rows(const cpae_dataset *ds, const bool *in_valid, bool want,
                         int64_t count, cpae_dataset **out, const char *fn)
{
    cpae_dataset *p = NULL;
    int32_t st;
    if ((st = ds_alloc(count, ds->d, ds->labels != NULL, &p, fn)))
        return st;
    int64_t k = 0;
    for (int64_t i = 0; i < ds->n; i++) {
        if (in_valid[i] != want)
            continue;
        memcpy(p->own_x + k * ds->d, ds->x + i * ds->d, (size_t)ds->d * sizeof(float));
        if (ds->labels)
            p->own_labels[k] = ds->labels[i];
        k++;
    }
    *out = p;
    return CPAE_OK;
}

int32_t cpae_dataset_split(const cpae_dataset *ds, double valid, uint64_t seed,
                           cpae_dataset **train, cpae_dataset **validation)
{
    static const char fn[] = "cpae_dataset_split";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(ds, fn, "ds")) ||
        (st = cpae__check_ptr(train, fn, "train")) ||
        (st = cpae__check_ptr(validation, fn, "validation")))
        return st;
    if (train == validation)
        return cpae__fail(CPAE_E_INVALID, fn, "train and validation point to the "
                          "same handle");
    if (!(valid > 0.0 && valid < 1.0)) /* also refuses NaN */
        return cpae__fail(CPAE_E_INVALID, fn, "valid is %g; it must be in (0, 1)",
                          valid);
    int64_t n = ds->n;
    if (n < 2)
        return cpae__fail(CPAE_E_SIZE, fn, "the data set has %lld sample; a split "
                          "needs at least 2", (long long)n);
    int64_t n_valid = (int64_t)floor(valid * (double)n + 0.5);
    if (n_valid < 1)
        n_valid = 1;
    if (n_valid > n - 1)
        n_valid = n - 1;
    int64_t *idx = malloc((size_t)n * sizeof(int64_t));
    bool *in_valid = calloc((size_t)n, sizeof(bool));
    if (!idx || !in_valid) {
        free(idx);
        free(in_valid);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %lld indices",
                          (long long)n);
    }
    /* Fisher-Yates: idx is a seeded permutation; its first n_valid entries
     * form the validation part. */
    cpae_rng rng;
    cpae__rng_seed(&rng, seed);
    for (int64_t i = 0; i < n; i++)
        idx[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(cpae__rng_next(&rng) % (uint64_t)(i + 1));
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    for (int64_t i = 0; i < n_valid; i++)
        in_valid[idx[i]] = true;
    free(idx);
    cpae_dataset *tr = NULL, *va = NULL;
    if (!(st = take_rows(ds, in_valid, false, n - n_valid, &tr, fn)) &&
        (st = take_rows(ds, in_valid, true, n_valid, &va, fn))) {
        cpae_dataset_destroy(tr);
    }
    free(in_valid);
    if (st)
        return st;
    *train = tr;
    *validation = va;
    return CPAE_OK;
}
