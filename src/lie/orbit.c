/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* orbit.c -- orbits out_t = exp(theta_t G) x0 for many theta_t, and the
 * cyclic-shift generator G = -D (D the spectral derivative per sample), for
 * which exp(k G) x is x rolled by k samples (docs/math.md section 7). Why:
 * the public orbit call (and the regions-along-an-orbit statistics behind
 * it) needs a whole orbit at once; for a skew G one eigendecomposition and
 * one GEMM serve every theta, a general G falls back to one Pade expm per
 * theta. The shift generator is the known skew generator the orbit and
 * recovery experiments are checked against. */
#include "lie/orbit.h"

#include "lie/pade.h"
#include "lie/skew.h"
#include "lie/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool exactly_skew(const double *G, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = i; j < n; j++)
            if (G[i * n + j] != -G[j * n + i])
                return false;
    return true;
}

int32_t cpae__orbit(const double *G, int64_t n, const double *x0,
                    const double *thetas, int64_t n_theta, double *out,
                    const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(G, func, "G")) ||
        (st = cpae__check_ptr(x0, func, "x0")) ||
        (st = cpae__check_ptr(thetas, func, "thetas")) ||
        (st = cpae__check_ptr(out, func, "out")) || (st = cpae__check_dim(n, func, "n")))
        return st;
    if (n_theta < 1)
        return cpae__fail(CPAE_E_SIZE, func, "n_theta = %lld must be >= 1",
                          (long long)n_theta);
    int64_t total;
    if (!cpae__mul_ok(n_theta, 2 * n, &total))
        return cpae__fail(CPAE_E_LIMIT, func, "n_theta * n overflows");
    if ((st = cpae__check_finite_d(G, n * n, func, "G")) ||
        (st = cpae__check_finite_d(x0, n, func, "x0")) ||
        (st = cpae__check_finite_d(thetas, n_theta, func, "thetas")))
        return st;

    if (exactly_skew(G, n)) {
        cpae__skew_eig *f = NULL;
        if ((st = cpae__skew_eig_create(G, n, &f, func)) != CPAE_OK)
            return st;
        double *w = cpae__dalloc(total + 2 * n);
        if (!w) {
            cpae__skew_eig_destroy(f);
            return cpae__nomem(func, total + 2 * n);
        }
        double *Wt = w, *c = w + total; /* Wt: n_theta x 2n */
        cpae__skew_to_eig(f, x0, 1, c);
        /* Row t: [Re z; -Im z] with z = e^{i theta_t omega} (U^* x0), so
         * out = Wt [Ur | Ui]^T in one GEMM for all thetas. */
        for (int64_t t = 0; t < n_theta; t++)
            for (int64_t i = 0; i < n; i++) {
                double a = thetas[t] * f->omega[i], cs = cos(a), sn = sin(a);
                double cr = c[i], ci = c[n + i];
                Wt[t * 2 * n + i] = cs * cr - sn * ci;
                Wt[t * 2 * n + n + i] = -(sn * cr + cs * ci);
            }
        cpae__gemm(false, true, n_theta, n, 2 * n, 1.0, Wt, 2 * n, f->u, 2 * n,
                   0.0, out, n);
        free(w);
        cpae__skew_eig_destroy(f);
        return CPAE_OK;
    }

    const int64_t nn = n * n;
    int64_t count = 2 * nn + total / 2;
    double *w = cpae__dalloc(count);
    if (!w)
        return cpae__nomem(func, count);
    double *Gs = w, *E = w + nn, *res = w + 2 * nn;
    for (int64_t t = 0; t < n_theta; t++) {
        for (int64_t i = 0; i < nn; i++)
            Gs[i] = thetas[t] * G[i];
        if ((st = cpae__expm(Gs, n, E, func)) != CPAE_OK) {
            free(w);
            return st;
        }
        cpae__gemm(false, false, n, 1, n, 1.0, E, n, x0, 1, 0.0, res + t * n, 1);
    }
    memcpy(out, res, (size_t)(total / 2) * sizeof(double));
    free(w);
    return CPAE_OK;
}

int32_t cpae__shift_generator(int64_t d, double *G)
{
    if (d < 1 || !G)
        return cpae__fail(CPAE_E_SIZE, "cpae", "shift generator size %lld",
                          (long long)d);
    const double pi = 3.14159265358979323846;
    for (int64_t j = 0; j < d; j++)
        G[j * d + j] = 0.0;
    /* Entries depend on m = j - l only; fill the upper triangle and mirror
     * with the exact negative. */
    for (int64_t j = 0; j < d; j++)
        for (int64_t l = j + 1; l < d; l++) {
            int64_t m = j - l; /* in -(d-1)..-1 */
            double x = pi * (double)m / (double)d;
            double sgn = (m % 2 == 0) ? 1.0 : -1.0;
            double v = (d % 2 == 1) ? 1.0 / sin(x) : cos(x) / sin(x);
            G[j * d + l] = -(pi / (double)d) * sgn * v;
            G[l * d + j] = -G[j * d + l];
        }
    return CPAE_OK;
}
