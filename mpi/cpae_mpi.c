/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* cpae_mpi.c -- libcpae-mpi: the reducer that cpae_trainer_set_parallel
 * calls, on an MPI communicator. Uses only libcpae's public API; every
 * function is collective and agrees on its outcome across the processes
 * (an MPI_Allreduce of a failure flag), so a process that fails never
 * leaves the others waiting in a collective. */
#include "cpae_mpi.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cpae_mpi {
    MPI_Comm comm;  /* the caller's, duplicated */
    int32_t mode;   /* cpae_mpi_mode */
    int rank, size;
    double *scratch; /* reproducible mode, a receiving rank: one chunk */
    int64_t scratch_cap;
    int64_t agreed; /* the largest chunk every process has agreed it holds
                       scratch for (the same on every process) */
};

/* "fn: what" as this thread's message; returns st. */
static int32_t fail(int32_t st, const char *fn, const char *what)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s: %s", fn, what);
    return cpae_set_last_error(st, msg);
}

/* An MPI call's result as a status. */
static int32_t mpi_ok(int rc, const char *fn, const char *call)
{
    if (rc == MPI_SUCCESS)
        return CPAE_OK;
    char text[MPI_MAX_ERROR_STRING], what[MPI_MAX_ERROR_STRING + 64];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "error %d", rc);
    snprintf(what, sizeof what, "%s failed: %s", call, text);
    return fail(CPAE_E_CALLBACK, fn, what);
}

/* Every process's flag; true on all if any process's is. */
static int32_t any(cpae_mpi *ctx, int local, int *all, const char *fn)
{
    return mpi_ok(MPI_Allreduce(&local, all, 1, MPI_INT, MPI_MAX, ctx->comm), fn,
                  "MPI_Allreduce");
}

int32_t cpae_mpi_create(MPI_Comm comm, int32_t mode, cpae_mpi **out)
{
    static const char fn[] = "cpae_mpi_create";
    if (!out)
        return fail(CPAE_E_NULL, fn, "argument 'out' is NULL");
    int init = 0;
    if (MPI_Initialized(&init) != MPI_SUCCESS || !init)
        return fail(CPAE_E_INVALID, fn, "MPI is not initialised (MPI_Init first)");
    if (mode != CPAE_MPI_ALLREDUCE && mode != CPAE_MPI_REPRODUCIBLE)
        return fail(CPAE_E_INVALID, fn, "unknown mode");
    cpae_mpi *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return fail(CPAE_E_NOMEM, fn, "out of memory");
    int32_t st = mpi_ok(MPI_Comm_dup(comm, &ctx->comm), fn, "MPI_Comm_dup");
    if (st) {
        free(ctx);
        return st;
    }
    MPI_Comm_rank(ctx->comm, &ctx->rank);
    MPI_Comm_size(ctx->comm, &ctx->size);
    ctx->mode = mode;
    *out = ctx;
    return cpae_set_last_error(CPAE_OK, NULL);
}

void cpae_mpi_destroy(cpae_mpi *ctx)
{
    if (!ctx)
        return;
    MPI_Comm_free(&ctx->comm);
    free(ctx->scratch);
    free(ctx);
}

int32_t cpae_mpi_rank(const cpae_mpi *ctx, int32_t *rank, int32_t *size)
{
    if (!ctx)
        return fail(CPAE_E_NULL, "cpae_mpi_rank", "argument 'ctx' is NULL");
    if (rank)
        *rank = ctx->rank;
    if (size)
        *size = ctx->size;
    return CPAE_OK;
}

int32_t cpae_mpi_share(const cpae_mpi *ctx, int64_t n_global, int64_t *first, int64_t *count)
{
    static const char fn[] = "cpae_mpi_share";
    if (!ctx || !first || !count)
        return fail(CPAE_E_NULL, fn, "a pointer argument is NULL");
    if (n_global < 1)
        return fail(CPAE_E_SIZE, fn, "n_global must be >= 1");
    int64_t P = ctx->size, r = ctx->rank, q = n_global / P, extra = n_global % P;
    *count = q + (r < extra ? 1 : 0);
    *first = r * q + (r < extra ? r : extra);
    return CPAE_OK;
}

/* The allreduce mode sums in chunks MPI's int counts can hold; the
 * reproducible mode in chunks of at most 2^20 doubles (8 MB), its one
 * receive buffer per process. */
#define CHUNK (1 << 28)
#define TREE_CHUNK (1 << 20)
/* The tag of the reproducible mode's messages (the communicator is the
 * library's own duplicate, so no other message can match them). */
#define TREE_TAG 1

/* The reproducible sum of one chunk v[0..k) to rank 0, in a binomial tree
 * whose shape depends only on the number of processes: in round s
 * (step = 2^s) a rank whose low s bits are zero either sends its partial
 * sum to rank - step and is done (bit s set), or receives rank + step's
 * (when that rank exists) into scratch and adds it, own + received. */
static int32_t tree_reduce(cpae_mpi *ctx, double *v, int k, const char *fn)
{
    const int64_t r = ctx->rank, P = ctx->size;
    for (int64_t step = 1; step < P; step *= 2) {
        if (r & step)
            return mpi_ok(MPI_Send(v, k, MPI_DOUBLE, (int)(r - step), TREE_TAG, ctx->comm), fn,
                          "MPI_Send");
        if (r + step >= P)
            continue;
        int32_t st = mpi_ok(MPI_Recv(ctx->scratch, k, MPI_DOUBLE, (int)(r + step), TREE_TAG,
                                     ctx->comm, MPI_STATUS_IGNORE), fn, "MPI_Recv");
        if (st)
            return st;
        const double *in = ctx->scratch;
        for (int e = 0; e < k; e++)
            v[e] = v[e] + in[e];
    }
    return CPAE_OK;
}

int32_t cpae_mpi_sum(cpae_mpi *ctx, double *values, int64_t n)
{
    static const char fn[] = "cpae_mpi_sum";
    if (!ctx || !values)
        return fail(CPAE_E_NULL, fn, "a pointer argument is NULL");
    if (n < 1)
        return fail(CPAE_E_SIZE, fn, "n must be >= 1");
    int32_t st;
    if (ctx->mode == CPAE_MPI_ALLREDUCE) {
        for (int64_t off = 0; off < n; off += CHUNK) {
            int k = (int)(n - off < CHUNK ? n - off : CHUNK);
            st = mpi_ok(MPI_Allreduce(MPI_IN_PLACE, values + off, k, MPI_DOUBLE, MPI_SUM,
                                      ctx->comm), fn, "MPI_Allreduce");
            if (st)
                return st;
        }
        return CPAE_OK;
    }
    /* Reproducible: a receive buffer of one chunk on the ranks that
     * receive (even ranks with a right neighbour), taken before the first
     * message. Every process learns whether one failed, so none waits;
     * n is the same on every process (the call is collective), so once a
     * chunk size is agreed the later calls up to it skip the agreement
     * alike everywhere. */
    int64_t chunk = n < TREE_CHUNK ? n : TREE_CHUNK;
    if (chunk > ctx->agreed) {
        int receives = ctx->rank % 2 == 0 && ctx->rank + 1 < ctx->size, bad = 0;
        if (receives && chunk > ctx->scratch_cap) {
            double *s = realloc(ctx->scratch, (size_t)chunk * sizeof(double));
            if (s) {
                ctx->scratch = s;
                ctx->scratch_cap = chunk;
            } else
                bad = 1;
        }
        int all = 0;
        if ((st = any(ctx, bad, &all, fn)))
            return st;
        if (all)
            return bad ? fail(CPAE_E_NOMEM, fn, "out of memory for the receive buffer")
                       : fail(CPAE_E_NOMEM, fn, "another process could not allocate its "
                              "receive buffer");
        ctx->agreed = chunk;
    }
    for (int64_t off = 0; off < n; off += TREE_CHUNK) {
        int k = (int)(n - off < TREE_CHUNK ? n - off : TREE_CHUNK);
        double *v = values + off;
        if ((st = tree_reduce(ctx, v, k, fn)) ||
            (st = mpi_ok(MPI_Bcast(v, k, MPI_DOUBLE, 0, ctx->comm), fn, "MPI_Bcast")))
            return st;
    }
    return CPAE_OK;
}

/* The reducer a trainer calls (cpae_reduce_fn). */
static int32_t reduce(void *user, double *values, int64_t n)
{
    return cpae_mpi_sum(user, values, n) == CPAE_OK ? 0 : 1;
}

int32_t cpae_mpi_attach(cpae_mpi *ctx, cpae_trainer *trainer, int64_t n_local, int64_t n_global,
                        const int64_t *global_ids, const uint8_t *owned)
{
    static const char fn[] = "cpae_mpi_attach";
    if (!ctx)
        return fail(CPAE_E_NULL, fn, "argument 'ctx' is NULL");
    /* A process without a trainer (its setup failed) still takes part, so
     * the others fail too instead of waiting in the fit's collectives. */
    int all = 0;
    int32_t st = any(ctx, trainer == NULL, &all, fn);
    if (st)
        return st;
    if (all)
        return trainer ? fail(CPAE_E_REMOTE, fn, "another process has no trainer")
                       : fail(CPAE_E_NULL, fn, "argument 'trainer' is NULL");
    /* The owned rows must add up to one n_global, the same everywhere, and
     * every process must give ids (or a mask) or none: one sum, and one
     * maximum of [n_global, -n_global, default, -default] (equal
     * everywhere iff each maximum is minus its negation's). */
    long long n_owned = 0, total = 0;
    for (int64_t i = 0; i < n_local; i++)
        n_owned += !owned || owned[i];
    int dflt = !global_ids && !owned; /* default ids */
    long long ext[4] = {n_global, -n_global, dflt, -dflt}, mx[4];
    st = mpi_ok(MPI_Allreduce(&n_owned, &total, 1, MPI_LONG_LONG, MPI_SUM, ctx->comm), fn,
                "MPI_Allreduce");
    if (!st)
        st = mpi_ok(MPI_Allreduce(ext, mx, 4, MPI_LONG_LONG, MPI_MAX, ctx->comm), fn,
                    "MPI_Allreduce");
    if (st)
        return st;
    if (mx[0] != -mx[1])
        return fail(CPAE_E_MISMATCH, fn, "the processes gave different n_global");
    if (total != n_global)
        return fail(CPAE_E_MISMATCH, fn, "the processes' rows do not add up to n_global");
    if (mx[2] != -mx[3])
        return fail(CPAE_E_MISMATCH, fn, "some processes gave global ids or a mask, others "
                    "not");
    /* Default ids: with an ownership mask every process holds the whole
     * set in global order; otherwise its rows follow the lower ranks'. */
    long long off = 0;
    if (dflt)
        st = mpi_ok(MPI_Exscan(&n_owned, &off, 1, MPI_LONG_LONG, MPI_SUM, ctx->comm), fn,
                    "MPI_Exscan");
    if (ctx->rank == 0)
        off = 0; /* MPI_Exscan leaves rank 0's result undefined */
    int64_t *ids = NULL;
    if (!st && !global_ids) {
        ids = malloc((size_t)(n_local > 0 ? n_local : 1) * sizeof(int64_t));
        if (!ids)
            st = fail(CPAE_E_NOMEM, fn, "out of memory");
        for (int64_t i = 0; ids && i < n_local; i++)
            ids[i] = (owned ? 0 : off) + i;
    }
    int32_t lst = st ? st
                     : cpae_trainer_set_parallel(trainer, n_local, n_global,
                                                 global_ids ? global_ids : ids, owned, reduce,
                                                 ctx);
    free(ids);
    if ((st = any(ctx, lst != CPAE_OK, &all, fn)))
        return st;
    if (all) { /* one process refused: none trains in parallel */
        if (lst == CPAE_OK) {
            int32_t ignored = cpae_trainer_set_parallel(trainer, 0, 0, NULL, NULL, NULL, NULL);
            (void)ignored;
            return fail(CPAE_E_REMOTE, fn, "another process refused its rows");
        }
        return lst;
    }
    return CPAE_OK;
}

int32_t cpae_mpi_save_checkpoint(cpae_mpi *ctx, const cpae_trainer *trainer, const char *path)
{
    static const char fn[] = "cpae_mpi_save_checkpoint";
    if (!ctx)
        return fail(CPAE_E_NULL, fn, "argument 'ctx' is NULL");
    int st0 = ctx->rank == 0 ? cpae_trainer_save_checkpoint(trainer, path) : CPAE_OK;
    int32_t st = mpi_ok(MPI_Bcast(&st0, 1, MPI_INT, 0, ctx->comm), fn, "MPI_Bcast");
    if (st)
        return st;
    if (st0 != CPAE_OK && ctx->rank != 0)
        return fail(st0, fn, "rank 0 could not save the checkpoint");
    return st0;
}

int32_t cpae_mpi_save_model(cpae_mpi *ctx, const cpae_model *model, const cpae_lie *lie,
                            const char *path)
{
    static const char fn[] = "cpae_mpi_save_model";
    if (!ctx)
        return fail(CPAE_E_NULL, fn, "argument 'ctx' is NULL");
    int st0 = ctx->rank == 0 ? cpae_model_save_lie(model, lie, path) : CPAE_OK;
    int32_t st = mpi_ok(MPI_Bcast(&st0, 1, MPI_INT, 0, ctx->comm), fn, "MPI_Bcast");
    if (st)
        return st;
    if (st0 != CPAE_OK && ctx->rank != 0)
        return fail(st0, fn, "rank 0 could not save the model");
    return st0;
}

/* The bytes of the file at path (rank 0), at most 2^40. */
static int32_t read_all(const char *path, uint8_t **out, long long *n, const char *fn)
{
    char what[400];
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        snprintf(what, sizeof what, "cannot open '%.300s': %.60s", path ? path : "(null)",
                 path ? strerror(errno) : "path is NULL");
        return fail(path ? CPAE_E_IO : CPAE_E_NULL, fn, what);
    }
    long long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = (long long)ftell(f);
    if (size < 1 || size > (1LL << 40) || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        snprintf(what, sizeof what, "'%.300s' is empty, too large or not seekable", path);
        return fail(size == 0 ? CPAE_E_FORMAT : CPAE_E_IO, fn, what);
    }
    uint8_t *b = malloc((size_t)size);
    size_t got = b ? fread(b, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!b || got != (size_t)size) {
        free(b);
        snprintf(what, sizeof what, "cannot read '%.300s'%s", path, b ? "" : ": out of memory");
        return fail(b ? CPAE_E_IO : CPAE_E_NOMEM, fn, what);
    }
    *out = b;
    *n = size;
    return CPAE_OK;
}

int32_t cpae_mpi_load_checkpoint(cpae_mpi *ctx, cpae_trainer *trainer, const char *path)
{
    static const char fn[] = "cpae_mpi_load_checkpoint";
    if (!ctx)
        return fail(CPAE_E_NULL, fn, "argument 'ctx' is NULL");
    /* Rank 0 reads; every process learns its status and the size, then
     * whether every process has a trainer and room for the bytes. */
    uint8_t *buf = NULL;
    long long head[2] = {CPAE_OK, 0};
    if (ctx->rank == 0)
        head[0] = read_all(path, &buf, &head[1], fn);
    int32_t st = mpi_ok(MPI_Bcast(head, 2, MPI_LONG_LONG, 0, ctx->comm), fn, "MPI_Bcast");
    if (st || head[0] != CPAE_OK) {
        free(buf);
        return st ? st : ctx->rank == 0 ? (int32_t)head[0]
                                        : fail(CPAE_E_REMOTE, fn, "rank 0 could not read the "
                                               "checkpoint");
    }
    long long n = head[1];
    if (ctx->rank != 0)
        buf = malloc((size_t)n);
    int bad = !trainer ? 1 : !buf ? 2 : 0, all = 0;
    if ((st = any(ctx, bad, &all, fn))) {
        free(buf);
        return st;
    }
    if (all) {
        free(buf);
        return bad == 1   ? fail(CPAE_E_NULL, fn, "argument 'trainer' is NULL")
               : bad == 2 ? fail(CPAE_E_NOMEM, fn, "out of memory")
                          : fail(CPAE_E_REMOTE, fn, "another process has no trainer or no "
                                 "memory for the checkpoint");
    }
    for (long long off = 0; off < n && !st; off += INT_MAX) {
        int k = (int)(n - off < INT_MAX ? n - off : INT_MAX);
        st = mpi_ok(MPI_Bcast(buf + off, k, MPI_BYTE, 0, ctx->comm), fn, "MPI_Bcast");
    }
    if (st) {
        free(buf);
        return st;
    }
    /* Collective inside on an attached trainer; the agreement below makes
     * every process return an error if any failed in any case. */
    int32_t lst = cpae_trainer_load_checkpoint_from_buffer(trainer, buf, (int64_t)n);
    free(buf);
    if ((st = any(ctx, lst != CPAE_OK, &all, fn)))
        return st;
    if (all && lst == CPAE_OK)
        return fail(CPAE_E_REMOTE, fn, "another process could not load the checkpoint");
    return lst;
}
