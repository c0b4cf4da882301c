/* term_reconstruction.c -- (1/m) sum_i ||D(E(x~_i)) - x_i||^2, the
 * reconstruction of the clean x from the possibly corrupted x~ (the
 * denoising corruption itself is applied once, before the shared trace, by
 * cpae__loss_eval). Gradient 2 w (y - x) / m, one backward pass. */
#include "train/terms.h"

#include <stdlib.h>

static int32_t evaluate(const cpae__term_args *args)
{
    cpae_chain ae;
    (void)cpae__chain(args->model, CPAE_AUTOENCODER, &ae, args->fn);
    int64_t m = args->batch->m, n = m * cpae__chain_in(&ae);
    double w = args->cfg->v[CPAE_P_W_RECONSTRUCTION];
    const double *y = cpae__trace_out(args->tr), *x = args->batch->x;
    double *dy = args->grad && w != 0.0 ? malloc((size_t)n * sizeof(double)) : NULL;
    if (args->grad && w != 0.0 && !dy)
        return cpae__fail(CPAE_E_NOMEM, args->fn, "out of memory");
    double rec = 0.0;
    for (int64_t e = 0; e < n; e++) {
        double r = y[e] - x[e];
        rec += r * r;
        if (dy)
            dy[e] = 2.0 * w * r / (double)m;
    }
    args->terms[CPAE__T_REC] = rec / (double)m;
    int32_t st = CPAE_OK;
    if (dy)
        st = cpae__trace_backward(&ae, args->tr, dy, args->model->params, args->grad, NULL,
                                  args->fn);
    free(dy);
    return st;
}

static const cpae__param_info PARAMS[] = {
    {CPAE_P_W_RECONSTRUCTION, 0, 1e9, 1, false},
    {CPAE_P_NOISE_SIGMA, 0, 1e6, 0, false},
    {CPAE_P_NOISE_MASK, 0, 0.999999, 0, false},
};

const cpae__term cpae__term_reconstruction = {
    CPAE_TERM_RECONSTRUCTION, "reconstruction", CPAE_P_W_RECONSTRUCTION,
    CPAE__NEEDS_NOISE | CPAE__ALWAYS_REPORTED, PARAMS, (int32_t)(sizeof PARAMS / sizeof *PARAMS),
    NULL, evaluate,
};
