/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_parallel.c -- the data-parallel fit (cpae_trainer_set_parallel)
 * without MPI: P threads stand for P processes, each with its own model,
 * trainer and share of the data, and a reducer that sums over the threads
 * in rank order (a fixed-order allreduce). Checked: every process ends with
 * the same weights bit for bit; one process holding all the data equals
 * the ordinary fit bit for bit (both precisions); 2 and 3 processes equal
 * it to rounding; a stop asked by one process stops all; a process that
 * fails makes the others return CPAE_E_REMOTE and nothing waits forever;
 * processes that disagree on hyperparameters are refused. */
#include "testutil.h"

#include <pthread.h>
#include <stdbool.h>

#define N 48
#define D 12
#define NV 12
#define PMAX 3

static float *sines(int64_t n, int64_t d, uint64_t seed)
{
    float *x = malloc(sizeof(float) * (size_t)(n * d));
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        double ph = 3.0 * tu_uniform(&s), fr = 1.0 + 0.5 * tu_uniform(&s);
        for (int64_t j = 0; j < d; j++)
            x[i * d + j] = (float)(sin(fr * 6.28318 * j / d + ph) + 0.05 * tu_uniform(&s));
    }
    return x;
}

/* The threads' meeting point: each reduce call posts its values, waits for
 * all, sums the posts in rank order, and waits again before the next. */
typedef struct world {
    int P;
    pthread_barrier_t bar;
    double *post[PMAX];
    int64_t n[PMAX];
} world;

typedef struct rank_ctx {
    world *w;
    int rank;
} rank_ctx;

static int32_t reduce_sum(void *user, double *values, int64_t n)
{
    rank_ctx *c = user;
    world *w = c->w;
    w->post[c->rank] = values;
    w->n[c->rank] = n;
    pthread_barrier_wait(&w->bar);
    int32_t bad = 0;
    for (int r = 0; r < w->P; r++)
        bad |= w->n[r] != n;
    double *sum = malloc(sizeof(double) * (size_t)n);
    for (int64_t e = 0; e < n && !bad; e++) {
        double s = 0.0;
        for (int r = 0; r < w->P; r++)
            s += w->post[r][e];
        sum[e] = s;
    }
    pthread_barrier_wait(&w->bar); /* everyone has read every post */
    if (!bad)
        memcpy(values, sum, sizeof(double) * (size_t)n);
    free(sum);
    return bad;
}

/* One run: which method, precision, and a twist for one rank. */
typedef struct run {
    int32_t method, sampler, precision;
    int twist;       /* 0 none; 1 rank 1 stops at step 5; 2 rank 1 uses the
                        data sampler (refused there); 3 rank 1 another rate;
                        4 every rank stops at step 5, rank 0 takes a
                        checkpoint; 5 rank 1's first row differs; 6 rank 1
                        loads a corrupted checkpoint; 7 every rank's epoch
                        callback tries to change the step callback; 8 rank
                        1's rows are 1 column narrower; 9 every validation
                        row on rank 0; 10 rank 0 holds the whole set (with
                        its mask), the others their own rows */
    const float *x, *xv;
    int64_t batch;   /* 0: 10 */
    const uint8_t *resume; /* a checkpoint to load and resume instead of a fit */
    int64_t n_resume;
    uint8_t *const *own;   /* else rank k loads own[k] (n_own[k] bytes) */
    const int64_t *n_own;
} run;

typedef struct job {
    const run *r;
    world *w;
    int rank;
    int32_t status;
    uint8_t *weights; /* the model and generators' bytes after the fit */
    int64_t n_weights;
    cpae_trainer *t;
    uint8_t *ckpt;    /* twist 4, rank 0: the checkpoint at step 5 */
    int64_t n_ckpt;
} job;

static uint8_t *model_bytes(const cpae_model *m, const cpae_lie *lie, int64_t *n)
{
    CK_OK(cpae_model_save_lie_size(m, lie, n));
    uint8_t *b = malloc((size_t)*n);
    CK_OK(cpae_model_save_lie_to_buffer(m, lie, b, *n, n));
    return b;
}

static int32_t stop_at_5(void *u, int64_t epoch, int64_t step, const double *terms, double val,
                         double sec)
{
    (void)u, (void)epoch, (void)terms, (void)val, (void)sec;
    return step == 5;
}

static int32_t stop_and_save(void *u, int64_t epoch, int64_t step, const double *terms,
                             double val, double sec)
{
    (void)epoch, (void)terms, (void)val, (void)sec;
    job *j = u;
    if (step != 5)
        return 0;
    CK_OK(cpae_trainer_checkpoint_size(j->t, &j->n_ckpt));
    j->ckpt = malloc((size_t)j->n_ckpt);
    CK_OK(cpae_trainer_save_checkpoint_to_buffer(j->t, j->ckpt, j->n_ckpt, &j->n_ckpt));
    return 1;
}

/* A parallel fit's step callback cannot change inside the fit (the
 * processes agreed at its start whether steps reduce their stop). */
static int32_t change_step_cb(void *u, int64_t epoch, const double *row, int64_t n_cols)
{
    (void)epoch, (void)row, (void)n_cols;
    job *j = u;
    ck_assert_int_eq(cpae_trainer_set_callback(j->t, stop_at_5, NULL), CPAE_E_INVALID);
    return 0;
}

/* A trainer on rows `rank`, `rank` + P, ... (P = 0: all rows, no
 * reducer: the ordinary fit); returns the fit's status. */
static void *fit_share(void *arg)
{
    job *j = arg;
    const run *r = j->r;
    int P = j->w ? j->w->P : 0, rank = j->rank;
    int64_t dd = r->twist == 8 && rank == 1 ? D - 1 : D; /* this process's width */
    const int64_t widths[] = {dd, 10, 3};
    cpae_model *m = NULL;
    cpae_lie *lie = NULL;
    cpae_trainer *t = NULL;
    bool resuming = r->resume || r->own;
    /* (a resume starts from other weights: the checkpoint's must win) */
    CK_OK(cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, resuming ? 55 : 5, &m));
    if (r->method >= CPAE_METHOD_LIE_LOCAL)
        CK_OK(cpae_lie_create(dd, 1, CPAE_LIE_SKEW, resuming ? 66 : 6, &lie));
    CK_OK(cpae_trainer_create(m, lie, r->method, &t));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, 3));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, r->batch ? (double)r->batch : 10));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_SEED, 11));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_PRECISION, r->precision));
    if (r->method == CPAE_METHOD_LIE_LOCAL)
        CK_OK(cpae_trainer_set_param(t, CPAE_P_LIE_SAMPLER,
                                     r->twist == 2 && rank == 1 ? CPAE_SAMPLER_DATA
                                                                : r->sampler));
    if (r->twist == 3 && rank == 1)
        CK_OK(cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, 0.5));
    /* The data sampler and the exact form read the whole set: every
     * process holds all rows and owns rows rank, rank + P, ... */
    bool whole = (r->method == CPAE_METHOD_LIE_LOCAL && r->sampler == CPAE_SAMPLER_DATA &&
                  r->twist != 2) || r->method == CPAE_METHOD_LIE_EXACT ||
                 (r->twist == 10 && rank == 0);
    int64_t ids[N], n = 0, vrows = 0;
    uint8_t owned[N];
    float xs[N * D], vs[NV * D];
    for (int64_t i = 0; i < N; i++)
        if (P == 0 || whole || i % P == rank) {
            memcpy(xs + n * dd, r->x + i * D, sizeof(float) * (size_t)dd);
            if (r->twist == 5 && rank == 1 && n == 0)
                xs[0] += 0.25f;
            owned[n] = P == 0 || i % P == rank;
            ids[n++] = i;
        }
    for (int64_t i = 0; i < NV; i++)
        if (P == 0 || (r->twist == 9 ? rank == 0 : i % P == rank))
            memcpy(vs + vrows++ * dd, r->xv + i * D, sizeof(float) * (size_t)dd);
    CK_OK(cpae_trainer_set_data(t, xs, n, dd));
    if (vrows > 0)
        CK_OK(cpae_trainer_set_validation(t, vs, vrows, dd));
    rank_ctx ctx = {j->w, rank};
    if (P > 0)
        CK_OK(cpae_trainer_set_parallel(t, n, N, ids, whole ? owned : NULL, reduce_sum, &ctx));
    if (r->twist == 1 && rank == 1)
        CK_OK(cpae_trainer_set_callback(t, stop_at_5, NULL));
    j->t = t;
    if (r->twist == 4)
        CK_OK(cpae_trainer_set_callback(t, stop_and_save, j));
    if (r->twist == 7)
        CK_OK(cpae_trainer_set_epoch_callback(t, change_step_cb, j));
    if (r->resume || r->own) { /* a collective load, then the resume */
        const uint8_t *ck = r->own ? r->own[rank] : r->resume;
        int64_t nck = r->own ? r->n_own[rank] : r->n_resume;
        uint8_t *bad = NULL;
        if (r->twist == 6 && rank == 1) {
            bad = malloc((size_t)nck);
            memcpy(bad, ck, (size_t)nck);
            bad[100] ^= 1;
        }
        j->status = cpae_trainer_load_checkpoint_from_buffer(t, bad ? bad : ck, nck);
        if (j->status == CPAE_OK)
            j->status = cpae_trainer_resume(t);
        free(bad);
    } else {
        j->status = cpae_trainer_fit(t);
    }
    j->weights = model_bytes(m, lie, &j->n_weights);
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    cpae_model_destroy(m);
    return NULL;
}

/* P processes (threads); job[r] gets rank r's outcome. */
static void run_world(const run *r, int P, job *jobs)
{
    world w = {.P = P};
    pthread_barrier_init(&w.bar, NULL, (unsigned)P);
    pthread_t th[PMAX];
    for (int k = 0; k < P; k++) {
        jobs[k] = (job){r, &w, k, -1, NULL, 0, NULL, NULL, 0};
        ck_assert_int_eq(pthread_create(&th[k], NULL, fit_share, &jobs[k]), 0);
    }
    for (int k = 0; k < P; k++)
        pthread_join(th[k], NULL);
    pthread_barrier_destroy(&w.bar);
}

/* Largest |a - b| over the weights of two saved models (same layout). */
static double max_diff(const uint8_t *a, const uint8_t *b, int64_t n)
{
    cpae_model *ma = NULL, *mb = NULL;
    CK_OK(cpae_model_load_from_buffer(a, n, &ma));
    CK_OK(cpae_model_load_from_buffer(b, n, &mb));
    int64_t np;
    CK_OK(cpae_model_n_params(ma, &np));
    (void)np;
    double worst = 0;
    for (int32_t stack = CPAE_ENCODER; stack <= CPAE_DECODER; stack++) {
        int64_t nl;
        CK_OK(cpae_model_n_layers(ma, stack, &nl));
        for (int64_t l = 0; l < nl; l++) {
            float wa[200], wb[200], ba[20], bb[20];
            CK_OK(cpae_model_get_layer_params(ma, stack, l, wa, 200, ba, 20));
            CK_OK(cpae_model_get_layer_params(mb, stack, l, wb, 200, bb, 20));
            int64_t in, out;
            int32_t act;
            double alpha;
            CK_OK(cpae_model_layer_info(ma, stack, l, &in, &out, &act, &alpha));
            for (int64_t e = 0; e < in * out; e++)
                worst = fmax(worst, fabs((double)wa[e] - wb[e]));
            for (int64_t e = 0; e < out; e++)
                worst = fmax(worst, fabs((double)ba[e] - bb[e]));
        }
    }
    cpae_model_destroy(ma);
    cpae_model_destroy(mb);
    return worst;
}

static const struct {
    const char *name;
    int32_t method, sampler;
} methods[] = {
    {"AE", CPAE_METHOD_AE, 0},
    {"denoising", CPAE_METHOD_DENOISING, 0},
    {"higher-order", CPAE_METHOD_HOC, 0},
    {"Lie local, ball", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_BALL},
    {"Lie local, facet", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_FACET},
    {"Lie local, data", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_DATA},
    {"Lie exact", CPAE_METHOD_LIE_EXACT, 0},
};
#define N_METHODS ((int)(sizeof methods / sizeof methods[0]))

/* Equivalence with the ordinary fit, for every method, in double and in
 * float: bitwise with one process, to rounding with two and three. */
START_TEST(test_equivalence)
{
    int mi = _i % N_METHODS;
    int32_t precision = _i < N_METHODS ? 64 : 32;
    float *x = sines(N, D, 3), *xv = sines(NV, D, 4);
    run r = {.method = methods[mi].method, .sampler = methods[mi].sampler, .precision = precision, .x = x, .xv = xv};
    job ref = {&r, NULL, 0, -1, NULL, 0, NULL, NULL, 0};
    fit_share(&ref);
    CK_OK(ref.status);
    for (int P = 1; P <= PMAX; P++) {
        job jobs[PMAX];
        run_world(&r, P, jobs);
        for (int k = 0; k < P; k++) {
            ck_assert_msg(jobs[k].status == CPAE_OK, "%s, P = %d, rank %d: status %d",
                          methods[mi].name, P, k, (int)jobs[k].status);
            ck_assert_int_eq(jobs[k].n_weights, jobs[0].n_weights);
            ck_assert_msg(memcmp(jobs[k].weights, jobs[0].weights,
                                 (size_t)jobs[0].n_weights) == 0,
                          "%s, P = %d: rank %d's weights differ from rank 0's",
                          methods[mi].name, P, k);
        }
        double diff = max_diff(ref.weights, jobs[0].weights, ref.n_weights);
        double tol = P == 1 ? 0.0 : precision == 64 ? 1e-9 : 1e-6;
        fprintf(stderr, "%s, float%d, P = %d: max |w - w_single| = %.3g\n", methods[mi].name,
                (int)precision, P, diff);
        ck_assert_msg(diff <= tol, "%s, float%d, P = %d: weights differ from the ordinary "
                      "fit by %g (tolerance %g)", methods[mi].name, (int)precision, P, diff,
                      tol);
        for (int k = 0; k < P; k++)
            free(jobs[k].weights);
    }
    free(ref.weights);
    free(x);
    free(xv);
}
END_TEST

/* Batches smaller than the number of processes: some processes own no
 * row of a step (their share is empty, their float weights must still be
 * the model's). */
START_TEST(test_empty_shares)
{
    float *x = sines(N, D, 3), *xv = sines(NV, D, 4);
    for (int32_t precision = 32; precision <= 64; precision += 32) {
        run r = {.method = CPAE_METHOD_LIE_LOCAL, .sampler = CPAE_SAMPLER_BALL, .precision = precision, .x = x, .xv = xv, .batch = 2};
        job ref = {&r, NULL, 0, -1, NULL, 0, NULL, NULL, 0};
        fit_share(&ref);
        CK_OK(ref.status);
        job jobs[PMAX];
        run_world(&r, 3, jobs);
        for (int k = 0; k < 3; k++) {
            CK_OK(jobs[k].status);
            ck_assert_msg(memcmp(jobs[k].weights, jobs[0].weights,
                                 (size_t)jobs[0].n_weights) == 0,
                          "float%d: rank %d's weights differ", (int)precision, k);
        }
        double diff = max_diff(ref.weights, jobs[0].weights, ref.n_weights);
        ck_assert_msg(diff <= (precision == 64 ? 1e-9 : 1e-6), "float%d: %g from the ordinary "
                      "fit", (int)precision, diff);
        for (int k = 0; k < 3; k++)
            free(jobs[k].weights);
        free(ref.weights);
    }
    free(x);
    free(xv);
}
END_TEST

/* A fit on 3 processes stopped at step 5 and checkpointed by rank 0
 * resumes from that checkpoint on 2 processes, on 1, and in an ordinary
 * trainer holding the whole set, to the uninterrupted fit's weights (to
 * rounding; identical on every process); a process whose rows differ, or
 * whose checkpoint is corrupted, makes every process refuse the load. */
START_TEST(test_sharded_resume)
{
    static const int which[] = {0, 3, 5, 6}; /* AE, ball, data sampler, exact */
    int mi = which[_i];
    float *x = sines(N, D, 3), *xv = sines(NV, D, 4);
    run r = {.method = methods[mi].method, .sampler = methods[mi].sampler, .precision = 64, .x = x, .xv = xv};
    job ref = {&r, NULL, 0, -1, NULL, 0, NULL, NULL, 0};
    fit_share(&ref);
    CK_OK(ref.status);
    job jobs[PMAX];
    run saved = r;
    saved.twist = 4;
    run_world(&saved, 3, jobs);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(jobs[k].status, CPAE_E_CANCELLED);
        free(jobs[k].weights);
    }
    ck_assert_ptr_nonnull(jobs[0].ckpt);
    run res = r;
    res.resume = jobs[0].ckpt;
    res.n_resume = jobs[0].n_ckpt;
    for (int P = 0; P <= 2; P++) {
        job out[PMAX];
        if (P == 0) {
            out[0] = (job){&res, NULL, 0, -1, NULL, 0, NULL, NULL, 0};
            fit_share(&out[0]);
        } else {
            run_world(&res, P, out);
        }
        for (int k = 0; k < (P ? P : 1); k++) {
            ck_assert_msg(out[k].status == CPAE_OK, "%s, resumed on P = %d, rank %d: %d",
                          methods[mi].name, P, k, (int)out[k].status);
            ck_assert(memcmp(out[k].weights, out[0].weights, (size_t)out[0].n_weights) == 0);
        }
        double diff = max_diff(ref.weights, out[0].weights, ref.n_weights);
        fprintf(stderr, "%s: saved on 3 processes, resumed on %d%s: max |w - w_single| = "
                "%.3g\n", methods[mi].name, P ? P : 1, P ? "" : " (ordinary trainer)", diff);
        ck_assert_msg(diff <= 1e-9, "%s, resumed on P = %d: %g from the uninterrupted fit",
                      methods[mi].name, P, diff);
        for (int k = 0; k < (P ? P : 1); k++)
            free(out[k].weights);
    }
    /* Each process loads the checkpoint it saved itself (the files differ
     * in each process's own fields only). */
    run own = r;
    uint8_t *own_ck[PMAX] = {jobs[0].ckpt, jobs[1].ckpt, jobs[2].ckpt};
    int64_t own_n[PMAX] = {jobs[0].n_ckpt, jobs[1].n_ckpt, jobs[2].n_ckpt};
    own.own = own_ck;
    own.n_own = own_n;
    job out3[PMAX];
    run_world(&own, 3, out3);
    for (int k = 0; k < 3; k++) {
        ck_assert_msg(out3[k].status == CPAE_OK, "own checkpoints, rank %d: %d", k,
                      (int)out3[k].status);
        ck_assert(memcmp(out3[k].weights, out3[0].weights, (size_t)out3[0].n_weights) == 0);
    }
    ck_assert(max_diff(ref.weights, out3[0].weights, ref.n_weights) <= 1e-9);
    for (int k = 0; k < 3; k++)
        free(out3[k].weights);
    for (int twist = 5; twist <= 6; twist++) {
        res.twist = twist;
        job out[PMAX];
        run_world(&res, 2, out);
        for (int k = 0; k < 2; k++) {
            int32_t want = twist == 5 ? CPAE_E_MISMATCH : k == 1 ? CPAE_E_FORMAT : CPAE_E_REMOTE;
            ck_assert_msg(out[k].status == want, "twist %d, rank %d: status %d, want %d", twist,
                          k, (int)out[k].status, (int)want);
            free(out[k].weights);
        }
    }
    for (int k = 0; k < 3; k++)
        free(jobs[k].ckpt);
    free(ref.weights);
    free(x);
    free(xv);
}
END_TEST

/* One process's stop stops all; a failing process makes the others return
 * CPAE_E_REMOTE; disagreeing processes are refused; nothing hangs. */
START_TEST(test_faults)
{
    float *x = sines(N, D, 3), *xv = sines(NV, D, 4);
    job jobs[PMAX];
    run stop = {.method = CPAE_METHOD_AE, .precision = 64, .twist = 1, .x = x, .xv = xv};
    run_world(&stop, 3, jobs);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(jobs[k].status, CPAE_E_CANCELLED);
        ck_assert(memcmp(jobs[k].weights, jobs[0].weights, (size_t)jobs[0].n_weights) == 0);
    }
    for (int k = 0; k < 3; k++)
        free(jobs[k].weights);
    run fail = {.method = CPAE_METHOD_LIE_LOCAL, .sampler = CPAE_SAMPLER_BALL, .precision = 64, .twist = 2, .x = x, .xv = xv};
    run_world(&fail, 3, jobs);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(jobs[k].status, k == 1 ? CPAE_E_INVALID : CPAE_E_REMOTE);
        free(jobs[k].weights);
    }
    run change = {.method = CPAE_METHOD_AE, .precision = 64, .twist = 7, .x = x, .xv = xv};
    run_world(&change, 2, jobs);
    for (int k = 0; k < 2; k++) {
        CK_OK(jobs[k].status); /* the refused change left the fit running */
        free(jobs[k].weights);
    }
    /* Another input width on one process: refused everywhere, every
     * reduce the same size (the reducer would fail otherwise). */
    run narrow = {.method = CPAE_METHOD_AE, .precision = 64, .twist = 8, .x = x, .xv = xv};
    run_world(&narrow, 2, jobs);
    for (int k = 0; k < 2; k++) {
        ck_assert_msg(jobs[k].status == CPAE_E_MISMATCH, "narrow rows: rank %d status %d", k,
                      (int)jobs[k].status);
        free(jobs[k].weights);
    }
    /* Validation rows on one process only, and a process holding the whole
     * set beside processes holding their own rows: the ordinary fit. */
    for (int twist = 9; twist <= 10; twist++) {
        run ok = {.method = CPAE_METHOD_AE, .precision = 64, .twist = twist, .x = x, .xv = xv};
        run plain = {.method = CPAE_METHOD_AE, .precision = 64, .x = x, .xv = xv};
        job ref = {&plain, NULL, 0, -1, NULL, 0, NULL, NULL, 0};
        fit_share(&ref);
        run_world(&ok, 3, jobs);
        for (int k = 0; k < 3; k++) {
            ck_assert_msg(jobs[k].status == CPAE_OK, "twist %d: rank %d status %d", twist, k,
                          (int)jobs[k].status);
            ck_assert(memcmp(jobs[k].weights, jobs[0].weights, (size_t)jobs[0].n_weights) == 0);
        }
        double diff = max_diff(ref.weights, jobs[0].weights, ref.n_weights);
        ck_assert_msg(diff <= 1e-9, "twist %d: %g from the ordinary fit", twist, diff);
        for (int k = 0; k < 3; k++)
            free(jobs[k].weights);
        free(ref.weights);
    }
    /* A process whose rows sum to 0 in a coordinate (the odd rows' first
     * value is 0; process 1 of 2 holds the odd rows): the column sums'
     * reduce is not mistaken for a failure. */
    float *xz = malloc(sizeof(float) * N * D);
    memcpy(xz, x, sizeof(float) * N * D);
    for (int64_t i = 1; i < N; i += 2)
        xz[i * D] = 0.0f;
    run zero = {.method = CPAE_METHOD_AE, .precision = 64, .x = xz, .xv = xv};
    job zref = {&zero, NULL, 0, -1, NULL, 0, NULL, NULL, 0};
    fit_share(&zref);
    run_world(&zero, 2, jobs);
    for (int k = 0; k < 2; k++)
        ck_assert_msg(jobs[k].status == CPAE_OK, "zero column sum: rank %d status %d", k,
                      (int)jobs[k].status);
    ck_assert(max_diff(zref.weights, jobs[0].weights, zref.n_weights) <= 1e-9);
    for (int k = 0; k < 2; k++)
        free(jobs[k].weights);
    free(zref.weights);
    free(xz);
    run differ = {.method = CPAE_METHOD_AE, .precision = 64, .twist = 3, .x = x, .xv = xv};
    run_world(&differ, 2, jobs);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(jobs[k].status, CPAE_E_MISMATCH);
        free(jobs[k].weights);
    }
    /* Argument checks. */
    const int64_t widths[] = {D, 10, 3};
    cpae_model *m = NULL;
    cpae_trainer *t = NULL;
    CK_OK(cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, 5, &m));
    CK_OK(cpae_trainer_create(m, NULL, CPAE_METHOD_AE, &t));
    int64_t ids[4] = {0, 1, 2, 2};
    CK_ERR(cpae_trainer_set_parallel(t, 4, 10, ids, NULL, reduce_sum, NULL), CPAE_E_SIZE); /* no data */
    CK_OK(cpae_trainer_set_data(t, x, 4, D));
    CK_ERR(cpae_trainer_set_parallel(t, 4, 10, ids, NULL, reduce_sum, NULL), CPAE_E_SIZE); /* repeated */
    ids[3] = 10;
    CK_ERR(cpae_trainer_set_parallel(t, 4, 10, ids, NULL, reduce_sum, NULL), CPAE_E_SIZE); /* range */
    ids[3] = 3;
    CK_ERR(cpae_trainer_set_parallel(t, 4, 3, ids, NULL, reduce_sum, NULL), CPAE_E_SIZE); /* n_global */
    CK_ERR(cpae_trainer_set_parallel(t, 4, 10, NULL, NULL, reduce_sum, NULL), CPAE_E_NULL);
    CK_ERR(cpae_trainer_set_parallel(NULL, 4, 10, ids, NULL, reduce_sum, NULL), CPAE_E_NULL);
    CK_OK(cpae_trainer_set_parallel(t, 4, 10, ids, NULL, reduce_sum, NULL));
    CK_OK(cpae_trainer_set_parallel(t, 0, 0, NULL, NULL, NULL, NULL)); /* back to one process */
    CK_OK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, 1));
    CK_OK(cpae_trainer_fit(t));
    cpae_trainer_destroy(t);
    cpae_model_destroy(m);
    free(x);
    free(xv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("parallel");
    TCase *tc = tcase_create("parallel");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_equivalence, 0, 2 * N_METHODS);
    tcase_add_test(tc, test_empty_shares);
    tcase_add_test(tc, test_faults);
    tcase_add_loop_test(tc, test_sharded_resume, 0, 4);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
