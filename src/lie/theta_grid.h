/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* theta_grid.h -- what the exact form's theta solvers share (theta.c,
 * theta_skew.c): the grid, its tie-breaking, the trust cell and the
 * Gauss-Newton refinement, so that every path gives the same minimiser for
 * the same problem. Private to the Lie wing. */
#ifndef CPAE_LIE_THETA_GRID_H
#define CPAE_LIE_THETA_GRID_H

#include "lie/theta.h"
#include "lie/skew.h"

#include <math.h>
#include <stdbool.h>

/* Trust region of the refinement: the grid cell around the grid minimiser,
 * clipped to the range. */
typedef struct cpae__theta_cell {
    double lo, hi;
} cpae__theta_cell;

static inline cpae__theta_cell cpae__theta_grid_cell(double theta_g, double spacing,
                                                     double theta_max)
{
    cpae__theta_cell c = {theta_g - spacing, theta_g + spacing};
    if (c.lo < -theta_max)
        c.lo = -theta_max;
    if (c.hi > theta_max)
        c.hi = theta_max;
    return c;
}

static inline double cpae__theta_grid_point(int64_t k, int64_t n_grid, double theta_max)
{
    if (k == n_grid - 1)
        return theta_max; /* exact end point */
    return -theta_max + 2.0 * theta_max * (double)k / (double)(n_grid - 1);
}

/* Strictly better, ties to the smaller |theta|. */
static inline bool cpae__theta_grid_better(double fv, double t, double fbest, double tbest)
{
    return fv < fbest || (fv == fbest && fabs(t) < fabs(tbest));
}

/* Gauss-Newton from theta with value fval inside cell cl. eval(ctx, theta,
 * &f, &g, &jj) gives f and the one-column normal equations <J, r>, <J, J>. */
typedef int32_t (*cpae__theta_eval_fn)(void *ctx, double theta, double *f, double *g,
                                       double *jj);
int32_t cpae__theta_refine(cpae__theta_eval_fn eval, void *ctx, cpae__theta_cell cl,
                           double *theta, double *fval);

/* The checks of the exact solvers: the factorisation (if any) is for n,
 * theta_max > 0 and finite, n_grid >= 2. */
int32_t cpae__theta_check_range(const cpae__skew_eig *skew, int64_t n, double theta_max,
                                int64_t n_grid, const char *func);

/* One target on the skew path (theta_skew.c); theta, f may be NULL. */
int32_t cpae__theta_exact_skew1(const cpae__skew_eig *sk, const double *A0, const double *A,
                                int64_t h, double theta_max, int64_t n_grid, double *theta,
                                double *f, const char *func);

#endif /* CPAE_LIE_THETA_GRID_H */
