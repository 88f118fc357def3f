/* SPDX-License-Identifier: Apache-2.0 */
/*
 * half_avx512.c - bfloat16 / binary16 <-> float32 for the avx512 and avx512vbmi kernel sets, 16
 * lanes at a time, tails by masked loads and stores.
 *
 * Integer arithmetic on the bits only, the steps of the reference conversions in fp8_internal.h
 * (fp8_bf16_from_f32_1 ...), so the bits never depend on MXCSR and nothing raises a floating-point
 * exception. Not AVX512_BF16's vcvtneps2bf16: it treats float32 subnormal inputs as zero whatever
 * MXCSR.DAZ says (SDM; on the AMD Zen 4 this was written on, 0x007FFFFF gives 0x0000, not 0x0080),
 * and these conversions keep them. Not vcvtps2ph / vcvtph2ps either (they
 * raise FE_OVERFLOW / FE_INVALID where the scalar set raises nothing, unless {sae}, and tie the
 * rounding to an immediate; the integer form is as fast here). The one float-typed instruction,
 * vcvtdq2ps on a binary16 subnormal's 10-bit fraction, is exact.
 */
#include "../../internal/fp8_internal.h"

#ifdef FP8_HAVE_X86
#include "fp8_avx512.h"

FP8_AVX512 static FP8_AVX512_INLINE __m512i bf16_16(__m512i u) {
    __m512i a = _mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF));
    __mmask16 is_nan = _mm512_cmpgt_epu32_mask(a, _mm512_set1_epi32(0x7F800000));
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFF))), 16);
    __m512i q = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
    return _mm512_mask_mov_epi32(r, is_nan, q);
}

FP8_AVX512 static FP8_AVX512_INLINE __m512i f16_16(__m512i u) {
    const __m512i one = _mm512_set1_epi32(1);
    __m512i sign = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x8000));
    __m512i a = _mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF));
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(a, 13), one);
    __m512i code = _mm512_sub_epi32(_mm512_srli_epi32(_mm512_add_epi32(a, _mm512_add_epi32(odd, _mm512_set1_epi32(0xFFF))), 13),
                                    _mm512_set1_epi32(112 << 10));
    /* below 2^-14: sig >> sh rounded, sh = 126 - max(e, 1) (variable shifts give 0 for counts >= 32) */
    __mmask16 is_sub = _mm512_cmplt_epu32_mask(a, _mm512_set1_epi32(0x38800000));
    __m512i e = _mm512_srli_epi32(a, 23);
    __mmask16 is_norm32 = _mm512_test_epi32_mask(e, e);
    __m512i sig = _mm512_mask_or_epi32(_mm512_and_si512(a, _mm512_set1_epi32(0x7FFFFF)), is_norm32,
                                       _mm512_and_si512(a, _mm512_set1_epi32(0x7FFFFF)), _mm512_set1_epi32(0x800000));
    __m512i sh = _mm512_sub_epi32(_mm512_set1_epi32(126), _mm512_max_epu32(e, one));
    __m512i half_m1 = _mm512_sub_epi32(_mm512_sllv_epi32(one, _mm512_sub_epi32(sh, one)), one);
    __m512i sodd = _mm512_and_si512(_mm512_srlv_epi32(sig, sh), one);
    __m512i sc = _mm512_srlv_epi32(_mm512_add_epi32(sig, _mm512_add_epi32(half_m1, sodd)), sh);
    code = _mm512_mask_mov_epi32(code, is_sub, sc);
    /* overflow (|x| >= 65520, Inf) and NaN */
    code = _mm512_mask_mov_epi32(code, _mm512_cmpge_epu32_mask(a, _mm512_set1_epi32(0x477FF000)), _mm512_set1_epi32(0x7C00));
    __m512i nan = _mm512_or_si512(_mm512_set1_epi32(0x7E00), _mm512_and_si512(_mm512_srli_epi32(a, 13), _mm512_set1_epi32(0x3FF)));
    code = _mm512_mask_mov_epi32(code, _mm512_cmpgt_epu32_mask(a, _mm512_set1_epi32(0x7F800000)), nan);
    return _mm512_or_si512(code, sign);
}

/* bf16_to_16 and f16_to_16 (16-bit -> float32 bits) are in fp8_avx512.h: quant_avx512.c uses them too. */

FP8_AVX512 void fp8_bf16_from_f32_avx512(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = fp8_mask16(n - i);
        __m512i r = bf16_16(_mm512_maskz_loadu_epi32(k, src + i));
        _mm256_mask_storeu_epi16(dst + i, k, _mm512_cvtepi32_epi16(r));
    }
}
FP8_AVX512 void fp8_f16_from_f32_avx512(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = fp8_mask16(n - i);
        __m512i r = f16_16(_mm512_maskz_loadu_epi32(k, src + i));
        _mm256_mask_storeu_epi16(dst + i, k, _mm512_cvtepi32_epi16(r));
    }
}
FP8_AVX512 void fp8_bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = fp8_mask16(n - i);
        __m512i h = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, src + i));
        _mm512_mask_storeu_epi32(dst + i, k, bf16_to_16(h));
    }
}
FP8_AVX512 void fp8_f16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = fp8_mask16(n - i);
        __m512i h = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, src + i));
        _mm512_mask_storeu_epi32(dst + i, k, f16_to_16(h));
    }
}

#endif /* FP8_HAVE_X86 */
