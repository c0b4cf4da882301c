/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* affine.c -- per-region affine maps A p + B of a stack, exact in double. */
#include "net/net.h"

#include <stdlib.h>
#include <string.h>

static int32_t affine_alloc(int32_t stack, int64_t n_out, int64_t n_in, uint64_t shape,
                            cpae_affine **out, const char *fn)
{
    int64_t na;
    if (!cpae__mul_ok(n_out, n_in, &na) || na > CPAE_MAX_PARAMS)
        return cpae__fail(CPAE_E_LIMIT, fn, "a %lld x %lld map is too large",
                          (long long)n_out, (long long)n_in);
    size_t bytes = sizeof(cpae_affine) + (size_t)(na + n_out) * sizeof(double);
    cpae_affine *m = calloc(1, bytes);
    if (!m)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %zu bytes", bytes);
    m->stack = stack;
    m->n_out = n_out;
    m->n_in = n_in;
    m->shape_hash = shape;
    m->a = (double *)(m + 1);
    m->b = m->a + na;
    *out = m;
    return CPAE_OK;
}

int32_t cpae_affine_create(const cpae_model *model, int32_t stack, cpae_affine **out)
{
    static const char fn[] = "cpae_affine_create";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_ptr(model, fn, "model")) || (st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__chain(model, stack, &c, fn)))
        return st;
    return affine_alloc(stack, cpae__chain_out(&c), cpae__chain_in(&c),
                        cpae__chain_shape_hash(&c), out, fn);
}

void cpae_affine_destroy(cpae_affine *map) { free(map); }

static int32_t check_map(const cpae_affine *map, int32_t stack, const cpae_chain *c,
                         const char *fn, const char *name)
{
    if (map->stack != stack || map->shape_hash != cpae__chain_shape_hash(c))
        return cpae__fail(CPAE_E_MISMATCH, fn, "'%s' was created for another stack or "
                          "model shape", name);
    return CPAE_OK;
}

/* Fill a map from a chain at a double point; y (may be NULL) gets the
 * chain output. The map is only written on success. */
static int32_t fill_map(const cpae_chain *c, const double *x, cpae_affine *map, double *y,
                        const char *fn)
{
    size_t na = (size_t)(map->n_out * map->n_in);
    double *tmp = malloc((na + (size_t)map->n_out) * sizeof(double));
    if (!tmp)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    int32_t st = cpae__chain_frozen(c, x, NULL, NULL, tmp, tmp + na, y, fn);
    if (!st)
        st = cpae__check_output(tmp, (int64_t)na + map->n_out, fn, "map entry");
    if (!st)
        memcpy(map->a, tmp, (na + (size_t)map->n_out) * sizeof(double));
    free(tmp);
    return st;
}

int32_t cpae_model_affine(const cpae_model *model, int32_t stack, const float *point,
                          int64_t dim, cpae_affine *map)
{
    static const char fn[] = "cpae_model_affine";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    double *x;
    if ((st = cpae__check_points(model, stack, point, 1, dim, &c, fn, "point")) ||
        (st = cpae__check_ptr(map, fn, "map")) || (st = check_map(map, stack, &c, fn, "map")) ||
        (st = cpae__to_double(point, dim, &x, fn, "point")))
        return st;
    st = fill_map(&c, x, map, NULL, fn);
    free(x);
    return st;
}

/* out = outer o inner into caller memory (a: outer.n_out x inner.n_in). */
static void compose_into(const cpae_affine *o, const cpae_affine *i, double *a, double *b)
{
    cpae__gemm(false, false, o->n_out, i->n_in, o->n_in, 1.0, o->a, o->n_in, i->a,
               i->n_in, 0.0, a, i->n_in);
    memcpy(b, o->b, (size_t)o->n_out * sizeof(double));
    cpae__gemm(false, true, 1, o->n_out, o->n_in, 1.0, i->b, o->n_in, o->a, o->n_in, 1.0,
               b, o->n_out);
}

int32_t cpae_model_region_maps(const cpae_model *model, const float *x, int64_t dim,
                               cpae_affine *enc, cpae_affine *dec, cpae_affine *ae)
{
    static const char fn[] = "cpae_model_region_maps";
    cpae__clear_error();
    int32_t st;
    cpae_chain ce, cd, ca;
    if ((st = cpae__check_points(model, CPAE_ENCODER, x, 1, dim, &ce, fn, "x")))
        return st;
    (void)cpae__chain(model, CPAE_DECODER, &cd, fn);
    (void)cpae__chain(model, CPAE_AUTOENCODER, &ca, fn);
    if ((enc && (st = check_map(enc, CPAE_ENCODER, &ce, fn, "enc"))) ||
        (dec && (st = check_map(dec, CPAE_DECODER, &cd, fn, "dec"))) ||
        (ae && (st = check_map(ae, CPAE_AUTOENCODER, &ca, fn, "ae"))))
        return st;
    int64_t d = cpae__chain_in(&ce), h = cpae__chain_out(&ce);
    /* Scratch maps so the caller's maps change only on success. */
    cpae_affine *me = NULL, *md = NULL;
    double *xd = NULL, *zd = NULL, *tmp = NULL;
    if ((st = cpae__to_double(x, dim, &xd, fn, "x")) ||
        (st = affine_alloc(CPAE_ENCODER, h, d, 0, &me, fn)) ||
        (st = affine_alloc(CPAE_DECODER, d, h, 0, &md, fn)))
        goto done;
    zd = malloc((size_t)h * sizeof(double));
    tmp = ae ? malloc((size_t)(d * d + d) * sizeof(double)) : NULL;
    if (!zd || (ae && !tmp)) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    /* The decoder's region is taken at E(x) in double, exactly as the
     * autoencoder chain sees it. */
    if ((st = fill_map(&ce, xd, me, zd, fn)) || (st = fill_map(&cd, zd, md, NULL, fn)))
        goto done;
    if (ae) {
        compose_into(md, me, tmp, tmp + d * d);
        if ((st = cpae__check_output(tmp, d * d + d, fn, "composite map entry")))
            goto done;
    }
    if (enc)
        memcpy(enc->a, me->a, (size_t)(h * d + h) * sizeof(double));
    if (dec)
        memcpy(dec->a, md->a, (size_t)(d * h + d) * sizeof(double));
    if (ae)
        memcpy(ae->a, tmp, (size_t)(d * d + d) * sizeof(double));
done:
    free(xd);
    free(zd);
    free(tmp);
    cpae_affine_destroy(me);
    cpae_affine_destroy(md);
    return st;
}

int32_t cpae_affine_dims(const cpae_affine *map, int64_t *n_in, int64_t *n_out)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(map, "cpae_affine_dims", "map");
    if (st)
        return st;
    if (n_in)
        *n_in = map->n_in;
    if (n_out)
        *n_out = map->n_out;
    return CPAE_OK;
}

int32_t cpae_affine_get_slope(const cpae_affine *map, float *a, int64_t a_cap)
{
    static const char fn[] = "cpae_affine_get_slope";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(map, fn, "map");
    return st ? st : cpae__copy_out(a, a_cap, map->a, map->n_out * map->n_in, fn, "a");
}

int32_t cpae_affine_get_offset(const cpae_affine *map, float *b, int64_t b_cap)
{
    static const char fn[] = "cpae_affine_get_offset";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(map, fn, "map");
    return st ? st : cpae__copy_out(b, b_cap, map->b, map->n_out, fn, "b");
}

static int32_t copy_f64(double *dst, int64_t cap, const double *src, int64_t n,
                        const char *fn, const char *name)
{
    int32_t st;
    if ((st = cpae__check_ptr(dst, fn, name)) || (st = cpae__check_cap(cap, n, fn, name)))
        return st;
    memcpy(dst, src, (size_t)n * sizeof(double));
    return CPAE_OK;
}

int32_t cpae_affine_get_slope_f64(const cpae_affine *map, double *a, int64_t a_cap)
{
    static const char fn[] = "cpae_affine_get_slope_f64";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(map, fn, "map");
    return st ? st : copy_f64(a, a_cap, map->a, map->n_out * map->n_in, fn, "a");
}

int32_t cpae_affine_get_offset_f64(const cpae_affine *map, double *b, int64_t b_cap)
{
    static const char fn[] = "cpae_affine_get_offset_f64";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(map, fn, "map");
    return st ? st : copy_f64(b, b_cap, map->b, map->n_out, fn, "b");
}

int32_t cpae_affine_apply(const cpae_affine *map, const float *p, int64_t n, int64_t dim,
                          float *y, int64_t y_cap)
{
    static const char fn[] = "cpae_affine_apply";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(map, fn, "map")) || (st = cpae__check_ptr(p, fn, "p")) ||
        (st = cpae__check_ptr(y, fn, "y")))
        return st;
    int64_t need, n_p;
    if (n < 1 || dim != map->n_in || !cpae__mul_ok(n, map->n_out, &need) ||
        !cpae__mul_ok(n, dim, &n_p) || need > (INT64_C(1) << 40) || n_p > (INT64_C(1) << 40))
        return cpae__fail(CPAE_E_SIZE, fn, "n=%lld, dim=%lld (the map takes %lld)",
                          (long long)n, (long long)dim, (long long)map->n_in);
    if ((st = cpae__check_cap(y_cap, need, fn, "y")))
        return st;
    double *pd, *yd;
    if ((st = cpae__to_double(p, n_p, &pd, fn, "p")))
        return st;
    if (!(yd = malloc((size_t)need * sizeof(double)))) {
        free(pd);
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
    for (int64_t r = 0; r < n; r++)
        memcpy(yd + r * map->n_out, map->b, (size_t)map->n_out * sizeof(double));
    cpae__gemm(false, true, n, map->n_out, dim, 1.0, pd, dim, map->a, dim, 1.0, yd,
               map->n_out);
    st = cpae__check_output(yd, need, fn, "y");
    for (int64_t i = 0; i < need && !st; i++)
        y[i] = (float)yd[i];
    free(pd);
    free(yd);
    return st;
}

int32_t cpae_affine_compose(const cpae_affine *outer, const cpae_affine *inner,
                            cpae_affine *out)
{
    static const char fn[] = "cpae_affine_compose";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(outer, fn, "outer")) ||
        (st = cpae__check_ptr(inner, fn, "inner")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    if (outer->n_in != inner->n_out || out->n_out != outer->n_out ||
        out->n_in != inner->n_in)
        return cpae__fail(CPAE_E_SIZE, fn, "shapes do not chain: outer %lldx%lld, inner "
                          "%lldx%lld, out %lldx%lld", (long long)outer->n_out,
                          (long long)outer->n_in, (long long)inner->n_out,
                          (long long)inner->n_in, (long long)out->n_out, (long long)out->n_in);
    /* Through scratch: out may be the same handle as outer or inner. */
    size_t n = (size_t)(out->n_out * out->n_in + out->n_out);
    double *tmp = malloc(n * sizeof(double));
    if (!tmp)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    compose_into(outer, inner, tmp, tmp + out->n_out * out->n_in);
    st = cpae__check_output(tmp, (int64_t)n, fn, "composite map entry");
    if (!st)
        memcpy(out->a, tmp, n * sizeof(double));
    free(tmp);
    return st;
}
