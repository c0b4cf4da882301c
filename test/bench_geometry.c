/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* bench_geometry.c -- `make bench`: the exact 2-D slice and the raster on
 * the issue-9 reference network, 2-64-64-64-2 ReLU (identity output) with
 * random weights (He-uniform) and biases (uniform in [-1, 1]), plane
 * x = (u, v) over [-R, R]^2. Best of 5 repetitions; prints Markdown.
 * A benchmark, not a test. Run it with OPENBLAS_NUM_THREADS=1 for the
 * one-core figures. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void)
{
    const int64_t ew[] = {2, 64, 64, 64, 2}, dw[] = {2, 2};
    const int32_t ea[] = {CPAE_ACT_RELU, CPAE_ACT_RELU, CPAE_ACT_RELU, CPAE_ACT_IDENTITY};
    const int32_t da[] = {CPAE_ACT_IDENTITY};
    cpae_model *m = NULL;
    CHECK(cpae_model_create(ew, ea, NULL, 4, dw, da, NULL, 1, 7, &m));
    uint64_t s = 88172645463325252ULL;
    for (int64_t l = 0; l < 4; l++) {
        float b[64];
        for (int i = 0; i < 64; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            b[i] = (float)((double)(s >> 11) * 0x1.0p-52 - 1.0);
        }
        CHECK(cpae_model_set_layer_params(m, CPAE_ENCODER, l, NULL, 0, b, ew[l + 1]));
    }
    const float o[2] = {0, 0}, e1[2] = {1, 0}, e2[2] = {0, 1};
    const int64_t px = 1024;
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)(px * px));
    if (!labels)
        return 2;
    printf("| R | polygons | exact slice (s) | raster labels | raster %lldx%lld (s) |\n",
           (long long)px, (long long)px);
    printf("|---:|---:|---:|---:|---:|\n");
    const double radii[] = {1.0, 3.0, 10.0};
    for (int k = 0; k < 3; k++) {
        double R = radii[k], best_slice = 1e30, best_raster = 1e30;
        int64_t n = 0, nl = 0;
        for (int rep = 0; rep < 5; rep++) {
            cpae_slice *sl = NULL;
            double t0 = now();
            CHECK(cpae_model_slice(m, CPAE_ENCODER, o, e1, e2, 2, -R, R, -R, R, 1 << 24, &sl));
            double t1 = now();
            CHECK(cpae_slice_n_polygons(sl, &n));
            cpae_slice_destroy(sl);
            CHECK(cpae_model_raster(m, CPAE_ENCODER, o, e1, e2, 2, -R, R, -R, R, px, px, labels,
                                    px * px, NULL, 0, &nl));
            double t2 = now();
            best_slice = t1 - t0 < best_slice ? t1 - t0 : best_slice;
            best_raster = t2 - t1 < best_raster ? t2 - t1 : best_raster;
        }
        printf("| %g | %lld | %.3f | %lld | %.3f |\n", R, (long long)n, best_slice,
               (long long)nl, best_raster);
        fflush(stdout);
    }
    free(labels);
    cpae_model_destroy(m);
    return 0;
}
