/* term_lie_local.c -- the Lie regularizer, local form (docs/math.md
 * section 3): for each sample x_i and neighbour z' in latent space, with
 * A_i, A' the decoder maps of their regions and Delta = A_i - A',
 *   r_i' = min_theta ||Delta - sum_j theta_j G_j A'||_F^2
 * (tangent form: the same after projecting off span(A')), averaged over
 * the m K pairs. Pairs in one region contribute exactly 0 and are skipped;
 * the rest share one stacked tangent pass. */
#include "train/terms.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lie/theta.h"

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

static int32_t evaluate(const cpae__term_args *args)
{
    const cpae_model *model = args->model;
    const struct cpae_lie *lie = args->lie;
    const cpae__loss_cfg *cfg = args->cfg;
    const cpae__batch *b = args->batch;
    const cpae__trace *tr = args->tr;
    double *terms = args->terms, *grad = args->grad;
    const char *fn = args->fn;
    cpae_chain dec;
    (void)cpae__chain(model, CPAE_DECODER, &dec, fn);
    int64_t m = b->m, K = (int64_t)cfg->v[CPAE_P_LIE_NEIGHBOURS];
    int64_t h = cpae__chain_in(&dec), d = cpae__chain_out(&dec);
    int32_t form = (int32_t)cfg->v[CPAE_P_LIE_FORM];
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
    if ((st = cpae__lie_sample_neighbours(model, cfg, b, tr, args->rng, zn, fn)) ||
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
    q = cpae__stack_states(&dec, qz, m, tn.q, rows, P, &qbuf);
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
    double total = 0.0, c = 2.0 * cfg->v[CPAE_P_W_LIE_LOCAL] / (double)(m * K);
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
        if ((st = pair_residual(Ai, A1, gaj, k, d, h, form, &w, theta + p * k, &r, fn)))
            break;
        total += r;
        /* dr/dA_i = 2R; dr/dA' = -2R - 2 sum theta_j G_j^T R (- 2 R E^T);
         * dr/dG_j = -2 theta_j R A'^T. */
        double *dAi = dJ + owner[p] * len, *dAp = dJ + (m + p) * len;
        for (int64_t e = 0; e < len; e++) {
            dAi[e] += c * w.R[e];
            dAp[e] -= c * w.R[e];
        }
        if ((int32_t)cfg->v[CPAE_P_LIE_FORM] == CPAE__FORM_TANGENT)
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
            if (cpae__lie_learned(lie))
                cpae__gemm(false, true, d, d, nh, -c, xw, nh, last->w, nh, 1.0, gG + j * d * d,
                           d);
            cpae__gemm(true, false, d, nh, d, -c, gj, d, xw, nh, 1.0,
                       grad + (last->w - model->params), nh);
            cpae__gemm(true, false, nh, P * h, d, -c, gw + j * d * nh, nh, gside, P * h, 1.0,
                       extra + m * h, ldT);
            continue;
        }
        if (cpae__lie_learned(lie))
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

/* The data sampler needs neighbours from at least two training samples. */
static int32_t check(const cpae__term_env *env, const char *fn)
{
    if ((int32_t)env->cfg->v[CPAE_P_LIE_SAMPLER] == CPAE__SAMPLER_DATA && env->n_train < 2)
        return cpae__fail(CPAE_E_SIZE, fn, "the data sampler needs training data "
                          "(cpae_trainer_set_data) with at least 2 samples");
    return CPAE_OK;
}

static const cpae__param_info PARAMS[] = {
    {CPAE_P_W_LIE_LOCAL, 0, 1e9, 0, false},
    {CPAE_P_LIE_SAMPLER, 0, 2, 0, true},
    {CPAE_P_LIE_NEIGHBOURS, 1, 256, 1, true},
    {CPAE_P_LIE_DELTA, 1e-12, 1e6, 0.1, false},
    {CPAE_P_LIE_FACET_EPS, 1e-9, 1, 0.01, false},
    {CPAE_P_LIE_FORM, 0, 1, 0, true},
};

const cpae__term cpae__term_lie_local = {
    CPAE_TERM_LIE_LOCAL, "lie_local", CPAE_P_W_LIE_LOCAL,
    CPAE__NEEDS_GENERATOR | CPAE__NEEDS_DEC_TANGENTS | CPAE__NEEDS_NOISE, PARAMS,
    (int32_t)(sizeof PARAMS / sizeof *PARAMS), check, evaluate,
};
