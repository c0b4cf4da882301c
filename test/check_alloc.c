/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_alloc.c -- no allocation on the step path: after a trainer's
 * first steps (which size its workspace), cpae_trainer_step calls malloc,
 * calloc and realloc zero times, for every method and variant whose step
 * is allocation-free, in both precisions: zero after the first step, or
 * for the exact form after the first three (its orbit table follows the
 * Taylor degree, which moves with ||G||_1 once G starts learning, so its
 * pool took one larger block on the third step here; measured: none from
 * the fourth to the fortieth).
 *
 * The program counts allocations by defining malloc, calloc, realloc and
 * free itself (they forward to glibc's __libc_* entry points); the shared
 * library's calls bind to these definitions. Under AddressSanitizer, which
 * owns malloc, the count is skipped.
 *
 * Every method and variant is covered: the local form with each sampler,
 * k = 2, the tangent variant and a general G; the exact form on its action
 * path, its skew tangent variant and its dense k = 2 path. Its dense
 * fallback for one general generator whose action table would exceed
 * 2^25 doubles (cpae__theta_exact_pade_in) takes its scratch from the
 * pool too, but no setting of this test's sizes reaches it. */
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define TU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_ASAN 1
#endif
#endif

#ifndef TU_ASAN
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static volatile int counting;
static volatile long n_allocs;

void *malloc(size_t n)
{
    if (counting)
        n_allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t size)
{
    if (counting)
        n_allocs++;
    return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n)
{
    if (counting)
        n_allocs++;
    return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }
#endif

typedef struct step_case {
    const char *name;
    int32_t method, sampler;
    int64_t k;
    int32_t form;
} step_case;

static const step_case cases[] = {
    {"AE", CPAE_METHOD_AE, 0, 1, 0},
    {"denoising", CPAE_METHOD_DENOISING, 0, 1, 0},
    {"contractive", CPAE_METHOD_CONTRACTIVE, 0, 1, 0},
    {"higher-order", CPAE_METHOD_HOC, 0, 1, 0},
    {"Lie local, ball", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_BALL, 1, 0},
    {"Lie local, facet", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_FACET, 1, 0},
    {"Lie local, data", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_DATA, 1, 0},
    {"Lie local, ball, k 2", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_BALL, 2, 0},
    {"Lie local, ball, tangent", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_BALL, 1, 1},
    {"Lie exact", CPAE_METHOD_LIE_EXACT, 0, 1, 0},
    {"Lie exact, tangent", CPAE_METHOD_LIE_EXACT, 0, 1, 1},
    {"Lie exact, k 2", CPAE_METHOD_LIE_EXACT, 0, 2, 0},
    {"Lie exact, general G", CPAE_METHOD_LIE_EXACT, 0, 1, 0},
    {"Lie local, ball, general G", CPAE_METHOD_LIE_LOCAL, CPAE_SAMPLER_BALL, 1, 0},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

START_TEST(test_no_allocation_per_step)
{
#ifdef TU_ASAN
    printf("skipped: allocation count (AddressSanitizer owns malloc)\n");
#else
    const step_case *c = &cases[_i % N_CASES];
    int32_t precision = _i < N_CASES ? 32 : 64;
    const int64_t w[] = {24, 16, 4}, d = 24, n = 64, m = 16;
    uint64_t s = 7;
    float *x = malloc(sizeof(float) * (size_t)(n * d));
    tu_fill(x, n * d, 1.0, &s);
    cpae_model *model = NULL;
    cpae_lie *lie = NULL;
    cpae_trainer *t = NULL;
    CK_OK(cpae_model_create_mirrored(w, 3, CPAE_ACT_RELU, 3, &model));
    if (c->method >= CPAE_METHOD_LIE_LOCAL)
        CK_OK(cpae_lie_create(d, c->k, strstr(c->name, "general") ? CPAE_LIE_GENERAL
                                                                  : CPAE_LIE_SKEW,
                              3, &lie));
    CK_OK(cpae_trainer_create(model, lie, c->method, &t));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_PRECISION, precision));
    CK_OK(cpae_trainer_set_data(t, x, n, d));
    if (c->method == CPAE_METHOD_LIE_LOCAL) {
        CK_OK(cpae_trainer_set_param(t, CPAE_P_LIE_SAMPLER, c->sampler));
        CK_OK(cpae_trainer_set_param(t, CPAE_P_LIE_NEIGHBOURS, 2));
    }
    if (c->method >= CPAE_METHOD_LIE_LOCAL)
        CK_OK(cpae_trainer_set_param(t, CPAE_P_LIE_FORM, c->form));
    double terms[CPAE_N_LOSS_TERMS];
    /* The first step sizes the workspace; the exact form's orbit table
     * may take a larger block while ||G||_1 moves in the first steps. */
    int warm = c->method == CPAE_METHOD_LIE_EXACT ? 3 : 1;
    for (int i = 0; i < warm; i++)
        CK_OK(cpae_trainer_step(t, x + i * m * d, m, d, terms, CPAE_N_LOSS_TERMS));
    n_allocs = 0;
    counting = 1;
    int32_t st = CPAE_OK;
    for (int i = warm; i < warm + 8 && st == CPAE_OK; i++)
        st = cpae_trainer_step(t, x + (i % 4) * m * d, m, d, terms, CPAE_N_LOSS_TERMS);
    counting = 0;
    CK_OK(st);
    ck_assert_msg(n_allocs == 0, "%s, float%d: %ld allocations in 8 steps after the first %d",
                  c->name, (int)precision, n_allocs, warm);
    /* The workspace it settled on is reported, and a fit's steps reuse it. */
    int64_t bytes = 0;
    CK_OK(cpae_trainer_workspace_size(t, &bytes));
    ck_assert_int_gt(bytes, 0);
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    cpae_model_destroy(model);
    free(x);
#endif
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("alloc");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_no_allocation_per_step, 0, 2 * N_CASES);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
