/* SPDX-License-Identifier: Apache-2.0 */
/* quant_avx2.c - AVX2 quantization building blocks (kernel set "avx2"); bit-identical to scalar. */
#include "../../internal/fp8_internal.h"

#ifdef FP8_HAVE_X86
#include "fp8_avx2.h"
#include "../../quant/scale_rules.h" /* the driver's own scale rules, so fused scales cannot diverge */

FP8_AVX2 static uint32_t amax_bits_avx2(const float *x, size_t n) {
    const __m256i absmask = _mm256_set1_epi32(0x7FFFFFFF);
    __m256i m0 = _mm256_setzero_si256(), m1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        /* |bits| <= 0x7FFFFFFF, so the signed max is the unsigned max */
        m0 = _mm256_max_epi32(m0, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(x + i)), absmask));
        m1 = _mm256_max_epi32(m1, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(x + i + 8)), absmask));
    }
    m0 = _mm256_max_epi32(m0, m1);
    __m128i h = _mm_max_epi32(_mm256_castsi256_si128(m0), _mm256_extracti128_si256(m0, 1));
    h = _mm_max_epi32(h, _mm_shuffle_epi32(h, 0x4E));
    h = _mm_max_epi32(h, _mm_shuffle_epi32(h, 0xB1));
    uint32_t m = (uint32_t)_mm_cvtsi128_si32(h);
    for (; i < n; i++) {
        uint32_t a = fp8_bits_from_f32(x[i]) & 0x7FFFFFFF;
        m = a > m ? a : m;
    }
    return m;
}

#define DEFINE_SCALE_ENCODE(NAME, ENC8, FMT)                                                       \
    FP8_AVX2 static void NAME(const float *x, uint8_t *q, size_t n, float inv_scale) {             \
        const __m256 s = _mm256_set1_ps(inv_scale);                                                \
        size_t i = 0;                                                                              \
        for (; i + 32 <= n; i += 32) {                                                             \
            __m256i c0 = ENC8(_mm256_castps_si256(_mm256_mul_ps(_mm256_loadu_ps(x + i), s)), 1);      \
            __m256i c1 = ENC8(_mm256_castps_si256(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8), s)), 1);  \
            __m256i c2 = ENC8(_mm256_castps_si256(_mm256_mul_ps(_mm256_loadu_ps(x + i + 16), s)), 1); \
            __m256i c3 = ENC8(_mm256_castps_si256(_mm256_mul_ps(_mm256_loadu_ps(x + i + 24), s)), 1); \
            _mm256_storeu_si256((__m256i *)(void *)(q + i), pack32(c0, c1, c2, c3));               \
        }                                                                                          \
        for (; i < n; i++) q[i] = fp8_encode1(FMT, x[i] * inv_scale, 1);                           \
    }

DEFINE_SCALE_ENCODE(scale_encode_e4m3, enc8_e4m3, FP8_E4M3)
DEFINE_SCALE_ENCODE(scale_encode_e5m2, enc8_e5m2, FP8_E5M2)

/* The same with x / s (vdivps is the IEEE division, correctly rounded like the scalar `/`). */
#define DEFINE_SCALE_ENCODE_DIV(NAME, ENC8, FMT)                                                   \
    FP8_AVX2 static void NAME(const float *x, uint8_t *q, size_t n, float scale) {                 \
        const __m256 s = _mm256_set1_ps(scale);                                                    \
        size_t i = 0;                                                                              \
        for (; i + 32 <= n; i += 32) {                                                             \
            __m256i c0 = ENC8(_mm256_castps_si256(_mm256_div_ps(_mm256_loadu_ps(x + i), s)), 1);      \
            __m256i c1 = ENC8(_mm256_castps_si256(_mm256_div_ps(_mm256_loadu_ps(x + i + 8), s)), 1);  \
            __m256i c2 = ENC8(_mm256_castps_si256(_mm256_div_ps(_mm256_loadu_ps(x + i + 16), s)), 1); \
            __m256i c3 = ENC8(_mm256_castps_si256(_mm256_div_ps(_mm256_loadu_ps(x + i + 24), s)), 1); \
            _mm256_storeu_si256((__m256i *)(void *)(q + i), pack32(c0, c1, c2, c3));               \
        }                                                                                          \
        for (; i < n; i++) q[i] = fp8_encode1(FMT, x[i] / scale, 1);                               \
    }
DEFINE_SCALE_ENCODE_DIV(scale_encode_div_e4m3, enc8_e4m3, FP8_E4M3)
DEFINE_SCALE_ENCODE_DIV(scale_encode_div_e5m2, enc8_e5m2, FP8_E5M2)

static void scale_encode_div_avx2(fp8_format fmt, const float *x, uint8_t *q, size_t n, float scale) {
    (fmt == FP8_E4M3 ? scale_encode_div_e4m3 : scale_encode_div_e5m2)(x, q, n, scale);
}

/* Called per tile, so the MXCSR check lives in fp_env_ok_avx2, once per driver call. */
static void scale_encode_avx2(fp8_format fmt, const float *x, uint8_t *q, size_t n, float inv_scale) {
    (fmt == FP8_E4M3 ? scale_encode_e4m3 : scale_encode_e5m2)(x, q, n, inv_scale);
}

/* decode(q) * scale. E4M3 decodes to 2^-8 * value, so one multiply by 256 * scale is the same single
 * rounding of the same real product, unless 256 * scale would overflow, or scale is Inf or NaN (then
 * the scalar code). That test compares bits (fp8_avx2_s256_ok): computing 256 * scale first could
 * raise FE_OVERFLOW (or FE_INVALID, Inf - Inf) where decode(q) * scale raises nothing. */
FP8_AVX2 static void scale_decode_avx2(fp8_format fmt, const uint8_t *q, float *x, size_t n, float scale) {
    size_t i = 0;
    if (fmt == FP8_E4M3) {
        if (!fp8_avx2_s256_ok(scale)) { fp8_quant_scalar.scale_decode(fmt, q, x, n, scale); return; }
        float s256 = scale * 256.0f;
        const __m256 s = _mm256_set1_ps(s256);
        for (; i + 16 <= n; i += 16)
            store_h16(x + i, e4m3s_to_h16(load16_e4m3s(q + i)), s, 1);
    } else {
        /* A NaN scale: which NaN a product of two NaNs returns depends on the operand order, which
         * the compiler chooses in the scalar loop; let the scalar set decide (bit-identical). */
        if (fp8_avx2_is_nan(scale)) { fp8_quant_scalar.scale_decode(fmt, q, x, n, scale); return; }
        const __m256 s = _mm256_set1_ps(scale);
        for (; i + 16 <= n; i += 16)
            store_h16(x + i, e5m2_to_h16(load16_zx(q + i)), s, 1);
    }
    for (; i < n; i++) x[i] = fp8_decode1(fmt, q[i]) * scale;
}

/* ---- fused 1 x bc tiles ----------------------------------------------------------------------- */

/* Saturating magnitude code of a finite tile times a finite 1/s (never NaN, so the cheaper
 * enc8_*_satnn_mag + pack32_signed give enc8_*(u, 1)'s codes). fmt is a constant wherever this is
 * inlined. */
FP8_AVX2 static inline __attribute__((always_inline)) __m256i enc8_mag(fp8_format fmt, __m256i u) {
    return fmt == FP8_E4M3 ? enc8_e4m3_satnn_mag(u) : enc8_e5m2_satnn_mag(u);
}

/*
 * One full tile of nv * 8 elements (nv = 4, 8, 12 or 16: bc = 32..128), loaded ONCE into nv ymm
 * registers: amax_bits from the registers, the scale from the driver's own rule (scale_rules.h),
 * then x * (1/s), encode and pack from the same registers. Bit-identical to amax_bits_avx2 followed
 * by scale_encode_*: the same integer max, the same scalar rule and division, the same vmulps, and
 * codes equal to enc8_*(u, 1) (the product is never NaN here). Returns 1, writing nothing, if the
 * tile holds NaN or Inf, else 0. Always inlined with constant fmt and nv, so the loops unroll fully
 * and v[] is promoted to registers. Loading the tile once instead of twice (amax pass, encode pass)
 * and skipping two calls per tile is what makes this faster than the driver's generic loop.
 */
FP8_AVX2 static inline __attribute__((always_inline)) int tile_regs(fp8_format fmt, fp8_scale_rule rule,
                                                                    uint32_t floor_bits, const int src,
                                                                    const void *x, uint8_t *q,
                                                                    float *scale, const int nv) {
    const __m256i absmask = _mm256_set1_epi32(0x7FFFFFFF);
    __m256 v[16];
    __m256i m[4];
#pragma GCC unroll 16
    for (int i = 0; i < nv; i++) {
        if (src == FP8_DTYPE_BF16) {
            /* 16 bfloat16 per load; interleaving with zeros puts each in the top half of a float32:
             * v[2j] holds elements 0-3 | 8-11 of the 16, v[2j+1] 4-7 | 12-15 (the pack below undoes
             * this order). One load and one shuffle per 8 values instead of a widening load and a
             * shift. */
            __m256i h = _mm256_loadu_si256((const __m256i *)(const void *)((const uint16_t *)x + 8 * (i & ~1)));
            v[i] = _mm256_castsi256_ps(i & 1 ? _mm256_unpackhi_epi16(_mm256_setzero_si256(), h)
                                             : _mm256_unpacklo_epi16(_mm256_setzero_si256(), h));
        } else {
            v[i] = src == FP8_DTYPE_F32 ? _mm256_loadu_ps((const float *)x + 8 * i)
                                        : load8_h((const uint16_t *)x + 8 * i, 0);
        }
    }
    /* Four independent max chains, then a tree: a short dependency chain to the scale. |bits| <=
     * 0x7FFFFFFF, so the signed max is the unsigned max (as in amax_bits_avx2). */
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) m[i] = _mm256_and_si256(_mm256_castps_si256(v[i]), absmask);
#pragma GCC unroll 16
    for (int i = 4; i < nv; i++)
        m[i & 3] = _mm256_max_epi32(m[i & 3], _mm256_and_si256(_mm256_castps_si256(v[i]), absmask));
    __m256i mm = _mm256_max_epi32(_mm256_max_epi32(m[0], m[1]), _mm256_max_epi32(m[2], m[3]));
    __m128i h = _mm_max_epi32(_mm256_castsi256_si128(mm), _mm256_extracti128_si256(mm, 1));
    h = _mm_max_epi32(h, _mm_shuffle_epi32(h, 0x4E));
    h = _mm_max_epi32(h, _mm_shuffle_epi32(h, 0xB1));
    uint32_t amax = (uint32_t)_mm_cvtsi128_si32(h);
    if (amax >= 0x7F800000u) return 1;
    float s = fp8_rule_scale(fmt, rule, amax, floor_bits);
    *scale = s;
    const __m256 inv = _mm256_set1_ps(1.0f / s);
#pragma GCC unroll 4
    for (int i = 0; i < nv; i += 4) {
        __m256i u0 = _mm256_castps_si256(_mm256_mul_ps(v[i], inv));
        __m256i u1 = _mm256_castps_si256(_mm256_mul_ps(v[i + 1], inv));
        __m256i u2 = _mm256_castps_si256(_mm256_mul_ps(v[i + 2], inv));
        __m256i u3 = _mm256_castps_si256(_mm256_mul_ps(v[i + 3], inv));
        __m256i c = src == FP8_DTYPE_BF16
                        ? pack32_signed_q(enc8_mag(fmt, u0), enc8_mag(fmt, u1), enc8_mag(fmt, u2), enc8_mag(fmt, u3),
                                          u0, u1, u2, u3)
                        : pack32_signed(enc8_mag(fmt, u0), enc8_mag(fmt, u1), enc8_mag(fmt, u2), enc8_mag(fmt, u3),
                                        u0, u1, u2, u3);
        _mm256_storeu_si256((__m256i *)(void *)(q + 8 * i), c);
    }
    return 0;
}

/* A partial tile (a row's last, 0 < n < bc): the unfused steps, same results. */
FP8_AVX2 static int tile_partial(fp8_format fmt, fp8_scale_rule rule, uint32_t floor_bits, const float *x,
                                 uint8_t *q, size_t n, float *scale) {
    uint32_t amax = amax_bits_avx2(x, n);
    if (amax >= 0x7F800000u) return 1;
    float s = fp8_rule_scale(fmt, rule, amax, floor_bits);
    *scale = s;
    (fmt == FP8_E4M3 ? scale_encode_e4m3 : scale_encode_e5m2)(x, q, n, 1.0f / s);
    return 0;
}

/* The row segment as tiles of NV * 8 elements, for one format (see quantize_tiles_avx2). */
#define DEFINE_TILES(NAME, FMT, NV)                                                                \
    FP8_AVX2 static int NAME(fp8_scale_rule rule, uint32_t fl, const float *x, uint8_t *q, size_t n,  \
                             float *scales) {                                                      \
        int bad = 0;                                                                               \
        size_t i = 0;                                                                              \
        for (; i + 8 * NV <= n; i += 8 * NV, scales++) bad |= tile_regs(FMT, rule, fl, FP8_DTYPE_F32, x + i, q + i, scales, NV); \
        if (i < n) bad |= tile_partial(FMT, rule, fl, x + i, q + i, n - i, scales);                   \
        return bad;                                                                                \
    }
DEFINE_TILES(tiles_e4m3_32, FP8_E4M3, 4)
DEFINE_TILES(tiles_e4m3_64, FP8_E4M3, 8)
DEFINE_TILES(tiles_e4m3_96, FP8_E4M3, 12)
DEFINE_TILES(tiles_e4m3_128, FP8_E4M3, 16)
DEFINE_TILES(tiles_e5m2_32, FP8_E5M2, 4)
DEFINE_TILES(tiles_e5m2_64, FP8_E5M2, 8)
DEFINE_TILES(tiles_e5m2_96, FP8_E5M2, 12)
DEFINE_TILES(tiles_e5m2_128, FP8_E5M2, 16)

/* ---- 16-bit sources (widened in registers: load8_h) ------------------------------------------- */

/* max |value| as float32 bits: the integer max of the 16-bit magnitudes (ordered like the values),
 * converted once. NaN/Inf give >= 0x7F800000 as for float32 input. */
FP8_AVX2 static uint32_t amax_bits_h_avx2(fp8_dtype t, const uint16_t *x, size_t n) {
    const __m256i absmask = _mm256_set1_epi16(0x7FFF);
    __m256i m0 = _mm256_setzero_si256(), m1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        m0 = _mm256_max_epu16(m0, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(x + i)), absmask));
        m1 = _mm256_max_epu16(m1, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(x + i + 16)), absmask));
    }
    m0 = _mm256_max_epu16(m0, m1);
    __m128i h = _mm_max_epu16(_mm256_castsi256_si128(m0), _mm256_extracti128_si256(m0, 1));
    h = _mm_max_epu16(h, _mm_shuffle_epi32(h, 0x4E));
    h = _mm_max_epu16(h, _mm_shuffle_epi32(h, 0xB1));
    h = _mm_max_epu16(h, _mm_srli_epi32(h, 16));
    uint16_t m = (uint16_t)_mm_cvtsi128_si32(h);
    for (; i < n; i++) m = (uint16_t)(x[i] & 0x7FFF) > m ? (uint16_t)(x[i] & 0x7FFF) : m;
    return t == FP8_DTYPE_BF16 ? (uint32_t)m << 16 : fp8_f16_to_f32_1(m);
}

#define DEFINE_SCALE_ENCODE_H(NAME, ENC8, FMT)                                                     \
    FP8_AVX2 static void NAME(int bf, const uint16_t *x, uint8_t *q, size_t n, float inv_scale) {  \
        const __m256 s = _mm256_set1_ps(inv_scale);                                                \
        size_t i = 0;                                                                              \
        for (; i + 32 <= n; i += 32) {                                                             \
            __m256i c0 = ENC8(_mm256_castps_si256(_mm256_mul_ps(load8_h(x + i, bf), s)), 1);          \
            __m256i c1 = ENC8(_mm256_castps_si256(_mm256_mul_ps(load8_h(x + i + 8, bf), s)), 1);      \
            __m256i c2 = ENC8(_mm256_castps_si256(_mm256_mul_ps(load8_h(x + i + 16, bf), s)), 1);     \
            __m256i c3 = ENC8(_mm256_castps_si256(_mm256_mul_ps(load8_h(x + i + 24, bf), s)), 1);     \
            _mm256_storeu_si256((__m256i *)(void *)(q + i), pack32(c0, c1, c2, c3));               \
        }                                                                                          \
        for (; i < n; i++) {                                                                       \
            float v = fp8_f32_from_bits(bf ? fp8_bf16_to_f32_1(x[i]) : fp8_f16_to_f32_1(x[i]));    \
            q[i] = fp8_encode1(FMT, v * inv_scale, 1);                                             \
        }                                                                                          \
    }
DEFINE_SCALE_ENCODE_H(scale_encode_h_e4m3, enc8_e4m3, FP8_E4M3)
DEFINE_SCALE_ENCODE_H(scale_encode_h_e5m2, enc8_e5m2, FP8_E5M2)

static void scale_encode_h_avx2(fp8_format fmt, fp8_dtype t, const uint16_t *x, uint8_t *q, size_t n, float inv) {
    (fmt == FP8_E4M3 ? scale_encode_h_e4m3 : scale_encode_h_e5m2)(t == FP8_DTYPE_BF16, x, q, n, inv);
}

/* Full tiles from registers as for float32 (tile_regs with a 16-bit load); a partial last tile
 * through the two kernels above. */
#define DEFINE_TILES_H(NAME, FMT, NV, SRC)                                                         \
    FP8_AVX2 static int NAME(fp8_scale_rule rule, uint32_t fl, const uint16_t *x, uint8_t *q, size_t n, \
                             float *scales) {                                                      \
        int bad = 0;                                                                               \
        size_t i = 0;                                                                              \
        for (; i + 8 * NV <= n; i += 8 * NV, scales++) bad |= tile_regs(FMT, rule, fl, SRC, x + i, q + i, scales, NV); \
        if (i < n) {                                                                               \
            uint32_t amax = amax_bits_h_avx2(SRC, x + i, n - i);                                   \
            if (amax >= 0x7F800000u) return 1;                                                     \
            float s = fp8_rule_scale(FMT, rule, amax, fl);                                         \
            *scales = s;                                                                           \
            scale_encode_h_avx2(FMT, SRC, x + i, q + i, n - i, 1.0f / s);                          \
        }                                                                                          \
        return bad;                                                                                \
    }
DEFINE_TILES_H(tiles_h_e4m3_bf16_128, FP8_E4M3, 16, FP8_DTYPE_BF16)
DEFINE_TILES_H(tiles_h_e4m3_f16_128, FP8_E4M3, 16, FP8_DTYPE_F16)
DEFINE_TILES_H(tiles_h_e5m2_bf16_128, FP8_E5M2, 16, FP8_DTYPE_BF16)
DEFINE_TILES_H(tiles_h_e5m2_f16_128, FP8_E5M2, 16, FP8_DTYPE_F16)
DEFINE_TILES_H(tiles_h_e4m3_bf16_32, FP8_E4M3, 4, FP8_DTYPE_BF16)
DEFINE_TILES_H(tiles_h_e4m3_f16_32, FP8_E4M3, 4, FP8_DTYPE_F16)
DEFINE_TILES_H(tiles_h_e5m2_bf16_32, FP8_E5M2, 4, FP8_DTYPE_BF16)
DEFINE_TILES_H(tiles_h_e5m2_f16_32, FP8_E5M2, 4, FP8_DTYPE_F16)

/* fp8_quant_kernels.quantize_tiles_h: the DeepSeek 1 x 128 and MX 1 x 32 widths; other widths
 * return -1 and the driver widens into L1 and calls quantize_tiles instead. */
static int quantize_tiles_h_avx2(fp8_format fmt, fp8_scale_rule rule, uint32_t floor_bits, fp8_dtype t,
                                 const uint16_t *x, uint8_t *q, size_t n, size_t bc, float *scales) {
    typedef int (*tiles_fn)(fp8_scale_rule, uint32_t, const uint16_t *, uint8_t *, size_t, float *);
    /* [bc == 128][fmt][bf16] */
    static const tiles_fn tab[2][2][2] = {
        {{tiles_h_e4m3_f16_32, tiles_h_e4m3_bf16_32}, {tiles_h_e5m2_f16_32, tiles_h_e5m2_bf16_32}},
        {{tiles_h_e4m3_f16_128, tiles_h_e4m3_bf16_128}, {tiles_h_e5m2_f16_128, tiles_h_e5m2_bf16_128}}};
    if (bc != 32 && bc != 128) return -1;
    return tab[bc == 128][fmt == FP8_E5M2][t == FP8_DTYPE_BF16](rule, floor_bits, x, q, n, scales);
}

/* fp8_quant_kernels.quantize_tiles: bc is 32, 64, 96 or 128 (fp8_quantize_tiles_bc_ok). A tile with
 * NaN/Inf is skipped and reported; the driver then overwrites every scale and code with NaN. */
static int quantize_tiles_avx2(fp8_format fmt, fp8_scale_rule rule, uint32_t floor_bits, const float *x,
                               uint8_t *q, size_t n, size_t bc, float *scales) {
    typedef int (*tiles_fn)(fp8_scale_rule, uint32_t, const float *, uint8_t *, size_t, float *);
    static const tiles_fn e4m3[4] = {tiles_e4m3_32, tiles_e4m3_64, tiles_e4m3_96, tiles_e4m3_128};
    static const tiles_fn e5m2[4] = {tiles_e5m2_32, tiles_e5m2_64, tiles_e5m2_96, tiles_e5m2_128};
    return (fmt == FP8_E4M3 ? e4m3 : e5m2)[bc / 32 - 1](rule, floor_bits, x, q, n, scales);
}

/* The subnormal-range magic-number add in enc8_* needs round-to-nearest (MXCSR.RC = 0). */
static int fp_env_ok_avx2(void) { return (_mm_getcsr() & 0x6000) == 0; }

const fp8_quant_kernels fp8_quant_avx2 = {amax_bits_avx2, scale_encode_avx2, scale_encode_div_avx2,
                                         scale_decode_avx2, fp_env_ok_avx2,
                                         quantize_tiles_avx2, amax_bits_h_avx2, scale_encode_h_avx2,
                                         quantize_tiles_h_avx2};

#endif /* FP8_HAVE_X86 */
