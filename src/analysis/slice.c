/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* slice.c -- exact 2-D slices of the partition (docs/math.md section 2).
 *
 * On the plane x = o + u e1 + v e2 every layer input is piecewise affine in
 * (u, v). Starting from the rectangle, each layer's convex pieces are cut by
 * every unit's line z = a + b u + c v = 0 (SplineCam's method); each piece
 * then takes the layer's signs at its centroid and passes its affine map on.
 * Vertices within the rounding uncertainty of a line count as on it, so
 * lines through a common point (zero biases) make no slivers. */
#include "net/net.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cpae_slice {
    int32_t stack;
    uint64_t shape_hash;
    int64_t code_bytes;
    int64_t out;          /* output width of the chain */
    int64_t n, cap;       /* polygons */
    int64_t *first;       /* n + 1 offsets into uv (in vertices) */
    double *uv;           /* 2 per vertex */
    int64_t n_uv, cap_uv; /* vertices */
    uint8_t *codes;       /* n x code_bytes */
    double *maps;         /* n x out x 3: d/du, d/dv, value at (0, 0) */
};

/* Convex pieces of one level: vertex runs in a shared pool. */
typedef struct pieces {
    int64_t n, cap;
    int64_t *off, *cnt;
    double *v;            /* 2 per vertex */
    int64_t nv, capv;
} pieces;

/* Per-layer scratch: the layer input as alpha + beta u + gamma v (mag
 * bounds the terms), the pre-activations, the pieces of the current
 * parent polygon, and per-vertex side values. */
typedef struct level {
    double *alpha, *beta, *gamma, *mag;
    double *za, *zu, *zv, *zm;
    pieces ps;
    double *side;
    int64_t side_cap;
} level;

typedef struct slicer {
    const cpae_chain *c;
    level *lv;
    uint8_t *code;
    int64_t max_polygons;
    cpae_slice *s;
    const char *fn;
} slicer;

static int32_t grow(void **p, int64_t *cap, int64_t need, size_t size, const char *fn)
{
    if (need <= *cap)
        return CPAE_OK;
    int64_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    *p = q;
    *cap = c;
    return CPAE_OK;
}

/* Append a piece of k vertices (copied from src) to ps. */
static int32_t piece_add(pieces *ps, const double *src, int64_t k, const char *fn)
{
    int32_t st;
    int64_t cap = ps->cap;
    if ((st = grow((void **)&ps->off, &cap, ps->n + 1, sizeof(int64_t), fn)))
        return st;
    cap = ps->cap;
    if ((st = grow((void **)&ps->cnt, &cap, ps->n + 1, sizeof(int64_t), fn)))
        return st;
    ps->cap = cap;
    if ((st = grow((void **)&ps->v, &ps->capv, 2 * (ps->nv + k), sizeof(double), fn)))
        return st;
    memcpy(ps->v + 2 * ps->nv, src, (size_t)(2 * k) * sizeof(double));
    ps->off[ps->n] = ps->nv;
    ps->cnt[ps->n] = k;
    ps->nv += k;
    ps->n++;
    return CPAE_OK;
}

/* Shoelace formula relative to the first vertex, so that polygons far from
 * the origin do not lose their area to cancellation. */
static double signed_area(const double *v, int64_t k)
{
    double a = 0.0;
    for (int64_t j = 1; j + 1 < k; j++) {
        double px = v[2 * j] - v[0], py = v[2 * j + 1] - v[1];
        double qx = v[2 * j + 2] - v[0], qy = v[2 * j + 3] - v[1];
        a += px * qy - qx * py;
    }
    return 0.5 * a;
}

/* Cut piece `k` of ps by the line a + b u + c v = 0 when it has vertices
 * beyond tol on both sides: the part with z >= 0 replaces it, the other is
 * appended. Vertices within tol are on the line and go to both parts. */
static int32_t cut_piece(pieces *ps, int64_t k, double a, double b, double c, double tol,
                         level *lv, const char *fn)
{
    int64_t cnt = ps->cnt[k];
    int32_t st;
    if ((st = grow((void **)&lv->side, &lv->side_cap, 2 * cnt + 4, sizeof(double), fn)))
        return st;
    const double *v = ps->v + 2 * ps->off[k];
    bool pos = false, neg = false;
    for (int64_t j = 0; j < cnt; j++) {
        double s = a + b * v[2 * j] + c * v[2 * j + 1];
        if (fabs(s) <= tol)
            s = 0.0;
        lv->side[j] = s;
        pos |= s > 0.0;
        neg |= s < 0.0;
    }
    if (!pos || !neg)
        return CPAE_OK;
    /* A convex piece gives halves of at most cnt + 1 vertices; room for 2 cnt
     * each (every vertex plus every edge crossing), in case rounding left
     * a piece slightly non-convex. Built after the pool's end. */
    if ((st = grow((void **)&ps->v, &ps->capv, 2 * (ps->nv + 4 * cnt), sizeof(double), fn)))
        return st;
    v = ps->v + 2 * ps->off[k];
    double *hp = ps->v + 2 * ps->nv, *hn = hp + 2 * (2 * cnt);
    int64_t np = 0, nn = 0;
    for (int64_t j = 0; j < cnt; j++) {
        int64_t j1 = (j + 1) % cnt;
        double s0 = lv->side[j], s1 = lv->side[j1];
        const double *p0 = v + 2 * j, *p1 = v + 2 * j1;
        if (s0 >= 0.0) {
            hp[2 * np] = p0[0];
            hp[2 * np++ + 1] = p0[1];
        }
        if (s0 <= 0.0) {
            hn[2 * nn] = p0[0];
            hn[2 * nn++ + 1] = p0[1];
        }
        if ((s0 > 0.0 && s1 < 0.0) || (s0 < 0.0 && s1 > 0.0)) {
            double f = s0 / (s0 - s1);
            double x = p0[0] + f * (p1[0] - p0[0]), y = p0[1] + f * (p1[1] - p0[1]);
            hp[2 * np] = hn[2 * nn] = x;
            hp[2 * np++ + 1] = hn[2 * nn++ + 1] = y;
        }
    }
    /* The positive half becomes piece k (in place in the pool), the
     * negative half a new piece. */
    ps->off[k] = ps->nv;
    ps->cnt[k] = np;
    ps->nv += np;
    memmove(ps->v + 2 * ps->nv, hn, (size_t)(2 * nn) * sizeof(double));
    int64_t cap = ps->cap;
    if ((st = grow((void **)&ps->off, &cap, ps->n + 1, sizeof(int64_t), fn)))
        return st;
    cap = ps->cap;
    if ((st = grow((void **)&ps->cnt, &cap, ps->n + 1, sizeof(int64_t), fn)))
        return st;
    ps->cap = cap;
    ps->off[ps->n] = ps->nv;
    ps->cnt[ps->n] = nn;
    ps->nv += nn;
    ps->n++;
    return CPAE_OK;
}

static int32_t emit(slicer *w, const double *v, int64_t k)
{
    cpae_slice *s = w->s;
    const char *fn = w->fn;
    int64_t cb = s->code_bytes, out = s->out;
    if (s->n == w->max_polygons)
        return cpae__fail(CPAE_E_LIMIT, fn, "more than max_polygons = %lld polygons in "
                          "the slice", (long long)w->max_polygons);
    int32_t st;
    if (s->n + 1 >= s->cap) {
        int64_t cap = s->cap ? 2 * s->cap : 64;
        int64_t *f = realloc(s->first, (size_t)(cap + 1) * sizeof(int64_t));
        if (!f)
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        s->first = f;
        uint8_t *cd = realloc(s->codes, (size_t)(cap * (cb ? cb : 1)));
        if (!cd)
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        s->codes = cd;
        double *mp = realloc(s->maps, (size_t)(cap * out * 3) * sizeof(double));
        if (!mp)
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        s->maps = mp;
        s->cap = cap;
    }
    if ((st = grow((void **)&s->uv, &s->cap_uv, 2 * (s->n_uv + k), sizeof(double), fn)))
        return st;
    memcpy(s->uv + 2 * s->n_uv, v, (size_t)(2 * k) * sizeof(double));
    s->first[s->n] = s->n_uv;
    s->n_uv += k;
    s->first[s->n + 1] = s->n_uv;
    memcpy(s->codes + s->n * cb, w->code, (size_t)cb);
    const level *L = &w->lv[w->c->n];
    double *m = s->maps + s->n * out * 3;
    for (int64_t i = 0; i < out; i++) {
        m[3 * i] = L->beta[i];
        m[3 * i + 1] = L->gamma[i];
        m[3 * i + 2] = L->alpha[i];
    }
    s->n++;
    return CPAE_OK;
}

/* Refine the convex polygon v (k vertices) from layer l on. */
static int32_t slice_poly(slicer *w, int64_t l, const double *v, int64_t k, int64_t bit)
{
    if (l == w->c->n)
        return emit(w, v, k);
    const struct cpae_layer *L = &w->c->layers[l];
    level *in = &w->lv[l], *nx = &w->lv[l + 1];
    for (int64_t i = 0; i < L->n_out; i++) {
        const double *wi = L->w + i * L->n_in;
        double a = L->b[i], b = 0.0, c = 0.0, m = fabs(L->b[i]);
        for (int64_t j = 0; j < L->n_in; j++) {
            a += wi[j] * in->alpha[j];
            b += wi[j] * in->beta[j];
            c += wi[j] * in->gamma[j];
            m += fabs(wi[j]) * in->mag[j];
        }
        in->za[i] = a;
        in->zu[i] = b;
        in->zv[i] = c;
        in->zm[i] = m;
    }
    if (!cpae__has_bits(L->act)) {
        size_t sz = (size_t)L->n_out * sizeof(double);
        memcpy(nx->alpha, in->za, sz);
        memcpy(nx->beta, in->zu, sz);
        memcpy(nx->gamma, in->zv, sz);
        memcpy(nx->mag, in->zm, sz);
        return slice_poly(w, l + 1, v, k, bit);
    }
    pieces *ps = &in->ps;
    ps->n = ps->nv = 0;
    int32_t st;
    if ((st = piece_add(ps, v, k, w->fn)))
        return st;
    /* Rounding uncertainty of a unit's value, as in segment.c. */
    double K = 8.0 * (double)(l + 1) * sqrt((double)L->n_in + 1.0) * DBL_EPSILON;
    for (int64_t i = 0; i < L->n_out; i++) {
        if (in->zu[i] == 0.0 && in->zv[i] == 0.0)
            continue;
        int64_t n0 = ps->n;
        for (int64_t p = 0; p < n0; p++)
            if ((st = cut_piece(ps, p, in->za[i], in->zu[i], in->zv[i], K * in->zm[i], in,
                                w->fn)))
                return st;
    }
    for (int64_t p = 0; p < ps->n; p++) {
        const double *pv = ps->v + 2 * ps->off[p];
        int64_t cnt = ps->cnt[p];
        if (cnt < 3 || !(signed_area(pv, cnt) > 0.0))
            continue; /* a degenerate sliver: no interior */
        double cu = 0.0, cv = 0.0;
        for (int64_t j = 0; j < cnt; j++) {
            cu += pv[2 * j];
            cv += pv[2 * j + 1];
        }
        cu /= (double)cnt;
        cv /= (double)cnt;
        for (int64_t i = 0; i < L->n_out; i++) {
            double z = in->za[i] + in->zu[i] * cu + in->zv[i] * cv;
            /* Constant on the plane at rounding level of zero: on the
             * hyperplane everywhere, the tie rule's "off". */
            if (in->zu[i] == 0.0 && in->zv[i] == 0.0 && fabs(z) <= K * in->zm[i])
                z = 0.0;
            double q = cpae__state(L->act, L->alpha, z);
            int64_t b = bit + i;
            if (z > 0.0) /* the bit is the sign (q alone is ambiguous at alpha = 1) */
                w->code[b >> 3] |= (uint8_t)(1u << (b & 7));
            else
                w->code[b >> 3] &= (uint8_t)~(1u << (b & 7));
            nx->alpha[i] = q * in->za[i];
            nx->beta[i] = q * in->zu[i];
            nx->gamma[i] = q * in->zv[i];
            nx->mag[i] = fabs(q) * in->zm[i];
        }
        if ((st = slice_poly(w, l + 1, pv, cnt, bit + L->n_out)))
            return st;
    }
    return CPAE_OK;
}

/* Shared checks of a plane o + u e1 + v e2 over [u0, u1] x [v0, v1]. */
static int32_t check_plane(const cpae_model *model, int32_t stack, const float *origin,
                           const float *e1, const float *e2, int64_t dim, double u0,
                           double u1, double v0, double v1, cpae_chain *c, const char *fn)
{
    int32_t st;
    if ((st = cpae__check_points(model, stack, origin, 1, dim, c, fn, "origin")) ||
        (st = cpae__check_ptr(e1, fn, "e1")) || (st = cpae__check_ptr(e2, fn, "e2")) ||
        (st = cpae__check_finite_f(origin, dim, fn, "origin")) ||
        (st = cpae__check_finite_f(e1, dim, fn, "e1")) ||
        (st = cpae__check_finite_f(e2, dim, fn, "e2")))
        return st;
    if (!isfinite(u0) || !isfinite(u1) || !isfinite(v0) || !isfinite(v1))
        return cpae__fail(CPAE_E_NONFINITE, fn, "the rectangle's bounds must be finite");
    if (!(u0 < u1) || !(v0 < v1))
        return cpae__fail(CPAE_E_INVALID, fn, "empty rectangle [%g, %g] x [%g, %g]", u0, u1,
                          v0, v1);
    /* The plane's points must stay finite over the whole rectangle. */
    double ru = fmax(fabs(u0), fabs(u1)), rv = fmax(fabs(v0), fabs(v1));
    if (!isfinite(u1 - u0) || !isfinite(v1 - v0))
        return cpae__fail(CPAE_E_NONFINITE, fn, "the rectangle's extent overflows");
    for (int64_t j = 0; j < dim; j++)
        if (!isfinite(fabs((double)origin[j]) + fabs((double)e1[j]) * ru +
                      fabs((double)e2[j]) * rv))
            return cpae__fail(CPAE_E_NONFINITE, fn, "the plane's points overflow over the "
                              "rectangle (coordinate %lld)", (long long)j);
    return CPAE_OK;
}

static void slice_free_levels(level *lv, int64_t n)
{
    if (!lv)
        return;
    for (int64_t l = 0; l <= n; l++) {
        free(lv[l].alpha);
        free(lv[l].ps.off);
        free(lv[l].ps.cnt);
        free(lv[l].ps.v);
        free(lv[l].side);
    }
    free(lv);
}

int32_t cpae_model_slice(const cpae_model *model, int32_t stack, const float *origin,
                         const float *e1, const float *e2, int64_t dim, double u0, double u1,
                         double v0, double v1, int64_t max_polygons, cpae_slice **out)
{
    static const char fn[] = "cpae_model_slice";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = check_plane(model, stack, origin, e1, e2, dim, u0, u1, v0, v1, &c, fn)) ||
        (st = cpae__check_ptr(out, fn, "out")))
        return st;
    if (max_polygons < 1)
        return cpae__fail(CPAE_E_INVALID, fn, "max_polygons is %lld; must be >= 1",
                          (long long)max_polygons);
    int64_t wmax = cpae__chain_max_width(&c), width = wmax > dim ? wmax : dim;
    int64_t cb = cpae__bytes_for_bits(cpae__chain_bits(&c));
    cpae_slice *s = calloc(1, sizeof *s);
    level *lv = calloc((size_t)(c.n + 1), sizeof *lv);
    uint8_t *code = calloc(1, (size_t)(cb ? cb : 1));
    if (!s || !lv || !code) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto fail;
    }
    for (int64_t l = 0; l <= c.n; l++) {
        double *b = malloc((size_t)(8 * width) * sizeof(double));
        if (!b) {
            st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
            goto fail;
        }
        lv[l].alpha = b;
        lv[l].beta = b + width;
        lv[l].gamma = b + 2 * width;
        lv[l].mag = b + 3 * width;
        lv[l].za = b + 4 * width;
        lv[l].zu = b + 5 * width;
        lv[l].zv = b + 6 * width;
        lv[l].zm = b + 7 * width;
    }
    s->stack = stack;
    s->shape_hash = cpae__chain_shape_hash(&c);
    s->code_bytes = cb;
    s->out = cpae__chain_out(&c);
    double ru = fmax(fabs(u0), fabs(u1)), rv = fmax(fabs(v0), fabs(v1));
    for (int64_t j = 0; j < dim; j++) {
        lv[0].alpha[j] = origin[j];
        lv[0].beta[j] = e1[j];
        lv[0].gamma[j] = e2[j];
        lv[0].mag[j] = fabs((double)origin[j]) + fabs((double)e1[j]) * ru +
                       fabs((double)e2[j]) * rv;
    }
    const double rect[8] = {u0, v0, u1, v0, u1, v1, u0, v1};
    slicer w = {&c, lv, code, max_polygons, s, fn};
    if ((st = slice_poly(&w, 0, rect, 4, 0)))
        goto fail;
    slice_free_levels(lv, c.n);
    free(code);
    *out = s;
    return CPAE_OK;
fail:
    slice_free_levels(lv, c.n);
    free(code);
    cpae_slice_destroy(s);
    return st;
}

void cpae_slice_destroy(cpae_slice *slice)
{
    if (!slice)
        return;
    free(slice->first);
    free(slice->uv);
    free(slice->codes);
    free(slice->maps);
    free(slice);
}

int32_t cpae_slice_n_polygons(const cpae_slice *slice, int64_t *n_polygons)
{
    static const char fn[] = "cpae_slice_n_polygons";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(slice, fn, "slice")) ||
        (st = cpae__check_ptr(n_polygons, fn, "n_polygons")))
        return st;
    *n_polygons = slice->n;
    return CPAE_OK;
}

static int32_t check_index(const cpae_slice *slice, int64_t k, const char *fn)
{
    int32_t st = cpae__check_ptr(slice, fn, "slice");
    if (st)
        return st;
    if (k < 0 || k >= slice->n)
        return cpae__fail(CPAE_E_INVALID, fn, "polygon %lld outside [0, %lld)", (long long)k,
                          (long long)slice->n);
    return CPAE_OK;
}

int32_t cpae_slice_polygon_size(const cpae_slice *slice, int64_t k, int64_t *n_vertices)
{
    static const char fn[] = "cpae_slice_polygon_size";
    cpae__clear_error();
    int32_t st;
    if ((st = check_index(slice, k, fn)) ||
        (st = cpae__check_ptr(n_vertices, fn, "n_vertices")))
        return st;
    *n_vertices = slice->first[k + 1] - slice->first[k];
    return CPAE_OK;
}

int32_t cpae_slice_polygon(const cpae_slice *slice, int64_t k, double *uv, int64_t uv_cap)
{
    static const char fn[] = "cpae_slice_polygon";
    cpae__clear_error();
    int32_t st;
    if ((st = check_index(slice, k, fn)) || (st = cpae__check_ptr(uv, fn, "uv")))
        return st;
    int64_t nv = slice->first[k + 1] - slice->first[k];
    if ((st = cpae__check_cap(uv_cap, 2 * nv, fn, "uv")))
        return st;
    memcpy(uv, slice->uv + 2 * slice->first[k], (size_t)(2 * nv) * sizeof(double));
    return CPAE_OK;
}

int32_t cpae_slice_area(const cpae_slice *slice, int64_t k, double *area)
{
    static const char fn[] = "cpae_slice_area";
    cpae__clear_error();
    int32_t st;
    if ((st = check_index(slice, k, fn)) || (st = cpae__check_ptr(area, fn, "area")))
        return st;
    *area = signed_area(slice->uv + 2 * slice->first[k], slice->first[k + 1] - slice->first[k]);
    return CPAE_OK;
}

int32_t cpae_slice_code(const cpae_slice *slice, int64_t k, cpae_code *code)
{
    static const char fn[] = "cpae_slice_code";
    cpae__clear_error();
    int32_t st;
    if ((st = check_index(slice, k, fn)) || (st = cpae__check_ptr(code, fn, "code")))
        return st;
    if (code->stack != slice->stack || code->shape_hash != slice->shape_hash)
        return cpae__fail(CPAE_E_MISMATCH, fn, "the code was created for another stack or "
                          "model shape");
    memcpy(code->bits, slice->codes + k * slice->code_bytes, (size_t)slice->code_bytes);
    return CPAE_OK;
}

int32_t cpae_slice_codes(const cpae_slice *slice, uint8_t *codes, int64_t codes_cap)
{
    static const char fn[] = "cpae_slice_codes";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(slice, fn, "slice")) ||
        (st = cpae__check_ptr(codes, fn, "codes")) ||
        (st = cpae__check_cap(codes_cap, slice->n * slice->code_bytes, fn, "codes")))
        return st;
    memcpy(codes, slice->codes, (size_t)(slice->n * slice->code_bytes));
    return CPAE_OK;
}

int32_t cpae_slice_map(const cpae_slice *slice, int64_t k, double *a, int64_t a_cap,
                       double *b, int64_t b_cap)
{
    static const char fn[] = "cpae_slice_map";
    cpae__clear_error();
    int32_t st;
    int64_t out = slice ? slice->out : 0;
    if ((st = check_index(slice, k, fn)) ||
        (a && (st = cpae__check_cap(a_cap, 2 * out, fn, "a"))) ||
        (b && (st = cpae__check_cap(b_cap, out, fn, "b"))))
        return st;
    const double *m = slice->maps + k * out * 3;
    for (int64_t i = 0; i < out; i++) {
        if (a) {
            a[2 * i] = m[3 * i];
            a[2 * i + 1] = m[3 * i + 1];
        }
        if (b)
            b[i] = m[3 * i + 2];
    }
    return CPAE_OK;
}

/* ------------------------------------------------------------- raster */

/* Pixels per forward block. */
#define RASTER_BLOCK 4096

/* Open-addressing table from codes to labels (first appearance order). */
typedef struct labeler {
    int64_t cb, mask, n, cap;
    int32_t *slot;        /* label + 1, 0 = empty */
    uint8_t *codes;       /* cap x cb */
} labeler;

static uint64_t hash_code(const uint8_t *c, int64_t cb)
{
    uint64_t h = 1469598103934665603ULL;
    for (int64_t i = 0; i < cb; i++)
        h = (h ^ c[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static int32_t labeler_find(labeler *t, const uint8_t *code, int32_t *label, const char *fn)
{
    if (2 * (t->n + 1) > t->mask + 1) { /* keep the load below 1/2 */
        int64_t size = 2 * (t->mask + 1);
        int32_t *slot = calloc((size_t)size, sizeof(int32_t));
        if (!slot)
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        for (int64_t k = 0; k < t->n; k++) {
            uint64_t h = hash_code(t->codes + k * t->cb, t->cb) & (uint64_t)(size - 1);
            while (slot[h])
                h = (h + 1) & (uint64_t)(size - 1);
            slot[h] = (int32_t)(k + 1);
        }
        free(t->slot);
        t->slot = slot;
        t->mask = size - 1;
    }
    uint64_t h = hash_code(code, t->cb) & (uint64_t)t->mask;
    while (t->slot[h]) {
        int32_t k = t->slot[h] - 1;
        if (memcmp(t->codes + k * t->cb, code, (size_t)t->cb) == 0) {
            *label = k;
            return CPAE_OK;
        }
        h = (h + 1) & (uint64_t)t->mask;
    }
    int32_t st = grow((void **)&t->codes, &t->cap, t->n + 1, (size_t)(t->cb ? t->cb : 1), fn);
    if (st)
        return st;
    memcpy(t->codes + t->n * t->cb, code, (size_t)t->cb);
    t->slot[h] = (int32_t)(t->n + 1);
    *label = (int32_t)t->n++;
    return CPAE_OK;
}

int32_t cpae_model_raster(const cpae_model *model, int32_t stack, const float *origin,
                          const float *e1, const float *e2, int64_t dim, double u0, double u1,
                          double v0, double v1, int64_t width, int64_t height, int32_t *labels,
                          int64_t labels_cap, uint8_t *codes, int64_t codes_cap,
                          int64_t *n_labels)
{
    static const char fn[] = "cpae_model_raster";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    int64_t pixels;
    if ((st = check_plane(model, stack, origin, e1, e2, dim, u0, u1, v0, v1, &c, fn)) ||
        (st = cpae__check_ptr(labels, fn, "labels")) ||
        (st = cpae__check_ptr(n_labels, fn, "n_labels")))
        return st;
    if (width < 1 || height < 1 || !cpae__mul_ok(width, height, &pixels) ||
        pixels > INT32_MAX)
        return cpae__fail(CPAE_E_SIZE, fn, "a %lld x %lld raster is outside [1, 2^31) pixels",
                          (long long)width, (long long)height);
    if ((st = cpae__check_cap(labels_cap, pixels, fn, "labels")))
        return st;
    int64_t cb = cpae__bytes_for_bits(cpae__chain_bits(&c)), out = cpae__chain_out(&c);
    /* Blocks of at most RASTER_BLOCK pixels and about 2^22 input values. */
    int64_t block = pixels < RASTER_BLOCK ? pixels : RASTER_BLOCK;
    int64_t wide = dim > out ? dim : out;
    if (block * wide > (INT64_C(1) << 22))
        block = (INT64_C(1) << 22) / wide > 0 ? (INT64_C(1) << 22) / wide : 1;
    double *x = malloc((size_t)(block * dim) * sizeof(double));
    double *y = malloc((size_t)(block * out) * sizeof(double));
    uint8_t *bc = malloc((size_t)(block * (cb ? cb : 1)));
    int32_t *lab = malloc((size_t)pixels * sizeof(int32_t));
    labeler t = {cb, 63, 0, 0, calloc(64, sizeof(int32_t)), NULL};
    if (!x || !y || !bc || !lab || !t.slot) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    double du = (u1 - u0) / (double)width, dv = (v1 - v0) / (double)height;
    for (int64_t p0 = 0; p0 < pixels && !st; p0 += block) {
        int64_t rows = pixels - p0 < block ? pixels - p0 : block;
        for (int64_t r = 0; r < rows; r++) {
            int64_t px = (p0 + r) % width, py = (p0 + r) / width;
            double u = u0 + ((double)px + 0.5) * du, v = v0 + ((double)py + 0.5) * dv;
            for (int64_t j = 0; j < dim; j++)
                x[r * dim + j] = (double)origin[j] + u * (double)e1[j] + v * (double)e2[j];
        }
        if ((st = cpae__chain_forward(&c, x, rows, y, bc, cb, fn)))
            break;
        for (int64_t r = 0; r < rows && !st; r++)
            st = labeler_find(&t, bc + r * cb, &lab[p0 + r], fn);
    }
    if (!st && codes && (st = cpae__check_cap(codes_cap, t.n * cb, fn, "codes")))
        *n_labels = t.n; /* the size to ask for */
    if (!st) {
        memcpy(labels, lab, (size_t)pixels * sizeof(int32_t));
        if (codes)
            memcpy(codes, t.codes, (size_t)(t.n * cb));
        *n_labels = t.n;
    }
done:
    free(x);
    free(y);
    free(bc);
    free(lab);
    free(t.slot);
    free(t.codes);
    return st;
}
