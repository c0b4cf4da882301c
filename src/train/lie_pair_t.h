/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* lie_pair_t.h -- one Lie-local pair's residual, for one precision
 * (core/real.h names). Read twice by train/lie_pair.h; no include guard. */

/* P blocks of d x h (contiguous) <-> side by side (d x P h): the pairs'
 * layout for per-pair work and for one GEMM over all pairs. */
void X(lie_blocks_to_side)(const real *blk, int64_t P, int64_t d, int64_t h, real *side);
void X(lie_side_to_blocks)(const real *side, int64_t P, int64_t d, int64_t h, real *blk);

/* theta = argmin ||target - sum_j theta_j gap[j]||^2 (cpae__theta_local).
 * In float, k = 1 is solved with double sums; k > 1 goes through the
 * double least-squares solver on a converted copy. scratch: a block of
 * lie_theta_scratch(k, len) bytes (16-aligned), so repeated solves
 * allocate nothing; NULL when that size is 0 (k = 1). */
int32_t X(lie_theta_solve)(const real *target, const real *const *gap, int64_t k, int64_t len,
                           double *theta, void *scratch, const char *fn);
/* Bytes of lie_theta_solve's scratch (0: none needed; -1: sizes overflow). */
int64_t X(lie_theta_scratch)(int64_t k, int64_t len);

/* Scratch of one pair (sized by cpae__lie_pair_ws_init for k generators
 * and d x h maps). In float, the tangent form runs in double: dbl holds
 * the double copies and twin the double scratch. */
typedef struct X(pair_ws) {
    real *delta, *proj, *R, *Q, *tau, *Vt, *E, *W;
    const real **gap;
    void *lsq;    /* k > 1: lie_theta_solve's scratch */
    real *svd_work; /* tangent form: gesvd's workspace (n_svd values) */
    int64_t n_svd;
    double *dbl;  /* float + tangent form: Ai, A', G_j A' in double */
    void *twin;   /* float + tangent form: a cpae__pair_ws */
    cpae__pool *pool;
} X(pair_ws);

/* Scratch from the pool (false: out of memory; free it either way). */
bool X(lie_pair_ws_init)(X(pair_ws) *w, int64_t k, int64_t d, int64_t h, int32_t form,
                         cpae__pool *pool);
void X(lie_pair_ws_free)(X(pair_ws) *w);

/* One pair's residual. Plain: R = Delta - sum theta_j G_j A' with
 * Delta = A_i - A'. Tangent space: the same after projecting off the
 * numerical range of A' (thin SVD, rank cut at max(d, h) eps_float s_1), and
 * E = A'^+ (Delta - sum theta_j G_j A') for the gradient's extra term.
 * ga: k blocks (d x h) G_j A'. Writes theta (k), r = ||R||^2, and R, E
 * into w. */
int32_t X(lie_pair_residual)(const real *Ai, const real *Ap, const real *ga, int64_t k,
                             int64_t d, int64_t h, int32_t form, X(pair_ws) *w, double *theta,
                             double *r, const char *fn);
