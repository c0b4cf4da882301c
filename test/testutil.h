/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* testutil.h -- shared helpers for the Check test programs. */
#ifndef CPAE_TESTUTIL_H
#define CPAE_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpae.h"

/* Assert a libcpae call succeeded, showing the detail message if not. */
#define CK_OK(call)                                                           \
    do {                                                                      \
        int32_t st_ = (call);                                                 \
        ck_assert_msg(st_ == CPAE_OK, "%s -> %d (%s): %s", #call, (int)st_,   \
                      cpae_status_string(st_), cpae_last_error());            \
    } while (0)

/* Assert a call failed with a given status and left a detail message. */
#define CK_ERR(call, expect)                                                  \
    do {                                                                      \
        int32_t st_ = (call);                                                 \
        ck_assert_msg(st_ == (expect), "%s -> %d (%s), expected %d: %s",      \
                      #call, (int)st_, cpae_status_string(st_), (int)(expect), \
                      cpae_last_error());                                     \
        ck_assert_msg(cpae_last_error()[0] != '\0',                           \
                      "%s failed without a detail message", #call);           \
    } while (0)

/* Small deterministic generator for test data (independent of libcpae's). */
static inline uint64_t tu_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
static inline double tu_uniform(uint64_t *s) /* [-1, 1) */
{
    return (double)(tu_next(s) >> 11) * 0x1.0p-52 - 1.0;
}
static inline void tu_fill(float *x, int64_t n, double scale, uint64_t *s)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)(scale * tu_uniform(s));
}

/* Run one suite; exit status 0 iff all tests pass. */
static inline int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ================================================== error-path helpers
 * Shared by the modules' "errors" test cases (check_core.c, check_network.c,
 * check_geometry.c) and the API sweep (check_api_sweep.c). Every failing
 * call must leave a detail message naming the function, and leave its
 * outputs untouched: buffers are pre-filled with a sentinel and checked
 * afterwards. */

/* The message of the last failure names the function that was called, as
 * in cpae.h's example "cpae_model_encode: argument 4 ...". The name is the
 * identifier that starts the stringified call. */
static inline void tu_check_names_fn(const char *call, const char *msg)
{
    char name[96];
    size_t n = 0;
    while (n + 1 < sizeof name && (call[n] == '_' || (call[n] >= 'a' && call[n] <= 'z') ||
                                   (call[n] >= '0' && call[n] <= '9')))
    {
        name[n] = call[n];
        n++;
    }
    name[n] = '\0';
    ck_assert_msg(strstr(msg, "cpae_") != NULL, "%s: message '%s' names no cpae_ function",
                  call, msg);
    /* An occurrence of the whole identifier (not a prefix of a longer one). */
    const char *p = msg;
    int found = 0;
    while ((p = strstr(p, name)) != NULL) {
        char c = p[n];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            found = 1;
            break;
        }
        p += n;
    }
    ck_assert_msg(found, "%s: message '%s' does not name %s", call, msg, name);
}

/* CK_ERR (status and non-empty message) plus: the message names the callee. */
#define CK_EXPECT(call, code)                                                 \
    do {                                                                      \
        CK_ERR(call, code);                                                   \
        tu_check_names_fn(#call, cpae_last_error());                          \
    } while (0)

#define TU_SENT_F 1234.5f
#define TU_SENT_D (-777.25)
#define TU_SENT_B 0xA5

static inline void tu_fill_f(float *x, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}
static inline int tu_all_f(const float *x, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != v)
            return 0;
    return 1;
}
static inline void tu_fill_d(double *x, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}
static inline int tu_all_d(const double *x, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != v)
            return 0;
    return 1;
}
static inline int tu_all_b(const uint8_t *x, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != v)
            return 0;
    return 1;
}

#define TU_ASSERT_F_SENT(buf, n) \
    ck_assert_msg(tu_all_f((buf), (n), TU_SENT_F), "output '%s' was written on failure", #buf)
#define TU_ASSERT_D_SENT(buf, n) \
    ck_assert_msg(tu_all_d((buf), (n), TU_SENT_D), "output '%s' was written on failure", #buf)
#define TU_ASSERT_B_SENT(buf, n) \
    ck_assert_msg(tu_all_b((buf), (n), TU_SENT_B), "output '%s' was written on failure", #buf)

/* Main test model: mirrored ReLU 4 -> 5 -> 2 -> 5 -> 4. d = 4, h = 2;
 * code bits: encoder 5, decoder 5, autoencoder 10 (not multiples of 8). */
#define TU_D 4
#define TU_H 2
static const int64_t TU_W_MAIN[] = {4, 5, 2};
/* Same d and h, another shape: 4 -> 6 -> 2 -> 6 -> 4. */
static const int64_t TU_W_OTHER[] = {4, 6, 2};

static inline cpae_model *tu_make_model(const int64_t *w, int64_t n, uint64_t seed)
{
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(w, n, CPAE_ACT_RELU, seed, &m));
    ck_assert_ptr_nonnull(m);
    /* Non-zero biases so regions do not all meet at the origin. */
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (int32_t stack = CPAE_ENCODER; stack <= CPAE_DECODER; stack++) {
        int64_t nl = 0;
        CK_OK(cpae_model_n_layers(m, stack, &nl));
        for (int64_t l = 0; l < nl; l++) {
            int64_t n_out = 0;
            CK_OK(cpae_model_layer_info(m, stack, l, NULL, &n_out, NULL, NULL));
            float b[16];
            ck_assert_int_le(n_out, 16);
            tu_fill(b, n_out, 0.5, &s);
            CK_OK(cpae_model_set_layer_params(m, stack, l, NULL, 0, b, n_out));
        }
    }
    return m;
}
static inline cpae_model *tu_model_main(void) { return tu_make_model(TU_W_MAIN, 3, 11); }
static inline cpae_model *tu_model_other(void) { return tu_make_model(TU_W_OTHER, 3, 12); }

static const float TU_X0[TU_D] = {0.3f, -0.2f, 0.7f, 0.1f};
static const float TU_X1[TU_D] = {-0.6f, 0.4f, -0.1f, 0.9f};
static const float TU_Z0[TU_H] = {0.25f, -0.5f};

/* A copy of a point with one entry replaced (non-finite injection). */
static inline void tu_poisoned(float *dst, const float *src, int64_t n, int64_t at, float v)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
    dst[at] = v;
}

/* The three non-finite values tried everywhere. */
static const float TU_BAD_VALUES[3] = {NAN, INFINITY, -INFINITY};

/* Run a call in a child process so that a crash (or a hang) fails the test
 * instead of killing the runner; the child reports the status and whether
 * its output buffer stayed intact through a pipe. */
typedef struct tu_iso_result {
    int32_t status;
    int32_t intact;
} tu_iso_result;
typedef tu_iso_result (*tu_iso_fn)(void *ctx);

static inline int tu_run_isolated(tu_iso_fn fn, void *ctx, tu_iso_result *res)
{
    int fd[2];
    ck_assert_int_eq(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fd[0]);
        alarm(60);
        tu_iso_result r = fn(ctx);
        ssize_t w = write(fd[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 3);
    }
    close(fd[1]);
    tu_iso_result r = {-1, 0};
    ssize_t got = read(fd[0], &r, sizeof r);
    close(fd[0]);
    int ws = 0;
    (void)waitpid(pid, &ws, 0);
    /* No report: killed by a signal (returned as is), or exited early
     * (for instance a sanitizer report: 1000 + exit status). */
    if (got != (ssize_t)sizeof r)
        return WIFSIGNALED(ws) ? WTERMSIG(ws) : WIFEXITED(ws) ? 1000 + WEXITSTATUS(ws) : -1;
    *res = r;
    return 0;
}

/* A huge n whose n * n_in overflows (n * n_out does not) must be refused
 * cleanly, not read far past x. Run in a child: a crash fails the test. */
typedef struct tu_huge_ctx {
    int kind;
    const void *h; /* layer, model or map */
    const float *x;
    float *y;
    size_t ny;
} tu_huge_ctx;

static inline tu_iso_result tu_huge_call(void *arg)
{
    tu_huge_ctx *c = arg;
    tu_iso_result r = {-1, 0};
    const int64_t n = INT64_C(1) << 62;
    switch (c->kind) {
    case 0: r.status = cpae_layer_forward(c->h, c->x, n, 4, c->y, INT64_MAX); break;
    case 1: r.status = cpae_affine_apply(c->h, c->x, n, 4, c->y, INT64_MAX); break;
    case 2: r.status = cpae_model_encode(c->h, c->x, n, 4, c->y, INT64_MAX); break;
    case 3: r.status = cpae_model_reconstruct(c->h, c->x, n, 4, c->y, INT64_MAX); break;
    default: break;
    }
    r.intact = tu_all_f(c->y, c->ny, TU_SENT_F);
    return r;
}

/* Returns NULL if the call was refused cleanly, else a description of the
 * problem (static storage). The caller frees its handles before asserting,
 * so a failure leaks nothing under CK_FORK=no. */
static inline const char *tu_huge_refused(int kind, const void *h, const char *what)
{
    static char why[256];
    float x[16] = {0}, y[16];
    tu_fill_f(y, 16, TU_SENT_F);
    tu_huge_ctx c = {kind, h, x, y, 16};
    tu_iso_result r = {-1, 0};
    int crash = tu_run_isolated(tu_huge_call, &c, &r);
    if (crash != 0)
        snprintf(why, sizeof why, "%s with n = 2^62 crashed instead of failing (%s %d)",
                 what, crash >= 1000 ? "exit status" : "signal",
                 crash >= 1000 ? crash - 1000 : crash);
    else if (r.status != CPAE_E_SIZE && r.status != CPAE_E_NOMEM)
        snprintf(why, sizeof why, "%s with n = 2^62 -> %d, expected CPAE_E_SIZE or "
                 "CPAE_E_NOMEM", what, (int)r.status);
    else if (!r.intact)
        snprintf(why, sizeof why, "%s wrote its output on failure", what);
    else
        return NULL;
    return why;
}

#define TU_ASSERT_REFUSED(why) ck_assert_msg((why) == NULL, "%s", (why) ? (why) : "")

#endif
