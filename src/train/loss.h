/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* loss.h -- the training objective of docs/math.md section 3 as a table of
 * loss terms (in the spirit of kann's operator table), evaluated on the
 * tangent engine. Internal; never installed.
 *
 * Adding a term: one file (train/term_NAME.c with its evaluate, check and
 * parameter rows), one row in CPAE__TERMS (train/loss.c), one key range and
 * one cpae_loss_term value in cpae.h (appended after CPAE_TERM_TOTAL, see
 * the compatibility rule there). Configuration, names, defaults, checks and
 * the weighted total are derived from the table. */
#ifndef CPAE_LOSS_H
#define CPAE_LOSS_H

#include "core/pool.h"
#include "lie/lie.h"
#include "net/net.h"
#include "net/tangent.h"
#include "train/params.h"

/* Term indices: the public cpae_loss_term values, so the trainer hands the
 * terms array to the caller as it is. */
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

/* The configuration of one evaluation: every trainer key's value, indexed
 * by key (the trainer's own storage, so nothing is copied field by field),
 * plus what the plan derived from the data. */
typedef struct cpae__loss_cfg {
    double v[CPAE__N_KEYS];
    double theta_max;       /* exact form: theta range in use (the key, or
                               from the data when the key is 0) */
} cpae__loss_cfg;

/* The single-precision copy a trainer keeps of its model and generators
 * for training in float (train/mirror.c): layers point into params; an
 * evaluation refreshes it from the double master values, and its float
 * gradient (grad, parameters then generators) is added to the caller's
 * double gradient. The optimiser state and the master values stay double. */
typedef struct cpae__mirror {
    cpae__layer_f *layers; /* n_enc + n_dec */
    float *params;         /* n_params, in the model's layout */
    float *g;              /* n_gen = k d d, or NULL */
    float *grad;           /* n_params + n_gen */
    int64_t n_params, n_gen;
    bool grad_is_float;    /* the last evaluation left its gradient here
                              (cpae__batch.keep_float) rather than in the
                              caller's double grad */
} cpae__mirror;

/* Inputs of one evaluation. x_nbr (m x lie_k x d) holds each sample's data
 * neighbours for the data sampler; x_anchor (d) the exact form's anchor.
 * With a mirror the evaluation runs in single precision (the terms that
 * have no float evaluate, the exact form, still run in double). */
typedef struct cpae__batch {
    const double *x;
    int64_t m;
    const double *x_nbr;
    const double *x_anchor;
    struct cpae__pool *pool; /* scratch reused across steps, or NULL */
    cpae__mirror *mirror;    /* single precision, or NULL: double */
    bool keep_float;         /* with a mirror: leave the gradient in
                                mirror->grad (the float step; grad is then
                                scratch of n_params + n_gen doubles and
                                need not be zeroed), unless the float range
                                overflowed (mirror->grad_is_float false) */
    const int64_t *ids;      /* the samples' ids (training-set rows; NULL:
                                0..m-1): each sample draws from its own
                                stream, cpae__rng_sample(key, id, tag) */
    uint64_t key;            /* set by cpae__loss_eval: one draw of the
                                caller's generator per evaluation */
    int64_t m_total;         /* a data-parallel step: the whole batch's
                                size, of which these m rows are this
                                process's share (0: not parallel) */
} cpae__batch;

/* The stream of sample i of batch b for draw `tag`. */
static inline void cpae__batch_rng(const cpae__batch *b, int64_t i, uint64_t tag,
                                   cpae_rng *rng)
{
    cpae__rng_sample(rng, b->key, b->ids ? (uint64_t)b->ids[i] : (uint64_t)i, tag);
}

#define CPAE__TPL 64
#include "core/real.h"
#include "train/loss_t.h"
#include "core/real_end.h"

#define CPAE__TPL 32
#include "core/real.h"
#include "train/loss_t.h"
#include "core/real_end.h"

/* What the plan checks before any step: the trainer's state a term needs. */
typedef struct cpae__term_env {
    const cpae_model *model;
    const struct cpae_lie *lie;
    const cpae__loss_cfg *cfg;
    int64_t n_train;        /* training samples (0: none set) */
} cpae__term_env;

/* What a term needs (flags). */
enum {
    CPAE__NEEDS_GENERATOR = 1u << 0,     /* inactive without a cpae_lie */
    CPAE__NEEDS_ENC_TANGENTS = 1u << 1,  /* encoder Jacobians */
    CPAE__NEEDS_DEC_TANGENTS = 1u << 2,  /* decoder Jacobians */
    CPAE__NEEDS_NOISE = 1u << 3,         /* draws from the trainer's rng */
    CPAE__ALWAYS_REPORTED = 1u << 4      /* value computed even at weight 0 */
};

/* One row of the table. Terms that share one evaluation (contractive and
 * higher-order share the encoder Jacobians) share the evaluate pointer; it
 * runs once and fills both values. */
typedef struct cpae__term {
    int32_t id;                  /* cpae_loss_term */
    const char *name;            /* cpae_loss_term_name */
    int32_t weight_key;          /* CPAE_P_W_* */
    uint32_t needs;              /* CPAE__NEEDS_* */
    const cpae__param_info *params; /* the term's keys (weight included) */
    int32_t n_params;
    int32_t (*check)(const cpae__term_env *env, const char *fn); /* may be NULL */
    int32_t (*evaluate)(const cpae__term_args *a);       /* double */
    int32_t (*evaluate_f)(const cpae__term_args_f *a);   /* float; NULL: the
                                                            term runs in double */
} cpae__term;

extern const cpae__term *const cpae__terms[];
extern const int32_t cpae__n_terms; /* rows (every term but the total) */

/* The weight of a row in this configuration: 0 when inactive (weight 0, or
 * a generator term without generators). */
double cpae__term_weight(const cpae__term *t, const cpae__loss_cfg *cfg,
                         const struct cpae_lie *lie);

/* Each active row's check (the plan calls this once per configuration). */
int32_t cpae__loss_check(const cpae__term_env *env, const char *fn);

/* Evaluate every active term into terms[CPAE__N_TERMS] (unweighted values;
 * TOTAL is the weighted sum) and, when grad is not NULL, ADD the gradient
 * of TOTAL: model parameters first (model layout), then the generators
 * (k x d x d) if lie is not NULL. */
int32_t cpae__loss_eval(const cpae_model *model, const struct cpae_lie *lie,
                        const cpae__loss_cfg *cfg, const cpae__batch *batch,
                        cpae_rng *rng, double *terms, double *grad,
                        const char *func);

/* The mirror of a model and (optional) generators: allocate, refresh from
 * the double values, release (train/mirror.c). */
int32_t cpae__mirror_init(cpae__mirror *mi, const cpae_model *model,
                          const struct cpae_lie *lie, const char *fn);
void cpae__mirror_sync(cpae__mirror *mi, const cpae_model *model, const struct cpae_lie *lie);
void cpae__mirror_free(cpae__mirror *mi);

#endif
