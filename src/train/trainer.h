/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* trainer.h -- the trainer handle and what its files share: the plan
 * (trainer.c), the neighbour index (neighbours.c), the optimiser
 * (optimiser.c), the fit loop (fit.c) and the gradient API
 * (gradient_api.c). Internal; never installed. */
#ifndef CPAE_TRAINER_H
#define CPAE_TRAINER_H

#include "core/pool.h"
#include "lie/lie.h"
#include "train/loss.h"

/* Columns of a history row (cpae_trainer_history): epoch, step, seconds,
 * validation error, then the epoch's mean of every loss term. */
#define CPAE__HIST_COLS (4 + CPAE__N_TERMS)

/* Where a fit is: everything cpae_trainer_fit's loop carries from one step
 * to the next lives here, not in the loop's locals, so a fit stopped by a
 * callback can be resumed (cpae_trainer_resume) and saved in a checkpoint
 * (train/checkpoint.c) with bit-identical results. */
typedef struct cpae__fit {
    bool active;          /* begun and not finished: resumable */
    bool running;         /* inside cpae_trainer_fit / _resume (callbacks) */
    bool shuffled;        /* perm holds the current epoch's order */
    bool stop;            /* early stopping's patience is used up */
    int64_t n;            /* training samples perm covers */
    int64_t nv;           /* validation samples (0: none) */
    uint32_t x_crc, xv_crc; /* identity of the training / validation data
                               (fit_data.c; a resume must see the same) */
    int64_t epoch;        /* current epoch, from 0 */
    int64_t pos;          /* the next batch's first index into perm */
    int64_t step;         /* optimiser steps taken */
    int64_t validated;    /* step of this epoch's last validation (-1: none) */
    double val;           /* the last validation error (NaN: none yet) */
    double ema, ema_low;  /* running mean of the batch loss, its lowest value */
    double var;           /* the data's total variance: the training-mean
                             predictor's loss, the floor of "diverged" */
    double seconds;       /* elapsed in earlier runs of this fit */
    double run_start;     /* monotonic clock at the start of this run */
    double theta_max;     /* the exact form's theta range in use */
    double sums[CPAE__N_TERMS]; /* this epoch's unweighted terms, summed */
    int64_t n_sums;
    double best_err;      /* early stopping: lowest validation error */
    int64_t best_step, best_epoch, since;
    int64_t *perm;        /* n */
    double *start;        /* n_train: the weights the fit began with */
    double *best;         /* n_train, in start's block: the best weights */
    int64_t cap_n, cap_train; /* allocated lengths of perm and of start, best */
    double *hist;         /* hist_rows x CPAE__HIST_COLS */
    int64_t hist_rows, hist_cap;
} cpae__fit;

/* What a fit records of its data (fit_data.c): identities, the number of
 * validation rows, the total variance; the whole set's in a parallel fit. */
typedef struct cpae__data_id {
    uint32_t x, xv;
    int64_t nv;
    double var;
} cpae__data_id;

/* One process of a data-parallel fit (train/parallel.c). */
typedef struct cpae__par {
    cpae_reduce_fn reduce;   /* NULL: single-process */
    void *user;
    int64_t n_global;        /* the whole training set */
    int64_t *local_of;       /* n_global: local row of an owned global
                                index, -1: another process evaluates it */
    bool whole;              /* every row here, in global order: the data
                                sampler and the exact form can run */
    cpae__data_id data;      /* the whole set's (par_begin) */
    bool step_cb;            /* some process has a step callback: the
                                step's stop is agreed (par_begin) */
    bool has_val;            /* some process has validation rows: every
                                process validates (par_begin) */
    int64_t *rows;           /* 2 x batch: a step's local rows, global ids */
    int64_t rows_cap;
    double *buf;             /* the reduce buffer */
    int64_t buf_cap;
} cpae__par;

struct cpae_trainer {
    cpae_model *model;       /* borrowed */
    struct cpae_lie *lie;    /* borrowed, may be NULL */
    int32_t method;
    bool learn_g;            /* the generators' trainability at creation */
    cpae__loss_cfg cfg;      /* every key's value (cfg.v[key]) and the plan's
                                theta range */
    double *x, *xv;          /* training / validation data, n x d */
    int64_t n, nv, d;
    int64_t *nbr;            /* neighbour index: n x nbr_k nearest samples */
    int64_t nbr_k;
    bool planned;            /* the configuration passed the checks */
    bool theta_valid;        /* cfg.theta_max is the range for this setup */
    cpae_progress_fn cb;
    void *cb_user;
    cpae_epoch_fn epoch_cb;
    void *epoch_cb_user;
    cpae__fit fit;           /* the current or last fit (fit.c) */
    cpae__par par;           /* data-parallel fit (parallel.c) */
    cpae_rng rng;
    double *opt_m, *opt_v;   /* optimiser state, one per trainable value */
    int64_t opt_t;
    int64_t fit_steps;       /* steps taken by the last fit */
    int64_t fit_best_step;   /* step of the restored weights (-1: none) */
    double fit_best_val;     /* their validation error (NaN: none) */
    cpae__pool pool;         /* scratch blocks reused across steps */
    cpae__mirror mirror;     /* float copy of the model and generators
                                (CPAE_P_PRECISION 32) */
    double *work;            /* a double step's gradient, the loss's
                                gradient room and the undo copy (3 rooms);
                                a float step's double share and the
                                generators' new values (1 room + k d d) */
    int64_t work_cap;        /* values work holds (grown on demand) */
};

/* Values in a gradient room: the parameters, then every generator value
 * (the loss writes them even when the generators are fixed). */
static inline int64_t cpae__trainer_room(const cpae_trainer *t)
{
    return t->model->n_params + (t->lie ? t->lie->k * t->lie->d * t->lie->d : 0);
}

/* The mirror a batch evaluates on: NULL (double) unless CPAE_P_PRECISION
 * is 32. */
static inline cpae__mirror *cpae__trainer_mirror(cpae_trainer *t)
{
    return t->cfg.v[CPAE_P_PRECISION] == 32 ? &t->mirror : NULL;
}

/* A key's value. */
static inline double cpae__tp(const cpae_trainer *t, int32_t key) { return t->cfg.v[key]; }

/* The exact form's anchor row (CPAE_P_LIE_ANCHOR), NULL when the trainer
 * has no such row (the plan refuses an exact form without one). */
static inline const double *cpae__trainer_anchor(const cpae_trainer *t)
{
    double a = cpae__tp(t, CPAE_P_LIE_ANCHOR);
    return t->x && a < (double)t->n ? t->x + (int64_t)a * t->d : NULL;
}

/* Trainable generator values (none if absent or fixed), and all trainable
 * values (weights, then trainable generators). */
static inline int64_t cpae__trainer_n_gen(const cpae_trainer *t)
{
    return t->lie && t->learn_g ? t->lie->k * t->lie->d * t->lie->d : 0;
}
static inline int64_t cpae__trainer_n_train(const cpae_trainer *t)
{
    return t->model->n_params + cpae__trainer_n_gen(t);
}

/* Copy every trainable value into buf, or back from it (the divergence
 * undo and early stopping share it). */
void cpae__trainer_snapshot(const cpae_trainer *t, double *buf);
void cpae__trainer_restore(cpae_trainer *t, const double *buf);

/* The plan (FFTW's plan-then-execute): check the configuration against the
 * data and generators, build the neighbour index when the data sampler is
 * active, and find the exact form's theta range. Each piece runs once per
 * set_data / set_param that affects it; steps only execute. */
int32_t cpae__trainer_plan(cpae_trainer *t, const char *fn);
/* CPAE_E_MISMATCH when the generators' trainability is no longer the one
 * the trainer was created with (every step checks it). */
int32_t cpae__trainer_check_lie(const cpae_trainer *t, const char *fn);
/* Recompute the theta range from the current weights (a fit's start, a new
 * anchor). */
int32_t cpae__trainer_replan_theta(cpae_trainer *t, const char *fn);
/* Is the exact form active (weight > 0 and generators)? */
bool cpae__trainer_exact_active(const cpae_trainer *t);
/* Is the data sampler of the local form active? */
bool cpae__trainer_data_sampler(const cpae_trainer *t);

/* A batch's n x d finite floats as doubles in a block of the trainer's
 * pool (give it back with cpae__pool_free(&t->pool, ...)). */
int32_t cpae__trainer_copy_batch(cpae_trainer *t, const float *x, int64_t n, int64_t d,
                                 double **out, const char *fn);

/* Copy n x d finite floats to doubles (d must be the model's input). */
int32_t cpae__trainer_copy_data(const float *x, int64_t n, int64_t d, int64_t want_d,
                                double **out, const char *fn);

/* Neighbour index (neighbours.c): the K nearest training samples of each
 * query row (squared distance, GEMM blocks), skipping exact duplicates of
 * the query; ties to the lower index. Scratch from pool (NULL: malloc). */
int32_t cpae__nearest(const double *xt, int64_t n, const double *q, int64_t nq, int64_t d,
                      int64_t K, int64_t *idx, cpae__pool *pool, const char *fn);
/* The index of the training set with K neighbours, built once. */
int32_t cpae__trainer_neighbours(cpae_trainer *t, int64_t K, const char *fn);

/* Loss and gradient (all trainable values, skew-projected) of a batch. */
int32_t cpae__trainer_batch_gradient(cpae_trainer *t, const cpae__batch *b, double *terms,
                                     double *grad, const char *fn);
/* One optimiser update with gradient grad (optimiser.c); weights and
 * generators are restored if it produces a non-finite value. */
int32_t cpae__trainer_update(cpae_trainer *t, const double *grad, const char *fn);
/* Grow the trainer's work to at least `values` doubles (kept between
 * steps; a float step needs one room and the generators, a double step or
 * the gradient API three rooms). It may move: take pointers into it after
 * the call. */
int32_t cpae__trainer_reserve_work(cpae_trainer *t, int64_t values, const char *fn);
/* Check a step's loss and gradient (double, skew part projected), then
 * update (optimiser.c). */
int32_t cpae__trainer_finish_double(cpae_trainer *t, const double *grad, const double *terms,
                                    const char *fn);
/* Loss, gradient and update for one batch. */
int32_t cpae__trainer_train_step(cpae_trainer *t, const cpae__batch *b, double *terms,
                                 const char *fn);

/* Data-parallel fit (parallel.c). Sum n values (values[0]: this process's
 * failure flag) over the processes; CPAE_E_REMOTE when another one failed,
 * CPAE_E_CALLBACK when the reducer did. */
int32_t cpae__par_reduce(cpae_trainer *t, double *values, int64_t n, const char *fn);
/* A reduce buffer of at least n doubles (kept between steps). */
double *cpae__par_buffer(cpae_trainer *t, int64_t n, const char *fn);
/* A data-parallel step's share (b->m of b->m_total rows, weighted m/M)
 * summed over the processes, in place: the terms and the gradient, in the
 * mirror's floats gf when the float step kept it there (every process
 * then takes the float step, or all the double one when any overflowed),
 * else in the doubles gd. st_local: this process's failure (reduced
 * anyway, so no process waits). */
int32_t cpae__par_exchange(cpae_trainer *t, const cpae__batch *b, int32_t st_local,
                           double *terms, double *gd, float *gf, const char *fn);
/* A share without rows: zero terms and gradient (float gf or double gd,
 * n values),
 * and the evaluation's key drawn as the other processes draw theirs. */
void cpae__par_empty_share(cpae_trainer *t, double *terms, float *gf, double *gd, int64_t n);
/* A flag (a callback's stop) agreed by every process: the maximum; with
 * this process's failure st_local, reduced too (the others then fail with
 * CPAE_E_REMOTE). */
int32_t cpae__par_agree(cpae_trainer *t, int32_t st_local, bool *flag, const char *fn);
void cpae__par_free(cpae__par *p);
/* FNV-1a over n bytes, continuing from h. */
uint32_t cpae__fnv(uint32_t h, const void *bytes, size_t n);
/* With the whole set here (cpae__par.whole) for the data sampler or the
 * exact form: its CRC-32, which must agree everywhere (neighbours and the
 * anchor come from rows others own); else 0. */
uint32_t cpae__par_whole_crc(const cpae_trainer *t);
/* A 32-bit digest as 5 values to reduce, [1, a, a^2, b, b^2] for its
 * 16-bit halves a, b; after the sum the digests were equal everywhere iff
 * P sum a^2 == (sum a)^2 for both (exact in double up to 2^21 processes). */
void cpae__par_digest(double *v, uint32_t h);
bool cpae__par_digest_same(const double *v);

/* Seconds on the monotonic clock. */
double cpae__now_seconds(void);
/* Elapsed seconds of the current fit (earlier runs included). */
double cpae__fit_elapsed(const cpae_trainer *t);
/* Append the row of the epoch just ended to the history (history.c). */
int32_t cpae__fit_history_add(cpae_trainer *t, const double *row, const char *fn);
/* Room for a fit over n samples and n_train trainable values (kept across
 * fits). */
int32_t cpae__fit_reserve(cpae__fit *f, int64_t n, int64_t n_train, const char *fn);
/* CRC-32 of n x d doubles (0 for none): checkpoint version 1's data
 * identity, and the trainer's data at a checkpoint's save. */
uint32_t cpae__data_crc(const double *x, int64_t n, int64_t d);
/* Sums over this process's rows (fit_data.c): v[0..1] the training
 * identity's 16-bit halves, v[2..3] validation's, v[4] validation rows,
 * v[5] training rows; cols (NULL: not wanted) the d column sums. */
#define CPAE__DATA_SUMS 6
void cpae__data_sums(const cpae_trainer *t, double *v, double *cols);
/* The identities alone (var 0) from sums v. */
void cpae__data_ids(const double *v, cpae__data_id *out);
/* From sums v and column sums cols (reduced over the processes in a
 * parallel fit): the identities and the total variance (a second pass
 * over the rows, its sum reduced in a parallel fit). */
int32_t cpae__data_finish(cpae_trainer *t, const double *v, const double *cols,
                          cpae__data_id *out, const char *fn);
/* Both for a single-process trainer. */
int32_t cpae__data_local(cpae_trainer *t, cpae__data_id *out, const char *fn);
/* The identities alone (one pass; var 0) for a single-process trainer. */
void cpae__data_local_ids(const cpae_trainer *t, cpae__data_id *out);
/* Free the fit's buffers (trainer destroy). */
void cpae__fit_free(cpae__fit *f);
/* CPAE_E_INVALID when called from a callback of a running fit. */
int32_t cpae__trainer_check_idle(const cpae_trainer *t, const char *fn);

/* A batch's own copies (freed by the caller after the step). */
typedef struct cpae__batch_buf {
    double *x, *nbr;
} cpae__batch_buf;

#endif /* CPAE_TRAINER_H */
