/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* evaluate.c -- test reconstruction error (docs/math.md section 6). */
#include "net/net.h"

#include <math.h>
#include <stdlib.h>

int32_t cpae_model_evaluate(const cpae_model *model, const float *x, int64_t n, int64_t d,
                            double *mse, double *rel)
{
    static const char fn[] = "cpae_model_evaluate";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_points(model, CPAE_AUTOENCODER, x, n, d, &c, fn, "x")))
        return st;
    double *xd, *y;
    if ((st = cpae__to_double(x, n * d, &xd, fn, "x")))
        return st;
    if (!(y = malloc((size_t)(n * d) * sizeof(double)))) {
        free(xd);
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
    if (!(st = cpae__chain_forward(&c, xd, n, y, NULL, 0, fn)) &&
        !(st = cpae__check_output(y, n * d, fn, "reconstruction"))) {
        double se = 0.0, rsum = 0.0;
        int64_t rn = 0;
        for (int64_t i = 0; i < n; i++) {
            double e2 = 0.0, x2 = 0.0;
            for (int64_t j = 0; j < d; j++) {
                double r = y[i * d + j] - xd[i * d + j];
                e2 += r * r;
                x2 += xd[i * d + j] * xd[i * d + j];
            }
            se += e2;
            if (x2 > 0.0) { /* a zero sample has no relative error */
                rsum += sqrt(e2 / x2);
                rn++;
            }
        }
        if (mse)
            *mse = se / (double)(n * d);
        if (rel)
            *rel = rn > 0 ? rsum / (double)rn : NAN;
    }
    free(xd);
    free(y);
    return st;
}
