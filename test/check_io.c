/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_io.c -- saving and loading models (docs/format.md). Public API only.
 * The format is checked against an independent reading of the spec: the
 * tests decode headers and compute the CRC-32 themselves. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define HEADER 24 /* magic, version, flags, payload length */
#define LAYER0 32 /* first layer header: after the header and the counts */

/* ------------------------------------------------------------- helpers */

/* CRC-32 as zlib computes it (reflected 0xEDB88320, init and xorout ~0). */
static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* Recompute the trailer so that a forged buffer passes the checksum. */
static void fix_crc(uint8_t *b, int64_t n)
{
    put_le(b + n - 4, crc32_ref(b, (size_t)(n - 4)), 4);
}

/* Encoder 5 -> 4 -> 3 (ReLU, leaky 0.2), decoder 3 -> 4 -> 5 (abs,
 * identity), He weights and non-zero biases. */
static cpae_model *make_model(uint64_t seed)
{
    const int64_t ew[] = {5, 4, 3}, dw[] = {3, 4, 5};
    const int32_t ea[] = {CPAE_ACT_RELU, CPAE_ACT_LEAKY_RELU};
    const int32_t da[] = {CPAE_ACT_ABS, CPAE_ACT_IDENTITY};
    const double alphas[] = {0.0, 0.2};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create(ew, ea, alphas, 2, dw, da, NULL, 2, seed, &m));
    uint64_t s = seed | 1;
    float b[5];
    for (int32_t stack = CPAE_ENCODER; stack <= CPAE_DECODER; stack++)
        for (int64_t l = 0; l < 2; l++) {
            int64_t n_out;
            CK_OK(cpae_model_layer_info(m, stack, l, NULL, &n_out, NULL, NULL));
            tu_fill(b, n_out, 0.5, &s);
            CK_OK(cpae_model_set_layer_params(m, stack, l, NULL, 0, b, n_out));
        }
    return m;
}

/* A mirrored model big enough to be written in several chunks. */
static cpae_model *make_big_model(void)
{
    const int64_t w[] = {96, 80, 48};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(w, 3, CPAE_ACT_LEAKY_RELU, 7, &m));
    return m;
}

static uint8_t *save_bytes(const cpae_model *m, int64_t *n)
{
    CK_OK(cpae_model_save_size(m, n));
    uint8_t *b = malloc((size_t)*n);
    ck_assert_ptr_nonnull(b);
    int64_t written = -1;
    CK_OK(cpae_model_save_to_buffer(m, b, *n, &written));
    ck_assert_int_eq(written, *n);
    return b;
}

/* The load must fail with `expect` and leave *out untouched (NULL). */
static void expect_refused(const uint8_t *b, int64_t n, int32_t expect)
{
    cpae_model *out = NULL;
    CK_ERR(cpae_model_load_from_buffer(b, n, &out), expect);
    ck_assert_ptr_null(out);
}

/* Same bytes and same encodings: the reloaded model is the original. */
static void assert_same_model(const cpae_model *a, const cpae_model *b)
{
    int64_t na, nb;
    uint8_t *ba = save_bytes(a, &na), *bb = save_bytes(b, &nb);
    ck_assert_int_eq(na, nb);
    ck_assert(memcmp(ba, bb, (size_t)na) == 0);
    free(ba);
    free(bb);
    enum { N = 9, D = 5 };
    float x[N * D], ya[N * D], yb[N * D];
    uint64_t s = 99;
    tu_fill(x, N * D, 2.0, &s);
    CK_OK(cpae_model_reconstruct(a, x, N, D, ya, N * D));
    CK_OK(cpae_model_reconstruct(b, x, N, D, yb, N * D));
    ck_assert(memcmp(ya, yb, sizeof ya) == 0);
    CK_OK(cpae_model_encode(a, x, N, D, ya, N * 3));
    CK_OK(cpae_model_encode(b, x, N, D, yb, N * 3));
    ck_assert(memcmp(ya, yb, N * 3 * sizeof(float)) == 0);
}

/* Forge a complete file around a payload, with a valid CRC. */
static uint8_t *wrap(const uint8_t *payload, size_t plen, uint64_t claimed,
                     uint32_t version, uint32_t flags, int64_t *n)
{
    *n = (int64_t)(HEADER + plen + 4);
    uint8_t *b = calloc(1, (size_t)*n);
    ck_assert_ptr_nonnull(b);
    memcpy(b, "CPAEMODL", 8);
    put_le(b + 8, version, 4);
    put_le(b + 12, flags, 4);
    put_le(b + 16, claimed, 8);
    memcpy(b + HEADER, payload, plen);
    fix_crc(b, *n);
    return b;
}

/* Payload: counts and one layer header (no parameters follow). */
static size_t hostile_payload(uint8_t *p, uint32_t n_enc, uint32_t n_dec,
                              uint64_t n_in, uint64_t n_out)
{
    memset(p, 0, 40);
    put_le(p, n_enc, 4);
    put_le(p + 4, n_dec, 4);
    put_le(p + 8, CPAE_ACT_RELU, 4);
    put_le(p + 24, n_in, 8);
    put_le(p + 32, n_out, 8);
    return 40;
}

static void expect_forged(uint32_t n_enc, uint32_t n_dec, uint64_t n_in,
                          uint64_t n_out, int32_t expect)
{
    uint8_t p[40];
    size_t plen = hostile_payload(p, n_enc, n_dec, n_in, n_out);
    int64_t n;
    uint8_t *b = wrap(p, plen, plen, 1, 0, &n);
    expect_refused(b, n, expect);
    free(b);
}

/* ------------------------------------------------------- temp directory */

static char *make_tmpdir(void)
{
    char *d = malloc(64);
    ck_assert_ptr_nonnull(d);
    strcpy(d, "/tmp/cpae_check_io_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static char *join(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    ck_assert_ptr_nonnull(p);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* Entries of dir (not . and ..), and how many contain ".tmp.". */
static int count_entries(const char *dir, int *n_tmp)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0, t = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n++;
        t += strstr(e->d_name, ".tmp.") != NULL;
    }
    closedir(d);
    if (n_tmp)
        *n_tmp = t;
    return n;
}

/* Remove dir and everything in it (one level of subdirectories). */
static void remove_tree(char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *p = join(dir, e->d_name);
            if (unlink(p) != 0)
                remove_tree(p);
            else
                free(p);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* ----------------------------------------------------------- callbacks */

struct collect {
    uint8_t *data;
    int64_t n;
    int calls;
    int fail_at; /* 1-based call that fails, 0 = never */
};

static int32_t collect_cb(void *user, const uint8_t *bytes, int64_t n)
{
    struct collect *c = user;
    c->calls++;
    if (c->fail_at && c->calls == c->fail_at)
        return -3;
    ck_assert_int_gt(n, 0);
    c->data = realloc(c->data, (size_t)(c->n + n));
    ck_assert_ptr_nonnull(c->data);
    memcpy(c->data + c->n, bytes, (size_t)n);
    c->n += n;
    return 0;
}

/* ----------------------------------------------------------- round trips */

START_TEST(test_roundtrip_buffer)
{
    cpae_model *m = make_model(11), *r = NULL;
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    CK_OK(cpae_model_load_from_buffer(b, n, &r));
    assert_same_model(m, r);
    int32_t act;
    double alpha;
    CK_OK(cpae_model_layer_info(r, CPAE_ENCODER, 1, NULL, NULL, &act, &alpha));
    ck_assert_int_eq(act, CPAE_ACT_LEAKY_RELU);
    ck_assert(alpha == 0.2);
    cpae_model_destroy(r);
    cpae_model_destroy(m);
    free(b);
}
END_TEST

START_TEST(test_roundtrip_big_model)
{
    cpae_model *m = make_big_model(), *r = NULL;
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    CK_OK(cpae_model_load_from_buffer(b, n, &r));
    int64_t na;
    uint8_t *again = save_bytes(r, &na);
    ck_assert_int_eq(na, n);
    ck_assert(memcmp(again, b, (size_t)n) == 0);
    cpae_model_destroy(r);
    cpae_model_destroy(m);
    free(b);
    free(again);
}
END_TEST

START_TEST(test_roundtrip_file)
{
    char *dir = make_tmpdir(), *path = join(dir, "model.cpae");
    cpae_model *m = make_model(12), *r = NULL;
    CK_OK(cpae_model_save(m, path));
    CK_OK(cpae_model_load(path, &r));
    assert_same_model(m, r);
    /* The file holds exactly the buffer serialization. */
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq((int64_t)sb.st_size, n);
    int n_tmp;
    ck_assert_int_eq(count_entries(dir, &n_tmp), 1);
    ck_assert_int_eq(n_tmp, 0);
    cpae_model_destroy(r);
    cpae_model_destroy(m);
    free(b);
    free(path);
    remove_tree(dir);
}
END_TEST

/* Decode the saved bytes by hand, following docs/format.md. */
START_TEST(test_layout)
{
    cpae_model *m = make_model(13);
    int64_t n, n_params;
    uint8_t *b = save_bytes(m, &n);
    CK_OK(cpae_model_n_params(m, &n_params));
    ck_assert_int_eq(n, 36 + 4 * 32 + 8 * n_params);
    ck_assert(memcmp(b, "CPAEMODL", 8) == 0);
    ck_assert_uint_eq(get_le(b + 8, 4), 1);
    ck_assert_uint_eq(get_le(b + 12, 4), 0);
    ck_assert_uint_eq(get_le(b + 16, 8), (uint64_t)(n - 28));
    ck_assert_uint_eq(get_le(b + 24, 4), 2);
    ck_assert_uint_eq(get_le(b + 28, 4), 2);
    ck_assert_uint_eq(get_le(b + n - 4, 4), crc32_ref(b, (size_t)(n - 4)));
    /* Layer headers, then the first weight as float64 bits. */
    const uint8_t *p = b + LAYER0;
    for (int32_t stack = CPAE_ENCODER; stack <= CPAE_DECODER; stack++)
        for (int64_t l = 0; l < 2; l++) {
            int64_t n_in, n_out;
            int32_t act;
            double alpha;
            CK_OK(cpae_model_layer_info(m, stack, l, &n_in, &n_out, &act, &alpha));
            ck_assert_uint_eq(get_le(p, 4), (uint32_t)act);
            ck_assert_uint_eq(get_le(p + 4, 4), 0);
            ck_assert_uint_eq(get_le(p + 8, 8), f64_bits(alpha));
            ck_assert_uint_eq(get_le(p + 16, 8), (uint64_t)n_in);
            ck_assert_uint_eq(get_le(p + 24, 8), (uint64_t)n_out);
            float w[20];
            CK_OK(cpae_model_get_layer_params(m, stack, l, w, 20, NULL, 0));
            uint64_t bits = get_le(p + 32, 8);
            double w0;
            memcpy(&w0, &bits, sizeof w0);
            ck_assert(isfinite(w0) && (float)w0 == w[0]);
            p += 32 + 8 * (n_in * n_out + n_out);
        }
    ck_assert_ptr_eq(p, b + n - 4);
    cpae_model_destroy(m);
    free(b);
}
END_TEST

START_TEST(test_save_size_matches)
{
    cpae_model *models[2] = {make_model(14), make_big_model()};
    for (int i = 0; i < 2; i++) {
        int64_t size = 0, written = 0;
        CK_OK(cpae_model_save_size(models[i], &size));
        uint8_t *b = malloc((size_t)size + 16);
        CK_OK(cpae_model_save_to_buffer(models[i], b, size + 16, &written));
        ck_assert_int_eq(written, size);
        struct collect c = {0};
        CK_OK(cpae_model_save_to_callback(models[i], collect_cb, &c));
        ck_assert_int_eq(c.n, size);
        free(c.data);
        free(b);
        cpae_model_destroy(models[i]);
    }
}
END_TEST

START_TEST(test_buffer_too_small)
{
    cpae_model *m = make_model(15);
    int64_t size, written = -1;
    CK_OK(cpae_model_save_size(m, &size));
    uint8_t *b = malloc((size_t)size);
    memset(b, 0xAB, (size_t)size);
    CK_ERR(cpae_model_save_to_buffer(m, b, size - 1, &written), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(written, size); /* the size to allocate */
    for (int64_t i = 0; i < size; i++)
        ck_assert_uint_eq(b[i], 0xAB); /* nothing written */
    CK_ERR(cpae_model_save_to_buffer(m, b, 0, &written), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_model_save_to_buffer(m, b, -5, &written), CPAE_E_BUFFER_TOO_SMALL);
    CK_OK(cpae_model_save_to_buffer(m, b, size, &written));
    ck_assert_int_eq(written, size);
    free(b);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_callback_chunks)
{
    cpae_model *m = make_big_model();
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    struct collect c = {0};
    CK_OK(cpae_model_save_to_callback(m, collect_cb, &c));
    ck_assert_int_gt(c.calls, 1);
    ck_assert_int_eq(c.n, n);
    ck_assert(memcmp(c.data, b, (size_t)n) == 0);
    free(c.data);
    free(b);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_callback_abort)
{
    cpae_model *m = make_big_model();
    for (int fail_at = 1; fail_at <= 3; fail_at++) {
        struct collect c = {.fail_at = fail_at};
        CK_ERR(cpae_model_save_to_callback(m, collect_cb, &c), CPAE_E_CALLBACK);
        ck_assert_int_eq(c.calls, fail_at); /* no call after the refusal */
        ck_assert_ptr_nonnull(strstr(cpae_last_error(), "cpae_model_save_to_callback"));
        free(c.data);
    }
    cpae_model_destroy(m);
}
END_TEST

/* --------------------------------------------------------- hostile input */

START_TEST(test_truncation_every_offset)
{
    cpae_model *m = make_model(16);
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    expect_refused(b, 0, CPAE_E_SIZE);
    for (int64_t len = 1; len < n; len++) {
        /* An exact-size copy so that reading past len is caught by tools. */
        uint8_t *t = malloc((size_t)len);
        memcpy(t, b, (size_t)len);
        expect_refused(t, len, CPAE_E_FORMAT);
        free(t);
    }
    free(b);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_bit_flips)
{
    cpae_model *m = make_model(17);
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    cpae_model *out = NULL;
    /* Every single-bit flip (CRC-32 detects them all). */
    for (int64_t bit = 0; bit < 8 * n; bit++) {
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int32_t st = cpae_model_load_from_buffer(b, n, &out);
        ck_assert_msg(st != CPAE_OK, "flip of bit %lld accepted", (long long)bit);
        ck_assert_ptr_null(out);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    /* 2000 random bursts of 1..4 bytes (within CRC-32's burst guarantee). */
    uint64_t s = 2024;
    uint8_t save[4];
    for (int i = 0; i < 2000; i++) {
        int64_t len = 1 + (int64_t)(tu_next(&s) % 4);
        int64_t at = (int64_t)(tu_next(&s) % (uint64_t)(n - len + 1));
        memcpy(save, b + at, (size_t)len);
        int changed = 0;
        for (int64_t k = 0; k < len; k++) {
            uint8_t v = (uint8_t)tu_next(&s);
            changed |= v != b[at + k];
            b[at + k] = v;
        }
        int32_t st = cpae_model_load_from_buffer(b, n, &out);
        ck_assert_msg(!changed || st != CPAE_OK, "burst at %lld accepted", (long long)at);
        if (st == CPAE_OK)
            cpae_model_destroy(out);
        out = NULL;
        memcpy(b + at, save, (size_t)len);
    }
    CK_OK(cpae_model_load_from_buffer(b, n, &out)); /* restored intact */
    cpae_model_destroy(out);
    free(b);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_trailing_bytes)
{
    cpae_model *m = make_model(18);
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    uint8_t *t = calloc(1, (size_t)n + 8);
    memcpy(t, b, (size_t)n);
    expect_refused(t, n + 8, CPAE_E_FORMAT);
    /* Also when the header and CRC are made to agree with the extra bytes:
     * the layers no longer fill the payload. */
    put_le(t + 16, (uint64_t)(n + 8 - 28), 8);
    fix_crc(t, n + 8);
    expect_refused(t, n + 8, CPAE_E_FORMAT);
    free(t);
    free(b);
    cpae_model_destroy(m);
}
END_TEST

/* Valid CRC, absurd sizes: refused before any large allocation. */
START_TEST(test_absurd_sizes)
{
    expect_forged(UINT32_C(1) << 31, 1, 4, 4, CPAE_E_LIMIT);
    expect_forged(1, UINT32_MAX, 4, 4, CPAE_E_LIMIT);
    expect_forged(CPAE_MAX_LAYERS + 1, 1, 4, 4, CPAE_E_LIMIT);
    expect_forged(1, 1, UINT64_C(1) << 60, UINT64_C(1) << 60, CPAE_E_LIMIT);
    expect_forged(1, 1, UINT64_MAX, 1, CPAE_E_LIMIT);
    expect_forged(1, 1, 4, (uint64_t)CPAE_MAX_WIDTH + 1, CPAE_E_LIMIT);
    /* Both widths allowed, but 2^48 parameters. */
    expect_forged(1, 1, CPAE_MAX_WIDTH, CPAE_MAX_WIDTH, CPAE_E_LIMIT);
    /* Within every limit (128 MiB of weights) but the bytes are absent. */
    expect_forged(1, 1, CPAE_MAX_WIDTH, 1, CPAE_E_FORMAT);
    expect_forged(1, 1, 4096, 4096, CPAE_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "truncated: encoder layer 0 needs"));
    expect_forged(0, 1, 4, 4, CPAE_E_FORMAT);
    expect_forged(1, 1, 0, 4, CPAE_E_FORMAT);
    /* A payload length of 2^60 and of 2^64 - 1. */
    uint8_t p[40];
    size_t plen = hostile_payload(p, 1, 1, 4, 4);
    int64_t n;
    uint64_t claims[] = {UINT64_C(1) << 60, UINT64_MAX, 0};
    for (int i = 0; i < 3; i++) {
        uint8_t *b = wrap(p, plen, claims[i], 1, 0, &n);
        expect_refused(b, n, CPAE_E_FORMAT);
        free(b);
    }
}
END_TEST

/* Modify a field of a valid model, recompute the CRC, expect `expect`. */
static void expect_field(int64_t off, int width, uint64_t value, int32_t expect)
{
    cpae_model *m = make_model(19);
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    put_le(b + off, value, width);
    fix_crc(b, n);
    expect_refused(b, n, expect);
    free(b);
    cpae_model_destroy(m);
}

START_TEST(test_forged_fields)
{
    /* Layer 0 of the encoder: 5 -> 4 ReLU; its header is at LAYER0. */
    int64_t w0 = LAYER0 + 32, b0 = w0 + 8 * 20;
    expect_field(12, 4, 1, CPAE_E_FORMAT);                   /* flags */
    expect_field(LAYER0, 4, 4, CPAE_E_FORMAT);               /* activation */
    expect_field(LAYER0, 4, UINT32_MAX, CPAE_E_FORMAT);
    expect_field(LAYER0 + 4, 4, 1, CPAE_E_FORMAT);           /* reserved */
    expect_field(LAYER0 + 8, 8, f64_bits(0.5), CPAE_E_FORMAT); /* alpha of ReLU */
    expect_field(LAYER0 + 8, 8, f64_bits(NAN), CPAE_E_NONFINITE);
    expect_field(w0, 8, f64_bits(INFINITY), CPAE_E_NONFINITE); /* weight */
    expect_field(w0 + 8 * 19, 8, f64_bits(-INFINITY), CPAE_E_NONFINITE);
    expect_field(b0 + 8 * 3, 8, f64_bits(NAN), CPAE_E_NONFINITE); /* bias */
    /* Second encoder layer (leaky): a non-finite slope. */
    int64_t l1 = b0 + 8 * 4;
    expect_field(l1 + 8, 8, f64_bits(INFINITY), CPAE_E_NONFINITE);
    /* More layers than the payload holds. */
    expect_field(24, 4, 3, CPAE_E_FORMAT);
    /* Widths that no longer chain while every size still matches the bytes:
     * 5 -> 4 (24 parameters) becomes 7 -> 3 (24 parameters). */
    cpae_model *m = make_model(19);
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    put_le(b + LAYER0 + 16, 7, 8);
    put_le(b + LAYER0 + 24, 3, 8);
    fix_crc(b, n);
    expect_refused(b, n, CPAE_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "takes 4 inputs"));
    free(b);
    cpae_model_destroy(m);
}
END_TEST

/* Values a float API could not return are refused even though they are
 * finite doubles: a weight of 1e300, a leaky slope of 1e308. */
START_TEST(test_out_of_float_range)
{
    cpae_model *m = make_model(23);
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    put_le(b + LAYER0 + 32, f64_bits(1e300), 8); /* encoder layer 0, W[0][0] */
    fix_crc(b, n);
    expect_refused(b, n, CPAE_E_NONFINITE);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "beyond FLT_MAX"));
    free(b);
    b = save_bytes(m, &n);
    /* Encoder layer 1 (leaky): after layer 0's header, 4 x 5 weights, 4 biases. */
    int64_t layer1 = LAYER0 + 32 + 8 * (4 * 5 + 4);
    ck_assert_uint_eq(get_le(b + layer1, 4), CPAE_ACT_LEAKY_RELU);
    put_le(b + layer1 + 8, f64_bits(1e308), 8);
    fix_crc(b, n);
    expect_refused(b, n, CPAE_E_NONFINITE);
    free(b);
    cpae_layer *l = NULL;
    CK_ERR(cpae_layer_create(3, 2, CPAE_ACT_LEAKY_RELU, 1e308, &l), CPAE_E_NONFINITE);
    ck_assert_ptr_null(l);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_wrong_magic)
{
    cpae_model *m = make_model(20);
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    b[0] = 'X';
    expect_refused(b, n, CPAE_E_FORMAT);
    fix_crc(b, n);
    expect_refused(b, n, CPAE_E_FORMAT);
    expect_refused(b, 4, CPAE_E_FORMAT);
    const uint8_t junk[64] = "PK\3\4 not a model at all";
    expect_refused(junk, sizeof junk, CPAE_E_FORMAT);
    free(b);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_version)
{
    cpae_model *m = make_model(21);
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    put_le(b + 8, 3, 4); /* 1 and 2 are read (2: with generators) */
    expect_refused(b, n, CPAE_E_VERSION);
    fix_crc(b, n);
    expect_refused(b, n, CPAE_E_VERSION);
    put_le(b + 8, 0, 4);
    fix_crc(b, n);
    expect_refused(b, n, CPAE_E_VERSION);
    /* A future file may be laid out differently: the version decides. */
    uint8_t p[8] = {0};
    uint8_t *f = wrap(p, sizeof p, 999, 3, 7, &n);
    expect_refused(f, n, CPAE_E_VERSION);
    free(f);
    free(b);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_bad_n)
{
    uint8_t b[64] = "CPAEMODL";
    expect_refused(b, 0, CPAE_E_SIZE);
    expect_refused(b, -1, CPAE_E_SIZE);
    expect_refused(b, INT64_MIN, CPAE_E_SIZE);
}
END_TEST

START_TEST(test_null_args)
{
    cpae_model *m = make_model(22), *out = NULL;
    uint8_t buf[16];
    int64_t n;
    struct collect c = {0};
    CK_ERR(cpae_model_save(NULL, "/tmp/x"), CPAE_E_NULL);
    CK_ERR(cpae_model_save(m, NULL), CPAE_E_NULL);
    CK_ERR(cpae_model_save_size(NULL, &n), CPAE_E_NULL);
    CK_ERR(cpae_model_save_size(m, NULL), CPAE_E_NULL);
    CK_ERR(cpae_model_save_to_buffer(NULL, buf, 16, &n), CPAE_E_NULL);
    CK_ERR(cpae_model_save_to_buffer(m, NULL, 16, &n), CPAE_E_NULL);
    CK_ERR(cpae_model_save_to_buffer(m, buf, 16, NULL), CPAE_E_NULL);
    CK_ERR(cpae_model_save_to_callback(NULL, collect_cb, &c), CPAE_E_NULL);
    CK_ERR(cpae_model_save_to_callback(m, NULL, &c), CPAE_E_NULL);
    CK_ERR(cpae_model_load(NULL, &out), CPAE_E_NULL);
    CK_ERR(cpae_model_load("/tmp/x", NULL), CPAE_E_NULL);
    CK_ERR(cpae_model_load_from_buffer(NULL, 16, &out), CPAE_E_NULL);
    CK_ERR(cpae_model_load_from_buffer(buf, 16, NULL), CPAE_E_NULL);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(c.calls, 0);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_messages)
{
    cpae_model *m = make_model(23);
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    expect_refused(b, n / 2, CPAE_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "cpae_model_load_from_buffer: "));
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "truncated"));
    /* A file load names the file. */
    char *dir = make_tmpdir(), *path = join(dir, "half.cpae");
    write_file(path, b, (size_t)(n / 2));
    cpae_model *out = NULL;
    CK_ERR(cpae_model_load(path, &out), CPAE_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "cpae_model_load: "));
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), path));
    /* A success clears the previous message. */
    CK_OK(cpae_model_save_size(m, &n));
    ck_assert_str_eq(cpae_last_error(), "");
    free(path);
    remove_tree(dir);
    free(b);
    cpae_model_destroy(m);
}
END_TEST

/* ------------------------------------------------------------------ files */

START_TEST(test_load_bad_files)
{
    char *dir = make_tmpdir();
    cpae_model *out = NULL;
    char *missing = join(dir, "missing.cpae");
    CK_ERR(cpae_model_load(missing, &out), CPAE_E_IO);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), missing));
    CK_ERR(cpae_model_load(dir, &out), CPAE_E_IO); /* a directory */
    CK_ERR(cpae_model_load("", &out), CPAE_E_IO);
    char *empty = join(dir, "empty.cpae");
    write_file(empty, "", 0);
    CK_ERR(cpae_model_load(empty, &out), CPAE_E_FORMAT);
    char *junk = join(dir, "junk.cpae");
    write_file(junk, "hello, world, this is not a model at all", 40);
    CK_ERR(cpae_model_load(junk, &out), CPAE_E_FORMAT);
    char *fifo = join(dir, "fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    CK_ERR(cpae_model_load(fifo, &out), CPAE_E_IO); /* must not block */
    ck_assert_ptr_null(out);
    free(missing);
    free(empty);
    free(junk);
    free(fifo);
    remove_tree(dir);
}
END_TEST

START_TEST(test_save_missing_dir)
{
    char *dir = make_tmpdir(), *path = join(dir, "nope/model.cpae");
    cpae_model *m = make_model(24);
    CK_ERR(cpae_model_save(m, path), CPAE_E_IO);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "cpae_model_save: "));
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), path));
    ck_assert_int_eq(count_entries(dir, NULL), 0); /* no temp file anywhere */
    CK_ERR(cpae_model_save(m, ""), CPAE_E_IO);
    cpae_model_destroy(m);
    free(path);
    remove_tree(dir);
}
END_TEST

START_TEST(test_save_atomic_replace)
{
    char *dir = make_tmpdir(), *path = join(dir, "model.cpae");
    write_file(path, "old content", 11);
    ck_assert_int_eq(chmod(path, 0640), 0);
    cpae_model *m = make_model(25), *m2 = make_model(26), *r = NULL;
    CK_OK(cpae_model_save(m, path));
    CK_OK(cpae_model_load(path, &r));
    assert_same_model(m, r);
    cpae_model_destroy(r);
    /* Replace again with a different model: the new one wins. */
    CK_OK(cpae_model_save(m2, path));
    CK_OK(cpae_model_load(path, &r));
    assert_same_model(m2, r);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0640); /* permissions kept */
    int n_tmp;
    ck_assert_int_eq(count_entries(dir, &n_tmp), 1);
    ck_assert_int_eq(n_tmp, 0);
    cpae_model_destroy(r);
    cpae_model_destroy(m);
    cpae_model_destroy(m2);
    free(path);
    remove_tree(dir);
}
END_TEST

/* A relative path without a directory part saves into the working
 * directory. */
START_TEST(test_save_relative_path)
{
    char *dir = make_tmpdir();
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    cpae_model *m = make_model(27), *r = NULL;
    CK_OK(cpae_model_save(m, "rel.cpae"));
    CK_OK(cpae_model_load("rel.cpae", &r));
    assert_same_model(m, r);
    ck_assert_int_eq(chdir(cwd), 0);
    int n_tmp;
    ck_assert_int_eq(count_entries(dir, &n_tmp), 1);
    ck_assert_int_eq(n_tmp, 0);
    cpae_model_destroy(r);
    cpae_model_destroy(m);
    remove_tree(dir);
}
END_TEST

/* The final rename fails (the target is a non-empty directory): the temp
 * file must be removed and the target untouched. */
START_TEST(test_save_failure_cleanup)
{
    char *dir = make_tmpdir(), *target = join(dir, "occupied");
    ck_assert_int_eq(mkdir(target, 0700), 0);
    char *inside = join(target, "keep");
    write_file(inside, "x", 1);
    cpae_model *m = make_model(28);
    CK_ERR(cpae_model_save(m, target), CPAE_E_IO);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), target));
    int n_tmp;
    ck_assert_int_eq(count_entries(dir, &n_tmp), 1);
    ck_assert_int_eq(n_tmp, 0);
    ck_assert_int_eq(count_entries(target, NULL), 1);
    /* A path ending in '/' names a directory: refused, nothing left. */
    char *slash = join(dir, "occupied/");
    CK_ERR(cpae_model_save(m, slash), CPAE_E_IO);
    ck_assert_int_eq(count_entries(target, NULL), 1);
    ck_assert_int_eq(count_entries(dir, NULL), 1);
    cpae_model_destroy(m);
    free(slash);
    free(inside);
    free(target);
    remove_tree(dir);
}
END_TEST

/* Temporaries of killed saves are swept by the next save of the same path:
 * old and unlocked ones only; a fresh one, a locked one (a live save) and
 * other files stay. */
START_TEST(test_stale_temporaries)
{
    char *dir = make_tmpdir(), *target = join(dir, "m.cpae");
    char *stale = join(dir, "m.cpae.tmp.AbC123"), *fresh = join(dir, "m.cpae.tmp.XyZ789");
    char *locked = join(dir, "m.cpae.tmp.LoCk00"), *other = join(dir, "n.cpae.tmp.AbC123");
    const char *olds[] = {stale, locked, other};
    write_file(fresh, "partial", 7);
    for (int i = 0; i < 3; i++) {
        write_file(olds[i], "partial", 7);
        struct timespec t[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
        ck_assert_int_eq(utimensat(AT_FDCWD, olds[i], t, 0), 0);
    }
    int lfd = open(locked, O_RDONLY);
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(flock(lfd, LOCK_EX), 0);
    cpae_model *m = make_model(31);
    CK_OK(cpae_model_save(m, target));
    ck_assert_int_ne(access(stale, F_OK), 0);
    ck_assert_int_eq(access(fresh, F_OK), 0);
    ck_assert_int_eq(access(locked, F_OK), 0);
    ck_assert_int_eq(access(other, F_OK), 0);
    close(lfd); /* the "live save" ends without renaming: now it is stale */
    CK_OK(cpae_model_save(m, target));
    ck_assert_int_ne(access(locked, F_OK), 0);
    cpae_model_destroy(m);
    free(stale);
    free(fresh);
    free(locked);
    free(other);
    free(target);
    remove_tree(dir);
}
END_TEST

/* Saving is read-only on the model, and a failed load leaves nothing. */
START_TEST(test_load_into_existing_handle)
{
    cpae_model *m = make_model(29), *keep = make_model(30), *out = keep;
    int64_t n;
    uint8_t *b = save_bytes(m, &n);
    CK_ERR(cpae_model_load_from_buffer(b, n - 1, &out), CPAE_E_FORMAT);
    ck_assert_ptr_eq(out, keep); /* not overwritten on failure */
    CK_OK(cpae_model_load_from_buffer(b, n, &out));
    ck_assert_ptr_ne(out, keep);
    assert_same_model(m, out);
    cpae_model_destroy(out);
    cpae_model_destroy(keep);
    cpae_model_destroy(m);
    free(b);
}
END_TEST

static Suite *io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("io");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_roundtrip_buffer);
    tcase_add_test(tc, test_roundtrip_big_model);
    tcase_add_test(tc, test_roundtrip_file);
    tcase_add_test(tc, test_layout);
    tcase_add_test(tc, test_save_size_matches);
    tcase_add_test(tc, test_callback_chunks);
    tcase_add_test(tc, test_save_atomic_replace);
    tcase_add_test(tc, test_save_relative_path);
    tcase_add_test(tc, test_load_into_existing_handle);
    tcase_add_test(tc, test_stale_temporaries);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_buffer_too_small);
    tcase_add_test(tc, test_callback_abort);
    tcase_add_test(tc, test_truncation_every_offset);
    tcase_add_test(tc, test_bit_flips);
    tcase_add_test(tc, test_trailing_bytes);
    tcase_add_test(tc, test_absurd_sizes);
    tcase_add_test(tc, test_forged_fields);
    tcase_add_test(tc, test_wrong_magic);
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_bad_n);
    tcase_add_test(tc, test_null_args);
    tcase_add_test(tc, test_messages);
    tcase_add_test(tc, test_load_bad_files);
    tcase_add_test(tc, test_save_missing_dir);
    tcase_add_test(tc, test_save_failure_cleanup);
    tcase_add_test(tc, test_out_of_float_range);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(io_suite()); }
