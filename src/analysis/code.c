/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* code.c -- region codes: one bit per non-identity unit (1 iff z > 0). */
#include "net/net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int32_t cpae__code_alloc(int32_t stack, int64_t n_bits, uint64_t shape_hash,
                         cpae_code **out, const char *func)
{
    int64_t n_bytes = cpae__bytes_for_bits(n_bits);
    cpae_code *c = calloc(1, sizeof *c + (size_t)n_bytes);
    if (!c)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate a code of %lld bits",
                          (long long)n_bits);
    c->stack = stack;
    c->n_bits = n_bits;
    c->n_bytes = n_bytes;
    c->shape_hash = shape_hash;
    *out = c;
    return CPAE_OK;
}

int32_t cpae_code_create(const cpae_model *model, int32_t stack, cpae_code **out)
{
    static const char fn[] = "cpae_code_create";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_ptr(model, fn, "model")) || (st = cpae__check_ptr(out, fn, "out")) ||
        (st = cpae__chain(model, stack, &c, fn)))
        return st;
    return cpae__code_alloc(stack, cpae__chain_bits(&c), cpae__chain_shape_hash(&c), out, fn);
}

void cpae_code_destroy(cpae_code *code) { free(code); }

int32_t cpae_code_clone(const cpae_code *code, cpae_code **out)
{
    static const char fn[] = "cpae_code_clone";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(code, fn, "code")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    cpae_code *c = NULL;
    if ((st = cpae__code_alloc(code->stack, code->n_bits, code->shape_hash, &c, fn)))
        return st;
    memcpy(c->bits, code->bits, (size_t)code->n_bytes);
    *out = c;
    return CPAE_OK;
}

/* Codes of n double points of a chain into an n x code_bytes matrix. */
static int32_t chain_codes(const cpae_chain *c, const double *x, int64_t n,
                           uint8_t *codes, int64_t code_bytes, const char *fn)
{
    double *y = malloc((size_t)(n * cpae__chain_out(c)) * sizeof(double));
    if (!y)
        return cpae__fail(CPAE_E_NOMEM, fn, "cannot allocate forward output");
    int32_t st = cpae__chain_forward(c, x, n, y, codes, code_bytes, fn);
    /* An overflow to inf / NaN inside the network leaves signs that mean
     * nothing; large but finite values still give exact codes. */
    for (int64_t i = 0; !st && i < n * cpae__chain_out(c); i++)
        if (!isfinite(y[i]))
            st = cpae__fail(CPAE_E_NONFINITE, fn, "the network overflowed at point %lld "
                            "(weights or inputs too large): no meaningful code",
                            (long long)(i / cpae__chain_out(c)));
    free(y);
    return st;
}

int32_t cpae_model_code(const cpae_model *model, int32_t stack, const float *point,
                        int64_t dim, cpae_code *code)
{
    static const char fn[] = "cpae_model_code";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_points(model, stack, point, 1, dim, &c, fn, "point")) ||
        (st = cpae__check_ptr(code, fn, "code")))
        return st;
    if (code->stack != stack || code->shape_hash != cpae__chain_shape_hash(&c))
        return cpae__fail(CPAE_E_MISMATCH, fn, "the code was created for another stack "
                          "or model shape");
    double *x;
    if ((st = cpae__to_double(point, dim, &x, fn, "point")))
        return st;
    uint8_t *tmp = malloc((size_t)(code->n_bytes > 0 ? code->n_bytes : 1));
    if (!tmp) {
        free(x);
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
    /* Compute into scratch so the code is unchanged on failure. */
    st = chain_codes(&c, x, 1, tmp, code->n_bytes, fn);
    if (!st)
        memcpy(code->bits, tmp, (size_t)code->n_bytes);
    free(tmp);
    free(x);
    return st;
}

int32_t cpae_model_code_bytes(const cpae_model *model, int32_t stack, int64_t *n_bytes)
{
    static const char fn[] = "cpae_model_code_bytes";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_ptr(model, fn, "model")) ||
        (st = cpae__check_ptr(n_bytes, fn, "n_bytes")) || (st = cpae__chain(model, stack, &c, fn)))
        return st;
    *n_bytes = cpae__bytes_for_bits(cpae__chain_bits(&c));
    return CPAE_OK;
}

int32_t cpae_model_codes(const cpae_model *model, int32_t stack, const float *points,
                         int64_t n, int64_t dim, uint8_t *codes, int64_t codes_cap)
{
    static const char fn[] = "cpae_model_codes";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_points(model, stack, points, n, dim, &c, fn, "points")) ||
        (st = cpae__check_ptr(codes, fn, "codes")))
        return st;
    int64_t cb = cpae__bytes_for_bits(cpae__chain_bits(&c)), need;
    if (!cpae__mul_ok(n, cb, &need))
        return cpae__fail(CPAE_E_SIZE, fn, "n * code bytes overflows");
    if ((st = cpae__check_cap(codes_cap, need, fn, "codes")))
        return st;
    double *x;
    if ((st = cpae__to_double(points, n * dim, &x, fn, "points")))
        return st;
    st = chain_codes(&c, x, n, codes, cb, fn);
    free(x);
    return st;
}

/* FNV-1a over bytes, continuing from h. */
static uint64_t fnv1a(uint64_t h, const uint8_t *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

int32_t cpae__count_distinct_rows(const uint8_t *rows, int64_t n, int64_t width,
                                  int64_t *count, const char *func)
{
    /* Open-addressing set of row indices, load factor <= 1/2. */
    int64_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    int64_t *slot = malloc((size_t)cap * sizeof(int64_t));
    if (!slot)
        return cpae__fail(CPAE_E_NOMEM, func, "cannot allocate a set of %lld slots",
                          (long long)cap);
    for (int64_t i = 0; i < cap; i++)
        slot[i] = -1;
    int64_t distinct = 0;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *r = rows + i * width;
        uint64_t h = fnv1a(1469598103934665603ULL, r, width);
        for (int64_t s = (int64_t)(h & (uint64_t)(cap - 1));; s = (s + 1) & (cap - 1)) {
            if (slot[s] < 0) {
                slot[s] = i;
                distinct++;
                break;
            }
            if (memcmp(rows + slot[s] * width, r, (size_t)width) == 0)
                break;
        }
    }
    free(slot);
    *count = distinct;
    return CPAE_OK;
}

int32_t cpae_model_count_regions(const cpae_model *model, int32_t stack,
                                 const float *points, int64_t n, int64_t dim,
                                 int64_t *n_regions)
{
    static const char fn[] = "cpae_model_count_regions";
    cpae__clear_error();
    int32_t st;
    cpae_chain c;
    if ((st = cpae__check_points(model, stack, points, n, dim, &c, fn, "points")) ||
        (st = cpae__check_ptr(n_regions, fn, "n_regions")))
        return st;
    int64_t cb = cpae__bytes_for_bits(cpae__chain_bits(&c));
    double *x;
    if ((st = cpae__to_double(points, n * dim, &x, fn, "points")))
        return st;
    uint8_t *codes = malloc((size_t)(n * cb > 0 ? n * cb : 1));
    if (!codes) {
        free(x);
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
    if (!(st = chain_codes(&c, x, n, codes, cb, fn)))
        st = cpae__count_distinct_rows(codes, n, cb, n_regions, fn);
    free(codes);
    free(x);
    return st;
}

int32_t cpae_code_info(const cpae_code *code, int64_t *n_bits, int32_t *stack)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(code, "cpae_code_info", "code");
    if (st)
        return st;
    if (n_bits)
        *n_bits = code->n_bits;
    if (stack)
        *stack = code->stack;
    return CPAE_OK;
}

int32_t cpae_code_bit(const cpae_code *code, int64_t index, int32_t *bit)
{
    static const char fn[] = "cpae_code_bit";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(code, fn, "code")) || (st = cpae__check_ptr(bit, fn, "bit")))
        return st;
    if (index < 0 || index >= code->n_bits)
        return cpae__fail(CPAE_E_INVALID, fn, "bit index %lld outside [0, %lld)",
                          (long long)index, (long long)code->n_bits);
    *bit = (code->bits[index >> 3] >> (index & 7)) & 1;
    return CPAE_OK;
}

int32_t cpae_code_equal(const cpae_code *a, const cpae_code *b, int32_t *equal)
{
    static const char fn[] = "cpae_code_equal";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(a, fn, "a")) || (st = cpae__check_ptr(b, fn, "b")) ||
        (st = cpae__check_ptr(equal, fn, "equal")))
        return st;
    *equal = a->n_bits == b->n_bits &&
             memcmp(a->bits, b->bits, (size_t)a->n_bytes) == 0;
    return CPAE_OK;
}

int32_t cpae_code_hash(const cpae_code *code, uint64_t *hash)
{
    static const char fn[] = "cpae_code_hash";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(code, fn, "code")) || (st = cpae__check_ptr(hash, fn, "hash")))
        return st;
    uint8_t len[8];
    for (int i = 0; i < 8; i++) /* little-endian length: platform-independent */
        len[i] = (uint8_t)((uint64_t)code->n_bits >> (8 * i));
    *hash = fnv1a(fnv1a(1469598103934665603ULL, len, 8), code->bits, code->n_bytes);
    return CPAE_OK;
}

static int popcount8(uint8_t v)
{
    int c = 0;
    for (; v; v &= (uint8_t)(v - 1))
        c++;
    return c;
}

int32_t cpae_code_hamming(const cpae_code *a, const cpae_code *b, int64_t *distance)
{
    static const char fn[] = "cpae_code_hamming";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(a, fn, "a")) || (st = cpae__check_ptr(b, fn, "b")) ||
        (st = cpae__check_ptr(distance, fn, "distance")))
        return st;
    if (a->n_bits != b->n_bits)
        return cpae__fail(CPAE_E_MISMATCH, fn, "codes have %lld and %lld bits",
                          (long long)a->n_bits, (long long)b->n_bits);
    int64_t d = 0;
    for (int64_t i = 0; i < a->n_bytes; i++)
        d += popcount8((uint8_t)(a->bits[i] ^ b->bits[i]));
    *distance = d;
    return CPAE_OK;
}

int32_t cpae_code_popcount(const cpae_code *code, int64_t *count)
{
    static const char fn[] = "cpae_code_popcount";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(code, fn, "code")) || (st = cpae__check_ptr(count, fn, "count")))
        return st;
    int64_t c = 0;
    for (int64_t i = 0; i < code->n_bytes; i++)
        c += popcount8(code->bits[i]);
    *count = c;
    return CPAE_OK;
}

int32_t cpae_code_to_bytes(const cpae_code *code, uint8_t *buf, int64_t cap,
                           int64_t *written)
{
    static const char fn[] = "cpae_code_to_bytes";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(code, fn, "code")) || (st = cpae__check_ptr(buf, fn, "buf")) ||
        (st = cpae__check_cap(cap, code->n_bytes, fn, "buf")))
        return st;
    memcpy(buf, code->bits, (size_t)code->n_bytes);
    if (written)
        *written = code->n_bytes;
    return CPAE_OK;
}

int32_t cpae_code_from_bytes(cpae_code *code, const uint8_t *buf, int64_t n)
{
    static const char fn[] = "cpae_code_from_bytes";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(code, fn, "code")) || (st = cpae__check_ptr(buf, fn, "buf")))
        return st;
    if (n != code->n_bytes)
        return cpae__fail(CPAE_E_SIZE, fn, "%lld bytes given, the code has %lld",
                          (long long)n, (long long)code->n_bytes);
    int used = (int)(code->n_bits & 7);
    if (used && n > 0 && (buf[n - 1] >> used) != 0)
        return cpae__fail(CPAE_E_FORMAT, fn, "unused high bits of the last byte are set");
    memcpy(code->bits, buf, (size_t)n);
    return CPAE_OK;
}
