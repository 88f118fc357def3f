/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fp8_avx512.h - AVX-512 building blocks shared by the avx512 kernel set (codecs, quantization, GEMM).
 * NOT API. Include only from files under kernels/avx512/, inside #ifdef FP8_HAVE_X86.
 *
 * Two kernel sets are built from these files: "avx512" needs AVX-512 F, BW, VL and DQ (plus AVX2, FMA
 * and F16C, which every such CPU has) and decodes with shifts and masks; "avx512vbmi" also needs
 * AVX512_VBMI and decodes through byte-permute tables (h32_*_vbmi). The dispatcher checks CPUID and
 * that XGETBV reports the opmask and ZMM state enabled by the OS.
 *
 * Rules every function here follows (the same contract as the scalar set):
 *   - bits equal to the scalar set's on every input;
 *   - independent of MXCSR: encode's float operations (the subnormal range's scale-and-convert) use
 *     embedded round-to-nearest with exceptions suppressed ({rn-sae}), so the rounding mode cannot
 *     change a code and no trap can fire; DAZ/FTZ cannot change a code either (see enc16_e4m3);
 *   - no floating-point exception the scalar set does not raise: no NaN or Inf ever reaches a float
 *     operation the scalar set does not also perform on it, and the E5M2 NaN codes are made quiet
 *     binary16 NaNs before vcvtph2ps (which would otherwise raise invalid on a signalling NaN);
 *   - tails by masked loads and stores (no scalar tail loops, no reads past the end of an array).
 */
#ifndef FP8_AVX512_H
#define FP8_AVX512_H
#include "../../internal/fp8_internal.h"
#include <immintrin.h>

#define FP8_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#define FP8_AVX512_INLINE __attribute__((always_inline)) inline
/* The same plus AVX512_VBMI (byte permutes), for the table decodes; used only when the CPU has it. */
#define FP8_AVX512VBMI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,f16c")))


/* Mask of the low n (<= 16 / 32) lanes. */
static inline __mmask16 fp8_mask16(size_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }
static inline __mmask32 fp8_mask32(size_t n) { return n >= 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << n) - 1); }

/* ---- encode: 16 float32 bit patterns -> 16 int32 codes (0..255) ------------------------------ */

/*
 * E4M3 (the rules of codec_scalar.c's encode_f32_bits, vectorised as in the avx2 set):
 *   normal range: |x| clamped at 480 (the code past the max finite, 0x7F), add half an ulp - 1 + the
 *     odd bit, shift; the exponent offset 120 << 3 = 960 comes off the code;
 *   subnormal range |x| < 2^-6: the code is |x| * 2^9 rounded to an integer, computed as an exact
 *     power-of-two multiply and a conversion, both with embedded round-to-nearest and exceptions
 *     suppressed ({rn-sae}): MXCSR's rounding mode cannot change it, a NaN or Inf lane (whose result
 *     is not selected) raises nothing, and a float32 subnormal |x| gives 0 whether or not DAZ reads
 *     it as 0 (it is below half the smallest E4M3 subnormal).
 *   the sign is put back with one ternary-logic op.
 */
FP8_AVX512 static FP8_AVX512_INLINE __m512i enc16_e4m3(__m512i u, int saturate) {
    const __m512i absmask = _mm512_set1_epi32(0x7FFFFFFF);
    __m512i a = _mm512_and_si512(u, absmask);
    __m512i ac = _mm512_min_epu32(a, _mm512_set1_epi32(0x43F00000)); /* 480.0f */
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(ac, 20), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(ac, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFFF - (960 << 20))));
    __m512i code = _mm512_srli_epi32(r, 20);
    __mmask16 sub = _mm512_cmplt_epu32_mask(a, _mm512_set1_epi32(0x3C800000)); /* |x| < 2^-6 */
    __m512 t = _mm512_mul_round_ps(_mm512_castsi512_ps(a), _mm512_set1_ps(512.0f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    code = _mm512_mask_mov_epi32(code, sub, _mm512_cvt_roundps_epi32(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    if (saturate) {
        __mmask16 nan = _mm512_cmpgt_epu32_mask(a, _mm512_set1_epi32(0x7F800000));
        code = _mm512_min_epu32(code, _mm512_set1_epi32(0x7E));
        code = _mm512_mask_mov_epi32(code, nan, _mm512_set1_epi32(0x7F));
    }
    /* code | ((u >> 24) & 0x80) */
    return _mm512_ternarylogic_epi32(code, _mm512_srli_epi32(u, 24), _mm512_set1_epi32(0x80), 0xF8);
}

/* E5M2: clamp |x| at 65536 (code 0x7C = Inf), offset 112 << 2 = 448, subnormal codes |x| * 2^16
 * rounded below 2^-14; saturation clamps to 0x7B; NaN gives 0x7E in both modes. */
FP8_AVX512 static FP8_AVX512_INLINE __m512i enc16_e5m2(__m512i u, int saturate) {
    const __m512i absmask = _mm512_set1_epi32(0x7FFFFFFF);
    __m512i a = _mm512_and_si512(u, absmask);
    __m512i ac = _mm512_min_epu32(a, _mm512_set1_epi32(0x47800000)); /* 65536.0f */
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(ac, 21), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(ac, _mm512_add_epi32(odd, _mm512_set1_epi32(0xFFFFF - (448 << 21))));
    __m512i code = _mm512_srli_epi32(r, 21);
    __mmask16 sub = _mm512_cmplt_epu32_mask(a, _mm512_set1_epi32(0x38800000)); /* |x| < 2^-14 */
    __m512 t = _mm512_mul_round_ps(_mm512_castsi512_ps(a), _mm512_set1_ps(65536.0f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    code = _mm512_mask_mov_epi32(code, sub, _mm512_cvt_roundps_epi32(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    if (saturate) code = _mm512_min_epu32(code, _mm512_set1_epi32(0x7B));
    __mmask16 nan = _mm512_cmpgt_epu32_mask(a, _mm512_set1_epi32(0x7F800000));
    code = _mm512_mask_mov_epi32(code, nan, _mm512_set1_epi32(0x7E));
    return _mm512_ternarylogic_epi32(code, _mm512_srli_epi32(u, 24), _mm512_set1_epi32(0x80), 0xF8);
}

FP8_AVX512 static FP8_AVX512_INLINE __m512i enc16(fp8_format fmt, __m512i u, int saturate) {
    return fmt == FP8_E4M3 ? enc16_e4m3(u, saturate) : enc16_e5m2(u, saturate);
}

/* Four vectors of int32 codes (0..255) -> 64 bytes in order: the packs work per 128-bit lane, so lane
 * L holds c0.L c1.L c2.L c3.L (4 bytes each) and one dword permute restores the order. */
FP8_AVX512 static FP8_AVX512_INLINE __m512i pack64(__m512i c0, __m512i c1, __m512i c2, __m512i c3) {
    __m512i b = _mm512_packus_epi16(_mm512_packus_epi32(c0, c1), _mm512_packus_epi32(c2, c3));
    return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), b);
}

/* ---- decode: codes -> binary16 patterns -> float32 ------------------------------------------ */

/* 32 E4M3 codes SIGN-extended to 16 bits -> binary16 patterns of 2^-8 times the value (as in the avx2
 * set): (s << 7) & 0xBF80 puts the magnitude in bits 7-13 and keeps the sign in bit 15; the NaN
 * magnitude 0x3F80 becomes the quiet binary16 NaN sign|0x7E00 (XOR 0x4180), which widens to the
 * scalar set's sign|0x7FC00000 after the exact * 2^8. */
FP8_AVX512 static FP8_AVX512_INLINE __m512i e4m3s_to_h16_x32(__m512i s) {
    __m512i h = _mm512_and_si512(_mm512_slli_epi16(s, 7), _mm512_set1_epi16((short)0xBF80));
    __mmask32 nan = _mm512_cmpeq_epi16_mask(_mm512_and_si512(h, _mm512_set1_epi16(0x3F80)), _mm512_set1_epi16(0x3F80));
    return _mm512_xor_si512(h, _mm512_maskz_mov_epi16(nan, _mm512_set1_epi16(0x4180)));
}

/* 32 E5M2 codes ZERO-extended to 16 bits -> binary16 patterns (E5M2 is binary16's top byte). The
 * NaN codes 0x7D-0x7F (and 0xFD-0xFF) are signalling or quiet binary16 NaNs: the quiet bit 0x0200 is
 * set first, which gives exactly what vcvtph2ps would return for them (the scalar set's sign |
 * 0x7F800000 | 0x400000 | m << 21) without raising invalid. */
FP8_AVX512 static FP8_AVX512_INLINE __m512i e5m2_to_h16_x32(__m512i w) {
    __m512i h = _mm512_slli_epi16(w, 8);
    __mmask32 nan = _mm512_cmpgt_epu16_mask(_mm512_and_si512(h, _mm512_set1_epi16(0x7FFF)), _mm512_set1_epi16(0x7C00));
    return _mm512_or_si512(h, _mm512_maskz_mov_epi16(nan, _mm512_set1_epi16(0x0200)));
}

/* The same two for 16 codes in a ymm. */
FP8_AVX512 static FP8_AVX512_INLINE __m256i e4m3s_to_h16_x16(__m256i s) {
    __m256i h = _mm256_and_si256(_mm256_slli_epi16(s, 7), _mm256_set1_epi16((short)0xBF80));
    __mmask16 nan = _mm256_cmpeq_epi16_mask(_mm256_and_si256(h, _mm256_set1_epi16(0x3F80)), _mm256_set1_epi16(0x3F80));
    return _mm256_xor_si256(h, _mm256_maskz_mov_epi16(nan, _mm256_set1_epi16(0x4180)));
}
FP8_AVX512 static FP8_AVX512_INLINE __m256i e5m2_to_h16_x16(__m256i w) {
    __m256i h = _mm256_slli_epi16(w, 8);
    __mmask16 nan = _mm256_cmpgt_epu16_mask(_mm256_and_si256(h, _mm256_set1_epi16(0x7FFF)), _mm256_set1_epi16(0x7C00));
    return _mm256_or_si256(h, _mm256_maskz_mov_epi16(nan, _mm256_set1_epi16(0x0200)));
}

/* 16 codes (one xmm) -> 16 binary16 patterns in a ymm. */
FP8_AVX512 static FP8_AVX512_INLINE __m256i codes16_to_h16(fp8_format fmt, __m128i c) {
    return fmt == FP8_E4M3 ? e4m3s_to_h16_x16(_mm256_cvtepi8_epi16(c)) : e5m2_to_h16_x16(_mm256_cvtepu8_epi16(c));
}

/* 16 codes -> 16 floats of decode(q) * scale, one rounding: E4M3 as (value * 2^-8) * (256 * scale)
 * when 256 * scale is finite (mul256 = 0), else as (value * 2^-8 * 256) * scale (mul256 = 1: two
 * multiplies, the first exact); E5M2 as value * scale. The same floats as fp8_decode1(q) * scale.
 * Lanes outside m are 0 and computed on nothing (no 0 * Inf in lanes past a tail). */
FP8_AVX512 static FP8_AVX512_INLINE __m512 dec16_scaled(fp8_format fmt, __m128i c, __m512 vs, int mul256, __mmask16 m) {
    __m512 v = _mm512_cvtph_ps(codes16_to_h16(fmt, c));
    if (fmt == FP8_E4M3 && mul256) v = _mm512_mul_ps(v, _mm512_set1_ps(256.0f));
    return m == (__mmask16)0xFFFF ? _mm512_mul_ps(v, vs) : _mm512_maskz_mul_ps(m, v, vs);
}

/* A NaN scale, on the bits (a float compare would raise invalid). scale_decode and pack_fp8 hand such
 * segments to the scalar set, so the NaN a product returns is the scalar set's. */
static inline int fp8_avx512_is_nan(float x) { return (fp8_bits_from_f32(x) & 0x7FFFFFFFu) > 0x7F800000u; }

/* The multiplier dec16_scaled wants for `scale`, and whether it needs the separate * 256. Decided on
 * the bits, with no float operation: 256 * scale is exact and finite when scale's exponent field is
 * below 255 - 8 (so nothing can overflow or raise); NaN, Inf and huge scales take the two multiplies,
 * whose first (* 256 of a decoded value <= 448 * 2^-8) is exact. */
static inline float fp8_avx512_mult(fp8_format fmt, float scale, int *mul256) {
    if (fmt != FP8_E4M3) { *mul256 = 0; return scale; }
    uint32_t e = (fp8_bits_from_f32(scale) >> 23) & 0xFF;
    *mul256 = e >= 255 - 8;
    return *mul256 ? scale : scale * 256.0f;
}

/* ---- VBMI table decode: 32 codes -> 32 binary16 patterns of the EXACT values -------------------- */

/* binary16 bits of every E4M3 magnitude (0x7F: the quiet NaN 0x7E00), low and high bytes: every E4M3
 * value is a binary16 normal or zero (448 <= 65504, 2^-9 >= 2^-14), so no 2^-8 factor is needed. */
static const uint8_t k_e4m3_h16_lo[128] __attribute__((aligned(64))) = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80,
    0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80,
    0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80,
    0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80,
    0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80,
    0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80,
    0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80,
    0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00,
};
static const uint8_t k_e4m3_h16_hi[128] __attribute__((aligned(64))) = {
    0x00, 0x18, 0x1C, 0x1E, 0x20, 0x21, 0x22, 0x23, 0x24, 0x24, 0x25, 0x25, 0x26, 0x26, 0x27, 0x27,
    0x28, 0x28, 0x29, 0x29, 0x2A, 0x2A, 0x2B, 0x2B, 0x2C, 0x2C, 0x2D, 0x2D, 0x2E, 0x2E, 0x2F, 0x2F,
    0x30, 0x30, 0x31, 0x31, 0x32, 0x32, 0x33, 0x33, 0x34, 0x34, 0x35, 0x35, 0x36, 0x36, 0x37, 0x37,
    0x38, 0x38, 0x39, 0x39, 0x3A, 0x3A, 0x3B, 0x3B, 0x3C, 0x3C, 0x3D, 0x3D, 0x3E, 0x3E, 0x3F, 0x3F,
    0x40, 0x40, 0x41, 0x41, 0x42, 0x42, 0x43, 0x43, 0x44, 0x44, 0x45, 0x45, 0x46, 0x46, 0x47, 0x47,
    0x48, 0x48, 0x49, 0x49, 0x4A, 0x4A, 0x4B, 0x4B, 0x4C, 0x4C, 0x4D, 0x4D, 0x4E, 0x4E, 0x4F, 0x4F,
    0x50, 0x50, 0x51, 0x51, 0x52, 0x52, 0x53, 0x53, 0x54, 0x54, 0x55, 0x55, 0x56, 0x56, 0x57, 0x57,
    0x58, 0x58, 0x59, 0x59, 0x5A, 0x5A, 0x5B, 0x5B, 0x5C, 0x5C, 0x5D, 0x5D, 0x5E, 0x5E, 0x5F, 0x7E,
};
/* High bytes of binary16 for E5M2 magnitudes: the code itself, with the quiet bit (0x02 here) set on
 * the NaN codes 0x7D-0x7F, which vcvtph2ps then widens exactly as the scalar set decodes them. */
static const uint8_t k_e5m2_h16_hi[128] __attribute__((aligned(64))) = {
#define R16(b) b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11, b + 12, b + 13, b + 14, b + 15
    R16(0x00), R16(0x10), R16(0x20), R16(0x30), R16(0x40), R16(0x50), R16(0x60),
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x7B, 0x7C, 0x7F, 0x7E, 0x7F,
#undef R16
};
/* Byte i of 64 <- code i / 2: each code twice, once per byte of its binary16 word. */
static const uint8_t k_dup_codes[64] __attribute__((aligned(64))) = {
    0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15,
    16, 16, 17, 17, 18, 18, 19, 19, 20, 20, 21, 21, 22, 22, 23, 23, 24, 24, 25, 25, 26, 26, 27, 27, 28, 28, 29, 29, 30, 30, 31, 31};

/* 32 codes -> 32 binary16 words in order: vpermb duplicates each code into both bytes of its word,
 * vpermi2b looks up the low byte (even bytes; the odd bytes keep the code) and then the high byte of
 * the magnitude (7-bit index, 128-entry table in two registers), and one ternary-logic op puts the
 * code's sign into bit 15. Four byte-permute ops per 32 codes, NaN included. */
FP8_AVX512VBMI static FP8_AVX512_INLINE __m512i h32_e4m3_vbmi(__m256i c) {
    const __m512i dup = _mm512_load_si512(k_dup_codes);
    const __m512i lo0 = _mm512_load_si512(k_e4m3_h16_lo), lo1 = _mm512_load_si512(k_e4m3_h16_lo + 64);
    const __m512i hi0 = _mm512_load_si512(k_e4m3_h16_hi), hi1 = _mm512_load_si512(k_e4m3_h16_hi + 64);
    __m512i idx = _mm512_permutexvar_epi8(dup, _mm512_castsi256_si512(c));
    __m512i x = _mm512_mask2_permutex2var_epi8(lo0, idx, (__mmask64)0x5555555555555555ull, lo1);
    __m512i y = _mm512_mask2_permutex2var_epi8(hi0, x, (__mmask64)0xAAAAAAAAAAAAAAAAull, hi1);
    return _mm512_ternarylogic_epi32(y, idx, _mm512_set1_epi16((short)0x8000), 0xF8); /* y | (idx & sign) */
}

/* E5M2: the high byte from the table (quiet NaNs), the low byte 0, the sign from the code. */
FP8_AVX512VBMI static FP8_AVX512_INLINE __m512i h32_e5m2_vbmi(__m256i c) {
    const __m512i dup = _mm512_load_si512(k_dup_codes);
    const __m512i hi0 = _mm512_load_si512(k_e5m2_h16_hi), hi1 = _mm512_load_si512(k_e5m2_h16_hi + 64);
    __m512i idx = _mm512_permutexvar_epi8(dup, _mm512_castsi256_si512(c));
    __m512i y = _mm512_maskz_permutex2var_epi8((__mmask64)0xAAAAAAAAAAAAAAAAull, hi0, idx, hi1);
    return _mm512_ternarylogic_epi32(y, idx, _mm512_set1_epi16((short)0x8000), 0xF8);
}

/* The same without VBMI: 2^-8 times the value for E4M3 (see e4m3s_to_h16_x32), exact for E5M2. */
FP8_AVX512 static FP8_AVX512_INLINE __m512i h32_e4m3_shift(__m256i c) { return e4m3s_to_h16_x32(_mm512_cvtepi8_epi16(c)); }
FP8_AVX512 static FP8_AVX512_INLINE __m512i h32_e5m2_shift(__m256i c) { return e5m2_to_h16_x32(_mm512_cvtepu8_epi16(c)); }

/* ---- 16 x 16 float transpose ---------------------------------------------------------------- */

/* r[i] = row i -> r[c] = column c. Three shuffle stages (32-bit, 64-bit, then 128-bit lanes). */
FP8_AVX512 static FP8_AVX512_INLINE void tr16x16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int g = 0; g < 4; g++) {
        __m512 a0 = t[4 * g], a1 = t[4 * g + 1], a2 = t[4 * g + 2], a3 = t[4 * g + 3];
        u[4 * g + 0] = _mm512_shuffle_ps(a0, a2, 0x44);
        u[4 * g + 1] = _mm512_shuffle_ps(a0, a2, 0xEE);
        u[4 * g + 2] = _mm512_shuffle_ps(a1, a3, 0x44);
        u[4 * g + 3] = _mm512_shuffle_ps(a1, a3, 0xEE);
    }
    /* u[4g + m], 128-bit lane L: column 4L + m of rows 4g .. 4g + 3. */
    for (int m = 0; m < 4; m++) {
        __m512 v88 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x88), vdd = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xDD);
        __m512 w88 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x88), wdd = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xDD);
        r[m] = _mm512_shuffle_f32x4(v88, w88, 0x88);
        r[8 + m] = _mm512_shuffle_f32x4(v88, w88, 0xDD);
        r[4 + m] = _mm512_shuffle_f32x4(vdd, wdd, 0x88);
        r[12 + m] = _mm512_shuffle_f32x4(vdd, wdd, 0xDD);
    }
}

/* bfloat16 / binary16 (zero-extended into 32-bit lanes) -> float32 bits, exact, integer steps only. */
FP8_AVX512 static FP8_AVX512_INLINE __m512i bf16_to_16(__m512i h) {
    __m512i u = _mm512_slli_epi32(h, 16);
    __mmask16 is_nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
    return _mm512_mask_or_epi32(u, is_nan, u, _mm512_set1_epi32(0x400000));
}

FP8_AVX512 static FP8_AVX512_INLINE __m512i f16_to_16(__m512i h) {
    __m512i sign = _mm512_slli_epi32(_mm512_and_si512(h, _mm512_set1_epi32(0x8000)), 16);
    __m512i mag = _mm512_and_si512(h, _mm512_set1_epi32(0x7FFF));
    __m512i m = _mm512_and_si512(h, _mm512_set1_epi32(0x3FF));
    __m512i v = _mm512_add_epi32(_mm512_slli_epi32(mag, 13), _mm512_set1_epi32(112 << 23));
    __m512i iv = _mm512_or_si512(_mm512_set1_epi32(0x7F800000), _mm512_slli_epi32(m, 13));
    iv = _mm512_mask_or_epi32(iv, _mm512_cmpgt_epu32_mask(mag, _mm512_set1_epi32(0x7C00)), iv, _mm512_set1_epi32(0x400000));
    v = _mm512_mask_mov_epi32(v, _mm512_cmpge_epu32_mask(mag, _mm512_set1_epi32(0x7C00)), iv);
    /* subnormal m * 2^-24: float(m) is exact, minus 24 in the exponent when m != 0 */
    __m512i fm = _mm512_castps_si512(_mm512_cvtepi32_ps(m));
    __m512i sv = _mm512_mask_sub_epi32(fm, _mm512_test_epi32_mask(m, m), fm, _mm512_set1_epi32(24 << 23));
    v = _mm512_mask_mov_epi32(v, _mm512_cmplt_epu32_mask(mag, _mm512_set1_epi32(0x0400)), sv);
    return _mm512_or_si512(v, sign);
}

/* 16 values of a 16-bit source type (masked: lanes outside k are 0) as float32 for the quantizer; a
 * bfloat16 NaN is not quieted (the quantizer only detects NaN, it never encodes one). */
FP8_AVX512 static FP8_AVX512_INLINE __m512 load16_h(const uint16_t *p, __mmask16 k, int bf16) {
    __m512i h = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, p));
    return _mm512_castsi512_ps(bf16 ? _mm512_slli_epi32(h, 16) : f16_to_16(h));
}

#endif /* FP8_AVX512_H */
