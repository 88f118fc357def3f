/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_neon.c - AArch64 NEON codecs (kernel set "neon"; NEON is baseline on AArch64, so no run-time
 * check). Bit-identical to the scalar set under any FPCR setting: the encoder rounds once, in
 * integer arithmetic on the float32 bits (both the normal and the subnormal range), and the decoder
 * builds float32 bit patterns directly (see fp8_neon.h). Tails go through the scalar converters.
 */
#include "../../internal/fp8_internal.h"

#ifdef FP8_HAVE_NEON
#include "fp8_neon.h"

/* The format and mode become constants once this is inlined into the four loops below. */
static inline void encode_loop(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int saturate) {
    const fp8_neon_traits t = fp8_neon_traits_of(fmt);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const uint32_t *s = (const uint32_t *)(const void *)(src + i);
        uint32x4_t c0 = fp8_neon_enc4(&t, vld1q_u32(s), saturate);
        uint32x4_t c1 = fp8_neon_enc4(&t, vld1q_u32(s + 4), saturate);
        uint32x4_t c2 = fp8_neon_enc4(&t, vld1q_u32(s + 8), saturate);
        uint32x4_t c3 = fp8_neon_enc4(&t, vld1q_u32(s + 12), saturate);
        vst1q_u8(dst + i, fp8_neon_pack16(c0, c1, c2, c3));
    }
    for (; i < n; i++) dst[i] = fp8_encode1(fmt, src[i], saturate);
}

static void encode_e4m3_rne(const float *s, uint8_t *d, size_t n) { encode_loop(FP8_E4M3, s, d, n, 0); }
static void encode_e4m3_sat(const float *s, uint8_t *d, size_t n) { encode_loop(FP8_E4M3, s, d, n, 1); }
static void encode_e5m2_rne(const float *s, uint8_t *d, size_t n) { encode_loop(FP8_E5M2, s, d, n, 0); }
static void encode_e5m2_sat(const float *s, uint8_t *d, size_t n) { encode_loop(FP8_E5M2, s, d, n, 1); }

static void encode_neon(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int saturate) {
    if (fmt == FP8_E4M3) (saturate ? encode_e4m3_sat : encode_e4m3_rne)(src, dst, n);
    else (saturate ? encode_e5m2_sat : encode_e5m2_rne)(src, dst, n);
}

static inline void decode_loop(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint32x4_t v[4];
        fp8_neon_dec16(fmt, src + i, v);
        uint32_t *d = (uint32_t *)(void *)(dst + i);
        for (int k = 0; k < 4; k++) vst1q_u32(d + 4 * k, v[k]);
    }
    for (; i < n; i++) dst[i] = fp8_decode1(fmt, src[i]);
}

static void decode_e4m3(const uint8_t *s, float *d, size_t n) { decode_loop(FP8_E4M3, s, d, n); }
static void decode_e5m2(const uint8_t *s, float *d, size_t n) { decode_loop(FP8_E5M2, s, d, n); }

static void decode_neon(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    (fmt == FP8_E4M3 ? decode_e4m3 : decode_e5m2)(src, dst, n);
}

/* No non-temporal variants (encode_stream, decode_stream): NULL makes the driver use the plain ones. */
/* bfloat16 / binary16: kernels/neon/half_neon.c (integer code, not FCVT, whose results follow FPCR). */
const fp8_codec_kernels fp8_codec_neon = {.encode = encode_neon, .decode = decode_neon,
                                          .bf16_from_f32 = fp8_bf16_from_f32_neon,
                                          .bf16_to_f32 = fp8_bf16_to_f32_neon,
                                          .f16_from_f32 = fp8_f16_from_f32_neon,
                                          .f16_to_f32 = fp8_f16_to_f32_neon};

#endif /* FP8_HAVE_NEON */
