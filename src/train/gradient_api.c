/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* gradient_api.c -- the trainer for callers who drive the loop: flat
 * parameter vectors in and out, the loss terms and gradient of a batch of
 * their rows, applying their gradient, and one full step. */
#include "train/trainer.h"

#include <stdlib.h>
#include <string.h>

/* The fewest terms a caller may ask for: the 0.1 set, up to the total. */
#define CPAE__MIN_TERMS (CPAE_TERM_TOTAL + 1)

int32_t cpae_trainer_n_params(const cpae_trainer *t, int64_t *n)
{
    static const char fn[] = "cpae_trainer_n_params";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(n, fn, "n")))
        return st;
    *n = cpae__trainer_n_train(t);
    return CPAE_OK;
}

int32_t cpae_trainer_workspace_size(const cpae_trainer *t, int64_t *bytes)
{
    static const char fn[] = "cpae_trainer_workspace_size";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(bytes, fn, "bytes")))
        return st;
    const cpae__mirror *mi = &t->mirror;
    size_t mirror = (size_t)(t->model->n_enc + t->model->n_dec) * sizeof(cpae__layer_f) +
                    (size_t)(2 * mi->n_params + 2 * mi->n_gen) * sizeof(float);
    *bytes = (int64_t)(cpae__pool_bytes(&t->pool) + mirror +
                       (size_t)t->work_cap * sizeof(double));
    return CPAE_OK;
}

int32_t cpae_trainer_get_params(const cpae_trainer *t, float *params, int64_t cap)
{
    static const char fn[] = "cpae_trainer_get_params";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) ||
        (st = cpae__check_ptr(params, fn, "params")) ||
        (st = cpae__check_cap(cap, cpae__trainer_n_train(t), fn, "params")))
        return st;
    for (int64_t i = 0; i < t->model->n_params; i++)
        params[i] = (float)t->model->params[i];
    for (int64_t e = 0; e < cpae__trainer_n_gen(t); e++)
        params[t->model->n_params + e] = (float)t->lie->g[e];
    return CPAE_OK;
}

/* A flat vector must hold exactly the trainable values. */
static int32_t check_len(const cpae_trainer *t, int64_t len, const char *fn)
{
    if (len == cpae__trainer_n_train(t))
        return CPAE_OK;
    return cpae__fail(CPAE_E_SIZE, fn, "len is %lld, the trainer has %lld values",
                      (long long)len, (long long)cpae__trainer_n_train(t));
}

int32_t cpae_trainer_set_params(cpae_trainer *t, const float *params, int64_t len)
{
    static const char fn[] = "cpae_trainer_set_params";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(params, fn, "params")))
        return st;
    if ((st = check_len(t, len, fn)))
        return st;
    if ((st = cpae__check_finite_f(params, len, fn, "params")))
        return st;
    int64_t nm = t->model->n_params, ng = cpae__trainer_n_gen(t);
    if (ng) { /* normalise a copy first so a bad generator changes nothing */
        struct cpae_lie *copy = NULL;
        if ((st = cpae__lie_alloc(t->lie->d, t->lie->k, t->lie->param, &copy, fn)))
            return st;
        for (int64_t e = 0; e < ng; e++)
            copy->g[e] = params[nm + e];
        if (!(st = cpae__lie_normalize(copy, fn)))
            memcpy(t->lie->g, copy->g, (size_t)ng * sizeof(double));
        cpae_lie_destroy(copy);
        if (st)
            return st;
    }
    for (int64_t i = 0; i < nm; i++)
        t->model->params[i] = params[i];
    return CPAE_OK;
}

/* Batch from user rows: neighbours come from the training data. */
static int32_t user_batch(cpae_trainer *t, const float *x, int64_t m, int64_t d,
                          cpae__batch_buf *bb, cpae__batch *b, const char *fn)
{
    int32_t st;
    if ((st = cpae__trainer_copy_batch(t, x, m, d, &bb->x, fn)) ||
        (st = cpae__trainer_plan(t, fn)))
        return st;
    b->x = bb->x;
    b->m = m;
    b->x_nbr = NULL;
    b->x_anchor = cpae__trainer_anchor(t);
    b->pool = &t->pool;
    b->mirror = cpae__trainer_mirror(t);
    b->keep_float = false;
    if (cpae__trainer_data_sampler(t)) {
        int64_t K = (int64_t)cpae__tp(t, CPAE_P_LIE_NEIGHBOURS);
        int64_t *idx = cpae__pool_alloc(&t->pool, (size_t)(m * K) * sizeof(int64_t));
        bb->nbr = cpae__pool_alloc(&t->pool, (size_t)(m * K * d) * sizeof(double));
        if (!idx || !bb->nbr) {
            cpae__pool_free(&t->pool, idx);
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        }
        if (!(st = cpae__nearest(t->x, t->n, bb->x, m, d, K, idx, &t->pool, fn)))
            for (int64_t e = 0; e < m * K; e++)
                memcpy(bb->nbr + e * d, t->x + idx[e] * d, (size_t)d * sizeof(double));
        cpae__pool_free(&t->pool, idx);
        b->x_nbr = bb->nbr;
    }
    return st;
}

static int32_t copy_terms(const double *terms, double *out, int64_t n_terms, const char *fn)
{
    int32_t st;
    if ((st = cpae__check_ptr(out, fn, "terms")) ||
        (st = cpae__check_cap(n_terms, CPAE__MIN_TERMS, fn, "terms")))
        return st;
    /* A caller built against an older header passes its own count: it gets
     * the terms it knows (new terms are only ever appended). */
    memcpy(out, terms, (size_t)(n_terms < CPAE_N_LOSS_TERMS ? n_terms : CPAE_N_LOSS_TERMS) *
                           sizeof(double));
    return CPAE_OK;
}

int32_t cpae_trainer_gradient(cpae_trainer *t, const float *x, int64_t m, int64_t d,
                              double *terms, int64_t n_terms, float *grad, int64_t cap)
{
    static const char fn[] = "cpae_trainer_gradient";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(terms, fn, "terms")) ||
        (st = cpae__check_cap(n_terms, CPAE__MIN_TERMS, fn, "terms")) ||
        (grad && (st = cpae__check_cap(cap, cpae__trainer_n_train(t), fn, "grad"))))
        return st;
    cpae__batch_buf bb = {0};
    cpae__batch b = {0};
    double tv[CPAE__N_TERMS], *g = NULL;
    int64_t nt = cpae__trainer_n_train(t);
    if (!(st = user_batch(t, x, m, d, &bb, &b, fn))) {
        if (grad && !(g = malloc((size_t)(nt ? nt : 1) * sizeof(double))))
            st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        if (!st)
            st = cpae__trainer_batch_gradient(t, &b, tv, g, fn);
    }
    if (!st) {
        (void)copy_terms(tv, terms, n_terms, fn);
        if (grad)
            for (int64_t i = 0; i < nt; i++)
                grad[i] = (float)g[i];
    }
    free(g);
    cpae__pool_free(&t->pool, bb.x);
    cpae__pool_free(&t->pool, bb.nbr);
    return st;
}

int32_t cpae_trainer_apply_gradient(cpae_trainer *t, const float *grad, int64_t len)
{
    static const char fn[] = "cpae_trainer_apply_gradient";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(grad, fn, "grad")))
        return st;
    if ((st = cpae__trainer_check_lie(t, fn)))
        return st;
    if ((st = check_len(t, len, fn)))
        return st;
    double *g;
    if ((st = cpae__to_double(grad, len, &g, fn, "grad")))
        return st;
    st = cpae__trainer_update(t, g, fn);
    free(g);
    return st;
}

int32_t cpae_trainer_step(cpae_trainer *t, const float *x, int64_t m, int64_t d,
                          double *terms, int64_t n_terms)
{
    static const char fn[] = "cpae_trainer_step";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(terms, fn, "terms")) ||
        (st = cpae__check_cap(n_terms, CPAE__MIN_TERMS, fn, "terms")))
        return st;
    cpae__batch_buf bb = {0};
    cpae__batch b = {0};
    double tv[CPAE__N_TERMS];
    if (!(st = user_batch(t, x, m, d, &bb, &b, fn)))
        st = cpae__trainer_train_step(t, &b, tv, fn);
    if (!st || st == CPAE_E_DIVERGED)
        (void)copy_terms(tv, terms, n_terms, fn);
    cpae__pool_free(&t->pool, bb.x);
    cpae__pool_free(&t->pool, bb.nbr);
    return st;
}
