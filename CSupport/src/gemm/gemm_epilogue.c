/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_epilogue.c - the typed ends of a GEMM (fp8_gemm_ex, fp8_gemm_weight_only):
 *   - a plain binary16 / bfloat16 A is widened to float32 row piece by row piece, inside packing and
 *     the small-M path's preparation of A (never as a pass of its own over A);
 *   - the output: the micro-kernels make C in float32 (alpha * acc + beta * C); the store adds the
 *     bias in float32 and rounds once into F16 or BF16 (the codec kernels' f16_from_f32 /
 *     bf16_from_f32: nearest even, NaN stays NaN, overflow gives Inf). It runs on a block of C the
 *     task has just finished, while that block is still in cache.
 */
#include "gemm_internal.h"

#define PIECE 256 /* floats per widening/narrowing step: stays in L1 */

typedef void (*widen_fn)(const uint16_t *src, float *dst, size_t n);
typedef void (*narrow_fn)(const float *src, uint16_t *dst, size_t n);

static widen_fn widen_of(fp8_dtype t, const fp8_kernel_set *ks) {
    return t == FP8_DTYPE_BF16 ? ks->codec->bf16_to_f32 : ks->codec->f16_to_f32;
}

void fp8_gemm_widen_row(const fp8_gemm_operand *op, size_t r, size_t k0, size_t n, float *dst,
                        const fp8_kernel_set *ks) {
    if (op->ftype == FP8_DTYPE_F32) {
        memcpy(dst, (const float *)op->f + r * op->ld + k0, n * sizeof(float));
        return;
    }
    widen_of(op->ftype, ks)((const uint16_t *)op->f + r * op->ld + k0, dst, n);
}

void fp8_gemm_load_c(const fp8_gemm_problem *p, size_t i0, size_t i1, size_t j0, size_t j1, float *t, size_t ldt) {
    if (p->c_type == FP8_DTYPE_F32) { /* K = 0 with a bias reads a float32 C here too */
        for (size_t i = i0; i < i1; i++)
            memcpy(t + (i - i0) * ldt, (const float *)p->c + i * p->ldc + j0, (j1 - j0) * sizeof(float));
        return;
    }
    widen_fn w = widen_of(p->c_type, p->ks);
    for (size_t i = i0; i < i1; i++) w((const uint16_t *)p->c + i * p->ldc + j0, t + (i - i0) * ldt, j1 - j0);
}

void fp8_gemm_store(const fp8_gemm_problem *p, size_t i0, size_t i1, size_t j0, size_t j1, const float *t,
                    size_t ldt) {
    const float *bias = p->bias;
    if (p->c_type == FP8_DTYPE_F32) {
        /* t is C itself: add the bias in place. */
        if (!bias) return;
        for (size_t i = i0; i < i1; i++) {
            float *c = (float *)p->c + i * p->ldc;
            for (size_t j = j0; j < j1; j++) c[j] = c[j] + bias[j];
        }
        return;
    }
    narrow_fn nf = p->c_type == FP8_DTYPE_BF16 ? p->ks->codec->bf16_from_f32 : p->ks->codec->f16_from_f32;
    float tmp[PIECE] __attribute__((aligned(64)));
    for (size_t i = i0; i < i1; i++) {
        const float *ti = t + (i - i0) * ldt;
        uint16_t *c = (uint16_t *)p->c + i * p->ldc;
        if (!bias) { nf(ti, c + j0, j1 - j0); continue; }
        for (size_t j = j0; j < j1; j += PIECE) {
            size_t n = fp8_gemm_min(PIECE, j1 - j);
            for (size_t e = 0; e < n; e++) tmp[e] = ti[j - j0 + e] + bias[j + e];
            nf(tmp, c + j, n);
        }
    }
}
