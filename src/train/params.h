/* params.h -- the trainer's parameter table (train/params.c): key ranges,
 * integrality and defaults, shared by the trainer and model selection.
 * Internal; never installed. */
#ifndef CPAE_PARAMS_H
#define CPAE_PARAMS_H

#include "core/core.h"

/* A trainer key's value against its range and integrality (trainer.c's
 * parameter table); used by the trainer and by model selection. */
int32_t cpae__param_check(int32_t key, double value, const char *fn);

#endif /* CPAE_PARAMS_H */
