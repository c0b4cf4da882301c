/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_network.c -- the network module (layers and models): the error
 * cases of every layer and model function (tcase "errors").
 *
 * For each function: NULL required pointers -> CPAE_E_NULL, bad sizes ->
 * CPAE_E_SIZE, small capacities -> CPAE_E_BUFFER_TOO_SMALL, NaN / +-Inf ->
 * CPAE_E_NONFINITE, bad enums and indices -> CPAE_E_INVALID, limits ->
 * CPAE_E_LIMIT. After every failure the outputs must be untouched ("state
 * intact", cpae.h CONVENTIONS: "On failure no output handle is created and
 * no existing handle is changed"), and the thread's detail message must be
 * non-empty and name the function (CK_EXPECT, testutil.h).
 *
 * All expectations follow the documented contract in cpae.h; where the
 * implementation deviates, the test keeps the documented expectation. */
#include "testutil.h"

/* ============================================================ layers */

START_TEST(test_layer_create_errors)
{
    cpae_layer *l = NULL;
    CK_EXPECT(cpae_layer_create(2, 3, CPAE_ACT_RELU, 0.0, NULL), CPAE_E_NULL);
    /* Sizes. */
    CK_EXPECT(cpae_layer_create(0, 3, CPAE_ACT_RELU, 0.0, &l), CPAE_E_SIZE);
    ck_assert_ptr_null(l);
    CK_EXPECT(cpae_layer_create(3, 0, CPAE_ACT_RELU, 0.0, &l), CPAE_E_SIZE);
    ck_assert_ptr_null(l);
    CK_EXPECT(cpae_layer_create(-1, 3, CPAE_ACT_RELU, 0.0, &l), CPAE_E_SIZE);
    ck_assert_ptr_null(l);
    CK_EXPECT(cpae_layer_create(3, -7, CPAE_ACT_RELU, 0.0, &l), CPAE_E_SIZE);
    ck_assert_ptr_null(l);
    CK_EXPECT(cpae_layer_create(INT64_MIN, 3, CPAE_ACT_RELU, 0.0, &l), CPAE_E_SIZE);
    ck_assert_ptr_null(l);
    /* Limits: width > CPAE_MAX_WIDTH, and n_in * n_out > CPAE_MAX_PARAMS. */
    CK_EXPECT(cpae_layer_create((int64_t)CPAE_MAX_WIDTH + 1, 1, CPAE_ACT_RELU, 0.0, &l),
              CPAE_E_LIMIT);
    ck_assert_ptr_null(l);
    CK_EXPECT(cpae_layer_create(1, (int64_t)CPAE_MAX_WIDTH + 1, CPAE_ACT_RELU, 0.0, &l),
              CPAE_E_LIMIT);
    ck_assert_ptr_null(l);
    CK_EXPECT(cpae_layer_create(INT64_MAX, 1, CPAE_ACT_RELU, 0.0, &l), CPAE_E_LIMIT);
    ck_assert_ptr_null(l);
    CK_EXPECT(cpae_layer_create(CPAE_MAX_WIDTH, CPAE_MAX_WIDTH, CPAE_ACT_RELU, 0.0, &l),
              CPAE_E_LIMIT);
    ck_assert_ptr_null(l);
    /* Activation. */
    CK_EXPECT(cpae_layer_create(2, 3, 99, 0.0, &l), CPAE_E_INVALID);
    ck_assert_ptr_null(l);
    CK_EXPECT(cpae_layer_create(2, 3, -1, 0.0, &l), CPAE_E_INVALID);
    ck_assert_ptr_null(l);
    CK_EXPECT(cpae_layer_create(2, 3, 4, 0.0, &l), CPAE_E_INVALID);
    ck_assert_ptr_null(l);
    /* Leaky slope must be finite. */
    CK_EXPECT(cpae_layer_create(2, 3, CPAE_ACT_LEAKY_RELU, NAN, &l), CPAE_E_NONFINITE);
    ck_assert_ptr_null(l);
    CK_EXPECT(cpae_layer_create(2, 3, CPAE_ACT_LEAKY_RELU, INFINITY, &l), CPAE_E_NONFINITE);
    ck_assert_ptr_null(l);
    CK_EXPECT(cpae_layer_create(2, 3, CPAE_ACT_LEAKY_RELU, -INFINITY, &l), CPAE_E_NONFINITE);
    ck_assert_ptr_null(l);
    /* Boundary values are accepted. */
    CK_OK(cpae_layer_create(1, 1, CPAE_ACT_ABS, 0.0, &l));
    cpae_layer_destroy(l);
    cpae_layer_destroy(NULL);
}
END_TEST

/* cpae.h: "alpha leaky-ReLU slope for z <= 0 (finite); ignored otherwise". */
START_TEST(test_layer_create_alpha_ignored)
{
    static const int32_t acts[] = {CPAE_ACT_IDENTITY, CPAE_ACT_RELU, CPAE_ACT_ABS};
    for (int i = 0; i < 3; i++) {
        cpae_layer *l = NULL;
        int32_t st = cpae_layer_create(2, 3, acts[i], NAN, &l);
        ck_assert_msg(st == CPAE_OK,
                      "activation %d with NaN alpha -> %d (%s); alpha is documented as "
                      "ignored for non-leaky activations", (int)acts[i], (int)st,
                      cpae_last_error());
        cpae_layer_destroy(l);
    }
}
END_TEST

START_TEST(test_layer_getters_errors)
{
    int64_t a = -3, b = -4;
    int32_t act = -5;
    double alpha = -6.0;
    CK_EXPECT(cpae_layer_dims(NULL, &a, &b), CPAE_E_NULL);
    ck_assert_int_eq(a, -3);
    ck_assert_int_eq(b, -4);
    CK_EXPECT(cpae_layer_activation(NULL, &act, &alpha), CPAE_E_NULL);
    ck_assert_int_eq(act, -5);
    ck_assert(alpha == -6.0);
    /* Optional outputs. */
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(2, 3, CPAE_ACT_LEAKY_RELU, 0.2, &l));
    CK_OK(cpae_layer_dims(l, NULL, NULL));
    CK_OK(cpae_layer_activation(l, NULL, NULL));
    cpae_layer_destroy(l);
}
END_TEST

START_TEST(test_layer_params_errors)
{
    enum { NI = 3, NO = 4, NW = NI * NO };
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(NI, NO, CPAE_ACT_RELU, 0.0, &l));
    uint64_t s = 42;
    float w[NW], b[NO], w_before[NW], b_before[NO], bad[NW], out[NW + 4];
    tu_fill(w, NW, 1.0, &s);
    tu_fill(b, NO, 1.0, &s);
    CK_OK(cpae_layer_set_weights(l, w, NW));
    CK_OK(cpae_layer_set_bias(l, b, NO));
    CK_OK(cpae_layer_get_weights(l, w_before, NW));
    CK_OK(cpae_layer_get_bias(l, b_before, NO));

    /* set_weights */
    CK_EXPECT(cpae_layer_set_weights(NULL, w, NW), CPAE_E_NULL);
    CK_EXPECT(cpae_layer_set_weights(l, NULL, NW), CPAE_E_NULL);
    CK_EXPECT(cpae_layer_set_weights(l, w, NW - 1), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_set_weights(l, w, NW + 1), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_set_weights(l, w, 0), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_set_weights(l, w, -1), CPAE_E_SIZE);
    for (int k = 0; k < 3; k++) {
        /* New values everywhere except the last entry, which is non-finite:
         * a partial copy would show up. */
        for (int i = 0; i < NW; i++)
            bad[i] = w[i] + 1.0f;
        bad[NW - 1] = TU_BAD_VALUES[k];
        CK_EXPECT(cpae_layer_set_weights(l, bad, NW), CPAE_E_NONFINITE);
    }
    /* set_bias */
    CK_EXPECT(cpae_layer_set_bias(NULL, b, NO), CPAE_E_NULL);
    CK_EXPECT(cpae_layer_set_bias(l, NULL, NO), CPAE_E_NULL);
    CK_EXPECT(cpae_layer_set_bias(l, b, NO - 1), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_set_bias(l, b, NO + 1), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_set_bias(l, b, 0), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_set_bias(l, b, -2), CPAE_E_SIZE);
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < NO; i++)
            bad[i] = b[i] - 1.0f;
        bad[NO - 1] = TU_BAD_VALUES[k];
        CK_EXPECT(cpae_layer_set_bias(l, bad, NO), CPAE_E_NONFINITE);
    }
    /* The layer is unchanged. */
    float w_after[NW], b_after[NO];
    CK_OK(cpae_layer_get_weights(l, w_after, NW));
    CK_OK(cpae_layer_get_bias(l, b_after, NO));
    ck_assert_int_eq(memcmp(w_after, w_before, sizeof w_before), 0);
    ck_assert_int_eq(memcmp(b_after, b_before, sizeof b_before), 0);

    /* get_weights / get_bias */
    tu_fill_f(out, NW + 4, TU_SENT_F);
    CK_EXPECT(cpae_layer_get_weights(NULL, out, NW), CPAE_E_NULL);
    CK_EXPECT(cpae_layer_get_weights(l, NULL, NW), CPAE_E_NULL);
    CK_EXPECT(cpae_layer_get_weights(l, out, NW - 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_layer_get_weights(l, out, 0), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_layer_get_weights(l, out, -1), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_layer_get_bias(NULL, out, NO), CPAE_E_NULL);
    CK_EXPECT(cpae_layer_get_bias(l, NULL, NO), CPAE_E_NULL);
    CK_EXPECT(cpae_layer_get_bias(l, out, NO - 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_layer_get_bias(l, out, 0), CPAE_E_BUFFER_TOO_SMALL);
    TU_ASSERT_F_SENT(out, NW + 4);
    /* A larger capacity is fine and only n values are written. */
    CK_OK(cpae_layer_get_bias(l, out, NW + 4));
    TU_ASSERT_F_SENT(out + NO, NW + 4 - NO);
    cpae_layer_destroy(l);
}
END_TEST

START_TEST(test_layer_forward_errors)
{
    enum { NI = 3, NO = 2, N = 4 };
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(NI, NO, CPAE_ACT_LEAKY_RELU, 0.1, &l));
    uint64_t s = 7;
    float w[NI * NO], x[N * NI], xb[N * NI], y[N * NO + 2];
    tu_fill(w, NI * NO, 1.0, &s);
    tu_fill(x, N * NI, 1.0, &s);
    CK_OK(cpae_layer_set_weights(l, w, NI * NO));
    tu_fill_f(y, N * NO + 2, TU_SENT_F);

    CK_EXPECT(cpae_layer_forward(NULL, x, N, NI, y, N * NO), CPAE_E_NULL);
    CK_EXPECT(cpae_layer_forward(l, NULL, N, NI, y, N * NO), CPAE_E_NULL);
    CK_EXPECT(cpae_layer_forward(l, x, N, NI, NULL, N * NO), CPAE_E_NULL);
    CK_EXPECT(cpae_layer_forward(l, x, 0, NI, y, N * NO), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_forward(l, x, -1, NI, y, N * NO), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_forward(l, x, N, NI - 1, y, N * NO), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_forward(l, x, N, NI + 1, y, N * NO), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_forward(l, x, N, 0, y, N * NO), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_forward(l, x, N, -NI, y, N * NO), CPAE_E_SIZE);
    CK_EXPECT(cpae_layer_forward(l, x, N, NI, y, N * NO - 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_layer_forward(l, x, N, NI, y, 0), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_layer_forward(l, x, N, NI, y, -1), CPAE_E_BUFFER_TOO_SMALL);
    /* n * n_out overflows int64. */
    CK_EXPECT(cpae_layer_forward(l, x, INT64_MAX, NI, y, INT64_MAX), CPAE_E_SIZE);
    TU_ASSERT_F_SENT(y, N * NO + 2);
    for (int k = 0; k < 3; k++) {
        tu_poisoned(xb, x, N * NI, N * NI - 1, TU_BAD_VALUES[k]); /* last row */
        CK_EXPECT(cpae_layer_forward(l, xb, N, NI, y, N * NO), CPAE_E_NONFINITE);
        tu_poisoned(xb, x, N * NI, 0, TU_BAD_VALUES[k]);
        CK_EXPECT(cpae_layer_forward(l, xb, N, NI, y, N * NO), CPAE_E_NONFINITE);
    }
    TU_ASSERT_F_SENT(y, N * NO + 2);
    /* A valid call writes exactly n * n_out values. */
    CK_OK(cpae_layer_forward(l, x, N, NI, y, N * NO + 2));
    TU_ASSERT_F_SENT(y + N * NO, 2);
    cpae_layer_destroy(l);
}
END_TEST


START_TEST(test_layer_forward_huge_n)
{
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(4, 1, CPAE_ACT_RELU, 0.0, &l));
    const char *why = tu_huge_refused(0, l, "cpae_layer_forward");
    cpae_layer_destroy(l);
    TU_ASSERT_REFUSED(why);
}
END_TEST

/* ============================================================ models */

START_TEST(test_model_create_null)
{
    const int64_t ew[] = {TU_D, TU_H}, dw[] = {TU_H, TU_D};
    const int32_t ea[] = {CPAE_ACT_RELU}, da[] = {CPAE_ACT_IDENTITY};
    cpae_model *m = NULL;
    CK_EXPECT(cpae_model_create(ew, ea, NULL, 1, dw, da, NULL, 1, 1, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_model_create(NULL, ea, NULL, 1, dw, da, NULL, 1, 1, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create(ew, NULL, NULL, 1, dw, da, NULL, 1, 1, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create(ew, ea, NULL, 1, NULL, da, NULL, 1, 1, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create(ew, ea, NULL, 1, dw, NULL, NULL, 1, 1, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    /* The alphas are optional. */
    CK_OK(cpae_model_create(ew, ea, NULL, 1, dw, da, NULL, 1, 1, &m));
    cpae_model_destroy(m);
    cpae_model_destroy(NULL);
}
END_TEST

START_TEST(test_model_create_sizes)
{
    const int32_t relu2[] = {CPAE_ACT_RELU, CPAE_ACT_RELU};
    const int32_t dec2[] = {CPAE_ACT_RELU, CPAE_ACT_IDENTITY};
    const int64_t ew[] = {4, 3, 2}, dw[] = {2, 3, 4};
    cpae_model *m = NULL;
    /* Layer counts. */
    CK_EXPECT(cpae_model_create(ew, relu2, NULL, 0, dw, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create(ew, relu2, NULL, 2, dw, dec2, NULL, 0, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create(ew, relu2, NULL, -1, dw, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create(ew, relu2, NULL, 2, dw, dec2, NULL, -3, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    /* Widths < 1. */
    {
        const int64_t e0[] = {4, 0, 2}, en[] = {4, -3, 2}, d0[] = {2, 0, 4};
        CK_EXPECT(cpae_model_create(e0, relu2, NULL, 2, dw, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        CK_EXPECT(cpae_model_create(en, relu2, NULL, 2, dw, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        CK_EXPECT(cpae_model_create(ew, relu2, NULL, 2, d0, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        const int64_t ez[] = {0, 3, 0}, dz[] = {0, 3, 0};
        CK_EXPECT(cpae_model_create(ez, relu2, NULL, 2, dz, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
    }
    /* Widths that do not chain: dec_widths[0] != h, dec_widths[last] != d. */
    {
        const int64_t dh[] = {3, 3, 4}, dd[] = {2, 3, 5};
        CK_EXPECT(cpae_model_create(ew, relu2, NULL, 2, dh, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        CK_EXPECT(cpae_model_create(ew, relu2, NULL, 2, dd, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        /* Both stacks valid on their own, one layer each, swapped widths. */
        const int64_t e1[] = {4, 2}, d1[] = {4, 2};
        CK_EXPECT(cpae_model_create(e1, relu2, NULL, 1, d1, dec2, NULL, 1, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
    }
}
END_TEST

START_TEST(test_model_create_invalid_and_nonfinite)
{
    const int64_t ew[] = {4, 3, 2}, dw[] = {2, 3, 4};
    const int32_t ok[] = {CPAE_ACT_LEAKY_RELU, CPAE_ACT_IDENTITY};
    cpae_model *m = NULL;
    {
        const int32_t bad_e[] = {99, CPAE_ACT_IDENTITY}, bad_d[] = {CPAE_ACT_RELU, 99};
        const int32_t neg[] = {-1, CPAE_ACT_IDENTITY};
        CK_EXPECT(cpae_model_create(ew, bad_e, NULL, 2, dw, ok, NULL, 2, 1, &m), CPAE_E_INVALID);
        ck_assert_ptr_null(m);
        CK_EXPECT(cpae_model_create(ew, ok, NULL, 2, dw, bad_d, NULL, 2, 1, &m), CPAE_E_INVALID);
        ck_assert_ptr_null(m);
        CK_EXPECT(cpae_model_create(ew, neg, NULL, 2, dw, ok, NULL, 2, 1, &m), CPAE_E_INVALID);
        ck_assert_ptr_null(m);
    }
    {
        const double good[] = {0.2, 0.0};
        for (int k = 0; k < 3; k++) {
            const double bad[] = {(double)TU_BAD_VALUES[k], 0.0};
            CK_EXPECT(cpae_model_create(ew, ok, bad, 2, dw, ok, good, 2, 1, &m),
                      CPAE_E_NONFINITE);
            ck_assert_ptr_null(m);
            CK_EXPECT(cpae_model_create(ew, ok, good, 2, dw, ok, bad, 2, 1, &m),
                      CPAE_E_NONFINITE);
            ck_assert_ptr_null(m);
        }
        CK_OK(cpae_model_create(ew, ok, good, 2, dw, ok, good, 2, 1, &m));
        cpae_model_destroy(m);
    }
}
END_TEST

START_TEST(test_model_create_limits)
{
    enum { L = CPAE_MAX_LAYERS + 1 };
    int64_t w[L + 1], dw[] = {4, 4};
    int32_t acts[L], da[] = {CPAE_ACT_IDENTITY};
    for (int i = 0; i <= L; i++)
        w[i] = 4;
    for (int i = 0; i < L; i++)
        acts[i] = CPAE_ACT_RELU;
    cpae_model *m = NULL;
    /* More than CPAE_MAX_LAYERS layers in a stack (everything else valid). */
    CK_EXPECT(cpae_model_create(w, acts, NULL, L, dw, da, NULL, 1, 1, &m), CPAE_E_LIMIT);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create(dw, da, NULL, 1, w, acts, NULL, L, 1, &m), CPAE_E_LIMIT);
    ck_assert_ptr_null(m);
    /* Exactly CPAE_MAX_LAYERS is allowed. */
    CK_OK(cpae_model_create(w, acts, NULL, L - 1, dw, da, NULL, 1, 1, &m));
    cpae_model_destroy(m);
    m = NULL;
    /* Width > CPAE_MAX_WIDTH (the parameter count would be fine). */
    {
        const int64_t ew[] = {(int64_t)CPAE_MAX_WIDTH + 1, 1};
        const int64_t dw2[] = {1, (int64_t)CPAE_MAX_WIDTH + 1};
        const int32_t id[] = {CPAE_ACT_IDENTITY};
        CK_EXPECT(cpae_model_create(ew, id, NULL, 1, dw2, id, NULL, 1, 1, &m), CPAE_E_LIMIT);
        ck_assert_ptr_null(m);
        const int64_t ew3[] = {4, (int64_t)CPAE_MAX_WIDTH + 1, 2}, dw3[] = {2, 4};
        const int32_t id2[] = {CPAE_ACT_RELU, CPAE_ACT_IDENTITY};
        CK_EXPECT(cpae_model_create(ew3, id2, NULL, 2, dw3, id, NULL, 1, 1, &m), CPAE_E_LIMIT);
        ck_assert_ptr_null(m);
    }
    /* More than CPAE_MAX_PARAMS parameters with widths inside the limit. */
    {
        const int64_t ew[] = {CPAE_MAX_WIDTH, CPAE_MAX_WIDTH};
        const int32_t id[] = {CPAE_ACT_IDENTITY};
        CK_EXPECT(cpae_model_create(ew, id, NULL, 1, ew, id, NULL, 1, 1, &m), CPAE_E_LIMIT);
        ck_assert_ptr_null(m);
    }
}
END_TEST

START_TEST(test_model_mirrored_errors)
{
    cpae_model *m = NULL;
    CK_EXPECT(cpae_model_create_mirrored(TU_W_MAIN, 3, CPAE_ACT_RELU, 1, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_model_create_mirrored(NULL, 3, CPAE_ACT_RELU, 1, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create_mirrored(TU_W_MAIN, 1, CPAE_ACT_RELU, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create_mirrored(TU_W_MAIN, 0, CPAE_ACT_RELU, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create_mirrored(TU_W_MAIN, -2, CPAE_ACT_RELU, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create_mirrored(TU_W_MAIN, 3, 99, 1, &m), CPAE_E_INVALID);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create_mirrored(TU_W_MAIN, 3, -1, 1, &m), CPAE_E_INVALID);
    ck_assert_ptr_null(m);
    /* More than CPAE_MAX_LAYERS layers per stack. */
    int64_t w[CPAE_MAX_LAYERS + 2];
    for (int i = 0; i < CPAE_MAX_LAYERS + 2; i++)
        w[i] = 3;
    CK_EXPECT(cpae_model_create_mirrored(w, CPAE_MAX_LAYERS + 2, CPAE_ACT_RELU, 1, &m),
              CPAE_E_LIMIT);
    ck_assert_ptr_null(m);
    CK_OK(cpae_model_create_mirrored(w, CPAE_MAX_LAYERS + 1, CPAE_ACT_RELU, 1, &m));
    cpae_model_destroy(m);
}
END_TEST

/* Width errors found while building the mirrored stacks: the status, and a
 * message naming cpae_model_create_mirrored (the function called). */
START_TEST(test_model_mirrored_bad_widths)
{
    cpae_model *m = NULL;
    const int64_t w0[] = {4, 0, 2}, wn[] = {4, 5, -2};
    const int64_t wl[] = {(int64_t)CPAE_MAX_WIDTH + 1, 2};
    int32_t st = cpae_model_create_mirrored(w0, 3, CPAE_ACT_RELU, 1, &m);
    ck_assert_int_eq(st, CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    st = cpae_model_create_mirrored(wn, 3, CPAE_ACT_RELU, 1, &m);
    ck_assert_int_eq(st, CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    st = cpae_model_create_mirrored(wl, 2, CPAE_ACT_RELU, 1, &m);
    ck_assert_int_eq(st, CPAE_E_LIMIT);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_create_mirrored(w0, 3, CPAE_ACT_RELU, 1, &m), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_create_mirrored(wl, 2, CPAE_ACT_RELU, 1, &m), CPAE_E_LIMIT);
}
END_TEST

START_TEST(test_model_from_layers_errors)
{
    cpae_layer *e1 = NULL, *e2 = NULL, *e2bad = NULL, *d1 = NULL, *d1bad = NULL, *d2 = NULL,
               *d2bad = NULL, *sq = NULL;
    CK_OK(cpae_layer_create(4, 5, CPAE_ACT_RELU, 0.0, &e1));
    CK_OK(cpae_layer_create(5, 2, CPAE_ACT_IDENTITY, 0.0, &e2));
    CK_OK(cpae_layer_create(6, 2, CPAE_ACT_IDENTITY, 0.0, &e2bad));
    CK_OK(cpae_layer_create(2, 5, CPAE_ACT_RELU, 0.0, &d1));
    CK_OK(cpae_layer_create(3, 5, CPAE_ACT_RELU, 0.0, &d1bad));
    CK_OK(cpae_layer_create(5, 4, CPAE_ACT_IDENTITY, 0.0, &d2));
    CK_OK(cpae_layer_create(5, 3, CPAE_ACT_IDENTITY, 0.0, &d2bad));
    CK_OK(cpae_layer_create(4, 4, CPAE_ACT_RELU, 0.0, &sq));
    const cpae_layer *enc[] = {e1, e2}, *dec[] = {d1, d2};
    cpae_model *m = NULL;

    CK_EXPECT(cpae_model_from_layers(enc, 2, dec, 2, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_model_from_layers(NULL, 2, dec, 2, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_from_layers(enc, 2, NULL, 2, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    {
        const cpae_layer *en[] = {e1, NULL}, *dn[] = {NULL, d2};
        CK_EXPECT(cpae_model_from_layers(en, 2, dec, 2, &m), CPAE_E_NULL);
        ck_assert_ptr_null(m);
        CK_EXPECT(cpae_model_from_layers(enc, 2, dn, 2, &m), CPAE_E_NULL);
        ck_assert_ptr_null(m);
    }
    CK_EXPECT(cpae_model_from_layers(enc, 0, dec, 2, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_from_layers(enc, 2, dec, 0, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    CK_EXPECT(cpae_model_from_layers(enc, -1, dec, 2, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    /* Widths that do not chain: inside the encoder, encoder -> decoder,
     * decoder output -> input width. */
    {
        const cpae_layer *eb[] = {e1, e2bad}, *db1[] = {d1bad, d2}, *db2[] = {d1, d2bad};
        CK_EXPECT(cpae_model_from_layers(eb, 2, dec, 2, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        CK_EXPECT(cpae_model_from_layers(enc, 2, db1, 2, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        CK_EXPECT(cpae_model_from_layers(enc, 2, db2, 2, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        const cpae_layer *dd[] = {d2, d1};
        CK_EXPECT(cpae_model_from_layers(enc, 2, dd, 2, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
    }
    /* More than CPAE_MAX_LAYERS layers (all 4 -> 4, so they chain). */
    {
        const cpae_layer *many[CPAE_MAX_LAYERS + 1];
        for (int i = 0; i < CPAE_MAX_LAYERS + 1; i++)
            many[i] = sq;
        const cpae_layer *one[] = {sq};
        CK_EXPECT(cpae_model_from_layers(many, CPAE_MAX_LAYERS + 1, one, 1, &m), CPAE_E_LIMIT);
        ck_assert_ptr_null(m);
        CK_EXPECT(cpae_model_from_layers(one, 1, many, CPAE_MAX_LAYERS + 1, &m), CPAE_E_LIMIT);
        ck_assert_ptr_null(m);
        CK_OK(cpae_model_from_layers(many, CPAE_MAX_LAYERS, one, 1, &m));
        cpae_model_destroy(m);
        m = NULL;
    }
    CK_OK(cpae_model_from_layers(enc, 2, dec, 2, &m));
    cpae_model_destroy(m);
    cpae_layer_destroy(e1);
    cpae_layer_destroy(e2);
    cpae_layer_destroy(e2bad);
    cpae_layer_destroy(d1);
    cpae_layer_destroy(d1bad);
    cpae_layer_destroy(d2);
    cpae_layer_destroy(d2bad);
    cpae_layer_destroy(sq);
}
END_TEST

START_TEST(test_model_queries_errors)
{
    cpae_model *m = tu_model_main(), *c = NULL;
    CK_EXPECT(cpae_model_clone(NULL, &c), CPAE_E_NULL);
    ck_assert_ptr_null(c);
    CK_EXPECT(cpae_model_clone(m, NULL), CPAE_E_NULL);

    int64_t a = -3, b = -4;
    CK_EXPECT(cpae_model_dims(NULL, &a, &b), CPAE_E_NULL);
    ck_assert_int_eq(a, -3);
    ck_assert_int_eq(b, -4);
    CK_OK(cpae_model_dims(m, NULL, NULL));

    CK_EXPECT(cpae_model_n_layers(NULL, CPAE_ENCODER, &a), CPAE_E_NULL);
    CK_EXPECT(cpae_model_n_layers(m, CPAE_ENCODER, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_model_n_layers(m, 7, &a), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_n_layers(m, -1, &a), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_n_layers(m, 3, &a), CPAE_E_INVALID);
    ck_assert_int_eq(a, -3);

    int32_t act = -5;
    double alpha = -6.0;
    CK_EXPECT(cpae_model_layer_info(NULL, CPAE_ENCODER, 0, &a, &b, &act, &alpha), CPAE_E_NULL);
    CK_EXPECT(cpae_model_layer_info(m, 7, 0, &a, &b, &act, &alpha), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_layer_info(m, CPAE_AUTOENCODER, 0, &a, &b, &act, &alpha),
              CPAE_E_INVALID);
    CK_EXPECT(cpae_model_layer_info(m, CPAE_ENCODER, -1, &a, &b, &act, &alpha), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_layer_info(m, CPAE_ENCODER, 2, &a, &b, &act, &alpha), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_layer_info(m, CPAE_DECODER, 2, &a, &b, &act, &alpha), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_layer_info(m, CPAE_DECODER, INT64_MAX, &a, &b, &act, &alpha),
              CPAE_E_INVALID);
    CK_EXPECT(cpae_model_layer_info(m, CPAE_DECODER, INT64_MIN, &a, &b, &act, &alpha),
              CPAE_E_INVALID);
    ck_assert_int_eq(a, -3);
    ck_assert_int_eq(b, -4);
    ck_assert_int_eq(act, -5);
    ck_assert(alpha == -6.0);
    CK_OK(cpae_model_layer_info(m, CPAE_DECODER, 1, NULL, NULL, NULL, NULL));

    CK_EXPECT(cpae_model_n_params(NULL, &a), CPAE_E_NULL);
    CK_EXPECT(cpae_model_n_params(m, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_model_sizeof(NULL, &a), CPAE_E_NULL);
    CK_EXPECT(cpae_model_sizeof(m, NULL), CPAE_E_NULL);
    ck_assert_int_eq(a, -3);

    int tag = 0;
    void *ud = &tag;
    CK_EXPECT(cpae_model_set_user_data(NULL, &tag), CPAE_E_NULL);
    CK_EXPECT(cpae_model_get_user_data(NULL, &ud), CPAE_E_NULL);
    ck_assert_ptr_eq(ud, &tag);
    CK_EXPECT(cpae_model_get_user_data(m, NULL), CPAE_E_NULL);
    CK_OK(cpae_model_get_user_data(m, &ud));
    ck_assert_ptr_null(ud);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_get_layer_errors)
{
    cpae_model *m = tu_model_main();
    cpae_layer *l = NULL;
    CK_EXPECT(cpae_model_get_layer(NULL, CPAE_ENCODER, 0, &l), CPAE_E_NULL);
    CK_EXPECT(cpae_model_get_layer(m, CPAE_ENCODER, 0, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_model_get_layer(m, 7, 0, &l), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_get_layer(m, CPAE_AUTOENCODER, 0, &l), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_get_layer(m, CPAE_ENCODER, -1, &l), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_get_layer(m, CPAE_DECODER, 2, &l), CPAE_E_INVALID);
    ck_assert_ptr_null(l);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_get_layer_params_errors)
{
    cpae_model *m = tu_model_main();
    /* Encoder layer 0: 4 -> 5: 20 weights, 5 biases. */
    float w[24], b[8];
    tu_fill_f(w, 24, TU_SENT_F);
    tu_fill_f(b, 8, TU_SENT_F);
    CK_EXPECT(cpae_model_get_layer_params(NULL, CPAE_ENCODER, 0, w, 20, b, 5), CPAE_E_NULL);
    CK_EXPECT(cpae_model_get_layer_params(m, 7, 0, w, 20, b, 5), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_get_layer_params(m, CPAE_AUTOENCODER, 0, w, 20, b, 5), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, -1, w, 20, b, 5), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, 2, w, 20, b, 5), CPAE_E_INVALID);
    /* One output too small: neither is written. */
    CK_EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, w, 19, b, 5),
              CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, w, 20, b, 4),
              CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, w, 0, NULL, 0),
              CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, NULL, 0, b, -1),
              CPAE_E_BUFFER_TOO_SMALL);
    TU_ASSERT_F_SENT(w, 24);
    TU_ASSERT_F_SENT(b, 8);
    /* Both outputs optional. */
    CK_OK(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, NULL, 0, NULL, 0));
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_set_layer_params_errors)
{
    cpae_model *m = tu_model_main();
    /* Decoder layer 0: 2 -> 5: 10 weights, 5 biases. */
    enum { NW = 10, NB = 5 };
    float w0[NW], b0[NB], w[NW], b[NB], bad[NW], wa[NW], ba[NB];
    CK_OK(cpae_model_get_layer_params(m, CPAE_DECODER, 0, w0, NW, b0, NB));
    /* New, valid values that differ from the current ones. */
    for (int i = 0; i < NW; i++)
        w[i] = w0[i] + 0.5f;
    for (int i = 0; i < NB; i++)
        b[i] = b0[i] - 0.5f;

    CK_EXPECT(cpae_model_set_layer_params(NULL, CPAE_DECODER, 0, w, NW, b, NB), CPAE_E_NULL);
    CK_EXPECT(cpae_model_set_layer_params(m, 7, 0, w, NW, b, NB), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_set_layer_params(m, CPAE_AUTOENCODER, 0, w, NW, b, NB), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, -1, w, NW, b, NB), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 2, w, NW, b, NB), CPAE_E_INVALID);
    /* A wrong length anywhere: nothing changes. */
    CK_EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, NW - 1, b, NB), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, NW + 1, b, NB), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, NW, b, NB - 1), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, NW, b, 0), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, -1, NULL, 0), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, NULL, 0, b, -5), CPAE_E_SIZE);
    /* Non-finite bias with valid weights, and the reverse. */
    for (int k = 0; k < 3; k++) {
        tu_poisoned(bad, b, NB, NB - 1, TU_BAD_VALUES[k]);
        CK_EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, NW, bad, NB),
                  CPAE_E_NONFINITE);
        tu_poisoned(bad, w, NW, NW - 1, TU_BAD_VALUES[k]);
        CK_EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, bad, NW, b, NB),
                  CPAE_E_NONFINITE);
        CK_EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, bad, NW, NULL, 0),
                  CPAE_E_NONFINITE);
    }
    CK_OK(cpae_model_get_layer_params(m, CPAE_DECODER, 0, wa, NW, ba, NB));
    ck_assert_msg(memcmp(wa, w0, sizeof w0) == 0, "weights changed by a failing call");
    ck_assert_msg(memcmp(ba, b0, sizeof b0) == 0, "biases changed by a failing call");
    cpae_model_destroy(m);
}
END_TEST

typedef int32_t (*run_fn)(const cpae_model *, const float *, int64_t, int64_t, float *,
                          int64_t);

static void forward_errors(run_fn f, const char *name, int64_t din, int64_t dout,
                           int64_t wrong_dim)
{
    cpae_model *m = tu_model_main();
    enum { N = 3 };
    float x[N * TU_D], xb[N * TU_D], y[N * TU_D + 2];
    uint64_t s = 5;
    tu_fill(x, N * din, 1.0, &s);
    tu_fill_f(y, N * TU_D + 2, TU_SENT_F);
    int32_t st;
#define FWD_ERR(call, code)                                                   \
    do {                                                                      \
        st = (call);                                                          \
        ck_assert_msg(st == (code), "%s: %s -> %d, expected %d: %s", name, #call, (int)st, \
                      (int)(code), cpae_last_error());                        \
        ck_assert_msg(strstr(cpae_last_error(), name) != NULL,                \
                      "%s: message '%s' does not name it", name, cpae_last_error()); \
    } while (0)
    FWD_ERR(f(NULL, x, N, din, y, N * dout), CPAE_E_NULL);
    FWD_ERR(f(m, NULL, N, din, y, N * dout), CPAE_E_NULL);
    FWD_ERR(f(m, x, N, din, NULL, N * dout), CPAE_E_NULL);
    FWD_ERR(f(m, x, 0, din, y, N * dout), CPAE_E_SIZE);
    FWD_ERR(f(m, x, -1, din, y, N * dout), CPAE_E_SIZE);
    FWD_ERR(f(m, x, N, wrong_dim, y, N * dout), CPAE_E_SIZE);
    FWD_ERR(f(m, x, N, 0, y, N * dout), CPAE_E_SIZE);
    FWD_ERR(f(m, x, N, -din, y, N * dout), CPAE_E_SIZE);
    FWD_ERR(f(m, x, N, din, y, N * dout - 1), CPAE_E_BUFFER_TOO_SMALL);
    FWD_ERR(f(m, x, N, din, y, 0), CPAE_E_BUFFER_TOO_SMALL);
    FWD_ERR(f(m, x, N, din, y, -1), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_msg(tu_all_f(y, N * TU_D + 2, TU_SENT_F), "%s wrote its output on failure", name);
    for (int k = 0; k < 3; k++) {
        tu_poisoned(xb, x, N * din, N * din - 1, TU_BAD_VALUES[k]);
        FWD_ERR(f(m, xb, N, din, y, N * dout), CPAE_E_NONFINITE);
        tu_poisoned(xb, x, N * din, din, TU_BAD_VALUES[k]);
        FWD_ERR(f(m, xb, N, din, y, N * dout), CPAE_E_NONFINITE);
    }
    ck_assert_msg(tu_all_f(y, N * TU_D + 2, TU_SENT_F), "%s wrote its output on failure", name);
    CK_OK(f(m, x, N, din, y, N * dout));
    ck_assert_msg(tu_all_f(y + N * dout, (size_t)(N * TU_D + 2 - N * dout), TU_SENT_F),
                  "%s wrote past n * out", name);
#undef FWD_ERR
    cpae_model_destroy(m);
}

START_TEST(test_model_encode_errors)
{
    forward_errors(cpae_model_encode, "cpae_model_encode", TU_D, TU_H, TU_H);
}
END_TEST

START_TEST(test_model_decode_errors)
{
    forward_errors(cpae_model_decode, "cpae_model_decode", TU_H, TU_D, TU_D);
}
END_TEST

START_TEST(test_model_reconstruct_errors)
{
    forward_errors(cpae_model_reconstruct, "cpae_model_reconstruct", TU_D, TU_D, TU_H);
}
END_TEST

START_TEST(test_model_forward_huge_n)
{
    cpae_model *m = tu_model_main();
    const char *why = tu_huge_refused(2, m, "cpae_model_encode");
    if (!why)
        why = tu_huge_refused(3, m, "cpae_model_reconstruct");
    cpae_model_destroy(m);
    TU_ASSERT_REFUSED(why);
}
END_TEST

/* ============================================================= suite */

static Suite *suite(void)
{
    Suite *s = suite_create("network");

    TCase *tc = tcase_create("errors");
    tcase_add_test(tc, test_layer_create_errors);
    tcase_add_test(tc, test_layer_create_alpha_ignored);
    tcase_add_test(tc, test_layer_getters_errors);
    tcase_add_test(tc, test_layer_params_errors);
    tcase_add_test(tc, test_layer_forward_errors);
    tcase_add_test(tc, test_layer_forward_huge_n);
    tcase_add_test(tc, test_model_create_null);
    tcase_add_test(tc, test_model_create_sizes);
    tcase_add_test(tc, test_model_create_invalid_and_nonfinite);
    tcase_add_test(tc, test_model_create_limits);
    tcase_add_test(tc, test_model_mirrored_errors);
    tcase_add_test(tc, test_model_mirrored_bad_widths);
    tcase_add_test(tc, test_model_from_layers_errors);
    tcase_add_test(tc, test_model_queries_errors);
    tcase_add_test(tc, test_model_get_layer_errors);
    tcase_add_test(tc, test_model_get_layer_params_errors);
    tcase_add_test(tc, test_model_set_layer_params_errors);
    tcase_add_test(tc, test_model_encode_errors);
    tcase_add_test(tc, test_model_decode_errors);
    tcase_add_test(tc, test_model_reconstruct_errors);
    tcase_add_test(tc, test_model_forward_huge_n);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    return s;
}

int main(void) { return tu_run(suite()); }
