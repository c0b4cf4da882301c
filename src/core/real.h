/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* real.h -- one source, two precisions (FFTW's X() naming). No include
 * guard: a template is read once per precision.
 *
 * A generic source file (listed in the Makefile's GENERIC) is compiled
 * twice, once with -DCPAE_SINGLE; it includes this header last and writes
 *   real      the floating type (float or double),
 *   X(name)   the precision's name: cpae__name (double) or cpae__name_f,
 *   LAYER     struct cpae_layer (double) or cpae__layer_f,
 *   CHAIN     cpae_chain (double) or cpae__chain_f.
 * A header that declares both precisions sets CPAE__TPL to 64 or 32 before
 * including this, includes its template, then core/real_end.h. */
#ifndef CPAE__TPL
#ifdef CPAE_SINGLE
#define CPAE__TPL 32
#else
#define CPAE__TPL 64
#endif
#endif

#if CPAE__TPL == 32
#define real float
#define X(name) cpae__##name##_f
#define LAYER cpae__layer_f
#define CHAIN cpae__chain_f
#define LAPACKE_R(name) LAPACKE_s##name
#else
#define real double
#define X(name) cpae__##name
#define LAYER struct cpae_layer
#define CHAIN cpae_chain
#define LAPACKE_R(name) LAPACKE_d##name
#endif
