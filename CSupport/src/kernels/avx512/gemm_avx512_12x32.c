/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_avx512_12x32.c - the AVX-512 packed GEMM kernels (kernel set "avx512").
 *
 * Micro-kernel: a 12 x 32 register tile, 24 zmm accumulators (12 rows x 2 vectors of 16 columns),
 * 2 zmm for the B sliver and broadcasts of A: 24 FMAs per k against 2 B loads and 12 broadcast loads,
 * k unrolled by 4. Measured on AMD Zen 4 (1 thread, E4M3, against the avx2 set's 6x16 in the same
 * process): 12 x 32 and 14 x 32 tie at 2048^3, but 14 rows waste 9 % of the tile at M = 128 (10
 * slivers for 128 rows; 84 against 94 GFLOP/s at 128 x 4096 x 7168), 12 rows 3 %.
 * Packing: 16 x 16 transposes in registers (tr16x16); FP8 slivers are decoded, scaled (the same
 * floats as scale_decode) and transposed in one pass (pack_fp8).
 * Blocking: kc = 256, mc = 144, nc = 4096. kc bounds the FP32 chains (one per element and kc block):
 * kc = 512 was 5 % faster at 2048^3 on Zen 4 but raised the normwise error at K = 8192 from under
 * 4e-7 to 4.1e-7 (GemmTests.testLongKKeepsBlockedSummationAccuracy), so kc stays the avx2 set's 256
 * (about 0.95x the avx2 set's speed on Zen 4, whose FMA units are 256 bits wide). mc 70..280 made no
 * difference there. Not tuned on Intel.
 *
 * The small-M path (M <= 16) lives in gemm_avx512_small.c.
 */
#include "../../internal/fp8_internal.h"
#ifdef FP8_HAVE_X86
#include "fp8_avx512.h"
#include "../../gemm/gemm_kernels.h"

#define X5_MR 12
#define X5_NR 32

#define UKR_STEP(u)                                                                                \
    do {                                                                                           \
        __m512 b0 = _mm512_load_ps(b + X5_NR * (u)), b1 = _mm512_load_ps(b + X5_NR * (u) + 16);    \
        _Pragma("GCC unroll 16") for (int i = 0; i < X5_MR; i++) {                                 \
            __m512 av = _mm512_set1_ps(a[X5_MR * (u) + i]);                                        \
            c[i][0] = _mm512_fmadd_ps(av, b0, c[i][0]);                                            \
            c[i][1] = _mm512_fmadd_ps(av, b1, c[i][1]);                                            \
        }                                                                                          \
    } while (0)

FP8_AVX512 static void ukr_12x32(size_t kc, const float *restrict a, const float *restrict b, float *restrict cp,
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
    144, 256, 4096,      /* mc, kc, nc */
    ukr_12x32,
    interleave_avx512,
    &fp8_gemm_small_avx512,
    pack_fp8_avx512,
    NULL,                /* interleave_h: rows widened, then interleaved */
};
/* "avx512vbmi": the same packed path (packing decodes with shifts either way), VBMI small-M decode. */
const fp8_gemm_kernels fp8_gemm_avx512vbmi = {
    X5_MR, X5_NR, 140, 256, 4096, ukr_12x32, interleave_avx512, &fp8_gemm_small_avx512vbmi, pack_fp8_avx512, NULL,
};

#endif /* FP8_HAVE_X86 */
