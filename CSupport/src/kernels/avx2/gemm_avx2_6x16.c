/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_avx2_6x16.c - the AVX2 + FMA GEMM kernels (enabled per function, chosen at run time).
 *
 * Packed path: a 6 x 16 register tile, 12 ymm accumulators (6 rows x 2 vectors of 8 columns); per k
 * two aligned loads of the B sliver, six broadcasts of the A sliver and twelve FMAs, k unrolled by 4.
 * Blocking (BLIS zen3): kc = 256 (B sliver 16 KiB in L1), mc = 144 (A block 144 KiB in L2),
 * nc = 4080 (B panel in L3).
 *
 * The small-M path (M <= 16) lives in gemm_avx2_small.c.
 */
#include "../../internal/fp8_internal.h"
#ifdef FP8_HAVE_X86
#include "fp8_avx2.h"
#include "../../gemm/gemm_kernels.h"

#define AV_MR 6
#define AV_NR 16
#define FP8_INLINE __attribute__((always_inline)) inline
#define FP8_UNROLL _Pragma("GCC unroll 16")

/* ---- packed path: the 6 x 16 micro-kernel ---------------------------------------------------- */

#define UKR_STEP(u)                                                                  \
    do {                                                                             \
        __m256 b0 = _mm256_load_ps(b + 16 * (u)), b1 = _mm256_load_ps(b + 16 * (u) + 8); \
        __m256 av = _mm256_broadcast_ss(a + 6 * (u) + 0);                            \
        c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);      \
        av = _mm256_broadcast_ss(a + 6 * (u) + 1);                                   \
        c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);      \
        av = _mm256_broadcast_ss(a + 6 * (u) + 2);                                   \
        c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);      \
        av = _mm256_broadcast_ss(a + 6 * (u) + 3);                                   \
        c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);      \
        av = _mm256_broadcast_ss(a + 6 * (u) + 4);                                   \
        c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);      \
        av = _mm256_broadcast_ss(a + 6 * (u) + 5);                                   \
        c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);      \
    } while (0)

FP8_AVX2 static FP8_INLINE void ukr_store_row(float *c, __m256 x0, __m256 x1, __m256 va, __m256 vb, int mode) {
    if (mode == 0) {
        _mm256_storeu_ps(c, _mm256_mul_ps(va, x0));
        _mm256_storeu_ps(c + 8, _mm256_mul_ps(va, x1));
    } else if (mode == 1) {
        _mm256_storeu_ps(c, _mm256_fmadd_ps(va, x0, _mm256_loadu_ps(c)));
        _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(va, x1, _mm256_loadu_ps(c + 8)));
    } else {
        _mm256_storeu_ps(c, _mm256_fmadd_ps(va, x0, _mm256_mul_ps(vb, _mm256_loadu_ps(c))));
        _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(va, x1, _mm256_mul_ps(vb, _mm256_loadu_ps(c + 8))));
    }
}

FP8_AVX2 static void ukr_6x16(size_t kc, const float *restrict a, const float *restrict b, float *restrict c,
                              size_t ldc, float alpha, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
           c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
           c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
           c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int i = 0; i < AV_MR; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 15), _MM_HINT_T0);
    }
    size_t k = kc;
    for (; k >= 4; k -= 4) {
        UKR_STEP(0);
        UKR_STEP(1);
        UKR_STEP(2);
        UKR_STEP(3);
        a += 4 * AV_MR;
        b += 4 * AV_NR;
    }
    for (; k > 0; k--) {
        UKR_STEP(0);
        a += AV_MR;
        b += AV_NR;
    }
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    int mode = beta == 0.0f ? 0 : beta == 1.0f ? 1 : 2;
    ukr_store_row(c + 0 * ldc, c00, c01, va, vb, mode);
    ukr_store_row(c + 1 * ldc, c10, c11, va, vb, mode);
    ukr_store_row(c + 2 * ldc, c20, c21, va, vb, mode);
    ukr_store_row(c + 3 * ldc, c30, c31, va, vb, mode);
    ukr_store_row(c + 4 * ldc, c40, c41, va, vb, mode);
    ukr_store_row(c + 5 * ldc, c50, c51, va, vb, mode);
}

/* ---- interleave (packing transposes) --------------------------------------------------------- */

/* r[0..7] rows -> r[t] = column t. */
FP8_AVX2 static FP8_INLINE void tr8x8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

FP8_AVX2 static void interleave_avx2(const float *src, size_t lds, size_t rows, size_t kc, float *dst, size_t r) {
    size_t k = 0;
    __m256 v[8];
    if (rows == r && r == 16) {
        for (; k + 8 <= kc; k += 8) {
            for (int h = 0; h < 2; h++) {
                for (int i = 0; i < 8; i++) v[i] = _mm256_loadu_ps(src + (size_t)(8 * h + i) * lds + k);
                tr8x8(v);
                for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + (k + t) * 16 + 8 * h, v[t]);
            }
        }
    } else if (rows == r && r == 8) {
        for (; k + 8 <= kc; k += 8) {
            for (int i = 0; i < 8; i++) v[i] = _mm256_loadu_ps(src + (size_t)i * lds + k);
            tr8x8(v);
            for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + (k + t) * 8, v[t]);
        }
    } else if (rows == r && r == 6) {
        for (; k + 8 <= kc; k += 8) {
            for (int i = 0; i < 6; i++) v[i] = _mm256_loadu_ps(src + (size_t)i * lds + k);
            v[6] = v[7] = _mm256_setzero_ps();
            tr8x8(v);
            for (int t = 0; t < 8; t++) {
                float *d = dst + (k + t) * 6;
                _mm_storeu_ps(d, _mm256_castps256_ps128(v[t]));
                _mm_storel_pi((__m64 *)(void *)(d + 4), _mm256_extractf128_ps(v[t], 1));
            }
        }
    }
    if (k < kc) fp8_gemm_interleave_ref(src + k, lds, rows, kc - k, dst + k * r, r);
}

/* fp8_gemm_kernels.interleave_h: full slivers of 6 (A) or 16 (B) rows of binary16 / bfloat16, 8
 * columns at a time widened in registers by the codec's own steps (bf16_to_8 / f16_to_8, so the
 * floats are those of fp8_bf16_to_f32_avx2 / fp8_f16_to_f32_avx2), transposed and stored; the last
 * kc % 8 columns through the reference conversions. */
FP8_AVX2 static int interleave_h_avx2(fp8_dtype t, const uint16_t *src, size_t lds, size_t rows, size_t kc,
                                      float *dst, size_t r) {
    if (rows != r || (r != 6 && r != 16)) return 0;
    const int bf = t == FP8_DTYPE_BF16;
    size_t k = 0;
    __m256 v[8];
    for (; k + 8 <= kc; k += 8) {
        for (size_t h = 0; h < r; h += 8) {
            size_t n = r - h < 8 ? r - h : 8;
            for (size_t i = 0; i < 8; i++) {
                if (i < n) {
                    __m256i x = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(src + (h + i) * lds + k)));
                    v[i] = _mm256_castsi256_ps(bf ? bf16_to_8(x) : f16_to_8(x));
                } else {
                    v[i] = _mm256_setzero_ps();
                }
            }
            tr8x8(v);
            if (r == 16) {
                for (int c = 0; c < 8; c++) _mm256_storeu_ps(dst + (k + c) * 16 + h, v[c]);
            } else {
                for (int c = 0; c < 8; c++) {
                    float *d = dst + (k + c) * 6;
                    _mm_storeu_ps(d, _mm256_castps256_ps128(v[c]));
                    _mm_storel_pi((__m64 *)(void *)(d + 4), _mm256_extractf128_ps(v[c], 1));
                }
            }
        }
    }
    for (; k < kc; k++)
        for (size_t i = 0; i < r; i++) {
            uint16_t x = src[i * lds + k];
            dst[k * r + i] = fp8_f32_from_bits(bf ? fp8_bf16_to_f32_1(x) : fp8_f16_to_f32_1(x));
        }
    return 1;
}

/* ---- fused decode + scale + interleave (packing FP8 slivers) ----------------------------------- */

/* 16 codes of one row -> 16 binary16 patterns, as scale_decode_avx2 makes them. */
FP8_AVX2 static FP8_INLINE __m256i pack_h16(fp8_format fmt, const uint8_t *p) {
    if (fmt == FP8_E4M3) return e4m3s_to_h16(load16_e4m3s(p));
    return e5m2_to_h16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p)));
}

/* 8 columns (k .. k+7) of the decoded rows v[0..7] -> dst[t*r + i]; r = 16 (half h) or 6. */
FP8_AVX2 static FP8_INLINE void pack_store8(__m256 v[8], float *dst, size_t r, int h) {
    tr8x8(v);
    if (r == 16) {
        for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + t * 16 + 8 * h, v[t]);
    } else {
        for (int t = 0; t < 8; t++) {
            _mm_storeu_ps(dst + t * 6, _mm256_castps256_ps128(v[t]));
            _mm_storel_pi((__m64 *)(void *)(dst + t * 6 + 4), _mm256_extractf128_ps(v[t], 1));
        }
    }
}

/* The products are those of scale_decode_avx2: binary16 -> float32 (exact), times 256 * scale (E4M3)
 * or scale (E5M2), one rounding. Cases scale_decode_avx2 sends to the scalar code (256 * scale not
 * finite, scale NaN) are left to the generic path, as are n not a multiple of 8 and r other than 16 and 6. */
FP8_AVX2 static int pack_fp8_avx2(fp8_format fmt, const uint8_t *q, size_t ldq, size_t n, const float *rowscale,
                                  float *dst, size_t r) {
    __m256 s[16], lo[8], hi[8];
    if ((r != 16 && r != 6) || n % 8 != 0) return 0;
    for (size_t i = 0; i < r; i++) {
        if (fmt == FP8_E4M3 ? !fp8_avx2_s256_ok(rowscale[i]) : fp8_avx2_is_nan(rowscale[i])) return 0; /* bits */
        s[i] = _mm256_set1_ps(fmt == FP8_E4M3 ? rowscale[i] * 256.0f : rowscale[i]);
    }
    for (size_t k = 0; k < n; k += 16) {
        int two = k + 16 <= n; /* else 8 columns left: the upper half is decoded but not stored */
        for (int h = 0; h * 8 < (int)r; h++) {
            int nrow = r == 16 ? 8 : 6;
            for (int i = 0; i < 8; i++) {
                if (i >= nrow) { lo[i] = hi[i] = _mm256_setzero_ps(); continue; }
                size_t row = (size_t)(8 * h + i);
                __m256i x = two ? pack_h16(fmt, q + row * ldq + k)
                                : _mm256_castsi128_si256(_mm_setzero_si128());
                if (!two) { /* 8 codes only: never read past the segment */
                    __m128i c8 = _mm_loadl_epi64((const __m128i *)(const void *)(q + row * ldq + k));
                    x = fmt == FP8_E4M3 ? e4m3s_to_h16(_mm256_cvtepi8_epi16(c8)) : e5m2_to_h16(_mm256_cvtepu8_epi16(c8));
                }
                lo[i] = _mm256_mul_ps(_mm256_cvtph_ps(_mm256_castsi256_si128(x)), s[row]);
                hi[i] = _mm256_mul_ps(_mm256_cvtph_ps(_mm256_extracti128_si256(x, 1)), s[row]);
            }
            pack_store8(lo, dst + k * r, r, h);
            if (two) pack_store8(hi, dst + (k + 8) * r, r, h);
        }
    }
    return 1;
}

const fp8_gemm_kernels fp8_gemm_avx2 = {
    AV_MR, AV_NR,        /* mr, nr */
    144, 256, 4080,      /* mc, kc, nc */
    ukr_6x16,
    interleave_avx2,
    &fp8_gemm_small_avx2,
    pack_fp8_avx2,
    interleave_h_avx2,
};

#endif /* FP8_HAVE_X86 */
