/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* tangent.c -- batch forward traces, backpropagation and the tangent engine
 * (docs/math.md section 4): one GEMM per layer over stacked samples.
 * Generic: compiled once per precision (core/real.h). */
#include "net/tangent.h"

#include <stdlib.h>
#include <string.h>

#include "core/real.h"
#include "core/vector.h"

void X(layer_pre)(const LAYER *L, const real *in, int64_t rows, real *z)
{
    for (int64_t r = 0; r < rows; r++)
        memcpy(z + r * L->n_out, L->b, (size_t)L->n_out * sizeof(real));
    X(gemm)(false, true, rows, L->n_out, L->n_in, 1, in, L->n_in, L->w, L->n_in, 1, z,
            L->n_out);
}

real **X(stack_states)(const CHAIN *c, real *const *qa, int64_t ma, real *const *qb,
                       const int64_t *rows_b, int64_t mb, cpae__pool *pool)
{
    return X(stack_states_cap)(c, qa, ma, qb, rows_b, mb, mb, pool);
}

real **X(stack_states_cap)(const CHAIN *c, real *const *qa, int64_t ma, real *const *qb,
                           const int64_t *rows_b, int64_t mb, int64_t mb_cap, cpae__pool *pool)
{
    int64_t total = 0, np = (c->n + 1) / 2 * 2; /* pointers padded to 16 bytes */
    for (int64_t l = 0; l < c->n; l++)
        total += (ma + (mb_cap > mb ? mb_cap : mb)) * c->layers[l].n_out;
    real **q = cpae__pool_alloc(pool, (size_t)np * sizeof(real *) + (size_t)total * sizeof(real));
    if (!q)
        return NULL;
    real *p = (real *)(q + np);
    for (int64_t l = 0; l < c->n; l++) {
        int64_t n = c->layers[l].n_out;
        q[l] = p;
        if (ma > 0)
            memcpy(p, qa[l], (size_t)(ma * n) * sizeof(real));
        for (int64_t r = 0; r < mb; r++)
            memcpy(p + (ma + r) * n, qb[l] + (rows_b ? rows_b[r] : r) * n,
                   (size_t)n * sizeof(real));
        p += (ma + mb) * n;
    }
    return q;
}

/* ---------------------------------------------------------------- traces */

/* q = the unit states of the pre-activations z (cpae__state's rule) and
 * z <- q z, the outputs: one loop per activation, vectorised. */
CPAE__VECTOR static void X(activate_states)(int32_t act, real alpha, int64_t n, real *z, real *q)
{
    switch (act) {
    case CPAE_ACT_RELU:
        for (int64_t i = 0; i < n; i++) {
            q[i] = z[i] > 0 ? (real)1 : (real)0;
            z[i] *= q[i];
        }
        break;
    case CPAE_ACT_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++) {
            q[i] = z[i] > 0 ? (real)1 : alpha;
            z[i] *= q[i];
        }
        break;
    case CPAE_ACT_ABS:
        for (int64_t i = 0; i < n; i++) {
            q[i] = z[i] > 0 ? (real)1 : (real)-1;
            z[i] *= q[i];
        }
        break;
    default:
        for (int64_t i = 0; i < n; i++)
            q[i] = 1;
    }
}

int32_t X(trace_run)(const CHAIN *c, const real *x, int64_t m, X(trace) *t,
                        cpae__pool *pool, const char *func)
{
    memset(t, 0, sizeof *t);
    t->pool = pool;
    int64_t total = 0;
    for (int64_t l = 0; l < c->n; l++)
        total += 2 * m * c->layers[l].n_out;
    /* One pool block: the 2 n layer pointers, then the values. */
    real **ptr = cpae__pool_alloc(pool, (size_t)(2 * c->n) * sizeof(real *) +
                                            (size_t)total * sizeof(real));
    if (!ptr)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate a forward trace");
    t->act = ptr;
    t->q = ptr + c->n;
    t->buf = (real *)(ptr + 2 * c->n);
    t->m = m;
    t->n_layers = c->n;
    t->x = x;
    real *p = t->buf;
    const real *in = x;
    for (int64_t l = 0; l < c->n; l++) {
        const LAYER *L = &c->layers[l];
        int64_t n = L->n_out;
        real *z = t->act[l] = p, *q = t->q[l] = p + m * n;
        p += 2 * m * n;
        X(layer_pre)(L, in, m, z);
        X(activate_states)(L->act, L->alpha, m * n, z, q);
        in = z;
    }
    return CPAE_OK;
}

void X(trace_free)(X(trace) *t)
{
    cpae__pool_free(t->pool, t->act); /* the block's start */
    memset(t, 0, sizeof *t);
}

int32_t X(trace_backward)(const CHAIN *c, const X(trace) *t, const real *dy,
                             const real *base, real *grad, real *dx, const char *func)
{
    int64_t m = t->m, wmax = X(chain_max_width)(c);
    real *buf = cpae__pool_alloc(t->pool, (size_t)(2 * m * wmax) * sizeof(real));
    if (!buf)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate backprop scratch");
    real *delta = buf, *prev = buf + m * wmax;
    memcpy(delta, dy, (size_t)(m * X(chain_out)(c)) * sizeof(real));
    for (int64_t l = c->n - 1; l >= 0; l--) {
        const LAYER *L = &c->layers[l];
        int64_t n = L->n_out, k = L->n_in;
        const real *a_prev = l > 0 ? t->act[l - 1] : t->x;
        for (int64_t i = 0; i < m * n; i++)
            delta[i] *= t->q[l][i];
        real *gw = grad + (L->w - base), *gb = grad + (L->b - base);
        X(gemm)(true, false, n, k, m, 1.0, delta, n, a_prev, k, 1.0, gw, k);
        for (int64_t r = 0; r < m; r++)
            for (int64_t u = 0; u < n; u++)
                gb[u] += delta[r * n + u];
        if (l > 0 || dx) {
            real *dst = l > 0 ? prev : dx;
            X(gemm)(false, false, m, k, n, 1.0, delta, n, L->w, k, 0.0, dst, k);
            real *tmp = delta;
            delta = prev;
            prev = tmp;
        }
    }
    cpae__pool_free(t->pool, buf);
    return CPAE_OK;
}

/* --------------------------------------------------------- tangent engine */

void X(tangent_free)(X(tangent) *tg)
{
    cpae__pool_free(tg->pool, tg->T); /* the block's start */
    memset(tg, 0, sizeof *tg);
}

/* Scale the columns of each sample's row block: X is (m rows_per) x n, and
 * sample i's block is multiplied on the right by diag(q_i). */
CPAE__VECTOR static void X(scale_cols)(real *X, int64_t m, int64_t rows_per, int64_t n,
                                       const real *q)
{
    for (int64_t i = 0; i < m; i++) {
        const real *qi = q + i * n;
        for (int64_t r = 0; r < rows_per; r++) {
            real *row = X + (i * rows_per + r) * n;
            for (int64_t u = 0; u < n; u++)
                row[u] *= qi[u];
        }
    }
}

/* Scale the rows of each sample's column block: X is n x (m cols_per) and
 * sample i's block is multiplied on the left by diag(q_i). */
CPAE__VECTOR static void X(scale_rows)(real *X, int64_t m, int64_t cols_per, int64_t n,
                                       const real *q)
{
    int64_t ld = m * cols_per;
    for (int64_t r = 0; r < n; r++)
        for (int64_t i = 0; i < m; i++) {
            real s = q[i * n + r];
            real *blk = X + r * ld + i * cols_per;
            for (int64_t c = 0; c < cols_per; c++)
                blk[c] *= s;
        }
}

int32_t X(tangent_forward)(const CHAIN *c, const real *const *q, int64_t m, X(tangent) *tg,
                           real *J, cpae__pool *pool, const char *func)
{
    return X(tangent_forward_cap)(c, q, m, m, tg, J, pool, func);
}

int32_t X(tangent_forward_cap)(const CHAIN *c, const real *const *q, int64_t m, int64_t cap,
                               X(tangent) *tg, real *J, cpae__pool *pool, const char *func)
{
    memset(tg, 0, sizeof *tg);
    tg->pool = pool;
    tg->cap = cap > m ? cap : m;
    int64_t in = X(chain_in)(c), out = X(chain_out)(c), L = c->n;
    tg->m = m;
    tg->in = in;
    tg->out = out;
    tg->n_layers = L;
    tg->q = q;
    tg->forward = in <= out;
    /* Storage: forward keeps the L layer inputs T[0..L-1] plus the final
     * T[L]; output side keeps U[0..L-1]. */
    int64_t total = 0, mc = tg->cap; /* sized for cap samples */
    for (int64_t l = 0; l < L; l++)
        total += tg->forward ? c->layers[l].n_in * mc * in : mc * out * c->layers[l].n_out;
    total += tg->forward ? out * mc * in : mc * out * X(chain_max_width)(c);
    /* One pool block: the L + 1 block pointers (padded to an even count,
     * 16 bytes), then the values. */
    int64_t np = (L + 2) / 2 * 2;
    tg->T = cpae__pool_alloc(pool, (size_t)np * sizeof(real *) + (size_t)total * sizeof(real));
    if (!tg->T)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate tangent blocks (%lld values)",
                          (long long)total);
    tg->buf = (real *)(tg->T + np);
    real *p = tg->buf;
    if (tg->forward) {
        int64_t ld = m * in;
        for (int64_t l = 0; l <= L; l++) {
            tg->T[l] = p;
            p += (l < L ? c->layers[l].n_in : out) * ld;
        }
        /* T[0] = [I I ... I] */
        memset(tg->T[0], 0, (size_t)(in * ld) * sizeof(real));
        for (int64_t r = 0; r < in; r++)
            for (int64_t i = 0; i < m; i++)
                tg->T[0][r * ld + i * in + r] = 1.0;
        for (int64_t l = 0; l < L; l++) {
            const LAYER *Ly = &c->layers[l];
            if (l == 0) /* W^0 [I ... I] = [W^0 ... W^0]: copies, not a GEMM */
                for (int64_t r = 0; r < Ly->n_out; r++)
                    for (int64_t i = 0; i < m; i++)
                        memcpy(tg->T[1] + r * ld + i * in, Ly->w + r * in,
                               (size_t)in * sizeof(real));
            else
                X(gemm)(false, false, Ly->n_out, ld, Ly->n_in, 1.0, Ly->w, Ly->n_in, tg->T[l],
                        ld, 0.0, tg->T[l + 1], ld);
            if (cpae__has_bits(Ly->act))
                X(scale_rows)(tg->T[l + 1], m, in, Ly->n_out, q[l]);
        }
        /* J_i[r][c] = T[L][r][i in + c] */
        for (int64_t i = 0; J && i < m; i++)
            for (int64_t r = 0; r < out; r++)
                memcpy(J + (i * out + r) * in, tg->T[L] + r * ld + i * in,
                       (size_t)in * sizeof(real));
    } else {
        int64_t rows = m * out;
        for (int64_t l = 0; l < L; l++) {
            tg->T[l] = p;
            p += rows * c->layers[l].n_out;
        }
        /* U[L-1] = I per sample: d out / d act_{L-1}. */
        real *U = tg->T[L - 1];
        memset(U, 0, (size_t)(rows * out) * sizeof(real));
        for (int64_t i = 0; i < m; i++)
            for (int64_t r = 0; r < out; r++)
                U[(i * out + r) * out + r] = 1.0;
        real *S = p; /* scratch for U[l] Q[l], then J */
        for (int64_t l = L - 1; l >= 0; l--) {
            const LAYER *Ly = &c->layers[l];
            memcpy(S, tg->T[l], (size_t)(rows * Ly->n_out) * sizeof(real));
            if (cpae__has_bits(Ly->act))
                X(scale_cols)(S, m, out, Ly->n_out, q[l]);
            if (l == 0 && !J) { /* stop: T[L] is V = U[0] Q[0] */
                tg->T[L] = S;
                break;
            }
            real *dst = l > 0 ? tg->T[l - 1] : J;
            X(gemm)(false, false, rows, Ly->n_in, Ly->n_out, 1.0, S, Ly->n_out, Ly->w,
                       Ly->n_in, 0.0, dst, Ly->n_in);
        }
    }
    return CPAE_OK;
}

static void X(backward_output_side)(const CHAIN *c, const X(tangent) *tg, const real *Ain,
                                    int64_t l0, real *A, real *B, real *S, const real *base,
                                    real *grad);

/* S += sum_i X_i for X = [X_1 ... X_m], n x (m cols) side by side (S is
 * n x cols): (X) [I ... I]^T. */
CPAE__VECTOR static void X(add_blocks)(const real *X, int64_t m, int64_t cols, int64_t n,
                                       real *S)
{
    int64_t ld = m * cols;
    for (int64_t r = 0; r < n; r++)
        for (int64_t i = 0; i < m; i++)
            for (int64_t c = 0; c < cols; c++)
                S[r * cols + c] += X[r * ld + i * cols + c];
}

/* Forward stacking's backward pass: G is dL/dT[L] side by side (n_L x
 * (m in)) and is scaled in place; A and B are scratch of wmax x (m in)
 * (B NULL: G is that large too and is reused once consumed). Per layer,
 * with Gbar the gradient of its output tangents: dW += (Q Gbar) T^T and
 * Gbar_prev = W^T (Q Gbar). */
static void X(backward_forward)(const CHAIN *c, const X(tangent) *tg, real *G, real *A, real *B,
                                const real *base, real *grad, const real *hidden_extra)
{
    int64_t ld = tg->m * tg->in, L = tg->n_layers;
    real *cur = G, *to[2] = {A, B ? B : G};
    int w = 0; /* the buffer the next layer writes */
    for (int64_t l = L - 1; l >= 0; l--) {
        const LAYER *Ly = &c->layers[l];
        if (cpae__has_bits(Ly->act))
            X(scale_rows)(cur, tg->m, tg->in, Ly->n_out, tg->q[l]);
        if (l == 0) { /* T[0] = [I ... I]: the product is a sum of blocks */
            X(add_blocks)(cur, tg->m, tg->in, Ly->n_out, grad + (Ly->w - base));
            break;
        }
        X(gemm)(false, true, Ly->n_out, Ly->n_in, ld, 1.0, cur, ld, tg->T[l], ld, 1.0,
                grad + (Ly->w - base), Ly->n_in);
        real *next = to[w];
        w ^= 1;
        X(gemm)(true, false, Ly->n_in, ld, Ly->n_out, 1.0, Ly->w, Ly->n_in, cur, ld, 0.0, next,
                ld);
        if (l == L - 1 && hidden_extra)
            for (int64_t e = 0; e < Ly->n_in * ld; e++)
                next[e] += hidden_extra[e];
        cur = next;
    }
}

int32_t X(tangent_backward)(const CHAIN *c, const X(tangent) *tg, const real *dJ,
                               const real *base, real *grad, const real *hidden_extra,
                               const char *func)
{
    int64_t m = tg->m, in = tg->in, out = tg->out;
    int64_t wmax = X(chain_max_width)(c);
    /* stacked extent, sized for cap samples */
    int64_t cols = tg->forward ? tg->cap * in : tg->cap * out;
    real *buf = cpae__pool_alloc(tg->pool, (size_t)((tg->forward ? 2 : 3) * wmax * cols) *
                                                   sizeof(real));
    if (!buf)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate tangent backward scratch");
    real *A = buf, *B = buf + wmax * cols, *C = buf + 2 * wmax * cols;
    if (tg->forward) {
        int64_t ld = m * in;
        /* Gbar[L] = dJ side by side: n_L x (m in). */
        for (int64_t i = 0; i < m; i++)
            for (int64_t r = 0; r < out; r++)
                memcpy(A + r * ld + i * in, dJ + (i * out + r) * in, (size_t)in * sizeof(real));
        X(backward_forward)(c, tg, A, B, NULL, base, grad, hidden_extra);
    } else {
        (void)hidden_extra; /* output-side stacking: not supported, NULL */
        X(backward_output_side)(c, tg, dJ, 0, A, B, C, base, grad);
    }
    cpae__pool_free(tg->pool, buf);
    return CPAE_OK;
}

int32_t X(tangent_backward_side)(const CHAIN *c, const X(tangent) *tg, real *G,
                                 const real *base, real *grad, const char *func)
{
    if (!tg->forward)
        return cpae__fail(CPAE_E_INVALID, func, "internal: side-by-side gradient for an "
                          "output-side tangent pass");
    /* L layers write L - 1 gradients: one scratch block for two layers,
     * two alternating ones from three on. */
    int64_t wmax = X(chain_max_width)(c), cols = tg->cap * tg->in;
    int64_t nbuf = tg->n_layers > 2 ? 2 : tg->n_layers - 1;
    real *buf = NULL;
    if (nbuf > 0 &&
        !(buf = cpae__pool_alloc(tg->pool, (size_t)(nbuf * wmax * cols) * sizeof(real))))
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate tangent backward scratch");
    X(backward_forward)(c, tg, G, buf, nbuf > 1 ? buf + wmax * cols : buf, base, grad, NULL);
    cpae__pool_free(tg->pool, buf);
    return CPAE_OK;
}

int32_t X(tangent_backward_from)(const CHAIN *c, const X(tangent) *tg, const real *dU, int64_t l0,
                                 const real *base, real *grad, const char *func)
{
    if (l0 >= tg->n_layers)
        return CPAE_OK;
    int64_t wmax = X(chain_max_width)(c), cols = tg->cap * tg->out;
    real *buf = cpae__pool_alloc(tg->pool, (size_t)(3 * wmax * cols) * sizeof(real));
    if (!buf)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate tangent backward scratch");
    X(backward_output_side)(c, tg, dU, l0, buf, buf + wmax * cols, buf + 2 * wmax * cols, base,
                            grad);
    cpae__pool_free(tg->pool, buf);
    return CPAE_OK;
}

/* Output-side backward from layer l0: Ain is the gradient of the stacked
 * U[l0 - 1] (the Jacobians J when l0 = 0), rows x n_in(l0); A, B, S are
 * scratch of rows x max width. */
static void X(backward_output_side)(const CHAIN *c, const X(tangent) *tg, const real *Ain,
                                    int64_t l0, real *A, real *B, real *S, const real *base,
                                    real *grad)
{
    int64_t m = tg->m, out = tg->out, L = tg->n_layers, rows = m * out;
    {
        memcpy(A, Ain, (size_t)(rows * c->layers[l0].n_in) * sizeof(real)); /* Ubar_{l0-1} */
        for (int64_t l = l0; l < L; l++) {
            const LAYER *Ly = &c->layers[l];
            /* S = U[l] Q[l]; dW += S^T Ubar_{l-1}; Ubar_l = (Ubar_{l-1} W^T) Q[l] */
            memcpy(S, tg->T[l], (size_t)(rows * Ly->n_out) * sizeof(real));
            if (cpae__has_bits(Ly->act))
                X(scale_cols)(S, m, out, Ly->n_out, tg->q[l]);
            X(gemm)(true, false, Ly->n_out, Ly->n_in, rows, 1.0, S, Ly->n_out, A, Ly->n_in,
                       1.0, grad + (Ly->w - base), Ly->n_in);
            if (l + 1 < L) {
                X(gemm)(false, true, rows, Ly->n_out, Ly->n_in, 1.0, A, Ly->n_in, Ly->w,
                           Ly->n_in, 0.0, B, Ly->n_out);
                if (cpae__has_bits(Ly->act))
                    X(scale_cols)(B, m, out, Ly->n_out, tg->q[l]);
                real *t = A;
                A = B;
                B = t;
            }
        }
    }
}
