/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* bench_step.c -- libcpae's training-step timer for `make bench-peer`. Its
 * flags mirror the PyTorch peer's peer.py (../shared/peer), so the driver
 * (test/bench_peer.py) can give both programs the same settings; like
 * peer.py it prints one JSON line with seconds_per_step.
 *
 *   build/bench_step --train F_TRAIN.tsv [--test F] --arch 140,64,16
 *       --method ae|dae|contractive|hoc|lie|lie_exact [--contractive]
 *       [--batch 64] [--steps 100] [--warmup 10] [--lr 1e-3] [--seed 0]
 *       [--lambda L] [--lambda-h 0.01] [--sigma 0.1] [--nc 4]
 *       [--neighbors 4] [--sampler data|ball|facet] [--delta 0.1]
 *       [--facet-eps 1e-3] [--generators 1] [--skew]
 *       [--theta-max 3] [--grid 33] [--anchor 0]
 *       [--threads N] [--init torch|he] [--precision 32|64]
 *   (a data file may also be given as the last argument instead of --train)
 *
 * Defaults are peer.py's: lambda 1 for lie / lie_exact, 0.01 (lambda_J)
 * otherwise; G general unless --skew. --contractive turns hoc into
 * contractive, as peerx.py does. --threads sets OpenBLAS's thread count.
 * --init torch (default) redraws the weights like torch.nn.Linear.
 * --precision sets CPAE_P_PRECISION when the library has it (without it a
 * warning: the library trains in float64; BENCH_PRECISION is the fallback,
 * the library default the last; "precision" in the output says which ran).
 * Accepted for the
 * driver's convenience and ignored: --test, --jacobian tangent, --expm,
 * --gn-steps (libcpae has no such keys; its exact form chooses the skew or
 * general path from the generator and refines theta by Gauss-Newton to
 * convergence), --dtype.
 *
 * Timing: the progress callback stamps the end of step W (the warm-up; at
 * least 1, the step that plans the trainer) and of step W + N; the span
 * over N is seconds_per_step (wall) and cpu_seconds_per_step (process CPU).
 * Training goes through the public API only (cpae_trainer_fit on the
 * loaded file: Adam, seeded shuffles, full batches). */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_common.h"

/* Value of flag `key` (NULL if absent); a flag without a value is "1". */
static const char *flag(int argc, char **argv, const char *key, const char *def)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], key))
            return i + 1 < argc && strncmp(argv[i + 1], "--", 2) ? argv[i + 1] : "1";
    return def;
}

static const char *const KNOWN[] = {
    "--train", "--test", "--arch", "--method", "--contractive", "--batch", "--steps",
    "--warmup", "--lr", "--seed", "--lambda", "--lambda-h", "--sigma", "--nc", "--neighbors",
    "--sampler", "--delta", "--facet-eps", "--generators", "--skew", "--theta-max", "--grid",
    "--anchor", "--threads", "--init", "--precision", "--jacobian", "--expm", "--gn-steps",
    "--dtype"};

static _Noreturn void usage(const char *msg, const char *what)
{
    fprintf(stderr, "bench_step: %s%s%s (see the header of test/bench_step.c)\n", msg,
            what ? " " : "", what ? what : "");
    exit(2);
}

int main(int argc, char **argv)
{
    /* Every "--" argument must be known; a bare last argument is the data. */
    const char *data = NULL;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2)) {
            if (i == argc - 1 && (i == 1 || strncmp(argv[i - 1], "--", 2) ||
                                  !strcmp(argv[i - 1], "--skew") ||
                                  !strcmp(argv[i - 1], "--contractive")))
                data = argv[i];
            continue;
        }
        int ok = 0;
        for (size_t k = 0; k < sizeof KNOWN / sizeof KNOWN[0]; k++)
            ok |= !strcmp(argv[i], KNOWN[k]);
        if (!ok)
            usage("unknown flag", argv[i]);
    }
    const char *train = flag(argc, argv, "--train", data);
    const char *archs = flag(argc, argv, "--arch", "140,64,16");
    const char *meth = flag(argc, argv, "--method", "ae");
    const char *sampler = flag(argc, argv, "--sampler", "ball");
    const char *init = flag(argc, argv, "--init", "torch");
    const char *jac = flag(argc, argv, "--jacobian", "tangent");
    const char *prec = flag(argc, argv, "--precision", getenv("BENCH_PRECISION"));
    if (!train)
        usage("a data file is required", "(--train F)");
    if (strcmp(jac, "tangent"))
        usage("only --jacobian tangent is libcpae's", NULL);

    int32_t method;
    if (!strcmp(meth, "ae"))
        method = CPAE_METHOD_AE;
    else if (!strcmp(meth, "dae"))
        method = CPAE_METHOD_DENOISING;
    else if (!strcmp(meth, "contractive"))
        method = CPAE_METHOD_CONTRACTIVE;
    else if (!strcmp(meth, "hoc"))
        method = flag(argc, argv, "--contractive", NULL) ? CPAE_METHOD_CONTRACTIVE
                                                          : CPAE_METHOD_HOC;
    else if (!strcmp(meth, "lie"))
        method = CPAE_METHOD_LIE_LOCAL;
    else if (!strcmp(meth, "lie_exact"))
        method = CPAE_METHOD_LIE_EXACT;
    else
        usage("unknown method", meth);

    static const char *const LABEL[] = {"ae", "dae", "contractive", "hoc", "lie", "lie_exact"};
    bench_cfg c = bench_cfg_default(method);
    c.batch = atoll(flag(argc, argv, "--batch", "64"));
    c.lr = atof(flag(argc, argv, "--lr", "1e-3"));
    c.seed = (uint64_t)atoll(flag(argc, argv, "--seed", "0"));
    if (flag(argc, argv, "--lambda", NULL))
        c.lambda = atof(flag(argc, argv, "--lambda", NULL));
    c.lambda_h = atof(flag(argc, argv, "--lambda-h", "0.01"));
    c.sigma = atof(flag(argc, argv, "--sigma", "0.1"));
    c.copies = atoll(flag(argc, argv, "--nc", "4"));
    c.neighbours = atoll(flag(argc, argv, "--neighbors", "4"));
    c.sampler = !strcmp(sampler, "data")    ? CPAE_SAMPLER_DATA
                : !strcmp(sampler, "ball")  ? CPAE_SAMPLER_BALL
                : !strcmp(sampler, "facet") ? CPAE_SAMPLER_FACET
                                            : -1;
    if (c.sampler < 0)
        usage("unknown sampler", sampler);
    c.delta = atof(flag(argc, argv, "--delta", "0.1"));
    c.facet_eps = atof(flag(argc, argv, "--facet-eps", "1e-3"));
    c.generators = atoll(flag(argc, argv, "--generators", "1"));
    c.skew = flag(argc, argv, "--skew", NULL) != NULL;
    c.theta_max = atof(flag(argc, argv, "--theta-max", "3"));
    c.grid = atoll(flag(argc, argv, "--grid", "33"));
    c.anchor = atoll(flag(argc, argv, "--anchor", "0"));
    int64_t steps = atoll(flag(argc, argv, "--steps", "100"));
    int64_t warmup = atoll(flag(argc, argv, "--warmup", "10"));
    int threads = atoi(flag(argc, argv, "--threads", "0"));
    if (steps < 1)
        usage("--steps must be >= 1", NULL);
    if (warmup < 1)
        warmup = 1; /* the first step plans the trainer */
    if (threads > 0)
        bench_blas_set_threads(threads);

    int64_t w[CPAE_MAX_LAYERS], nw = 0;
    for (const char *p = archs; *p && nw < CPAE_MAX_LAYERS;) {
        w[nw++] = atoll(p);
        const char *comma = strchr(p, ',');
        if (!comma)
            break;
        p = comma + 1;
    }
    cpae_dataset *ds = NULL;
    int64_t n, d;
    const float *x;
    CHECK(cpae_dataset_load(train, CPAE_FORMAT_UCR, &ds));
    CHECK(cpae_dataset_info(ds, &n, &d, NULL));
    CHECK(cpae_dataset_data(ds, &x));
    if (nw < 2 || w[0] != d) {
        fprintf(stderr, "bench_step: --arch starts with %lld but the series have length %lld\n",
                (long long)w[0], (long long)d);
        return 2;
    }

    cpae_model *mdl = NULL;
    cpae_trainer *t = NULL;
    CHECK(cpae_model_create_mirrored(w, nw, CPAE_ACT_RELU, c.seed + 1, &mdl));
    if (!strcmp(init, "torch"))
        bench_torch_init(mdl, c.seed);
    else if (strcmp(init, "he"))
        usage("unknown --init", init);
    cpae_lie *lie = bench_lie(&c, d);
    CHECK(cpae_trainer_create(mdl, lie, method, &t));
    const char *precision = bench_configure(t, &c, prec);
    CHECK(cpae_trainer_set_data(t, x, n, d));

    bench_timer bt;
    double cpu = 0;
    bench_run(t, &bt, warmup, steps, 1);
    double wall = bench_best(&bt, &cpu);

    /* Share of Lie pairs in another region (the peer reports its own as
     * final_frac_diff_pairs): ball draws around every sample, at the final
     * weights; every facet neighbour crosses. */
    double crossing = -1;
    if (method == CPAE_METHOD_LIE_LOCAL && c.sampler != CPAE_SAMPLER_DATA)
        crossing = c.sampler == CPAE_SAMPLER_BALL
                       ? bench_ball_crossing(mdl, x, n, d, c.neighbours, c.delta)
                       : 1.0;
    int64_t workspace = 0; /* the trainer's own memory (docs/performance.md, Memory) */
    CHECK(cpae_trainer_workspace_size(t, &workspace));
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const char *ob = getenv("OPENBLAS_NUM_THREADS");
    printf("{\"impl\": \"libcpae\", \"version\": \"%s\", \"method\": \"%s\", \"d\": %lld, "
           "\"arch\": \"%s\", \"batch\": %lld, \"steps\": %lld, \"warmup\": %lld, "
           "\"seconds_per_step\": %.6f, \"cpu_seconds_per_step\": %.6f, \"precision\": \"%s\", "
           "\"lambda\": %g, \"sampler\": \"%s\", \"neighbors\": %lld, \"delta\": %g, "
           "\"facet_eps\": %g, \"generators\": %lld, \"skew\": %s, \"theta_max\": %g, "
           "\"grid\": %lld, \"init\": \"%s\", \"blas_threads\": %d, \"crossing_after\": %.4f, "
           "\"final_rec\": %.6g, "
           "\"final_total\": %.6g, \"workspace_bytes\": %lld, \"maxrss_kb\": %ld, "
           "\"OPENBLAS_NUM_THREADS\": \"%s\"}\n",
           cpae_version_string(), LABEL[method], (long long)d, archs, (long long)c.batch,
           (long long)steps, (long long)warmup, wall, cpu, precision, c.lambda, sampler,
           (long long)c.neighbours, c.delta, c.facet_eps, (long long)c.generators,
           c.skew ? "true" : "false", c.theta_max, (long long)c.grid, init,
           bench_blas_threads(), crossing, bt.terms[CPAE_TERM_RECONSTRUCTION],
           bt.terms[CPAE_TERM_TOTAL], (long long)workspace, ru.ru_maxrss, ob ? ob : "");
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    cpae_model_destroy(mdl);
    cpae_dataset_destroy(ds);
    return 0;
}
