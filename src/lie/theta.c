/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* theta.c -- the exact form's theta solvers (see theta.h, docs/math.md
 * section 3), min_{|theta| <= theta_max} ||exp(theta G) A0 - A||^2 by a
 * grid and Gauss-Newton refinement inside the best grid cell: the
 * refinement and the range checks every path shares (theta_grid.h), the
 * general G on the action orbit table of action.h (no GEMM per grid point
 * or step once the table is built, batched over targets) with Pade expm as
 * the reference and the fallback for tables too large. The skew eigenbasis
 * path is theta_skew.c, the local form theta_local.c, several generators
 * and the tangent form theta_forms.c; all share the grid, the tie-breaking
 * and the refinement, so they give the same minimiser for the same problem
 * whichever path computes it. */
#include "lie/theta.h"

#include "core/pool.h"
#include "lie/action.h"
#include "lie/pade.h"
#include "lie/theta_grid.h"
#include "lie/util.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GN_MAX_ITER 60
#define GN_MAX_HALVINGS 30

/* General path state. */
typedef struct gen_ctx {
    const double *G, *A0, *A;
    int64_t n, h;
    double *Gs, *E, *Y, *J; /* n x n, n x n, n x h, n x h */
    struct cpae__pool *pool; /* the Pade scratch (NULL: malloc) */
    const char *func;
} gen_ctx;

/* f at theta, and <J, r>, <J, J> with J = G exp(theta G) A0. */
static int32_t gen_eval(gen_ctx *c, double theta, double *fv, double *g,
                        double *jj)
{
    const int64_t n = c->n, h = c->h, nn = n * n;
    for (int64_t i = 0; i < nn; i++)
        c->Gs[i] = theta * c->G[i];
    int32_t st = cpae__expm_in(c->Gs, n, c->E, c->pool, c->func);
    if (st != CPAE_OK)
        return st;
    cpae__gemm(false, false, n, h, n, 1.0, c->E, n, c->A0, h, 0.0, c->Y, h);
    cpae__gemm(false, false, n, h, n, 1.0, c->G, n, c->Y, h, 0.0, c->J, h);
    double f = 0.0, gv = 0.0, jv = 0.0;
    for (int64_t i = 0; i < n * h; i++) {
        double r = c->Y[i] - c->A[i];
        f += r * r;
        gv += c->J[i] * r;
        jv += c->J[i] * c->J[i];
    }
    *fv = f;
    *g = gv;
    *jj = jv;
    return CPAE_OK;
}

int32_t cpae__theta_refine(cpae__theta_eval_fn eval, void *ctx, cpae__theta_cell cl,
                           double *theta, double *fval)
{
    double t = *theta, fv, g, jj;
    int32_t st = eval(ctx, t, &fv, &g, &jj);
    if (st != CPAE_OK)
        return st;
    for (int it = 0; it < GN_MAX_ITER; it++) {
        if (!(jj > 0.0) || fv == 0.0)
            break;
        double step = -g / jj;
        if (!isfinite(step) || fabs(step) <= 4.0 * DBL_EPSILON * fmax(1.0, fabs(t)))
            break;
        /* Near the minimiser the decrease a step can bring, g^2/jj, falls
         * below the rounding of f, and "fn < fv" decides at random: theta
         * would stop about sqrt(eps) (relative) from the minimiser, and the
         * envelope-theorem gradients are first order in that error. There
         * the full step is taken unless f grows beyond its rounding, so the
         * iteration converges on g = 0 (to the rounding of g). */
        const double noise = 64.0 * DBL_EPSILON * fv;
        const bool flat = g * g / jj <= noise;
        bool accepted = false;
        for (int k = 0; k < GN_MAX_HALVINGS; k++, step *= 0.5) {
            double tn = t + step;
            if (tn < cl.lo || tn > cl.hi)
                continue;
            double fn, gn, jn;
            if ((st = eval(ctx, tn, &fn, &gn, &jn)) != CPAE_OK)
                return st;
            if (fn < fv || (flat && k == 0 && fn <= fv + noise)) {
                t = tn;
                fv = fn;
                g = gn;
                jj = jn;
                accepted = true;
                break;
            }
        }
        if (!accepted)
            break;
    }
    *theta = t;
    *fval = fv;
    return CPAE_OK;
}

static int32_t gen_eval_fn(void *ctx, double theta, double *f, double *g,
                           double *jj)
{
    return gen_eval(ctx, theta, f, g, jj);
}

/* Action-table path: f, <J, r> and <J, J> in the table's coordinates. */
typedef struct orbit_ctx {
    const cpae__action_orbit *o;
    const double *coords;
} orbit_ctx;

static int32_t orbit_eval_fn(void *ctx, double theta, double *f, double *g, double *jj)
{
    const orbit_ctx *c = ctx;
    cpae__action_orbit_fit(c->o, c->coords, theta, f, g, jj);
    return CPAE_OK;
}

static int32_t theta_exact_general(const double *G, int64_t n, const double *A0,
                                   const double *A, int64_t h, double theta_max,
                                   int64_t n_grid, double *theta, double *fout,
                                   struct cpae__pool *pool, const char *func)
{
    const int64_t nn = n * n, nh = n * h;
    int64_t count = 4 * nn + 4 * nh;
    double *w = cpae__dalloc_in(pool, count);
    if (!w)
        return cpae__nomem(func, count);
    double *Sp = w, *Sm = w + nn, *Gs = w + 2 * nn, *E = w + 3 * nn;
    double *Y0 = w + 4 * nn, *Y = Y0 + nh, *Yn = Y + nh, *J = Yn + nh;
    const double spacing = 2.0 * theta_max / (double)(n_grid - 1);
    int32_t st;

    /* Grid: start at the grid point nearest 0 and step outwards with
     * exp(+-spacing G), so no intermediate passes through a large
     * exp(-theta_max G); errors grow with the true dynamics only. */
    int64_t k0 = (int64_t)floor(0.5 * (double)(n_grid - 1) + 0.5);
    if (k0 > n_grid - 1)
        k0 = n_grid - 1;
    double t0 = cpae__theta_grid_point(k0, n_grid, theta_max);
    double tbest = 0.0, fbest = INFINITY;
    for (int64_t i = 0; i < nn; i++)
        Gs[i] = t0 * G[i];
    if ((st = cpae__expm_in(Gs, n, E, pool, func)) != CPAE_OK)
        goto done;
    cpae__gemm(false, false, n, h, n, 1.0, E, n, A0, h, 0.0, Y0, h);
    for (int64_t i = 0; i < nn; i++)
        Gs[i] = spacing * G[i];
    if ((st = cpae__expm_in(Gs, n, Sp, pool, func)) != CPAE_OK)
        goto done;
    for (int64_t i = 0; i < nn; i++)
        Gs[i] = -spacing * G[i];
    if ((st = cpae__expm_in(Gs, n, Sm, pool, func)) != CPAE_OK)
        goto done;
    for (int dir = 0; dir < 2; dir++) {
        memcpy(Y, Y0, (size_t)nh * sizeof(double));
        const double *S = dir == 0 ? Sp : Sm;
        for (int64_t k = k0;;) {
            double fv = 0.0;
            for (int64_t i = 0; i < nh; i++) {
                double r = Y[i] - A[i];
                fv += r * r;
            }
            double t = cpae__theta_grid_point(k, n_grid, theta_max);
            if (isfinite(fv) && cpae__theta_grid_better(fv, t, fbest, tbest)) {
                fbest = fv;
                tbest = t;
            }
            k += dir == 0 ? 1 : -1;
            if (k < 0 || k >= n_grid)
                break;
            cpae__gemm(false, false, n, h, n, 1.0, S, n, Y, h, 0.0, Yn, h);
            double *tmp = Y;
            Y = Yn;
            Yn = tmp;
        }
    }
    if (!isfinite(fbest)) {
        st = cpae__fail(CPAE_E_NUMERIC, func, "exp(theta G) A0 overflows on the grid");
        goto done;
    }
    gen_ctx ctx = {G, A0, A, n, h, Gs, E, Yn, J, pool, func};
    st = cpae__theta_refine(gen_eval_fn, &ctx, cpae__theta_grid_cell(tbest, spacing, theta_max),
                            &tbest, &fbest);
    if (st == CPAE_OK) {
        if (theta)
            *theta = tbest;
        if (fout)
            *fout = fbest;
    }
done:
    cpae__pool_free(pool, w);
    return st;
}

/* The checks cpae__theta_exact and cpae__theta_exact_many share: the
 * factorisation (if any) is for n, theta_max > 0 and finite, n_grid >= 2. */
int32_t cpae__theta_check_range(const cpae__skew_eig *skew, int64_t n, double theta_max,
                                int64_t n_grid, const char *func)
{
    if (skew && skew->n != n)
        return cpae__fail(CPAE_E_MISMATCH, func,
                          "factorisation is for n = %lld, not %lld",
                          (long long)skew->n, (long long)n);
    if (!(theta_max > 0.0) || !isfinite(theta_max))
        return cpae__fail(CPAE_E_INVALID, func,
                          "theta_max = %g must be positive and finite", theta_max);
    if (n_grid < 2)
        return cpae__fail(CPAE_E_INVALID, func, "n_grid = %lld must be >= 2",
                          (long long)n_grid);
    return CPAE_OK;
}

int32_t cpae__theta_exact(const double *G, const cpae__skew_eig *skew,
                          int64_t n, const double *A0, const double *A,
                          int64_t h, double theta_max, int64_t n_grid,
                          double *theta, double *f, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(A0, func, "A0")) ||
        (st = cpae__check_ptr(A, func, "A")) || (st = cpae__check_dim(n, func, "n")) ||
        (st = cpae__check_dim(h, func, "h")))
        return st;
    if (!skew && (st = cpae__check_ptr(G, func, "G")))
        return st;
    if ((st = cpae__theta_check_range(skew, n, theta_max, n_grid, func)))
        return st;
    if ((st = cpae__check_finite_d(A0, n * h, func, "A0")) ||
        (st = cpae__check_finite_d(A, n * h, func, "A")))
        return st;
    if (skew)
        return cpae__theta_exact_skew1(skew, A0, A, h, theta_max, n_grid, theta, f, func);
    if ((st = cpae__check_finite_d(G, n * n, func, "G")))
        return st;
    cpae__action_orbit *o = NULL;
    st = cpae__action_orbit_create(G, n, A0, h, theta_max, NULL, &o, func);
    if (st == CPAE_E_LIMIT) /* table too large: the dense path */
        return theta_exact_general(G, n, A0, A, h, theta_max, n_grid, theta, f, NULL, func);
    if (st)
        return st;
    double t, fv;
    st = cpae__theta_exact_orbit(o, A, 1, n_grid, &t, &fv, func);
    cpae__action_orbit_destroy(o);
    if (st == CPAE_OK) {
        if (theta)
            *theta = t;
        if (f)
            *f = fv;
    }
    return st;
}

int32_t cpae__theta_exact_pade(const double *G, int64_t n, const double *A0, const double *A,
                               int64_t h, double theta_max, int64_t n_grid, double *theta,
                               double *f, const char *func)
{
    return cpae__theta_exact_pade_in(G, n, A0, A, h, theta_max, n_grid, theta, f, NULL, func);
}

int32_t cpae__theta_exact_pade_in(const double *G, int64_t n, const double *A0, const double *A,
                                  int64_t h, double theta_max, int64_t n_grid, double *theta,
                                  double *f, struct cpae__pool *pool, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(A0, func, "A0")) || (st = cpae__check_ptr(A, func, "A")) ||
        (st = cpae__check_ptr(G, func, "G")) || (st = cpae__check_dim(n, func, "n")) ||
        (st = cpae__check_dim(h, func, "h")) ||
        (st = cpae__theta_check_range(NULL, n, theta_max, n_grid, func)) ||
        (st = cpae__check_finite_d(A0, n * h, func, "A0")) ||
        (st = cpae__check_finite_d(A, n * h, func, "A")) ||
        (st = cpae__check_finite_d(G, n * n, func, "G")))
        return st;
    return theta_exact_general(G, n, A0, A, h, theta_max, n_grid, theta, f, pool, func);
}

int32_t cpae__theta_exact_orbit(const cpae__action_orbit *o, const double *A, int64_t m,
                                int64_t n_grid, double *theta, double *f, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(o, func, "orbit")) || (st = cpae__check_ptr(A, func, "A")))
        return st;
    if (m < 0)
        return cpae__fail(CPAE_E_SIZE, func, "m = %lld must be >= 0", (long long)m);
    const int64_t nh = o->n * o->h;
    int64_t mnh;
    if (!cpae__mul_ok(m, nh, &mnh) || m > (INT64_C(1) << 40))
        return cpae__fail(CPAE_E_LIMIT, func, "m = %lld targets: too many", (long long)m);
    if ((st = cpae__theta_check_range(NULL, o->n, o->t_max, n_grid, func)) ||
        (st = cpae__check_finite_d(A, mnh, func, "A")))
        return st;
    if (m == 0)
        return CPAE_OK;
    const int64_t nc = o->ncoords, zw = o->m + 1;
    int64_t zcount;
    if (!cpae__mul_ok(n_grid, zw + 1, &zcount) || zcount > INT64_MAX / 2 - m * nc - 2 * m)
        return cpae__fail(CPAE_E_LIMIT, func, "n_grid = %lld: too many", (long long)n_grid);
    const int64_t count = m * nc + 2 * m + zcount;
    double *w = cpae__pool_alloc(o->pool, (size_t)count * sizeof(double));
    if (!w)
        return cpae__nomem(func, count);
    double *coords = w, *tv = coords + m * nc, *fv = tv + m, *zt = fv + m;
    const double theta_max = o->t_max, spacing = 2.0 * theta_max / (double)(n_grid - 1);
    st = cpae__action_orbit_coords(o, A, m, coords, func);
    /* The grid's points in their anchors' coordinates, once for all
     * targets: row k holds the anchor index, then z. */
    for (int64_t k = 0; k < n_grid; k++)
        zt[k * (zw + 1)] =
            (double)cpae__action_orbit_point(o, cpae__theta_grid_point(k, n_grid, theta_max),
                                             zt + k * (zw + 1) + 1);
    /* Grid in O(m) per point and target, then Gauss-Newton in the best
     * cell, O(m^2) per step: both in the table's coordinates, whatever n
     * and h. */
    for (int64_t i = 0; i < m && st == CPAE_OK; i++) {
        orbit_ctx ctx = {o, coords + i * nc};
        double tbest = 0.0, fbest = INFINITY;
        for (int64_t k = 0; k < n_grid; k++) {
            const double *zk = zt + k * (zw + 1) + 1;
            const double t = cpae__theta_grid_point(k, n_grid, theta_max);
            const int64_t ai = (int64_t)zt[k * (zw + 1)], rk = o->rank;
            const double *b = ctx.coords + ai * (rk + 1);
            double fk = b[rk];
            for (int64_t l = 0; l < rk; l++)
                fk += (zk[l] - b[l]) * (zk[l] - b[l]);
            if (cpae__theta_grid_better(fk, t, fbest, tbest)) {
                fbest = fk;
                tbest = t;
            }
        }
        if (!isfinite(fbest)) {
            st = cpae__fail(CPAE_E_NUMERIC, func, "||exp(theta G) A0 - A||^2 overflows");
            break;
        }
        st = cpae__theta_refine(orbit_eval_fn, &ctx,
                                cpae__theta_grid_cell(tbest, spacing, theta_max), &tbest,
                                &fbest);
        tv[i] = tbest;
        fv[i] = fbest;
    }
    if (st == CPAE_OK) {
        if (theta)
            memcpy(theta, tv, (size_t)m * sizeof(double));
        if (f)
            memcpy(f, fv, (size_t)m * sizeof(double));
    }
    cpae__pool_free(o->pool, w);
    return st;
}

