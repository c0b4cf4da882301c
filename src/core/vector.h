/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* vector.h -- CPAE__VECTOR: a hot loop's function compiled at -O3 with an
 * AVX2 clone picked at load time (GCC, x86-64), so that elementwise loops
 * the default -O2 leaves scalar use the vector units on machines that
 * have them. Not under the sanitizers: an ifunc resolver runs before their
 * runtimes are initialised (ThreadSanitizer crashes in it). Elsewhere
 * (clang, other targets) the attribute is empty. Internal; never
 * installed. */
#ifndef CPAE_VECTOR_H
#define CPAE_VECTOR_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define CPAE__VECTOR __attribute__((optimize("O3"), target_clones("avx2", "default")))
#else
#define CPAE__VECTOR
#endif

#endif /* CPAE_VECTOR_H */
