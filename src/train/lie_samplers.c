/* lie_samplers.c -- where the local Lie term finds each sample's
 * neighbours z' in latent space (docs/math.md section 3): the encodings of
 * its nearest training samples (data), uniform draws on the sphere of
 * radius delta around z (ball), or the points just past the K decoder
 * facets closest to z (facet). */
#include "train/terms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Facet sampler (docs/math.md section 3): for each latent z_i, the K decoder
 * constraints closest to it and the points just past them. */
static int32_t facet_neighbours(const cpae_chain *dec, const cpae__loss_cfg *cfg,
                                const double *z, double *const *qz, double *const *act,
                                int64_t m, double *zn, cpae__pool *pool, const char *fn)
{
    int64_t h = cpae__chain_in(dec), K = (int64_t)cfg->v[CPAE_P_LIE_NEIGHBOURS], ld = m * h;
    double eps = cfg->v[CPAE_P_LIE_FACET_EPS];
    cpae__tangent tg = {0};
    double *J = malloc((size_t)(m * h * cpae__chain_out(dec)) * sizeof(double));
    double *best_r = malloc((size_t)(m * K) * sizeof(double));
    double *best_g = malloc((size_t)(m * K * (h + 1)) * sizeof(double));
    int64_t wmax = cpae__chain_max_width(dec);
    double *G = malloc((size_t)(wmax * ld) * sizeof(double));
    double *Z = malloc((size_t)(m * wmax) * sizeof(double));
    int32_t st = CPAE_OK;
    if (!J || !best_r || !best_g || !G || !Z) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if ((st = cpae__tangent_forward(dec, (const double *const *)qz, m, &tg, J, pool, fn)))
        goto done;
    for (int64_t e = 0; e < m * K; e++)
        best_r[e] = INFINITY;
    for (int64_t l = 0; l < dec->n; l++) {
        const struct cpae_layer *L = &dec->layers[l];
        if (!cpae__has_bits(L->act))
            continue;
        int64_t n = L->n_out;
        /* Constraint gradients W T (n x m h) and values z = W a + b (m x n). */
        cpae__gemm(false, false, n, ld, L->n_in, 1.0, L->w, L->n_in, tg.T[l], ld, 0.0, G, ld);
        const double *a_prev = l == 0 ? z : act[l - 1];
        cpae__layer_pre(L, a_prev, m, Z);
        for (int64_t i = 0; i < m; i++)
            for (int64_t u = 0; u < n; u++) {
                const double *g = G + u * ld + i * h;
                double nrm2 = 0.0;
                for (int64_t j = 0; j < h; j++)
                    nrm2 += g[j] * g[j];
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
            double *zk = zn + (i * K + k) * h;
            double r = best_r[i * K + k];
            memcpy(zk, z + i * h, (size_t)h * sizeof(double));
            if (isfinite(r)) /* fewer constraints than K: neighbour = z (no pair) */
                for (int64_t j = 0; j < h; j++)
                    zk[j] += (1.0 + eps) * r * best_g[(i * K + k) * h + j] +
                             (r == 0.0 ? eps * best_g[(i * K + k) * h + j] : 0.0);
        }
done:
    cpae__tangent_free(&tg);
    free(J);
    free(best_r);
    free(best_g);
    free(G);
    free(Z);
    return st;
}

int32_t cpae__lie_sample_neighbours(const cpae_model *model, const cpae__loss_cfg *cfg,
                                    const cpae__batch *b, const cpae__trace *tr,
                                    cpae_rng *rng, double *zn, const char *fn)
{
    cpae_chain enc, dec;
    (void)cpae__chain(model, CPAE_ENCODER, &enc, fn);
    (void)cpae__chain(model, CPAE_DECODER, &dec, fn);
    int64_t m = b->m, K = (int64_t)cfg->v[CPAE_P_LIE_NEIGHBOURS], h = cpae__chain_out(&enc);
    const double *z = tr->act[model->n_enc - 1];
    switch ((int32_t)cfg->v[CPAE_P_LIE_SAMPLER]) {
    case CPAE__SAMPLER_DATA:
        if (!b->x_nbr)
            return cpae__fail(CPAE_E_INVALID, fn, "the data sampler needs neighbours");
        return cpae__chain_forward(&enc, b->x_nbr, m * K, zn, NULL, 0, fn);
    case CPAE__SAMPLER_BALL:
        for (int64_t e = 0; e < m * K; e++) {
            double *u = zn + e * h, nrm2;
            do {
                nrm2 = 0.0;
                for (int64_t j = 0; j < h; j++) {
                    u[j] = cpae__rng_normal(rng);
                    nrm2 += u[j] * u[j];
                }
            } while (nrm2 == 0.0);
            double s = cfg->v[CPAE_P_LIE_DELTA] / sqrt(nrm2);
            for (int64_t j = 0; j < h; j++)
                u[j] = z[(e / K) * h + j] + s * u[j];
        }
        return CPAE_OK;
    case CPAE__SAMPLER_FACET:
        return facet_neighbours(&dec, cfg, z, tr->q + model->n_enc, tr->act + model->n_enc, m,
                                zn, tr->pool, fn);
    default:
        return cpae__fail(CPAE_E_INVALID, fn, "unknown sampler %d",
                          (int)cfg->v[CPAE_P_LIE_SAMPLER]);
    }
}
