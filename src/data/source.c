/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* source.c -- the byte source every data loader reads through: a regular
 * file opened without blocking and read through zlib, so gzip streams are
 * decompressed and anything else passes through unchanged. It is the one
 * place that enforces the load's byte limit (a decompression bomb stops as
 * soon as the cap is passed) and that turns zlib's failures into messages:
 * a truncated or corrupted stream is an error, never a short read. */
#include "data/data.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest data set, in float values (2^34, 64 GiB; less where size_t is
 * 32 bits). */
#if SIZE_MAX > 0xFFFFFFFFu
#define MAX_ELEMS ((int64_t)1 << 34)
#else
#define MAX_ELEMS ((int64_t)1 << 28)
#endif

/* The most values a load may store: its byte cap as floats, within the
 * library's absolute limit. */
int64_t cpae__data_max_values(const struct cpae__data_src *s)
{
    int64_t v = s->limit / (int64_t)sizeof(float);
    return v < MAX_ELEMS ? v : MAX_ELEMS;
}

int32_t cpae__data_src_open(struct cpae__data_src *s, const char *path, int64_t limit,
                            const char *fn)
{
    s->gz = NULL;
    s->path = path;
    s->fn = fn;
    s->delivered = 0;
    s->limit = limit;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then
     * refuses it); it does not affect reads of regular files. */
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return cpae__fail_errno(errno, fn, "cannot open", path);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        (void)close(fd);
        return cpae__fail_errno(e, fn, "cannot stat", path);
    }
    if (!S_ISREG(sb.st_mode)) {
        (void)close(fd);
        return cpae__fail(CPAE_E_IO, fn, "'%s' is not a regular file", path);
    }
    s->gz = gzdopen(fd, "rb");
    if (!s->gz) {
        (void)close(fd);
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot set up zlib to read '%s'",
                          path);
    }
    (void)gzbuffer(s->gz, 1u << 17);
    return CPAE_OK;
}

/* The failure zlib recorded on s (e: errno right after the failing call). */
static int32_t src_error(struct cpae__data_src *s, int e)
{
    int err = Z_OK;
    const char *msg = gzerror(s->gz, &err);
    /* zlib prefixes "<fd:N>: " for a descriptor opened with gzdopen. */
    const char *colon = msg ? strstr(msg, ": ") : NULL;
    if (msg && msg[0] == '<' && colon)
        msg = colon + 2;
    if (!msg)
        msg = "unknown zlib error";
    switch (err) {
    case Z_ERRNO:
        return cpae__fail_errno(e, s->fn, "cannot read", s->path);
    case Z_BUF_ERROR:
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': truncated gzip stream "
                          "(unexpected end of file after %lld decompressed "
                          "bytes)", s->path, (long long)s->delivered);
    case Z_MEM_ERROR:
        return cpae__fail(CPAE_E_NOMEM, s->fn, "out of memory while "
                          "decompressing '%s'", s->path);
    default:
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': corrupted gzip stream "
                          "after %lld decompressed bytes (%s)", s->path,
                          (long long)s->delivered, msg);
    }
}

/* Read up to cap bytes into buf; *got < cap only at the end of the data.
 * A truncated or corrupted stream is an error, never a short read. */
int32_t cpae__data_src_read(struct cpae__data_src *s, uint8_t *buf, size_t cap,
                            size_t *got)
{
    size_t total = 0;
    while (total < cap) {
        size_t want = cap - total > CPAE__DATA_CHUNK ? CPAE__DATA_CHUNK : cap - total;
        errno = 0;
        int r = gzread(s->gz, buf + total, (unsigned)want);
        if (r < 0)
            return src_error(s, errno);
        if (r == 0)
            break;
        total += (size_t)r;
        s->delivered += r;
        if (s->delivered > s->limit) /* early: a decompression bomb stops here */
            return cpae__fail(CPAE_E_LIMIT, s->fn, "'%s': more than %lld bytes of "
                              "(decompressed) data, the load's limit", s->path,
                              (long long)s->limit);
    }
    *got = total;
    if (total < cap) { /* the end: was it a real one? */
        int err = Z_OK;
        (void)gzerror(s->gz, &err);
        if (err != Z_OK)
            return src_error(s, errno);
    }
    return CPAE_OK;
}

/* Close; with st == CPAE_OK also report an error found only at closing. */
int32_t cpae__data_src_close(struct cpae__data_src *s, int32_t st)
{
    if (!s->gz)
        return st;
    int r = gzclose_r(s->gz);
    s->gz = NULL;
    if (st != CPAE_OK)
        return st;
    if (r == Z_BUF_ERROR)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': truncated gzip stream "
                          "(unexpected end of file after %lld decompressed "
                          "bytes)", s->path, (long long)s->delivered);
    if (r == Z_ERRNO)
        return cpae__fail_errno(errno, s->fn, "cannot close", s->path);
    if (r != Z_OK)
        return cpae__fail(CPAE_E_FORMAT, s->fn, "'%s': zlib error %d at close",
                          s->path, r);
    return CPAE_OK;
}
