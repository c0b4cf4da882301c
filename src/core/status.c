/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* status.c -- status codes, thread-local error detail, version, limits. */
#include "core/core.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CPAE_ERRBUF 512

/* The only per-thread state: the detail of this thread's last failure. */
static _Thread_local char err_buf[CPAE_ERRBUF];

int32_t cpae__fail(int32_t status, const char *func, const char *fmt, ...)
{
    int off = snprintf(err_buf, sizeof err_buf, "%s: ", func ? func : "cpae");
    if (off < 0 || (size_t)off >= sizeof err_buf)
        off = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_buf + off, sizeof err_buf - (size_t)off, fmt, ap);
    va_end(ap);
    return status;
}

void cpae__clear_error(void) { err_buf[0] = '\0'; }

int32_t cpae_set_last_error(int32_t status, const char *message)
{
    snprintf(err_buf, sizeof err_buf, "%s", message ? message : "");
    return status;
}

int32_t cpae__fail_errno(int e, const char *func, const char *what, const char *path)
{
    char eb[128];
    /* XSI strerror_r (the build defines _POSIX_C_SOURCE): returns int. */
    if (strerror_r(e, eb, sizeof eb) != 0)
        snprintf(eb, sizeof eb, "error %d", e);
    return cpae__fail(CPAE_E_IO, func, "%s '%s': %s", what, path, eb);
}

int32_t cpae__check_ptr(const void *p, const char *func, const char *name)
{
    if (p)
        return CPAE_OK;
    return cpae__fail(CPAE_E_NULL, func, "argument '%s' is NULL", name);
}

int32_t cpae__check_finite_f(const float *x, int64_t n, const char *func,
                             const char *name)
{
    if (cpae__finite_f(x, n)) /* the usual case: one vectorised pass */
        return CPAE_OK;
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return cpae__fail(CPAE_E_NONFINITE, func,
                              "'%s'[%lld] is %s", name, (long long)i,
                              isnan(x[i]) ? "NaN" : "infinite");
    return CPAE_OK;
}

int32_t cpae__pass_on(int32_t st, const char *func, const char *what)
{
    char msg[512]; /* copied first: it lives in the buffer being rewritten */
    snprintf(msg, sizeof msg, "%s", cpae_last_error());
    return what ? cpae__fail(st, func, "%s: %s", what, msg) : cpae__fail(st, func, "%s", msg);
}

int32_t cpae__check_output(const double *y, int64_t n, const char *func,
                           const char *what)
{
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(y[i]) <= FLT_MAX))
            return cpae__fail(CPAE_E_NONFINITE, func,
                              "%s [%lld] is %s: the network overflowed (weights or "
                              "inputs too large for float outputs)", what, (long long)i,
                              isnan(y[i]) ? "NaN" : isinf(y[i]) ? "infinite"
                                                               : "beyond FLT_MAX");
    return CPAE_OK;
}

int32_t cpae__check_cap(int64_t cap, int64_t need, const char *func,
                        const char *name)
{
    if (cap >= need)
        return CPAE_OK;
    return cpae__fail(CPAE_E_BUFFER_TOO_SMALL, func,
                      "capacity of '%s' is %lld, %lld needed", name,
                      (long long)cap, (long long)need);
}

bool cpae__mul_ok(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0)
        return false;
    if (a != 0 && b > INT64_MAX / a)
        return false;
    *out = a * b;
    return true;
}

const char *cpae_status_string(int32_t status)
{
    switch (status) {
    case CPAE_OK: return "success";
    case CPAE_E_NULL: return "a required pointer argument is NULL";
    case CPAE_E_INVALID: return "an argument value is out of range";
    case CPAE_E_SIZE: return "zero, negative or mismatched sizes";
    case CPAE_E_BUFFER_TOO_SMALL: return "output buffer too small";
    case CPAE_E_NONFINITE: return "NaN or infinity in the input";
    case CPAE_E_NOMEM: return "out of memory";
    case CPAE_E_IO: return "file could not be read or written";
    case CPAE_E_FORMAT: return "malformed, truncated or corrupted data";
    case CPAE_E_VERSION: return "unsupported format version";
    case CPAE_E_NUMERIC: return "numerical routine failed";
    case CPAE_E_MISMATCH: return "handles do not belong together";
    case CPAE_E_LIMIT: return "size exceeds a library limit";
    case CPAE_E_CALLBACK: return "a user callback reported failure";
    case CPAE_E_INTERNAL: return "internal error";
    case CPAE_E_CANCELLED: return "cancelled by a progress callback";
    case CPAE_E_DIVERGED: return "training diverged (NaN, infinity or a runaway loss)";
    case CPAE_E_REMOTE: return "another process of a data-parallel fit failed";
    default: return "unknown status";
    }
}

const char *cpae_last_error(void) { return err_buf; }

int32_t cpae_last_error_copy(char *buf, int64_t cap, int64_t *needed)
{
    /* Not cleared on entry: this call reads the previous message. */
    int64_t len = (int64_t)strlen(err_buf);
    if (needed)
        *needed = len + 1;
    if (cap < 0)
        return CPAE_E_SIZE;
    if (cap == 0)
        return len == 0 ? CPAE_OK : CPAE_E_BUFFER_TOO_SMALL;
    if (!buf)
        return CPAE_E_NULL;
    int64_t n = len < cap - 1 ? len : cap - 1;
    memcpy(buf, err_buf, (size_t)n);
    buf[n] = '\0';
    return n == len ? CPAE_OK : CPAE_E_BUFFER_TOO_SMALL;
}

uint32_t cpae_version_number(void) { return CPAE_VERSION_NUMBER; }

const char *cpae_version_string(void) { return CPAE_VERSION_STRING; }

const char *cpae_build_info(void)
{
    return "libcpae " CPAE_VERSION_STRING "; BLAS: CBLAS (OpenBLAS); "
           "LAPACK: LAPACKE; checksum: zlib crc32; compiler: "
#if defined(__clang__)
           "clang " __clang_version__
#elif defined(__GNUC__)
           "gcc " __VERSION__
#else
           "unknown"
#endif
        ;
}

int64_t cpae_max_layers(void) { return CPAE_MAX_LAYERS; }
int64_t cpae_max_width(void) { return CPAE_MAX_WIDTH; }
int64_t cpae_max_params(void) { return CPAE_MAX_PARAMS; }
double cpae_default_leaky_alpha(void) { return CPAE_DEFAULT_LEAKY_ALPHA; }
