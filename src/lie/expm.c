/* expm.c -- matrix exponential (Higham 2005 scaling and squaring), Frechet
 * derivative, skew-symmetric fast path, theta solvers of the Lie
 * regularisers, orbits and the cyclic-shift generator (docs/math.md sections 3
 * and 7; N. J. Higham, SIAM J. Matrix Anal. Appl. 26(4), 2005, for the
 * Pade degrees, coefficients and theta_m thresholds).
 *
 * Complex arithmetic: the skew path needs a complex eigenvector matrix U. It
 * is kept as two real halves (see expm.h) so every product is a real GEMM
 * through cpae__gemm, the one place the library calls BLAS. <complex.h> is
 * used only to talk to LAPACKE_zheevd (C11 CMPLX/creal/cimag compile cleanly
 * under -std=c11 -Wpedantic). zheevd on iG rather than dgees: a Hermitian
 * solver returns real eigenvalues and a unitary U to working precision, so
 * exp(theta G) is orthogonal to rounding and Daleckii-Krein applies
 * directly; dgees would return a quasi-triangular T whose off-block rounding
 * must be cleaned and whose 2x2 blocks complicate the Frechet formula. */
#include "lie/expm.h"

#include <complex.h>
#include <lapacke.h>

/* C11's CMPLX: glibc defines it for GCC only; clang gets the equivalent
 * builtin (both keep a signed zero or an infinite part as given). */
#if !defined(CMPLX) && defined(__clang__)
#define CMPLX(x, y) __builtin_complex((double)(x), (double)(y))
#endif

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- helpers */

static int32_t check_dim(int64_t n, const char *func, const char *name)
{
    if (n < 1)
        return cpae__fail(CPAE_E_SIZE, func, "'%s' is %lld, must be >= 1", name,
                          (long long)n);
    if (n > CPAE_MAX_WIDTH)
        return cpae__fail(CPAE_E_LIMIT, func, "'%s' is %lld, limit %d", name,
                          (long long)n, CPAE_MAX_WIDTH);
    return CPAE_OK;
}

static int32_t check_finite(const double *x, int64_t count, const char *func,
                            const char *name)
{
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return cpae__fail(CPAE_E_NONFINITE, func, "'%s'[%lld] is %s", name,
                              (long long)i, isnan(x[i]) ? "NaN" : "infinite");
    return CPAE_OK;
}

/* count doubles, with the byte size checked; NULL on overflow or OOM. */
static double *dalloc(int64_t count)
{
    if (count < 0 || (uint64_t)count > SIZE_MAX / sizeof(double))
        return NULL;
    return malloc((size_t)(count > 0 ? count : 1) * sizeof(double));
}

static int32_t nomem(const char *func, int64_t count)
{
    return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate %lld doubles",
                      (long long)count);
}

/* Map a LAPACKE info code to a status. */
static int32_t lapack_status(lapack_int info, const char *routine,
                             const char *func)
{
    if (info == 0)
        return CPAE_OK;
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return cpae__fail(CPAE_E_NOMEM, func, "%s: out of memory", routine);
    if (info > 0)
        return cpae__fail(CPAE_E_NUMERIC, func, "%s failed (info = %d)", routine,
                          (int)info);
    return cpae__fail(CPAE_E_INTERNAL, func, "%s: illegal argument %d", routine,
                      (int)-info);
}

static double dot(const double *a, const double *b, int64_t len)
{
    double s = 0.0;
    for (int64_t i = 0; i < len; i++)
        s += a[i] * b[i];
    return s;
}

/* Max column sum of |A|, A n x n row-major. */
static double norm1(const double *A, int64_t n, double *colsum)
{
    for (int64_t j = 0; j < n; j++)
        colsum[j] = 0.0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            colsum[j] += fabs(A[i * n + j]);
    double m = 0.0;
    for (int64_t j = 0; j < n; j++)
        if (colsum[j] > m)
            m = colsum[j];
    return m;
}

/* C = A B, all n x n. */
static void mul(int64_t n, const double *A, const double *B, double *C)
{
    cpae__gemm(false, false, n, n, n, 1.0, A, n, B, n, 0.0, C, n);
}

/* ------------------------------------------------------------- expm */

/* Pade coefficients b_0..b_m of the diagonal [m/m] approximant of exp,
 * scaled so b_m = 1, and the double-precision thresholds theta_m on ||A||_1
 * (Higham 2005, "The scaling and squaring method for the matrix exponential
 * revisited", SIMAX 26(4), Table 2.3 and Algorithm 2.3). b_j is proportional
 * to (2m - j)! m! / ((2m)! j! (m - j)!). */
static const double pade3[] = {120.0, 60.0, 12.0, 1.0};
static const double pade5[] = {30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0};
static const double pade7[] = {17297280.0, 8648640.0, 1995840.0, 277200.0,
                               25200.0,    1512.0,    56.0,      1.0};
static const double pade9[] = {17643225600.0, 8821612800.0, 2075673600.0,
                               302702400.0,   30270240.0,   2162160.0,
                               110880.0,      3960.0,       90.0,
                               1.0};
static const double pade13[] = {64764752532480000.0, 32382376266240000.0,
                                7771770303897600.0,  1187353796428800.0,
                                129060195264000.0,   10559470521600.0,
                                670442572800.0,      33522128640.0,
                                1323241920.0,        40840800.0,
                                960960.0,            16380.0,
                                182.0,               1.0};
static const double theta3 = 1.495585217958292e-2;
static const double theta5 = 2.539398330063230e-1;
static const double theta7 = 9.504178996162932e-1;
static const double theta9 = 2.097847961257068;
static const double theta13 = 5.371920351148152;

void cpae__expm_params(double norm1_x, int32_t *m, int32_t *s)
{
    *s = 0;
    if (norm1_x <= theta3)
        *m = 3;
    else if (norm1_x <= theta5)
        *m = 5;
    else if (norm1_x <= theta7)
        *m = 7;
    else if (norm1_x <= theta9)
        *m = 9;
    else {
        /* s = max(0, ceil(log2(||X||_1 / theta_13))): ||X / 2^s||_1 <=
         * theta_13, the range where Pade(13) is accurate to unit roundoff. */
        *m = 13;
        if (norm1_x > theta13) {
            double e = ceil(log2(norm1_x / theta13));
            *s = e > 2000.0 ? 2000 : (int32_t)e; /* beyond ~1100 all overflow */
        }
    }
}

#define EXPM_BUFS 8 /* n x n work buffers used by expm_core */

/* exp(X) into E using work (EXPM_BUFS n^2 doubles) and ipiv (n). */
static int32_t expm_core(const double *X, int64_t n, double *E, double *work,
                         lapack_int *ipiv, const char *func)
{
    const int64_t nn = n * n;
    double *b[EXPM_BUFS];
    for (int i = 0; i < EXPM_BUFS; i++)
        b[i] = work + (int64_t)i * nn;

    double nrm = norm1(X, n, b[0]); /* b[0] is scratch until A is stored */
    int32_t m, s;
    cpae__expm_params(nrm, &m, &s);
    const double *c = m == 3 ? pade3 : m == 5 ? pade5 : m == 7 ? pade7
                    : m == 9 ? pade9 : pade13;

    /* A = X / 2^s exactly (power of two). */
    double *A = b[0];
    for (int64_t i = 0; i < nn; i++)
        A[i] = ldexp(X[i], -s);

    double *U = b[6], *V = b[7];
    if (m <= 9) {
        /* Even powers A^2, A^4, ... in b[1..4]; W = sum b_{2k+1} A^{2k},
         * U = A W, V = sum b_{2k} A^{2k}. */
        int np = (m - 1) / 2; /* number of even powers needed */
        double *P[4] = {b[1], b[2], b[3], b[4]};
        double *W = b[5];
        mul(n, A, A, P[0]);
        for (int k = 1; k < np; k++)
            mul(n, P[k - 1], P[0], P[k]);
        for (int64_t i = 0; i < nn; i++) {
            double w = 0.0, v = 0.0;
            for (int k = np; k >= 1; k--) {
                w += c[2 * k + 1] * P[k - 1][i];
                v += c[2 * k] * P[k - 1][i];
            }
            W[i] = w;
            V[i] = v;
        }
        for (int64_t i = 0; i < n; i++) {
            W[i * n + i] += c[1];
            V[i * n + i] += c[0];
        }
        mul(n, A, W, U);
    } else {
        /* Higham 2005 (2.1)-(2.2) with m = 13: 6 products. */
        double *A2 = b[1], *A4 = b[2], *A6 = b[3], *W1 = b[4], *W2 = b[5];
        mul(n, A, A, A2);
        mul(n, A2, A2, A4);
        mul(n, A4, A2, A6);
        for (int64_t i = 0; i < nn; i++) {
            W1[i] = c[13] * A6[i] + c[11] * A4[i] + c[9] * A2[i];
            W2[i] = c[7] * A6[i] + c[5] * A4[i] + c[3] * A2[i];
        }
        for (int64_t i = 0; i < n; i++)
            W2[i * n + i] += c[1];
        /* W2 = A6 W1 + W2, then U = A W2. */
        cpae__gemm(false, false, n, n, n, 1.0, A6, n, W1, n, 1.0, W2, n);
        mul(n, A, W2, U);
        for (int64_t i = 0; i < nn; i++) {
            W1[i] = c[12] * A6[i] + c[10] * A4[i] + c[8] * A2[i];
            V[i] = c[6] * A6[i] + c[4] * A4[i] + c[2] * A2[i];
        }
        for (int64_t i = 0; i < n; i++)
            V[i * n + i] += c[0];
        cpae__gemm(false, false, n, n, n, 1.0, A6, n, W1, n, 1.0, V, n);
    }

    /* (V - U) R = (V + U): R overwrites U, V - U overwrites V. */
    for (int64_t i = 0; i < nn; i++) {
        double u = U[i], v = V[i];
        U[i] = v + u;
        V[i] = v - u;
    }
    lapack_int info = LAPACKE_dgesv(LAPACK_ROW_MAJOR, (lapack_int)n,
                                    (lapack_int)n, V, (lapack_int)n, ipiv, U,
                                    (lapack_int)n);
    if (info > 0)
        return cpae__fail(CPAE_E_NUMERIC, func,
                          "Pade denominator V - U is singular (dgesv info = %d)",
                          (int)info);
    int32_t st = lapack_status(info, "LAPACKE_dgesv", func);
    if (st != CPAE_OK)
        return st;

    /* Undo the scaling: R <- R^2, s times, ping-ponging with b[1]. */
    double *R = U, *T = b[1];
    for (int k = 0; k < s; k++) {
        mul(n, R, R, T);
        double *tmp = R;
        R = T;
        T = tmp;
    }
    for (int64_t i = 0; i < nn; i++)
        if (!isfinite(R[i]))
            return cpae__fail(CPAE_E_NUMERIC, func,
                              "exp overflows (||X||_1 = %g)", nrm);
    memcpy(E, R, (size_t)nn * sizeof(double));
    return CPAE_OK;
}

int32_t cpae__expm(const double *X, int64_t n, double *E, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(X, func, "X")) || (st = cpae__check_ptr(E, func, "E")) ||
        (st = check_dim(n, func, "n")) || (st = check_finite(X, n * n, func, "X")))
        return st;
    int64_t count = EXPM_BUFS * n * n;
    double *work = dalloc(count);
    lapack_int *ipiv = malloc((size_t)n * sizeof(lapack_int));
    if (!work || !ipiv) {
        free(work);
        free(ipiv);
        return nomem(func, count);
    }
    st = expm_core(X, n, E, work, ipiv, func);
    free(work);
    free(ipiv);
    return st;
}

int32_t cpae__expm_frechet(const double *X, const double *Edir, int64_t n,
                           double *expX, double *L, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(X, func, "X")) ||
        (st = cpae__check_ptr(Edir, func, "E")) ||
        (st = cpae__check_ptr(L, func, "L")) || (st = check_dim(n, func, "n")) ||
        (st = check_finite(X, n * n, func, "X")) ||
        (st = check_finite(Edir, n * n, func, "E")))
        return st;

    const int64_t n2 = 2 * n;
    double *big = dalloc(2 * n2 * n2 + n2);
    if (!big)
        return nomem(func, 2 * n2 * n2 + n2);
    double *B = big, *EB = big + n2 * n2, *colsum = EB + n2 * n2;

    /* The block method's error is relative to ||exp(block)||, so balance the
     * blocks: scale Edir by 2^k (exact) to ||2^k Edir||_1 ~ max(||X||_1, 1)
     * and divide L by 2^k afterwards. L is linear in Edir. */
    double nx = norm1(X, n, colsum), ne = norm1(Edir, n, colsum);
    int k = 0;
    if (ne > 0.0) {
        int ex;
        frexp((nx > 1.0 ? nx : 1.0) / ne, &ex);
        k = ex - 1;
    }
    memset(B, 0, (size_t)(n2 * n2) * sizeof(double));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            B[i * n2 + j] = X[i * n + j];
            B[(n + i) * n2 + n + j] = X[i * n + j];
            B[i * n2 + n + j] = ldexp(Edir[i * n + j], k);
        }
    st = cpae__expm(B, n2, EB, func);
    if (st == CPAE_OK) {
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < n; j++) {
                L[i * n + j] = ldexp(EB[i * n2 + n + j], -k);
                if (expX)
                    expX[i * n + j] = EB[i * n2 + j];
            }
    }
    free(big);
    return st;
}

/* ------------------------------------------------------ skew fast path */

int32_t cpae__skew_eig_create(const double *G, int64_t n, cpae__skew_eig **out,
                              const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(G, func, "G")) ||
        (st = cpae__check_ptr(out, func, "out")) || (st = check_dim(n, func, "n")) ||
        (st = check_finite(G, n * n, func, "G")))
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

    cpae__skew_eig *f = malloc(sizeof *f);
    double *omega = dalloc(n), *u = dalloc(2 * n * n);
    /* Padding: OpenBLAS 0.3.21's zgemv_n_HASWELL (reached through zheevd ->
     * zhetrd -> zlatrd) reads past the end of A: valgrind shows reads up to
     * about one column beyond for 33 <= n <= 65 (OpenBLAS issue #4013
     * reports segfaults from this kernel). A zeroed tail of n + 16 elements
     * keeps those reads inside our allocation; measured clean for n up to
     * 200. */
    const int64_t zpad = n + 16, zcount = n * n + zpad;
    lapack_complex_double *z = NULL;
    if ((uint64_t)zcount <= SIZE_MAX / sizeof *z)
        z = malloc((size_t)zcount * sizeof *z);
    if (!f || !omega || !u || !z) {
        free(f);
        free(omega);
        free(u);
        free(z);
        return nomem(func, 4 * n * n);
    }

    for (int64_t i = n * n; i < zcount; i++)
        z[i] = CMPLX(0.0, 0.0);
    /* H = i (G - G^T)/2 is Hermitian. Stored column-major (H_jk at
     * z[k n + j]) so LAPACKE does not transpose it. */
    for (int64_t j = 0; j < n; j++)
        for (int64_t k = 0; k < n; k++)
            z[k * n + j] = CMPLX(0.0, 0.5 * (G[j * n + k] - G[k * n + j]));
    lapack_int info = LAPACKE_zheevd(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)n,
                                     z, (lapack_int)n, omega);
    if ((st = lapack_status(info, "LAPACKE_zheevd", func)) != CPAE_OK) {
        free(f);
        free(omega);
        free(u);
        free(z);
        return st;
    }
    /* iG v = w v  <=>  G v = -i w v: omega = -w. */
    for (int64_t k = 0; k < n; k++)
        omega[k] = -omega[k];
    for (int64_t j = 0; j < n; j++)
        for (int64_t k = 0; k < n; k++) {
            u[j * 2 * n + k] = creal(z[k * n + j]);
            u[j * 2 * n + n + k] = cimag(z[k * n + j]);
        }
    free(z);
    f->n = n;
    f->omega = omega;
    f->u = u;
    *out = f;
    return CPAE_OK;
}

void cpae__skew_eig_destroy(cpae__skew_eig *f)
{
    if (!f)
        return;
    free(f->omega);
    free(f->u);
    free(f);
}

int32_t cpae__skew_expm(const cpae__skew_eig *f, double theta, double *E)
{
    const char *func = "cpae";
    if (!isfinite(theta))
        return cpae__fail(CPAE_E_NONFINITE, func, "theta is not finite");
    const int64_t n = f->n, n2 = 2 * n;
    double *Q = dalloc(n * n2);
    if (!Q)
        return nomem(func, n * n2);
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
    free(Q);
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
    int32_t st = check_finite(Edir, nn, func, "E");
    if (st != CPAE_OK)
        return st;
    double *w = dalloc(8 * nn);
    if (!w)
        return nomem(func, 8 * nn);
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
    free(w);
    return CPAE_OK;
}

/* Y = U^* B as Yr (n x h) and Yi (n x h): one GEMM with [Ur | Ui]^T. */
static void skew_to_eig(const cpae__skew_eig *f, const double *B, int64_t h,
                        double *Y)
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
        (st = cpae__check_ptr(out, func, "out")) || (st = check_dim(h, func, "h")))
        return st;
    if (!isfinite(theta))
        return cpae__fail(CPAE_E_NONFINITE, func, "theta is not finite");
    const int64_t n = f->n;
    if ((st = check_finite(B, n * h, func, "B")))
        return st;
    double *Y = dalloc(2 * n * h);
    if (!Y)
        return nomem(func, 2 * n * h);
    skew_to_eig(f, B, h, Y);
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
    free(Y);
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

/* Columns (samples x h) per U^* GEMM in cpae__skew_frechet_sum and
 * cpae__theta_exact_many; doubles per row block of M (rows of 2n) that
 * cpae__skew_frechet_sum keeps in cache with the matching rows of N. */
#define FSUM_COLS 512
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
        (st = cpae__check_ptr(S, func, "S")) || (st = check_dim(h, func, "h")))
        return st;
    if (m < 0)
        return cpae__fail(CPAE_E_SIZE, func, "m = %lld must be >= 0", (long long)m);
    const int64_t n = f->n, n2 = 2 * n, nn = n * n, nh = n * h, h2 = 2 * h;
    int64_t mnh;
    if (!cpae__mul_ok(m, nh, &mnh))
        return cpae__fail(CPAE_E_LIMIT, func, "m * n * h overflows");
    if ((st = check_finite(theta, m, func, "theta")) ||
        (st = check_finite(coef, m, func, "coef")) ||
        (st = check_finite(R, mnh, func, "R")) || (st = check_finite(A0, nh, func, "A0")))
        return st;

    /* Samples go through U^* in chunks of nb, side by side (n x nb h), so U
     * is packed by the GEMM once per chunk rather than once per sample. Then
     * for each block of rb rows, every sample's rows of M = Y Z^* are formed
     * and folded into N while both blocks are in cache. */
    int64_t nb = FSUM_COLS / h;
    nb = nb < 1 ? 1 : nb > m ? (m > 0 ? m : 1) : nb;
    const int64_t ch = nb * h;
    int64_t rb = FSUM_BLOCK / n2;
    rb = rb < 8 ? 8 : rb > n ? n : rb;
    const int64_t count = 6 * nn + 4 * nh + 5 * n * ch + 3 * n * nb;
    double *w = dalloc(count);
    if (!w)
        return nomem(func, count);
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
    skew_to_eig(f, A0, h, T);
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
        int64_t idx[FSUM_COLS], cnt = 0;
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
    free(w);
    return CPAE_OK;
}

/* --------------------------------------------------------- theta solves */

int32_t cpae__theta_local(const double *Delta, const double *const *GA,
                          int64_t kG, int64_t len, double *theta, double *resid,
                          const char *func)
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
    if ((st = check_finite(Delta, len, func, "Delta")))
        return st;
    for (int64_t j = 0; j < kG; j++)
        if ((st = cpae__check_ptr(GA[j], func, "GA[j]")) ||
            (st = check_finite(GA[j], len, func, "GA[j]")))
            return st;

    if (kG == 1) {
        double gg = dot(GA[0], GA[0], len);
        double t = gg > 0.0 ? dot(Delta, GA[0], len) / gg : 0.0;
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
     * need not transpose. b has max(len, kG) rows. */
    int64_t ldb = len > kG ? len : kG;
    int64_t mcount, count;
    if (!cpae__mul_ok(len, kG, &mcount) || mcount > INT64_MAX - ldb - kG)
        return cpae__fail(CPAE_E_LIMIT, func, "len * kG overflows");
    count = mcount + ldb + kG;
    double *w = dalloc(count);
    if (!w)
        return nomem(func, count);
    double *M = w, *b = w + mcount, *sv = b + ldb;
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
    lapack_int info = LAPACKE_dgelsd(LAPACK_COL_MAJOR, (lapack_int)len,
                                     (lapack_int)kG, 1, M, (lapack_int)len, b,
                                     (lapack_int)ldb, sv, rcond, &rank);
    if ((st = lapack_status(info, "LAPACKE_dgelsd", func)) != CPAE_OK) {
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
    free(w);
    return CPAE_OK;
}

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
        bool accepted = false;
        for (int k = 0; k < GN_MAX_HALVINGS; k++, step *= 0.5) {
            double tn = t + step;
            if (tn < cl.lo || tn > cl.hi)
                continue;
            double fn, gn, jn;
            if ((st = eval(ctx, tn, &fn, &gn, &jn)) != CPAE_OK)
                return st;
            if (fn < fv) {
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
    double *w = dalloc(4 * nh + 2 * n);
    if (!w)
        return nomem(func, 4 * nh + 2 * n);
    double *C = w, *Ah = w + 2 * nh, *gam = w + 4 * nh, t, fv;
    skew_to_eig(sk, A0, h, C);
    skew_to_eig(sk, A, h, Ah);
    int32_t st = skew_solve(sk, C, dot(A0, A0, nh), Ah, dot(A, A, nh), h, theta_max,
                            n_grid, NULL, gam, &t, &fv);
    free(w);
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
    double *w = dalloc(count);
    if (!w)
        return nomem(func, count);
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

int32_t cpae__theta_exact(const double *G, const cpae__skew_eig *skew,
                          int64_t n, const double *A0, const double *A,
                          int64_t h, double theta_max, int64_t n_grid,
                          double *theta, double *f, const char *func)
{
    int32_t st;
    if ((st = cpae__check_ptr(A0, func, "A0")) ||
        (st = cpae__check_ptr(A, func, "A")) || (st = check_dim(n, func, "n")) ||
        (st = check_dim(h, func, "h")))
        return st;
    if (!skew && (st = cpae__check_ptr(G, func, "G")))
        return st;
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
    if ((st = check_finite(A0, n * h, func, "A0")) ||
        (st = check_finite(A, n * h, func, "A")))
        return st;
    if (skew)
        return theta_exact_skew(skew, A0, A, h, theta_max, n_grid, theta, f, func);
    if ((st = check_finite(G, n * n, func, "G")))
        return st;
    return theta_exact_general(G, n, A0, A, h, theta_max, n_grid, theta, f, func);
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
        (st = cpae__check_ptr(A, func, "A")) || (st = check_dim(n, func, "n")) ||
        (st = check_dim(h, func, "h")))
        return st;
    if (m < 0)
        return cpae__fail(CPAE_E_SIZE, func, "m = %lld must be >= 0", (long long)m);
    if (skew->n != n)
        return cpae__fail(CPAE_E_MISMATCH, func,
                          "factorisation is for n = %lld, not %lld",
                          (long long)skew->n, (long long)n);
    if (!(theta_max > 0.0) || !isfinite(theta_max))
        return cpae__fail(CPAE_E_INVALID, func,
                          "theta_max = %g must be positive and finite", theta_max);
    if (n_grid < 2)
        return cpae__fail(CPAE_E_INVALID, func, "n_grid = %lld must be >= 2",
                          (long long)n_grid);
    const int64_t nh = n * h;
    int64_t mnh;
    if (!cpae__mul_ok(m, nh, &mnh) || m > (INT64_C(1) << 40))
        return cpae__fail(CPAE_E_LIMIT, func, "m = %lld targets of %lld x %lld: too many",
                          (long long)m, (long long)n, (long long)h);
    if ((st = check_finite(A0, nh, func, "A0")) || (st = check_finite(A, mnh, func, "A")))
        return st;
    if (m == 0)
        return CPAE_OK;

    /* Targets go through U^* in chunks of nb side by side (n x nb h), so the
     * GEMM packs U once per chunk instead of once per target. */
    int64_t nb = FSUM_COLS / h;
    nb = nb < 1 ? 1 : nb > m ? m : nb;
    const int64_t ch = nb * h;
    const int64_t count = 4 * nh + 3 * n * ch + 2 * n + 2 * m;
    double *w = dalloc(count);
    if (!w)
        return nomem(func, count);
    double *C = w, *Ah = w + 2 * nh, *Ac = Ah + 2 * nh, *T = Ac + n * ch;
    double *gam = T + 2 * n * ch, *tv = gam + 2 * n, *fv = tv + m;
    /* The grid's cosines and sines do not depend on the target: tabulate
     * them once when there is more than one target and the table is of
     * reasonable size (else, or without memory, they are recomputed: same
     * values either way). */
    double *tab = NULL;
    if (m > 1 && n_grid <= GRID_TAB_MAX / (2 * n) && (tab = dalloc(2 * n * n_grid)))
        grid_trig(skew, theta_max, n_grid, tab);
    skew_to_eig(skew, A0, h, C);
    const double a0sq = dot(A0, A0, nh);
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
            st = skew_solve(skew, C, a0sq, Ah, dot(Ai, Ai, nh), h, theta_max, n_grid,
                            tab, gam, tv + i0 + b, fv + i0 + b);
        }
    }
    if (st == CPAE_OK) {
        if (theta)
            memcpy(theta, tv, (size_t)m * sizeof(double));
        if (f)
            memcpy(f, fv, (size_t)m * sizeof(double));
    }
    free(tab);
    free(w);
    return st;
}

/* ------------------------------------------------------------ orbits */

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
        (st = cpae__check_ptr(out, func, "out")) || (st = check_dim(n, func, "n")))
        return st;
    if (n_theta < 1)
        return cpae__fail(CPAE_E_SIZE, func, "n_theta = %lld must be >= 1",
                          (long long)n_theta);
    int64_t total;
    if (!cpae__mul_ok(n_theta, 2 * n, &total))
        return cpae__fail(CPAE_E_LIMIT, func, "n_theta * n overflows");
    if ((st = check_finite(G, n * n, func, "G")) ||
        (st = check_finite(x0, n, func, "x0")) ||
        (st = check_finite(thetas, n_theta, func, "thetas")))
        return st;

    if (exactly_skew(G, n)) {
        cpae__skew_eig *f = NULL;
        if ((st = cpae__skew_eig_create(G, n, &f, func)) != CPAE_OK)
            return st;
        double *w = dalloc(total + 2 * n);
        if (!w) {
            cpae__skew_eig_destroy(f);
            return nomem(func, total + 2 * n);
        }
        double *Wt = w, *c = w + total; /* Wt: n_theta x 2n */
        skew_to_eig(f, x0, 1, c);
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
    double *w = dalloc(count);
    if (!w)
        return nomem(func, count);
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
