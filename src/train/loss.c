/* loss.c -- training objectives (docs/math.md section 3) and their gradients.
 *
 * Every Jacobian term goes through the tangent engine: the Jacobians of all
 * samples (and neighbours, and corrupted copies) a term needs are formed in
 * one stacked pass, and dL/dJ goes back in one stacked pass. */
#include "train/loss.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lie/expm.h"
#include "net/tangent.h"
#include "core/pool.h"

/* Per-layer state arrays of several sample sets stacked into one set:
 * rows of src_a (m_a samples) followed by the selected rows of src_b. */
static double **stack_states(const cpae_chain *c, double *const *qa, int64_t ma,
                             double *const *qb, const int64_t *rows_b, int64_t mb,
                             double **buf_out)
{
    int64_t total = 0;
    for (int64_t l = 0; l < c->n; l++)
        total += (ma + mb) * c->layers[l].n_out;
    double **q = malloc((size_t)c->n * sizeof(double *));
    double *buf = malloc((size_t)(total ? total : 1) * sizeof(double));
    if (!q || !buf) {
        free(q);
        free(buf);
        return NULL;
    }
    double *p = buf;
    for (int64_t l = 0; l < c->n; l++) {
        int64_t n = c->layers[l].n_out;
        q[l] = p;
        memcpy(p, qa[l], (size_t)(ma * n) * sizeof(double));
        for (int64_t r = 0; r < mb; r++)
            memcpy(p + (ma + r) * n, qb[l] + (rows_b ? rows_b[r] : r) * n,
                   (size_t)n * sizeof(double));
        p += (ma + mb) * n;
    }
    *buf_out = buf;
    return q;
}

/* ------------------------------------------- contractive and HOC terms */

static int32_t encoder_terms(const cpae_model *model, const cpae__loss_cfg *cfg,
                             const cpae__trace *tr, const double *xin, int64_t m, cpae_rng *rng,
                             double *terms, double *grad, const char *fn)
{
    cpae_chain enc;
    (void)cpae__chain(model, CPAE_ENCODER, &enc, fn);
    int64_t d = cpae__chain_in(&enc), h = cpae__chain_out(&enc);
    int64_t nc = cfg->w_hoc > 0.0 ? cfg->hoc_nc : 0, M = m * (1 + nc), blk = h * d;
    cpae__trace tc = {0};
    cpae__tangent tg = {0};
    double *xc = NULL, *J = NULL, *dJ = NULL, *qbuf = NULL, **q = NULL;
    int32_t st = CPAE_OK;
    if (nc > 0) { /* corrupted copies x + eps_k, n_c per sample */
        if (!(xc = malloc((size_t)(m * nc * d) * sizeof(double)))) {
            st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
            goto done;
        }
        for (int64_t i = 0; i < m; i++)
            for (int64_t k = 0; k < nc; k++)
                for (int64_t j = 0; j < d; j++)
                    xc[(i * nc + k) * d + j] =
                        xin[i * d + j] + cfg->hoc_sigma * cpae__rng_normal(rng);
        if ((st = cpae__trace_run(&enc, xc, m * nc, &tc, tr->pool, fn)))
            goto done;
    }
    q = stack_states(&enc, tr->q, m, tc.q, NULL, m * nc, &qbuf);
    J = cpae__pool_alloc(tr->pool, (size_t)(M * blk) * sizeof(double));
    dJ = cpae__pool_calloc(tr->pool, (size_t)(M * blk) * sizeof(double));
    if (!q || !J || !dJ) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if ((st = cpae__tangent_forward(&enc, (const double *const *)q, M, &tg, J, tr->pool, fn)))
        goto done;
    double contract = 0.0, hoc = 0.0;
    double cc = 2.0 * cfg->w_contract / (double)m;
    double ch = nc > 0 ? 2.0 * cfg->w_hoc / (double)(m * nc) : 0.0;
    for (int64_t i = 0; i < m; i++) {
        const double *Ji = J + i * blk;
        for (int64_t e = 0; e < blk; e++) {
            contract += Ji[e] * Ji[e];
            dJ[i * blk + e] += cc * Ji[e];
        }
        for (int64_t k = 0; k < nc; k++) {
            int64_t s = m + i * nc + k;
            const double *Jk = J + s * blk;
            for (int64_t e = 0; e < blk; e++) {
                double diff = Ji[e] - Jk[e];
                hoc += diff * diff;
                dJ[i * blk + e] += ch * diff;
                dJ[s * blk + e] -= ch * diff;
            }
        }
    }
    terms[CPAE__T_CONTRACT] = contract / (double)m;
    terms[CPAE__T_HOC] = nc > 0 ? hoc / (double)(m * nc) : 0.0;
    if (grad)
        st = cpae__tangent_backward(&enc, &tg, dJ, model->params, grad, NULL, fn);
done:
    cpae__tangent_free(&tg);
    cpae__trace_free(&tc);
    free(xc);
    cpae__pool_free(tr->pool, J);
    cpae__pool_free(tr->pool, dJ);
    free(q);
    free(qbuf);
    return st;
}

/* ------------------------------------------------------ Lie, local form */

/* Facet sampler (docs/math.md section 3): for each latent z_i, the K decoder
 * constraints closest to it and the points just past them. */
static int32_t facet_neighbours(const cpae_chain *dec, const cpae__loss_cfg *cfg,
                                const double *z, double *const *qz, double *const *act,
                                int64_t m, double *zn, cpae__pool *pool, const char *fn)
{
    int64_t h = cpae__chain_in(dec), K = cfg->lie_k, ld = m * h;
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
        for (int64_t i = 0; i < m; i++)
            memcpy(Z + i * n, L->b, (size_t)n * sizeof(double));
        cpae__gemm(false, true, m, n, L->n_in, 1.0, a_prev, L->n_in, L->w, L->n_in, 1.0, Z, n);
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
                    zk[j] += (1.0 + cfg->facet_eps) * r * best_g[(i * K + k) * h + j] +
                             (r == 0.0 ? cfg->facet_eps * best_g[(i * K + k) * h + j] : 0.0);
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

/* Neighbour latents z' (m K x h) by the configured sampler. */
static int32_t sample_neighbours(const cpae_model *model, const cpae__loss_cfg *cfg,
                                 const cpae__batch *b, const cpae__trace *tr, cpae_rng *rng,
                                 double *zn, const char *fn)
{
    cpae_chain enc, dec;
    (void)cpae__chain(model, CPAE_ENCODER, &enc, fn);
    (void)cpae__chain(model, CPAE_DECODER, &dec, fn);
    int64_t m = b->m, K = cfg->lie_k, h = cpae__chain_out(&enc);
    const double *z = tr->act[model->n_enc - 1];
    switch (cfg->lie_sampler) {
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
            double s = cfg->lie_delta / sqrt(nrm2);
            for (int64_t j = 0; j < h; j++)
                u[j] = z[(e / K) * h + j] + s * u[j];
        }
        return CPAE_OK;
    case CPAE__SAMPLER_FACET:
        return facet_neighbours(&dec, cfg, z, tr->q + model->n_enc, tr->act + model->n_enc, m,
                                zn, tr->pool, fn);
    default:
        return cpae__fail(CPAE_E_INVALID, fn, "unknown sampler %d", (int)cfg->lie_sampler);
    }
}

/* Do two samples have the same decoder code? (Equal codes: residual 0.) */
static bool same_region(const cpae_chain *dec, double *const *qa, int64_t ia,
                        double *const *qb, int64_t ib)
{
    for (int64_t l = 0; l < dec->n; l++) {
        int64_t n = dec->layers[l].n_out;
        if (cpae__has_bits(dec->layers[l].act) &&
            memcmp(qa[l] + ia * n, qb[l] + ib * n, (size_t)n * sizeof(double)) != 0)
            return false;
    }
    return true;
}

/* Blocks (P blocks of d x h, contiguous) <-> side by side (d x P h). */
static void blocks_to_side(const double *blk, int64_t P, int64_t d, int64_t h, double *side)
{
    for (int64_t p = 0; p < P; p++)
        for (int64_t r = 0; r < d; r++)
            memcpy(side + r * P * h + p * h, blk + (p * d + r) * h, (size_t)h * sizeof(double));
}
static void side_to_blocks(const double *side, int64_t P, int64_t d, int64_t h, double *blk)
{
    for (int64_t p = 0; p < P; p++)
        for (int64_t r = 0; r < d; r++)
            memcpy(blk + (p * d + r) * h, side + r * P * h + p * h, (size_t)h * sizeof(double));
}

/* One pair's residual. Plain: R = Delta - sum theta_j G_j A'. Tangent
 * space: the same after projecting off span(A') (thin QR), and E solving
 * A' E = Q Q^T (Delta - sum theta_j G_j A') for the gradient's extra term.
 * ga: k blocks (d x h) G_j A'; work: scratch. Returns r = ||R||^2. */
typedef struct pair_ws {
    double *delta, *proj, *R, *Q, *tau, *E, *W;
    const double **gap;
} pair_ws;

static int32_t pair_residual(const double *Ai, const double *Ap, const double *ga, int64_t k,
                             int64_t d, int64_t h, int32_t form, pair_ws *w, double *theta,
                             double *r, const char *fn)
{
    int64_t len = d * h;
    for (int64_t e = 0; e < len; e++)
        w->delta[e] = Ai[e] - Ap[e];
    if (form == CPAE__FORM_TANGENT) {
        /* Q from a thin QR of A'; project Delta and each G_j A'. */
        memcpy(w->Q, Ap, (size_t)len * sizeof(double));
        lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)d, (lapack_int)h, w->Q,
                                         (lapack_int)h, w->tau);
        if (info != 0)
            return cpae__fail(CPAE_E_NUMERIC, fn, "dgeqrf failed (%d)", (int)info);
        for (int64_t a = 0; a < h; a++) /* keep R_qr (upper h x h) in E's slot */
            for (int64_t c = 0; c < h; c++)
                w->E[a * h + c] = c >= a ? w->Q[a * h + c] : 0.0;
        info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)d, (lapack_int)h, (lapack_int)h,
                              w->Q, (lapack_int)h, w->tau);
        if (info != 0)
            return cpae__fail(CPAE_E_NUMERIC, fn, "dorgqr failed (%d)", (int)info);
        for (int64_t j = 0; j <= k; j++) {
            const double *src = j < k ? ga + j * len : w->delta;
            double *dst = w->proj + j * len;
            /* dst = src - Q (Q^T src) */
            cpae__gemm(true, false, h, h, d, 1.0, w->Q, h, src, h, 0.0, w->W, h);
            memcpy(dst, src, (size_t)len * sizeof(double));
            cpae__gemm(false, false, d, h, h, -1.0, w->Q, h, w->W, h, 1.0, dst, h);
            if (j < k)
                w->gap[j] = dst;
        }
    } else {
        for (int64_t j = 0; j < k; j++)
            w->gap[j] = ga + j * len;
        memcpy(w->proj + k * len, w->delta, (size_t)len * sizeof(double));
    }
    const double *target = w->proj + k * len;
    int32_t st = cpae__theta_local(target, w->gap, k, len, theta, NULL, fn);
    if (st)
        return st;
    double rr = 0.0;
    for (int64_t e = 0; e < len; e++) {
        double v = target[e];
        for (int64_t j = 0; j < k; j++)
            v -= theta[j] * w->gap[j][e];
        w->R[e] = v;
        rr += v * v;
    }
    *r = rr;
    if (form == CPAE__FORM_TANGENT) {
        /* E = R_qr^{-1} Q^T (Delta - sum theta_j G_j A') (unprojected). */
        for (int64_t e = 0; e < len; e++) {
            double v = w->delta[e];
            for (int64_t j = 0; j < k; j++)
                v -= theta[j] * ga[j * len + e];
            w->proj[e] = v; /* slot 0 is free again */
        }
        cpae__gemm(true, false, h, h, d, 1.0, w->Q, h, w->proj, h, 0.0, w->W, h);
        lapack_int info = LAPACKE_dtrtrs(LAPACK_ROW_MAJOR, 'U', 'N', 'N', (lapack_int)h,
                                         (lapack_int)h, w->E, (lapack_int)h, w->W, (lapack_int)h);
        if (info < 0)
            return cpae__fail(CPAE_E_NUMERIC, fn, "dtrtrs failed (%d)", (int)info);
        if (info > 0) /* A' rank deficient: no well-defined gauge term */
            memset(w->W, 0, (size_t)(h * h) * sizeof(double));
        memcpy(w->E, w->W, (size_t)(h * h) * sizeof(double));
    }
    return CPAE_OK;
}

static int32_t lie_local(const cpae_model *model, const struct cpae_lie *lie,
                         const cpae__loss_cfg *cfg, const cpae__batch *b,
                         const cpae__trace *tr, cpae_rng *rng, double *terms, double *grad,
                         const char *fn)
{
    cpae_chain dec;
    (void)cpae__chain(model, CPAE_DECODER, &dec, fn);
    int64_t m = b->m, K = cfg->lie_k, h = cpae__chain_in(&dec), d = cpae__chain_out(&dec);
    int64_t k = lie->k, len = d * h;
    double *const *qz = tr->q + model->n_enc;
    cpae__trace tn = {0};
    cpae__tangent tg = {0};
    double *zn = NULL, *qbuf = NULL, **q = NULL, *J = NULL, *dJ = NULL, *side = NULL,
           *gside = NULL, *ga = NULL, *rs = NULL, *theta = NULL, *gw = NULL, *xw = NULL,
           *extra = NULL;
    int64_t *rows = NULL, *owner = NULL, P = 0;
    pair_ws w = {0};
    int32_t st;
    terms[CPAE__T_LIE_LOCAL] = 0.0;
    if (!(zn = malloc((size_t)(m * K * h) * sizeof(double))) ||
        !(rows = malloc((size_t)(m * K) * sizeof(int64_t))) ||
        !(owner = malloc((size_t)(m * K) * sizeof(int64_t)))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if ((st = sample_neighbours(model, cfg, b, tr, rng, zn, fn)) ||
        (st = cpae__trace_run(&dec, zn, m * K, &tn, tr->pool, fn)))
        goto done;
    /* Pairs in the same region contribute exactly 0: skip them before any
     * tangent work. */
    for (int64_t e = 0; e < m * K; e++)
        if (!same_region(&dec, qz, e / K, tn.q, e)) {
            rows[P] = e;
            owner[P++] = e / K;
        }
    if (P == 0)
        goto done;
    int64_t S = m + P;
    q = stack_states(&dec, qz, m, tn.q, rows, P, &qbuf);
    J = cpae__pool_alloc(tr->pool, (size_t)(S * len) * sizeof(double));
    dJ = cpae__pool_calloc(tr->pool, (size_t)(S * len) * sizeof(double));
    gside = cpae__pool_alloc(tr->pool, (size_t)(P * len) * sizeof(double));
    ga = cpae__pool_alloc(tr->pool, (size_t)(k * P * len) * sizeof(double));
    rs = cpae__pool_alloc(tr->pool, (size_t)(k * P * len) * sizeof(double));
    theta = malloc((size_t)(k * P) * sizeof(double));
    w.delta = malloc((size_t)len * sizeof(double));
    w.proj = malloc((size_t)((k + 1) * len) * sizeof(double));
    w.R = malloc((size_t)len * sizeof(double));
    w.Q = malloc((size_t)len * sizeof(double));
    w.tau = malloc((size_t)h * sizeof(double));
    w.E = malloc((size_t)(h * h) * sizeof(double));
    w.W = malloc((size_t)(h * h) * sizeof(double));
    w.gap = malloc((size_t)k * sizeof(double *));
    if (!q || !J || !dJ || !gside || !ga || !rs || !theta || !w.delta || !w.proj ||
        !w.R || !w.Q || !w.tau || !w.E || !w.W || !w.gap) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if ((st = cpae__tangent_forward(&dec, (const double *const *)q, S, &tg, J, tr->pool, fn)))
        goto done;
    /* G_j A' for every pair: one GEMM per generator over the pairs side by
     * side (d x P h). With an identity output layer A' = W^L T'^{L-1}, so
     * G A' = (G W^L) T'^{L-1}: G W^L is formed once and the pairs stay in
     * the last hidden width (docs/math.md section 4). */
    const double *Ap = J + m * len;
    const struct cpae_layer *last = &dec.layers[dec.n - 1];
    bool fold = !cpae__has_bits(last->act);
    int64_t nh = last->n_in, ldT = S * h;
    const double *Tp = tg.T[dec.n - 1] + m * h; /* pairs' n_{L-1} x P h block */
    /* Folded: G W^L per generator. Otherwise the pairs' maps side by side. */
    if (fold ? !(gw = malloc((size_t)(k * d * nh) * sizeof(double)))
             : !(side = cpae__pool_alloc(tr->pool, (size_t)(P * len) * sizeof(double)))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if (!fold)
        blocks_to_side(Ap, P, d, h, side);
    for (int64_t j = 0; j < k; j++) {
        if (fold) {
            double *gwj = gw + j * d * nh;
            cpae__gemm(false, false, d, nh, d, 1.0, lie->g + j * d * d, d, last->w, nh, 0.0,
                       gwj, nh);
            cpae__gemm(false, false, d, P * h, nh, 1.0, gwj, nh, Tp, ldT, 0.0, gside, P * h);
        } else
            cpae__gemm(false, false, d, P * h, d, 1.0, lie->g + j * d * d, d, side, P * h,
                       0.0, gside, P * h);
        side_to_blocks(gside, P, d, h, ga + j * P * len);
    }
    double total = 0.0, c = 2.0 * cfg->w_lie_local / (double)(m * K);
    double *gaj = malloc((size_t)(k * len) * sizeof(double));
    if (!gaj) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    for (int64_t p = 0; p < P && !st; p++) {
        const double *Ai = J + owner[p] * len, *A1 = Ap + p * len;
        for (int64_t j = 0; j < k; j++)
            memcpy(gaj + j * len, ga + (j * P + p) * len, (size_t)len * sizeof(double));
        double r = 0.0;
        if ((st = pair_residual(Ai, A1, gaj, k, d, h, cfg->lie_form, &w, theta + p * k, &r, fn)))
            break;
        total += r;
        /* dr/dA_i = 2R; dr/dA' = -2R - 2 sum theta_j G_j^T R (- 2 R E^T);
         * dr/dG_j = -2 theta_j R A'^T. */
        double *dAi = dJ + owner[p] * len, *dAp = dJ + (m + p) * len;
        for (int64_t e = 0; e < len; e++) {
            dAi[e] += c * w.R[e];
            dAp[e] -= c * w.R[e];
        }
        if (cfg->lie_form == CPAE__FORM_TANGENT)
            cpae__gemm(false, true, d, h, h, -c, w.R, h, w.E, h, 1.0, dAp, h);
        for (int64_t j = 0; j < k; j++)
            for (int64_t e = 0; e < len; e++)
                rs[(j * P + p) * len + e] = theta[p * k + j] * w.R[e];
    }
    free(gaj);
    if (st)
        goto done;
    terms[CPAE__T_LIE_LOCAL] = total / (double)(m * K);
    if (!grad)
        goto done;
    /* Stacked: dA' -= c G_j^T [theta_j R] and dG_j -= c [theta_j R] A'^T.
     * Folded (identity output layer), both go through the hidden width with
     * X = [theta_j R] T'^T (d x n_{L-1}): dG_j -= c X W^L^T, and dA' reaches
     * the weights as dW^L -= c G_j^T X and dT'^{L-1} -= c (G_j W^L)^T
     * [theta_j R], never forming a d x d x P h product. */
    double *gG = grad + model->n_params;
    if (fold && (!(xw = malloc((size_t)(d * nh) * sizeof(double))) ||
                 !(extra = cpae__pool_calloc(tr->pool, (size_t)(nh * ldT) * sizeof(double))))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    for (int64_t j = 0; j < k; j++) {
        const double *gj = lie->g + j * d * d;
        blocks_to_side(rs + j * P * len, P, d, h, gside);
        if (fold) {
            cpae__gemm(false, true, d, nh, P * h, 1.0, gside, P * h, Tp, ldT, 0.0, xw, nh);
            if (lie->param != CPAE_LIE_FIXED)
                cpae__gemm(false, true, d, d, nh, -c, xw, nh, last->w, nh, 1.0, gG + j * d * d,
                           d);
            cpae__gemm(true, false, d, nh, d, -c, gj, d, xw, nh, 1.0,
                       grad + (last->w - model->params), nh);
            cpae__gemm(true, false, nh, P * h, d, -c, gw + j * d * nh, nh, gside, P * h, 1.0,
                       extra + m * h, ldT);
            continue;
        }
        if (lie->param != CPAE_LIE_FIXED)
            cpae__gemm(false, true, d, d, P * h, -c, gside, P * h, side, P * h, 1.0,
                       gG + j * d * d, d);
        cpae__gemm(true, false, d, P * h, d, 1.0, gj, d, gside, P * h, 0.0, ga, P * h);
        side_to_blocks(ga, P, d, h, rs + j * P * len); /* G_j^T [theta_j R] */
        for (int64_t e = 0; e < P * len; e++)
            dJ[m * len + e] -= c * rs[j * P * len + e];
    }
    st = cpae__tangent_backward(&dec, &tg, dJ, model->params, grad, extra, fn);
done:
    cpae__tangent_free(&tg);
    cpae__trace_free(&tn);
    free(zn);
    free(rows);
    free(owner);
    free(q);
    free(qbuf);
    cpae__pool_free(tr->pool, J);
    cpae__pool_free(tr->pool, dJ);
    cpae__pool_free(tr->pool, side);
    cpae__pool_free(tr->pool, gside);
    cpae__pool_free(tr->pool, ga);
    cpae__pool_free(tr->pool, rs);
    free(theta);
    free(gw);
    free(xw);
    cpae__pool_free(tr->pool, extra);
    free(w.delta);
    free(w.proj);
    free(w.R);
    free(w.Q);
    free(w.tau);
    free(w.E);
    free(w.W);
    free(w.gap);
    return st;
}

/* ------------------------------------------------------ Lie, exact form */

/* Tangent-space exact form, skew G (exp(theta G) orthogonal):
 * f(theta) = ||(I - P_{exp(theta G) A_0}) A_i||^2
 *           = ||A_i||^2 - ||Q_0^T exp(-theta G) A_i||^2,
 * Q_0 an orthonormal basis of A_0. Grid over [-theta_max, theta_max], then
 * golden-section search in the grid cell around the best point (the
 * envelope-theorem gradients need the minimiser, not a grid point). */
static int32_t theta_tangent(const cpae__skew_eig *sk, const double *Q0, const double *Ai,
                             int64_t d, int64_t h, double theta_max, int64_t n_grid,
                             double *w, double *W, double *theta, const char *fn)
{
    int32_t st = CPAE_OK;
#define F_AT(t, out)                                                               \
    do {                                                                           \
        if ((st = cpae__skew_apply(sk, -(t), Ai, h, w, fn)))                       \
            return st;                                                             \
        cpae__gemm(true, false, h, h, d, 1.0, Q0, h, w, h, 0.0, W, h);             \
        double acc_ = 0.0;                                                         \
        for (int64_t e_ = 0; e_ < h * h; e_++)                                     \
            acc_ += W[e_] * W[e_];                                                 \
        (out) = -acc_;                                                             \
    } while (0)
    double step = 2.0 * theta_max / (double)(n_grid - 1), best = INFINITY, tb = 0.0;
    for (int64_t k = 0; k < n_grid; k++) {
        double t = -theta_max + (double)k * step, f;
        F_AT(t, f);
        if (f < best || (f == best && fabs(t) < fabs(tb))) {
            best = f;
            tb = t;
        }
    }
    double a = fmax(tb - step, -theta_max), b = fmin(tb + step, theta_max);
    const double g = 0.6180339887498949;
    double x1 = b - g * (b - a), x2 = a + g * (b - a), f1, f2;
    F_AT(x1, f1);
    F_AT(x2, f2);
    for (int it = 0; it < 100 && b - a > 1e-13 * (1.0 + theta_max); it++) {
        if (f1 <= f2) {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            F_AT(x1, f1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            F_AT(x2, f2);
        }
    }
    double tg = f1 <= f2 ? x1 : x2, fg = f1 <= f2 ? f1 : f2;
    *theta = fg <= best ? tg : tb;
#undef F_AT
    return st;
}

/* Several generators (k > 1): X(theta) = sum_j theta_j G_j and
 * f(theta) = ||exp(X) A_0 - A_i||^2 over the box [-theta_max, theta_max]^k.
 * Grid of n_per points per axis (n_per^k <= about n_grid evaluations), then
 * Gauss-Newton: Jacobian column j is vec(L(X, G_j) A_0) (block Frechet
 * identity), the step a k-column least-squares solve (dgels), halved until
 * f decreases, clamped to the box. No eigen fast path: X changes per
 * sample, so every evaluation is one Pade expm (O(d^3)).
 * w: scratch of 2 d^2 + (k + 2) d h + 2 k + max(d h, k) doubles (the
 * least-squares right-hand side needs max(rows, columns)). */
static int32_t theta_exact_multi(const double *G, int64_t k, int64_t d, const double *A0,
                                 const double *Ai, int64_t h, double theta_max,
                                 int64_t n_grid, double *w, double *theta, const char *fn)
{
    const int64_t dd = d * d, len = d * h;
    double *X = w, *E = X + dd, *Rr = E + dd, *Jc = Rr + len, *tr = Jc + k * len,
           *cand = tr + len, *step = cand + k, *rhs = step + k;
    const int64_t ldb = len > k ? len : k;
    int32_t st = CPAE_OK;
    /* f at t (length k); leaves exp(X) in E and the residual in Rr. */
#define F_MULTI(t, out)                                                            \
    do {                                                                           \
        for (int64_t e_ = 0; e_ < dd; e_++) {                                      \
            double v_ = 0.0;                                                       \
            for (int64_t j_ = 0; j_ < k; j_++)                                     \
                v_ += (t)[j_] * G[j_ * dd + e_];                                   \
            X[e_] = v_;                                                            \
        }                                                                          \
        if ((st = cpae__expm(X, d, E, fn)))                                        \
            return st;                                                             \
        cpae__gemm(false, false, d, h, d, 1.0, E, d, A0, h, 0.0, Rr, h);           \
        double acc_ = 0.0;                                                         \
        for (int64_t e_ = 0; e_ < len; e_++) {                                     \
            Rr[e_] -= Ai[e_];                                                      \
            acc_ += Rr[e_] * Rr[e_];                                               \
        }                                                                          \
        (out) = acc_;                                                              \
    } while (0)
    /* n_per^k <= n_grid; odd, so theta = 0 is on the grid (n_per = 1: only
     * theta = 0, and Gauss-Newton does the rest). */
    int64_t n_per = (int64_t)floor(pow((double)n_grid, 1.0 / (double)k) + 1e-9);
    if (n_per % 2 == 0)
        n_per--;
    if (n_per < 1)
        n_per = 1;
    int64_t total = 1;
    for (int64_t j = 0; j < k; j++)
        total *= n_per;
    double spacing = n_per > 1 ? 2.0 * theta_max / (double)(n_per - 1) : 0.0,
           best = INFINITY;
    for (int64_t j = 0; j < k; j++)
        theta[j] = 0.0;
    for (int64_t idx = 0; idx < total; idx++) {
        double f, nrm = 0.0, nb = 0.0;
        for (int64_t j = 0, r = idx; j < k; j++, r /= n_per)
            cand[j] = n_per > 1 ? -theta_max + (double)(r % n_per) * spacing : 0.0;
        F_MULTI(cand, f);
        for (int64_t j = 0; j < k; j++) {
            nrm += fabs(cand[j]);
            nb += fabs(theta[j]);
        }
        if (f < best || (f == best && nrm < nb)) { /* ties: smallest |theta| */
            best = f;
            memcpy(theta, cand, (size_t)k * sizeof(double));
        }
    }
    for (int it = 0; it < 200; it++) {
        double f0;
        F_MULTI(theta, f0);
        memcpy(tr, Rr, (size_t)len * sizeof(double));
        for (int64_t j = 0; j < k; j++) { /* Jacobian column j: L(X, G_j) A_0 */
            double *Lj = E; /* E is free again until the next F_MULTI */
            if ((st = cpae__expm_frechet(X, G + j * dd, d, NULL, Lj, fn)))
                return st;
            /* column-major len x k for dgels */
            double *col = Jc + j * len;
            double *tmp = Rr;
            cpae__gemm(false, false, d, h, d, 1.0, Lj, d, A0, h, 0.0, tmp, h);
            memcpy(col, tmp, (size_t)len * sizeof(double));
        }
        /* least squares J s = -r (minimum norm if k > d h) */
        for (int64_t e = 0; e < len; e++)
            rhs[e] = -tr[e];
        lapack_int info = LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', (lapack_int)len, (lapack_int)k,
                                        1, Jc, (lapack_int)len, rhs, (lapack_int)ldb);
        if (info != 0)
            break; /* rank-deficient Jacobian: keep the best point so far */
        double smax = 0.0;
        for (int64_t j = 0; j < k; j++) {
            step[j] = rhs[j];
            smax = fmax(smax, fabs(rhs[j]));
        }
        if (!(smax > 1e-13 * (1.0 + theta_max)))
            break;
        double f1 = f0;
        for (int half = 0; half < 30 && !(f1 < f0); half++) {
            double *tt = cand;
            for (int64_t j = 0; j < k; j++)
                tt[j] = fmin(theta_max, fmax(-theta_max, theta[j] + step[j]));
            F_MULTI(tt, f1);
            if (f1 < f0)
                memcpy(theta, tt, (size_t)k * sizeof(double));
            else
                for (int64_t j = 0; j < k; j++)
                    step[j] *= 0.5;
        }
        /* no decrease, or one at rounding level: converged */
        if (!(f1 < f0) || f0 - f1 <= 1e-15 * f0)
            break;
    }
#undef F_MULTI
    return st;
}

/* The exact form's general path (plain form; any k, any parametrisation;
 * the skew k = 1 case has its own fast path): per sample theta_i (k = 1:
 * cpae__theta_exact; k > 1: theta_exact_multi), X_i = sum_j theta_ij G_j,
 * R_i = exp(X_i) A_0 - A_i, dA_i = -2R, dA_0 = 2 exp(X_i)^T R,
 * dG_j = 2 theta_ij L(X_i^T, R A_0^T): one Pade expm and one Frechet
 * derivative per sample. */
static int32_t lie_exact_general(const struct cpae_lie *lie, const cpae__loss_cfg *cfg,
                               int64_t m, int64_t d, int64_t h, const double *J, double *dJ,
                               double *gG, double *total, const char *fn)
{
    const int64_t k = lie->k, dd = d * d, len = d * h;
    const double *A0 = J + m * len;
    double *dA0 = dJ ? dJ + m * len : NULL, c = 2.0 * cfg->w_lie_exact / (double)m;
    const int64_t sw = 2 * dd + (k + 2) * len + 2 * k + (len > k ? len : k);
    int64_t nw = sw + 3 * dd + len + k;
    double *w = malloc((size_t)nw * sizeof(double));
    if (!w)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    double *X = w + sw, *E = X + dd, *L = E + dd, *R = L + dd,
           *theta = R + len;
    int32_t st = CPAE_OK;
    *total = 0.0;
    for (int64_t i = 0; i < m && !st; i++) {
        const double *Ai = J + i * len;
        st = k == 1 ? cpae__theta_exact(lie->g, NULL, d, A0, Ai, h, cfg->theta_max,
                                        cfg->theta_grid, theta, NULL, fn)
                    : theta_exact_multi(lie->g, k, d, A0, Ai, h, cfg->theta_max,
                                        cfg->theta_grid, w, theta, fn);
        if (st)
            break;
        for (int64_t e = 0; e < dd; e++) {
            double v = 0.0;
            for (int64_t j = 0; j < k; j++)
                v += theta[j] * lie->g[j * dd + e];
            X[e] = v;
        }
        if ((st = cpae__expm(X, d, E, fn)))
            break;
        cpae__gemm(false, false, d, h, d, 1.0, E, d, A0, h, 0.0, R, h);
        double rr = 0.0;
        for (int64_t e = 0; e < len; e++) {
            R[e] -= Ai[e];
            rr += R[e] * R[e];
        }
        *total += rr;
        if (!dJ)
            continue;
        for (int64_t e = 0; e < len; e++)
            dJ[i * len + e] -= c * R[e];
        cpae__gemm(true, false, d, h, d, c, E, d, R, h, 1.0, dA0, h); /* exp(X)^T R */
        bool moved = false;
        for (int64_t j = 0; j < k; j++)
            moved |= theta[j] != 0.0;
        if (!gG || !moved) /* theta = 0 contributes 0 theta_j L */
            continue;
        /* L(X^T, R A_0^T), shared by every generator, scaled by theta_j */
        double *Xt = E, *RA = w; /* E and theta_exact_multi's scratch are free now */
        for (int64_t r = 0; r < d; r++)
            for (int64_t s2 = 0; s2 < d; s2++)
                Xt[r * d + s2] = X[s2 * d + r];
        cpae__gemm(false, true, d, d, h, 1.0, R, h, A0, h, 0.0, RA, d);
        if ((st = cpae__expm_frechet(Xt, RA, d, NULL, L, fn)))
            break;
        for (int64_t j = 0; j < k; j++)
            for (int64_t e = 0; e < dd; e++)
                gG[j * dd + e] += c * theta[j] * L[e];
    }
    free(w);
    return st;
}

/* r_i = min_theta ||exp(theta G) A_0 - A_i||^2 with A_0 the decoder map at
 * the anchor's encoding (docs/math.md section 3, one generator). Gradients with
 * R = exp(theta G) A_0 - A_i: dA_i = -2R, dA_0 = 2 exp(theta G)^T R,
 * dG = 2 theta L(theta G^T, R A_0^T). */
static int32_t lie_exact(const cpae_model *model, const struct cpae_lie *lie,
                         const cpae__loss_cfg *cfg, const cpae__batch *b,
                         const cpae__trace *tr, double *terms, double *grad, const char *fn)
{
    cpae_chain enc, dec;
    (void)cpae__chain(model, CPAE_ENCODER, &enc, fn);
    (void)cpae__chain(model, CPAE_DECODER, &dec, fn);
    int64_t m = b->m, h = cpae__chain_in(&dec), d = cpae__chain_out(&dec), len = d * h;
    const double *G = lie->g;
    double *z0 = NULL, *qbuf = NULL, **q = NULL, *J = NULL, *dJ = NULL, *R = NULL, *E = NULL,
           *L = NULL;
    cpae__trace ta = {0};
    cpae__tangent tg = {0};
    cpae__skew_eig *sk = NULL;
    int32_t st = CPAE_OK;
    if (!b->x_anchor)
        return cpae__fail(CPAE_E_INVALID, fn, "the exact Lie form needs an anchor sample");
    bool skew = lie->param == CPAE_LIE_SKEW;
    if (cfg->lie_form == CPAE__FORM_TANGENT && !skew)
        return cpae__fail(CPAE_E_INVALID, fn, "the tangent-space exact form needs a "
                          "skew-symmetric generator (CPAE_LIE_SKEW)");
    if (!(z0 = malloc((size_t)h * sizeof(double))) ||
        !(J = cpae__pool_alloc(tr->pool, (size_t)((m + 1) * len) * sizeof(double))) ||
        !(dJ = cpae__pool_calloc(tr->pool, (size_t)((m + 1) * len) * sizeof(double))) ||
        !(R = malloc((size_t)len * sizeof(double))) ||
        !(E = malloc((size_t)len * sizeof(double)))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    /* The anchor joins the batch as sample m of one stacked tangent pass. */
    if ((st = cpae__chain_forward(&enc, b->x_anchor, 1, z0, NULL, 0, fn)) ||
        (st = cpae__trace_run(&dec, z0, 1, &ta, tr->pool, fn)))
        goto done;
    if (!(q = stack_states(&dec, tr->q + model->n_enc, m, ta.q, NULL, 1, &qbuf))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if ((st = cpae__tangent_forward(&dec, (const double *const *)q, m + 1, &tg, J, tr->pool, fn)))
        goto done;
    if (lie->k > 1 || !skew) {
        double tot = 0.0;
        if (cfg->lie_form == CPAE__FORM_TANGENT) { /* (k = 1 non-skew refused above) */
            st = cpae__fail(CPAE_E_INVALID, fn, "the tangent-space exact form takes one "
                            "generator (k = %lld)", (long long)lie->k);
            goto done;
        }
        bool want_gk = grad && lie->param != CPAE_LIE_FIXED;
        if ((st = lie_exact_general(lie, cfg, m, d, h, J, grad ? dJ : NULL,
                                    want_gk ? grad + model->n_params : NULL, &tot, fn)))
            goto done;
        terms[CPAE__T_LIE_EXACT] = tot / (double)m;
        if (grad)
            st = cpae__tangent_backward(&dec, &tg, dJ, model->params, grad, NULL, fn);
        goto done;
    }
    if ((st = cpae__skew_eig_create(G, d, &sk, fn)))
        goto done;
    const double *A0 = J + m * len;
    double *dA0 = dJ + m * len, total = 0.0, c = 2.0 * cfg->w_lie_exact / (double)m;
    bool want_g = grad && lie->param != CPAE_LIE_FIXED;
    if (want_g && !(L = malloc((size_t)(d * d) * sizeof(double)))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    {
        /* Skew G, k = 1 (the rest went to lie_exact_general above).
         * One factorisation of G serves every sample: the theta solves share
         * the anchor's transform, and the generator gradient is one
         * Daleckii-Krein sum, sum_i c theta_i L(-theta_i G, R_i A_0^T). */
        double *th = malloc((size_t)(3 * m) * sizeof(double)), *Rall = NULL;
        if (!th || !(Rall = malloc((size_t)(m * len) * sizeof(double)))) {
            free(th);
            st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
            goto done;
        }
        double *negt = th + m, *coef = th + 2 * m;
        /* Tangent-space variant: min over theta and M of
         * ||exp(theta G) A_0 M - A_i||^2. With Q_0 R_0 = A_0 (thin QR),
         * M = R_0^{-1} Q_0^T exp(-theta G) A_i; by the envelope theorem the
         * gradients are the plain ones with R M^T on the A_0 / G side. */
        bool tangent = cfg->lie_form == CPAE__FORM_TANGENT;
        double *Q0 = NULL, *R0 = NULL, *tw = NULL;
        if (tangent) {
            Q0 = malloc((size_t)(len + h * h + h + len + h * h + len) * sizeof(double));
            if (!Q0) {
                free(th);
                free(Rall);
                st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
                goto done;
            }
            R0 = Q0 + len;
            double *tau = R0 + h * h;
            tw = tau + h; /* tw: len, then h x h, then len */
            memcpy(Q0, A0, (size_t)len * sizeof(double));
            lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)d, (lapack_int)h, Q0,
                                             (lapack_int)h, tau);
            for (int64_t a = 0; a < h && !info; a++)
                for (int64_t b2 = 0; b2 < h; b2++)
                    R0[a * h + b2] = b2 >= a ? Q0[a * h + b2] : 0.0;
            if (!info)
                info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)d, (lapack_int)h,
                                      (lapack_int)h, Q0, (lapack_int)h, tau);
            if (info)
                st = cpae__fail(CPAE_E_NUMERIC, fn, "QR of the anchor map failed (%d)",
                                (int)info);
            for (int64_t i = 0; i < m && !st; i++)
                st = theta_tangent(sk, Q0, J + i * len, d, h, cfg->theta_max, cfg->theta_grid,
                                   tw, tw + len, th + i, fn);
        } else
            st = cpae__theta_exact_many(sk, d, A0, J, m, h, cfg->theta_max, cfg->theta_grid,
                                        th, NULL, fn);
        for (int64_t i = 0; i < m && !st; i++) {
            const double *Ai = J + i * len;
            double *Rg = Rall + i * len, *Ri = R, rr = 0.0;
            if ((st = cpae__skew_apply(sk, th[i], A0, h, Ri, fn)))
                break;
            if (tangent) {
                double *w = tw, *Mh = tw + len;
                if ((st = cpae__skew_apply(sk, -th[i], Ai, h, w, fn)))
                    break;
                cpae__gemm(true, false, h, h, d, 1.0, Q0, h, w, h, 0.0, Mh, h);
                lapack_int info = LAPACKE_dtrtrs(LAPACK_ROW_MAJOR, 'U', 'N', 'N', (lapack_int)h,
                                                 (lapack_int)h, R0, (lapack_int)h, Mh,
                                                 (lapack_int)h);
                if (info) {
                    st = cpae__fail(CPAE_E_NUMERIC, fn, "the anchor map is rank deficient; "
                                    "the tangent-space exact form needs full column rank");
                    break;
                }
                /* R = (exp(theta G) A_0) M - A_i, and R M^T for the A_0 / G side */
                memcpy(w, Ri, (size_t)len * sizeof(double));
                cpae__gemm(false, false, d, h, h, 1.0, w, h, Mh, h, 0.0, Ri, h);
            }
            for (int64_t e = 0; e < len; e++) {
                Ri[e] -= Ai[e];
                rr += Ri[e] * Ri[e];
            }
            if (tangent)
                cpae__gemm(false, true, d, h, h, 1.0, Ri, h, tw + len, h, 0.0, Rg, h);
            else
                memcpy(Rg, Ri, (size_t)len * sizeof(double));
            total += rr;
            negt[i] = -th[i];
            coef[i] = c * th[i];
            if (!grad)
                continue;
            if ((st = cpae__skew_apply(sk, -th[i], Rg, h, E, fn)))
                break;
            for (int64_t e = 0; e < len; e++) {
                dJ[i * len + e] -= c * Ri[e];
                dA0[e] += c * E[e];
            }
        }
        free(Q0);
        if (!st && want_g &&
            !(st = cpae__skew_frechet_sum(sk, m, negt, coef, Rall, A0, h, L, fn))) {
            double *gG = grad + model->n_params;
            for (int64_t e = 0; e < d * d; e++)
                gG[e] += L[e];
        }
        free(th);
        free(Rall);
    }
    if (st)
        goto done;
    terms[CPAE__T_LIE_EXACT] = total / (double)m;
    if (grad)
        st = cpae__tangent_backward(&dec, &tg, dJ, model->params, grad, NULL, fn);
done:
    cpae__skew_eig_destroy(sk);
    cpae__tangent_free(&tg);
    cpae__trace_free(&ta);
    free(z0);
    free(q);
    free(qbuf);
    cpae__pool_free(tr->pool, J);
    cpae__pool_free(tr->pool, dJ);
    free(R);
    free(E);
    free(L);
    return st;
}

/* ---------------------------------------------------------------- total */

int32_t cpae__loss_eval(const cpae_model *model, const struct cpae_lie *lie,
                        const cpae__loss_cfg *cfg, const cpae__batch *b, cpae_rng *rng,
                        double *terms, double *grad, const char *fn)
{
    cpae_chain ae;
    (void)cpae__chain(model, CPAE_AUTOENCODER, &ae, fn);
    int64_t m = b->m, d = cpae__chain_in(&ae);
    for (int t = 0; t < CPAE__N_TERMS; t++)
        terms[t] = 0.0;
    double *xin = malloc((size_t)(m * d) * sizeof(double));
    double *dy = malloc((size_t)(m * d) * sizeof(double));
    cpae__trace tr = {0};
    int32_t st = CPAE_OK;
    if (!xin || !dy) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    /* Denoising: corrupt the input, reconstruct the clean x. */
    for (int64_t e = 0; e < m * d; e++) {
        double v = b->x[e];
        if (cfg->noise_mask > 0.0 && cpae__rng_uniform(rng) < cfg->noise_mask)
            v = 0.0;
        if (cfg->noise_sigma > 0.0)
            v += cfg->noise_sigma * cpae__rng_normal(rng);
        xin[e] = v;
    }
    if ((st = cpae__trace_run(&ae, xin, m, &tr, b->pool, fn)))
        goto done;
    const double *y = cpae__trace_out(&tr);
    double rec = 0.0;
    for (int64_t e = 0; e < m * d; e++) {
        double r = y[e] - b->x[e];
        rec += r * r;
        dy[e] = 2.0 * cfg->w_rec * r / (double)m;
    }
    terms[CPAE__T_REC] = rec / (double)m;
    if (grad && cfg->w_rec != 0.0 &&
        (st = cpae__trace_backward(&ae, &tr, dy, model->params, grad, NULL, fn)))
        goto done;
    if ((cfg->w_contract > 0.0 || cfg->w_hoc > 0.0) &&
        (st = encoder_terms(model, cfg, &tr, xin, m, rng, terms, grad, fn)))
        goto done;
    if (cfg->w_lie_local > 0.0 && lie &&
        (st = lie_local(model, lie, cfg, b, &tr, rng, terms, grad, fn)))
        goto done;
    if (cfg->w_lie_exact > 0.0 && lie &&
        (st = lie_exact(model, lie, cfg, b, &tr, terms, grad, fn)))
        goto done;
    terms[CPAE__T_TOTAL] = cfg->w_rec * terms[CPAE__T_REC] +
                           cfg->w_contract * terms[CPAE__T_CONTRACT] +
                           cfg->w_hoc * terms[CPAE__T_HOC] +
                           cfg->w_lie_local * terms[CPAE__T_LIE_LOCAL] +
                           cfg->w_lie_exact * terms[CPAE__T_LIE_EXACT];
done:
    cpae__trace_free(&tr);
    free(xin);
    free(dy);
    return st;
}
