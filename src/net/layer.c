/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* layer.c -- standalone dense layers: a = s(W a_prev + b). */
#include "net/net.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int32_t cpae_layer_create(int64_t n_in, int64_t n_out, int32_t activation,
                          double alpha, cpae_layer **out)
{
    static const char fn[] = "cpae_layer_create";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(out, fn, "out");
    if (st)
        return st;
    if (n_in < 1 || n_out < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "widths must be >= 1 (n_in=%lld, n_out=%lld)",
                          (long long)n_in, (long long)n_out);
    if (n_in > CPAE_MAX_WIDTH || n_out > CPAE_MAX_WIDTH)
        return cpae__fail(CPAE_E_LIMIT, fn, "width exceeds CPAE_MAX_WIDTH (%d)",
                          CPAE_MAX_WIDTH);
    if (!cpae__valid_activation(activation))
        return cpae__fail(CPAE_E_INVALID, fn, "unknown activation %d", (int)activation);
    if (activation == CPAE_ACT_LEAKY_RELU && !(fabs(alpha) <= FLT_MAX))
        return cpae__fail(CPAE_E_NONFINITE, fn, "alpha is not finite (or beyond FLT_MAX)");
    int64_t nw;
    if (!cpae__mul_ok(n_in, n_out, &nw) || nw > CPAE_MAX_PARAMS)
        return cpae__fail(CPAE_E_LIMIT, fn, "n_in * n_out exceeds CPAE_MAX_PARAMS");
    size_t bytes = sizeof(struct cpae_layer) + (size_t)(nw + n_out) * sizeof(double);
    struct cpae_layer *l = calloc(1, bytes);
    if (!l)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %zu bytes", bytes);
    l->n_in = n_in;
    l->n_out = n_out;
    l->act = activation;
    l->alpha = activation == CPAE_ACT_LEAKY_RELU ? alpha : 0.0;
    l->w = (double *)(l + 1);
    l->b = l->w + nw;
    *out = l;
    return CPAE_OK;
}

void cpae_layer_destroy(cpae_layer *layer) { free(layer); }

int32_t cpae_layer_dims(const cpae_layer *layer, int64_t *n_in, int64_t *n_out)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(layer, "cpae_layer_dims", "layer");
    if (st)
        return st;
    if (n_in)
        *n_in = layer->n_in;
    if (n_out)
        *n_out = layer->n_out;
    return CPAE_OK;
}

int32_t cpae_layer_activation(const cpae_layer *layer, int32_t *activation,
                              double *alpha)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(layer, "cpae_layer_activation", "layer");
    if (st)
        return st;
    if (activation)
        *activation = layer->act;
    if (alpha)
        *alpha = layer->alpha;
    return CPAE_OK;
}


int32_t cpae_layer_set_weights(cpae_layer *layer, const float *w, int64_t w_len)
{
    static const char fn[] = "cpae_layer_set_weights";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(layer, fn, "layer");
    if (st)
        return st;
    return cpae__copy_in(layer->w, w, w_len, layer->n_in * layer->n_out, fn, "w");
}

int32_t cpae_layer_get_weights(const cpae_layer *layer, float *w, int64_t w_cap)
{
    static const char fn[] = "cpae_layer_get_weights";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(layer, fn, "layer");
    if (st)
        return st;
    return cpae__copy_out(w, w_cap, layer->w, layer->n_in * layer->n_out, fn, "w");
}

int32_t cpae_layer_set_bias(cpae_layer *layer, const float *b, int64_t b_len)
{
    static const char fn[] = "cpae_layer_set_bias";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(layer, fn, "layer");
    if (st)
        return st;
    return cpae__copy_in(layer->b, b, b_len, layer->n_out, fn, "b");
}

int32_t cpae_layer_get_bias(const cpae_layer *layer, float *b, int64_t b_cap)
{
    static const char fn[] = "cpae_layer_get_bias";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(layer, fn, "layer");
    if (st)
        return st;
    return cpae__copy_out(b, b_cap, layer->b, layer->n_out, fn, "b");
}

int32_t cpae_layer_forward(const cpae_layer *layer, const float *x, int64_t n,
                           int64_t n_in, float *y, int64_t y_cap)
{
    static const char fn[] = "cpae_layer_forward";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(layer, fn, "layer")) ||
        (st = cpae__check_ptr(x, fn, "x")) || (st = cpae__check_ptr(y, fn, "y")))
        return st;
    if (n < 1 || n_in != layer->n_in)
        return cpae__fail(CPAE_E_SIZE, fn, "n=%lld, n_in=%lld (layer takes %lld)",
                          (long long)n, (long long)n_in, (long long)layer->n_in);
    int64_t need, n_x;
    if (!cpae__mul_ok(n, layer->n_out, &need) || !cpae__mul_ok(n, n_in, &n_x) ||
        need > (INT64_C(1) << 40) || n_x > (INT64_C(1) << 40))
        return cpae__fail(CPAE_E_SIZE, fn, "n = %lld rows is too large", (long long)n);
    if ((st = cpae__check_cap(y_cap, need, fn, "y")))
        return st;
    cpae_chain c = {layer, 1};
    double *xd = NULL;
    if ((st = cpae__to_double(x, n_x, &xd, fn, "x")))
        return st;
    double *yd = malloc((size_t)need * sizeof(double));
    if (!yd) {
        free(xd);
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
    st = cpae__chain_forward(&c, xd, n, yd, NULL, 0, fn);
    if (!st)
        for (int64_t i = 0; i < need; i++)
            y[i] = (float)yd[i];
    free(xd);
    free(yd);
    return st;
}
