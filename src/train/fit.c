/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* fit.c -- cpae_trainer_fit and cpae_trainer_resume: seeded shuffles, full
 * mini-batches, a budget in epochs or steps, validation with early
 * stopping (the best weights are restored, the starting weights count as
 * a candidate), divergence by loss growth over its lowest running mean,
 * the step and epoch callbacks, and the exact form's re-anchoring. The
 * loop keeps all its state in t->fit (trainer.h), so a fit a callback
 * stopped resumes where it stood, in this process or from a checkpoint. */
#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Assemble one batch's loss inputs from training-set rows (and, for the
 * data sampler, their neighbours from the index). */
static int32_t gather(cpae_trainer *t, const int64_t *rows, const int64_t *ids, int64_t m,
                      cpae__batch_buf *bb, cpae__batch *b, const char *fn)
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
    b->ids = ids; /* each sample's draws follow its row, wherever it sits */
    b->x_nbr = bb->nbr;
    b->x_anchor = cpae__trainer_anchor(t);
    b->pool = &t->pool;
    b->mirror = cpae__trainer_mirror(t);
    b->keep_float = false;
    return CPAE_OK;
}

/* Whether the fit validates: with validation data here, or in a parallel
 * fit with validation rows on any process (the others add none). */
static bool validates(const cpae_trainer *t)
{
    return t->par.reduce ? t->par.has_val : t->xv != NULL;
}

/* Mean validation reconstruction error, (1/n) sum ||D(E(x)) - x||^2. */
static int32_t validation_error(cpae_trainer *t, double *err, const char *fn)
{
    cpae_chain ae;
    (void)cpae__chain(t->model, CPAE_AUTOENCODER, &ae, fn);
    int64_t nv = t->xv ? t->nv : 0;
    double *y = nv ? malloc((size_t)(nv * t->d) * sizeof(double)) : NULL;
    int32_t st = !nv ? CPAE_OK
                 : y ? cpae__chain_forward(&ae, t->xv, nv, y, NULL, 0, fn)
                     : cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    double s = 0;
    for (int64_t e = 0; y && !st && e < nv * t->d; e++)
        s += (y[e] - t->xv[e]) * (y[e] - t->xv[e]);
    free(y);
    if (t->par.reduce) { /* every process's rows: the sums, then the mean */
        double v[3] = {st ? 1.0 : 0.0, s, (double)nv};
        int32_t rst = cpae__par_reduce(t, v, 3, fn);
        if (st || rst)
            return st ? st : rst;
        *err = v[1] / v[2];
        return CPAE_OK;
    }
    *err = s / (double)t->nv;
    return st;
}

double cpae__now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double cpae__fit_elapsed(const cpae_trainer *t)
{
    const cpae__fit *f = &t->fit;
    return f->seconds + (f->running ? cpae__now_seconds() - f->run_start : 0.0);
}

/* Validate now and record an improvement (early stopping's best weights);
 * f->stop is set when the patience is used up. */
static int32_t validate(cpae_trainer *t, const char *fn)
{
    cpae__fit *f = &t->fit;
    int32_t st = validation_error(t, &f->val, fn);
    if (st)
        return st;
    f->validated = f->step;
    int64_t patience = (int64_t)cpae__tp(t, CPAE_P_PATIENCE);
    if (f->val < f->best_err) {
        f->best_err = f->val;
        f->best_step = f->step;
        f->best_epoch = f->step == 0 ? -1 : f->epoch;
        f->since = 0;
        cpae__trainer_snapshot(t, f->best);
    } else if (patience > 0 && ++f->since >= patience) {
        f->stop = true;
    }
    return CPAE_OK;
}

int32_t cpae__fit_reserve(cpae__fit *f, int64_t n, int64_t n_train, const char *fn)
{
    if (n > f->cap_n) {
        int64_t *p = realloc(f->perm, (size_t)n * sizeof(int64_t));
        if (!p)
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        f->perm = p;
        f->cap_n = n;
    }
    if (n_train > f->cap_train || !f->start) {
        int64_t c = n_train > 0 ? n_train : 1;
        double *p = realloc(f->start, (size_t)(2 * c) * sizeof(double));
        if (!p)
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        f->start = p;
        f->cap_train = c;
    }
    f->best = f->start + f->cap_train;
    return CPAE_OK;
}

/* The samples a fit shuffles: this process's rows, or with
 * cpae_trainer_set_parallel the global indices of the whole set. */
static int64_t fit_samples(const cpae_trainer *t)
{
    return t->par.reduce ? t->par.n_global : t->n;
}

/* A data-parallel fit: what every process must agree on before the first
 * step (the same hyperparameters, model size, set size and, resuming, the
 * same fit position), what it cannot do yet (the data sampler and the
 * exact form need the whole training set), room for a batch's rows, and
 * the whole set's identity and variance (fit_data.c). Every process makes
 * the first reduce, of a fixed size, whatever it found, so none waits. */
static int32_t par_begin(cpae_trainer *t, int32_t st_in, const char *fn)
{
    cpae__par *p = &t->par;
    cpae__fit *f = &t->fit;
    int32_t st = st_in; /* the plan's: a process whose plan failed still reduces */
    if (!st && !p->whole && (cpae__trainer_data_sampler(t) || cpae__trainer_exact_active(t)))
        st = cpae__fail(CPAE_E_INVALID, fn, "the local form's data sampler and the exact form "
                        "need every process to hold the whole training set in global order "
                        "(and own its share of it)");
    int64_t bs = (int64_t)cpae__tp(t, CPAE_P_BATCH_SIZE), d = t->d, nt = cpae__trainer_n_train(t);
    int64_t nstep = 2 + CPAE__N_TERMS + nt;
    /* The fit's own buffers and the step's reduce buffer (it also takes
     * the column sums below) now, so that no process fails alone later. */
    if (!st)
        st = cpae__fit_reserve(f, p->n_global, nt, fn);
    if (!st && !cpae__par_buffer(t, nstep > d + 1 ? nstep : d + 1, fn))
        st = CPAE_E_NOMEM;
    if (!st && 2 * bs > p->rows_cap) {
        int64_t *r = realloc(p->rows, (size_t)(2 * bs) * sizeof(int64_t));
        if (!r)
            st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        else {
            p->rows = r;
            p->rows_cap = 2 * bs;
        }
    }
    /* A digest of what must agree: the hyperparameters, the sizes, the
     * weights and generators, the optimiser's state once it has one;
     * resuming, the fit's position, data order and random state too. */
    const double shape[6] = {(double)p->n_global, (double)d, (double)nt, (double)t->method,
                             (double)(t->lie != NULL), (double)t->opt_t};
    uint32_t h = cpae__fnv(2166136261u, t->cfg.v, sizeof t->cfg.v);
    h = cpae__fnv(h, shape, sizeof shape);
    h = cpae__fnv(h, t->model->params, (size_t)t->model->n_params * sizeof(double));
    if (t->lie)
        h = cpae__fnv(h, t->lie->g, (size_t)(t->lie->k * t->lie->d * t->lie->d) * sizeof(double));
    if (t->opt_m && t->opt_t > 0) { /* (moments of a failed first step are zeros) */
        h = cpae__fnv(h, t->opt_m, (size_t)nt * sizeof(double));
        h = cpae__fnv(h, t->opt_v, (size_t)nt * sizeof(double));
    }
    h ^= cpae__par_whole_crc(t);
    if (f->active && !st) { /* a resume */
        const int64_t pos[12] = {f->n, f->nv, f->epoch, f->pos, f->step, f->validated,
                                 f->n_sums, f->since, f->best_step, f->x_crc, f->xv_crc,
                                 2 * f->shuffled + f->stop};
        h = cpae__fnv(h, pos, sizeof pos);
        h = cpae__fnv(h, t->rng.s, sizeof t->rng.s);
        h = cpae__fnv(h, f->perm, (size_t)f->n * sizeof(int64_t));
    }
    /* One reduce of a fixed size, whatever this process found: status,
     * validation rows here, the digest, a step callback here, the data's
     * identity sums (fit_data.c). */
    double v[8 + CPAE__DATA_SUMS] = {st ? 1.0 : 0.0, t->xv ? 1.0 : 0.0};
    cpae__par_digest(v + 2, h);
    v[7] = t->cb ? 1.0 : 0.0;
    double *sums = v + 8, *cols = p->buf + 1; /* (p->buf[0]: the reduce's flag) */
    if (!st)
        cpae__data_sums(t, sums, cols);
    int32_t rst = cpae__par_reduce(t, v, 8 + CPAE__DATA_SUMS, fn);
    if (st || rst)
        return st ? st : rst;
    if (!cpae__par_digest_same(v + 2))
        return cpae__fail(CPAE_E_MISMATCH, fn, "the processes' hyperparameters, model sizes, "
                          "weights, optimiser state, n_global or fit position differ");
    if (sums[5] != (double)p->n_global)
        return cpae__fail(CPAE_E_MISMATCH, fn, "the processes own %g rows in all, n_global is "
                          "%lld", sums[5], (long long)p->n_global);
    p->has_val = v[1] > 0.0; /* processes without validation rows add none */
    p->step_cb = v[7] > 0.0; /* callbacks cannot change during the fit */
    /* d agreed: the column sums, then the variance's second pass. */
    p->buf[0] = 0.0;
    if ((rst = cpae__par_reduce(t, p->buf, d + 1, fn)))
        return rst;
    return cpae__data_finish(t, sums, cols, &p->data, fn);
}

/* A new fit: seeded generator, identity order, the starting weights kept
 * for the divergence undo and, with validation data, validated (step 0:
 * early stopping never returns a model worse than the one it began with). */
static int32_t fit_begin(cpae_trainer *t, const char *fn)
{
    cpae__fit *f = &t->fit;
    int64_t nt = cpae__trainer_n_train(t), n = fit_samples(t);
    cpae__data_id data = t->par.data;
    int32_t st;
    if ((st = cpae__fit_reserve(f, n, nt, fn)) ||
        (!t->par.reduce && (st = cpae__data_local(t, &data, fn))))
        return st;
    cpae__rng_seed(&t->rng, (uint64_t)cpae__tp(t, CPAE_P_SEED));
    f->n = n;
    f->nv = data.nv;
    f->x_crc = data.x;
    f->xv_crc = data.xv;
    for (int64_t i = 0; i < n; i++)
        f->perm[i] = i;
    f->active = true;
    f->shuffled = f->stop = false;
    f->epoch = f->pos = f->step = f->n_sums = f->since = 0;
    f->validated = f->best_step = f->best_epoch = -1;
    f->val = NAN;
    f->ema = NAN;
    f->ema_low = INFINITY;
    f->var = data.var;
    f->seconds = 0;
    f->theta_max = t->cfg.theta_max;
    f->best_err = INFINITY;
    f->hist_rows = 0;
    t->fit_steps = 0;
    t->fit_best_step = -1;
    t->fit_best_val = NAN;
    cpae__trainer_snapshot(t, f->start);
    return validates(t) ? validate(t, fn) : CPAE_OK;
}

/* The next epoch's order: Fisher-Yates with the trainer's generator. */
static void shuffle(cpae_trainer *t)
{
    cpae__fit *f = &t->fit;
    for (int64_t i = f->n - 1; i > 0; i--) {
        int64_t j = (int64_t)(cpae__rng_next(&t->rng) % (uint64_t)(i + 1));
        int64_t tmp = f->perm[i];
        f->perm[i] = f->perm[j];
        f->perm[j] = tmp;
    }
    f->shuffled = true;
    f->pos = 0;
    f->validated = -1;
    f->n_sums = 0;
    memset(f->sums, 0, sizeof f->sums);
}

/* One optimiser step on the batch at f->pos, then divergence, validation
 * (CPAE_P_VALIDATE_EVERY) and the progress callback. */
static int32_t fit_step(cpae_trainer *t, int64_t bs, const char *fn)
{
    cpae__fit *f = &t->fit;
    cpae__batch_buf bb = {0};
    cpae__batch b = {0};
    double terms[CPAE__N_TERMS];
    int32_t st;
    if (t->par.reduce) { /* this process's rows of the global batch */
        int64_t *lr = t->par.rows, *gid = lr + bs, mloc = 0;
        for (int64_t j = 0; j < bs; j++) {
            int64_t g = f->perm[f->pos + j], l = t->par.local_of[g];
            if (l >= 0) {
                lr[mloc] = l;
                gid[mloc++] = g;
            }
        }
        if (mloc > 0)
            st = gather(t, lr, gid, mloc, &bb, &b, fn);
        else { /* no row here: an empty share of the step */
            st = CPAE_OK;
            b.pool = &t->pool;
            b.mirror = cpae__trainer_mirror(t);
        }
        b.m = mloc;
        b.m_total = bs;
        /* a failed gather still takes part in the step's reduce */
        st = st ? cpae__par_exchange(t, &b, st, terms, NULL, NULL, fn)
                : cpae__trainer_train_step(t, &b, terms, fn);
    } else {
        st = gather(t, f->perm + f->pos, f->perm + f->pos, bs, &bb, &b, fn);
        if (!st)
            st = cpae__trainer_train_step(t, &b, terms, fn);
    }
    cpae__pool_free(&t->pool, bb.x);
    cpae__pool_free(&t->pool, bb.nbr);
    if (st)
        return st;
    f->pos += bs;
    t->fit_steps = ++f->step;
    for (int k = 0; k < CPAE__N_TERMS; k++)
        f->sums[k] += terms[k];
    f->n_sums++;
    /* Divergence by growth: a running mean of the batch loss against its
     * lowest value (a single noisy batch does not trip it), and above the
     * loss of predicting the training mean (a loss near zero that rises
     * is not a runaway); growth leaves finite but useless weights, so the
     * fit returns to its start. */
    double grow = cpae__tp(t, CPAE_P_DIVERGENCE_FACTOR);
    f->ema = f->step == 1 ? terms[CPAE__T_TOTAL] : 0.9 * f->ema + 0.1 * terms[CPAE__T_TOTAL];
    f->ema_low = fmin(f->ema_low, f->ema);
    if (grow > 0 && f->step > 10 && f->ema > grow * f->ema_low && f->ema > f->var) {
        cpae__trainer_restore(t, f->start);
        return cpae__fail(CPAE_E_DIVERGED, fn, "the loss grew by more than %g over its "
                          "lowest running mean (%g -> %g, above the training-mean "
                          "predictor's %g) at step %lld; weights restored to those before "
                          "the fit", grow, f->ema_low, f->ema, f->var, (long long)f->step);
    }
    int64_t every = (int64_t)cpae__tp(t, CPAE_P_VALIDATE_EVERY);
    if (validates(t) && every > 0 && f->step % every == 0 && (st = validate(t, fn)))
        return st;
    bool stop = t->cb &&
                t->cb(t->cb_user, f->epoch, f->step, terms, f->val, cpae__fit_elapsed(t));
    /* one stops: all (a reduce only if some process has a step callback) */
    if (t->par.reduce && t->par.step_cb && (st = cpae__par_agree(t, CPAE_OK, &stop, fn)))
        return st;
    if (stop)
        return cpae__fail(CPAE_E_CANCELLED, fn, "the progress callback stopped training "
                          "at epoch %lld, step %lld", (long long)f->epoch, (long long)f->step);
    return CPAE_OK;
}

/* The history row of the current epoch (its steps so far), appended. */
static int32_t history_row(cpae_trainer *t, double *row, const char *fn)
{
    const cpae__fit *f = &t->fit;
    row[0] = (double)f->epoch;
    row[1] = (double)f->step;
    row[2] = cpae__fit_elapsed(t);
    row[3] = f->val;
    for (int k = 0; k < CPAE__N_TERMS; k++)
        row[4 + k] = f->n_sums ? f->sums[k] / (double)f->n_sums : NAN;
    return cpae__fit_history_add(t, row, fn);
}

/* End of an epoch (or of the budget): validate unless this very step was
 * just validated, record the history row, re-anchor the exact form, then
 * the epoch callback. */
static int32_t fit_epoch_end(cpae_trainer *t, bool last, const char *fn)
{
    cpae__fit *f = &t->fit;
    int64_t every = (int64_t)cpae__tp(t, CPAE_P_VALIDATE_EVERY);
    int32_t st;
    if (validates(t) && !f->stop && f->validated != f->step && (every == 0 || last) &&
        (st = validate(t, fn)))
        return st;
    double row[CPAE__HIST_COLS];
    int32_t hst = history_row(t, row, fn); /* in a parallel fit, agreed below */
    if (hst && !t->par.reduce)
        return hst;
    if (!f->stop && cpae__trainer_exact_active(t) && cpae__tp(t, CPAE_P_LIE_REANCHOR) == 1) {
        t->cfg.v[CPAE_P_LIE_ANCHOR] = (double)(cpae__rng_next(&t->rng) % (uint64_t)f->n);
        if ((st = cpae__trainer_replan_theta(t, fn)) && !t->par.reduce)
            return st;
        hst = hst ? hst : st; /* a parallel fit agrees on it below */
        f->theta_max = t->cfg.theta_max;
    }
    f->epoch++;
    f->shuffled = false;
    bool stop = !hst && t->epoch_cb &&
                t->epoch_cb(t->epoch_cb_user, f->epoch - 1, row, CPAE__HIST_COLS);
    if (t->par.reduce && (st = cpae__par_agree(t, hst, &stop, fn)))
        return st;
    if (stop)
        return cpae__fail(CPAE_E_CANCELLED, fn, "the epoch callback stopped training "
                          "after epoch %lld", (long long)(f->epoch - 1));
    return CPAE_OK;
}

/* Run the fit from where t->fit stands to the end of its budget. Budget:
 * CPAE_P_STEPS optimiser steps exactly when set (the last epoch may end
 * part-way), else CPAE_P_EPOCHS full epochs. */
static int32_t fit_run(cpae_trainer *t, const char *fn)
{
    cpae__fit *f = &t->fit;
    int64_t bs = (int64_t)cpae__tp(t, CPAE_P_BATCH_SIZE);
    int64_t epochs = (int64_t)cpae__tp(t, CPAE_P_EPOCHS);
    int64_t max_steps = (int64_t)cpae__tp(t, CPAE_P_STEPS);
    if (bs > f->n)
        bs = f->n;
    int32_t st = CPAE_OK;
    f->running = true;
    f->run_start = cpae__now_seconds();
    while (!st) {
        bool spent = max_steps > 0 ? f->step >= max_steps : f->epoch >= epochs;
        if (!f->shuffled) {
            if (f->stop || spent)
                break;
            shuffle(t);
        }
        if (!f->stop && !spent && f->pos + bs <= f->n) /* full batches only */
            st = fit_step(t, bs, fn);
        else
            st = fit_epoch_end(t, spent || (max_steps == 0 && f->epoch == epochs - 1), fn);
    }
    f->seconds += cpae__now_seconds() - f->run_start;
    f->running = false;
    /* A cancelled fit stays resumable; anything else ends it. Early
     * stopping restores the best weights (not after a cancel or a
     * divergence, which keep the last finite state). */
    if (st == CPAE_E_CANCELLED)
        return st;
    /* A fit ended by an error keeps the row of its unfinished epoch (a
     * cancelled one gets it when it resumes and the epoch ends). */
    double row[CPAE__HIST_COLS];
    if (st && f->shuffled && f->n_sums > 0)
        (void)history_row(t, row, fn);
    f->active = false;
    if (!st && f->best_step >= 0) {
        cpae__trainer_restore(t, f->best);
        t->fit_best_step = f->best_step;
        t->fit_best_val = f->best_err;
    }
    return st;
}

int32_t cpae__trainer_check_idle(const cpae_trainer *t, const char *fn)
{
    if (t->fit.running)
        return cpae__fail(CPAE_E_INVALID, fn, "called from a callback of a running fit");
    return CPAE_OK;
}

int32_t cpae_trainer_fit(cpae_trainer *t)
{
    static const char fn[] = "cpae_trainer_fit";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    if (st || (st = cpae__trainer_check_idle(t, fn)))
        return st;
    if (!t->x)
        return cpae__fail(CPAE_E_SIZE, fn, "no training data (cpae_trainer_set_data)");
    /* A fit derives the theta range from its starting weights. */
    t->theta_valid = false;
    t->fit.active = false;
    st = cpae__trainer_plan(t, fn);
    if (t->par.reduce)
        st = par_begin(t, st, fn);
    if (st || (st = fit_begin(t, fn)))
        return st;
    return fit_run(t, fn);
}

int32_t cpae_trainer_resume(cpae_trainer *t)
{
    static const char fn[] = "cpae_trainer_resume";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    if (st || (st = cpae__trainer_check_idle(t, fn)))
        return st;
    cpae__fit *f = &t->fit;
    if (!f->active)
        st = cpae__fail(CPAE_E_INVALID, fn, "no interrupted fit to resume (a fit resumes "
                        "after a callback stopped it, or from a checkpoint saved during "
                        "one)");
    else if (!t->x || fit_samples(t) != f->n)
        st = cpae__fail(CPAE_E_SIZE, fn, "the fit was on %lld training samples, the "
                        "trainer has %lld (cpae_trainer_set_data with the same data)",
                        (long long)f->n, (long long)(t->x ? fit_samples(t) : 0));
    if (!st) { /* the theta range stays the one the fit was using */
        t->cfg.theta_max = f->theta_max;
        t->theta_valid = true;
        st = cpae__trainer_plan(t, fn);
    }
    /* The data's identity: the whole set's in a parallel fit (the same on
     * every process, so every process decides alike). */
    cpae__data_id data = {0};
    if (t->par.reduce) { /* every process agrees, whatever failed where */
        st = par_begin(t, st, fn);
        data = t->par.data;
    } else if (!st) {
        cpae__data_local_ids(t, &data);
    }
    if (!st && (data.x != f->x_crc || data.nv != f->nv || data.xv != f->xv_crc))
        st = cpae__fail(CPAE_E_MISMATCH, fn, "the training or validation data differ "
                        "from those the fit began with");
    return st ? st : fit_run(t, fn);
}

void cpae__fit_free(cpae__fit *f)
{
    free(f->perm);
    free(f->start); /* best points into it */
    free(f->hist);
    memset(f, 0, sizeof *f);
}
