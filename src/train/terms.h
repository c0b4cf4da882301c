/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* terms.h -- the rows of the loss-term table, one per train/term_*.c file
 * (their evaluate functions, in both precisions, are declared in
 * train/loss_t.h).
 * Internal; never installed. */
#ifndef CPAE_TERMS_H
#define CPAE_TERMS_H

#include "train/loss.h"

extern const cpae__term cpae__term_reconstruction; /* term_reconstruction.c */
extern const cpae__term cpae__term_contractive;    /* term_jacobian.c */
extern const cpae__term cpae__term_higher_order;   /* term_jacobian.c */
extern const cpae__term cpae__term_lie_local;      /* term_lie_local.c */
extern const cpae__term cpae__term_lie_exact;      /* term_lie_exact.c */

#endif /* CPAE_TERMS_H */
