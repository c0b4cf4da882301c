/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_lie.c -- Lie generators (cpae_lie_*, cpae_shift_generator).
 * Public API only. Expected values are computed independently here: the
 * normalisation by hand, exp of the SO(2) generator as a rotation, the
 * cyclic shift as a roll of the samples, the cosines from their
 * definitions. */
#include "testutil.h"

#include <float.h>
#include <stdbool.h>

static const double PI = 3.14159265358979323846;

/* ------------------------------------------------------------- helpers */

static double fdot(const float *a, const float *b, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += (double)a[i] * (double)b[i];
    return s;
}

static double fnorm(const float *a, int64_t n) { return sqrt(fdot(a, a, n)); }

static float *falloc(int64_t n)
{
    float *p = calloc((size_t)(n > 0 ? n : 1), sizeof(float));
    ck_assert_ptr_nonnull(p);
    return p;
}

static cpae_lie *make_lie(int64_t d, int64_t k, int32_t param, uint64_t seed)
{
    cpae_lie *lie = NULL;
    CK_OK(cpae_lie_create(d, k, param, seed, &lie));
    ck_assert_ptr_nonnull(lie);
    return lie;
}

/* A lie with the given generators set (GENERAL unless param says). */
static cpae_lie *lie_with(int64_t d, int64_t k, int32_t param, const float *g)
{
    cpae_lie *lie = make_lie(d, k, param, 1);
    CK_OK(cpae_lie_set(lie, g, k * d * d));
    return lie;
}

/* Unit norms and Frobenius orthogonality of k generators. */
static void assert_orthonormal(const float *g, int64_t k, int64_t nn, double tol)
{
    for (int64_t a = 0; a < k; a++)
        for (int64_t b = 0; b <= a; b++) {
            double v = fdot(g + a * nn, g + b * nn, nn), want = a == b ? 1.0 : 0.0;
            ck_assert_msg(fabs(v - want) < tol, "<G%lld, G%lld> = %.9g", (long long)a,
                          (long long)b, v);
        }
}

static void assert_exactly_skew(const float *G, int64_t d)
{
    for (int64_t a = 0; a < d; a++)
        for (int64_t b = 0; b < d; b++)
            ck_assert_msg(G[a * d + b] == -G[b * d + a], "G[%lld][%lld] = %.9g, "
                          "G[%lld][%lld] = %.9g", (long long)a, (long long)b,
                          (double)G[a * d + b], (long long)b, (long long)a,
                          (double)G[b * d + a]);
}

/* d x d orthogonal Q (rows orthonormal), Gram-Schmidt of a random matrix. */
static void random_orthogonal(double *Q, int64_t d, uint64_t seed)
{
    uint64_t s = seed;
    for (int64_t i = 0; i < d * d; i++)
        Q[i] = tu_uniform(&s);
    for (int pass = 0; pass < 2; pass++)
        for (int64_t i = 0; i < d; i++) {
            for (int64_t j = 0; j < i; j++) {
                double c = 0.0;
                for (int64_t t = 0; t < d; t++)
                    c += Q[i * d + t] * Q[j * d + t];
                for (int64_t t = 0; t < d; t++)
                    Q[i * d + t] -= c * Q[j * d + t];
            }
            double n = 0.0;
            for (int64_t t = 0; t < d; t++)
                n += Q[i * d + t] * Q[i * d + t];
            for (int64_t t = 0; t < d; t++)
                Q[i * d + t] /= sqrt(n);
        }
}

/* G += w (u v^T - v u^T), u and v rows of length d. */
static void add_rot(double *G, int64_t d, const double *u, const double *v, double w)
{
    for (int64_t a = 0; a < d; a++)
        for (int64_t b = 0; b < d; b++)
            G[a * d + b] += w * (u[a] * v[b] - v[a] * u[b]);
}

static void to_float(float *dst, const double *src, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
}

/* ------------------------------------------------- create, info, get */

START_TEST(test_create_info_get)
{
    const int32_t params[] = {CPAE_LIE_GENERAL, CPAE_LIE_SKEW, CPAE_LIE_FIXED};
    for (int p = 0; p < 3; p++) {
        const int64_t d = 4, k = 3, nn = d * d;
        cpae_lie *lie = make_lie(d, k, params[p], 42);
        int64_t dd = 0, kk = 0;
        int32_t pp = -1;
        CK_OK(cpae_lie_info(lie, &dd, &kk, &pp));
        ck_assert_int_eq(dd, d);
        ck_assert_int_eq(kk, k);
        ck_assert_int_eq(pp, params[p]);
        CK_OK(cpae_lie_info(lie, NULL, NULL, NULL));
        float *g = falloc(k * nn);
        CK_OK(cpae_lie_get(lie, g, k * nn));
        assert_orthonormal(g, k, nn, 1e-6);
        if (params[p] == CPAE_LIE_SKEW) {
            for (int64_t j = 0; j < k; j++)
                assert_exactly_skew(g + j * nn, d);
        } else {
            /* General random matrices: clearly not symmetric or skew. */
            double asym = 0.0;
            for (int64_t a = 0; a < d; a++)
                for (int64_t b = 0; b < d; b++)
                    asym += fabs(g[a * d + b] + g[b * d + a]);
            ck_assert(asym > 0.1);
        }
        free(g);
        cpae_lie_destroy(lie);
    }
    /* k = 1 and the largest k allowed. */
    cpae_lie *lie = make_lie(3, 9, CPAE_LIE_GENERAL, 5);
    float g9[81];
    CK_OK(cpae_lie_get(lie, g9, 81));
    assert_orthonormal(g9, 9, 9, 1e-6);
    cpae_lie_destroy(lie);
    lie = make_lie(3, 3, CPAE_LIE_SKEW, 5);
    CK_OK(cpae_lie_get(lie, g9, 27));
    assert_orthonormal(g9, 3, 9, 1e-6);
    cpae_lie_destroy(lie);
    lie = make_lie(1, 1, CPAE_LIE_GENERAL, 5);
    CK_OK(cpae_lie_get(lie, g9, 1));
    ck_assert(fabs(fabs(g9[0]) - 1.0f) == 0.0f);
    cpae_lie_destroy(lie);
    cpae_lie_destroy(NULL);
}
END_TEST

START_TEST(test_determinism_and_clone)
{
    const int64_t d = 5, k = 2, nn = d * d;
    float a[50], b[50], c[50];
    cpae_lie *la = make_lie(d, k, CPAE_LIE_SKEW, 1234);
    cpae_lie *lb = make_lie(d, k, CPAE_LIE_SKEW, 1234);
    cpae_lie *lc = make_lie(d, k, CPAE_LIE_SKEW, 1235);
    CK_OK(cpae_lie_get(la, a, k * nn));
    CK_OK(cpae_lie_get(lb, b, k * nn));
    CK_OK(cpae_lie_get(lc, c, k * nn));
    ck_assert(memcmp(a, b, sizeof a) == 0);
    ck_assert(memcmp(a, c, sizeof a) != 0);

    cpae_lie *cl = NULL;
    CK_OK(cpae_lie_clone(la, &cl));
    int64_t dd, kk;
    int32_t pp;
    CK_OK(cpae_lie_info(cl, &dd, &kk, &pp));
    ck_assert(dd == d && kk == k && pp == CPAE_LIE_SKEW);
    CK_OK(cpae_lie_get(cl, b, k * nn));
    ck_assert(memcmp(a, b, sizeof a) == 0);
    /* Deep copy: changing the clone leaves the original alone. */
    CK_OK(cpae_lie_set(cl, c, k * nn));
    CK_OK(cpae_lie_get(la, b, k * nn));
    ck_assert(memcmp(a, b, sizeof a) == 0);
    cpae_lie_destroy(cl);
    cpae_lie_destroy(la);
    cpae_lie_destroy(lb);
    cpae_lie_destroy(lc);
}
END_TEST

/* ------------------------------------------------------------- set */

START_TEST(test_set_normalises)
{
    const int64_t d = 3, nn = 9;
    uint64_t s = 7;
    float G[18], in[18], out[18];
    tu_fill(G, 18, 1.0, &s);
    /* k = 1: set 3 G, get G / ||G||. */
    cpae_lie *lie = make_lie(d, 1, CPAE_LIE_GENERAL, 1);
    for (int i = 0; i < 9; i++)
        in[i] = 3.0f * G[i];
    CK_OK(cpae_lie_set(lie, in, nn));
    CK_OK(cpae_lie_get(lie, out, nn));
    double n0 = fnorm(G, nn);
    for (int i = 0; i < 9; i++)
        ck_assert_msg(fabs(out[i] - G[i] / n0) < 1e-6, "entry %d", i);
    cpae_lie_destroy(lie);

    /* k = 2: Gram-Schmidt, Q1 = G1/||G1||, Q2 = (G2 - <Q1,G2> Q1)/norm. */
    lie = make_lie(d, 2, CPAE_LIE_FIXED, 1);
    CK_OK(cpae_lie_set(lie, G, 18));
    CK_OK(cpae_lie_get(lie, out, 18));
    double q1[9], q2[9], c = 0.0, n2 = 0.0;
    for (int i = 0; i < 9; i++)
        q1[i] = G[i] / n0;
    for (int i = 0; i < 9; i++)
        c += q1[i] * G[9 + i];
    for (int i = 0; i < 9; i++) {
        q2[i] = G[9 + i] - c * q1[i];
        n2 += q2[i] * q2[i];
    }
    for (int i = 0; i < 9; i++) {
        ck_assert(fabs(out[i] - q1[i]) < 1e-6);
        ck_assert(fabs(out[9 + i] - q2[i] / sqrt(n2)) < 1e-6);
    }
    assert_orthonormal(out, 2, nn, 1e-6);
    cpae_lie_destroy(lie);

    /* SKEW: a skew matrix with a tiny (1e-8 relative) symmetric error is
     * accepted and stored exactly skew. */
    float S[9] = {0.0f, -1.0f, 2.0f, 1.0f, 0.0f, -0.5f, -2.0f, 0.5f, 0.0f};
    S[1] = -1.0f + 1e-7f; /* ||S + S^T|| / ||S|| ~ 4e-8 */
    lie = make_lie(d, 1, CPAE_LIE_SKEW, 1);
    CK_OK(cpae_lie_set(lie, S, 9));
    CK_OK(cpae_lie_get(lie, out, 9));
    assert_exactly_skew(out, d);
    ck_assert(fabs(fnorm(out, 9) - 1.0) < 1e-6);
    cpae_lie_destroy(lie);
}
END_TEST

START_TEST(test_set_refusals_leave_unchanged)
{
    const int64_t d = 3, nn = 9;
    float before[27], after[27], in[27];
    uint64_t s = 99;

    /* A non-skew matrix into SKEW. */
    cpae_lie *lie = make_lie(d, 1, CPAE_LIE_SKEW, 3);
    CK_OK(cpae_lie_get(lie, before, nn));
    tu_fill(in, nn, 1.0, &s);
    CK_ERR(cpae_lie_set(lie, in, nn), CPAE_E_INVALID);
    ck_assert(strstr(cpae_last_error(), "skew") != NULL);
    /* Just above the 1e-6 tolerance. */
    float S[9] = {0.0f, -1.0f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    S[1] = -1.0f + 1e-5f;
    CK_ERR(cpae_lie_set(lie, S, 9), CPAE_E_INVALID);
    CK_OK(cpae_lie_get(lie, after, nn));
    ck_assert(memcmp(before, after, (size_t)nn * sizeof(float)) == 0);
    cpae_lie_destroy(lie);

    /* Linearly dependent generators. */
    lie = make_lie(d, 3, CPAE_LIE_GENERAL, 3);
    CK_OK(cpae_lie_get(lie, before, 27));
    tu_fill(in, 27, 1.0, &s);
    for (int i = 0; i < 9; i++)
        in[9 + i] = -2.0f * in[i]; /* G2 = -2 G1, exactly */
    CK_ERR(cpae_lie_set(lie, in, 27), CPAE_E_INVALID);
    ck_assert(strstr(cpae_last_error(), "dependent") != NULL);
    tu_fill(in, 27, 1.0, &s);
    for (int i = 0; i < 9; i++)
        in[18 + i] = in[i] - 0.75f * in[9 + i]; /* G3 in span(G1, G2), rounded */
    CK_ERR(cpae_lie_set(lie, in, 27), CPAE_E_INVALID);
    ck_assert(strstr(cpae_last_error(), "dependent") != NULL);
    /* A zero generator. */
    tu_fill(in, 27, 1.0, &s);
    memset(in + 9, 0, 9 * sizeof(float));
    CK_ERR(cpae_lie_set(lie, in, 27), CPAE_E_INVALID);
    ck_assert(strstr(cpae_last_error(), "zero") != NULL);
    /* Non-finite input. */
    tu_fill(in, 27, 1.0, &s);
    in[20] = NAN;
    CK_ERR(cpae_lie_set(lie, in, 27), CPAE_E_NONFINITE);
    in[20] = INFINITY;
    CK_ERR(cpae_lie_set(lie, in, 27), CPAE_E_NONFINITE);
    /* Wrong length. */
    in[20] = 0.5f;
    CK_ERR(cpae_lie_set(lie, in, 26), CPAE_E_SIZE);
    CK_ERR(cpae_lie_set(lie, in, 28), CPAE_E_SIZE);
    CK_ERR(cpae_lie_set(lie, in, 9), CPAE_E_SIZE);
    CK_ERR(cpae_lie_set(NULL, in, 27), CPAE_E_NULL);
    CK_ERR(cpae_lie_set(lie, NULL, 27), CPAE_E_NULL);
    CK_OK(cpae_lie_get(lie, after, 27));
    ck_assert(memcmp(before, after, sizeof before) == 0);
    /* Three independent ones are then accepted. */
    CK_OK(cpae_lie_set(lie, in, 27));
    CK_OK(cpae_lie_get(lie, after, 27));
    assert_orthonormal(after, 3, nn, 1e-6);
    cpae_lie_destroy(lie);
}
END_TEST

/* ------------------------------------------------------------- expm */

START_TEST(test_expm_so2)
{
    /* G = [[0,-1],[1,0]] normalised to [[0,-1],[1,0]]/sqrt(2), so
     * exp(theta G) is the rotation by theta/sqrt(2). */
    const float R[4] = {0.0f, -1.0f, 1.0f, 0.0f};
    const int32_t params[] = {CPAE_LIE_GENERAL, CPAE_LIE_SKEW};
    for (int p = 0; p < 2; p++) {
        cpae_lie *lie = lie_with(2, 1, params[p], R);
        float g[4], e[4];
        CK_OK(cpae_lie_get(lie, g, 4));
        ck_assert(fabs(g[1] + 1.0 / sqrt(2.0)) < 1e-7 && fabs(g[2] - 1.0 / sqrt(2.0)) < 1e-7);
        const double thetas[] = {0.0, 0.3, -1.1, 2.0, 7.5, -20.0};
        for (int t = 0; t < 6; t++) {
            CK_OK(cpae_lie_expm(lie, &thetas[t], 1, e, 4));
            double a = thetas[t] / sqrt(2.0), c = cos(a), s = sin(a);
            ck_assert_msg(fabs(e[0] - c) < 1e-6 && fabs(e[1] + s) < 1e-6 &&
                          fabs(e[2] - s) < 1e-6 && fabs(e[3] - c) < 1e-6,
                          "theta %g: [%g %g; %g %g]", thetas[t], (double)e[0],
                          (double)e[1], (double)e[2], (double)e[3]);
        }
        /* theta = 0: exactly the identity. */
        double zero = 0.0;
        CK_OK(cpae_lie_expm(lie, &zero, 1, e, 4));
        ck_assert(e[0] == 1.0f && e[1] == 0.0f && e[2] == 0.0f && e[3] == 1.0f);
        cpae_lie_destroy(lie);
    }
}
END_TEST

START_TEST(test_expm_inverse)
{
    const int64_t d = 5, k = 3, nn = d * d;
    const int32_t params[] = {CPAE_LIE_GENERAL, CPAE_LIE_SKEW};
    for (int p = 0; p < 2; p++) {
        cpae_lie *lie = make_lie(d, k, params[p], 77);
        double th[3] = {0.7, -0.4, 1.3}, nth[3] = {-0.7, 0.4, -1.3};
        float A[25], B[25];
        CK_OK(cpae_lie_expm(lie, th, k, A, nn));
        CK_OK(cpae_lie_expm(lie, nth, k, B, nn));
        for (int64_t i = 0; i < d; i++)
            for (int64_t j = 0; j < d; j++) {
                double s = 0.0;
                for (int64_t t = 0; t < d; t++)
                    s += (double)A[i * d + t] * (double)B[t * d + j];
                ck_assert_msg(fabs(s - (i == j)) < 1e-5, "(%lld,%lld): %g", (long long)i,
                              (long long)j, s);
            }
        if (params[p] == CPAE_LIE_SKEW) /* exp of a skew matrix: A^T A = I */
            for (int64_t i = 0; i < d; i++)
                for (int64_t j = 0; j < d; j++) {
                    double s = 0.0;
                    for (int64_t t = 0; t < d; t++)
                        s += (double)A[t * d + i] * (double)A[t * d + j];
                    ck_assert(fabs(s - (i == j)) < 1e-5);
                }
        cpae_lie_destroy(lie);
    }
}
END_TEST

/* ------------------------------------------------------------- orbits */

START_TEST(test_orbit_so2)
{
    const float R[4] = {0.0f, -1.0f, 1.0f, 0.0f};
    const int32_t params[] = {CPAE_LIE_GENERAL, CPAE_LIE_SKEW, CPAE_LIE_FIXED};
    enum { NT = 9 };
    double thetas[NT];
    for (int t = 0; t < NT; t++)
        thetas[t] = -6.0 + 1.5 * t;
    for (int p = 0; p < 3; p++) {
        cpae_lie *lie = lie_with(2, 1, params[p], R);
        const float x0[2] = {2.0f, 0.0f};
        float out[2 * NT];
        CK_OK(cpae_lie_orbit(lie, 0, x0, 2, thetas, NT, out, 2 * NT));
        for (int t = 0; t < NT; t++) {
            double a = thetas[t] / sqrt(2.0);
            ck_assert(fabs(fnorm(out + 2 * t, 2) - 2.0) < 1e-5);
            ck_assert_msg(fabs(out[2 * t] - 2.0 * cos(a)) < 1e-5 &&
                          fabs(out[2 * t + 1] - 2.0 * sin(a)) < 1e-5,
                          "theta %g: (%g, %g)", thetas[t], (double)out[2 * t],
                          (double)out[2 * t + 1]);
        }
        cpae_lie_destroy(lie);
    }
    /* A non-skew generator (general path): N = [[0,1],[0,0]] is nilpotent,
     * exp(t N) = I + t N, so (a, b) -> (a + t b, b). */
    const float N[4] = {0.0f, 1.0f, 0.0f, 0.0f};
    cpae_lie *lie = lie_with(2, 1, CPAE_LIE_GENERAL, N);
    const float x0[2] = {0.5f, -1.5f};
    float out[2 * NT];
    CK_OK(cpae_lie_orbit(lie, 0, x0, 2, thetas, NT, out, 2 * NT));
    for (int t = 0; t < NT; t++) {
        ck_assert(fabs(out[2 * t] - (0.5 - 1.5 * thetas[t])) < 1e-5);
        ck_assert(fabs(out[2 * t + 1] + 1.5) < 1e-6);
    }
    /* Orbit rows agree with expm applied to x0, generator by generator. */
    cpae_lie_destroy(lie);
    lie = make_lie(4, 2, CPAE_LIE_GENERAL, 8);
    const float y0[4] = {1.0f, -0.5f, 0.25f, 2.0f};
    for (int64_t j = 0; j < 2; j++) {
        double th = 0.9, tv[2] = {0.0, 0.0};
        tv[j] = th;
        float E[16], o[4];
        CK_OK(cpae_lie_expm(lie, tv, 2, E, 16));
        CK_OK(cpae_lie_orbit(lie, j, y0, 4, &th, 1, o, 4));
        for (int i = 0; i < 4; i++) {
            double s = 0.0;
            for (int t = 0; t < 4; t++)
                s += (double)E[i * 4 + t] * y0[t];
            ck_assert(fabs(s - o[i]) < 1e-5);
        }
    }
    cpae_lie_destroy(lie);
}
END_TEST

START_TEST(test_shift_generator)
{
    enum { D = 32 };
    float *G = falloc(D * D);
    CK_OK(cpae_shift_generator(D, G, D * D));
    assert_exactly_skew(G, D);
    /* Circulant: G[a][b] depends on (a - b) mod D only (to rounding: the
     * wrapped entries come from another argument of the same periodic
     * formula). */
    for (int a = 0; a < D; a++)
        for (int b = 0; b < D; b++)
            ck_assert(fabs(G[a * D + b] - G[((a + 1) % D) * D + (b + 1) % D]) < 1e-6);
    double gn = fnorm(G, D * D);

    /* Normalised into a SKEW lie: a shift by one sample is theta = ||G||. */
    cpae_lie *lie = lie_with(D, 1, CPAE_LIE_SKEW, G);
    float x0[D];
    for (int j = 0; j < D; j++) {
        double t = 2.0 * PI * j / D;
        x0[j] = (float)(1.0 + sin(t) + 0.5 * cos(2.0 * t + 0.3) - 0.25 * sin(5.0 * t + 1.0) +
                        0.1 * cos(11.0 * t));
    }
    const int shifts[] = {1, 2, 3, 5, -1, -7, 16, 31, 64};
    enum { NS = sizeof shifts / sizeof shifts[0] };
    double thetas[NS];
    for (int s = 0; s < NS; s++)
        thetas[s] = shifts[s] * gn;
    float out[NS * D];
    CK_OK(cpae_lie_orbit(lie, 0, x0, D, thetas, NS, out, NS * D));
    for (int s = 0; s < NS; s++)
        for (int j = 0; j < D; j++) {
            int src = (((j - shifts[s]) % D) + D) % D;
            ck_assert_msg(fabs(out[s * D + j] - x0[src]) < 1e-4, "shift %d, sample %d: %g vs %g",
                          shifts[s], j, (double)out[s * D + j], (double)x0[src]);
        }
    /* Half a sample: the trigonometric interpolant at j - 1/2. */
    double half = 0.5 * gn;
    CK_OK(cpae_lie_orbit(lie, 0, x0, D, &half, 1, out, D));
    for (int j = 0; j < D; j++) {
        double t = 2.0 * PI * (j - 0.5) / D;
        double want = 1.0 + sin(t) + 0.5 * cos(2.0 * t + 0.3) - 0.25 * sin(5.0 * t + 1.0) +
                      0.1 * cos(11.0 * t);
        ck_assert(fabs(out[j] - want) < 1e-4);
    }
    cpae_lie_destroy(lie);

    /* Odd d and the smallest sizes. */
    float g1[1] = {5.0f}, g3[9];
    CK_OK(cpae_shift_generator(1, g1, 1));
    ck_assert(g1[0] == 0.0f);
    CK_OK(cpae_shift_generator(3, g3, 9));
    assert_exactly_skew(g3, 3);
    /* d = 3, odd: G_jl = -(pi/3) (-1)^(j-l) csc(pi (j-l)/3). */
    double want01 = -(PI / 3.0) * (-1.0) / sin(-PI / 3.0);
    ck_assert(fabs(g3[1] - want01) < 1e-6);

    /* Errors. */
    CK_ERR(cpae_shift_generator(D, NULL, D * D), CPAE_E_NULL);
    CK_ERR(cpae_shift_generator(0, G, D * D), CPAE_E_SIZE);
    CK_ERR(cpae_shift_generator(-3, G, D * D), CPAE_E_SIZE);
    CK_ERR(cpae_shift_generator(D, G, D * D - 1), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_shift_generator((int64_t)1 << 40, G, D * D), CPAE_E_SIZE);
    free(G);
}
END_TEST

/* ------------------------------------------------------------- cosine */

START_TEST(test_cosine_basic)
{
    const int64_t d = 5, nn = 25;
    cpae_lie *lie = make_lie(d, 2, CPAE_LIE_SKEW, 11);
    float g[50], neg[25], ref[25];
    CK_OK(cpae_lie_get(lie, g, 50));
    for (int i = 0; i < 25; i++)
        neg[i] = -3.0f * g[i];
    double full = -1.0, res = -1.0;
    CK_OK(cpae_lie_cosine(lie, 0, g, nn, NULL, 0, &full, &res));
    ck_assert(fabs(full - 1.0) < 1e-7);
    ck_assert(isnan(res));
    CK_OK(cpae_lie_cosine(lie, 0, neg, nn, NULL, 0, &full, NULL));
    ck_assert(fabs(full - 1.0) < 1e-7);
    CK_OK(cpae_lie_cosine(lie, 0, g + 25, nn, NULL, 0, &full, &res));
    ck_assert(full < 1e-6);
    CK_OK(cpae_lie_cosine(lie, 1, g + 25, nn, NULL, 0, &full, &res));
    ck_assert(fabs(full - 1.0) < 1e-7);
    CK_OK(cpae_lie_cosine(lie, 1, g, nn, NULL, 0, NULL, NULL));

    /* A random reference: the definition. */
    uint64_t s = 5;
    tu_fill(ref, nn, 2.0, &s);
    CK_OK(cpae_lie_cosine(lie, 1, ref, nn, NULL, 0, &full, NULL));
    double want = fabs(fdot(g + 25, ref, nn)) / (fnorm(g + 25, nn) * fnorm(ref, nn));
    ck_assert(fabs(full - want) < 1e-6);

    /* Points spanning everything: restricted == full. Small n (one SVD)
     * and large n (the blocked summary). */
    const int64_t ns[] = {5, 12, 2500};
    for (int t = 0; t < 3; t++) {
        float *pts = falloc(ns[t] * d);
        tu_fill(pts, ns[t] * d, 1.0, &s);
        double f2 = 0.0, r2 = 0.0;
        CK_OK(cpae_lie_cosine(lie, 1, ref, nn, pts, ns[t], &f2, &r2));
        ck_assert(fabs(f2 - want) < 1e-6);
        ck_assert_msg(fabs(r2 - f2) < 1e-9, "n = %lld: restricted %.12g, full %.12g",
                      (long long)ns[t], r2, f2);
        free(pts);
    }
    cpae_lie_destroy(lie);
}
END_TEST

START_TEST(test_cosine_restricted)
{
    /* Points span a plane; G is the rotation in that plane; the reference
     * adds a large rotation supported on the orthogonal complement. The
     * data cannot see that part: full cosine small, restricted exactly 1. */
    enum { D = 6 };
    const int64_t nn = D * D;
    double Q[D * D], Gd[D * D], Rd[D * D];
    float G[D * D], Rf[D * D];
    for (int rotated = 0; rotated < 2; rotated++) {
        if (rotated) {
            random_orthogonal(Q, D, 31);
        } else {
            memset(Q, 0, sizeof Q);
            for (int i = 0; i < D; i++)
                Q[i * D + i] = 1.0;
        }
        memset(Gd, 0, sizeof Gd);
        add_rot(Gd, D, Q + D, Q, 1.0); /* q1 q0^T - q0 q1^T */
        memcpy(Rd, Gd, sizeof Gd);
        add_rot(Rd, D, Q + 3 * D, Q + 2 * D, 10.0);
        add_rot(Rd, D, Q + 5 * D, Q + 4 * D, 10.0);
        to_float(G, Gd, nn);
        to_float(Rf, Rd, nn);
        cpae_lie *lie = lie_with(D, 1, CPAE_LIE_GENERAL, G);

        /* Points on a circle in the plane of q0, q1 (float-rounded, so not
         * exactly in the plane when rotated). */
        const int64_t ns[] = {20, 3000};
        for (int t = 0; t < 2; t++) {
            int64_t n = ns[t];
            float *pts = falloc(n * D);
            for (int64_t i = 0; i < n; i++) {
                double a = 0.37 * (double)i, r = 1.0 + 0.5 * sin(0.11 * (double)i);
                for (int c = 0; c < D; c++)
                    pts[i * D + c] = (float)(r * (cos(a) * Q[c] + sin(a) * Q[D + c]));
            }
            double full = -1.0, res = -1.0;
            CK_OK(cpae_lie_cosine(lie, 0, Rf, nn, pts, n, &full, &res));
            /* <G,R> = ||G||^2 = 2, ||R||^2 = 2 + 100 * 4. */
            double want_full = 2.0 / (sqrt(2.0) * sqrt(402.0));
            ck_assert_msg(fabs(full - want_full) < 1e-5, "full %.9g", full);
            ck_assert_msg(fabs(res - 1.0) < 1e-6, "rotated %d, n %lld: restricted %.12g",
                          rotated, (long long)n, res);

            /* The other way round: the reference is the junk alone; on the
             * plane it vanishes. */
            double Jd[D * D];
            float Jf[D * D];
            memset(Jd, 0, sizeof Jd);
            add_rot(Jd, D, Q + 3 * D, Q + 2 * D, 1.0);
            to_float(Jf, Jd, nn);
            double sentinel = 123.0, sr = 456.0;
            CK_ERR(cpae_lie_cosine(lie, 0, Jf, nn, pts, n, &sentinel, &sr), CPAE_E_INVALID);
            ck_assert(sentinel == 123.0 && sr == 456.0);
            free(pts);
        }
        /* Points on a line: a rotation restricted to a line is zero. */
        float line[3 * D];
        for (int i = 0; i < 3; i++)
            for (int c = 0; c < D; c++)
                line[i * D + c] = (float)((i + 1.0) * Q[c]);
        double f = 0.0, r = 0.0;
        CK_ERR(cpae_lie_cosine(lie, 0, Rf, nn, line, 3, &f, &r), CPAE_E_INVALID);
        cpae_lie_destroy(lie);
    }

    /* Restricted cosine is that of P G P and P R P, checked against an
     * explicit projector: span of e0, e1, e2 (axis-aligned, exact). */
    cpae_lie *lie = make_lie(D, 1, CPAE_LIE_GENERAL, 2);
    float g[D * D], ref[D * D], pts[4 * D];
    CK_OK(cpae_lie_get(lie, g, nn));
    uint64_t s = 17;
    tu_fill(ref, nn, 1.0, &s);
    memset(pts, 0, sizeof pts);
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < 3; c++)
            pts[i * D + c] = (float)tu_uniform(&s);
    double pg[D * D], pr[D * D];
    for (int a = 0; a < D; a++)
        for (int b = 0; b < D; b++) {
            bool in = a < 3 && b < 3;
            pg[a * D + b] = in ? g[a * D + b] : 0.0;
            pr[a * D + b] = in ? ref[a * D + b] : 0.0;
        }
    double ip = 0.0, ng = 0.0, nr = 0.0;
    for (int i = 0; i < D * D; i++) {
        ip += pg[i] * pr[i];
        ng += pg[i] * pg[i];
        nr += pr[i] * pr[i];
    }
    double full = 0.0, res = 0.0;
    CK_OK(cpae_lie_cosine(lie, 0, ref, nn, pts, 4, &full, &res));
    ck_assert_msg(fabs(res - fabs(ip) / sqrt(ng * nr)) < 1e-6, "restricted %.9g, want %.9g",
                  res, fabs(ip) / sqrt(ng * nr));
    cpae_lie_destroy(lie);
}
END_TEST

/* ------------------------------------------------------------- errors */

START_TEST(test_errors_create)
{
    cpae_lie *lie = (cpae_lie *)(uintptr_t)1, *orig = lie;
    CK_ERR(cpae_lie_create(3, 1, CPAE_LIE_GENERAL, 1, NULL), CPAE_E_NULL);
    CK_ERR(cpae_lie_create(0, 1, CPAE_LIE_GENERAL, 1, &lie), CPAE_E_SIZE);
    CK_ERR(cpae_lie_create(-2, 1, CPAE_LIE_GENERAL, 1, &lie), CPAE_E_SIZE);
    CK_ERR(cpae_lie_create(3, 0, CPAE_LIE_GENERAL, 1, &lie), CPAE_E_SIZE);
    CK_ERR(cpae_lie_create(3, -1, CPAE_LIE_GENERAL, 1, &lie), CPAE_E_SIZE);
    CK_ERR(cpae_lie_create(3, 10, CPAE_LIE_GENERAL, 1, &lie), CPAE_E_SIZE);
    /* Skew: at most d(d-1)/2 independent generators; none for d = 1. */
    CK_ERR(cpae_lie_create(3, 4, CPAE_LIE_SKEW, 1, &lie), CPAE_E_SIZE);
    CK_ERR(cpae_lie_create(1, 1, CPAE_LIE_SKEW, 1, &lie), CPAE_E_SIZE);
    CK_ERR(cpae_lie_create(3, 1, 3, 1, &lie), CPAE_E_INVALID);
    CK_ERR(cpae_lie_create(3, 1, -1, 1, &lie), CPAE_E_INVALID);
    CK_ERR(cpae_lie_create(3, 1, 1000, 1, &lie), CPAE_E_INVALID);
    CK_ERR(cpae_lie_create((int64_t)CPAE_MAX_WIDTH + 1, 1, CPAE_LIE_GENERAL, 1, &lie),
           CPAE_E_LIMIT);
    CK_ERR(cpae_lie_create(INT64_MAX, 1, CPAE_LIE_GENERAL, 1, &lie), CPAE_E_LIMIT);
    /* d*d = 2^34 > CPAE_MAX_PARAMS; and k*d*d over the limit. */
    CK_ERR(cpae_lie_create((int64_t)1 << 17, 1, CPAE_LIE_GENERAL, 1, &lie), CPAE_E_LIMIT);
    CK_ERR(cpae_lie_create((int64_t)1 << 15, 5, CPAE_LIE_GENERAL, 1, &lie), CPAE_E_LIMIT);
    CK_ERR(cpae_lie_create((int64_t)1 << 24, (int64_t)1 << 40, CPAE_LIE_GENERAL, 1, &lie),
           CPAE_E_LIMIT);
    ck_assert_ptr_eq(lie, orig);

    CK_ERR(cpae_lie_clone(NULL, &lie), CPAE_E_NULL);
    cpae_lie *l = make_lie(3, 1, CPAE_LIE_GENERAL, 1);
    CK_ERR(cpae_lie_clone(l, NULL), CPAE_E_NULL);
    CK_ERR(cpae_lie_info(NULL, NULL, NULL, NULL), CPAE_E_NULL);
    float g[9];
    CK_ERR(cpae_lie_get(NULL, g, 9), CPAE_E_NULL);
    CK_ERR(cpae_lie_get(l, NULL, 9), CPAE_E_NULL);
    CK_ERR(cpae_lie_get(l, g, 8), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_lie_get(l, g, -1), CPAE_E_BUFFER_TOO_SMALL);
    /* A success clears the message. */
    CK_OK(cpae_lie_get(l, g, 9));
    ck_assert_str_eq(cpae_last_error(), "");
    cpae_lie_destroy(l);
}
END_TEST

START_TEST(test_errors_expm_orbit)
{
    const int64_t d = 3;
    cpae_lie *lie = make_lie(d, 2, CPAE_LIE_GENERAL, 4);
    double th[2] = {0.1, 0.2};
    float e[9], keep[9];
    for (int i = 0; i < 9; i++)
        e[i] = keep[i] = -7.0f;
    CK_ERR(cpae_lie_expm(NULL, th, 2, e, 9), CPAE_E_NULL);
    CK_ERR(cpae_lie_expm(lie, NULL, 2, e, 9), CPAE_E_NULL);
    CK_ERR(cpae_lie_expm(lie, th, 2, NULL, 9), CPAE_E_NULL);
    CK_ERR(cpae_lie_expm(lie, th, 1, e, 9), CPAE_E_SIZE);
    CK_ERR(cpae_lie_expm(lie, th, 3, e, 9), CPAE_E_SIZE);
    CK_ERR(cpae_lie_expm(lie, th, 0, e, 9), CPAE_E_SIZE);
    CK_ERR(cpae_lie_expm(lie, th, 2, e, 8), CPAE_E_BUFFER_TOO_SMALL);
    th[1] = NAN;
    CK_ERR(cpae_lie_expm(lie, th, 2, e, 9), CPAE_E_NONFINITE);
    th[1] = -INFINITY;
    CK_ERR(cpae_lie_expm(lie, th, 2, e, 9), CPAE_E_NONFINITE);
    ck_assert(memcmp(e, keep, sizeof e) == 0);
    cpae_lie_destroy(lie);

    /* Overflow: exp(t I/sqrt(3)) with t = 300 fits a double but not a
     * float; with t = 1e4 not even a double. */
    const float I3[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    lie = lie_with(d, 1, CPAE_LIE_GENERAL, I3);
    double big = 300.0;
    CK_ERR(cpae_lie_expm(lie, &big, 1, e, 9), CPAE_E_NUMERIC);
    big = 1e4;
    CK_ERR(cpae_lie_expm(lie, &big, 1, e, 9), CPAE_E_NUMERIC);
    ck_assert(memcmp(e, keep, sizeof e) == 0);
    float x0[3] = {1.0f, 2.0f, 3.0f}, out[6];
    big = 300.0;
    CK_ERR(cpae_lie_orbit(lie, 0, x0, d, &big, 1, out, 6), CPAE_E_NUMERIC);
    cpae_lie_destroy(lie);

    lie = make_lie(d, 2, CPAE_LIE_SKEW, 4);
    double ts[2] = {0.5, -0.5};
    CK_ERR(cpae_lie_orbit(NULL, 0, x0, d, ts, 2, out, 6), CPAE_E_NULL);
    CK_ERR(cpae_lie_orbit(lie, 0, NULL, d, ts, 2, out, 6), CPAE_E_NULL);
    CK_ERR(cpae_lie_orbit(lie, 0, x0, d, NULL, 2, out, 6), CPAE_E_NULL);
    CK_ERR(cpae_lie_orbit(lie, 0, x0, d, ts, 2, NULL, 6), CPAE_E_NULL);
    CK_ERR(cpae_lie_orbit(lie, -1, x0, d, ts, 2, out, 6), CPAE_E_INVALID);
    CK_ERR(cpae_lie_orbit(lie, 2, x0, d, ts, 2, out, 6), CPAE_E_INVALID);
    CK_ERR(cpae_lie_orbit(lie, 0, x0, d - 1, ts, 2, out, 6), CPAE_E_SIZE);
    CK_ERR(cpae_lie_orbit(lie, 0, x0, d + 1, ts, 2, out, 8), CPAE_E_SIZE);
    CK_ERR(cpae_lie_orbit(lie, 0, x0, d, ts, 0, out, 6), CPAE_E_SIZE);
    CK_ERR(cpae_lie_orbit(lie, 0, x0, d, ts, -2, out, 6), CPAE_E_SIZE);
    CK_ERR(cpae_lie_orbit(lie, 0, x0, d, ts, INT64_MAX, out, 6), CPAE_E_SIZE);
    CK_ERR(cpae_lie_orbit(lie, 0, x0, d, ts, 2, out, 5), CPAE_E_BUFFER_TOO_SMALL);
    x0[1] = NAN;
    CK_ERR(cpae_lie_orbit(lie, 0, x0, d, ts, 2, out, 6), CPAE_E_NONFINITE);
    x0[1] = 2.0f;
    ts[1] = INFINITY;
    CK_ERR(cpae_lie_orbit(lie, 0, x0, d, ts, 2, out, 6), CPAE_E_NONFINITE);
    ts[1] = NAN;
    CK_ERR(cpae_lie_orbit(lie, 1, x0, d, ts, 2, out, 6), CPAE_E_NONFINITE);
    ts[1] = -0.5;
    CK_OK(cpae_lie_orbit(lie, 1, x0, d, ts, 2, out, 6));
    /* Skew generator: norms preserved. */
    ck_assert(fabs(fnorm(out, 3) - fnorm(x0, 3)) < 1e-5);
    ck_assert(fabs(fnorm(out + 3, 3) - fnorm(x0, 3)) < 1e-5);
    cpae_lie_destroy(lie);
}
END_TEST

START_TEST(test_errors_cosine)
{
    const int64_t d = 3, nn = 9;
    cpae_lie *lie = make_lie(d, 2, CPAE_LIE_GENERAL, 4);
    float ref[9], pts[6] = {1, 0, 0, 0, 1, 0};
    uint64_t s = 3;
    tu_fill(ref, 9, 1.0, &s);
    double f = 9.0, r = 9.0;
    CK_ERR(cpae_lie_cosine(NULL, 0, ref, nn, NULL, 0, &f, &r), CPAE_E_NULL);
    CK_ERR(cpae_lie_cosine(lie, 0, NULL, nn, NULL, 0, &f, &r), CPAE_E_NULL);
    CK_ERR(cpae_lie_cosine(lie, -1, ref, nn, NULL, 0, &f, &r), CPAE_E_INVALID);
    CK_ERR(cpae_lie_cosine(lie, 2, ref, nn, NULL, 0, &f, &r), CPAE_E_INVALID);
    CK_ERR(cpae_lie_cosine(lie, 0, ref, nn - 1, NULL, 0, &f, &r), CPAE_E_SIZE);
    CK_ERR(cpae_lie_cosine(lie, 0, ref, nn + 1, NULL, 0, &f, &r), CPAE_E_SIZE);
    CK_ERR(cpae_lie_cosine(lie, 0, ref, nn, pts, 0, &f, &r), CPAE_E_SIZE);
    CK_ERR(cpae_lie_cosine(lie, 0, ref, nn, pts, -1, &f, &r), CPAE_E_SIZE);
    CK_ERR(cpae_lie_cosine(lie, 0, ref, nn, pts, INT64_MAX, &f, &r), CPAE_E_SIZE);
    pts[4] = NAN;
    CK_ERR(cpae_lie_cosine(lie, 0, ref, nn, pts, 2, &f, &r), CPAE_E_NONFINITE);
    pts[4] = 1.0f;
    ref[3] = INFINITY;
    CK_ERR(cpae_lie_cosine(lie, 0, ref, nn, pts, 2, &f, &r), CPAE_E_NONFINITE);
    float zero[9] = {0};
    CK_ERR(cpae_lie_cosine(lie, 0, zero, nn, NULL, 0, &f, &r), CPAE_E_INVALID);
    /* All points zero: the span is {0}. */
    ref[3] = 0.5f;
    float zp[6] = {0};
    CK_ERR(cpae_lie_cosine(lie, 0, ref, nn, zp, 2, &f, &r), CPAE_E_INVALID);
    ck_assert(f == 9.0 && r == 9.0);
    /* A restricted-only query. */
    CK_OK(cpae_lie_cosine(lie, 0, ref, nn, pts, 2, NULL, &r));
    ck_assert(r >= 0.0 && r <= 1.0);
    cpae_lie_destroy(lie);
}
END_TEST

/* Trainability is separate from the structure (0.5). */
START_TEST(test_trainable_flag)
{
    cpae_lie *g = NULL, *s = NULL, *f = NULL, *c = NULL;
    int32_t tr = -1;
    CK_OK(cpae_lie_create(4, 1, CPAE_LIE_GENERAL, 1, &g));
    CK_OK(cpae_lie_create(4, 1, CPAE_LIE_SKEW, 1, &s));
    CK_OK(cpae_lie_create(4, 1, CPAE_LIE_FIXED, 1, &f));
    CK_OK(cpae_lie_trainable(g, &tr));
    ck_assert_int_eq(tr, 1);
    CK_OK(cpae_lie_trainable(f, &tr));
    ck_assert_int_eq(tr, 0);
    CK_EXPECT(cpae_lie_set_trainable(f, 1), CPAE_E_INVALID);
    CK_EXPECT(cpae_lie_set_trainable(s, 2), CPAE_E_INVALID);
    CK_EXPECT(cpae_lie_set_trainable(NULL, 0), CPAE_E_NULL);
    CK_EXPECT(cpae_lie_trainable(s, NULL), CPAE_E_NULL);
    CK_OK(cpae_lie_trainable(s, &tr));
    ck_assert_int_eq(tr, 1); /* refusals left it unchanged */
    CK_OK(cpae_lie_set_trainable(s, 0));
    CK_OK(cpae_lie_clone(s, &c)); /* the clone keeps it */
    CK_OK(cpae_lie_trainable(c, &tr));
    ck_assert_int_eq(tr, 0);
    int32_t param = -1;
    CK_OK(cpae_lie_info(c, NULL, NULL, &param));
    ck_assert_int_eq(param, CPAE_LIE_SKEW); /* the structure stays */
    cpae_lie_destroy(g);
    cpae_lie_destroy(s);
    cpae_lie_destroy(f);
    cpae_lie_destroy(c);
}
END_TEST

/* A known skew generator, not learned: the tangent exact form (skew only)
 * trains against it, the generator stays bit for bit, and the trainer's
 * parameter vector holds the weights alone. CPAE_LIE_FIXED cannot do this:
 * a general matrix has no skew path. A later change of the flag is refused. */
START_TEST(test_untrainable_skew_keeps_fast_path)
{
    const int64_t d = 6, n = 40, w[] = {6, 4, 2};
    float x[40 * 6], g0[36], g1[36];
    uint64_t seed = 11;
    for (int i = 0; i < n * d; i++)
        x[i] = (float)sin(0.7 * (i % d) + 0.3 * (i / d)) + 0.1f * (float)tu_uniform(&seed);
    for (int fixed = 0; fixed < 2; fixed++) {
        cpae_model *m = NULL;
        cpae_lie *lie = NULL;
        cpae_trainer *t = NULL;
        CK_OK(cpae_model_create_mirrored(w, 3, CPAE_ACT_RELU, 3, &m));
        CK_OK(cpae_lie_create(d, 1, fixed ? CPAE_LIE_FIXED : CPAE_LIE_SKEW, 5, &lie));
        if (!fixed)
            CK_OK(cpae_lie_set_trainable(lie, 0));
        CK_OK(cpae_lie_get(lie, g0, 36));
        CK_OK(cpae_trainer_create(m, lie, CPAE_METHOD_LIE_EXACT, &t));
        CK_OK(cpae_trainer_set_data(t, x, n, d));
        CK_OK(cpae_trainer_set_param(t, CPAE_P_LIE_FORM, CPAE_FORM_TANGENT));
        CK_OK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, 2));
        CK_OK(cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, 10));
        int64_t np = 0, nm = 0;
        CK_OK(cpae_trainer_n_params(t, &np));
        CK_OK(cpae_model_n_params(m, &nm));
        ck_assert_int_eq(np, nm);
        if (fixed) {
            CK_EXPECT(cpae_trainer_fit(t), CPAE_E_INVALID);
        } else {
            CK_OK(cpae_trainer_fit(t));
            CK_OK(cpae_lie_get(lie, g1, 36));
            ck_assert(memcmp(g0, g1, sizeof g0) == 0);
            CK_OK(cpae_lie_set_trainable(lie, 1));
            CK_EXPECT(cpae_trainer_fit(t), CPAE_E_MISMATCH);
            double terms[CPAE_N_LOSS_TERMS];
            float *gr = calloc((size_t)np, sizeof(float));
            CK_EXPECT(cpae_trainer_step(t, x, 10, d, terms, CPAE_N_LOSS_TERMS),
                      CPAE_E_MISMATCH);
            CK_EXPECT(cpae_trainer_gradient(t, x, 10, d, terms, CPAE_N_LOSS_TERMS, gr, np),
                      CPAE_E_MISMATCH);
            CK_EXPECT(cpae_trainer_apply_gradient(t, gr, np), CPAE_E_MISMATCH);
            CK_OK(cpae_lie_get(lie, g1, 36));
            ck_assert(memcmp(g0, g1, sizeof g0) == 0); /* refused steps changed nothing */
            free(gr);
        }
        cpae_trainer_destroy(t);
        cpae_lie_destroy(lie);
        cpae_model_destroy(m);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("lie");
    TCase *tc = tcase_create("lie");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_create_info_get);
    tcase_add_test(tc, test_determinism_and_clone);
    tcase_add_test(tc, test_set_normalises);
    tcase_add_test(tc, test_expm_so2);
    tcase_add_test(tc, test_expm_inverse);
    tcase_add_test(tc, test_orbit_so2);
    tcase_add_test(tc, test_shift_generator);
    tcase_add_test(tc, test_cosine_basic);
    tcase_add_test(tc, test_cosine_restricted);
    tcase_add_test(tc, test_trainable_flag);
    tcase_add_test(tc, test_untrainable_skew_keeps_fast_path);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_set_refusals_leave_unchanged);
    tcase_add_test(tc, test_errors_create);
    tcase_add_test(tc, test_errors_expm_orbit);
    tcase_add_test(tc, test_errors_cosine);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
