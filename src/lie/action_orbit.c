/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* action_orbit.c -- the orbit table of action.h: exp(t G) A0 for every
 * |t| <= t_max of one block A0 from Taylor terms stored at a few anchor
 * points, so that the exact Lie form's theta grid, Gauss-Newton steps and
 * every sample of a batch (they share A0) cost no further GEMM; with its
 * reverse mode for the gradients. */
#include "lie/action.h"
#include "lie/action_priv.h"

#include "core/pool.h"
#include "lie/util.h"

#include <lapacke.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------- the orbit table */

/* count doubles from the table's pool (NULL when the size overflows).
 * The table's sizes follow the Taylor degree, which moves with ||G||_1
 * from step to step: requests are rounded up to 2^e or 1.5 2^e so that
 * the pool's blocks serve the next steps too (at most a third more). */
static double *pool_d(struct cpae__pool *p, int64_t count)
{
    if (count < 0 || (uint64_t)count > SIZE_MAX / sizeof(double) / 2)
        return NULL;
    int64_t c = count > 4 ? count : 4, top = 4;
    while (top < c)
        top <<= 1;
    return cpae__dalloc_in(p, c <= top / 4 * 3 ? top / 4 * 3 : top);
}

/* Anchor ai's terms and QR. */
static double *anchor_S(const cpae__action_orbit *o, int64_t ai)
{
    return o->S + ai * (int64_t)(o->m + 1) * o->n * o->h;
}

static const double *anchor_qr(const cpae__action_orbit *o, int64_t ai)
{
    return o->qr + ai * (int64_t)(o->m + 1) * o->n * o->h;
}

/* S[0] holds C_a; S_j = (r/j) G S_{j-1} for j = 1..m (the scaling is the
 * GEMM's alpha). No early termination here: the table is differentiated
 * (cpae__action_orbit_adjoint), and the derivative of a truncated series
 * is accurate only to the a priori degree m of the theta_m table, not to
 * the degree at which the terms of one block happen to become small (a
 * nilpotent G has G^j C = 0 early while the derivative of G^j is not 0). */
static void anchor_terms(const double *G, int64_t n, int64_t h, double r, int32_t m, double *S)
{
    const int64_t nh = n * h;
    for (int32_t j = 1; j <= m; j++)
        cpae__gemm(false, false, n, h, n, r / (double)j, G, n, S + (j - 1) * nh, h, 0.0,
                   S + j * nh, h);
}

/* The anchor nearest t (index ai) and u = (t - a spacing) / radius. */
static void locate(const cpae__action_orbit *o, double t, int64_t *ai, double *u)
{
    int64_t a = 0;
    if (o->side > 0) {
        double q = floor(t / o->spacing + 0.5);
        q = fmax(-(double)o->side, fmin((double)o->side, q));
        a = (int64_t)q;
    }
    *ai = a + o->side;
    *u = (t - (double)a * o->spacing) / o->radius;
}

/* c_j = u^j and cd_j = d/dt c_j = j u^(j-1) / r, j < N. */
static void coefs(double u, double r, int32_t N, double *c, double *cd)
{
    double pw = 1.0;
    for (int32_t j = 0; j < N; j++) {
        if (cd)
            cd[j] = j == 0 ? 0.0 : (double)j * pw / r; /* pw = u^(j-1) here */
        if (j > 0)
            pw *= u;
        c[j] = j == 0 ? 1.0 : pw;
    }
}

void cpae__action_orbit_destroy(cpae__action_orbit *o)
{
    if (!o)
        return;
    cpae__pool *pool = o->pool;
    cpae__pool_free(pool, o->S); /* S, qr, tau and the LAPACK work: one block */
    cpae__pool_free(pool, o);
}

int32_t cpae__action_orbit_create(const double *G, int64_t n, const double *A0, int64_t h,
                                  double t_max, struct cpae__pool *pool,
                                  cpae__action_orbit **out, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(G, func, "G")) || (st = cpae__check_ptr(A0, func, "A0")) ||
        (st = cpae__check_ptr(out, func, "out")) || (st = cpae__check_dim(n, func, "n")) ||
        (st = cpae__check_dim(h, func, "h")))
        return st;
    int64_t nh;
    if (!cpae__mul_ok(n, h, &nh) || nh > INT32_MAX)
        return cpae__fail(CPAE_E_LIMIT, func, "%lld x %lld: too large", (long long)n,
                          (long long)h);
    if (!(t_max > 0.0) || !isfinite(t_max))
        return cpae__fail(CPAE_E_INVALID, func, "t_max = %g must be positive and finite",
                          t_max);
    if ((st = cpae__check_finite_d(G, n * n, func, "G")) ||
        (st = cpae__check_finite_d(A0, nh, func, "A0")))
        return st;
    double *scratch = pool_d(pool, n);
    if (!scratch)
        return cpae__nomem(func, n);
    const double x = t_max * cpae__norm1(G, n, scratch);
    if (!isfinite(x) || x > 1e12) {
        cpae__pool_free(pool, scratch);
        return cpae__fail(CPAE_E_LIMIT, func, "t_max ||G||_1 = %g is too large", x);
    }

    /* side = 0: one anchor, radius t_max, needs theta_m >= x. side >= 1:
     * spacing r = t_max / (side + 1/2) (the outer anchors reach t_max at
     * r/2), each step of length r needs theta_m >= x / (side + 1/2).
     * Minimise the GEMM count (2 side + 1) m; ties to fewer anchors. */
    int64_t side0 = x <= THETA_MAX_DEG ? 0 : (int64_t)ceil(x / THETA_MAX_DEG - 0.5);
    if (side0 < 0)
        side0 = 0;
    if (x > THETA_MAX_DEG && side0 < 1)
        side0 = 1;
    int64_t side = side0;
    int32_t m = cpae__action_degree_for(side0 == 0 ? x : x / ((double)side0 + 0.5));
    double best = (2.0 * (double)side0 + 1.0) * m;
    for (int64_t sd = side0 + 1; 2.0 * (double)sd + 1.0 < best && sd < side0 + 64; sd++) {
        int32_t mm = cpae__action_degree_for(x / ((double)sd + 0.5));
        double cost = (2.0 * (double)sd + 1.0) * mm;
        if (cost < best) {
            best = cost;
            side = sd;
            m = mm;
        }
    }
    const double n_anchor = 2.0 * (double)side + 1.0;
    if (2.0 * n_anchor * (double)(m + 1) * (double)nh > (double)CPAE__ACTION_ORBIT_MAX) {
        cpae__pool_free(pool, scratch);
        return cpae__fail(CPAE_E_LIMIT, func,
                          "the action table for t_max ||G||_1 = %g (%g anchors of %d terms "
                          "of %lld x %lld) exceeds %lld doubles",
                          x, n_anchor, (int)m + 1, (long long)n, (long long)h,
                          (long long)CPAE__ACTION_ORBIT_MAX);
    }
    const int64_t na = 2 * side + 1, N = m + 1, per = N * nh;
    /* LAPACK workspace: the larger of dgeqrf's (nh x N) and dormqr's for
     * the targets, queried per call with lwork = -1; dormqr's is n_targets
     * times a block size, so cpae__action_orbit_coords takes its own. */
    double wq = 0.0;
    lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)nh, (lapack_int)N, NULL,
                                          (lapack_int)nh, NULL, &wq, -1);
    const int64_t lwork = info == 0 && wq >= 1.0 ? (int64_t)wq : N * 64;
    cpae__action_orbit *o = cpae__pool_calloc(pool, sizeof *o);
    double *blk = o ? pool_d(pool, 2 * na * per + na * N + lwork) : NULL;
    cpae__pool_free(pool, scratch);
    if (!blk) {
        cpae__pool_free(pool, o);
        return cpae__nomem(func, 2 * na * per + na * N + lwork);
    }
    o->pool = pool;
    o->S = blk;
    o->qr = blk + na * per;
    o->tau = o->qr + na * per;
    double *work = o->tau + na * N;
    o->n = n;
    o->h = h;
    o->G = G;
    o->t_max = t_max;
    o->side = side;
    o->m = m;
    o->rank = nh < N ? nh : N;
    o->ncoords = na * (o->rank + 1);
    o->radius = side == 0 ? t_max : t_max / ((double)side + 0.5);
    o->spacing = side == 0 ? 2.0 * t_max : o->radius;

    /* Anchor 0 from A0, then outwards: C_{a +- 1} = sum_j (+-1)^j S_j. */
    memcpy(anchor_S(o, side), A0, (size_t)nh * sizeof(double));
    anchor_terms(G, n, h, o->radius, m, anchor_S(o, side));
    for (int dir = 1; dir >= -1; dir -= 2)
        for (int64_t a = 1; a <= side; a++) {
            int64_t prev = side + dir * (a - 1), ai = side + dir * a;
            const double *Sp = anchor_S(o, prev);
            double *C = anchor_S(o, ai);
            memset(C, 0, (size_t)nh * sizeof(double));
            for (int32_t j = m; j >= 0; j--) { /* small terms first */
                const double sg = (dir < 0 && (j & 1)) ? -1.0 : 1.0;
                for (int64_t e = 0; e < nh; e++)
                    C[e] += sg * Sp[j * nh + e];
            }
            anchor_terms(G, n, h, o->radius, m, C);
        }
    for (int64_t ai = 0; ai < na; ai++) {
        if (!cpae__action_all_finite(anchor_S(o, ai), per)) {
            cpae__action_orbit_destroy(o);
            return cpae__fail(CPAE_E_NUMERIC, func,
                              "exp(t G) A0 overflows (t_max ||G||_1 = %g)", x);
        }
        /* [vec S_0 ... vec S_m] is column-major nh x N as stored */
        double *qr = o->qr + ai * per;
        memcpy(qr, anchor_S(o, ai), (size_t)per * sizeof(double));
        info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)nh, (lapack_int)N, qr,
                                   (lapack_int)nh, o->tau + ai * N, work, (lapack_int)lwork);
        if ((st = cpae__lapack_status(info, "LAPACKE_dgeqrf", func))) {
            cpae__action_orbit_destroy(o);
            return st;
        }
    }
    *out = o;
    return CPAE_OK;
}

static int32_t check_t(const cpae__action_orbit *o, int64_t m, const double *t,
                       const char *func)
{
    for (int64_t i = 0; i < m; i++)
        if (!(fabs(t[i]) <= o->t_max))
            return cpae__fail(CPAE_E_INVALID, func, "t[%lld] = %g outside [-%g, %g]",
                              (long long)i, t[i], o->t_max, o->t_max);
    return CPAE_OK;
}

int32_t cpae__action_orbit_apply(const cpae__action_orbit *o, int64_t m, const double *t,
                                 double *Y, double *dY, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(o, func, "orbit")) || (st = cpae__check_ptr(t, func, "t")) ||
        (st = cpae__check_ptr(Y, func, "Y")))
        return st;
    if (m < 0)
        return cpae__fail(CPAE_E_SIZE, func, "m = %lld must be >= 0", (long long)m);
    if ((st = check_t(o, m, t, func)) || m == 0)
        return st;
    const int64_t nh = o->n * o->h, N1 = o->m + 1, na = 2 * o->side + 1;
    const int64_t count = (na > 1 ? m * nh : 0) + 2 * m * N1 + m; /* one anchor: no scatter */
    double *w = pool_d(o->pool, count);
    if (!w)
        return cpae__nomem(func, count);
    double *C = w, *Cd = C + m * N1, *tmp = Cd + m * N1 + m;
    int64_t *idx = (int64_t *)(Cd + m * N1); /* m int64 in m doubles */
    const int32_t N = (int32_t)N1;
    for (int64_t ai = 0; ai < na; ai++) {
        int64_t cnt = 0;
        for (int64_t i = 0; i < m; i++) {
            int64_t a;
            double u;
            locate(o, t[i], &a, &u);
            if (a != ai)
                continue;
            coefs(u, o->radius, N, C + cnt * N, Cd + cnt * N);
            idx[cnt++] = i;
        }
        if (!cnt)
            continue;
        for (int pass = 0; pass < (dY ? 2 : 1); pass++) {
            double *dst = pass ? dY : Y;
            /* all values on this anchor (idx is then 0..m-1): straight into dst */
            cpae__gemm(false, false, cnt, nh, N, 1.0, pass ? Cd : C, N, anchor_S(o, ai), nh, 0.0,
                       cnt == m ? dst : tmp, nh);
            for (int64_t k = 0; k < cnt && cnt < m; k++)
                memcpy(dst + idx[k] * nh, tmp + k * nh, (size_t)nh * sizeof(double));
        }
    }
    cpae__pool_free(o->pool, w);
    return CPAE_OK;
}

int32_t cpae__action_orbit_coords(const cpae__action_orbit *o, const double *A, int64_t m,
                                  double *coords, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(o, func, "orbit")) || (st = cpae__check_ptr(A, func, "A")) ||
        (st = cpae__check_ptr(coords, func, "coords")))
        return st;
    if (m <= 0)
        return m < 0 ? cpae__fail(CPAE_E_SIZE, func, "m = %lld must be >= 0", (long long)m)
                     : CPAE_OK;
    const int64_t nh = o->n * o->h, na = 2 * o->side + 1, N = o->m + 1, per = N * nh,
                  k = o->rank;
    double wq = 0.0;
    lapack_int info = LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', 'T', (lapack_int)nh,
                                          (lapack_int)m, (lapack_int)k, NULL, (lapack_int)nh,
                                          NULL, NULL, (lapack_int)nh, &wq, -1);
    const int64_t lwork = info == 0 && wq >= 1.0 ? (int64_t)wq : m * 64;
    double *Ac = pool_d(o->pool, m * nh + lwork);
    if (!Ac)
        return cpae__nomem(func, m * nh + lwork);
    for (int64_t ai = 0; ai < na && !st; ai++) {
        /* the targets are the columns of a column-major nh x m matrix */
        memcpy(Ac, A, (size_t)(m * nh) * sizeof(double));
        info = LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', 'T', (lapack_int)nh, (lapack_int)m,
                                   (lapack_int)k, o->qr + ai * per, (lapack_int)nh,
                                   o->tau + ai * N, Ac, (lapack_int)nh, Ac + m * nh,
                                   (lapack_int)lwork);
        if ((st = cpae__lapack_status(info, "LAPACKE_dormqr", func)))
            break;
        for (int64_t i = 0; i < m; i++) {
            const double *q = Ac + i * nh;
            double *c = coords + i * o->ncoords + ai * (k + 1), kap = 0.0;
            memcpy(c, q, (size_t)k * sizeof(double));
            for (int64_t e = k; e < nh; e++)
                kap += q[e] * q[e];
            c[k] = kap;
        }
    }
    cpae__pool_free(o->pool, Ac);
    return st;
}

void cpae__action_orbit_fit(const cpae__action_orbit *o, const double *coords, double t,
                            double *f, double *g, double *jj)
{
    int64_t ai;
    double u, c[CPAE__ACTION_MMAX + 1], cd[CPAE__ACTION_MMAX + 1];
    locate(o, t, &ai, &u);
    const int32_t N = o->m + 1;
    const int64_t k = o->rank, nh = o->n * o->h;
    const double *R = anchor_qr(o, ai), *b = coords + ai * (k + 1);
    coefs(u, o->radius, N, c, cd);
    double fv = b[k], gv = 0.0, jv = 0.0;
    for (int64_t i = 0; i < k; i++) {
        double z = 0.0, wv = 0.0;
        for (int32_t j = (int32_t)i; j < N; j++) {
            double rij = R[i + j * nh];
            z += rij * c[j];
            wv += rij * cd[j];
        }
        double r = z - b[i];
        fv += r * r;
        gv += wv * r;
        jv += wv * wv;
    }
    *f = fv;
    if (g)
        *g = gv;
    if (jj)
        *jj = jv;
}

int64_t cpae__action_orbit_point(const cpae__action_orbit *o, double t, double *z)
{
    int64_t ai;
    double u, c[CPAE__ACTION_MMAX + 1];
    locate(o, t, &ai, &u);
    const int32_t N = o->m + 1;
    const int64_t k = o->rank, nh = o->n * o->h;
    const double *R = anchor_qr(o, ai);
    coefs(u, o->radius, N, c, NULL);
    for (int64_t i = 0; i < k; i++) {
        double v = 0.0;
        for (int32_t j = (int32_t)i; j < N; j++)
            v += R[i + j * nh] * c[j];
        z[i] = v;
    }
    return ai;
}

int32_t cpae__action_orbit_adjoint(const cpae__action_orbit *o, int64_t m, const double *t,
                                   const double *Rbar, double *gG, double *gA0,
                                   const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(o, func, "orbit")) || (st = cpae__check_ptr(t, func, "t")) ||
        (st = cpae__check_ptr(Rbar, func, "Rbar")))
        return st;
    if (m < 0)
        return cpae__fail(CPAE_E_SIZE, func, "m = %lld must be >= 0", (long long)m);
    const int64_t n = o->n, h = o->h, nh = n * h, N1 = o->m + 1, side = o->side;
    if ((st = check_t(o, m, t, func)) ||
        (st = cpae__check_finite_d(Rbar, m * nh, func, "Rbar")))
        return st;
    if (!gG && !gA0)
        return CPAE_OK;
    /* Y (N1 blocks), T and S panels (n x (N1 - 1) h each), Rg (m blocks),
     * Cp, Cm, W, Wn (one block each), coefficients */
    const int64_t count = 3 * N1 * nh + (side > 0 ? m * nh : 0) + 4 * nh + m * N1;
    double *w = pool_d(o->pool, count);
    if (!w)
        return cpae__nomem(func, count);
    double *Yc = w, *Tp = Yc + N1 * nh, *Sp = Tp + N1 * nh, *Cp = Sp + N1 * nh, *Cm = Cp + nh,
           *W = Cm + nh, *Wn = W + nh, *C = Wn + nh, *Rg = C + m * N1;
    /* live_p / live_m: Cp / Cm hold an adjoint (an outer anchor that no t
     * uses, and none beyond it, contributes exactly 0 and is skipped) */
    bool live_p = false, live_m = false;
    /* outermost anchors first: a = side..1, a = -side..-1, then 0 */
    for (int64_t step = 0; step < 2 * side + 1; step++) {
        const int64_t a = step < side ? side - step : step < 2 * side ? -(2 * side - step) : 0;
        const int64_t ai = a + side;
        const int32_t N = (int32_t)N1;
        const double *S = anchor_S(o, ai);
        int64_t cnt = 0;
        for (int64_t i = 0; i < m; i++) {
            int64_t b;
            double u;
            locate(o, t[i], &b, &u);
            if (b != ai)
                continue;
            coefs(u, o->radius, N, C + cnt * N, NULL);
            if (side > 0) /* one anchor: every Rbar_i in order, no gather */
                memcpy(Rg + cnt * nh, Rbar + i * nh, (size_t)nh * sizeof(double));
            cnt++;
        }
        const bool from_p = live_p && a >= 0, from_m = live_m && a <= 0;
        if (!cnt && !from_p && !from_m && a != 0)
            continue; /* nothing reaches this anchor: its adjoint is 0 */
        /* Y_j = sum_k u_k^j Rbar_k, plus the next anchor's adjoint */
        if (cnt)
            cpae__gemm(true, false, N, nh, cnt, 1.0, C, N, side > 0 ? Rg : Rbar, nh, 0.0, Yc,
                       nh);
        else
            memset(Yc, 0, (size_t)(N * nh) * sizeof(double));
        for (int32_t j = 0; j < N; j++) {
            double *y = Yc + j * nh;
            const double sg = (j & 1) ? -1.0 : 1.0;
            if (from_p)
                for (int64_t e = 0; e < nh; e++)
                    y[e] += Cp[e];
            if (from_m)
                for (int64_t e = 0; e < nh; e++)
                    y[e] += sg * Cm[e];
        }
        /* W_{N-1} = Y_{N-1}; T_j = (r/j) W_j into panel block j - 1;
         * W_{j-1} = Y_{j-1} + G^T T_j */
        const int64_t pw = (int64_t)(N - 1) * h;
        memcpy(W, Yc + (N - 1) * nh, (size_t)nh * sizeof(double));
        for (int32_t j = N - 1; j >= 1; j--) {
            const double sc = o->radius / (double)j;
            for (int64_t r = 0; r < n; r++)
                for (int64_t l = 0; l < h; l++)
                    Tp[r * pw + (j - 1) * h + l] = sc * W[r * h + l];
            memcpy(Wn, Yc + (j - 1) * nh, (size_t)nh * sizeof(double));
            cpae__gemm(true, false, n, h, n, 1.0, o->G, n, Tp + (j - 1) * h, pw, 1.0, Wn, h);
            double *tmp = W;
            W = Wn;
            Wn = tmp;
        }
        if (gG && N > 1) { /* gG += sum_j T_j S_{j-1}^T, one GEMM */
            cpae__action_pack(S, n, N - 1, h, Sp);
            cpae__gemm(false, true, n, n, pw, 1.0, Tp, pw, Sp, pw, 1.0, gG, n);
        }
        if (a > 0) {
            memcpy(Cp, W, (size_t)nh * sizeof(double));
            live_p = true;
        } else if (a < 0) {
            memcpy(Cm, W, (size_t)nh * sizeof(double));
            live_m = true;
        } else if (gA0)
            for (int64_t e = 0; e < nh; e++)
                gA0[e] += W[e];
    }
    cpae__pool_free(o->pool, w);
    return CPAE_OK;
}
