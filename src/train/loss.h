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

/* Inputs of one evaluation. x_nbr (m x lie_k x d) holds each sample's data
 * neighbours for the data sampler; x_anchor (d) the exact form's anchor. */
typedef struct cpae__batch {
    const double *x;
    int64_t m;
    const double *x_nbr;
    const double *x_anchor;
    struct cpae__pool *pool; /* scratch reused across steps, or NULL */
} cpae__batch;

/* What a term's evaluate receives. The autoencoder has been traced on xin
 * (the batch after the denoising corruption); terms write their unweighted
 * values into terms[] and ADD their weighted gradient into grad (model
 * parameters first, then the generators), when grad is not NULL. */
typedef struct cpae__term_args {
    const cpae_model *model;
    const struct cpae_lie *lie;
    const cpae__loss_cfg *cfg;
    const cpae__batch *batch;
    const cpae__trace *tr;
    const double *xin;
    cpae_rng *rng;
    double *terms;
    double *grad;
    const char *fn;
} cpae__term_args;

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
    int32_t (*evaluate)(const cpae__term_args *a);
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

/* Per-layer state arrays of several sample sets stacked into one set, for
 * one tangent pass: rows of qa (ma samples) followed by the selected rows
 * of qb (rows_b NULL: the first mb). Returns the per-layer pointers (free)
 * and their storage in *buf_out (free); NULL when out of memory. */
double **cpae__stack_states(const cpae_chain *c, double *const *qa, int64_t ma,
                            double *const *qb, const int64_t *rows_b, int64_t mb,
                            double **buf_out);

#endif
