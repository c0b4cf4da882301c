/* bench.c -- `make bench`: training steps per second and achieved GFLOP/s
 * of every method on the two reference shapes of issue 3:
 *   (a) d = 140, encoder 140-64-16, batch 64;
 *   (b) d = 784, encoder 784-256-64-16, batch 64;
 * decoders mirrored, ReLU, one generator (skew), K = 1 neighbour.
 * A benchmark, not a test: it prints a Markdown table.
 *
 * FLOP counts are of the dense work each step does (the GEMMs): forward and
 * backward of the autoencoder, 6 m P (P = sum of n_in n_out); Jacobian
 * terms, 6 (samples) h P_stack for the tangent engine; for the Lie local
 * term also the generator products through the last hidden width nl,
 * 6 d^2 nl + 6 d nl (pairs h), pairs counted as m (an upper bound, K = 1,
 * so its GFLOP/s is an upper bound too); exact form, the
 * generator factorisation and per-sample exponentials are not counted, so
 * its GFLOP/s is a lower bound. */
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

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct counter {
    int64_t steps;
    double pairs; /* sum over steps of the Lie pairs that were not skipped */
} counter;

static int32_t count(void *user, int64_t epoch, int64_t step, const double *terms,
                     double validation, double seconds)
{
    (void)epoch, (void)step, (void)terms, (void)validation, (void)seconds;
    ((counter *)user)->steps++;
    return 0;
}

static const char *const names[] = {"AE", "denoising", "contractive", "higher-order",
                                    "Lie local", "Lie exact"};

int main(int argc, char **argv)
{
    double budget = argc > 1 ? atof(argv[1]) : 3.0; /* seconds per method */
    const int64_t shapes[2][4] = {{140, 64, 16, 0}, {784, 256, 64, 16}};
    const int64_t nw[2] = {3, 4};
    printf("| shape | method | steps/s | ms/step | GFLOP/s | x AE step |\n");
    printf("|---|---|---:|---:|---:|---:|\n");
    for (int sh = 0; sh < 2; sh++) {
        const int64_t *w = shapes[sh];
        int64_t d = w[0], h = w[nw[sh] - 1], m = 64, n = 512;
        double P = 0, Pe = 0;
        for (int i = 0; i + 1 < nw[sh]; i++)
            Pe += (double)w[i] * (double)w[i + 1];
        P = 2 * Pe;
        float *x = malloc(sizeof(float) * (size_t)(n * d));
        uint64_t s = 12345;
        for (int64_t e = 0; e < n * d; e++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            x[e] = (float)((double)(s >> 11) * 0x1.0p-53 * 2 - 1);
        }
        double ae_ms = 0;
        for (int32_t method = 0; method <= CPAE_METHOD_LIE_EXACT; method++) {
            cpae_model *mdl = NULL;
            cpae_lie *lie = NULL;
            cpae_trainer *t = NULL;
            CHECK(cpae_model_create_mirrored(w, nw[sh], CPAE_ACT_RELU, 1, &mdl));
            if (method >= CPAE_METHOD_LIE_LOCAL)
                CHECK(cpae_lie_create(d, 1, CPAE_LIE_SKEW, 2, &lie));
            CHECK(cpae_trainer_create(mdl, lie, method, &t));
            CHECK(cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, (double)m));
            CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_NEIGHBOURS, 1));
            CHECK(cpae_trainer_set_data(t, x, n, d));
            counter c = {0, 0};
            CHECK(cpae_trainer_set_callback(t, count, &c));
            /* Warm up one epoch, then time whole epochs within the budget. */
            CHECK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, 1));
            CHECK(cpae_trainer_fit(t));
            c.steps = 0;
            double t0 = now(), el = 0;
            while (el < budget) {
                CHECK(cpae_trainer_fit(t));
                el = now() - t0;
            }
            double ms = 1e3 * el / (double)c.steps;
            double hoc_nc = 4;
            double flops = 6.0 * (double)m * P; /* reconstruction */
            if (method == CPAE_METHOD_CONTRACTIVE)
                flops += 6.0 * m * h * Pe;
            if (method == CPAE_METHOD_HOC)
                flops += 6.0 * m * (1 + hoc_nc) * h * Pe;
            if (method == CPAE_METHOD_LIE_LOCAL) {
                /* m samples + up to m pairs (K = 1) in the tangent engine;
                 * generator work through the last hidden width nl:
                 * 6 d^2 nl + 6 d nl (pairs h) */
                double nl = (double)w[1];
                flops += 6.0 * 2 * m * h * Pe + 6.0 * d * d * nl + 6.0 * d * nl * m * h;
            }
            if (method == CPAE_METHOD_LIE_EXACT)
                flops += 6.0 * (m + 1) * h * Pe;
            if (method == CPAE_METHOD_AE)
                ae_ms = ms;
            char shape[64];
            snprintf(shape, sizeof shape, sh == 0 ? "(a) 140-64-16" : "(b) 784-256-64-16");
            printf("| %s | %s | %.1f | %.2f | %.2f | %.1f |\n", shape, names[method],
                   1e3 / ms, ms, flops / (ms * 1e6), ms / ae_ms);
            fflush(stdout);
            cpae_trainer_destroy(t);
            cpae_lie_destroy(lie);
            cpae_model_destroy(mdl);
        }
        free(x);
    }
    return 0;
}
