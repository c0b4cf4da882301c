/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* fuzz_checkpoint.c -- libFuzzer harness for the trainer checkpoint loader
 * (cpae_trainer_load_checkpoint_from_buffer, docs/format.md).
 *
 * One trainer (Lie local form, model 6-4-2-4-6, one skew generator; the
 * seeds in corpus/checkpoint are its checkpoints) takes every input. The
 * first byte picks a mode as in fuzz_model.c: odd = payload length and
 * CRC-32 recomputed, so mutations reach the parser. A refused checkpoint
 * must leave the trainer exactly as it was (its own checkpoint bytes are
 * compared before and after); an accepted one must save, and that save
 * must load back to the same bytes. Built by `make fuzz`. */
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

/* The trainer's checkpoint now, in a new buffer. */
static uint8_t *state(const cpae_trainer *t, int64_t *n)
{
    if (cpae_trainer_checkpoint_size(t, n) != CPAE_OK)
        abort();
    uint8_t *b = malloc((size_t)*n);
    int64_t w = 0;
    if (!b || cpae_trainer_save_checkpoint_to_buffer(t, b, *n, &w) != CPAE_OK || w != *n)
        abort();
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cpae_model *m;
    static cpae_lie *lie;
    static cpae_trainer *t;
    if (!t) {
        const int64_t w[] = {6, 4, 2};
        if (cpae_model_create_mirrored(w, 3, CPAE_ACT_RELU, 1, &m) ||
            cpae_lie_create(6, 1, CPAE_LIE_SKEW, 2, &lie) ||
            cpae_trainer_create(m, lie, CPAE_METHOD_LIE_LOCAL, &t))
            abort();
    }
    if (size < 1 || size > (1u << 20))
        return 0;
    size_t n = size - 1;
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return 0;
    memcpy(b, data + 1, n);
    if ((data[0] & 1) && n >= 28) {
        put_le(b + 16, (uint64_t)(n - 28), 8);
        put_le(b + n - 4, crc32(0L, b, (uInt)(n - 4)), 4);
    }
    int64_t n0, n1;
    uint8_t *before = state(t, &n0);
    if (cpae_trainer_load_checkpoint_from_buffer(t, b, (int64_t)n) == CPAE_OK) {
        uint8_t *again = state(t, &n1);
        if (cpae_trainer_load_checkpoint_from_buffer(t, again, n1) != CPAE_OK)
            abort(); /* a checkpoint the trainer saved loads */
        int64_t n2;
        uint8_t *third = state(t, &n2);
        if (n2 != n1 || memcmp(third, again, (size_t)n1) != 0)
            abort(); /* load then save is a fixed point */
        free(again);
        free(third);
    } else {
        uint8_t *after = state(t, &n1);
        if (n1 != n0 || memcmp(before, after, (size_t)n0) != 0)
            abort(); /* a refused checkpoint changed the trainer */
        free(after);
    }
    free(before);
    free(b);
    return 0;
}
