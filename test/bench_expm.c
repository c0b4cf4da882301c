/* bench_expm.c -- `make bench`: the exact Lie form's batched kernels
 * against their per-sample loops (internal API, linked with the objects):
 * cpae__skew_frechet_sum and cpae__theta_exact_many at d = 140 and 784,
 * h = 16, m = 64. A benchmark, not a test (moved out of the unit suite). */
#define _POSIX_C_SOURCE 200809L
#include "lie/orbit.h"
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


int main(void)
{
    frechet_sum_timing();
    return 0;
}
