/* check_errors.c -- error paths of every public function of cpae.h except
 * persistence (cpae_model_save*, cpae_model_load*, covered by check_io.c).
 *
 * For each function: NULL required pointers -> CPAE_E_NULL, bad sizes ->
 * CPAE_E_SIZE, small capacities -> CPAE_E_BUFFER_TOO_SMALL, NaN / +-Inf ->
 * CPAE_E_NONFINITE, bad enums and indices -> CPAE_E_INVALID, foreign handles
 * -> CPAE_E_MISMATCH, limits -> CPAE_E_LIMIT. After every failure the
 * outputs must be untouched ("state intact", cpae.h CONVENTIONS: "On failure
 * no output handle is created and no existing handle is changed"), and the
 * thread's detail message must be non-empty and name the function.
 *
 * All expectations follow the documented contract in cpae.h; where the
 * implementation deviates, the test keeps the documented expectation. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

/* ------------------------------------------------------------- helpers */

/* The message of the last failure names the function that was called, as
 * in cpae.h's example "cpae_model_encode: argument 4 ...". The name is the
 * identifier that starts the stringified call. */
static void check_names_fn(const char *call, const char *msg)
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
#define EXPECT(call, code)                                                    \
    do {                                                                      \
        CK_ERR(call, code);                                                   \
        check_names_fn(#call, cpae_last_error());                             \
    } while (0)

/* A failure on this thread, to check that later successes clear it. */
static void provoke_failure(void)
{
    int64_t d = 0;
    (void)cpae_layer_dims(NULL, &d, NULL);
    ck_assert(cpae_last_error()[0] != '\0');
}

#define SENT_F 1234.5f
#define SENT_D (-777.25)
#define SENT_B 0xA5

static void fill_f(float *x, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}
static int all_f(const float *x, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != v)
            return 0;
    return 1;
}
static void fill_d(double *x, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}
static int all_d(const double *x, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != v)
            return 0;
    return 1;
}
static int all_b(const uint8_t *x, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != v)
            return 0;
    return 1;
}

#define ASSERT_F_SENT(buf, n) \
    ck_assert_msg(all_f((buf), (n), SENT_F), "output '%s' was written on failure", #buf)
#define ASSERT_D_SENT(buf, n) \
    ck_assert_msg(all_d((buf), (n), SENT_D), "output '%s' was written on failure", #buf)
#define ASSERT_B_SENT(buf, n) \
    ck_assert_msg(all_b((buf), (n), SENT_B), "output '%s' was written on failure", #buf)

/* Main test model: mirrored ReLU 4 -> 5 -> 2 -> 5 -> 4. d = 4, h = 2;
 * code bits: encoder 5, decoder 5, autoencoder 10 (not multiples of 8). */
#define D 4
#define H 2
static const int64_t W_MAIN[] = {4, 5, 2};
/* Same d and h, another shape: 4 -> 6 -> 2 -> 6 -> 4. */
static const int64_t W_OTHER[] = {4, 6, 2};

static cpae_model *make_model(const int64_t *w, int64_t n, uint64_t seed)
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
static cpae_model *model_main(void) { return make_model(W_MAIN, 3, 11); }
static cpae_model *model_other(void) { return make_model(W_OTHER, 3, 12); }

static const float X0[D] = {0.3f, -0.2f, 0.7f, 0.1f};
static const float X1[D] = {-0.6f, 0.4f, -0.1f, 0.9f};
static const float Z0[H] = {0.25f, -0.5f};

/* A copy of a point with one entry replaced (non-finite injection). */
static void poisoned(float *dst, const float *src, int64_t n, int64_t at, float v)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
    dst[at] = v;
}

/* The three non-finite values tried everywhere. */
static const float BAD_VALUES[3] = {NAN, INFINITY, -INFINITY};

/* Run a call in a child process so that a crash (or a hang) fails the test
 * instead of killing the runner; the child reports the status and whether
 * its output buffer stayed intact through a pipe. */
typedef struct iso_result {
    int32_t status;
    int32_t intact;
} iso_result;
typedef iso_result (*iso_fn)(void *ctx);

static int run_isolated(iso_fn fn, void *ctx, iso_result *res)
{
    int fd[2];
    ck_assert_int_eq(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fd[0]);
        alarm(60);
        iso_result r = fn(ctx);
        ssize_t w = write(fd[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 3);
    }
    close(fd[1]);
    iso_result r = {-1, 0};
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

/* ============================================================ status */

START_TEST(test_status_strings)
{
    const char *seen[15];
    for (int32_t c = 0; c <= 14; c++) {
        const char *s = cpae_status_string(c);
        ck_assert_ptr_nonnull(s);
        ck_assert_msg(s[0] != '\0', "status %d has an empty string", (int)c);
        ck_assert_msg(strcmp(s, "unknown status") != 0, "status %d is unknown", (int)c);
        for (int32_t k = 0; k < c; k++)
            ck_assert_msg(strcmp(s, seen[k]) != 0, "statuses %d and %d share '%s'", (int)k,
                          (int)c, s);
        seen[c] = s;
    }
    ck_assert_str_eq(cpae_status_string(999), "unknown status");
    ck_assert_str_eq(cpae_status_string(INT32_MAX), "unknown status");
    ck_assert_str_eq(cpae_status_string(-1), "unknown status");
    ck_assert_str_eq(cpae_status_string(INT32_MIN), "unknown status");
    /* Enum values are fixed forever. */
    ck_assert_int_eq(CPAE_OK, 0);
    ck_assert_int_eq(CPAE_E_NULL, 1);
    ck_assert_int_eq(CPAE_E_INVALID, 2);
    ck_assert_int_eq(CPAE_E_SIZE, 3);
    ck_assert_int_eq(CPAE_E_BUFFER_TOO_SMALL, 4);
    ck_assert_int_eq(CPAE_E_NONFINITE, 5);
    ck_assert_int_eq(CPAE_E_NOMEM, 6);
    ck_assert_int_eq(CPAE_E_IO, 7);
    ck_assert_int_eq(CPAE_E_FORMAT, 8);
    ck_assert_int_eq(CPAE_E_VERSION, 9);
    ck_assert_int_eq(CPAE_E_NUMERIC, 10);
    ck_assert_int_eq(CPAE_E_MISMATCH, 11);
    ck_assert_int_eq(CPAE_E_LIMIT, 12);
    ck_assert_int_eq(CPAE_E_CALLBACK, 13);
    ck_assert_int_eq(CPAE_E_INTERNAL, 14);
}
END_TEST

/* Codes appended after CPAE_E_INTERNAL (training): distinct, non-empty. */
START_TEST(test_status_strings_appended)
{
    static const int32_t added[] = {CPAE_E_CANCELLED, CPAE_E_DIVERGED};
    ck_assert_int_eq(CPAE_E_CANCELLED, 15);
    ck_assert_int_eq(CPAE_E_DIVERGED, 16);
    for (int i = 0; i < 2; i++) {
        const char *s = cpae_status_string(added[i]);
        ck_assert_ptr_nonnull(s);
        ck_assert_msg(s[0] != '\0' && strcmp(s, "unknown status") != 0,
                      "status %d has no text ('%s')", (int)added[i], s);
        for (int32_t c = 0; c < added[i]; c++)
            ck_assert_msg(strcmp(s, cpae_status_string(c)) != 0,
                          "statuses %d and %d share '%s'", (int)c, (int)added[i], s);
    }
}
END_TEST

START_TEST(test_version_and_limits)
{
    ck_assert_uint_eq(cpae_version_number(), CPAE_VERSION_NUMBER);
    ck_assert_uint_eq(CPAE_VERSION_NUMBER, (uint32_t)(CPAE_VERSION_MAJOR * 10000 +
                                                      CPAE_VERSION_MINOR * 100 +
                                                      CPAE_VERSION_PATCH));
    ck_assert_ptr_nonnull(cpae_version_string());
    ck_assert_str_eq(cpae_version_string(), CPAE_VERSION_STRING);
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", CPAE_VERSION_MAJOR, CPAE_VERSION_MINOR,
             CPAE_VERSION_PATCH);
    ck_assert_str_eq(v, CPAE_VERSION_STRING);
    const char *bi = cpae_build_info();
    ck_assert_ptr_nonnull(bi);
    ck_assert_msg(strstr(bi, CPAE_VERSION_STRING) != NULL, "build info '%s' lacks the version",
                  bi);

    ck_assert_int_eq(cpae_max_layers(), CPAE_MAX_LAYERS);
    ck_assert_int_eq(cpae_max_width(), CPAE_MAX_WIDTH);
    ck_assert_int_eq(cpae_max_params(), CPAE_MAX_PARAMS);
    ck_assert(cpae_default_leaky_alpha() == CPAE_DEFAULT_LEAKY_ALPHA);
}
END_TEST

/* A failure leaves a message naming the function; a success clears it. */
START_TEST(test_last_error_basic)
{
    ck_assert_ptr_nonnull(cpae_last_error());
    int64_t d = -5;
    CK_ERR(cpae_layer_dims(NULL, &d, NULL), CPAE_E_NULL);
    ck_assert_int_eq(d, -5);
    ck_assert_msg(strstr(cpae_last_error(), "cpae_layer_dims") != NULL, "message: '%s'",
                  cpae_last_error());
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(2, 3, CPAE_ACT_RELU, 0.0, &l));
    ck_assert_str_eq(cpae_last_error(), "");
    EXPECT(cpae_layer_set_weights(l, NULL, 6), CPAE_E_NULL);
    CK_OK(cpae_layer_dims(l, &d, NULL));
    ck_assert_str_eq(cpae_last_error(), "");
    cpae_layer_destroy(l);
}
END_TEST

/* Every status-returning function clears this thread's message when it
 * succeeds. */
#define CLEARS(call)                                                          \
    do {                                                                      \
        provoke_failure();                                                    \
        CK_OK(call);                                                          \
        ck_assert_msg(cpae_last_error()[0] == '\0', "%s succeeded but left '%s'", \
                      #call, cpae_last_error());                              \
    } while (0)

START_TEST(test_last_error_cleared_by_success)
{
    cpae_model *m = model_main(), *m2 = NULL;
    cpae_layer *l = NULL, *l2 = NULL, *l3 = NULL;
    cpae_code *c = NULL, *c2 = NULL;
    cpae_affine *ae = NULL, *ae2 = NULL, *ee = NULL, *dd = NULL;
    cpae_path *path = NULL;
    float w[64], b[16], y[64];
    double wd[64];
    uint8_t bytes[64];
    int64_t i64 = 0;
    int32_t i32 = 0;
    double dbl = 0;
    uint64_t u64 = 0;
    void *ud = NULL;

    /* Layers */
    CLEARS(cpae_layer_create(D, 3, CPAE_ACT_LEAKY_RELU, 0.1, &l));
    CLEARS(cpae_layer_dims(l, &i64, NULL));
    CLEARS(cpae_layer_activation(l, &i32, &dbl));
    u64 = 77;
    tu_fill(w, 3 * D, 1.0, &u64);
    tu_fill(b, 3, 1.0, &u64);
    CLEARS(cpae_layer_set_weights(l, w, 3 * D));
    CLEARS(cpae_layer_get_weights(l, w, 64));
    CLEARS(cpae_layer_set_bias(l, b, 3));
    CLEARS(cpae_layer_get_bias(l, b, 16));
    CLEARS(cpae_layer_forward(l, X0, 1, D, y, 64));
    /* Models */
    CLEARS(cpae_layer_create(3, D, CPAE_ACT_IDENTITY, 0.0, &l2));
    {
        const cpae_layer *enc[] = {l}, *dec[] = {l2};
        CLEARS(cpae_model_from_layers(enc, 1, dec, 1, &m2));
        cpae_model_destroy(m2);
        m2 = NULL;
    }
    {
        const int64_t ew[] = {D, 3}, dw[] = {3, D};
        const int32_t ea[] = {CPAE_ACT_ABS}, da[] = {CPAE_ACT_IDENTITY};
        CLEARS(cpae_model_create(ew, ea, NULL, 1, dw, da, NULL, 1, 5, &m2));
        cpae_model_destroy(m2);
        m2 = NULL;
    }
    CLEARS(cpae_model_create_mirrored(W_MAIN, 3, CPAE_ACT_ABS, 3, &m2));
    cpae_model_destroy(m2);
    m2 = NULL;
    CLEARS(cpae_model_clone(m, &m2));
    CLEARS(cpae_model_dims(m, &i64, NULL));
    CLEARS(cpae_model_n_layers(m, CPAE_AUTOENCODER, &i64));
    CLEARS(cpae_model_layer_info(m, CPAE_DECODER, 1, &i64, NULL, &i32, &dbl));
    CLEARS(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, w, 64, b, 16));
    CLEARS(cpae_model_set_layer_params(m2, CPAE_ENCODER, 0, w, 5 * D, b, 5));
    CLEARS(cpae_model_get_layer(m, CPAE_DECODER, 0, &l3));
    CLEARS(cpae_model_n_params(m, &i64));
    CLEARS(cpae_model_sizeof(m, &i64));
    CLEARS(cpae_model_set_user_data(m2, &i64));
    CLEARS(cpae_model_get_user_data(m2, &ud));
    CLEARS(cpae_model_encode(m, X0, 1, D, y, 64));
    CLEARS(cpae_model_decode(m, Z0, 1, H, y, 64));
    CLEARS(cpae_model_reconstruct(m, X0, 1, D, y, 64));
    /* Codes */
    CLEARS(cpae_code_create(m, CPAE_AUTOENCODER, &c));
    CLEARS(cpae_code_clone(c, &c2));
    CLEARS(cpae_model_code(m, CPAE_AUTOENCODER, X0, D, c));
    CLEARS(cpae_model_code_bytes(m, CPAE_AUTOENCODER, &i64));
    CLEARS(cpae_model_codes(m, CPAE_ENCODER, X0, 1, D, bytes, 64));
    CLEARS(cpae_model_count_regions(m, CPAE_DECODER, Z0, 1, H, &i64));
    CLEARS(cpae_code_info(c, &i64, &i32));
    CLEARS(cpae_code_bit(c, 9, &i32));
    CLEARS(cpae_code_equal(c, c2, &i32));
    CLEARS(cpae_code_hash(c, &u64));
    CLEARS(cpae_code_hamming(c, c2, &i64));
    CLEARS(cpae_code_popcount(c, &i64));
    CLEARS(cpae_code_to_bytes(c, bytes, 64, &i64));
    CLEARS(cpae_code_from_bytes(c2, bytes, i64));
    /* Affine maps */
    CLEARS(cpae_affine_create(m, CPAE_AUTOENCODER, &ae));
    CLEARS(cpae_affine_create(m, CPAE_AUTOENCODER, &ae2));
    CLEARS(cpae_affine_create(m, CPAE_ENCODER, &ee));
    CLEARS(cpae_affine_create(m, CPAE_DECODER, &dd));
    CLEARS(cpae_model_affine(m, CPAE_AUTOENCODER, X0, D, ae));
    CLEARS(cpae_model_region_maps(m, X0, D, ee, dd, ae2));
    CLEARS(cpae_affine_dims(ae, &i64, NULL));
    CLEARS(cpae_affine_get_slope(ae, w, 64));
    CLEARS(cpae_affine_get_offset(ae, b, 16));
    CLEARS(cpae_affine_get_slope_f64(ae, wd, 64));
    CLEARS(cpae_affine_get_offset_f64(ae, wd, 64));
    CLEARS(cpae_affine_apply(ae, X0, 1, D, y, 64));
    CLEARS(cpae_affine_compose(dd, ee, ae2));
    /* Geometry */
    CLEARS(cpae_model_boundary_distance(m, CPAE_ENCODER, X0, D, &dbl, &i64, y, 64));
    CLEARS(cpae_model_boundary_distances(m, CPAE_AUTOENCODER, X0, 1, D, wd, 64));
    CLEARS(cpae_model_segment(m, CPAE_AUTOENCODER, X0, X1, D, 1000, &path));
    CLEARS(cpae_path_n_regions(path, &i64));
    CLEARS(cpae_path_params(path, wd, 64));
    CLEARS(cpae_path_code(path, 0, c));
    CLEARS(cpae_path_codes(path, bytes, 64));
    CLEARS(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, 0.5, 8, 1, &i64));

    cpae_path_destroy(path);
    cpae_affine_destroy(ae);
    cpae_affine_destroy(ae2);
    cpae_affine_destroy(ee);
    cpae_affine_destroy(dd);
    cpae_code_destroy(c);
    cpae_code_destroy(c2);
    cpae_layer_destroy(l);
    cpae_layer_destroy(l2);
    cpae_layer_destroy(l3);
    cpae_model_destroy(m2);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_last_error_copy)
{
    char buf[600];
    int64_t needed = -1;

    /* No message (a success just cleared it). */
    int64_t d;
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(2, 2, CPAE_ACT_RELU, 0.0, &l));
    CK_OK(cpae_layer_dims(l, &d, NULL));
    ck_assert_int_eq(cpae_last_error_copy(NULL, 0, &needed), CPAE_OK);
    ck_assert_int_eq(needed, 1);
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, 1, &needed), CPAE_OK);
    ck_assert_int_eq(buf[0], '\0');
    ck_assert_int_eq(needed, 1);

    /* A message. */
    CK_ERR(cpae_layer_get_bias(l, NULL, 2), CPAE_E_NULL);
    const size_t len = strlen(cpae_last_error());
    ck_assert_uint_gt(len, 4);
    char saved[600];
    snprintf(saved, sizeof saved, "%s", cpae_last_error());

    /* Large buffer: full copy. */
    needed = -1;
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, (int64_t)sizeof buf, &needed), CPAE_OK);
    ck_assert_str_eq(buf, saved);
    ck_assert_int_eq(needed, (int64_t)len + 1);
    /* needed may be NULL. */
    ck_assert_int_eq(cpae_last_error_copy(buf, (int64_t)sizeof buf, NULL), CPAE_OK);
    ck_assert_str_eq(buf, saved);
    /* Exactly strlen + 1 fits. */
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, (int64_t)len + 1, &needed), CPAE_OK);
    ck_assert_str_eq(buf, saved);

    /* strlen bytes: truncated by one, NUL-terminated. */
    memset(buf, 'x', sizeof buf);
    needed = -1;
    ck_assert_int_eq(cpae_last_error_copy(buf, (int64_t)len, &needed),
                     CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(needed, (int64_t)len + 1);
    ck_assert_int_eq(buf[len - 1], '\0');
    ck_assert_int_eq(strncmp(buf, saved, len - 1), 0);
    ck_assert_int_eq(buf[len], 'x'); /* nothing written past cap */

    /* Small buffer. */
    memset(buf, 'x', sizeof buf);
    needed = -1;
    ck_assert_int_eq(cpae_last_error_copy(buf, 5, &needed), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(needed, (int64_t)len + 1);
    ck_assert_uint_eq(strlen(buf), 4);
    ck_assert_int_eq(strncmp(buf, saved, 4), 0);
    ck_assert_int_eq(buf[5], 'x');

    /* cap 1: just the terminator. */
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, 1, &needed), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(buf[0], '\0');
    ck_assert_int_eq(buf[1], 'x');

    /* cap 0: nothing written (buf may be NULL), message does not fit. */
    needed = -1;
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, 0, &needed), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_int_eq(buf[0], 'x');
    ck_assert_int_eq(needed, (int64_t)len + 1);
    ck_assert_int_eq(cpae_last_error_copy(NULL, 0, NULL), CPAE_E_BUFFER_TOO_SMALL);

    /* buf NULL with cap > 0. */
    ck_assert_int_eq(cpae_last_error_copy(NULL, 16, &needed), CPAE_E_NULL);
    /* Negative capacity: a negative size (CONVENTIONS: CPAE_E_SIZE). */
    ck_assert_int_eq(cpae_last_error_copy(buf, -1, &needed), CPAE_E_SIZE);

    /* Copying reads the message and does not consume it. */
    ck_assert_str_eq(cpae_last_error(), saved);
    memset(buf, 'x', sizeof buf);
    ck_assert_int_eq(cpae_last_error_copy(buf, (int64_t)sizeof buf, &needed), CPAE_OK);
    ck_assert_str_eq(buf, saved);
    cpae_layer_destroy(l);
}
END_TEST

typedef struct thr_ctx {
    pthread_barrier_t *bar;
    int empty_at_start;
    int32_t status;
    char msg_after_fail[600];
    char msg_after_main[600];
} thr_ctx;

static void *thr_main(void *arg)
{
    thr_ctx *t = arg;
    t->empty_at_start = cpae_last_error()[0] == '\0';
    t->status = cpae_layer_set_bias(NULL, NULL, 0);
    snprintf(t->msg_after_fail, sizeof t->msg_after_fail, "%s", cpae_last_error());
    pthread_barrier_wait(t->bar); /* 1: the thread has failed */
    pthread_barrier_wait(t->bar); /* 2: main has succeeded and failed again */
    snprintf(t->msg_after_main, sizeof t->msg_after_main, "%s", cpae_last_error());
    return NULL;
}

START_TEST(test_last_error_thread_local)
{
    int32_t bit = 0;
    CK_ERR(cpae_code_bit(NULL, 0, &bit), CPAE_E_NULL);
    char saved[600];
    snprintf(saved, sizeof saved, "%s", cpae_last_error());
    ck_assert_ptr_nonnull(strstr(saved, "cpae_code_bit"));

    pthread_barrier_t bar;
    ck_assert_int_eq(pthread_barrier_init(&bar, NULL, 2), 0);
    thr_ctx t;
    memset(&t, 0, sizeof t);
    t.bar = &bar;
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, thr_main, &t), 0);
    pthread_barrier_wait(&bar); /* 1 */
    /* The other thread's failure did not touch this thread's message. */
    int main_intact = strcmp(cpae_last_error(), saved) == 0;
    /* A success and a different failure here must not touch the thread's. */
    int64_t d;
    cpae_layer *l = NULL;
    int32_t st_create = cpae_layer_create(1, 1, CPAE_ACT_RELU, 0.0, &l);
    int32_t st_dims = cpae_layer_dims(l, &d, NULL);
    int main_cleared = cpae_last_error()[0] == '\0';
    int32_t st_fail = cpae_code_popcount(NULL, &d);
    pthread_barrier_wait(&bar); /* 2 */
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    pthread_barrier_destroy(&bar);
    cpae_layer_destroy(l);

    ck_assert_msg(main_intact, "another thread's failure changed this thread's message to '%s'",
                  cpae_last_error());
    ck_assert_int_eq(st_create, CPAE_OK);
    ck_assert_int_eq(st_dims, CPAE_OK);
    ck_assert(main_cleared);
    ck_assert_int_eq(st_fail, CPAE_E_NULL);
    ck_assert_ptr_nonnull(strstr(cpae_last_error(), "cpae_code_popcount"));

    ck_assert_msg(t.empty_at_start, "a new thread does not start with an empty message");
    ck_assert_int_eq(t.status, CPAE_E_NULL);
    ck_assert_ptr_nonnull(strstr(t.msg_after_fail, "cpae_layer_set_bias"));
    ck_assert_str_eq(t.msg_after_main, t.msg_after_fail);
}
END_TEST

/* ============================================================ layers */

START_TEST(test_layer_create_errors)
{
    cpae_layer *l = NULL;
    EXPECT(cpae_layer_create(2, 3, CPAE_ACT_RELU, 0.0, NULL), CPAE_E_NULL);
    /* Sizes. */
    EXPECT(cpae_layer_create(0, 3, CPAE_ACT_RELU, 0.0, &l), CPAE_E_SIZE);
    ck_assert_ptr_null(l);
    EXPECT(cpae_layer_create(3, 0, CPAE_ACT_RELU, 0.0, &l), CPAE_E_SIZE);
    ck_assert_ptr_null(l);
    EXPECT(cpae_layer_create(-1, 3, CPAE_ACT_RELU, 0.0, &l), CPAE_E_SIZE);
    ck_assert_ptr_null(l);
    EXPECT(cpae_layer_create(3, -7, CPAE_ACT_RELU, 0.0, &l), CPAE_E_SIZE);
    ck_assert_ptr_null(l);
    EXPECT(cpae_layer_create(INT64_MIN, 3, CPAE_ACT_RELU, 0.0, &l), CPAE_E_SIZE);
    ck_assert_ptr_null(l);
    /* Limits: width > CPAE_MAX_WIDTH, and n_in * n_out > CPAE_MAX_PARAMS. */
    EXPECT(cpae_layer_create((int64_t)CPAE_MAX_WIDTH + 1, 1, CPAE_ACT_RELU, 0.0, &l),
           CPAE_E_LIMIT);
    ck_assert_ptr_null(l);
    EXPECT(cpae_layer_create(1, (int64_t)CPAE_MAX_WIDTH + 1, CPAE_ACT_RELU, 0.0, &l),
           CPAE_E_LIMIT);
    ck_assert_ptr_null(l);
    EXPECT(cpae_layer_create(INT64_MAX, 1, CPAE_ACT_RELU, 0.0, &l), CPAE_E_LIMIT);
    ck_assert_ptr_null(l);
    EXPECT(cpae_layer_create(CPAE_MAX_WIDTH, CPAE_MAX_WIDTH, CPAE_ACT_RELU, 0.0, &l),
           CPAE_E_LIMIT);
    ck_assert_ptr_null(l);
    /* Activation. */
    EXPECT(cpae_layer_create(2, 3, 99, 0.0, &l), CPAE_E_INVALID);
    ck_assert_ptr_null(l);
    EXPECT(cpae_layer_create(2, 3, -1, 0.0, &l), CPAE_E_INVALID);
    ck_assert_ptr_null(l);
    EXPECT(cpae_layer_create(2, 3, 4, 0.0, &l), CPAE_E_INVALID);
    ck_assert_ptr_null(l);
    /* Leaky slope must be finite. */
    EXPECT(cpae_layer_create(2, 3, CPAE_ACT_LEAKY_RELU, NAN, &l), CPAE_E_NONFINITE);
    ck_assert_ptr_null(l);
    EXPECT(cpae_layer_create(2, 3, CPAE_ACT_LEAKY_RELU, INFINITY, &l), CPAE_E_NONFINITE);
    ck_assert_ptr_null(l);
    EXPECT(cpae_layer_create(2, 3, CPAE_ACT_LEAKY_RELU, -INFINITY, &l), CPAE_E_NONFINITE);
    ck_assert_ptr_null(l);
    /* Boundary values are accepted. */
    CK_OK(cpae_layer_create(1, 1, CPAE_ACT_ABS, 0.0, &l));
    cpae_layer_destroy(l);
    cpae_layer_destroy(NULL);
}
END_TEST

/* cpae.h: "alpha leaky-ReLU slope for z <= 0 (finite); ignored otherwise". */
START_TEST(test_layer_create_alpha_ignored)
{
    static const int32_t acts[] = {CPAE_ACT_IDENTITY, CPAE_ACT_RELU, CPAE_ACT_ABS};
    for (int i = 0; i < 3; i++) {
        cpae_layer *l = NULL;
        int32_t st = cpae_layer_create(2, 3, acts[i], NAN, &l);
        ck_assert_msg(st == CPAE_OK,
                      "activation %d with NaN alpha -> %d (%s); alpha is documented as "
                      "ignored for non-leaky activations", (int)acts[i], (int)st,
                      cpae_last_error());
        cpae_layer_destroy(l);
    }
}
END_TEST

START_TEST(test_layer_getters_errors)
{
    int64_t a = -3, b = -4;
    int32_t act = -5;
    double alpha = -6.0;
    EXPECT(cpae_layer_dims(NULL, &a, &b), CPAE_E_NULL);
    ck_assert_int_eq(a, -3);
    ck_assert_int_eq(b, -4);
    EXPECT(cpae_layer_activation(NULL, &act, &alpha), CPAE_E_NULL);
    ck_assert_int_eq(act, -5);
    ck_assert(alpha == -6.0);
    /* Optional outputs. */
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(2, 3, CPAE_ACT_LEAKY_RELU, 0.2, &l));
    CK_OK(cpae_layer_dims(l, NULL, NULL));
    CK_OK(cpae_layer_activation(l, NULL, NULL));
    cpae_layer_destroy(l);
}
END_TEST

START_TEST(test_layer_params_errors)
{
    enum { NI = 3, NO = 4, NW = NI * NO };
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(NI, NO, CPAE_ACT_RELU, 0.0, &l));
    uint64_t s = 42;
    float w[NW], b[NO], w_before[NW], b_before[NO], bad[NW], out[NW + 4];
    tu_fill(w, NW, 1.0, &s);
    tu_fill(b, NO, 1.0, &s);
    CK_OK(cpae_layer_set_weights(l, w, NW));
    CK_OK(cpae_layer_set_bias(l, b, NO));
    CK_OK(cpae_layer_get_weights(l, w_before, NW));
    CK_OK(cpae_layer_get_bias(l, b_before, NO));

    /* set_weights */
    EXPECT(cpae_layer_set_weights(NULL, w, NW), CPAE_E_NULL);
    EXPECT(cpae_layer_set_weights(l, NULL, NW), CPAE_E_NULL);
    EXPECT(cpae_layer_set_weights(l, w, NW - 1), CPAE_E_SIZE);
    EXPECT(cpae_layer_set_weights(l, w, NW + 1), CPAE_E_SIZE);
    EXPECT(cpae_layer_set_weights(l, w, 0), CPAE_E_SIZE);
    EXPECT(cpae_layer_set_weights(l, w, -1), CPAE_E_SIZE);
    for (int k = 0; k < 3; k++) {
        /* New values everywhere except the last entry, which is non-finite:
         * a partial copy would show up. */
        for (int i = 0; i < NW; i++)
            bad[i] = w[i] + 1.0f;
        bad[NW - 1] = BAD_VALUES[k];
        EXPECT(cpae_layer_set_weights(l, bad, NW), CPAE_E_NONFINITE);
    }
    /* set_bias */
    EXPECT(cpae_layer_set_bias(NULL, b, NO), CPAE_E_NULL);
    EXPECT(cpae_layer_set_bias(l, NULL, NO), CPAE_E_NULL);
    EXPECT(cpae_layer_set_bias(l, b, NO - 1), CPAE_E_SIZE);
    EXPECT(cpae_layer_set_bias(l, b, NO + 1), CPAE_E_SIZE);
    EXPECT(cpae_layer_set_bias(l, b, 0), CPAE_E_SIZE);
    EXPECT(cpae_layer_set_bias(l, b, -2), CPAE_E_SIZE);
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < NO; i++)
            bad[i] = b[i] - 1.0f;
        bad[NO - 1] = BAD_VALUES[k];
        EXPECT(cpae_layer_set_bias(l, bad, NO), CPAE_E_NONFINITE);
    }
    /* The layer is unchanged. */
    float w_after[NW], b_after[NO];
    CK_OK(cpae_layer_get_weights(l, w_after, NW));
    CK_OK(cpae_layer_get_bias(l, b_after, NO));
    ck_assert_int_eq(memcmp(w_after, w_before, sizeof w_before), 0);
    ck_assert_int_eq(memcmp(b_after, b_before, sizeof b_before), 0);

    /* get_weights / get_bias */
    fill_f(out, NW + 4, SENT_F);
    EXPECT(cpae_layer_get_weights(NULL, out, NW), CPAE_E_NULL);
    EXPECT(cpae_layer_get_weights(l, NULL, NW), CPAE_E_NULL);
    EXPECT(cpae_layer_get_weights(l, out, NW - 1), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_layer_get_weights(l, out, 0), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_layer_get_weights(l, out, -1), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_layer_get_bias(NULL, out, NO), CPAE_E_NULL);
    EXPECT(cpae_layer_get_bias(l, NULL, NO), CPAE_E_NULL);
    EXPECT(cpae_layer_get_bias(l, out, NO - 1), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_layer_get_bias(l, out, 0), CPAE_E_BUFFER_TOO_SMALL);
    ASSERT_F_SENT(out, NW + 4);
    /* A larger capacity is fine and only n values are written. */
    CK_OK(cpae_layer_get_bias(l, out, NW + 4));
    ASSERT_F_SENT(out + NO, NW + 4 - NO);
    cpae_layer_destroy(l);
}
END_TEST

START_TEST(test_layer_forward_errors)
{
    enum { NI = 3, NO = 2, N = 4 };
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(NI, NO, CPAE_ACT_LEAKY_RELU, 0.1, &l));
    uint64_t s = 7;
    float w[NI * NO], x[N * NI], xb[N * NI], y[N * NO + 2];
    tu_fill(w, NI * NO, 1.0, &s);
    tu_fill(x, N * NI, 1.0, &s);
    CK_OK(cpae_layer_set_weights(l, w, NI * NO));
    fill_f(y, N * NO + 2, SENT_F);

    EXPECT(cpae_layer_forward(NULL, x, N, NI, y, N * NO), CPAE_E_NULL);
    EXPECT(cpae_layer_forward(l, NULL, N, NI, y, N * NO), CPAE_E_NULL);
    EXPECT(cpae_layer_forward(l, x, N, NI, NULL, N * NO), CPAE_E_NULL);
    EXPECT(cpae_layer_forward(l, x, 0, NI, y, N * NO), CPAE_E_SIZE);
    EXPECT(cpae_layer_forward(l, x, -1, NI, y, N * NO), CPAE_E_SIZE);
    EXPECT(cpae_layer_forward(l, x, N, NI - 1, y, N * NO), CPAE_E_SIZE);
    EXPECT(cpae_layer_forward(l, x, N, NI + 1, y, N * NO), CPAE_E_SIZE);
    EXPECT(cpae_layer_forward(l, x, N, 0, y, N * NO), CPAE_E_SIZE);
    EXPECT(cpae_layer_forward(l, x, N, -NI, y, N * NO), CPAE_E_SIZE);
    EXPECT(cpae_layer_forward(l, x, N, NI, y, N * NO - 1), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_layer_forward(l, x, N, NI, y, 0), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_layer_forward(l, x, N, NI, y, -1), CPAE_E_BUFFER_TOO_SMALL);
    /* n * n_out overflows int64. */
    EXPECT(cpae_layer_forward(l, x, INT64_MAX, NI, y, INT64_MAX), CPAE_E_SIZE);
    ASSERT_F_SENT(y, N * NO + 2);
    for (int k = 0; k < 3; k++) {
        poisoned(xb, x, N * NI, N * NI - 1, BAD_VALUES[k]); /* last row */
        EXPECT(cpae_layer_forward(l, xb, N, NI, y, N * NO), CPAE_E_NONFINITE);
        poisoned(xb, x, N * NI, 0, BAD_VALUES[k]);
        EXPECT(cpae_layer_forward(l, xb, N, NI, y, N * NO), CPAE_E_NONFINITE);
    }
    ASSERT_F_SENT(y, N * NO + 2);
    /* A valid call writes exactly n * n_out values. */
    CK_OK(cpae_layer_forward(l, x, N, NI, y, N * NO + 2));
    ASSERT_F_SENT(y + N * NO, 2);
    cpae_layer_destroy(l);
}
END_TEST

/* A huge n whose n * n_in overflows (n * n_out does not) must be refused
 * cleanly, not read far past x. Run in a child: a crash fails the test. */
typedef struct huge_ctx {
    int kind;
    const void *h; /* layer, model or map */
    const float *x;
    float *y;
    size_t ny;
} huge_ctx;

static iso_result huge_call(void *arg)
{
    huge_ctx *c = arg;
    iso_result r = {-1, 0};
    const int64_t n = INT64_C(1) << 62;
    switch (c->kind) {
    case 0: r.status = cpae_layer_forward(c->h, c->x, n, 4, c->y, INT64_MAX); break;
    case 1: r.status = cpae_affine_apply(c->h, c->x, n, 4, c->y, INT64_MAX); break;
    case 2: r.status = cpae_model_encode(c->h, c->x, n, 4, c->y, INT64_MAX); break;
    case 3: r.status = cpae_model_reconstruct(c->h, c->x, n, 4, c->y, INT64_MAX); break;
    default: break;
    }
    r.intact = all_f(c->y, c->ny, SENT_F);
    return r;
}

/* Returns NULL if the call was refused cleanly, else a description of the
 * problem (static storage). The caller frees its handles before asserting,
 * so a failure leaks nothing under CK_FORK=no. */
static const char *huge_refused(int kind, const void *h, const char *what)
{
    static char why[256];
    float x[16] = {0}, y[16];
    fill_f(y, 16, SENT_F);
    huge_ctx c = {kind, h, x, y, 16};
    iso_result r = {-1, 0};
    int crash = run_isolated(huge_call, &c, &r);
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

#define ASSERT_REFUSED(why) ck_assert_msg((why) == NULL, "%s", (why) ? (why) : "")

START_TEST(test_layer_forward_huge_n)
{
    cpae_layer *l = NULL;
    CK_OK(cpae_layer_create(4, 1, CPAE_ACT_RELU, 0.0, &l));
    const char *why = huge_refused(0, l, "cpae_layer_forward");
    cpae_layer_destroy(l);
    ASSERT_REFUSED(why);
}
END_TEST

/* ============================================================ models */

START_TEST(test_model_create_null)
{
    const int64_t ew[] = {D, H}, dw[] = {H, D};
    const int32_t ea[] = {CPAE_ACT_RELU}, da[] = {CPAE_ACT_IDENTITY};
    cpae_model *m = NULL;
    EXPECT(cpae_model_create(ew, ea, NULL, 1, dw, da, NULL, 1, 1, NULL), CPAE_E_NULL);
    EXPECT(cpae_model_create(NULL, ea, NULL, 1, dw, da, NULL, 1, 1, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create(ew, NULL, NULL, 1, dw, da, NULL, 1, 1, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create(ew, ea, NULL, 1, NULL, da, NULL, 1, 1, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create(ew, ea, NULL, 1, dw, NULL, NULL, 1, 1, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    /* The alphas are optional. */
    CK_OK(cpae_model_create(ew, ea, NULL, 1, dw, da, NULL, 1, 1, &m));
    cpae_model_destroy(m);
    cpae_model_destroy(NULL);
}
END_TEST

START_TEST(test_model_create_sizes)
{
    const int32_t relu2[] = {CPAE_ACT_RELU, CPAE_ACT_RELU};
    const int32_t dec2[] = {CPAE_ACT_RELU, CPAE_ACT_IDENTITY};
    const int64_t ew[] = {4, 3, 2}, dw[] = {2, 3, 4};
    cpae_model *m = NULL;
    /* Layer counts. */
    EXPECT(cpae_model_create(ew, relu2, NULL, 0, dw, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create(ew, relu2, NULL, 2, dw, dec2, NULL, 0, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create(ew, relu2, NULL, -1, dw, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create(ew, relu2, NULL, 2, dw, dec2, NULL, -3, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    /* Widths < 1. */
    {
        const int64_t e0[] = {4, 0, 2}, en[] = {4, -3, 2}, d0[] = {2, 0, 4};
        EXPECT(cpae_model_create(e0, relu2, NULL, 2, dw, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        EXPECT(cpae_model_create(en, relu2, NULL, 2, dw, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        EXPECT(cpae_model_create(ew, relu2, NULL, 2, d0, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        const int64_t ez[] = {0, 3, 0}, dz[] = {0, 3, 0};
        EXPECT(cpae_model_create(ez, relu2, NULL, 2, dz, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
    }
    /* Widths that do not chain: dec_widths[0] != h, dec_widths[last] != d. */
    {
        const int64_t dh[] = {3, 3, 4}, dd[] = {2, 3, 5};
        EXPECT(cpae_model_create(ew, relu2, NULL, 2, dh, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        EXPECT(cpae_model_create(ew, relu2, NULL, 2, dd, dec2, NULL, 2, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        /* Both stacks valid on their own, one layer each, swapped widths. */
        const int64_t e1[] = {4, 2}, d1[] = {4, 2};
        EXPECT(cpae_model_create(e1, relu2, NULL, 1, d1, dec2, NULL, 1, 1, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
    }
}
END_TEST

START_TEST(test_model_create_invalid_and_nonfinite)
{
    const int64_t ew[] = {4, 3, 2}, dw[] = {2, 3, 4};
    const int32_t ok[] = {CPAE_ACT_LEAKY_RELU, CPAE_ACT_IDENTITY};
    cpae_model *m = NULL;
    {
        const int32_t bad_e[] = {99, CPAE_ACT_IDENTITY}, bad_d[] = {CPAE_ACT_RELU, 99};
        const int32_t neg[] = {-1, CPAE_ACT_IDENTITY};
        EXPECT(cpae_model_create(ew, bad_e, NULL, 2, dw, ok, NULL, 2, 1, &m), CPAE_E_INVALID);
        ck_assert_ptr_null(m);
        EXPECT(cpae_model_create(ew, ok, NULL, 2, dw, bad_d, NULL, 2, 1, &m), CPAE_E_INVALID);
        ck_assert_ptr_null(m);
        EXPECT(cpae_model_create(ew, neg, NULL, 2, dw, ok, NULL, 2, 1, &m), CPAE_E_INVALID);
        ck_assert_ptr_null(m);
    }
    {
        const double good[] = {0.2, 0.0};
        for (int k = 0; k < 3; k++) {
            const double bad[] = {(double)BAD_VALUES[k], 0.0};
            EXPECT(cpae_model_create(ew, ok, bad, 2, dw, ok, good, 2, 1, &m),
                   CPAE_E_NONFINITE);
            ck_assert_ptr_null(m);
            EXPECT(cpae_model_create(ew, ok, good, 2, dw, ok, bad, 2, 1, &m),
                   CPAE_E_NONFINITE);
            ck_assert_ptr_null(m);
        }
        CK_OK(cpae_model_create(ew, ok, good, 2, dw, ok, good, 2, 1, &m));
        cpae_model_destroy(m);
    }
}
END_TEST

START_TEST(test_model_create_limits)
{
    enum { L = CPAE_MAX_LAYERS + 1 };
    int64_t w[L + 1], dw[] = {4, 4};
    int32_t acts[L], da[] = {CPAE_ACT_IDENTITY};
    for (int i = 0; i <= L; i++)
        w[i] = 4;
    for (int i = 0; i < L; i++)
        acts[i] = CPAE_ACT_RELU;
    cpae_model *m = NULL;
    /* More than CPAE_MAX_LAYERS layers in a stack (everything else valid). */
    EXPECT(cpae_model_create(w, acts, NULL, L, dw, da, NULL, 1, 1, &m), CPAE_E_LIMIT);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create(dw, da, NULL, 1, w, acts, NULL, L, 1, &m), CPAE_E_LIMIT);
    ck_assert_ptr_null(m);
    /* Exactly CPAE_MAX_LAYERS is allowed. */
    CK_OK(cpae_model_create(w, acts, NULL, L - 1, dw, da, NULL, 1, 1, &m));
    cpae_model_destroy(m);
    m = NULL;
    /* Width > CPAE_MAX_WIDTH (the parameter count would be fine). */
    {
        const int64_t ew[] = {(int64_t)CPAE_MAX_WIDTH + 1, 1};
        const int64_t dw2[] = {1, (int64_t)CPAE_MAX_WIDTH + 1};
        const int32_t id[] = {CPAE_ACT_IDENTITY};
        EXPECT(cpae_model_create(ew, id, NULL, 1, dw2, id, NULL, 1, 1, &m), CPAE_E_LIMIT);
        ck_assert_ptr_null(m);
        const int64_t ew3[] = {4, (int64_t)CPAE_MAX_WIDTH + 1, 2}, dw3[] = {2, 4};
        const int32_t id2[] = {CPAE_ACT_RELU, CPAE_ACT_IDENTITY};
        EXPECT(cpae_model_create(ew3, id2, NULL, 2, dw3, id, NULL, 1, 1, &m), CPAE_E_LIMIT);
        ck_assert_ptr_null(m);
    }
    /* More than CPAE_MAX_PARAMS parameters with widths inside the limit. */
    {
        const int64_t ew[] = {CPAE_MAX_WIDTH, CPAE_MAX_WIDTH};
        const int32_t id[] = {CPAE_ACT_IDENTITY};
        EXPECT(cpae_model_create(ew, id, NULL, 1, ew, id, NULL, 1, 1, &m), CPAE_E_LIMIT);
        ck_assert_ptr_null(m);
    }
}
END_TEST

START_TEST(test_model_mirrored_errors)
{
    cpae_model *m = NULL;
    EXPECT(cpae_model_create_mirrored(W_MAIN, 3, CPAE_ACT_RELU, 1, NULL), CPAE_E_NULL);
    EXPECT(cpae_model_create_mirrored(NULL, 3, CPAE_ACT_RELU, 1, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create_mirrored(W_MAIN, 1, CPAE_ACT_RELU, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create_mirrored(W_MAIN, 0, CPAE_ACT_RELU, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create_mirrored(W_MAIN, -2, CPAE_ACT_RELU, 1, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create_mirrored(W_MAIN, 3, 99, 1, &m), CPAE_E_INVALID);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create_mirrored(W_MAIN, 3, -1, 1, &m), CPAE_E_INVALID);
    ck_assert_ptr_null(m);
    /* More than CPAE_MAX_LAYERS layers per stack. */
    int64_t w[CPAE_MAX_LAYERS + 2];
    for (int i = 0; i < CPAE_MAX_LAYERS + 2; i++)
        w[i] = 3;
    EXPECT(cpae_model_create_mirrored(w, CPAE_MAX_LAYERS + 2, CPAE_ACT_RELU, 1, &m),
           CPAE_E_LIMIT);
    ck_assert_ptr_null(m);
    CK_OK(cpae_model_create_mirrored(w, CPAE_MAX_LAYERS + 1, CPAE_ACT_RELU, 1, &m));
    cpae_model_destroy(m);
}
END_TEST

/* Width errors found while building the mirrored stacks: the status, and a
 * message naming cpae_model_create_mirrored (the function called). */
START_TEST(test_model_mirrored_bad_widths)
{
    cpae_model *m = NULL;
    const int64_t w0[] = {4, 0, 2}, wn[] = {4, 5, -2};
    const int64_t wl[] = {(int64_t)CPAE_MAX_WIDTH + 1, 2};
    int32_t st = cpae_model_create_mirrored(w0, 3, CPAE_ACT_RELU, 1, &m);
    ck_assert_int_eq(st, CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    st = cpae_model_create_mirrored(wn, 3, CPAE_ACT_RELU, 1, &m);
    ck_assert_int_eq(st, CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    st = cpae_model_create_mirrored(wl, 2, CPAE_ACT_RELU, 1, &m);
    ck_assert_int_eq(st, CPAE_E_LIMIT);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_create_mirrored(w0, 3, CPAE_ACT_RELU, 1, &m), CPAE_E_SIZE);
    EXPECT(cpae_model_create_mirrored(wl, 2, CPAE_ACT_RELU, 1, &m), CPAE_E_LIMIT);
}
END_TEST

START_TEST(test_model_from_layers_errors)
{
    cpae_layer *e1 = NULL, *e2 = NULL, *e2bad = NULL, *d1 = NULL, *d1bad = NULL, *d2 = NULL,
               *d2bad = NULL, *sq = NULL;
    CK_OK(cpae_layer_create(4, 5, CPAE_ACT_RELU, 0.0, &e1));
    CK_OK(cpae_layer_create(5, 2, CPAE_ACT_IDENTITY, 0.0, &e2));
    CK_OK(cpae_layer_create(6, 2, CPAE_ACT_IDENTITY, 0.0, &e2bad));
    CK_OK(cpae_layer_create(2, 5, CPAE_ACT_RELU, 0.0, &d1));
    CK_OK(cpae_layer_create(3, 5, CPAE_ACT_RELU, 0.0, &d1bad));
    CK_OK(cpae_layer_create(5, 4, CPAE_ACT_IDENTITY, 0.0, &d2));
    CK_OK(cpae_layer_create(5, 3, CPAE_ACT_IDENTITY, 0.0, &d2bad));
    CK_OK(cpae_layer_create(4, 4, CPAE_ACT_RELU, 0.0, &sq));
    const cpae_layer *enc[] = {e1, e2}, *dec[] = {d1, d2};
    cpae_model *m = NULL;

    EXPECT(cpae_model_from_layers(enc, 2, dec, 2, NULL), CPAE_E_NULL);
    EXPECT(cpae_model_from_layers(NULL, 2, dec, 2, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_from_layers(enc, 2, NULL, 2, &m), CPAE_E_NULL);
    ck_assert_ptr_null(m);
    {
        const cpae_layer *en[] = {e1, NULL}, *dn[] = {NULL, d2};
        EXPECT(cpae_model_from_layers(en, 2, dec, 2, &m), CPAE_E_NULL);
        ck_assert_ptr_null(m);
        EXPECT(cpae_model_from_layers(enc, 2, dn, 2, &m), CPAE_E_NULL);
        ck_assert_ptr_null(m);
    }
    EXPECT(cpae_model_from_layers(enc, 0, dec, 2, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_from_layers(enc, 2, dec, 0, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    EXPECT(cpae_model_from_layers(enc, -1, dec, 2, &m), CPAE_E_SIZE);
    ck_assert_ptr_null(m);
    /* Widths that do not chain: inside the encoder, encoder -> decoder,
     * decoder output -> input width. */
    {
        const cpae_layer *eb[] = {e1, e2bad}, *db1[] = {d1bad, d2}, *db2[] = {d1, d2bad};
        EXPECT(cpae_model_from_layers(eb, 2, dec, 2, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        EXPECT(cpae_model_from_layers(enc, 2, db1, 2, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        EXPECT(cpae_model_from_layers(enc, 2, db2, 2, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
        const cpae_layer *dd[] = {d2, d1};
        EXPECT(cpae_model_from_layers(enc, 2, dd, 2, &m), CPAE_E_SIZE);
        ck_assert_ptr_null(m);
    }
    /* More than CPAE_MAX_LAYERS layers (all 4 -> 4, so they chain). */
    {
        const cpae_layer *many[CPAE_MAX_LAYERS + 1];
        for (int i = 0; i < CPAE_MAX_LAYERS + 1; i++)
            many[i] = sq;
        const cpae_layer *one[] = {sq};
        EXPECT(cpae_model_from_layers(many, CPAE_MAX_LAYERS + 1, one, 1, &m), CPAE_E_LIMIT);
        ck_assert_ptr_null(m);
        EXPECT(cpae_model_from_layers(one, 1, many, CPAE_MAX_LAYERS + 1, &m), CPAE_E_LIMIT);
        ck_assert_ptr_null(m);
        CK_OK(cpae_model_from_layers(many, CPAE_MAX_LAYERS, one, 1, &m));
        cpae_model_destroy(m);
        m = NULL;
    }
    CK_OK(cpae_model_from_layers(enc, 2, dec, 2, &m));
    cpae_model_destroy(m);
    cpae_layer_destroy(e1);
    cpae_layer_destroy(e2);
    cpae_layer_destroy(e2bad);
    cpae_layer_destroy(d1);
    cpae_layer_destroy(d1bad);
    cpae_layer_destroy(d2);
    cpae_layer_destroy(d2bad);
    cpae_layer_destroy(sq);
}
END_TEST

START_TEST(test_model_queries_errors)
{
    cpae_model *m = model_main(), *c = NULL;
    EXPECT(cpae_model_clone(NULL, &c), CPAE_E_NULL);
    ck_assert_ptr_null(c);
    EXPECT(cpae_model_clone(m, NULL), CPAE_E_NULL);

    int64_t a = -3, b = -4;
    EXPECT(cpae_model_dims(NULL, &a, &b), CPAE_E_NULL);
    ck_assert_int_eq(a, -3);
    ck_assert_int_eq(b, -4);
    CK_OK(cpae_model_dims(m, NULL, NULL));

    EXPECT(cpae_model_n_layers(NULL, CPAE_ENCODER, &a), CPAE_E_NULL);
    EXPECT(cpae_model_n_layers(m, CPAE_ENCODER, NULL), CPAE_E_NULL);
    EXPECT(cpae_model_n_layers(m, 7, &a), CPAE_E_INVALID);
    EXPECT(cpae_model_n_layers(m, -1, &a), CPAE_E_INVALID);
    EXPECT(cpae_model_n_layers(m, 3, &a), CPAE_E_INVALID);
    ck_assert_int_eq(a, -3);

    int32_t act = -5;
    double alpha = -6.0;
    EXPECT(cpae_model_layer_info(NULL, CPAE_ENCODER, 0, &a, &b, &act, &alpha), CPAE_E_NULL);
    EXPECT(cpae_model_layer_info(m, 7, 0, &a, &b, &act, &alpha), CPAE_E_INVALID);
    EXPECT(cpae_model_layer_info(m, CPAE_AUTOENCODER, 0, &a, &b, &act, &alpha),
           CPAE_E_INVALID);
    EXPECT(cpae_model_layer_info(m, CPAE_ENCODER, -1, &a, &b, &act, &alpha), CPAE_E_INVALID);
    EXPECT(cpae_model_layer_info(m, CPAE_ENCODER, 2, &a, &b, &act, &alpha), CPAE_E_INVALID);
    EXPECT(cpae_model_layer_info(m, CPAE_DECODER, 2, &a, &b, &act, &alpha), CPAE_E_INVALID);
    EXPECT(cpae_model_layer_info(m, CPAE_DECODER, INT64_MAX, &a, &b, &act, &alpha),
           CPAE_E_INVALID);
    EXPECT(cpae_model_layer_info(m, CPAE_DECODER, INT64_MIN, &a, &b, &act, &alpha),
           CPAE_E_INVALID);
    ck_assert_int_eq(a, -3);
    ck_assert_int_eq(b, -4);
    ck_assert_int_eq(act, -5);
    ck_assert(alpha == -6.0);
    CK_OK(cpae_model_layer_info(m, CPAE_DECODER, 1, NULL, NULL, NULL, NULL));

    EXPECT(cpae_model_n_params(NULL, &a), CPAE_E_NULL);
    EXPECT(cpae_model_n_params(m, NULL), CPAE_E_NULL);
    EXPECT(cpae_model_sizeof(NULL, &a), CPAE_E_NULL);
    EXPECT(cpae_model_sizeof(m, NULL), CPAE_E_NULL);
    ck_assert_int_eq(a, -3);

    int tag = 0;
    void *ud = &tag;
    EXPECT(cpae_model_set_user_data(NULL, &tag), CPAE_E_NULL);
    EXPECT(cpae_model_get_user_data(NULL, &ud), CPAE_E_NULL);
    ck_assert_ptr_eq(ud, &tag);
    EXPECT(cpae_model_get_user_data(m, NULL), CPAE_E_NULL);
    CK_OK(cpae_model_get_user_data(m, &ud));
    ck_assert_ptr_null(ud);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_get_layer_errors)
{
    cpae_model *m = model_main();
    cpae_layer *l = NULL;
    EXPECT(cpae_model_get_layer(NULL, CPAE_ENCODER, 0, &l), CPAE_E_NULL);
    EXPECT(cpae_model_get_layer(m, CPAE_ENCODER, 0, NULL), CPAE_E_NULL);
    EXPECT(cpae_model_get_layer(m, 7, 0, &l), CPAE_E_INVALID);
    EXPECT(cpae_model_get_layer(m, CPAE_AUTOENCODER, 0, &l), CPAE_E_INVALID);
    EXPECT(cpae_model_get_layer(m, CPAE_ENCODER, -1, &l), CPAE_E_INVALID);
    EXPECT(cpae_model_get_layer(m, CPAE_DECODER, 2, &l), CPAE_E_INVALID);
    ck_assert_ptr_null(l);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_get_layer_params_errors)
{
    cpae_model *m = model_main();
    /* Encoder layer 0: 4 -> 5: 20 weights, 5 biases. */
    float w[24], b[8];
    fill_f(w, 24, SENT_F);
    fill_f(b, 8, SENT_F);
    EXPECT(cpae_model_get_layer_params(NULL, CPAE_ENCODER, 0, w, 20, b, 5), CPAE_E_NULL);
    EXPECT(cpae_model_get_layer_params(m, 7, 0, w, 20, b, 5), CPAE_E_INVALID);
    EXPECT(cpae_model_get_layer_params(m, CPAE_AUTOENCODER, 0, w, 20, b, 5), CPAE_E_INVALID);
    EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, -1, w, 20, b, 5), CPAE_E_INVALID);
    EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, 2, w, 20, b, 5), CPAE_E_INVALID);
    /* One output too small: neither is written. */
    EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, w, 19, b, 5),
           CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, w, 20, b, 4),
           CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, w, 0, NULL, 0),
           CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, NULL, 0, b, -1),
           CPAE_E_BUFFER_TOO_SMALL);
    ASSERT_F_SENT(w, 24);
    ASSERT_F_SENT(b, 8);
    /* Both outputs optional. */
    CK_OK(cpae_model_get_layer_params(m, CPAE_ENCODER, 0, NULL, 0, NULL, 0));
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_set_layer_params_errors)
{
    cpae_model *m = model_main();
    /* Decoder layer 0: 2 -> 5: 10 weights, 5 biases. */
    enum { NW = 10, NB = 5 };
    float w0[NW], b0[NB], w[NW], b[NB], bad[NW], wa[NW], ba[NB];
    CK_OK(cpae_model_get_layer_params(m, CPAE_DECODER, 0, w0, NW, b0, NB));
    /* New, valid values that differ from the current ones. */
    for (int i = 0; i < NW; i++)
        w[i] = w0[i] + 0.5f;
    for (int i = 0; i < NB; i++)
        b[i] = b0[i] - 0.5f;

    EXPECT(cpae_model_set_layer_params(NULL, CPAE_DECODER, 0, w, NW, b, NB), CPAE_E_NULL);
    EXPECT(cpae_model_set_layer_params(m, 7, 0, w, NW, b, NB), CPAE_E_INVALID);
    EXPECT(cpae_model_set_layer_params(m, CPAE_AUTOENCODER, 0, w, NW, b, NB), CPAE_E_INVALID);
    EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, -1, w, NW, b, NB), CPAE_E_INVALID);
    EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 2, w, NW, b, NB), CPAE_E_INVALID);
    /* A wrong length anywhere: nothing changes. */
    EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, NW - 1, b, NB), CPAE_E_SIZE);
    EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, NW + 1, b, NB), CPAE_E_SIZE);
    EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, NW, b, NB - 1), CPAE_E_SIZE);
    EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, NW, b, 0), CPAE_E_SIZE);
    EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, -1, NULL, 0), CPAE_E_SIZE);
    EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, NULL, 0, b, -5), CPAE_E_SIZE);
    /* Non-finite bias with valid weights, and the reverse. */
    for (int k = 0; k < 3; k++) {
        poisoned(bad, b, NB, NB - 1, BAD_VALUES[k]);
        EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, w, NW, bad, NB),
               CPAE_E_NONFINITE);
        poisoned(bad, w, NW, NW - 1, BAD_VALUES[k]);
        EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, bad, NW, b, NB),
               CPAE_E_NONFINITE);
        EXPECT(cpae_model_set_layer_params(m, CPAE_DECODER, 0, bad, NW, NULL, 0),
               CPAE_E_NONFINITE);
    }
    CK_OK(cpae_model_get_layer_params(m, CPAE_DECODER, 0, wa, NW, ba, NB));
    ck_assert_msg(memcmp(wa, w0, sizeof w0) == 0, "weights changed by a failing call");
    ck_assert_msg(memcmp(ba, b0, sizeof b0) == 0, "biases changed by a failing call");
    cpae_model_destroy(m);
}
END_TEST

typedef int32_t (*run_fn)(const cpae_model *, const float *, int64_t, int64_t, float *,
                          int64_t);

static void forward_errors(run_fn f, const char *name, int64_t din, int64_t dout,
                           int64_t wrong_dim)
{
    cpae_model *m = model_main();
    enum { N = 3 };
    float x[N * D], xb[N * D], y[N * D + 2];
    uint64_t s = 5;
    tu_fill(x, N * din, 1.0, &s);
    fill_f(y, N * D + 2, SENT_F);
    int32_t st;
#define FWD_ERR(call, code)                                                   \
    do {                                                                      \
        st = (call);                                                          \
        ck_assert_msg(st == (code), "%s: %s -> %d, expected %d: %s", name, #call, (int)st, \
                      (int)(code), cpae_last_error());                        \
        ck_assert_msg(strstr(cpae_last_error(), name) != NULL,                \
                      "%s: message '%s' does not name it", name, cpae_last_error()); \
    } while (0)
    FWD_ERR(f(NULL, x, N, din, y, N * dout), CPAE_E_NULL);
    FWD_ERR(f(m, NULL, N, din, y, N * dout), CPAE_E_NULL);
    FWD_ERR(f(m, x, N, din, NULL, N * dout), CPAE_E_NULL);
    FWD_ERR(f(m, x, 0, din, y, N * dout), CPAE_E_SIZE);
    FWD_ERR(f(m, x, -1, din, y, N * dout), CPAE_E_SIZE);
    FWD_ERR(f(m, x, N, wrong_dim, y, N * dout), CPAE_E_SIZE);
    FWD_ERR(f(m, x, N, 0, y, N * dout), CPAE_E_SIZE);
    FWD_ERR(f(m, x, N, -din, y, N * dout), CPAE_E_SIZE);
    FWD_ERR(f(m, x, N, din, y, N * dout - 1), CPAE_E_BUFFER_TOO_SMALL);
    FWD_ERR(f(m, x, N, din, y, 0), CPAE_E_BUFFER_TOO_SMALL);
    FWD_ERR(f(m, x, N, din, y, -1), CPAE_E_BUFFER_TOO_SMALL);
    ck_assert_msg(all_f(y, N * D + 2, SENT_F), "%s wrote its output on failure", name);
    for (int k = 0; k < 3; k++) {
        poisoned(xb, x, N * din, N * din - 1, BAD_VALUES[k]);
        FWD_ERR(f(m, xb, N, din, y, N * dout), CPAE_E_NONFINITE);
        poisoned(xb, x, N * din, din, BAD_VALUES[k]);
        FWD_ERR(f(m, xb, N, din, y, N * dout), CPAE_E_NONFINITE);
    }
    ck_assert_msg(all_f(y, N * D + 2, SENT_F), "%s wrote its output on failure", name);
    CK_OK(f(m, x, N, din, y, N * dout));
    ck_assert_msg(all_f(y + N * dout, (size_t)(N * D + 2 - N * dout), SENT_F),
                  "%s wrote past n * out", name);
#undef FWD_ERR
    cpae_model_destroy(m);
}

START_TEST(test_model_encode_errors)
{
    forward_errors(cpae_model_encode, "cpae_model_encode", D, H, H);
}
END_TEST

START_TEST(test_model_decode_errors)
{
    forward_errors(cpae_model_decode, "cpae_model_decode", H, D, D);
}
END_TEST

START_TEST(test_model_reconstruct_errors)
{
    forward_errors(cpae_model_reconstruct, "cpae_model_reconstruct", D, D, H);
}
END_TEST

START_TEST(test_model_forward_huge_n)
{
    cpae_model *m = model_main();
    const char *why = huge_refused(2, m, "cpae_model_encode");
    if (!why)
        why = huge_refused(3, m, "cpae_model_reconstruct");
    cpae_model_destroy(m);
    ASSERT_REFUSED(why);
}
END_TEST

/* ============================================================= codes */

static void code_bytes_of(const cpae_code *c, uint8_t *buf, int64_t cap, int64_t *n)
{
    memset(buf, 0, (size_t)cap);
    CK_OK(cpae_code_to_bytes(c, buf, cap, n));
}

START_TEST(test_code_create_errors)
{
    cpae_model *m = model_main();
    cpae_code *c = NULL;
    EXPECT(cpae_code_create(NULL, CPAE_ENCODER, &c), CPAE_E_NULL);
    EXPECT(cpae_code_create(m, CPAE_ENCODER, NULL), CPAE_E_NULL);
    EXPECT(cpae_code_create(m, 7, &c), CPAE_E_INVALID);
    EXPECT(cpae_code_create(m, -1, &c), CPAE_E_INVALID);
    ck_assert_ptr_null(c);
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &c));
    cpae_code *c2 = NULL;
    EXPECT(cpae_code_clone(NULL, &c2), CPAE_E_NULL);
    EXPECT(cpae_code_clone(c, NULL), CPAE_E_NULL);
    ck_assert_ptr_null(c2);
    cpae_code_destroy(c);
    cpae_code_destroy(NULL);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_code_errors)
{
    cpae_model *m = model_main(), *o = model_other();
    cpae_code *ce = NULL, *cd = NULL, *ca = NULL, *co = NULL;
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &ce));
    CK_OK(cpae_code_create(m, CPAE_DECODER, &cd));
    CK_OK(cpae_code_create(m, CPAE_AUTOENCODER, &ca));
    CK_OK(cpae_code_create(o, CPAE_ENCODER, &co));
    /* A known content: the code of X1, then a different pattern. */
    CK_OK(cpae_model_code(m, CPAE_ENCODER, X1, D, ce));
    const uint8_t pattern[] = {0x15};
    CK_OK(cpae_code_from_bytes(ce, pattern, 1));
    uint8_t before[8], after[8];
    int64_t nb = 0, na = 0;
    code_bytes_of(ce, before, 8, &nb);
    ck_assert_int_eq(nb, 1);

    EXPECT(cpae_model_code(NULL, CPAE_ENCODER, X0, D, ce), CPAE_E_NULL);
    EXPECT(cpae_model_code(m, CPAE_ENCODER, NULL, D, ce), CPAE_E_NULL);
    EXPECT(cpae_model_code(m, CPAE_ENCODER, X0, D, NULL), CPAE_E_NULL);
    EXPECT(cpae_model_code(m, 7, X0, D, ce), CPAE_E_INVALID);
    EXPECT(cpae_model_code(m, -1, X0, D, ce), CPAE_E_INVALID);
    EXPECT(cpae_model_code(m, CPAE_ENCODER, X0, H, ce), CPAE_E_SIZE);
    EXPECT(cpae_model_code(m, CPAE_ENCODER, X0, 0, ce), CPAE_E_SIZE);
    EXPECT(cpae_model_code(m, CPAE_ENCODER, X0, -D, ce), CPAE_E_SIZE);
    EXPECT(cpae_model_code(m, CPAE_DECODER, Z0, D, cd), CPAE_E_SIZE);
    /* Codes created for another stack or another model shape. */
    EXPECT(cpae_model_code(m, CPAE_ENCODER, X0, D, cd), CPAE_E_MISMATCH);
    EXPECT(cpae_model_code(m, CPAE_ENCODER, X0, D, ca), CPAE_E_MISMATCH);
    EXPECT(cpae_model_code(m, CPAE_DECODER, Z0, H, ce), CPAE_E_MISMATCH);
    EXPECT(cpae_model_code(m, CPAE_AUTOENCODER, X0, D, ce), CPAE_E_MISMATCH);
    EXPECT(cpae_model_code(m, CPAE_ENCODER, X0, D, co), CPAE_E_MISMATCH);
    EXPECT(cpae_model_code(o, CPAE_ENCODER, X0, D, ce), CPAE_E_MISMATCH);
    /* Non-finite points. */
    float xb[D];
    for (int k = 0; k < 3; k++)
        for (int at = 0; at < D; at += D - 1) {
            poisoned(xb, X0, D, at, BAD_VALUES[k]);
            EXPECT(cpae_model_code(m, CPAE_ENCODER, xb, D, ce), CPAE_E_NONFINITE);
        }
    code_bytes_of(ce, after, 8, &na);
    ck_assert_int_eq(na, nb);
    ck_assert_msg(memcmp(before, after, (size_t)nb) == 0, "code changed by a failing refill");

    cpae_code_destroy(ce);
    cpae_code_destroy(cd);
    cpae_code_destroy(ca);
    cpae_code_destroy(co);
    cpae_model_destroy(m);
    cpae_model_destroy(o);
}
END_TEST

START_TEST(test_model_code_bytes_errors)
{
    cpae_model *m = model_main();
    int64_t nb = -9;
    EXPECT(cpae_model_code_bytes(NULL, CPAE_ENCODER, &nb), CPAE_E_NULL);
    EXPECT(cpae_model_code_bytes(m, CPAE_ENCODER, NULL), CPAE_E_NULL);
    EXPECT(cpae_model_code_bytes(m, 7, &nb), CPAE_E_INVALID);
    EXPECT(cpae_model_code_bytes(m, -1, &nb), CPAE_E_INVALID);
    ck_assert_int_eq(nb, -9);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_codes_errors)
{
    cpae_model *m = model_main();
    enum { N = 3 };
    float x[N * D], xb[N * D];
    uint64_t s = 99;
    tu_fill(x, N * D, 1.0, &s);
    int64_t cb = 0;
    CK_OK(cpae_model_code_bytes(m, CPAE_AUTOENCODER, &cb));
    ck_assert_int_eq(cb, 2);
    uint8_t codes[N * 2 + 4];
    memset(codes, SENT_B, sizeof codes);
    EXPECT(cpae_model_codes(NULL, CPAE_AUTOENCODER, x, N, D, codes, N * cb), CPAE_E_NULL);
    EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, NULL, N, D, codes, N * cb), CPAE_E_NULL);
    EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, D, NULL, N * cb), CPAE_E_NULL);
    EXPECT(cpae_model_codes(m, 7, x, N, D, codes, N * cb), CPAE_E_INVALID);
    EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, 0, D, codes, N * cb), CPAE_E_SIZE);
    EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, -1, D, codes, N * cb), CPAE_E_SIZE);
    EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, H, codes, N * cb), CPAE_E_SIZE);
    EXPECT(cpae_model_codes(m, CPAE_DECODER, x, N, D, codes, N * cb), CPAE_E_SIZE);
    EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, D, codes, N * cb - 1),
           CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, D, codes, 0), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, D, codes, -1), CPAE_E_BUFFER_TOO_SMALL);
    for (int k = 0; k < 3; k++) {
        poisoned(xb, x, N * D, N * D - 1, BAD_VALUES[k]);
        EXPECT(cpae_model_codes(m, CPAE_AUTOENCODER, xb, N, D, codes, N * cb),
               CPAE_E_NONFINITE);
    }
    ASSERT_B_SENT(codes, sizeof codes);
    CK_OK(cpae_model_codes(m, CPAE_AUTOENCODER, x, N, D, codes, (int64_t)sizeof codes));
    ASSERT_B_SENT(codes + N * cb, sizeof codes - (size_t)(N * cb));
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_model_count_regions_errors)
{
    cpae_model *m = model_main();
    enum { N = 4 };
    float x[N * D], xb[N * D];
    uint64_t s = 3;
    tu_fill(x, N * D, 1.0, &s);
    int64_t nr = -9;
    EXPECT(cpae_model_count_regions(NULL, CPAE_ENCODER, x, N, D, &nr), CPAE_E_NULL);
    EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, NULL, N, D, &nr), CPAE_E_NULL);
    EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, x, N, D, NULL), CPAE_E_NULL);
    EXPECT(cpae_model_count_regions(m, 7, x, N, D, &nr), CPAE_E_INVALID);
    EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, x, 0, D, &nr), CPAE_E_SIZE);
    EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, x, -4, D, &nr), CPAE_E_SIZE);
    EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, x, N, D + 1, &nr), CPAE_E_SIZE);
    EXPECT(cpae_model_count_regions(m, CPAE_DECODER, x, N, D, &nr), CPAE_E_SIZE);
    for (int k = 0; k < 3; k++) {
        poisoned(xb, x, N * D, N * D - 1, BAD_VALUES[k]);
        EXPECT(cpae_model_count_regions(m, CPAE_ENCODER, xb, N, D, &nr), CPAE_E_NONFINITE);
    }
    ck_assert_int_eq(nr, -9);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_code_queries_errors)
{
    cpae_model *m = model_main();
    cpae_code *ce = NULL, *ca = NULL, *ce2 = NULL;
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &ce));
    CK_OK(cpae_code_create(m, CPAE_AUTOENCODER, &ca));
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &ce2));
    int64_t i64 = -9;
    int32_t i32 = -9;
    uint64_t u64 = 12345;

    EXPECT(cpae_code_info(NULL, &i64, &i32), CPAE_E_NULL);
    CK_OK(cpae_code_info(ce, NULL, NULL));

    EXPECT(cpae_code_bit(NULL, 0, &i32), CPAE_E_NULL);
    EXPECT(cpae_code_bit(ce, 0, NULL), CPAE_E_NULL);
    EXPECT(cpae_code_bit(ce, -1, &i32), CPAE_E_INVALID);
    EXPECT(cpae_code_bit(ce, 5, &i32), CPAE_E_INVALID); /* 5 bits: 0..4 */
    EXPECT(cpae_code_bit(ce, 8, &i32), CPAE_E_INVALID);
    EXPECT(cpae_code_bit(ca, 10, &i32), CPAE_E_INVALID);
    EXPECT(cpae_code_bit(ca, INT64_MAX, &i32), CPAE_E_INVALID);
    EXPECT(cpae_code_bit(ca, INT64_MIN, &i32), CPAE_E_INVALID);
    CK_OK(cpae_code_bit(ce, 4, &i32));
    i32 = -9;

    EXPECT(cpae_code_equal(NULL, ce, &i32), CPAE_E_NULL);
    EXPECT(cpae_code_equal(ce, NULL, &i32), CPAE_E_NULL);
    EXPECT(cpae_code_equal(ce, ce2, NULL), CPAE_E_NULL);
    ck_assert_int_eq(i32, -9);
    /* Different lengths are not an error: just unequal. */
    CK_OK(cpae_code_equal(ce, ca, &i32));
    ck_assert_int_eq(i32, 0);

    EXPECT(cpae_code_hash(NULL, &u64), CPAE_E_NULL);
    EXPECT(cpae_code_hash(ce, NULL), CPAE_E_NULL);
    ck_assert_uint_eq(u64, 12345);

    EXPECT(cpae_code_hamming(NULL, ce, &i64), CPAE_E_NULL);
    EXPECT(cpae_code_hamming(ce, NULL, &i64), CPAE_E_NULL);
    EXPECT(cpae_code_hamming(ce, ce2, NULL), CPAE_E_NULL);
    EXPECT(cpae_code_hamming(ce, ca, &i64), CPAE_E_MISMATCH);
    EXPECT(cpae_code_hamming(ca, ce, &i64), CPAE_E_MISMATCH);
    ck_assert_int_eq(i64, -9);

    EXPECT(cpae_code_popcount(NULL, &i64), CPAE_E_NULL);
    EXPECT(cpae_code_popcount(ce, NULL), CPAE_E_NULL);
    ck_assert_int_eq(i64, -9);

    cpae_code_destroy(ce);
    cpae_code_destroy(ca);
    cpae_code_destroy(ce2);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_code_bytes_errors)
{
    cpae_model *m = model_main();
    cpae_code *ce = NULL, *ca = NULL;
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &ce));   /* 5 bits, 1 byte */
    CK_OK(cpae_code_create(m, CPAE_AUTOENCODER, &ca)); /* 10 bits, 2 bytes */
    CK_OK(cpae_model_code(m, CPAE_AUTOENCODER, X0, D, ca));
    const uint8_t pe[] = {0x0B}, pa[] = {0x5A, 0x02};
    CK_OK(cpae_code_from_bytes(ce, pe, 1));
    CK_OK(cpae_code_from_bytes(ca, pa, 2));

    uint8_t buf[8];
    int64_t written = -9;
    memset(buf, SENT_B, sizeof buf);
    EXPECT(cpae_code_to_bytes(NULL, buf, 8, &written), CPAE_E_NULL);
    EXPECT(cpae_code_to_bytes(ca, NULL, 8, &written), CPAE_E_NULL);
    EXPECT(cpae_code_to_bytes(ca, buf, 1, &written), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_code_to_bytes(ca, buf, 0, &written), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_code_to_bytes(ca, buf, -1, &written), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_code_to_bytes(ce, buf, 0, &written), CPAE_E_BUFFER_TOO_SMALL);
    ASSERT_B_SENT(buf, sizeof buf);
    ck_assert_int_eq(written, -9);

    /* from_bytes: wrong length, unused high bits set. */
    const uint8_t three[] = {0x01, 0x00, 0x00};
    EXPECT(cpae_code_from_bytes(NULL, pa, 2), CPAE_E_NULL);
    EXPECT(cpae_code_from_bytes(ca, NULL, 2), CPAE_E_NULL);
    EXPECT(cpae_code_from_bytes(ca, three, 1), CPAE_E_SIZE);
    EXPECT(cpae_code_from_bytes(ca, three, 3), CPAE_E_SIZE);
    EXPECT(cpae_code_from_bytes(ca, three, 0), CPAE_E_SIZE);
    EXPECT(cpae_code_from_bytes(ca, three, -2), CPAE_E_SIZE);
    EXPECT(cpae_code_from_bytes(ce, three, 2), CPAE_E_SIZE);
    {
        const uint8_t hi_a[] = {0x00, 0x04}; /* bit 10 of a 10-bit code */
        const uint8_t hi_a2[] = {0xFF, 0xFF};
        const uint8_t hi_e[] = {0x20};       /* bit 5 of a 5-bit code */
        const uint8_t hi_e2[] = {0x80};
        EXPECT(cpae_code_from_bytes(ca, hi_a, 2), CPAE_E_FORMAT);
        EXPECT(cpae_code_from_bytes(ca, hi_a2, 2), CPAE_E_FORMAT);
        EXPECT(cpae_code_from_bytes(ce, hi_e, 1), CPAE_E_FORMAT);
        EXPECT(cpae_code_from_bytes(ce, hi_e2, 1), CPAE_E_FORMAT);
    }
    int64_t n = 0;
    code_bytes_of(ce, buf, 8, &n);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(buf[0], pe[0]);
    code_bytes_of(ca, buf, 8, &n);
    ck_assert_int_eq(n, 2);
    ck_assert_msg(buf[0] == pa[0] && buf[1] == pa[1], "code changed by a failing from_bytes");
    cpae_code_destroy(ce);
    cpae_code_destroy(ca);
    cpae_model_destroy(m);
}
END_TEST

/* ============================================================ affine */

START_TEST(test_affine_create_errors)
{
    cpae_model *m = model_main();
    cpae_affine *a = NULL;
    EXPECT(cpae_affine_create(NULL, CPAE_ENCODER, &a), CPAE_E_NULL);
    EXPECT(cpae_affine_create(m, CPAE_ENCODER, NULL), CPAE_E_NULL);
    EXPECT(cpae_affine_create(m, 7, &a), CPAE_E_INVALID);
    EXPECT(cpae_affine_create(m, -1, &a), CPAE_E_INVALID);
    ck_assert_ptr_null(a);
    cpae_model_destroy(m);
    cpae_affine_destroy(NULL);
    /* d x d > CPAE_MAX_PARAMS although the model itself is small:
     * d = 70000, h = 1 (identity layers only, about 2e5 parameters). */
    const int64_t w[] = {70000, 1};
    cpae_model *big = NULL;
    CK_OK(cpae_model_create_mirrored(w, 2, CPAE_ACT_RELU, 1, &big));
    EXPECT(cpae_affine_create(big, CPAE_AUTOENCODER, &a), CPAE_E_LIMIT);
    ck_assert_ptr_null(a);
    CK_OK(cpae_affine_create(big, CPAE_ENCODER, &a));
    cpae_affine_destroy(a);
    cpae_model_destroy(big);
}
END_TEST

typedef struct map_snap {
    int64_t n;
    double v[64];
} map_snap;

static void snap(const cpae_affine *a, map_snap *s)
{
    int64_t no = 0, ni = 0;
    CK_OK(cpae_affine_dims(a, &no, &ni));
    s->n = no * ni + no;
    ck_assert_int_le(s->n, 64);
    CK_OK(cpae_affine_get_slope_f64(a, s->v, no * ni));
    CK_OK(cpae_affine_get_offset_f64(a, s->v + no * ni, no));
}

static void assert_same_map(const cpae_affine *a, const map_snap *before, const char *what)
{
    map_snap now;
    snap(a, &now);
    ck_assert_int_eq(now.n, before->n);
    ck_assert_msg(memcmp(now.v, before->v, (size_t)now.n * sizeof(double)) == 0,
                  "map '%s' changed by a failing call", what);
}

START_TEST(test_model_affine_errors)
{
    cpae_model *m = model_main(), *o = model_other();
    cpae_affine *ae = NULL, *ad = NULL, *aa = NULL, *ao = NULL;
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &ae));
    CK_OK(cpae_affine_create(m, CPAE_DECODER, &ad));
    CK_OK(cpae_affine_create(m, CPAE_AUTOENCODER, &aa));
    CK_OK(cpae_affine_create(o, CPAE_ENCODER, &ao));
    CK_OK(cpae_model_affine(m, CPAE_ENCODER, X1, D, ae));
    map_snap before;
    snap(ae, &before);

    EXPECT(cpae_model_affine(NULL, CPAE_ENCODER, X0, D, ae), CPAE_E_NULL);
    EXPECT(cpae_model_affine(m, CPAE_ENCODER, NULL, D, ae), CPAE_E_NULL);
    EXPECT(cpae_model_affine(m, CPAE_ENCODER, X0, D, NULL), CPAE_E_NULL);
    EXPECT(cpae_model_affine(m, 7, X0, D, ae), CPAE_E_INVALID);
    EXPECT(cpae_model_affine(m, -1, X0, D, ae), CPAE_E_INVALID);
    EXPECT(cpae_model_affine(m, CPAE_ENCODER, X0, H, ae), CPAE_E_SIZE);
    EXPECT(cpae_model_affine(m, CPAE_ENCODER, X0, 0, ae), CPAE_E_SIZE);
    EXPECT(cpae_model_affine(m, CPAE_DECODER, X0, D, ad), CPAE_E_SIZE);
    /* Maps created for another stack or another model shape. */
    EXPECT(cpae_model_affine(m, CPAE_ENCODER, X0, D, ad), CPAE_E_MISMATCH);
    EXPECT(cpae_model_affine(m, CPAE_ENCODER, X0, D, aa), CPAE_E_MISMATCH);
    EXPECT(cpae_model_affine(m, CPAE_AUTOENCODER, X0, D, ae), CPAE_E_MISMATCH);
    EXPECT(cpae_model_affine(m, CPAE_DECODER, Z0, H, ae), CPAE_E_MISMATCH);
    EXPECT(cpae_model_affine(m, CPAE_ENCODER, X0, D, ao), CPAE_E_MISMATCH);
    EXPECT(cpae_model_affine(o, CPAE_ENCODER, X0, D, ae), CPAE_E_MISMATCH);
    float xb[D];
    for (int k = 0; k < 3; k++)
        for (int at = 0; at < D; at += D - 1) {
            poisoned(xb, X0, D, at, BAD_VALUES[k]);
            EXPECT(cpae_model_affine(m, CPAE_ENCODER, xb, D, ae), CPAE_E_NONFINITE);
        }
    assert_same_map(ae, &before, "ae");

    cpae_affine_destroy(ae);
    cpae_affine_destroy(ad);
    cpae_affine_destroy(aa);
    cpae_affine_destroy(ao);
    cpae_model_destroy(m);
    cpae_model_destroy(o);
}
END_TEST

START_TEST(test_region_maps_errors)
{
    cpae_model *m = model_main(), *o = model_other();
    cpae_affine *e = NULL, *d = NULL, *a = NULL, *oe = NULL, *od = NULL, *oa = NULL;
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &e));
    CK_OK(cpae_affine_create(m, CPAE_DECODER, &d));
    CK_OK(cpae_affine_create(m, CPAE_AUTOENCODER, &a));
    CK_OK(cpae_affine_create(o, CPAE_ENCODER, &oe));
    CK_OK(cpae_affine_create(o, CPAE_DECODER, &od));
    CK_OK(cpae_affine_create(o, CPAE_AUTOENCODER, &oa));
    CK_OK(cpae_model_region_maps(m, X1, D, e, d, a));
    map_snap se, sd, sa;
    snap(e, &se);
    snap(d, &sd);
    snap(a, &sa);

    EXPECT(cpae_model_region_maps(NULL, X0, D, e, d, a), CPAE_E_NULL);
    EXPECT(cpae_model_region_maps(m, NULL, D, e, d, a), CPAE_E_NULL);
    EXPECT(cpae_model_region_maps(m, X0, H, e, d, a), CPAE_E_SIZE);
    EXPECT(cpae_model_region_maps(m, X0, 0, e, d, a), CPAE_E_SIZE);
    EXPECT(cpae_model_region_maps(m, X0, -1, e, d, a), CPAE_E_SIZE);
    /* One wrong map in any slot: nothing is written. */
    EXPECT(cpae_model_region_maps(m, X0, D, d, d, a), CPAE_E_MISMATCH);
    EXPECT(cpae_model_region_maps(m, X0, D, e, e, a), CPAE_E_MISMATCH);
    EXPECT(cpae_model_region_maps(m, X0, D, e, d, e), CPAE_E_MISMATCH);
    EXPECT(cpae_model_region_maps(m, X0, D, a, d, a), CPAE_E_MISMATCH);
    EXPECT(cpae_model_region_maps(m, X0, D, e, d, oa), CPAE_E_MISMATCH);
    EXPECT(cpae_model_region_maps(m, X0, D, oe, d, a), CPAE_E_MISMATCH);
    EXPECT(cpae_model_region_maps(m, X0, D, e, od, a), CPAE_E_MISMATCH);
    EXPECT(cpae_model_region_maps(o, X0, D, e, NULL, NULL), CPAE_E_MISMATCH);
    float xb[D];
    for (int k = 0; k < 3; k++) {
        poisoned(xb, X0, D, D - 1, BAD_VALUES[k]);
        EXPECT(cpae_model_region_maps(m, xb, D, e, d, a), CPAE_E_NONFINITE);
        EXPECT(cpae_model_region_maps(m, xb, D, NULL, NULL, a), CPAE_E_NONFINITE);
    }
    assert_same_map(e, &se, "enc");
    assert_same_map(d, &sd, "dec");
    assert_same_map(a, &sa, "ae");
    /* All maps optional. */
    CK_OK(cpae_model_region_maps(m, X0, D, NULL, NULL, NULL));

    cpae_affine_destroy(e);
    cpae_affine_destroy(d);
    cpae_affine_destroy(a);
    cpae_affine_destroy(oe);
    cpae_affine_destroy(od);
    cpae_affine_destroy(oa);
    cpae_model_destroy(m);
    cpae_model_destroy(o);
}
END_TEST

START_TEST(test_affine_getters_errors)
{
    cpae_model *m = model_main();
    cpae_affine *a = NULL; /* encoder map: 2 x 4 */
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &a));
    CK_OK(cpae_model_affine(m, CPAE_ENCODER, X0, D, a));
    int64_t no = -9, ni = -9;
    EXPECT(cpae_affine_dims(NULL, &no, &ni), CPAE_E_NULL);
    ck_assert_int_eq(no, -9);
    ck_assert_int_eq(ni, -9);
    CK_OK(cpae_affine_dims(a, NULL, NULL));

    float f[16];
    double g[16];
    fill_f(f, 16, SENT_F);
    fill_d(g, 16, SENT_D);
    EXPECT(cpae_affine_get_slope(NULL, f, 8), CPAE_E_NULL);
    EXPECT(cpae_affine_get_slope(a, NULL, 8), CPAE_E_NULL);
    EXPECT(cpae_affine_get_slope(a, f, 7), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_affine_get_slope(a, f, 0), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_affine_get_slope(a, f, -1), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_affine_get_offset(NULL, f, 2), CPAE_E_NULL);
    EXPECT(cpae_affine_get_offset(a, NULL, 2), CPAE_E_NULL);
    EXPECT(cpae_affine_get_offset(a, f, 1), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_affine_get_offset(a, f, -1), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_affine_get_slope_f64(NULL, g, 8), CPAE_E_NULL);
    EXPECT(cpae_affine_get_slope_f64(a, NULL, 8), CPAE_E_NULL);
    EXPECT(cpae_affine_get_slope_f64(a, g, 7), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_affine_get_slope_f64(a, g, -8), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_affine_get_offset_f64(NULL, g, 2), CPAE_E_NULL);
    EXPECT(cpae_affine_get_offset_f64(a, NULL, 2), CPAE_E_NULL);
    EXPECT(cpae_affine_get_offset_f64(a, g, 1), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_affine_get_offset_f64(a, g, 0), CPAE_E_BUFFER_TOO_SMALL);
    ASSERT_F_SENT(f, 16);
    ASSERT_D_SENT(g, 16);
    cpae_affine_destroy(a);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_affine_apply_errors)
{
    cpae_model *m = model_main();
    cpae_affine *a = NULL; /* decoder map: 4 x 2 */
    CK_OK(cpae_affine_create(m, CPAE_DECODER, &a));
    CK_OK(cpae_model_affine(m, CPAE_DECODER, Z0, H, a));
    enum { N = 3 };
    float p[N * H], pb[N * H], y[N * D + 2];
    uint64_t s = 17;
    tu_fill(p, N * H, 1.0, &s);
    fill_f(y, N * D + 2, SENT_F);
    EXPECT(cpae_affine_apply(NULL, p, N, H, y, N * D), CPAE_E_NULL);
    EXPECT(cpae_affine_apply(a, NULL, N, H, y, N * D), CPAE_E_NULL);
    EXPECT(cpae_affine_apply(a, p, N, H, NULL, N * D), CPAE_E_NULL);
    EXPECT(cpae_affine_apply(a, p, 0, H, y, N * D), CPAE_E_SIZE);
    EXPECT(cpae_affine_apply(a, p, -1, H, y, N * D), CPAE_E_SIZE);
    EXPECT(cpae_affine_apply(a, p, N, D, y, N * D), CPAE_E_SIZE);
    EXPECT(cpae_affine_apply(a, p, N, 0, y, N * D), CPAE_E_SIZE);
    EXPECT(cpae_affine_apply(a, p, N, -H, y, N * D), CPAE_E_SIZE);
    EXPECT(cpae_affine_apply(a, p, N, H, y, N * D - 1), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_affine_apply(a, p, N, H, y, 0), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_affine_apply(a, p, N, H, y, -1), CPAE_E_BUFFER_TOO_SMALL);
    ASSERT_F_SENT(y, N * D + 2);
    for (int k = 0; k < 3; k++) {
        poisoned(pb, p, N * H, N * H - 1, BAD_VALUES[k]);
        EXPECT(cpae_affine_apply(a, pb, N, H, y, N * D), CPAE_E_NONFINITE);
        poisoned(pb, p, N * H, 0, BAD_VALUES[k]);
        EXPECT(cpae_affine_apply(a, pb, N, H, y, N * D), CPAE_E_NONFINITE);
    }
    ASSERT_F_SENT(y, N * D + 2);
    CK_OK(cpae_affine_apply(a, p, N, H, y, N * D + 2));
    ASSERT_F_SENT(y + N * D, 2);
    cpae_affine_destroy(a);
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_affine_apply_huge_n)
{
    /* A 1 x 4 map (encoder of a 4 -> 1 model): n * n_out fits, n * dim
     * does not. */
    const int64_t w[] = {4, 1};
    cpae_model *m = NULL;
    CK_OK(cpae_model_create_mirrored(w, 2, CPAE_ACT_RELU, 1, &m));
    cpae_affine *a = NULL;
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &a));
    const char *why = huge_refused(1, a, "cpae_affine_apply");
    cpae_affine_destroy(a);
    cpae_model_destroy(m);
    ASSERT_REFUSED(why);
}
END_TEST

START_TEST(test_affine_compose_errors)
{
    cpae_model *m = model_main();
    cpae_affine *e = NULL, *d = NULL, *a = NULL, *e2 = NULL;
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &e));     /* 2 x 4 */
    CK_OK(cpae_affine_create(m, CPAE_DECODER, &d));     /* 4 x 2 */
    CK_OK(cpae_affine_create(m, CPAE_AUTOENCODER, &a)); /* 4 x 4 */
    CK_OK(cpae_affine_create(m, CPAE_ENCODER, &e2));
    CK_OK(cpae_model_region_maps(m, X1, D, e, d, a));
    CK_OK(cpae_model_affine(m, CPAE_ENCODER, X0, D, e2));
    map_snap sa, se2;
    snap(a, &sa);
    snap(e2, &se2);

    EXPECT(cpae_affine_compose(NULL, e, a), CPAE_E_NULL);
    EXPECT(cpae_affine_compose(d, NULL, a), CPAE_E_NULL);
    EXPECT(cpae_affine_compose(d, e, NULL), CPAE_E_NULL);
    /* outer.n_in != inner.n_out. */
    EXPECT(cpae_affine_compose(e, e, a), CPAE_E_SIZE);
    EXPECT(cpae_affine_compose(d, d, a), CPAE_E_SIZE);
    EXPECT(cpae_affine_compose(a, e, a), CPAE_E_SIZE);
    /* Chains, but out has the wrong shape: d o e is 4 x 4, e o d is 2 x 2. */
    EXPECT(cpae_affine_compose(d, e, e2), CPAE_E_SIZE);
    EXPECT(cpae_affine_compose(e, d, a), CPAE_E_SIZE);
    EXPECT(cpae_affine_compose(e, a, a), CPAE_E_SIZE);
    assert_same_map(a, &sa, "out (ae)");
    assert_same_map(e2, &se2, "out (enc)");
    cpae_affine_destroy(e);
    cpae_affine_destroy(d);
    cpae_affine_destroy(a);
    cpae_affine_destroy(e2);
    cpae_model_destroy(m);
}
END_TEST

/* ========================================================== geometry */

START_TEST(test_boundary_distance_errors)
{
    cpae_model *m = model_main();
    double r = SENT_D;
    int64_t unit = -9;
    float normal[D + 2];
    fill_f(normal, D + 2, SENT_F);
    EXPECT(cpae_model_boundary_distance(NULL, CPAE_ENCODER, X0, D, &r, &unit, normal, D),
           CPAE_E_NULL);
    EXPECT(cpae_model_boundary_distance(m, CPAE_ENCODER, NULL, D, &r, &unit, normal, D),
           CPAE_E_NULL);
    EXPECT(cpae_model_boundary_distance(m, CPAE_ENCODER, X0, D, NULL, &unit, normal, D),
           CPAE_E_NULL);
    EXPECT(cpae_model_boundary_distance(m, 7, X0, D, &r, &unit, normal, D), CPAE_E_INVALID);
    EXPECT(cpae_model_boundary_distance(m, -1, X0, D, &r, &unit, normal, D), CPAE_E_INVALID);
    EXPECT(cpae_model_boundary_distance(m, CPAE_ENCODER, X0, H, &r, &unit, normal, D),
           CPAE_E_SIZE);
    EXPECT(cpae_model_boundary_distance(m, CPAE_ENCODER, X0, 0, &r, &unit, normal, D),
           CPAE_E_SIZE);
    EXPECT(cpae_model_boundary_distance(m, CPAE_DECODER, X0, D, &r, &unit, normal, D),
           CPAE_E_SIZE);
    EXPECT(cpae_model_boundary_distance(m, CPAE_ENCODER, X0, D, &r, &unit, normal, D - 1),
           CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_model_boundary_distance(m, CPAE_AUTOENCODER, X0, D, &r, &unit, normal, 0),
           CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_model_boundary_distance(m, CPAE_AUTOENCODER, X0, D, &r, &unit, normal, -1),
           CPAE_E_BUFFER_TOO_SMALL);
    float xb[D];
    for (int k = 0; k < 3; k++)
        for (int at = 0; at < D; at += D - 1) {
            poisoned(xb, X0, D, at, BAD_VALUES[k]);
            EXPECT(cpae_model_boundary_distance(m, CPAE_AUTOENCODER, xb, D, &r, &unit, normal,
                                                D),
                   CPAE_E_NONFINITE);
        }
    ck_assert(r == SENT_D);
    ck_assert_int_eq(unit, -9);
    ASSERT_F_SENT(normal, D + 2);
    /* unit and normal are optional (normal_cap is then ignored). */
    CK_OK(cpae_model_boundary_distance(m, CPAE_ENCODER, X0, D, &r, NULL, NULL, 0));
    cpae_model_destroy(m);
}
END_TEST

START_TEST(test_boundary_distances_errors)
{
    cpae_model *m = model_main();
    enum { N = 3 };
    float x[N * D], xb[N * D];
    uint64_t s = 23;
    tu_fill(x, N * D, 1.0, &s);
    double r[N + 2];
    fill_d(r, N + 2, SENT_D);
    EXPECT(cpae_model_boundary_distances(NULL, CPAE_ENCODER, x, N, D, r, N), CPAE_E_NULL);
    EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, NULL, N, D, r, N), CPAE_E_NULL);
    EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, D, NULL, N), CPAE_E_NULL);
    EXPECT(cpae_model_boundary_distances(m, 7, x, N, D, r, N), CPAE_E_INVALID);
    EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, 0, D, r, N), CPAE_E_SIZE);
    EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, -1, D, r, N), CPAE_E_SIZE);
    EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, D - 1, r, N), CPAE_E_SIZE);
    EXPECT(cpae_model_boundary_distances(m, CPAE_DECODER, x, N, D, r, N), CPAE_E_SIZE);
    EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, D, r, N - 1),
           CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, D, r, 0),
           CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, D, r, -1),
           CPAE_E_BUFFER_TOO_SMALL);
    for (int k = 0; k < 3; k++) {
        poisoned(xb, x, N * D, N * D - 1, BAD_VALUES[k]);
        EXPECT(cpae_model_boundary_distances(m, CPAE_AUTOENCODER, xb, N, D, r, N),
               CPAE_E_NONFINITE);
    }
    ASSERT_D_SENT(r, N + 2);
    CK_OK(cpae_model_boundary_distances(m, CPAE_ENCODER, x, N, D, r, N + 2));
    ASSERT_D_SENT(r + N, 2);
    cpae_model_destroy(m);
}
END_TEST

static const float SEG_P[D] = {-2.0f, 1.5f, 0.5f, -1.0f};
static const float SEG_Q[D] = {2.0f, -1.0f, -0.5f, 1.5f};

START_TEST(test_segment_errors)
{
    cpae_model *m = model_main();
    cpae_path *path = NULL;
    EXPECT(cpae_model_segment(NULL, CPAE_ENCODER, SEG_P, SEG_Q, D, 100, &path), CPAE_E_NULL);
    EXPECT(cpae_model_segment(m, CPAE_ENCODER, NULL, SEG_Q, D, 100, &path), CPAE_E_NULL);
    EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, NULL, D, 100, &path), CPAE_E_NULL);
    EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, D, 100, NULL), CPAE_E_NULL);
    ck_assert_ptr_null(path);
    EXPECT(cpae_model_segment(m, 7, SEG_P, SEG_Q, D, 100, &path), CPAE_E_INVALID);
    EXPECT(cpae_model_segment(m, -1, SEG_P, SEG_Q, D, 100, &path), CPAE_E_INVALID);
    EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, D, 0, &path), CPAE_E_INVALID);
    EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, D, -1, &path), CPAE_E_INVALID);
    ck_assert_ptr_null(path);
    EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, H, 100, &path), CPAE_E_SIZE);
    EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, 0, 100, &path), CPAE_E_SIZE);
    EXPECT(cpae_model_segment(m, CPAE_ENCODER, SEG_P, SEG_Q, -D, 100, &path), CPAE_E_SIZE);
    EXPECT(cpae_model_segment(m, CPAE_DECODER, SEG_P, SEG_Q, D, 100, &path), CPAE_E_SIZE);
    ck_assert_ptr_null(path);
    float qb[D];
    for (int k = 0; k < 3; k++)
        for (int at = 0; at < D; at += D - 1) {
            poisoned(qb, SEG_Q, D, at, BAD_VALUES[k]);
            EXPECT(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, qb, D, 100, &path),
                   CPAE_E_NONFINITE);
            ck_assert_ptr_null(path);
        }
    /* max_regions too small for the walk. */
    CK_OK(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, SEG_Q, D, 100000, &path));
    int64_t nr = 0;
    CK_OK(cpae_path_n_regions(path, &nr));
    cpae_path_destroy(path);
    path = NULL;
    ck_assert_msg(nr >= 3, "test segment crosses only %lld regions", (long long)nr);
    EXPECT(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, SEG_Q, D, nr - 1, &path),
           CPAE_E_LIMIT);
    ck_assert_ptr_null(path);
    EXPECT(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, SEG_Q, D, 1, &path), CPAE_E_LIMIT);
    ck_assert_ptr_null(path);
    CK_OK(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, SEG_Q, D, nr, &path));
    cpae_path_destroy(path);
    cpae_path_destroy(NULL);
    cpae_model_destroy(m);
}
END_TEST

/* cpae.h CONVENTIONS: "Inputs containing NaN or +-Inf are refused with
 * CPAE_E_NONFINITE" -- the start point p as well as q. */
START_TEST(test_segment_nonfinite_p)
{
    cpae_model *m = model_main();
    float pb[D];
    char why[256] = "";
    for (int k = 0; k < 3 && !why[0]; k++)
        for (int at = 0; at < D && !why[0]; at += D - 1) {
            cpae_path *path = NULL;
            poisoned(pb, SEG_P, D, at, BAD_VALUES[k]);
            int32_t st = cpae_model_segment(m, CPAE_ENCODER, pb, SEG_Q, D, 100, &path);
            if (st != CPAE_E_NONFINITE)
                snprintf(why, sizeof why, "segment with p[%d] = %f -> %d (%s), expected "
                         "CPAE_E_NONFINITE", at, (double)BAD_VALUES[k], (int)st,
                         cpae_status_string(st));
            else if (path != NULL)
                snprintf(why, sizeof why, "a path was created from a non-finite p");
            else if (cpae_last_error()[0] == '\0')
                snprintf(why, sizeof why, "no detail message");
            cpae_path_destroy(path);
        }
    cpae_model_destroy(m);
    ck_assert_msg(why[0] == '\0', "%s", why);
}
END_TEST

START_TEST(test_path_errors)
{
    cpae_model *m = model_main(), *o = model_other();
    cpae_path *path = NULL;
    CK_OK(cpae_model_segment(m, CPAE_AUTOENCODER, SEG_P, SEG_Q, D, 100000, &path));
    int64_t nr = -9;
    EXPECT(cpae_path_n_regions(NULL, &nr), CPAE_E_NULL);
    EXPECT(cpae_path_n_regions(path, NULL), CPAE_E_NULL);
    ck_assert_int_eq(nr, -9);
    CK_OK(cpae_path_n_regions(path, &nr));
    ck_assert_int_ge(nr, 2);
    ck_assert_int_le(nr, 60);

    double t[64];
    fill_d(t, 64, SENT_D);
    EXPECT(cpae_path_params(NULL, t, nr), CPAE_E_NULL);
    EXPECT(cpae_path_params(path, NULL, nr), CPAE_E_NULL);
    EXPECT(cpae_path_params(path, t, nr - 1), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_path_params(path, t, 0), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_path_params(path, t, -1), CPAE_E_BUFFER_TOO_SMALL);
    ASSERT_D_SENT(t, 64);

    cpae_code *ca = NULL, *ce = NULL, *co = NULL;
    CK_OK(cpae_code_create(m, CPAE_AUTOENCODER, &ca));
    CK_OK(cpae_code_create(m, CPAE_ENCODER, &ce));
    CK_OK(cpae_code_create(o, CPAE_AUTOENCODER, &co));
    const uint8_t pat[] = {0xC3, 0x01};
    CK_OK(cpae_code_from_bytes(ca, pat, 2));
    EXPECT(cpae_path_code(NULL, 0, ca), CPAE_E_NULL);
    EXPECT(cpae_path_code(path, 0, NULL), CPAE_E_NULL);
    EXPECT(cpae_path_code(path, -1, ca), CPAE_E_INVALID);
    EXPECT(cpae_path_code(path, nr, ca), CPAE_E_INVALID);
    EXPECT(cpae_path_code(path, INT64_MAX, ca), CPAE_E_INVALID);
    EXPECT(cpae_path_code(path, 0, ce), CPAE_E_MISMATCH);
    EXPECT(cpae_path_code(path, nr - 1, co), CPAE_E_MISMATCH);
    uint8_t buf[4];
    int64_t n = 0;
    code_bytes_of(ca, buf, 4, &n);
    ck_assert_msg(n == 2 && buf[0] == pat[0] && buf[1] == pat[1],
                  "code changed by a failing cpae_path_code");

    uint8_t codes[128];
    memset(codes, SENT_B, sizeof codes);
    EXPECT(cpae_path_codes(NULL, codes, 2 * nr), CPAE_E_NULL);
    EXPECT(cpae_path_codes(path, NULL, 2 * nr), CPAE_E_NULL);
    EXPECT(cpae_path_codes(path, codes, 2 * nr - 1), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_path_codes(path, codes, 0), CPAE_E_BUFFER_TOO_SMALL);
    EXPECT(cpae_path_codes(path, codes, -1), CPAE_E_BUFFER_TOO_SMALL);
    ASSERT_B_SENT(codes, sizeof codes);

    cpae_code_destroy(ca);
    cpae_code_destroy(ce);
    cpae_code_destroy(co);
    cpae_path_destroy(path);
    cpae_model_destroy(m);
    cpae_model_destroy(o);
}
END_TEST

START_TEST(test_ball_errors)
{
    cpae_model *m = model_main();
    int64_t nr = -9;
    EXPECT(cpae_model_count_regions_in_ball(NULL, CPAE_ENCODER, X0, D, 0.5, 16, 1, &nr),
           CPAE_E_NULL);
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, NULL, D, 0.5, 16, 1, &nr),
           CPAE_E_NULL);
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, 0.5, 16, 1, NULL),
           CPAE_E_NULL);
    EXPECT(cpae_model_count_regions_in_ball(m, 7, X0, D, 0.5, 16, 1, &nr), CPAE_E_INVALID);
    EXPECT(cpae_model_count_regions_in_ball(m, -1, X0, D, 0.5, 16, 1, &nr), CPAE_E_INVALID);
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, H, 0.5, 16, 1, &nr),
           CPAE_E_SIZE);
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, 0, 0.5, 16, 1, &nr),
           CPAE_E_SIZE);
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_DECODER, X0, D, 0.5, 16, 1, &nr),
           CPAE_E_SIZE);
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, 0.5, 0, 1, &nr),
           CPAE_E_SIZE);
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, 0.5, -5, 1, &nr),
           CPAE_E_SIZE);
    /* More samples than the 1 GiB of codes the count may hold: the documented
     * CPAE_E_LIMIT, before any allocation (it used to say CPAE_E_SIZE). */
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, 0.5, INT64_C(1) << 40, 1,
                                            &nr),
           CPAE_E_LIMIT);
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, 0.5, INT64_MAX, 1, &nr),
           CPAE_E_LIMIT);
    float cb[D];
    for (int k = 0; k < 3; k++)
        for (int at = 0; at < D; at += D - 1) {
            poisoned(cb, X0, D, at, BAD_VALUES[k]);
            EXPECT(cpae_model_count_regions_in_ball(m, CPAE_AUTOENCODER, cb, D, 0.5, 16, 1,
                                                    &nr),
                   CPAE_E_NONFINITE);
        }
    /* rho not finite or negative: CPAE_E_INVALID (documented). */
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, NAN, 16, 1, &nr),
           CPAE_E_INVALID);
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, INFINITY, 16, 1, &nr),
           CPAE_E_INVALID);
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, -INFINITY, 16, 1, &nr),
           CPAE_E_INVALID);
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, -0.5, 16, 1, &nr),
           CPAE_E_INVALID);
    ck_assert_int_eq(nr, -9);
    /* rho = 0 is allowed (one region). */
    CK_OK(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, 0.0, 16, 1, &nr));
    ck_assert_int_eq(nr, 1);
    cpae_model_destroy(m);
}
END_TEST

/* A huge n_samples is refused with one of the documented codes. */
START_TEST(test_ball_huge_n_samples)
{
    cpae_model *m = model_main();
    int64_t nr = -9;
    /* Any n_samples whose codes exceed 1 GiB: CPAE_E_LIMIT, as documented
     * (INT64_MAX used to give CPAE_E_SIZE). */
    EXPECT(cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, 0.5, INT64_MAX, 1, &nr),
           CPAE_E_LIMIT);
    ck_assert_int_eq(nr, -9);
    /* Inside the batch bound, too many code bytes to hold: CPAE_E_LIMIT. */
    int32_t st = cpae_model_count_regions_in_ball(m, CPAE_ENCODER, X0, D, 0.5,
                                                  INT64_C(1) << 37, 1, &nr);
    cpae_model_destroy(m);
    ck_assert_msg(st == CPAE_E_LIMIT, "n_samples = 2^37 -> %d (%s: %s)", (int)st,
                  cpae_status_string(st), cpae_last_error());
    ck_assert_int_eq(nr, -9);
}
END_TEST

/* ============================================================= suite */

static Suite *suite(void)
{
    Suite *s = suite_create("errors");

    TCase *tc = tcase_create("status");
    tcase_add_test(tc, test_status_strings);
    tcase_add_test(tc, test_status_strings_appended);
    tcase_add_test(tc, test_version_and_limits);
    tcase_add_test(tc, test_last_error_basic);
    tcase_add_test(tc, test_last_error_cleared_by_success);
    tcase_add_test(tc, test_last_error_copy);
    tcase_add_test(tc, test_last_error_thread_local);
    suite_add_tcase(s, tc);

    tc = tcase_create("layers");
    tcase_add_test(tc, test_layer_create_errors);
    tcase_add_test(tc, test_layer_create_alpha_ignored);
    tcase_add_test(tc, test_layer_getters_errors);
    tcase_add_test(tc, test_layer_params_errors);
    tcase_add_test(tc, test_layer_forward_errors);
    tcase_add_test(tc, test_layer_forward_huge_n);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("models");
    tcase_add_test(tc, test_model_create_null);
    tcase_add_test(tc, test_model_create_sizes);
    tcase_add_test(tc, test_model_create_invalid_and_nonfinite);
    tcase_add_test(tc, test_model_create_limits);
    tcase_add_test(tc, test_model_mirrored_errors);
    tcase_add_test(tc, test_model_mirrored_bad_widths);
    tcase_add_test(tc, test_model_from_layers_errors);
    tcase_add_test(tc, test_model_queries_errors);
    tcase_add_test(tc, test_model_get_layer_errors);
    tcase_add_test(tc, test_model_get_layer_params_errors);
    tcase_add_test(tc, test_model_set_layer_params_errors);
    tcase_add_test(tc, test_model_encode_errors);
    tcase_add_test(tc, test_model_decode_errors);
    tcase_add_test(tc, test_model_reconstruct_errors);
    tcase_add_test(tc, test_model_forward_huge_n);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("codes");
    tcase_add_test(tc, test_code_create_errors);
    tcase_add_test(tc, test_model_code_errors);
    tcase_add_test(tc, test_model_code_bytes_errors);
    tcase_add_test(tc, test_model_codes_errors);
    tcase_add_test(tc, test_model_count_regions_errors);
    tcase_add_test(tc, test_code_queries_errors);
    tcase_add_test(tc, test_code_bytes_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("affine");
    tcase_add_test(tc, test_affine_create_errors);
    tcase_add_test(tc, test_model_affine_errors);
    tcase_add_test(tc, test_region_maps_errors);
    tcase_add_test(tc, test_affine_getters_errors);
    tcase_add_test(tc, test_affine_apply_errors);
    tcase_add_test(tc, test_affine_apply_huge_n);
    tcase_add_test(tc, test_affine_compose_errors);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("geometry");
    tcase_add_test(tc, test_boundary_distance_errors);
    tcase_add_test(tc, test_boundary_distances_errors);
    tcase_add_test(tc, test_segment_errors);
    tcase_add_test(tc, test_segment_nonfinite_p);
    tcase_add_test(tc, test_path_errors);
    tcase_add_test(tc, test_ball_errors);
    tcase_add_test(tc, test_ball_huge_n_samples);
    suite_add_tcase(s, tc);

    return s;
}

int main(void) { return tu_run(suite()); }
