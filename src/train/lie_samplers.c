/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* lie_samplers.c -- where the local Lie term finds each sample's
 * neighbours z' in latent space (docs/math.md section 3): the encodings of
 * its nearest training samples (data), uniform draws on the sphere of
 * radius delta around z (ball), or the points just past the K decoder
 * facets closest to z (facet). Generic: compiled once per precision
 * (core/real.h); distances and directions are computed in double. */
#include "train/terms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/real.h"

/* Facet sampler (docs/math.md section 3): for each latent z_i, the K decoder
 * constraints closest to it and the points just past them. */
static int32_t X(facet_neighbours)(const CHAIN *dec, const cpae__loss_cfg *cfg,
                                   const real *z, real *const *qz, real *const *act,
                                   int64_t m, const X(tangent) *tb, real *zn,
                                   cpae__pool *pool, const char *fn)
{
    int64_t h = X(chain_in)(dec), K = (int64_t)cfg->v[CPAE_P_LIE_NEIGHBOURS], ld = m * h;
    double eps = cfg->v[CPAE_P_LIE_FACET_EPS];
    X(tangent) own = {0};
    const X(tangent) *tg = tb;
    double *best_r = cpae__pool_alloc(pool, (size_t)(m * K) * sizeof(double));
    double *best_g = cpae__pool_alloc(pool, (size_t)(m * K * (h + 1)) * sizeof(double));
    int64_t wmax = X(chain_max_width)(dec);
    real *G = cpae__pool_alloc(pool, (size_t)(wmax * ld) * sizeof(real));
    real *Z = cpae__pool_alloc(pool, (size_t)(m * wmax) * sizeof(real));
    int32_t st = CPAE_OK;
    if (!best_r || !best_g || !G || !Z) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    /* The layers' input tangents T^l up to the last layer with code bits:
     * the constraint gradients below are W^l T^l (the first layer's are the
     * rows of W^0 for every sample, T^0 = [I ... I]). The caller's batch
     * pass has them; without it, a pass over the layers below that one only
     * (forward stacking needs the sub-chain's output at least as wide as
     * h); none when only the first layer has code bits. */
    int64_t lb = 0;
    for (int64_t l = 0; l < dec->n; l++)
        if (cpae__has_bits(dec->layers[l].act))
            lb = l;
    if (lb > 0 && (!tg || !tg->forward || tg->m != m || lb > tg->n_layers)) {
        CHAIN sub = {dec->layers, lb > 0 ? lb : 1};
        if (X(chain_out)(&sub) < h)
            sub = *dec;
        if ((st = X(tangent_forward)(&sub, (const real *const *)qz, m, &own, NULL, pool, fn)))
            goto done;
        tg = &own;
    }
    for (int64_t e = 0; e < m * K; e++)
        best_r[e] = INFINITY;
    for (int64_t l = 0; l <= lb; l++) {
        const LAYER *L = &dec->layers[l];
        if (!cpae__has_bits(L->act))
            continue;
        int64_t n = L->n_out;
        /* Constraint gradients W T (n x m h) and values z = W a + b (m x n). */
        if (l > 0)
            X(gemm)(false, false, n, ld, L->n_in, 1, L->w, L->n_in, tg->T[l], ld, 0, G, ld);
        const real *a_prev = l == 0 ? z : act[l - 1];
        X(layer_pre)(L, a_prev, m, Z);
        for (int64_t i = 0; i < m; i++)
            for (int64_t u = 0; u < n; u++) {
                const real *g = l == 0 ? L->w + u * h : G + u * ld + i * h;
                double nrm2 = 0.0;
                for (int64_t j = 0; j < h; j++)
                    nrm2 += (double)g[j] * (double)g[j];
                if (nrm2 == 0.0)
                    continue;
                double r = fabs(Z[i * n + u]) / sqrt(nrm2);
                double *br = best_r + i * K;
                if (!(r < br[K - 1]))
                    continue;
                /* Insert into the sorted top-K; keep the direction that
                 * crosses: z > 0 must decrease. */
                int64_t pos = K - 1;
                while (pos > 0 && br[pos - 1] > r) {
                    br[pos] = br[pos - 1];
                    memcpy(best_g + (i * K + pos) * h, best_g + (i * K + pos - 1) * h,
                           (size_t)h * sizeof(double));
                    pos--;
                }
                br[pos] = r;
                double s = (Z[i * n + u] > 0.0 ? -1.0 : 1.0) / sqrt(nrm2);
                for (int64_t j = 0; j < h; j++)
                    best_g[(i * K + pos) * h + j] = s * g[j];
            }
    }
    for (int64_t i = 0; i < m; i++)
        for (int64_t k = 0; k < K; k++) {
            real *zk = zn + (i * K + k) * h;
            double r = best_r[i * K + k];
            memcpy(zk, z + i * h, (size_t)h * sizeof(real));
            if (isfinite(r)) /* fewer constraints than K: neighbour = z (no pair) */
                for (int64_t j = 0; j < h; j++)
                    zk[j] = (real)(zk[j] + ((1.0 + eps) * r * best_g[(i * K + k) * h + j] +
                                            (r == 0.0 ? eps * best_g[(i * K + k) * h + j]
                                                      : 0.0)));
        }
done:
    X(tangent_free)(&own);
    cpae__pool_free(pool, best_r);
    cpae__pool_free(pool, best_g);
    cpae__pool_free(pool, G);
    cpae__pool_free(pool, Z);
    return st;
}

/* Encoder outputs of n points (the data sampler's neighbours). */
static int32_t X(encode)(const CHAIN *enc, const real *x, int64_t n, real *z, cpae__pool *pool,
                         const char *fn)
{
    X(trace) t = {0};
    int32_t st = X(trace_run)(enc, x, n, &t, pool, fn);
    if (!st)
        memcpy(z, X(trace_out)(&t), (size_t)(n * X(chain_out)(enc)) * sizeof(real));
    X(trace_free)(&t);
    return st;
}

int32_t X(lie_sample_neighbours)(const X(term_args) *a, const X(tangent) *tb, real *zn)
{
    const cpae__loss_cfg *cfg = a->cfg;
    const char *fn = a->fn;
    const X(trace) *tr = a->tr;
    int64_t ne = a->model->n_enc;
    CHAIN enc = X(args_chain)(a, CPAE_ENCODER), dec = X(args_chain)(a, CPAE_DECODER);
    int64_t m = a->batch->m, K = (int64_t)cfg->v[CPAE_P_LIE_NEIGHBOURS], h = X(chain_out)(&enc);
    const real *z = tr->act[ne - 1];
    switch ((int32_t)cfg->v[CPAE_P_LIE_SAMPLER]) {
    case CPAE__SAMPLER_DATA:
        if (!a->x_nbr)
            return cpae__fail(CPAE_E_INVALID, fn, "the data sampler needs neighbours");
        return X(encode)(&enc, a->x_nbr, m * K, zn, tr->pool, fn);
    case CPAE__SAMPLER_BALL: {
        /* Directions: normalised Gaussian draws, each sample's K h from
         * its own stream (both values of each polar pair). */
        double *g = cpae__pool_alloc(tr->pool, (size_t)(m * K * h) * sizeof(double));
        if (!g)
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        cpae_rng r;
        for (int64_t i = 0; i < m; i++) {
            cpae__batch_rng(a->batch, i, CPAE__DRAW_BALL, &r);
            cpae__rng_normals(&r, g + i * K * h, K * h);
        }
        for (int64_t e = 0; e < m * K; e++) {
            real *u = zn + e * h;
            double *ge = g + e * h, nrm2;
            bool retry = false;
            for (;;) { /* the norm of the rounded draw: the step is delta exactly */
                nrm2 = 0.0;
                for (int64_t j = 0; j < h; j++) {
                    u[j] = (real)ge[j];
                    nrm2 += (double)u[j] * (double)u[j];
                }
                if (nrm2 > 0.0)
                    break;
                /* a zero draw: again, from a stream of this direction's own */
                if (!retry)
                    cpae__batch_rng(a->batch, e / K,
                                    CPAE__DRAW_BALL + 16 * (uint64_t)(1 + e % K), &r);
                retry = true;
                cpae__rng_normals(&r, ge, h);
            }
            double s = cfg->v[CPAE_P_LIE_DELTA] / sqrt(nrm2);
            for (int64_t j = 0; j < h; j++)
                u[j] = (real)(z[(e / K) * h + j] + s * u[j]);
        }
        cpae__pool_free(tr->pool, g);
        return CPAE_OK;
    }
    case CPAE__SAMPLER_FACET:
        return X(facet_neighbours)(&dec, cfg, z, tr->q + ne, tr->act + ne, m, tb, zn, tr->pool,
                                   fn);
    default:
        return cpae__fail(CPAE_E_INVALID, fn, "unknown sampler %d",
                          (int)cfg->v[CPAE_P_LIE_SAMPLER]);
    }
}
