/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* threads.c -- `make tsan`: libcpae under ThreadSanitizer. Eight reader
 * threads share one model (encode, codes, region maps, boundary distances,
 * segment walks, slices, the report) while it is only read, and six
 * trainers run at once, each on its own clone, with the same seed: the
 * readers must see identical results and the trainers must end bit-for-bit
 * equal. Any data race aborts the run (TSAN_OPTIONS=halt_on_error=1).
 * Prints "N passed, N failed" like test/run.sh. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpae.h"

#define READERS 8
#define TRAINERS 6
#define N 64
#define D 12

static float X[N * D];
static int failures;
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *what, int32_t st)
{
    pthread_mutex_lock(&fail_lock);
    fprintf(stderr, "FAIL %s: %s (%s)\n", what, cpae_status_string(st), cpae_last_error());
    failures++;
    pthread_mutex_unlock(&fail_lock);
}

#define TRY(call)                                                              \
    do {                                                                       \
        int32_t st_ = (call);                                                  \
        if (st_ != CPAE_OK) {                                                  \
            fail(#call, st_);                                                  \
            return NULL;                                                       \
        }                                                                      \
    } while (0)

typedef struct reader {
    const cpae_model *model;
    double checksum; /* of everything it computed */
} reader;

static void *read_model(void *arg)
{
    reader *r = arg;
    const cpae_model *m = r->model;
    float z[N * 4], y[N * D];
    uint8_t codes[N * 8];
    double dist[N], sum = 0.0;
    int64_t cb;
    TRY(cpae_model_code_bytes(m, CPAE_AUTOENCODER, &cb));
    for (int rep = 0; rep < 3; rep++) {
        TRY(cpae_model_encode(m, X, N, D, z, N * 4));
        TRY(cpae_model_reconstruct(m, X, N, D, y, N * D));
        TRY(cpae_model_codes(m, CPAE_AUTOENCODER, X, N, D, codes, N * cb));
        TRY(cpae_model_boundary_distances(m, CPAE_AUTOENCODER, X, N, D, dist, N));
        for (int i = 0; i < N; i++)
            sum += dist[i] + y[i * D] + codes[i * cb];
        cpae_path *path;
        TRY(cpae_model_segment(m, CPAE_AUTOENCODER, X, X + D, D, 1 << 20, &path));
        int64_t nr;
        TRY(cpae_path_n_regions(path, &nr));
        cpae_path_destroy(path);
        cpae_slice *sl;
        TRY(cpae_model_slice(m, CPAE_AUTOENCODER, X, X + D, X + 2 * D, D, -1, 1, -1, 1,
                             1 << 20, &sl));
        int64_t np;
        TRY(cpae_slice_n_polygons(sl, &np));
        cpae_slice_destroy(sl);
        cpae_report *rep_h;
        TRY(cpae_report_create(m, NULL, X, N, D, &rep_h));
        double v;
        TRY(cpae_report_get(rep_h, CPAE_REPORT_DISTANCE_SUM, &v));
        cpae_report_destroy(rep_h);
        sum += (double)nr + (double)np + v;
    }
    r->checksum = sum;
    return NULL;
}

typedef struct job {
    const cpae_model *start;
    float params[4096];
    int64_t n_params;
} job;

static void *train(void *arg)
{
    job *j = arg;
    cpae_model *m;
    cpae_lie *lie;
    cpae_trainer *t;
    TRY(cpae_model_clone(j->start, &m));
    TRY(cpae_lie_create(D, 1, CPAE_LIE_SKEW, 3, &lie));
    TRY(cpae_trainer_create(m, lie, CPAE_METHOD_LIE_LOCAL, &t));
    TRY(cpae_trainer_set_param(t, CPAE_P_W_LIE_LOCAL, 0.1));
    TRY(cpae_trainer_set_param(t, CPAE_P_STEPS, 40));
    TRY(cpae_trainer_set_param(t, CPAE_P_SEED, 9));
    TRY(cpae_trainer_set_data(t, X, N, D));
    TRY(cpae_trainer_fit(t));
    TRY(cpae_trainer_n_params(t, &j->n_params));
    if (j->n_params > 4096) {
        fail("too many parameters for the test buffer", CPAE_E_LIMIT);
        return NULL;
    }
    TRY(cpae_trainer_get_params(t, j->params, 4096));
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    cpae_model_destroy(m);
    return NULL;
}

int main(void)
{
    uint64_t s = 88172645463325252ULL;
    for (int i = 0; i < N * D; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        X[i] = (float)((double)(s >> 11) * 0x1.0p-53 * 2.0 - 1.0);
    }
    const int64_t widths[] = {D, 16, 4};
    cpae_model *m;
    if (cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, 1, &m) != CPAE_OK)
        return 1;
    int passed = 0;
    reader rd[READERS];
    pthread_t th[READERS > TRAINERS ? READERS : TRAINERS];
    for (int i = 0; i < READERS; i++) {
        rd[i] = (reader){m, 0.0};
        pthread_create(&th[i], NULL, read_model, &rd[i]);
    }
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    int same = 1;
    for (int i = 1; i < READERS; i++)
        same &= rd[i].checksum == rd[0].checksum;
    if (same && isfinite(rd[0].checksum))
        passed++, printf("ok %d readers on one model agree (checksum %.17g)\n", READERS,
                         rd[0].checksum);
    else
        fail("readers disagree", CPAE_E_INVALID);
    static job jobs[TRAINERS];
    for (int i = 0; i < TRAINERS; i++) {
        jobs[i].start = m;
        pthread_create(&th[i], NULL, train, &jobs[i]);
    }
    for (int i = 0; i < TRAINERS; i++)
        pthread_join(th[i], NULL);
    same = jobs[0].n_params > 0;
    for (int i = 1; i < TRAINERS; i++)
        same &= jobs[i].n_params == jobs[0].n_params &&
                memcmp(jobs[i].params, jobs[0].params,
                       sizeof(float) * (size_t)jobs[0].n_params) == 0;
    if (same)
        passed++, printf("ok %d concurrent trainers (Lie local) end bit-identical\n", TRAINERS);
    else
        fail("trainers differ", CPAE_E_INVALID);
    cpae_model_destroy(m);
    printf("%d passed, %d failed\n", passed, failures);
    return failures ? 1 : 0;
}
