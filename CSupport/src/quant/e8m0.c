/* SPDX-License-Identifier: Apache-2.0 */
/*
 * e8m0.c - power-of-two scales <-> E8M0 bytes (OCP MX scale format: 8 exponent bits, bias 127, no
 * sign, no mantissa; byte b means 2^(b - 127), 0xFF is NaN).
 *
 * Byte b in 1..254 is exactly the biased exponent field of the float32 2^(b - 127); byte 0 (2^-127)
 * is below float32's normal range and is the subnormal with only mantissa bit 22 set. Both functions
 * check every input before writing, so a failing call writes nothing.
 */
#include "../internal/fp8_internal.h"

#define F32_2_POW_M127 0x00400000u /* 2^-127: float32 subnormal, mantissa bit 22 */

/* The E8M0 byte of a float32 given as bits, or -1 if it is not a power of two in [2^-127, 2^127]. */
static int e8m0_of_bits(uint32_t u) {
    if (u == F32_2_POW_M127) return 0;
    uint32_t e = u >> 23; /* includes the sign bit, so negative values fail the range test */
    if ((u & 0x7FFFFF) != 0 || e == 0 || e >= 0xFF) return -1;
    return (int)e;
}

static uint32_t bits_of_e8m0(uint8_t b) {
    return b == 0 ? F32_2_POW_M127 : (uint32_t)b << 23;
}

int fp8_scales_to_e8m0(const float *scales, uint8_t *e8m0, size_t n) {
    if (n > 0 && (!scales || !e8m0)) return FP8_ERR_NULL_POINTER;
    if (fp8_count_overflows(n, sizeof(float))) return FP8_ERR_SIZE_OVERFLOW;
    for (size_t i = 0; i < n; i++)
        if (e8m0_of_bits(fp8_bits_from_f32(scales[i])) < 0) return FP8_ERR_BAD_SCALE;
    for (size_t i = 0; i < n; i++) e8m0[i] = (uint8_t)e8m0_of_bits(fp8_bits_from_f32(scales[i]));
    return FP8_OK;
}

int fp8_scales_from_e8m0(const uint8_t *e8m0, float *scales, size_t n) {
    if (n > 0 && (!e8m0 || !scales)) return FP8_ERR_NULL_POINTER;
    if (fp8_count_overflows(n, sizeof(float))) return FP8_ERR_SIZE_OVERFLOW;
    for (size_t i = 0; i < n; i++)
        if (e8m0[i] == 0xFF) return FP8_ERR_BAD_SCALE;
    for (size_t i = 0; i < n; i++) scales[i] = fp8_f32_from_bits(bits_of_e8m0(e8m0[i]));
    return FP8_OK;
}
