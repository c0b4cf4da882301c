/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* orbit.h -- one-parameter orbits t -> exp(t G) x0 of a generator, and the
 * skew-symmetric generator of cyclic shifts, whose orbits roll a periodic
 * signal (docs/math.md section 7). Internal: never installed.
 *
 * All matrices are double, row-major and dense. Functions that take `func`
 * report failures through cpae__fail(status, func, ...) with `func` naming
 * the public entry point. On failure no output is changed. */
#ifndef CPAE_LIE_ORBIT_H
#define CPAE_LIE_ORBIT_H

#include "core/core.h"

#include <stdint.h>

/* out row t = exp(thetas[t] G) x0, out n_theta x n row-major. An exactly
 * skew-symmetric G (G_jk == -G_kj bitwise, e.g. from cpae__shift_generator
 * or S - S^T) takes the skew path: one eigendecomposition, then one GEMM for
 * all thetas; otherwise one cpae__expm per theta. */
int32_t cpae__orbit(const double *G, int64_t n, const double *x0,
                    const double *thetas, int64_t n_theta, double *out,
                    const char *func);

/* The d x d skew-symmetric circulant generator of cyclic shifts (docs/math.md
 * section 7): (exp(theta G) x)_j = x(j - theta) for the trigonometric
 * interpolant x of a band-limited periodic signal, so exp(k G) x = x rolled
 * by k samples. G = -D with D the spectral derivative per sample:
 *   G_jl = -(pi/d) (-1)^(j-l) csc(pi (j-l)/d)   (d odd),
 *   G_jl = -(pi/d) (-1)^(j-l) cot(pi (j-l)/d)   (d even), G_jj = 0.
 * Nyquist choice (d even): a real skew-symmetric matrix must give the
 * one-dimensional Nyquist mode (-1)^j the eigenvalue 0 (the odd-derivative
 * convention), so that mode is not moved. Shifts by an odd integer are exact
 * permutations only for signals without a Nyquist component; even shifts are
 * exact for any signal. Built exactly skew (G_lj = -G_jl bitwise).
 * Returns CPAE_E_SIZE for d < 1 (G must hold d * d doubles). */
int32_t cpae__shift_generator(int64_t d, double *G);

#endif /* CPAE_LIE_ORBIT_H */
