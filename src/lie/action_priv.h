/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* action_priv.h -- what action.c shares with action_orbit.c: the degree
 * choice and small helpers of the Taylor action. Internal; never installed. */
#ifndef CPAE_LIE_ACTION_PRIV_H
#define CPAE_LIE_ACTION_PRIV_H

#include <stdbool.h>
#include <stdint.h>

/* theta_55, the largest ||t G||_1 one Taylor step of the table covers. */
#define THETA_MAX_DEG 9.9

/* The smallest degree m whose theta_m covers need (||t G||_1 per step). */
int32_t cpae__action_degree_for(double need);
/* p blocks of n x h (contiguous) -> side by side, n x (p h). */
void cpae__action_pack(const double *B, int64_t n, int64_t p, int64_t h, double *P);
/* Are all count values finite? */
bool cpae__action_all_finite(const double *x, int64_t count);

#endif
