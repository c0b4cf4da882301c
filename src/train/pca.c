/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* pca.c -- the linear baselines: PCA with k components and the training
 * mean (k = 0), as a fitted handle and as an identity-activated model, and
 * the PCA-informed initialisation of a nonlinear autoencoder.
 *
 * Fit: centre the data on its mean and take the thin SVD X - 1 mu^T =
 * U S V^T (LAPACKE dgesvd, right vectors only); the components are the
 * first k rows of V^T, the explained variances s_j^2 / (n - 1). Sign: the
 * entry of largest magnitude of each component is positive (the first one
 * on ties), so the result does not depend on the LAPACK build. */
#include "net/net.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cpae_pca {
    int64_t d, k, n;
    double *mean;   /* d */
    double *comp;   /* k x d, orthonormal rows */
    double *var;    /* k, descending */
    double total;   /* total variance: sum over all d of the variances */
};

void cpae_pca_destroy(cpae_pca *pca)
{
    if (!pca)
        return;
    free(pca->mean);
    free(pca->comp);
    free(pca->var);
    free(pca);
}

/* Make the largest-magnitude entry of a row positive. */
static void fix_sign(double *row, int64_t d)
{
    int64_t arg = 0;
    for (int64_t j = 1; j < d; j++)
        if (fabs(row[j]) > fabs(row[arg]))
            arg = j;
    if (row[arg] < 0)
        for (int64_t j = 0; j < d; j++)
            row[j] = -row[j];
}

int32_t cpae_pca_fit(const float *x, int64_t n, int64_t d, int64_t k, cpae_pca **out)
{
    static const char fn[] = "cpae_pca_fit";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(out, fn, "out")) || (st = cpae__check_ptr(x, fn, "x")))
        return st;
    int64_t total;
    if (n < 1 || d < 1 || !cpae__mul_ok(n, d, &total) || total > (INT64_C(1) << 34))
        return cpae__fail(CPAE_E_SIZE, fn, "n = %lld, d = %lld: need n, d >= 1 and n d <= 2^34",
                          (long long)n, (long long)d);
    if (d > CPAE_MAX_WIDTH)
        return cpae__fail(CPAE_E_LIMIT, fn, "d = %lld exceeds CPAE_MAX_WIDTH", (long long)d);
    int64_t r = n < d ? n : d;
    if (k < 0 || k > r)
        return cpae__fail(CPAE_E_INVALID, fn, "k = %lld; need 0 <= k <= min(n, d) = %lld",
                          (long long)k, (long long)r);
    double *xc;
    if ((st = cpae__to_double(x, total, &xc, fn, "x")))
        return st;
    cpae_pca *p = calloc(1, sizeof *p);
    double *vt = malloc((size_t)(r * d) * sizeof(double)), *s = malloc((size_t)r * sizeof(double));
    double *superb = malloc((size_t)(r > 1 ? r : 2) * sizeof(double));
    if (p) {
        p->mean = calloc((size_t)d, sizeof(double));
        p->comp = malloc((size_t)(k > 0 ? k * d : 1) * sizeof(double));
        p->var = malloc((size_t)(k > 0 ? k : 1) * sizeof(double));
    }
    if (!p || !p->mean || !p->comp || !p->var || !vt || !s || !superb) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto out;
    }
    p->d = d;
    p->k = k;
    p->n = n;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            p->mean[j] += xc[i * d + j];
    for (int64_t j = 0; j < d; j++)
        p->mean[j] /= (double)n;
    double ss = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            xc[i * d + j] -= p->mean[j];
            ss += xc[i * d + j] * xc[i * d + j];
        }
    p->total = n > 1 ? ss / (double)(n - 1) : 0.0;
    if (k > 0) {
        if (n > INT32_MAX || d > INT32_MAX) {
            st = cpae__fail(CPAE_E_LIMIT, fn, "n or d exceeds the LAPACK integer range");
            goto out;
        }
        lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'S', (lapack_int)n,
                                         (lapack_int)d, xc, (lapack_int)d, s, NULL, 1, vt,
                                         (lapack_int)d, superb);
        if (info != 0) {
            st = cpae__fail(CPAE_E_NUMERIC, fn, "dgesvd failed (info %d)", (int)info);
            goto out;
        }
        for (int64_t c = 0; c < k; c++) {
            memcpy(p->comp + c * d, vt + c * d, (size_t)d * sizeof(double));
            fix_sign(p->comp + c * d, d);
            p->var[c] = n > 1 ? s[c] * s[c] / (double)(n - 1) : 0.0;
        }
    }
    *out = p;
    p = NULL;
out:
    cpae_pca_destroy(p);
    free(xc);
    free(vt);
    free(s);
    free(superb);
    return st;
}

int32_t cpae_pca_info(const cpae_pca *pca, int64_t *d, int64_t *k, double *total_variance)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(pca, "cpae_pca_info", "pca");
    if (st)
        return st;
    if (d)
        *d = pca->d;
    if (k)
        *k = pca->k;
    if (total_variance)
        *total_variance = pca->total;
    return CPAE_OK;
}

int32_t cpae_pca_mean(const cpae_pca *pca, float *mean, int64_t cap)
{
    static const char fn[] = "cpae_pca_mean";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(pca, fn, "pca")) || (st = cpae__check_ptr(mean, fn, "mean")))
        return st;
    return cpae__copy_out(mean, cap, pca->mean, pca->d, fn, "mean");
}

int32_t cpae_pca_components(const cpae_pca *pca, float *components, int64_t cap)
{
    static const char fn[] = "cpae_pca_components";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(pca, fn, "pca")) ||
        (st = cpae__check_ptr(components, fn, "components")))
        return st;
    return cpae__copy_out(components, cap, pca->comp, pca->k * pca->d, fn, "components");
}

int32_t cpae_pca_variances(const cpae_pca *pca, float *variances, int64_t cap)
{
    static const char fn[] = "cpae_pca_variances";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(pca, fn, "pca")) ||
        (st = cpae__check_ptr(variances, fn, "variances")))
        return st;
    return cpae__copy_out(variances, cap, pca->var, pca->k, fn, "variances");
}

/* ------------------------------------------------------ as a model */

/* The mean's coordinates, (V mu)_j = v_j . mu: the offset both PCA maps
 * subtract. */
static double mean_coordinate(const cpae_pca *pca, int64_t j)
{
    double dot = 0;
    for (int64_t e = 0; e < pca->d; e++)
        dot += pca->comp[j * pca->d + e] * pca->mean[e];
    return dot;
}



int32_t cpae_model_from_pca(const cpae_pca *pca, cpae_model **out)
{
    static const char fn[] = "cpae_model_from_pca";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(pca, fn, "pca")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    /* Encoder z = V_k (x - mu), decoder x^ = V_k^T z + mu; k = 0 keeps one
     * latent unit with zero weights, so x^ = mu for every x. */
    int64_t d = pca->d, h = pca->k > 0 ? pca->k : 1;
    int64_t n_in[2] = {d, h}, n_out[2] = {h, d};
    int32_t acts[2] = {CPAE_ACT_IDENTITY, CPAE_ACT_IDENTITY};
    double alphas[2] = {0, 0};
    cpae_model *m;
    if ((st = cpae__model_alloc(n_in, n_out, acts, alphas, 1, 1, &m, fn)))
        return st;
    struct cpae_layer *enc = &m->layers[0], *dec = &m->layers[1];
    for (int64_t c = 0; c < pca->k; c++) {
        for (int64_t j = 0; j < d; j++) {
            enc->w[c * d + j] = pca->comp[c * d + j];
            dec->w[j * h + c] = pca->comp[c * d + j];
        }
        enc->b[c] = -mean_coordinate(pca, c);
    }
    memcpy(dec->b, pca->mean, (size_t)d * sizeof(double));
    *out = m;
    return CPAE_OK;
}

/* ------------------------------------------- PCA-informed initialisation */

/* f(t) = t for t >= 0: the activations a positive shift makes linear. */
static bool linear_on_positives(int32_t act)
{
    return act == CPAE_ACT_IDENTITY || act == CPAE_ACT_RELU || act == CPAE_ACT_LEAKY_RELU ||
           act == CPAE_ACT_ABS;
}

/* Rewrite the first k rows of a hidden layer so that its first k units
 * carry the k coordinates + off_out from the first k units of the previous
 * layer (which carry coordinates + off_in); the row reads nothing else. The
 * other units keep their (random) incoming weights. */
static void carry_layer(struct cpae_layer *L, int64_t k, const double *off_in,
                        const double *off_out)
{
    for (int64_t j = 0; j < k; j++) {
        double *row = L->w + j * L->n_in;
        memset(row, 0, (size_t)L->n_in * sizeof(double));
        row[j] = 1.0;
        L->b[j] = off_out[j] - off_in[j];
    }
}

int32_t cpae_model_init_pca(cpae_model *model, const cpae_pca *pca, const float *x, int64_t n,
                            int64_t d, double margin)
{
    static const char fn[] = "cpae_model_init_pca";
    cpae__clear_error();
    int32_t st;
    cpae_chain enc;
    if ((st = cpae__check_ptr(pca, fn, "pca")) ||
        (st = cpae__check_points(model, CPAE_ENCODER, x, n, d, &enc, fn, "x")))
        return st;
    if (pca->d != d)
        return cpae__fail(CPAE_E_MISMATCH, fn, "the PCA is fitted in dimension %lld, the model "
                          "takes %lld", (long long)pca->d, (long long)d);
    if (!isfinite(margin) || margin < 0)
        return cpae__fail(CPAE_E_INVALID, fn, "margin %g must be finite and >= 0", margin);
    int64_t k = pca->k, L = model->n_enc + model->n_dec;
    if (k < 1)
        return cpae__fail(CPAE_E_INVALID, fn, "the PCA has no components (k = 0)");
    for (int64_t l = 0; l < L; l++) {
        const struct cpae_layer *ly = &model->layers[l];
        if (l < L - 1 && ly->n_out < k)
            return cpae__fail(CPAE_E_SIZE, fn, "layer %lld has %lld units, fewer than the %lld "
                              "PCA components", (long long)l, (long long)ly->n_out,
                              (long long)k);
        if (!linear_on_positives(ly->act))
            return cpae__fail(CPAE_E_INVALID, fn, "layer %lld's activation is not the "
                              "identity on positive inputs", (long long)l);
    }
    if (model->layers[L - 1].act != CPAE_ACT_IDENTITY)
        return cpae__fail(CPAE_E_INVALID, fn, "the output layer must be the identity to "
                          "represent PCA");
    double *xd = NULL, *off = calloc((size_t)k, sizeof(double)), *zero = calloc((size_t)k,
                                                                                 sizeof(double));
    double *lo = malloc((size_t)k * sizeof(double)), *hi = malloc((size_t)k * sizeof(double));
    double *coord = malloc((size_t)(n * k) * sizeof(double));
    if (!off || !zero || !lo || !hi || !coord) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto out;
    }
    if ((st = cpae__to_double(x, n * d, &xd, fn, "x")))
        goto out;
    /* Range of each PCA coordinate c_j = v_j . (x - mu) over the data:
     * C = (X - 1 mu^T) V^T, one GEMM. */
    for (int64_t i = 0; i < n; i++)
        for (int64_t e = 0; e < d; e++)
            xd[i * d + e] -= pca->mean[e];
    cpae__gemm(false, true, n, k, d, 1.0, xd, d, pca->comp, d, 0.0, coord, k);
    for (int64_t j = 0; j < k; j++) {
        lo[j] = INFINITY;
        hi[j] = -INFINITY;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < k; j++) {
            double c = coord[i * k + j];
            lo[j] = c < lo[j] ? c : lo[j];
            hi[j] = c > hi[j] ? c : hi[j];
        }
    /* Shift so every coordinate stays positive on the data with room to
     * spare: off_j = max(0, -lo_j) + margin * (hi_j - lo_j), at least
     * FLT_EPSILON above zero. The same shift on every nonlinear layer. */
    for (int64_t j = 0; j < k; j++) {
        double span = hi[j] - lo[j];
        off[j] = (lo[j] < 0 ? -lo[j] : 0.0) + margin * span;
        if (off[j] <= 0)
            off[j] = FLT_EPSILON;
    }
    const double *prev = zero;
    for (int64_t l = 0; l < L; l++) {
        struct cpae_layer *ly = &model->layers[l];
        const double *cur = ly->act == CPAE_ACT_IDENTITY ? zero : off;
        if (l == 0) { /* c + off = V_k x - V_k mu + off */
            for (int64_t j = 0; j < k; j++) {
                memcpy(ly->w + j * d, pca->comp + j * d, (size_t)d * sizeof(double));
                ly->b[j] = cur[j] - mean_coordinate(pca, j);
            }
        } else if (l == L - 1) { /* x^ = V_k^T (carry - off) + mu */
            for (int64_t e = 0; e < d; e++) {
                double *row = ly->w + e * ly->n_in, shift = 0;
                memset(row, 0, (size_t)ly->n_in * sizeof(double));
                for (int64_t j = 0; j < k; j++) {
                    row[j] = pca->comp[j * d + e];
                    shift += pca->comp[j * d + e] * prev[j];
                }
                ly->b[e] = pca->mean[e] - shift;
            }
        } else
            carry_layer(ly, k, prev, cur);
        /* Carry rows and output rows are rewritten whole, so the other
         * units feed no carry unit and not the output: the model equals
         * the PCA map wherever every carry unit is positive. */
        prev = cur;
    }
out:
    free(xd);
    free(coord);
    free(off);
    free(zero);
    free(lo);
    free(hi);
    return st;
}
