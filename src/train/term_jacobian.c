/* term_jacobian.c -- the encoder-Jacobian terms, which share one stacked
 * tangent pass over the batch and its corrupted copies:
 *   contractive   (1/m) sum_i ||J_E(x_i)||_F^2
 *   higher order  (1/(m n_c)) sum_i sum_k ||J_E(x_i) - J_E(x_i + eps_ik)||_F^2,
 *                 eps_ik ~ N(0, sigma^2 I) (docs/math.md section 3).
 * dL/dJ goes back through the tangent engine in one pass. */
#include "train/terms.h"

#include <stdlib.h>

static int32_t evaluate(const cpae__term_args *args)
{
    const cpae_model *model = args->model;
    const cpae__loss_cfg *cfg = args->cfg;
    const cpae__trace *tr = args->tr;
    const double *xin = args->xin;
    int64_t m = args->batch->m;
    double *terms = args->terms, *grad = args->grad;
    const char *fn = args->fn;
    cpae_chain enc;
    (void)cpae__chain(model, CPAE_ENCODER, &enc, fn);
    int64_t d = cpae__chain_in(&enc), h = cpae__chain_out(&enc);
    int64_t nc = cfg->v[CPAE_P_W_HIGHER_ORDER] > 0.0 ? (int64_t)cfg->v[CPAE_P_HOC_COPIES] : 0;
    int64_t M = m * (1 + nc), blk = h * d;
    cpae__trace tc = {0};
    cpae__tangent tg = {0};
    double *xc = NULL, *J = NULL, *dJ = NULL, *qbuf = NULL, **q = NULL;
    int32_t st = CPAE_OK;
    if (nc > 0) { /* corrupted copies x + eps_k, n_c per sample */
        if (!(xc = malloc((size_t)(m * nc * d) * sizeof(double)))) {
            st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
            goto done;
        }
        for (int64_t i = 0; i < m; i++)
            for (int64_t k = 0; k < nc; k++)
                for (int64_t j = 0; j < d; j++)
                    xc[(i * nc + k) * d + j] =
                        xin[i * d + j] + cfg->v[CPAE_P_HOC_SIGMA] * cpae__rng_normal(args->rng);
        if ((st = cpae__trace_run(&enc, xc, m * nc, &tc, tr->pool, fn)))
            goto done;
    }
    q = cpae__stack_states(&enc, tr->q, m, tc.q, NULL, m * nc, &qbuf);
    J = cpae__pool_alloc(tr->pool, (size_t)(M * blk) * sizeof(double));
    dJ = cpae__pool_calloc(tr->pool, (size_t)(M * blk) * sizeof(double));
    if (!q || !J || !dJ) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if ((st = cpae__tangent_forward(&enc, (const double *const *)q, M, &tg, J, tr->pool, fn)))
        goto done;
    double contract = 0.0, hoc = 0.0;
    double cc = 2.0 * cfg->v[CPAE_P_W_CONTRACTIVE] / (double)m;
    double ch = nc > 0 ? 2.0 * cfg->v[CPAE_P_W_HIGHER_ORDER] / (double)(m * nc) : 0.0;
    for (int64_t i = 0; i < m; i++) {
        const double *Ji = J + i * blk;
        for (int64_t e = 0; e < blk; e++) {
            contract += Ji[e] * Ji[e];
            dJ[i * blk + e] += cc * Ji[e];
        }
        for (int64_t k = 0; k < nc; k++) {
            int64_t s = m + i * nc + k;
            const double *Jk = J + s * blk;
            for (int64_t e = 0; e < blk; e++) {
                double diff = Ji[e] - Jk[e];
                hoc += diff * diff;
                dJ[i * blk + e] += ch * diff;
                dJ[s * blk + e] -= ch * diff;
            }
        }
    }
    terms[CPAE__T_CONTRACT] = contract / (double)m;
    terms[CPAE__T_HOC] = nc > 0 ? hoc / (double)(m * nc) : 0.0;
    if (grad)
        st = cpae__tangent_backward(&enc, &tg, dJ, model->params, grad, NULL, fn);
done:
    cpae__tangent_free(&tg);
    cpae__trace_free(&tc);
    free(xc);
    cpae__pool_free(tr->pool, J);
    cpae__pool_free(tr->pool, dJ);
    free(q);
    free(qbuf);
    return st;
}

static const cpae__param_info CONTRACTIVE_PARAMS[] = {
    {CPAE_P_W_CONTRACTIVE, 0, 1e9, 0, false},
};

static const cpae__param_info HOC_PARAMS[] = {
    {CPAE_P_W_HIGHER_ORDER, 0, 1e9, 0, false},
    {CPAE_P_HOC_SIGMA, 0, 1e6, 0.1, false},
    {CPAE_P_HOC_COPIES, 1, 1024, 4, true},
};

const cpae__term cpae__term_contractive = {
    CPAE_TERM_CONTRACTIVE, "contractive", CPAE_P_W_CONTRACTIVE, CPAE__NEEDS_ENC_TANGENTS,
    CONTRACTIVE_PARAMS, 1, NULL, evaluate,
};

const cpae__term cpae__term_higher_order = {
    CPAE_TERM_HIGHER_ORDER, "higher_order", CPAE_P_W_HIGHER_ORDER,
    CPAE__NEEDS_ENC_TANGENTS | CPAE__NEEDS_NOISE, HOC_PARAMS,
    (int32_t)(sizeof HOC_PARAMS / sizeof *HOC_PARAMS), NULL, evaluate,
};
