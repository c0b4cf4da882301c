/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* segment.c -- the exact walk of a segment through the regions of a chain
 * (docs/math.md section 2).
 *
 * Along x(t) = p + t (q - p) every layer input is piecewise affine in t.
 * The walk refines [0, 1] layer by layer, as SplineCam does in 2-D: inside
 * a piece a unit's pre-activation is z(t) = a + b t, its root -a/b cuts the
 * piece, and each sub-piece takes the signs at its own midpoint. Signs are
 * thus never read at a crossing, where rounding decides them; roots of
 * units meeting at one point (zero biases, common vertices) fall within
 * their rounding uncertainty of each other and are cut once. */
#include "net/net.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* A root of one unit inside a piece and its rounding uncertainty. */
typedef struct root {
    double t;
    double u;
} root;

/* Per-layer scratch: the layer's input as affine functions of t (alpha +
 * beta t, with mag a bound on the magnitude of the terms that formed them),
 * its pre-activations (za + zb t, zm), and the cuts of the current piece. */
typedef struct level {
    double *alpha, *beta, *mag;
    double *za, *zb, *zm;
    root *roots;
    double *cuts;
} level;

typedef struct walk {
    const cpae_chain *c;
    level *lv;            /* c->n + 1 levels (the last holds the output) */
    uint8_t *code;
    int64_t code_bytes;
    int64_t max_regions;
    cpae_path *path;
    const char *fn;
} walk;

static int cmp_root(const void *pa, const void *pb)
{
    double a = ((const root *)pa)->t, b = ((const root *)pb)->t;
    return (a > b) - (a < b);
}

/* Rounding uncertainty of a computed root, in t: the error of a + b t is
 * a few ulps of the terms' magnitude (growing with depth and fan-in);
 * divided by the slope. */
static double root_uncertainty(double mag, double slope, int64_t layer, int64_t fan_in)
{
    return 8.0 * (double)(layer + 1) * sqrt((double)fan_in + 1.0) * DBL_EPSILON * mag /
           fabs(slope);
}

static int32_t emit(walk *w, double t0)
{
    cpae_path *p = w->path;
    int64_t cb = w->code_bytes;
    if (p->n > 0 && memcmp(w->code, p->codes + (p->n - 1) * cb, (size_t)cb) == 0)
        return CPAE_OK;
    if (p->n == w->max_regions)
        return cpae__fail(CPAE_E_LIMIT, w->fn, "more than max_regions = %lld regions on "
                          "the segment", (long long)w->max_regions);
    return path_push(p, t0, w->code, w->fn);
}

/* Refine the piece [t0, t1] from layer l on, emitting its regions in order. */
static int32_t walk_piece(walk *w, int64_t l, double t0, double t1, int64_t bit)
{
    if (l == w->c->n)
        return emit(w, t0);
    const struct cpae_layer *L = &w->c->layers[l];
    level *in = &w->lv[l], *out = &w->lv[l + 1];
    for (int64_t i = 0; i < L->n_out; i++) {
        const double *wi = L->w + i * L->n_in;
        double a = L->b[i], b = 0.0, m = fabs(L->b[i]);
        for (int64_t j = 0; j < L->n_in; j++) {
            a += wi[j] * in->alpha[j];
            b += wi[j] * in->beta[j];
            m += fabs(wi[j]) * in->mag[j];
        }
        in->za[i] = a;
        in->zb[i] = b;
        in->zm[i] = m;
    }
    if (!cpae__has_bits(L->act)) {
        memcpy(out->alpha, in->za, (size_t)L->n_out * sizeof(double));
        memcpy(out->beta, in->zb, (size_t)L->n_out * sizeof(double));
        memcpy(out->mag, in->zm, (size_t)L->n_out * sizeof(double));
        return walk_piece(w, l + 1, t0, t1, bit);
    }
    /* Roots strictly inside the piece, beyond their uncertainty from its
     * ends (a root within it of an end is the crossing that made the end). */
    int64_t nr = 0;
    for (int64_t i = 0; i < L->n_out; i++) {
        if (in->zb[i] == 0.0)
            continue;
        double r = -in->za[i] / in->zb[i];
        double u = root_uncertainty(in->zm[i], in->zb[i], l, L->n_in);
        if (r - u > t0 && r + u < t1)
            in->roots[nr++] = (root){r, u};
    }
    qsort(in->roots, (size_t)nr, sizeof(root), cmp_root);
    /* Roots within their uncertainty of the last cut are that crossing
     * (compared with the cut, not the previous root, so a chain of close
     * roots cannot stretch one cut over a wide region). */
    int64_t nc = 0;
    double last_u = 0.0;
    in->cuts[nc++] = t0;
    for (int64_t k = 0; k < nr; k++) {
        if (nc > 1 && in->roots[k].t - in->cuts[nc - 1] <= fmax(in->roots[k].u, last_u))
            continue;
        in->cuts[nc++] = in->roots[k].t;
        last_u = in->roots[k].u;
    }
    in->cuts[nc] = t1;
    for (int64_t k = 0; k < nc; k++) {
        double lo = in->cuts[k], hi = in->cuts[k + 1], tm = 0.5 * (lo + hi);
        for (int64_t i = 0; i < L->n_out; i++) {
            double z = in->za[i] + in->zb[i] * tm;
            /* A unit constant along the segment at rounding level of zero is
             * on its hyperplane all along: the tie rule's "off". */
            if (in->zb[i] == 0.0 && fabs(z) <= root_uncertainty(in->zm[i], 1.0, l, L->n_in))
                z = 0.0;
            double q = cpae__state(L->act, L->alpha, z);
            int64_t b = bit + i;
            if (z > 0.0) /* the bit is the sign (q alone is ambiguous at alpha = 1) */
                w->code[b >> 3] |= (uint8_t)(1u << (b & 7));
            else
                w->code[b >> 3] &= (uint8_t)~(1u << (b & 7));
            out->alpha[i] = q * in->za[i];
            out->beta[i] = q * in->zb[i];
            out->mag[i] = fabs(q) * in->zm[i];
        }
        int32_t st = walk_piece(w, l + 1, lo, hi, bit + L->n_out);
        if (st)
            return st;
    }
    return CPAE_OK;
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
    /* Per level: 6 width-sized arrays, the roots (2 each) and the cuts. */
    int64_t wmax = cpae__chain_max_width(&c), width = wmax > dim ? wmax : dim;
    int64_t per_level = 9 * width + 2;
    int64_t cb = cpae__bytes_for_bits(cpae__chain_bits(&c));
    cpae_path *path = calloc(1, sizeof *path);
    level *lv = calloc((size_t)(c.n + 1), sizeof *lv);
    double *ws = malloc((size_t)((c.n + 1) * per_level) * sizeof(double));
    uint8_t *code = calloc(1, (size_t)(cb ? cb : 1));
    if (!path || !lv || !ws || !code) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto fail;
    }
    for (int64_t l = 0; l <= c.n; l++) {
        double *s = ws + l * per_level;
        lv[l] = (level){s, s + width, s + 2 * width, s + 3 * width, s + 4 * width,
                        s + 5 * width, (root *)(s + 6 * width), s + 8 * width};
    }
    path->stack = stack;
    path->shape_hash = cpae__chain_shape_hash(&c);
    path->n_bits = cpae__chain_bits(&c);
    path->code_bytes = cb;
    for (int64_t j = 0; j < dim; j++) {
        double d = (double)q[j] - (double)p[j];
        lv[0].alpha[j] = p[j];
        lv[0].beta[j] = d;
        lv[0].mag[j] = fabs((double)p[j]) + fabs(d);
    }
    walk w = {&c, lv, code, cb, max_regions, path, fn};
    if ((st = walk_piece(&w, 0, 0.0, 1.0, 0)))
        goto fail;
    free(ws);
    free(lv);
    free(code);
    *out = path;
    return CPAE_OK;
fail:
    free(ws);
    free(lv);
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

