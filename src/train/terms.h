/* terms.h -- the rows of the loss-term table, one per train/term_*.c file,
 * and what the Lie terms share (the latent neighbour samplers).
 * Internal; never installed. */
#ifndef CPAE_TERMS_H
#define CPAE_TERMS_H

#include "train/loss.h"

extern const cpae__term cpae__term_reconstruction; /* term_reconstruction.c */
extern const cpae__term cpae__term_contractive;    /* term_jacobian.c */
extern const cpae__term cpae__term_higher_order;   /* term_jacobian.c */
extern const cpae__term cpae__term_lie_local;      /* term_lie_local.c */
extern const cpae__term cpae__term_lie_exact;      /* term_lie_exact.c */

/* Neighbour latents z' (m K x h) of the batch by the configured sampler
 * (data, ball or facet; docs/math.md section 3). lie_samplers.c. */
int32_t cpae__lie_sample_neighbours(const cpae_model *model, const cpae__loss_cfg *cfg,
                                    const cpae__batch *b, const cpae__trace *tr,
                                    cpae_rng *rng, double *zn, const char *fn);

#endif /* CPAE_TERMS_H */
