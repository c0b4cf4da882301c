/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* load.c -- loading models: the parser of the saved form (docs/format.md)
 * and the public cpae_model_load* calls, from a buffer or from a file read
 * whole. Loads trust nothing: each size is checked against the library
 * limits and against the bytes actually present before anything is
 * allocated, and the CRC-32 is verified before the payload is read, so a
 * hostile or damaged file gives a status and a message, never a crash or a
 * huge allocation. */
#include "io/io.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* -------------------------------------------------------- byte helpers */

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static double bits_f64(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* --------------------------------------------------------------- parser */

static const char *stack_name(int64_t l, int64_t n_enc)
{
    return l < n_enc ? "encoder" : "decoder";
}

static long long stack_index(int64_t l, int64_t n_enc)
{
    return (long long)(l < n_enc ? l : l - n_enc);
}

/* Layer shapes read from the payload, in cpae__model_alloc's layout. */
struct shape {
    int64_t n_enc, n_dec;
    int64_t n_in[2 * CPAE_MAX_LAYERS];
    int64_t n_out[2 * CPAE_MAX_LAYERS];
    int32_t act[2 * CPAE_MAX_LAYERS];
    double alpha[2 * CPAE_MAX_LAYERS];
};

/* Magic, version, payload length and CRC; n >= 1. */
static int32_t check_header(const uint8_t *b, int64_t n, const char *fn)
{
    if (n >= CPAE__IO_MAGIC_BYTES && memcmp(b, CPAE__IO_MAGIC, CPAE__IO_MAGIC_BYTES) != 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "not a libcpae model (magic is not "
                          "\"" CPAE__IO_MAGIC "\")");
    if (n < CPAE__IO_MIN_BYTES)
        return cpae__fail(CPAE_E_FORMAT, fn, "truncated: %lld bytes, a model has "
                          "at least %d", (long long)n, CPAE__IO_MIN_BYTES);
    /* Version first: a future format may place its checksum elsewhere. */
    uint32_t version = (uint32_t)get_le(b + 8, 4);
    if (version != CPAE__IO_FORMAT_VERSION)
        return cpae__fail(CPAE_E_VERSION, fn, "format version %u; this library "
                          "reads version %u", version, CPAE__IO_FORMAT_VERSION);
    uint64_t payload = get_le(b + 16, 8);
    uint64_t present = (uint64_t)(n - CPAE__IO_HEADER_BYTES - CPAE__IO_TRAILER_BYTES);
    if (payload > present)
        return cpae__fail(CPAE_E_FORMAT, fn, "truncated: the header announces %llu "
                          "payload bytes, %llu are present",
                          (unsigned long long)payload, (unsigned long long)present);
    if (payload < present)
        return cpae__fail(CPAE_E_FORMAT, fn, "%llu unexpected bytes after the "
                          "announced payload of %llu bytes",
                          (unsigned long long)(present - payload),
                          (unsigned long long)payload);
    uint32_t stored = (uint32_t)get_le(b + n - CPAE__IO_TRAILER_BYTES, 4);
    uint32_t actual = cpae__io_crc_update(0, b, n - CPAE__IO_TRAILER_BYTES);
    if (stored != actual)
        return cpae__fail(CPAE_E_FORMAT, fn, "checksum mismatch (stored 0x%08x, "
                          "computed 0x%08x): the data is corrupted", stored, actual);
    uint32_t flags = (uint32_t)get_le(b + 12, 4);
    if (flags != 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "flags are 0x%08x; version 1 defines "
                          "none", flags);
    return CPAE_OK;
}

/* Activation, reserved field and slope of layer l. */
static int32_t check_layer_kind(const uint8_t *p, int64_t l, struct shape *s,
                                const char *fn)
{
    const char *stack = stack_name(l, s->n_enc);
    long long idx = stack_index(l, s->n_enc);
    uint32_t act = (uint32_t)get_le(p, 4), reserved = (uint32_t)get_le(p + 4, 4);
    uint64_t abits = get_le(p + 8, 8);
    double alpha = bits_f64(abits);
    if (act > INT32_MAX || !cpae__valid_activation((int32_t)act))
        return cpae__fail(CPAE_E_FORMAT, fn, "%s layer %lld: unknown activation %u",
                          stack, idx, act);
    if (reserved != 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "%s layer %lld: reserved field is "
                          "0x%08x, must be 0", stack, idx, reserved);
    if (!(fabs(alpha) <= FLT_MAX)) /* the float API's range, as for weights */
        return cpae__fail(CPAE_E_NONFINITE, fn, "%s layer %lld: alpha is %s", stack,
                          idx, isnan(alpha) ? "NaN" : isinf(alpha) ? "infinite"
                                                                   : "beyond FLT_MAX");
    if (act != CPAE_ACT_LEAKY_RELU && abits != 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "%s layer %lld: alpha must be +0.0 "
                          "for a layer that is not leaky ReLU", stack, idx);
    s->act[l] = (int32_t)act;
    s->alpha[l] = alpha;
    return CPAE_OK;
}

/* Widths of layer l: limits, then chaining with the previous layer. */
static int32_t check_layer_widths(const uint8_t *p, int64_t l, struct shape *s,
                                  const char *fn)
{
    const char *stack = stack_name(l, s->n_enc);
    long long idx = stack_index(l, s->n_enc);
    uint64_t n_in = get_le(p + 16, 8), n_out = get_le(p + 24, 8);
    if (n_in == 0 || n_out == 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "%s layer %lld: width 0 (%llu -> %llu)",
                          stack, idx, (unsigned long long)n_in,
                          (unsigned long long)n_out);
    if (n_in > CPAE_MAX_WIDTH || n_out > CPAE_MAX_WIDTH)
        return cpae__fail(CPAE_E_LIMIT, fn, "%s layer %lld: %llu -> %llu exceeds "
                          "CPAE_MAX_WIDTH (%d)", stack, idx, (unsigned long long)n_in,
                          (unsigned long long)n_out, CPAE_MAX_WIDTH);
    if (l > 0 && (int64_t)n_in != s->n_out[l - 1])
        return cpae__fail(CPAE_E_FORMAT, fn, "%s layer %lld takes %llu inputs but "
                          "the previous layer gives %lld", stack, idx,
                          (unsigned long long)n_in, (long long)s->n_out[l - 1]);
    s->n_in[l] = (int64_t)n_in;
    s->n_out[l] = (int64_t)n_out;
    return CPAE_OK;
}

/* Walk the layer headers of the payload without allocating: every size is
 * checked against the limits and the bytes that remain. */
static int32_t read_shape(const uint8_t *b, int64_t n, struct shape *s,
                          const char *fn)
{
    const uint8_t *p = b + CPAE__IO_HEADER_BYTES;
    int64_t left = n - CPAE__IO_HEADER_BYTES - CPAE__IO_TRAILER_BYTES -
                   CPAE__IO_COUNTS_BYTES;
    uint32_t n_enc = (uint32_t)get_le(p, 4), n_dec = (uint32_t)get_le(p + 4, 4);
    p += CPAE__IO_COUNTS_BYTES;
    if (n_enc == 0 || n_dec == 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "%u encoder and %u decoder layers; each "
                          "stack needs at least one", n_enc, n_dec);
    if (n_enc > CPAE_MAX_LAYERS || n_dec > CPAE_MAX_LAYERS)
        return cpae__fail(CPAE_E_LIMIT, fn, "%u encoder and %u decoder layers; "
                          "CPAE_MAX_LAYERS is %d", n_enc, n_dec, CPAE_MAX_LAYERS);
    s->n_enc = n_enc;
    s->n_dec = n_dec;
    int64_t total = 0, n_layers = s->n_enc + s->n_dec;
    for (int64_t l = 0; l < n_layers; l++) {
        if (left < CPAE__IO_LAYER_HEAD_BYTES)
            return cpae__fail(CPAE_E_FORMAT, fn, "truncated: %s layer %lld needs a "
                              "%d-byte header, %lld bytes remain", stack_name(l, s->n_enc),
                              stack_index(l, s->n_enc), CPAE__IO_LAYER_HEAD_BYTES,
                              (long long)left);
        int32_t st;
        if ((st = check_layer_kind(p, l, s, fn)) || (st = check_layer_widths(p, l, s, fn)))
            return st;
        int64_t params = s->n_in[l] * s->n_out[l] + s->n_out[l]; /* < 2^49 */
        total += params;
        if (total > CPAE_MAX_PARAMS)
            return cpae__fail(CPAE_E_LIMIT, fn, "more than CPAE_MAX_PARAMS (%lld) "
                              "parameters by %s layer %lld", (long long)CPAE_MAX_PARAMS,
                              stack_name(l, s->n_enc), stack_index(l, s->n_enc));
        int64_t need = CPAE__IO_LAYER_HEAD_BYTES + 8 * params;
        if (need > left)
            return cpae__fail(CPAE_E_FORMAT, fn, "truncated: %s layer %lld needs %lld "
                              "bytes, %lld remain", stack_name(l, s->n_enc),
                              stack_index(l, s->n_enc), (long long)need, (long long)left);
        p += need;
        left -= need;
    }
    if (s->n_out[n_layers - 1] != s->n_in[0])
        return cpae__fail(CPAE_E_FORMAT, fn, "decoder output width %lld differs from "
                          "the input width %lld", (long long)s->n_out[n_layers - 1],
                          (long long)s->n_in[0]);
    if (left != 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "%lld unused bytes after the last layer",
                          (long long)left);
    return CPAE_OK;
}

/* Decode n finite doubles; p holds at least 8 n bytes (read_shape). */
static int32_t read_doubles(const uint8_t *p, double *x, int64_t n, int64_t l,
                            int64_t n_enc, const char *what, const char *fn)
{
    for (int64_t i = 0; i < n; i++) {
        x[i] = bits_f64(get_le(p + 8 * i, 8));
        /* Refused beyond +-FLT_MAX too: the float API could not return it. */
        if (!(fabs(x[i]) <= FLT_MAX))
            return cpae__fail(CPAE_E_NONFINITE, fn, "%s layer %lld: %s %lld is %s",
                              stack_name(l, n_enc), stack_index(l, n_enc), what,
                              (long long)i, isnan(x[i]) ? "NaN" : isinf(x[i]) ? "infinite"
                                                                              : "beyond FLT_MAX");
    }
    return CPAE_OK;
}

static int32_t read_params(const uint8_t *b, cpae_model *m, const char *fn)
{
    const uint8_t *p = b + CPAE__IO_HEADER_BYTES + CPAE__IO_COUNTS_BYTES;
    for (int64_t l = 0; l < m->n_enc + m->n_dec; l++) {
        struct cpae_layer *L = &m->layers[l];
        int64_t nw = L->n_in * L->n_out;
        int32_t st;
        p += CPAE__IO_LAYER_HEAD_BYTES;
        if ((st = read_doubles(p, L->w, nw, l, m->n_enc, "weight", fn)) ||
            (st = read_doubles(p + 8 * nw, L->b, L->n_out, l, m->n_enc, "bias", fn)))
            return st;
        p += 8 * (nw + L->n_out);
    }
    return CPAE_OK;
}

/* Parse n >= 1 bytes into a new model. */
static int32_t parse(const uint8_t *b, int64_t n, cpae_model **out, const char *fn)
{
    int32_t st;
    struct shape s;
    if ((st = check_header(b, n, fn)) || (st = read_shape(b, n, &s, fn)))
        return st;
    cpae_model *m;
    st = cpae__model_alloc(s.n_in, s.n_out, s.act, s.alpha, s.n_enc, s.n_dec, &m, fn);
    /* read_shape already refused what model_alloc calls SIZE or INVALID;
     * keep the documented status set should the two ever disagree. */
    if (st == CPAE_E_SIZE || st == CPAE_E_INVALID)
        return CPAE_E_FORMAT;
    if (st)
        return st;
    if ((st = read_params(b, m, fn))) {
        cpae_model_destroy(m);
        return st;
    }
    *out = m;
    return CPAE_OK;
}

int32_t cpae_model_load_from_buffer(const uint8_t *buf, int64_t n, cpae_model **out)
{
    static const char fn[] = "cpae_model_load_from_buffer";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(buf, fn, "buf")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    if (n <= 0)
        return cpae__fail(CPAE_E_SIZE, fn, "n is %lld; need the bytes of a saved model",
                          (long long)n);
    if (n > CPAE__IO_MAX_BYTES)
        return cpae__fail(CPAE_E_LIMIT, fn, "%lld bytes; no valid model exceeds %lld",
                          (long long)n, (long long)CPAE__IO_MAX_BYTES);
    return parse(buf, n, out, fn);
}

/* Read the whole regular file behind fd into a new buffer. */
static int32_t read_file(int fd, const char *path, uint8_t **buf, int64_t *n,
                         const char *fn)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return cpae__fail_errno(errno, fn, "cannot stat", path);
    if (!S_ISREG(sb.st_mode))
        return cpae__fail(CPAE_E_IO, fn, "'%s' is not a regular file", path);
    int64_t size = (int64_t)sb.st_size;
    if (size > CPAE__IO_MAX_BYTES || (uint64_t)size > SIZE_MAX)
        return cpae__fail(CPAE_E_LIMIT, fn, "'%s' is %lld bytes; no valid model "
                          "exceeds %lld", path, (long long)size,
                          (long long)CPAE__IO_MAX_BYTES);
    if (size <= 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "'%s' is empty", path);
    uint8_t *b = malloc((size_t)size);
    if (!b)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %lld bytes for '%s'",
                          (long long)size, path);
    for (int64_t got = 0; got < size;) {
        int64_t want = size - got > CPAE__IO_CHUNK ? CPAE__IO_CHUNK : size - got;
        ssize_t r = read(fd, b + got, (size_t)want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int32_t st = r < 0 ? cpae__fail_errno(errno, fn, "cannot read", path)
                               : cpae__fail(CPAE_E_IO, fn, "'%s' shrank while being "
                                            "read (%lld of %lld bytes)", path,
                                            (long long)got, (long long)size);
            free(b);
            return st;
        }
        got += r;
    }
    *buf = b;
    *n = size;
    return CPAE_OK;
}

/* Put the path into a parse error: "fn: 'path': what is wrong". */
static int32_t with_path(int32_t st, const char *path, const char *fn)
{
    char msg[512];
    const char *m = cpae_last_error();
    size_t k = strlen(fn);
    if (strncmp(m, fn, k) == 0 && m[k] == ':' && m[k + 1] == ' ')
        m += k + 2;
    snprintf(msg, sizeof msg, "%s", m);
    return cpae__fail(st, fn, "'%s': %s", path, msg);
}

int32_t cpae_model_load(const char *path, cpae_model **out)
{
    static const char fn[] = "cpae_model_load";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(path, fn, "path")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then
     * refuses it); it does not affect reads of regular files. */
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return cpae__fail_errno(errno, fn, "cannot open", path);
    uint8_t *buf = NULL;
    int64_t n = 0;
    st = read_file(fd, path, &buf, &n, fn);
    (void)close(fd);
    if (st == CPAE_OK && (st = parse(buf, n, out, fn)))
        st = with_path(st, path, fn);
    free(buf);
    return st;
}
