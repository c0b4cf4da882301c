/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_checkpoint.c -- persistence of everything training makes: a model
 * saved with its generators (format version 2) round-trips bit for bit and
 * old readers still read its model; a trainer checkpoint taken during a fit
 * (from the epoch or the step callback) and loaded into a fresh trainer
 * resumes to weights bit-identical to a fit never interrupted, for every
 * method; the per-epoch history and best epoch agree with the fit; and
 * every refusal (corrupt, truncated, another trainer, other data) leaves
 * the trainer untouched. */
#include "testutil.h"

#include <signal.h>
#include <zlib.h>

/* Noisy sines: n x d. */
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

/* The exact bytes of a model and its generators (double values). */
static uint8_t *snapshot(const cpae_model *m, const cpae_lie *lie, int64_t *n)
{
    CK_OK(cpae_model_save_lie_size(m, lie, n));
    uint8_t *b = malloc((size_t)*n);
    int64_t w = 0;
    CK_OK(cpae_model_save_lie_to_buffer(m, lie, b, *n, &w));
    ck_assert_int_eq(w, *n);
    return b;
}

static void same_bytes(const uint8_t *a, int64_t na, const uint8_t *b, int64_t nb)
{
    ck_assert_int_eq(na, nb);
    ck_assert_msg(memcmp(a, b, (size_t)na) == 0, "bytes differ");
}

/* Rewrite the trailing CRC after a deliberate change (so the parser, not
 * the checksum, meets the change). */
static void fix_crc(uint8_t *b, int64_t n)
{
    uLong c = crc32(0L, b, (uInt)(n - 4));
    for (int i = 0; i < 4; i++)
        b[n - 4 + i] = (uint8_t)(c >> (8 * i));
}

/* ------------------------------------------------- model + generators */

START_TEST(test_model_lie_round_trip)
{
    const int64_t w[] = {12, 8, 3};
    cpae_model *m = NULL, *m2 = NULL, *m3 = NULL;
    cpae_lie *lie = NULL, *lie2 = NULL, *none = (cpae_lie *)1;
    CK_OK(cpae_model_create_mirrored(w, 3, CPAE_ACT_RELU, 4, &m));
    CK_OK(cpae_lie_create(12, 2, CPAE_LIE_SKEW, 9, &lie));
    CK_OK(cpae_lie_set_trainable(lie, 0));
    int64_t n;
    uint8_t *b = snapshot(m, lie, &n);
    ck_assert_int_eq(b[8], 2); /* format version 2 */
    CK_OK(cpae_model_load_lie_from_buffer(b, n, &m2, &lie2));
    ck_assert_ptr_nonnull(lie2);
    int64_t d, k;
    int32_t param, trainable;
    CK_OK(cpae_lie_info(lie2, &d, &k, &param));
    CK_OK(cpae_lie_trainable(lie2, &trainable));
    ck_assert(d == 12 && k == 2 && param == CPAE_LIE_SKEW && trainable == 0);
    int64_t n2;
    uint8_t *b2 = snapshot(m2, lie2, &n2);
    same_bytes(b, n, b2, n2); /* bit-exact both ways */
    /* The model part loads with the version-1 call. */
    CK_OK(cpae_model_load_from_buffer(b, n, &m3));
    int64_t n1, n3;
    uint8_t *b1 = snapshot(m, NULL, &n1), *b3 = snapshot(m3, NULL, &n3);
    same_bytes(b1, n1, b3, n3);
    /* Without generators the file is version 1, byte for byte
     * cpae_model_save's, and load_lie gives no generators. */
    int64_t nv1;
    CK_OK(cpae_model_save_size(m, &nv1));
    uint8_t *v1 = malloc((size_t)nv1);
    CK_OK(cpae_model_save_to_buffer(m, v1, nv1, &nv1));
    same_bytes(b1, n1, v1, nv1);
    ck_assert_int_eq(v1[8], 1);
    cpae_model *m4 = NULL;
    CK_OK(cpae_model_load_lie_from_buffer(v1, nv1, &m4, &none));
    ck_assert_ptr_null(none);
    /* Through a file too. */
    char path[] = "/tmp/cpae_lie_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    CK_OK(cpae_model_save_lie(m, lie, path));
    cpae_model *m5 = NULL;
    cpae_lie *lie5 = NULL;
    CK_OK(cpae_model_load_lie(path, &m5, &lie5));
    int64_t n5;
    uint8_t *b5 = snapshot(m5, lie5, &n5);
    same_bytes(b, n, b5, n5);
    unlink(path);
    free(b);
    free(b1);
    free(b2);
    free(b3);
    free(b5);
    free(v1);
    cpae_model_destroy(m);
    cpae_model_destroy(m2);
    cpae_model_destroy(m3);
    cpae_model_destroy(m4);
    cpae_model_destroy(m5);
    cpae_lie_destroy(lie);
    cpae_lie_destroy(lie2);
    cpae_lie_destroy(lie5);
}
END_TEST

START_TEST(test_model_lie_refusals)
{
    const int64_t w[] = {6, 4, 2};
    cpae_model *m = NULL, *out = (cpae_model *)1;
    cpae_lie *lie = NULL, *small = NULL, *lout = (cpae_lie *)1;
    CK_OK(cpae_model_create_mirrored(w, 3, CPAE_ACT_RELU, 4, &m));
    CK_OK(cpae_lie_create(6, 1, CPAE_LIE_SKEW, 9, &lie));
    CK_OK(cpae_lie_create(5, 1, CPAE_LIE_SKEW, 9, &small));
    int64_t n;
    CK_ERR(cpae_model_save_lie_size(m, small, &n), CPAE_E_MISMATCH);
    CK_ERR(cpae_model_save_lie(m, small, "/tmp/never"), CPAE_E_MISMATCH);
    uint8_t *b = snapshot(m, lie, &n);
    uint8_t *c = malloc((size_t)n);
    int64_t wr = 0;
    CK_ERR(cpae_model_save_lie_to_buffer(m, lie, c, n - 1, &wr), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(wr, n);
    /* Every truncation and a flipped byte anywhere are refused. */
    for (int64_t len = 1; len < n; len += 7)
        ck_assert_int_ne(cpae_model_load_lie_from_buffer(b, len, &out, &lout), CPAE_OK);
    for (int64_t i = 0; i < n; i += 5) {
        memcpy(c, b, (size_t)n);
        c[i] ^= 0x40;
        ck_assert_int_ne(cpae_model_load_lie_from_buffer(c, n, &out, &lout), CPAE_OK);
    }
    /* Well-formed (CRC fixed) but not skew, not unit norm, unknown kind. */
    int64_t g0 = n - 4 - 8 * 36; /* the generator's values */
    memcpy(c, b, (size_t)n);
    c[g0 + 8 * 1] ^= 0x01; /* G[0][1] no longer -G[1][0] */
    fix_crc(c, n);
    CK_ERR(cpae_model_load_lie_from_buffer(c, n, &out, &lout), CPAE_E_FORMAT);
    ck_assert_msg(strstr(cpae_last_error(), "skew") != NULL, "%s", cpae_last_error());
    memcpy(c, b, (size_t)n);
    c[g0 - 24] = 7; /* kind */
    fix_crc(c, n);
    CK_ERR(cpae_model_load_lie_from_buffer(c, n, &out, &lout), CPAE_E_FORMAT);
    memcpy(c, b, (size_t)n);
    c[8] = 3; /* version */
    CK_ERR(cpae_model_load_lie_from_buffer(c, n, &out, &lout), CPAE_E_VERSION);
    memcpy(c, b, (size_t)n);
    c[12] = 0; /* flags say no generators: the block is then unexpected */
    fix_crc(c, n);
    CK_ERR(cpae_model_load_lie_from_buffer(c, n, &out, &lout), CPAE_E_FORMAT);
    /* A version-2 header on a model without generators: a model without
     * generators is only ever version 1 (found by make fuzz). */
    int64_t n1;
    uint8_t *v1 = snapshot(m, NULL, &n1);
    v1[8] = 2;
    fix_crc(v1, n1);
    CK_ERR(cpae_model_load_lie_from_buffer(v1, n1, &out, &lout), CPAE_E_FORMAT);
    CK_ERR(cpae_model_load_from_buffer(v1, n1, &out), CPAE_E_FORMAT);
    free(v1);
    ck_assert_ptr_eq(out, (cpae_model *)1); /* outputs untouched */
    ck_assert_ptr_eq(lout, (cpae_lie *)1);
    CK_ERR(cpae_model_load_lie_from_buffer(NULL, n, &out, &lout), CPAE_E_NULL);
    CK_ERR(cpae_model_load_lie_from_buffer(b, n, &out, NULL), CPAE_E_NULL);
    CK_ERR(cpae_model_load_lie_from_buffer(b, 0, &out, &lout), CPAE_E_SIZE);
    CK_ERR(cpae_model_load_lie("/nonexistent/x", &out, &lout), CPAE_E_IO);
    free(b);
    free(c);
    cpae_model_destroy(m);
    cpae_lie_destroy(lie);
    cpae_lie_destroy(small);
}
END_TEST

/* ------------------------------------------------------- checkpoints */

#define N 48
#define D 16

/* One training setup; `variant` picks the method and its options. */
typedef struct setup {
    cpae_model *m;
    cpae_lie *lie;
    cpae_trainer *t;
} setup;

static const char *variant_name(int v)
{
    static const char *names[] = {"AE + validation + patience", "denoising, steps budget",
                                  "HOC", "Lie local ball", "Lie local data, validate every 5",
                                  "Lie exact, re-anchor", "Lie local, double precision"};
    return names[v];
}
#define N_VARIANTS 7

static setup make(int variant, uint64_t init_seed, const float *x, const float *xv)
{
    setup s = {0};
    const int64_t w[] = {D, 12, 4};
    int32_t method = (int32_t[]){CPAE_METHOD_AE, CPAE_METHOD_DENOISING, CPAE_METHOD_HOC,
                                 CPAE_METHOD_LIE_LOCAL, CPAE_METHOD_LIE_LOCAL,
                                 CPAE_METHOD_LIE_EXACT, CPAE_METHOD_LIE_LOCAL}[variant];
    CK_OK(cpae_model_create_mirrored(w, 3, CPAE_ACT_RELU, init_seed, &s.m));
    if (method >= CPAE_METHOD_LIE_LOCAL)
        CK_OK(cpae_lie_create(D, 1, CPAE_LIE_SKEW, init_seed + 1, &s.lie));
    CK_OK(cpae_trainer_create(s.m, s.lie, method, &s.t));
    CK_OK(cpae_trainer_set_param(s.t, CPAE_P_EPOCHS, 5));
    CK_OK(cpae_trainer_set_param(s.t, CPAE_P_BATCH_SIZE, 10)); /* 4 full batches, 8 left */
    CK_OK(cpae_trainer_set_param(s.t, CPAE_P_SEED, 17));
    switch (variant) {
    case 0:
        CK_OK(cpae_trainer_set_param(s.t, CPAE_P_PATIENCE, 3));
        break;
    case 1:
        CK_OK(cpae_trainer_set_param(s.t, CPAE_P_STEPS, 14));
        break;
    case 3:
        CK_OK(cpae_trainer_set_param(s.t, CPAE_P_LIE_SAMPLER, CPAE_SAMPLER_BALL));
        CK_OK(cpae_trainer_set_param(s.t, CPAE_P_LIE_NEIGHBOURS, 2));
        break;
    case 4:
        CK_OK(cpae_trainer_set_param(s.t, CPAE_P_VALIDATE_EVERY, 5));
        break;
    case 5:
        CK_OK(cpae_trainer_set_param(s.t, CPAE_P_LIE_REANCHOR, 1));
        break;
    case 6:
        CK_OK(cpae_trainer_set_param(s.t, CPAE_P_PRECISION, 64));
        break;
    default:
        break;
    }
    if (x)
        CK_OK(cpae_trainer_set_data(s.t, x, N, D));
    if (xv && variant != 1 && variant != 2)
        CK_OK(cpae_trainer_set_validation(s.t, xv, 16, D));
    return s;
}

static void drop(setup *s)
{
    cpae_trainer_destroy(s->t);
    cpae_lie_destroy(s->lie);
    cpae_model_destroy(s->m);
}

/* A callback that saves a checkpoint into a buffer and stops. */
typedef struct stopper {
    cpae_trainer *t;
    int64_t at;     /* epoch (epoch callback) or step (step callback) */
    uint8_t *ckpt;
    int64_t n;
} stopper;

static void take(stopper *s)
{
    CK_OK(cpae_trainer_checkpoint_size(s->t, &s->n));
    s->ckpt = malloc((size_t)s->n);
    int64_t w = 0;
    CK_OK(cpae_trainer_save_checkpoint_to_buffer(s->t, s->ckpt, s->n, &w));
    ck_assert_int_eq(w, s->n);
}

static int32_t stop_at_epoch(void *u, int64_t epoch, const double *row, int64_t n_cols)
{
    stopper *s = u;
    ck_assert_int_eq(n_cols, 4 + cpae_n_loss_terms());
    ck_assert(row[CPAE_HISTORY_EPOCH] == (double)epoch);
    if (epoch != s->at)
        return 0;
    take(s);
    return 1;
}

static int32_t stop_at_step(void *u, int64_t epoch, int64_t step, const double *terms,
                            double val, double sec)
{
    (void)epoch, (void)terms, (void)val, (void)sec;
    stopper *s = u;
    if (step != s->at)
        return 0;
    take(s);
    return 1;
}

/* Uninterrupted against interrupted-and-resumed (in a new trainer on a new
 * model and generators with other initial values), for every variant, with
 * checkpoints taken at an epoch's end and in the middle of an epoch. */
START_TEST(test_resume_bit_identical)
{
    int variant = _i;
    float *x = sines(N, D, 3), *xv = sines(16, D, 4);
    setup a = make(variant, 1, x, xv);
    CK_OK(cpae_trainer_fit(a.t));
    int64_t na, ha_rows, ha_cols;
    uint8_t *wa = snapshot(a.m, a.lie, &na);
    CK_ERR(cpae_trainer_history(a.t, NULL, 0, &ha_rows, &ha_cols), CPAE_E_BUFFER_TOO_SMALL);
    double *ha = malloc(sizeof(double) * (size_t)(ha_rows * ha_cols));
    CK_OK(cpae_trainer_history(a.t, ha, ha_rows * ha_cols, &ha_rows, &ha_cols));
    for (int mode = 0; mode < 3; mode++) {
        /* mode 0: epoch callback after epoch 1, checkpoint to a new
         * trainer; 1: step callback at step 7 (mid-epoch), new trainer;
         * 2: step callback at step 7, resumed in the same trainer. */
        setup b = make(variant, 1, x, xv);
        stopper st = {b.t, mode == 0 ? 1 : 7, NULL, 0};
        if (mode == 0)
            CK_OK(cpae_trainer_set_epoch_callback(b.t, stop_at_epoch, &st));
        else
            CK_OK(cpae_trainer_set_callback(b.t, stop_at_step, &st));
        CK_ERR(cpae_trainer_fit(b.t), CPAE_E_CANCELLED);
        int32_t resumable = 0;
        CK_OK(cpae_trainer_fit_state(b.t, &resumable, NULL, NULL));
        ck_assert_int_eq(resumable, 1);
        setup c = b;
        if (mode < 2) {
            /* "killed": a fresh process state, other initial weights; data
             * set after the load this time, before it in mode 1. */
            c = make(variant, 99, mode == 1 ? x : NULL, mode == 1 ? xv : NULL);
            CK_OK(cpae_trainer_load_checkpoint_from_buffer(c.t, st.ckpt, st.n));
            if (mode == 0) {
                CK_OK(cpae_trainer_set_data(c.t, x, N, D));
                if (variant != 1 && variant != 2)
                    CK_OK(cpae_trainer_set_validation(c.t, xv, 16, D));
            }
        } else {
            CK_OK(cpae_trainer_set_callback(b.t, NULL, NULL));
        }
        CK_OK(cpae_trainer_resume(c.t));
        int64_t nc;
        uint8_t *wc = snapshot(c.m, c.lie, &nc);
        ck_assert_msg(nc == na && memcmp(wa, wc, (size_t)na) == 0,
                      "%s, mode %d: resumed weights differ", variant_name(variant), mode);
        /* The history continues: same rows, same values but the clock. */
        int64_t rows, cols;
        double *hc = malloc(sizeof(double) * (size_t)(ha_rows * ha_cols));
        CK_OK(cpae_trainer_history(c.t, hc, ha_rows * ha_cols, &rows, &cols));
        ck_assert_int_eq(rows, ha_rows);
        for (int64_t e = 0; e < rows * cols; e++)
            if (e % cols != CPAE_HISTORY_SECONDS)
                ck_assert_msg(memcmp(&ha[e], &hc[e], sizeof(double)) == 0,
                              "history value %lld differs", (long long)e);
        int64_t sa, sc, ea, ec;
        double va, vc;
        CK_OK(cpae_trainer_best_epoch(a.t, &ea, &sa, &va));
        CK_OK(cpae_trainer_best_epoch(c.t, &ec, &sc, &vc));
        ck_assert(ea == ec && sa == sc && memcmp(&va, &vc, sizeof va) == 0);
        CK_ERR(cpae_trainer_resume(c.t), CPAE_E_INVALID); /* finished */
        free(wc);
        free(hc);
        free(st.ckpt);
        if (mode < 2)
            drop(&c);
        drop(&b);
    }
    free(wa);
    free(ha);
    drop(&a);
    free(x);
    free(xv);
}
END_TEST

/* A checkpoint file written every epoch by a process that is then killed
 * (SIGKILL, no cleanup) resumes in this process to the weights of a fit
 * that was never interrupted. */
typedef struct killer {
    cpae_trainer *t;
    const char *path;
} killer;

static int32_t save_then_die(void *u, int64_t epoch, const double *row, int64_t n_cols)
{
    (void)row, (void)n_cols;
    killer *k = u;
    if (cpae_trainer_save_checkpoint(k->t, k->path) != CPAE_OK)
        _exit(3);
    if (epoch == 2)
        kill(getpid(), SIGKILL);
    return 0;
}

START_TEST(test_kill_and_resume)
{
    float *x = sines(N, D, 3), *xv = sines(16, D, 4);
    char path[] = "/tmp/cpae_kill_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    setup a = make(3, 1, x, xv);
    CK_OK(cpae_trainer_fit(a.t));
    int64_t na;
    uint8_t *wa = snapshot(a.m, a.lie, &na);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setup b = make(3, 1, x, xv);
        killer k = {b.t, path};
        if (cpae_trainer_set_epoch_callback(b.t, save_then_die, &k) != CPAE_OK)
            _exit(4);
        int32_t st = cpae_trainer_fit(b.t);
        _exit(5 + st); /* not reached: killed at epoch 2 */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
    setup c = make(3, 42, x, xv);
    CK_OK(cpae_trainer_load_checkpoint(c.t, path));
    int64_t epoch = -1;
    int32_t resumable = 0;
    CK_OK(cpae_trainer_fit_state(c.t, &resumable, &epoch, NULL));
    ck_assert(resumable == 1 && epoch == 3);
    CK_OK(cpae_trainer_resume(c.t));
    int64_t nc;
    uint8_t *wc = snapshot(c.m, c.lie, &nc);
    same_bytes(wa, na, wc, nc);
    unlink(path);
    free(wa);
    free(wc);
    drop(&a);
    drop(&c);
    free(x);
    free(xv);
}
END_TEST

static int32_t count_epochs(void *u, int64_t epoch, const double *row, int64_t n_cols)
{
    (void)row, (void)n_cols;
    int64_t *seen = u;
    ck_assert_int_eq(epoch, *seen);
    (*seen)++;
    return 0;
}

/* The history: one row per epoch (the last included), steps, the
 * validation column, the best epoch; the scales of the documentation
 * (terms and validation per sample, cpae_model_evaluate per element). */
START_TEST(test_history)
{
    float *x = sines(N, D, 3), *xv = sines(16, D, 4);
    setup s = make(0, 1, x, xv);
    CK_OK(cpae_trainer_set_param(s.t, CPAE_P_PATIENCE, 0));
    int64_t seen = 0;
    CK_OK(cpae_trainer_set_epoch_callback(s.t, count_epochs, &seen));
    CK_OK(cpae_trainer_fit(s.t));
    ck_assert_int_eq(seen, 5);
    int64_t rows, cols;
    double h[5 * 10];
    CK_OK(cpae_trainer_history(s.t, h, 50, &rows, &cols));
    ck_assert_int_eq(rows, 5);
    ck_assert_int_eq(cols, 4 + cpae_n_loss_terms());
    double best = INFINITY;
    int64_t best_e = -2;
    for (int64_t e = 0; e < rows; e++) {
        const double *r = h + e * cols;
        ck_assert(r[CPAE_HISTORY_EPOCH] == (double)e);
        ck_assert(r[CPAE_HISTORY_STEP] == (double)(4 * (e + 1)));
        ck_assert(r[CPAE_HISTORY_SECONDS] >= 0);
        ck_assert(isfinite(r[CPAE_HISTORY_VALIDATION]));
        ck_assert(r[CPAE_HISTORY_TERMS + CPAE_TERM_RECONSTRUCTION] > 0);
        if (r[CPAE_HISTORY_VALIDATION] < best) {
            best = r[CPAE_HISTORY_VALIDATION];
            best_e = e;
        }
    }
    int64_t be, bs, fit_best;
    double bv, fit_val;
    CK_OK(cpae_trainer_best_epoch(s.t, &be, &bs, &bv));
    CK_OK(cpae_trainer_fit_info(s.t, NULL, &fit_best, &fit_val));
    ck_assert(bs == fit_best && bv == fit_val);
    if (be >= 0) { /* not the starting weights */
        ck_assert_int_eq(be, best_e);
        ck_assert(bv == best);
    }
    /* The restored weights' validation error, per sample, is the best one;
     * cpae_model_evaluate reports it per element (divided by d). */
    double mse = 0;
    CK_OK(cpae_model_evaluate(s.m, xv, 16, D, &mse, NULL));
    ck_assert_msg(fabs(mse * D - bv) <= 1e-5 * bv, "evaluate %g * d vs %g", mse, bv);
    /* A new fit clears the history. */
    CK_OK(cpae_trainer_set_param(s.t, CPAE_P_EPOCHS, 2));
    seen = 0;
    CK_OK(cpae_trainer_fit(s.t));
    CK_OK(cpae_trainer_history(s.t, h, 50, &rows, &cols));
    ck_assert_int_eq(rows, 2);
    CK_ERR(cpae_trainer_history(s.t, h, 19, &rows, &cols), CPAE_E_BUFFER_TOO_SMALL);
    CK_ERR(cpae_trainer_history(s.t, NULL, 5, &rows, &cols), CPAE_E_NULL);
    CK_ERR(cpae_trainer_history(s.t, h, -1, &rows, &cols), CPAE_E_SIZE);
    drop(&s);
    free(x);
    free(xv);
}
END_TEST

static int32_t refit_inside(void *u, int64_t epoch, const double *row, int64_t n_cols)
{
    (void)epoch, (void)row, (void)n_cols;
    cpae_trainer *t = u;
    CK_ERR(cpae_trainer_fit(t), CPAE_E_INVALID);
    CK_ERR(cpae_trainer_resume(t), CPAE_E_INVALID);
    float x[D] = {0};
    CK_ERR(cpae_trainer_set_data(t, x, 1, D), CPAE_E_INVALID);
    return 0;
}

/* Every refusal leaves the trainer, model and generators untouched. */
/* CRC-32 of n x D values as the trainer holds them (doubles). */
static uint32_t data_crc(const float *x, int64_t n)
{
    double *xd = malloc(sizeof(double) * (size_t)(n * D));
    for (int64_t e = 0; e < n * D; e++)
        xd[e] = (double)x[e];
    uint32_t c = (uint32_t)crc32(0L, (const Bytef *)xd, (uInt)(sizeof(double) * (size_t)(n * D)));
    free(xd);
    return c;
}

static void put_u32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* A version-1 checkpoint (libcpae 0.7.0: the fit's data identified by
 * CRC-32s of the rows) still loads on a trainer holding those data and
 * resumes to the uninterrupted fit's weights; without the data, or with
 * others, it is refused. */
START_TEST(test_version1_checkpoint)
{
    float *x = sines(N, D, 3), *xv = sines(16, D, 4), *other = sines(N, D, 5);
    setup a = make(3, 1, x, xv);
    CK_OK(cpae_trainer_fit(a.t));
    int64_t na;
    uint8_t *wa = snapshot(a.m, a.lie, &na);
    setup s = make(3, 1, x, xv);
    stopper st = {s.t, 1, NULL, 0};
    CK_OK(cpae_trainer_set_epoch_callback(s.t, stop_at_epoch, &st));
    CK_ERR(cpae_trainer_fit(s.t), CPAE_E_CANCELLED);
    ck_assert_int_eq(st.ckpt[8], 2);
    /* Rewrite as version 1: the fit's data CRCs follow its header,
     * configuration, optimiser, data identity and the fit's flags,
     * positions and reals (docs/format.md). */
    uint8_t *c = st.ckpt;
    c[8] = 1;
    int64_t keys = c[28] | c[29] << 8, off = 24 + 4 + 4 + 8 * keys + 8 + 4 + 4 + 32 + 24 + 40 +
                                             16 + 40 + 48;
    put_u32(c + off, data_crc(x, N));
    put_u32(c + off + 4, data_crc(xv, 16));
    fix_crc(c, st.n);
    setup r = make(3, 99, NULL, NULL);
    CK_ERR(cpae_trainer_load_checkpoint_from_buffer(r.t, c, st.n), CPAE_E_MISMATCH);
    CK_OK(cpae_trainer_set_data(r.t, x, N, D)); /* (validation data missing) */
    CK_ERR(cpae_trainer_load_checkpoint_from_buffer(r.t, c, st.n), CPAE_E_MISMATCH);
    CK_OK(cpae_trainer_set_data(r.t, other, N, D));
    CK_OK(cpae_trainer_set_validation(r.t, xv, 16, D));
    CK_ERR(cpae_trainer_load_checkpoint_from_buffer(r.t, c, st.n), CPAE_E_MISMATCH);
    CK_OK(cpae_trainer_set_data(r.t, x, N, D));
    CK_OK(cpae_trainer_set_validation(r.t, other, 16, D));
    CK_ERR(cpae_trainer_load_checkpoint_from_buffer(r.t, c, st.n), CPAE_E_MISMATCH);
    CK_OK(cpae_trainer_set_validation(r.t, xv, 16, D));
    CK_OK(cpae_trainer_load_checkpoint_from_buffer(r.t, c, st.n));
    CK_OK(cpae_trainer_resume(r.t));
    int64_t nr;
    uint8_t *wr = snapshot(r.m, r.lie, &nr);
    same_bytes(wa, na, wr, nr);
    free(wa);
    free(wr);
    free(st.ckpt);
    drop(&a);
    drop(&s);
    drop(&r);
    free(x);
    free(xv);
    free(other);
}
END_TEST

START_TEST(test_checkpoint_refusals)
{
    float *x = sines(N, D, 3), *xv = sines(16, D, 4), *other = sines(N, D, 5);
    setup s = make(3, 1, x, xv);
    stopper st = {s.t, 1, NULL, 0};
    CK_OK(cpae_trainer_set_epoch_callback(s.t, stop_at_epoch, &st));
    CK_ERR(cpae_trainer_fit(s.t), CPAE_E_CANCELLED);
    setup r = make(3, 99, x, xv);
    CK_ERR(cpae_trainer_resume(r.t), CPAE_E_INVALID); /* nothing to resume */
    int64_t n0;
    uint8_t *w0 = snapshot(r.m, r.lie, &n0);
    uint8_t *c = malloc((size_t)st.n);
    /* Truncations and flipped bytes. */
    for (int64_t len = 1; len < st.n; len += 11)
        ck_assert_int_ne(cpae_trainer_load_checkpoint_from_buffer(r.t, st.ckpt, len), CPAE_OK);
    for (int64_t i = 0; i < st.n; i += 13) {
        memcpy(c, st.ckpt, (size_t)st.n);
        c[i] ^= 0x10;
        ck_assert_int_ne(cpae_trainer_load_checkpoint_from_buffer(r.t, c, st.n), CPAE_OK);
    }
    memcpy(c, st.ckpt, (size_t)st.n);
    c[0] = 'X';
    CK_ERR(cpae_trainer_load_checkpoint_from_buffer(r.t, c, st.n), CPAE_E_FORMAT);
    memcpy(c, st.ckpt, (size_t)st.n);
    c[8] = 3;
    CK_ERR(cpae_trainer_load_checkpoint_from_buffer(r.t, c, st.n), CPAE_E_VERSION);
    /* A hyperparameter out of its range (batch size 0), CRC fixed. */
    memcpy(c, st.ckpt, (size_t)st.n);
    memset(c + 24 + 8 + 8 * CPAE_P_BATCH_SIZE, 0, 8);
    fix_crc(c, st.n);
    CK_ERR(cpae_trainer_load_checkpoint_from_buffer(r.t, c, st.n), CPAE_E_FORMAT);
    int32_t resumable = 1;
    CK_OK(cpae_trainer_fit_state(r.t, &resumable, NULL, NULL));
    ck_assert_int_eq(resumable, 0);
    int64_t n1;
    uint8_t *w1 = snapshot(r.m, r.lie, &n1);
    same_bytes(w0, n0, w1, n1);
    /* Another method, another shape, other data. */
    setup o = make(0, 1, x, xv);
    CK_ERR(cpae_trainer_load_checkpoint_from_buffer(o.t, st.ckpt, st.n), CPAE_E_MISMATCH);
    cpae_model *wide = NULL;
    cpae_lie *lie = NULL;
    cpae_trainer *tw = NULL;
    const int64_t ww[] = {D, 13, 4};
    CK_OK(cpae_model_create_mirrored(ww, 3, CPAE_ACT_RELU, 1, &wide));
    CK_OK(cpae_lie_create(D, 1, CPAE_LIE_SKEW, 2, &lie));
    CK_OK(cpae_trainer_create(wide, lie, CPAE_METHOD_LIE_LOCAL, &tw));
    CK_ERR(cpae_trainer_load_checkpoint_from_buffer(tw, st.ckpt, st.n), CPAE_E_MISMATCH);
    setup od = make(3, 99, other, xv);
    CK_ERR(cpae_trainer_load_checkpoint_from_buffer(od.t, st.ckpt, st.n), CPAE_E_MISMATCH);
    /* Training data before the load, validation data after it. */
    setup half = make(3, 99, x, NULL);
    CK_OK(cpae_trainer_load_checkpoint_from_buffer(half.t, st.ckpt, st.n));
    CK_OK(cpae_trainer_set_validation(half.t, xv, 16, D));
    CK_OK(cpae_trainer_resume(half.t));
    drop(&half);
    /* Data changed after the load: resume refuses. */
    CK_OK(cpae_trainer_load_checkpoint_from_buffer(r.t, st.ckpt, st.n));
    CK_OK(cpae_trainer_set_data(r.t, other, N, D));
    CK_ERR(cpae_trainer_resume(r.t), CPAE_E_MISMATCH);
    CK_OK(cpae_trainer_set_data(r.t, x, N - 1, D));
    CK_ERR(cpae_trainer_resume(r.t), CPAE_E_SIZE);
    /* Files: atomic save, load, a missing file, NULLs, small buffers. */
    char path[] = "/tmp/cpae_ckpt_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    CK_OK(cpae_trainer_save_checkpoint(s.t, path));
    CK_ERR(cpae_trainer_load_checkpoint(r.t, path), CPAE_E_MISMATCH); /* N - 1 samples */
    CK_OK(cpae_trainer_set_data(r.t, x, N, D));
    CK_OK(cpae_trainer_load_checkpoint(r.t, path));
    CK_OK(cpae_trainer_resume(r.t));
    unlink(path);
    CK_ERR(cpae_trainer_load_checkpoint(r.t, path), CPAE_E_IO);
    CK_ERR(cpae_trainer_save_checkpoint(NULL, path), CPAE_E_NULL);
    CK_ERR(cpae_trainer_save_checkpoint(s.t, ""), CPAE_E_IO);
    CK_ERR(cpae_trainer_load_checkpoint(NULL, path), CPAE_E_NULL);
    CK_ERR(cpae_trainer_load_checkpoint_from_buffer(r.t, st.ckpt, 0), CPAE_E_SIZE);
    int64_t wr = 0;
    CK_ERR(cpae_trainer_save_checkpoint_to_buffer(s.t, c, 10, &wr), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(wr, st.n);
    /* Calls from inside a callback of a running fit are refused. */
    CK_OK(cpae_trainer_set_epoch_callback(o.t, refit_inside, o.t));
    CK_OK(cpae_trainer_fit(o.t));
    free(w0);
    free(w1);
    free(c);
    free(st.ckpt);
    drop(&s);
    drop(&r);
    drop(&o);
    drop(&od);
    cpae_trainer_destroy(tw);
    cpae_lie_destroy(lie);
    cpae_model_destroy(wide);
    free(x);
    free(xv);
    free(other);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_model_lie_round_trip);
    tcase_add_test(tc, test_model_lie_refusals);
    tcase_add_loop_test(tc, test_resume_bit_identical, 0, N_VARIANTS);
    tcase_add_test(tc, test_kill_and_resume);
    tcase_add_test(tc, test_history);
    tcase_add_test(tc, test_checkpoint_refusals);
    tcase_add_test(tc, test_version1_checkpoint);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
