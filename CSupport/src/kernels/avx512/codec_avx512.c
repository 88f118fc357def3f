/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_avx512.c - AVX-512 codecs (kernel set "avx512"), enabled per function and chosen at run time.
 *
 * Encode: the integer rounding of the avx2 set on 16 lanes (enc16_*), with the subnormal range's
 * float operations done as {rn-sae}, so no MXCSR check is needed and nothing traps; 64 codes per
 * step, packed with two per-lane packs and one dword permute. Decode: 32 codes -> binary16 patterns
 * -> two vcvtph2ps; the patterns come from byte-permute tables where the CPU has AVX512_VBMI
 * (h32_*_vbmi), else from shifts, masks and quiet-NaN fix-ups. Tails are masked (the same code
 * path, fewer lanes). The
 * *_stream variants write with non-temporal stores after a masked head that aligns dst to 64 bytes.
 */
#include "../../internal/fp8_internal.h"

#ifdef FP8_HAVE_X86
#include "fp8_avx512.h"

/* Up to 16 elements through the masked path. */
FP8_AVX512 static FP8_AVX512_INLINE void enc_part(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int sat) {
    __mmask16 m = fp8_mask16(n);
    __m512i u = _mm512_castps_si512(_mm512_maskz_loadu_ps(m, src));
    _mm512_mask_cvtepi32_storeu_epi8(dst, m, enc16(fmt, u, sat));
}

FP8_AVX512 static FP8_AVX512_INLINE void encode_body(fp8_format fmt, const float *src, uint8_t *dst, size_t n,
                                                     const int sat, const int stream) {
    size_t i = 0;
    if (stream) {
        size_t head = (64 - ((uintptr_t)dst & 63)) & 63;
        if (head > n) head = n;
        for (; i < head; i += 16) enc_part(fmt, src + i, dst + i, head - i < 16 ? head - i : 16, sat);
        i = head;
    }
    for (; i + 64 <= n; i += 64) {
        __m512i c0 = enc16(fmt, _mm512_loadu_si512(src + i), sat);
        __m512i c1 = enc16(fmt, _mm512_loadu_si512(src + i + 16), sat);
        __m512i c2 = enc16(fmt, _mm512_loadu_si512(src + i + 32), sat);
        __m512i c3 = enc16(fmt, _mm512_loadu_si512(src + i + 48), sat);
        __m512i b = pack64(c0, c1, c2, c3);
        if (stream) _mm512_stream_si512((void *)(dst + i), b);
        else _mm512_storeu_si512(dst + i, b);
    }
    if (stream) _mm_sfence();
    for (; i < n; i += 16) enc_part(fmt, src + i, dst + i, n - i < 16 ? n - i : 16, sat);
}

#define DEFINE_ENCODE(NAME, FMT, SAT, STREAM) \
    FP8_AVX512 static void NAME(const float *s, uint8_t *d, size_t n) { encode_body(FMT, s, d, n, SAT, STREAM); }
DEFINE_ENCODE(enc_e4m3_rne, FP8_E4M3, 0, 0)
DEFINE_ENCODE(enc_e4m3_sat, FP8_E4M3, 1, 0)
DEFINE_ENCODE(enc_e5m2_rne, FP8_E5M2, 0, 0)
DEFINE_ENCODE(enc_e5m2_sat, FP8_E5M2, 1, 0)
DEFINE_ENCODE(enc_e4m3_rne_nt, FP8_E4M3, 0, 1)
DEFINE_ENCODE(enc_e4m3_sat_nt, FP8_E4M3, 1, 1)
DEFINE_ENCODE(enc_e5m2_rne_nt, FP8_E5M2, 0, 1)
DEFINE_ENCODE(enc_e5m2_sat_nt, FP8_E5M2, 1, 1)

static void encode_avx512(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int saturate) {
    if (fmt == FP8_E4M3) (saturate ? enc_e4m3_sat : enc_e4m3_rne)(src, dst, n);
    else (saturate ? enc_e5m2_sat : enc_e5m2_rne)(src, dst, n);
}

static void encode_stream_avx512(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int saturate) {
    if (fmt == FP8_E4M3) (saturate ? enc_e4m3_sat_nt : enc_e4m3_rne_nt)(src, dst, n);
    else (saturate ? enc_e5m2_sat_nt : enc_e5m2_rne_nt)(src, dst, n);
}

/* ---- decode ---------------------------------------------------------------------------------- */

/* Up to 32 codes -> floats (masked when n < 32), through H32E4 / H32E5; E4EXACT: the E4M3 words are
 * the exact values (VBMI tables), else 2^-8 times them (one exact * 256 after widening). */
#define DEFINE_DECODE(SUF, ATTR, H32E4, H32E5, E4EXACT)                                                \
    ATTR static FP8_AVX512_INLINE void dec32_##SUF(fp8_format fmt, const uint8_t *src, float *dst, size_t n,  \
                                                   const int stream) {                                 \
        __mmask32 m = fp8_mask32(n);                                                                   \
        __m256i c = n >= 32 ? _mm256_loadu_si256((const __m256i *)(const void *)src) : _mm256_maskz_loadu_epi8(m, src); \
        __m512i h = fmt == FP8_E4M3 ? H32E4(c) : H32E5(c);                                             \
        __m512 lo = _mm512_cvtph_ps(_mm512_castsi512_si256(h));                                        \
        __m512 hi = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));                                  \
        if (!E4EXACT && fmt == FP8_E4M3) {                                                             \
            lo = _mm512_mul_ps(lo, _mm512_set1_ps(256.0f));                                            \
            hi = _mm512_mul_ps(hi, _mm512_set1_ps(256.0f));                                            \
        }                                                                                              \
        if (n >= 32) {                                                                                 \
            if (stream) { _mm512_stream_ps(dst, lo); _mm512_stream_ps(dst + 16, hi); }                 \
            else { _mm512_storeu_ps(dst, lo); _mm512_storeu_ps(dst + 16, hi); }                        \
        } else {                                                                                       \
            _mm512_mask_storeu_ps(dst, (__mmask16)m, lo);                                              \
            _mm512_mask_storeu_ps(dst + 16, (__mmask16)(m >> 16), hi);                                 \
        }                                                                                              \
    }                                                                                                  \
    ATTR static FP8_AVX512_INLINE void decode_body_##SUF(fp8_format fmt, const uint8_t *src, float *dst, size_t n, \
                                                         const int stream) {                           \
        size_t i = 0;                                                                                  \
        if (stream) {                                                                                  \
            size_t head = ((64 - ((uintptr_t)dst & 63)) & 63) / 4; /* dst is 4-byte aligned */         \
            if (head > n) head = n;                                                                    \
            if (head) dec32_##SUF(fmt, src, dst, head, 0);                                             \
            i = head;                                                                                  \
        }                                                                                              \
        for (; i + 32 <= n; i += 32) dec32_##SUF(fmt, src + i, dst + i, 32, stream);                   \
        if (stream) _mm_sfence();                                                                      \
        if (i < n) dec32_##SUF(fmt, src + i, dst + i, n - i, 0);                                       \
    }                                                                                                  \
    ATTR static void dec_e4m3_##SUF(const uint8_t *s, float *d, size_t n) { decode_body_##SUF(FP8_E4M3, s, d, n, 0); } \
    ATTR static void dec_e5m2_##SUF(const uint8_t *s, float *d, size_t n) { decode_body_##SUF(FP8_E5M2, s, d, n, 0); } \
    ATTR static void dec_e4m3_nt_##SUF(const uint8_t *s, float *d, size_t n) { decode_body_##SUF(FP8_E4M3, s, d, n, 1); } \
    ATTR static void dec_e5m2_nt_##SUF(const uint8_t *s, float *d, size_t n) { decode_body_##SUF(FP8_E5M2, s, d, n, 1); }
DEFINE_DECODE(vbmi, FP8_AVX512VBMI, h32_e4m3_vbmi, h32_e5m2_vbmi, 1)
DEFINE_DECODE(shift, FP8_AVX512, h32_e4m3_shift, h32_e5m2_shift, 0)

typedef void (*dec_fn)(const uint8_t *, float *, size_t);
/* [vbmi][stream][format] */
static const dec_fn k_dec[2][2][2] = {{{dec_e4m3_shift, dec_e5m2_shift}, {dec_e4m3_nt_shift, dec_e5m2_nt_shift}},
                                      {{dec_e4m3_vbmi, dec_e5m2_vbmi}, {dec_e4m3_nt_vbmi, dec_e5m2_nt_vbmi}}};

static void decode_avx512(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    k_dec[0][0][fmt == FP8_E4M3 ? 0 : 1](src, dst, n);
}
static void decode_stream_avx512(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    k_dec[0][((uintptr_t)dst & 3) == 0][fmt == FP8_E4M3 ? 0 : 1](src, dst, n);
}
static void decode_avx512vbmi(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    k_dec[1][0][fmt == FP8_E4M3 ? 0 : 1](src, dst, n);
}
static void decode_stream_avx512vbmi(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    k_dec[1][((uintptr_t)dst & 3) == 0][fmt == FP8_E4M3 ? 0 : 1](src, dst, n);
}

/* bfloat16 / binary16: kernels/avx512/half_avx512.c (integer code; not vcvtneps2bf16, see there). */
const fp8_codec_kernels fp8_codec_avx512 = {encode_avx512, decode_avx512, encode_stream_avx512, decode_stream_avx512,
                                            fp8_bf16_from_f32_avx512, fp8_bf16_to_f32_avx512,
                                            fp8_f16_from_f32_avx512, fp8_f16_to_f32_avx512};
const fp8_codec_kernels fp8_codec_avx512vbmi = {encode_avx512, decode_avx512vbmi, encode_stream_avx512,
                                                decode_stream_avx512vbmi,
                                                fp8_bf16_from_f32_avx512, fp8_bf16_to_f32_avx512,
                                                fp8_f16_from_f32_avx512, fp8_f16_to_f32_avx512};

#endif /* FP8_HAVE_X86 */
