/*
 * gemm_pack.c - packing with the scales folded in.
 *
 * A packed element is the float32 product decode(q) * scale(block), made by the kernel set's
 * scale_decode over each row segment that stays inside one scale block (the same bits in every kernel
 * set, and exact when the scale is a power of two). Rows are first decoded into a small L1-resident
 * temporary [R][kc], then the set's interleave kernel transposes them into one [kc][R] sliver, with
 * the rows past the matrix edge set to zero so the micro-kernel never needs an edge case in k or in
 * its register tile. Plain float32 operands (fp8_gemm_f32a's A) are interleaved straight from the
 * caller's rows.
 */
#include "gemm_internal.h"
#include <stdlib.h>

float *fp8_gemm_alloc_floats(size_t n) {
    size_t bytes;
    if (n > ((size_t)-1 - 256) / sizeof(float)) return NULL;
    bytes = fp8_gemm_round_up((n + 32) * sizeof(float), 64); /* slack for vector tails */
    return (float *)aligned_alloc(64, bytes);
}

void fp8_gemm_free(float *p) { free(p); }

void fp8_gemm_decode_row(const fp8_gemm_operand *op, size_t r, size_t k0, size_t kc, float *dst,
                         const fp8_quant_kernels *quant) {
    const uint8_t *q = op->q + r * op->ld;
    const float *s = op->scales + (r / op->br) * op->nbc;
    size_t k = k0, end = k0 + kc;
    while (k < end) {
        size_t kb = k / op->bc;
        size_t seg_end = fp8_gemm_min(end, (kb + 1) * op->bc);
        quant->scale_decode(op->fmt, q + k, dst + (k - k0), seg_end - k, s[kb]);
        k = seg_end;
    }
}

void fp8_gemm_pack(const fp8_gemm_operand *op, size_t r0, size_t nrows, size_t k0, size_t kc, size_t R,
                   float *dst, float *tmp, const fp8_kernel_set *ks) {
    const fp8_gemm_interleave_fn il = ks->gemm->interleave;
    for (size_t s = 0; s * R < nrows; s++) {
        size_t rows = fp8_gemm_min(R, nrows - s * R), rs = r0 + s * R;
        float *d = dst + s * R * kc;
        if (op->f) {
            il(op->f + rs * op->ld + k0, op->ld, rows, kc, d, R);
        } else {
            for (size_t i = 0; i < rows; i++) fp8_gemm_decode_row(op, rs + i, k0, kc, tmp + i * kc, ks->quant);
            il(tmp, kc, rows, kc, d, R);
        }
    }
}
