/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* load.c -- loading models: the parser of the saved form (docs/format.md)
 * and the public cpae_model_load* calls, from a buffer or from a file read
 * whole. Loads trust nothing: each size is checked against the library
 * limits and against the bytes actually present before anything is
 * allocated, and the CRC-32 is verified before the payload is read, so a
 * hostile or damaged file gives a status and a message, never a crash or a
 * huge allocation. */
#include "io/io.h"
#include "lie/lie.h"

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

uint64_t cpae__io_get(const uint8_t *p, int n)
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

double cpae__io_get_f64(const uint8_t *p)
{
    return bits_f64(cpae__io_get(p, 8));
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
    bool has_lie;            /* version 2 with a generator block */
    int32_t lie_param;
    bool lie_trainable;
    int64_t lie_d, lie_k;
    int64_t lie_offset;      /* of the block's values in the file */
};

/* Magic, version, payload length and CRC; n >= 1. Version 2 may carry
 * generators (flag CPAE__IO_FLAG_LIE). */
static int32_t check_header(const uint8_t *b, int64_t n, bool *has_lie, const char *fn)
{
    if (n >= CPAE__IO_MAGIC_BYTES && memcmp(b, CPAE__IO_MAGIC, CPAE__IO_MAGIC_BYTES) != 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "not a libcpae model (magic is not "
                          "\"" CPAE__IO_MAGIC "\")");
    if (n < CPAE__IO_MIN_BYTES)
        return cpae__fail(CPAE_E_FORMAT, fn, "truncated: %lld bytes, a model has "
                          "at least %d", (long long)n, CPAE__IO_MIN_BYTES);
    /* Version first: a future format may place its checksum elsewhere. */
    uint32_t version = (uint32_t)cpae__io_get(b + 8, 4);
    if (version != CPAE__IO_FORMAT_VERSION && version != CPAE__IO_FORMAT_VERSION_LIE)
        return cpae__fail(CPAE_E_VERSION, fn, "format version %u; this library "
                          "reads versions %u and %u", version, CPAE__IO_FORMAT_VERSION,
                          CPAE__IO_FORMAT_VERSION_LIE);
    uint64_t payload = cpae__io_get(b + 16, 8);
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
    uint32_t stored = (uint32_t)cpae__io_get(b + n - CPAE__IO_TRAILER_BYTES, 4);
    uint32_t actual = cpae__io_crc_update(0, b, n - CPAE__IO_TRAILER_BYTES);
    if (stored != actual)
        return cpae__fail(CPAE_E_FORMAT, fn, "checksum mismatch (stored 0x%08x, "
                          "computed 0x%08x): the data is corrupted", stored, actual);
    /* Version 1 has no flag, version 2 exactly the generator block's: a
     * model without generators is always saved as version 1, so every
     * accepted file is the one its contents save to. */
    uint32_t flags = (uint32_t)cpae__io_get(b + 12, 4);
    uint32_t want = version == CPAE__IO_FORMAT_VERSION ? 0u : CPAE__IO_FLAG_LIE;
    if (flags != want)
        return cpae__fail(CPAE_E_FORMAT, fn, "flags are 0x%08x; version %u requires "
                          "0x%08x", flags, version, want);
    *has_lie = flags == CPAE__IO_FLAG_LIE;
    return CPAE_OK;
}

/* Activation, reserved field and slope of layer l. */
static int32_t check_layer_kind(const uint8_t *p, int64_t l, struct shape *s,
                                const char *fn)
{
    const char *stack = stack_name(l, s->n_enc);
    long long idx = stack_index(l, s->n_enc);
    uint32_t act = (uint32_t)cpae__io_get(p, 4), reserved = (uint32_t)cpae__io_get(p + 4, 4);
    uint64_t abits = cpae__io_get(p + 8, 8);
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
    uint64_t n_in = cpae__io_get(p + 16, 8), n_out = cpae__io_get(p + 24, 8);
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

/* The generator block after the layers (version 2): its head is checked
 * like cpae_lie_create's arguments and its values must fill what remains. */
static int32_t read_lie_shape(const uint8_t *b, const uint8_t *p, int64_t left,
                              struct shape *s, const char *fn)
{
    if (left < CPAE__IO_LIE_HEAD_BYTES)
        return cpae__fail(CPAE_E_FORMAT, fn, "truncated: the generator block needs a "
                          "%d-byte header, %lld bytes remain", CPAE__IO_LIE_HEAD_BYTES,
                          (long long)left);
    uint32_t param = (uint32_t)cpae__io_get(p, 4), trainable = (uint32_t)cpae__io_get(p + 4, 4);
    uint64_t d = cpae__io_get(p + 8, 8), k = cpae__io_get(p + 16, 8);
    if (param > CPAE_LIE_FIXED || trainable > 1 || (param == CPAE_LIE_FIXED && trainable))
        return cpae__fail(CPAE_E_FORMAT, fn, "generator block: kind %u, trainable %u",
                          param, trainable);
    if (d != (uint64_t)s->n_in[0])
        return cpae__fail(CPAE_E_FORMAT, fn, "generators are %llu x %llu, the model's "
                          "input width is %lld", (unsigned long long)d,
                          (unsigned long long)d, (long long)s->n_in[0]);
    /* d <= CPAE_MAX_WIDTH here, so d*d*k below cannot overflow for k <= d*d. */
    if (k == 0 || k > d * d ||
        (param == CPAE_LIE_SKEW && k > d * (d - 1) / 2))
        return cpae__fail(CPAE_E_FORMAT, fn, "%llu generators of size %llu x %llu",
                          (unsigned long long)k, (unsigned long long)d,
                          (unsigned long long)d);
    if (k * d * d > (uint64_t)CPAE_MAX_PARAMS)
        return cpae__fail(CPAE_E_LIMIT, fn, "k*d*d = %llu generator values exceed "
                          "CPAE_MAX_PARAMS", (unsigned long long)(k * d * d));
    int64_t need = CPAE__IO_LIE_HEAD_BYTES + 8 * (int64_t)(k * d * d);
    if (need != left)
        return cpae__fail(CPAE_E_FORMAT, fn, "the generator block needs %lld bytes, "
                          "%lld remain", (long long)need, (long long)left);
    s->lie_param = (int32_t)param;
    s->lie_trainable = trainable != 0;
    s->lie_d = (int64_t)d;
    s->lie_k = (int64_t)k;
    s->lie_offset = (int64_t)(p - b) + CPAE__IO_LIE_HEAD_BYTES;
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
    uint32_t n_enc = (uint32_t)cpae__io_get(p, 4), n_dec = (uint32_t)cpae__io_get(p + 4, 4);
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
    if (s->has_lie)
        return read_lie_shape(b, p, left, s, fn);
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
        x[i] = bits_f64(cpae__io_get(p + 8 * i, 8));
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

/* The generators of a version-2 file: finite, exactly skew for
 * CPAE_LIE_SKEW, unit Frobenius norm (they were saved normalised). */
static int32_t read_lie(const uint8_t *b, const struct shape *s, struct cpae_lie **out,
                        const char *fn)
{
    struct cpae_lie *lie;
    int32_t st = cpae__lie_alloc(s->lie_d, s->lie_k, s->lie_param, &lie, fn);
    if (st)
        return st == CPAE_E_NOMEM ? st : CPAE_E_FORMAT;
    lie->trainable = s->lie_trainable;
    int64_t d = s->lie_d, nn = d * d;
    const uint8_t *p = b + s->lie_offset;
    for (int64_t j = 0; j < s->lie_k && !st; j++) {
        double *G = lie->g + j * nn, norm = 0;
        for (int64_t i = 0; i < nn; i++) {
            G[i] = bits_f64(cpae__io_get(p + 8 * (j * nn + i), 8));
            if (!(fabs(G[i]) <= FLT_MAX)) {
                st = cpae__fail(CPAE_E_NONFINITE, fn, "generator %lld: entry %lld is %s",
                                (long long)j, (long long)i, isnan(G[i]) ? "NaN"
                                : isinf(G[i]) ? "infinite" : "beyond FLT_MAX");
                break;
            }
            norm += G[i] * G[i];
        }
        if (!st && s->lie_param == CPAE_LIE_SKEW)
            for (int64_t a = 0; a < d && !st; a++)
                for (int64_t c = a; c < d && !st; c++)
                    if (G[a * d + c] != -G[c * d + a])
                        st = cpae__fail(CPAE_E_FORMAT, fn, "generator %lld is not "
                                        "skew-symmetric at (%lld, %lld)", (long long)j,
                                        (long long)a, (long long)c);
        if (!st && !(fabs(sqrt(norm) - 1.0) <= 1e-6))
            st = cpae__fail(CPAE_E_FORMAT, fn, "generator %lld has Frobenius norm %g; "
                            "saved generators are normalised", (long long)j, sqrt(norm));
    }
    if (st) {
        free(lie);
        return st;
    }
    *out = lie;
    return CPAE_OK;
}

int32_t cpae__io_parse(const uint8_t *b, int64_t n, cpae_model **out, struct cpae_lie **lie_out,
                       const char *fn)
{
    int32_t st;
    struct shape s;
    s.has_lie = false;
    if ((st = check_header(b, n, &s.has_lie, fn)) || (st = read_shape(b, n, &s, fn)))
        return st;
    cpae_model *m;
    st = cpae__model_alloc(s.n_in, s.n_out, s.act, s.alpha, s.n_enc, s.n_dec, &m, fn);
    /* read_shape already refused what model_alloc calls SIZE or INVALID;
     * keep the documented status set should the two ever disagree. */
    if (st == CPAE_E_SIZE || st == CPAE_E_INVALID)
        return CPAE_E_FORMAT;
    if (st)
        return st;
    struct cpae_lie *lie = NULL;
    if ((st = read_params(b, m, fn)) ||
        (lie_out && s.has_lie && (st = read_lie(b, &s, &lie, fn)))) {
        cpae_model_destroy(m);
        return st;
    }
    *out = m;
    if (lie_out)
        *lie_out = lie;
    return CPAE_OK;
}

static int32_t parse(const uint8_t *b, int64_t n, cpae_model **out, const char *fn)
{
    return cpae__io_parse(b, n, out, NULL, fn);
}

/* The checks of a buffer load before parsing. */
static int32_t check_buffer(const uint8_t *buf, int64_t n, const char *fn)
{
    int32_t st = cpae__check_ptr(buf, fn, "buf");
    if (st)
        return st;
    if (n <= 0)
        return cpae__fail(CPAE_E_SIZE, fn, "n is %lld; need the bytes of a saved model",
                          (long long)n);
    if (n > CPAE__IO_MAX_BYTES)
        return cpae__fail(CPAE_E_LIMIT, fn, "%lld bytes; no valid model exceeds %lld",
                          (long long)n, (long long)CPAE__IO_MAX_BYTES);
    return CPAE_OK;
}

int32_t cpae_model_load_from_buffer(const uint8_t *buf, int64_t n, cpae_model **out)
{
    static const char fn[] = "cpae_model_load_from_buffer";
    cpae__clear_error();
    int32_t st;
    if ((st = check_buffer(buf, n, fn)) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    return parse(buf, n, out, fn);
}

int32_t cpae_model_load_lie_from_buffer(const uint8_t *buf, int64_t n, cpae_model **model,
                                        cpae_lie **lie)
{
    static const char fn[] = "cpae_model_load_lie_from_buffer";
    cpae__clear_error();
    int32_t st;
    if ((st = check_buffer(buf, n, fn)) || (st = cpae__check_ptr(model, fn, "model")) ||
        (st = cpae__check_ptr(lie, fn, "lie")))
        return st;
    return cpae__io_parse(buf, n, model, lie, fn);
}

/* Read the whole regular file behind fd into a new buffer. */
static int32_t read_fd(int fd, const char *path, int64_t max_bytes, uint8_t **buf, int64_t *n,
                       const char *fn)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return cpae__fail_errno(errno, fn, "cannot stat", path);
    if (!S_ISREG(sb.st_mode))
        return cpae__fail(CPAE_E_IO, fn, "'%s' is not a regular file", path);
    int64_t size = (int64_t)sb.st_size;
    if (size > max_bytes || (uint64_t)size > SIZE_MAX)
        return cpae__fail(CPAE_E_LIMIT, fn, "'%s' is %lld bytes; no valid file "
                          "exceeds %lld", path, (long long)size, (long long)max_bytes);
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

int32_t cpae__io_read_file(const char *path, int64_t max_bytes, uint8_t **buf, int64_t *n,
                           const char *fn)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then
     * refuses it); it does not affect reads of regular files. */
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return cpae__fail_errno(errno, fn, "cannot open", path);
    int32_t st = read_fd(fd, path, max_bytes, buf, n, fn);
    (void)close(fd);
    return st;
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

/* Read and parse a model file; lie NULL: the generators are not read. */
static int32_t load_path(const char *path, cpae_model **out, cpae_lie **lie, const char *fn)
{
    uint8_t *buf = NULL;
    int64_t n = 0;
    int32_t st = cpae__io_read_file(path, CPAE__IO_MAX_BYTES, &buf, &n, fn);
    if (st == CPAE_OK && (st = cpae__io_parse(buf, n, out, lie, fn)))
        st = with_path(st, path, fn);
    free(buf);
    return st;
}

int32_t cpae_model_load(const char *path, cpae_model **out)
{
    static const char fn[] = "cpae_model_load";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(path, fn, "path")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    return load_path(path, out, NULL, fn);
}

int32_t cpae_model_load_lie(const char *path, cpae_model **model, cpae_lie **lie)
{
    static const char fn[] = "cpae_model_load_lie";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(path, fn, "path")) || (st = cpae__check_ptr(model, fn, "model")) ||
        (st = cpae__check_ptr(lie, fn, "lie")))
        return st;
    return load_path(path, model, lie, fn);
}
