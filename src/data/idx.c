/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* idx.c -- IDX files (the MNIST format): images, one row per entry of the
 * first dimension, and optional labels, one dimension with one entry per
 * image. Only unsigned bytes (type 0x08) are read. The header's sizes are
 * checked against the load's limit before anything is allocated, and the
 * data is stored in a buffer that doubles as bytes actually arrive, so a
 * header that lies about its size costs nothing; missing or extra bytes
 * after the declared data are errors. */
#include "data/data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* First allocation in values; grows by doubling up to the header's size as
 * data actually arrives. */
#define IDX_FIRST_ALLOC ((int64_t)1 << 20)

struct idx_head {
    int ndims;
    uint32_t dims[255];
    int64_t total; /* product of the dims */
};

static const char *idx_type_name(uint8_t t)
{
    switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit integer";
    case 0x0C: return "32-bit integer";
    case 0x0D: return "32-bit float";
    case 0x0E: return "64-bit float";
    default: return "unknown type";
    }
}

/* "60000 x 28 x 28" */
static const char *dims_text(const struct idx_head *h, char *buf, size_t cap)
{
    /* cap >= 32: each entry takes at most 13 characters, "..." 4. */
    size_t k = 0;
    int i = 0;
    buf[0] = '\0';
    for (; i < h->ndims && k + 17 < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lu", i ? " x " : "",
                              (unsigned long)h->dims[i]);
    if (i < h->ndims)
        memcpy(buf + k, "...", 4);
    return buf;
}

/* Read and check the header: magic 0x0000 08 NN, NN sizes, none 0, product
 * within the limit. */
static int32_t idx_header(struct cpae__data_src *s, struct idx_head *h)
{
    uint8_t b[4 * 255];
    size_t got;
    int32_t st;
    if ((st = cpae__data_src_read(s, b, 4, &got)))
        return st;
    if (got == 0)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': no data (empty file)",
                          s->path);
    if (got < 4)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': truncated IDX header "
                          "(%zu of 4 magic bytes)", s->path, got);
    uint32_t magic = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                     (uint32_t)b[2] << 8 | b[3];
    if (b[0] != 0 || b[1] != 0)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': not an IDX file (magic "
                          "0x%08x; IDX magic numbers are 0x000008NN)", s->path,
                          magic);
    if (b[2] != 0x08)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': IDX element type 0x%02x "
                          "(%s) is not supported; only unsigned bytes (0x08)",
                          s->path, b[2], idx_type_name(b[2]));
    h->ndims = b[3];
    if (h->ndims == 0)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': IDX magic 0x%08x "
                          "declares 0 dimensions", s->path, magic);
    size_t need = 4 * (size_t)h->ndims;
    if ((st = cpae__data_src_read(s, b, need, &got)))
        return st;
    if (got < need)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': truncated IDX header: %d "
                          "dimensions need %zu bytes of sizes, %zu present",
                          s->path, h->ndims, need, got);
    bool over = false;
    h->total = 1;
    for (int i = 0; i < h->ndims; i++) {
        const uint8_t *p = b + 4 * i;
        h->dims[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                     (uint32_t)p[2] << 8 | p[3];
        if (h->dims[i] == 0)
            return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': IDX dimension %d has "
                              "size 0", s->path, i);
        if (!over && !cpae__mul_ok(h->total, h->dims[i], &h->total))
            over = true;
    }
    if (over || h->total > cpae__data_max_values(s)) {
        char dt[128];
        return cpae__fail(CPAE_E_LIMIT, s->fn, "'%s': the IDX header declares "
                          "%s values; the limit is %lld values", s->path,
                          dims_text(h, dt, sizeof dt),
                          (long long)cpae__data_max_values(s));
    }
    return CPAE_OK;
}

/* Exactly h->total data bytes, then the end of the file. The values are
 * handed to put(ctx, offset, bytes, k) as they arrive; grow(ctx, need)
 * makes room for need values (called with increasing need). */
typedef int32_t (*idx_grow_fn)(void *ctx, int64_t need, const char *fn);
typedef void (*idx_put_fn)(void *ctx, int64_t at, const uint8_t *b, size_t k);

static int32_t idx_body(struct cpae__data_src *s, const struct idx_head *h,
                        uint8_t *chunk, idx_grow_fn grow, idx_put_fn put,
                        void *ctx)
{
    int64_t done = 0, room = 0;
    int32_t st;
    while (done < h->total) {
        if (done == room) {
            int64_t c = room == 0 ? IDX_FIRST_ALLOC : 2 * room;
            if (c > h->total)
                c = h->total;
            if ((st = grow(ctx, c, s->fn)))
                return st;
            room = c;
        }
        size_t want = (size_t)(room - done) > CPAE__DATA_CHUNK ? CPAE__DATA_CHUNK
                                                                : (size_t)(room - done);
        size_t got;
        if ((st = cpae__data_src_read(s, chunk, want, &got)))
            return st;
        put(ctx, done, chunk, got);
        done += (int64_t)got;
        if (got < want) {
            char dt[128];
            return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': truncated IDX data: "
                              "the header declares %lld bytes (%s), %lld are "
                              "present", s->path, (long long)h->total,
                              dims_text(h, dt, sizeof dt), (long long)done);
        }
    }
    int64_t extra = 0;
    for (;;) {
        size_t got;
        if ((st = cpae__data_src_read(s, chunk, CPAE__DATA_CHUNK, &got)))
            return st;
        extra += (int64_t)got;
        if (got < CPAE__DATA_CHUNK)
            break;
    }
    if (extra > 0)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': %lld unexpected bytes "
                          "after the %lld data bytes the IDX header declares",
                          s->path, (long long)extra, (long long)h->total);
    return CPAE_OK;
}

static int32_t grow_floats(void *ctx, int64_t need, const char *fn)
{
    float **x = ctx;
    float *p = realloc(*x, (size_t)need * sizeof(float));
    if (!p)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %lld values",
                          (long long)need);
    *x = p;
    return CPAE_OK;
}

static void put_floats(void *ctx, int64_t at, const uint8_t *b, size_t k)
{
    float *x = *(float **)ctx + at;
    for (size_t i = 0; i < k; i++)
        x[i] = (float)b[i];
}

static int32_t grow_labels(void *ctx, int64_t need, const char *fn)
{
    int32_t **l = ctx;
    int32_t *p = realloc(*l, (size_t)need * sizeof(int32_t));
    if (!p)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %lld labels",
                          (long long)need);
    *l = p;
    return CPAE_OK;
}

static void put_labels(void *ctx, int64_t at, const uint8_t *b, size_t k)
{
    int32_t *l = *(int32_t **)ctx + at;
    for (size_t i = 0; i < k; i++)
        l[i] = b[i];
}

/* Images: one row per entry of the first dimension. */
static int32_t idx_images(const char *path, int64_t limit, uint8_t *chunk, float **x,
                          int64_t *n, int64_t *d, const char *fn)
{
    struct cpae__data_src s;
    struct idx_head h;
    int32_t st;
    if ((st = cpae__data_src_open(&s, path, limit, fn)))
        return st;
    if (!(st = idx_header(&s, &h))) {
        *n = h.dims[0];
        *d = h.total / h.dims[0];
        st = idx_body(&s, &h, chunk, grow_floats, put_floats, x);
    }
    return cpae__data_src_close(&s, st);
}

/* Labels: one dimension, n_images entries. */
static int32_t idx_labels(const char *path, const char *images_path, int64_t limit,
                          int64_t n_images, uint8_t *chunk, int32_t **labels,
                          const char *fn)
{
    struct cpae__data_src s;
    struct idx_head h;
    int32_t st;
    if ((st = cpae__data_src_open(&s, path, limit, fn)))
        return st;
    if (!(st = idx_header(&s, &h))) {
        if (h.ndims != 1)
            st = cpae__fail(CPAE_E_FORMAT, fn, "'%s': an IDX labels file has 1 "
                            "dimension, this one has %d", path, h.ndims);
        else if (h.total != n_images)
            st = cpae__fail(CPAE_E_FORMAT, fn, "'%s' holds %lld labels but '%s' "
                            "holds %lld images", path, (long long)h.total,
                            images_path, (long long)n_images);
        else
            st = idx_body(&s, &h, chunk, grow_labels, put_labels, labels);
    }
    return cpae__data_src_close(&s, st);
}

int32_t cpae__data_load_idx(const char *images_path, const char *labels_path,
                            int64_t limit, cpae_dataset **out, const char *fn)
{
    float *x = NULL;
    int32_t *labels = NULL;
    int64_t n = 0, d = 0;
    int32_t st;
    uint8_t *chunk = malloc(CPAE__DATA_CHUNK);
    if (!chunk)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate a read buffer");
    st = idx_images(images_path, limit, chunk, &x, &n, &d, fn);
    if (!st && labels_path)
        st = idx_labels(labels_path, images_path, limit, n, chunk, &labels, fn);
    free(chunk);
    if (st) {
        free(x);
        free(labels);
        return st;
    }
    return cpae__data_adopt(x, labels, n, d, out, fn);
}
