/* loss.h -- the training objectives of docs/math.md section 3 and their
 * gradients, on the tangent engine. Internal; never installed. */
#ifndef CPAE_LOSS_H
#define CPAE_LOSS_H

#include "core/pool.h"
#include "lie/lie.h"
#include "net/net.h"

/* Loss terms, reported separately: the public cpae_loss_term indices, so
 * the trainer hands the terms array to the caller as it is. */
enum {
    CPAE__T_REC = CPAE_TERM_RECONSTRUCTION, /* of the clean x, from the
                                               possibly corrupted input */
    CPAE__T_CONTRACT = CPAE_TERM_CONTRACTIVE,
    CPAE__T_HOC = CPAE_TERM_HIGHER_ORDER,
    CPAE__T_LIE_LOCAL = CPAE_TERM_LIE_LOCAL,
    CPAE__T_LIE_EXACT = CPAE_TERM_LIE_EXACT,
    CPAE__T_TOTAL = CPAE_TERM_TOTAL,
    CPAE__N_TERMS = CPAE_N_LOSS_TERMS
};

/* Values of CPAE_P_LIE_SAMPLER and CPAE_P_LIE_FORM (documented in cpae.h). */
enum { CPAE__SAMPLER_DATA = CPAE_SAMPLER_DATA, CPAE__SAMPLER_BALL = CPAE_SAMPLER_BALL,
       CPAE__SAMPLER_FACET = CPAE_SAMPLER_FACET };
enum { CPAE__FORM_PLAIN = 0, CPAE__FORM_TANGENT = 1 };

typedef struct cpae__loss_cfg {
    double w_rec;
    double noise_sigma;     /* denoising: Gaussian std (0: none) */
    double noise_mask;      /* denoising: masking probability (0: none) */
    double w_contract;      /* lambda_J */
    double w_hoc;           /* lambda_H */
    double hoc_sigma;
    int64_t hoc_nc;
    double w_lie_local;
    int32_t lie_sampler;    /* CPAE__SAMPLER_* */
    int64_t lie_k;          /* neighbours per sample */
    double lie_delta;       /* ball radius */
    double facet_eps;       /* step (1 + eps) r past the facet */
    int32_t lie_form;       /* CPAE__FORM_* (local and exact) */
    double w_lie_exact;
    double theta_max;       /* exact form: theta range */
    int64_t theta_grid;     /* exact form: grid points */
} cpae__loss_cfg;

/* Inputs of one evaluation. x_nbr (m x lie_k x d) holds each sample's data
 * neighbours for the data sampler; x_anchor (d) the exact form's anchor. */
typedef struct cpae__batch {
    const double *x;
    int64_t m;
    const double *x_nbr;
    const double *x_anchor;
    struct cpae__pool *pool; /* scratch reused across steps, or NULL */
} cpae__batch;

/* Evaluate all terms with non-zero weight into terms[CPAE__N_TERMS]
 * (unweighted values; TOTAL is the weighted sum) and, when grad is not
 * NULL, ADD the gradient of TOTAL: model parameters first (model layout),
 * then the generators (k x d x d) if lie is not NULL. */
int32_t cpae__loss_eval(const cpae_model *model, const struct cpae_lie *lie,
                        const cpae__loss_cfg *cfg, const cpae__batch *batch,
                        cpae_rng *rng, double *terms, double *grad,
                        const char *func);

#endif
