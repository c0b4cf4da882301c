/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* pool.h -- per-trainer cache of large scratch blocks (see pool.c).
 * Internal; never installed. */
#ifndef CPAE_POOL_H
#define CPAE_POOL_H

#include <stddef.h>

#define CPAE__POOL_BLOCKS 64

typedef struct cpae__pool {
    void *blk[CPAE__POOL_BLOCKS];
    int n;
} cpae__pool;

/* Blocks from a pool must go back with cpae__pool_free on the same pool
 * (or NULL for both). */
void *cpae__pool_alloc(cpae__pool *p, size_t bytes);
void *cpae__pool_calloc(cpae__pool *p, size_t bytes);
void cpae__pool_free(cpae__pool *p, void *ptr);
/* Bytes held in cached blocks. */
size_t cpae__pool_bytes(const cpae__pool *p);
/* Release every cached block (the pool stays usable). */
void cpae__pool_clear(cpae__pool *p);

#endif
