/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* net.h -- the network wing: layers, models, chains of layers (the one
 * kernel for forward passes, frozen-mask walks and code bits), region codes
 * and affine maps. Internal; never installed. */
#ifndef CPAE_NET_H
#define CPAE_NET_H

#include "core/core.h"

/* ---------------------------------------------------------------- layers */

/* A dense layer. W is n_out x n_in row-major and b is n_out, both double.
 * In a model they point into the model's single parameter block; in a
 * standalone cpae_layer they point into the layer's own allocation. */
struct cpae_layer {
    int64_t n_in;
    int64_t n_out;
    int32_t act;
    double alpha;
    double *w;
    double *b;
};

/* A layer's single-precision mirror, for training in float (the trainer
 * keeps one per model layer, pointing into its float copy of the
 * parameters). Same fields as struct cpae_layer. */
typedef struct cpae__layer_f {
    int64_t n_in;
    int64_t n_out;
    int32_t act;
    float alpha;
    float *w;
    float *b;
} cpae__layer_f;

/* State q of a unit with pre-activation z (a = q z). The tie z == 0 takes
 * the "off" state everywhere (docs/math.md section 1). */
static inline double cpae__state(int32_t act, double alpha, double z)
{
    switch (act) {
    case CPAE_ACT_RELU: return z > 0.0 ? 1.0 : 0.0;
    case CPAE_ACT_LEAKY_RELU: return z > 0.0 ? 1.0 : alpha;
    case CPAE_ACT_ABS: return z > 0.0 ? 1.0 : -1.0;
    default: return 1.0;
    }
}

static inline bool cpae__has_bits(int32_t act)
{
    return act != CPAE_ACT_IDENTITY;
}

bool cpae__valid_activation(int32_t act);

/* Apply the activation in place to rows x cols values. */
void cpae__activate(int32_t act, double alpha, double *z, int64_t count);

/* ----------------------------------------------------------------- model */

struct cpae_model {
    int64_t n_enc;          /* encoder layers */
    int64_t n_dec;          /* decoder layers */
    int64_t n_params;       /* doubles in params */
    struct cpae_layer *layers; /* n_enc encoder layers, then n_dec decoder */
    double *params;         /* all weights and biases, layer by layer, W then b */
    void *user_data;
    size_t alloc_bytes;     /* size of the single allocation */
};

/* A contiguous run of layers: the encoder, the decoder, or both (the
 * autoencoder is simply the encoder chain followed by the decoder chain). */
typedef struct cpae_chain {
    const struct cpae_layer *layers;
    int64_t n;
} cpae_chain;

/* The chain for a stack. Returns CPAE_E_INVALID (with message) for an
 * unknown stack value. */
int32_t cpae__chain(const cpae_model *m, int32_t stack, cpae_chain *c,
                    const char *func);

/* A run of single-precision mirror layers (see cpae__layer_f). */
typedef struct cpae__chain_f {
    const cpae__layer_f *layers;
    int64_t n;
} cpae__chain_f;

static inline int64_t cpae__chain_in(const cpae_chain *c)
{
    return c->layers[0].n_in;
}
static inline int64_t cpae__chain_out(const cpae_chain *c)
{
    return c->layers[c->n - 1].n_out;
}
/* Number of code bits (non-identity units) in a chain. */
int64_t cpae__chain_bits(const cpae_chain *c);
/* Widest layer output in a chain (scratch sizing). */
int64_t cpae__chain_max_width(const cpae_chain *c);

/* Allocate a model with the given layer shapes (parameters zeroed) as one
 * block. Validates widths, limits and activations. */
int32_t cpae__model_alloc(const int64_t *n_in, const int64_t *n_out,
                          const int32_t *acts, const double *alphas,
                          int64_t n_enc, int64_t n_dec, cpae_model **out,
                          const char *func);

/* Forward pass of a chain on n points (n x in, double), writing the
 * outputs (n x out). If codes is non-NULL, also writes packed codes
 * (n x code_bytes). Scratch is allocated internally. */
int32_t cpae__chain_forward(const cpae_chain *c, const double *x, int64_t n,
                            double *y, uint8_t *codes, int64_t code_bytes,
                            const char *func);

/* Validate a (model, stack, point array, n, dim) call and return the chain. */
int32_t cpae__check_points(const cpae_model *m, int32_t stack,
                           const float *p, int64_t n, int64_t dim,
                           cpae_chain *c, const char *func, const char *name);

/* ------------------------------------------------------------------ codes */

struct cpae_code {
    int32_t stack;
    int64_t n_bits;
    int64_t n_bytes;
    int64_t n_layers_enc; /* shape fingerprint to catch mismatched models */
    uint64_t shape_hash;
    uint8_t bits[];       /* n_bytes, LSB first */
};

/* Fingerprint of a chain's shape (widths and activations). */
uint64_t cpae__chain_shape_hash(const cpae_chain *c);

static inline int64_t cpae__bytes_for_bits(int64_t bits)
{
    return (bits + 7) / 8;
}

int32_t cpae__code_alloc(int32_t stack, int64_t n_bits, uint64_t shape_hash,
                         cpae_code **out, const char *func);

/* Count distinct rows of an n x width byte matrix (sorting a copy of row
 * indices). */
int32_t cpae__count_distinct_rows(const uint8_t *rows, int64_t n,
                                  int64_t width, int64_t *count,
                                  const char *func);

/* ----------------------------------------------------------------- affine */

struct cpae_affine {
    int32_t stack;        /* stack it was created for, or -1 if generic */
    int64_t n_out;
    int64_t n_in;
    uint64_t shape_hash;
    double *a;            /* n_out x n_in */
    double *b;            /* n_out */
};

/* Called by cpae__chain_frozen for every layer: z (n_out) are the layer's
 * pre-activations at the point, grad (n_out x in, row-major) their
 * gradients with respect to the chain input (masks frozen), bit the code
 * index of the layer's first unit (-1 for identity layers). Return non-zero
 * to stop with that status. */
typedef int32_t (*cpae__visit_fn)(void *ctx, const struct cpae_layer *layer,
                                  int64_t bit, const double *z,
                                  const double *grad, int64_t in);

/* Walk a chain at one point with the activation masks frozen by the point
 * (docs/math.md section 2). Any of visit, a (out x in), b (out), y (out: the
 * chain's output at the point) may be NULL. */
int32_t cpae__chain_frozen(const cpae_chain *c, const double *point,
                           cpae__visit_fn visit, void *ctx, double *a,
                           double *b, double *y, const char *func);

#endif /* CPAE_NET_H */
