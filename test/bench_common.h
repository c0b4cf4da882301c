/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* bench_common.h -- what `make bench` (test/bench.c) and the step timer of
 * `make bench-peer` (test/bench_step.c) share: one benchmark row's settings
 * and the trainer keys they map to, the PyTorch-like initialisation, the
 * precision option, and a step timer built on the progress callback.
 *
 * Settings follow the PyTorch peer (../shared/peer/peer.py) so both targets
 * time the same step: Adam lr 1e-3, lambda 1 for the Lie terms, 0.01 for
 * lambda_J and lambda_H, noise and HOC sigma 0.1, 4 HOC copies, ball radius
 * 0.1, facet overshoot 1e-3, plain local form, exact form on a 33-point grid
 * over [-3, 3] anchored at training sample 0. The full flag -> key mapping
 * is in the header of test/bench_peer.py.
 *
 * Precision: when the library has the trainer key CPAE_P_PRECISION (key 16,
 * since 0.6), the trainer's precision is set from BENCH_PRECISION (32 or
 * 64; unset: the library default) and reported as "float32" / "float64";
 * without it the library trains in double and "float64" is reported. The
 * header declares CPAE_P_PRECISION as an enum constant, which #ifdef cannot
 * see, so the key is probed at run time with cpae_param_bounds (key numbers
 * are fixed forever): the benchmarks build against headers with and without
 * it and report what the library they run on does. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <dlfcn.h>
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

/* OpenBLAS's thread count, looked up at run time: libcpae links the generic
 * libblas.so.3, whose implementation Debian's alternatives choose, so
 * openblas_* may not exist. Under another BLAS, setting does nothing and
 * the count reads 0 (its own variable, e.g. OMP_NUM_THREADS, rules). */
static inline void *bench_blas_sym(const char *name)
{
    void *self = dlopen(NULL, RTLD_LAZY); /* the program and what it loaded */
    return self ? dlsym(self, name) : NULL;
}

static inline void bench_blas_set_threads(int n)
{
    void (*set)(int) = NULL;
    void *p = bench_blas_sym("openblas_set_num_threads");
    memcpy(&set, &p, sizeof set); /* ISO C has no object -> function cast */
    if (set)
        set(n);
}

static inline int bench_blas_threads(void)
{
    int (*get)(void) = NULL;
    void *p = bench_blas_sym("openblas_get_num_threads");
    memcpy(&get, &p, sizeof get);
    return get ? get() : 0;
}

static inline double bench_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline double bench_now(void)
{
    return bench_clock(CLOCK_MONOTONIC);
}

/* One benchmark configuration (the peer's flags, with its defaults). */
typedef struct bench_cfg {
    int32_t method;        /* cpae_method */
    int32_t sampler;       /* cpae_lie_sampler (local form) */
    int64_t neighbours;    /* K (local form) */
    int64_t generators;    /* k_G */
    int skew;              /* 1: CPAE_LIE_SKEW, 0: CPAE_LIE_GENERAL */
    int64_t batch;
    double lr;
    double lambda;         /* lambda_lie (Lie), lambda_J (contractive, HOC) */
    double lambda_h;       /* HOC lambda_H */
    double sigma;          /* denoising noise / HOC corruption std */
    int64_t copies;        /* HOC corruptions per sample */
    double delta;          /* ball radius */
    double facet_eps;      /* facet overshoot */
    double theta_max;      /* exact form grid half-width */
    int64_t grid;          /* exact form grid points */
    int64_t anchor;        /* exact form anchor sample */
    uint64_t seed;
} bench_cfg;

/* The peer's defaults (peer.py parse_args) for a method. */
static inline bench_cfg bench_cfg_default(int32_t method)
{
    bench_cfg c;
    memset(&c, 0, sizeof c);
    c.method = method;
    c.sampler = CPAE_SAMPLER_BALL;
    c.neighbours = 4;
    c.generators = 1;
    c.skew = 1;
    c.batch = 64;
    c.lr = 1e-3;
    c.lambda = method >= CPAE_METHOD_LIE_LOCAL ? 1.0 : 0.01;
    c.lambda_h = 0.01;
    c.sigma = 0.1;
    c.copies = 4;
    c.delta = 0.1;
    c.facet_eps = 1e-3;
    c.theta_max = 3.0;
    c.grid = 33;
    c.anchor = 0;
    c.seed = 0;
    return c;
}

/* Generators for a configuration (NULL for the methods without). */
static inline cpae_lie *bench_lie(const bench_cfg *c, int64_t d)
{
    cpae_lie *lie = NULL;
    if (c->method >= CPAE_METHOD_LIE_LOCAL)
        CHECK(cpae_lie_create(d, c->generators, c->skew ? CPAE_LIE_SKEW : CPAE_LIE_GENERAL,
                              c->seed + 2, &lie));
    return lie;
}

/* The precision key: the header's name when it is a macro, else its
 * fixed number. */
#ifdef CPAE_P_PRECISION
#define BENCH_P_PRECISION CPAE_P_PRECISION
#else
#define BENCH_P_PRECISION 16
#endif

/* Precision: the value set (BENCH_PRECISION) or the library default, as a
 * label. A library without the key trains in double. */
static inline const char *bench_precision(cpae_trainer *t, const char *request)
{
    static int warned = 0;
    double v = 0;
    if (cpae_param_bounds(BENCH_P_PRECISION, NULL, NULL, NULL) != CPAE_OK) {
        if (request && *request && atof(request) != 64 && !warned++)
            fprintf(stderr, "precision %s requested, but this libcpae has no "
                    "CPAE_P_PRECISION: it trains in float64\n", request);
        return "float64";
    }
    if (request && *request)
        CHECK(cpae_trainer_set_param(t, BENCH_P_PRECISION, atof(request)));
    CHECK(cpae_trainer_get_param(t, BENCH_P_PRECISION, &v));
    return v == 32 ? "float32" : v == 64 ? "float64" : "unknown";
}

/* Trainer keys for a configuration; returns the precision label. */
static inline const char *bench_configure(cpae_trainer *t, const bench_cfg *c,
                                          const char *precision)
{
    CHECK(cpae_trainer_set_param(t, CPAE_P_OPTIMIZER, CPAE_OPT_ADAM));
    CHECK(cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, c->lr));
    CHECK(cpae_trainer_set_param(t, CPAE_P_GENERATOR_LR, 1));
    CHECK(cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, (double)c->batch));
    CHECK(cpae_trainer_set_param(t, CPAE_P_SEED, (double)c->seed));
    /* A benchmark: no early stop on loss growth (the peer has none). */
    CHECK(cpae_trainer_set_param(t, CPAE_P_DIVERGENCE_FACTOR, 0));
    switch (c->method) {
    case CPAE_METHOD_DENOISING:
        CHECK(cpae_trainer_set_param(t, CPAE_P_NOISE_SIGMA, c->sigma));
        CHECK(cpae_trainer_set_param(t, CPAE_P_NOISE_MASK, 0));
        break;
    case CPAE_METHOD_CONTRACTIVE:
        CHECK(cpae_trainer_set_param(t, CPAE_P_W_CONTRACTIVE, c->lambda));
        break;
    case CPAE_METHOD_HOC:
        CHECK(cpae_trainer_set_param(t, CPAE_P_W_CONTRACTIVE, c->lambda));
        CHECK(cpae_trainer_set_param(t, CPAE_P_W_HIGHER_ORDER, c->lambda_h));
        CHECK(cpae_trainer_set_param(t, CPAE_P_HOC_SIGMA, c->sigma));
        CHECK(cpae_trainer_set_param(t, CPAE_P_HOC_COPIES, (double)c->copies));
        break;
    case CPAE_METHOD_LIE_LOCAL:
        CHECK(cpae_trainer_set_param(t, CPAE_P_W_LIE_LOCAL, c->lambda));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_FORM, CPAE_FORM_PLAIN));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_SAMPLER, c->sampler));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_NEIGHBOURS, (double)c->neighbours));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_DELTA, c->delta));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_FACET_EPS, c->facet_eps));
        break;
    case CPAE_METHOD_LIE_EXACT:
        CHECK(cpae_trainer_set_param(t, CPAE_P_W_LIE_EXACT, c->lambda));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_FORM, CPAE_FORM_PLAIN));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_THETA_MAX, c->theta_max));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_THETA_GRID, (double)c->grid));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_ANCHOR, (double)c->anchor));
        CHECK(cpae_trainer_set_param(t, CPAE_P_LIE_REANCHOR, 0));
        break;
    default:
        break;
    }
    return bench_precision(t, precision);
}

/* torch.nn.Linear's default initialisation, W and b ~ U(-1/sqrt(n_in),
 * 1/sqrt(n_in)), drawn from a seeded xorshift: the activation patterns, and
 * so the share of Lie pairs that are not skipped, then follow the same
 * distribution as in the peer. */
static inline void bench_torch_init(cpae_model *mdl, uint64_t seed)
{
    uint64_t s = 88172645463325252ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
    for (int32_t stack = CPAE_ENCODER; stack <= CPAE_DECODER; stack++) {
        int64_t nl;
        CHECK(cpae_model_n_layers(mdl, stack, &nl));
        for (int64_t l = 0; l < nl; l++) {
            int64_t ni, no;
            CHECK(cpae_model_layer_info(mdl, stack, l, &ni, &no, NULL, NULL));
            float *w = malloc(sizeof(float) * (size_t)(ni * no));
            float *b = malloc(sizeof(float) * (size_t)no);
            if (!w || !b) {
                fprintf(stderr, "out of memory\n");
                exit(2);
            }
            double bound = 1.0 / sqrt((double)ni);
            for (int64_t e = 0; e < ni * no + no; e++) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                double u = (double)(s >> 11) * 0x1.0p-53;
                float v = (float)((2 * u - 1) * bound);
                if (e < ni * no)
                    w[e] = v;
                else
                    b[e - ni * no] = v;
            }
            CHECK(cpae_model_set_layer_params(mdl, stack, l, w, ni * no, b, no));
            free(w);
            free(b);
        }
    }
}

/* Share of (sample, ball neighbour) pairs whose decoder region differs from
 * the sample's, for the model's current weights: every sample of x (n x
 * d) encoded, K draws z + delta u (u uniform on the unit sphere, own seeded
 * generator), codes compared. The trainer skips the other pairs, so this
 * is the share of the Lie local form's pair work a step does. */
static inline double bench_ball_crossing(const cpae_model *mdl, const float *x, int64_t n,
                                         int64_t d, int64_t K, double delta)
{
    int64_t nl, h, nb;
    CHECK(cpae_model_n_layers(mdl, CPAE_ENCODER, &nl));
    CHECK(cpae_model_layer_info(mdl, CPAE_ENCODER, nl - 1, NULL, &h, NULL, NULL));
    CHECK(cpae_model_code_bytes(mdl, CPAE_DECODER, &nb));
    float *z = malloc(sizeof(float) * (size_t)(n * h));
    float *zn = malloc(sizeof(float) * (size_t)(n * K * h));
    uint8_t *c0 = malloc((size_t)(n * nb)), *c1 = malloc((size_t)(n * K * nb));
    double *u = malloc(sizeof(double) * (size_t)h);
    if (!z || !zn || !c0 || !c1 || !u) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    CHECK(cpae_model_encode(mdl, x, n, d, z, n * h));
    uint64_t s = 0x2545F4914F6CDD1DULL;
    for (int64_t e = 0; e < n * K; e++) {
        double nrm2 = 0;
        for (int64_t j = 0; j < h; j++) { /* Box-Muller */
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            double a = fmax((double)(s >> 11) * 0x1.0p-53, 1e-300);
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            double b = (double)(s >> 11) * 0x1.0p-53;
            u[j] = sqrt(-2 * log(a)) * cos(6.283185307179586 * b);
            nrm2 += u[j] * u[j];
        }
        for (int64_t j = 0; j < h; j++)
            zn[e * h + j] = (float)(z[(e / K) * h + j] + delta * u[j] / sqrt(nrm2));
    }
    CHECK(cpae_model_codes(mdl, CPAE_DECODER, z, n, h, c0, n * nb));
    CHECK(cpae_model_codes(mdl, CPAE_DECODER, zn, n * K, h, c1, n * K * nb));
    int64_t diff = 0;
    for (int64_t e = 0; e < n * K; e++)
        diff += memcmp(c0 + (e / K) * nb, c1 + e * nb, (size_t)nb) != 0;
    free(z);
    free(zn);
    free(c0);
    free(c1);
    free(u);
    return (double)diff / (double)(n * K);
}

/* Step timer: the progress callback stamps wall and process-CPU time at
 * the end of chosen steps. After `warmup` untimed steps, `reps` segments of
 * `steps` steps each are timed back to back; the fit is then cancelled. */
#define BENCH_MAX_REPS 16
typedef struct bench_timer {
    int64_t warmup, steps, reps;
    int64_t done;                      /* steps seen */
    double wall[BENCH_MAX_REPS + 1];   /* stamps at the segment ends */
    double cpu[BENCH_MAX_REPS + 1];
    double terms[CPAE_N_LOSS_TERMS];   /* of the last step */
} bench_timer;

static inline int32_t bench_on_step(void *user, int64_t epoch, int64_t step,
                                    const double *terms, double validation, double seconds)
{
    (void)epoch, (void)validation, (void)seconds;
    bench_timer *bt = user;
    bt->done = step;
    int64_t k = step - bt->warmup;
    if (k >= 0 && k % bt->steps == 0 && k / bt->steps <= bt->reps) {
        bt->wall[k / bt->steps] = bench_now();
        bt->cpu[k / bt->steps] = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
    }
    if (k == bt->steps * bt->reps) {
        memcpy(bt->terms, terms, sizeof bt->terms);
        return 1; /* enough: cancel the fit */
    }
    return 0;
}

/* Run warmup + reps x steps steps (warmup >= 1: the first step also plans
 * the trainer). Fills the timer; exits on any status but the cancel. */
static inline void bench_run(cpae_trainer *t, bench_timer *bt, int64_t warmup, int64_t steps,
                             int64_t reps)
{
    memset(bt, 0, sizeof *bt);
    bt->warmup = warmup < 1 ? 1 : warmup;
    bt->steps = steps < 1 ? 1 : steps;
    bt->reps = reps < 1 ? 1 : reps > BENCH_MAX_REPS ? BENCH_MAX_REPS : reps;
    CHECK(cpae_trainer_set_param(t, CPAE_P_STEPS, 0));
    CHECK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, 1e9));
    CHECK(cpae_trainer_set_callback(t, bench_on_step, bt));
    int32_t st = cpae_trainer_fit(t);
    CHECK(cpae_trainer_set_callback(t, NULL, NULL));
    if (st != CPAE_E_CANCELLED) {
        fprintf(stderr, "cpae_trainer_fit ended with %s (%s) after %lld steps\n",
                cpae_status_string(st), cpae_last_error(), (long long)bt->done);
        exit(2);
    }
}

/* Seconds per step of the fastest segment (and its CPU seconds). */
static inline double bench_best(const bench_timer *bt, double *cpu)
{
    double best = INFINITY, bc = 0;
    for (int64_t r = 0; r < bt->reps; r++) {
        double w = (bt->wall[r + 1] - bt->wall[r]) / (double)bt->steps;
        if (w < best) {
            best = w;
            bc = (bt->cpu[r + 1] - bt->cpu[r]) / (double)bt->steps;
        }
    }
    if (cpu)
        *cpu = bc;
    return best;
}

#endif
