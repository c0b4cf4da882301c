/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_trainer.c -- the trainer through the public API: every method
 * lowers held-out reconstruction error on a real UCR data set, training is
 * deterministic, the callback cancels, bad data is refused, divergence
 * stops with finite weights, early stopping restores the best weights, and
 * the gradient API agrees with the trainer's own step. */
#include "testutil.h"

#include <zlib.h>

/* Read a UCR .tsv.gz (label, then values) into a float array; NULL if the
 * file is absent (the test is then skipped). */
static float *read_ucr(const char *path, int64_t *n, int64_t *d)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    int r;
    while ((r = gzread(f, text + len, (unsigned)(cap - len - 1))) > 0) {
        len += (size_t)r;
        if (cap - len < 2)
            text = realloc(text, cap *= 2);
    }
    gzclose(f);
    text[len] = '\0';
    int64_t rows = 0, cols = 0, vals = 0;
    for (char *line = text; *line; rows++) {
        char *end = strchr(line, '\n');
        int64_t c = 0;
        for (char *p = line; p < (end ? end : line + strlen(line)); p++)
            c += *p == '\t';
        if (rows == 0)
            cols = c;
        ck_assert_int_eq(c, cols);
        line = end ? end + 1 : line + strlen(line);
    }
    float *x = malloc(sizeof(float) * (size_t)(rows * cols));
    char *p = text;
    for (int64_t i = 0; i < rows; i++) {
        (void)strtod(p, &p); /* label */
        for (int64_t j = 0; j < cols; j++)
            x[vals++] = (float)strtod(p, &p);
    }
    free(text);
    *n = rows;
    *d = cols;
    return x;
}

/* Shipped with the repository (docs/data-provenance.md), so this always runs. */
#define DATA "examples/data/ucr/SyntheticControl/SyntheticControl_"

static double test_error(const cpae_model *m, const float *x, int64_t n, int64_t d)
{
    float *y = malloc(sizeof(float) * (size_t)(n * d));
    CK_OK(cpae_model_reconstruct(m, x, n, d, y, n * d));
    double s = 0;
    for (int64_t e = 0; e < n * d; e++)
        s += (double)(y[e] - x[e]) * (y[e] - x[e]);
    free(y);
    return s / (double)(n * d);
}

static cpae_model *small_model(int64_t d, uint64_t seed)
{
    const int64_t w[] = {d, 32, 8};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(w, 3, CPAE_ACT_RELU, seed, &m));
    return m;
}

/* Every method lowers held-out reconstruction error. */
START_TEST(test_methods_learn)
{
    int64_t n, d, nt, dt;
    float *x = read_ucr(DATA "TRAIN.tsv.gz", &n, &d);
    if (!x) {
        ck_abort_msg("examples/data/ucr/SyntheticControl is missing");
        return;
    }
    float *xt = read_ucr(DATA "TEST.tsv.gz", &nt, &dt);
    ck_assert_int_eq(d, 60);
    ck_assert_int_eq(n, 300);
    cpae_model *m = small_model(d, 1);
    cpae_lie *lie = NULL;
    int32_t method = _i;
    if (method >= CPAE_METHOD_LIE_LOCAL)
        CK_OK(cpae_lie_create(d, 1, CPAE_LIE_SKEW, 3, &lie));
    cpae_trainer *t = NULL;
    CK_OK(cpae_trainer_create(m, lie, method, &t));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, 15));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_SEED, 5));
    CK_OK(cpae_trainer_set_data(t, x, n, d));
    double before = test_error(m, xt, nt, d);
    CK_OK(cpae_trainer_fit(t));
    double after = test_error(m, xt, nt, d);
    fprintf(stderr, "method %d: test MSE %.4f -> %.4f\n", method, before, after);
    ck_assert_msg(after < 0.7 * before, "method %d: %g -> %g", method, before, after);
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    cpae_model_destroy(m);
    free(x);
    free(xt);
}
END_TEST

/* Synthetic data for the tests that need no files: noisy sines. */
static float *sines(int64_t n, int64_t d, uint64_t seed)
{
    float *x = malloc(sizeof(float) * (size_t)(n * d));
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        double ph = 3.0 * tu_uniform(&s), fr = 1.0 + 0.5 * tu_uniform(&s);
        for (int64_t j = 0; j < d; j++)
            x[i * d + j] = (float)(sin(fr * 6.28318 * j / d + ph) + 0.05 * tu_uniform(&s));
    }
    return x;
}

static void params_of(const cpae_trainer *t, float **p, int64_t *n)
{
    CK_OK(cpae_trainer_n_params(t, n));
    *p = malloc(sizeof(float) * (size_t)*n);
    CK_OK(cpae_trainer_get_params(t, *p, *n));
}

/* The exact form with two generators (exp(theta_1 G_1 + theta_2 G_2)):
 * trains, is deterministic, keeps the generators orthonormal; the
 * tangent-space exact form refuses k = 2 and leaves the model untouched. */
START_TEST(test_exact_two_generators)
{
    const int64_t n = 64, d = 24;
    float *x = sines(n, d, 31);
    float *w1 = NULL, *w2 = NULL;
    int64_t np1 = 0, np2 = 0;
    double first = 0, last = 0;
    for (int run = 0; run < 2; run++) {
        cpae_model *m = small_model(d, 2);
        cpae_lie *lie = NULL;
        cpae_trainer *t = NULL;
        CK_OK(cpae_lie_create(d, 2, CPAE_LIE_SKEW, 9, &lie));
        CK_OK(cpae_trainer_create(m, lie, CPAE_METHOD_LIE_EXACT, &t));
        CK_OK(cpae_trainer_set_param(t, CPAE_P_SEED, 3));
        CK_OK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, 6));
        CK_OK(cpae_trainer_set_param(t, CPAE_P_LIE_THETA_GRID, 25));
        CK_OK(cpae_trainer_set_data(t, x, n, d));
        double terms[CPAE_N_LOSS_TERMS];
        CK_OK(cpae_trainer_gradient(t, x, n, d, terms, CPAE_N_LOSS_TERMS, NULL, 0));
        first = terms[CPAE_TERM_RECONSTRUCTION] + terms[CPAE_TERM_LIE_EXACT];
        ck_assert(terms[CPAE_TERM_LIE_EXACT] > 0);
        CK_OK(cpae_trainer_fit(t));
        CK_OK(cpae_trainer_gradient(t, x, n, d, terms, CPAE_N_LOSS_TERMS, NULL, 0));
        last = terms[CPAE_TERM_RECONSTRUCTION] + terms[CPAE_TERM_LIE_EXACT];
        ck_assert_msg(last < 0.7 * first, "loss %g -> %g", first, last);
        float g[2 * 24 * 24];
        CK_OK(cpae_lie_get(lie, g, 2 * d * d));
        double n0 = 0, n1 = 0, dot = 0;
        for (int64_t e = 0; e < d * d; e++) {
            n0 += (double)g[e] * g[e];
            n1 += (double)g[d * d + e] * g[d * d + e];
            dot += (double)g[e] * g[d * d + e];
        }
        ck_assert(fabs(n0 - 1) < 1e-5 && fabs(n1 - 1) < 1e-5 && fabs(dot) < 1e-5);
        params_of(t, run ? &w2 : &w1, run ? &np2 : &np1);
        if (run == 1) {
            /* tangent-space exact form with k = 2: refused, model unchanged */
            CK_OK(cpae_trainer_set_param(t, CPAE_P_LIE_FORM, 1));
            CK_ERR(cpae_trainer_fit(t), CPAE_E_INVALID);
            float *w3 = NULL;
            int64_t np3 = 0;
            params_of(t, &w3, &np3);
            ck_assert(np3 == np2 && !memcmp(w3, w2, sizeof(float) * (size_t)np2));
            free(w3);
        }
        cpae_trainer_destroy(t);
        cpae_lie_destroy(lie);
        cpae_model_destroy(m);
    }
    ck_assert(np1 == np2 && !memcmp(w1, w2, sizeof(float) * (size_t)np1));
    free(w1);
    free(w2);
    free(x);
}
END_TEST

/* The tangent-space exact form needs the anchor's decoder map A_0 to have
 * full column rank: with every unit of the decoder's first layer off, A_0
 * = 0 and the step is refused with CPAE_E_NUMERIC, weights unchanged. */
START_TEST(test_exact_tangent_rank)
{
    const int64_t n = 32, d = 16;
    float *x = sines(n, d, 5);
    cpae_model *m = small_model(d, 6);
    cpae_lie *lie = NULL;
    cpae_trainer *t = NULL;
    float b[32];
    for (int i = 0; i < 32; i++)
        b[i] = -1e3f; /* the decoder's first layer (8 -> 32): all off */
    CK_OK(cpae_model_set_layer_params(m, CPAE_DECODER, 0, NULL, 0, b, 32));
    CK_OK(cpae_lie_create(d, 1, CPAE_LIE_SKEW, 2, &lie));
    CK_OK(cpae_trainer_create(m, lie, CPAE_METHOD_LIE_EXACT, &t));
    CK_OK(cpae_trainer_set_data(t, x, n, d));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_LIE_FORM, 1));
    float *before = NULL, *after = NULL;
    int64_t nb = 0, na = 0;
    params_of(t, &before, &nb);
    double terms[CPAE_N_LOSS_TERMS];
    CK_ERR(cpae_trainer_step(t, x, 8, d, terms, CPAE_N_LOSS_TERMS), CPAE_E_NUMERIC);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "rank"));
    params_of(t, &after, &na);
    ck_assert(na == nb && !memcmp(before, after, sizeof(float) * (size_t)nb));
    free(before);
    free(after);
    cpae_trainer_destroy(t);
    cpae_lie_destroy(lie);
    cpae_model_destroy(m);
    free(x);
}
END_TEST

/* Same seed, data and threads: bit-identical weights (every method). */
START_TEST(test_determinism)
{
    const int64_t n = 64, d = 16;
    float *x = sines(n, d, 9);
    float *p[2];
    int64_t np[2];
    for (int run = 0; run < 2; run++) {
        cpae_model *m = small_model(d, 2);
        cpae_lie *lie = NULL;
        if (_i >= CPAE_METHOD_LIE_LOCAL)
            CK_OK(cpae_lie_create(d, 1, CPAE_LIE_GENERAL, 4, &lie));
        cpae_trainer *t = NULL;
        CK_OK(cpae_trainer_create(m, lie, _i, &t));
        CK_OK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, 3));
        CK_OK(cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, 16));
        CK_OK(cpae_trainer_set_param(t, CPAE_P_SEED, 11));
        CK_OK(cpae_trainer_set_data(t, x, n, d));
        CK_OK(cpae_trainer_fit(t));
        params_of(t, &p[run], &np[run]);
        cpae_trainer_destroy(t);
        cpae_lie_destroy(lie);
        cpae_model_destroy(m);
    }
    ck_assert_int_eq(np[0], np[1]);
    ck_assert_mem_eq(p[0], p[1], sizeof(float) * (size_t)np[0]);
    free(p[0]);
    free(p[1]);
    free(x);
}
END_TEST

typedef struct progress {
    int64_t calls, stop_at, last_epoch;
    double last_val;
} progress;

static int32_t on_progress(void *user, int64_t epoch, int64_t step, const double *terms,
                           double validation, double seconds)
{
    progress *p = user;
    p->calls++;
    p->last_epoch = epoch;
    p->last_val = validation;
    ck_assert(isfinite(terms[CPAE_TERM_TOTAL]) && seconds >= 0 && step == p->calls);
    return p->stop_at > 0 && p->calls >= p->stop_at;
}

START_TEST(test_cancel)
{
    const int64_t n = 64, d = 16;
    float *x = sines(n, d, 3);
    cpae_model *m = small_model(d, 3);
    cpae_trainer *t = NULL;
    CK_OK(cpae_trainer_create(m, NULL, CPAE_METHOD_AE, &t));
    CK_OK(cpae_trainer_set_data(t, x, n, d));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, 8));
    progress pr = {0, 3, -1, 0};
    CK_OK(cpae_trainer_set_callback(t, on_progress, &pr));
    CK_ERR(cpae_trainer_fit(t), CPAE_E_CANCELLED);
    ck_assert_int_eq(pr.calls, 3);
    /* Without stopping, every step calls back: 8 per epoch x 2 epochs. */
    pr = (progress){0, 0, -1, 0};
    CK_OK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, 2));
    CK_OK(cpae_trainer_fit(t));
    ck_assert_int_eq(pr.calls, 16);
    ck_assert_int_eq(pr.last_epoch, 1);
    cpae_trainer_destroy(t);
    cpae_model_destroy(m);
    free(x);
}
END_TEST

START_TEST(test_bad_data_and_divergence)
{
    const int64_t n = 64, d = 16;
    float *x = sines(n, d, 4);
    cpae_model *m = small_model(d, 4);
    cpae_trainer *t = NULL;
    CK_OK(cpae_trainer_create(m, NULL, CPAE_METHOD_AE, &t));
    CK_ERR(cpae_trainer_fit(t), CPAE_E_SIZE); /* no data yet */
    x[5 * d + 3] = NAN;
    CK_ERR(cpae_trainer_set_data(t, x, n, d), CPAE_E_NONFINITE);
    x[5 * d + 3] = INFINITY;
    CK_ERR(cpae_trainer_set_data(t, x, n, d), CPAE_E_NONFINITE);
    x[5 * d + 3] = 0.5f;
    CK_ERR(cpae_trainer_set_data(t, x, n, d + 1), CPAE_E_SIZE);
    CK_OK(cpae_trainer_set_data(t, x, n, d));
    /* A huge learning rate with plain SGD diverges: the fit stops with its
     * status and the weights stay finite. */
    CK_OK(cpae_trainer_set_param(t, CPAE_P_OPTIMIZER, 0));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, 1e3));
    CK_ERR(cpae_trainer_fit(t), CPAE_E_DIVERGED);
    float *p;
    int64_t np;
    params_of(t, &p, &np);
    for (int64_t i = 0; i < np; i++)
        ck_assert(isfinite(p[i]));
    /* The kept weights are finite but may be huge: reconstructing either
     * gives finite floats or is refused, never inf with CPAE_OK. */
    float y[16];
    int32_t rst = cpae_model_reconstruct(m, x, 1, d, y, d);
    ck_assert(rst == CPAE_OK || rst == CPAE_E_NONFINITE);
    for (int64_t j = 0; j < d && rst == CPAE_OK; j++)
        ck_assert(isfinite(y[j]));
    free(p);
    /* Adam with a huge rate keeps the loss finite but lets it explode: the
     * growth factor stops it (it used to return CPAE_OK at a loss of 1e25). */
    cpae_model *m2 = small_model(d, 5);
    cpae_trainer *t2 = NULL;
    CK_OK(cpae_trainer_create(m2, NULL, CPAE_METHOD_AE, &t2));
    CK_OK(cpae_trainer_set_data(t2, x, n, d));
    CK_OK(cpae_trainer_set_param(t2, CPAE_P_LEARNING_RATE, 1e3));
    CK_OK(cpae_trainer_set_param(t2, CPAE_P_EPOCHS, 50));
    float *before, *after;
    int64_t nb, na;
    params_of(t2, &before, &nb);
    CK_ERR(cpae_trainer_fit(t2), CPAE_E_DIVERGED);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "grew"));
    params_of(t2, &after, &na); /* back at the weights it started from */
    ck_assert_int_eq(na, nb);
    ck_assert_mem_eq(before, after, sizeof(float) * (size_t)nb);
    free(before);
    free(after);
    cpae_trainer_destroy(t2);
    cpae_model_destroy(m2);
    /* A fit that starts at a loss near zero (PCA initialisation on data of
     * rank 2) and drifts up by far more than the factor, but stays far
     * below the training-mean predictor's loss, is not a runaway. */
    float *lr = malloc(sizeof(float) * (size_t)(n * d));
    uint64_t seed = 9;
    for (int64_t i = 0; i < n; i++) {
        double a = tu_uniform(&seed), b = tu_uniform(&seed);
        for (int64_t j = 0; j < d; j++)
            lr[i * d + j] = (float)(a * sin(0.4 * j) + b * cos(0.7 * j));
    }
    cpae_pca *pca = NULL;
    cpae_model *m3 = small_model(d, 6);
    cpae_trainer *t3 = NULL;
    CK_OK(cpae_pca_fit(lr, n, d, 8, &pca));
    CK_OK(cpae_model_init_pca(m3, pca, lr, n, d, 0.5));
    CK_OK(cpae_trainer_create(m3, NULL, CPAE_METHOD_AE, &t3));
    CK_OK(cpae_trainer_set_data(t3, lr, n, d));
    CK_OK(cpae_trainer_set_param(t3, CPAE_P_LEARNING_RATE, 1e-2));
    CK_OK(cpae_trainer_set_param(t3, CPAE_P_EPOCHS, 10));
    double terms[CPAE_N_LOSS_TERMS];
    CK_OK(cpae_trainer_gradient(t3, lr, n, d, terms, CPAE_N_LOSS_TERMS, NULL, 0));
    ck_assert_msg(terms[CPAE_TERM_TOTAL] < 1e-6, "PCA start %g", terms[CPAE_TERM_TOTAL]);
    CK_OK(cpae_trainer_fit(t3));
    CK_OK(cpae_trainer_gradient(t3, lr, n, d, terms, CPAE_N_LOSS_TERMS, NULL, 0));
    fprintf(stderr, "near-zero start: loss after the fit %g\n", terms[CPAE_TERM_TOTAL]);
    cpae_trainer_destroy(t3);
    cpae_model_destroy(m3);
    cpae_pca_destroy(pca);
    free(lr);
    /* Parameter checks. */
    CK_ERR(cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, 2.5), CPAE_E_INVALID);
    CK_ERR(cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, -1), CPAE_E_INVALID);
    CK_ERR(cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, NAN), CPAE_E_NONFINITE);
    CK_ERR(cpae_trainer_set_param(t, 9999, 1), CPAE_E_INVALID);
    double lo, hi, def, v;
    CK_OK(cpae_param_bounds(CPAE_P_EPOCHS, &lo, &hi, &def));
    ck_assert(lo == 0 && def == 100 && hi >= 1e6);
    CK_OK(cpae_trainer_get_param(t, CPAE_P_LEARNING_RATE, &v));
    ck_assert(v == 1e3);
    CK_ERR(cpae_param_bounds(9999, &lo, &hi, &def), CPAE_E_INVALID);
    ck_assert_str_eq(cpae_loss_term_name(CPAE_TERM_LIE_LOCAL), "lie_local");
    /* Enum-valued keys take the public enums. */
    CK_OK(cpae_trainer_set_param(t, CPAE_P_OPTIMIZER, CPAE_OPT_SGD));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_LIE_SAMPLER, CPAE_SAMPLER_FACET));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_LIE_FORM, CPAE_FORM_TANGENT));
    CK_ERR(cpae_trainer_set_param(t, CPAE_P_LIE_SAMPLER, CPAE_SAMPLER_FACET + 1), CPAE_E_INVALID);
    /* A terms array sized by an older header (up to the total) is filled as
     * far as it goes; a shorter one is refused. */
    double few[CPAE_TERM_TOTAL + 1];
    CK_OK(cpae_trainer_gradient(t, x, 4, d, few, CPAE_TERM_TOTAL + 1, NULL, 0));
    ck_assert(isfinite(few[CPAE_TERM_TOTAL]));
    CK_ERR(cpae_trainer_gradient(t, x, 4, d, few, CPAE_TERM_TOTAL, NULL, 0),
           CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(cpae_n_loss_terms(), CPAE_N_LOSS_TERMS);
    cpae_trainer_destroy(t);
    cpae_model_destroy(m);
    free(x);
}
END_TEST

/* Early stopping keeps the weights of the best validation epoch: the
 * restored model's validation error is at most every epoch's error the
 * callback saw. */
typedef struct val_log {
    double best_seen;
    int64_t epochs;
} val_log;

static int32_t log_validation(void *user, int64_t epoch, int64_t step, const double *terms,
                              double validation, double seconds)
{
    val_log *v = user;
    (void)step, (void)terms, (void)seconds;
    if (isfinite(validation) && validation < v->best_seen)
        v->best_seen = validation;
    v->epochs = epoch + 1;
    return 0;
}

START_TEST(test_early_stopping)
{
    const int64_t n = 48, d = 16;
    float *x = sines(n, d, 5), *xv = sines(40, d, 6);
    cpae_model *m = small_model(d, 5);
    cpae_trainer *t = NULL;
    CK_OK(cpae_trainer_create(m, NULL, CPAE_METHOD_AE, &t));
    CK_OK(cpae_trainer_set_data(t, x, n, d));
    CK_OK(cpae_trainer_set_validation(t, xv, 40, d));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_EPOCHS, 60));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_BATCH_SIZE, 8));
    CK_OK(cpae_trainer_set_param(t, CPAE_P_LEARNING_RATE, 0.05)); /* noisy on purpose */
    CK_OK(cpae_trainer_set_param(t, CPAE_P_PATIENCE, 3));
    val_log v = {INFINITY, 0};
    CK_OK(cpae_trainer_set_callback(t, log_validation, &v));
    CK_OK(cpae_trainer_fit(t));
    double err = test_error(m, xv, 40, d) * (double)d; /* per-sample sum of squares */
    ck_assert(isfinite(v.best_seen));
    ck_assert_msg(err <= v.best_seen * (1 + 1e-5), "restored %g, best seen %g", err,
                  v.best_seen);
    ck_assert_msg(v.epochs < 60, "patience never stopped training (%lld epochs)",
                  (long long)v.epochs);
    cpae_trainer_destroy(t);
    cpae_model_destroy(m);
    free(x);
    free(xv);
}
END_TEST

/* gradient + apply_gradient is exactly one step; get/set round trip. */
START_TEST(test_gradient_api)
{
    const int64_t n = 32, d = 16;
    float *x = sines(n, d, 7);
    cpae_model *a = small_model(d, 8), *b = NULL;
    CK_OK(cpae_model_clone(a, &b));
    cpae_lie *la = NULL, *lb = NULL;
    CK_OK(cpae_lie_create(d, 1, CPAE_LIE_SKEW, 8, &la));
    CK_OK(cpae_lie_clone(la, &lb));
    cpae_trainer *ta = NULL, *tb = NULL;
    CK_OK(cpae_trainer_create(a, la, CPAE_METHOD_LIE_LOCAL, &ta));
    CK_OK(cpae_trainer_create(b, lb, CPAE_METHOD_LIE_LOCAL, &tb));
    CK_OK(cpae_trainer_set_data(ta, x, n, d));
    CK_OK(cpae_trainer_set_data(tb, x, n, d));
    int64_t np;
    CK_OK(cpae_trainer_n_params(ta, &np));
    int64_t nm;
    CK_OK(cpae_model_n_params(a, &nm));
    ck_assert_int_eq(np, nm + d * d);
    float *g = malloc(sizeof(float) * (size_t)np);
    double terms[CPAE_N_LOSS_TERMS], terms2[CPAE_N_LOSS_TERMS];
    CK_OK(cpae_trainer_gradient(ta, x, 8, d, terms, CPAE_N_LOSS_TERMS, g, np));
    ck_assert(terms[CPAE_TERM_LIE_LOCAL] > 0);
    /* The skew generator's gradient is skew. */
    for (int64_t r = 0; r < d; r++)
        for (int64_t c = 0; c < d; c++)
            ck_assert(g[nm + r * d + c] == -g[nm + c * d + r]);
    /* Float gradients lose precision: compare a step through the float API
     * with a step through the float API. */
    CK_OK(cpae_trainer_apply_gradient(ta, g, np));
    CK_OK(cpae_trainer_gradient(tb, x, 8, d, terms2, CPAE_N_LOSS_TERMS, g, np));
    ck_assert_mem_eq(terms, terms2, sizeof terms);
    CK_OK(cpae_trainer_apply_gradient(tb, g, np));
    float *pa, *pb;
    int64_t na, nb;
    params_of(ta, &pa, &na);
    params_of(tb, &pb, &nb);
    ck_assert_mem_eq(pa, pb, sizeof(float) * (size_t)na);
    /* set_params(get_params) changes nothing; bad input changes nothing. */
    CK_OK(cpae_trainer_set_params(tb, pa, na));
    free(pb);
    params_of(tb, &pb, &nb);
    for (int64_t i = 0; i < na; i++)
        ck_assert(fabsf(pa[i] - pb[i]) <= 1e-6f * (1 + fabsf(pa[i])));
    pb[3] = NAN;
    CK_ERR(cpae_trainer_set_params(tb, pb, nb), CPAE_E_NONFINITE);
    CK_ERR(cpae_trainer_set_params(tb, pb, nb - 1), CPAE_E_SIZE);
    CK_ERR(cpae_trainer_apply_gradient(tb, g, np - 1), CPAE_E_SIZE);
    /* A step on a batch lowers that batch's loss for a small rate. */
    CK_OK(cpae_trainer_set_param(tb, CPAE_P_LEARNING_RATE, 1e-3));
    double t0[CPAE_N_LOSS_TERMS], t1[CPAE_N_LOSS_TERMS];
    CK_OK(cpae_trainer_set_param(tb, CPAE_P_W_LIE_LOCAL, 0));
    CK_OK(cpae_trainer_step(tb, x, n, d, t0, CPAE_N_LOSS_TERMS));
    for (int k = 0; k < 5; k++)
        CK_OK(cpae_trainer_step(tb, x, n, d, t1, CPAE_N_LOSS_TERMS));
    ck_assert(t1[CPAE_TERM_TOTAL] < t0[CPAE_TERM_TOTAL]);
    free(pa);
    free(pb);
    free(g);
    cpae_trainer_destroy(ta);
    cpae_trainer_destroy(tb);
    cpae_lie_destroy(la);
    cpae_lie_destroy(lb);
    cpae_model_destroy(a);
    cpae_model_destroy(b);
    free(x);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("trainer");
    TCase *tc = tcase_create("trainer");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_methods_learn, 0, 6);
    tcase_add_loop_test(tc, test_determinism, 0, 6);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_early_stopping);
    tcase_add_test(tc, test_gradient_api);
    tcase_add_test(tc, test_exact_two_generators);
    tcase_add_test(tc, test_exact_tangent_rank);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_bad_data_and_divergence);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
