/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_pca.c -- the linear baselines: PCA against an SVD computed here
 * with another LAPACK driver (dgesdd), the sign convention, explained
 * variance order, the mean predictor, PCA as a model, and the
 * PCA-informed initialisation of nonlinear autoencoders. */
#include "testutil.h"

#include <lapacke.h>

/* Data with a clear spectrum: x = mu + sum_j s_j u_j v_j + small noise. */
static float *make_data(int64_t n, int64_t d, uint64_t seed)
{
    float *x = malloc((size_t)(n * d) * sizeof(float));
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double v = 0.5 + 0.1 * (double)j;
            for (int c = 0; c < 5; c++)
                v += (6.0 - c) * sin((c + 1) * 0.37 * (double)(j + 1) + 0.1 * (double)c) *
                     ((double)(tu_next(&s) % 2001) / 1000.0 - 1.0);
            v += 0.01 * ((double)(tu_next(&s) % 2001) / 1000.0 - 1.0);
            x[i * d + j] = (float)v;
        }
    return x;
}

/* Reference: mean, centred data, dgesdd right singular vectors. */
static void reference_svd(const float *x, int64_t n, int64_t d, double *mean, double *vt,
                          double *s)
{
    double *a = malloc((size_t)(n * d) * sizeof(double));
    int64_t r = n < d ? n : d;
    double *u = malloc((size_t)(n * r) * sizeof(double));
    for (int64_t j = 0; j < d; j++) {
        mean[j] = 0;
        for (int64_t i = 0; i < n; i++)
            mean[j] += x[i * d + j];
        mean[j] /= (double)n;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            a[i * d + j] = x[i * d + j] - mean[j];
    lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)n, (lapack_int)d, a,
                                     (lapack_int)d, s, u, (lapack_int)r, vt, (lapack_int)d);
    ck_assert_int_eq(info, 0);
    free(a);
    free(u);
}

START_TEST(pca_matches_svd)
{
    const int64_t n = 40, d = 12, k = 4;
    float *x = make_data(n, d, 7);
    double mean[12], vt[12 * 12], s[12];
    reference_svd(x, n, d, mean, vt, s);
    cpae_pca *p;
    CK_OK(cpae_pca_fit(x, n, d, k, &p));
    int64_t dd, kk;
    double total;
    CK_OK(cpae_pca_info(p, &dd, &kk, &total));
    ck_assert_int_eq(dd, d);
    ck_assert_int_eq(kk, k);
    float m[12], comp[4 * 12], var[4];
    CK_OK(cpae_pca_mean(p, m, d));
    CK_OK(cpae_pca_components(p, comp, k * d));
    CK_OK(cpae_pca_variances(p, var, k));
    double tot_ref = 0;
    for (int64_t j = 0; j < d; j++) {
        ck_assert_double_eq_tol(m[j], mean[j], 1e-5 * (1 + fabs(mean[j])));
        tot_ref += s[j] * s[j] / (double)(n - 1);
    }
    ck_assert_double_eq_tol(total, tot_ref, 1e-9 * tot_ref);
    for (int64_t c = 0; c < k; c++) {
        /* explained variance: s^2 / (n - 1), decreasing */
        ck_assert_double_eq_tol(var[c], s[c] * s[c] / (double)(n - 1), 1e-5 * var[0]);
        if (c > 0)
            ck_assert(var[c] <= var[c - 1]);
        /* same direction as the reference up to sign; the sign puts the
         * largest-magnitude entry positive */
        double dot = 0, norm = 0;
        int64_t arg = 0;
        for (int64_t j = 0; j < d; j++) {
            dot += comp[c * d + j] * vt[c * d + j];
            norm += comp[c * d + j] * comp[c * d + j];
            if (fabs(comp[c * d + j]) > fabs(comp[c * d + arg]))
                arg = j;
        }
        ck_assert_double_eq_tol(fabs(dot), 1.0, 1e-5);
        ck_assert_double_eq_tol(norm, 1.0, 1e-5);
        ck_assert(comp[c * d + arg] > 0);
    }
    /* The model reconstructs V^T V (x - mu) + mu and evaluates the same. */
    cpae_model *pm;
    CK_OK(cpae_model_from_pca(p, &pm));
    float *y = malloc((size_t)(n * d) * sizeof(float));
    CK_OK(cpae_model_reconstruct(pm, x, n, d, y, n * d));
    double se = 0, rsum = 0;
    for (int64_t i = 0; i < n; i++) {
        double e2 = 0, x2 = 0;
        for (int64_t j = 0; j < d; j++) {
            double r = mean[j];
            for (int64_t c = 0; c < k; c++) {
                double z = 0;
                for (int64_t e = 0; e < d; e++)
                    z += vt[c * d + e] * (x[i * d + e] - mean[e]);
                r += vt[c * d + j] * z;
            }
            ck_assert_double_eq_tol(y[i * d + j], r, 1e-4 * (1 + fabs(r)));
            e2 += (r - x[i * d + j]) * (r - x[i * d + j]);
            x2 += (double)x[i * d + j] * x[i * d + j];
        }
        se += e2;
        rsum += sqrt(e2 / x2);
    }
    double mse, rel;
    CK_OK(cpae_model_evaluate(pm, x, n, d, &mse, &rel));
    ck_assert_double_eq_tol(mse, se / (double)(n * d), 1e-4 * mse + 1e-9);
    ck_assert_double_eq_tol(rel, rsum / (double)n, 1e-4 * rel + 1e-9);
    /* On the training data the residual variance is what PCA leaves out:
     * sum_{j >= k} s_j^2 / (n d). */
    double rest = 0;
    for (int64_t j = k; j < d; j++)
        rest += s[j] * s[j];
    ck_assert_double_eq_tol(mse, rest / (double)(n * d), 1e-4 * mse + 1e-9);
    free(y);
    free(x);
    cpae_model_destroy(pm);
    cpae_pca_destroy(p);
}
END_TEST

START_TEST(pca_full_rank_interpolates_and_mean_predictor)
{
    const int64_t n = 6, d = 10;
    float *x = make_data(n, d, 3);
    cpae_pca *p, *p0;
    /* k = n: every training sample is reproduced */
    CK_OK(cpae_pca_fit(x, n, d, n, &p));
    cpae_model *pm, *m0;
    CK_OK(cpae_model_from_pca(p, &pm));
    double mse;
    CK_OK(cpae_model_evaluate(pm, x, n, d, &mse, NULL));
    ck_assert(mse < 1e-9);
    /* k = 0: the training-mean predictor */
    CK_OK(cpae_pca_fit(x, n, d, 0, &p0));
    int64_t k;
    CK_OK(cpae_pca_info(p0, NULL, &k, NULL));
    ck_assert_int_eq(k, 0);
    CK_OK(cpae_model_from_pca(p0, &m0));
    float y[60], mean[10];
    CK_OK(cpae_pca_mean(p0, mean, d));
    CK_OK(cpae_model_reconstruct(m0, x, n, d, y, n * d));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            ck_assert_float_eq(y[i * d + j], mean[j]);
    float dummy;
    CK_OK(cpae_pca_components(p0, &dummy, 0));
    free(x);
    cpae_model_destroy(pm);
    cpae_model_destroy(m0);
    cpae_pca_destroy(p);
    cpae_pca_destroy(p0);
}
END_TEST

/* PCA-informed init: the nonlinear model equals the PCA map on its data,
 * for every activation and with a latent wider than k. */
START_TEST(init_pca_reproduces_pca)
{
    const int64_t n = 30, d = 16, k = 3;
    float *x = make_data(n, d, 11);
    cpae_pca *p;
    CK_OK(cpae_pca_fit(x, n, d, k, &p));
    cpae_model *pm;
    CK_OK(cpae_model_from_pca(p, &pm));
    float *yp = malloc((size_t)(n * d) * sizeof(float)), *y = malloc((size_t)(n * d) * sizeof(float));
    CK_OK(cpae_model_reconstruct(pm, x, n, d, yp, n * d));
    const int32_t acts[3] = {CPAE_ACT_RELU, CPAE_ACT_LEAKY_RELU, CPAE_ACT_ABS};
    const int64_t shapes[2][4] = {{16, 10, 6, 3}, {16, 8, 5, 0}};
    for (int a = 0; a < 3; a++)
        for (int sh = 0; sh < 2; sh++) {
            cpae_model *m;
            int64_t nw = shapes[sh][3] ? 4 : 3;
            CK_OK(cpae_model_create_mirrored(shapes[sh], nw, acts[a], 5, &m));
            CK_OK(cpae_model_init_pca(m, p, x, n, d, 0.5));
            CK_OK(cpae_model_reconstruct(m, x, n, d, y, n * d));
            for (int64_t e = 0; e < n * d; e++)
                ck_assert_msg(fabs(y[e] - yp[e]) <= 1e-4 * (1 + fabs(yp[e])),
                              "act %d shape %d: %g vs %g", a, sh, y[e], yp[e]);
            /* the model is still trainable: the random units exist */
            cpae_model_destroy(m);
        }
    free(x);
    free(y);
    free(yp);
    cpae_model_destroy(pm);
    cpae_pca_destroy(p);
}
END_TEST

START_TEST(pca_errors)
{
    float x[20] = {0};
    for (int i = 0; i < 20; i++)
        x[i] = (float)(i % 7);
    cpae_pca *p = NULL;
    CK_ERR(cpae_pca_fit(NULL, 4, 5, 1, &p), CPAE_E_NULL);
    CK_ERR(cpae_pca_fit(x, 4, 5, 1, NULL), CPAE_E_NULL);
    CK_ERR(cpae_pca_fit(x, 0, 5, 1, &p), CPAE_E_SIZE);
    CK_ERR(cpae_pca_fit(x, 4, 0, 1, &p), CPAE_E_SIZE);
    CK_ERR(cpae_pca_fit(x, 4, 5, 5, &p), CPAE_E_INVALID);
    CK_ERR(cpae_pca_fit(x, 4, 5, -1, &p), CPAE_E_INVALID);
    CK_ERR(cpae_pca_fit(x, INT64_C(1) << 40, INT64_C(1) << 40, 1, &p), CPAE_E_SIZE);
    x[3] = NAN;
    CK_ERR(cpae_pca_fit(x, 4, 5, 1, &p), CPAE_E_NONFINITE);
    x[3] = 1;
    ck_assert_ptr_null(p);
    CK_OK(cpae_pca_fit(x, 4, 5, 2, &p));
    float buf[10];
    double tot;
    CK_ERR(cpae_pca_info(NULL, NULL, NULL, &tot), CPAE_E_NULL);
    CK_ERR(cpae_pca_mean(p, buf, 4), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_pca_mean(p, NULL, 5), CPAE_E_NULL);
    CK_ERR(cpae_pca_components(p, buf, 9), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_pca_variances(p, buf, 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_pca_variances(NULL, buf, 2), CPAE_E_NULL);
    CK_ERR(cpae_model_from_pca(NULL, (cpae_model **)buf), CPAE_E_NULL);
    CK_ERR(cpae_model_from_pca(p, NULL), CPAE_E_NULL);
    /* init_pca: every refusal leaves the model as it was */
    const int64_t w5[3] = {5, 4, 2}, w6[3] = {6, 4, 2}, narrow[3] = {5, 1, 2};
    cpae_model *m, *m6, *mn, *mid;
    CK_OK(cpae_model_create_mirrored(w5, 3, CPAE_ACT_RELU, 1, &m));
    CK_OK(cpae_model_create_mirrored(w6, 3, CPAE_ACT_RELU, 1, &m6));
    CK_OK(cpae_model_create_mirrored(narrow, 3, CPAE_ACT_RELU, 1, &mn));
    const int64_t enc_w[2] = {5, 2}, dec_w[2] = {2, 5};
    const int32_t relu[1] = {CPAE_ACT_RELU};
    CK_OK(cpae_model_create(enc_w, relu, NULL, 1, dec_w, relu, NULL, 1, 1, &mid));
    int64_t np;
    CK_OK(cpae_model_n_params(m, &np));
    uint8_t before[4096], after[4096];
    int64_t sz;
    CK_OK(cpae_model_save_to_buffer(m, before, sizeof before, &sz));
    CK_ERR(cpae_model_init_pca(NULL, p, x, 4, 5, 0.5), CPAE_E_NULL);
    CK_ERR(cpae_model_init_pca(m, NULL, x, 4, 5, 0.5), CPAE_E_NULL);
    CK_ERR(cpae_model_init_pca(m, p, NULL, 4, 5, 0.5), CPAE_E_NULL);
    CK_ERR(cpae_model_init_pca(m, p, x, 0, 5, 0.5), CPAE_E_SIZE);
    CK_ERR(cpae_model_init_pca(m, p, x, 4, 6, 0.5), CPAE_E_SIZE);
    CK_ERR(cpae_model_init_pca(m6, p, x, 3, 6, 0.5), CPAE_E_MISMATCH);
    CK_ERR(cpae_model_init_pca(m, p, x, 4, 5, -1), CPAE_E_INVALID);
    CK_ERR(cpae_model_init_pca(m, p, x, 4, 5, NAN), CPAE_E_INVALID);
    CK_ERR(cpae_model_init_pca(mn, p, x, 4, 5, 0.5), CPAE_E_SIZE);
    CK_ERR(cpae_model_init_pca(mid, p, x, 4, 5, 0.5), CPAE_E_INVALID); /* ReLU output */
    x[0] = INFINITY;
    CK_ERR(cpae_model_init_pca(m, p, x, 4, 5, 0.5), CPAE_E_NONFINITE);
    x[0] = 0;
    cpae_pca *p0;
    CK_OK(cpae_pca_fit(x, 4, 5, 0, &p0));
    CK_ERR(cpae_model_init_pca(m, p0, x, 4, 5, 0.5), CPAE_E_INVALID);
    int64_t sz2;
    CK_OK(cpae_model_save_to_buffer(m, after, sizeof after, &sz2));
    ck_assert_int_eq(sz, sz2);
    ck_assert_int_eq(memcmp(before, after, (size_t)sz), 0);
    cpae_pca_destroy(NULL);
    cpae_pca_destroy(p);
    cpae_pca_destroy(p0);
    cpae_model_destroy(m);
    cpae_model_destroy(m6);
    cpae_model_destroy(mn);
    cpae_model_destroy(mid);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pca");
    TCase *tc = tcase_create("pca");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pca_matches_svd);
    tcase_add_test(tc, pca_full_rank_interpolates_and_mean_predictor);
    tcase_add_test(tc, init_pca_reproduces_pca);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, pca_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
