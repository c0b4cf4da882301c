/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_internal_action.c -- the action of the matrix exponential
 * (src/lie/action.c): exp(t G) B by truncated Taylor with scaling against
 * the dense Pade expm and a long-double Taylor reference, its t-derivative
 * and reverse mode against the Frechet derivative and finite differences;
 * the orbit table of the exact Lie form (values, fits, reverse mode); the
 * theta solve on the table against the Pade solve; and the exact term with
 * a general generator against the old per-sample Pade path on a small
 * model. Linked against the library objects (internal API). Measured errors
 * are printed so they can be quoted (docs/math.md). */
#include "testutil.h"

#include "core/pool.h"
#include "lie/action.h"
#include "lie/lie.h"
#include "lie/pade.h"
#include "lie/theta.h"
#include "net/net.h"
#include "train/loss.h"

/* ------------------------------------------------------------- helpers */

static double *dnew(int64_t count)
{
    double *p = calloc((size_t)(count > 0 ? count : 1), sizeof(double));
    ck_assert_ptr_nonnull(p);
    return p;
}

static double rel_err(const double *x, const double *ref, int64_t count)
{
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < count; i++) {
        num += (x[i] - ref[i]) * (x[i] - ref[i]);
        den += ref[i] * ref[i];
    }
    return den > 0.0 ? sqrt(num / den) : sqrt(num);
}

static double norm1(const double *A, int64_t n)
{
    double m = 0.0;
    for (int64_t j = 0; j < n; j++) {
        double s = 0.0;
        for (int64_t i = 0; i < n; i++)
            s += fabs(A[i * n + j]);
        m = s > m ? s : m;
    }
    return m;
}

static void random_fill(double *x, int64_t count, uint64_t *s)
{
    for (int64_t i = 0; i < count; i++)
        x[i] = tu_uniform(s);
}

static void scale_to_norm1(double *G, int64_t n, double target)
{
    double f = target / norm1(G, n);
    for (int64_t i = 0; i < n * n; i++)
        G[i] *= f;
}

static void random_skew(double *G, int64_t n, uint64_t *s)
{
    for (int64_t i = 0; i < n; i++) {
        G[i * n + i] = 0.0;
        for (int64_t j = i + 1; j < n; j++) {
            double v = tu_uniform(s);
            G[i * n + j] = v;
            G[j * n + i] = -v;
        }
    }
}

/* C = A B (n x k times k x h), plain loops. */
static void matmul(const double *A, const double *B, double *C, int64_t n, int64_t k, int64_t h)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < h; j++) {
            double s = 0.0;
            for (int64_t l = 0; l < k; l++)
                s += A[i * k + l] * B[l * h + j];
            C[i * h + j] = s;
        }
}

/* Y = exp(t G) B by the dense Pade expm. */
static void pade_apply(const double *G, int64_t n, double t, const double *B, int64_t h,
                       double *Y)
{
    double *X = dnew(2 * n * n), *E = X + n * n;
    for (int64_t i = 0; i < n * n; i++)
        X[i] = t * G[i];
    CK_OK(cpae__expm(X, n, E, "test"));
    matmul(E, B, Y, n, n, h);
    free(X);
}

/* Y = exp(t G) B in long double: steps of ||t G / s||_1 <= 1/16, each the
 * Taylor series to 30 terms. */
static void ld_apply(const double *G, int64_t n, double t, const double *B, int64_t h,
                     double *Y)
{
    double x = fabs(t) * norm1(G, n);
    int64_t s = 1;
    while (x / (double)s > 0.0625)
        s *= 2;
    long double *Z = malloc((size_t)(3 * n * h) * sizeof(long double)), *V = Z + n * h,
                *W = V + n * h;
    ck_assert_ptr_nonnull(Z);
    for (int64_t i = 0; i < n * h; i++)
        Z[i] = B[i];
    long double tau = (long double)t / (long double)s;
    for (int64_t q = 0; q < s; q++) {
        memcpy(V, Z, (size_t)(n * h) * sizeof(long double));
        for (int j = 1; j <= 30; j++) {
            for (int64_t r = 0; r < n; r++)
                for (int64_t c = 0; c < h; c++) {
                    long double acc = 0.0L;
                    for (int64_t l = 0; l < n; l++)
                        acc += (long double)G[r * n + l] * V[l * h + c];
                    W[r * h + c] = acc * tau / j;
                }
            memcpy(V, W, (size_t)(n * h) * sizeof(long double));
            for (int64_t i = 0; i < n * h; i++)
                Z[i] += V[i];
        }
    }
    for (int64_t i = 0; i < n * h; i++)
        Y[i] = (double)Z[i];
    free(Z);
}

/* gG_ref = sum_i t_i L(t_i G^T, R_i B_i^T) by the Pade block method. */
static void frechet_ref(const double *G, int64_t n, const double *B, int64_t p, int64_t h,
                        const double *t, const double *R, double *gG)
{
    double *X = dnew(3 * n * n), *E = X + n * n, *L = E + n * n;
    memset(gG, 0, (size_t)(n * n) * sizeof(double));
    for (int64_t i = 0; i < p; i++) {
        if (t[i] == 0.0)
            continue;
        for (int64_t a = 0; a < n; a++)
            for (int64_t b = 0; b < n; b++) {
                X[a * n + b] = t[i] * G[b * n + a];
                double s = 0.0;
                for (int64_t l = 0; l < h; l++)
                    s += R[i * n * h + a * h + l] * B[i * n * h + b * h + l];
                E[a * n + b] = s;
            }
        CK_OK(cpae__expm_frechet(X, E, n, NULL, L, "test"));
        for (int64_t e = 0; e < n * n; e++)
            gG[e] += t[i] * L[e];
    }
    free(X);
}

/* Generators of the accuracy cases. */
enum { GEN_RANDOM, GEN_SKEW, GEN_NILPOTENT, GEN_ZERO };

static void make_g(int kind, double *G, int64_t n, double nrm, uint64_t *s)
{
    memset(G, 0, (size_t)(n * n) * sizeof(double));
    if (kind == GEN_RANDOM)
        random_fill(G, n * n, s);
    else if (kind == GEN_SKEW)
        random_skew(G, n, s);
    else if (kind == GEN_NILPOTENT)
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = i + 1; j < n; j++)
                G[i * n + j] = tu_uniform(s);
    if (kind != GEN_ZERO)
        scale_to_norm1(G, n, nrm);
}

/* ------------------------------------------------------------- tests */

START_TEST(test_params)
{
    int32_t m;
    int64_t s;
    cpae__action_params(0.0, &m, &s);
    ck_assert_int_eq(m, 0);
    ck_assert_int_eq(s, 1);
    /* within theta_m: one step; the chosen m*s is minimal over the table */
    const double xs[] = {1e-20, 1e-3, 0.5, 2.4, 9.9, 10.0, 50.0, 1e4};
    for (size_t k = 0; k < sizeof xs / sizeof *xs; k++) {
        cpae__action_params(xs[k], &m, &s);
        double th = cpae__action_theta(m);
        ck_assert(th > 0.0);
        ck_assert(xs[k] / (double)s <= th);
        for (int32_t mm = 1; mm <= CPAE__ACTION_MMAX; mm++) {
            double t2 = cpae__action_theta(mm);
            if (t2 > 0.0)
                ck_assert((double)m * (double)s <= (double)mm * ceil(xs[k] / t2));
        }
    }
    cpae__action_params(2.4, &m, &s);
    ck_assert_int_eq(m, 25);
    ck_assert_int_eq(s, 1);
    double prev = 0.0;
    for (int32_t mm = 1; mm <= CPAE__ACTION_MMAX; mm++)
        if (cpae__action_theta(mm) > 0.0) {
            ck_assert(cpae__action_theta(mm) > prev);
            prev = cpae__action_theta(mm);
        }
}
END_TEST

/* exp(t G) B for p blocks side by side against the Pade expm and the
 * long-double series: random, skew, nilpotent and zero generators, norms
 * ||t G||_1 from 1e-10 to 50, t = 0 among the blocks. */
START_TEST(test_action_accuracy)
{
    const int64_t n = 14, h = 3, p = 5;
    const double norms[] = {1e-10, 0.3, 2.0, 8.0, 50.0};
    const char *names[] = {"random", "skew", "nilpotent", "zero"};
    uint64_t s = 42;
    double *G = dnew(n * n), *B = dnew(p * n * h), *Y = dnew(p * n * h), *dY = dnew(p * n * h),
           *Yp = dnew(n * h), *Yl = dnew(n * h), *GY = dnew(n * h);
    double worst_p = 0.0, worst_l = 0.0, worst_d = 0.0;
    for (int kind = GEN_RANDOM; kind <= GEN_ZERO; kind++)
        for (size_t k = 0; k < sizeof norms / sizeof *norms; k++) {
            make_g(kind, G, n, 1.0, &s);
            random_fill(B, p * n * h, &s);
            /* block i: t_i = c_i norm, with t_0 = 0 */
            const double c[] = {0.0, 1.0, -1.0, 0.37, -0.81};
            double t[5];
            for (int64_t i = 0; i < p; i++)
                t[i] = c[i] * norms[k];
            CK_OK(cpae__expm_action(G, n, B, p, h, t, Y, dY, "test"));
            double cp = 0.0, cl = 0.0;
            for (int64_t i = 0; i < p; i++) {
                const double *Bi = B + i * n * h, *Yi = Y + i * n * h;
                pade_apply(G, n, t[i], Bi, h, Yp);
                ld_apply(G, n, t[i], Bi, h, Yl);
                double ep = rel_err(Yi, Yp, n * h), el = rel_err(Yi, Yl, n * h);
                matmul(G, Yi, GY, n, n, h);
                double ed = rel_err(dY + i * n * h, GY, n * h);
                if (t[i] == 0.0)
                    ck_assert(memcmp(Yi, Bi, (size_t)(n * h) * sizeof(double)) == 0);
                ck_assert_msg(ep < 1e-12 && el < 1e-12,
                              "%s G, ||tG||_1 = %g: vs Pade %.3g, vs long double %.3g",
                              names[kind], fabs(t[i]), ep, el);
                ck_assert_msg(ed < 1e-14, "dY %.3g", ed);
                cp = fmax(cp, ep);
                cl = fmax(cl, el);
                worst_d = fmax(worst_d, ed);
            }
            worst_p = fmax(worst_p, cp);
            worst_l = fmax(worst_l, cl);
            printf("action %-9s ||tG||_1 <= %-6g vs Pade %.2e, vs long double %.2e\n",
                   names[kind], norms[k], cp, cl);
        }
    printf("action: worst relative error vs Pade %.2e, vs long double %.2e, dY vs G Y %.2e\n",
           worst_p, worst_l, worst_d);
    CK_OK(cpae__expm_action(G, n, B, 0, h, norms, Y, NULL, "test")); /* p = 0: nothing */
    free(G);
    free(B);
    free(Y);
    free(dY);
    free(Yp);
    free(Yl);
    free(GY);
}
END_TEST

/* Reverse mode: gB against exp(t G)^T Rbar (Pade), gG against the Frechet
 * reference sum_i t_i L(t_i G^T, Rbar_i B_i^T) and against central
 * differences of phi(G) = sum_i <Rbar_i, exp(t_i G) B_i>, gt against
 * differences in t. */
START_TEST(test_action_adjoint)
{
    const int64_t n = 9, h = 2, p = 3, nn = n * n, len = n * h;
    uint64_t s = 7;
    double *G = dnew(nn), *B = dnew(p * len), *R = dnew(p * len), *gG = dnew(nn),
           *gGr = dnew(nn), *gB = dnew(p * len), *Yp = dnew(len), *Gt = dnew(nn),
           *Y = dnew(p * len);
    const double norms[] = {0.5, 6.0, 30.0};
    double worst_fr = 0, worst_fd = 0, worst_b = 0, worst_t = 0;
    for (int kind = GEN_RANDOM; kind <= GEN_ZERO; kind++)
        for (size_t k = 0; k < sizeof norms / sizeof *norms; k++) {
            make_g(kind, G, n, 1.0, &s);
            random_fill(B, p * len, &s);
            random_fill(R, p * len, &s);
            double t[3] = {norms[k], -0.6 * norms[k], 0.0}, gt[3];
            memset(gG, 0, (size_t)nn * sizeof(double));
            CK_OK(cpae__expm_action_adjoint(G, n, B, p, h, t, R, gG, gB, gt, "test"));
            frechet_ref(G, n, B, p, h, t, R, gGr);
            double efr = rel_err(gG, gGr, nn);
            worst_fr = fmax(worst_fr, efr);
            /* gB_i = exp(t_i G^T) Rbar_i */
            for (int64_t a = 0; a < n; a++)
                for (int64_t b = 0; b < n; b++)
                    Gt[a * n + b] = G[b * n + a];
            for (int64_t i = 0; i < p; i++) {
                pade_apply(Gt, n, t[i], R + i * len, h, Yp);
                worst_b = fmax(worst_b, rel_err(gB + i * len, Yp, len));
            }
            /* finite differences of phi in G (entries) and in t */
            double scale = norm1(G, n), hstep = 1e-6 * (scale > 0 ? scale : 1.0);
            double fd_num = 0, fd_den = 0;
            for (int64_t e = 0; e < nn; e += 5) {
                double keep = G[e], ph[2];
                for (int sg = 0; sg < 2; sg++) {
                    G[e] = keep + (sg ? -hstep : hstep);
                    CK_OK(cpae__expm_action(G, n, B, p, h, t, Y, NULL, "test"));
                    ph[sg] = 0;
                    for (int64_t q = 0; q < p * len; q++)
                        ph[sg] += R[q] * Y[q];
                }
                G[e] = keep;
                double fd = (ph[0] - ph[1]) / (2 * hstep);
                fd_num += (fd - gG[e]) * (fd - gG[e]);
                fd_den += fd * fd;
            }
            double efd = sqrt(fd_num / fd_den);
            worst_fd = fmax(worst_fd, efd);
            for (int64_t i = 0; i < p; i++) {
                double ht = 1e-6 * fmax(1.0, fabs(t[i])), ph[2];
                for (int sg = 0; sg < 2; sg++) {
                    double tt = t[i] + (sg ? -ht : ht);
                    CK_OK(cpae__expm_action(G, n, B + i * len, 1, h, &tt, Y, NULL, "test"));
                    ph[sg] = 0;
                    for (int64_t q = 0; q < len; q++)
                        ph[sg] += R[i * len + q] * Y[q];
                }
                double fd = (ph[0] - ph[1]) / (2 * ht);
                worst_t = fmax(worst_t, fabs(fd - gt[i]) / fmax(1e-3, fabs(fd)));
            }
            ck_assert_msg(efr < 1e-11 && efd < 1e-6,
                          "kind %d ||tG|| %g: gG vs Frechet %.3g, vs differences %.3g", kind,
                          norms[k], efr, efd);
        }
    ck_assert_msg(worst_b < 1e-12, "gB vs exp(tG)^T Rbar %.3g", worst_b);
    ck_assert_msg(worst_t < 1e-6, "gt vs differences %.3g", worst_t);
    printf("action adjoint: gG vs Frechet (Pade block) %.2e, vs differences %.2e; "
           "gB vs exp(tG)^T R %.2e; gt vs differences %.2e\n",
           worst_fr, worst_fd, worst_b, worst_t);
    /* accumulation: gG is added to, not overwritten */
    double t1 = 0.7;
    memset(gG, 0, (size_t)nn * sizeof(double));
    CK_OK(cpae__expm_action_adjoint(G, n, B, 1, h, &t1, R, gG, NULL, NULL, "test"));
    memcpy(gGr, gG, (size_t)nn * sizeof(double));
    CK_OK(cpae__expm_action_adjoint(G, n, B, 1, h, &t1, R, gG, NULL, NULL, "test"));
    for (int64_t e = 0; e < nn; e++)
        ck_assert(fabs(gG[e] - 2 * gGr[e]) <= 1e-14 * fabs(gGr[e]) + 1e-300);
    free(G);
    free(B);
    free(R);
    free(gG);
    free(gGr);
    free(gB);
    free(Yp);
    free(Gt);
    free(Y);
}
END_TEST

/* The orbit table: values and t-derivatives at many t (anchors, cell
 * boundaries, the ends) against the Pade expm, for one anchor and for
 * several; fits against direct sums; the reverse mode against the Frechet
 * reference. */
START_TEST(test_orbit)
{
    const int64_t n = 10, h = 3, len = n * h, nt = 41;
    /* generator kind, t_max ||G||_1 */
    const struct {
        int kind;
        double x;
    } cases[] = {{GEN_RANDOM, 1e-9}, {GEN_RANDOM, 2.4}, {GEN_RANDOM, 9.0},
                 {GEN_RANDOM, 30.0}, {GEN_SKEW, 120.0}, {GEN_NILPOTENT, 40.0},
                 {GEN_ZERO, 0.0}};
    uint64_t s = 99;
    double *G = dnew(n * n), *A0 = dnew(len), *Y = dnew(nt * len), *dY = dnew(nt * len),
           *Yp = dnew(len), *GY = dnew(len), *A = dnew(nt * len), *R = dnew(nt * len),
           *gG = dnew(n * n), *gGr = dnew(n * n), *gA = dnew(len), *gAr = dnew(len),
           *Gt = dnew(n * n), *tmp = dnew(len);
    double worst_y = 0, worst_d = 0, worst_f = 0, worst_g = 0, worst_a = 0;
    cpae__pool pool = {{0}, 0}; /* odd cases: the table and its scratch from a pool */
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        make_g(cases[c].kind, G, n, 1.0, &s);
        random_fill(A0, len, &s);
        const double t_max = cases[c].kind == GEN_ZERO ? 3.0 : cases[c].x;
        cpae__action_orbit *o = NULL;
        CK_OK(cpae__action_orbit_create(G, n, A0, h, t_max, (c & 1) ? &pool : NULL, &o, "test"));
        double t[41];
        for (int64_t k = 0; k < nt; k++)
            t[k] = -t_max + 2.0 * t_max * (double)k / (double)(nt - 1);
        t[nt - 1] = t_max;
        if (o->side > 0) { /* cell boundaries and anchors */
            t[3] = 0.5 * o->spacing;
            t[4] = -0.5 * o->spacing;
            t[5] = o->spacing;
            t[6] = -(double)o->side * o->spacing;
        }
        CK_OK(cpae__action_orbit_apply(o, nt, t, Y, dY, "test"));
        double ey = 0, ed = 0;
        for (int64_t k = 0; k < nt; k++) {
            pade_apply(G, n, t[k], A0, h, Yp);
            ey = fmax(ey, rel_err(Y + k * len, Yp, len));
            matmul(G, Yp, GY, n, n, h);
            double nd = 0;
            for (int64_t e = 0; e < len; e++)
                nd += GY[e] * GY[e];
            if (nd > 0)
                ed = fmax(ed, rel_err(dY + k * len, GY, len));
        }
        printf("orbit %-2zu t_max ||G||_1 = %-7g: %lld anchor(s), degree %d: exp(tG) A0 vs "
               "Pade %.2e, derivative %.2e\n",
               c, cases[c].x, (long long)(2 * o->side + 1), (int)o->m, ey, ed);
        ck_assert_msg(ey < 1e-12 && ed < 1e-12, "case %zu: values %.3g, derivatives %.3g", c,
                      ey, ed);
        worst_y = fmax(worst_y, ey);
        worst_d = fmax(worst_d, ed);
        /* fits: targets A_k near the orbit; f, g, jj against direct sums */
        for (int64_t k = 0; k < nt; k++)
            for (int64_t e = 0; e < len; e++)
                A[k * len + e] = Y[((k * 7) % nt) * len + e] + 0.01 * tu_uniform(&s);
        double *coords = dnew(nt * o->ncoords);
        CK_OK(cpae__action_orbit_coords(o, A, nt, coords, "test"));
        for (int64_t k = 0; k < nt; k++) {
            double f, g, jj, fr = 0, gr = 0, jr = 0;
            cpae__action_orbit_fit(o, coords + k * o->ncoords, t[k], &f, &g, &jj);
            for (int64_t e = 0; e < len; e++) {
                double r = Y[k * len + e] - A[k * len + e];
                fr += r * r;
                gr += dY[k * len + e] * r;
                jr += dY[k * len + e] * dY[k * len + e];
            }
            double ef = fabs(f - fr) / fr, eg = fabs(g - gr) / sqrt(fr * jr + 1e-300),
                   ej = jr > 0 ? fabs(jj - jr) / jr : fabs(jj);
            worst_f = fmax(worst_f, fmax(ef, fmax(eg, ej)));
            ck_assert_msg(ef < 1e-10 && eg < 1e-10 && ej < 1e-10,
                          "case %zu t %g: f %.3g g %.3g jj %.3g", c, t[k], ef, eg, ej);
        }
        free(coords);
        /* reverse mode at the nt values against the Frechet reference */
        random_fill(R, nt * len, &s);
        memset(gG, 0, (size_t)(n * n) * sizeof(double));
        memset(gA, 0, (size_t)len * sizeof(double));
        CK_OK(cpae__action_orbit_adjoint(o, nt, t, R, gG, gA, "test"));
        double *Bs = dnew(nt * len);
        for (int64_t k = 0; k < nt; k++)
            memcpy(Bs + k * len, A0, (size_t)len * sizeof(double));
        frechet_ref(G, n, Bs, nt, h, t, R, gGr);
        free(Bs);
        for (int64_t a = 0; a < n; a++)
            for (int64_t b = 0; b < n; b++)
                Gt[a * n + b] = G[b * n + a];
        memset(gAr, 0, (size_t)len * sizeof(double));
        for (int64_t k = 0; k < nt; k++) {
            pade_apply(Gt, n, t[k], R + k * len, h, tmp);
            for (int64_t e = 0; e < len; e++)
                gAr[e] += tmp[e];
        }
        double eg = rel_err(gG, gGr, n * n), ea = rel_err(gA, gAr, len);
        printf("orbit %-2zu reverse mode: dG vs Frechet (Pade block) %.2e, dA0 vs "
               "sum exp(tG)^T R %.2e\n",
               c, eg, ea);
        ck_assert_msg(eg < 1e-11 && ea < 1e-12, "case %zu: gG %.3g gA0 %.3g", c, eg, ea);
        worst_g = fmax(worst_g, eg);
        worst_a = fmax(worst_a, ea);
        cpae__action_orbit_destroy(o);
    }
    printf("orbit: worst exp(tG) A0 %.2e, derivative %.2e, fit %.2e, dG %.2e, dA0 %.2e\n",
           worst_y, worst_d, worst_f, worst_g, worst_a);
    ck_assert_int_gt(pool.n, 0); /* blocks came back to the pool */
    cpae__pool_clear(&pool);
    free(G);
    free(A0);
    free(Y);
    free(dY);
    free(Yp);
    free(GY);
    free(A);
    free(R);
    free(gG);
    free(gGr);
    free(gA);
    free(gAr);
    free(Gt);
    free(tmp);
}
END_TEST

/* The orbit's reverse mode is the exact derivative of its forward values:
 * central differences of phi(G) = sum_i <R_i, table(G)(t_i)> in G. */
START_TEST(test_orbit_adjoint_fd)
{
    const int64_t n = 7, h = 2, len = n * h, m = 6;
    uint64_t s = 5;
    double *G = dnew(n * n), *A0 = dnew(len), *R = dnew(m * len), *Y = dnew(m * len),
           *gG = dnew(n * n), *gA = dnew(len);
    /* the third case uses only the inner anchors (the outer ones skipped) */
    const double xs[] = {1.5, 25.0, 60.0};
    for (size_t c = 0; c < 3; c++) {
        make_g(GEN_RANDOM, G, n, 1.0, &s);
        random_fill(A0, len, &s);
        random_fill(R, m * len, &s);
        const double t_max = xs[c], sc = c == 2 ? 0.2 : 1.0;
        double t[6] = {0.9 * t_max * sc, -0.35 * t_max * sc, 0.0, 0.1 * t_max * sc,
                       -t_max * sc, 0.55 * t_max * sc};
        cpae__action_orbit *o = NULL;
        CK_OK(cpae__action_orbit_create(G, n, A0, h, t_max, NULL, &o, "test"));
        memset(gG, 0, (size_t)(n * n) * sizeof(double));
        memset(gA, 0, (size_t)len * sizeof(double));
        CK_OK(cpae__action_orbit_adjoint(o, m, t, R, gG, gA, "test"));
        cpae__action_orbit_destroy(o);
        double num = 0, den = 0, hs = 1e-6;
        for (int64_t e = 0; e < n * n; e++) {
            double keep = G[e], ph[2];
            for (int sg = 0; sg < 2; sg++) {
                G[e] = keep + (sg ? -hs : hs);
                CK_OK(cpae__action_orbit_create(G, n, A0, h, t_max, NULL, &o, "test"));
                CK_OK(cpae__action_orbit_apply(o, m, t, Y, NULL, "test"));
                cpae__action_orbit_destroy(o);
                ph[sg] = 0;
                for (int64_t q = 0; q < m * len; q++)
                    ph[sg] += R[q] * Y[q];
            }
            G[e] = keep;
            double fd = (ph[0] - ph[1]) / (2 * hs);
            num += (fd - gG[e]) * (fd - gG[e]);
            den += fd * fd;
        }
        printf("orbit reverse mode vs differences (t_max ||G||_1 = %g): %.2e\n", xs[c],
               sqrt(num / den));
        ck_assert(sqrt(num / den) < 1e-6);
    }
    free(G);
    free(A0);
    free(R);
    free(Y);
    free(gG);
    free(gA);
}
END_TEST

/* The theta solve on the table against the Pade solve (the old path), on
 * targets exp(theta* G) A0 + noise, with theta* inside and at the range. */
START_TEST(test_theta_orbit_vs_pade)
{
    const int64_t n = 12, h = 3, len = n * h, m = 9;
    uint64_t s = 2024;
    double *G = dnew(n * n), *A0 = dnew(len), *A = dnew(m * len);
    double worst_t = 0, worst_f = 0;
    for (int kind = GEN_RANDOM; kind <= GEN_SKEW; kind++)
        for (int rep = 0; rep < 2; rep++) {
            make_g(kind, G, n, rep ? 3.0 : 0.7, &s);
            random_fill(A0, len, &s);
            const double theta_max = 4.0;
            for (int64_t i = 0; i < m; i++) {
                double ts = theta_max * (-1.0 + 2.0 * (double)i / (double)(m - 1)) * 0.93;
                pade_apply(G, n, ts, A0, h, A + i * len);
                for (int64_t e = 0; e < len; e++)
                    A[i * len + e] += (i % 3) * 0.02 * tu_uniform(&s);
            }
            cpae__action_orbit *o = NULL;
            CK_OK(cpae__action_orbit_create(G, n, A0, h, theta_max, NULL, &o, "test"));
            double th[9], fv[9];
            CK_OK(cpae__theta_exact_orbit(o, A, m, 65, th, fv, "test"));
            cpae__action_orbit_destroy(o);
            for (int64_t i = 0; i < m; i++) {
                double tp, fp, tg, fg;
                CK_OK(cpae__theta_exact_pade(G, n, A0, A + i * len, h, theta_max, 65, &tp, &fp,
                                             "test"));
                CK_OK(cpae__theta_exact(G, NULL, n, A0, A + i * len, h, theta_max, 65, &tg, &fg,
                                        "test"));
                /* one target alone = the batched solve (to the rounding of dormqr) */
                ck_assert(fabs(tg - th[i]) <= 1e-12 * fmax(1.0, fabs(tg)) &&
                          fabs(fg - fv[i]) <= 1e-12 * fabs(fg) + 1e-20);
                double et = fabs(th[i] - tp) / fmax(1.0, fabs(tp)),
                       ef = fabs(fv[i] - fp) / fmax(fp, 1e-300);
                worst_t = fmax(worst_t, et);
                if (fp > 1e-20)
                    worst_f = fmax(worst_f, ef);
                ck_assert_msg(et < 1e-9 && (fp <= 1e-20 || ef < 1e-9),
                              "kind %d rep %d target %lld: theta %.17g vs %.17g, f %.6g vs %.6g",
                              kind, rep, (long long)i, th[i], tp, fv[i], fp);
            }
        }
    printf("theta on the table vs the Pade solve: theta %.2e, f %.2e (relative)\n", worst_t,
           worst_f);
    free(G);
    free(A0);
    free(A);
}
END_TEST

/* The exact term with one general generator (action path) against the old
 * per-sample Pade path, rebuilt here from the unchanged kernels: the term's
 * value and its generator gradient on a small model. */
START_TEST(test_exact_term_vs_pade)
{
    const int64_t widths[] = {6, 9, 3};
    const int64_t d = 6, h = 3, mb = 5, len = d * h;
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(widths, 3, CPAE_ACT_LEAKY_RELU, 77, &m));
    uint64_t s = 31337;
    for (int64_t e = 0; e < m->n_params; e++)
        m->params[e] += 0.1 * tu_uniform(&s);
    struct cpae_lie *lie = NULL;
    CK_OK(cpae__lie_alloc(d, 1, CPAE_LIE_GENERAL, &lie, "test"));
    random_fill(lie->g, d * d, &s);
    double x[5 * 6], xa[6];
    random_fill(x, mb * d, &s);
    random_fill(xa, d, &s);
    cpae__loss_cfg cfg = {0};
    cfg.v[CPAE_P_W_LIE_EXACT] = 1.0;
    cfg.v[CPAE_P_LIE_THETA_GRID] = 81;
    cfg.theta_max = 4.0;
    cpae__batch b = {x, mb, NULL, xa, NULL, NULL, false, NULL, 0, 0}; /* double */
    cpae_rng rng;
    cpae__rng_seed(&rng, 1);
    double terms[CPAE__N_TERMS];
    int64_t ng = m->n_params + d * d;
    double *grad = dnew(ng);
    CK_OK(cpae__loss_eval(m, lie, &cfg, &b, &rng, terms, grad, "test"));

    /* the old path from the kernels: decoder maps, theta by the Pade solve,
     * R_i = exp(theta_i G) A0 - A_i, dG = (2/m) sum theta_i L(theta_i G^T, R_i A0^T) */
    cpae_chain enc, dec;
    CK_OK(cpae__chain(m, CPAE_ENCODER, &enc, "test"));
    CK_OK(cpae__chain(m, CPAE_DECODER, &dec, "test"));
    double z[3], *A = dnew((mb + 1) * len), *R = dnew(len), *gG = dnew(d * d);
    for (int64_t i = 0; i <= mb; i++) {
        CK_OK(cpae__chain_forward(&enc, i < mb ? x + i * d : xa, 1, z, NULL, 0, "test"));
        CK_OK(cpae__chain_frozen(&dec, z, NULL, NULL, A + i * len, NULL, NULL, "test"));
    }
    const double *A0 = A + mb * len;
    double total = 0.0;
    for (int64_t i = 0; i < mb; i++) {
        double th, f;
        CK_OK(cpae__theta_exact_pade(lie->g, d, A0, A + i * len, h, cfg.theta_max, 81, &th, &f,
                                     "test"));
        pade_apply(lie->g, d, th, A0, h, R);
        for (int64_t e = 0; e < len; e++) {
            R[e] -= A[i * len + e];
            total += R[e] * R[e];
        }
        double tt = th, *gi = dnew(d * d);
        frechet_ref(lie->g, d, A0, 1, h, &tt, R, gi);
        for (int64_t e = 0; e < d * d; e++)
            gG[e] += 2.0 / (double)mb * gi[e];
        free(gi);
    }
    total /= (double)mb;
    double ev = fabs(terms[CPAE__T_LIE_EXACT] - total) / total,
           eg = rel_err(grad + m->n_params, gG, d * d);
    printf("exact term, general G (action path) vs the old Pade path: value %.2e, "
           "generator gradient %.2e (relative)\n",
           ev, eg);
    ck_assert_msg(ev < 1e-10 && eg < 1e-10, "value %.3g (%.17g vs %.17g), gradient %.3g", ev,
                  terms[CPAE__T_LIE_EXACT], total, eg);
    free(grad);
    free(A);
    free(R);
    free(gG);
    free(lie);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_errors)
{
    const int64_t n = 4, h = 2;
    double G[16] = {0}, B[8] = {0}, Y[8], t = 1.0;
    G[1] = 1.0;
    CK_ERR(cpae__expm_action(NULL, n, B, 1, h, &t, Y, NULL, "test"), CPAE_E_NULL);
    CK_ERR(cpae__expm_action(G, 0, B, 1, h, &t, Y, NULL, "test"), CPAE_E_SIZE);
    CK_ERR(cpae__expm_action(G, n, B, -1, h, &t, Y, NULL, "test"), CPAE_E_SIZE);
    double bad = NAN;
    CK_ERR(cpae__expm_action(G, n, B, 1, h, &bad, Y, NULL, "test"), CPAE_E_NONFINITE);
    double huge = 1e300;
    CK_ERR(cpae__expm_action(G, n, B, 1, h, &huge, Y, NULL, "test"), CPAE_E_LIMIT);
    cpae__action_orbit *o = NULL;
    CK_ERR(cpae__action_orbit_create(G, n, B, h, 0.0, NULL, &o, "test"), CPAE_E_INVALID);
    CK_ERR(cpae__action_orbit_create(G, n, B, h, 1e9, NULL, &o, "test"), CPAE_E_LIMIT);
    CK_OK(cpae__action_orbit_create(G, n, B, h, 2.0, NULL, &o, "test"));
    double t3 = 2.5;
    CK_ERR(cpae__action_orbit_apply(o, 1, &t3, Y, NULL, "test"), CPAE_E_INVALID);
    CK_ERR(cpae__action_orbit_adjoint(o, 1, &t3, B, G, NULL, "test"), CPAE_E_INVALID);
    CK_ERR(cpae__theta_exact_orbit(o, B, 1, 1, NULL, NULL, "test"), CPAE_E_INVALID);
    cpae__action_orbit_destroy(o);
    cpae__action_orbit_destroy(NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("action");
    TCase *tc = tcase_create("action");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_params);
    tcase_add_test(tc, test_action_accuracy);
    tcase_add_test(tc, test_action_adjoint);
    tcase_add_test(tc, test_orbit);
    tcase_add_test(tc, test_orbit_adjoint_fd);
    tcase_add_test(tc, test_theta_orbit_vs_pade);
    tcase_add_test(tc, test_exact_term_vs_pade);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
