/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* save.c -- saving models: the public cpae_model_save* calls and the sinks
 * that take the serialised bytes (format.c) into a caller's buffer, a
 * write callback or a file. A file is never written in place: the bytes go
 * to a temporary beside the target, are flushed, and the temporary is
 * renamed onto the target, so a reader sees the old model or the new one,
 * never a mixture. Each save holds an flock on its temporary until after
 * the rename, which lets a later save sweep away temporaries that killed
 * saves left behind without touching a live one. */
#include "io/io.h"
#include "lie/lie.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- sinks */

int32_t cpae__io_sink_buffer(void *ctx, const uint8_t *bytes, int64_t n)
{
    struct cpae__io_buf_sink *s = ctx;
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
    const char *fn;   /* the public call, for messages */
};

/* write() until everything is written: handles short writes and EINTR. */
static int write_all(int fd, const uint8_t *p, int64_t n)
{
    while (n > 0) {
        size_t k = n > CPAE__IO_CHUNK ? (size_t)CPAE__IO_CHUNK : (size_t)n;
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
        return cpae__fail_errno(errno, s->fn, "cannot write the temporary file for",
                                s->path);
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
    *n = cpae__io_saved_bytes(model);
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
    int64_t need = cpae__io_saved_bytes(model);
    if (cap < need) {
        *written = need; /* tells the caller how much to allocate */
        return cpae__fail(CPAE_E_BUFFER_TOO_SMALL, fn,
                          "cap is %lld bytes, the model needs %lld",
                          (long long)cap, (long long)need);
    }
    struct cpae__io_buf_sink s = {buf, 0};
    struct cpae__io_writer w;
    cpae__io_writer_init(&w, cpae__io_sink_buffer, &s);
    if ((st = cpae__io_serialize(model, &w, fn)))
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
    struct cpae__io_writer w;
    cpae__io_writer_init(&w, sink_callback, &s);
    return cpae__io_serialize(model, &w, fn);
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
static int32_t fill_temp(cpae__io_emit_fn emit, const void *obj, int fd, const char *path,
                         const char *fn)
{
    /* Replacing a file keeps its permissions; a new file keeps mkstemp's
     * 0600 (the umask cannot be read thread-safely). Best effort only. */
    struct stat old;
    if (stat(path, &old) == 0 && S_ISREG(old.st_mode))
        (void)fchmod(fd, old.st_mode & 07777);
    struct fd_sink s = {fd, path, fn};
    struct cpae__io_writer *w = malloc(sizeof *w);
    if (!w)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate %zu bytes", sizeof *w);
    cpae__io_writer_init(w, sink_fd, &s);
    int32_t st = emit(obj, w, fn);
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
static int32_t save_atomic(cpae__io_emit_fn emit, const void *obj, const char *path, int dfd,
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
    int32_t st = fill_temp(emit, obj, fd, path, fn);
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

int32_t cpae__io_save_file(const char *path, cpae__io_emit_fn emit, const void *obj,
                           const char *fn)
{
    int32_t st = cpae__check_ptr(path, fn, "path");
    if (st)
        return st;
    if (path[0] == '\0')
        return cpae__fail(CPAE_E_IO, fn, "path is empty");
    int dfd = -1;
    if ((st = open_parent(path, &dfd, fn)))
        return st;
    st = save_atomic(emit, obj, path, dfd, fn);
    (void)close(dfd);
    return st;
}

/* A model with optional generators, as the emitter of a file save. */
struct model_lie {
    const cpae_model *model;
    const cpae_lie *lie;
};

static int32_t emit_model(const void *obj, struct cpae__io_writer *w, const char *fn)
{
    const struct model_lie *ml = obj;
    return cpae__io_serialize_lie(ml->model, ml->lie, w, fn);
}

int32_t cpae_model_save(const cpae_model *model, const char *path)
{
    static const char fn[] = "cpae_model_save";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(model, fn, "model")))
        return st;
    struct model_lie ml = {model, NULL};
    return cpae__io_save_file(path, emit_model, &ml, fn);
}

/* The generators must fit the model they are saved with. */
static int32_t check_model_lie(const cpae_model *model, const cpae_lie *lie, const char *fn)
{
    int32_t st = cpae__check_ptr(model, fn, "model");
    if (!st && lie && lie->d != model->layers[0].n_in)
        st = cpae__fail(CPAE_E_MISMATCH, fn, "generators are %lld x %lld, the model's "
                        "input width is %lld", (long long)lie->d, (long long)lie->d,
                        (long long)model->layers[0].n_in);
    return st;
}

int32_t cpae_model_save_lie(const cpae_model *model, const cpae_lie *lie, const char *path)
{
    static const char fn[] = "cpae_model_save_lie";
    cpae__clear_error();
    int32_t st = check_model_lie(model, lie, fn);
    if (st)
        return st;
    struct model_lie ml = {model, lie};
    return cpae__io_save_file(path, emit_model, &ml, fn);
}

int32_t cpae_model_save_lie_size(const cpae_model *model, const cpae_lie *lie, int64_t *n)
{
    static const char fn[] = "cpae_model_save_lie_size";
    cpae__clear_error();
    int32_t st;
    if ((st = check_model_lie(model, lie, fn)) || (st = cpae__check_ptr(n, fn, "n")))
        return st;
    *n = cpae__io_saved_bytes_lie(model, lie);
    return CPAE_OK;
}

int32_t cpae_model_save_lie_to_buffer(const cpae_model *model, const cpae_lie *lie,
                                      uint8_t *buf, int64_t cap, int64_t *written)
{
    static const char fn[] = "cpae_model_save_lie_to_buffer";
    cpae__clear_error();
    int32_t st;
    if ((st = check_model_lie(model, lie, fn)) || (st = cpae__check_ptr(buf, fn, "buf")) ||
        (st = cpae__check_ptr(written, fn, "written")))
        return st;
    int64_t need = cpae__io_saved_bytes_lie(model, lie);
    if (cap < need) {
        *written = need;
        return cpae__fail(CPAE_E_BUFFER_TOO_SMALL, fn, "cap is %lld bytes, the model and "
                          "generators need %lld", (long long)cap, (long long)need);
    }
    struct cpae__io_buf_sink s = {buf, 0};
    struct cpae__io_writer w;
    cpae__io_writer_init(&w, cpae__io_sink_buffer, &s);
    if ((st = cpae__io_serialize_lie(model, lie, &w, fn)))
        return st;
    *written = s.pos;
    return CPAE_OK;
}
