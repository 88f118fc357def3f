/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_scalar.c - the portable GEMM kernels (plain C, no intrinsics): the reference every other set is
 * tested against, and the fallback that runs everywhere.
 *
 * Packed path: a 4 x 8 register tile (32 accumulators the compiler may keep in registers or not).
 * Small-M path: B rows decoded 256 codes at a time by scale_decode into a stack buffer, then per
 * output element a sequential dot product over each 256-chunk, the chunk sums added in order.
 */
#include "../../gemm/gemm_kernels.h"

#define SC_MR 4
#define SC_NR 8
#define SC_CHUNK 256

static void ukr_scalar(size_t kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta) {
    float acc[SC_MR][SC_NR];
    for (size_t i = 0; i < SC_MR; i++)
        for (size_t j = 0; j < SC_NR; j++) acc[i][j] = 0.0f;
    for (size_t k = 0; k < kc; k++) {
        const float *ak = a + k * SC_MR, *bk = b + k * SC_NR;
        for (size_t i = 0; i < SC_MR; i++)
            for (size_t j = 0; j < SC_NR; j++) acc[i][j] += ak[i] * bk[j];
    }
    for (size_t i = 0; i < SC_MR; i++) {
        float *ci = c + i * ldc;
        if (beta == 0.0f) {
            for (size_t j = 0; j < SC_NR; j++) ci[j] = alpha * acc[i][j];
        } else {
            for (size_t j = 0; j < SC_NR; j++) ci[j] = alpha * acc[i][j] + beta * ci[j];
        }
    }
}

void fp8_gemm_interleave_ref(const float *src, size_t lds, size_t rows, size_t kc, float *dst, size_t r) {
    for (size_t k = 0; k < kc; k++) {
        float *d = dst + k * r;
        size_t i = 0;
        for (; i < rows; i++) d[i] = src[i * lds + k];
        for (; i < r; i++) d[i] = d[rows - 1]; /* padding repeats the last row (gemm_kernels.h) */
    }
}

static size_t small_a_width_scalar(size_t m) { (void)m; return 0; }

static void small_m_scalar(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
    float x[SC_CHUNK];
    float acc[16];
    const size_t m = jb->m, K = jb->k;
    for (size_t j = j0; j < j1; j++) {
        const uint8_t *q = jb->b + j * jb->ldb;
        const float *s = jb->bscales + (j / jb->bbr) * jb->bnbc;
        for (size_t i = 0; i < m; i++) acc[i] = 0.0f;
        for (size_t k0 = 0; k0 < K; k0 += SC_CHUNK) {
            size_t kc = K - k0 < SC_CHUNK ? K - k0 : SC_CHUNK;
            for (size_t k = k0; k < k0 + kc;) { /* decode * scale, one block segment at a time */
                size_t kb = k / jb->bbc, e = (kb + 1) * jb->bbc;
                if (e > k0 + kc) e = k0 + kc;
                jb->quant->scale_decode(jb->bfmt, q + k, x + (k - k0), e - k, s[kb]);
                k = e;
            }
            for (size_t i = 0; i < m; i++) {
                const float *ai = jb->a + i * jb->lda + k0;
                float t = 0.0f; /* blocked summation: error ~ (256 + K/256) ulp, not K */
                for (size_t k = 0; k < kc; k++) t += ai[k] * x[k];
                acc[i] += t;
            }
        }
        for (size_t i = 0; i < m; i++) {
            float *cij = jb->c + i * jb->ldc + j;
            *cij = jb->beta == 0.0f ? jb->alpha * acc[i] : jb->alpha * acc[i] + jb->beta * *cij;
        }
    }
}

static const fp8_gemm_small_kernels small_scalar = {16, small_a_width_scalar, NULL, NULL, small_m_scalar, 8};

const fp8_gemm_kernels fp8_gemm_scalar = {
    SC_MR, SC_NR,          /* mr, nr */
    96, 256, 2048,         /* mc, kc, nc */
    ukr_scalar,
    fp8_gemm_interleave_ref,
    &small_scalar,
    NULL,                  /* pack_fp8 */
    NULL,                  /* interleave_h */
};
