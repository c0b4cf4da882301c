/* theta.c -- every theta solver of the Lie regularisers (see theta.h,
 * docs/math.md section 3): the local form min ||Delta - sum_j theta_j GA_j||^2
 * (closed form for one generator, minimum-norm dgelsd for several), and the
 * exact form min_{|theta| <= theta_max} ||exp(theta G) A0 - A||^2 by a grid
 * and Gauss-Newton refinement inside the best grid cell, on the skew
 * eigenbasis (O(n) per grid point, batched over targets) or, for a general
 * G, on the action orbit table of action.h (no GEMM per grid point or step
 * once the table is built, batched over targets; Pade expm as the
 * reference and the fallback for tables too large). Why one file: the solvers share the grid, the
 * tie-breaking and the refinement, so they give the same minimiser for the
 * same problem whichever path computes it. */
#include "lie/theta.h"

#include "core/pool.h"
#include "lie/action.h"
#include "lie/pade.h"
#include "lie/util.h"

#include <lapacke.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ local form */

/* dgelsd's workspace for a len x kG problem (optimal sizes by LAPACK's own
 * query, which allocates nothing). */
static bool gelsd_sizes(int64_t len, int64_t kG, int64_t *lwork, int64_t *liwork)
{
    int64_t ldb = len > kG ? len : kG;
    double a = 0.0, b = 0.0, s = 0.0, wq = 0.0;
    lapack_int rank = 0, iq = 0;
    lapack_int info = LAPACKE_dgelsd_work(LAPACK_COL_MAJOR, (lapack_int)len, (lapack_int)kG, 1,
                                          &a, (lapack_int)len, &b, (lapack_int)ldb, &s, -1.0,
                                          &rank, &wq, -1, &iq);
    *lwork = (int64_t)wq + 1;
    *liwork = iq > 1 ? iq : 1;
    return info == 0;
}

/* The scratch's doubles given dgelsd's sizes (-1: overflow). */
static int64_t scratch_count(int64_t kG, int64_t len, int64_t lwork, int64_t liwork)
{
    int64_t ldb = len > kG ? len : kG, mcount;
    int64_t iw = (liwork * (int64_t)sizeof(lapack_int) + 7) / 8; /* in doubles */
    if (!cpae__mul_ok(len, kG, &mcount) || mcount > INT64_MAX / 2 - ldb - kG - lwork - iw)
        return -1;
    return mcount + ldb + kG + lwork + iw;
}

int64_t cpae__theta_local_scratch(int64_t kG, int64_t len)
{
    if (kG <= 1 || kG > INT32_MAX || len < 1 || len > INT32_MAX)
        return 0;
    int64_t lwork = 0, liwork = 0;
    if (!gelsd_sizes(len, kG, &lwork, &liwork))
        return -1;
    return scratch_count(kG, len, lwork, liwork);
}

int32_t cpae__theta_local(const double *Delta, const double *const *GA,
                          int64_t kG, int64_t len, double *theta, double *resid,
                          double *scratch, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(Delta, func, "Delta")) ||
        (st = cpae__check_ptr(GA, func, "GA")) ||
        (st = cpae__check_ptr(theta, func, "theta")))
        return st;
    if (kG < 1 || len < 1)
        return cpae__fail(CPAE_E_SIZE, func, "kG = %lld and len = %lld must be >= 1",
                          (long long)kG, (long long)len);
    if (kG > INT32_MAX || len > INT32_MAX)
        return cpae__fail(CPAE_E_LIMIT, func, "kG or len exceeds the LAPACK range");
    if ((st = cpae__check_finite_d(Delta, len, func, "Delta")))
        return st;
    for (int64_t j = 0; j < kG; j++)
        if ((st = cpae__check_ptr(GA[j], func, "GA[j]")) ||
            (st = cpae__check_finite_d(GA[j], len, func, "GA[j]")))
            return st;

    if (kG == 1) {
        double gg = cpae__dot(GA[0], GA[0], len);
        double t = gg > 0.0 ? cpae__dot(Delta, GA[0], len) / gg : 0.0;
        if (resid) {
            double r2 = 0.0;
            for (int64_t i = 0; i < len; i++) {
                double r = Delta[i] - t * GA[0][i];
                r2 += r * r;
            }
            *resid = r2;
        }
        theta[0] = t;
        return CPAE_OK;
    }

    /* M (len x kG) column-major: column j is GA[j] verbatim, so LAPACKE
     * need not transpose. b has max(len, kG) rows; then dgelsd's work and
     * iwork, all in one block (the caller's scratch or a malloc). */
    int64_t ldb = len > kG ? len : kG, lwork = 0, liwork = 0, count = -1;
    if (gelsd_sizes(len, kG, &lwork, &liwork))
        count = scratch_count(kG, len, lwork, liwork);
    if (count < 0)
        return cpae__fail(CPAE_E_LIMIT, func, "len * kG overflows (or LAPACK's workspace "
                          "query failed)");
    int64_t mcount = len * kG;
    double *w = scratch ? scratch : cpae__dalloc(count);
    if (!w)
        return cpae__nomem(func, count);
    double *M = w, *b = w + mcount, *sv = b + ldb, *work = sv + kG;
    lapack_int *iwork = (lapack_int *)(work + lwork);
    for (int64_t j = 0; j < kG; j++)
        memcpy(M + j * len, GA[j], (size_t)len * sizeof(double));
    memcpy(b, Delta, (size_t)len * sizeof(double));
    for (int64_t i = len; i < ldb; i++)
        b[i] = 0.0;
    /* numpy's lstsq default: singular values below max(m, n) eps s_max are
     * treated as zero, which gives the minimum-norm solution on exactly
     * dependent columns despite rounding. */
    double rcond = (double)ldb * DBL_EPSILON;
    lapack_int rank = 0;
    lapack_int info = LAPACKE_dgelsd_work(LAPACK_COL_MAJOR, (lapack_int)len, (lapack_int)kG, 1,
                                          M, (lapack_int)len, b, (lapack_int)ldb, sv, rcond,
                                          &rank, work, (lapack_int)lwork, iwork);
    if ((st = cpae__lapack_status(info, "LAPACKE_dgelsd", func)) != CPAE_OK) {
        if (!scratch)
            free(w);
        return st;
    }
    if (resid) {
        double r2 = 0.0;
        for (int64_t i = 0; i < len; i++) {
            double r = Delta[i];
            for (int64_t j = 0; j < kG; j++)
                r -= b[j] * GA[j][i];
            r2 += r * r;
        }
        *resid = r2;
    }
    memcpy(theta, b, (size_t)kG * sizeof(double));
    if (!scratch)
        free(w);
    return CPAE_OK;
}

/* ------------------------------------------------------------ exact form */

#define GN_MAX_ITER 60
#define GN_MAX_HALVINGS 30

/* Trust region of the refinement: the grid cell around the grid minimiser,
 * clipped to the range. */
typedef struct cell {
    double lo, hi;
} cell;

static cell grid_cell(double theta_g, double spacing, double theta_max)
{
    cell c = {theta_g - spacing, theta_g + spacing};
    if (c.lo < -theta_max)
        c.lo = -theta_max;
    if (c.hi > theta_max)
        c.hi = theta_max;
    return c;
}

static double grid_point(int64_t k, int64_t n_grid, double theta_max)
{
    if (k == n_grid - 1)
        return theta_max; /* exact end point */
    return -theta_max + 2.0 * theta_max * (double)k / (double)(n_grid - 1);
}

/* Strictly better, ties to the smaller |theta|. */
static bool grid_better(double fv, double t, double fbest, double tbest)
{
    return fv < fbest || (fv == fbest && fabs(t) < fabs(tbest));
}

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

/* General path state. */
typedef struct gen_ctx {
    const double *G, *A0, *A;
    int64_t n, h;
    double *Gs, *E, *Y, *J; /* n x n, n x n, n x h, n x h */
    const char *func;
} gen_ctx;

/* f at theta, and <J, r>, <J, J> with J = G exp(theta G) A0. */
static int32_t gen_eval(gen_ctx *c, double theta, double *fv, double *g,
                        double *jj)
{
    const int64_t n = c->n, h = c->h, nn = n * n;
    for (int64_t i = 0; i < nn; i++)
        c->Gs[i] = theta * c->G[i];
    int32_t st = cpae__expm(c->Gs, n, c->E, c->func);
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

/* Gauss-Newton from theta0 with value f0 inside cell cl. eval(ctx, theta,
 * &f, &g, &jj) gives f and the one-column normal equations. */
typedef int32_t (*eval_fn)(void *ctx, double theta, double *f, double *g,
                           double *jj);

static int32_t refine(eval_fn eval, void *ctx, cell cl, double *theta,
                      double *fval)
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

static int32_t skew_eval_fn(void *ctx, double theta, double *f, double *g,
                            double *jj)
{
    *f = skew_eval(ctx, theta, g, jj);
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

/* cos and sin of t_k omega_i for every grid point t_k: tab[k 2n + 2i] and
 * tab[k 2n + 2i + 1] (n_grid x 2n). */
static void grid_trig(const cpae__skew_eig *sk, double theta_max, int64_t n_grid,
                      double *tab)
{
    const int64_t n = sk->n;
    for (int64_t kg = 0; kg < n_grid; kg++) {
        double t = grid_point(kg, n_grid, theta_max), *row = tab + kg * 2 * n;
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
        double t = grid_point(kg, n_grid, theta_max), s = 0.0;
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
        if (grid_better(fv, t, fbest, tbest)) {
            fbest = fv;
            tbest = t;
        }
    }
    skew_ctx ctx = {sk, h, C, Ah};
    double spacing = 2.0 * theta_max / (double)(n_grid - 1);
    int32_t st = refine(skew_eval_fn, &ctx, grid_cell(tbest, spacing, theta_max),
                        &tbest, &fbest);
    if (st == CPAE_OK) {
        *theta = tbest;
        *fout = fbest;
    }
    return st;
}

static int32_t theta_exact_skew(const cpae__skew_eig *sk, const double *A0,
                                const double *A, int64_t h, double theta_max,
                                int64_t n_grid, double *theta, double *fout,
                                const char *func)
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

static int32_t theta_exact_general(const double *G, int64_t n, const double *A0,
                                   const double *A, int64_t h, double theta_max,
                                   int64_t n_grid, double *theta, double *fout,
                                   const char *func)
{
    const int64_t nn = n * n, nh = n * h;
    int64_t count = 4 * nn + 4 * nh;
    double *w = cpae__dalloc(count);
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
    double t0 = grid_point(k0, n_grid, theta_max);
    double tbest = 0.0, fbest = INFINITY;
    for (int64_t i = 0; i < nn; i++)
        Gs[i] = t0 * G[i];
    if ((st = cpae__expm(Gs, n, E, func)) != CPAE_OK)
        goto done;
    cpae__gemm(false, false, n, h, n, 1.0, E, n, A0, h, 0.0, Y0, h);
    for (int64_t i = 0; i < nn; i++)
        Gs[i] = spacing * G[i];
    if ((st = cpae__expm(Gs, n, Sp, func)) != CPAE_OK)
        goto done;
    for (int64_t i = 0; i < nn; i++)
        Gs[i] = -spacing * G[i];
    if ((st = cpae__expm(Gs, n, Sm, func)) != CPAE_OK)
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
            double t = grid_point(k, n_grid, theta_max);
            if (isfinite(fv) && grid_better(fv, t, fbest, tbest)) {
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
    gen_ctx ctx = {G, A0, A, n, h, Gs, E, Yn, J, func};
    st = refine(gen_eval_fn, &ctx, grid_cell(tbest, spacing, theta_max), &tbest,
                &fbest);
    if (st == CPAE_OK) {
        if (theta)
            *theta = tbest;
        if (fout)
            *fout = fbest;
    }
done:
    free(w);
    return st;
}

/* The checks cpae__theta_exact and cpae__theta_exact_many share: the
 * factorisation (if any) is for n, theta_max > 0 and finite, n_grid >= 2. */
static int32_t check_range(const cpae__skew_eig *skew, int64_t n, double theta_max,
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
    if ((st = check_range(skew, n, theta_max, n_grid, func)))
        return st;
    if ((st = cpae__check_finite_d(A0, n * h, func, "A0")) ||
        (st = cpae__check_finite_d(A, n * h, func, "A")))
        return st;
    if (skew)
        return theta_exact_skew(skew, A0, A, h, theta_max, n_grid, theta, f, func);
    if ((st = cpae__check_finite_d(G, n * n, func, "G")))
        return st;
    cpae__action_orbit *o = NULL;
    st = cpae__action_orbit_create(G, n, A0, h, theta_max, NULL, &o, func);
    if (st == CPAE_E_LIMIT) /* table too large: the dense path */
        return theta_exact_general(G, n, A0, A, h, theta_max, n_grid, theta, f, func);
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
    int32_t st;
    if ((st = cpae__check_ptr(A0, func, "A0")) || (st = cpae__check_ptr(A, func, "A")) ||
        (st = cpae__check_ptr(G, func, "G")) || (st = cpae__check_dim(n, func, "n")) ||
        (st = cpae__check_dim(h, func, "h")) ||
        (st = check_range(NULL, n, theta_max, n_grid, func)) ||
        (st = cpae__check_finite_d(A0, n * h, func, "A0")) ||
        (st = cpae__check_finite_d(A, n * h, func, "A")) ||
        (st = cpae__check_finite_d(G, n * n, func, "G")))
        return st;
    return theta_exact_general(G, n, A0, A, h, theta_max, n_grid, theta, f, func);
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
    if ((st = check_range(NULL, o->n, o->t_max, n_grid, func)) ||
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
            (double)cpae__action_orbit_point(o, grid_point(k, n_grid, theta_max),
                                             zt + k * (zw + 1) + 1);
    /* Grid in O(m) per point and target, then Gauss-Newton in the best
     * cell, O(m^2) per step: both in the table's coordinates, whatever n
     * and h. */
    for (int64_t i = 0; i < m && st == CPAE_OK; i++) {
        orbit_ctx ctx = {o, coords + i * nc};
        double tbest = 0.0, fbest = INFINITY;
        for (int64_t k = 0; k < n_grid; k++) {
            const double *zk = zt + k * (zw + 1) + 1, t = grid_point(k, n_grid, theta_max);
            const int64_t ai = (int64_t)zt[k * (zw + 1)], rk = o->rank;
            const double *b = ctx.coords + ai * (rk + 1);
            double fk = b[rk];
            for (int64_t l = 0; l < rk; l++)
                fk += (zk[l] - b[l]) * (zk[l] - b[l]);
            if (grid_better(fk, t, fbest, tbest)) {
                fbest = fk;
                tbest = t;
            }
        }
        if (!isfinite(fbest)) {
            st = cpae__fail(CPAE_E_NUMERIC, func, "||exp(theta G) A0 - A||^2 overflows");
            break;
        }
        st = refine(orbit_eval_fn, &ctx, grid_cell(tbest, spacing, theta_max), &tbest, &fbest);
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
    if ((st = check_range(skew, n, theta_max, n_grid, func)))
        return st;
    const int64_t nh = n * h;
    int64_t mnh;
    if (!cpae__mul_ok(m, nh, &mnh) || m > (INT64_C(1) << 40))
        return cpae__fail(CPAE_E_LIMIT, func, "m = %lld targets of %lld x %lld: too many",
                          (long long)m, (long long)n, (long long)h);
    if ((st = cpae__check_finite_d(A0, nh, func, "A0")) || (st = cpae__check_finite_d(A, mnh, func, "A")))
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
    if (m > 1 && n_grid <= GRID_TAB_MAX / (2 * n) && (tab = cpae__dalloc_in(skew->pool, 2 * n * n_grid)))
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
