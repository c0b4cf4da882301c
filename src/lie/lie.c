/* lie.c -- Lie generator handles: creation, normalisation, set/get, the
 * exponential map, orbits, the cosine against a reference generator and the
 * cyclic-shift generator (docs/math.md sections 3 and 7). The numerical kernels
 * (Pade expm, skew fast path, shift generator) live in expm.c. */
#include "lie/lie.h"

#include "lie/expm.h"

#include <lapacke.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cpae_lie_set: skew-symmetry tolerance ||G + G^T||_F <= tol ||G||_F (the
 * public contract). */
#define LIE_SET_SKEW_TOL 1e-6

/* cpae_lie_set: dependence tolerance of the Gram-Schmidt. The input is
 * float: a combination of generators rounded to float leaves a residual of
 * order FLT_EPSILON, which must count as dependent, not as a new direction
 * made of rounding noise. Same relative level as the skew check. */
#define LIE_SET_DEP_TOL 1e-6

/* cpae_lie_cosine: rank tolerance for the span of the points, the usual
 * numerical-rank convention of numpy/torch matrix_rank and MATLAB rank for
 * float data: a singular value s of the n x d points counts iff
 * s > s_max * max(n, d) * FLT_EPSILON. A stricter cut (4 FLT_EPSILON
 * ||X||_F, tried first) kept directions an orbit arc excites at 1e-6 of its
 * largest singular value, which no float model resolves and which then
 * dominated the restricted cosine (docs/lie-recovery.md). */
#define LIE_RANK_TOL ((double)FLT_EPSILON)

/* cpae_lie_cosine: a restricted generator P G P with ||P G P|| <=
 * LIE_ZERO_TOL ||G|| vanishes on the span (e.g. a rotation restricted to a
 * line) and has no direction to compare. g_ref and the points are float:
 * their rounding alone leaves restricted norms of order 1e-7 ||G|| for a
 * generator that is zero on the span, so smaller values are not a
 * direction. */
#define LIE_ZERO_TOL 1e-6

/* Points per block of the span computation beyond the first d. */
#define SPAN_BLOCK 1024

/* ------------------------------------------------------------- helpers */

static double dot(const double *a, const double *b, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* count doubles with the byte size checked; NULL on overflow or OOM. */
static double *dalloc(int64_t count)
{
    if (count < 0 || (uint64_t)count > SIZE_MAX / sizeof(double))
        return NULL;
    return malloc((size_t)(count > 0 ? count : 1) * sizeof(double));
}

static int32_t nomem(const char *fn, int64_t count)
{
    return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %lld doubles", (long long)count);
}

static bool valid_param(int32_t param)
{
    return param == CPAE_LIE_GENERAL || param == CPAE_LIE_SKEW || param == CPAE_LIE_FIXED;
}

static int32_t check_j(const struct cpae_lie *lie, int64_t j, const char *fn)
{
    if (j < 0 || j >= lie->k)
        return cpae__fail(CPAE_E_INVALID, fn, "generator index j = %lld is outside [0, %lld)",
                          (long long)j, (long long)lie->k);
    return CPAE_OK;
}

static int32_t check_finite_d(const double *x, int64_t n, const char *fn, const char *name)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return cpae__fail(CPAE_E_NONFINITE, fn, "'%s'[%lld] is %s", name, (long long)i,
                              isnan(x[i]) ? "NaN" : "infinite");
    return CPAE_OK;
}

/* Write n doubles to floats; CPAE_E_NUMERIC (nothing written) if a value
 * does not fit in a float. */
static int32_t store_f(float *dst, const double *src, int64_t n, const char *fn,
                       const char *what)
{
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(src[i]) <= (double)FLT_MAX))
            return cpae__fail(CPAE_E_NUMERIC, fn, "%s[%lld] = %g is not representable "
                              "as a float", what, (long long)i, src[i]);
    for (int64_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
    return CPAE_OK;
}

/* Replace G (d x d) by its skew part (G - G^T)/2, exactly skew. */
static void skew_part(double *G, int64_t d)
{
    for (int64_t a = 0; a < d; a++) {
        G[a * d + a] = 0.0;
        for (int64_t b = a + 1; b < d; b++) {
            double v = 0.5 * (G[a * d + b] - G[b * d + a]);
            G[a * d + b] = v;
            G[b * d + a] = -v;
        }
    }
}

/* Restore bitwise skew-symmetry from the upper triangle. */
static void mirror_skew(double *G, int64_t d)
{
    for (int64_t a = 0; a < d; a++) {
        G[a * d + a] = 0.0;
        for (int64_t b = a + 1; b < d; b++)
            G[b * d + a] = -G[a * d + b];
    }
}

/* Normalise k generators (d x d each) in place; see cpae__lie_normalize.
 * tol is the relative dependence tolerance. On failure g is garbage. */
static int32_t normalize_core(double *g, int64_t k, int64_t d, int32_t param, double tol,
                              const char *fn)
{
    const int64_t nn = d * d;
    for (int64_t j = 0; j < k; j++) {
        double *G = g + j * nn;
        double amax = 0.0;
        for (int64_t i = 0; i < nn; i++) {
            double a = fabs(G[i]);
            if (!(a <= DBL_MAX))
                return cpae__fail(CPAE_E_NONFINITE, fn, "generator %lld has a %s entry",
                                  (long long)j, isnan(G[i]) ? "NaN" : "infinite");
        }
        if (param == CPAE_LIE_SKEW)
            skew_part(G, d);
        for (int64_t i = 0; i < nn; i++)
            if (fabs(G[i]) > amax)
                amax = fabs(G[i]);
        if (amax == 0.0)
            return cpae__fail(CPAE_E_INVALID, fn, "generator %lld is zero%s", (long long)j,
                              param == CPAE_LIE_SKEW ? " (its skew part is zero)" : "");
        /* Scale by the largest entry first: the sum of squares then neither
         * overflows nor underflows. */
        for (int64_t i = 0; i < nn; i++)
            G[i] /= amax;
        double nrm = sqrt(dot(G, G, nn));
        for (int64_t i = 0; i < nn; i++)
            G[i] /= nrm;
    }
    /* Modified Gram-Schmidt in the Frobenius inner product; a generator that
     * loses more than half its norm is orthogonalised a second time
     * ("twice is enough"), so near-dependent inputs stay orthonormal. */
    for (int64_t j = 1; j < k; j++) {
        double *G = g + j * nn, r = 1.0;
        for (int pass = 0; pass < 2; pass++) {
            for (int64_t i = 0; i < j; i++) {
                const double *Q = g + i * nn;
                double c = dot(Q, G, nn);
                for (int64_t t = 0; t < nn; t++)
                    G[t] -= c * Q[t];
            }
            r = sqrt(dot(G, G, nn));
            if (!(r >= tol))
                return cpae__fail(CPAE_E_INVALID, fn, "generator %lld is linearly dependent "
                                  "on generators 0..%lld (relative residual %.3g < %.3g)",
                                  (long long)j, (long long)(j - 1), r, tol);
            if (r >= 0.5)
                break;
        }
        for (int64_t t = 0; t < nn; t++)
            G[t] /= r;
    }
    if (param == CPAE_LIE_SKEW)
        for (int64_t j = 0; j < k; j++)
            mirror_skew(g + j * nn, d);
    return CPAE_OK;
}

/* ---------------------------------------------------- internal interface */

int32_t cpae__lie_alloc(int64_t d, int64_t k, int32_t param, struct cpae_lie **out,
                        const char *func)
{
    if (d < 1)
        return cpae__fail(CPAE_E_SIZE, func, "d = %lld, must be >= 1", (long long)d);
    if (d > CPAE_MAX_WIDTH)
        return cpae__fail(CPAE_E_LIMIT, func, "d = %lld exceeds CPAE_MAX_WIDTH (%d)",
                          (long long)d, CPAE_MAX_WIDTH);
    if (k < 1)
        return cpae__fail(CPAE_E_SIZE, func, "k = %lld, must be >= 1", (long long)k);
    const int64_t nn = d * d; /* <= 2^48 */
    if (k > nn)
        return cpae__fail(CPAE_E_SIZE, func, "k = %lld exceeds d*d = %lld, the dimension "
                          "of the d x d matrices", (long long)k, (long long)nn);
    if (!valid_param(param))
        return cpae__fail(CPAE_E_INVALID, func, "param is %d; use CPAE_LIE_GENERAL, "
                          "CPAE_LIE_SKEW or CPAE_LIE_FIXED", (int)param);
    if (param == CPAE_LIE_SKEW && k > d * (d - 1) / 2)
        return cpae__fail(CPAE_E_SIZE, func, "k = %lld exceeds d(d-1)/2 = %lld, the "
                          "dimension of the skew-symmetric d x d matrices", (long long)k,
                          (long long)(d * (d - 1) / 2));
    int64_t total;
    if (!cpae__mul_ok(k, nn, &total) || total > CPAE_MAX_PARAMS)
        return cpae__fail(CPAE_E_LIMIT, func, "k*d*d = %lld*%lld exceeds CPAE_MAX_PARAMS",
                          (long long)k, (long long)nn);
    /* One block: the struct, then the generators, 16-byte aligned. */
    size_t head = (sizeof(struct cpae_lie) + 15) & ~(size_t)15;
    if ((uint64_t)total > (SIZE_MAX - head) / sizeof(double))
        return cpae__fail(CPAE_E_NOMEM, func, "%lld generator entries do not fit in memory",
                          (long long)total);
    size_t bytes = head + (size_t)total * sizeof(double);
    struct cpae_lie *lie = calloc(1, bytes);
    if (!lie)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate %zu bytes", bytes);
    lie->d = d;
    lie->k = k;
    lie->param = param;
    lie->g = (double *)((char *)lie + head);
    lie->alloc_bytes = bytes;
    *out = lie;
    return CPAE_OK;
}

int32_t cpae__lie_normalize(struct cpae_lie *lie, const char *func)
{
    int64_t total = lie->k * lie->d * lie->d;
    double *w = dalloc(total);
    if (!w)
        return nomem(func, total);
    memcpy(w, lie->g, (size_t)total * sizeof(double));
    int32_t st = normalize_core(w, lie->k, lie->d, lie->param, CPAE__LIE_DEP_TOL, func);
    if (st == CPAE_OK)
        memcpy(lie->g, w, (size_t)total * sizeof(double));
    free(w);
    return st;
}

/* ------------------------------------------------------------ handles */

int32_t cpae_lie_create(int64_t d, int64_t k, int32_t param, uint64_t seed, cpae_lie **out)
{
    static const char fn[] = "cpae_lie_create";
    cpae__clear_error();
    int32_t st;
    struct cpae_lie *lie = NULL;
    if ((st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__lie_alloc(d, k, param, &lie, fn)))
        return st;
    /* Standard normal entries, row by row, generator by generator; skew:
     * S - S^T. FIXED starts like GENERAL (the user normally sets it). */
    cpae_rng rng;
    cpae__rng_seed(&rng, seed);
    const int64_t nn = d * d;
    for (int64_t i = 0; i < k * nn; i++)
        lie->g[i] = cpae__rng_normal(&rng);
    if (param == CPAE_LIE_SKEW)
        for (int64_t j = 0; j < k; j++) {
            double *G = lie->g + j * nn;
            for (int64_t a = 0; a < d; a++) {
                G[a * d + a] = 0.0;
                for (int64_t b = a + 1; b < d; b++) {
                    double v = G[a * d + b] - G[b * d + a];
                    G[a * d + b] = v;
                    G[b * d + a] = -v;
                }
            }
        }
    /* Random Gaussian generators are independent with probability 1. */
    if ((st = normalize_core(lie->g, k, d, param, CPAE__LIE_DEP_TOL, fn))) {
        free(lie);
        return st;
    }
    *out = lie;
    return CPAE_OK;
}

void cpae_lie_destroy(cpae_lie *lie) { free(lie); }

int32_t cpae_lie_clone(const cpae_lie *lie, cpae_lie **out)
{
    static const char fn[] = "cpae_lie_clone";
    cpae__clear_error();
    int32_t st;
    struct cpae_lie *c = NULL;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__lie_alloc(lie->d, lie->k, lie->param, &c, fn)))
        return st;
    memcpy(c->g, lie->g, (size_t)(lie->k * lie->d * lie->d) * sizeof(double));
    *out = c;
    return CPAE_OK;
}

int32_t cpae_lie_info(const cpae_lie *lie, int64_t *d, int64_t *k, int32_t *param)
{
    static const char fn[] = "cpae_lie_info";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")))
        return st;
    if (d)
        *d = lie->d;
    if (k)
        *k = lie->k;
    if (param)
        *param = lie->param;
    return CPAE_OK;
}

int32_t cpae_lie_set(cpae_lie *lie, const float *g, int64_t len)
{
    static const char fn[] = "cpae_lie_set";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(g, fn, "g")))
        return st;
    const int64_t d = lie->d, k = lie->k, nn = d * d, total = k * nn;
    if (len != total)
        return cpae__fail(CPAE_E_SIZE, fn, "len = %lld, expected k*d*d = %lld",
                          (long long)len, (long long)total);
    if ((st = cpae__check_finite_f(g, len, fn, "g")))
        return st;
    double *w = dalloc(total);
    if (!w)
        return nomem(fn, total);
    for (int64_t i = 0; i < total; i++)
        w[i] = (double)g[i];
    /* Per-generator checks on the values as given. Float squares fit in a
     * double: no scaling needed. */
    for (int64_t j = 0; j < k && st == CPAE_OK; j++) {
        const double *G = w + j * nn;
        double n2 = dot(G, G, nn);
        if (n2 == 0.0) {
            st = cpae__fail(CPAE_E_INVALID, fn, "generator %lld is zero", (long long)j);
            break;
        }
        if (lie->param == CPAE_LIE_SKEW) {
            double a2 = 0.0;
            for (int64_t a = 0; a < d; a++)
                for (int64_t b = 0; b < d; b++) {
                    double s = G[a * d + b] + G[b * d + a];
                    a2 += s * s;
                }
            double ratio = sqrt(a2) / sqrt(n2);
            if (!(ratio <= LIE_SET_SKEW_TOL))
                st = cpae__fail(CPAE_E_INVALID, fn, "generator %lld is not skew-symmetric "
                                "(||G + G^T|| / ||G|| = %.3g > %.0e) but the generators "
                                "are CPAE_LIE_SKEW", (long long)j, ratio, LIE_SET_SKEW_TOL);
        }
    }
    /* Normalise the scratch copy (skew: its exact skew part); the handle is
     * only written once everything succeeded. */
    if (st == CPAE_OK)
        st = normalize_core(w, k, d, lie->param, LIE_SET_DEP_TOL, fn);
    if (st == CPAE_OK)
        memcpy(lie->g, w, (size_t)total * sizeof(double));
    free(w);
    return st;
}

int32_t cpae_lie_get(const cpae_lie *lie, float *g, int64_t cap)
{
    static const char fn[] = "cpae_lie_get";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(g, fn, "g")) ||
        (st = cpae__check_cap(cap, lie->k * lie->d * lie->d, fn, "g")))
        return st;
    /* Unit-norm generators: every entry is in [-1, 1]. */
    for (int64_t i = 0; i < lie->k * lie->d * lie->d; i++)
        g[i] = (float)lie->g[i];
    return CPAE_OK;
}

/* ------------------------------------------------- exponential, orbits */

int32_t cpae_lie_expm(const cpae_lie *lie, const double *theta, int64_t n_theta, float *e,
                      int64_t cap)
{
    static const char fn[] = "cpae_lie_expm";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(theta, fn, "theta")) ||
        (st = cpae__check_ptr(e, fn, "e")))
        return st;
    const int64_t d = lie->d, nn = d * d;
    if (n_theta != lie->k)
        return cpae__fail(CPAE_E_SIZE, fn, "n_theta = %lld, expected k = %lld",
                          (long long)n_theta, (long long)lie->k);
    if ((st = cpae__check_cap(cap, nn, fn, "e")) ||
        (st = check_finite_d(theta, n_theta, fn, "theta")))
        return st;
    double *w = dalloc(2 * nn);
    if (!w)
        return nomem(fn, 2 * nn);
    double *X = w, *E = w + nn;
    memset(X, 0, (size_t)nn * sizeof(double));
    for (int64_t j = 0; j < lie->k; j++) {
        const double *G = lie->g + j * nn;
        for (int64_t i = 0; i < nn; i++)
            X[i] += theta[j] * G[i];
    }
    st = CPAE_OK;
    for (int64_t i = 0; i < nn; i++)
        if (!isfinite(X[i])) {
            st = cpae__fail(CPAE_E_NUMERIC, fn, "sum_j theta_j G_j overflows");
            break;
        }
    if (st == CPAE_OK)
        st = cpae__expm(X, d, E, fn);
    if (st == CPAE_OK)
        st = store_f(e, E, nn, fn, "exp");
    free(w);
    return st;
}

int32_t cpae_lie_orbit(const cpae_lie *lie, int64_t j, const float *x0, int64_t d,
                       const double *thetas, int64_t n_theta, float *out, int64_t cap)
{
    static const char fn[] = "cpae_lie_orbit";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(x0, fn, "x0")) ||
        (st = cpae__check_ptr(thetas, fn, "thetas")) || (st = cpae__check_ptr(out, fn, "out")) ||
        (st = check_j(lie, j, fn)))
        return st;
    if (d != lie->d)
        return cpae__fail(CPAE_E_SIZE, fn, "d = %lld but the generators are %lld x %lld",
                          (long long)d, (long long)lie->d, (long long)lie->d);
    if (n_theta < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "n_theta = %lld, must be >= 1", (long long)n_theta);
    int64_t need;
    if (!cpae__mul_ok(n_theta, d, &need))
        return cpae__fail(CPAE_E_SIZE, fn, "n_theta * d overflows");
    if ((st = cpae__check_cap(cap, need, fn, "out")) ||
        (st = cpae__check_finite_f(x0, d, fn, "x0")) ||
        (st = check_finite_d(thetas, n_theta, fn, "thetas")))
        return st;
    double *w = dalloc(need + d);
    if (!w)
        return nomem(fn, need + d);
    double *x = w, *res = w + d;
    for (int64_t i = 0; i < d; i++)
        x[i] = (double)x0[i];
    /* Exactly skew generators (CPAE_LIE_SKEW, or a skew matrix set into
     * GENERAL/FIXED) take cpae__orbit's eigendecomposition path. */
    st = cpae__orbit(lie->g + j * d * d, d, x, thetas, n_theta, res, fn);
    if (st == CPAE_OK)
        st = store_f(out, res, need, fn, "orbit");
    free(w);
    return st;
}

/* ------------------------------------------------------------ cosine */

static int32_t lapack_status(lapack_int info, const char *routine, const char *fn)
{
    if (info == 0)
        return CPAE_OK;
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return cpae__fail(CPAE_E_NOMEM, fn, "%s: out of memory", routine);
    if (info > 0)
        return cpae__fail(CPAE_E_NUMERIC, fn, "%s did not converge (info = %d)", routine,
                          (int)info);
    return cpae__fail(CPAE_E_INTERNAL, fn, "%s: illegal argument %d", routine, (int)-info);
}

/* Orthonormal basis of the span of n points (n x d float rows): *basis
 * receives rank x d doubles (rows orthonormal; malloc'd, caller frees; may
 * be an empty allocation with rank 0 when all points are zero).
 *
 * The points are processed in blocks with a summary: the rows s_c u_c^T of
 * the SVD so far (X^T X preserved), stacked on the next block and
 * re-factorised (LAPACKE_dgesdd). Memory is O(d (d + SPAN_BLOCK)) whatever
 * n is. In column-major terms the row-major stack (m x d) is A = X^T
 * (d x m), whose left singular vectors are the wanted directions. */
static int32_t span_basis(const float *points, int64_t n, int64_t d, double **basis,
                          int64_t *rank, const char *fn)
{
    const int64_t rows = d + SPAN_BLOCK; /* <= 2^24 + 1024 */
    int64_t a_count = rows * d, vt_count = d * rows;
    if (sizeof(lapack_int) < sizeof(int64_t) && (a_count > INT32_MAX || vt_count > INT32_MAX))
        return cpae__fail(CPAE_E_LIMIT, fn, "d = %lld is too large for the LAPACK integer "
                          "width of this build", (long long)d);
    int64_t count = a_count + d * d + vt_count + d;
    double *w = dalloc(count);
    if (!w)
        return nomem(fn, count);
    double *A = w, *U = A + a_count, *VT = U + d * d, *s = VT + vt_count;
    int64_t r = 0, mn = 0, pos = 0;
    int32_t st = CPAE_OK;
    while (pos < n) {
        int64_t cnt = n - pos < rows - r ? n - pos : rows - r;
        for (int64_t i = 0; i < cnt * d; i++)
            A[r * d + i] = (double)points[pos * d + i];
        pos += cnt;
        int64_t m = r + cnt;
        mn = m < d ? m : d;
        lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', (lapack_int)d, (lapack_int)m,
                                         A, (lapack_int)d, s, U, (lapack_int)d, VT,
                                         (lapack_int)mn);
        if ((st = lapack_status(info, "LAPACKE_dgesdd", fn)))
            break;
        if (pos < n) {
            /* Summary rows s_c u_c^T (s is descending; drop exact zeros). */
            r = 0;
            for (int64_t c = 0; c < mn && s[c] > 0.0; c++, r++)
                for (int64_t i = 0; i < d; i++)
                    A[c * d + i] = s[c] * U[c * d + i];
        }
    }
    if (st == CPAE_OK) {
        double tol = mn > 0 ? s[0] * (double)(n > d ? n : d) * LIE_RANK_TOL : 0.0;
        int64_t rk = 0;
        while (rk < mn && s[rk] > tol && s[rk] > 0.0)
            rk++;
        double *B = dalloc(rk * d);
        if (!B) {
            st = nomem(fn, rk * d);
        } else {
            /* Column c of U (column-major, ldu = d) is contiguous. */
            memcpy(B, U, (size_t)(rk * d) * sizeof(double));
            *basis = B;
            *rank = rk;
        }
    }
    free(w);
    return st;
}

/* out (r x r) = B M B^T, B r x d, M d x d; T is r x d scratch. */
static void restrict_to(const double *B, int64_t r, int64_t d, const double *M, double *T,
                        double *out)
{
    cpae__gemm(false, false, r, d, d, 1.0, B, d, M, d, 0.0, T, d);
    cpae__gemm(false, true, r, r, d, 1.0, T, d, B, d, 0.0, out, r);
}

static double cosine(const double *a, const double *b, int64_t n, double na, double nb)
{
    double c = fabs(dot(a, b, n)) / (na * nb);
    return c > 1.0 ? 1.0 : c;
}

int32_t cpae_lie_cosine(const cpae_lie *lie, int64_t j, const float *g_ref, int64_t len,
                        const float *points, int64_t n, double *full, double *restricted)
{
    static const char fn[] = "cpae_lie_cosine";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(lie, fn, "lie")) || (st = cpae__check_ptr(g_ref, fn, "g_ref")) ||
        (st = check_j(lie, j, fn)))
        return st;
    const int64_t d = lie->d, nn = d * d;
    if (len != nn)
        return cpae__fail(CPAE_E_SIZE, fn, "len = %lld, expected d*d = %lld", (long long)len,
                          (long long)nn);
    int64_t np = 0;
    if (points) {
        if (n < 1)
            return cpae__fail(CPAE_E_SIZE, fn, "n = %lld, must be >= 1", (long long)n);
        if (!cpae__mul_ok(n, d, &np))
            return cpae__fail(CPAE_E_SIZE, fn, "n * d overflows");
    }
    if ((st = cpae__check_finite_f(g_ref, len, fn, "g_ref")) ||
        (points && (st = cpae__check_finite_f(points, np, fn, "points"))))
        return st;

    double *R = dalloc(nn);
    if (!R)
        return nomem(fn, nn);
    for (int64_t i = 0; i < nn; i++)
        R[i] = (double)g_ref[i];
    const double *G = lie->g + j * nn;
    double ng = sqrt(dot(G, G, nn)), nr = sqrt(dot(R, R, nn));
    if (nr == 0.0) {
        free(R);
        return cpae__fail(CPAE_E_INVALID, fn, "g_ref is zero");
    }
    if (ng == 0.0) {
        free(R);
        return cpae__fail(CPAE_E_INVALID, fn, "generator %lld is zero", (long long)j);
    }
    double c_full = cosine(G, R, nn, ng, nr), c_res = NAN;

    if (points) {
        double *B = NULL;
        int64_t rk = 0;
        st = span_basis(points, n, d, &B, &rk, fn);
        if (st == CPAE_OK) {
            /* ||B^T M B||_F = ||M||_F for B with orthonormal rows, so the
             * cosine of P G P and P R P (P = B^T B) is that of the r x r
             * matrices B G B^T and B R B^T. */
            double *w = dalloc(rk * d + 2 * rk * rk);
            if (!w) {
                st = nomem(fn, rk * d + 2 * rk * rk);
            } else {
                double *T = w, *Gr = T + rk * d, *Rr = Gr + rk * rk;
                if (rk > 0) {
                    restrict_to(B, rk, d, G, T, Gr);
                    restrict_to(B, rk, d, R, T, Rr);
                }
                double ngr = sqrt(dot(Gr, Gr, rk * rk)), nrr = sqrt(dot(Rr, Rr, rk * rk));
                if (!(ngr > LIE_ZERO_TOL * ng))
                    st = cpae__fail(CPAE_E_INVALID, fn, "generator %lld vanishes on the span "
                                    "of the points (rank %lld): no restricted cosine",
                                    (long long)j, (long long)rk);
                else if (!(nrr > LIE_ZERO_TOL * nr))
                    st = cpae__fail(CPAE_E_INVALID, fn, "g_ref vanishes on the span of the "
                                    "points (rank %lld): no restricted cosine", (long long)rk);
                else
                    c_res = cosine(Gr, Rr, rk * rk, ngr, nrr);
                free(w);
            }
        }
        free(B);
    }
    free(R);
    if (st != CPAE_OK)
        return st;
    if (full)
        *full = c_full;
    if (restricted)
        *restricted = c_res;
    return CPAE_OK;
}

/* ------------------------------------------------------- shift generator */

int32_t cpae_shift_generator(int64_t d, float *g, int64_t cap)
{
    static const char fn[] = "cpae_shift_generator";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(g, fn, "g")))
        return st;
    if (d < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "d = %lld, must be >= 1", (long long)d);
    if (d > CPAE_MAX_WIDTH)
        return cpae__fail(CPAE_E_SIZE, fn, "d = %lld exceeds CPAE_MAX_WIDTH (%d)",
                          (long long)d, CPAE_MAX_WIDTH);
    const int64_t nn = d * d;
    if ((st = cpae__check_cap(cap, nn, fn, "g")))
        return st;
    double *G = dalloc(nn);
    if (!G)
        return nomem(fn, nn);
    if ((st = cpae__shift_generator(d, G)) == CPAE_OK)
        st = store_f(g, G, nn, fn, "G");
    free(G);
    return st;
}
