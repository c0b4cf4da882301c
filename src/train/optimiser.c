/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* optimiser.c -- one training step: the batch's loss and gradient (the
 * generators' gradient projected onto the skew matrices when they are
 * skew), then Adam with bias correction or SGD with momentum, weight decay
 * on weights only, the generator learning-rate factor, and the undo when
 * an update leaves a non-finite value or a collapsed generator. */
#include "train/trainer.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/vector.h" /* CPAE__VECTOR: the update loops at -O3, AVX2 clone */

/* Project generator gradients (k blocks of d x d) onto the skew-symmetric
 * matrices (real: double or float storage). */
#define PROJECT_SKEW(gen, k, d)                                                  \
    for (int64_t j_ = 0; j_ < (k); j_++)                                          \
        for (int64_t a_ = 0; a_ < (d); a_++)                                      \
            for (int64_t e_ = a_; e_ < (d); e_++) {                               \
                double v_ = 0.5 * ((double)(gen)[(j_ * (d) + a_) * (d) + e_] -     \
                                   (double)(gen)[(j_ * (d) + e_) * (d) + a_]);     \
                (gen)[(j_ * (d) + a_) * (d) + e_] = v_;                           \
                (gen)[(j_ * (d) + e_) * (d) + a_] = -v_;                          \
            }

/* Loss and gradient (all trainable values, skew-projected) of a batch. */
int32_t cpae__trainer_batch_gradient(cpae_trainer *t, const cpae__batch *b, double *terms,
                                     double *grad, const char *fn)
{
    int64_t nm = t->model->n_params, ng = cpae__trainer_n_gen(t);
    /* The loss writes generator gradients after the model's even when the
     * generators are fixed: give it room, then drop them. */
    int64_t room = cpae__trainer_room(t);
    int32_t st = cpae__trainer_reserve_work(t, 3 * room, fn);
    if (st)
        return st;
    double *g = t->work + room; /* the trainer's second room */
    memset(g, 0, (size_t)room * sizeof(double));
    st = cpae__loss_eval(t->model, t->lie, &t->cfg, b, &t->rng, terms, grad ? g : NULL, fn);
    if (!st && grad) {
        memcpy(grad, g, (size_t)(nm + ng) * sizeof(double));
        if (ng && t->lie->param == CPAE_LIE_SKEW) /* within the skew subspace */
            PROJECT_SKEW(grad + nm, t->lie->k, t->lie->d);
    }
    return st;
}

/* Constants of one optimiser update. */
typedef struct opt_consts {
    bool adam;
    double b1, b2, eps, mom, c1, c2;
} opt_consts;

/* p -= scale * step over one contiguous range, with the gradient
 * g + wd p: Adam with bias correction, or SGD with momentum, updating the
 * optimiser state m (and v). One flat loop the compiler vectorises (see
 * update_range_f for the AVX2 clone). */
CPAE__VECTOR
static void update_range(const opt_consts *o, double *restrict p, double *restrict m,
                         double *restrict v, const double *restrict g, int64_t n, double wd,
                         double scale)
{
    if (o->adam) {
        const double b1 = o->b1, b2 = o->b2, c1 = o->c1, c2 = o->c2, eps = o->eps;
        for (int64_t i = 0; i < n; i++) {
            double gi = g[i] + wd * p[i];
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            p[i] -= scale * ((m[i] / c1) / (sqrt(v[i] / c2) + eps));
        }
        return;
    }
    const double mom = o->mom;
    for (int64_t i = 0; i < n; i++) {
        m[i] = mom * m[i] + (g[i] + wd * p[i]);
        p[i] -= scale * m[i];
    }
}

/* p_out = p - scale * step for the generators of a single-precision step
 * (double values and moments, a float gradient, no weight decay), out of
 * place so that p stays the undo copy. */
CPAE__VECTOR
static void update_range_out(const opt_consts *o, const double *restrict p,
                             double *restrict out, double *restrict m, double *restrict v,
                             const float *restrict g, int64_t n, double scale)
{
    if (o->adam) {
        const double b1 = o->b1, b2 = o->b2, c1 = o->c1, c2 = o->c2, eps = o->eps;
        for (int64_t i = 0; i < n; i++) {
            double gi = (double)g[i];
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            out[i] = p[i] - scale * ((m[i] / c1) / (sqrt(v[i] / c2) + eps));
        }
        return;
    }
    const double mom = o->mom;
    for (int64_t i = 0; i < n; i++) {
        m[i] = mom * m[i] + (double)g[i];
        out[i] = p[i] - scale * m[i];
    }
}

/* The same on the float weights of a single-precision step (the moments
 * stay double). Returns false if a new weight left the float range. The
 * loops are branch-free so that they vectorise; on x86-64 with GCC they are
 * also built for AVX2 and picked at load time (the step's largest pass
 * over memory after the GEMMs; baseline SSE2 cannot vectorise the range
 * check). */
CPAE__VECTOR
static bool update_range_f(const opt_consts *o, float *restrict p, double *restrict m,
                           double *restrict v, const float *restrict g, int64_t n, double wd,
                           double scale)
{
    int bad = 0;
    const double b1 = o->b1, b2 = o->b2, c1 = o->c1, c2 = o->c2, eps = o->eps, mom = o->mom;
    if (o->adam)
        for (int64_t i = 0; i < n; i++) {
            double gi = (double)g[i] + wd * (double)p[i];
            double mi = b1 * m[i] + (1 - b1) * gi, vi = b2 * v[i] + (1 - b2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            double np = (double)p[i] - scale * ((mi / c1) / (sqrt(vi / c2) + eps));
            bad |= !(fabs(np) <= FLT_MAX); /* NaN too */
            p[i] = (float)np;
        }
    else
        for (int64_t i = 0; i < n; i++) {
            double mi = mom * m[i] + ((double)g[i] + wd * (double)p[i]);
            m[i] = mi;
            double np = (double)p[i] - scale * mi;
            bad |= !(fabs(np) <= FLT_MAX); /* NaN too */
            p[i] = (float)np;
        }
    return !bad;
}

/* One optimiser update with gradient grad. Weights and generators are
 * restored if the update produces a non-finite value. */
static int32_t opt_state(cpae_trainer *t, const char *fn)
{
    int64_t nt = cpae__trainer_n_train(t);
    if (!t->opt_m) {
        t->opt_m = calloc((size_t)(nt ? nt : 1), sizeof(double));
        t->opt_v = calloc((size_t)(nt ? nt : 1), sizeof(double));
        if (!t->opt_m || !t->opt_v) {
            free(t->opt_m);
            free(t->opt_v);
            t->opt_m = t->opt_v = NULL;
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        }
    }
    return CPAE_OK;
}

/* The constants of update number t->opt_t (after incrementing it). */
static opt_consts opt_begin(cpae_trainer *t)
{
    t->opt_t++;
    opt_consts o = {cpae__tp(t, CPAE_P_OPTIMIZER) == CPAE_OPT_ADAM,
                    cpae__tp(t, CPAE_P_ADAM_BETA1),
                    cpae__tp(t, CPAE_P_ADAM_BETA2),
                    cpae__tp(t, CPAE_P_ADAM_EPS),
                    cpae__tp(t, CPAE_P_MOMENTUM),
                    0,
                    0};
    o.c1 = 1.0 - pow(o.b1, (double)t->opt_t);
    o.c2 = 1.0 - pow(o.b2, (double)t->opt_t);
    return o;
}

int32_t cpae__trainer_update(cpae_trainer *t, const double *grad, const char *fn)
{
    int64_t nm = t->model->n_params, ng = cpae__trainer_n_gen(t);
    int32_t st;
    if ((st = opt_state(t, fn)) ||
        (st = cpae__trainer_reserve_work(t, 3 * cpae__trainer_room(t), fn)))
        return st;
    double *save = t->work + 2 * cpae__trainer_room(t); /* the third room */
    cpae__trainer_snapshot(t, save);
    double lr = cpae__tp(t, CPAE_P_LEARNING_RATE), wd = cpae__tp(t, CPAE_P_WEIGHT_DECAY);
    double glr = cpae__tp(t, CPAE_P_GENERATOR_LR);
    opt_consts o = opt_begin(t);
    /* Weight decay applies to weights only: each layer's W, then its b. */
    double *p = t->model->params;
    for (int64_t l = 0; l < t->model->n_enc + t->model->n_dec; l++) {
        const struct cpae_layer *L = &t->model->layers[l];
        int64_t w0 = L->w - p, nw = L->n_in * L->n_out, b0 = L->b - p;
        update_range(&o, p + w0, t->opt_m + w0, t->opt_v + w0, grad + w0, nw, wd, lr);
        update_range(&o, p + b0, t->opt_m + b0, t->opt_v + b0, grad + b0, L->n_out, 0.0, lr);
    }
    if (ng)
        update_range(&o, t->lie->g, t->opt_m + nm, t->opt_v + nm, grad + nm, ng, 0.0, glr * lr);
    if (!cpae__within_float(t->model->params, nm) || (ng && !cpae__within_float(t->lie->g, ng)))
        st = cpae__fail(CPAE_E_DIVERGED, fn, "the update produced a non-finite weight; "
                        "weights kept at their last finite values");
    else if (ng && cpae__lie_normalize_in_place(t->lie, fn) != CPAE_OK) /* undo: save */
        st = cpae__fail(CPAE_E_DIVERGED, fn, "a generator collapsed (zero or dependent) in "
                        "the update; weights kept at their last finite values");
    if (st)
        cpae__trainer_restore(t, save);
    return st;
}

/* Check a step's loss and gradient, then update (double gradient, skew
 * part already projected). */
int32_t cpae__trainer_finish_double(cpae_trainer *t, const double *grad, const double *terms,
                                    const char *fn)
{
    if (!cpae__within_float(terms, CPAE__N_TERMS) ||
        !cpae__within_float(grad, cpae__trainer_n_train(t)))
        return cpae__fail(CPAE_E_DIVERGED, fn, "the loss or its gradient is not finite "
                          "(loss %g); weights kept at their last finite values",
                          terms[CPAE__T_TOTAL]);
    return cpae__trainer_update(t, grad, fn);
}

/* A step of a data-parallel fit (the fit's batches carry m_total; the
 * gradient API's steps stay this process's own). */
static bool par_step(const cpae_trainer *t, const cpae__batch *b)
{
    return t->par.reduce && b->m_total > 0;
}

/* A single-precision step (CPAE_P_PRECISION 32): the gradient stays in the
 * mirror as floats, the optimiser updates the mirror's float weights (the
 * moments stay double) and writes them back to the model only when every
 * one is finite, so the model itself is the undo copy. Generators are
 * updated in double (k d d values). */
static int32_t train_step_single(cpae_trainer *t, const cpae__batch *b0, double *terms,
                                 const char *fn)
{
    cpae__batch b = *b0;
    b.keep_float = true;
    cpae__mirror *mi = b.mirror;
    int64_t nm = t->model->n_params, ng = cpae__trainer_n_gen(t), room = cpae__trainer_room(t);
    /* A data-parallel step takes everything it may need before the
     * reduce (no process may fail alone after it) and still reduces when
     * that fails. */
    bool par = par_step(t, &b);
    int32_t st = cpae__trainer_reserve_work(t, par ? 3 * room : room + ng, fn);
    if (!st && par)
        st = opt_state(t, fn);
    if (st)
        return par ? cpae__par_exchange(t, &b, st, terms, NULL, NULL, fn) : st;
    double *scratch = t->work; /* the first room: the double rows' share */
    if (b.m > 0)
        st = cpae__loss_eval(t->model, t->lie, &t->cfg, &b, &t->rng, terms, scratch, fn);
    else /* a data-parallel share without rows */
        cpae__par_empty_share(t, terms, mi->grad, NULL, nm + ng);
    if (par) /* the processes' shares summed: the same step everywhere */
        st = cpae__par_exchange(t, &b, st, terms, scratch, mi->grad, fn);
    if (st)
        return st;
    if (!mi->grad_is_float) { /* the float range overflowed: a double step */
        if ((st = cpae__trainer_reserve_work(t, 3 * room, fn)))
            return st;
        scratch = t->work; /* moved if it grew (contents kept) */
        if (ng && t->lie->param == CPAE_LIE_SKEW)
            PROJECT_SKEW(scratch + nm, t->lie->k, t->lie->d);
        return cpae__trainer_finish_double(t, scratch, terms, fn);
    }
    float *gf = mi->grad;
    if (ng && t->lie->param == CPAE_LIE_SKEW)
        PROJECT_SKEW(gf + nm, t->lie->k, t->lie->d);
    if (!cpae__within_float(terms, CPAE__N_TERMS) || !cpae__finite_f(gf, nm + ng))
        return cpae__fail(CPAE_E_DIVERGED, fn, "the loss or its gradient is not finite "
                          "(loss %g); weights kept at their last finite values",
                          terms[CPAE__T_TOTAL]);
    if ((st = opt_state(t, fn)))
        return st;
    double lr = cpae__tp(t, CPAE_P_LEARNING_RATE), wd = cpae__tp(t, CPAE_P_WEIGHT_DECAY);
    double glr = cpae__tp(t, CPAE_P_GENERATOR_LR);
    opt_consts o = opt_begin(t);
    bool ok = true;
    float *pf = mi->params;
    for (int64_t l = 0; l < t->model->n_enc + t->model->n_dec; l++) {
        const struct cpae_layer *L = &t->model->layers[l];
        int64_t w0 = L->w - t->model->params, nw = L->n_in * L->n_out;
        int64_t b0i = L->b - t->model->params;
        ok &= update_range_f(&o, pf + w0, t->opt_m + w0, t->opt_v + w0, gf + w0, nw, wd, lr);
        ok &= update_range_f(&o, pf + b0i, t->opt_m + b0i, t->opt_v + b0i, gf + b0i, L->n_out,
                             0.0, lr);
    }
    /* The generators' new values out of place (in the room after the
     * first), normalised there and copied in only when valid: the
     * generators themselves are the undo copy. */
    double *gnew = t->work + room;
    const char *why = "the update produced a non-finite weight; weights kept at their last "
                      "finite values";
    if (ok && ng) {
        update_range_out(&o, t->lie->g, gnew, t->opt_m + nm, t->opt_v + nm, gf + nm, ng,
                         glr * lr);
        if (!cpae__within_float(gnew, ng))
            ok = false;
        else if (cpae__lie_normalize_values(t->lie, gnew, fn) != CPAE_OK) {
            ok = false;
            why = "a generator collapsed (zero or dependent) in the update; weights kept at "
                  "their last finite values";
        } else
            memcpy(t->lie->g, gnew, (size_t)ng * sizeof(double));
    }
    if (!ok) /* the model is untouched; the mirror is refreshed by the next step */
        return cpae__fail(CPAE_E_DIVERGED, fn, "%s", why);
    cpae__widen(pf, nm, t->model->params);
    return CPAE_OK;
}

/* Loss, gradient and update for one batch of training rows or user rows. */
int32_t cpae__trainer_train_step(cpae_trainer *t, const cpae__batch *b, double *terms,
                                 const char *fn)
{
    if (b->mirror)
        return train_step_single(t, b, terms, fn);
    bool par = par_step(t, b);
    int32_t st = cpae__trainer_reserve_work(t, 3 * cpae__trainer_room(t), fn);
    if (!st && par) /* as in the float step: nothing to fail alone later */
        st = opt_state(t, fn);
    if (st) /* a data-parallel step still takes part in the reduce */
        return par ? cpae__par_exchange(t, b, st, terms, NULL, NULL, fn) : st;
    double *grad = t->work; /* the trainer's first room */
    if (b->m > 0)
        st = cpae__trainer_batch_gradient(t, b, terms, grad, fn);
    else /* a data-parallel share without rows */
        cpae__par_empty_share(t, terms, NULL, grad, cpae__trainer_n_train(t));
    if (par)
        st = cpae__par_exchange(t, b, st, terms, grad, NULL, fn);
    return st ? st : cpae__trainer_finish_double(t, grad, terms, fn);
}
