/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quant_neon.c - AArch64 NEON quantization building blocks (kernel set "neon"); bit-identical to
 * the scalar set. The float32 multiplies (x * inv_scale, decode(q) * scale) are the same single IEEE
 * operations as the scalar loops, so they round alike under any FPCR setting (scalar and Advanced
 * SIMD arithmetic share FPCR on AArch64). A NaN scale goes to the scalar set (see below).
 */
#include "../../internal/fp8_internal.h"

#ifdef FP8_HAVE_NEON
#include "fp8_neon.h"

static uint32_t amax_bits_neon(const float *x, size_t n) {
    const uint32x4_t absmask = vdupq_n_u32(0x7FFFFFFFu);
    const uint32_t *u = (const uint32_t *)(const void *)x;
    uint32x4_t m0 = vdupq_n_u32(0), m1 = m0, m2 = m0, m3 = m0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        m0 = vmaxq_u32(m0, vandq_u32(vld1q_u32(u + i), absmask));
        m1 = vmaxq_u32(m1, vandq_u32(vld1q_u32(u + i + 4), absmask));
        m2 = vmaxq_u32(m2, vandq_u32(vld1q_u32(u + i + 8), absmask));
        m3 = vmaxq_u32(m3, vandq_u32(vld1q_u32(u + i + 12), absmask));
    }
    uint32_t m = vmaxvq_u32(vmaxq_u32(vmaxq_u32(m0, m1), vmaxq_u32(m2, m3)));
    for (; i < n; i++) {
        uint32_t a = fp8_bits_from_f32(x[i]) & 0x7FFFFFFF;
        m = a > m ? a : m;
    }
    return m;
}

static inline uint32x4_t scaled_bits(const float *x, float32x4_t s) {
    return vreinterpretq_u32_f32(vmulq_f32(vld1q_f32(x), s));
}

static inline void scale_encode_loop(fp8_format fmt, const float *x, uint8_t *q, size_t n, float inv_scale) {
    const fp8_neon_traits t = fp8_neon_traits_of(fmt);
    const float32x4_t s = vdupq_n_f32(inv_scale);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint32x4_t c0 = fp8_neon_enc4(&t, scaled_bits(x + i, s), 1);
        uint32x4_t c1 = fp8_neon_enc4(&t, scaled_bits(x + i + 4, s), 1);
        uint32x4_t c2 = fp8_neon_enc4(&t, scaled_bits(x + i + 8, s), 1);
        uint32x4_t c3 = fp8_neon_enc4(&t, scaled_bits(x + i + 12, s), 1);
        vst1q_u8(q + i, fp8_neon_pack16(c0, c1, c2, c3));
    }
    for (; i < n; i++) q[i] = fp8_encode1(fmt, x[i] * inv_scale, 1);
}

static void scale_encode_e4m3(const float *x, uint8_t *q, size_t n, float s) { scale_encode_loop(FP8_E4M3, x, q, n, s); }
static void scale_encode_e5m2(const float *x, uint8_t *q, size_t n, float s) { scale_encode_loop(FP8_E5M2, x, q, n, s); }

/* A NaN factor: which NaN a product returns when both operands are NaN depends on operand order,
 * which the compiler may commute differently in the scalar loop; let the scalar set decide. */
static void scale_encode_neon(fp8_format fmt, const float *x, uint8_t *q, size_t n, float inv_scale) {
    if (inv_scale != inv_scale) { fp8_quant_scalar.scale_encode(fmt, x, q, n, inv_scale); return; }
    (fmt == FP8_E4M3 ? scale_encode_e4m3 : scale_encode_e5m2)(x, q, n, inv_scale);
}

/* x / scale with vdivq_f32 (AArch64's IEEE division, the scalar set's `/`); scale is finite here. */
static inline uint32x4_t divided_bits(const float *x, float32x4_t s) {
    return vreinterpretq_u32_f32(vdivq_f32(vld1q_f32(x), s));
}

static void scale_encode_div_neon(fp8_format fmt, const float *x, uint8_t *q, size_t n, float scale) {
    const fp8_neon_traits t = fp8_neon_traits_of(fmt);
    const float32x4_t s = vdupq_n_f32(scale);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint32x4_t c0 = fp8_neon_enc4(&t, divided_bits(x + i, s), 1);
        uint32x4_t c1 = fp8_neon_enc4(&t, divided_bits(x + i + 4, s), 1);
        uint32x4_t c2 = fp8_neon_enc4(&t, divided_bits(x + i + 8, s), 1);
        uint32x4_t c3 = fp8_neon_enc4(&t, divided_bits(x + i + 12, s), 1);
        vst1q_u8(q + i, fp8_neon_pack16(c0, c1, c2, c3));
    }
    for (; i < n; i++) q[i] = fp8_encode1(fmt, x[i] / scale, 1);
}

static inline void scale_decode_loop(fp8_format fmt, const uint8_t *q, float *x, size_t n, float scale) {
    const float32x4_t s = vdupq_n_f32(scale);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint32x4_t v[4];
        fp8_neon_dec16(fmt, q + i, v);
        for (int k = 0; k < 4; k++) vst1q_f32(x + i + 4 * k, vmulq_f32(vreinterpretq_f32_u32(v[k]), s));
    }
    for (; i < n; i++) x[i] = fp8_decode1(fmt, q[i]) * scale;
}

static void scale_decode_e4m3(const uint8_t *q, float *x, size_t n, float s) { scale_decode_loop(FP8_E4M3, q, x, n, s); }
static void scale_decode_e5m2(const uint8_t *q, float *x, size_t n, float s) { scale_decode_loop(FP8_E5M2, q, x, n, s); }

static void scale_decode_neon(fp8_format fmt, const uint8_t *q, float *x, size_t n, float scale) {
    if (scale != scale) { fp8_quant_scalar.scale_decode(fmt, q, x, n, scale); return; } /* as above */
    (fmt == FP8_E4M3 ? scale_decode_e4m3 : scale_decode_e5m2)(q, x, n, scale);
}

const fp8_quant_kernels fp8_quant_neon = {amax_bits_neon, scale_encode_neon, scale_encode_div_neon,
                                         scale_decode_neon, NULL, NULL, NULL, NULL, NULL};

#endif /* FP8_HAVE_NEON */
