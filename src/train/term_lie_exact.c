/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* term_lie_exact.c -- the Lie regularizer, exact form (docs/math.md
 * section 3): with A_0 the decoder map at the anchor's encoding,
 *   r_i = min_theta ||exp(sum_j theta_j G_j) A_0 - A_i||_F^2
 * (tangent form: min over theta and M of ||exp(theta G) A_0 M - A_i||^2),
 * averaged over the batch. The anchor joins the batch in one stacked
 * tangent pass. Plain form, k = 1 (skew or general G): the action path
 * (one table of Taylor terms of exp(t G) A_0 for the whole batch, no
 * exponential formed); the tangent form, and a skew G whose table would be
 * too large: the eigen path (one factorisation for every sample); k > 1:
 * one Pade expm and one Frechet derivative per sample. Precision of each
 * path: docs/math.md. */
#include "train/terms.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lie/action.h"
#include "lie/pade.h"
#include "lie/skew.h"
#include "lie/theta.h"

/* Thin QR A_0 = Q_0 R_0 (A_0 d x h row-major, d >= h; Q_0 d x h, R_0 h x h
 * upper). LAPACK's column-major routines on a transposed copy, their
 * workspaces by their own queries, all from the pool: the row-major
 * LAPACKE wrappers would allocate transposed copies on every call. */
static int32_t anchor_qr(const double *A0, int64_t d, int64_t h, double *Q0, double *R0,
                         cpae__pool *pool, const char *fn)
{
    double q1 = 0.0, q2 = 0.0, dum = 0.0, tdum = 0.0;
    lapack_int i1 = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)d, (lapack_int)h, &dum,
                                        (lapack_int)d, &tdum, &q1, -1);
    lapack_int i2 = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, (lapack_int)d, (lapack_int)h,
                                        (lapack_int)h, &dum, (lapack_int)d, &tdum, &q2, -1);
    if (i1 || i2)
        return cpae__fail(CPAE_E_NUMERIC, fn, "QR of the anchor map: workspace query failed");
    int64_t lwork = (int64_t)(q1 > q2 ? q1 : q2) + 1, len = d * h;
    double *A = cpae__pool_alloc(pool, (size_t)(len + h + lwork) * sizeof(double));
    if (!A)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    double *tau = A + len, *work = tau + h;
    for (int64_t a = 0; a < d; a++) /* column-major copy */
        for (int64_t b = 0; b < h; b++)
            A[b * d + a] = A0[a * h + b];
    lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)d, (lapack_int)h, A,
                                          (lapack_int)d, tau, work, (lapack_int)lwork);
    for (int64_t a = 0; a < h && !info; a++)
        for (int64_t b = 0; b < h; b++)
            R0[a * h + b] = b >= a ? A[b * d + a] : 0.0;
    if (!info)
        info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, (lapack_int)d, (lapack_int)h,
                                   (lapack_int)h, A, (lapack_int)d, tau, work,
                                   (lapack_int)lwork);
    for (int64_t a = 0; a < d && !info; a++)
        for (int64_t b = 0; b < h; b++)
            Q0[a * h + b] = A[b * d + a];
    cpae__pool_free(pool, A);
    return info ? cpae__fail(CPAE_E_NUMERIC, fn, "QR of the anchor map failed (%d)", (int)info)
                : CPAE_OK;
}

/* Does the upper triangular R (h x h) have a zero on its diagonal? */
static bool singular_upper(const double *R, int64_t h)
{
    for (int64_t i = 0; i < h; i++)
        if (R[i * h + i] == 0.0)
            return true;
    return false;
}

/* X <- R^{-1} X for R h x h upper triangular and regular, X h x h
 * (row-major), by back substitution. */
static void solve_upper(const double *R, int64_t h, double *X)
{
    for (int64_t i = h - 1; i >= 0; i--)
        for (int64_t c = 0; c < h; c++) {
            double v = X[i * h + c];
            for (int64_t j = i + 1; j < h; j++)
                v -= R[i * h + j] * X[j * h + c];
            X[i * h + c] = v / R[i * h + i];
        }
}

/* The exact form's dense path (plain form; any k, any parametrisation;
 * the skew k = 1 case has its own fast path, the general k = 1 case the
 * action path below unless its table is too large): per sample theta_i
 * (k = 1: cpae__theta_exact_pade; k > 1: cpae__theta_exact_multi), X_i = sum_j theta_ij G_j,
 * R_i = exp(X_i) A_0 - A_i, dA_i = -2R, dA_0 = 2 exp(X_i)^T R,
 * dG_j = 2 theta_ij L(X_i^T, R A_0^T): one Pade expm and one Frechet
 * derivative per sample. */
static int32_t lie_exact_general(const struct cpae_lie *lie, const cpae__loss_cfg *cfg,
                               int64_t m, int64_t d, int64_t h, const double *J, double *dJ,
                               double *gG, double *total, cpae__pool *pool, const char *fn)
{
    const int64_t k = lie->k, dd = d * d, len = d * h;
    const double *A0 = J + m * len;
    double *dA0 = dJ ? dJ + m * len : NULL, c = 2.0 * cfg->v[CPAE_P_W_LIE_EXACT] / (double)m;
    const int64_t sw = 2 * dd + (k + 2) * len + 2 * k + (len > k ? len : k);
    int64_t nw = sw + 3 * dd + len + k;
    double *w = cpae__pool_alloc(pool, (size_t)nw * sizeof(double));
    if (!w)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    double *X = w + sw, *E = X + dd, *L = E + dd, *R = L + dd,
           *theta = R + len;
    int32_t st = CPAE_OK;
    *total = 0.0;
    for (int64_t i = 0; i < m && !st; i++) {
        const double *Ai = J + i * len;
        st = k == 1 ? cpae__theta_exact_pade_in(lie->g, d, A0, Ai, h, cfg->theta_max,
                                                (int64_t)cfg->v[CPAE_P_LIE_THETA_GRID], theta,
                                                NULL, pool, fn)
                    : cpae__theta_exact_multi(lie->g, k, d, A0, Ai, h, cfg->theta_max,
                                        (int64_t)cfg->v[CPAE_P_LIE_THETA_GRID], w, theta, pool,
                                        fn);
        if (st)
            break;
        for (int64_t e = 0; e < dd; e++) {
            double v = 0.0;
            for (int64_t j = 0; j < k; j++)
                v += theta[j] * lie->g[j * dd + e];
            X[e] = v;
        }
        if ((st = cpae__expm_in(X, d, E, pool, fn)))
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
        if ((st = cpae__expm_frechet_in(Xt, RA, d, NULL, L, pool, fn)))
            break;
        for (int64_t j = 0; j < k; j++)
            for (int64_t e = 0; e < dd; e++)
                gG[j * dd + e] += c * theta[j] * L[e];
    }
    cpae__pool_free(pool, w);
    return st;
}

/* The exact form's action path (plain form, k = 1, any G; docs/math.md):
 * one orbit table of exp(t G) A_0, |t| <= theta_max, for the whole batch
 * (action.h: about (2 side + 1) deg GEMMs of d x d x h; deg ~ 25 and
 * side = 0 when theta_max ||G||_1 <= 2.4), every theta solve in the table's
 * coordinates (cpae__theta_exact_orbit), the residuals R_i = exp(theta_i G)
 * A_0 - A_i in one GEMM per anchor, and the gradients dA_i = -2 R_i and,
 * by the table's reverse mode with Rbar_i = 2 R_i,
 * dA_0 = sum_i 2 exp(theta_i G)^T R_i and dG = sum_i 2 theta_i
 * L(theta_i G^T, R_i A_0^T) (about 2 deg GEMMs of d x d x h per anchor,
 * whatever the batch size). *done is false (and nothing is changed) when
 * the table would exceed CPAE__ACTION_ORBIT_MAX doubles: then the caller
 * runs lie_exact_general. */
static int32_t lie_exact_action(const struct cpae_lie *lie, const cpae__loss_cfg *cfg,
                                int64_t m, int64_t d, int64_t h, const double *J, double *dJ,
                                double *gG, double *total, bool *done, cpae__pool *pool,
                                const char *fn)
{
    const int64_t len = d * h;
    const double *A0 = J + m * len, c = 2.0 * cfg->v[CPAE_P_W_LIE_EXACT] / (double)m;
    cpae__action_orbit *o = NULL;
    *done = false;
    int32_t st = cpae__action_orbit_create(lie->g, d, A0, h, cfg->theta_max, pool, &o, fn);
    if (st == CPAE_E_LIMIT)
        return CPAE_OK;
    if (st)
        return st;
    *done = true;
    double *th = cpae__pool_alloc(pool, (size_t)(m * (len + 1)) * sizeof(double)),
           *R = th ? th + m : NULL;
    if (!th) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto out;
    }
    if ((st = cpae__theta_exact_orbit(o, J, m, (int64_t)cfg->v[CPAE_P_LIE_THETA_GRID], th, NULL,
                                      fn)) ||
        (st = cpae__action_orbit_apply(o, m, th, R, NULL, fn)))
        goto out;
    double tot = 0.0;
    for (int64_t e = 0; e < m * len; e++) {
        R[e] -= J[e];
        tot += R[e] * R[e];
    }
    *total = tot;
    if (!dJ)
        goto out;
    for (int64_t e = 0; e < m * len; e++) {
        dJ[e] -= c * R[e];
        R[e] *= c;
    }
    st = cpae__action_orbit_adjoint(o, m, th, R, gG, dJ + m * len, fn);
out:
    cpae__pool_free(pool, th);
    cpae__action_orbit_destroy(o);
    return st;
}

/* The one rule of the tangent form: one skew-symmetric generator (the
 * eigen path it runs on). Checked by the plan and by every evaluation. */
static int32_t form_rule(const struct cpae_lie *lie, int32_t form, const char *fn)
{
    if (form != CPAE__FORM_TANGENT)
        return CPAE_OK;
    if (lie->k != 1)
        return cpae__fail(CPAE_E_INVALID, fn, "the tangent-space exact form takes one "
                          "generator (k = %lld)", (long long)lie->k);
    if (lie->param != CPAE_LIE_SKEW)
        return cpae__fail(CPAE_E_INVALID, fn, "the tangent-space exact form needs a "
                          "skew-symmetric generator (CPAE_LIE_SKEW)");
    return CPAE_OK;
}

/* r_i = min_theta ||exp(theta G) A_0 - A_i||^2 with A_0 the decoder map at
 * the anchor's encoding (docs/math.md section 3, one generator). Gradients with
 * R = exp(theta G) A_0 - A_i: dA_i = -2R, dA_0 = 2 exp(theta G)^T R,
 * dG = 2 theta L(theta G^T, R A_0^T). */
static int32_t evaluate(const cpae__term_args *args)
{
    const cpae_model *model = args->model;
    const struct cpae_lie *lie = args->lie;
    const cpae__loss_cfg *cfg = args->cfg;
    const cpae__batch *b = args->batch;
    const cpae__trace *tr = args->tr;
    double *terms = args->terms, *grad = args->grad;
    const char *fn = args->fn;
    cpae_chain enc, dec;
    (void)cpae__chain(model, CPAE_ENCODER, &enc, fn);
    (void)cpae__chain(model, CPAE_DECODER, &dec, fn);
    int64_t m = b->m, h = cpae__chain_in(&dec), d = cpae__chain_out(&dec), len = d * h;
    int64_t n_grid = (int64_t)cfg->v[CPAE_P_LIE_THETA_GRID];
    const double *G = lie->g;
    double *z0 = NULL, **q = NULL, *J = NULL, *dJ = NULL, *R = NULL, *E = NULL,
           *L = NULL;
    cpae__trace ta = {0};
    cpae__tangent tg = {0};
    cpae__skew_eig *sk = NULL;
    int32_t st = CPAE_OK;
    if (!b->x_anchor)
        return cpae__fail(CPAE_E_INVALID, fn, "the exact Lie form needs an anchor sample");
    bool skew = lie->param == CPAE_LIE_SKEW;
    if ((st = form_rule(lie, (int32_t)cfg->v[CPAE_P_LIE_FORM], fn)))
        return st;
    if (!(z0 = cpae__pool_alloc(tr->pool, (size_t)h * sizeof(double))) ||
        !(J = cpae__pool_alloc(tr->pool, (size_t)((m + 1) * len) * sizeof(double))) ||
        !(dJ = cpae__pool_calloc(tr->pool, (size_t)((m + 1) * len) * sizeof(double))) ||
        !(R = cpae__pool_alloc(tr->pool, (size_t)len * sizeof(double))) ||
        !(E = cpae__pool_alloc(tr->pool, (size_t)len * sizeof(double)))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    /* The anchor's latent code (a one-row trace of the encoder); the anchor
     * joins the batch as sample m of one stacked tangent pass. */
    cpae__trace te = {0};
    st = cpae__trace_run(&enc, b->x_anchor, 1, &te, tr->pool, fn);
    if (!st)
        memcpy(z0, cpae__trace_out(&te), (size_t)h * sizeof(double));
    cpae__trace_free(&te);
    if (st || (st = cpae__trace_run(&dec, z0, 1, &ta, tr->pool, fn)))
        goto done;
    if (!(q = cpae__stack_states(&dec, tr->q + model->n_enc, m, ta.q, NULL, 1, tr->pool))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if ((st = cpae__tangent_forward(&dec, (const double *const *)q, m + 1, &tg, J, tr->pool, fn)))
        goto done;
    if ((int32_t)cfg->v[CPAE_P_LIE_FORM] != CPAE__FORM_TANGENT) {
        /* Plain form. k = 1, skew or not: the action path (one Taylor table
         * for the batch; cheaper than the eigen path's per-sample complex
         * products, docs/performance.md); k > 1: the general path. A skew
         * G whose table would be too large takes the eigen path below. */
        double tot = 0.0;
        bool want_gk = grad && cpae__lie_learned(lie), done_plain = false;
        if (lie->k == 1 &&
            (st = lie_exact_action(lie, cfg, m, d, h, J, grad ? dJ : NULL,
                                   want_gk ? grad + model->n_params : NULL, &tot, &done_plain,
                                   tr->pool, fn)))
            goto done;
        if (!done_plain && !(lie->k == 1 && skew)) {
            if ((st = lie_exact_general(lie, cfg, m, d, h, J, grad ? dJ : NULL,
                                        want_gk ? grad + model->n_params : NULL, &tot,
                                        tr->pool, fn)))
                goto done;
            done_plain = true;
        }
        if (done_plain) {
            terms[CPAE__T_LIE_EXACT] = tot / (double)m;
            if (grad)
                st = cpae__tangent_backward(&dec, &tg, dJ, model->params, grad, NULL, fn);
            goto done;
        }
    }
    if ((st = cpae__skew_eig_create_in(G, d, tr->pool, &sk, fn)))
        goto done;
    const double *A0 = J + m * len;
    double *dA0 = dJ + m * len, total = 0.0, c = 2.0 * cfg->v[CPAE_P_W_LIE_EXACT] / (double)m;
    bool want_g = grad && cpae__lie_learned(lie);
    if (want_g && !(L = cpae__pool_alloc(tr->pool, (size_t)(d * d) * sizeof(double)))) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    {
        /* Skew G, k = 1 (the rest went to lie_exact_general above).
         * One factorisation of G serves every sample: the theta solves share
         * the anchor's transform, and the generator gradient is one
         * Daleckii-Krein sum, sum_i c theta_i L(-theta_i G, R_i A_0^T). */
        double *th = cpae__pool_alloc(tr->pool, (size_t)(4 * m) * sizeof(double)), *Rall = NULL;
        if (!th || !(Rall = cpae__pool_alloc(tr->pool, (size_t)(m * len) * sizeof(double)))) {
            cpae__pool_free(tr->pool, th);
            st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
            goto done;
        }
        double *negt = th + m, *coef = th + 2 * m, *cs = th + 3 * m;
        /* Tangent-space variant: min over theta and M of
         * ||exp(theta G) A_0 M - A_i||^2. With Q_0 R_0 = A_0 (thin QR),
         * M = R_0^{-1} Q_0^T exp(-theta G) A_i; by the envelope theorem the
         * gradients are the plain ones with R M^T on the A_0 / G side. */
        bool tangent = (int32_t)cfg->v[CPAE_P_LIE_FORM] == CPAE__FORM_TANGENT;
        double *Q0 = NULL, *R0 = NULL, *tw = NULL;
        if (tangent) {
            Q0 = cpae__pool_alloc(tr->pool,
                                  (size_t)(len + h * h + len + h * h + len) * sizeof(double));
            if (!Q0) {
                cpae__pool_free(tr->pool, th);
                cpae__pool_free(tr->pool, Rall);
                st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
                goto done;
            }
            R0 = Q0 + len;
            tw = R0 + h * h; /* tw: len, then h x h, then len */
            if (!(st = anchor_qr(A0, d, h, Q0, R0, tr->pool, fn)) && singular_upper(R0, h))
                st = cpae__fail(CPAE_E_NUMERIC, fn, "the anchor map is rank deficient; "
                                "the tangent-space exact form needs full column rank");
            for (int64_t i = 0; i < m && !st; i++)
                st = cpae__theta_tangent(sk, Q0, J + i * len, d, h, cfg->theta_max, n_grid,
                                   tw, tw + len, th + i, fn);
        } else
            st = cpae__theta_exact_many(sk, d, A0, J, m, h, cfg->theta_max, n_grid,
                                        th, NULL, fn);
        /* exp(theta_i G) A_0 for every sample in one pass (A_0's transform
         * shared), and for the tangent form exp(-theta_i G) A_i likewise;
         * then the per-sample work is O(d h) plus h x h products. */
        double *Wall = NULL;
        if (!st)
            st = cpae__skew_apply_many(sk, m, th, A0, true, h, Rall, fn);
        if (!st && tangent) {
            for (int64_t i = 0; i < m; i++)
                negt[i] = -th[i];
            if (!(Wall = cpae__pool_alloc(tr->pool, (size_t)(m * len) * sizeof(double))))
                st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
            else
                st = cpae__skew_apply_many(sk, m, negt, J, false, h, Wall, fn);
        }
        for (int64_t i = 0; i < m && !st; i++) {
            const double *Ai = J + i * len;
            double *Rg = Rall + i * len, *Ri = R, rr = 0.0;
            memcpy(Ri, Rg, (size_t)len * sizeof(double)); /* exp(theta_i G) A_0 */
            if (tangent) {
                double *w = tw, *Mh = tw + len;
                cpae__gemm(true, false, h, h, d, 1.0, Q0, h, Wall + i * len, h, 0.0, Mh, h);
                solve_upper(R0, h, Mh);
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
            cs[i] = c;
            if (grad)
                for (int64_t e = 0; e < len; e++)
                    dJ[i * len + e] -= c * Ri[e];
        }
        cpae__pool_free(tr->pool, Wall);
        /* dA_0 = sum_i c exp(-theta_i G) Rg_i, summed in the eigenbasis */
        if (!st && grad && !(st = cpae__skew_apply_sum(sk, m, negt, cs, Rall, h, E, fn)))
            for (int64_t e = 0; e < len; e++)
                dA0[e] += E[e];
        cpae__pool_free(tr->pool, Q0);
        if (!st && want_g &&
            !(st = cpae__skew_frechet_sum(sk, m, negt, coef, Rall, A0, h, L, fn))) {
            double *gG = grad + model->n_params;
            for (int64_t e = 0; e < d * d; e++)
                gG[e] += L[e];
        }
        cpae__pool_free(tr->pool, th);
        cpae__pool_free(tr->pool, Rall);
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
    cpae__pool_free(tr->pool, z0);
    cpae__pool_free(tr->pool, q);
    cpae__pool_free(tr->pool, J);
    cpae__pool_free(tr->pool, dJ);
    cpae__pool_free(tr->pool, R);
    cpae__pool_free(tr->pool, E);
    cpae__pool_free(tr->pool, L);
    return st;
}

/* What the exact form needs from the trainer: an anchor among the training
 * samples, and for the tangent form one skew generator. */
static int32_t check(const cpae__term_env *env, const char *fn)
{
    int32_t st = form_rule(env->lie, (int32_t)env->cfg->v[CPAE_P_LIE_FORM], fn);
    if (st)
        return st;
    if (env->n_train < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "the exact Lie form needs training data for "
                          "its anchor");
    if (env->cfg->v[CPAE_P_LIE_ANCHOR] >= (double)env->n_train)
        return cpae__fail(CPAE_E_INVALID, fn, "anchor index %.0f >= %lld samples",
                          env->cfg->v[CPAE_P_LIE_ANCHOR], (long long)env->n_train);
    return CPAE_OK;
}

static const cpae__param_info PARAMS[] = {
    {CPAE_P_W_LIE_EXACT, 0, 1e9, 0, false},
    {CPAE_P_LIE_THETA_MAX, 0, 1e9, 0, false},
    {CPAE_P_LIE_THETA_GRID, 2, 1e6, 64, true},
    {CPAE_P_LIE_REANCHOR, 0, 1, 0, true},
    {CPAE_P_LIE_ANCHOR, 0, 9007199254740992.0, 0, true},
};

const cpae__term cpae__term_lie_exact = {
    CPAE_TERM_LIE_EXACT, "lie_exact", CPAE_P_W_LIE_EXACT,
    CPAE__NEEDS_GENERATOR | CPAE__NEEDS_DEC_TANGENTS, PARAMS,
    (int32_t)(sizeof PARAMS / sizeof *PARAMS), check, evaluate,
    NULL, /* double in both precisions: expm and Frechet numerics */
};
