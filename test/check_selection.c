/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_selection.c -- the training protocol: the step budget is honoured
 * exactly, early stopping restores the best validation weights (the
 * starting ones included), selection is deterministic per seed, the
 * refit equals a run made by hand with the selected values, the test data
 * are never touched by selection, and every error path. */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <sys/mman.h>
#include <unistd.h>

/* Smooth series with random phase and amplitude (a 2-parameter family). */
static float *make_series(int64_t n, int64_t d, uint64_t seed)
{
    float *x = malloc((size_t)(n * d) * sizeof(float));
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        double ph = (double)(tu_next(&s) % 1000) / 1000.0 * 6.283;
        double amp = 0.5 + (double)(tu_next(&s) % 1000) / 1000.0;
        for (int64_t j = 0; j < d; j++)
            x[i * d + j] = (float)(amp * sin(0.4 * (double)j + ph) +
                                   0.05 * ((double)(tu_next(&s) % 2001) / 1000.0 - 1.0));
    }
    return x;
}

typedef struct step_log {
    int64_t steps;
    double val[512];
    float *params[512];
    int64_t np;
    cpae_trainer *t;
} step_log;

static int32_t record(void *user, int64_t epoch, int64_t step, const double *terms,
                      double validation, double seconds)
{
    (void)epoch;
    (void)terms;
    (void)seconds;
    step_log *l = user;
    l->steps = step;
    if (step < 512) {
        l->val[step] = validation;
        l->params[step] = malloc((size_t)l->np * sizeof(float));
        ck_assert_int_eq(cpae_trainer_get_params(l->t, l->params[step], l->np), CPAE_OK);
    }
    return 0;
}

START_TEST(step_budget_is_exact)
{
    const int64_t n = 50, d = 8, w[3] = {8, 6, 2};
    float *x = make_series(n, d, 1);
    for (int64_t budget = 1; budget <= 37; budget += 12) {
        cpae_model *m;
        cpae_trainer *t;
        CK_OK(cpae_model_create_mirrored(w, 3, CPAE_ACT_RELU, 1, &m));
        CK_OK(cpae_trainer_create(m, NULL, CPAE_METHOD_AE, &t));
        CK_OK(cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, 8)); /* 6 steps an epoch */
        CK_OK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, 1));    /* ignored: STEPS rules */
        CK_OK(cpae_trainer_set_param(t, CPAE_P_STEPS, (double)budget));
        CK_OK(cpae_trainer_set_data(t, x, n, d));
        step_log l = {0};
        CK_OK(cpae_trainer_n_params(t, &l.np));
        l.t = t;
        CK_OK(cpae_trainer_set_callback(t, record, &l));
        CK_OK(cpae_trainer_fit(t));
        int64_t steps, best;
        double bv;
        CK_OK(cpae_trainer_fit_info(t, &steps, &best, &bv));
        ck_assert_int_eq(steps, budget);
        ck_assert_int_eq(l.steps, budget);
        ck_assert_int_eq(best, -1); /* no validation data */
        ck_assert(isnan(bv));
        for (int64_t s = 0; s < 512; s++)
            free(l.params[s]);
        cpae_trainer_destroy(t);
        cpae_model_destroy(m);
    }
    free(x);
}
END_TEST

/* A large learning rate makes the validation error go up and down; the
 * restored weights must be those of the step with the lowest error. */
START_TEST(early_stopping_restores_best)
{
    const int64_t n = 40, nv = 10, d = 8, w[3] = {8, 6, 2};
    float *x = make_series(n, d, 2), *xv = make_series(nv, d, 3);
    cpae_model *m;
    cpae_trainer *t;
    CK_OK(cpae_model_create_mirrored(w, 3, CPAE_ACT_RELU, 4, &m));
    CK_OK(cpae_trainer_create(m, NULL, CPAE_METHOD_AE, &t));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, 0.05));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, 10));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_STEPS, 60));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_VALIDATE_EVERY, 1));
    CK_OK(cpae_trainer_set_data(t, x, n, d));
    CK_OK(cpae_trainer_set_validation(t, xv, nv, d));
    /* error of the starting weights (step 0) */
    double mse0;
    CK_OK(cpae_model_evaluate(m, xv, nv, d, &mse0, NULL));
    step_log l = {0};
    CK_OK(cpae_trainer_n_params(t, &l.np));
    l.t = t;
    CK_OK(cpae_trainer_set_callback(t, record, &l));
    CK_OK(cpae_trainer_fit(t));
    int64_t steps, best;
    double bv;
    CK_OK(cpae_trainer_fit_info(t, &steps, &best, &bv));
    ck_assert_int_eq(steps, 60);
    l.val[0] = mse0 * (double)d;
    int64_t arg = 0;
    int ups = 0;
    for (int64_t s = 1; s <= 60; s++) {
        if (l.val[s] < l.val[arg])
            arg = s;
        ups += l.val[s] > l.val[s - 1];
    }
    ck_assert_msg(ups > 0, "the validation error never rose: the test shows nothing");
    ck_assert_int_eq(best, arg);
    ck_assert_double_eq_tol(bv, l.val[arg], 1e-9 * l.val[arg]);
    float *now = malloc((size_t)l.np * sizeof(float));
    CK_OK(cpae_trainer_get_params(t, now, l.np));
    if (arg > 0)
        ck_assert_int_eq(memcmp(now, l.params[arg], (size_t)l.np * sizeof(float)), 0);
    double mse;
    CK_OK(cpae_model_evaluate(m, xv, nv, d, &mse, NULL));
    ck_assert_double_eq_tol(mse * (double)d, l.val[arg], 1e-4 * l.val[arg]);
    for (int64_t s = 0; s < 512; s++)
        free(l.params[s]);
    free(now);
    free(x);
    free(xv);
    cpae_trainer_destroy(t);
    cpae_model_destroy(m);
}
END_TEST

/* The starting weights win when training only makes validation worse. */
START_TEST(early_stopping_keeps_start)
{
    const int64_t n = 20, nv = 10, d = 8, w[3] = {8, 6, 2};
    float *x = make_series(n, d, 5), *xv = make_series(nv, d, 6);
    cpae_model *m;
    cpae_trainer *t;
    CK_OK(cpae_model_create_mirrored(w, 3, CPAE_ACT_RELU, 4, &m));
    uint8_t before[8192], after[8192];
    int64_t sz, sz2;
    CK_OK(cpae_model_save_to_buffer(m, before, sizeof before, &sz));
    CK_OK(cpae_trainer_create(m, NULL, CPAE_METHOD_AE, &t));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, 500)); /* every step ruins it */
    CK_OK(cpae_trainer_set_param(t, CPAE_P_OPTIMIZER, 0));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_STEPS, 3));
    CK_OK(cpae_trainer_set_data(t, x, n, d));
    CK_OK(cpae_trainer_set_validation(t, xv, nv, d));
    int32_t st = cpae_trainer_fit(t);
    if (st == CPAE_OK) {
        int64_t best;
        CK_OK(cpae_trainer_fit_info(t, NULL, &best, NULL));
        ck_assert_int_eq(best, 0);
        CK_OK(cpae_model_save_to_buffer(m, after, sizeof after, &sz2));
        ck_assert_int_eq(memcmp(before, after, (size_t)sz), 0);
    } else
        ck_assert_int_eq(st, CPAE_E_DIVERGED);
    free(x);
    free(xv);
    cpae_trainer_destroy(t);
    cpae_model_destroy(m);
}
END_TEST

static cpae_selection *small_selection(int32_t method, uint64_t seed, int32_t refit)
{
    const int64_t w[3] = {12, 8, 3};
    cpae_selection *s;
    CK_OK(cpae_selection_create(method, w, 3, &s));
    CK_OK(cpae_selection_set_option(s, CPAE_SEL_SEED, (double)seed));
    CK_OK(cpae_selection_set_option(s, CPAE_SEL_REFIT, refit));
    CK_OK(cpae_selection_set_param(s, CPAE_P_STEPS, 40));
    CK_OK(cpae_selection_set_param(s, CPAE_P_VALIDATE_EVERY, 2));
    CK_OK(cpae_selection_set_param(s, CPAE_P_BATCH_SIZE, 8));
    const double lr[2] = {1e-3, 1e-2};
    CK_OK(cpae_selection_set_grid(s, CPAE_P_LEARNING_RATE, lr, 2));
    return s;
}

static int64_t save(const cpae_model *m, uint8_t *buf, int64_t cap)
{
    int64_t n;
    CK_OK(cpae_model_save_to_buffer(m, buf, cap, &n));
    return n;
}

START_TEST(selection_deterministic_and_lowest)
{
    const int64_t n = 40, d = 12;
    float *x = make_series(n, d, 9);
    static uint8_t a[65536], b[65536], c[65536];
    for (int32_t method = CPAE_METHOD_AE; method <= CPAE_METHOD_LIE_LOCAL; method += 4) {
        cpae_selection *s1 = small_selection(method, 3, 1), *s2 = small_selection(method, 3, 1);
        cpae_selection *s3 = small_selection(method, 4, 1);
        cpae_model *m1, *m2, *m3;
        cpae_lie *g1 = NULL, *g2 = NULL, *g3 = NULL;
        CK_OK(cpae_selection_fit(s1, x, n, d, &m1, &g1));
        CK_OK(cpae_selection_fit(s2, x, n, d, &m2, &g2));
        CK_OK(cpae_selection_fit(s3, x, n, d, &m3, &g3));
        int64_t la = save(m1, a, sizeof a), lb = save(m2, b, sizeof b), lc = save(m3, c, sizeof c);
        ck_assert_int_eq(la, lb);
        ck_assert_int_eq(memcmp(a, b, (size_t)la), 0);
        ck_assert(la != lc || memcmp(a, c, (size_t)la) != 0);
        ck_assert((method == CPAE_METHOD_LIE_LOCAL) == (g1 != NULL));
        int64_t nc, best;
        CK_OK(cpae_selection_n_candidates(s1, &nc));
        ck_assert_int_eq(nc, 2 * 3);
        CK_OK(cpae_selection_best(s1, &best));
        double vb, v;
        CK_OK(cpae_selection_candidate(s1, best, NULL, 0, &vb, NULL));
        for (int64_t i = 0; i < nc; i++) {
            CK_OK(cpae_selection_candidate(s1, i, NULL, 0, &v, NULL));
            ck_assert(isfinite(v));
            ck_assert(v >= vb);
            if (i < best)
                ck_assert(v > vb); /* the earliest wins ties */
        }
        cpae_lie_destroy(g1);
        cpae_lie_destroy(g2);
        cpae_lie_destroy(g3);
        cpae_model_destroy(m1);
        cpae_model_destroy(m2);
        cpae_model_destroy(m3);
        cpae_selection_destroy(s1);
        cpae_selection_destroy(s2);
        cpae_selection_destroy(s3);
    }
    free(x);
}
END_TEST

/* The refit is a run on all the data with the winner's values for exactly
 * its best step count, from the PCA-informed start. */
START_TEST(refit_equals_manual_run)
{
    const int64_t n = 40, d = 12, w[3] = {12, 8, 3};
    float *x = make_series(n, d, 21);
    cpae_selection *s = small_selection(CPAE_METHOD_AE, 7, 1);
    cpae_model *ms, *mm;
    CK_OK(cpae_selection_fit(s, x, n, d, &ms, NULL));
    int64_t best, step, nk;
    int32_t keys[4];
    double vals[4];
    CK_OK(cpae_selection_best(s, &best));
    CK_OK(cpae_selection_grid_keys(s, NULL, 0, &nk));
    ck_assert_int_eq(nk, 2);
    CK_OK(cpae_selection_grid_keys(s, keys, 4, &nk));
    ck_assert_int_eq(keys[0], CPAE_P_WEIGHT_DECAY); /* default AE axis, then lr */
    ck_assert_int_eq(keys[1], CPAE_P_LEARNING_RATE);
    CK_OK(cpae_selection_candidate(s, best, vals, 4, NULL, &step));
    ck_assert(step >= 0 && step <= 40);
    /* by hand */
    cpae_pca *p;
    cpae_trainer *t;
    CK_OK(cpae_model_create_mirrored(w, 3, CPAE_ACT_RELU, 7, &mm));
    CK_OK(cpae_pca_fit(x, n, d, 3, &p));
    CK_OK(cpae_model_init_pca(mm, p, x, n, d, 0.5));
    CK_OK(cpae_trainer_create(mm, NULL, CPAE_METHOD_AE, &t));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, 8));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_PATIENCE, 20));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_VALIDATE_EVERY, 2));
    CK_OK(cpae_trainer_set_param(t, keys[0], vals[0]));
    CK_OK(cpae_trainer_set_param(t, keys[1], vals[1]));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_SEED, 7));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_STEPS, (double)step));
    CK_OK(cpae_trainer_set_data(t, x, n, d));
    if (step > 0)
        CK_OK(cpae_trainer_fit(t));
    static uint8_t a[65536], b[65536];
    int64_t la = save(ms, a, sizeof a), lb = save(mm, b, sizeof b);
    ck_assert_int_eq(la, lb);
    ck_assert_int_eq(memcmp(a, b, (size_t)la), 0);
    cpae_trainer_destroy(t);
    cpae_pca_destroy(p);
    cpae_model_destroy(ms);
    cpae_model_destroy(mm);
    cpae_selection_destroy(s);
    free(x);
}
END_TEST

/* Selection never reads the test data: they sit on pages with no access
 * while it runs (a read would fault), and are read once afterwards. */
typedef struct progress {
    int64_t calls, refits;
} progress;

static int32_t on_candidate(void *user, int64_t c, int64_t total, double val, int64_t step)
{
    progress *p = user;
    ck_assert(c >= 0 && c <= total);
    ck_assert(isfinite(val) && step >= 0);
    p->calls++;
    p->refits += c == total;
    return 0;
}

START_TEST(test_split_untouched)
{
    const int64_t n = 40, nt = 16, d = 12;
    float *x = make_series(n, d, 31), *xt_src = make_series(nt, d, 32);
    size_t page = (size_t)sysconf(_SC_PAGESIZE), bytes = (size_t)(nt * d) * sizeof(float);
    size_t len = (bytes + page - 1) / page * page;
    float *xt = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(xt != MAP_FAILED);
    memcpy(xt, xt_src, bytes);
    ck_assert_int_eq(mprotect(xt, len, PROT_NONE), 0);
    cpae_selection *s = small_selection(CPAE_METHOD_LIE_LOCAL, 1, 1);
    progress pr = {0, 0};
    CK_OK(cpae_selection_set_callback(s, on_candidate, &pr));
    cpae_model *m;
    cpae_lie *g;
    CK_OK(cpae_selection_fit(s, x, n, d, &m, &g));
    ck_assert_int_eq(pr.calls, 6 + 1);
    ck_assert_int_eq(pr.refits, 1);
    ck_assert_int_eq(mprotect(xt, len, PROT_READ), 0);
    int reads = 0;
    double mse, rel;
    CK_OK(cpae_model_evaluate(m, xt, nt, d, &mse, &rel));
    reads++;
    ck_assert_int_eq(reads, 1);
    ck_assert(isfinite(mse) && isfinite(rel));
    munmap(xt, len);
    cpae_lie_destroy(g);
    cpae_model_destroy(m);
    cpae_selection_destroy(s);
    free(x);
    free(xt_src);
}
END_TEST

static int32_t stop_now(void *user, int64_t c, int64_t total, double val, int64_t step)
{
    (void)user;
    (void)c;
    (void)total;
    (void)val;
    (void)step;
    return 1;
}

START_TEST(selection_errors)
{
    const int64_t w[3] = {12, 8, 3}, bad[2] = {12, 0};
    float x[12 * 12];
    for (int i = 0; i < 144; i++)
        x[i] = (float)sin(i);
    cpae_selection *s = NULL;
    CK_ERR(cpae_selection_create(CPAE_METHOD_AE, NULL, 3, &s), CPAE_E_NULL);
    CK_ERR(cpae_selection_create(CPAE_METHOD_AE, w, 3, NULL), CPAE_E_NULL);
    CK_ERR(cpae_selection_create(9, w, 3, &s), CPAE_E_INVALID);
    CK_ERR(cpae_selection_create(CPAE_METHOD_AE, w, 1, &s), CPAE_E_SIZE);
    CK_ERR(cpae_selection_create(CPAE_METHOD_AE, bad, 2, &s), CPAE_E_SIZE);
    ck_assert_ptr_null(s);
    CK_OK(cpae_selection_create(CPAE_METHOD_AE, w, 3, &s));
    double v;
    CK_OK(cpae_selection_get_option(s, CPAE_SEL_VALID_FRACTION, &v));
    ck_assert_double_eq(v, 0.2);
    CK_ERR(cpae_selection_set_option(NULL, CPAE_SEL_SEED, 1), CPAE_E_NULL);
    CK_ERR(cpae_selection_set_option(s, 99, 1), CPAE_E_INVALID);
    CK_ERR(cpae_selection_set_option(s, CPAE_SEL_VALID_FRACTION, 1.0), CPAE_E_INVALID);
    CK_ERR(cpae_selection_set_option(s, CPAE_SEL_SEED, 1.5), CPAE_E_INVALID);
    CK_ERR(cpae_selection_set_option(s, CPAE_SEL_INIT, NAN), CPAE_E_NONFINITE);
    CK_ERR(cpae_selection_get_option(s, 99, &v), CPAE_E_INVALID);
    CK_ERR(cpae_selection_get_option(s, CPAE_SEL_SEED, NULL), CPAE_E_NULL);
    CK_ERR(cpae_selection_set_param(s, 999, 1), CPAE_E_INVALID);
    CK_ERR(cpae_selection_set_param(s, CPAE_P_SEED, 1), CPAE_E_INVALID);
    CK_ERR(cpae_selection_set_param(s, CPAE_P_LEARNING_RATE, -1), CPAE_E_INVALID);
    CK_ERR(cpae_selection_set_param(s, CPAE_P_LEARNING_RATE, INFINITY), CPAE_E_NONFINITE);
    const double lr[17] = {1e-3};
    CK_ERR(cpae_selection_set_grid(s, CPAE_P_LEARNING_RATE, lr, 17), CPAE_E_LIMIT);
    CK_ERR(cpae_selection_set_grid(s, CPAE_P_LEARNING_RATE, NULL, 2), CPAE_E_NULL);
    CK_ERR(cpae_selection_set_grid(s, 999, lr, 1), CPAE_E_INVALID);
    int64_t nc;
    CK_OK(cpae_selection_n_candidates(s, &nc));
    ck_assert_int_eq(nc, 6); /* the failures changed nothing */
    CK_OK(cpae_selection_set_grid(s, CPAE_P_WEIGHT_DECAY, NULL, 0));
    CK_OK(cpae_selection_n_candidates(s, &nc));
    ck_assert_int_eq(nc, 2);
    int64_t idx;
    CK_ERR(cpae_selection_best(s, &idx), CPAE_E_INVALID);
    CK_ERR(cpae_selection_candidate(s, 2, NULL, 0, NULL, NULL), CPAE_E_INVALID);
    double vals[2];
    CK_ERR(cpae_selection_candidate(s, 0, vals, 0, NULL, NULL), CPAE_E_BUFFER_TOO_SMALL);
    int32_t keys[1];
    CK_ERR(cpae_selection_grid_keys(s, keys, 0, &nc), CPAE_E_BUFFER_TOO_SMALL);
    cpae_model *m = NULL;
    cpae_lie *g = NULL;
    CK_ERR(cpae_selection_fit(s, NULL, 12, 12, &m, NULL), CPAE_E_NULL);
    CK_ERR(cpae_selection_fit(s, x, 12, 12, NULL, NULL), CPAE_E_NULL);
    CK_ERR(cpae_selection_fit(s, x, 2, 12, &m, NULL), CPAE_E_SIZE);
    CK_ERR(cpae_selection_fit(s, x, 12, 11, &m, NULL), CPAE_E_SIZE);
    x[5] = NAN;
    CK_ERR(cpae_selection_fit(s, x, 12, 12, &m, NULL), CPAE_E_NONFINITE);
    x[5] = 0;
    CK_OK(cpae_selection_set_param(s, CPAE_P_STEPS, 4));
    CK_OK(cpae_selection_set_callback(s, stop_now, NULL));
    CK_ERR(cpae_selection_fit(s, x, 12, 12, &m, NULL), CPAE_E_CANCELLED);
    ck_assert_ptr_null(m);
    CK_ERR(cpae_selection_set_callback(NULL, NULL, NULL), CPAE_E_NULL);
    cpae_selection *sl;
    CK_OK(cpae_selection_create(CPAE_METHOD_LIE_LOCAL, w, 3, &sl));
    CK_ERR(cpae_selection_fit(sl, x, 12, 12, &m, NULL), CPAE_E_NULL); /* needs lie */
    cpae_selection_destroy(sl);
    cpae_selection_destroy(s);
    cpae_selection_destroy(NULL);
    (void)g;
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("selection");
    TCase *tc = tcase_create("selection");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, step_budget_is_exact);
    tcase_add_test(tc, early_stopping_restores_best);
    tcase_add_test(tc, early_stopping_keeps_start);
    tcase_add_test(tc, selection_deterministic_and_lowest);
    tcase_add_test(tc, refit_equals_manual_run);
    tcase_add_test(tc, test_split_untouched);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, selection_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
