/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* report.c -- the generalization report of docs/math.md section 5 for a
 * trained model and a data set: decoder regions its encodings occupy, each
 * sample's distance to its region boundary, and, with generators, the Lie
 * residual and the tangent alignment between neighbouring regions.
 *
 * Neighbours are the data's own: each sample is paired with its nearest
 * other sample in input space (the "data" sampler of section 3, K = 1).
 * For a pair in different decoder regions, with A = A^D(E(x)) and
 * A' = A^D(E(x_nn)) (d x h):
 *   residual  r = min_theta ||A - (I + sum_j theta_j G_j) A'||_F^2,
 *   alignment cos2(U, V) = ||U^T V||_F^2 / max(rank U, rank V) of the
 *             orthonormal column bases of A and (I + sum theta_j G_j) A'
 *             (1 when the tangent spaces agree), and without G (theta = 0)
 *             for comparison. */
#include "net/net.h"
#include "lie/lie.h"

#include <float.h>
#include <jansson.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cpae_report {
    int64_t n;
    double value[CPAE_REPORT_N_KEYS];
    double *dist_latent;  /* n */
    double *dist_input;   /* n */
};

void cpae_report_destroy(cpae_report *report)
{
    if (!report)
        return;
    free(report->dist_latent);
    free(report->dist_input);
    free(report);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* min, median, max, sum of n values into out[0..3]. */
static int32_t summarise(const double *v, int64_t n, double *out, const char *fn)
{
    double *s = malloc((size_t)n * sizeof(double));
    if (!s)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    memcpy(s, v, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++)
        sum += s[i];
    out[0] = s[0];
    out[1] = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    out[2] = s[n - 1];
    out[3] = sum;
    free(s);
    return CPAE_OK;
}

/* Nearest other sample of each row of x (n x d, double), by blocked GEMM of
 * ||a||^2 + ||b||^2 - 2 a.b. nn[i] = -1 when n == 1. */
static int32_t nearest_neighbours(const double *x, int64_t n, int64_t d, int64_t *nn,
                                  const char *fn)
{
    const int64_t B = 256;
    double *sq = malloc((size_t)n * sizeof(double));
    double *g = malloc((size_t)(B * (n < B ? n : B)) * sizeof(double));
    double *best = malloc((size_t)n * sizeof(double));
    if (!sq || !g || !best) {
        free(sq);
        free(g);
        free(best);
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        double s = 0.0;
        for (int64_t j = 0; j < d; j++)
            s += x[i * d + j] * x[i * d + j];
        sq[i] = s;
        best[i] = INFINITY;
        nn[i] = -1;
    }
    for (int64_t i0 = 0; i0 < n; i0 += B) {
        int64_t ri = n - i0 < B ? n - i0 : B;
        for (int64_t j0 = 0; j0 < n; j0 += B) {
            int64_t rj = n - j0 < B ? n - j0 : B;
            cpae__gemm(false, true, ri, rj, d, 1.0, x + i0 * d, d, x + j0 * d, d, 0.0, g, rj);
            for (int64_t a = 0; a < ri; a++)
                for (int64_t b = 0; b < rj; b++) {
                    int64_t i = i0 + a, j = j0 + b;
                    double dist = sq[i] + sq[j] - 2.0 * g[a * rj + b];
                    if (i != j && dist < best[i]) {
                        best[i] = dist;
                        nn[i] = j;
                    }
                }
        }
    }
    free(sq);
    free(g);
    free(best);
    return CPAE_OK;
}

/* Orthonormal basis of the column space of a (d x h) into u (d x mn, mn =
 * min(d, h); the first *rank columns), rank cut s_max max(d, h) DBL_EPSILON.
 * Scratch work: dh + 2 mn doubles. */
static int32_t column_basis(const double *a, int64_t d, int64_t h, double *u, int64_t *rank,
                            double *work, const char *fn)
{
    int64_t mn = d < h ? d : h;
    double *s = work, *sup = work + mn, *copy = work + 2 * mn;
    memcpy(copy, a, (size_t)(d * h) * sizeof(double));
    lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'S', 'N', (lapack_int)d, (lapack_int)h,
                                     copy, (lapack_int)h, s, u, (lapack_int)mn, NULL, 1, sup);
    if (info != 0)
        return cpae__fail(CPAE_E_NUMERIC, fn, "LAPACKE_dgesvd failed (info %d)", (int)info);
    int64_t r = 0;
    double cut = s[0] * (double)(d > h ? d : h) * DBL_EPSILON;
    while (r < mn && s[r] > cut)
        r++;
    *rank = s[0] > 0.0 ? r : 0;
    return CPAE_OK;
}

/* cos2 of two bases (d x mn storage, ranks ru, rv). */
static double alignment(const double *u, int64_t ru, const double *v, int64_t rv, int64_t d,
                        int64_t mn)
{
    double s = 0.0;
    for (int64_t a = 0; a < ru; a++)
        for (int64_t b = 0; b < rv; b++) {
            double dot = 0.0;
            for (int64_t i = 0; i < d; i++)
                dot += u[i * mn + a] * v[i * mn + b];
            s += dot * dot;
        }
    return s / (double)(ru > rv ? ru : rv);
}

/* Scratch doubles pair_terms needs. */
static int64_t pair_scratch(int64_t d, int64_t h, int64_t k)
{
    int64_t dh = d * h, mn = d < h ? d : h;
    return 4 * dh + (k ? k : 1) * dh + 2 * dh + (dh > k ? dh : k) + 2 * mn + k + 16;
}

/* Residual and alignments of one pair: a, ap (d x h); lie may be NULL.
 * out: [residual (NaN without lie), |A - A'|^2, cos2 with G, cos2 without
 * G]; a cos2 is NaN when a map is zero. ws: pair_scratch doubles. */
static int32_t pair_terms(const double *a, const double *ap, const cpae_lie *lie, int64_t d,
                          int64_t h, double *out, double *ws, const char *fn)
{
    int64_t dh = d * h, k = lie ? lie->k : 0, mn = d < h ? d : h;
    double *delta = ws, *moved = delta + dh, *ua = moved + dh, *ub = ua + dh, *m = ub + dh;
    double *work = m + (k ? k : 1) * dh;
    double dd = 0.0;
    for (int64_t i = 0; i < dh; i++) {
        delta[i] = a[i] - ap[i];
        dd += delta[i] * delta[i];
    }
    memcpy(moved, ap, (size_t)dh * sizeof(double));
    out[0] = NAN;
    out[1] = dd;
    if (lie) {
        /* M = [vec(G_j A')] column-major (dh x k) for dgelsd: column j is
         * G_j A' in row-major order, i.e. one vec() ordering for all. */
        for (int64_t j = 0; j < k; j++)
            cpae__gemm(false, false, d, h, d, 1.0, lie->g + j * d * d, d, ap, h, 0.0,
                       m + j * dh, h);
        int64_t ldb = dh > k ? dh : k;
        double *theta = work, *sv = work + ldb;
        memcpy(theta, delta, (size_t)dh * sizeof(double));
        lapack_int rank;
        lapack_int info = LAPACKE_dgelsd(LAPACK_COL_MAJOR, (lapack_int)dh, (lapack_int)k, 1, m,
                                         (lapack_int)dh, theta, (lapack_int)ldb, sv, -1.0,
                                         &rank);
        if (info != 0)
            return cpae__fail(CPAE_E_NUMERIC, fn, "LAPACKE_dgelsd failed (info %d)", (int)info);
        /* moved = (I + sum theta_j G_j) A', residual |A - moved|^2 */
        for (int64_t j = 0; j < k; j++)
            cpae__gemm(false, false, d, h, d, theta[j], lie->g + j * d * d, d, ap, h, 1.0,
                       moved, h);
        double r = 0.0;
        for (int64_t i = 0; i < dh; i++) {
            double e = a[i] - moved[i];
            r += e * e;
        }
        out[0] = r;
    }
    int64_t ra, rb, rc;
    int32_t st;
    if ((st = column_basis(a, d, h, ua, &ra, work, fn)) ||
        (st = column_basis(moved, d, h, ub, &rb, work, fn)))
        return st;
    out[2] = ra && rb ? alignment(ua, ra, ub, rb, d, mn) : NAN;
    if ((st = column_basis(ap, d, h, ub, &rc, work, fn)))
        return st;
    out[3] = ra && rc ? alignment(ua, ra, ub, rc, d, mn) : NAN;
    return CPAE_OK;
}

/* The Lie part: residual and alignment over neighbour pairs in different
 * decoder regions. z (n x h) are the encodings (as floats, as the public
 * calls see them), codes their decoder codes. */
static int32_t lie_part(const cpae_model *model, const cpae_lie *lie, const float *x,
                        const float *z, const uint8_t *codes, int64_t cb, int64_t n,
                        int64_t d, int64_t h, double *value, const char *fn)
{
    cpae_chain dec;
    int32_t st = cpae__chain(model, CPAE_DECODER, &dec, fn);
    if (st)
        return st;
    int64_t *nn = malloc((size_t)n * sizeof(int64_t));
    double *xd = malloc((size_t)(n * d) * sizeof(double));
    double *a = malloc((size_t)(2 * d * h + 2 * h) * sizeof(double));
    double *ws = malloc((size_t)pair_scratch(d, h, lie ? lie->k : 0) * sizeof(double));
    if (!nn || !xd || !a || !ws) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n * d; i++)
        xd[i] = x[i];
    if ((st = nearest_neighbours(xd, n, d, nn, fn)))
        goto done;
    double *ap = a + d * h, *zi = ap + d * h, *zj = zi + h;
    double res = 0.0, change = 0.0, with_g = 0.0, without_g = 0.0;
    int64_t pairs = 0, aligned = 0;
    for (int64_t i = 0; i < n && !st; i++) {
        int64_t j = nn[i];
        if (j < 0 || memcmp(codes + i * cb, codes + j * cb, (size_t)cb) == 0)
            continue; /* same region: residual 0, alignment 1 */
        for (int64_t c = 0; c < h; c++) {
            zi[c] = z[i * h + c];
            zj[c] = z[j * h + c];
        }
        double t[4] = {NAN, NAN, NAN, NAN};
        if ((st = cpae__chain_frozen(&dec, zi, NULL, NULL, a, NULL, NULL, fn)) ||
            (st = cpae__chain_frozen(&dec, zj, NULL, NULL, ap, NULL, NULL, fn)) ||
            (st = pair_terms(a, ap, lie, d, h, t, ws, fn)))
            break;
        pairs++;
        res += t[0];
        change += t[1];
        if (!isnan(t[2]) && !isnan(t[3])) {
            with_g += t[2];
            without_g += t[3];
            aligned++;
        }
    }
    if (!st) {
        value[CPAE_REPORT_N_PAIRS] = (double)pairs;
        value[CPAE_REPORT_LIE_RESIDUAL] = lie ? res : NAN;
        value[CPAE_REPORT_LIE_RESIDUAL_FRACTION] = lie && change > 0.0 ? res / change : NAN;
        value[CPAE_REPORT_ALIGNMENT] = lie && aligned ? with_g / (double)aligned : NAN;
        value[CPAE_REPORT_ALIGNMENT_WITHOUT_G] = aligned ? without_g / (double)aligned : NAN;
    }
done:
    free(nn);
    free(xd);
    free(a);
    free(ws);
    return st;
}

int32_t cpae_report_create(const cpae_model *model, const cpae_lie *lie, const float *x,
                           int64_t n, int64_t d, cpae_report **out)
{
    static const char fn[] = "cpae_report_create";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    int64_t h;
    if ((st = cpae__check_points(model, CPAE_AUTOENCODER, x, n, d, &c, fn, "x")) ||
        (st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__check_finite_f(x, n * d, fn, "x")) ||
        (st = cpae_model_dims(model, NULL, &h)))
        return st;
    if (d * h > INT32_MAX / 4)
        return cpae__fail(CPAE_E_LIMIT, fn, "d h = %lld is too large for the report's LAPACK "
                          "calls", (long long)(d * h));
    if (lie && lie->d != d)
        return cpae__fail(CPAE_E_SIZE, fn, "the generators are %lld x %lld, the data have "
                          "d = %lld", (long long)lie->d, (long long)lie->d, (long long)d);
    int64_t cb;
    if ((st = cpae_model_code_bytes(model, CPAE_DECODER, &cb)))
        return cpae__pass_on(st, fn, NULL);
    cpae_report *r = calloc(1, sizeof *r);
    float *z = malloc((size_t)(n * h) * sizeof(float));
    uint8_t *codes = malloc((size_t)(n * (cb ? cb : 1)));
    if (r) {
        r->dist_latent = malloc((size_t)n * sizeof(double));
        r->dist_input = malloc((size_t)n * sizeof(double));
    }
    if (!r || !z || !codes || !r->dist_latent || !r->dist_input) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto fail;
    }
    r->n = n;
    for (int k = 0; k < CPAE_REPORT_N_KEYS; k++)
        r->value[k] = NAN;
    int64_t dec_regions, in_regions;
    /* The same public calls a user would make, so the numbers agree. */
    if ((st = cpae_model_encode(model, x, n, d, z, n * h)) ||
        (st = cpae_model_codes(model, CPAE_DECODER, z, n, h, codes, n * (cb ? cb : 1))) ||
        (st = cpae_model_count_regions(model, CPAE_DECODER, z, n, h, &dec_regions)) ||
        (st = cpae_model_count_regions(model, CPAE_AUTOENCODER, x, n, d, &in_regions)) ||
        (st = cpae_model_boundary_distances(model, CPAE_DECODER, z, n, h, r->dist_latent, n)) ||
        (st = cpae_model_boundary_distances(model, CPAE_AUTOENCODER, x, n, d, r->dist_input,
                                            n))) {
        st = cpae__pass_on(st, fn, NULL);
        goto fail;
    }
    r->value[CPAE_REPORT_N_SAMPLES] = (double)n;
    r->value[CPAE_REPORT_DECODER_REGIONS] = (double)dec_regions;
    r->value[CPAE_REPORT_INPUT_REGIONS] = (double)in_regions;
    if ((st = summarise(r->dist_latent, n, &r->value[CPAE_REPORT_DISTANCE_MIN], fn)) ||
        (st = summarise(r->dist_input, n, &r->value[CPAE_REPORT_INPUT_DISTANCE_MIN], fn)) ||
        (st = lie_part(model, lie, x, z, codes, cb, n, d, h, r->value, fn)))
        goto fail;
    free(z);
    free(codes);
    *out = r;
    return CPAE_OK;
fail:
    free(z);
    free(codes);
    cpae_report_destroy(r);
    return st;
}

int32_t cpae_report_get(const cpae_report *report, int32_t key, double *value)
{
    static const char fn[] = "cpae_report_get";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(report, fn, "report")) || (st = cpae__check_ptr(value, fn, "value")))
        return st;
    if (key < 0 || key >= CPAE_REPORT_N_KEYS)
        return cpae__fail(CPAE_E_INVALID, fn, "unknown report key %d", (int)key);
    *value = report->value[key];
    return CPAE_OK;
}

int32_t cpae_report_distances(const cpae_report *report, int32_t stack, double *r,
                              int64_t r_cap)
{
    static const char fn[] = "cpae_report_distances";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(report, fn, "report")) || (st = cpae__check_ptr(r, fn, "r")))
        return st;
    if (stack != CPAE_DECODER && stack != CPAE_AUTOENCODER)
        return cpae__fail(CPAE_E_INVALID, fn, "stack must be CPAE_DECODER (latent distances) "
                          "or CPAE_AUTOENCODER (input distances)");
    if ((st = cpae__check_cap(r_cap, report->n, fn, "r")))
        return st;
    memcpy(r, stack == CPAE_DECODER ? report->dist_latent : report->dist_input,
           (size_t)report->n * sizeof(double));
    return CPAE_OK;
}

/* A number for JSON: non-finite values (no generators, no boundary) are
 * null, which JSON has and NaN is not. */
static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *stats(const double *v)
{
    return json_pack("{s:o, s:o, s:o, s:o}", "min", jnum(v[0]), "median", jnum(v[1]), "max",
                     jnum(v[2]), "sum", jnum(v[3]));
}

int32_t cpae_report_json(const cpae_report *report, char *buf, int64_t cap, int64_t *len)
{
    static const char fn[] = "cpae_report_json";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(report, fn, "report")) || (st = cpae__check_ptr(len, fn, "len")))
        return st;
    const double *v = report->value;
    json_t *lie = json_pack(
        "{s:I, s:o, s:o, s:o, s:o}", "pairs_in_different_regions", (json_int_t)v[CPAE_REPORT_N_PAIRS],
        "residual_sum", jnum(v[CPAE_REPORT_LIE_RESIDUAL]), "residual_fraction",
        jnum(v[CPAE_REPORT_LIE_RESIDUAL_FRACTION]), "alignment", jnum(v[CPAE_REPORT_ALIGNMENT]),
        "alignment_without_g", jnum(v[CPAE_REPORT_ALIGNMENT_WITHOUT_G]));
    json_t *root = json_pack(
        "{s:I, s:I, s:I, s:o, s:o, s:o}", "n_samples", (json_int_t)report->n,
        "decoder_regions", (json_int_t)v[CPAE_REPORT_DECODER_REGIONS], "input_regions",
        (json_int_t)v[CPAE_REPORT_INPUT_REGIONS], "boundary_distance_latent",
        stats(&v[CPAE_REPORT_DISTANCE_MIN]), "boundary_distance_input",
        stats(&v[CPAE_REPORT_INPUT_DISTANCE_MIN]), "neighbours", lie);
    char *s = root ? json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(root);
    if (!s)
        return cpae__fail(CPAE_E_NOMEM, fn, "could not build the JSON text");
    int64_t need = (int64_t)strlen(s) + 1;
    *len = need;
    if (buf) {
        if ((st = cpae__check_cap(cap, need, fn, "buf"))) {
            free(s);
            return st;
        }
        memcpy(buf, s, (size_t)need);
    }
    free(s);
    return CPAE_OK;
}
