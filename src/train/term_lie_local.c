/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* term_lie_local.c -- the Lie regularizer, local form (docs/math.md
 * section 3): for each sample x_i and neighbour z' in latent space, with
 * A_i, A' the decoder maps of their regions and Delta = A_i - A',
 *   r_i' = min_theta ||Delta - sum_j theta_j G_j A'||_F^2
 * (tangent form: the same after projecting off span(A')), averaged over
 * the m K pairs. Pairs in one region contribute exactly 0 and are skipped;
 * the rest share one stacked tangent pass. Generic: compiled once per
 * precision (core/real.h); theta and the sums are double in both. */
#include "train/terms.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/lie_pair.h"

#include "core/real.h"

/* Do two samples have the same decoder code? (Equal codes: residual 0.) */
static bool X(same_region)(const CHAIN *dec, real *const *qa, int64_t ia,
                        real *const *qb, int64_t ib)
{
    for (int64_t l = 0; l < dec->n; l++) {
        int64_t n = dec->layers[l].n_out;
        if (cpae__has_bits(dec->layers[l].act) &&
            memcmp(qa[l] + ia * n, qb[l] + ib * n, (size_t)n * sizeof(real)) != 0)
            return false;
    }
    return true;
}


/* The batch's decoder tangents over chain c (forward stacking: T^l for
 * every layer input), and its Jacobians into J when J is not NULL: formed
 * once per step, for the facet sampler and for the pairs' A_i. */
static int32_t X(batch_tangents)(const X(term_args) *args, const CHAIN *c, X(tangent) *tb,
                                 real *J)
{
    if (tb->T)
        return CPAE_OK;
    const X(trace) *tr = args->tr;
    return X(tangent_forward)(c, (const real *const *)(tr->q + args->model->n_enc),
                              args->batch->m, tb, J, tr->pool, args->fn);
}

/* The general path (tangent form, or a decoder whose output layer has
 * code bits): the m + P maps at the output width. tb holds the batch's
 * tangents (Jacobians in J's first m blocks); adds the gradient. */
static int32_t X(lie_local_maps)(const X(term_args) *args, const CHAIN *dec, X(tangent) *tb,
                                 real *J, const X(trace) *tn, const int64_t *rows,
                                 const int64_t *owner, int64_t P, double *total)
{
    const cpae_model *model = args->model;
    const struct cpae_lie *lie = args->lie;
    const cpae__loss_cfg *cfg = args->cfg;
    cpae__pool *pool = args->tr->pool;
    real *grad = args->grad;
    const char *fn = args->fn;
    int64_t m = args->batch->m, K = (int64_t)cfg->v[CPAE_P_LIE_NEIGHBOURS], Pmax = m * K;
    int64_t h = X(chain_in)(dec), d = X(chain_out)(dec);
    int32_t form = (int32_t)cfg->v[CPAE_P_LIE_FORM];
    int64_t k = lie->k, len = d * h;
    X(tangent) tp = {0};
    real **q = NULL, *dJ = NULL, *side = NULL, *gside = NULL, *ga = NULL, *rs = NULL,
         *gw = NULL, *xw = NULL, *extra = NULL, *gaj = NULL;
    double *theta = NULL;
    X(pair_ws) w = {0};
    int32_t st;
    /* Blocks are sized for the most pairs a batch can have (Pmax = m K),
     * so the pool serves every step from the same blocks. */
    q = X(stack_states_cap)(dec, NULL, 0, tn->q, rows, P, Pmax, pool);
    dJ = cpae__pool_alloc(pool, (size_t)((m + Pmax) * len) * sizeof(real));
    gside = cpae__pool_alloc(pool, (size_t)(Pmax * len) * sizeof(real));
    ga = cpae__pool_alloc(pool, (size_t)(k * Pmax * len) * sizeof(real));
    rs = cpae__pool_alloc(pool, (size_t)(k * Pmax * len) * sizeof(real));
    theta = cpae__pool_alloc(pool, (size_t)(k * Pmax) * sizeof(double));
    gaj = cpae__pool_alloc(pool, (size_t)(k * len) * sizeof(real));
    bool ws_ok = X(lie_pair_ws_init)(&w, k, d, h, form, pool);
    if (!q || !dJ || !gside || !ga || !rs || !theta || !gaj || !ws_ok) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    memset(dJ, 0, (size_t)((m + P) * len) * sizeof(real));
    if ((st = X(tangent_forward_cap)(dec, (const real *const *)q, P, Pmax, &tp, J + m * len,
                                     pool, fn)))
        goto done;
    /* G_j A' for every pair: one GEMM per generator over the pairs side by
     * side (d x P h). With an identity output layer A' = W^L T'^{L-1}, so
     * G A' = (G W^L) T'^{L-1}: G W^L is formed once and the pairs stay in
     * the last hidden width (docs/math.md section 4). */
    const real *Ap = J + m * len;
    const LAYER *last = &dec->layers[dec->n - 1];
    bool fold = !cpae__has_bits(last->act);
    int64_t nh = last->n_in, ldT = P * h;
    const real *Tp = tp.T[dec->n - 1]; /* pairs' n_{L-1} x P h block */
    /* Folded: G W^L per generator. Otherwise the pairs' maps side by side. */
    if (fold ? !(gw = cpae__pool_alloc(pool, (size_t)(k * d * nh) * sizeof(real)))
             : !(side = cpae__pool_alloc(pool, (size_t)(Pmax * len) * sizeof(real)))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if (!fold)
        X(lie_blocks_to_side)(Ap, P, d, h, side);
    for (int64_t j = 0; j < k; j++) {
        if (fold) {
            real *gwj = gw + j * d * nh;
            X(gemm)(false, false, d, nh, d, 1.0, args->g + j * d * d, d, last->w, nh, 0.0,
                       gwj, nh);
            X(gemm)(false, false, d, P * h, nh, 1.0, gwj, nh, Tp, ldT, 0.0, gside, P * h);
        } else
            X(gemm)(false, false, d, P * h, d, 1.0, args->g + j * d * d, d, side, P * h,
                       0.0, gside, P * h);
        X(lie_side_to_blocks)(gside, P, d, h, ga + j * P * len);
    }
    double sum = 0.0, c = 2.0 * cfg->v[CPAE_P_W_LIE_LOCAL] / (double)(m * K);
    for (int64_t p = 0; p < P && !st; p++) {
        const real *Ai = J + owner[p] * len, *A1 = Ap + p * len;
        for (int64_t j = 0; j < k; j++)
            memcpy(gaj + j * len, ga + (j * P + p) * len, (size_t)len * sizeof(real));
        double r = 0.0;
        if ((st = X(lie_pair_residual)(Ai, A1, gaj, k, d, h, form, &w, theta + p * k, &r, fn)))
            break;
        sum += r;
        /* dr/dA_i = 2R; dr/dA' = -2R - 2 sum theta_j G_j^T R (- 2 R E^T);
         * dr/dG_j = -2 theta_j R A'^T. */
        real *dAi = dJ + owner[p] * len, *dAp = dJ + (m + p) * len;
        for (int64_t e = 0; e < len; e++) {
            dAi[e] += c * w.R[e];
            dAp[e] -= c * w.R[e];
        }
        if (form == CPAE__FORM_TANGENT)
            X(gemm)(false, true, d, h, h, -c, w.R, h, w.E, h, 1.0, dAp, h);
        for (int64_t j = 0; j < k; j++)
            for (int64_t e = 0; e < len; e++)
                rs[(j * P + p) * len + e] = theta[p * k + j] * w.R[e];
    }
    *total = sum;
    if (st || !grad)
        goto done;
    /* Stacked: dA' -= c G_j^T [theta_j R] and dG_j -= c [theta_j R] A'^T.
     * Folded (identity output layer), both go through the hidden width with
     * X = [theta_j R] T'^T (d x n_{L-1}): dG_j -= c X W^L^T, and dA' reaches
     * the weights as dW^L -= c G_j^T X and dT'^{L-1} -= c (G_j W^L)^T
     * [theta_j R], never forming a d x d x P h product. */
    real *gG = grad + model->n_params;
    if (fold && (!(xw = cpae__pool_alloc(pool, (size_t)(d * nh) * sizeof(real))) ||
                 !(extra = cpae__pool_alloc(pool, (size_t)(nh * Pmax * h) * sizeof(real))))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if (extra)
        memset(extra, 0, (size_t)(nh * ldT) * sizeof(real));
    for (int64_t j = 0; j < k; j++) {
        const real *gj = args->g + j * d * d;
        X(lie_blocks_to_side)(rs + j * P * len, P, d, h, gside);
        if (fold) {
            X(gemm)(false, true, d, nh, P * h, 1.0, gside, P * h, Tp, ldT, 0.0, xw, nh);
            if (cpae__lie_learned(lie))
                X(gemm)(false, true, d, d, nh, -c, xw, nh, last->w, nh, 1.0, gG + j * d * d,
                           d);
            X(gemm)(true, false, d, nh, d, -c, gj, d, xw, nh, 1.0,
                       grad + (last->w - args->base), nh);
            X(gemm)(true, false, nh, P * h, d, -c, gw + j * d * nh, nh, gside, P * h, 1.0,
                       extra, ldT);
            continue;
        }
        if (cpae__lie_learned(lie))
            X(gemm)(false, true, d, d, P * h, -c, gside, P * h, side, P * h, 1.0,
                       gG + j * d * d, d);
        X(gemm)(true, false, d, P * h, d, 1.0, gj, d, gside, P * h, 0.0, ga, P * h);
        X(lie_side_to_blocks)(ga, P, d, h, rs + j * P * len); /* G_j^T [theta_j R] */
        for (int64_t e = 0; e < P * len; e++)
            dJ[m * len + e] -= c * rs[j * P * len + e];
    }
    if (!(st = X(tangent_backward)(dec, tb, dJ, args->base, grad, NULL, fn)))
        st = X(tangent_backward)(dec, &tp, dJ + m * len, args->base, grad, extra, fn);
done:
    X(tangent_free)(&tp);
    cpae__pool_free(pool, q);
    cpae__pool_free(pool, dJ);
    cpae__pool_free(pool, side);
    cpae__pool_free(pool, gside);
    cpae__pool_free(pool, ga);
    cpae__pool_free(pool, rs);
    cpae__pool_free(pool, theta);
    cpae__pool_free(pool, gaj);
    cpae__pool_free(pool, gw);
    cpae__pool_free(pool, xw);
    cpae__pool_free(pool, extra);
    X(lie_pair_ws_free)(&w);
    return st;
}

int32_t X(term_lie_local_eval)(const X(term_args) *args)
{
    const cpae__loss_cfg *cfg = args->cfg;
    const X(trace) *tr = args->tr;
    cpae__pool *pool = tr->pool;
    const char *fn = args->fn;
    CHAIN dec = X(args_chain)(args, CPAE_DECODER);
    int64_t m = args->batch->m, K = (int64_t)cfg->v[CPAE_P_LIE_NEIGHBOURS];
    int64_t h = X(chain_in)(&dec), len = X(chain_out)(&dec) * h;
    real *const *qz = tr->q + args->model->n_enc;
    /* The usual decoder (identity output layer, plain form) works at the
     * last hidden width: its tangents stop one layer short. */
    bool hidden = X(lie_local_hidden_applies)(&dec, (int32_t)cfg->v[CPAE_P_LIE_FORM]);
    CHAIN tc = hidden ? (CHAIN){dec.layers, dec.n - 1} : dec;
    X(trace) tn = {0};
    X(tangent) tb = {0};
    real *zn = NULL, *J = NULL;
    int64_t *rows = NULL, *owner = NULL, P = 0;
    double total = 0.0;
    int32_t st;
    args->terms[CPAE__T_LIE_LOCAL] = 0.0;
    if (!(zn = cpae__pool_alloc(pool, (size_t)(m * K * h) * sizeof(real))) ||
        !(rows = cpae__pool_alloc(pool, (size_t)(m * K) * sizeof(int64_t))) ||
        !(owner = cpae__pool_alloc(pool, (size_t)(m * K) * sizeof(int64_t))) ||
        (!hidden && !(J = cpae__pool_alloc(pool, (size_t)((m + m * K) * len) * sizeof(real))))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    /* The facet sampler reads the batch's tangents: form them first. */
    if ((int32_t)cfg->v[CPAE_P_LIE_SAMPLER] == CPAE__SAMPLER_FACET &&
        (st = X(batch_tangents)(args, &tc, &tb, J)))
        goto done;
    /* The neighbours' codes: on the hidden path the output layer (no code
     * bits) is not traced. */
    if ((st = X(lie_sample_neighbours)(args, tb.T ? &tb : NULL, zn)) ||
        (st = X(trace_run)(&tc, zn, m * K, &tn, pool, fn)))
        goto done;
    /* Pairs in the same region contribute exactly 0: skip them before any
     * tangent work. */
    for (int64_t e = 0; e < m * K; e++)
        if (!X(same_region)(&tc, qz, e / K, tn.q, e)) {
            rows[P] = e;
            owner[P++] = e / K;
        }
    if (P == 0 || (st = X(batch_tangents)(args, &tc, &tb, J)))
        goto done;
    st = hidden ? X(lie_local_hidden)(args, &dec, &tb, &tn, rows, owner, P, &total)
                : X(lie_local_maps)(args, &dec, &tb, J, &tn, rows, owner, P, &total);
    args->terms[CPAE__T_LIE_LOCAL] = total / (double)(m * K);
done:
    X(tangent_free)(&tb);
    X(trace_free)(&tn);
    cpae__pool_free(pool, zn);
    cpae__pool_free(pool, rows);
    cpae__pool_free(pool, owner);
    cpae__pool_free(pool, J);
    return st;
}

#ifndef CPAE_SINGLE /* the table row, once */
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
    (int32_t)(sizeof PARAMS / sizeof *PARAMS), check, cpae__term_lie_local_eval,
    cpae__term_lie_local_eval_f,
};
#endif
