/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* params.c -- the trainer's own keys (optimiser, batches, budget, early
 * stopping, divergence) and the method defaults. Loss-term keys live with
 * their terms (train/term_*.c); cpae__param_find walks both tables. */
#include "train/params.h"
#include "train/loss.h"

#include <math.h>
#include <stddef.h>

/* Ranges and CPAE_METHOD_AE defaults of the keys that are not a loss
 * term's; read-only. */
static const cpae__param_info TRAINER_PARAMS[] = {
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
    {CPAE_P_PRECISION, 32, 64, 32, true}, /* 32 or 64 (cpae__param_check) */
};
#define N_TRAINER_PARAMS ((int)(sizeof TRAINER_PARAMS / sizeof TRAINER_PARAMS[0]))

/* What each method changes from the defaults (docs/training.md explains the
 * choices). */
static const struct {
    int32_t method, key;
    double value;
} METHOD_DEFAULTS[] = {
    {CPAE_METHOD_DENOISING, CPAE_P_NOISE_SIGMA, 0.1},
    {CPAE_METHOD_CONTRACTIVE, CPAE_P_W_CONTRACTIVE, 0.01},
    {CPAE_METHOD_HOC, CPAE_P_W_CONTRACTIVE, 0.01},
    {CPAE_METHOD_HOC, CPAE_P_W_HIGHER_ORDER, 0.01},
    {CPAE_METHOD_LIE_LOCAL, CPAE_P_W_LIE_LOCAL, 0.1},
    {CPAE_METHOD_LIE_EXACT, CPAE_P_W_LIE_EXACT, 0.1},
};

const cpae__param_info *cpae__param_find(int32_t key)
{
    for (int i = 0; i < N_TRAINER_PARAMS; i++)
        if (TRAINER_PARAMS[i].key == key)
            return &TRAINER_PARAMS[i];
    for (int32_t t = 0; t < cpae__n_terms; t++)
        for (int32_t i = 0; i < cpae__terms[t]->n_params; i++)
            if (cpae__terms[t]->params[i].key == key)
                return &cpae__terms[t]->params[i];
    return NULL;
}

int32_t cpae_param_bounds(int32_t key, double *lo, double *hi, double *default_value)
{
    cpae__clear_error();
    const cpae__param_info *p = cpae__param_find(key);
    if (!p)
        return cpae__fail(CPAE_E_INVALID, "cpae_param_bounds", "unknown key %d", (int)key);
    if (lo)
        *lo = p->lo;
    if (hi)
        *hi = p->hi;
    if (default_value)
        *default_value = p->def;
    return CPAE_OK;
}

int32_t cpae__param_check(int32_t key, double value, const char *fn)
{
    const cpae__param_info *p = cpae__param_find(key);
    if (!p)
        return cpae__fail(CPAE_E_INVALID, fn, "unknown key %d", (int)key);
    if (!isfinite(value))
        return cpae__fail(CPAE_E_NONFINITE, fn, "value for key %d is not finite", (int)key);
    if (value < p->lo || value > p->hi)
        return cpae__fail(CPAE_E_INVALID, fn, "value %g for key %d outside [%g, %g]", value,
                          (int)key, p->lo, p->hi);
    if (p->integer && value != floor(value))
        return cpae__fail(CPAE_E_INVALID, fn, "key %d takes an integer, got %g", (int)key,
                          value);
    if (key == CPAE_P_PRECISION && value != 32 && value != 64)
        return cpae__fail(CPAE_E_INVALID, fn, "CPAE_P_PRECISION is 32 or 64, got %g", value);
    return CPAE_OK;
}

void cpae__param_defaults(int32_t method, double *v)
{
    for (int k = 0; k < CPAE__N_KEYS; k++) {
        const cpae__param_info *p = cpae__param_find(k);
        v[k] = p ? p->def : 0.0;
    }
    for (size_t i = 0; i < sizeof METHOD_DEFAULTS / sizeof METHOD_DEFAULTS[0]; i++)
        if (METHOD_DEFAULTS[i].method == method)
            v[METHOD_DEFAULTS[i].key] = METHOD_DEFAULTS[i].value;
}
