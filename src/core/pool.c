/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* pool.c -- a per-trainer cache of large scratch blocks.
 *
 * A training step allocates the same large buffers (tangent blocks, stacked
 * Jacobians) every time; freeing them returns the memory to the system and
 * the next step pays the page faults again (docs/performance.md). A pool
 * keeps freed blocks and hands them out again. A NULL pool is plain
 * malloc/free, so code paths outside training are unchanged. Not
 * thread-safe: a pool belongs to one trainer. */
#include "core/pool.h"

#include <stdlib.h>
#include <string.h>

/* Each block starts with its capacity; the payload follows, 16-aligned. */
#define HEAD 16

void *cpae__pool_alloc(cpae__pool *p, size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
    if (p) { /* best fit among the cached blocks */
        int best = -1;
        for (int i = 0; i < p->n; i++) {
            size_t cap = *(size_t *)p->blk[i];
            if (cap >= bytes && (best < 0 || cap < *(size_t *)p->blk[best]))
                best = i;
        }
        if (best >= 0) {
            char *b = p->blk[best];
            p->blk[best] = p->blk[--p->n];
            return b + HEAD;
        }
    }
    char *b = malloc(HEAD + bytes);
    if (!b)
        return NULL;
    *(size_t *)b = bytes;
    return b + HEAD;
}

void *cpae__pool_calloc(cpae__pool *p, size_t bytes)
{
    void *ptr = cpae__pool_alloc(p, bytes);
    if (ptr)
        memset(ptr, 0, bytes);
    return ptr;
}

void cpae__pool_free(cpae__pool *p, void *ptr)
{
    if (!ptr)
        return;
    char *b = (char *)ptr - HEAD;
    if (!p) {
        free(b);
        return;
    }
    if (p->n == CPAE__POOL_BLOCKS) { /* full: drop the smallest cached block */
        int small = 0;
        for (int i = 1; i < p->n; i++)
            if (*(size_t *)p->blk[i] < *(size_t *)p->blk[small])
                small = i;
        if (*(size_t *)p->blk[small] > *(size_t *)b) {
            free(b);
            return;
        }
        free(p->blk[small]);
        p->blk[small] = p->blk[--p->n];
    }
    p->blk[p->n++] = b;
}

void cpae__pool_clear(cpae__pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        free(p->blk[i]);
    p->n = 0;
}

size_t cpae__pool_bytes(const cpae__pool *p)
{
    size_t total = 0;
    for (int i = 0; i < p->n; i++)
        total += HEAD + *(size_t *)p->blk[i];
    return total;
}
