/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_scalar.c - the portable reference codecs (kernel set "scalar").
 *
 * One generic converter driven by the format's traits, written as numbered steps on the IEEE bit
 * pattern of the source (float32 or float64), so it never depends on the FPU's rounding or
 * flush-to-zero modes and rounds exactly once. Every other kernel set must reproduce these bits.
 */
#include "../../internal/fp8_internal.h"

typedef struct fp8_traits {
    int mbits;          /* mantissa bits: 3 (E4M3) or 2 (E5M2) */
    int bias;           /* exponent bias: 7 or 15 */
    uint32_t max_code;  /* largest finite magnitude code: 0x7E or 0x7B */
    uint32_t ovf_code;  /* non-saturating overflow result: 0x7F (NaN) or 0x7C (Inf) */
    uint32_t nan_code;  /* canonical quiet NaN magnitude: 0x7F or 0x7E */
} fp8_traits;

static const fp8_traits k_traits[2] = {
    /* E4M3 */ {3, 7, 0x7E, 0x7F, 0x7F},
    /* E5M2 */ {2, 15, 0x7B, 0x7C, 0x7E},
};

/* Round the integer m right by s bits, to nearest, ties to even (s may exceed the width). */
static inline uint64_t shift_rne(uint64_t m, unsigned s) {
    if (s == 0) return m;
    if (s > 63) return 0; /* m < 2^53 here, so m / 2^s < 1/2 */
    uint64_t q = m >> s, rem = m & ((UINT64_C(1) << s) - 1), half = UINT64_C(1) << (s - 1);
    return q + (rem > half || (rem == half && (q & 1)));
}

/*
 * Encode a source value given as sign, biased exponent field and mantissa field of an IEEE format with
 * `src_mbits` mantissa bits and bias `src_bias`.
 */
static inline uint8_t encode_fields(const fp8_traits *t, uint32_t sign, int64_t e, uint64_t mant,
                                    int src_mbits, int src_bias, int exp_all_ones, int saturate) {
    /* 1. Non-finite: NaN keeps its sign; Inf saturates or overflows. */
    if (exp_all_ones) {
        if (mant != 0) return (uint8_t)(sign | t->nan_code);
        return (uint8_t)(sign | (saturate ? t->max_code : t->ovf_code));
    }
    /* 2. Zero (and source subnormals that are far below the FP8 grid fall out of step 4). */
    if (e == 0 && mant == 0) return (uint8_t)sign;
    /* 3. Normalise: value = sig * 2^(exp2 - src_mbits) with the implicit bit made explicit. */
    uint64_t sig = e ? (mant | (UINT64_C(1) << src_mbits)) : mant;
    int64_t exp2 = (e ? e : 1) - src_bias;
    /* 4. Round to nearest even at the FP8 grid: quantum 2^(max(exp2, 1 - bias) - mbits). */
    int64_t qexp = (exp2 > 1 - t->bias ? exp2 : 1 - t->bias) - t->mbits;
    int64_t shift = (exp2 - src_mbits) - qexp; /* value / quantum = sig * 2^shift; shift <= 0 */
    uint64_t q = shift_rne(sig, (unsigned)(-shift > 63 ? 64 : -shift));
    /* 5. Pack: q counts quanta of 2^qexp; the code is (biased exponent << mbits) + fraction, and a
     *    carry out of the mantissa (q == 2^(mbits+1)) correctly bumps the exponent. */
    uint64_t code;
    if (exp2 < 1 - t->bias) {
        code = q; /* subnormal range: quanta of the min subnormal; q == 2^mbits is the min normal */
    } else {
        code = ((uint64_t)(exp2 + t->bias) << t->mbits) + (q - (UINT64_C(1) << t->mbits));
    }
    /* 6. Overflow is decided after rounding. */
    if (exp2 > 64 || code > t->max_code) code = saturate ? t->max_code : t->ovf_code;
    return (uint8_t)(sign | code);
}

/*
 * float32 fast path: the same steps specialised to 32-bit integers (branch-light, about 10x faster
 * than the generic path; the generic one serves float64 and is the readable statement of the rules).
 *   normal range: add half an FP8 ulp - 1 + the odd bit, shift; the exponent offset (127 - bias)
 *                 comes off the code. |x| is first clamped to the first value past the max finite,
 *                 so overflow (and Inf) produce a code just above max_code.
 *   subnormal range: the significand with its implicit bit, shifted right with the same rounding.
 */
static inline uint8_t encode_f32_bits(const fp8_traits *t, uint32_t u, int saturate) {
    uint32_t sign = (u >> 24) & 0x80, a = u & 0x7FFFFFFF, code;
    if (a > 0x7F800000u) return (uint8_t)(sign | t->nan_code);
    const unsigned shift = 23 - (unsigned)t->mbits;
    const uint32_t min_normal = (uint32_t)(127 - t->bias + 1) << 23;
    const uint32_t past_max = (((uint32_t)(127 - t->bias) << t->mbits) + t->max_code + 1) << shift;
    if (a >= min_normal) {
        uint32_t ac = a < past_max ? a : past_max;
        uint32_t r = ac + ((1u << (shift - 1)) - 1) + ((ac >> shift) & 1);
        code = (r >> shift) - ((uint32_t)(127 - t->bias) << t->mbits);
    } else {
        uint32_t e = a >> 23;
        unsigned sh = 150 - (e ? e : 1) - (unsigned)(t->bias - 1 + t->mbits);
        uint32_t sig = e ? ((a & 0x7FFFFF) | 0x800000) : (a & 0x7FFFFF);
        code = sh >= 32 ? 0 : (sig + ((1u << (sh - 1)) - 1) + ((sig >> sh) & 1)) >> sh;
    }
    if (code > t->max_code) code = saturate ? t->max_code : t->ovf_code;
    return (uint8_t)(sign | code);
}

uint8_t fp8_encode1(fp8_format fmt, float x, int saturate) {
    return encode_f32_bits(&k_traits[fmt], fp8_bits_from_f32(x), saturate);
}

uint8_t fp8_encode1_f64(fp8_format fmt, double x, int saturate) {
    uint64_t u;
    memcpy(&u, &x, 8);
    uint32_t e = (uint32_t)(u >> 52) & 0x7FF;
    return encode_fields(&k_traits[fmt], (uint32_t)(u >> 56) & 0x80, e, u & ((UINT64_C(1) << 52) - 1), 52,
                         1023, e == 0x7FF, saturate);
}

float fp8_decode1(fp8_format fmt, uint8_t c) {
    uint32_t sign = (uint32_t)(c & 0x80) << 24;
    if (fmt == FP8_E4M3) {
        uint32_t e = (c >> 3) & 0xF, m = c & 7;
        if ((c & 0x7F) == 0x7F) return fp8_f32_from_bits(sign | 0x7FC00000u);
        if (e == 0) return fp8_f32_from_bits(sign | fp8_bits_from_f32((float)m * 0x1p-9f));
        return fp8_f32_from_bits(sign | ((e + 120) << 23) | (m << 20));
    } else {
        uint32_t e = (c >> 2) & 0x1F, m = c & 3;
        if (e == 31) return fp8_f32_from_bits(sign | 0x7F800000u | (m ? 0x400000u | (m << 21) : 0));
        if (e == 0) return fp8_f32_from_bits(sign | fp8_bits_from_f32((float)m * 0x1p-16f));
        return fp8_f32_from_bits(sign | ((e + 112) << 23) | (m << 21));
    }
}

/* One loop per (format, mode) so the traits are compile-time constants in each. */
#define DEFINE_ENCODE_LOOP(NAME, FMT, SAT)                                                   \
    static void NAME(const float *src, uint8_t *dst, size_t n) {                             \
        for (size_t i = 0; i < n; i++) dst[i] = encode_f32_bits(&k_traits[FMT], fp8_bits_from_f32(src[i]), SAT); \
    }
DEFINE_ENCODE_LOOP(encode_e4m3_rne, FP8_E4M3, 0)
DEFINE_ENCODE_LOOP(encode_e4m3_sat, FP8_E4M3, 1)
DEFINE_ENCODE_LOOP(encode_e5m2_rne, FP8_E5M2, 0)
DEFINE_ENCODE_LOOP(encode_e5m2_sat, FP8_E5M2, 1)

static void encode_scalar(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int saturate) {
    if (fmt == FP8_E4M3) (saturate ? encode_e4m3_sat : encode_e4m3_rne)(src, dst, n);
    else (saturate ? encode_e5m2_sat : encode_e5m2_rne)(src, dst, n);
}

static void decode_scalar(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = fp8_decode1(fmt, src[i]);
}

/* bfloat16 / binary16 <-> float32: the reference conversions of fp8_internal.h, element by element. */
void fp8_bf16_from_f32_scalar(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = fp8_bf16_from_f32_1(fp8_bits_from_f32(src[i]));
}
void fp8_bf16_to_f32_scalar(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = fp8_f32_from_bits(fp8_bf16_to_f32_1(src[i]));
}
void fp8_f16_from_f32_scalar(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = fp8_f16_from_f32_1(fp8_bits_from_f32(src[i]));
}
void fp8_f16_to_f32_scalar(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = fp8_f32_from_bits(fp8_f16_to_f32_1(src[i]));
}

const fp8_codec_kernels fp8_codec_scalar = {encode_scalar, decode_scalar, NULL, NULL,
                                            fp8_bf16_from_f32_scalar, fp8_bf16_to_f32_scalar,
                                            fp8_f16_from_f32_scalar, fp8_f16_to_f32_scalar};
