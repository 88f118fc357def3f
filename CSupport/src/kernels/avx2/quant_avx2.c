/* quant_avx2.c - AVX2 quantization building blocks (kernel set "avx2"); bit-identical to scalar. */
#include "../../internal/fp8_internal.h"

#ifdef FP8_HAVE_X86
#include "fp8_avx2.h"

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

/* Called per tile, so the MXCSR check lives in fp_env_ok_avx2, once per driver call. */
static void scale_encode_avx2(fp8_format fmt, const float *x, uint8_t *q, size_t n, float inv_scale) {
    (fmt == FP8_E4M3 ? scale_encode_e4m3 : scale_encode_e5m2)(x, q, n, inv_scale);
}

/* decode(q) * scale. E4M3 decodes to 2^-8 * value, so one multiply by 256 * scale is the same single
 * rounding of the same real product, unless 256 * scale overflows (then multiply twice). */
FP8_AVX2 static void scale_decode_avx2(fp8_format fmt, const uint8_t *q, float *x, size_t n, float scale) {
    size_t i = 0;
    if (fmt == FP8_E4M3) {
        float s256 = scale * 256.0f;
        if (s256 - s256 != 0.0f) { fp8_quant_scalar.scale_decode(fmt, q, x, n, scale); return; }
        const __m256 s = _mm256_set1_ps(s256);
        for (; i + 16 <= n; i += 16)
            store_h16(x + i, e4m3s_to_h16(load16_e4m3s(q + i)), s, 1);
    } else {
        const __m256 s = _mm256_set1_ps(scale);
        for (; i + 16 <= n; i += 16)
            store_h16(x + i, e5m2_to_h16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(q + i)))), s, 1);
    }
    for (; i < n; i++) x[i] = fp8_decode1(fmt, q[i]) * scale;
}

/* The subnormal-range magic-number add in enc8_* needs round-to-nearest (MXCSR.RC = 0). */
static int fp_env_ok_avx2(void) { return (_mm_getcsr() & 0x6000) == 0; }

const fp8_quant_kernels fp8_quant_avx2 = {amax_bits_avx2, scale_encode_avx2, scale_decode_avx2, fp_env_ok_avx2};

#endif /* FP8_HAVE_X86 */
