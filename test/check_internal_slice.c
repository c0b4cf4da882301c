/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_internal_slice.c -- exact 2-D slices and rasters (docs/math.md
 * section 2): areas tile the rectangle, every polygon's code is the code of
 * its centroid, its map reproduces the model inside it, the raster agrees
 * away from boundaries; with and without biases, planes through the origin
 * of zero-bias nets. Codes and values are read in double precision through
 * the chain's forward pass. */
#include "net/net.h"
#include "testutil.h"

static void forward_at(const cpae_model *m, int32_t stack, const double *x, double *y,
                       uint8_t *code, int64_t cb)
{
    cpae_chain c;
    CK_OK(cpae__chain(m, stack, &c, "test"));
    CK_OK(cpae__chain_forward(&c, x, 1, y, code, cb, "test"));
}

static const int32_t acts[] = {CPAE_ACT_RELU, CPAE_ACT_LEAKY_RELU, CPAE_ACT_ABS};
static const int32_t stacks[] = {CPAE_ENCODER, CPAE_DECODER, CPAE_AUTOENCODER};

/* 6 -> 10 -> 8 -> 3 mirrored; biases random when `biased`. */
static cpae_model *model_for(int32_t act, bool biased, uint64_t seed)
{
    const int64_t widths[] = {6, 10, 8, 3};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(widths, 4, act, seed, &m));
    uint64_t s = seed * 7 + 1;
    for (int32_t st = 0; st < 2 && biased; st++)
        for (int64_t l = 0; l < 3; l++) {
            int64_t n_out;
            CK_OK(cpae_model_layer_info(m, st, l, NULL, &n_out, NULL, NULL));
            float b[16];
            tu_fill(b, n_out, 0.3, &s);
            CK_OK(cpae_model_set_layer_params(m, st, l, NULL, 0, b, n_out));
        }
    return m;
}

typedef struct plane {
    float o[8], e1[8], e2[8];
    int64_t dim;
    double u0, u1, v0, v1;
} plane;

static void plane_point(const plane *pl, double u, double v, double *x)
{
    for (int64_t j = 0; j < pl->dim; j++)
        x[j] = (double)pl->o[j] + u * (double)pl->e1[j] + v * (double)pl->e2[j];
}

/* Distance from (u, v) to the boundary of convex polygon uv (k vertices,
 * counter-clockwise): positive inside, negative outside. */
static double inside_depth(const double *uv, int64_t k, double u, double v)
{
    double depth = INFINITY;
    for (int64_t j = 0; j < k; j++) {
        const double *p = uv + 2 * j, *q = uv + 2 * ((j + 1) % k);
        double ex = q[0] - p[0], ey = q[1] - p[1], len = hypot(ex, ey);
        if (len == 0.0)
            continue;
        double d = (ex * (v - p[1]) - ey * (u - p[0])) / len; /* left of edge > 0 */
        if (d < depth)
            depth = d;
    }
    return depth;
}

/* Every promise of a slice against the model, and the raster against it. */
static int64_t check_slice(const cpae_model *m, int32_t stack, const plane *pl, int64_t px)
{
    cpae_slice *sl = NULL;
    CK_OK(cpae_model_slice(m, stack, pl->o, pl->e1, pl->e2, pl->dim, pl->u0, pl->u1, pl->v0,
                           pl->v1, 1 << 20, &sl));
    int64_t n, cb, out;
    CK_OK(cpae_slice_n_polygons(sl, &n));
    CK_OK(cpae_model_code_bytes(m, stack, &cb));
    {
        cpae_chain c;
        CK_OK(cpae__chain(m, stack, &c, "test"));
        out = cpae__chain_out(&c);
    }
    ck_assert_int_ge(n, 1);
    uint8_t *codes = malloc((size_t)(n * cb) + 1);
    CK_OK(cpae_slice_codes(sl, codes, n * cb));
    double total = 0.0, *uv = malloc(sizeof(double) * 2 * 4096);
    double **polys = malloc(sizeof(double *) * (size_t)n);
    int64_t *nvs = malloc(sizeof(int64_t) * (size_t)n);
    uint64_t s = 99;
    for (int64_t k = 0; k < n; k++) {
        int64_t nv;
        double area, a[32], b[16], x[8], y[16], c[16];
        CK_OK(cpae_slice_polygon_size(sl, k, &nv));
        ck_assert_int_ge(nv, 3);
        ck_assert_int_le(nv, 2048);
        polys[k] = malloc(sizeof(double) * (size_t)(2 * nv));
        nvs[k] = nv;
        CK_OK(cpae_slice_polygon(sl, k, polys[k], 2 * nv));
        CK_OK(cpae_slice_area(sl, k, &area));
        ck_assert(area > 0.0);
        total += area;
        /* The code of the centroid. */
        double cu = 0.0, cv = 0.0;
        for (int64_t j = 0; j < nv; j++) {
            cu += polys[k][2 * j] / (double)nv;
            cv += polys[k][2 * j + 1] / (double)nv;
        }
        uint8_t code[16];
        plane_point(pl, cu, cv, x);
        forward_at(m, stack, x, y, code, cb);
        ck_assert_msg(memcmp(code, codes + k * cb, (size_t)cb) == 0,
                      "centroid of polygon %lld (area %g) has another code", (long long)k,
                      area);
        /* The map at random convex combinations of the vertices. */
        CK_OK(cpae_slice_map(sl, k, a, 32, b, 16));
        for (int trial = 0; trial < 3; trial++) {
            double wsum = 0.0, u = 0.0, v = 0.0, wj;
            for (int64_t j = 0; j < nv; j++) {
                wj = tu_uniform(&s) + 1.0;
                wsum += wj;
                u += wj * polys[k][2 * j];
                v += wj * polys[k][2 * j + 1];
            }
            u /= wsum;
            v /= wsum;
            plane_point(pl, u, v, x);
            forward_at(m, stack, x, y, code, cb);
            double scale = 1.0;
            for (int64_t i = 0; i < out; i++) {
                c[i] = a[2 * i] * u + a[2 * i + 1] * v + b[i];
                scale = fmax(scale, fabs(y[i]));
            }
            for (int64_t i = 0; i < out; i++)
                ck_assert_msg(fabs(c[i] - y[i]) <= 1e-10 * scale, "map of polygon %lld: "
                              "%.17g vs %.17g", (long long)k, c[i], y[i]);
        }
    }
    double rect = (pl->u1 - pl->u0) * (pl->v1 - pl->v0);
    ck_assert_msg(fabs(total - rect) <= 1e-9 * rect, "areas sum to %.17g, not %.17g", total,
                  rect);
    /* Codes are distinct: a region meets the plane in one convex polygon. */
    for (int64_t k = 0; k < n; k++)
        for (int64_t j = k + 1; j < n && cb; j++)
            ck_assert(memcmp(codes + k * cb, codes + j * cb, (size_t)cb) != 0);
    /* The raster agrees on every pixel centre farther than a pixel from
     * every polygon boundary. */
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)(px * px));
    int64_t n_labels;
    uint8_t probe[1];
    ck_assert_int_eq(cpae_model_raster(m, stack, pl->o, pl->e1, pl->e2, pl->dim, pl->u0,
                                       pl->u1, pl->v0, pl->v1, px, px, labels, px * px,
                                       cb ? probe : NULL, 0, &n_labels),
                     cb ? CPAE_E_BUFFER_TOO_SMALL : CPAE_OK);
    uint8_t *lcodes = malloc((size_t)(n_labels * cb) + 1);
    CK_OK(cpae_model_raster(m, stack, pl->o, pl->e1, pl->e2, pl->dim, pl->u0, pl->u1, pl->v0,
                            pl->v1, px, px, labels, px * px, lcodes, n_labels * cb,
                            &n_labels));
    ck_assert_int_le(n_labels, n);
    double du = (pl->u1 - pl->u0) / (double)px, dv = (pl->v1 - pl->v0) / (double)px;
    double pix = hypot(du, dv);
    int64_t compared = 0;
    for (int64_t r = 0; r < px; r++)
        for (int64_t col = 0; col < px; col++) {
            double u = pl->u0 + ((double)col + 0.5) * du, v = pl->v0 + ((double)r + 0.5) * dv;
            for (int64_t k = 0; k < n; k++) {
                double d = inside_depth(polys[k], nvs[k], u, v);
                if (d < 0.0)
                    continue;
                if (d > pix) {
                    int32_t lab = labels[r * px + col];
                    ck_assert(lab >= 0 && lab < n_labels);
                    ck_assert_msg(memcmp(lcodes + lab * cb, codes + k * cb, (size_t)cb) == 0,
                                  "pixel (%lld, %lld) disagrees with polygon %lld",
                                  (long long)col, (long long)r, (long long)k);
                    compared++;
                }
                break;
            }
        }
    ck_assert_int_gt(compared, px * px / 8); /* fine partitions leave fewer */
    for (int64_t k = 0; k < n; k++)
        free(polys[k]);
    free(polys);
    free(nvs);
    free(labels);
    free(lcodes);
    free(codes);
    free(uv);
    cpae_slice_destroy(sl);
    return n;
}

/* Random models with and without biases, every activation and stack;
 * planes at random, and through the origin for zero-bias nets (where every
 * first-layer line passes through one point). */
START_TEST(test_random_slices)
{
    int32_t act = acts[_i % 3], stack = stacks[(_i / 3) % 3];
    bool biased = _i >= 9;
    cpae_model *m = model_for(act, biased, 10 + (uint64_t)_i);
    uint64_t s = 600 + (uint64_t)_i;
    plane pl = {.dim = stack == CPAE_DECODER ? 3 : 6};
    int64_t total = 0;
    for (int trial = 0; trial < 3; trial++) {
        tu_fill(pl.o, pl.dim, trial == 0 ? 0.0 : 1.0, &s);
        tu_fill(pl.e1, pl.dim, 1.0, &s);
        tu_fill(pl.e2, pl.dim, 1.0, &s);
        pl.u0 = -1.5 + 0.25 * trial;
        pl.u1 = 2.0;
        pl.v0 = -1.0;
        pl.v1 = 1.0 + 0.5 * trial;
        total += check_slice(m, stack, &pl, 96);
    }
    ck_assert_int_ge(total, 20);
    cpae_model_destroy(m);
}
END_TEST

/* Known partitions: four zero-bias lines through the origin cut a square
 * into 8 sectors; the lines x = 0 and y = 0 into 4 unit squares. */
START_TEST(test_known_partitions)
{
    const int64_t ew[] = {2, 4, 1}, dw[] = {1, 2};
    const int32_t ea[] = {CPAE_ACT_RELU, CPAE_ACT_IDENTITY}, da[] = {CPAE_ACT_IDENTITY};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create(ew, ea, NULL, 2, dw, da, NULL, 1, 3, &m));
    const float w[] = {0.3f, 0.7f, -0.9f, 0.2f, 0.5f, -0.6f, -0.1f, -1.0f};
    CK_OK(cpae_model_set_layer_params(m, CPAE_ENCODER, 0, w, 8, NULL, 0));
    plane pl = {.o = {0, 0}, .e1 = {1, 0}, .e2 = {0, 1}, .dim = 2, -1, 1, -1, 1};
    ck_assert_int_eq(check_slice(m, CPAE_ENCODER, &pl, 64), 8);
    ck_assert_int_eq(check_slice(m, CPAE_AUTOENCODER, &pl, 64), 8);
    const float axes[] = {1, 0, 0, 1, 1, 0, 0, 1};
    CK_OK(cpae_model_set_layer_params(m, CPAE_ENCODER, 0, axes, 8, NULL, 0));
    cpae_slice *sl = NULL;
    CK_OK(cpae_model_slice(m, CPAE_ENCODER, pl.o, pl.e1, pl.e2, 2, -1, 1, -1, 1, 100, &sl));
    int64_t n;
    CK_OK(cpae_slice_n_polygons(sl, &n));
    ck_assert_int_eq(n, 4);
    for (int64_t k = 0; k < n; k++) {
        double area;
        CK_OK(cpae_slice_area(sl, k, &area));
        ck_assert(area == 1.0);
    }
    cpae_slice_destroy(sl);
    cpae_model_destroy(m);
}
END_TEST

/* Errors: nothing is returned and the detail names the problem. */
START_TEST(test_slice_errors)
{
    cpae_model *m = model_for(CPAE_ACT_RELU, true, 3);
    const float o[6] = {0}, e1[6] = {1}, e2[6] = {0, 1};
    float bad[6] = {0, NAN};
    cpae_slice *sl = NULL;
    CK_ERR(cpae_model_slice(NULL, CPAE_ENCODER, o, e1, e2, 6, -1, 1, -1, 1, 10, &sl),
           CPAE_E_NULL);
    CK_ERR(cpae_model_slice(m, CPAE_ENCODER, o, NULL, e2, 6, -1, 1, -1, 1, 10, &sl),
           CPAE_E_NULL);
    CK_ERR(cpae_model_slice(m, CPAE_ENCODER, o, e1, e2, 6, -1, 1, -1, 1, 10, NULL),
           CPAE_E_NULL);
    CK_ERR(cpae_model_slice(m, CPAE_ENCODER, o, e1, e2, 5, -1, 1, -1, 1, 10, &sl), CPAE_E_SIZE);
    CK_ERR(cpae_model_slice(m, 7, o, e1, e2, 6, -1, 1, -1, 1, 10, &sl), CPAE_E_INVALID);
    CK_ERR(cpae_model_slice(m, CPAE_ENCODER, o, e1, bad, 6, -1, 1, -1, 1, 10, &sl),
           CPAE_E_NONFINITE);
    CK_ERR(cpae_model_slice(m, CPAE_ENCODER, o, e1, e2, 6, 1, 1, -1, 1, 10, &sl),
           CPAE_E_INVALID);
    CK_ERR(cpae_model_slice(m, CPAE_ENCODER, o, e1, e2, 6, -1, 1, -1, INFINITY, 10, &sl),
           CPAE_E_NONFINITE);
    CK_ERR(cpae_model_slice(m, CPAE_ENCODER, o, e1, e2, 6, -1, 1, -1, 1, 0, &sl),
           CPAE_E_INVALID);
    CK_ERR(cpae_model_slice(m, CPAE_ENCODER, o, e1, e2, 6, -5, 5, -5, 5, 2, &sl),
           CPAE_E_LIMIT);
    ck_assert_ptr_null(sl);
    CK_OK(cpae_model_slice(m, CPAE_ENCODER, o, e1, e2, 6, -5, 5, -5, 5, 10000, &sl));
    int64_t n, nv;
    CK_OK(cpae_slice_n_polygons(sl, &n));
    CK_ERR(cpae_slice_polygon_size(sl, n, &nv), CPAE_E_INVALID);
    CK_ERR(cpae_slice_polygon_size(sl, -1, &nv), CPAE_E_INVALID);
    CK_OK(cpae_slice_polygon_size(sl, 0, &nv));
    double uv[64], a[64];
    CK_ERR(cpae_slice_polygon(sl, 0, uv, 2 * nv - 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_slice_map(sl, 0, a, 5, NULL, 0), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_slice_map(sl, 0, NULL, 0, a, 2), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_slice_n_polygons(NULL, &n), CPAE_E_NULL);
    uint8_t codes[4];
    CK_ERR(cpae_slice_codes(sl, codes, 4), CPAE_E_BUFFER_TOO_SMALL);
    cpae_code *dc = NULL;
    CK_OK(cpae_code_create(m, CPAE_DECODER, &dc));
    CK_ERR(cpae_slice_code(sl, 0, dc), CPAE_E_MISMATCH);
    cpae_code_destroy(dc);
    cpae_slice_destroy(sl);
    cpae_slice_destroy(NULL);
    int32_t labels[16];
    int64_t nl = -1;
    CK_ERR(cpae_model_raster(m, CPAE_ENCODER, o, e1, e2, 6, -1, 1, -1, 1, 4, 4, labels, 15,
                             NULL, 0, &nl), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_model_raster(m, CPAE_ENCODER, o, e1, e2, 6, -1, 1, -1, 1, 0, 4, labels, 16,
                             NULL, 0, &nl), CPAE_E_SIZE);
    CK_ERR(cpae_model_raster(m, CPAE_ENCODER, o, e1, e2, 6, -1, 1, -1, 1, INT64_MAX, 2,
                             labels, 16, NULL, 0, &nl), CPAE_E_SIZE);
    CK_ERR(cpae_model_raster(m, CPAE_ENCODER, o, e1, e2, 6, -1, 1, -1, 1, 4, 4, NULL, 16,
                             NULL, 0, &nl), CPAE_E_NULL);
    ck_assert_int_eq(nl, -1);
    cpae_model_destroy(m);
}
END_TEST

/* Far from the origin areas keep their precision; a leaky slope of 1 still
 * gives sign bits; rectangles whose points overflow are refused. */
START_TEST(test_far_and_degenerate)
{
    const int64_t ew[] = {2, 4, 1}, dw[] = {1, 2};
    const int32_t ea[] = {CPAE_ACT_LEAKY_RELU, CPAE_ACT_IDENTITY}, da[] = {CPAE_ACT_IDENTITY};
    const double alphas[] = {1.0, 0.0};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create(ew, ea, alphas, 2, dw, da, NULL, 1, 3, &m));
    plane pl = {.o = {0, 0}, .e1 = {1, 0}, .e2 = {0, 1}, .dim = 2, -1, 1, -1, 1};
    ck_assert_int_ge(check_slice(m, CPAE_ENCODER, &pl, 64), 4);
    cpae_slice *sl = NULL;
    CK_OK(cpae_model_slice(m, CPAE_ENCODER, pl.o, pl.e1, pl.e2, 2, 1000.0, 1000.001, -1000.001,
                           -1000.0, 10, &sl));
    double area, total = 0.0;
    int64_t n;
    CK_OK(cpae_slice_n_polygons(sl, &n));
    for (int64_t k = 0; k < n; k++) {
        CK_OK(cpae_slice_area(sl, k, &area));
        total += area;
    }
    ck_assert_msg(fabs(total - 1e-6) <= 1e-12, "area %.17g", total);
    cpae_slice_destroy(sl);
    CK_ERR(cpae_model_slice(m, CPAE_ENCODER, pl.o, pl.e1, pl.e2, 2, -1e308, 1e308, -1, 1, 10,
                            &sl), CPAE_E_NONFINITE);
    int32_t lab[4];
    int64_t nl;
    CK_ERR(cpae_model_raster(m, CPAE_ENCODER, pl.o, pl.e1, pl.e2, 2, -1e308, 1e308, -1, 1, 2,
                             2, lab, 4, NULL, 0, &nl), CPAE_E_NONFINITE);
    cpae_model_destroy(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("slice");
    TCase *tc = tcase_create("slice");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_random_slices, 0, 18);
    tcase_add_test(tc, test_known_partitions);
    tcase_add_test(tc, test_slice_errors);
    tcase_add_test(tc, test_far_and_degenerate);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
