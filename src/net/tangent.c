/* tangent.c -- batch forward traces, backpropagation and the tangent engine
 * (docs/math.md section 4): one GEMM per layer over stacked samples. */
#include "net/tangent.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- traces */

int32_t cpae__trace_run(const cpae_chain *c, const double *x, int64_t m, cpae__trace *t,
                        cpae__pool *pool, const char *func)
{
    memset(t, 0, sizeof *t);
    t->pool = pool;
    int64_t total = 0;
    for (int64_t l = 0; l < c->n; l++)
        total += 2 * m * c->layers[l].n_out;
    t->buf = cpae__pool_alloc(pool, (size_t)total * sizeof(double));
    t->act = malloc((size_t)c->n * sizeof(double *));
    t->q = malloc((size_t)c->n * sizeof(double *));
    if (!t->buf || !t->act || !t->q) {
        cpae__trace_free(t);
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate a forward trace");
    }
    t->m = m;
    t->n_layers = c->n;
    t->x = x;
    double *p = t->buf;
    const double *in = x;
    for (int64_t l = 0; l < c->n; l++) {
        const struct cpae_layer *L = &c->layers[l];
        int64_t n = L->n_out;
        double *z = t->act[l] = p, *q = t->q[l] = p + m * n;
        p += 2 * m * n;
        cpae__layer_pre(L, in, m, z);
        for (int64_t i = 0; i < m * n; i++) {
            q[i] = cpae__state(L->act, L->alpha, z[i]);
            z[i] *= q[i];
        }
        in = z;
    }
    return CPAE_OK;
}

void cpae__trace_free(cpae__trace *t)
{
    cpae__pool_free(t->pool, t->buf);
    free(t->act);
    free(t->q);
    memset(t, 0, sizeof *t);
}

int32_t cpae__trace_backward(const cpae_chain *c, const cpae__trace *t, const double *dy,
                             const double *base, double *grad, double *dx, const char *func)
{
    int64_t m = t->m, wmax = cpae__chain_max_width(c);
    double *buf = cpae__pool_alloc(t->pool, (size_t)(2 * m * wmax) * sizeof(double));
    if (!buf)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate backprop scratch");
    double *delta = buf, *prev = buf + m * wmax;
    memcpy(delta, dy, (size_t)(m * cpae__chain_out(c)) * sizeof(double));
    for (int64_t l = c->n - 1; l >= 0; l--) {
        const struct cpae_layer *L = &c->layers[l];
        int64_t n = L->n_out, k = L->n_in;
        const double *a_prev = l > 0 ? t->act[l - 1] : t->x;
        for (int64_t i = 0; i < m * n; i++)
            delta[i] *= t->q[l][i];
        double *gw = grad + (L->w - base), *gb = grad + (L->b - base);
        cpae__gemm(true, false, n, k, m, 1.0, delta, n, a_prev, k, 1.0, gw, k);
        for (int64_t r = 0; r < m; r++)
            for (int64_t u = 0; u < n; u++)
                gb[u] += delta[r * n + u];
        if (l > 0 || dx) {
            double *dst = l > 0 ? prev : dx;
            cpae__gemm(false, false, m, k, n, 1.0, delta, n, L->w, k, 0.0, dst, k);
            double *tmp = delta;
            delta = prev;
            prev = tmp;
        }
    }
    cpae__pool_free(t->pool, buf);
    return CPAE_OK;
}

/* --------------------------------------------------------- tangent engine */

void cpae__tangent_free(cpae__tangent *tg)
{
    cpae__pool_free(tg->pool, tg->buf);
    free(tg->T);
    memset(tg, 0, sizeof *tg);
}

/* Scale the columns of each sample's row block: X is (m rows_per) x n, and
 * sample i's block is multiplied on the right by diag(q_i). */
static void scale_cols(double *X, int64_t m, int64_t rows_per, int64_t n, const double *q)
{
    for (int64_t i = 0; i < m; i++) {
        const double *qi = q + i * n;
        for (int64_t r = 0; r < rows_per; r++) {
            double *row = X + (i * rows_per + r) * n;
            for (int64_t u = 0; u < n; u++)
                row[u] *= qi[u];
        }
    }
}

/* Scale the rows of each sample's column block: X is n x (m cols_per) and
 * sample i's block is multiplied on the left by diag(q_i). */
static void scale_rows(double *X, int64_t m, int64_t cols_per, int64_t n, const double *q)
{
    int64_t ld = m * cols_per;
    for (int64_t r = 0; r < n; r++)
        for (int64_t i = 0; i < m; i++) {
            double s = q[i * n + r];
            double *blk = X + r * ld + i * cols_per;
            for (int64_t c = 0; c < cols_per; c++)
                blk[c] *= s;
        }
}

int32_t cpae__tangent_forward(const cpae_chain *c, const double *const *q, int64_t m,
                              cpae__tangent *tg, double *J, cpae__pool *pool,
                              const char *func)
{
    memset(tg, 0, sizeof *tg);
    tg->pool = pool;
    int64_t in = cpae__chain_in(c), out = cpae__chain_out(c), L = c->n;
    tg->m = m;
    tg->in = in;
    tg->out = out;
    tg->n_layers = L;
    tg->q = q;
    tg->forward = in <= out;
    /* Storage: forward keeps the L layer inputs T[0..L-1] plus the final
     * T[L]; output side keeps U[0..L-1]. */
    int64_t total = 0;
    for (int64_t l = 0; l < L; l++)
        total += tg->forward ? c->layers[l].n_in * m * in : m * out * c->layers[l].n_out;
    total += tg->forward ? out * m * in : m * out * cpae__chain_max_width(c);
    tg->T = malloc((size_t)(L + 1) * sizeof(double *));
    tg->buf = cpae__pool_alloc(pool, (size_t)total * sizeof(double));
    if (!tg->T || !tg->buf) {
        cpae__tangent_free(tg);
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate tangent blocks (%lld doubles)",
                          (long long)total);
    }
    double *p = tg->buf;
    if (tg->forward) {
        int64_t ld = m * in;
        for (int64_t l = 0; l <= L; l++) {
            tg->T[l] = p;
            p += (l < L ? c->layers[l].n_in : out) * ld;
        }
        /* T[0] = [I I ... I] */
        memset(tg->T[0], 0, (size_t)(in * ld) * sizeof(double));
        for (int64_t r = 0; r < in; r++)
            for (int64_t i = 0; i < m; i++)
                tg->T[0][r * ld + i * in + r] = 1.0;
        for (int64_t l = 0; l < L; l++) {
            const struct cpae_layer *Ly = &c->layers[l];
            cpae__gemm(false, false, Ly->n_out, ld, Ly->n_in, 1.0, Ly->w, Ly->n_in, tg->T[l],
                       ld, 0.0, tg->T[l + 1], ld);
            if (cpae__has_bits(Ly->act))
                scale_rows(tg->T[l + 1], m, in, Ly->n_out, q[l]);
        }
        /* J_i[r][c] = T[L][r][i in + c] */
        for (int64_t i = 0; i < m; i++)
            for (int64_t r = 0; r < out; r++)
                memcpy(J + (i * out + r) * in, tg->T[L] + r * ld + i * in,
                       (size_t)in * sizeof(double));
    } else {
        int64_t rows = m * out;
        for (int64_t l = 0; l < L; l++) {
            tg->T[l] = p;
            p += rows * c->layers[l].n_out;
        }
        /* U[L-1] = I per sample: d out / d act_{L-1}. */
        double *U = tg->T[L - 1];
        memset(U, 0, (size_t)(rows * out) * sizeof(double));
        for (int64_t i = 0; i < m; i++)
            for (int64_t r = 0; r < out; r++)
                U[(i * out + r) * out + r] = 1.0;
        double *S = p; /* scratch for U[l] Q[l], then J */
        for (int64_t l = L - 1; l >= 0; l--) {
            const struct cpae_layer *Ly = &c->layers[l];
            memcpy(S, tg->T[l], (size_t)(rows * Ly->n_out) * sizeof(double));
            if (cpae__has_bits(Ly->act))
                scale_cols(S, m, out, Ly->n_out, q[l]);
            double *dst = l > 0 ? tg->T[l - 1] : J;
            cpae__gemm(false, false, rows, Ly->n_in, Ly->n_out, 1.0, S, Ly->n_out, Ly->w,
                       Ly->n_in, 0.0, dst, Ly->n_in);
        }
    }
    return CPAE_OK;
}

int32_t cpae__tangent_backward(const cpae_chain *c, const cpae__tangent *tg, const double *dJ,
                               const double *base, double *grad, const double *hidden_extra,
                               const char *func)
{
    int64_t m = tg->m, in = tg->in, out = tg->out, L = tg->n_layers;
    int64_t wmax = cpae__chain_max_width(c);
    int64_t cols = tg->forward ? m * in : m * out; /* stacked extent */
    double *buf = cpae__pool_alloc(tg->pool, (size_t)(2 * wmax * cols +
                                                      (tg->forward ? 0 : wmax * cols)) *
                                                   sizeof(double));
    if (!buf)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate tangent backward scratch");
    double *A = buf, *B = buf + wmax * cols;
    if (tg->forward) {
        int64_t ld = m * in;
        /* Gbar[L] = dJ side by side: n_L x (m in). */
        for (int64_t i = 0; i < m; i++)
            for (int64_t r = 0; r < out; r++)
                memcpy(A + r * ld + i * in, dJ + (i * out + r) * in, (size_t)in * sizeof(double));
        for (int64_t l = L - 1; l >= 0; l--) {
            const struct cpae_layer *Ly = &c->layers[l];
            if (cpae__has_bits(Ly->act))
                scale_rows(A, m, in, Ly->n_out, tg->q[l]);
            /* dW += (Q Gbar) T^T ; Gbar_prev = W^T (Q Gbar) */
            cpae__gemm(false, true, Ly->n_out, Ly->n_in, ld, 1.0, A, ld, tg->T[l], ld, 1.0,
                       grad + (Ly->w - base), Ly->n_in);
            if (l > 0) {
                cpae__gemm(true, false, Ly->n_in, ld, Ly->n_out, 1.0, Ly->w, Ly->n_in, A, ld,
                           0.0, B, ld);
                if (l == L - 1 && hidden_extra)
                    for (int64_t e = 0; e < Ly->n_in * ld; e++)
                        B[e] += hidden_extra[e];
                double *t = A;
                A = B;
                B = t;
            }
        }
    } else {
        (void)hidden_extra; /* output-side stacking: not supported, NULL */
        int64_t rows = m * out;
        double *S = buf + 2 * wmax * cols;
        memcpy(A, dJ, (size_t)(rows * in) * sizeof(double)); /* Ubar_{-1} */
        for (int64_t l = 0; l < L; l++) {
            const struct cpae_layer *Ly = &c->layers[l];
            /* S = U[l] Q[l]; dW += S^T Ubar_{l-1}; Ubar_l = (Ubar_{l-1} W^T) Q[l] */
            memcpy(S, tg->T[l], (size_t)(rows * Ly->n_out) * sizeof(double));
            if (cpae__has_bits(Ly->act))
                scale_cols(S, m, out, Ly->n_out, tg->q[l]);
            cpae__gemm(true, false, Ly->n_out, Ly->n_in, rows, 1.0, S, Ly->n_out, A, Ly->n_in,
                       1.0, grad + (Ly->w - base), Ly->n_in);
            if (l + 1 < L) {
                cpae__gemm(false, true, rows, Ly->n_out, Ly->n_in, 1.0, A, Ly->n_in, Ly->w,
                           Ly->n_in, 0.0, B, Ly->n_out);
                if (cpae__has_bits(Ly->act))
                    scale_cols(B, m, out, Ly->n_out, tg->q[l]);
                double *t = A;
                A = B;
                B = t;
            }
        }
    }
    cpae__pool_free(tg->pool, buf);
    return CPAE_OK;
}
