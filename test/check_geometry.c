/* check_geometry.c -- boundary distances, exact segment walks, regions in a
 * ball (docs/math.md section 2). */
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
    return s;
}

int main(void) { return tu_run(suite()); }
