/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_neon.c - the NEON GEMM kernels (AArch64, where Advanced SIMD is baseline).
 *
 * Packed path only (kept simple): an 8 x 8 register tile, 16 float32x4 accumulators (8 rows x 2
 * vectors of 4 columns); per k two loads of the B sliver, two loads of the A sliver and sixteen FMAs
 * by lane (vfmaq_laneq_f32). Every M goes through the packed path (small = NULL); packing uses the
 * set's scale_decode (bit-identical to the other sets) and the portable interleave.
 */
#include "../../gemm/gemm_kernels.h"
#ifdef FP8_HAVE_NEON
#include <arm_neon.h>

#define NE_MR 8
#define NE_NR 8

static inline void store_row(float *c, float32x4_t x0, float32x4_t x1, float alpha, float beta) {
    float32x4_t va = vdupq_n_f32(alpha);
    if (beta == 0.0f) {
        vst1q_f32(c, vmulq_f32(va, x0));
        vst1q_f32(c + 4, vmulq_f32(va, x1));
    } else {
        float32x4_t vb = vdupq_n_f32(beta);
        vst1q_f32(c, vfmaq_f32(vmulq_f32(vb, vld1q_f32(c)), va, x0));
        vst1q_f32(c + 4, vfmaq_f32(vmulq_f32(vb, vld1q_f32(c + 4)), va, x1));
    }
}

static void ukr_8x8(size_t kc, const float *a, const float *b, float *c, size_t ldc, float alpha, float beta) {
    float32x4_t acc[NE_MR][2];
    for (int i = 0; i < NE_MR; i++) acc[i][0] = acc[i][1] = vdupq_n_f32(0.0f);
    for (size_t k = 0; k < kc; k++, a += NE_MR, b += NE_NR) {
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
        float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
        acc[0][0] = vfmaq_laneq_f32(acc[0][0], b0, a0, 0); acc[0][1] = vfmaq_laneq_f32(acc[0][1], b1, a0, 0);
        acc[1][0] = vfmaq_laneq_f32(acc[1][0], b0, a0, 1); acc[1][1] = vfmaq_laneq_f32(acc[1][1], b1, a0, 1);
        acc[2][0] = vfmaq_laneq_f32(acc[2][0], b0, a0, 2); acc[2][1] = vfmaq_laneq_f32(acc[2][1], b1, a0, 2);
        acc[3][0] = vfmaq_laneq_f32(acc[3][0], b0, a0, 3); acc[3][1] = vfmaq_laneq_f32(acc[3][1], b1, a0, 3);
        acc[4][0] = vfmaq_laneq_f32(acc[4][0], b0, a1, 0); acc[4][1] = vfmaq_laneq_f32(acc[4][1], b1, a1, 0);
        acc[5][0] = vfmaq_laneq_f32(acc[5][0], b0, a1, 1); acc[5][1] = vfmaq_laneq_f32(acc[5][1], b1, a1, 1);
        acc[6][0] = vfmaq_laneq_f32(acc[6][0], b0, a1, 2); acc[6][1] = vfmaq_laneq_f32(acc[6][1], b1, a1, 2);
        acc[7][0] = vfmaq_laneq_f32(acc[7][0], b0, a1, 3); acc[7][1] = vfmaq_laneq_f32(acc[7][1], b1, a1, 3);
    }
    for (int i = 0; i < NE_MR; i++) store_row(c + i * ldc, acc[i][0], acc[i][1], alpha, beta);
}

const fp8_gemm_kernels fp8_gemm_neon = {
    NE_MR, NE_NR,          /* mr, nr */
    128, 256, 2048,        /* mc, kc, nc */
    ukr_8x8,
    fp8_gemm_interleave_ref,
    NULL,                  /* small: none */
    NULL,                  /* pack_fp8 */
    NULL,                  /* interleave_h */
};

#endif /* FP8_HAVE_NEON */
