/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* selection.c -- the training protocol of docs/training.md: a validation
 * split drawn from the training data by seed, a fixed grid of
 * hyperparameters per method, each candidate trained with a step budget
 * and early stopping on the validation split, the best candidate chosen by
 * its validation error, then (by default) refitted on all the training
 * data for the number of steps that candidate needed. The function sees
 * only training data, so the test split cannot leak into any choice. */
#include "core/core.h"
#include "train/params.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AXES 8
#define MAX_VALUES 16
#define MAX_FIXED 32

typedef struct grid_axis {
    int32_t key;
    int64_t n;
    double v[MAX_VALUES];
} grid_axis;

typedef struct candidate_result {
    double validation; /* best validation error; NaN if the fit failed */
    int64_t best_step;
    int32_t status;
} candidate_result;

struct cpae_selection {
    int32_t method;
    int64_t widths[CPAE_MAX_LAYERS + 1];
    int64_t n_widths;
    double option[CPAE_SEL_HIDDEN_ACTIVATION + 1];
    int32_t fixed_key[MAX_FIXED];
    double fixed_val[MAX_FIXED];
    int64_t n_fixed;
    grid_axis axis[MAX_AXES];
    int64_t n_axes;
    candidate_result *results; /* n_candidates, after a fit */
    int64_t n_results, best;
    cpae_selection_fn cb;
    void *cb_user;
};

static const struct { int32_t key; double lo, hi, def; bool integer; } OPTIONS[] = {
    {CPAE_SEL_VALID_FRACTION, 1e-6, 1 - 1e-6, 0.2, false},
    {CPAE_SEL_SEED, 0, 9007199254740992.0, 1, true},
    {CPAE_SEL_INIT, 0, 1, CPAE_INIT_PCA, true},
    {CPAE_SEL_INIT_MARGIN, 0, 1e6, 0.5, false},
    {CPAE_SEL_REFIT, 0, 1, 1, true},
    {CPAE_SEL_GENERATORS, 1, 64, 1, true},
    {CPAE_SEL_GENERATOR_KIND, 0, 2, CPAE_LIE_SKEW, true},
    {CPAE_SEL_HIDDEN_ACTIVATION, 1, 3, CPAE_ACT_RELU, true},
};
#define N_OPTIONS ((int)(sizeof OPTIONS / sizeof OPTIONS[0]))

static int option_index(int32_t key)
{
    for (int i = 0; i < N_OPTIONS; i++)
        if (OPTIONS[i].key == key)
            return i;
    return -1;
}

static double opt(const cpae_selection *s, int32_t key) { return s->option[key]; }

/* ------------------------------------------------------ the fixed grid */

static const double LR[] = {1e-4, 1e-3};
static const double STRENGTH[] = {0.01, 0.1, 1.0};

static void add_axis(cpae_selection *s, int32_t key, const double *v, int64_t n)
{
    grid_axis *a = &s->axis[s->n_axes++];
    a->key = key;
    a->n = n;
    memcpy(a->v, v, (size_t)n * sizeof(double));
}

/* The grid fixed once for all data sets (docs/training.md): the learning
 * rate and the strength of the method's own regularizer. */
static void default_grid(cpae_selection *s)
{
    static const double decay[] = {0, 1e-4, 1e-3}, sigma[] = {0.05, 0.1, 0.2};
    static const double hoc[] = {1e-3, 1e-2, 1e-1};
    add_axis(s, CPAE_P_LEARNING_RATE, LR, 2);
    switch (s->method) {
    case CPAE_METHOD_AE: add_axis(s, CPAE_P_WEIGHT_DECAY, decay, 3); break;
    case CPAE_METHOD_DENOISING: add_axis(s, CPAE_P_NOISE_SIGMA, sigma, 3); break;
    case CPAE_METHOD_CONTRACTIVE: add_axis(s, CPAE_P_W_CONTRACTIVE, hoc, 3); break;
    case CPAE_METHOD_HOC: add_axis(s, CPAE_P_W_HIGHER_ORDER, hoc, 3); break;
    case CPAE_METHOD_LIE_LOCAL: add_axis(s, CPAE_P_W_LIE_LOCAL, STRENGTH, 3); break;
    default: add_axis(s, CPAE_P_W_LIE_EXACT, STRENGTH, 3); break;
    }
    /* Budget and early stopping shared by every method. */
    static const int32_t keys[] = {CPAE_P_STEPS, CPAE_P_VALIDATE_EVERY, CPAE_P_PATIENCE,
                                   CPAE_P_BATCH_SIZE};
    static const double vals[] = {2000, 10, 20, 32};
    for (int i = 0; i < 4; i++) {
        s->fixed_key[i] = keys[i];
        s->fixed_val[i] = vals[i];
    }
    s->n_fixed = 4;
}

int32_t cpae_selection_create(int32_t method, const int64_t *widths, int64_t n_widths,
                              cpae_selection **out)
{
    static const char fn[] = "cpae_selection_create";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(out, fn, "out")) || (st = cpae__check_ptr(widths, fn, "widths")))
        return st;
    if (method < CPAE_METHOD_AE || method > CPAE_METHOD_LIE_EXACT)
        return cpae__fail(CPAE_E_INVALID, fn, "unknown method %d", (int)method);
    if (n_widths < 2 || n_widths > CPAE_MAX_LAYERS + 1)
        return cpae__fail(CPAE_E_SIZE, fn, "n_widths is %lld; need 2..%d", (long long)n_widths,
                          CPAE_MAX_LAYERS + 1);
    for (int64_t i = 0; i < n_widths; i++)
        if (widths[i] < 1 || widths[i] > CPAE_MAX_WIDTH)
            return cpae__fail(CPAE_E_SIZE, fn, "widths[%lld] = %lld is outside 1..%d",
                              (long long)i, (long long)widths[i], CPAE_MAX_WIDTH);
    cpae_selection *s = calloc(1, sizeof *s);
    if (!s)
        return cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
    s->method = method;
    memcpy(s->widths, widths, (size_t)n_widths * sizeof(int64_t));
    s->n_widths = n_widths;
    for (int i = 0; i < N_OPTIONS; i++)
        s->option[OPTIONS[i].key] = OPTIONS[i].def;
    default_grid(s);
    s->best = -1;
    *out = s;
    return CPAE_OK;
}

void cpae_selection_destroy(cpae_selection *s)
{
    if (!s)
        return;
    free(s->results);
    free(s);
}

int32_t cpae_selection_set_option(cpae_selection *s, int32_t key, double value)
{
    static const char fn[] = "cpae_selection_set_option";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(s, fn, "selection");
    if (st)
        return st;
    int i = option_index(key);
    if (i < 0)
        return cpae__fail(CPAE_E_INVALID, fn, "unknown option %d", (int)key);
    if (!isfinite(value))
        return cpae__fail(CPAE_E_NONFINITE, fn, "value for option %d is not finite", (int)key);
    if (value < OPTIONS[i].lo || value > OPTIONS[i].hi ||
        (OPTIONS[i].integer && value != floor(value)))
        return cpae__fail(CPAE_E_INVALID, fn, "value %g for option %d is outside [%g, %g] or "
                          "not an integer where one is needed", value, (int)key, OPTIONS[i].lo,
                          OPTIONS[i].hi);
    s->option[key] = value;
    return CPAE_OK;
}

int32_t cpae_selection_get_option(const cpae_selection *s, int32_t key, double *value)
{
    static const char fn[] = "cpae_selection_get_option";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(s, fn, "selection")) || (st = cpae__check_ptr(value, fn, "value")))
        return st;
    if (option_index(key) < 0)
        return cpae__fail(CPAE_E_INVALID, fn, "unknown option %d", (int)key);
    *value = s->option[key];
    return CPAE_OK;
}

/* A trainer key's value must pass the trainer's own check; the seed is the
 * selection's (it also seeds the split and the initial weights). */
static int32_t check_value(int32_t key, double v, const char *fn)
{
    if (key == CPAE_P_SEED)
        return cpae__fail(CPAE_E_INVALID, fn, "the seed is CPAE_SEL_SEED, not a trainer key");
    return cpae__param_check(key, v, fn);
}

static void drop_key(cpae_selection *s, int32_t key)
{
    for (int64_t i = 0; i < s->n_axes; i++)
        if (s->axis[i].key == key) {
            memmove(&s->axis[i], &s->axis[i + 1], (size_t)(s->n_axes - i - 1) * sizeof(grid_axis));
            s->n_axes--;
            break;
        }
    for (int64_t i = 0; i < s->n_fixed; i++)
        if (s->fixed_key[i] == key) {
            memmove(&s->fixed_key[i], &s->fixed_key[i + 1],
                    (size_t)(s->n_fixed - i - 1) * sizeof(int32_t));
            memmove(&s->fixed_val[i], &s->fixed_val[i + 1],
                    (size_t)(s->n_fixed - i - 1) * sizeof(double));
            s->n_fixed--;
            break;
        }
}

static void forget_results(cpae_selection *s)
{
    free(s->results);
    s->results = NULL;
    s->n_results = 0;
    s->best = -1;
}

int32_t cpae_selection_set_param(cpae_selection *s, int32_t key, double value)
{
    static const char fn[] = "cpae_selection_set_param";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(s, fn, "selection");
    if (st || (st = check_value(key, value, fn)))
        return st;
    bool fixed = false;
    for (int64_t i = 0; i < s->n_fixed; i++)
        fixed |= s->fixed_key[i] == key;
    if (!fixed && s->n_fixed == MAX_FIXED) /* refuse before changing anything */
        return cpae__fail(CPAE_E_LIMIT, fn, "more than %d fixed keys", MAX_FIXED);
    drop_key(s, key);
    s->fixed_key[s->n_fixed] = key;
    s->fixed_val[s->n_fixed++] = value;
    forget_results(s);
    return CPAE_OK;
}

int32_t cpae_selection_set_grid(cpae_selection *s, int32_t key, const double *values,
                                int64_t n)
{
    static const char fn[] = "cpae_selection_set_grid";
    cpae__clear_error();
    int32_t st = cpae__check_ptr(s, fn, "selection");
    if (st)
        return st;
    if (n < 0 || n > MAX_VALUES)
        return cpae__fail(CPAE_E_LIMIT, fn, "n = %lld; a grid axis holds 0..%d values",
                          (long long)n, MAX_VALUES);
    if (n > 0 && (st = cpae__check_ptr(values, fn, "values")))
        return st;
    if (cpae_param_bounds(key, NULL, NULL, NULL))
        return cpae__fail(CPAE_E_INVALID, fn, "unknown trainer key %d", (int)key);
    for (int64_t i = 0; i < n; i++)
        if ((st = check_value(key, values[i], fn)))
            return st;
    int64_t axes = s->n_axes;
    for (int64_t i = 0; i < s->n_axes; i++)
        if (s->axis[i].key == key)
            axes--;
    if (n > 0 && axes == MAX_AXES)
        return cpae__fail(CPAE_E_LIMIT, fn, "more than %d grid axes", MAX_AXES);
    drop_key(s, key);
    if (n > 0)
        add_axis(s, key, values, n);
    forget_results(s);
    return CPAE_OK;
}

int32_t cpae_selection_set_callback(cpae_selection *s, cpae_selection_fn fn_, void *user_data)
{
    cpae__clear_error();
    int32_t st = cpae__check_ptr(s, "cpae_selection_set_callback", "selection");
    if (st)
        return st;
    s->cb = fn_;
    s->cb_user = user_data;
    return CPAE_OK;
}

static int64_t n_candidates(const cpae_selection *s)
{
    int64_t n = 1;
    for (int64_t i = 0; i < s->n_axes; i++)
        n *= s->axis[i].n;
    return n;
}

int32_t cpae_selection_n_candidates(const cpae_selection *s, int64_t *n)
{
    static const char fn[] = "cpae_selection_n_candidates";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(s, fn, "selection")) || (st = cpae__check_ptr(n, fn, "n")))
        return st;
    *n = n_candidates(s);
    return CPAE_OK;
}

int32_t cpae_selection_grid_keys(const cpae_selection *s, int32_t *keys, int64_t cap,
                                 int64_t *n_keys)
{
    static const char fn[] = "cpae_selection_grid_keys";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(s, fn, "selection")) || (st = cpae__check_ptr(n_keys, fn, "n_keys")))
        return st;
    *n_keys = s->n_axes;
    if (cap == 0 && !keys)
        return CPAE_OK; /* size query */
    if ((st = cpae__check_ptr(keys, fn, "keys")) || (st = cpae__check_cap(cap, s->n_axes, fn,
                                                                          "keys")))
        return st;
    for (int64_t i = 0; i < s->n_axes; i++)
        keys[i] = s->axis[i].key;
    return CPAE_OK;
}

/* Values of candidate c on each axis; the first axis varies slowest. */
static void candidate_values(const cpae_selection *s, int64_t c, double *v)
{
    for (int64_t i = s->n_axes - 1; i >= 0; i--) {
        v[i] = s->axis[i].v[c % s->axis[i].n];
        c /= s->axis[i].n;
    }
}

/* ------------------------------------------------------------- the fit */

/* A fresh model (and generators) for one run: seeded He init, then the
 * PCA-informed init on the run's own training data when asked. */
static int32_t fresh_model(const cpae_selection *s, const float *x, int64_t n, int64_t d,
                           uint64_t seed, cpae_model **model, cpae_lie **lie)
{
    int32_t st;
    *model = NULL;
    *lie = NULL;
    if ((st = cpae_model_create_mirrored(s->widths, s->n_widths,
                                         (int32_t)opt(s, CPAE_SEL_HIDDEN_ACTIVATION), seed, model)))
        return st;
    if (opt(s, CPAE_SEL_INIT) == CPAE_INIT_PCA) {
        int64_t h = s->widths[s->n_widths - 1], k = h < n ? h : n;
        k = k < d ? k : d;
        cpae_pca *pca = NULL;
        if (!(st = cpae_pca_fit(x, n, d, k, &pca)))
            st = cpae_model_init_pca(*model, pca, x, n, d, opt(s, CPAE_SEL_INIT_MARGIN));
        cpae_pca_destroy(pca);
        if (st)
            goto fail;
    }
    if (s->method >= CPAE_METHOD_LIE_LOCAL &&
        (st = cpae_lie_create(d, (int64_t)opt(s, CPAE_SEL_GENERATORS),
                              (int32_t)opt(s, CPAE_SEL_GENERATOR_KIND), seed + 1000, lie)))
        goto fail;
    return CPAE_OK;
fail:
    cpae_model_destroy(*model);
    *model = NULL;
    return st;
}

/* Train one run: the fixed keys, then the candidate's values, the seed. */
static int32_t train_run(const cpae_selection *s, const double *cand, uint64_t seed,
                         cpae_model *model, cpae_lie *lie, const float *x, int64_t n,
                         const float *xv, int64_t nv, int64_t d, int64_t steps,
                         int64_t *best_step, double *best_val)
{
    cpae_trainer *t = NULL;
    int32_t st = cpae_trainer_create(model, lie, s->method, &t);
    for (int64_t i = 0; !st && i < s->n_fixed; i++)
        st = cpae_trainer_set_param(t, s->fixed_key[i], s->fixed_val[i]);
    for (int64_t i = 0; !st && i < s->n_axes; i++)
        st = cpae_trainer_set_param(t, s->axis[i].key, cand[i]);
    if (!st)
        st = cpae_trainer_set_param(t, CPAE_P_SEED, (double)seed);
    if (!st && steps >= 0) /* the refit: exactly the selected number of steps */
        st = cpae_trainer_set_param(t, CPAE_P_STEPS, (double)steps);
    if (!st)
        st = cpae_trainer_set_data(t, x, n, d);
    if (!st && xv)
        st = cpae_trainer_set_validation(t, xv, nv, d);
    if (!st && steps != 0)
        st = cpae_trainer_fit(t);
    if (!st && best_step)
        st = cpae_trainer_fit_info(t, NULL, best_step, best_val);
    cpae_trainer_destroy(t);
    return st;
}

static int32_t notify(const cpae_selection *s, int64_t c, int64_t total, double val,
                      int64_t best_step, const char *fn)
{
    if (s->cb && s->cb(s->cb_user, c, total, val, best_step))
        return cpae__fail(CPAE_E_CANCELLED, fn, "the selection callback stopped at candidate "
                          "%lld of %lld", (long long)c, (long long)total);
    return CPAE_OK;
}

int32_t cpae_selection_fit(cpae_selection *s, const float *x, int64_t n, int64_t d,
                           cpae_model **model, cpae_lie **lie)
{
    static const char fn[] = "cpae_selection_fit";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(s, fn, "selection")) || (st = cpae__check_ptr(x, fn, "x")) ||
        (st = cpae__check_ptr(model, fn, "model")))
        return st;
    bool lie_method = s->method >= CPAE_METHOD_LIE_LOCAL;
    if (lie_method && (st = cpae__check_ptr(lie, fn, "lie")))
        return st;
    if (d != s->widths[0])
        return cpae__fail(CPAE_E_SIZE, fn, "d is %lld, the architecture takes %lld",
                          (long long)d, (long long)s->widths[0]);
    if (n < 3)
        return cpae__fail(CPAE_E_SIZE, fn, "n is %lld; a validation split needs n >= 3",
                          (long long)n);
    uint64_t seed = (uint64_t)opt(s, CPAE_SEL_SEED);
    int64_t total = n_candidates(s), ntr, nv, best = -1;
    cpae_dataset *all = NULL, *tr = NULL, *va = NULL;
    const float *xtr, *xv;
    candidate_result *res = calloc((size_t)total, sizeof *res);
    cpae_model *best_model = NULL, *start = NULL;
    cpae_lie *best_lie = NULL, *start_lie = NULL;
    double cand[MAX_AXES], best_cand[MAX_AXES];
    if (!res) {
        st = cpae__fail(CPAE_E_NOMEM, fn, "out of memory");
        goto out;
    }
    if ((st = cpae_dataset_wrap(x, n, d, NULL, &all)) ||
        (st = cpae_dataset_split(all, opt(s, CPAE_SEL_VALID_FRACTION), seed, &tr, &va)))
        goto out;
    if ((st = cpae_dataset_info(tr, &ntr, NULL, NULL)) ||
        (st = cpae_dataset_info(va, &nv, NULL, NULL)) || (st = cpae_dataset_data(tr, &xtr)) ||
        (st = cpae_dataset_data(va, &xv)))
        goto out;
    /* Every candidate starts from the same weights: build them (and the
     * PCA behind them) once, copy per candidate. */
    if ((st = fresh_model(s, xtr, ntr, d, seed, &start, &start_lie)))
        goto out;
    for (int64_t c = 0; c < total; c++) {
        cpae_model *m = NULL;
        cpae_lie *g = NULL;
        candidate_values(s, c, cand);
        res[c].validation = NAN;
        res[c].best_step = -1;
        if ((st = cpae_model_clone(start, &m)) ||
            (start_lie && (st = cpae_lie_clone(start_lie, &g)))) {
            cpae_model_destroy(m);
            goto out;
        }
        res[c].status = train_run(s, cand, seed, m, g, xtr, ntr, xv, nv, d, -1,
                                  &res[c].best_step, &res[c].validation);
        if (res[c].status == CPAE_E_NOMEM) { /* not a property of the candidate */
            st = res[c].status;
            cpae_model_destroy(m);
            cpae_lie_destroy(g);
            goto out;
        }
        /* The earliest candidate wins ties, so the order of the grid decides. */
        if (!res[c].status && isfinite(res[c].validation) &&
            (best < 0 || res[c].validation < res[best].validation)) {
            best = c;
            memcpy(best_cand, cand, sizeof cand);
            cpae_model_destroy(best_model);
            cpae_lie_destroy(best_lie);
            best_model = m;
            best_lie = g;
        } else {
            cpae_model_destroy(m);
            cpae_lie_destroy(g);
        }
        if ((st = notify(s, c, total, res[c].validation, res[c].best_step, fn)))
            goto out;
    }
    if (best < 0) {
        st = cpae__fail(CPAE_E_DIVERGED, fn, "no candidate trained to a finite validation "
                        "error (first status: %s)", cpae_status_string(res[0].status));
        goto out;
    }
    if (opt(s, CPAE_SEL_REFIT) == 1) {
        cpae_model *m = NULL;
        cpae_lie *g = NULL;
        if ((st = fresh_model(s, x, n, d, seed, &m, &g)))
            goto out;
        if ((st = train_run(s, best_cand, seed, m, g, x, n, NULL, 0, d, res[best].best_step,
                            NULL, NULL))) {
            cpae_model_destroy(m);
            cpae_lie_destroy(g);
            goto out;
        }
        cpae_model_destroy(best_model);
        cpae_lie_destroy(best_lie);
        best_model = m;
        best_lie = g;
        if ((st = notify(s, total, total, res[best].validation, res[best].best_step, fn)))
            goto out;
    }
    free(s->results);
    s->results = res;
    s->n_results = total;
    s->best = best;
    res = NULL;
    *model = best_model;
    if (lie)
        *lie = best_lie;
    best_model = NULL;
    best_lie = NULL;
out:
    free(res);
    cpae_model_destroy(start);
    cpae_lie_destroy(start_lie);
    cpae_model_destroy(best_model);
    cpae_lie_destroy(best_lie);
    cpae_dataset_destroy(all);
    cpae_dataset_destroy(tr);
    cpae_dataset_destroy(va);
    return st;
}

int32_t cpae_selection_candidate(const cpae_selection *s, int64_t index, double *values,
                                 int64_t cap, double *validation, int64_t *best_step)
{
    static const char fn[] = "cpae_selection_candidate";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(s, fn, "selection")))
        return st;
    if (index < 0 || index >= n_candidates(s))
        return cpae__fail(CPAE_E_INVALID, fn, "index %lld outside 0..%lld", (long long)index,
                          (long long)n_candidates(s) - 1);
    if (values) {
        if ((st = cpae__check_cap(cap, s->n_axes, fn, "values")))
            return st;
        candidate_values(s, index, values);
    }
    bool have = s->results && index < s->n_results;
    if (validation)
        *validation = have ? s->results[index].validation : NAN;
    if (best_step)
        *best_step = have ? s->results[index].best_step : -1;
    return CPAE_OK;
}

int32_t cpae_selection_best(const cpae_selection *s, int64_t *index)
{
    static const char fn[] = "cpae_selection_best";
    cpae__clear_error();
    int32_t st;
    if ((st = cpae__check_ptr(s, fn, "selection")) || (st = cpae__check_ptr(index, fn, "index")))
        return st;
    if (s->best < 0)
        return cpae__fail(CPAE_E_INVALID, fn, "no fit yet (cpae_selection_fit)");
    *index = s->best;
    return CPAE_OK;
}
