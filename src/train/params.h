/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* params.h -- the trainer's keyed hyperparameters: one row per key (range,
 * integrality, CPAE_METHOD_AE default). The optimiser's and the fit's keys
 * live in train/params.c; each loss term lists its own keys in its file
 * (train/term_*.c) and the lookup walks both. Internal; never installed. */
#ifndef CPAE_PARAMS_H
#define CPAE_PARAMS_H

#include "core/core.h"

/* Keys are small integers (cpae_param_key); storage is indexed by key. */
#define CPAE__N_KEYS 64

typedef struct cpae__param_info {
    int32_t key;
    double lo, hi, def;
    bool integer;
} cpae__param_info;

/* The row of a key, or NULL for an unknown key. */
const cpae__param_info *cpae__param_find(int32_t key);

/* A key's value against its range and integrality; used by the trainer and
 * by model selection. CPAE_E_INVALID (unknown key, out of range, not an
 * integer), CPAE_E_NONFINITE. */
int32_t cpae__param_check(int32_t key, double value, const char *fn);

/* Every key's default for a method (CPAE_METHOD_*) into v[CPAE__N_KEYS]
 * (unknown keys 0): the table defaults, then the method's own. */
void cpae__param_defaults(int32_t method, double *v);

#endif /* CPAE_PARAMS_H */
