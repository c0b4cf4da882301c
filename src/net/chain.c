/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* chain.c -- the one kernel every forward pass runs on. A chain is a run
 * of layers (the encoder, the decoder, or both: the autoencoder is simply
 * the encoder chain followed by the decoder chain, so D(E(x)) never rounds
 * the latent code). Each layer is z = a W^T + b over stacked rows (one
 * GEMM, cpae__layer_pre); the batch forward adds the activation and the
 * code bits (1 iff z > 0), the frozen walk the slopes of z in the chain
 * input (docs/math.md section 2). */
#include "net/net.h"
#include "net/tangent.h"

#include <stdlib.h>
#include <string.h>

/* Rows per GEMM block in batch forwards: bounds scratch memory and keeps
 * the BLAS row count well inside its integer width. */
#define FORWARD_BLOCK 1024

int32_t cpae__chain(const cpae_model *m, int32_t stack, cpae_chain *c,
                    const char *func)
{
    switch (stack) {
    case CPAE_ENCODER: c->layers = m->layers; c->n = m->n_enc; return CPAE_OK;
    case CPAE_DECODER: c->layers = m->layers + m->n_enc; c->n = m->n_dec; return CPAE_OK;
    case CPAE_AUTOENCODER: c->layers = m->layers; c->n = m->n_enc + m->n_dec; return CPAE_OK;
    default:
        return cpae__fail(CPAE_E_INVALID, func,
                          "stack is %d; use CPAE_ENCODER, CPAE_DECODER or CPAE_AUTOENCODER",
                          (int)stack);
    }
}

int64_t cpae__chain_bits(const cpae_chain *c)
{
    int64_t bits = 0;
    for (int64_t l = 0; l < c->n; l++)
        if (cpae__has_bits(c->layers[l].act))
            bits += c->layers[l].n_out;
    return bits;
}

int64_t cpae__chain_max_width(const cpae_chain *c)
{
    int64_t w = c->layers[0].n_in;
    for (int64_t l = 0; l < c->n; l++)
        if (c->layers[l].n_out > w)
            w = c->layers[l].n_out;
    return w;
}

uint64_t cpae__chain_shape_hash(const cpae_chain *c)
{
    uint64_t h = 1469598103934665603ULL;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ULL)
    MIX(c->n);
    for (int64_t l = 0; l < c->n; l++) {
        MIX(c->layers[l].n_in);
        MIX(c->layers[l].n_out);
        MIX(c->layers[l].act);
    }
#undef MIX
    return h;
}

bool cpae__valid_activation(int32_t act)
{
    return act == CPAE_ACT_IDENTITY || act == CPAE_ACT_RELU ||
           act == CPAE_ACT_LEAKY_RELU || act == CPAE_ACT_ABS;
}

void cpae__activate(int32_t act, double alpha, double *z, int64_t count)
{
    if (act == CPAE_ACT_IDENTITY)
        return;
    for (int64_t i = 0; i < count; i++)
        z[i] *= cpae__state(act, alpha, z[i]);
}

int32_t cpae__check_points(const cpae_model *m, int32_t stack, const float *p,
                           int64_t n, int64_t dim, cpae_chain *c, const char *func,
                           const char *name)
{
    int32_t st;
    if ((st = cpae__check_ptr(m, func, "model")) || (st = cpae__chain(m, stack, c, func)) ||
        (st = cpae__check_ptr(p, func, name)))
        return st;
    if (n < 1)
        return cpae__fail(CPAE_E_SIZE, func, "n is %lld; need at least one point",
                          (long long)n);
    if (dim != cpae__chain_in(c))
        return cpae__fail(CPAE_E_SIZE, func, "dim is %lld, the stack takes %lld",
                          (long long)dim, (long long)cpae__chain_in(c));
    int64_t total;
    if (!cpae__mul_ok(n, cpae__chain_max_width(c), &total) || total > (INT64_C(1) << 40))
        return cpae__fail(CPAE_E_SIZE, func, "n = %lld points is too large", (long long)n);
    return CPAE_OK;
}

int32_t cpae__chain_forward(const cpae_chain *c, const double *x, int64_t n, double *y,
                            uint8_t *codes, int64_t code_bytes, const char *func)
{
    int64_t wmax = cpae__chain_max_width(c);
    int64_t block = n < FORWARD_BLOCK ? n : FORWARD_BLOCK;
    double *buf = malloc((size_t)(2 * block * wmax) * sizeof(double));
    if (!buf)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate forward scratch");
    if (codes)
        memset(codes, 0, (size_t)(n * code_bytes));
    int64_t d_in = cpae__chain_in(c), d_out = cpae__chain_out(c);
    for (int64_t r0 = 0; r0 < n; r0 += block) {
        int64_t rows = n - r0 < block ? n - r0 : block;
        const double *in = x + r0 * d_in;
        double *cur = buf, *nxt = buf + block * wmax;
        int64_t bit = 0;
        for (int64_t l = 0; l < c->n; l++) {
            const struct cpae_layer *L = &c->layers[l];
            double *z = (l == c->n - 1) ? y + r0 * d_out : nxt;
            cpae__layer_pre(L, in, rows, z);
            if (cpae__has_bits(L->act)) {
                if (codes)
                    for (int64_t r = 0; r < rows; r++) {
                        uint8_t *row = codes + (r0 + r) * code_bytes;
                        const double *zr = z + r * L->n_out;
                        for (int64_t u = 0; u < L->n_out; u++)
                            if (zr[u] > 0.0)
                                row[(bit + u) >> 3] |= (uint8_t)(1u << ((bit + u) & 7));
                    }
                bit += L->n_out;
                cpae__activate(L->act, L->alpha, z, rows * L->n_out);
            }
            in = z;
            double *t = cur;
            cur = nxt;
            nxt = t;
        }
    }
    free(buf);
    return CPAE_OK;
}

int32_t cpae__chain_frozen(const cpae_chain *c, const double *point, cpae__visit_fn visit,
                           void *ctx, double *a, double *b, double *y, const char *func)
{
    int64_t in = cpae__chain_in(c), w = cpae__chain_max_width(c);
    /* M: gradients of the current activations (w x in); v: their offsets;
     * act: activations; z: pre-activations; g: pre-activation gradients. */
    size_t nm = (size_t)(w * in), nv = (size_t)w;
    double *buf = malloc((2 * nm + 4 * nv) * sizeof(double));
    if (!buf)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate %zu doubles",
                          2 * nm + 4 * nv);
    double *M = buf, *g = M + nm, *v = g + nm, *vn = v + nv, *act = vn + nv, *z = act + nv;
    memcpy(act, point, (size_t)in * sizeof(double));
    int64_t bit = 0, prev = in;
    int32_t st = CPAE_OK;
    for (int64_t l = 0; l < c->n && !st; l++) {
        const struct cpae_layer *L = &c->layers[l];
        int64_t n = L->n_out;
        /* z = W act + b, as in the batch forward (one GEMM row). */
        cpae__layer_pre(L, act, 1, z);
        /* Frozen affine form: grad = W M, offset = W v + b (M = I, v = 0 at
         * the chain input). */
        if (l == 0) {
            memcpy(g, L->w, (size_t)(n * in) * sizeof(double));
            memcpy(vn, L->b, (size_t)n * sizeof(double));
        } else {
            cpae__gemm(false, false, n, in, prev, 1.0, L->w, prev, M, in, 0.0, g, in);
            cpae__layer_pre(L, v, 1, vn);
        }
        bool bits = cpae__has_bits(L->act);
        if (visit)
            st = visit(ctx, L, bits ? bit : -1, z, g, in);
        for (int64_t i = 0; i < n; i++) {
            double q = cpae__state(L->act, L->alpha, z[i]);
            act[i] = q * z[i];
            v[i] = q * vn[i];
            double *Mi = M + i * in;
            const double *gi = g + i * in;
            for (int64_t j = 0; j < in; j++)
                Mi[j] = q * gi[j];
        }
        if (bits)
            bit += n;
        prev = n;
    }
    if (!st) {
        int64_t out = cpae__chain_out(c);
        if (a)
            memcpy(a, M, (size_t)(out * in) * sizeof(double));
        if (b)
            memcpy(b, v, (size_t)out * sizeof(double));
        if (y)
            memcpy(y, act, (size_t)out * sizeof(double));
    }
    free(buf);
    return st;
}

