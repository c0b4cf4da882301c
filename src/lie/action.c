/* action.c -- exp(t G) B without forming exp(t G) (see action.h): the
 * truncated Taylor series with scaling of Al-Mohy and Higham 2011, every
 * product one GEMM of G with a block (or with many blocks side by side),
 * its reverse mode, and the orbit table that serves every theta of the
 * exact Lie form from Taylor terms stored at a few anchors. Why: the exact
 * form with a general generator needs exp(theta_i G) A0 and the adjoint of
 * the Frechet derivative for every sample; a dense Pade expm per sample
 * costs O(n^3) each, the action O(n^2 h) per term, and the orbit table
 * shares the terms between all samples (they share A0). */
#include "lie/action.h"

#include "core/pool.h"
#include "lie/util.h"

#include <lapacke.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* theta_m for unit roundoff 2^-53: the largest ||A||_1 for which the
 * degree-m truncated Taylor series of exp(A) has backward error <= 2^-53
 * (Higham, "Functions of Matrices", SIAM 2008, Table A.3, m <= 30;
 * Al-Mohy and Higham 2011, Table 3.1, m = 35..55). */
static const struct {
    int32_t m;
    double theta;
} TABLE[] = {
    {1, 2.29e-16}, {2, 2.58e-8}, {3, 1.39e-5}, {4, 3.40e-4}, {5, 2.40e-3},
    {6, 9.07e-3},  {7, 2.38e-2}, {8, 5.00e-2}, {9, 8.96e-2}, {10, 1.44e-1},
    {11, 2.14e-1}, {12, 3.00e-1}, {13, 4.00e-1}, {14, 5.14e-1}, {15, 6.41e-1},
    {16, 7.81e-1}, {17, 9.31e-1}, {18, 1.09},   {19, 1.26},   {20, 1.44},
    {21, 1.62},   {22, 1.82},   {23, 2.01},   {24, 2.22},   {25, 2.43},
    {26, 2.64},   {27, 2.86},   {28, 3.08},   {29, 3.31},   {30, 3.54},
    {35, 4.7},    {40, 6.0},    {45, 7.2},    {50, 8.5},    {55, 9.9},
};
#define N_TABLE ((int)(sizeof TABLE / sizeof *TABLE))
#define THETA_MAX_DEG 9.9 /* theta_55 */

/* Early termination: the last two terms below 2^-53 of the partial sum. */
static const double TOL = 0x1p-53;

double cpae__action_theta(int32_t m)
{
    for (int i = 0; i < N_TABLE; i++)
        if (TABLE[i].m == m)
            return TABLE[i].theta;
    return 0.0;
}

void cpae__action_params(double x, int32_t *m, int64_t *s)
{
    const int64_t cap = INT64_MAX / 2;
    if (x == 0.0) {
        *m = 0;
        *s = 1;
        return;
    }
    int32_t bm = CPAE__ACTION_MMAX;
    int64_t bs = cap;
    double best = INFINITY;
    for (int i = 0; i < N_TABLE && x > 0.0; i++) {
        double sd = ceil(x / TABLE[i].theta);
        if (!(sd < (double)cap))
            continue;
        double cost = (double)TABLE[i].m * sd;
        if (cost < best) { /* ties to the smaller m */
            best = cost;
            bm = TABLE[i].m;
            bs = (int64_t)sd;
        }
    }
    *m = bm;
    *s = bs;
}

/* Smallest degree of the table with theta_m >= need (need <= theta_55),
 * at least 1: the table is differentiated, and at G = 0 the derivative of
 * exp(t G) in G is t (.) while that of the degree-0 polynomial is 0. */
static int32_t degree_for(double need)
{
    for (int i = 0; i < N_TABLE; i++)
        if (TABLE[i].theta >= need)
            return TABLE[i].m;
    return CPAE__ACTION_MMAX;
}

/* ------------------------------------------------------------- helpers */

/* ||G||_1, the largest column sum of |G| (colsum: n doubles of scratch). */
static double norm1(const double *G, int64_t n, double *colsum)
{
    for (int64_t j = 0; j < n; j++)
        colsum[j] = 0.0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            colsum[j] += fabs(G[i * n + j]);
    double v = 0.0;
    for (int64_t j = 0; j < n; j++)
        if (colsum[j] > v || isnan(colsum[j]))
            v = colsum[j];
    return v;
}

/* Infinity norm (largest absolute row sum) of column block i of width h of
 * an n x w panel, for every block. */
static void block_norms(const double *P, int64_t n, int64_t p, int64_t h, double *out)
{
    const int64_t w = p * h;
    for (int64_t i = 0; i < p; i++)
        out[i] = 0.0;
    for (int64_t r = 0; r < n; r++)
        for (int64_t i = 0; i < p; i++) {
            const double *x = P + r * w + i * h;
            double s = 0.0;
            for (int64_t l = 0; l < h; l++)
                s += fabs(x[l]);
            if (s > out[i])
                out[i] = s;
        }
}

/* Blocks (p contiguous n x h) into an n x (p h) panel, and back. */
static void pack(const double *B, int64_t n, int64_t p, int64_t h, double *P)
{
    const int64_t w = p * h;
    for (int64_t i = 0; i < p; i++)
        for (int64_t r = 0; r < n; r++)
            memcpy(P + r * w + i * h, B + (i * n + r) * h, (size_t)h * sizeof(double));
}

static void unpack(const double *P, int64_t n, int64_t p, int64_t h, double *B)
{
    const int64_t w = p * h;
    for (int64_t i = 0; i < p; i++)
        for (int64_t r = 0; r < n; r++)
            memcpy(B + (i * n + r) * h, P + r * w + i * h, (size_t)h * sizeof(double));
}

/* Column block i of an n x (p h) panel times c[i]. */
static void scale_blocks(double *P, int64_t n, int64_t p, int64_t h, const double *c)
{
    const int64_t w = p * h;
    for (int64_t r = 0; r < n; r++)
        for (int64_t i = 0; i < p; i++) {
            double *x = P + r * w + i * h, ci = c[i];
            for (int64_t l = 0; l < h; l++)
                x[l] *= ci;
        }
}

static bool all_finite(const double *x, int64_t count)
{
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

/* ------------------------------------------------- the action on panels */

/* The checks both entry points share; *x receives max |t_i| ||G||_1. */
static int32_t action_checks(const double *G, int64_t n, const double *B, int64_t p, int64_t h,
                             const double *t, double *x, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(G, func, "G")) || (st = cpae__check_ptr(B, func, "B")) ||
        (st = cpae__check_ptr(t, func, "t")) || (st = cpae__check_dim(n, func, "n")) ||
        (st = cpae__check_dim(h, func, "h")))
        return st;
    int64_t w, nw;
    if (p < 0)
        return cpae__fail(CPAE_E_SIZE, func, "p = %lld must be >= 0", (long long)p);
    if (!cpae__mul_ok(p, h, &w) || !cpae__mul_ok(n, w, &nw) || w > CPAE_MAX_WIDTH)
        return cpae__fail(CPAE_E_LIMIT, func, "%lld blocks of %lld x %lld: too many",
                          (long long)p, (long long)n, (long long)h);
    if ((st = cpae__check_finite_d(G, n * n, func, "G")) ||
        (st = cpae__check_finite_d(t, p, func, "t")) ||
        (st = cpae__check_finite_d(B, nw, func, "B")))
        return st;
    double *colsum = cpae__dalloc(n);
    if (!colsum)
        return cpae__nomem(func, n);
    double g1 = norm1(G, n, colsum), tm = 0.0;
    free(colsum);
    for (int64_t i = 0; i < p; i++)
        tm = fmax(tm, fabs(t[i]));
    *x = tm * g1;
    if (!isfinite(*x) || *x > 1e15)
        return cpae__fail(CPAE_E_LIMIT, func, "max |t| ||G||_1 = %g is too large", *x);
    return CPAE_OK;
}

/* The forward recursion on an n x w panel (w = p h): s steps, each
 * Z <- sum_{j <= m_q} V_j, V_0 = Z, V_j = (tau/j) G V_{j-1} (tau per
 * block), m_q <= m by early termination when `early` (else m_q = m).
 * Z: in B, out Y. F, X0, X1: panel scratch; nrm: 3 p; coef: p. Zs (s
 * panels) receives each step's input and mq[q] the terms used by step q
 * (either may be NULL). */
static void forward(const double *G, int64_t n, int64_t p, int64_t h, const double *tau,
                    int32_t m, int64_t s, bool early, double *Z, double *F, double *X0,
                    double *X1, double *nrm, double *coef, double *Zs, int32_t *mq)
{
    const int64_t w = p * h, nw = n * w;
    double *c1 = nrm, *c2 = nrm + p, *fn = nrm + 2 * p;
    for (int64_t q = 0; q < s; q++) {
        if (Zs)
            memcpy(Zs + q * nw, Z, (size_t)nw * sizeof(double));
        int32_t used = 0;
        if (m > 0) {
            memcpy(F, Z, (size_t)nw * sizeof(double));
            if (early)
                block_norms(Z, n, p, h, c1);
            const double *V = Z;
            double *Vn = X0;
            for (int32_t j = 1; j <= m; j++) {
                cpae__gemm(false, false, n, w, n, 1.0, G, n, V, w, 0.0, Vn, w);
                for (int64_t i = 0; i < p; i++)
                    coef[i] = tau[i] / (double)j;
                scale_blocks(Vn, n, p, h, coef);
                for (int64_t e = 0; e < nw; e++)
                    F[e] += Vn[e];
                used = j;
                V = Vn;
                Vn = Vn == X0 ? X1 : X0;
                if (!early)
                    continue;
                block_norms(V, n, p, h, c2);
                block_norms(F, n, p, h, fn);
                bool done = true;
                for (int64_t i = 0; i < p; i++) {
                    done &= c1[i] + c2[i] <= TOL * fn[i];
                    c1[i] = c2[i];
                }
                if (done)
                    break;
            }
            memcpy(Z, F, (size_t)nw * sizeof(double));
        }
        if (mq)
            mq[q] = used;
    }
}

int32_t cpae__expm_action(const double *G, int64_t n, const double *B, int64_t p, int64_t h,
                          const double *t, double *Y, double *dY, const char *func)
{
    double x;
    int32_t st;
    if ((st = cpae__check_ptr(Y, func, "Y")) ||
        (st = action_checks(G, n, B, p, h, t, &x, func)))
        return st;
    if (p == 0)
        return CPAE_OK;
    int32_t m;
    int64_t s;
    cpae__action_params(x, &m, &s);
    const int64_t nw = n * p * h, count = 4 * nw + 5 * p;
    double *w = cpae__dalloc(count);
    if (!w)
        return cpae__nomem(func, count);
    double *Z = w, *F = Z + nw, *X0 = F + nw, *X1 = X0 + nw, *nrm = X1 + nw,
           *coef = nrm + 3 * p, *tau = coef + p;
    for (int64_t i = 0; i < p; i++)
        tau[i] = t[i] / (double)s;
    pack(B, n, p, h, Z);
    forward(G, n, p, h, tau, m, s, true, Z, F, X0, X1, nrm, coef, NULL, NULL);
    if (!all_finite(Z, nw)) {
        free(w);
        return cpae__fail(CPAE_E_NUMERIC, func, "exp(t G) B overflows (max |t| ||G||_1 = %g)",
                          x);
    }
    unpack(Z, n, p, h, Y);
    if (dY) {
        cpae__gemm(false, false, n, p * h, n, 1.0, G, n, Z, p * h, 0.0, F, p * h);
        unpack(F, n, p, h, dY);
    }
    free(w);
    return CPAE_OK;
}

int32_t cpae__expm_action_adjoint(const double *G, int64_t n, const double *B, int64_t p,
                                  int64_t h, const double *t, const double *Rbar, double *gG,
                                  double *gB, double *gt, const char *func)
{
    double x;
    int32_t st;
    if ((st = cpae__check_ptr(Rbar, func, "Rbar")) ||
        (st = action_checks(G, n, B, p, h, t, &x, func)) ||
        (st = cpae__check_finite_d(Rbar, n * p * h, func, "Rbar")))
        return st;
    if (p == 0 || (!gG && !gB && !gt))
        return CPAE_OK;
    int32_t m;
    int64_t s;
    cpae__action_params(x, &m, &s);
    if (m == 0) /* G = 0 or all t = 0: degree 1 still carries d/dG = t Rbar B^T */
        m = 1;
    const int64_t w = p * h, nw = n * w;
    /* Z F X0 X1 | W T Zb | Zs: s panels | V: m + 1 panels */
    double cnt = (7.0 + (double)s + (double)m + 1.0) * (double)nw + 5.0 * (double)p;
    if (cnt > 9.0e15)
        return cpae__fail(CPAE_E_LIMIT, func, "%g scaling steps: too many", (double)s);
    const int64_t count = (int64_t)cnt;
    double *wk = cpae__dalloc(count);
    int32_t *mq = malloc((size_t)s * sizeof(int32_t));
    if (!wk || !mq) {
        free(wk);
        free(mq);
        return cpae__nomem(func, count);
    }
    double *Z = wk, *F = Z + nw, *X0 = F + nw, *X1 = X0 + nw, *W = X1 + nw, *T = W + nw,
           *Zb = T + nw, *Zs = Zb + nw, *V = Zs + s * nw, *nrm = V + (m + 1) * nw,
           *coef = nrm + 3 * p, *tau = coef + p;
    for (int64_t i = 0; i < p; i++)
        tau[i] = t[i] / (double)s;
    pack(B, n, p, h, Z);
    forward(G, n, p, h, tau, m, s, false, Z, F, X0, X1, nrm, coef, Zs, mq);
    if (!all_finite(Z, nw)) {
        st = cpae__fail(CPAE_E_NUMERIC, func, "exp(t G) B overflows (max |t| ||G||_1 = %g)", x);
        goto done;
    }
    pack(Rbar, n, p, h, Zb);
    if (gt) { /* <Rbar_i, G Y_i> */
        cpae__gemm(false, false, n, w, n, 1.0, G, n, Z, w, 0.0, F, w);
        for (int64_t i = 0; i < p; i++)
            gt[i] = 0.0;
        for (int64_t r = 0; r < n; r++)
            for (int64_t i = 0; i < p; i++)
                for (int64_t l = 0; l < h; l++)
                    gt[i] += Zb[r * w + i * h + l] * F[r * w + i * h + l];
    }
    for (int64_t q = s - 1; q >= 0 && (gG || gB); q--) {
        const int32_t mm = mq[q];
        if (mm == 0)
            continue; /* the step was the identity */
        /* recompute the step's terms V_0..V_mm */
        memcpy(V, Zs + q * nw, (size_t)nw * sizeof(double));
        for (int32_t j = 1; j <= mm; j++) {
            double *Vj = V + j * nw;
            cpae__gemm(false, false, n, w, n, 1.0, G, n, Vj - nw, w, 0.0, Vj, w);
            for (int64_t i = 0; i < p; i++)
                coef[i] = tau[i] / (double)j;
            scale_blocks(Vj, n, p, h, coef);
        }
        /* W_mm = Zbar'; T = (tau/j) W_j; Gbar += T V_{j-1}^T;
         * W_{j-1} = Zbar' + G^T T */
        memcpy(W, Zb, (size_t)nw * sizeof(double));
        for (int32_t j = mm; j >= 1; j--) {
            memcpy(T, W, (size_t)nw * sizeof(double));
            for (int64_t i = 0; i < p; i++)
                coef[i] = tau[i] / (double)j;
            scale_blocks(T, n, p, h, coef);
            if (gG)
                cpae__gemm(false, true, n, n, w, 1.0, T, w, V + (j - 1) * nw, w, 1.0, gG, n);
            memcpy(W, Zb, (size_t)nw * sizeof(double));
            cpae__gemm(true, false, n, w, n, 1.0, G, n, T, w, 1.0, W, w);
        }
        memcpy(Zb, W, (size_t)nw * sizeof(double));
    }
    if (gB)
        unpack(Zb, n, p, h, gB);
done:
    free(wk);
    free(mq);
    return st;
}

/* ----------------------------------------------------- the orbit table */

/* count doubles from the table's pool (NULL when the size overflows). */
static double *pool_d(struct cpae__pool *p, int64_t count)
{
    if (count < 0 || (uint64_t)count > SIZE_MAX / sizeof(double) - 1)
        return NULL;
    return cpae__pool_alloc(p, (size_t)(count > 0 ? count : 1) * sizeof(double));
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
    cpae__pool_free(o->pool, o->S); /* S, qr, tau and the LAPACK work: one block */
    free(o);
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
    double *scratch = cpae__dalloc(n);
    if (!scratch)
        return cpae__nomem(func, n);
    const double x = t_max * norm1(G, n, scratch);
    if (!isfinite(x) || x > 1e12) {
        free(scratch);
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
    int32_t m = degree_for(side0 == 0 ? x : x / ((double)side0 + 0.5));
    double best = (2.0 * (double)side0 + 1.0) * m;
    for (int64_t sd = side0 + 1; 2.0 * (double)sd + 1.0 < best && sd < side0 + 64; sd++) {
        int32_t mm = degree_for(x / ((double)sd + 0.5));
        double cost = (2.0 * (double)sd + 1.0) * mm;
        if (cost < best) {
            best = cost;
            side = sd;
            m = mm;
        }
    }
    const double n_anchor = 2.0 * (double)side + 1.0;
    if (2.0 * n_anchor * (double)(m + 1) * (double)nh > (double)CPAE__ACTION_ORBIT_MAX) {
        free(scratch);
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
    cpae__action_orbit *o = calloc(1, sizeof *o);
    double *blk = o ? pool_d(pool, 2 * na * per + na * N + lwork) : NULL;
    free(scratch);
    if (!blk) {
        free(o);
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
        if (!all_finite(anchor_S(o, ai), per)) {
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
            pack(S, n, N - 1, h, Sp);
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
