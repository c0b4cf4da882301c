/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* history.c -- what a fit reports: one row per epoch (epoch, step,
 * seconds, the latest validation error, the epoch's mean of every
 * unweighted loss term), the epoch callback that receives each row, the
 * best epoch of early stopping, and whether a fit can be resumed. Rows
 * live in the trainer (grown by doubling, once per epoch, never per step)
 * and travel in checkpoints. */
#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int32_t cpae__fit_history_add(cpae_trainer *t, const double *row, const char *fn)
{
    cpae__fit *f = &t->fit;
    if (f->hist_rows == f->hist_cap) {
        int64_t cap = f->hist_cap ? 2 * f->hist_cap : 16;
        double *h = realloc(f->hist, (size_t)(cap * CPAE__HIST_COLS) * sizeof(double));
        if (!h)
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory (history of %lld epochs)",
                              (long long)cap);
        f->hist = h;
        f->hist_cap = cap;
    }
    memcpy(f->hist + f->hist_rows * CPAE__HIST_COLS, row, CPAE__HIST_COLS * sizeof(double));
    f->hist_rows++;
    return CPAE_OK;
}

int32_t cpae_trainer_set_epoch_callback(cpae_trainer *t, cpae_epoch_fn fn_, void *user_data)
{
    static const char fn[] = "cpae_trainer_set_epoch_callback";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    if (st)
        return st;
    t->epoch_cb = fn_;
    t->epoch_cb_user = user_data;
    return CPAE_OK;
}

int32_t cpae_trainer_history(const cpae_trainer *t, double *rows, int64_t cap, int64_t *n_rows,
                             int64_t *n_cols)
{
    static const char fn[] = "cpae_trainer_history";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(n_rows, fn, "n_rows")) ||
        (st = cpae__check_ptr(n_cols, fn, "n_cols")))
        return st;
    if (cap < 0 || (cap > 0 && !rows))
        return cpae__fail(cap < 0 ? CPAE_E_SIZE : CPAE_E_NULL, fn, "cap is %lld and rows "
                          "is %s", (long long)cap, rows ? "set" : "NULL");
    const cpae__fit *f = &t->fit;
    int64_t need = f->hist_rows * CPAE__HIST_COLS;
    *n_rows = f->hist_rows;
    *n_cols = CPAE__HIST_COLS;
    if (cap < need)
        return cpae__fail(CPAE_E_BUFFER_TOO_SMALL, fn, "cap is %lld values, the history "
                          "has %lld rows of %d", (long long)cap, (long long)f->hist_rows,
                          CPAE__HIST_COLS);
    if (need)
        memcpy(rows, f->hist, (size_t)need * sizeof(double));
    return CPAE_OK;
}

int32_t cpae_trainer_best_epoch(const cpae_trainer *t, int64_t *epoch, int64_t *step,
                                double *validation)
{
    static const char fn[] = "cpae_trainer_best_epoch";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    if (st)
        return st;
    const cpae__fit *f = &t->fit;
    bool any = f->best_step >= 0;
    if (epoch)
        *epoch = any ? f->best_epoch : -1;
    if (step)
        *step = any ? f->best_step : -1;
    if (validation)
        *validation = any ? f->best_err : NAN;
    return CPAE_OK;
}

int32_t cpae_trainer_fit_state(const cpae_trainer *t, int32_t *resumable, int64_t *epoch,
                               int64_t *step)
{
    static const char fn[] = "cpae_trainer_fit_state";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    if (st)
        return st;
    if (resumable)
        *resumable = t->fit.active && !t->fit.running;
    if (epoch)
        *epoch = t->fit.epoch;
    if (step)
        *step = t->fit.step;
    return CPAE_OK;
}
