/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* format.c -- the saved form of a model (docs/format.md) as bytes: the
 * little-endian encoding, the CRC-32 and the writer that serialises a
 * model into any sink. The sinks (buffer, callback, file) are in save.c and
 * the parser that reads the bytes back is in load.c; keeping the encoding
 * here, apart from both, means every way of saving writes the same bytes.
 * Every value is written with explicit little-endian byte shifts, so files
 * are identical on every host. */
#include "io/io.h"
#include "lie/lie.h"

#include <string.h>
#include <zlib.h>

/* -------------------------------------------------------- byte helpers */

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* zlib's crc32 takes a uInt length: feed large buffers in chunks. */
uint32_t cpae__io_crc_update(uint32_t crc, const uint8_t *p, int64_t n)
{
    while (n > 0) {
        uInt k = n > CPAE__IO_CHUNK ? (uInt)CPAE__IO_CHUNK : (uInt)n;
        crc = (uint32_t)crc32(crc, p, k);
        p += k;
        n -= k;
    }
    return crc;
}

int64_t cpae__io_saved_bytes(const cpae_model *m)
{
    return CPAE__IO_MIN_BYTES + CPAE__IO_LAYER_HEAD_BYTES * (m->n_enc + m->n_dec) +
           8 * m->n_params;
}

/* -------------------------------------------------------------- writer */

void cpae__io_writer_init(struct cpae__io_writer *w, cpae__io_sink_fn sink, void *ctx)
{
    w->sink = sink;
    w->ctx = ctx;
    w->st = CPAE_OK;
    w->crc = 0;
    w->total = 0;
    w->len = 0;
}

void cpae__io_flush(struct cpae__io_writer *w)
{
    if (w->st == CPAE_OK && w->len > 0) {
        w->crc = cpae__io_crc_update(w->crc, w->stage, (int64_t)w->len);
        w->st = w->sink(w->ctx, w->stage, (int64_t)w->len);
        w->total += (int64_t)w->len;
    }
    w->len = 0;
}

void cpae__io_put(struct cpae__io_writer *w, uint64_t v, int n)
{
    if (w->len + (size_t)n > CPAE__IO_STAGE_BYTES)
        cpae__io_flush(w);
    put_le(w->stage + w->len, v, n);
    w->len += (size_t)n;
}

void cpae__io_put_doubles(struct cpae__io_writer *w, const double *x, int64_t n)
{
    for (int64_t i = 0; i < n && w->st == CPAE_OK; i++)
        cpae__io_put(w, f64_bits(x[i]), 8);
}

void cpae__io_put_bytes(struct cpae__io_writer *w, const uint8_t *p, int64_t n)
{
    while (n > 0 && w->st == CPAE_OK) {
        if (w->len == CPAE__IO_STAGE_BYTES)
            cpae__io_flush(w);
        size_t k = CPAE__IO_STAGE_BYTES - w->len;
        if ((int64_t)k > n)
            k = (size_t)n;
        memcpy(w->stage + w->len, p, k);
        w->len += k;
        p += k;
        n -= (int64_t)k;
    }
}

void cpae__io_put_f64(struct cpae__io_writer *w, double x)
{
    cpae__io_put(w, f64_bits(x), 8);
}

static void w_layer(struct cpae__io_writer *w, const struct cpae_layer *L)
{
    /* Only leaky ReLU has a slope; other layers always store +0.0 so that
     * equal models give equal files. */
    double alpha = L->act == CPAE_ACT_LEAKY_RELU ? L->alpha : 0.0;
    cpae__io_put(w, (uint32_t)L->act, 4);
    cpae__io_put(w, 0, 4);
    cpae__io_put(w, f64_bits(alpha), 8);
    cpae__io_put(w, (uint64_t)L->n_in, 8);
    cpae__io_put(w, (uint64_t)L->n_out, 8);
    cpae__io_put_doubles(w, L->w, L->n_in * L->n_out);
    cpae__io_put_doubles(w, L->b, L->n_out);
}

/* Bytes of the generator block of a version-2 file. */
static int64_t lie_block_bytes(const struct cpae_lie *lie)
{
    return CPAE__IO_LIE_HEAD_BYTES + 8 * lie->k * lie->d * lie->d;
}

int64_t cpae__io_saved_bytes_lie(const cpae_model *m, const struct cpae_lie *lie)
{
    return cpae__io_saved_bytes(m) + (lie ? lie_block_bytes(lie) : 0);
}

/* Write the whole model (and, if lie is not NULL, its generators: format
 * version 2) through w; returns the first sink failure. Without generators
 * the bytes are exactly version 1's, so old readers keep reading them. */
int32_t cpae__io_serialize_lie(const cpae_model *m, const struct cpae_lie *lie,
                               struct cpae__io_writer *w, const char *fn)
{
    int64_t size = cpae__io_saved_bytes_lie(m, lie);
    for (int i = 0; i < CPAE__IO_MAGIC_BYTES; i++)
        cpae__io_put(w, (uint8_t)CPAE__IO_MAGIC[i], 1);
    cpae__io_put(w, lie ? CPAE__IO_FORMAT_VERSION_LIE : CPAE__IO_FORMAT_VERSION, 4);
    cpae__io_put(w, lie ? CPAE__IO_FLAG_LIE : 0, 4);
    cpae__io_put(w, (uint64_t)(size - CPAE__IO_HEADER_BYTES - CPAE__IO_TRAILER_BYTES), 8);
    cpae__io_put(w, (uint64_t)m->n_enc, 4);
    cpae__io_put(w, (uint64_t)m->n_dec, 4);
    for (int64_t l = 0; l < m->n_enc + m->n_dec && w->st == CPAE_OK; l++)
        w_layer(w, &m->layers[l]);
    if (lie) {
        cpae__io_put(w, (uint32_t)lie->param, 4);
        cpae__io_put(w, lie->trainable ? 1u : 0u, 4);
        cpae__io_put(w, (uint64_t)lie->d, 8);
        cpae__io_put(w, (uint64_t)lie->k, 8);
        cpae__io_put_doubles(w, lie->g, lie->k * lie->d * lie->d);
    }
    cpae__io_flush(w);
    cpae__io_put(w, w->crc, 4);
    cpae__io_flush(w);
    if (w->st == CPAE_OK && w->total != size)
        return cpae__fail(CPAE_E_INTERNAL, fn, "wrote %lld bytes, expected %lld",
                          (long long)w->total, (long long)size);
    return w->st;
}

int32_t cpae__io_serialize(const cpae_model *m, struct cpae__io_writer *w, const char *fn)
{
    return cpae__io_serialize_lie(m, NULL, w, fn);
}
