/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* format.c -- the saved form of a model (docs/format.md) as bytes: the
 * little-endian encoding, the CRC-32 and the writer that serialises a
 * model into any sink. The sinks (buffer, callback, file) are in save.c and
 * the parser that reads the bytes back is in load.c; keeping the encoding
 * here, apart from both, means every way of saving writes the same bytes.
 * Every value is written with explicit little-endian byte shifts, so files
 * are identical on every host. */
#include "io/io.h"

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

static void w_flush(struct cpae__io_writer *w)
{
    if (w->st == CPAE_OK && w->len > 0) {
        w->crc = cpae__io_crc_update(w->crc, w->stage, (int64_t)w->len);
        w->st = w->sink(w->ctx, w->stage, (int64_t)w->len);
        w->total += (int64_t)w->len;
    }
    w->len = 0;
}

static void w_put(struct cpae__io_writer *w, uint64_t v, int n)
{
    if (w->len + (size_t)n > CPAE__IO_STAGE_BYTES)
        w_flush(w);
    put_le(w->stage + w->len, v, n);
    w->len += (size_t)n;
}

static void w_doubles(struct cpae__io_writer *w, const double *x, int64_t n)
{
    for (int64_t i = 0; i < n && w->st == CPAE_OK; i++)
        w_put(w, f64_bits(x[i]), 8);
}

static void w_layer(struct cpae__io_writer *w, const struct cpae_layer *L)
{
    /* Only leaky ReLU has a slope; other layers always store +0.0 so that
     * equal models give equal files. */
    double alpha = L->act == CPAE_ACT_LEAKY_RELU ? L->alpha : 0.0;
    w_put(w, (uint32_t)L->act, 4);
    w_put(w, 0, 4);
    w_put(w, f64_bits(alpha), 8);
    w_put(w, (uint64_t)L->n_in, 8);
    w_put(w, (uint64_t)L->n_out, 8);
    w_doubles(w, L->w, L->n_in * L->n_out);
    w_doubles(w, L->b, L->n_out);
}

/* Write the whole model through w; returns the first sink failure. */
int32_t cpae__io_serialize(const cpae_model *m, struct cpae__io_writer *w,
                           const char *fn)
{
    int64_t size = cpae__io_saved_bytes(m);
    for (int i = 0; i < CPAE__IO_MAGIC_BYTES; i++)
        w_put(w, (uint8_t)CPAE__IO_MAGIC[i], 1);
    w_put(w, CPAE__IO_FORMAT_VERSION, 4);
    w_put(w, 0, 4); /* flags */
    w_put(w, (uint64_t)(size - CPAE__IO_HEADER_BYTES - CPAE__IO_TRAILER_BYTES), 8);
    w_put(w, (uint64_t)m->n_enc, 4);
    w_put(w, (uint64_t)m->n_dec, 4);
    for (int64_t l = 0; l < m->n_enc + m->n_dec && w->st == CPAE_OK; l++)
        w_layer(w, &m->layers[l]);
    w_flush(w);
    w_put(w, w->crc, 4);
    w_flush(w);
    if (w->st == CPAE_OK && w->total != size)
        return cpae__fail(CPAE_E_INTERNAL, fn, "wrote %lld bytes, expected %lld",
                          (long long)w->total, (long long)size);
    return w->st;
}
