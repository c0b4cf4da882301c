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
 * Usage: lie_recovery [options]   (lie_recovery --help lists them; a bad
 * command line exits with status 2)
 *   -s SAMPLER   data | ball | facet            (default data)
 *   -f FORM      plain | tangent                (default plain)
 *   -e EPOCHS    (default 200)      -n SAMPLES (default 300)
 *   -w WEIGHT    Lie weight (default 1)   -r SEED (default 1)
 *   -a ARC       arc length in samples of shift (default 8)
 * Prints one line: sampler form full_cosine restricted_cosine seconds.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
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

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: lie_recovery [options]\n"
            "Trains a one-unit-bottleneck autoencoder with the local Lie regularizer on\n"
            "an orbit of cyclic shifts and prints how well the learned generator matches.\n"
            "  -s, --sampler S        Lie sampler: data (default), ball, facet\n"
            "  -f, --form F           Lie form: plain (default), tangent\n"
            "  -e, --epochs N         epochs (default 200)\n"
            "  -n, --samples N        orbit samples (default 300)\n"
            "  -w, --weight W         Lie weight (default 1)\n"
            "  -r, --seed N           seed of weights, generator and data (default 1)\n"
            "  -a, --arc A            arc length in samples of shift (default 8)\n"
            "  -g, --generator-lr G   generator learning-rate factor (default 10)\n"
            "  -k, --neighbours K     Lie neighbours (default 2)\n"
            "  -l, --lr L             learning rate (default 1e-3)\n"
            "  -H, --hidden N         hidden width (default 64)\n"
            "  -p, --warmup N         epochs of reconstruction only first (default 0)\n"
            "  -O, --optimizer N      0 SGD, 1 Adam (default 1)\n"
            "  -h, --help             this text\n"
            "DIAG=1 in the environment adds diagnostics of the generator fit.\n");
}

/* Strict number parsing: the whole string, within [lo, hi]. */
static int parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno) /* strtoull would take "-1" */
        return -1;
    *out = v;
    return 0;
}

static int parse_f64(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

/* The index of s among names[0..n-1], or -1. */
static int parse_name(const char *s, const char *const *names, int n)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(s, names[k]))
            return k;
    return -1;
}

static int bad_value(int opt, const char *v)
{
    fprintf(stderr, "lie_recovery: invalid value '%s' for -%c\n", v, opt);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    static const char *const samplers[] = {"data", "ball", "facet"};
    static const char *const forms[] = {"plain", "tangent"};
    static const struct option longs[] = {
        {"sampler", required_argument, NULL, 's'},  {"form", required_argument, NULL, 'f'},
        {"epochs", required_argument, NULL, 'e'},   {"samples", required_argument, NULL, 'n'},
        {"weight", required_argument, NULL, 'w'},   {"seed", required_argument, NULL, 'r'},
        {"arc", required_argument, NULL, 'a'},      {"generator-lr", required_argument, NULL, 'g'},
        {"neighbours", required_argument, NULL, 'k'}, {"lr", required_argument, NULL, 'l'},
        {"hidden", required_argument, NULL, 'H'},   {"warmup", required_argument, NULL, 'p'},
        {"optimizer", required_argument, NULL, 'O'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int32_t s_id = 0, f_id = 0;
    int64_t epochs = 200, n = 300;
    double weight = 1.0, arc = 8.0, glr = 10.0, lr = 1e-3;
    int64_t nbrs = 2, hidden = 64, warmup = 0, optimizer = CPAE_OPT_ADAM;
    uint64_t seed = 1;
    int c;
    opterr = 0; /* our own messages, and exit status 2 */
    while ((c = getopt_long(argc, argv, ":s:f:e:n:w:r:a:g:k:l:H:p:O:h", longs, NULL)) != -1) {
        const char *v = optarg;
        int bad = 0;
        switch (c) {
        case 's': bad = (s_id = parse_name(v, samplers, 3)) < 0; break;
        case 'f': bad = (f_id = parse_name(v, forms, 2)) < 0; break;
        case 'e': bad = parse_i64(v, 1, INT32_MAX, &epochs); break;
        case 'n': bad = parse_i64(v, 2, 1000000, &n); break;
        case 'w': bad = parse_f64(v, 0, 1e12, &weight); break;
        case 'r': bad = parse_u64(v, &seed); break;
        case 'a': bad = parse_f64(v, 0, 1e6, &arc); break;
        case 'g': bad = parse_f64(v, 0, 1e12, &glr); break;
        case 'k': bad = parse_i64(v, 1, 256, &nbrs); break;
        case 'l': bad = parse_f64(v, 1e-12, 1e3, &lr); break;
        case 'H': bad = parse_i64(v, 1, 65536, &hidden); break;
        case 'p': bad = parse_i64(v, 0, INT32_MAX, &warmup); break;
        case 'O': bad = parse_i64(v, CPAE_OPT_SGD, CPAE_OPT_ADAM, &optimizer); break;
        case 'h': usage(stdout); return 0;
        case ':':
            fprintf(stderr, "lie_recovery: option %s needs a value\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        default:
            if (optopt)
                fprintf(stderr, "lie_recovery: unknown option -%c\n", optopt);
            else
                fprintf(stderr, "lie_recovery: unknown option %s\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
        if (bad)
            return bad_value(c, v);
    }
    if (optind < argc) {
        fprintf(stderr, "lie_recovery: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    const char *sampler = samplers[s_id], *form = forms[f_id];

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
