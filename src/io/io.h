/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* io.h -- what the files of model persistence share: the constants of the
 * byte layout (docs/format.md), the CRC, and the writer that serialises a
 * model into a sink. format.c writes the format, save.c hands the bytes to
 * a buffer, a callback or a file (atomically), load.c parses them back.
 * io/ includes core/, net/ and io/ only. Only cpae_ symbols are exported,
 * so everything here is cpae__io_ prefixed. Internal; never installed.
 *
 * Every value is written with explicit little-endian byte shifts, so files
 * are identical on every host. Loads trust nothing: each size is checked
 * against the library limits and against the bytes actually present before
 * anything is allocated, and the CRC-32 is verified before the payload is
 * read. */
#ifndef CPAE_IO_H
#define CPAE_IO_H

#include "net/net.h"

#include <stddef.h>
#include <stdint.h>

/* float64 values are stored as their IEEE-754 bit patterns. */
_Static_assert(sizeof(double) == sizeof(uint64_t), "double must be 64-bit");

#define CPAE__IO_MAGIC "CPAEMODL"
#define CPAE__IO_MAGIC_BYTES 8
#define CPAE__IO_FORMAT_VERSION 1u     /* a model */
#define CPAE__IO_FORMAT_VERSION_LIE 2u /* a model and its generators */
#define CPAE__IO_FLAG_LIE 1u           /* version 2: a generator block follows */
#define CPAE__IO_LIE_HEAD_BYTES 24     /* param, trainable, d, k */
#define CPAE__IO_HEADER_BYTES 24     /* magic, version, flags, payload length */
#define CPAE__IO_COUNTS_BYTES 8      /* n_enc_layers, n_dec_layers */
#define CPAE__IO_LAYER_HEAD_BYTES 32 /* activation, reserved, alpha, n_in, n_out */
#define CPAE__IO_TRAILER_BYTES 4     /* CRC-32 */
#define CPAE__IO_MIN_BYTES                                                          \
    (CPAE__IO_HEADER_BYTES + CPAE__IO_COUNTS_BYTES + CPAE__IO_TRAILER_BYTES)
/* No valid model is larger: all layers present, CPAE_MAX_PARAMS doubles,
 * and (version 2) a generator block of CPAE_MAX_PARAMS doubles. */
#define CPAE__IO_MAX_BYTES                                                          \
    ((int64_t)CPAE__IO_MIN_BYTES + 2 * CPAE_MAX_LAYERS * CPAE__IO_LAYER_HEAD_BYTES + \
     8 * (int64_t)CPAE_MAX_PARAMS + CPAE__IO_LIE_HEAD_BYTES + 8 * (int64_t)CPAE_MAX_PARAMS)
/* Serialized bytes are staged and handed on in chunks of at most this. */
#define CPAE__IO_STAGE_BYTES 16384
/* Largest single read/write/crc32 call (fits every int/ssize_t/uInt). */
#define CPAE__IO_CHUNK (1 << 30)

/* CRC-32 (zlib's) of n bytes continued from crc; any n >= 0. */
uint32_t cpae__io_crc_update(uint32_t crc, const uint8_t *p, int64_t n);

struct cpae_lie;

/* Bytes of the saved form of m (and of m with the generators lie, which
 * may be NULL). */
int64_t cpae__io_saved_bytes(const cpae_model *m);
int64_t cpae__io_saved_bytes_lie(const cpae_model *m, const struct cpae_lie *lie);

/* ---------------------------------------------------------------- writer */

/* A sink consumes serialized bytes; on failure it records the message. */
typedef int32_t (*cpae__io_sink_fn)(void *ctx, const uint8_t *bytes, int64_t n);

/* Stages serialized bytes and hands them to the sink in chunks, keeping
 * the CRC of what it has flushed. */
struct cpae__io_writer {
    cpae__io_sink_fn sink;
    void *ctx;
    int32_t st;     /* sticky: the first sink failure */
    uint32_t crc;   /* over everything flushed so far */
    int64_t total;  /* bytes flushed so far */
    size_t len;     /* bytes staged */
    uint8_t stage[CPAE__IO_STAGE_BYTES];
};

void cpae__io_writer_init(struct cpae__io_writer *w, cpae__io_sink_fn sink, void *ctx);
/* A sink into a caller's buffer (its capacity checked beforehand). */
struct cpae__io_buf_sink {
    uint8_t *buf;
    int64_t pos;
};
int32_t cpae__io_sink_buffer(void *ctx, const uint8_t *bytes, int64_t n);
/* Little-endian n-byte integer, IEEE-754 doubles, and handing the staged
 * bytes to the sink (the CRC covers what has been flushed). */
void cpae__io_put(struct cpae__io_writer *w, uint64_t v, int n);
void cpae__io_put_f64(struct cpae__io_writer *w, double x);
void cpae__io_put_doubles(struct cpae__io_writer *w, const double *x, int64_t n);
void cpae__io_put_bytes(struct cpae__io_writer *w, const uint8_t *p, int64_t n);
void cpae__io_flush(struct cpae__io_writer *w);

/* Write the whole model through w; returns the first sink failure. With
 * generators (lie not NULL) the file is format version 2. */
int32_t cpae__io_serialize(const cpae_model *m, struct cpae__io_writer *w,
                           const char *fn);
int32_t cpae__io_serialize_lie(const cpae_model *m, const struct cpae_lie *lie,
                               struct cpae__io_writer *w, const char *fn);

/* ------------------------------------------------------- files and parsing */

/* Writes an object's bytes through a writer (a model, a checkpoint). */
typedef int32_t (*cpae__io_emit_fn)(const void *obj, struct cpae__io_writer *w,
                                    const char *fn);

/* Save atomically: a temporary beside path, fsync, rename, fsync of the
 * directory (docs/format.md); CPAE_E_IO names the path. */
int32_t cpae__io_save_file(const char *path, cpae__io_emit_fn emit, const void *obj,
                           const char *fn);

/* Read a whole regular file of at most max_bytes into a new buffer (free()
 * it); an empty file is CPAE_E_FORMAT, a larger one CPAE_E_LIMIT. Messages
 * name the path. */
int32_t cpae__io_read_file(const char *path, int64_t max_bytes, uint8_t **buf, int64_t *n,
                           const char *fn);

/* Parse a model file (version 1 or 2) held in b[0..n); *lie gets its
 * generators when lie is not NULL (NULL when the file has none). */
int32_t cpae__io_parse(const uint8_t *b, int64_t n, cpae_model **model,
                       struct cpae_lie **lie, const char *fn);

/* Decoding little-endian values (the caller has checked the bytes exist). */
uint64_t cpae__io_get(const uint8_t *p, int n);
double cpae__io_get_f64(const uint8_t *p);

#endif
