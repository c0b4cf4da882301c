/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_geometry.c -- boundary distances, exact segment walks, regions in a
 * ball (docs/math.md section 2); and the error cases (tcase "errors") of
 * region codes, per-region affine maps and the geometry functions: NULL
 * pointers, sizes, capacities, non-finite inputs, enums and indices,
 * foreign handles (CPAE_E_MISMATCH) and limits, with outputs and handles
 * left untouched and a detail message naming the function (CK_EXPECT,
 * testutil.h). Expectations follow the documented contract in cpae.h. */
#include "testutil.h"

static const int32_t acts[] = {CPAE_ACT_RELU, CPAE_ACT_LEAKY_RELU, CPAE_ACT_ABS};
static const int32_t stacks[] = {CPAE_ENCODER, CPAE_DECODER, CPAE_AUTOENCODER};

static cpae_model *model_for(int i)
{
    const int64_t widths[] = {8, 16, 12, 3};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(widths, 4, acts[i % 3], 1000 + (uint64_t)i, &m));
    uint64_t s = 500 + (uint64_t)i;
    for (int32_t st = 0; st < 2; st++)
        for (int64_t l = 0; l < 3; l++) {
            int64_t n_out;
            CK_OK(cpae_model_layer_info(m, st, l, NULL, &n_out, NULL, NULL));
            float b[16];
            tu_fill(b, n_out, 0.3, &s);
            CK_OK(cpae_model_set_layer_params(m, st, l, NULL, 0, b, n_out));
        }
    return m;
}

static int64_t stack_dim(int32_t stack) { return stack == CPAE_DECODER ? 3 : 8; }

static int same_code(const cpae_model *m, int32_t stack, const float *a, const float *b,
                     cpae_code *ca, cpae_code *cb)
{
    int32_t eq;
    int64_t dim = stack_dim(stack);
    CK_OK(cpae_model_code(m, stack, a, dim, ca));
    CK_OK(cpae_model_code(m, stack, b, dim, cb));
    CK_OK(cpae_code_equal(ca, cb, &eq));
    return eq;
}

/* Moving by less than r(x) keeps the code; a step just past r(x) along the
 * closest constraint's normal changes it. */
START_TEST(test_boundary_distance)
{
    cpae_model *m = model_for(_i);
    int32_t stack = stacks[(_i / 3) % 3];
    int64_t dim = stack_dim(stack);
    cpae_code *ca = NULL, *cb = NULL;
    CK_OK(cpae_code_create(m, stack, &ca));
    CK_OK(cpae_code_create(m, stack, &cb));
    uint64_t s = 31 + (uint64_t)_i;
    int crossed_exact_unit = 0;
    for (int trial = 0; trial < 50; trial++) {
        float x[8], nrm[8], y[8];
        tu_fill(x, dim, 1.0, &s);
        double r;
        int64_t unit;
        CK_OK(cpae_model_boundary_distance(m, stack, x, dim, &r, &unit, nrm, 8));
        ck_assert(r > 0 && isfinite(r));
        ck_assert_int_ge(unit, 0);
        double nn = 0;
        for (int j = 0; j < dim; j++)
            nn += (double)nrm[j] * nrm[j];
        ck_assert(fabs(nn - 1.0) < 1e-5);
        /* Random directions at 0.99 r stay inside. Points are float, so
         * stay a float rounding away from the boundary. */
        double inside = 0.99 * r - 1e-5 * (1 + r);
        if (inside > 0)
            for (int k = 0; k < 20; k++) {
                float u[8];
                double un = 0;
                tu_fill(u, dim, 1.0, &s);
                for (int j = 0; j < dim; j++)
                    un += (double)u[j] * u[j];
                for (int j = 0; j < dim; j++)
                    y[j] = (float)(x[j] + inside * u[j] / sqrt(un));
                ck_assert_msg(same_code(m, stack, x, y, ca, cb),
                              "code changed within r (trial %d)", trial);
            }
        /* Just past the nearest facet: the code changes in that unit. */
        double step = 1.01 * r + 1e-5;
        for (int j = 0; j < dim; j++)
            y[j] = (float)(x[j] + step * nrm[j]);
        ck_assert_msg(!same_code(m, stack, x, y, ca, cb), "code kept past r (trial %d)",
                      trial);
        int32_t b0, b1;
        CK_OK(cpae_code_bit(ca, unit, &b0));
        CK_OK(cpae_code_bit(cb, unit, &b1));
        crossed_exact_unit += b0 != b1;
    }
    /* The flipped unit is the closest one (later units may flip too). */
    ck_assert_int_ge(crossed_exact_unit, 45);
    /* Batch distances agree with single ones. */
    float xs[5 * 8];
    double rb[5], r1;
    tu_fill(xs, 5 * dim, 1.0, &s);
    CK_OK(cpae_model_boundary_distances(m, stack, xs, 5, dim, rb, 5));
    for (int i = 0; i < 5; i++) {
        CK_OK(cpae_model_boundary_distance(m, stack, xs + i * dim, dim, &r1, NULL, NULL, 0));
        ck_assert(r1 == rb[i]);
    }
    cpae_code_destroy(ca);
    cpae_code_destroy(cb);
    cpae_model_destroy(m);
}
END_TEST

/* The exact walk agrees with dense sampling of codes along the segment. */
START_TEST(test_segment_vs_sampling)
{
    cpae_model *m = model_for(_i);
    int32_t stack = stacks[(_i / 3) % 3];
    int64_t dim = stack_dim(stack), nb;
    CK_OK(cpae_model_code_bytes(m, stack, &nb));
    uint64_t s = 77 + (uint64_t)_i;
    float p[8], q[8], x[8];
    tu_fill(p, dim, 2.0, &s);
    tu_fill(q, dim, 2.0, &s);
    cpae_path *path = NULL;
    CK_OK(cpae_model_segment(m, stack, p, q, dim, 100000, &path));
    int64_t n;
    CK_OK(cpae_path_n_regions(path, &n));
    ck_assert_int_ge(n, 2);
    double *t = malloc(sizeof(double) * (size_t)n);
    uint8_t *codes = malloc((size_t)(n * nb));
    CK_OK(cpae_path_params(path, t, n));
    CK_OK(cpae_path_codes(path, codes, n * nb));
    ck_assert(t[0] == 0.0);
    for (int64_t k = 1; k < n; k++) {
        ck_assert(t[k] > t[k - 1] && t[k] < 1.0);
        ck_assert(memcmp(codes + k * nb, codes + (k - 1) * nb, (size_t)nb) != 0);
    }
    /* Dense sampling: every sample away from a crossing has its interval's
     * code; every interval wider than the sampling step is hit. */
    const int N = 20000;
    uint8_t *seen = calloc((size_t)n, 1);
    uint8_t c[8];
    for (int i = 0; i <= N; i++) {
        double ti = (double)i / N;
        int64_t k = 0;
        while (k + 1 < n && t[k + 1] <= ti)
            k++;
        double gap = fabs(ti - t[k]);
        if (k + 1 < n && t[k + 1] - ti < gap)
            gap = t[k + 1] - ti;
        if (k > 0 && gap < 1e-5)
            continue; /* float rounding of the sample point */
        for (int j = 0; j < dim; j++)
            x[j] = (float)(p[j] + ti * ((double)q[j] - p[j]));
        CK_OK(cpae_model_codes(m, stack, x, 1, dim, c, nb));
        ck_assert_msg(memcmp(c, codes + k * nb, (size_t)nb) == 0,
                      "sample t=%.9f disagrees with region %lld [%.9f, %.9f)", ti,
                      (long long)k, t[k], k + 1 < n ? t[k + 1] : 1.0);
        seen[k] = 1;
    }
    for (int64_t k = 0; k < n; k++) {
        double len = (k + 1 < n ? t[k + 1] : 1.0) - t[k];
        if (len > 3.0 / N)
            ck_assert_msg(seen[k], "region %lld of length %g never sampled", (long long)k, len);
    }
    /* A code handle receives a region's code. */
    cpae_code *code = NULL;
    CK_OK(cpae_code_create(m, stack, &code));
    CK_OK(cpae_path_code(path, n - 1, code));
    uint8_t back[8];
    int64_t w;
    CK_OK(cpae_code_to_bytes(code, back, 8, &w));
    ck_assert_mem_eq(back, codes + (n - 1) * nb, (size_t)nb);
    /* The walk is bounded by max_regions. */
    cpae_path *tmp = NULL;
    CK_ERR(cpae_model_segment(m, stack, p, q, dim, n - 1, &tmp), CPAE_E_LIMIT);
    ck_assert_ptr_null(tmp);
    cpae_code_destroy(code);
    free(seen);
    free(t);
    free(codes);
    cpae_path_destroy(path);
    cpae_model_destroy(m);
}
END_TEST

/* A segment inside one region has one region; a degenerate segment too. */
START_TEST(test_segment_single_region)
{
    cpae_model *m = model_for(0);
    float x[8], y[8];
    uint64_t s = 5;
    tu_fill(x, 8, 1.0, &s);
    double r;
    CK_OK(cpae_model_boundary_distance(m, CPAE_AUTOENCODER, x, 8, &r, NULL, NULL, 0));
    memcpy(y, x, sizeof x);
    y[0] += (float)(0.5 * r);
    cpae_path *path = NULL;
    int64_t n;
    CK_OK(cpae_model_segment(m, CPAE_AUTOENCODER, x, y, 8, 10, &path));
    CK_OK(cpae_path_n_regions(path, &n));
    ck_assert_int_eq(n, 1);
    cpae_path_destroy(path);
    CK_OK(cpae_model_segment(m, CPAE_AUTOENCODER, x, x, 8, 1, &path));
    CK_OK(cpae_path_n_regions(path, &n));
    ck_assert_int_eq(n, 1);
    cpae_path_destroy(path);
    cpae_model_destroy(m);
}
END_TEST

/* Regions in a ball: one inside r(x), more for larger balls, seeded. */
START_TEST(test_regions_in_ball)
{
    cpae_model *m = model_for(_i);
    int32_t stack = stacks[_i % 3];
    int64_t dim = stack_dim(stack), n0, n1, n2, n2b;
    float x[8];
    uint64_t s = 123;
    tu_fill(x, dim, 1.0, &s);
    double r;
    CK_OK(cpae_model_boundary_distance(m, stack, x, dim, &r, NULL, NULL, 0));
    CK_OK(cpae_model_count_regions_in_ball(m, stack, x, dim, 0.0, 100, 1, &n0));
    ck_assert_int_eq(n0, 1);
    CK_OK(cpae_model_count_regions_in_ball(m, stack, x, dim, 0.9 * r, 2000, 1, &n1));
    ck_assert_int_eq(n1, 1);
    CK_OK(cpae_model_count_regions_in_ball(m, stack, x, dim, 20.0 * r + 1.0, 3000, 1, &n2));
    CK_OK(cpae_model_count_regions_in_ball(m, stack, x, dim, 20.0 * r + 1.0, 3000, 1, &n2b));
    ck_assert_int_gt(n2, 1);
    ck_assert_int_eq(n2, n2b);
    ck_assert_int_le(n2, 3000);
    cpae_model_destroy(m);
}
END_TEST

/* ============================================================ errors */

/* ============================================================= codes */

static void code_bytes_of(const cpae_code *c, uint8_t *buf, int64_t cap, int64_t *n)
{
    memset(buf, 0, (size_t)cap);
    CK_OK(cpae_code_to_bytes(c, buf, cap, n));
}

START_TEST(test_code_create_errors)
{
    cpae_model *m = tu_model_main();
    cpae_code *c = NULL;
    CK_EXPECT(cpae_code_create(NULL, CPAE_ENCODER, &c), CPAE_E_NULL);
    CK_EXPECT(cpae_code_create(m, CPAE_ENCODER, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_code_create(m, 7, &c), CPAE_E_INVALID);
    CK_EXPECT(cpae_code_create(m, -1, &c), CPAE_E_INVALID);
    ck_assert_ptr_null(c);
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &c));
    cpae_code *c2 = NULL;
    CK_EXPECT(cpae_code_clone(NULL, &c2), CPAE_E_NULL);
    CK_EXPECT(cpae_code_clone(c, NULL), CPAE_E_NULL);
    ck_assert_ptr_null(c2);
    cpae_code_destroy(c);
    cpae_code_destroy(NULL);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_code_errors)
{
    cpae_model *m = tu_model_main(), *o = tu_model_other();
    cpae_code *ce = NULL, *cd = NULL, *ca = NULL, *co = NULL;
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &ce));
    CK_OK(cpae_code_create(m, CPAE_DECODER, &cd));
    CK_OK(cpae_code_create(m, CPAE_AUTOENCODER, &ca));
    CK_OK(cpae_code_create(o, CPAE_ENCODER, &co));
    /* A known content: the code of X1, then a different pattern. */
    CK_OK(cpae_model_code(m, CPAE_ENCODER, TU_X1, TU_D, ce));
    const uint8_t pattern[] = {0x15};
    CK_OK(cpae_code_from_bytes(ce, pattern, 1));
    uint8_t before[8], after[8];
    int64_t nb = 0, na = 0;
    code_bytes_of(ce, before, 8, &nb);
    ck_assert_int_eq(nb, 1);

    CK_EXPECT(cpae_model_code(NULL, CPAE_ENCODER, TU_X0, TU_D, ce), CPAE_E_NULL);
    CK_EXPECT(cpae_model_code(m, CPAE_ENCODER, NULL, TU_D, ce), CPAE_E_NULL);
    CK_EXPECT(cpae_model_code(m, CPAE_ENCODER, TU_X0, TU_D, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_model_code(m, 7, TU_X0, TU_D, ce), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_code(m, -1, TU_X0, TU_D, ce), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_code(m, CPAE_ENCODER, TU_X0, TU_H, ce), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_code(m, CPAE_ENCODER, TU_X0, 0, ce), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_code(m, CPAE_ENCODER, TU_X0, -TU_D, ce), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_code(m, CPAE_DECODER, TU_Z0, TU_D, cd), CPAE_E_SIZE);
    /* Codes created for another stack or another model shape. */
    CK_EXPECT(cpae_model_code(m, CPAE_ENCODER, TU_X0, TU_D, cd), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_code(m, CPAE_ENCODER, TU_X0, TU_D, ca), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_code(m, CPAE_DECODER, TU_Z0, TU_H, ce), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_code(m, CPAE_AUTOENCODER, TU_X0, TU_D, ce), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_code(m, CPAE_ENCODER, TU_X0, TU_D, co), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_code(o, CPAE_ENCODER, TU_X0, TU_D, ce), CPAE_E_MISMATCH);
    /* Non-finite points. */
    float xb[TU_D];
    for (int k = 0; k < 3; k++)
        for (int at = 0; at < TU_D; at += TU_D - 1) {
            tu_poisoned(xb, TU_X0, TU_D, at, TU_BAD_VALUES[k]);
            CK_EXPECT(cpae_model_code(m, CPAE_ENCODER, xb, TU_D, ce), CPAE_E_NONFINITE);
        }
    code_bytes_of(ce, after, 8, &na);
    ck_assert_int_eq(na, nb);
    ck_assert_msg(memcmp(before, after, (size_t)nb) == 0, "code changed by a failing refill");

    cpae_code_destroy(ce);
    cpae_code_destroy(cd);
    cpae_code_destroy(ca);
    cpae_code_destroy(co);
    cpae_model_destroy(m);
    cpae_model_destroy(o);
}
END_TEST

START_TEST(test_model_code_bytes_errors)
{
    cpae_model *m = tu_model_main();
    int64_t nb = -9;
    CK_EXPECT(cpae_model_code_bytes(NULL, CPAE_ENCODER, &nb), CPAE_E_NULL);
    CK_EXPECT(cpae_model_code_bytes(m, CPAE_ENCODER, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_model_code_bytes(m, 7, &nb), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_code_bytes(m, -1, &nb), CPAE_E_INVALID);
    ck_assert_int_eq(nb, -9);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_codes_errors)
{
    cpae_model *m = tu_model_main();
    enum { N = 3 };
    float x[N * TU_D], xb[N * TU_D];
    uint64_t s = 99;
    tu_fill(x, N * TU_D, 1.0, &s);
    int64_t cb = 0;
    CK_OK(cpae_model_code_bytes(m, CPAE_AUTOENCODER, &cb));
    ck_assert_int_eq(cb, 2);
    uint8_t codes[N * 2 + 4];
    memset(codes, TU_SENT_B, sizeof codes);
    CK_EXPECT(cpae_model_codes(NULL, CPAE_AUTOENCODER, x, N, TU_D, codes, N * cb), CPAE_E_NULL);
    CK_EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, NULL, N, TU_D, codes, N * cb), CPAE_E_NULL);
    CK_EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, TU_D, NULL, N * cb), CPAE_E_NULL);
    CK_EXPECT(cpae_model_codes(m, 7, x, N, TU_D, codes, N * cb), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, 0, TU_D, codes, N * cb), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, -1, TU_D, codes, N * cb), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, TU_H, codes, N * cb), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_codes(m, CPAE_DECODER, x, N, TU_D, codes, N * cb), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, TU_D, codes, N * cb - 1),
              CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, TU_D, codes, 0), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, TU_D, codes, -1),
              CPAE_E_BUFFER_TOO_SMALL);
    for (int k = 0; k < 3; k++) {
        tu_poisoned(xb, x, N * TU_D, N * TU_D - 1, TU_BAD_VALUES[k]);
        CK_EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, xb, N, TU_D, codes, N * cb),
                  CPAE_E_NONFINITE);
    }
    TU_ASSERT_B_SENT(codes, sizeof codes);
    CK_OK(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, TU_D, codes, (int64_t)sizeof codes));
    TU_ASSERT_B_SENT(codes + N * cb, sizeof codes - (size_t)(N * cb));
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_count_regions_errors)
{
    cpae_model *m = tu_model_main();
    enum { N = 4 };
    float x[N * TU_D], xb[N * TU_D];
    uint64_t s = 3;
    tu_fill(x, N * TU_D, 1.0, &s);
    int64_t nr = -9;
    CK_EXPECT(cpae_model_count_regions(NULL, CPAE_ENCODER, x, N, TU_D, &nr), CPAE_E_NULL);
    CK_EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, NULL, N, TU_D, &nr), CPAE_E_NULL);
    CK_EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, x, N, TU_D, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_model_count_regions(m, 7, x, N, TU_D, &nr), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, x, 0, TU_D, &nr), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, x, -4, TU_D, &nr), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, x, N, TU_D + 1, &nr), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_count_regions(m, CPAE_DECODER, x, N, TU_D, &nr), CPAE_E_SIZE);
    for (int k = 0; k < 3; k++) {
        tu_poisoned(xb, x, N * TU_D, N * TU_D - 1, TU_BAD_VALUES[k]);
        CK_EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, xb, N, TU_D, &nr), CPAE_E_NONFINITE);
    }
    ck_assert_int_eq(nr, -9);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_code_queries_errors)
{
    cpae_model *m = tu_model_main();
    cpae_code *ce = NULL, *ca = NULL, *ce2 = NULL;
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &ce));
    CK_OK(cpae_code_create(m, CPAE_AUTOENCODER, &ca));
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &ce2));
    int64_t i64 = -9;
    int32_t i32 = -9;
    uint64_t u64 = 12345;

    CK_EXPECT(cpae_code_info(NULL, &i64, &i32), CPAE_E_NULL);
    CK_OK(cpae_code_info(ce, NULL, NULL));

    CK_EXPECT(cpae_code_bit(NULL, 0, &i32), CPAE_E_NULL);
    CK_EXPECT(cpae_code_bit(ce, 0, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_code_bit(ce, -1, &i32), CPAE_E_INVALID);
    CK_EXPECT(cpae_code_bit(ce, 5, &i32), CPAE_E_INVALID); /* 5 bits: 0..4 */
    CK_EXPECT(cpae_code_bit(ce, 8, &i32), CPAE_E_INVALID);
    CK_EXPECT(cpae_code_bit(ca, 10, &i32), CPAE_E_INVALID);
    CK_EXPECT(cpae_code_bit(ca, INT64_MAX, &i32), CPAE_E_INVALID);
    CK_EXPECT(cpae_code_bit(ca, INT64_MIN, &i32), CPAE_E_INVALID);
    CK_OK(cpae_code_bit(ce, 4, &i32));
    i32 = -9;

    CK_EXPECT(cpae_code_equal(NULL, ce, &i32), CPAE_E_NULL);
    CK_EXPECT(cpae_code_equal(ce, NULL, &i32), CPAE_E_NULL);
    CK_EXPECT(cpae_code_equal(ce, ce2, NULL), CPAE_E_NULL);
    ck_assert_int_eq(i32, -9);
    /* Different lengths are not an error: just unequal. */
    CK_OK(cpae_code_equal(ce, ca, &i32));
    ck_assert_int_eq(i32, 0);

    CK_EXPECT(cpae_code_hash(NULL, &u64), CPAE_E_NULL);
    CK_EXPECT(cpae_code_hash(ce, NULL), CPAE_E_NULL);
    ck_assert_uint_eq(u64, 12345);

    CK_EXPECT(cpae_code_hamming(NULL, ce, &i64), CPAE_E_NULL);
    CK_EXPECT(cpae_code_hamming(ce, NULL, &i64), CPAE_E_NULL);
    CK_EXPECT(cpae_code_hamming(ce, ce2, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_code_hamming(ce, ca, &i64), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_code_hamming(ca, ce, &i64), CPAE_E_MISMATCH);
    ck_assert_int_eq(i64, -9);

    CK_EXPECT(cpae_code_popcount(NULL, &i64), CPAE_E_NULL);
    CK_EXPECT(cpae_code_popcount(ce, NULL), CPAE_E_NULL);
    ck_assert_int_eq(i64, -9);

    cpae_code_destroy(ce);
    cpae_code_destroy(ca);
    cpae_code_destroy(ce2);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_code_bytes_errors)
{
    cpae_model *m = tu_model_main();
    cpae_code *ce = NULL, *ca = NULL;
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &ce));   /* 5 bits, 1 byte */
    CK_OK(cpae_code_create(m, CPAE_AUTOENCODER, &ca)); /* 10 bits, 2 bytes */
    CK_OK(cpae_model_code(m, CPAE_AUTOENCODER, TU_X0, TU_D, ca));
    const uint8_t pe[] = {0x0B}, pa[] = {0x5A, 0x02};
    CK_OK(cpae_code_from_bytes(ce, pe, 1));
    CK_OK(cpae_code_from_bytes(ca, pa, 2));

    uint8_t buf[8];
    int64_t written = -9;
    memset(buf, TU_SENT_B, sizeof buf);
    CK_EXPECT(cpae_code_to_bytes(NULL, buf, 8, &written), CPAE_E_NULL);
    CK_EXPECT(cpae_code_to_bytes(ca, NULL, 8, &written), CPAE_E_NULL);
    CK_EXPECT(cpae_code_to_bytes(ca, buf, 1, &written), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_code_to_bytes(ca, buf, 0, &written), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_code_to_bytes(ca, buf, -1, &written), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_code_to_bytes(ce, buf, 0, &written), CPAE_E_BUFFER_TOO_SMALL);
    TU_ASSERT_B_SENT(buf, sizeof buf);
    ck_assert_int_eq(written, -9);

    /* from_bytes: wrong length, unused high bits set. */
    const uint8_t three[] = {0x01, 0x00, 0x00};
    CK_EXPECT(cpae_code_from_bytes(NULL, pa, 2), CPAE_E_NULL);
    CK_EXPECT(cpae_code_from_bytes(ca, NULL, 2), CPAE_E_NULL);
    CK_EXPECT(cpae_code_from_bytes(ca, three, 1), CPAE_E_SIZE);
    CK_EXPECT(cpae_code_from_bytes(ca, three, 3), CPAE_E_SIZE);
    CK_EXPECT(cpae_code_from_bytes(ca, three, 0), CPAE_E_SIZE);
    CK_EXPECT(cpae_code_from_bytes(ca, three, -2), CPAE_E_SIZE);
    CK_EXPECT(cpae_code_from_bytes(ce, three, 2), CPAE_E_SIZE);
    {
        const uint8_t hi_a[] = {0x00, 0x04}; /* bit 10 of a 10-bit code */
        const uint8_t hi_a2[] = {0xFF, 0xFF};
        const uint8_t hi_e[] = {0x20};       /* bit 5 of a 5-bit code */
        const uint8_t hi_e2[] = {0x80};
        CK_EXPECT(cpae_code_from_bytes(ca, hi_a, 2), CPAE_E_FORMAT);
        CK_EXPECT(cpae_code_from_bytes(ca, hi_a2, 2), CPAE_E_FORMAT);
        CK_EXPECT(cpae_code_from_bytes(ce, hi_e, 1), CPAE_E_FORMAT);
        CK_EXPECT(cpae_code_from_bytes(ce, hi_e2, 1), CPAE_E_FORMAT);
    }
    int64_t n = 0;
    code_bytes_of(ce, buf, 8, &n);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(buf[0], pe[0]);
    code_bytes_of(ca, buf, 8, &n);
    ck_assert_int_eq(n, 2);
    ck_assert_msg(buf[0] == pa[0] && buf[1] == pa[1], "code changed by a failing from_bytes");
    cpae_code_destroy(ce);
    cpae_code_destroy(ca);
    cpae_model_destroy(m);
}
END_TEST

/* ============================================================ affine */

START_TEST(test_affine_create_errors)
{
    cpae_model *m = tu_model_main();
    cpae_affine *a = NULL;
    CK_EXPECT(cpae_affine_create(NULL, CPAE_ENCODER, &a), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_create(m, CPAE_ENCODER, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_create(m, 7, &a), CPAE_E_INVALID);
    CK_EXPECT(cpae_affine_create(m, -1, &a), CPAE_E_INVALID);
    ck_assert_ptr_null(a);
    cpae_model_destroy(m);
    cpae_affine_destroy(NULL);
    /* d x d > CPAE_MAX_PARAMS although the model itself is small:
     * d = 70000, h = 1 (identity layers only, about 2e5 parameters). */
    const int64_t w[] = {70000, 1};
    cpae_model *big = NULL;
    CK_OK(cpae_model_create_mirrored(w, 2, CPAE_ACT_RELU, 1, &big));
    CK_EXPECT(cpae_affine_create(big, CPAE_AUTOENCODER, &a), CPAE_E_LIMIT);
    ck_assert_ptr_null(a);
    CK_OK(cpae_affine_create(big, CPAE_ENCODER, &a));
    cpae_affine_destroy(a);
    cpae_model_destroy(big);
}
END_TEST

typedef struct map_snap {
    int64_t n;
    double v[64];
} map_snap;

static void snap(const cpae_affine *a, map_snap *s)
{
    int64_t no = 0, ni = 0;
    CK_OK(cpae_affine_dims(a, &ni, &no));
    s->n = no * ni + no;
    ck_assert_int_le(s->n, 64);
    CK_OK(cpae_affine_get_slope_f64(a, s->v, no * ni));
    CK_OK(cpae_affine_get_offset_f64(a, s->v + no * ni, no));
}

static void assert_same_map(const cpae_affine *a, const map_snap *before, const char *what)
{
    map_snap now;
    snap(a, &now);
    ck_assert_int_eq(now.n, before->n);
    ck_assert_msg(memcmp(now.v, before->v, (size_t)now.n * sizeof(double)) == 0,
                  "map '%s' changed by a failing call", what);
}

START_TEST(test_model_affine_errors)
{
    cpae_model *m = tu_model_main(), *o = tu_model_other();
    cpae_affine *ae = NULL, *ad = NULL, *aa = NULL, *ao = NULL;
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &ae));
    CK_OK(cpae_affine_create(m, CPAE_DECODER, &ad));
    CK_OK(cpae_affine_create(m, CPAE_AUTOENCODER, &aa));
    CK_OK(cpae_affine_create(o, CPAE_ENCODER, &ao));
    CK_OK(cpae_model_affine(m, CPAE_ENCODER, TU_X1, TU_D, ae));
    map_snap before;
    snap(ae, &before);

    CK_EXPECT(cpae_model_affine(NULL, CPAE_ENCODER, TU_X0, TU_D, ae), CPAE_E_NULL);
    CK_EXPECT(cpae_model_affine(m, CPAE_ENCODER, NULL, TU_D, ae), CPAE_E_NULL);
    CK_EXPECT(cpae_model_affine(m, CPAE_ENCODER, TU_X0, TU_D, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_model_affine(m, 7, TU_X0, TU_D, ae), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_affine(m, -1, TU_X0, TU_D, ae), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_affine(m, CPAE_ENCODER, TU_X0, TU_H, ae), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_affine(m, CPAE_ENCODER, TU_X0, 0, ae), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_affine(m, CPAE_DECODER, TU_X0, TU_D, ad), CPAE_E_SIZE);
    /* Maps created for another stack or another model shape. */
    CK_EXPECT(cpae_model_affine(m, CPAE_ENCODER, TU_X0, TU_D, ad), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_affine(m, CPAE_ENCODER, TU_X0, TU_D, aa), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_affine(m, CPAE_AUTOENCODER, TU_X0, TU_D, ae), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_affine(m, CPAE_DECODER, TU_Z0, TU_H, ae), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_affine(m, CPAE_ENCODER, TU_X0, TU_D, ao), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_affine(o, CPAE_ENCODER, TU_X0, TU_D, ae), CPAE_E_MISMATCH);
    float xb[TU_D];
    for (int k = 0; k < 3; k++)
        for (int at = 0; at < TU_D; at += TU_D - 1) {
            tu_poisoned(xb, TU_X0, TU_D, at, TU_BAD_VALUES[k]);
            CK_EXPECT(cpae_model_affine(m, CPAE_ENCODER, xb, TU_D, ae), CPAE_E_NONFINITE);
        }
    assert_same_map(ae, &before, "ae");

    cpae_affine_destroy(ae);
    cpae_affine_destroy(ad);
    cpae_affine_destroy(aa);
    cpae_affine_destroy(ao);
    cpae_model_destroy(m);
    cpae_model_destroy(o);
}
END_TEST

START_TEST(test_region_maps_errors)
{
    cpae_model *m = tu_model_main(), *o = tu_model_other();
    cpae_affine *e = NULL, *d = NULL, *a = NULL, *oe = NULL, *od = NULL, *oa = NULL;
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &e));
    CK_OK(cpae_affine_create(m, CPAE_DECODER, &d));
    CK_OK(cpae_affine_create(m, CPAE_AUTOENCODER, &a));
    CK_OK(cpae_affine_create(o, CPAE_ENCODER, &oe));
    CK_OK(cpae_affine_create(o, CPAE_DECODER, &od));
    CK_OK(cpae_affine_create(o, CPAE_AUTOENCODER, &oa));
    CK_OK(cpae_model_region_maps(m, TU_X1, TU_D, e, d, a));
    map_snap se, sd, sa;
    snap(e, &se);
    snap(d, &sd);
    snap(a, &sa);

    CK_EXPECT(cpae_model_region_maps(NULL, TU_X0, TU_D, e, d, a), CPAE_E_NULL);
    CK_EXPECT(cpae_model_region_maps(m, NULL, TU_D, e, d, a), CPAE_E_NULL);
    CK_EXPECT(cpae_model_region_maps(m, TU_X0, TU_H, e, d, a), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_region_maps(m, TU_X0, 0, e, d, a), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_region_maps(m, TU_X0, -1, e, d, a), CPAE_E_SIZE);
    /* One wrong map in any slot: nothing is written. */
    CK_EXPECT(cpae_model_region_maps(m, TU_X0, TU_D, d, d, a), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_region_maps(m, TU_X0, TU_D, e, e, a), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_region_maps(m, TU_X0, TU_D, e, d, e), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_region_maps(m, TU_X0, TU_D, a, d, a), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_region_maps(m, TU_X0, TU_D, e, d, oa), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_region_maps(m, TU_X0, TU_D, oe, d, a), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_region_maps(m, TU_X0, TU_D, e, od, a), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_model_region_maps(o, TU_X0, TU_D, e, NULL, NULL), CPAE_E_MISMATCH);
    float xb[TU_D];
    for (int k = 0; k < 3; k++) {
        tu_poisoned(xb, TU_X0, TU_D, TU_D - 1, TU_BAD_VALUES[k]);
        CK_EXPECT(cpae_model_region_maps(m, xb, TU_D, e, d, a), CPAE_E_NONFINITE);
        CK_EXPECT(cpae_model_region_maps(m, xb, TU_D, NULL, NULL, a), CPAE_E_NONFINITE);
    }
    assert_same_map(e, &se, "enc");
    assert_same_map(d, &sd, "dec");
    assert_same_map(a, &sa, "ae");
    /* All maps optional. */
    CK_OK(cpae_model_region_maps(m, TU_X0, TU_D, NULL, NULL, NULL));

    cpae_affine_destroy(e);
    cpae_affine_destroy(d);
    cpae_affine_destroy(a);
    cpae_affine_destroy(oe);
    cpae_affine_destroy(od);
    cpae_affine_destroy(oa);
    cpae_model_destroy(m);
    cpae_model_destroy(o);
}
END_TEST

START_TEST(test_affine_getters_errors)
{
    cpae_model *m = tu_model_main();
    cpae_affine *a = NULL; /* encoder map: 2 x 4 */
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &a));
    CK_OK(cpae_model_affine(m, CPAE_ENCODER, TU_X0, TU_D, a));
    int64_t no = -9, ni = -9;
    CK_EXPECT(cpae_affine_dims(NULL, &ni, &no), CPAE_E_NULL);
    ck_assert_int_eq(no, -9);
    ck_assert_int_eq(ni, -9);
    CK_OK(cpae_affine_dims(a, NULL, NULL));
    /* Input width first, as in cpae_layer_dims (the encoder map is 2 x 4). */
    CK_OK(cpae_affine_dims(a, &ni, &no));
    ck_assert_int_eq(ni, 4);
    ck_assert_int_eq(no, 2);
    int64_t li = 0, lo = 0;
    cpae_layer *first = NULL;
    CK_OK(cpae_model_get_layer(m, CPAE_ENCODER, 0, &first));
    CK_OK(cpae_layer_dims(first, &li, &lo));
    ck_assert_int_eq(li, ni);
    cpae_layer_destroy(first);

    float f[16];
    double g[16];
    tu_fill_f(f, 16, TU_SENT_F);
    tu_fill_d(g, 16, TU_SENT_D);
    CK_EXPECT(cpae_affine_get_slope(NULL, f, 8), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_get_slope(a, NULL, 8), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_get_slope(a, f, 7), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_affine_get_slope(a, f, 0), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_affine_get_slope(a, f, -1), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_affine_get_offset(NULL, f, 2), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_get_offset(a, NULL, 2), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_get_offset(a, f, 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_affine_get_offset(a, f, -1), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_affine_get_slope_f64(NULL, g, 8), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_get_slope_f64(a, NULL, 8), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_get_slope_f64(a, g, 7), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_affine_get_slope_f64(a, g, -8), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_affine_get_offset_f64(NULL, g, 2), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_get_offset_f64(a, NULL, 2), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_get_offset_f64(a, g, 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_affine_get_offset_f64(a, g, 0), CPAE_E_BUFFER_TOO_SMALL);
    TU_ASSERT_F_SENT(f, 16);
    TU_ASSERT_D_SENT(g, 16);
    cpae_affine_destroy(a);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_affine_apply_errors)
{
    cpae_model *m = tu_model_main();
    cpae_affine *a = NULL; /* decoder map: 4 x 2 */
    CK_OK(cpae_affine_create(m, CPAE_DECODER, &a));
    CK_OK(cpae_model_affine(m, CPAE_DECODER, TU_Z0, TU_H, a));
    enum { N = 3 };
    float p[N * TU_H], pb[N * TU_H], y[N * TU_D + 2];
    uint64_t s = 17;
    tu_fill(p, N * TU_H, 1.0, &s);
    tu_fill_f(y, N * TU_D + 2, TU_SENT_F);
    CK_EXPECT(cpae_affine_apply(NULL, p, N, TU_H, y, N * TU_D), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_apply(a, NULL, N, TU_H, y, N * TU_D), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_apply(a, p, N, TU_H, NULL, N * TU_D), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_apply(a, p, 0, TU_H, y, N * TU_D), CPAE_E_SIZE);
    CK_EXPECT(cpae_affine_apply(a, p, -1, TU_H, y, N * TU_D), CPAE_E_SIZE);
    CK_EXPECT(cpae_affine_apply(a, p, N, TU_D, y, N * TU_D), CPAE_E_SIZE);
    CK_EXPECT(cpae_affine_apply(a, p, N, 0, y, N * TU_D), CPAE_E_SIZE);
    CK_EXPECT(cpae_affine_apply(a, p, N, -TU_H, y, N * TU_D), CPAE_E_SIZE);
    CK_EXPECT(cpae_affine_apply(a, p, N, TU_H, y, N * TU_D - 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_affine_apply(a, p, N, TU_H, y, 0), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_affine_apply(a, p, N, TU_H, y, -1), CPAE_E_BUFFER_TOO_SMALL);
    TU_ASSERT_F_SENT(y, N * TU_D + 2);
    for (int k = 0; k < 3; k++) {
        tu_poisoned(pb, p, N * TU_H, N * TU_H - 1, TU_BAD_VALUES[k]);
        CK_EXPECT(cpae_affine_apply(a, pb, N, TU_H, y, N * TU_D), CPAE_E_NONFINITE);
        tu_poisoned(pb, p, N * TU_H, 0, TU_BAD_VALUES[k]);
        CK_EXPECT(cpae_affine_apply(a, pb, N, TU_H, y, N * TU_D), CPAE_E_NONFINITE);
    }
    TU_ASSERT_F_SENT(y, N * TU_D + 2);
    CK_OK(cpae_affine_apply(a, p, N, TU_H, y, N * TU_D + 2));
    TU_ASSERT_F_SENT(y + N * TU_D, 2);
    cpae_affine_destroy(a);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_affine_apply_huge_n)
{
    /* A 1 x 4 map (encoder of a 4 -> 1 model): n * n_out fits, n * dim
     * does not. */
    const int64_t w[] = {4, 1};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(w, 2, CPAE_ACT_RELU, 1, &m));
    cpae_affine *a = NULL;
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &a));
    const char *why = tu_huge_refused(1, a, "cpae_affine_apply");
    cpae_affine_destroy(a);
    cpae_model_destroy(m);
    TU_ASSERT_REFUSED(why);
}
END_TEST

START_TEST(test_affine_compose_errors)
{
    cpae_model *m = tu_model_main();
    cpae_affine *e = NULL, *d = NULL, *a = NULL, *e2 = NULL;
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &e));     /* 2 x 4 */
    CK_OK(cpae_affine_create(m, CPAE_DECODER, &d));     /* 4 x 2 */
    CK_OK(cpae_affine_create(m, CPAE_AUTOENCODER, &a)); /* 4 x 4 */
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &e2));
    CK_OK(cpae_model_region_maps(m, TU_X1, TU_D, e, d, a));
    CK_OK(cpae_model_affine(m, CPAE_ENCODER, TU_X0, TU_D, e2));
    map_snap sa, se2;
    snap(a, &sa);
    snap(e2, &se2);

    CK_EXPECT(cpae_affine_compose(NULL, e, a), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_compose(d, NULL, a), CPAE_E_NULL);
    CK_EXPECT(cpae_affine_compose(d, e, NULL), CPAE_E_NULL);
    /* outer.n_in != inner.n_out. */
    CK_EXPECT(cpae_affine_compose(e, e, a), CPAE_E_SIZE);
    CK_EXPECT(cpae_affine_compose(d, d, a), CPAE_E_SIZE);
    CK_EXPECT(cpae_affine_compose(a, e, a), CPAE_E_SIZE);
    /* Chains, but out has the wrong shape: d o e is 4 x 4, e o d is 2 x 2. */
    CK_EXPECT(cpae_affine_compose(d, e, e2), CPAE_E_SIZE);
    CK_EXPECT(cpae_affine_compose(e, d, a), CPAE_E_SIZE);
    CK_EXPECT(cpae_affine_compose(e, a, a), CPAE_E_SIZE);
    assert_same_map(a, &sa, "out (ae)");
    assert_same_map(e2, &se2, "out (enc)");
    cpae_affine_destroy(e);
    cpae_affine_destroy(d);
    cpae_affine_destroy(a);
    cpae_affine_destroy(e2);
    cpae_model_destroy(m);
}
END_TEST

/* ========================================================== geometry */

START_TEST(test_boundary_distance_errors)
{
    cpae_model *m = tu_model_main();
    double r = TU_SENT_D;
    int64_t unit = -9;
    float normal[TU_D + 2];
    tu_fill_f(normal, TU_D + 2, TU_SENT_F);
    CK_EXPECT(cpae_model_boundary_distance(NULL, CPAE_ENCODER, TU_X0, TU_D, &r, &unit, normal,
                                           TU_D),
              CPAE_E_NULL);
    CK_EXPECT(cpae_model_boundary_distance(m, CPAE_ENCODER, NULL, TU_D, &r, &unit, normal, TU_D),
              CPAE_E_NULL);
    CK_EXPECT(cpae_model_boundary_distance(m, CPAE_ENCODER, TU_X0, TU_D, NULL, &unit, normal, TU_D),
              CPAE_E_NULL);
    CK_EXPECT(cpae_model_boundary_distance(m, 7, TU_X0, TU_D, &r, &unit, normal, TU_D),
              CPAE_E_INVALID);
    CK_EXPECT(cpae_model_boundary_distance(m, -1, TU_X0, TU_D, &r, &unit, normal, TU_D),
              CPAE_E_INVALID);
    CK_EXPECT(cpae_model_boundary_distance(m, CPAE_ENCODER, TU_X0, TU_H, &r, &unit, normal, TU_D),
              CPAE_E_SIZE);
    CK_EXPECT(cpae_model_boundary_distance(m, CPAE_ENCODER, TU_X0, 0, &r, &unit, normal, TU_D),
              CPAE_E_SIZE);
    CK_EXPECT(cpae_model_boundary_distance(m, CPAE_DECODER, TU_X0, TU_D, &r, &unit, normal, TU_D),
              CPAE_E_SIZE);
    CK_EXPECT(cpae_model_boundary_distance(m, CPAE_ENCODER, TU_X0, TU_D, &r, &unit, normal,
                                           TU_D - 1),
              CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_model_boundary_distance(m, CPAE_AUTOENCODER, TU_X0, TU_D, &r, &unit, normal, 0),
              CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_model_boundary_distance(m, CPAE_AUTOENCODER, TU_X0, TU_D, &r, &unit, normal, -1),
              CPAE_E_BUFFER_TOO_SMALL);
    float xb[TU_D];
    for (int k = 0; k < 3; k++)
        for (int at = 0; at < TU_D; at += TU_D - 1) {
            tu_poisoned(xb, TU_X0, TU_D, at, TU_BAD_VALUES[k]);
            CK_EXPECT(cpae_model_boundary_distance(m, CPAE_AUTOENCODER, xb, TU_D, &r, &unit, normal,
                                                   TU_D),
                      CPAE_E_NONFINITE);
        }
    ck_assert(r == TU_SENT_D);
    ck_assert_int_eq(unit, -9);
    TU_ASSERT_F_SENT(normal, TU_D + 2);
    /* unit and normal are optional (normal_cap is then ignored). */
    CK_OK(cpae_model_boundary_distance(m, CPAE_ENCODER, TU_X0, TU_D, &r, NULL, NULL, 0));
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_boundary_distances_errors)
{
    cpae_model *m = tu_model_main();
    enum { N = 3 };
    float x[N * TU_D], xb[N * TU_D];
    uint64_t s = 23;
    tu_fill(x, N * TU_D, 1.0, &s);
    double r[N + 2];
    tu_fill_d(r, N + 2, TU_SENT_D);
    CK_EXPECT(cpae_model_boundary_distances(NULL, CPAE_ENCODER, x, N, TU_D, r, N), CPAE_E_NULL);
    CK_EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, NULL, N, TU_D, r, N), CPAE_E_NULL);
    CK_EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, TU_D, NULL, N), CPAE_E_NULL);
    CK_EXPECT(cpae_model_boundary_distances(m, 7, x, N, TU_D, r, N), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, 0, TU_D, r, N), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, -1, TU_D, r, N), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, TU_D - 1, r, N), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_boundary_distances(m, CPAE_DECODER, x, N, TU_D, r, N), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, TU_D, r, N - 1),
              CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, TU_D, r, 0),
              CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, TU_D, r, -1),
              CPAE_E_BUFFER_TOO_SMALL);
    for (int k = 0; k < 3; k++) {
        tu_poisoned(xb, x, N * TU_D, N * TU_D - 1, TU_BAD_VALUES[k]);
        CK_EXPECT(cpae_model_boundary_distances(m, CPAE_AUTOENCODER, xb, N, TU_D, r, N),
                  CPAE_E_NONFINITE);
    }
    TU_ASSERT_D_SENT(r, N + 2);
    CK_OK(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, TU_D, r, N + 2));
    TU_ASSERT_D_SENT(r + N, 2);
    cpae_model_destroy(m);
}
END_TEST

static const float SEG_P[TU_D] = {-2.0f, 1.5f, 0.5f, -1.0f};
static const float SEG_Q[TU_D] = {2.0f, -1.0f, -0.5f, 1.5f};

START_TEST(test_segment_errors)
{
    cpae_model *m = tu_model_main();
    cpae_path *path = NULL;
    CK_EXPECT(cpae_model_segment(NULL, CPAE_ENCODER, SEG_P, SEG_Q, TU_D, 100, &path), CPAE_E_NULL);
    CK_EXPECT(cpae_model_segment(m, CPAE_ENCODER, NULL, SEG_Q, TU_D, 100, &path), CPAE_E_NULL);
    CK_EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, NULL, TU_D, 100, &path), CPAE_E_NULL);
    CK_EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, TU_D, 100, NULL), CPAE_E_NULL);
    ck_assert_ptr_null(path);
    CK_EXPECT(cpae_model_segment(m, 7, SEG_P, SEG_Q, TU_D, 100, &path), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_segment(m, -1, SEG_P, SEG_Q, TU_D, 100, &path), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, TU_D, 0, &path), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, TU_D, -1, &path), CPAE_E_INVALID);
    ck_assert_ptr_null(path);
    CK_EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, TU_H, 100, &path), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, 0, 100, &path), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, -TU_D, 100, &path), CPAE_E_SIZE);
    CK_EXPECT(cpae_model_segment(m, CPAE_DECODER, SEG_P, SEG_Q, TU_D, 100, &path), CPAE_E_SIZE);
    ck_assert_ptr_null(path);
    float qb[TU_D];
    for (int k = 0; k < 3; k++)
        for (int at = 0; at < TU_D; at += TU_D - 1) {
            tu_poisoned(qb, SEG_Q, TU_D, at, TU_BAD_VALUES[k]);
            CK_EXPECT(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, qb, TU_D, 100, &path),
                      CPAE_E_NONFINITE);
            ck_assert_ptr_null(path);
        }
    /* max_regions too small for the walk. */
    CK_OK(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, SEG_Q, TU_D, 100000, &path));
    int64_t nr = 0;
    CK_OK(cpae_path_n_regions(path, &nr));
    cpae_path_destroy(path);
    path = NULL;
    ck_assert_msg(nr >= 3, "test segment crosses only %lld regions", (long long)nr);
    CK_EXPECT(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, SEG_Q, TU_D, nr - 1, &path),
              CPAE_E_LIMIT);
    ck_assert_ptr_null(path);
    CK_EXPECT(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, SEG_Q, TU_D, 1, &path), CPAE_E_LIMIT);
    ck_assert_ptr_null(path);
    CK_OK(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, SEG_Q, TU_D, nr, &path));
    cpae_path_destroy(path);
    cpae_path_destroy(NULL);
    cpae_model_destroy(m);
}
END_TEST

/* cpae.h CONVENTIONS: "Inputs containing NaN or +-Inf are refused with
 * CPAE_E_NONFINITE" -- the start point p as well as q. */
START_TEST(test_segment_nonfinite_p)
{
    cpae_model *m = tu_model_main();
    float pb[TU_D];
    char why[256] = "";
    for (int k = 0; k < 3 && !why[0]; k++)
        for (int at = 0; at < TU_D && !why[0]; at += TU_D - 1) {
            cpae_path *path = NULL;
            tu_poisoned(pb, SEG_P, TU_D, at, TU_BAD_VALUES[k]);
            int32_t st = cpae_model_segment(m, CPAE_ENCODER, pb, SEG_Q, TU_D, 100, &path);
            if (st != CPAE_E_NONFINITE)
                snprintf(why, sizeof why, "segment with p[%d] = %f -> %d (%s), expected "
                         "CPAE_E_NONFINITE", at, (double)TU_BAD_VALUES[k], (int)st,
                         cpae_status_string(st));
            else if (path != NULL)
                snprintf(why, sizeof why, "a path was created from a non-finite p");
            else if (cpae_last_error()[0] == '\0')
                snprintf(why, sizeof why, "no detail message");
            cpae_path_destroy(path);
        }
    cpae_model_destroy(m);
    ck_assert_msg(why[0] == '\0', "%s", why);
}
END_TEST

START_TEST(test_path_errors)
{
    cpae_model *m = tu_model_main(), *o = tu_model_other();
    cpae_path *path = NULL;
    CK_OK(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, SEG_Q, TU_D, 100000, &path));
    int64_t nr = -9;
    CK_EXPECT(cpae_path_n_regions(NULL, &nr), CPAE_E_NULL);
    CK_EXPECT(cpae_path_n_regions(path, NULL), CPAE_E_NULL);
    ck_assert_int_eq(nr, -9);
    CK_OK(cpae_path_n_regions(path, &nr));
    ck_assert_int_ge(nr, 2);
    ck_assert_int_le(nr, 60);

    double t[64];
    tu_fill_d(t, 64, TU_SENT_D);
    CK_EXPECT(cpae_path_params(NULL, t, nr), CPAE_E_NULL);
    CK_EXPECT(cpae_path_params(path, NULL, nr), CPAE_E_NULL);
    CK_EXPECT(cpae_path_params(path, t, nr - 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_path_params(path, t, 0), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_path_params(path, t, -1), CPAE_E_BUFFER_TOO_SMALL);
    TU_ASSERT_D_SENT(t, 64);

    cpae_code *ca = NULL, *ce = NULL, *co = NULL;
    CK_OK(cpae_code_create(m, CPAE_AUTOENCODER, &ca));
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &ce));
    CK_OK(cpae_code_create(o, CPAE_AUTOENCODER, &co));
    const uint8_t pat[] = {0xC3, 0x01};
    CK_OK(cpae_code_from_bytes(ca, pat, 2));
    CK_EXPECT(cpae_path_code(NULL, 0, ca), CPAE_E_NULL);
    CK_EXPECT(cpae_path_code(path, 0, NULL), CPAE_E_NULL);
    CK_EXPECT(cpae_path_code(path, -1, ca), CPAE_E_INVALID);
    CK_EXPECT(cpae_path_code(path, nr, ca), CPAE_E_INVALID);
    CK_EXPECT(cpae_path_code(path, INT64_MAX, ca), CPAE_E_INVALID);
    CK_EXPECT(cpae_path_code(path, 0, ce), CPAE_E_MISMATCH);
    CK_EXPECT(cpae_path_code(path, nr - 1, co), CPAE_E_MISMATCH);
    uint8_t buf[4];
    int64_t n = 0;
    code_bytes_of(ca, buf, 4, &n);
    ck_assert_msg(n == 2 && buf[0] == pat[0] && buf[1] == pat[1],
                  "code changed by a failing cpae_path_code");

    uint8_t codes[128];
    memset(codes, TU_SENT_B, sizeof codes);
    CK_EXPECT(cpae_path_codes(NULL, codes, 2 * nr), CPAE_E_NULL);
    CK_EXPECT(cpae_path_codes(path, NULL, 2 * nr), CPAE_E_NULL);
    CK_EXPECT(cpae_path_codes(path, codes, 2 * nr - 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_path_codes(path, codes, 0), CPAE_E_BUFFER_TOO_SMALL);
    CK_EXPECT(cpae_path_codes(path, codes, -1), CPAE_E_BUFFER_TOO_SMALL);
    TU_ASSERT_B_SENT(codes, sizeof codes);

    cpae_code_destroy(ca);
    cpae_code_destroy(ce);
    cpae_code_destroy(co);
    cpae_path_destroy(path);
    cpae_model_destroy(m);
    cpae_model_destroy(o);
}
END_TEST

START_TEST(test_ball_errors)
{
    cpae_model *m = tu_model_main();
    int64_t nr = -9;
    CK_EXPECT(cpae_model_count_regions_in_ball(NULL, CPAE_ENCODER, TU_X0, TU_D, 0.5, 16, 1, &nr),
              CPAE_E_NULL);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, NULL, TU_D, 0.5, 16, 1, &nr),
              CPAE_E_NULL);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, 0.5, 16, 1, NULL),
              CPAE_E_NULL);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, 7, TU_X0, TU_D, 0.5, 16, 1, &nr), CPAE_E_INVALID);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, -1, TU_X0, TU_D, 0.5, 16, 1, &nr),
              CPAE_E_INVALID);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_H, 0.5, 16, 1, &nr),
              CPAE_E_SIZE);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, 0, 0.5, 16, 1, &nr),
              CPAE_E_SIZE);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_DECODER, TU_X0, TU_D, 0.5, 16, 1, &nr),
              CPAE_E_SIZE);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, 0.5, 0, 1, &nr),
              CPAE_E_SIZE);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, 0.5, -5, 1, &nr),
              CPAE_E_SIZE);
    /* More samples than the 1 GiB of codes the count may hold: the documented
     * CPAE_E_LIMIT, before any allocation (it used to say CPAE_E_SIZE). */
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, 0.5, INT64_C(1) << 40,
                                               1,
                                               &nr),
              CPAE_E_LIMIT);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, 0.5, INT64_MAX, 1,
                                               &nr),
              CPAE_E_LIMIT);
    float cb[TU_D];
    for (int k = 0; k < 3; k++)
        for (int at = 0; at < TU_D; at += TU_D - 1) {
            tu_poisoned(cb, TU_X0, TU_D, at, TU_BAD_VALUES[k]);
            CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_AUTOENCODER, cb, TU_D, 0.5, 16, 1,
                                                       &nr),
                      CPAE_E_NONFINITE);
        }
    /* rho not finite or negative: CPAE_E_INVALID (documented). */
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, NAN, 16, 1, &nr),
              CPAE_E_INVALID);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, INFINITY, 16, 1, &nr),
              CPAE_E_INVALID);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, -INFINITY, 16, 1, &nr),
              CPAE_E_INVALID);
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, -0.5, 16, 1, &nr),
              CPAE_E_INVALID);
    ck_assert_int_eq(nr, -9);
    /* rho = 0 is allowed (one region). */
    CK_OK(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, 0.0, 16, 1, &nr));
    ck_assert_int_eq(nr, 1);
    cpae_model_destroy(m);
}
END_TEST

/* A huge n_samples is refused with one of the documented codes. */
START_TEST(test_ball_huge_n_samples)
{
    cpae_model *m = tu_model_main();
    int64_t nr = -9;
    /* Any n_samples whose codes exceed 1 GiB: CPAE_E_LIMIT, as documented
     * (INT64_MAX used to give CPAE_E_SIZE). */
    CK_EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, 0.5, INT64_MAX, 1,
                                               &nr),
              CPAE_E_LIMIT);
    ck_assert_int_eq(nr, -9);
    /* Inside the batch bound, too many code bytes to hold: CPAE_E_LIMIT. */
    int32_t st = cpae_model_count_regions_in_ball(m, CPAE_ENCODER, TU_X0, TU_D, 0.5,
                                                  INT64_C(1) << 37, 1, &nr);
    cpae_model_destroy(m);
    ck_assert_msg(st == CPAE_E_LIMIT, "n_samples = 2^37 -> %d (%s: %s)", (int)st,
                  cpae_status_string(st), cpae_last_error());
    ck_assert_int_eq(nr, -9);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("geometry");
    TCase *tc = tcase_create("geometry");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_boundary_distance, 0, 9);
    tcase_add_loop_test(tc, test_segment_vs_sampling, 0, 9);
    tcase_add_test(tc, test_segment_single_region);
    tcase_add_loop_test(tc, test_regions_in_ball, 0, 6);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    /* Region codes. */
    tcase_add_test(tc, test_code_create_errors);
    tcase_add_test(tc, test_model_code_errors);
    tcase_add_test(tc, test_model_code_bytes_errors);
    tcase_add_test(tc, test_model_codes_errors);
    tcase_add_test(tc, test_model_count_regions_errors);
    tcase_add_test(tc, test_code_queries_errors);
    tcase_add_test(tc, test_code_bytes_errors);
    /* Per-region affine maps. */
    tcase_add_test(tc, test_affine_create_errors);
    tcase_add_test(tc, test_model_affine_errors);
    tcase_add_test(tc, test_region_maps_errors);
    tcase_add_test(tc, test_affine_getters_errors);
    tcase_add_test(tc, test_affine_apply_errors);
    tcase_add_test(tc, test_affine_apply_huge_n);
    tcase_add_test(tc, test_affine_compose_errors);
    /* Geometry. */
    tcase_add_test(tc, test_boundary_distance_errors);
    tcase_add_test(tc, test_boundary_distances_errors);
    tcase_add_test(tc, test_segment_errors);
    tcase_add_test(tc, test_segment_nonfinite_p);
    tcase_add_test(tc, test_path_errors);
    tcase_add_test(tc, test_ball_errors);
    tcase_add_test(tc, test_ball_huge_n_samples);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
