/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* fit.c -- cpae_trainer_fit: seeded shuffles, full mini-batches, a budget
 * in epochs or steps, validation with early stopping (the best weights are
 * restored, the starting weights count as a candidate), divergence by loss
 * growth over its lowest running mean, the progress callback, and the
 * exact form's re-anchoring. */
#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Assemble one batch's loss inputs from training-set rows (and, for the
 * data sampler, their neighbours from the index). */
static int32_t gather(cpae_trainer *t, const int64_t *rows, int64_t m, cpae__batch_buf *bb,
                      cpae__batch *b, const char *fn)
{
    int64_t d = t->d, K = (int64_t)cpae__tp(t, CPAE_P_LIE_NEIGHBOURS);
    bool data = cpae__trainer_data_sampler(t);
    bb->x = cpae__pool_alloc(&t->pool, (size_t)(m * d) * sizeof(double));
    bb->nbr = data ? cpae__pool_alloc(&t->pool, (size_t)(m * K * d) * sizeof(double)) : NULL;
    if (!bb->x || (data && !bb->nbr))
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    for (int64_t i = 0; i < m; i++)
        memcpy(bb->x + i * d, t->x + rows[i] * d, (size_t)d * sizeof(double));
    if (data) {
        int32_t st = cpae__trainer_neighbours(t, K, fn);
        if (st)
            return st;
        for (int64_t i = 0; i < m; i++)
            for (int64_t k = 0; k < K; k++)
                memcpy(bb->nbr + (i * K + k) * d, t->x + t->nbr[rows[i] * K + k] * d,
                       (size_t)d * sizeof(double));
    }
    b->x = bb->x;
    b->m = m;
    b->x_nbr = bb->nbr;
    b->x_anchor = t->n > 0 ? t->x + (int64_t)cpae__tp(t, CPAE_P_LIE_ANCHOR) * d : NULL;
    b->pool = &t->pool;
    b->mirror = cpae__trainer_mirror(t);
    b->keep_float = false;
    return CPAE_OK;
}


/* Mean validation reconstruction error, (1/n) sum ||D(E(x)) - x||^2. */
static int32_t validation_error(const cpae_trainer *t, double *err, const char *fn)
{
    cpae_chain ae;
    (void)cpae__chain(t->model, CPAE_AUTOENCODER, &ae, fn);
    double *y = malloc((size_t)(t->nv * t->d) * sizeof(double));
    if (!y)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    int32_t st = cpae__chain_forward(&ae, t->xv, t->nv, y, NULL, 0, fn);
    double s = 0;
    for (int64_t e = 0; e < t->nv * t->d; e++)
        s += (y[e] - t->xv[e]) * (y[e] - t->xv[e]);
    *err = s / (double)t->nv;
    free(y);
    return st;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best-so-far bookkeeping of early stopping: the weights (and trainable
 * generators) with the lowest validation error, and when they were seen. */
typedef struct best_state {
    double *params; /* n_train values */
    double err;
    int64_t step;   /* -1: nothing recorded */
    int64_t since;  /* validations without improvement */
} best_state;

static void save_best(const cpae_trainer *t, best_state *b, double err, int64_t step)
{
    b->err = err;
    b->step = step;
    b->since = 0;
    cpae__trainer_snapshot(t, b->params);
}

/* Validate now; record an improvement. *stop is set when the patience is
 * used up. */
static int32_t validate(cpae_trainer *t, best_state *b, int64_t step, double *val, bool *stop,
                        const char *fn)
{
    int32_t st = validation_error(t, val, fn);
    if (st)
        return st;
    int64_t patience = (int64_t)cpae__tp(t, CPAE_P_PATIENCE);
    if (*val < b->err)
        save_best(t, b, *val, step);
    else if (patience > 0 && ++b->since >= patience)
        *stop = true;
    return CPAE_OK;
}

int32_t cpae_trainer_fit(cpae_trainer *t)
{
    static const char fn[] = "cpae_trainer_fit";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    if (st)
        return st;
    if (!t->x)
        return cpae__fail(CPAE_E_SIZE, fn, "no training data (cpae_trainer_set_data)");
    /* A fit derives the theta range from its starting weights. */
    t->theta_valid = false;
    if ((st = cpae__trainer_plan(t, fn)))
        return st;
    cpae__rng_seed(&t->rng, (uint64_t)cpae__tp(t, CPAE_P_SEED));
    /* Budget: CPAE_P_STEPS optimiser steps exactly when set (the last
     * epoch may end part-way), else CPAE_P_EPOCHS full epochs. */
    int64_t n = t->n, bs = (int64_t)cpae__tp(t, CPAE_P_BATCH_SIZE);
    int64_t epochs = (int64_t)cpae__tp(t, CPAE_P_EPOCHS);
    int64_t max_steps = (int64_t)cpae__tp(t, CPAE_P_STEPS);
    int64_t every = (int64_t)cpae__tp(t, CPAE_P_VALIDATE_EVERY);
    int64_t nt = cpae__trainer_n_train(t), step = 0;
    if (bs > n)
        bs = n;
    t->fit_steps = 0;
    t->fit_best_step = -1;
    t->fit_best_val = NAN;
    int64_t *perm = malloc((size_t)n * sizeof(int64_t));
    best_state best = {t->xv ? malloc((size_t)(nt ? nt : 1) * sizeof(double)) : NULL, INFINITY,
                       -1, 0};
    /* The weights before the fit: a fit stopped by loss growth returns to
     * them (growth leaves finite but useless weights behind). */
    double *start = malloc((size_t)(nt ? nt : 1) * sizeof(double));
    if (!perm || (t->xv && !best.params) || !start) {
        free(perm);
        free(best.params);
        free(start);
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
    cpae__trainer_snapshot(t, start);
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    double val = NAN, t0 = now_seconds();
    /* Divergence by growth: a running mean of the batch loss against its
     * lowest value (a single noisy batch does not trip it). */
    double ema = NAN, ema_low = INFINITY, grow = cpae__tp(t, CPAE_P_DIVERGENCE_FACTOR);
    bool stop = false;
    /* The starting weights are a candidate too (step 0): early stopping
     * never returns a model worse on validation than the one it began with. */
    if (t->xv)
        st = validate(t, &best, 0, &val, &stop, fn);
    for (int64_t ep = 0; !st && !stop && (max_steps > 0 ? step < max_steps : ep < epochs); ep++) {
        for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates with the trainer's rng */
            int64_t j = (int64_t)(cpae__rng_next(&t->rng) % (uint64_t)(i + 1));
            int64_t tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        int64_t validated = -1;
        for (int64_t s0 = 0; s0 + bs <= n && !st && !stop; s0 += bs) { /* full batches only */
            if (max_steps > 0 && step >= max_steps)
                break;
            cpae__batch_buf bb = {0};
            cpae__batch b = {0};
            double terms[CPAE__N_TERMS];
            if (!(st = gather(t, perm + s0, bs, &bb, &b, fn)))
                st = cpae__trainer_train_step(t, &b, terms, fn);
            cpae__pool_free(&t->pool, bb.x);
            cpae__pool_free(&t->pool, bb.nbr);
            if (st)
                break;
            step++;
            t->fit_steps = step;
            ema = step == 1 ? terms[CPAE__T_TOTAL] : 0.9 * ema + 0.1 * terms[CPAE__T_TOTAL];
            ema_low = fmin(ema_low, ema);
            if (grow > 0 && step > 10 && ema > grow * ema_low) {
                st = cpae__fail(CPAE_E_DIVERGED, fn, "the loss grew by more than %g over its "
                                "lowest running mean (%g -> %g) at step %lld; weights restored "
                                "to those before the fit", grow, ema_low, ema, (long long)step);
                cpae__trainer_restore(t, start);
                break;
            }
            if (t->xv && every > 0 && step % every == 0) {
                st = validate(t, &best, step, &val, &stop, fn);
                validated = step;
            }
            if (!st && t->cb && t->cb(t->cb_user, ep, step, terms, val, now_seconds() - t0))
                st = cpae__fail(CPAE_E_CANCELLED, fn, "the progress callback stopped training "
                                "at epoch %lld, step %lld", (long long)ep, (long long)step);
        }
        if (st || stop)
            break;
        /* End of an epoch (or of the budget): validate unless this very
         * step was just validated. */
        bool last = max_steps > 0 ? step >= max_steps : ep == epochs - 1;
        if (t->xv && validated != step && (every == 0 || last) &&
            (st = validate(t, &best, step, &val, &stop, fn)))
            break;
        if (cpae__trainer_exact_active(t) && cpae__tp(t, CPAE_P_LIE_REANCHOR) == 1) {
            t->cfg.v[CPAE_P_LIE_ANCHOR] = (double)(cpae__rng_next(&t->rng) % (uint64_t)n);
            if ((st = cpae__trainer_replan_theta(t, fn)))
                break;
        }
    }
    /* Early stopping restores the best weights (not after a cancel or a
     * divergence, which keep the last finite state). */
    if (!st && best.step >= 0) {
        cpae__trainer_restore(t, best.params);
        t->fit_best_step = best.step;
        t->fit_best_val = best.err;
    }
    free(perm);
    free(best.params);
    free(start);
    return st;
}
