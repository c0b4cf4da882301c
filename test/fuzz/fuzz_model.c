/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* fuzz_model.c -- libFuzzer harness for the model loader
 * (cpae_model_load_lie_from_buffer: format versions 1 and 2, with and
 * without generators, docs/format.md).
 *
 * The first input byte picks a mode: odd = "resealed", where the payload
 * length (offset 16) and the CRC-32 trailer are recomputed before loading,
 * so mutations reach the layer parser instead of dying at the checksum;
 * even = the bytes as they are. Every accepted model (and generators) must
 * save back to exactly the bytes it was loaded from, the version-1 loader
 * must accept it too, and its outputs must be finite or refused. Built by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cpae.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    int reseal = data[0] & 1;
    size_t n = size - 1;
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return 0;
    memcpy(b, data + 1, n);
    if (reseal && n >= 28) {
        put_le(b + 16, (uint64_t)(n - 28), 8);
        put_le(b + n - 4, crc32(0L, b, (uInt)(n - 4)), 4);
    }
    cpae_model *m = NULL, *m1 = NULL;
    cpae_lie *lie = NULL;
    if (cpae_model_load_lie_from_buffer(b, (int64_t)n, &m, &lie) == CPAE_OK) {
        int64_t need = 0, wrote = 0;
        if (cpae_model_save_lie_size(m, lie, &need) != CPAE_OK || need != (int64_t)n)
            abort(); /* an accepted file has exactly its saved size */
        uint8_t *out = malloc((size_t)need);
        if (!out || cpae_model_save_lie_to_buffer(m, lie, out, need, &wrote) != CPAE_OK ||
            wrote != need || memcmp(out, b, (size_t)need) != 0)
            abort(); /* accepted models save back bit-exactly */
        free(out);
        if (cpae_model_load_from_buffer(b, (int64_t)n, &m1) != CPAE_OK)
            abort(); /* the model part of any accepted file */
        cpae_model_destroy(m1);
        cpae_lie_destroy(lie);
        int64_t d = 0;
        if (cpae_model_dims(m, &d, NULL) == CPAE_OK && d > 0 && d <= 4096) {
            float *x = calloc((size_t)d, sizeof(float)), *y = malloc((size_t)d * sizeof(float));
            if (x && y) {
                for (int64_t j = 0; j < d; j++)
                    x[j] = (float)(j % 7) - 3.0f;
                if (cpae_model_reconstruct(m, x, 1, d, y, d) == CPAE_OK)
                    for (int64_t j = 0; j < d; j++)
                        if (!isfinite(y[j]))
                            abort(); /* never non-finite with CPAE_OK */
            }
            free(x);
            free(y);
        }
        cpae_model_destroy(m);
    }
    free(b);
    return 0;
}
