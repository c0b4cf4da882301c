/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* tangent_t.h -- the declarations of net/tangent.h for one precision
 * (core/real.h names: real, X(), LAYER, CHAIN). Read twice by tangent.h;
 * no include guard. Internal; never installed. */

#if CPAE__TPL == 32
/* The float chain's shape helpers (the double ones are in net/net.h). */
static inline int64_t cpae__chain_in_f(const cpae__chain_f *c) { return c->layers[0].n_in; }
static inline int64_t cpae__chain_out_f(const cpae__chain_f *c)
{
    return c->layers[c->n - 1].n_out;
}
static inline int64_t cpae__chain_max_width_f(const cpae__chain_f *c)
{
    int64_t w = c->layers[0].n_in;
    for (int64_t l = 0; l < c->n; l++)
        if (c->layers[l].n_out > w)
            w = c->layers[l].n_out;
    return w;
}
#endif

/* One layer's pre-activations over stacked rows: z = in W^T + b, with in
 * rows x n_in and z rows x n_out (one GEMM). */
void X(layer_pre)(const LAYER *L, const real *in, int64_t rows, real *z);

/* A forward pass of a chain over m samples, kept for backpropagation and
 * for the masks the tangent engine freezes. */
typedef struct X(trace) {
    int64_t m;
    int64_t n_layers;
    const real *x; /* m x in, borrowed from the caller */
    real **act;    /* act[l]: m x n_out(l), outputs of layer l */
    real **q;      /* q[l]:   m x n_out(l), unit states of layer l */
    real *buf;
    cpae__pool *pool; /* where buf (and backward scratch) come from */
} X(trace);

int32_t X(trace_run)(const CHAIN *c, const real *x, int64_t m, X(trace) *t, cpae__pool *pool,
                     const char *func);
void X(trace_free)(X(trace) *t);

/* Output of the trace (m x out). */
static inline const real *X(trace_out)(const X(trace) *t) { return t->act[t->n_layers - 1]; }

/* Backpropagate dy (m x out) through the traced chain: accumulate weight
 * and bias gradients into grad (laid out like the parameter block: the
 * gradient of a layer's w lives at grad + (w - base)), and write dL/dx
 * into dx (m x in) when dx is not NULL. */
int32_t X(trace_backward)(const CHAIN *c, const X(trace) *t, const real *dy, const real *base,
                          real *grad, real *dx, const char *func);

/* Per-sample Jacobians of a chain with masks frozen, J_i = Q^L W^L ...
 * Q^1 W^1 (out x in). Two stackings, chosen by cost:
 *  - forward (in <= out, e.g. the decoder): T^l = Q^l W^l T^{l-1} with
 *    the m tangent blocks side by side, n_l x (m in);
 *  - output side (in > out, e.g. the encoder): U^{l-1} = U^l Q^l W^l,
 *    stacked (m out) x n_{l-1}.
 * Both are one GEMM per layer. */
typedef struct X(tangent) {
    int64_t m;
    int64_t in;
    int64_t out;
    int forward;     /* 1: forward stacking, 0: output side */
    int64_t n_layers;
    const real *const *q; /* borrowed states per layer (m x n_l) */
    real **T;        /* forward: T[l] n_l x (m in) for l = 0..L-1 inputs;
                        output side: U[l] (m out) x n_l for l = 1..L */
    real *buf;
    int64_t cap;      /* samples the blocks are sized for (>= m) */
    cpae__pool *pool; /* where buf (and backward scratch) come from */
} X(tangent);

/* Compute J (m blocks of out x in, row-major, contiguous) from the states
 * q[l] (m x n_l per layer, as in a trace). Keeps what backward needs.
 * J NULL: forward stacking keeps only the tangent blocks; output-side
 * stacking stops before the first layer's GEMM and leaves
 * V = U[0] Q[0] ((m out) x n_out(0)) in T[n_layers]. */
int32_t X(tangent_forward)(const CHAIN *c, const real *const *q, int64_t m, X(tangent) *tg,
                           real *J, cpae__pool *pool, const char *func);
/* The same with every block sized for cap >= m samples, so that a caller
 * whose m varies from step to step (the Lie pairs) reuses the same pool
 * blocks. */
int32_t X(tangent_forward_cap)(const CHAIN *c, const real *const *q, int64_t m, int64_t cap,
                               X(tangent) *tg, real *J, cpae__pool *pool, const char *func);

/* Given dL/dJ (m blocks of out x in), accumulate the weight gradients into
 * grad (parameter layout, see trace_backward). Biases get none: the
 * Jacobian does not depend on them once the masks are fixed.
 * hidden_extra (forward stacking only, may be NULL): an additional
 * gradient with respect to the last layer's input tangents T^{L-1}
 * (n_{L-1} x (m in), side by side), for callers that fold part of dL/dJ
 * through the last layer themselves. */
int32_t X(tangent_backward)(const CHAIN *c, const X(tangent) *tg, const real *dJ,
                            const real *base, real *grad, const real *hidden_extra,
                            const char *func);
/* Forward stacking only: the same given dL/dT[L] side by side, G (n_L x
 * (m in), the layout of T[L]), which is overwritten; for callers that
 * build the gradient in that layout (no conversion from blocks). */
int32_t X(tangent_backward_side)(const CHAIN *c, const X(tangent) *tg, real *G,
                                 const real *base, real *grad, const char *func);
/* Output-side stacking only: the backward pass from layer l0 on, given the
 * gradient dU of the stacked U[l0 - 1] (rows x n_in(l0)); for callers that
 * handle layers below l0 themselves (the Jacobian terms' first layer). */
int32_t X(tangent_backward_from)(const CHAIN *c, const X(tangent) *tg, const real *dU, int64_t l0,
                                 const real *base, real *grad, const char *func);
void X(tangent_free)(X(tangent) *tg);

/* Per-layer state arrays of several sample sets stacked into one set, for
 * one tangent pass: rows of qa (ma samples) followed by the selected rows
 * of qb (rows_b NULL: the first mb; ma = 0: qa may be NULL). Returns the per-layer pointers, one
 * pool block with the states after them (cpae__pool_free on the
 * pointers); NULL when out of memory. */
real **X(stack_states)(const CHAIN *c, real *const *qa, int64_t ma, real *const *qb,
                       const int64_t *rows_b, int64_t mb, cpae__pool *pool);
/* The same sized for mb_cap >= mb rows of qb (see tangent_forward_cap). */
real **X(stack_states_cap)(const CHAIN *c, real *const *qa, int64_t ma, real *const *qb,
                           const int64_t *rows_b, int64_t mb, int64_t mb_cap,
                           cpae__pool *pool);
