/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* mpi_train.c -- data-parallel training over MPI with libcpae-mpi: every
 * process keeps its share of a UCR training set, the processes fit one
 * autoencoder together (the same weights everywhere), rank 0 reports the
 * test error and, with --compare, how far the weights are from a
 * single-process fit of the same model (docs/scaling.md). With
 * --checkpoint rank 0 saves a checkpoint after every epoch; --resume
 * continues from one, on any number of processes.
 *
 *   make mpi
 *   mpirun -np 2 ./build/examples/mpi_train --compare
 *   mpirun -np 3 ./build/examples/mpi_train --stop-after 2 --checkpoint ck
 *   mpirun -np 2 ./build/examples/mpi_train --resume ck --compare
 *   (as root: mpirun --allow-run-as-root --oversubscribe -np 2 ...)
 */
#include "cpae_mpi.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: mpirun -np P mpi_train [OPTIONS]\n"
            "Train one autoencoder across MPI processes, each holding a share of the\n"
            "training set; rank 0 prints the test error.\n\n"
            "  -d, --data DIR       folder of UCR sets (default examples/data/ucr)\n"
            "  -s, --set NAME       data set (default SyntheticControl)\n"
            "  -m, --method NAME    ae, denoising, hoc or lie (local form, ball sampler;\n"
            "                       default ae)\n"
            "  -e, --epochs N       epochs (default 20)\n"
            "  -p, --precision B    32 or 64 (default 64)\n"
            "  -r, --reproducible   sum in a fixed tree order (same bits every run)\n"
            "  -c, --compare        rank 0 also fits on all rows alone and prints the\n"
            "                       largest weight difference\n"
            "  -o, --output PATH    save the trained model (rank 0 writes it)\n"
            "  -k, --checkpoint PATH  rank 0 saves a checkpoint after every epoch\n"
            "  -S, --stop-after N   stop after epoch N (from 1; resume later)\n"
            "  -R, --resume PATH    continue the fit saved in PATH (its settings apply;\n"
            "                       any number of processes)\n"
            "  -h, --help           this text\n");
}

static int bad(const char *what, const char *value)
{
    fprintf(stderr, "mpi_train: invalid %s '%s' (see --help)\n", what, value);
    return 2;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

typedef struct options {
    const char *dir, *set, *output, *checkpoint, *resume;
    int32_t method;
    long epochs, precision, stop_after;
    int reproducible, compare;
} options;

/* After every epoch: rank 0 saves the checkpoint (collective: every
 * process is here at the same epoch), and --stop-after stops the fit. */
typedef struct epoch_ctx {
    const options *o;
    cpae_mpi *ctx;
    cpae_trainer *t;
} epoch_ctx;

static int32_t after_epoch(void *u, int64_t epoch, const double *row, int64_t n_cols)
{
    (void)row, (void)n_cols;
    epoch_ctx *e = u;
    if (e->o->checkpoint && cpae_mpi_save_checkpoint(e->ctx, e->t, e->o->checkpoint)) {
        fprintf(stderr, "mpi_train: %s\n", cpae_last_error());
        return 1;
    }
    return e->o->stop_after > 0 && epoch + 1 >= e->o->stop_after;
}

/* Fit on rows [first, first + count); ctx NULL: alone. x NULL: this
 * process's data failed; it still attaches (without a trainer), so every
 * process stops instead of waiting for it. */
static int32_t fit(const options *o, const float *x, int64_t first, int64_t count,
                   int64_t n_global, int64_t d, cpae_mpi *ctx, cpae_model **out)
{
    const int64_t widths[] = {d, 32, 8};
    cpae_model *m = NULL;
    cpae_lie *lie = NULL;
    cpae_trainer *t = NULL;
    int32_t st = x ? cpae_model_create_mirrored(widths, 3, CPAE_ACT_RELU, 1, &m) : CPAE_E_NULL;
    if (!st && o->method == CPAE_METHOD_LIE_LOCAL)
        st = cpae_lie_create(d, 1, CPAE_LIE_SKEW, 2, &lie);
    if (!st)
        st = cpae_trainer_create(m, lie, o->method, &t);
    if (!st)
        st = cpae_trainer_set_param(t, CPAE_P_EPOCHS, (double)o->epochs);
    if (!st)
        st = cpae_trainer_set_param(t, CPAE_P_PRECISION, (double)o->precision);
    if (!st && o->method == CPAE_METHOD_LIE_LOCAL)
        st = cpae_trainer_set_param(t, CPAE_P_LIE_SAMPLER, CPAE_SAMPLER_BALL);
    if (!st)
        st = cpae_trainer_set_data(t, x + first * d, count, d);
    if (ctx) { /* collective: every process reaches it */
        int32_t ast = cpae_mpi_attach(ctx, st ? NULL : t, count, n_global, NULL, NULL);
        st = st ? st : ast;
    }
    epoch_ctx ec = {o, ctx, t};
    if (!st && ctx && (o->checkpoint || o->stop_after))
        st = cpae_trainer_set_epoch_callback(t, after_epoch, &ec);
    if (!st && ctx && o->resume) { /* rank 0 reads the file, all load it */
        st = cpae_mpi_load_checkpoint(ctx, t, o->resume);
        if (!st)
            st = cpae_trainer_resume(t);
    } else if (!st) {
        st = cpae_trainer_fit(t);
    }
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    if (st)
        cpae_model_destroy(m);
    else
        *out = m;
    return st;
}

static double weight_diff(const cpae_model *a, const cpae_model *b)
{
    double worst = 0;
    for (int32_t stack = CPAE_ENCODER; stack <= CPAE_DECODER; stack++) {
        int64_t nl = 0;
        if (cpae_model_n_layers(a, stack, &nl))
            return INFINITY;
        for (int64_t l = 0; l < nl; l++) {
            int64_t in = 0, out = 0;
            if (cpae_model_layer_info(a, stack, l, &in, &out, NULL, NULL))
                return INFINITY;
            float *wa = malloc(sizeof(float) * (size_t)(in * out + out)), *wb = malloc(
                sizeof(float) * (size_t)(in * out + out));
            if (!wa || !wb || cpae_model_get_layer_params(a, stack, l, wa, in * out, wa + in * out, out) ||
                cpae_model_get_layer_params(b, stack, l, wb, in * out, wb + in * out, out))
                worst = INFINITY;
            for (int64_t e = 0; wa && wb && e < in * out + out && isfinite(worst); e++)
                worst = fmax(worst, fabs((double)wa[e] - wb[e]));
            free(wa);
            free(wb);
        }
    }
    return worst;
}

int main(int argc, char **argv)
{
    options o = {"examples/data/ucr", "SyntheticControl", NULL, NULL, NULL, CPAE_METHOD_AE,
                 20, 64, 0, 0, 0};
    static const struct option longs[] = {
        {"data", required_argument, NULL, 'd'},   {"set", required_argument, NULL, 's'},
        {"method", required_argument, NULL, 'm'}, {"epochs", required_argument, NULL, 'e'},
        {"precision", required_argument, NULL, 'p'},
        {"reproducible", no_argument, NULL, 'r'}, {"compare", no_argument, NULL, 'c'},
        {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
        {"checkpoint", required_argument, NULL, 'k'},
        {"stop-after", required_argument, NULL, 'S'},
        {"resume", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":d:s:m:e:p:rco:hk:S:R:", longs, NULL)) != -1) {
        switch (c) {
        case 'd': o.dir = optarg; break;
        case 's': o.set = optarg; break;
        case 'o': o.output = optarg; break;
        case 'k': o.checkpoint = optarg; break;
        case 'R': o.resume = optarg; break;
        case 'S':
            if (parse_int(optarg, 1, 100000, &o.stop_after)) return bad("stop-after", optarg);
            break;
        case 'r': o.reproducible = 1; break;
        case 'c': o.compare = 1; break;
        case 'm':
            if (!strcmp(optarg, "ae")) o.method = CPAE_METHOD_AE;
            else if (!strcmp(optarg, "denoising")) o.method = CPAE_METHOD_DENOISING;
            else if (!strcmp(optarg, "hoc")) o.method = CPAE_METHOD_HOC;
            else if (!strcmp(optarg, "lie")) o.method = CPAE_METHOD_LIE_LOCAL;
            else return bad("method", optarg);
            break;
        case 'e':
            if (parse_int(optarg, 1, 100000, &o.epochs)) return bad("epochs", optarg);
            break;
        case 'p':
            if (parse_int(optarg, 32, 64, &o.precision) || (o.precision != 32 && o.precision != 64))
                return bad("precision", optarg);
            break;
        case 'h': usage(stdout); return 0;
        case ':':
            fprintf(stderr, "mpi_train: option %s needs a value (see --help)\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "mpi_train: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mpi_train: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    /* The command line is checked before MPI starts: --help and mistakes
     * need no mpirun. */
    MPI_Init(&argc, &argv);
    int rank = 0, status = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    char train[1024], test[1024];
    snprintf(train, sizeof train, "%s/%s/%s_TRAIN.tsv.gz", o.dir, o.set, o.set);
    snprintf(test, sizeof test, "%s/%s/%s_TEST.tsv.gz", o.dir, o.set, o.set);
    cpae_dataset *tr = NULL, *te = NULL;
    cpae_mpi *ctx = NULL;
    cpae_model *m = NULL, *alone = NULL;
    int64_t n = 0, d = 0, nt = 0, dt = 0, first = 0, count = 0;
    const float *x = NULL, *xt = NULL;
    /* Collective first (every process), then this process's data. */
    int32_t st = cpae_mpi_create(MPI_COMM_WORLD, o.reproducible ? CPAE_MPI_REPRODUCIBLE
                                                                : CPAE_MPI_ALLREDUCE, &ctx);
    if (st) {
        fprintf(stderr, "mpi_train: %s\n", cpae_last_error());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    st = cpae_dataset_load(train, CPAE_FORMAT_UCR, &tr);
    if (!st)
        st = cpae_dataset_load(test, CPAE_FORMAT_UCR, &te);
    if (!st && !(st = cpae_dataset_info(tr, &n, &d, NULL)) && !(st = cpae_dataset_data(tr, &x)) &&
        !(st = cpae_dataset_info(te, &nt, &dt, NULL)))
        st = cpae_dataset_data(te, &xt);
    int32_t size = 1;
    if (!st && !(st = cpae_mpi_rank(ctx, NULL, &size)))
        st = cpae_mpi_share(ctx, n, &first, &count); /* this process keeps rows first.. */
    if (st)
        fprintf(stderr, "mpi_train: rank %d: %s\n", rank, cpae_last_error());
    /* Every process fits, even one whose data failed (x NULL): it stops
     * the others at the attach instead of leaving them waiting. */
    st = fit(&o, st ? NULL : x, first, count, n, d, ctx, &m);
    if (st == CPAE_E_CANCELLED && o.stop_after) { /* as asked */
        if (rank == 0)
            printf("stopped after epoch %ld on %d process(es)%s%s\n", o.stop_after, (int)size,
                   o.checkpoint ? "; continue with --resume " : "",
                   o.checkpoint ? o.checkpoint : "");
    } else if (st) {
        fprintf(stderr, "mpi_train: rank %d: %s\n", rank, cpae_last_error());
        status = 1;
    } else {
        double mse = 0;
        if (cpae_model_evaluate(m, xt, nt, dt, &mse, NULL) == CPAE_OK && rank == 0)
            printf("%s, %s, %d process(es), rows %lld..%lld on rank 0: test MSE %.6f\n", o.set,
                   o.method == CPAE_METHOD_AE ? "AE" : o.method == CPAE_METHOD_DENOISING
                   ? "denoising" : o.method == CPAE_METHOD_HOC ? "HOC" : "Lie local (ball)",
                   (int)size, (long long)first, (long long)(first + count - 1), mse);
        if (o.output && (st = cpae_mpi_save_model(ctx, m, NULL, o.output)) == CPAE_OK &&
            rank == 0)
            printf("saved %s\n", o.output);
        if (o.compare && rank == 0 && fit(&o, x, 0, n, n, d, NULL, &alone) == CPAE_OK)
            printf("largest weight difference from the single-process fit: %.3g\n",
                   weight_diff(m, alone));
        status = st != CPAE_OK;
    }
    cpae_model_destroy(m);
    cpae_model_destroy(alone);
    cpae_mpi_destroy(ctx);
    cpae_dataset_destroy(tr);
    cpae_dataset_destroy(te);
    MPI_Finalize();
    return status;
}
