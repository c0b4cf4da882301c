/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* fuzz_data.c -- libFuzzer harness for one data-set parser, chosen at
 * build time with -DFUZZ_FORMAT=CPAE_FORMAT_UCR / _CSV / _IDX.
 *
 * The first input byte picks how the rest reaches the loader: bits 0-1 =
 * 0 plain file, 1 gzip-compressed, 2 gzip cut short (a truncated stream),
 * 3 plain; bit 2 = CSV with a header line (CSV builds only). The loader
 * runs with a 4 MiB cap (cpae_dataset_load_limit), so no input can make it
 * allocate more. An accepted data set must have n, d >= 1 and finite
 * values. Built by `make fuzz`. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cpae.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT CPAE_FORMAT_UCR
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static int write_input(const uint8_t *p, size_t n, int mode, int cut)
{
    if (mode == 1 || mode == 2) {
        uLongf cap = compressBound((uLong)n) + 64;
        uint8_t *z = malloc(cap);
        if (!z)
            return -1;
        /* A gzip stream: deflate with a gzip wrapper (windowBits 31). */
        z_stream s;
        memset(&s, 0, sizeof s);
        if (deflateInit2(&s, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(z);
            return -1;
        }
        s.next_in = (Bytef *)(uintptr_t)p;
        s.avail_in = (uInt)n;
        s.next_out = z;
        s.avail_out = (uInt)cap;
        int r = deflate(&s, Z_FINISH);
        size_t zn = cap - s.avail_out;
        deflateEnd(&s);
        if (r != Z_STREAM_END) {
            free(z);
            return -1;
        }
        if (mode == 2)
            zn = zn * (size_t)(cut % 8 + 1) / 9; /* cut somewhere inside */
        FILE *f = fopen(path, "wb");
        int ok = f && fwrite(z, 1, zn, f) == zn;
        if (f)
            ok &= fclose(f) == 0;
        free(z);
        return ok ? 0 : -1;
    }
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f)
        ok &= fclose(f) == 0;
    return ok ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/cpae-fuzz-%ld.dat", (long)getpid());
    int mode = data[0] & 3;
    int32_t format = FUZZ_FORMAT;
    if (format == CPAE_FORMAT_CSV && (data[0] & 4))
        format = CPAE_FORMAT_CSV_HEADER;
    if (write_input(data + 1, size - 1, mode, data[0] >> 3) != 0)
        return 0;
    cpae_dataset *ds = NULL;
    if (cpae_dataset_load_limit(path, format, INT64_C(4) << 20, &ds) == CPAE_OK) {
        int64_t n = 0, d = 0;
        const float *x = NULL;
        if (cpae_dataset_info(ds, &n, &d, NULL) != CPAE_OK || n < 1 || d < 1 ||
            cpae_dataset_data(ds, &x) != CPAE_OK)
            abort();
        for (int64_t i = 0; i < n * d; i++)
            if (!isfinite(x[i]))
                abort(); /* accepted data are finite */
        cpae_dataset_destroy(ds);
    }
    return 0;
}
