/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* bench_expm.c -- `make bench`: the exact Lie form's batched kernels
 * against their per-sample loops (internal API, linked with the objects):
 * cpae__skew_frechet_sum and cpae__theta_exact_many at d = 140 and 784,
 * h = 16, m = 64; and the general generator's action path (the orbit table
 * of action.h: build, theta solves, residuals, reverse mode) against the
 * per-sample Pade path it replaced. A benchmark, not a test (moved out of
 * the unit suite). */
#define _POSIX_C_SOURCE 200809L
#include "core/pool.h"
#include "lie/action.h"
#include "lie/orbit.h"
#include "lie/pade.h"
#include "lie/skew.h"
#include "lie/theta.h"
#include "net/net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CK_OK(call)                                                            \
    do {                                                                       \
        int32_t st_ = (call);                                                  \
        if (st_ != CPAE_OK) {                                                  \
            fprintf(stderr, "%s failed: %s\n", #call, cpae_last_error());      \
            exit(2);                                                           \
        }                                                                      \
    } while (0)
#define ck_assert(c) ((c) ? (void)0 : (fprintf(stderr, "check failed: %s\n", #c), exit(2)))

static double tu_uniform(uint64_t *s) /* [-1, 1), as the tests' generator */
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-52 - 1.0;
}

static double *dnew(int64_t n)
{
    double *p = calloc((size_t)n, sizeof(double));
    if (!p)
        abort();
    return p;
}

static void random_fill(double *x, int64_t n, uint64_t *s)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = tu_uniform(s);
}

static double rel_err(const double *a, const double *b, int64_t n)
{
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < n; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return sqrt(num / (den > 0.0 ? den : 1.0));
}

/* ------------------------------------------------------------- timing */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Prints cpae__skew_frechet_sum against the
 * per-sample loop of the exact Lie gradient (h = 16, m = 64), and the batched
 * theta solve against per-sample calls. Skipped when CPAE_NO_TIMING is set
 * (valgrind runs). */
static void frechet_sum_timing(void)
{
    const int64_t dims[] = {140, 784}, h = 16, m = 64;
    uint64_t seed = 31337;
    for (int di = 0; di < 2; di++) {
        const int64_t d = dims[di];
        double *G = dnew(d * d), *R = dnew(m * d * h), *A0 = dnew(d * h),
               *S = dnew(d * d), *Sref = dnew(d * d), *RA = dnew(d * d),
               *L = dnew(d * d), theta[64], coef[64], th[64], fv[64];
        CK_OK(cpae__shift_generator(d, G));
        random_fill(R, m * d * h, &seed);
        random_fill(A0, d * h, &seed);
        for (int64_t i = 0; i < m; i++) {
            theta[i] = 8.0 * tu_uniform(&seed);
            coef[i] = tu_uniform(&seed);
        }
        cpae__skew_eig *f = NULL;
        double t0 = now_s();
        CK_OK(cpae__skew_eig_create(G, d, &f, "test"));
        double t_eig = now_s() - t0;

        t0 = now_s();
        CK_OK(cpae__skew_frechet_sum(f, m, theta, coef, R, A0, h, S, "test"));
        double t_sum = now_s() - t0;

        t0 = now_s();
        memset(Sref, 0, (size_t)(d * d) * sizeof(double));
        for (int64_t i = 0; i < m; i++) {
            cpae__gemm(false, true, d, d, h, 1.0, R + i * d * h, h, A0, h, 0.0, RA, d);
            CK_OK(cpae__skew_frechet(f, theta[i], RA, L));
            for (int64_t e = 0; e < d * d; e++)
                Sref[e] += coef[i] * L[e];
        }
        double t_loop = now_s() - t0;
        double e = rel_err(S, Sref, d * d);
        printf("frechet sum timing d=%3lld h=%lld m=%lld: eig %.3f s, sum %.3f s, "
               "per-sample loop %.3f s (x%.1f), rel diff %.2e\n",
               (long long)d, (long long)h, (long long)m, t_eig, t_sum, t_loop,
               t_loop / t_sum, e);
        ck_assert(e <= 1e-9);

        /* theta solves: A_i = R_i as targets */
        t0 = now_s();
        CK_OK(cpae__theta_exact_many(f, d, A0, R, m, h, 8.0, 401, th, fv, "test"));
        double t_many = now_s() - t0;
        t0 = now_s();
        double dmax = 0.0, fmaxd = 0.0;
        int same = 0;
        for (int64_t i = 0; i < m; i++) {
            double t1, f1;
            CK_OK(cpae__theta_exact(NULL, f, d, A0, R + i * d * h, h, 8.0, 401, &t1, &f1,
                                    "test"));
            dmax = fmax(dmax, fabs(t1 - th[i]));
            fmaxd = fmax(fmaxd, fabs(f1 - fv[i]) / (1.0 + f1));
            same += t1 == th[i] && f1 == fv[i];
        }
        double t_each = now_s() - t0;
        printf("theta exact timing d=%3lld h=%lld m=%lld: many %.3f s, per-sample %.3f s "
               "(x%.1f); max |dtheta| %.1e, rel |df| %.1e, %d of %lld bit-identical\n",
               (long long)d, (long long)h, (long long)m, t_many, t_each, t_each / t_many,
               dmax, fmaxd, same, (long long)m);
        cpae__skew_eig_destroy(f);
        free(G);
        free(R);
        free(A0);
        free(S);
        free(Sref);
        free(RA);
        free(L);
    }
}


/* The exact form's general path for one batch (h = 16, m = 64, theta_max
 * 3, grid 33, G random with unit Frobenius norm as cpae_lie_create makes
 * it): the action path phase by phase (a warm second run through a pool,
 * as in training), and the per-sample Pade path it replaced (theta solve,
 * expm, Frechet derivative) on a few samples, scaled to the batch (at
 * d = 784 only with BENCH_SLOW=1: minutes). */
/* The Pade path per sample (theta, exp, residual, Frechet), scaled to the
 * batch, against the action path's time. */
static void bench_pade(const double *G, const double *A0, const double *A, int64_t d,
                       int64_t h, int64_t m, int64_t len, double theta_max, int64_t n_grid,
                       double t_action)
{
    const int64_t ns = d > 200 ? 1 : 4;
    double *X = dnew(d * d), *E = dnew(d * d), *L = dnew(d * d), *RA = dnew(d * d),
           *Ri = dnew(len);
    double t0 = now_s();
    for (int64_t i = 0; i < ns; i++) {
        double t, f;
        CK_OK(cpae__theta_exact_pade(G, d, A0, A + i * len, h, theta_max, n_grid, &t, &f,
                                     "bench"));
        for (int64_t e = 0; e < d * d; e++)
            X[e] = t * G[e];
        CK_OK(cpae__expm(X, d, E, "bench"));
        cpae__gemm(false, false, d, h, d, 1.0, E, d, A0, h, 0.0, Ri, h);
        for (int64_t a = 0; a < d; a++)
            for (int64_t b = 0; b < d; b++)
                X[a * d + b] = t * G[b * d + a];
        cpae__gemm(false, true, d, d, h, 1.0, Ri, h, A0, h, 0.0, RA, d);
        CK_OK(cpae__expm_frechet(X, RA, d, NULL, L, "bench"));
    }
    double t_pade = (now_s() - t0) * (double)m / (double)ns;
    printf("Pade path   d=%3lld h=%lld m=%lld: %.1f ms (%lld sample(s) timed, scaled to "
           "%lld): x%.0f the action path\n",
           (long long)d, (long long)h, (long long)m, 1e3 * t_pade, (long long)ns,
           (long long)m, t_pade / t_action);
    free(X);
    free(E);
    free(L);
    free(RA);
    free(Ri);
}

static void action_timing(void)
{
    const int64_t dims[] = {140, 784}, h = 16, m = 64, n_grid = 33;
    const double theta_max = 3.0;
    uint64_t seed = 4242;
    for (int di = 0; di < 2; di++) {
        const int64_t d = dims[di], len = d * h;
        double *G = dnew(d * d), *A0 = dnew(len), *A = dnew(m * len), *R = dnew(m * len),
               *gG = dnew(d * d), *gA0 = dnew(len), th[64], fv[64], fro = 0.0;
        random_fill(G, d * d, &seed);
        for (int64_t e = 0; e < d * d; e++)
            fro += G[e] * G[e];
        for (int64_t e = 0; e < d * d; e++)
            G[e] /= sqrt(fro);
        random_fill(A0, len, &seed);
        /* targets near the orbit */
        cpae__action_orbit *o = NULL;
        CK_OK(cpae__action_orbit_create(G, d, A0, h, theta_max, NULL, &o, "bench"));
        for (int64_t i = 0; i < m; i++)
            th[i] = theta_max * 0.9 * tu_uniform(&seed);
        CK_OK(cpae__action_orbit_apply(o, m, th, A, NULL, "bench"));
        cpae__action_orbit_destroy(o);
        for (int64_t e = 0; e < m * len; e++)
            A[e] += 0.05 * tu_uniform(&seed);

        /* twice with a pool, as a trainer's steps run: the second is timed */
        cpae__pool pool = {{0}, 0};
        double t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
        for (int rep = 0; rep < 2; rep++) {
            if (rep)
                cpae__action_orbit_destroy(o);
            t0 = now_s();
            CK_OK(cpae__action_orbit_create(G, d, A0, h, theta_max, &pool, &o, "bench"));
            t1 = now_s();
            CK_OK(cpae__theta_exact_orbit(o, A, m, n_grid, th, fv, "bench"));
            t2 = now_s();
            CK_OK(cpae__action_orbit_apply(o, m, th, R, NULL, "bench"));
            for (int64_t e = 0; e < m * len; e++)
                R[e] -= A[e];
            t3 = now_s();
            CK_OK(cpae__action_orbit_adjoint(o, m, th, R, gG, gA0, "bench"));
            t4 = now_s();
        }
        const double t_action = t4 - t0;
        printf("action path d=%3lld h=%lld m=%lld theta_max %g: %lld anchor(s) of degree %d; "
               "table %.1f ms, theta solves %.1f ms, residuals %.1f ms, reverse mode %.1f ms; "
               "total %.1f ms\n",
               (long long)d, (long long)h, (long long)m, theta_max,
               (long long)(2 * o->side + 1), (int)o->m, 1e3 * (t1 - t0), 1e3 * (t2 - t1),
               1e3 * (t3 - t2), 1e3 * (t4 - t3), 1e3 * t_action);
        cpae__action_orbit_destroy(o);
        cpae__pool_clear(&pool);

        /* the Pade path, per sample: theta, exp, residual, Frechet (at
         * d = 784 about 5 s a sample: only with BENCH_SLOW=1) */
        if (d > 200 && !getenv("BENCH_SLOW"))
            printf("Pade path   d=%3lld: not timed (about 5 s a sample; BENCH_SLOW=1)\n",
                   (long long)d);
        else
            bench_pade(G, A0, A, d, h, m, len, theta_max, n_grid, t_action);
        free(G);
        free(A0);
        free(A);
        free(R);
        free(gG);
        free(gA0);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "action")) {
        action_timing();
        return 0;
    }
    frechet_sum_timing();
    action_timing();
    return 0;
}
