/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* parallel.c -- one process of a data-parallel fit (cpae_trainer_set_parallel):
 * the process holds a share of the training rows with their global
 * indices; the fit shuffles global indices, each process evaluates the
 * rows of the global batch it holds, and the caller's reducer sums
 *   [failure flag, overflow flag, (m/M) terms, (m/M) gradient]
 * over the processes (m this process's rows of the batch, M the batch), so
 * every process applies the same update. A sample's random draws depend on
 * the step's key and its global index only (loss.h), so the shares add up
 * to the whole batch's loss and gradient. Knows no MPI: the reducer is the
 * caller's (libcpae-mpi passes MPI_Allreduce). */
#include "train/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cpae__par_free(cpae__par *p)
{
    free(p->local_of);
    free(p->rows);
    free(p->buf);
    memset(p, 0, sizeof *p);
}

int32_t cpae_trainer_set_parallel(cpae_trainer *t, int64_t n_local, int64_t n_global,
                                  const int64_t *global_ids, const uint8_t *owned,
                                  cpae_reduce_fn reduce, void *user_data)
{
    static const char fn[] = "cpae_trainer_set_parallel";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    if (st || (st = cpae__trainer_check_idle(t, fn)))
        return st;
    if (!reduce) {
        cpae__par_free(&t->par);
        return CPAE_OK;
    }
    if ((st = cpae__check_ptr(global_ids, fn, "global_ids")))
        return st;
    if (!t->x)
        return cpae__fail(CPAE_E_SIZE, fn, "no training data (cpae_trainer_set_data first)");
    if (n_local != t->n)
        return cpae__fail(CPAE_E_SIZE, fn, "n_local = %lld, the trainer has %lld rows",
                          (long long)n_local, (long long)t->n);
    if (n_global < 1 || n_global > (INT64_C(1) << 36))
        return cpae__fail(CPAE_E_SIZE, fn, "n_global = %lld for %lld rows here",
                          (long long)n_global, (long long)t->n);
    int64_t *local_of = malloc((size_t)n_global * sizeof(int64_t));
    if (!local_of)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    /* local_of: the local row of each owned global index; -2 marks an
     * index seen but owned elsewhere (a repeat check for every row). */
    for (int64_t g = 0; g < n_global; g++)
        local_of[g] = -1;
    bool whole = t->n == n_global;
    for (int64_t i = 0; i < t->n; i++) {
        int64_t g = global_ids[i];
        if (g < 0 || g >= n_global || local_of[g] != -1) {
            free(local_of);
            return cpae__fail(CPAE_E_SIZE, fn, "global_ids[%lld] = %lld is %s", (long long)i,
                              (long long)g, g < 0 || g >= n_global ? "out of range"
                                                                  : "repeated");
        }
        local_of[g] = !owned || owned[i] ? i : -2;
        whole = whole && g == i;
    }
    for (int64_t g = 0; g < n_global; g++)
        if (local_of[g] == -2)
            local_of[g] = -1;
    cpae__par_free(&t->par);
    t->par.reduce = reduce;
    t->par.user = user_data;
    t->par.n_global = n_global;
    t->par.local_of = local_of;
    t->par.whole = whole;
    /* An interrupted fit stays resumable: its resume checks the whole
     * set's size and identity (fit_data.c), whoever holds which rows. */
    return CPAE_OK;
}

double *cpae__par_buffer(cpae_trainer *t, int64_t n, const char *fn)
{
    cpae__par *p = &t->par;
    if (n > p->buf_cap) {
        double *b = realloc(p->buf, (size_t)n * sizeof(double));
        if (!b) {
            (void)cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
            return NULL;
        }
        p->buf = b;
        p->buf_cap = n;
    }
    return p->buf;
}

int32_t cpae__par_reduce(cpae_trainer *t, double *values, int64_t n, const char *fn)
{
    bool failed_here = values[0] != 0.0;
    int32_t r = t->par.reduce(t->par.user, values, n);
    if (r != 0) { /* keep what the reducer said (cpae_set_last_error) */
        char said[256];
        snprintf(said, sizeof said, "%s", cpae_last_error());
        return cpae__fail(CPAE_E_CALLBACK, fn, "the reducer returned %d%s%s", (int)r,
                          said[0] ? ": " : "", said);
    }
    if (!failed_here && values[0] != 0.0)
        return cpae__fail(CPAE_E_REMOTE, fn, "another process of the fit failed (%g of them)",
                          values[0]);
    return CPAE_OK;
}

uint32_t cpae__fnv(uint32_t h, const void *bytes, size_t n)
{
    const unsigned char *b = bytes;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

uint32_t cpae__par_whole_crc(const cpae_trainer *t)
{
    bool reads_all = cpae__trainer_data_sampler(t) || cpae__trainer_exact_active(t);
    return t->par.whole && reads_all ? cpae__data_crc(t->x, t->n, t->d) : 0u;
}

void cpae__par_digest(double *v, uint32_t h)
{
    double lo = (double)(h & 0xffffu), hi = (double)(h >> 16);
    v[0] = 1.0;
    v[1] = lo;
    v[2] = lo * lo;
    v[3] = hi;
    v[4] = hi * hi;
}

bool cpae__par_digest_same(const double *v)
{
    return v[0] * v[2] == v[1] * v[1] && v[0] * v[4] == v[3] * v[3];
}

int32_t cpae__par_agree(cpae_trainer *t, int32_t st_local, bool *flag, const char *fn)
{
    double v[2] = {st_local ? 1.0 : 0.0, *flag ? 1.0 : 0.0};
    int32_t st = cpae__par_reduce(t, v, 2, fn);
    *flag = v[1] > 0.0;
    return st_local ? st_local : st;
}

void cpae__par_empty_share(cpae_trainer *t, double *terms, float *gf, double *gd, int64_t n)
{
    /* No row here: nothing to add, but the generator moves on as the
     * others' do (each evaluation draws its key), so the next shuffles
     * agree. */
    (void)cpae__rng_next(&t->rng);
    memset(terms, 0, CPAE__N_TERMS * sizeof(double));
    if (gd)
        memset(gd, 0, (size_t)n * sizeof(double));
    if (gf) { /* the float weights the update starts from: the model's */
        cpae__mirror_sync(&t->mirror, t->model, t->lie);
        memset(gf, 0, (size_t)n * sizeof(float));
        t->mirror.grad_is_float = true;
    }
}

int32_t cpae__par_exchange(cpae_trainer *t, const cpae__batch *b, int32_t st_local,
                           double *terms, double *gd, float *gf, const char *fn)
{
    int64_t nt = cpae__trainer_n_train(t), n = 2 + CPAE__N_TERMS + nt;
    double *buf = cpae__par_buffer(t, n, fn);
    if (!buf) /* nothing to reduce with: this process cannot take part */
        return CPAE_E_NOMEM;
    /* The float step keeps its gradient in the mirror unless the float
     * range overflowed; then it is in gd, as in a double step. */
    bool in_float = gf && t->mirror.grad_is_float;
    double w = b->m_total > 0 ? (double)b->m / (double)b->m_total : 1.0;
    buf[0] = st_local ? 1.0 : 0.0;
    buf[1] = gf && !in_float ? 1.0 : 0.0;
    for (int k = 0; k < CPAE__N_TERMS; k++)
        buf[2 + k] = st_local ? 0.0 : w * terms[k];
    double *g = buf + 2 + CPAE__N_TERMS;
    for (int64_t e = 0; e < nt; e++)
        g[e] = st_local ? 0.0 : w * (in_float ? (double)gf[e] : gd[e]);
    int32_t st = cpae__par_reduce(t, buf, n, fn);
    if (st_local || st)
        return st_local ? st_local : st;
    memcpy(terms, buf + 2, CPAE__N_TERMS * sizeof(double));
    if (gf && buf[1] == 0.0) { /* every share in float range: the float step */
        for (int64_t e = 0; e < nt; e++)
            gf[e] = (float)g[e];
        t->mirror.grad_is_float = true;
    } else { /* a double step everywhere */
        memcpy(gd, g, (size_t)nt * sizeof(double));
        if (gf)
            t->mirror.grad_is_float = false;
    }
    return CPAE_OK;
}
