/* SPDX-License-Identifier: Apache-2.0 */
/*
 * half_neon.c - bfloat16 / binary16 <-> float32 for the neon kernel set, 4 lanes at a time.
 *
 * Integer arithmetic on the bits only, the steps of the reference conversions in fp8_internal.h
 * (fp8_bf16_from_f32_1 ...), so the bits never depend on FPCR (rounding mode, FZ, FZ16) and nothing
 * raises a floating-point exception. Not FCVTN / FCVTL / BFCVTN: they follow FPCR's rounding mode and
 * flush-to-zero bits. Variable right shifts are USHL by a negative count (0 for counts >= 32). The one
 * float-typed instruction, UCVTF of a binary16 subnormal's 10-bit fraction, is exact.
 */
#include "../../internal/fp8_internal.h"

#ifdef FP8_HAVE_NEON
#include <arm_neon.h>

static inline uint32x4_t bf16_4(uint32x4_t u) {
    uint32x4_t a = vandq_u32(u, vdupq_n_u32(0x7FFFFFFF));
    uint32x4_t is_nan = vcgtq_u32(a, vdupq_n_u32(0x7F800000));
    uint32x4_t odd = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
    uint32x4_t r = vshrq_n_u32(vaddq_u32(u, vaddq_u32(odd, vdupq_n_u32(0x7FFF))), 16);
    uint32x4_t q = vorrq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(0x40));
    return vbslq_u32(is_nan, q, r);
}

static inline uint32x4_t f16_4(uint32x4_t u) {
    const uint32x4_t one = vdupq_n_u32(1);
    uint32x4_t sign = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(0x8000));
    uint32x4_t a = vandq_u32(u, vdupq_n_u32(0x7FFFFFFF));
    uint32x4_t odd = vandq_u32(vshrq_n_u32(a, 13), one);
    uint32x4_t code = vsubq_u32(vshrq_n_u32(vaddq_u32(a, vaddq_u32(odd, vdupq_n_u32(0xFFF))), 13), vdupq_n_u32(112 << 10));
    /* below 2^-14: sig >> sh rounded, sh = 126 - max(e, 1) >= 14 */
    uint32x4_t e = vshrq_n_u32(a, 23);
    uint32x4_t sig = vorrq_u32(vandq_u32(a, vdupq_n_u32(0x7FFFFF)), vandq_u32(vtstq_u32(e, e), vdupq_n_u32(0x800000)));
    int32x4_t sh = vreinterpretq_s32_u32(vsubq_u32(vdupq_n_u32(126), vmaxq_u32(e, one)));
    int32x4_t nsh = vnegq_s32(sh);
    uint32x4_t half_m1 = vsubq_u32(vshlq_u32(one, vsubq_s32(sh, vdupq_n_s32(1))), one);
    uint32x4_t sodd = vandq_u32(vshlq_u32(sig, nsh), one);
    uint32x4_t sc = vshlq_u32(vaddq_u32(sig, vaddq_u32(half_m1, sodd)), nsh);
    code = vbslq_u32(vcltq_u32(a, vdupq_n_u32(0x38800000)), sc, code);
    code = vbslq_u32(vcgeq_u32(a, vdupq_n_u32(0x477FF000)), vdupq_n_u32(0x7C00), code);
    uint32x4_t nan = vorrq_u32(vdupq_n_u32(0x7E00), vandq_u32(vshrq_n_u32(a, 13), vdupq_n_u32(0x3FF)));
    code = vbslq_u32(vcgtq_u32(a, vdupq_n_u32(0x7F800000)), nan, code);
    return vorrq_u32(code, sign);
}

static inline uint32x4_t bf16_to_4(uint32x4_t h) {
    uint32x4_t u = vshlq_n_u32(h, 16);
    uint32x4_t is_nan = vcgtq_u32(vandq_u32(u, vdupq_n_u32(0x7FFFFFFF)), vdupq_n_u32(0x7F800000));
    return vorrq_u32(u, vandq_u32(is_nan, vdupq_n_u32(0x400000)));
}

static inline uint32x4_t f16_to_4(uint32x4_t h) {
    uint32x4_t sign = vshlq_n_u32(vandq_u32(h, vdupq_n_u32(0x8000)), 16);
    uint32x4_t mag = vandq_u32(h, vdupq_n_u32(0x7FFF));
    uint32x4_t m = vandq_u32(h, vdupq_n_u32(0x3FF));
    uint32x4_t v = vaddq_u32(vshlq_n_u32(mag, 13), vdupq_n_u32(112u << 23));
    uint32x4_t iv = vorrq_u32(vdupq_n_u32(0x7F800000), vshlq_n_u32(m, 13));
    iv = vorrq_u32(iv, vandq_u32(vcgtq_u32(mag, vdupq_n_u32(0x7C00)), vdupq_n_u32(0x400000)));
    v = vbslq_u32(vcgeq_u32(mag, vdupq_n_u32(0x7C00)), iv, v);
    /* subnormal m * 2^-24: float(m) is exact, minus 24 in the exponent when m != 0 */
    uint32x4_t fm = vreinterpretq_u32_f32(vcvtq_f32_u32(m));
    uint32x4_t sv = vsubq_u32(fm, vandq_u32(vtstq_u32(m, m), vdupq_n_u32(24u << 23)));
    v = vbslq_u32(vcltq_u32(mag, vdupq_n_u32(0x0400)), sv, v);
    return vorrq_u32(v, sign);
}

void fp8_bf16_from_f32_neon(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const uint32_t *s = (const uint32_t *)(const void *)(src + i);
        vst1q_u16(dst + i, vcombine_u16(vmovn_u32(bf16_4(vld1q_u32(s))), vmovn_u32(bf16_4(vld1q_u32(s + 4)))));
    }
    for (; i < n; i++) dst[i] = fp8_bf16_from_f32_1(fp8_bits_from_f32(src[i]));
}
void fp8_f16_from_f32_neon(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const uint32_t *s = (const uint32_t *)(const void *)(src + i);
        vst1q_u16(dst + i, vcombine_u16(vmovn_u32(f16_4(vld1q_u32(s))), vmovn_u32(f16_4(vld1q_u32(s + 4)))));
    }
    for (; i < n; i++) dst[i] = fp8_f16_from_f32_1(fp8_bits_from_f32(src[i]));
}
void fp8_bf16_to_f32_neon(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint16x8_t h = vld1q_u16(src + i);
        uint32_t *d = (uint32_t *)(void *)(dst + i);
        vst1q_u32(d, bf16_to_4(vmovl_u16(vget_low_u16(h))));
        vst1q_u32(d + 4, bf16_to_4(vmovl_u16(vget_high_u16(h))));
    }
    for (; i < n; i++) dst[i] = fp8_f32_from_bits(fp8_bf16_to_f32_1(src[i]));
}
void fp8_f16_to_f32_neon(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint16x8_t h = vld1q_u16(src + i);
        uint32_t *d = (uint32_t *)(void *)(dst + i);
        vst1q_u32(d, f16_to_4(vmovl_u16(vget_low_u16(h))));
        vst1q_u32(d + 4, f16_to_4(vmovl_u16(vget_high_u16(h))));
    }
    for (; i < n; i++) dst[i] = fp8_f32_from_bits(fp8_f16_to_f32_1(src[i]));
}

#endif /* FP8_HAVE_NEON */
