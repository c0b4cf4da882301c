/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* loss_t.h -- what a loss term's evaluate receives, for one precision
 * (core/real.h names). Read twice by train/loss.h; no include guard.
 * Internal; never installed. */

/* The autoencoder has been traced on xin (the batch after the denoising
 * corruption); terms write their unweighted values into terms[] (double:
 * sums are accumulated in double in both precisions) and ADD their
 * weighted gradient into grad (parameters first, in the layout of base,
 * then the generators), when grad is not NULL. The model and lie handles
 * give shapes and settings; layers, base and g are the values in this
 * precision (the model's own in double, the trainer's mirror in float). */
typedef struct X(term_args) {
    const cpae_model *model;
    const struct cpae_lie *lie;
    const LAYER *layers;    /* encoder layers, then decoder layers */
    const real *base;       /* the parameter block layers point into */
    const real *g;          /* generators (k x d x d), or NULL */
    const cpae__loss_cfg *cfg;
    const cpae__batch *batch;
    const real *x;          /* the clean batch (m x d) */
    const real *x_nbr;      /* data-sampler neighbours (m K x d), or NULL */
    const X(trace) *tr;
    const real *xin;
    cpae_rng *rng;
    double *terms;
    real *grad;
    const char *fn;
} X(term_args);

/* The encoder, decoder or autoencoder chain of the args' layers. */
static inline CHAIN X(args_chain)(const X(term_args) *a, int32_t stack)
{
    int64_t ne = a->model->n_enc, nd = a->model->n_dec;
    CHAIN c;
    c.layers = a->layers + (stack == CPAE_DECODER ? ne : 0);
    c.n = stack == CPAE_ENCODER ? ne : stack == CPAE_DECODER ? nd : ne + nd;
    return c;
}

/* The terms with an evaluate in this precision (train/term_*.c). */
int32_t X(term_reconstruction_eval)(const X(term_args) *a);
int32_t X(term_jacobian_eval)(const X(term_args) *a);
int32_t X(term_lie_local_eval)(const X(term_args) *a);

/* The local term's plain form at the last hidden width, for a decoder
 * with an identity output layer (train/lie_local_hidden.c): applies when
 * ..._applies; adds the gradient and writes the pairs' residual sum. */
bool X(lie_local_hidden_applies)(const CHAIN *dec, int32_t form);
/* tb: the batch's tangents over the hidden chain (dec without its last
 * layer); tn: the neighbours' trace; pair p is (owner[p], neighbour
 * rows[p]). */
int32_t X(lie_local_hidden)(const X(term_args) *args, const CHAIN *dec, const X(tangent) *tb,
                            const X(trace) *tn, const int64_t *rows, const int64_t *owner,
                            int64_t P, double *total);

/* Neighbour latents z' (m K x h) of the batch by the configured sampler
 * (data, ball or facet; docs/math.md section 3). lie_samplers.c. tb, when
 * not NULL, is the batch's forward-stacked decoder tangent pass over a
 * chain starting at the decoder's first layer; the facet sampler reads
 * its layer inputs T^l instead of forming its own. */
int32_t X(lie_sample_neighbours)(const X(term_args) *a, const X(tangent) *tb, real *zn);
