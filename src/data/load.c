/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* load.c -- the loading entry points: the format from the file name when
 * asked (CPAE_FORMAT_AUTO), the byte limit checked, then the text parsers
 * (text.c) or the IDX reader (idx.c). Formats, limits and messages are
 * described in docs/data.md. */
#include "data/data.h"

#include <string.h>
#include <strings.h>

static bool ends_with_ci(const char *s, size_t len, const char *suffix)
{
    size_t k = strlen(suffix);
    return len >= k && strncasecmp(s + len - k, suffix, k) == 0;
}

/* AUTO: the file name without a ".gz" suffix decides: "idx" followed by a
 * digit (idx1, idx3), or a name ending in "-ubyte" or ".idx", is IDX;
 * ".csv" is CSV; anything else is UCR text. */
static int32_t format_from_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (ends_with_ci(base, len, ".gz"))
        len -= 3;
    if (ends_with_ci(base, len, "-ubyte") || ends_with_ci(base, len, ".idx"))
        return CPAE_FORMAT_IDX;
    for (size_t i = 0; i + 3 < len; i++)
        if (strncasecmp(base + i, "idx", 3) == 0 && base[i + 3] >= '0' &&
            base[i + 3] <= '9')
            return CPAE_FORMAT_IDX;
    if (ends_with_ci(base, len, ".csv"))
        return CPAE_FORMAT_CSV;
    return CPAE_FORMAT_UCR;
}

static int32_t check_limit(int64_t max_bytes, const char *fn)
{
    if (max_bytes < 1 || max_bytes > CPAE_DATASET_MAX_LIMIT)
        return cpae__fail(CPAE_E_INVALID, fn, "max_bytes is %lld; must be in [1, %lld]",
                          (long long)max_bytes, (long long)CPAE_DATASET_MAX_LIMIT);
    return CPAE_OK;
}

/* The loaders' one body; fn names the public entry point in messages. */
static int32_t load_path(const char *path, int32_t format, int64_t max_bytes,
                         cpae_dataset **out, const char *fn)
{
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(path, fn, "path")) || (st = cpae__check_ptr(out, fn, "out")) ||
        (st = check_limit(max_bytes, fn)))
        return st;
    if (format < CPAE_FORMAT_AUTO || format > CPAE_FORMAT_IDX)
        return cpae__fail(CPAE_E_INVALID, fn, "unknown format %d", (int)format);
    if (format == CPAE_FORMAT_AUTO)
        format = format_from_name(path);
    if (format == CPAE_FORMAT_IDX)
        return cpae__data_load_idx(path, NULL, max_bytes, out, fn);
    return cpae__data_load_text(path, format, max_bytes, out, fn);
}

int32_t cpae_dataset_load_limit(const char *path, int32_t format, int64_t max_bytes,
                                cpae_dataset **out)
{
    return load_path(path, format, max_bytes, out, "cpae_dataset_load_limit");
}

int32_t cpae_dataset_load(const char *path, int32_t format, cpae_dataset **out)
{
    return load_path(path, format, CPAE_DATASET_DEFAULT_LIMIT, out, "cpae_dataset_load");
}

static int32_t load_idx_paths(const char *images_path, const char *labels_path,
                              int64_t max_bytes, cpae_dataset **out, const char *fn)
{
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(images_path, fn, "images_path")) ||
        (st = cpae__check_ptr(out, fn, "out")) || (st = check_limit(max_bytes, fn)))
        return st;
    return cpae__data_load_idx(images_path, labels_path, max_bytes, out, fn);
}

int32_t cpae_dataset_load_idx_limit(const char *images_path, const char *labels_path,
                                    int64_t max_bytes, cpae_dataset **out)
{
    return load_idx_paths(images_path, labels_path, max_bytes, out,
                          "cpae_dataset_load_idx_limit");
}

int32_t cpae_dataset_load_idx(const char *images_path, const char *labels_path,
                              cpae_dataset **out)
{
    return load_idx_paths(images_path, labels_path, CPAE_DATASET_DEFAULT_LIMIT, out,
                          "cpae_dataset_load_idx");
}

