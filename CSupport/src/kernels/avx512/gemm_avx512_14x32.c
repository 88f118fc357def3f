/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_avx512_14x32.c - the AVX-512 packed GEMM kernels (kernel set "avx512").
 *
 * Micro-kernel: a 14 x 32 register tile, 28 zmm accumulators (14 rows x 2 vectors of 16 columns),
 * 2 zmm for the B sliver and broadcasts of A: 28 FMAs per k against 2 B loads and 14 broadcast loads,
 * k unrolled by 4. 31 of the 32 zmm registers are live.
 * Packing: 16 x 16 transposes in registers (tr16x16); FP8 slivers are decoded, scaled (the same
 * floats as scale_decode) and transposed in one pass (pack_fp8).
 * Blocking: kc = 256, mc = 140 (A block 140 KiB), nc = 4096 (B panel 4 MiB).
 *
 * The small-M path (M <= 16) lives in gemm_avx512_small.c.
 */
#include "../../internal/fp8_internal.h"
#ifdef FP8_HAVE_X86
#include "fp8_avx512.h"
#include "../../gemm/gemm_kernels.h"

#define X5_MR 14
#define X5_NR 32

#define ROW_FMA(u, i)                                                                               \
    do {                                                                                           \
        __m512 av = _mm512_set1_ps(a[X5_MR * (u) + (i)]);                                          \
        c[i][0] = _mm512_fmadd_ps(av, b0, c[i][0]);                                                \
        c[i][1] = _mm512_fmadd_ps(av, b1, c[i][1]);                                                \
    } while (0)

#define UKR_STEP(u)                                                                                \
    do {                                                                                           \
        __m512 b0 = _mm512_load_ps(b + X5_NR * (u)), b1 = _mm512_load_ps(b + X5_NR * (u) + 16);    \
        ROW_FMA(u, 0); ROW_FMA(u, 1); ROW_FMA(u, 2); ROW_FMA(u, 3); ROW_FMA(u, 4); ROW_FMA(u, 5); ROW_FMA(u, 6);         \
        ROW_FMA(u, 7); ROW_FMA(u, 8); ROW_FMA(u, 9); ROW_FMA(u, 10); ROW_FMA(u, 11); ROW_FMA(u, 12); ROW_FMA(u, 13);    \
    } while (0)

FP8_AVX512 static void ukr_14x32(size_t kc, const float *restrict a, const float *restrict b, float *restrict cp,
                                 size_t ldc, float alpha, float beta) {
    __m512 c[X5_MR][2];
#pragma GCC unroll 14
    for (int i = 0; i < X5_MR; i++) c[i][0] = c[i][1] = _mm512_setzero_ps();
#pragma GCC unroll 14
    for (int i = 0; i < X5_MR; i++) {
        _mm_prefetch((const char *)(cp + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(cp + i * ldc + 31), _MM_HINT_T0);
    }
    size_t k = kc;
    for (; k >= 4; k -= 4) {
        UKR_STEP(0);
        UKR_STEP(1);
        UKR_STEP(2);
        UKR_STEP(3);
        a += 4 * X5_MR;
        b += 4 * X5_NR;
    }
    for (; k > 0; k--) {
        UKR_STEP(0);
        a += X5_MR;
        b += X5_NR;
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
    for (int i = 0; i < X5_MR; i++) {
        float *ci = cp + i * ldc;
        for (int h = 0; h < 2; h++) {
            __m512 r;
            if (beta == 0.0f) r = _mm512_mul_ps(va, c[i][h]);
            else if (beta == 1.0f) r = _mm512_fmadd_ps(va, c[i][h], _mm512_loadu_ps(ci + 16 * h));
            else r = _mm512_fmadd_ps(va, c[i][h], _mm512_mul_ps(vb, _mm512_loadu_ps(ci + 16 * h)));
            _mm512_storeu_ps(ci + 16 * h, r);
        }
    }
}

/* ---- interleave: rows -> [k][r] slivers ------------------------------------------------------- */

/* Columns c < ncols of the transposed block v (rows h*16 .. h*16 + 15 of the sliver) into dst[c*r + ..]:
 * r = 32 stores whole vectors at offset 16h; r = 14 stores the first 14 lanes. */
FP8_AVX512 static FP8_AVX512_INLINE void store_cols(__m512 v[16], float *dst, size_t r, int h, size_t ncols) {
    tr16x16(v);
    for (size_t c = 0; c < ncols; c++) {
        if (r == 32) _mm512_storeu_ps(dst + c * 32 + 16 * h, v[c]);
        else _mm512_mask_storeu_ps(dst + c * r, (__mmask16)0x3FFF, v[c]);
    }
}

FP8_AVX512 static void interleave_avx512(const float *src, size_t lds, size_t rows, size_t kc, float *dst, size_t r) {
    __m512 v[16];
    if (rows != r || (r != 32 && r != 14)) { fp8_gemm_interleave_ref(src, lds, rows, kc, dst, r); return; }
    for (size_t k = 0; k < kc; k += 16) {
        size_t nk = kc - k < 16 ? kc - k : 16;
        __mmask16 m = fp8_mask16(nk);
        for (int h = 0; h * 16 < (int)r; h++) {
            for (int i = 0; i < 16; i++) {
                size_t row = (size_t)(16 * h + i);
                v[i] = row < rows ? _mm512_maskz_loadu_ps(m, src + row * lds + k) : _mm512_setzero_ps();
            }
            store_cols(v, dst + k * r, r, h, nk);
        }
    }
}

/* ---- fused decode + scale + interleave (packing FP8 slivers) ----------------------------------- */

/* dst[k*r + i] = decode(q[i*ldq + k]) * rowscale[i] for k < n, i < r (r = 32 or 14): the floats of
 * scale_decode (dec16_scaled, one rounding), transposed in registers. Handles every n and every scale
 * but NaN (declined, so that the generic path's scale_decode gives the scalar set's NaN). */
FP8_AVX512 static int pack_fp8_avx512(fp8_format fmt, const uint8_t *q, size_t ldq, size_t n, const float *rowscale,
                                      float *dst, size_t r) {
    __m512 v[16], vs[32];
    int m256[32];
    if (r != 32 && r != 14) return 0;
    for (size_t i = 0; i < r; i++)
        if (fp8_avx512_is_nan(rowscale[i])) return 0; /* the generic path sends it to scalar */
    for (size_t i = 0; i < r; i++) vs[i] = _mm512_set1_ps(fp8_avx512_mult(fmt, rowscale[i], &m256[i]));
    for (size_t k = 0; k < n; k += 16) {
        size_t nk = n - k < 16 ? n - k : 16;
        __mmask16 m = fp8_mask16(nk);
        for (int h = 0; h * 16 < (int)r; h++) {
            for (int i = 0; i < 16; i++) {
                size_t row = (size_t)(16 * h + i);
                if (row >= r) { v[i] = _mm512_setzero_ps(); continue; }
                const uint8_t *p = q + row * ldq + k;
                __m128i c = nk == 16 ? _mm_loadu_si128((const __m128i *)(const void *)p) : _mm_maskz_loadu_epi8(m, p);
                v[i] = m256[row] ? dec16_scaled(fmt, c, vs[row], 1, m) : dec16_scaled(fmt, c, vs[row], 0, m);
            }
            store_cols(v, dst + k * r, r, h, nk);
        }
    }
    return 1;
}

const fp8_gemm_kernels fp8_gemm_avx512 = {
    X5_MR, X5_NR,        /* mr, nr */
    140, 256, 4096,      /* mc, kc, nc */
    ukr_14x32,
    interleave_avx512,
    &fp8_gemm_small_avx512,
    pack_fp8_avx512,
};
/* "avx512vbmi": the same packed path (packing decodes with shifts either way), VBMI small-M decode. */
const fp8_gemm_kernels fp8_gemm_avx512vbmi = {
    X5_MR, X5_NR, 140, 256, 4096, ukr_14x32, interleave_avx512, &fp8_gemm_small_avx512vbmi, pack_fp8_avx512,
};

#endif /* FP8_HAVE_X86 */
