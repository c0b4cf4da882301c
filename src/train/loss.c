/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* loss.c -- the loss-term table and the evaluation that walks it
 * (docs/math.md section 3).
 *
 * One evaluation: corrupt the batch when denoising is on, trace the
 * autoencoder once over it, then run every active row's evaluate in table
 * order (rows that share an evaluate run it once); the total is the
 * weighted sum over the rows. Every Jacobian term goes through the tangent
 * engine: the Jacobians a term needs are formed in one stacked pass, and
 * dL/dJ goes back in one stacked pass. */
#include "train/loss.h"
#include "train/terms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The table: one row per term, in cpae_loss_term order (the evaluation
 * order, which fixes the random stream a seed gives). */
const cpae__term *const cpae__terms[] = {
    &cpae__term_reconstruction, &cpae__term_contractive, &cpae__term_higher_order,
    &cpae__term_lie_local, &cpae__term_lie_exact,
};
const int32_t cpae__n_terms = (int32_t)(sizeof cpae__terms / sizeof cpae__terms[0]);

int64_t cpae_n_loss_terms(void) { return CPAE_N_LOSS_TERMS; }

const char *cpae_loss_term_name(int32_t term)
{
    if (term == CPAE__T_TOTAL)
        return "total";
    for (int32_t t = 0; t < cpae__n_terms; t++)
        if (cpae__terms[t]->id == term)
            return cpae__terms[t]->name;
    return "unknown";
}

double cpae__term_weight(const cpae__term *t, const cpae__loss_cfg *cfg,
                         const struct cpae_lie *lie)
{
    if ((t->needs & CPAE__NEEDS_GENERATOR) && !lie)
        return 0.0;
    return cfg->v[t->weight_key];
}

int32_t cpae__loss_check(const cpae__term_env *env, const char *fn)
{
    for (int32_t t = 0; t < cpae__n_terms; t++) {
        const cpae__term *row = cpae__terms[t];
        int32_t st;
        if (row->check && cpae__term_weight(row, env->cfg, env->lie) > 0.0 &&
            (st = row->check(env, fn)))
            return st;
    }
    return CPAE_OK;
}

/* The double evaluation: every active row, or with float_done only the
 * rows without a float evaluate (the exact form; they come last in the
 * table). *ran is set when a row ran. */
static int32_t eval_double(const cpae_model *model, const struct cpae_lie *lie,
                           const cpae__loss_cfg *cfg, const cpae__batch *b, cpae_rng *rng,
                           const double *xin, bool float_done, double *terms, double *grad,
                           bool *ran, const char *fn)
{
    cpae_chain ae;
    (void)cpae__chain(model, CPAE_AUTOENCODER, &ae, fn);
    cpae__trace tr = {0};
    int32_t st = CPAE_OK;
    cpae__term_args args = {model, lie, model->layers, model->params, lie ? lie->g : NULL,
                            cfg, b, b->x, b->x_nbr, &tr, xin, rng, terms, grad, fn};
    int32_t (*last)(const cpae__term_args *) = NULL;
    bool traced = false;
    for (int32_t t = 0; t < cpae__n_terms && !st; t++) {
        const cpae__term *row = cpae__terms[t];
        double w = cpae__term_weight(row, cfg, lie);
        if ((float_done && row->evaluate_f) ||
            (!(w > 0.0) && !(row->needs & CPAE__ALWAYS_REPORTED)))
            continue;
        if (!traced && (st = cpae__trace_run(&ae, xin, b->m, &tr, b->pool, fn)))
            break;
        traced = true;
        *ran = true;
        if (row->evaluate != last) /* shared evaluations run once */
            st = row->evaluate(&args);
        last = row->evaluate;
    }
    cpae__trace_free(&tr);
    return st;
}

/* Is a row without a float evaluate active? */
static bool double_rows(const cpae__loss_cfg *cfg, const struct cpae_lie *lie)
{
    for (int32_t t = 0; t < cpae__n_terms; t++)
        if (!cpae__terms[t]->evaluate_f && cpae__term_weight(cpae__terms[t], cfg, lie) > 0.0)
            return true;
    return false;
}

/* eval_single's "the float range overflowed" (never returned to a caller). */
#define EVAL_OVERFLOW (-1)

/* Copy n doubles into a float block from the pool. */
static float *to_float(cpae__pool *pool, const double *v, int64_t n)
{
    float *f = cpae__pool_alloc(pool, (size_t)n * sizeof(float));
    if (f)
        cpae__narrow(v, n, f);
    return f;
}

/* The single-precision evaluation of the rows that have one; the
 * gradient lands in the mirror and is added to grad in double. EVAL_OVERFLOW
 * (grad untouched) when a value left the float range. */
static int32_t eval_single(const cpae_model *model, const struct cpae_lie *lie,
                           const cpae__loss_cfg *cfg, const cpae__batch *b, cpae_rng *rng,
                           const double *xin, double *terms, double *grad, bool add,
                           const char *fn)
{
    cpae__mirror *mi = b->mirror;
    cpae__mirror_sync(mi, model, lie);
    int64_t m = b->m, d = model->layers[0].n_in, K = (int64_t)cfg->v[CPAE_P_LIE_NEIGHBOURS];
    float *xf = to_float(b->pool, b->x, m * d), *xinf = to_float(b->pool, xin, m * d);
    float *nbrf = b->x_nbr ? to_float(b->pool, b->x_nbr, m * K * d) : NULL;
    cpae__chain_f ae = {mi->layers, model->n_enc + model->n_dec};
    cpae__trace_f tr = {0};
    int32_t st = CPAE_OK;
    if (!xf || !xinf || (b->x_nbr && !nbrf)) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if (grad)
        memset(mi->grad, 0, (size_t)(mi->n_params + mi->n_gen) * sizeof(float));
    if ((st = cpae__trace_run_f(&ae, xinf, m, &tr, b->pool, fn)))
        goto done;
    cpae__term_args_f args = {model, lie, mi->layers, mi->params, mi->g, cfg, b, xf, nbrf,
                              &tr, xinf, rng, terms, grad ? mi->grad : NULL, fn};
    int32_t (*last)(const cpae__term_args_f *) = NULL;
    for (int32_t t = 0; t < cpae__n_terms && !st; t++) {
        const cpae__term *row = cpae__terms[t];
        double w = cpae__term_weight(row, cfg, lie);
        if (!row->evaluate_f || (!(w > 0.0) && !(row->needs & CPAE__ALWAYS_REPORTED)))
            continue;
        if (row->evaluate_f != last)
            st = row->evaluate_f(&args);
        last = row->evaluate_f;
    }
    /* Float overflow (huge weights or data) where double would not: the
     * caller re-runs the evaluation in double. */
    bool finite = true;
    for (int32_t t = 0; !st && t < CPAE__N_TERMS; t++)
        finite = finite && isfinite(terms[t]);
    int64_t n = mi->n_params + (lie ? mi->n_gen : 0);
    if (!st && grad && finite)
        finite = cpae__finite_f(mi->grad, n);
    if (!st && !finite)
        st = EVAL_OVERFLOW;
    for (int64_t i = 0; !st && add && grad && i < n; i++)
        grad[i] += (double)mi->grad[i];
done:
    cpae__trace_free_f(&tr);
    cpae__pool_free(b->pool, xf);
    cpae__pool_free(b->pool, xinf);
    cpae__pool_free(b->pool, nbrf);
    return st;
}

int32_t cpae__loss_eval(const cpae_model *model, const struct cpae_lie *lie,
                        const cpae__loss_cfg *cfg, const cpae__batch *batch, cpae_rng *rng,
                        double *terms, double *grad, const char *fn)
{
    /* One draw of the caller's generator keys the evaluation; every
     * sample's random draws come from its own stream under that key. */
    cpae__batch keyed = *batch;
    keyed.key = cpae__rng_next(rng);
    const cpae__batch *b = &keyed;
    int64_t m = b->m, d = model->layers[0].n_in;
    double sigma = cfg->v[CPAE_P_NOISE_SIGMA], mask = cfg->v[CPAE_P_NOISE_MASK];
    for (int t = 0; t < CPAE__N_TERMS; t++)
        terms[t] = 0.0;
    double *xin = cpae__pool_alloc(b->pool, (size_t)(m * d) * sizeof(double));
    if (!xin)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    /* Denoising: every term sees the corrupted input; the reconstruction
     * term compares with the clean x. */
    if (mask > 0.0)
        for (int64_t i = 0; i < m; i++) {
            cpae_rng r;
            cpae__batch_rng(b, i, CPAE__DRAW_NOISE, &r);
            for (int64_t e = i * d; e < (i + 1) * d; e++) {
                double v = b->x[e];
                if (cpae__rng_uniform(&r) < mask)
                    v = 0.0;
                if (sigma > 0.0)
                    v += sigma * cpae__rng_normal(&r);
                xin[e] = v;
            }
        }
    else if (sigma > 0.0) { /* Gaussian noise only: the normals in pairs */
        for (int64_t i = 0; i < m; i++) {
            cpae_rng r;
            cpae__batch_rng(b, i, CPAE__DRAW_NOISE, &r);
            cpae__rng_normals(&r, xin + i * d, d);
        }
        for (int64_t e = 0; e < m * d; e++)
            xin[e] = b->x[e] + sigma * xin[e];
    } else
        memcpy(xin, b->x, (size_t)(m * d) * sizeof(double));
    /* Rows run in table order (the order fixes the random stream a seed
     * gives): the float rows first, then the double-only rows, which come
     * last in the table. */
    int32_t st = CPAE_OK;
    bool single = b->mirror != NULL, keep = single && b->keep_float && grad, ran = false;
    int64_t n = single ? b->mirror->n_params + (lie ? b->mirror->n_gen : 0) : 0;
    cpae_rng rng0 = *rng;
    if (single &&
        (st = eval_single(model, lie, cfg, b, rng, xin, terms, grad, !keep, fn)) == EVAL_OVERFLOW) {
        single = keep = false; /* the whole evaluation again, in double */
        *rng = rng0;
        for (int t = 0; t < CPAE__N_TERMS; t++)
            terms[t] = 0.0;
        if (b->keep_float && grad) /* the caller left grad as it was */
            memset(grad, 0, (size_t)n * sizeof(double));
        st = CPAE_OK;
    }
    if (keep && double_rows(cfg, lie)) /* their share goes through grad */
        memset(grad, 0, (size_t)n * sizeof(double));
    if (!st)
        st = eval_double(model, lie, cfg, b, rng, xin, single, terms, grad, &ran, fn);
    for (int64_t i = 0; !st && keep && ran && i < n; i++)
        b->mirror->grad[i] += (float)grad[i];
    if (b->mirror)
        b->mirror->grad_is_float = keep;
    for (int32_t t = 0; t < cpae__n_terms && !st; t++)
        terms[CPAE__T_TOTAL] += cpae__term_weight(cpae__terms[t], cfg, lie) *
                                terms[cpae__terms[t]->id];
    cpae__pool_free(b->pool, xin);
    return st;
}
