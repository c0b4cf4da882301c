/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* lie_pair.h -- the residual of one pair of the Lie regularizer's local
 * form (docs/math.md section 3), in double (cpae__lie_pair_residual) and
 * float (cpae__lie_pair_residual_f); train/lie_pair.c, compiled once per
 * precision. Internal; never installed. */
#ifndef CPAE_LIE_PAIR_H
#define CPAE_LIE_PAIR_H

#include "core/core.h"
#include "core/pool.h"

#define CPAE__TPL 64
#include "core/real.h"
#include "train/lie_pair_t.h"
#include "core/real_end.h"

#define CPAE__TPL 32
#include "core/real.h"
#include "train/lie_pair_t.h"
#include "core/real_end.h"

#endif
