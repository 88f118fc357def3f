/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_pack.c - packing with the scales folded in.
 *
 * A packed element is the float32 product decode(q) * scale(block), made by the kernel set's
 * scale_decode over each row segment that stays inside one scale block (the same bits in every kernel
 * set, and exact when the scale is a power of two). Rows are first decoded into a small L1-resident
 * temporary [R][kc], then the set's interleave kernel transposes them into one [kc][R] sliver, with
 * the rows past the matrix edge repeating the last real row so the micro-kernel never needs an edge
 * case in k or in its register tile (repeated rather than zero: see gemm_kernels.h). Plain float32
 * operands (fp8_gemm_weight_only's A) are interleaved straight from the caller's rows; binary16 and
 * bfloat16 ones are widened into the same temporary first (gemm_epilogue.c).
 * Two speed-ups, neither changing a bit of the packed values:
 *   - a kernel set may provide pack_fp8, which decodes, scales and interleaves a full sliver in one
 *     pass (one call per scale segment) instead of going through the temporary; whatever it declines
 *     (edge slivers, segments not a multiple of 8, overflowing scales) takes the generic route above;
 *   - the codes of the next sliver are prefetched while the current one is packed: R row pieces ld
 *     bytes apart are a pattern the hardware prefetchers follow poorly (this alone was ~5% at M=128).
 */
#include "gemm_internal.h"

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

/* A full sliver through the set's fused pack_fp8, one call per scale segment; 0 if not (all) done. */
static int pack_fused(const fp8_gemm_operand *op, size_t rs, size_t k0, size_t kc, size_t R, float *d,
                      const fp8_gemm_kernels *g) {
    float rowscale[32];
    if (!g->pack_fp8 || R > 32) return 0;
    for (size_t k = k0, end = k0 + kc; k < end;) {
        size_t kb = k / op->bc, seg_end = fp8_gemm_min(end, (kb + 1) * op->bc);
        for (size_t i = 0; i < R; i++) rowscale[i] = op->scales[((rs + i) / op->br) * op->nbc + kb];
        if (!g->pack_fp8(op->fmt, op->q + rs * op->ld + k, op->ld, seg_end - k, rowscale, d + (k - k0) * R, R))
            return 0;
        k = seg_end;
    }
    return 1;
}

void fp8_gemm_pack(const fp8_gemm_operand *op, size_t r0, size_t nrows, size_t k0, size_t kc, size_t R,
                   float *dst, float *tmp, const fp8_kernel_set *ks) {
    const fp8_gemm_interleave_fn il = ks->gemm->interleave;
    for (size_t s = 0; s * R < nrows; s++) {
        size_t rows = fp8_gemm_min(R, nrows - s * R), rs = r0 + s * R;
        float *d = dst + s * R * kc;
        if (op->f && op->ftype == FP8_DTYPE_F32) {
            il((const float *)op->f + rs * op->ld + k0, op->ld, rows, kc, d, R);
        } else if (op->f) {
            /* binary16 / bfloat16 rows: the set's fused widen + interleave for a full sliver, else
             * widened into the L1 temporary and interleaved from there (the same floats). */
            const fp8_gemm_kernels *g = ks->gemm;
            if (rows == R && g->interleave_h &&
                g->interleave_h(op->ftype, (const uint16_t *)op->f + rs * op->ld + k0, op->ld, rows, kc, d, R))
                continue;
            for (size_t i = 0; i < rows; i++) fp8_gemm_widen_row(op, rs + i, k0, kc, tmp + i * kc, ks);
            il(tmp, kc, rows, kc, d, R);
        } else {
            /* Prefetch the codes of the next sliver (see the top of the file). */
            size_t nrs = rs + R, nend = fp8_gemm_min(r0 + nrows, nrs + R);
            for (size_t i = nrs; i < nend; i++) {
                const char *q = (const char *)(op->q + i * op->ld + k0);
                for (size_t b = 0; b < kc; b += 64) __builtin_prefetch(q + b);
                __builtin_prefetch(q + kc - 1);
            }
            if (rows == R && pack_fused(op, rs, k0, kc, R, d, ks->gemm)) continue;
            for (size_t i = 0; i < rows; i++) fp8_gemm_decode_row(op, rs + i, k0, kc, tmp + i * kc, ks->quant);
            il(tmp, kc, rows, kc, d, R);
        }
    }
}
