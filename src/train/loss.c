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

double **cpae__stack_states(const cpae_chain *c, double *const *qa, int64_t ma,
                            double *const *qb, const int64_t *rows_b, int64_t mb,
                            double **buf_out)
{
    int64_t total = 0;
    for (int64_t l = 0; l < c->n; l++)
        total += (ma + mb) * c->layers[l].n_out;
    double **q = malloc((size_t)c->n * sizeof(double *));
    double *buf = malloc((size_t)(total ? total : 1) * sizeof(double));
    if (!q || !buf) {
        free(q);
        free(buf);
        return NULL;
    }
    double *p = buf;
    for (int64_t l = 0; l < c->n; l++) {
        int64_t n = c->layers[l].n_out;
        q[l] = p;
        memcpy(p, qa[l], (size_t)(ma * n) * sizeof(double));
        for (int64_t r = 0; r < mb; r++)
            memcpy(p + (ma + r) * n, qb[l] + (rows_b ? rows_b[r] : r) * n,
                   (size_t)n * sizeof(double));
        p += (ma + mb) * n;
    }
    *buf_out = buf;
    return q;
}

int32_t cpae__loss_eval(const cpae_model *model, const struct cpae_lie *lie,
                        const cpae__loss_cfg *cfg, const cpae__batch *b, cpae_rng *rng,
                        double *terms, double *grad, const char *fn)
{
    cpae_chain ae;
    (void)cpae__chain(model, CPAE_AUTOENCODER, &ae, fn);
    int64_t m = b->m, d = cpae__chain_in(&ae);
    double sigma = cfg->v[CPAE_P_NOISE_SIGMA], mask = cfg->v[CPAE_P_NOISE_MASK];
    for (int t = 0; t < CPAE__N_TERMS; t++)
        terms[t] = 0.0;
    double *xin = malloc((size_t)(m * d) * sizeof(double));
    cpae__trace tr = {0};
    int32_t st = CPAE_OK;
    if (!xin) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    /* Denoising: every term sees the corrupted input; the reconstruction
     * term compares with the clean x. */
    for (int64_t e = 0; e < m * d; e++) {
        double v = b->x[e];
        if (mask > 0.0 && cpae__rng_uniform(rng) < mask)
            v = 0.0;
        if (sigma > 0.0)
            v += sigma * cpae__rng_normal(rng);
        xin[e] = v;
    }
    if ((st = cpae__trace_run(&ae, xin, m, &tr, b->pool, fn)))
        goto done;
    cpae__term_args args = {model, lie, cfg, b, &tr, xin, rng, terms, grad, fn};
    int32_t (*last)(const cpae__term_args *) = NULL;
    for (int32_t t = 0; t < cpae__n_terms && !st; t++) {
        const cpae__term *row = cpae__terms[t];
        double w = cpae__term_weight(row, cfg, lie);
        if (!(w > 0.0) && !(row->needs & CPAE__ALWAYS_REPORTED))
            continue;
        if (row->evaluate != last) /* shared evaluations run once */
            st = row->evaluate(&args);
        last = row->evaluate;
        terms[CPAE__T_TOTAL] += w * terms[row->id];
    }
done:
    cpae__trace_free(&tr);
    free(xin);
    return st;
}
