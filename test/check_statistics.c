/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_statistics.c -- region statistics and the generalization report
 * (docs/math.md sections 2 and 5): the report against the core API and a
 * direct computation, orbit region counts on a known partition, ball
 * profiles, JSON, and every error path. */
#include "testutil.h"

/* 6 -> 10 -> h mirrored ReLU with random biases. */
static cpae_model *model_h(int64_t h, uint64_t seed)
{
    const int64_t widths[] = {6, 10, h};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, seed, &m));
    uint64_t s = seed + 11;
    for (int32_t st = 0; st < 2; st++)
        for (int64_t l = 0; l < 2; l++) {
            int64_t n_out;
            CK_OK(cpae_model_layer_info(m, st, l, NULL, &n_out, NULL, NULL));
            float b[16];
            tu_fill(b, n_out, 0.5, &s);
            CK_OK(cpae_model_set_layer_params(m, st, l, NULL, 0, b, n_out));
        }
    return m;
}

static double report_value(const cpae_report *r, int32_t key)
{
    double v;
    CK_OK(cpae_report_get(r, key, &v));
    return v;
}

/* The report's distances and region counts are the core API's. */
START_TEST(test_report_matches_core)
{
    enum { N = 50, D = 6, H = 3 };
    cpae_model *m = model_h(H, 4);
    float x[N * D], z[N * H];
    uint64_t s = 5;
    tu_fill(x, N * D, 2.0, &s);
    cpae_report *r = NULL;
    CK_OK(cpae_report_create(m, NULL, x, N, D, &r));
    CK_OK(cpae_model_encode(m, x, N, D, z, N * H));
    double mine[N], core[N];
    CK_OK(cpae_report_distances(r, CPAE_DECODER, mine, N));
    CK_OK(cpae_model_boundary_distances(m, CPAE_DECODER, z, N, H, core, N));
    ck_assert_mem_eq(mine, core, sizeof core);
    double lo = INFINITY, hi = 0.0, sum = 0.0;
    for (int i = 0; i < N; i++) {
        lo = fmin(lo, core[i]);
        hi = fmax(hi, core[i]);
        sum += core[i];
    }
    ck_assert(report_value(r, CPAE_REPORT_DISTANCE_MIN) == lo);
    ck_assert(report_value(r, CPAE_REPORT_DISTANCE_MAX) == hi);
    ck_assert(fabs(report_value(r, CPAE_REPORT_DISTANCE_SUM) - sum) <= 1e-12 * sum);
    double med = report_value(r, CPAE_REPORT_DISTANCE_MEDIAN);
    int below = 0;
    for (int i = 0; i < N; i++)
        below += core[i] < med;
    ck_assert_int_eq(below, N / 2);
    CK_OK(cpae_report_distances(r, CPAE_AUTOENCODER, mine, N));
    CK_OK(cpae_model_boundary_distances(m, CPAE_AUTOENCODER, x, N, D, core, N));
    ck_assert_mem_eq(mine, core, sizeof core);
    int64_t dec, inp;
    CK_OK(cpae_model_count_regions(m, CPAE_DECODER, z, N, H, &dec));
    CK_OK(cpae_model_count_regions(m, CPAE_AUTOENCODER, x, N, D, &inp));
    ck_assert(report_value(r, CPAE_REPORT_DECODER_REGIONS) == (double)dec);
    ck_assert(report_value(r, CPAE_REPORT_INPUT_REGIONS) == (double)inp);
    ck_assert(report_value(r, CPAE_REPORT_N_SAMPLES) == N);
    ck_assert(isnan(report_value(r, CPAE_REPORT_LIE_RESIDUAL)));
    ck_assert(isnan(report_value(r, CPAE_REPORT_ALIGNMENT)));
    cpae_report_destroy(r);
    cpae_model_destroy(m);
}
END_TEST

/* With h = 1 every decoder map is a vector, so the residual and the
 * alignments have closed forms: theta = <D, G a'> / |G a'|^2 with
 * D = a - a', r = |D - theta G a'|^2, cos2 = <a, b>^2 / (|a|^2 |b|^2). */
START_TEST(test_report_lie_closed_form)
{
    enum { N = 60, D = 6 };
    cpae_model *m = model_h(1, 9);
    cpae_lie *lie = NULL;
    CK_OK(cpae_lie_create(D, 1, CPAE_LIE_GENERAL, 3, &lie));
    float g[D * D], x[N * D], z[N];
    CK_OK(cpae_lie_get(lie, g, D * D));
    uint64_t s = 21;
    tu_fill(x, N * D, 2.0, &s);
    CK_OK(cpae_model_encode(m, x, N, D, z, N));
    cpae_affine *map = NULL;
    CK_OK(cpae_affine_create(m, CPAE_DECODER, &map));
    cpae_code *ci = NULL, *cj = NULL;
    CK_OK(cpae_code_create(m, CPAE_DECODER, &ci));
    CK_OK(cpae_code_create(m, CPAE_DECODER, &cj));
    double res = 0.0, change = 0.0, with_g = 0.0, without = 0.0;
    int64_t pairs = 0, aligned = 0;
    for (int i = 0; i < N; i++) {
        int j = -1;
        double best = INFINITY;
        for (int k = 0; k < N; k++) {
            double e2 = 0.0;
            for (int c = 0; c < D; c++) {
                double e = (double)x[i * D + c] - x[k * D + c];
                e2 += e * e;
            }
            if (k != i && e2 < best) {
                best = e2;
                j = k;
            }
        }
        int32_t same;
        CK_OK(cpae_model_code(m, CPAE_DECODER, &z[i], 1, ci));
        CK_OK(cpae_model_code(m, CPAE_DECODER, &z[j], 1, cj));
        CK_OK(cpae_code_equal(ci, cj, &same));
        if (same)
            continue;
        double a[D], ap[D], ga[D], b[D];
        CK_OK(cpae_model_affine(m, CPAE_DECODER, &z[i], 1, map));
        CK_OK(cpae_affine_get_slope_f64(map, a, D));
        CK_OK(cpae_model_affine(m, CPAE_DECODER, &z[j], 1, map));
        CK_OK(cpae_affine_get_slope_f64(map, ap, D));
        double num = 0.0, den = 0.0, dd = 0.0;
        for (int r = 0; r < D; r++) {
            ga[r] = 0.0;
            for (int c = 0; c < D; c++)
                ga[r] += (double)g[r * D + c] * ap[c];
            num += (a[r] - ap[r]) * ga[r];
            den += ga[r] * ga[r];
            dd += (a[r] - ap[r]) * (a[r] - ap[r]);
        }
        double theta = den > 0.0 ? num / den : 0.0, rr = 0.0;
        double aa = 0.0, bb = 0.0, pp = 0.0, ab = 0.0, apa = 0.0;
        for (int r = 0; r < D; r++) {
            b[r] = ap[r] + theta * ga[r];
            rr += (a[r] - b[r]) * (a[r] - b[r]);
            aa += a[r] * a[r];
            bb += b[r] * b[r];
            pp += ap[r] * ap[r];
            ab += a[r] * b[r];
            apa += a[r] * ap[r];
        }
        pairs++;
        res += rr;
        change += dd;
        if (aa > 0.0 && bb > 0.0 && pp > 0.0) {
            with_g += ab * ab / (aa * bb);
            without += apa * apa / (aa * pp);
            aligned++;
        }
    }
    ck_assert_int_ge(pairs, 5);
    cpae_report *rep = NULL;
    CK_OK(cpae_report_create(m, lie, x, N, D, &rep));
    ck_assert(report_value(rep, CPAE_REPORT_N_PAIRS) == (double)pairs);
    double got = report_value(rep, CPAE_REPORT_LIE_RESIDUAL);
    ck_assert_msg(fabs(got - res) <= 1e-5 * res, "residual %.10g vs %.10g", got, res);
    got = report_value(rep, CPAE_REPORT_LIE_RESIDUAL_FRACTION);
    ck_assert(fabs(got - res / change) <= 1e-5 && got <= 1.0 + 1e-12);
    got = report_value(rep, CPAE_REPORT_ALIGNMENT);
    ck_assert_msg(fabs(got - with_g / (double)aligned) <= 1e-6, "alignment %.10g vs %.10g",
                  got, with_g / (double)aligned);
    got = report_value(rep, CPAE_REPORT_ALIGNMENT_WITHOUT_G);
    ck_assert(fabs(got - without / (double)aligned) <= 1e-9);
    /* JSON: a size query, then the text. */
    int64_t len;
    CK_OK(cpae_report_json(rep, NULL, 0, &len));
    char *json = malloc((size_t)len);
    CK_ERR(cpae_report_json(rep, json, len - 1, &len), CPAE_E_BUFFER_TOO_SMALL);
    CK_OK(cpae_report_json(rep, json, len, &len));
    ck_assert_int_eq((int64_t)strlen(json) + 1, len);
    ck_assert_ptr_nonnull(strstr(json, "\"decoder_regions\""));
    ck_assert_ptr_nonnull(strstr(json, "\"residual_sum\""));
    free(json);
    cpae_report_destroy(rep);
    cpae_code_destroy(ci);
    cpae_code_destroy(cj);
    cpae_affine_destroy(map);
    cpae_lie_destroy(lie);
    cpae_model_destroy(m);
}
END_TEST

/* Four zero-bias ReLU lines through the origin of the plane make eight
 * sectors; a full rotation of x0 meets all eight and changes region eight
 * times (back into the first). Sparse sampling gives a lower bound. */
START_TEST(test_orbit_regions)
{
    const int64_t ew[] = {2, 4, 1}, dw[] = {1, 2};
    const int32_t ea[] = {CPAE_ACT_RELU, CPAE_ACT_IDENTITY}, da[] = {CPAE_ACT_IDENTITY};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create(ew, ea, NULL, 2, dw, da, NULL, 1, 3, &m));
    const float w[] = {0.3f, 0.7f, -0.9f, 0.2f, 0.5f, -0.6f, -0.1f, -1.0f};
    CK_OK(cpae_model_set_layer_params(m, CPAE_ENCODER, 0, w, 8, NULL, 0));
    cpae_lie *lie = NULL;
    CK_OK(cpae_lie_create(2, 1, CPAE_LIE_SKEW, 1, &lie));
    const float rot[] = {0, -1, 1, 0};
    CK_OK(cpae_lie_set(lie, rot, 4)); /* normalised: G = rot / sqrt(2) */
    const float x0[] = {1.0f, 0.25f};
    double full = 2.0 * 3.14159265358979 * sqrt(2.0);
    int64_t distinct, changes;
    CK_OK(cpae_model_orbit_regions(m, CPAE_ENCODER, lie, 0, x0, 2, 0.0, full, 64, 20,
                                   &distinct, &changes));
    ck_assert_int_eq(distinct, 8);
    ck_assert_int_eq(changes, 8);
    CK_OK(cpae_model_orbit_regions(m, CPAE_AUTOENCODER, lie, 0, x0, 2, 0.0, full, 3, 0,
                                   &distinct, &changes));
    ck_assert_int_le(distinct, 3);
    ck_assert_int_le(changes, 2);
    /* Errors. */
    CK_ERR(cpae_model_orbit_regions(m, CPAE_ENCODER, NULL, 0, x0, 2, 0, 1, 8, 0, &distinct,
                                    &changes), CPAE_E_NULL);
    CK_ERR(cpae_model_orbit_regions(m, CPAE_ENCODER, lie, 1, x0, 2, 0, 1, 8, 0, &distinct,
                                    &changes), CPAE_E_INVALID);
    CK_ERR(cpae_model_orbit_regions(m, CPAE_ENCODER, lie, 0, x0, 2, 1, 0, 8, 0, &distinct,
                                    &changes), CPAE_E_INVALID);
    CK_ERR(cpae_model_orbit_regions(m, CPAE_ENCODER, lie, 0, x0, 2, 0, 1, 1, 0, &distinct,
                                    &changes), CPAE_E_INVALID);
    CK_ERR(cpae_model_orbit_regions(m, CPAE_ENCODER, lie, 0, x0, 2, 0, 1, 8, 41, &distinct,
                                    &changes), CPAE_E_INVALID);
    CK_ERR(cpae_model_orbit_regions(m, CPAE_DECODER, lie, 0, x0, 1, 0, 1, 8, 0, &distinct,
                                    &changes), CPAE_E_SIZE);
    cpae_lie_destroy(lie);
    cpae_model_destroy(m);
}
END_TEST

/* Ball profiles: regions are the ball counts, points are counted. */
START_TEST(test_ball_profile)
{
    enum { N = 40, D = 6 };
    cpae_model *m = model_h(3, 2);
    float x[N * D];
    uint64_t s = 8;
    tu_fill(x, N * D, 1.0, &s);
    const double radii[] = {0.0, 0.5, 1.0, 2.0, 4.0};
    int64_t regions[5], points[5];
    CK_OK(cpae_model_ball_profile(m, CPAE_AUTOENCODER, x, N, D, x, radii, 5, 500, 7, regions,
                                  points, 5));
    for (int k = 0; k < 5; k++) {
        int64_t want, inside = 0;
        CK_OK(cpae_model_count_regions_in_ball(m, CPAE_AUTOENCODER, x, D, radii[k], 500, 7,
                                               &want));
        ck_assert_int_eq(regions[k], want);
        for (int i = 0; i < N; i++) {
            double e2 = 0.0;
            for (int c = 0; c < D; c++) {
                double e = (double)x[i * D + c] - x[c];
                e2 += e * e;
            }
            inside += e2 <= radii[k] * radii[k];
        }
        ck_assert_int_eq(points[k], inside);
    }
    ck_assert_int_eq(points[0], 1);
    ck_assert_int_eq(regions[0], 1);
    ck_assert_int_eq(points[4], N);
    const double bad[] = {1.0, -1.0};
    CK_ERR(cpae_model_ball_profile(m, CPAE_AUTOENCODER, x, N, D, x, bad, 2, 10, 1, regions,
                                   points, 5), CPAE_E_INVALID);
    CK_ERR(cpae_model_ball_profile(m, CPAE_AUTOENCODER, x, N, D, x, radii, 5, 10, 1, regions,
                                   points, 4), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_model_ball_profile(m, CPAE_AUTOENCODER, x, N, D, x, radii, 0, 10, 1, regions,
                                   points, 5), CPAE_E_SIZE);
    CK_ERR(cpae_model_ball_profile(m, CPAE_AUTOENCODER, x, N, D, NULL, radii, 5, 10, 1,
                                   regions, points, 5), CPAE_E_NULL);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_report_errors)
{
    enum { N = 10, D = 6 };
    cpae_model *m = model_h(3, 2);
    float x[N * D];
    uint64_t s = 3;
    tu_fill(x, N * D, 1.0, &s);
    cpae_report *r = NULL;
    cpae_lie *lie = NULL;
    CK_OK(cpae_lie_create(5, 1, CPAE_LIE_GENERAL, 1, &lie));
    CK_ERR(cpae_report_create(NULL, NULL, x, N, D, &r), CPAE_E_NULL);
    CK_ERR(cpae_report_create(m, NULL, NULL, N, D, &r), CPAE_E_NULL);
    CK_ERR(cpae_report_create(m, NULL, x, N, 5, &r), CPAE_E_SIZE);
    CK_ERR(cpae_report_create(m, NULL, x, 0, D, &r), CPAE_E_SIZE);
    CK_ERR(cpae_report_create(m, lie, x, N, D, &r), CPAE_E_SIZE);
    x[7] = NAN;
    CK_ERR(cpae_report_create(m, NULL, x, N, D, &r), CPAE_E_NONFINITE);
    ck_assert_ptr_null(r);
    x[7] = 0.0f;
    CK_OK(cpae_report_create(m, NULL, x, 1, D, &r)); /* one sample: no pairs */
    ck_assert(report_value(r, CPAE_REPORT_N_PAIRS) == 0.0);
    double v, dist[1];
    CK_ERR(cpae_report_get(r, CPAE_REPORT_N_KEYS, &v), CPAE_E_INVALID);
    CK_ERR(cpae_report_get(r, -1, &v), CPAE_E_INVALID);
    CK_ERR(cpae_report_get(NULL, 0, &v), CPAE_E_NULL);
    CK_ERR(cpae_report_distances(r, CPAE_ENCODER, dist, 1), CPAE_E_INVALID);
    CK_ERR(cpae_report_distances(r, CPAE_DECODER, dist, 0), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_report_json(r, NULL, 0, NULL), CPAE_E_NULL);
    cpae_report_destroy(r);
    cpae_report_destroy(NULL);
    cpae_lie_destroy(lie);
    cpae_model_destroy(m);
}
END_TEST

/* Distinct regions along a segment: the walk's count equals the distinct
 * codes of dense samples once every region is wider than the spacing, and
 * is never below them. */
START_TEST(test_segment_counts)
{
    enum { D = 6, N = 20001 };
    cpae_model *m = model_h(3, 6 + (uint64_t)_i);
    int32_t stack = _i % 2 ? CPAE_AUTOENCODER : CPAE_ENCODER;
    uint64_t s = 40 + (uint64_t)_i;
    float p[D], q[D];
    tu_fill(p, D, 1.0, &s);
    tu_fill(q, D, 1.0, &s);
    cpae_path *path = NULL;
    CK_OK(cpae_model_segment(m, stack, p, q, D, 1 << 20, &path));
    int64_t n;
    CK_OK(cpae_path_n_regions(path, &n));
    double *t = malloc(sizeof(double) * (size_t)n), narrowest = 1.0;
    CK_OK(cpae_path_params(path, t, n));
    for (int64_t k = 0; k < n; k++)
        narrowest = fmin(narrowest, (k + 1 < n ? t[k + 1] : 1.0) - t[k]);
    float *x = malloc(sizeof(float) * (size_t)(N * D));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++)
            x[i * D + j] = (float)(p[j] + (double)i / (N - 1) * ((double)q[j] - p[j]));
    int64_t sampled;
    CK_OK(cpae_model_count_regions(m, stack, x, N, D, &sampled));
    ck_assert_int_le(sampled, n);
    if (narrowest > 3.0 / N)
        ck_assert_int_eq(sampled, n);
    else
        fprintf(stderr, "segment %d: narrowest region %.2g, equality not checked\n", _i,
                narrowest);
    free(x);
    free(t);
    cpae_path_destroy(path);
    cpae_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("statistics");
    TCase *tc = tcase_create("statistics");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_report_matches_core);
    tcase_add_test(tc, test_report_lie_closed_form);
    tcase_add_test(tc, test_orbit_regions);
    tcase_add_test(tc, test_ball_profile);
    tcase_add_loop_test(tc, test_segment_counts, 0, 6);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_report_errors);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
