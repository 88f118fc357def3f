/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fp8_neon.h - AArch64 NEON building blocks shared by the neon kernel set (codecs, quantization).
 * NOT API. Include only from files under kernels/neon/, inside #ifdef FP8_HAVE_NEON.
 *
 * Everything is integer arithmetic on the IEEE bit patterns, so results are bit-identical to the
 * scalar set (kernels/scalar/codec_scalar.c) whatever FPCR says: no rounding-mode-dependent magic
 * add, and no float16 conversion (FPCR.FZ16 could flush binary16 subnormals). The only float
 * arithmetic is exact: small integers converted to float and multiplied by a power of two, with
 * normal inputs and results, so FPCR.FZ / rounding mode cannot change it either.
 */
#ifndef FP8_NEON_H
#define FP8_NEON_H
#include "../../internal/fp8_internal.h"
#include <arm_neon.h>

/* Format constants of the encoder (see encode_f32_bits in codec_scalar.c for the derivations). */
typedef struct fp8_neon_traits {
    int shift;          /* 23 - mbits: float32 mantissa bits dropped in the normal range */
    uint32_t min_normal; /* bits of the FP8 min normal as float32: 2^-6 or 2^-14 */
    uint32_t past_max;   /* bits of the first value past max finite: 480 or 65536 */
    uint32_t exp_off;    /* (127 - bias) << mbits, the exponent offset between float32 and FP8 */
    int sub_base;        /* 150 - (bias - 1 + mbits): subnormal-range shift is sub_base - max(e, 1) */
    uint32_t max_code, ovf_code, nan_code;
} fp8_neon_traits;

static inline fp8_neon_traits fp8_neon_traits_of(fp8_format fmt) {
    fp8_neon_traits t;
    if (fmt == FP8_E4M3) {
        /* 480 = 0x43F00000 is code 0x7F's value had 0x7F been finite: (120 << 3) + 0x7F = 1087 */
        t.shift = 20; t.min_normal = 0x3C800000u; t.past_max = 0x43F00000u; t.exp_off = 120u << 3;
        t.sub_base = 150 - 9; t.max_code = 0x7E; t.ovf_code = 0x7F; t.nan_code = 0x7F;
    } else {
        t.shift = 21; t.min_normal = 0x38800000u; t.past_max = 0x47800000u; t.exp_off = 112u << 2;
        t.sub_base = 150 - 16; t.max_code = 0x7B; t.ovf_code = 0x7C; t.nan_code = 0x7E;
    }
    return t;
}

/* ---- encode: 4 float32 bit patterns -> 4 codes (0..255) in uint32 lanes ------------------------ */

/* Normal range: add half an FP8 ulp - 1 + the odd bit, shift, remove the exponent offset. |x| is
 * clamped at past_max first so overflow and Inf give a code just above max_code. */
static inline uint32x4_t fp8_neon_enc_normal(const fp8_neon_traits *t, uint32x4_t a) {
    uint32x4_t ac = vminq_u32(a, vdupq_n_u32(t->past_max));
    int32x4_t neg_shift = vdupq_n_s32(-t->shift);
    uint32x4_t odd = vandq_u32(vshlq_u32(ac, neg_shift), vdupq_n_u32(1));
    uint32x4_t r = vaddq_u32(vaddq_u32(ac, vdupq_n_u32((1u << (t->shift - 1)) - 1)), odd);
    return vsubq_u32(vshlq_u32(r, neg_shift), vdupq_n_u32(t->exp_off));
}

/* Subnormal range: the significand (implicit bit made explicit unless the float32 is itself
 * subnormal) shifted right by sh = sub_base - max(e, 1) with the same rounding. sh is clamped at 31:
 * sig < 2^24, so every shift >= 25 gives 0 anyway, and 31 keeps the sum below 2^32. */
static inline uint32x4_t fp8_neon_enc_subnormal(const fp8_neon_traits *t, uint32x4_t a) {
    int32x4_t e = vreinterpretq_s32_u32(vshrq_n_u32(a, 23));
    int32x4_t sh = vminq_s32(vsubq_s32(vdupq_n_s32(t->sub_base), vmaxq_s32(e, vdupq_n_s32(1))), vdupq_n_s32(31));
    uint32x4_t implicit = vandq_u32(vtstq_u32(a, vdupq_n_u32(0x7F800000u)), vdupq_n_u32(0x800000u));
    uint32x4_t sig = vorrq_u32(vandq_u32(a, vdupq_n_u32(0x7FFFFFu)), implicit);
    int32x4_t neg_sh = vnegq_s32(sh);
    uint32x4_t half_m1 = vsubq_u32(vshlq_u32(vdupq_n_u32(1), vsubq_s32(sh, vdupq_n_s32(1))), vdupq_n_u32(1));
    uint32x4_t odd = vandq_u32(vshlq_u32(sig, neg_sh), vdupq_n_u32(1));
    return vshlq_u32(vaddq_u32(vaddq_u32(sig, half_m1), odd), neg_sh);
}

/* The full encoder: range select, overflow decided after rounding, NaN, sign. */
static inline uint32x4_t fp8_neon_enc4(const fp8_neon_traits *t, uint32x4_t u, int saturate) {
    uint32x4_t a = vandq_u32(u, vdupq_n_u32(0x7FFFFFFFu));
    uint32x4_t is_sub = vcltq_u32(a, vdupq_n_u32(t->min_normal));
    uint32x4_t code = vbslq_u32(is_sub, fp8_neon_enc_subnormal(t, a), fp8_neon_enc_normal(t, a));
    uint32x4_t over = vcgtq_u32(code, vdupq_n_u32(t->max_code));
    code = vbslq_u32(over, vdupq_n_u32(saturate ? t->max_code : t->ovf_code), code);
    code = vbslq_u32(vcgtq_u32(a, vdupq_n_u32(0x7F800000u)), vdupq_n_u32(t->nan_code), code);
    return vorrq_u32(code, vandq_u32(vshrq_n_u32(u, 24), vdupq_n_u32(0x80)));
}

/* Four vectors of codes -> 16 bytes in order. */
static inline uint8x16_t fp8_neon_pack16(uint32x4_t c0, uint32x4_t c1, uint32x4_t c2, uint32x4_t c3) {
    uint16x8_t lo = vcombine_u16(vmovn_u32(c0), vmovn_u32(c1));
    uint16x8_t hi = vcombine_u16(vmovn_u32(c2), vmovn_u32(c3));
    return vcombine_u8(vmovn_u16(lo), vmovn_u16(hi));
}

/* ---- decode: 4 codes (zero-extended to uint32 lanes) -> 4 float32 bit patterns ------------------ */

/* E4M3, as fp8_decode1: normal codes are (m7 + (120 << 3)) << 20; subnormals m * 2^-9 (exact float
 * arithmetic on normal numbers); 0x7F / 0xFF -> sign | 0x7FC00000. */
static inline uint32x4_t fp8_neon_dec4_e4m3(uint32x4_t c) {
    uint32x4_t m7 = vandq_u32(c, vdupq_n_u32(0x7F));
    uint32x4_t normal = vshlq_n_u32(vaddq_u32(m7, vdupq_n_u32(960)), 20);
    float32x4_t subf = vmulq_f32(vcvtq_f32_u32(vandq_u32(c, vdupq_n_u32(7))), vdupq_n_f32(0x1p-9f));
    uint32x4_t mag = vbslq_u32(vcltq_u32(m7, vdupq_n_u32(8)), vreinterpretq_u32_f32(subf), normal);
    mag = vbslq_u32(vceqq_u32(m7, vdupq_n_u32(0x7F)), vdupq_n_u32(0x7FC00000u), mag);
    return vorrq_u32(mag, vshlq_n_u32(vandq_u32(c, vdupq_n_u32(0x80)), 24));
}

/* E5M2, as fp8_decode1: normal codes are (m7 + (112 << 2)) << 21; subnormals m * 2^-16; exponent 31
 * gives Inf (m = 0) or the binary16 NaN widened with its quiet bit set: 0x7FC00000 | (m << 21). */
static inline uint32x4_t fp8_neon_dec4_e5m2(uint32x4_t c) {
    uint32x4_t m7 = vandq_u32(c, vdupq_n_u32(0x7F));
    uint32x4_t m = vandq_u32(c, vdupq_n_u32(3));
    uint32x4_t normal = vshlq_n_u32(vaddq_u32(m7, vdupq_n_u32(448)), 21);
    float32x4_t subf = vmulq_f32(vcvtq_f32_u32(m), vdupq_n_f32(0x1p-16f));
    uint32x4_t special = vorrq_u32(vdupq_n_u32(0x7F800000u), vshlq_n_u32(m, 21));
    special = vorrq_u32(special, vandq_u32(vtstq_u32(m, m), vdupq_n_u32(0x400000u)));
    uint32x4_t mag = vbslq_u32(vcltq_u32(m7, vdupq_n_u32(4)), vreinterpretq_u32_f32(subf), normal);
    mag = vbslq_u32(vcgeq_u32(m7, vdupq_n_u32(0x7C)), special, mag);
    return vorrq_u32(mag, vshlq_n_u32(vandq_u32(c, vdupq_n_u32(0x80)), 24));
}

/* Decode 16 codes into four float32x4 (as bit patterns), either format. */
static inline void fp8_neon_dec16(fp8_format fmt, const uint8_t *src, uint32x4_t out[4]) {
    uint8x16_t b = vld1q_u8(src);
    uint16x8_t lo = vmovl_u8(vget_low_u8(b)), hi = vmovl_u8(vget_high_u8(b));
    uint32x4_t c[4] = {vmovl_u16(vget_low_u16(lo)), vmovl_u16(vget_high_u16(lo)),
                       vmovl_u16(vget_low_u16(hi)), vmovl_u16(vget_high_u16(hi))};
    for (int k = 0; k < 4; k++) out[k] = fmt == FP8_E4M3 ? fp8_neon_dec4_e4m3(c[k]) : fp8_neon_dec4_e5m2(c[k]);
}

#endif /* FP8_NEON_H */
