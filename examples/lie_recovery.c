/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* lie_recovery.c -- recover the generator of cyclic shifts from orbit data.
 *
 * Data (docs/math.md section 7): x_i = exp(theta_i G_shift) x0 for a broadband
 * periodic x0 of length d (1/k spectrum, random phases, no Nyquist mode)
 * and theta_i uniform on an arc of the orbit. An autoencoder with a
 * one-unit bottleneck is trained with the local Lie regularizer and a
 * learned skew-symmetric generator; the learned G is compared with the true
 * one by the full and the restricted cosine.
 *
 * Usage: lie_recovery [options]
 *   -s SAMPLER   data | ball | facet            (default data)
 *   -f FORM      plain | tangent                (default plain)
 *   -e EPOCHS    (default 200)      -n SAMPLES (default 300)
 *   -w WEIGHT    Lie weight (default 1)   -r SEED (default 1)
 *   -a ARC       arc length in samples of shift (default 8)
 * Prints one line: sampler form full_cosine restricted_cosine seconds.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#define D 32

/* Deterministic uniform [0, 1) for the data (splitmix64). */
static double unif(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

int main(int argc, char **argv)
{
    const char *sampler = "data", *form = "plain";
    int64_t epochs = 200, n = 300;
    double weight = 1.0, arc = 8.0, glr = 10.0, lr = 1e-3;
    int64_t nbrs = 2, hidden = 64, warmup = 0;
    int optimizer = 1;
    uint64_t seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-s")) sampler = argv[i + 1];
        else if (!strcmp(argv[i], "-f")) form = argv[i + 1];
        else if (!strcmp(argv[i], "-e")) epochs = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "-n")) n = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "-w")) weight = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-r")) seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-a")) arc = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-g")) glr = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-k")) nbrs = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "-l")) lr = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-H")) hidden = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "-p")) warmup = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "-O")) optimizer = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    int32_t s_id = !strcmp(sampler, "ball") ? 1 : !strcmp(sampler, "facet") ? 2 : 0;
    int32_t f_id = !strcmp(form, "tangent") ? 1 : 0;

    /* The true generator, normalised; a one-sample shift is theta = ||G||. */
    float *g = malloc(sizeof(float) * D * D);
    CHECK(cpae_shift_generator(D, g, D * D));
    double gn = 0;
    for (int e = 0; e < D * D; e++)
        gn += (double)g[e] * g[e];
    gn = sqrt(gn);
    cpae_lie *truth = NULL;
    CHECK(cpae_lie_create(D, 1, CPAE_LIE_SKEW, 0, &truth));
    CHECK(cpae_lie_set(truth, g, D * D));

    /* Broadband x0 and its orbit. */
    uint64_t s = 1000 + seed;
    float x0[D];
    for (int j = 0; j < D; j++)
        x0[j] = 0;
    for (int k = 1; k < D / 2; k++) {
        double ph = 6.283185307179586 * unif(&s);
        for (int j = 0; j < D; j++)
            x0[j] += (float)(cos(6.283185307179586 * k * j / D + ph) / k);
    }
    double *thetas = malloc(sizeof(double) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        thetas[i] = arc * gn * unif(&s);
    float *x = malloc(sizeof(float) * (size_t)(n * D));
    CHECK(cpae_lie_orbit(truth, 0, x0, D, thetas, n, x, n * D));

    const int64_t widths[] = {D, hidden, 1};
    cpae_model *m = NULL;
    cpae_lie *lie = NULL;
    cpae_trainer *t = NULL;
    CHECK(cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, seed, &m));
    CHECK(cpae_lie_create(D, 1, CPAE_LIE_SKEW, seed + 7, &lie));
    CHECK(cpae_trainer_create(m, lie, CPAE_METHOD_LIE_LOCAL, &t));
    CHECK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, (double)epochs));
    CHECK(cpae_trainer_set_param(t, CPAE_P_SEED, (double)seed));
    CHECK(cpae_trainer_set_param(t, CPAE_P_W_LIE_LOCAL, weight));
    CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_SAMPLER, s_id));
    CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_FORM, f_id));
    CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_NEIGHBOURS, (double)nbrs));
    CHECK(cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, lr));
    CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_DELTA, 0.05));
    CHECK(cpae_trainer_set_param(t, CPAE_P_GENERATOR_LR, glr));
    CHECK(cpae_trainer_set_param(t, CPAE_P_OPTIMIZER, optimizer));
    CHECK(cpae_trainer_set_data(t, x, n, D));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (warmup > 0) { /* reconstruction first, then the Lie term */
        CHECK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, (double)warmup));
        CHECK(cpae_trainer_set_param(t, CPAE_P_W_LIE_LOCAL, 0));
        CHECK(cpae_trainer_fit(t));
        CHECK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, (double)epochs));
        CHECK(cpae_trainer_set_param(t, CPAE_P_W_LIE_LOCAL, weight));
    }
    CHECK(cpae_trainer_fit(t));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double full, restricted;
    CHECK(cpae_lie_cosine(lie, 0, g, D * D, x, n, &full, &restricted));
    double tr[CPAE_N_LOSS_TERMS];
    CHECK(cpae_trainer_gradient(t, x, n, D, tr, CPAE_N_LOSS_TERMS, NULL, 0));
    printf("%-6s %-8s full %.3f restricted %.3f  rec %.4f lie %.3g  %.1fs\n", sampler, form,
           full, restricted, tr[CPAE_TERM_RECONSTRUCTION] / D, tr[CPAE_TERM_LIE_LOCAL],
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    if (getenv("DIAG")) {
        /* Diagnostics: the residual of the true generator on the same model,
         * then G alone optimised to convergence with the model frozen. */
        float *gl = malloc(sizeof(float) * D * D);
        CHECK(cpae_lie_get(lie, gl, D * D));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_SAMPLER, s_id));
        double tl[CPAE_N_LOSS_TERMS], tt[CPAE_N_LOSS_TERMS];
        CHECK(cpae_trainer_set_param(t, CPAE_P_SEED, 99));
        CHECK(cpae_trainer_gradient(t, x, n, D, tl, CPAE_N_LOSS_TERMS, NULL, 0));
        CHECK(cpae_lie_set(lie, g, D * D));
        CHECK(cpae_trainer_set_param(t, CPAE_P_SEED, 99));
        CHECK(cpae_trainer_gradient(t, x, n, D, tt, CPAE_N_LOSS_TERMS, NULL, 0));
        printf("  lie residual: learned G %.4g, true G %.4g\n", tl[CPAE_TERM_LIE_LOCAL],
               tt[CPAE_TERM_LIE_LOCAL]);
        CHECK(cpae_lie_set(lie, gl, D * D));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, 1e-9));
        CHECK(cpae_trainer_set_param(t, CPAE_P_GENERATOR_LR, 1e6));
        CHECK(cpae_trainer_set_param(t, CPAE_P_W_RECONSTRUCTION, 0));
        for (int it = 0; it < 3000; it++) {
            CHECK(cpae_trainer_set_param(t, CPAE_P_SEED, 99));
            CHECK(cpae_trainer_step(t, x, n, D, tl, CPAE_N_LOSS_TERMS));
        }
        CHECK(cpae_lie_cosine(lie, 0, g, D * D, x, n, &full, &restricted));
        printf("  G alone, 3000 full-batch steps: full %.3f restricted %.3f lie %.4g\n", full,
               restricted, tl[CPAE_TERM_LIE_LOCAL]);
        free(gl);
    }
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    cpae_lie_destroy(truth);
    cpae_model_destroy(m);
    free(g);
    free(x);
    free(thetas);
    return 0;
}
