/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_core.c -- models, region codes and per-region affine maps:
 * the poster's worked example and exactness of D(E(x)) = A x + B; and the
 * core module's error cases (tcase "errors"): status strings, version and
 * limits, the per-thread last-error message. */
#include <pthread.h>

#include "testutil.h"

/* Build a model with random weights and (optionally) random biases. */
static cpae_model *random_model(const int64_t *widths, int64_t n_widths, int32_t act,
                                int with_bias, uint64_t seed)
{
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(widths, n_widths, act, seed, &m));
    if (with_bias) {
        uint64_t s = seed * 2654435761u + 1;
        for (int32_t stack = 0; stack < 2; stack++) {
            int64_t nl;
            CK_OK(cpae_model_n_layers(m, stack, &nl));
            for (int64_t l = 0; l < nl; l++) {
                int64_t n_out;
                CK_OK(cpae_model_layer_info(m, stack, l, NULL, &n_out, NULL, NULL));
                float *b = malloc((size_t)n_out * sizeof(float));
                tu_fill(b, n_out, 0.5, &s);
                CK_OK(cpae_model_set_layer_params(m, stack, l, NULL, 0, b, n_out));
                free(b);
            }
        }
    }
    return m;
}

/* docs/math.md section 1: f(x) = W2 ReLU(W1 x), W1 = [[1,0],[0,-1]],
 * W2 = [[0,1],[1,0]], no biases. */
START_TEST(test_poster_example)
{
    cpae_layer *l1 = NULL, *l2 = NULL;
    CK_OK(cpae_layer_create(2, 2, CPAE_ACT_RELU, 0.0, &l1));
    CK_OK(cpae_layer_create(2, 2, CPAE_ACT_IDENTITY, 0.0, &l2));
    const float w1[] = {1, 0, 0, -1}, w2[] = {0, 1, 1, 0};
    CK_OK(cpae_layer_set_weights(l1, w1, 4));
    CK_OK(cpae_layer_set_weights(l2, w2, 4));
    const cpae_layer *enc[] = {l1}, *dec[] = {l2};
    cpae_model *m = NULL;
    CK_OK(cpae_model_from_layers(enc, 1, dec, 1, &m));

    const float x1[] = {1, 2}, x2[] = {1, -2}, x3[] = {3, 1};
    cpae_code *c1 = NULL, *c2 = NULL, *c3 = NULL;
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &c1));
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &c2));
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &c3));
    CK_OK(cpae_model_code(m, CPAE_ENCODER, x1, 2, c1));
    CK_OK(cpae_model_code(m, CPAE_ENCODER, x2, 2, c2));
    CK_OK(cpae_model_code(m, CPAE_ENCODER, x3, 2, c3));
    int32_t b0, b1, eq;
    /* x1: Q = diag(1, 0) */
    CK_OK(cpae_code_bit(c1, 0, &b0));
    CK_OK(cpae_code_bit(c1, 1, &b1));
    ck_assert_int_eq(b0, 1);
    ck_assert_int_eq(b1, 0);
    /* x2: Q = diag(1, 1) */
    CK_OK(cpae_code_bit(c2, 0, &b0));
    CK_OK(cpae_code_bit(c2, 1, &b1));
    ck_assert_int_eq(b0, 1);
    ck_assert_int_eq(b1, 1);
    /* x3: Q = diag(1, 0), the region of x1 */
    CK_OK(cpae_code_equal(c1, c3, &eq));
    ck_assert_int_eq(eq, 1);
    CK_OK(cpae_code_equal(c1, c2, &eq));
    ck_assert_int_eq(eq, 0);
    int64_t n_bits;
    CK_OK(cpae_code_info(c1, &n_bits, NULL));
    ck_assert_int_eq(n_bits, 2); /* identity output layer carries no bits */

    /* f(x1) = W2 Q W1 x1 = (0, 1); the region's map is W2 diag(1,0) W1. */
    float y[2];
    CK_OK(cpae_model_reconstruct(m, x1, 1, 2, y, 2));
    ck_assert(y[0] == 0.0f && y[1] == 1.0f);
    cpae_affine *ae = NULL;
    CK_OK(cpae_affine_create(m, CPAE_AUTOENCODER, &ae));
    CK_OK(cpae_model_affine(m, CPAE_AUTOENCODER, x1, 2, ae));
    double a[4], b[2];
    CK_OK(cpae_affine_get_slope_f64(ae, a, 4));
    CK_OK(cpae_affine_get_offset_f64(ae, b, 2));
    const double expect[] = {0, 0, 1, 0};
    for (int i = 0; i < 4; i++)
        ck_assert(a[i] == expect[i]);
    ck_assert(b[0] == 0.0 && b[1] == 0.0);
    /* Three points, two regions. */
    const float pts[] = {1, 2, 1, -2, 3, 1};
    int64_t nreg;
    CK_OK(cpae_model_count_regions(m, CPAE_ENCODER, pts, 3, 2, &nreg));
    ck_assert_int_eq(nreg, 2);

    cpae_affine_destroy(ae);
    cpae_code_destroy(c1);
    cpae_code_destroy(c2);
    cpae_code_destroy(c3);
    cpae_model_destroy(m);
    cpae_layer_destroy(l1);
    cpae_layer_destroy(l2);
}
END_TEST

/* The tie z == 0 belongs to the "off" state (docs/math.md section 1). */
START_TEST(test_tie_is_off)
{
    cpae_layer *l1 = NULL, *l2 = NULL;
    CK_OK(cpae_layer_create(1, 1, CPAE_ACT_ABS, 0.0, &l1));
    CK_OK(cpae_layer_create(1, 1, CPAE_ACT_IDENTITY, 0.0, &l2));
    const float one = 1.0f;
    CK_OK(cpae_layer_set_weights(l1, &one, 1));
    CK_OK(cpae_layer_set_weights(l2, &one, 1));
    const cpae_layer *enc[] = {l1}, *dec[] = {l2};
    cpae_model *m = NULL;
    CK_OK(cpae_model_from_layers(enc, 1, dec, 1, &m));
    const float zero = 0.0f;
    cpae_code *c = NULL;
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &c));
    CK_OK(cpae_model_code(m, CPAE_ENCODER, &zero, 1, c));
    int32_t bit;
    CK_OK(cpae_code_bit(c, 0, &bit));
    ck_assert_int_eq(bit, 0);
    /* The map at the tie uses the off state (slope -1 for abs). */
    cpae_affine *e = NULL;
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &e));
    CK_OK(cpae_model_affine(m, CPAE_ENCODER, &zero, 1, e));
    double a;
    CK_OK(cpae_affine_get_slope_f64(e, &a, 1));
    ck_assert(a == -1.0);
    double r;
    CK_OK(cpae_model_boundary_distance(m, CPAE_ENCODER, &zero, 1, &r, NULL, NULL, 0));
    ck_assert(r == 0.0);
    cpae_affine_destroy(e);
    cpae_code_destroy(c);
    cpae_model_destroy(m);
    cpae_layer_destroy(l1);
    cpae_layer_destroy(l2);
}
END_TEST

/* D(E(x)) equals A^D A^E x + A^D B^E + B^D on 1000 random inputs per model:
 * ReLU, leaky and abs; depths 1 to 3 per stack; with and without biases. */
static const int32_t acts[] = {CPAE_ACT_RELU, CPAE_ACT_LEAKY_RELU, CPAE_ACT_ABS};

START_TEST(test_affine_exact)
{
    int32_t act = acts[_i % 3];
    int depth = 1 + (_i / 3) % 3;
    int with_bias = _i / 9;
    int64_t widths[4] = {12, 20, 9, 3};
    int64_t n_widths = depth + 1;
    if (depth < 3)
        widths[depth] = 3; /* bottleneck */
    cpae_model *m = random_model(widths, n_widths, act, with_bias, 100 + (uint64_t)_i);
    const int64_t d = 12, h = 3, n = 1000;
    float *x = malloc(sizeof(float) * n * d), *y = malloc(sizeof(float) * n * d);
    uint64_t s = 7 + (uint64_t)_i;
    tu_fill(x, n * d, 2.0, &s);
    CK_OK(cpae_model_reconstruct(m, x, n, d, y, n * d));
    cpae_affine *enc = NULL, *dec = NULL, *ae = NULL, *ae2 = NULL;
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &enc));
    CK_OK(cpae_affine_create(m, CPAE_DECODER, &dec));
    CK_OK(cpae_affine_create(m, CPAE_AUTOENCODER, &ae));
    CK_OK(cpae_affine_create(m, CPAE_AUTOENCODER, &ae2));
    double A[12 * 12], B[12], AE[3 * 12], BE[3], AD[12 * 3], BD[12], A2[144], B2[12];
    double worst = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const float *xi = x + i * d;
        CK_OK(cpae_model_region_maps(m, xi, d, enc, dec, ae));
        CK_OK(cpae_affine_get_slope_f64(ae, A, 144));
        CK_OK(cpae_affine_get_offset_f64(ae, B, 12));
        CK_OK(cpae_affine_get_slope_f64(enc, AE, 36));
        CK_OK(cpae_affine_get_offset_f64(enc, BE, 3));
        CK_OK(cpae_affine_get_slope_f64(dec, AD, 36));
        CK_OK(cpae_affine_get_offset_f64(dec, BD, 12));
        /* The composite is A^D A^E and A^D B^E + B^D. */
        for (int r = 0; r < d; r++) {
            double bb = BD[r];
            for (int k = 0; k < h; k++)
                bb += AD[r * h + k] * BE[k];
            ck_assert(fabs(bb - B[r]) <= 1e-12 * (1 + fabs(bb)));
            for (int c = 0; c < d; c++) {
                double aa = 0;
                for (int k = 0; k < h; k++)
                    aa += AD[r * h + k] * AE[k * d + c];
                ck_assert(fabs(aa - A[r * d + c]) <= 1e-12 * (1 + fabs(aa)));
            }
        }
        /* The single-call map of the whole autoencoder agrees. */
        CK_OK(cpae_model_affine(m, CPAE_AUTOENCODER, xi, d, ae2));
        CK_OK(cpae_affine_get_slope_f64(ae2, A2, 144));
        CK_OK(cpae_affine_get_offset_f64(ae2, B2, 12));
        for (int k = 0; k < 144; k++)
            ck_assert(fabs(A2[k] - A[k]) <= 1e-12 * (1 + fabs(A[k])));
        for (int k = 0; k < 12; k++)
            ck_assert(fabs(B2[k] - B[k]) <= 1e-12 * (1 + fabs(B[k])));
        /* D(E(x)) = A x + B to float rounding. */
        double num = 0, den = 0;
        for (int r = 0; r < d; r++) {
            double v = B[r];
            for (int c = 0; c < d; c++)
                v += A[r * d + c] * xi[c];
            num += (v - y[i * d + r]) * (v - y[i * d + r]);
            den += v * v;
        }
        double rel = sqrt(num) / (sqrt(den) + 1e-30);
        if (rel > worst)
            worst = rel;
    }
    ck_assert_msg(worst <= 1e-4, "worst relative error %g", worst);
    ck_assert_msg(worst <= 1e-6, "worst relative error %g (float rounding expected)", worst);
    /* cpae_affine_apply and cpae_affine_compose agree with the above. */
    float yy[12];
    CK_OK(cpae_model_region_maps(m, x, d, enc, dec, ae));
    CK_OK(cpae_affine_compose(dec, enc, ae2));
    CK_OK(cpae_affine_apply(ae2, x, 1, d, yy, 12));
    for (int r = 0; r < d; r++)
        ck_assert(fabsf(yy[r] - y[r]) <= 1e-5f * (1 + fabsf(y[r])));
    cpae_affine_destroy(enc);
    cpae_affine_destroy(dec);
    cpae_affine_destroy(ae);
    cpae_affine_destroy(ae2);
    free(x);
    free(y);
    cpae_model_destroy(m);
}
END_TEST

/* The autoencoder code is the encoder code of x followed by the decoder code
 * of E(x); code utilities behave as documented. */
START_TEST(test_codes)
{
    const int64_t widths[] = {6, 10, 4};
    cpae_model *m = random_model(widths, 3, CPAE_ACT_RELU, 1, 5);
    const int64_t n = 200, d = 6, h = 4;
    float x[200 * 6], z[200 * 4];
    uint64_t s = 11;
    tu_fill(x, n * d, 1.5, &s);
    CK_OK(cpae_model_encode(m, x, n, d, z, n * h));
    int64_t be, bd, ba;
    CK_OK(cpae_model_code_bytes(m, CPAE_ENCODER, &be));
    CK_OK(cpae_model_code_bytes(m, CPAE_DECODER, &bd));
    CK_OK(cpae_model_code_bytes(m, CPAE_AUTOENCODER, &ba));
    ck_assert_int_eq(be, 2); /* 10 bits */
    ck_assert_int_eq(bd, 2); /* 10 bits */
    ck_assert_int_eq(ba, 3); /* 20 bits */
    uint8_t ce[200 * 2], cd[200 * 2], ca[200 * 3];
    CK_OK(cpae_model_codes(m, CPAE_ENCODER, x, n, d, ce, sizeof ce));
    CK_OK(cpae_model_codes(m, CPAE_DECODER, z, n, h, cd, sizeof cd));
    CK_OK(cpae_model_codes(m, CPAE_AUTOENCODER, x, n, d, ca, sizeof ca));
    int mism = 0;
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < 20; k++) {
            int bit_a = (ca[i * 3 + k / 8] >> (k % 8)) & 1;
            int bit_p = k < 10 ? (ce[i * 2 + k / 8] >> (k % 8)) & 1
                               : (cd[i * 2 + (k - 10) / 8] >> ((k - 10) % 8)) & 1;
            mism += bit_a != bit_p;
        }
    /* z was rounded to float before decoding: allow none but exact ties. */
    ck_assert_int_eq(mism, 0);

    cpae_code *a = NULL, *b = NULL, *c = NULL;
    CK_OK(cpae_code_create(m, CPAE_AUTOENCODER, &a));
    CK_OK(cpae_code_create(m, CPAE_AUTOENCODER, &b));
    CK_OK(cpae_model_code(m, CPAE_AUTOENCODER, x, d, a));
    CK_OK(cpae_model_code(m, CPAE_AUTOENCODER, x + d, d, b));
    uint8_t buf[3];
    int64_t wr;
    CK_OK(cpae_code_to_bytes(a, buf, 3, &wr));
    ck_assert_int_eq(wr, 3);
    ck_assert_mem_eq(buf, ca, 3);
    /* popcount and hamming against the packed bytes */
    int64_t pc, hd, expect_pc = 0, expect_hd = 0;
    for (int k = 0; k < 20; k++) {
        int ba_ = (ca[k / 8] >> (k % 8)) & 1, bb_ = (ca[3 + k / 8] >> (k % 8)) & 1;
        expect_pc += ba_;
        expect_hd += ba_ != bb_;
    }
    CK_OK(cpae_code_popcount(a, &pc));
    CK_OK(cpae_code_hamming(a, b, &hd));
    ck_assert_int_eq(pc, expect_pc);
    ck_assert_int_eq(hd, expect_hd);
    /* bytes round trip, equality and hash */
    CK_OK(cpae_code_clone(b, &c));
    CK_OK(cpae_code_from_bytes(c, buf, 3));
    int32_t eq;
    uint64_t ha, hc;
    CK_OK(cpae_code_equal(a, c, &eq));
    ck_assert_int_eq(eq, 1);
    CK_OK(cpae_code_hash(a, &ha));
    CK_OK(cpae_code_hash(c, &hc));
    ck_assert(ha == hc);
    /* high unused bits must be zero */
    uint8_t bad[3] = {buf[0], buf[1], (uint8_t)(buf[2] | 0x80)};
    CK_ERR(cpae_code_from_bytes(c, bad, 3), CPAE_E_FORMAT);
    CK_OK(cpae_code_equal(a, c, &eq));
    ck_assert_int_eq(eq, 1);
    /* distinct-code count equals a brute-force count */
    int64_t nreg, brute = 0;
    CK_OK(cpae_model_count_regions(m, CPAE_AUTOENCODER, x, n, d, &nreg));
    for (int64_t i = 0; i < n; i++) {
        int seen = 0;
        for (int64_t j = 0; j < i && !seen; j++)
            seen = memcmp(ca + i * 3, ca + j * 3, 3) == 0;
        brute += !seen;
    }
    ck_assert_int_eq(nreg, brute);
    ck_assert_int_gt(nreg, 1);
    cpae_code_destroy(a);
    cpae_code_destroy(b);
    cpae_code_destroy(c);
    cpae_model_destroy(m);
}
END_TEST

/* Same seed, same weights; golden values pin the generator and the
 * He-uniform bound so every platform gets these exact weights. */
START_TEST(test_deterministic_init)
{
    const int64_t widths[] = {5, 7, 2};
    cpae_model *a = NULL, *b = NULL, *c = NULL;
    CK_OK(cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, 42, &a));
    CK_OK(cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, 42, &b));
    CK_OK(cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, 43, &c));
    float wa[35], wb[35], wc[35];
    CK_OK(cpae_model_get_layer_params(a, CPAE_ENCODER, 0, wa, 35, NULL, 0));
    CK_OK(cpae_model_get_layer_params(b, CPAE_ENCODER, 0, wb, 35, NULL, 0));
    CK_OK(cpae_model_get_layer_params(c, CPAE_ENCODER, 0, wc, 35, NULL, 0));
    ck_assert_mem_eq(wa, wb, sizeof wa);
    ck_assert(memcmp(wa, wc, sizeof wa) != 0);
    float bound = (float)sqrt(6.0 / 5.0);
    for (int i = 0; i < 35; i++)
        ck_assert(fabsf(wa[i]) <= bound);
    int64_t np;
    CK_OK(cpae_model_n_params(a, &np));
    ck_assert_int_eq(np, 5 * 7 + 7 + 7 * 2 + 2 + 2 * 7 + 7 + 7 * 5 + 5);
    cpae_model_destroy(a);
    cpae_model_destroy(b);
    cpae_model_destroy(c);
}
END_TEST

/* Layers round-trip through a model; clones are independent. */
START_TEST(test_layers_and_clone)
{
    const int64_t widths[] = {4, 6, 2};
    cpae_model *m = random_model(widths, 3, CPAE_ACT_LEAKY_RELU, 1, 9), *k = NULL;
    int32_t act;
    double alpha;
    CK_OK(cpae_model_layer_info(m, CPAE_DECODER, 0, NULL, NULL, &act, &alpha));
    ck_assert_int_eq(act, CPAE_ACT_LEAKY_RELU);
    ck_assert(alpha == CPAE_DEFAULT_LEAKY_ALPHA);
    CK_OK(cpae_model_clone(m, &k));
    float w[24], w2[24], b[6];
    CK_OK(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, w, 24, b, 6));
    for (int i = 0; i < 24; i++)
        w2[i] = w[i] + 1.0f;
    CK_OK(cpae_model_set_layer_params(k, CPAE_ENCODER, 0, w2, 24, NULL, 0));
    float back[24];
    CK_OK(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, back, 24, NULL, 0));
    ck_assert_mem_eq(back, w, sizeof w);
    CK_OK(cpae_model_get_layer_params(k, CPAE_ENCODER, 0, back, 24, NULL, 0));
    ck_assert_mem_eq(back, w2, sizeof w2);
    /* A model rebuilt from its own layers computes the same function. */
    cpae_layer *e0 = NULL, *e1 = NULL, *d0 = NULL, *d1 = NULL;
    CK_OK(cpae_model_get_layer(m, CPAE_ENCODER, 0, &e0));
    CK_OK(cpae_model_get_layer(m, CPAE_ENCODER, 1, &e1));
    CK_OK(cpae_model_get_layer(m, CPAE_DECODER, 0, &d0));
    CK_OK(cpae_model_get_layer(m, CPAE_DECODER, 1, &d1));
    const cpae_layer *enc[] = {e0, e1}, *dec[] = {d0, d1};
    cpae_model *r = NULL;
    CK_OK(cpae_model_from_layers(enc, 2, dec, 2, &r));
    float x[4 * 30], y1[4 * 30], y2[4 * 30];
    uint64_t s = 3;
    tu_fill(x, 120, 1.0, &s);
    CK_OK(cpae_model_reconstruct(m, x, 30, 4, y1, 120));
    CK_OK(cpae_model_reconstruct(r, x, 30, 4, y2, 120));
    ck_assert_mem_eq(y1, y2, sizeof y1);
    /* The layer's own forward matches the first encoder layer's output. */
    float h1[6];
    CK_OK(cpae_layer_forward(e0, x, 1, 4, h1, 6));
    for (int i = 0; i < 6; i++) {
        double zi = b[i];
        for (int j = 0; j < 4; j++)
            zi += (double)w[i * 4 + j] * x[j];
        double ai = zi > 0 ? zi : 0.01 * zi;
        ck_assert(fabs(h1[i] - ai) <= 1e-6 * (1 + fabs(ai)));
    }
    int64_t bytes;
    CK_OK(cpae_model_sizeof(m, &bytes));
    ck_assert_int_ge(bytes, (int64_t)(sizeof(double) * 24));
    void *ud = NULL;
    CK_OK(cpae_model_set_user_data(m, &bytes));
    CK_OK(cpae_model_get_user_data(m, &ud));
    ck_assert_ptr_eq(ud, &bytes);
    cpae_layer_destroy(e0);
    cpae_layer_destroy(e1);
    cpae_layer_destroy(d0);
    cpae_layer_destroy(d1);
    cpae_model_destroy(r);
    cpae_model_destroy(k);
    cpae_model_destroy(m);
}
END_TEST

/* A model created with explicit stacks (non-mirrored, activation on the
 * last encoder layer) still satisfies the identity. */
START_TEST(test_general_stacks)
{
    const int64_t ew[] = {7, 11, 5, 3}, dw[] = {3, 8, 7};
    const int32_t ea[] = {CPAE_ACT_ABS, CPAE_ACT_RELU, CPAE_ACT_LEAKY_RELU},
                  da[] = {CPAE_ACT_ABS, CPAE_ACT_IDENTITY};
    const double ealpha[] = {0, 0, 0.2};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create(ew, ea, ealpha, 3, dw, da, NULL, 2, 77, &m));
    float x[7 * 100], y[7 * 100];
    uint64_t s = 99;
    tu_fill(x, 700, 1.0, &s);
    CK_OK(cpae_model_reconstruct(m, x, 100, 7, y, 700));
    cpae_affine *ae = NULL;
    CK_OK(cpae_affine_create(m, CPAE_AUTOENCODER, &ae));
    float ym[7];
    for (int i = 0; i < 100; i++) {
        CK_OK(cpae_model_affine(m, CPAE_AUTOENCODER, x + 7 * i, 7, ae));
        CK_OK(cpae_affine_apply(ae, x + 7 * i, 1, 7, ym, 7));
        for (int r = 0; r < 7; r++)
            ck_assert(fabsf(ym[r] - y[7 * i + r]) <= 1e-5f * (1 + fabsf(y[7 * i + r])));
    }
    int64_t bits;
    cpae_code *c = NULL;
    CK_OK(cpae_code_create(m, CPAE_AUTOENCODER, &c));
    CK_OK(cpae_code_info(c, &bits, NULL));
    ck_assert_int_eq(bits, 11 + 5 + 3 + 8);
    cpae_code_destroy(c);
    cpae_affine_destroy(ae);
    cpae_model_destroy(m);
}
END_TEST

/* Outputs are never non-finite with CPAE_OK: finite float weights and
 * inputs that overflow the float range (or double) inside the network are
 * refused by every call that returns values. */
START_TEST(test_overflow_refused)
{
    const int64_t widths[] = {4, 4, 4, 4, 2};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(widths, 5, CPAE_ACT_ABS, 2, &m));
    float w[16], x[4] = {3e38f, -3e38f, 1e38f, 2e38f}, y[4], z[2];
    for (int i = 0; i < 16; i++)
        w[i] = 1e30f;
    CK_OK(cpae_model_set_layer_params(m, CPAE_ENCODER, 0, w, 16, NULL, 0));
    CK_ERR(cpae_model_encode(m, x, 1, 4, z, 2), CPAE_E_NONFINITE);
    CK_ERR(cpae_model_reconstruct(m, x, 1, 4, y, 4), CPAE_E_NONFINITE);
    double mse, rel;
    CK_ERR(cpae_model_evaluate(m, x, 1, 4, &mse, &rel), CPAE_E_NONFINITE);
    cpae_affine *map = NULL, *enc = NULL;
    CK_OK(cpae_affine_create(m, CPAE_AUTOENCODER, &map));
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &enc));
    const float small_x[4] = {1.0f, 0.5f, 0.25f, 2.0f};
    CK_OK(cpae_model_affine(m, CPAE_AUTOENCODER, x, 4, map)); /* A itself is ~1e30 */
    /* Large but finite in double: the code is still exact. */
    uint8_t code[8];
    int64_t nb;
    CK_OK(cpae_model_code_bytes(m, CPAE_AUTOENCODER, &nb));
    CK_OK(cpae_model_codes(m, CPAE_AUTOENCODER, x, 1, 4, code, nb));
    /* Past double's range (about 1e39 per layer, eight layers): no code. */
    for (int32_t st = 0; st < 2; st++)
        for (int64_t l = 0; l < 4; l++) {
            int64_t ni, no;
            CK_OK(cpae_model_layer_info(m, st, l, &ni, &no, NULL, NULL));
            for (int64_t i = 0; i < ni * no; i++)
                w[i] = 3e38f;
            CK_OK(cpae_model_set_layer_params(m, st, l, w, ni * no, NULL, 0));
        }
    CK_ERR(cpae_model_codes(m, CPAE_AUTOENCODER, x, 1, 4, code, nb), CPAE_E_NONFINITE);
    CK_ERR(cpae_model_affine(m, CPAE_ENCODER, small_x, 4, enc), CPAE_E_NONFINITE);
    /* Ordinary inputs still work on an ordinary model. */
    cpae_model *ok = NULL;
    CK_OK(cpae_model_create_mirrored(widths, 5, CPAE_ACT_ABS, 2, &ok));
    const float small[4] = {0.1f, -0.2f, 0.3f, 0.4f};
    CK_OK(cpae_model_reconstruct(ok, small, 1, 4, y, 4));
    cpae_model_destroy(ok);
    cpae_affine_destroy(map);
    cpae_affine_destroy(enc);
    cpae_model_destroy(m);
}
END_TEST

/* ============================================================ errors
 * Status strings, version, the last-error message. */

START_TEST(test_status_strings)
{
    const char *seen[15];
    for (int32_t c = 0; c <= 14; c++) {
        const char *s = cpae_status_string(c);
        ck_assert_ptr_nonnull(s);
        ck_assert_msg(s[0] != '\0', "status %d has an empty string", (int)c);
        ck_assert_msg(strcmp(s, "unknown status") != 0, "status %d is unknown", (int)c);
        for (int32_t k = 0; k < c; k++)
            ck_assert_msg(strcmp(s, seen[k]) != 0, "statuses %d and %d share '%s'", (int)k,
                          (int)c, s);
        seen[c] = s;
    }
    ck_assert_str_eq(cpae_status_string(999), "unknown status");
    ck_assert_str_eq(cpae_status_string(INT32_MAX), "unknown status");
    ck_assert_str_eq(cpae_status_string(-1), "unknown status");
    ck_assert_str_eq(cpae_status_string(INT32_MIN), "unknown status");
    /* Enum values are fixed forever. */
    ck_assert_int_eq(CPAE_OK, 0);
    ck_assert_int_eq(CPAE_E_NULL, 1);
    ck_assert_int_eq(CPAE_E_INVALID, 2);
    ck_assert_int_eq(CPAE_E_SIZE, 3);
    ck_assert_int_eq(CPAE_E_BUFFER_TOO_SMALL, 4);
    ck_assert_int_eq(CPAE_E_NONFINITE, 5);
    ck_assert_int_eq(CPAE_E_NOMEM, 6);
    ck_assert_int_eq(CPAE_E_IO, 7);
    ck_assert_int_eq(CPAE_E_FORMAT, 8);
    ck_assert_int_eq(CPAE_E_VERSION, 9);
    ck_assert_int_eq(CPAE_E_NUMERIC, 10);
    ck_assert_int_eq(CPAE_E_MISMATCH, 11);
    ck_assert_int_eq(CPAE_E_LIMIT, 12);
    ck_assert_int_eq(CPAE_E_CALLBACK, 13);
    ck_assert_int_eq(CPAE_E_INTERNAL, 14);
}
END_TEST

/* Codes appended after CPAE_E_INTERNAL (training): distinct, non-empty. */
START_TEST(test_status_strings_appended)
{
    static const int32_t added[] = {CPAE_E_CANCELLED, CPAE_E_DIVERGED, CPAE_E_REMOTE};
    ck_assert_int_eq(CPAE_E_CANCELLED, 15);
    ck_assert_int_eq(CPAE_E_DIVERGED, 16);
    ck_assert_int_eq(CPAE_E_REMOTE, 17);
    ck_assert_str_eq(cpae_status_string(18), "unknown status");
    for (int i = 0; i < 3; i++) {
        const char *s = cpae_status_string(added[i]);
        ck_assert_ptr_nonnull(s);
        ck_assert_msg(s[0] != '\0' && strcmp(s, "unknown status") != 0,
                      "status %d has no text ('%s')", (int)added[i], s);
        for (int32_t c = 0; c < added[i]; c++)
            ck_assert_msg(strcmp(s, cpae_status_string(c)) != 0,
                          "statuses %d and %d share '%s'", (int)c, (int)added[i], s);
    }
}
END_TEST

START_TEST(test_version_and_limits)
{
    ck_assert_uint_eq(cpae_version_number(), CPAE_VERSION_NUMBER);
    ck_assert_uint_eq(CPAE_VERSION_NUMBER, (uint32_t)(CPAE_VERSION_MAJOR * 10000 +
                                                      CPAE_VERSION_MINOR * 100 +
                                                      CPAE_VERSION_PATCH));
    ck_assert_ptr_nonnull(cpae_version_string());
    ck_assert_str_eq(cpae_version_string(), CPAE_VERSION_STRING);
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", CPAE_VERSION_MAJOR, CPAE_VERSION_MINOR,
             CPAE_VERSION_PATCH);
    ck_assert_str_eq(v, CPAE_VERSION_STRING);
    const char *bi = cpae_build_info();
    ck_assert_ptr_nonnull(bi);
    ck_assert_msg(strstr(bi, CPAE_VERSION_STRING) != NULL, "build info '%s' lacks the version",
                  bi);

    ck_assert_int_eq(cpae_max_layers(), CPAE_MAX_LAYERS);
    ck_assert_int_eq(cpae_max_width(), CPAE_MAX_WIDTH);
    ck_assert_int_eq(cpae_max_params(), CPAE_MAX_PARAMS);
    ck_assert(cpae_default_leaky_alpha() == CPAE_DEFAULT_LEAKY_ALPHA);
}
END_TEST

/* A failure leaves a message naming the function; a success clears it. */
START_TEST(test_last_error_basic)
{
    ck_assert_ptr_nonnull(cpae_last_error());
    int64_t d = -5;
    CK_ERR(cpae_layer_dims(NULL, &d, NULL), CPAE_E_NULL);
    ck_assert_int_eq(d, -5);
    ck_assert_msg(strstr(cpae_last_error(), "cpae_layer_dims") != NULL, "message: '%s'",
                  cpae_last_error());
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(2, 3, CPAE_ACT_RELU, 0.0, &l));
    ck_assert_str_eq(cpae_last_error(), "");
    CK_EXPECT(cpae_layer_set_weights(l, NULL, 6), CPAE_E_NULL);
    CK_OK(cpae_layer_dims(l, &d, NULL));
    ck_assert_str_eq(cpae_last_error(), "");
    cpae_layer_destroy(l);
}
END_TEST


/* A failure on this thread, to check that later successes clear it. */
static void provoke_failure(void)
{
    int64_t d = 0;
    ck_assert_int_eq(cpae_layer_dims(NULL, &d, NULL), CPAE_E_NULL);
    ck_assert(cpae_last_error()[0] != '\0');
}

/* Every status-returning function clears this thread's message when it
 * succeeds. */
#define CLEARS(call)                                                          \
    do {                                                                      \
        provoke_failure();                                                    \
        CK_OK(call);                                                          \
        ck_assert_msg(cpae_last_error()[0] == '\0', "%s succeeded but left '%s'", \
                      #call, cpae_last_error());                              \
    } while (0)

START_TEST(test_last_error_cleared_by_success)
{
    cpae_model *m = tu_model_main(), *m2 = NULL;
    cpae_layer *l = NULL, *l2 = NULL, *l3 = NULL;
    cpae_code *c = NULL, *c2 = NULL;
    cpae_affine *ae = NULL, *ae2 = NULL, *ee = NULL, *dd = NULL;
    cpae_path *path = NULL;
    float w[64], b[16], y[64];
    double wd[64];
    uint8_t bytes[64];
    int64_t i64 = 0;
    int32_t i32 = 0;
    double dbl = 0;
    uint64_t u64 = 0;
    void *ud = NULL;

    /* Layers */
    CLEARS(cpae_layer_create(TU_D, 3, CPAE_ACT_LEAKY_RELU, 0.1, &l));
    CLEARS(cpae_layer_dims(l, &i64, NULL));
    CLEARS(cpae_layer_activation(l, &i32, &dbl));
    u64 = 77;
    tu_fill(w, 3 * TU_D, 1.0, &u64);
    tu_fill(b, 3, 1.0, &u64);
    CLEARS(cpae_layer_set_weights(l, w, 3 * TU_D));
    CLEARS(cpae_layer_get_weights(l, w, 64));
    CLEARS(cpae_layer_set_bias(l, b, 3));
    CLEARS(cpae_layer_get_bias(l, b, 16));
    CLEARS(cpae_layer_forward(l, TU_X0, 1, TU_D, y, 64));
    /* Models */
    CLEARS(cpae_layer_create(3, TU_D, CPAE_ACT_IDENTITY, 0.0, &l2));
    {
        const cpae_layer *enc[] = {l}, *dec[] = {l2};
        CLEARS(cpae_model_from_layers(enc, 1, dec, 1, &m2));
        cpae_model_destroy(m2);
        m2 = NULL;
    }
    {
        const int64_t ew[] = {TU_D, 3}, dw[] = {3, TU_D};
        const int32_t ea[] = {CPAE_ACT_ABS}, da[] = {CPAE_ACT_IDENTITY};
        CLEARS(cpae_model_create(ew, ea, NULL, 1, dw, da, NULL, 1, 5, &m2));
        cpae_model_destroy(m2);
        m2 = NULL;
    }
    CLEARS(cpae_model_create_mirrored(TU_W_MAIN, 3, CPAE_ACT_ABS, 3, &m2));
    cpae_model_destroy(m2);
    m2 = NULL;
    CLEARS(cpae_model_clone(m, &m2));
    CLEARS(cpae_model_dims(m, &i64, NULL));
    CLEARS(cpae_model_n_layers(m, CPAE_AUTOENCODER, &i64));
    CLEARS(cpae_model_layer_info(m, CPAE_DECODER, 1, &i64, NULL, &i32, &dbl));
    CLEARS(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, w, 64, b, 16));
    CLEARS(cpae_model_set_layer_params(m2, CPAE_ENCODER, 0, w, 5 * TU_D, b, 5));
    CLEARS(cpae_model_get_layer(m, CPAE_DECODER, 0, &l3));
    CLEARS(cpae_model_n_params(m, &i64));
    CLEARS(cpae_model_sizeof(m, &i64));
    CLEARS(cpae_model_set_user_data(m2, &i64));
    CLEARS(cpae_model_get_user_data(m2, &ud));
    CLEARS(cpae_model_encode(m, TU_X0, 1, TU_D, y, 64));
    CLEARS(cpae_model_decode(m, TU_Z0, 1, TU_H, y, 64));
    CLEARS(cpae_model_reconstruct(m, TU_X0, 1, TU_D, y, 64));
    /* Codes */
    CLEARS(cpae_code_create(m, CPAE_AUTOENCODER, &c));
    CLEARS(cpae_code_clone(c, &c2));
    CLEARS(cpae_model_code(m, CPAE_AUTOENCODER, TU_X0, TU_D, c));
    CLEARS(cpae_model_code_bytes(m, CPAE_AUTOENCODER, &i64));
    CLEARS(cpae_model_codes(m, CPAE_ENCODER, TU_X0, 1, TU_D, bytes, 64));
    CLEARS(cpae_model_count_regions(m, CPAE_DECODER, TU_Z0, 1, TU_H, &i64));
    CLEARS(cpae_code_info(c, &i64, &i32));
    CLEARS(cpae_code_bit(c, 9, &i32));
    CLEARS(cpae_code_equal(c, c2, &i32));
    CLEARS(cpae_code_hash(c, &u64));
    CLEARS(cpae_code_hamming(c, c2, &i64));
    CLEARS(cpae_code_popcount(c, &i64));
    CLEARS(cpae_code_to_bytes(c, bytes, 64, &i64));
    CLEARS(cpae_code_from_bytes(c2, bytes, i64));
    /* Affine maps */
    CLEARS(cpae_affine_create(m, CPAE_AUTOENCODER, &ae));
    CLEARS(cpae_affine_create(m, CPAE_AUTOENCODER, &ae2));
    CLEARS(cpae_affine_create(m, CPAE_ENCODER, &ee));
    CLEARS(cpae_affine_create(m, CPAE_DECODER, &dd));
    CLEARS(cpae_model_affine(m, CPAE_AUTOENCODER, TU_X0, TU_D, ae));
    CLEARS(cpae_model_region_maps(m, TU_X0, TU_D, ee, dd, ae2));
    CLEARS(cpae_affine_dims(ae, &i64, NULL));
    CLEARS(cpae_affine_get_slope(ae, w, 64));
    CLEARS(cpae_affine_get_offset(ae, b, 16));
    CLEARS(cpae_affine_get_slope_f64(ae, wd, 64));
    CLEARS(cpae_affine_get_offset_f64(ae, wd, 64));
    CLEARS(cpae_affine_apply(ae, TU_X0, 1, TU_D, y, 64));
    CLEARS(cpae_affine_compose(dd, ee, ae2));
    /* Geometry */
    CLEARS(cpae_model_boundary_distance(m, CPAE_ENCODER, TU_X0, TU_D, &dbl, &i64, y, 64));
    CLEARS(cpae_model_boundary_distances(m, CPAE_AUTOENCODER, TU_X0, 1, TU_D, wd, 64));
    CLEARS(cpae_model_segment(m, CPAE_AUTOENCODER, TU_X0, TU_X1, TU_D, 1000, &path));
    CLEARS(cpae_path_n_regions(path, &i64));
    CLEARS(cpae_path_params(path, wd, 64));
    CLEARS(cpae_path_code(path, 0, c));
    CLEARS(cpae_path_codes(path, bytes, 64));
    CLEARS(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, 0.5, 8, 1, &i64));

    cpae_path_destroy(path);
    cpae_affine_destroy(ae);
    cpae_affine_destroy(ae2);
    cpae_affine_destroy(ee);
    cpae_affine_destroy(dd);
    cpae_code_destroy(c);
    cpae_code_destroy(c2);
    cpae_layer_destroy(l);
    cpae_layer_destroy(l2);
    cpae_layer_destroy(l3);
    cpae_model_destroy(m2);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_last_error_copy)
{
    char buf[600];
    int64_t needed = -1;

    /* No message (a success just cleared it). */
    int64_t d;
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(2, 2, CPAE_ACT_RELU, 0.0, &l));
    CK_OK(cpae_layer_dims(l, &d, NULL));
    ck_assert_int_eq(cpae_last_error_copy(NULL, 0, &needed), CPAE_OK);
    ck_assert_int_eq(needed, 1);
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, 1, &needed), CPAE_OK);
    ck_assert_int_eq(buf[0], '\0');
    ck_assert_int_eq(needed, 1);

    /* A message. */
    CK_ERR(cpae_layer_get_bias(l, NULL, 2), CPAE_E_NULL);
    const size_t len = strlen(cpae_last_error());
    ck_assert_uint_gt(len, 4);
    char saved[600];
    snprintf(saved, sizeof saved, "%s", cpae_last_error());

    /* Large buffer: full copy. */
    needed = -1;
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, (int64_t)sizeof buf, &needed), CPAE_OK);
    ck_assert_str_eq(buf, saved);
    ck_assert_int_eq(needed, (int64_t)len + 1);
    /* needed may be NULL. */
    ck_assert_int_eq(cpae_last_error_copy(buf, (int64_t)sizeof buf, NULL), CPAE_OK);
    ck_assert_str_eq(buf, saved);
    /* Exactly strlen + 1 fits. */
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, (int64_t)len + 1, &needed), CPAE_OK);
    ck_assert_str_eq(buf, saved);

    /* strlen bytes: truncated by one, NUL-terminated. */
    memset(buf, 'x', sizeof buf);
    needed = -1;
    ck_assert_int_eq(cpae_last_error_copy(buf, (int64_t)len, &needed),
                     CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(needed, (int64_t)len + 1);
    ck_assert_int_eq(buf[len - 1], '\0');
    ck_assert_int_eq(strncmp(buf, saved, len - 1), 0);
    ck_assert_int_eq(buf[len], 'x'); /* nothing written past cap */

    /* Small buffer. */
    memset(buf, 'x', sizeof buf);
    needed = -1;
    ck_assert_int_eq(cpae_last_error_copy(buf, 5, &needed), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(needed, (int64_t)len + 1);
    ck_assert_uint_eq(strlen(buf), 4);
    ck_assert_int_eq(strncmp(buf, saved, 4), 0);
    ck_assert_int_eq(buf[5], 'x');

    /* cap 1: just the terminator. */
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, 1, &needed), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(buf[0], '\0');
    ck_assert_int_eq(buf[1], 'x');

    /* cap 0: nothing written (buf may be NULL), message does not fit. */
    needed = -1;
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, 0, &needed), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(buf[0], 'x');
    ck_assert_int_eq(needed, (int64_t)len + 1);
    ck_assert_int_eq(cpae_last_error_copy(NULL, 0, NULL), CPAE_E_BUFFER_TOO_SMALL);

    /* buf NULL with cap > 0. */
    ck_assert_int_eq(cpae_last_error_copy(NULL, 16, &needed), CPAE_E_NULL);
    /* Negative capacity: a negative size (CONVENTIONS: CPAE_E_SIZE). */
    ck_assert_int_eq(cpae_last_error_copy(buf, -1, &needed), CPAE_E_SIZE);

    /* Copying reads the message and does not consume it. */
    ck_assert_str_eq(cpae_last_error(), saved);
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, (int64_t)sizeof buf, &needed), CPAE_OK);
    ck_assert_str_eq(buf, saved);
    cpae_layer_destroy(l);
}
END_TEST

typedef struct thr_ctx {
    pthread_barrier_t *bar;
    int empty_at_start;
    int32_t status;
    char msg_after_fail[600];
    char msg_after_main[600];
} thr_ctx;

static void *thr_main(void *arg)
{
    thr_ctx *t = arg;
    t->empty_at_start = cpae_last_error()[0] == '\0';
    t->status = cpae_layer_set_bias(NULL, NULL, 0);
    snprintf(t->msg_after_fail, sizeof t->msg_after_fail, "%s", cpae_last_error());
    pthread_barrier_wait(t->bar); /* 1: the thread has failed */
    pthread_barrier_wait(t->bar); /* 2: main has succeeded and failed again */
    snprintf(t->msg_after_main, sizeof t->msg_after_main, "%s", cpae_last_error());
    return NULL;
}

START_TEST(test_last_error_thread_local)
{
    int32_t bit = 0;
    CK_ERR(cpae_code_bit(NULL, 0, &bit), CPAE_E_NULL);
    char saved[600];
    snprintf(saved, sizeof saved, "%s", cpae_last_error());
    ck_assert_ptr_nonnull(strstr(saved, "cpae_code_bit"));

    pthread_barrier_t bar;
    ck_assert_int_eq(pthread_barrier_init(&bar, NULL, 2), 0);
    thr_ctx t;
    memset(&t, 0, sizeof t);
    t.bar = &bar;
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, thr_main, &t), 0);
    pthread_barrier_wait(&bar); /* 1 */
    /* The other thread's failure did not touch this thread's message. */
    int main_intact = strcmp(cpae_last_error(), saved) == 0;
    /* A success and a different failure here must not touch the thread's. */
    int64_t d;
    cpae_layer *l = NULL;
    int32_t st_create = cpae_layer_create(1, 1, CPAE_ACT_RELU, 0.0, &l);
    int32_t st_dims = cpae_layer_dims(l, &d, NULL);
    int main_cleared = cpae_last_error()[0] == '\0';
    int32_t st_fail = cpae_code_popcount(NULL, &d);
    pthread_barrier_wait(&bar); /* 2 */
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    pthread_barrier_destroy(&bar);
    cpae_layer_destroy(l);

    ck_assert_msg(main_intact, "another thread's failure changed this thread's message to '%s'",
                  cpae_last_error());
    ck_assert_int_eq(st_create, CPAE_OK);
    ck_assert_int_eq(st_dims, CPAE_OK);
    ck_assert(main_cleared);
    ck_assert_int_eq(st_fail, CPAE_E_NULL);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "cpae_code_popcount"));

    ck_assert_msg(t.empty_at_start, "a new thread does not start with an empty message");
    ck_assert_int_eq(t.status, CPAE_E_NULL);
    ck_assert_ptr_nonnull(strstr(t.msg_after_fail, "cpae_layer_set_bias"));
    ck_assert_str_eq(t.msg_after_main, t.msg_after_fail);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_poster_example);
    tcase_add_test(tc, test_tie_is_off);
    tcase_add_loop_test(tc, test_affine_exact, 0, 18);
    tcase_add_test(tc, test_codes);
    tcase_add_test(tc, test_deterministic_init);
    tcase_add_test(tc, test_layers_and_clone);
    tcase_add_test(tc, test_general_stacks);
    tcase_add_test(tc, test_overflow_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_status_strings);
    tcase_add_test(tc, test_status_strings_appended);
    tcase_add_test(tc, test_version_and_limits);
    tcase_add_test(tc, test_last_error_basic);
    tcase_add_test(tc, test_last_error_cleared_by_success);
    tcase_add_test(tc, test_last_error_copy);
    tcase_add_test(tc, test_last_error_thread_local);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
