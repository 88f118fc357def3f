/* SPDX-License-Identifier: Apache-2.0 */
/* quant_avx512.c - AVX-512 quantization building blocks (kernel set "avx512"); bit-identical to scalar. */
#include "../../internal/fp8_internal.h"

#ifdef FP8_HAVE_X86
#include "fp8_avx512.h"
#include "../../quant/scale_rules.h" /* the driver's own scale rules, so fused scales cannot diverge */

/* max of |bits| as unsigned integers (exact, set-independent; >= 0x7F800000 means NaN or Inf). */
FP8_AVX512 static uint32_t amax_bits_avx512(const float *x, size_t n) {
    const __m512i absmask = _mm512_set1_epi32(0x7FFFFFFF);
    __m512i m0 = _mm512_setzero_si512(), m1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        m0 = _mm512_max_epu32(m0, _mm512_and_si512(_mm512_loadu_si512(x + i), absmask));
        m1 = _mm512_max_epu32(m1, _mm512_and_si512(_mm512_loadu_si512(x + i + 16), absmask));
    }
    for (; i < n; i += 16) {
        __mmask16 k = fp8_mask16(n - i);
        m0 = _mm512_max_epu32(m0, _mm512_maskz_and_epi32(k, _mm512_maskz_loadu_epi32(k, x + i), absmask));
    }
    return _mm512_reduce_max_epu32(_mm512_max_epu32(m0, m1));
}

/* q[i] = encode_saturating(x[i] * inv_scale): one vmulps (the scalar set's one multiply), then enc16. */
FP8_AVX512 static FP8_AVX512_INLINE void scale_encode_body(fp8_format fmt, const float *x, uint8_t *q, size_t n,
                                                           float inv_scale) {
    const __m512 s = _mm512_set1_ps(inv_scale);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i c0 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(_mm512_loadu_ps(x + i), s)), 1);
        __m512i c1 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(_mm512_loadu_ps(x + i + 16), s)), 1);
        __m512i c2 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(_mm512_loadu_ps(x + i + 32), s)), 1);
        __m512i c3 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(_mm512_loadu_ps(x + i + 48), s)), 1);
        _mm512_storeu_si512(q + i, pack64(c0, c1, c2, c3));
    }
    for (; i < n; i += 16) {
        __mmask16 k = fp8_mask16(n - i);
        __m512 v = _mm512_maskz_mul_ps(k, _mm512_maskz_loadu_ps(k, x + i), s);
        _mm512_mask_cvtepi32_storeu_epi8(q + i, k, enc16(fmt, _mm512_castps_si512(v), 1));
    }
}

FP8_AVX512 static void scale_encode_e4m3(const float *x, uint8_t *q, size_t n, float s) { scale_encode_body(FP8_E4M3, x, q, n, s); }
FP8_AVX512 static void scale_encode_e5m2(const float *x, uint8_t *q, size_t n, float s) { scale_encode_body(FP8_E5M2, x, q, n, s); }

static void scale_encode_avx512(fp8_format fmt, const float *x, uint8_t *q, size_t n, float inv_scale) {
    (fmt == FP8_E4M3 ? scale_encode_e4m3 : scale_encode_e5m2)(x, q, n, inv_scale);
}

/* q[i] = encode_saturating(x[i] / scale): one vdivps (IEEE division, the scalar set's `/`), then enc16.
 * Masked tail lanes are not computed, so they raise nothing. */
FP8_AVX512 static FP8_AVX512_INLINE void scale_encode_div_body(fp8_format fmt, const float *x, uint8_t *q, size_t n,
                                                               float scale) {
    const __m512 s = _mm512_set1_ps(scale);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i c0 = enc16(fmt, _mm512_castps_si512(_mm512_div_ps(_mm512_loadu_ps(x + i), s)), 1);
        __m512i c1 = enc16(fmt, _mm512_castps_si512(_mm512_div_ps(_mm512_loadu_ps(x + i + 16), s)), 1);
        __m512i c2 = enc16(fmt, _mm512_castps_si512(_mm512_div_ps(_mm512_loadu_ps(x + i + 32), s)), 1);
        __m512i c3 = enc16(fmt, _mm512_castps_si512(_mm512_div_ps(_mm512_loadu_ps(x + i + 48), s)), 1);
        _mm512_storeu_si512(q + i, pack64(c0, c1, c2, c3));
    }
    for (; i < n; i += 16) {
        __mmask16 k = fp8_mask16(n - i);
        __m512 v = _mm512_maskz_div_ps(k, _mm512_maskz_loadu_ps(k, x + i), s);
        _mm512_mask_cvtepi32_storeu_epi8(q + i, k, enc16(fmt, _mm512_castps_si512(v), 1));
    }
}

FP8_AVX512 static void scale_encode_div_e4m3(const float *x, uint8_t *q, size_t n, float s) { scale_encode_div_body(FP8_E4M3, x, q, n, s); }
FP8_AVX512 static void scale_encode_div_e5m2(const float *x, uint8_t *q, size_t n, float s) { scale_encode_div_body(FP8_E5M2, x, q, n, s); }

static void scale_encode_div_avx512(fp8_format fmt, const float *x, uint8_t *q, size_t n, float scale) {
    (fmt == FP8_E4M3 ? scale_encode_div_e4m3 : scale_encode_div_e5m2)(x, q, n, scale);
}

/* x[i] = decode(q[i]) * scale, one rounding (dec16_scaled); with VBMI, 32 codes per step from the
 * exact-value tables, times the scale itself (the same single rounding of the same product). */
FP8_AVX512VBMI static void scale_decode_vbmi(fp8_format fmt, const uint8_t *q, float *x, size_t n, float scale) {
    if (fp8_avx512_is_nan(scale)) { fp8_quant_scalar.scale_decode(fmt, q, x, n, scale); return; }
    const __m512 vs = _mm512_set1_ps(scale);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(q + i));
        __m512i h = fmt == FP8_E4M3 ? h32_e4m3_vbmi(c) : h32_e5m2_vbmi(c);
        _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_cvtph_ps(_mm512_castsi512_si256(h)), vs));
        _mm512_storeu_ps(x + i + 16, _mm512_mul_ps(_mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1)), vs));
    }
    if (i < n) {
        __mmask32 m = fp8_mask32(n - i);
        __m256i c = _mm256_maskz_loadu_epi8(m, q + i);
        __m512i h = fmt == FP8_E4M3 ? h32_e4m3_vbmi(c) : h32_e5m2_vbmi(c);
        _mm512_mask_storeu_ps(x + i, (__mmask16)m, _mm512_maskz_mul_ps((__mmask16)m, _mm512_cvtph_ps(_mm512_castsi512_si256(h)), vs));
        _mm512_mask_storeu_ps(x + i + 16, (__mmask16)(m >> 16),
                              _mm512_maskz_mul_ps((__mmask16)(m >> 16), _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1)), vs));
    }
}

FP8_AVX512 static void scale_decode_shift(fp8_format fmt, const uint8_t *q, float *x, size_t n, float scale) {
    if (fp8_avx512_is_nan(scale)) { fp8_quant_scalar.scale_decode(fmt, q, x, n, scale); return; }
    int mul256;
    const __m512 vs = _mm512_set1_ps(fp8_avx512_mult(fmt, scale, &mul256));
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        _mm512_storeu_ps(x + i, dec16_scaled(fmt, _mm_loadu_si128((const __m128i *)(const void *)(q + i)), vs, mul256, 0xFFFF));
        _mm512_storeu_ps(x + i + 16, dec16_scaled(fmt, _mm_loadu_si128((const __m128i *)(const void *)(q + i + 16)), vs, mul256, 0xFFFF));
    }
    for (; i < n; i += 16) {
        __mmask16 k = fp8_mask16(n - i);
        _mm512_mask_storeu_ps(x + i, k, dec16_scaled(fmt, _mm_maskz_loadu_epi8(k, q + i), vs, mul256, k));
    }
}

/* ---- fused 1 x bc tiles ----------------------------------------------------------------------- */

/* One full tile of nv * 16 elements (nv = 2, 4, 6, 8: bc = 32..128) held in nv zmm registers: the
 * integer amax, the driver's scale rule and division, one vmulps, enc16 (saturating; the product is
 * never NaN), the same bits as amax_bits + scale_encode. Returns 1, writing nothing, if the tile holds
 * NaN or Inf. */
FP8_AVX512 static FP8_AVX512_INLINE int tile_regs(fp8_format fmt, fp8_scale_rule rule, uint32_t floor_bits,
                                                  const int src, const void *x, uint8_t *q, float *scale,
                                                  const int nv) {
    const __m512i absmask = _mm512_set1_epi32(0x7FFFFFFF);
    __m512 v[8];
    __m512i m0, m1;
#pragma GCC unroll 8
    for (int i = 0; i < nv; i++)
        v[i] = src == FP8_DTYPE_F32 ? _mm512_loadu_ps((const float *)x + 16 * i)
                                    : load16_h((const uint16_t *)x + 16 * i, 0xFFFF, src == FP8_DTYPE_BF16);
    m0 = _mm512_and_si512(_mm512_castps_si512(v[0]), absmask);
    m1 = _mm512_and_si512(_mm512_castps_si512(v[1]), absmask);
#pragma GCC unroll 8
    for (int i = 2; i < nv; i += 2) {
        m0 = _mm512_max_epu32(m0, _mm512_and_si512(_mm512_castps_si512(v[i]), absmask));
        m1 = _mm512_max_epu32(m1, _mm512_and_si512(_mm512_castps_si512(v[i + 1]), absmask));
    }
    uint32_t amax = _mm512_reduce_max_epu32(_mm512_max_epu32(m0, m1));
    if (amax >= 0x7F800000u) return 1;
    float s = fp8_rule_scale(fmt, rule, amax, floor_bits);
    *scale = s;
    const __m512 inv = _mm512_set1_ps(1.0f / s);
#pragma GCC unroll 8
    for (int i = 0; i < nv; i += 4) {
        if (i + 4 <= nv) {
            __m512i c0 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(v[i], inv)), 1);
            __m512i c1 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(v[i + 1], inv)), 1);
            __m512i c2 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(v[i + 2], inv)), 1);
            __m512i c3 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(v[i + 3], inv)), 1);
            _mm512_storeu_si512(q + 16 * i, pack64(c0, c1, c2, c3));
        } else {
            for (int t = i; t < nv; t++)
                _mm_storeu_si128((__m128i *)(void *)(q + 16 * t),
                                 _mm512_cvtepi32_epi8(enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(v[t], inv)), 1)));
        }
    }
    return 0;
}

/* A partial tile (a row's last, 0 < n < bc): the unfused steps, same results. */
FP8_AVX512 static int tile_partial(fp8_format fmt, fp8_scale_rule rule, uint32_t floor_bits, const float *x,
                                   uint8_t *q, size_t n, float *scale) {
    uint32_t amax = amax_bits_avx512(x, n);
    if (amax >= 0x7F800000u) return 1;
    float s = fp8_rule_scale(fmt, rule, amax, floor_bits);
    *scale = s;
    scale_encode_body(fmt, x, q, n, 1.0f / s);
    return 0;
}

#define DEFINE_TILES(NAME, FMT, NV)                                                                \
    FP8_AVX512 static int NAME(fp8_scale_rule rule, uint32_t fl, const float *x, uint8_t *q, size_t n, \
                               float *scales) {                                                    \
        int bad = 0;                                                                               \
        size_t i = 0;                                                                              \
        for (; i + 16 * NV <= n; i += 16 * NV, scales++) bad |= tile_regs(FMT, rule, fl, FP8_DTYPE_F32, x + i, q + i, scales, NV); \
        if (i < n) bad |= tile_partial(FMT, rule, fl, x + i, q + i, n - i, scales);                   \
        return bad;                                                                                \
    }
DEFINE_TILES(tiles_e4m3_32, FP8_E4M3, 2)
DEFINE_TILES(tiles_e4m3_64, FP8_E4M3, 4)
DEFINE_TILES(tiles_e4m3_96, FP8_E4M3, 6)
DEFINE_TILES(tiles_e4m3_128, FP8_E4M3, 8)
DEFINE_TILES(tiles_e5m2_32, FP8_E5M2, 2)
DEFINE_TILES(tiles_e5m2_64, FP8_E5M2, 4)
DEFINE_TILES(tiles_e5m2_96, FP8_E5M2, 6)
DEFINE_TILES(tiles_e5m2_128, FP8_E5M2, 8)

/* ---- 16-bit sources (widened in registers: load16_h) ------------------------------------------ */

/* max |value| as float32 bits: the integer max of the 16-bit magnitudes, converted once. */
FP8_AVX512 static uint32_t amax_bits_h_avx512(fp8_dtype t, const uint16_t *x, size_t n) {
    const __m512i absmask = _mm512_set1_epi16(0x7FFF);
    __m512i m0 = _mm512_setzero_si512();
    for (size_t i = 0; i < n; i += 32) {
        __mmask32 k = n - i >= 32 ? 0xFFFFFFFFu : (1u << (n - i)) - 1;
        m0 = _mm512_max_epu16(m0, _mm512_and_si512(_mm512_maskz_loadu_epi16(k, x + i), absmask));
    }
    /* 32 x u16 -> max: fold halves (as u32 lanes holding two u16 each, then the pair) */
    __m256i h = _mm256_max_epu16(_mm512_castsi512_si256(m0), _mm512_extracti64x4_epi64(m0, 1));
    __m128i g = _mm_max_epu16(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    g = _mm_max_epu16(g, _mm_shuffle_epi32(g, 0x4E));
    g = _mm_max_epu16(g, _mm_shuffle_epi32(g, 0xB1));
    g = _mm_max_epu16(g, _mm_srli_epi32(g, 16));
    uint16_t m = (uint16_t)_mm_cvtsi128_si32(g);
    return t == FP8_DTYPE_BF16 ? (uint32_t)m << 16 : fp8_f16_to_f32_1(m);
}

FP8_AVX512 static FP8_AVX512_INLINE void scale_encode_h_body(fp8_format fmt, int bf, const uint16_t *x, uint8_t *q,
                                                             size_t n, float inv_scale) {
    const __m512 s = _mm512_set1_ps(inv_scale);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i c0 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(load16_h(x + i, 0xFFFF, bf), s)), 1);
        __m512i c1 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(load16_h(x + i + 16, 0xFFFF, bf), s)), 1);
        __m512i c2 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(load16_h(x + i + 32, 0xFFFF, bf), s)), 1);
        __m512i c3 = enc16(fmt, _mm512_castps_si512(_mm512_mul_ps(load16_h(x + i + 48, 0xFFFF, bf), s)), 1);
        _mm512_storeu_si512(q + i, pack64(c0, c1, c2, c3));
    }
    for (; i < n; i += 16) {
        __mmask16 k = fp8_mask16(n - i);
        __m512 v = _mm512_maskz_mul_ps(k, load16_h(x + i, k, bf), s);
        _mm512_mask_cvtepi32_storeu_epi8(q + i, k, enc16(fmt, _mm512_castps_si512(v), 1));
    }
}
FP8_AVX512 static void scale_encode_h_e4m3(int bf, const uint16_t *x, uint8_t *q, size_t n, float s) { scale_encode_h_body(FP8_E4M3, bf, x, q, n, s); }
FP8_AVX512 static void scale_encode_h_e5m2(int bf, const uint16_t *x, uint8_t *q, size_t n, float s) { scale_encode_h_body(FP8_E5M2, bf, x, q, n, s); }

static void scale_encode_h_avx512(fp8_format fmt, fp8_dtype t, const uint16_t *x, uint8_t *q, size_t n, float inv) {
    (fmt == FP8_E4M3 ? scale_encode_h_e4m3 : scale_encode_h_e5m2)(t == FP8_DTYPE_BF16, x, q, n, inv);
}

#define DEFINE_TILES_H(NAME, FMT, NV, SRC)                                                         \
    FP8_AVX512 static int NAME(fp8_scale_rule rule, uint32_t fl, const uint16_t *x, uint8_t *q, size_t n, \
                               float *scales) {                                                    \
        int bad = 0;                                                                               \
        size_t i = 0;                                                                              \
        for (; i + 16 * NV <= n; i += 16 * NV, scales++) bad |= tile_regs(FMT, rule, fl, SRC, x + i, q + i, scales, NV); \
        if (i < n) {                                                                               \
            uint32_t amax = amax_bits_h_avx512(SRC, x + i, n - i);                                 \
            if (amax >= 0x7F800000u) return 1;                                                     \
            float s = fp8_rule_scale(FMT, rule, amax, fl);                                         \
            *scales = s;                                                                           \
            scale_encode_h_body(FMT, SRC == FP8_DTYPE_BF16, x + i, q + i, n - i, 1.0f / s);        \
        }                                                                                          \
        return bad;                                                                                \
    }
DEFINE_TILES_H(tiles_h_e4m3_bf16_128, FP8_E4M3, 8, FP8_DTYPE_BF16)
DEFINE_TILES_H(tiles_h_e4m3_f16_128, FP8_E4M3, 8, FP8_DTYPE_F16)
DEFINE_TILES_H(tiles_h_e5m2_bf16_128, FP8_E5M2, 8, FP8_DTYPE_BF16)
DEFINE_TILES_H(tiles_h_e5m2_f16_128, FP8_E5M2, 8, FP8_DTYPE_F16)
DEFINE_TILES_H(tiles_h_e4m3_bf16_32, FP8_E4M3, 2, FP8_DTYPE_BF16)
DEFINE_TILES_H(tiles_h_e4m3_f16_32, FP8_E4M3, 2, FP8_DTYPE_F16)
DEFINE_TILES_H(tiles_h_e5m2_bf16_32, FP8_E5M2, 2, FP8_DTYPE_BF16)
DEFINE_TILES_H(tiles_h_e5m2_f16_32, FP8_E5M2, 2, FP8_DTYPE_F16)

/* fp8_quant_kernels.quantize_tiles_h: 1 x 128 and MX 1 x 32; -1 for other widths. */
static int quantize_tiles_h_avx512(fp8_format fmt, fp8_scale_rule rule, uint32_t floor_bits, fp8_dtype t,
                                   const uint16_t *x, uint8_t *q, size_t n, size_t bc, float *scales) {
    typedef int (*tiles_fn)(fp8_scale_rule, uint32_t, const uint16_t *, uint8_t *, size_t, float *);
    static const tiles_fn tab[2][2][2] = {
        {{tiles_h_e4m3_f16_32, tiles_h_e4m3_bf16_32}, {tiles_h_e5m2_f16_32, tiles_h_e5m2_bf16_32}},
        {{tiles_h_e4m3_f16_128, tiles_h_e4m3_bf16_128}, {tiles_h_e5m2_f16_128, tiles_h_e5m2_bf16_128}}};
    if (bc != 32 && bc != 128) return -1;
    return tab[bc == 128][fmt == FP8_E5M2][t == FP8_DTYPE_BF16](rule, floor_bits, x, q, n, scales);
}

/* fp8_quant_kernels.quantize_tiles: bc is 32, 64, 96 or 128 (fp8_quantize_tiles_bc_ok). */
static int quantize_tiles_avx512(fp8_format fmt, fp8_scale_rule rule, uint32_t floor_bits, const float *x,
                                 uint8_t *q, size_t n, size_t bc, float *scales) {
    typedef int (*tiles_fn)(fp8_scale_rule, uint32_t, const float *, uint8_t *, size_t, float *);
    static const tiles_fn e4m3[4] = {tiles_e4m3_32, tiles_e4m3_64, tiles_e4m3_96, tiles_e4m3_128};
    static const tiles_fn e5m2[4] = {tiles_e5m2_32, tiles_e5m2_64, tiles_e5m2_96, tiles_e5m2_128};
    return (fmt == FP8_E4M3 ? e4m3 : e5m2)[bc / 32 - 1](rule, floor_bits, x, q, n, scales);
}

/* fp_env_ok is NULL: encode's only float operation uses embedded rounding ({rn-sae}), and the one
 * multiply by 1/s is the scalar set's multiply, in the same MXCSR environment. */
const fp8_quant_kernels fp8_quant_avx512 = {amax_bits_avx512, scale_encode_avx512, scale_encode_div_avx512,
                                           scale_decode_shift, NULL,
                                           quantize_tiles_avx512, amax_bits_h_avx512, scale_encode_h_avx512,
                                           quantize_tiles_h_avx512};
const fp8_quant_kernels fp8_quant_avx512vbmi = {amax_bits_avx512, scale_encode_avx512, scale_encode_div_avx512,
                                               scale_decode_vbmi, NULL,
                                               quantize_tiles_avx512, amax_bits_h_avx512, scale_encode_h_avx512,
                                           quantize_tiles_h_avx512};

#endif /* FP8_HAVE_X86 */
