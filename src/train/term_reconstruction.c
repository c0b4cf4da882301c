/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* term_reconstruction.c -- (1/m) sum_i ||D(E(x~_i)) - x_i||^2, the
 * reconstruction of the clean x from the possibly corrupted x~ (the
 * denoising corruption itself is applied once, before the shared trace, by
 * cpae__loss_eval). Gradient 2 w (y - x) / m, one backward pass.
 * Generic: compiled once per precision (core/real.h). */
#include "train/terms.h"

#include <stdlib.h>

#include "core/real.h"

int32_t X(term_reconstruction_eval)(const X(term_args) *args)
{
    CHAIN ae = X(args_chain)(args, CPAE_AUTOENCODER);
    int64_t m = args->batch->m, n = m * X(chain_in)(&ae);
    double w = args->cfg->v[CPAE_P_W_RECONSTRUCTION];
    const real *y = X(trace_out)(args->tr), *x = args->x;
    real *dy = args->grad && w != 0.0 ? cpae__pool_alloc(args->batch->pool,
                                                         (size_t)n * sizeof(real))
                                      : NULL;
    if (args->grad && w != 0.0 && !dy)
        return cpae__fail(CPAE_E_NOMEM, args->fn, "out of memory");
    double rec = 0.0;
    for (int64_t e = 0; e < n; e++) {
        double r = (double)y[e] - (double)x[e];
        rec += r * r;
        if (dy)
            dy[e] = (real)(2.0 * w * r / (double)m);
    }
    args->terms[CPAE__T_REC] = rec / (double)m;
    int32_t st = CPAE_OK;
    if (dy)
        st = X(trace_backward)(&ae, args->tr, dy, args->base, args->grad, NULL, args->fn);
    cpae__pool_free(args->batch->pool, dy);
    return st;
}

#ifndef CPAE_SINGLE /* the table row, once */
static const cpae__param_info PARAMS[] = {
    {CPAE_P_W_RECONSTRUCTION, 0, 1e9, 1, false},
    {CPAE_P_NOISE_SIGMA, 0, 1e6, 0, false},
    {CPAE_P_NOISE_MASK, 0, 0.999999, 0, false},
};

const cpae__term cpae__term_reconstruction = {
    CPAE_TERM_RECONSTRUCTION, "reconstruction", CPAE_P_W_RECONSTRUCTION,
    CPAE__NEEDS_NOISE | CPAE__ALWAYS_REPORTED, PARAMS, (int32_t)(sizeof PARAMS / sizeof *PARAMS),
    NULL, cpae__term_reconstruction_eval, cpae__term_reconstruction_eval_f,
};
#endif
