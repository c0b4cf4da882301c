/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* check_api_sweep.c -- one table-driven NULL / capacity sweep over every
 * public function of include/cpae.h (issue 10, item 5).
 *
 * Each row of SWEEP names a function and gives a small callable that, with
 * the valid handles and buffers of the fixture (built once per test case),
 *   - calls the function with each REQUIRED pointer argument set to NULL in
 *     turn (optional ones, documented "may be NULL", stay valid) and
 *     expects CPAE_E_NULL, the status cpae.h documents for it;
 *   - for every caller-owned output buffer with a capacity argument, calls
 *     it with the capacity one too small and expects
 *     CPAE_E_BUFFER_TOO_SMALL;
 *   - for destroy functions, passes NULL (documented no-op);
 *   - for functions that cannot fail, calls them and checks the value.
 * Every failing call must also leave a detail message naming the function
 * (CK_EXPECT, testutil.h). Around every row the harness checks that
 *   - no scratch output (buffers and scalars, pre-filled with sentinels)
 *     was written by a failing call, except where cpae.h documents a write
 *     (rows then use their own locals and check the documented contents);
 *   - no handle of the fixture changed (cpae.h CONVENTIONS: "no existing
 *     handle is changed"): models compare equal byte for byte through
 *     cpae_model_save_to_buffer, layers, codes, maps, generators, trainer
 *     parameters and keys, data sets and selection options likewise.
 *
 * The completeness test reads the CPAE_API declarations of include/cpae.h
 * and fails naming every public function without a row (and every row
 * naming no public function), so adding a function to the header without a
 * row here breaks `make check`.
 *
 * Pointers documented as optional ("may be NULL") are passed as NULL too,
 * expecting CPAE_OK, in the rows where that touches no scratch output.
 * Every NULL row also checks that the detail message begins with the name
 * of the function called. */
#include <errno.h>
#include <regex.h>
#include <sys/stat.h>

#include "testutil.h"

/* ------------------------------------------------------------ fixture */

enum { N_X = 8, SCRATCH = 4096 };

static struct fixture {
    /* Handles (all valid). */
    cpae_layer *layer;          /* 3 -> 4, leaky ReLU */
    cpae_model *model;          /* tu_model_main: 4 -> 5 -> 2 -> 5 -> 4 */
    cpae_model *tmodel;         /* borrowed by the trainer */
    cpae_code *code_e, *code_a; /* encoder (5 bits) and autoencoder codes */
    cpae_affine *aff_e, *aff_d, *aff_a;
    cpae_path *path;
    cpae_slice *slice;
    cpae_lie *lie; /* d = 4, k = 1, skew */
    cpae_report *report;
    cpae_trainer *trainer;
    cpae_dataset *ds; /* wraps x and labels */
    cpae_normalizer *norm;
    cpae_pca *pca; /* k = 2 */
    cpae_selection *sel;
    /* Inputs. */
    float x[N_X * TU_D];
    int32_t labels[N_X];
    float e1[TU_D], e2[TU_D];
    float g[TU_D * TU_D]; /* a skew generator */
    double theta[2];
    float params[1024]; /* the trainer's parameters */
    /* Sizes the capacity checks need (one more than each is_too_small). */
    int64_t n_path, n_poly, poly0_vertices, cb_e, cb_a, n_tparams, model_bytes;
    int64_t raster_labels, json_len, n_axes;
    /* Files for the loaders and the saver. */
    char dir[64], model_path[96], ucr_path[96], idx_path[96], save_path[96];
    /* Scratch outputs, filled with sentinels before every row. */
    float fb[SCRATCH];
    double db[SCRATCH];
    uint8_t bb[SCRATCH];
    int32_t ib[SCRATCH];
    int64_t kb[SCRATCH];
    char cb[SCRATCH];
    int64_t i64;
    int32_t i32;
    double dbl;
    uint64_t u64;
    void *vp;
    const float *cfp;
} F;

#define S_I64 INT64_C(-0x5A5A5A5A5A)
#define S_I32 INT32_C(-0x5A5A5A)
#define S_U64 UINT64_C(0xA5A5A5A5A5A5A5A5)
#define S_PTR ((void *)&F)

static void scratch_fill(void)
{
    tu_fill_f(F.fb, SCRATCH, TU_SENT_F);
    tu_fill_d(F.db, SCRATCH, TU_SENT_D);
    memset(F.bb, TU_SENT_B, sizeof F.bb);
    memset(F.cb, TU_SENT_B, sizeof F.cb);
    for (int i = 0; i < SCRATCH; i++) {
        F.ib[i] = S_I32;
        F.kb[i] = S_I64;
    }
    F.i64 = S_I64;
    F.i32 = S_I32;
    F.dbl = TU_SENT_D;
    F.u64 = S_U64;
    F.vp = S_PTR;
    F.cfp = (const float *)S_PTR;
}

static void scratch_check(const char *row)
{
    ck_assert_msg(tu_all_f(F.fb, SCRATCH, TU_SENT_F), "%s: a float output was written", row);
    ck_assert_msg(tu_all_d(F.db, SCRATCH, TU_SENT_D), "%s: a double output was written", row);
    ck_assert_msg(tu_all_b(F.bb, SCRATCH, TU_SENT_B), "%s: a byte output was written", row);
    ck_assert_msg(tu_all_b((const uint8_t *)F.cb, SCRATCH, TU_SENT_B),
                  "%s: a char output was written", row);
    for (int i = 0; i < SCRATCH; i++) {
        ck_assert_msg(F.ib[i] == S_I32, "%s: an int32 output was written", row);
        ck_assert_msg(F.kb[i] == S_I64, "%s: an int64 output was written", row);
    }
    ck_assert_msg(F.i64 == S_I64 && F.i32 == S_I32 && F.dbl == TU_SENT_D && F.u64 == S_U64 &&
                      F.vp == S_PTR && F.cfp == (const float *)S_PTR,
                  "%s: a scalar output was written on failure", row);
}

/* A snapshot of every mutable handle of the fixture, as bytes. */
typedef struct snap {
    uint8_t *p;
    size_t n, cap;
} snap;

static void snap_add(snap *s, const void *data, size_t n)
{
    if (s->n + n > s->cap) {
        s->cap = 2 * (s->n + n) + 256;
        s->p = realloc(s->p, s->cap);
        ck_assert_ptr_nonnull(s->p);
    }
    memcpy(s->p + s->n, data, n);
    s->n += n;
}

static void snap_model(snap *s, const cpae_model *m)
{
    int64_t n = 0;
    CK_OK(cpae_model_save_size(m, &n));
    uint8_t *buf = malloc((size_t)n);
    ck_assert_ptr_nonnull(buf);
    CK_OK(cpae_model_save_to_buffer(m, buf, n, &n));
    snap_add(s, buf, (size_t)n);
    free(buf);
    void *ud = NULL;
    CK_OK(cpae_model_get_user_data(m, &ud));
    snap_add(s, &ud, sizeof ud);
}

static void snap_affine(snap *s, const cpae_affine *a)
{
    double v[64];
    int64_t no = 0, ni = 0;
    CK_OK(cpae_affine_dims(a, &ni, &no));
    ck_assert_int_le(no * ni + no, 64);
    CK_OK(cpae_affine_get_slope_f64(a, v, no * ni));
    CK_OK(cpae_affine_get_offset_f64(a, v + no * ni, no));
    snap_add(s, v, (size_t)(no * ni + no) * sizeof(double));
}

static void snap_code(snap *s, const cpae_code *c)
{
    uint8_t b[16];
    int64_t n = 0;
    CK_OK(cpae_code_to_bytes(c, b, 16, &n));
    snap_add(s, b, (size_t)n);
}

static void snapshot(snap *s)
{
    s->n = 0;
    snap_model(s, F.model);
    snap_model(s, F.tmodel);
    {
        float w[64];
        CK_OK(cpae_layer_get_weights(F.layer, w, 64));
        snap_add(s, w, 12 * sizeof(float));
        CK_OK(cpae_layer_get_bias(F.layer, w, 64));
        snap_add(s, w, 4 * sizeof(float));
    }
    snap_code(s, F.code_e);
    snap_code(s, F.code_a);
    snap_affine(s, F.aff_e);
    snap_affine(s, F.aff_d);
    snap_affine(s, F.aff_a);
    {
        float g[TU_D * TU_D];
        CK_OK(cpae_lie_get(F.lie, g, TU_D * TU_D));
        snap_add(s, g, sizeof g);
    }
    {
        float p[1024];
        int64_t n = 0;
        CK_OK(cpae_trainer_n_params(F.trainer, &n));
        ck_assert_int_le(n, 1024);
        CK_OK(cpae_trainer_get_params(F.trainer, p, 1024));
        snap_add(s, p, (size_t)n * sizeof(float));
        for (int32_t key = 0; key < 50; key++) {
            double v = 0;
            if (cpae_param_bounds(key, NULL, NULL, NULL) != CPAE_OK)
                continue;
            CK_OK(cpae_trainer_get_param(F.trainer, key, &v));
            snap_add(s, &v, sizeof v);
        }
        int64_t steps = 0, best = 0;
        double bv = 0;
        CK_OK(cpae_trainer_fit_info(F.trainer, &steps, &best, &bv));
        snap_add(s, &steps, sizeof steps);
        snap_add(s, &best, sizeof best);
    }
    {
        int64_t n = 0, d = 0;
        int32_t hl = 0;
        const float *x = NULL;
        CK_OK(cpae_dataset_info(F.ds, &n, &d, &hl));
        CK_OK(cpae_dataset_data(F.ds, &x));
        snap_add(s, &n, sizeof n);
        snap_add(s, &d, sizeof d);
        snap_add(s, &hl, sizeof hl);
        snap_add(s, &x, sizeof x);
        snap_add(s, x, (size_t)(n * d) * sizeof(float));
    }
    {
        for (int32_t key = 1; key <= 8; key++) {
            double v = 0;
            CK_OK(cpae_selection_get_option(F.sel, key, &v));
            snap_add(s, &v, sizeof v);
        }
        int64_t nc = 0, nk = 0;
        int32_t keys[16];
        CK_OK(cpae_selection_n_candidates(F.sel, &nc));
        CK_OK(cpae_selection_grid_keys(F.sel, keys, 16, &nk));
        snap_add(s, &nc, sizeof nc);
        snap_add(s, keys, (size_t)nk * sizeof(int32_t));
    }
}

static int32_t write_ok(void *ud, const uint8_t *bytes, int64_t n)
{
    (void)ud;
    (void)bytes;
    (void)n;
    return 0;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static void setup(void)
{
    memset(&F, 0, sizeof F);
    uint64_t s = 2024;
    tu_fill(F.x, N_X * TU_D, 1.0, &s);
    for (int i = 0; i < N_X; i++)
        F.labels[i] = i % 3;
    tu_fill(F.e1, TU_D, 1.0, &s);
    tu_fill(F.e2, TU_D, 1.0, &s);
    F.theta[0] = 0.3;
    F.theta[1] = -0.2;

    CK_OK(cpae_layer_create(3, 4, CPAE_ACT_LEAKY_RELU, 0.1, &F.layer));
    {
        float w[12], b[4];
        tu_fill(w, 12, 1.0, &s);
        tu_fill(b, 4, 1.0, &s);
        CK_OK(cpae_layer_set_weights(F.layer, w, 12));
        CK_OK(cpae_layer_set_bias(F.layer, b, 4));
    }
    F.model = tu_model_main();
    CK_OK(cpae_model_clone(F.model, &F.tmodel));
    CK_OK(cpae_code_create(F.model, CPAE_ENCODER, &F.code_e));
    CK_OK(cpae_code_create(F.model, CPAE_AUTOENCODER, &F.code_a));
    CK_OK(cpae_model_code(F.model, CPAE_ENCODER, TU_X0, TU_D, F.code_e));
    CK_OK(cpae_model_code(F.model, CPAE_AUTOENCODER, TU_X1, TU_D, F.code_a));
    CK_OK(cpae_model_code_bytes(F.model, CPAE_ENCODER, &F.cb_e));
    CK_OK(cpae_model_code_bytes(F.model, CPAE_AUTOENCODER, &F.cb_a));
    CK_OK(cpae_affine_create(F.model, CPAE_ENCODER, &F.aff_e));
    CK_OK(cpae_affine_create(F.model, CPAE_DECODER, &F.aff_d));
    CK_OK(cpae_affine_create(F.model, CPAE_AUTOENCODER, &F.aff_a));
    CK_OK(cpae_model_region_maps(F.model, TU_X0, TU_D, F.aff_e, F.aff_d, F.aff_a));
    {
        const float p[TU_D] = {-2.0f, 1.5f, 0.5f, -1.0f}, q[TU_D] = {2.0f, -1.0f, -0.5f, 1.5f};
        CK_OK(cpae_model_segment(F.model, CPAE_AUTOENCODER, p, q, TU_D, 100000, &F.path));
        CK_OK(cpae_path_n_regions(F.path, &F.n_path));
        ck_assert_int_ge(F.n_path, 2);
    }
    CK_OK(cpae_model_slice(F.model, CPAE_ENCODER, TU_X0, F.e1, F.e2, TU_D, -1.0, 1.0, -1.0, 1.0,
                           100000, &F.slice));
    CK_OK(cpae_slice_n_polygons(F.slice, &F.n_poly));
    CK_OK(cpae_slice_polygon_size(F.slice, 0, &F.poly0_vertices));
    {
        int32_t lab[16 * 16];
        CK_OK(cpae_model_raster(F.model, CPAE_ENCODER, TU_X0, F.e1, F.e2, TU_D, -1, 1, -1, 1, 16,
                                16, lab, 256, NULL, 0, &F.raster_labels));
    }
    CK_OK(cpae_lie_create(TU_D, 1, CPAE_LIE_SKEW, 7, &F.lie));
    CK_OK(cpae_lie_get(F.lie, F.g, TU_D * TU_D));
    CK_OK(cpae_report_create(F.model, F.lie, F.x, N_X, TU_D, &F.report));
    CK_OK(cpae_report_json(F.report, NULL, 0, &F.json_len));
    CK_OK(cpae_trainer_create(F.tmodel, NULL, CPAE_METHOD_AE, &F.trainer));
    CK_OK(cpae_trainer_set_data(F.trainer, F.x, N_X, TU_D));
    CK_OK(cpae_trainer_n_params(F.trainer, &F.n_tparams));
    ck_assert_int_le(F.n_tparams, 1024);
    CK_OK(cpae_trainer_get_params(F.trainer, F.params, 1024));
    CK_OK(cpae_dataset_wrap(F.x, N_X, TU_D, F.labels, &F.ds));
    CK_OK(cpae_normalizer_fit(F.ds, CPAE_NORM_FEATURE_Z, &F.norm));
    CK_OK(cpae_pca_fit(F.x, N_X, TU_D, 2, &F.pca));
    {
        const int64_t widths[] = {TU_D, 3, 2};
        CK_OK(cpae_selection_create(CPAE_METHOD_AE, widths, 3, &F.sel));
        int32_t keys[16];
        CK_OK(cpae_selection_grid_keys(F.sel, keys, 16, &F.n_axes));
        ck_assert_int_ge(F.n_axes, 1);
    }
    CK_OK(cpae_model_save_size(F.model, &F.model_bytes));

    /* Files: a saved model, a UCR text file, an IDX file. */
    snprintf(F.dir, sizeof F.dir, "/tmp/cpae_sweep_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(F.dir));
    snprintf(F.model_path, sizeof F.model_path, "%s/model.cpae", F.dir);
    snprintf(F.ucr_path, sizeof F.ucr_path, "%s/data_TRAIN.tsv", F.dir);
    snprintf(F.idx_path, sizeof F.idx_path, "%s/images.idx", F.dir);
    snprintf(F.save_path, sizeof F.save_path, "%s/never.cpae", F.dir);
    CK_OK(cpae_model_save(F.model, F.model_path));
    const char ucr[] = "1\t0.5\t-0.25\t1.0\n2\t0.0\t0.75\t-1.5\n1\t2.0\t1.0\t0.5\n";
    write_file(F.ucr_path, ucr, sizeof ucr - 1);
    const uint8_t idx[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, /* 2 images 2 x 2 */
                           1, 2, 3, 4, 5, 6, 7, 8};
    write_file(F.idx_path, idx, sizeof idx);
}

static void teardown(void)
{
    cpae_selection_destroy(F.sel);
    cpae_pca_destroy(F.pca);
    cpae_normalizer_destroy(F.norm);
    cpae_dataset_destroy(F.ds);
    cpae_trainer_destroy(F.trainer);
    cpae_report_destroy(F.report);
    cpae_lie_destroy(F.lie);
    cpae_slice_destroy(F.slice);
    cpae_path_destroy(F.path);
    cpae_affine_destroy(F.aff_e);
    cpae_affine_destroy(F.aff_d);
    cpae_affine_destroy(F.aff_a);
    cpae_code_destroy(F.code_e);
    cpae_code_destroy(F.code_a);
    cpae_model_destroy(F.tmodel);
    cpae_model_destroy(F.model);
    cpae_layer_destroy(F.layer);
    if (F.dir[0]) {
        remove(F.model_path);
        remove(F.ucr_path);
        remove(F.idx_path);
        remove(F.save_path);
        rmdir(F.dir);
    }
}

/* ------------------------------------------------------------- rows */

/* The detail message names the function called: "cpae_x: ..." for a call
 * text "cpae_x(...)". */
static void named(const char *call)
{
    size_t len = strcspn(call, "(");
    const char *msg = cpae_last_error();
    ck_assert_msg(strncmp(msg, call, len) == 0 && msg[len] == ':',
                  "%.*s: the message '%s' names another function", (int)len, call, msg);
}

/* A required pointer set to NULL: the documented CPAE_E_NULL, and a
 * message that begins with the name of the function called. */
#define NUL(call)                                                             \
    do {                                                                      \
        CK_EXPECT(call, CPAE_E_NULL);                                         \
        named(#call);                                                         \
    } while (0)
/* A capacity one too small: the documented CPAE_E_BUFFER_TOO_SMALL. */
#define SMALL(call) CK_EXPECT(call, CPAE_E_BUFFER_TOO_SMALL)
/* A pointer documented "may be NULL" (optional) set to NULL: CPAE_OK. */
#define OPT(call) CK_OK(call)

/* Scratch outputs (checked untouched after every row). */
#define FB F.fb
#define DB F.db
#define BB F.bb
#define IB F.ib
#define KB F.kb
#define I64 (&F.i64)
#define I32 (&F.i32)
#define DBL (&F.dbl)
#define U64 (&F.u64)

#define M F.model
#define E CPAE_ENCODER
#define A CPAE_AUTOENCODER
#define X TU_X0
#define DD TU_D

#define SWEEP_FN(fn) static void sweep_##fn(void)

/* Status and version: cannot fail. */
SWEEP_FN(cpae_version_number) { ck_assert_uint_eq(cpae_version_number(), CPAE_VERSION_NUMBER); }
SWEEP_FN(cpae_version_string) { ck_assert_ptr_nonnull(cpae_version_string()); }
SWEEP_FN(cpae_build_info) { ck_assert_ptr_nonnull(cpae_build_info()); }
SWEEP_FN(cpae_status_string)
{
    ck_assert_ptr_nonnull(cpae_status_string(CPAE_E_NULL));
    ck_assert_ptr_nonnull(cpae_status_string(-12345));
}
SWEEP_FN(cpae_last_error) { ck_assert_ptr_nonnull(cpae_last_error()); }
SWEEP_FN(cpae_set_last_error)
{
    /* Cannot fail: returns its status; NULL clears, long text truncates. */
    ck_assert_int_eq(cpae_set_last_error(CPAE_E_IO, "x: y"), CPAE_E_IO);
    ck_assert_str_eq(cpae_last_error(), "x: y");
    ck_assert_int_eq(cpae_set_last_error(CPAE_OK, NULL), CPAE_OK);
    ck_assert_str_eq(cpae_last_error(), "");
    char big[4096];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(cpae_set_last_error(CPAE_E_SIZE, big), CPAE_E_SIZE);
    ck_assert_uint_lt(strlen(cpae_last_error()), sizeof big - 1);
}
SWEEP_FN(cpae_last_error_copy)
{
    /* A message of strlen L. buf NULL with cap > 0: CPAE_E_NULL (the call
     * sets no message of its own; *needed is documented to receive L + 1
     * whatever the outcome). Then cap L is one too small, and the
     * documented result is a truncated, NUL-terminated copy. */
    ck_assert_int_eq(cpae_layer_dims(NULL, NULL, NULL), CPAE_E_NULL);
    const size_t len = strlen(cpae_last_error());
    ck_assert_uint_gt(len, 1);
    int64_t needed = 0;
    ck_assert_int_eq(cpae_last_error_copy(NULL, 4, &needed), CPAE_E_NULL);
    ck_assert_int_eq(needed, (int64_t)len + 1);
    char buf[512];
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, (int64_t)len, &needed), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(needed, (int64_t)len + 1);
    ck_assert_int_eq(buf[len - 1], '\0');
    ck_assert_int_eq(buf[len], 'x');
    ck_assert_int_eq(strncmp(buf, cpae_last_error(), len - 1), 0);
}
SWEEP_FN(cpae_max_layers) { ck_assert_int_eq(cpae_max_layers(), CPAE_MAX_LAYERS); }
SWEEP_FN(cpae_max_width) { ck_assert_int_eq(cpae_max_width(), CPAE_MAX_WIDTH); }
SWEEP_FN(cpae_max_params) { ck_assert_int_eq(cpae_max_params(), CPAE_MAX_PARAMS); }
SWEEP_FN(cpae_default_leaky_alpha)
{
    ck_assert(cpae_default_leaky_alpha() == CPAE_DEFAULT_LEAKY_ALPHA);
}

/* Layers. */
SWEEP_FN(cpae_layer_create) { NUL(cpae_layer_create(3, 4, CPAE_ACT_RELU, 0.0, NULL)); }
SWEEP_FN(cpae_layer_destroy) { cpae_layer_destroy(NULL); }
SWEEP_FN(cpae_layer_dims)
{
    NUL(cpae_layer_dims(NULL, I64, I64));
    OPT(cpae_layer_dims(F.layer, NULL, NULL));
}
SWEEP_FN(cpae_layer_activation)
{
    NUL(cpae_layer_activation(NULL, I32, DBL));
    OPT(cpae_layer_activation(F.layer, NULL, NULL));
}
SWEEP_FN(cpae_layer_set_weights)
{
    const float w[12] = {0};
    NUL(cpae_layer_set_weights(NULL, w, 12));
    NUL(cpae_layer_set_weights(F.layer, NULL, 12));
}
SWEEP_FN(cpae_layer_get_weights)
{
    NUL(cpae_layer_get_weights(NULL, FB, 12));
    NUL(cpae_layer_get_weights(F.layer, NULL, 12));
    SMALL(cpae_layer_get_weights(F.layer, FB, 11));
}
SWEEP_FN(cpae_layer_set_bias)
{
    const float b[4] = {0};
    NUL(cpae_layer_set_bias(NULL, b, 4));
    NUL(cpae_layer_set_bias(F.layer, NULL, 4));
}
SWEEP_FN(cpae_layer_get_bias)
{
    NUL(cpae_layer_get_bias(NULL, FB, 4));
    NUL(cpae_layer_get_bias(F.layer, NULL, 4));
    SMALL(cpae_layer_get_bias(F.layer, FB, 3));
}
SWEEP_FN(cpae_layer_forward)
{
    NUL(cpae_layer_forward(NULL, F.x, 2, 3, FB, 8));
    NUL(cpae_layer_forward(F.layer, NULL, 2, 3, FB, 8));
    NUL(cpae_layer_forward(F.layer, F.x, 2, 3, NULL, 8));
    SMALL(cpae_layer_forward(F.layer, F.x, 2, 3, FB, 7));
}

/* Models. */
SWEEP_FN(cpae_model_create)
{
    const int64_t ew[] = {4, 3, 2}, dw[] = {2, 3, 4};
    const int32_t ea[] = {CPAE_ACT_RELU, CPAE_ACT_IDENTITY}, da[] = {CPAE_ACT_RELU,
                                                                     CPAE_ACT_IDENTITY};
    cpae_model *m = NULL;
    NUL(cpae_model_create(NULL, ea, NULL, 2, dw, da, NULL, 2, 1, &m));
    NUL(cpae_model_create(ew, NULL, NULL, 2, dw, da, NULL, 2, 1, &m));
    NUL(cpae_model_create(ew, ea, NULL, 2, NULL, da, NULL, 2, 1, &m));
    NUL(cpae_model_create(ew, ea, NULL, 2, dw, NULL, NULL, 2, 1, &m));
    NUL(cpae_model_create(ew, ea, NULL, 2, dw, da, NULL, 2, 1, NULL));
    ck_assert_ptr_null(m);
}
SWEEP_FN(cpae_model_create_mirrored)
{
    cpae_model *m = NULL;
    NUL(cpae_model_create_mirrored(NULL, 3, CPAE_ACT_RELU, 1, &m));
    NUL(cpae_model_create_mirrored(TU_W_MAIN, 3, CPAE_ACT_RELU, 1, NULL));
    ck_assert_ptr_null(m);
}
SWEEP_FN(cpae_model_from_layers)
{
    cpae_layer *d = NULL;
    CK_OK(cpae_layer_create(4, 3, CPAE_ACT_IDENTITY, 0.0, &d));
    const cpae_layer *enc[] = {F.layer}, *dec[] = {d}, *nul[] = {NULL};
    cpae_model *m = NULL;
    NUL(cpae_model_from_layers(NULL, 1, dec, 1, &m));
    NUL(cpae_model_from_layers(enc, 1, NULL, 1, &m));
    NUL(cpae_model_from_layers(nul, 1, dec, 1, &m));
    NUL(cpae_model_from_layers(enc, 1, nul, 1, &m));
    NUL(cpae_model_from_layers(enc, 1, dec, 1, NULL));
    cpae_layer_destroy(d);
    ck_assert_ptr_null(m);
}
SWEEP_FN(cpae_model_clone)
{
    cpae_model *m = NULL;
    NUL(cpae_model_clone(NULL, &m));
    NUL(cpae_model_clone(M, NULL));
    ck_assert_ptr_null(m);
}
SWEEP_FN(cpae_model_destroy) { cpae_model_destroy(NULL); }
SWEEP_FN(cpae_model_dims)
{
    NUL(cpae_model_dims(NULL, I64, I64));
    OPT(cpae_model_dims(M, NULL, NULL));
}
SWEEP_FN(cpae_model_n_layers)
{
    NUL(cpae_model_n_layers(NULL, E, I64));
    NUL(cpae_model_n_layers(M, E, NULL));
}
SWEEP_FN(cpae_model_layer_info)
{
    NUL(cpae_model_layer_info(NULL, E, 0, I64, I64, I32, DBL));
    OPT(cpae_model_layer_info(M, E, 0, NULL, NULL, NULL, NULL));
}
SWEEP_FN(cpae_model_get_layer_params)
{
    /* Encoder layer 0: 4 -> 5, 20 weights and 5 biases. */
    NUL(cpae_model_get_layer_params(NULL, E, 0, FB, 20, FB + 32, 5));
    SMALL(cpae_model_get_layer_params(M, E, 0, FB, 19, FB + 32, 5));
    SMALL(cpae_model_get_layer_params(M, E, 0, FB, 20, FB + 32, 4));
    OPT(cpae_model_get_layer_params(M, E, 0, NULL, 0, NULL, 0));
}
SWEEP_FN(cpae_model_set_layer_params)
{
    float w[20], b[5];
    CK_OK(cpae_model_get_layer_params(M, E, 0, w, 20, b, 5));
    NUL(cpae_model_set_layer_params(NULL, E, 0, w, 20, b, 5));
    OPT(cpae_model_set_layer_params(M, E, 0, NULL, 0, NULL, 0)); /* changes nothing */
}
SWEEP_FN(cpae_model_get_layer)
{
    cpae_layer *l = NULL;
    NUL(cpae_model_get_layer(NULL, E, 0, &l));
    NUL(cpae_model_get_layer(M, E, 0, NULL));
    ck_assert_ptr_null(l);
}
SWEEP_FN(cpae_model_n_params)
{
    NUL(cpae_model_n_params(NULL, I64));
    NUL(cpae_model_n_params(M, NULL));
}
SWEEP_FN(cpae_model_sizeof)
{
    NUL(cpae_model_sizeof(NULL, I64));
    NUL(cpae_model_sizeof(M, NULL));
}
SWEEP_FN(cpae_model_set_user_data) { NUL(cpae_model_set_user_data(NULL, &F)); }
SWEEP_FN(cpae_model_get_user_data)
{
    NUL(cpae_model_get_user_data(NULL, &F.vp));
    NUL(cpae_model_get_user_data(M, NULL));
}

/* A macro, not a function pointer: CK_EXPECT reads the callee's name from
 * the text of the call. */
#define FORWARD_SWEEP(f, din, dout)                                           \
    do {                                                                      \
        NUL(f(NULL, F.x, 3, din, FB, 3 * (dout)));                            \
        NUL(f(M, NULL, 3, din, FB, 3 * (dout)));                              \
        NUL(f(M, F.x, 3, din, NULL, 3 * (dout)));                             \
        SMALL(f(M, F.x, 3, din, FB, 3 * (dout) - 1));                         \
    } while (0)
SWEEP_FN(cpae_model_encode) { FORWARD_SWEEP(cpae_model_encode, TU_D, TU_H); }
SWEEP_FN(cpae_model_decode) { FORWARD_SWEEP(cpae_model_decode, TU_H, TU_D); }
SWEEP_FN(cpae_model_reconstruct) { FORWARD_SWEEP(cpae_model_reconstruct, TU_D, TU_D); }

/* Region codes. */
SWEEP_FN(cpae_code_create)
{
    cpae_code *c = NULL;
    NUL(cpae_code_create(NULL, E, &c));
    NUL(cpae_code_create(M, E, NULL));
    ck_assert_ptr_null(c);
}
SWEEP_FN(cpae_code_destroy) { cpae_code_destroy(NULL); }
SWEEP_FN(cpae_code_clone)
{
    cpae_code *c = NULL;
    NUL(cpae_code_clone(NULL, &c));
    NUL(cpae_code_clone(F.code_e, NULL));
    ck_assert_ptr_null(c);
}
SWEEP_FN(cpae_model_code)
{
    NUL(cpae_model_code(NULL, E, X, DD, F.code_e));
    NUL(cpae_model_code(M, E, NULL, DD, F.code_e));
    NUL(cpae_model_code(M, E, X, DD, NULL));
}
SWEEP_FN(cpae_model_code_bytes)
{
    NUL(cpae_model_code_bytes(NULL, E, I64));
    NUL(cpae_model_code_bytes(M, E, NULL));
}
SWEEP_FN(cpae_model_codes)
{
    NUL(cpae_model_codes(NULL, A, F.x, 3, DD, BB, 3 * F.cb_a));
    NUL(cpae_model_codes(M, A, NULL, 3, DD, BB, 3 * F.cb_a));
    NUL(cpae_model_codes(M, A, F.x, 3, DD, NULL, 3 * F.cb_a));
    SMALL(cpae_model_codes(M, A, F.x, 3, DD, BB, 3 * F.cb_a - 1));
}
SWEEP_FN(cpae_model_count_regions)
{
    NUL(cpae_model_count_regions(NULL, E, F.x, 3, DD, I64));
    NUL(cpae_model_count_regions(M, E, NULL, 3, DD, I64));
    NUL(cpae_model_count_regions(M, E, F.x, 3, DD, NULL));
}
SWEEP_FN(cpae_code_info)
{
    NUL(cpae_code_info(NULL, I64, I32));
    OPT(cpae_code_info(F.code_e, NULL, NULL));
}
SWEEP_FN(cpae_code_bit)
{
    NUL(cpae_code_bit(NULL, 0, I32));
    NUL(cpae_code_bit(F.code_e, 0, NULL));
}
SWEEP_FN(cpae_code_equal)
{
    NUL(cpae_code_equal(NULL, F.code_e, I32));
    NUL(cpae_code_equal(F.code_e, NULL, I32));
    NUL(cpae_code_equal(F.code_e, F.code_e, NULL));
}
SWEEP_FN(cpae_code_hash)
{
    NUL(cpae_code_hash(NULL, U64));
    NUL(cpae_code_hash(F.code_e, NULL));
}
SWEEP_FN(cpae_code_hamming)
{
    NUL(cpae_code_hamming(NULL, F.code_e, I64));
    NUL(cpae_code_hamming(F.code_e, NULL, I64));
    NUL(cpae_code_hamming(F.code_e, F.code_e, NULL));
}
SWEEP_FN(cpae_code_popcount)
{
    NUL(cpae_code_popcount(NULL, I64));
    NUL(cpae_code_popcount(F.code_e, NULL));
}
SWEEP_FN(cpae_code_to_bytes)
{
    /* written is optional. */
    NUL(cpae_code_to_bytes(NULL, BB, F.cb_a, I64));
    NUL(cpae_code_to_bytes(F.code_a, NULL, F.cb_a, I64));
    SMALL(cpae_code_to_bytes(F.code_a, BB, F.cb_a - 1, I64));
    uint8_t b[16];
    OPT(cpae_code_to_bytes(F.code_a, b, 16, NULL));
}
SWEEP_FN(cpae_code_from_bytes)
{
    const uint8_t b[2] = {0, 0};
    NUL(cpae_code_from_bytes(NULL, b, F.cb_a));
    NUL(cpae_code_from_bytes(F.code_a, NULL, F.cb_a));
}

/* Per-region affine maps. */
SWEEP_FN(cpae_affine_create)
{
    cpae_affine *a = NULL;
    NUL(cpae_affine_create(NULL, E, &a));
    NUL(cpae_affine_create(M, E, NULL));
    ck_assert_ptr_null(a);
}
SWEEP_FN(cpae_affine_destroy) { cpae_affine_destroy(NULL); }
SWEEP_FN(cpae_model_affine)
{
    NUL(cpae_model_affine(NULL, E, X, DD, F.aff_e));
    NUL(cpae_model_affine(M, E, NULL, DD, F.aff_e));
    NUL(cpae_model_affine(M, E, X, DD, NULL));
}
SWEEP_FN(cpae_model_region_maps)
{
    /* enc, dec and ae are optional. */
    NUL(cpae_model_region_maps(NULL, X, DD, F.aff_e, F.aff_d, F.aff_a));
    NUL(cpae_model_region_maps(M, NULL, DD, F.aff_e, F.aff_d, F.aff_a));
    OPT(cpae_model_region_maps(M, X, DD, NULL, NULL, NULL));
}
SWEEP_FN(cpae_affine_dims)
{
    NUL(cpae_affine_dims(NULL, I64, I64));
    OPT(cpae_affine_dims(F.aff_e, NULL, NULL));
}
/* The encoder map is 2 x 4: 8 slope and 2 offset values. */
SWEEP_FN(cpae_affine_get_slope)
{
    NUL(cpae_affine_get_slope(NULL, FB, 8));
    NUL(cpae_affine_get_slope(F.aff_e, NULL, 8));
    SMALL(cpae_affine_get_slope(F.aff_e, FB, 7));
}
SWEEP_FN(cpae_affine_get_offset)
{
    NUL(cpae_affine_get_offset(NULL, FB, 2));
    NUL(cpae_affine_get_offset(F.aff_e, NULL, 2));
    SMALL(cpae_affine_get_offset(F.aff_e, FB, 1));
}
SWEEP_FN(cpae_affine_get_slope_f64)
{
    NUL(cpae_affine_get_slope_f64(NULL, DB, 8));
    NUL(cpae_affine_get_slope_f64(F.aff_e, NULL, 8));
    SMALL(cpae_affine_get_slope_f64(F.aff_e, DB, 7));
}
SWEEP_FN(cpae_affine_get_offset_f64)
{
    NUL(cpae_affine_get_offset_f64(NULL, DB, 2));
    NUL(cpae_affine_get_offset_f64(F.aff_e, NULL, 2));
    SMALL(cpae_affine_get_offset_f64(F.aff_e, DB, 1));
}
SWEEP_FN(cpae_affine_apply)
{
    NUL(cpae_affine_apply(NULL, F.x, 3, DD, FB, 3 * TU_H));
    NUL(cpae_affine_apply(F.aff_e, NULL, 3, DD, FB, 3 * TU_H));
    NUL(cpae_affine_apply(F.aff_e, F.x, 3, DD, NULL, 3 * TU_H));
    SMALL(cpae_affine_apply(F.aff_e, F.x, 3, DD, FB, 3 * TU_H - 1));
}
SWEEP_FN(cpae_affine_compose)
{
    NUL(cpae_affine_compose(NULL, F.aff_e, F.aff_a));
    NUL(cpae_affine_compose(F.aff_d, NULL, F.aff_a));
    NUL(cpae_affine_compose(F.aff_d, F.aff_e, NULL));
}

/* Geometry. */
SWEEP_FN(cpae_model_boundary_distance)
{
    /* unit and normal are optional. */
    NUL(cpae_model_boundary_distance(NULL, E, X, DD, DBL, I64, FB, DD));
    NUL(cpae_model_boundary_distance(M, E, NULL, DD, DBL, I64, FB, DD));
    NUL(cpae_model_boundary_distance(M, E, X, DD, NULL, I64, FB, DD));
    SMALL(cpae_model_boundary_distance(M, E, X, DD, DBL, I64, FB, DD - 1));
    double r = 0;
    OPT(cpae_model_boundary_distance(M, E, X, DD, &r, NULL, NULL, 0));
}
SWEEP_FN(cpae_model_boundary_distances)
{
    NUL(cpae_model_boundary_distances(NULL, E, F.x, 3, DD, DB, 3));
    NUL(cpae_model_boundary_distances(M, E, NULL, 3, DD, DB, 3));
    NUL(cpae_model_boundary_distances(M, E, F.x, 3, DD, NULL, 3));
    SMALL(cpae_model_boundary_distances(M, E, F.x, 3, DD, DB, 2));
}
SWEEP_FN(cpae_model_segment)
{
    cpae_path *p = NULL;
    NUL(cpae_model_segment(NULL, E, TU_X0, TU_X1, DD, 100, &p));
    NUL(cpae_model_segment(M, E, NULL, TU_X1, DD, 100, &p));
    NUL(cpae_model_segment(M, E, TU_X0, NULL, DD, 100, &p));
    NUL(cpae_model_segment(M, E, TU_X0, TU_X1, DD, 100, NULL));
    ck_assert_ptr_null(p);
}
SWEEP_FN(cpae_path_destroy) { cpae_path_destroy(NULL); }
SWEEP_FN(cpae_path_n_regions)
{
    NUL(cpae_path_n_regions(NULL, I64));
    NUL(cpae_path_n_regions(F.path, NULL));
}
SWEEP_FN(cpae_path_params)
{
    NUL(cpae_path_params(NULL, DB, F.n_path));
    NUL(cpae_path_params(F.path, NULL, F.n_path));
    SMALL(cpae_path_params(F.path, DB, F.n_path - 1));
}
SWEEP_FN(cpae_path_code)
{
    cpae_code *c = NULL;
    CK_OK(cpae_code_clone(F.code_a, &c));
    NUL(cpae_path_code(NULL, 0, c));
    NUL(cpae_path_code(F.path, 0, NULL));
    cpae_code_destroy(c);
}
SWEEP_FN(cpae_path_codes)
{
    NUL(cpae_path_codes(NULL, BB, F.n_path * F.cb_a));
    NUL(cpae_path_codes(F.path, NULL, F.n_path * F.cb_a));
    SMALL(cpae_path_codes(F.path, BB, F.n_path * F.cb_a - 1));
}
SWEEP_FN(cpae_model_count_regions_in_ball)
{
    NUL(cpae_model_count_regions_in_ball(NULL, E, X, DD, 0.5, 8, 1, I64));
    NUL(cpae_model_count_regions_in_ball(M, E, NULL, DD, 0.5, 8, 1, I64));
    NUL(cpae_model_count_regions_in_ball(M, E, X, DD, 0.5, 8, 1, NULL));
}
SWEEP_FN(cpae_model_slice)
{
    cpae_slice *s = NULL;
    NUL(cpae_model_slice(NULL, E, X, F.e1, F.e2, DD, -1, 1, -1, 1, 100, &s));
    NUL(cpae_model_slice(M, E, NULL, F.e1, F.e2, DD, -1, 1, -1, 1, 100, &s));
    NUL(cpae_model_slice(M, E, X, NULL, F.e2, DD, -1, 1, -1, 1, 100, &s));
    NUL(cpae_model_slice(M, E, X, F.e1, NULL, DD, -1, 1, -1, 1, 100, &s));
    NUL(cpae_model_slice(M, E, X, F.e1, F.e2, DD, -1, 1, -1, 1, 100, NULL));
    ck_assert_ptr_null(s);
}
SWEEP_FN(cpae_slice_destroy) { cpae_slice_destroy(NULL); }
SWEEP_FN(cpae_slice_n_polygons)
{
    NUL(cpae_slice_n_polygons(NULL, I64));
    NUL(cpae_slice_n_polygons(F.slice, NULL));
}
SWEEP_FN(cpae_slice_polygon_size)
{
    NUL(cpae_slice_polygon_size(NULL, 0, I64));
    NUL(cpae_slice_polygon_size(F.slice, 0, NULL));
}
SWEEP_FN(cpae_slice_polygon)
{
    NUL(cpae_slice_polygon(NULL, 0, DB, 2 * F.poly0_vertices));
    NUL(cpae_slice_polygon(F.slice, 0, NULL, 2 * F.poly0_vertices));
    SMALL(cpae_slice_polygon(F.slice, 0, DB, 2 * F.poly0_vertices - 1));
}
SWEEP_FN(cpae_slice_area)
{
    NUL(cpae_slice_area(NULL, 0, DBL));
    NUL(cpae_slice_area(F.slice, 0, NULL));
}
SWEEP_FN(cpae_slice_code)
{
    cpae_code *c = NULL;
    CK_OK(cpae_code_clone(F.code_e, &c));
    NUL(cpae_slice_code(NULL, 0, c));
    NUL(cpae_slice_code(F.slice, 0, NULL));
    cpae_code_destroy(c);
}
SWEEP_FN(cpae_slice_codes)
{
    NUL(cpae_slice_codes(NULL, BB, F.n_poly * F.cb_e));
    NUL(cpae_slice_codes(F.slice, NULL, F.n_poly * F.cb_e));
    SMALL(cpae_slice_codes(F.slice, BB, F.n_poly * F.cb_e - 1));
}
SWEEP_FN(cpae_slice_map)
{
    /* a and b are optional; the encoder's output width is h = 2. */
    NUL(cpae_slice_map(NULL, 0, DB, 2 * TU_H, DB + 64, TU_H));
    SMALL(cpae_slice_map(F.slice, 0, DB, 2 * TU_H - 1, DB + 64, TU_H));
    SMALL(cpae_slice_map(F.slice, 0, DB, 2 * TU_H, DB + 64, TU_H - 1));
    OPT(cpae_slice_map(F.slice, 0, NULL, 0, NULL, 0));
}
SWEEP_FN(cpae_model_raster)
{
    /* codes is optional; 16 x 16 pixels. */
    const int64_t nl = F.raster_labels, cb = F.cb_e;
    NUL(cpae_model_raster(NULL, E, X, F.e1, F.e2, DD, -1, 1, -1, 1, 16, 16, IB, 256, BB, nl * cb,
                          I64));
    NUL(cpae_model_raster(M, E, NULL, F.e1, F.e2, DD, -1, 1, -1, 1, 16, 16, IB, 256, BB, nl * cb,
                          I64));
    NUL(cpae_model_raster(M, E, X, NULL, F.e2, DD, -1, 1, -1, 1, 16, 16, IB, 256, BB, nl * cb,
                          I64));
    NUL(cpae_model_raster(M, E, X, F.e1, NULL, DD, -1, 1, -1, 1, 16, 16, IB, 256, BB, nl * cb,
                          I64));
    NUL(cpae_model_raster(M, E, X, F.e1, F.e2, DD, -1, 1, -1, 1, 16, 16, NULL, 256, BB, nl * cb,
                          I64));
    NUL(cpae_model_raster(M, E, X, F.e1, F.e2, DD, -1, 1, -1, 1, 16, 16, IB, 256, BB, nl * cb,
                          NULL));
    SMALL(cpae_model_raster(M, E, X, F.e1, F.e2, DD, -1, 1, -1, 1, 16, 16, IB, 255, BB, nl * cb,
                            I64));
    /* codes_cap too small: documented to write nothing else and to set
     * *n_labels to the count needed. */
    int32_t lab[256];
    for (int i = 0; i < 256; i++)
        lab[i] = S_I32;
    int64_t n_labels = -1;
    SMALL(cpae_model_raster(M, E, X, F.e1, F.e2, DD, -1, 1, -1, 1, 16, 16, lab, 256, BB,
                            nl * cb - 1, &n_labels));
    ck_assert_int_eq(n_labels, nl);
    for (int i = 0; i < 256; i++)
        ck_assert_msg(lab[i] == S_I32, "cpae_model_raster wrote labels on failure");
    OPT(cpae_model_raster(M, E, X, F.e1, F.e2, DD, -1, 1, -1, 1, 16, 16, lab, 256, NULL, 0,
                          &n_labels));
}

/* Persistence. */
SWEEP_FN(cpae_model_save)
{
    NUL(cpae_model_save(NULL, F.save_path));
    NUL(cpae_model_save(M, NULL));
    struct stat st;
    ck_assert_msg(stat(F.save_path, &st) != 0, "a failing save created %s", F.save_path);
}
SWEEP_FN(cpae_model_save_size)
{
    NUL(cpae_model_save_size(NULL, I64));
    NUL(cpae_model_save_size(M, NULL));
}
SWEEP_FN(cpae_model_save_to_buffer)
{
    int64_t written = -1;
    NUL(cpae_model_save_to_buffer(NULL, BB, F.model_bytes, I64));
    NUL(cpae_model_save_to_buffer(M, NULL, F.model_bytes, I64));
    NUL(cpae_model_save_to_buffer(M, BB, F.model_bytes, NULL));
    /* Documented: *written receives the size, nothing is written to buf. */
    SMALL(cpae_model_save_to_buffer(M, BB, F.model_bytes - 1, &written));
    ck_assert_int_eq(written, F.model_bytes);
}
SWEEP_FN(cpae_model_save_to_callback)
{
    NUL(cpae_model_save_to_callback(NULL, write_ok, NULL));
    NUL(cpae_model_save_to_callback(M, NULL, NULL));
}
SWEEP_FN(cpae_model_load)
{
    cpae_model *m = NULL;
    NUL(cpae_model_load(NULL, &m));
    NUL(cpae_model_load(F.model_path, NULL));
    ck_assert_ptr_null(m);
}
SWEEP_FN(cpae_model_load_from_buffer)
{
    uint8_t *buf = malloc((size_t)F.model_bytes);
    ck_assert_ptr_nonnull(buf);
    int64_t n = 0;
    CK_OK(cpae_model_save_to_buffer(M, buf, F.model_bytes, &n));
    cpae_model *m = NULL;
    NUL(cpae_model_load_from_buffer(NULL, n, &m));
    NUL(cpae_model_load_from_buffer(buf, n, NULL));
    free(buf);
    ck_assert_ptr_null(m);
}

/* Models with generators (format version 2). */
SWEEP_FN(cpae_model_save_lie)
{
    NUL(cpae_model_save_lie(NULL, F.lie, F.save_path));
    NUL(cpae_model_save_lie(M, F.lie, NULL));
    struct stat st;
    ck_assert_msg(stat(F.save_path, &st) != 0, "a failing save created %s", F.save_path);
}
SWEEP_FN(cpae_model_save_lie_size)
{
    NUL(cpae_model_save_lie_size(NULL, F.lie, I64));
    NUL(cpae_model_save_lie_size(M, F.lie, NULL));
}
SWEEP_FN(cpae_model_save_lie_to_buffer)
{
    int64_t need = 0, written = -1;
    CK_OK(cpae_model_save_lie_size(M, F.lie, &need));
    ck_assert_int_le(need, SCRATCH);
    NUL(cpae_model_save_lie_to_buffer(NULL, F.lie, BB, need, I64));
    NUL(cpae_model_save_lie_to_buffer(M, F.lie, NULL, need, I64));
    NUL(cpae_model_save_lie_to_buffer(M, F.lie, BB, need, NULL));
    SMALL(cpae_model_save_lie_to_buffer(M, F.lie, BB, need - 1, &written));
    ck_assert_int_eq(written, need);
}
SWEEP_FN(cpae_model_load_lie)
{
    cpae_model *m = NULL;
    cpae_lie *l = NULL;
    NUL(cpae_model_load_lie(NULL, &m, &l));
    NUL(cpae_model_load_lie(F.model_path, NULL, &l));
    NUL(cpae_model_load_lie(F.model_path, &m, NULL));
    ck_assert(m == NULL && l == NULL);
}
SWEEP_FN(cpae_model_load_lie_from_buffer)
{
    uint8_t buf[8] = "CPAEMODL";
    cpae_model *m = NULL;
    cpae_lie *l = NULL;
    NUL(cpae_model_load_lie_from_buffer(NULL, 8, &m, &l));
    NUL(cpae_model_load_lie_from_buffer(buf, 8, NULL, &l));
    NUL(cpae_model_load_lie_from_buffer(buf, 8, &m, NULL));
    ck_assert(m == NULL && l == NULL);
}

/* Lie generators (d = 4, k = 1). */
SWEEP_FN(cpae_lie_create)
{
    NUL(cpae_lie_create(4, 1, CPAE_LIE_SKEW, 1, NULL));
}
SWEEP_FN(cpae_lie_destroy) { cpae_lie_destroy(NULL); }
SWEEP_FN(cpae_lie_clone)
{
    cpae_lie *l = NULL;
    NUL(cpae_lie_clone(NULL, &l));
    NUL(cpae_lie_clone(F.lie, NULL));
    ck_assert_ptr_null(l);
}
SWEEP_FN(cpae_lie_info)
{
    NUL(cpae_lie_info(NULL, I64, I64, I32));
    OPT(cpae_lie_info(F.lie, NULL, NULL, NULL));
}
SWEEP_FN(cpae_lie_set_trainable)
{
    NUL(cpae_lie_set_trainable(NULL, 1));
}
SWEEP_FN(cpae_lie_trainable)
{
    NUL(cpae_lie_trainable(NULL, I32));
    NUL(cpae_lie_trainable(F.lie, NULL));
}
SWEEP_FN(cpae_lie_set)
{
    NUL(cpae_lie_set(NULL, F.g, 16));
    NUL(cpae_lie_set(F.lie, NULL, 16));
}
SWEEP_FN(cpae_lie_get)
{
    NUL(cpae_lie_get(NULL, FB, 16));
    NUL(cpae_lie_get(F.lie, NULL, 16));
    SMALL(cpae_lie_get(F.lie, FB, 15));
}
SWEEP_FN(cpae_lie_expm)
{
    NUL(cpae_lie_expm(NULL, F.theta, 1, FB, 16));
    NUL(cpae_lie_expm(F.lie, NULL, 1, FB, 16));
    NUL(cpae_lie_expm(F.lie, F.theta, 1, NULL, 16));
    SMALL(cpae_lie_expm(F.lie, F.theta, 1, FB, 15));
}
SWEEP_FN(cpae_lie_orbit)
{
    NUL(cpae_lie_orbit(NULL, 0, X, DD, F.theta, 2, FB, 8));
    NUL(cpae_lie_orbit(F.lie, 0, NULL, DD, F.theta, 2, FB, 8));
    NUL(cpae_lie_orbit(F.lie, 0, X, DD, NULL, 2, FB, 8));
    NUL(cpae_lie_orbit(F.lie, 0, X, DD, F.theta, 2, NULL, 8));
    SMALL(cpae_lie_orbit(F.lie, 0, X, DD, F.theta, 2, FB, 7));
}
SWEEP_FN(cpae_lie_cosine)
{
    /* points, full and restricted are optional. */
    NUL(cpae_lie_cosine(NULL, 0, F.g, 16, F.x, N_X, DBL, DBL));
    NUL(cpae_lie_cosine(F.lie, 0, NULL, 16, F.x, N_X, DBL, DBL));
    OPT(cpae_lie_cosine(F.lie, 0, F.g, 16, NULL, 0, NULL, NULL));
}
SWEEP_FN(cpae_shift_generator)
{
    NUL(cpae_shift_generator(4, NULL, 16));
    SMALL(cpae_shift_generator(4, FB, 15));
}

/* Region statistics and the report. */
SWEEP_FN(cpae_model_orbit_regions)
{
    NUL(cpae_model_orbit_regions(NULL, E, F.lie, 0, X, DD, 0.0, 1.0, 8, 0, I64, I64));
    NUL(cpae_model_orbit_regions(M, E, NULL, 0, X, DD, 0.0, 1.0, 8, 0, I64, I64));
    NUL(cpae_model_orbit_regions(M, E, F.lie, 0, NULL, DD, 0.0, 1.0, 8, 0, I64, I64));
    NUL(cpae_model_orbit_regions(M, E, F.lie, 0, X, DD, 0.0, 1.0, 8, 0, NULL, I64));
    NUL(cpae_model_orbit_regions(M, E, F.lie, 0, X, DD, 0.0, 1.0, 8, 0, I64, NULL));
}
SWEEP_FN(cpae_model_ball_profile)
{
    const double radii[2] = {0.1, 0.5};
    NUL(cpae_model_ball_profile(NULL, E, F.x, N_X, DD, X, radii, 2, 8, 1, KB, KB + 8, 2));
    NUL(cpae_model_ball_profile(M, E, NULL, N_X, DD, X, radii, 2, 8, 1, KB, KB + 8, 2));
    NUL(cpae_model_ball_profile(M, E, F.x, N_X, DD, NULL, radii, 2, 8, 1, KB, KB + 8, 2));
    NUL(cpae_model_ball_profile(M, E, F.x, N_X, DD, X, NULL, 2, 8, 1, KB, KB + 8, 2));
    NUL(cpae_model_ball_profile(M, E, F.x, N_X, DD, X, radii, 2, 8, 1, NULL, KB + 8, 2));
    NUL(cpae_model_ball_profile(M, E, F.x, N_X, DD, X, radii, 2, 8, 1, KB, NULL, 2));
    SMALL(cpae_model_ball_profile(M, E, F.x, N_X, DD, X, radii, 2, 8, 1, KB, KB + 8, 1));
}
SWEEP_FN(cpae_report_create)
{
    /* lie is optional. */
    cpae_report *r = NULL;
    NUL(cpae_report_create(NULL, F.lie, F.x, N_X, DD, &r));
    NUL(cpae_report_create(M, F.lie, NULL, N_X, DD, &r));
    NUL(cpae_report_create(M, F.lie, F.x, N_X, DD, NULL));
    ck_assert_ptr_null(r);
    OPT(cpae_report_create(M, NULL, F.x, N_X, DD, &r));
    cpae_report_destroy(r);
}
SWEEP_FN(cpae_report_destroy) { cpae_report_destroy(NULL); }
SWEEP_FN(cpae_report_get)
{
    NUL(cpae_report_get(NULL, CPAE_REPORT_N_SAMPLES, DBL));
    NUL(cpae_report_get(F.report, CPAE_REPORT_N_SAMPLES, NULL));
}
SWEEP_FN(cpae_report_distances)
{
    NUL(cpae_report_distances(NULL, CPAE_DECODER, DB, N_X));
    NUL(cpae_report_distances(F.report, CPAE_DECODER, NULL, N_X));
    SMALL(cpae_report_distances(F.report, CPAE_DECODER, DB, N_X - 1));
}
SWEEP_FN(cpae_report_json)
{
    /* buf NULL is a size query; documented: cap < *len leaves buf
     * untouched. */
    int64_t len = -1;
    NUL(cpae_report_json(NULL, F.cb, F.json_len, I64));
    NUL(cpae_report_json(F.report, F.cb, F.json_len, NULL));
    ck_assert_int_lt(F.json_len, SCRATCH);
    SMALL(cpae_report_json(F.report, F.cb, F.json_len - 1, &len));
    ck_assert_int_eq(len, F.json_len);
}

/* Training. */
SWEEP_FN(cpae_n_loss_terms) { ck_assert_int_eq(cpae_n_loss_terms(), CPAE_N_LOSS_TERMS); }
SWEEP_FN(cpae_loss_term_name)
{
    ck_assert_ptr_nonnull(cpae_loss_term_name(CPAE_TERM_TOTAL));
    ck_assert_ptr_nonnull(cpae_loss_term_name(-1));
}
SWEEP_FN(cpae_param_bounds)
{
    /* Every output is optional: nothing can be NULL wrongly. */
    OPT(cpae_param_bounds(CPAE_P_LEARNING_RATE, NULL, NULL, NULL));
}
SWEEP_FN(cpae_trainer_create)
{
    /* lie is optional for CPAE_METHOD_AE. */
    cpae_trainer *t = NULL;
    NUL(cpae_trainer_create(NULL, NULL, CPAE_METHOD_AE, &t));
    NUL(cpae_trainer_create(F.tmodel, NULL, CPAE_METHOD_AE, NULL));
    ck_assert_ptr_null(t);
    OPT(cpae_trainer_create(F.tmodel, NULL, CPAE_METHOD_AE, &t));
    cpae_trainer_destroy(t);
}
SWEEP_FN(cpae_trainer_destroy) { cpae_trainer_destroy(NULL); }
SWEEP_FN(cpae_trainer_set_param) { NUL(cpae_trainer_set_param(NULL, CPAE_P_EPOCHS, 2)); }
SWEEP_FN(cpae_trainer_get_param)
{
    NUL(cpae_trainer_get_param(NULL, CPAE_P_EPOCHS, DBL));
    NUL(cpae_trainer_get_param(F.trainer, CPAE_P_EPOCHS, NULL));
}
SWEEP_FN(cpae_trainer_set_data)
{
    NUL(cpae_trainer_set_data(NULL, F.x, N_X, DD));
    NUL(cpae_trainer_set_data(F.trainer, NULL, N_X, DD));
}
SWEEP_FN(cpae_trainer_set_validation)
{
    NUL(cpae_trainer_set_validation(NULL, F.x, N_X, DD));
    NUL(cpae_trainer_set_validation(F.trainer, NULL, N_X, DD));
}
SWEEP_FN(cpae_trainer_set_callback)
{
    NUL(cpae_trainer_set_callback(NULL, NULL, NULL));
    OPT(cpae_trainer_set_callback(F.trainer, NULL, NULL)); /* none installed: no change */
}
SWEEP_FN(cpae_trainer_fit) { NUL(cpae_trainer_fit(NULL)); }
SWEEP_FN(cpae_trainer_fit_info)
{
    NUL(cpae_trainer_fit_info(NULL, I64, I64, DBL));
    OPT(cpae_trainer_fit_info(F.trainer, NULL, NULL, NULL));
}
SWEEP_FN(cpae_trainer_set_epoch_callback)
{
    NUL(cpae_trainer_set_epoch_callback(NULL, NULL, NULL));
    OPT(cpae_trainer_set_epoch_callback(F.trainer, NULL, NULL));
}
SWEEP_FN(cpae_trainer_history)
{
    int64_t rows = -1, cols = -1;
    NUL(cpae_trainer_history(NULL, DB, 0, &rows, &cols));
    NUL(cpae_trainer_history(F.trainer, NULL, 4, &rows, &cols));
    NUL(cpae_trainer_history(F.trainer, DB, 0, NULL, &cols));
    NUL(cpae_trainer_history(F.trainer, DB, 0, &rows, NULL));
    ck_assert(rows == -1 && cols == -1);
}
SWEEP_FN(cpae_trainer_best_epoch)
{
    NUL(cpae_trainer_best_epoch(NULL, I64, I64, DBL));
    OPT(cpae_trainer_best_epoch(F.trainer, NULL, NULL, NULL));
}
SWEEP_FN(cpae_trainer_fit_state)
{
    NUL(cpae_trainer_fit_state(NULL, I32, I64, I64));
    OPT(cpae_trainer_fit_state(F.trainer, NULL, NULL, NULL));
}
SWEEP_FN(cpae_trainer_resume) { NUL(cpae_trainer_resume(NULL)); }
static int32_t reduce_none(void *u, double *v, int64_t n)
{
    (void)u, (void)v, (void)n;
    return 0;
}
SWEEP_FN(cpae_trainer_set_parallel)
{
    const int64_t ids[1] = {0};
    NUL(cpae_trainer_set_parallel(NULL, 1, 1, ids, NULL, reduce_none, NULL));
    NUL(cpae_trainer_set_parallel(F.trainer, 1, 1, NULL, NULL, reduce_none, NULL));
}
SWEEP_FN(cpae_trainer_save_checkpoint)
{
    NUL(cpae_trainer_save_checkpoint(NULL, F.save_path));
    NUL(cpae_trainer_save_checkpoint(F.trainer, NULL));
    struct stat st;
    ck_assert_msg(stat(F.save_path, &st) != 0, "a failing save created %s", F.save_path);
}
SWEEP_FN(cpae_trainer_checkpoint_size)
{
    NUL(cpae_trainer_checkpoint_size(NULL, I64));
    NUL(cpae_trainer_checkpoint_size(F.trainer, NULL));
}
SWEEP_FN(cpae_trainer_save_checkpoint_to_buffer)
{
    int64_t need = 0, written = -1;
    CK_OK(cpae_trainer_checkpoint_size(F.trainer, &need));
    ck_assert_int_le(need, SCRATCH);
    NUL(cpae_trainer_save_checkpoint_to_buffer(NULL, BB, need, I64));
    NUL(cpae_trainer_save_checkpoint_to_buffer(F.trainer, NULL, need, I64));
    NUL(cpae_trainer_save_checkpoint_to_buffer(F.trainer, BB, need, NULL));
    SMALL(cpae_trainer_save_checkpoint_to_buffer(F.trainer, BB, need - 1, &written));
    ck_assert_int_eq(written, need);
}
SWEEP_FN(cpae_trainer_load_checkpoint)
{
    NUL(cpae_trainer_load_checkpoint(NULL, F.save_path));
    NUL(cpae_trainer_load_checkpoint(F.trainer, NULL));
}
SWEEP_FN(cpae_trainer_load_checkpoint_from_buffer)
{
    uint8_t buf[8] = "CPAECKPT";
    NUL(cpae_trainer_load_checkpoint_from_buffer(NULL, buf, 8));
    NUL(cpae_trainer_load_checkpoint_from_buffer(F.trainer, NULL, 8));
}
SWEEP_FN(cpae_trainer_n_params)
{
    NUL(cpae_trainer_n_params(NULL, I64));
    NUL(cpae_trainer_n_params(F.trainer, NULL));
}
SWEEP_FN(cpae_trainer_workspace_size)
{
    NUL(cpae_trainer_workspace_size(NULL, I64));
    NUL(cpae_trainer_workspace_size(F.trainer, NULL));
}
SWEEP_FN(cpae_trainer_get_params)
{
    NUL(cpae_trainer_get_params(NULL, FB, F.n_tparams));
    NUL(cpae_trainer_get_params(F.trainer, NULL, F.n_tparams));
    SMALL(cpae_trainer_get_params(F.trainer, FB, F.n_tparams - 1));
}
SWEEP_FN(cpae_trainer_set_params)
{
    NUL(cpae_trainer_set_params(NULL, F.params, F.n_tparams));
    NUL(cpae_trainer_set_params(F.trainer, NULL, F.n_tparams));
}
SWEEP_FN(cpae_trainer_gradient)
{
    /* grad is optional; terms takes at least CPAE_TERM_TOTAL + 1 values. */
    const int64_t nt = CPAE_TERM_TOTAL + 1, np = F.n_tparams;
    NUL(cpae_trainer_gradient(NULL, F.x, 4, DD, DB, nt, FB, np));
    NUL(cpae_trainer_gradient(F.trainer, NULL, 4, DD, DB, nt, FB, np));
    NUL(cpae_trainer_gradient(F.trainer, F.x, 4, DD, NULL, nt, FB, np));
    SMALL(cpae_trainer_gradient(F.trainer, F.x, 4, DD, DB, nt - 1, FB, np));
    SMALL(cpae_trainer_gradient(F.trainer, F.x, 4, DD, DB, nt, FB, np - 1));
}
SWEEP_FN(cpae_trainer_apply_gradient)
{
    float grad[1024] = {0};
    NUL(cpae_trainer_apply_gradient(NULL, grad, F.n_tparams));
    NUL(cpae_trainer_apply_gradient(F.trainer, NULL, F.n_tparams));
}
SWEEP_FN(cpae_trainer_step)
{
    const int64_t nt = CPAE_TERM_TOTAL + 1;
    NUL(cpae_trainer_step(NULL, F.x, 4, DD, DB, nt));
    NUL(cpae_trainer_step(F.trainer, NULL, 4, DD, DB, nt));
    NUL(cpae_trainer_step(F.trainer, F.x, 4, DD, NULL, nt));
    SMALL(cpae_trainer_step(F.trainer, F.x, 4, DD, DB, nt - 1));
}

/* Data sets and evaluation. */
SWEEP_FN(cpae_dataset_load)
{
    cpae_dataset *d = NULL;
    NUL(cpae_dataset_load(NULL, CPAE_FORMAT_UCR, &d));
    NUL(cpae_dataset_load(F.ucr_path, CPAE_FORMAT_UCR, NULL));
    ck_assert_ptr_null(d);
}
SWEEP_FN(cpae_dataset_load_limit)
{
    cpae_dataset *d = NULL;
    NUL(cpae_dataset_load_limit(NULL, CPAE_FORMAT_UCR, 1 << 20, &d));
    NUL(cpae_dataset_load_limit(F.ucr_path, CPAE_FORMAT_UCR, 1 << 20, NULL));
    ck_assert_ptr_null(d);
}
SWEEP_FN(cpae_dataset_load_idx)
{
    /* labels_path is optional. */
    cpae_dataset *d = NULL;
    NUL(cpae_dataset_load_idx(NULL, NULL, &d));
    NUL(cpae_dataset_load_idx(F.idx_path, NULL, NULL));
    ck_assert_ptr_null(d);
    OPT(cpae_dataset_load_idx(F.idx_path, NULL, &d));
    cpae_dataset_destroy(d);
}
SWEEP_FN(cpae_dataset_load_idx_limit)
{
    cpae_dataset *d = NULL;
    NUL(cpae_dataset_load_idx_limit(NULL, NULL, 1 << 20, &d));
    NUL(cpae_dataset_load_idx_limit(F.idx_path, NULL, 1 << 20, NULL));
    ck_assert_ptr_null(d);
}
SWEEP_FN(cpae_dataset_wrap)
{
    /* labels is optional. */
    cpae_dataset *d = NULL;
    NUL(cpae_dataset_wrap(NULL, N_X, DD, F.labels, &d));
    NUL(cpae_dataset_wrap(F.x, N_X, DD, F.labels, NULL));
    ck_assert_ptr_null(d);
    OPT(cpae_dataset_wrap(F.x, N_X, DD, NULL, &d));
    cpae_dataset_destroy(d);
}
SWEEP_FN(cpae_dataset_destroy) { cpae_dataset_destroy(NULL); }
SWEEP_FN(cpae_dataset_info)
{
    NUL(cpae_dataset_info(NULL, I64, I64, I32));
    OPT(cpae_dataset_info(F.ds, NULL, NULL, NULL));
}
SWEEP_FN(cpae_dataset_data)
{
    NUL(cpae_dataset_data(NULL, &F.cfp));
    NUL(cpae_dataset_data(F.ds, NULL));
}
SWEEP_FN(cpae_dataset_labels)
{
    NUL(cpae_dataset_labels(NULL, IB, N_X));
    NUL(cpae_dataset_labels(F.ds, NULL, N_X));
    SMALL(cpae_dataset_labels(F.ds, IB, N_X - 1));
}
SWEEP_FN(cpae_dataset_split)
{
    cpae_dataset *t = NULL, *v = NULL;
    NUL(cpae_dataset_split(NULL, 0.25, 1, &t, &v));
    NUL(cpae_dataset_split(F.ds, 0.25, 1, NULL, &v));
    NUL(cpae_dataset_split(F.ds, 0.25, 1, &t, NULL));
    ck_assert_ptr_null(t);
    ck_assert_ptr_null(v);
}
SWEEP_FN(cpae_normalizer_fit)
{
    cpae_normalizer *n = NULL;
    NUL(cpae_normalizer_fit(NULL, CPAE_NORM_MINMAX, &n));
    NUL(cpae_normalizer_fit(F.ds, CPAE_NORM_MINMAX, NULL));
    ck_assert_ptr_null(n);
}
SWEEP_FN(cpae_normalizer_destroy) { cpae_normalizer_destroy(NULL); }
SWEEP_FN(cpae_normalizer_apply)
{
    NUL(cpae_normalizer_apply(NULL, F.ds));
    NUL(cpae_normalizer_apply(F.norm, NULL));
}
SWEEP_FN(cpae_model_evaluate)
{
    /* mse and rel are optional. */
    NUL(cpae_model_evaluate(NULL, F.x, N_X, DD, DBL, DBL));
    NUL(cpae_model_evaluate(M, NULL, N_X, DD, DBL, DBL));
    OPT(cpae_model_evaluate(M, F.x, N_X, DD, NULL, NULL));
}

/* Linear baselines (k = 2, d = 4). */
SWEEP_FN(cpae_pca_fit)
{
    cpae_pca *p = NULL;
    NUL(cpae_pca_fit(NULL, N_X, DD, 2, &p));
    NUL(cpae_pca_fit(F.x, N_X, DD, 2, NULL));
    ck_assert_ptr_null(p);
}
SWEEP_FN(cpae_pca_destroy) { cpae_pca_destroy(NULL); }
SWEEP_FN(cpae_pca_info)
{
    NUL(cpae_pca_info(NULL, I64, I64, DBL));
    OPT(cpae_pca_info(F.pca, NULL, NULL, NULL));
}
SWEEP_FN(cpae_pca_mean)
{
    NUL(cpae_pca_mean(NULL, FB, DD));
    NUL(cpae_pca_mean(F.pca, NULL, DD));
    SMALL(cpae_pca_mean(F.pca, FB, DD - 1));
}
SWEEP_FN(cpae_pca_components)
{
    NUL(cpae_pca_components(NULL, FB, 2 * DD));
    NUL(cpae_pca_components(F.pca, NULL, 2 * DD));
    SMALL(cpae_pca_components(F.pca, FB, 2 * DD - 1));
}
SWEEP_FN(cpae_pca_variances)
{
    NUL(cpae_pca_variances(NULL, FB, 2));
    NUL(cpae_pca_variances(F.pca, NULL, 2));
    SMALL(cpae_pca_variances(F.pca, FB, 1));
}
SWEEP_FN(cpae_model_from_pca)
{
    cpae_model *m = NULL;
    NUL(cpae_model_from_pca(NULL, &m));
    NUL(cpae_model_from_pca(F.pca, NULL));
    ck_assert_ptr_null(m);
}
SWEEP_FN(cpae_model_init_pca)
{
    NUL(cpae_model_init_pca(NULL, F.pca, F.x, N_X, DD, 0.5));
    NUL(cpae_model_init_pca(M, NULL, F.x, N_X, DD, 0.5));
    NUL(cpae_model_init_pca(M, F.pca, NULL, N_X, DD, 0.5));
}

/* Model selection. */
SWEEP_FN(cpae_selection_create)
{
    cpae_selection *s = NULL;
    NUL(cpae_selection_create(CPAE_METHOD_AE, NULL, 3, &s));
    NUL(cpae_selection_create(CPAE_METHOD_AE, TU_W_MAIN, 3, NULL));
    ck_assert_ptr_null(s);
}
SWEEP_FN(cpae_selection_destroy) { cpae_selection_destroy(NULL); }
SWEEP_FN(cpae_selection_set_option) { NUL(cpae_selection_set_option(NULL, CPAE_SEL_SEED, 3)); }
SWEEP_FN(cpae_selection_get_option)
{
    NUL(cpae_selection_get_option(NULL, CPAE_SEL_SEED, DBL));
    NUL(cpae_selection_get_option(F.sel, CPAE_SEL_SEED, NULL));
}
SWEEP_FN(cpae_selection_set_param)
{
    NUL(cpae_selection_set_param(NULL, CPAE_P_BATCH_SIZE, 16));
}
SWEEP_FN(cpae_selection_set_grid)
{
    const double v[2] = {1e-3, 1e-2};
    NUL(cpae_selection_set_grid(NULL, CPAE_P_LEARNING_RATE, v, 2));
    NUL(cpae_selection_set_grid(F.sel, CPAE_P_LEARNING_RATE, NULL, 2));
}
SWEEP_FN(cpae_selection_set_callback)
{
    NUL(cpae_selection_set_callback(NULL, NULL, NULL));
    OPT(cpae_selection_set_callback(F.sel, NULL, NULL)); /* none installed: no change */
}
SWEEP_FN(cpae_selection_n_candidates)
{
    NUL(cpae_selection_n_candidates(NULL, I64));
    NUL(cpae_selection_n_candidates(F.sel, NULL));
}
SWEEP_FN(cpae_selection_grid_keys)
{
    /* *n_keys receives the axis count before keys and cap are checked (a
     * size query's answer, as for keys NULL with cap 0). */
    int64_t nk = -1;
    NUL(cpae_selection_grid_keys(NULL, IB, F.n_axes, I64));
    NUL(cpae_selection_grid_keys(F.sel, IB, F.n_axes, NULL));
    NUL(cpae_selection_grid_keys(F.sel, NULL, F.n_axes, &nk));
    ck_assert_int_eq(nk, F.n_axes);
    nk = -1;
    SMALL(cpae_selection_grid_keys(F.sel, IB, F.n_axes - 1, &nk));
    ck_assert_int_eq(nk, F.n_axes);
}
SWEEP_FN(cpae_selection_fit)
{
    /* lie is optional for CPAE_METHOD_AE. */
    cpae_model *m = NULL;
    NUL(cpae_selection_fit(NULL, F.x, N_X, DD, &m, NULL));
    NUL(cpae_selection_fit(F.sel, NULL, N_X, DD, &m, NULL));
    NUL(cpae_selection_fit(F.sel, F.x, N_X, DD, NULL, NULL));
    ck_assert_ptr_null(m);
}
SWEEP_FN(cpae_selection_candidate)
{
    /* values, validation and best_step are optional. */
    NUL(cpae_selection_candidate(NULL, 0, DB, F.n_axes, DBL, I64));
    SMALL(cpae_selection_candidate(F.sel, 0, DB, F.n_axes - 1, DBL, I64));
    OPT(cpae_selection_candidate(F.sel, 0, NULL, 0, NULL, NULL));
}
SWEEP_FN(cpae_selection_best)
{
    NUL(cpae_selection_best(NULL, I64));
    NUL(cpae_selection_best(F.sel, NULL));
}

/* -------------------------------------------------------------- table */

typedef struct sweep_row {
    const char *name;
    void (*run)(void);
} sweep_row;

#define ROW(fn) {#fn, sweep_##fn}

static const sweep_row SWEEP[] = {
    ROW(cpae_version_number), ROW(cpae_version_string), ROW(cpae_build_info),
    ROW(cpae_status_string), ROW(cpae_last_error), ROW(cpae_last_error_copy),
    ROW(cpae_set_last_error),
    ROW(cpae_max_layers), ROW(cpae_max_width), ROW(cpae_max_params),
    ROW(cpae_default_leaky_alpha),

    ROW(cpae_layer_create), ROW(cpae_layer_destroy), ROW(cpae_layer_dims),
    ROW(cpae_layer_activation), ROW(cpae_layer_set_weights), ROW(cpae_layer_get_weights),
    ROW(cpae_layer_set_bias), ROW(cpae_layer_get_bias), ROW(cpae_layer_forward),

    ROW(cpae_model_create), ROW(cpae_model_create_mirrored), ROW(cpae_model_from_layers),
    ROW(cpae_model_clone), ROW(cpae_model_destroy), ROW(cpae_model_dims),
    ROW(cpae_model_n_layers), ROW(cpae_model_layer_info), ROW(cpae_model_get_layer_params),
    ROW(cpae_model_set_layer_params), ROW(cpae_model_get_layer), ROW(cpae_model_n_params),
    ROW(cpae_model_sizeof), ROW(cpae_model_set_user_data), ROW(cpae_model_get_user_data),
    ROW(cpae_model_encode), ROW(cpae_model_decode), ROW(cpae_model_reconstruct),

    ROW(cpae_code_create), ROW(cpae_code_destroy), ROW(cpae_code_clone), ROW(cpae_model_code),
    ROW(cpae_model_code_bytes), ROW(cpae_model_codes), ROW(cpae_model_count_regions),
    ROW(cpae_code_info), ROW(cpae_code_bit), ROW(cpae_code_equal), ROW(cpae_code_hash),
    ROW(cpae_code_hamming), ROW(cpae_code_popcount), ROW(cpae_code_to_bytes),
    ROW(cpae_code_from_bytes),

    ROW(cpae_affine_create), ROW(cpae_affine_destroy), ROW(cpae_model_affine),
    ROW(cpae_model_region_maps), ROW(cpae_affine_dims), ROW(cpae_affine_get_slope),
    ROW(cpae_affine_get_offset), ROW(cpae_affine_get_slope_f64),
    ROW(cpae_affine_get_offset_f64), ROW(cpae_affine_apply), ROW(cpae_affine_compose),

    ROW(cpae_model_boundary_distance), ROW(cpae_model_boundary_distances),
    ROW(cpae_model_segment), ROW(cpae_path_destroy), ROW(cpae_path_n_regions),
    ROW(cpae_path_params), ROW(cpae_path_code), ROW(cpae_path_codes),
    ROW(cpae_model_count_regions_in_ball), ROW(cpae_model_slice), ROW(cpae_slice_destroy),
    ROW(cpae_slice_n_polygons), ROW(cpae_slice_polygon_size), ROW(cpae_slice_polygon),
    ROW(cpae_slice_area), ROW(cpae_slice_code), ROW(cpae_slice_codes), ROW(cpae_slice_map),
    ROW(cpae_model_raster),

    ROW(cpae_model_save), ROW(cpae_model_save_size), ROW(cpae_model_save_to_buffer),
    ROW(cpae_model_save_to_callback), ROW(cpae_model_load), ROW(cpae_model_load_from_buffer),
    ROW(cpae_model_save_lie), ROW(cpae_model_save_lie_size), ROW(cpae_model_save_lie_to_buffer),
    ROW(cpae_model_load_lie), ROW(cpae_model_load_lie_from_buffer),

    ROW(cpae_lie_create), ROW(cpae_lie_destroy), ROW(cpae_lie_clone), ROW(cpae_lie_info), ROW(cpae_lie_set_trainable), ROW(cpae_lie_trainable),
    ROW(cpae_lie_set), ROW(cpae_lie_get), ROW(cpae_lie_expm), ROW(cpae_lie_orbit),
    ROW(cpae_lie_cosine), ROW(cpae_shift_generator),

    ROW(cpae_model_orbit_regions), ROW(cpae_model_ball_profile), ROW(cpae_report_create),
    ROW(cpae_report_destroy), ROW(cpae_report_get), ROW(cpae_report_distances),
    ROW(cpae_report_json),

    ROW(cpae_n_loss_terms), ROW(cpae_loss_term_name), ROW(cpae_param_bounds),
    ROW(cpae_trainer_create), ROW(cpae_trainer_destroy), ROW(cpae_trainer_set_param),
    ROW(cpae_trainer_get_param), ROW(cpae_trainer_set_data), ROW(cpae_trainer_set_validation),
    ROW(cpae_trainer_set_callback), ROW(cpae_trainer_fit), ROW(cpae_trainer_fit_info),
    ROW(cpae_trainer_n_params), ROW(cpae_trainer_workspace_size),
    ROW(cpae_trainer_get_params), ROW(cpae_trainer_set_params),
    ROW(cpae_trainer_gradient), ROW(cpae_trainer_apply_gradient), ROW(cpae_trainer_step),
    ROW(cpae_trainer_set_epoch_callback), ROW(cpae_trainer_history), ROW(cpae_trainer_best_epoch),
    ROW(cpae_trainer_fit_state), ROW(cpae_trainer_resume), ROW(cpae_trainer_set_parallel), ROW(cpae_trainer_save_checkpoint),
    ROW(cpae_trainer_checkpoint_size), ROW(cpae_trainer_save_checkpoint_to_buffer),
    ROW(cpae_trainer_load_checkpoint), ROW(cpae_trainer_load_checkpoint_from_buffer),

    ROW(cpae_dataset_load), ROW(cpae_dataset_load_limit), ROW(cpae_dataset_load_idx),
    ROW(cpae_dataset_load_idx_limit), ROW(cpae_dataset_wrap), ROW(cpae_dataset_destroy),
    ROW(cpae_dataset_info), ROW(cpae_dataset_data), ROW(cpae_dataset_labels),
    ROW(cpae_dataset_split), ROW(cpae_normalizer_fit), ROW(cpae_normalizer_destroy),
    ROW(cpae_normalizer_apply), ROW(cpae_model_evaluate),

    ROW(cpae_pca_fit), ROW(cpae_pca_destroy), ROW(cpae_pca_info), ROW(cpae_pca_mean),
    ROW(cpae_pca_components), ROW(cpae_pca_variances), ROW(cpae_model_from_pca),
    ROW(cpae_model_init_pca),

    ROW(cpae_selection_create), ROW(cpae_selection_destroy), ROW(cpae_selection_set_option),
    ROW(cpae_selection_get_option), ROW(cpae_selection_set_param),
    ROW(cpae_selection_set_grid), ROW(cpae_selection_set_callback),
    ROW(cpae_selection_n_candidates), ROW(cpae_selection_grid_keys),
    ROW(cpae_selection_fit), ROW(cpae_selection_candidate), ROW(cpae_selection_best),
};
enum { N_ROWS = (int)(sizeof SWEEP / sizeof SWEEP[0]) };

/* One row: scratch outputs untouched and every handle unchanged. */
START_TEST(test_sweep)
{
    const sweep_row *r = &SWEEP[_i];
    snap before = {0}, after = {0};
    snapshot(&before);
    scratch_fill();
    r->run();
    scratch_check(r->name);
    snapshot(&after);
    ck_assert_msg(after.n == before.n && memcmp(after.p, before.p, before.n) == 0,
                  "%s: a fixture handle changed during its failing calls", r->name);
    free(before.p);
    free(after.p);
}
END_TEST

/* ------------------------------------------------------- completeness */

/* The header: next to this file's directory (test/ -> include/cpae.h),
 * relative to the working directory when __FILE__ is relative. */
static char *read_header(char *path, size_t cap)
{
    const char *me = __FILE__;
    const char *slash = strrchr(me, '/');
    size_t dir = slash ? (size_t)(slash - me) : 0;
    /* The repository root is the parent of test/. */
    const char *up = dir ? me + dir : me;
    while (up > me && up[-1] != '/')
        up--;
    size_t root = (size_t)(up - me);
    snprintf(path, cap, "%.*sinclude/cpae.h", (int)root, me);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, got;
    char chunk[8192];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        char *nb = realloc(buf, n + got + 1);
        if (!nb) {
            free(buf);
            fclose(f);
            return NULL;
        }
        buf = nb;
        memcpy(buf + n, chunk, got);
        n += got;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static int row_index(const char *name, size_t len)
{
    for (int i = 0; i < N_ROWS; i++)
        if (strlen(SWEEP[i].name) == len && strncmp(SWEEP[i].name, name, len) == 0)
            return i;
    return -1;
}

START_TEST(test_every_public_function_has_a_row)
{
    char path[512];
    char *hdr = read_header(path, sizeof path);
    ck_assert_msg(hdr != NULL, "cannot read %s (run from the repository root)", path);
    /* A declaration: a line starting with CPAE_API, then (possibly across
     * lines, before the first ';') the function name and its '('. */
    regex_t re;
    ck_assert_int_eq(regcomp(&re, "^CPAE_API[^;(]*[^a-z0-9_](cpae_[a-z0-9_]+)[ \t\n]*\\(",
                             REG_EXTENDED | REG_NEWLINE),
                     0);
    int seen[N_ROWS] = {0};
    int n_decl = 0;
    char missing[4096] = "";
    const char *p = hdr;
    regmatch_t mt[2];
    while (regexec(&re, p, 2, mt, p == hdr ? 0 : REG_NOTBOL) == 0) {
        const char *name = p + mt[1].rm_so;
        size_t len = (size_t)(mt[1].rm_eo - mt[1].rm_so);
        n_decl++;
        int i = row_index(name, len);
        if (i < 0) {
            size_t used = strlen(missing);
            snprintf(missing + used, sizeof missing - used, " %.*s", (int)len, name);
        } else {
            seen[i]++;
        }
        p += mt[0].rm_eo;
    }
    regfree(&re);
    free(hdr);
    ck_assert_msg(n_decl >= 100, "only %d CPAE_API declarations found in %s", n_decl, path);
    ck_assert_msg(missing[0] == '\0', "public functions of %s without a row in SWEEP:%s", path,
                  missing);
    for (int i = 0; i < N_ROWS; i++) {
        ck_assert_msg(seen[i] == 1, "row %s: %s", SWEEP[i].name,
                      seen[i] ? "declared more than once" : "no such public function");
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(SWEEP[i].name, SWEEP[j].name) != 0, "row %s appears twice",
                          SWEEP[i].name);
    }
    ck_assert_int_eq(n_decl, N_ROWS);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("api_sweep");
    TCase *tc = tcase_create("completeness");
    tcase_add_test(tc, test_every_public_function_has_a_row);
    suite_add_tcase(s, tc);

    tc = tcase_create("sweep");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_sweep, 0, N_ROWS);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
