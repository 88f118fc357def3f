/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_avx2.c - AVX2 + FMA + F16C codecs (kernel set "avx2"), enabled per function so the library
 * builds with no global -m flags and runs everywhere; chosen at run time after CPUID + XGETBV.
 *
 * Encode rounds once, in integer arithmetic on the float32 bits (normal range: add half-ulp - 1 + the
 * odd bit, then shift), and with one float add of a power-of-two "magic" number for the subnormal
 * range (exact under DAZ/FTZ: float32 subnormal inputs are far below half the FP8 min subnormal, and
 * the sum is normal). That add needs round-to-nearest; the driver checks MXCSR and falls back to the
 * scalar set otherwise. Never through vcvtps2ph (that would round twice).
 *
 * Decode builds the binary16 pattern of each code with shifts and masks (E5M2 is the top byte of a
 * binary16; E4M3 maps onto binary16 exactly, subnormals included, scaled by 2^-8), converts with
 * vcvtph2ps (not affected by DAZ), and for E4M3 rescales by 2^8 and patches the NaN code.
 */
#include "../../internal/fp8_internal.h"

#ifdef FP8_HAVE_X86
#include "fp8_avx2.h"

/* STREAM = 1 writes with non-temporal stores (for arrays far larger than the caches: no
 * read-for-ownership of the destination), after a scalar prologue that aligns dst to 32 bytes. */
#define DEFINE_ENCODE(NAME, ENC8, SAT, STREAM)                                                 \
    FP8_AVX2 static void NAME(const float *src, uint8_t *dst, size_t n, fp8_format fmt) {      \
        size_t i = 0;                                                                          \
        if (STREAM)                                                                            \
            for (; i < n && ((uintptr_t)(dst + i) & 31) != 0; i++) dst[i] = fp8_encode1(fmt, src[i], SAT); \
        for (; i + 32 <= n; i += 32) {                                                         \
            const __m256i *s = (const __m256i *)(const void *)(src + i);                       \
            __m256i c0 = ENC8(_mm256_loadu_si256(s + 0), SAT);                                 \
            __m256i c1 = ENC8(_mm256_loadu_si256(s + 1), SAT);                                 \
            __m256i c2 = ENC8(_mm256_loadu_si256(s + 2), SAT);                                 \
            __m256i c3 = ENC8(_mm256_loadu_si256(s + 3), SAT);                                 \
            __m256i *d = (__m256i *)(void *)(dst + i);                                         \
            if (STREAM) _mm256_stream_si256(d, pack32(c0, c1, c2, c3));                        \
            else _mm256_storeu_si256(d, pack32(c0, c1, c2, c3));                               \
        }                                                                                      \
        if (STREAM) _mm_sfence();                                                              \
        for (; i < n; i++) dst[i] = fp8_encode1(fmt, src[i], SAT);                             \
    }

DEFINE_ENCODE(encode_e4m3_rne, enc8_e4m3, 0, 0)
DEFINE_ENCODE(encode_e4m3_sat, enc8_e4m3, 1, 0)
DEFINE_ENCODE(encode_e5m2_rne, enc8_e5m2, 0, 0)
DEFINE_ENCODE(encode_e5m2_sat, enc8_e5m2, 1, 0)
DEFINE_ENCODE(encode_e4m3_rne_nt, enc8_e4m3, 0, 1)
DEFINE_ENCODE(encode_e4m3_sat_nt, enc8_e4m3, 1, 1)
DEFINE_ENCODE(encode_e5m2_rne_nt, enc8_e5m2, 0, 1)
DEFINE_ENCODE(encode_e5m2_sat_nt, enc8_e5m2, 1, 1)

static void encode_stream_avx2(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int saturate) {
    if ((_mm_getcsr() & 0x6000) != 0) { fp8_codec_scalar.encode(fmt, src, dst, n, saturate); return; }
    if (fmt == FP8_E4M3) (saturate ? encode_e4m3_sat_nt : encode_e4m3_rne_nt)(src, dst, n, fmt);
    else (saturate ? encode_e5m2_sat_nt : encode_e5m2_rne_nt)(src, dst, n, fmt);
}

static void encode_avx2(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int saturate) {
    /* The magic-number add needs round-to-nearest; any other MXCSR rounding mode takes the scalar path. */
    if ((_mm_getcsr() & 0x6000) != 0) { fp8_codec_scalar.encode(fmt, src, dst, n, saturate); return; }
    if (fmt == FP8_E4M3) (saturate ? encode_e4m3_sat : encode_e4m3_rne)(src, dst, n, fmt);
    else (saturate ? encode_e5m2_sat : encode_e5m2_rne)(src, dst, n, fmt);
}

/* ---- decode: 16 codes -> 16 floats ---------------------------------------------------------- */

/* Store 16 floats from binary16 patterns times `scale`, with non-temporal stores (dst 32-aligned). */
/* As store_h16, with non-temporal stores (dst 32-byte aligned). */
FP8_AVX2 static inline void stream_h16(float *dst, __m256i h, __m256 scale, int use_scale) {
    __m256 lo, hi;
    widen_h16(h, scale, use_scale, &lo, &hi);
    _mm256_stream_ps(dst, lo);
    _mm256_stream_ps(dst + 8, hi);
}

#define DEFINE_DECODE(NAME, FMT, TO_H16, LOAD16, SCALE, STORE, STREAM)                         \
    FP8_AVX2 static void NAME(const uint8_t *src, float *dst, size_t n) {                      \
        const __m256 k = _mm256_set1_ps(SCALE);                                                \
        size_t i = 0;                                                                          \
        if (STREAM)                                                                            \
            for (; i < n && ((uintptr_t)(dst + i) & 31) != 0; i++) dst[i] = fp8_decode1(FMT, src[i]); \
        for (; i + 32 <= n; i += 32) {                                                         \
            STORE(dst + i, TO_H16(LOAD16(src + i)), k, SCALE != 1.0f);                         \
            STORE(dst + i + 16, TO_H16(LOAD16(src + i + 16)), k, SCALE != 1.0f);               \
        }                                                                                      \
        if (STREAM) _mm_sfence();                                                              \
        for (; i < n; i++) dst[i] = fp8_decode1(FMT, src[i]);                                  \
    }

/* E4M3: binary16 of 2^-8 times the value, rescaled by 256; E5M2: exactly binary16, no rescale. */
DEFINE_DECODE(decode_e4m3, FP8_E4M3, e4m3s_to_h16, load16_e4m3s, 256.0f, store_h16, 0)
DEFINE_DECODE(decode_e5m2, FP8_E5M2, e5m2_to_h16, load16_zx, 1.0f, store_h16, 0)
DEFINE_DECODE(decode_e4m3_nt, FP8_E4M3, e4m3s_to_h16, load16_e4m3s, 256.0f, stream_h16, 1)
DEFINE_DECODE(decode_e5m2_nt, FP8_E5M2, e5m2_to_h16, load16_zx, 1.0f, stream_h16, 1)

static void decode_stream_avx2(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    if (fmt == FP8_E4M3) decode_e4m3_nt(src, dst, n);
    else decode_e5m2_nt(src, dst, n);
}

static void decode_avx2(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    if (fmt == FP8_E4M3) decode_e4m3(src, dst, n);
    else decode_e5m2(src, dst, n);
}

const fp8_codec_kernels fp8_codec_avx2 = {encode_avx2, decode_avx2, encode_stream_avx2, decode_stream_avx2,
                                          fp8_bf16_from_f32_avx2, fp8_bf16_to_f32_avx2,
                                          fp8_f16_from_f32_avx2, fp8_f16_to_f32_avx2};

#endif /* FP8_HAVE_X86 */
