/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* skew.c -- the skew-symmetric fast path (see skew.h): G = U diag(i omega)
 * U^* once, then exp(theta G) = U diag(e^{i theta omega}) U^*, products
 * exp(theta G) B, and Frechet derivatives by Daleckii-Krein,
 * L(theta G, E) = U ((U^* E U) o Phi) U^* with Phi the divided differences
 * of exp at i theta omega (docs/math.md sections 3 and 7). Why: the Lie
 * regularisers evaluate these for every sample and many theta with one
 * generator, and the eigenbasis turns each evaluation into GEMMs and O(n^2)
 * scalar work instead of an O(n^3) Pade expm.
 *
 * Complex arithmetic: the skew path needs a complex eigenvector matrix U. It
 * is kept as two real halves (see skew.h) so every product is a real GEMM
 * through cpae__gemm, the one place the library calls BLAS. <complex.h> is
 * used only to talk to LAPACKE_zheevd (C11 CMPLX/creal/cimag compile cleanly
 * under -std=c11 -Wpedantic). zheevd on iG rather than dgees: a Hermitian
 * solver returns real eigenvalues and a unitary U to working precision, so
 * exp(theta G) is orthogonal to rounding and Daleckii-Krein applies
 * directly; dgees would return a quasi-triangular T whose off-block rounding
 * must be cleaned and whose 2x2 blocks complicate the Frechet formula. */
#include "lie/skew.h"

#include "core/pool.h"

#include "lie/util.h"

#include <complex.h>
#include <lapacke.h>

/* C11's CMPLX: glibc defines it for GCC only; clang gets the equivalent
 * builtin (both keep a signed zero or an infinite part as given). */
#if !defined(CMPLX) && defined(__clang__)
#define CMPLX(x, y) __builtin_complex((double)(x), (double)(y))
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

int32_t cpae__skew_eig_create(const double *G, int64_t n, cpae__skew_eig **out,
                              const char *func)
{
    return cpae__skew_eig_create_in(G, n, NULL, out, func);
}

int32_t cpae__skew_eig_create_in(const double *G, int64_t n, struct cpae__pool *pool,
                                 cpae__skew_eig **out, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(G, func, "G")) ||
        (st = cpae__check_ptr(out, func, "out")) || (st = cpae__check_dim(n, func, "n")) ||
        (st = cpae__check_finite_d(G, n * n, func, "G")))
        return st;

    double asym = 0.0, tot = 0.0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double g = G[i * n + j], a = g + G[j * n + i];
            tot += g * g;
            asym += a * a;
        }
    if (sqrt(asym) > CPAE__SKEW_TOL * sqrt(tot))
        return cpae__fail(CPAE_E_INVALID, func,
                          "generator is not skew-symmetric: ||G + G^T||_F / "
                          "||G||_F = %.3g",
                          sqrt(asym / tot));

    /* zheevd's workspace by its own query (the _work interface: nothing
     * allocated behind the pool's back). */
    lapack_complex_double wq = CMPLX(0.0, 0.0), zq = CMPLX(0.0, 0.0);
    double rq = 0.0, wdum = 0.0;
    lapack_int iq = 0;
    lapack_int info = LAPACKE_zheevd_work(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)n, &zq,
                                          (lapack_int)n, &wdum, &wq, -1, &rq, -1, &iq, -1);
    if ((st = cpae__lapack_status(info, "LAPACKE_zheevd", func)) != CPAE_OK)
        return st;
    const int64_t lwork = (int64_t)creal(wq) + 1, lrwork = (int64_t)rq + 1, liwork = iq + 1;

    cpae__skew_eig *f = cpae__pool_alloc(pool, sizeof *f);
    double *omega = cpae__dalloc_in(pool, n), *u = cpae__dalloc_in(pool, 2 * n * n);
    /* Padding: OpenBLAS 0.3.21's zgemv_n_HASWELL (reached through zheevd ->
     * zhetrd -> zlatrd) reads past the end of A: valgrind shows reads up to
     * about one column beyond for 33 <= n <= 65 (OpenBLAS issue #4013
     * reports segfaults from this kernel). A zeroed tail of n + 16 elements
     * keeps those reads inside our allocation; measured clean for n up to
     * 200. */
    const int64_t zpad = n + 16, zcount = n * n + zpad;
    lapack_complex_double *z = NULL, *zw = NULL;
    double *rw = NULL;
    lapack_int *iw = NULL;
    if ((uint64_t)(zcount + lwork) <= SIZE_MAX / sizeof *z) {
        z = cpae__pool_alloc(pool, (size_t)(zcount + lwork) * sizeof *z);
        rw = cpae__dalloc_in(pool, lrwork);
        iw = cpae__pool_alloc(pool, (size_t)liwork * sizeof *iw);
    }
    if (!f || !omega || !u || !z || !rw || !iw) {
        st = cpae__nomem(func, 4 * n * n);
        goto fail;
    }
    zw = z + zcount;

    for (int64_t i = n * n; i < zcount; i++)
        z[i] = CMPLX(0.0, 0.0);
    /* H = i (G - G^T)/2 is Hermitian. Stored column-major (H_jk at
     * z[k n + j]) so LAPACKE does not transpose it. */
    for (int64_t j = 0; j < n; j++)
        for (int64_t k = 0; k < n; k++)
            z[k * n + j] = CMPLX(0.0, 0.5 * (G[j * n + k] - G[k * n + j]));
    info = LAPACKE_zheevd_work(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)n, z, (lapack_int)n,
                               omega, zw, (lapack_int)lwork, rw, (lapack_int)lrwork, iw,
                               (lapack_int)liwork);
    if ((st = cpae__lapack_status(info, "LAPACKE_zheevd", func)) != CPAE_OK)
        goto fail;
    /* iG v = w v  <=>  G v = -i w v: omega = -w. */
    for (int64_t k = 0; k < n; k++)
        omega[k] = -omega[k];
    for (int64_t j = 0; j < n; j++)
        for (int64_t k = 0; k < n; k++) {
            u[j * 2 * n + k] = creal(z[k * n + j]);
            u[j * 2 * n + n + k] = cimag(z[k * n + j]);
        }
    cpae__pool_free(pool, z);
    cpae__pool_free(pool, rw);
    cpae__pool_free(pool, iw);
    f->n = n;
    f->omega = omega;
    f->u = u;
    f->pool = pool;
    *out = f;
    return CPAE_OK;
fail:
    cpae__pool_free(pool, f);
    cpae__pool_free(pool, omega);
    cpae__pool_free(pool, u);
    cpae__pool_free(pool, z);
    cpae__pool_free(pool, rw);
    cpae__pool_free(pool, iw);
    return st;
}

void cpae__skew_eig_destroy(cpae__skew_eig *f)
{
    if (!f)
        return;
    struct cpae__pool *pool = f->pool;
    cpae__pool_free(pool, f->omega);
    cpae__pool_free(pool, f->u);
    cpae__pool_free(pool, f);
}

int32_t cpae__skew_expm(const cpae__skew_eig *f, double theta, double *E)
{
    const char *func = "cpae";
    if (!isfinite(theta))
        return cpae__fail(CPAE_E_NONFINITE, func, "theta is not finite");
    const int64_t n = f->n, n2 = 2 * n;
    double *Q = cpae__dalloc_in(f->pool, n * n2);
    if (!Q)
        return cpae__nomem(func, n * n2);
    /* Q = U diag(e^{i theta omega}) as [Re | Im]; E = Re(Q U^*) =
     * Re Q Re U^T + Im Q Im U^T = [Re Q | Im Q] [Re U | Im U]^T. */
    const double *u = f->u;
    for (int64_t k = 0; k < n; k++) {
        double c = cos(theta * f->omega[k]), s = sin(theta * f->omega[k]);
        for (int64_t j = 0; j < n; j++) {
            double ur = u[j * n2 + k], ui = u[j * n2 + n + k];
            Q[j * n2 + k] = ur * c - ui * s;
            Q[j * n2 + n + k] = ur * s + ui * c;
        }
    }
    cpae__gemm(false, true, n, n, n2, 1.0, Q, n2, u, n2, 0.0, E, n);
    cpae__pool_free(f->pool, Q);
    return CPAE_OK;
}

/* sin(x)/x, 1 at 0 (sin(x)/x is accurate for every x != 0). */
static double sinc(double x) { return x == 0.0 ? 1.0 : sin(x) / x; }

int32_t cpae__skew_frechet(const cpae__skew_eig *f, double theta,
                           const double *Edir, double *L)
{
    const char *func = "cpae";
    if (!isfinite(theta))
        return cpae__fail(CPAE_E_NONFINITE, func, "theta is not finite");
    const int64_t n = f->n, n2 = 2 * n, nn = n * n;
    int32_t st = cpae__check_finite_d(Edir, nn, func, "E");
    if (st != CPAE_OK)
        return st;
    double *w = cpae__dalloc_in(f->pool, 8 * nn);
    if (!w)
        return cpae__nomem(func, 8 * nn);
    const double *u = f->u, *Ur = u, *Ui = u + n;
    double *T = w;           /* 2n x n: [Ur^T E; Ui^T E] */
    double *Mr = w + 2 * nn; /* U^* E U */
    double *Mi = w + 3 * nn;
    double *S1 = w + 4 * nn; /* 2n x n: [Nr; -Ni] */
    double *S2 = w + 6 * nn; /* 2n x n: [Ni; Nr] */

    /* U^* E = Ur^T E - i Ui^T E = T_top - i T_bot. */
    cpae__gemm(true, false, n2, n, n, 1.0, u, n2, Edir, n, 0.0, T, n);
    const double *Tt = T, *Tb = T + nn;
    /* M = (Tt - i Tb)(Ur + i Ui): Mr = Tt Ur + Tb Ui, Mi = Tt Ui - Tb Ur. */
    cpae__gemm(false, false, n, n, n, 1.0, Tt, n, Ur, n2, 0.0, Mr, n);
    cpae__gemm(false, false, n, n, n, 1.0, Tb, n, Ui, n2, 1.0, Mr, n);
    cpae__gemm(false, false, n, n, n, 1.0, Tt, n, Ui, n2, 0.0, Mi, n);
    cpae__gemm(false, false, n, n, n, -1.0, Tb, n, Ur, n2, 1.0, Mi, n);

    /* N = M o Phi, Phi_jk = e^{i t (w_j + w_k)/2} sinc(t (w_j - w_k)/2):
     * for l = i t w, (e^{l_j} - e^{l_k})/(l_j - l_k) in a form without
     * cancellation, equal to e^{l_j} on ties. */
    for (int64_t j = 0; j < n; j++) {
        double wj = theta * f->omega[j];
        for (int64_t k = 0; k < n; k++) {
            double wk = theta * f->omega[k];
            double a = 0.5 * (wj + wk), sc = sinc(0.5 * (wj - wk));
            double pr = cos(a) * sc, pi = sin(a) * sc;
            double mr = Mr[j * n + k], mi = Mi[j * n + k];
            double nr = mr * pr - mi * pi, ni = mr * pi + mi * pr;
            S1[j * n + k] = nr;
            S1[nn + j * n + k] = -ni;
            S2[j * n + k] = ni;
            S2[nn + j * n + k] = nr;
        }
    }
    /* Q = U N: Qr = Ur Nr - Ui Ni = [Ur | Ui] S1, Qi = Ur Ni + Ui Nr =
     * [Ur | Ui] S2. Stored as [Qr | Qi] (n x 2n) in the T/M area. */
    double *Q = w; /* n x 2n, overwrites T and Mr (no longer needed) */
    cpae__gemm(false, false, n, n, n2, 1.0, u, n2, S1, n, 0.0, Q, n2);
    cpae__gemm(false, false, n, n, n2, 1.0, u, n2, S2, n, 0.0, Q + n, n2);
    /* L = Re(Q U^*) = Qr Ur^T + Qi Ui^T. */
    cpae__gemm(false, true, n, n, n2, 1.0, Q, n2, u, n2, 0.0, L, n);
    cpae__pool_free(f->pool, w);
    return CPAE_OK;
}

/* Y = U^* B as Yr (n x h) and Yi (n x h): one GEMM with [Ur | Ui]^T. */
void cpae__skew_to_eig(const cpae__skew_eig *f, const double *B, int64_t h, double *Y)
{
    const int64_t n = f->n;
    cpae__gemm(true, false, 2 * n, h, n, 1.0, f->u, 2 * n, B, h, 0.0, Y, h);
    /* rows n..2n-1 hold Ui^T B = -Im(U^* B) */
    for (int64_t i = n * h; i < 2 * n * h; i++)
        Y[i] = -Y[i];
}

int32_t cpae__skew_apply(const cpae__skew_eig *f, double theta, const double *B,
                         int64_t h, double *out, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(f, func, "factorisation")) ||
        (st = cpae__check_ptr(B, func, "B")) ||
        (st = cpae__check_ptr(out, func, "out")) || (st = cpae__check_dim(h, func, "h")))
        return st;
    if (!isfinite(theta))
        return cpae__fail(CPAE_E_NONFINITE, func, "theta is not finite");
    const int64_t n = f->n;
    if ((st = cpae__check_finite_d(B, n * h, func, "B")))
        return st;
    double *Y = cpae__dalloc_in(f->pool, 2 * n * h);
    if (!Y)
        return cpae__nomem(func, 2 * n * h);
    cpae__skew_to_eig(f, B, h, Y);
    /* Z = diag(e^{i theta omega}) Y; out = Re(U Z) = Ur Zr - Ui Zi =
     * [Ur | Ui] [Zr; -Zi]. */
    for (int64_t i = 0; i < n; i++) {
        double c = cos(theta * f->omega[i]), s = sin(theta * f->omega[i]);
        double *yr = Y + i * h, *yi = Y + (n + i) * h;
        for (int64_t k = 0; k < h; k++) {
            double r = yr[k], im = yi[k];
            yr[k] = c * r - s * im;
            yi[k] = -(s * r + c * im);
        }
    }
    cpae__gemm(false, false, n, h, 2 * n, 1.0, f->u, 2 * n, Y, h, 0.0, out, h);
    cpae__pool_free(f->pool, Y);
    return CPAE_OK;
}

/* Checks and chunking shared by cpae__skew_apply_many / _sum: *nb blocks
 * per chunk. */
static int32_t many_checks(const cpae__skew_eig *f, int64_t m, const double *theta,
                           const double *B, int64_t nblocks, int64_t h, const double *out,
                           int64_t *nb, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(f, func, "factorisation")) ||
        (st = cpae__check_ptr(theta, func, "theta")) || (st = cpae__check_ptr(B, func, "B")) ||
        (st = cpae__check_ptr(out, func, "out")) || (st = cpae__check_dim(h, func, "h")))
        return st;
    if (m < 0)
        return cpae__fail(CPAE_E_SIZE, func, "m = %lld must be >= 0", (long long)m);
    int64_t nh = f->n * h, total;
    if (!cpae__mul_ok(nblocks, nh, &total) || m > (INT64_C(1) << 40))
        return cpae__fail(CPAE_E_LIMIT, func, "m = %lld blocks of %lld x %lld: too many",
                          (long long)m, (long long)f->n, (long long)h);
    if ((st = cpae__check_finite_d(theta, m, func, "theta")) ||
        (st = cpae__check_finite_d(B, total, func, "B")))
        return st;
    int64_t c = CPAE__SKEW_COLS / h;
    *nb = c < 1 ? 1 : c > m ? (m > 0 ? m : 1) : c;
    return CPAE_OK;
}

/* T = U^* [B_idx0 .. ] for cnt blocks side by side (2n x cnt h, rows n..2n-1
 * the imaginary part), through the packing buffer Bc (n x cnt h). */
static void to_eig_chunk(const cpae__skew_eig *f, const double *B, int64_t i0, int64_t cnt,
                         int64_t h, double *Bc, double *T)
{
    const int64_t n = f->n, nh = n * h, cw = cnt * h;
    for (int64_t b = 0; b < cnt; b++)
        for (int64_t r = 0; r < n; r++)
            memcpy(Bc + r * cw + b * h, B + (i0 + b) * nh + r * h, (size_t)h * sizeof(double));
    cpae__gemm(true, false, 2 * n, cw, n, 1.0, f->u, 2 * n, Bc, cw, 0.0, T, cw);
    for (int64_t i = n * cw; i < 2 * n * cw; i++) /* Ui^T B = -Im(U^* B) */
        T[i] = -T[i];
}

int32_t cpae__skew_apply_many(const cpae__skew_eig *f, int64_t m, const double *theta,
                              const double *B, bool shared, int64_t h, double *out,
                              const char *func)
{
    int64_t nb;
    int32_t st = many_checks(f, m, theta, B, shared ? 1 : m, h, out, &nb, func);
    if (st || m == 0)
        return st;
    const int64_t n = f->n, nh = n * h, cwmax = nb * h;
    const int64_t count = n * cwmax + 2 * n * cwmax + 2 * nh;
    double *w = cpae__dalloc_in(f->pool, count);
    if (!w)
        return cpae__nomem(func, count);
    double *Bc = w, *T = Bc + n * cwmax, *Y0 = T + 2 * n * cwmax;
    if (shared)
        cpae__skew_to_eig(f, B, h, Y0); /* [Re; Im] of U^* B, once */
    for (int64_t i0 = 0; i0 < m; i0 += nb) {
        const int64_t cnt = m - i0 < nb ? m - i0 : nb, cw = cnt * h;
        if (!shared)
            to_eig_chunk(f, B, i0, cnt, h, Bc, T);
        /* Z = e^{i theta omega} Y in place, stored as [Re; -Im] for the
         * product [Ur | Ui] [Zr; -Zi] = Re(U Z) */
        for (int64_t j = 0; j < n; j++)
            for (int64_t b = 0; b < cnt; b++) {
                const double a = theta[i0 + b] * f->omega[j], c = cos(a), sn = sin(a);
                double *zr = T + j * cw + b * h, *zi = T + (n + j) * cw + b * h;
                const double *yr = shared ? Y0 + j * h : zr, *yi = shared ? Y0 + (n + j) * h : zi;
                for (int64_t l = 0; l < h; l++) {
                    const double r = yr[l], im = yi[l];
                    zr[l] = c * r - sn * im;
                    zi[l] = -(sn * r + c * im);
                }
            }
        cpae__gemm(false, false, n, cw, 2 * n, 1.0, f->u, 2 * n, T, cw, 0.0, Bc, cw);
        for (int64_t b = 0; b < cnt; b++)
            for (int64_t r = 0; r < n; r++)
                memcpy(out + (i0 + b) * nh + r * h, Bc + r * cw + b * h,
                       (size_t)h * sizeof(double));
    }
    cpae__pool_free(f->pool, w);
    return CPAE_OK;
}

int32_t cpae__skew_apply_sum(const cpae__skew_eig *f, int64_t m, const double *theta,
                             const double *coef, const double *B, int64_t h, double *out,
                             const char *func)
{
    int64_t nb;
    int32_t st = many_checks(f, m, theta, B, m, h, out, &nb, func);
    if (!st && (st = cpae__check_ptr(coef, func, "coef")) == CPAE_OK)
        st = cpae__check_finite_d(coef, m, func, "coef");
    if (st)
        return st;
    const int64_t n = f->n, nh = n * h, cwmax = nb * h;
    const int64_t count = n * cwmax + 2 * n * cwmax + 2 * nh;
    double *w = cpae__dalloc_in(f->pool, count);
    if (!w)
        return cpae__nomem(func, count);
    double *Bc = w, *T = Bc + n * cwmax, *acc = T + 2 * n * cwmax; /* [Re; -Im] */
    memset(acc, 0, (size_t)(2 * nh) * sizeof(double));
    for (int64_t i0 = 0; i0 < m; i0 += nb) {
        const int64_t cnt = m - i0 < nb ? m - i0 : nb, cw = cnt * h;
        to_eig_chunk(f, B, i0, cnt, h, Bc, T);
        for (int64_t j = 0; j < n; j++)
            for (int64_t b = 0; b < cnt; b++) {
                const double a = theta[i0 + b] * f->omega[j], k = coef[i0 + b];
                const double c = k * cos(a), sn = k * sin(a);
                const double *yr = T + j * cw + b * h, *yi = T + (n + j) * cw + b * h;
                double *ar = acc + j * h, *ai = acc + (n + j) * h;
                for (int64_t l = 0; l < h; l++) {
                    ar[l] += c * yr[l] - sn * yi[l];
                    ai[l] -= sn * yr[l] + c * yi[l];
                }
            }
    }
    cpae__gemm(false, false, n, h, 2 * n, 1.0, f->u, 2 * n, acc, h, 0.0, out, h);
    cpae__pool_free(f->pool, w);
    return CPAE_OK;
}

/* sin(x)/x for |x| <= 1 from its Taylor series, nested as
 * 1 - x^2/(2.3) (1 - x^2/(4.5) (1 - ...)) up to the x^18/19! term; the
 * first omitted term, x^20/21!, is below 2e-20. No trig call. */
static double sinc_small(double x)
{
    const double x2 = x * x;
    double p = 1.0 - x2 * (1.0 / 342.0);
    p = 1.0 - x2 * (1.0 / 272.0) * p;
    p = 1.0 - x2 * (1.0 / 210.0) * p;
    p = 1.0 - x2 * (1.0 / 156.0) * p;
    p = 1.0 - x2 * (1.0 / 110.0) * p;
    p = 1.0 - x2 * (1.0 / 72.0) * p;
    p = 1.0 - x2 * (1.0 / 42.0) * p;
    p = 1.0 - x2 * (1.0 / 20.0) * p;
    return 1.0 - x2 * (1.0 / 6.0) * p;
}

/* N[j, :] += M[j - j0, :] o Phi[j, :] for rows j0 <= j < j1; M holds rows
 * j0..j1-1 only, N all n rows, each row [re | im] of 2n doubles.
 * Phi_jk = e^{i (a_j + a_k)} sinc(a_j - a_k) with a = theta omega / 2 (the
 * Phi of cpae__skew_frechet) and p_j = (cos a_j, sin a_j): the phase and
 * sin(a_j - a_k) come from the per-row cosines and sines by the angle-sum
 * formulas, so a sample costs O(n) trig calls instead of O(n^2) (absolute
 * error a few ulp); sinc is sin(x) / x for |x| >= 1 (absolute error a few
 * ulp) and its series below 1 (no cancellation near ties, exact 1 on them).
 * omega is sorted, so the series branch covers one run of k per row. */
static void hadamard_acc(int64_t n, int64_t j0, int64_t j1, const double *a,
                         const double *p, const double *M, double *N)
{
    const int64_t n2 = 2 * n;
    for (int64_t j = j0; j < j1; j++) {
        const double aj = a[j], cj = p[2 * j], sj = p[2 * j + 1];
        const double *mr = M + (j - j0) * n2, *mi = mr + n;
        double *nr = N + j * n2, *ni = nr + n;
        for (int64_t k = 0; k < n; k++) {
            const double ck = p[2 * k], sk = p[2 * k + 1], x = aj - a[k];
            const double sc = fabs(x) < 1.0 ? sinc_small(x) : (sj * ck - cj * sk) / x;
            const double pr = (cj * ck - sj * sk) * sc, pi = (sj * ck + cj * sk) * sc;
            nr[k] += mr[k] * pr - mi[k] * pi;
            ni[k] += mr[k] * pi + mi[k] * pr;
        }
    }
}

/* Doubles per row block of M (rows of 2n) that cpae__skew_frechet_sum keeps
 * in cache with the matching rows of N (the chunk width of its U^* GEMM is
 * CPAE__SKEW_COLS, skew.h). */
#define FSUM_BLOCK 131072

int32_t cpae__skew_frechet_sum(const cpae__skew_eig *f, int64_t m,
                               const double *theta, const double *coef,
                               const double *R, const double *A0, int64_t h,
                               double *S, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(f, func, "factorisation")) ||
        (st = cpae__check_ptr(theta, func, "theta")) ||
        (st = cpae__check_ptr(coef, func, "coef")) ||
        (st = cpae__check_ptr(R, func, "R")) || (st = cpae__check_ptr(A0, func, "A0")) ||
        (st = cpae__check_ptr(S, func, "S")) || (st = cpae__check_dim(h, func, "h")))
        return st;
    if (m < 0)
        return cpae__fail(CPAE_E_SIZE, func, "m = %lld must be >= 0", (long long)m);
    const int64_t n = f->n, n2 = 2 * n, nn = n * n, nh = n * h, h2 = 2 * h;
    int64_t mnh;
    if (!cpae__mul_ok(m, nh, &mnh))
        return cpae__fail(CPAE_E_LIMIT, func, "m * n * h overflows");
    if ((st = cpae__check_finite_d(theta, m, func, "theta")) ||
        (st = cpae__check_finite_d(coef, m, func, "coef")) ||
        (st = cpae__check_finite_d(R, mnh, func, "R")) ||
        (st = cpae__check_finite_d(A0, nh, func, "A0")))
        return st;

    /* Samples go through U^* in chunks of nb, side by side (n x nb h), so U
     * is packed by the GEMM once per chunk rather than once per sample. Then
     * for each block of rb rows, every sample's rows of M = Y Z^* are formed
     * and folded into N while both blocks are in cache. */
    int64_t nb = CPAE__SKEW_COLS / h;
    nb = nb < 1 ? 1 : nb > m ? (m > 0 ? m : 1) : nb;
    const int64_t ch = nb * h;
    int64_t rb = FSUM_BLOCK / n2;
    rb = rb < 8 ? 8 : rb > n ? n : rb;
    const int64_t count = 6 * nn + 4 * nh + 5 * n * ch + 3 * n * nb;
    double *w = cpae__dalloc_in(f->pool, count);
    if (!w)
        return cpae__nomem(func, count);
    double *B = w;              /* 2n x 2n: [[Nr, Ni], [-Ni, Nr]] */
    double *M = B + 4 * nn;     /* rb x 2n: [Mr | Mi] rows of one sample; then Q */
    double *Zb = M + 2 * nn;    /* 2n x 2h: [[Zr, Zi], [-Zi, Zr]] */
    double *Rc = Zb + 4 * nh;   /* n x ch: a chunk of R_i side by side */
    double *T = Rc + n * ch;    /* 2n x ch: [Ur | Ui]^T Rc */
    double *Y = T + 2 * n * ch; /* nb blocks of n x 2h: coef_i [Yr | Yi] */
    double *p = Y + 2 * n * ch; /* nb blocks of n x 2: cos, sin of a */
    double *a = p + 2 * n * nb; /* nb blocks of n: theta_i omega / 2 */
    const double *u = f->u;

    /* Z = U^* A0 (rows [Zr; Zi] after skew_to_eig) into the block form that
     * makes M = Y Z^* one real product: Mr = Yr Zr^T + Yi Zi^T = [Yr | Yi]
     * [Zr | Zi]^T and Mi = Yi Zr^T - Yr Zi^T = [Yr | Yi] [-Zi | Zr]^T. */
    cpae__skew_to_eig(f, A0, h, T);
    for (int64_t k = 0; k < n; k++)
        for (int64_t l = 0; l < h; l++) {
            double zr = T[k * h + l], zi = T[(n + k) * h + l];
            Zb[k * h2 + l] = zr;
            Zb[k * h2 + h + l] = zi;
            Zb[(n + k) * h2 + l] = -zi;
            Zb[(n + k) * h2 + h + l] = zr;
        }
    for (int64_t j = 0; j < n; j++)
        memset(B + j * n2, 0, (size_t)n2 * sizeof(double));

    for (int64_t i0 = 0; i0 < m;) {
        /* next chunk: up to nb samples with coef != 0 */
        int64_t idx[CPAE__SKEW_COLS], cnt = 0;
        for (; i0 < m && cnt < nb; i0++)
            if (coef[i0] != 0.0)
                idx[cnt++] = i0;
        if (cnt == 0)
            break;
        const int64_t cw = cnt * h;
        for (int64_t b = 0; b < cnt; b++)
            for (int64_t r = 0; r < n; r++)
                memcpy(Rc + r * cw + b * h, R + idx[b] * nh + r * h,
                       (size_t)h * sizeof(double));
        /* Y = U^* R_i = Ur^T R_i - i Ui^T R_i for the whole chunk. */
        cpae__gemm(true, false, n2, cw, n, 1.0, u, n2, Rc, cw, 0.0, T, cw);
        for (int64_t b = 0; b < cnt; b++) {
            const double c = coef[idx[b]], ht = 0.5 * theta[idx[b]];
            double *Yb = Y + b * 2 * nh, *pb = p + b * 2 * n, *ab = a + b * n;
            for (int64_t j = 0; j < n; j++) {
                for (int64_t l = 0; l < h; l++) {
                    Yb[j * h2 + l] = c * T[j * cw + b * h + l];
                    Yb[j * h2 + h + l] = -c * T[(n + j) * cw + b * h + l];
                }
                ab[j] = ht * f->omega[j];
                pb[2 * j] = cos(ab[j]);
                pb[2 * j + 1] = sin(ab[j]);
            }
        }
        for (int64_t j0 = 0; j0 < n; j0 += rb) {
            const int64_t j1 = j0 + rb < n ? j0 + rb : n;
            for (int64_t b = 0; b < cnt; b++) {
                /* rows j0..j1 of M = U^* (R_i A0^T) U = Y Z^*, since
                 * A0^T U = (U^* A0)^* (A0 real) */
                cpae__gemm(false, true, j1 - j0, n2, h2, 1.0, Y + b * 2 * nh + j0 * h2, h2,
                           Zb, h2, 0.0, M, n2);
                hadamard_acc(n, j0, j1, a + b * n, p + b * 2 * n, M, B);
            }
        }
    }

    /* Q = U N = [Ur | Ui] [[Nr, Ni], [-Ni, Nr]] = [Ur Nr - Ui Ni | Ur Ni +
     * Ui Nr] = [Qr | Qi]; S = Re(Q U^*) = Qr Ur^T + Qi Ui^T. */
    for (int64_t j = 0; j < n; j++)
        for (int64_t k = 0; k < n; k++) {
            B[(n + j) * n2 + k] = -B[j * n2 + n + k];
            B[(n + j) * n2 + n + k] = B[j * n2 + k];
        }
    double *Q = M;
    cpae__gemm(false, false, n, n2, n2, 1.0, u, n2, B, n2, 0.0, Q, n2);
    cpae__gemm(false, true, n, n, n2, 1.0, Q, n2, u, n2, 0.0, S, n);
    cpae__pool_free(f->pool, w);
    return CPAE_OK;
}
