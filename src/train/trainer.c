/* trainer.c -- the regularized trainer: keyed hyperparameters, seeded
 * mini-batches, SGD with momentum / Adam, early stopping, progress
 * callback, divergence detection, and the gradient API. */
#include "train/loss.h"
#include "lie/lie.h"
#include "core/pool.h"
#include "train/params.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------- parameters */

typedef struct param_info {
    int32_t key;
    double lo, hi, def;
    bool integer;
} param_info;

/* Ranges and CPAE_METHOD_AE defaults; the only table, read-only. */
static const param_info PARAMS[] = {
    {CPAE_P_OPTIMIZER, 0, 1, 1, true},
    {CPAE_P_LEARNING_RATE, 0, 1e3, 1e-3, false},
    {CPAE_P_MOMENTUM, 0, 0.999999, 0.9, false},
    {CPAE_P_ADAM_BETA1, 0, 0.999999, 0.9, false},
    {CPAE_P_ADAM_BETA2, 0, 0.999999999, 0.999, false},
    {CPAE_P_ADAM_EPS, 1e-300, 1, 1e-8, false},
    {CPAE_P_WEIGHT_DECAY, 0, 1e6, 0, false},
    {CPAE_P_BATCH_SIZE, 1, 1 << 30, 32, true},
    {CPAE_P_EPOCHS, 0, 1e9, 100, true},
    {CPAE_P_SEED, 0, 9007199254740992.0, 0, true},
    {CPAE_P_PATIENCE, 0, 1e9, 0, true},
    {CPAE_P_GENERATOR_LR, 0, 1e6, 1, false},
    {CPAE_P_STEPS, 0, 1e12, 0, true},
    {CPAE_P_VALIDATE_EVERY, 0, 1e12, 0, true},
    {CPAE_P_DIVERGENCE_FACTOR, 0, 1e300, 1e4, false},
    {CPAE_P_W_RECONSTRUCTION, 0, 1e9, 1, false},
    {CPAE_P_NOISE_SIGMA, 0, 1e6, 0, false},
    {CPAE_P_NOISE_MASK, 0, 0.999999, 0, false},
    {CPAE_P_W_CONTRACTIVE, 0, 1e9, 0, false},
    {CPAE_P_W_HIGHER_ORDER, 0, 1e9, 0, false},
    {CPAE_P_HOC_SIGMA, 0, 1e6, 0.1, false},
    {CPAE_P_HOC_COPIES, 1, 1024, 4, true},
    {CPAE_P_W_LIE_LOCAL, 0, 1e9, 0, false},
    {CPAE_P_LIE_SAMPLER, 0, 2, 0, true},
    {CPAE_P_LIE_NEIGHBOURS, 1, 256, 1, true},
    {CPAE_P_LIE_DELTA, 1e-12, 1e6, 0.1, false},
    {CPAE_P_LIE_FACET_EPS, 1e-9, 1, 0.01, false},
    {CPAE_P_LIE_FORM, 0, 1, 0, true},
    {CPAE_P_W_LIE_EXACT, 0, 1e9, 0, false},
    {CPAE_P_LIE_THETA_MAX, 0, 1e9, 0, false},
    {CPAE_P_LIE_THETA_GRID, 2, 1e6, 64, true},
    {CPAE_P_LIE_REANCHOR, 0, 1, 0, true},
    {CPAE_P_LIE_ANCHOR, 0, 9007199254740992.0, 0, true},
};
#define N_PARAMS ((int)(sizeof PARAMS / sizeof PARAMS[0]))

static int param_index(int32_t key)
{
    for (int i = 0; i < N_PARAMS; i++)
        if (PARAMS[i].key == key)
            return i;
    return -1;
}

int32_t cpae_param_bounds(int32_t key, double *lo, double *hi, double *default_value)
{
    cpae__clear_error();
    int i = param_index(key);
    if (i < 0)
        return cpae__fail(CPAE_E_INVALID, "cpae_param_bounds", "unknown key %d", (int)key);
    if (lo)
        *lo = PARAMS[i].lo;
    if (hi)
        *hi = PARAMS[i].hi;
    if (default_value)
        *default_value = PARAMS[i].def;
    return CPAE_OK;
}

int32_t cpae__param_check(int32_t key, double value, const char *fn)
{
    int i = param_index(key);
    if (i < 0)
        return cpae__fail(CPAE_E_INVALID, fn, "unknown key %d", (int)key);
    if (!isfinite(value))
        return cpae__fail(CPAE_E_NONFINITE, fn, "value for key %d is not finite", (int)key);
    if (value < PARAMS[i].lo || value > PARAMS[i].hi)
        return cpae__fail(CPAE_E_INVALID, fn, "value %g for key %d outside [%g, %g]", value,
                          (int)key, PARAMS[i].lo, PARAMS[i].hi);
    if (PARAMS[i].integer && value != floor(value))
        return cpae__fail(CPAE_E_INVALID, fn, "key %d takes an integer, got %g", (int)key,
                          value);
    return CPAE_OK;
}

/* The fewest terms a caller may ask for: the 0.1 set, up to the total. */
#define CPAE__MIN_TERMS (CPAE_TERM_TOTAL + 1)

int64_t cpae_n_loss_terms(void) { return CPAE_N_LOSS_TERMS; }

const char *cpae_loss_term_name(int32_t term)
{
    static const char *const names[CPAE_N_LOSS_TERMS] = {
        "reconstruction", "contractive", "higher_order", "lie_local", "lie_exact", "total"};
    return term >= 0 && term < CPAE_N_LOSS_TERMS ? names[term] : "unknown";
}

/* ------------------------------------------------------------- handle */

struct cpae_trainer {
    cpae_model *model;       /* borrowed */
    struct cpae_lie *lie;    /* borrowed, may be NULL */
    int32_t method;
    double value[N_PARAMS];
    double *x, *xv;          /* training / validation data, n x d */
    int64_t n, nv, d;
    int64_t *nbr;            /* n x nbr_k nearest training samples */
    int64_t nbr_k;
    cpae_progress_fn cb;
    void *cb_user;
    cpae_rng rng;
    double *opt_m, *opt_v;   /* optimiser state, one per trainable value */
    int64_t opt_t;
    double theta_max;        /* exact form range in use */
    int64_t fit_steps;       /* steps taken by the last fit */
    int64_t fit_best_step;   /* step of the restored weights (-1: none) */
    double fit_best_val;     /* their validation error (NaN: none) */
    cpae__pool pool;         /* scratch blocks reused across steps */
};

static double P(const cpae_trainer *t, int32_t key) { return t->value[param_index(key)]; }
static void set_p(cpae_trainer *t, int32_t key, double v) { t->value[param_index(key)] = v; }

/* Trainable generator values (none if absent or fixed). */
static int64_t n_gen(const cpae_trainer *t)
{
    return t->lie && t->lie->param != CPAE_LIE_FIXED ? t->lie->k * t->lie->d * t->lie->d : 0;
}
static int64_t n_train(const cpae_trainer *t) { return t->model->n_params + n_gen(t); }

/* Copy every trainable value (weights, then trainable generators) into
 * buf, or back from it: the divergence undo and early stopping share it. */
static void snapshot(const cpae_trainer *t, double *buf)
{
    memcpy(buf, t->model->params, (size_t)t->model->n_params * sizeof(double));
    if (n_gen(t))
        memcpy(buf + t->model->n_params, t->lie->g, (size_t)n_gen(t) * sizeof(double));
}

static void restore(cpae_trainer *t, const double *buf)
{
    memcpy(t->model->params, buf, (size_t)t->model->n_params * sizeof(double));
    if (n_gen(t))
        memcpy(t->lie->g, buf + t->model->n_params, (size_t)n_gen(t) * sizeof(double));
}

int32_t cpae_trainer_create(cpae_model *model, cpae_lie *lie, int32_t method,
                            cpae_trainer **out)
{
    static const char fn[] = "cpae_trainer_create";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(model, fn, "model")) || (st = cpae__check_ptr(out, fn, "out")))
        return st;
    if (method < CPAE_METHOD_AE || method > CPAE_METHOD_LIE_EXACT)
        return cpae__fail(CPAE_E_INVALID, fn, "unknown method %d", (int)method);
    bool lie_method = method == CPAE_METHOD_LIE_LOCAL || method == CPAE_METHOD_LIE_EXACT;
    if (lie_method && !lie)
        return cpae__fail(CPAE_E_NULL, fn, "argument 'lie' is NULL; the Lie methods need "
                          "generators");
    if (lie && lie->d != model->layers[0].n_in)
        return cpae__fail(CPAE_E_MISMATCH, fn, "generators are %lld x %lld, the model's "
                          "input width is %lld", (long long)lie->d, (long long)lie->d,
                          (long long)model->layers[0].n_in);
    cpae_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    t->model = model;
    t->lie = lie;
    t->method = method;
    for (int i = 0; i < N_PARAMS; i++)
        t->value[i] = PARAMS[i].def;
    /* Method defaults (docs/training.md explains the choices). */
    switch (method) {
    case CPAE_METHOD_DENOISING: set_p(t, CPAE_P_NOISE_SIGMA, 0.1); break;
    case CPAE_METHOD_CONTRACTIVE: set_p(t, CPAE_P_W_CONTRACTIVE, 0.01); break;
    case CPAE_METHOD_HOC:
        set_p(t, CPAE_P_W_CONTRACTIVE, 0.01);
        set_p(t, CPAE_P_W_HIGHER_ORDER, 0.01);
        break;
    case CPAE_METHOD_LIE_LOCAL: set_p(t, CPAE_P_W_LIE_LOCAL, 0.1); break;
    case CPAE_METHOD_LIE_EXACT: set_p(t, CPAE_P_W_LIE_EXACT, 0.1); break;
    default: break;
    }
    cpae__rng_seed(&t->rng, 0);
    t->fit_best_step = -1;
    t->fit_best_val = NAN;
    *out = t;
    return CPAE_OK;
}

void cpae_trainer_destroy(cpae_trainer *t)
{
    if (!t)
        return;
    free(t->x);
    free(t->xv);
    free(t->nbr);
    free(t->opt_m);
    free(t->opt_v);
    cpae__pool_clear(&t->pool);
    free(t);
}

int32_t cpae_trainer_set_param(cpae_trainer *t, int32_t key, double value)
{
    static const char fn[] = "cpae_trainer_set_param";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    if (st)
        return st;
    if ((st = cpae__param_check(key, value, fn)))
        return st;
    int i = param_index(key);
    if (key == CPAE_P_SEED)
        cpae__rng_seed(&t->rng, (uint64_t)value);
    t->value[i] = value;
    return CPAE_OK;
}

int32_t cpae_trainer_get_param(const cpae_trainer *t, int32_t key, double *value)
{
    static const char fn[] = "cpae_trainer_get_param";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(value, fn, "value")))
        return st;
    int i = param_index(key);
    if (i < 0)
        return cpae__fail(CPAE_E_INVALID, fn, "unknown key %d", (int)key);
    *value = t->value[i];
    return CPAE_OK;
}

static void fill_cfg(const cpae_trainer *t, cpae__loss_cfg *c)
{
    c->w_rec = P(t, CPAE_P_W_RECONSTRUCTION);
    c->noise_sigma = P(t, CPAE_P_NOISE_SIGMA);
    c->noise_mask = P(t, CPAE_P_NOISE_MASK);
    c->w_contract = P(t, CPAE_P_W_CONTRACTIVE);
    c->w_hoc = P(t, CPAE_P_W_HIGHER_ORDER);
    c->hoc_sigma = P(t, CPAE_P_HOC_SIGMA);
    c->hoc_nc = (int64_t)P(t, CPAE_P_HOC_COPIES);
    c->w_lie_local = t->lie ? P(t, CPAE_P_W_LIE_LOCAL) : 0.0;
    c->lie_sampler = (int32_t)P(t, CPAE_P_LIE_SAMPLER);
    c->lie_k = (int64_t)P(t, CPAE_P_LIE_NEIGHBOURS);
    c->lie_delta = P(t, CPAE_P_LIE_DELTA);
    c->facet_eps = P(t, CPAE_P_LIE_FACET_EPS);
    c->lie_form = (int32_t)P(t, CPAE_P_LIE_FORM);
    c->w_lie_exact = t->lie ? P(t, CPAE_P_W_LIE_EXACT) : 0.0;
    c->theta_max = t->theta_max;
    c->theta_grid = (int64_t)P(t, CPAE_P_LIE_THETA_GRID);
}

/* -------------------------------------------------------------- data */

static int32_t copy_data(const float *x, int64_t n, int64_t d, int64_t want_d, double **out,
                         const char *fn)
{
    int32_t st = cpae__check_ptr(x, fn, "x");
    if (st)
        return st;
    if (n < 1 || d != want_d)
        return cpae__fail(CPAE_E_SIZE, fn, "n = %lld, d = %lld (the model takes %lld)",
                          (long long)n, (long long)d, (long long)want_d);
    int64_t total;
    if (!cpae__mul_ok(n, d, &total) || total > (INT64_C(1) << 36))
        return cpae__fail(CPAE_E_SIZE, fn, "data set too large");
    return cpae__to_double(x, total, out, fn, "x");
}

int32_t cpae_trainer_set_data(cpae_trainer *t, const float *x, int64_t n, int64_t d)
{
    static const char fn[] = "cpae_trainer_set_data";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    double *copy = NULL;
    if (st || (st = copy_data(x, n, d, t->model->layers[0].n_in, &copy, fn)))
        return st;
    free(t->x);
    free(t->nbr);
    t->x = copy;
    t->n = n;
    t->d = d;
    t->nbr = NULL;
    t->nbr_k = 0;
    return CPAE_OK;
}

int32_t cpae_trainer_set_validation(cpae_trainer *t, const float *x, int64_t n, int64_t d)
{
    static const char fn[] = "cpae_trainer_set_validation";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    double *copy = NULL;
    if (st || (st = copy_data(x, n, d, t->model->layers[0].n_in, &copy, fn)))
        return st;
    free(t->xv);
    t->xv = copy;
    t->nv = n;
    return CPAE_OK;
}

int32_t cpae_trainer_set_callback(cpae_trainer *t, cpae_progress_fn fn_, void *user_data)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, "cpae_trainer_set_callback", "trainer");
    if (st)
        return st;
    t->cb = fn_;
    t->cb_user = user_data;
    return CPAE_OK;
}

/* The K nearest training samples (squared distance, GEMM blocks) of each
 * query row, skipping exact duplicates of the query (itself). Ties go to
 * the lower index, so the result is deterministic. */
static int32_t nearest(const double *xt, int64_t n, const double *q, int64_t nq, int64_t d,
                       int64_t K, int64_t *idx, const char *fn)
{
    const int64_t B = 256;
    double *nt = malloc((size_t)n * sizeof(double)), *dot = malloc((size_t)(B * n) * sizeof(double));
    double *best = malloc((size_t)K * sizeof(double));
    if (!nt || !dot || !best) {
        free(nt);
        free(dot);
        free(best);
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
    for (int64_t j = 0; j < n; j++) {
        double s = 0;
        for (int64_t e = 0; e < d; e++)
            s += xt[j * d + e] * xt[j * d + e];
        nt[j] = s;
    }
    for (int64_t r0 = 0; r0 < nq; r0 += B) {
        int64_t rows = nq - r0 < B ? nq - r0 : B;
        cpae__gemm(false, true, rows, n, d, 1.0, q + r0 * d, d, xt, d, 0.0, dot, n);
        for (int64_t r = 0; r < rows; r++) {
            const double *qr = q + (r0 + r) * d;
            double nq2 = 0;
            for (int64_t e = 0; e < d; e++)
                nq2 += qr[e] * qr[e];
            int64_t *ir = idx + (r0 + r) * K, found = 0;
            for (int64_t j = 0; j < n; j++) {
                double dist = nq2 + nt[j] - 2.0 * dot[r * n + j];
                if (dist <= 1e-12 * (nq2 + nt[j]) &&
                    memcmp(qr, xt + j * d, (size_t)d * sizeof(double)) == 0)
                    continue; /* the query itself */
                if (found == K && !(dist < best[K - 1]))
                    continue;
                int64_t pos = found < K ? found++ : K - 1;
                while (pos > 0 && best[pos - 1] > dist) {
                    best[pos] = best[pos - 1];
                    ir[pos] = ir[pos - 1];
                    pos--;
                }
                best[pos] = dist;
                ir[pos] = j;
            }
            for (int64_t k = found; k < K; k++) /* fewer samples than K */
                ir[k] = found > 0 ? ir[found - 1] : 0;
        }
    }
    free(nt);
    free(dot);
    free(best);
    return CPAE_OK;
}

static int32_t ensure_neighbours(cpae_trainer *t, int64_t K, const char *fn)
{
    if (t->nbr && t->nbr_k == K)
        return CPAE_OK;
    int64_t *idx = malloc((size_t)(t->n * K) * sizeof(int64_t));
    if (!idx)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    int32_t st = nearest(t->x, t->n, t->x, t->n, t->d, K, idx, fn);
    if (st) {
        free(idx);
        return st;
    }
    free(t->nbr);
    t->nbr = idx;
    t->nbr_k = K;
    return CPAE_OK;
}

/* ------------------------------------------------------------ stepping */

/* Configuration checks that depend on the data and the generators. */
static int32_t check_ready(cpae_trainer *t, const cpae__loss_cfg *c, const char *fn)
{
    bool lie_on = t->lie && (c->w_lie_local > 0 || c->w_lie_exact > 0);
    if (lie_on && c->w_lie_local > 0 && c->lie_sampler == CPAE__SAMPLER_DATA && t->n < 2)
        return cpae__fail(CPAE_E_SIZE, fn, "the data sampler needs training data "
                          "(cpae_trainer_set_data) with at least 2 samples");
    if (t->lie && c->w_lie_exact > 0) {
        if (t->lie->k != 1 && c->lie_form == CPAE__FORM_TANGENT)
            return cpae__fail(CPAE_E_INVALID, fn, "the tangent-space exact form takes one "
                              "generator (k = %lld)", (long long)t->lie->k);
        if (t->n < 1)
            return cpae__fail(CPAE_E_SIZE, fn, "the exact Lie form needs training data for "
                              "its anchor");
        if (P(t, CPAE_P_LIE_ANCHOR) >= (double)t->n)
            return cpae__fail(CPAE_E_INVALID, fn, "anchor index %.0f >= %lld samples",
                              P(t, CPAE_P_LIE_ANCHOR), (long long)t->n);
        if (c->lie_form == CPAE__FORM_TANGENT && t->lie->param != CPAE_LIE_SKEW)
            return cpae__fail(CPAE_E_INVALID, fn, "the tangent-space exact form needs a "
                              "skew-symmetric generator (CPAE_LIE_SKEW)");
    }
    return CPAE_OK;
}

/* Theta range of the exact form from the data (docs/math.md section 4):
 * twice the largest local-form theta between the anchor's map and the maps
 * of up to 64 training samples, and at least 1. */
static int32_t theta_range_of_data(cpae_trainer *t, const char *fn)
{
    cpae_chain enc, dec;
    (void)cpae__chain(t->model, CPAE_ENCODER, &enc, fn);
    (void)cpae__chain(t->model, CPAE_DECODER, &dec, fn);
    int64_t d = t->d, h = cpae__chain_out(&enc), len = d * h;
    int64_t ns = t->n < 64 ? t->n : 64, anchor = (int64_t)P(t, CPAE_P_LIE_ANCHOR);
    double *z = malloc((size_t)(h * (ns + 1)) * sizeof(double));
    double *A = malloc((size_t)(len * 3) * sizeof(double));
    int32_t st = CPAE_OK;
    if (!z || !A) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto done;
    }
    double *A0 = A, *Ai = A + len, *GA = A + 2 * len, big = 0.0;
    if ((st = cpae__chain_forward(&enc, t->x + anchor * d, 1, z, NULL, 0, fn)) ||
        (st = cpae__chain_frozen(&dec, z, NULL, NULL, A0, NULL, NULL, fn)))
        goto done;
    for (int64_t j = 0; j < t->lie->k; j++) { /* each generator's own projection */
        cpae__gemm(false, false, d, h, d, 1.0, t->lie->g + j * d * d, d, A0, h, 0.0, GA, h);
        double gg = 0;
        for (int64_t e = 0; e < len; e++)
            gg += GA[e] * GA[e];
        for (int64_t s = 0; s < ns && gg > 0; s++) {
            int64_t i = s * t->n / ns;
            if ((st = cpae__chain_forward(&enc, t->x + i * d, 1, z + h, NULL, 0, fn)) ||
                (st = cpae__chain_frozen(&dec, z + h, NULL, NULL, Ai, NULL, NULL, fn)))
                goto done;
            double num = 0;
            for (int64_t e = 0; e < len; e++)
                num += (Ai[e] - A0[e]) * GA[e];
            if (fabs(num / gg) > big)
                big = fabs(num / gg);
        }
    }
    t->theta_max = 2.0 * big > 1.0 ? 2.0 * big : 1.0;
done:
    free(z);
    free(A);
    return st;
}

/* The theta range into t and into the configuration c in use:
 * CPAE_P_LIE_THETA_MAX if set, else from the data. */
static int32_t init_theta_range(cpae_trainer *t, cpae__loss_cfg *c, const char *fn)
{
    int32_t st = CPAE_OK;
    if (P(t, CPAE_P_LIE_THETA_MAX) > 0)
        t->theta_max = P(t, CPAE_P_LIE_THETA_MAX);
    else
        st = theta_range_of_data(t, fn);
    c->theta_max = t->theta_max;
    return st;
}

/* Assemble one batch's loss inputs from training-set indices or rows. */
typedef struct batch_buf {
    double *x, *nbr;
} batch_buf;

static int32_t gather(cpae_trainer *t, const int64_t *rows, int64_t m, const cpae__loss_cfg *c,
                      batch_buf *bb, cpae__batch *b, const char *fn)
{
    int64_t d = t->d, K = c->lie_k;
    bool data = c->w_lie_local > 0 && c->lie_sampler == CPAE__SAMPLER_DATA;
    bb->x = malloc((size_t)(m * d) * sizeof(double));
    bb->nbr = data ? malloc((size_t)(m * K * d) * sizeof(double)) : NULL;
    if (!bb->x || (data && !bb->nbr))
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    for (int64_t i = 0; i < m; i++)
        memcpy(bb->x + i * d, t->x + rows[i] * d, (size_t)d * sizeof(double));
    if (data) {
        int32_t st = ensure_neighbours(t, K, fn);
        if (st)
            return st;
        for (int64_t i = 0; i < m; i++)
            for (int64_t k = 0; k < K; k++)
                memcpy(bb->nbr + (i * K + k) * d, t->x + t->nbr[rows[i] * K + k] * d,
                       (size_t)d * sizeof(double));
    }
    b->x = bb->x;
    b->m = m;
    b->x_nbr = bb->nbr;
    b->x_anchor = t->n > 0 ? t->x + (int64_t)P(t, CPAE_P_LIE_ANCHOR) * d : NULL;
    b->pool = &t->pool;
    return CPAE_OK;
}

/* Loss and gradient (all trainable values, skew-projected) of a batch. */
static int32_t batch_gradient(cpae_trainer *t, const cpae__batch *b, const cpae__loss_cfg *c,
                              double *terms, double *grad, const char *fn)
{
    int64_t nm = t->model->n_params, ng = n_gen(t);
    /* The loss writes generator gradients after the model's even when the
     * generators are fixed: give it room, then drop them. */
    int64_t room = nm + (t->lie ? t->lie->k * t->lie->d * t->lie->d : 0);
    double *g = calloc((size_t)(room ? room : 1), sizeof(double));
    if (!g)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    int32_t st = cpae__loss_eval(t->model, t->lie, c, b, &t->rng, terms, grad ? g : NULL, fn);
    if (!st && grad) {
        memcpy(grad, g, (size_t)(nm + ng) * sizeof(double));
        if (ng && t->lie->param == CPAE_LIE_SKEW) {
            /* Gradient within the skew-symmetric subspace. */
            int64_t d = t->lie->d;
            for (int64_t j = 0; j < t->lie->k; j++) {
                double *gj = grad + nm + j * d * d;
                for (int64_t a = 0; a < d; a++)
                    for (int64_t e = a; e < d; e++) {
                        double v = 0.5 * (gj[a * d + e] - gj[e * d + a]);
                        gj[a * d + e] = v;
                        gj[e * d + a] = -v;
                    }
            }
        }
    }
    free(g);
    return st;
}

/* Finite and representable in the float API. */
static bool all_finite(const double *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(v[i]) <= FLT_MAX))
            return false;
    return true;
}

/* Constants of one optimiser update. */
typedef struct opt_consts {
    bool adam;
    double b1, b2, eps, mom, c1, c2;
} opt_consts;

/* The step of trainable value i for gradient g (Adam with bias correction,
 * or SGD with momentum), updating the optimiser state. */
static double opt_step(const opt_consts *o, cpae_trainer *t, int64_t i, double g)
{
    if (o->adam) {
        t->opt_m[i] = o->b1 * t->opt_m[i] + (1 - o->b1) * g;
        t->opt_v[i] = o->b2 * t->opt_v[i] + (1 - o->b2) * g * g;
        return (t->opt_m[i] / o->c1) / (sqrt(t->opt_v[i] / o->c2) + o->eps);
    }
    t->opt_m[i] = o->mom * t->opt_m[i] + g;
    return t->opt_m[i];
}

/* One optimiser update with gradient grad. Weights and generators are
 * restored if the update produces a non-finite value. */
static int32_t apply_update(cpae_trainer *t, const double *grad, const char *fn)
{
    int64_t nm = t->model->n_params, ng = n_gen(t), nt = nm + ng;
    if (!t->opt_m) {
        t->opt_m = calloc((size_t)(nt ? nt : 1), sizeof(double));
        t->opt_v = calloc((size_t)(nt ? nt : 1), sizeof(double));
        if (!t->opt_m || !t->opt_v) {
            free(t->opt_m);
            free(t->opt_v);
            t->opt_m = t->opt_v = NULL;
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        }
    }
    double *save = malloc((size_t)(nt ? nt : 1) * sizeof(double));
    if (!save)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    snapshot(t, save);
    double lr = P(t, CPAE_P_LEARNING_RATE), wd = P(t, CPAE_P_WEIGHT_DECAY);
    double glr = P(t, CPAE_P_GENERATOR_LR);
    t->opt_t++;
    opt_consts o = {P(t, CPAE_P_OPTIMIZER) == 1, P(t, CPAE_P_ADAM_BETA1), P(t, CPAE_P_ADAM_BETA2),
                    P(t, CPAE_P_ADAM_EPS), P(t, CPAE_P_MOMENTUM), 0, 0};
    o.c1 = 1.0 - pow(o.b1, (double)t->opt_t);
    o.c2 = 1.0 - pow(o.b2, (double)t->opt_t);
    /* Weight decay applies to weights only: mark the bias ranges. */
    for (int64_t l = 0; l < t->model->n_enc + t->model->n_dec; l++) {
        const struct cpae_layer *L = &t->model->layers[l];
        int64_t w0 = L->w - t->model->params, nw = L->n_in * L->n_out;
        for (int64_t i = w0; i < w0 + nw + L->n_out; i++)
            t->model->params[i] -=
                lr * opt_step(&o, t, i, grad[i] + (i < w0 + nw ? wd * t->model->params[i] : 0.0));
    }
    for (int64_t e = 0; e < ng; e++)
        t->lie->g[e] -= glr * lr * opt_step(&o, t, nm + e, grad[nm + e]);
    int32_t st = CPAE_OK;
    if (!all_finite(t->model->params, nm) || (ng && !all_finite(t->lie->g, ng)))
        st = cpae__fail(CPAE_E_DIVERGED, fn, "the update produced a non-finite weight; "
                        "weights kept at their last finite values");
    else if (ng && cpae__lie_normalize(t->lie, fn) != CPAE_OK)
        st = cpae__fail(CPAE_E_DIVERGED, fn, "a generator collapsed (zero or dependent) in "
                        "the update; weights kept at their last finite values");
    if (st)
        restore(t, save);
    free(save);
    return st;
}

/* Loss, gradient and update for one batch of training rows or user rows. */
static int32_t train_step(cpae_trainer *t, const cpae__batch *b, const cpae__loss_cfg *c,
                          double *terms, const char *fn)
{
    int64_t nt = n_train(t);
    double *grad = malloc((size_t)(nt ? nt : 1) * sizeof(double));
    if (!grad)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    int32_t st = batch_gradient(t, b, c, terms, grad, fn);
    if (!st && (!all_finite(terms, CPAE__N_TERMS) || !all_finite(grad, nt)))
        st = cpae__fail(CPAE_E_DIVERGED, fn, "the loss or its gradient is not finite "
                        "(loss %g); weights kept at their last finite values",
                        terms[CPAE__T_TOTAL]);
    if (!st)
        st = apply_update(t, grad, fn);
    free(grad);
    return st;
}

/* Mean validation reconstruction error, (1/n) sum ||D(E(x)) - x||^2. */
static int32_t validation_error(const cpae_trainer *t, double *err, const char *fn)
{
    cpae_chain ae;
    (void)cpae__chain(t->model, CPAE_AUTOENCODER, &ae, fn);
    double *y = malloc((size_t)(t->nv * t->d) * sizeof(double));
    if (!y)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    int32_t st = cpae__chain_forward(&ae, t->xv, t->nv, y, NULL, 0, fn);
    double s = 0;
    for (int64_t e = 0; e < t->nv * t->d; e++)
        s += (y[e] - t->xv[e]) * (y[e] - t->xv[e]);
    *err = s / (double)t->nv;
    free(y);
    return st;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best-so-far bookkeeping of early stopping: the weights (and trainable
 * generators) with the lowest validation error, and when they were seen. */
typedef struct best_state {
    double *params; /* n_train values */
    double err;
    int64_t step;   /* -1: nothing recorded */
    int64_t since;  /* validations without improvement */
} best_state;

static void save_best(const cpae_trainer *t, best_state *b, double err, int64_t step)
{
    b->err = err;
    b->step = step;
    b->since = 0;
    snapshot(t, b->params);
}

/* Validate now; record an improvement. *stop is set when the patience is
 * used up. */
static int32_t validate(cpae_trainer *t, best_state *b, int64_t step, double *val, bool *stop,
                        const char *fn)
{
    int32_t st = validation_error(t, val, fn);
    if (st)
        return st;
    int64_t patience = (int64_t)P(t, CPAE_P_PATIENCE);
    if (*val < b->err)
        save_best(t, b, *val, step);
    else if (patience > 0 && ++b->since >= patience)
        *stop = true;
    return CPAE_OK;
}

int32_t cpae_trainer_fit(cpae_trainer *t)
{
    static const char fn[] = "cpae_trainer_fit";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, fn, "trainer");
    if (st)
        return st;
    if (!t->x)
        return cpae__fail(CPAE_E_SIZE, fn, "no training data (cpae_trainer_set_data)");
    cpae__loss_cfg c;
    fill_cfg(t, &c);
    if ((st = check_ready(t, &c, fn)))
        return st;
    cpae__rng_seed(&t->rng, (uint64_t)P(t, CPAE_P_SEED));
    if (t->lie && c.w_lie_exact > 0 && (st = init_theta_range(t, &c, fn)))
        return st;
    /* Budget: CPAE_P_STEPS optimiser steps exactly when set (the last
     * epoch may end part-way), else CPAE_P_EPOCHS full epochs. */
    int64_t n = t->n, bs = (int64_t)P(t, CPAE_P_BATCH_SIZE), epochs = (int64_t)P(t, CPAE_P_EPOCHS);
    int64_t max_steps = (int64_t)P(t, CPAE_P_STEPS), every = (int64_t)P(t, CPAE_P_VALIDATE_EVERY);
    int64_t nt = n_train(t), step = 0;
    if (bs > n)
        bs = n;
    t->fit_steps = 0;
    t->fit_best_step = -1;
    t->fit_best_val = NAN;
    int64_t *perm = malloc((size_t)n * sizeof(int64_t));
    best_state best = {t->xv ? malloc((size_t)(nt ? nt : 1) * sizeof(double)) : NULL, INFINITY,
                       -1, 0};
    /* The weights before the fit: a fit stopped by loss growth returns to
     * them (growth leaves finite but useless weights behind). */
    double *start = malloc((size_t)(nt ? nt : 1) * sizeof(double));
    if (!perm || (t->xv && !best.params) || !start) {
        free(perm);
        free(best.params);
        free(start);
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    }
    snapshot(t, start);
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    double val = NAN, t0 = now_seconds();
    /* Divergence by growth: a running mean of the batch loss against its
     * lowest value (a single noisy batch does not trip it). */
    double ema = NAN, ema_low = INFINITY, grow = P(t, CPAE_P_DIVERGENCE_FACTOR);
    bool stop = false;
    /* The starting weights are a candidate too (step 0): early stopping
     * never returns a model worse on validation than the one it began with. */
    if (t->xv)
        st = validate(t, &best, 0, &val, &stop, fn);
    for (int64_t ep = 0; !st && !stop && (max_steps > 0 ? step < max_steps : ep < epochs); ep++) {
        for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates with the trainer's rng */
            int64_t j = (int64_t)(cpae__rng_next(&t->rng) % (uint64_t)(i + 1));
            int64_t tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        int64_t validated = -1;
        for (int64_t s0 = 0; s0 + bs <= n && !st && !stop; s0 += bs) { /* full batches only */
            if (max_steps > 0 && step >= max_steps)
                break;
            batch_buf bb = {0};
            cpae__batch b;
            double terms[CPAE__N_TERMS];
            if (!(st = gather(t, perm + s0, bs, &c, &bb, &b, fn)))
                st = train_step(t, &b, &c, terms, fn);
            free(bb.x);
            free(bb.nbr);
            if (st)
                break;
            step++;
            t->fit_steps = step;
            ema = step == 1 ? terms[CPAE__T_TOTAL] : 0.9 * ema + 0.1 * terms[CPAE__T_TOTAL];
            ema_low = fmin(ema_low, ema);
            if (grow > 0 && step > 10 && ema > grow * ema_low) {
                st = cpae__fail(CPAE_E_DIVERGED, fn, "the loss grew by more than %g over its "
                                "lowest running mean (%g -> %g) at step %lld; weights restored "
                                "to those before the fit", grow, ema_low, ema, (long long)step);
                restore(t, start);
                break;
            }
            if (t->xv && every > 0 && step % every == 0) {
                st = validate(t, &best, step, &val, &stop, fn);
                validated = step;
            }
            if (!st && t->cb && t->cb(t->cb_user, ep, step, terms, val, now_seconds() - t0))
                st = cpae__fail(CPAE_E_CANCELLED, fn, "the progress callback stopped training "
                                "at epoch %lld, step %lld", (long long)ep, (long long)step);
        }
        if (st || stop)
            break;
        /* End of an epoch (or of the budget): validate unless this very
         * step was just validated. */
        bool last = max_steps > 0 ? step >= max_steps : ep == epochs - 1;
        if (t->xv && validated != step && (every == 0 || last) &&
            (st = validate(t, &best, step, &val, &stop, fn)))
            break;
        if (t->lie && c.w_lie_exact > 0 && P(t, CPAE_P_LIE_REANCHOR) == 1) {
            set_p(t, CPAE_P_LIE_ANCHOR, (double)(cpae__rng_next(&t->rng) % (uint64_t)n));
            if ((st = init_theta_range(t, &c, fn)))
                break;
        }
    }
    /* Early stopping restores the best weights (not after a cancel or a
     * divergence, which keep the last finite state). */
    if (!st && best.step >= 0) {
        restore(t, best.params);
        t->fit_best_step = best.step;
        t->fit_best_val = best.err;
    }
    free(perm);
    free(best.params);
    free(start);
    return st;
}

int32_t cpae_trainer_fit_info(const cpae_trainer *t, int64_t *steps, int64_t *best_step,
                              double *best_validation)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(t, "cpae_trainer_fit_info", "trainer");
    if (st)
        return st;
    if (steps)
        *steps = t->fit_steps;
    if (best_step)
        *best_step = t->fit_best_step;
    if (best_validation)
        *best_validation = t->fit_best_val;
    return CPAE_OK;
}

/* ----------------------------------------------------- gradient API */

int32_t cpae_trainer_n_params(const cpae_trainer *t, int64_t *n)
{
    static const char fn[] = "cpae_trainer_n_params";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(n, fn, "n")))
        return st;
    *n = n_train(t);
    return CPAE_OK;
}

int32_t cpae_trainer_get_params(const cpae_trainer *t, float *params, int64_t cap)
{
    static const char fn[] = "cpae_trainer_get_params";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) ||
        (st = cpae__check_ptr(params, fn, "params")) ||
        (st = cpae__check_cap(cap, n_train(t), fn, "params")))
        return st;
    for (int64_t i = 0; i < t->model->n_params; i++)
        params[i] = (float)t->model->params[i];
    for (int64_t e = 0; e < n_gen(t); e++)
        params[t->model->n_params + e] = (float)t->lie->g[e];
    return CPAE_OK;
}

/* A flat vector must hold exactly the trainable values. */
static int32_t check_len(const cpae_trainer *t, int64_t len, const char *fn)
{
    if (len == n_train(t))
        return CPAE_OK;
    return cpae__fail(CPAE_E_SIZE, fn, "len is %lld, the trainer has %lld values",
                      (long long)len, (long long)n_train(t));
}

int32_t cpae_trainer_set_params(cpae_trainer *t, const float *params, int64_t len)
{
    static const char fn[] = "cpae_trainer_set_params";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(params, fn, "params")))
        return st;
    if ((st = check_len(t, len, fn)))
        return st;
    if ((st = cpae__check_finite_f(params, len, fn, "params")))
        return st;
    int64_t nm = t->model->n_params, ng = n_gen(t);
    if (ng) { /* normalise a copy first so a bad generator changes nothing */
        struct cpae_lie *copy = NULL;
        if ((st = cpae__lie_alloc(t->lie->d, t->lie->k, t->lie->param, &copy, fn)))
            return st;
        for (int64_t e = 0; e < ng; e++)
            copy->g[e] = params[nm + e];
        if (!(st = cpae__lie_normalize(copy, fn)))
            memcpy(t->lie->g, copy->g, (size_t)ng * sizeof(double));
        cpae_lie_destroy(copy);
        if (st)
            return st;
    }
    for (int64_t i = 0; i < nm; i++)
        t->model->params[i] = params[i];
    return CPAE_OK;
}

/* Batch from user rows: neighbours come from the training data. */
static int32_t user_batch(cpae_trainer *t, const float *x, int64_t m, int64_t d,
                          cpae__loss_cfg *c, batch_buf *bb, cpae__batch *b, const char *fn)
{
    int32_t st;
    if ((st = copy_data(x, m, d, t->model->layers[0].n_in, &bb->x, fn)) ||
        (st = check_ready(t, c, fn)))
        return st;
    b->x = bb->x;
    b->m = m;
    b->x_nbr = NULL;
    b->x_anchor = t->x ? t->x + (int64_t)P(t, CPAE_P_LIE_ANCHOR) * d : NULL;
    b->pool = &t->pool;
    if (c->w_lie_local > 0 && c->lie_sampler == CPAE__SAMPLER_DATA) {
        int64_t K = c->lie_k;
        int64_t *idx = malloc((size_t)(m * K) * sizeof(int64_t));
        bb->nbr = malloc((size_t)(m * K * d) * sizeof(double));
        if (!idx || !bb->nbr) {
            free(idx);
            return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        }
        if (!(st = nearest(t->x, t->n, bb->x, m, d, K, idx, fn)))
            for (int64_t e = 0; e < m * K; e++)
                memcpy(bb->nbr + e * d, t->x + idx[e] * d, (size_t)d * sizeof(double));
        free(idx);
        b->x_nbr = bb->nbr;
    }
    if (!st && t->lie && c->w_lie_exact > 0 && t->theta_max == 0.0)
        st = init_theta_range(t, c, fn);
    return st;
}

static int32_t copy_terms(const double *terms, double *out, int64_t n_terms, const char *fn)
{
    int32_t st;
    if ((st = cpae__check_ptr(out, fn, "terms")) ||
        (st = cpae__check_cap(n_terms, CPAE__MIN_TERMS, fn, "terms")))
        return st;
    /* A caller built against an older header passes its own count: it gets
     * the terms it knows (new terms are only ever appended). */
    memcpy(out, terms, (size_t)(n_terms < CPAE_N_LOSS_TERMS ? n_terms : CPAE_N_LOSS_TERMS) *
                           sizeof(double));
    return CPAE_OK;
}

int32_t cpae_trainer_gradient(cpae_trainer *t, const float *x, int64_t m, int64_t d,
                              double *terms, int64_t n_terms, float *grad, int64_t cap)
{
    static const char fn[] = "cpae_trainer_gradient";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(terms, fn, "terms")) ||
        (st = cpae__check_cap(n_terms, CPAE__MIN_TERMS, fn, "terms")) ||
        (grad && (st = cpae__check_cap(cap, n_train(t), fn, "grad"))))
        return st;
    cpae__loss_cfg c;
    fill_cfg(t, &c);
    batch_buf bb = {0};
    cpae__batch b;
    double tv[CPAE__N_TERMS], *g = NULL;
    int64_t nt = n_train(t);
    if (!(st = user_batch(t, x, m, d, &c, &bb, &b, fn))) {
        if (grad && !(g = malloc((size_t)(nt ? nt : 1) * sizeof(double))))
            st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        if (!st)
            st = batch_gradient(t, &b, &c, tv, g, fn);
    }
    if (!st) {
        (void)copy_terms(tv, terms, n_terms, fn);
        if (grad)
            for (int64_t i = 0; i < nt; i++)
                grad[i] = (float)g[i];
    }
    free(g);
    free(bb.x);
    free(bb.nbr);
    return st;
}

int32_t cpae_trainer_apply_gradient(cpae_trainer *t, const float *grad, int64_t len)
{
    static const char fn[] = "cpae_trainer_apply_gradient";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(grad, fn, "grad")))
        return st;
    if ((st = check_len(t, len, fn)))
        return st;
    double *g;
    if ((st = cpae__to_double(grad, len, &g, fn, "grad")))
        return st;
    st = apply_update(t, g, fn);
    free(g);
    return st;
}

int32_t cpae_trainer_step(cpae_trainer *t, const float *x, int64_t m, int64_t d,
                          double *terms, int64_t n_terms)
{
    static const char fn[] = "cpae_trainer_step";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(t, fn, "trainer")) || (st = cpae__check_ptr(terms, fn, "terms")) ||
        (st = cpae__check_cap(n_terms, CPAE__MIN_TERMS, fn, "terms")))
        return st;
    cpae__loss_cfg c;
    fill_cfg(t, &c);
    batch_buf bb = {0};
    cpae__batch b;
    double tv[CPAE__N_TERMS];
    if (!(st = user_batch(t, x, m, d, &c, &bb, &b, fn)))
        st = train_step(t, &b, &c, tv, fn);
    if (!st || st == CPAE_E_DIVERGED)
        (void)copy_terms(tv, terms, n_terms, fn);
    free(bb.x);
    free(bb.nbr);
    return st;
}
