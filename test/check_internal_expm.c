/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_internal_expm.c -- matrix exponential, Frechet derivative, skew fast
 * path, theta solvers, orbits and the shift generator (src/lie/pade.c,
 * skew.c, theta.c, orbit.c). Linked directly against the library objects:
 * these functions are internal. Measured errors are printed so they can be
 * quoted. */
#include "testutil.h"

#include "lie/orbit.h"
#include "lie/pade.h"
#include "lie/skew.h"
#include "lie/theta.h"
#include "net/net.h"

#include <time.h>

static const double PI = 3.14159265358979323846;

/* ------------------------------------------------------------- helpers */

static double *dnew(int64_t count)
{
    double *p = calloc((size_t)count, sizeof(double));
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
        if (s > m)
            m = s;
    }
    return m;
}

static void matmul(const double *A, const double *B, double *C, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0.0;
            for (int64_t k = 0; k < n; k++)
                s += A[i * n + k] * B[k * n + j];
            C[i * n + j] = s;
        }
}

static void random_fill(double *x, int64_t count, uint64_t *s)
{
    for (int64_t i = 0; i < count; i++)
        x[i] = tu_uniform(s);
}

static void scale_to_norm1(double *A, int64_t n, double target)
{
    double f = target / norm1(A, n);
    for (int64_t i = 0; i < n * n; i++)
        A[i] *= f;
}

/* Random skew-symmetric S - S^T (exactly skew). */
static void random_skew(double *G, int64_t n, uint64_t *s)
{
    for (int64_t i = 0; i < n; i++) {
        G[i * n + i] = 0.0;
        for (int64_t j = i + 1; j < n; j++) {
            double v = tu_uniform(s) - tu_uniform(s);
            G[i * n + j] = v;
            G[j * n + i] = -v;
        }
    }
}

/* Reference exp in long double: Taylor to convergence on X / 2^s with
 * ||X / 2^s||_1 <= 1/8, then s squarings. */
static void expm_ref(const double *X, int64_t n, double *E)
{
    long double *A = malloc((size_t)(4 * n * n) * sizeof(long double));
    ck_assert_ptr_nonnull(A);
    long double *T = A + n * n, *S = T + n * n, *W = S + n * n;
    int s = 0;
    double nrm = norm1(X, n);
    while (ldexp(nrm, -s) > 0.125)
        s++;
    for (int64_t i = 0; i < n * n; i++) {
        A[i] = ldexpl((long double)X[i], -s);
        T[i] = 0.0L;
    }
    for (int64_t i = 0; i < n; i++)
        T[i * n + i] = 1.0L;
    memcpy(S, T, (size_t)(n * n) * sizeof(long double));
    for (int k = 1; k <= 40; k++) { /* T <- T A / k, S += T */
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                long double acc = 0.0L;
                for (int64_t l = 0; l < n; l++)
                    acc += T[i * n + l] * A[l * n + j];
                W[i * n + j] = acc / k;
            }
        memcpy(T, W, (size_t)(n * n) * sizeof(long double));
        for (int64_t i = 0; i < n * n; i++)
            S[i] += T[i];
    }
    for (int q = 0; q < s; q++) {
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                long double acc = 0.0L;
                for (int64_t l = 0; l < n; l++)
                    acc += S[i * n + l] * S[l * n + j];
                W[i * n + j] = acc;
            }
        memcpy(S, W, (size_t)(n * n) * sizeof(long double));
    }
    for (int64_t i = 0; i < n * n; i++)
        E[i] = (double)S[i];
    free(A);
}

/* 1-norm targets, one inside each Pade degree interval (Higham 2005
 * thresholds 0.0150, 0.254, 0.950, 2.10, 5.37) and two with squarings. */
static const double targets[] = {0.01, 0.2, 0.9, 2.0, 5.0, 30.0, 200.0};
static const int32_t target_m[] = {3, 5, 7, 9, 13, 13, 13};
static const int32_t target_s[] = {0, 0, 0, 0, 0, 3, 6};
#define N_TARGETS 7

/* ------------------------------------------------------------- expm */

START_TEST(test_expm_params)
{
    for (int t = 0; t < N_TARGETS; t++) {
        int32_t m, s;
        cpae__expm_params(targets[t], &m, &s);
        ck_assert_int_eq(m, target_m[t]);
        ck_assert_int_eq(s, target_s[t]);
    }
    int32_t m, s;
    cpae__expm_params(0.0, &m, &s);
    ck_assert(m == 3 && s == 0);
    cpae__expm_params(5.371920351148152 * 2.0, &m, &s); /* exactly 2 theta13 */
    ck_assert(m == 13 && s == 1);
}
END_TEST

START_TEST(test_expm_rotation)
{
    const double thetas[] = {0.01, -0.2, 0.9, 2.0, -5.0, 12.0, 30.0, -31.4, 200.0};
    double worst = 0.0;
    for (size_t t = 0; t < sizeof thetas / sizeof *thetas; t++) {
        double th = thetas[t];
        double X[4] = {0.0, -th, th, 0.0}, E[4];
        double R[4] = {cos(th), -sin(th), sin(th), cos(th)};
        CK_OK(cpae__expm(X, 2, E, "test"));
        double e = rel_err(E, R, 4);
        int32_t m, s;
        cpae__expm_params(fabs(th), &m, &s);
        printf("expm rotation theta=%6.2f (m=%2d s=%d): rel err %.2e\n", th, m, s, e);
        ck_assert_msg(e <= 1e-13, "theta %g: %g", th, e);
        if (e > worst)
            worst = e;
    }
    printf("expm rotation: worst %.2e\n", worst);
}
END_TEST

START_TEST(test_expm_zero)
{
    for (int64_t n = 1; n <= 9; n += 4) {
        double *X = dnew(n * n), *E = dnew(n * n);
        CK_OK(cpae__expm(X, n, E, "test"));
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++)
                ck_assert(E[i * n + j] == (i == j ? 1.0 : 0.0)); /* exact */
        free(X);
        free(E);
    }
}
END_TEST

START_TEST(test_expm_diagonal)
{
    const double pattern[5] = {1.0, -0.5, 0.3, -1.0, 0.7};
    double worst = 0.0, worst_entry = 0.0;
    for (int t = 0; t < N_TARGETS; t++) {
        double X[25] = {0}, E[25], R[25] = {0};
        for (int i = 0; i < 5; i++) {
            X[i * 5 + i] = targets[t] * pattern[i];
            R[i * 5 + i] = exp(X[i * 5 + i]);
        }
        CK_OK(cpae__expm(X, 5, E, "test"));
        double e = rel_err(E, R, 25), ee = 0.0;
        for (int i = 0; i < 5; i++) {
            double r = fabs(E[i * 5 + i] - R[i * 5 + i]) / R[i * 5 + i];
            if (r > ee)
                ee = r;
        }
        printf("expm diagonal ||X||=%6.2f: rel err %.2e (entrywise %.2e)\n",
               targets[t], e, ee);
        ck_assert_msg(e <= 1e-13, "target %g: %g", targets[t], e);
        worst = fmax(worst, e);
        worst_entry = fmax(worst_entry, ee);
    }
    printf("expm diagonal: worst %.2e, entrywise %.2e\n", worst, worst_entry);
}
END_TEST

/* Strictly upper triangular N: exp(N) = sum_{k < n} N^k / k! exactly. */
START_TEST(test_expm_nilpotent)
{
    const int64_t n = 6;
    uint64_t seed = 77;
    double worst = 0.0;
    for (int t = 0; t < N_TARGETS; t++) {
        double N[36] = {0}, E[36], R[36] = {0}, P[36] = {0}, Q[36];
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = i + 1; j < n; j++)
                N[i * n + j] = tu_uniform(&seed);
        scale_to_norm1(N, n, targets[t]);
        for (int64_t i = 0; i < n; i++)
            P[i * n + i] = 1.0;
        /* finite Taylor sum in long double would be overkill: n - 1 terms,
         * each exact to rounding; accumulate in double then compare. */
        long double acc[36] = {0};
        for (int k = 0; k < n; k++) {
            double f = 1.0;
            for (int q = 2; q <= k; q++)
                f *= q;
            for (int64_t i = 0; i < n * n; i++)
                acc[i] += (long double)P[i] / f;
            matmul(P, N, Q, n);
            memcpy(P, Q, sizeof Q);
        }
        for (int64_t i = 0; i < n * n; i++)
            R[i] = (double)acc[i];
        CK_OK(cpae__expm(N, n, E, "test"));
        double e = rel_err(E, R, n * n);
        printf("expm nilpotent ||N||=%6.2f: rel err %.2e\n", targets[t], e);
        ck_assert_msg(e <= 1e-13, "target %g: %g", targets[t], e);
        worst = fmax(worst, e);
    }
    printf("expm nilpotent: worst %.2e\n", worst);
}
END_TEST

/* Random dense matrices against a long double Taylor reference. */
START_TEST(test_expm_taylor_ref)
{
    const int64_t n = 8;
    uint64_t seed = 1234;
    double worst = 0.0;
    for (int t = 0; t < N_TARGETS; t++) {
        for (int rep = 0; rep < 3; rep++) {
            double X[64], E[64], R[64];
            random_fill(X, n * n, &seed);
            scale_to_norm1(X, n, targets[t]);
            CK_OK(cpae__expm(X, n, E, "test"));
            expm_ref(X, n, R);
            double e = rel_err(E, R, n * n);
            if (rep == 0)
                printf("expm random 8x8 ||X||=%6.2f: rel err %.2e\n", targets[t], e);
            /* 200: exp of a random non-normal matrix loses cond * eps. */
            double tol = targets[t] > 100.0 ? 1e-12 : 1e-13;
            ck_assert_msg(e <= tol, "target %g rep %d: %g", targets[t], rep, e);
            if (targets[t] < 100.0)
                worst = fmax(worst, e);
        }
    }
    printf("expm random 8x8 (norm <= 30): worst %.2e\n", worst);
}
END_TEST

/* exp(A + B) = exp(A) exp(B) when AB = BA: (a) B a polynomial in a random
 * A (kept to ||A||_1 <= 5: beyond, B ~ A^2 makes exp(B) a huge,
 * ill-conditioned product); (b) A = Q D1 Q^T, B = Q D2 Q^T with Q orthogonal
 * and aligned diagonals D1, D2, up to ||A + B||_1 ~ 60 (squarings). */
START_TEST(test_expm_commuting)
{
    const int64_t n = 7;
    uint64_t seed = 99;
    double worst = 0.0;
    for (int t = 0; t < 5; t++) {
        double A[49], A2[49], B[49], S[49], EA[49], EB[49], P[49], ES[49];
        random_fill(A, n * n, &seed);
        scale_to_norm1(A, n, targets[t]);
        matmul(A, A, A2, n);
        for (int64_t i = 0; i < n * n; i++)
            B[i] = 0.3 * A2[i] - 0.7 * A[i];
        for (int64_t i = 0; i < n; i++)
            B[i * n + i] += 0.2;
        for (int64_t i = 0; i < n * n; i++)
            S[i] = A[i] + B[i];
        CK_OK(cpae__expm(A, n, EA, "test"));
        CK_OK(cpae__expm(B, n, EB, "test"));
        CK_OK(cpae__expm(S, n, ES, "test"));
        matmul(EA, EB, P, n);
        double e = rel_err(ES, P, n * n);
        printf("expm commuting (polynomial) ||A||=%5.2f ||A+B||=%6.2f: rel err %.2e\n",
               targets[t], norm1(S, n), e);
        ck_assert_msg(e <= 1e-13, "target %g: %g", targets[t], e);
        worst = fmax(worst, e);
    }
    const double scales[] = {0.5, 3.0, 10.0, 30.0};
    for (int t = 0; t < 4; t++) {
        double K[49], Q[49], A[49], B[49], S[49], EA[49], EB[49], P[49], ES[49];
        double d1[7], d2[7];
        random_skew(K, n, &seed);
        CK_OK(cpae__expm(K, n, Q, "test"));
        for (int64_t i = 0; i < n; i++) {
            d1[i] = scales[t] * tu_uniform(&seed);
            /* d2 ~ 0.6 d1: the dominant directions of A and B coincide,
             * otherwise exp(A) exp(B) itself loses e^(max d1 + max d2 -
             * max(d1 + d2)) digits and is no reference. */
            d2[i] = 0.6 * d1[i] + 0.1 * scales[t] * tu_uniform(&seed);
        }
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                double a = 0.0, b = 0.0;
                for (int64_t k = 0; k < n; k++) {
                    a += Q[i * n + k] * d1[k] * Q[j * n + k];
                    b += Q[i * n + k] * d2[k] * Q[j * n + k];
                }
                A[i * n + j] = a;
                B[i * n + j] = b;
            }
        for (int64_t i = 0; i < n * n; i++)
            S[i] = A[i] + B[i];
        CK_OK(cpae__expm(A, n, EA, "test"));
        CK_OK(cpae__expm(B, n, EB, "test"));
        CK_OK(cpae__expm(S, n, ES, "test"));
        matmul(EA, EB, P, n);
        double e = rel_err(ES, P, n * n);
        printf("expm commuting (shared basis) ||A+B||=%6.2f: rel err %.2e\n",
               norm1(S, n), e);
        ck_assert_msg(e <= 1e-13, "scale %g: %g", scales[t], e);
        worst = fmax(worst, e);
    }
    printf("expm commuting: worst %.2e\n", worst);
}
END_TEST

/* ----------------------------------------------------------- skew path */

START_TEST(test_skew_vs_pade)
{
    const int64_t sizes[] = {5, 16, 33};
    const double thetas[] = {0.05, 1.0, -3.7, 12.5, 40.0};
    double worst = 0.0, worst_orth = 0.0;
    uint64_t seed = 4242;
    for (int si = 0; si < 3; si++) {
        int64_t n = sizes[si];
        double *G = dnew(n * n), *X = dnew(n * n), *Ep = dnew(n * n),
               *Es = dnew(n * n), *EtE = dnew(n * n);
        random_skew(G, n, &seed);
        cpae__skew_eig *f = NULL;
        CK_OK(cpae__skew_eig_create(G, n, &f, "test"));
        ck_assert_int_eq(f->n, n);
        for (size_t t = 0; t < sizeof thetas / sizeof *thetas; t++) {
            for (int64_t i = 0; i < n * n; i++)
                X[i] = thetas[t] * G[i];
            CK_OK(cpae__expm(X, n, Ep, "test"));
            CK_OK(cpae__skew_expm(f, thetas[t], Es));
            double e = rel_err(Es, Ep, n * n);
            /* orthogonality of the fast path: ||E^T E - I||_F */
            double o = 0.0;
            for (int64_t i = 0; i < n; i++)
                for (int64_t j = 0; j < n; j++) {
                    double acc = 0.0;
                    for (int64_t k = 0; k < n; k++)
                        acc += Es[k * n + i] * Es[k * n + j];
                    acc -= (i == j);
                    o += acc * acc;
                }
            o = sqrt(o);
            printf("skew vs pade n=%2lld theta=%6.2f ||theta G||_1=%7.1f: "
                   "rel err %.2e, orth %.1e\n",
                   (long long)n, thetas[t], norm1(X, n), e, o);
            ck_assert_msg(e <= 1e-8, "n %lld theta %g: %g", (long long)n, thetas[t], e);
            worst = fmax(worst, e);
            worst_orth = fmax(worst_orth, o);
        }
        cpae__skew_eig_destroy(f);
        free(G);
        free(X);
        free(Ep);
        free(Es);
        free(EtE);
    }
    printf("skew vs pade: worst rel err %.2e, worst orth %.2e\n", worst, worst_orth);
}
END_TEST

/* skew_apply agrees with skew_expm times B. */
START_TEST(test_skew_apply)
{
    const int64_t n = 12, h = 3;
    uint64_t seed = 8;
    double G[144], B[36], E[144], out[36], ref[36];
    random_skew(G, n, &seed);
    random_fill(B, n * h, &seed);
    cpae__skew_eig *f = NULL;
    CK_OK(cpae__skew_eig_create(G, n, &f, "test"));
    CK_OK(cpae__skew_expm(f, 2.5, E));
    CK_OK(cpae__skew_apply(f, 2.5, B, h, out, "test"));
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < h; k++) {
            double s = 0.0;
            for (int64_t j = 0; j < n; j++)
                s += E[i * n + j] * B[j * h + k];
            ref[i * h + k] = s;
        }
    double e = rel_err(out, ref, n * h);
    printf("skew apply vs skew expm: rel err %.2e\n", e);
    ck_assert(e <= 1e-13);
    cpae__skew_eig_destroy(f);
}
END_TEST

/* The batched forms agree with per-block cpae__skew_apply: shared and
 * separate blocks, more blocks than one chunk of CPAE__SKEW_COLS columns,
 * and the weighted sum. */
START_TEST(test_skew_apply_many)
{
    const int64_t n = 11, h = 5, m = CPAE__SKEW_COLS / 5 + 7, nh = n * h;
    uint64_t seed = 21;
    double G[121], *B = dnew(m * nh), *out = dnew(m * nh), *ref = dnew(nh), *sum = dnew(nh),
           *sref = dnew(nh), th[CPAE__SKEW_COLS / 5 + 7], co[CPAE__SKEW_COLS / 5 + 7];
    random_skew(G, n, &seed);
    random_fill(B, m * nh, &seed);
    for (int64_t i = 0; i < m; i++) {
        th[i] = 6.0 * tu_uniform(&seed);
        co[i] = tu_uniform(&seed);
    }
    cpae__skew_eig *f = NULL;
    CK_OK(cpae__skew_eig_create(G, n, &f, "test"));
    double worst = 0.0;
    for (int shared = 0; shared < 2; shared++) {
        CK_OK(cpae__skew_apply_many(f, m, th, B, shared, h, out, "test"));
        for (int64_t i = 0; i < m; i++) {
            CK_OK(cpae__skew_apply(f, th[i], B + (shared ? 0 : i * nh), h, ref, "test"));
            worst = fmax(worst, rel_err(out + i * nh, ref, nh));
        }
    }
    CK_OK(cpae__skew_apply_sum(f, m, th, co, B, h, sum, "test"));
    for (int64_t i = 0; i < m; i++) {
        CK_OK(cpae__skew_apply(f, th[i], B + i * nh, h, ref, "test"));
        for (int64_t e = 0; e < nh; e++)
            sref[e] += co[i] * ref[e];
    }
    double es = rel_err(sum, sref, nh);
    printf("skew apply, batched vs per block: %.2e, weighted sum %.2e\n", worst, es);
    ck_assert(worst <= 1e-14 && es <= 1e-13);
    CK_OK(cpae__skew_apply_many(f, 0, th, B, false, h, out, "test"));
    CK_OK(cpae__skew_apply_sum(f, 0, th, co, B, h, sum, "test"));
    for (int64_t e = 0; e < nh; e++)
        ck_assert(sum[e] == 0.0);
    CK_ERR(cpae__skew_apply_many(f, -1, th, B, false, h, out, "test"), CPAE_E_SIZE);
    th[3] = NAN;
    CK_ERR(cpae__skew_apply_many(f, m, th, B, true, h, out, "test"), CPAE_E_NONFINITE);
    cpae__skew_eig_destroy(f);
    free(B);
    free(out);
    free(ref);
    free(sum);
    free(sref);
}
END_TEST

/* ------------------------------------------------------------- Frechet */

/* Central differences (exp(X + hE) - exp(X - hE)) / 2h. */
static void frechet_fd(const double *X, const double *E, int64_t n, double h,
                       double *L)
{
    double *Xp = dnew(n * n), *Xm = dnew(n * n), *Ep = dnew(n * n),
           *Em = dnew(n * n);
    for (int64_t i = 0; i < n * n; i++) {
        Xp[i] = X[i] + h * E[i];
        Xm[i] = X[i] - h * E[i];
    }
    CK_OK(cpae__expm(Xp, n, Ep, "test"));
    CK_OK(cpae__expm(Xm, n, Em, "test"));
    for (int64_t i = 0; i < n * n; i++)
        L[i] = (Ep[i] - Em[i]) / (2.0 * h);
    free(Xp);
    free(Xm);
    free(Ep);
    free(Em);
}

START_TEST(test_frechet_block_fd)
{
    const int64_t n = 6;
    uint64_t seed = 555;
    const double norms[] = {0.1, 1.5, 4.0, 12.0};
    const double escale[] = {1.0, 1e-6, 1e3};
    double worst = 0.0;
    for (int t = 0; t < 4; t++)
        for (int q = 0; q < 3; q++) {
            double X[36], E[36], L[36], Lfd[36], eX[36], eXr[36];
            random_fill(X, n * n, &seed);
            scale_to_norm1(X, n, norms[t]);
            random_fill(E, n * n, &seed);
            for (int64_t i = 0; i < n * n; i++)
                E[i] *= escale[q];
            CK_OK(cpae__expm_frechet(X, E, n, eX, L, "test"));
            CK_OK(cpae__expm(X, n, eXr, "test"));
            ck_assert(rel_err(eX, eXr, n * n) <= 1e-13);
            double h = 1e-5 / (norm1(E, n) > 0 ? norm1(E, n) : 1.0);
            frechet_fd(X, E, n, h, Lfd);
            double e = rel_err(L, Lfd, n * n);
            printf("frechet block vs FD ||X||=%5.1f ||E|| x %g: rel err %.2e\n",
                   norms[t], escale[q], e);
            ck_assert_msg(e <= 1e-6, "%g %g: %g", norms[t], escale[q], e);
            worst = fmax(worst, e);
        }
    /* expX may be NULL; E = 0 gives L = 0. */
    double X[4] = {0.1, 2.0, -0.3, 0.4}, Z[4] = {0}, L[4];
    CK_OK(cpae__expm_frechet(X, Z, 2, NULL, L, "test"));
    for (int i = 0; i < 4; i++)
        ck_assert(L[i] == 0.0);
    printf("frechet block vs FD: worst %.2e\n", worst);
}
END_TEST

/* Frechet of exp is linear in E and, for commuting E = X, L(X, X) = X e^X. */
START_TEST(test_frechet_commuting)
{
    const int64_t n = 5;
    uint64_t seed = 31;
    double X[25], L[25], eX[25], ref[25];
    random_fill(X, n * n, &seed);
    scale_to_norm1(X, n, 3.0);
    CK_OK(cpae__expm_frechet(X, X, n, eX, L, "test"));
    matmul(X, eX, ref, n);
    double e = rel_err(L, ref, n * n);
    printf("frechet L(X, X) = X e^X: rel err %.2e\n", e);
    ck_assert(e <= 1e-12);
}
END_TEST

static void check_dk(const double *G, int64_t n, const double *thetas, int nt,
                     uint64_t *seed, const char *label, double *worst_bd,
                     double *worst_fd)
{
    cpae__skew_eig *f = NULL;
    CK_OK(cpae__skew_eig_create(G, n, &f, "test"));
    double *E = dnew(n * n), *X = dnew(n * n), *Ldk = dnew(n * n),
           *Lb = dnew(n * n), *Lfd = dnew(n * n);
    random_fill(E, n * n, seed);
    for (int t = 0; t < nt; t++) {
        for (int64_t i = 0; i < n * n; i++)
            X[i] = thetas[t] * G[i];
        CK_OK(cpae__skew_frechet(f, thetas[t], E, Ldk));
        CK_OK(cpae__expm_frechet(X, E, n, NULL, Lb, "test"));
        frechet_fd(X, E, n, 1e-6, Lfd);
        double e_bd = rel_err(Ldk, Lb, n * n), e_fd = rel_err(Ldk, Lfd, n * n),
               e_bfd = rel_err(Lb, Lfd, n * n);
        printf("frechet %s n=%2lld theta=%6.2f: DK vs block %.2e, DK vs FD %.2e, "
               "block vs FD %.2e\n",
               label, (long long)n, thetas[t], e_bd, e_fd, e_bfd);
        ck_assert_msg(e_bd <= 1e-8, "%s theta %g: %g", label, thetas[t], e_bd);
        ck_assert_msg(e_fd <= 1e-6, "%s theta %g: %g", label, thetas[t], e_fd);
        ck_assert_msg(e_bfd <= 1e-6, "%s theta %g: %g", label, thetas[t], e_bfd);
        *worst_bd = fmax(*worst_bd, e_bd);
        *worst_fd = fmax(*worst_fd, fmax(e_fd, e_bfd));
    }
    cpae__skew_eig_destroy(f);
    free(E);
    free(X);
    free(Ldk);
    free(Lb);
    free(Lfd);
}

START_TEST(test_frechet_daleckii_krein)
{
    uint64_t seed = 2024;
    const double thetas[] = {0.3, 1.0, -2.5, 7.0};
    double wbd = 0.0, wfd = 0.0;
    for (int64_t n = 5; n <= 16; n += 11) {
        double *G = dnew(n * n);
        random_skew(G, n, &seed);
        check_dk(G, n, thetas, 4, &seed, "random", &wbd, &wfd);
        free(G);
    }
    /* Exact ties: two identical rotation blocks and a zero row/column
     * (eigenvalues +-1.3i twice, 0), plus a close pair 1.3 vs 1.3 + 1e-9. */
    {
        const int64_t n = 7;
        double G[49] = {0};
        const double w[3] = {1.3, 1.3, 1.3 + 1e-9};
        for (int b = 0; b < 3; b++) {
            G[(2 * b) * n + 2 * b + 1] = -w[b];
            G[(2 * b + 1) * n + 2 * b] = w[b];
        }
        /* rotate by a fixed orthogonal-ish mixing so U is not trivial:
         * Q = exp(K) for a random skew K, G <- Q G Q^T (still skew) */
        double K[49], Q[49], T1[49], T2[49];
        random_skew(K, n, &seed);
        CK_OK(cpae__expm(K, n, Q, "test"));
        matmul(Q, G, T1, n);
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                double s = 0.0;
                for (int64_t k = 0; k < n; k++)
                    s += T1[i * n + k] * Q[j * n + k];
                T2[i * n + j] = s;
            }
        for (int64_t i = 0; i < n; i++) /* re-skew exactly */
            for (int64_t j = 0; j < n; j++)
                G[i * n + j] = 0.5 * (T2[i * n + j] - T2[j * n + i]);
        check_dk(G, n, thetas, 4, &seed, "ties", &wbd, &wfd);
    }
    printf("frechet DK: worst DK vs block %.2e, worst vs FD %.2e\n", wbd, wfd);
}
END_TEST

/* ------------------------------------------------- batched Frechet sum */

/* Reference: sum_i coef_i L(theta_i G, R_i A0^T), one cpae__skew_frechet (or,
 * with block != 0, one cpae__expm_frechet of theta_i G) per sample. */
static void frechet_sum_ref(const cpae__skew_eig *f, const double *G, int block,
                            int64_t m, const double *theta, const double *coef,
                            const double *R, const double *A0, int64_t h, double *S)
{
    const int64_t n = f->n;
    double *RA = dnew(n * n), *L = dnew(n * n), *X = dnew(n * n);
    memset(S, 0, (size_t)(n * n) * sizeof(double));
    for (int64_t i = 0; i < m; i++) {
        cpae__gemm(false, true, n, n, h, 1.0, R + i * n * h, h, A0, h, 0.0, RA, n);
        if (block) {
            for (int64_t e = 0; e < n * n; e++)
                X[e] = theta[i] * G[e];
            CK_OK(cpae__expm_frechet(X, RA, n, NULL, L, "test"));
        } else {
            CK_OK(cpae__skew_frechet(f, theta[i], RA, L));
        }
        for (int64_t e = 0; e < n * n; e++)
            S[e] += coef[i] * L[e];
    }
    free(RA);
    free(L);
    free(X);
}

static void frechet_sum_case(const double *G, int64_t n, int64_t h, int64_t m,
                             const double *theta, const double *coef, uint64_t *seed,
                             const char *label, double *worst)
{
    cpae__skew_eig *f = NULL;
    CK_OK(cpae__skew_eig_create(G, n, &f, "test"));
    double *R = dnew(m * n * h), *A0 = dnew(n * h), *S = dnew(n * n),
           *Sref = dnew(n * n), *Sblk = dnew(n * n);
    random_fill(R, m * n * h, seed);
    random_fill(A0, n * h, seed);
    CK_OK(cpae__skew_frechet_sum(f, m, theta, coef, R, A0, h, S, "test"));
    frechet_sum_ref(f, G, 0, m, theta, coef, R, A0, h, Sref);
    double e = rel_err(S, Sref, n * n), eb = -1.0;
    if (n <= 16) { /* independent check against the block method */
        frechet_sum_ref(f, G, 1, m, theta, coef, R, A0, h, Sblk);
        eb = rel_err(S, Sblk, n * n);
        ck_assert_msg(eb <= 1e-8, "%s n %lld h %lld: vs block %g", label, (long long)n,
                      (long long)h, eb);
    }
    if (eb >= 0.0)
        printf("frechet sum %-6s n=%3lld h=%3lld m=%lld: vs per-sample DK %.2e, "
               "vs block %.2e\n",
               label, (long long)n, (long long)h, (long long)m, e, eb);
    else
        printf("frechet sum %-6s n=%3lld h=%3lld m=%lld: vs per-sample DK %.2e\n", label,
               (long long)n, (long long)h, (long long)m, e);
    ck_assert_msg(e <= 1e-10, "%s n %lld h %lld: %g", label, (long long)n, (long long)h, e);
    *worst = fmax(*worst, e);
    cpae__skew_eig_destroy(f);
    free(R);
    free(A0);
    free(S);
    free(Sref);
    free(Sblk);
}

START_TEST(test_frechet_sum)
{
    uint64_t seed = 9090;
    const int64_t sizes[] = {5, 16, 33}, hs[] = {1, 3};
    const double theta[] = {0.0, -1.3, 0.45, 3.7}, coef[] = {0.8, -1.7, 2.3, -0.05};
    double worst = 0.0;
    for (int si = 0; si < 3; si++) {
        int64_t n = sizes[si];
        double *G = dnew(n * n);
        random_skew(G, n, &seed);
        for (int hi = 0; hi < 2; hi++)
            frechet_sum_case(G, n, hs[hi], 4, theta, coef, &seed, "random", &worst);
        free(G);
    }
    /* Shift generators: eigenvalue ties (the +-pairs' partners, 0 twice for
     * even d) and a wide spread; a zero coefficient and theta 0 again. */
    const double theta2[] = {2.0, -0.5, 0.0, -11.0}, coef2[] = {1.0, 0.0, -3.0, 0.25};
    for (int si = 0; si < 3; si++) {
        int64_t n = sizes[si];
        double *G = dnew(n * n);
        CK_OK(cpae__shift_generator(n, G));
        for (int hi = 0; hi < 2; hi++)
            frechet_sum_case(G, n, hs[hi], 4, theta2, coef2, &seed, "shift", &worst);
        free(G);
    }
    /* Large enough for the blocked paths: n = 260 gives two row blocks (the
     * second partial) and h = 130 chunks of 3 samples for the U^* product;
     * with coef[1] = 0 skipped the chunks are {0, 2, 3} and {4}. */
    {
        const int64_t n = 260;
        const double theta3[] = {1.5, 4.0, -0.2, 0.0, -6.5};
        const double coef3[] = {0.7, 0.0, -1.1, 0.4, 2.0};
        double *G = dnew(n * n);
        random_skew(G, n, &seed);
        frechet_sum_case(G, n, 130, 5, theta3, coef3, &seed, "blocks", &worst);
        free(G);
    }
    printf("frechet sum: worst rel err vs per-sample DK %.2e\n", worst);

    /* m = 0 gives S = 0; all coefficients 0 likewise. */
    const int64_t n = 6;
    double G[36], R[12], A0[6], S[36];
    random_skew(G, n, &seed);
    random_fill(R, 12, &seed);
    random_fill(A0, 6, &seed);
    cpae__skew_eig *f = NULL;
    CK_OK(cpae__skew_eig_create(G, n, &f, "test"));
    for (int i = 0; i < 36; i++)
        S[i] = 7.0;
    CK_OK(cpae__skew_frechet_sum(f, 0, theta, coef, R, A0, 1, S, "test"));
    for (int i = 0; i < 36; i++)
        ck_assert(S[i] == 0.0);
    const double zc[2] = {0.0, 0.0};
    for (int i = 0; i < 36; i++)
        S[i] = 7.0;
    CK_OK(cpae__skew_frechet_sum(f, 2, theta, zc, R, A0, 1, S, "test"));
    for (int i = 0; i < 36; i++)
        ck_assert(S[i] == 0.0);
    cpae__skew_eig_destroy(f);
}
END_TEST

/* ---------------------------------------------------------- theta local */

START_TEST(test_theta_local)
{
    const int64_t len = 30;
    uint64_t seed = 17;
    double D[30], g1[30], g2[30], g3[30], th[3], r;
    random_fill(g1, len, &seed);
    random_fill(g2, len, &seed);

    /* kG = 1: Delta = theta GA */
    for (int64_t i = 0; i < len; i++)
        D[i] = -0.37 * g1[i];
    const double *one[1] = {g1};
    CK_OK(cpae__theta_local(D, one, 1, len, th, &r, NULL, "test"));
    printf("theta local kG=1: |theta - true| %.1e, resid %.1e\n", fabs(th[0] + 0.37), r);
    ck_assert(fabs(th[0] + 0.37) <= 1e-14);
    ck_assert(r <= 1e-28);

    /* GA = 0: theta = 0, resid = ||Delta||^2 */
    double zero[30] = {0};
    const double *z1[1] = {zero};
    CK_OK(cpae__theta_local(D, z1, 1, len, th, &r, NULL, "test"));
    double dd = 0.0;
    for (int64_t i = 0; i < len; i++)
        dd += D[i] * D[i];
    ck_assert(th[0] == 0.0);
    ck_assert(fabs(r - dd) <= 1e-14 * dd);

    /* kG = 2 with an orthogonal remainder: theta exact, resid = ||rem||^2 */
    double rem[30];
    random_fill(rem, len, &seed);
    {
        /* project rem off span(g1, g2) with the solver itself */
        const double *two[2] = {g1, g2};
        CK_OK(cpae__theta_local(rem, two, 2, len, th, NULL, NULL, "test"));
        for (int64_t i = 0; i < len; i++)
            rem[i] -= th[0] * g1[i] + th[1] * g2[i];
    }
    double rr = 0.0;
    for (int64_t i = 0; i < len; i++) {
        D[i] = 0.8 * g1[i] - 1.7 * g2[i] + rem[i];
        rr += rem[i] * rem[i];
    }
    const double *two[2] = {g1, g2};
    CK_OK(cpae__theta_local(D, two, 2, len, th, &r, NULL, "test"));
    printf("theta local kG=2: err %.1e %.1e, resid %.6g vs %.6g\n", fabs(th[0] - 0.8),
           fabs(th[1] + 1.7), r, rr);
    ck_assert(fabs(th[0] - 0.8) <= 1e-13 && fabs(th[1] + 1.7) <= 1e-13);
    ck_assert(fabs(r - rr) <= 1e-12 * rr);

    /* Rank deficient: GA2 = 2 GA1, GA3 = GA1 - GA2 (= -GA1). Delta = 3 GA1:
     * theta1 + 2 theta2 - theta3 = 3, minimum norm theta = 3 (1, 2, -1)/6. */
    for (int64_t i = 0; i < len; i++) {
        g2[i] = 2.0 * g1[i];
        g3[i] = g1[i] - g2[i];
        D[i] = 3.0 * g1[i];
    }
    const double *three[3] = {g1, g2, g3};
    CK_OK(cpae__theta_local(D, three, 3, len, th, &r, NULL, "test"));
    double e = fabs(th[0] - 0.5) + fabs(th[1] - 1.0) + fabs(th[2] + 0.5);
    printf("theta local rank-deficient: theta (%.15g, %.15g, %.15g), err %.1e, "
           "resid %.1e\n",
           th[0], th[1], th[2], e, r);
    ck_assert(e <= 1e-12);
    ck_assert(r <= 1e-24);
    /* The same with the caller's scratch (no allocation): the same answer,
     * bit for bit, from a dirty block. */
    int64_t ns = cpae__theta_local_scratch(3, len);
    ck_assert_int_gt(ns, 3 * len);
    ck_assert_int_eq(cpae__theta_local_scratch(1, len), 0);
    double *scr = malloc((size_t)ns * sizeof(double)), ths[3], rs = -1;
    for (int64_t i = 0; i < ns; i++)
        scr[i] = NAN;
    CK_OK(cpae__theta_local(D, three, 3, len, ths, &rs, scr, "test"));
    ck_assert(ths[0] == th[0] && ths[1] == th[1] && ths[2] == th[2] && rs == r);
    free(scr);

    /* Underdetermined (len < kG): minimum-norm too. len = 1, kG = 2:
     * 1 * t1 + 1 * t2 = 2 -> (1, 1). */
    double a1 = 1.0, a2 = 1.0, d1 = 2.0;
    const double *under[2] = {&a1, &a2};
    CK_OK(cpae__theta_local(&d1, under, 2, 1, th, &r, NULL, "test"));
    ck_assert(fabs(th[0] - 1.0) <= 1e-14 && fabs(th[1] - 1.0) <= 1e-14);
}
END_TEST

/* A = (I + theta G) A0: Delta = A - A0 = theta G A0 exactly. */
START_TEST(test_theta_local_first_order)
{
    const int64_t n = 10, h = 3;
    uint64_t seed = 23;
    double G[100], A0[30], A[30], GA[30], Dl[30], th, r;
    random_skew(G, n, &seed);
    random_fill(A0, n * h, &seed);
    const double truth = 0.4567;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < h; k++) {
            double s = 0.0;
            for (int64_t j = 0; j < n; j++)
                s += G[i * n + j] * A0[j * h + k];
            GA[i * h + k] = s;
            A[i * h + k] = A0[i * h + k] + truth * s;
        }
    for (int64_t i = 0; i < n * h; i++)
        Dl[i] = A[i] - A0[i];
    const double *ga[1] = {GA};
    CK_OK(cpae__theta_local(Dl, ga, 1, n * h, &th, &r, NULL, "test"));
    printf("theta local from (I + theta G) A0: err %.1e, resid %.1e\n",
           fabs(th - truth), r);
    ck_assert(fabs(th - truth) <= 1e-13);
    ck_assert(r <= 1e-26);
}
END_TEST

/* ---------------------------------------------------------- theta exact */

static void theta_exact_case(const double *G, int64_t n, int skew_path,
                             double truth, const char *label, double *worst)
{
    const int64_t h = 3;
    uint64_t seed = 606 + (uint64_t)(int64_t)(truth * 10); /* truth may be < 0 */
    double *A0 = dnew(n * h), *A = dnew(n * h), *X = dnew(n * n), *E = dnew(n * n);
    random_fill(A0, n * h, &seed);
    for (int64_t i = 0; i < n * n; i++)
        X[i] = truth * G[i];
    CK_OK(cpae__expm(X, n, E, "test"));
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < h; k++) {
            double s = 0.0;
            for (int64_t j = 0; j < n; j++)
                s += E[i * n + j] * A0[j * h + k];
            A[i * h + k] = s;
        }
    cpae__skew_eig *f = NULL;
    if (skew_path)
        CK_OK(cpae__skew_eig_create(G, n, &f, "test"));
    double th = NAN, fv = NAN;
    CK_OK(cpae__theta_exact(skew_path ? NULL : G, f, n, A0, A, h, 20.0, 401, &th,
                            &fv, "test"));
    printf("theta exact %-14s truth %5.2f: err %.1e, f %.1e\n", label, truth,
           fabs(th - truth), fv);
    ck_assert_msg(fabs(th - truth) <= 1e-9, "%s %g: got %.17g", label, truth, th);
    ck_assert(fv <= 1e-20);
    *worst = fmax(*worst, fabs(th - truth));
    cpae__skew_eig_destroy(f);
    free(A0);
    free(A);
    free(X);
    free(E);
}

START_TEST(test_theta_exact)
{
    const int64_t n = 8;
    uint64_t seed = 321;
    double G[64], H[64], fro = 0.0, worst = 0.0;
    random_skew(G, n, &seed);
    for (int i = 0; i < 64; i++)
        fro += G[i] * G[i];
    for (int i = 0; i < 64; i++)
        G[i] /= sqrt(fro); /* ||G||_F = 1: theta in the units of docs/math.md */
    /* General G: the skew G plus a small non-normal part. */
    double P[64];
    random_fill(P, 64, &seed);
    fro = 0.0;
    for (int i = 0; i < 64; i++) {
        H[i] = G[i] + 0.02 * P[i];
        fro += H[i] * H[i];
    }
    for (int i = 0; i < 64; i++)
        H[i] /= sqrt(fro);
    const double truths[] = {0.7, 12.3, -19.9};
    for (int t = 0; t < 3; t++) {
        theta_exact_case(G, n, 1, truths[t], "skew/fast", &worst);
        theta_exact_case(G, n, 0, truths[t], "skew/general", &worst);
        theta_exact_case(H, n, 0, truths[t], "non-skew", &worst);
    }
    printf("theta exact: worst |theta - truth| %.2e\n", worst);
}
END_TEST

/* Noisy target: the refined theta is a stationary point of f inside the
 * cell, no worse than the grid, and the fast and general paths agree. */
START_TEST(test_theta_exact_noisy)
{
    const int64_t n = 8, h = 2;
    uint64_t seed = 9;
    double G[64], A0[16], A[16], X[64], E[64], fro = 0.0;
    random_skew(G, n, &seed);
    for (int i = 0; i < 64; i++)
        fro += G[i] * G[i];
    for (int i = 0; i < 64; i++) {
        G[i] /= sqrt(fro);
        X[i] = 3.3 * G[i];
    }
    random_fill(A0, n * h, &seed);
    CK_OK(cpae__expm(X, n, E, "test"));
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < h; k++) {
            double s = 0.0;
            for (int64_t j = 0; j < n; j++)
                s += E[i * n + j] * A0[j * h + k];
            A[i * h + k] = s + 0.05 * tu_uniform(&seed);
        }
    cpae__skew_eig *f = NULL;
    CK_OK(cpae__skew_eig_create(G, n, &f, "test"));
    double t1, f1, t2, f2;
    CK_OK(cpae__theta_exact(NULL, f, n, A0, A, h, 20.0, 201, &t1, &f1, "test"));
    CK_OK(cpae__theta_exact(G, NULL, n, A0, A, h, 20.0, 201, &t2, &f2, "test"));
    printf("theta exact noisy: fast %.12f (f %.6e), general %.12f (f %.6e)\n", t1, f1,
           t2, f2);
    ck_assert(fabs(t1 - t2) <= 1e-8);
    ck_assert(fabs(t1 - 3.3) < 0.1);
    ck_assert(fabs(f1 - f2) <= 1e-12 * (1.0 + f1));
    /* f at theta +- 1e-4 is not lower (stationary minimiser) */
    double fp = 0.0, fm = 0.0;
    CK_OK(cpae__theta_exact(NULL, f, n, A0, A, h, 20.0, 201, NULL, NULL, "test"));
    for (int sgn = -1; sgn <= 1; sgn += 2) {
        for (int i = 0; i < 64; i++)
            X[i] = (t1 + sgn * 1e-4) * G[i];
        CK_OK(cpae__expm(X, n, E, "test"));
        double s2 = 0.0;
        for (int64_t i = 0; i < n; i++)
            for (int64_t k = 0; k < h; k++) {
                double s = 0.0;
                for (int64_t j = 0; j < n; j++)
                    s += E[i * n + j] * A0[j * h + k];
                s2 += (s - A[i * h + k]) * (s - A[i * h + k]);
            }
        if (sgn < 0)
            fm = s2;
        else
            fp = s2;
    }
    ck_assert(fm >= f1 && fp >= f1);
    cpae__skew_eig_destroy(f);
}
END_TEST

/* theta_exact_many equals m calls of theta_exact (same code on the same
 * transformed data: expected bit-for-bit). */
static void theta_many_case(int64_t n, int64_t h, uint64_t *seed, double *worst_t,
                            double *worst_f, int *same, int *total)
{
    const int64_t m = 6;
    const double truths[6] = {0.7, -12.3, 0.0, 19.9, 3.3, -5.0};
    const double noise[6] = {0.0, 0.05, 0.0, 0.0, 0.2, 0.01};
    double *G = dnew(n * n), *A0 = dnew(n * h), *A = dnew(m * n * h);
    random_skew(G, n, seed);
    double fro = 0.0;
    for (int64_t i = 0; i < n * n; i++)
        fro += G[i] * G[i];
    for (int64_t i = 0; i < n * n; i++)
        G[i] /= sqrt(fro);
    random_fill(A0, n * h, seed);
    cpae__skew_eig *f = NULL;
    CK_OK(cpae__skew_eig_create(G, n, &f, "test"));
    for (int64_t i = 0; i < m; i++) {
        CK_OK(cpae__skew_apply(f, truths[i], A0, h, A + i * n * h, "test"));
        for (int64_t e = 0; e < n * h; e++)
            A[i * n * h + e] += noise[i] * tu_uniform(seed);
    }
    double th[6], fv[6], th2[6];
    CK_OK(cpae__theta_exact_many(f, n, A0, A, m, h, 20.0, 401, th, fv, "test"));
    CK_OK(cpae__theta_exact_many(f, n, A0, A, m, h, 20.0, 401, th2, NULL, "test"));
    CK_OK(cpae__theta_exact_many(f, n, A0, A, m, h, 20.0, 401, NULL, NULL, "test"));
    for (int64_t i = 0; i < m; i++) {
        double t1, f1;
        CK_OK(cpae__theta_exact(NULL, f, n, A0, A + i * n * h, h, 20.0, 401, &t1, &f1,
                                "test"));
        double dt = fabs(th[i] - t1), df = fabs(fv[i] - f1) / (1.0 + f1);
        ck_assert(th2[i] == th[i]);
        ck_assert_msg(dt <= 1e-12 && df <= 1e-12, "n %lld i %lld: %g %g", (long long)n,
                      (long long)i, dt, df);
        if (noise[i] == 0.0)
            ck_assert_msg(fabs(th[i] - truths[i]) <= 1e-9, "truth %g: %.17g", truths[i],
                          th[i]);
        *worst_t = fmax(*worst_t, dt);
        *worst_f = fmax(*worst_f, df);
        *same += th[i] == t1 && fv[i] == f1;
        (*total)++;
    }
    cpae__skew_eig_destroy(f);
    free(G);
    free(A0);
    free(A);
}

START_TEST(test_theta_exact_many)
{
    uint64_t seed = 1717;
    double wt = 0.0, wf = 0.0;
    int same = 0, total = 0;
    theta_many_case(8, 3, &seed, &wt, &wf, &same, &total);
    theta_many_case(33, 1, &seed, &wt, &wf, &same, &total);
    theta_many_case(33, 4, &seed, &wt, &wf, &same, &total);
    theta_many_case(12, 200, &seed, &wt, &wf, &same, &total); /* 3 chunks of 2 */
    theta_many_case(6, 600, &seed, &wt, &wf, &same, &total);  /* chunks of 1 */
    printf("theta exact many vs per-sample: max |dtheta| %.2e, max rel |df| %.2e, "
           "%d of %d bit-identical\n",
           wt, wf, same, total);

    /* errors: no factorisation, mismatch, m < 0, non-finite; outputs kept */
    double G[4] = {0.0, -1.0, 1.0, 0.0}, A0[2] = {1.0, 0.0}, A[4] = {0.0, 1.0, NAN, 0.0};
    double th[2] = {42.0, 42.0}, fv[2] = {42.0, 42.0};
    cpae__skew_eig *f = NULL;
    CK_OK(cpae__skew_eig_create(G, 2, &f, "test"));
    CK_ERR(cpae__theta_exact_many(NULL, 2, A0, A, 1, 1, 5.0, 11, th, fv, "test"),
           CPAE_E_INVALID);
    CK_ERR(cpae__theta_exact_many(f, 3, A0, A, 1, 1, 5.0, 11, th, fv, "test"),
           CPAE_E_MISMATCH);
    CK_ERR(cpae__theta_exact_many(f, 2, A0, A, -1, 1, 5.0, 11, th, fv, "test"),
           CPAE_E_SIZE);
    CK_ERR(cpae__theta_exact_many(f, 2, A0, A, 1, 1, 5.0, 1, th, fv, "test"),
           CPAE_E_INVALID);
    CK_ERR(cpae__theta_exact_many(f, 2, A0, A, 2, 1, 5.0, 11, th, fv, "test"),
           CPAE_E_NONFINITE);
    ck_assert(th[0] == 42.0 && th[1] == 42.0 && fv[0] == 42.0 && fv[1] == 42.0);
    /* a quarter turn (theta_max 3 excludes the other minimiser -3 pi / 2) */
    CK_OK(cpae__theta_exact_many(f, 2, A0, A, 1, 1, 3.0, 11, th, fv, "test"));
    ck_assert(fabs(th[0] - PI / 2) <= 1e-12 && fv[0] <= 1e-24 && th[1] == 42.0);
    CK_OK(cpae__theta_exact_many(f, 2, A0, A, 0, 1, 5.0, 11, NULL, NULL, "test"));
    cpae__skew_eig_destroy(f);
}
END_TEST

/* -------------------------------------------------------------- orbits */

START_TEST(test_orbit_so2)
{
    const double G[4] = {0.0, -1.0, 1.0, 0.0}, x0[2] = {1.2, -0.5};
    double thetas[64], out[128];
    uint64_t seed = 5;
    for (int t = 0; t < 64; t++)
        thetas[t] = 40.0 * tu_uniform(&seed);
    CK_OK(cpae__orbit(G, 2, x0, thetas, 64, out, "test"));
    double r0 = hypot(x0[0], x0[1]), worst_r = 0.0, worst = 0.0;
    for (int t = 0; t < 64; t++) {
        double c = cos(thetas[t]), s = sin(thetas[t]);
        double ex = c * x0[0] - s * x0[1], ey = s * x0[0] + c * x0[1];
        worst_r = fmax(worst_r, fabs(hypot(out[2 * t], out[2 * t + 1]) - r0) / r0);
        worst = fmax(worst, hypot(out[2 * t] - ex, out[2 * t + 1] - ey) / r0);
    }
    printf("orbit SO(2): radius rel dev %.2e, vs closed form %.2e\n", worst_r, worst);
    ck_assert(worst_r <= 1e-14 && worst <= 1e-13);
}
END_TEST

/* Non-skew generator goes through expm: G = [[0,1],[0,0]] gives
 * x0 + theta (x0[1], 0). */
START_TEST(test_orbit_general)
{
    const double G[4] = {0.0, 1.0, 0.0, 0.0}, x0[2] = {0.3, 2.0};
    const double thetas[3] = {-1.5, 0.0, 7.25};
    double out[6];
    CK_OK(cpae__orbit(G, 2, x0, thetas, 3, out, "test"));
    for (int t = 0; t < 3; t++) {
        ck_assert(fabs(out[2 * t] - (0.3 + 2.0 * thetas[t])) <= 1e-14);
        ck_assert(fabs(out[2 * t + 1] - 2.0) <= 1e-15);
    }
}
END_TEST

/* ------------------------------------------------------- shift generator */

static void bandlimited(double *x, int64_t d, int with_nyquist, uint64_t *seed,
                        double *a, double *b)
{
    int64_t K = (d - 1) / 2; /* modes strictly below Nyquist */
    for (int64_t k = 0; k <= K; k++) {
        a[k] = tu_uniform(seed);
        b[k] = k == 0 ? 0.0 : tu_uniform(seed);
    }
    for (int64_t j = 0; j < d; j++) {
        double s = 0.0;
        for (int64_t k = 0; k <= K; k++) {
            double ph = 2.0 * PI * (double)(k * j) / (double)d;
            s += a[k] * cos(ph) + b[k] * sin(ph);
        }
        if (with_nyquist)
            s += 0.7 * ((j % 2) ? -1.0 : 1.0);
        x[j] = s;
    }
}

START_TEST(test_shift_generator)
{
    const int64_t dims[] = {15, 16, 140};
    for (int di = 0; di < 3; di++) {
        int64_t d = dims[di];
        double *G = dnew(d * d);
        CK_OK(cpae__shift_generator(d, G));
        /* exactly skew; equals -D, D the spectral derivative by mode sum:
         * G_jl = (4 pi / d^2) sum_{k=1}^{K} k sin(2 pi k (j - l)/d). */
        int64_t K = (d - 1) / 2;
        double maxdiff = 0.0;
        for (int64_t j = 0; j < d; j++)
            for (int64_t l = 0; l < d; l++) {
                ck_assert(G[j * d + l] == -G[l * d + j]);
                double s = 0.0;
                for (int64_t k = 1; k <= K; k++)
                    s += (double)k * sin(2.0 * PI * (double)(k * (j - l)) / (double)d);
                s *= 4.0 * PI / ((double)d * (double)d);
                maxdiff = fmax(maxdiff, fabs(s - G[j * d + l]));
            }
        printf("shift generator d=%3lld: max |G - mode sum| %.2e\n", (long long)d,
               maxdiff);
        ck_assert(maxdiff <= 1e-12);
        free(G);
    }
    ck_assert_int_eq(cpae__shift_generator(0, NULL), CPAE_E_SIZE);
}
END_TEST

START_TEST(test_cyclic_shift)
{
    const int64_t dims[] = {15, 16, 140};
    const double shifts[] = {1.0, 3.0, -2.0, 5.0, 0.5, -7.25};
    uint64_t seed = 77;
    double worst_int = 0.0, worst_frac = 0.0;
    for (int di = 0; di < 3; di++) {
        int64_t d = dims[di];
        double *G = dnew(d * d), *X = dnew(d * d), *E = dnew(d * d), *x0 = dnew(d),
               *y = dnew(d), *ref = dnew(d), *orb = dnew(6 * d);
        double a[80], b[80];
        CK_OK(cpae__shift_generator(d, G));
        bandlimited(x0, d, 0, &seed, a, b);
        CK_OK(cpae__orbit(G, d, x0, shifts, 6, orb, "test"));
        for (int t = 0; t < 6; t++) {
            double sh = shifts[t];
            for (int64_t i = 0; i < d * d; i++)
                X[i] = sh * G[i];
            CK_OK(cpae__expm(X, d, E, "test"));
            for (int64_t i = 0; i < d; i++) {
                double s = 0.0;
                for (int64_t j = 0; j < d; j++)
                    s += E[i * d + j] * x0[j];
                y[i] = s;
                /* x(i - sh) of the trigonometric interpolant */
                double r = 0.0;
                for (int64_t k = 0; k <= (d - 1) / 2; k++) {
                    double ph = 2.0 * PI * (double)k * ((double)i - sh) / (double)d;
                    r += a[k] * cos(ph) + b[k] * sin(ph);
                }
                ref[i] = r;
                if (sh == floor(sh)) { /* integer: a permutation of x0 */
                    int64_t src = ((i - (int64_t)sh) % d + d) % d;
                    ck_assert(fabs(r - x0[src]) <= 1e-12);
                    ref[i] = x0[src];
                }
            }
            double e = rel_err(y, ref, d), eo = rel_err(orb + t * d, ref, d);
            printf("cyclic shift d=%3lld by %5.2f: expm %.2e, orbit (skew path) %.2e\n",
                   (long long)d, sh, e, eo);
            ck_assert_msg(e <= 1e-10 && eo <= 1e-10, "d %lld shift %g: %g %g",
                          (long long)d, sh, e, eo);
            if (sh == floor(sh))
                worst_int = fmax(worst_int, fmax(e, eo));
            else
                worst_frac = fmax(worst_frac, fmax(e, eo));
        }
        if (d % 2 == 0) {
            /* Nyquist choice: that mode is not moved. Even shifts stay exact
             * permutations of any signal; odd shifts leave the Nyquist part
             * in place. */
            bandlimited(x0, d, 1, &seed, a, b);
            const double sh2[2] = {2.0, 3.0};
            CK_OK(cpae__orbit(G, d, x0, sh2, 2, orb, "test"));
            for (int64_t i = 0; i < d; i++) {
                double nyq_i = 0.7 * ((i % 2) ? -1.0 : 1.0);
                int64_t s2 = ((i - 2) % d + d) % d, s3 = ((i - 3) % d + d) % d;
                double nyq_s3 = 0.7 * ((s3 % 2) ? -1.0 : 1.0);
                ck_assert(fabs(orb[i] - x0[s2]) <= 1e-10);
                ck_assert(fabs(orb[d + i] - (x0[s3] - nyq_s3 + nyq_i)) <= 1e-10);
            }
        }
        free(G);
        free(X);
        free(E);
        free(x0);
        free(y);
        free(ref);
        free(orb);
    }
    printf("cyclic shift: worst integer %.2e, fractional %.2e\n", worst_int, worst_frac);
}
END_TEST

/* -------------------------------------------- batched against per sample */

/* cpae__skew_frechet_sum equals the per-sample loop of the exact Lie
 * gradient, and the batched theta solve equals per-sample solves bit for
 * bit (h = 16, m = 64, d = 60). The timings of both are in `make bench`
 * (test/bench_expm.c), not here. */
START_TEST(test_frechet_sum_batched)
{
    const int64_t d = 60, h = 16, m = 64;
    uint64_t seed = 31337;
    double *G = dnew(d * d), *R = dnew(m * d * h), *A0 = dnew(d * h), *S = dnew(d * d),
           *Sref = dnew(d * d), *RA = dnew(d * d), *L = dnew(d * d), theta[64], coef[64],
           th[64], fv[64];
    CK_OK(cpae__shift_generator(d, G));
    random_fill(R, m * d * h, &seed);
    random_fill(A0, d * h, &seed);
    for (int64_t i = 0; i < m; i++) {
        theta[i] = 8.0 * tu_uniform(&seed);
        coef[i] = tu_uniform(&seed);
    }
    cpae__skew_eig *f = NULL;
    CK_OK(cpae__skew_eig_create(G, d, &f, "test"));
    CK_OK(cpae__skew_frechet_sum(f, m, theta, coef, R, A0, h, S, "test"));
    memset(Sref, 0, (size_t)(d * d) * sizeof(double));
    for (int64_t i = 0; i < m; i++) {
        cpae__gemm(false, true, d, d, h, 1.0, R + i * d * h, h, A0, h, 0.0, RA, d);
        CK_OK(cpae__skew_frechet(f, theta[i], RA, L));
        for (int64_t e = 0; e < d * d; e++)
            Sref[e] += coef[i] * L[e];
    }
    ck_assert(rel_err(S, Sref, d * d) <= 1e-9);
    CK_OK(cpae__theta_exact_many(f, d, A0, R, m, h, 8.0, 401, th, fv, "test"));
    for (int64_t i = 0; i < m; i++) {
        double t1, f1;
        CK_OK(cpae__theta_exact(NULL, f, d, A0, R + i * d * h, h, 8.0, 401, &t1, &f1, "test"));
        ck_assert(t1 == th[i] && f1 == fv[i]);
    }
    cpae__skew_eig_destroy(f);
    free(G);
    free(R);
    free(A0);
    free(S);
    free(Sref);
    free(RA);
    free(L);
}
END_TEST

/* ------------------------------------------------------------- errors */

START_TEST(test_errors)
{
    double X[4] = {0.1, NAN, 0.2, 0.3}, E[4] = {7, 7, 7, 7}, L[4] = {7, 7, 7, 7};
    CK_ERR(cpae__expm(X, 2, E, "test"), CPAE_E_NONFINITE);
    X[1] = INFINITY;
    CK_ERR(cpae__expm(X, 2, E, "test"), CPAE_E_NONFINITE);
    for (int i = 0; i < 4; i++)
        ck_assert(E[i] == 7.0); /* unchanged */
    X[1] = 0.0;
    CK_ERR(cpae__expm(X, 0, E, "test"), CPAE_E_SIZE);
    CK_ERR(cpae__expm(NULL, 2, E, "test"), CPAE_E_NULL);
    double En[4] = {0, NAN, 0, 0};
    CK_ERR(cpae__expm_frechet(X, En, 2, E, L, "test"), CPAE_E_NONFINITE);
    for (int i = 0; i < 4; i++)
        ck_assert(E[i] == 7.0 && L[i] == 7.0);

    /* overflow of exp is reported, output untouched */
    double big[4] = {800.0, 0.0, 0.0, 1.0};
    CK_ERR(cpae__expm(big, 2, E, "test"), CPAE_E_NUMERIC);
    ck_assert(E[0] == 7.0);

    /* not skew */
    const double ns[4] = {0.0, 1.0, 1.0, 0.0};
    cpae__skew_eig *f = NULL;
    CK_ERR(cpae__skew_eig_create(ns, 2, &f, "test"), CPAE_E_INVALID);
    ck_assert_ptr_null(f);
    const double almost[4] = {0.0, 1.0, -1.0 + 1e-6, 0.0};
    CK_ERR(cpae__skew_eig_create(almost, 2, &f, "test"), CPAE_E_INVALID);
    const double tiny_off[4] = {0.0, 1.0, -1.0 + 1e-14, 0.0}; /* rounding-level */
    CK_OK(cpae__skew_eig_create(tiny_off, 2, &f, "test"));
    CK_ERR(cpae__skew_expm(f, NAN, E), CPAE_E_NONFINITE);
    ck_assert(E[0] == 7.0);
    CK_ERR(cpae__skew_frechet(f, 1.0, En, L), CPAE_E_NONFINITE);
    ck_assert(L[0] == 7.0);
    {
        const double Rn[2] = {0.0, NAN}, Rok[2] = {0.5, -1.0}, A0s[2] = {1.0, 0.0};
        const double t1 = 1.0, c1 = 2.0, tn = NAN;
        CK_ERR(cpae__skew_frechet_sum(f, 1, &t1, &c1, Rn, A0s, 1, L, "test"),
               CPAE_E_NONFINITE);
        CK_ERR(cpae__skew_frechet_sum(f, 1, &tn, &c1, Rok, A0s, 1, L, "test"),
               CPAE_E_NONFINITE);
        CK_ERR(cpae__skew_frechet_sum(f, -1, &t1, &c1, Rok, A0s, 1, L, "test"),
               CPAE_E_SIZE);
        CK_ERR(cpae__skew_frechet_sum(f, 1, &t1, &c1, Rok, A0s, 0, L, "test"),
               CPAE_E_SIZE);
        CK_ERR(cpae__skew_frechet_sum(f, 1, &t1, &c1, Rok, A0s, 1, NULL, "test"),
               CPAE_E_NULL);
        CK_ERR(cpae__skew_frechet_sum(NULL, 1, &t1, &c1, Rok, A0s, 1, L, "test"),
               CPAE_E_NULL);
        ck_assert(L[0] == 7.0 && L[3] == 7.0);
    }
    const double nang[4] = {0.0, NAN, 1.0, 0.0};
    cpae__skew_eig *g = NULL;
    CK_ERR(cpae__skew_eig_create(nang, 2, &g, "test"), CPAE_E_NONFINITE);

    /* theta solvers */
    double A0[2] = {1.0, 0.0}, A[2] = {0.0, 1.0}, th = 42.0, fv = 42.0;
    CK_ERR(cpae__theta_exact(NULL, f, 3, A0, A, 1, 5.0, 11, &th, &fv, "test"),
           CPAE_E_MISMATCH);
    CK_ERR(cpae__theta_exact(NULL, f, 2, A0, A, 1, 0.0, 11, &th, &fv, "test"),
           CPAE_E_INVALID);
    CK_ERR(cpae__theta_exact(NULL, f, 2, A0, A, 1, 5.0, 1, &th, &fv, "test"),
           CPAE_E_INVALID);
    CK_ERR(cpae__theta_exact(NULL, NULL, 2, A0, A, 1, 5.0, 11, &th, &fv, "test"),
           CPAE_E_NULL);
    A[0] = NAN;
    CK_ERR(cpae__theta_exact(NULL, f, 2, A0, A, 1, 5.0, 11, &th, &fv, "test"),
           CPAE_E_NONFINITE);
    ck_assert(th == 42.0 && fv == 42.0);
    const double *ga[1] = {A0};
    CK_ERR(cpae__theta_local(A, ga, 1, 2, &th, &fv, NULL, "test"), CPAE_E_NONFINITE);
    CK_ERR(cpae__theta_local(A0, ga, 0, 2, &th, &fv, NULL, "test"), CPAE_E_SIZE);
    ck_assert(th == 42.0);

    /* orbit */
    const double Gs[4] = {0.0, -1.0, 1.0, 0.0}, tt[2] = {1.0, NAN};
    double out[4] = {7, 7, 7, 7};
    CK_ERR(cpae__orbit(Gs, 2, A0, tt, 2, out, "test"), CPAE_E_NONFINITE);
    ck_assert(out[0] == 7.0);
    CK_ERR(cpae__orbit(Gs, 2, A0, tt, 0, out, "test"), CPAE_E_SIZE);
    cpae__skew_eig_destroy(f);
    cpae__skew_eig_destroy(NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("internal_expm");
    TCase *tc = tcase_create("expm");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_expm_params);
    tcase_add_test(tc, test_expm_rotation);
    tcase_add_test(tc, test_expm_zero);
    tcase_add_test(tc, test_expm_diagonal);
    tcase_add_test(tc, test_expm_nilpotent);
    tcase_add_test(tc, test_expm_taylor_ref);
    tcase_add_test(tc, test_expm_commuting);
    tcase_add_test(tc, test_skew_vs_pade);
    tcase_add_test(tc, test_skew_apply);
    tcase_add_test(tc, test_skew_apply_many);
    tcase_add_test(tc, test_frechet_block_fd);
    tcase_add_test(tc, test_frechet_commuting);
    tcase_add_test(tc, test_frechet_daleckii_krein);
    tcase_add_test(tc, test_frechet_sum);
    tcase_add_test(tc, test_theta_local);
    tcase_add_test(tc, test_theta_local_first_order);
    tcase_add_test(tc, test_theta_exact);
    tcase_add_test(tc, test_theta_exact_noisy);
    tcase_add_test(tc, test_theta_exact_many);
    tcase_add_test(tc, test_orbit_so2);
    tcase_add_test(tc, test_orbit_general);
    tcase_add_test(tc, test_shift_generator);
    tcase_add_test(tc, test_cyclic_shift);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_frechet_sum_batched);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
