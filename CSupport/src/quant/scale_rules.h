/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scale_rules.h - NOT API. The three ways a block's dequantization scale s is chosen from its amax
 * (fp8_scale_rule in fp8.h). Exponent work is done on the float32 bits, so no libm is needed and the
 * result cannot depend on the FPU's rounding of log2/pow.
 *
 * Range of s (why no clamp is needed): amax_eff = max(amax, floor), floor >= max_finite * 2^-126, is a
 * normal float32 in [max_finite * 2^-126, FLT_MAX] (the caller passes finite amax only), so
 *   AMAX: s = amax_eff / max_finite lies in [2^-126, FLT_MAX / 448] < 2^120 (float division is
 *         monotonic and max_finite * 2^-126 / max_finite is exactly 2^-126);
 *   POW2: s rounded up to a power of two stays in [2^-126, 2^120];
 *   MX:   floor(log2(amax_eff)) is in [-118, 127] (E4M3) or [-111, 127] (E5M2), so
 *         s = 2^(that - emax_elem) lies in [2^-126, 2^119] or [2^-126, 2^112].
 * Every s is therefore a normal float32 and 1/s (at most 2^126) is finite and normal.
 */
#ifndef FP8_SCALE_RULES_H
#define FP8_SCALE_RULES_H
#include "../internal/fp8_internal.h"

/* Largest finite value and the OCP MX emax_elem (exponent of the largest normal) per format:
 * 448 = 1.75 * 2^8, 57344 = 1.75 * 2^15. */
static inline float fp8_rule_max_finite(fp8_format fmt) { return fmt == FP8_E4M3 ? FP8_E4M3_MAX : FP8_E5M2_MAX; }
static inline uint32_t fp8_rule_emax_elem(fp8_format fmt) { return fmt == FP8_E4M3 ? 8 : 15; }

/* The default amax floor, max_finite * 2^-126 (exact: a normal float), as bits. */
static inline uint32_t fp8_default_floor_bits(fp8_format fmt) {
    return fp8_bits_from_f32(fp8_rule_max_finite(fmt) * 0x1p-126f);
}

/* The floor a call uses, as bits: fp8_quant_options.amax_floor (finite, >= 0; the caller checked)
 * raised to at least the default, so every range argument above holds for any floor. */
static inline uint32_t fp8_floor_bits(fp8_format fmt, float amax_floor) {
    uint32_t d = fp8_default_floor_bits(fmt), f = fp8_bits_from_f32(amax_floor) & 0x7FFFFFFF;
    return f > d ? f : d;
}

/* The smallest power of two >= s, for a positive normal s: bump the exponent if any mantissa bit is
 * set (DeepGEMM's UE8M0 rounding). s < 2^120 here, so the exponent cannot reach 0xFF. */
static inline float fp8_round_up_pow2(float s) {
    uint32_t u = fp8_bits_from_f32(s);
    if (u & 0x7FFFFF) u = (u & 0x7F800000) + 0x800000;
    return fp8_f32_from_bits(u);
}

/*
 * The float32 dequantization scale of a block whose amax_bits (from the quant kernels) is finite
 * (< 0x7F800000), with amax first raised to the floor floor_bits (from fp8_floor_bits: at least the
 * default). Inline: it runs once per block, and blocks can be as small as 32 elements.
 */
static inline float fp8_rule_scale(fp8_format fmt, fp8_scale_rule rule, uint32_t amax_bits, uint32_t floor_bits) {
    uint32_t a = amax_bits > floor_bits ? amax_bits : floor_bits;
    switch (rule) {
    case FP8_SCALE_POW2:
        return fp8_round_up_pow2(fp8_f32_from_bits(a) / fp8_rule_max_finite(fmt));
    case FP8_SCALE_MX: {
        /* a is normal, so floor(log2(a)) is its unbiased exponent field; the biased exponent of
         * 2^(floor(log2(a)) - emax_elem) is (a >> 23) - emax_elem, which is >= 1 (see above). */
        uint32_t biased = (a >> 23) - fp8_rule_emax_elem(fmt);
        return fp8_f32_from_bits(biased << 23);
    }
    case FP8_SCALE_AMAX:
    default:
        return fp8_f32_from_bits(a) / fp8_rule_max_finite(fmt);
    }
}

#endif /* FP8_SCALE_RULES_H */
