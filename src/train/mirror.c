/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* mirror.c -- the trainer's single-precision copy of its model and
 * generators (train/loss.h). Training in float keeps the master values,
 * the optimiser state and the gradient accumulation in double; only the
 * evaluation (forward, tangent engine, loss terms) runs in float, on this
 * copy, refreshed before every evaluation (n_params conversions, against
 * the O(m n_params) work of the evaluation itself). */
#include "train/loss.h"

#include <stdlib.h>
#include <string.h>

int32_t cpae__mirror_init(cpae__mirror *mi, const cpae_model *model,
                          const struct cpae_lie *lie, const char *fn)
{
    memset(mi, 0, sizeof *mi);
    int64_t nl = model->n_enc + model->n_dec, np = model->n_params;
    int64_t ng = lie ? lie->k * lie->d * lie->d : 0;
    mi->layers = malloc((size_t)nl * sizeof *mi->layers);
    mi->params = malloc((size_t)(np ? np : 1) * sizeof(float));
    mi->g = ng ? malloc((size_t)ng * sizeof(float)) : NULL;
    mi->grad = malloc((size_t)(np + ng ? np + ng : 1) * sizeof(float));
    if (!mi->layers || !mi->params || (ng && !mi->g) || !mi->grad) {
        cpae__mirror_free(mi);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate the single-precision mirror "
                          "(%lld values)", (long long)(2 * (np + ng)));
    }
    mi->n_params = np;
    mi->n_gen = ng;
    for (int64_t l = 0; l < nl; l++) {
        const struct cpae_layer *L = &model->layers[l];
        mi->layers[l] = (cpae__layer_f){L->n_in, L->n_out, L->act, (float)L->alpha,
                                        mi->params + (L->w - model->params),
                                        mi->params + (L->b - model->params)};
    }
    return CPAE_OK;
}

void cpae__mirror_sync(cpae__mirror *mi, const cpae_model *model, const struct cpae_lie *lie)
{
    cpae__narrow(model->params, mi->n_params, mi->params);
    if (mi->n_gen)
        cpae__narrow(lie->g, mi->n_gen, mi->g);
}

void cpae__mirror_free(cpae__mirror *mi)
{
    free(mi->layers);
    free(mi->params);
    free(mi->g);
    free(mi->grad);
    memset(mi, 0, sizeof *mi);
}
