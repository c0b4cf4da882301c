/* lie_local_hidden.c -- the local Lie term, plain form, for a decoder whose
 * output layer is the identity (the usual autoencoder), at the last hidden
 * width n_h (docs/math.md section 4). With T the tangents of the hidden
 * chain (n_h x h per sample) and W the output layer,
 *   Delta_p = A_i - A'_p = W (T_i - T'_p) = W D_p,   G_j A'_p = (G_j W) T'_p,
 * so one GEMM forms every pair's Delta and one per generator every G_j A';
 * the output-width maps of the m + P samples are never formed and the
 * backward pass runs the output layer on the P differences only:
 *   dW += c R D^T - c G_j^T X_j,  dG_j -= c X_j W^T,  X_j = [theta_j R] T'^T,
 *   dT_i += W^T c R,  dT'_p -= W^T c R + c (G_j W)^T [theta_j R].
 * Generic: compiled once per precision (core/real.h). */
#include "train/terms.h"

#include <stdlib.h>
#include <string.h>

#include "train/lie_pair.h"

#include "core/real.h"

typedef struct X(hidden_ws) {
    real **q, *D, *S1, *S2, *Rb, *gw, *ga, *ghid, *dJ, *xw;
    const real **gap;
    double *theta;
} X(hidden_ws);

static void X(hidden_free)(X(hidden_ws) *w, cpae__pool *pool)
{
    real *blocks[] = {(real *)w->q, w->D, w->S1, w->S2, w->Rb, w->gw, w->ga, w->ghid, w->dJ,
                      w->xw};
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++)
        cpae__pool_free(pool, blocks[i]);
    cpae__pool_free(pool, w->theta);
    cpae__pool_free(pool, (void *)w->gap);
}

bool X(lie_local_hidden_applies)(const CHAIN *dec, int32_t form)
{
    const LAYER *last = &dec->layers[dec->n - 1];
    /* forward stacking of the hidden chain needs h <= n_h */
    return form == CPAE__FORM_PLAIN && dec->n >= 2 && !cpae__has_bits(last->act) &&
           dec->layers[0].n_in <= last->n_in;
}

int32_t X(lie_local_hidden)(const X(term_args) *args, const CHAIN *dec, const X(trace) *tn,
                            const int64_t *rows, const int64_t *owner, int64_t P,
                            double *total)
{
    const cpae__loss_cfg *cfg = args->cfg;
    const X(trace) *tr = args->tr;
    cpae__pool *pool = tr->pool;
    const char *fn = args->fn;
    real *grad = args->grad;
    const LAYER *last = &dec->layers[dec->n - 1];
    CHAIN hid = {dec->layers, dec->n - 1};
    int64_t m = args->batch->m, K = (int64_t)cfg->v[CPAE_P_LIE_NEIGHBOURS], Pmax = m * K;
    int64_t h = dec->layers[0].n_in, d = last->n_out, nh = last->n_in, k = args->lie->k;
    int64_t len = d * h, S = m + P, ldT = S * h, Ph = P * h, cap = (m + Pmax) * h;
    X(tangent) tg = {0};
    X(hidden_ws) w = {0};
    int32_t st = CPAE_OK;
    /* Every block sized for Pmax pairs: the pool serves each step the same. */
    w.q = X(stack_states_cap)(&hid, tr->q + args->model->n_enc, m, tn->q, rows, P, Pmax, pool);
    w.D = cpae__pool_alloc(pool, (size_t)(nh * Pmax * h) * sizeof(real));
    w.S1 = cpae__pool_alloc(pool, (size_t)(Pmax * len) * sizeof(real));
    w.S2 = cpae__pool_alloc(pool, (size_t)(Pmax * len) * sizeof(real));
    if (k > 1) { /* the per-pair blocks of the k > 1 least squares */
        w.Rb = cpae__pool_alloc(pool, (size_t)(Pmax * len) * sizeof(real));
        }
    w.gw = cpae__pool_alloc(pool, (size_t)(k * d * nh) * sizeof(real));
    w.ga = cpae__pool_alloc(pool, (size_t)(k * Pmax * len) * sizeof(real));
    w.theta = cpae__pool_alloc(pool, (size_t)((k + 1) * Pmax) * sizeof(double));
    w.gap = cpae__pool_alloc(pool, (size_t)k * sizeof(real *));
    if (!w.q || !w.D || !w.S1 || !w.S2 || (k > 1 && (!w.Rb || !w.ga)) || !w.gw || !w.theta ||
        !w.gap) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if ((st = X(tangent_forward_cap)(&hid, (const real *const *)w.q, S, m + Pmax, &tg, NULL,
                                     pool, fn)))
        goto done;
    const real *T = tg.T[hid.n], *Tp = T + m * h; /* n_h x S h; the pairs' columns */
    /* D_p = T_owner(p) - T'_p, side by side (n_h x P h). */
    for (int64_t r = 0; r < nh; r++)
        for (int64_t p = 0; p < P; p++)
            for (int64_t c = 0; c < h; c++)
                w.D[r * Ph + p * h + c] = T[r * ldT + owner[p] * h + c] - Tp[r * ldT + p * h + c];
    /* Delta (side, in S1) = W D. */
    X(gemm)(false, false, d, Ph, nh, 1.0, last->w, nh, w.D, Ph, 0.0, w.S1, Ph);
    double sum = 0.0;
    if (k == 1) { /* theta and R pair by pair, all in the side-by-side layout */
        X(gemm)(false, false, d, nh, d, 1.0, args->g, d, last->w, nh, 0.0, w.gw, nh);
        X(gemm)(false, false, d, Ph, nh, 1.0, w.gw, nh, Tp, ldT, 0.0, w.S2, Ph); /* G A' */
        double *num = w.theta, *den = w.theta + Pmax;
        memset(num, 0, (size_t)P * sizeof(double));
        memset(den, 0, (size_t)P * sizeof(double));
        for (int64_t r = 0; r < d; r++)
            for (int64_t p = 0; p < P; p++) {
                const real *dl = w.S1 + r * Ph + p * h, *ga = w.S2 + r * Ph + p * h;
                double nu = 0.0, de = 0.0;
                for (int64_t e = 0; e < h; e++) {
                    nu += (double)dl[e] * (double)ga[e];
                    de += (double)ga[e] * (double)ga[e];
                }
                num[p] += nu;
                den[p] += de;
            }
        for (int64_t p = 0; p < P; p++) /* theta_p = <Delta, G A'> / ||G A'||^2 */
            num[p] = den[p] > 0.0 ? num[p] / den[p] : 0.0;
        for (int64_t r = 0; r < d; r++) /* R = Delta - theta G A', in S1 */
            for (int64_t p = 0; p < P; p++) {
                real *dl = w.S1 + r * Ph + p * h;
                const real *ga = w.S2 + r * Ph + p * h;
                real th = (real)num[p];
                for (int64_t e = 0; e < h; e++) {
                    dl[e] -= th * ga[e];
                    sum += (double)dl[e] * (double)dl[e];
                }
            }
    } else { /* k > 1: each pair's least squares on its blocks */
        X(lie_side_to_blocks)(w.S1, P, d, h, w.S2);
        for (int64_t j = 0; j < k; j++) { /* G_j A' = (G_j W) T' */
            real *gwj = w.gw + j * d * nh;
            X(gemm)(false, false, d, nh, d, 1.0, args->g + j * d * d, d, last->w, nh, 0.0, gwj,
                    nh);
            X(gemm)(false, false, d, Ph, nh, 1.0, gwj, nh, Tp, ldT, 0.0, w.S1, Ph);
            X(lie_side_to_blocks)(w.S1, P, d, h, w.ga + j * P * len);
        }
        const real **gap = w.gap;
        for (int64_t p = 0; p < P && !st; p++) {
            for (int64_t j = 0; j < k; j++)
                gap[j] = w.ga + (j * P + p) * len;
            const real *dp = w.S2 + p * len;
            double *th = w.theta + p * k;
            if ((st = X(lie_theta_solve)(dp, gap, k, len, th, fn)))
                break;
            real *R = w.Rb + p * len;
            for (int64_t e = 0; e < len; e++) {
                double v = dp[e];
                for (int64_t j = 0; j < k; j++)
                    v -= th[j] * gap[j][e];
                R[e] = (real)v;
                sum += v * v;
            }
        }
        if (!st)
            X(lie_blocks_to_side)(w.Rb, P, d, h, w.S1);
    }
    *total = sum;
    if (st || !grad)
        goto done;
    double c = 2.0 * cfg->v[CPAE_P_W_LIE_LOCAL] / (double)(m * K);
    real *gW = grad + (last->w - args->base), *gG = grad + args->model->n_params;
    w.ghid = cpae__pool_alloc(pool, (size_t)(nh * cap) * sizeof(real));
    w.dJ = cpae__pool_alloc(pool, (size_t)(nh * cap) * sizeof(real));
    w.xw = cpae__pool_alloc(pool, (size_t)(d * nh) * sizeof(real));
    if (!w.ghid || !w.dJ || !w.xw) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    memset(w.ghid, 0, (size_t)(nh * ldT) * sizeof(real));
    real *Rs = w.S1; /* R side by side (d x P h) */
    /* dW += c R D^T; then D's storage takes W^T c R, scattered to the owners
     * (+) and the pairs (-). */
    X(gemm)(false, true, d, nh, Ph, c, Rs, Ph, w.D, Ph, 1.0, gW, nh);
    X(gemm)(true, false, nh, Ph, d, c, last->w, nh, Rs, Ph, 0.0, w.D, Ph);
    for (int64_t r = 0; r < nh; r++)
        for (int64_t p = 0; p < P; p++)
            for (int64_t e = 0; e < h; e++) {
                real v = w.D[r * Ph + p * h + e];
                w.ghid[r * ldT + owner[p] * h + e] += v;
                w.ghid[r * ldT + (m + p) * h + e] -= v;
            }
    for (int64_t j = 0; j < k; j++) {
        real *tr_side = w.S2; /* [theta_j R] side by side */
        for (int64_t r = 0; r < d; r++)
            for (int64_t p = 0; p < P; p++) {
                real tj = (real)w.theta[p * k + j];
                for (int64_t e = 0; e < h; e++)
                    tr_side[r * Ph + p * h + e] = tj * Rs[r * Ph + p * h + e];
            }
        X(gemm)(false, true, d, nh, Ph, 1.0, tr_side, Ph, Tp, ldT, 0.0, w.xw, nh);
        if (cpae__lie_learned(args->lie))
            X(gemm)(false, true, d, d, nh, -c, w.xw, nh, last->w, nh, 1.0, gG + j * d * d, d);
        X(gemm)(true, false, d, nh, d, -c, args->g + j * d * d, d, w.xw, nh, 1.0, gW, nh);
        X(gemm)(true, false, nh, Ph, d, -c, w.gw + j * d * nh, nh, tr_side, Ph, 1.0,
                w.ghid + m * h, ldT);
    }
    /* The hidden chain's output tangents' gradient, as S blocks of n_h x h. */
    X(lie_side_to_blocks)(w.ghid, S, nh, h, w.dJ);
    st = X(tangent_backward)(&hid, &tg, w.dJ, args->base, grad, NULL, fn);
done:
    X(tangent_free)(&tg);
    X(hidden_free)(&w, pool);
    return st;
}
