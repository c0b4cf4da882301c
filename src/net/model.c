/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* model.c -- autoencoder handles: creation (He-uniform), layers and
 * parameters, and encode / decode / reconstruct on the chain kernel. */
#include "net/net.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int32_t cpae__model_alloc(const int64_t *n_in, const int64_t *n_out,
                          const int32_t *acts, const double *alphas,
                          int64_t n_enc, int64_t n_dec, cpae_model **out,
                          const char *func)
{
    if (n_enc < 1 || n_dec < 1)
        return cpae__fail(CPAE_E_SIZE, func, "each stack needs at least one layer "
                          "(encoder %lld, decoder %lld)", (long long)n_enc, (long long)n_dec);
    if (n_enc > CPAE_MAX_LAYERS || n_dec > CPAE_MAX_LAYERS)
        return cpae__fail(CPAE_E_LIMIT, func, "more than CPAE_MAX_LAYERS (%d) layers "
                          "in a stack", CPAE_MAX_LAYERS);
    int64_t n_layers = n_enc + n_dec, n_params = 0;
    for (int64_t l = 0; l < n_layers; l++) {
        const char *stack = l < n_enc ? "encoder" : "decoder";
        long long idx = (long long)(l < n_enc ? l : l - n_enc);
        if (n_in[l] < 1 || n_out[l] < 1)
            return cpae__fail(CPAE_E_SIZE, func, "%s layer %lld has width < 1",
                              stack, idx);
        if (n_in[l] > CPAE_MAX_WIDTH || n_out[l] > CPAE_MAX_WIDTH)
            return cpae__fail(CPAE_E_LIMIT, func, "%s layer %lld exceeds CPAE_MAX_WIDTH",
                              stack, idx);
        if (!cpae__valid_activation(acts[l]))
            return cpae__fail(CPAE_E_INVALID, func, "%s layer %lld: unknown activation %d",
                              stack, idx, (int)acts[l]);
        if (alphas && !(fabs(alphas[l]) <= FLT_MAX))
            return cpae__fail(CPAE_E_NONFINITE, func, "%s layer %lld: alpha not finite "
                              "(or beyond FLT_MAX)",
                              stack, idx);
        if (l > 0 && l != n_enc && n_in[l] != n_out[l - 1])
            return cpae__fail(CPAE_E_SIZE, func, "%s layer %lld takes %lld inputs but the "
                              "previous layer gives %lld", stack, idx,
                              (long long)n_in[l], (long long)n_out[l - 1]);
        n_params += n_in[l] * n_out[l] + n_out[l]; /* each <= 2^48: no overflow */
        if (n_params > CPAE_MAX_PARAMS)
            return cpae__fail(CPAE_E_LIMIT, func, "more than CPAE_MAX_PARAMS parameters");
    }
    if (n_in[n_enc] != n_out[n_enc - 1])
        return cpae__fail(CPAE_E_SIZE, func, "decoder input width %lld differs from the "
                          "encoder output width %lld", (long long)n_in[n_enc],
                          (long long)n_out[n_enc - 1]);
    if (n_out[n_layers - 1] != n_in[0])
        return cpae__fail(CPAE_E_SIZE, func, "decoder output width %lld differs from the "
                          "input width %lld", (long long)n_out[n_layers - 1],
                          (long long)n_in[0]);
    /* One block: header, layer table, parameters (released by one free). */
    size_t head = sizeof(cpae_model) + (size_t)n_layers * sizeof(struct cpae_layer);
    head = (head + 15) & ~(size_t)15;
    size_t bytes = head + (size_t)n_params * sizeof(double);
    cpae_model *m = calloc(1, bytes);
    if (!m)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate %zu bytes", bytes);
    m->n_enc = n_enc;
    m->n_dec = n_dec;
    m->n_params = n_params;
    m->layers = (struct cpae_layer *)(m + 1);
    m->params = (double *)((char *)m + head);
    m->alloc_bytes = bytes;
    double *p = m->params;
    for (int64_t l = 0; l < n_layers; l++) {
        struct cpae_layer *L = &m->layers[l];
        L->n_in = n_in[l];
        L->n_out = n_out[l];
        L->act = acts[l];
        L->alpha = acts[l] == CPAE_ACT_LEAKY_RELU
                       ? (alphas ? alphas[l] : CPAE_DEFAULT_LEAKY_ALPHA) : 0.0;
        L->w = p;
        p += n_in[l] * n_out[l];
        L->b = p;
        p += n_out[l];
    }
    *out = m;
    return CPAE_OK;
}

/* He-uniform weights from the library RNG; only +, *, sqrt: bit-identical
 * on every IEEE-754 platform. */
static void init_weights(cpae_model *m, uint64_t seed)
{
    cpae_rng rng;
    cpae__rng_seed(&rng, seed);
    for (int64_t l = 0; l < m->n_enc + m->n_dec; l++) {
        struct cpae_layer *L = &m->layers[l];
        double bound = sqrt(6.0 / (double)L->n_in);
        for (int64_t i = 0; i < L->n_in * L->n_out; i++)
            L->w[i] = bound * (2.0 * cpae__rng_uniform(&rng) - 1.0);
    }
}

int32_t cpae_model_create(const int64_t *enc_widths, const int32_t *enc_acts,
                          const double *enc_alphas, int64_t n_enc_layers,
                          const int64_t *dec_widths, const int32_t *dec_acts,
                          const double *dec_alphas, int64_t n_dec_layers,
                          uint64_t seed, cpae_model **out)
{
    static const char fn[] = "cpae_model_create";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__check_ptr(enc_widths, fn, "enc_widths")) ||
        (st = cpae__check_ptr(enc_acts, fn, "enc_acts")) ||
        (st = cpae__check_ptr(dec_widths, fn, "dec_widths")) ||
        (st = cpae__check_ptr(dec_acts, fn, "dec_acts")))
        return st;
    if (n_enc_layers < 1 || n_dec_layers < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "each stack needs at least one layer");
    if (n_enc_layers > CPAE_MAX_LAYERS || n_dec_layers > CPAE_MAX_LAYERS)
        return cpae__fail(CPAE_E_LIMIT, fn, "more than CPAE_MAX_LAYERS layers in a stack");
    int64_t n = n_enc_layers + n_dec_layers;
    int64_t n_in[2 * CPAE_MAX_LAYERS], n_out[2 * CPAE_MAX_LAYERS];
    int32_t acts[2 * CPAE_MAX_LAYERS];
    double alphas[2 * CPAE_MAX_LAYERS];
    for (int64_t l = 0; l < n; l++) {
        bool enc = l < n_enc_layers;
        int64_t i = enc ? l : l - n_enc_layers;
        const int64_t *w = enc ? enc_widths : dec_widths;
        const double *a = enc ? enc_alphas : dec_alphas;
        n_in[l] = w[i];
        n_out[l] = w[i + 1];
        acts[l] = enc ? enc_acts[i] : dec_acts[i];
        alphas[l] = a ? a[i] : CPAE_DEFAULT_LEAKY_ALPHA;
    }
    cpae_model *m = NULL;
    if ((st = cpae__model_alloc(n_in, n_out, acts, alphas, n_enc_layers,
                                n_dec_layers, &m, fn)))
        return st;
    init_weights(m, seed);
    *out = m;
    return CPAE_OK;
}

int32_t cpae_model_create_mirrored(const int64_t *widths, int64_t n_widths,
                                   int32_t hidden_act, uint64_t seed,
                                   cpae_model **out)
{
    static const char fn[] = "cpae_model_create_mirrored";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__check_ptr(widths, fn, "widths")))
        return st;
    if (n_widths < 2)
        return cpae__fail(CPAE_E_SIZE, fn, "n_widths is %lld; need d and h at least",
                          (long long)n_widths);
    if (n_widths - 1 > CPAE_MAX_LAYERS)
        return cpae__fail(CPAE_E_LIMIT, fn, "more than CPAE_MAX_LAYERS layers");
    if (!cpae__valid_activation(hidden_act))
        return cpae__fail(CPAE_E_INVALID, fn, "unknown activation %d", (int)hidden_act);
    for (int64_t i = 0; i < n_widths; i++) {
        if (widths[i] < 1)
            return cpae__fail(CPAE_E_SIZE, fn, "widths[%lld] is %lld; must be >= 1",
                              (long long)i, (long long)widths[i]);
        if (widths[i] > CPAE_MAX_WIDTH)
            return cpae__fail(CPAE_E_LIMIT, fn, "widths[%lld] exceeds CPAE_MAX_WIDTH",
                              (long long)i);
    }
    int64_t L = n_widths - 1;
    int64_t dec_w[CPAE_MAX_LAYERS + 1];
    int32_t acts[CPAE_MAX_LAYERS];
    for (int64_t i = 0; i <= L; i++)
        dec_w[i] = widths[L - i];
    for (int64_t i = 0; i < L; i++)
        acts[i] = i == L - 1 ? CPAE_ACT_IDENTITY : hidden_act;
    return cpae_model_create(widths, acts, NULL, L, dec_w, acts, NULL, L, seed, out);
}

int32_t cpae_model_from_layers(const cpae_layer *const *enc, int64_t n_enc,
                               const cpae_layer *const *dec, int64_t n_dec,
                               cpae_model **out)
{
    static const char fn[] = "cpae_model_from_layers";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__check_ptr(enc, fn, "enc")) || (st = cpae__check_ptr(dec, fn, "dec")))
        return st;
    if (n_enc < 1 || n_dec < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "each stack needs at least one layer");
    if (n_enc > CPAE_MAX_LAYERS || n_dec > CPAE_MAX_LAYERS)
        return cpae__fail(CPAE_E_LIMIT, fn, "more than CPAE_MAX_LAYERS layers in a stack");
    int64_t n = n_enc + n_dec;
    int64_t n_in[2 * CPAE_MAX_LAYERS], n_out[2 * CPAE_MAX_LAYERS];
    int32_t acts[2 * CPAE_MAX_LAYERS];
    double alphas[2 * CPAE_MAX_LAYERS];
    for (int64_t l = 0; l < n; l++) {
        const cpae_layer *L = l < n_enc ? enc[l] : dec[l - n_enc];
        if (!L)
            return cpae__fail(CPAE_E_NULL, fn, "%s[%lld] is NULL", l < n_enc ? "enc" : "dec",
                              (long long)(l < n_enc ? l : l - n_enc));
        n_in[l] = L->n_in;
        n_out[l] = L->n_out;
        acts[l] = L->act;
        alphas[l] = L->alpha;
    }
    cpae_model *m = NULL;
    if ((st = cpae__model_alloc(n_in, n_out, acts, alphas, n_enc, n_dec, &m, fn)))
        return st;
    for (int64_t l = 0; l < n; l++) {
        const cpae_layer *L = l < n_enc ? enc[l] : dec[l - n_enc];
        memcpy(m->layers[l].w, L->w, (size_t)(L->n_in * L->n_out) * sizeof(double));
        memcpy(m->layers[l].b, L->b, (size_t)L->n_out * sizeof(double));
    }
    *out = m;
    return CPAE_OK;
}

int32_t cpae_model_clone(const cpae_model *model, cpae_model **out)
{
    static const char fn[] = "cpae_model_clone";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(model, fn, "model")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    cpae_model *m = malloc(model->alloc_bytes);
    if (!m)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %zu bytes", model->alloc_bytes);
    memcpy(m, model, model->alloc_bytes);
    /* Re-point the internal pointers into the new block. */
    ptrdiff_t shift = (char *)m - (char *)model;
    m->layers = (struct cpae_layer *)((char *)model->layers + shift);
    m->params = (double *)((char *)model->params + shift);
    for (int64_t l = 0; l < m->n_enc + m->n_dec; l++) {
        m->layers[l].w = m->params + (model->layers[l].w - model->params);
        m->layers[l].b = m->params + (model->layers[l].b - model->params);
    }
    *out = m;
    return CPAE_OK;
}

void cpae_model_destroy(cpae_model *model) { free(model); }

int32_t cpae_model_dims(const cpae_model *model, int64_t *d, int64_t *h)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(model, "cpae_model_dims", "model");
    if (st)
        return st;
    if (d)
        *d = model->layers[0].n_in;
    if (h)
        *h = model->layers[model->n_enc - 1].n_out;
    return CPAE_OK;
}

int32_t cpae_model_n_layers(const cpae_model *model, int32_t stack, int64_t *n_layers)
{
    static const char fn[] = "cpae_model_n_layers";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_ptr(model, fn, "model")) ||
        (st = cpae__check_ptr(n_layers, fn, "n_layers")) ||
        (st = cpae__chain(model, stack, &c, fn)))
        return st;
    *n_layers = c.n;
    return CPAE_OK;
}

/* Resolve (stack, index) to a layer of the model. */
static int32_t model_layer(const cpae_model *m, int32_t stack, int64_t index,
                           struct cpae_layer **out, const char *fn)
{
    if (stack != CPAE_ENCODER && stack != CPAE_DECODER)
        return cpae__fail(CPAE_E_INVALID, fn, "stack is %d; use CPAE_ENCODER or "
                          "CPAE_DECODER", (int)stack);
    int64_t n = stack == CPAE_ENCODER ? m->n_enc : m->n_dec;
    if (index < 0 || index >= n)
        return cpae__fail(CPAE_E_INVALID, fn, "layer index %lld outside [0, %lld)",
                          (long long)index, (long long)n);
    *out = &m->layers[(stack == CPAE_ENCODER ? 0 : m->n_enc) + index];
    return CPAE_OK;
}

int32_t cpae_model_layer_info(const cpae_model *model, int32_t stack, int64_t index,
                              int64_t *n_in, int64_t *n_out, int32_t *activation,
                              double *alpha)
{
    static const char fn[] = "cpae_model_layer_info";
    cpae__clear_error();
    int32_t st;
    struct cpae_layer *L;
    if ((st = cpae__check_ptr(model, fn, "model")) ||
        (st = model_layer(model, stack, index, &L, fn)))
        return st;
    if (n_in)
        *n_in = L->n_in;
    if (n_out)
        *n_out = L->n_out;
    if (activation)
        *activation = L->act;
    if (alpha)
        *alpha = L->alpha;
    return CPAE_OK;
}

int32_t cpae_model_get_layer_params(const cpae_model *model, int32_t stack,
                                    int64_t index, float *w, int64_t w_cap,
                                    float *b, int64_t b_cap)
{
    static const char fn[] = "cpae_model_get_layer_params";
    cpae__clear_error();
    int32_t st;
    struct cpae_layer *L;
    if ((st = cpae__check_ptr(model, fn, "model")) ||
        (st = model_layer(model, stack, index, &L, fn)))
        return st;
    if (w && (st = cpae__check_cap(w_cap, L->n_in * L->n_out, fn, "w")))
        return st;
    if (b && (st = cpae__check_cap(b_cap, L->n_out, fn, "b")))
        return st;
    if (w)
        (void)cpae__copy_out(w, w_cap, L->w, L->n_in * L->n_out, fn, "w");
    if (b)
        (void)cpae__copy_out(b, b_cap, L->b, L->n_out, fn, "b");
    return CPAE_OK;
}

int32_t cpae_model_set_layer_params(cpae_model *model, int32_t stack, int64_t index,
                                    const float *w, int64_t w_len, const float *b,
                                    int64_t b_len)
{
    static const char fn[] = "cpae_model_set_layer_params";
    cpae__clear_error();
    int32_t st;
    struct cpae_layer *L;
    if ((st = cpae__check_ptr(model, fn, "model")) ||
        (st = model_layer(model, stack, index, &L, fn)))
        return st;
    /* Validate everything before changing anything. */
    if (w && w_len != L->n_in * L->n_out)
        return cpae__fail(CPAE_E_SIZE, fn, "w_len is %lld, expected %lld",
                          (long long)w_len, (long long)(L->n_in * L->n_out));
    if (b && b_len != L->n_out)
        return cpae__fail(CPAE_E_SIZE, fn, "b_len is %lld, expected %lld",
                          (long long)b_len, (long long)L->n_out);
    if ((w && (st = cpae__check_finite_f(w, w_len, fn, "w"))) ||
        (b && (st = cpae__check_finite_f(b, b_len, fn, "b"))))
        return st;
    if (w)
        (void)cpae__copy_in(L->w, w, w_len, w_len, fn, "w");
    if (b)
        (void)cpae__copy_in(L->b, b, b_len, b_len, fn, "b");
    return CPAE_OK;
}

int32_t cpae_model_get_layer(const cpae_model *model, int32_t stack, int64_t index,
                             cpae_layer **out)
{
    static const char fn[] = "cpae_model_get_layer";
    cpae__clear_error();
    int32_t st;
    struct cpae_layer *L;
    cpae_layer *copy = NULL;
    if ((st = cpae__check_ptr(model, fn, "model")) || (st = cpae__check_ptr(out, fn, "out")) ||
        (st = model_layer(model, stack, index, &L, fn)))
        return st;
    if ((st = cpae_layer_create(L->n_in, L->n_out, L->act, L->alpha, &copy)))
        return st;
    memcpy(copy->w, L->w, (size_t)(L->n_in * L->n_out) * sizeof(double));
    memcpy(copy->b, L->b, (size_t)L->n_out * sizeof(double));
    *out = copy;
    return CPAE_OK;
}

int32_t cpae_model_n_params(const cpae_model *model, int64_t *n_params)
{
    static const char fn[] = "cpae_model_n_params";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(model, fn, "model")) ||
        (st = cpae__check_ptr(n_params, fn, "n_params")))
        return st;
    *n_params = model->n_params;
    return CPAE_OK;
}

int32_t cpae_model_sizeof(const cpae_model *model, int64_t *bytes)
{
    static const char fn[] = "cpae_model_sizeof";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(model, fn, "model")) || (st = cpae__check_ptr(bytes, fn, "bytes")))
        return st;
    *bytes = (int64_t)model->alloc_bytes;
    return CPAE_OK;
}

int32_t cpae_model_set_user_data(cpae_model *model, void *user_data)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(model, "cpae_model_set_user_data", "model");
    if (st)
        return st;
    model->user_data = user_data;
    return CPAE_OK;
}

int32_t cpae_model_get_user_data(const cpae_model *model, void **user_data)
{
    static const char fn[] = "cpae_model_get_user_data";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(model, fn, "model")) ||
        (st = cpae__check_ptr(user_data, fn, "user_data")))
        return st;
    *user_data = model->user_data;
    return CPAE_OK;
}

/* encode / decode / reconstruct: one chain forward each. */
static int32_t run_stack(const cpae_model *m, int32_t stack, const float *x, int64_t n,
                         int64_t dim, float *y, int64_t y_cap, const char *fn,
                         const char *in_name, const char *out_name)
{
    cpae__clear_error();
    cpae_chain c;
    int32_t st;
    if ((st = cpae__check_points(m, stack, x, n, dim, &c, fn, in_name)) ||
        (st = cpae__check_ptr(y, fn, out_name)))
        return st;
    int64_t d_out = cpae__chain_out(&c);
    if ((st = cpae__check_cap(y_cap, n * d_out, fn, out_name)))
        return st;
    double *xd, *yd;
    if ((st = cpae__to_double(x, n * dim, &xd, fn, in_name)))
        return st;
    yd = malloc((size_t)(n * d_out) * sizeof(double));
    if (!yd) {
        free(xd);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate output scratch");
    }
    st = cpae__chain_forward(&c, xd, n, yd, NULL, 0, fn);
    if (!st)
        st = cpae__check_output(yd, n * d_out, fn, out_name);
    if (!st)
        for (int64_t i = 0; i < n * d_out; i++)
            y[i] = (float)yd[i];
    free(xd);
    free(yd);
    return st;
}

int32_t cpae_model_encode(const cpae_model *model, const float *x, int64_t n,
                          int64_t dim, float *z, int64_t z_cap)
{
    return run_stack(model, CPAE_ENCODER, x, n, dim, z, z_cap, "cpae_model_encode", "x", "z");
}

int32_t cpae_model_decode(const cpae_model *model, const float *z, int64_t n,
                          int64_t dim, float *x, int64_t x_cap)
{
    return run_stack(model, CPAE_DECODER, z, n, dim, x, x_cap, "cpae_model_decode", "z", "x");
}

int32_t cpae_model_reconstruct(const cpae_model *model, const float *x, int64_t n,
                               int64_t dim, float *y, int64_t y_cap)
{
    return run_stack(model, CPAE_AUTOENCODER, x, n, dim, y, y_cap,
                     "cpae_model_reconstruct", "x", "y");
}
