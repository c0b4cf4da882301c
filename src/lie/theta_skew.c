/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* theta_skew.c -- the exact form's theta on the skew eigenbasis (theta.h,
 * docs/math.md section 3): with G = U diag(i omega) U^*, f(theta) on the
 * grid costs O(n) per point from the sums gamma_i = sum_k conj(Ah_ik) C_ik,
 * and the refinement O(n h) per step, for one target or batched over many
 * (U^* applied to the targets in chunks, the grid's cosines tabulated once).
 * The grid and refinement are theta_grid.h's. */
#include "lie/theta.h"

#include "core/pool.h"
#include "lie/theta_grid.h"
#include "lie/util.h"

#include <math.h>
#include <string.h>

/* Skew path state: C = U^* A0, Ah = U^* A (each [re; im], 2n x h). */
typedef struct skew_ctx {
    const cpae__skew_eig *f;
    int64_t h;
    const double *C, *Ah;
} skew_ctx;

/* f(theta) and, if g/jj non-NULL, <J, r> and <J, J> evaluated directly from
 * the residual r = e^{i theta Omega} C - Ah (O(n h), no cancellation). */
static double skew_eval(const skew_ctx *s, double theta, double *g, double *jj)
{
    const int64_t n = s->f->n, h = s->h;
    double fv = 0.0, gv = 0.0, jv = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double om = s->f->omega[i];
        double c = cos(theta * om), sn = sin(theta * om);
        const double *cr = s->C + i * h, *ci = s->C + (n + i) * h;
        const double *ar = s->Ah + i * h, *ai = s->Ah + (n + i) * h;
        for (int64_t k = 0; k < h; k++) {
            double yr = c * cr[k] - sn * ci[k], yi = sn * cr[k] + c * ci[k];
            double rr = yr - ar[k], ri = yi - ai[k];
            fv += rr * rr + ri * ri;
            /* J = i om Y: Jr = -om yi, Ji = om yr */
            double jr = -om * yi, ji = om * yr;
            gv += jr * rr + ji * ri;
            jv += jr * jr + ji * ji;
        }
    }
    if (g)
        *g = gv;
    if (jj)
        *jj = jv;
    return fv;
}

static int32_t skew_eval_fn(void *ctx, double theta, double *f, double *g,
                            double *jj)
{
    *f = skew_eval(ctx, theta, g, jj);
    return CPAE_OK;
}

/* cos and sin of t_k omega_i for every grid point t_k: tab[k 2n + 2i] and
 * tab[k 2n + 2i + 1] (n_grid x 2n). */
static void grid_trig(const cpae__skew_eig *sk, double theta_max, int64_t n_grid,
                      double *tab)
{
    const int64_t n = sk->n;
    for (int64_t kg = 0; kg < n_grid; kg++) {
        double t = cpae__theta_grid_point(kg, n_grid, theta_max), *row = tab + kg * 2 * n;
        for (int64_t i = 0; i < n; i++) {
            double a = t * sk->omega[i];
            row[2 * i] = cos(a);
            row[2 * i + 1] = sin(a);
        }
    }
}

/* Largest grid_trig table (doubles) cpae__theta_exact_many allocates. */
#define GRID_TAB_MAX (INT64_C(1) << 23)

/* The skew-path solve on transformed data: C = U^* A0 and Ah = U^* A (each
 * [re; im], 2n x h), a0sq = ||A0||_F^2 and asq = ||A||_F^2 (from the
 * untransformed blocks), gam scratch of 2n, tab the grid_trig table or NULL
 * (then the same cosines and sines are computed on the fly: the results do
 * not depend on it). Shared by cpae__theta_exact and cpae__theta_exact_many
 * so both give the same results. */
static int32_t skew_solve(const cpae__skew_eig *sk, const double *C, double a0sq,
                          const double *Ah, double asq, int64_t h, double theta_max,
                          int64_t n_grid, const double *tab, double *gam,
                          double *theta, double *fout)
{
    const int64_t n = sk->n;
    /* Grid in O(n) per point: f = ||C||^2 + ||Ah||^2 - 2 Re sum_i
     * e^{i theta w_i} gamma_i, gamma_i = sum_k conj(Ah_ik) C_ik. The
     * cancellation here only matters for ranking grid points; the returned
     * f comes from skew_eval. */
    double base = a0sq + asq;
    for (int64_t i = 0; i < n; i++) {
        const double *cr = C + i * h, *ci = C + (n + i) * h;
        const double *ar = Ah + i * h, *ai = Ah + (n + i) * h;
        double gr = 0.0, gi = 0.0;
        for (int64_t k = 0; k < h; k++) {
            gr += ar[k] * cr[k] + ai[k] * ci[k];
            gi += ar[k] * ci[k] - ai[k] * cr[k];
        }
        gam[2 * i] = gr;
        gam[2 * i + 1] = gi;
    }
    double tbest = 0.0, fbest = INFINITY;
    for (int64_t kg = 0; kg < n_grid; kg++) {
        double t = cpae__theta_grid_point(kg, n_grid, theta_max), s = 0.0;
        if (tab) {
            const double *row = tab + kg * 2 * n;
            for (int64_t i = 0; i < n; i++)
                s += row[2 * i] * gam[2 * i] - row[2 * i + 1] * gam[2 * i + 1];
        } else {
            for (int64_t i = 0; i < n; i++) {
                double a = t * sk->omega[i];
                s += cos(a) * gam[2 * i] - sin(a) * gam[2 * i + 1];
            }
        }
        double fv = base - 2.0 * s;
        if (cpae__theta_grid_better(fv, t, fbest, tbest)) {
            fbest = fv;
            tbest = t;
        }
    }
    skew_ctx ctx = {sk, h, C, Ah};
    double spacing = 2.0 * theta_max / (double)(n_grid - 1);
    int32_t st = cpae__theta_refine(skew_eval_fn, &ctx,
                                    cpae__theta_grid_cell(tbest, spacing, theta_max),
                                    &tbest, &fbest);
    if (st == CPAE_OK) {
        *theta = tbest;
        *fout = fbest;
    }
    return st;
}

int32_t cpae__theta_exact_skew1(const cpae__skew_eig *sk, const double *A0, const double *A,
                                int64_t h, double theta_max, int64_t n_grid, double *theta,
                                double *fout, const char *func)
{
    const int64_t n = sk->n, nh = n * h;
    double *w = cpae__dalloc_in(sk->pool, 4 * nh + 2 * n);
    if (!w)
        return cpae__nomem(func, 4 * nh + 2 * n);
    double *C = w, *Ah = w + 2 * nh, *gam = w + 4 * nh, t, fv;
    cpae__skew_to_eig(sk, A0, h, C);
    cpae__skew_to_eig(sk, A, h, Ah);
    int32_t st = skew_solve(sk, C, cpae__dot(A0, A0, nh), Ah, cpae__dot(A, A, nh), h, theta_max,
                            n_grid, NULL, gam, &t, &fv);
    cpae__pool_free(sk->pool, w);
    if (st == CPAE_OK) {
        if (theta)
            *theta = t;
        if (fout)
            *fout = fv;
    }
    return st;
}

int32_t cpae__theta_exact_many(const cpae__skew_eig *skew, int64_t n,
                               const double *A0, const double *A, int64_t m,
                               int64_t h, double theta_max, int64_t n_grid,
                               double *theta, double *f, const char *func)
{
    int32_t st;
    if (!skew)
        return cpae__fail(CPAE_E_INVALID, func,
                          "the batched exact theta solve needs a skew factorisation");
    if ((st = cpae__check_ptr(A0, func, "A0")) ||
        (st = cpae__check_ptr(A, func, "A")) || (st = cpae__check_dim(n, func, "n")) ||
        (st = cpae__check_dim(h, func, "h")))
        return st;
    if (m < 0)
        return cpae__fail(CPAE_E_SIZE, func, "m = %lld must be >= 0", (long long)m);
    if ((st = cpae__theta_check_range(skew, n, theta_max, n_grid, func)))
        return st;
    const int64_t nh = n * h;
    int64_t mnh;
    if (!cpae__mul_ok(m, nh, &mnh) || m > (INT64_C(1) << 40))
        return cpae__fail(CPAE_E_LIMIT, func, "m = %lld targets of %lld x %lld: too many",
                          (long long)m, (long long)n, (long long)h);
    if ((st = cpae__check_finite_d(A0, nh, func, "A0")) ||
        (st = cpae__check_finite_d(A, mnh, func, "A")))
        return st;
    if (m == 0)
        return CPAE_OK;

    /* Targets go through U^* in chunks of nb side by side (n x nb h), so the
     * GEMM packs U once per chunk instead of once per target. */
    int64_t nb = CPAE__SKEW_COLS / h;
    nb = nb < 1 ? 1 : nb > m ? m : nb;
    const int64_t ch = nb * h;
    const int64_t count = 4 * nh + 3 * n * ch + 2 * n + 2 * m;
    double *w = cpae__dalloc_in(skew->pool, count);
    if (!w)
        return cpae__nomem(func, count);
    double *C = w, *Ah = w + 2 * nh, *Ac = Ah + 2 * nh, *T = Ac + n * ch;
    double *gam = T + 2 * n * ch, *tv = gam + 2 * n, *fv = tv + m;
    /* The grid's cosines and sines do not depend on the target: tabulate
     * them once when there is more than one target and the table is of
     * reasonable size (else, or without memory, they are recomputed: same
     * values either way). */
    double *tab = NULL;
    if (m > 1 && n_grid <= GRID_TAB_MAX / (2 * n) &&
        (tab = cpae__dalloc_in(skew->pool, 2 * n * n_grid)))
        grid_trig(skew, theta_max, n_grid, tab);
    cpae__skew_to_eig(skew, A0, h, C);
    const double a0sq = cpae__dot(A0, A0, nh);
    for (int64_t i0 = 0; i0 < m && st == CPAE_OK; i0 += nb) {
        const int64_t cnt = m - i0 < nb ? m - i0 : nb, cw = cnt * h;
        for (int64_t b = 0; b < cnt; b++)
            for (int64_t r = 0; r < n; r++)
                memcpy(Ac + r * cw + b * h, A + (i0 + b) * nh + r * h,
                       (size_t)h * sizeof(double));
        cpae__gemm(true, false, 2 * n, cw, n, 1.0, skew->u, 2 * n, Ac, cw, 0.0, T, cw);
        for (int64_t b = 0; b < cnt && st == CPAE_OK; b++) {
            const double *Ai = A + (i0 + b) * nh;
            /* Ah = U^* A_i as skew_to_eig lays it out: [Ur^T A_i; -Ui^T A_i] */
            for (int64_t r = 0; r < n; r++)
                for (int64_t l = 0; l < h; l++) {
                    Ah[r * h + l] = T[r * cw + b * h + l];
                    Ah[(n + r) * h + l] = -T[(n + r) * cw + b * h + l];
                }
            st = skew_solve(skew, C, a0sq, Ah, cpae__dot(Ai, Ai, nh), h, theta_max, n_grid,
                            tab, gam, tv + i0 + b, fv + i0 + b);
        }
    }
    if (st == CPAE_OK) {
        if (theta)
            memcpy(theta, tv, (size_t)m * sizeof(double));
        if (f)
            memcpy(f, fv, (size_t)m * sizeof(double));
    }
    cpae__pool_free(skew->pool, tab);
    cpae__pool_free(skew->pool, w);
    return st;
}
