/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* bench_mpi.c -- `make bench-mpi`: ms per data-parallel training step under
 * mpirun, at the two reference shapes ((a) 140-64-16, (b) 784-256-64-16),
 * for a global batch of 64 split over the processes (strong scaling) and
 * for 64 rows per process (weak scaling). Synthetic shifted sines, the same
 * on every process; each takes its share. A benchmark, not a test.
 * Usage: mpirun -np P bench_mpi [STEPS]   (rank 0 prints one line a row) */
#include "cpae_mpi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ms per step of `steps` steps (after 3 warm-up steps). */
static double time_fit(cpae_mpi *ctx, const int64_t *widths, int32_t method, int64_t n, int64_t d,
                       int64_t batch, int64_t steps, int32_t *status)
{
    int32_t rank, size;
    *status = cpae_mpi_rank(ctx, &rank, &size);
    float *x = malloc(sizeof(float) * (size_t)(n * d));
    for (int64_t i = 0; x && i < n; i++)
        for (int64_t j = 0; j < d; j++)
            x[i * d + j] = (float)sin(6.2831853 * (double)j / (double)d + 0.37 * (double)i);
    int64_t first = 0, count = 0;
    cpae_model *m = NULL;
    cpae_lie *lie = NULL;
    cpae_trainer *t = NULL;
    double ms = NAN;
    int32_t st = x ? cpae_mpi_share(ctx, n, &first, &count) : CPAE_E_NOMEM;
    if (!st)
        st = cpae_model_create_mirrored(widths, 3 + (widths[3] > 0), CPAE_ACT_RELU, 1, &m);
    if (!st && method == CPAE_METHOD_LIE_LOCAL)
        st = cpae_lie_create(d, 1, CPAE_LIE_SKEW, 2, &lie);
    if (!st)
        st = cpae_trainer_create(m, lie, method, &t);
    if (!st && method == CPAE_METHOD_LIE_LOCAL)
        st = cpae_trainer_set_param(t, CPAE_P_LIE_SAMPLER, CPAE_SAMPLER_BALL);
    if (!st)
        st = cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, (double)batch);
    if (!st)
        st = cpae_trainer_set_data(t, x + first * d, count, d);
    if (!st)
        st = cpae_mpi_attach(ctx, t, count, n, NULL, NULL);
    if (!st)
        st = cpae_trainer_set_param(t, CPAE_P_STEPS, 3);
    if (!st)
        st = cpae_trainer_fit(t); /* warm-up: the pools size themselves */
    if (!st)
        st = cpae_trainer_set_param(t, CPAE_P_STEPS, (double)steps);
    if (!st) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = now();
        st = cpae_trainer_fit(t);
        ms = 1e3 * (now() - t0) / (double)steps;
    }
    *status = st;
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    cpae_model_destroy(m);
    free(x);
    return ms;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int64_t steps = argc > 1 ? atoll(argv[1]) : 20;
    if (steps < 1)
        steps = 20;
    cpae_mpi *ctx = NULL;
    if (cpae_mpi_create(MPI_COMM_WORLD, CPAE_MPI_ALLREDUCE, &ctx) != CPAE_OK)
        MPI_Abort(MPI_COMM_WORLD, 1);
    int32_t rank, size;
    if (cpae_mpi_rank(ctx, &rank, &size) != CPAE_OK)
        MPI_Abort(MPI_COMM_WORLD, 1);
    static const int64_t wa[] = {140, 64, 16, 0}, wb[] = {784, 256, 64, 16};
    static const struct {
        const char *name;
        const int64_t *w;
        int64_t d;
        int32_t method;
    } rows[] = {
        {"(a) AE", wa, 140, CPAE_METHOD_AE},
        {"(a) Lie local, ball, K = 1", wa, 140, CPAE_METHOD_LIE_LOCAL},
        {"(b) AE", wb, 784, CPAE_METHOD_AE},
        {"(b) Lie local, ball, K = 1", wb, 784, CPAE_METHOD_LIE_LOCAL},
    };
    if (rank == 0)
        printf("| row | processes | global batch | ms/step | samples/s |\n|---|---:|---:|---:|---:|\n");
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
        for (int weak = 0; weak < 2; weak++) {
            int64_t batch = weak ? 64 * size : 64, n = 64 * 8 * (weak ? size : 1);
            int32_t st;
            double ms = time_fit(ctx, rows[r].w, rows[r].method, n, rows[r].d, batch, steps, &st);
            if (rank == 0) {
                if (st)
                    printf("| %s | %d | %lld | failed: %s | |\n", rows[r].name, (int)size,
                           (long long)batch, cpae_last_error());
                else
                    printf("| %s | %d | %lld | %.3f | %.0f |\n", rows[r].name, (int)size,
                           (long long)batch, ms, 1e3 * (double)batch / ms);
            }
        }
    cpae_mpi_destroy(ctx);
    MPI_Finalize();
    return 0;
}
