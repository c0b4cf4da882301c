/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* geometry.c -- region geometry: boundary distances and regions in a ball
 * (docs/math.md section 2); segment walks are in segment.c. */
#include "net/net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------- distance to boundary */

typedef struct nearest {
    double r;        /* best |z_i| / ||a_i|| so far */
    int64_t unit;    /* its code bit, -1 if none */
    double *normal;  /* in: buffer of `in` doubles, or NULL */
} nearest;

/* Visitor: the closest sign constraint among this layer's units. */
static int32_t visit_nearest(void *ctx, const struct cpae_layer *L, int64_t bit,
                             const double *z, const double *grad, int64_t in)
{
    nearest *nr = ctx;
    if (bit < 0)
        return CPAE_OK;
    for (int64_t i = 0; i < L->n_out; i++) {
        const double *a = grad + i * in;
        double nrm2 = 0.0;
        for (int64_t j = 0; j < in; j++)
            nrm2 += a[j] * a[j];
        if (nrm2 == 0.0) /* constant unit: never changes sign */
            continue;
        double nrm = sqrt(nrm2), r = fabs(z[i]) / nrm;
        if (r < nr->r) {
            nr->r = r;
            nr->unit = bit + i;
            if (nr->normal) {
                /* Point away from the current side: z > 0 must decrease. */
                double s = z[i] > 0.0 ? -1.0 / nrm : 1.0 / nrm;
                for (int64_t j = 0; j < in; j++)
                    nr->normal[j] = s * a[j];
            }
        }
    }
    return CPAE_OK;
}

static int32_t nearest_at(const cpae_chain *c, const double *x, nearest *nr, const char *fn)
{
    nr->r = INFINITY;
    nr->unit = -1;
    return cpae__chain_frozen(c, x, visit_nearest, nr, NULL, NULL, NULL, fn);
}

int32_t cpae_model_boundary_distance(const cpae_model *model, int32_t stack,
                                     const float *point, int64_t dim, double *r,
                                     int64_t *unit, float *normal, int64_t normal_cap)
{
    static const char fn[] = "cpae_model_boundary_distance";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_points(model, stack, point, 1, dim, &c, fn, "point")) ||
        (st = cpae__check_ptr(r, fn, "r")) ||
        (normal && (st = cpae__check_cap(normal_cap, dim, fn, "normal"))))
        return st;
    double *x;
    if ((st = cpae__to_double(point, dim, &x, fn, "point")))
        return st;
    nearest nr = {0};
    if (normal && !(nr.normal = calloc((size_t)dim, sizeof(double)))) {
        free(x);
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
    if (!(st = nearest_at(&c, x, &nr, fn))) {
        *r = nr.r;
        if (unit)
            *unit = nr.unit;
        if (normal)
            for (int64_t j = 0; j < dim; j++)
                normal[j] = (float)nr.normal[j];
    }
    free(nr.normal);
    free(x);
    return st;
}

int32_t cpae_model_boundary_distances(const cpae_model *model, int32_t stack,
                                      const float *points, int64_t n, int64_t dim,
                                      double *r, int64_t r_cap)
{
    static const char fn[] = "cpae_model_boundary_distances";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_points(model, stack, points, n, dim, &c, fn, "points")) ||
        (st = cpae__check_ptr(r, fn, "r")) || (st = cpae__check_cap(r_cap, n, fn, "r")))
        return st;
    double *x;
    if ((st = cpae__to_double(points, n * dim, &x, fn, "points")))
        return st;
    double *tmp = malloc((size_t)n * sizeof(double));
    if (!tmp) {
        free(x);
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
    for (int64_t i = 0; i < n && !st; i++) {
        nearest nr = {0};
        st = nearest_at(&c, x + i * dim, &nr, fn);
        tmp[i] = nr.r;
    }
    if (!st)
        memcpy(r, tmp, (size_t)n * sizeof(double));
    free(tmp);
    free(x);
    return st;
}

/* ---------------------------------------------------- regions in a ball */

/* Points generated per forward block. */
#define BALL_BLOCK 1024

int32_t cpae_model_count_regions_in_ball(const cpae_model *model, int32_t stack,
                                         const float *center, int64_t dim, double rho,
                                         int64_t n_samples, uint64_t seed,
                                         int64_t *n_regions)
{
    static const char fn[] = "cpae_model_count_regions_in_ball";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_points(model, stack, center, 1, dim, &c, fn, "center")) ||
        (st = cpae__check_ptr(n_regions, fn, "n_regions")) ||
        (st = cpae__check_finite_f(center, dim, fn, "center")))
        return st;
    if (!isfinite(rho) || rho < 0.0)
        return cpae__fail(CPAE_E_INVALID, fn, "rho must be finite and >= 0");
    if (n_samples < 1)
        return cpae__fail(CPAE_E_SIZE, fn, "n_samples is %lld; must be >= 1",
                          (long long)n_samples);
    /* The codes of all samples are kept to count them: at most 2^30 bytes. */
    int64_t cb = cpae__bytes_for_bits(cpae__chain_bits(&c)), total;
    if (!cpae__mul_ok(n_samples, cb ? cb : 1, &total) || total > (INT64_C(1) << 30))
        return cpae__fail(CPAE_E_LIMIT, fn, "n_samples = %lld codes of %lld bytes exceed "
                          "the 1 GiB limit", (long long)n_samples, (long long)cb);
    int64_t block = n_samples < BALL_BLOCK ? n_samples : BALL_BLOCK;
    uint8_t *codes = malloc((size_t)(total ? total : 1));
    double *x = malloc((size_t)(block * dim) * sizeof(double));
    double *y = malloc((size_t)(block * cpae__chain_out(&c)) * sizeof(double));
    if (!codes || !x || !y) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    cpae_rng rng;
    cpae__rng_seed(&rng, seed);
    for (int64_t s0 = 0; s0 < n_samples && !st; s0 += block) {
        int64_t rows = n_samples - s0 < block ? n_samples - s0 : block;
        for (int64_t r = 0; r < rows; r++) {
            /* Uniform in the ball: Gaussian direction, radius rho U^(1/dim). */
            double *xr = x + r * dim, nrm2 = 0.0;
            do {
                nrm2 = 0.0;
                for (int64_t j = 0; j < dim; j++) {
                    xr[j] = cpae__rng_normal(&rng);
                    nrm2 += xr[j] * xr[j];
                }
            } while (nrm2 == 0.0);
            double rad = rho * pow(cpae__rng_uniform(&rng), 1.0 / (double)dim) / sqrt(nrm2);
            for (int64_t j = 0; j < dim; j++)
                xr[j] = center[j] + rad * xr[j];
        }
        st = cpae__chain_forward(&c, x, rows, y, codes + s0 * cb, cb, fn);
    }
    if (!st)
        st = cpae__count_distinct_rows(codes, n_samples, cb, n_regions, fn);
done:
    free(codes);
    free(x);
    free(y);
    return st;
}
