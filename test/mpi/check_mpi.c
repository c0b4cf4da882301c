/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_mpi.c -- libcpae-mpi under mpirun (test/mpi/run.sh runs it with 1,
 * 2 and 3 processes). Each process takes its share of SyntheticControl's
 * training rows (shipped) and fits; checked for every method the core
 * parallelises and both modes: the weights are identical on every process
 * (a hash of their bytes, gathered), and equal to the single-process fit
 * each process also runs on all the rows (double precision: the same
 * weights up to the allreduce's summation order, 1e-9; in practice 0). A
 * process whose fit is refused makes the others return CPAE_E_REMOTE;
 * rank 0 saves the model for all. cpae_mpi_sum in the reproducible mode
 * is checked directly: bit for bit the binomial tree's order, computed
 * here from every rank's inputs (regenerated from a seed), identical on
 * every process, over one and several chunks. Prints "ok ..." lines on
 * rank 0; exit status 0 iff every check passed on every process. */
#include "cpae_mpi.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA "examples/data/ucr/SyntheticControl/SyntheticControl_TRAIN.tsv.gz"

static int rank, size, failures;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "rank %d: FAIL %s:%d: ", rank, __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fprintf(stderr, " (%s)\n", cpae_last_error());                  \
            failures++;                                                     \
        }                                                                   \
    } while (0)

static uint64_t fnv(const uint8_t *b, int64_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (int64_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* The reproducible mode's chunk in mpi/cpae_mpi.c (TREE_CHUNK). */
#define TREE_CHUNK ((int64_t)1 << 20)

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Rank r's value at element e for a seed, the same on every process:
 * every seventh element 1e16, 1 or -1e16 by rank (cancellation), the rest
 * of either sign with magnitudes from 2^-20 to 2^40, so the order of the
 * additions shows in the bits. */
static double input(uint64_t seed, int r, int64_t e)
{
    if (e % 7 == 0)
        return r % 3 == 0 ? 1e16 : r % 3 == 1 ? 1.0 : -1e16;
    uint64_t h = mix(seed ^ mix(((uint64_t)r << 40) ^ (uint64_t)e));
    double u = (double)(h >> 11) * 0x1p-53;
    return ldexp(h & 0x40 ? -u : u, (int)((h & 0x3f) % 61) - 20);
}

/* The binomial tree's sum of a[0..P), written as the pairs of each round
 * (in round s, a[r] + a[r + 2^s] for r a multiple of 2^(s+1)); a is
 * overwritten. */
static double tree_sum(double *a, int P)
{
    for (int step = 1; step < P; step *= 2)
        for (int r = 0; r + step < P; r += 2 * step)
            a[r] = a[r] + a[r + step];
    return a[0];
}

/* cpae_mpi_sum in the reproducible mode, against the tree order computed
 * here; n = 3 chunks + 5 runs several chunks and a short last one. */
static void check_sum(void)
{
    cpae_mpi *ctx = NULL;
    CHECK(cpae_mpi_create(MPI_COMM_WORLD, CPAE_MPI_REPRODUCIBLE, &ctx) == CPAE_OK, "create");
    if (!ctx)
        MPI_Abort(MPI_COMM_WORLD, 1);
    const int64_t ns[] = {1, 1000, 3 * TREE_CHUNK + 5, 1000};
    double *a = malloc(sizeof(double) * (size_t)size);
    long long differs = 0; /* elements where the tree and rank order differ */
    uint64_t first_hash = 0;
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        const int64_t n = ns[i];
        const uint64_t seed = 0x5eed0000u + (uint64_t)n;
        double *v = malloc(sizeof(double) * (size_t)n);
        if (!v || !a)
            MPI_Abort(MPI_COMM_WORLD, 1);
        for (int64_t e = 0; e < n; e++)
            v[e] = input(seed, rank, e);
        int32_t st = cpae_mpi_sum(ctx, v, n);
        CHECK(st == CPAE_OK, "reproducible sum of %lld values: status %d", (long long)n, (int)st);
        long long wrong = 0;
        for (int64_t e = 0; e < n; e++) {
            double ro = 0.0;
            for (int r = 0; r < size; r++) {
                a[r] = input(seed, r, e);
                ro = r == 0 ? a[r] : ro + a[r];
            }
            double want = tree_sum(a, size);
            wrong += memcmp(&v[e], &want, sizeof want) != 0;
            differs += memcmp(&ro, &want, sizeof want) != 0;
        }
        CHECK(wrong == 0, "reproducible sum of %lld values: %lld differ from the tree order",
              (long long)n, wrong);
        /* The same bytes on every process, and on a repeated call. */
        uint64_t h = fnv((const uint8_t *)v, n * (int64_t)sizeof(double));
        uint64_t *hs = malloc(sizeof(uint64_t) * (size_t)size);
        MPI_Allgather(&h, 1, MPI_UINT64_T, hs, 1, MPI_UINT64_T, MPI_COMM_WORLD);
        for (int r = 0; r < size; r++)
            CHECK(hs[r] == hs[0], "reproducible sum of %lld values: rank %d's bits differ "
                  "from rank 0's", (long long)n, r);
        if (n == 1000 && first_hash)
            CHECK(h == first_hash, "reproducible sum: a repeated call gives other bits");
        if (n == 1000)
            first_hash = h;
        if (rank == 0)
            printf("ok mpi %d processes: reproducible sum of %lld values (%lld chunk(s)): the "
                   "tree order bit for bit, identical on every process\n", size, (long long)n,
                   (long long)((n + TREE_CHUNK - 1) / TREE_CHUNK));
        free(hs);
        free(v);
    }
    /* From 4 processes the tree is not rank order: the inputs tell them
     * apart (up to 3 the two orders coincide). */
    if (size >= 4)
        CHECK(differs > 0, "no element where the tree and rank order differ");
    if (rank == 0)
        printf("ok mpi %d processes: %lld elements where the tree and rank order differ\n",
               size, differs);
    free(a);
    cpae_mpi_destroy(ctx);
}

typedef struct setup {
    int32_t method, sampler;
} setup;

/* The checkpoint phase (run.sh: --save DIR on 3 processes, then --resume
 * DIR on 2): fit() stops every process at step 5 with rank 0 saving a
 * checkpoint there, or loads one and resumes instead of fitting. */
static const char *save_path, *resume_path;

typedef struct saver {
    cpae_mpi *ctx;
    cpae_trainer *t;
    int32_t st;
} saver;

static int32_t save_at_5(void *u, int64_t epoch, int64_t step, const double *terms, double val,
                         double sec)
{
    (void)epoch, (void)terms, (void)val, (void)sec;
    saver *s = u;
    if (step != 5)
        return 0;
    s->st = cpae_mpi_save_checkpoint(s->ctx, s->t, save_path);
    return 1;
}

/* Fit on rows [first, first + count) of x (n x d) and validation rows
 * likewise; ctx NULL: an ordinary fit on those rows. Returns the status
 * and the model's bytes. */
static int32_t fit(const setup *s, const float *x, int64_t first, int64_t count, const float *xv,
                   int64_t vfirst, int64_t vcount, int64_t n_global, int64_t d, cpae_mpi *ctx,
                   int32_t sampler_here, uint8_t **bytes, int64_t *nb)
{
    const int64_t widths[] = {d, 24, 6};
    cpae_model *m = NULL;
    cpae_lie *lie = NULL;
    cpae_trainer *t = NULL;
    /* (a resume starts from other weights: the checkpoint's must win) */
    int32_t st = cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, resume_path ? 33 : 3, &m);
    if (!st && s->method >= CPAE_METHOD_LIE_LOCAL)
        st = cpae_lie_create(d, 1, CPAE_LIE_SKEW, resume_path ? 44 : 4, &lie);
    if (!st)
        st = cpae_trainer_create(m, lie, s->method, &t);
    const double params[][2] = {{CPAE_P_EPOCHS, 2}, {CPAE_P_BATCH_SIZE, 32},
                                {CPAE_P_SEED, 9}, {CPAE_P_PRECISION, 64}};
    for (size_t i = 0; i < sizeof params / sizeof params[0] && !st; i++)
        st = cpae_trainer_set_param(t, (int32_t)params[i][0], params[i][1]);
    if (!st && s->method == CPAE_METHOD_LIE_LOCAL)
        st = cpae_trainer_set_param(t, CPAE_P_LIE_SAMPLER, sampler_here);
    /* The data sampler and the exact form read the whole set: every
     * process holds all rows and owns its share. */
    bool whole = ctx && ((s->method == CPAE_METHOD_LIE_LOCAL && sampler_here ==
                          CPAE_SAMPLER_DATA && s->sampler == CPAE_SAMPLER_DATA) ||
                         s->method == CPAE_METHOD_LIE_EXACT);
    uint8_t *owned = whole ? calloc((size_t)n_global, 1) : NULL;
    for (int64_t i = first; owned && i < first + count; i++)
        owned[i] = 1;
    if (!st)
        st = whole ? cpae_trainer_set_data(t, x, n_global, d)
                   : cpae_trainer_set_data(t, x + first * d, count, d);
    if (!st)
        st = cpae_trainer_set_validation(t, xv + vfirst * d, vcount, d);
    if (!st && ctx)
        st = whole ? cpae_mpi_attach(ctx, t, n_global, n_global, NULL, owned)
                   : cpae_mpi_attach(ctx, t, count, n_global, NULL, NULL);
    free(owned);
    saver sv = {ctx, t, -1};
    if (!st && save_path)
        st = cpae_trainer_set_callback(t, save_at_5, &sv);
    if (!st && resume_path) {
        st = ctx ? cpae_mpi_load_checkpoint(ctx, t, resume_path)
                 : cpae_trainer_load_checkpoint(t, resume_path);
        if (!st)
            st = cpae_trainer_resume(t);
    } else if (!st) {
        st = cpae_trainer_fit(t);
    }
    if (save_path && st == CPAE_E_CANCELLED && sv.st != CPAE_OK)
        st = sv.st;
    *nb = 0;
    *bytes = NULL;
    if (m && cpae_model_save_lie_size(m, lie, nb) == CPAE_OK) {
        *bytes = malloc((size_t)*nb);
        if (cpae_model_save_lie_to_buffer(m, lie, *bytes, *nb, nb) != CPAE_OK)
            *nb = 0;
    }
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    cpae_model_destroy(m);
    return st;
}

/* Largest weight difference between two saved models (same shapes). */
static double max_diff(const uint8_t *a, const uint8_t *b, int64_t n)
{
    cpae_model *ma = NULL, *mb = NULL;
    double worst = INFINITY;
    if (cpae_model_load_from_buffer(a, n, &ma) || cpae_model_load_from_buffer(b, n, &mb))
        goto done;
    worst = 0;
    for (int32_t stack = CPAE_ENCODER; stack <= CPAE_DECODER; stack++) {
        int64_t nl = 0;
        if (cpae_model_n_layers(ma, stack, &nl))
            return INFINITY;
        for (int64_t l = 0; l < nl; l++) {
            float wa[2000], wb[2000], ba[100], bb[100];
            int64_t in = 0, out = 0;
            if (cpae_model_layer_info(ma, stack, l, &in, &out, NULL, NULL) ||
                cpae_model_get_layer_params(ma, stack, l, wa, 2000, ba, 100) ||
                cpae_model_get_layer_params(mb, stack, l, wb, 2000, bb, 100))
                return INFINITY;
            for (int64_t e = 0; e < in * out; e++)
                worst = fmax(worst, fabs((double)wa[e] - wb[e]));
            for (int64_t e = 0; e < out; e++)
                worst = fmax(worst, fabs((double)ba[e] - bb[e]));
        }
    }
done:
    cpae_model_destroy(ma);
    cpae_model_destroy(mb);
    return worst;
}

/* Every process's weights hash to rank 0's. */
static bool same_everywhere(const uint8_t *w, int64_t n)
{
    uint64_t h = n > 0 ? fnv(w, n) : 0, *hs = malloc(sizeof(uint64_t) * size);
    MPI_Allgather(&h, 1, MPI_UINT64_T, hs, 1, MPI_UINT64_T, MPI_COMM_WORLD);
    bool same = true;
    for (int r = 0; r < size; r++)
        same = same && hs[r] == hs[0];
    free(hs);
    return same;
}

/* --save DIR: a fit of each kind stopped at step 5, checkpointed by rank 0
 * into DIR. --resume DIR (on another number of processes): each
 * checkpoint loaded with cpae_mpi_load_checkpoint and resumed gives the
 * uninterrupted single-process fit's weights, on every process, and so
 * does an ordinary trainer holding the whole set; a missing file and
 * another method's checkpoint fail on every process. */
static void checkpoint_phase(bool save, const char *dir, const float *x, int64_t nt,
                             const float *xv, int64_t nv, int64_t d)
{
    static const setup kinds[] = {{CPAE_METHOD_AE, 0}, {CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_BALL},
                                  {CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_DATA},
                                  {CPAE_METHOD_LIE_EXACT, 0}};
    static const char *names[] = {"AE", "Lie local ball", "Lie local data", "Lie exact"};
    cpae_mpi *ctx = NULL;
    CHECK(cpae_mpi_create(MPI_COMM_WORLD, CPAE_MPI_ALLREDUCE, &ctx) == CPAE_OK, "create");
    int64_t first, count, vfirst, vcount;
    CHECK(cpae_mpi_share(ctx, nt, &first, &count) == CPAE_OK, "share");
    CHECK(cpae_mpi_share(ctx, nv, &vfirst, &vcount) == CPAE_OK, "share");
    char path[512];
    for (int k = 0; k < 4; k++) {
        const setup *s = &kinds[k];
        snprintf(path, sizeof path, "%s/%d.ckpt", dir, k);
        uint8_t *wp = NULL, *wo = NULL, *ws = NULL;
        int64_t np = 0, no = 0, ns = 0;
        if (save) {
            save_path = path;
            int32_t st = fit(s, x, first, count, xv, vfirst, vcount, nt, d, ctx, s->sampler,
                             &wp, &np);
            save_path = NULL;
            CHECK(st == CPAE_E_CANCELLED, "%s: stopped fit status %d", names[k], (int)st);
            CHECK(rank != 0 || access(path, R_OK) == 0, "%s: no checkpoint at %s", names[k],
                  path);
            if (rank == 0)
                printf("ok mpi %d processes, %s: stopped at step 5, checkpoint saved by rank "
                       "0\n", size, names[k]);
            free(wp);
            continue;
        }
        resume_path = path;
        int32_t st = fit(s, x, first, count, xv, vfirst, vcount, nt, d, ctx, s->sampler, &wp,
                         &np);
        int32_t so = fit(s, x, 0, nt, xv, 0, nv, nt, d, NULL, s->sampler, &wo, &no);
        resume_path = NULL;
        int32_t s1 = fit(s, x, 0, nt, xv, 0, nv, nt, d, NULL, s->sampler, &ws, &ns);
        CHECK(st == CPAE_OK && so == CPAE_OK && s1 == CPAE_OK, "%s: resumed %d, ordinary "
              "resumed %d, single %d", names[k], (int)st, (int)so, (int)s1);
        CHECK(same_everywhere(wp, np), "%s: resumed weights differ between processes",
              names[k]);
        double dp = np == ns ? max_diff(wp, ws, np) : INFINITY;
        double dord = no == ns ? max_diff(wo, ws, no) : INFINITY;
        CHECK(dp <= 1e-9 && dord <= 1e-9, "%s: resumed %g, ordinary trainer %g from the "
              "uninterrupted fit", names[k], dp, dord);
        if (rank == 0)
            printf("ok mpi %d processes, %s: resumed from a checkpoint of 3 processes, %.3g "
                   "from the uninterrupted fit (one trainer with the whole set: %.3g)\n", size,
                   names[k], dp, dord);
        free(wp);
        free(wo);
        free(ws);
    }
    if (!save) {
        uint8_t *w = NULL;
        int64_t nw = 0;
        snprintf(path, sizeof path, "%s/missing.ckpt", dir);
        resume_path = path;
        int32_t st = fit(&kinds[0], x, first, count, xv, vfirst, vcount, nt, d, ctx, 0, &w,
                         &nw);
        CHECK(st == (rank == 0 ? CPAE_E_IO : CPAE_E_REMOTE), "missing file: %d", (int)st);
        free(w);
        snprintf(path, sizeof path, "%s/0.ckpt", dir); /* the AE's, into a Lie trainer */
        st = fit(&kinds[1], x, first, count, xv, vfirst, vcount, nt, d, ctx, CPAE_SAMPLER_BALL,
                 &w, &nw);
        resume_path = NULL;
        CHECK(st == CPAE_E_MISMATCH, "another method's checkpoint: %d", (int)st);
        free(w);
        if (rank == 0)
            printf("ok mpi %d processes: a missing checkpoint (IO on rank 0, REMOTE elsewhere) "
                   "and another method's (MISMATCH) fail everywhere\n", size);
    }
    cpae_mpi_destroy(ctx);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    cpae_dataset *ds = NULL;
    if (cpae_dataset_load(DATA, CPAE_FORMAT_UCR, &ds) != CPAE_OK) {
        fprintf(stderr, "rank %d: cannot load %s: %s\n", rank, DATA, cpae_last_error());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int64_t n = 0, d = 0;
    const float *all = NULL;
    if (cpae_dataset_info(ds, &n, &d, NULL) || cpae_dataset_data(ds, &all))
        MPI_Abort(MPI_COMM_WORLD, 1);
    const int64_t nt = 240, nv = n - nt; /* training rows, then validation rows */
    const float *x = all, *xv = all + nt * d;
    if (argc == 3 && (!strcmp(argv[1], "--save") || !strcmp(argv[1], "--resume"))) {
        checkpoint_phase(argv[1][2] == 's', argv[2], x, nt, xv, nv, d);
        cpae_dataset_destroy(ds);
        int total = 0;
        MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        if (rank == 0)
            printf("%s: mpi %d processes %s, %d failure(s)\n", total ? "FAIL" : "ok", size,
                   argv[1], total);
        MPI_Finalize();
        return total ? 1 : 0;
    }
    check_sum();
    const setup setups[] = {{CPAE_METHOD_AE, 0}, {CPAE_METHOD_DENOISING, 0},
                            {CPAE_METHOD_HOC, 0}, {CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_BALL},
                            {CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_FACET},
                            {CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_DATA},
                            {CPAE_METHOD_LIE_EXACT, 0}};
    const char *names[] = {"AE", "denoising", "higher-order", "Lie local ball", "Lie local facet",
                           "Lie local data", "Lie exact"};
    for (int32_t mode = CPAE_MPI_ALLREDUCE; mode <= CPAE_MPI_REPRODUCIBLE; mode++) {
        cpae_mpi *ctx = NULL;
        CHECK(cpae_mpi_create(MPI_COMM_WORLD, mode, &ctx) == CPAE_OK, "create");
        int64_t first, count, vfirst, vcount;
        CHECK(cpae_mpi_share(ctx, nt, &first, &count) == CPAE_OK, "share");
        CHECK(cpae_mpi_share(ctx, nv, &vfirst, &vcount) == CPAE_OK, "share");
        for (size_t k = 0; k < sizeof setups / sizeof setups[0]; k++) {
            uint8_t *wp = NULL, *ws = NULL;
            int64_t np = 0, ns = 0;
            int32_t st = fit(&setups[k], x, first, count, xv, vfirst, vcount, nt, d, ctx,
                             setups[k].sampler, &wp, &np);
            CHECK(st == CPAE_OK, "%s: parallel fit status %d", names[k], (int)st);
            int32_t st1 = fit(&setups[k], x, 0, nt, xv, 0, nv, nt, d, NULL, setups[k].sampler,
                              &ws, &ns);
            CHECK(st1 == CPAE_OK, "%s: single fit status %d", names[k], (int)st1);
            /* The same bytes on every process. */
            uint64_t h = np > 0 ? fnv(wp, np) : 0, *hs = malloc(sizeof(uint64_t) * size);
            MPI_Allgather(&h, 1, MPI_UINT64_T, hs, 1, MPI_UINT64_T, MPI_COMM_WORLD);
            for (int r = 0; r < size; r++)
                CHECK(hs[r] == hs[0], "%s, mode %d: rank %d's weights differ from rank 0's",
                      names[k], (int)mode, r);
            double diff = np == ns ? max_diff(wp, ws, np) : INFINITY;
            CHECK(diff <= 1e-9, "%s, mode %d: %g from the single-process fit", names[k],
                  (int)mode, diff);
            if (rank == 0)
                printf("ok mpi %d processes, %s, %s: identical on every process, %.3g from "
                       "the single-process fit\n", size, names[k],
                       mode == CPAE_MPI_ALLREDUCE ? "allreduce" : "reproducible", diff);
            free(hs);
            free(wp);
            free(ws);
        }
        /* A refused process: the others return CPAE_E_REMOTE, none hangs. */
        if (size > 1) {
            uint8_t *w = NULL;
            int64_t nw = 0;
            int32_t st = fit(&setups[3], x, first, count, xv, vfirst, vcount, nt, d, ctx,
                             rank == 1 ? CPAE_SAMPLER_DATA : CPAE_SAMPLER_BALL, &w, &nw);
            CHECK(st == (rank == 1 ? CPAE_E_INVALID : CPAE_E_REMOTE),
                  "refused process: status %d", (int)st);
            free(w);
            if (rank == 0)
                printf("ok mpi %d processes: a refusing process gives the others "
                       "CPAE_E_REMOTE\n", size);
        }
        cpae_mpi_destroy(ctx);
    }
    /* A process whose rows hold a NaN: its set_data fails, it attaches
     * without a trainer, every process fails and none waits. */
    if (size > 1) {
        cpae_mpi *c2 = NULL;
        CHECK(cpae_mpi_create(MPI_COMM_WORLD, CPAE_MPI_ALLREDUCE, &c2) == CPAE_OK, "create");
        int64_t first, count;
        CHECK(cpae_mpi_share(c2, nt, &first, &count) == CPAE_OK, "share");
        const int64_t widths[] = {d, 24, 6};
        cpae_model *m2 = NULL;
        cpae_trainer *t2 = NULL;
        CHECK(cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, 3, &m2) == CPAE_OK, "model");
        CHECK(cpae_trainer_create(m2, NULL, CPAE_METHOD_AE, &t2) == CPAE_OK, "trainer");
        float *mine = malloc(sizeof(float) * (size_t)(count * d));
        memcpy(mine, x + first * d, sizeof(float) * (size_t)(count * d));
        if (rank == 1)
            mine[3] = NAN;
        int32_t sd = cpae_trainer_set_data(t2, mine, count, d);
        CHECK(sd == (rank == 1 ? CPAE_E_NONFINITE : CPAE_OK), "set_data %d", (int)sd);
        int32_t at = cpae_mpi_attach(c2, sd ? NULL : t2, count, nt, NULL, NULL);
        CHECK(at == (rank == 1 ? CPAE_E_NULL : CPAE_E_REMOTE), "attach after a bad shard: %d",
              (int)at);
        if (rank == 0)
            printf("ok mpi %d processes: a shard with a NaN stops every process at attach\n",
                   size);
        /* Attach refusals agreed everywhere: another n_global on one
         * process, rows that do not add up, ids on one process only. */
        CHECK(cpae_trainer_set_data(t2, x + first * d, count, d) == CPAE_OK, "set_data");
        int32_t a1 = cpae_mpi_attach(c2, t2, count, rank == 1 ? nt + 1 : nt, NULL, NULL);
        int32_t a2 = cpae_mpi_attach(c2, t2, count, nt + 1, NULL, NULL);
        int64_t *ids = malloc(sizeof(int64_t) * (size_t)count);
        for (int64_t i = 0; i < count; i++)
            ids[i] = first + i;
        int32_t a3 = cpae_mpi_attach(c2, t2, count, nt, rank == 1 ? ids : NULL, NULL);
        int32_t a4 = cpae_mpi_attach(c2, t2, count, nt, ids, NULL);
        CHECK(a1 == CPAE_E_MISMATCH && a2 == CPAE_E_MISMATCH && a3 == CPAE_E_MISMATCH &&
              a4 == CPAE_OK, "attach refusals: %d %d %d, explicit ids %d", (int)a1, (int)a2,
              (int)a3, (int)a4);
        free(ids);
        if (rank == 0)
            printf("ok mpi %d processes: another n_global, rows not adding up, ids on one "
                   "process only: CPAE_E_MISMATCH everywhere\n", size);
        free(mine);
        cpae_trainer_destroy(t2);
        cpae_model_destroy(m2);
        cpae_mpi_destroy(c2);
    }
    /* Rank 0 saves for everyone. */
    cpae_mpi *ctx = NULL;
    CHECK(cpae_mpi_create(MPI_COMM_WORLD, CPAE_MPI_ALLREDUCE, &ctx) == CPAE_OK, "create");
    char path[64];
    snprintf(path, sizeof path, "/tmp/cpae_mpi_%ld.cpae", (long)(rank == 0 ? getpid() : 0));
    long long pid0 = rank == 0 ? (long long)getpid() : 0;
    MPI_Bcast(&pid0, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    snprintf(path, sizeof path, "/tmp/cpae_mpi_%lld.cpae", pid0);
    const int64_t widths[] = {d, 24, 6};
    cpae_model *m = NULL;
    CHECK(cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, 3, &m) == CPAE_OK, "model");
    CHECK(cpae_mpi_save_model(ctx, m, NULL, path) == CPAE_OK, "save");
    cpae_trainer *tc = NULL;
    CHECK(cpae_trainer_create(m, NULL, CPAE_METHOD_AE, &tc) == CPAE_OK, "trainer");
    char cpath[80];
    snprintf(cpath, sizeof cpath, "%s.ckpt", path);
    CHECK(cpae_mpi_save_checkpoint(ctx, tc, cpath) == CPAE_OK, "checkpoint");
    if (rank == 0) {
        CHECK(cpae_trainer_load_checkpoint(tc, cpath) == CPAE_OK, "checkpoint back");
        unlink(cpath);
    }
    cpae_trainer_destroy(tc);
    if (rank == 0) {
        cpae_model *back = NULL;
        CHECK(cpae_model_load(path, &back) == CPAE_OK, "load back");
        cpae_model_destroy(back);
        unlink(path);
        printf("ok mpi %d processes: rank 0 saves the model and a checkpoint for all\n", size);
    }
    cpae_model_destroy(m);
    cpae_mpi_destroy(ctx);
    cpae_dataset_destroy(ds);
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%s: mpi %d processes, %d failure(s)\n", total ? "FAIL" : "ok", size, total);
    MPI_Finalize();
    return total ? 1 : 0;
}
