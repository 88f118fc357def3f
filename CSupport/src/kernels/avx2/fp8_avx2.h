/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fp8_avx2.h - AVX2 building blocks shared by the avx2 kernel set (codecs, quantization, GEMM
 * packing). NOT API. Include only from files under kernels/avx2/, inside #ifdef FP8_HAVE_X86.
 *
 * Floating-point exceptions (fp8.h): no float instruction here may see an operand the scalar set
 * does not compute on. The scalar codecs are integer code, so the encoders' one float add (the
 * magic-number rounding) takes the magnitude clamped below 480 / 65536, never a NaN (a signalling NaN
 * would raise FE_INVALID) or Inf, and the E5M2 decode quiets signalling binary16 NaNs before
 * vcvtph2ps. (FE_INEXACT from the magic add is outside the contract.)
 */
#ifndef FP8_AVX2_H
#define FP8_AVX2_H
#include "../../internal/fp8_internal.h"
#include <immintrin.h>

#define FP8_AVX2 __attribute__((target("avx2,fma,f16c")))

/* ---- encode: 8 floats -> 8 int32 codes (0..255) --------------------------------------------- */

/* E4M3. Normal path: clamp |x| at 480 (code 0x7F, the NaN/overflow code) so the code never exceeds
 * 0x7F; float32 exponent e maps to E4M3 exponent e - 120, hence the 960 = 120 << 3 offset. */
FP8_AVX2 static inline __m256i enc8_e4m3(__m256i u, int saturate) {
    const __m256i absmask = _mm256_set1_epi32(0x7FFFFFFF);
    __m256i a = _mm256_and_si256(u, absmask);
    __m256i ac = _mm256_min_epi32(a, _mm256_set1_epi32(0x43F00000)); /* 480.0f */
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(ac, 20), _mm256_set1_epi32(1));
    __m256i r = _mm256_add_epi32(ac, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7FFFF)));
    __m256i nc = _mm256_sub_epi32(_mm256_srli_epi32(r, 20), _mm256_set1_epi32(960));
    /* Subnormal range |x| < 2^-6: |x| + 2^14 rounds |x| to a multiple of 2^-9 (2^14 * 2^-23). The add
     * takes the clamped ac (equal to a in that range), never NaN or Inf: no FE_INVALID (see top). */
    __m256 magic = _mm256_castsi256_ps(_mm256_set1_epi32(0x46800000)); /* 2^14 */
    __m256i sc = _mm256_sub_epi32(_mm256_castps_si256(_mm256_add_ps(_mm256_castsi256_ps(ac), magic)),
                                  _mm256_set1_epi32(0x46800000));
    __m256i is_sub = _mm256_cmpgt_epi32(_mm256_set1_epi32(0x3C800000), a); /* a < 2^-6 */
    __m256i code = _mm256_blendv_epi8(nc, sc, is_sub);
    if (saturate) {
        __m256i is_nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7F800000));
        code = _mm256_min_epi32(code, _mm256_set1_epi32(0x7E));
        code = _mm256_or_si256(code, _mm256_and_si256(is_nan, _mm256_set1_epi32(0x7F)));
    }
    return _mm256_or_si256(code, _mm256_srli_epi32(_mm256_andnot_si256(absmask, u), 24));
}

/* E5M2. Clamp |x| at 65536 (code 0x7C = Inf); exponent offset 112 << 2 = 448; NaN -> 0x7E. */
FP8_AVX2 static inline __m256i enc8_e5m2(__m256i u, int saturate) {
    const __m256i absmask = _mm256_set1_epi32(0x7FFFFFFF);
    __m256i a = _mm256_and_si256(u, absmask);
    __m256i ac = _mm256_min_epi32(a, _mm256_set1_epi32(0x47800000)); /* 65536.0f */
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(ac, 21), _mm256_set1_epi32(1));
    __m256i r = _mm256_add_epi32(ac, _mm256_add_epi32(odd, _mm256_set1_epi32(0xFFFFF)));
    __m256i nc = _mm256_sub_epi32(_mm256_srli_epi32(r, 21), _mm256_set1_epi32(448));
    /* Subnormal range |x| < 2^-14: |x| + 2^7 rounds to a multiple of 2^-16 (2^7 * 2^-23); on ac, as
     * in enc8_e4m3. */
    __m256 magic = _mm256_castsi256_ps(_mm256_set1_epi32(0x43000000)); /* 2^7 */
    __m256i sc = _mm256_sub_epi32(_mm256_castps_si256(_mm256_add_ps(_mm256_castsi256_ps(ac), magic)),
                                  _mm256_set1_epi32(0x43000000));
    __m256i is_sub = _mm256_cmpgt_epi32(_mm256_set1_epi32(0x38800000), a); /* a < 2^-14 */
    __m256i code = _mm256_blendv_epi8(nc, sc, is_sub);
    if (saturate) code = _mm256_min_epi32(code, _mm256_set1_epi32(0x7B));
    __m256i is_nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7F800000));
    code = _mm256_blendv_epi8(code, _mm256_set1_epi32(0x7E), is_nan);
    return _mm256_or_si256(code, _mm256_srli_epi32(_mm256_andnot_si256(absmask, u), 24));
}

/*
 * Saturating encodes for inputs that are never NaN (quantization: a finite x times a finite 1/s; an
 * overflow to +-Inf is fine), returning the MAGNITUDE code only (0..max finite code; the sign is put
 * back by pack32_signed). Clamping |x| at the max finite itself (448 = 0x43E00000, 57344 =
 * 0x47600000) yields exactly the max-finite code, which is what saturation gives for everything at
 * or above it, so the code clamp and NaN fix-up of enc8_*(u, 1) are not needed: with the sign added
 * back the result equals enc8_*(u, 1) for every non-NaN u (checked on all 2^32 inputs). The exponent
 * offset (960 << 20, 448 << 21) is folded into the rounding constant: in the normal range
 * ac >= 2^-6 (2^-14) keeps the sum non-negative, and below it the subnormal code is selected anyway.
 * The selection uses blendv_ps, which reads only the sign of a - min_normal (no compare needed).
 */
FP8_AVX2 static inline __m256i enc8_e4m3_satnn_mag(__m256i u) {
    __m256i a = _mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF));
    __m256i ac = _mm256_min_epi32(a, _mm256_set1_epi32(0x43E00000)); /* 448.0f */
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(ac, 20), _mm256_set1_epi32(1));
    __m256i r = _mm256_add_epi32(ac, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7FFFF - (960 << 20))));
    __m256i nc = _mm256_srli_epi32(r, 20);
    __m256 magic = _mm256_castsi256_ps(_mm256_set1_epi32(0x46800000)); /* 2^14, as in enc8_e4m3 */
    __m256i sc = _mm256_sub_epi32(_mm256_castps_si256(_mm256_add_ps(_mm256_castsi256_ps(ac), magic)),
                                  _mm256_set1_epi32(0x46800000));
    __m256i is_sub = _mm256_sub_epi32(a, _mm256_set1_epi32(0x3C800000)); /* negative iff a < 2^-6 */
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(nc), _mm256_castsi256_ps(sc),
                                                _mm256_castsi256_ps(is_sub)));
}

FP8_AVX2 static inline __m256i enc8_e5m2_satnn_mag(__m256i u) {
    __m256i a = _mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF));
    __m256i ac = _mm256_min_epi32(a, _mm256_set1_epi32(0x47600000)); /* 57344.0f */
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(ac, 21), _mm256_set1_epi32(1));
    __m256i r = _mm256_add_epi32(ac, _mm256_add_epi32(odd, _mm256_set1_epi32(0xFFFFF - (448 << 21))));
    __m256i nc = _mm256_srli_epi32(r, 21);
    __m256 magic = _mm256_castsi256_ps(_mm256_set1_epi32(0x43000000)); /* 2^7, as in enc8_e5m2 */
    __m256i sc = _mm256_sub_epi32(_mm256_castps_si256(_mm256_add_ps(_mm256_castsi256_ps(ac), magic)),
                                  _mm256_set1_epi32(0x43000000));
    __m256i is_sub = _mm256_sub_epi32(a, _mm256_set1_epi32(0x38800000)); /* negative iff a < 2^-14 */
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(nc), _mm256_castsi256_ps(sc),
                                                _mm256_castsi256_ps(is_sub)));
}

/* pack32 of four vectors of magnitude codes (0..0x7F) with the signs of the four float32 bit
 * vectors u0..u3 they came from: the signed-saturating packs keep each int32's sign in the sign of
 * its byte, and share the lane order of the unsigned packs, so one permute serves both. Fewer ops
 * than a per-vector shift + OR of the sign. */
FP8_AVX2 static inline __m256i pack32_signed(__m256i c0, __m256i c1, __m256i c2, __m256i c3,
                                             __m256i u0, __m256i u1, __m256i u2, __m256i u3) {
    __m256i m = _mm256_packus_epi16(_mm256_packus_epi32(c0, c1), _mm256_packus_epi32(c2, c3));
    __m256i s = _mm256_packs_epi16(_mm256_packs_epi32(u0, u1), _mm256_packs_epi32(u2, u3));
    __m256i b = _mm256_or_si256(m, _mm256_and_si256(s, _mm256_set1_epi8((char)0x80)));
    return _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* pack32_signed for vectors holding elements 0-3|8-11, 4-7|12-15, 16-19|24-27, 20-23|28-31 (bfloat16
 * widened by interleaving with zeros): the packs then leave 64-bit groups 0-7, 16-23, 8-15, 24-31, and
 * one vpermq restores the order. */
FP8_AVX2 static inline __m256i pack32_signed_q(__m256i c0, __m256i c1, __m256i c2, __m256i c3,
                                               __m256i u0, __m256i u1, __m256i u2, __m256i u3) {
    __m256i m = _mm256_packus_epi16(_mm256_packus_epi32(c0, c1), _mm256_packus_epi32(c2, c3));
    __m256i s = _mm256_packs_epi16(_mm256_packs_epi32(u0, u1), _mm256_packs_epi32(u2, u3));
    __m256i b = _mm256_or_si256(m, _mm256_and_si256(s, _mm256_set1_epi8((char)0x80)));
    return _mm256_permute4x64_epi64(b, 0xD8);
}

/* Four vectors of int32 codes -> 32 bytes in order (packs work per 128-bit lane: fix with vpermd). */
FP8_AVX2 static inline __m256i pack32(__m256i c0, __m256i c1, __m256i c2, __m256i c3) {
    __m256i p01 = _mm256_packus_epi32(c0, c1), p23 = _mm256_packus_epi32(c2, c3);
    __m256i b = _mm256_packus_epi16(p01, p23);
    return _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* ---- decode helpers -------------------------------------------------------------------------- */

/* 16 E4M3 codes SIGN-extended to 16 bits (vpmovsxbw) -> binary16 patterns whose value is 2^-8 times
 * the E4M3 value: (s << 7) puts the magnitude in bits 7-13 and copies of the sign in bits 14-15; the
 * mask keeps bit 15. The NaN magnitude (0x3F80 after the shift) is turned into the binary16 quiet NaN
 * sign|0x7E00 by an XOR with 0x4180; it widens to sign|0x7FC00000, which the *2^8 keeps.
 * The empty asm stops clang from rewriting the NaN test into slower byte compares + lane-crossing
 * widening (measured: 6.4 -> 9.7 G codes/s on Zen 3). */
FP8_AVX2 static inline __m256i e4m3s_to_h16(__m256i s) {
    __m256i h = _mm256_and_si256(_mm256_slli_epi16(s, 7), _mm256_set1_epi16((short)0xBF80));
    __asm__("" : "+x"(h));
    __m256i nan = _mm256_cmpeq_epi16(_mm256_and_si256(h, _mm256_set1_epi16(0x3F80)), _mm256_set1_epi16(0x3F80));
    return _mm256_xor_si256(h, _mm256_and_si256(nan, _mm256_set1_epi16(0x4180)));
}

/* The same for codes ZERO-extended to 16 bits (vpmovzxbw): one extra shift moves the sign to bit 15. */
FP8_AVX2 static inline __m256i e4m3_to_h16(__m256i w) {
    return e4m3s_to_h16(_mm256_srai_epi16(_mm256_slli_epi16(w, 8), 8));
}

/* Load 16 E4M3 codes and sign-extend them for e4m3s_to_h16. */
FP8_AVX2 static inline __m256i load16_e4m3s(const uint8_t *p) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* 16 E5M2 codes (zero-extended to 16 bits) -> binary16 patterns (exact: E5M2 is binary16's top byte),
 * with the quiet bit set on the signalling NaNs 0x7D / 0xFD (binary16 0x7D00): vcvtph2ps raises
 * FE_INVALID on a signalling NaN, which the scalar decode never does (see top). The widened NaN is the
 * same either way (vcvtph2ps quiets it: sign | 0x7FE00000). With h the pattern, (h << 1) drops the
 * sign and exceeds 0xF800 (Inf) exactly for NaN; the excess, 0x200, 0x400 or 0x600, ORed into h sets
 * 0x7D00's quiet bit 0x200 and changes nothing in 0x7E00 and 0x7F00. Three integer ops. */
FP8_AVX2 static inline __m256i e5m2_to_h16(__m256i w) {
    __m256i h = _mm256_slli_epi16(w, 8);
    return _mm256_or_si256(h, _mm256_subs_epu16(_mm256_add_epi16(h, h), _mm256_set1_epi16((short)0xF800)));
}

/* |scale| * 256 <= FLT_MAX (so it is finite and exact), as a comparison of bits: no float operation,
 * hence no FE_OVERFLOW or FE_INVALID for a huge, infinite or NaN scale. */
static inline int fp8_avx2_s256_ok(float scale) {
    return (fp8_bits_from_f32(scale) & 0x7FFFFFFFu) <= 0x7B7FFFFFu; /* FLT_MAX / 256 */
}

static inline int fp8_avx2_is_nan(float x) { return (fp8_bits_from_f32(x) & 0x7FFFFFFFu) > 0x7F800000u; }

/* Widen 16 binary16 patterns to two vectors of float32, optionally times `scale`. */
FP8_AVX2 static inline void widen_h16(__m256i h, __m256 scale, int use_scale, __m256 *lo, __m256 *hi) {
    *lo = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
    *hi = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
    if (use_scale) { *lo = _mm256_mul_ps(*lo, scale); *hi = _mm256_mul_ps(*hi, scale); }
}

/* Widen 16 binary16 patterns (optionally times `scale`) and store 16 floats. */
FP8_AVX2 static inline void store_h16(float *dst, __m256i h, __m256 scale, int use_scale) {
    __m256 lo, hi;
    widen_h16(h, scale, use_scale, &lo, &hi);
    _mm256_storeu_ps(dst, lo);
    _mm256_storeu_ps(dst + 8, hi);
}

/* Load 16 codes zero-extended to 16 bits (for e5m2_to_h16). */
FP8_AVX2 static inline __m256i load16_zx(const uint8_t *p) {
    return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* 8 bfloat16 (zero-extended into 32-bit lanes) -> 8 float32 bit patterns. */
FP8_AVX2 static inline __m256i bf16_to_8(__m256i h) {
    __m256i u = _mm256_slli_epi32(h, 16);
    __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
    return _mm256_or_si256(u, _mm256_and_si256(is_nan, _mm256_set1_epi32(0x400000)));
}

/* 8 binary16 (zero-extended into 32-bit lanes) -> 8 float32 bit patterns. */
FP8_AVX2 static inline __m256i f16_to_8(__m256i h) {
    __m256i sign = _mm256_slli_epi32(_mm256_and_si256(h, _mm256_set1_epi32(0x8000)), 16);
    __m256i mag = _mm256_and_si256(h, _mm256_set1_epi32(0x7FFF));
    __m256i m = _mm256_and_si256(h, _mm256_set1_epi32(0x3FF));
    /* normal: shift into place and rebias (15 -> 127) */
    __m256i nv = _mm256_add_epi32(_mm256_slli_epi32(mag, 13), _mm256_set1_epi32(112 << 23));
    /* Inf/NaN: all-ones exponent, payload kept, quiet bit set on a NaN */
    __m256i is_nan = _mm256_cmpgt_epi32(mag, _mm256_set1_epi32(0x7C00));
    __m256i iv = _mm256_or_si256(_mm256_or_si256(_mm256_set1_epi32(0x7F800000), _mm256_slli_epi32(m, 13)),
                                 _mm256_and_si256(is_nan, _mm256_set1_epi32(0x400000)));
    /* subnormal m * 2^-24: float(m) is exact and normal (or 0), minus 24 in the exponent when m != 0 */
    __m256i fm = _mm256_castps_si256(_mm256_cvtepi32_ps(m));
    __m256i m_nz = _mm256_cmpgt_epi32(m, _mm256_setzero_si256());
    __m256i sv = _mm256_sub_epi32(fm, _mm256_and_si256(m_nz, _mm256_set1_epi32(24 << 23)));
    __m256i is_inf_nan = _mm256_cmpgt_epi32(mag, _mm256_set1_epi32(0x7BFF));
    __m256i is_sub = _mm256_cmpgt_epi32(_mm256_set1_epi32(0x0400), mag);
    __m256i v = _mm256_blendv_epi8(nv, iv, is_inf_nan);
    v = _mm256_blendv_epi8(v, sv, is_sub);
    return _mm256_or_si256(v, sign);
}

/* 8 values of a 16-bit source type (FP8_DTYPE_BF16 or FP8_DTYPE_F16) as float32 for the quantizer,
 * exact (integer steps, no MXCSR dependence, no exception). A bfloat16 NaN is not quieted (two
 * instructions instead of six): the quantizer only detects NaN, it never encodes one. */
FP8_AVX2 static inline __m256 load8_h(const uint16_t *p, int bf16) {
    __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
    return _mm256_castsi256_ps(bf16 ? _mm256_slli_epi32(h, 16) : f16_to_8(h));
}

#endif /* FP8_AVX2_H */
