/* io.c -- saving and loading models. The byte layout is in docs/format.md.
 *
 * Every value is written with explicit little-endian byte shifts, so files
 * are identical on every host. Loads trust nothing: each size is checked
 * against the library limits and against the bytes actually present before
 * anything is allocated, and the CRC-32 is verified before the payload is
 * read. */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* float64 values are stored as their IEEE-754 bit patterns. */
_Static_assert(sizeof(double) == sizeof(uint64_t), "double must be 64-bit");

#define MAGIC "CPAEMODL"
#define MAGIC_BYTES 8
#define FORMAT_VERSION 1u
#define HEADER_BYTES 24     /* magic, version, flags, payload length */
#define COUNTS_BYTES 8      /* n_enc_layers, n_dec_layers */
#define LAYER_HEAD_BYTES 32 /* activation, reserved, alpha, n_in, n_out */
#define TRAILER_BYTES 4     /* CRC-32 */
#define MIN_BYTES (HEADER_BYTES + COUNTS_BYTES + TRAILER_BYTES)
/* No valid model is larger: all layers present, CPAE_MAX_PARAMS doubles. */
#define MAX_BYTES                                                             \
    ((int64_t)MIN_BYTES + 2 * CPAE_MAX_LAYERS * LAYER_HEAD_BYTES +            \
     8 * (int64_t)CPAE_MAX_PARAMS)
/* Serialized bytes are staged and handed on in chunks of at most this. */
#define STAGE_BYTES 16384
/* Largest single read/write/crc32 call (fits every int/ssize_t/uInt). */
#define IO_CHUNK (1 << 30)

/* -------------------------------------------------------- byte helpers */

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bits_f64(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* zlib's crc32 takes a uInt length: feed large buffers in chunks. */
static uint32_t crc_update(uint32_t crc, const uint8_t *p, int64_t n)
{
    while (n > 0) {
        uInt k = n > IO_CHUNK ? (uInt)IO_CHUNK : (uInt)n;
        crc = (uint32_t)crc32(crc, p, k);
        p += k;
        n -= k;
    }
    return crc;
}

static const char *stack_name(int64_t l, int64_t n_enc)
{
    return l < n_enc ? "encoder" : "decoder";
}

static long long stack_index(int64_t l, int64_t n_enc)
{
    return (long long)(l < n_enc ? l : l - n_enc);
}

static int64_t saved_bytes(const cpae_model *m)
{
    return MIN_BYTES + LAYER_HEAD_BYTES * (m->n_enc + m->n_dec) +
           8 * m->n_params;
}

/* -------------------------------------------------------------- writer */

/* A sink consumes serialized bytes; on failure it records the message. */
typedef int32_t (*sink_fn)(void *ctx, const uint8_t *bytes, int64_t n);

struct writer {
    sink_fn sink;
    void *ctx;
    int32_t st;     /* sticky: the first sink failure */
    uint32_t crc;   /* over everything flushed so far */
    int64_t total;  /* bytes flushed so far */
    size_t len;     /* bytes staged */
    uint8_t stage[STAGE_BYTES];
};

static void w_init(struct writer *w, sink_fn sink, void *ctx)
{
    w->sink = sink;
    w->ctx = ctx;
    w->st = CPAE_OK;
    w->crc = 0;
    w->total = 0;
    w->len = 0;
}

static void w_flush(struct writer *w)
{
    if (w->st == CPAE_OK && w->len > 0) {
        w->crc = crc_update(w->crc, w->stage, (int64_t)w->len);
        w->st = w->sink(w->ctx, w->stage, (int64_t)w->len);
        w->total += (int64_t)w->len;
    }
    w->len = 0;
}

static void w_put(struct writer *w, uint64_t v, int n)
{
    if (w->len + (size_t)n > STAGE_BYTES)
        w_flush(w);
    put_le(w->stage + w->len, v, n);
    w->len += (size_t)n;
}

static void w_doubles(struct writer *w, const double *x, int64_t n)
{
    for (int64_t i = 0; i < n && w->st == CPAE_OK; i++)
        w_put(w, f64_bits(x[i]), 8);
}

static void w_layer(struct writer *w, const struct cpae_layer *L)
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
static int32_t serialize(const cpae_model *m, struct writer *w,
                         const char *fn)
{
    int64_t size = saved_bytes(m);
    for (int i = 0; i < MAGIC_BYTES; i++)
        w_put(w, (uint8_t)MAGIC[i], 1);
    w_put(w, FORMAT_VERSION, 4);
    w_put(w, 0, 4); /* flags */
    w_put(w, (uint64_t)(size - HEADER_BYTES - TRAILER_BYTES), 8);
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

/* ---------------------------------------------------------------- sinks */

struct buf_sink {
    uint8_t *buf;
    int64_t pos;
};

static int32_t sink_buffer(void *ctx, const uint8_t *bytes, int64_t n)
{
    struct buf_sink *s = ctx;
    memcpy(s->buf + s->pos, bytes, (size_t)n);
    s->pos += n;
    return CPAE_OK;
}

struct cb_sink {
    cpae_write_fn write;
    void *user_data;
    int64_t done;
};

static int32_t sink_callback(void *ctx, const uint8_t *bytes, int64_t n)
{
    struct cb_sink *s = ctx;
    int32_t r = s->write(s->user_data, bytes, n);
    if (r != 0)
        return cpae__fail(CPAE_E_CALLBACK, "cpae_model_save_to_callback",
                          "write callback returned %d after %lld bytes were "
                          "accepted", (int)r, (long long)s->done);
    s->done += n;
    return CPAE_OK;
}

struct fd_sink {
    int fd;
    const char *path; /* the target, for messages */
};

/* write() until everything is written: handles short writes and EINTR. */
static int write_all(int fd, const uint8_t *p, int64_t n)
{
    while (n > 0) {
        size_t k = n > IO_CHUNK ? (size_t)IO_CHUNK : (size_t)n;
        ssize_t r = write(fd, p, k);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            return -1;
        }
        p += r;
        n -= r;
    }
    return 0;
}

static int32_t sink_fd(void *ctx, const uint8_t *bytes, int64_t n)
{
    struct fd_sink *s = ctx;
    if (write_all(s->fd, bytes, n) != 0)
        return cpae__fail_errno(errno, "cpae_model_save",
                          "cannot write the temporary file for", s->path);
    return CPAE_OK;
}

/* ---------------------------------------------------------------- saving */

int32_t cpae_model_save_size(const cpae_model *model, int64_t *n)
{
    static const char fn[] = "cpae_model_save_size";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(model, fn, "model")) || (st = cpae__check_ptr(n, fn, "n")))
        return st;
    *n = saved_bytes(model);
    return CPAE_OK;
}

int32_t cpae_model_save_to_buffer(const cpae_model *model, uint8_t *buf,
                                  int64_t cap, int64_t *written)
{
    static const char fn[] = "cpae_model_save_to_buffer";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(model, fn, "model")) ||
        (st = cpae__check_ptr(buf, fn, "buf")) ||
        (st = cpae__check_ptr(written, fn, "written")))
        return st;
    int64_t need = saved_bytes(model);
    if (cap < need) {
        *written = need; /* tells the caller how much to allocate */
        return cpae__fail(CPAE_E_BUFFER_TOO_SMALL, fn,
                          "cap is %lld bytes, the model needs %lld",
                          (long long)cap, (long long)need);
    }
    struct buf_sink s = {buf, 0};
    struct writer w;
    w_init(&w, sink_buffer, &s);
    if ((st = serialize(model, &w, fn)))
        return st;
    *written = s.pos;
    return CPAE_OK;
}

int32_t cpae_model_save_to_callback(const cpae_model *model,
                                    cpae_write_fn write, void *user_data)
{
    static const char fn[] = "cpae_model_save_to_callback";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(model, fn, "model")))
        return st;
    if (!write) /* a function pointer: cpae__check_ptr takes void * */
        return cpae__fail(CPAE_E_NULL, fn, "argument 'write' is NULL");
    struct cb_sink s = {write, user_data, 0};
    struct writer w;
    w_init(&w, sink_callback, &s);
    return serialize(model, &w, fn);
}

/* Open the directory holding path, to fsync it after the rename. */
static int32_t open_parent(const char *path, int *dfd, const char *fn)
{
    const char *slash = strrchr(path, '/');
    size_t len = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (!dir)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %zu bytes", len + 1);
    memcpy(dir, !slash ? "." : path, len);
    dir[len] = '\0';
    int32_t st = CPAE_OK;
    *dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*dfd < 0)
        st = cpae__fail_errno(errno, fn, "cannot open the directory of", path);
    free(dir);
    return st;
}

/* Fill the temporary file: permissions, bytes, fsync. */
static int32_t fill_temp(const cpae_model *model, int fd, const char *path,
                         const char *fn)
{
    /* Replacing a file keeps its permissions; a new file keeps mkstemp's
     * 0600 (the umask cannot be read thread-safely). Best effort only. */
    struct stat old;
    if (stat(path, &old) == 0 && S_ISREG(old.st_mode))
        (void)fchmod(fd, old.st_mode & 07777);
    struct fd_sink s = {fd, path};
    struct writer *w = malloc(sizeof *w);
    if (!w)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %zu bytes", sizeof *w);
    w_init(w, sink_fd, &s);
    int32_t st = serialize(model, w, fn);
    free(w);
    if (st == CPAE_OK && fsync(fd) != 0)
        st = cpae__fail_errno(errno, fn, "cannot flush the temporary file for", path);
    return st;
}

/* A temporary older than this, and not locked, belongs to a killed save. */
#define STALE_SECONDS 60

/* Remove temporaries "BASE.tmp.XXXXXX" of earlier saves of path that were
 * killed before their rename: each live save holds an exclusive flock on
 * its temporary until after the rename, so a temporary that is at least
 * STALE_SECONDS old and can be locked has no writer (a brand-new one,
 * between mkstemp and flock, is younger than that). Best effort: errors
 * are ignored, nothing else is touched. */
static void sweep_stale(const char *path, int dfd)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t blen = strlen(base);
    int dup_fd = dup(dfd);
    DIR *dir = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!dir) {
        if (dup_fd >= 0)
            close(dup_fd);
        return;
    }
    time_t now = time(NULL);
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        const char *name = e->d_name;
        if (strlen(name) != blen + 11 || strncmp(name, base, blen) != 0 ||
            strncmp(name + blen, ".tmp.", 5) != 0)
            continue;
        int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
            continue;
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            difftime(now, st.st_mtime) >= STALE_SECONDS && flock(fd, LOCK_EX | LOCK_NB) == 0)
            (void)unlinkat(dfd, name, 0);
        close(fd); /* releases the lock */
    }
    closedir(dir);
}

/* Temp file beside the target, then rename: readers see old or new. */
static int32_t save_atomic(const cpae_model *model, const char *path, int dfd,
                           const char *fn)
{
    static const char suffix[] = ".tmp.XXXXXX";
    size_t len = strlen(path);
    char *tmp = malloc(len + sizeof suffix);
    if (!tmp)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %zu bytes",
                          len + sizeof suffix);
    memcpy(tmp, path, len);
    memcpy(tmp + len, suffix, sizeof suffix);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int32_t st = cpae__fail_errno(errno, fn, "cannot create a temporary file next to",
                                path);
        free(tmp);
        return st;
    }
    /* Locked until after the rename: sweep_stale leaves a live save alone. */
    (void)flock(fd, LOCK_EX);
    int32_t st = fill_temp(model, fd, path, fn);
    if (st == CPAE_OK && rename(tmp, path) != 0)
        st = cpae__fail_errno(errno, fn, "cannot rename the temporary file onto", path);
    if (st != CPAE_OK)
        (void)unlink(tmp);
    if (close(fd) != 0 && st == CPAE_OK)
        st = cpae__fail_errno(errno, fn, "cannot close the temporary file for", path);
    /* Make the rename itself durable. EINVAL: this file system cannot sync
     * directories; the data is already safe. */
    if (st == CPAE_OK && fsync(dfd) != 0 && errno != EINVAL)
        st = cpae__fail_errno(errno, fn, "cannot flush the directory of", path);
    if (st == CPAE_OK)
        sweep_stale(path, dfd);
    free(tmp);
    return st;
}

int32_t cpae_model_save(const cpae_model *model, const char *path)
{
    static const char fn[] = "cpae_model_save";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(model, fn, "model")) ||
        (st = cpae__check_ptr(path, fn, "path")))
        return st;
    if (path[0] == '\0')
        return cpae__fail(CPAE_E_IO, fn, "path is empty");
    int dfd = -1;
    if ((st = open_parent(path, &dfd, fn)))
        return st;
    st = save_atomic(model, path, dfd, fn);
    (void)close(dfd);
    return st;
}

/* --------------------------------------------------------------- loading */

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
    if (n >= MAGIC_BYTES && memcmp(b, MAGIC, MAGIC_BYTES) != 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "not a libcpae model (magic is not "
                          "\"" MAGIC "\")");
    if (n < MIN_BYTES)
        return cpae__fail(CPAE_E_FORMAT, fn, "truncated: %lld bytes, a model has "
                          "at least %d", (long long)n, MIN_BYTES);
    /* Version first: a future format may place its checksum elsewhere. */
    uint32_t version = (uint32_t)get_le(b + 8, 4);
    if (version != FORMAT_VERSION)
        return cpae__fail(CPAE_E_VERSION, fn, "format version %u; this library "
                          "reads version %u", version, FORMAT_VERSION);
    uint64_t payload = get_le(b + 16, 8);
    uint64_t present = (uint64_t)(n - HEADER_BYTES - TRAILER_BYTES);
    if (payload > present)
        return cpae__fail(CPAE_E_FORMAT, fn, "truncated: the header announces %llu "
                          "payload bytes, %llu are present",
                          (unsigned long long)payload, (unsigned long long)present);
    if (payload < present)
        return cpae__fail(CPAE_E_FORMAT, fn, "%llu unexpected bytes after the "
                          "announced payload of %llu bytes",
                          (unsigned long long)(present - payload),
                          (unsigned long long)payload);
    uint32_t stored = (uint32_t)get_le(b + n - TRAILER_BYTES, 4);
    uint32_t actual = crc_update(0, b, n - TRAILER_BYTES);
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
    const uint8_t *p = b + HEADER_BYTES;
    int64_t left = n - HEADER_BYTES - TRAILER_BYTES - COUNTS_BYTES;
    uint32_t n_enc = (uint32_t)get_le(p, 4), n_dec = (uint32_t)get_le(p + 4, 4);
    p += COUNTS_BYTES;
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
        if (left < LAYER_HEAD_BYTES)
            return cpae__fail(CPAE_E_FORMAT, fn, "truncated: %s layer %lld needs a "
                              "%d-byte header, %lld bytes remain", stack_name(l, s->n_enc),
                              stack_index(l, s->n_enc), LAYER_HEAD_BYTES, (long long)left);
        int32_t st;
        if ((st = check_layer_kind(p, l, s, fn)) || (st = check_layer_widths(p, l, s, fn)))
            return st;
        int64_t params = s->n_in[l] * s->n_out[l] + s->n_out[l]; /* < 2^49 */
        total += params;
        if (total > CPAE_MAX_PARAMS)
            return cpae__fail(CPAE_E_LIMIT, fn, "more than CPAE_MAX_PARAMS (%lld) "
                              "parameters by %s layer %lld", (long long)CPAE_MAX_PARAMS,
                              stack_name(l, s->n_enc), stack_index(l, s->n_enc));
        int64_t need = LAYER_HEAD_BYTES + 8 * params;
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
    const uint8_t *p = b + HEADER_BYTES + COUNTS_BYTES;
    for (int64_t l = 0; l < m->n_enc + m->n_dec; l++) {
        struct cpae_layer *L = &m->layers[l];
        int64_t nw = L->n_in * L->n_out;
        int32_t st;
        p += LAYER_HEAD_BYTES;
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
    if (n > MAX_BYTES)
        return cpae__fail(CPAE_E_LIMIT, fn, "%lld bytes; no valid model exceeds %lld",
                          (long long)n, (long long)MAX_BYTES);
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
    if (size > MAX_BYTES || (uint64_t)size > SIZE_MAX)
        return cpae__fail(CPAE_E_LIMIT, fn, "'%s' is %lld bytes; no valid model "
                          "exceeds %lld", path, (long long)size, (long long)MAX_BYTES);
    if (size <= 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "'%s' is empty", path);
    uint8_t *b = malloc((size_t)size);
    if (!b)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %lld bytes for '%s'",
                          (long long)size, path);
    for (int64_t got = 0; got < size;) {
        int64_t want = size - got > IO_CHUNK ? IO_CHUNK : size - got;
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
