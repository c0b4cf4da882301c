/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* trainer.c -- the trainer handle: keyed hyperparameters (train/params.c
 * and each term's rows), training and validation data, and the plan that
 * checks a configuration and derives what the steps need (FFTW's
 * plan-then-execute). The fit loop is in fit.c, the optimiser in
 * optimiser.c, the gradient API in gradient_api.c. */
#include "train/trainer.h"
#include "train/terms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cpae__trainer_snapshot(const cpae_trainer *t, double *buf)
{
    memcpy(buf, t->model->params, (size_t)t->model->n_params * sizeof(double));
    if (cpae__trainer_n_gen(t))
        memcpy(buf + t->model->n_params, t->lie->g,
               (size_t)cpae__trainer_n_gen(t) * sizeof(double));
}

void cpae__trainer_restore(cpae_trainer *t, const double *buf)
{
    memcpy(t->model->params, buf, (size_t)t->model->n_params * sizeof(double));
    if (cpae__trainer_n_gen(t))
        memcpy(t->lie->g, buf + t->model->n_params,
               (size_t)cpae__trainer_n_gen(t) * sizeof(double));
}

int32_t cpae_trainer_create(cpae_model *model, cpae_lie *lie, int32_t method,
                            cpae_trainer **out)
{
    static const char fn[] = "cpae_trainer_create";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(model, fn, "model")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    if (method < CPAE_METHOD_AE || method > CPAE_METHOD_LIE_EXACT)
        return cpae__fail(CPAE_E_INVALID, fn, "unknown method %d", (int)method);
    bool lie_method = method == CPAE_METHOD_LIE_LOCAL || method == CPAE_METHOD_LIE_EXACT;
    if (lie_method && !lie)
        return cpae__fail(CPAE_E_NULL, fn, "argument 'lie' is NULL; the Lie methods need "
                          "generators");
    if (lie && lie->d != model->layers[0].n_in)
        return cpae__fail(CPAE_E_MISMATCH, fn, "generators are %lld x %lld, the model's "
                          "input width is %lld", (long long)lie->d, (long long)lie->d,
                          (long long)model->layers[0].n_in);
    cpae_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    t->model = model;
    t->lie = lie;
    if ((st = cpae__mirror_init(&t->mirror, model, lie, fn))) {
        free(t);
        return st;
    }
    t->method = method;
    t->learn_g = lie && cpae__lie_learned(lie);
    cpae__param_defaults(method, t->cfg.v);
    cpae__rng_seed(&t->rng, 0);
    t->fit_best_step = -1;
    t->fit_best_val = NAN;
    *out = t;
    return CPAE_OK;
}

int32_t cpae__trainer_reserve_work(cpae_trainer *t, int64_t values, const char *fn)
{
    if (values <= t->work_cap)
        return CPAE_OK;
    double *w = realloc(t->work, (size_t)values * sizeof(double));
    if (!w)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate the trainer's gradient rooms "
                          "(%lld values)", (long long)values);
    t->work = w;
    t->work_cap = values;
    return CPAE_OK;
}

void cpae_trainer_destroy(cpae_trainer *t)
{
    if (!t)
        return;
    free(t->x);
    free(t->xv);
    free(t->nbr);
    free(t->opt_m);
    free(t->opt_v);
    cpae__pool_clear(&t->pool);
    cpae__mirror_free(&t->mirror);
    cpae__fit_free(&t->fit);
    cpae__par_free(&t->par);
    free(t->work);
    free(t);
}

/* Keys the exact form's theta range depends on. */
static bool moves_theta(int32_t key)
{
    return key == CPAE_P_LIE_THETA_MAX || key == CPAE_P_LIE_ANCHOR || key == CPAE_P_W_LIE_EXACT;
}

int32_t cpae_trainer_set_param(cpae_trainer *t, int32_t key, double value)
{
    static const char fn[] = "cpae_trainer_set_param";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    if (st)
        return st;
    if ((st = cpae__param_check(key, value, fn)))
        return st;
    if (key == CPAE_P_SEED)
        cpae__rng_seed(&t->rng, (uint64_t)value);
    t->cfg.v[key] = value;
    t->planned = false;
    if (moves_theta(key))
        t->theta_valid = false;
    return CPAE_OK;
}

int32_t cpae_trainer_get_param(const cpae_trainer *t, int32_t key, double *value)
{
    static const char fn[] = "cpae_trainer_get_param";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(value, fn, "value")))
        return st;
    if (!cpae__param_find(key))
        return cpae__fail(CPAE_E_INVALID, fn, "unknown key %d", (int)key);
    *value = t->cfg.v[key];
    return CPAE_OK;
}

/* -------------------------------------------------------------- data */

/* An n x d float array the model takes: pointer, shape, size limit; the
 * value count in *total. */
static int32_t check_rows(const float *x, int64_t n, int64_t d, int64_t want_d, int64_t *total,
                          const char *fn)
{
    int32_t st = cpae__check_ptr(x, fn, "x");
    if (st)
        return st;
    if (n < 1 || d != want_d)
        return cpae__fail(CPAE_E_SIZE, fn, "n = %lld, d = %lld (the model takes %lld)",
                          (long long)n, (long long)d, (long long)want_d);
    if (!cpae__mul_ok(n, d, total) || *total > (INT64_C(1) << 36))
        return cpae__fail(CPAE_E_SIZE, fn, "data set too large");
    return CPAE_OK;
}

int32_t cpae__trainer_copy_data(const float *x, int64_t n, int64_t d, int64_t want_d,
                                double **out, const char *fn)
{
    int64_t total;
    int32_t st = check_rows(x, n, d, want_d, &total, fn);
    return st ? st : cpae__to_double(x, total, out, fn, "x");
}

int32_t cpae__trainer_copy_batch(cpae_trainer *t, const float *x, int64_t n, int64_t d,
                                 double **out, const char *fn)
{
    int64_t total;
    int32_t st = check_rows(x, n, d, t->model->layers[0].n_in, &total, fn);
    if (st)
        return st;
    double *b = cpae__pool_alloc(&t->pool, (size_t)total * sizeof(double));
    if (!b)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    if ((st = cpae__copy_in(b, x, total, total, fn, "x"))) {
        cpae__pool_free(&t->pool, b);
        return st;
    }
    *out = b;
    return CPAE_OK;
}

int32_t cpae_trainer_set_data(cpae_trainer *t, const float *x, int64_t n, int64_t d)
{
    static const char fn[] = "cpae_trainer_set_data";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    double *copy = NULL;
    if (st || (st = cpae__trainer_check_idle(t, fn)) ||
        (st = cpae__trainer_copy_data(x, n, d, t->model->layers[0].n_in, &copy, fn)))
        return st;
    free(t->x);
    free(t->nbr);
    cpae__par_free(&t->par); /* other rows: their global ids are gone */
    t->x = copy;
    t->n = n;
    t->d = d;
    t->nbr = NULL;
    t->nbr_k = 0;
    t->planned = false;
    t->theta_valid = false;
    return CPAE_OK;
}

int32_t cpae_trainer_set_validation(cpae_trainer *t, const float *x, int64_t n, int64_t d)
{
    static const char fn[] = "cpae_trainer_set_validation";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    double *copy = NULL;
    if (st || (st = cpae__trainer_check_idle(t, fn)) ||
        (st = cpae__trainer_copy_data(x, n, d, t->model->layers[0].n_in, &copy, fn)))
        return st;
    free(t->xv);
    t->xv = copy;
    t->nv = n;
    return CPAE_OK;
}

int32_t cpae_trainer_set_callback(cpae_trainer *t, cpae_progress_fn fn_, void *user_data)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, "cpae_trainer_set_callback", "trainer");
    if (st)
        return st;
    /* The processes of a parallel fit agree at its start on whether any
     * has a step callback (then each step's stop is reduced). */
    if (t->par.reduce && t->fit.running)
        return cpae__fail(CPAE_E_INVALID, "cpae_trainer_set_callback", "a data-parallel "
                          "fit's step callback cannot change while the fit runs");
    t->cb = fn_;
    t->cb_user = user_data;
    return CPAE_OK;
}

int32_t cpae_trainer_fit_info(const cpae_trainer *t, int64_t *steps, int64_t *best_step,
                              double *best_validation)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, "cpae_trainer_fit_info", "trainer");
    if (st)
        return st;
    if (steps)
        *steps = t->fit_steps;
    if (best_step)
        *best_step = t->fit_best_step;
    if (best_validation)
        *best_validation = t->fit_best_val;
    return CPAE_OK;
}

/* -------------------------------------------------------------- plan */

bool cpae__trainer_exact_active(const cpae_trainer *t)
{
    return cpae__term_weight(&cpae__term_lie_exact, &t->cfg, t->lie) > 0.0;
}

bool cpae__trainer_data_sampler(const cpae_trainer *t)
{
    return cpae__term_weight(&cpae__term_lie_local, &t->cfg, t->lie) > 0.0 &&
           (int32_t)cpae__tp(t, CPAE_P_LIE_SAMPLER) == CPAE__SAMPLER_DATA;
}


/* Theta range of the exact form from the data (docs/math.md section 4):
 * twice the largest local-form theta between the anchor's map and the maps
 * of up to 64 training samples, and at least 1. */
static int32_t theta_range_of_data(cpae_trainer *t, const char *fn)
{
    cpae_chain enc, dec;
    (void)cpae__chain(t->model, CPAE_ENCODER, &enc, fn);
    (void)cpae__chain(t->model, CPAE_DECODER, &dec, fn);
    int64_t d = t->d, h = cpae__chain_out(&enc), len = d * h;
    int64_t ns = t->n < 64 ? t->n : 64, anchor = (int64_t)cpae__tp(t, CPAE_P_LIE_ANCHOR);
    double *z = malloc((size_t)(h * (ns + 1)) * sizeof(double));
    double *A = malloc((size_t)(len * 3) * sizeof(double));
    int32_t st = CPAE_OK;
    if (!z || !A) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    double *A0 = A, *Ai = A + len, *GA = A + 2 * len, big = 0.0;
    if ((st = cpae__chain_forward(&enc, t->x + anchor * d, 1, z, NULL, 0, fn)) ||
        (st = cpae__chain_frozen(&dec, z, NULL, NULL, A0, NULL, NULL, fn)))
        goto done;
    for (int64_t j = 0; j < t->lie->k; j++) { /* each generator's own projection */
        cpae__gemm(false, false, d, h, d, 1.0, t->lie->g + j * d * d, d, A0, h, 0.0, GA, h);
        double gg = 0;
        for (int64_t e = 0; e < len; e++)
            gg += GA[e] * GA[e];
        for (int64_t s = 0; s < ns && gg > 0; s++) {
            int64_t i = s * t->n / ns;
            if ((st = cpae__chain_forward(&enc, t->x + i * d, 1, z + h, NULL, 0, fn)) ||
                (st = cpae__chain_frozen(&dec, z + h, NULL, NULL, Ai, NULL, NULL, fn)))
                goto done;
            double num = 0;
            for (int64_t e = 0; e < len; e++)
                num += (Ai[e] - A0[e]) * GA[e];
            if (fabs(num / gg) > big)
                big = fabs(num / gg);
        }
    }
    t->cfg.theta_max = 2.0 * big > 1.0 ? 2.0 * big : 1.0;
done:
    free(z);
    free(A);
    return st;
}


int32_t cpae__trainer_replan_theta(cpae_trainer *t, const char *fn)
{
    int32_t st = CPAE_OK;
    if (cpae__tp(t, CPAE_P_LIE_THETA_MAX) > 0)
        t->cfg.theta_max = cpae__tp(t, CPAE_P_LIE_THETA_MAX);
    else
        st = theta_range_of_data(t, fn);
    t->theta_valid = st == CPAE_OK;
    return st;
}

int32_t cpae__trainer_check_lie(const cpae_trainer *t, const char *fn)
{
    if (t->lie && cpae__lie_learned(t->lie) != t->learn_g)
        return cpae__fail(CPAE_E_MISMATCH, fn, "the generators' trainability changed after "
                          "the trainer was created (cpae_lie_set_trainable)");
    return CPAE_OK;
}

int32_t cpae__trainer_plan(cpae_trainer *t, const char *fn)
{
    int32_t st;
    if ((st = cpae__trainer_check_lie(t, fn)))
        return st;
    if (!t->planned) {
        cpae__term_env env = {t->model, t->lie, &t->cfg, t->x ? t->n : 0};
        if ((st = cpae__loss_check(&env, fn)))
            return st;
        t->planned = true;
    }
    if (cpae__trainer_exact_active(t) && !t->theta_valid)
        return cpae__trainer_replan_theta(t, fn);
    return CPAE_OK;
}
