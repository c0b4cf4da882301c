/* geometry.c -- region geometry: boundary distances, exact segment walks,
 * regions in a ball (docs/math.md section 2). */
#include "internal.h"

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

/* ------------------------------------------------------- segment walk */

struct cpae_path {
    int32_t stack;
    uint64_t shape_hash;
    int64_t n_bits;
    int64_t code_bytes;
    int64_t n;        /* regions */
    int64_t cap;
    double *t;        /* n start parameters */
    uint8_t *codes;   /* n x code_bytes */
};

/* Crossings closer than this in t are not separated (regions thinner than
 * it merge into a neighbour). */
#define T_EPS 1e-12
/* |z| below REL_TOL times the magnitude of its terms counts as "on the
 * boundary": the side is then decided by the direction of travel. */
#define REL_TOL 1e-9

static int32_t path_push(cpae_path *p, double t, const uint8_t *code, const char *fn)
{
    if (p->n == p->cap) {
        int64_t cap = p->cap ? 2 * p->cap : 16;
        double *nt = realloc(p->t, (size_t)cap * sizeof(double));
        if (!nt)
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        p->t = nt;
        uint8_t *nc = realloc(p->codes, (size_t)(cap * (p->code_bytes ? p->code_bytes : 1)));
        if (!nc)
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        p->codes = nc;
        p->cap = cap;
    }
    p->t[p->n] = t;
    memcpy(p->codes + p->n * p->code_bytes, code, (size_t)p->code_bytes);
    p->n++;
    return CPAE_OK;
}

/* At x = p + t dir, compute the code of the open interval just after t
 * (one-sided: units on a boundary take the side they move to) and the
 * smallest crossing parameter t_next > t (INFINITY if none). Scratch: ws of
 * 4 * wmax doubles. */
static void step(const cpae_chain *c, const double *x, const double *dir, double t,
                 uint8_t *code, int64_t code_bytes, double *t_next, double *ws, int64_t wmax)
{
    double *a = ws, *da = ws + wmax, *z = ws + 2 * wmax, *dz = ws + 3 * wmax;
    int64_t prev = cpae__chain_in(c), bit = 0;
    memcpy(a, x, (size_t)prev * sizeof(double));
    memcpy(da, dir, (size_t)prev * sizeof(double));
    memset(code, 0, (size_t)code_bytes);
    double best = INFINITY;
    for (int64_t l = 0; l < c->n; l++) {
        const struct cpae_layer *L = &c->layers[l];
        for (int64_t i = 0; i < L->n_out; i++) {
            const double *w = L->w + i * prev;
            double zi = L->b[i], dzi = 0.0, mag = fabs(L->b[i]);
            for (int64_t j = 0; j < prev; j++) {
                zi += w[j] * a[j];
                dzi += w[j] * da[j];
                mag += fabs(w[j] * a[j]);
            }
            z[i] = zi;
            dz[i] = dzi;
            if (!cpae__has_bits(L->act))
                continue;
            bool on = fabs(zi) <= REL_TOL * mag ? dzi > 0.0 || (dzi == 0.0 && zi > 0.0)
                                                : zi > 0.0;
            if (on)
                code[(bit + i) >> 3] |= (uint8_t)(1u << ((bit + i) & 7));
            /* Where this unit's sign changes, with the masks of this interval. */
            if (dzi != 0.0 && (on ? dzi < 0.0 : dzi > 0.0)) {
                double tc = t - zi / dzi;
                if (tc > t + T_EPS && tc < best)
                    best = tc;
            }
        }
        for (int64_t i = 0; i < L->n_out; i++) {
            double q = cpae__has_bits(L->act)
                           ? ((code[(bit + i) >> 3] >> ((bit + i) & 7)) & 1
                                  ? 1.0 : cpae__state(L->act, L->alpha, 0.0))
                           : 1.0;
            a[i] = q * z[i];
            da[i] = q * dz[i];
        }
        if (cpae__has_bits(L->act))
            bit += L->n_out;
        prev = L->n_out;
    }
    *t_next = best;
}

int32_t cpae_model_segment(const cpae_model *model, int32_t stack, const float *p,
                           const float *q, int64_t dim, int64_t max_regions,
                           cpae_path **out)
{
    static const char fn[] = "cpae_model_segment";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_points(model, stack, p, 1, dim, &c, fn, "p")) ||
        (st = cpae__check_ptr(q, fn, "q")) || (st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__check_finite_f(p, dim, fn, "p")) ||
        (st = cpae__check_finite_f(q, dim, fn, "q")))
        return st;
    if (max_regions < 1)
        return cpae__fail(CPAE_E_INVALID, fn, "max_regions is %lld; must be >= 1",
                          (long long)max_regions);
    int64_t wmax = cpae__chain_max_width(&c);
    cpae_path *path = calloc(1, sizeof *path);
    double *ws = malloc((size_t)(4 * wmax + 3 * dim) * sizeof(double));
    int64_t cb = cpae__bytes_for_bits(cpae__chain_bits(&c));
    uint8_t *code = malloc((size_t)(cb ? cb : 1));
    if (!path || !ws || !code) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto fail;
    }
    path->stack = stack;
    path->shape_hash = cpae__chain_shape_hash(&c);
    path->n_bits = cpae__chain_bits(&c);
    path->code_bytes = cb;
    double *x0 = ws + 4 * wmax, *dir = x0 + dim, *x = dir + dim;
    for (int64_t j = 0; j < dim; j++) {
        x0[j] = p[j];
        dir[j] = (double)q[j] - (double)p[j];
    }
    double t = 0.0, t_next;
    for (;;) {
        for (int64_t j = 0; j < dim; j++)
            x[j] = x0[j] + t * dir[j];
        step(&c, x, dir, t, code, cb, &t_next, ws, wmax);
        /* A touch without a sign change leaves the code as it was: no region. */
        if (path->n == 0 || memcmp(code, path->codes + (path->n - 1) * cb, (size_t)cb) != 0) {
            if (path->n == max_regions) {
                st = cpae__fail(CPAE_E_LIMIT, fn, "more than max_regions = %lld regions "
                                "on the segment", (long long)max_regions);
                goto fail;
            }
            if ((st = path_push(path, t, code, fn)))
                goto fail;
        }
        if (!(t_next < 1.0))
            break;
        t = t_next;
    }
    free(ws);
    free(code);
    *out = path;
    return CPAE_OK;
fail:
    free(ws);
    free(code);
    cpae_path_destroy(path);
    return st;
}

void cpae_path_destroy(cpae_path *path)
{
    if (!path)
        return;
    free(path->t);
    free(path->codes);
    free(path);
}

int32_t cpae_path_n_regions(const cpae_path *path, int64_t *n_regions)
{
    static const char fn[] = "cpae_path_n_regions";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(path, fn, "path")) ||
        (st = cpae__check_ptr(n_regions, fn, "n_regions")))
        return st;
    *n_regions = path->n;
    return CPAE_OK;
}

int32_t cpae_path_params(const cpae_path *path, double *t, int64_t t_cap)
{
    static const char fn[] = "cpae_path_params";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(path, fn, "path")) || (st = cpae__check_ptr(t, fn, "t")) ||
        (st = cpae__check_cap(t_cap, path->n, fn, "t")))
        return st;
    memcpy(t, path->t, (size_t)path->n * sizeof(double));
    return CPAE_OK;
}

int32_t cpae_path_code(const cpae_path *path, int64_t k, cpae_code *code)
{
    static const char fn[] = "cpae_path_code";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(path, fn, "path")) || (st = cpae__check_ptr(code, fn, "code")))
        return st;
    if (k < 0 || k >= path->n)
        return cpae__fail(CPAE_E_INVALID, fn, "region %lld outside [0, %lld)", (long long)k,
                          (long long)path->n);
    if (code->stack != path->stack || code->shape_hash != path->shape_hash)
        return cpae__fail(CPAE_E_MISMATCH, fn, "the code was created for another stack or "
                          "model shape");
    memcpy(code->bits, path->codes + k * path->code_bytes, (size_t)path->code_bytes);
    return CPAE_OK;
}

int32_t cpae_path_codes(const cpae_path *path, uint8_t *codes, int64_t codes_cap)
{
    static const char fn[] = "cpae_path_codes";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(path, fn, "path")) || (st = cpae__check_ptr(codes, fn, "codes")) ||
        (st = cpae__check_cap(codes_cap, path->n * path->code_bytes, fn, "codes")))
        return st;
    memcpy(codes, path->codes, (size_t)(path->n * path->code_bytes));
    return CPAE_OK;
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
    if ((st = cpae__check_points(model, stack, center, n_samples, dim, &c, fn, "center")) ||
        (st = cpae__check_ptr(n_regions, fn, "n_regions")) ||
        (st = cpae__check_finite_f(center, dim, fn, "center")))
        return st;
    if (!isfinite(rho) || rho < 0.0)
        return cpae__fail(CPAE_E_INVALID, fn, "rho must be finite and >= 0");
    int64_t cb = cpae__bytes_for_bits(cpae__chain_bits(&c)), total;
    if (!cpae__mul_ok(n_samples, cb, &total) || total > (INT64_C(1) << 36))
        return cpae__fail(CPAE_E_LIMIT, fn, "n_samples = %lld is too large",
                          (long long)n_samples);
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
