/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* tangent.h -- batch forward traces, backpropagation and the tangent
 * engine (docs/math.md section 4), in double (cpae__trace_run, ...) and
 * in single precision (cpae__trace_run_f, ...): one source,
 * net/tangent.c, compiled once per precision (core/real.h). Internal;
 * never installed.
 *
 * Everything here works on m samples at once with one GEMM per layer over
 * the stacked samples; nothing loops over samples doing small products. */
#ifndef CPAE_TANGENT_H
#define CPAE_TANGENT_H

#include "net/net.h"
#include "core/pool.h"

#define CPAE__TPL 64
#include "core/real.h"
#include "net/tangent_t.h"
#include "core/real_end.h"

#define CPAE__TPL 32
#include "core/real.h"
#include "net/tangent_t.h"
#include "core/real_end.h"

#endif
