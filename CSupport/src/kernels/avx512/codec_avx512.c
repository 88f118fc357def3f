/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_avx512.c - AVX-512 codecs (kernel set "avx512"), enabled per function and chosen at run time.
 *
 * Encode: the integer rounding of the avx2 set on 16 lanes (enc16_*), with the subnormal-range add
 * done as {rn-sae}, so no MXCSR check is needed and nothing traps; 64 codes per step, packed with
 * two per-lane packs and one dword permute. Decode: 32 codes -> binary16 patterns (shifts, masks,
 * quiet-NaN fix-ups) -> two vcvtph2ps. Tails are masked (the same code path, fewer lanes). The
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

/* Up to 32 codes -> floats (masked when n < 32). */
FP8_AVX512 static FP8_AVX512_INLINE void dec32(fp8_format fmt, const uint8_t *src, float *dst, size_t n, const int stream) {
    __mmask32 m = fp8_mask32(n);
    __m256i c = n >= 32 ? _mm256_loadu_si256((const __m256i *)(const void *)src) : _mm256_maskz_loadu_epi8(m, src);
    __m512i h = fmt == FP8_E4M3 ? e4m3s_to_h16_x32(_mm512_cvtepi8_epi16(c)) : e5m2_to_h16_x32(_mm512_cvtepu8_epi16(c));
    __m512 lo = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
    __m512 hi = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));
    if (fmt == FP8_E4M3) {
        lo = _mm512_mul_ps(lo, _mm512_set1_ps(256.0f));
        hi = _mm512_mul_ps(hi, _mm512_set1_ps(256.0f));
    }
    if (n >= 32) {
        if (stream) { _mm512_stream_ps(dst, lo); _mm512_stream_ps(dst + 16, hi); }
        else { _mm512_storeu_ps(dst, lo); _mm512_storeu_ps(dst + 16, hi); }
    } else {
        _mm512_mask_storeu_ps(dst, (__mmask16)m, lo);
        _mm512_mask_storeu_ps(dst + 16, (__mmask16)(m >> 16), hi);
    }
}

FP8_AVX512 static FP8_AVX512_INLINE void decode_body(fp8_format fmt, const uint8_t *src, float *dst, size_t n, const int stream) {
    size_t i = 0;
    if (stream) {
        size_t head = ((64 - ((uintptr_t)dst & 63)) & 63) / 4; /* dst is 4-byte aligned */
        if (head > n) head = n;
        if (head) dec32(fmt, src, dst, head, 0);
        i = head;
    }
    for (; i + 32 <= n; i += 32) dec32(fmt, src + i, dst + i, 32, stream);
    if (stream) _mm_sfence();
    if (i < n) dec32(fmt, src + i, dst + i, n - i, 0);
}

FP8_AVX512 static void dec_e4m3(const uint8_t *s, float *d, size_t n) { decode_body(FP8_E4M3, s, d, n, 0); }
FP8_AVX512 static void dec_e5m2(const uint8_t *s, float *d, size_t n) { decode_body(FP8_E5M2, s, d, n, 0); }
FP8_AVX512 static void dec_e4m3_nt(const uint8_t *s, float *d, size_t n) { decode_body(FP8_E4M3, s, d, n, 1); }
FP8_AVX512 static void dec_e5m2_nt(const uint8_t *s, float *d, size_t n) { decode_body(FP8_E5M2, s, d, n, 1); }

static void decode_avx512(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    (fmt == FP8_E4M3 ? dec_e4m3 : dec_e5m2)(src, dst, n);
}

static void decode_stream_avx512(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    if (((uintptr_t)dst & 3) != 0) { decode_avx512(fmt, src, dst, n); return; }
    (fmt == FP8_E4M3 ? dec_e4m3_nt : dec_e5m2_nt)(src, dst, n);
}

const fp8_codec_kernels fp8_codec_avx512 = {encode_avx512, decode_avx512, encode_stream_avx512, decode_stream_avx512};

#endif /* FP8_HAVE_X86 */
