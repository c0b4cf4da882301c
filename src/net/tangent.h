/* tangent.h -- batch forward traces, backpropagation and the tangent
 * engine (docs/math.md section 4). Internal; never installed.
 *
 * Everything here works on m samples at once with one GEMM per layer over
 * the stacked samples; nothing loops over samples doing small products. */
#ifndef CPAE_TANGENT_H
#define CPAE_TANGENT_H

#include "net/net.h"
#include "core/pool.h"

/* A forward pass of a chain over m samples, kept for backpropagation and
 * for the masks the tangent engine freezes. */
typedef struct cpae__trace {
    int64_t m;
    int64_t n_layers;
    const double *x; /* m x in, borrowed from the caller */
    double **act;    /* act[l]: m x n_out(l), outputs of layer l */
    double **q;      /* q[l]:   m x n_out(l), unit states of layer l */
    double *buf;
    cpae__pool *pool; /* where buf (and backward scratch) come from */
} cpae__trace;

int32_t cpae__trace_run(const cpae_chain *c, const double *x, int64_t m,
                        cpae__trace *t, cpae__pool *pool, const char *func);
void cpae__trace_free(cpae__trace *t);

/* Output of the trace (m x out). */
static inline const double *cpae__trace_out(const cpae__trace *t)
{
    return t->act[t->n_layers - 1];
}

/* Backpropagate dy (m x out) through the traced chain: accumulate weight
 * and bias gradients into grad (laid out like the model's parameter block:
 * the gradient of a layer's w lives at grad + (w - base)), and write dL/dx
 * into dx (m x in) when dx is not NULL. */
int32_t cpae__trace_backward(const cpae_chain *c, const cpae__trace *t,
                             const double *dy, const double *base,
                             double *grad, double *dx, const char *func);

/* Per-sample Jacobians of a chain with masks frozen, J_i = Q^L W^L ...
 * Q^1 W^1 (out x in). Two stackings, chosen by cost:
 *  - forward (in <= out, e.g. the decoder): T^l = Q^l W^l T^{l-1} with
 *    the m tangent blocks side by side, n_l x (m in);
 *  - output side (in > out, e.g. the encoder): U^{l-1} = U^l Q^l W^l,
 *    stacked (m out) x n_{l-1}.
 * Both are one GEMM per layer. */
typedef struct cpae__tangent {
    int64_t m;
    int64_t in;
    int64_t out;
    int forward;     /* 1: forward stacking, 0: output side */
    int64_t n_layers;
    const double *const *q; /* borrowed states per layer (m x n_l) */
    double **T;      /* forward: T[l] n_l x (m in) for l = 0..L-1 inputs;
                        output side: U[l] (m out) x n_l for l = 1..L */
    double *buf;
    cpae__pool *pool; /* where buf (and backward scratch) come from */
} cpae__tangent;

/* Compute J (m blocks of out x in, row-major, contiguous) from the states
 * q[l] (m x n_l per layer, as in a trace). Keeps what backward needs. */
int32_t cpae__tangent_forward(const cpae_chain *c, const double *const *q,
                              int64_t m, cpae__tangent *tg, double *J,
                              cpae__pool *pool, const char *func);

/* Given dL/dJ (m blocks of out x in), accumulate the weight gradients into
 * grad (model layout, see cpae__trace_backward). Biases get none: the
 * Jacobian does not depend on them once the masks are fixed.
 * hidden_extra (forward stacking only, may be NULL): an additional
 * gradient with respect to the last layer's input tangents T^{L-1}
 * (n_{L-1} x (m in), side by side), for callers that fold part of dL/dJ
 * through the last layer themselves. */
int32_t cpae__tangent_backward(const cpae_chain *c, const cpae__tangent *tg,
                               const double *dJ, const double *base,
                               double *grad, const double *hidden_extra,
                               const char *func);
void cpae__tangent_free(cpae__tangent *tg);

#endif
