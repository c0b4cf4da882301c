/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
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
 * Everything stays side by side (rows x P h, pair p in columns p h ..
 * p h + h - 1); the batch's tangents T come from the caller (formed once
 * per step), the pairs' T' from one stacked pass here.
 * Generic: compiled once per precision (core/real.h). */
#include "train/terms.h"

#include <stdlib.h>
#include <string.h>

#include "train/lie_pair.h"

#include "core/real.h"
#include "core/vector.h"

typedef struct X(hidden_ws) {
    real **q, *D, *S1, *S2, *Rb, *gw, *ga, *col, *gb, *xw;
    const real **gap;
    double *theta, *acc;
    void *lsq; /* k > 1: the least-squares scratch */
} X(hidden_ws);

static void X(hidden_free)(X(hidden_ws) *w, cpae__pool *pool)
{
    void *blocks[] = {w->q, w->D, w->S1, w->S2, w->Rb, w->gw, w->ga, w->col, w->gb, w->xw,
                      (void *)w->gap, w->theta, w->acc, w->lsq};
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++)
        cpae__pool_free(pool, blocks[i]);
}

bool X(lie_local_hidden_applies)(const CHAIN *dec, int32_t form)
{
    const LAYER *last = &dec->layers[dec->n - 1];
    /* forward stacking of the hidden chain needs h <= n_h */
    return form == CPAE__FORM_PLAIN && dec->n >= 2 && !cpae__has_bits(last->act) &&
           dec->layers[0].n_in <= last->n_in;
}

/* ------------------------------------------------ the elementwise loops
 * Each runs over contiguous columns (vectorised, CPAE__VECTOR) with the
 * per-column sums in double. */

/* D = T_owner - T' per pair: rows x P h, from Tb (ld ldb) and Tp (ld P h). */
CPAE__VECTOR static void X(pair_diff)(int64_t rows, int64_t P, int64_t h, const real *Tb,
                                      int64_t ldb, const real *Tp, const int64_t *owner,
                                      real *D)
{
    int64_t ld = P * h;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t p = 0; p < P; p++) {
            const real *a = Tb + r * ldb + owner[p] * h, *b = Tp + r * ld + p * h;
            real *o = D + r * ld + p * h;
            for (int64_t c = 0; c < h; c++)
                o[c] = a[c] - b[c];
        }
}

/* Per column c of the rows x n matrices A and B: num[c] = sum_r A B and
 * den[c] = sum_r B^2 (double). */
CPAE__VECTOR static void X(column_dots)(int64_t rows, int64_t n, const real *A, const real *B,
                                        double *num, double *den)
{
    memset(num, 0, (size_t)n * sizeof(double));
    memset(den, 0, (size_t)n * sizeof(double));
    for (int64_t r = 0; r < rows; r++) {
        const real *a = A + r * n, *b = B + r * n;
        for (int64_t c = 0; c < n; c++) {
            double bv = (double)b[c];
            num[c] += (double)a[c] * bv;
            den[c] += bv * bv;
        }
    }
}

/* A -= B diag(s) (rows x n), and ss[c] = sum_r A[r][c]^2 afterwards. */
CPAE__VECTOR static void X(sub_scaled)(int64_t rows, int64_t n, real *A, const real *B,
                                       const real *s, double *ss)
{
    memset(ss, 0, (size_t)n * sizeof(double));
    for (int64_t r = 0; r < rows; r++) {
        real *a = A + r * n;
        const real *b = B + r * n;
        for (int64_t c = 0; c < n; c++) {
            a[c] -= s[c] * b[c];
            ss[c] += (double)a[c] * (double)a[c];
        }
    }
}

/* O = A diag(s) (rows x n). */
CPAE__VECTOR static void X(scale_columns)(int64_t rows, int64_t n, const real *A, const real *s,
                                          real *O)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < n; c++)
            O[r * n + c] = A[r * n + c] * s[c];
}

/* Gb[:, owner(p) block] -= Gp[:, p block]: the batch's share of the pairs'
 * -W^T c R (Gb rows x m h, Gp rows x P h). */
CPAE__VECTOR static void X(scatter_owners)(int64_t rows, int64_t P, int64_t h, int64_t ldb,
                                           const real *Gp, const int64_t *owner, real *Gb)
{
    int64_t ld = P * h;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t p = 0; p < P; p++) {
            real *o = Gb + r * ldb + owner[p] * h;
            const real *v = Gp + r * ld + p * h;
            for (int64_t c = 0; c < h; c++)
                o[c] -= v[c];
        }
}

/* Per pair, the sum of its h columns' values. */
static void X(pair_sums)(int64_t P, int64_t h, const double *col, double *out)
{
    for (int64_t p = 0; p < P; p++) {
        double s = 0.0;
        for (int64_t c = 0; c < h; c++)
            s += col[p * h + c];
        out[p] = s;
    }
}

/* ------------------------------------------------------------ the term */

/* k = 1: theta_p = <Delta_p, G A'_p> / ||G A'_p||^2 and R = Delta - theta G
 * A' (into S1) from Delta (S1) and G A' (S2), all side by side; theta per
 * pair into w->theta, per column into w->col. Returns sum ||R_p||^2. */
static double X(residual_k1)(X(hidden_ws) *w, int64_t d, int64_t P, int64_t h, int64_t Pmax)
{
    int64_t Ph = P * h;
    double *num = w->acc, *den = w->acc + Pmax * h, *tnum = w->theta, *tden = w->theta + Pmax;
    X(column_dots)(d, Ph, w->S1, w->S2, num, den);
    X(pair_sums)(P, h, num, tnum);
    X(pair_sums)(P, h, den, tden);
    for (int64_t p = 0; p < P; p++) {
        tnum[p] = tden[p] > 0.0 ? tnum[p] / tden[p] : 0.0;
        for (int64_t c = 0; c < h; c++)
            w->col[p * h + c] = (real)tnum[p];
    }
    X(sub_scaled)(d, Ph, w->S1, w->S2, w->col, num);
    double sum = 0.0;
    for (int64_t c = 0; c < Ph; c++)
        sum += num[c];
    return sum;
}

/* k > 1: each pair's least squares on its blocks (Delta side by side in
 * S1 on entry, R side by side in S1 on return). */
static int32_t X(residual_blocks)(const X(term_args) *args, X(hidden_ws) *w, const real *W,
                                  const real *Tp, int64_t d, int64_t nh, int64_t P, int64_t h,
                                  double *sum)
{
    int64_t k = args->lie->k, len = d * h, Ph = P * h;
    int32_t st = CPAE_OK;
    X(lie_side_to_blocks)(w->S1, P, d, h, w->S2);
    for (int64_t j = 0; j < k; j++) { /* G_j A' = (G_j W) T' */
        real *gwj = w->gw + j * d * nh;
        X(gemm)(false, false, d, nh, d, 1.0, args->g + j * d * d, d, W, nh, 0.0, gwj, nh);
        X(gemm)(false, false, d, Ph, nh, 1.0, gwj, nh, Tp, Ph, 0.0, w->S1, Ph);
        X(lie_side_to_blocks)(w->S1, P, d, h, w->ga + j * P * len);
    }
    *sum = 0.0;
    for (int64_t p = 0; p < P && !st; p++) {
        for (int64_t j = 0; j < k; j++)
            w->gap[j] = w->ga + (j * P + p) * len;
        const real *dp = w->S2 + p * len;
        double *th = w->theta + p * k;
        if ((st = X(lie_theta_solve)(dp, w->gap, k, len, th, w->lsq, args->fn)))
            break;
        real *R = w->Rb + p * len;
        for (int64_t e = 0; e < len; e++) {
            double v = dp[e];
            for (int64_t j = 0; j < k; j++)
                v -= th[j] * w->gap[j][e];
            R[e] = (real)v;
            *sum += v * v;
        }
    }
    if (!st)
        X(lie_blocks_to_side)(w->Rb, P, d, h, w->S1);
    return st;
}

int32_t X(lie_local_hidden)(const X(term_args) *args, const CHAIN *dec, const X(tangent) *tb,
                            const X(trace) *tn, const int64_t *rows, const int64_t *owner,
                            int64_t P, double *total)
{
    const cpae__loss_cfg *cfg = args->cfg;
    cpae__pool *pool = args->tr->pool;
    const char *fn = args->fn;
    real *grad = args->grad;
    const LAYER *last = &dec->layers[dec->n - 1];
    CHAIN hid = {dec->layers, dec->n - 1};
    int64_t m = args->batch->m, K = (int64_t)cfg->v[CPAE_P_LIE_NEIGHBOURS], Pmax = m * K;
    int64_t h = dec->layers[0].n_in, d = last->n_out, nh = last->n_in, k = args->lie->k;
    int64_t len = d * h, Ph = P * h, mh = m * h;
    X(tangent) tp = {0};
    X(hidden_ws) w = {0};
    int32_t st = CPAE_OK;
    /* Every block sized for Pmax pairs: the pool serves each step the same. */
    w.q = X(stack_states_cap)(&hid, NULL, 0, tn->q, rows, P, Pmax, pool);
    w.D = cpae__pool_alloc(pool, (size_t)(nh * Pmax * h) * sizeof(real));
    w.S1 = cpae__pool_alloc(pool, (size_t)(Pmax * len) * sizeof(real));
    w.S2 = cpae__pool_alloc(pool, (size_t)(Pmax * len) * sizeof(real));
    w.gw = cpae__pool_alloc(pool, (size_t)(k * d * nh) * sizeof(real));
    w.theta = cpae__pool_alloc(pool, (size_t)((k + 1) * Pmax) * sizeof(double));
    if (k == 1) { /* per-column sums and theta */
        w.acc = cpae__pool_alloc(pool, (size_t)(2 * Pmax * h) * sizeof(double));
        w.col = cpae__pool_alloc(pool, (size_t)(Pmax * h) * sizeof(real));
    } else { /* the per-pair blocks of the least squares */
        w.Rb = cpae__pool_alloc(pool, (size_t)(Pmax * len) * sizeof(real));
        w.ga = cpae__pool_alloc(pool, (size_t)(k * Pmax * len) * sizeof(real));
        w.gap = cpae__pool_alloc(pool, (size_t)k * sizeof(real *));
        int64_t nb = X(lie_theta_scratch)(k, len);
        w.lsq = nb > 0 ? cpae__pool_alloc(pool, (size_t)nb) : NULL;
    }
    if (!w.q || !w.D || !w.S1 || !w.S2 || !w.gw || !w.theta ||
        (k == 1 ? !w.acc || !w.col : !w.Rb || !w.ga || !w.gap || !w.lsq)) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if ((st = X(tangent_forward_cap)(&hid, (const real *const *)w.q, P, Pmax, &tp, NULL, pool,
                                     fn)))
        goto done;
    const real *Tb = tb->T[hid.n], *Tp = tp.T[hid.n]; /* n_h x m h; n_h x P h */
    X(pair_diff)(nh, P, h, Tb, mh, Tp, owner, w.D);
    /* Delta (side, in S1) = W D. */
    X(gemm)(false, false, d, Ph, nh, 1.0, last->w, nh, w.D, Ph, 0.0, w.S1, Ph);
    double sum = 0.0;
    if (k == 1) {
        X(gemm)(false, false, d, nh, d, 1.0, args->g, d, last->w, nh, 0.0, w.gw, nh);
        X(gemm)(false, false, d, Ph, nh, 1.0, w.gw, nh, Tp, Ph, 0.0, w.S2, Ph); /* G A' */
        sum = X(residual_k1)(&w, d, P, h, Pmax);
    } else if ((st = X(residual_blocks)(args, &w, last->w, Tp, d, nh, P, h, &sum)))
        goto done;
    *total = sum;
    if (!grad)
        goto done;
    double c = 2.0 * cfg->v[CPAE_P_W_LIE_LOCAL] / (double)(m * K);
    real *gW = grad + (last->w - args->base), *gG = grad + args->model->n_params;
    w.gb = cpae__pool_alloc(pool, (size_t)(nh * mh) * sizeof(real));
    w.xw = cpae__pool_alloc(pool, (size_t)(d * nh) * sizeof(real));
    if (!w.gb || !w.xw) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    const real *Rs = w.S1; /* R side by side (d x P h) */
    /* dW += c R D^T; then D's block holds the pairs' gradient, which starts
     * at -W^T c R, and the owners get its negation. */
    X(gemm)(false, true, d, nh, Ph, c, Rs, Ph, w.D, Ph, 1.0, gW, nh);
    real *gp = w.D;
    X(gemm)(true, false, nh, Ph, d, -c, last->w, nh, Rs, Ph, 0.0, gp, Ph);
    memset(w.gb, 0, (size_t)(nh * mh) * sizeof(real));
    X(scatter_owners)(nh, P, h, mh, gp, owner, w.gb);
    for (int64_t j = 0; j < k; j++) {
        real *tr_side = w.S2; /* [theta_j R] side by side */
        if (k == 1)
            X(scale_columns)(d, Ph, Rs, w.col, tr_side);
        else
            for (int64_t p = 0; p < P; p++) /* theta_j per pair, as columns */
                for (int64_t r = 0; r < d; r++)
                    for (int64_t e = 0; e < h; e++)
                        tr_side[r * Ph + p * h + e] =
                            (real)w.theta[p * k + j] * Rs[r * Ph + p * h + e];
        X(gemm)(false, true, d, nh, Ph, 1.0, tr_side, Ph, Tp, Ph, 0.0, w.xw, nh);
        if (cpae__lie_learned(args->lie))
            X(gemm)(false, true, d, d, nh, -c, w.xw, nh, last->w, nh, 1.0, gG + j * d * d, d);
        X(gemm)(true, false, d, nh, d, -c, args->g + j * d * d, d, w.xw, nh, 1.0, gW, nh);
        X(gemm)(true, false, nh, Ph, d, -c, w.gw + j * d * nh, nh, tr_side, Ph, 1.0, gp, Ph);
    }
    if (!(st = X(tangent_backward_side)(&hid, tb, w.gb, args->base, grad, fn)))
        st = X(tangent_backward_side)(&hid, &tp, gp, args->base, grad, fn);
done:
    X(tangent_free)(&tp);
    X(hidden_free)(&w, pool);
    return st;
}
