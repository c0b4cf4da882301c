/* Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT */
/* blas.c -- the one place libcpae calls CBLAS GEMM (double for geometry
 * and the exact form, float for single-precision training). */
#include "core/core.h"

#include <cblas.h>

void cpae__gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                double alpha, const double *a, int64_t lda, const double *b,
                int64_t ldb, double beta, double *c, int64_t ldc)
{
    /* Sizes are bounded by CPAE_MAX_WIDTH and batch checks upstream, so they
     * fit blasint (32-bit in Debian's OpenBLAS). */
    if (m == 0 || n == 0)
        return;
    cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n,
                (blasint)k, alpha, a, (blasint)lda, b, (blasint)ldb, beta, c,
                (blasint)ldc);
}

void cpae__gemm_f(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                  float alpha, const float *a, int64_t lda, const float *b,
                  int64_t ldb, float beta, float *c, int64_t ldc)
{
    if (m == 0 || n == 0)
        return;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n,
                (blasint)k, alpha, a, (blasint)lda, b, (blasint)ldb, beta, c,
                (blasint)ldc);
}
