/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* bench.c -- `make bench`: ms per training step and achieved GFLOP/s of
 * every method of issue 11 on its two reference shapes,
 *   (a) d = 140, encoder 140-64-16, decoder mirrored;
 *   (b) d = 784, encoder 784-256-64-16, decoder mirrored;
 * ReLU, batch 64, Adam, one generator, against the single-thread sgemm and
 * dgemm peaks measured in the same run. A benchmark, not a test: it prints
 * one Markdown table.
 *
 *   build/bench [SECONDS]    SECONDS: timed budget per row (default 3)
 *   BENCH_PRECISION=32|64    trainer precision (when the library has
 *                            CPAE_P_PRECISION; see bench_common.h)
 *   BENCH_SLOW=1             also run rows predicted to take minutes a step
 *
 * Rows: AE, denoising, contractive, higher-order contractive, Lie local
 * (ball and facet sampler, K = 1 and 4), Lie exact (skew and general G).
 * Settings are those of the PyTorch peer (bench_common.h): lambda 1 for the
 * Lie terms, ball radius 0.1, facet overshoot 1e-3, exact-form grid of 33
 * points over [-3, 3]. Data: 640 cyclic-shift orbit samples like the peer's
 * synth.py (a random band-limited signal, |k| <= 5 at d = 140 and <= 20 at
 * d = 784, z-normalised, shifted by theta ~ U[-d/2, d/2]); the library's
 * own (He-uniform) initialisation.
 *
 * Timing: a calibration fit of 2 steps (the second one timed) sizes N; a
 * second fit takes one untimed step, then R = 5 back-to-back segments of N
 * steps that fill the budget; ms/step is the fastest segment. A row whose
 * step takes more than a fifth of the budget gets fewer segments of one
 * step each (its "timed" column says how many), and its calibration step
 * counts as one more candidate; the general-G exact row at
 * (b) is not run when the (a) row, scaled by (784/140)^3, predicts more
 * than 60 s per step (the Pade path, d^3 per sample, when theta_max
 * ||G||_1 is too large for the action table; the action path itself costs
 * O(d^2 h) per Taylor term for the whole batch) unless BENCH_SLOW=1.
 *
 * FLOPs per step count the dense work each method must do, in GEMM terms
 * (2 flops per multiply-add; backward = 2 x forward), with m = 64, P_E =
 * sum of n_in n_out over the encoder (= P_D, the decoder's), P = 2 P_E, h
 * the bottleneck, n_l the last hidden width, K the neighbours, n_c = 4:
 *   reconstruction (every method)     6 m P
 *   contractive, M = m              + 6 M h P_E'           (encoder tangents above the
 *   higher-order contractive,                               first layer, P_E' = P_E - d n_1)
 *     M = m (1 + n_c)               + 4 M h n_1^2 + 4 n_1^2 d  (the first layer through its
 *                                                           Gram matrix: V C, V^T D, C, G W)
 *   Lie local, P pairs              + 6 (m + P) h P_D'     (decoder tangents of the samples
 *                                                           and neighbours from the second
 *                                                           layer to the last hidden one,
 *                                                           P_D' = P_D - n_l d - h n_1')
 *                                   + 12 P h n_l d         (Delta = (T - T') W^L, (G W^L) T')
 *                                   + 6 d^2 n_l            (G W^L)
 *   Lie exact                       + 6 (m + 1) h (P_D - h n_1')  (tangents of samples and
 *                                                           anchor)
 *                                   + 6 m d^2 h            (one dense exp(theta_i G) A_0 each)
 * where n_1' is the decoder's first width: its tangents are copies of its
 * weights (W^0 times identity blocks), not a GEMM, and are not counted.
 * P counts only the pairs that cross a region boundary (the others have
 * residual 0 and are skipped): P = m K for the facet sampler (every
 * neighbour is past a facet), P = c m K for the ball sampler with c, the
 * "crossing" column, measured after the timed steps (bench_ball_crossing:
 * K ball draws around every training sample). The facet search reuses the
 * samples' tangents and adds nothing. The exact count leaves out the theta
 * search and the eigendecomposition / Pade work, so its GFLOP/s is a lower
 * bound.
 *
 * Peaks: cblas_sgemm and cblas_dgemm on one OpenBLAS thread, at the
 * step's own shapes (stacked tangent rows m h = 1024 against the layer
 * widths), best of 3 runs of >= 100 ms per shape, best shape per reference
 * shape, measured before and after the rows (the better of the two). The %
 * columns are achieved GFLOP/s over those peaks.
 *
 * Isolation: the peaks and every row run in a forked child process, so no
 * row inherits the allocator state of another (see in_child). */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

#define N_ROWS 10
#define N_SEGMENTS 5

typedef struct row {
    const char *name;
    int32_t method, sampler;
    int64_t K;
    int skew;
} row;

static const row ROWS[N_ROWS] = {
    {"AE", CPAE_METHOD_AE, CPAE_SAMPLER_BALL, 1, 1},
    {"denoising", CPAE_METHOD_DENOISING, CPAE_SAMPLER_BALL, 1, 1},
    {"contractive", CPAE_METHOD_CONTRACTIVE, CPAE_SAMPLER_BALL, 1, 1},
    {"higher-order contractive", CPAE_METHOD_HOC, CPAE_SAMPLER_BALL, 1, 1},
    {"Lie local, ball, K = 1", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_BALL, 1, 1},
    {"Lie local, ball, K = 4", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_BALL, 4, 1},
    {"Lie local, facet, K = 1", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_FACET, 1, 1},
    {"Lie local, facet, K = 4", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_FACET, 4, 1},
    {"Lie exact, skew G", CPAE_METHOD_LIE_EXACT, CPAE_SAMPLER_BALL, 1, 1},
    {"Lie exact, general G", CPAE_METHOD_LIE_EXACT, CPAE_SAMPLER_BALL, 1, 0},
};

/* ------------------------------------------------------------- GEMM peak */

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* Best GFLOP/s of C = A B (M x K times K x N, row-major) over 3 runs of at
 * least 100 ms each, in single (dbl 0) or double precision. */
static double gemm_rate(int dbl, int M, int N, int K)
{
    size_t sz = dbl ? sizeof(double) : sizeof(float);
    void *a = xmalloc(sz * (size_t)M * (size_t)K), *b = xmalloc(sz * (size_t)K * (size_t)N),
         *c = xmalloc(sz * (size_t)M * (size_t)N);
    for (size_t e = 0; e < (size_t)M * (size_t)K; e++) {
        if (dbl)
            ((double *)a)[e] = 1e-3 * (double)(e % 997);
        else
            ((float *)a)[e] = 1e-3f * (float)(e % 997);
    }
    for (size_t e = 0; e < (size_t)K * (size_t)N; e++) {
        if (dbl)
            ((double *)b)[e] = 1e-3 * (double)(e % 991);
        else
            ((float *)b)[e] = 1e-3f * (float)(e % 991);
    }
    double flops = 2.0 * M * N * K, best = 0;
    int64_t iters = 1;
    for (int rep = 0; rep < 4; rep++) { /* rep 0: calibrate and warm up */
        double t0 = bench_now(), el;
        for (int64_t i = 0; i < iters; i++) {
            if (dbl)
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0, a, K, b, N,
                            0.0, c, N);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a, K, b,
                            N, 0.0f, c, N);
        }
        el = bench_now() - t0;
        if (rep == 0) {
            iters = (int64_t)ceil(0.1 / fmax(el, 1e-6)) + 1;
            continue;
        }
        if (flops * (double)iters / el > best)
            best = flops * (double)iters / el;
    }
    free(a);
    free(b);
    free(c);
    return best * 1e-9;
}

/* Peak of one precision over the step's shapes (M, N, K). */
static double gemm_peak(int dbl, const int (*shapes)[3], int n)
{
    double best = 0;
    for (int i = 0; i < n; i++) {
        double r = gemm_rate(dbl, shapes[i][0], shapes[i][1], shapes[i][2]);
        if (r > best)
            best = r;
    }
    return best;
}

/* ------------------------------------------------------------- isolation */

/* Run fn(arg, out) in a forked child and copy its `size` bytes of output
 * back. Every row (and the peak measurement) runs in a fresh child: glibc
 * raises its mmap and trim thresholds after large blocks are freed, so in
 * one process each row would inherit the allocator state the earlier rows
 * (or the GEMM buffers) left behind and page-fault less than a program
 * that trains one model. The parent allocates and frees no large block. */
typedef void (*child_fn)(const void *arg, void *out);
static void in_child(child_fn fn, const void *arg, void *out, size_t size)
{
    int fd[2];
    if (pipe(fd)) {
        perror("bench: pipe");
        exit(2);
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        exit(2);
    }
    if (pid == 0) {
        close(fd[0]);
        fn(arg, out);
        const char *p = out;
        for (size_t left = size; left > 0;) {
            ssize_t k = write(fd[1], p, left);
            if (k <= 0)
                _exit(3);
            p += k;
            left -= (size_t)k;
        }
        _exit(0);
    }
    close(fd[1]);
    size_t got = 0;
    while (got < size) {
        ssize_t k = read(fd[0], (char *)out + got, size - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || got != size || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: a measurement (child %ld) failed\n", (long)pid);
        exit(2);
    }
}

/* Single-thread peaks (whatever the run's own thread count). */
typedef struct peaks {
    double s[2], d[2];
} peaks;

/* The step's own GEMM shapes (M, N, K) per reference shape: stacked
 * tangent rows m h = 1024 against the layer widths. */
static const int GSHAPE[2][3][3] = {
    {{1024, 140, 64}, {140, 1024, 64}, {1024, 64, 140}},
    {{784, 2048, 256}, {1024, 784, 256}, {256, 1024, 784}},
};

static void measure_peaks(const void *arg, void *out)
{
    (void)arg;
    peaks *pk = out;
    bench_blas_set_threads(1);
    for (int sh = 0; sh < 2; sh++) {
        pk->s[sh] = gemm_peak(0, GSHAPE[sh], 3);
        pk->d[sh] = gemm_peak(1, GSHAPE[sh], 3);
    }
}

/* ------------------------------------------------------------------ data */

/* n cyclic-shift orbit samples of a random band-limited signal (|k| <=
 * kmax, no DC), z-normalised, shifts theta ~ U[-d/2, d/2] (as synth.py). */
static float *orbit_data(int64_t n, int64_t d, int64_t kmax, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
#define U01() (s = s * 6364136223846793005ULL + 1442695040888963407ULL, \
               (double)(s >> 11) * 0x1.0p-53)
    double *re = xmalloc(sizeof(double) * (size_t)(kmax + 1));
    double *im = xmalloc(sizeof(double) * (size_t)(kmax + 1));
    for (int64_t k = 1; k <= kmax; k++) { /* normal coefficients (Box-Muller) */
        double u = fmax(U01(), 1e-300), v = U01(), r = sqrt(-2 * log(u));
        re[k] = r * cos(6.283185307179586 * v);
        im[k] = r * sin(6.283185307179586 * v);
    }
    /* std of the signal: Parseval, x[j] = sum_k 2 |c_k| cos(w_k j + phi_k) */
    double var = 0;
    for (int64_t k = 1; k <= kmax; k++)
        var += 2 * (re[k] * re[k] + im[k] * im[k]);
    double scale = 1.0 / sqrt(var);
    float *x = xmalloc(sizeof(float) * (size_t)(n * d));
    for (int64_t i = 0; i < n; i++) {
        double theta = (U01() - 0.5) * (double)d;
        for (int64_t j = 0; j < d; j++) {
            double v = 0;
            for (int64_t k = 1; k <= kmax; k++) {
                double w = 6.283185307179586 * (double)k * ((double)j + theta) / (double)d;
                v += 2 * (re[k] * cos(w) - im[k] * sin(w));
            }
            x[i * d + j] = (float)(v * scale);
        }
    }
#undef U01
    free(re);
    free(im);
    return x;
}

/* ----------------------------------------------------------------- FLOPs */

static double step_flops(const row *r, const int64_t *w, int64_t nw, int64_t m, double crossing)
{
    double PE = 0;
    for (int64_t i = 0; i + 1 < nw; i++)
        PE += (double)w[i] * (double)w[i + 1];
    double P = 2 * PE, d = (double)w[0], h = (double)w[nw - 1], nl = (double)w[1];
    double first = h * (double)w[nw - 2]; /* the decoder's first layer: copies */
    double K = (double)r->K, mm = (double)m, nc = 4;
    double f = 6 * mm * P;
    switch (r->method) {
    case CPAE_METHOD_CONTRACTIVE:
    case CPAE_METHOD_HOC: {
        double M = r->method == CPAE_METHOD_HOC ? mm * (1 + nc) : mm;
        f += 6 * M * h * (PE - d * nl) + 4 * M * h * nl * nl + 4 * nl * nl * d;
        break;
    }
    case CPAE_METHOD_LIE_LOCAL: {
        double pairs = crossing * mm * K;
        f += 6 * (mm + pairs) * h * (PE - nl * d - first) + 12 * pairs * h * nl * d +
             6 * d * d * nl;
        break;
    }
    case CPAE_METHOD_LIE_EXACT:
        f += 6 * (mm + 1) * h * (PE - first) + 6 * mm * d * d * h;
        break;
    default:
        break;
    }
    return f;
}

/* ------------------------------------------------------------------ main */

typedef struct result {
    double ms;       /* best ms per step; NAN: not run */
    int64_t reps, steps;
    double predicted_s;
    double crossing; /* Lie local: share of pairs crossing a region boundary */
    char precision[16];
} result;

typedef struct row_job {
    const row *r;
    const int64_t *w;
    int64_t nw, n;
    const float *x;
    double budget;
} row_job;

static void run_row(const void *arg, void *out)
{
    const row_job *job = arg;
    const row *r = job->r;
    const int64_t *w = job->w, nw = job->nw, n = job->n;
    const float *x = job->x;
    double budget = job->budget;
    result res = {NAN, 0, 0, NAN, NAN, ""};
    bench_cfg c = bench_cfg_default(r->method);
    c.sampler = r->sampler;
    c.neighbours = r->K;
    c.skew = r->skew;
    cpae_model *mdl = NULL;
    cpae_trainer *t = NULL;
    CHECK(cpae_model_create_mirrored(w, nw, CPAE_ACT_RELU, 1, &mdl));
    cpae_lie *lie = bench_lie(&c, w[0]);
    CHECK(cpae_trainer_create(mdl, lie, r->method, &t));
    snprintf(res.precision, sizeof res.precision, "%s",
             bench_configure(t, &c, getenv("BENCH_PRECISION")));
    CHECK(cpae_trainer_set_data(t, x, n, w[0]));
    bench_timer bt;
    bench_run(t, &bt, 1, 1, 1); /* calibration: step 1 plans, step 2 is timed */
    double t_step = bench_best(&bt, NULL);
    int64_t reps = N_SEGMENTS, steps = (int64_t)floor(budget / ((double)reps * t_step));
    if (steps < 1) {
        steps = 1;
        reps = (int64_t)floor(budget / t_step);
        reps = reps < 1 ? 1 : reps > N_SEGMENTS ? N_SEGMENTS : reps;
    }
    if (steps > 100000)
        steps = 100000;
    bench_run(t, &bt, 1, steps, reps);
    double best = bench_best(&bt, NULL);
    /* Slow rows: the calibration step is one more candidate. */
    res.ms = 1e3 * (reps < N_SEGMENTS ? fmin(best, t_step) : best);
    res.reps = reps;
    res.steps = steps;
    if (r->method == CPAE_METHOD_LIE_LOCAL)
        res.crossing = r->sampler == CPAE_SAMPLER_BALL
                           ? bench_ball_crossing(mdl, x, n, w[0], r->K, c.delta)
                           : 1.0;
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    cpae_model_destroy(mdl);
    *(result *)out = res;
}

int main(int argc, char **argv)
{
    double budget = argc > 1 && atof(argv[1]) > 0 ? atof(argv[1]) : 3.0;
    int slow = getenv("BENCH_SLOW") && atoi(getenv("BENCH_SLOW")) == 1;
    const int64_t widths[2][4] = {{140, 64, 16, 0}, {784, 256, 64, 16}};
    const int64_t nw[2] = {3, 4}, kmax[2] = {5, 20}, m = 64, n = 640;
    const char *shape_name[2] = {"(a) 140-64-16", "(b) 784-256-64-16"};

    double t_start = bench_now();
    int threads = bench_blas_threads();
    peaks pk0, pk1;
    in_child(measure_peaks, NULL, &pk0, sizeof pk0);

    result res[2][N_ROWS];
    const char *precision = "float64";
    float *xs[2]; /* freed at the end: see in_child */
    for (int sh = 0; sh < 2; sh++)
        xs[sh] = orbit_data(n, widths[sh][0], kmax[sh], 1 + (uint64_t)sh);
    for (int sh = 0; sh < 2; sh++) {
        for (int i = 0; i < N_ROWS; i++) {
            const row *r = &ROWS[i];
            if (sh == 1 && r->method == CPAE_METHOD_LIE_EXACT && !r->skew && !slow) {
                double ratio = pow((double)widths[1][0] / (double)widths[0][0], 3);
                double pred = 1e-3 * res[0][i].ms * ratio;
                if (!(pred <= 60.0)) {
                    res[sh][i] = (result){NAN, 0, 0, pred, NAN, ""};
                    continue;
                }
            }
            row_job job = {r, widths[sh], nw[sh], n, xs[sh], budget};
            in_child(run_row, &job, &res[sh][i], sizeof res[sh][i]);
            precision = res[sh][i].precision;
            fprintf(stderr, "bench: %s %s: %.3f ms/step\n", shape_name[sh], r->name,
                    res[sh][i].ms);
        }
    }
    /* Peaks again after the rows: the better of the two, so a busy moment
     * on a shared machine does not set the bar. */
    in_child(measure_peaks, NULL, &pk1, sizeof pk1);
    double speak[2], dpeak[2];
    for (int sh = 0; sh < 2; sh++) {
        speak[sh] = fmax(pk0.s[sh], pk1.s[sh]);
        dpeak[sh] = fmax(pk0.d[sh], pk1.d[sh]);
    }

    printf("\n### libcpae training step, %s, %d OpenBLAS thread%s, batch 64, Adam, ReLU, "
           "one generator\n\n",
           precision, threads, threads == 1 ? "" : "s");
    printf("Single-thread GEMM peaks measured in this run (GFLOP/s): (a) sgemm %.1f, dgemm %.1f; "
           "(b) sgemm %.1f, dgemm %.1f. Budget %.1f s per row; FLOPs counted as in the header "
           "of test/bench.c (Lie exact: a lower bound).\n\n",
           speak[0], dpeak[0], speak[1], dpeak[1], budget);
    printf("| shape | method | ms/step | GFLOP/s | %% sgemm peak | %% dgemm peak | crossing | "
           "timed |\n");
    printf("|---|---|---:|---:|---:|---:|---:|---|\n");
    int fewer = 0, skipped = 0;
    for (int sh = 0; sh < 2; sh++)
        for (int i = 0; i < N_ROWS; i++) {
            const result *q = &res[sh][i];
            if (isnan(q->ms)) {
                printf("| %s | %s | not run | | | | | predicted %.0f s/step (note 2) |\n",
                       shape_name[sh], ROWS[i].name, q->predicted_s);
                skipped = 1;
                continue;
            }
            double gf = step_flops(&ROWS[i], widths[sh], nw[sh], m, q->crossing) / (q->ms * 1e6);
            int few = q->reps < N_SEGMENTS;
            fewer |= few;
            char cross[16] = "";
            if (!isnan(q->crossing))
                snprintf(cross, sizeof cross, "%.2f", q->crossing);
            printf("| %s | %s | %.2f | %.2f | %.1f | %.1f | %s | %lld x %lld%s |\n",
                   shape_name[sh], ROWS[i].name, q->ms, gf, 100 * gf / speak[sh],
                   100 * gf / dpeak[sh], cross, (long long)q->reps, (long long)q->steps,
                   few ? " (note 1)" : "");
        }
    printf("\n'crossing': share of the Lie local pairs in another region than their sample "
           "(the others are skipped; FLOPs count only these). 'timed': segments x steps per "
           "segment, after a 2-step calibration fit and one untimed step; ms/step is the fastest "
           "segment.\n");
    if (fewer)
        printf("Note 1: a slow row, timed over fewer segments of one step each (best of those "
               "and the calibration step).\n");
    if (skipped)
        printf("Note 2: not run; the prediction is the (a) row scaled by (784/140)^3 (a Pade "
               "expm per sample); BENCH_SLOW=1 runs it.\n");
    printf("Total %.0f s.\n", bench_now() - t_start);
    free(xs[0]);
    free(xs[1]);
    return 0;
}
