/* SPDX-License-Identifier: Apache-2.0 */
/*
 * half_avx2.c - bfloat16 / binary16 <-> float32 for the avx2 kernel set, 8 lanes at a time.
 *
 * Integer arithmetic on the bits only, the same steps as the reference conversions in
 * fp8_internal.h (fp8_bf16_from_f32_1 ...), so the results never depend on MXCSR (rounding mode,
 * FTZ, DAZ) and no instruction raises a floating-point exception. Not through vcvtps2ph: its VEX form
 * raises FE_OVERFLOW for |x| >= 65520 and FE_INVALID for a signalling NaN (traps the scalar set does
 * not take), and vcvtph2ps raises FE_INVALID for a signalling binary16 NaN. The one float-typed
 * instruction, vcvtdq2ps on a binary16 subnormal's 10-bit fraction, is exact.
 */
#include "../../internal/fp8_internal.h"

#ifdef FP8_HAVE_X86
#include "fp8_avx2.h"

/* 8 float32 bit patterns -> 8 bfloat16 in the low halves of the lanes. */
FP8_AVX2 static inline __m256i bf16_8(__m256i u) {
    const __m256i one = _mm256_set1_epi32(1);
    __m256i a = _mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF));
    __m256i is_nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7F800000));
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), one);
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7FFF))), 16);
    __m256i q = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
    return _mm256_blendv_epi8(r, q, is_nan);
}

/* 8 float32 bit patterns -> 8 binary16 in the low halves of the lanes. */
FP8_AVX2 static inline __m256i f16_8(__m256i u) {
    const __m256i one = _mm256_set1_epi32(1);
    __m256i sign = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x8000));
    __m256i a = _mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF));
    /* normal binary16 range */
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(a, 13), one);
    __m256i nc = _mm256_sub_epi32(_mm256_srli_epi32(_mm256_add_epi32(a, _mm256_add_epi32(odd, _mm256_set1_epi32(0xFFF))), 13),
                                  _mm256_set1_epi32(112 << 10));
    /* subnormal range: sig >> sh rounded, sh = 126 - max(e, 1) >= 14 (vpsrlvd/vpsllvd give 0 for counts >= 32) */
    __m256i e = _mm256_srli_epi32(a, 23);
    __m256i is_norm32 = _mm256_cmpgt_epi32(e, _mm256_setzero_si256());
    __m256i sig = _mm256_or_si256(_mm256_and_si256(a, _mm256_set1_epi32(0x7FFFFF)),
                                  _mm256_and_si256(is_norm32, _mm256_set1_epi32(0x800000)));
    __m256i sh = _mm256_sub_epi32(_mm256_set1_epi32(126), _mm256_max_epi32(e, one));
    __m256i half_m1 = _mm256_sub_epi32(_mm256_sllv_epi32(one, _mm256_sub_epi32(sh, one)), one);
    __m256i sodd = _mm256_and_si256(_mm256_srlv_epi32(sig, sh), one);
    __m256i sc = _mm256_srlv_epi32(_mm256_add_epi32(sig, _mm256_add_epi32(half_m1, sodd)), sh);
    __m256i is_sub = _mm256_cmpgt_epi32(_mm256_set1_epi32(0x38800000), a);
    __m256i code = _mm256_blendv_epi8(nc, sc, is_sub);
    /* overflow (|x| >= 65520, Inf) and NaN */
    __m256i is_ovf = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x477FEFFF));
    code = _mm256_blendv_epi8(code, _mm256_set1_epi32(0x7C00), is_ovf);
    __m256i is_nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7F800000));
    __m256i nan = _mm256_or_si256(_mm256_set1_epi32(0x7E00), _mm256_and_si256(_mm256_srli_epi32(a, 13), _mm256_set1_epi32(0x3FF)));
    code = _mm256_blendv_epi8(code, nan, is_nan);
    return _mm256_or_si256(code, sign);
}

/* bf16_to_8 and f16_to_8 (16-bit -> float32 bits) are in fp8_avx2.h: quant_avx2.c uses them too. */

/* Two vectors of 8 16-bit values in 32-bit lanes -> 16 uint16 in order. */
FP8_AVX2 static inline __m256i pack16(__m256i lo, __m256i hi) {
    return _mm256_permute4x64_epi64(_mm256_packus_epi32(lo, hi), 0xD8);
}

#define DEFINE_NARROW(NAME, CONV, REF)                                                         \
    FP8_AVX2 void NAME(const float *src, uint16_t *dst, size_t n) {                            \
        size_t i = 0;                                                                          \
        for (; i + 16 <= n; i += 16) {                                                         \
            const __m256i *s = (const __m256i *)(const void *)(src + i);                       \
            __m256i r = pack16(CONV(_mm256_loadu_si256(s)), CONV(_mm256_loadu_si256(s + 1)));  \
            _mm256_storeu_si256((__m256i *)(void *)(dst + i), r);                              \
        }                                                                                      \
        for (; i < n; i++) dst[i] = REF(fp8_bits_from_f32(src[i]));                            \
    }
#define DEFINE_WIDEN(NAME, CONV, REF)                                                          \
    FP8_AVX2 void NAME(const uint16_t *src, float *dst, size_t n) {                            \
        size_t i = 0;                                                                          \
        for (; i + 16 <= n; i += 16) {                                                         \
            __m256i h = _mm256_loadu_si256((const __m256i *)(const void *)(src + i));          \
            __m256i lo = CONV(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(h)));               \
            __m256i hi = CONV(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(h, 1)));          \
            _mm256_storeu_si256((__m256i *)(void *)(dst + i), lo);                             \
            _mm256_storeu_si256((__m256i *)(void *)(dst + i + 8), hi);                         \
        }                                                                                      \
        for (; i < n; i++) dst[i] = fp8_f32_from_bits(REF(src[i]));                            \
    }

DEFINE_NARROW(fp8_bf16_from_f32_avx2, bf16_8, fp8_bf16_from_f32_1)
DEFINE_NARROW(fp8_f16_from_f32_avx2, f16_8, fp8_f16_from_f32_1)
DEFINE_WIDEN(fp8_bf16_to_f32_avx2, bf16_to_8, fp8_bf16_to_f32_1)
DEFINE_WIDEN(fp8_f16_to_f32_avx2, f16_to_8, fp8_f16_to_f32_1)

#endif /* FP8_HAVE_X86 */
