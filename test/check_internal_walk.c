/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_internal_walk.c -- the exact segment walk on degenerate
 * configurations: zero biases, many hyperplanes through one point, segments
 * through that point, nearly coincident crossings (docs/math.md section 2).
 * Codes are read in double precision through the chain's forward pass, so
 * regions far thinner than a float can resolve are checked too. */
#include "net/net.h"
#include "testutil.h"

/* Code of the chain at a double point. */
static void code_at(const cpae_model *m, int32_t stack, const double *x, uint8_t *code,
                    int64_t cb)
{
    cpae_chain c;
    double y[64];
    CK_OK(cpae__chain(m, stack, &c, "test"));
    CK_OK(cpae__chain_forward(&c, x, 1, y, code, cb, "test"));
}

typedef struct walked {
    int64_t n, cb;
    double *t;
    uint8_t *codes;
} walked;

static walked walk(const cpae_model *m, int32_t stack, const float *p, const float *q,
                   int64_t dim)
{
    walked w = {0};
    cpae_path *path = NULL;
    CK_OK(cpae_model_code_bytes(m, stack, &w.cb));
    CK_OK(cpae_model_segment(m, stack, p, q, dim, 1 << 20, &path));
    CK_OK(cpae_path_n_regions(path, &w.n));
    w.t = malloc(sizeof(double) * (size_t)w.n);
    w.codes = malloc((size_t)(w.n * w.cb) + 1);
    CK_OK(cpae_path_params(path, w.t, w.n));
    CK_OK(cpae_path_codes(path, w.codes, w.n * w.cb));
    cpae_path_destroy(path);
    return w;
}

static void walked_free(walked *w)
{
    free(w->t);
    free(w->codes);
}

static void point_at(const float *p, const float *q, int64_t dim, double t, double *x)
{
    for (int64_t j = 0; j < dim; j++)
        x[j] = (double)p[j] + t * ((double)q[j] - (double)p[j]);
}

/* The walk's promises: t_0 = 0 < t_1 < ... < 1; consecutive codes differ;
 * every region's midpoint has its code; dense samples away from crossings
 * have the code of their region; the last code is the code of q.
 * Returns the number of regions. */
static int64_t check_walk(const cpae_model *m, int32_t stack, const float *p, const float *q,
                          int64_t dim)
{
    walked w = walk(m, stack, p, q, dim);
    uint8_t c[64];
    double x[64];
    ck_assert(w.t[0] == 0.0);
    for (int64_t k = 1; k < w.n; k++) {
        ck_assert_msg(w.t[k] > w.t[k - 1] && w.t[k] < 1.0, "t[%lld] = %.17g", (long long)k,
                      w.t[k]);
        ck_assert(memcmp(w.codes + k * w.cb, w.codes + (k - 1) * w.cb, (size_t)w.cb) != 0);
    }
    for (int64_t k = 0; k < w.n; k++) {
        double hi = k + 1 < w.n ? w.t[k + 1] : 1.0;
        point_at(p, q, dim, 0.5 * (w.t[k] + hi), x);
        code_at(m, stack, x, c, w.cb);
        ck_assert_msg(memcmp(c, w.codes + k * w.cb, (size_t)w.cb) == 0,
                      "midpoint of region %lld of %lld [%.17g, %.17g) has another code",
                      (long long)k, (long long)w.n, w.t[k], hi);
    }
    const int N = 4000;
    for (int i = 0; i <= N; i++) {
        double ti = (double)i / N;
        int64_t k = 0;
        while (k + 1 < w.n && w.t[k + 1] <= ti)
            k++;
        double gap = fabs(ti - w.t[k]);
        if (k + 1 < w.n && w.t[k + 1] - ti < gap)
            gap = w.t[k + 1] - ti;
        if (k > 0 && gap < 1e-12)
            continue;
        point_at(p, q, dim, ti, x);
        code_at(m, stack, x, c, w.cb);
        ck_assert_msg(memcmp(c, w.codes + k * w.cb, (size_t)w.cb) == 0,
                      "sample t = %.17g is not in region %lld", ti, (long long)k);
    }
    point_at(p, q, dim, 1.0, x);
    code_at(m, stack, x, c, w.cb);
    ck_assert_msg(memcmp(c, w.codes + (w.n - 1) * w.cb, (size_t)w.cb) == 0,
                  "the last code is not the code of q");
    int64_t n = w.n;
    walked_free(&w);
    return n;
}

static const int32_t acts[] = {CPAE_ACT_RELU, CPAE_ACT_LEAKY_RELU, CPAE_ACT_ABS};
static const int32_t stacks[] = {CPAE_ENCODER, CPAE_DECODER, CPAE_AUTOENCODER};

/* A fresh mirrored model (zero biases) with `depth` hidden layers per
 * stack, 5 -> ... -> 3. */
static cpae_model *zero_bias_model(int depth, int32_t act, uint64_t seed)
{
    static const int64_t w[4][6] = {{5, 9, 3}, {5, 9, 7, 3}, {5, 9, 8, 7, 3},
                                    {5, 9, 8, 7, 6, 3}};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(w[depth - 1], depth + 2, act, seed, &m));
    return m;
}

/* Zero-bias models, depths 1-4, every activation and stack: random
 * segments, segments through the origin (where every hyperplane of the
 * first layer meets, and in a zero-bias net every region's apex), and
 * segments passing 1e-13 beside it. */
START_TEST(test_zero_bias)
{
    int32_t act = acts[_i % 3], stack = stacks[(_i / 3) % 3];
    int depth = 1 + _i / 9;
    cpae_model *m = zero_bias_model(depth, act, 40 + (uint64_t)_i);
    int64_t dim = stack == CPAE_DECODER ? 3 : 5;
    uint64_t s = 900 + (uint64_t)_i;
    int64_t total = 0;
    for (int trial = 0; trial < 12; trial++) {
        float p[5], q[5];
        tu_fill(p, dim, 2.0, &s);
        if (trial % 3 == 0)
            tu_fill(q, dim, 2.0, &s);
        else
            for (int64_t j = 0; j < dim; j++)
                q[j] = -p[j]; /* through the origin at t = 1/2 */
        if (trial % 3 == 2)
            for (int64_t j = 0; j < dim; j++) {
                p[j] += 1e-13f;
                q[j] += 1e-13f;
            }
        total += check_walk(m, stack, p, q, dim);
    }
    ck_assert_int_ge(total, 24);
    cpae_model_destroy(m);
}
END_TEST

/* The first case: four zero-bias ReLU units on a 2-D input, all
 * lines through the origin, and the segment (-1, 1e-13) -> (1, 1e-13)
 * crosses them within 1e-13 of each other: five regions, the last one q's. */
START_TEST(test_four_lines_near_origin)
{
    const int64_t ew[] = {2, 4, 1}, dw[] = {1, 2};
    const int32_t ea[] = {CPAE_ACT_RELU, CPAE_ACT_IDENTITY}, da[] = {CPAE_ACT_IDENTITY};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create(ew, ea, NULL, 2, dw, da, NULL, 1, 3, &m));
    const float w[] = {0.3f, 0.7f, -0.9f, 0.2f, 0.5f, -0.6f, -0.1f, -1.0f};
    CK_OK(cpae_model_set_layer_params(m, CPAE_ENCODER, 0, w, 8, NULL, 0));
    const float p[] = {-1.0f, 1e-13f}, q[] = {1.0f, 1e-13f};
    ck_assert_int_eq(check_walk(m, CPAE_ENCODER, p, q, 2), 5);
    ck_assert_int_eq(check_walk(m, CPAE_AUTOENCODER, p, q, 2), 5);
    /* Exactly through the origin: the four crossings are one. */
    const float p0[] = {-1.0f, 0.0f}, q0[] = {1.0f, 0.0f};
    ck_assert_int_eq(check_walk(m, CPAE_ENCODER, p0, q0, 2), 2);
    cpae_model_destroy(m);
}
END_TEST

/* The second case: z = x walked from 1e-8 to -1e5 crosses at
 * t = 1e-13; and thin regions (widths 2.5e-10 and 2.5e-7 in t) are kept. */
START_TEST(test_thin_regions)
{
    const int64_t ew[] = {1, 1}, dw[] = {1, 1};
    const int32_t ea[] = {CPAE_ACT_RELU}, da[] = {CPAE_ACT_IDENTITY};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create(ew, ea, NULL, 1, dw, da, NULL, 1, 3, &m));
    const float one = 1.0f, p[] = {1e-8f}, q[] = {-1e5f};
    CK_OK(cpae_model_set_layer_params(m, CPAE_ENCODER, 0, &one, 1, NULL, 0));
    ck_assert_int_eq(check_walk(m, CPAE_ENCODER, p, q, 1), 2);
    walked w = walk(m, CPAE_ENCODER, p, q, 1);
    ck_assert(fabs(w.t[1] - 1e-8 / (1e5 + 1e-8)) < 1e-20);
    walked_free(&w);
    cpae_model_destroy(m);

    /* Thresholds x = 1e-9, 1.5e-9, 0.5, 0.5000005 on [-1, 1]. */
    const int64_t ew4[] = {1, 4, 1}, dw4[] = {1, 1};
    const int32_t ea4[] = {CPAE_ACT_RELU, CPAE_ACT_IDENTITY};
    CK_OK(cpae_model_create(ew4, ea4, NULL, 2, dw4, da, NULL, 1, 3, &m));
    const float w4[] = {1, 1, 1, 1}, b4[] = {-1e-9f, -1.5e-9f, -0.5f, -0.5000005f};
    CK_OK(cpae_model_set_layer_params(m, CPAE_ENCODER, 0, w4, 4, b4, 4));
    const float a[] = {-1.0f}, b[] = {1.0f};
    ck_assert_int_eq(check_walk(m, CPAE_ENCODER, a, b, 1), 5);
    w = walk(m, CPAE_ENCODER, a, b, 1);
    for (int k = 0; k < 4; k++)
        ck_assert(fabs(w.t[k + 1] - 0.5 * (1.0 - (double)b4[k])) < 1e-16);
    walked_free(&w);
    cpae_model_destroy(m);
}
END_TEST

/* Many first-layer hyperplanes through one point v (dyadic weights, so
 * the biases b = -W v are exact), deeper layers random with biases: a
 * segment through v at t = 1/2, and one passing beside it. */
START_TEST(test_common_vertex)
{
    int32_t act = acts[_i % 3];
    const int64_t widths[] = {4, 12, 10, 3};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(widths, 4, act, 70 + (uint64_t)_i, &m));
    uint64_t s = 300 + (uint64_t)_i;
    const float v[] = {0.25f, -0.5f, 0.75f, 1.0f};
    float w[48], b[12];
    for (int i = 0; i < 12; i++) {
        double z = 0.0;
        for (int j = 0; j < 4; j++) {
            w[i * 4 + j] = (float)((int)(4.0 * tu_uniform(&s)) + (j == i % 4));
            z += (double)w[i * 4 + j] * v[j];
        }
        b[i] = (float)-z;
    }
    CK_OK(cpae_model_set_layer_params(m, CPAE_ENCODER, 0, w, 48, b, 12));
    float bb[10];
    tu_fill(bb, 10, 0.3, &s);
    CK_OK(cpae_model_set_layer_params(m, CPAE_ENCODER, 1, NULL, 0, bb, 10));
    for (int trial = 0; trial < 20; trial++) {
        float p[4], q[4], dir[4];
        /* A dyadic direction not parallel to any first-layer hyperplane (a
         * segment inside one has z == 0 all along: the tie, which rounding
         * decides at points off the grid). */
        for (bool parallel = true; parallel;) {
            for (int j = 0; j < 4; j++)
                dir[j] = (float)((int)(8.0 * tu_uniform(&s))) * 0.125f;
            parallel = false;
            for (int i = 0; i < 12; i++) {
                double wd = 0.0;
                for (int j = 0; j < 4; j++)
                    wd += (double)w[i * 4 + j] * dir[j];
                parallel |= wd == 0.0;
            }
        }
        for (int j = 0; j < 4; j++) {
            p[j] = v[j] - dir[j];
            q[j] = v[j] + dir[j];
            if (trial % 2 == 1)
                q[j] += 1e-6f;
        }
        check_walk(m, CPAE_ENCODER, p, q, 4);
        check_walk(m, CPAE_AUTOENCODER, p, q, 4);
    }
    cpae_model_destroy(m);
}
END_TEST

/* Huge and tiny scales: the same zero-bias model walked at 1e-30 and 1e30
 * crosses the same regions as at 1 (a zero-bias net is positively
 * homogeneous, so its regions are cones). */
START_TEST(test_scales)
{
    cpae_model *m = zero_bias_model(3, CPAE_ACT_RELU, 5);
    uint64_t s = 17;
    for (int trial = 0; trial < 10; trial++) {
        float p[5], q[5], ps[5], qs[5];
        tu_fill(p, 5, 1.0, &s);
        tu_fill(q, 5, 1.0, &s);
        int64_t n1 = check_walk(m, CPAE_AUTOENCODER, p, q, 5);
        const float scales[] = {1e-30f, 1e30f};
        for (int k = 0; k < 2; k++) {
            for (int j = 0; j < 5; j++) {
                ps[j] = p[j] * scales[k];
                qs[j] = q[j] * scales[k];
            }
            ck_assert_int_eq(check_walk(m, CPAE_AUTOENCODER, ps, qs, 5), n1);
        }
    }
    cpae_model_destroy(m);
}
END_TEST

/* Leaky ReLU with slope 1: the unit's state is 1 on both sides, but its
 * code bit is still the sign of z (the review's counter-example). */
START_TEST(test_leaky_slope_one)
{
    const int64_t ew[] = {2, 3, 1}, dw[] = {1, 2};
    const int32_t ea[] = {CPAE_ACT_LEAKY_RELU, CPAE_ACT_IDENTITY}, da[] = {CPAE_ACT_IDENTITY};
    const double alphas[] = {1.0, 0.0};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create(ew, ea, alphas, 2, dw, da, NULL, 1, 3, &m));
    const float p[] = {1.0f, 1.0f}, q[] = {-1.0f, -0.75f};
    ck_assert_int_ge(check_walk(m, CPAE_ENCODER, p, q, 2), 2);
    cpae_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("walk");
    TCase *tc = tcase_create("walk");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_zero_bias, 0, 36);
    tcase_add_test(tc, test_four_lines_near_origin);
    tcase_add_test(tc, test_thin_regions);
    tcase_add_loop_test(tc, test_common_vertex, 0, 3);
    tcase_add_test(tc, test_scales);
    tcase_add_test(tc, test_leaky_slope_one);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
