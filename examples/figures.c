/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* figures.c -- `make figures`: the data behind the gallery's figures
 * (docs/gallery.md), written as JSON files that examples/plots.py draws.
 *
 *   partition.json  the poster's Figure 1: a small AE trained on 2-D data
 *                   on an arc, its exact input-space partition (autoencoder
 *                   stack, cpae_model_slice) with its biases and with every
 *                   bias set to 0, data overlaid;
 *   surface.json    the decoder surface of an AE with h = 2 on 3-D data (a
 *                   saddle): every decoder polygon of the latent box mapped
 *                   through its affine piece;
 *   orbit.json      a SyntheticControl series under exp(theta G) for the G
 *                   learned by a Lie-regularized AE, its reconstructions,
 *                   and the regions the orbit crosses;
 *   balls.json      regions in balls of growing radius around training
 *                   series against the series in the same balls.
 *
 * Usage: figures [-h] [OUT_DIR [DATA_DIR]]   (defaults docs/figures,
 *        examples/data/ucr; a bad command line exits with status 2). Deterministic: fixed seeds, one thread is
 *        not required (results may differ in the last bits across BLAS
 *        thread counts).
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpae.h"

#define CHECK(call)                                                            \
    do {                                                                       \
        int32_t st_ = (call);                                                  \
        if (st_ != CPAE_OK) {                                                  \
            fprintf(stderr, "%s failed: %s (%s)\n", #call,                     \
                    cpae_status_string(st_), cpae_last_error());               \
            exit(2);                                                           \
        }                                                                      \
    } while (0)

static const double PI = 3.14159265358979323846;

/* Deterministic uniform in [0, 1) (xorshift; the figures' own data). */
static double uniform(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-53;
}

static void save(json_t *root, const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (json_dump_file(root, path, JSON_COMPACT | JSON_REAL_PRECISION(7))) {
        fprintf(stderr, "figures: cannot write %s\n", path);
        exit(1);
    }
    json_decref(root);
    printf("wrote %s\n", path);
}

static json_t *points_json(const float *x, int64_t n, int64_t d)
{
    json_t *a = json_array();
    for (int64_t i = 0; i < n; i++) {
        json_t *p = json_array();
        for (int64_t j = 0; j < d; j++)
            json_array_append_new(p, json_real(x[i * d + j]));
        json_array_append_new(a, p);
    }
    return a;
}

/* Plain AE training with Adam: the figures' small models. */
static void train(cpae_model *m, cpae_lie *lie, int32_t method, const float *x, int64_t n,
                  int64_t d, double lr, int64_t steps, double w_lie)
{
    cpae_trainer *t;
    CHECK(cpae_trainer_create(m, lie, method, &t));
    CHECK(cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, lr));
    CHECK(cpae_trainer_set_param(t, CPAE_P_STEPS, (double)steps));
    CHECK(cpae_trainer_set_param(t, CPAE_P_SEED, 1));
    if (method == CPAE_METHOD_LIE_LOCAL)
        CHECK(cpae_trainer_set_param(t, CPAE_P_W_LIE_LOCAL, w_lie));
    CHECK(cpae_trainer_set_data(t, x, n, d));
    CHECK(cpae_trainer_fit(t));
    cpae_trainer_destroy(t);
}

/* The polygons of a slice as JSON: vertices, and each polygon's affine
 * map applied to its vertices when `lift` (the decoder surface). */
static json_t *slice_json(const cpae_model *m, int32_t stack, const float *o, const float *e1,
                          const float *e2, int64_t dim, double u0, double u1, double v0,
                          double v1, int64_t out, int lift, int64_t *n_out)
{
    cpae_slice *sl;
    CHECK(cpae_model_slice(m, stack, o, e1, e2, dim, u0, u1, v0, v1, 1 << 22, &sl));
    int64_t n;
    CHECK(cpae_slice_n_polygons(sl, &n));
    json_t *polys = json_array();
    double *a = malloc(sizeof(double) * (size_t)(2 * out)), *b = malloc(sizeof(double) * (size_t)out);
    for (int64_t k = 0; k < n; k++) {
        int64_t nv;
        CHECK(cpae_slice_polygon_size(sl, k, &nv));
        double *uv = malloc(sizeof(double) * (size_t)(2 * nv));
        CHECK(cpae_slice_polygon(sl, k, uv, 2 * nv));
        if (lift)
            CHECK(cpae_slice_map(sl, k, a, 2 * out, b, out));
        json_t *p = json_array();
        for (int64_t j = 0; j < nv; j++) {
            json_t *v = json_array();
            if (lift)
                for (int64_t i = 0; i < out; i++)
                    json_array_append_new(v, json_real(a[2 * i] * uv[2 * j] +
                                                       a[2 * i + 1] * uv[2 * j + 1] + b[i]));
            else {
                json_array_append_new(v, json_real(uv[2 * j]));
                json_array_append_new(v, json_real(uv[2 * j + 1]));
            }
            json_array_append_new(p, v);
        }
        json_array_append_new(polys, p);
        free(uv);
    }
    free(a);
    free(b);
    cpae_slice_destroy(sl);
    *n_out = n;
    return polys;
}

/* ------------------------------------------------ Figure 1: partition */

static void figure_partition(const char *dir)
{
    enum { N = 240 };
    float x[2 * N];
    uint64_t s = 7;
    for (int i = 0; i < N; i++) {
        double phi = PI * (0.15 + 1.2 * uniform(&s)), r = 1.0 + 0.04 * (uniform(&s) - 0.5);
        x[2 * i] = (float)(r * cos(phi));
        x[2 * i + 1] = (float)(r * sin(phi));
    }
    const int64_t widths[] = {2, 16, 16, 1};
    cpae_model *m;
    CHECK(cpae_model_create_mirrored(widths, 4, CPAE_ACT_RELU, 3, &m));
    train(m, NULL, CPAE_METHOD_AE, x, N, 2, 3e-3, 4000, 0);
    double mse, rel;
    CHECK(cpae_model_evaluate(m, x, N, 2, &mse, &rel));
    const float o[2] = {0, 0}, e1[2] = {1, 0}, e2[2] = {0, 1};
    const double R = 1.6;
    json_t *root = json_object(), *panels = json_array();
    for (int zero = 0; zero < 2; zero++) {
        cpae_model *mm;
        CHECK(cpae_model_clone(m, &mm));
        for (int32_t st = 0; st < 2 && zero; st++) {
            int64_t nl;
            CHECK(cpae_model_n_layers(mm, st, &nl));
            for (int64_t l = 0; l < nl; l++) {
                int64_t no;
                CHECK(cpae_model_layer_info(mm, st, l, NULL, &no, NULL, NULL));
                float *b = calloc((size_t)no, sizeof(float));
                CHECK(cpae_model_set_layer_params(mm, st, l, NULL, 0, b, no));
                free(b);
            }
        }
        int64_t n;
        json_t *polys = slice_json(mm, CPAE_AUTOENCODER, o, e1, e2, 2, -R, R, -R, R, 2, 0, &n);
        json_array_append_new(panels, json_pack("{s:s, s:o, s:I}", "name",
                                                zero ? "biases set to 0" : "trained biases",
                                                "polygons", polys, "n_regions", (json_int_t)n));
        printf("partition: %s: %lld regions\n", zero ? "zero biases" : "with biases",
               (long long)n);
        cpae_model_destroy(mm);
    }
    json_object_set_new(root, "panels", panels);
    json_object_set_new(root, "data", points_json(x, N, 2));
    json_object_set_new(root, "rect", json_pack("[f,f,f,f]", -R, R, -R, R));
    json_object_set_new(root, "model", json_string("2-16-16-1-16-16-2 ReLU, plain AE, "
                                                   "4000 Adam steps"));
    json_object_set_new(root, "train_rel_error", json_real(rel));
    save(root, dir, "partition.json");
    cpae_model_destroy(m);
}

/* -------------------------------------------- Figure 2: decoder surface */

static void figure_surface(const char *dir)
{
    enum { N = 400 };
    float x[3 * N], z[2 * N];
    uint64_t s = 11;
    for (int i = 0; i < N; i++) {
        double a = 2.0 * uniform(&s) - 1.0, b = 2.0 * uniform(&s) - 1.0;
        x[3 * i] = (float)a;
        x[3 * i + 1] = (float)b;
        x[3 * i + 2] = (float)(0.6 * (a * a - b * b) + 0.02 * (uniform(&s) - 0.5));
    }
    const int64_t widths[] = {3, 24, 24, 2};
    cpae_model *m;
    CHECK(cpae_model_create_mirrored(widths, 4, CPAE_ACT_RELU, 5, &m));
    train(m, NULL, CPAE_METHOD_AE, x, N, 3, 3e-3, 4000, 0);
    double mse, rel;
    CHECK(cpae_model_evaluate(m, x, N, 3, &mse, &rel));
    CHECK(cpae_model_encode(m, x, N, 3, z, 2 * N));
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 2; j++) {
            lo[j] = fmin(lo[j], z[2 * i + j]);
            hi[j] = fmax(hi[j], z[2 * i + j]);
        }
    const float o[2] = {0, 0}, e1[2] = {1, 0}, e2[2] = {0, 1};
    int64_t n;
    json_t *polys = slice_json(m, CPAE_DECODER, o, e1, e2, 2, lo[0], hi[0], lo[1], hi[1], 3, 1,
                               &n);
    printf("surface: %lld affine pieces over the latent box of the encodings\n", (long long)n);
    json_t *root = json_pack("{s:o, s:o, s:I, s:s, s:f}", "pieces", polys, "data",
                             points_json(x, N, 3), "n_pieces", (json_int_t)n, "model",
                             "3-24-24-2-24-24-3 ReLU, plain AE, 4000 Adam steps",
                             "train_rel_error", rel);
    save(root, dir, "surface.json");
    cpae_model_destroy(m);
}

/* ------------------------------------ Figures 3 and 4: orbit and balls */

static void figures_orbit_balls(const char *dir, const char *data_dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/SyntheticControl/SyntheticControl_TRAIN.tsv.gz", data_dir);
    cpae_dataset *tr;
    CHECK(cpae_dataset_load(path, CPAE_FORMAT_UCR, &tr));
    int64_t n, d;
    const float *x;
    CHECK(cpae_dataset_info(tr, &n, &d, NULL));
    CHECK(cpae_dataset_data(tr, &x));
    const int64_t widths[] = {d, 128, 64, 16};
    cpae_model *m;
    cpae_lie *lie;
    cpae_pca *pca;
    CHECK(cpae_model_create_mirrored(widths, 4, CPAE_ACT_RELU, 1, &m));
    CHECK(cpae_pca_fit(x, n, d, 16, &pca));
    CHECK(cpae_model_init_pca(m, pca, x, n, d, 0.5));
    CHECK(cpae_lie_create(d, 1, CPAE_LIE_SKEW, 1, &lie));
    train(m, lie, CPAE_METHOD_LIE_LOCAL, x, n, d, 1e-3, 1500, 1.0);
    double mse, rel, full;
    CHECK(cpae_model_evaluate(m, x, n, d, &mse, &rel));
    float *shift = malloc(sizeof(float) * (size_t)(d * d));
    CHECK(cpae_shift_generator(d, shift, d * d));
    CHECK(cpae_lie_cosine(lie, 0, shift, d * d, NULL, 0, &full, NULL));
    free(shift);

    /* Orbit of the first training series: shown at 7 thetas, codes at 600. */
    const float *x0 = x;
    const double T = 4.0;
    enum { SHOW = 7, DENSE = 600 };
    double th[DENSE];
    float *orb = malloc(sizeof(float) * (size_t)(DENSE * d));
    float *rec = malloc(sizeof(float) * (size_t)(DENSE * d));
    for (int i = 0; i < DENSE; i++)
        th[i] = -T + 2.0 * T * i / (DENSE - 1);
    CHECK(cpae_lie_orbit(lie, 0, x0, d, th, DENSE, orb, DENSE * d));
    CHECK(cpae_model_reconstruct(m, orb, DENSE, d, rec, DENSE * d));
    int64_t cb;
    CHECK(cpae_model_code_bytes(m, CPAE_AUTOENCODER, &cb));
    uint8_t *codes = malloc((size_t)(DENSE * cb));
    CHECK(cpae_model_codes(m, CPAE_AUTOENCODER, orb, DENSE, d, codes, DENSE * cb));
    json_t *region = json_array(); /* index of each dense theta's region, by first sight */
    int64_t seen = 0;
    for (int i = 0; i < DENSE; i++) {
        int64_t id = -1;
        for (int j = 0; j < i && id < 0; j++)
            if (memcmp(codes + i * cb, codes + j * cb, (size_t)cb) == 0)
                id = json_integer_value(json_array_get(region, (size_t)j));
        if (id < 0)
            id = seen++;
        json_array_append_new(region, json_integer(id));
    }
    int64_t distinct, changes;
    CHECK(cpae_model_orbit_regions(m, CPAE_AUTOENCODER, lie, 0, x0, d, -T, T, DENSE, 12,
                                   &distinct, &changes));
    json_t *shown = json_array(), *shown_rec = json_array(), *shown_th = json_array();
    for (int k = 0; k < SHOW; k++) {
        int i = (int)((DENSE - 1) * k / (SHOW - 1));
        json_array_append_new(shown, points_json(orb + i * d, 1, d));
        json_array_append_new(shown_rec, points_json(rec + i * d, 1, d));
        json_array_append_new(shown_th, json_real(th[i]));
    }
    json_t *dense = json_array();
    for (int i = 0; i < DENSE; i++)
        json_array_append_new(dense, json_real(th[i]));
    json_t *root = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:f, s:f, s:s}", "theta", shown_th,
        "orbit", shown, "reconstruction", shown_rec, "dense_theta", dense, "dense_region",
        region, "distinct", (json_int_t)distinct, "changes", (json_int_t)changes, "samples",
        (json_int_t)DENSE, "cos_shift", full, "train_rel_error", rel, "model",
        "SyntheticControl, 60-128-64-16 ReLU from PCA, Lie local (skew G, lambda 1), 1500 "
        "Adam steps");
    printf("orbit: %lld distinct regions, %lld changes (600 thetas, 12 bisections); "
           "cos(G, shift) = %.3f\n", (long long)distinct, (long long)changes, full);
    save(root, dir, "orbit.json");
    free(codes);
    free(orb);
    free(rec);

    /* Regions per ball against data per ball, around three series. */
    enum { NR = 18 };
    double radii[NR];
    for (int k = 0; k < NR; k++)
        radii[k] = 0.005 * pow(2.0, 0.75 * k);
    json_t *centres = json_array();
    for (int c = 0; c < 3; c++) {
        int64_t regions[NR], points[NR];
        int64_t idx = c * (n / 3);
        CHECK(cpae_model_ball_profile(m, CPAE_AUTOENCODER, x, n, d, x + idx * d, radii, NR,
                                      4000, 1, regions, points, NR));
        json_t *r = json_array(), *p = json_array();
        for (int k = 0; k < NR; k++) {
            json_array_append_new(r, json_integer(regions[k]));
            json_array_append_new(p, json_integer(points[k]));
        }
        json_array_append_new(centres, json_pack("{s:I, s:o, s:o}", "index", (json_int_t)idx,
                                                 "regions", r, "points", p));
    }
    json_t *rad = json_array();
    for (int k = 0; k < NR; k++)
        json_array_append_new(rad, json_real(radii[k]));
    root = json_pack("{s:o, s:o, s:I, s:I, s:s}", "radii", rad, "centres", centres,
                     "n_samples", (json_int_t)4000, "n_train", (json_int_t)n, "model",
                     "the orbit figure's model");
    save(root, dir, "balls.json");
    cpae_pca_destroy(pca);
    cpae_lie_destroy(lie);
    cpae_model_destroy(m);
    cpae_dataset_destroy(tr);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: figures [-h] [OUT_DIR [DATA_DIR]]\n"
               "Writes the JSON data of the gallery's figures (docs/gallery.md) into\n"
               "OUT_DIR (default docs/figures) from the UCR data in DATA_DIR (default\n"
               "examples/data/ucr); examples/plots.py draws them.\n"
               "  -h, --help   this text\n");
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    int c;
    opterr = 0; /* our own messages, and exit status 2 */
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (optopt)
            fprintf(stderr, "figures: unknown option -%c\n", optopt);
        else
            fprintf(stderr, "figures: unknown option %s\n", argv[optind - 1]);
        usage(stderr);
        return 2;
    }
    if (argc - optind > 2) {
        fprintf(stderr, "figures: unexpected argument '%s'\n", argv[optind + 2]);
        usage(stderr);
        return 2;
    }
    const char *dir = argc - optind > 0 ? argv[optind] : "docs/figures";
    const char *data = argc - optind > 1 ? argv[optind + 1] : "examples/data/ucr";
    figure_partition(dir);
    figure_surface(dir);
    figures_orbit_balls(dir, data);
    return 0;
}
