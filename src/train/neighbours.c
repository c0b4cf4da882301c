/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* neighbours.c -- the neighbour index of the local Lie term's data sampler:
 * the K nearest training samples of each sample (or of a user's rows), by
 * squared distance ||q||^2 + ||x||^2 - 2 q.x with the dot products as GEMM
 * blocks; built once per training set. */
#include "train/trainer.h"

#include <stdlib.h>
#include <string.h>

/* The K nearest training samples (squared distance, GEMM blocks) of each
 * query row, skipping exact duplicates of the query (itself). Ties go to
 * the lower index, so the result is deterministic. */
int32_t cpae__nearest(const double *xt, int64_t n, const double *q, int64_t nq, int64_t d,
                      int64_t K, int64_t *idx, cpae__pool *pool, const char *fn)
{
    const int64_t B = nq < 256 ? nq : 256; /* query rows per GEMM block */
    double *nt = cpae__pool_alloc(pool, (size_t)n * sizeof(double));
    double *dot = cpae__pool_alloc(pool, (size_t)(B * n) * sizeof(double));
    double *best = cpae__pool_alloc(pool, (size_t)K * sizeof(double));
    int32_t st = CPAE_OK;
    if (!nt || !dot || !best) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    for (int64_t j = 0; j < n; j++) {
        double s = 0;
        for (int64_t e = 0; e < d; e++)
            s += xt[j * d + e] * xt[j * d + e];
        nt[j] = s;
    }
    for (int64_t r0 = 0; r0 < nq; r0 += B) {
        int64_t rows = nq - r0 < B ? nq - r0 : B;
        cpae__gemm(false, true, rows, n, d, 1.0, q + r0 * d, d, xt, d, 0.0, dot, n);
        for (int64_t r = 0; r < rows; r++) {
            const double *qr = q + (r0 + r) * d;
            double nq2 = 0;
            for (int64_t e = 0; e < d; e++)
                nq2 += qr[e] * qr[e];
            int64_t *ir = idx + (r0 + r) * K, found = 0;
            for (int64_t j = 0; j < n; j++) {
                double dist = nq2 + nt[j] - 2.0 * dot[r * n + j];
                if (dist <= 1e-12 * (nq2 + nt[j]) &&
                    memcmp(qr, xt + j * d, (size_t)d * sizeof(double)) == 0)
                    continue; /* the query itself */
                if (found == K && !(dist < best[K - 1]))
                    continue;
                int64_t pos = found < K ? found++ : K - 1;
                while (pos > 0 && best[pos - 1] > dist) {
                    best[pos] = best[pos - 1];
                    ir[pos] = ir[pos - 1];
                    pos--;
                }
                best[pos] = dist;
                ir[pos] = j;
            }
            for (int64_t k = found; k < K; k++) /* fewer samples than K */
                ir[k] = found > 0 ? ir[found - 1] : 0;
        }
    }
done:
    cpae__pool_free(pool, nt);
    cpae__pool_free(pool, dot);
    cpae__pool_free(pool, best);
    return st;
}

int32_t cpae__trainer_neighbours(cpae_trainer *t, int64_t K, const char *fn)
{
    if (t->nbr && t->nbr_k == K)
        return CPAE_OK;
    int64_t *idx = malloc((size_t)(t->n * K) * sizeof(int64_t));
    if (!idx)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    int32_t st = cpae__nearest(t->x, t->n, t->x, t->n, t->d, K, idx, NULL, fn);
    if (st) {
        free(idx);
        return st;
    }
    free(t->nbr);
    t->nbr = idx;
    t->nbr_k = K;
    return CPAE_OK;
}
