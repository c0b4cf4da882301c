/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* fit_data.c -- what a fit records about its data: an identity a resume
 * checks, and the total variance (the divergence guard's floor). Both
 * are sums over rows, so a data-parallel fit gets the whole set's values
 * by reducing each process's sums over the rows it owns, and a fit
 * saved by P processes resumes on any number of them.
 *
 * Identity: sum over training rows of crc32(global index, row) and over
 * validation rows of crc32(row), mod 2^32. A row's index is part of its
 * hash (the order of the set matters to a fit); validation is a sum over
 * rows, so its identity is the multiset's. The sums are carried as 16-bit
 * halves in doubles: exact to 2^36 rows. */
#include "io/io.h"
#include "train/trainer.h"

#include <stdlib.h>

static uint32_t row_hash(const double *row, int64_t d, int64_t id)
{
    uint32_t crc = 0;
    if (id >= 0) {
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (uint8_t)((uint64_t)id >> (8 * i));
        crc = cpae__io_crc_update(crc, le, 8);
    }
    return cpae__io_crc_update(crc, (const uint8_t *)row, d * (int64_t)sizeof(double));
}

static void add_hash(double *halves, uint32_t h)
{
    halves[0] += (double)(h & 0xffffu);
    halves[1] += (double)(h >> 16);
}

/* The trainer's row of training index g (this process's rows: with
 * cpae_trainer_set_parallel the owned ones, by global index), or -1. */
static int64_t local_row(const cpae_trainer *t, int64_t g)
{
    return t->par.reduce ? t->par.local_of[g] : g;
}

static int64_t n_indices(const cpae_trainer *t)
{
    return t->par.reduce ? t->par.n_global : t->n;
}

void cpae__data_sums(const cpae_trainer *t, double *v, double *cols)
{
    int64_t d = t->d, nv = t->xv ? t->nv : 0;
    for (int64_t k = 0; k < CPAE__DATA_SUMS; k++)
        v[k] = 0.0;
    for (int64_t j = 0; cols && j < d; j++)
        cols[j] = 0.0;
    for (int64_t g = 0; t->x && g < n_indices(t); g++) {
        int64_t l = local_row(t, g);
        if (l < 0)
            continue;
        const double *row = t->x + l * d;
        add_hash(v, row_hash(row, d, g));
        v[5] += 1.0;
        for (int64_t j = 0; cols && j < d; j++)
            cols[j] += row[j];
    }
    for (int64_t i = 0; i < nv; i++)
        add_hash(v + 2, row_hash(t->xv + i * d, d, -1));
    v[4] = (double)nv;
}

/* (lo + 2^16 hi) mod 2^32 of the summed halves (each < 2^52: exact). */
static uint32_t join(const double *halves)
{
    return (uint32_t)((uint64_t)halves[0] + ((uint64_t)halves[1] << 16));
}

void cpae__data_ids(const double *v, cpae__data_id *out)
{
    out->x = join(v);
    out->xv = join(v + 2);
    out->nv = (int64_t)v[4];
    out->var = 0.0;
}

int32_t cpae__data_finish(cpae_trainer *t, const double *v, const double *cols,
                          cpae__data_id *out, const char *fn)
{
    int64_t d = t->d, n = (int64_t)v[5];
    cpae__data_ids(v, out);
    /* Total variance, (1/n) sum_i ||x_i - mean||^2, in two passes (the
     * column sums were the first): no cancellation for data far from 0. */
    double ss = 0.0;
    for (int64_t g = 0; n > 0 && g < n_indices(t); g++) {
        int64_t l = local_row(t, g);
        for (int64_t j = 0; l >= 0 && j < d; j++) {
            double e = t->x[l * d + j] - cols[j] / (double)n;
            ss += e * e;
        }
    }
    if (t->par.reduce) {
        double r[2] = {0.0, ss};
        int32_t st = cpae__par_reduce(t, r, 2, fn);
        if (st)
            return st;
        ss = r[1];
    }
    out->var = n > 0 ? ss / (double)n : 0.0;
    return CPAE_OK;
}

void cpae__data_local_ids(const cpae_trainer *t, cpae__data_id *out)
{
    double v[CPAE__DATA_SUMS];
    cpae__data_sums(t, v, NULL);
    cpae__data_ids(v, out);
}

int32_t cpae__data_local(cpae_trainer *t, cpae__data_id *out, const char *fn)
{
    double v[CPAE__DATA_SUMS], *cols = malloc((size_t)t->d * sizeof(double));
    if (!cols)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    cpae__data_sums(t, v, cols);
    int32_t st = cpae__data_finish(t, v, cols, out, fn);
    free(cols);
    return st;
}
