/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* term_jacobian.c -- the encoder-Jacobian terms, which share one stacked
 * tangent pass over the batch and its corrupted copies:
 *   contractive   (1/m) sum_i ||J_E(x_i)||_F^2
 *   higher order  (1/(m n_c)) sum_i sum_k ||J_E(x_i) - J_E(x_i + eps_ik)||_F^2,
 *                 eps_ik ~ N(0, sigma^2 I) (docs/math.md section 3).
 * dL/dJ goes back through the tangent engine in one pass.
 * Generic: compiled once per precision (core/real.h). */
#include "train/terms.h"

#include <stdlib.h>

#include "core/real.h"

/* The terms through the first layer's Gram matrix. With V_s = U^0_s Q^0_s
 * ((h x n_1) per sample: the tangent engine stopped before the first
 * layer) every Jacobian is J_s = V_s W^0, and both terms are quadratic
 * forms in J: ||J_i||^2 = <V_i, V_i C> and ||J_i - J_ik||^2 =
 * <V_i - V_ik, (V_i - V_ik) C> with C = W^0 W^0^T (n_1 x n_1). With
 * D the gradient's coefficients (dL/dJ = D W^0): dL/dW^0 = (V^T D) W^0 and
 * the gradient reaching U^0 is (D C) Q^0, where D C comes from V C by the
 * same linear combination. The widest products, (m out) x d x n_1 for J
 * and again for dW^0, become n_1 x n_1 ones. */
static int32_t X(jacobian_gram)(const X(term_args) *args, const CHAIN *enc,
                                const real *const *q, int64_t M, int64_t nc)
{
    const cpae__loss_cfg *cfg = args->cfg;
    cpae__pool *pool = args->tr->pool;
    const char *fn = args->fn;
    const LAYER *L0 = &enc->layers[0];
    int64_t m = args->batch->m, h = X(chain_out)(enc), d = L0->n_in, n1 = L0->n_out;
    int64_t rows = M * h, blk = h * n1;
    X(tangent) tg = {0};
    real *C = cpae__pool_alloc(pool, (size_t)(2 * n1 * n1) * sizeof(real)), *Gm = C + n1 * n1;
    real *VC = cpae__pool_alloc(pool, (size_t)(3 * rows * n1) * sizeof(real));
    real *D = VC + rows * n1, *DC = D + rows * n1;
    int32_t st = CPAE_OK;
    if (!C || !VC) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if ((st = X(tangent_forward)(enc, q, M, &tg, NULL, pool, fn)))
        goto done;
    const real *V = tg.T[enc->n];
    X(gemm)(false, true, n1, n1, d, 1.0, L0->w, d, L0->w, d, 0.0, C, n1);
    X(gemm)(false, false, rows, n1, n1, 1.0, V, n1, C, n1, 0.0, VC, n1);
    double contract = 0.0, hoc = 0.0;
    double cc = 2.0 * cfg->v[CPAE_P_W_CONTRACTIVE] / (double)m;
    double ch = nc > 0 ? 2.0 * cfg->v[CPAE_P_W_HIGHER_ORDER] / (double)(m * nc) : 0.0;
    for (int64_t i = 0; i < m; i++) {
        const real *Vi = V + i * blk, *VCi = VC + i * blk;
        real *Di = D + i * blk, *DCi = DC + i * blk;
        for (int64_t e = 0; e < blk; e++) {
            contract += (double)Vi[e] * (double)VCi[e];
            Di[e] = (real)(cc * Vi[e]);
            DCi[e] = (real)(cc * VCi[e]);
        }
        for (int64_t k = 0; k < nc; k++) {
            int64_t s = m + i * nc + k;
            const real *Vk = V + s * blk, *VCk = VC + s * blk;
            real *Dk = D + s * blk, *DCk = DC + s * blk;
            for (int64_t e = 0; e < blk; e++) {
                real dv = Vi[e] - Vk[e], dvc = VCi[e] - VCk[e];
                hoc += (double)dv * (double)dvc;
                Di[e] += (real)(ch * dv);
                Dk[e] = (real)(-ch * dv);
                DCi[e] += (real)(ch * dvc);
                DCk[e] = (real)(-ch * dvc);
            }
        }
    }
    args->terms[CPAE__T_CONTRACT] = contract / (double)m;
    args->terms[CPAE__T_HOC] = nc > 0 ? hoc / (double)(m * nc) : 0.0;
    if (!args->grad)
        goto done;
    /* dW^0 += (V^T D) W^0; the gradient of U^0 is (D C) Q^0. */
    X(gemm)(true, false, n1, n1, rows, 1.0, V, n1, D, n1, 0.0, Gm, n1);
    X(gemm)(false, false, n1, d, n1, 1.0, Gm, n1, L0->w, d, 1.0,
            args->grad + (L0->w - args->base), d);
    if (cpae__has_bits(L0->act))
        for (int64_t s = 0; s < M; s++)
            for (int64_t r = 0; r < h; r++)
                for (int64_t u = 0; u < n1; u++)
                    DC[(s * h + r) * n1 + u] *= q[0][s * n1 + u];
    st = X(tangent_backward_from)(enc, &tg, DC, 1, args->base, args->grad, fn);
done:
    X(tangent_free)(&tg);
    cpae__pool_free(pool, C);
    cpae__pool_free(pool, VC);
    return st;
}

int32_t X(term_jacobian_eval)(const X(term_args) *args)
{
    const cpae__loss_cfg *cfg = args->cfg;
    const X(trace) *tr = args->tr;
    const real *xin = args->xin;
    int64_t m = args->batch->m;
    double *terms = args->terms;
    real *grad = args->grad;
    const char *fn = args->fn;
    CHAIN enc = X(args_chain)(args, CPAE_ENCODER);
    int64_t d = X(chain_in)(&enc), h = X(chain_out)(&enc);
    int64_t nc = cfg->v[CPAE_P_W_HIGHER_ORDER] > 0.0 ? (int64_t)cfg->v[CPAE_P_HOC_COPIES] : 0;
    int64_t M = m * (1 + nc), blk = h * d;
    X(trace) tc = {0};
    X(tangent) tg = {0};
    real *xc = NULL, *J = NULL, *dJ = NULL, **q = NULL;
    int32_t st = CPAE_OK;
    if (nc > 0) { /* corrupted copies x + eps_k, n_c per sample */
        if (!(xc = cpae__pool_alloc(tr->pool, (size_t)(m * nc * d) * sizeof(real)))) {
            st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
            goto done;
        }
        double *eps = cpae__pool_alloc(tr->pool, (size_t)(m * nc * d) * sizeof(double));
        if (!eps) {
            st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
            goto done;
        }
        for (int64_t i = 0; i < m; i++) { /* each sample's copies from its own stream */
            cpae_rng r;
            cpae__batch_rng(args->batch, i, CPAE__DRAW_HOC, &r);
            cpae__rng_normals(&r, eps + i * nc * d, nc * d);
        }
        for (int64_t i = 0; i < m; i++)
            for (int64_t k = 0; k < nc; k++)
                for (int64_t j = 0; j < d; j++)
                    xc[(i * nc + k) * d + j] = (real)(
                        xin[i * d + j] + cfg->v[CPAE_P_HOC_SIGMA] * eps[(i * nc + k) * d + j]);
        cpae__pool_free(tr->pool, eps);
        if ((st = X(trace_run)(&enc, xc, m * nc, &tc, tr->pool, fn)))
            goto done;
    }
    q = X(stack_states)(&enc, tr->q, m, tc.q, NULL, m * nc, tr->pool);
    if (d > h && enc.layers[0].n_out < d) { /* the usual encoder: see gram() */
        st = q ? X(jacobian_gram)(args, &enc, (const real *const *)q, M, nc)
               : cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    J = cpae__pool_alloc(tr->pool, (size_t)(M * blk) * sizeof(real));
    dJ = cpae__pool_calloc(tr->pool, (size_t)(M * blk) * sizeof(real));
    if (!q || !J || !dJ) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    if ((st = X(tangent_forward)(&enc, (const real *const *)q, M, &tg, J, tr->pool, fn)))
        goto done;
    double contract = 0.0, hoc = 0.0;
    double cc = 2.0 * cfg->v[CPAE_P_W_CONTRACTIVE] / (double)m;
    double ch = nc > 0 ? 2.0 * cfg->v[CPAE_P_W_HIGHER_ORDER] / (double)(m * nc) : 0.0;
    for (int64_t i = 0; i < m; i++) {
        const real *Ji = J + i * blk;
        for (int64_t e = 0; e < blk; e++) {
            contract += (double)Ji[e] * (double)Ji[e];
            dJ[i * blk + e] += (real)(cc * Ji[e]);
        }
        for (int64_t k = 0; k < nc; k++) {
            int64_t s = m + i * nc + k;
            const real *Jk = J + s * blk;
            for (int64_t e = 0; e < blk; e++) {
                real diff = Ji[e] - Jk[e];
                hoc += (double)diff * (double)diff;
                dJ[i * blk + e] += (real)(ch * diff);
                dJ[s * blk + e] -= (real)(ch * diff);
            }
        }
    }
    terms[CPAE__T_CONTRACT] = contract / (double)m;
    terms[CPAE__T_HOC] = nc > 0 ? hoc / (double)(m * nc) : 0.0;
    if (grad)
        st = X(tangent_backward)(&enc, &tg, dJ, args->base, grad, NULL, fn);
done:
    X(tangent_free)(&tg);
    X(trace_free)(&tc);
    cpae__pool_free(tr->pool, xc);
    cpae__pool_free(tr->pool, J);
    cpae__pool_free(tr->pool, dJ);
    cpae__pool_free(tr->pool, q);
    return st;
}

#ifndef CPAE_SINGLE /* the table rows, once */
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
    CONTRACTIVE_PARAMS, 1, NULL, cpae__term_jacobian_eval, cpae__term_jacobian_eval_f,
};

const cpae__term cpae__term_higher_order = {
    CPAE_TERM_HIGHER_ORDER, "higher_order", CPAE_P_W_HIGHER_ORDER,
    CPAE__NEEDS_ENC_TANGENTS | CPAE__NEEDS_NOISE, HOC_PARAMS,
    (int32_t)(sizeof HOC_PARAMS / sizeof *HOC_PARAMS), NULL, cpae__term_jacobian_eval,
    cpae__term_jacobian_eval_f,
};
#endif
